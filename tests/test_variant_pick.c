/* Per-layer variant choice by timing (harness/variant_pick.c): which
 * generators ask for it, that the kept kernel is the fastest one timed and
 * computes the layer, and that `ablate model --bench` says what it chose.
 * The times themselves are not checked (a shared machine). */
#include "gen_check.h"
#include "ops.h"
#include "test_util.h"
#include "variant_pick.h"

Test(variant_pick, akconv_generator_asks_conv_does_not)
{
    struct gen_env env = gen_check_env();
    cr_expect_eq(gen_pick_by_timing(&env, op_find("AKConv")), 1);
    cr_expect_eq(gen_pick_by_timing(&env, op_find("Conv")), 0);
}

Test(variant_pick, keeps_the_fastest_and_it_computes_the_layer, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    struct gen_case c;
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], err[ERR_MAX];
    gen_case_setup(&c, "AKConv inc=8 outc=16 num_param=5 stride=2 h=12 w=10", 77);
    gen_case_reference(&c);
    int n = gen_variants(&env, c.inst.op, names, GEN_VARIANTS_MAX, err, sizeof err);
    cr_assert_eq(n, 3, "%s", err);
    float *y = buf_alloc(c.ny);
    cr_assert_not_null(y);
    struct gen_kernel k;
    struct variant_pick p;
    cr_assert_eq(variant_pick(&env, &c.inst, (const float *const *)c.ws.ptr, c.x, y, 2, names, n, NULL,
                              &k, &p, err, sizeof err),
                 0, "%s", err);
    cr_expect_eq(p.n, 3);
    cr_expect_eq(p.cached, 0);
    for (int v = 0; v < p.n; v++) {
        cr_expect_str_eq(p.names[v], names[v]);
        cr_expect(p.ms[v] > 0 && p.ms[p.chosen] <= p.ms[v], "%s %.4f ms, kept %s %.4f ms", p.names[v],
                  p.ms[v], p.names[p.chosen], p.ms[p.chosen]);
    }
    cr_expect_str_eq(k.info->variant, p.names[p.chosen]);
    float *out = gen_case_run(&c, &k, 2);
    struct parity par;
    parity_compare(out, c.y_ref, c.ny, &par);
    cr_expect(par.n_nonfinite == 0 && par.nmse < c.inst.op->tol_nmse, "nmse %.3g", par.nmse);
    buf_free(out, c.ny), buf_free(y, c.ny);
    gen_unload(&k);
    gen_case_free(&c);
}

/* One variant_pick of the AKConv case with `threads` threads and cache
 * file `cache`; the kept kernel is unloaded. */
static struct variant_pick pick_once(const struct gen_env *env, struct gen_case *c, const char *cache,
                                     int threads)
{
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], err[ERR_MAX];
    int n = gen_variants(env, c->inst.op, names, GEN_VARIANTS_MAX, err, sizeof err);
    cr_assert_eq(n, 3, "%s", err);
    float *y = buf_alloc(c->ny);
    cr_assert_not_null(y);
    struct gen_kernel k;
    struct variant_pick p;
    cr_assert_eq(variant_pick(env, &c->inst, (const float *const *)c->ws.ptr, c->x, y, threads, names,
                              n, cache, &k, &p, err, sizeof err),
                 0, "%s", err);
    cr_expect_str_eq(k.info->variant, p.names[p.chosen]);
    buf_free(y, c->ny);
    gen_unload(&k);
    return p;
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int lines = 0;
    for (int ch; f && (ch = fgetc(f)) != EOF;)
        lines += ch == '\n';
    if (f)
        fclose(f);
    return lines;
}

/* The cache: a first pick times and stores one line; the same key (shape,
 * kernels, threads, machine) takes that choice and its times without
 * timing; another thread count is another key; a line whose choice is not
 * among the variants is ignored (timed afresh). */
Test(variant_pick, cache_keeps_the_choice_per_key, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    struct gen_case c;
    char dir[64], cache[128];
    temp_dir(dir, sizeof dir);
    snprintf(cache, sizeof cache, "%s/picks.txt", dir);
    gen_case_setup(&c, "AKConv inc=8 outc=16 num_param=3 stride=2 h=12 w=10", 78);
    struct variant_pick first = pick_once(&env, &c, cache, 2);
    cr_expect_eq(first.cached, 0);
    cr_expect_eq(count_lines(cache), 1);
    struct variant_pick again = pick_once(&env, &c, cache, 2);
    cr_expect_eq(again.cached, 1);
    cr_expect_eq(again.chosen, first.chosen);
    for (int v = 0; v < 3; v++)
        cr_expect(fabs(again.ms[v] - first.ms[v]) < 1e-4, "%s: %.4f vs %.4f ms", again.names[v],
                  again.ms[v], first.ms[v]);
    cr_expect_eq(count_lines(cache), 1);
    struct variant_pick one = pick_once(&env, &c, cache, 1);
    cr_expect_eq(one.cached, 0);
    cr_expect_eq(count_lines(cache), 2);
    /* the 1-thread line rewritten with an unknown variant: timed again */
    char text[4096] = "";
    slurp(cache, text, sizeof text);
    char *second = strchr(text, '\n') + 1, *chosen = strstr(second, " chosen=");
    cr_assert_not_null(chosen);
    memcpy(chosen + 8, "zzzz", 4);
    write_file(cache, text);
    cr_expect_eq(pick_once(&env, &c, cache, 1).cached, 0);
    cr_expect_eq(pick_once(&env, &c, cache, 1).cached, 1);
    gen_case_free(&c);
    remove_dir(dir);
}

/* The line of `ablate model --bench` output `out` about AKConv layer
 * `layer`, or NULL. */
static const char *pick_line(const char *out, int layer)
{
    char want[64];
    snprintf(want, sizeof want, "\nlayer %d AKConv: variant ", layer);
    return strstr(out, want);
}

/* A two-AKConv backbone: each AKConv layer's choice is printed, the
 * Conv (whose generator does not ask) is not; a second run takes the
 * choices from the build folder's cache and says so. */
Test(variant_pick, model_bench_prints_each_choice, .timeout = 300)
{
    char dir[64], yaml[128], args[256];
    temp_dir(dir, sizeof dir);
    snprintf(yaml, sizeof yaml, "%s/akc.yaml", dir);
    write_file(yaml, "nc: 2\nscales:\n  t: [0.33, 0.125, 1024]\nbackbone:\n"
                     "  - [-1, 1, Conv, [64, 3, 2]]\n  - [-1, 1, AKConv, [128, 3, 2]]\n"
                     "  - [-1, 1, AKConv, [256, 5, 2]]\nhead: []\n");
    snprintf(args, sizeof args, "model %s --imgsz 32 --bench --quick", yaml);
    struct run_out r;
    run_ablate(&r, args);
    cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
    for (int layer = 1; layer <= 2; layer++) {
        const char *at = pick_line(r.out, layer);
        cr_expect(at && (strstr(at, " chosen by timing (direct ") ||
                         strstr(at, "/gen/variant_picks.txt (timed then: direct ")) &&
                      strstr(at, " ms, gemm ") && strstr(at, " ms, fused "),
                  "%s", r.out);
    }
    cr_expect(strstr(r.out, "\nlayer 0 Conv: variant") == NULL, "%s", r.out);
    cr_expect(strstr(r.out, "generated graph vs reference graph: max_abs=") != NULL, "%s", r.out);
    run_ablate(&r, args);
    cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
    for (int layer = 1; layer <= 2; layer++) {
        const char *at = pick_line(r.out, layer);
        cr_expect(at && strstr(at, ", cached choice from ") &&
                      strstr(at, "/gen/variant_picks.txt (timed then: direct "),
                  "second run: %s", r.out);
    }
    remove_dir(dir);
}
