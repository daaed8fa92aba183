/* gen/runtime/ablate_cuda_dlka.h — deformable_LKA_Attention on the device
 * (CUDA C++; MODULES.md 6.2): y = proj_2(u * conv1(D1(D0(u)))) + x with
 * u = GELU(proj_1(x)).  Used by the row (templates/dlka.cu.in) and by
 * C3_DCNv3_DLKA's bottlenecks (templates/c3_dlka.cu.in).
 *
 * The 1x1 convs are one cuBLAS sgemm per image with the bias (and the
 * residuals) prefilled (beta = 1); GELU and the gate are element kernels.
 * The deformable layers D0, D1:
 *   official   offset conv (Conv2d C -> 2k^2 with bias): im2col + one sgemm
 *              per image; then torchvision's depthwise deformable conv
 *              (one offset group, no mask), one thread per output element
 *              summing its k^2 bilinear samples (zero outside the map,
 *              bilT of MODULES.md 6.2); 5x5 pad 2, then 7x7 pad 9 dilation 3
 *   DCNv3      two DCNv3_pytorch layers, runtime/ablate_cuda_dcnv3.h
 *              (blog: 3x3 twice; dcnv3_lka: 5x5, then 7x7 dilation 3).
 * Kernels: dlka_*_kernel and those of the DCNv3 header (a template marks
 * them @spill_free). */
#ifndef ABLATE_CUDA_DLKA_H
#define ABLATE_CUDA_DLKA_H

#include "ablate_cuda_dcnv3.h"

/* One attention over an n x c x h x w batch.  official: 1 for the offset
 * convs + depthwise deformable convs, 0 for the DCNv3 layers dcn[0..1]. */
struct abl_dlka {
    int n, c, h, w, official;
    struct abl_dcn dcn[2];
};

/* The official layers: kernel, padding, dilation. */
ABL_HD void abl_dlka_official_layer(int l, int *k, int *pad, int *dil)
{
    *k = l ? 7 : 5;
    *pad = l ? 9 : 2;
    *dil = l ? 3 : 1;
}

/* Weights from the attention's first, in state_dict order. */
enum { DLKA_W_P1 = 0, DLKA_W_D0 = 2, DLKA_OFFICIAL_W = 12, DLKA_DCN_W = 30 };

ABL_HD int64_t abl_dlka_act(const struct abl_dlka *a) { return (int64_t)a->n * a->c * a->h * a->w; }

/* Workspace floats: u, a0, a1, then the layers' own (official: the offset
 * maps of 98 channels and one image's 7x7 columns; DCNv3: a layer's). */
static inline int64_t abl_dlka_ws_floats(const struct abl_dlka *a)
{
    const int64_t hw = (int64_t)a->h * a->w;
    int64_t extra = (int64_t)a->n * 98 * hw + (int64_t)a->c * 49 * hw;
    if (!a->official) {
        int64_t f0 = abl_dcn_layout(&a->dcn[0]).floats, f1 = abl_dcn_layout(&a->dcn[1]).floats;
        extra = f0 > f1 ? f0 : f1;
    }
    return 3 * abl_dlka_act(a) + extra;
}

/* Element i = (image, channel, pixel) of a c-channel map: out (images
 * out_img floats apart) = bias[channel] + add1[i] + add2[i] (NULL: none). */
ABL_HD void dlka_prefill_elem(int64_t i, int c, int64_t hw, const float *bias, const float *add1,
                              const float *add2, float *out, int64_t out_img)
{
    const int64_t per = (int64_t)c * hw;
    float v = bias[i / hw % c];
    if (add1)
        v += add1[i];
    if (add2)
        v += add2[i];
    out[i / per * out_img + i % per] = v;
}

ABL_HD void dlka_gelu_elem(int64_t i, float *u)
{
    u[i] = 0.5f * u[i] * (1.0f + erff(u[i] * 0.70710678118654752f));
}

ABL_HD void dlka_gate_elem(int64_t i, const float *u, float *t) { t[i] *= u[i]; }

/* bilT of MODULES.md 6.2: 0 when the point is a pixel or more outside. */
ABL_HD float dlka_bilt(const float *img, int h, int w, float y, float x)
{
    if (y <= -1.0f || y >= h || x <= -1.0f || x >= w)
        return 0.0f;
    float fy = floorf(y), fx = floorf(x), ly = y - fy, lx = x - fx, v = 0.0f;
    int y0 = (int)fy, x0 = (int)fx;
    for (int q = 0; q < 4; q++) {
        int yy = y0 + q / 2, xx = x0 + q % 2;
        float wt = (q / 2 ? ly : 1 - ly) * (q % 2 ? lx : 1 - lx);
        if (yy >= 0 && yy < h && xx >= 0 && xx < w)
            v += wt * img[(int64_t)yy * w + xx];
    }
    return v;
}

/* Element i = (image, channel, pixel) of official layer l: the depthwise
 * deformable conv of x with offsets off (image: 2k^2 x h x w). */
ABL_HD void dlka_deform_elem(int64_t i, const struct abl_dlka *a, int l, const float *x,
                             const float *off, const float *wt, float *y)
{
    int k, pad, dil;
    abl_dlka_official_layer(l, &k, &pad, &dil);
    const int64_t hw = (int64_t)a->h * a->w;
    const int p = (int)(i % hw), ch = (int)(i / hw % a->c), b = (int)(i / hw / a->c);
    const int oh = p / a->w, ow = p % a->w;
    const float *img = x + i / hw * hw, *ob = off + (int64_t)b * 2 * k * k * hw + p;
    float s = 0.0f;
    for (int u = 0; u < k; u++)
        for (int v = 0; v < k; v++) {
            int t = u * k + v;
            float py = (float)(oh - pad + u * dil) + ob[2 * t * hw];
            float px = (float)(ow - pad + v * dil) + ob[(2 * t + 1) * hw];
            s += wt[(int64_t)ch * k * k + t] * dlka_bilt(img, a->h, a->w, py, px);
        }
    y[i] = s;
}

#ifndef ABLATE_CUDA_HOST_EMU
extern "C" __global__ void dlka_prefill_kernel(int64_t total, int c, int64_t hw, const float *bias,
                                               const float *add1, const float *add2, float *out,
                                               int64_t out_img)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < total)
        dlka_prefill_elem(i, c, hw, bias, add1, add2, out, out_img);
}

extern "C" __global__ void dlka_gelu_kernel(int64_t total, float *u)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < total)
        dlka_gelu_elem(i, u);
}

extern "C" __global__ void dlka_gate_kernel(int64_t total, const float *u, float *t)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < total)
        dlka_gate_elem(i, u, t);
}

extern "C" __global__ void dlka_im2col_kernel(int64_t total, struct abl_im2col g, const float *img,
                                              float *col)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < total)
        abl_im2col_elem(i, &g, img, col);
}

extern "C" __global__ void dlka_deform_kernel(struct abl_dlka a, int l, const float *x,
                                              const float *off, const float *wt, float *y)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < abl_dlka_act(&a))
        dlka_deform_elem(i, &a, l, x, off, wt, y);
}
#endif

/* The prefill of dlka_prefill_elem over n images of c channels. */
static void abl_dlka_prefill(const struct abl_dlka *a, int c, const float *bias, const float *add1,
                             const float *add2, float *out, int64_t out_img,
                             const struct abl_cu_ctx *ctx)
{
    const int64_t hw = (int64_t)a->h * a->w, total = (int64_t)a->n * c * hw;
#ifdef ABLATE_CUDA_HOST_EMU
    ABL_FOR(i, total) dlka_prefill_elem(i, c, hw, bias, add1, add2, out, out_img);
#else
    dlka_prefill_kernel<<<abl_grid(total), ABL_BLOCK, 0, abl_stream(ctx)>>>(total, c, hw, bias, add1,
                                                                          add2, out, out_img);
#endif
}

/* out = conv1x1(in; wt, bias) + add1 + add2: the prefill, then per image
 * one sgemm (beta = 1).  in and the adds are contiguous; out's images are
 * out_img floats apart (a channel slice of a wider buffer). */
static void abl_dlka_conv1x1(const struct abl_dlka *a, const float *in, const float *wt,
                             const float *bias, const float *add1, const float *add2, float *out,
                             int64_t out_img, const struct abl_cu_ctx *ctx)
{
    const int hw = a->h * a->w;
    abl_dlka_prefill(a, a->c, bias, add1, add2, out, out_img, ctx);
    for (int b = 0; b < a->n; b++)
        abl_sgemm(ctx, 0, 0, a->c, hw, a->c, 1.0f, wt, a->c, in + (int64_t)b * a->c * hw, hw, 1.0f,
                  out + b * out_img, hw);
}

/* Official layer l: src -> dst through its offset conv (w[0], w[1]) and
 * depthwise deformable conv (w[2]).  off, col: workspace. */
static void abl_dlka_official(const struct abl_dlka *a, int l, const float *const *w,
                              const float *src, float *dst, float *off, float *col,
                              const struct abl_cu_ctx *ctx)
{
    int k, pad, dil;
    abl_dlka_official_layer(l, &k, &pad, &dil);
    const int hw = a->h * a->w, kk = k * k;
    const struct abl_im2col g = {a->c, a->h, a->w, k, 1, pad, pad, dil, a->h, a->w};
    const int64_t ncol = (int64_t)a->c * kk * hw;
    abl_dlka_prefill(a, 2 * kk, w[1], NULL, NULL, off, (int64_t)2 * kk * hw, ctx);
    for (int b = 0; b < a->n; b++) {
        const float *img = src + (int64_t)b * a->c * hw;
#ifdef ABLATE_CUDA_HOST_EMU
        ABL_FOR(i, ncol) abl_im2col_elem(i, &g, img, col);
#else
        dlka_im2col_kernel<<<abl_grid(ncol), ABL_BLOCK, 0, abl_stream(ctx)>>>(ncol, g, img, col);
#endif
        abl_sgemm(ctx, 0, 0, 2 * kk, hw, a->c * kk, 1.0f, w[0], a->c * kk, col, hw, 1.0f,
                  off + (int64_t)b * 2 * kk * hw, hw);
    }
#ifdef ABLATE_CUDA_HOST_EMU
    ABL_FOR(i, abl_dlka_act(a)) dlka_deform_elem(i, a, l, src, off, w[2], dst);
#else
    dlka_deform_kernel<<<abl_grid(abl_dlka_act(a)), ABL_BLOCK, 0, abl_stream(ctx)>>>(*a, l, src, off,
                                                                                  w[2], dst);
#endif
}

/* The attention: x (contiguous) -> out (images out_img floats apart),
 * + res (contiguous, NULL: none) on top of the attention's own residual x.
 * w: the attention's weights from proj_1.weight on; ws: abl_dlka_ws_floats. */
static void abl_dlka_forward(const struct abl_dlka *a, const float *const *w, const float *x,
                             float *out, int64_t out_img, const float *res, float *ws,
                             const struct abl_cu_ctx *ctx)
{
    const int64_t act = abl_dlka_act(a), hw = (int64_t)a->h * a->w;
    float *u = ws, *a0 = ws + act, *a1 = ws + 2 * act, *extra = ws + 3 * act;
    abl_dlka_conv1x1(a, x, w[DLKA_W_P1], w[DLKA_W_P1 + 1], NULL, NULL, u, a->c * hw, ctx);
#ifdef ABLATE_CUDA_HOST_EMU
    ABL_FOR(i, act) dlka_gelu_elem(i, u);
#else
    dlka_gelu_kernel<<<abl_grid(act), ABL_BLOCK, 0, abl_stream(ctx)>>>(act, u);
#endif
    if (a->official) {
        float *off = extra, *col = extra + (int64_t)a->n * 98 * hw;
        abl_dlka_official(a, 0, w + DLKA_W_D0, u, a0, off, col, ctx);
        abl_dlka_official(a, 1, w + DLKA_W_D0 + 3, a0, a1, off, col, ctx);
    } else {
        abl_dcn_forward(&a->dcn[0], w + DLKA_W_D0, u, a0, extra, ctx);
        abl_dcn_forward(&a->dcn[1], w + DLKA_W_D0 + 12, a0, a1, extra, ctx);
    }
    const float *const *wc = w + (a->official ? DLKA_OFFICIAL_W : DLKA_DCN_W) - 4; /* conv1, proj_2 */
    abl_dlka_conv1x1(a, a1, wc[0], wc[1], NULL, NULL, a0, a->c * hw, ctx);
#ifdef ABLATE_CUDA_HOST_EMU
    ABL_FOR(i, act) dlka_gate_elem(i, u, a0);
#else
    dlka_gate_kernel<<<abl_grid(act), ABL_BLOCK, 0, abl_stream(ctx)>>>(act, u, a0);
#endif
    abl_dlka_conv1x1(a, a0, wc[2], wc[3], x, res, out, out_img, ctx);
}

#endif
