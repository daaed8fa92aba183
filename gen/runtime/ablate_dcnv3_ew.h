/* gen/runtime/ablate_dcnv3_ew.h — DCNv3 phase A's element-wise pieces:
 * the exact-form GELU, the LayerNorm + GELU of a row, the softmax of the
 * mask logits.  Split out of ablate_dcnv3.h (which includes this, and
 * which the generated kernels include) to keep each header readable.
 *
 *   abl_erff, abl_gelu   vectorisable erf and exact-form GELU (MODULES.md 0.1);
 *                        abl_gelu16 / abl_gelu8 / abl_gelu_inplace: 16 or 8
 *                        lanes (AVX-512 / AVX2), no division
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
/* q(a) = Phi(-a) = erfc(a / sqrt 2) / 2 on [0, 5.6) in 16 intervals of
 * 0.35: interval i, f in [0, 1) at a = (i + f) 0.35, q = sum_k
 * ABL_GELU_Q[5 - k][i] f^k.  Degree-5 polynomials interpolating q at the
 * Chebyshev nodes of each interval, solved in double by
 * scripts/gelu_q_fit.py 5.6 5 (which prints this table): |q error| <=
 * 8.8e-9 with these float coefficients, evaluated in double.  Rows: the coefficients
 * of f^5 .. f^0, one zmm each, lane i = interval i. */
static const float ABL_GELU_Q[6][16] __attribute__((aligned(64))) = {
    {-4.818777955e-05f, -2.157458166e-05f, 1.185345884e-05f, 3.073679988e-05f, 2.883740014e-05f,
     1.507338223e-05f, 1.727580455e-06f, -5.033793802e-06f, -5.877943582e-06f, -4.087251107e-06f,
     -2.134893300e-06f, -8.974561310e-07f, -3.132211589e-07f, -9.232774709e-08f, -2.323152463e-08f,
     -5.025670320e-09f},
    {-6.218276322e-06f, -2.547659533e-04f, -3.604004040e-04f, -2.926965908e-04f, -1.317546326e-04f,
     1.448641117e-05f, 8.785507562e-05f, 9.363100804e-05f, 6.673169750e-05f, 3.690830871e-05f,
     1.668388223e-05f, 6.319303389e-06f, 2.034241339e-06f, 5.615624622e-07f, 1.337551798e-07f,
     2.760854646e-08f},
    {2.854358814e-03f, 2.362644967e-03f, 1.146819632e-03f, -1.653665661e-04f, -1.029662630e-03f,
     -1.276041427e-03f, -1.075011904e-03f, -7.102870362e-04f, -3.866741479e-04f, -1.775377958e-04f,
     -6.965533509e-05f, -2.354373029e-05f, -6.893256632e-06f, -1.755000453e-06f, -3.896428808e-07f,
     -7.560149090e-08f},
    {-8.836716436e-07f, 8.041923262e-03f, 1.338583308e-02f, 1.478362240e-02f, 1.283974406e-02f,
     9.248896632e-03f, 5.658141965e-03f, 2.977105492e-03f, 1.357445561e-03f, 5.389714392e-04f,
     1.869652239e-04f, 5.679767384e-05f, 1.513661390e-05f, 3.543453613e-06f, 7.294035983e-07f,
     1.321304722e-07f},
    {-1.396297206e-01f, -1.313339244e-01f, -1.092887014e-01f, -8.045869293e-02f, -5.240466642e-02f,
     -3.019715131e-02f, -1.539432263e-02f, -6.943096146e-03f, -2.770403214e-03f, -9.779779349e-04f,
     -3.054290352e-04f, -8.438894645e-05f, -2.062782657e-05f, -4.460798728e-06f, -8.534175122e-07f,
     -1.444437305e-07f},
    {4.999999989e-01f, 3.631693461e-01f, 2.419636498e-01f, 1.468590556e-01f, 8.075665998e-02f,
     4.005915811e-02f, 1.786442145e-02f, 7.142811041e-03f, 2.555130263e-03f, 8.163521390e-04f,
     2.326289415e-04f, 5.905883813e-05f, 1.334571787e-05f, 2.682285144e-06f, 4.791802470e-07f,
     7.604887481e-08f},
};

/* abl_gelu on 16 lanes, for the rows of GELU after LayerNorm (64 channels
 * x 1600 pixels a call at L13, 6400 at L16) and the D-LKA epilogues.
 *   a = min(|x|, 16), s = a / 0.35: the interval i = trunc(s) and f =
 *       s - floor(s) (vreduceps where AVX512DQ is there);
 *   q = Phi(-a) by the interval's polynomial, its coefficients picked by
 *       vpermps (16 intervals, one zmm a coefficient); 0 from a = 5.6 on
 *       (Phi(-5.6) = 1.1e-8: below the rounding of x - x q);
 *   GELU = x Phi(x) = x q for x < 0 (x itself, so that -inf gives
 *       -inf * 0 = NaN as PyTorch's GELU and abl_gelu do), else x - a q
 *       (a: the clamp keeps inf * 0 out; NaN comes through x).
 * 19 vector ops (the A&S 7.1.26 erf with its reciprocal and 2^x, before:
 * 29): the rows' GELU was port-bound, 38 us of the 0.43 ms L13 k 3 call at
 * 1 thread (perf_deform.md, c-dcnv3).  Largest error against double erf
 * over [-16, 16]: 7.1e-8 |x| (A&S: 3.4e-7 |x|); tests/test_dcnv3_gelu.c
 * checks the bound. */
static inline __m512 abl_gelu16(__m512 x)
{
    const __m512 a = _mm512_min_ps(_mm512_abs_ps(x), _mm512_set1_ps(16.0f));
    const __m512 s = _mm512_mul_ps(a, _mm512_set1_ps(16.0f / 5.6f));
    const __mmask16 in = _mm512_cmp_ps_mask(s, _mm512_set1_ps(16.0f), _CMP_LT_OQ);
    const __m512 f = abl_frac16(s);
    const __m512i i = _mm512_cvttps_epi32(s);
    __m512 q = _mm512_permutexvar_ps(i, _mm512_load_ps(ABL_GELU_Q[0]));
    for (int k = 1; k < 5; k++)
        q = _mm512_fmadd_ps(q, f, _mm512_permutexvar_ps(i, _mm512_load_ps(ABL_GELU_Q[k])));
    q = _mm512_maskz_fmadd_ps(in, q, f, _mm512_permutexvar_ps(i, _mm512_load_ps(ABL_GELU_Q[5])));
    const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_mov_ps(_mm512_fnmadd_ps(a, q, x), neg, _mm512_mul_ps(x, q));
}
#endif

#if !defined(__AVX512F__) && defined(__AVX2__) && defined(__FMA__)
/* abl_gelu16's method in 8 lanes (AVX2 + FMA): q(a) = Phi(-a) on [0, 5.6)
 * in 8 intervals of 0.7, one ymm a coefficient (one vpermps each, where
 * 16 intervals would take two and a blend), so degree 6 for abl_gelu16's
 * accuracy: scripts/gelu_q_fit.py 5.6 6 8 prints this table (|q error| <=
 * 2e-8).  Rows: the coefficients of f^6 .. f^0, lane i = interval i. */
static const float ABL_GELU_Q8[7][8] __attribute__((aligned(32))) = {
    {2.884510570e-04f, 2.026854947e-04f, -1.495846346e-04f, -7.186695308e-05f, 1.962277715e-05f, 1.316958076e-05f, 2.312531063e-06f, 1.874690487e-07f},
    {-2.037893723e-03f, 1.358656676e-04f, 1.166528207e-03f, 1.415087168e-04f, -2.215198445e-04f, -8.573172475e-05f, -1.273488828e-05f, -9.404530136e-07f},
    {2.332603654e-04f, -5.681502877e-03f, -2.261535376e-03f, 1.375651001e-03f, 1.089886117e-03f, 2.747355476e-04f, 3.342820796e-05f, 2.179378296e-06f},
    {2.272734473e-02f, 9.173176455e-03f, -8.191071757e-03f, -8.599623747e-03f, -3.100473702e-03f, -5.584703039e-04f, -5.511937710e-05f, -3.099084957e-06f},
    {1.286732787e-05f, 5.353981263e-02f, 5.135240404e-02f, 2.263381881e-02f, 5.430850463e-03f, 7.478631491e-04f, 6.049773041e-05f, 2.910440749e-06f},
    {-2.792603917e-01f, -2.185770147e-01f, -1.048089753e-01f, -3.078878339e-02f, -5.540867879e-03f, -6.108490024e-04f, -4.125059499e-05f, -1.706196990e-06f},
    {5.000000081e-01f, 2.419636447e-01f, 8.075665669e-02f, 1.786442328e-02f, 2.555130856e-03f, 2.326287843e-04f, 1.334565177e-05f, 4.791723418e-07f},
};

/* abl_gelu16 on 8 lanes: 22 vector ops where the A&S erf (abl_gelu, its
 * division and 2^x) compiled to 45, the rows' GELU 9-13 % of DCNv3's
 * 1-thread time at L17 k 3 on Zen 3 (perf_deform.md, Zen 3 second
 * session).  Special values as abl_gelu16 (min of a NaN and 16 is 16,
 * so q = 0 and x - a q keeps the NaN; -inf gives -inf * 0 = NaN);
 * tests/test_dcnv3_gelu.c checks its bound. */
static inline __m256 abl_gelu8(__m256 x)
{
    const __m256 a = _mm256_min_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), _mm256_set1_ps(16.0f));
    const __m256 s = _mm256_mul_ps(a, _mm256_set1_ps(8.0f / 5.6f));
    const __m256 in = _mm256_cmp_ps(s, _mm256_set1_ps(8.0f), _CMP_LT_OQ);
    const __m256 f = _mm256_sub_ps(s, _mm256_round_ps(s, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
    const __m256i i = _mm256_cvttps_epi32(s); /* beyond the table: any lane, q masked to 0 */
    __m256 q = _mm256_permutevar8x32_ps(_mm256_load_ps(ABL_GELU_Q8[0]), i);
    for (int k = 1; k < 7; k++)
        q = _mm256_fmadd_ps(q, f, _mm256_permutevar8x32_ps(_mm256_load_ps(ABL_GELU_Q8[k]), i));
    q = _mm256_and_ps(q, in);
    const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(_mm256_fnmadd_ps(a, q, x), _mm256_mul_ps(x, q), neg);
}
#define ABL_GELU8_OK 1
#else
#define ABL_GELU8_OK 0
#endif

/* v[i] = GELU(v[i]) for i < n: 16 lanes at a time and a masked last
 * vector where AVX-512 is there (no scalar tail); with AVX2 + FMA 8 lanes
 * at a time (abl_gelu8), the last partial vector through a copy (every
 * element the same bits wherever it lies); abl_gelu otherwise. */
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
#elif ABL_GELU8_OK
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(v + i, abl_gelu8(_mm256_loadu_ps(v + i)));
    if (i < n) { /* vmaskmovps stores are microcoded on Zen */
        float part[8] = {0};
        memcpy(part, v + i, sizeof(float) * (size_t)(n - i));
        _mm256_storeu_ps(part, abl_gelu8(_mm256_loadu_ps(part)));
        memcpy(v + i, part, sizeof(float) * (size_t)(n - i));
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
