/* kernels/common.h — building blocks the module rows share: weight lists,
 * initialisers and the scalar reference primitives of MODULES.md 0.1.
 * Reference primitives accumulate in double: they are the oracle, not fast. */
#ifndef ABLATE_COMMON_H
#define ABLATE_COMMON_H

#include <math.h>
#include <stdint.h>

#include "ops.h"

/* Output size of a convolution along one axis (MODULES.md 0). */
static inline int conv_out_dim(int in, int k, int s, int p, int d)
{
    return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

/* ultralytics autopad(k, p=None, d): p < 0 stands for None. */
static inline int autopad(int k, int p, int d)
{
    if (p >= 0)
        return p;
    if (d > 1)
        k = d * (k - 1) + 1;
    return k / 2;
}

static inline float silu_ref(float v) { return (float)((double)v / (1.0 + exp(-(double)v))); }

/* Appends "prefix+name" with the given shape (ndim 0..4). */
void wl_add(struct weight_list *wl, const char *prefix, const char *name, int ndim, int64_t d0,
            int64_t d1, int64_t d2, int64_t d3);
/* The six BatchNorm2d entries (weight, bias, running_mean, running_var, num_batches_tracked). */
void wl_add_bn(struct weight_list *wl, const char *prefix, int64_t c);

/* Conv weight init: paper = PyTorch's default kaiming_uniform(a=sqrt 5),
 * U(+-1/sqrt(fan_in)); random = N(0,1)/sqrt(fan_in) * gain. */
void init_conv_weight(float *w, int64_t n, int64_t fan_in, enum init_mode mode, float gain,
                      struct rng *r);
/* BN: paper = identity (1, 0, 0, 1); random = gamma U(0.5,1.5), beta N(0,0.2),
 * mean N(0,0.2), var U(0.5,2) so that no term is trivially neutral.  w points
 * at the five float BN tensors in state_dict order. */
void init_bn(float *const *w, int64_t c, enum init_mode mode, struct rng *r);

/* y = conv2d(x) (+ bias), MODULES.md 0.1, double accumulation.
 * x: n x cin x h x w; wt: cout x cin/g x kh x kw; y: n x cout x ho x wo. */
struct conv2d_geom {
    int n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups;
};
void conv2d_ref(const struct conv2d_geom *g, const float *x, const float *wt, const float *bias,
                float *y);
/* In place over n x c x hw: BN with eps, then SiLU if `act`. */
void bn_act_ref(float *y, int n, int c, int64_t hw, const float *gamma, const float *beta,
                const float *mean, const float *var, double eps, int act);

/* ---- composing a row out of other rows (Bottleneck, C2f) ---- */

/* Args of Conv(c1, c2, k, s=1, p=None, g, d=1, act=True, bn_eps): the Conv
 * every composed baseline block is made of. */
void conv_sub_args(struct args *a, int c1, int c2, int k, int g, double eps);
/* Appends every entry of `sub` to wl with `prefix` put before its key. */
void wl_append(struct weight_list *wl, const char *prefix, const struct weight_list *sub);
/* How many weight pointers op's row hands out for a (int64 entries included):
 * the offset of the next sub-op's weights in a composed row's list. */
int op_weight_count(const struct op *op, const struct args *a);
/* n floats or abort: reference forwards have no error path, and running out
 * of memory there is not a result worth reporting. */
float *ref_alloc(int64_t n);
/* Runs op's reference forward on the sub-weights starting at w[off]. */
void op_forward_sub(const struct op *op, const struct args *a, struct shape4 in,
                    const float *const *w, int off, const float *x, float *y);

#endif
