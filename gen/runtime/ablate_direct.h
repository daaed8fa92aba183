/* gen/runtime/ablate_direct.h — direct convolution for the stride-1,
 * "same"-padded k x k Convs of the chained blocks (C2f, Bottleneck, Detect,
 * ...), on channels-first (C x H x W) maps, AVX-512 only.
 *
 * Why: im2col + sgemm copies every input pixel k * k times into a column
 * panel and OpenBLAS packs both operands again on every call; at the few
 * dozen channels of YOLOv8's maps those copies cost a large part of the
 * time.  Here nothing is copied: a register block of MR output channels x
 * NV vectors of 16 consecutive output pixels stays in zmm registers over
 * the whole reduction (input channels x taps), reading each tap's input as
 * one unaligned load at a fixed offset from the output pixel (pixel p of
 * the flattened map reads x[p + dy * W + dx]).  The pixels out of the
 * image (padding, the left/right neighbours across a row boundary) are
 * masked off in the load, so vectors run across row ends and no lanes go
 * to waste on narrow maps.  Weights are read in PyTorch's layout
 * (cout, cin, k, k) as broadcasts: MR rows of one block, kept in L1 while
 * the block sweeps the tile's pixels.  Then the block goes to y and gets
 * the chain's fused BN + SiLU epilogue (abl_bn_act_rows, the same code as
 * the gemm path) while it is in L1.
 *
 *   abl_direct_ok    whether a layer can take this path (else: gemm)
 *   abl_direct_tile  output pixels p0 .. p0 + np - 1, all output channels
 *   abl_direct2_ok, abl_direct2_tile  the same for 3 x 3 stride-2 Convs
 *   abl_direct_1x1_run  a 1x1 conv over a run of pixels, any plane strides
 *   abl_s2d_split, abl_direct2s_tile  3 x 3 stride-2 on a space-to-depth
 *                    copy of the input (any output width; the dynamic
 *                    convs make the copy in the pass that takes the means)
 *   abl_s2d_split_rows  the copy of the rows one tile reads (the Conv row:
 *                    each thread copies its own tile's slab)
 *   abl_focus_ok, abl_focus_weights, abl_focus_tile  6 x 6 stride 2 pad 2
 *                    (YOLOv5's stem) as 3 x 3 stride 1 on a space-to-depth copy
 *   abl_conv_direct_ok, abl_conv_direct_tile, abl_conv_direct2s_ok,
 *   abl_conv_s2d_floats, abl_conv_s2d_rows  the Conv row's (and the
 *                    chains' 3x3) direct paths on this build: the AVX-512
 *                    ones above, or on AVX2 abl_direct8_* (8-float vectors,
 *                    4 channels x 3 vectors, copies with zero padding)
 */
#ifndef ABLATE_DIRECT_H
#define ABLATE_DIRECT_H

#include <stddef.h>
#include <string.h>

#include "ablate_gen.h"

enum {
    ABL_DIRECT_MR = 8,     /* output channels of a register block */
    ABL_DIRECT_NV = 3,     /* vectors of 16 pixels of a register block */
    ABL_DIRECT_MAXK = 3,   /* largest kernel size taken */
    ABL_DIRECT_SUB = 1536, /* pixels whose load masks are computed at once */
};

/* The kernel sizes abl_direct_tile is built for (1: 1x1, 2: 3x3, 3: both;
 * 0: neither), defined by a template before this header where its
 * generator knows which layers take the path (gen/chain.lua's
 * g.DIRECT_KS): k is an argument read at run time, so without it every
 * kernel builds both sweeps, and the 3x3 one (nine taps unrolled per
 * register block) is a third of a C2f kernel's build CPU where its 3x3
 * layers run Winograd tiles (docs/contributing.md, z-testtime).  A k that
 * was left out traps.  Not defined: both. */
#ifndef ABL_DIRECT_TILE_KS
#define ABL_DIRECT_TILE_KS 3
#endif
#define ABL_DIRECT_MAY_K1 ((ABL_DIRECT_TILE_KS) & 1)
#define ABL_DIRECT_MAY_K3 ((ABL_DIRECT_TILE_KS) & 2)

/* 1 when a Conv (stride 1, pad k / 2, dilation 1) of `groups` groups with
 * cout outputs can run here on this build. */
static inline int abl_direct_ok(int k, int groups, int cout)
{
#ifdef __AVX512F__
    return groups == 1 && k % 2 == 1 && k <= ABL_DIRECT_MAXK && cout % ABL_DIRECT_MR == 0;
#else
    (void)k, (void)groups, (void)cout;
    return 0;
#endif
}

#ifdef __AVX512F__
/* Load masks of the vectors of 16 pixels starting at p0 (at most `n`
 * pixels after p0): m[v * k * k + tap] has lane l set when pixel
 * q = p0 + 16 v + l is inside the run and its tap (dy, dx) reads inside
 * the h x w image. */
static inline void abl_direct_masks(int h, int w, int k, int p0, int n, __mmask16 *m)
{
    const int pad = k / 2, nvec = (n + 15) / 16;
    for (int v = 0; v < nvec; v++) {
        unsigned rows[ABL_DIRECT_MAXK] = {0}, cols[ABL_DIRECT_MAXK] = {0};
        for (int l = 0; l < 16 && 16 * v + l < n; l++) {
            const int q = p0 + 16 * v + l, y = q / w, x = q % w;
            for (int d = 0; d < k; d++) {
                rows[d] |= (unsigned)(y + d - pad >= 0 && y + d - pad < h) << l;
                cols[d] |= (unsigned)(x + d - pad >= 0 && x + d - pad < w) << l;
            }
        }
        for (int dy = 0; dy < k; dy++)
            for (int dx = 0; dx < k; dx++)
                m[v * k * k + dy * k + dx] = (__mmask16)(rows[dy] & cols[dx]);
    }
}

/* acc[r][v] = 0 for the nv vectors of a register block. */
static inline __attribute__((always_inline)) void abl_direct_zero(__m512 acc[][ABL_DIRECT_NV],
                                                                  const int nv)
{
#pragma GCC unroll 8
    for (int r = 0; r < ABL_DIRECT_MR; r++)
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++)
            acc[r][v] = _mm512_setzero_ps();
}

/* acc[r][v] += w[r * kdim] * xv[v]: one tap of one input channel for the
 * block's MR output channels (weights broadcast, rows kdim apart). */
static inline __attribute__((always_inline)) void
abl_direct_fma(__m512 acc[][ABL_DIRECT_NV], const float *w, ptrdiff_t kdim, const __m512 *xv,
               const int nv)
{
#pragma GCC unroll 8
    for (int r = 0; r < ABL_DIRECT_MR; r++) {
        const __m512 wb = _mm512_set1_ps(w[r * kdim]);
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++)
            acc[r][v] = _mm512_fmadd_ps(wb, xv[v], acc[r][v]);
    }
}

/* One register block: MR output channels from wt (row stride kdim) x nv
 * vectors at pixel p of the flattened map; raw sums to y (row stride ldy),
 * masked by the tap-centre mask (the lanes inside the run). */
static inline __attribute__((always_inline)) void
abl_direct_block(const float *x, ptrdiff_t hw, int cin, const int ntaps, const ptrdiff_t *toff,
                 const __mmask16 *m, const int nv, const float *wt, ptrdiff_t kdim, float *y,
                 ptrdiff_t ldy, int p)
{
    __m512 acc[ABL_DIRECT_MR][ABL_DIRECT_NV];
    abl_direct_zero(acc, nv);
    for (int ic = 0; ic < cin; ic++) {
        const float *xc = x + ic * hw + p, *wc = wt + ic * ntaps;
#pragma GCC unroll 9
        for (int t = 0; t < ntaps; t++) {
            __m512 xv[ABL_DIRECT_NV];
#pragma GCC unroll 3
            for (int v = 0; v < nv; v++)
                xv[v] = _mm512_maskz_loadu_ps(m[v * ntaps + t], xc + toff[t] + 16 * v);
            abl_direct_fma(acc, wc + t, kdim, xv, nv);
        }
    }
    const int centre = ntaps / 2; /* tap (0, 0): its mask is the run's lanes */
#pragma GCC unroll 8
    for (int r = 0; r < ABL_DIRECT_MR; r++)
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++) {
            __mmask16 inside = m[v * ntaps + centre];
            _mm512_mask_storeu_ps(y + r * ldy + p + 16 * v, inside, acc[r][v]);
        }
}

/* The fused epilogue of a register block's rows, y = act(y * scale +
 * shift), run right after the block is stored, while it is in L1. */
struct abl_direct_epi {
    const float *scale, *shift; /* of the block's first output channel */
    int act;
};

/* The register blocks of one output-channel block over pixels p0 .. p0+n-1
 * (n <= ABL_DIRECT_SUB), masks from abl_direct_masks, each followed by its
 * epilogue; ntaps is 1 or 9 at the call so each instance is compiled for
 * its kernel size. */
static inline __attribute__((always_inline)) void
abl_direct_sweep(const float *x, ptrdiff_t hw, int cin, const int ntaps, const ptrdiff_t *toff,
                 const __mmask16 *m, const float *wt, ptrdiff_t kdim, float *y, ptrdiff_t ldy,
                 int p0, int n, struct abl_direct_epi e)
{
    const int step = 16 * ABL_DIRECT_NV;
    for (int t = 0; t < n; t += step) {
        const int left = (n - t + 15) / 16; /* vectors left; the last may be partial: masked */
        const __mmask16 *mt = m + t / 16 * ntaps;
        if (left >= 3)
            abl_direct_block(x, hw, cin, ntaps, toff, mt, 3, wt, kdim, y, ldy, p0 + t);
        else if (left == 2)
            abl_direct_block(x, hw, cin, ntaps, toff, mt, 2, wt, kdim, y, ldy, p0 + t);
        else
            abl_direct_block(x, hw, cin, ntaps, toff, mt, 1, wt, kdim, y, ldy, p0 + t);
        const int np = n - t < step ? n - t : step;
        abl_bn_act_rows(y + p0 + t, ABL_DIRECT_MR, np, ldy, e.scale, e.shift, e.act);
    }
}

/* ---- stride 2 (3 x 3, pad 1): the downsampling Convs of the backbone.
 * Output pixels of one row read every other input column, so a vector of
 * 16 output columns is the even lanes of a 32-float window (two masked
 * loads, one vpermt2ps).  The flat trick of stride 1 does not hold across
 * output rows (the input jumps two rows), so vectors stay within a row:
 * each has its own input and output offset. */
struct abl_direct2_vec {
    ptrdiff_t xoff, yoff; /* window of tap (0, 0) in x; first output in y */
    __mmask32 m[9];       /* per tap: the window lanes inside the image */
    __mmask16 ym;         /* the output lanes of the vector */
};

/* The vectors of output pixels p0 .. p0 + n - 1 (row pieces of at most
 * 16 columns) of an h x w input -> ho x wo output; returns their number. */
static inline int abl_direct2_vectors(int h, int w, int wo, int p0, int n,
                                      struct abl_direct2_vec *vec)
{
    int nv = 0;
    for (int q = p0; q < p0 + n;) {
        const int oy = q / wo, ox = q % wo;
        int c = wo - ox < 16 ? wo - ox : 16;
        c = p0 + n - q < c ? p0 + n - q : c;
        struct abl_direct2_vec *v = &vec[nv++];
        v->xoff = (ptrdiff_t)(2 * oy - 1) * w + 2 * ox - 1;
        v->yoff = q;
        v->ym = (__mmask16)((1u << c) - 1);
        for (int dy = 0; dy < 3; dy++) {
            const int iy = 2 * oy - 1 + dy;
            for (int dx = 0; dx < 3; dx++) {
                uint32_t bits = 0;
                for (int l = 0; l < c && iy >= 0 && iy < h; l++) {
                    const int ix = 2 * (ox + l) - 1 + dx;
                    bits |= (uint32_t)(ix >= 0 && ix < w) << (2 * l);
                }
                v->m[dy * 3 + dx] = (__mmask32)bits;
            }
        }
        q += c;
    }
    return nv;
}

/* One register block of the stride-2 conv: MR output channels x nv of the
 * vectors; sums (no epilogue) to y. */
static inline __attribute__((always_inline)) void
abl_direct2_block(const float *x, ptrdiff_t hw, int cin, const ptrdiff_t *toff,
                  const struct abl_direct2_vec *vec, const int nv, const float *wt, ptrdiff_t kdim,
                  float *y, ptrdiff_t ldy)
{
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    __m512 acc[ABL_DIRECT_MR][ABL_DIRECT_NV];
    abl_direct_zero(acc, nv);
    for (int ic = 0; ic < cin; ic++) {
        const float *xc = x + ic * hw, *wc = wt + ic * 9;
#pragma GCC unroll 9
        for (int t = 0; t < 9; t++) {
            __m512 xv[ABL_DIRECT_NV];
#pragma GCC unroll 3
            for (int v = 0; v < nv; v++) {
                const float *s = xc + vec[v].xoff + toff[t];
                const __mmask32 mk = vec[v].m[t];
                __m512 lo = _mm512_maskz_loadu_ps((__mmask16)mk, s);
                __m512 hi = _mm512_maskz_loadu_ps((__mmask16)(mk >> 16), s + 16);
                xv[v] = _mm512_permutex2var_ps(lo, even, hi);
            }
            abl_direct_fma(acc, wc + t, kdim, xv, nv);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < ABL_DIRECT_MR; r++)
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++)
            _mm512_mask_storeu_ps(y + r * ldy + vec[v].yoff, vec[v].ym, acc[r][v]);
}
#endif

/* 1 when a Conv of stride s, kernel k, pad p, dilation d, groups, cout can
 * take abl_direct2_tile on this build. */
static inline int abl_direct2_ok(int k, int s, int p, int d, int groups, int cout)
{
#ifdef __AVX512F__
    return k == 3 && s == 2 && p == 1 && d == 1 && groups == 1 && cout % ABL_DIRECT_MR == 0;
#else
    (void)k, (void)s, (void)p, (void)d, (void)groups, (void)cout;
    return 0;
#endif
}

/* Output pixels p0 .. p0 + np - 1 (flattened ho x wo), every output
 * channel, of a 3 x 3 stride-2 pad-1 Conv (abl_direct2_ok): x is input
 * channel 0 of the image (cin planes of h x w), y output channel 0 (planes
 * ldy apart), wt the (cout, cin, 3, 3) weights; then y = act(y * scale +
 * shift). */
static inline void abl_direct2_tile(const float *x, int h, int w, int wo, int cin, int cout,
                                    const float *wt, float *y, ptrdiff_t ldy, const float *scale,
                                    const float *shift, int act, int p0, int np)
{
#ifdef __AVX512F__
    enum { SUB_VECS = ABL_DIRECT_SUB / 16 };
    const ptrdiff_t hw = (ptrdiff_t)h * w, kdim = (ptrdiff_t)cin * 9;
    ptrdiff_t toff[9];
    for (int t = 0; t < 9; t++)
        toff[t] = (ptrdiff_t)(t / 3) * w + t % 3;
    struct abl_direct2_vec vec[SUB_VECS];
    /* whole rows when they fit: fewer short vectors */
    const int sub = wo <= ABL_DIRECT_SUB ? ABL_DIRECT_SUB / wo * wo : ABL_DIRECT_SUB;
    for (int s0 = p0; s0 < p0 + np; s0 += sub) {
        const int n = p0 + np - s0 < sub ? p0 + np - s0 : sub;
        const int nvec = abl_direct2_vectors(h, w, wo, s0, n, vec);
        for (int o = 0; o < cout; o += ABL_DIRECT_MR) {
            const float *wo_ = wt + o * kdim;
            float *yo = y + o * ldy;
            for (int v = 0; v < nvec; v += ABL_DIRECT_NV) {
                const int nv = nvec - v < ABL_DIRECT_NV ? nvec - v : ABL_DIRECT_NV;
                if (nv == 3)
                    abl_direct2_block(x, hw, cin, toff, vec + v, 3, wo_, kdim, yo, ldy);
                else if (nv == 2)
                    abl_direct2_block(x, hw, cin, toff, vec + v, 2, wo_, kdim, yo, ldy);
                else
                    abl_direct2_block(x, hw, cin, toff, vec + v, 1, wo_, kdim, yo, ldy);
                /* the block's vectors are consecutive output pixels */
                const ptrdiff_t q0 = vec[v].yoff, q1 = vec[v + nv - 1].yoff +
                                                       __builtin_popcount(vec[v + nv - 1].ym);
                abl_bn_act_rows(yo + q0, ABL_DIRECT_MR, (int)(q1 - q0), ldy, scale + o, shift + o,
                                act);
            }
        }
    }
#else
    (void)x, (void)h, (void)w, (void)wo, (void)cin, (void)cout, (void)wt, (void)y, (void)ldy;
    (void)scale, (void)shift, (void)act, (void)p0, (void)np;
#endif
}

/* Output pixels p0 .. p0 + np - 1, every output channel, of a stride-1
 * k x k Conv with pad k / 2 (abl_direct_ok): x is input channel 0 of the
 * image (cin planes of h x w), y output channel 0 (planes ldy apart),
 * wt the (cout, cin, k, k) weights; then y = act(y * scale + shift). */
static inline void abl_direct_tile(const float *x, int h, int w, int cin, int cout, int k,
                                   const float *wt, float *y, ptrdiff_t ldy, const float *scale,
                                   const float *shift, int act, int p0, int np)
{
#ifdef __AVX512F__
    const ptrdiff_t hw = (ptrdiff_t)h * w, kdim = (ptrdiff_t)cin * k * k;
    const int pad = k / 2;
    ptrdiff_t toff[ABL_DIRECT_MAXK * ABL_DIRECT_MAXK];
    for (int dy = 0; dy < k; dy++)
        for (int dx = 0; dx < k; dx++)
            toff[dy * k + dx] = (ptrdiff_t)(dy - pad) * w + (dx - pad);
    __mmask16 m[ABL_DIRECT_SUB / 16 * ABL_DIRECT_MAXK * ABL_DIRECT_MAXK];
    for (int s0 = p0; s0 < p0 + np; s0 += ABL_DIRECT_SUB) {
        const int n = p0 + np - s0 < ABL_DIRECT_SUB ? p0 + np - s0 : ABL_DIRECT_SUB;
        abl_direct_masks(h, w, k, s0, n, m);
        for (int o = 0; o < cout; o += ABL_DIRECT_MR) {
            const float *wo = wt + o * kdim;
            float *yo = y + o * ldy;
            const struct abl_direct_epi e = {scale + o, shift + o, act};
            if (ABL_DIRECT_MAY_K3 && k == 3)
                abl_direct_sweep(x, hw, cin, 9, toff, m, wo, kdim, yo, ldy, s0, n, e);
            else if (ABL_DIRECT_MAY_K1 && k != 3)
                abl_direct_sweep(x, hw, cin, 1, toff, m, wo, kdim, yo, ldy, s0, n, e);
            else /* ABL_DIRECT_TILE_KS disagrees with the caller's layers */
                __builtin_trap();
        }
    }
#else
    (void)x, (void)h, (void)w, (void)cin, (void)cout, (void)k, (void)wt, (void)y, (void)ldy;
    (void)scale, (void)shift, (void)act, (void)p0, (void)np;
#endif
}

/* A 1x1 conv over a run of np pixels whose input planes are ldx floats
 * apart and output planes ldy (a pixel tile of a wider map, or a private
 * tile): x and y point at channel 0 of the run's first pixel; then
 * y = act(y * scale + shift).  abl_direct_tile's register blocks with one
 * tap; for the 1x1 convs of modules whose tiles are not whole images
 * (deformable_LKA_Attention's projections). */
static inline void abl_direct_1x1_run(const float *x, ptrdiff_t ldx, int cin, int cout,
                                      const float *wt, float *y, ptrdiff_t ldy, const float *scale,
                                      const float *shift, int act, int np)
{
#ifdef __AVX512F__
    const ptrdiff_t toff[1] = {0};
    __mmask16 m[ABL_DIRECT_SUB / 16];
    for (int s0 = 0; s0 < np; s0 += ABL_DIRECT_SUB) {
        const int n = np - s0 < ABL_DIRECT_SUB ? np - s0 : ABL_DIRECT_SUB;
        abl_direct_masks(1, n, 1, 0, n, m); /* one row of n pixels: every lane of the run */
        for (int o = 0; o < cout; o += ABL_DIRECT_MR) {
            const struct abl_direct_epi e = {scale + o, shift + o, act};
            abl_direct_sweep(x + s0, ldx, cin, 1, toff, m, wt + (ptrdiff_t)o * cin, cin,
                             y + s0 + o * ldy, ldy, 0, n, e);
        }
    }
#else
    (void)x, (void)ldx, (void)cin, (void)cout, (void)wt, (void)y, (void)ldy;
    (void)scale, (void)shift, (void)act, (void)np;
#endif
}

/* ---- AVX2 (no AVX-512): the Conv row's 3 x 3 convolutions, 8-float
 * vectors.  With 16 ymm registers the register block is MR8 = 4 output
 * channels x NV8 = 3 vectors of 8 pixels (12 accumulators, 3 input
 * vectors, one broadcast): per tap and input channel 3 loads, 4
 * broadcasts and 12 FMAs, six cycles of Zen 3's two FMA pipes.  AVX2 has
 * no mask registers and its masked load (vmaskmovps) is slow; an AND with
 * a mask per tap costs a register the block does not have (gcc spilled
 * the accumulators).  So every tap reads a copy of the input laid out so
 * that the padding is real zeros and each tap is one plain unaligned load
 * at a fixed offset from the output pixel, vectors running across row
 * ends: at stride 1 three copies of the tile's rows and one above and
 * below, shifted by one column left, none and right (the column that
 * falls off a row end is 0), at stride 2 the space-to-depth copy with a
 * third, shifted plane per row parity (abl_direct8_s2d_rows).  The copies
 * are 3 (stride 1) and 1.5 (stride 2) times the input a tile reads; every
 * output channel block reads them again from L1/L2.  Lanes past the run
 * read at most 7 floats past the copy (the workspace's ABL_DIRECT8_SLACK)
 * and are never stored.  Only the Conv row takes these
 * (abl_conv_direct_ok, abl_conv_direct2s_ok); the other modules that use
 * the AVX-512 paths keep their sgemm fallback on AVX2. */
#if defined(__AVX2__) && defined(__FMA__) && !defined(__AVX512F__)
#define ABL_DIRECT8 1
#else
#define ABL_DIRECT8 0
#endif

/* Floats a workspace holds past an AVX2 copy (see above); 0 elsewhere, so
 * that an AVX-512 build's workspace is the same. */
#define ABL_DIRECT8_SLACK (ABL_DIRECT8 ? 16 : 0)

#if ABL_DIRECT8
#ifndef ABL_DIRECT8_OGROUP
#define ABL_DIRECT8_OGROUP 64 /* output channels that share an input chunk in L1 */
#endif
#ifndef ABL_DIRECT8_ICHUNK
#define ABL_DIRECT8_ICHUNK 8 /* input channels of a chunk of the reduction */
#endif
enum {
    ABL_DIRECT8_MR = 4,  /* output channels of a register block */
    ABL_DIRECT8_NV = 3,  /* vectors of 8 pixels of a register block */
    ABL_DIRECT8_S1 = 1,  /* layout: stride-1 row copies (abl_direct8_s1_rows) */
    ABL_DIRECT8_S2D = 2, /* layout: stride-2 space-to-depth copy (abl_direct8_s2d_rows) */
};

/* The fused epilogue of a register block's rows: y = act(y * scale +
 * shift), on the accumulators before the one store. */
struct abl_direct8_epi {
    const float *scale, *shift; /* of the block's first output channel */
    int act;
};

/* Where tap (dy, dx) of a pixel reads in the copy of one input channel,
 * from the pixel's own position in plane 0: plane[] and row (floats). */
static inline __attribute__((always_inline)) ptrdiff_t
abl_direct8_tap(const int layout, const ptrdiff_t *plane, ptrdiff_t row, const int dy, const int dx)
{
    if (layout == ABL_DIRECT8_S1) /* planes shifted left, none, right; rows around the pixel's */
        return plane[dx] + (dy - 1) * row;
    /* even-row planes (dy = 1) at the pixel, odd-row ones (dy = 0, 2) at the
     * pixel's row and the next; columns: shifted odd, even, odd */
    return plane[(dy == 1 ? 0 : 3) + dx] + (dy == 2 ? row : 0);
}

/* One tap of a full register block (4 channels x 3 vectors): a[r][v] +=
 * w[r kdim] * x[8 v ..], the weights at w, w + kdim, w + 2 kdim and
 * w2 = w + 3 kdim (k4 = 4 kdim bytes).  In asm because gcc 12, given the
 * 16 registers this needs (12 accumulators, 3 input vectors, a
 * broadcast), spilled two accumulators to the stack and reloaded them on
 * every tap (or, without a register barrier, folded each input load into
 * the four FMAs that read it: loads, not FMAs, bound the loop). */
static inline __attribute__((always_inline)) void
abl_direct8_tap43(__m256 a[][ABL_DIRECT8_NV], const float *x, const float *w, const float *w3,
                  ptrdiff_t k4)
{
    /* the input vectors and the broadcast in ymm12-15 (clobbers, not
     * operands: 12 read-write accumulators already count 24 of asm's 30) */
    __asm__("vmovups (%[x]), %%ymm12\n\t"
            "vmovups 32(%[x]), %%ymm13\n\t"
            "vmovups 64(%[x]), %%ymm14\n\t"
            "vbroadcastss (%[w]), %%ymm15\n\t"
            "vfmadd231ps %%ymm12, %%ymm15, %[a00]\n\t"
            "vfmadd231ps %%ymm13, %%ymm15, %[a01]\n\t"
            "vfmadd231ps %%ymm14, %%ymm15, %[a02]\n\t"
            "vbroadcastss (%[w],%[k4],1), %%ymm15\n\t"
            "vfmadd231ps %%ymm12, %%ymm15, %[a10]\n\t"
            "vfmadd231ps %%ymm13, %%ymm15, %[a11]\n\t"
            "vfmadd231ps %%ymm14, %%ymm15, %[a12]\n\t"
            "vbroadcastss (%[w],%[k4],2), %%ymm15\n\t"
            "vfmadd231ps %%ymm12, %%ymm15, %[a20]\n\t"
            "vfmadd231ps %%ymm13, %%ymm15, %[a21]\n\t"
            "vfmadd231ps %%ymm14, %%ymm15, %[a22]\n\t"
            "vbroadcastss (%[w3]), %%ymm15\n\t"
            "vfmadd231ps %%ymm12, %%ymm15, %[a30]\n\t"
            "vfmadd231ps %%ymm13, %%ymm15, %[a31]\n\t"
            "vfmadd231ps %%ymm14, %%ymm15, %[a32]"
            : [a00] "+x"(a[0][0]), [a01] "+x"(a[0][1]), [a02] "+x"(a[0][2]),
              [a10] "+x"(a[1][0]), [a11] "+x"(a[1][1]), [a12] "+x"(a[1][2]),
              [a20] "+x"(a[2][0]), [a21] "+x"(a[2][1]), [a22] "+x"(a[2][2]),
              [a30] "+x"(a[3][0]), [a31] "+x"(a[3][1]), [a32] "+x"(a[3][2])
            : [x] "r"(x), [w] "r"(w), [w3] "r"(w3), [k4] "r"(k4)
            : "xmm12", "xmm13", "xmm14", "xmm15", "memory");
}

/* One register block: MR8 output channels from wt (row stride kdim) x nv
 * vectors from x (the block's first pixel in the copy of its first input
 * channel, channels cs apart; taps where abl_direct8_tap says), over nic
 * input channels; the first n pixels (n > 8 (nv - 1)) of the sums go to y
 * (row stride ldy), added to what y holds unless first. */
static inline __attribute__((always_inline)) void
abl_direct8_block(const float *x, ptrdiff_t cs, int nic, const int layout, const ptrdiff_t *plane,
                  ptrdiff_t row, const int nv, const float *wt, ptrdiff_t kdim, float *y,
                  ptrdiff_t ldy, int n, int first, int last, struct abl_direct8_epi e)
{
    const int tail = n - 8 * (nv - 1); /* lanes of the last vector, 1 .. 8 */
    const __m256i keep = abl_prefix8(tail);
    __m256 acc[ABL_DIRECT8_MR][ABL_DIRECT8_NV];
#pragma GCC unroll 4
    for (int r = 0; r < ABL_DIRECT8_MR; r++)
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++)
            acc[r][v] = first                         ? _mm256_setzero_ps()
                        : v < nv - 1 || tail == 8     ? _mm256_loadu_ps(y + r * ldy + 8 * v)
                                                      : _mm256_maskload_ps(y + r * ldy + 8 * v, keep);
    for (int ic = 0; ic < nic; ic++) {
        const float *xc = x + ic * cs, *wc = wt + ic * 9;
#pragma GCC unroll 9
        for (int t = 0; t < 9; t++) {
            const float *src = xc + abl_direct8_tap(layout, plane, row, t / 3, t % 3);
            if (ABL_DIRECT8_MR == 4 && nv == 3) {
                abl_direct8_tap43(acc, src, wc + t, wc + 3 * kdim + t, 4 * kdim);
                continue;
            }
            __m256 xv[ABL_DIRECT8_NV];
#pragma GCC unroll 3
            for (int v = 0; v < nv; v++) {
                xv[v] = _mm256_loadu_ps(src + 8 * v);
                /* in a register: else gcc folds the load into each of the
                 * MR8 FMAs that read it (MR8 loads a vector, load-bound) */
                __asm__("" : "+x"(xv[v]));
            }
#pragma GCC unroll 4
            for (int r = 0; r < ABL_DIRECT8_MR; r++) {
                const __m256 wb = _mm256_broadcast_ss(wc + r * kdim + t);
#pragma GCC unroll 3
                for (int v = 0; v < nv; v++)
                    acc[r][v] = _mm256_fmadd_ps(wb, xv[v], acc[r][v]);
            }
        }
    }
    if (last) /* the reduction is complete: BN and SiLU (abl_silu8) before the one
               * store; a pass over y after it had been 16 % of a Conv 16 -> 32
               * at 320 x 320 (Zen 3) */
#pragma GCC unroll 4
        for (int r = 0; r < ABL_DIRECT8_MR; r++) {
            const __m256 sc = _mm256_broadcast_ss(e.scale + r), sh = _mm256_broadcast_ss(e.shift + r);
#pragma GCC unroll 3
            for (int v = 0; v < nv; v++) {
                acc[r][v] = _mm256_fmadd_ps(acc[r][v], sc, sh);
                if (e.act)
                    acc[r][v] = abl_silu8(acc[r][v]);
            }
        }
#pragma GCC unroll 4
    for (int r = 0; r < ABL_DIRECT8_MR; r++) {
#pragma GCC unroll 3
        for (int v = 0; v < nv - 1; v++)
            _mm256_storeu_ps(y + r * ldy + 8 * v, acc[r][v]);
        if (tail == 8)
            _mm256_storeu_ps(y + r * ldy + 8 * (nv - 1), acc[r][nv - 1]);
        else /* a run's ragged end: once per run and channel block */
            _mm256_maskstore_ps(y + r * ldy + 8 * (nv - 1), keep, acc[r][nv - 1]);
    }
}

/* The register blocks of every output channel over a run of n pixels; x
 * and y at the run's first pixel.  Blocked for L1 (32 KiB): a group of
 * OGROUP output channels, for each block of pixels, runs the reduction in
 * chunks of ICHUNK input channels (partial sums in y) so that every
 * register block of the group reads a chunk's input (ICHUNK channels x 9
 * taps x 2 cache lines, ~18 KiB) from L1 while the group's weights of the
 * chunk (~9 KiB) stay there too; the last chunk's blocks apply the
 * epilogue before they store.  (Without the chunks, a block read
 * the whole reduction's input from L2 once per output-channel block:
 * 128 input channels were ~150 KiB per block of 24 pixels.) */
static inline __attribute__((always_inline)) void
abl_direct8_sweep(const float *x, ptrdiff_t cs, int cin, int cout, const int layout,
                  const ptrdiff_t *plane, ptrdiff_t row, const float *wt, float *y, ptrdiff_t ldy,
                  const float *scale, const float *shift, int act, int n)
{
    enum { STEP = 8 * ABL_DIRECT8_NV, OGROUP = ABL_DIRECT8_OGROUP, ICHUNK = ABL_DIRECT8_ICHUNK };
    const ptrdiff_t kdim = (ptrdiff_t)cin * 9;
    for (int og = 0; og < cout; og += OGROUP) {
        const int o1 = og + OGROUP < cout ? og + OGROUP : cout;
        for (int t = 0; t < n; t += STEP) {
            const int m = n - t < STEP ? n - t : STEP, nv = (m + 7) / 8;
            for (int c0 = 0; c0 < cin; c0 += ICHUNK) {
                const int nic = cin - c0 < ICHUNK ? cin - c0 : ICHUNK;
                const float *xc = x + c0 * cs + t;
                const int first = c0 == 0, last = c0 + nic == cin;
                for (int o = og; o < o1; o += ABL_DIRECT8_MR) {
                    const float *w_o = wt + o * kdim + c0 * 9;
                    float *y_o = y + o * ldy + t;
                    const struct abl_direct8_epi e = {scale + o, shift + o, act};
                    if (ABL_DIRECT8_NV >= 3 && nv == 3)
                        abl_direct8_block(xc, cs, nic, layout, plane, row, 3, w_o, kdim, y_o, ldy, m,
                                          first, last, e);
                    else if (nv == 2)
                        abl_direct8_block(xc, cs, nic, layout, plane, row, 2, w_o, kdim, y_o, ldy, m,
                                          first, last, e);
                    else
                        abl_direct8_block(xc, cs, nic, layout, plane, row, 1, w_o, kdim, y_o, ldy, m,
                                          first, last, e);
                }
            }
        }
    }
}

/* The three stride-1 copies of output rows i0 .. i1 - 1 and the rows
 * above and below (0 outside the image) of the cin planes of x (h x w):
 * per channel, planes L, C, R of (i1 - i0 + 2) rows, L[j] = row[j - 1],
 * C[j] = row[j], R[j] = row[j + 1] (0 off the row). */
static inline void abl_direct8_s1_rows(const float *x, int h, int w, int cin, int i0, int i1,
                                       float *slab)
{
    const ptrdiff_t pl = (ptrdiff_t)(i1 - i0 + 2) * w;
    for (int c = 0; c < cin; c++)
        for (int r = i0 - 1; r <= i1; r++) {
            float *l = slab + 3 * c * pl + (ptrdiff_t)(r - i0 + 1) * w, *ce = l + pl, *ri = ce + pl;
            if (r < 0 || r >= h) {
                memset(l, 0, sizeof *l * (size_t)w);
                memset(ce, 0, sizeof *l * (size_t)w);
                memset(ri, 0, sizeof *l * (size_t)w);
                continue;
            }
            const float *src = x + ((ptrdiff_t)c * h + r) * w;
            memcpy(ce, src, sizeof *l * (size_t)w);
            l[0] = 0.0f;
            memcpy(l + 1, src, sizeof *l * (size_t)(w - 1));
            memcpy(ri, src + 1, sizeof *l * (size_t)(w - 1));
            ri[w - 1] = 0.0f;
        }
}

#endif

/* 1 when the Conv row's stride-1 "same" Conv can run directly on this
 * build: AVX-512, abl_direct_ok; AVX2, abl_direct8_s1_tile (3 x 3 only,
 * output channels a multiple of 4). */
static inline int abl_conv_direct_ok(int k, int groups, int cout)
{
#if ABL_DIRECT8
    return k == 3 && groups == 1 && cout % ABL_DIRECT8_MR == 0;
#else
    return abl_direct_ok(k, groups, cout);
#endif
}

/* Floats of abl_direct8_s1_tile's copies: rows output rows of a w-wide
 * map, cin channels (0 where the AVX2 path is not built). */
static inline ptrdiff_t abl_direct8_s1_floats(int cin, int rows, int w)
{
    return ABL_DIRECT8 ? (ptrdiff_t)3 * cin * (rows + 2) * w : 0;
}

/* The Conv row's stride-1 3 x 3 pad-1 Conv on AVX2 (abl_conv_direct_ok):
 * output pixels p0 .. p0 + np - 1 of x (cin planes of h x w), every output
 * channel; y output channel 0 (planes ldy apart).  The tile's copies
 * (abl_direct8_s1_rows) go to slab (abl_direct8_s1_floats(cin, rows, w)
 * floats + ABL_DIRECT8_SLACK, rows the most output rows a tile spans). */
static inline void abl_direct8_s1_tile(const float *x, int h, int w, int cin, int cout,
                                       const float *wt, float *y, ptrdiff_t ldy, const float *scale,
                                       const float *shift, int act, int p0, int np, float *slab)
{
#if ABL_DIRECT8
    const int i0 = p0 / w, i1 = (p0 + np - 1) / w + 1; /* the tile's output rows */
    abl_direct8_s1_rows(x, h, w, cin, i0, i1, slab);
    const ptrdiff_t pl = (ptrdiff_t)(i1 - i0 + 2) * w, plane[3] = {0, pl, 2 * pl};
    /* pixel p0 of the map: row 1 of the copy, column p0 - i0 w of it */
    const float *xs = slab + w + (p0 - (ptrdiff_t)i0 * w);
    for (int s0 = 0; s0 < np; s0 += ABL_DIRECT_SUB) {
        const int n = np - s0 < ABL_DIRECT_SUB ? np - s0 : ABL_DIRECT_SUB;
        abl_direct8_sweep(xs + s0, 3 * pl, cin, cout, ABL_DIRECT8_S1, plane, w, wt, y + p0 + s0,
                          ldy, scale, shift, act, n);
    }
#else
    (void)x, (void)h, (void)w, (void)cin, (void)cout, (void)wt, (void)y, (void)ldy;
    (void)scale, (void)shift, (void)act, (void)p0, (void)np, (void)slab;
#endif
}

/* The Conv row's stride-1 direct path (abl_conv_direct_ok): AVX-512,
 * abl_direct_tile (slab unused); AVX2, abl_direct8_s1_tile. */
static inline void abl_conv_direct_tile(const float *x, int h, int w, int cin, int cout, int k,
                                        const float *wt, float *y, ptrdiff_t ldy,
                                        const float *scale, const float *shift, int act, int p0,
                                        int np, float *slab)
{
#if ABL_DIRECT8
    (void)k;
    abl_direct8_s1_tile(x, h, w, cin, cout, wt, y, ldy, scale, shift, act, p0, np, slab);
#else
    (void)slab;
    abl_direct_tile(x, h, w, cin, cout, k, wt, y, ldy, scale, shift, act, p0, np);
#endif
}

/* ---- stride 2 (3 x 3, pad 1) on a space-to-depth copy of the input.
 * abl_direct2_tile keeps vectors within an output row (the input jumps two
 * rows per output row) and de-interleaves every tap with two loads and a
 * permute.  Split once into the four phases of (row, column) parity, each
 * with the output's row length wo,
 *   EE[i][j] = x[2i][2j]       EO[i][j] = x[2i][2j + 1]        i < ho
 *   OE[i][j] = x[2i - 1][2j]   OO[i][j] = x[2i - 1][2j + 1]    i <= ho
 * (out of the image: 0, so the padding rows and columns are real zeros),
 * every tap (dy, dx) of output pixel q = oy * wo + ox is one plane at a
 * fixed offset from q: dy = 1 reads the even-row planes at q, dy = 0 / 2
 * the odd-row planes at q / q + wo; dx = 1 reads the even-column plane at
 * q, dx = 2 the odd one at q, dx = 0 the odd one at q - 1, masked off where
 * ox = 0 (the left padding).  So the stride-1 register block runs as it is:
 * one masked load per tap and vector, and vectors run across row ends,
 * whatever the output width.  The copy is about as large as the input
 * (abl_s2d_floats per channel). */

/* Floats of one channel's space-to-depth copy. */
static inline ptrdiff_t abl_s2d_floats(int ho, int wo) { return (ptrdiff_t)(4 * ho + 2) * wo; }

/* ev[j] = row[2j], od[j] = row[2j + 1] (0 past w, or everywhere when row
 * is NULL: a padding row). */
static inline void abl_s2d_row(const float *row, int w, int wo, float *ev, float *od)
{
    if (!row) {
        memset(ev, 0, sizeof *ev * (size_t)wo);
        memset(od, 0, sizeof *od * (size_t)wo);
        return;
    }
    const int pairs = w / 2 < wo ? w / 2 : wo; /* j with both 2j and 2j + 1 inside */
#pragma omp simd
    for (int j = 0; j < pairs; j++) {
        ev[j] = row[2 * j];
        od[j] = row[2 * j + 1];
    }
    for (int j = pairs; j < wo; j++) {
        ev[j] = 2 * j < w ? row[2 * j] : 0.0f;
        od[j] = 0.0f;
    }
}

/* The space-to-depth copy d of output rows i0 .. i1 - 1 only, laid out as
 * the copy of an (i1 - i0)-row output (abl_s2d_floats(i1 - i0, wo)
 * floats), of one h x w channel plane x, for a 3 x 3 stride-2 pad-1 conv
 * with output width wo: the slab a tile of those rows reads, made by the
 * thread that reads it (no barrier, no other core's cache lines). */
static inline void abl_s2d_split_rows(const float *x, int h, int w, int wo, int i0, int i1,
                                      float *d)
{
    const ptrdiff_t even = (ptrdiff_t)(i1 - i0) * wo, odd = even + wo;
    float *ee = d, *eo = d + even, *oe = d + 2 * even, *oo = d + 2 * even + odd;
    for (int i = i0; i < i1; i++) {
        const int r = 2 * i;
        const ptrdiff_t at = (ptrdiff_t)(i - i0) * wo;
        abl_s2d_row(r < h ? x + (ptrdiff_t)r * w : NULL, w, wo, ee + at, eo + at);
    }
    for (int i = i0; i <= i1; i++) {
        const int r = 2 * i - 1;
        const ptrdiff_t at = (ptrdiff_t)(i - i0) * wo;
        abl_s2d_row(r >= 0 && r < h ? x + (ptrdiff_t)r * w : NULL, w, wo, oe + at, oo + at);
    }
}

/* The space-to-depth copy d (abl_s2d_floats(ho, wo) floats: EE, EO, OE,
 * OO) of one h x w channel plane x, for a 3 x 3 stride-2 pad-1 conv with
 * output ho x wo. */
static inline void abl_s2d_split(const float *x, int h, int w, int ho, int wo, float *d)
{
    abl_s2d_split_rows(x, h, w, wo, 0, ho, d);
}

/* 1 when a Conv of stride s, kernel k, pad p, dilation d, groups, cout can
 * take abl_direct2s_tile on this build (any output size). */
static inline int abl_direct2s_ok(int k, int s, int p, int d, int groups, int cout)
{
    return abl_direct2_ok(k, s, p, d, groups, cout);
}

/* 1 when the Conv row's 3 x 3 stride-2 pad-1 Conv can run directly on this
 * build: AVX-512, abl_direct2s_ok; AVX2, abl_direct2s_tile's 8-float
 * blocks (output channels a multiple of 4). */
static inline int abl_conv_direct2s_ok(int k, int s, int p, int d, int groups, int cout)
{
#if ABL_DIRECT8
    return k == 3 && s == 2 && p == 1 && d == 1 && groups == 1 && cout % ABL_DIRECT8_MR == 0;
#else
    return abl_direct2s_ok(k, s, p, d, groups, cout);
#endif
}

#if ABL_DIRECT8
/* The space-to-depth copy of output rows i0 .. i1 - 1 of one h x w channel
 * plane x (3 x 3 stride 2 pad 1, output width wo), with the odd-column
 * planes also shifted by one column (0 at ox = 0: the left padding):
 *   EOs EE EO  (rows 2i,     i0 <= i < i1)
 *   OOs OE OO  (rows 2i - 1, i0 <= i <= i1)
 * 6 (i1 - i0) + 3 rows of wo floats. */
static inline void abl_direct8_s2d_rows(const float *x, int h, int w, int wo, int i0, int i1,
                                        float *d)
{
    const ptrdiff_t e = (ptrdiff_t)(i1 - i0) * wo, o = e + wo;
    float *p[2][3] = {{d, d + e, d + 2 * e}, {d + 3 * e, d + 3 * e + o, d + 3 * e + 2 * o}};
    /* input rows in order (2 i0 - 1, 2 i0, 2 i0 + 1, ...): one stream
     * for the prefetcher (even rows first, then odd, were two) */
    for (int r = 2 * i0 - 1; r < 2 * i1; r++) {
        const int odd = r & 1, i = (r + odd) / 2;
        const ptrdiff_t at = (ptrdiff_t)(i - i0) * wo;
        float *sh = p[odd][0] + at, *ev = p[odd][1] + at, *od = p[odd][2] + at;
        abl_s2d_row(r >= 0 && r < h ? x + (ptrdiff_t)r * w : NULL, w, wo, ev, od);
        sh[0] = 0.0f;
        memcpy(sh + 1, od, sizeof *sh * (size_t)(wo - 1));
    }
}
/* abl_direct2s_tile on AVX2, on abl_direct8_s2d_rows's copy xs of output
 * rows 0 .. ho - 1 (channels abl_conv_s2d_floats(ho, wo) apart). */
static inline void abl_direct8_s2d_tile(const float *xs, int ho, int wo, int cin, int cout,
                                        const float *wt, float *y, ptrdiff_t ldy,
                                        const float *scale, const float *shift, int act, int p0,
                                        int np)
{
    const ptrdiff_t e = (ptrdiff_t)ho * wo, o = e + wo;
    const ptrdiff_t plane[6] = {0, e, 2 * e, 3 * e, 3 * e + o, 3 * e + 2 * o};
    for (int s0 = p0; s0 < p0 + np; s0 += ABL_DIRECT_SUB) {
        const int n = p0 + np - s0 < ABL_DIRECT_SUB ? p0 + np - s0 : ABL_DIRECT_SUB;
        abl_direct8_sweep(xs + s0, 3 * (e + o), cin, cout, ABL_DIRECT8_S2D, plane, wo, wt, y + s0,
                          ldy, scale, shift, act, n);
    }
}
#endif

/* Floats of one channel's stride-2 copy of ho output rows on this build:
 * abl_s2d_floats, and on AVX2 abl_direct8_s2d_rows's shifted planes. */
static inline ptrdiff_t abl_conv_s2d_floats(int ho, int wo)
{
    return ABL_DIRECT8 ? (ptrdiff_t)(6 * ho + 3) * wo : abl_s2d_floats(ho, wo);
}

/* The Conv row's stride-2 copy of output rows i0 .. i1 - 1 of one channel
 * plane (abl_conv_s2d_floats(i1 - i0, wo) floats): abl_s2d_split_rows, on
 * AVX2 abl_direct8_s2d_rows. */
static inline void abl_conv_s2d_rows(const float *x, int h, int w, int wo, int i0, int i1, float *d)
{
#if ABL_DIRECT8
    abl_direct8_s2d_rows(x, h, w, wo, i0, i1, d);
#else
    abl_s2d_split_rows(x, h, w, wo, i0, i1, d);
#endif
}

#ifdef __AVX512F__
/* Masks of the vectors of output pixels p0 .. p0 + n - 1: run[v] the
 * run's lanes, inner[v] those with ox != 0 (the dx = 0 taps' lanes). */
static inline void abl_direct2s_masks(int wo, int p0, int n, __mmask16 *run, __mmask16 *inner)
{
    for (int v = 0; v < (n + 15) / 16; v++) {
        unsigned r = 0, in = 0;
        for (int l = 0; l < 16 && 16 * v + l < n; l++) {
            r |= 1u << l;
            in |= (unsigned)((p0 + 16 * v + l) % wo != 0) << l;
        }
        run[v] = (__mmask16)r;
        inner[v] = (__mmask16)in;
    }
}

/* One register block on the space-to-depth copy: abl_direct_block with the
 * two masks per vector this layout needs instead of one per tap and
 * vector, so that all of them stay in mask registers over the reduction
 * (27 masks of a 3-vector block did not: gcc reloaded most from the stack
 * on every input channel; 4-7 % slower at 1 thread in a standalone loop). */
static inline __attribute__((always_inline)) void
abl_direct2s_block(const float *x, ptrdiff_t hw, int cin, const ptrdiff_t *toff,
                   const __mmask16 *run, const __mmask16 *inner, const int nv, const float *wt,
                   ptrdiff_t kdim, float *y, ptrdiff_t ldy, int p)
{
    __m512 acc[ABL_DIRECT_MR][ABL_DIRECT_NV];
    __mmask16 mr[ABL_DIRECT_NV], mi[ABL_DIRECT_NV];
#pragma GCC unroll 3
    for (int v = 0; v < nv; v++)
        mr[v] = run[v], mi[v] = inner[v];
    abl_direct_zero(acc, nv);
    for (int ic = 0; ic < cin; ic++) {
        const float *xc = x + ic * hw + p, *wc = wt + ic * 9;
#pragma GCC unroll 9
        for (int t = 0; t < 9; t++) {
            __m512 xv[ABL_DIRECT_NV];
#pragma GCC unroll 3
            for (int v = 0; v < nv; v++)
                xv[v] = _mm512_maskz_loadu_ps(t % 3 == 0 ? mi[v] : mr[v], xc + toff[t] + 16 * v);
            abl_direct_fma(acc, wc + t, kdim, xv, nv);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < ABL_DIRECT_MR; r++)
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++)
            _mm512_mask_storeu_ps(y + r * ldy + p + 16 * v, mr[v], acc[r][v]);
}
#endif

/* Output pixels p0 .. p0 + np - 1 (flattened ho x wo), every output
 * channel, of a 3 x 3 stride-2 pad-1 Conv (abl_direct2s_ok) from xs, the
 * abl_s2d_split copies of its cin input channels (abl_s2d_floats apart);
 * y output channel 0 (planes ldy apart), wt the (cout, cin, 3, 3)
 * weights; then y = act(y * scale + shift). */
static inline void abl_direct2s_tile(const float *xs, int ho, int wo, int cin, int cout,
                                     const float *wt, float *y, ptrdiff_t ldy, const float *scale,
                                     const float *shift, int act, int p0, int np)
{
#ifdef __AVX512F__
    const ptrdiff_t cs = abl_s2d_floats(ho, wo), kdim = (ptrdiff_t)cin * 9;
    const ptrdiff_t even = (ptrdiff_t)ho * wo, odd = (ptrdiff_t)(ho + 1) * wo;
    const ptrdiff_t plane[4] = {0, even, 2 * even, 2 * even + odd}; /* EE EO OE OO */
    ptrdiff_t toff[9];
    for (int dy = 0; dy < 3; dy++)
        for (int dx = 0; dx < 3; dx++)
            toff[dy * 3 + dx] = plane[(dy == 1 ? 0 : 2) + (dx == 1 ? 0 : 1)] + (dy == 2 ? wo : 0) -
                                (dx == 0);
    enum { STEP = 16 * ABL_DIRECT_NV };
    __mmask16 run[ABL_DIRECT_SUB / 16], inner[ABL_DIRECT_SUB / 16];
    for (int s0 = p0; s0 < p0 + np; s0 += ABL_DIRECT_SUB) {
        const int n = p0 + np - s0 < ABL_DIRECT_SUB ? p0 + np - s0 : ABL_DIRECT_SUB;
        abl_direct2s_masks(wo, s0, n, run, inner);
        for (int o = 0; o < cout; o += ABL_DIRECT_MR) {
            const float *w_o = wt + o * kdim;
            float *y_o = y + o * ldy;
            for (int t = 0; t < n; t += STEP) {
                const int left = (n - t + 15) / 16, v = t / 16; /* the last may be partial */
                if (left >= 3)
                    abl_direct2s_block(xs, cs, cin, toff, run + v, inner + v, 3, w_o, kdim, y_o, ldy,
                                       s0 + t);
                else if (left == 2)
                    abl_direct2s_block(xs, cs, cin, toff, run + v, inner + v, 2, w_o, kdim, y_o, ldy,
                                       s0 + t);
                else
                    abl_direct2s_block(xs, cs, cin, toff, run + v, inner + v, 1, w_o, kdim, y_o, ldy,
                                       s0 + t);
                abl_bn_act_rows(y_o + s0 + t, ABL_DIRECT_MR, n - t < STEP ? n - t : STEP, ldy,
                                scale + o, shift + o, act);
            }
        }
    }
#elif ABL_DIRECT8
    abl_direct8_s2d_tile(xs, ho, wo, cin, cout, wt, y, ldy, scale, shift, act, p0, np);
#else
    (void)xs, (void)ho, (void)wo, (void)cin, (void)cout, (void)wt, (void)y, (void)ldy;
    (void)scale, (void)shift, (void)act, (void)p0, (void)np;
#endif
}

/* ---- 6 x 6 stride 2 pad 2 (YOLOv5's stem Conv, 3 -> 16 at 640 x 640) as
 * a 3 x 3 stride-1 pad-1 conv on the space-to-depth copy S of its input:
 *   S[4c + 2py + px][i][j] = x[c][2i + py][2j + px]
 * Output (oy, ox) reads input rows 2oy - 2 .. 2oy + 3, which are S rows
 * oy - 1 .. oy + 1 (tap ty, parity py: row 2 (oy - 1 + ty) + py), and the
 * same for columns; so with the weights
 *   wf[o][4c + 2py + px][ty][tx] = w[o][c][2ty + py][2tx + px]
 * abl_direct_tile's register blocks run as they are, on 4 cin channels,
 * where im2col + sgemm copied every input pixel nine times into a panel
 * and ran an M = 16 sgemm (35-37 % of the sgemm roof on the Intel Xeon,
 * docs/baseline.md).  The padding of 2 is S's padding of 1, so the masks
 * are the stride-1 ones.  Even h and w only: S's grid is then the output's
 * (YOLO sizes are multiples of 32; other sizes take the gemm path). */

/* 1 when a Conv of kernel k, stride s, pad p, dilation d, groups, cout on
 * an h x w input can take abl_focus_tile on this build. */
static inline int abl_focus_ok(int k, int s, int p, int d, int groups, int cout, int h, int w)
{
#ifdef __AVX512F__
    return k == 6 && s == 2 && p == 2 && d == 1 && groups == 1 && cout % ABL_DIRECT_MR == 0 &&
           h % 2 == 0 && w % 2 == 0;
#else
    (void)k, (void)s, (void)p, (void)d, (void)groups, (void)cout, (void)h, (void)w;
    return 0;
#endif
}

/* wf (cout x 4 cin x 3 x 3, abl_direct_tile's layout) from the Conv's
 * (cout, cin, 6, 6) weights wt. */
static inline void abl_focus_weights(int cout, int cin, const float *wt, float *wf)
{
    for (int o = 0; o < cout; o++)
        for (int c = 0; c < cin; c++)
            for (int py = 0; py < 2; py++)
                for (int px = 0; px < 2; px++)
                    for (int ty = 0; ty < 3; ty++)
                        for (int tx = 0; tx < 3; tx++)
                            wf[(((ptrdiff_t)o * 4 * cin + 4 * c + 2 * py + px) * 3 + ty) * 3 + tx] =
                                wt[(((ptrdiff_t)o * cin + c) * 6 + 2 * ty + py) * 6 + 2 * tx + px];
}

/* Floats of the copy of `rows` rows of S (4 cin planes of rows x w / 2). */
static inline ptrdiff_t abl_focus_floats(int cin, int rows, int w)
{
    return (ptrdiff_t)4 * cin * rows * (w / 2);
}

/* Rows r0 .. r1 - 1 of S from the cin planes of x (h x w), planes
 * (r1 - r0) x w / 2 apart. */
static inline void abl_focus_rows(const float *x, int cin, int h, int w, int r0, int r1, float *s)
{
    const int wo = w / 2;
    const ptrdiff_t plane = (ptrdiff_t)(r1 - r0) * wo;
    for (int c = 0; c < cin; c++)
        for (int py = 0; py < 2; py++) {
            float *ev = s + (4 * c + 2 * py) * plane, *od = ev + plane;
            for (int i = r0; i < r1; i++)
                abl_s2d_row(x + ((ptrdiff_t)c * h + 2 * i + py) * w, w, wo,
                            ev + (ptrdiff_t)(i - r0) * wo, od + (ptrdiff_t)(i - r0) * wo);
        }
}

/* Output pixels p0 .. p0 + np - 1 (flattened h/2 x w/2) of a 6 x 6
 * stride-2 pad-2 Conv (abl_focus_ok) on x (cin planes of h x w), every
 * output channel, y output channel 0 (planes ldy apart), wf from
 * abl_focus_weights; slab: abl_focus_floats(cin, rows + 2, w) floats,
 * rows the most output rows the tile spans.  The tile's S rows and the
 * one above and below (those inside the image: the masks take the
 * padding) are copied into slab and run as an image of those rows. */
static inline void abl_focus_tile(const float *x, int cin, int h, int w, int cout, const float *wf,
                                  float *y, ptrdiff_t ldy, const float *scale, const float *shift,
                                  int act, int p0, int np, float *slab)
{
    const int ho = h / 2, wo = w / 2;
    const int i0 = p0 / wo, i1 = (p0 + np - 1) / wo + 1; /* the tile's output rows */
    const int r0 = i0 > 0 ? i0 - 1 : 0, r1 = i1 < ho ? i1 + 1 : ho;
    abl_focus_rows(x, cin, h, w, r0, r1, slab);
    abl_direct_tile(slab, r1 - r0, wo, 4 * cin, cout, 3, wf, y + (ptrdiff_t)r0 * wo, ldy, scale,
                    shift, act, p0 - r0 * wo, np);
}

#endif
