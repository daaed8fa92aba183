/* tests/test_gen.c — the generator: template engine, generated Conv kernels
 * against the scalar reference, the kernel cache, and the fault variants
 * the harness's isolation is tested with. */
#include <criterion/criterion.h>
#include <glob.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gen_check.h"

/* Conv arguments as key=value text, e.g. "c1=8 c2=16 k=3 s=2". */
static struct args conv_args(const char *spec)
{
    struct args a;
    char buf[256], err[ERR_MAX];
    args_defaults(&op_conv, &a);
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *kv = strtok(buf, " "); kv; kv = strtok(NULL, " ")) {
        char *eq = strchr(kv, '=');
        cr_assert_not_null(eq, "bad spec %s", kv);
        *eq = 0;
        cr_assert_eq(args_set(&a, kv, eq + 1, err, sizeof err), 0, "%s", err);
    }
    cr_assert_eq(args_complete(&a, err, sizeof err), 0, "%s", err);
    return a;
}

/* "Conv <spec> batch= h= w=" for gen_case_setup. */
static void conv_spec(char *buf, size_t len, const char *spec, struct shape4 in)
{
    snprintf(buf, len, "Conv %s batch=%d h=%d w=%d", spec, in.n, in.h, in.w);
}

/* Generated variant vs reference at 1 and 2 threads. */
static void check_conv(const char *spec, struct shape4 in, const char *variant)
{
    struct gen_env env = gen_check_env();
    struct gen_case c;
    char full[256];
    conv_spec(full, sizeof full, spec, in);
    gen_case_setup(&c, full, 0x5eed + (uint64_t)in.h * 131 + (uint64_t)in.c);
    gen_case_reference(&c);
    gen_case_check(&env, &c, variant, 1e-10, 1e-4);
    gen_case_free(&c);
}

#define SHAPE(n, c, h, w) ((struct shape4){n, c, h, w})

Test(gen_conv, k3_s1_odd) { check_conv("c1=5 c2=7 k=3 s=1", SHAPE(1, 5, 7, 9), "gemm"); }
Test(gen_conv, k3_s2) { check_conv("c1=8 c2=16 k=3 s=2", SHAPE(1, 8, 9, 12), "gemm"); }
Test(gen_conv, k1_s1_pointwise) { check_conv("c1=16 c2=24 k=1 s=1", SHAPE(1, 16, 10, 11), "gemm"); }
Test(gen_conv, k1_s1_padded) { check_conv("c1=4 c2=6 k=1 s=1 p=1", SHAPE(1, 4, 5, 7), "gemm"); }
Test(gen_conv, k1_s2) { check_conv("c1=8 c2=8 k=1 s=2", SHAPE(1, 8, 9, 9), "gemm"); }
Test(gen_conv, k3_s2_batch2) { check_conv("c1=4 c2=8 k=3 s=2", SHAPE(2, 4, 11, 13), "gemm"); }
Test(gen_conv, k3_p0) { check_conv("c1=6 c2=5 k=3 s=1 p=0", SHAPE(1, 6, 8, 6), "gemm"); }
Test(gen_conv, groups2) { check_conv("c1=8 c2=12 k=3 s=1 g=2", SHAPE(2, 8, 9, 7), "gemm"); }
Test(gen_conv, depthwise) { check_conv("c1=16 c2=16 k=3 s=1 g=16", SHAPE(1, 16, 12, 10), "gemm"); }
Test(gen_conv, depthwise_s2_mult) { check_conv("c1=8 c2=16 k=3 s=2 g=8", SHAPE(2, 8, 11, 9), "gemm"); }
Test(gen_conv, dilation2) { check_conv("c1=6 c2=10 k=3 s=1 d=2", SHAPE(1, 6, 13, 11), "gemm"); }
Test(gen_conv, k5_s2) { check_conv("c1=6 c2=8 k=5 s=2", SHAPE(1, 6, 15, 17), "gemm"); }
Test(gen_conv, act0_eps3) { check_conv("c1=8 c2=8 k=3 s=1 act=0 bn_eps=1e-3", SHAPE(1, 8, 6, 6), "gemm"); }
Test(gen_conv, yolo_64_128_s2) { check_conv("c1=64 c2=128 k=3 s=2", SHAPE(1, 64, 20, 20), "gemm"); }
Test(gen_conv, yolo_64_128_s2_batch3) { check_conv("c1=64 c2=128 k=3 s=2", SHAPE(3, 64, 20, 20), "gemm"); }
/* space-to-depth stride 2 (output width not a multiple of 16): two tiles
 * per image (TILE 512 at 128 input channels), the second starting mid row,
 * each copying its own slab of rows; batch 2 */
Test(gen_conv, s2d_tiles_mid_row) { check_conv("c1=128 c2=16 k=3 s=2", SHAPE(2, 128, 49, 47), "gemm"); }
/* YOLOv5's 6x6 stride-2 pad-2 stem as a 3x3 conv on a space-to-depth copy
 * (gen/conv.lua DIRECT 4, abl_focus_tile; a build without AVX-512 takes
 * the im2col path at run time, abl_focus_ok): one tile per image per thread with the second
 * starting mid row (11 x 9 output, 2 threads), several tiles per image
 * (65 x 33 output: TILE < 2145 pixels) with 3 blocks of 8 output channels,
 * batch 2; odd input sizes take the im2col path (checked the same way). */
static void expect_focus(const char *spec, struct shape4 in, int want)
{
    struct gen_env env = gen_check_env();
    char err[ERR_MAX];
    struct args a = conv_args(spec);
    char *src = gen_render_script(&env, "conv", &a, in, "gemm", err, sizeof err);
    cr_assert_not_null(src, "%s", err);
    cr_expect_eq(strstr(src, "abl_focus_tile(") != NULL, want, "%s %dx%d: abl_focus_tile %s", spec,
                 in.h, in.w, want ? "missing" : "present");
    free(src);
    check_conv(spec, in, "gemm");
}

Test(gen_conv, focus_k6_s2_mid_row) { expect_focus("c1=3 c2=16 k=6 s=2 p=2", SHAPE(1, 3, 22, 18), 1); }
Test(gen_conv, focus_k6_s2_tiles_batch2) { expect_focus("c1=4 c2=24 k=6 s=2 p=2", SHAPE(2, 4, 130, 66), 1); }
Test(gen_conv, focus_k6_s2_odd_gemm) { expect_focus("c1=3 c2=16 k=6 s=2 p=2", SHAPE(1, 3, 15, 13), 0); }
Test(gen_conv, direct_dense) { check_conv("c1=8 c2=16 k=3 s=2", SHAPE(1, 8, 9, 12), "direct"); }
Test(gen_conv, direct_groups) { check_conv("c1=8 c2=12 k=3 s=1 g=2 d=2", SHAPE(2, 8, 9, 7), "direct"); }
Test(gen_conv, direct_depthwise) { check_conv("c1=16 c2=16 k=5 s=2 g=16", SHAPE(1, 16, 12, 10), "direct"); }

/* Small integers everywhere and BN exactly the identity (gamma 1, beta 0,
 * mean 0, var 1, eps 0), no activation: every product and partial sum is
 * an exact float, so any summation order gives the reference's bits. */
static void check_exact(const char *spec, struct shape4 in, const char *variant)
{
    struct gen_env env = gen_check_env();
    struct gen_case c;
    struct gen_kernel k;
    char err[ERR_MAX], full[256];
    struct rng r;
    conv_spec(full, sizeof full, spec, in);
    gen_case_setup(&c, full, 77);
    float *const *w = c.ws.ptr;
    rng_seed(&r, 77);
    for (int64_t i = 0; i < weight_numel(&c.ws.wl.w[0]); i++)
        w[0][i] = (float)((int)(rng_next(&r) % 7) - 3);
    for (int ch = 0; ch < c.inst.out.c; ch++) {
        w[1][ch] = 1.0f;
        w[2][ch] = w[3][ch] = 0.0f;
        w[4][ch] = 1.0f;
    }
    for (int64_t i = 0; i < c.nx; i++)
        c.x[i] = (float)((int)(rng_next(&r) % 9) - 4);
    gen_case_reference(&c);
    cr_assert_eq(gen_build(&env, &c.inst.args, in, variant, &k, err, sizeof err), GEN_OK, "%s", err);
    for (int nthreads = 1; nthreads <= 2; nthreads++) {
        float *y = gen_case_run(&c, &k, nthreads);
        int64_t bad = 0;
        for (int64_t i = 0; i < c.ny; i++)
            bad += y[i] != c.y_ref[i];
        cr_expect_eq(bad, 0, "%s %s t%d: %lld of %lld outputs differ", spec, variant, nthreads,
                     (long long)bad, (long long)c.ny);
        buf_free(y, c.ny);
    }
    gen_unload(&k);
    gen_case_free(&c);
}

Test(gen_conv_exact, k3_s2) { check_exact("c1=16 c2=24 k=3 s=2 act=0 bn_eps=0", SHAPE(2, 16, 13, 11), "gemm"); }
Test(gen_conv_exact, k1) { check_exact("c1=32 c2=16 k=1 s=1 act=0 bn_eps=0", SHAPE(1, 32, 9, 9), "gemm"); }
Test(gen_conv_exact, focus) { check_exact("c1=3 c2=16 k=6 s=2 p=2 act=0 bn_eps=0", SHAPE(2, 3, 14, 10), "gemm"); }
Test(gen_conv_exact, direct) { check_exact("c1=8 c2=8 k=3 s=1 g=2 act=0 bn_eps=0", SHAPE(1, 8, 9, 9), "direct"); }

/* ------------------------------------------------------------ harness */

Test(gen, variants)
{
    struct gen_env env = gen_check_env();
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], err[ERR_MAX];
    int n = gen_variants(&env, &op_conv, names, GEN_VARIANTS_MAX, err, sizeof err);
    cr_assert_geq(n, 1, "%s", err);
    cr_expect_str_eq(names[0], "gemm");
}

Test(gen, unknown_variant)
{
    struct gen_env env = gen_check_env();
    struct args a = conv_args("c1=4 c2=4 k=3");
    struct gen_kernel k;
    char err[ERR_MAX];
    cr_assert_eq(gen_build(&env, &a, SHAPE(1, 4, 8, 8), "nope", &k, err, sizeof err),
                 GEN_ERR_RENDER);
    cr_expect(strstr(err, "unknown variant 'nope'") != NULL, "%s", err);
}

Test(gen, cache_hit)
{
    struct gen_env env = gen_check_env();
    struct args a = conv_args("c1=4 c2=8 k=3 s=1 d=3");
    struct gen_kernel k1, k2;
    char err[ERR_MAX];
    cr_assert_eq(gen_build(&env, &a, SHAPE(1, 4, 10, 10), "gemm", &k1, err, sizeof err), GEN_OK,
                 "%s", err);
    cr_assert_eq(gen_build(&env, &a, SHAPE(1, 4, 10, 10), "gemm", &k2, err, sizeof err), GEN_OK,
                 "%s", err);
    cr_expect_eq(k2.compile_s, 0.0);
    cr_expect_str_eq(k1.so_path, k2.so_path);
    cr_expect(access(k1.src_path, R_OK) == 0, "%s missing", k1.src_path);
    gen_unload(&k1);
    gen_unload(&k2);
}

/* Kernels are built against the precompiled system headers (gen_cc.c):
 * the .gch is there and the compiler took it (-Winvalid-pch would say in
 * the kernel's log why not, e.g. flags that no longer match). */
Test(gen, precompiled_header_used)
{
    struct gen_env env = gen_check_env();
    struct args a = conv_args("c1=4 c2=8 k=3 s=1 d=2");
    struct gen_kernel k;
    char err[ERR_MAX], pattern[GEN_PATH_MAX + 64], log[4096] = "";
    cr_assert_eq(gen_build(&env, &a, SHAPE(1, 4, 9, 9), "gemm", &k, err, sizeof err), GEN_OK,
                 "%s", err);
    snprintf(pattern, sizeof pattern, "%s/gen/pch-*/ablate_sys.h.gch", env.build);
    glob_t gl;
    cr_expect_eq(glob(pattern, 0, NULL, &gl), 0, "no %s", pattern);
    globfree(&gl);
    FILE *f = fopen(k.log_path, "r");
    cr_assert(f, "no compile log %s", k.log_path);
    size_t got = fread(log, 1, sizeof log - 1, f);
    log[got] = 0;
    fclose(f);
    cr_expect(strstr(log, "pch") == NULL, "%s: %s", k.log_path, log);
    gen_unload(&k);
}

Test(gen_fault, compile_error)
{
    struct gen_env env = gen_check_env();
    struct args a = conv_args("c1=4 c2=4 k=3");
    struct gen_kernel k;
    char err[ERR_MAX];
    cr_assert_eq(gen_build(&env, &a, SHAPE(1, 4, 8, 8), "fault:compile", &k, err, sizeof err),
                 GEN_ERR_COMPILE);
    cr_expect(strncmp(err, "compile error in build/gen/", 27) == 0, "%s", err);
    cr_expect(strstr(err, "error") != NULL, "%s", err);
}

/* Loads a fault kernel and runs it in a child; returns the child's pid. */
static pid_t spawn_fault(const char *variant, struct gen_kernel *k)
{
    struct gen_env env = gen_check_env();
    struct args a = conv_args("c1=4 c2=4 k=3");
    char err[ERR_MAX];
    cr_assert_eq(gen_build(&env, &a, SHAPE(1, 4, 8, 8), variant, k, err, sizeof err), GEN_OK,
                 "%s", err);
    float x[256] = {0}, y[256];
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        k->forward(NULL, x, y, NULL, 1);
        _exit(0);
    }
    return pid;
}

Test(gen_fault, crash)
{
    struct gen_kernel k;
    pid_t pid = spawn_fault("fault:crash", &k);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "status %d", st);
    gen_unload(&k);
}

Test(gen_fault, hang)
{
    struct gen_kernel k;
    pid_t pid = spawn_fault("fault:hang", &k);
    int st;
    struct timespec pause = {0, 300 * 1000 * 1000};
    nanosleep(&pause, NULL);
    cr_expect_eq(waitpid(pid, &st, WNOHANG), 0, "the hanging kernel returned");
    cr_assert_eq(kill(pid, SIGKILL), 0);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    gen_unload(&k);
}

/* ------------------------------------------------------------ template */

/* Renders text with gen/template.lua; returns the Lua result or error. */
static void render_lua(const char *text, char *out, size_t len, int *ok)
{
    struct gen_env env = gen_check_env();
    lua_State *L = luaL_newstate();
    cr_assert_not_null(L);
    luaL_openlibs(L);
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/gen/?.lua", env.root);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    const char *chunk = "local T = require 'template'\n"
                        "return T.render_string(..., { N = 3, name = 'conv' }, 'x.c.in')";
    cr_assert_eq(luaL_loadstring(L, chunk), LUA_OK);
    lua_pushstring(L, text);
    *ok = lua_pcall(L, 1, 1, 0) == LUA_OK;
    snprintf(out, len, "%s", lua_tostring(L, -1));
    lua_close(L);
}

Test(template, syntax)
{
    char out[512];
    int ok;
    render_lua("/* $(name) $$x */\n% for i = 1, N do\nint a$(i) = $(i * 2);\n% end\nend",
               out, sizeof out, &ok);
    cr_assert(ok, "%s", out);
    cr_expect_str_eq(out, "/* conv $x */\nint a1 = 2;\nint a2 = 4;\nint a3 = 6;\nend");
}

Test(template, errors_name_template_line)
{
    char out[512];
    int ok;
    render_lua("line 1\nline 2 $(missing)\n", out, sizeof out, &ok);
    cr_expect(!ok && strcmp(out, "x.c.in:2: $(missing) is nil") == 0, "%s", out);
    render_lua("a\nb\n% if N then\nc\n", out, sizeof out, &ok);
    cr_expect(!ok && strncmp(out, "x.c.in:4: 'end' expected", 23) == 0, "%s", out);
    render_lua("a\n\n\nd $(N + nil)\n", out, sizeof out, &ok);
    cr_expect(!ok && strncmp(out, "x.c.in:4:", 9) == 0, "%s", out);
}
