/* kernels/util_deform.h — scalar references shared by the deformable rows
 * of MODULES.md 6.2/6.3: torchvision's depthwise deformable convolution
 * (the official D-LKA), exact GELU and 1x1 convolutions with bias. */
#ifndef ABLATE_UTIL_DEFORM_H
#define ABLATE_UTIL_DEFORM_H

#include <math.h>
#include <stdint.h>

#include "common.h"

/* exact GELU 0.5 x (1 + erf(x / sqrt 2)), in double */
static inline float gelu_ref(float v)
{
    return (float)(0.5 * (double)v * (1.0 + erf((double)v * 0.70710678118654752440)));
}

/* torchvision's bilinear sample bilT (MODULES.md 6.2 step 2): 0 when y <= -1,
 * y >= h, x <= -1 or x >= w, else zero-pad bilinear bil0 (0.1). */
double bilinear_t_ref(const float *img, int h, int w, double y, double x);

/* DW(x; off, wt, k, pad, dil) of MODULES.md 6.2 step 2 for a batch:
 * x, y: n x c x h x w; off: n x 2k^2 x h x w (channel 2t row offset, 2t+1
 * column offset of kernel point t = i k + j); wt: c x 1 x k x k; stride 1. */
void dw_deform_ref(int n, int c, int h, int w, int k, int pad, int dil, const float *x,
                   const float *off, const float *wt, float *y);

/* y = conv2d(x) + bias, stride 1, 'same'-size geometry (k, pad, dil), groups 1. */
void conv_bias_ref(int n, int cin, int cout, int h, int w, int k, int pad, int dil, const float *x,
                   const float *wt, const float *bias, float *y);

#endif
