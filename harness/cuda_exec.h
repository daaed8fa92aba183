/* harness/cuda_exec.h — runs impl=cuda:VARIANT inside a sweep item
 * (execute.c calls it); see cuda_exec.c. */
#ifndef ABLATE_CUDA_EXEC_H
#define ABLATE_CUDA_EXEC_H

#include "execute.h"

/* What execute.c already made for the item: weights, input, reference. */
struct cuda_exec_in {
    const struct weightset *ws;
    const float *x, *y_ref;
    int64_t nx, ny;
};

/* Fills r (status, parity, timing) and marks it done. */
void cuda_exec_impl(const struct plan_item *it, const char *variant, const struct exec_opts *o,
                    const struct cuda_exec_in *in, struct impl_report *r);

#endif
