/* gen/runtime/ablate_akconv.h — AKConv's column conv written straight into
 * the NCHW output (gen/templates/akconv_direct.c.in, AVX-512 builds).
 *
 * The direct variant's column conv keeps output channels in the vector
 * lanes (acc[pixel][OUTCP]), so its result had to be transposed into y
 * (NCHW: pixels contiguous per channel) by a separate epilogue pass.  At
 * num_param 1-2 the reduction is short (K = num_param x inc, 32-128) and
 * that pass, with BN + SiLU, took as long as the product itself (L3
 * 32 -> 64 @160², num_param 1: 0.20 of 0.69 ms; docs/modules/performance.md,
 * AKConv fifth pass).  Here the block is turned round: MR output channels
 * x NV vectors of 16 pixels in registers, the samples read as st_t[k][pixel]
 * (pixels contiguous), the weights broadcast from wq[k][MR]; at the end of
 * the reduction BN + SiLU (abl_silu16, no division) run on the registers
 * and each channel's 16 pixels are one store into y.  The transpose moves
 * to the samples (num_param x inc per pixel instead of outc), which are in
 * L1/L2 at that point, and y is written once, 64 bytes at a time. */
#ifndef ABLATE_RUNTIME_AKCONV_H
#define ABLATE_RUNTIME_AKCONV_H

#include <stddef.h>

#include "ablate_gen.h"

#ifdef __AVX512F__
#include <immintrin.h>

/* Register blocking of abl_akc_col_nchw: 8 channels x 3 vectors of 16
 * pixels = 24 accumulators, + 3 sample vectors + 1 broadcast weight of
 * the 32 zmm registers. */
enum { ABL_AKC_MR = 8, ABL_AKC_NV = 3, ABL_AKC_PX = 16 * ABL_AKC_NV };

/* y[i * ldy + p] = SiLU(scale[i] * sum_k wq[k * ABL_AKC_MR + i] * st_t[k * ldst + p] + shift[i])
 * for channels i < nch (<= ABL_AKC_MR) and pixels p < npix (the block's
 * ABL_AKC_PX pixels; fewer at the tile's end: masked stores).  st_t must
 * hold ABL_AKC_PX readable floats per row (padding past npix is read and
 * discarded).  The sum runs over k in order from zero, one FMA per term. */
static inline void abl_akc_col_nchw(const float *restrict st_t, ptrdiff_t ldst, int k_col,
                                    const float *restrict wq, const float *scale, const float *shift,
                                    int nch, int npix, float *y, ptrdiff_t ldy)
{
    enum { MR = ABL_AKC_MR, NV = ABL_AKC_NV };
    __m512 acc[MR][NV];
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++)
            acc[i][j] = _mm512_setzero_ps();
    for (int k = 0; k < k_col; k++) {
        __m512 xv[NV];
        const float *s = st_t + (ptrdiff_t)k * ldst, *w = wq + (ptrdiff_t)k * MR;
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++)
            xv[j] = _mm512_loadu_ps(s + 16 * j);
#pragma GCC unroll 32
        for (int i = 0; i < MR; i++) {
            const __m512 wv = _mm512_set1_ps(w[i]);
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++)
                acc[i][j] = _mm512_fmadd_ps(wv, xv[j], acc[i][j]);
        }
    }
    /* BN + SiLU: the NV vectors of a channel computed side by side (three
     * independent chains), then stored; masked past npix */
    const int whole = npix >= 16 * NV;
    for (int i = 0; i < nch; i++) {
        const __m512 sc = _mm512_set1_ps(scale[i]), sh = _mm512_set1_ps(shift[i]);
        float *yi = y + (ptrdiff_t)i * ldy;
        __m512 v[NV];
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++)
            v[j] = abl_silu16(_mm512_fmadd_ps(acc[i][j], sc, sh));
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) {
            const int left = npix - 16 * j;
            if (whole || left >= 16)
                _mm512_storeu_ps(yi + 16 * j, v[j]);
            else if (left > 0)
                _mm512_mask_storeu_ps(yi + 16 * j, (__mmask16)((1u << left) - 1), v[j]);
        }
    }
}

/* The channels-in-lanes column conv with its epilogue in registers (full-
 * rate AVX-512; gen/templates/akconv_direct.c.in, COL_FUSED).  There the
 * product ran as 6 pixels x 64 channels (acc[pixel][OUTCP] in L2) and a
 * second pass applied BN + SiLU to acc and transposed it into y 8 x 8
 * (L3 32 -> 64 @160², num_param 5: 0.33 of 2.09 ms, a third of it BN +
 * SiLU, two thirds the transposes and y; docs/modules/perf_akconv.md,
 * fourth Intel pass).  Here a block is 8 pixels x MB vectors of 16
 * channels: at the end of the reduction BN + SiLU run on the registers and
 * each vector of 8 pixels x 16 channels is transposed in registers and
 * stored as 16 rows of 8 pixels of y; acc is not written or read back. */
enum { ABL_AKC_FP = 8 };

/* y[c * ldy + p] = v[p][c] for pixels p < npix (<= 8) and channels c < nch
 * (<= 16): the 8 x 16 block transposed (unpacks and shuffles within
 * 128-bit lanes, then one two-source permute per pair of channel rows). */
static inline void abl_akc_store_t8x16(const __m512 v[8], float *y, ptrdiff_t ldy, int nch, int npix)
{
    __m512 t[8], u[8];
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) { /* lane L: [r2i c, r2i+1 c, r2i c+1, r2i+1 c+1], c = 4L (lo) or 4L+2 (hi) */
        t[2 * i] = _mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]);
    }
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) { /* u[4h + j], lane L: pixels 4h .. 4h+3 of channel 4L + j */
        u[4 * h + 0] = _mm512_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
        u[4 * h + 1] = _mm512_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
        u[4 * h + 2] = _mm512_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
        u[4 * h + 3] = _mm512_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
    }
    /* a: [channel j | channel 4 + j], b: [channel 8 + j | channel 12 + j], 8 pixels each */
    const __m512i ia = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    const __m512i ib = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
    const __mmask16 lo = (__mmask16)((1u << npix) - 1), hi = (__mmask16)(lo << 8);
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        const __m512 a = _mm512_permutex2var_ps(u[j], ia, u[4 + j]);
        const __m512 b = _mm512_permutex2var_ps(u[j], ib, u[4 + j]);
        const int c[4] = {j, 4 + j, 8 + j, 12 + j};
        const __m512 r[4] = {a, a, b, b};
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++) {
            if (c[q] >= nch)
                continue;
            float *d = y + (ptrdiff_t)c[q] * ldy;
            if (npix == 8 && q % 2 == 0)
                _mm256_storeu_ps(d, _mm512_castps512_ps256(r[q]));
            else if (npix == 8)
                _mm256_storeu_ps(d, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(r[q]), 1)));
            else /* lanes 0-7 or 8-15 of r[q] to d[0 .. npix) */
                _mm512_mask_storeu_ps(q % 2 == 0 ? d : d - 8, q % 2 == 0 ? lo : hi, r[q]);
        }
    }
}

/* One block of ABL_AKC_FP pixels x MB (1 or 2) vectors of 16 output
 * channels: acc = start + sum over k < kc of x[p][k] * w[k * ldw + ..],
 * in k order, one FMA per term (as the micro-kernel of akconv_direct.c.in:
 * the same sums, bit for bit); start: the zeros (first) or acc's rows
 * from the previous block of k.  last: y[c * ldy + p] = SiLU(acc * scale
 * + shift) for channels c < nch and pixels p < npix; else the sums go to
 * acc (ldo floats a row). */
static inline __attribute__((always_inline)) void
abl_akc_col_fused(const int MB, const float *const x[ABL_AKC_FP], int kc, const float *restrict w, ptrdiff_t ldw,
                  int first, int last, float *acc, ptrdiff_t ldo, const float *scale, const float *shift, int nch,
                  int npix, float *y, ptrdiff_t ldy)
{
    enum { FP = ABL_AKC_FP };
    __m512 a[FP][2];
#pragma GCC unroll 8
    for (int p = 0; p < FP; p++)
#pragma GCC unroll 2
        for (int j = 0; j < MB; j++)
            a[p][j] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(acc + p * ldo + 16 * j);
    for (int k = 0; k < kc; k++) {
        __m512 wv[2];
#pragma GCC unroll 2
        for (int j = 0; j < MB; j++)
            wv[j] = _mm512_loadu_ps(w + k * ldw + 16 * j);
#pragma GCC unroll 8
        for (int p = 0; p < FP; p++) {
            const __m512 xv = _mm512_set1_ps(x[p][k]);
#pragma GCC unroll 2
            for (int j = 0; j < MB; j++)
                a[p][j] = _mm512_fmadd_ps(wv[j], xv, a[p][j]);
        }
    }
    if (!last) {
#pragma GCC unroll 8
        for (int p = 0; p < FP; p++)
#pragma GCC unroll 2
            for (int j = 0; j < MB; j++)
                _mm512_storeu_ps(acc + p * ldo + 16 * j, a[p][j]);
        return;
    }
#pragma GCC unroll 2
    for (int j = 0; j < MB; j++) {
        const __m512 sc = _mm512_loadu_ps(scale + 16 * j), sh = _mm512_loadu_ps(shift + 16 * j);
        __m512 v[FP];
#pragma GCC unroll 8
        for (int p = 0; p < FP; p++) /* as abl_akc_bn_silu_row */
            v[p] = abl_silu16(_mm512_fmadd_ps(a[p][j], sc, sh));
        abl_akc_store_t8x16(v, y + 16 * j * ldy, ldy, nch - 16 * j, npix);
    }
}

/* y[c * ldy + p] = SiLU(a[p * lda + c] * scale[c] + shift[c]) for 16
 * pixels p and 16 channels c: one block of the channels-in-lanes column
 * conv's sums (acc[pixel][OUTCP]) transposed 16 x 16 in registers (64
 * shuffles), BN + SiLU on the transposed vectors (a channel's scale and
 * shift broadcast) and one 64-byte store per channel row of y.  The
 * epilogue pass of akconv_direct.c.in (EPI16) at full-rate AVX-512: the
 * 8-pixel path (abl_akc_bn_silu_row, acc written back, then abl_transpose's
 * 8 x 8 blocks and 32-byte stores) read and wrote acc twice and stored y
 * in half lines.  BN's FMA has the operands of abl_akc_bn_silu_row's, so
 * the outputs are the same bits. */
static inline void abl_akc_bn_silu_t16x16(const float *a, ptrdiff_t lda, const float *scale, const float *shift,
                                          float *y, ptrdiff_t ldy)
{
    __m512 r[16];
#pragma GCC unroll 16
    for (int p = 0; p < 16; p++)
        r[p] = _mm512_loadu_ps(a + p * lda);
    abl_t16x16(r);
#pragma GCC unroll 16
    for (int c = 0; c < 16; c++) /* as abl_akc_bn_silu_row, on the transposed block */
        _mm512_storeu_ps(y + c * ldy,
                         abl_silu16(_mm512_fmadd_ps(r[c], _mm512_set1_ps(scale[c]), _mm512_set1_ps(shift[c]))));
}

/* Sixteen horizontal sums at once: lane 4 (k % 4) + k / 4 of the result is
 * the sum of v[k]'s 16 lanes (abl_akc_hsum16_lane), added in the order of
 * _mm512_reduce_add_ps (lane i + lane i+8, then i + i+4, i + i+2, i + i+1),
 * so each sum is bit-identical to that intrinsic's.  15 adds and 30
 * shuffles for 16 sums, against 4 adds and 5 extracts or shuffles per sum
 * one at a time (AKConv's p_conv as dot products: 2N sums per pixel). */
static inline __m512 abl_akc_hsum16(const __m512 v[16])
{
    __m512 s[8], u[4], w[2];
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) /* [v 2j: lanes i + i+8 | v 2j+1: lanes i + i+8] */
        s[j] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * j], v[2 * j + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_f32x4(v[2 * j], v[2 * j + 1], _MM_SHUFFLE(3, 2, 3, 2)));
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) /* quarter m: v 4j + m, lanes i + i+4 of the above */
        u[j] = _mm512_add_ps(_mm512_shuffle_f32x4(s[2 * j], s[2 * j + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f32x4(s[2 * j], s[2 * j + 1], _MM_SHUFFLE(3, 1, 3, 1)));
#pragma GCC unroll 2
    for (int j = 0; j < 2; j++) /* quarter m: [v 8j+m: 2 sums | v 8j+4+m: 2 sums] */
        w[j] = _mm512_add_ps(_mm512_shuffle_ps(u[2 * j], u[2 * j + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_ps(u[2 * j], u[2 * j + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    return _mm512_add_ps(_mm512_shuffle_ps(w[0], w[1], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_ps(w[0], w[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

/* The lane of abl_akc_hsum16's result that holds the sum of v[k]. */
static inline int abl_akc_hsum16_lane(int k) { return 4 * (k % 4) + k / 4; }

/* row[o] = SiLU(row[o] * scale[o] + shift[o]) for o < n: BN + SiLU along
 * one pixel's output channels (the channels-in-lanes epilogue). */
static inline void abl_akc_bn_silu_row(float *row, int n, const float *scale, const float *shift)
{
    int o = 0;
    for (; o + 16 <= n; o += 16)
        _mm512_storeu_ps(row + o, abl_silu16(_mm512_fmadd_ps(_mm512_loadu_ps(row + o), _mm512_loadu_ps(scale + o),
                                                             _mm512_loadu_ps(shift + o))));
    if (o < n) {
        const __mmask16 m = (__mmask16)((1u << (n - o)) - 1);
        const __m512 v = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, row + o), _mm512_maskz_loadu_ps(m, scale + o),
                                         _mm512_maskz_loadu_ps(m, shift + o));
        _mm512_mask_storeu_ps(row + o, m, abl_silu16(v));
    }
}
#elif !defined(__AVX2__) /* AVX2: below, on abl_akc_silu8 */
static inline void abl_akc_bn_silu_row(float *row, int n, const float *scale, const float *shift)
{
#pragma omp simd
    for (int o = 0; o < n; o++)
        row[o] = abl_silu(row[o] * scale[o] + shift[o]);
}
#endif

#if defined(__AVX2__) && !defined(__AVX512F__)
#include <immintrin.h>

/* Eight horizontal sums at once (AVX2 builds): lane k of the result is the
 * sum of v[k]'s 8 lanes, as ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 +
 * l7)).  6 hadds, 2 cross-lane permutes and 1 add for 8 sums (AKConv's
 * p_conv as dot products on AVX2, pconv_dot8: 2N sums per pixel). */
static inline __m256 abl_akc_hsum8(const __m256 v[8])
{
    /* [v0 01 23, v1 01 23 | v0 45 67, v1 45 67], the same for v2 v3 ... */
    const __m256 a = _mm256_hadd_ps(v[0], v[1]), b = _mm256_hadd_ps(v[2], v[3]);
    const __m256 c = _mm256_hadd_ps(v[4], v[5]), d = _mm256_hadd_ps(v[6], v[7]);
    /* [v0 0123, v1 0123, v2 0123, v3 0123 | the same of lanes 4567] */
    const __m256 ab = _mm256_hadd_ps(a, b), cd = _mm256_hadd_ps(c, d);
    return _mm256_add_ps(_mm256_permute2f128_ps(ab, cd, 0x20), _mm256_permute2f128_ps(ab, cd, 0x31));
}

/* SiLU on 8 lanes without a division (AKConv's AVX2 epilogues): the
 * steps of abl_silu16 (ablate_gen.h) in AVX2 instructions.  v clamped to
 * +-87, u = -v log2(e) as the float pair u + lo, e^-v = 2^floor(u) *
 * 2^(u - floor(u) + lo), 2^f by abl_exp2_frac8 (ablate_gen.h, the
 * degree-5 polynomial), then v * 1 / (1 + e^-v) by vrcpps and one Newton
 * step.  Two AVX-512 instructions written out: u - floor(u) (vreduceps) by
 * vroundps and a subtraction, exact; 2^floor(u) (vscalefps) by abl_ldexp8,
 * floor(u) added to the exponent bits of 2^f, exact here: floor(u) lies in [-126, 125] and
 * 2^f in [1, 2) (f a few ulps outside [0, 1) at worst), so the product is
 * a normal float.  vrcpps has 12 bits where vrcp14ps has 14: after the
 * Newton step the sigmoid's relative error stays below 3.5e-7
 * (tests/test_gen_akconv.c, silu8_avx2_against_double), against 2.5e-7.
 * Why not abl_silu8 (abl_silu's steps, a division): 0.52 ns a value on
 * Zen 3 (3.2 GHz, one core, in L1), this 0.43 (docs/modules/perf_akconv.md,
 * Zen 3 second session): fewer uops and no division.  NaN ->
 * NaN (the product with v), +-inf -> +-inf, as abl_silu. */
static inline __m256 abl_akc_silu8(__m256 v)
{
    const __m256 one = _mm256_set1_ps(1.0f), nlog2e = _mm256_set1_ps(-1.44269504088896341f);
    const __m256 vc = _mm256_max_ps(_mm256_min_ps(v, _mm256_set1_ps(87.0f)), _mm256_set1_ps(-87.0f));
    const __m256 u = _mm256_mul_ps(vc, nlog2e);
    /* the product's rounding error and that of log2(e) in float */
    const __m256 lo = _mm256_fmadd_ps(vc, _mm256_set1_ps(-1.925963e-8f), _mm256_fmsub_ps(vc, nlog2e, u));
    const __m256 fl = _mm256_floor_ps(u);
    const __m256 p = abl_exp2_frac8(_mm256_add_ps(_mm256_sub_ps(u, fl), lo));
    const __m256 d = _mm256_add_ps(one, abl_ldexp8(p, fl)); /* 1 + e^-v */
    const __m256 rc = _mm256_rcp_ps(d);
    return _mm256_mul_ps(v, _mm256_fmadd_ps(rc, _mm256_fnmadd_ps(d, rc, one), rc));
}

/* abl_akc_bn_silu_row on AVX2: 8 channels a vector (the tail masked), BN's
 * FMA with the operands of the other builds', SiLU by abl_akc_silu8 (the
 * same as abl_akc_col_nchw's: the two column convs give the same bits). */
static inline void abl_akc_bn_silu_row(float *row, int n, const float *scale, const float *shift)
{
    int o = 0;
    for (; o + 8 <= n; o += 8)
        _mm256_storeu_ps(row + o, abl_akc_silu8(_mm256_fmadd_ps(_mm256_loadu_ps(row + o), _mm256_loadu_ps(scale + o),
                                                                _mm256_loadu_ps(shift + o))));
    if (o < n) {
        const __m256i m = abl_prefix8(n - o);
        const __m256 v = _mm256_fmadd_ps(_mm256_maskload_ps(row + o, m), _mm256_maskload_ps(scale + o, m),
                                         _mm256_maskload_ps(shift + o, m));
        _mm256_maskstore_ps(row + o, m, abl_akc_silu8(v));
    }
}

/* abl_akc_col_nchw on AVX2 (the AVX-512 one above, same contract): 4
 * channels x 3 vectors of 8 pixels = 12 accumulators, + 3 sample vectors +
 * 1 broadcast weight = the 16 ymm registers; 7 loads per 12 FMAs. */
enum { ABL_AKC_MR = 4, ABL_AKC_NV = 3, ABL_AKC_PX = 8 * ABL_AKC_NV };

static inline void abl_akc_col_nchw(const float *restrict st_t, ptrdiff_t ldst, int k_col,
                                    const float *restrict wq, const float *scale, const float *shift,
                                    int nch, int npix, float *y, ptrdiff_t ldy)
{
    enum { MR = ABL_AKC_MR, NV = ABL_AKC_NV };
    __m256 acc[MR][NV];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++)
            acc[i][j] = _mm256_setzero_ps();
    for (int k = 0; k < k_col; k++) {
        __m256 xv[NV];
        const float *s = st_t + (ptrdiff_t)k * ldst, *w = wq + (ptrdiff_t)k * MR;
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) {
            xv[j] = _mm256_loadu_ps(s + 8 * j);
            /* in a register from here: gcc would otherwise fold the load
             * into every FMA, MR loads per sample vector */
            __asm__("" : "+x"(xv[j]));
        }
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            const __m256 wv = _mm256_broadcast_ss(w + i);
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++)
                acc[i][j] = _mm256_fmadd_ps(wv, xv[j], acc[i][j]);
        }
    }
    const int whole = npix >= 8 * NV;
    /* over all MR channels, unrolled (acc indexed by constants: a loop to
     * nch made gcc store the accumulators to the stack on every step of
     * the reduction) */
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
        if (i >= nch)
            break;
        const __m256 sc = _mm256_broadcast_ss(scale + i), sh = _mm256_broadcast_ss(shift + i);
        float *yi = y + (ptrdiff_t)i * ldy;
        __m256 v[NV];
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++)
            v[j] = abl_akc_silu8(_mm256_fmadd_ps(acc[i][j], sc, sh));
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) {
            const int left = npix - 8 * j;
            if (whole || left >= 8) {
                _mm256_storeu_ps(yi + 8 * j, v[j]);
            } else if (left > 0) { /* lanes below left */
                _mm256_maskstore_ps(yi + 8 * j, abl_prefix8(left), v[j]);
            }
        }
    }
}
#endif

#endif
