/* tests/golden_util.h — a golden file's module instance, shared by
 * test_goldens.c (CPU kernels) and test_cuda.c (host-emulated .cu). */
#ifndef ABLATE_GOLDEN_UTIL_H
#define ABLATE_GOLDEN_UTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "buffers.h"

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

/* A detection head's levels at most (x0 .. x3). */
enum { LEVELS_MAX = 4 };

/* Level l's channels (arg ch<l>; 0: no such level). */
static inline int level_channels(const struct instance *m, int l)
{
    char name[8];
    snprintf(name, sizeof name, "ch%d", l);
    return arg_index(m->op, name) < 0 ? 0 : arg_geti(&m->args, name);
}

/* The levels x0, x1, ... packed one after another; each must have the
 * shape the row derives from its arguments (level l: ch<l> channels, level
 * l-1's size halved and rounded up), and there must be one per level. */
static inline float *pack_levels(const struct st_file *f, const struct instance *m, const char *path, int64_t *n)
{
    const struct st_tensor *lv[LEVELS_MAX + 1];
    int h = m->in.h, w = m->in.w, nl = 0;
    *n = 0;
    for (int l = 0; l <= LEVELS_MAX; l++) {
        char name[8];
        snprintf(name, sizeof name, "x%d", l);
        lv[l] = st_find(f, name);
        int c = l < LEVELS_MAX ? level_channels(m, l) : 0;
        cr_assert_eq(lv[l] != NULL, c > 0, "%s: %s %s, %s has %d levels", path, name,
                     lv[l] ? "present" : "missing", m->op->name, nl);
        if (!c)
            break;
        const int64_t *s = lv[l]->shape;
        cr_assert(lv[l]->ndim == 4 && s[0] == m->in.n && s[1] == c && s[2] == h && s[3] == w,
                  "%s: %s is not [%d, %d, %d, %d]", path, name, m->in.n, c, h, w);
        *n += lv[l]->numel, nl++;
        h = (h + 1) / 2, w = (w + 1) / 2;
    }
    float *x = buf_alloc(*n), *at = x;
    cr_assert(x);
    for (int l = 0; l < nl; l++) {
        memcpy(at, lv[l]->data, (size_t)lv[l]->numel * sizeof *x);
        at += lv[l]->numel;
    }
    return x;
}

#endif
