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

/* The weighted corner sum must round after every product, as PyTorch's
 * separate mul/add kernels (and the SSE2-only reference) do.  cc compiles
 * generated code with -march=native, where gcc would otherwise contract
 * a*b + c into an FMA and change the last bit. */
#if defined(__clang__)
#define ABL_NO_FP_CONTRACT
#define ABL_NO_FP_CONTRACT_BODY _Pragma("clang fp contract(off)")
#elif defined(__GNUC__)
#define ABL_NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#define ABL_NO_FP_CONTRACT_BODY
#else
#define ABL_NO_FP_CONTRACT
#define ABL_NO_FP_CONTRACT_BODY
#endif

/* Clamp with torch.clamp's comparisons (v < lo, then v > hi). */
static inline float abl_clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Corner table of one kernel point for a run of pixels, structure of
 * arrays so that both the producer and the consumers vectorise over
 * pixels.  Indices are pixel indices row * w + col into one h x w map
 * (times the channel count for a channels-last copy). */
struct abl_akc_corners {
    int32_t *lt, *rb, *lb, *rt;
    float *g_lt, *g_rb, *g_lb, *g_rt;
};

/* Steps 4-6 for pixels t < np of one point (pn_r, pn_c):
 *   px = float(base_r[t] + pn_r) + off_r[t], py likewise,
 * base = p_0 of the pixel.  A non-finite offset gives NaN weights (the
 * reference returns NaN, and the harness rejects the run) and in-range
 * indices, so a bad offset can never read outside the map. */
static inline void abl_akc_corners(int np, int h, int w, int pn_r, int pn_c,
                                   const int32_t *restrict base_r, const int32_t *restrict base_c,
                                   const float *restrict off_r, const float *restrict off_c,
                                   struct abl_akc_corners m)
{
    const float hm1 = (float)(h - 1), wm1 = (float)(w - 1);
#pragma omp simd
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
        m.lt[t] = r0 * w + c0;
        m.rb[t] = r1 * w + c1;
        m.lb[t] = r0 * w + c1;
        m.rt[t] = r1 * w + c0;
        m.g_lt[t] = ok ? g_lt : NAN;
        m.g_rb[t] = ok ? g_rb : NAN;
        m.g_lb[t] = ok ? g_lb : NAN;
        m.g_rt[t] = ok ? g_rt : NAN;
    }
}

/* e^x in float32, vectorisable (glibc's expf is not vectorised without
 * -ffast-math, and one scalar call per output element would cost more than
 * the rest of the epilogue).  Cephes expf: x = k ln2 + r, |r| <= ln2/2,
 * degree-6 polynomial, 2^k by exponent bits.  Max error about 2 ulp on
 * [-87, 88]; inputs are clamped there, which only matters where SiLU is
 * already within 1e-37 of its limit. */
static inline float abl_akc_expf(float x)
{
    x = abl_clampf(x, -87.0f, 88.0f);
    float k = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - k * 0.693359375f;
    r = r - k * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    union {
        int32_t i;
        float f;
    } two_k = {.i = ((int32_t)k + 127) << 23};
    return p * two_k.f;
}

/* SiLU(v) = v * sigmoid(v) = v / (1 + e^-v). */
static inline float abl_akc_silu(float v) { return v / (1.0f + abl_akc_expf(-v)); }

#endif
