/* tests/gen_check.h — what every generated-kernel test needs: one module
 * configuration with random weights and input (from the project PRNG), its
 * reference output, and a generated variant run on NaN-poisoned output and
 * workspace and compared with it at 1 and 2 threads.  Modules' gen tests
 * (tests/test_gen*.c) differ only in their case lists. */
#ifndef ABLATE_GEN_CHECK_H
#define ABLATE_GEN_CHECK_H

#include <criterion/criterion.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffers.h"
#include "gen.h"
#include "instance.h"
#include "parity.h"

void openblas_set_num_threads(int n);

struct gen_case {
    char spec[256]; /* "AKConv inc=3 outc=5 num_param=2 h=9 w=13 batch=2" */
    struct instance inst;
    struct weightset ws;
    float *x, *y_ref;
    int64_t nx, ny;
};

/* Tests run from the repository root.  These tests check correctness, not
 * speed: their kernels are built at the level ABLATE_GEN_OPT names
 * (scripts/run_tests.sh sets 2; unset, -O3).  tests/test_goldens.c keeps
 * -O3 for every module and variant, the level sweeps run. */
static inline struct gen_env gen_check_env(void)
{
    char cwd[GEN_PATH_MAX], err[ERR_MAX];
    struct gen_env env;
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    cr_assert_eq(setenv("ABLATE_ROOT", cwd, 1), 0);
    cr_assert_eq(gen_env_init(&env, err, sizeof err), 0, "%s", err);
    cr_assert_eq(gen_env_check_opt(&env, err, sizeof err), 0, "%s", err);
    return env;
}

/* This test's generated kernels built for an AVX2-only CPU
 * (ABLATE_GEN_MARCH=x86-64-v3, harness/gen_cc.c): on an AVX-512 machine the
 * only way the 8-float fallbacks run.  Criterion runs every test in a
 * process of its own, so the setting ends with the test (also when an
 * assertion stops it half-way). */
static inline void gen_check_build_avx2_only(void)
{
    cr_assert_eq(setenv("ABLATE_GEN_MARCH", "x86-64-v3", 1), 0);
}

/* A fresh Lua state with gen/?.lua on its path and require(module)'s
 * result on the stack: for tests of a generator's Lua functions. */
static inline lua_State *gen_check_require(const char *module)
{
    struct gen_env env = gen_check_env();
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/gen/?.lua", env.root);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    lua_getglobal(L, "require");
    lua_pushstring(L, module);
    cr_assert_eq(lua_pcall(L, 1, 1, 0), LUA_OK, "%s", lua_tostring(L, -1));
    return L;
}

/* The generator module on top of L's stack (gen_check_require) called as
 * module.fn(args[0], ..., args[n - 1]): its integer result. */
static inline int gen_check_call_int(lua_State *L, const char *fn, int n, const int *args)
{
    lua_getfield(L, -1, fn);
    for (int i = 0; i < n; i++)
        lua_pushinteger(L, args[i]);
    cr_assert_eq(lua_pcall(L, n, 1, 0), LUA_OK, "%s: %s", fn, lua_tostring(L, -1));
    const int r = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    return r;
}

/* Parses spec (`ablate info` syntax), allocates, draws weights (op init,
 * INIT_RANDOM) then the input N(0,1) from one stream seeded with `seed`.
 * The reference output is left to gen_case_reference, so a test can set
 * special weights first. */
static inline void gen_case_setup(struct gen_case *c, const char *spec, uint64_t seed)
{
    char buf[256], err[ERR_MAX], *argv[32];
    int argc = 0;
    struct rng r;
    memset(c, 0, sizeof *c);
    snprintf(c->spec, sizeof c->spec, "%s", spec);
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *tok = strtok(buf, " "); tok && argc < 32; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    cr_assert_eq(instance_parse(&c->inst, argc, argv, err, sizeof err), 0, "%s: %s", spec, err);
    cr_assert_eq(weights_alloc(&c->ws, &c->inst, err, sizeof err), 0, "%s", err);
    struct shape4 i = c->inst.in, o = c->inst.out;
    c->nx = (int64_t)i.n * i.c * i.h * i.w;
    c->ny = (int64_t)o.n * o.c * o.h * o.w;
    cr_assert_not_null(c->x = buf_alloc(c->nx));
    cr_assert_not_null(c->y_ref = buf_alloc(c->ny));
    rng_seed(&r, seed);
    c->inst.op->init(&c->inst.args, INIT_RANDOM, &r, c->ws.ptr);
    for (int64_t k = 0; k < c->nx; k++)
        c->x[k] = rng_normal(&r);
}

static inline void gen_case_reference(struct gen_case *c)
{
    c->inst.op->forward_ref(&c->inst.args, c->inst.in, (const float *const *)c->ws.ptr, c->x, c->y_ref);
}

static inline void gen_case_free(struct gen_case *c)
{
    weights_free(&c->ws);
    buf_free(c->x, c->nx);
    buf_free(c->y_ref, c->ny);
}

/* Runs kernel k into a NaN-poisoned y with a NaN-poisoned workspace; y is
 * the caller's (gen_case_ny floats, buf_free). */
static inline float *gen_case_run(const struct gen_case *c, const struct gen_kernel *k, int nthreads)
{
    int64_t nws = k->info->workspace_floats * nthreads;
    float *y = buf_alloc(c->ny), *ws = buf_alloc(nws);
    cr_assert(y && ws);
    buf_fill_nan(y, c->ny);
    buf_fill_nan(ws, nws);
    k->forward((const float *const *)c->ws.ptr, c->x, y, ws, nthreads);
    buf_free(ws, nws);
    return y;
}

/* Builds `variant`, runs it at 1 and 2 threads, expects every output finite,
 * NMSE below tol_nmse and max |diff| below tol_abs. */
static inline void gen_case_check(const struct gen_env *env, struct gen_case *c, const char *variant,
                                  double tol_nmse, double tol_abs)
{
    struct gen_kernel k;
    char err[ERR_MAX];
    cr_assert_eq(gen_build(env, &c->inst.args, c->inst.in, variant, &k, err, sizeof err), GEN_OK,
                 "%s %s: %s", c->spec, variant, err);
    cr_assert_str_eq(k.info->module, c->inst.op->name);
    cr_assert_str_eq(k.info->variant, variant);
    for (int nthreads = 1; nthreads <= 2; nthreads++) {
        struct parity p;
        float *y = gen_case_run(c, &k, nthreads);
        parity_compare(y, c->y_ref, c->ny, &p);
        cr_expect_eq(p.n_nonfinite, 0, "%s %s t%d: %lld outputs not finite (never written?)", c->spec,
                     variant, nthreads, (long long)p.n_nonfinite);
        cr_expect(p.nmse < tol_nmse && p.max_abs < tol_abs, "%s %s t%d: nmse %.3g max_abs %.3g (%s)",
                  c->spec, variant, nthreads, p.nmse, p.max_abs, k.src_path);
        buf_free(y, c->ny);
    }
    gen_unload(&k);
}

/* Case `spec` (gen_case_setup, seed) and its `variant` kernel built into
 * k, OpenBLAS on one thread (the kernels' own OpenMP threads are what a
 * test varies). */
static inline void gen_case_build(struct gen_case *c, struct gen_kernel *k, const char *spec,
                                  uint64_t seed, const char *variant)
{
    struct gen_env env = gen_check_env();
    char err[ERR_MAX];
    openblas_set_num_threads(1);
    gen_case_setup(c, spec, seed);
    cr_assert_eq(gen_build(&env, &c->inst.args, c->inst.in, variant, k, err, sizeof err), GEN_OK,
                 "%s: %s", spec, err);
}

/* The optional prepared path (ablate_kernel.h) of kernel k: prepare into
 * a NaN-poisoned buffer, then forward_prepared twice with the workspace
 * NaN-poisoned before each call (it must hold nothing between calls: the
 * model graph shares one among its layers); each output must equal
 * forward's bit for bit (the same arithmetic, the weight transform made
 * once).  Kernels built with AVX-512 have Winograd layers to prepare; the
 * others none. */
static inline void gen_check_prepared(const struct gen_kernel *k, const float *const *w, const float *x,
                                      int64_t ny, int nthreads, const char *spec)
{
    if (!k->prepare) {
        cr_assert(!__builtin_cpu_supports("avx512f") || getenv("ABLATE_GEN_MARCH"),
                  "%s: no prepared path (%s)", spec, k->src_path);
        return;
    }
    int64_t nws = k->info->workspace_floats * nthreads, np = k->info->prepared_floats;
    float *y = buf_alloc(ny), *yp = buf_alloc(ny), *ws = buf_alloc(nws), *prep = buf_alloc(np);
    cr_assert(y && yp && ws && prep);
    buf_fill_nan(y, ny);
    buf_fill_nan(ws, nws);
    k->forward(w, x, y, ws, nthreads);
    buf_fill_nan(prep, np);
    k->prepare(w, prep, nthreads);
    for (int call = 1; call <= 2; call++) {
        buf_fill_nan(yp, ny);
        buf_fill_nan(ws, nws);
        k->forward_prepared(w, prep, x, yp, ws, nthreads);
        cr_expect(memcmp(y, yp, sizeof(float) * (size_t)ny) == 0,
                  "%s t%d: forward_prepared call %d differs from forward", spec, nthreads, call);
    }
    buf_free(y, ny);
    buf_free(yp, ny);
    buf_free(ws, nws);
    buf_free(prep, np);
}

/* The prepared path of `variant` for one configuration (`ablate info`
 * syntax, seeded weights and input) at 1 and 2 threads, by
 * gen_check_prepared; with `required`, a kernel without one fails. */
static inline void gen_check_prepared_case(const char *spec, uint64_t seed, const char *variant,
                                           int required)
{
    struct gen_case c;
    struct gen_kernel k;
    gen_case_build(&c, &k, spec, seed, variant);
    cr_assert(!required || (k.prepare && k.forward_prepared), "%s: no prepared path (%s)", spec,
              k.src_path);
    for (int t = 1; t <= 2; t++)
        gen_check_prepared(&k, (const float *const *)c.ws.ptr, c.x, c.ny, t, spec);
    gen_unload(&k);
    gen_case_free(&c);
}

/* The whole check of one configuration: set up (`ablate info` syntax,
 * seeded weights and input), reference, `variant` at 1 and 2 threads
 * against it within the row's NMSE tolerance and max |diff| < tol_abs.
 * OpenBLAS on one thread: the kernels' own OpenMP threads are the test. */
static inline void gen_check_variant(const char *spec, uint64_t seed, const char *variant, double tol_abs)
{
    struct gen_env env = gen_check_env();
    struct gen_case c;
    openblas_set_num_threads(1);
    gen_case_setup(&c, spec, seed);
    gen_case_reference(&c);
    gen_case_check(&env, &c, variant, c.inst.op->tol_nmse, tol_abs);
    gen_case_free(&c);
}

#endif
