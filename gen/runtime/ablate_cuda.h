/* gen/runtime/ablate_cuda.h — what every generated .cu includes.
 *
 * A generated .cu is built two ways from the same text:
 *
 *   device build (nvcc -gencode ...): the __global__ wrappers run on the
 *     GPU, dense parts go to cuBLAS.  Exports ablate_kernel_info,
 *     ablate_cuda_forward (device pointers, the timed entry point) and
 *     ablate_kernel_forward (host pointers: copies in, runs, copies out;
 *     the parity entry point).
 *   host emulation (g++ -x c++ -DABLATE_CUDA_HOST_EMU; nvcc -x cu with
 *     the same define builds the same program): no device code is run.
 *     The driver loops call the same __host__ __device__ element
 *     functions over every index on the CPU (ABL_FOR), and abl_sgemm is
 *     OpenBLAS's cblas_sgemm.  Exports ablate_kernel_info and
 *     ablate_kernel_forward, the ABI of gen/runtime/ablate_kernel.h, so the
 *     harness runs it like any generated C kernel (impl=cuda-host:VARIANT).
 *
 * Element functions take explicit indices (image, channel, row, column);
 * a __global__ wrapper only turns (blockIdx, threadIdx) into a flat index,
 * exactly as ABL_FOR's loop variable does in the emulation, so an indexing
 * mistake shows in both.
 *
 * Kernels the generator expects to fit in registers carry a line
 * "@spill_free NAME" in the source; the compile check (harness/cuda_cc.c)
 * fails when ptxas reports spill stores or loads for one of them.
 */
#ifndef ABLATE_CUDA_H
#define ABLATE_CUDA_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "ablate_kernel.h"

/* Device handles the harness owns (device build); unused by the emulation. */
struct abl_cu_ctx {
    void *stream; /* cudaStream_t */
    void *cublas; /* cublasHandle_t */
    /* ABL_CU_STATE_BYTES zeroed bytes the caller keeps across the calls of
     * one kernel: where a kernel keeps what it set up on its first call
     * (the cuDNN variant: handle, descriptors, the algorithm it found) */
    void *state;
};

#define ABL_CU_STATE_BYTES 4096

typedef void (*ablate_cuda_forward_fn)(const float *const *w, const float *x, float *y,
                                       float *workspace, const struct abl_cu_ctx *ctx);

/* The rest is CUDA C++: the harness (C) includes this header only for the
 * two declarations above. */
#if defined(ABLATE_CUDA_HOST_EMU) && !defined(__CUDACC__)
/* Host emulation built by the host C++ compiler (g++ -x c++, see
 * harness/cuda_gen.c): the qualifiers of the element functions are plain
 * C++ there.  __global__ stays undefined: a kernel or launch outside
 * #ifndef ABLATE_CUDA_HOST_EMU is a compile error in the emulation. */
#define __host__
#define __device__
#endif

#if defined(__CUDACC__) || defined(ABLATE_CUDA_HOST_EMU)

#define ABL_BLOCK 256
#define ABL_HD __host__ __device__ inline

ABL_HD float abl_silu(float v) { return v / (1.0f + expf(-v)); }
ABL_HD float abl_sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

/* BatchNorm folded to y = x * scale + shift (eval mode). */
ABL_HD void abl_bn_fold_elem(int c, const float *gamma, const float *beta, const float *mean,
                             const float *var, double eps, float *scale, float *shift)
{
    float s = (float)((double)gamma[c] / sqrt((double)var[c] + eps));
    scale[c] = s;
    shift[c] = beta[c] - (float)mean[c] * s;
}

/* y = act(y * scale[c] + shift[c]) for element i of a (N, C, PIX) tensor. */
ABL_HD void abl_bn_act_elem(int64_t i, int c_count, int64_t pix, const float *scale,
                            const float *shift, int act, float *y)
{
    int c = (int)((i / pix) % c_count);
    float v = y[i] * scale[c] + shift[c];
    y[i] = act ? abl_silu(v) : v;
}

/* Element i of a (rows x n) matrix set to bias[i % n]: the prefill of an
 * sgemm with beta = 1 that adds a Linear's bias. */
ABL_HD void abl_bias_rows_elem(int64_t i, int n, const float *bias, float *out)
{
    out[i] = bias[i % n];
}

/* Geometry of a convolution's im2col: channels of the image, its size, the
 * kernel, stride, top/left padding, dilation and the output size. */
struct abl_im2col {
    int c, h, w, ks, stride, pad_t, pad_l, dil, ho, wo;
};

/* Element i of the column matrix [(ci, u, v) x (oy, ox)] of one image:
 * the input under tap (u, v) of channel ci, 0 in the padding. */
ABL_HD void abl_im2col_elem(int64_t i, const struct abl_im2col *g, const float *img, float *col)
{
    int64_t pix = (int64_t)g->ho * g->wo;
    int p = (int)(i % pix), r = (int)(i / pix);
    int v = r % g->ks, u = r / g->ks % g->ks, ci = r / (g->ks * g->ks);
    int iy = (p / g->wo) * g->stride - g->pad_t + u * g->dil;
    int ix = (p % g->wo) * g->stride - g->pad_l + v * g->dil;
    col[i] = iy < 0 || iy >= g->h || ix < 0 || ix >= g->w
                 ? 0.0f
                 : img[((int64_t)ci * g->h + iy) * g->w + ix];
}

/* Element i of a (c_count x hw) stack of planes set to bias[plane]: the
 * prefill of a 1x1 conv's sgemm (beta = 1). */
ABL_HD void abl_bias_planes_elem(int64_t i, int64_t hw, const float *bias, float *out)
{
    out[i] = bias[i / hw];
}

/* Element i of dst (C x HW, one image after another) from src (HW x C):
 * the channels-last to NCHW transpose (nhwc = 0), or back (nhwc = 1). */
ABL_HD void abl_transpose_elem(int64_t i, int c_count, int64_t hw, int to_nhwc, const float *src,
                               float *dst)
{
    int64_t per = (int64_t)c_count * hw, b = i / per, r = i % per;
    if (to_nhwc) { /* i = (b, pix, c) */
        int64_t pix = r / c_count, c = r % c_count;
        dst[i] = src[b * per + c * hw + pix];
    } else { /* i = (b, c, pix) */
        int64_t c = r / hw, pix = r % hw;
        dst[i] = src[b * per + pix * c_count + c];
    }
}

#ifdef ABLATE_CUDA_HOST_EMU

#include <cblas.h>

/* The emulated launch: every flat index, in parallel on the CPU. */
#define ABL_FOR(i, total) _Pragma("omp parallel for") for (int64_t i = 0; i < (int64_t)(total); i++)

/* Row-major C = alpha op(A) op(B) + beta C (cuBLAS in the device build). */
static inline void abl_sgemm(const struct abl_cu_ctx *c, int trans_a, int trans_b, int m, int n,
                             int k, float alpha, const float *a, int lda, const float *b, int ldb,
                             float beta, float *cm, int ldc)
{
    (void)c;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, cm, ldc);
}

#else /* device build */

#include <cublas_v2.h>
#include <cuda_runtime.h>

static inline unsigned abl_grid(int64_t total)
{
    return (unsigned)((total + ABL_BLOCK - 1) / ABL_BLOCK);
}

/* Flat thread index of a 1-d launch of abl_grid(total) x ABL_BLOCK. */
#define ABL_THREAD_INDEX() ((int64_t)blockIdx.x * blockDim.x + threadIdx.x)

static inline cudaStream_t abl_stream(const struct abl_cu_ctx *c)
{
    return (cudaStream_t)c->stream;
}

/* Row-major C = op(A) op(B) as column-major C^T = op(B)^T op(A)^T. */
static inline void abl_sgemm(const struct abl_cu_ctx *c, int trans_a, int trans_b, int m, int n,
                             int k, float alpha, const float *a, int lda, const float *b, int ldb,
                             float beta, float *cm, int ldc)
{
    cublasHandle_t h = (cublasHandle_t)c->cublas;
    cublasSetStream(h, abl_stream(c));
    cublasSgemm(h, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m,
                k, &alpha, b, ldb, a, lda, &beta, cm, ldc);
}

/* The parity entry point of a device build: host buffers in and out.
 * nw weights of wfloats[i] floats (0: an int64 entry, passed as NULL). */
static inline int abl_cu_host_call(ablate_cuda_forward_fn fwd, int nw, const int64_t *wfloats,
                                   const float *const *w, const float *x, int64_t nx, float *y,
                                   int64_t ny, int64_t ws_floats)
{
    float *dw[64] = {0}, *dx = NULL, *dy = NULL, *dws = NULL;
    cublasHandle_t h = NULL;
    int ok = nw <= 64 && cublasCreate(&h) == CUBLAS_STATUS_SUCCESS;
    for (int i = 0; ok && i < nw; i++)
        if (wfloats[i] > 0)
            ok = cudaMalloc((void **)&dw[i], (size_t)wfloats[i] * 4) == cudaSuccess &&
                 cudaMemcpy(dw[i], w[i], (size_t)wfloats[i] * 4, cudaMemcpyHostToDevice) == cudaSuccess;
    ok = ok && cudaMalloc((void **)&dx, (size_t)nx * 4) == cudaSuccess &&
         cudaMalloc((void **)&dy, (size_t)ny * 4) == cudaSuccess &&
         cudaMalloc((void **)&dws, (size_t)(ws_floats > 0 ? ws_floats : 1) * 4) == cudaSuccess &&
         cudaMemcpy(dx, x, (size_t)nx * 4, cudaMemcpyHostToDevice) == cudaSuccess;
    double state[ABL_CU_STATE_BYTES / sizeof(double)] = {0};
    if (ok) {
        struct abl_cu_ctx ctx = {NULL, h, state};
        fwd((const float *const *)dw, dx, dy, dws, &ctx);
        ok = cudaDeviceSynchronize() == cudaSuccess &&
             cudaMemcpy(y, dy, (size_t)ny * 4, cudaMemcpyDeviceToHost) == cudaSuccess;
    }
    for (int i = 0; i < nw; i++)
        cudaFree(dw[i]);
    cudaFree(dx);
    cudaFree(dy);
    cudaFree(dws);
    if (h)
        cublasDestroy(h);
    return ok ? 0 : -1;
}

#endif /* ABLATE_CUDA_HOST_EMU */

/* The exported entry points of a generated .cu, around its driver
 * `static void forward(w, x, y, workspace, ctx)`.  WFLOATS: a static array
 * of the weights' sizes in floats (0 for int64 entries). */
#ifdef ABLATE_CUDA_HOST_EMU
#include <omp.h>
#define ABL_CU_EXPORTS(fwd, wfloats, nx, ny, ws_floats)                                        \
    extern "C" void ablate_kernel_forward(const float *const *w, const float *x, float *y,    \
                                          float *workspace, int nthreads)                     \
    {                                                                                         \
        struct abl_cu_ctx ctx = {NULL, NULL, NULL};                                           \
        omp_set_num_threads(nthreads);                                                        \
        fwd(w, x, y, workspace, &ctx);                                                        \
    }
#else
#define ABL_CU_EXPORTS(fwd, wfloats, nx, ny, ws_floats)                                        \
    extern "C" void ablate_cuda_forward(const float *const *w, const float *x, float *y,      \
                                        float *workspace, const struct abl_cu_ctx *ctx)       \
    {                                                                                         \
        fwd(w, x, y, workspace, ctx);                                                         \
    }                                                                                         \
    extern "C" void ablate_kernel_forward(const float *const *w, const float *x, float *y,    \
                                          float *workspace, int nthreads)                     \
    {                                                                                         \
        (void)workspace;                                                                      \
        (void)nthreads;                                                                       \
        abl_cu_host_call(fwd, (int)(sizeof wfloats / sizeof wfloats[0]), wfloats, w, x, nx, y, \
                         ny, ws_floats);                                                      \
    }
#endif

#endif /* __CUDACC__ || ABLATE_CUDA_HOST_EMU */

#endif
