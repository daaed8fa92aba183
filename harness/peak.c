/* harness/peak.c — see peak.h. */
#include "peak.h"

#include <cblas.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "blas_core.h"
#include "buffers.h"
#include "timing.h"

/* A roof is the best the machine did, not its typical: the fastest repeat
 * (a co-tenant can only slow a repeat down, never speed it up). */
static double fastest(double *v, int n)
{
    struct timing_result r;
    timing_stats(v, n, &r);
    return r.min_ms / 1e3;
}

static double measure_sgemm(int n, int reps, const float *a, const float *b, float *c)
{
    double t[16];
    for (int i = 0; i < reps + 1; i++) {
        double t0 = now_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        if (i > 0) /* the first call pays for thread start-up and page faults */
            t[i - 1] = now_s() - t0;
    }
    return 2.0 * n * (double)n * n / fastest(t, reps) / 1e9;
}

static double measure_triad(int64_t n, int reps, int threads, float *a, const float *b, const float *c)
{
    double t[16];
    for (int i = 0; i < reps + 1; i++) {
        double t0 = now_s();
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t k = 0; k < n; k++)
            a[k] = b[k] + 3.0f * c[k];
        if (i > 0)
            t[i - 1] = now_s() - t0;
    }
    return 12.0 * (double)n / fastest(t, reps) / 1e9;
}

int peak_measure(struct peak *p, int threads, int quick, char *err, size_t errlen)
{
    int n = quick ? 1024 : 2048, reps = quick ? 3 : 7;
    int64_t nn = (int64_t)n * n, nt = quick ? (16 << 20) : (64 << 20);
    float *a = buf_alloc(nn), *b = buf_alloc(nn), *c = buf_alloc(nn);
    float *ta = buf_alloc(nt), *tb = buf_alloc(nt), *tc = buf_alloc(nt);
    int rc = 0;
    if (!a || !b || !c || !ta || !tb || !tc) {
        snprintf(err, errlen, "peak: out of memory");
        rc = -1;
    } else {
        for (int64_t i = 0; i < nn; i++)
            a[i] = b[i] = 1.0f / (float)(1 + i % 7);
        memset(p, 0, sizeof *p);
        p->threads = threads;
        p->sgemm_n = n;
        openblas_set_num_threads(threads);
        p->sgemm_gflops = measure_sgemm(n, reps, a, b, c);
        openblas_set_num_threads(1);
        p->triad_gbs = measure_triad(nt, reps, threads, ta, tb, tc);
        snprintf(p->blas_core, sizeof p->blas_core, "%s", openblas_get_corename());
    }
    buf_free(a, nn), buf_free(b, nn), buf_free(c, nn);
    buf_free(ta, nt), buf_free(tb, nt), buf_free(tc, nt);
    return rc;
}

int peak_write(const char *dir, const struct peak *p, int n, char *err, size_t errlen)
{
    char path[600], tmp[640];
    json_t *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:i, s:f, s:i, s:f, s:s}", "threads", p[i].threads,
                                             "sgemm_gflops", p[i].sgemm_gflops, "sgemm_n", p[i].sgemm_n,
                                             "triad_gbs", p[i].triad_gbs, "blas_core", p[i].blas_core));
    snprintf(path, sizeof path, "%s/peak.json", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int rc = json_dump_file(arr, tmp, JSON_INDENT(2));
    json_decref(arr);
    if (rc != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

int peak_read(const char *dir, struct peak *p, int max)
{
    char path[600];
    snprintf(path, sizeof path, "%s/peak.json", dir);
    json_t *arr = json_load_file(path, 0, NULL);
    int n = 0;
    for (size_t i = 0; arr && json_is_array(arr) && i < json_array_size(arr) && n < max; i++) {
        const char *core = NULL;
        struct peak *q = &p[n];
        memset(q, 0, sizeof *q);
        if (json_unpack(json_array_get(arr, i), "{s:i, s:F, s:i, s:F, s:s}", "threads", &q->threads,
                        "sgemm_gflops", &q->sgemm_gflops, "sgemm_n", &q->sgemm_n, "triad_gbs",
                        &q->triad_gbs, "blas_core", &core) == 0) {
            snprintf(q->blas_core, sizeof q->blas_core, "%s", core);
            n++;
        }
    }
    json_decref(arr);
    return n;
}
