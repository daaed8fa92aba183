/* tests/test_gen_detect.c — generated YOLOv8 Detect kernels (gen/detect.lua,
 * templates/detect_gemm.c.in) and YOLOv5 DetectV5 kernels (gen/detect_v5.lua)
 * against the scalar reference, at 1 and 2
 * threads, on NaN-poisoned output and workspace.  Detect reads one map per
 * level (packed one after another), so gen_check.h's single-input case
 * does not fit: the input is sized here.  Odd sizes (levels 5x7, 3x4,
 * 2x2), batch 2, 1 to 4 levels, nc above and below ch0, and a level 0
 * wider than one tile. */
#include "counts_check.h"
#include "gen_check.h"

void openblas_set_num_threads(int n);

static int64_t packed_input(const struct instance *m)
{
    static const char *const names[] = {"ch0", "ch1", "ch2", "ch3"};
    int64_t n = 0;
    int h = m->in.h, w = m->in.w;
    for (int l = 0; l < 4 && arg_geti(&m->args, names[l]) > 0; l++) {
        n += (int64_t)m->in.n * arg_geti(&m->args, names[l]) * h * w;
        h = (h + 1) / 2, w = (w + 1) / 2;
    }
    return n;
}

static void check(const char *spec, uint64_t seed)
{
    struct gen_env env = gen_check_env();
    struct instance m = instance_of(spec);
    struct weightset ws;
    struct gen_kernel k;
    struct rng r;
    char err[ERR_MAX];
    openblas_set_num_threads(1);
    cr_assert_eq(weights_alloc(&ws, &m, err, sizeof err), 0, "%s", err);
    int64_t nx = packed_input(&m), ny = (int64_t)m.out.n * m.out.c * m.out.h * m.out.w;
    float *x = buf_alloc(nx), *ref = buf_alloc(ny);
    cr_assert(x && ref);
    rng_seed(&r, seed);
    m.op->init(&m.args, INIT_RANDOM, &r, ws.ptr);
    for (int64_t i = 0; i < nx; i++)
        x[i] = rng_normal(&r);
    m.op->forward_ref(&m.args, m.in, (const float *const *)ws.ptr, x, ref);
    cr_assert_eq(gen_build(&env, &m.args, m.in, "gemm", &k, err, sizeof err), GEN_OK, "%s: %s", spec, err);
    for (int t = 1; t <= 2; t++) {
        int64_t nws = k.info->workspace_floats * t;
        float *y = buf_alloc(ny), *work = buf_alloc(nws);
        struct parity p;
        cr_assert(y && work);
        buf_fill_nan(y, ny);
        buf_fill_nan(work, nws);
        k.forward((const float *const *)ws.ptr, x, y, work, t);
        parity_compare(y, ref, ny, &p);
        cr_expect(p.n_nonfinite == 0 && p.n_bad == 0, "%s t%d: max_rel %.3g, %lld bad, %lld non-finite",
                  spec, t, p.max_rel, (long long)p.n_bad, (long long)p.n_nonfinite);
        buf_free(y, ny);
        buf_free(work, nws);
        if (!strcmp(m.op->name, "Detect")) /* DetectV5 has no Winograd layers, no prepared path */
            gen_check_prepared(&k, (const float *const *)ws.ptr, x, ny, t, spec);
    }
    gen_unload(&k);
    buf_free(x, nx);
    buf_free(ref, ny);
    weights_free(&ws);
}

Test(gen_detect, small_cases, .timeout = 180)
{
    check("Detect nc=3 ch0=8 ch1=16 ch2=4 h=5 w=7", 41);
    check("Detect nc=2 ch0=4 h=3 w=3 batch=2", 42);
    check("Detect nc=120 ch0=8 ch1=8 ch2=8 ch3=8 stride0=4 h=8 w=6", 43);
}

/* 40x36 at level 0: several tiles per layer at 2 threads. */
Test(gen_detect, several_tiles, .timeout = 180)
{
    check("Detect nc=5 ch0=16 ch1=16 h=40 w=36", 44);
}

/* Every Conv and head a multiple of 8 channels: all on the AVX-512 direct
 * path where the build has it (gen/runtime/ablate_direct.h). */
Test(gen_detect, direct_heads, .timeout = 180)
{
    check("Detect nc=8 ch0=16 ch1=32 h=9 w=11 batch=2", 45);
    check("Detect nc=16 ch0=64 ch1=64 ch2=64 h=20 w=20", 46);
}

/* Level 0 (42 x 37) on Winograd F(4x4, 3x3) in both branches (gen/chain.lua
 * wino_pick), level 1 (21 x 19) F(4x4) and F(2x2): jobs of whole 4-row
 * tile rows, the last one partial, batch 2, and the prepared path. */
Test(gen_detect, winograd_f4, .timeout = 180)
{
    check("Detect nc=8 ch0=32 ch1=64 h=42 w=37 batch=2", 47);
}

/* YOLOv5's anchor-based head (gen/detect_v5.lua): same harness. */
Test(gen_detect_v5, cases, .timeout = 180)
{
    check("DetectV5 nc=3 na=3 ch0=8 ch1=16 ch2=4 h=5 w=7", 51);
    check("DetectV5 nc=80 na=2 ch0=4 h=3 w=3 batch=2", 52);
    check("DetectV5 nc=2 na=3 ch0=16 ch1=16 h=40 w=36", 53);
}
