/* kernels/sppf.c — ultralytics SPPF (spatial pyramid pooling, fast): a 1x1
 * Conv, three chained k x k max pools, the four maps concatenated, a 1x1
 * Conv.  MODULES.md 3.5.  Composed from the Conv row. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static const struct arg_spec sppf_schema[] = {
    {"c1", ARG_INT, NULL, NULL, "input channels (hidden c_ = c1 // 2)"},
    {"c2", ARG_INT, NULL, NULL, "output channels"},
    {"k", ARG_INT, "5", NULL, "max-pool window (odd), stride 1, padding k // 2"},
    {"bn_eps", ARG_FLOAT, "1e-5", NULL, "BatchNorm eps (1e-3 inside a YAML model)"},
    {NULL, 0, NULL, NULL, NULL},
};

/* Largest pool window: far beyond any real layer, keeps k*k inside int. */
#define SPPF_K_MAX 1023

struct sppf {
    int c1, c2, c, k;
    struct args cv1, cv2;
};

static struct sppf sppf_cfg(const struct args *a)
{
    struct sppf f = {.c1 = arg_geti(a, "c1"), .c2 = arg_geti(a, "c2"), .k = arg_geti(a, "k")};
    double eps = arg_get(a, "bn_eps");
    f.c = f.c1 / 2;
    conv_sub_args(&f.cv1, f.c1, f.c, 1, 1, eps);
    conv_sub_args(&f.cv2, 4 * f.c, f.c2, 1, 1, eps);
    return f;
}

static struct shape4 with_c(struct shape4 s, int c) { return (struct shape4){s.n, c, s.h, s.w}; }

static struct shape4 sppf_out_shape(const struct args *a, struct shape4 in)
{
    return with_c(in, arg_geti(a, "c2"));
}

static int sppf_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    struct sppf f = sppf_cfg(a);
    if (f.c1 < 2 || f.c2 < 1) {
        snprintf(err, errlen, "SPPF: c1 must be >= 2 and c2 >= 1");
        return -1;
    }
    if (f.k < 1 || f.k > SPPF_K_MAX) {
        snprintf(err, errlen, "SPPF: k must be from 1 to %d (got %d)", SPPF_K_MAX, f.k);
        return -1;
    }
    if (f.k % 2 == 0) { /* the pool's output would be H+1: the concat breaks */
        snprintf(err, errlen, "SPPF: k must be odd");
        return -1;
    }
    return 0;
}

static int64_t sppf_params(const struct args *a)
{
    struct sppf f = sppf_cfg(a);
    return op_conv.params(&f.cv1) + op_conv.params(&f.cv2);
}

static int64_t sppf_flops_thop(const struct args *a, struct shape4 in)
{
    struct sppf f = sppf_cfg(a);
    return op_conv.flops_thop(&f.cv1, in) + op_conv.flops_thop(&f.cv2, with_c(in, 4 * f.c));
}

/* The Convs + three pools of k*k - 1 compares per output. */
static int64_t sppf_flops_full(const struct args *a, struct shape4 in)
{
    struct sppf f = sppf_cfg(a);
    int64_t pools = 3 * (int64_t)in.n * f.c * in.h * in.w * ((int64_t)f.k * f.k - 1);
    return op_conv.flops_full(&f.cv1, in) + op_conv.flops_full(&f.cv2, with_c(in, 4 * f.c)) +
           pools;
}

static int64_t sppf_bytes(const struct args *a, struct shape4 in)
{
    struct sppf f = sppf_cfg(a);
    int64_t state = sppf_params(a) + 2 * ((int64_t)f.c + f.c2);
    int64_t hw = (int64_t)in.h * in.w;
    return 4 * ((int64_t)in.n * f.c1 * hw + (int64_t)in.n * f.c2 * hw + state);
}

static void sppf_weights(const struct args *a, struct weight_list *wl)
{
    struct sppf f = sppf_cfg(a);
    struct weight_list sub;
    wl->n = 0;
    op_conv.weights(&f.cv1, &sub);
    wl_append(wl, "cv1.", &sub);
    op_conv.weights(&f.cv2, &sub);
    wl_append(wl, "cv2.", &sub);
}

static void sppf_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct sppf f = sppf_cfg(a);
    op_conv.init(&f.cv1, mode, r, w);
    op_conv.init(&f.cv2, mode, r, w + op_weight_count(&op_conv, &f.cv1));
}

/* MaxPool2d(k, 1, k // 2) of one plane; positions outside are ignored. */
static void maxpool_plane(const float *x, float *y, int h, int w, int k)
{
    int p = k / 2;
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            float m = -FLT_MAX;
            for (int u = i - p; u <= i + p; u++)
                for (int v = j - p; v <= j + p; v++)
                    if (u >= 0 && u < h && v >= 0 && v < w && x[u * w + v] > m)
                        m = x[u * w + v];
            y[i * w + j] = m;
        }
}

static void sppf_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                             const float *x, float *y)
{
    struct sppf f = sppf_cfg(a);
    int64_t hw = (int64_t)in.h * in.w, plane = (int64_t)f.c * hw;
    float *t = ref_alloc((int64_t)in.n * plane);
    float *cat = ref_alloc((int64_t)in.n * 4 * plane);
    op_forward_sub(&op_conv, &f.cv1, in, w, 0, x, t);
    for (int b = 0; b < in.n; b++) {
        float *dst = cat + (int64_t)b * 4 * plane;
        memcpy(dst, t + (int64_t)b * plane, sizeof(float) * (size_t)plane); /* y0 */
        for (int s = 1; s < 4; s++)                                           /* y_s = P(y_{s-1}) */
            for (int c = 0; c < f.c; c++)
                maxpool_plane(dst + (s - 1) * plane + c * hw, dst + s * plane + c * hw, in.h,
                              in.w, f.k);
    }
    op_forward_sub(&op_conv, &f.cv2, with_c(in, 4 * f.c), w, op_weight_count(&op_conv, &f.cv1),
                   cat, y);
    free(cat);
    free(t);
}

/* SPPF, cv1, cv2, m (one nn.MaxPool2d applied three times). */
static void sppf_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    struct sppf f = sppf_cfg(a);
    mc->modules += 2;
    mc->leaves += 1;
    op_conv.model_counts(&f.cv1, in, mc);
    op_conv.model_counts(&f.cv2, with_c(in, 4 * f.c), mc);
}

static const struct yaml_map sppf_yaml = {YAML_STD, "k", "ultralytics.nn.modules.block.SPPF",
                                          NULL};

const struct op op_sppf = {
    .name = "SPPF",
    .aliases = NULL,
    .schema = sppf_schema,
    .arg_cin = "c1",
    .arg_cout = "c2",
    .arg_stride = NULL,
    .gen = "sppf",
    .tol_nmse = 1e-10,
    .tol_reason = "two Convs, max pools and a concat: only float32 summation order differs",
    .validate = sppf_validate,
    .out_shape = sppf_out_shape,
    .params = sppf_params,
    .flops_thop = sppf_flops_thop,
    .flops_full = sppf_flops_full,
    .bytes = sppf_bytes,
    .weights = sppf_weights,
    .init = sppf_init,
    .forward_ref = sppf_forward_ref,
    .yaml = &sppf_yaml,
    .model_counts = sppf_model_counts,
};
