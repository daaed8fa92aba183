/* kernels/ghostmodule.c — ParameterNet's GhostModule, MODULES.md 5.5.
 *
 *   x1  = act(BN(DynamicConv(x; inp -> init, k, stride, padding k // 2)))
 *   x2  = act(BN(DynamicConv(x1; init -> new, dw, 1, dw // 2, groups=init)))
 *   out = concat(x1, x2)[:, :oup]
 * init = ceil(oup / ratio), new = init * (ratio - 1): input channel i of the
 * cheap operation feeds its outputs i*(ratio-1) .. (i+1)*(ratio-1)-1.  Both
 * halves are computed in full even when oup is odd and the slice drops the
 * last channel (counts follow: 5.5 item 5).
 *
 * Composed from the DynamicConv row (kernels/dynamicconv.c): its counts,
 * state_dict layout, init and per-sample reference forward are reused, so
 * they cannot drift apart.  The activation is ReLU (act_layer=nn.ReLU) or
 * none (act_layer=None). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ghostmodule.h"
#include "util_dynconv.h"

/* init * (ratio - 1) bound: keeps every product below in int64 and far
 * beyond any real layer. */
#define GHOST_CHANNELS_MAX 1000000

enum { ACT_RELU = 0, ACT_NONE = 1 };

static const struct arg_spec ghost_schema[] = {
    {"inp", ARG_INT, NULL, NULL, "input channels"},
    {"oup", ARG_INT, NULL, NULL, "output channels"},
    {"kernel_size", ARG_INT, "1", NULL, "primary DynamicConv kernel (padding kernel_size // 2)"},
    {"ratio", ARG_INT, "2", NULL, "init = ceil(oup / ratio) primary channels, init*(ratio-1) cheap"},
    {"dw_size", ARG_INT, "3", NULL, "cheap operation's kernel (groups = init)"},
    {"stride", ARG_INT, "1", NULL, "stride of the primary DynamicConv"},
    {"act", ARG_ENUM, "relu", "relu|none", "act_layer: nn.ReLU or None"},
    {"num_experts", ARG_INT, "4", NULL, "experts of both DynamicConvs"},
    {"bn_eps", ARG_FLOAT, "1e-5", NULL, "BatchNorm eps (1e-3 inside a YAML model)"},
    {NULL, 0, NULL, NULL, NULL},
};

struct ghost {
    int inp, oup, k, ratio, dw, stride, relu, E;
    int64_t init, cheap; /* init and new channels (int64: validated before use) */
    double eps;
    struct args primary, cheap_op;
};

static struct ghost ghost_cfg(const struct args *a)
{
    struct ghost g = {.inp = arg_geti(a, "inp"), .oup = arg_geti(a, "oup"),
                      .k = arg_geti(a, "kernel_size"), .ratio = arg_geti(a, "ratio"),
                      .dw = arg_geti(a, "dw_size"), .stride = arg_geti(a, "stride"),
                      .relu = arg_geti(a, "act") == ACT_RELU, .E = arg_geti(a, "num_experts"),
                      .eps = arg_get(a, "bn_eps")};
    g.init = g.ratio >= 1 && g.oup >= 1 ? ((int64_t)g.oup + g.ratio - 1) / g.ratio : 0; /* ceil */
    g.cheap = g.init * (g.ratio - 1);
    int init = g.init <= GHOST_CHANNELS_MAX ? (int)g.init : 0;
    int cheap = g.cheap <= GHOST_CHANNELS_MAX ? (int)g.cheap : 0;
    dynamicconv_sub_args(&g.primary, g.inp, init, g.k, g.stride, g.k / 2, 1, g.E);
    dynamicconv_sub_args(&g.cheap_op, init, cheap, g.dw, 1, g.dw / 2, init, g.E);
    return g;
}

void ghostmodule_sub_args(struct args *a, int inp, int oup, double eps)
{
    args_defaults(&op_ghostmodule, a);
    a->v[arg_index(&op_ghostmodule, "inp")] = inp;
    a->v[arg_index(&op_ghostmodule, "oup")] = oup;
    a->v[arg_index(&op_ghostmodule, "bn_eps")] = eps;
}

static struct shape4 with_c(struct shape4 s, int c) { return (struct shape4){s.n, c, s.h, s.w}; }

/* Shape of x1 (and x2): the primary DynamicConv's output. */
static struct shape4 ghost_mid(const struct ghost *g, struct shape4 in)
{
    return op_dynamicconv.out_shape(&g->primary, with_c(in, g->inp));
}

static struct shape4 ghost_out_shape(const struct args *a, struct shape4 in)
{
    struct ghost g = ghost_cfg(a);
    return with_c(ghost_mid(&g, in), g.oup);
}

static int ghost_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    struct ghost g = ghost_cfg(a);
    char sub[ERR_MAX];
    /* MODULES.md 5.5 item 7, in its order */
    if (g.ratio < 2) {
        snprintf(err, errlen, "GhostModule: ratio must be >= 2");
        return -1;
    }
    if (g.oup < 1) {
        snprintf(err, errlen, "GhostModule: oup must be >= 1");
        return -1;
    }
    if (g.inp < 1 || g.k < 1 || g.dw < 1 || g.stride < 1 || g.E < 1) {
        snprintf(err, errlen,
                 "GhostModule: inp, kernel_size, dw_size, stride and num_experts must be >= 1");
        return -1;
    }
    /* an even dw_size grows the map by one: torch.cat([x1, x2]) would fail */
    if (g.dw % 2 == 0) {
        snprintf(err, errlen, "GhostModule: dw_size must be odd (got %d)", g.dw);
        return -1;
    }
    if (g.cheap > GHOST_CHANNELS_MAX) {
        snprintf(err, errlen, "GhostModule: ratio %d gives %lld cheap channels (at most %d)",
                 g.ratio, (long long)g.cheap, GHOST_CHANNELS_MAX);
        return -1;
    }
    if (op_dynamicconv.validate(&g.primary, with_c(in, g.inp), sub, sizeof sub) != 0) {
        snprintf(err, errlen, "GhostModule: primary_conv.0: %s", sub);
        return -1;
    }
    return 0;
}

static int64_t ghost_params(const struct args *a)
{
    struct ghost g = ghost_cfg(a);
    return op_dynamicconv.params(&g.primary) + 2 * g.init + op_dynamicconv.params(&g.cheap_op) +
           2 * g.cheap;
}

/* 5.5 item 5: both DynamicConvs' routing Linears, both BNs (4 MACs per
 * element, on init + new channels even when the slice drops one). */
static int64_t ghost_flops_thop(const struct args *a, struct shape4 in)
{
    struct ghost g = ghost_cfg(a);
    struct shape4 m = ghost_mid(&g, in);
    int64_t pix = (int64_t)m.n * m.h * m.w;
    return op_dynamicconv.flops_thop(&g.primary, with_c(in, g.inp)) +
           op_dynamicconv.flops_thop(&g.cheap_op, with_c(m, (int)g.init)) +
           2 * 4 * (g.init + g.cheap) * pix;
}

static int64_t ghost_flops_full(const struct args *a, struct shape4 in)
{
    struct ghost g = ghost_cfg(a);
    struct shape4 m = ghost_mid(&g, in);
    int64_t pix = (int64_t)m.n * m.h * m.w;
    return op_dynamicconv.flops_full(&g.primary, with_c(in, g.inp)) +
           op_dynamicconv.flops_full(&g.cheap_op, with_c(m, (int)g.init)) +
           (2 + (g.relu ? 1 : 0)) * (g.init + g.cheap) * pix;
}

static int64_t ghost_bytes(const struct args *a, struct shape4 in)
{
    struct ghost g = ghost_cfg(a);
    struct shape4 m = ghost_mid(&g, in);
    int64_t state = ghost_params(a) + 2 * (g.init + g.cheap);
    return 4 * ((int64_t)in.n * g.inp * in.h * in.w + (int64_t)m.n * g.oup * m.h * m.w + state);
}

/* nn.Sequential(DynamicConv, BatchNorm2d, act): indices 0 and 1; the act
 * (ReLU or an empty Sequential) has no state. */
static void ghost_weights(const struct args *a, struct weight_list *wl)
{
    struct ghost g = ghost_cfg(a);
    struct weight_list sub;
    wl->n = 0;
    op_dynamicconv.weights(&g.primary, &sub);
    wl_append(wl, "primary_conv.0.", &sub);
    wl_add_bn(wl, "primary_conv.1.", g.init);
    op_dynamicconv.weights(&g.cheap_op, &sub);
    wl_append(wl, "cheap_operation.0.", &sub);
    wl_add_bn(wl, "cheap_operation.1.", g.cheap);
}

/* Weight-pointer offsets: primary BN, cheap DynamicConv, cheap BN. */
struct ghost_offs {
    int bn1, cheap, bn2;
};

static struct ghost_offs ghost_offs(const struct ghost *g)
{
    int n1 = op_weight_count(&op_dynamicconv, &g->primary);
    int n2 = op_weight_count(&op_dynamicconv, &g->cheap_op);
    return (struct ghost_offs){n1, n1 + 5, n1 + 5 + n2};
}

static void ghost_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct ghost g = ghost_cfg(a);
    struct ghost_offs o = ghost_offs(&g);
    op_dynamicconv.init(&g.primary, mode, r, w);
    init_bn(w + o.bn1, g.init, mode, r);
    op_dynamicconv.init(&g.cheap_op, mode, r, w + o.cheap);
    init_bn(w + o.bn2, g.cheap, mode, r);
}

/* In place over n x c x hw: BN (eps), then ReLU if relu. */
static void bn_relu_ref(float *y, struct shape4 s, const float *const *bn, double eps, int relu)
{
    int64_t hw = (int64_t)s.h * s.w, total = (int64_t)s.n * s.c * hw;
    bn_act_ref(y, s.n, s.c, hw, bn[0], bn[1], bn[2], bn[3], eps, 0);
    for (int64_t i = 0; relu && i < total; i++)
        y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

static void ghost_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                              const float *x, float *y)
{
    struct ghost g = ghost_cfg(a);
    struct ghost_offs o = ghost_offs(&g);
    struct shape4 m1 = with_c(ghost_mid(&g, in), (int)g.init), m2 = with_c(m1, (int)g.cheap);
    int64_t hw = (int64_t)m1.h * m1.w;
    float *x1 = ref_alloc((int64_t)m1.n * m1.c * hw), *x2 = ref_alloc((int64_t)m2.n * m2.c * hw);
    op_forward_sub(&op_dynamicconv, &g.primary, with_c(in, g.inp), w, 0, x, x1);
    bn_relu_ref(x1, m1, w + o.bn1, g.eps, g.relu);
    op_forward_sub(&op_dynamicconv, &g.cheap_op, m1, w, o.cheap, x1, x2);
    bn_relu_ref(x2, m2, w + o.bn2, g.eps, g.relu);
    /* concat(x1, x2)[:, :oup]: all of x1 (init <= oup), then what fits of x2 */
    int64_t keep2 = g.oup - g.init;
    for (int b = 0; b < in.n; b++) {
        float *yb = y + (int64_t)b * g.oup * hw;
        memcpy(yb, x1 + (int64_t)b * g.init * hw, sizeof(float) * (size_t)(g.init * hw));
        memcpy(yb + g.init * hw, x2 + (int64_t)b * g.cheap * hw, sizeof(float) * (size_t)(keep2 * hw));
    }
    free(x2);
    free(x1);
}

/* GhostModule, and twice nn.Sequential(DynamicConv (itself, routing,
 * cond_conv), BatchNorm2d, ReLU or an empty nn.Sequential): an empty
 * Sequential has no children, so it is a leaf like the ReLU it stands for. */
static void ghost_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    struct ghost g = ghost_cfg(a);
    mc->modules += 1 + 2 * (1 + 3 + 1 + 1);
    mc->leaves += 2 * (2 + 1 + 1);
    mc->buffers += 2 * (g.init + g.cheap); /* BN running mean and var */
}

/* Harness mapping (MODULES.md 2.1): [c2, kernel_size=1, stride=1]. */
static const struct yaml_map ghost_yaml = {YAML_STD, "kernel_size|stride", NULL, NULL};

const struct op op_ghostmodule = {
    .name = "GhostModule",
    .aliases = NULL,
    .schema = ghost_schema,
    .arg_cin = "inp",
    .arg_cout = "oup",
    .arg_stride = "stride",
    .gen = "ghostmodule",
    .tol_nmse = 1e-9,
    .tol_reason = "two DynamicConvs (sigmoid routing, mixed kernels rounded once to float32) "
                  "with BN+ReLU: float32 summation order",
    .validate = ghost_validate,
    .out_shape = ghost_out_shape,
    .params = ghost_params,
    .flops_thop = ghost_flops_thop,
    .flops_full = ghost_flops_full,
    .bytes = ghost_bytes,
    .weights = ghost_weights,
    .init = ghost_init,
    .forward_ref = ghost_forward_ref,
    .yaml = &ghost_yaml,
    .model_counts = ghost_model_counts,
};
