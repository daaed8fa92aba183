/* gen/runtime/ablate_winograd.h — Winograd F(2x2, 3x3) for the stride-1,
 * pad-1, 3 x 3 Convs of the chained blocks (Bottlenecks, Detect's heads),
 * on channels-first (C x H x W) maps, AVX-512 only.
 *
 * Why: the direct kernel (ablate_direct.h) runs these convs at 95-100 % of
 * the FMA roof, so the only way past it is fewer multiplies.  F(2x2, 3x3)
 * computes a 2 x 2 output tile from a 4 x 4 input patch with 16 products
 * per (output, input) channel pair instead of 36: the reduction over input
 * channels becomes 16 independent small matrix products ("xi" = one of the
 * 16 points of the transformed tile), 2.25x fewer FMAs, at the cost of the
 * input / output transforms (adds only) and of a different summation
 * order (errors measured against the reference in docs/baseline.md).
 *
 * Layout.  Tiles are numbered row-major over the (ceil(H/2) x ceil(W/2))
 * tile grid and vectorised 16 tiles to a zmm; a batch is a run of at most
 * ABL_WINO_NT consecutive tile numbers, so a vector may cross a tile-row
 * end and narrow maps (20 x 20: 10 tiles a row) waste no lanes in the
 * products.  Per batch:
 *   V[xi][c][t]  = B^T d B of every input channel (tile rows transformed 16
 *                  tiles at a time: the patch columns 2j-1 .. 2j+2 are the
 *                  even / odd lanes of two 32-float windows), packed by tile
 *   M[xi][r][t]  = sum_c U[xi][o + r][c] V[xi][c][t] for a block of MR = 8
 *                  output channels: 8 x 3 vectors in zmm over the reduction,
 *                  the weights broadcast, as in the direct kernel
 *   y            = A^T M A, interleaved back to pixels, masked to the
 *                  caller's pixel range, with the chain's BN + SiLU
 *                  applied in registers (abl_silu16).
 * U = G g G^T is made once per forward (abl_wino_weights) into a shared
 * region of the workspace.
 *
 *   abl_wino_ok        whether a layer takes this path on this build
 *   abl_wino_weights   U for output channels o0 .. o1 - 1
 *   abl_wino_scratch   per-thread scratch floats (V and M) for cin channels
 *   abl_wino_tile      output pixels p0 .. p0 + np - 1, all output channels
 *                      (defined in ablate_winograd4.h, one driver for both)
 */
#ifndef ABLATE_WINOGRAD_H
#define ABLATE_WINOGRAD_H

#include <stddef.h>
#include <stdint.h>

#include "ablate_gen.h"

enum {
    ABL_WINO_MR = 8,  /* output channels of a register block */
    ABL_WINO_NV = 3,  /* vectors of 16 tiles of a register block */
    ABL_WINO_NT = 96, /* tiles of a batch: 6 vectors, 2 register blocks */
};

/* 1 when a Conv (k x k, stride 1, pad k / 2, dilation 1, groups) with
 * cout outputs runs here on this build. */
static inline int abl_wino_ok(int k, int groups, int cout)
{
#ifdef __AVX512F__
    return k == 3 && groups == 1 && cout % ABL_WINO_MR == 0;
#else
    (void)k, (void)groups, (void)cout;
    return 0;
#endif
}

/* Floats of per-thread scratch abl_wino_tile needs for cin input channels. */
static inline ptrdiff_t abl_wino_scratch(int cin)
{
    return (ptrdiff_t)16 * ABL_WINO_NT * (cin + ABL_WINO_MR);
}

#ifdef __AVX512F__
/* U[xi][o][c] (planes cout * cin apart) of output channels o0 .. o1 - 1
 * from the (cout, cin, 3, 3) weights wt: G g G^T, 16 input channels at a
 * time (the 9 taps gathered at stride 9).  (A [xi][o / MR][c][o % MR]
 * layout, one pointer for a block's broadcasts, ran no faster and needs
 * scatters here: 2x the transform time.) */
static inline void abl_wino_weights(const float *wt, int cin, int cout, float *u, int o0, int o1)
{
    const ptrdiff_t plane = (ptrdiff_t)cout * cin;
    const __m512i lane9 = _mm512_mullo_epi32(
        _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32(9));
    const __m512 half = _mm512_set1_ps(0.5f);
    for (int o = o0; o < o1; o++)
        for (int c = 0; c < cin; c += 16) {
            const __mmask16 m = (__mmask16)(cin - c >= 16 ? 0xffff : (1u << (cin - c)) - 1);
            const float *g = wt + ((ptrdiff_t)o * cin + c) * 9;
            __m512 gg[9], t[4][3];
            for (int i = 0; i < 9; i++)
                gg[i] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, lane9, g + i, 4);
            for (int j = 0; j < 3; j++) { /* G g: rows of the 4 x 3 */
                const __m512 a = gg[j], b = gg[3 + j], d = gg[6 + j];
                t[0][j] = a;
                t[1][j] = _mm512_mul_ps(half, _mm512_add_ps(_mm512_add_ps(a, b), d));
                t[2][j] = _mm512_mul_ps(half, _mm512_add_ps(_mm512_sub_ps(a, b), d));
                t[3][j] = d;
            }
            for (int i = 0; i < 4; i++) { /* (G g) G^T */
                const __m512 a = t[i][0], b = t[i][1], d = t[i][2];
                const __m512 r[4] = {a, _mm512_mul_ps(half, _mm512_add_ps(_mm512_add_ps(a, b), d)),
                                     _mm512_mul_ps(half, _mm512_add_ps(_mm512_sub_ps(a, b), d)), d};
                for (int j = 0; j < 4; j++)
                    _mm512_mask_storeu_ps(u + (4 * i + j) * plane + (ptrdiff_t)o * cin + c, m, r[j]);
            }
        }
}

/* A run of at most 16 tiles within one tile row: tile row i, columns
 * j0 .. j0 + n - 1, at position pos of the batch. */
struct abl_wino_seg {
    int i, j0, n, pos;
};

/* The row segments of tiles t0 .. t0 + nt - 1 of a grid tw tiles wide;
 * returns their number. */
static inline int abl_wino_segments(int tw, int t0, int nt, struct abl_wino_seg *seg)
{
    int ns = 0;
    for (int t = t0; t < t0 + nt;) {
        const int i = t / tw, j = t % tw;
        int n = tw - j < 16 ? tw - j : 16;
        n = t0 + nt - t < n ? t0 + nt - t : n;
        seg[ns++] = (struct abl_wino_seg){i, j, n, t - t0};
        t += n;
    }
    return ns;
}

/* 1-D transform B^T d of four vectors, in place. */
static inline __attribute__((always_inline)) void abl_wino_bt(__m512 d[4])
{
    const __m512 a = _mm512_sub_ps(d[0], d[2]), b = _mm512_add_ps(d[1], d[2]);
    const __m512 c = _mm512_sub_ps(d[2], d[1]), e = _mm512_sub_ps(d[1], d[3]);
    d[0] = a, d[1] = b, d[2] = c, d[3] = e;
}

/* V of one segment for every input channel: V[xi][c][pos ..] (planes
 * cin * NT apart, channel rows NT apart). */
static inline void abl_wino_input_seg(const float *x, int h, int w, int cin,
                                      struct abl_wino_seg s, float *v)
{
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const ptrdiff_t hw = (ptrdiff_t)h * w, plane = (ptrdiff_t)cin * ABL_WINO_NT;
    /* window A starts at column 2 j0 - 1 (patch columns 0, 1), B two further (2, 3) */
    const int cA = 2 * s.j0 - 1;
    uint32_t mA = 0, mB = 0;
    for (int e = 0; e < 2 * s.n; e++) {
        mA |= (uint32_t)(cA + e >= 0 && cA + e < w) << e;
        mB |= (uint32_t)(cA + 2 + e >= 0 && cA + 2 + e < w) << e;
    }
    int rowok[4];
    for (int a = 0; a < 4; a++)
        rowok[a] = 2 * s.i - 1 + a >= 0 && 2 * s.i - 1 + a < h;
    const __mmask16 out = (__mmask16)((1u << s.n) - 1);
    for (int c = 0; c < cin; c++) {
        __m512 d[4][4];
        for (int a = 0; a < 4; a++) {
            if (!rowok[a]) {
                d[a][0] = d[a][1] = d[a][2] = d[a][3] = _mm512_setzero_ps();
                continue;
            }
            const float *r = x + c * hw + (ptrdiff_t)(2 * s.i - 1 + a) * w + cA;
            const __m512 alo = _mm512_maskz_loadu_ps((__mmask16)mA, r);
            const __m512 ahi = _mm512_maskz_loadu_ps((__mmask16)(mA >> 16), r + 16);
            const __m512 blo = _mm512_maskz_loadu_ps((__mmask16)mB, r + 2);
            const __m512 bhi = _mm512_maskz_loadu_ps((__mmask16)(mB >> 16), r + 18);
            d[a][0] = _mm512_permutex2var_ps(alo, even, ahi);
            d[a][1] = _mm512_permutex2var_ps(alo, odd, ahi);
            d[a][2] = _mm512_permutex2var_ps(blo, even, bhi);
            d[a][3] = _mm512_permutex2var_ps(blo, odd, bhi);
            abl_wino_bt(d[a]); /* along the patch row */
        }
        for (int b = 0; b < 4; b++) { /* along the patch column */
            __m512 col[4] = {d[0][b], d[1][b], d[2][b], d[3][b]};
            abl_wino_bt(col);
            for (int a = 0; a < 4; a++)
                _mm512_mask_storeu_ps(v + (4 * a + b) * plane + (ptrdiff_t)c * ABL_WINO_NT + s.pos,
                                      out, col[a]);
        }
    }
}

/* M[xi][r][t] for one register block: MR output channels from u (rows cin
 * apart) x nv vectors of tiles at t (V and M rows ld floats apart: the
 * batch of F(2x2) or of F(4x4), ablate_winograd4.h); the reduction over
 * cin.  The empty asm keeps each V vector in a register: left alone, gcc
 * folds the load into all MR FMAs, and the loads then bound the loop. */
static inline __attribute__((always_inline)) void
abl_wino_block(const float *v, const float *u, int cin, const int nv, const int ld, float *m, int t)
{
    __m512 acc[ABL_WINO_MR][ABL_WINO_NV];
#pragma GCC unroll 8
    for (int r = 0; r < ABL_WINO_MR; r++)
#pragma GCC unroll 3
        for (int q = 0; q < nv; q++)
            acc[r][q] = _mm512_setzero_ps();
    for (int c = 0; c < cin; c++) {
        __m512 xv[ABL_WINO_NV];
#pragma GCC unroll 3
        for (int q = 0; q < nv; q++) {
            xv[q] = _mm512_loadu_ps(v + (ptrdiff_t)c * ld + t + 16 * q);
            __asm__("" : "+v"(xv[q]));
        }
#pragma GCC unroll 8
        for (int r = 0; r < ABL_WINO_MR; r++) {
            const __m512 wb = _mm512_set1_ps(u[(ptrdiff_t)r * cin + c]);
#pragma GCC unroll 3
            for (int q = 0; q < nv; q++)
                acc[r][q] = _mm512_fmadd_ps(wb, xv[q], acc[r][q]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < ABL_WINO_MR; r++)
#pragma GCC unroll 3
        for (int q = 0; q < nv; q++)
            _mm512_storeu_ps(m + r * ld + t + 16 * q, acc[r][q]);
}

/* M[xi] = U[xi] V[xi] of one block of MR output channels (u: its first
 * row in plane 0, planes uplane apart) for the npts points xi of the
 * transformed tile (16: F(2x2), 36: F(4x4)), nvec vectors of tiles; V and
 * M planes cin * ld and MR * ld floats apart. */
static inline __attribute__((always_inline)) void
abl_wino_products(const float *v, const float *u, int cin, ptrdiff_t uplane, int npts, int nvec,
                  const int ld, float *m)
{
    for (int xi = 0; xi < npts; xi++) {
        const float *vx = v + (ptrdiff_t)xi * cin * ld, *ux = u + xi * uplane;
        float *mx = m + (ptrdiff_t)xi * ABL_WINO_MR * ld;
        for (int q = 0; q < nvec; q += ABL_WINO_NV) {
            const int nv = nvec - q < ABL_WINO_NV ? nvec - q : ABL_WINO_NV;
            if (nv == 3)
                abl_wino_block(vx, ux, cin, 3, ld, mx, 16 * q);
            else if (nv == 2)
                abl_wino_block(vx, ux, cin, 2, ld, mx, 16 * q);
            else
                abl_wino_block(vx, ux, cin, 1, ld, mx, 16 * q);
        }
    }
}

/* The fused epilogue of one output channel, y = act(y * sc + sh). */
struct abl_wino_epi {
    float sc, sh;
    int act;
};

/* y * sc + sh, then SiLU (abl_silu16, ablate_gen.h) when act. */
static inline __m512 abl_wino_epilogue(__m512 y, struct abl_wino_epi e)
{
    y = _mm512_fmadd_ps(y, _mm512_set1_ps(e.sc), _mm512_set1_ps(e.sh));
    return e.act ? abl_silu16(y) : y;
}

/* Output rows of one segment, one output channel: A^T M A of its 16
 * planes (MR * NT apart) and the epilogue, in registers -> rows 2i,
 * 2i + 1 of y's plane, only the pixels in [lo, hi). */
static inline void abl_wino_output_seg(const float *m, int h, int w, struct abl_wino_seg s,
                                       float *y, ptrdiff_t lo, ptrdiff_t hi, struct abl_wino_epi e)
{
    const __m512i ilo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i ihi = _mm512_add_epi32(ilo, _mm512_set1_epi32(8));
    const ptrdiff_t plane = (ptrdiff_t)ABL_WINO_MR * ABL_WINO_NT;
    __m512 s0[4], s1[4];
    for (int a = 0; a < 4; a++) { /* along the tile row: A^T m_a */
        const float *q = m + 4 * a * plane + s.pos;
        const __m512 m0 = _mm512_loadu_ps(q), m1 = _mm512_loadu_ps(q + plane);
        const __m512 m2 = _mm512_loadu_ps(q + 2 * plane), m3 = _mm512_loadu_ps(q + 3 * plane);
        s0[a] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
        s1[a] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
    }
    /* columns 2j and 2j + 1 of output rows 2i (y[0]) and 2i + 1 (y[1]) */
    const __m512 yc[2][2] = {
        {_mm512_add_ps(_mm512_add_ps(s0[0], s0[1]), s0[2]),
         _mm512_add_ps(_mm512_add_ps(s1[0], s1[1]), s1[2])},
        {_mm512_sub_ps(_mm512_sub_ps(s0[1], s0[2]), s0[3]),
         _mm512_sub_ps(_mm512_sub_ps(s1[1], s1[2]), s1[3])},
    };
    const int cols = 2 * s.j0 + 2 * s.n < w ? 2 * s.n : w - 2 * s.j0;
    for (int oy = 0; oy < 2 && 2 * s.i + oy < h; oy++) {
        const ptrdiff_t base = (ptrdiff_t)(2 * s.i + oy) * w + 2 * s.j0;
        const ptrdiff_t first = base > lo ? base : lo, end = base + cols < hi ? base + cols : hi;
        if (end <= first)
            continue;
        const uint32_t keep = (uint32_t)((((uint64_t)1 << (end - base)) - 1) &
                                         ~(((uint64_t)1 << (first - base)) - 1));
        const __m512 c0 = abl_wino_epilogue(yc[oy][0], e), c1 = abl_wino_epilogue(yc[oy][1], e);
        _mm512_mask_storeu_ps(y + base, (__mmask16)keep, _mm512_permutex2var_ps(c0, ilo, c1));
        _mm512_mask_storeu_ps(y + base + 16, (__mmask16)(keep >> 16),
                              _mm512_permutex2var_ps(c0, ihi, c1));
    }
}
#endif

/* abl_wino_tile, the driver over batches of tiles, is in ablate_winograd4.h:
 * one driver for both tiles. */

#endif
