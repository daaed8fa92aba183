/* tests/test_rng.c — kernels/rng.c, the generator every random weight and
 * input comes from.  Checked against published test vectors (splitmix64's
 * first output for seed 0, FNV-1a 64) and against the golden
 * tests/goldens/rng_stream.safetensors: the stream of a Python
 * transcription of the xoshiro128** reference code (Blackman & Vigna) and
 * its uniforms and normals computed by PyTorch (scripts/torchref/rng.py,
 * written by `make goldens`), which is how scripts/ reproduce the stream. */
#include <criterion/criterion.h>
#include <math.h>

#include "rng.h"
#include "safetensors.h"

Test(rng, seed_is_splitmix64)
{
    /* splitmix64(0)'s first output is 0xe220a8397b1dcdaf (Vigna's
     * reference implementation); the state takes it low word first. */
    struct rng r;
    rng_seed(&r, 0);
    cr_expect_eq(r.s[0], 0x7b1dcdafu);
    cr_expect_eq(r.s[1], 0xe220a839u);
}

Test(rng, xoshiro128starstar_stream)
{
    /* seed 42, first four outputs, from the Python transcription of the
     * reference C code (rotl(s[1] * 5, 7) * 9, then the xor/shift step) */
    const uint32_t want[4] = {0x69e85a2au, 0xf843fad0u, 0x0105185fu, 0x8a1f1ea6u};
    struct rng r;
    rng_seed(&r, 42);
    for (int i = 0; i < 4; i++)
        cr_expect_eq(rng_next(&r), want[i], "output %d: 0x%08x", i, want[i]);
}

Test(rng, fnv1a_test_vectors)
{
    cr_expect_eq(hash_str(""), 0xcbf29ce484222325ull);
    cr_expect_eq(hash_str("a"), 0xaf63dc4c8601ec8cull);
    cr_expect_eq(hash_str("foobar"), 0x85944171f73967e8ull);
}

Test(rng, uniform_range_and_normal_moments)
{
    enum { N = 200000 };
    struct rng r;
    rng_seed(&r, 7);
    double sum = 0, sum2 = 0;
    for (int i = 0; i < N; i++) {
        float u = rng_range(&r, -2.0f, 3.0f);
        cr_assert(u >= -2.0f && u < 3.0f, "rng_range gave %g", u);
    }
    for (int i = 0; i < N; i++) {
        double z = rng_normal(&r);
        cr_assert(isfinite(z));
        sum += z, sum2 += z * z;
    }
    double mean = sum / N, var = sum2 / N - mean * mean;
    /* 200000 draws: the mean's sd is 0.0022, the variance's 0.0032 */
    cr_expect(fabs(mean) < 0.01, "mean %g", mean);
    cr_expect(fabs(var - 1.0) < 0.015, "variance %g", var);
}

/* The golden's tensor NAME, asserted to be there with S rows of n values. */
static const struct st_tensor *golden_rows(const struct st_file *f, const char *name, int64_t s)
{
    const struct st_tensor *t = st_find(f, name);
    cr_assert(t && t->ndim == 2 && t->shape[0] == s, "rng golden: no %s [%lld][n]", name, (long long)s);
    return t;
}

Test(rng, matches_torch_golden)
{
    struct st_file f;
    char err[512];
    cr_assert_eq(st_read("tests/goldens/rng_stream.safetensors", &f, err, sizeof err), 0, "%s", err);
    const struct st_tensor *seed = st_find(&f, "seed");
    cr_assert(seed && seed->dtype == ST_I64 && seed->ndim == 1, "rng golden: no seed [S]");
    const int64_t ns = seed->shape[0];
    const struct st_tensor *next = golden_rows(&f, "next", ns), *uni = golden_rows(&f, "uniform", ns),
                           *nrm = golden_rows(&f, "normal", ns);
    cr_assert(next->dtype == ST_I64 && uni->dtype == ST_F32 && nrm->dtype == ST_F32 &&
              uni->shape[1] == next->shape[1]);
    for (int64_t i = 0; i < ns; i++) {
        const uint64_t s = (uint64_t)((const int64_t *)seed->data)[i];
        struct rng r;
        rng_seed(&r, s);
        for (int64_t k = 0; k < next->shape[1]; k++) {
            const int64_t want = ((const int64_t *)next->data)[i * next->shape[1] + k];
            cr_assert_eq((int64_t)rng_next(&r), want, "seed %llu, output %lld", (unsigned long long)s,
                         (long long)k);
        }
        rng_seed(&r, s);
        for (int64_t k = 0; k < uni->shape[1]; k++) {
            const float want = ((const float *)uni->data)[i * uni->shape[1] + k];
            cr_assert_eq(rng_uniform(&r), want, "seed %llu, uniform %lld", (unsigned long long)s,
                         (long long)k);
        }
        /* Box-Muller in double through libm against torch's log/cos, both
         * rounded to float: at most one float ulp apart */
        rng_seed(&r, s);
        for (int64_t k = 0; k < nrm->shape[1]; k++) {
            const float want = ((const float *)nrm->data)[i * nrm->shape[1] + k], got = rng_normal(&r);
            cr_assert(fabsf(got - want) <= nextafterf(fabsf(want), INFINITY) - fabsf(want),
                      "seed %llu, normal %lld: %.9g, torch %.9g", (unsigned long long)s, (long long)k,
                      got, want);
        }
    }
    st_free(&f);
}
