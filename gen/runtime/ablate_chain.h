/* gen/runtime/ablate_chain.h — a chain of stride-1 ultralytics Convs
 * (Conv2d + BN + SiLU, "same" padding) run layer by layer with the Conv
 * baseline's schedule: per pixel tile, im2col (skipped for 1x1) + one
 * single-threaded sgemm + fused BN+SiLU epilogue (ablate_gen.h).  Used by
 * the Bottleneck and C2f kernels (templates/chain_gemm.c.in), so composed
 * baselines cost what their Convs cost with the same tiling, and nothing
 * new is measured but the chaining itself.
 *
 * Every tensor of the chain is one image's channels laid out C x H x W, so a
 * channel slice of a buffer (C2f's chunks, its concat) is a pointer offset:
 * layers read and write slices in place, and concat costs nothing. */
#ifndef ABLATE_CHAIN_H
#define ABLATE_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "ablate_direct.h"
#include "ablate_winograd4.h"
#include "ablate_gen.h"

/* The Winograd tiles a kernel's layer table can select (1: F(2x2, 3x3),
 * 2: F(4x4, 3x3), 0: neither), defined by its template before this header
 * (gen/chain.lua's g.WINO_TILES): which one a layer runs is L->f4, read at
 * run time, so without it every kernel builds both tiles and their weight
 * transforms (a third of an SPPF kernel's build CPU, a sixth of a C2f
 * one's).  A layer whose tile was left out traps.  Not defined: both. */
#ifndef ABL_CHAIN_WINO_TILES
#define ABL_CHAIN_WINO_TILES 3
#endif
#define ABL_CHAIN_MAY_WINO2 ((ABL_CHAIN_WINO_TILES) & 1)
#define ABL_CHAIN_MAY_WINO4 ((ABL_CHAIN_WINO_TILES) & 2)

/* Whether a layer of the table takes abl_chain_tile's im2col + sgemm path
 * on an AVX-512 build, i.e. is neither Winograd nor abl_direct_ok
 * (gen/chain.lua's g.CHAIN_GEMM, defined by the template): 0 leaves that
 * path (im2col, the BN + SiLU epilogue) out, 10-15 % of a C2f, C3 or
 * Bottleneck kernel's build CPU; a layer that would still take it traps.
 * Not defined: 1.  Without AVX-512 every layer takes it. */
#ifndef ABL_CHAIN_GEMM
#define ABL_CHAIN_GEMM 1
#endif
#ifdef __AVX512F__
#define ABL_CHAIN_MAY_GEMM (ABL_CHAIN_GEMM)
#else
#define ABL_CHAIN_MAY_GEMM 1
#endif

/* A slice of one of the chain's buffers: channels c0 .. of a buffer holding
 * `c` channels per image. */
struct abl_slice {
    int buf; /* index into the kernel's buffer table: x, y, intermediates */
    int c, c0;
};

struct abl_chain_layer {
    int cin, cout, k, groups, act;
    int w_index;        /* conv.weight in w[]; the BN tensors follow it */
    int bn_off;         /* this layer's scale in the per-thread BN region */
    struct abl_slice src, dst;
    int has_res;        /* dst += res after the epilogue (Bottleneck add) */
    struct abl_slice res;
    int wino;           /* buffer of the Winograd weights (0: not Winograd) */
    ptrdiff_t u_off;    /* this layer's U in that buffer */
    int f4;             /* 1: F(4x4, 3x3) (ablate_winograd4.h), 0: F(2x2, 3x3) */
};

/* Per-image start of a slice in image b. */
static inline float *abl_slice_at(float *const *bufs, struct abl_slice s, int b, ptrdiff_t hw)
{
    return bufs[s.buf] + ((ptrdiff_t)b * s.c + s.c0) * hw;
}

/* y[o][t] += r[o][t] for cout_g planes hw apart, np pixels each.  Out of
 * line: abl_chain_tile has three exits (Winograd, direct, gemm), and
 * inlined into each, this vectorised loop was 10-15 % of a chain kernel's
 * statements after optimisation (Detect, which has no shortcut, too); one
 * call per tile and layer costs nothing beside the tile's convolution. */
static __attribute__((noinline, unused)) void abl_chain_add_rows(float *y, const float *r,
                                                                 ptrdiff_t hw, int cout_g, int np)
{
    for (int o = 0; o < cout_g; o++) {
#pragma omp simd
        for (int t = 0; t < np; t++)
            y[o * hw + t] += r[o * hw + t];
    }
}

/* The Bottleneck shortcut of a tile y (output pixels p0 .., group grp). */
static inline void abl_chain_add_res(const struct abl_chain_layer *L, float *const *bufs,
                                     ptrdiff_t hw, int b, int grp, int cout_g, int p0, int np,
                                     float *y)
{
    if (!L->has_res)
        return;
    const float *r = abl_slice_at(bufs, L->res, b, hw) + (ptrdiff_t)grp * cout_g * hw + p0;
    abl_chain_add_rows(y, r, hw, cout_g, np);
}

/* The Winograd weights of every layer that has them, shared work of the
 * calling OpenMP team (one job per block of output channels); the omp for
 * ends in a barrier, so they are ready for every thread after it. */
static inline void abl_chain_wino_weights(const struct abl_chain_layer *layers, int nlayers,
                                          const float *const *w, float *const *bufs)
{
    int jobs = 0;
    for (int l = 0; l < nlayers; l++)
        if (layers[l].wino && abl_wino_ok(layers[l].k, layers[l].groups, layers[l].cout))
            jobs += layers[l].cout / ABL_WINO_MR;
#pragma omp for schedule(static)
    for (int job = 0; job < jobs; job++) {
        int l = 0, j = job;
        for (;; l++) { /* the job's layer: skip the blocks of the ones before */
            const struct abl_chain_layer *L = &layers[l];
            if (!L->wino || !abl_wino_ok(L->k, L->groups, L->cout))
                continue;
            if (j < L->cout / ABL_WINO_MR)
                break;
            j -= L->cout / ABL_WINO_MR;
        }
#ifdef __AVX512F__
        const struct abl_chain_layer *L = &layers[l];
        if (ABL_CHAIN_MAY_WINO4 && L->f4)
            abl_wino4_weights(w[L->w_index], L->cin, L->cout, bufs[L->wino] + L->u_off,
                              j * ABL_WINO_MR, (j + 1) * ABL_WINO_MR);
        else if (ABL_CHAIN_MAY_WINO2 && !L->f4)
            abl_wino_weights(w[L->w_index], L->cin, L->cout, bufs[L->wino] + L->u_off,
                             j * ABL_WINO_MR, (j + 1) * ABL_WINO_MR);
        else /* ABL_CHAIN_WINO_TILES disagrees with the layer table */
            __builtin_trap();
#endif
    }
}

/* Output pixels p0 .. p0 + np - 1 of image b, group grp of layer L.
 * col: a KDIM x np panel of the thread's workspace (unused for 1x1; the
 * Winograd path's scratch, abl_wino_scratch(cin) or abl_wino4_scratch(cin)
 * floats). */
static inline void abl_chain_tile(const struct abl_chain_layer *L, const float *const *w,
                                  float *const *bufs, int h, int wd, const float *scale,
                                  const float *shift, float *col, int b, int grp, int p0, int np)
{
    const ptrdiff_t hw = (ptrdiff_t)h * wd;
    const int cin_g = L->cin / L->groups, cout_g = L->cout / L->groups;
    const int kdim = cin_g * L->k * L->k;
    const float *x = abl_slice_at(bufs, L->src, b, hw) + (ptrdiff_t)grp * cin_g * hw;
    float *y = abl_slice_at(bufs, L->dst, b, hw) + (ptrdiff_t)grp * cout_g * hw + p0;
    const float *wt = w[L->w_index] + (ptrdiff_t)grp * cout_g * kdim;
    if (L->wino && abl_wino_ok(L->k, L->groups, L->cout)) { /* AVX-512, 3x3: 2.25x / 4x fewer FMAs */
        if (ABL_CHAIN_MAY_WINO4 && L->f4)
            abl_wino4_tile(x, h, wd, cin_g, cout_g, bufs[L->wino] + L->u_off, y - p0, hw, scale,
                           shift, L->act, p0, np, col);
        else if (ABL_CHAIN_MAY_WINO2 && !L->f4)
            abl_wino_tile(x, h, wd, cin_g, cout_g, bufs[L->wino] + L->u_off, y - p0, hw, scale,
                          shift, L->act, p0, np, col);
        else /* ABL_CHAIN_WINO_TILES disagrees with the layer table */
            __builtin_trap();
        abl_chain_add_res(L, bufs, hw, b, grp, cout_g, p0, np, y);
        return;
    }
    if (abl_direct_ok(L->k, L->groups, L->cout)) { /* AVX-512: no im2col, no packing */
        abl_direct_tile(x, h, wd, cin_g, cout_g, L->k, wt, y - p0, hw, scale, shift, L->act, p0,
                        np);
        abl_chain_add_res(L, bufs, hw, b, grp, cout_g, p0, np, y);
        return;
    }
#if ABL_DIRECT8
    /* AVX2, 3x3: the Conv row's direct path (abl_direct8_s1_tile), its
     * shifted row copies in col when they fit (the panel holds KDIM x np
     * floats; the copies about 3 cin x (np + 3 w)) */
    if (col && L->k == 3 && abl_conv_direct_ok(3, L->groups, L->cout) &&
        abl_direct8_s1_floats(cin_g, (np - 1) / wd + 2, wd) + ABL_DIRECT8_SLACK <=
            (ptrdiff_t)kdim * np) {
        abl_direct8_s1_tile(x, h, wd, cin_g, cout_g, wt, y - p0, hw, scale, shift, L->act, p0, np,
                            col);
        abl_chain_add_res(L, bufs, hw, b, grp, cout_g, p0, np, y);
        return;
    }
#endif
    if (!ABL_CHAIN_MAY_GEMM) /* ABL_CHAIN_GEMM disagrees with the layer table */
        __builtin_trap();
    const float *b_op = x + p0;
    ptrdiff_t ldb = hw;
    if (L->k != 1) { /* 1x1 stride 1: x already is the column panel */
        const int pad = L->k / 2;
        const struct abl_conv_geom g = {cin_g, h, wd, L->k, L->k, 1, 1, pad, pad, 1, 1, h, wd};
        abl_im2col_tile(g, x, p0, np, col, np);
        b_op = col;
        ldb = np;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cout_g, np, kdim, 1.0f, wt, kdim, b_op,
                (int)ldb, 0.0f, y, (int)hw);
    abl_bn_act_rows(y, cout_g, np, hw, scale + grp * cout_g, shift + grp * cout_g, L->act);
    abl_chain_add_res(L, bufs, hw, b, grp, cout_g, p0, np, y);
}

/* 1 when layers *l[0 .. nl - 1] can run as abl_chain_1x1_tile on this
 * build: 1x1, one group, outputs in blocks of ABL_DIRECT_MR, no shortcut,
 * all reading the same input slice (C3's cv1 and cv2 both read x). */
static inline int abl_chain_1x1_ok(const struct abl_chain_layer *const *l, int nl)
{
    for (int i = 0; i < nl; i++)
        if (l[i]->k != 1 || l[i]->wino || l[i]->has_res || !abl_direct_ok(1, l[i]->groups, l[i]->cout) ||
            l[i]->src.buf != l[0]->src.buf || l[i]->src.c != l[0]->src.c ||
            l[i]->src.c0 != l[0]->src.c0 || l[i]->cin != l[0]->cin)
            return 0;
    return nl > 0;
}

#ifdef __AVX512F__
/* xp[c][0 .. 47] = x[c * hw + 0 .. 47] for c < cin (nv vectors, lanes
 * masked by m). */
static inline void abl_chain_pack48(const float *x, ptrdiff_t hw, int cin, const __mmask16 *m, int nv,
                                    float *xp)
{
    for (int c = 0; c < cin; c++)
        for (int v = 0; v < nv; v++)
            _mm512_store_ps(xp + c * 48 + 16 * v, _mm512_maskz_loadu_ps(m[v], x + c * hw + 16 * v));
}
#endif

/* Output pixels p0 .. p0 + np - 1 of image b of the 1x1 layers *l[0 .. nl-1]
 * (abl_chain_1x1_ok): the same register blocks, sums and epilogue as
 * abl_chain_tile's direct path, so the same bits, in another order: for
 * each block of 48 pixels, its input column is copied to a contiguous
 * 48 x cin panel (in L1), then every output block of every layer reads it.
 * Why: the direct path sweeps a whole tile per block of 8 outputs, so at
 * 128 input channels it reads the tile's input (128 planes 25 KB apart,
 * all in 4 of L1's 64 sets) 4 times per layer from L2 or, the first time,
 * from L3; here each input float is fetched once and the 8 output blocks
 * of cv1 and cv2 find it in L1.
 * bn: the thread's BN region (scale at L->bn_off, shift half floats on). */
static inline void abl_chain_1x1_tile(const struct abl_chain_layer *const *l, int nl, const float *const *w,
                                      float *const *bufs, ptrdiff_t hw, const float *bn,
                                      ptrdiff_t half, int b, int p0, int np)
{
#ifdef __AVX512F__
    enum { STEP = 16 * ABL_DIRECT_NV, XP_MAX = 256 };
    const ptrdiff_t toff[1] = {0};
    const float *x = abl_slice_at(bufs, l[0]->src, b, hw);
    const int cin = l[0]->cin;
    _Alignas(64) float xp[XP_MAX * STEP];
    __mmask16 m[ABL_DIRECT_SUB / 16];
    const int pack = cin <= XP_MAX;
    for (int s0 = p0; s0 < p0 + np; s0 += ABL_DIRECT_SUB) {
        const int n = p0 + np - s0 < ABL_DIRECT_SUB ? p0 + np - s0 : ABL_DIRECT_SUB;
        abl_direct_masks(1, n, 1, 0, n, m); /* one row of n pixels: every lane of the run */
        for (int t = 0; t < n; t += STEP) {
            const int nt = n - t < STEP ? n - t : STEP, nv = (nt + 15) / 16;
            if (pack)
                abl_chain_pack48(x + s0 + t, hw, cin, m + t / 16, nv, xp);
            for (int i = 0; i < nl; i++) {
                const struct abl_chain_layer *L = l[i];
                float *y = abl_slice_at(bufs, L->dst, b, hw) + s0 + t;
                for (int o = 0; o < L->cout; o += ABL_DIRECT_MR) {
                    const float *wo = w[L->w_index] + (ptrdiff_t)o * cin;
                    float *yo = y + o * hw;
                    if (!pack)
                        abl_direct_block(x + s0 + t, hw, cin, 1, toff, m + t / 16, nv, wo, cin, yo, hw, 0);
                    else if (nv == 3)
                        abl_direct_block(xp, STEP, cin, 1, toff, m + t / 16, 3, wo, cin, yo, hw, 0);
                    else if (nv == 2)
                        abl_direct_block(xp, STEP, cin, 1, toff, m + t / 16, 2, wo, cin, yo, hw, 0);
                    else
                        abl_direct_block(xp, STEP, cin, 1, toff, m + t / 16, 1, wo, cin, yo, hw, 0);
                    abl_bn_act_rows(yo, ABL_DIRECT_MR, nt, hw, bn + L->bn_off + o,
                                    bn + half + L->bn_off + o, L->act);
                }
            }
        }
    }
#else
    (void)l, (void)nl, (void)w, (void)bufs, (void)hw, (void)bn, (void)half, (void)b, (void)p0, (void)np;
#endif
}

/* abl_chain_1x1_tile over n images of pix pixels, ntiles tiles each, as
 * shared work of the calling OpenMP team (the templates' run_layer splits
 * a 1x1 layer the same way); the omp for ends in a barrier. */
static inline void abl_chain_1x1_run(const struct abl_chain_layer *const *l, int nl, const float *const *w,
                                     float *const *bufs, const float *bn, ptrdiff_t half, int n, int pix,
                                     int ntiles)
{
    const int jobs = n * ntiles;
#pragma omp for schedule(static)
    for (int job = 0; job < jobs; job++) {
        const int tile = job % ntiles, b = job / ntiles;
        const int p0 = (int)((int64_t)tile * pix / ntiles);
        const int p1 = (int)((int64_t)(tile + 1) * pix / ntiles);
        abl_chain_1x1_tile(l, nl, w, bufs, pix, bn, half, b, p0, p1 - p0);
    }
}

#endif
