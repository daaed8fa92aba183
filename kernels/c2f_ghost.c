/* kernels/c2f_ghost.c — C2f_GhostModule_DynamicConv (seed 003; the seed
 * YAML calls it C2f_DynamicConv), MODULES.md 5.6: ultralytics C2f with every
 * Bottleneck replaced by GhostModule(c, c) (kernel 1, ratio 2, dw 3, ReLU,
 * 4 experts).  `shortcut` and `g` are accepted, as the constructor does,
 * and ignored: there is no residual add.  Composed from the Conv and
 * GhostModule rows through the C2f block (kernels/c2f.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2f.h"
#include "ghostmodule.h"

static const struct arg_spec c2fg_schema[] = {
    {"c1", ARG_INT, NULL, NULL, "input channels"},
    {"c2", ARG_INT, NULL, NULL, "output channels"},
    {"n", ARG_INT, "1", NULL, "GhostModules"},
    {"shortcut", ARG_BOOL, "0", NULL, "accepted and ignored (no residual)"},
    {"g", ARG_INT, "1", NULL, "accepted and ignored"},
    {"e", ARG_FLOAT, "0.5", NULL, "hidden width c = int(c2 * e)"},
    {"bn_eps", ARG_FLOAT, "1e-5", NULL, "BatchNorm eps (1e-3 inside a YAML model)"},
    {NULL, 0, NULL, NULL, NULL},
};

static struct csp2 c2fg_cfg(const struct args *a)
{
    struct csp2 s;
    csp2_cfg(&s, a);
    s.block = &op_ghostmodule;
    ghostmodule_sub_args(&s.m, s.c, s.c, arg_get(a, "bn_eps"));
    return s;
}

static struct shape4 c2fg_out_shape(const struct args *a, struct shape4 in)
{
    return (struct shape4){in.n, arg_geti(a, "c2"), in.h, in.w};
}

static int c2fg_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    struct csp2 s = c2fg_cfg(a);
    if (s.c1 < 1 || s.c2 < 1 || s.c < 1) {
        snprintf(err, errlen, "C2f_GhostModule_DynamicConv: c1, c2 and int(c2 * e) must be >= 1");
        return -1;
    }
    if (s.n < 1 || s.n > csp2_n_max(&s)) {
        snprintf(err, errlen, "C2f_GhostModule_DynamicConv: n must be in 1..%d", csp2_n_max(&s));
        return -1;
    }
    return 0;
}

static int64_t c2fg_params(const struct args *a)
{
    struct csp2 s = c2fg_cfg(a);
    return csp2_params(&s);
}

static int64_t c2fg_flops_thop(const struct args *a, struct shape4 in)
{
    struct csp2 s = c2fg_cfg(a);
    return csp2_flops_thop(&s, in);
}

static int64_t c2fg_flops_full(const struct args *a, struct shape4 in)
{
    struct csp2 s = c2fg_cfg(a);
    return csp2_flops_full(&s, in);
}

static int64_t c2fg_bytes(const struct args *a, struct shape4 in)
{
    struct csp2 s = c2fg_cfg(a);
    return csp2_bytes(&s, in);
}

static void c2fg_weights(const struct args *a, struct weight_list *wl)
{
    struct csp2 s = c2fg_cfg(a);
    csp2_weights(&s, wl);
}

static void c2fg_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct csp2 s = c2fg_cfg(a);
    csp2_init(&s, mode, r, w);
}

static void c2fg_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                             const float *x, float *y)
{
    struct csp2 s = c2fg_cfg(a);
    csp2_forward_ref(&s, in, w, x, y);
}

static void c2fg_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    struct csp2 s = c2fg_cfg(a);
    csp2_model_counts(&s, in, mc);
}

static const struct yaml_map c2fg_yaml = {YAML_STD_N, "shortcut|g|e", NULL, NULL};

const struct op op_c2f_ghost = {
    .name = "C2f_GhostModule_DynamicConv",
    .aliases = "C2f_DynamicConv",
    .schema = c2fg_schema,
    .arg_cin = "c1",
    .arg_cout = "c2",
    .arg_stride = NULL,
    .gen = "c2f_ghost",
    .tol_nmse = 1e-9,
    .tol_reason = "Convs and GhostModules (dynamic kernels rounded once to float32): float32 "
                  "summation order",
    .validate = c2fg_validate,
    .out_shape = c2fg_out_shape,
    .params = c2fg_params,
    .flops_thop = c2fg_flops_thop,
    .flops_full = c2fg_flops_full,
    .bytes = c2fg_bytes,
    .weights = c2fg_weights,
    .init = c2fg_init,
    .forward_ref = c2fg_forward_ref,
    .yaml = &c2fg_yaml,
    .model_counts = c2fg_model_counts,
};
