/* scripts/cputime_bench.c — generated kernels timed by CPU time, interleaved.
 *
 * On a machine shared with other busy processes a 1-thread call longer than
 * a scheduler slice takes several times its CPU time of wall clock, so
 * wall-clock ratios between a short and a long kernel are meaningless there
 * (docs/modules/performance.md).  This driver builds the same generated
 * kernels the harness builds (gen_build, random init, the harness's
 * weights), calls them in turn (A, B, C, A, B, C, ...; 2 untimed rounds)
 * and prints, per kernel, the minimum and median of the calling thread's
 * CPU time (1 thread; with more threads: the process's, all threads summed)
 * and of wall clock.
 *
 * Build (after make):
 *   cc -O2 -std=c11 -D_GNU_SOURCE -fopenmp -Ikernels -Iharness -Igen/runtime \
 *      -I/usr/include/lua5.4 -I/usr/include/x86_64-linux-gnu/openblas-pthread/ \
 *      scripts/cputime_bench.c build/libablate.a -llua5.4 -lopenblas -ljansson \
 *      -lyaml -lcsv -lm -ldl -o build/cputime_bench
 * Run (OpenBLAS auto-detected as the harness runs it, single-threaded):
 *   env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1 ABLATE_ROOT=$PWD \
 *     build/cputime_bench 1 9 "Conv c1=32 c2=64 k=3 s=2 h=160 w=160@gemm" \
 *     "AKConv inc=32 outc=64 num_param=5 stride=2 h=160 w=160@gemm"
 * A spec is `ablate info`'s MODULE key=value ... h= w=, then @variant
 * (default: the generator's first); "+prepared" after it (or alone: "@+prepared")
 * times ablate_kernel_forward_prepared on weights that ablate_kernel_prepare
 * made once, untimed (the model graph's path, harness/model_bench.c).
 * A spec may start with "root=DIR " to build that kernel from DIR's gen/
 * (templates, generators and runtime headers; the cache stays this tree's
 * build/): e.g. main's gen/ from `git archive main gen | tar -x -C DIR`
 * against this tree's, interleaved in one process (a CPU-time A/B).
 * "cc=CMD " (before or after root=) builds that kernel with CMD as the C
 * compiler: e.g. a wrapper that changes a flag, for an A/B of compile flags
 * (the cache key holds the command, so the two builds do not mix).
 * CPUTIME_COMPARE=1: every kernel gets the first one's weights and input
 * (same seed; the specs must name the same module and shape), and each
 * one's largest |difference| from the first kernel's output is printed
 * (0 = the same bits, e.g. a change that should not move a value). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buffers.h"
#include "gen.h"
#include "instance.h"
#include "rng.h"

enum { KERNELS_MAX = 32, WORDS_MAX = 32, WARMUP = 2 };

struct bench_kernel {
    char spec[512];
    struct instance inst;
    struct weightset ws;
    struct gen_kernel gk;
    float *x, *y, *work, *prepared; /* prepared: NULL times ablate_kernel_forward */
    int64_t nprepared;
    double *cpu_ms, *wall_ms;
};

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The prepared weights of a "+prepared" spec, made once; 0 when the kernel
 * has no prepared path or memory is short (said on stderr). */
static int bench_prepare(struct bench_kernel *k, const char *arg)
{
    if (!k->gk.prepare) {
        fprintf(stderr, "cputime_bench: %s: the kernel has no prepared path\n", arg);
        return 0;
    }
    k->nprepared = k->gk.info->prepared_floats;
    if (!(k->prepared = buf_alloc(k->nprepared))) {
        fprintf(stderr, "cputime_bench: out of memory\n");
        return 0;
    }
    k->gk.prepare((const float *const *)k->ws.ptr, k->prepared, 1);
    return 1;
}

/* Floats of the input: one map, or for the heads (Detect, DetectV5: one
 * input per level, channels ch0..ch3, each level half the size of the one
 * before) the levels' maps one after another, as their kernels read them. */
static int64_t input_floats(const struct instance *m)
{
    static const char *const ch[] = {"ch0", "ch1", "ch2", "ch3"};
    const struct shape4 i = m->in;
    if (strncmp(m->op->name, "Detect", 6) != 0)
        return (int64_t)i.n * i.c * i.h * i.w;
    int64_t n = 0;
    for (int l = 0, h = i.h, w = i.w; l < 4 && arg_geti(&m->args, ch[l]) > 0; l++) {
        n += (int64_t)i.n * arg_geti(&m->args, ch[l]) * h * w;
        h = (h + 1) / 2, w = (w + 1) / 2;
    }
    return n;
}

/* Parses "MODULE k=v ... @variant", builds the kernel and its buffers. */
static int bench_setup(struct bench_kernel *k, const char *arg, int nthreads, int reps,
                       const struct gen_env *env, uint64_t seed)
{
    char err[512], words[512], *argv[WORDS_MAX], names[GEN_VARIANTS_MAX][GEN_NAME_MAX];
    snprintf(k->spec, sizeof k->spec, "%s", arg);
    struct gen_env own = *env;
    for (int more = 1; more;) {
        const int root = strncmp(arg, "root=", 5) == 0, cc = strncmp(arg, "cc=", 3) == 0;
        more = root || cc;
        if (!more)
            break;
        const char *val = arg + (root ? 5 : 3), *end = strchr(val, ' ');
        const int n = end ? (int)(end - val) : (int)strlen(val);
        if (root)
            snprintf(own.root, sizeof own.root, "%.*s", n, val);
        else
            snprintf(own.cc, sizeof own.cc, "%.*s", n, val);
        arg = end ? end + 1 : val + n;
        env = &own;
    }
    snprintf(words, sizeof words, "%s", arg);
    char *variant = strchr(words, '@');
    if (variant)
        *variant++ = '\0';
    char *plus = variant ? strstr(variant, "+prepared") : NULL;
    if (plus)
        *plus = '\0';
    if (variant && !*variant)
        variant = NULL;
    int argc = 0;
    for (char *t = strtok(words, " "); t && argc < WORDS_MAX; t = strtok(NULL, " "))
        argv[argc++] = t;
    if (instance_parse(&k->inst, argc, argv, err, sizeof err) != 0 ||
        weights_alloc(&k->ws, &k->inst, err, sizeof err) != 0) {
        fprintf(stderr, "cputime_bench: %s: %s\n", arg, err);
        return -1;
    }
    weights_init(&k->ws, &k->inst, INIT_RANDOM, seed);
    if (!variant) {
        if (gen_variants(env, k->inst.op, names, GEN_VARIANTS_MAX, err, sizeof err) < 1) {
            fprintf(stderr, "cputime_bench: %s: %s\n", arg, err);
            return -1;
        }
        variant = names[0];
    }
    if (gen_build(env, &k->inst.args, k->inst.in, variant, &k->gk, err, sizeof err) != GEN_OK) {
        fprintf(stderr, "cputime_bench: %s: %s\n", arg, err);
        return -1;
    }
    if (plus && !bench_prepare(k, arg))
        return -1;
    const struct shape4 o = k->inst.out;
    const int64_t nx = input_floats(&k->inst), ny = (int64_t)o.n * o.c * o.h * o.w;
    k->x = buf_alloc(nx);
    k->y = buf_alloc(ny);
    k->work = buf_alloc(k->gk.info->workspace_floats * nthreads);
    k->cpu_ms = calloc((size_t)reps, sizeof(double));
    k->wall_ms = calloc((size_t)reps, sizeof(double));
    if (!k->x || !k->y || !k->work || !k->cpu_ms || !k->wall_ms) {
        fprintf(stderr, "cputime_bench: out of memory\n");
        return -1;
    }
    struct rng r;
    rng_seed(&r, seed + 1);
    for (int64_t j = 0; j < nx; j++)
        k->x[j] = rng_normal(&r);
    return 0;
}

/* One call; its times go to slot rep (rep < 0: warm-up, not kept). */
static void bench_call(struct bench_kernel *k, int nthreads, int rep)
{
    const clockid_t cpu = nthreads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID;
    const double c0 = clock_s(cpu), w0 = clock_s(CLOCK_MONOTONIC);
    if (k->prepared)
        k->gk.forward_prepared((const float *const *)k->ws.ptr, k->prepared, k->x, k->y, k->work,
                               nthreads);
    else
        k->gk.forward((const float *const *)k->ws.ptr, k->x, k->y, k->work, nthreads);
    const double w1 = clock_s(CLOCK_MONOTONIC), c1 = clock_s(cpu);
    if (rep >= 0) {
        k->cpu_ms[rep] = 1e3 * (c1 - c0);
        k->wall_ms[rep] = 1e3 * (w1 - w0);
    }
}

/* Largest |a.y - b.y| over a's output (b the same shape); NaN counts as
 * infinitely far. */
static double max_abs_diff(const struct bench_kernel *a, const struct bench_kernel *b)
{
    const struct shape4 o = a->inst.out;
    const int64_t ny = (int64_t)o.n * o.c * o.h * o.w;
    double m = 0.0;
    for (int64_t j = 0; j < ny; j++) {
        const double d = fabs((double)a->y[j] - (double)b->y[j]);
        m = d > m || d != d ? (d != d ? INFINITY : d) : m;
    }
    return m;
}

int main(int argc, char **argv)
{
    static struct bench_kernel kernels[KERNELS_MAX];
    char err[512];
    const int nthreads = argc > 1 ? atoi(argv[1]) : 0, reps = argc > 2 ? atoi(argv[2]) : 0;
    const int n = argc - 3;
    if (nthreads < 1 || reps < 1 || n < 1 || n > KERNELS_MAX) {
        fprintf(stderr, "usage: cputime_bench THREADS REPS \"MODULE k=v ... h= w=[@variant]\" ...\n");
        return 2;
    }
    struct gen_env env;
    if (gen_env_init(&env, err, sizeof err) != 0) {
        fprintf(stderr, "cputime_bench: %s\n", err);
        return 2;
    }
    const char *cmp_env = getenv("CPUTIME_COMPARE");
    const int compare = cmp_env && *cmp_env && strcmp(cmp_env, "0") != 0;
    for (int k = 0; k < n; k++)
        if (bench_setup(&kernels[k], argv[3 + k], nthreads, reps, &env,
                        compare ? 1234 : 1234 + (uint64_t)k) != 0)
            return 2;
    for (int rep = -WARMUP; rep < reps; rep++)
        for (int k = 0; k < n; k++)
            bench_call(&kernels[k], nthreads, rep);
    for (int k = 1; compare && k < n; k++)
        printf("max |y - y(first)| %g  %s\n", max_abs_diff(&kernels[0], &kernels[k]), kernels[k].spec);
    for (int k = 0; k < n; k++) {
        struct bench_kernel *b = &kernels[k];
        qsort(b->cpu_ms, (size_t)reps, sizeof(double), cmp_double);
        qsort(b->wall_ms, (size_t)reps, sizeof(double), cmp_double);
        printf("t%d cpu_min %8.3f cpu_med %8.3f wall_min %8.3f wall_med %8.3f  %s\n", nthreads,
               b->cpu_ms[0], b->cpu_ms[reps / 2], b->wall_ms[0], b->wall_ms[reps / 2], b->spec);
    }
    return 0;
}
