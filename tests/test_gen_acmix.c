/* tests/test_gen_acmix.c — the generated ACmix kernels (gen/acmix.lua,
 * variants auto, fold, split) against the scalar reference
 * op_acmix.forward_ref (kernels/acmix.c, MODULES.md 5.2).
 *
 * Every case: random weights (op_acmix.init INIT_RANDOM: dep_conv and the
 * rates random too), input N(0,1), output and workspace poisoned with NaN
 * before the call, batch 2 unless a case says 1, and the same kernel run
 * with 1 and 2 threads.
 * Tolerance: the op row's tol_nmse (float32 sgemm and exp vs the double
 * reference; see its tol_reason), and the per-element bound of MODULES.md
 * 0.2. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"
#include "gen_check.h"
#include "ops.h"
#include "rng.h"

void openblas_set_num_threads(int n);

struct acm_case {
    int cin, c, ka, head, stride, h, w;
    int batch;
};

struct acm_data {
    struct args a;
    struct shape4 in, out;
    struct weight_list wl;
    float *w[WEIGHTS_MAX];
    float *x, *y_ref;
    int64_t nx, ny;
};

static int64_t numel(struct shape4 s) { return (int64_t)s.n * s.c * s.h * s.w; }

static struct args acm_args(const struct acm_case *c)
{
    struct args a;
    char err[ERR_MAX], v[32];
    const char *keys[] = {"in_planes", "out_planes", "kernel_att", "head", "stride"};
    int vals[] = {c->cin, c->c, c->ka, c->head, c->stride};
    args_defaults(&op_acmix, &a);
    for (int i = 0; i < 5; i++) {
        snprintf(v, sizeof v, "%d", vals[i]);
        cr_assert_eq(args_set(&a, keys[i], v, err, sizeof err), 0, "%s", err);
    }
    cr_assert_eq(args_complete(&a, err, sizeof err), 0, "%s", err);
    return a;
}

/* xscale: the input's standard deviation */
static void acm_setup(struct acm_data *d, const struct acm_case *c, uint64_t seed, float xscale)
{
    char err[ERR_MAX];
    struct rng r;
    memset(d, 0, sizeof *d);
    d->a = acm_args(c);
    d->in = (struct shape4){c->batch, c->cin, c->h, c->w};
    cr_assert_eq(op_acmix.validate(&d->a, d->in, err, sizeof err), 0, "%s", err);
    d->out = op_acmix.out_shape(&d->a, d->in);
    op_acmix.weights(&d->a, &d->wl);
    for (int i = 0; i < d->wl.n; i++)
        cr_assert_not_null(d->w[i] = malloc(sizeof(float) * weight_numel(&d->wl.w[i])));
    d->nx = numel(d->in);
    d->ny = numel(d->out);
    cr_assert_not_null(d->x = malloc(sizeof(float) * d->nx));
    cr_assert_not_null(d->y_ref = malloc(sizeof(float) * d->ny));
    rng_seed(&r, seed);
    op_acmix.init(&d->a, INIT_RANDOM, &r, d->w);
    for (int64_t i = 0; i < d->nx; i++)
        d->x[i] = rng_normal(&r) * xscale;
    op_acmix.forward_ref(&d->a, d->in, (const float *const *)d->w, d->x, d->y_ref);
}

static void acm_free(struct acm_data *d)
{
    for (int i = 0; i < d->wl.n; i++)
        free(d->w[i]);
    free(d->x);
    free(d->y_ref);
}

/* Runs k on d into a NaN-poisoned y (and workspace); caller frees y. */
static float *acm_run(const struct gen_kernel *k, const struct acm_data *d, int nthreads)
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

/* The kernel of case c with 1 .. max_threads threads against the
 * reference, the input of standard deviation xscale. */
static void check_scaled(const struct gen_env *env, const char *variant, const struct acm_case *c,
                         uint64_t seed, int max_threads, float xscale)
{
    struct acm_data d;
    struct gen_kernel k;
    char err[ERR_MAX], desc[160];
    snprintf(desc, sizeof desc, "%s: in=%d out=%d ka=%d head=%d s=%d 2x%dx%dx%d", variant, c->cin,
             c->c, c->ka, c->head, c->stride, c->cin, c->h, c->w);
    acm_setup(&d, c, seed, xscale);
    cr_assert_eq(gen_build(env, &d.a, d.in, variant, &k, err, sizeof err), GEN_OK, "%s: %s", desc,
                 err);
    cr_assert_str_eq(k.info->variant, variant);
    for (int nthreads = 1; nthreads <= max_threads; nthreads++) {
        float *y = acm_run(&k, &d, nthreads);
        double se = 0, sr = 0, max_rel = 0;
        int64_t bad = 0;
        for (int64_t i = 0; i < d.ny; i++) {
            bad += !isfinite(y[i]);
            double diff = (double)y[i] - d.y_ref[i];
            se += diff * diff;
            sr += (double)d.y_ref[i] * d.y_ref[i];
            double rel = fabs(diff) / (1 + fabs(d.y_ref[i]));
            max_rel = rel > max_rel ? rel : max_rel;
        }
        double nmse = se / (sr > 0 ? sr : 1);
        cr_expect_eq(bad, 0, "%s, %d threads: %lld outputs not finite (never written?)", desc,
                     nthreads, (long long)bad);
        cr_expect(nmse < op_acmix.tol_nmse, "%s, %d threads: NMSE %.3g", desc, nthreads, nmse);
        cr_expect(max_rel < 1e-4, "%s, %d threads: max_rel %.3g", desc, nthreads, max_rel);
        free(y);
    }
    gen_unload(&k);
    acm_free(&d);
}

static void check_threads(const struct gen_env *env, const char *variant, const struct acm_case *c,
                          uint64_t seed, int max_threads)
{
    check_scaled(env, variant, c, seed, max_threads, 1.0f);
}

static void check_case(const struct gen_env *env, const char *variant, const struct acm_case *c,
                       uint64_t seed)
{
    check_threads(env, variant, c, seed, 2);
}

/* kernel_att 3..11, head 1..8, stride 1 and 2, odd sizes and H != W, maps
 * barely wider than the reflection padding, channel counts that are not
 * multiples of the 16-column chunks.  All run the schedule by bands
 * (3C <= HW, gen/acmix.lua bands_pay); PLANES_CASES below the other one.
 * Cases 0-8 are the goldens' shapes and batch (tests/goldens/acmix_*:
 * case i is file 0 4 8 1 5 6 2 7 3 in glob order) with the variant
 * goldens/acmix runs on that file (file f: variant f mod 3, in the order
 * auto fold split), so they share its kernel (the
 * cache key is the source): the same code against the scalar reference
 * with random weights and rates as well as against PyTorch's numbers.
 * Cases 9-11 (batch 2, head 8, kernel_att 9 and 11) run the variant auto
 * chooses there.  Every variant on several cases: fold at kernel_att 3, 5
 * and 7, split at 3 to 11, auto (fold's code, head 1) at 3, 5 and 7; each
 * at stride 1 and 2.  Building every case as fold and as split cost 24
 * kernels (~2-3 CPU-s each); this sweep adds 3. */
static const struct acm_case CASES[] = {
    {4, 6, 3, 1, 1, 7, 9, 1},   {5, 8, 5, 2, 1, 9, 8, 1},    {6, 8, 7, 4, 1, 10, 12, 1},
    {4, 6, 3, 2, 2, 8, 10, 1},  {3, 8, 5, 4, 2, 8, 12, 2},   {5, 4, 7, 1, 2, 10, 8, 1},
    {3, 8, 3, 4, 1, 6, 5, 2},   {4, 4, 7, 2, 1, 4, 9, 1},    {3, 5, 5, 1, 1, 3, 11, 1},
    {8, 16, 9, 8, 1, 11, 19, 2}, {7, 16, 11, 8, 2, 12, 18, 2}, {16, 24, 7, 3, 1, 17, 21, 2},
};
static const char *const CASE_VARIANT[] = {"auto", "fold",  "split", "fold",  "split", "auto",
                                           "split", "fold", "auto",  "split", "split", "fold"};

/* The cases of CASES that run variant. */
static void sweep(const char *variant)
{
    struct gen_env env = gen_check_env();
    int n = 0;
    openblas_set_num_threads(1);
    for (int i = 0; i < (int)(sizeof CASES / sizeof CASES[0]); i++)
        if (strcmp(CASE_VARIANT[i], variant) == 0) {
            check_case(&env, variant, &CASES[i], 500 + (uint64_t)i);
            n++;
        }
    cr_expect_geq(n, 3, "%s: %d sweep cases", variant, n);
}

/* src with every "auto" (the variant's name; the templates hold no other)
 * replaced by name; caller frees. */
static char *renamed_auto(const char *src, const char *name)
{
    size_t n = 0, len = strlen(name);
    for (const char *p = strstr(src, "auto"); p; p = strstr(p + 4, "auto"))
        n++;
    char *out = malloc(strlen(src) + n * len + 1), *o = out;
    cr_assert_not_null(out);
    const char *p = src;
    for (const char *q; (q = strstr(p, "auto")) != NULL; p = q + 4) {
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, name, len);
        o += len;
    }
    strcpy(o, p);
    return out;
}

/* auto is fold or split, chosen per shape (gen/acmix.lua fold_pays): its
 * source is, but for its name, the text of the variant it chose (on every
 * case of CASES; the sweeps below run each case as one variant). */
Test(gen_acmix, auto_variant)
{
    struct gen_env env = gen_check_env();
    char err[ERR_MAX];
    int chose[2] = {0, 0};
    for (int i = 0; i < (int)(sizeof CASES / sizeof CASES[0]); i++) {
        struct args a = acm_args(&CASES[i]);
        struct shape4 in = {CASES[i].batch, CASES[i].cin, CASES[i].h, CASES[i].w};
        char *src[3];
        const char *names[3] = {"auto", "fold", "split"};
        for (int v = 0; v < 3; v++)
            cr_assert_not_null(src[v] = gen_render_script(&env, "acmix", &a, in, names[v], err,
                                                          sizeof err), "%s", err);
        int fold = strstr(src[0], "FOLD = 1,") != NULL;
        char *as = renamed_auto(src[0], names[fold ? 1 : 2]);
        cr_expect_str_eq(as, src[fold ? 1 : 2], "case %d: auto is not %s's text", i,
                         names[fold ? 1 : 2]);
        chose[fold]++;
        free(as);
        for (int v = 0; v < 3; v++)
            free(src[v]);
    }
    cr_expect(chose[0] > 0 && chose[1] > 0, "auto chose split %d times, fold %d times", chose[0],
              chose[1]);
}

Test(gen_acmix, fold_variant, .timeout = 120) { sweep("fold"); }
Test(gen_acmix, split_variant, .timeout = 120) { sweep("split"); }
Test(gen_acmix, auto_sweep, .timeout = 120) { sweep("auto"); }

/* More projection rows than pixels (3C > HW): the schedule by planes, at
 * batch 2 (projection blocks by pixel tiles), stride 1 and 2, split (auto
 * is fold or split: auto_variant; fold by planes at batch 2, stride 1 and
 * 2, in group_parts, which has split at batch 1 only); weight_row_blocks
 * below has its batch-1 weight-row split. */
Test(gen_acmix, planes_variants, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    openblas_set_num_threads(1);
    const struct acm_case c[] = {{16, 24, 5, 4, 1, 7, 9, 2}, {12, 16, 3, 2, 2, 6, 6, 2}};
    for (int i = 0; i < 2; i++)
        check_case(&env, "split", &c[i], 960 + (uint64_t)i);
}

/* A YOLOv8n-like layer, scaled down: 32 channels at 24x24 (several
 * projection tiles, chunks of 16 columns with a tail). */
Test(gen_acmix, realistic, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    const struct acm_case c[] = {{32, 32, 7, 4, 1, 24, 24, 2}, {32, 32, 7, 4, 2, 24, 20, 2}};
    for (int i = 0; i < 2; i++)
        check_case(&env, "auto", &c[i], 900 + (uint64_t)i);
}

/* Batch 1 with more projection rows (3C) than pixels: the projection sgemm
 * is split by weight rows, not pixels (gen/acmix.lua tile_plan), as at
 * YOLOv8n's 256 @ 20x20; 3C = 72 rows in two blocks of 48 and 24, both
 * thread counts, stride 1 and 2. */
Test(gen_acmix, weight_row_blocks, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    const struct acm_case c[] = {{16, 24, 5, 4, 1, 6, 7, 1}, {16, 24, 3, 2, 2, 6, 8, 1}};
    for (int i = 0; i < 2; i++)
        check_case(&env, "auto", &c[i], 950 + (uint64_t)i);
}

/* The schedule by bands with more threads than two and than output rows:
 * uneven bands, bands of one row and empty ones, the reflected rows of the
 * top and bottom padding projected by another thread's band (HO 4 with
 * PAD 3), stride 2 with odd HO, batch 1 and 2, 1 to 5 threads. */
Test(gen_acmix, bands_many_threads, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    const struct acm_case c[] = {
        {4, 6, 7, 2, 1, 4, 9, 2}, {3, 4, 5, 1, 2, 10, 12, 1}, {8, 8, 3, 4, 1, 7, 16, 2}};
    for (int i = 0; i < 3; i++)
        check_threads(&env, "auto", &c[i], 930 + (uint64_t)i, 5);
}

/* Case C rendered as VARIANT holds each of the strings WANT[0 .. n - 1]
 * (what the generator chose: schedule, tile rows, fold, chunk width);
 * case number i in the messages. */
static void expect_rendered(const struct gen_env *env, const struct acm_case *c,
                            const char *variant, const char *const *want, int n, int i)
{
    char err[ERR_MAX];
    struct args a = acm_args(c);
    struct shape4 in = {c->batch, c->cin, c->h, c->w};
    char *src = gen_render_script(env, "acmix", &a, in, variant, err, sizeof err);
    cr_assert_not_null(src, "%s", err);
    for (int k = 0; k < n; k++)
        cr_expect_not_null(strstr(src, want[k]),
                           "case %d (%d channels, head %d, stride %d, WO %d): no \"%s\"", i, c->c,
                           c->head, c->stride, c->w, want[k]);
    free(src);
}

/* Case C (number i) renders VARIANT by bands, 3 input rows per projection
 * tile: the schedule the two band tests below are about. */
static void expect_bands_of_3_rows(const struct gen_env *env, const struct acm_case *c,
                                   const char *variant, int i)
{
    static const char *const want[] = {"TILE_ROWS = 3,", "BANDS = 1,"};
    expect_rendered(env, c, variant, want, 2, i);
}

/* By bands, each projection tile of TILE_ROWS input rows goes through the
 * thread's scratch tile into q and the padded k, v planes: 256 channels at
 * width 64 give TILE_ROWS = 3 (gen/acmix.lua tile_rows), so a band has
 * several tiles, a short last one, and tiles whose rows are reflected into
 * the top and bottom padding; stride 1 and 2, batch 1 and 2, 1 to 3
 * threads, both conv-branch variants (split reads k, v from the padded
 * planes row by row). */
Test(gen_acmix, tiles_in_band, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    const struct acm_case c[] = {{8, 256, 7, 4, 1, 16, 64, 1}, {8, 256, 5, 8, 2, 16, 64, 2}};
    const char *variants[] = {"fold", "split"};
    for (int i = 0; i < 2; i++) {
        expect_bands_of_3_rows(&env, &c[i], variants[i], i);
        check_threads(&env, variants[i], &c[i], 940 + (uint64_t)i, 3);
    }
}

/* Whether the kernels build with the direct projection (acmix_gemm.c.in
 * PROJ_DIRECT): AVX-512, or AVX2 + FMA (-march=native on any x86-64-v3
 * CPU, or ABLATE_GEN_MARCH=x86-64-v3).  Its sums run in one fixed order,
 * so every output is the same bits at any thread count.  Through OpenBLAS
 * sgemm tiles (the AVX2 build before 2026-12-08) the FMA kernels (Haswell,
 * Zen) rounded a pixel differently with the tile's width, which the bands
 * move with the thread count (seen on a Zen 3, 2026-12-08: 1 ulp here and
 * there); a build without FMA would still take them, checked against the
 * reference only. */
static int projects_direct(void)
{
    return __builtin_cpu_supports("avx512f") ||
           (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
}

/* Whether the kernels build for this CPU's AVX-512 (no ABLATE_GEN_MARCH). */
static int builds_avx512(void)
{
    const char *march = getenv("ABLATE_GEN_MARCH");
    return __builtin_cpu_supports("avx512f") && !(march && *march);
}

/* The kernel of case c (case number i) at 2, 3 and 4 threads gives its
 * 1-thread output bit for bit. */
static void expect_same_bits_2_to_4_threads(const struct gen_env *env, const char *variant,
                                            const struct acm_case *c, uint64_t seed, int i)
{
    struct acm_data d;
    struct gen_kernel k;
    char err[ERR_MAX];
    acm_setup(&d, c, seed, 1.0f);
    cr_assert_eq(gen_build(env, &d.a, d.in, variant, &k, err, sizeof err), GEN_OK, "%s", err);
    float *y1 = acm_run(&k, &d, 1);
    for (int nthreads = 2; nthreads <= 4; nthreads++) {
        float *y = acm_run(&k, &d, nthreads);
        cr_expect_eq(memcmp(y, y1, sizeof(float) * (size_t)d.ny), 0,
                     "case %d, %d threads: not the 1-thread output bit for bit", i, nthreads);
        free(y);
    }
    free(y1);
    gen_unload(&k);
    acm_free(&d);
}

/* Case c (number i) rendered as VARIANT holds WANT[0 .. n - 1], matches
 * the reference at 1 to 4 threads and, where the projection is direct
 * (projects_direct: AVX-512 or AVX2 + FMA), gives the 1-thread output bit
 * for bit at 2 to 4 threads. */
static void check_rendered_case(const struct gen_env *env, const char *variant, const struct acm_case *c,
                                uint64_t seed, const char *const *want, int n, int i)
{
    expect_rendered(env, c, variant, want, n, i);
    check_threads(env, variant, c, seed, 4);
    if (projects_direct())
        expect_same_bits_2_to_4_threads(env, variant, c, seed, i);
}

/* By bands each image's band is a stream (acmix_gemm.c.in stream_band):
 * a projection tile of TILE_ROWS input rows, then the conv branch and the
 * attention of the output rows whose windows that completes (the rows of
 * other bands they read waited for: bands_without_barrier).  kernel_att 11 and 9
 * (HALO 5 and 4) with TILE_ROWS 3 (256 channels at width 64): each output
 * row waits on rows one or two tiles further down, stripes that are no
 * multiple of the pass's two rows, stride 2, batch 2, bands shorter than
 * the halo at 4 threads.  Against the reference with 1 to 4 threads, and,
 * where the projection is direct (projects_direct), bit for bit the
 * 1-thread output: every row's windows, passes and sums are the same
 * whichever band and stripe computes it. */
Test(gen_acmix, stream_in_band, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    openblas_set_num_threads(1);
    const struct acm_case c[] = {{8, 256, 11, 4, 1, 24, 64, 1}, {8, 256, 9, 8, 2, 22, 64, 2},
                                 {8, 256, 11, 2, 1, 13, 64, 1}};
    const char *variants[] = {"split", "fold", "auto"};
    for (int i = 0; i < 3; i++) {
        expect_bands_of_3_rows(&env, &c[i], variants[i], i);
        check_threads(&env, variants[i], &c[i], 1000 + (uint64_t)i, 4);
        if (projects_direct())
            expect_same_bits_2_to_4_threads(&env, variants[i], &c[i], 1000 + (uint64_t)i, i);
    }
}

/* Kernel k on case d: one NaN-poisoned workspace for calls at 5, 2, 3, 4
 * and 2 threads in turn (what a call leaves in it, counts or halo rows,
 * must not reach the next), every output finite and, where same_bits, bit
 * for bit the 1-thread one; what names the case in the messages. */
static void check_calls_in_turn(const struct gen_kernel *k, const struct acm_data *d,
                                int same_bits, const char *what)
{
    static const int threads[] = {5, 2, 3, 4, 2};
    float *y1 = acm_run(k, d, 1);
    const int64_t nws = k->info->workspace_floats * 5;
    float *ws = aligned_alloc(64, ((size_t)nws * sizeof(float) + 63) / 64 * 64 + 64);
    float *y = malloc(sizeof(float) * (size_t)d->ny);
    cr_assert(ws && y);
    for (int64_t j = 0; j < nws; j++)
        ws[j] = NAN;
    for (int r = 0; r < 5; r++) {
        for (int64_t j = 0; j < d->ny; j++)
            y[j] = NAN;
        k->forward((const float *const *)d->w, d->x, y, ws, threads[r]);
        int64_t bad = 0;
        for (int64_t j = 0; j < d->ny; j++)
            bad += !isfinite(y[j]);
        cr_expect_eq(bad, 0, "%s, call %d (%d threads): %lld outputs not finite", what, r,
                     threads[r], (long long)bad);
        if (same_bits)
            cr_expect_eq(memcmp(y, y1, sizeof(float) * (size_t)d->ny), 0,
                         "%s, call %d (%d threads): not the 1-thread output bit for bit", what, r,
                         threads[r]);
    }
    free(ws);
    free(y);
    free(y1);
}

/* Case c's VARIANT kernel (inputs drawn from seed) through
 * check_calls_in_turn. */
static void check_case_calls_in_turn(const struct gen_env *env, const struct acm_case *c,
                                     const char *variant, uint64_t seed, int same_bits,
                                     const char *what)
{
    struct acm_data d;
    struct gen_kernel k;
    char err[ERR_MAX];
    acm_setup(&d, c, seed, 1.0f);
    cr_assert_eq(gen_build(env, &d.a, d.in, variant, &k, err, sizeof err), GEN_OK, "%s", err);
    check_calls_in_turn(&k, &d, same_bits, what);
    gen_unload(&k);
    acm_free(&d);
}

/* By bands there is no barrier (acmix_gemm.c.in by_bands): each thread
 * publishes how many rows of its band it has projected and waits for the
 * other bands' counts before the rows whose windows reach into them; with
 * two threads band 0 streams upwards from the bands' common edge.  The
 * source renders no barrier and the up-stream; then one workspace for
 * calls at 5, 2, 3, 4 and 2 threads in turn (the counts of the call
 * before are left in it: each call must reset them, or a wait passes on
 * the last call's count), fold at stride 1 (every thread waits for the
 * other threads' rows of the folded weights) and split at stride 2 with
 * batch 2 (counts across images), TILE_ROWS 3 so the up-stream has
 * several tiles (tiles_in_band's shapes and kernels): each output finite
 * and, where the projection is direct (projects_direct), bit for bit the
 * 1-thread one. */
Test(gen_acmix, bands_without_barrier, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    openblas_set_num_threads(1);
    /* tiles_in_band's cases: the kernels built there */
    const struct acm_case c[] = {{8, 256, 7, 4, 1, 16, 64, 1}, {8, 256, 5, 8, 2, 16, 64, 2}};
    const char *variants[] = {"fold", "split"};
    char err[ERR_MAX];
    for (int i = 0; i < 2; i++) {
        static const char *const want[] = {"streams_up(tid, nt)", "wait_rows("};
        expect_bands_of_3_rows(&env, &c[i], variants[i], i);
        expect_rendered(&env, &c[i], variants[i], want, 2, i);
        struct args a = acm_args(&c[i]);
        struct shape4 in = {c[i].batch, c[i].cin, c[i].h, c[i].w};
        char *src = gen_render_script(&env, "acmix", &a, in, variants[i], err, sizeof err);
        cr_assert_not_null(src, "%s", err);
        cr_expect_null(strstr(src, "omp barrier"), "case %d: a barrier in the kernel", i);
        free(src);
        char what[64];
        snprintf(what, sizeof what, "case %d %s", i, variants[i]);
        check_case_calls_in_turn(&env, &c[i], variants[i], 1100 + (uint64_t)i, projects_direct(),
                                 what);
    }
}

/* By bands with planes of its own per thread (acmix_gemm.c.in OWN,
 * gen/acmix.lua own_pays: the halo at most 1/40 of the image's rows):
 * each thread projects its band's input rows and the HALO rows beyond
 * them into its own q and padded k, v planes, streams over them with no
 * progress counts, and waits only for the other threads' rows of the
 * folded weights (fold, unprepared).  The source renders OWN = 1 and
 * proj_rows_of; then one NaN-poisoned workspace for calls at 5, 2, 3, 4
 * and 2 threads in turn (the halo rows a band's own planes lack must never
 * be read), fold and split, stride 1 and 2, kernel_att 3 and 5 (HALO 1
 * and 2), batch 1 and 2, TILE_ROWS 7 and 17 (several tiles per band, in
 * both stream directions): each output bit for bit the 1-thread one where
 * the projection is direct (AVX-512, AVX2 + FMA; against the reference at
 * 1 to 4 threads everywhere); then the prepared path bit for bit forward.  It fails on
 * the template before this pass (no OWN). */
Test(gen_acmix, own_planes, .timeout = 300)
{
    struct gen_env env = gen_check_env();
    openblas_set_num_threads(1);
    const struct acm_case c[] = {{8, 64, 3, 4, 1, 40, 112, 2}, {8, 64, 3, 1, 2, 44, 112, 1},
                                 {8, 64, 5, 2, 1, 80, 48, 1}};
    const char *variants[] = {"split", "fold", "fold"};
    const int same_bits = projects_direct();
    for (int i = 0; i < 3; i++) {
        static const char *const want[] = {"OWN = 1,", "proj_rows_of(bd, &p0"};
        expect_rendered(&env, &c[i], variants[i], want, 2, i);
        check_threads(&env, variants[i], &c[i], 1700 + (uint64_t)i, 4);
        char what[32];
        snprintf(what, sizeof what, "case %d", i);
        check_case_calls_in_turn(&env, &c[i], variants[i], 1710 + (uint64_t)i, same_bits, what);
    }
    /* cases 1 and 0: the kernels built above */
    static const char *const specs[] = {
        "ACmix in_planes=8 out_planes=64 kernel_att=3 head=1 stride=2 h=44 w=112",
        "ACmix in_planes=8 out_planes=64 kernel_att=3 head=4 h=40 w=112 batch=2",
    };
    const char *pvariants[] = {"fold", "split"};
    for (int i = 0; i < 2; i++)
        gen_check_prepared_case(specs[i], 1750 + (uint64_t)i, pvariants[i], 1);
}

/* Where the CPU has AVX-512 the projection is a direct 1x1 conv
 * (acmix_gemm.c.in PROJ_DIRECT, ablate_acmix.h abl_acm_proj_block): 8
 * output rows x PROJ_NV vectors of 16 pixels in registers, stored straight
 * into q's planes and the padded k, v planes, which are then padded in
 * place; with AVX2 + FMA the same in halves of 4 rows x vectors of 8
 * pixels (abl_acm_proj_half; direct_projection_avx2 below).  The source
 * renders it (with the sgemm path kept for builds without FMA); then
 * against the reference and bit for bit the 1-thread output at 2 to 4
 * threads: by bands with vectors that cross one row end (W 20) and two
 * (W 11, 10), 3C no multiple of 8 (register blocks with zero rows), CIN >
 * 128 (two vectors per block), short last tiles; by planes (3C > HW) with
 * its two jobs of register blocks per image, batch 1 and 2, stride 2.
 * The bit-for-bit part only where the kernels take that path
 * (projects_direct): OpenBLAS's sgemm of a band's short tiles need not sum
 * in the order of the 1-thread call's tiles. */
Test(gen_acmix, direct_projection, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    openblas_set_num_threads(1);
    const struct acm_case c[] = {{136, 8, 3, 1, 1, 12, 20, 2}, {5, 6, 7, 2, 1, 9, 11, 1},
                                 {3, 10, 5, 2, 2, 8, 10, 2},   {160, 24, 5, 2, 1, 6, 10, 2},
                                 {9, 40, 3, 4, 1, 8, 12, 1},   {24, 64, 3, 1, 1, 12, 14, 1}};
    const char *variants[] = {"auto", "split", "fold", "auto", "split", "fold"};
    static const char *const want[] = {"abl_acm_proj_block(", "#define PROJ_DIRECT 1",
                                       "project_block(x, t"};
    for (int i = 0; i < 6; i++) {
        check_rendered_case(&env, variants[i], &c[i], 1200 + (uint64_t)i, want, 3, i);
    }
}

/* The direct projection of an AVX2 + FMA build (ABLATE_GEN_MARCH=
 * x86-64-v3: on an AVX-512 machine too; acmix_gemm.c.in PV 8,
 * ablate_acmix.h abl_acm_proj_half): vectors of 8 pixels that cross one
 * row end (W 12, 10, 20) and two (W 5: three pieces, vmaskmovps), W a
 * multiple of 8 (plain stores), 3C no multiple of 8, CIN > 170 (two
 * vectors per block on the 32 KiB L1's budget), by planes (3C > HW:
 * PART_JOBS, head 1 and 2) and by bands, stride 2, batch 2.
 * Against the reference at 1 to 4 threads and bit for bit the 1-thread
 * output at 2 to 4 threads.  Through OpenBLAS sgemm tiles (the AVX2
 * build before) the 2- to 4-thread outputs differed on the Zen 3 of
 * 2026-12-08 (a pixel's rounding moved with its tile's width). */
Test(gen_acmix, direct_projection_avx2, .timeout = 240)
{
    gen_check_build_avx2_only();
    struct gen_env env = gen_check_env();
    openblas_set_num_threads(1);
    const struct acm_case c[] = {{176, 64, 3, 1, 1, 6, 12, 2}, {12, 16, 3, 1, 1, 9, 5, 1},
                                 {24, 64, 5, 2, 1, 12, 10, 1}, {40, 16, 3, 2, 2, 8, 16, 2},
                                 {136, 8, 3, 1, 1, 12, 20, 1}, {8, 64, 7, 4, 1, 24, 16, 1}};
    const char *variants[] = {"auto", "split", "fold", "auto", "split", "fold"};
    static const char *const want[] = {"abl_acm_proj_half("};
    for (int i = 0; i < 6; i++) {
        expect_rendered(&env, &c[i], variants[i], want, 1, i);
        check_threads(&env, variants[i], &c[i], 1260 + (uint64_t)i, 4);
        expect_same_bits_2_to_4_threads(&env, variants[i], &c[i], 1260 + (uint64_t)i, i);
    }
}

/* Four output rows per attention pass where AVX-512 runs at full rate
 * (acmix_attention.c.in: a k or v load serves the rows lo .. hi whose
 * windows hold it, an inlined copy per range, the taps in blocks of XB):
 * heights that leave passes of 1, 2 and 3 rows (HO 13, 6, 7, 5, 9), every
 * row range, kernel_att below the pass (3), 5, 7 (taps 4 + 3), 9 (5 + 4)
 * and 11 (6 + 5), stride 2, chunks of 16 (WO 16) and 8, both schedules
 * (3C > HW: by planes; with head 1 and HO 9, 3 passes: at 2 and 4
 * threads the attention goes by bands of rows, attend_by_planes).  Against
 * the reference at 1 to 4 threads and,
 * where the projection is direct (AVX-512, AVX2 + FMA), each thread count's
 * output bit for bit the 1-thread one (bands start at multiples of the
 * pass, so the rows of a pass move with the thread count).  It fails on
 * the template before the four-row passes (no ACM_ROWS_SWITCH). */
Test(gen_acmix, four_row_passes, .timeout = 180)
{
    struct gen_env env = gen_check_env();
    openblas_set_num_threads(1);
    const struct acm_case c[] = {{4, 8, 11, 4, 1, 13, 16, 2}, {5, 8, 5, 1, 1, 6, 17, 1},
                                 {4, 8, 3, 2, 1, 7, 16, 2},   {6, 8, 7, 2, 2, 10, 34, 1},
                                 {3, 4, 9, 1, 2, 18, 20, 2},  {8, 48, 7, 4, 1, 9, 12, 1},
                                 {8, 48, 5, 1, 1, 9, 12, 1}};
    const char *variants[] = {"auto", "split", "fold", "auto", "split", "fold", "auto"};
    static const char *const want[] = {"ACM_ROWS_SWITCH(lo, hi, ACM_LOGITS)",
                                       "ACM_ROWS_SWITCH(lo, hi, ACM_VALUES)",
                                       "#define ROWS_PASS 4", "attend_by_planes("};
    for (int i = 0; i < 7; i++) {
        check_rendered_case(&env, variants[i], &c[i], 1300 + (uint64_t)i, want, 4, i);
    }
}

/* The Zen 4 / Zen 5 build on any AVX-512 CPU: the compiler with
 * -mtune=znver3 (what -march=native tunes on those AMD parts with gcc 12)
 * and ABLATE_AVX512_RATE=half (what the harness measures on Zen 4; Zen 5
 * and Intel measure full) takes the half-rate paths (ablate_gen.h
 * ABL_AVX512_FULL_RATE 0: chunks
 * of 8 columns, two-row passes) and gcc's AMD heuristics, which leave a
 * loop-carried sum of products of 256-bit vectors unfused where an
 * unrolled copy of the same sum is fused.  The template fuses every
 * multiply-add itself (acmix_gemm.c.in acm_fma), so each output is the
 * same operations whichever conv block or attention row range the thread
 * count puts it in.  Against the reference at 1 to 4 threads and bit for
 * bit the 1-thread output at 2 to 4: four_row_passes' cases 1 (bands of
 * single conv rows at 3 threads, blocks of 4 at 1) and 4 (stride 2, batch
 * 2) and own_planes' case 1 (planes of its own).  With gcc's own choice
 * (before acm_fma) the 2- to 5-thread outputs differed on the 2-vCPU Zen
 * 5 of 2026-12-06; on an Intel Xeon this build is the only one that takes
 * these paths.  Only where the kernels build for this CPU's AVX-512. */
Test(gen_acmix, half_rate_same_bits, .timeout = 180)
{
    if (!builds_avx512())
        cr_skip_test("the AVX-512 half-rate paths: an AVX-512 CPU, no ABLATE_GEN_MARCH");
    cr_assert_eq(setenv("ABLATE_AVX512_RATE", "half", 1), 0); /* whatever this CPU measures */
    struct gen_env env = gen_check_env();
    unsetenv("ABLATE_AVX512_RATE");
    const size_t n = strlen(env.cc);
    cr_assert_lt(snprintf(env.cc + n, sizeof env.cc - n, " -mtune=znver3"), (int)(sizeof env.cc - n),
                 "CC too long: %s", env.cc);
    openblas_set_num_threads(1);
    const struct acm_case c[] = {{5, 8, 5, 1, 1, 6, 17, 1}, {3, 4, 9, 1, 2, 18, 20, 2},
                                 {8, 64, 3, 1, 2, 44, 112, 1}};
    const char *variants[] = {"split", "split", "fold"};
    for (int i = 0; i < 3; i++) {
        check_threads(&env, variants[i], &c[i], 1800 + (uint64_t)i, 4);
        expect_same_bits_2_to_4_threads(&env, variants[i], &c[i], 1800 + (uint64_t)i, i);
    }
}

/* auto folds fc into dep_conv where that costs strictly fewer
 * multiply-adds (gen/acmix.lua fold_pays: head < 3 + stride^2), and splits
 * at the tie, head 4 at stride 1 and 7 at stride 2: there split's F reads
 * the source planes in place where fold copies 3 head of them. */
Test(gen_acmix, auto_splits_at_tie)
{
    struct gen_env env = gen_check_env();
    const struct acm_case c[] = {{64, 64, 3, 4, 1, 80, 80, 1}, {64, 64, 7, 2, 1, 80, 80, 1},
                                 {256, 256, 7, 4, 1, 20, 20, 1}, {12, 24, 3, 6, 2, 16, 16, 1},
                                 {14, 14, 3, 7, 2, 16, 16, 1}, {8, 8, 3, 1, 1, 8, 8, 1}};
    const char *want[] = {"FOLD = 0,", "FOLD = 1,", "FOLD = 0,", "FOLD = 1,", "FOLD = 0,",
                          "FOLD = 1,"};
    for (int i = 0; i < 6; i++)
        expect_rendered(&env, &c[i], "auto", &want[i], 1, i);
}

/* Logits hundreds apart (input standard deviation 6): the softmax takes
 * its max from the logits' registers (acmix_attention.c.in) and computes
 * e^x as 2^t by vscalefps, which must give 0, not a clamp or inf, far
 * below the max.  A max that missed window rows overflows e^x to inf
 * here, where unit inputs (logits a few apart) still pass.  Rows of
 * four-row passes and a pass's short rest, kernel_att 3, 7, 11, head 1,
 * 2, 4, stride 1 and 2; the shapes (and kernels: one build each) of
 * four_row_passes' cases 0 and 3 and wide_chunks' WO 8 case. */
Test(gen_acmix, peaked_softmax, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    const struct acm_case c[] = {
        {4, 8, 11, 4, 1, 13, 16, 2}, {8, 8, 3, 1, 1, 9, 8, 2}, {6, 8, 7, 2, 2, 10, 34, 1}};
    for (int i = 0; i < 3; i++)
        check_scaled(&env, "auto", &c[i], 960 + (uint64_t)i, 2, 6.0f);
}

/* The schedule each YOLOv8n neck place gets: by bands at 64 @ 80x80 and
 * 128 @ 40x40, by planes at 256 @ 20x20 (3C = 768 > HW = 400), where each
 * thread's band would pack all the weights for 200 pixels
 * (docs/modules/acmix.md). */
Test(gen_acmix, schedule_by_shape)
{
    struct gen_env env = gen_check_env();
    const struct acm_case c[] = {
        {64, 64, 7, 4, 1, 80, 80, 1}, {128, 128, 7, 4, 1, 40, 40, 1}, {256, 256, 7, 4, 1, 20, 20, 1}};
    const char *want[] = {"BANDS = 1,", "BANDS = 1,", "BANDS = 0,"};
    for (int i = 0; i < 3; i++)
        expect_rendered(&env, &c[i], "auto", &want[i], 1, i);
}

/* Chunks of 16 columns (a zmm on a CPU with full-rate AVX-512) where they
 * cover at most 1/5 more columns than chunks of 8 (gen/acmix.lua
 * wide_pays): YOLOv8n's WO 80 and 40 (48 columns) and WO 44, not WO 20
 * (32 columns for 24), nor 8.  Then parity where a row is two full 16-column chunks
 * and three quarters of one (WO 44: the last chunk's lanes read the
 * padded planes' next row and the slack) with fold and split, stride 2
 * with WO 14 (one chunk, 2 lanes idle) and WO 8 (8-column chunks) with
 * auto (fold there), 1 and 2 threads: every variant once on 16-column
 * chunks; the chunks are the attention's, the same code in all three
 * (each variant at every shape built 9 kernels, now 4). */
Test(gen_acmix, wide_chunks, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    openblas_set_num_threads(1);
    const struct acm_case shapes[] = {{64, 64, 3, 4, 1, 80, 80, 1}, {16, 16, 3, 4, 1, 8, 44, 1},
                                      {128, 128, 7, 4, 1, 40, 40, 1}, {256, 256, 7, 4, 1, 20, 20, 1},
                                      {8, 8, 3, 1, 1, 8, 8, 1}};
    const char *want[] = {"#define ACM_WIDE 1", "#define ACM_WIDE 1", "#define ACM_WIDE 1",
                          "#define ACM_WIDE 0", "#define ACM_WIDE 0"};
    for (int i = 0; i < 5; i++)
        expect_rendered(&env, &shapes[i], "auto", &want[i], 1, i);
    const struct acm_case c[] = {{16, 32, 7, 4, 1, 12, 44, 2}, {16, 32, 7, 4, 1, 12, 44, 2},
                                 {8, 16, 5, 2, 2, 10, 28, 1}, {8, 8, 3, 1, 1, 9, 8, 2}};
    const char *variants[] = {"fold", "split", "auto", "auto"};
    for (int i = 0; i < 4; i++)
        check_case(&env, variants[i], &c[i], 990 + (uint64_t)i);
}

/* The same kernels built for an AVX2-only CPU (ABLATE_GEN_MARCH): 16
 * vector registers, so the attention runs two output rows per pass at
 * every kernel_att (the template's ROWS_PASS), the taps of a window row in
 * blocks of at most 6 where 2 KA accumulators would not fit
 * (acmix_attention.c.in XB: kernel_att 7 as 4 + 3, 9 as 5 + 4, 11 as 6 +
 * 5; before 2026-12-08 kernel_att 7 and above ran one row per pass); on
 * an AVX-512 machine with full-rate AVX-512 every kernel_att takes four
 * rows (four_row_passes above), on the Zen 4 two.  Odd HO (a pass's
 * single last row), stride 2, by bands and by planes, both thread counts,
 * and where the projection is direct, bit for bit the 1-thread output at
 * 2 to 4 threads (a row's logits the same chain in a pair or alone).  The
 * source renders the AVX2 pair (it fails on the template before). */
Test(gen_acmix, avx2_builds, .timeout = 300)
{
    gen_check_build_avx2_only();
    struct gen_env env = gen_check_env();
    openblas_set_num_threads(1);
    const struct acm_case c[] = {{6, 8, 7, 4, 1, 9, 12, 2},  {5, 8, 5, 2, 1, 9, 8, 1},
                                 {5, 4, 7, 1, 2, 10, 8, 2},  {8, 16, 11, 2, 1, 13, 16, 1},
                                 {8, 64, 9, 1, 1, 9, 10, 1}, {8, 16, 11, 4, 2, 22, 24, 1}};
    static const char *const want[] = {"#elif ACM_VREGS == 16", "#define ROWS_PASS 2"};
    for (int i = 0; i < 6; i++) {
        expect_rendered(&env, &c[i], "auto", want, 2, i);
        check_case(&env, "auto", &c[i], 970 + (uint64_t)i);
        if (projects_direct())
            expect_same_bits_2_to_4_threads(&env, "auto", &c[i], 970 + (uint64_t)i, i);
    }
}

/* The prepared path (ablate_kernel.h; the sweeps time it): the stacked
 * projection weights (packed by register block where PROJ_DIRECT) and
 * W' = dep_conv . fc made once by ablate_kernel_prepare, then
 * forward_prepared bit for bit forward's output at 1 and 2 threads, two
 * calls each on a NaN-poisoned workspace (gen_check_prepared).  Both
 * schedules: by bands (64 @ 12x12, 3C <= HW) with fold (head 1) and split
 * (head 4), by planes (3C > HW) with fold and split, 3C and CIN no
 * multiple of 8 (the packer's partial block and tail), stride 2, batch 2.
 * It fails on the template before this pass, which exports no prepared
 * path. */
Test(gen_acmix, prepared, .timeout = 180)
{
    static const char *const specs[] = {
        "ACmix in_planes=16 out_planes=16 kernel_att=7 head=1 h=12 w=12 batch=2",
        "ACmix in_planes=16 out_planes=16 kernel_att=5 head=4 h=12 w=12",
        "ACmix in_planes=24 out_planes=32 kernel_att=5 head=1 h=6 w=8 batch=2",
        "ACmix in_planes=24 out_planes=32 kernel_att=3 head=4 h=6 w=8",
        "ACmix in_planes=13 out_planes=6 kernel_att=3 head=2 stride=2 h=8 w=6 batch=2",
    };
    const char *variants[] = {"auto", "auto", "fold", "split", "split"};
    for (int i = 0; i < 5; i++)
        gen_check_prepared_case(specs[i], 1500 + (uint64_t)i, variants[i], 1);
}

/* By planes where the head dimension is a multiple of the projection's
 * 8-row register blocks (acmix_gemm.c.in PART_JOBS): each thread projects
 * the q, k and v rows of its own part of the conv groups (runs of 8,
 * 3 HEAD runs of register blocks, their k, v planes padded) and runs
 * their conv branch, with no barrier between.  Head 1, 2 and 4, parts of
 * 1 and 2 runs and empty parts (2 runs at 3 and 4 threads), CIN > 128
 * (two vectors per block), stride 2, batch 1 and 2, fold and split:
 * against the reference at 1 to 4 threads and, with the direct projection (AVX-512, AVX2 + FMA), bit for bit
 * the 1-thread output; then the prepared path bit for bit forward.  It
 * fails on the template before this pass (no project_and_conv_part). */
Test(gen_acmix, group_parts, .timeout = 180)
{
    struct gen_env env = gen_check_env();
    openblas_set_num_threads(1);
    const struct acm_case c[] = {{24, 16, 5, 1, 1, 6, 7, 2},  {16, 32, 7, 2, 1, 8, 10, 1},
                                 {8, 64, 3, 4, 2, 8, 12, 2},  {136, 24, 5, 1, 1, 6, 8, 1},
                                 {12, 64, 9, 4, 1, 10, 14, 1}};
    const char *variants[] = {"auto", "split", "fold", "auto", "split"};
    static const char *const want[] = {"BANDS = 0,", "#define PROJ_DIRECT 1",
                                       "project_and_conv_part(x, w, wg"};
    for (int i = 0; i < 5; i++)
        check_rendered_case(&env, variants[i], &c[i], 1600 + (uint64_t)i, want, 3, i);
    /* cases 1 and 2: the kernels built above */
    static const char *const specs[] = {
        "ACmix in_planes=16 out_planes=32 kernel_att=7 head=2 h=8 w=10",
        "ACmix in_planes=8 out_planes=64 kernel_att=3 head=4 stride=2 h=8 w=12 batch=2",
    };
    const char *pvariants[] = {"split", "fold"};
    for (int i = 0; i < 2; i++)
        gen_check_prepared_case(specs[i], 1650 + (uint64_t)i, pvariants[i], 1);
}

/* By planes with PART_JOBS and one head (acmix_gemm.c.in
 * VALUES_BY_PARTS): the logits in two fixed parts of the channels (jobs of
 * image, part and pass) into a shared store, then each thread the softmax
 * of the parts' sums and the weighted sums of v of the channels it
 * projected, at every row; at every thread count, so the 2- to 4-thread
 * outputs must be the 1-thread one bit for bit, and the reference within
 * tolerance.  Logit parts of 1, 2 and 4 runs of 8 channels and unequal
 * ones (8 + 16 channels), projection parts of 1 to 8 runs, empty parts at 3 and 4 threads (2
 * runs), logit jobs of one part split between threads (3 and 4 threads),
 * fold and split, stride 2, batch 2, WO no multiple of the chunk, HO no
 * multiple of the pass, CIN > 128; then the prepared path bit for bit
 * forward.  It fails on the template before d-acmix (no logits_part). */
Test(gen_acmix, values_by_parts, .timeout = 180)
{
    struct gen_env env = gen_check_env();
    openblas_set_num_threads(1);
    const struct acm_case c[] = {{16, 32, 5, 1, 1, 6, 7, 2},
                                 {8, 16, 3, 1, 2, 6, 6, 1},
                                 {24, 64, 9, 1, 1, 8, 9, 1},
                                 {136, 24, 7, 1, 1, 5, 9, 2}};
    const char *variants[] = {"auto", "split", "split", "fold"};
    static const char *const want[] = {"BANDS = 0,", "#define PROJ_DIRECT 1",
                                       "logits_part(qkv, kvp, w, job"};
    for (int i = 0; i < 4; i++)
        check_rendered_case(&env, variants[i], &c[i], 1700 + (uint64_t)i, want, 3, i);
    gen_check_prepared_case("ACmix in_planes=16 out_planes=32 kernel_att=5 head=1 h=6 w=7 batch=2",
                            1750, "auto", 1);
}

/* By planes at stride 1 with WO >= 16 where it takes fewer zmm chunks
 * (gen/acmix.lua flat_pays): the conv branch over the zero-padded planes'
 * flat positions (acmix_conv.c.in conv_rows_flat), each chunk's lanes
 * stored into one or two output rows, blocks of 4 and 8 chunks, a half
 * block and single chunks, the last chunks' pad lanes reading the slack;
 * and with several heads (HEAD_PARTS: HD % HEAD == 0) each thread's own
 * heads projected, then their groups' conv branch and their attention
 * (2 and 4 threads; at 3 the parts by groups).  Head 4 split (16 channels
 * a head), head 1 fold (WO 17), head 2 (HEAD_PARTS at 2 threads only),
 * head 4 with HD 10 (no PART_JOBS: the projection by register blocks), batch 1
 * and 2: against the reference at 1 to 4 threads and, with the direct projection, bit for
 * bit the 1-thread output; the prepared path bit for bit forward.  YOLOv8n's
 * 256 @ 20x20 takes it; by bands (80x80, 40x40) and stride 2 do not.  It
 * fails on the template before e-acmix (no FLAT_CONV). */
Test(gen_acmix, flat_conv_by_heads, .timeout = 240)
{
    struct gen_env env = gen_check_env();
    openblas_set_num_threads(1);
    const struct acm_case shapes[] = {{256, 256, 11, 4, 1, 20, 20, 1},
                                      {128, 128, 7, 4, 1, 40, 40, 1},
                                      {64, 64, 7, 1, 1, 80, 80, 1},
                                      {256, 256, 7, 4, 2, 20, 20, 1}};
    const char *flat[] = {"FLAT_CONV = 1 &&", "FLAT_CONV = 0 &&", "FLAT_CONV = 0 &&",
                          "FLAT_CONV = 0 &&"};
    for (int i = 0; i < 4; i++)
        expect_rendered(&env, &shapes[i], "auto", &flat[i], 1, i);
    const struct acm_case c[] = {{16, 64, 5, 4, 1, 8, 20, 2},
                                 {24, 64, 7, 1, 1, 6, 17, 1},
                                 {16, 48, 3, 2, 1, 7, 18, 2},
                                 {16, 40, 5, 4, 1, 6, 18, 1}};
    const char *variants[] = {"split", "fold", "auto", "split"};
    static const char *const want[] = {"BANDS = 0,", "FLAT_CONV = 1 &&", "project_heads_part(x, t"};
    for (int i = 0; i < 4; i++)
        check_rendered_case(&env, variants[i], &c[i], 1900 + (uint64_t)i, want, 3, i);
    gen_check_prepared_case("ACmix in_planes=16 out_planes=64 kernel_att=5 head=4 h=8 w=20 batch=2",
                            1950, "split", 1);
}

Test(gen_acmix, variants_listed)
{
    struct gen_env env = gen_check_env();
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], err[ERR_MAX];
    int n = gen_variants(&env, &op_acmix, names, GEN_VARIANTS_MAX, err, sizeof err);
    cr_assert_eq(n, 3, "%s", err);
    cr_expect_str_eq(names[0], "auto");
    cr_expect_str_eq(names[1], "fold");
    cr_expect_str_eq(names[2], "split");
}
