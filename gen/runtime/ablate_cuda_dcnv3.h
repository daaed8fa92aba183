/* gen/runtime/ablate_cuda_dcnv3.h — one DCNv3_pytorch layer on the device
 * (CUDA C++; included by generated .cu files): the DCNv3 row
 * (templates/dcnv3_fused.cu.in) and the DCNv3 variants of
 * deformable_LKA_Attention (runtime/ablate_cuda_dlka.h) run the same code,
 * with the layer's geometry as a struct rather than constants.
 *
 * Schedule, all pixels of the batch at once, channels last inside:
 *   1. x -> channels last (transpose kernel); xp = input_proj(x) (sgemm);
 *   2. x1 = GELU(LayerNorm(dw_conv(x))), one thread per pixel;
 *   3. offsets, mask logits (and the centre-feature-scale logits) as
 *      sgemms of x1; softmax of the mask, one thread per (pixel, group);
 *   4. the sampler: one thread per (pixel, channel) sums the P masked
 *      bilinear samples of xp (corners outside the map count 0), blended
 *      with xp when center_feature_scale;
 *   5. output_proj (sgemm), then back to NCHW unless nhwc.
 * Linears are cuBLAS sgemms (OpenBLAS in the host emulation), their biases
 * prefilled into the output (beta = 1).  Kernels: dcnv3_*_kernel (a
 * template marks them @spill_free). */
#ifndef ABLATE_CUDA_DCNV3_H
#define ABLATE_CUDA_DCNV3_H

#include "ablate_cuda.h"

/* A layer: batch, channels, map, groups, sampling kernel, depthwise kernel,
 * dilation, output layout, center_feature_scale, offset_scale. */
struct abl_dcn {
    int b, c, h, w, g, ks, dwk, dil, nhwc, cfs;
    float osc;
};

/* Weights in dcnv3_weights' order (kernels/dcnv3.c), from the layer's first. */
enum { DCN_W_DW, DCN_W_DWB, DCN_W_LNG, DCN_W_LNB, DCN_W_OFF, DCN_W_OFFB, DCN_W_M, DCN_W_MB,
       DCN_W_IN, DCN_W_INB, DCN_W_OUT, DCN_W_OUTB, DCN_W_CFS, DCN_W_CFSB };

ABL_HD int64_t abl_dcn_rows(const struct abl_dcn *d) { return (int64_t)d->b * d->h * d->w; }
ABL_HD int abl_dcn_gp(const struct abl_dcn *d) { return d->g * d->ks * d->ks; }

/* Workspace regions in floats: rows x (C | C | C | 2GP | GP | G | C | C). */
struct abl_dcn_ws {
    int64_t xl, xp, x1, off, mask, lam, core, yl, floats;
};

static inline struct abl_dcn_ws abl_dcn_layout(const struct abl_dcn *d)
{
    const int64_t rows = abl_dcn_rows(d), gp = abl_dcn_gp(d);
    struct abl_dcn_ws r;
    r.xl = 0;
    r.xp = r.xl + rows * d->c;
    r.x1 = r.xp + rows * d->c;
    r.off = r.x1 + rows * d->c;
    r.mask = r.off + rows * 2 * gp;
    r.lam = r.mask + rows * gp;
    r.core = r.lam + rows * d->g;
    r.yl = r.core + rows * d->c;
    r.floats = r.yl + rows * d->c;
    return r;
}

/* Step 2 for pixel pix of the batch: x1[C] = GELU(LN(dw_conv(x))) (LN eps 1e-6). */
ABL_HD void dcnv3_dw_ln_gelu_elem(int64_t pix, const struct abl_dcn *d, const float *x,
                                  const float *dw, const float *dwb, const float *lng,
                                  const float *lnb, float *x1)
{
    const int64_t hw = (int64_t)d->h * d->w;
    const int b = (int)(pix / hw), r = (int)(pix % hw), h = r / d->w, w = r % d->w;
    const int pd = (d->dwk - 1) / 2, k = d->dwk;
    float *o = x1 + pix * d->c, mean = 0.0f, var = 0.0f;
    for (int ch = 0; ch < d->c; ch++) {
        const float *xc = x + ((int64_t)b * d->c + ch) * hw;
        float acc = dwb[ch];
        for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++) {
                int yy = h - pd + u, xx = w - pd + v;
                if (yy >= 0 && yy < d->h && xx >= 0 && xx < d->w)
                    acc += dw[(ch * k + u) * k + v] * xc[yy * d->w + xx];
            }
        o[ch] = acc;
        mean += acc;
    }
    mean /= d->c;
    for (int ch = 0; ch < d->c; ch++)
        var += (o[ch] - mean) * (o[ch] - mean);
    float inv = 1.0f / sqrtf(var / d->c + 1e-6f);
    for (int ch = 0; ch < d->c; ch++) {
        float t = (o[ch] - mean) * inv * lng[ch] + lnb[ch];
        o[ch] = 0.5f * t * (1.0f + erff(t * 0.70710678118654752f));
    }
}

/* Softmax over the P mask logits of (pixel, group) i, in place. */
ABL_HD void dcnv3_softmax_elem(int64_t i, int p_count, float *mask)
{
    float *m = mask + i * p_count, mx = m[0], sum = 0.0f;
    for (int p = 1; p < p_count; p++)
        mx = m[p] > mx ? m[p] : mx;
    for (int p = 0; p < p_count; p++)
        sum += m[p] = expf(m[p] - mx);
    for (int p = 0; p < p_count; p++)
        m[p] /= sum;
}

/* bil0 of MODULES.md 0.1 on channel ch of image b of xp (channels last):
 * the four corners, each 0 outside the map. */
ABL_HD float dcnv3_bil0(const struct abl_dcn *d, const float *xp, int b, int ch, float ys, float xs)
{
    float y0 = floorf(ys), x0 = floorf(xs), ly = ys - y0, lx = xs - x0, v = 0.0f;
    for (int dy = 0; dy <= 1; dy++)
        for (int dx = 0; dx <= 1; dx++) {
            float yy = y0 + dy, xx = x0 + dx;
            if (yy < 0 || yy > d->h - 1 || xx < 0 || xx > d->w - 1)
                continue;
            float wt = (dy ? ly : 1 - ly) * (dx ? lx : 1 - lx);
            v += wt * xp[(((int64_t)b * d->h + (int64_t)yy) * d->w + (int64_t)xx) * d->c + ch];
        }
    return v;
}

/* Step 4, element i = (pixel, channel) of the batch. */
ABL_HD void dcnv3_sample_elem(int64_t i, const struct abl_dcn *d, const float *xp, const float *off,
                              const float *mask, const float *lam, float *core)
{
    const int ch = (int)(i % d->c), ks = d->ks, p_count = ks * ks, gp = abl_dcn_gp(d);
    const int64_t pix = i / d->c, hw = (int64_t)d->h * d->w;
    const int b = (int)(pix / hw), r = (int)(pix % hw), h = r / d->w, w = r % d->w;
    const int g = ch / (d->c / d->g), half = d->dil * (ks - 1) / 2;
    const float *o = off + pix * 2 * gp, *m = mask + pix * gp;
    float acc = 0.0f;
    for (int p = 0; p < p_count; p++) {
        int q = g * p_count + p; /* p = a * KS + c: a along W, c along H */
        float dx = (float)(-half + (p / ks) * d->dil), dy = (float)(-half + (p % ks) * d->dil);
        float xs = w + d->osc * (dx + o[2 * q]), ys = h + d->osc * (dy + o[2 * q + 1]);
        acc += m[q] * dcnv3_bil0(d, xp, b, ch, ys, xs);
    }
    if (d->cfs) {
        float l = abl_sigmoid(lam[pix * d->g + g]);
        acc = acc * (1 - l) + xp[pix * d->c + ch] * l;
    }
    core[i] = acc;
}

#ifndef ABLATE_CUDA_HOST_EMU
extern "C" __global__ void dcnv3_transpose_kernel(int64_t total, int c, int64_t hw, int to_nhwc,
                                                  const float *src, float *dst)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < total)
        abl_transpose_elem(i, c, hw, to_nhwc, src, dst);
}

extern "C" __global__ void dcnv3_bias_kernel(int64_t total, int n, const float *bias, float *out)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < total)
        abl_bias_rows_elem(i, n, bias, out);
}

extern "C" __global__ void dcnv3_dw_ln_gelu_kernel(struct abl_dcn d, const float *x,
                                                   const float *dw, const float *dwb,
                                                   const float *lng, const float *lnb, float *x1)
{
    int64_t pix = ABL_THREAD_INDEX();
    if (pix < abl_dcn_rows(&d))
        dcnv3_dw_ln_gelu_elem(pix, &d, x, dw, dwb, lng, lnb, x1);
}

extern "C" __global__ void dcnv3_softmax_kernel(int64_t total, int p_count, float *mask)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < total)
        dcnv3_softmax_elem(i, p_count, mask);
}

extern "C" __global__ void dcnv3_sample_kernel(struct abl_dcn d, const float *xp, const float *off,
                                               const float *mask, const float *lam, float *core)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < abl_dcn_rows(&d) * d.c)
        dcnv3_sample_elem(i, &d, xp, off, mask, lam, core);
}
#endif

/* NCHW <-> channels last over the batch (to_nhwc 1: src NCHW). */
static void abl_dcn_transpose(const struct abl_dcn *d, int to_nhwc, const float *src, float *dst,
                              const struct abl_cu_ctx *ctx)
{
    const int64_t total = abl_dcn_rows(d) * d->c, hw = (int64_t)d->h * d->w;
#ifdef ABLATE_CUDA_HOST_EMU
    ABL_FOR(i, total) abl_transpose_elem(i, d->c, hw, to_nhwc, src, dst);
#else
    dcnv3_transpose_kernel<<<abl_grid(total), ABL_BLOCK, 0, abl_stream(ctx)>>>(total, d->c, hw,
                                                                             to_nhwc, src, dst);
#endif
}

/* out (rows x n) = in (rows x C) . wt^T + bias, wt n x C (a Linear). */
static void abl_dcn_linear(const struct abl_dcn *d, const struct abl_cu_ctx *ctx, const float *in,
                           const float *wt, const float *bias, int n, float *out)
{
    const int64_t rows = abl_dcn_rows(d), total = rows * n;
#ifdef ABLATE_CUDA_HOST_EMU
    ABL_FOR(i, total) abl_bias_rows_elem(i, n, bias, out);
#else
    dcnv3_bias_kernel<<<abl_grid(total), ABL_BLOCK, 0, abl_stream(ctx)>>>(total, n, bias, out);
#endif
    abl_sgemm(ctx, 0, 1, (int)rows, n, d->c, 1.0f, in, d->c, wt, d->c, 1.0f, out, n);
}

/* The layer: x (NCHW) -> y (NCHW, or channels last when d->nhwc); w: its
 * weights from dw_conv.0.weight on; ws: abl_dcn_layout(d).floats. */
static void abl_dcn_forward(const struct abl_dcn *d, const float *const *w, const float *x,
                            float *y, float *ws, const struct abl_cu_ctx *ctx)
{
    const struct abl_dcn_ws r = abl_dcn_layout(d);
    const int64_t rows = abl_dcn_rows(d);
    const int gp = abl_dcn_gp(d), p_count = d->ks * d->ks;
    float *xl = ws + r.xl, *xp = ws + r.xp, *x1 = ws + r.x1, *off = ws + r.off;
    float *mask = ws + r.mask, *lam = ws + r.lam, *core = ws + r.core;
    float *yl = d->nhwc ? y : ws + r.yl;
    abl_dcn_transpose(d, 1, x, xl, ctx);
#ifdef ABLATE_CUDA_HOST_EMU
    ABL_FOR(pix, rows) dcnv3_dw_ln_gelu_elem(pix, d, x, w[DCN_W_DW], w[DCN_W_DWB], w[DCN_W_LNG],
                                             w[DCN_W_LNB], x1);
#else
    cudaStream_t st = abl_stream(ctx);
    dcnv3_dw_ln_gelu_kernel<<<abl_grid(rows), ABL_BLOCK, 0, st>>>(*d, x, w[DCN_W_DW], w[DCN_W_DWB],
                                                                  w[DCN_W_LNG], w[DCN_W_LNB], x1);
#endif
    abl_dcn_linear(d, ctx, xl, w[DCN_W_IN], w[DCN_W_INB], d->c, xp);
    abl_dcn_linear(d, ctx, x1, w[DCN_W_OFF], w[DCN_W_OFFB], 2 * gp, off);
    abl_dcn_linear(d, ctx, x1, w[DCN_W_M], w[DCN_W_MB], gp, mask);
    if (d->cfs)
        abl_dcn_linear(d, ctx, x1, w[DCN_W_CFS], w[DCN_W_CFSB], d->g, lam);
#ifdef ABLATE_CUDA_HOST_EMU
    ABL_FOR(i, rows * d->g) dcnv3_softmax_elem(i, p_count, mask);
    ABL_FOR(i, rows * d->c) dcnv3_sample_elem(i, d, xp, off, mask, lam, core);
#else
    dcnv3_softmax_kernel<<<abl_grid(rows * d->g), ABL_BLOCK, 0, st>>>(rows * d->g, p_count, mask);
    dcnv3_sample_kernel<<<abl_grid(rows * d->c), ABL_BLOCK, 0, st>>>(*d, xp, off, mask, lam, core);
#endif
    abl_dcn_linear(d, ctx, core, w[DCN_W_OUT], w[DCN_W_OUTB], d->c, yl);
    if (!d->nhwc)
        abl_dcn_transpose(d, 0, yl, y, ctx);
}

#endif
