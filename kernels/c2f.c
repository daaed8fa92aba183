/* kernels/c2f.c — ultralytics C2f (CSP bottleneck, two convs, n Bottlenecks,
 * every intermediate concatenated).  MODULES.md 3.3.  Composed from the Conv
 * and Bottleneck rows so counts, keys and reference follow theirs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bottleneck.h"

/* cv1 + cv2 (6 tensors each) + n Bottlenecks (12 each) must fit WEIGHTS_MAX. */
enum { C2F_N_MAX = (WEIGHTS_MAX - 12) / 12 };

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

struct c2f {
    int c1, c2, n, c, g;
    struct args cv1, cv2, m; /* every m[i] has the same args */
};

static struct c2f c2f_cfg(const struct args *a)
{
    struct c2f f = {.c1 = arg_geti(a, "c1"), .c2 = arg_geti(a, "c2"), .n = arg_geti(a, "n"),
                    .g = arg_geti(a, "g")};
    double eps = arg_get(a, "bn_eps");
    f.c = (int)((double)f.c2 * arg_get(a, "e")); /* Python's int() */
    conv_sub_args(&f.cv1, f.c1, 2 * f.c, 1, 1, eps);
    conv_sub_args(&f.cv2, (2 + f.n) * f.c, f.c2, 1, 1, eps);
    bottleneck_sub_args(&f.m, f.c, f.c, arg_geti(a, "shortcut"), f.g, 3, 1.0, eps);
    return f;
}

static struct shape4 c2f_out_shape(const struct args *a, struct shape4 in)
{
    return (struct shape4){in.n, arg_geti(a, "c2"), in.h, in.w};
}

static int c2f_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    struct c2f f = c2f_cfg(a);
    if (f.c1 < 1 || f.c2 < 1 || f.g < 1 || f.c < 1) {
        snprintf(err, errlen, "C2f: c1, c2, g and int(c2 * e) must be >= 1");
        return -1;
    }
    if (f.n < 1 || f.n > C2F_N_MAX) {
        snprintf(err, errlen, "C2f: n must be in 1..%d", C2F_N_MAX);
        return -1;
    }
    if (f.c % f.g) {
        snprintf(err, errlen, "C2f: hidden channels %d must be divisible by groups %d", f.c, f.g);
        return -1;
    }
    return 0;
}

static struct shape4 with_c(struct shape4 s, int c) { return (struct shape4){s.n, c, s.h, s.w}; }

static int64_t c2f_params(const struct args *a)
{
    struct c2f f = c2f_cfg(a);
    return op_conv.params(&f.cv1) + op_conv.params(&f.cv2) + f.n * op_bottleneck.params(&f.m);
}

static int64_t c2f_flops_thop(const struct args *a, struct shape4 in)
{
    struct c2f f = c2f_cfg(a);
    return op_conv.flops_thop(&f.cv1, in) +
           op_conv.flops_thop(&f.cv2, with_c(in, (2 + f.n) * f.c)) +
           f.n * op_bottleneck.flops_thop(&f.m, with_c(in, f.c));
}

static int64_t c2f_flops_full(const struct args *a, struct shape4 in)
{
    struct c2f f = c2f_cfg(a);
    return op_conv.flops_full(&f.cv1, in) +
           op_conv.flops_full(&f.cv2, with_c(in, (2 + f.n) * f.c)) +
           f.n * op_bottleneck.flops_full(&f.m, with_c(in, f.c));
}

static int64_t c2f_bytes(const struct args *a, struct shape4 in)
{
    struct c2f f = c2f_cfg(a);
    int64_t bn_channels = 2 * f.c + f.c2 + (int64_t)f.n * 2 * f.c;
    int64_t state = c2f_params(a) + 2 * bn_channels;
    int64_t hw = (int64_t)in.h * in.w;
    return 4 * ((int64_t)in.n * f.c1 * hw + (int64_t)in.n * f.c2 * hw + state);
}

/* PyTorch registers cv1, cv2, then m: that is the state_dict order. */
static void c2f_weights(const struct args *a, struct weight_list *wl)
{
    struct c2f f = c2f_cfg(a);
    struct weight_list sub;
    char prefix[32];
    wl->n = 0;
    op_conv.weights(&f.cv1, &sub);
    wl_append(wl, "cv1.", &sub);
    op_conv.weights(&f.cv2, &sub);
    wl_append(wl, "cv2.", &sub);
    op_bottleneck.weights(&f.m, &sub);
    for (int i = 0; i < f.n; i++) {
        snprintf(prefix, sizeof prefix, "m.%d.", i);
        wl_append(wl, prefix, &sub);
    }
}

/* Offsets of cv2's and m[0]'s first weight pointer; m[i] follows m[i-1]. */
struct c2f_offs {
    int cv2, m0, m_step;
};

static struct c2f_offs c2f_offs(const struct c2f *f)
{
    int n1 = op_weight_count(&op_conv, &f->cv1), n2 = op_weight_count(&op_conv, &f->cv2);
    return (struct c2f_offs){n1, n1 + n2, op_weight_count(&op_bottleneck, &f->m)};
}

static void c2f_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct c2f f = c2f_cfg(a);
    struct c2f_offs o = c2f_offs(&f);
    op_conv.init(&f.cv1, mode, r, w);
    op_conv.init(&f.cv2, mode, r, w + o.cv2);
    for (int i = 0; i < f.n; i++)
        op_bottleneck.init(&f.m, mode, r, w + o.m0 + i * o.m_step);
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

static void c2f_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                            const float *x, float *y)
{
    struct c2f f = c2f_cfg(a);
    struct c2f_offs o = c2f_offs(&f);
    int ccat = (2 + f.n) * f.c;
    int64_t hw = (int64_t)in.h * in.w;
    float *cat = ref_alloc((int64_t)in.n * ccat * hw);
    float *t = ref_alloc((int64_t)in.n * 2 * f.c * hw);
    float *mid = ref_alloc((int64_t)in.n * f.c * hw);
    op_forward_sub(&op_conv, &f.cv1, in, w, 0, x, t);
    copy_channels(cat, ccat, 0, t, 2 * f.c, 0, 2 * f.c, in.n, hw); /* y0, y1 = chunk(2) */
    for (int i = 0; i < f.n; i++) {
        /* m[i] reads y_{i+1} (the last chunk so far) and writes y_{i+2} */
        copy_channels(t, f.c, 0, cat, ccat, (i + 1) * f.c, f.c, in.n, hw);
        op_forward_sub(&op_bottleneck, &f.m, with_c(in, f.c), w, o.m0 + i * o.m_step, t, mid);
        copy_channels(cat, ccat, (i + 2) * f.c, mid, f.c, 0, f.c, in.n, hw);
    }
    op_forward_sub(&op_conv, &f.cv2, with_c(in, ccat), w, o.cv2, cat, y);
    free(mid);
    free(t);
    free(cat);
}

/* C2f, cv1, cv2, the ModuleList m and its n Bottlenecks. */
static void c2f_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    struct c2f f = c2f_cfg(a);
    mc->modules += 2;
    op_conv.model_counts(&f.cv1, in, mc);
    op_conv.model_counts(&f.cv2, with_c(in, (2 + f.n) * f.c), mc);
    for (int i = 0; i < f.n; i++)
        op_bottleneck.model_counts(&f.m, with_c(in, f.c), mc);
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
