/* gen/runtime/ablate_kernel.h — the C ABI every generated kernel exports.
 *
 * A generated kernel is specialised for one configuration (module arguments
 * and input shape, batch included), so the ABI carries no shapes: the
 * harness asks the kernel what it is (ablate_kernel_info) and calls it.
 *
 *   w          weight pointers in the order of the op row's weights() list
 *              (the PyTorch state_dict order); int64 entries are NULL
 *   x, y       input and output, NCHW float32, contiguous
 *   workspace  workspace_floats * nthreads floats, 64-byte aligned, owned
 *              by the harness (kernels never allocate in the timed path)
 *   nthreads   threads to use (OpenMP); BLAS is called single-threaded
 *              inside the parallel region so pools never oversubscribe
 *
 * Optional, for weights that stay constant between calls (a model graph's):
 * a kernel with prepared_floats > 0 also exports
 *   ablate_kernel_prepare(w, prepared, nthreads): data made from the
 *     weights alone (the Winograd transform U = G g G^T, DCNv3's packed
 *     Linears) into `prepared`
 *     (prepared_floats floats, 64-byte aligned, owned by the harness), and
 *   ablate_kernel_forward_prepared(w, prepared, x, y, workspace, nthreads):
 *     forward reading it instead of remaking it.
 * The harness calls prepare once and then forward_prepared on the same
 * weights; the workspace holds nothing between calls either way, so one
 * workspace may serve several kernels.  ablate_kernel_forward stays
 * self-contained (it makes that data on every call, in the workspace); the
 * sweeps, like the model graph, prepare once and time forward_prepared
 * (harness/execute.c, docs/measurement.md).
 */
#ifndef ABLATE_KERNEL_H
#define ABLATE_KERNEL_H

#include <stdint.h>

#define ABLATE_KERNEL_ABI 2

struct ablate_kernel_info {
    int abi;                   /* ABLATE_KERNEL_ABI */
    const char *module;        /* "AKConv" */
    const char *variant;       /* "gemm" */
    const char *config;        /* canonical args + shape, as in the CSV desc */
    int gen_version;           /* version of the generator that wrote it */
    int64_t workspace_floats;  /* per thread */
    int64_t prepared_floats;   /* 0: no prepared path (ABI 2) */
};

typedef const struct ablate_kernel_info *(*ablate_kernel_info_fn)(void);
typedef void (*ablate_kernel_forward_fn)(const float *const *w, const float *x, float *y,
                                         float *workspace, int nthreads);
typedef void (*ablate_kernel_prepare_fn)(const float *const *w, float *prepared, int nthreads);
typedef void (*ablate_kernel_forward_prepared_fn)(const float *const *w, const float *prepared, const float *x,
                                                  float *y, float *workspace, int nthreads);

#endif
