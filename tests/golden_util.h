/* tests/golden_util.h — a golden file's module instance, shared by
 * test_goldens.c (CPU kernels) and test_cuda.c (host-emulated .cu). */
#ifndef ABLATE_GOLDEN_UTIL_H
#define ABLATE_GOLDEN_UTIL_H

#include <stdio.h>
#include <string.h>

#include "instance.h"
#include "safetensors.h"

/* argv from "k=v k=v" metadata + the input's (a detection head's level-0
 * input's) batch/h/w. */
static inline int golden_instance(const struct st_file *f, struct instance *m, char *err, size_t errlen)
{
    const char *module = st_meta(f, "module"), *args = st_meta(f, "args"), *eps = st_meta(f, "bn_eps");
    const struct st_tensor *x = st_find(f, "x") ? st_find(f, "x") : st_find(f, "x0");
    if (!module || !args || !x || x->ndim != 4) {
        snprintf(err, errlen, "golden lacks module/args metadata or a 4-d x (or x0)");
        return -1;
    }
    static char text[1024];
    char *argv[40], dims[4][48];
    int argc = 0;
    snprintf(text, sizeof text, "%s", args);
    argv[argc++] = (char *)module;
    for (char *tok = strtok(text, " "); tok && argc < 32; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    snprintf(dims[0], 48, "batch=%lld", (long long)x->shape[0]);
    snprintf(dims[1], 48, "h=%lld", (long long)x->shape[2]);
    snprintf(dims[2], 48, "w=%lld", (long long)x->shape[3]);
    snprintf(dims[3], 48, "bn_eps=%s", eps ? eps : "1e-5");
    /* modules without a BatchNorm (DYConv2d, DynamicConv) take no bn_eps */
    const struct op *op = op_find(module);
    int ndims = op && arg_index(op, "bn_eps") < 0 ? 3 : 4;
    for (int i = 0; i < ndims; i++)
        argv[argc++] = dims[i];
    return instance_parse(m, argc, argv, err, errlen);
}

#endif
