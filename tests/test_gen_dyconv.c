/* tests/test_gen_dyconv.c — the generated DYConv2d and DynamicConv kernels
 * (gen/dyconv.lua, gen/dynamicconv.lua: variant gemm) against the scalar
 * references (kernels/dyconv.c, kernels/dynamicconv.c).
 *
 * Every case: random weights (the ops' INIT_RANDOM: routing far from
 * uniform, so each sample of the batch gets a clearly different kernel),
 * input N(0,1), output and workspace poisoned with NaN, batch 2, 1 and 2
 * threads.  The kernels sum in float (sgemm, mixing) where the references
 * sum in double: NMSE ~1e-13 for these sizes. */
#include <criterion/criterion.h>

#include "gen_check.h"

#define TOL_NMSE 1e-10
#define TOL_MAX_ABS 1e-4

static void check_spec(const struct gen_env *env, const char *spec, uint64_t seed)
{
    struct gen_case g;
    gen_case_setup(&g, spec, seed);
    gen_case_reference(&g);
    gen_case_check(env, &g, "gemm", TOL_NMSE, TOL_MAX_ABS);
    gen_case_free(&g);
}

/* K 1/2/4/8, kernel 1 and 3, padding 0/1, groups 1/2/depthwise, stride
 * 1/2, in_planes 3 (hidden = K), bias off, T 34 and 1, a 1x1 stride-1 conv
 * (no im2col), H != W, a single-row map, and depthwise (direct path) with
 * stride 2, dilation 2 and a channel multiplier of 2. */
Test(gen_dyconv, gemm_cases, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    const char *specs[] = {
        "DYConv2d in_planes=4 out_planes=6 kernel_size=3 padding=1 K=4 batch=2 h=9 w=7",
        "DYConv2d in_planes=5 out_planes=4 kernel_size=3 K=1 temperature=1 batch=2 h=8 w=8",
        "DYConv2d in_planes=6 out_planes=8 kernel_size=1 K=2 temperature=1 batch=2 h=5 w=9",
        "DYConv2d in_planes=4 out_planes=6 kernel_size=3 stride=2 padding=1 groups=2 K=8 "
        "temperature=1 batch=2 h=10 w=11",
        "DYConv2d in_planes=3 out_planes=3 kernel_size=3 padding=1 groups=3 temperature=4 "
        "batch=2 h=6 w=7",
        "DYConv2d in_planes=3 out_planes=8 kernel_size=3 stride=2 padding=1 bias=0 K=2 "
        "temperature=1 batch=2 h=1 w=9",
        "DYConv2d in_planes=4 out_planes=8 kernel_size=3 stride=2 padding=2 dilation=2 "
        "groups=4 temperature=1 batch=2 h=11 w=10",
    };
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++)
        check_spec(&env, specs[i], 500 + (uint64_t)i);
}

/* num_experts 1/2/4/8, padding ''/0/1/same (TF-SAME, asymmetric)/valid,
 * groups 1/2/depthwise (direct path, also k5 s2 TF-SAME), stride 1/2, bias
 * on and off, 1x1. */
Test(gen_dynamicconv, gemm_cases, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    const char *specs[] = {
        "DynamicConv in_features=4 out_features=6 kernel_size=3 stride=2 batch=2 h=9 w=10",
        "DynamicConv in_features=5 out_features=4 kernel_size=3 padding=0 num_experts=1 "
        "batch=2 h=7 w=8",
        "DynamicConv in_features=6 out_features=8 kernel_size=1 num_experts=2 batch=2 h=8 w=7",
        "DynamicConv in_features=4 out_features=6 kernel_size=3 padding=1 groups=2 "
        "num_experts=8 bias=1 batch=2 h=8 w=8",
        "DynamicConv in_features=3 out_features=3 kernel_size=3 groups=3 bias=1 batch=2 h=6 w=9",
        "DynamicConv in_features=4 out_features=5 kernel_size=3 stride=2 padding=same batch=2 "
        "h=9 w=8",
        "DynamicConv in_features=3 out_features=4 kernel_size=3 padding=valid num_experts=2 "
        "batch=2 h=7 w=7",
        "DynamicConv in_features=6 out_features=6 kernel_size=5 stride=2 padding=same groups=6 "
        "bias=1 batch=2 h=12 w=9",
    };
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++)
        check_spec(&env, specs[i], 600 + (uint64_t)i);
}

/* A realistic YOLOv8 layer shape (several tiles per image). */
Test(gen_dyconv, realistic, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    check_spec(&env, "DYConv2d in_planes=32 out_planes=64 kernel_size=3 stride=2 padding=1 "
                     "batch=2 h=40 w=40", 77);
    check_spec(&env, "DynamicConv in_features=32 out_features=64 kernel_size=3 stride=2 "
                     "batch=2 h=40 w=40", 78);
}

/* The source gen/<script>.lua renders for spec: whether it contains `what`. */
static int renders_with(const struct gen_env *env, const char *script, const char *spec,
                        const char *what)
{
    struct gen_case g;
    char err[ERR_MAX];
    gen_case_setup(&g, spec, 1);
    char *src = gen_render_script(env, script, &g.inst.args, g.inst.in, "gemm", err, sizeof err);
    cr_assert_not_null(src, "%s: %s", spec, err);
    const int found = strstr(src, what) != NULL;
    free(src);
    gen_case_free(&g);
    return found;
}

/* At batch 1 and 2 alike the mixed kernel is a plain weight, so dense
 * shapes take the AVX-512 direct convolutions (gen/dynconv_plan.lua,
 * direct_plan): 3x3 stride 2 pad 1 on the per-tile space-to-depth copy
 * at any output width (odd and even input sizes: the copy's zero rows and
 * columns are the bottom/right padding; several register blocks; bias as
 * the epilogue's shift; a 4.2 MB input in many tiles that start mid-row,
 * which took the in-row kernel until v4), stride 1 "same" 3x3 and 1x1
 * (vectors across row ends, ragged last vector).  TF-SAME's one-sided
 * padding and groups stay on im2col + sgemm.  On a build without AVX-512
 * the same cases check the sgemm fallback. */
struct path_case {
    const char *spec, *call; /* call: what the source must contain; NULL: no direct path */
};

Test(gen_dynconv, direct_paths, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    static const struct path_case cases[] = {
        {"DynamicConv in_features=8 out_features=16 kernel_size=3 stride=2 bias=1 num_experts=4 "
         "batch=2 h=13 w=64", "abl_direct2s_tile("},
        {"DYConv2d in_planes=3 out_planes=24 kernel_size=3 stride=2 padding=1 K=4 batch=2 h=9 w=31",
         "abl_direct2s_tile("},
        {"DynamicConv in_features=5 out_features=8 kernel_size=3 stride=2 batch=2 h=1 w=2",
         "abl_direct2s_tile("},
        {"DynamicConv in_features=16 out_features=16 kernel_size=3 stride=2 batch=1 h=257 w=256",
         "abl_direct2s_tile("},
        {"DYConv2d in_planes=8 out_planes=16 kernel_size=3 padding=1 K=4 batch=2 h=9 w=23",
         "abl_direct_tile("},
        {"DynamicConv in_features=6 out_features=8 kernel_size=1 bias=1 batch=2 h=7 w=9",
         "abl_direct_tile("},
        {"DynamicConv in_features=5 out_features=24 kernel_size=3 padding=1 bias=1 num_experts=2 "
         "batch=2 h=1 w=37", "abl_direct_tile("},
        {"DynamicConv in_features=8 out_features=16 kernel_size=3 stride=2 padding=same batch=2 "
         "h=12 w=64", NULL},
        {"DynamicConv in_features=8 out_features=16 kernel_size=3 stride=2 groups=2 batch=2 "
         "h=12 w=64", NULL},
    };
    for (int i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
        const struct path_case *c = &cases[i];
        const char *script = c->spec[1] == 'Y' ? "dyconv" : "dynamicconv";
        cr_expect(renders_with(&env, script, c->spec, c->call ? c->call : "abl_direct") ==
                      (c->call != NULL), "%s", c->spec);
        check_spec(&env, c->spec, 700 + (uint64_t)i);
    }
}

/* The same kernels built for an AVX2-only CPU (ABLATE_GEN_MARCH): the
 * direct paths are compiled out at run time and im2col + sgemm runs, as on
 * a machine without AVX-512. */
Test(gen_dynconv, avx2_builds, .timeout = 300)
{
    struct gen_env env = gen_check_env();
    gen_check_build_avx2_only();
    check_spec(&env, "DynamicConv in_features=8 out_features=16 kernel_size=3 stride=2 bias=1 "
                     "num_experts=4 batch=2 h=13 w=64", 730);
    check_spec(&env, "DYConv2d in_planes=8 out_planes=16 kernel_size=3 padding=1 K=4 batch=2 h=9 "
                     "w=23", 731);
}
