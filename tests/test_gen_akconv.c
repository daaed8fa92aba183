/* tests/test_gen_akconv.c — the generated AKConv kernels (gen/akconv.lua,
 * variants gemm and fused) against the scalar reference op_akconv.forward_ref
 * (kernels/akconv.c, MODULES.md 5.1).
 *
 * Every case: random weights (op_akconv.init INIT_RANDOM: offsets of a few
 * pixels, so samples cross the borders and hit the clamps), input N(0,1),
 * output and workspace poisoned with NaN before the call, batch 2, and the
 * same kernel run with 1 and 2 threads. */
#include <criterion/criterion.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"
#include "ops.h"
#include "rng.h"

/* Tolerances.  The kernels evaluate the sampler with the reference's
 * float32 expressions in its order, so equal offsets give bit-identical
 * samples; what differs is summation: p_conv and the column conv sum in
 * float (sgemm or the micro-kernel, any order) where the reference sums in
 * double.  That alone gives NMSE around 1e-13 and max |diff| around 1e-5
 * for these sizes.  The margin above that covers one more effect: an
 * offset that differs in its last bits moves a sample by ~1e-6 pixel,
 * which changes the output continuously (bilinear) except where the
 * sample sits within ~1e-6 of a clamp boundary (p = 0 or H-1), where the
 * sampler jumps (MODULES.md 5.1, border behaviour).  With these seeds no
 * sample is that close; a failure well above 1e-9 on another machine would
 * most likely be such a jump, not a bug, and the op row's tol_nmse says
 * the same. */
#define TOL_NMSE 1e-9
#define TOL_MAX_ABS 1e-3

/* Tests run from the repository root. */
static struct gen_env test_env(void)
{
    char cwd[GEN_PATH_MAX], err[ERR_MAX];
    struct gen_env env;
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    cr_assert_eq(setenv("ABLATE_ROOT", cwd, 1), 0);
    cr_assert_eq(gen_env_init(&env, err, sizeof err), 0, "%s", err);
    return env;
}

/* One AKConv configuration. */
struct akc_case {
    int inc, outc, n, stride, bias;
    const char *grid;
    int h, w;
};

static struct args akc_args(const struct akc_case *c)
{
    struct args a;
    char err[ERR_MAX], v[32];
    args_defaults(&op_akconv, &a);
    const char *keys[] = {"inc", "outc", "num_param", "stride", "bias"};
    int vals[] = {c->inc, c->outc, c->n, c->stride, c->bias};
    for (int i = 0; i < 5; i++) {
        snprintf(v, sizeof v, "%d", vals[i]);
        cr_assert_eq(args_set(&a, keys[i], v, err, sizeof err), 0, "%s", err);
    }
    cr_assert_eq(args_set(&a, "grid", c->grid, err, sizeof err), 0, "%s", err);
    cr_assert_eq(args_complete(&a, err, sizeof err), 0, "%s", err);
    return a;
}

/* Weights, input and reference output of one case. */
struct akc_data {
    struct args a;
    struct shape4 in, out;
    struct weight_list wl;
    float *w[WEIGHTS_MAX];
    float *x, *y_ref;
    int64_t nx, ny;
};

static int64_t numel(struct shape4 s) { return (int64_t)s.n * s.c * s.h * s.w; }

static void akc_setup(struct akc_data *d, const struct akc_case *c, uint64_t seed)
{
    char err[ERR_MAX];
    struct rng r;
    memset(d, 0, sizeof *d);
    d->a = akc_args(c);
    d->in = (struct shape4){2, c->inc, c->h, c->w};
    cr_assert_eq(op_akconv.validate(&d->a, d->in, err, sizeof err), 0, "%s", err);
    d->out = op_akconv.out_shape(&d->a, d->in);
    op_akconv.weights(&d->a, &d->wl);
    for (int i = 0; i < d->wl.n; i++)
        if (!d->wl.w[i].is_int64)
            cr_assert_not_null(d->w[i] = malloc(sizeof(float) * weight_numel(&d->wl.w[i])));
    d->nx = numel(d->in);
    d->ny = numel(d->out);
    cr_assert_not_null(d->x = malloc(sizeof(float) * d->nx));
    cr_assert_not_null(d->y_ref = malloc(sizeof(float) * d->ny));
    rng_seed(&r, seed);
    op_akconv.init(&d->a, INIT_RANDOM, &r, d->w);
    for (int64_t i = 0; i < d->nx; i++)
        d->x[i] = rng_normal(&r);
}

static void akc_reference(struct akc_data *d)
{
    op_akconv.forward_ref(&d->a, d->in, (const float *const *)d->w, d->x, d->y_ref);
}

static void akc_free(struct akc_data *d)
{
    for (int i = 0; i < d->wl.n; i++)
        free(d->w[i]);
    free(d->x);
    free(d->y_ref);
}

/* Runs kernel k on d with nthreads into a NaN-poisoned y (and workspace);
 * returns y (caller frees). */
static float *akc_run(const struct gen_kernel *k, const struct akc_data *d, int nthreads)
{
    int64_t nws = k->info->workspace_floats * nthreads;
    float *y = malloc(sizeof(float) * d->ny);
    float *ws = aligned_alloc(64, ((size_t)nws * sizeof(float) + 63) / 64 * 64 + 64);
    cr_assert(y && ws);
    for (int64_t i = 0; i < d->ny; i++)
        y[i] = NAN;
    for (int64_t i = 0; i < nws; i++)
        ws[i] = NAN;
    k->forward((const float *const *)d->w, d->x, y, ws, nthreads);
    free(ws);
    return y;
}

/* Builds `variant` for case c, runs it with 1 and 2 threads and compares
 * with the reference. */
static void check_case(const struct gen_env *env, const char *variant, const struct akc_case *c,
                       uint64_t seed)
{
    struct akc_data d;
    struct gen_kernel k;
    char err[ERR_MAX], desc[160];
    snprintf(desc, sizeof desc, "%s: inc=%d outc=%d N=%d s=%d bias=%d grid=%s 2x%d x %dx%d",
             variant, c->inc, c->outc, c->n, c->stride, c->bias, c->grid, c->inc, c->h, c->w);
    akc_setup(&d, c, seed);
    akc_reference(&d);
    cr_assert_eq(gen_build(env, &d.a, d.in, variant, &k, err, sizeof err), GEN_OK, "%s: %s", desc,
                 err);
    cr_assert_str_eq(k.info->variant, variant);
    for (int nthreads = 1; nthreads <= 2; nthreads++) {
        float *y = akc_run(&k, &d, nthreads);
        double se = 0, sr = 0, max_abs = 0;
        int64_t bad = 0;
        for (int64_t i = 0; i < d.ny; i++) {
            if (!isfinite(y[i]))
                bad++;
            double diff = (double)y[i] - d.y_ref[i];
            se += diff * diff;
            sr += (double)d.y_ref[i] * d.y_ref[i];
            max_abs = fabs(diff) > max_abs ? fabs(diff) : max_abs;
        }
        double nmse = se / (sr > 0 ? sr : 1);
        cr_expect_eq(bad, 0, "%s, %d threads: %lld outputs not finite (never written?)", desc,
                     nthreads, (long long)bad);
        cr_expect(nmse < TOL_NMSE, "%s, %d threads: NMSE %.3g", desc, nthreads, nmse);
        cr_expect(max_abs < TOL_MAX_ABS, "%s, %d threads: max |diff| %.3g", desc, nthreads,
                  max_abs);
        free(y);
    }
    gen_unload(&k);
    akc_free(&d);
}

/* Every num_param the brief names, with stride, map size (odd, H != W, and
 * a single row), channels and bias rotating so that each (variant, grid)
 * pair sees every stride/size combination. */
static const int NUM_PARAMS[] = {1, 2, 3, 5, 7, 11, 13};
static const int SIZES[][2] = {{9, 13}, {11, 7}, {1, 5}};
static const int CHANNELS[][2] = {{3, 5}, {8, 6}, {1, 4}, {5, 16}};

static void sweep(const char *variant, const char *grid, int shift)
{
    struct gen_env env = test_env();
    for (int i = 0; i < (int)(sizeof NUM_PARAMS / sizeof NUM_PARAMS[0]); i++) {
        int j = i + shift;
        struct akc_case c = {
            .inc = CHANNELS[j % 4][0],
            .outc = CHANNELS[j % 4][1],
            .n = NUM_PARAMS[i],
            .stride = 1 + j % 2,
            .bias = j / 2 % 2,
            .grid = grid,
            .h = SIZES[j / 2 % 3][0],
            .w = SIZES[j / 2 % 3][1],
        };
        check_case(&env, variant, &c, 1000 + (uint64_t)i);
    }
}

Test(gen_akconv, gemm_ij) { sweep("gemm", "ij", 0); }
Test(gen_akconv, gemm_xy) { sweep("gemm", "xy", 1); }
Test(gen_akconv, fused_ij) { sweep("fused", "ij", 0); }
Test(gen_akconv, fused_xy) { sweep("fused", "xy", 1); }

/* A realistic layer: 64 -> 128 at 20x20 (several tiles per image, the
 * fused variant's chunks and both micro-kernel row blocks in use). */
static void realistic(const char *variant)
{
    struct gen_env env = test_env();
    const struct akc_case cases[] = {
        {64, 128, 5, 2, 0, "ij", 20, 20},
        {64, 128, 13, 1, 1, "xy", 20, 20},
    };
    for (int i = 0; i < 2; i++)
        check_case(&env, variant, &cases[i], 77 + (uint64_t)i);
}

Test(gen_akconv, gemm_realistic, .timeout = 120) { realistic("gemm"); }
Test(gen_akconv, fused_realistic, .timeout = 120) { realistic("fused"); }

/* A non-finite offset must give NaN outputs (as the reference does; the
 * harness then rejects the run), never an out-of-range read. */
Test(gen_akconv, nonfinite_offset_is_nan_not_a_crash)
{
    struct gen_env env = test_env();
    const char *variants[] = {"gemm", "fused"};
    const struct akc_case c = {4, 3, 5, 1, 0, "ij", 9, 13};
    for (int v = 0; v < 2; v++) {
        struct akc_data d;
        struct gen_kernel k;
        char err[ERR_MAX];
        akc_setup(&d, &c, 5);
        float *p_conv_bias = d.w[d.wl.n - 1];
        p_conv_bias[0] = INFINITY; /* row offset of point 0 */
        p_conv_bias[2 * c.n - 1] = NAN; /* column offset of the last point */
        cr_assert_eq(gen_build(&env, &d.a, d.in, variants[v], &k, err, sizeof err), GEN_OK, "%s",
                     err);
        float *y = akc_run(&k, &d, 2);
        int64_t nan = 0;
        for (int64_t i = 0; i < d.ny; i++)
            nan += isnan(y[i]) != 0;
        cr_expect_eq(nan, d.ny, "%s: %lld of %lld outputs NaN", variants[v], (long long)nan,
                     (long long)d.ny);
        free(y);
        gen_unload(&k);
        akc_free(&d);
    }
}

Test(gen_akconv, variants_listed)
{
    struct gen_env env = test_env();
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], err[ERR_MAX];
    int n = gen_variants(&env, &op_akconv, names, GEN_VARIANTS_MAX, err, sizeof err);
    cr_assert_eq(n, 2, "%s", err);
    cr_expect_str_eq(names[0], "gemm");
    cr_expect_str_eq(names[1], "fused");
}

/* The Lua p_n table against MODULES.md 5.1 step 2's worked examples. */
static void expect_p_n(lua_State *L, int n, const char *grid, const char *want)
{
    char got[256] = "";
    size_t used = 0;
    lua_getfield(L, -1, "p_n");
    lua_pushinteger(L, n);
    lua_pushstring(L, grid);
    cr_assert_eq(lua_pcall(L, 2, 2, 0), LUA_OK, "%s", lua_tostring(L, -1));
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, -2, i);
        lua_rawgeti(L, -2, i);
        used += (size_t)snprintf(got + used, sizeof got - used, "%s(%d,%d)", i > 1 ? "," : "",
                                 (int)lua_tointeger(L, -2), (int)lua_tointeger(L, -1));
        lua_pop(L, 2);
    }
    lua_pop(L, 2);
    cr_expect_str_eq(got, want, "p_n N=%d grid=%s", n, grid);
}

Test(gen_akconv, p_n_matches_the_spec)
{
    struct gen_env env = test_env();
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/gen/?.lua", env.root);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    lua_getglobal(L, "require");
    lua_pushstring(L, "akconv");
    cr_assert_eq(lua_pcall(L, 1, 1, 0), LUA_OK, "%s", lua_tostring(L, -1));
    expect_p_n(L, 3, "ij", "(0,0),(0,1),(1,0)");
    expect_p_n(L, 5, "ij", "(0,0),(0,1),(1,0),(1,1),(2,0)");
    expect_p_n(L, 6, "ij", "(0,0),(0,1),(1,0),(1,1),(2,0),(2,1)");
    expect_p_n(L, 6, "xy", "(0,0),(1,0),(2,0),(0,1),(1,1),(2,1)");
    expect_p_n(L, 1, "ij", "(0,0)");
    lua_close(L);
}
