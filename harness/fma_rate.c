/* harness/fma_rate.c — see fma_rate.h. */
#include "fma_rate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* Twelve independent multiply-add chains: more than FMA latency (4 cycles)
 * times FMA pipes (2) on every x86 part seen, so the loop is bound by FMA
 * throughput, not latency; 12 accumulators and 2 constants fit the 16 ymm
 * registers of the AVX2 version.  They are named variables, not an array:
 * gcc at -O2 keeps an array in memory and the loop then measures store
 * forwarding.  acc = acc * 0.999999 + 1e-6 stays near 1: no overflow, no
 * denormals. */
enum { ITERS = 16384, ROUNDS = 7 };

#define FMA_STEP(FMADD)                                                                            \
    a0 = FMADD(a0, m, b);                                                                          \
    a1 = FMADD(a1, m, b);                                                                          \
    a2 = FMADD(a2, m, b);                                                                          \
    a3 = FMADD(a3, m, b);                                                                          \
    a4 = FMADD(a4, m, b);                                                                          \
    a5 = FMADD(a5, m, b);                                                                          \
    a6 = FMADD(a6, m, b);                                                                          \
    a7 = FMADD(a7, m, b);                                                                          \
    a8 = FMADD(a8, m, b);                                                                          \
    a9 = FMADD(a9, m, b);                                                                          \
    a10 = FMADD(a10, m, b);                                                                        \
    a11 = FMADD(a11, m, b)

#define FMA_CHAINS(VEC, SET1, FMADD, ADD, REDUCE)                                                  \
    VEC m = SET1(0.999999f), b = SET1(1e-6f);                                                      \
    VEC a0 = SET1(1.0f), a1 = SET1(1.001f), a2 = SET1(1.002f), a3 = SET1(1.003f);                  \
    VEC a4 = SET1(1.004f), a5 = SET1(1.005f), a6 = SET1(1.006f), a7 = SET1(1.007f);                \
    VEC a8 = SET1(1.008f), a9 = SET1(1.009f), a10 = SET1(1.010f), a11 = SET1(1.011f);              \
    for (int i = 0; i < ITERS; i++) {                                                              \
        FMA_STEP(FMADD);                                                                           \
    }                                                                                              \
    a0 = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));                        \
    a8 = ADD(ADD(a8, a9), ADD(a10, a11));                                                          \
    return REDUCE(ADD(a0, a8))

__attribute__((target("avx512f"))) static float chains_zmm(void)
{
    FMA_CHAINS(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_reduce_add_ps);
}

__attribute__((target("avx2,fma"))) static float first_lane(__m256 v)
{
    return _mm256_cvtss_f32(v);
}

__attribute__((target("avx2,fma"))) static float chains_ymm(void)
{
    FMA_CHAINS(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, first_lane);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* zmm FLOPs a second over ymm ones: both loops interleaved, each the
 * fastest of its rounds (a co-tenant or a clock ramp only slows a round),
 * the first round of each a warm-up. */
static double measure_ratio(void)
{
    double best_z = 1e30, best_y = 1e30;
    volatile float sink = 0.0f;
    for (int r = 0; r <= ROUNDS; r++) {
        double t0 = now_s();
        sink += chains_zmm();
        double t1 = now_s();
        sink += chains_ymm();
        double t2 = now_s();
        if (r > 0) {
            best_z = t1 - t0 < best_z ? t1 - t0 : best_z;
            best_y = t2 - t1 < best_y ? t2 - t1 : best_y;
        }
    }
    (void)sink;
    /* zmm does 16 lanes a FMA, ymm 8: the same time means twice the FLOPs */
    return best_z > 0.0 ? 2.0 * best_y / best_z : 0.0;
}

static int cpu_has_avx512f(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
           __builtin_cpu_supports("fma");
}
#else
static double measure_ratio(void) { return 0.0; }
static int cpu_has_avx512f(void) { return 0; }
#endif

enum fma512_rate fma_rate_classify(double zmm_over_ymm)
{
    return zmm_over_ymm >= 1.5 ? FMA512_FULL : FMA512_HALF;
}

const char *fma_rate_name(enum fma512_rate rate)
{
    return rate == FMA512_FULL ? "full" : rate == FMA512_HALF ? "half" : "none";
}

int fma_rate_detect(struct fma_rate *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->rate = FMA512_NONE;
    const char *force = getenv("ABLATE_AVX512_RATE");
    if (force && *force) {
        if (strcmp(force, "full") != 0 && strcmp(force, "half") != 0) {
            snprintf(err, errlen, "ABLATE_AVX512_RATE must be 'full' or 'half', not '%s'", force);
            return -1;
        }
        r->forced = 1;
        if (cpu_has_avx512f())
            r->rate = force[0] == 'f' ? FMA512_FULL : FMA512_HALF;
        return 0;
    }
    if (!cpu_has_avx512f())
        return 0;
    r->zmm_over_ymm = measure_ratio();
    r->rate = fma_rate_classify(r->zmm_over_ymm);
    return 0;
}
