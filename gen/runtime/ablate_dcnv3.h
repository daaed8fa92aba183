/* gen/runtime/ablate_dcnv3.h — DCNv3 pieces the generated DCNv3 kernels
 * (gen/templates/dcnv3_*.c.in) share.  Like ablate_gen.h: static inline,
 * sizes as arguments, so the template's constants specialise them.
 *
 *   abl_erff, abl_gelu   vectorisable erf and exact-form GELU (MODULES.md 0.1)
 *   abl_dw_row           depthwise k x k conv (zero padding) of one output row,
 *                        all channels, planar [c][w], vectorised along w
 *   abl_ln_gelu_row      LayerNorm over the channels of each pixel of that
 *                        row, then GELU, written channels-last
 */
#ifndef ABLATE_DCNV3_H
#define ABLATE_DCNV3_H

#include <math.h>
#include <stddef.h>

#include "ablate_gen.h"

/* erf(x) by Abramowitz & Stegun 7.1.26: 1 - t(a1 + t(a2 + ... a5 t)) e^{-x^2},
 * t = 1/(1 + p|x|), absolute error <= 1.5e-7, odd by copysign.  glibc's
 * erff has no vector version without -ffast-math, and one call per channel
 * and pixel would cost more than the depthwise conv it follows.  GELU
 * multiplies it by x/2, so its error stays below 1e-7 |x|. */
static inline float abl_erff(float x)
{
    const float a = fabsf(x);
    const float t = 1.0f / (1.0f + 0.3275911f * a);
    float poly = 1.061405429f;
    poly = poly * t - 1.453152027f;
    poly = poly * t + 1.421413741f;
    poly = poly * t - 0.284496736f;
    poly = poly * t + 0.254829592f;
    const float y = 1.0f - poly * t * abl_expf(-a * a);
    return copysignf(y, x);
}

/* GELU, exact form 0.5 x (1 + erf(x / sqrt 2)) (PyTorch's nn.GELU()). */
static inline float abl_gelu(float x) { return 0.5f * x * (1.0f + abl_erff(x * 0.70710678118654752f)); }

/* out[ch * w + j] = bias[ch] + sum_{u,v} wt[ch][u][v] x[ch][r - pd + u][j - pd + v]
 * for every channel ch < c and column j < w of output row r; x is one
 * image, c x h x w (NCHW), zero outside; k odd, pd = (k - 1) / 2.  The
 * column range of each tap is clipped instead of testing every pixel. */
static inline void abl_dw_row(const float *restrict x, const float *restrict wt,
                              const float *restrict bias, int c, int h, int w, int k, int r,
                              float *restrict out)
{
    const int pd = (k - 1) / 2;
    for (int ch = 0; ch < c; ch++) {
        float *o = out + (ptrdiff_t)ch * w;
        const float b = bias[ch];
#pragma omp simd
        for (int j = 0; j < w; j++)
            o[j] = b;
        for (int u = 0; u < k; u++) {
            const int yy = r - pd + u;
            if (yy < 0 || yy >= h)
                continue;
            const float *src = x + ((ptrdiff_t)ch * h + yy) * w;
            for (int v = 0; v < k; v++) {
                const float tap = wt[((ptrdiff_t)ch * k + u) * k + v];
                const int lo = pd - v > 0 ? pd - v : 0, hi = w + pd - v < w ? w + pd - v : w;
                const float *s = src + v - pd;
#pragma omp simd
                for (int j = lo; j < hi; j++)
                    o[j] += tap * s[j];
            }
        }
    }
}

/* dst[j * c + ch] = GELU(LN(plane[ch][j])) for the w pixels j of one row:
 * LayerNorm over the c channels of each pixel (biased variance, eps),
 * gamma/beta per channel.  The statistics are accumulated with the pixels
 * as vector lanes (stats: 2w floats of scratch); `plane` is overwritten. */
static inline void abl_ln_gelu_row(float *restrict plane, int c, int w, const float *restrict gamma,
                                   const float *restrict beta, float eps, float *restrict stats,
                                   float *restrict dst)
{
    float *mean = stats, *rstd = stats + w;
    const float inv_c = 1.0f / (float)c;
#pragma omp simd
    for (int j = 0; j < w; j++)
        mean[j] = rstd[j] = 0.0f;
    for (int ch = 0; ch < c; ch++)
#pragma omp simd
        for (int j = 0; j < w; j++)
            mean[j] += plane[(ptrdiff_t)ch * w + j];
#pragma omp simd
    for (int j = 0; j < w; j++)
        mean[j] *= inv_c;
    for (int ch = 0; ch < c; ch++)
#pragma omp simd
        for (int j = 0; j < w; j++) {
            const float d = plane[(ptrdiff_t)ch * w + j] - mean[j];
            rstd[j] += d * d;
        }
#pragma omp simd
    for (int j = 0; j < w; j++)
        rstd[j] = 1.0f / sqrtf(rstd[j] * inv_c + eps);
    for (int ch = 0; ch < c; ch++) {
        float *p = plane + (ptrdiff_t)ch * w;
        const float g = gamma[ch], b = beta[ch];
#pragma omp simd
        for (int j = 0; j < w; j++)
            p[j] = abl_gelu((p[j] - mean[j]) * rstd[j] * g + b);
    }
    for (int j = 0; j < w; j++) /* transpose to channels-last; the plane is in L1/L2 */
        for (int ch = 0; ch < c; ch++)
            dst[(ptrdiff_t)j * c + ch] = plane[(ptrdiff_t)ch * w + j];
}

#endif
