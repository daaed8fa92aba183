/* kernels/bottleneck.c — ultralytics Bottleneck: two Convs and a residual
 * add.  MODULES.md 3.2.  Composed from the Conv row (kernels/conv.c) so that
 * counts, keys and the reference can never drift from Conv's. */
#include <stdio.h>
#include <stdlib.h>

#include "bottleneck.h"

static const struct arg_spec bottleneck_schema[] = {
    {"c1", ARG_INT, NULL, NULL, "input channels"},
    {"c2", ARG_INT, NULL, NULL, "output channels"},
    {"shortcut", ARG_BOOL, "1", NULL, "residual add (taken only when c1 == c2)"},
    {"g", ARG_INT, "1", NULL, "groups of cv2"},
    {"k", ARG_INT, "3", NULL, "kernel size of cv1 and cv2 (ultralytics k=(k, k))"},
    {"e", ARG_FLOAT, "0.5", NULL, "hidden width c_ = int(c2 * e)"},
    {"bn_eps", ARG_FLOAT, "1e-5", NULL, "BatchNorm eps (1e-3 inside a YAML model)"},
    {NULL, 0, NULL, NULL, NULL},
};

struct bneck {
    int c1, c2, hidden, g, k, add;
    double eps;
    struct args cv1, cv2;
};

/* Python's int(c2 * e) for the non-negative product. */
static int hidden_width(int c2, double e) { return (int)((double)c2 * e); }

static struct bneck bneck(const struct args *a)
{
    struct bneck b = {.c1 = arg_geti(a, "c1"), .c2 = arg_geti(a, "c2"), .g = arg_geti(a, "g"),
                      .k = arg_geti(a, "k"), .eps = arg_get(a, "bn_eps")};
    b.hidden = hidden_width(b.c2, arg_get(a, "e"));
    b.add = arg_geti(a, "shortcut") && b.c1 == b.c2;
    conv_sub_args(&b.cv1, b.c1, b.hidden, b.k, 1, b.eps);
    conv_sub_args(&b.cv2, b.hidden, b.c2, b.k, b.g, b.eps);
    return b;
}

static struct shape4 bneck_out_shape(const struct args *a, struct shape4 in)
{
    return (struct shape4){in.n, arg_geti(a, "c2"), in.h, in.w};
}

static int bneck_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    struct bneck b = bneck(a);
    if (b.c1 < 1 || b.c2 < 1 || b.g < 1 || b.hidden < 1) {
        snprintf(err, errlen, "Bottleneck: c1, c2, g and int(c2 * e) must be >= 1");
        return -1;
    }
    if (b.hidden % b.g || b.c2 % b.g) {
        snprintf(err, errlen, "Bottleneck: channels (%d, %d) must be divisible by groups %d",
                 b.hidden, b.c2, b.g);
        return -1;
    }
    /* an even k changes the size (stride 1, padding k/2): the add would fail */
    if (b.k < 1 || b.k % 2 == 0) {
        snprintf(err, errlen, "Bottleneck: k must be odd and >= 1");
        return -1;
    }
    return 0;
}

static struct shape4 hidden_shape(const struct bneck *b, struct shape4 in)
{
    return (struct shape4){in.n, b->hidden, in.h, in.w};
}

static int64_t bneck_params(const struct args *a)
{
    struct bneck b = bneck(a);
    return op_conv.params(&b.cv1) + op_conv.params(&b.cv2);
}

static int64_t bneck_flops_thop(const struct args *a, struct shape4 in)
{
    struct bneck b = bneck(a);
    return op_conv.flops_thop(&b.cv1, in) + op_conv.flops_thop(&b.cv2, hidden_shape(&b, in));
}

static int64_t bneck_flops_full(const struct args *a, struct shape4 in)
{
    struct bneck b = bneck(a);
    int64_t add = b.add ? (int64_t)in.n * b.c2 * in.h * in.w : 0;
    return op_conv.flops_full(&b.cv1, in) + op_conv.flops_full(&b.cv2, hidden_shape(&b, in)) + add;
}

static int64_t bneck_bytes(const struct args *a, struct shape4 in)
{
    struct bneck b = bneck(a);
    int64_t state = bneck_params(a) + 2 * (int64_t)(b.hidden + b.c2);
    return 4 * ((int64_t)in.n * b.c1 * in.h * in.w + (int64_t)in.n * b.c2 * in.h * in.w + state);
}

static void bneck_weights(const struct args *a, struct weight_list *wl)
{
    struct bneck b = bneck(a);
    struct weight_list sub;
    wl->n = 0;
    op_conv.weights(&b.cv1, &sub);
    wl_append(wl, "cv1.", &sub);
    op_conv.weights(&b.cv2, &sub);
    wl_append(wl, "cv2.", &sub);
}

static void bneck_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct bneck b = bneck(a);
    op_conv.init(&b.cv1, mode, r, w);
    op_conv.init(&b.cv2, mode, r, w + op_weight_count(&op_conv, &b.cv1));
}

static void bneck_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                              const float *x, float *y)
{
    struct bneck b = bneck(a);
    struct shape4 hs = hidden_shape(&b, in);
    float *t = ref_alloc((int64_t)hs.n * hs.c * hs.h * hs.w);
    op_forward_sub(&op_conv, &b.cv1, in, w, 0, x, t);
    op_forward_sub(&op_conv, &b.cv2, hs, w, op_weight_count(&op_conv, &b.cv1), t, y);
    free(t);
    int64_t n = (int64_t)in.n * b.c2 * in.h * in.w;
    for (int64_t i = 0; b.add && i < n; i++)
        y[i] = x[i] + y[i];
}

void bottleneck_sub_args(struct args *a, int c1, int c2, int shortcut, int g, int k, double e,
                         double eps)
{
    args_defaults(&op_bottleneck, a);
    a->v[arg_index(&op_bottleneck, "c1")] = c1;
    a->v[arg_index(&op_bottleneck, "c2")] = c2;
    a->v[arg_index(&op_bottleneck, "shortcut")] = shortcut;
    a->v[arg_index(&op_bottleneck, "g")] = g;
    a->v[arg_index(&op_bottleneck, "k")] = k;
    a->v[arg_index(&op_bottleneck, "e")] = e;
    a->v[arg_index(&op_bottleneck, "bn_eps")] = eps;
}

static void bneck_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    struct bneck b = bneck(a);
    mc->modules += 1;
    op_conv.model_counts(&b.cv1, in, mc);
    op_conv.model_counts(&b.cv2, hidden_shape(&b, in), mc);
}

/* ultralytics' k is a tuple (k, k): a YAML gives it as one int here. */
static const struct yaml_map bneck_yaml = {YAML_STD, "shortcut|g|k|e",
                                           "ultralytics.nn.modules.block.Bottleneck", NULL};

const struct op op_bottleneck = {
    .name = "Bottleneck",
    .aliases = NULL,
    .schema = bottleneck_schema,
    .arg_cin = "c1",
    .arg_cout = "c2",
    .arg_stride = NULL,
    .gen = "bottleneck",
    .tol_nmse = 1e-10,
    .tol_reason = "two Convs and an add: only float32 summation order differs",
    .validate = bneck_validate,
    .out_shape = bneck_out_shape,
    .params = bneck_params,
    .flops_thop = bneck_flops_thop,
    .flops_full = bneck_flops_full,
    .bytes = bneck_bytes,
    .weights = bneck_weights,
    .init = bneck_init,
    .forward_ref = bneck_forward_ref,
    .yaml = &bneck_yaml,
    .model_counts = bneck_model_counts,
};
