/* kernels/dyconv.c — DYConv2d, Dynamic Convolution (CVPR 2020), MODULES.md 5.3.
 *
 * attention2d: global mean -> fc1 (1x1, no bias) -> ReLU -> fc2 (1x1, bias)
 * -> softmax(z / T) over the K experts; the K expert kernels (and biases)
 * are mixed with that sample's attention and the mixed kernel convolves the
 * sample.  T is a Python attribute annealed 34, 31, ..., 1 during training,
 * not a weight, so it is an argument here (default 34, 1 = fully annealed).
 */
#include <stdio.h>
#include <stdlib.h>

#include "util_dynconv.h"

static const struct arg_spec dyconv_schema[] = {
    {"in_planes", ARG_INT, NULL, NULL, "input channels"},
    {"out_planes", ARG_INT, NULL, NULL, "output channels"},
    {"kernel_size", ARG_INT, NULL, NULL, "kernel size (an int)"},
    {"ratio", ARG_FLOAT, "0.25", NULL, "attention hidden = int(in_planes*ratio)+1"},
    {"stride", ARG_INT, "1", NULL, "stride"},
    {"padding", ARG_INT, "0", NULL, "zero padding (class default 0 = valid; YAML k//2)"},
    {"dilation", ARG_INT, "1", NULL, "dilation"},
    {"groups", ARG_INT, "1", NULL, "groups"},
    {"bias", ARG_BOOL, "1", NULL, "per-expert bias (K, out_planes)"},
    {"K", ARG_INT, "4", NULL, "experts"},
    {"temperature", ARG_INT, "34", NULL, "softmax temperature, T % 3 == 1"},
    {NULL, 0, NULL, NULL, NULL},
};

struct dyconv_cfg {
    int cin, cout, k, s, p, d, g, bias, K, T, hidden;
};

static struct dyconv_cfg dyconv_cfg(const struct args *a)
{
    struct dyconv_cfg c = {arg_geti(a, "in_planes"), arg_geti(a, "out_planes"),
                           arg_geti(a, "kernel_size"), arg_geti(a, "stride"),
                           arg_geti(a, "padding"),   arg_geti(a, "dilation"),
                           arg_geti(a, "groups"),    arg_geti(a, "bias"),
                           arg_geti(a, "K"),         arg_geti(a, "temperature"), 0};
    /* the upstream special case: an RGB input gets K hidden units */
    c.hidden = c.cin == 3 ? c.K : (int)(c.cin * arg_get(a, "ratio")) + 1;
    return c;
}

static struct dynconv_geom dyconv_geom(const struct dyconv_cfg *c, struct shape4 in)
{
    return (struct dynconv_geom){c->cin, in.h, in.w, c->cout, c->k, c->s, c->d, c->g,
                                 {c->p, c->p, c->p, c->p}};
}

static struct shape4 dyconv_out_shape(const struct args *a, struct shape4 in)
{
    struct dyconv_cfg c = dyconv_cfg(a);
    struct dynconv_geom g = dyconv_geom(&c, in);
    if (g.s < 1)
        return (struct shape4){in.n, c.cout, 0, 0};
    return (struct shape4){in.n, c.cout, dynconv_ho(&g), dynconv_wo(&g)};
}

/* Python's %, which is never negative for a positive divisor. */
static int py_mod(int a, int m) { return ((a % m) + m) % m; }

static int dyconv_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    struct dyconv_cfg c = dyconv_cfg(a);
    if (c.cin < 1 || c.cout < 1 || c.g < 1) {
        snprintf(err, errlen, "DYConv2d: in_planes, out_planes and groups must be >= 1");
        return -1;
    }
    /* checked in the constructor's order: groups assert, then attention2d's */
    if (c.cin % c.g) {
        snprintf(err, errlen, "DYConv2d: in_planes (%d) must be divisible by groups (%d)", c.cin,
                 c.g);
        return -1;
    }
    if (py_mod(c.T, 3) != 1) {
        snprintf(err, errlen, "DYConv2d: temperature %% 3 must be 1 (got %d)", c.T);
        return -1;
    }
    if (c.K < 1) {
        snprintf(err, errlen, "DYConv2d: K must be >= 1 (got %d)", c.K);
        return -1;
    }
    if (c.hidden < 1) {
        snprintf(err, errlen, "DYConv2d: int(in_planes * ratio) + 1 must be >= 1");
        return -1;
    }
    if (c.cout % c.g) {
        snprintf(err, errlen, "DYConv2d: out_planes must be divisible by groups");
        return -1;
    }
    struct shape4 o = dyconv_out_shape(a, in);
    if (c.k < 1 || c.s < 1 || c.d < 1 || c.p < 0 || o.h < 1 || o.w < 1) {
        snprintf(err, errlen, "DYConv2d: invalid kernel/stride/padding/dilation or output size < 1");
        return -1;
    }
    return 0;
}

static int64_t dyconv_params(const struct args *a)
{
    struct dyconv_cfg c = dyconv_cfg(a);
    int64_t kern = (int64_t)c.cout * (c.cin / c.g) * c.k * c.k;
    return c.K * kern + (c.bias ? (int64_t)c.K * c.cout : 0) + (int64_t)c.hidden * c.cin +
           (int64_t)c.K * c.hidden + c.K;
}

/* thop sees the pool and the two 1x1 convs; the dynamic conv is functional. */
static int64_t dyconv_flops_thop(const struct args *a, struct shape4 in)
{
    struct dyconv_cfg c = dyconv_cfg(a);
    int64_t macs = (int64_t)in.n * c.cin * ((int64_t)in.h * in.w + 1) +
                   (int64_t)in.n * c.hidden * c.cin + (int64_t)in.n * c.K * c.hidden;
    return 2 * macs;
}

/* MODULES.md 5.3 item 5: routing (pool, fc1, ReLU, fc2 + bias, /T,
 * softmax), per-sample mixing of K kernels and biases, then the conv. */
static int64_t dyconv_flops_full(const struct args *a, struct shape4 in)
{
    struct dyconv_cfg c = dyconv_cfg(a);
    struct shape4 o = dyconv_out_shape(a, in);
    int64_t B = in.n, kern = (int64_t)(c.cin / c.g) * c.k * c.k;
    int64_t routing = (int64_t)c.cin * in.h * in.w + 2 * (int64_t)c.hidden * c.cin + c.hidden +
                      2 * (int64_t)c.K * c.hidden + 7 * (int64_t)c.K - 2;
    int64_t mix = 2 * (int64_t)c.K * c.cout * kern + (c.bias ? 2 * (int64_t)c.K * c.cout : 0);
    int64_t conv = (int64_t)c.cout * o.h * o.w * (2 * kern + (c.bias ? 1 : 0));
    return B * (routing + mix + conv);
}

static int64_t dyconv_bytes(const struct args *a, struct shape4 in)
{
    struct shape4 o = dyconv_out_shape(a, in);
    return 4 * ((int64_t)in.n * in.c * in.h * in.w + (int64_t)o.n * o.c * o.h * o.w +
                dyconv_params(a));
}

static void dyconv_weights(const struct args *a, struct weight_list *wl)
{
    struct dyconv_cfg c = dyconv_cfg(a);
    wl->n = 0;
    /* own parameters first, then the attention child: state_dict order */
    wl_add(wl, "", "weight", 4, c.K, c.cout, c.cin / c.g, c.k);
    wl->w[wl->n - 1].ndim = 5; /* wl_add knows 4 dims; the 5th is k again */
    wl->w[wl->n - 1].shape[4] = c.k;
    if (c.bias)
        wl_add(wl, "", "bias", 2, c.K, c.cout, 0, 0);
    wl_add(wl, "attention.fc1.", "weight", 4, c.hidden, c.cin, 1, 1);
    wl_add(wl, "attention.fc2.", "weight", 4, c.K, c.hidden, 1, 1);
    wl_add(wl, "attention.fc2.", "bias", 1, c.K, 0, 0, 0);
}

/* paper: the upstream _initialize_weights — kaiming_uniform_ (a=0, bound
 * sqrt(6/fan_in)) per expert, zero biases, kaiming_normal_(fan_out, relu)
 * for fc1/fc2, fc2.bias 0.  random: non-zero biases and an fc2.bias of a
 * few T so that softmax(z/T) is far from uniform, as after annealing. */
static void dyconv_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct dyconv_cfg c = dyconv_cfg(a);
    int paper = mode == INIT_PAPER, i = 0;
    int64_t fan_in = (int64_t)(c.cin / c.g) * c.k * c.k, nk = c.K * c.cout * fan_in;
    float bound = sqrtf(6.0f / (float)fan_in);
    for (int64_t j = 0; j < nk; j++)
        w[i][j] = paper ? rng_range(r, -bound, bound) : rng_normal(r) / sqrtf((float)fan_in);
    i++;
    if (c.bias) {
        for (int64_t j = 0; j < (int64_t)c.K * c.cout; j++)
            w[i][j] = paper ? 0.0f : 0.2f * rng_normal(r);
        i++;
    }
    float s1 = paper ? sqrtf(2.0f / (float)c.hidden) : 1.0f / sqrtf((float)c.cin);
    for (int64_t j = 0; j < (int64_t)c.hidden * c.cin; j++)
        w[i][j] = s1 * rng_normal(r);
    i++;
    float s2 = paper ? sqrtf(2.0f / (float)c.K) : 1.0f / sqrtf((float)c.hidden);
    for (int64_t j = 0; j < (int64_t)c.K * c.hidden; j++)
        w[i][j] = s2 * rng_normal(r);
    i++;
    for (int j = 0; j < c.K; j++)
        w[i][j] = paper ? 0.0f : 2.0f * (float)c.T * rng_normal(r);
}

/* pi = softmax((W2 relu(W1 mean) + b2) / T) for one sample. */
static void dyconv_attention(const struct dyconv_cfg *c, const float *const *w, const double *mean,
                             double *h, double *pi)
{
    const float *w1 = w[c->bias ? 2 : 1], *w2 = w[c->bias ? 3 : 2], *b2 = w[c->bias ? 4 : 3];
    for (int j = 0; j < c->hidden; j++) {
        double acc = 0.0;
        for (int ch = 0; ch < c->cin; ch++)
            acc += (double)w1[(int64_t)j * c->cin + ch] * mean[ch];
        h[j] = acc > 0 ? acc : 0;
    }
    double zmax = -INFINITY, sum = 0.0;
    for (int k = 0; k < c->K; k++) {
        double z = b2[k];
        for (int j = 0; j < c->hidden; j++)
            z += (double)w2[(int64_t)k * c->hidden + j] * h[j];
        pi[k] = z / c->T;
        zmax = pi[k] > zmax ? pi[k] : zmax;
    }
    for (int k = 0; k < c->K; k++)
        sum += pi[k] = exp(pi[k] - zmax);
    for (int k = 0; k < c->K; k++)
        pi[k] /= sum;
}

static void dyconv_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                               const float *x, float *y)
{
    struct dyconv_cfg c = dyconv_cfg(a);
    struct dynconv_geom g = dyconv_geom(&c, in);
    int64_t nk = dynconv_kernel_numel(&g), in_n = (int64_t)c.cin * in.h * in.w;
    int64_t out_n = (int64_t)c.cout * dynconv_ho(&g) * dynconv_wo(&g);
    double *mean = malloc(sizeof(double) * (size_t)(c.cin + c.hidden + c.K));
    float *wagg = malloc(sizeof(float) * (size_t)(nk + c.cout));
    if (!mean || !wagg) {
        fprintf(stderr, "DYConv2d: out of memory in the reference\n");
        abort();
    }
    double *h = mean + c.cin, *pi = h + c.hidden;
    for (int b = 0; b < in.n; b++) {
        dynconv_mean_ref(x + b * in_n, c.cin, (int64_t)in.h * in.w, mean);
        dyconv_attention(&c, w, mean, h, pi);
        dynconv_mix_ref(w[0], c.K, nk, pi, wagg);
        if (c.bias)
            dynconv_mix_ref(w[1], c.K, c.cout, pi, wagg + nk);
        if (dynconv_sample_ref(&g, x + b * in_n, wagg, c.bias ? wagg + nk : NULL,
                               y + b * out_n) != 0) {
            fprintf(stderr, "DYConv2d: out of memory in the reference\n");
            abort();
        }
    }
    free(mean);
    free(wagg);
}

/* DYConv2d, attention (attention2d: avgpool, fc1, fc2; ReLU functional). */
static void dyconv_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    mc->modules += 5;
    mc->leaves += 3;
}

/* Harness mapping (MODULES.md 2.1): padding k // 2, a "same" convolution. */
static int dyconv_yaml_finish(struct args *a, char *err, size_t errlen)
{
    a->v[arg_index(a->op, "padding")] = arg_geti(a, "kernel_size") / 2;
    return 0;
}

static const struct yaml_map dyconv_yaml = {YAML_STD, "kernel_size|stride", NULL,
                                            dyconv_yaml_finish};

const struct op op_dyconv = {
    .name = "DYConv2d",
    .aliases = "Dynamic_conv2d",
    .schema = dyconv_schema,
    .arg_cin = "in_planes",
    .arg_cout = "out_planes",
    .arg_stride = "stride",
    .gen = "dyconv",
    .tol_nmse = 1e-9,
    .tol_reason = "softmax routing + expert mixing + conv: float32 summation order and the "
                  "mixed kernel rounded once to float32",
    .validate = dyconv_validate,
    .out_shape = dyconv_out_shape,
    .params = dyconv_params,
    .flops_thop = dyconv_flops_thop,
    .flops_full = dyconv_flops_full,
    .bytes = dyconv_bytes,
    .weights = dyconv_weights,
    .init = dyconv_init,
    .forward_ref = dyconv_forward_ref,
    .yaml = &dyconv_yaml,
    .model_counts = dyconv_model_counts,
};
