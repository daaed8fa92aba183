/* kernels/c2f.c — the C2f block shared by C2f-shaped rows (kernels/c2f.h)
 * and the ultralytics C2f row itself (CSP bottleneck, two convs, n
 * Bottlenecks, every intermediate concatenated; MODULES.md 3.3).  Composed
 * from the Conv and block rows so counts, keys and reference follow theirs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bottleneck.h"
#include "c2f.h"

/* ------------------------------------------------------------ the block */

void csp2_cfg(struct csp2 *s, const struct args *a)
{
    double eps = arg_get(a, "bn_eps");
    memset(s, 0, sizeof *s);
    s->c1 = arg_geti(a, "c1");
    s->c2 = arg_geti(a, "c2");
    s->n = arg_geti(a, "n");
    s->c = (int)((double)s->c2 * arg_get(a, "e")); /* Python's int() */
    conv_sub_args(&s->cv1, s->c1, 2 * s->c, 1, 1, eps);
    conv_sub_args(&s->cv2, (2 + s->n) * s->c, s->c2, 1, 1, eps);
}

int csp2_n_max(const struct csp2 *s)
{
    return (WEIGHTS_MAX - CSP2_OUTER_WEIGHTS) / op_weight_count(s->block, &s->m);
}

static struct shape4 with_c(struct shape4 s, int c) { return (struct shape4){s.n, c, s.h, s.w}; }

int64_t csp2_params(const struct csp2 *s)
{
    return op_conv.params(&s->cv1) + op_conv.params(&s->cv2) + s->n * s->block->params(&s->m);
}

int64_t csp2_flops_thop(const struct csp2 *s, struct shape4 in)
{
    return op_conv.flops_thop(&s->cv1, in) + op_conv.flops_thop(&s->cv2, with_c(in, (2 + s->n) * s->c)) +
           s->n * s->block->flops_thop(&s->m, with_c(in, s->c));
}

int64_t csp2_flops_full(const struct csp2 *s, struct shape4 in)
{
    return op_conv.flops_full(&s->cv1, in) + op_conv.flops_full(&s->cv2, with_c(in, (2 + s->n) * s->c)) +
           s->n * s->block->flops_full(&s->m, with_c(in, s->c));
}

void csp2_weights(const struct csp2 *s, struct weight_list *wl)
{
    struct weight_list sub;
    char prefix[32];
    wl->n = 0;
    op_conv.weights(&s->cv1, &sub);
    wl_append(wl, "cv1.", &sub);
    op_conv.weights(&s->cv2, &sub);
    wl_append(wl, "cv2.", &sub);
    s->block->weights(&s->m, &sub);
    for (int i = 0; i < s->n; i++) {
        snprintf(prefix, sizeof prefix, "m.%d.", i);
        wl_append(wl, prefix, &sub);
    }
}

int64_t csp2_bytes(const struct csp2 *s, struct shape4 in)
{
    struct weight_list wl;
    csp2_weights(s, &wl);
    int64_t hw = (int64_t)in.h * in.w;
    return 4 * ((int64_t)in.n * s->c1 * hw + (int64_t)in.n * s->c2 * hw + weights_total_floats(&wl));
}

/* Offsets of cv2's and m[0]'s first weight pointer; m[i] follows m[i-1]. */
struct csp2_offs {
    int cv2, m0, m_step;
};

static struct csp2_offs csp2_offs(const struct csp2 *s)
{
    int n1 = op_weight_count(&op_conv, &s->cv1), n2 = op_weight_count(&op_conv, &s->cv2);
    return (struct csp2_offs){n1, n1 + n2, op_weight_count(s->block, &s->m)};
}

void csp2_init(const struct csp2 *s, enum init_mode mode, struct rng *r, float *const *w)
{
    struct csp2_offs o = csp2_offs(s);
    op_conv.init(&s->cv1, mode, r, w);
    op_conv.init(&s->cv2, mode, r, w + o.cv2);
    for (int i = 0; i < s->n; i++)
        s->block->init(&s->m, mode, r, w + o.m0 + i * o.m_step);
}

/* Copies nc channels between two batched NCHW tensors of different widths:
 * dst[b][dc0 + k] = src[b][sc0 + k] for k < nc. */
static void copy_channels(float *dst, int dst_c, int dc0, const float *src, int src_c, int sc0,
                          int nc, int batch, int64_t hw)
{
    for (int b = 0; b < batch; b++)
        memcpy(dst + ((int64_t)b * dst_c + dc0) * hw, src + ((int64_t)b * src_c + sc0) * hw,
               sizeof(float) * (size_t)(nc * hw));
}

void csp2_forward_ref(const struct csp2 *s, struct shape4 in, const float *const *w, const float *x,
                      float *y)
{
    struct csp2_offs o = csp2_offs(s);
    int ccat = (2 + s->n) * s->c;
    int64_t hw = (int64_t)in.h * in.w;
    float *cat = ref_alloc((int64_t)in.n * ccat * hw);
    float *t = ref_alloc((int64_t)in.n * 2 * s->c * hw);
    float *mid = ref_alloc((int64_t)in.n * s->c * hw);
    op_forward_sub(&op_conv, &s->cv1, in, w, 0, x, t);
    copy_channels(cat, ccat, 0, t, 2 * s->c, 0, 2 * s->c, in.n, hw); /* y0, y1 = chunk(2) */
    for (int i = 0; i < s->n; i++) {
        /* m[i] reads y_{i+1} (the last chunk so far) and writes y_{i+2} */
        copy_channels(t, s->c, 0, cat, ccat, (i + 1) * s->c, s->c, in.n, hw);
        op_forward_sub(s->block, &s->m, with_c(in, s->c), w, o.m0 + i * o.m_step, t, mid);
        copy_channels(cat, ccat, (i + 2) * s->c, mid, s->c, 0, s->c, in.n, hw);
    }
    op_forward_sub(&op_conv, &s->cv2, with_c(in, ccat), w, o.cv2, cat, y);
    free(mid);
    free(t);
    free(cat);
}

void csp2_model_counts(const struct csp2 *s, struct shape4 in, struct model_counts *mc)
{
    mc->modules += 2; /* the block itself and the ModuleList m */
    op_conv.model_counts(&s->cv1, in, mc);
    op_conv.model_counts(&s->cv2, with_c(in, (2 + s->n) * s->c), mc);
    for (int i = 0; i < s->n; i++)
        s->block->model_counts(&s->m, with_c(in, s->c), mc);
}

/* -------------------------------------------------------------- the row */

static const struct arg_spec c2f_schema[] = {
    {"c1", ARG_INT, NULL, NULL, "input channels"},
    {"c2", ARG_INT, NULL, NULL, "output channels"},
    {"n", ARG_INT, "1", NULL, "Bottlenecks"},
    {"shortcut", ARG_BOOL, "0", NULL, "residual add inside each Bottleneck"},
    {"g", ARG_INT, "1", NULL, "groups of each Bottleneck's cv2"},
    {"e", ARG_FLOAT, "0.5", NULL, "hidden width c = int(c2 * e)"},
    {"bn_eps", ARG_FLOAT, "1e-5", NULL, "BatchNorm eps (1e-3 inside a YAML model)"},
    {NULL, 0, NULL, NULL, NULL},
};

static struct csp2 c2f_cfg(const struct args *a)
{
    struct csp2 s;
    csp2_cfg(&s, a);
    s.block = &op_bottleneck;
    bottleneck_sub_args(&s.m, s.c, s.c, arg_geti(a, "shortcut"), arg_geti(a, "g"), 3, 1.0,
                        arg_get(a, "bn_eps"));
    return s;
}

static struct shape4 c2f_out_shape(const struct args *a, struct shape4 in)
{
    return (struct shape4){in.n, arg_geti(a, "c2"), in.h, in.w};
}

static int c2f_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    struct csp2 s = c2f_cfg(a);
    int g = arg_geti(a, "g");
    if (s.c1 < 1 || s.c2 < 1 || g < 1 || s.c < 1) {
        snprintf(err, errlen, "C2f: c1, c2, g and int(c2 * e) must be >= 1");
        return -1;
    }
    if (s.n < 1 || s.n > csp2_n_max(&s)) {
        snprintf(err, errlen, "C2f: n must be in 1..%d", csp2_n_max(&s));
        return -1;
    }
    if (s.c % g) {
        snprintf(err, errlen, "C2f: hidden channels %d must be divisible by groups %d", s.c, g);
        return -1;
    }
    return 0;
}

static int64_t c2f_flops_thop(const struct args *a, struct shape4 in)
{
    struct csp2 s = c2f_cfg(a);
    return csp2_flops_thop(&s, in);
}

static int64_t c2f_flops_full(const struct args *a, struct shape4 in)
{
    struct csp2 s = c2f_cfg(a);
    return csp2_flops_full(&s, in);
}

static int64_t c2f_bytes(const struct args *a, struct shape4 in)
{
    struct csp2 s = c2f_cfg(a);
    return csp2_bytes(&s, in);
}

static int64_t c2f_params(const struct args *a)
{
    struct csp2 s = c2f_cfg(a);
    return csp2_params(&s);
}

static void c2f_weights(const struct args *a, struct weight_list *wl)
{
    struct csp2 s = c2f_cfg(a);
    csp2_weights(&s, wl);
}

static void c2f_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct csp2 s = c2f_cfg(a);
    csp2_init(&s, mode, r, w);
}

static void c2f_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                            const float *x, float *y)
{
    struct csp2 s = c2f_cfg(a);
    csp2_forward_ref(&s, in, w, x, y);
}

static void c2f_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    struct csp2 s = c2f_cfg(a);
    csp2_model_counts(&s, in, mc);
}

static const struct yaml_map c2f_yaml = {YAML_STD_N, "shortcut|g|e",
                                         "ultralytics.nn.modules.block.C2f", NULL};

const struct op op_c2f = {
    .name = "C2f",
    .aliases = NULL,
    .schema = c2f_schema,
    .arg_cin = "c1",
    .arg_cout = "c2",
    .arg_stride = NULL,
    .gen = "c2f",
    .tol_nmse = 1e-10,
    .tol_reason = "Convs, adds and a concat: only float32 summation order differs",
    .validate = c2f_validate,
    .out_shape = c2f_out_shape,
    .params = c2f_params,
    .flops_thop = c2f_flops_thop,
    .flops_full = c2f_flops_full,
    .bytes = c2f_bytes,
    .weights = c2f_weights,
    .init = c2f_init,
    .forward_ref = c2f_forward_ref,
    .yaml = &c2f_yaml,
    .model_counts = c2f_model_counts,
};
