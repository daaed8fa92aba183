/* tests/test_gen_ghost.c — the generated GhostModule and
 * C2f_GhostModule_DynamicConv kernels (gen/ghostmodule.lua,
 * gen/c2f_ghost.lua: variant gemm) against the scalar references
 * (kernels/ghostmodule.c, kernels/c2f_ghost.c), at 1 and 2 threads, on
 * NaN-poisoned output and workspace (a channel never written shows as
 * non-finite).  Random weights (INIT_RANDOM: routing far from uniform, so
 * the two samples of a batch get clearly different kernels; BN statistics
 * far from identity). */
#include "gen_check.h"

static void check(const char *spec, uint64_t seed) { gen_check_variant(spec, seed, "gemm", 1e-4); }

/* kernel 1 (x is the panel) and 3 (im2col), stride 2, batch 2, odd oup
 * (the sliced-away channel never computed), ratio 3 and 4, dw 5 and 7, act
 * none, 1 and 8 experts, bn_eps 1e-3, H != W, a 1-row map. */
Test(gen_ghostmodule, small_cases, .timeout = 120)
{
    check("GhostModule inp=4 oup=6 batch=2 h=7 w=9", 31);
    check("GhostModule inp=5 oup=5 kernel_size=3 stride=2 h=9 w=8", 32);
    check("GhostModule inp=6 oup=7 ratio=3 batch=2 h=8 w=6", 33);
    check("GhostModule inp=4 oup=8 kernel_size=3 act=none num_experts=2 batch=2 h=6 w=7", 34);
    check("GhostModule inp=3 oup=6 dw_size=5 stride=2 batch=2 h=11 w=9", 35);
    check("GhostModule inp=4 oup=4 kernel_size=3 num_experts=1 h=1 w=9", 36);
    check("GhostModule inp=8 oup=9 ratio=4 num_experts=8 kernel_size=3 stride=2 batch=2 h=10 w=7", 37);
    /* dw 7 with a 1x1 primary: the thread region holds only the 7x7 kernel; YAML eps */
    check("GhostModule inp=4 oup=6 dw_size=7 bn_eps=1e-3 batch=2 h=9 w=10", 38);
}

/* Several tiles per image (48 x 40 = 1920 pixels), batch 2. */
Test(gen_ghostmodule, several_tiles, .timeout = 120)
{
    check("GhostModule inp=16 oup=16 batch=2 h=48 w=40", 41);
    check("GhostModule inp=16 oup=15 kernel_size=3 stride=2 batch=2 h=61 w=47", 42);
}

/* n 1..3, odd hidden width (each GhostModule(c, c) slices a channel away),
 * batch 2, shortcut/g given (ignored), H != W, a 1-row map, the alias. */
Test(gen_c2f_ghost, small_cases, .timeout = 120)
{
    check("C2f_GhostModule_DynamicConv c1=4 c2=6 h=8 w=10", 51);
    check("C2f_GhostModule_DynamicConv c1=5 c2=8 n=2 batch=2 h=7 w=9", 52);
    check("C2f_DynamicConv c1=4 c2=4 shortcut=1 batch=2 h=6 w=5", 53);
    check("C2f_GhostModule_DynamicConv c1=6 c2=10 n=3 g=2 h=9 w=6", 54);
    check("C2f_GhostModule_DynamicConv c1=3 c2=4 h=1 w=9", 55);
}

/* 40 x 36 = 1440 pixels: several tiles per conv at 2 threads, batch 2. */
Test(gen_c2f_ghost, several_tiles, .timeout = 120)
{
    check("C2f_GhostModule_DynamicConv c1=16 c2=32 n=2 batch=2 h=40 w=36", 61);
}

Test(gen_c2f_ghost, variants_listed)
{
    struct gen_env env = gen_check_env();
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], err[ERR_MAX];
    cr_assert_eq(gen_variants(&env, &op_c2f_ghost, names, GEN_VARIANTS_MAX, err, sizeof err), 1,
                 "%s", err);
    cr_expect_str_eq(names[0], "gemm");
    cr_assert_eq(gen_variants(&env, &op_ghostmodule, names, GEN_VARIANTS_MAX, err, sizeof err), 1,
                 "%s", err);
    cr_expect_str_eq(names[0], "gemm");
}
