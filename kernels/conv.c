/* kernels/conv.c — ultralytics Conv: Conv2d (no bias) + BatchNorm2d + SiLU.
 * MODULES.md 3.1.  The baseline every strided 3x3 replacement is measured
 * against. */
#include <stdio.h>

#include "common.h"

static const struct arg_spec conv_schema[] = {
    {"c1", ARG_INT, NULL, NULL, "input channels"},
    {"c2", ARG_INT, NULL, NULL, "output channels"},
    {"k", ARG_INT, "1", NULL, "kernel size"},
    {"s", ARG_INT, "1", NULL, "stride"},
    {"p", ARG_INT, "-1", NULL, "padding (-1 or None: autopad)"},
    {"g", ARG_INT, "1", NULL, "groups"},
    {"d", ARG_INT, "1", NULL, "dilation"},
    {"act", ARG_BOOL, "1", NULL, "SiLU after BN"},
    {"bn_eps", ARG_FLOAT, "1e-5", NULL, "BatchNorm eps (1e-3 inside a YAML model)"},
    {NULL, 0, NULL, NULL, NULL},
};

/* Largest k, s, p, d accepted: far beyond any real layer, small enough
 * that d*(k-1) + 2*p + h stays inside int. */
#define CONV_GEOMETRY_MAX 4096

struct conv_cfg {
    int c1, c2, k, s, p, g, d, act;
    double eps;
};

static struct conv_cfg conv_cfg(const struct args *a)
{
    struct conv_cfg c = {arg_geti(a, "c1"), arg_geti(a, "c2"), arg_geti(a, "k"),
                         arg_geti(a, "s"),  0,                  arg_geti(a, "g"),
                         arg_geti(a, "d"),  arg_geti(a, "act"), arg_get(a, "bn_eps")};
    c.p = autopad(c.k, arg_geti(a, "p"), c.d);
    return c;
}

static struct shape4 conv_out_shape(const struct args *a, struct shape4 in)
{
    struct conv_cfg c = conv_cfg(a);
    return (struct shape4){in.n, c.c2, conv_out_dim(in.h, c.k, c.s, c.p, c.d),
                           conv_out_dim(in.w, c.k, c.s, c.p, c.d)};
}

/* Kernel, stride, padding and dilation before any arithmetic on them:
 * conv_out_dim divides by s (s=0 was a SIGFPE, found by tests/fuzz/
 * fuzz_args), and autopad's d*(k-1) or 2*p past INT_MAX would overflow. */
static int conv_check_geometry(const struct args *a, char *err, size_t errlen)
{
    static const char *const names[] = {"k", "s", "d"};
    for (int i = 0; i < 3; i++)
        if (arg_geti(a, names[i]) < 1 || arg_geti(a, names[i]) > CONV_GEOMETRY_MAX) {
            snprintf(err, errlen, "Conv: %s must be from 1 to %d (got %d)", names[i],
                     CONV_GEOMETRY_MAX, arg_geti(a, names[i]));
            return -1;
        }
    if (arg_geti(a, "p") < -1 || arg_geti(a, "p") > CONV_GEOMETRY_MAX) {
        snprintf(err, errlen, "Conv: p must be from 0 to %d, or None (got %d)", CONV_GEOMETRY_MAX,
                 arg_geti(a, "p"));
        return -1;
    }
    return 0;
}

static int conv_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    if (conv_check_geometry(a, err, errlen) != 0)
        return -1;
    struct conv_cfg c = conv_cfg(a);
    if (c.c1 < 1 || c.c2 < 1 || c.g < 1) {
        snprintf(err, errlen, "Conv: c1, c2 and g must be >= 1");
        return -1;
    }
    if (c.c1 % c.g || c.c2 % c.g) {
        snprintf(err, errlen, "Conv: channels (%d, %d) must be divisible by groups %d", c.c1, c.c2,
                 c.g);
        return -1;
    }
    struct shape4 out = conv_out_shape(a, in);
    if (c.k < 1 || c.s < 1 || c.d < 1 || out.h < 1 || out.w < 1) {
        snprintf(err, errlen, "Conv: invalid kernel/stride/dilation or output size < 1");
        return -1;
    }
    return 0;
}

static int64_t conv_params(const struct args *a)
{
    struct conv_cfg c = conv_cfg(a);
    return (int64_t)c.c2 * (c.c1 / c.g) * c.k * c.k + 2 * c.c2;
}

static int64_t conv_flops_thop(const struct args *a, struct shape4 in)
{
    struct conv_cfg c = conv_cfg(a);
    struct shape4 o = conv_out_shape(a, in);
    return 2 * (int64_t)o.n * o.c * o.h * o.w * ((int64_t)(c.c1 / c.g) * c.k * c.k + 4);
}

static int64_t conv_flops_full(const struct args *a, struct shape4 in)
{
    struct conv_cfg c = conv_cfg(a);
    struct shape4 o = conv_out_shape(a, in);
    return (int64_t)o.n * o.c * o.h * o.w * (2 * (int64_t)(c.c1 / c.g) * c.k * c.k + (c.act ? 5 : 2));
}

static int64_t conv_bytes(const struct args *a, struct shape4 in)
{
    struct shape4 o = conv_out_shape(a, in);
    int64_t state = conv_params(a) + 2 * (int64_t)o.c;
    return 4 * ((int64_t)in.n * in.c * in.h * in.w + (int64_t)o.n * o.c * o.h * o.w + state);
}

static void conv_weights(const struct args *a, struct weight_list *wl)
{
    struct conv_cfg c = conv_cfg(a);
    wl->n = 0;
    wl_add(wl, "conv.", "weight", 4, c.c2, c.c1 / c.g, c.k, c.k);
    wl_add_bn(wl, "bn.", c.c2);
}

static void conv_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct conv_cfg c = conv_cfg(a);
    int64_t fan_in = (int64_t)(c.c1 / c.g) * c.k * c.k;
    init_conv_weight(w[0], c.c2 * fan_in, fan_in, mode, 1.0f, r);
    init_bn(w + 1, c.c2, mode, r);
}

static void conv_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                             const float *x, float *y)
{
    struct conv_cfg c = conv_cfg(a);
    struct shape4 o = conv_out_shape(a, in);
    struct conv2d_geom g = {in.n, c.c1, in.h, in.w, c.c2, c.k, c.k, c.s, c.s,
                            c.p,  c.p,  c.d,  c.d,  c.g};
    conv2d_ref(&g, x, w[0], NULL, y);
    bn_act_ref(y, o.n, o.c, (int64_t)o.h * o.w, w[1], w[2], w[3], w[4], c.eps, c.act);
}

/* Conv, conv, bn; act=True uses the class-level Conv.default_act (counted
 * once per model), act=False gets its own nn.Identity. */
static void conv_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    struct conv_cfg c = conv_cfg(a);
    struct shape4 o = conv_out_shape(a, in);
    mc->modules += c.act ? 3 : 4;
    mc->leaves += c.act ? 2 : 3;
    mc->shared_act |= c.act;
    mc->buffers += 2 * (int64_t)c.c2;
    mc->fuse_convs += 1;
    mc->fuse_params += c.c2;
    mc->fuse_frozen += conv_params(a) - c.c2;
    mc->fuse_thop += 2 * 4 * (int64_t)o.n * o.c * o.h * o.w;
}

static const struct yaml_map conv_yaml = {YAML_STD, "k|s|p|g|d|act",
                                          "ultralytics.nn.modules.conv.Conv", NULL};

const struct op op_conv = {
    .name = "Conv",
    .aliases = NULL,
    .schema = conv_schema,
    .arg_cin = "c1",
    .arg_cout = "c2",
    .arg_stride = "s",
    .gen = "conv",
    .tol_nmse = 1e-10,
    .tol_reason = "linear conv + BN + SiLU: only float32 summation order differs",
    .validate = conv_validate,
    .out_shape = conv_out_shape,
    .params = conv_params,
    .flops_thop = conv_flops_thop,
    .flops_full = conv_flops_full,
    .bytes = conv_bytes,
    .weights = conv_weights,
    .init = conv_init,
    .forward_ref = conv_forward_ref,
    .yaml = &conv_yaml,
    .model_counts = conv_model_counts,
};
