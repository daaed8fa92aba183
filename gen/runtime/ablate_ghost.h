/* gen/runtime/ablate_ghost.h — one ParameterNet GhostModule (MODULES.md
 * 5.5) as a stage of a generated kernel, run by every thread of the
 * caller's OpenMP region (orphaned `omp for` / `omp single`, each ending in
 * a barrier).  Used by templates/ghost_gemm.c.in (the module alone) and
 * templates/c2f_ghost_gemm.c.in (n of them between two chained Convs).
 *
 *   x1  = act(BN(DynamicConv(x; inp -> init, k, stride, pad k / 2)))
 *   x2  = act(BN(DynamicConv(x1; init -> new, dw, 1, pad dw / 2, groups init)))
 *   out = concat(x1, x2)[:, :oup]
 *
 * Where the data goes: the output slice `y` holds oup channels per image;
 * the primary conv writes x1 straight into its first `init` channels (init
 * <= oup always), the cheap operation reads x1 there and writes the
 * `keep = oup - init` channels that survive the slice after it.  So the
 * concat and the slice move no data, and a channel the slice drops (odd oup)
 * is never computed.
 *
 * Per sample, each DynamicConv's E expert kernels are mixed once (a dynamic
 * kernel costs E x its size per sample, not per pixel).  The primary conv
 * is then the Conv baseline's schedule: pixel tiles, im2col unless 1x1
 * stride 1, one single-threaded sgemm per tile, BN+ReLU fused on the tile.
 * The cheap operation is depthwise-like (one input channel per ratio - 1
 * outputs, where a GEMM would have M = ratio - 1): a direct dw x dw loop per
 * output plane, vectorised over the row, BN+ReLU fused per row. */
#ifndef ABLATE_GHOST_H
#define ABLATE_GHOST_H

#include <stddef.h>

#include "ablate_dynconv.h"
#include "ablate_gen.h"

/* One GhostModule stage.  Offsets are into the shared scratch (floats). */
struct abl_ghost {
    int n, inp, h, w;     /* input: n x inp x h x w */
    int init, keep;       /* primary channels; cheap channels kept by the slice */
    int per_in;           /* ratio - 1: cheap outputs per primary channel */
    int k, stride, ho, wo, dw, experts, relu;
    int tile;             /* widest primary-conv tile, pixels */
    int w_index;          /* primary_conv.0.routing.weight in w[]; 15 entries follow */
    ptrdiff_t mean1, coef1, mix1, bn1, mean2, coef2, bn2; /* scratch offsets */
};

/* w[] entries after w_index (GhostModule's state_dict order). */
enum {
    ABL_GH_R1 = 0, ABL_GH_R1B = 1, ABL_GH_K1 = 2, ABL_GH_BN1 = 3, /* 4 floats: g, b, mean, var */
    ABL_GH_R2 = 8, ABL_GH_R2B = 9, ABL_GH_K2 = 10, ABL_GH_BN2 = 11,
};

/* y = act(y * scale + shift) over `rows` rows of np values (ldy apart). */
static inline void abl_bn_relu_rows(float *y, int rows, int np, ptrdiff_t ldy, const float *scale,
                                    const float *shift, int relu)
{
    for (int r = 0; r < rows; r++) {
        float *row = y + r * ldy;
        const float sc = scale[r], sh = shift[r];
        if (relu) {
#pragma omp simd
            for (int t = 0; t < np; t++) {
                const float v = row[t] * sc + sh;
                row[t] = v > 0.0f ? v : 0.0f;
            }
        } else {
#pragma omp simd
            for (int t = 0; t < np; t++)
                row[t] = row[t] * sc + sh;
        }
    }
}

/* Tiles per image: none wider than G->tile, then more until the n x tiles
 * jobs divide evenly among the threads (as the Conv baseline). */
static inline int abl_ghost_tiles(const struct abl_ghost *G, int nthreads)
{
    const int pix = G->ho * G->wo, ntiles = (pix + G->tile - 1) / G->tile;
    for (int t = ntiles; t <= ntiles * nthreads && t <= pix; t++)
        if (G->n * t % nthreads == 0)
            return t;
    return ntiles;
}

/* Primary conv, output pixels p0 .. p0 + np - 1 of image b: sgemm with the
 * mixed kernel, BN+ReLU on the tile.  col: this thread's k*k*inp x tile panel. */
static inline void abl_ghost_primary_tile(const struct abl_ghost *G, const float *sh,
                                          const float *xb, float *yb, float *col, int b, int p0,
                                          int np)
{
    const int kdim = G->inp * G->k * G->k, pix = G->ho * G->wo;
    const float *panel = xb + p0;
    ptrdiff_t ldb = (ptrdiff_t)G->h * G->w;
    if (!(G->k == 1 && G->stride == 1)) {
        const struct abl_conv_geom g = {G->inp, G->h, G->w, G->k, G->k, G->stride, G->stride,
                                        G->k / 2, G->k / 2, 1, 1, G->ho, G->wo};
        abl_im2col_tile(g, xb, p0, np, col, np);
        panel = col;
        ldb = np;
    }
    const float *wmix = sh + G->mix1 + (ptrdiff_t)b * G->init * kdim;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, G->init, np, kdim, 1.0f, wmix, kdim,
                panel, (int)ldb, 0.0f, yb + p0, pix);
    abl_bn_relu_rows(yb + p0, G->init, np, pix, sh + G->bn1, sh + G->bn1 + G->init, G->relu);
}

/* Cheap output plane: a dw x dw conv (stride 1, pad dw / 2) of one x1 plane
 * with kernel wk, then BN+ReLU (sc, sf), row by row while in cache.  Each
 * tap adds a shifted input row to the output row; abl_valid_cols gives the
 * columns whose input lies inside the map. */
static inline void abl_ghost_cheap_plane(const struct abl_ghost *G, const float *src,
                                         const float *wk, float sc, float sf, float *dst)
{
    const int h = G->ho, w = G->wo, dw = G->dw, pad = dw / 2;
    for (int oy = 0; oy < h; oy++) {
        float *row = dst + (ptrdiff_t)oy * w;
        for (int ox = 0; ox < w; ox++)
            row[ox] = 0.0f;
        for (int u = 0; u < dw; u++) {
            const int iy = oy - pad + u;
            if (iy < 0 || iy >= h)
                continue;
            const float *in = src + (ptrdiff_t)iy * w;
            for (int v = 0; v < dw; v++) {
                int lo, hi;
                abl_valid_cols(w, 1, pad, v, w, &lo, &hi);
                const float wv = wk[u * dw + v];
                const int shift = v - pad;
#pragma omp simd
                for (int ox = lo; ox < hi; ox++)
                    row[ox] += wv * in[ox + shift];
            }
        }
        abl_bn_relu_rows(row, 1, w, 0, &sc, &sf, G->relu);
    }
}

/* The whole module: x (image stride x_img floats) -> y (image stride y_img,
 * oup channels from y).  sh: shared scratch; col: this thread's region,
 * max(im2col panel, dw * dw) floats: the primary conv's panel, then (free
 * again) the mixed kernel of the cheap plane being computed.
 * Call from every thread of the region; returns after a barrier. */
static inline void abl_ghost_stage(const struct abl_ghost *G, const float *const *w,
                                   const float *x, ptrdiff_t x_img, float *y, ptrdiff_t y_img,
                                   float *sh, float *col, int nthreads, double eps)
{
    const float *const *gw = w + G->w_index;
    const ptrdiff_t hw_in = (ptrdiff_t)G->h * G->w, pix = (ptrdiff_t)G->ho * G->wo;
    const int kdim = G->inp * G->k * G->k, dw2 = G->dw * G->dw, E = G->experts;
    const int ntiles = abl_ghost_tiles(G, nthreads);
#pragma omp for schedule(static)
    for (int bc = 0; bc < G->n * G->inp; bc++)
        sh[G->mean1 + bc] = abl_plane_mean(x + bc / G->inp * x_img + bc % G->inp * hw_in, hw_in);
#pragma omp single
    {
        for (int b = 0; b < G->n; b++)
            abl_sigmoid_routing(gw[ABL_GH_R1], gw[ABL_GH_R1B], sh + G->mean1 + b * G->inp, G->inp,
                                E, sh + G->coef1 + b * E);
        abl_bn_fold(G->init, gw[ABL_GH_BN1], gw[ABL_GH_BN1 + 1], gw[ABL_GH_BN1 + 2],
                    gw[ABL_GH_BN1 + 3], eps, sh + G->bn1, sh + G->bn1 + G->init);
        abl_bn_fold(G->keep, gw[ABL_GH_BN2], gw[ABL_GH_BN2 + 1], gw[ABL_GH_BN2 + 2],
                    gw[ABL_GH_BN2 + 3], eps, sh + G->bn2, sh + G->bn2 + G->keep);
    }
#pragma omp for schedule(static)
    for (int bo = 0; bo < G->n * G->init; bo++) /* mixed primary kernel, row o of sample b */
        abl_mix(gw[ABL_GH_K1] + (ptrdiff_t)(bo % G->init) * kdim, (ptrdiff_t)G->init * kdim,
                sh + G->coef1 + bo / G->init * E, E, kdim, sh + G->mix1 + (ptrdiff_t)bo * kdim);
#pragma omp for schedule(static)
    for (int job = 0; job < G->n * ntiles; job++) {
        const int b = job / ntiles, tile = job % ntiles;
        const int p0 = (int)((int64_t)tile * pix / ntiles), p1 = (int)((int64_t)(tile + 1) * pix / ntiles);
        abl_ghost_primary_tile(G, sh, x + b * x_img, y + b * y_img, col, b, p0, p1 - p0);
    }
#pragma omp for schedule(static)
    for (int bc = 0; bc < G->n * G->init; bc++) /* x1's means: the cheap routing's input */
        sh[G->mean2 + bc] = abl_plane_mean(y + bc / G->init * y_img + bc % G->init * pix, pix);
#pragma omp single
    for (int b = 0; b < G->n; b++)
        abl_sigmoid_routing(gw[ABL_GH_R2], gw[ABL_GH_R2B], sh + G->mean2 + b * G->init, G->init, E,
                            sh + G->coef2 + b * E);
#pragma omp for schedule(static)
    for (int bo = 0; bo < G->n * G->keep; bo++) {
        const int b = bo / G->keep, o = bo % G->keep;
        float *wk = col; /* this plane's mixed kernel: only dw x dw floats, mixed here */
        abl_mix(gw[ABL_GH_K2] + (ptrdiff_t)o * dw2, (ptrdiff_t)G->init * G->per_in * dw2,
                sh + G->coef2 + b * E, E, dw2, wk);
        float *yb = y + b * y_img;
        abl_ghost_cheap_plane(G, yb + o / G->per_in * pix, wk, sh[G->bn2 + o],
                              sh[G->bn2 + G->keep + o], yb + (G->init + o) * pix);
    }
}

#endif
