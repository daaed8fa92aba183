/* gen/runtime/ablate_dcnv3_linear.h — the DCNv3 layers' per-pixel Linears
 * (input_proj, the stacked offset / mask Linear) written channels last,
 * with weights packed once per call instead of OpenBLAS's packing per tile.
 *
 * Why: DCNv3(64) on 80 x 80 (YOLOv8n L16) spent 55 % of its time in
 * OpenBLAS for three products of K = 64 over tiles of 400 pixels: sgemm
 * packs both operands on every call (8 % of the kernel's time) and runs
 * its kernel on 64- and 108-wide panels.  Here the weights are packed
 * once per call and thread as wt[ic][o] (output channels contiguous,
 * padded to whole vectors with zeros), and a register block of R pixels x
 * V vectors of 16 output channels stays in zmm registers over the whole
 * reduction: per input channel V weight loads and R broadcasts of the
 * input feed R * V multiply-adds.  The input may be channels last (x1:
 * pixel stride C, channel stride 1) or planar (the NCHW module input:
 * pixel stride 1, channel stride H W), since each input value is a
 * broadcast either way; the output is channels last (what the sampler
 * gathers from).  Without AVX-512 the same blocks run in 8-float vectors
 * (gcc's generic vectors), 16 output channels a block.
 *
 *   abl_dcn_lin_coutv  floats per packed weight row (cout in whole vectors)
 *   abl_dcn_lin_pack   wt[ic][o] and the padded bias from a (cout, cin)
 *                      Linear's weight and bias (_cols / _pad: several
 *                      Linears side by side in one packed matrix)
 *   abl_dcn_lin_run    y[t][o] = bias[o] + sum_ic x[t][ic] wt[ic][o]
 */
#ifndef ABLATE_DCNV3_LINEAR_H
#define ABLATE_DCNV3_LINEAR_H

#include <stddef.h>
#include <string.h>

#include "ablate_gen.h"

enum {
    ABL_DCN_LIN_R = 6, /* pixels of a register block */
    ABL_DCN_LIN_V = 4, /* vectors of 16 output channels of a register block */
    /* pixels of a register block without AVX-512: of 4, 5 and 6 the one
     * that kept up with the sgemm it replaced in the AVX2 build (Zen 5,
     * perf_deform.md, Zen 5 section) */
    ABL_DCN_LIN_R8 = 5,
};

/* Floats of one packed weight row: cout rounded up to whole vectors. */
static inline int abl_dcn_lin_coutv(int cout) { return (cout + 15) / 16 * 16; }

/* The packing below is setup, not a kernel's hot path: once per call and
 * thread in ablate_kernel_forward, once in ablate_kernel_prepare (the timed
 * ablate_kernel_forward_prepared never packs).  Inlined, gcc unrolled and
 * vectorised each copy for its constant shape, once in the forward and
 * once in the prepare: 10-12 % of a D-LKA dcnv3_lka kernel's statements
 * after optimisation.  One out-of-line copy per kernel, compiled for size
 * (cold), makes the same stores, so the same packed bits.  A template may
 * define it first (dcnv3_fused.c.in: static inline, as before). */
#ifndef ABL_DCN_LIN_SETUP
#define ABL_DCN_LIN_SETUP static __attribute__((noinline, cold, unused))
#endif

/* Columns o0 .. o0 + n - 1 of packed weights: wt[ic * ldw + o0 + o] =
 * w[o * cin + ic], bp[o0 + o] = b[o] for o < n; w, b a (n, cin) Linear's
 * weight and bias as PyTorch stores them (several Linears may share one
 * packed matrix, each its own columns). */
ABL_DCN_LIN_SETUP void abl_dcn_lin_pack_cols(const float *restrict w, const float *restrict b,
                                             int n, int cin, int ldw, int o0, float *restrict wt,
                                             float *restrict bp)
{
    for (int ic = 0; ic < cin; ic++) {
        float *row = wt + (ptrdiff_t)ic * ldw + o0;
        for (int o = 0; o < n; o++)
            row[o] = w[(ptrdiff_t)o * cin + ic];
    }
    for (int o = 0; o < n; o++)
        bp[o0 + o] = b[o];
}

/* Columns cout .. coutv - 1 of packed weights and bias set to 0 (the
 * padding of the last vector; coutv = abl_dcn_lin_coutv(cout)). */
ABL_DCN_LIN_SETUP void abl_dcn_lin_pack_pad(int cout, int cin, float *restrict wt,
                                            float *restrict bp)
{
    const int coutv = abl_dcn_lin_coutv(cout);
    for (int ic = 0; ic < cin; ic++)
        for (int o = cout; o < coutv; o++)
            wt[(ptrdiff_t)ic * coutv + o] = 0.0f;
    for (int o = cout; o < coutv; o++)
        bp[o] = 0.0f;
}

/* wt[ic * coutv + o] = w[o * cin + ic] (0 for o >= cout), bp[o] = b[o]
 * (0 past cout); coutv = abl_dcn_lin_coutv(cout). */
static inline void abl_dcn_lin_pack(const float *restrict w, const float *restrict b, int cout,
                                    int cin, float *restrict wt, float *restrict bp)
{
    abl_dcn_lin_pack_cols(w, b, cout, cin, abl_dcn_lin_coutv(cout), 0, wt, bp);
    abl_dcn_lin_pack_pad(cout, cin, wt, bp);
}

#ifdef __AVX512F__
/* One register block: r pixels (x, pixel stride ps, channel stride cs) x
 * nv vectors of output channels (wt / bias already at the block's first
 * channel; wt rows ldw apart) into y (pixel rows ldy apart); store mask
 * m[v] per vector (the last vector of a row may be partial).  r and nv are
 * constants at every call, so the loops unroll into registers. */
static inline __attribute__((always_inline)) void
abl_dcn_lin_block(const float *x, ptrdiff_t ps, ptrdiff_t cs, int cin, const float *wt,
                  ptrdiff_t ldw, const float *bias, float *y, ptrdiff_t ldy, const int r,
                  const int nv, const __mmask16 *m)
{
    __m512 acc[ABL_DCN_LIN_R][ABL_DCN_LIN_V];
#pragma GCC unroll 6
    for (int i = 0; i < r; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            acc[i][v] = _mm512_loadu_ps(bias + 16 * v);
    for (int ic = 0; ic < cin; ic++) {
        const float *xc = x + ic * cs, *wc = wt + ic * ldw;
        __m512 wv[ABL_DCN_LIN_V];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            wv[v] = _mm512_loadu_ps(wc + 16 * v);
#pragma GCC unroll 6
        for (int i = 0; i < r; i++) {
            const __m512 xb = _mm512_set1_ps(xc[i * ps]);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++)
                acc[i][v] = _mm512_fmadd_ps(xb, wv[v], acc[i][v]);
        }
    }
#pragma GCC unroll 6
    for (int i = 0; i < r; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            _mm512_mask_storeu_ps(y + i * ldy + 16 * v, m[v], acc[i][v]);
}

/* The pixels t0 .. t0 + n - 1 of one vector group (nv vectors, a
 * constant): blocks of ABL_DCN_LIN_R pixels, then single pixels. */
static inline __attribute__((always_inline)) void
abl_dcn_lin_sweep(const float *x, ptrdiff_t ps, ptrdiff_t cs, int cin, const float *wt,
                  ptrdiff_t ldw, const float *bias, float *y, ptrdiff_t ldy, int n, const int nv,
                  const __mmask16 *m)
{
    int t = 0;
    for (; t + ABL_DCN_LIN_R <= n; t += ABL_DCN_LIN_R)
        abl_dcn_lin_block(x + t * ps, ps, cs, cin, wt, ldw, bias, y + t * ldy, ldy,
                          ABL_DCN_LIN_R, nv, m);
    for (; t < n; t++)
        abl_dcn_lin_block(x + t * ps, ps, cs, cin, wt, ldw, bias, y + t * ldy, ldy, 1, nv, m);
}
#else
/* 8 floats, unaligned: loads and stores through it are single vector moves
 * (memcpy into a vector went through the stack in 16-byte halves, and the
 * 32-byte reload stalled on the store forwarding) */
typedef float abl_dcn_v8 __attribute__((vector_size(8 * sizeof(float)), aligned(sizeof(float))));

#ifdef __AVX2__
/* The first n (< 16) floats of the 16 in a, b to y: whole 8-, 4-, 2- and
 * 1-float pieces.  The memcpy of n floats it replaces was a `rep movsl`
 * a pixel (3-4 % of DCNv3's time at L17 k 3 on Zen 3: 27 or 108 offset /
 * mask channels leave 11 or 12), and vmaskmovps stores, microcoded on Zen
 * 3, made L17 k 3 g 4 10 % slower still. */
static inline __attribute__((always_inline)) void abl_dcn_lin_store_part(float *y, abl_dcn_v8 a,
                                                                         abl_dcn_v8 b, int n)
{
    __m256 v = (__m256)a;
    if (n >= 8) {
        _mm256_storeu_ps(y, v);
        y += 8, n -= 8, v = (__m256)b;
    }
    __m128 h = _mm256_castps256_ps128(v);
    if (n >= 4) {
        _mm_storeu_ps(y, h);
        y += 4, n -= 4, h = _mm256_extractf128_ps(v, 1);
    }
    if (n >= 2) {
        _mm_storel_pi((__m64 *)y, h);
        y += 2, n -= 2, h = _mm_movehl_ps(h, h);
    }
    if (n)
        _mm_store_ss(y, h);
}
#endif

/* abl_dcn_lin_block without AVX-512: r pixels x 16 output channels (two
 * 8-float vectors: 10 accumulators at r = 5, of AVX2's 16 registers) from
 * the bias, the input channels in order; the first n (<= 16) of them
 * stored.  Each output's chain is the same for r = 5 and r = 1. */
static inline __attribute__((always_inline)) void
abl_dcn_lin_block8(const float *x, ptrdiff_t ps, ptrdiff_t cs, int cin, const float *wt,
                   ptrdiff_t ldw, const float *bias, float *y, ptrdiff_t ldy, const int r, int n)
{
    abl_dcn_v8 acc[ABL_DCN_LIN_R8][2];
#pragma GCC unroll 5
    for (int i = 0; i < r; i++) {
        acc[i][0] = *(const abl_dcn_v8 *)bias;
        acc[i][1] = *(const abl_dcn_v8 *)(bias + 8);
    }
    for (int ic = 0; ic < cin; ic++) {
        const abl_dcn_v8 w0 = *(const abl_dcn_v8 *)(wt + ic * ldw);
        const abl_dcn_v8 w1 = *(const abl_dcn_v8 *)(wt + ic * ldw + 8);
#pragma GCC unroll 5
        for (int i = 0; i < r; i++) {
            const float xv = x[i * ps + ic * cs];
            acc[i][0] += xv * w0;
            acc[i][1] += xv * w1;
        }
    }
#pragma GCC unroll 5
    for (int i = 0; i < r; i++) {
        if (n == 16) {
            *(abl_dcn_v8 *)(y + i * ldy) = acc[i][0];
            *(abl_dcn_v8 *)(y + i * ldy + 8) = acc[i][1];
        } else { /* the last block of a row: only its n channels (the next row follows) */
#ifdef __AVX2__
            abl_dcn_lin_store_part(y + i * ldy, acc[i][0], acc[i][1], n);
#else
            float part[16];
            *(abl_dcn_v8 *)part = acc[i][0];
            *(abl_dcn_v8 *)(part + 8) = acc[i][1];
            memcpy(y + i * ldy, part, sizeof(float) * (size_t)n);
#endif
        }
    }
}

/* abl_dcn_lin_block8 for a last block of n <= 8 output channels: r pixels x
 * one 8-float vector.  cout = 147 (k 7, 1 group: 16 x 9 + 3) took a tenth
 * block of two vectors for its last 3 channels; this takes one.  Each
 * output's chain is abl_dcn_lin_block8's (the bias, then the input
 * channels in order): the same bits. */
static inline __attribute__((always_inline)) void
abl_dcn_lin_block8_one(const float *x, ptrdiff_t ps, ptrdiff_t cs, int cin, const float *wt,
                       ptrdiff_t ldw, const float *bias, float *y, ptrdiff_t ldy, const int r,
                       int n)
{
    abl_dcn_v8 acc[ABL_DCN_LIN_R8];
#pragma GCC unroll 5
    for (int i = 0; i < r; i++)
        acc[i] = *(const abl_dcn_v8 *)bias;
    for (int ic = 0; ic < cin; ic++) {
        const abl_dcn_v8 w0 = *(const abl_dcn_v8 *)(wt + ic * ldw);
#pragma GCC unroll 5
        for (int i = 0; i < r; i++) {
            const float xv = x[i * ps + ic * cs];
            acc[i] += xv * w0;
        }
    }
#pragma GCC unroll 5
    for (int i = 0; i < r; i++) {
        if (n == 8) {
            *(abl_dcn_v8 *)(y + i * ldy) = acc[i];
        } else {
#ifdef __AVX2__
            abl_dcn_lin_store_part(y + i * ldy, acc[i], acc[i], n);
#else
            float part[8];
            *(abl_dcn_v8 *)part = acc[i];
            memcpy(y + i * ldy, part, sizeof(float) * (size_t)n);
#endif
        }
    }
}

/* The pixels 0 .. np - 1 of a last block of n <= 8 output channels. */
static inline void abl_dcn_lin_tail8(const float *x, ptrdiff_t ps, ptrdiff_t cs, int cin,
                                     const float *wt, ptrdiff_t ldw, const float *bias, float *y,
                                     ptrdiff_t ldy, int np, int n)
{
    int t = 0;
    for (; t + ABL_DCN_LIN_R8 <= np; t += ABL_DCN_LIN_R8)
        abl_dcn_lin_block8_one(x + t * ps, ps, cs, cin, wt, ldw, bias, y + t * ldy, ldy,
                               ABL_DCN_LIN_R8, n);
    for (; t < np; t++)
        abl_dcn_lin_block8_one(x + t * ps, ps, cs, cin, wt, ldw, bias, y + t * ldy, ldy, 1, n);
}
#endif

/* y[t * ldy + o] = bias[o] + sum_ic x[t * ps + ic * cs] wt[ic * coutv + o]
 * for t < np, o < cout; wt / bias packed by abl_dcn_lin_pack.  cs is 1
 * (channels last) or ps is (planar input). */
static inline void abl_dcn_lin_run(const float *restrict x, ptrdiff_t ps, ptrdiff_t cs, int cin,
                                   const float *restrict wt, const float *restrict bias, int cout,
                                   float *restrict y, ptrdiff_t ldy, int np)
{
    const int coutv = abl_dcn_lin_coutv(cout);
#ifdef __AVX512F__
    /* groups of ABL_DCN_LIN_V vectors over all the pixels, pixel blocks
     * inside: a group's weights (cin x 64 floats, 16 KiB at cin 64) stay
     * in L1 while the tile's pixels stream past */
    for (int o = 0; o < coutv; o += 16 * ABL_DCN_LIN_V) {
        const int nv = (coutv - o) / 16 < ABL_DCN_LIN_V ? (coutv - o) / 16 : ABL_DCN_LIN_V;
        __mmask16 m[ABL_DCN_LIN_V];
        for (int v = 0; v < nv; v++) {
            const int left = cout - o - 16 * v;
            m[v] = (__mmask16)(left >= 16 ? 0xffff : (1u << left) - 1u);
        }
        const float *wo = wt + o, *bo = bias + o;
        float *yo = y + o;
        if (nv == 4)
            abl_dcn_lin_sweep(x, ps, cs, cin, wo, coutv, bo, yo, ldy, np, 4, m);
        else if (nv == 3)
            abl_dcn_lin_sweep(x, ps, cs, cin, wo, coutv, bo, yo, ldy, np, 3, m);
        else if (nv == 2)
            abl_dcn_lin_sweep(x, ps, cs, cin, wo, coutv, bo, yo, ldy, np, 2, m);
        else
            abl_dcn_lin_sweep(x, ps, cs, cin, wo, coutv, bo, yo, ldy, np, 1, m);
    }
#else
    /* the same blocks in 8-float vectors (gcc's generic vectors: AVX2 on
     * an AVX2-only CPU), 16 output channels a block; one sgemm over the
     * tile had given a pixel different bits in tiles of different widths,
     * and a DCNv3 kernel's tiles move from call to call at 2 threads (rows
     * stolen, ablate_dcnv3_split.h; perf_deform.md, Zen 5 section) */
    for (int o = 0; o < coutv; o += 16) {
        const int n = cout - o < 16 ? cout - o : 16;
        if (n <= 8) { /* the last block: 1-8 channels in one vector, not two */
            abl_dcn_lin_tail8(x, ps, cs, cin, wt + o, coutv, bias + o, y + o, ldy, np, n);
            break;
        }
        int t = 0;
        for (; t + ABL_DCN_LIN_R8 <= np; t += ABL_DCN_LIN_R8)
            abl_dcn_lin_block8(x + t * ps, ps, cs, cin, wt + o, coutv, bias + o, y + t * ldy + o,
                               ldy, ABL_DCN_LIN_R8, n);
        for (; t < np; t++)
            abl_dcn_lin_block8(x + t * ps, ps, cs, cin, wt + o, coutv, bias + o, y + t * ldy + o,
                               ldy, 1, n);
    }
#endif
}

#endif
