/* kernels/c3_dlka.c — C3_DCNv3_DLKA (seed 004, MODULES.md 6.3): the C3
 * block whose bottlenecks end in a deformable_LKA_Attention(c_):
 * t = Dattention(cv2(cv1(z))), z + t with shortcut.  The block is C3's
 * (kernels/c3.h) with the attention row (kernels/dlka.c) plugged into each
 * bottleneck, so counts, keys and reference are sums and chains of the
 * Conv and deformable_LKA_Attention rows.  The variant is the attention's. */
#include <stdio.h>

#include "c3.h"
#include "dlka.h"

static const struct arg_spec c3dlka_schema[] = {
    {"c1", ARG_INT, NULL, NULL, "input channels"},
    {"c2", ARG_INT, NULL, NULL, "output channels"},
    {"n", ARG_INT, "1", NULL, "Bottlenecks"},
    {"shortcut", ARG_BOOL, "1", NULL, "residual add inside each Bottleneck (YAML passes False)"},
    {"g", ARG_INT, "1", NULL, "groups of each Bottleneck's 3x3 cv2"},
    {"e", ARG_FLOAT, "0.5", NULL, "hidden width c_ = int(c2 * e)"},
    {"variant", ARG_ENUM, "blog", "blog|official|dcnv3_lka",
     "the attention's deformable layers (deformable_LKA_Attention)"},
    {"bn_eps", ARG_FLOAT, "1e-5", NULL, "BatchNorm eps (1e-3 inside a YAML model)"},
    {NULL, 0, NULL, NULL, NULL},
};

static struct csp3 c3dlka_cfg(const struct args *a)
{
    struct csp3 s;
    csp3_cfg(&s, a);
    s.attn = &op_dlka;
    dlka_sub_args(&s.attn_args, s.c_, arg_geti(a, "variant"));
    return s;
}

static struct shape4 c3dlka_out_shape(const struct args *a, struct shape4 in)
{
    return (struct shape4){in.n, arg_geti(a, "c2"), in.h, in.w};
}

static int c3dlka_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    struct csp3 s = c3dlka_cfg(a);
    if (s.c1 < 1 || s.c2 < 1 || s.g < 1 || s.c_ < 1) {
        snprintf(err, errlen, "C3_DCNv3_DLKA: c1, c2, g and int(c2 * e) must be >= 1");
        return -1;
    }
    if (s.c_ % s.g) {
        snprintf(err, errlen, "C3_DCNv3_DLKA: hidden channels %d must be divisible by groups %d",
                 s.c_, s.g);
        return -1;
    }
    /* the attention's own rules (blog: c_ % 4, the DCNv3 text of 6.1) */
    if (op_dlka.validate(&s.attn_args, (struct shape4){in.n, s.c_, in.h, in.w}, err, errlen) != 0)
        return -1;
    if (s.n < 1 || s.n > csp3_n_max(&s)) {
        snprintf(err, errlen, "C3_DCNv3_DLKA: n must be in 1..%d", csp3_n_max(&s));
        return -1;
    }
    return 0;
}

static int64_t c3dlka_params(const struct args *a)
{
    struct csp3 s = c3dlka_cfg(a);
    return csp3_params(&s);
}

static int64_t c3dlka_flops_thop(const struct args *a, struct shape4 in)
{
    struct csp3 s = c3dlka_cfg(a);
    return csp3_flops_thop(&s, in);
}

static int64_t c3dlka_flops_full(const struct args *a, struct shape4 in)
{
    struct csp3 s = c3dlka_cfg(a);
    return csp3_flops_full(&s, in);
}

static int64_t c3dlka_bytes(const struct args *a, struct shape4 in)
{
    struct csp3 s = c3dlka_cfg(a);
    return csp3_bytes(&s, in);
}

static void c3dlka_weights(const struct args *a, struct weight_list *wl)
{
    struct csp3 s = c3dlka_cfg(a);
    csp3_weights(&s, wl);
}

static void c3dlka_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct csp3 s = c3dlka_cfg(a);
    csp3_init(&s, mode, r, w);
}

static void c3dlka_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                               const float *x, float *y)
{
    struct csp3 s = c3dlka_cfg(a);
    csp3_forward_ref(&s, in, w, x, y);
}

static void c3dlka_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    struct csp3 s = c3dlka_cfg(a);
    csp3_model_counts(&s, in, mc);
    mc->seed004_act = 1; /* its Convs are the seed file's own Conv class */
}

static const struct yaml_map c3dlka_yaml = {YAML_STD_N, "shortcut|g|e", NULL, NULL};

const struct op op_c3_dlka = {
    .name = "C3_DCNv3_DLKA",
    .aliases = NULL,
    .schema = c3dlka_schema,
    .arg_cin = "c1",
    .arg_cout = "c2",
    .arg_stride = NULL,
    .gen = "c3_dlka",
    .tol_nmse = 1e-9,
    .tol_reason = "the attention's bilinear sampling at float32 offsets (deformable_LKA_Attention)",
    .validate = c3dlka_validate,
    .out_shape = c3dlka_out_shape,
    .params = c3dlka_params,
    .flops_thop = c3dlka_flops_thop,
    .flops_full = c3dlka_flops_full,
    .bytes = c3dlka_bytes,
    .weights = c3dlka_weights,
    .init = c3dlka_init,
    .forward_ref = c3dlka_forward_ref,
    .yaml = &c3dlka_yaml,
    .model_counts = c3dlka_model_counts,
};
