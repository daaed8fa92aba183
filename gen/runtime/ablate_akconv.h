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
#else
static inline void abl_akc_bn_silu_row(float *row, int n, const float *scale, const float *shift)
{
#pragma omp simd
    for (int o = 0; o < n; o++)
        row[o] = abl_silu(row[o] * scale[o] + shift[o]);
}
#endif

#endif
