/* harness/cuda_rt.c — see cuda_rt.h.  Written against the CUDA runtime's
 * C API (cudaError_t is an int, handles are pointers); compiled here,
 * exercised on a device only by scripts/gpu_check.sh. */
#include "cuda_rt.h"

#include <math.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MEMCPY_D2D = 3, ATTR_CLOCK = 13, ATTR_SM_COUNT = 16, ATTR_MEM_CLOCK = 36 };
enum { SAMPLES_MAX = 1000 };

/* dlsym into *slot (a function pointer), via memcpy as POSIX allows. */
static int sym(void *dl, const char *name, void *slot)
{
    void *p = dlsym(dl, name);
    memcpy(slot, &p, sizeof p);
    return p ? 0 : -1;
}

static void *open_first(const char *const *names, int n, char *err, size_t errlen)
{
    void *dl = NULL;
    err[0] = 0;
    for (int i = 0; i < n && !dl; i++) {
        if (!names[i] || !*names[i])
            continue;
        /* NODELETE: the CUDA runtime must not be unloaded once it has run */
        dl = dlopen(names[i], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
        if (!dl && !err[0]) /* the first error names the plain library */
            snprintf(err, errlen, "%s", dlerror());
    }
    return dl;
}

static int load_symbols(struct cuda_rt *rt)
{
    int bad = 0;
    bad |= sym(rt->dl, "cudaGetDeviceCount", &rt->get_device_count);
    bad |= sym(rt->dl, "cudaGetErrorString", &rt->get_error_string);
    bad |= sym(rt->dl, "cudaMalloc", &rt->malloc_);
    bad |= sym(rt->dl, "cudaFree", &rt->free_);
    bad |= sym(rt->dl, "cudaMemcpy", &rt->memcpy_);
    bad |= sym(rt->dl, "cudaDeviceSynchronize", &rt->synchronize);
    bad |= sym(rt->dl, "cudaEventCreate", &rt->event_create);
    bad |= sym(rt->dl, "cudaEventRecord", &rt->event_record);
    bad |= sym(rt->dl, "cudaEventSynchronize", &rt->event_synchronize);
    bad |= sym(rt->dl, "cudaEventElapsedTime", &rt->event_elapsed);
    bad |= sym(rt->dl, "cudaEventDestroy", &rt->event_destroy);
    bad |= sym(rt->dl, "cudaDeviceGetAttribute", &rt->device_attribute);
    bad |= sym(rt->dl, "cudaDriverGetVersion", &rt->driver_version);
    if (sym(rt->dl, "cudaGetDeviceProperties_v2", &rt->device_properties) != 0)
        bad |= sym(rt->dl, "cudaGetDeviceProperties", &rt->device_properties);
    return bad ? -1 : 0;
}

int cuda_rt_open(struct cuda_rt *rt, char *err, size_t errlen)
{
    memset(rt, 0, sizeof *rt);
    const char *names[] = {getenv("ABLATE_CUDART"), "libcudart.so", "libcudart.so.13",
                           "libcudart.so.12", "/usr/local/cuda/lib64/libcudart.so"};
    char why[512];
    rt->dl = open_first(names, 5, why, sizeof why);
    if (!rt->dl) {
        snprintf(err, errlen, "no CUDA runtime (%s)", why);
        return -1;
    }
    if (load_symbols(rt) != 0) {
        snprintf(err, errlen, "no CUDA runtime (libcudart lacks a symbol: %s)", dlerror());
        cuda_rt_close(rt);
        return -1;
    }
    int count = 0, rc = rt->get_device_count(&count);
    if (rc != 0 || count < 1) {
        snprintf(err, errlen, "no CUDA device (%s)",
                 rc ? rt->get_error_string(rc) : "cudaGetDeviceCount found 0 devices");
        cuda_rt_close(rt);
        return -1;
    }
    return 0;
}

void cuda_rt_close(struct cuda_rt *rt)
{
    if (rt->dl_blas)
        dlclose(rt->dl_blas);
    if (rt->dl)
        dlclose(rt->dl);
    memset(rt, 0, sizeof *rt);
}

int cuda_device_present(char *err, size_t errlen)
{
    struct cuda_rt rt;
    if (cuda_rt_open(&rt, err, errlen) != 0)
        return -1;
    cuda_rt_close(&rt);
    return 0;
}

int cuda_device_info(struct cuda_rt *rt, struct cuda_device_info *d)
{
    memset(d, 0, sizeof *d);
    /* cudaDeviceProp starts with char name[256]; the buffer is larger than
     * the struct of any CUDA release so far */
    char *prop = calloc(1, 16384);
    if (!prop)
        return -1;
    int rc = rt->device_properties(prop, 0);
    if (rc == 0)
        snprintf(d->name, sizeof d->name, "%.255s", prop);
    free(prop);
    rc |= rt->device_attribute(&d->sm_count, ATTR_SM_COUNT, 0);
    rc |= rt->device_attribute(&d->clock_khz, ATTR_CLOCK, 0);
    rc |= rt->device_attribute(&d->mem_clock_khz, ATTR_MEM_CLOCK, 0);
    rc |= rt->driver_version(&d->driver_version);
    return rc ? -1 : 0;
}

int cuda_time(struct cuda_rt *rt, void (*fn)(void *), void *ctx, int warmup, int samples,
              struct timing_result *r)
{
    void *start = NULL, *stop = NULL;
    double ms[SAMPLES_MAX];
    samples = samples < 1 ? 1 : samples > SAMPLES_MAX ? SAMPLES_MAX : samples;
    memset(r, 0, sizeof *r);
    r->roundtrip_ns = r->vcpu_skew = NAN; /* a device timing: the vCPUs are not sampled */
    if (rt->event_create(&start) != 0 || rt->event_create(&stop) != 0)
        return -1;
    for (int i = 0; i < warmup; i++)
        fn(ctx);
    int rc = rt->synchronize();
    for (int i = 0; rc == 0 && i < samples; i++) {
        float t = 0;
        rc |= rt->event_record(start, NULL);
        fn(ctx);
        rc |= rt->event_record(stop, NULL);
        rc |= rt->event_synchronize(stop);
        rc |= rt->event_elapsed(&t, start, stop);
        ms[i] = t;
    }
    rt->event_destroy(start);
    rt->event_destroy(stop);
    if (rc != 0)
        return -1;
    timing_stats(ms, samples, r);
    return 0;
}

struct copy_call {
    struct cuda_rt *rt;
    void *dst, *src;
    size_t bytes;
};

static void run_copy(void *ctx)
{
    struct copy_call *c = ctx;
    c->rt->memcpy_(c->dst, c->src, c->bytes, MEMCPY_D2D);
}

double cuda_copy_gbs(struct cuda_rt *rt, size_t bytes)
{
    struct copy_call c = {rt, NULL, NULL, bytes};
    struct timing_result r;
    double gbs = -1;
    if (rt->malloc_(&c.dst, bytes) == 0 && rt->malloc_(&c.src, bytes) == 0 &&
        cuda_time(rt, run_copy, &c, 3, 20, &r) == 0 && r.median_ms > 0)
        gbs = 2.0 * (double)bytes / (r.median_ms * 1e-3) / 1e9;
    rt->free_(c.dst);
    rt->free_(c.src);
    return gbs;
}

struct sgemm_call {
    int (*sgemm)(void *, int, int, int, int, int, const float *, const float *, int,
                 const float *, int, const float *, float *, int);
    void *handle;
    int n;
    float *a, *b, *c;
};

static void run_sgemm(void *ctx)
{
    struct sgemm_call *s = ctx;
    const float one = 1.0f, zero = 0.0f;
    s->sgemm(s->handle, 0, 0, s->n, s->n, s->n, &one, s->a, s->n, s->b, s->n, &zero, s->c, s->n);
}

double cuda_sgemm_gflops(struct cuda_rt *rt, int n)
{
    const char *names[] = {getenv("ABLATE_CUBLAS"), "libcublas.so", "libcublas.so.13",
                           "libcublas.so.12", "/usr/local/cuda/lib64/libcublas.so"};
    char why[512];
    if (!rt->dl_blas && !(rt->dl_blas = open_first(names, 5, why, sizeof why)))
        return -1;
    int (*create)(void **) = NULL, (*destroy)(void *) = NULL;
    struct sgemm_call s = {.n = n};
    if (sym(rt->dl_blas, "cublasCreate_v2", &create) || sym(rt->dl_blas, "cublasDestroy_v2", &destroy) ||
        sym(rt->dl_blas, "cublasSgemm_v2", &s.sgemm) || create(&s.handle) != 0)
        return -1;
    size_t bytes = (size_t)n * n * sizeof(float);
    struct timing_result r;
    double gflops = -1;
    if (rt->malloc_((void **)&s.a, bytes) == 0 && rt->malloc_((void **)&s.b, bytes) == 0 &&
        rt->malloc_((void **)&s.c, bytes) == 0 && cuda_time(rt, run_sgemm, &s, 3, 20, &r) == 0 &&
        r.median_ms > 0)
        gflops = 2.0 * n * (double)n * n / (r.median_ms * 1e-3) / 1e9;
    rt->free_(s.a);
    rt->free_(s.b);
    rt->free_(s.c);
    destroy(s.handle);
    return gflops;
}

/* The cuBLAS handle the kernels' sgemm calls use. */
void *cuda_cublas_handle(char *err, size_t errlen)
{
    const char *names[] = {"libcublas.so", "libcublas.so.13", "libcublas.so.12",
                           "/usr/local/cuda/lib64/libcublas.so"};
    for (int i = 0; i < 4; i++) {
        void *dl = dlopen(names[i], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
        void *sym = dl ? dlsym(dl, "cublasCreate_v2") : NULL;
        int (*create)(void **) = NULL;
        void *h = NULL;
        memcpy(&create, &sym, sizeof create);
        if (create && create(&h) == 0)
            return h;
    }
    snprintf(err, errlen, "cannot load cuBLAS or create a handle");
    return NULL;
}

int cuda_upload_weights(struct cuda_rt *rt, const struct weightset *w, const float **dev,
                        float **arena)
{
    const size_t bytes = (size_t)(w->total > 0 ? w->total : 1) * 4;
    enum { H2D = 1 };
    if (rt->malloc_((void **)arena, bytes) != 0 ||
        rt->memcpy_(*arena, w->arena, (size_t)w->total * 4, H2D) != 0)
        return -1;
    for (int i = 0; i < w->wl.n; i++)
        dev[i] = w->ptr[i] ? *arena + (w->ptr[i] - w->arena) : NULL;
    return 0;
}
