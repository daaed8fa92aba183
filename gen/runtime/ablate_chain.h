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

#include "ablate_direct.h"
#include "ablate_winograd4.h"
#include "ablate_gen.h"

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

/* The Bottleneck shortcut of a tile y (output pixels p0 .., group grp). */
static inline void abl_chain_add_res(const struct abl_chain_layer *L, float *const *bufs,
                                     ptrdiff_t hw, int b, int grp, int cout_g, int p0, int np,
                                     float *y)
{
    if (!L->has_res)
        return;
    const float *r = abl_slice_at(bufs, L->res, b, hw) + (ptrdiff_t)grp * cout_g * hw + p0;
    for (int o = 0; o < cout_g; o++) {
#pragma omp simd
        for (int t = 0; t < np; t++)
            y[o * hw + t] += r[o * hw + t];
    }
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
        if (L->f4)
            abl_wino4_weights(w[L->w_index], L->cin, L->cout, bufs[L->wino] + L->u_off,
                              j * ABL_WINO_MR, (j + 1) * ABL_WINO_MR);
        else
            abl_wino_weights(w[L->w_index], L->cin, L->cout, bufs[L->wino] + L->u_off,
                             j * ABL_WINO_MR, (j + 1) * ABL_WINO_MR);
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
        if (L->f4)
            abl_wino4_tile(x, h, wd, cin_g, cout_g, bufs[L->wino] + L->u_off, y - p0, hw, scale,
                           shift, L->act, p0, np, col);
        else
            abl_wino_tile(x, h, wd, cin_g, cout_g, bufs[L->wino] + L->u_off, y - p0, hw, scale,
                          shift, L->act, p0, np, col);
        abl_chain_add_res(L, bufs, hw, b, grp, cout_g, p0, np, y);
        return;
    }
    if (abl_direct_ok(L->k, L->groups, L->cout)) { /* AVX-512: no im2col, no packing */
        abl_direct_tile(x, h, wd, cin_g, cout_g, L->k, wt, y - p0, hw, scale, shift, L->act, p0,
                        np);
        abl_chain_add_res(L, bufs, hw, b, grp, cout_g, p0, np, y);
        return;
    }
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

#endif
