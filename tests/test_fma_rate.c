/* tests/test_fma_rate.c — the zmm FMA rate the kernels are built for
 * (harness/fma_rate.h): the verdict from a measured ratio, the
 * ABLATE_AVX512_RATE override and its error, the define reaching the
 * kernels' compile line (so the cache key), and meta.json's record. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen_check.h"
#include "meta.h"

Test(fma_rate, classify)
{
    /* a full-rate part reads about 2 (the Zen 5: 2.00), a half-rate one about 1 */
    cr_expect_eq(fma_rate_classify(2.0), FMA512_FULL);
    cr_expect_eq(fma_rate_classify(1.5), FMA512_FULL);
    cr_expect_eq(fma_rate_classify(1.49), FMA512_HALF);
    cr_expect_eq(fma_rate_classify(1.0), FMA512_HALF);
    cr_expect_eq(fma_rate_classify(0.0), FMA512_HALF);
    cr_expect_str_eq(fma_rate_name(FMA512_FULL), "full");
    cr_expect_str_eq(fma_rate_name(FMA512_HALF), "half");
    cr_expect_str_eq(fma_rate_name(FMA512_NONE), "none");
}

Test(fma_rate, bad_override)
{
    char cwd[GEN_PATH_MAX], err[ERR_MAX];
    struct gen_env env;
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    cr_assert_eq(setenv("ABLATE_ROOT", cwd, 1), 0);
    cr_assert_eq(setenv("ABLATE_AVX512_RATE", "fast", 1), 0);
    cr_expect_eq(gen_env_init(&env, err, sizeof err), -1);
    cr_expect_str_eq(err, "ABLATE_AVX512_RATE must be 'full' or 'half', not 'fast'");
    unsetenv("ABLATE_AVX512_RATE");
}

/* The measured verdict is what it says it is: a ratio, then its class. */
Test(fma_rate, measured)
{
    struct fma_rate r;
    char err[ERR_MAX];
    unsetenv("ABLATE_AVX512_RATE");
    cr_assert_eq(fma_rate_detect(&r, err, sizeof err), 0, "%s", err);
    cr_expect_eq(r.forced, 0);
    if (!__builtin_cpu_supports("avx512f")) {
        cr_expect_eq(r.rate, FMA512_NONE);
        return;
    }
    cr_expect_gt(r.zmm_over_ymm, 0.5, "zmm over ymm FLOPs %.3f", r.zmm_over_ymm);
    cr_expect_eq(r.rate, fma_rate_classify(r.zmm_over_ymm));
}

/* Forced full and half build different kernels (the define is a word of
 * the compile line, so of the cache key), and each kernel still matches
 * the reference; without AVX-512 there is nothing to choose. */
Test(fma_rate, define_reaches_kernels, .timeout = 120)
{
    const char *spec = "Conv c1=16 c2=32 k=3 s=2 batch=1 h=9 w=12";
    char so[2][GEN_PATH_MAX + 64];
    static const char *const rates[] = {"full", "half"};
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(setenv("ABLATE_AVX512_RATE", rates[i], 1), 0);
        struct gen_env env = gen_check_env();
        struct gen_case c;
        struct gen_kernel k;
        char err[ERR_MAX];
        cr_expect_eq(env.fma.forced, 1);
        cr_expect_eq(env.fma.rate, !__builtin_cpu_supports("avx512f") ? FMA512_NONE
                                   : i == 0                           ? FMA512_FULL
                                                                      : FMA512_HALF);
        gen_case_setup(&c, spec, 41);
        gen_case_reference(&c);
        gen_case_check(&env, &c, "gemm", c.inst.op->tol_nmse, 1e-3);
        cr_assert_eq(gen_build(&env, &c.inst.args, c.inst.in, "gemm", &k, err, sizeof err), GEN_OK,
                     "%s", err);
        snprintf(so[i], sizeof so[i], "%s", k.so_path);
        gen_unload(&k);
        gen_case_free(&c);
    }
    unsetenv("ABLATE_AVX512_RATE");
    if (__builtin_cpu_supports("avx512f"))
        cr_expect_str_neq(so[0], so[1], "one kernel for both rates: %s", so[0]);
    else
        cr_expect_str_eq(so[0], so[1]);
}

/* meta.json names the rate the run's kernels were built for. */
Test(fma_rate, meta_json)
{
    char dir[] = "/tmp/ablate-fma-XXXXXX", path[64], err[ERR_MAX];
    char *argv[] = {"ablate", "sweep", "x.lua"};
    struct fingerprint fp;
    cr_assert_not_null(mkdtemp(dir));
    struct gen_env env;
    cr_assert_eq(setenv("ABLATE_AVX512_RATE", "half", 1), 0);
    int rc = gen_env_init(&env, err, sizeof err);
    unsetenv("ABLATE_AVX512_RATE");
    cr_assert_eq(rc, 0, "%s", err);
    fingerprint_read(&fp, &env.fma); /* what a sweep does: the env's verdict */
    cr_assert_eq(meta_write(dir, &fp, 3, argv, "x", err, sizeof err), 0, "%s", err);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    cr_assert_not_null(root, "%s", je.text);
    json_t *m = json_object_get(root, "fingerprint");
    cr_assert_not_null(m, "no fingerprint object in %s", path);
    const char *want = __builtin_cpu_supports("avx512f") ? "half" : "none";
    cr_expect_str_eq(json_string_value(json_object_get(m, "avx512_fma_rate")), want);
    cr_expect(json_is_null(json_object_get(m, "avx512_zmm_over_ymm")));
    json_decref(root);
    remove(path);
    rmdir(dir);
}
