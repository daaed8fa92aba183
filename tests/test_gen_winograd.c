/* tests/test_gen_winograd.c — the Winograd tiles F(2x2, 3x3)
 * (gen/runtime/ablate_winograd.h) and F(4x4, 3x3) (ablate_winograd4.h).
 *
 * tiles_against_double: tests/winograd_check.c compiled as generated
 * kernels are (cc -O3 -march=native) and run on edge shapes (odd maps,
 * H != W, maps wider than one batch, 1-row and 1-column maps, input
 * channels not a multiple of 16, pieces ending mid tile row and mid tile,
 * BN + SiLU epilogue), every output within 2e-5 of a float64 convolution
 * (outputs ~ N(0, 1/3): one transform entry off by 1e-4 relative already
 * fails it, a wrong entry by ~0.1).  Skips without AVX-512 (the chains
 * then take the sgemm path).
 *
 * generated_f4: the generator's choice (gen/chain.lua wino_pick) puts
 * F(4x4) on these chains' 3x3 Convs (F(2x2) on one of the Bottleneck's);
 * the generated kernels against the scalar references at 1 and 2 threads,
 * split at 4-row multiples, maps not a multiple of 4, batch 2, and the
 * prepared path bit for bit (Detect: gen_detect/winograd_f4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen_check.h"

Test(gen_winograd, tiles_against_double, .timeout = 180)
{
    if (!__builtin_cpu_supports("avx512f"))
        cr_skip_test("no AVX-512 on this CPU: no Winograd path");
    char dir[] = "/tmp/ablate-wino-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char bin[64], cmd[768];
    snprintf(bin, sizeof bin, "%s/check", dir);
    const char *root = getenv("ABLATE_ROOT");
    root = root ? root : ".";
    snprintf(cmd, sizeof cmd,
             "cc -O3 -march=native -fopenmp -I'%s/gen/runtime' $(pkg-config --cflags openblas 2>/dev/null) "
             "-o '%s' '%s/tests/winograd_check.c' -lm && '%s' check",
             root, bin, root, bin);
    int rc = system(cmd);
    unlink(bin);
    rmdir(dir);
    cr_assert_eq(rc, 0, "a Winograd tile beyond 2e-5 of the float64 convolution (see the lines above)");
}

static void check(const char *spec, uint64_t seed) { gen_check_variant(spec, seed, "gemm", 1e-3); }

Test(gen_winograd, generated_f4, .timeout = 180)
{
    check("C2f c1=32 c2=32 n=1 shortcut=1 h=23 w=42 batch=2", 361); /* 16 -> 16: F(4x4) */
    check("Bottleneck c1=48 c2=48 h=9 w=70", 362); /* 48 -> 24 F(2x2), 24 -> 48 F(4x4) */
}

Test(gen_winograd, generated_f4_prepared, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    struct gen_case c;
    struct gen_kernel k;
    char err[ERR_MAX];
    const char *spec = "C2f c1=32 c2=32 n=2 shortcut=1 h=26 w=45 batch=2";
    openblas_set_num_threads(1);
    gen_case_setup(&c, spec, 364);
    cr_assert_eq(gen_build(&env, &c.inst.args, c.inst.in, "gemm", &k, err, sizeof err), GEN_OK, "%s: %s",
                 spec, err);
    for (int t = 1; t <= 2; t++)
        gen_check_prepared(&k, (const float *const *)c.ws.ptr, c.x, c.ny, t, spec);
    gen_unload(&k);
    gen_case_free(&c);
}
