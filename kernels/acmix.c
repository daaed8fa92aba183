/* kernels/acmix.c — ACmix, mixed self-attention and convolution (MODULES.md 5.2).
 *
 * Three 1x1 projections q, k, v (with bias) feed two branches:
 *   attention  local self-attention over a kernel_att x kernel_att window of
 *              the reflection-padded k and v, with a relative positional term
 *              pe(query) - pe(key) from conv_p over a (x, y) linspace grid;
 *   conv       fc (a 1x1 over the 3*head q/k/v heads, no bias) gives
 *              kernel_conv^2 feature maps per head channel, then dep_conv, a
 *              grouped 3x3 (groups = head_dim, no bias: the seed's
 *              reset_parameters sets it to None).
 * out = rate1 * attention + rate2 * conv.  The official code and the seed
 * agree (MODULES.md 7); PyTorch only fails at the first forward for the
 * configurations validate() rejects here.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

static const struct arg_spec acmix_schema[] = {
    {"in_planes", ARG_INT, NULL, NULL, "input channels"},
    {"out_planes", ARG_INT, NULL, NULL, "output channels C (divisible by head)"},
    {"kernel_att", ARG_INT, "7", NULL, "attention window (odd)"},
    {"head", ARG_INT, "4", NULL, "attention heads"},
    {"kernel_conv", ARG_INT, "3", NULL, "shift-conv kernel (must be 3)"},
    {"stride", ARG_INT, "1", NULL, "stride of both branches"},
    {"dilation", ARG_INT, "1", NULL, "must be 1 (the seed's unfold has no dilation)"},
    /* ACmix has no BatchNorm; the key is accepted so that every tool can pass
     * bn_eps uniformly (goldens, CSV args), and it changes nothing. */
    {"bn_eps", ARG_FLOAT, "1e-5", NULL, "ignored: ACmix has no BatchNorm"},
    {NULL, 0, NULL, NULL, NULL},
};

struct acmix_cfg {
    int cin, c, ka, hd_n, kc, s, dil;
    int hd;  /* head_dim = C / head */
    int pad; /* reflection padding of the attention window */
};

static struct acmix_cfg acmix_cfg(const struct args *a)
{
    struct acmix_cfg c = {arg_geti(a, "in_planes"), arg_geti(a, "out_planes"),
                          arg_geti(a, "kernel_att"), arg_geti(a, "head"),
                          arg_geti(a, "kernel_conv"), arg_geti(a, "stride"),
                          arg_geti(a, "dilation"), 0, 0};
    c.hd = c.hd_n > 0 ? c.c / c.hd_n : 0;
    c.pad = (c.dil * (c.ka - 1) + 1) / 2;
    return c;
}

static struct shape4 acmix_out_shape(const struct args *a, struct shape4 in)
{
    struct acmix_cfg c = acmix_cfg(a);
    int s = c.s < 1 ? 1 : c.s;
    return (struct shape4){in.n, c.c, in.h / s, in.w / s};
}

static int acmix_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    struct acmix_cfg c = acmix_cfg(a);
    if (c.cin < 1 || c.c < 1 || c.hd_n < 1 || c.ka < 1 || c.s < 1) {
        snprintf(err, errlen, "ACmix: in_planes, out_planes, head, kernel_att and stride must be >= 1");
        return -1;
    }
    if (c.c % c.hd_n) {
        snprintf(err, errlen, "ACmix: out_planes (%d) must be divisible by head (%d)", c.c, c.hd_n);
        return -1;
    }
    if (c.kc != 3) {
        snprintf(err, errlen, "ACmix: kernel_conv must be 3 (dep_conv padding is fixed to 1)");
        return -1;
    }
    if (c.ka % 2 == 0 || c.dil != 1) {
        snprintf(err, errlen, "ACmix: kernel_att must be odd and dilation must be 1");
        return -1;
    }
    if (in.h < 1 || in.w < 1) {
        snprintf(err, errlen, "ACmix: input size must be >= 1");
        return -1;
    }
    if (in.h % c.s || in.w % c.s) {
        snprintf(err, errlen, "ACmix: input %dx%d not divisible by stride %d", in.h, in.w, c.s);
        return -1;
    }
    if (in.h <= c.pad || in.w <= c.pad) {
        snprintf(err, errlen, "ACmix: input %dx%d too small for reflection padding %d", in.h, in.w,
                 c.pad);
        return -1;
    }
    return 0;
}

/* MODULES.md 5.2 item 4: conv1-3, conv_p, fc, dep_conv, rate1, rate2. */
static int64_t acmix_params(const struct args *a)
{
    struct acmix_cfg c = acmix_cfg(a);
    int64_t kc2 = (int64_t)c.kc * c.kc;
    return 3 * (int64_t)c.c * (c.cin + 1) + 3 * (int64_t)c.hd + 3 * (int64_t)c.hd_n * kc2 +
           (int64_t)c.c * kc2 * kc2 + 2;
}

/* thop counts conv1-3, conv_p (on a batch-1 grid), nn.Softmax, fc and
 * dep_conv; pads, unfolds and the products are functional: 0. */
static int64_t acmix_flops_thop(const struct args *a, struct shape4 in)
{
    struct acmix_cfg c = acmix_cfg(a);
    struct shape4 o = acmix_out_shape(a, in);
    int64_t hw = (int64_t)in.h * in.w, ohw = (int64_t)o.h * o.w, kc2 = (int64_t)c.kc * c.kc;
    int64_t ka2 = (int64_t)c.ka * c.ka, b = in.n;
    int64_t macs = 3 * b * c.c * hw * c.cin + 2 * (int64_t)c.hd * hw +
                   b * c.hd_n * ohw * (3 * ka2 - 1) + 3 * b * kc2 * c.c * hw +
                   b * c.c * ohw * kc2 * kc2;
    return 2 * macs;
}

/* MODULES.md 5.2 item 5 (full): projections with bias, pe (2 MACs + bias),
 * per output and channel: q scaling 1, logits 4 per tap, weighted sum 2 per
 * tap, dep_conv 2 kc^4, mix 3; per head and output pixel a softmax over ka^2
 * taps; fc 2 * 3 Hd per F element. */
static int64_t acmix_flops_full(const struct args *a, struct shape4 in)
{
    struct acmix_cfg c = acmix_cfg(a);
    struct shape4 o = acmix_out_shape(a, in);
    int64_t hw = (int64_t)in.h * in.w, ohw = (int64_t)o.h * o.w, kc2 = (int64_t)c.kc * c.kc;
    int64_t ka2 = (int64_t)c.ka * c.ka, b = in.n;
    return 3 * b * c.c * hw * (2 * (int64_t)c.cin + 1) + 5 * (int64_t)c.hd * hw +
           b * c.c * ohw * (6 * ka2 + 2 * kc2 * kc2 + 4) + b * c.hd_n * ohw * (5 * ka2 - 2) +
           6 * b * kc2 * c.c * hw;
}

static int64_t acmix_bytes(const struct args *a, struct shape4 in)
{
    struct shape4 o = acmix_out_shape(a, in);
    return 4 * ((int64_t)in.n * in.c * in.h * in.w + (int64_t)o.n * o.c * o.h * o.w +
                acmix_params(a));
}

/* state_dict order: parameters in the order the constructor assigns them;
 * reset_parameters replaces dep_conv.weight in place (same key, same slot). */
static void acmix_weights(const struct args *a, struct weight_list *wl)
{
    struct acmix_cfg c = acmix_cfg(a);
    static const char *const proj[] = {"conv1.", "conv2.", "conv3."};
    wl->n = 0;
    wl_add(wl, "", "rate1", 1, 1, 0, 0, 0);
    wl_add(wl, "", "rate2", 1, 1, 0, 0, 0);
    for (int i = 0; i < 3; i++) {
        wl_add(wl, proj[i], "weight", 4, c.c, c.cin, 1, 1);
        wl_add(wl, proj[i], "bias", 1, c.c, 0, 0, 0);
    }
    wl_add(wl, "conv_p.", "weight", 4, c.hd, 2, 1, 1);
    wl_add(wl, "conv_p.", "bias", 1, c.hd, 0, 0, 0);
    wl_add(wl, "fc.", "weight", 4, (int64_t)c.kc * c.kc, 3 * (int64_t)c.hd_n, 1, 1);
    wl_add(wl, "dep_conv.", "weight", 4, c.c, (int64_t)c.kc * c.kc, c.kc, c.kc);
}

/* Indices into the weight pointer array (acmix_weights' order). */
enum { W_RATE1, W_RATE2, W_Q, W_QB, W_K, W_KB, W_V, W_VB, W_P, W_PB, W_FC, W_DEP };

/* paper: PyTorch's default conv init, rates 0.5 and dep_conv the shift
 * kernels w[o, t, t / kc, t % kc] = 1 (so the conv branch starts as kc^2
 * shifted copies of fc's maps).  random: every weight random, including
 * dep_conv and the rates, so no term of the mix is trivially neutral. */
static void acmix_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct acmix_cfg c = acmix_cfg(a);
    int kc2 = c.kc * c.kc;
    for (int i = W_RATE1; i <= W_RATE2; i++)
        w[i][0] = mode == INIT_PAPER ? 0.5f : rng_range(r, 0.3f, 1.2f);
    for (int i = W_Q; i <= W_VB; i += 2) {
        init_conv_weight(w[i], (int64_t)c.c * c.cin, c.cin, mode, 1.0f, r);
        init_conv_weight(w[i + 1], c.c, c.cin, mode, 0.5f, r);
    }
    init_conv_weight(w[W_P], 2 * (int64_t)c.hd, 2, mode, 1.0f, r);
    init_conv_weight(w[W_PB], c.hd, 2, mode, 1.0f, r);
    init_conv_weight(w[W_FC], (int64_t)kc2 * 3 * c.hd_n, 3 * c.hd_n, mode, 1.0f, r);
    int64_t ndep = (int64_t)c.c * kc2 * kc2;
    if (mode == INIT_RANDOM) {
        init_conv_weight(w[W_DEP], ndep, (int64_t)kc2 * kc2, mode, 1.0f, r);
        return;
    }
    for (int64_t i = 0; i < ndep; i++) {
        int64_t t = i / kc2 % kc2, uv = i % kc2; /* [o][t][u][v] */
        w[W_DEP][i] = uv == t ? 1.0f : 0.0f;
    }
}

/* torch.linspace(-1, 1, n) in float32 as PyTorch's CPU kernel computes it:
 * from the start for the first half, from the end for the second. */
static void linspace_f32(int n, float *out)
{
    if (n == 1) {
        out[0] = -1.0f;
        return;
    }
    float step = 2.0f / (float)(n - 1);
    int half = n / 2;
    for (int i = 0; i < n; i++)
        out[i] = i < half ? -1.0f + step * (float)i : 1.0f - step * (float)(n - i - 1);
}

/* Reflection index R(t, n) of MODULES.md 5.2 step 3 (valid for |excess| < n). */
static int reflect(int t, int n) { return t < 0 ? -t : t > n - 1 ? 2 * (n - 1) - t : t; }

/* Step 2: pe[d][y][x] = Wp[d,0] lw[x] + Wp[d,1] lh[y] + bp[d] (float32, as conv_p). */
static void acmix_pe(const struct acmix_cfg *c, int h, int w, const float *wp, const float *bp,
                     float *pe)
{
    float *lw = malloc(sizeof(float) * (size_t)w), *lh = malloc(sizeof(float) * (size_t)h);
    if (!lw || !lh) {
        fprintf(stderr, "ACmix: out of memory in the reference\n");
        abort();
    }
    linspace_f32(w, lw);
    linspace_f32(h, lh);
    for (int d = 0; d < c->hd; d++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                pe[((int64_t)d * h + y) * w + x] =
                    (float)((double)wp[2 * d] * lw[x] + (double)wp[2 * d + 1] * lh[y] + bp[d]);
    free(lw);
    free(lh);
}

/* Steps 3-5 for one image: att[h*hd + d][oy][ox]. */
static void acmix_attention(const struct acmix_cfg *c, struct shape4 in, const float *q,
                            const float *k, const float *v, const float *pe, float *att)
{
    int H = in.h, W = in.w, ho = H / c->s, wo = W / c->s, ka2 = c->ka * c->ka;
    int64_t hw = (int64_t)H * W;
    double sc = 1.0 / sqrt((double)c->hd);
    double *logit = malloc(sizeof(double) * (size_t)ka2);
    int *tap = malloc(sizeof(int) * (size_t)ka2);
    if (!logit || !tap) {
        fprintf(stderr, "ACmix: out of memory in the reference\n");
        abort();
    }
    for (int hh = 0; hh < c->hd_n; hh++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                int64_t pq = (int64_t)oy * c->s * W + (int64_t)ox * c->s;
                double m = -INFINITY, sum = 0;
                for (int t = 0; t < ka2; t++) {
                    int yy = reflect(oy * c->s + t / c->ka - c->pad, H);
                    int xx = reflect(ox * c->s + t % c->ka - c->pad, W);
                    tap[t] = yy * W + xx;
                    double l = 0;
                    for (int d = 0; d < c->hd; d++) {
                        int64_t ch = (int64_t)hh * c->hd + d;
                        float qd = (float)(q[ch * hw + pq] * sc);
                        float kk = (k[ch * hw + tap[t]] + pe[d * hw + pq]) - pe[d * hw + tap[t]];
                        l += (double)qd * kk;
                    }
                    logit[t] = l;
                    m = l > m ? l : m;
                }
                for (int t = 0; t < ka2; t++)
                    sum += logit[t] = exp(logit[t] - m);
                for (int d = 0; d < c->hd; d++) {
                    int64_t ch = (int64_t)hh * c->hd + d;
                    double acc = 0;
                    for (int t = 0; t < ka2; t++)
                        acc += logit[t] / sum * v[ch * hw + tap[t]];
                    att[(ch * ho + oy) * wo + ox] = (float)acc;
                }
            }
    free(logit);
    free(tap);
}

/* Steps 6-7 for one image: F (fc over the 3*head heads, re-indexed
 * d*kc^2 + t), then dep_conv (grouped 3x3, pad 1, stride s, no bias). */
static void acmix_conv_branch(const struct acmix_cfg *c, struct shape4 in, const float *qkv,
                              const float *wfc, const float *wdep, float *conv)
{
    int kc2 = c->kc * c->kc, nsrc = 3 * c->hd_n;
    int64_t hw = (int64_t)in.h * in.w;
    float *f = malloc(sizeof(float) * (size_t)(c->hd * kc2 * hw));
    if (!f) {
        fprintf(stderr, "ACmix: out of memory in the reference\n");
        abort();
    }
    /* src_c is head c of [q; k; v], i.e. plane c*hd + d of qkv */
    for (int d = 0; d < c->hd; d++)
        for (int t = 0; t < kc2; t++)
            for (int64_t p = 0; p < hw; p++) {
                double acc = 0;
                for (int s = 0; s < nsrc; s++)
                    acc += (double)wfc[t * nsrc + s] * qkv[((int64_t)s * c->hd + d) * hw + p];
                f[((int64_t)d * kc2 + t) * hw + p] = (float)acc;
            }
    struct conv2d_geom g = {1, c->hd * kc2, in.h, in.w, c->c, c->kc, c->kc, c->s, c->s,
                            1, 1,          1,    1,    c->hd};
    conv2d_ref(&g, f, wdep, NULL, conv);
    free(f);
}

static void acmix_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                              const float *x, float *y)
{
    struct acmix_cfg c = acmix_cfg(a);
    struct shape4 o = acmix_out_shape(a, in);
    int64_t hw = (int64_t)in.h * in.w, ohw = (int64_t)o.h * o.w, cplane = (int64_t)c.c * hw;
    float *qkv = malloc(sizeof(float) * (size_t)(3 * cplane));
    float *pe = malloc(sizeof(float) * (size_t)(c.hd * hw));
    float *att = malloc(sizeof(float) * (size_t)(c.c * ohw));
    float *conv = malloc(sizeof(float) * (size_t)(c.c * ohw));
    if (!qkv || !pe || !att || !conv) {
        fprintf(stderr, "ACmix: out of memory in the reference\n");
        abort();
    }
    acmix_pe(&c, in.h, in.w, w[W_P], w[W_PB], pe);
    struct conv2d_geom g1 = {1, c.cin, in.h, in.w, c.c, 1, 1, 1, 1, 0, 0, 1, 1, 1};
    for (int b = 0; b < in.n; b++) {
        const float *xb = x + (int64_t)b * c.cin * hw;
        /* Step 1: q, k, v */
        for (int i = 0; i < 3; i++)
            conv2d_ref(&g1, xb, w[W_Q + 2 * i], w[W_QB + 2 * i], qkv + i * cplane);
        acmix_attention(&c, in, qkv, qkv + cplane, qkv + 2 * cplane, pe, att);
        acmix_conv_branch(&c, in, qkv, w[W_FC], w[W_DEP], conv);
        /* Step 8: the mix */
        float *yb = y + (int64_t)b * c.c * ohw;
        for (int64_t i = 0; i < c.c * ohw; i++)
            yb[i] = (float)((double)w[W_RATE1][0] * att[i] + (double)w[W_RATE2][0] * conv[i]);
    }
    free(qkv);
    free(pe);
    free(att);
    free(conv);
}

/* ACmix, conv1-3, conv_p, fc, dep_conv, pad_att, unfold, softmax. */
static void acmix_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    mc->modules += 10;
    mc->leaves += 9;
}

/* The tutorial registers it with args = [ch[f], ch[f]]: YAML args ignored. */
static const struct yaml_map acmix_yaml = {YAML_IGNORE, NULL, NULL, NULL};

const struct op op_acmix = {
    .name = "ACmix",
    .aliases = NULL,
    .schema = acmix_schema,
    .arg_cin = "in_planes",
    .arg_cout = "out_planes",
    .arg_stride = "stride",
    .gen = "acmix",
    .tol_nmse = 1e-10,
    .tol_reason = "float32 projections and exp (a 2e-7 polynomial) vs double in the reference; "
                  "the softmax's constant pe(query) term is dropped (exact in real arithmetic)",
    .validate = acmix_validate,
    .out_shape = acmix_out_shape,
    .params = acmix_params,
    .flops_thop = acmix_flops_thop,
    .flops_full = acmix_flops_full,
    .bytes = acmix_bytes,
    .weights = acmix_weights,
    .init = acmix_init,
    .forward_ref = acmix_forward_ref,
    .yaml = &acmix_yaml,
    .model_counts = acmix_model_counts,
};
