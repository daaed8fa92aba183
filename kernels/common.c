/* kernels/common.c — see common.h. */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void wl_add(struct weight_list *wl, const char *prefix, const char *name, int ndim, int64_t d0,
            int64_t d1, int64_t d2, int64_t d3)
{
    struct weight_desc *d = &wl->w[wl->n++];
    int64_t dims[4] = {d0, d1, d2, d3};
    snprintf(d->key, sizeof d->key, "%s%s", prefix, name);
    d->ndim = ndim;
    d->is_int64 = 0;
    for (int i = 0; i < 4; i++)
        d->shape[i] = i < ndim ? dims[i] : 0;
}

void wl_add_bn(struct weight_list *wl, const char *prefix, int64_t c)
{
    static const char *const names[] = {"weight", "bias", "running_mean", "running_var"};
    for (int i = 0; i < 4; i++)
        wl_add(wl, prefix, names[i], 1, c, 0, 0, 0);
    wl_add(wl, prefix, "num_batches_tracked", 0, 0, 0, 0, 0);
    wl->w[wl->n - 1].is_int64 = 1;
}

void init_conv_weight(float *w, int64_t n, int64_t fan_in, enum init_mode mode, float gain,
                      struct rng *r)
{
    float bound = 1.0f / sqrtf((float)fan_in);
    for (int64_t i = 0; i < n; i++)
        w[i] = mode == INIT_PAPER ? rng_range(r, -bound, bound) : rng_normal(r) * bound * gain;
}

void init_bn(float *const *w, int64_t c, enum init_mode mode, struct rng *r)
{
    for (int64_t i = 0; i < c; i++) {
        int paper = mode == INIT_PAPER;
        w[0][i] = paper ? 1.0f : rng_range(r, 0.5f, 1.5f);
        w[1][i] = paper ? 0.0f : 0.2f * rng_normal(r);
        w[2][i] = paper ? 0.0f : 0.2f * rng_normal(r);
        w[3][i] = paper ? 1.0f : rng_range(r, 0.5f, 2.0f);
    }
}

void conv2d_ref(const struct conv2d_geom *g, const float *x, const float *wt, const float *bias,
                float *y)
{
    int ho = conv_out_dim(g->h, g->kh, g->sh, g->ph, g->dh);
    int wo = conv_out_dim(g->w, g->kw, g->sw, g->pw, g->dw);
    int cin_g = g->cin / g->groups, cout_g = g->cout / g->groups;
    for (int b = 0; b < g->n; b++)
        for (int o = 0; o < g->cout; o++) {
            int c0 = (o / cout_g) * cin_g;
            const float *wo_ = wt + (int64_t)o * cin_g * g->kh * g->kw;
            for (int i = 0; i < ho; i++)
                for (int j = 0; j < wo; j++) {
                    double acc = bias ? bias[o] : 0.0;
                    for (int c = 0; c < cin_g; c++)
                        for (int u = 0; u < g->kh; u++) {
                            int yy = i * g->sh - g->ph + u * g->dh;
                            if (yy < 0 || yy >= g->h)
                                continue;
                            const float *xrow = x + (((int64_t)b * g->cin + c0 + c) * g->h + yy) * g->w;
                            const float *wrow = wo_ + ((int64_t)c * g->kh + u) * g->kw;
                            for (int v = 0; v < g->kw; v++) {
                                int xx = j * g->sw - g->pw + v * g->dw;
                                if (xx >= 0 && xx < g->w)
                                    acc += (double)wrow[v] * xrow[xx];
                            }
                        }
                    y[(((int64_t)b * g->cout + o) * ho + i) * wo + j] = (float)acc;
                }
        }
}

void bn_act_ref(float *y, int n, int c, int64_t hw, const float *gamma, const float *beta,
                const float *mean, const float *var, double eps, int act)
{
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++) {
            double scale = gamma[ch] / sqrt((double)var[ch] + eps);
            float *p = y + ((int64_t)b * c + ch) * hw;
            for (int64_t i = 0; i < hw; i++) {
                float v = (float)(((double)p[i] - mean[ch]) * scale + beta[ch]);
                p[i] = act ? silu_ref(v) : v;
            }
        }
}

void conv_sub_args(struct args *a, int c1, int c2, int k, int g, double eps)
{
    args_defaults(&op_conv, a);
    a->v[arg_index(&op_conv, "c1")] = c1;
    a->v[arg_index(&op_conv, "c2")] = c2;
    a->v[arg_index(&op_conv, "k")] = k;
    a->v[arg_index(&op_conv, "g")] = g;
    a->v[arg_index(&op_conv, "bn_eps")] = eps;
}

void wl_append(struct weight_list *wl, const char *prefix, const struct weight_list *sub)
{
    for (int i = 0; i < sub->n && wl->n < WEIGHTS_MAX; i++) {
        struct weight_desc *d = &wl->w[wl->n++];
        *d = sub->w[i];
        snprintf(d->key, sizeof d->key, "%s%s", prefix, sub->w[i].key);
    }
}

int op_weight_count(const struct op *op, const struct args *a)
{
    struct weight_list wl;
    op->weights(a, &wl);
    return wl.n;
}

float *ref_alloc(int64_t n)
{
    float *p = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (!p) {
        fprintf(stderr, "ablate: out of memory in a reference forward (%lld floats)\n",
                (long long)n);
        abort();
    }
    return p;
}

void op_forward_sub(const struct op *op, const struct args *a, struct shape4 in,
                    const float *const *w, int off, const float *x, float *y)
{
    op->forward_ref(a, in, w + off, x, y);
}
