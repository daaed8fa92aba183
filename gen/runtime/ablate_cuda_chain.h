/* gen/runtime/ablate_cuda_chain.h — chains of stride-1 Convs on the device
 * (CUDA C++; included by generated .cu files after ablate_cuda.h): the
 * CUDA side of gen/chain.lua's layer lists.  Used by the Bottleneck, C2f,
 * C3, SPPF, Detect, DetectV5, C2f_GhostModule_DynamicConv and
 * C3_DCNv3_DLKA kernels (templates/chain_gemm.cu.in, detect_gemm.cu.in,
 * ...), so every composed block runs its Convs the same way.
 *
 * A layer is Conv(cin, cout, k, 1, groups) on an h x w map with "same"
 * padding, over the whole batch: BN folded (one thread per channel; a
 * "head" layer is a 1x1 conv with bias and no BN: scale 1, shift = bias);
 * per image an im2col (k > 1 only, one thread per column element) and one
 * cuBLAS sgemm per group, reading and writing channel slices of the
 * buffers in place (so a split or a concat moves no data); then BN + SiLU
 * (heads: + bias only), + the residual, one thread per output element.
 *
 * The kernels below are named chain_*_kernel; a template that includes
 * this header marks them @spill_free (the marks are read from the .cu). */
#ifndef ABLATE_CUDA_CHAIN_H
#define ABLATE_CUDA_CHAIN_H

#include "ablate_cuda.h"

#define ABL_CHAIN_BUFS_MAX 32

/* A channel slice: buffer, its channels per image, the first channel. */
struct abl_cu_slice {
    int buf, chans, c0;
};

/* One Conv of a chain.  Weights from w[w]: conv.weight then BN's four
 * (head: conv.weight, conv.bias).  res.buf < 0: no residual. */
struct abl_cu_layer {
    int cin, cout, k, groups, w;
    int head;      /* 1: 1x1 conv with bias, no BN, no SiLU */
    int h, wd;     /* the map this layer runs on */
    int64_t xoff;  /* added to buffer 0 (x): where this layer's level starts */
    int64_t bn;    /* folded scale (cout), then shift (cout), at this workspace offset */
    struct abl_cu_slice src, dst, res;
};

/* The buffers as pointers: 0 = x, 1 = y, then the intermediates. */
struct abl_cu_bufs {
    float *p[ABL_CHAIN_BUFS_MAX];
};

/* Channel c of image b in slice s of layer L's map. */
ABL_HD float *abl_slice_plane(const struct abl_cu_bufs *bf, const struct abl_cu_layer *L,
                              struct abl_cu_slice s, int b, int c)
{
    const int64_t pix = (int64_t)L->h * L->wd;
    return bf->p[s.buf] + (s.buf == 0 ? L->xoff : 0) + ((int64_t)b * s.chans + s.c0 + c) * pix;
}

/* Channel c's scale and shift: BN folded, or 1 and the bias for a head. */
ABL_HD void abl_chain_fold_elem(int c, const struct abl_cu_layer *L, const float *const *wl,
                                double eps, float *bn)
{
    if (L->head) {
        bn[c] = 1.0f;
        bn[L->cout + c] = wl[1][c];
    } else
        abl_bn_fold_elem(c, wl[1], wl[2], wl[3], wl[4], eps, bn, bn + L->cout);
}

/* Output element i (image, channel, pixel) of layer L: BN + SiLU (head:
 * + bias), then + the residual. */
ABL_HD void abl_chain_epilogue_elem(int64_t i, const struct abl_cu_layer *L, const struct abl_cu_bufs *bf,
                                    const float *bn)
{
    const int64_t pix = (int64_t)L->h * L->wd;
    int p = (int)(i % pix), c = (int)(i / pix % L->cout), b = (int)(i / pix / L->cout);
    float *out = abl_slice_plane(bf, L, L->dst, b, c) + p;
    float v = *out * bn[c] + bn[L->cout + c];
    if (!L->head)
        v = abl_silu(v);
    if (L->res.buf >= 0)
        v += abl_slice_plane(bf, L, L->res, b, c)[p];
    *out = v;
}

/* The weight pointers of layer L (at most five). */
struct abl_cu_layer_w {
    const float *p[5];
};

#ifndef ABLATE_CUDA_HOST_EMU
extern "C" __global__ void chain_fold_kernel(struct abl_cu_layer L, struct abl_cu_layer_w lw, double eps,
                                             float *bn)
{
    int64_t c = ABL_THREAD_INDEX();
    if (c < L.cout)
        abl_chain_fold_elem((int)c, &L, lw.p, eps, bn);
}

extern "C" __global__ void chain_im2col_kernel(int64_t total, struct abl_im2col g, const float *img,
                                               float *col)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < total)
        abl_im2col_elem(i, &g, img, col);
}

extern "C" __global__ void chain_epilogue_kernel(int64_t total, struct abl_cu_layer L,
                                                 struct abl_cu_bufs bf, const float *bn)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < total)
        abl_chain_epilogue_elem(i, &L, &bf, bn);
}
#endif

/* Floats of layer L's columns for one image (0 for a 1x1). */
static inline int64_t abl_layer_col_floats(const struct abl_cu_layer *L)
{
    return L->k > 1 ? (int64_t)L->cin * L->k * L->k * L->h * L->wd : 0;
}

/* Layer L over a batch of n images.  ws: the workspace (BN at ws + L->bn),
 * col: room for abl_layer_col_floats(L). */
static void abl_chain_layer(const struct abl_cu_layer *L, int n, const float *const *w,
                            const struct abl_cu_bufs *bf, float *ws, float *col, double eps,
                            const struct abl_cu_ctx *ctx)
{
    float *bn = ws + L->bn;
    const int cin_g = L->cin / L->groups, cout_g = L->cout / L->groups;
    const int kdim = cin_g * L->k * L->k, pix = L->h * L->wd;
    const struct abl_im2col g = {L->cin, L->h, L->wd, L->k, 1, L->k / 2, L->k / 2, 1, L->h, L->wd};
    const int64_t ncol = abl_layer_col_floats(L), nout = (int64_t)n * L->cout * pix;
    struct abl_cu_layer_w lw = {{w[L->w], w[L->w + 1], L->head ? NULL : w[L->w + 2],
                              L->head ? NULL : w[L->w + 3], L->head ? NULL : w[L->w + 4]}};
#ifdef ABLATE_CUDA_HOST_EMU
    ABL_FOR(c, L->cout) abl_chain_fold_elem((int)c, L, lw.p, eps, bn);
#else
    cudaStream_t st = abl_stream(ctx);
    chain_fold_kernel<<<abl_grid(L->cout), ABL_BLOCK, 0, st>>>(*L, lw, eps, bn);
#endif
    for (int b = 0; b < n; b++) {
        const float *src = abl_slice_plane(bf, L, L->src, b, 0);
        if (L->k > 1) {
#ifdef ABLATE_CUDA_HOST_EMU
            ABL_FOR(i, ncol) abl_im2col_elem(i, &g, src, col);
#else
            chain_im2col_kernel<<<abl_grid(ncol), ABL_BLOCK, 0, st>>>(ncol, g, src, col);
#endif
            src = col;
        }
        for (int gr = 0; gr < L->groups; gr++)
            abl_sgemm(ctx, 0, 0, cout_g, pix, kdim, 1.0f, w[L->w] + (int64_t)gr * cout_g * kdim, kdim,
                      src + (int64_t)gr * kdim * pix, pix, 0.0f,
                      abl_slice_plane(bf, L, L->dst, b, gr * cout_g), pix);
    }
#ifdef ABLATE_CUDA_HOST_EMU
    ABL_FOR(i, nout) abl_chain_epilogue_elem(i, L, bf, bn);
#else
    chain_epilogue_kernel<<<abl_grid(nout), ABL_BLOCK, 0, st>>>(nout, *L, *bf, bn);
#endif
}

#endif
