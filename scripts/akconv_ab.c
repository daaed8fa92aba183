/* scripts/akconv_ab.c — generated AKConv kernels of one shape, timed side by side.
 *
 * A sweep row times one kernel; comparing two builds of it (a change and
 * the tree before it, or one phase switched off) through two sweeps puts
 * minutes of co-tenant drift between them.  This driver loads several
 * kernel shared objects of the same shape (build/gen/<hash>.so, the
 * `direct`, `gemm` or `fused` variant; the shape must match the arguments),
 * gives them the same input and weights (random, p_conv's scaled so the
 * offsets are about a pixel, as the sweeps' `init = "random"`), and calls
 * them in alternating slots of about 0.15 s each, ROUNDS times; it prints
 * each kernel's largest difference from the first one's output and the
 * minimum and median of its per-call time over the rounds.
 *
 * Phases (docs/modules/performance.md, AKConv fifth pass): build copies of
 * one kernel's .c with a phase call wrapped in `if (0)` and pass SHARE_WS=1:
 * every kernel then uses the first one's workspace, so a phase left out
 * still finds the data the full kernel (first on the command line) left.
 *
 * Prepared path (ablate_kernel.h): a kernel that has one is prepared once,
 * untimed, and timed by ablate_kernel_forward_prepared, as the sweeps and
 * the model graph do; NO_PREPARE=1 times ablate_kernel_forward instead
 * (the weights packed on every call).  The output lines say which.
 *
 * Build:  cc -O2 -std=c11 -D_GNU_SOURCE -Igen/runtime scripts/akconv_ab.c -ldl -lm -o build/akconv_ab
 * Run:    [SHARE_WS=1] [NO_PREPARE=1] [OFFSET_STD=PX] build/akconv_ab THREADS ROUNDS B C H W OUTC NUM_PARAM STRIDE K.so...
 *         (bias 0; exit 2 on bad arguments, 1 when a kernel does not load) */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ablate_kernel.h"

enum { MAX_KERNELS = 16, MAX_ROUNDS = 200 };

struct shape {
    int b, c, h, w, outc, np, stride, ho, wo;
};

struct kernel {
    const char *path;
    ablate_kernel_forward_fn forward;
    ablate_kernel_forward_prepared_fn forward_prepared; /* with prepared != NULL */
    float *ws, *y, *prepared;
    double ms[MAX_ROUNDS];
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* xorshift64, uniform in [-1, 1) */
static float uniform(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (float)((double)(*s >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static float *random_floats(size_t n, float scale, float offset, unsigned long long *s)
{
    float *p = malloc(sizeof(float) * (n ? n : 1));
    if (!p) {
        perror("akconv_ab");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        p[i] = offset + scale * uniform(s);
    return p;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One call of kernel k: forward_prepared when it was prepared, else forward. */
static void call(const struct kernel *k, const float *const *w, const float *x, int nthreads)
{
    if (k->prepared)
        k->forward_prepared(w, k->prepared, x, k->y, k->ws, nthreads);
    else
        k->forward(w, x, k->y, k->ws, nthreads);
}

/* The prepared path of the kernel in h, when it has one and use is set:
 * its buffer made by ablate_kernel_prepare (k->prepared; NULL otherwise). */
static int prepare_kernel(struct kernel *k, void *h, const struct ablate_kernel_info *info,
                          const float *const *w, int nthreads, int use)
{
    k->prepared = NULL;
    ablate_kernel_prepare_fn prepare = (ablate_kernel_prepare_fn)dlsym(h, "ablate_kernel_prepare");
    k->forward_prepared = (ablate_kernel_forward_prepared_fn)dlsym(h, "ablate_kernel_forward_prepared");
    if (!use || info->prepared_floats <= 0 || !prepare || !k->forward_prepared)
        return 0;
    k->prepared = aligned_alloc(64, ((size_t)info->prepared_floats * 4 + 63) / 64 * 64);
    if (!k->prepared) {
        perror("akconv_ab");
        return -1;
    }
    prepare(w, k->prepared, nthreads);
    return 0;
}

static int load_kernel(struct kernel *k, const struct shape *s, int nthreads, float *shared_ws,
                       const float *const *w, int use_prepared)
{
    void *h = dlopen(k->path, RTLD_NOW);
    if (!h) {
        fprintf(stderr, "akconv_ab: %s\n", dlerror());
        return -1;
    }
    ablate_kernel_info_fn info_fn = (ablate_kernel_info_fn)dlsym(h, "ablate_kernel_info");
    k->forward = (ablate_kernel_forward_fn)dlsym(h, "ablate_kernel_forward");
    if (!info_fn || !k->forward) {
        fprintf(stderr, "akconv_ab: %s is not a generated kernel\n", k->path);
        return -1;
    }
    size_t bytes = ((size_t)info_fn()->workspace_floats * (size_t)nthreads * 4 + 63) / 64 * 64;
    k->ws = shared_ws ? shared_ws : aligned_alloc(64, bytes);
    k->y = malloc(sizeof(float) * (size_t)s->b * s->outc * s->ho * s->wo);
    if (!k->ws || !k->y) {
        perror("akconv_ab");
        return -1;
    }
    if (!shared_ws)
        memset(k->ws, 0, bytes);
    return prepare_kernel(k, h, info_fn(), w, nthreads, use_prepared);
}

int main(int argc, char **argv)
{
    if (argc < 11 || argc - 10 > MAX_KERNELS) {
        fprintf(stderr, "usage: akconv_ab THREADS ROUNDS B C H W OUTC NUM_PARAM STRIDE K.so... (1-%d kernels)\n",
                MAX_KERNELS);
        return 2;
    }
    int nthreads = atoi(argv[1]), rounds = atoi(argv[2]);
    struct shape s = {atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]), atoi(argv[7]),
                      atoi(argv[8]), atoi(argv[9]), 0, 0};
    if (nthreads < 1 || rounds < 1 || rounds > MAX_ROUNDS || s.b < 1 || s.c < 1 || s.h < 1 || s.w < 1 ||
        s.outc < 1 || s.np < 1 || s.stride < 1) {
        fprintf(stderr, "akconv_ab: THREADS, B..STRIDE must be >= 1 and ROUNDS 1..%d\n", MAX_ROUNDS);
        return 2;
    }
    s.ho = (s.h - 1) / s.stride + 1;
    s.wo = (s.w - 1) / s.stride + 1;

    unsigned long long seed = 88172645463325252ULL;
    float *x = random_floats((size_t)s.b * s.c * s.h * s.w, 1.0f, 0.0f, &seed);
    float *wcol = random_floats((size_t)s.outc * s.c * s.np, 1.0f / sqrtf((float)(s.c * s.np)), 0.0f, &seed);
    /* OFFSET_STD=PX: p_conv's weights scaled so that the offsets vary with
     * that standard deviation from pixel to pixel (x and the weights
     * uniform: std sqrt(9 C) a / 3 for weights in [-a, a)), biases in
     * [-0.3, 0.3), like the sweeps' init = "random" (kernels/common.c:
     * weights N(0, 1) 2 / sqrt(9 C) on x N(0, 1): OFFSET_STD=2).  Unset:
     * offsets about 0.1 pixel around a bias of up to 1.5 per point, as
     * every pass before the second Intel one measured. */
    const char *ostd = getenv("OFFSET_STD");
    const float wp_a = ostd ? 3.0f * (float)atof(ostd) / sqrtf((float)(s.c * 9)) : 0.3f / sqrtf((float)(s.c * 9));
    float *wp = random_floats((size_t)2 * s.np * s.c * 9, wp_a, 0.0f, &seed);
    float *bp = random_floats((size_t)2 * s.np, ostd ? 0.3f : 1.5f, 0.0f, &seed);
    float *gamma = random_floats((size_t)s.outc, 0.1f, 1.0f, &seed);
    float *beta = random_floats((size_t)s.outc, 0.1f, 0.0f, &seed);
    float *mean = random_floats((size_t)s.outc, 0.1f, 0.0f, &seed);
    float *var = random_floats((size_t)s.outc, 0.25f, 1.25f, &seed);
    /* conv.0.weight, conv.1.{weight, bias, running_mean, running_var,
     * num_batches_tracked}, p_conv.weight, p_conv.bias */
    const float *w[] = {wcol, gamma, beta, mean, var, NULL, wp, bp};

    int nk = argc - 10;
    struct kernel k[MAX_KERNELS];
    const int share = getenv("SHARE_WS") != NULL;
    for (int i = 0; i < nk; i++) {
        k[i].path = argv[10 + i];
        if (load_kernel(&k[i], &s, nthreads, share && i > 0 ? k[0].ws : NULL, w, !getenv("NO_PREPARE")) != 0)
            return 1;
    }
    for (int i = 0; i < nk; i++) /* warm: the first kernel first, so a shared workspace holds its data */
        for (int rep = 0; rep < 5; rep++)
            call(&k[i], w, x, nthreads);
    size_t ny = (size_t)s.b * s.outc * s.ho * s.wo;
    for (int i = 1; i < nk; i++) {
        double d = 0;
        for (size_t j = 0; j < ny; j++)
            d = fmax(d, fabs((double)k[i].y[j] - (double)k[0].y[j]));
        printf("max |y - y of k0| k%d: %g\n", i, d);
    }
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < nk; i++) {
            int reps = 0;
            double t0 = now_s(), t1;
            do {
                call(&k[i], w, x, nthreads);
                reps++;
                t1 = now_s();
            } while (t1 - t0 < 0.15);
            k[i].ms[r] = (t1 - t0) / reps * 1e3;
        }
    for (int i = 0; i < nk; i++) {
        qsort(k[i].ms, (size_t)rounds, sizeof(double), by_value);
        printf("k%d %s%s min %.4f med %.4f ms\n", i, k[i].path, k[i].prepared ? " (prepared)" : "", k[i].ms[0],
               k[i].ms[rounds / 2]);
    }
    return 0;
}
