/* gen/runtime/ablate_dynconv.h — the parts every dynamic convolution
 * (DYConv2d, DynamicConv, GhostModule's two DynamicConvs; MODULES.md
 * 5.3-5.5) runs before its convolution: the channel means that feed the
 * routing, the sigmoid routing, and the mix of E expert kernels into one.
 *
 *   abl_plane_mean       mean of one channel plane (abl_chunk_sum: its vector part)
 *   abl_sigmoid_routing  coef = sigmoid(route . mean + bias), in double
 *   abl_mix              one mixed kernel row from E expert rows
 */
#ifndef ABLATE_DYNCONV_H
#define ABLATE_DYNCONV_H

#include <math.h>
#include <stddef.h>

enum {
    ABL_MEAN_CHUNK = 1024, /* floats summed in float before going to double */
    ABL_MEAN_LANES = 32,   /* independent float sums: two 16-float vectors */
};

/* Sum of n <= ABL_MEAN_CHUNK floats in ABL_MEAN_LANES lanes.  The lanes are
 * an explicit array with a fixed-length inner loop, which GCC turns into
 * two vector adds per 32 floats without -ffast-math: a `#pragma omp simd
 * reduction` over the whole run (what this was) compiled to one scalar
 * vaddss per float with GCC 12 (0.156 ms for the 128 x 40 x 40 input of
 * YOLOv8n's layer 19, as much as the conv's whole lead over the Conv). */
static inline float abl_chunk_sum(const float *p, ptrdiff_t n)
{
    float lane[ABL_MEAN_LANES] = {0.0f};
    ptrdiff_t i = 0;
    for (; i + ABL_MEAN_LANES <= n; i += ABL_MEAN_LANES)
        for (int l = 0; l < ABL_MEAN_LANES; l++)
            lane[l] += p[i + l];
    float part = 0.0f;
    for (; i < n; i++)
        part += p[i];
    for (int l = 0; l < ABL_MEAN_LANES; l++)
        part += lane[l];
    return part;
}

/* Mean of one plane.  A plain double accumulation is one dependent add per
 * pixel (4 cycles each: 1.6 ms for the 16 x 320 x 320 input of YOLOv8n's
 * layer 1, as long as the convolution); here chunks of ABL_MEAN_CHUNK
 * floats are summed in vector lanes (reassociated: float rounding over at
 * most 1024 terms, about 1e-7 relative) and the chunk sums added in double,
 * so a large map loses no precision to a long float sum. */
static inline float abl_plane_mean(const float *p, ptrdiff_t hw)
{
    double s = 0.0;
    for (ptrdiff_t c0 = 0; c0 < hw; c0 += ABL_MEAN_CHUNK)
        s += abl_chunk_sum(p + c0, hw - c0 < ABL_MEAN_CHUNK ? hw - c0 : ABL_MEAN_CHUNK);
    return (float)(s / (double)hw);
}

/* coef[e] = sigmoid(route[e] . mean + bias[e]), in double. */
static inline void abl_sigmoid_routing(const float *route, const float *bias, const float *mean,
                                       int c, int experts, float *coef)
{
    for (int e = 0; e < experts; e++) {
        double z = bias[e];
        for (int i = 0; i < c; i++)
            z += (double)route[(ptrdiff_t)e * c + i] * mean[i];
        coef[e] = (float)(1.0 / (1.0 + exp(-z)));
    }
}

enum { ABL_MIX_CHUNK = 64 }; /* floats of a kernel row mixed in registers at once */

/* dst[t] = sum_e coef[e] * kernels[e * stride + t], t < len.  Each chunk of
 * ABL_MIX_CHUNK floats sums all E experts in four vector registers and is
 * stored once (the experts in the same order as before, so the result is
 * bit for bit what a per-expert pass over dst gave): 0.067 instead of
 * 0.080 ms for YOLOv8n layer 7's 4 x 256 x 1152 kernel on one Zen 4 core;
 * the mixing is bound by reading the E expert kernels, not by this. */
static inline void abl_mix(const float *kernels, ptrdiff_t stride, const float *coef, int experts,
                           int len, float *dst)
{
    int t0 = 0;
    for (; t0 + ABL_MIX_CHUNK <= len; t0 += ABL_MIX_CHUNK) {
        float acc[ABL_MIX_CHUNK] = {0.0f};
        for (int e = 0; e < experts; e++) {
            const float *src = kernels + e * stride + t0;
            const float c = coef[e];
            for (int t = 0; t < ABL_MIX_CHUNK; t++)
                acc[t] += c * src[t];
        }
        for (int t = 0; t < ABL_MIX_CHUNK; t++)
            dst[t0 + t] = acc[t];
    }
    for (int t = t0; t < len; t++) {
        float acc = 0.0f;
        for (int e = 0; e < experts; e++)
            acc += coef[e] * kernels[e * stride + t];
        dst[t] = acc;
    }
}

#endif
