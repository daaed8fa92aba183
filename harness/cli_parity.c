/* harness/cli_parity.c — `ablate parity`: checks every implementation of a
 * module against outputs PyTorch produced (DESIGN.md's parity contract).
 * Pass = MODULES.md 0.2: every element within 1e-4 (1 + |y_ref|). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffers.h"
#include "cli.h"
#include "cli_parity.h"
#include "gen.h"
#include "instance.h"
#include "onednn_block.h"
#include "parity.h"
#include "safetensors.h"

void openblas_set_num_threads(int n);

struct parity_args {
    const char *weights, *input, *expect;
    int threads;
    int backends;      /* PARITY_* mask */
    int gen_opt;       /* the generated kernels' -O level (gen.h gen_env_check_opt) */
    int n_module;      /* argv[0 .. n_module) = MODULE key=value ... */
    char *module[64];
};

/* A check, not a timing: ABLATE_GEN_OPT may build the generated kernels
 * cheaper (gen.h).  Read with the arguments, so that a bad value is one
 * message and exit status 2 before any file is read or kernel built. */
static int parse_gen_opt(struct parity_args *a, char *err, size_t errlen)
{
    struct gen_env probe = {.opt_level = 3};
    if (gen_env_check_opt(&probe, err, errlen) != 0)
        return -1;
    a->gen_opt = probe.opt_level;
    return 0;
}

static int parse(int argc, char **argv, struct parity_args *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->threads = 1;
    a->backends = PARITY_REF | PARITY_GEN | PARITY_ONEDNN | PARITY_CUDA_HOST | PARITY_CUDA;
    for (int i = 0; i < argc; i++) {
        const char **dst = !strcmp(argv[i], "--weights") ? &a->weights
                         : !strcmp(argv[i], "--input")   ? &a->input
                         : !strcmp(argv[i], "--expect")  ? &a->expect : NULL;
        if (dst && i + 1 < argc)
            *dst = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            a->threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--backends") && i + 1 < argc) {
            if (parity_backends(argv[++i], &a->backends, err, errlen) != 0)
                return -1;
        }
        else if (argv[i][0] == '-' || a->n_module == 60) {
            snprintf(err, errlen, "parity: unknown or incomplete option '%s'", argv[i]);
            return -1;
        } else
            a->module[a->n_module++] = argv[i];
    }
    if (!a->weights || !a->input || !a->expect || a->n_module < 1 || a->threads < 1) {
        snprintf(err, errlen, "usage: ablate %s", cli_synopsis("parity"));
        return -1;
    }
    return parse_gen_opt(a, err, errlen);
}

/* Tensor `name` of file f, float32, with the expected NCHW shape (a
 * detection head's output [N, C, 1, A] may come as PyTorch's [N, C, A]). */
static const float *tensor_nchw(const struct st_file *f, const char *path, const char *name,
                                struct shape4 want, char *err, size_t errlen)
{
    const struct st_tensor *t = st_find(f, name);
    if (!t) {
        snprintf(err, errlen, "%s: missing tensor '%s'", path, name);
        return NULL;
    }
    int flat = t->ndim == 3 && want.h == 1;
    if (t->dtype != ST_F32 || (t->ndim != 4 && !flat) || t->shape[0] != want.n || t->shape[1] != want.c ||
        (flat ? t->shape[2] != want.w : t->shape[2] != want.h || t->shape[3] != want.w)) {
        snprintf(err, errlen, "%s: tensor '%s' must be F32 [%d, %d, %d, %d]", path, name, want.n,
                 want.c, want.h, want.w);
        return NULL;
    }
    return t->data;
}

/* A detection head's input: one map per level, x0, x1, ..., each
 * checked against the shape the row derives (level l: ch<l> channels,
 * level l-1's size halved, rounded up) and packed one after another as
 * the kernels take them (kernels/detect.c).  NULL and err on a mismatch. */
static float *pack_levels(const struct st_file *xf, const char *path, const struct instance *m,
                          int64_t *n, char *err, size_t errlen)
{
    enum { LEVELS_MAX = 4 };
    const float *lv[LEVELS_MAX];
    struct shape4 s = m->in;
    int nl = 0;
    *n = 0;
    for (int l = 0; l < LEVELS_MAX; l++) {
        char name[8], key[8];
        snprintf(name, sizeof name, "x%d", l);
        snprintf(key, sizeof key, "ch%d", l);
        if ((s.c = arg_geti(&m->args, key)) < 1)
            break;
        if (!(lv[l] = tensor_nchw(xf, path, name, s, err, errlen)))
            return NULL;
        *n += (int64_t)s.n * s.c * s.h * s.w, nl++;
        s.h = (s.h + 1) / 2, s.w = (s.w + 1) / 2;
    }
    float *x = buf_alloc(*n), *at = x;
    for (int l = 0, h = m->in.h, w = m->in.w; x && l < nl; l++, h = (h + 1) / 2, w = (w + 1) / 2) {
        snprintf(err, errlen, "ch%d", l);
        int64_t len = (int64_t)m->in.n * arg_geti(&m->args, err) * h * w;
        memcpy(at, lv[l], (size_t)len * sizeof *x);
        at += len;
    }
    if (!x)
        snprintf(err, errlen, "out of memory for the levels");
    return x;
}

/* The input tensor (a head's level 0, x0) fixes batch, h and w: append
 * them to the module's arguments. */
static int build_instance(struct parity_args *a, const struct st_file *xf, struct instance *m,
                          char *err, size_t errlen)
{
    const struct st_tensor *x = st_find(xf, "x") ? st_find(xf, "x") : st_find(xf, "x0");
    if (!x || x->ndim != 4) {
        snprintf(err, errlen, "%s: expected a 4-d tensor 'x' (NCHW; a detection head: x0, x1, ...)",
                 a->input);
        return -1;
    }
    char dims[3][32];
    snprintf(dims[0], 32, "batch=%lld", (long long)x->shape[0]);
    snprintf(dims[1], 32, "h=%lld", (long long)x->shape[2]);
    snprintf(dims[2], 32, "w=%lld", (long long)x->shape[3]);
    for (int i = 0; i < 3; i++)
        a->module[a->n_module++] = dims[i];
    /* a head is not runnable on one map; with its levels it is */
    int levels = !st_find(xf, "x");
    if (instance_parse(m, a->n_module, a->module, err, errlen) != 0 ||
        (!levels && instance_runnable(m, err, errlen) != 0))
        return -1;
    if (x->shape[1] != m->in.c) {
        snprintf(err, errlen, "%s: tensor '%s' has %lld channels, %s expects %d", a->input,
                 st_find(xf, "x") ? "x" : "x0", (long long)x->shape[1], m->op->name, m->in.c);
        return -1;
    }
    return 0;
}

static int check_generated(const struct instance *m, const struct weightset *ws, const float *x,
                           const float *expect, float *y, int64_t ny, int threads, int opt_level)
{
    struct gen_env env;
    char err[ERR_MAX], names[GEN_VARIANTS_MAX][GEN_NAME_MAX];
    int all_ok = 1;
    if (gen_env_init(&env, err, sizeof err) != 0) {
        printf("gen:*        not run: %s\n", err);
        return 0;
    }
    env.opt_level = opt_level;
    int n = gen_variants(&env, m->op, names, GEN_VARIANTS_MAX, err, sizeof err);
    if (n < 0)
        printf("gen:*        not run: %s\n", err);
    openblas_set_num_threads(1);
    for (int i = 0; i < n; i++) {
        char impl[64];
        struct gen_kernel k;
        snprintf(impl, sizeof impl, "gen:%s", names[i]);
        if (gen_build(&env, &m->args, m->in, names[i], &k, err, sizeof err) != GEN_OK) {
            printf("%-12s FAIL  (%s)\n", impl, err);
            all_ok = 0;
            continue;
        }
        float *wsp = buf_alloc(k.info->workspace_floats * threads);
        buf_fill_nan(y, ny);
        k.forward((const float *const *)ws->ptr, x, y, wsp, threads);
        all_ok &= parity_report_line(impl, y, expect, ny);
        buf_free(wsp, k.info->workspace_floats * threads);
        gen_unload(&k);
    }
    return all_ok;
}

/* The row on oneDNN primitives (Conv, Bottleneck, C2f, SPPF), where it has
 * a lowering; nothing printed for other rows. */
static int check_onednn(const struct instance *m, const struct weightset *ws, const float *x,
                        const float *expect, float *y, int64_t ny, int threads)
{
    struct dnn_block b;
    char err[ERR_MAX];
    if (!dnn_block_supports(m->op))
        return 1;
    const char *why_not = dnn_block_unsupported(m->op, m->in);
    if (why_not) {
        printf("%-12s skipped (%s)\n", "onednn", why_not);
        return 1;
    }
    if (dnn_block_create(&b, m->op, &m->args, m->in, (const float *const *)ws->ptr, threads,
                         DNN_AUTO, err, sizeof err) != 0) {
        printf("%-12s FAIL  (%s)\n", "onednn", err);
        return 0;
    }
    buf_fill_nan(y, ny);
    dnn_block_run(&b, x, y);
    int ok = !dnn_block_failed(&b) && parity_report_line("onednn", y, expect, ny);
    dnn_block_free(&b);
    return ok;
}

/* Everything after the argument parse; the caller frees xf, yf, ws
 * (zeroed first) and *levels, so a bad-input return leaks nothing. */
static int parity_checks(struct parity_args *a, struct st_file *xf, struct st_file *yf,
                         struct weightset *ws, float **levels, int64_t *nlevels)
{
    struct instance m;
    char err[ERR_MAX];
    if (st_read(a->input, xf, err, sizeof err) != 0 || build_instance(a, xf, &m, err, sizeof err) != 0 ||
        weights_alloc(ws, &m, err, sizeof err) != 0 || weights_load(ws, &m, a->weights, err, sizeof err) != 0 ||
        st_read(a->expect, yf, err, sizeof err) != 0)
        return cli_bad_input(err);
    const float *x = st_find(xf, "x") ? tensor_nchw(xf, a->input, "x", m.in, err, sizeof err)
                                      : (*levels = pack_levels(xf, a->input, &m, nlevels, err, sizeof err));
    /* a row with layout=nhwc (DCNv3) returns B x H x W x C, as PyTorch does */
    int layout = arg_index(m.op, "layout");
    char layout_text[16] = "";
    if (layout >= 0)
        arg_value_text(&m.args, layout, layout_text, sizeof layout_text);
    struct shape4 yshape = strcmp(layout_text, "nhwc") == 0
                               ? (struct shape4){m.out.n, m.out.h, m.out.w, m.out.c}
                               : m.out;
    const float *expect = x ? tensor_nchw(yf, a->expect, "y", yshape, err, sizeof err) : NULL;
    if (!expect)
        return cli_bad_input(err);
    int64_t ny = (int64_t)m.out.n * m.out.c * m.out.h * m.out.w;
    float *y = buf_alloc(ny);
    if (!y)
        return cli_bad_input("out of memory");
    buf_fill_nan(y, ny);
    m.op->forward_ref(&m.args, m.in, (const float *const *)ws->ptr, x, y);
    int ok = 1;
    if (a->backends & PARITY_REF)
        ok &= parity_report_line("ref", y, expect, ny);
    if (a->backends & PARITY_GEN)
        ok &= check_generated(&m, ws, x, expect, y, ny, a->threads, a->gen_opt);
    if (a->backends & PARITY_ONEDNN)
        ok &= check_onednn(&m, ws, x, expect, y, ny, a->threads);
    if (a->backends & (PARITY_CUDA_HOST | PARITY_CUDA))
        ok &= parity_check_cuda(&m, ws, x, expect, y, ny, a->threads, a->backends);
    buf_free(y, ny);
    return ok ? EXIT_OK : EXIT_FAILED;
}

int cli_parity(int argc, char **argv)
{
    struct parity_args a;
    struct st_file xf = {0}, yf = {0};
    struct weightset ws = {0};
    char err[ERR_MAX];
    if (parse(argc, argv, &a, err, sizeof err) != 0)
        return cli_bad_input(err);
    float *levels = NULL;
    int64_t nlevels = 0;
    int rc = parity_checks(&a, &xf, &yf, &ws, &levels, &nlevels);
    if (levels)
        buf_free(levels, nlevels);
    weights_free(&ws);
    st_free(&xf);
    st_free(&yf);
    return rc;
}
