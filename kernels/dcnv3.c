/* kernels/dcnv3.c — DCNv3 (InternImage's DCNv3_pytorch, the pure-PyTorch
 * core of seed 004), MODULES.md 6.1.
 *
 * Per pixel, channels last: xp = input_proj(x); x1 = GELU(LN(dwconv(x)));
 * offsets (G*P*2) and mask logits (G*P) are two Linears of x1, the mask a
 * softmax over the P = k*k points of each of the G groups; every group's
 * gc = C/G channels of xp are sampled bilinearly (zero outside the map) at
 * P learned locations and summed with the mask; optionally blended with xp
 * (center_feature_scale); output_proj.
 *
 * layout: the input is always B x C x H x W (every row's input, MODULES.md
 * 6.1 step 1 transposes it itself); nchw returns B x C x H x W like the
 * seed's wrapper, nhwc returns B x H x W x C like upstream's module (the
 * logical output shape is the same, only the memory order differs).
 *
 * dw_kernel_size is an int or None (= kernel_size): an ARG_INT with the
 * named value None, stored as -1.  act_layer/norm_layer are fixed to the
 * defaults (GELU, LN): no seed uses another.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

enum { DWK_NONE = -1 };

static const struct arg_spec dcnv3_schema[] = {
    {"channels", ARG_INT, "64", NULL, "channels C (in = out)"},
    {"kernel_size", ARG_INT, "3", NULL, "sampling kernel k (P = k*k points per group)"},
    {"dw_kernel_size", ARG_INT, "None", "None", "depthwise conv kernel (odd); None = kernel_size"},
    {"stride", ARG_INT, "1", NULL, "must be 1"},
    {"pad", ARG_INT, "1", NULL, "2*pad must equal dilation*(kernel_size-1)"},
    {"dilation", ARG_INT, "1", NULL, "dilation of the sampling grid"},
    {"group", ARG_INT, "4", NULL, "groups G (channels divisible by G)"},
    {"offset_scale", ARG_FLOAT, "1.0", NULL, "scale of grid + learned offsets"},
    {"layout", ARG_ENUM, "nchw", "nchw|nhwc", "output memory order (input is always NCHW)"},
    {"center_feature_scale", ARG_BOOL, "0", NULL, "blend the output with xp by sigmoid(Linear(x1))"},
    {NULL, 0, NULL, NULL, NULL},
};

struct dcnv3_cfg {
    int C, k, dwk, s, pad, dil, G, nhwc, cfs;
    double osc;
    int gc, P; /* channels per group, sampling points per group */
};

static struct dcnv3_cfg dcnv3_cfg(const struct args *a)
{
    struct dcnv3_cfg c = {arg_geti(a, "channels"), arg_geti(a, "kernel_size"),
                          arg_geti(a, "dw_kernel_size"), arg_geti(a, "stride"),
                          arg_geti(a, "pad"), arg_geti(a, "dilation"), arg_geti(a, "group"),
                          arg_geti(a, "layout"), arg_geti(a, "center_feature_scale"),
                          arg_get(a, "offset_scale"), 0, 0};
    if (c.dwk == DWK_NONE)
        c.dwk = c.k;
    c.gc = c.G > 0 ? c.C / c.G : 0;
    c.P = c.k * c.k;
    return c;
}

static struct shape4 dcnv3_out_shape(const struct args *a, struct shape4 in)
{
    return (struct shape4){in.n, arg_geti(a, "channels"), in.h, in.w};
}

static int dcnv3_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    struct dcnv3_cfg c = dcnv3_cfg(a);
    if (c.C < 1 || c.k < 1 || c.dwk < 1 || c.G < 1 || c.dil < 1) {
        snprintf(err, errlen,
                 "DCNv3: channels, kernel_size, dw_kernel_size, group and dilation must be >= 1");
        return -1;
    }
    if (c.C % c.G) { /* upstream's ValueError, word for word (MODULES.md 6.1 item 7) */
        snprintf(err, errlen, "channels must be divisible by group, but got %d and %d", c.C, c.G);
        return -1;
    }
    if (c.s != 1 || 2 * c.pad != c.dil * (c.k - 1)) {
        snprintf(err, errlen, "DCNv3: requires stride 1 and 2*pad == dilation*(kernel_size-1)");
        return -1;
    }
    if (c.dwk % 2 == 0) {
        snprintf(err, errlen, "DCNv3: dw_kernel_size must be odd");
        return -1;
    }
    if (in.h < 1 || in.w < 1) {
        snprintf(err, errlen, "DCNv3: input size must be >= 1");
        return -1;
    }
    return 0;
}

/* MODULES.md 6.1 item 4. */
static int64_t dcnv3_params(const struct args *a)
{
    struct dcnv3_cfg c = dcnv3_cfg(a);
    int64_t C = c.C, GP = (int64_t)c.G * c.P;
    return 2 * C * C + 2 * C + C * c.dwk * c.dwk + C + 2 * C + 3 * GP * C + 3 * GP +
           (c.cfs ? (int64_t)c.G * C + c.G : 0);
}

/* thop sees dw_conv (Conv2d), the LayerNorm and the four Linears; the
 * sampler, softmax and center_feature_scale are functional (0). */
static int64_t dcnv3_flops_thop(const struct args *a, struct shape4 in)
{
    struct dcnv3_cfg c = dcnv3_cfg(a);
    int64_t C = c.C, GP = (int64_t)c.G * c.P, pix = (int64_t)in.n * in.h * in.w;
    return 2 * pix * (C * c.dwk * c.dwk + 4 * C + 3 * GP * C + 2 * C * C);
}

/* MODULES.md 6.1 item 5 (full), per pixel: projections 4C^2 + 2C, dw conv
 * (2 dwk^2 + 1)C, LN 7C + 2, GELU 5C, offset/mask Linears 6CGP + 3GP,
 * softmax G(5P - 2), sampling 16 per point and 9 per channel and point. */
static int64_t dcnv3_flops_full(const struct args *a, struct shape4 in)
{
    struct dcnv3_cfg c = dcnv3_cfg(a);
    int64_t C = c.C, G = c.G, P = c.P, pix = (int64_t)in.n * in.h * in.w;
    int64_t per = 4 * C * C + C * (2 * (int64_t)c.dwk * c.dwk + 15) + 6 * C * G * P + 9 * C * P +
                  24 * G * P - 2 * G + 2;
    if (c.cfs)
        per += 2 * C * G + 5 * G + 3 * C;
    return pix * per;
}

static int64_t dcnv3_bytes(const struct args *a, struct shape4 in)
{
    return 4 * (2 * (int64_t)in.n * arg_geti(a, "channels") * in.h * in.w + dcnv3_params(a));
}

/* state_dict order = registration order: dw_conv, offset, mask, the
 * projections (constructor), then center_feature_scale_proj_* (assigned
 * after _reset_parameters). */
static void dcnv3_weights(const struct args *a, struct weight_list *wl)
{
    struct dcnv3_cfg c = dcnv3_cfg(a);
    int64_t GP = (int64_t)c.G * c.P;
    wl->n = 0;
    wl_add(wl, "dw_conv.0.", "weight", 4, c.C, 1, c.dwk, c.dwk);
    wl_add(wl, "dw_conv.0.", "bias", 1, c.C, 0, 0, 0);
    wl_add(wl, "dw_conv.1.1.", "weight", 1, c.C, 0, 0, 0);
    wl_add(wl, "dw_conv.1.1.", "bias", 1, c.C, 0, 0, 0);
    wl_add(wl, "offset.", "weight", 2, 2 * GP, c.C, 0, 0);
    wl_add(wl, "offset.", "bias", 1, 2 * GP, 0, 0, 0);
    wl_add(wl, "mask.", "weight", 2, GP, c.C, 0, 0);
    wl_add(wl, "mask.", "bias", 1, GP, 0, 0, 0);
    wl_add(wl, "input_proj.", "weight", 2, c.C, c.C, 0, 0);
    wl_add(wl, "input_proj.", "bias", 1, c.C, 0, 0, 0);
    wl_add(wl, "output_proj.", "weight", 2, c.C, c.C, 0, 0);
    wl_add(wl, "output_proj.", "bias", 1, c.C, 0, 0, 0);
    if (c.cfs) {
        wl_add(wl, "", "center_feature_scale_proj_weight", 2, c.G, c.C, 0, 0);
        wl_add(wl, "", "center_feature_scale_proj_bias", 1, c.G, 0, 0, 0);
    }
}

/* Indices into the weight pointer array (dcnv3_weights' order). */
enum { W_DW, W_DWB, W_LNG, W_LNB, W_OFF, W_OFFB, W_M, W_MB, W_IN, W_INB, W_OUT, W_OUTB, W_CFS, W_CFSB };

static void fill(float *w, int64_t n, float v)
{
    for (int64_t i = 0; i < n; i++)
        w[i] = v;
}

static void normal(float *w, int64_t n, float sd, struct rng *r)
{
    for (int64_t i = 0; i < n; i++)
        w[i] = sd * rng_normal(r);
}

/* paper: upstream's _reset_parameters: offset and mask 0, projections
 * xavier_uniform with bias 0, dw conv PyTorch's default, LN (1, 0),
 * center_feature_scale_proj 0.  random: every tensor random, offsets of a
 * few pixels (samples leave small maps) and mask logits of order 1 (the
 * softmax is far from uniform). */
static void dcnv3_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct dcnv3_cfg c = dcnv3_cfg(a);
    int64_t C = c.C, GP = (int64_t)c.G * c.P, k2 = (int64_t)c.dwk * c.dwk;
    float isc = 1.0f / sqrtf((float)C);
    init_conv_weight(w[W_DW], C * k2, k2, mode, 1.0f, r);
    init_conv_weight(w[W_DWB], C, k2, mode, 1.0f, r);
    if (mode == INIT_PAPER) {
        float xavier = sqrtf(6.0f / (float)(2 * C));
        fill(w[W_LNG], C, 1.0f);
        fill(w[W_LNB], C, 0.0f);
        fill(w[W_OFF], 2 * GP * C, 0.0f);
        fill(w[W_OFFB], 2 * GP, 0.0f);
        fill(w[W_M], GP * C, 0.0f);
        fill(w[W_MB], GP, 0.0f);
        for (int i = W_IN; i <= W_OUT; i += 2) {
            for (int64_t j = 0; j < C * C; j++)
                w[i][j] = rng_range(r, -xavier, xavier);
            fill(w[i + 1], C, 0.0f);
        }
        if (c.cfs) {
            fill(w[W_CFS], (int64_t)c.G * C, 0.0f);
            fill(w[W_CFSB], c.G, 0.0f);
        }
        return;
    }
    for (int64_t j = 0; j < C; j++)
        w[W_LNG][j] = rng_range(r, 0.5f, 1.5f);
    normal(w[W_LNB], C, 0.2f, r);
    normal(w[W_OFF], 2 * GP * C, 2.0f * isc, r);
    normal(w[W_OFFB], 2 * GP, 2.0f, r);
    normal(w[W_M], GP * C, 1.5f * isc, r);
    normal(w[W_MB], GP, 1.0f, r);
    for (int i = W_IN; i <= W_OUT; i += 2) {
        normal(w[i], C * C, isc, r);
        normal(w[i + 1], C, 0.5f, r);
    }
    if (c.cfs) {
        normal(w[W_CFS], (int64_t)c.G * C, isc, r);
        normal(w[W_CFSB], c.G, 1.0f, r);
    }
}

/* bil0 of MODULES.md 0.1 on one channel of a channels-last H x W x C map:
 * the four corners, each 0 outside [0, H-1] x [0, W-1]. */
static double bil0_cl(const double *img, int H, int W, int C, int ch, double ys, double xs)
{
    double y0 = floor(ys), x0 = floor(xs), ly = ys - y0, lx = xs - x0, v = 0;
    for (int dy = 0; dy <= 1; dy++)
        for (int dx = 0; dx <= 1; dx++) {
            double yy = y0 + dy, xx = x0 + dx;
            if (yy < 0 || yy > H - 1 || xx < 0 || xx > W - 1)
                continue;
            double wt = (dy ? ly : 1 - ly) * (dx ? lx : 1 - lx);
            v += wt * img[((int64_t)yy * W + (int64_t)xx) * C + ch];
        }
    return v;
}

/* Step 2 for one pixel: x1 = GELU(LN(dwconv(x))) over the C channels. */
static void dw_ln_gelu(const struct dcnv3_cfg *c, const float *const *w, const float *xb, int H,
                       int W, int h, int wq, double *x1)
{
    int pd = (c->dwk - 1) / 2;
    double mean = 0, var = 0;
    for (int ch = 0; ch < c->C; ch++) {
        double acc = w[W_DWB][ch];
        for (int u = 0; u < c->dwk; u++)
            for (int v = 0; v < c->dwk; v++) {
                int yy = h - pd + u, xx = wq - pd + v;
                if (yy >= 0 && yy < H && xx >= 0 && xx < W)
                    acc += (double)w[W_DW][((int64_t)ch * c->dwk + u) * c->dwk + v] *
                           xb[((int64_t)ch * H + yy) * W + xx];
            }
        x1[ch] = acc;
        mean += acc / c->C;
    }
    for (int ch = 0; ch < c->C; ch++)
        var += (x1[ch] - mean) * (x1[ch] - mean) / c->C;
    for (int ch = 0; ch < c->C; ch++) {
        double t = (x1[ch] - mean) / sqrt(var + 1e-6) * w[W_LNG][ch] + w[W_LNB][ch];
        x1[ch] = 0.5 * t * (1.0 + erf(t / sqrt(2.0)));
    }
}

/* out[o] = b[o] + sum_i W[o][i] in[i], o < n (a Linear, double). */
static void linear(const float *wt, const float *b, const double *in, int nin, int n, double *out)
{
    for (int o = 0; o < n; o++) {
        double acc = b[o];
        for (int i = 0; i < nin; i++)
            acc += (double)wt[(int64_t)o * nin + i] * in[i];
        out[o] = acc;
    }
}

/* Steps 3-7 for one pixel (h, wq): core[C] from xp (H x W x C, channels
 * last) and x1; om scratch of 3GP + G doubles. */
static void sample_pixel(const struct dcnv3_cfg *c, const float *const *w, const double *xp, int H,
                         int W, int h, int wq, const double *x1, double *om, double *core)
{
    int GP = c->G * c->P, half = c->dil * (c->k - 1) / 2;
    double *off = om, *m = om + 2 * GP;
    linear(w[W_OFF], w[W_OFFB], x1, c->C, 2 * GP, off);
    linear(w[W_M], w[W_MB], x1, c->C, GP, m);
    for (int g = 0; g < c->G; g++) { /* softmax over the group's P points */
        double mx = -INFINITY, sum = 0;
        for (int p = 0; p < c->P; p++)
            mx = m[g * c->P + p] > mx ? m[g * c->P + p] : mx;
        for (int p = 0; p < c->P; p++)
            sum += m[g * c->P + p] = exp(m[g * c->P + p] - mx);
        for (int p = 0; p < c->P; p++)
            m[g * c->P + p] /= sum;
    }
    for (int ch = 0; ch < c->C; ch++)
        core[ch] = 0;
    for (int g = 0; g < c->G; g++)
        for (int p = 0; p < c->P; p++) {
            int ia = p / c->k, ic = p % c->k; /* p = a*k + c: a along W, c along H */
            double dx = -half + ia * c->dil, dy = -half + ic * c->dil;
            int q = g * c->P + p;
            double xs = wq + c->osc * (dx + off[2 * q]), ys = h + c->osc * (dy + off[2 * q + 1]);
            for (int j = 0; j < c->gc; j++) {
                int ch = g * c->gc + j;
                core[ch] += m[q] * bil0_cl(xp, H, W, c->C, ch, ys, xs);
            }
        }
    if (!c->cfs)
        return;
    double *lam = om + 3 * GP;
    linear(w[W_CFS], w[W_CFSB], x1, c->C, c->G, lam);
    for (int ch = 0; ch < c->C; ch++) {
        double l = 1.0 / (1.0 + exp(-lam[ch / c->gc]));
        core[ch] = core[ch] * (1 - l) + xp[((int64_t)h * W + wq) * c->C + ch] * l;
    }
}

static void dcnv3_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                              const float *x, float *y)
{
    struct dcnv3_cfg c = dcnv3_cfg(a);
    int H = in.h, W = in.w, C = c.C, GP = c.G * c.P;
    int64_t hw = (int64_t)H * W;
    double *xp = malloc(sizeof(double) * (size_t)(hw * C));
    double *tmp = malloc(sizeof(double) * (size_t)(3 * C + 3 * GP + c.G));
    if (!xp || !tmp) {
        fprintf(stderr, "DCNv3: out of memory in the reference\n");
        abort();
    }
    double *xl = tmp, *x1 = tmp + C, *core = tmp + 2 * C, *om = tmp + 3 * C;
    for (int b = 0; b < in.n; b++) {
        const float *xb = x + (int64_t)b * C * hw;
        for (int64_t pix = 0; pix < hw; pix++) { /* step 1: xp = input_proj(channels-last x) */
            for (int ch = 0; ch < C; ch++)
                xl[ch] = xb[ch * hw + pix];
            linear(w[W_IN], w[W_INB], xl, C, C, xp + pix * C);
        }
        for (int h = 0; h < H; h++)
            for (int wq = 0; wq < W; wq++) {
                dw_ln_gelu(&c, w, xb, H, W, h, wq, x1);
                sample_pixel(&c, w, xp, H, W, h, wq, x1, om, core);
                linear(w[W_OUT], w[W_OUTB], core, C, C, xl); /* step 8: output_proj */
                int64_t pix = (int64_t)h * W + wq, base = (int64_t)b * C * hw;
                for (int o = 0; o < C; o++)
                    y[base + (c.nhwc ? pix * C + o : o * hw + pix)] = (float)xl[o];
            }
    }
    free(xp);
    free(tmp);
}

/* DCNv3_pytorch; dw_conv = nn.Sequential(Conv2d, nn.Sequential(
 * to_channels_last, LayerNorm), GELU); offset, mask, input_proj,
 * output_proj; CenterFeatureScaleModule when center_feature_scale. */
static void dcnv3_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    int cfs = arg_geti(a, "center_feature_scale");
    mc->modules += 1 + 6 + 4 + cfs;
    mc->leaves += 4 + 4 + cfs;
}

/* Harness mapping (MODULES.md 2.1): [kernel_size=3, group=4] ->
 * DCNv3_pytorch(ch[f], kernel_size, group=group, pad=kernel_size // 2). */
static int dcnv3_yaml_finish(struct args *a, char *err, size_t errlen)
{
    a->v[arg_index(&op_dcnv3, "pad")] = arg_geti(a, "kernel_size") / 2;
    return 0;
}

static const struct yaml_map dcnv3_yaml = {YAML_SAME, "kernel_size|group", NULL, dcnv3_yaml_finish};

const struct op op_dcnv3 = {
    .name = "DCNv3",
    .aliases = "DCNv3_pytorch",
    .schema = dcnv3_schema,
    .arg_cin = "channels",
    .arg_cout = "channels",
    .arg_stride = "stride",
    .gen = "dcnv3",
    .tol_nmse = 1e-9,
    .tol_reason = "float32 projections, LayerNorm and a polynomial erf/exp (about 2e-7) feed "
                  "the offsets; the bilinear sampler is continuous, so errors stay of that order",
    .validate = dcnv3_validate,
    .out_shape = dcnv3_out_shape,
    .params = dcnv3_params,
    .flops_thop = dcnv3_flops_thop,
    .flops_full = dcnv3_flops_full,
    .bytes = dcnv3_bytes,
    .weights = dcnv3_weights,
    .init = dcnv3_init,
    .forward_ref = dcnv3_forward_ref,
    .yaml = &dcnv3_yaml,
    .model_counts = dcnv3_model_counts,
};
