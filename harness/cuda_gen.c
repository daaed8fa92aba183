/* harness/cuda_gen.c — see cuda_gen.h. */
#include "cuda_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen_cc.h"
#include "tool_run.h"

#define NVCC_DEFAULT "/usr/local/cuda/bin/nvcc"
#define ARGV_MAX 40
#define CXX_WORDS_MAX 8 /* of $CXX; the flags and -I follow in pre[] */
#define OPENBLAS_INC "-I/usr/include/x86_64-linux-gnu/openblas-pthread"

/* First executable NAME in $PATH, into path. */
static int on_path(const char *name, char *path, size_t len)
{
    const char *env = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s", env ? env : "");
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save))
        if (snprintf(path, len, "%s/%s", d, name) < (int)len && access(path, X_OK) == 0)
            return 0;
    return -1;
}

int cuda_find_nvcc(char *path, size_t len, char *err, size_t errlen)
{
    const char *env = getenv("NVCC");
    if (env && *env) {
        snprintf(path, len, "%s", env);
        if (access(path, X_OK) == 0)
            return 0;
        snprintf(err, errlen, "nvcc not found (NVCC=%s is not executable)", env);
        return -1;
    }
    if (on_path("nvcc", path, len) == 0)
        return 0;
    snprintf(path, len, "%s", NVCC_DEFAULT);
    if (access(path, X_OK) == 0)
        return 0;
    snprintf(err, errlen, "nvcc not found (not on PATH, no %s; set NVCC)", NVCC_DEFAULT);
    return -1;
}

/* gen/cuda_<op->gen>.lua, if the module has one. */
static int cuda_script(const struct gen_env *env, const struct op *op, char *script, size_t len)
{
    char path[GEN_PATH_MAX + 96];
    snprintf(script, len, "cuda_%s", op->gen);
    snprintf(path, sizeof path, "%s/gen/%s.lua", env->root, script);
    return access(path, R_OK) == 0 ? 0 : -1;
}

int cuda_variants(const struct gen_env *env, const struct op *op, char names[][GEN_NAME_MAX],
                  int max, char *err, size_t errlen)
{
    char script[GEN_NAME_MAX + 8];
    if (cuda_script(env, op, script, sizeof script) != 0)
        return 0;
    return gen_script_variants(env, script, names, max, err, errlen);
}

/* "80,90" from ABLATE_CUDA_ARCHS, else the default. */
static const char *target_archs(void)
{
    const char *a = getenv("ABLATE_CUDA_ARCHS");
    return a && *a ? a : "80,90";
}

/* Everything a recipe points into. */
struct cuda_cmd {
    char tool[GEN_PATH_MAX];       /* nvcc (device build) */
    char tool_words[GEN_PATH_MAX]; /* $CXX, split into pre[] (host emulation) */
    char id[512];
    char inc[GEN_PATH_MAX + 16];
    char gencode[CUDA_ARCHS_MAX][64];
    char pch[GEN_PATH_MAX + 64]; /* host emulation: the system headers' PCH */
    char *pre[ARGV_MAX], *post[ARGV_MAX];
    int npre, npost;
};

static void add(char **argv, int *n, const char *word)
{
    if (*n < ARGV_MAX - 1)
        argv[(*n)++] = (char *)word;
}

/* c->id = the last useful line of `argv --version` + suffix: nvcc's
 * "Cuda compilation tools, release ...", g++'s first line. */
static int tool_identity(struct cuda_cmd *c, char *const *argv, int release_line,
                         const char *suffix, char *err, size_t errlen)
{
    char out[1024];
    if (tool_run_capture(argv, out, sizeof out) != 0) {
        snprintf(err, errlen, "cannot run %s --version", argv[0]);
        return -1;
    }
    char *last = out, *line = release_line ? strstr(out, "release") : out;
    if (!line) /* the last non-empty line: "Build cuda_13.0.r13.0/..." */
        for (char *p = out; (p = strchr(p, '\n')) && p[1]; p++)
            last = p + 1;
    else
        last = line;
    last[strcspn(last, "\n")] = 0;
    snprintf(c->id, sizeof c->id, "%s %s", last, suffix);
    return 0;
}

/* One -gencode per architecture of ABLATE_CUDA_ARCHS. */
static int add_gencodes(struct cuda_cmd *c, char *err, size_t errlen)
{
    char archs[128];
    snprintf(archs, sizeof archs, "%s", target_archs());
    int n = 0;
    char *save = NULL;
    for (char *a = strtok_r(archs, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
        if (n == CUDA_ARCHS_MAX || strspn(a, "0123456789") != strlen(a) || strlen(a) > 4) {
            snprintf(err, errlen, "ABLATE_CUDA_ARCHS: expected numbers such as 80,90 (got '%s')",
                     target_archs());
            return -1;
        }
        snprintf(c->gencode[n], sizeof c->gencode[n], "arch=compute_%s,code=sm_%s", a, a);
        add(c->pre, &c->npre, "-gencode");
        add(c->pre, &c->npre, c->gencode[n++]);
    }
    return 0;
}

/* The system headers host-emulated sources include (ablate_cuda.h and the
 * templates, under ABLATE_CUDA_HOST_EMU), precompiled once per compiler,
 * flags and CPU (gen_pch_include): they are ~0.1 of the ~0.2 CPU-s of a
 * typical host-emulated build.  All have include guards, so the sources'
 * own #include lines stay as they are. */
static const char EMU_PCH_TEXT[] = "/* do not edit: written by ablate (harness/cuda_gen.c) */\n"
                                   "#include <math.h>\n#include <stddef.h>\n#include <stdint.h>\n"
                                   "#include <cblas.h>\n#include <omp.h>\n";

/* Host emulation: the .cu text as C++ by the host C++ compiler ($CXX, else
 * g++, the compiler nvcc itself hands host code to).  Under
 * -DABLATE_CUDA_HOST_EMU the text is host C++ (ablate_cuda.h maps the CUDA
 * qualifiers away; every __global__ kernel and launch sits behind
 * #ifndef ABLATE_CUDA_HOST_EMU), so nvcc's front end and device passes only
 * cost time there (~1.1 CPU-s a build against ~0.25); the device build keeps
 * nvcc and checks the CUDA side. */
static int emu_recipe(const struct gen_env *env, struct cuda_cmd *c, char *err, size_t errlen)
{
    const char *cxx = getenv("CXX");
    snprintf(c->tool_words, sizeof c->tool_words, "%s", cxx && *cxx ? cxx : "g++");
    c->npre = tool_split_words(c->tool_words, c->pre, CXX_WORDS_MAX);
    if (c->npre == 0) {
        snprintf(err, errlen, "no C++ compiler configured (CXX is empty)");
        return -1;
    }
    char *version[ARGV_MAX + 1];
    memcpy(version, c->pre, (size_t)c->npre * sizeof *version);
    version[c->npre] = "--version";
    version[c->npre + 1] = NULL;
    if (tool_identity(c, version, 0, "host-emulation", err, errlen) != 0)
        return -1;
    snprintf(c->inc, sizeof c->inc, "-I%s/gen/runtime", env->root);
    static const char *const flags[] = {"-x", "c++", "-O3", "-std=c++17", "-shared", "-fPIC",
                                        "-DABLATE_CUDA_HOST_EMU", "-fopenmp", "-march=native",
                                        OPENBLAS_INC};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        add(c->pre, &c->npre, flags[i]);
    add(c->pre, &c->npre, c->inc);
    gen_pch_include(env, EMU_PCH_TEXT, "c++-header", c->id, c->pre, &c->npre, ARGV_MAX - 1, c->pch,
                    sizeof c->pch);
    add(c->post, &c->npost, "-lopenblas");
    add(c->post, &c->npost, "-lgomp");
    return 0;
}

/* Device build: nvcc, one -gencode per target architecture, ptxas -v. */
static int device_recipe(const struct gen_env *env, int cudnn, struct cuda_cmd *c, char *err,
                         size_t errlen)
{
    if (cuda_find_nvcc(c->tool, sizeof c->tool, err, errlen) != 0)
        return -1;
    char *version[] = {c->tool, "--version", NULL}, suffix[160];
    snprintf(suffix, sizeof suffix, "archs=%s device", target_archs());
    if (tool_identity(c, version, 1, suffix, err, errlen) != 0)
        return -1;
    snprintf(c->inc, sizeof c->inc, "-I%s/gen/runtime", env->root);
    static const char *const common[] = {"-x", "cu", "-O3", "-std=c++17", "-shared",
                                         "-Xcompiler", "-fPIC"};
    add(c->pre, &c->npre, c->tool);
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        add(c->pre, &c->npre, common[i]);
    add(c->pre, &c->npre, c->inc);
    if (add_gencodes(c, err, errlen) != 0)
        return -1;
    add(c->pre, &c->npre, "-Xptxas");
    add(c->pre, &c->npre, "-v");
    add(c->post, &c->npost, "-cudart");
    add(c->post, &c->npost, "shared");
    add(c->post, &c->npost, "-lcublas");
    if (cudnn)
        add(c->post, &c->npost, "-lcudnn");
    return 0;
}

static int cuda_recipe(const struct gen_env *env, enum cuda_build mode, int load, int cudnn,
                       struct cuda_cmd *c, struct gen_recipe *r, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if ((mode == CUDA_HOST_EMU ? emu_recipe(env, c, err, errlen)
                               : device_recipe(env, cudnn, c, err, errlen)) != 0)
        return -1;
    *r = (struct gen_recipe){.ext = "cu", .pre = c->pre, .npre = c->npre, .post = c->post,
                             .npost = c->npost, .id = c->id, .hash_cpu = mode == CUDA_HOST_EMU,
                             .load = load};
    return 0;
}

enum gen_status cuda_build(const struct gen_env *env, const struct args *a, struct shape4 in,
                           const char *variant, enum cuda_build mode, int load,
                           struct gen_kernel *k, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    char script[GEN_NAME_MAX + 8];
    if (cuda_script(env, a->op, script, sizeof script) != 0) {
        snprintf(err, errlen, "%s has no CUDA generator (gen/%s.lua)", a->op->name, script);
        return GEN_ERR_RENDER;
    }
    char *src = gen_render_script(env, script, a, in, variant, err, errlen);
    if (!src)
        return GEN_ERR_RENDER;
    struct cuda_cmd cmd;
    struct gen_recipe r;
    /* only a kernel that calls cuDNN links it: a machine may lack it */
    if (cuda_recipe(env, mode, load, strstr(src, "#include <cudnn.h>") != NULL, &cmd, &r, err,
                    errlen) != 0) {
        free(src);
        return GEN_ERR_COMPILE;
    }
    enum gen_status st = gen_cache_build(env, src, &r, k, err, errlen);
    free(src);
    return st;
}

/* The whole text of path, malloc'ed; NULL and err when it cannot be read. */
static char *read_text(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long len = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (text = malloc((size_t)len + 1)) && fread(text, 1, (size_t)len, f) == (size_t)len)
        text[len] = 0;
    else {
        free(text);
        text = NULL;
        snprintf(err, errlen, "cannot read %s", path);
    }
    if (f)
        fclose(f);
    return text;
}

enum gen_status cuda_build_glue(const struct gen_env *env, enum cuda_build mode, int load,
                                struct gen_kernel *k, char *err, size_t errlen)
{
    char path[GEN_PATH_MAX + 64];
    memset(k, 0, sizeof *k);
    snprintf(path, sizeof path, "%s/gen/runtime/ablate_cuda_graph.cu", env->root);
    char *src = read_text(path, err, errlen);
    if (!src)
        return GEN_ERR_RENDER;
    struct cuda_cmd cmd;
    struct gen_recipe r;
    enum gen_status st = GEN_ERR_COMPILE;
    if (cuda_recipe(env, mode, load, 0, &cmd, &r, err, errlen) == 0)
        st = gen_cache_build(env, src, &r, k, err, errlen);
    free(src);
    return st;
}
