/* tests/test_gen_c2f.c — generated Bottleneck and C2f kernels (gen/bottleneck.lua,
 * gen/c2f.lua over gen/chain.lua) against the scalar references, at 1 and 2
 * threads, on NaN-poisoned output and workspace: shortcut on/off, n 1..3,
 * groups, batch 2, H != W, and images wider than one tile (several tiles
 * per layer, a ragged last one). */
#include "gen_check.h"

static void check(const char *spec, uint64_t seed) { gen_check_variant(spec, seed, "gemm", 1e-3); }

Test(gen_bottleneck, small_cases, .timeout = 120)
{
    check("Bottleneck c1=4 c2=4 h=7 w=9", 1);
    check("Bottleneck c1=4 c2=6 h=9 w=8", 2);
    check("Bottleneck c1=6 c2=6 shortcut=0 h=6 w=5 batch=2", 3);
    check("Bottleneck c1=8 c2=8 g=2 e=1 h=8 w=11", 4);
    check("Bottleneck c1=3 c2=4 k=5 h=10 w=7", 5);
}

Test(gen_c2f, small_cases, .timeout = 120)
{
    check("C2f c1=4 c2=6 h=8 w=10", 11);
    check("C2f c1=5 c2=8 n=2 shortcut=1 h=7 w=9", 12);
    check("C2f c1=4 c2=4 shortcut=1 h=6 w=5 batch=2", 13);
    check("C2f c1=6 c2=8 n=3 g=2 h=9 w=6", 14);
    check("C2f c1=3 c2=4 h=1 w=9", 15);
}

/* 40x36 = 1440 pixels: several tiles per layer at 2 threads. */
Test(gen_c2f, several_tiles, .timeout = 120)
{
    check("C2f c1=16 c2=32 n=1 shortcut=1 h=40 w=36 batch=2", 21);
    check("Bottleneck c1=16 c2=16 h=37 w=41", 22);
}

Test(gen_c2f, variants_listed)
{
    struct gen_env env = gen_check_env();
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], err[ERR_MAX];
    cr_assert_eq(gen_variants(&env, &op_c2f, names, GEN_VARIANTS_MAX, err, sizeof err), 1, "%s", err);
    cr_expect_str_eq(names[0], "gemm");
    cr_assert_eq(gen_variants(&env, &op_bottleneck, names, GEN_VARIANTS_MAX, err, sizeof err), 1,
                 "%s", err);
    cr_expect_str_eq(names[0], "gemm");
}
