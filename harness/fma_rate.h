/* harness/fma_rate.h — does this CPU run 512-bit FMAs at full rate?
 *
 * Generated kernels choose between 16- and 8-lane code paths by
 * ABL_AVX512_FULL_RATE (gen/runtime/ablate_gen.h).  A compile-time proxy
 * cannot decide it: gcc 12's -march=native calls both Zen 4 (half-rate
 * zmm FMAs) and Zen 5 (full-rate) by older names.  So the harness times
 * it: the same number of independent FMA chains on zmm and on ymm
 * registers; a full-rate CPU does twice the ymm FLOPs in zmm, a half-rate
 * one (Zen 4) the same.
 */
#ifndef ABLATE_FMA_RATE_H
#define ABLATE_FMA_RATE_H

#include <stddef.h>

enum fma512_rate {
    FMA512_NONE = -1, /* no AVX-512F (or the build cannot target it) */
    FMA512_HALF = 0,  /* a zmm FMA costs two ymm ones */
    FMA512_FULL = 1   /* a zmm FMA costs one ymm one */
};

struct fma_rate {
    enum fma512_rate rate;
    double zmm_over_ymm; /* FLOPs a second, zmm code over ymm code (0: not
                            measured) */
    int forced;          /* 1: rate set by ABLATE_AVX512_RATE, not measured */
};

/* The verdict for a measured throughput ratio: full at 1.5x or more
 * (this Zen 5 measured 2.00; a part that splits a zmm FMA in two, as Zen 4
 * does, should read about 1: not measured, no such CPU was at hand). */
enum fma512_rate fma_rate_classify(double zmm_over_ymm);

/* Measures (about 1 ms) unless ABLATE_AVX512_RATE is "full" or "half";
 * another value of that variable: -1 and err. */
int fma_rate_detect(struct fma_rate *r, char *err, size_t errlen);

/* "full", "half" or "none". */
const char *fma_rate_name(enum fma512_rate rate);

#endif
