/* gen/runtime/ablate_dynconv.h — the parts every dynamic convolution
 * (DYConv2d, DynamicConv, GhostModule's two DynamicConvs; MODULES.md
 * 5.3-5.5) runs before its convolution: the channel means that feed the
 * routing, the sigmoid routing, and the mix of E expert kernels into one.
 *
 *   abl_plane_mean       mean of one channel plane
 *   abl_sigmoid_routing  coef = sigmoid(route . mean + bias), in double
 *   abl_mix              one mixed kernel row from E expert rows
 */
#ifndef ABLATE_DYNCONV_H
#define ABLATE_DYNCONV_H

#include <math.h>
#include <stddef.h>

enum { ABL_MEAN_CHUNK = 1024 /* floats summed in float before going to double */ };

/* Mean of one plane.  A plain double accumulation is one dependent add per
 * pixel (4 cycles each: 1.6 ms for the 16 x 320 x 320 input of YOLOv8n's
 * layer 1, as long as the convolution); here chunks of ABL_MEAN_CHUNK
 * floats are summed in vector lanes (reassociated: float rounding over at
 * most 1024 terms, about 1e-7 relative) and the chunk sums added in double,
 * so a large map loses no precision to a long float sum. */
static inline float abl_plane_mean(const float *p, ptrdiff_t hw)
{
    double s = 0.0;
    for (ptrdiff_t c0 = 0; c0 < hw; c0 += ABL_MEAN_CHUNK) {
        const ptrdiff_t n = hw - c0 < ABL_MEAN_CHUNK ? hw - c0 : ABL_MEAN_CHUNK;
        float part = 0.0f;
#pragma omp simd reduction(+ : part)
        for (ptrdiff_t i = 0; i < n; i++)
            part += p[c0 + i];
        s += part;
    }
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

/* dst[t] = sum_e coef[e] * kernels[e * stride + t], t < len. */
static inline void abl_mix(const float *kernels, ptrdiff_t stride, const float *coef, int experts,
                           int len, float *dst)
{
    for (int t = 0; t < len; t++)
        dst[t] = 0.0f;
    for (int e = 0; e < experts; e++) {
        const float *src = kernels + e * stride;
        const float c = coef[e];
#pragma omp simd
        for (int t = 0; t < len; t++)
            dst[t] += c * src[t];
    }
}

#endif
