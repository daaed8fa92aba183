/* tests/test_goldens.c — the scalar references (and the generated
 * variants) against outputs PyTorch computed: tests/goldens/NAME.safetensors,
 * made by scripts/torch_golden.py from the official semantics (and the blog
 * variant where it differs).  Every file holds the state_dict, `x`, `y` and
 * metadata naming the module and its constructor arguments; a detection
 * head's file holds one input per level, `x0`, `x1`, ... instead of `x`
 * (scripts/torchref/detect_v5.py), packed here one after another as the rows
 * read them.
 *
 * Every golden runs the scalar reference (and oneDNN where it lowers the
 * row); the generated variants take the goldens in turn, file i running
 * variant i mod n, so each variant meets PyTorch's numbers on at least one
 * golden (asserted) and each golden one variant.  Running every variant on
 * every golden built each kernel shape n times over, most of this suite's
 * time on a cold cache; the gen_* suites check every variant against the
 * reference at many more shapes, and the reference meets every golden.
 *
 * These are the -O3 set: `make test` builds the gen_* suites' and `ablate
 * parity`'s kernels at -O1 (ABLATE_GEN_OPT, scripts/run_tests.sh), these at
 * -O3 whatever it says, the level sweeps build.  So every module of the op
 * table and every variant of it (a superset of what its sweeps run) is
 * built -O3 and checked against PyTorch on every run;
 * goldens/o3_set_covers_every_module_and_variant fails when a module has no
 * row and Test here or fewer goldens than variants. */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffers.h"
#include "golden_util.h"
#include "gen.h"
#include "instance.h"
#include "onednn_block.h"
#include "parity.h"
#include "safetensors.h"

void openblas_set_num_threads(int n);

/* The generated kernels' environment: gen_env_init's -O3, the level
 * sweeps run; ABLATE_GEN_OPT is not read here (gen.h gen_env_check_opt). */
static struct gen_env o3_env(void)
{
    struct gen_env env;
    char err[ERR_MAX];
    cr_assert_eq(gen_env_init(&env, err, sizeof err), 0, "%s", err);
    cr_assert_eq(env.opt_level, 3);
    return env;
}

/* impl=onednn (harness/onednn_block.c) on the same golden: both activation
 * layouts, 1 and 2 threads, within the row's tolerance. */
static void check_onednn(const struct instance *m, const struct weightset *ws, const float *x,
                         const float *expect, float *out, int64_t ny, const char *path)
{
    static const enum dnn_layout layouts[] = {DNN_PLAIN, DNN_BLOCKED};
    char err[ERR_MAX];
    for (int l = 0; l < 2; l++)
        for (int threads = 1; threads <= 2; threads++) {
            struct dnn_block b;
            struct parity p;
            cr_assert_eq(dnn_block_create(&b, m->op, &m->args, m->in, (const float *const *)ws->ptr,
                                          threads, layouts[l], err, sizeof err), 0, "%s: %s", path, err);
            buf_fill_nan(out, ny);
            dnn_block_run(&b, x, out);
            cr_expect(!dnn_block_failed(&b), "%s: a oneDNN call failed", path);
            parity_compare(out, expect, ny, &p);
            cr_expect(p.n_bad == 0 && p.n_nonfinite == 0 && p.nmse <= m->op->tol_nmse,
                      "%s: onednn layout %d t%d: max_rel %.3g, %lld bad, nmse %.3g", path, l, threads,
                      p.max_rel, (long long)p.n_bad, p.nmse);
            dnn_block_free(&b);
        }
}

/* The golden at path: the reference, oneDNN, and generated variant
 * (file_index mod the variant count) at 1 and 2 threads; sets bit v of
 * *variants_checked for the variant it ran and *n_variants to the count. */
static void check_file(const char *path, int file_index, unsigned *variants_checked,
                       int *n_variants)
{
    struct st_file f;
    struct instance m;
    struct weightset ws;
    char err[ERR_MAX];
    cr_assert_eq(st_read(path, &f, err, sizeof err), 0, "%s", err);
    cr_assert_eq(golden_instance(&f, &m, err, sizeof err), 0, "%s: %s", path, err);
    cr_assert_eq(weights_alloc(&ws, &m, err, sizeof err), 0, "%s", err);
    cr_assert_eq(weights_load(&ws, &m, path, err, sizeof err), 0, "%s", err);
    const struct st_tensor *x1 = st_find(&f, "x"), *y = st_find(&f, "y");
    int64_t nx = 0;
    float *packed = x1 ? NULL : pack_levels(&f, &m, path, &nx);
    const float *x = x1 ? x1->data : packed;
    int64_t ny = (int64_t)m.out.n * m.out.c * m.out.h * m.out.w;
    cr_assert(y && y->numel == ny, "%s: y has the wrong size", path);
    float *out = buf_alloc(ny);
    buf_fill_nan(out, ny);
    m.op->forward_ref(&m.args, m.in, (const float *const *)ws.ptr, x, out);
    struct parity p;
    parity_compare(out, y->data, ny, &p);
    cr_expect(p.n_bad == 0 && p.n_nonfinite == 0, "%s: ref: max_rel %.3g, %lld bad, nmse %.3g", path,
              p.max_rel, (long long)p.n_bad, p.nmse);
    cr_expect(!p.mistrusted, "%s: the golden output is constant", path);

    struct gen_env env = o3_env();
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX];
    int nv = gen_variants(&env, m.op, names, GEN_VARIANTS_MAX, err, sizeof err);
    cr_assert(nv > 0, "%s", err);
    int v = file_index % nv;
    *variants_checked |= 1u << v;
    *n_variants = nv;
    for (int threads = 1; threads <= 2; threads++) {
        struct gen_kernel k;
        cr_assert_eq(gen_build(&env, &m.args, m.in, names[v], &k, err, sizeof err), GEN_OK, "%s", err);
        float *wsp = buf_alloc(k.info->workspace_floats * threads);
        buf_fill_nan(out, ny);
        k.forward((const float *const *)ws.ptr, x, out, wsp, threads);
        parity_compare(out, y->data, ny, &p);
        cr_expect(p.n_bad == 0 && p.n_nonfinite == 0, "%s: gen:%s t%d: max_rel %.3g, %lld bad", path,
                  names[v], threads, p.max_rel, (long long)p.n_bad);
        buf_free(wsp, k.info->workspace_floats * threads);
        gen_unload(&k);
    }
    /* oneDNN lowers single-input rows; its Detect runs batch 1 only and the
     * head goldens are batch 2 (tests/test_onednn.c checks it at batch 1) */
    if (x1 && dnn_block_supports(m.op))
        check_onednn(&m, &ws, x, y->data, out, ny, path);
    buf_free(out, ny);
    if (packed)
        buf_free(packed, nx);
    weights_free(&ws);
    st_free(&f);
}

/* The goldens of each module, by its generator's name (op->gen): the -O3
 * set.  min_files guards against goldens lost from the folder. */
static const struct golden_row {
    const char *gen, *pattern;
    int min_files;
} golden_rows[] = {
    {"conv", "tests/goldens/conv_*.safetensors", 5},
    {"akconv", "tests/goldens/akconv_*.safetensors", 10},
    {"acmix", "tests/goldens/acmix_*.safetensors", 8},
    {"bottleneck", "tests/goldens/bottleneck_*.safetensors", 5},
    {"c2f", "tests/goldens/c2f_n*.safetensors", 5},
    {"dyconv", "tests/goldens/dyconv2d_*.safetensors", 7},
    {"dynamicconv", "tests/goldens/dynamicconv_*.safetensors", 7},
    {"ghostmodule", "tests/goldens/ghostmodule_*.safetensors", 6},
    {"c2f_ghost", "tests/goldens/c2f_ghost_*.safetensors", 5},
    {"c3", "tests/goldens/c3_n*.safetensors", 5},
    {"dlka", "tests/goldens/dlka_*.safetensors", 9},
    {"c3_dlka", "tests/goldens/c3_dlka_*.safetensors", 4},
    {"dcnv3", "tests/goldens/dcnv3_*.safetensors", 8},
    {"sppf", "tests/goldens/sppf_*.safetensors", 3},
    {"detect", "tests/goldens/detect_n*.safetensors", 2},
    {"detect_v5", "tests/goldens/detect_v5_*.safetensors", 4},
};

static const struct golden_row *golden_row(const char *gen)
{
    for (size_t i = 0; i < sizeof golden_rows / sizeof golden_rows[0]; i++)
        if (strcmp(golden_rows[i].gen, gen) == 0)
            return &golden_rows[i];
    return NULL;
}

static void check_module(const char *gen)
{
    const struct golden_row *row = golden_row(gen);
    cr_assert_not_null(row, "no golden row for %s", gen);
    const char *pattern = row->pattern;
    int min_files = row->min_files;
    glob_t g;
    unsigned checked = 0;
    int nv = 0;
    openblas_set_num_threads(1);
    cr_assert_eq(glob(pattern, 0, NULL, &g), 0, "no goldens match %s", pattern);
    cr_expect((int)g.gl_pathc >= min_files, "%zu goldens for %s", g.gl_pathc, pattern);
    for (size_t i = 0; i < g.gl_pathc; i++)
        check_file(g.gl_pathv[i], (int)i, &checked, &nv);
    cr_expect_eq(checked, (1u << nv) - 1, "%s: variants met a golden: mask %#x of %d variants",
                 pattern, checked, nv);
    globfree(&g);
}

Test(goldens, conv, .timeout = 300) { check_module("conv"); }

Test(goldens, akconv, .timeout = 300) { check_module("akconv"); }

Test(goldens, acmix, .timeout = 300) { check_module("acmix"); }

Test(goldens, bottleneck, .timeout = 300) { check_module("bottleneck"); }

Test(goldens, c2f, .timeout = 300) { check_module("c2f"); }

Test(goldens, dyconv, .timeout = 300) { check_module("dyconv"); }

Test(goldens, dynamicconv, .timeout = 300) { check_module("dynamicconv"); }

Test(goldens, ghostmodule, .timeout = 300) { check_module("ghostmodule"); }

/* C2f and C3 read c2f_n*, c3_n*: c2f_ghost_*, c3_dlka_* are their own rows' */
Test(goldens, c2f_ghost, .timeout = 300) { check_module("c2f_ghost"); }
Test(goldens, c3, .timeout = 300) { check_module("c3"); }

Test(goldens, dlka, .timeout = 300) { check_module("dlka"); }

Test(goldens, c3_dlka, .timeout = 300) { check_module("c3_dlka"); }

Test(goldens, dcnv3, .timeout = 300) { check_module("dcnv3"); }

Test(goldens, sppf, .timeout = 300) { check_module("sppf"); }

/* The heads take one map per level (x0, x1, ...): YOLOv8's Detect (DFL) and
 * YOLOv5's anchor head; detect_n* leaves detect_v5_* to its own row. */
Test(goldens, detect, .timeout = 300) { check_module("detect"); }
Test(goldens, detect_v5, .timeout = 300) { check_module("detect_v5"); }

/* Each golden file's module (its metadata) is op; their count. */
static int goldens_of(const struct golden_row *row, const struct op *op)
{
    glob_t g;
    char err[ERR_MAX];
    cr_assert_eq(glob(row->pattern, 0, NULL, &g), 0, "no goldens match %s", row->pattern);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct st_file f;
        cr_assert_eq(st_read(g.gl_pathv[i], &f, err, sizeof err), 0, "%s", err);
        const char *module = st_meta(&f, "module");
        cr_expect(module && op_find(module) == op, "%s: module %s, not %s", g.gl_pathv[i],
                  module ? module : "(none)", op->name);
        st_free(&f);
    }
    int n = (int)g.gl_pathc;
    globfree(&g);
    return n;
}

/* 1 if this file has a Test that calls check_module("gen"). */
static int has_test_of(const char *gen)
{
    static char text[32768];
    FILE *f = fopen("tests/test_goldens.c", "r");
    cr_assert_not_null(f, "tests/test_goldens.c: run from the repository root");
    size_t got = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[got] = 0;
    char call[64];
    snprintf(call, sizeof call, "{ check_module(\"%s\"); }", gen);
    return strstr(text, call) != NULL;
}

/* The -O3 set covers what sweeps build: every module of the op table has a
 * row above and a Test that checks it, with at least as
 * many goldens as its generator has variants (file i runs variant i mod
 * n, so each variant meets a golden; check_module asserts it), and the
 * goldens' kernels stay -O3 when the test run asks the others for less. */
Test(goldens, o3_set_covers_every_module_and_variant)
{
    cr_assert_eq(setenv(GEN_OPT_ENV, "2", 1), 0);
    struct gen_env env = o3_env();
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], err[ERR_MAX];
    for (int i = 0; i < op_count; i++) {
        const struct op *op = op_table[i];
        const struct golden_row *row = golden_row(op->gen);
        cr_expect(row && has_test_of(op->gen),
                  "%s has no goldens/* row and Test: no -O3 check of its kernels", op->name);
        if (!row)
            continue;
        int nv = gen_variants(&env, op, names, GEN_VARIANTS_MAX, err, sizeof err);
        cr_assert(nv > 0, "%s: %s", op->name, err);
        int sweep = gen_sweep_variants(&env, op, names, GEN_VARIANTS_MAX, err, sizeof err);
        cr_expect(sweep > 0 && sweep <= nv, "%s: %d sweep variants of %d", op->name, sweep, nv);
        int files = goldens_of(row, op);
        cr_expect(files >= nv && files >= row->min_files,
                  "%s: %d goldens for %d variants (at least %d expected)", op->name, files, nv,
                  row->min_files);
    }
}
