/* gen/runtime/ablate_cuda_graph.cu — the glue of a whole model's graph on
 * the device (harness/cuda_graph.c): nearest Upsample and the strided
 * copies of Concat and of Detect's level packing.  Built, like every
 * generated .cu, twice from this text: for the device (ablate_graph_*
 * launch kernels on the given stream) and as the host emulation (the same
 * element functions over every index on the CPU).  Not a module: its
 * kernel ABI entry point does nothing; the harness calls the two
 * ablate_graph_* functions.
 *
 * @spill_free graph_upsample_kernel
 * @spill_free graph_copy_kernel
 */
#include "ablate_cuda.h"

static const struct ablate_kernel_info info = {
    ABLATE_KERNEL_ABI, "graph", "glue", "", 1, 0,
};

extern "C" const struct ablate_kernel_info *ablate_kernel_info(void) { return &info; }

/* The kernel ABI asks for it; the graph never calls it. */
extern "C" void ablate_kernel_forward(const float *const *w, const float *x, float *y,
                                      float *workspace, int nthreads)
{
    (void)w, (void)x, (void)y, (void)workspace, (void)nthreads;
}

/* Element i of y (planes x h*s x w*s) from x (planes x h x w). */
ABL_HD void graph_upsample_elem(int64_t i, int h, int w, int s, const float *x, float *y)
{
    const int wo = w * s;
    const int64_t per = (int64_t)h * s * wo, plane = i / per;
    const int r = (int)(i % per), oy = r / wo, ox = r % wo;
    y[i] = x[(plane * h + oy / s) * w + ox / s];
}

/* Element i of n blocks of len floats: dst's blocks dst_img floats apart,
 * src's src_img apart (a Concat's channel block per image). */
ABL_HD void graph_copy_elem(int64_t i, int64_t len, float *dst, int64_t dst_img, const float *src,
                            int64_t src_img)
{
    const int64_t b = i / len, r = i % len;
    dst[b * dst_img + r] = src[b * src_img + r];
}

#ifndef ABLATE_CUDA_HOST_EMU
extern "C" __global__ void graph_upsample_kernel(int64_t total, int h, int w, int s, const float *x,
                                                 float *y)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < total)
        graph_upsample_elem(i, h, w, s, x, y);
}

extern "C" __global__ void graph_copy_kernel(int64_t total, int64_t len, float *dst, int64_t dst_img,
                                             const float *src, int64_t src_img)
{
    int64_t i = ABL_THREAD_INDEX();
    if (i < total)
        graph_copy_elem(i, len, dst, dst_img, src, src_img);
}
#endif

extern "C" void ablate_graph_upsample(const float *x, float *y, int64_t planes, int h, int w, int s,
                                      void *stream)
{
    const int64_t total = planes * h * s * w * s;
#ifdef ABLATE_CUDA_HOST_EMU
    (void)stream;
    ABL_FOR(i, total) graph_upsample_elem(i, h, w, s, x, y);
#else
    graph_upsample_kernel<<<abl_grid(total), ABL_BLOCK, 0, (cudaStream_t)stream>>>(total, h, w, s, x, y);
#endif
}

extern "C" void ablate_graph_copy(float *dst, int64_t dst_img, const float *src, int64_t src_img,
                                  int64_t len, int n, void *stream)
{
    const int64_t total = len * n;
#ifdef ABLATE_CUDA_HOST_EMU
    (void)stream;
    ABL_FOR(i, total) graph_copy_elem(i, len, dst, dst_img, src, src_img);
#else
    graph_copy_kernel<<<abl_grid(total), ABL_BLOCK, 0, (cudaStream_t)stream>>>(total, len, dst, dst_img,
                                                                             src, src_img);
#endif
}
