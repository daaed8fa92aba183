/* harness/onednn.h — oneDNN (Debian libdnnl, C API) as a vendor
 * implementation: the CPU counterpart of cuDNN, the baseline the generated
 * kernels are held against.
 *
 * It lives in harness/, not kernels/: kernels/ holds the op table and the
 * scalar oracles every implementation is checked against, while this is one
 * more implementation the harness chooses, like a generated kernel; and a
 * vendor library is a link-time dependency of the tool, not of the
 * reference.
 *
 * A dnn_conv is ultralytics Conv (Conv2d + BatchNorm2d + SiLU) or a plain
 * Conv2d with bias (Detect's last 1x1 layers), built once for one shape:
 * BatchNorm folded into the weights and a bias, SiLU as an eltwise_swish
 * post-op, the weights reordered once at creation into the layout the
 * primitive wants.  Input and output are NCHW float32 at the boundary;
 * layout DNN_BLOCKED lets oneDNN pick its own activation layout (nChw16c
 * on AVX-512) and reorders x in and y out on every call (counted in the
 * timing), DNN_PLAIN asks for NCHW throughout (no reorders; oneDNN then
 * often falls back to im2col + gemm), DNN_AUTO builds both, times a few
 * calls of each and keeps the faster.
 *
 * Threads: Debian builds oneDNN with OpenMP; a primitive sizes its work
 * split to omp_get_max_threads() when it is created and uses that many
 * threads when run, so every create and run here sets it to the context's
 * thread count (and restores the caller's value). */
#ifndef ABLATE_ONEDNN_H
#define ABLATE_ONEDNN_H

#include <stddef.h>

#include "ops.h"

enum dnn_layout { DNN_AUTO, DNN_PLAIN, DNN_BLOCKED };

struct dnn_ctx {
    void *engine, *stream; /* dnnl_engine_t, dnnl_stream_t */
    int threads;
};

/* Geometry of one convolution, batch included. */
struct dnn_conv_spec {
    int n, c1, h, w, c2, k, s, p, d, g;
    int act;    /* SiLU after the affine part */
    int has_bn; /* 1: w = {conv.weight, bn.weight, bn.bias, bn.running_mean,
                 * bn.running_var} with eps; 0: w = {conv.weight, conv.bias} */
    double eps;
    /* 1: x (src) / y (dst) are oneDNN's nChw16c (channels in blocks of 16,
     * c1 / c2 a multiple of 16) instead of NCHW: a scratch map between two
     * oneDNN steps, never reordered (harness/onednn_block.c chains them) */
    int src_blocked, dst_blocked;
};

struct dnn_conv {
    struct dnn_ctx *ctx;
    void *conv, *reorder_in, *reorder_out;          /* dnnl_primitive_t (reorders may be NULL) */
    void *user_x, *user_y, *mem_x, *mem_y, *mem_w, *mem_b; /* dnnl_memory_t */
    enum dnn_layout layout;                          /* what was built: PLAIN or BLOCKED */
    char impl[64];                                   /* oneDNN's implementation name */
    int failed; /* a run's oneDNN call failed (sticky): its output is not to be trusted */
};

struct dnn_pool {
    struct dnn_ctx *ctx;
    void *pool, *user_x, *user_y;
    int failed; /* as in dnn_conv */
};

/* 0, or -1 with "oneDNN: ..." in err. */
int dnn_ctx_init(struct dnn_ctx *c, int threads, char *err, size_t errlen);
void dnn_ctx_free(struct dnn_ctx *c);

/* The Conv row's arguments at input `in` as a spec (has_bn = 1). */
struct dnn_conv_spec dnn_conv_spec_of(const struct args *conv_args, struct shape4 in);

int dnn_conv_create(struct dnn_conv *cv, struct dnn_ctx *ctx, const struct dnn_conv_spec *sp,
                    const float *const *w, enum dnn_layout layout, char *err, size_t errlen);
/* y = conv(x), both NCHW, dense. */
void dnn_conv_run(struct dnn_conv *cv, const float *x, float *y);
void dnn_conv_free(struct dnn_conv *cv);
/* "nchw" or "blocked", then oneDNN's implementation name: "blocked jit:avx512_core". */
void dnn_conv_describe(const struct dnn_conv *cv, char *buf, size_t len);

/* MaxPool2d(k, stride 1, padding k // 2) over n x c x h x w, NCHW (or
 * nChw16c with blocked, c a multiple of 16). */
int dnn_pool_create(struct dnn_pool *p, struct dnn_ctx *ctx, struct shape4 s, int k, int blocked,
                    char *err, size_t errlen);
void dnn_pool_run(struct dnn_pool *p, const float *x, float *y);
void dnn_pool_free(struct dnn_pool *p);

#endif
