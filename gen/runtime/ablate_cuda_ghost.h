/* gen/runtime/ablate_cuda_ghost.h — ParameterNet's GhostModule on the
 * device (CUDA C++; MODULES.md 5.5): two DynamicConv stages (no bias,
 * sigmoid routing), each + BN (+ ReLU), concat, slice to oup.  Used by the
 * row (templates/ghost_gemm.cu.in) and by C2f_GhostModule_DynamicConv
 * (templates/c2f_ghost_gemm.cu.in), whose GhostModules read and write
 * channel slices of its concat.
 *
 * Each stage:
 *   1. channel means, one thread per (image, channel);
 *   2. sigmoid routing, one thread per (image, expert);
 *   3. expert mixing, one thread per (image, kernel element);
 *   4. per image: im2col + one cuBLAS sgemm per group with its mixed kernel;
 *   5. BN (+ ReLU) in place, the kept channels copied into y (concat + slice).
 * Kernels: ghost_*_kernel (a template marks them @spill_free). */
#ifndef ABLATE_CUDA_GHOST_H
#define ABLATE_CUDA_GHOST_H

#include "ablate_cuda.h"

/* One DynamicConv + BN stage: input [n, cin, h, w] (images in_img floats
 * apart), output [n, cout, ho, wo] (contiguous, in the workspace), channels
 * < keep copied into y (y_chans channels per image) from channel y_c0.
 * Weights from w[wi]: routing.weight, routing.bias, cond_conv.weight, then
 * BN weight, bias, mean, var. */
struct abl_ghost_stage {
    struct abl_im2col g; /* c = cin */
    int n, cout, groups, wi, keep, y_c0, y_chans, e, relu;
    int64_t in_img;
};

/* A GhostModule: its two stages and its workspace regions (offsets in
 * floats from the module's workspace; x1, x2: the stages' outputs). */
struct abl_ghost {
    struct abl_ghost_stage primary, cheap;
    int64_t x1, x2, mean, coef, mix, bn, col, floats;
};

ABL_HD int abl_ghost_kdim(const struct abl_ghost_stage *s)
{
    return s->g.c / s->groups * s->g.ks * s->g.ks;
}

ABL_HD int64_t abl_ghost_pix(const struct abl_ghost_stage *s) { return (int64_t)s->g.ho * s->g.wo; }

/* Element i = (image, channel): the channel's mean. */
ABL_HD void ghost_mean_elem(int64_t i, const struct abl_ghost_stage *s, const float *in, float *mean)
{
    const int64_t hw = (int64_t)s->g.h * s->g.w;
    const float *plane = in + i / s->g.c * s->in_img + i % s->g.c * hw;
    float acc = 0.0f;
    for (int64_t p = 0; p < hw; p++)
        acc += plane[p];
    mean[i] = acc / hw;
}

/* coef[b, e] = sigmoid(routing.weight[e] . mean[b] + routing.bias[e]). */
ABL_HD void ghost_route_elem(int64_t i, const struct abl_ghost_stage *s, const float *rw,
                             const float *rb, const float *mean, float *coef)
{
    int e = (int)(i % s->e), b = (int)(i / s->e);
    float z = rb[e];
    for (int c = 0; c < s->g.c; c++)
        z += rw[e * s->g.c + c] * mean[b * s->g.c + c];
    coef[i] = abl_sigmoid(z);
}

/* Element i of the n mixed kernels (cout x kdim each). */
ABL_HD void ghost_mix_elem(int64_t i, const struct abl_ghost_stage *s, const float *wk,
                           const float *coef, float *mix)
{
    int64_t nk = (int64_t)s->cout * abl_ghost_kdim(s), b = i / nk, r = i % nk;
    float acc = 0.0f;
    for (int e = 0; e < s->e; e++)
        acc += coef[b * s->e + e] * wk[e * nk + r];
    mix[i] = acc;
}

/* BN (+ ReLU) in place on out element i, and the copy into y if kept. */
ABL_HD void ghost_epilogue_elem(int64_t i, const struct abl_ghost_stage *s, const float *bn,
                                float *out, float *y)
{
    const int64_t pix = abl_ghost_pix(s);
    int p = (int)(i % pix), c = (int)(i / pix % s->cout), b = (int)(i / pix / s->cout);
    float v = out[i] * bn[c] + bn[s->cout + c];
    v = s->relu && v < 0.0f ? 0.0f : v;
    out[i] = v;
    if (c < s->keep)
        y[((int64_t)b * s->y_chans + s->y_c0 + c) * pix + p] = v;
}

#ifndef ABLATE_CUDA_HOST_EMU
extern "C" __global__ void ghost_mean_kernel(struct abl_ghost_stage s, const float *in, float *mean)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < (int64_t)s.n * s.g.c)
        ghost_mean_elem(i, &s, in, mean);
}

extern "C" __global__ void ghost_route_kernel(struct abl_ghost_stage s, const float *rw,
                                              const float *rb, const float *mean, float *coef)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < (int64_t)s.n * s.e)
        ghost_route_elem(i, &s, rw, rb, mean, coef);
}

extern "C" __global__ void ghost_mix_kernel(struct abl_ghost_stage s, const float *wk,
                                            const float *coef, float *mix)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < (int64_t)s.n * s.cout * abl_ghost_kdim(&s))
        ghost_mix_elem(i, &s, wk, coef, mix);
}

extern "C" __global__ void ghost_im2col_kernel(int64_t total, struct abl_im2col g, const float *img,
                                               float *col)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < total)
        abl_im2col_elem(i, &g, img, col);
}

extern "C" __global__ void ghost_fold_kernel(int cout, double eps, const float *g, const float *be,
                                             const float *m, const float *v, float *bn)
{
    int64_t c = ABL_THREAD_INDEX();
    if (c < cout)
        abl_bn_fold_elem((int)c, g, be, m, v, eps, bn, bn + cout);
}

extern "C" __global__ void ghost_epilogue_kernel(struct abl_ghost_stage s, const float *bn,
                                                 float *out, float *y)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < (int64_t)s.n * s.cout * abl_ghost_pix(&s))
        ghost_epilogue_elem(i, &s, bn, out, y);
}
#endif

static void abl_ghost_stage_run(const struct abl_ghost_stage *s, const struct abl_ghost *gm,
                                const float *const *w, const float *in, float *out, float *y,
                                float *ws, double eps, const struct abl_cu_ctx *ctx)
{
    float *mean = ws + gm->mean, *coef = ws + gm->coef, *mix = ws + gm->mix, *bn = ws + gm->bn;
    float *col = ws + gm->col;
    const int kdim = abl_ghost_kdim(s), cout_g = s->cout / s->groups;
    const int64_t pix = abl_ghost_pix(s), ncol = (int64_t)s->g.c * s->g.ks * s->g.ks * pix;
    const int64_t nmix = (int64_t)s->n * s->cout * kdim, nout = (int64_t)s->n * s->cout * pix;
    const float *const *bw = w + s->wi + 3;
#ifdef ABLATE_CUDA_HOST_EMU
    ABL_FOR(i, (int64_t)s->n * s->g.c) ghost_mean_elem(i, s, in, mean);
    ABL_FOR(i, (int64_t)s->n * s->e) ghost_route_elem(i, s, w[s->wi], w[s->wi + 1], mean, coef);
    ABL_FOR(i, nmix) ghost_mix_elem(i, s, w[s->wi + 2], coef, mix);
    ABL_FOR(c, s->cout) abl_bn_fold_elem((int)c, bw[0], bw[1], bw[2], bw[3], eps, bn, bn + s->cout);
#else
    cudaStream_t st = abl_stream(ctx);
    ghost_mean_kernel<<<abl_grid((int64_t)s->n * s->g.c), ABL_BLOCK, 0, st>>>(*s, in, mean);
    ghost_route_kernel<<<abl_grid((int64_t)s->n * s->e), ABL_BLOCK, 0, st>>>(*s, w[s->wi], w[s->wi + 1],
                                                                           mean, coef);
    ghost_mix_kernel<<<abl_grid(nmix), ABL_BLOCK, 0, st>>>(*s, w[s->wi + 2], coef, mix);
    ghost_fold_kernel<<<abl_grid(s->cout), ABL_BLOCK, 0, st>>>(s->cout, eps, bw[0], bw[1], bw[2], bw[3],
                                                               bn);
#endif
    for (int b = 0; b < s->n; b++) {
        const float *img = in + b * s->in_img;
#ifdef ABLATE_CUDA_HOST_EMU
        ABL_FOR(i, ncol) abl_im2col_elem(i, &s->g, img, col);
#else
        ghost_im2col_kernel<<<abl_grid(ncol), ABL_BLOCK, 0, st>>>(ncol, s->g, img, col);
#endif
        for (int gr = 0; gr < s->groups; gr++)
            abl_sgemm(ctx, 0, 0, cout_g, (int)pix, kdim, 1.0f,
                      mix + (int64_t)b * s->cout * kdim + (int64_t)gr * cout_g * kdim, kdim,
                      col + (int64_t)gr * kdim * pix, (int)pix, 0.0f,
                      out + ((int64_t)b * s->cout + gr * cout_g) * pix, (int)pix);
    }
#ifdef ABLATE_CUDA_HOST_EMU
    ABL_FOR(i, nout) ghost_epilogue_elem(i, s, bn, out, y);
#else
    ghost_epilogue_kernel<<<abl_grid(nout), ABL_BLOCK, 0, st>>>(*s, bn, out, y);
#endif
}

/* The module: x -> the kept channels of both stages in y.  w: from
 * primary_conv.0.routing.weight on; ws: gm->floats. */
static void abl_ghost_forward(const struct abl_ghost *gm, const float *const *w, const float *x,
                              float *y, float *ws, double eps, const struct abl_cu_ctx *ctx)
{
    abl_ghost_stage_run(&gm->primary, gm, w, x, ws + gm->x1, y, ws, eps, ctx);
    abl_ghost_stage_run(&gm->cheap, gm, w, ws + gm->x1, ws + gm->x2, y, ws, eps, ctx);
}

#endif
