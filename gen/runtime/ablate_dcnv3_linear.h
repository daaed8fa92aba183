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
 * gathers from).  Without AVX-512 the same call runs pixel by pixel,
 * vectors over the output channels, on the packed weights.
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

#include "ablate_gen.h"

enum {
    ABL_DCN_LIN_R = 6, /* pixels of a register block */
    ABL_DCN_LIN_V = 4, /* vectors of 16 output channels of a register block */
};

/* Floats of one packed weight row: cout rounded up to whole vectors. */
static inline int abl_dcn_lin_coutv(int cout) { return (cout + 15) / 16 * 16; }

/* Columns o0 .. o0 + n - 1 of packed weights: wt[ic * ldw + o0 + o] =
 * w[o * cin + ic], bp[o0 + o] = b[o] for o < n; w, b a (n, cin) Linear's
 * weight and bias as PyTorch stores them (several Linears may share one
 * packed matrix, each its own columns). */
static inline void abl_dcn_lin_pack_cols(const float *restrict w, const float *restrict b, int n,
                                         int cin, int ldw, int o0, float *restrict wt,
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
static inline void abl_dcn_lin_pack_pad(int cout, int cin, float *restrict wt, float *restrict bp)
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
    /* pixel by pixel, vectors over the output channels: each output its own
     * chain (the bias, then the input channels in order), whatever the
     * pixel's place in the tile and the tile's width.  One sgemm over the
     * tile gave a pixel different bits in tiles of different widths, and a
     * DCNv3 kernel's tiles move from call to call at 2 threads (its rows
     * stolen, ablate_dcnv3_split.h; perf_deform.md, Zen 5 section). */
    for (int t = 0; t < np; t++) {
        float *restrict yt = y + t * ldy;
        const float *xt = x + t * ps;
#pragma omp simd
        for (int o = 0; o < cout; o++)
            yt[o] = bias[o];
        for (int ic = 0; ic < cin; ic++) {
            const float xv = xt[ic * cs], *restrict wr = wt + ic * coutv;
#pragma omp simd
            for (int o = 0; o < cout; o++)
                yt[o] += xv * wr[o];
        }
    }
#endif
}

#endif
