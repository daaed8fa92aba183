/* gen/runtime/ablate_sample.h — AKConv's clamped bilinear sampler, shared by
 * the generated AKConv kernels (gen/templates/akconv_*.c.in).
 *
 * The sampler is split in two so that the expensive part runs once:
 *   1. abl_akc_corners: per (kernel point, output pixel), the four corner
 *      pixel indices and four weights (MODULES.md 5.1 steps 4-6).  They do
 *      not depend on the channel, so they are computed once and reused by
 *      every input channel.
 *   2. the per-channel weighted sum (step 7), written by each template in
 *      the loop order that suits its data layout, inside a function marked
 *      ABL_NO_FP_CONTRACT.
 *
 * Both parts evaluate the reference's float32 expressions in the
 * reference's order (kernels/akconv.c akconv_sample, itself PyTorch's
 * order).  Given the same offsets, a generated kernel therefore produces
 * bit-identical samples; the only differences left are in the p_conv and
 * column-conv summations.
 */
#ifndef ABLATE_SAMPLE_H
#define ABLATE_SAMPLE_H

#include <math.h>
#include <stdint.h>

#include "ablate_gen.h"

/* Function attributes the generated code relies on (gcc; clang gets the
 * same effect from its defaults and a pragma).
 *
 * ABL_NO_FP_CONTRACT: the weighted corner sum must round after every
 * product, as PyTorch's separate mul/add kernels (and the SSE2-only
 * reference) do.  cc compiles generated code with -march=native, where gcc
 * would otherwise contract a*b + c into an FMA and change the last bit.
 *
 * ABL_VEC_MATH: -fno-trapping-math for the sampler's coordinate loop.
 * Under the default -ftrapping-math gcc neither vectorises floorf (to
 * roundps) nor if-converts the clamps (it even turns a clamp into a branch
 * around the rest of the loop body), so the loop stays scalar.  It changes
 * no value: it only lets gcc assume FP exception flags are never read.
 * Functions inlined into an ABL_VEC_MATH function must carry it too (gcc
 * does not inline across differing FP options).
 *
 * ABL_NO_VECTORIZE: for a gather from NCHW that gcc would otherwise
 * vectorise with hardware gathers, slower than scalar loads on the Zen
 * cores measured (3.2 vs 1.7 ns per sample). */
#if defined(__GNUC__) && !defined(__clang__)
#define ABL_NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#define ABL_NO_FP_CONTRACT_BODY
#define ABL_VEC_MATH __attribute__((optimize("no-trapping-math")))
#define ABL_NO_VECTORIZE __attribute__((optimize("no-tree-vectorize")))
#elif defined(__clang__)
#define ABL_NO_FP_CONTRACT
#define ABL_NO_FP_CONTRACT_BODY _Pragma("clang fp contract(off)")
#define ABL_VEC_MATH
#define ABL_NO_VECTORIZE
#else
#define ABL_NO_FP_CONTRACT
#define ABL_NO_FP_CONTRACT_BODY
#define ABL_VEC_MATH
#define ABL_NO_VECTORIZE
#endif

/* `#pragma omp simd` for the sampler's loops over pixels, 16 lanes a
 * vector with full-rate AVX-512.  gcc's -march=native tuning there
 * (rocketlake) vectorises at 256 bits: abl_akc_corners_ld ran on ymm, 8
 * pixels an iteration.  With zmm: L3 32 -> 64 @160², num_param 5, 1
 * thread, the corners' phase 110 -> 75 us (Intel Xeon, phase timers;
 * docs/modules/perf_akconv.md, eighth Intel pass).  Same values lane for
 * lane; Zen 4 (half rate) and AVX2 keep the default width. */
#if defined(__AVX512F__) && ABL_AVX512_FULL_RATE
#define ABL_AKC_SIMD _Pragma("omp simd simdlen(16)")
#else
#define ABL_AKC_SIMD _Pragma("omp simd")
#endif

/* Clamp with torch.clamp's comparisons (v < lo, then v > hi). */
ABL_VEC_MATH static inline float abl_clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Corner table of one kernel point for a run of pixels, structure of
 * arrays so that both the producer and the consumers vectorise over
 * pixels.  Indices are pixel indices row * w + col into one h x w map
 * (times the channel count for a channels-last copy). */
struct abl_akc_corners {
    int32_t *lt, *rb, *lb, *rt;
    float *g_lt, *g_rb, *g_lb, *g_rt;
};

/* Steps 4-6 for pixels t < np of one point (pn_r, pn_c) of an h x w map:
 *   px = float(base_r[t] + pn_r) + off_r[t], py likewise,
 * base = p_0 of the pixel.  A non-finite offset gives NaN weights (the
 * reference returns NaN, and the harness rejects the run) and in-range
 * indices, so a bad offset can never read outside the map.  Indices are
 * row * ld + col + org: ld = w, org = 0 for the map itself, ld = w + 2,
 * org = w + 3 for a copy padded by one pixel all round. */
ABL_VEC_MATH static inline void abl_akc_corners_ld(int np, int h, int w, int ld, int org, int pn_r,
                                                   int pn_c, const int32_t *restrict base_r,
                                                   const int32_t *restrict base_c,
                                                   const float *restrict off_r,
                                                   const float *restrict off_c,
                                                   struct abl_akc_corners m)
{
    const float hm1 = (float)(h - 1), wm1 = (float)(w - 1);
    ABL_AKC_SIMD
    for (int t = 0; t < np; t++) {
        float px = (float)(base_r[t] + pn_r) + off_r[t];
        float py = (float)(base_c[t] + pn_c) + off_c[t];
        int ok = isfinite(px) && isfinite(py);
        if (!ok)
            px = py = 0.0f;
        /* Step 5: corners from the unclamped floor, then clamp p itself. */
        float fx = floorf(px), fy = floorf(py);
        float ltx = abl_clampf(fx, 0, hm1), rbx = abl_clampf(fx + 1, 0, hm1);
        float lty = abl_clampf(fy, 0, wm1), rby = abl_clampf(fy + 1, 0, wm1);
        px = abl_clampf(px, 0, hm1);
        py = abl_clampf(py, 0, wm1);
        /* Step 6, exactly these expressions. */
        float g_lt = (1 + (ltx - px)) * (1 + (lty - py));
        float g_rb = (1 - (rbx - px)) * (1 - (rby - py));
        float g_lb = (1 + (ltx - px)) * (1 - (rby - py));
        float g_rt = (1 - (rbx - px)) * (1 + (lty - py));
        int r0 = (int)ltx, r1 = (int)rbx, c0 = (int)lty, c1 = (int)rby;
        m.lt[t] = r0 * ld + c0 + org;
        m.rb[t] = r1 * ld + c1 + org;
        m.lb[t] = r0 * ld + c1 + org;
        m.rt[t] = r1 * ld + c0 + org;
        m.g_lt[t] = ok ? g_lt : NAN;
        m.g_rb[t] = ok ? g_rb : NAN;
        m.g_lb[t] = ok ? g_lb : NAN;
        m.g_rt[t] = ok ? g_rt : NAN;
    }
}

/* The same with indices row * w + col into the unpadded map. */
ABL_VEC_MATH static inline void abl_akc_corners(int np, int h, int w, int pn_r, int pn_c,
                                                const int32_t *restrict base_r,
                                                const int32_t *restrict base_c,
                                                const float *restrict off_r,
                                                const float *restrict off_c,
                                                struct abl_akc_corners m)
{
    abl_akc_corners_ld(np, h, w, w, 0, pn_r, pn_c, base_r, base_c, off_r, off_c, m);
}

#endif
