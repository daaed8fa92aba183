/* gen/runtime/ablate_dcnv3.h — DCNv3 pieces the generated DCNv3 kernels
 * (gen/templates/dcnv3_*.c.in) share.  Like ablate_gen.h: static inline,
 * sizes as arguments, so the template's constants specialise them.
 *
 *   abl_erff, abl_gelu   vectorisable erf and exact-form GELU (MODULES.md 0.1)
 *   abl_dw_row           depthwise k x k conv (zero padding) of one output row,
 *                        all channels, planar [c][w], vectorised along w
 *   abl_ln_gelu_row      LayerNorm over the channels of each pixel of that
 *                        row, then GELU, written channels-last
 *   abl_dcn_softmax      softmax of each group's P mask logits of a pixel
 *   abl_dcn_softmax_rows the same for n pixels, 16 of them as vector lanes
 *   abl_dcn_corners      one 2 x 2 block index and 4 corner weights for
 *                        every point of a pixel, vectorised over the points
 *   abl_dcn_core         one pixel's sampled core: per group and point the
 *                        4 corners' GC contiguous channels, explicit vectors
 * The DCNv3 row's kernel (templates/dcnv3_fused.c.in, sizes constant) and
 * the DCNv3 attention layers (ablate_dlka_dcnv3.h, sizes at run time) both
 * sample with these, so they run the same code.
 */
#ifndef ABLATE_DCNV3_H
#define ABLATE_DCNV3_H

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
 *       through x - h unchanged, -inf gives -0 (abl_gelu: NaN).
 * Largest absolute error against double erf, every 16th float of [-16, 16]:
 * in tests/test_gen_dcnv3.c (bound 4e-7 |x|, checked there). */
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
    const __m512 h = _mm512_mul_ps(_mm512_mul_ps(xc, _mm512_set1_ps(0.5f)), _mm512_mul_ps(_mm512_mul_ps(poly, t), e));
    const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_mov_ps(_mm512_sub_ps(x, h), neg, h);
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

/* Largest depthwise kernel abl_dw_row keeps in registers (taps on the stack). */
enum { ABL_DW_KMAX = 15 };

/* Column j of a depthwise row whose taps may read outside the map. */
ABL_DCN_SPECIALISE float abl_dw_border(const float *const *rows, const float *tw, float b, int w,
                                       int k, int j)
{
    const int pd = (k - 1) / 2;
    float acc = b;
    for (int u = 0; u < k; u++)
        for (int v = 0; v < k; v++)
            if (j + v - pd >= 0 && j + v - pd < w)
                acc += tw[u * k + v] * rows[u][j + v - pd];
    return acc;
}

/* Channel ch's k input rows for output row r and its k x k taps: a row
 * outside the map points at row r with zero taps, so that no tap is
 * skipped and the loops over taps have no test. */
ABL_DCN_SPECIALISE void abl_dw_channel(const float *restrict x, const float *restrict wt, int ch,
                                       int h, int w, int k, int r, const float **rows, float *tw)
{
    const int pd = (k - 1) / 2;
    for (int u = 0; u < k; u++) {
        const int yy = r - pd + u, in = yy >= 0 && yy < h;
        rows[u] = x + ((ptrdiff_t)ch * h + (in ? yy : r)) * w;
        for (int v = 0; v < k; v++)
            tw[u * k + v] = in ? wt[((ptrdiff_t)ch * k + u) * k + v] : 0.0f;
    }
}

/* out[ch * w + j] = bias[ch] + sum_{u,v} wt[ch][u][v] x[ch][r - pd + u][j - pd + v]
 * for every channel ch < c and column j < w of output row r; x is one
 * image, c x h x w (NCHW), zero outside; k odd, pd = (k - 1) / 2.
 * Columns pd .. w - pd - 1 read no padding: one vector loop over them with
 * the k x k sum in a register (a row outside the map reads row r with
 * zero taps, so no tap is skipped and the loop has no test); the pd border
 * columns each side test their taps one by one. */
ABL_DCN_SPECIALISE void abl_dw_row_small(const float *restrict x, const float *restrict wt,
                                         const float *restrict bias, int c, int h, int w, int k,
                                         int r, float *restrict out)
{
    const int pd = (k - 1) / 2, lo = pd < w ? pd : w, hi = w - pd > lo ? w - pd : lo;
    for (int ch = 0; ch < c; ch++) {
        float tw[ABL_DW_KMAX * ABL_DW_KMAX];
        const float *rows[ABL_DW_KMAX];
        abl_dw_channel(x, wt, ch, h, w, k, r, rows, tw);
        float *o = out + (ptrdiff_t)ch * w;
        const float b = bias[ch];
#pragma omp simd
        for (int j = lo; j < hi; j++) {
            float acc = b;
            for (int u = 0; u < k; u++)
                for (int v = 0; v < k; v++)
                    acc += tw[u * k + v] * rows[u][j + v - pd];
            o[j] = acc;
        }
        for (int j = 0; j < lo; j++)
            o[j] = abl_dw_border(rows, tw, b, w, k, j);
        for (int j = hi; j < w; j++)
            o[j] = abl_dw_border(rows, tw, b, w, k, j);
    }
}

#ifdef __AVX512F__
/* Lanes of the 16 columns s .. s + 15 of a row of w columns that lie on
 * the row (0 <= column < w), as a mask. */
static inline __mmask16 abl_dw_cols_mask(int s, int w)
{
    const int lo = s < 0 ? -s : 0, hi = w - s < 16 ? w - s : 16;
    return hi > lo ? (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u)) : 0;
}

/* abl_dw_row_small in explicit 16-column vectors, the k x k taps of a
 * channel broadcast once: a vector whose taps read past either end of the
 * row loads with a zero-filling mask (masked-off lanes do not fault), so
 * the border columns need no scalar tests and the last partial vector
 * (78 = 4 x 16 + 14 interior columns at w 80) no scalar tail.  gcc's
 * vectorisation of abl_dw_row_small took ~3x its FMA count at L16. */
ABL_DCN_SPECIALISE void abl_dw_row_vec(const float *restrict x, const float *restrict wt,
                                       const float *restrict bias, int c, int h, int w, int k,
                                       int r, float *restrict out)
{
    const int pd = (k - 1) / 2;
    for (int ch = 0; ch < c; ch++) {
        float taps[ABL_DW_KMAX * ABL_DW_KMAX];
        const float *rows[ABL_DW_KMAX];
        abl_dw_channel(x, wt, ch, h, w, k, r, rows, taps);
        __m512 tw[ABL_DW_KMAX * ABL_DW_KMAX];
        for (int i = 0; i < k * k; i++)
            tw[i] = _mm512_set1_ps(taps[i]);
        const __m512 b = _mm512_set1_ps(bias[ch]);
        float *o = out + (ptrdiff_t)ch * w;
        for (int j0 = 0; j0 < w; j0 += 16) {
            __m512 acc = b;
            if (j0 - pd >= 0 && j0 + 16 + pd <= w) {
                for (int u = 0; u < k; u++)
                    for (int v = 0; v < k; v++)
                        acc = _mm512_fmadd_ps(tw[u * k + v], _mm512_loadu_ps(rows[u] + j0 + v - pd), acc);
                _mm512_storeu_ps(o + j0, acc);
            } else {
                for (int v = 0; v < k; v++) {
                    const __mmask16 m = abl_dw_cols_mask(j0 + v - pd, w);
                    for (int u = 0; u < k; u++)
                        acc = _mm512_fmadd_ps(tw[u * k + v],
                                              _mm512_maskz_loadu_ps(m, rows[u] + j0 + v - pd), acc);
                }
                _mm512_mask_storeu_ps(o + j0, abl_dw_cols_mask(j0, w), acc);
            }
        }
    }
}
#endif

/* Widest padded row abl_dw_row_padded keeps on the stack (w + k - 1);
 * abl_dw_row takes it for k >= 5 on rows narrower than
 * ABL_DW_PADDED_SWITCH: at k = 3 (1 border column each side) the copy
 * cost 2-3 % more than the tests it saves, at w = 20 as at w = 40. */
enum { ABL_DW_PADDED_WMAX = 128, ABL_DW_PADDED_SWITCH = 64 };

/* abl_dw_row_small for narrow rows: the k input rows of a channel copied
 * into zero-padded rows first (pd zeros each side), so that one vector
 * loop covers every column with no tests.  At w = 20 (YOLOv5n's P5) a
 * 7 x 7 kernel left 6 of 20 columns to the per-tap tests of abl_dw_border,
 * and the 14 interior ones were a vector and a tail: the depthwise conv
 * was 15 % of C3_DCNv3_DLKA dcnv3_lka there (profile in
 * docs/modules/performance.md).  Needs w + k - 1 <= ABL_DW_PADDED_WMAX.
 * The padded rows are as wide as whole 16-float vectors of output need
 * (abl_dw_padded_width; an 8-float one last where it covers the rest),
 * and ABL_DW_PADDED_NC channels are summed at once: one channel's k x k
 * taps are a chain of dependent multiply-adds per output vector (49 at
 * k = 7: at w = 20, one vector and a 4-column tail, the chain's latency
 * made this 30-35 % of DCNv3 k = 7's time at 20 x 20, eighth pass in
 * docs/modules/perf_deform.md); four channels' vectors are 8-16
 * independent chains.  Each output still adds bias, then the taps in
 * row-major order: the same bits as one channel at a time. */
enum { ABL_DW_PADDED_NC = 4, ABL_DW_PADDED_VL = 16 };

/* Output columns abl_dw_rows_padded computes for a row of w: whole
 * 16-float vectors, the last one 8 floats wide where at most 8 columns
 * are left (w = 20: 16 + 8, not 32; w = 40: 32 + 8). */
ABL_DCN_SPECIALISE int abl_dw_padded_full(int w)
{
    return w / ABL_DW_PADDED_VL + (w % ABL_DW_PADDED_VL > ABL_DW_PADDED_VL / 2);
}
ABL_DCN_SPECIALISE int abl_dw_padded_half(int w)
{
    return w % ABL_DW_PADDED_VL > 0 && w % ABL_DW_PADDED_VL <= ABL_DW_PADDED_VL / 2;
}
/* The padded row's width: those columns and k - 1 more. */
ABL_DCN_SPECIALISE int abl_dw_padded_width(int w, int k)
{
    return abl_dw_padded_full(w) * ABL_DW_PADDED_VL + abl_dw_padded_half(w) * ABL_DW_PADDED_VL / 2 +
           k - 1;
}

ABL_DCN_SPECIALISE void abl_dw_rows_padded(const float *restrict x, const float *restrict wt,
                                           const float *restrict bias, int ch0, int nc, int h,
                                           int w, int k, int r, float *restrict buf,
                                           float *restrict out)
{
    typedef float vf __attribute__((vector_size(ABL_DW_PADDED_VL * sizeof(float))));
    typedef float vh __attribute__((vector_size(ABL_DW_PADDED_VL / 2 * sizeof(float))));
    enum { VL = ABL_DW_PADDED_VL, NVMAX = (ABL_DW_PADDED_SWITCH + VL - 1) / VL };
    const int pd = (k - 1) / 2, nv = abl_dw_padded_full(w), half = abl_dw_padded_half(w);
    const int wp = abl_dw_padded_width(w, k);
    float tw[ABL_DW_PADDED_NC][ABL_DW_KMAX * ABL_DW_KMAX];
    vf acc[ABL_DW_PADDED_NC][NVMAX];
    vh acch[ABL_DW_PADDED_NC];
    for (int i = 0; i < nc; i++) {
        const int ch = ch0 + i;
        for (int u = 0; u < k; u++) {
            const int yy = r - pd + u, in = yy >= 0 && yy < h;
            memcpy(buf + (i * k + u) * wp + pd, x + ((ptrdiff_t)ch * h + (in ? yy : r)) * w,
                   sizeof(float) * (size_t)w);
            for (int v = 0; v < k; v++)
                tw[i][u * k + v] = in ? wt[((ptrdiff_t)ch * k + u) * k + v] : 0.0f;
        }
        for (int jv = 0; jv < nv; jv++)
            for (int l = 0; l < VL; l++)
                acc[i][jv][l] = bias[ch];
        for (int l = 0; l < VL / 2; l++)
            acch[i][l] = bias[ch];
    }
    for (int u = 0; u < k; u++)
        for (int v = 0; v < k; v++)
            for (int i = 0; i < nc; i++) {
                const float *src = buf + (i * k + u) * wp + v;
                for (int jv = 0; jv < nv; jv++) {
                    vf s;
                    memcpy(&s, src + jv * VL, sizeof s);
                    acc[i][jv] += tw[i][u * k + v] * s;
                }
                if (half) {
                    vh s;
                    memcpy(&s, src + nv * VL, sizeof s);
                    acch[i] += tw[i][u * k + v] * s;
                }
            }
    for (int i = 0; i < nc; i++) {
        float row[NVMAX * VL + VL / 2];
        memcpy(row, acc[i], sizeof(vf) * (size_t)nv);
        memcpy(row + nv * VL, &acch[i], sizeof(vh));
        memcpy(out + (ptrdiff_t)(ch0 + i) * w, row, sizeof(float) * (size_t)w);
    }
}

/* abl_dw_rows_padded over all c channels, ABL_DW_PADDED_NC at a time.
 * Needs w < ABL_DW_PADDED_SWITCH (abl_dw_row's choice). */
ABL_DCN_SPECIALISE void abl_dw_row_padded(const float *restrict x, const float *restrict wt,
                                          const float *restrict bias, int c, int h, int w, int k,
                                          int r, float *restrict out)
{
    enum { NC = ABL_DW_PADDED_NC, VL = ABL_DW_PADDED_VL };
    float buf[NC * ABL_DW_KMAX * (ABL_DW_PADDED_SWITCH + VL + ABL_DW_KMAX)];
    memset(buf, 0, sizeof(float) * (size_t)(NC * k * abl_dw_padded_width(w, k))); /* padding 0 */
    int ch = 0;
    for (; ch + NC <= c; ch += NC)
        abl_dw_rows_padded(x, wt, bias, ch, NC, h, w, k, r, buf, out);
    for (; ch < c; ch++)
        abl_dw_rows_padded(x, wt, bias, ch, 1, h, w, k, r, buf, out);
}

/* The same for any k: per tap a vector loop over its clipped column range,
 * accumulating through the output row. */
ABL_DCN_SPECIALISE void abl_dw_row_any(const float *restrict x, const float *restrict wt,
                                       const float *restrict bias, int c, int h, int w, int k,
                                       int r, float *restrict out)
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

/* Depthwise k x k conv of output row r, all channels, planar [c][w]. */
ABL_DCN_SPECIALISE void abl_dw_row(const float *restrict x, const float *restrict wt,
                                   const float *restrict bias, int c, int h, int w, int k, int r,
                                   float *restrict out)
{
    if (k >= 5 && k <= ABL_DW_KMAX && w < ABL_DW_PADDED_SWITCH && w + k - 1 <= ABL_DW_PADDED_WMAX)
        abl_dw_row_padded(x, wt, bias, c, h, w, k, r, out);
#ifdef __AVX512F__
    else if (k <= ABL_DW_KMAX)
        abl_dw_row_vec(x, wt, bias, c, h, w, k, r, out);
#endif
    else if (k <= ABL_DW_KMAX)
        abl_dw_row_small(x, wt, bias, c, h, w, k, r, out);
    else
        abl_dw_row_any(x, wt, bias, c, h, w, k, r, out);
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
    if (c % 16 == 0) {
        abl_transpose(plane, w, dst, c, c, w); /* to channels last; the plane is in L1/L2 */
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
    const __m512 m2 = _mm512_mul_ps(mx, log2e);
    __m512 sum = _mm512_setzero_ps();
    for (int q = 0; q < p; q++) {
        const __m512 t = _mm512_fmsub_ps(_mm512_loadu_ps(blk + 16 * q), log2e, m2);
        const __m512 e = _mm512_scalef_ps(abl_exp2_frac16(abl_frac16(t)), t);
        _mm512_storeu_ps(blk + 16 * q, e);
        sum = _mm512_add_ps(sum, e);
    }
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

/* Points of one pixel's corner plan as abl_dcn_corners computes it: G P
 * rounded up to whole 16-float vectors; also the stride of its weight
 * rows.  ABL_DCN_OM_SLACK: floats the callers allocate past the last
 * pixel's offsets-and-mask row, which the padding points read. */
enum { ABL_DCN_OM_SLACK = 32 };
ABL_DCN_SPECIALISE int abl_dcn_gpv(int gp) { return (gp + 15) / 16 * 16; }

/* Distance in floats from a point's first corner to its right and lower
 * corners in a channels-last h x w map of c channels: a one-pixel-wide
 * (or one-row) map has no second column (row), whose corner weights are 0
 * then, so the step is 0 and every load stays inside the map. */
ABL_DCN_SPECIALISE ptrdiff_t abl_dcn_step_x(int c, int w) { return w > 1 ? c : 0; }
ABL_DCN_SPECIALISE ptrdiff_t abl_dcn_step_y(int c, int h, int w) { return h > 1 ? (ptrdiff_t)w * c : 0; }

/* The four corners of every point q < gp of pixel (ph, pw) of an h x w
 * map: ONE flat pixel index idx[q], the top-left of a 2 x 2 block inside
 * the map (its other corners are idx + 1, idx + w, idx + w + 1), and the
 * bilinear weights wt[k * gp + q] of the block's corners k (top-left,
 * top-right, bottom-left, bottom-right), times the mask om[2 gp + q] when
 * use_mask.  A corner outside the map has weight 0 (MODULES.md 0.1
 * bil0): a point whose sample column x0 is -1 keeps its column x0 + 1 as
 * the block's left one, one whose x0 is w - 1 its column x0 as the
 * block's right one (rows likewise), so the block never leaves the map.
 * One index per point instead of four: the corner sums load one index and
 * reach the other corners by constant displacements.
 * om: the pixel's offsets (x, y) per point, then its masks; grid_x /
 * grid_y: each point's kernel-grid offset (6.1 step 4), abl_dcn_gpv(gp)
 * entries (the padding any value).
 * Vectorised over the points (needs -fno-trapping-math for floorf), in
 * blocks of 16 and a last block of 8 where at most 8 are left: whole
 * vectors, no scalar tail (gp = 36 at k = 3, g = 4 left 4 points to a
 * scalar loop that cost as much as a vector iteration each).  The padding points read up to ABL_DCN_OM_SLACK
 * floats past the pixel's om row (the next pixel's, or the slack the
 * callers allocate), and their plan, written past gp, is never read.
 * wt's corner rows are abl_dcn_gpv(gp) apart.
 * skip (a constant: the generators' abl_dcn_skip choice): keep[q]
 * (abl_dcn_gpv(gp) entries) is set to 0 for a point wholly outside the map
 * (all its weights exact zeros), else 1, and the return value is how many
 * of the gp points are wholly outside, so that abl_dcn_core skips them
 * for the pixels that have many; without skip neither is computed (0). */
/* Lanes of one block of the corner plan (one zmm of points), and of the
 * last block when at most ABL_DCN_PLAN_TAIL points are left (a ymm: at
 * k = 3, g = 4 the third block holds 4 of the 36 points, and a block of
 * 16 lanes cost as much as a full one). */
enum { ABL_DCN_PLAN_LANES = 16, ABL_DCN_PLAN_TAIL = 8 };

/* The plan of abl_dcn_corners for its points q0 .. q0 + lanes - 1 (lanes
 * ABL_DCN_PLAN_LANES or ABL_DCN_PLAN_TAIL, a constant at every call), any
 * of them near or beyond the border; returns how many of those below gp
 * are wholly outside (skip; else 0). */
ABL_DCN_SPECIALISE int abl_dcn_corners_border(int gp, int h, int w, float osc,
                                              const float *restrict grid_x,
                                              const float *restrict grid_y,
                                              const float *restrict om, int use_mask, int ph,
                                              int pw, int q0, int lanes, int32_t *restrict idx,
                                              float *restrict wt, int skip,
                                              int32_t *restrict keep)
{
    const float *m = om + 2 * gp;
    const int gpv = abl_dcn_gpv(gp);
    const int wl = w > 1 ? w - 2 : 0, hl = h > 1 ? h - 2 : 0; /* last block column / row */
    int nout = 0;
#pragma omp simd reduction(+ : nout)
    for (int q = q0; q < q0 + lanes; q++) {
        const float mq = use_mask ? m[q] : 1.0f;
        /* coordinates beyond the 1-pixel border are clamped: all their
         * corners stay outside, and the float -> int conversion is safe
         * (a NaN, e.g. a padding point's garbage, is clamped to -2 too) */
        float xs = (float)pw + osc * (grid_x[q] + om[2 * q]);
        float ys = (float)ph + osc * (grid_y[q] + om[2 * q + 1]);
        xs = !(xs >= -2.0f) ? -2.0f : xs > (float)w + 1.0f ? (float)w + 1.0f : xs;
        ys = !(ys >= -2.0f) ? -2.0f : ys > (float)h + 1.0f ? (float)h + 1.0f : ys;
        const float fx = floorf(xs), fy = floorf(ys), lx = xs - fx, ly = ys - fy;
        const int x0 = (int)fx, y0 = (int)fy;
        /* one unsigned compare per bound: with run-time sizes gcc keeps a
         * `>= 0 && <` pair as branches and gives up vectorising */
        const float vx0 = (unsigned)x0 < (unsigned)w ? 1.0f - lx : 0.0f;
        const float vx1 = (unsigned)(x0 + 1) < (unsigned)w ? lx : 0.0f;
        const float vy0 = (unsigned)y0 < (unsigned)h ? (1.0f - ly) * mq : 0.0f;
        const float vy1 = (unsigned)(y0 + 1) < (unsigned)h ? ly * mq : 0.0f;
        /* the block's columns bx, bx + 1 and their weights: x0 < 0 leaves
         * only x0 + 1 (= bx when x0 is -1), x0 > w - 2 only x0 (= bx + 1
         * when x0 is w - 1; = bx on a one-column map) */
        const int bx = x0 < 0 ? 0 : x0 > wl ? wl : x0, by = y0 < 0 ? 0 : y0 > hl ? hl : y0;
        const float ax0 = x0 < 0 ? vx1 : x0 > wl ? (w > 1 ? 0.0f : vx0) : vx0;
        const float ax1 = x0 < 0 ? 0.0f : x0 > wl ? (w > 1 ? vx0 : 0.0f) : vx1;
        const float ay0 = y0 < 0 ? vy1 : y0 > hl ? (h > 1 ? 0.0f : vy0) : vy0;
        const float ay1 = y0 < 0 ? 0.0f : y0 > hl ? (h > 1 ? vy0 : 0.0f) : vy1;
        /* both columns' (or both rows') weights 0: all four products are
         * exact zeros, the point adds nothing (wholly outside the map).
         * The weights are >= 0, so a sum of 0 means both are 0; `|`, not
         * `||`, which gcc keeps as branches here and stops vectorising. */
        const int out = (ax0 + ax1 == 0.0f) | (ay0 + ay1 == 0.0f);
        idx[q] = by * w + bx;
        wt[0 * gpv + q] = ay0 * ax0;
        wt[1 * gpv + q] = ay0 * ax1;
        wt[2 * gpv + q] = ay1 * ax0;
        wt[3 * gpv + q] = ay1 * ax1;
        if (skip) {
            keep[q] = !out;
            nout += q < gp && out;
        }
    }
    return nout;
}

/* 1 when every one of the `lanes` coordinates xs, ys has its 2 x 2 block
 * wholly inside the map: 0 <= xs < w - 1 and 0 <= ys < h - 1 (a NaN is
 * not).  With AVX-512 four compares into one mask: as an OR reduction
 * over the lanes gcc moved the flags out of the mask registers and folded
 * them by extracts and shifts, 10 of the block's 55 instructions
 * (docs/modules/perf_deform.md, seventh pass). */
ABL_DCN_SPECIALISE int abl_dcn_coords_inside(int h, int w, int lanes, const float *restrict xs,
                                             const float *restrict ys)
{
#if defined(__AVX512F__) && defined(__AVX512VL__)
/* the four compares for one vector width: P the intrinsics' prefix, V the
 * vector type, K the mask type */
#define ABL_DCN_INSIDE_MASK(P, V, K)                                                               \
    do {                                                                                           \
        const V x = P##_loadu_ps(xs), y = P##_loadu_ps(ys), z = P##_setzero_ps();                  \
        K in = P##_cmp_ps_mask(x, z, _CMP_GE_OQ);                                                  \
        in = P##_mask_cmp_ps_mask(in, x, P##_set1_ps((float)(w - 1)), _CMP_LT_OQ);                 \
        in = P##_mask_cmp_ps_mask(in, y, z, _CMP_GE_OQ);                                           \
        in = P##_mask_cmp_ps_mask(in, y, P##_set1_ps((float)(h - 1)), _CMP_LT_OQ);                 \
        return in == (K)~(K)0;                                                                     \
    } while (0)
    if (lanes == 16)
        ABL_DCN_INSIDE_MASK(_mm512, __m512, __mmask16);
    if (lanes == 8)
        ABL_DCN_INSIDE_MASK(_mm256, __m256, __mmask8);
#undef ABL_DCN_INSIDE_MASK
#endif
    int border = 0;
#pragma omp simd reduction(| : border)
    for (int i = 0; i < lanes; i++)
        border |= !(xs[i] >= 0.0f) | !(xs[i] < (float)(w - 1)) | !(ys[i] >= 0.0f) |
                  !(ys[i] < (float)(h - 1));
    return !border;
}

/* Sample coordinates xs, ys of the points q0 .. q0 + lanes - 1 (as
 * abl_dcn_corners_border computes them before its clamp); 1 when every
 * one has its 2 x 2 block wholly inside the map (abl_dcn_coords_inside). */
ABL_DCN_SPECIALISE int abl_dcn_corners_coords(int gp, int h, int w, float osc,
                                              const float *restrict grid_x,
                                              const float *restrict grid_y,
                                              const float *restrict om, int ph, int pw, int q0,
                                              int lanes, float *restrict xs, float *restrict ys)
{
    (void)gp;
#pragma omp simd
    for (int i = 0; i < lanes; i++) {
        const int q = q0 + i;
        xs[i] = (float)pw + osc * (grid_x[q] + om[2 * q]);
        ys[i] = (float)ph + osc * (grid_y[q] + om[2 * q + 1]);
    }
    return abl_dcn_coords_inside(h, w, lanes, xs, ys);
}

/* The plan of points q0 .. q0 + lanes - 1 when all are
 * inside (abl_dcn_corners_coords): no clamps, no border selects, the same
 * products as abl_dcn_corners_border takes there, so the same bits. */
ABL_DCN_SPECIALISE int abl_dcn_corners_inside(int gp, int w, const float *restrict om,
                                              int use_mask, int q0, int lanes,
                                              const float *restrict xs,
                                              const float *restrict ys, int32_t *restrict idx,
                                              float *restrict wt, int skip,
                                              int32_t *restrict keep)
{
    const float *m = om + 2 * gp;
    const int gpv = abl_dcn_gpv(gp);
    int nout = 0;
#pragma omp simd reduction(+ : nout)
    for (int i = 0; i < lanes; i++) {
        const int q = q0 + i;
        const float mq = use_mask ? m[q] : 1.0f;
        const float fx = floorf(xs[i]), fy = floorf(ys[i]), lx = xs[i] - fx, ly = ys[i] - fy;
        const float ax0 = 1.0f - lx, ax1 = lx, ay0 = (1.0f - ly) * mq, ay1 = ly * mq;
        idx[q] = (int)fy * w + (int)fx;
        wt[0 * gpv + q] = ay0 * ax0;
        wt[1 * gpv + q] = ay0 * ax1;
        wt[2 * gpv + q] = ay1 * ax0;
        wt[3 * gpv + q] = ay1 * ax1;
        if (skip) { /* a mask of 0 leaves the point nothing to add */
            const int out = (ax0 + ax1 == 0.0f) | (ay0 + ay1 == 0.0f);
            keep[q] = !out;
            nout += q < gp && out;
        }
    }
    return nout;
}

/* The plan of points q0 .. q0 + lanes - 1 (lanes a constant): the inside
 * path where every block lies in the map, else the border path. */
ABL_DCN_SPECIALISE int abl_dcn_corners_block(int gp, int h, int w, float osc,
                                             const float *restrict grid_x,
                                             const float *restrict grid_y,
                                             const float *restrict om, int use_mask, int ph, int pw,
                                             int q0, int lanes, int32_t *restrict idx,
                                             float *restrict wt, int skip, int32_t *restrict keep)
{
    float xs[ABL_DCN_PLAN_LANES], ys[ABL_DCN_PLAN_LANES];
    if (abl_dcn_corners_coords(gp, h, w, osc, grid_x, grid_y, om, ph, pw, q0, lanes, xs, ys))
        return abl_dcn_corners_inside(gp, w, om, use_mask, q0, lanes, xs, ys, idx, wt, skip, keep);
    return abl_dcn_corners_border(gp, h, w, osc, grid_x, grid_y, om, use_mask, ph, pw, q0, lanes,
                                  idx, wt, skip, keep);
}

ABL_DCN_SPECIALISE int abl_dcn_corners(int gp, int h, int w, float osc, const float *restrict grid_x,
                                   const float *restrict grid_y, const float *restrict om,
                                   int use_mask, int ph, int pw, int32_t *restrict idx,
                                   float *restrict wt, int skip, int32_t *restrict keep)
{
    int nout = 0;
    for (int q0 = 0; q0 < gp; q0 += ABL_DCN_PLAN_LANES)
        nout += gp - q0 <= ABL_DCN_PLAN_TAIL
                    ? abl_dcn_corners_block(gp, h, w, osc, grid_x, grid_y, om, use_mask, ph, pw,
                                            q0, ABL_DCN_PLAN_TAIL, idx, wt, skip, keep)
                    : abl_dcn_corners_block(gp, h, w, osc, grid_x, grid_y, om, use_mask, ph, pw,
                                            q0, ABL_DCN_PLAN_LANES, idx, wt, skip, keep);
    return nout;
}

/* GCC/clang vector types: the sum over a point's corners is written out
 * with explicit vectors because, left to itself, gcc vectorises the loop
 * over points instead (one gather per corner) once the short channel loop
 * is unrolled, or (sizes at run time) accumulates through memory.  memcpy
 * loads/stores compile to unaligned vector moves.  abl_vf16 is one zmm
 * with AVX-512 (two ymm without). */
typedef float abl_vf16 __attribute__((vector_size(64)));
typedef float abl_vf8 __attribute__((vector_size(32)));
typedef float abl_vf4 __attribute__((vector_size(16)));

/* Pieces of the corner sums below, over NS adjacent channel vectors of
 * type VT at once: the accumulators (corner x even / odd point x vector),
 * one point q added into acc[0..4)[0..NS), and the final sums into dst.
 * Each vector s gets the same operations in the same order whatever NS
 * is, so the NS-wide sums give the bits of NS one-vector sums. */
#define ABL_DCN_SUM_BEGIN(VT, NS)                                                                  \
    VT a[2][4][NS];                                                                                \
    memset(a, 0, sizeof a); /* +0.0f; {{0}} warns for vector types */                              \
    const ptrdiff_t off[4] = {0, sx, sy, sx + sy}
#define ABL_DCN_ADD_POINT(VT, NS, acc, q)                                                          \
    do {                                                                                           \
        const float *b_ = xp + (ptrdiff_t)idx[q] * c + col;                                        \
        for (int k_ = 0; k_ < 4; k_++) {                                                           \
            const float w_ = wt[k_ * gp + (q)];                                                    \
            for (int s_ = 0; s_ < (NS); s_++) {                                                    \
                VT v_;                                                                             \
                memcpy(&v_, b_ + off[k_] + s_ * (ptrdiff_t)(sizeof v_ / sizeof(float)),            \
                       sizeof v_);                                                                 \
                (acc)[k_][s_] += w_ * v_;                                                          \
            }                                                                                      \
        }                                                                                          \
    } while (0)
#define ABL_DCN_SUM_END(VT, NS)                                                                    \
    do {                                                                                           \
        for (int s_ = 0; s_ < (NS); s_++) {                                                        \
            const VT sum_ = ((a[0][0][s_] + a[0][1][s_]) + (a[0][2][s_] + a[0][3][s_])) +          \
                            ((a[1][0][s_] + a[1][1][s_]) + (a[1][2][s_] + a[1][3][s_]));           \
            memcpy(dst + s_ * (ptrdiff_t)(sizeof sum_ / sizeof(float)), &sum_, sizeof sum_);       \
        }                                                                                          \
    } while (0)

/* dst[0 .. width) = sum over points q0 .. q0 + npts - 1 and their 4 corners
 * of wt * xp[corner][col ..]: xp one image, channels last (row stride c);
 * idx / wt as abl_dcn_corners writes them (stride gp: abl_dcn_gpv), sx / sy the
 * abl_dcn_step_x / _y displacements of the right / lower corners.  Eight
 * accumulators (corner x even / odd point): the sum is latency-bound
 * otherwise (a multiply-add takes 4 cycles and Zen 4 / Intel issue two a
 * cycle, so 4 chains, the former schedule, ran at half the rate, profile
 * in docs/modules/performance.md).  NS vectors of VT a call (width NS x
 * VT's floats): abl_dcn_corner_sum32 loads each point's index and corner
 * weights once for two zmm of channels; the one-vector sums loaded them
 * again for every 16 channels, a 4-byte load beside each 64-byte one, at
 * 49 points and 64-128 channels a group the larger part of the sums'
 * load slots (docs/modules/perf_deform.md, eighth pass). */
#define ABL_DCN_DEFINE_CORNER_SUM(NAME, VT, NS)                                                    \
    ABL_DCN_SPECIALISE void NAME(const float *restrict xp, int c, ptrdiff_t sx, ptrdiff_t sy,      \
                                 const int32_t *restrict idx, const float *restrict wt, int gp,    \
                                 int q0, int npts, int col, float *restrict dst)                   \
    {                                                                                              \
        ABL_DCN_SUM_BEGIN(VT, NS);                                                                 \
        const int q1 = q0 + npts;                                                                  \
        int q = q0;                                                                                \
        for (; q + 2 <= q1; q += 2)                                                                \
            for (int s = 0; s < 2; s++)                                                            \
                ABL_DCN_ADD_POINT(VT, NS, a[s], q + s);                                            \
        if (q < q1)                                                                                \
            ABL_DCN_ADD_POINT(VT, NS, a[0], q);                                                    \
        ABL_DCN_SUM_END(VT, NS);                                                                   \
    }
ABL_DCN_DEFINE_CORNER_SUM(abl_dcn_corner_sum32, abl_vf16, 2)
ABL_DCN_DEFINE_CORNER_SUM(abl_dcn_corner_sum16, abl_vf16, 1)
ABL_DCN_DEFINE_CORNER_SUM(abl_dcn_corner_sum8, abl_vf8, 1)
ABL_DCN_DEFINE_CORNER_SUM(abl_dcn_corner_sum4, abl_vf4, 1)
ABL_DCN_DEFINE_CORNER_SUM(abl_dcn_corner_sum1, float, 1)

/* The corner sum of ABL_DCN_DEFINE_CORNER_SUM over listed points only:
 * even[0 .. ne) and odd[0 .. no) are the points at an even and an odd
 * distance from the group's first point, each in increasing order.  A
 * point goes into the same accumulators, in the same order, as in the
 * unlisted sum, so leaving out points whose weights are all zero gives the
 * same bits (they added +-0 there). */
#define ABL_DCN_DEFINE_LISTED_SUM(NAME, VT, NS)                                                    \
    ABL_DCN_SPECIALISE void NAME(const float *restrict xp, int c, ptrdiff_t sx, ptrdiff_t sy,      \
                                 const int32_t *restrict idx, const float *restrict wt, int gp,    \
                                 const int32_t *restrict even, int ne,                             \
                                 const int32_t *restrict odd, int no, int col,                     \
                                 float *restrict dst)                                              \
    {                                                                                              \
        ABL_DCN_SUM_BEGIN(VT, NS);                                                                 \
        const int32_t *lst[2] = {even, odd};                                                       \
        const int both = ne < no ? ne : no;                                                        \
        for (int i = 0; i < both; i++)                                                             \
            for (int s = 0; s < 2; s++)                                                            \
                ABL_DCN_ADD_POINT(VT, NS, a[s], lst[s][i]);                                        \
        const int s = no > ne, n = s ? no : ne; /* the longer list's rest */                       \
        for (int i = both; i < n; i++)                                                             \
            ABL_DCN_ADD_POINT(VT, NS, a[s], lst[s][i]);                                            \
        ABL_DCN_SUM_END(VT, NS);                                                                   \
    }
ABL_DCN_DEFINE_LISTED_SUM(abl_dcn_listed_sum32, abl_vf16, 2)
ABL_DCN_DEFINE_LISTED_SUM(abl_dcn_listed_sum16, abl_vf16, 1)
ABL_DCN_DEFINE_LISTED_SUM(abl_dcn_listed_sum8, abl_vf8, 1)
ABL_DCN_DEFINE_LISTED_SUM(abl_dcn_listed_sum4, abl_vf4, 1)
ABL_DCN_DEFINE_LISTED_SUM(abl_dcn_listed_sum1, float, 1)

/* Corner sums over 64 channels (four zmm) a call: each point's index and
 * weights are loaded once for four vectors.  Four accumulators a vector
 * (one per corner, not corner x parity: four vectors give 16 chains, more
 * than the multiply-add latency needs, and 32 accumulators left no
 * registers: spilled, 20-35 % slower than the two-vector sums).  So the
 * sum is added in another order than the narrower sums' (last bits), and
 * a listed sum must add its points in increasing order, one list, to give
 * the unlisted sum's bits.  pts: the points (n of them) in increasing
 * order, or NULL for q0 .. q0 + n - 1. */
ABL_DCN_SPECIALISE void abl_dcn_wide_sum64(const float *restrict xp, int c, ptrdiff_t sx,
                                           ptrdiff_t sy, const int32_t *restrict idx,
                                           const float *restrict wt, int gp,
                                           const int32_t *restrict pts, int q0, int n, int col,
                                           float *restrict dst)
{
    enum { NS = 4 };
    abl_vf16 a[4][NS];
    memset(a, 0, sizeof a);
    const ptrdiff_t off[4] = {0, sx, sy, sx + sy};
    for (int i = 0; i < n; i++)
        ABL_DCN_ADD_POINT(abl_vf16, NS, a, pts ? pts[i] : q0 + i);
    for (int s_ = 0; s_ < NS; s_++) {
        const abl_vf16 sum_ = (a[0][s_] + a[1][s_]) + (a[2][s_] + a[3][s_]);
        memcpy(dst + s_ * 16, &sum_, sizeof sum_);
    }
}

/* dst[0 .. gc) = the corner sum of points q0 .. q0 + npts - 1 over channels
 * col .. col + gc, 16 (then 8, 4, 1) channels at a time. */
ABL_DCN_SPECIALISE void abl_dcn_corner_sum(const float *restrict xp, int c, ptrdiff_t sx, ptrdiff_t sy,
                                      const int32_t *restrict idx, const float *restrict wt, int gp,
                                      int q0, int npts, int col, int gc, float *restrict dst)
{
    int j = 0;
    for (; j + 64 <= gc; j += 64)
        abl_dcn_wide_sum64(xp, c, sx, sy, idx, wt, gp, NULL, q0, npts, col + j, dst + j);
    for (; j + 32 <= gc; j += 32)
        abl_dcn_corner_sum32(xp, c, sx, sy, idx, wt, gp, q0, npts, col + j, dst + j);
    for (; j + 16 <= gc; j += 16)
        abl_dcn_corner_sum16(xp, c, sx, sy, idx, wt, gp, q0, npts, col + j, dst + j);
    if (j + 8 <= gc) {
        abl_dcn_corner_sum8(xp, c, sx, sy, idx, wt, gp, q0, npts, col + j, dst + j);
        j += 8;
    }
    if (j + 4 <= gc) {
        abl_dcn_corner_sum4(xp, c, sx, sy, idx, wt, gp, q0, npts, col + j, dst + j);
        j += 4;
    }
    for (; j < gc; j++)
        abl_dcn_corner_sum1(xp, c, sx, sy, idx, wt, gp, q0, npts, col + j, dst + j);
}

/* abl_dcn_corner_sum over the listed points (abl_dcn_listed_sum*; all:
 * the nall points of even and odd in one increasing list, for the 64-wide
 * sums). */
ABL_DCN_SPECIALISE void abl_dcn_listed_sum(const float *restrict xp, int c, ptrdiff_t sx, ptrdiff_t sy,
                                      const int32_t *restrict idx, const float *restrict wt, int gp,
                                      const int32_t *restrict even, int ne,
                                      const int32_t *restrict odd, int no,
                                      const int32_t *restrict all, int nall, int col, int gc,
                                      float *restrict dst)
{
    int j = 0;
    for (; j + 64 <= gc; j += 64)
        abl_dcn_wide_sum64(xp, c, sx, sy, idx, wt, gp, all, 0, nall, col + j, dst + j);
    for (; j + 32 <= gc; j += 32)
        abl_dcn_listed_sum32(xp, c, sx, sy, idx, wt, gp, even, ne, odd, no, col + j, dst + j);
    for (; j + 16 <= gc; j += 16)
        abl_dcn_listed_sum16(xp, c, sx, sy, idx, wt, gp, even, ne, odd, no, col + j, dst + j);
    if (j + 8 <= gc) {
        abl_dcn_listed_sum8(xp, c, sx, sy, idx, wt, gp, even, ne, odd, no, col + j, dst + j);
        j += 8;
    }
    if (j + 4 <= gc) {
        abl_dcn_listed_sum4(xp, c, sx, sy, idx, wt, gp, even, ne, odd, no, col + j, dst + j);
        j += 4;
    }
    for (; j < gc; j++)
        abl_dcn_listed_sum1(xp, c, sx, sy, idx, wt, gp, even, ne, odd, no, col + j, dst + j);
}

/* Largest group size p abl_dcn_core lists points for (k <= 15), and the
 * least share of a pixel's points outside the map (1 / ABL_DCN_LIST_SHARE)
 * for which it does: at k = 3 on 80 x 80 (a fifth of the pixels with 1-9
 * of 36 points outside) listing cost more than the few points it saved
 * (CPU-time A/B in docs/modules/performance.md). */
enum { ABL_DCN_LIST_PMAX = 225, ABL_DCN_LIST_SHARE = 4 };

/* core[c] of one pixel of an h x w map: per group (g of them, gc = c / g
 * channels, p points each) the sum over its points' corners (mask folded
 * in).  nout, keep: abl_dcn_corners' count and flags of the points wholly
 * outside the map.  A pixel with many such points (a quarter or more) sums
 * only the others, listed per group (branch-free appends): a 7 x 7
 * dilation-3 grid on a 20 x 20
 * map puts 45 % of its points there, whose 4 corner loads and
 * multiply-adds per channel vector added zeros.  Same bits either way
 * (abl_dcn_listed_sum*). */
ABL_DCN_SPECIALISE void abl_dcn_core(const float *restrict xp, int c, int h, int w, int g, int p,
                                const int32_t *restrict idx, const float *restrict wt,
                                int nout, const int32_t *restrict keep, float *restrict core)
{
    const int gc = c / g, gpv = abl_dcn_gpv(g * p);
    const ptrdiff_t sx = abl_dcn_step_x(c, w), sy = abl_dcn_step_y(c, h, w);
    if (nout * ABL_DCN_LIST_SHARE < g * p || p > ABL_DCN_LIST_PMAX) {
        for (int gi = 0; gi < g; gi++)
            abl_dcn_corner_sum(xp, c, sx, sy, idx, wt, gpv, gi * p, p, gi * gc, gc, core + gi * gc);
        return;
    }
    for (int gi = 0; gi < g; gi++) {
        /* two counters in registers: indexing one array by parity kept
         * them in memory, a store-to-load chain per point */
        int32_t even[(ABL_DCN_LIST_PMAX + 1) / 2], odd[(ABL_DCN_LIST_PMAX + 1) / 2];
        int32_t all[ABL_DCN_LIST_PMAX];
        int ne = 0, no = 0, nall = 0, i = 0;
        for (; i + 2 <= p; i += 2) {
            const int q = gi * p + i;
            even[ne] = q;
            ne += keep[q];
            odd[no] = q + 1;
            no += keep[q + 1];
        }
        if (i < p) {
            even[ne] = gi * p + i;
            ne += keep[gi * p + i];
        }
        for (i = 0; gc >= 64 && i < p; i++) { /* only the 64-wide sums read it */
            all[nall] = gi * p + i;
            nall += keep[gi * p + i];
        }
        abl_dcn_listed_sum(xp, c, sx, sy, idx, wt, gpv, even, ne, odd, no, all, nall, gi * gc,
                           gc, core + gi * gc);
    }
}

#endif
