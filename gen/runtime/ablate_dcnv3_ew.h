/* gen/runtime/ablate_dcnv3_ew.h — DCNv3 phase A's element-wise pieces:
 * the exact-form GELU, the LayerNorm + GELU of a row, the softmax of the
 * mask logits.  Split out of ablate_dcnv3.h (which includes this, and
 * which the generated kernels include) to keep each header readable.
 *
 *   abl_erff, abl_gelu   vectorisable erf and exact-form GELU (MODULES.md 0.1);
 *                        abl_gelu16 / abl_gelu_inplace: 16 lanes, no division
 *   abl_ln_gelu_row      LayerNorm over the channels of each pixel of a
 *                        row, then GELU, written channels-last
 *   abl_dcn_softmax      softmax of each group's P mask logits of a pixel
 *   abl_dcn_softmax_rows the same for n pixels, 16 of them as vector lanes
 */
#ifndef ABLATE_DCNV3_EW_H
#define ABLATE_DCNV3_EW_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ablate_gen.h"

/* Sizes are arguments, and the callers pass constants (the template's
 * enums, or the attention's literal layer geometries): forcing these
 * inline lets gcc specialise them, so that a DCNv3 layer inside an
 * attention compiles to the same fixed-trip-count loops as the DCNv3 row's
 * own kernel (left to itself it keeps one run-time-sized copy). */
#define ABL_DCN_SPECIALISE static inline __attribute__((always_inline))

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

#ifdef __AVX512F__
/* abl_gelu on 16 lanes, for the rows of GELU after LayerNorm (64 channels
 * x 6400 pixels a call at L16).  gcc's vectorised abl_gelu took ~40 cycles
 * a vector (a vdivps, abl_expf's integer steps, copysign): 0.28 ms of the
 * 3.1 ms L16 call at 1 thread.  Here ~25 vector ops, no division, no
 * integer steps; the same A&S 7.1.26 erf (absolute error <= 1.5e-7):
 *   a = |x| / sqrt 2, x clamped to [-16, 16] first (erfc(16 / sqrt 2) is 0
 *       in float anyway; the clamp keeps inf * 0 out of h below),
 *   t = 1 / (1 + p a): vrcp14ps and one Newton step (error ~ 2^-28),
 *   e^{-a^2} = 2^u, u = -a^2 log2(e): abl_exp2_frac16 of frac(u), scaled
 *       by 2^floor(u) (vscalefps), as abl_sigmoid16,
 *   q = erfc(a) = t poly(t) e^{-a^2}, h = x q / 2:
 *   GELU = h for x < 0, else x - h (0.5 x (1 -+ erf)): the x < 0 side
 *       has no 1 - erf cancellation (abl_gelu's has); NaN and +inf come
 *       through x - h unchanged; -inf gives NaN, as abl_gelu and PyTorch.
 * Largest absolute error against double erf over [-16, 16]: in
 * tests/test_dcnv3_gelu.c (bound 4e-7 |x|, checked there). */
static inline __m512 abl_gelu16(__m512 x)
{
    const __m512 one = _mm512_set1_ps(1.0f), lim = _mm512_set1_ps(16.0f);
    const __m512 xc = _mm512_min_ps(_mm512_max_ps(x, _mm512_sub_ps(_mm512_setzero_ps(), lim)), lim);
    const __m512 ax = _mm512_abs_ps(xc);
    const __m512 d = _mm512_fmadd_ps(ax, _mm512_set1_ps(0.3275911f * 0.70710678118654752f), one);
    const __m512 rc = _mm512_rcp14_ps(d);
    const __m512 t = _mm512_fmadd_ps(rc, _mm512_fnmadd_ps(d, rc, one), rc);
    __m512 poly = _mm512_set1_ps(1.061405429f);
    poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-1.453152027f));
    poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(1.421413741f));
    poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-0.284496736f));
    poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(0.254829592f));
    /* u = -(x^2 / 2) log2(e) */
    const __m512 u = _mm512_mul_ps(_mm512_mul_ps(ax, _mm512_set1_ps(-0.72134752044448170f)), ax);
    const __m512 e = _mm512_scalef_ps(abl_exp2_frac16(abl_frac16(u)), u);
    const __m512 s = _mm512_mul_ps(_mm512_mul_ps(poly, t), e);
    const __m512 h = _mm512_mul_ps(_mm512_mul_ps(xc, _mm512_set1_ps(0.5f)), s);
    /* Negative lanes: x/2 erfc(|x|/sqrt 2) with x itself, not the clamp,
     * so that -inf gives -inf * 0 = NaN as PyTorch's GELU and abl_gelu do
     * (a finite x < -16 gives -0: s is 0 there). */
    const __m512 hneg = _mm512_mul_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.5f)), s);
    const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_mov_ps(_mm512_sub_ps(x, h), neg, hneg);
}
#endif

/* v[i] = GELU(v[i]) for i < n: 16 lanes at a time and a masked last
 * vector where AVX-512 is there (no scalar tail), abl_gelu otherwise. */
static inline void abl_gelu_inplace(float *v, ptrdiff_t n)
{
#ifdef __AVX512F__
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(v + i, abl_gelu16(_mm512_loadu_ps(v + i)));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(v + i, m, abl_gelu16(_mm512_maskz_loadu_ps(m, v + i)));
    }
#else
#pragma omp simd
    for (ptrdiff_t i = 0; i < n; i++)
        v[i] = abl_gelu(v[i]);
#endif
}

#ifdef __AVX512F__
/* The LayerNorm's normalise step and GELU in one pass over a row of w
 * channels-last pixels of c (a multiple of 16) channels, in place: each
 * value is read and written once instead of twice (normalise over the
 * planes, transpose, GELU).  The same operations in the same order as the
 * plane loop below, whose (x - mean) rstd g + b gcc contracts to
 * fma((x - mean) rstd, g, b): same bits. */
ABL_DCN_SPECIALISE void abl_ln_apply_gelu_cl(float *restrict v, int c, int w, const float *restrict mean,
                                        const float *restrict rstd, const float *restrict gamma,
                                        const float *restrict beta)
{
    for (int j = 0; j < w; j++) {
        const __m512 m = _mm512_set1_ps(mean[j]), r = _mm512_set1_ps(rstd[j]);
        float *px = v + (ptrdiff_t)j * c;
        for (int ch = 0; ch < c; ch += 16) {
            const __m512 t = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(px + ch), m), r);
            const __m512 y = _mm512_fmadd_ps(t, _mm512_loadu_ps(gamma + ch), _mm512_loadu_ps(beta + ch));
            _mm512_storeu_ps(px + ch, abl_gelu16(y));
        }
    }
}
#endif

/* dst[j * c + ch] = GELU(LN(plane[ch][j])) for the w pixels j of one row:
 * LayerNorm over the c channels of each pixel (biased variance, eps),
 * gamma/beta per channel.  The statistics are accumulated with the pixels
 * as vector lanes (stats: 2w floats of scratch); `plane` may be overwritten.
 * GELU runs after the transpose, as one loop over the row's w * c
 * channels-last values: over the w pixels of a plane row it left a scalar
 * tail of w % 16 (4 of 20 at YOLOv8's 20 x 20 maps), and a scalar GELU
 * costs about as much as a vector one (profile in
 * docs/modules/performance.md). */
ABL_DCN_SPECIALISE void abl_ln_gelu_row(float *restrict plane, int c, int w, const float *restrict gamma,
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
#ifdef __AVX512F__
    if (c % 16 == 0) { /* to channels last in 16 x 16 blocks; the plane is in L1/L2 */
        abl_transpose_zmm(plane, w, dst, c, c, w);
        abl_ln_apply_gelu_cl(dst, c, w, mean, rstd, gamma, beta);
        return;
    }
#endif
    for (int ch = 0; ch < c; ch++) {
        float *p = plane + (ptrdiff_t)ch * w;
        const float g = gamma[ch], b = beta[ch];
#pragma omp simd
        for (int j = 0; j < w; j++)
            p[j] = (p[j] - mean[j]) * rstd[j] * g + b;
    }
    abl_transpose(plane, w, dst, c, c, w); /* to channels last; the plane is in L1/L2 */
    abl_gelu_inplace(dst, (ptrdiff_t)w * c);
}

/* Softmax of each of the g groups' p mask logits in m (one pixel), in
 * place.  The exponentials of all g p logits in one vector loop: per group
 * (9 logits at k 3) the loop was one partial vector and a scalar tail. */
ABL_DCN_SPECIALISE void abl_dcn_softmax(float *m, int g, int p)
{
    for (int gi = 0; gi < g; gi++) {
        float *mg = m + gi * p, mx = mg[0];
        for (int q = 1; q < p; q++)
            mx = mg[q] > mx ? mg[q] : mx;
        for (int q = 0; q < p; q++)
            mg[q] -= mx;
    }
#pragma omp simd
    for (int q = 0; q < g * p; q++)
        m[q] = abl_expf(m[q]);
    for (int gi = 0; gi < g; gi++) {
        float *mg = m + gi * p, sum = 0.0f;
        for (int q = 0; q < p; q++)
            sum += mg[q];
        const float inv = 1.0f / sum;
        for (int q = 0; q < p; q++)
            mg[q] *= inv;
    }
}

/* Largest group size p that abl_dcn_softmax_rows transposes (k <= 15). */
enum { ABL_DCN_SOFTMAX_PMAX = 225, ABL_DCN_SOFTMAX_LANES = 16 };

/* The column softmax of abl_dcn_softmax_rows: blk[q][i] <- softmax over q
 * < p of column i, 16 columns.  With AVX-512: e^(x - mx) = 2^t, t = x
 * log2(e) - mx log2(e) in one fused multiply-subtract, 2^t by the shared
 * abl_exp2_frac16 polynomial and vscalefps, as ACmix's abl_softmax_cols8
 * (ablate_acmix.h, relative error of the probabilities <= 1e-6 for logits
 * within +-0.5, 4e-6 within +-100 there); no clamp, t <= 0.  abl_expf's
 * integer steps had made the mask's 36 exponentials a pixel (k 3, group
 * 4) about as costly as the depthwise conv. */
ABL_DCN_SPECIALISE void abl_dcn_softmax_block16(float *blk, int p)
{
#ifdef __AVX512F__
    const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
    __m512 mx = _mm512_loadu_ps(blk);
    for (int q = 1; q < p; q++)
        mx = _mm512_max_ps(mx, _mm512_loadu_ps(blk + 16 * q));
    const __m512 sum = abl_exp_sub_rows16(blk, p, _mm512_mul_ps(mx, log2e));
    const __m512 inv = _mm512_div_ps(_mm512_set1_ps(1.0f), sum);
    for (int q = 0; q < p; q++)
        _mm512_storeu_ps(blk + 16 * q, _mm512_mul_ps(_mm512_loadu_ps(blk + 16 * q), inv));
#else
    float inv[16];
    abl_softmax_cols(blk, p, 16, 1.0f, inv); /* inv <- 1 / sum of the exps */
    for (int q = 0; q < p; q++)
#pragma omp simd
        for (int i = 0; i < 16; i++)
            blk[q * 16 + i] *= inv[i];
#endif
}

#ifdef __AVX512F__
/* d[j * ld + i] = s[i * ls + j] for a 16 x 16 block: the rows i >= srows
 * and columns j >= scols of s read as 0 (masked loads), the first scols
 * rows of d are stored, each only in its first dlanes lanes. */
ABL_DCN_SPECIALISE void abl_transpose16(const float *s, ptrdiff_t ls, int srows, int scols, float *d,
                                   ptrdiff_t ld, int dlanes)
{
    const __mmask16 cm = (__mmask16)((1u << scols) - 1u), dm = (__mmask16)((1u << dlanes) - 1u);
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++)
        r[i] = i < srows ? _mm512_maskz_loadu_ps(cm, s + i * ls) : _mm512_setzero_ps();
    for (int k = 0; k < 16; k += 2) { /* pairs of rows interleaved */
        t[k] = _mm512_unpacklo_ps(r[k], r[k + 1]);
        t[k + 1] = _mm512_unpackhi_ps(r[k], r[k + 1]);
    }
    for (int k = 0; k < 16; k += 4) { /* 4 x 4 transposes in each 128-bit lane */
        r[k] = _mm512_shuffle_ps(t[k], t[k + 2], 0x44);
        r[k + 1] = _mm512_shuffle_ps(t[k], t[k + 2], 0xEE);
        r[k + 2] = _mm512_shuffle_ps(t[k + 1], t[k + 3], 0x44);
        r[k + 3] = _mm512_shuffle_ps(t[k + 1], t[k + 3], 0xEE);
    }
    for (int q = 0; q < 4; q++) { /* lane l of r[4b + q] -> row 4l + q, lane b */
        const __m512 a0 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x88);
        const __m512 a1 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xDD);
        const __m512 b0 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x88);
        const __m512 b1 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xDD);
        const __m512 out[4] = {_mm512_shuffle_f32x4(a0, b0, 0x88), _mm512_shuffle_f32x4(a1, b1, 0x88),
                               _mm512_shuffle_f32x4(a0, b0, 0xDD), _mm512_shuffle_f32x4(a1, b1, 0xDD)};
        for (int l = 0; l < 4; l++)
            if (4 * l + q < scols)
                _mm512_mask_storeu_ps(d + (4 * l + q) * ld, dm, out[l]);
    }
}

/* Largest g p that abl_dcn_softmax_rows16 takes (15 blocks of 16 logits). */
enum { ABL_DCN_SOFTMAX_GPMAX = 240 };

/* abl_dcn_softmax_rows for g p <= ABL_DCN_SOFTMAX_GPMAX with AVX-512: the
 * g p logits of 16 pixels (all groups, 36 at k 3 group 4) transposed at
 * once by 16 x 16 register transposes, so a pixel row is read and
 * written in ceil(g p / 16) vectors; per group the 8 x 8 transposes had
 * left a scalar column and row (p = 9).  The same column softmax
 * (abl_dcn_softmax_block16) on each group's p rows: the same bits. */
ABL_DCN_SPECIALISE void abl_dcn_softmax_rows16(float *m, int n, ptrdiff_t ld, int g, int p)
{
    enum { L = ABL_DCN_SOFTMAX_LANES };
    const int gp = g * p;
    float blk[ABL_DCN_SOFTMAX_GPMAX * L];
    for (int t0 = 0; t0 < n; t0 += L) {
        const int nb = n - t0 < L ? n - t0 : L;
        float *src = m + t0 * ld;
        for (int j = 0; j < gp; j += L)
            abl_transpose16(src + j, ld, nb, gp - j < L ? gp - j : L, blk + j * L, L, L);
        for (int gi = 0; gi < g; gi++)
            abl_dcn_softmax_block16(blk + gi * p * L, p);
        for (int j = 0; j < gp; j += L)
            abl_transpose16(blk + j * L, L, gp - j < L ? gp - j : L, nb, src + j, ld, gp - j < L ? gp - j : L);
    }
}
#endif

/* The softmax of abl_dcn_softmax for n pixels at once: m[t * ld + gi * p + q]
 * is pixel t's logit q of group gi.  Per group, 16 pixels are transposed
 * into a [p][16] block and reduced with the pixels as vector lanes, then
 * transposed back: per pixel the 9 logits of a group (k 3) were a
 * dependent max chain, one partial vector and scalar tails, and took as
 * long as the depthwise conv (profile in docs/modules/performance.md).
 * With AVX-512 the exponentials are abl_dcn_softmax_block16's, so the
 * results differ from abl_dcn_softmax's (kept for p > 225) by rounding. */
ABL_DCN_SPECIALISE void abl_dcn_softmax_rows(float *m, int n, ptrdiff_t ld, int g, int p)
{
    enum { L = ABL_DCN_SOFTMAX_LANES };
#ifdef __AVX512F__
    if (g * p <= ABL_DCN_SOFTMAX_GPMAX) {
        abl_dcn_softmax_rows16(m, n, ld, g, p);
        return;
    }
#endif
    if (p > ABL_DCN_SOFTMAX_PMAX) {
        for (int t = 0; t < n; t++)
            abl_dcn_softmax(m + t * ld, g, p);
        return;
    }
    float blk[ABL_DCN_SOFTMAX_PMAX * L];
    for (int t0 = 0; t0 < n; t0 += L) {
        const int nb = n - t0 < L ? n - t0 : L;
        for (int gi = 0; gi < g; gi++) {
            float *src = m + t0 * ld + gi * p;
            if (nb < L)
                memset(blk, 0, sizeof(float) * (size_t)p * L);
            abl_transpose(src, ld, blk, L, nb, p);
            abl_dcn_softmax_block16(blk, p);
            abl_transpose(blk, L, src, ld, p, nb);
        }
    }
}

#endif
