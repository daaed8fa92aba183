/* tests/test_gen_sppf.c — generated SPPF kernels (gen/sppf.lua,
 * templates/sppf_gemm.c.in over gen/chain.lua) against the scalar
 * reference, at 1 and 2 threads, on NaN-poisoned output and workspace:
 * k 1, 3, 5, 7 (windows wider than the map), batch 2, H != W, odd c1,
 * and a map wider than one tile. */
#include "gen_check.h"

static void check(const char *spec, uint64_t seed) { gen_check_variant(spec, seed, "gemm", 1e-3); }

Test(gen_sppf, small_cases, .timeout = 120)
{
    check("SPPF c1=8 c2=8 h=7 w=9", 31);
    check("SPPF c1=5 c2=6 k=3 h=6 w=5 batch=2", 32);
    check("SPPF c1=4 c2=4 k=7 h=3 w=4", 33);
    check("SPPF c1=6 c2=3 k=1 h=5 w=5", 34);
}

/* 40x36 = 1440 pixels: several Conv tiles, pools split over 2 threads. */
Test(gen_sppf, several_tiles, .timeout = 120)
{
    check("SPPF c1=32 c2=16 h=40 w=36 batch=2", 35);
}

Test(gen_sppf, variants_listed)
{
    struct gen_env env = gen_check_env();
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], err[ERR_MAX];
    cr_assert_eq(gen_variants(&env, &op_sppf, names, GEN_VARIANTS_MAX, err, sizeof err), 1, "%s", err);
    cr_expect_str_eq(names[0], "gemm");
}
