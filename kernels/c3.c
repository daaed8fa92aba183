/* kernels/c3.c — ultralytics C3 (CSP bottleneck with three Convs),
 * MODULES.md 3.4, and the block description it shares with C3_DCNv3_DLKA
 * (kernels/c3.h).  Composed from the Conv row: counts, keys and the
 * reference are sums and chains of Conv's.
 *
 * C3's bottleneck is Bottleneck(c_, c_, shortcut, g, k=(1, 3), e=1.0): its
 * two kernels differ, which the Bottleneck row (one k) cannot express, so
 * the two Convs are composed here directly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c3.h"

static const struct arg_spec c3_schema[] = {
    {"c1", ARG_INT, NULL, NULL, "input channels"},
    {"c2", ARG_INT, NULL, NULL, "output channels"},
    {"n", ARG_INT, "1", NULL, "Bottlenecks"},
    {"shortcut", ARG_BOOL, "1", NULL, "residual add inside each Bottleneck"},
    {"g", ARG_INT, "1", NULL, "groups of each Bottleneck's 3x3 cv2"},
    {"e", ARG_FLOAT, "0.5", NULL, "hidden width c_ = int(c2 * e)"},
    {"bn_eps", ARG_FLOAT, "1e-5", NULL, "BatchNorm eps (1e-3 inside a YAML model)"},
    {NULL, 0, NULL, NULL, NULL},
};

void csp3_cfg(struct csp3 *s, const struct args *a)
{
    double eps = arg_get(a, "bn_eps");
    memset(s, 0, sizeof *s);
    s->c1 = arg_geti(a, "c1");
    s->c2 = arg_geti(a, "c2");
    s->n = arg_geti(a, "n");
    s->g = arg_geti(a, "g");
    s->c_ = (int)((double)s->c2 * arg_get(a, "e")); /* Python's int() */
    s->add = arg_geti(a, "shortcut");
    conv_sub_args(&s->cv1, s->c1, s->c_, 1, 1, eps);
    conv_sub_args(&s->cv2, s->c1, s->c_, 1, 1, eps);
    conv_sub_args(&s->cv3, 2 * s->c_, s->c2, 1, 1, eps);
    conv_sub_args(&s->mcv1, s->c_, s->c_, 1, 1, eps);
    conv_sub_args(&s->mcv2, s->c_, s->c_, 3, s->g, eps);
}

static int bneck_weight_count(const struct csp3 *s)
{
    return CSP3_BNECK_CONV_WEIGHTS + (s->attn ? op_weight_count(s->attn, &s->attn_args) : 0);
}

int csp3_n_max(const struct csp3 *s)
{
    return (WEIGHTS_MAX - CSP3_OUTER_WEIGHTS) / bneck_weight_count(s);
}

static struct shape4 with_c(struct shape4 s, int c) { return (struct shape4){s.n, c, s.h, s.w}; }

/* The block, cv1, cv2, cv3, the nn.Sequential m, and per bottleneck the
 * bottleneck itself, its two Convs and its attention (if any). */
void csp3_model_counts(const struct csp3 *s, struct shape4 in, struct model_counts *mc)
{
    struct shape4 mid = with_c(in, s->c_);
    mc->modules += 2;
    op_conv.model_counts(&s->cv1, in, mc);
    op_conv.model_counts(&s->cv2, in, mc);
    op_conv.model_counts(&s->cv3, with_c(in, 2 * s->c_), mc);
    for (int i = 0; i < s->n; i++) {
        mc->modules += 1;
        op_conv.model_counts(&s->mcv1, mid, mc);
        op_conv.model_counts(&s->mcv2, mid, mc);
        if (s->attn)
            s->attn->model_counts(&s->attn_args, mid, mc);
    }
}

int64_t csp3_params(const struct csp3 *s)
{
    int64_t m = op_conv.params(&s->mcv1) + op_conv.params(&s->mcv2) +
                (s->attn ? s->attn->params(&s->attn_args) : 0);
    return op_conv.params(&s->cv1) + op_conv.params(&s->cv2) + op_conv.params(&s->cv3) + s->n * m;
}

int64_t csp3_flops_thop(const struct csp3 *s, struct shape4 in)
{
    struct shape4 hs = with_c(in, s->c_);
    int64_t m = op_conv.flops_thop(&s->mcv1, hs) + op_conv.flops_thop(&s->mcv2, hs) +
                (s->attn ? s->attn->flops_thop(&s->attn_args, hs) : 0);
    return op_conv.flops_thop(&s->cv1, in) + op_conv.flops_thop(&s->cv2, in) +
           op_conv.flops_thop(&s->cv3, with_c(in, 2 * s->c_)) + s->n * m;
}

int64_t csp3_flops_full(const struct csp3 *s, struct shape4 in)
{
    struct shape4 hs = with_c(in, s->c_);
    int64_t add = s->add ? (int64_t)in.n * s->c_ * in.h * in.w : 0;
    int64_t m = op_conv.flops_full(&s->mcv1, hs) + op_conv.flops_full(&s->mcv2, hs) +
                (s->attn ? s->attn->flops_full(&s->attn_args, hs) : 0) + add;
    return op_conv.flops_full(&s->cv1, in) + op_conv.flops_full(&s->cv2, in) +
           op_conv.flops_full(&s->cv3, with_c(in, 2 * s->c_)) + s->n * m;
}

/* MODULES.md 1.3: every BN keeps running mean and var besides its params. */
int64_t csp3_bytes(const struct csp3 *s, struct shape4 in)
{
    int64_t bn_channels = 2 * (int64_t)s->c_ + s->c2 + (int64_t)s->n * 2 * s->c_;
    int64_t state = csp3_params(s) + 2 * bn_channels;
    int64_t hw = (int64_t)in.h * in.w;
    return 4 * ((int64_t)in.n * s->c1 * hw + (int64_t)in.n * s->c2 * hw + state);
}

/* PyTorch registers cv1, cv2, cv3, then m (each: cv1, cv2, Dattention). */
void csp3_weights(const struct csp3 *s, struct weight_list *wl)
{
    struct weight_list sub;
    char prefix[40];
    wl->n = 0;
    op_conv.weights(&s->cv1, &sub);
    wl_append(wl, "cv1.", &sub);
    wl_append(wl, "cv2.", &sub); /* same shapes as cv1 */
    op_conv.weights(&s->cv3, &sub);
    wl_append(wl, "cv3.", &sub);
    for (int i = 0; i < s->n; i++) {
        snprintf(prefix, sizeof prefix, "m.%d.cv1.", i);
        op_conv.weights(&s->mcv1, &sub);
        wl_append(wl, prefix, &sub);
        snprintf(prefix, sizeof prefix, "m.%d.cv2.", i);
        op_conv.weights(&s->mcv2, &sub);
        wl_append(wl, prefix, &sub);
        if (!s->attn)
            continue;
        snprintf(prefix, sizeof prefix, "m.%d.Dattention.", i);
        s->attn->weights(&s->attn_args, &sub);
        wl_append(wl, prefix, &sub);
    }
}

/* First weight pointer of bottleneck i (its cv1). */
static int bneck_offset(const struct csp3 *s, int i)
{
    return CSP3_OUTER_WEIGHTS + i * bneck_weight_count(s);
}

void csp3_init(const struct csp3 *s, enum init_mode mode, struct rng *r, float *const *w)
{
    op_conv.init(&s->cv1, mode, r, w);
    op_conv.init(&s->cv2, mode, r, w + 6);
    op_conv.init(&s->cv3, mode, r, w + 12);
    for (int i = 0; i < s->n; i++) {
        float *const *m = w + bneck_offset(s, i);
        op_conv.init(&s->mcv1, mode, r, m);
        op_conv.init(&s->mcv2, mode, r, m + 6);
        if (s->attn)
            s->attn->init(&s->attn_args, mode, r, m + CSP3_BNECK_CONV_WEIGHTS);
    }
}

/* One bottleneck: out = [z +] Dattention?(cv2(cv1(z))); t1, t2 scratch. */
static void bneck_forward(const struct csp3 *s, struct shape4 hs, const float *const *w, int off,
                          const float *z, float *out, float *t1, float *t2)
{
    op_forward_sub(&op_conv, &s->mcv1, hs, w, off, z, t1);
    op_forward_sub(&op_conv, &s->mcv2, hs, w, off + 6, t1, s->attn ? t2 : out);
    if (s->attn)
        op_forward_sub(s->attn, &s->attn_args, hs, w, off + CSP3_BNECK_CONV_WEIGHTS, t2, out);
    int64_t n = (int64_t)hs.n * hs.c * hs.h * hs.w;
    for (int64_t i = 0; s->add && i < n; i++)
        out[i] = z[i] + out[i];
}

/* Copies a batched c-channel tensor into channels c0.. of a ccat-channel one. */
static void put_channels(float *cat, int ccat, int c0, const float *src, int c, int batch,
                         int64_t hw)
{
    for (int b = 0; b < batch; b++)
        memcpy(cat + ((int64_t)b * ccat + c0) * hw, src + (int64_t)b * c * hw,
               sizeof(float) * (size_t)(c * hw));
}

void csp3_forward_ref(const struct csp3 *s, struct shape4 in, const float *const *w, const float *x,
                      float *y)
{
    struct shape4 hs = with_c(in, s->c_);
    int64_t hw = (int64_t)in.h * in.w, nh = (int64_t)in.n * s->c_ * hw;
    float *z = ref_alloc(nh), *out = ref_alloc(nh), *t1 = ref_alloc(nh), *t2 = ref_alloc(nh);
    float *cat = ref_alloc(2 * nh);
    op_forward_sub(&op_conv, &s->cv1, in, w, 0, x, z);
    for (int i = 0; i < s->n; i++) {
        bneck_forward(s, hs, w, bneck_offset(s, i), z, out, t1, t2);
        float *swap = z; /* the next bottleneck reads this one's output */
        z = out;
        out = swap;
    }
    put_channels(cat, 2 * s->c_, 0, z, s->c_, in.n, hw);
    op_forward_sub(&op_conv, &s->cv2, in, w, 6, x, t1);
    put_channels(cat, 2 * s->c_, s->c_, t1, s->c_, in.n, hw);
    op_forward_sub(&op_conv, &s->cv3, with_c(in, 2 * s->c_), w, 12, cat, y);
    free(cat);
    free(t2);
    free(t1);
    free(out);
    free(z);
}

/* ---- the C3 row ---- */

static struct csp3 c3_cfg(const struct args *a)
{
    struct csp3 s;
    csp3_cfg(&s, a);
    return s;
}

static struct shape4 c3_out_shape(const struct args *a, struct shape4 in)
{
    return (struct shape4){in.n, arg_geti(a, "c2"), in.h, in.w};
}

static int c3_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    struct csp3 s = c3_cfg(a);
    if (s.c1 < 1 || s.c2 < 1 || s.g < 1 || s.c_ < 1) {
        snprintf(err, errlen, "C3: c1, c2, g and int(c2 * e) must be >= 1");
        return -1;
    }
    if (s.n < 1 || s.n > csp3_n_max(&s)) {
        snprintf(err, errlen, "C3: n must be in 1..%d", csp3_n_max(&s));
        return -1;
    }
    if (s.c_ % s.g) {
        snprintf(err, errlen, "C3: hidden channels %d must be divisible by groups %d", s.c_, s.g);
        return -1;
    }
    return 0;
}

static int64_t c3_params(const struct args *a)
{
    struct csp3 s = c3_cfg(a);
    return csp3_params(&s);
}

static int64_t c3_flops_thop(const struct args *a, struct shape4 in)
{
    struct csp3 s = c3_cfg(a);
    return csp3_flops_thop(&s, in);
}

static int64_t c3_flops_full(const struct args *a, struct shape4 in)
{
    struct csp3 s = c3_cfg(a);
    return csp3_flops_full(&s, in);
}

static int64_t c3_bytes(const struct args *a, struct shape4 in)
{
    struct csp3 s = c3_cfg(a);
    return csp3_bytes(&s, in);
}

static void c3_weights(const struct args *a, struct weight_list *wl)
{
    struct csp3 s = c3_cfg(a);
    csp3_weights(&s, wl);
}

static void c3_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct csp3 s = c3_cfg(a);
    csp3_init(&s, mode, r, w);
}

static void c3_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                           const float *x, float *y)
{
    struct csp3 s = c3_cfg(a);
    csp3_forward_ref(&s, in, w, x, y);
}

static void c3_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    struct csp3 s;
    csp3_cfg(&s, a);
    csp3_model_counts(&s, in, mc);
}

static const struct yaml_map c3_yaml = {YAML_STD_N, "shortcut|g|e", "ultralytics.nn.modules.block.C3", NULL};

const struct op op_c3 = {
    .name = "C3",
    .aliases = NULL,
    .schema = c3_schema,
    .arg_cin = "c1",
    .arg_cout = "c2",
    .arg_stride = NULL,
    .gen = "c3",
    .tol_nmse = 1e-10,
    .tol_reason = "Convs, adds and a concat: only float32 summation order differs",
    .validate = c3_validate,
    .out_shape = c3_out_shape,
    .params = c3_params,
    .flops_thop = c3_flops_thop,
    .flops_full = c3_flops_full,
    .bytes = c3_bytes,
    .weights = c3_weights,
    .init = c3_init,
    .forward_ref = c3_forward_ref,
    .yaml = &c3_yaml,
    .model_counts = c3_model_counts,
};
