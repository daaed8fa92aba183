/* kernels/dlka.c — deformable_LKA_Attention (seed 004, MODULES.md 6.2):
 * y = proj_2(u * conv1(D1(D0(u)))) + x with u = GELU(proj_1(x)).
 *
 * Variants of the two deformable layers D0, D1:
 *   official   offset conv (full Conv2d with bias) + torchvision depthwise
 *              deformable conv: 5x5 pad 2, then 7x7 pad 9 dilation 3
 *   blog       the seed's DeformConv: DCNv3_pytorch(C) twice (3x3, G 4)
 *   dcnv3_lka  DCNv3_pytorch(C, 5, pad 2), then DCNv3_pytorch(C, 7, pad 9,
 *              dilation 3): what the seed's signature asks for
 * The DCNv3 variants compose the DCNv3 row (kernels/dcnv3.c), so their
 * counts, keys and reference are that row's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlka.h"
#include "util_deform.h"

enum { VAR_BLOG, VAR_OFFICIAL, VAR_DCNV3_LKA };

static const struct arg_spec dlka_schema[] = {
    {"d_model", ARG_INT, NULL, NULL, "channels (in = out)"},
    {"variant", ARG_ENUM, "blog", "blog|official|dcnv3_lka",
     "deformable layers: blog 2x DCNv3 3x3, official torchvision 5x5 + 7x7 d3, dcnv3_lka DCNv3 5x5 + 7x7 d3"},
    {NULL, 0, NULL, NULL, NULL},
};

/* The official layers: kernel, padding, dilation (xmindflow deformable_LKA). */
static const struct {
    int k, pad, dil;
} OFFICIAL[2] = {{5, 2, 1}, {7, 9, 3}};

/* Weight indices of the official variant (state_dict order). */
enum {
    W_P1 = 0,                 /* proj_1.weight, proj_1.bias */
    W_OFF0 = 2, W_DW0 = 4,    /* conv0.offset_net.{weight,bias}, conv0.deform_conv.weight */
    W_OFF1 = 5, W_DW1 = 7,    /* conv_spatial.* */
    W_C1_OFFICIAL = 8,        /* conv1.weight, conv1.bias; proj_2 follows */
};

static int dlka_variant(const struct args *a) { return arg_geti(a, "variant"); }

/* Sets one argument of the DCNv3 row by name; the row must have it. */
static void set_arg(struct args *a, const char *key, const char *value)
{
    char err[ERR_MAX];
    if (args_set(a, key, value, err, sizeof err) != 0) {
        fprintf(stderr, "ablate: deformable_LKA_Attention: %s\n", err);
        abort(); /* a schema mismatch between two rows: a programming error */
    }
}

/* Args of DCNv3 layer `layer` (0 or 1) of a DCNv3 variant: DCNv3_pytorch(C)
 * (blog) or DCNv3_pytorch(C, k, pad, dilation) (dcnv3_lka). */
static void dcnv3_layer_args(const struct args *a, int layer, struct args *sub)
{
    char c[16];
    args_defaults(&op_dcnv3, sub);
    snprintf(c, sizeof c, "%d", arg_geti(a, "d_model"));
    set_arg(sub, "channels", c);
    if (dlka_variant(a) == VAR_DCNV3_LKA) {
        char k[8], p[8], d[8];
        snprintf(k, sizeof k, "%d", OFFICIAL[layer].k);
        snprintf(p, sizeof p, "%d", OFFICIAL[layer].pad);
        snprintf(d, sizeof d, "%d", OFFICIAL[layer].dil);
        set_arg(sub, "kernel_size", k);
        set_arg(sub, "pad", p);
        set_arg(sub, "dilation", d);
    }
}

static struct shape4 dlka_out_shape(const struct args *a, struct shape4 in) { return in; }

static int dlka_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    int c = arg_geti(a, "d_model");
    if (c < 1) {
        snprintf(err, errlen, "deformable_LKA_Attention: d_model must be >= 1");
        return -1;
    }
    if (dlka_variant(a) == VAR_OFFICIAL)
        return 0;
    if (c % 4) { /* DCNv3_pytorch's default group 4; its own ValueError text */
        snprintf(err, errlen, "channels must be divisible by group, but got %d and 4", c);
        return -1;
    }
    struct args sub;
    for (int layer = 0; layer < 2; layer++) {
        dcnv3_layer_args(a, layer, &sub);
        if (sub.op->validate(&sub, in, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* proj_1, proj_2, conv1: three 1x1 convs with bias. */
static int64_t proj_params(int64_t c) { return 3 * (c * c + c); }

static int64_t official_params(int64_t c)
{
    int64_t p = 0;
    for (int l = 0; l < 2; l++) {
        int64_t kk = OFFICIAL[l].k * OFFICIAL[l].k;
        p += 2 * kk * c * kk + 2 * kk + c * kk; /* offset_net (with bias) + depthwise weight */
    }
    return proj_params(c) + p;
}

static int64_t dlka_params(const struct args *a)
{
    int64_t c = arg_geti(a, "d_model");
    if (dlka_variant(a) == VAR_OFFICIAL)
        return official_params(c);
    struct args sub;
    int64_t p = proj_params(c);
    for (int layer = 0; layer < 2; layer++) {
        dcnv3_layer_args(a, layer, &sub);
        p += sub.op->params(&sub);
    }
    return p;
}

static int64_t dlka_flops_thop(const struct args *a, struct shape4 in)
{
    int64_t c = arg_geti(a, "d_model"), pix = (int64_t)in.n * in.h * in.w;
    int64_t macs = 3 * c * c; /* thop: the 1x1 convs; bias, GELU, products 0 */
    if (dlka_variant(a) == VAR_OFFICIAL) {
        for (int l = 0; l < 2; l++) /* offset_net counted, deform_conv2d not a module */
            macs += 2LL * OFFICIAL[l].k * OFFICIAL[l].k * c * OFFICIAL[l].k * OFFICIAL[l].k;
        return 2 * pix * macs;
    }
    struct args sub;
    int64_t f = 2 * pix * macs;
    for (int layer = 0; layer < 2; layer++) {
        dcnv3_layer_args(a, layer, &sub);
        f += sub.op->flops_thop(&sub, in);
    }
    return f;
}

/* MODULES.md 6.2 item 5: 1x1 convs 2C^2 + C each, GELU 5C, gate C, add C. */
static int64_t dlka_flops_full(const struct args *a, struct shape4 in)
{
    int64_t c = arg_geti(a, "d_model"), pix = (int64_t)in.n * in.h * in.w;
    int64_t per_pixel = 6 * c * c + 10 * c;
    if (dlka_variant(a) == VAR_OFFICIAL) {
        for (int l = 0; l < 2; l++) {
            int64_t kk = OFFICIAL[l].k * OFFICIAL[l].k;
            per_pixel += 2 * (2 * kk) * c * kk + 2 * kk; /* offset conv MACs + bias */
            per_pixel += 12 * kk + 9 * kk * c;            /* per point; per point and channel */
        }
        return pix * per_pixel;
    }
    struct args sub;
    int64_t f = pix * per_pixel;
    for (int layer = 0; layer < 2; layer++) {
        dcnv3_layer_args(a, layer, &sub);
        f += sub.op->flops_full(&sub, in);
    }
    return f;
}

/* No BatchNorm anywhere (LayerNorm keeps no running stats): S = params. */
static int64_t dlka_bytes(const struct args *a, struct shape4 in)
{
    int64_t act = (int64_t)in.n * arg_geti(a, "d_model") * in.h * in.w;
    return 4 * (2 * act + dlka_params(a));
}

static void dlka_weights(const struct args *a, struct weight_list *wl)
{
    int64_t c = arg_geti(a, "d_model");
    static const char *const layer_names[2] = {"conv0", "conv_spatial"};
    char prefix[64];
    wl->n = 0;
    wl_add(wl, "", "proj_1.weight", 4, c, c, 1, 1);
    wl_add(wl, "", "proj_1.bias", 1, c, 0, 0, 0);
    for (int l = 0; l < 2; l++) {
        snprintf(prefix, sizeof prefix, "spatial_gating_unit.%s.", layer_names[l]);
        if (dlka_variant(a) == VAR_OFFICIAL) {
            int64_t k = OFFICIAL[l].k;
            wl_add(wl, prefix, "offset_net.weight", 4, 2 * k * k, c, k, k);
            wl_add(wl, prefix, "offset_net.bias", 1, 2 * k * k, 0, 0, 0);
            wl_add(wl, prefix, "deform_conv.weight", 4, c, 1, k, k);
            continue;
        }
        struct args sub;
        struct weight_list sw;
        dcnv3_layer_args(a, l, &sub);
        sub.op->weights(&sub, &sw);
        snprintf(prefix, sizeof prefix, "spatial_gating_unit.%s.deform_conv.", layer_names[l]);
        wl_append(wl, prefix, &sw);
    }
    wl_add(wl, "", "spatial_gating_unit.conv1.weight", 4, c, c, 1, 1);
    wl_add(wl, "", "spatial_gating_unit.conv1.bias", 1, c, 0, 0, 0);
    wl_add(wl, "", "proj_2.weight", 4, c, c, 1, 1);
    wl_add(wl, "", "proj_2.bias", 1, c, 0, 0, 0);
}

/* Index of spatial_gating_unit.conv1.weight; proj_2 follows it. */
static int conv1_index(const struct args *a)
{
    return op_weight_count(a->op, a) - 4;
}

static void init_linear(float *const *w, int64_t out, int64_t fan_in, enum init_mode mode,
                        float gain, struct rng *r)
{
    init_conv_weight(w[0], out * fan_in, fan_in, mode, gain, r);
    init_conv_weight(w[1], out, fan_in, mode, gain, r);
}

/* paper: PyTorch's defaults (kaiming-uniform weights, U(+-1/sqrt fan_in)
 * biases); random: the same scale, offset predictors x 2 so samples land
 * a few pixels away, between pixels and outside the map. */
static void dlka_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    int64_t c = arg_geti(a, "d_model");
    init_linear(w + W_P1, c, c, mode, 1.0f, r);
    if (dlka_variant(a) == VAR_OFFICIAL) {
        for (int l = 0; l < 2; l++) {
            int64_t kk = OFFICIAL[l].k * OFFICIAL[l].k;
            int off = l ? W_OFF1 : W_OFF0, dw = l ? W_DW1 : W_DW0;
            init_linear(w + off, 2 * kk, c * kk, mode, mode == INIT_PAPER ? 1.0f : 2.0f, r);
            init_conv_weight(w[dw], c * kk, kk, mode, 1.0f, r);
        }
    } else {
        struct args sub;
        int at = 2;
        for (int layer = 0; layer < 2; layer++) {
            dcnv3_layer_args(a, layer, &sub);
            sub.op->init(&sub, mode, r, w + at);
            at += op_weight_count(sub.op, &sub);
        }
    }
    int i = conv1_index(a);
    init_linear(w + i, c, c, mode, 1.0f, r);
    init_linear(w + i + 2, c, c, mode, 1.0f, r);
}

/* The two deformable layers: a -> a1 (t: scratch of the same size). */
static void deform_layers(const struct args *a, struct shape4 in, const float *const *w,
                          const float *u, float *a1, float *t)
{
    int c = in.c;
    if (dlka_variant(a) == VAR_OFFICIAL) {
        const int ks = OFFICIAL[1].k * OFFICIAL[1].k;
        float *off = ref_alloc((int64_t)in.n * 2 * ks * in.h * in.w);
        const float *src = u;
        for (int l = 0; l < 2; l++) {
            int k = OFFICIAL[l].k, pad = OFFICIAL[l].pad, dil = OFFICIAL[l].dil;
            int wo = l ? W_OFF1 : W_OFF0, wd = l ? W_DW1 : W_DW0;
            float *dst = l ? a1 : t;
            conv_bias_ref(in.n, c, 2 * k * k, in.h, in.w, k, pad, dil, src, w[wo], w[wo + 1], off);
            dw_deform_ref(in.n, c, in.h, in.w, k, pad, dil, src, off, w[wd], dst);
            src = dst;
        }
        free(off);
        return;
    }
    struct args s0, s1;
    dcnv3_layer_args(a, 0, &s0);
    dcnv3_layer_args(a, 1, &s1);
    op_forward_sub(s0.op, &s0, in, w, 2, u, t);
    op_forward_sub(s1.op, &s1, in, w, 2 + op_weight_count(s0.op, &s0), t, a1);
}

static void dlka_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                             const float *x, float *y)
{
    int c = arg_geti(a, "d_model");
    int64_t n = (int64_t)in.n * c * in.h * in.w;
    float *u = ref_alloc(n), *a1 = ref_alloc(n), *t = ref_alloc(n);
    int i1 = conv1_index(a);
    conv_bias_ref(in.n, c, c, in.h, in.w, 1, 0, 1, x, w[W_P1], w[W_P1 + 1], u);
    for (int64_t i = 0; i < n; i++)
        u[i] = gelu_ref(u[i]);
    deform_layers(a, in, w, u, a1, t);
    conv_bias_ref(in.n, c, c, in.h, in.w, 1, 0, 1, a1, w[i1], w[i1 + 1], t);
    for (int64_t i = 0; i < n; i++)
        t[i] = u[i] * t[i];
    conv_bias_ref(in.n, c, c, in.h, in.w, 1, 0, 1, t, w[i1 + 2], w[i1 + 3], y);
    for (int64_t i = 0; i < n; i++)
        y[i] += x[i];
    free(t);
    free(a1);
    free(u);
}

/* deformable_LKA_Attention, proj_1, GELU, deformable_LKA, conv1, proj_2,
 * and the two DeformConv wrappers: official = DeformConv(offset_net,
 * torchvision DeformConv2d) each; blog / dcnv3_lka = DeformConv holding
 * one DCNv3_pytorch each (its own counts). */
static void dlka_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    mc->modules += 6;
    mc->leaves += 4;
    for (int layer = 0; layer < 2; layer++) {
        mc->modules += 1; /* DeformConv */
        if (dlka_variant(a) == VAR_OFFICIAL) {
            mc->modules += 2;
            mc->leaves += 2;
        } else {
            struct args sub;
            dcnv3_layer_args(a, layer, &sub);
            op_dcnv3.model_counts(&sub, in, mc);
        }
    }
}

static const struct yaml_map dlka_yaml = {YAML_IGNORE, NULL, NULL, NULL};

const struct op op_dlka = {
    .name = "deformable_LKA_Attention",
    .aliases = "DLKA|deformable_LKA",
    .schema = dlka_schema,
    .arg_cin = "d_model",
    .arg_cout = "d_model",
    .arg_stride = NULL,
    .gen = "dlka",
    .tol_nmse = 1e-9,
    .tol_reason = "bilinear sampling at offsets computed in float32: a coordinate within an ulp "
                  "of an integer may floor differently (the sampler is continuous there)",
    .validate = dlka_validate,
    .out_shape = dlka_out_shape,
    .params = dlka_params,
    .flops_thop = dlka_flops_thop,
    .flops_full = dlka_flops_full,
    .bytes = dlka_bytes,
    .weights = dlka_weights,
    .init = dlka_init,
    .forward_ref = dlka_forward_ref,
    .yaml = &dlka_yaml,
    .model_counts = dlka_model_counts,
};

void dlka_sub_args(struct args *a, int d_model, int variant)
{
    args_defaults(&op_dlka, a);
    a->v[arg_index(&op_dlka, "d_model")] = d_model;
    a->v[arg_index(&op_dlka, "variant")] = variant;
}
