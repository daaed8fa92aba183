/* gen/runtime/ablate_acmix.h — ACmix pieces shared by the generated ACmix
 * kernels (gen/templates/acmix_*.c.in) that do not depend on the
 * configuration.  Like ablate_gen.h: static inline, sizes as arguments, so
 * the template's constants specialise them when they inline.
 *
 *   abl_reflect        reflection index R(t, n) of MODULES.md 5.2 step 3
 *   abl_linspace_at    torch.linspace(-1, 1, n)[i] in float32
 *   abl_reflect_pad_rows  rows of a plane copied with reflection padding
 *   abl_softmax_cols8     softmax down the rows of an [n][8] block (the
 *                         attention's; ablate_gen.h's abl_softmax_cols
 *                         where neither AVX-512VL nor AVX2 + FMA is there)
 *   abl_softmax_cols16    the same on [n][16] blocks (AVX-512 only: the
 *                         attention's 16-column chunks)
 *   abl_reflect_pad_edges the padding of rows whose interior is already in
 *                         the padded plane (the direct projection's)
 *   abl_acm_proj_block    one register block of the projection as a direct
 *                         1x1 conv (AVX-512)
 *   abl_acm_proj_half     half of such a block, 4 rows, on AVX2 + FMA
 *   abl_acm_pack_rows8    8 weight rows packed [cin][8] for them (a transpose)
 */
#ifndef ABLATE_ACMIX_H
#define ABLATE_ACMIX_H

#include <stddef.h>
#include <string.h>

#include "ablate_gen.h"

/* -t left of 0, 2(n-1) - t right of n-1 (valid for an overhang < n, which
 * the op row's validation guarantees: H, W > padding). */
static inline int abl_reflect(int t, int n)
{
    return t < 0 ? -t : t > n - 1 ? 2 * (n - 1) - t : t;
}

/* torch.linspace(-1, 1, n) element i, float32, as PyTorch's CPU kernel
 * computes it: from the start for the first half, from the end for the
 * second (so the grid is exactly symmetric, as the reference's). */
static inline float abl_linspace_at(int n, int i)
{
    if (n == 1)
        return -1.0f;
    float step = 2.0f / (float)(n - 1);
    return i < n / 2 ? -1.0f + step * (float)i : 1.0f - step * (float)(n - i - 1);
}

/* The rows of dst[(h + 2 pad) x (w + 2 pad)] = plane[h x w] reflection-padded
 * by pad (nn.ReflectionPad2d) whose source rows lie in [r0, r1); src holds
 * those rows (src = the plane's row r0, w floats apart).  The attention
 * window then reads plain rows, and no unfold tensor (ka^2 times the
 * plane) is ever built.  A thread that projected rows r0 .. r1 - 1 pads
 * exactly the rows that read them, straight from its projection tile, so
 * no row moves between cores; r0 = 0, r1 = h pads the whole plane. */
static inline void abl_reflect_pad_rows(const float *src, float *dst, int h, int w, int pad,
                                        int r0, int r1)
{
    const int wp = w + 2 * pad;
    for (int py = 0; py < h + 2 * pad; py++) {
        const int sy = abl_reflect(py - pad, h);
        if (sy < r0 || sy >= r1)
            continue;
        const float *s = src + (size_t)(sy - r0) * w;
        float *d = dst + (size_t)py * wp;
        for (int px = 0; px < pad; px++) {
            d[px] = s[pad - px];
            d[pad + w + px] = s[w - 2 - px];
        }
        memcpy(d + pad, s, sizeof(float) * (size_t)w);
    }
}

/* The padding of abl_reflect_pad_rows for source rows r0 .. r1 - 1 whose
 * values are already in the interior of the padded plane dst (the direct
 * projection stores them there): their PAD columns each side from the
 * row itself, then the reflected rows of the top and bottom padding as
 * copies of the finished rows.  The same values as abl_reflect_pad_rows,
 * bit for bit (copies of the same floats). */
static inline void abl_reflect_pad_edges(float *dst, int h, int w, int pad, int r0, int r1)
{
    const int wp = w + 2 * pad;
    for (int y = r0; y < r1; y++) {
        float *d = dst + (size_t)(y + pad) * wp;
        const float *s = d + pad;
        for (int px = 0; px < pad; px++) {
            d[px] = s[pad - px];
            d[pad + w + px] = s[w - 2 - px];
        }
    }
    for (int py = 0; py < h + 2 * pad; py++) {
        const int sy = abl_reflect(py - pad, h);
        if (sy != py - pad && sy >= r0 && sy < r1)
            memcpy(dst + (size_t)py * wp, dst + (size_t)(sy + pad) * wp, sizeof(float) * (size_t)wp);
    }
}

/* The softmax of abl_softmax_cols (ablate_gen.h) for blocks 8 columns
 * wide: p[k][i] = e^(p[k][i] - mx[i]), scale[i] = num / sum_k, where mx[i]
 * = max_k p[k][i] is given: the attention takes it from the logits while
 * they are still in registers (its own pass over the block had been a
 * chain of 121 dependent vmaxps at kernel_att 11).  With AVX-512VL the
 * exponential is 2^t, t = (x - mx) log2(e) in one fused multiply-subtract
 * (the rounding of mx log2(e) is common to the column and cancels in the
 * normalisation), then abl_exp2_8 (ablate_gen.h, the SiLU epilogues'
 * polynomial: f = t - floor(t) by vreduceps, degree 5 on [0, 1), 2^floor(t)
 * by vscalefps): 9 vector operations per 8 exponentials with the sum (its
 * own degree-6 polynomial on [-1/2, 1/2] had taken 11).  Against
 * float64, windows of 9 to 121 logits: the normalised probabilities'
 * largest relative error 9.6e-7 with logits within +-0.5, 4.0e-6 within
 * +-100 (the degree-6 polynomial's: 8.3e-7, 3.9e-6; both mostly t's own
 * rounding; docs/modules/acmix.md fifth pass).  No clamp: t <= 0, and scalef gives e^x -> 0 below -87 where
 * abl_expf stops at e^-87 ~ 1.6e-38, which no sum of at least 1 sees.
 * Profiled on a 2-vCPU Zen 4 (ACmix 64 @ 80x80, kernel_att 11, head 4, 1
 * thread): the softmax had been a quarter of the attention's time.
 * With AVX2 + FMA the same t and polynomial, 2^floor(t) by integer steps
 * (below); without either it is abl_softmax_cols, which finds the max
 * itself (mx unused). */
static inline void abl_softmax_cols8(float *p, int n, const float *mx, float num, float *scale)
{
#if defined(__AVX512VL__)
    const __m256 log2e = _mm256_set1_ps(1.44269504088896341f);
    const __m256 m2 = _mm256_mul_ps(_mm256_loadu_ps(mx), log2e);
    __m256 sum = _mm256_setzero_ps();
    for (int k = 0; k < n; k++) {
        const __m256 e = abl_exp2_8(_mm256_fmsub_ps(_mm256_loadu_ps(p + 8 * k), log2e, m2));
        _mm256_storeu_ps(p + 8 * k, e);
        sum = _mm256_add_ps(sum, e);
    }
    _mm256_storeu_ps(scale, _mm256_div_ps(_mm256_set1_ps(num), sum));
#elif defined(__AVX2__) && defined(__FMA__)
    /* AVX2: the same t and 2^f (abl_exp2_frac8), f = t - floor(t) by
     * vroundps (exact, as vreduceps), and 2^floor(t) added to the exponent
     * bits (abl_ldexp8), with t clamped at -126 so the product stays a
     * normal float: a lane 126 octaves below its column's max gets
     * 2^-126 p(f) (< 2.4e-38) where vscalefps gives a subnormal or 0,
     * nothing any sum of at least 1 sees.  Profiled on the Zen 3 of
     * 2026-12-08 (64 @ 80x80, kernel_att 11, head 4, 1 thread), the
     * generic abl_softmax_cols (a pass of its own for the max, abl_expf's
     * clamp, range reduction and degree-6 polynomial) had been a quarter
     * of the attention. */
    const __m256 log2e = _mm256_set1_ps(1.44269504088896341f);
    const __m256 m2 = _mm256_mul_ps(_mm256_loadu_ps(mx), log2e), lo = _mm256_set1_ps(-126.0f);
    __m256 sum = _mm256_setzero_ps();
    for (int k = 0; k < n; k++) {
        const __m256 t = _mm256_max_ps(_mm256_fmsub_ps(_mm256_loadu_ps(p + 8 * k), log2e, m2), lo);
        const __m256 fl = _mm256_floor_ps(t);
        const __m256 e = abl_ldexp8(abl_exp2_frac8(_mm256_sub_ps(t, fl)), fl);
        _mm256_storeu_ps(p + 8 * k, e);
        sum = _mm256_add_ps(sum, e);
    }
    _mm256_storeu_ps(scale, _mm256_div_ps(_mm256_set1_ps(num), sum));
#else
    (void)mx;
    abl_softmax_cols(p, n, 8, num, scale);
#endif
}

#ifdef __AVX512F__
/* abl_softmax_cols8 on blocks 16 columns wide (the attention's chunks
 * where they are a zmm): the same operations lane for lane (2^t by
 * abl_exp2_frac16 and vscalefps), so each column's probabilities and scale
 * are bit-identical to those of an 8-column chunk. */
static inline void abl_softmax_cols16(float *p, int n, const float *mx, float num, float *scale)
{
    const __m512 m2 = _mm512_mul_ps(_mm512_loadu_ps(mx), _mm512_set1_ps(1.44269504088896341f));
    const __m512 sum = abl_exp_sub_rows16(p, n, m2);
    _mm512_storeu_ps(scale, _mm512_div_ps(_mm512_set1_ps(num), sum));
}

/* The projection (q, k, v = Wqkv . x + b, a 1x1 conv of 3C outputs) as a
 * direct convolution: a register block of ABL_ACM_MR output rows x nv
 * vectors of 16 consecutive pixels stays in zmm registers over the whole
 * reduction (cin input channels), starting from the bias, and goes from
 * the registers to q's planes and the padded k, v planes (the template
 * stores it).  Through OpenBLAS the projection had been an sgemm per tile
 * into a scratch tile (its operands packed on every call: K = cin is only
 * 64 or 128) with the bias filled in first, then q copied out and k, v
 * copied into the padded planes: on the Intel Xeon of 2026-12-06 at 64 @
 * 80x80 (kernel_att 3, head 4, 1 thread) the sgemm's kernel ran at about
 * 143 GFLOP/s but packing, bias fill and copies took 0.6 ms more of its
 * 1.7 (docs/modules/acmix.md, fourth Intel pass).
 * wpk: the block's weights packed [cin][ABL_ACM_MR] (a row past 3C is
 * zeros), bias its ABL_ACM_MR biases; x: input channel 0 at the block's
 * first pixel, channels hw apart; m[v]: the lanes of vector v inside the
 * run (masked loads: no read past the image).  Each output is bias + the
 * products in channel order, one fused multiply-add each, whatever the
 * block, the run or the lane: bit for bit across tiles and threads. */
enum { ABL_ACM_MR = 8, ABL_ACM_NV = 3 };

static inline __attribute__((always_inline)) void
abl_acm_proj_block(const float *x, ptrdiff_t hw, int cin, const float *wpk, const float *bias,
                   const __mmask16 *m, const int nv, __m512 acc[ABL_ACM_MR][ABL_ACM_NV])
{
#pragma GCC unroll 8
    for (int r = 0; r < ABL_ACM_MR; r++)
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++)
            acc[r][v] = _mm512_set1_ps(bias[r]);
    for (int ic = 0; ic < cin; ic++) {
        __m512 xv[ABL_ACM_NV];
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++)
            xv[v] = _mm512_maskz_loadu_ps(m[v], x + ic * hw + 16 * v);
#pragma GCC unroll 8
        for (int r = 0; r < ABL_ACM_MR; r++) {
            /* one broadcast per weight for the nv multiply-adds (the empty
             * asm keeps gcc from folding it into each of them as a
             * {1to16} memory operand: nv loads instead of one) */
            __m512 wb = _mm512_set1_ps(wpk[ic * ABL_ACM_MR + r]);
#if defined(__GNUC__)
            __asm__("" : "+v"(wb));
#endif
#pragma GCC unroll 3
            for (int v = 0; v < nv; v++)
                acc[r][v] = _mm512_fmadd_ps(wb, xv[v], acc[r][v]);
        }
    }
}

#elif defined(__AVX2__) && defined(__FMA__)
/* The direct projection of the AVX-512 block above on AVX2 (16 ymm
 * registers): the same 8-row blocks of packed weights ([cin][8], the same
 * packing), computed as two halves of ABL_ACM_HR = 4 output rows x nv
 * vectors of 8 consecutive pixels: 12 accumulators, 3 input vectors and
 * one broadcast weight (OpenBLAS's Haswell sgemm kernel's 4 x 24 block
 * the other way round), 4 broadcasts and 3 loads per 12 multiply-adds.
 * A whole 8-row block (24 accumulators) would not fit the registers, and
 * 8 rows x 1 vector is 9 loads per 8 multiply-adds with no chain to
 * spare.  x: the packed pixel block (input channel 0, channels ldx apart,
 * zeros past the run); wpk: the half's first weight (the block's weights
 * + 4 for the second half: its rows stay 8 apart); bias its 4 biases.
 * Each output is bias + the products in channel order, one fused
 * multiply-add each: the AVX-512 block's operations lane for lane, so the
 * same bits across tiles, bands and threads, and as the AVX-512 build. */
enum { ABL_ACM_MR = 8, ABL_ACM_NV = 3, ABL_ACM_HR = 4 };

static inline __attribute__((always_inline)) void
abl_acm_proj_half(const float *x, ptrdiff_t ldx, int cin, const float *wpk, const float *bias,
                  const int nv, __m256 acc[ABL_ACM_HR][ABL_ACM_NV])
{
#pragma GCC unroll 4
    for (int r = 0; r < ABL_ACM_HR; r++)
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++)
            acc[r][v] = _mm256_set1_ps(bias[r]);
    for (int ic = 0; ic < cin; ic++) {
        __m256 xv[ABL_ACM_NV];
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++) {
            xv[v] = _mm256_loadu_ps(x + ic * ldx + 8 * v);
            /* in a register for the 4 multiply-adds (gcc would fold the
             * load into each: 16 loads per 12 multiply-adds, load-bound) */
#if defined(__GNUC__)
            __asm__("" : "+x"(xv[v]));
#endif
        }
#pragma GCC unroll 4
        for (int r = 0; r < ABL_ACM_HR; r++) {
            const __m256 wb = _mm256_broadcast_ss(wpk + ic * ABL_ACM_MR + r);
#pragma GCC unroll 3
            for (int v = 0; v < nv; v++)
                acc[r][v] = _mm256_fmadd_ps(wb, xv[v], acc[r][v]);
        }
    }
}
#endif

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
/* The 8 rows rows[0..7] (cin floats each) packed for abl_acm_proj_block:
 * dst[ic * 8 + r] = rows[r][ic].  Packed a float at a time (a store 32
 * bytes from the last, the rows read 8 streams at once) this had been 0.11
 * ms of every 2.2 ms call at 256 @ 20x20, kernel_att 11, head 1 (all 768 x
 * 256 weights, each call; Intel Xeon of 2026-12-06, docs/modules/acmix.md
 * sixth Intel pass); here 8 x 8 blocks are transposed in ymm registers
 * and stored as 64 contiguous floats.  A copy: the same floats. */
static inline void abl_acm_pack_rows8(const float *const rows[ABL_ACM_MR], int cin, float *dst)
{
    int ic = 0;
    for (; ic + 8 <= cin; ic += 8) {
        __m256 r[8], u[8];
        for (int i = 0; i < 8; i++)
            r[i] = _mm256_loadu_ps(rows[i] + ic);
        for (int i = 0; i < 8; i += 2) { /* pairs of rows interleaved */
            u[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
            u[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
        }
        for (int i = 0; i < 8; i += 4) { /* quads: columns 0, 1 | 2, 3 (per lane) */
            r[i] = _mm256_shuffle_ps(u[i], u[i + 2], 0x44);
            r[i + 1] = _mm256_shuffle_ps(u[i], u[i + 2], 0xee);
            r[i + 2] = _mm256_shuffle_ps(u[i + 1], u[i + 3], 0x44);
            r[i + 3] = _mm256_shuffle_ps(u[i + 1], u[i + 3], 0xee);
        }
        /* r[j], r[4 + j]: rows 0-3 and 4-7 of columns j (low lane), 4 + j (high) */
        for (int j = 0; j < 4; j++) {
            _mm256_storeu_ps(dst + (ic + j) * 8, _mm256_permute2f128_ps(r[j], r[4 + j], 0x20));
            _mm256_storeu_ps(dst + (ic + 4 + j) * 8, _mm256_permute2f128_ps(r[j], r[4 + j], 0x31));
        }
    }
    for (; ic < cin; ic++)
        for (int i = 0; i < 8; i++)
            dst[ic * 8 + i] = rows[i][ic];
}
#endif

#endif
