/* kernels/util_dynconv.c — see util_dynconv.h. */
#include "util_dynconv.h"

#include <stdlib.h>
#include <string.h>

void dynconv_mean_ref(const float *x, int c, int64_t hw, double *mean)
{
    for (int ch = 0; ch < c; ch++) {
        double s = 0.0;
        for (int64_t i = 0; i < hw; i++)
            s += x[(int64_t)ch * hw + i];
        mean[ch] = s / (double)hw;
    }
}

void dynconv_mix_ref(const float *w, int experts, int64_t n, const double *coef, float *out)
{
    for (int64_t i = 0; i < n; i++) {
        double acc = 0.0;
        for (int e = 0; e < experts; e++)
            acc += coef[e] * w[(int64_t)e * n + i];
        out[i] = (float)acc;
    }
}

/* Pads explicitly so that asymmetric (TF-SAME) padding needs no special
 * case in conv2d_ref, which only knows symmetric padding. */
int dynconv_sample_ref(const struct dynconv_geom *g, const float *x, const float *wt,
                       const float *bias, float *y)
{
    int hp = g->h + g->p.t + g->p.b, wp = g->w + g->p.l + g->p.r;
    float *xp = calloc((size_t)g->cin * hp * wp, sizeof *xp);
    if (!xp)
        return -1;
    for (int c = 0; c < g->cin; c++)
        for (int i = 0; i < g->h; i++)
            memcpy(xp + ((int64_t)c * hp + i + g->p.t) * wp + g->p.l,
                   x + ((int64_t)c * g->h + i) * g->w, sizeof(float) * (size_t)g->w);
    struct conv2d_geom cg = {1, g->cin, hp, wp, g->cout, g->k, g->k, g->s, g->s,
                             0, 0,      g->d, g->d, g->groups};
    conv2d_ref(&cg, xp, wt, bias, y);
    free(xp);
    return 0;
}

void dynamicconv_sub_args(struct args *a, int cin, int cout, int k, int stride, int p, int groups,
                          int experts)
{
    args_defaults(&op_dynamicconv, a);
    a->v[arg_index(&op_dynamicconv, "in_features")] = cin;
    a->v[arg_index(&op_dynamicconv, "out_features")] = cout;
    a->v[arg_index(&op_dynamicconv, "kernel_size")] = k;
    a->v[arg_index(&op_dynamicconv, "stride")] = stride;
    a->v[arg_index(&op_dynamicconv, "padding")] = p;
    a->v[arg_index(&op_dynamicconv, "groups")] = groups;
    a->v[arg_index(&op_dynamicconv, "num_experts")] = experts;
}
