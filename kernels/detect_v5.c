/* kernels/detect_v5.c — the YOLOv5 repository's anchor-based Detect
 * (models/yolo.py, v7.0): per level one 1x1 conv with bias to na*(nc+5)
 * channels, sigmoid, grid/anchor decode.  MODULES.md 3.7.  A YAML selects
 * it by a top-level `anchors:` list and `Detect, [nc, anchors]`.  Levels as
 * in kernels/detect.c: level l is half (rounded up) of level l-1, `in` is
 * level 0; x holds the levels' maps one after another.  Output (B, N, no)
 * with N = sum_l na*H_l*W_l, stored as the shape4 {B, N, 1, no}. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

#define V5_LEVELS_MAX 4
#define V5_NA_MAX 16
#define V5_NC_MAX 100000

static const struct arg_spec detect_v5_schema[] = {
    {"nc", ARG_INT, "80", NULL, "classes"},
    {"na", ARG_INT, "3", NULL, "anchors per level"},
    {"ch0", ARG_INT, NULL, NULL, "channels of level 0 (stride0)"},
    {"ch1", ARG_INT, "0", NULL, "channels of level 1 (0: absent)"},
    {"ch2", ARG_INT, "0", NULL, "channels of level 2 (0: absent)"},
    {"ch3", ARG_INT, "0", NULL, "channels of level 3 (0: absent)"},
    {"stride0", ARG_INT, "8", NULL, "stride of level 0; level l has stride0 * 2^l"},
    {NULL, 0, NULL, NULL, NULL},
};

struct v5 {
    int nc, na, no, nl, stride0;
    int ch[V5_LEVELS_MAX];
    struct shape4 lv[V5_LEVELS_MAX];
    int64_t cells; /* sum_l H_l * W_l */
};

static struct v5 v5_cfg(const struct args *a, struct shape4 in)
{
    static const char *const names[] = {"ch0", "ch1", "ch2", "ch3"};
    struct v5 d = {.nc = arg_geti(a, "nc"), .na = arg_geti(a, "na"),
                   .stride0 = arg_geti(a, "stride0")};
    d.no = d.nc + 5;
    for (int l = 0; l < V5_LEVELS_MAX && arg_geti(a, names[l]) > 0; l++) {
        d.ch[l] = arg_geti(a, names[l]);
        d.lv[l] = l ? (struct shape4){in.n, d.ch[l], (d.lv[l - 1].h + 1) / 2,
                                      (d.lv[l - 1].w + 1) / 2}
                    : (struct shape4){in.n, d.ch[0], in.h, in.w};
        d.cells += (int64_t)d.lv[l].h * d.lv[l].w;
        d.nl = l + 1;
    }
    return d;
}

static struct shape4 v5_out_shape(const struct args *a, struct shape4 in)
{
    struct v5 d = v5_cfg(a, in);
    return (struct shape4){in.n, (int)(d.na * d.cells), 1, d.no};
}

static int v5_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    static const char *const names[] = {"ch0", "ch1", "ch2", "ch3"};
    if (arg_geti(a, "nc") < 1) {
        snprintf(err, errlen, "DetectV5: nc must be >= 1");
        return -1;
    }
    if (arg_geti(a, "nc") > V5_NC_MAX || arg_geti(a, "na") < 1 || arg_geti(a, "na") > V5_NA_MAX ||
        arg_geti(a, "ch0") < 1 || arg_geti(a, "stride0") < 1) {
        snprintf(err, errlen, "DetectV5: nc must be <= %d, na from 1 to %d, ch0 and stride0 >= 1",
                 V5_NC_MAX, V5_NA_MAX);
        return -1;
    }
    for (int l = 1; l < V5_LEVELS_MAX; l++)
        if (arg_geti(a, names[l]) < 0 ||
            (arg_geti(a, names[l]) > 0 && arg_geti(a, names[l - 1]) < 1)) {
            snprintf(err, errlen, "DetectV5: level channels must be >= 1, without gaps (ch%d)", l);
            return -1;
        }
    return 0;
}

static int64_t v5_params(const struct args *a)
{
    struct v5 d = v5_cfg(a, (struct shape4){1, 1, 1, 1});
    int64_t p = 0;
    for (int l = 0; l < d.nl; l++)
        p += (int64_t)d.na * d.no * (d.ch[l] + 1);
    return p;
}

/* thop: the 1x1 convs (bias not counted); the sigmoid is functional. */
static int64_t v5_flops_thop(const struct args *a, struct shape4 in)
{
    struct v5 d = v5_cfg(a, in);
    int64_t macs = 0;
    for (int l = 0; l < d.nl; l++)
        macs += (int64_t)in.n * d.lv[l].h * d.lv[l].w * d.na * d.no * d.ch[l];
    return 2 * macs;
}

/* Convs with bias; per output row sigmoid 3 no, xy 2 x (2y, -0.5, +grid,
 * x stride) = 8, wh 2 x (2y, square, x anchor) = 6. */
static int64_t v5_flops_full(const struct args *a, struct shape4 in)
{
    struct v5 d = v5_cfg(a, in);
    int64_t t = 0;
    for (int l = 0; l < d.nl; l++)
        t += (int64_t)in.n * d.lv[l].h * d.lv[l].w * d.na * d.no * (2 * (int64_t)d.ch[l] + 1);
    return t + (int64_t)in.n * d.na * d.cells * (3 * (int64_t)d.no + 14);
}

static int64_t v5_bytes(const struct args *a, struct shape4 in)
{
    struct v5 d = v5_cfg(a, in);
    int64_t inputs = 0;
    for (int l = 0; l < d.nl; l++)
        inputs += (int64_t)in.n * d.ch[l] * d.lv[l].h * d.lv[l].w;
    int64_t state = v5_params(a) + 2 * (int64_t)d.nl * d.na;
    return 4 * (inputs + (int64_t)in.n * d.na * d.cells * d.no + state);
}

/* state_dict: the `anchors` buffer (in stride units) first, then m.{l}. */
static void v5_weights(const struct args *a, struct weight_list *wl)
{
    struct v5 d = v5_cfg(a, (struct shape4){1, 1, 1, 1});
    char prefix[16];
    wl->n = 0;
    wl_add(wl, "", "anchors", 3, d.nl, d.na, 2, 0);
    for (int l = 0; l < d.nl; l++) {
        snprintf(prefix, sizeof prefix, "m.%d.", l);
        wl_add(wl, prefix, "weight", 4, (int64_t)d.na * d.no, d.ch[l], 1, 1);
        wl_add(wl, prefix, "bias", 1, (int64_t)d.na * d.no, 0, 0, 0);
    }
}

/* YOLOv5's default P3-P5 anchors in pixels; other levels/anchors repeat them. */
static const float default_anchors[3][6] = {
    {10, 13, 16, 30, 33, 23}, {30, 61, 62, 45, 59, 119}, {116, 90, 156, 198, 373, 326}};

static void v5_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct v5 d = v5_cfg(a, (struct shape4){1, 1, 1, 1});
    for (int l = 0; l < d.nl; l++) {
        for (int k = 0; k < 2 * d.na; k++)
            w[0][(l * d.na) * 2 + k] =
                default_anchors[l % 3][k % 6] / (float)(d.stride0 << l); /* stride units */
        int64_t rows = (int64_t)d.na * d.no;
        init_conv_weight(w[1 + 2 * l], rows * d.ch[l], d.ch[l], mode, 1.0f, r);
        init_conv_weight(w[2 + 2 * l], rows, d.ch[l], mode, 1.0f, r);
    }
}

static double sigmoid(double v) { return 1.0 / (1.0 + exp(-v)); }

/* Level l's rows of y: (a, i, j) order, each row no values. */
static void v5_level(const struct v5 *d, int l, const float *x, const float *const *w, float *y,
                     int64_t row0, int64_t rows_total)
{
    struct shape4 s = d->lv[l];
    int64_t hw = (int64_t)s.h * s.w, cout = (int64_t)d->na * d->no;
    double stride = (double)d->stride0 * (1 << l);
    float *t = ref_alloc(s.n * cout * hw);
    struct conv2d_geom g = {s.n, d->ch[l], s.h, s.w, (int)cout, 1, 1, 1, 1, 0, 0, 1, 1, 1};
    conv2d_ref(&g, x, w[1 + 2 * l], w[2 + 2 * l], t);
    for (int b = 0; b < s.n; b++)
        for (int an = 0; an < d->na; an++)
            for (int64_t p = 0; p < hw; p++) {
                const float *v = t + ((int64_t)b * cout + (int64_t)an * d->no) * hw + p;
                float *out = y + ((int64_t)b * rows_total + row0 + an * hw + p) * d->no;
                double gx = (double)(p % s.w), gy = (double)(p / s.w);
                for (int k = 0; k < d->no; k++)
                    out[k] = (float)sigmoid(v[k * hw]);
                out[0] = (float)((2.0 * out[0] - 0.5 + gx) * stride);
                out[1] = (float)((2.0 * out[1] - 0.5 + gy) * stride);
                for (int q = 0; q < 2; q++) {
                    double two = 2.0 * out[2 + q];
                    out[2 + q] = (float)(two * two * w[0][(l * d->na + an) * 2 + q] * stride);
                }
            }
    free(t);
}

static void v5_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                           const float *x, float *y)
{
    struct v5 d = v5_cfg(a, in);
    int64_t row0 = 0, rows = (int64_t)d.na * d.cells;
    for (int l = 0; l < d.nl; l++) {
        v5_level(&d, l, x, w, y, row0, rows);
        row0 += (int64_t)d.na * d.lv[l].h * d.lv[l].w;
        x += (int64_t)in.n * d.ch[l] * d.lv[l].h * d.lv[l].w;
    }
}

/* Detect, m (ModuleList) and its nl Conv2d. */
static void v5_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    struct v5 d = v5_cfg(a, in);
    mc->modules += 2 + d.nl;
    mc->leaves += d.nl;
    mc->buffers += 2 * (int64_t)d.nl * d.na;
}

static const struct yaml_map detect_v5_yaml = {YAML_DETECT, NULL, "models.yolo.Detect", NULL};

const struct op op_detect_v5 = {
    .name = "DetectV5",
    .aliases = NULL,
    .schema = detect_v5_schema,
    .arg_cin = "ch0",
    .arg_cout = NULL,
    .arg_stride = NULL,
    .gen = "detect_v5",
    .tol_nmse = 1e-10,
    .tol_reason = "1x1 convs, a sigmoid and a decode: float32 rounding only",
    .validate = v5_validate,
    .out_shape = v5_out_shape,
    .params = v5_params,
    .flops_thop = v5_flops_thop,
    .flops_full = v5_flops_full,
    .bytes = v5_bytes,
    .weights = v5_weights,
    .init = v5_init,
    .forward_ref = v5_forward_ref,
    .yaml = &detect_v5_yaml,
    .model_counts = v5_model_counts,
};
