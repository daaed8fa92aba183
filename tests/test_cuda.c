/* tests/test_cuda.c — the generated CUDA kernels, checked without a GPU:
 *
 *   cuda_compile/ROW  every CUDA variant of the row, rendered for the row's
 *                     first golden, compiled by nvcc for every target
 *                     architecture (sm_80, sm_90) in one call; registers and
 *                     spills from `ptxas -v` go to build/cuda/ptxas_ROW.csv;
 *                     fails on a compile error or a spill in a kernel the
 *                     generator marked @spill_free.
 *   cuda_goldens/ROW  every golden of the row through one CUDA variant in
 *                     turn (file i: variant i mod n, every variant on at
 *                     least one golden, as tests/test_goldens.c does),
 *                     host-emulated (impl=cuda-host:VARIANT), 2 threads.
 * Without nvcc both skip, saying why.  Compiles are cached by hash
 * (build/gen), so a second `make test` compiles nothing. */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buffers.h"
#include "cuda_gen.h"
#include "golden_util.h"
#include "parity.h"

void openblas_set_num_threads(int n);

static void need_nvcc(void)
{
    char path[GEN_PATH_MAX], err[ERR_MAX];
    if (cuda_find_nvcc(path, sizeof path, err, sizeof err) != 0)
        cr_skip_test("%s", err);
}

struct golden {
    struct st_file f;
    struct instance m;
    struct weightset ws;
};

static void golden_open(const char *path, struct golden *g)
{
    char err[ERR_MAX];
    cr_assert_eq(st_read(path, &g->f, err, sizeof err), 0, "%s", err);
    cr_assert_eq(golden_instance(&g->f, &g->m, err, sizeof err), 0, "%s: %s", path, err);
    cr_assert_eq(weights_alloc(&g->ws, &g->m, err, sizeof err), 0, "%s", err);
    cr_assert_eq(weights_load(&g->ws, &g->m, path, err, sizeof err), 0, "%s", err);
}

static void golden_close(struct golden *g)
{
    weights_free(&g->ws);
    st_free(&g->f);
}

static int variants_of(const struct gen_env *env, const struct op *op,
                       char names[][GEN_NAME_MAX])
{
    char err[ERR_MAX];
    int n = cuda_variants(env, op, names, GEN_VARIANTS_MAX, err, sizeof err);
    cr_assert(n > 0, "%s: no CUDA variants: %s", op->name, n < 0 ? err : "no gen/cuda_*.lua");
    return n;
}

/* The compile log of k has no word of a precompiled header (-Winvalid-pch:
 * the compiler did not take it). */
static void expect_no_pch_warning(const struct gen_kernel *k)
{
    char log[4096] = "";
    FILE *f = fopen(k->log_path, "r");
    cr_assert(f, "no compile log %s", k->log_path);
    size_t got = fread(log, 1, sizeof log - 1, f);
    log[got] = 0;
    fclose(f);
    cr_expect(strstr(log, "pch") == NULL, "%s: %s", k->log_path, log);
}

/* The golden at path through variant (file_index mod the variant count),
 * host-emulated; sets that variant's bit in *checked, *n_variants. */
static void check_golden(const struct gen_env *env, const char *path, int file_index,
                         unsigned *checked, int *n_variants)
{
    struct golden g;
    char err[ERR_MAX], names[GEN_VARIANTS_MAX][GEN_NAME_MAX];
    golden_open(path, &g);
    const struct st_tensor *x1 = st_find(&g.f, "x"), *y = st_find(&g.f, "y");
    int64_t nx = 0, ny = (int64_t)g.m.out.n * g.m.out.c * g.m.out.h * g.m.out.w;
    /* a detection head's levels x0, x1, ... one after another */
    float *packed = x1 ? NULL : pack_levels(&g.f, &g.m, path, &nx);
    const float *x = x1 ? x1->data : packed;
    cr_assert(y && y->numel == ny, "%s: y has the wrong size", path);
    float *out = buf_alloc(ny);
    int nv = variants_of(env, g.m.op, names);
    const int v = file_index % nv;
    *n_variants = nv;
    *checked |= 1u << v;
    struct gen_kernel k;
    cr_assert_eq(cuda_build(env, &g.m.args, g.m.in, names[v], CUDA_HOST_EMU, 1, &k, err,
                            sizeof err),
                 GEN_OK, "%s: cuda-host:%s: %s", path, names[v], err);
    float *wsp = buf_alloc(k.info->workspace_floats * 2);
    buf_fill_nan(out, ny);
    expect_no_pch_warning(&k);
    k.forward((const float *const *)g.ws.ptr, x, out, wsp, 2);
    struct parity p;
    parity_compare(out, y->data, ny, &p);
    cr_expect(p.n_bad == 0 && p.n_nonfinite == 0,
              "%s: cuda-host:%s: max_rel %.3g, %lld bad, %lld non-finite", path, names[v],
              p.max_rel, (long long)p.n_bad, (long long)p.n_nonfinite);
    buf_free(wsp, k.info->workspace_floats * 2);
    gen_unload(&k);
    buf_free(out, ny);
    if (packed)
        buf_free(packed, nx);
    golden_close(&g);
}

static void check_goldens(const char *pattern, int min_files)
{
    need_nvcc();
    struct gen_env env;
    char err[ERR_MAX];
    glob_t gl;
    openblas_set_num_threads(1);
    cr_assert_eq(gen_env_init(&env, err, sizeof err), 0, "%s", err);
    cr_assert_eq(glob(pattern, 0, NULL, &gl), 0, "no goldens match %s", pattern);
    cr_expect((int)gl.gl_pathc >= min_files, "%zu goldens for %s", gl.gl_pathc, pattern);
    unsigned checked = 0;
    int nv = 0;
    for (size_t i = 0; i < gl.gl_pathc; i++)
        check_golden(&env, gl.gl_pathv[i], (int)i, &checked, &nv);
    cr_expect_eq(checked, (1u << nv) - 1, "%s: variants met a golden: mask %#x of %d variants",
                 pattern, checked, nv);
    globfree(&gl);
}

/* Appends the kernels of one device build to csv; checks the spill marks. */
static void record_ptxas(FILE *csv, const char *row, const char *variant,
                         const struct gen_kernel *k)
{
    struct cuda_ptxas_kernel ks[CUDA_KERNELS_MAX];
    char err[ERR_MAX];
    int n = cuda_ptxas_read(k, ks, CUDA_KERNELS_MAX, err, sizeof err);
    cr_assert(n > 0, "%s:%s: no kernels in the ptxas log %s (%s)", row, variant, k->log_path,
              n < 0 ? err : "no 'Compiling entry function' line");
    int archs[2] = {0, 0};
    for (int i = 0; i < n; i++) {
        fprintf(csv, "%s,%s,%s,%s,%d,%d,%d,%d\n", row, variant, ks[i].name, ks[i].arch,
                ks[i].registers, ks[i].spill_stores, ks[i].spill_loads, ks[i].spill_free);
        cr_expect(ks[i].registers > 0, "%s:%s %s: no register count", row, variant, ks[i].name);
        cr_expect(!ks[i].spill_free || (ks[i].spill_stores == 0 && ks[i].spill_loads == 0),
                  "%s:%s: kernel %s (%s) is marked @spill_free but spills %d/%d bytes", row,
                  variant, ks[i].name, ks[i].arch, ks[i].spill_stores, ks[i].spill_loads);
        archs[0] |= !strcmp(ks[i].arch, "sm_80");
        archs[1] |= !strcmp(ks[i].arch, "sm_90");
    }
    cr_expect(archs[0] && archs[1], "%s:%s: ptxas did not compile for both sm_80 and sm_90", row,
              variant);
}

/* build/cuda/ptxas_ROW.csv, opened with its header line. */
static FILE *ptxas_csv(const struct gen_env *env, const char *row)
{
    char path[GEN_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/cuda", env->build);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/cuda/ptxas_%s.csv", env->build, row);
    FILE *csv = fopen(path, "w");
    cr_assert(csv, "cannot write %s", path);
    fprintf(csv, "row,variant,kernel,arch,registers,spill_stores,spill_loads,spill_free\n");
    return csv;
}

static void check_compile(const char *row, const char *pattern)
{
    need_nvcc();
    struct gen_env env;
    char err[ERR_MAX], names[GEN_VARIANTS_MAX][GEN_NAME_MAX];
    glob_t gl;
    cr_assert_eq(gen_env_init(&env, err, sizeof err), 0, "%s", err);
    cr_assert_eq(glob(pattern, 0, NULL, &gl), 0, "no goldens match %s", pattern);
    struct golden g;
    golden_open(gl.gl_pathv[0], &g);
    FILE *csv = ptxas_csv(&env, row);
    int nv = variants_of(&env, g.m.op, names);
    for (int v = 0; v < nv; v++) {
        struct gen_kernel k;
        cr_assert_eq(cuda_build(&env, &g.m.args, g.m.in, names[v], CUDA_DEVICE, 0, &k, err,
                                sizeof err),
                     GEN_OK, "%s: cuda:%s: %s", row, names[v], err);
        record_ptxas(csv, row, names[v], &k);
    }
    fclose(csv);
    golden_close(&g);
    globfree(&gl);
}

#define CUDA_ROW(row, pattern, min_files)                                                       \
    Test(cuda_compile, row, .timeout = 300) { check_compile(#row, pattern); }                 \
    Test(cuda_goldens, row, .timeout = 300) { check_goldens(pattern, min_files); }

CUDA_ROW(conv, "tests/goldens/conv_*.safetensors", 5)
CUDA_ROW(akconv, "tests/goldens/akconv_*.safetensors", 10)
CUDA_ROW(dcnv3, "tests/goldens/dcnv3_*.safetensors", 8)
CUDA_ROW(acmix, "tests/goldens/acmix_*.safetensors", 8)
CUDA_ROW(dyconv, "tests/goldens/dyconv2d_*.safetensors", 7)
CUDA_ROW(dynamicconv, "tests/goldens/dynamicconv_*.safetensors", 7)
CUDA_ROW(bottleneck, "tests/goldens/bottleneck_*.safetensors", 5)
CUDA_ROW(c2f, "tests/goldens/c2f_n*.safetensors", 5)
CUDA_ROW(c3, "tests/goldens/c3_n*.safetensors", 5)
CUDA_ROW(sppf, "tests/goldens/sppf_*.safetensors", 3)
CUDA_ROW(ghostmodule, "tests/goldens/ghostmodule_*.safetensors", 6)
CUDA_ROW(detect, "tests/goldens/detect_nc*.safetensors", 2)
CUDA_ROW(detect_v5, "tests/goldens/detect_v5_*.safetensors", 4)
CUDA_ROW(dlka_official, "tests/goldens/dlka_official_*.safetensors", 5)
CUDA_ROW(dlka_blog, "tests/goldens/dlka_blog_*.safetensors", 3)
CUDA_ROW(dlka_dcnv3_lka, "tests/goldens/dlka_dcnv3_lka_*.safetensors", 1)
CUDA_ROW(c3_dlka_official, "tests/goldens/c3_dlka_official*.safetensors", 2)
CUDA_ROW(c3_dlka_blog, "tests/goldens/c3_dlka_blog*.safetensors", 2)
CUDA_ROW(c2f_ghost, "tests/goldens/c2f_ghost_*.safetensors", 5)

/* The whole-model graph's glue (Upsample, Concat and Detect copies), as a row's. */
Test(cuda_compile, graph_glue, .timeout = 300)
{
    need_nvcc();
    struct gen_env env;
    struct gen_kernel k;
    char err[ERR_MAX];
    cr_assert_eq(gen_env_init(&env, err, sizeof err), 0, "%s", err);
    cr_assert_eq(cuda_build_glue(&env, CUDA_DEVICE, 0, &k, err, sizeof err), GEN_OK, "%s", err);
    FILE *csv = ptxas_csv(&env, "graph_glue");
    record_ptxas(csv, "graph", "glue", &k);
    fclose(csv);
}

/* Host-emulated builds take harness/cuda_gen.c's precompiled system
 * headers (a .gch beside the header text it writes) and the compiler uses
 * it: the first conv golden's kernel through variant 0, as
 * cuda_goldens/conv builds it (cached: no build of its own). */
Test(cuda_goldens, precompiled_header_used, .timeout = 120)
{
    need_nvcc();
    struct gen_env env;
    char err[ERR_MAX], names[GEN_VARIANTS_MAX][GEN_NAME_MAX], pattern[GEN_PATH_MAX + 64];
    glob_t gl;
    cr_assert_eq(gen_env_init(&env, err, sizeof err), 0, "%s", err);
    cr_assert_eq(glob("tests/goldens/conv_*.safetensors", 0, NULL, &gl), 0, "no conv goldens");
    struct golden g;
    golden_open(gl.gl_pathv[0], &g);
    globfree(&gl);
    variants_of(&env, g.m.op, names);
    struct gen_kernel k;
    cr_assert_eq(
        cuda_build(&env, &g.m.args, g.m.in, names[0], CUDA_HOST_EMU, 1, &k, err, sizeof err),
        GEN_OK, "cuda-host:%s: %s", names[0], err);
    expect_no_pch_warning(&k);
    gen_unload(&k);
    golden_close(&g);
    snprintf(pattern, sizeof pattern, "%s/gen/pch-*/ablate_sys.h", env.build);
    cr_assert_eq(glob(pattern, 0, NULL, &gl), 0, "no %s", pattern);
    int found = 0;
    for (size_t i = 0; i < gl.gl_pathc && !found; i++) {
        char text[512] = "", gch[GEN_PATH_MAX + 80];
        FILE *f = fopen(gl.gl_pathv[i], "r");
        if (!f)
            continue;
        size_t got = fread(text, 1, sizeof text - 1, f);
        text[got] = 0;
        fclose(f);
        snprintf(gch, sizeof gch, "%s.gch", gl.gl_pathv[i]);
        found = strstr(text, "harness/cuda_gen.c") != NULL && access(gch, R_OK) == 0;
    }
    globfree(&gl);
    cr_expect(found, "no host-emulation PCH (%s with a .gch, written by harness/cuda_gen.c)",
              pattern);
}

/* Every row of the op table has a CUDA generator (issue 20's list). */
Test(cuda_variants, every_row_has_a_generator)
{
    struct gen_env env;
    char err[ERR_MAX], names[GEN_VARIANTS_MAX][GEN_NAME_MAX];
    cr_assert_eq(gen_env_init(&env, err, sizeof err), 0, "%s", err);
    for (int i = 0; i < op_count; i++)
        cr_expect_gt(cuda_variants(&env, op_table[i], names, GEN_VARIANTS_MAX, err, sizeof err), 0,
                     "%s: no gen/cuda_%s.lua", op_table[i]->name, op_table[i]->gen);
}

/* A module without a CUDA generator has no variants (parity then says
 * "MODULE has no CUDA generator yet", not a failure): a root without them. */
Test(cuda_variants, absent_generator_is_zero)
{
    struct gen_env env;
    char err[ERR_MAX], names[GEN_VARIANTS_MAX][GEN_NAME_MAX];
    cr_assert_eq(gen_env_init(&env, err, sizeof err), 0, "%s", err);
    snprintf(env.root, sizeof env.root, "%s", "/nonexistent");
    cr_expect_eq(cuda_variants(&env, op_find("deformable_LKA_Attention"), names, GEN_VARIANTS_MAX,
                               err, sizeof err),
                 0);
}
