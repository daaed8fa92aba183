/* scripts/akconv_sgemm.c — OpenBLAS sgemm at the shape of AKConv's column conv.
 *
 * The column conv of the `direct` kernel is a product of the sample panel
 * (pixels x num_param*inc) with conv.0.weight (num_param*inc x outc), plus
 * BN + SiLU on every output.  To tell how far its rate is from what a
 * tuned GEMM reaches at the same M, N, K (where K is 32-128 at num_param
 * 1-2 and the epilogue is a large part), this times cblas_sgemm on that
 * shape alone (row-major C[M][N] = A[M][K] B[K][N], one thread as the
 * sweeps' 1-thread rows) and prints the minimum and median time of
 * ROUNDS calls and GFLOP/s at the minimum (docs/modules/perf_akconv.md,
 * sixth Intel pass).
 *
 * Build:  cc -O2 -std=c11 -D_GNU_SOURCE -I/usr/include/x86_64-linux-gnu/openblas-pthread \
 *             scripts/akconv_sgemm.c -lopenblas -o build/akconv_sgemm
 * Run:    OPENBLAS_NUM_THREADS=1 build/akconv_sgemm M N K [ROUNDS]   (exit 2 on bad arguments) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { MAX_ROUNDS = 1000 };

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* a[i] = a small deterministic pattern in [-1, 1) */
static void fill(float *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = (float)((int)(i * 2654435761u % 2001u) - 1000) / 1000.0f;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s M N K [ROUNDS]\n", argv[0]);
        return 2;
    }
    const int m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]);
    const int rounds = argc > 4 ? atoi(argv[4]) : 200;
    if (m < 1 || n < 1 || k < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    float *a = malloc(sizeof(float) * (size_t)m * k), *b = malloc(sizeof(float) * (size_t)k * n);
    float *c = malloc(sizeof(float) * (size_t)m * n);
    static double t[MAX_ROUNDS];
    if (!a || !b || !c)
        return 1;
    fill(a, (size_t)m * k);
    fill(b, (size_t)k * n);
    for (int r = -10; r < rounds; r++) { /* 10 calls to warm up */
        const double t0 = now_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
        if (r >= 0)
            t[r] = now_s() - t0;
    }
    qsort(t, (size_t)rounds, sizeof t[0], cmp_double);
    printf("sgemm M %d N %d K %d: min %.1f us, median %.1f us, %.1f GFLOP/s (min)\n", m, n, k, t[0] * 1e6,
           t[rounds / 2] * 1e6, 2.0 * m * n * k / t[0] * 1e-9);
    free(a);
    free(b);
    free(c);
    return 0;
}
