/* harness/variant_pick.h — a layer's generated variant chosen by timing at
 * plan time (`ablate model --bench`), for the rows whose generator asks for
 * it (`pick_by_timing = true` in gen/<row>.lua; AKConv: which of its
 * variants is fastest depends on the shape and the thread count, e.g.
 * `direct` at 1 thread, `gemm` or `fused` at some 2-thread shapes,
 * docs/modules/performance.md).
 *
 * Every variant is built for the layer's exact shape and the variants are
 * timed interleaved on the layer's own input (timing.c, short loop); the
 * fastest median is kept.  The choice is cached (one line per choice in a
 * text file, `ablate model --bench` uses BUILD/gen/variant_picks.txt) under
 * the machine's fingerprint, the thread count and every candidate's cached
 * kernel (its source, hence the shape, and its compiler flags): a later
 * run with the same key keeps that choice without timing (about 0.1 s per
 * variant per layer) and says so; deleting the file times afresh. */
#ifndef ABLATE_VARIANT_PICK_H
#define ABLATE_VARIANT_PICK_H

#include "gen.h"
#include "instance.h"

struct variant_pick {
    int n;      /* variants timed; 0: the layer's generator did not ask */
    int chosen; /* index of the kept one */
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX];
    double ms[GEN_VARIANTS_MAX]; /* median of each */
    double load;                 /* other processes' cores while timing */
    int cached;                  /* 1: taken from the cache; ms and load are that timing's */
};

/* Builds each of names[0 .. n) for inst (weights w), times them on x -> y
 * with `threads` threads (unless the cache file `cache` holds the choice
 * already; NULL: no cache) and leaves the fastest loaded in k.  0, or -1
 * with err (a variant that fails to build is an error: the generator
 * offers it for every shape; a cache that cannot be read or written is
 * not). */
int variant_pick(const struct gen_env *env, const struct instance *inst, const float *const *w,
                 const float *x, float *y, int threads, char names[][GEN_NAME_MAX], int n,
                 const char *cache, struct gen_kernel *k, struct variant_pick *p, char *err,
                 size_t errlen);

#endif
