/* kernels/dynamicconv.c — ParameterNet's DynamicConv, MODULES.md 5.4.
 *
 * routing: global mean -> Linear(in, E) -> sigmoid (each expert gated on
 * its own; the gates do not sum to 1) -> timm CondConv2d: the E expert
 * kernels, stored flattened as (E, out*(in/g)*k*k), are mixed per sample and
 * convolve that sample.  No BN, no activation.
 *
 * padding is timm's: an int, or '' (default, ((s-1) + d(k-1)) // 2), 'same'
 * (symmetric d(k-1)/2 when s == 1 and d(k-1) is even, else TF-SAME decided
 * per input size, the extra pixel at the bottom/right) or 'valid' (0).  It is
 * an ARG_INT with named values: padding=1, padding='', padding= (a shell's
 * ''), padding=same and padding='valid' all parse.
 */
#include <stdio.h>
#include <stdlib.h>

#include "util_dynconv.h"

enum { PAD_DEFAULT = -1, PAD_SAME = -2, PAD_VALID = -3 };

static const struct arg_spec dynamicconv_schema[] = {
    {"in_features", ARG_INT, NULL, NULL, "input channels"},
    {"out_features", ARG_INT, NULL, NULL, "output channels"},
    {"kernel_size", ARG_INT, "1", NULL, "kernel size"},
    {"stride", ARG_INT, "1", NULL, "stride"},
    {"padding", ARG_INT, "''", "''|same|valid", "int, '' ((s-1)+d(k-1))//2, same or valid"},
    {"dilation", ARG_INT, "1", NULL, "dilation"},
    {"groups", ARG_INT, "1", NULL, "groups"},
    {"bias", ARG_BOOL, "0", NULL, "per-expert bias (E, out)"},
    {"num_experts", ARG_INT, "4", NULL, "experts E"},
    {NULL, 0, NULL, NULL, NULL},
};

struct dynamicconv_cfg {
    int cin, cout, k, s, p, d, g, bias, E;
};

static struct dynamicconv_cfg dynamicconv_cfg(const struct args *a)
{
    return (struct dynamicconv_cfg){arg_geti(a, "in_features"), arg_geti(a, "out_features"),
                                    arg_geti(a, "kernel_size"), arg_geti(a, "stride"),
                                    arg_geti(a, "padding"),     arg_geti(a, "dilation"),
                                    arg_geti(a, "groups"),      arg_geti(a, "bias"),
                                    arg_geti(a, "num_experts")};
}

/* timm's get_padding / get_same_padding along one axis of size n. */
static void resolve_pad(const struct dynamicconv_cfg *c, int n, int *lo, int *hi)
{
    int span = c->d * (c->k - 1);
    if (c->p >= 0 || c->p == PAD_DEFAULT || c->p == PAD_VALID) {
        *lo = *hi = c->p >= 0 ? c->p : c->p == PAD_VALID ? 0 : ((c->s - 1) + span) / 2;
        return;
    }
    if (c->s == 1 && span % 2 == 0) {
        *lo = *hi = span / 2;
        return;
    }
    int total = ((n + c->s - 1) / c->s - 1) * c->s + span + 1 - n;
    total = total > 0 ? total : 0;
    *lo = total / 2;
    *hi = total - total / 2;
}

static struct dynconv_geom dynamicconv_geom(const struct dynamicconv_cfg *c, struct shape4 in)
{
    struct dynconv_geom g = {c->cin, in.h, in.w, c->cout, c->k, c->s, c->d, c->g, {0, 0, 0, 0}};
    if (c->s >= 1) {
        resolve_pad(c, in.h, &g.p.t, &g.p.b);
        resolve_pad(c, in.w, &g.p.l, &g.p.r);
    }
    return g;
}

static struct shape4 dynamicconv_out_shape(const struct args *a, struct shape4 in)
{
    struct dynamicconv_cfg c = dynamicconv_cfg(a);
    struct dynconv_geom g = dynamicconv_geom(&c, in);
    if (g.s < 1)
        return (struct shape4){in.n, c.cout, 0, 0};
    return (struct shape4){in.n, c.cout, dynconv_ho(&g), dynconv_wo(&g)};
}

static int dynamicconv_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    struct dynamicconv_cfg c = dynamicconv_cfg(a);
    if (c.cin < 1 || c.cout < 1 || c.g < 1) {
        snprintf(err, errlen, "DynamicConv: in_features, out_features and groups must be >= 1");
        return -1;
    }
    if (c.cin % c.g || c.cout % c.g) {
        snprintf(err, errlen, "DynamicConv: in/out features must be divisible by groups");
        return -1;
    }
    if (c.E < 1) {
        snprintf(err, errlen, "DynamicConv: num_experts must be >= 1");
        return -1;
    }
    struct shape4 o = dynamicconv_out_shape(a, in);
    if (c.k < 1 || c.s < 1 || c.d < 1 || o.h < 1 || o.w < 1) {
        snprintf(err, errlen, "DynamicConv: invalid kernel/stride/dilation or output size < 1");
        return -1;
    }
    return 0;
}

static int64_t dynamicconv_params(const struct args *a)
{
    struct dynamicconv_cfg c = dynamicconv_cfg(a);
    int64_t kern = (int64_t)c.cout * (c.cin / c.g) * c.k * c.k;
    return (int64_t)c.E * c.cin + c.E + c.E * kern + (c.bias ? (int64_t)c.E * c.cout : 0);
}

/* thop registers only the routing Linear; CondConv2d is not a Conv2d. */
static int64_t dynamicconv_flops_thop(const struct args *a, struct shape4 in)
{
    struct dynamicconv_cfg c = dynamicconv_cfg(a);
    return 2 * (int64_t)in.n * c.E * c.cin;
}

/* MODULES.md 5.4 item 5: pool, Linear + bias, sigmoid; mixing; conv. */
static int64_t dynamicconv_flops_full(const struct args *a, struct shape4 in)
{
    struct dynamicconv_cfg c = dynamicconv_cfg(a);
    struct shape4 o = dynamicconv_out_shape(a, in);
    int64_t B = in.n, kern = (int64_t)(c.cin / c.g) * c.k * c.k;
    int64_t routing = (int64_t)c.cin * in.h * in.w + (int64_t)c.E * (2 * c.cin + 1) + 3 * c.E;
    int64_t mix = 2 * (int64_t)c.E * c.cout * kern + (c.bias ? 2 * (int64_t)c.E * c.cout : 0);
    int64_t conv = (int64_t)c.cout * o.h * o.w * (2 * kern + (c.bias ? 1 : 0));
    return B * (routing + mix + conv);
}

static int64_t dynamicconv_bytes(const struct args *a, struct shape4 in)
{
    struct shape4 o = dynamicconv_out_shape(a, in);
    return 4 * ((int64_t)in.n * in.c * in.h * in.w + (int64_t)o.n * o.c * o.h * o.w +
                dynamicconv_params(a));
}

static void dynamicconv_weights(const struct args *a, struct weight_list *wl)
{
    struct dynamicconv_cfg c = dynamicconv_cfg(a);
    wl->n = 0;
    wl_add(wl, "routing.", "weight", 2, c.E, c.cin, 0, 0);
    wl_add(wl, "routing.", "bias", 1, c.E, 0, 0, 0);
    wl_add(wl, "cond_conv.", "weight", 2, c.E, (int64_t)c.cout * (c.cin / c.g) * c.k * c.k, 0, 0);
    if (c.bias)
        wl_add(wl, "cond_conv.", "bias", 2, c.E, c.cout, 0, 0);
}

/* paper: PyTorch/timm defaults, U(+-1/sqrt(fan_in)) for the Linear and, per
 * expert, for the kernel and bias (timm's get_condconv_initializer).
 * random: routing scaled so the sigmoid gates spread over (0, 1). */
static void dynamicconv_init(const struct args *a, enum init_mode mode, struct rng *r,
                             float *const *w)
{
    struct dynamicconv_cfg c = dynamicconv_cfg(a);
    int64_t fan_in = (int64_t)(c.cin / c.g) * c.k * c.k;
    init_conv_weight(w[0], (int64_t)c.E * c.cin, c.cin, mode, 3.0f, r);
    init_conv_weight(w[1], c.E, c.cin, mode, mode == INIT_PAPER ? 1.0f : 3.0f, r);
    init_conv_weight(w[2], c.E * c.cout * fan_in, fan_in, mode, 1.0f, r);
    if (c.bias)
        init_conv_weight(w[3], (int64_t)c.E * c.cout, fan_in, mode, 1.0f, r);
}

/* r = sigmoid(Wr mean + br) for one sample. */
static void dynamicconv_routing(const struct dynamicconv_cfg *c, const float *const *w,
                                const double *mean, double *r)
{
    for (int e = 0; e < c->E; e++) {
        double z = w[1][e];
        for (int ch = 0; ch < c->cin; ch++)
            z += (double)w[0][(int64_t)e * c->cin + ch] * mean[ch];
        r[e] = 1.0 / (1.0 + exp(-z));
    }
}

static void dynamicconv_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                                    const float *x, float *y)
{
    struct dynamicconv_cfg c = dynamicconv_cfg(a);
    struct dynconv_geom g = dynamicconv_geom(&c, in);
    int64_t nk = dynconv_kernel_numel(&g), in_n = (int64_t)c.cin * in.h * in.w;
    int64_t out_n = (int64_t)c.cout * dynconv_ho(&g) * dynconv_wo(&g);
    double *mean = malloc(sizeof(double) * (size_t)(c.cin + c.E));
    float *wagg = malloc(sizeof(float) * (size_t)(nk + c.cout));
    if (!mean || !wagg) {
        fprintf(stderr, "DynamicConv: out of memory in the reference\n");
        abort();
    }
    double *route = mean + c.cin;
    for (int b = 0; b < in.n; b++) {
        dynconv_mean_ref(x + b * in_n, c.cin, (int64_t)in.h * in.w, mean);
        dynamicconv_routing(&c, w, mean, route);
        dynconv_mix_ref(w[2], c.E, nk, route, wagg);
        if (c.bias)
            dynconv_mix_ref(w[3], c.E, c.cout, route, wagg + nk);
        if (dynconv_sample_ref(&g, x + b * in_n, wagg, c.bias ? wagg + nk : NULL,
                               y + b * out_n) != 0) {
            fprintf(stderr, "DynamicConv: out of memory in the reference\n");
            abort();
        }
    }
    free(mean);
    free(wagg);
}

/* DynamicConv, routing (Linear), cond_conv (timm CondConv2d, no children). */
static void dynamicconv_model_counts(const struct args *a, struct shape4 in,
                                     struct model_counts *mc)
{
    mc->modules += 3;
    mc->leaves += 2;
}

static const struct yaml_map dynamicconv_yaml = {
    YAML_STD, "kernel_size|stride|padding|dilation|groups|bias|num_experts", NULL, NULL};

const struct op op_dynamicconv = {
    .name = "DynamicConv",
    .aliases = NULL,
    .schema = dynamicconv_schema,
    .arg_cin = "in_features",
    .arg_cout = "out_features",
    .arg_stride = "stride",
    .gen = "dynamicconv",
    .tol_nmse = 1e-9,
    .tol_reason = "sigmoid routing + expert mixing + conv: float32 summation order and the "
                  "mixed kernel rounded once to float32",
    .validate = dynamicconv_validate,
    .out_shape = dynamicconv_out_shape,
    .params = dynamicconv_params,
    .flops_thop = dynamicconv_flops_thop,
    .flops_full = dynamicconv_flops_full,
    .bytes = dynamicconv_bytes,
    .weights = dynamicconv_weights,
    .init = dynamicconv_init,
    .forward_ref = dynamicconv_forward_ref,
    .yaml = &dynamicconv_yaml,
    .model_counts = dynamicconv_model_counts,
};
