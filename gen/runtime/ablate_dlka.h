/* gen/runtime/ablate_dlka.h — pieces of the official deformable_LKA_Attention
 * kernel (templates/dlka_official.c.in, MODULES.md 6.2), one pixel tile at
 * a time, one image's tensors laid out C x H x W:
 *
 *   abl_dlka_proj_tile     1x1 conv with bias over a tile (one sgemm), then
 *                          GELU, a gate by u, or a residual add
 *   abl_dlka_offsets_tile  offset_net over a tile: im2col + sgemm + bias (the
 *                          generator variant im2col; the default is the
 *                          direct conv of ablate_dlka_offsets.h)
 *   abl_dlka_deform_tile   the depthwise deformable conv over a tile
 *   abl_dlka_official      the whole attention over a batch, called by
 *                          every thread of a parallel region (orphaned
 *                          `omp for`s, a barrier after each stage): used
 *                          alone and inside C3_DCNv3_DLKA's bottlenecks
 *
 * The deformable conv's offsets are shared by every channel (one offset
 * group), so where a kernel point samples, and with which 4 corner weights,
 * depends on (pixel, point) only: abl_dlka_plan computes that once per
 * (pixel, point) and the channel loop reuses it C times — 4 loads and 4
 * multiply-adds per channel instead of the 12 + 10 coordinate and weight
 * operations per sample a per-channel loop would redo.  The layer's input
 * is first copied channels last and zero-padded (the direct offset conv
 * reads the same copy), so those channels are 4 contiguous rows and the
 * channel loop is one vector loop. */
#ifndef ABLATE_RUNTIME_DLKA_H
#define ABLATE_RUNTIME_DLKA_H

#include <math.h>
#include <stddef.h>

#include <cblas.h>
#include <omp.h>

#include "ablate_dcnv3.h"
#include "ablate_direct.h"
#include "ablate_dlka_offsets.h"
#include "ablate_gen.h"

enum abl_dlka_epi { ABL_DLKA_GELU, ABL_DLKA_GATE, ABL_DLKA_RESIDUAL };

/* How the offset convs run: direct (ablate_dlka_offsets.h), the same with
 * the 5x5 one, the 7x7 dilation-3 one or both by Winograd F(2, k) along
 * rows (abl_off_tile_wr; flags F25 2, F27 4), by 2-D Winograd F(2x2, k)
 * (abl_off_tile_w2; flags W27 8, W25 16; gen/dlka.lua chooses per shape
 * and conv), or im2col + sgemm (kept as a generator variant, so a sweep
 * times both in one run). */
enum abl_dlka_offsets {
    ABL_DLKA_DIRECT = 0,
    ABL_DLKA_IM2COL = 1,
    ABL_DLKA_DIRECT_F25 = 2,
    ABL_DLKA_DIRECT_F27 = 4,
    ABL_DLKA_DIRECT_F25_F27 = 6,
    ABL_DLKA_DIRECT_W27 = 8,
    ABL_DLKA_DIRECT_F25_W27 = 10,
    ABL_DLKA_DIRECT_W25 = 16,
    ABL_DLKA_DIRECT_W25_F27 = 20,
    ABL_DLKA_DIRECT_W25_W27 = 24
};

/* abl_off_wr_ok (ablate_dlka_offsets.h) of the attention's offset conv of
 * kernel k (5: dilation 1, pad 2; 7: dilation 3, pad 9; m = 2 k^2 outputs)
 * as a constant expression of this build's blocking. */
#define ABL_DLKA_OFF_WR_OK(k)                                                                      \
    ABL_OFF_WR_OK((k), (k) == 7 ? 3 : 1, (k) == 7 ? 9 : 2, 2 * (k) * (k))

/* The offset-conv paths a kernel's flags can reach.  ABL_DLKA_OFFSETS: the
 * flags gen/dlka.lua chose, defined before this header and passed in every
 * geometry of the kernel; a path none of them selects is left out of the
 * build, so the kernel's compiler does not optimise code that cannot run
 * (about a third of an official kernel's build, two thirds of an im2col
 * one's): the F(2, k) convs where no F flag is set, every direct conv in
 * im2col kernels, and the plain direct conv (abl_off_tile) where both
 * convs run by Winograd; that one stays where this build's blocking fails
 * abl_off_wr_ok (ABL_DLKA_OFF_WR_OK: neither the AVX-512 nor the AVX2
 * blocking does today; a kernel that would still reach it traps).  Not
 * defined (the header checkers): every path. */
#ifdef ABL_DLKA_OFFSETS
#define ABL_DLKA_MAY_IM2COL ((ABL_DLKA_OFFSETS) == ABL_DLKA_IM2COL)
#define ABL_DLKA_MAY_DIRECT ((ABL_DLKA_OFFSETS) != ABL_DLKA_IM2COL)
#define ABL_DLKA_MAY_WR                                                                            \
    (ABL_DLKA_MAY_DIRECT && ((ABL_DLKA_OFFSETS) & (ABL_DLKA_DIRECT_F25 | ABL_DLKA_DIRECT_F27)))
#define ABL_DLKA_MAY_W2                                                                            \
    (ABL_DLKA_MAY_DIRECT && ((ABL_DLKA_OFFSETS) & (ABL_DLKA_DIRECT_W25 | ABL_DLKA_DIRECT_W27)))
#define ABL_DLKA_WINO_K_(k, f, w) (((ABL_DLKA_OFFSETS) & ((f) | (w))) && ABL_DLKA_OFF_WR_OK(k))
#define ABL_DLKA_MAY_DIRECT_TILE                                                                   \
    (ABL_DLKA_MAY_DIRECT && !(ABL_DLKA_WINO_K_(5, ABL_DLKA_DIRECT_F25, ABL_DLKA_DIRECT_W25) &&     \
                              ABL_DLKA_WINO_K_(7, ABL_DLKA_DIRECT_F27, ABL_DLKA_DIRECT_W27)))
#else
#define ABL_DLKA_MAY_IM2COL 1
#define ABL_DLKA_MAY_DIRECT 1
#define ABL_DLKA_MAY_WR 1
#define ABL_DLKA_MAY_W2 1
#define ABL_DLKA_MAY_DIRECT_TILE 1
#endif

/* Whether a kernel's channel count can reach the per-pixel sampler.
 * ABL_DLKA_CHANNELS: the channels of every deformable layer of the kernel,
 * defined (with ABL_DLKA_OFFSETS) before this header.  abl_dlka_px_ok is
 * then false in every layer of a kernel whose channels are not a multiple
 * of ABL_DLKA_VW (a constant of the kernel and build), and
 * abl_dlka_deform_tile_px is left out of its build (a fifth of a D-LKA
 * kernel's build CPU, an eighth of a C3_DCNv3_DLKA one's).  The generic
 * sampler stays in every build: where the per-pixel one runs, gcc already
 * drops it after IPA-CP (leaving it out there saves nothing and changes
 * which offset-conv calls gcc inlines).  A layer whose g.c would take the
 * per-pixel sampler that was left out traps.  Not defined (the header
 * checkers): both. */
#if defined(ABL_DLKA_CHANNELS) && defined(ABL_DLKA_OFFSETS)
#define ABL_DLKA_MAY_PX (ABL_DLKA_MAY_DIRECT && (ABL_DLKA_CHANNELS) % ABL_DLKA_VW == 0)
#else
#define ABL_DLKA_MAY_PX 1
#endif

/* Whether the offset convs run direct (with or without F(2, k)). */
static inline int abl_dlka_direct(enum abl_dlka_offsets o) { return o != ABL_DLKA_IM2COL; }

/* Whether the direct offset conv of kernel k runs by Winograd, F(2, k) or
 * F(2x2, k) (transformed weights, scratch and slack). */
static inline int abl_dlka_wr(enum abl_dlka_offsets o, int k)
{
    return abl_dlka_direct(o) &&
           (o & (k == 7   ? ABL_DLKA_DIRECT_F27 | ABL_DLKA_DIRECT_W27
                 : k == 5 ? ABL_DLKA_DIRECT_F25 | ABL_DLKA_DIRECT_W25
                          : 0));
}

/* Whether the offset conv of kernel k runs by 2-D F(2x2, k). */
static inline int abl_dlka_w2(enum abl_dlka_offsets o, int k)
{
    return abl_dlka_direct(o) && (o & (k == 7 ? ABL_DLKA_DIRECT_W27 : k == 5 ? ABL_DLKA_DIRECT_W25 : 0));
}

/* y[o][t] = epi(sum_c wt[o][c] x[c][t] + bias[o]) for o < c, t < np; x and
 * y (and `other`: u for the gate, the block input for the residual) have
 * row stride ldx / ldy / ldo.  The product by ablate_direct.h's register
 * blocks where they apply (AVX-512, c a multiple of 8; bias added there),
 * else one sgemm; the epilogue then runs over the tile while it is in L2. */
static inline void abl_dlka_proj_tile(int c, int np, const float *wt, const float *bias,
                                      const float *x, ptrdiff_t ldx, float *y, ptrdiff_t ldy,
                                      enum abl_dlka_epi epi, const float *other, ptrdiff_t ldo)
{
    const int direct = abl_direct_ok(1, 1, c);
    if (direct) {
        float ones[c];
        for (int o = 0; o < c; o++)
            ones[o] = 1.0f;
        abl_direct_1x1_run(x, ldx, c, c, wt, y, ldy, ones, bias, 0, np);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c, np, c, 1.0f, wt, c, x, (int)ldx,
                    0.0f, y, (int)ldy);
    }
    for (int o = 0; o < c; o++) {
        float *yo = y + o * ldy;
        const float *r = other ? other + o * ldo : NULL;
        const float b = direct ? 0.0f : bias[o];
        if (epi == ABL_DLKA_GELU) { /* abl_gelu16: erf in closed form, no division */
#pragma omp simd
            for (int t = 0; t < np; t++)
                yo[t] += b;
            abl_gelu_inplace(yo, np);
        } else if (epi == ABL_DLKA_GATE)
#pragma omp simd
            for (int t = 0; t < np; t++)
                yo[t] = r[t] * (yo[t] + b);
        else
#pragma omp simd
            for (int t = 0; t < np; t++)
                yo[t] = yo[t] + b + r[t];
    }
}

/* off[r][t] (r < 2 k^2, row stride np) = offset_net(x) at pixels p0 .. p0+np-1:
 * im2col into col (c k^2 x np) + one sgemm + bias.  'Same' geometry. */
static inline void abl_dlka_offsets_tile(int c, int h, int w, int k, int pad, int dil,
                                         const float *x, const float *wt, const float *bias,
                                         int p0, int np, float *col, float *off)
{
    const struct abl_conv_geom g = {c, h, w, k, k, 1, 1, pad, pad, dil, dil, h, w};
    const int rows = 2 * k * k, kdim = c * k * k;
    abl_im2col_tile(g, x, p0, np, col, np);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, np, kdim, 1.0f, wt, kdim, col, np,
                0.0f, off, np);
    for (int r = 0; r < rows; r++)
#pragma omp simd
        for (int t = 0; t < np; t++)
            off[r * np + t] += bias[r];
}

/* The sample at (y, x) of an h x w plane of row stride ws: its 4 corners'
 * indices ix and weights wq, 0 for a corner outside the map and for a
 * sample torchvision drops (y <= -1, y >= h, x <= -1, x >= w; NaN). */
static inline void abl_dlka_corners(int h, int w, int ws, float y, float x, int ix[4],
                                    float wq[4])
{
    ix[0] = ix[1] = ix[2] = ix[3] = 0;
    wq[0] = wq[1] = wq[2] = wq[3] = 0.0f;
    if (!(y > -1.0f && y < (float)h && x > -1.0f && x < (float)w))
        return; /* also NaN */
    const float fy = floorf(y), fx = floorf(x), ly = y - fy, lx = x - fx;
    const int y0 = (int)fy, x0 = (int)fx;
    const float cw[4] = {(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx};
    for (int q = 0; q < 4; q++) {
        const int yy = y0 + q / 2, xx = x0 + q % 2;
        if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
            ix[q] = yy * ws + xx;
            wq[q] = cw[q];
        }
    }
}

/* Where kernel point (i, j) samples for pixels p0 .. p0+np-1: the 4
 * corners of each pixel's sample (abl_dlka_corners) at idx + 4 t,
 * wts + 4 t.  dy, dx: the point's offsets of pixel t at dy[t * os],
 * dx[t * os]. */
static inline void abl_dlka_plan(int h, int w, int ws, int p0, int np, int pad, int dil, int i,
                                 int j, const float *dy, const float *dx, ptrdiff_t os, int *idx,
                                 float *wts)
{
    for (int t = 0; t < np; t++) {
        const int oh = (p0 + t) / w, ow = (p0 + t) % w;
        const float y = (float)(oh - pad + i * dil) + dy[t * os];
        const float x = (float)(ow - pad + j * dil) + dx[t * os];
        abl_dlka_corners(h, w, ws, y, x, idx + 4 * t, wts + 4 * t);
    }
}

/* y[ch][p0 + t] = sum over points of wt[ch][point] * sample, for every channel:
 * xcl one image channels last (h rows of ws pixels x c; pixel (0, 0) at
 * xcl), y one image c x h x w; the tile's offsets of point q and pixel t at
 * off[2q ps + t os] (row) and off[(2q + 1) ps + t os] (column); wt_t: the
 * depthwise weights transposed (k^2 x c); idx, wts: 4 np each; acc: np x c
 * scratch.  Each (pixel, point)'s corners are planned once; the channel
 * loop then reads 4 contiguous rows of xcl, vectorised. */
static inline void abl_dlka_deform_tile(int c, int h, int w, int ws, int k, int pad, int dil,
                                        const float *restrict xcl, const float *off, ptrdiff_t ps,
                                        ptrdiff_t os, const float *restrict wt_t, int p0, int np,
                                        int *idx, float *wts, float *restrict acc,
                                        float *restrict y)
{
    const ptrdiff_t hw = (ptrdiff_t)h * w;
    for (ptrdiff_t i = 0; i < (ptrdiff_t)np * c; i++)
        acc[i] = 0.0f;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) {
            const int pt = i * k + j;
            const float *wd = wt_t + (ptrdiff_t)pt * c;
            abl_dlka_plan(h, w, ws, p0, np, pad, dil, i, j, off + 2 * pt * ps,
                          off + (2 * pt + 1) * ps, os, idx, wts);
            for (int t = 0; t < np; t++) {
                const int *ix = idx + 4 * t;
                const float *wq = wts + 4 * t, w0 = wq[0], w1 = wq[1], w2 = wq[2], w3 = wq[3];
                const float *s0 = xcl + (ptrdiff_t)ix[0] * c, *s1 = xcl + (ptrdiff_t)ix[1] * c;
                const float *s2 = xcl + (ptrdiff_t)ix[2] * c, *s3 = xcl + (ptrdiff_t)ix[3] * c;
                float *at = acc + (ptrdiff_t)t * c;
#pragma omp simd
                for (int ch = 0; ch < c; ch++)
                    at[ch] += wd[ch] * (w0 * s0[ch] + w1 * s1[ch] + w2 * s2[ch] + w3 * s3[ch]);
            }
        }
    abl_transpose(acc, c, y + p0, hw, np, c); /* back to c x h x w; the tile is in L2 */
}

/* The same conv, one pixel at a time, for the direct offset conv's
 * pixel-major offsets (off[t][mpad]: a pixel's 2 k^2 offsets contiguous)
 * and c a multiple of ABL_DLKA_VW.  Per pixel, abl_dlka_plan_px plans all
 * k^2 points in one vector loop (the same values as abl_dlka_plan, point by
 * point), then each block of up to ABL_DLKA_NV channel vectors sums the
 * points in registers: per point 4 corner loads and 4 multiply-adds a
 * vector plus the depthwise weight, no accumulator load and store.  The
 * point-major abl_dlka_deform_tile kept acc[t][c] in memory (a load and a
 * store per vector and point) and planned each point with scalar branches;
 * at L17 (32 channels) its two samplers took 2.7 + 4.2 ms of a 30 ms block
 * on the Intel Xeon of the third Intel pass (docs/modules/perf_deform.md).
 * Same sums in the same order: bit-identical to abl_dlka_deform_tile. */
#ifdef __AVX512F__
enum { ABL_DLKA_VW = 16 };
typedef float abl_dlka_vf __attribute__((vector_size(64), aligned(4)));
#else
enum { ABL_DLKA_VW = 8 };
typedef float abl_dlka_vf __attribute__((vector_size(32), aligned(4)));
#endif
enum { ABL_DLKA_NV = 8, ABL_DLKA_KK_MAX = 64 };

/* Where a pixel's plan lies: corner q of point p at idx[q][p] (an offset
 * in pixels into the padded plane) with weight wts[q][p]. */
struct abl_dlka_pxplan {
    int idx[4][ABL_DLKA_KK_MAX] __attribute__((aligned(64)));
    float wts[4][ABL_DLKA_KK_MAX] __attribute__((aligned(64)));
};

/* abl_dlka_plan's values for pixel (oh, ow) and every point q < kk, the
 * corner indices scaled by c (float offsets into the channels-last plane):
 * d the pixel's offsets (point q's row offset at d[2q], column at
 * d[2q + 1]), fi / fj: (float)(i dil) and (float)(j dil) of point q = i k
 * + j, 0 up to whole vectors.  (float)(oh - pad) + fi[q] is exact (small
 * integers): the same float as abl_dlka_plan's (float)(oh - pad + i dil);
 * the weights are the same products, so the plan is the same bits. */
static inline void abl_dlka_plan_px(int h, int w, int ws, int c, int oh, int ow, int pad, int kk,
                                    const float *restrict fi, const float *restrict fj,
                                    const float *restrict d, struct abl_dlka_pxplan *restrict pl)
{
#ifdef __AVX512F__
    /* 16 points a step, branch-free: abl_dlka_plan's tests as masks */
    const __m512 by = _mm512_set1_ps((float)(oh - pad)), bx = _mm512_set1_ps((float)(ow - pad));
    const __m512 hf = _mm512_set1_ps((float)h), wf = _mm512_set1_ps((float)w);
    const __m512 m1 = _mm512_set1_ps(-1.0f), one = _mm512_set1_ps(1.0f);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512i zero = _mm512_setzero_si512(), hm1 = _mm512_set1_epi32(h - 1);
    const __m512i wm1 = _mm512_set1_epi32(w - 1), vws = _mm512_set1_epi32(ws);
    const __m512i vc = _mm512_set1_epi32(c), vwsc = _mm512_set1_epi32(ws * c);
    for (int q = 0; q < kk; q += 16) {
        const int n2 = 2 * (kk - q); /* offsets left from d + 2q */
        const __mmask16 lo = n2 >= 16 ? 0xffff : (__mmask16)((1u << n2) - 1);
        const __mmask16 hi = n2 >= 32 ? 0xffff : n2 <= 16 ? 0 : (__mmask16)((1u << (n2 - 16)) - 1);
        const __m512 d0 = _mm512_maskz_loadu_ps(lo, d + 2 * q);
        const __m512 d1 = _mm512_maskz_loadu_ps(hi, d + 2 * q + 16);
        const __m512 y = _mm512_add_ps(_mm512_add_ps(by, _mm512_loadu_ps(fi + q)),
                                       _mm512_permutex2var_ps(d0, even, d1));
        const __m512 x = _mm512_add_ps(_mm512_add_ps(bx, _mm512_loadu_ps(fj + q)),
                                       _mm512_permutex2var_ps(d0, odd, d1));
        /* ordered compares: false for NaN, as the scalar tests */
        const __mmask16 in = _mm512_cmp_ps_mask(y, m1, _CMP_GT_OQ) &
                             _mm512_cmp_ps_mask(y, hf, _CMP_LT_OQ) &
                             _mm512_cmp_ps_mask(x, m1, _CMP_GT_OQ) &
                             _mm512_cmp_ps_mask(x, wf, _CMP_LT_OQ);
        const __m512 yc = _mm512_maskz_mov_ps(in, y), xc = _mm512_maskz_mov_ps(in, x);
        const __m512 fy = _mm512_floor_ps(yc), fx = _mm512_floor_ps(xc);
        const __m512 ly = _mm512_sub_ps(yc, fy), lx = _mm512_sub_ps(xc, fx);
        const __m512 ly1 = _mm512_sub_ps(one, ly), lx1 = _mm512_sub_ps(one, lx);
        const __m512i y0 = _mm512_cvttps_epi32(fy), x0 = _mm512_cvttps_epi32(fx);
        /* inside: y0 >= -1 and y0 <= h - 1, so only one bound each can fail */
        const __mmask16 vy0 = in & _mm512_cmpge_epi32_mask(y0, zero);
        const __mmask16 vy1 = in & _mm512_cmplt_epi32_mask(y0, hm1);
        const __mmask16 vx0 = _mm512_cmpge_epi32_mask(x0, zero);
        const __mmask16 vx1 = _mm512_cmplt_epi32_mask(x0, wm1);
        const __m512i i0 = _mm512_mullo_epi32(
            _mm512_add_epi32(_mm512_mullo_epi32(y0, vws), x0), vc);
        _mm512_store_si512(pl->idx[0] + q, _mm512_maskz_mov_epi32(vy0 & vx0, i0));
        _mm512_store_si512(pl->idx[1] + q, _mm512_maskz_mov_epi32(vy0 & vx1, _mm512_add_epi32(i0, vc)));
        _mm512_store_si512(pl->idx[2] + q, _mm512_maskz_mov_epi32(vy1 & vx0, _mm512_add_epi32(i0, vwsc)));
        _mm512_store_si512(pl->idx[3] + q, _mm512_maskz_mov_epi32(
                                               vy1 & vx1, _mm512_add_epi32(i0, _mm512_add_epi32(vwsc, vc))));
        _mm512_store_ps(pl->wts[0] + q, _mm512_maskz_mov_ps(vy0 & vx0, _mm512_mul_ps(ly1, lx1)));
        _mm512_store_ps(pl->wts[1] + q, _mm512_maskz_mov_ps(vy0 & vx1, _mm512_mul_ps(ly1, lx)));
        _mm512_store_ps(pl->wts[2] + q, _mm512_maskz_mov_ps(vy1 & vx0, _mm512_mul_ps(ly, lx1)));
        _mm512_store_ps(pl->wts[3] + q, _mm512_maskz_mov_ps(vy1 & vx1, _mm512_mul_ps(ly, lx)));
    }
#else
    for (int q = 0; q < kk; q++) { /* abl_dlka_plan's loop, one point */
        const float y = ((float)(oh - pad) + fi[q]) + d[2 * q];
        const float x = ((float)(ow - pad) + fj[q]) + d[2 * q + 1];
        int ix[4];
        float wq[4];
        abl_dlka_corners(h, w, ws, y, x, ix, wq);
        for (int r = 0; r < 4; r++) {
            pl->idx[r][q] = ix[r] * c;
            pl->wts[r][q] = wq[r];
        }
    }
#endif
}

/* at[0 .. NV vectors) = sum over points q < kk of wt_t[q c ..] * (the 4
 * corners' weighted sum), channels from xc (xcl + c0) and wd (wt_t + c0). */
static inline __attribute__((always_inline)) void
abl_dlka_px_sum(const int NV, int c, int kk, const float *restrict xc, const float *restrict wd,
                const struct abl_dlka_pxplan *restrict pl, float *restrict at)
{
    abl_dlka_vf acc[ABL_DLKA_NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++)
        acc[v] = (abl_dlka_vf){0};
    for (int q = 0; q < kk; q++) {
        const float *s0 = xc + pl->idx[0][q], *s1 = xc + pl->idx[1][q];
        const float *s2 = xc + pl->idx[2][q], *s3 = xc + pl->idx[3][q];
        const float w0 = pl->wts[0][q], w1 = pl->wts[1][q], w2 = pl->wts[2][q], w3 = pl->wts[3][q];
        const float *wq = wd + (ptrdiff_t)q * c;
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++) {
            const int o = v * ABL_DLKA_VW;
            acc[v] += *(const abl_dlka_vf *)(wq + o) *
                      (w0 * *(const abl_dlka_vf *)(s0 + o) + w1 * *(const abl_dlka_vf *)(s1 + o) +
                       w2 * *(const abl_dlka_vf *)(s2 + o) + w3 * *(const abl_dlka_vf *)(s3 + o));
        }
    }
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++)
        *(abl_dlka_vf *)(at + v * ABL_DLKA_VW) = acc[v];
}

/* Whether abl_dlka_deform_tile_px applies: pixel-major offsets (ps 1) and
 * whole channel vectors. */
static inline int abl_dlka_px_ok(int c, int k, ptrdiff_t ps)
{
    return ps == 1 && c % ABL_DLKA_VW == 0 && k * k <= ABL_DLKA_KK_MAX;
}

/* abl_dlka_deform_tile's arguments (ps = 1: point q's offsets of pixel t at
 * off[t os + 2q], off[t os + 2q + 1]); acc: np x c scratch. */
static inline void abl_dlka_deform_tile_px(int c, int h, int w, int ws, int k, int pad, int dil,
                                           const float *restrict xcl, const float *off,
                                           ptrdiff_t os, const float *restrict wt_t, int p0,
                                           int np, float *restrict acc, float *restrict y)
{
    const int kk = k * k;
    float fi[ABL_DLKA_KK_MAX] = {0}, fj[ABL_DLKA_KK_MAX] = {0};
    for (int q = 0; q < kk; q++) {
        fi[q] = (float)(q / k * dil);
        fj[q] = (float)(q % k * dil);
    }
    struct abl_dlka_pxplan pl;
    for (int t = 0; t < np; t++) {
        const int oh = (p0 + t) / w, ow = (p0 + t) % w;
        abl_dlka_plan_px(h, w, ws, c, oh, ow, pad, kk, fi, fj, off + t * os, &pl);
        float *at = acc + (ptrdiff_t)t * c;
        for (int c0 = 0; c0 < c; c0 += ABL_DLKA_NV * ABL_DLKA_VW) {
            const int nv = (c - c0) / ABL_DLKA_VW < ABL_DLKA_NV ? (c - c0) / ABL_DLKA_VW : ABL_DLKA_NV;
            switch (nv) { /* constant trip counts: the accumulators stay in registers */
            case 1: abl_dlka_px_sum(1, c, kk, xcl + c0, wt_t + c0, &pl, at + c0); break;
            case 2: abl_dlka_px_sum(2, c, kk, xcl + c0, wt_t + c0, &pl, at + c0); break;
            case 3: abl_dlka_px_sum(3, c, kk, xcl + c0, wt_t + c0, &pl, at + c0); break;
            case 4: abl_dlka_px_sum(4, c, kk, xcl + c0, wt_t + c0, &pl, at + c0); break;
            case 5: abl_dlka_px_sum(5, c, kk, xcl + c0, wt_t + c0, &pl, at + c0); break;
            case 6: abl_dlka_px_sum(6, c, kk, xcl + c0, wt_t + c0, &pl, at + c0); break;
            case 7: abl_dlka_px_sum(7, c, kk, xcl + c0, wt_t + c0, &pl, at + c0); break;
            default: abl_dlka_px_sum(8, c, kk, xcl + c0, wt_t + c0, &pl, at + c0); break;
            }
        }
    }
    abl_transpose(acc, c, y + p0, (ptrdiff_t)h * w, np, c);
}

/* The batch and tiling of one attention; tensors of one image are c x h x w
 * (pixel tiles [tile * h w / ntiles, (tile + 1) h w / ntiles)). */
struct abl_dlka_geom {
    int n, c, h, w, ntiles;
    enum abl_dlka_offsets offsets;
};

/* Where the attention reads and writes: x (its input, also its residual
 * s), y, and an optional second residual res2 added after (C3's shortcut
 * z + Dattention(...)); each with its own per-image stride in floats (a
 * slice of a wider concat buffer has a wider one). */
struct abl_dlka_io {
    const float *x;
    ptrdiff_t x_img;
    float *y;
    ptrdiff_t y_img;
    const float *res2; /* NULL: none */
    ptrdiff_t res2_img;
};

/* Tiles of one image whose offsets a team of one thread makes in one
 * offset-conv call where the 7x7 layer's conv is direct or F(2x2, 7), not F(2, 7)
 * (abl_dlka_merge_tiles; a layer on F(2, k) keeps one call a tile: both
 * layers merged measured +0.8 % at L17), then samples tile by tile: the
 * conv's packed weights (the 7x7's 2.8 MB at 128 channels, past L2) are
 * streamed once per call.  At L23 (20 x 20, 2 tiles of 200 pixels, 1
 * thread, Intel Xeon) one call for both tiles: the block -4 to -5 % CPU
 * time (docs/modules/perf_deform.md, seventh Intel pass).  With two
 * threads or more each tile stays its own job. */
enum { ABL_DLKA_MERGE = 2 };

/* Private floats per thread: column panel (c 49 tile, im2col only; with
 * direct offset convs only the deformable conv's np x c accumulator, c
 * tile), offsets (abl_dlka_merge_tiles tiles + the blocking's spare
 * rows, ABL_OFF_MPAD_MAX wide; im2col's 98 tile fit), plan (8 tile), one c
 * x tile tile, the transposed depthwise weights (49 c).  gen/dlka.lua
 * computes the same. */
static inline ptrdiff_t abl_dlka_col_floats(int c, int tile, enum abl_dlka_offsets o)
{
    return (ptrdiff_t)c * tile * (abl_dlka_direct(o) ? 1 : 49);
}

static inline ptrdiff_t abl_dlka_merge_tiles(enum abl_dlka_offsets o)
{
    return abl_dlka_direct(o) && !(o & ABL_DLKA_DIRECT_F27) ? ABL_DLKA_MERGE : 1;
}

static inline ptrdiff_t abl_dlka_off_floats(int tile, enum abl_dlka_offsets o)
{
    return (abl_dlka_merge_tiles(o) * tile + ABL_OFF_PMAX) * ABL_OFF_MPAD_MAX;
}

/* Where those regions start in a thread's private floats (offsets in
 * floats), and their total rounded to whole vectors: one layout, read by
 * both abl_dlka_priv_floats (the workspace plan) and abl_dlka_priv_at. */
struct abl_dlka_priv_layout {
    ptrdiff_t col, off, plan, ctile, wt_t, wr, total;
};

static inline struct abl_dlka_priv_layout abl_dlka_priv_layout(int c, int tile,
                                                               enum abl_dlka_offsets o)
{
    struct abl_dlka_priv_layout l;
    l.col = 0;
    l.off = l.col + abl_dlka_col_floats(c, tile, o);
    l.plan = l.off + abl_dlka_off_floats(tile, o);
    l.ctile = l.plan + 8 * (ptrdiff_t)tile;
    l.wt_t = l.ctile + (ptrdiff_t)c * tile;
    l.wr = (l.wt_t + 49 * (ptrdiff_t)c + 15) / 16 * 16;
    l.total = l.wr + (abl_dlka_wr(o, 5) || abl_dlka_wr(o, 7)
                          ? (abl_off_wr_scratch_floats(c) + 15) / 16 * 16
                          : 0);
    return l;
}

static inline ptrdiff_t abl_dlka_priv_floats(int c, int tile, enum abl_dlka_offsets o)
{
    return abl_dlka_priv_layout(c, tile, o).total;
}

/* Those regions in a thread's private floats priv. */
struct abl_dlka_priv {
    float *col, *off, *plan, *ctile, *wt_t, *wr;
};

static inline struct abl_dlka_priv abl_dlka_priv_at(float *priv, int c, int tile,
                                                    enum abl_dlka_offsets o)
{
    const struct abl_dlka_priv_layout l = abl_dlka_priv_layout(c, tile, o);
    const struct abl_dlka_priv p = {priv + l.col,   priv + l.off,  priv + l.plan,
                                    priv + l.ctile, priv + l.wt_t, priv + l.wr};
    return p;
}

/* Shared floats beyond u, a0, a1: the layer input channels last with the
 * widest padding (9, the 7x7 dilation 3 conv's) and F(2, 7)'s zero slack
 * after it (abl_dlka_xpad_floats), the packed offset weights and bias, the
 * F(2, 7) weights (ablate_dlka_offsets.h). */
enum { ABL_DLKA_PAD_MAX = 9 };

static inline ptrdiff_t abl_dlka_xpad_floats(int n, int c, int h, int w)
{
    const ptrdiff_t pad = (ptrdiff_t)n * (h + 2 * ABL_DLKA_PAD_MAX) * (w + 2 * ABL_DLKA_PAD_MAX) * c;
    return (pad + abl_off_wr_slack_floats(c) + 15) / 16 * 16;
}

static inline ptrdiff_t abl_dlka_extra_shared_floats(int n, int c, int h, int w)
{
    return abl_dlka_xpad_floats(n, c, h, w) + (ptrdiff_t)49 * c * ABL_OFF_MPAD_MAX +
           ABL_OFF_MPAD_MAX + abl_off_wr_weight_floats(7, c);
}

static inline int abl_dlka_tile_start(struct abl_dlka_geom g, int tile)
{
    return (int)((int64_t)tile * g.h * g.w / g.ntiles);
}

/* Prepared floats of one deformable layer of kernel k (abl_dlka_layer_pack):
 * the packed offset weights and bias as abl_off_pack lays them out (at
 * most ABL_OFF_MPAD_MAX wide), the 7x7's F(2, 7) weights
 * (abl_off_wr_weight_floats; reserved whichever way the generator chose),
 * then the transposed depthwise weights (k^2 c).  gen/dlka.lua computes
 * the same. */
static inline ptrdiff_t abl_dlka_layer_wr_floats(int c, int k)
{
    return abl_off_wr_weight_floats(k, c);
}

static inline ptrdiff_t abl_dlka_layer_prep_floats(int c, int k)
{
    return ((ptrdiff_t)k * k * c * ABL_OFF_MPAD_MAX + ABL_OFF_MPAD_MAX + 15) / 16 * 16 +
           abl_dlka_layer_wr_floats(c, k) + ((ptrdiff_t)k * k * c + 15) / 16 * 16;
}

/* Where a layer's packed weights lie in its prepared floats (or in the
 * forward's own places: wpk, bpad, uw in shared, wt_t in priv). */
struct abl_dlka_layer_pk {
    float *wpk, *bpad, *uw, *wt_t;
};

static inline struct abl_dlka_layer_pk abl_dlka_layer_pk_at(int c, int k, float *prep)
{
    struct abl_dlka_layer_pk p;
    p.wpk = prep;
    p.bpad = prep + (ptrdiff_t)k * k * c * ABL_OFF_MPAD_MAX;
    p.uw = prep + ((ptrdiff_t)k * k * c * ABL_OFF_MPAD_MAX + ABL_OFF_MPAD_MAX + 15) / 16 * 16;
    p.wt_t = p.uw + abl_dlka_layer_wr_floats(c, k);
    return p;
}

/* The layer's weight-only data into p, shared work of the calling team
 * (the transposed depthwise weights by every thread into its own p.wt_t
 * when `each`, else by the first; the offset weights' taps spread over
 * the threads, direct offset convs only); no barrier at the end. */
static inline void abl_dlka_layer_pack(struct abl_dlka_geom g, const float *wt_off,
                                       const float *b_off, const float *wt_dw, int k, int pad,
                                       int dil, struct abl_dlka_layer_pk p, int each)
{
    const struct abl_off_geom og = {g.c, g.h, g.w, k, dil, pad, 2 * k * k};
    const int mpad = abl_off_blocking(og.m).mpad;
    if (each || omp_get_thread_num() == 0)
        for (int pt = 0; pt < k * k; pt++)
            for (int ch = 0; ch < g.c; ch++)
                p.wt_t[pt * g.c + ch] = wt_dw[ch * k * k + pt];
    if (ABL_DLKA_MAY_DIRECT && abl_dlka_direct(g.offsets)) {
#pragma omp for schedule(static) nowait
        for (int t = 0; t < k * k; t++)
            abl_off_pack(og, mpad, wt_off, b_off, t, t + 1, p.wpk, p.bpad);
    }
    if (ABL_DLKA_MAY_W2 && abl_dlka_w2(g.offsets, k) && abl_off_w2_ok(og)) {
#pragma omp for schedule(static) nowait
        for (int ab = 0; ab < (k + 1) * (k + 1); ab++)
            abl_off_w2_pack(k, g.c, wt_off, ab, ab + 1, p.uw);
    } else if (ABL_DLKA_MAY_WR && abl_dlka_wr(g.offsets, k) && abl_off_wr_ok(og)) {
#pragma omp for schedule(static) nowait
        for (int si = 0; si < (k + 1) * k; si++)
            abl_off_wr_pack(k, g.c, wt_off, si, si + 1, p.uw);
    }
}

/* One deformable layer over every (image, tile): src -> dst (c x h x w
 * per image, contiguous images); shared: abl_dlka_extra_shared_floats
 * (the padded channels-last copy of src, then the packed weights); prep:
 * the layer's packed weights as abl_dlka_layer_pack made them once
 * (abl_dlka_layer_prep_floats), or NULL to make them in this call. */
static inline void abl_dlka_deform_layer(struct abl_dlka_geom g, const float *wt_off,
                                         const float *b_off, const float *wt_dw, int k, int pad,
                                         int dil, const float *src, float *dst, float *shared,
                                         float *priv, const float *prep, int tile)
{
    _Static_assert(sizeof(int) == sizeof(float), "the plan's indices share the float workspace");
    const ptrdiff_t pix = (ptrdiff_t)g.h * g.w, img = g.c * pix;
    const struct abl_off_geom og = {g.c, g.h, g.w, k, dil, pad, 2 * k * k};
    const int hp = g.h + 2 * pad, wp = g.w + 2 * pad, mpad = abl_off_blocking(og.m).mpad;
    const ptrdiff_t pimg = (ptrdiff_t)hp * wp * g.c;
    float *xpad = shared;
    float *wpk = shared + abl_dlka_xpad_floats(g.n, g.c, g.h, g.w);
    float *bpad = wpk + (ptrdiff_t)49 * g.c * ABL_OFF_MPAD_MAX;
    float *uw = bpad + ABL_OFF_MPAD_MAX;
    const int wr = abl_dlka_wr(g.offsets, k) && abl_off_wr_ok(og);
    const int w2 = wr && abl_dlka_w2(g.offsets, k) && abl_off_w2_ok(og);
    const struct abl_dlka_priv pv = abl_dlka_priv_at(priv, g.c, tile, g.offsets);
    float *col = pv.col, *off = pv.off, *idx = pv.plan;
    const float *wt_t = pv.wt_t;
    if (prep) {
        const struct abl_dlka_layer_pk p = abl_dlka_layer_pk_at(g.c, k, (float *)prep);
        wpk = p.wpk;
        bpad = p.bpad;
        uw = p.uw;
        wt_t = p.wt_t;
    } else { /* wt_t: each thread its own copy; the offset weights: the next loop's barrier covers them */
        const struct abl_dlka_layer_pk p = {wpk, bpad, uw, (float *)wt_t};
        abl_dlka_layer_pack(g, wt_off, b_off, wt_dw, k, pad, dil, p, 1);
    }
#pragma omp for schedule(static)
    for (int row = 0; row < g.n * hp; row++) {
        abl_off_pad_rows(og, src + (row / hp) * img, row % hp, row % hp + 1, xpad + (row / hp) * pimg);
        if (row == g.n * hp - 1) /* F(2, k)'s phantom partners read past the last padded row */
            memset(xpad + g.n * pimg, 0, sizeof(float) * abl_off_wr_slack_floats(g.c));
    }
    const int direct = abl_dlka_direct(g.offsets);
    /* alone, a thread makes the offsets of the merged tiles at their
     * first (its jobs run in order) */
    const int merge = (!wr || w2) && omp_get_num_threads() == 1 ? (int)abl_dlka_merge_tiles(g.offsets) : 1;
#pragma omp for schedule(static)
    for (int job = 0; job < g.n * g.ntiles; job++) {
        const int b = job / g.ntiles, ti = job % g.ntiles, p0 = abl_dlka_tile_start(g, ti);
        const int np = abl_dlka_tile_start(g, ti + 1) - p0;
        const int t0 = ti / merge * merge, t1 = t0 + merge < g.ntiles ? t0 + merge : g.ntiles;
        const int q0 = abl_dlka_tile_start(g, t0), nq = abl_dlka_tile_start(g, t1) - q0;
        const float *xb = xpad + b * pimg;
        if (ti == t0) {
            if (ABL_DLKA_MAY_W2 && w2)
                abl_off_tile_w2(og, xb, src + b * img, wpk, bpad, uw, q0, nq, pv.wr, off);
            else if (ABL_DLKA_MAY_WR && wr)
                abl_off_tile_wr(og, xb, src + b * img, wpk, bpad, uw, q0, nq, (int *)idx, pv.wr,
                                off);
            else if (ABL_DLKA_MAY_DIRECT_TILE && direct)
                abl_off_tile(og, xb, src + b * img, wpk, bpad, q0, nq, (int *)idx, off);
            else if (direct) /* ABL_DLKA_MAY_DIRECT_TILE disagrees with abl_off_wr_ok */
                __builtin_trap();
            else if (ABL_DLKA_MAY_IM2COL)
                abl_dlka_offsets_tile(g.c, g.h, g.w, k, pad, dil, src + b * img, wt_off, b_off,
                                      p0, np, col, off);
        }
        const float *toff = off + (direct ? (ptrdiff_t)(p0 - q0) * mpad : 0);
        const int px = direct && abl_dlka_px_ok(g.c, k, 1);
        if (ABL_DLKA_MAY_PX && px) {
            abl_dlka_deform_tile_px(g.c, g.h, g.w, wp, k, pad, dil,
                                    xb + ((ptrdiff_t)pad * wp + pad) * g.c, toff, mpad, wt_t, p0,
                                    np, col, dst + b * img);
            continue;
        }
        if (px) /* ABL_DLKA_CHANNELS disagrees with g.c */
            __builtin_trap();
        abl_dlka_deform_tile(g.c, g.h, g.w, wp, k, pad, dil, xb + ((ptrdiff_t)pad * wp + pad) * g.c,
                             toff, direct ? 1 : np, direct ? mpad : 1, wt_t, p0, np, (int *)idx,
                             idx + 4 * tile, col, dst + b * img);
    }
}

/* The attention's first step: u = GELU(proj_1(x)), per tile; w: proj_1's
 * weight and bias. */
static inline void abl_dlka_head(struct abl_dlka_geom g, const float *const *w,
                                 struct abl_dlka_io io, float *u)
{
    const ptrdiff_t pix = (ptrdiff_t)g.h * g.w, img = g.c * pix;
#pragma omp for schedule(static)
    for (int job = 0; job < g.n * g.ntiles; job++) {
        const int b = job / g.ntiles, p0 = abl_dlka_tile_start(g, job % g.ntiles);
        const int np = abl_dlka_tile_start(g, job % g.ntiles + 1) - p0;
        abl_dlka_proj_tile(g.c, np, w[0], w[1], io.x + b * io.x_img + p0, pix, u + b * img + p0,
                           pix, ABL_DLKA_GELU, NULL, 0);
    }
}

/* The attention's last step on one tile of image b, pixels p0 .. p0+np-1:
 * y = proj_2(u * (wa a + ba)) + x (+ res2), a planar (row stride lda):
 * wa, ba conv1's weight and bias applied to a1 (or, in the DCNv3
 * variants, conv1 folded into the last layer's output_proj applied to its
 * sampled core); wp, bp proj_2's; t: c x np floats of scratch (may not
 * overlap a). */
static inline void abl_dlka_tail_tile(int c, int pix, int np, const float *wa, const float *ba,
                                      const float *a, ptrdiff_t lda, const float *wp,
                                      const float *bp, struct abl_dlka_io io, const float *u_img,
                                      int b, int p0, float *t)
{
    float *y = io.y + b * io.y_img + p0;
    abl_dlka_proj_tile(c, np, wa, ba, a, lda, t, np, ABL_DLKA_GATE, u_img + p0, pix);
    abl_dlka_proj_tile(c, np, wp, bp, t, np, y, pix, ABL_DLKA_RESIDUAL, io.x + b * io.x_img + p0,
                       pix);
    if (!io.res2)
        return;
    const float *r = io.res2 + b * io.res2_img + p0;
    for (int o = 0; o < c; o++)
#pragma omp simd
        for (int q = 0; q < np; q++)
            y[o * pix + q] += r[o * pix + q];
}

/* The attention's last step: y = proj_2(u * conv1(a1)) + x (+ res2), per
 * tile; wt: conv1.weight, conv1.bias, proj_2.weight, proj_2.bias; t: this
 * thread's c x tile floats. */
static inline void abl_dlka_tail(struct abl_dlka_geom g, const float *const *wt,
                                 struct abl_dlka_io io, const float *u, const float *a1, float *t)
{
    const ptrdiff_t pix = (ptrdiff_t)g.h * g.w, img = g.c * pix;
#pragma omp for schedule(static)
    for (int job = 0; job < g.n * g.ntiles; job++) {
        const int b = job / g.ntiles, p0 = abl_dlka_tile_start(g, job % g.ntiles);
        const int np = abl_dlka_tile_start(g, job % g.ntiles + 1) - p0;
        abl_dlka_tail_tile(g.c, (int)pix, np, wt[0], wt[1], a1 + b * img + p0, pix, wt[2], wt[3],
                           io, u + b * img, b, p0, t);
    }
}

/* Prepared floats of the official attention: its two deformable layers'
 * (abl_dlka_official_prepare). */
static inline ptrdiff_t abl_dlka_official_prep_floats(int c)
{
    return abl_dlka_layer_prep_floats(c, 5) + abl_dlka_layer_prep_floats(c, 7);
}

/* The official attention's weight-only data, once into prep (a kernel's
 * ablate_kernel_prepare; every thread of the enclosing parallel region
 * calls it, whose end publishes it). */
static inline void abl_dlka_official_prepare(struct abl_dlka_geom g, const float *const *w,
                                             float *prep)
{
    float *p1 = prep + abl_dlka_layer_prep_floats(g.c, 5);
    abl_dlka_layer_pack(g, w[2], w[3], w[4], 5, 2, 1, abl_dlka_layer_pk_at(g.c, 5, prep), 0);
    abl_dlka_layer_pack(g, w[5], w[6], w[7], 7, 9, 3, abl_dlka_layer_pk_at(g.c, 7, p1), 0);
}

/* The official attention (MODULES.md 6.2), w: its 12 weight pointers in
 * state_dict order; u, a0, a1: shared n c h w floats each, xcl:
 * abl_dlka_extra_shared_floats; priv: this thread's
 * abl_dlka_priv_floats(c, tile, g.offsets); prep: what abl_dlka_official_prepare
 * made, or NULL to make it in this call.  Every thread of the enclosing
 * parallel region must call it. */
static inline void abl_dlka_official(struct abl_dlka_geom g, const float *const *w,
                                     struct abl_dlka_io io, float *u, float *a0, float *a1,
                                     float *xcl, float *priv, const float *prep, int tile)
{
    const float *p1 = prep ? prep + abl_dlka_layer_prep_floats(g.c, 5) : NULL;
    abl_dlka_head(g, w, io, u);
    abl_dlka_deform_layer(g, w[2], w[3], w[4], 5, 2, 1, u, a0, xcl, priv, prep, tile);
    abl_dlka_deform_layer(g, w[5], w[6], w[7], 7, 9, 3, a0, a1, xcl, priv, p1, tile);
    abl_dlka_tail(g, w + 8, io, u, a1, abl_dlka_priv_at(priv, g.c, tile, g.offsets).ctile);
}

#endif
