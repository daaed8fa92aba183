/* kernels/detect.c — ultralytics Detect (YOLOv8, anchor-free, DFL box
 * head).  MODULES.md 3.6.  Several inputs: level l has ch<l> channels and,
 * as every YOLOv8 neck makes it, half (rounded up) the size of level l-1;
 * `in` is level 0's shape.  Output (B, 4 + nc, A) is stored as the shape4
 * {B, 4 + nc, 1, A}; the reference's input x is the levels' NCHW maps one
 * after another (level 0 first). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

#define DETECT_NC_MAX 100000
enum { REG_MAX = DETECT_REG_MAX };

static const struct arg_spec detect_schema[] = {
    {"nc", ARG_INT, "80", NULL, "classes"},
    {"ch0", ARG_INT, NULL, NULL, "channels of level 0 (stride0)"},
    {"ch1", ARG_INT, "0", NULL, "channels of level 1 (0: absent)"},
    {"ch2", ARG_INT, "0", NULL, "channels of level 2 (0: absent)"},
    {"ch3", ARG_INT, "0", NULL, "channels of level 3 (0: absent)"},
    {"stride0", ARG_INT, "8", NULL, "stride of level 0; level l has stride0 * 2^l"},
    {"bn_eps", ARG_FLOAT, "1e-5", NULL, "BatchNorm eps (1e-3 inside a YAML model)"},
    {NULL, 0, NULL, NULL, NULL},
};

struct detect detect_cfg(const struct args *a, struct shape4 in)
{
    static const char *const names[] = {"ch0", "ch1", "ch2", "ch3"};
    struct detect d = {.nc = arg_geti(a, "nc"), .stride0 = arg_geti(a, "stride0"),
                       .eps = arg_get(a, "bn_eps")};
    for (int l = 0; l < DETECT_LEVELS_MAX && arg_geti(a, names[l]) > 0; l++) {
        d.ch[l] = arg_geti(a, names[l]);
        d.lv[l] = l ? (struct shape4){in.n, d.ch[l], (d.lv[l - 1].h + 1) / 2,
                                      (d.lv[l - 1].w + 1) / 2}
                    : (struct shape4){in.n, d.ch[0], in.h, in.w};
        d.anchors += (int64_t)d.lv[l].h * d.lv[l].w;
        d.nl = l + 1;
    }
    int quarter = d.ch[0] / 4, nc100 = d.nc < 100 ? d.nc : 100;
    d.c2 = quarter > 4 * REG_MAX ? quarter : 4 * REG_MAX; /* max(16, ch0 // 4, 64) */
    d.c3 = d.ch[0] > nc100 ? d.ch[0] : nc100;            /* max(ch0, min(nc, 100)) */
    return d;
}

static struct shape4 detect_out_shape(const struct args *a, struct shape4 in)
{
    struct detect d = detect_cfg(a, in);
    return (struct shape4){in.n, 4 + d.nc, 1, (int)d.anchors};
}

static int detect_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    static const char *const names[] = {"ch0", "ch1", "ch2", "ch3"};
    if (arg_geti(a, "nc") < 1) {
        snprintf(err, errlen, "Detect: nc must be >= 1");
        return -1;
    }
    if (arg_geti(a, "nc") > DETECT_NC_MAX || arg_geti(a, "ch0") < 1 ||
        arg_geti(a, "stride0") < 1) {
        snprintf(err, errlen, "Detect: nc must be <= %d, ch0 and stride0 >= 1", DETECT_NC_MAX);
        return -1;
    }
    for (int l = 1; l < DETECT_LEVELS_MAX; l++)
        if (arg_geti(a, names[l]) < 0 || (arg_geti(a, names[l]) > 0 && arg_geti(a, names[l - 1]) < 1)) {
            snprintf(err, errlen, "Detect: level channels must be >= 1, without gaps (ch%d)", l);
            return -1;
        }
    return 0;
}

/* The four Convs of one level: cv2[l].0, cv2[l].1, cv3[l].0, cv3[l].1. */
void detect_level_convs(const struct detect *d, int l, struct args cv[4])
{
    conv_sub_args(&cv[0], d->ch[l], d->c2, 3, 1, d->eps);
    conv_sub_args(&cv[1], d->c2, d->c2, 3, 1, d->eps);
    conv_sub_args(&cv[2], d->ch[l], d->c3, 3, 1, d->eps);
    conv_sub_args(&cv[3], d->c3, d->c3, 3, 1, d->eps);
}

/* The Conv at index i of level l reads this shape. */
static struct shape4 conv_in(const struct detect *d, int l, int i)
{
    struct shape4 s = d->lv[l];
    s.c = i == 0 || i == 2 ? d->ch[l] : i == 1 ? d->c2 : d->c3;
    return s;
}

typedef int64_t (*conv_count)(const struct args *a, struct shape4 in);

static int64_t sum_convs(const struct detect *d, conv_count f)
{
    int64_t t = 0;
    for (int l = 0; l < d->nl; l++) {
        struct args cv[4];
        detect_level_convs(d, l, cv);
        for (int i = 0; i < 4; i++)
            t += f(&cv[i], conv_in(d, l, i));
    }
    return t;
}

static int64_t conv_params_at(const struct args *a, struct shape4 in) { return op_conv.params(a); }

static int64_t detect_params(const struct args *a)
{
    struct detect d = detect_cfg(a, (struct shape4){1, 1, 1, 1});
    int64_t heads = (int64_t)d.nl * (4 * REG_MAX * (d.c2 + 1) + (int64_t)d.nc * (d.c3 + 1));
    return sum_convs(&d, conv_params_at) + heads + REG_MAX;
}

static int64_t detect_flops_thop(const struct args *a, struct shape4 in)
{
    struct detect d = detect_cfg(a, in);
    int64_t macs = 0;
    for (int l = 0; l < d.nl; l++) /* the two 1x1 convs with bias (bias not counted) */
        macs += (int64_t)in.n * d.lv[l].h * d.lv[l].w * (4 * REG_MAX * d.c2 + (int64_t)d.nc * d.c3);
    macs += 4 * REG_MAX * (int64_t)in.n * d.anchors; /* the DFL conv */
    return sum_convs(&d, op_conv.flops_thop) + 2 * macs;
}

static int64_t detect_flops_full(const struct args *a, struct shape4 in)
{
    struct detect d = detect_cfg(a, in);
    int64_t t = sum_convs(&d, op_conv.flops_full);
    for (int l = 0; l < d.nl; l++)
        t += (int64_t)in.n * d.lv[l].h * d.lv[l].w *
             (4 * REG_MAX * (2 * (int64_t)d.c2 + 1) + (int64_t)d.nc * (2 * d.c3 + 1));
    /* DFL softmax 4 x (5*16 - 2), DFL conv 4 x 32, box decode 10, stride 4, sigmoid 3 nc */
    return t + (int64_t)in.n * d.anchors * (28 * REG_MAX + 6 + 3 * (int64_t)d.nc);
}

static int64_t detect_buffers(const struct detect *d)
{
    return (int64_t)d->nl * 2 * (2 * (int64_t)d->c2 + 2 * (int64_t)d->c3);
}

static int64_t detect_bytes(const struct args *a, struct shape4 in)
{
    struct detect d = detect_cfg(a, in);
    int64_t inputs = 0;
    for (int l = 0; l < d.nl; l++)
        inputs += (int64_t)in.n * d.ch[l] * d.lv[l].h * d.lv[l].w;
    int64_t state = detect_params(a) + detect_buffers(&d);
    return 4 * (inputs + (int64_t)in.n * (4 + d.nc) * d.anchors + state);
}

/* state_dict order: cv2 (every level), cv3 (every level), dfl. */
static void detect_weights(const struct args *a, struct weight_list *wl)
{
    struct detect d = detect_cfg(a, (struct shape4){1, 1, 1, 1});
    struct weight_list sub;
    char prefix[32];
    wl->n = 0;
    for (int br = 0; br < 2; br++)
        for (int l = 0; l < d.nl; l++) {
            struct args cv[4];
            detect_level_convs(&d, l, cv);
            int cin = br ? d.c3 : d.c2, cout = br ? d.nc : 4 * REG_MAX;
            for (int i = 0; i < 2; i++) {
                snprintf(prefix, sizeof prefix, "cv%d.%d.%d.", br + 2, l, i);
                op_conv.weights(&cv[2 * br + i], &sub);
                wl_append(wl, prefix, &sub);
            }
            snprintf(prefix, sizeof prefix, "cv%d.%d.2.", br + 2, l);
            wl_add(wl, prefix, "weight", 4, cout, cin, 1, 1);
            wl_add(wl, prefix, "bias", 1, cout, 0, 0, 0);
        }
    wl_add(wl, "dfl.conv.", "weight", 4, 1, REG_MAX, 1, 1);
}

int detect_weight_base(const struct detect *d, int br, int l) { return (br * d->nl + l) * 14; }

static void detect_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct detect d = detect_cfg(a, (struct shape4){1, 1, 1, 1});
    for (int br = 0; br < 2; br++)
        for (int l = 0; l < d.nl; l++) {
            struct args cv[4];
            detect_level_convs(&d, l, cv);
            int base = detect_weight_base(&d, br, l), cin = br ? d.c3 : d.c2;
            int64_t cout = br ? d.nc : 4 * REG_MAX;
            op_conv.init(&cv[2 * br], mode, r, w + base);
            op_conv.init(&cv[2 * br + 1], mode, r, w + base + 6);
            init_conv_weight(w[base + 12], cout * cin, cin, mode, 1.0f, r);
            init_conv_weight(w[base + 13], cout, cin, mode, 1.0f, r);
        }
    for (int i = 0; i < REG_MAX; i++) /* DFL: the expectation over bins 0..15 */
        w[detect_weight_base(&d, 2, 0)][i] = (float)i;
}

/* One branch of one level: two Convs then the 1x1 conv with bias, into y. */
static void branch_ref(const struct detect *d, int br, int l, const float *const *w,
                       const float *x, float *y)
{
    struct args cv[4];
    detect_level_convs(d, l, cv);
    struct shape4 s = d->lv[l];
    int base = detect_weight_base(d, br, l), mid = br ? d->c3 : d->c2, cout = br ? d->nc : 4 * REG_MAX;
    int64_t n = (int64_t)s.n * mid * s.h * s.w;
    float *t1 = ref_alloc(n), *t2 = ref_alloc(n);
    op_forward_sub(&op_conv, &cv[2 * br], conv_in(d, l, 2 * br), w, base, x, t1);
    op_forward_sub(&op_conv, &cv[2 * br + 1], conv_in(d, l, 2 * br + 1), w, base + 6, t1, t2);
    struct conv2d_geom g = {s.n, mid, s.h, s.w, cout, 1, 1, 1, 1, 0, 0, 1, 1, 1};
    conv2d_ref(&g, t2, w[base + 12], w[base + 13], y);
    free(t2);
    free(t1);
}

/* dist = sum_r r * softmax(bins)_r with the DFL conv's weights as r. */
static double dfl_ref(const float *bins, int64_t step, const float *r)
{
    double m = bins[0], z = 0, e = 0;
    for (int i = 1; i < REG_MAX; i++)
        m = bins[i * step] > m ? bins[i * step] : m;
    for (int i = 0; i < REG_MAX; i++) {
        double p = exp(bins[i * step] - m);
        z += p;
        e += p * r[i];
    }
    return e / z;
}

/* Decodes one level's box and cls maps into columns a0.. of y (B, 4+nc, A). */
static void decode_level(const struct detect *d, int l, const float *box, const float *cls,
                         const float *dflw, float *y, int64_t a0)
{
    struct shape4 s = d->lv[l];
    int64_t hw = (int64_t)s.h * s.w, A = d->anchors;
    double stride = (double)d->stride0 * (1 << l);
    for (int b = 0; b < s.n; b++)
        for (int64_t p = 0; p < hw; p++) {
            const float *bx = box + (int64_t)b * 4 * REG_MAX * hw + p;
            double ax = (double)(p % s.w) + 0.5, ay = (double)(p / s.w) + 0.5, dist[4];
            for (int q = 0; q < 4; q++)
                dist[q] = dfl_ref(bx + (int64_t)q * REG_MAX * hw, hw, dflw);
            double x1 = ax - dist[0], y1 = ay - dist[1], x2 = ax + dist[2], y2 = ay + dist[3];
            float *out = y + (int64_t)b * (4 + d->nc) * A + a0 + p;
            out[0] = (float)((x1 + x2) / 2 * stride);
            out[A] = (float)((y1 + y2) / 2 * stride);
            out[2 * A] = (float)((x2 - x1) * stride);
            out[3 * A] = (float)((y2 - y1) * stride);
            for (int k = 0; k < d->nc; k++)
                out[(4 + k) * A] =
                    (float)(1.0 / (1.0 + exp(-(double)cls[((int64_t)b * d->nc + k) * hw + p])));
        }
}

static void detect_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                               const float *x, float *y)
{
    struct detect d = detect_cfg(a, in);
    int64_t a0 = 0;
    const float *xl = x;
    for (int l = 0; l < d.nl; l++) {
        struct shape4 s = d.lv[l];
        int64_t hw = (int64_t)s.h * s.w;
        float *box = ref_alloc((int64_t)s.n * 4 * REG_MAX * hw);
        float *cls = ref_alloc((int64_t)s.n * d.nc * hw);
        branch_ref(&d, 0, l, w, xl, box);
        branch_ref(&d, 1, l, w, xl, cls);
        decode_level(&d, l, box, cls, w[detect_weight_base(&d, 2, 0)], y, a0);
        free(cls);
        free(box);
        a0 += hw;
        xl += (int64_t)s.n * d.ch[l] * hw;
    }
}

/* Detect, cv2, cv3 (ModuleLists), per level two nn.Sequential of Conv,
 * Conv, Conv2d; dfl (DFL + its frozen Conv2d). */
static void detect_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    struct detect d = detect_cfg(a, in);
    mc->modules += 3 + 4 * (int64_t)d.nl + 2;
    mc->leaves += 2 * (int64_t)d.nl + 1;
    mc->frozen += REG_MAX;
    for (int l = 0; l < d.nl; l++) {
        struct args cv[4];
        detect_level_convs(&d, l, cv);
        for (int i = 0; i < 4; i++)
            op_conv.model_counts(&cv[i], conv_in(&d, l, i), mc);
    }
}

static const struct yaml_map detect_yaml = {YAML_DETECT, NULL, "ultralytics.nn.modules.head.Detect",
                                            NULL};

const struct op op_detect = {
    .name = "Detect",
    .aliases = NULL,
    .schema = detect_schema,
    .arg_cin = "ch0",
    .arg_cout = NULL,
    .arg_stride = NULL,
    .gen = "detect",
    .tol_nmse = 1e-10,
    .tol_reason = "Convs, a softmax expectation and a sigmoid: float32 rounding only",
    .validate = detect_validate,
    .out_shape = detect_out_shape,
    .params = detect_params,
    .flops_thop = detect_flops_thop,
    .flops_full = detect_flops_full,
    .bytes = detect_bytes,
    .weights = detect_weights,
    .init = detect_init,
    .forward_ref = detect_forward_ref,
    .yaml = &detect_yaml,
    .model_counts = detect_model_counts,
};
