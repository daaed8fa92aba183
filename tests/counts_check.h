/* tests/counts_check.h — build a module instance from key=value strings and
 * check its analytic counts: what every module's count tests share. */
#ifndef ABLATE_COUNTS_CHECK_H
#define ABLATE_COUNTS_CHECK_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "instance.h"

/* MODULE kv[0..n) h= w= (batch may be among kv); fails the test if invalid. */
static inline struct instance make_instance(const char *module, const char *const *kv, int n, int h,
                                            int w)
{
    char *argv[16];
    char dims[2][16];
    struct instance m;
    char err[ERR_MAX];
    cr_assert(n <= 13, "too many arguments");
    argv[0] = (char *)module;
    for (int i = 0; i < n; i++)
        argv[1 + i] = (char *)kv[i];
    snprintf(dims[0], 16, "h=%d", h);
    snprintf(dims[1], 16, "w=%d", w);
    argv[n + 1] = dims[0];
    argv[n + 2] = dims[1];
    cr_assert_eq(instance_parse(&m, n + 3, argv, err, sizeof err), 0, "%s", err);
    return m;
}

/* The same from one `ablate info`-style string: "DYConv2d in_planes=64 ... h=80 w=80". */
static inline struct instance instance_of(const char *spec)
{
    char buf[256], err[ERR_MAX], *argv[32];
    int argc = 0;
    struct instance m;
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *tok = strtok(buf, " "); tok && argc < 32; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    cr_assert_eq(instance_parse(&m, argc, argv, err, sizeof err), 0, "%s: %s", spec, err);
    return m;
}

/* One state_dict entry a test expects: its index in the module's weight
 * list, its key, and its leading dimensions. */
struct want_weight {
    int i;
    const char *key;
    int64_t shape[4];
};

/* Compares WANT[0..n) with WL: keys exactly, the first NDIMS dimensions
 * (fewer where an entry has fewer). */
static inline void expect_weights(const struct weight_list *wl, const struct want_weight *want,
                                  size_t n, int ndims)
{
    for (size_t k = 0; k < n; k++) {
        const struct weight_desc *d = &wl->w[want[k].i];
        cr_expect_str_eq(d->key, want[k].key);
        for (int j = 0; j < d->ndim && j < ndims; j++)
            cr_expect_eq(d->shape[j], want[k].shape[j], "%s dim %d", d->key, j);
    }
}

/* params, thop MACs (flops_thop is 2x), full FLOPs, bytes — all exact. */
#define CHECK_COUNTS(m, P, MACS, FULL, BYTES)                                     \
    do {                                                                          \
        cr_expect_eq((m).op->params(&(m).args), (P));                             \
        cr_expect_eq((m).op->flops_thop(&(m).args, (m).in), 2 * (int64_t)(MACS)); \
        cr_expect_eq((m).op->flops_full(&(m).args, (m).in), (int64_t)(FULL));     \
        cr_expect_eq((m).op->bytes(&(m).args, (m).in), (int64_t)(BYTES));         \
    } while (0)

#endif
