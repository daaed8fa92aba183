/* kernels/util_dynconv.h — pieces DYConv2d (5.3) and DynamicConv (5.4)
 * share: both pool the input to one vector per sample, route it to K expert
 * weights, mix the experts into one kernel per sample and convolve.  The
 * reference forward mixes per sample (not per batch) because batch > 1 means
 * B different kernels. */
#ifndef ABLATE_UTIL_DYNCONV_H
#define ABLATE_UTIL_DYNCONV_H

#include <stdint.h>

#include "common.h"

/* Zero padding on each side (timm's TF-SAME pads bottom/right one more). */
struct pad4 {
    int t, b, l, r;
};

/* Geometry of the per-sample convolution. */
struct dynconv_geom {
    int cin, h, w, cout, k, s, d, groups;
    struct pad4 p;
};

static inline int dynconv_ho(const struct dynconv_geom *g)
{
    return (g->h + g->p.t + g->p.b - g->d * (g->k - 1) - 1) / g->s + 1;
}

static inline int dynconv_wo(const struct dynconv_geom *g)
{
    return (g->w + g->p.l + g->p.r - g->d * (g->k - 1) - 1) / g->s + 1;
}

/* mean[c] of one sample's c x hw planes (adaptive_avg_pool2d(x, 1)). */
void dynconv_mean_ref(const float *x, int c, int64_t hw, double *mean);
/* out[i] = sum_e coef[e] * w[e*n + i]: one sample's mixed kernel (or bias). */
void dynconv_mix_ref(const float *w, int experts, int64_t n, const double *coef, float *out);
/* y (cout x ho x wo) = conv2d(x (cin x h x w), wt, bias) with g->p. */
int dynconv_sample_ref(const struct dynconv_geom *g, const float *x, const float *wt,
                       const float *bias, float *y);
/* Floats of expert e's kernel: cout * cin/groups * k * k. */
static inline int64_t dynconv_kernel_numel(const struct dynconv_geom *g)
{
    return (int64_t)g->cout * (g->cin / g->groups) * g->k * g->k;
}

/* Args of DynamicConv(cin, cout, k, stride, padding p (an int), dilation 1,
 * groups, bias=False, num_experts): the DynamicConv a GhostModule is made of
 * (MODULES.md 5.5 item 3), like conv_sub_args for Conv. */
void dynamicconv_sub_args(struct args *a, int cin, int cout, int k, int stride, int p, int groups,
                          int experts);

#endif
