/* harness/cuda_rt.h — the CUDA runtime and cuBLAS, loaded with dlopen.
 *
 * build/ablate links nothing from CUDA: libcudart (and libcublas for the
 * sgemm roof) are opened only when a cuda backend is asked for, so the
 * program builds and runs where no toolkit is installed.  Without a device
 * cuda_rt_open fails with "no CUDA device (<cudaGetDeviceCount's error
 * text>)", or with the dlopen error when libcudart itself is missing; the
 * callers turn that into `skipped` rows.
 */
#ifndef ABLATE_CUDA_RT_H
#define ABLATE_CUDA_RT_H

#include <stddef.h>

#include "instance.h"
#include "timing.h"

struct cuda_rt {
    void *dl, *dl_blas;
    int (*get_device_count)(int *);
    const char *(*get_error_string)(int);
    int (*malloc_)(void **, size_t);
    int (*free_)(void *);
    int (*memcpy_)(void *, const void *, size_t, int);
    int (*synchronize)(void);
    int (*event_create)(void **);
    int (*event_record)(void *, void *);
    int (*event_synchronize)(void *);
    int (*event_elapsed)(float *, void *, void *);
    int (*event_destroy)(void *);
    int (*device_attribute)(int *, int, int);
    int (*driver_version)(int *);
    int (*device_properties)(void *, int);
};

struct cuda_device_info {
    char name[256];
    int sm_count, clock_khz, mem_clock_khz, driver_version;
};

/* dlopen libcudart ($ABLATE_CUDART, libcudart.so, libcudart.so.13/.12,
 * /usr/local/cuda/lib64/libcudart.so) and ask for a device.  0, or -1 and
 * the reason in err. */
int cuda_rt_open(struct cuda_rt *rt, char *err, size_t errlen);
void cuda_rt_close(struct cuda_rt *rt);

/* Only the device check: 0 if a device is there, else -1 and the reason. */
int cuda_device_present(char *err, size_t errlen);

int cuda_device_info(struct cuda_rt *rt, struct cuda_device_info *d);

/* Times fn(ctx) (work queued on the default stream) with CUDA events:
 * `warmup` untimed calls, then `samples` calls timed one by one. */
int cuda_time(struct cuda_rt *rt, void (*fn)(void *), void *ctx, int warmup, int samples,
              struct timing_result *r);

/* Roofs of the device: device-to-device copy bandwidth (GB/s, read +
 * written bytes) and cuBLAS sgemm at n x n x n (GFLOP/s); < 0 on error. */
double cuda_copy_gbs(struct cuda_rt *rt, size_t bytes);
double cuda_sgemm_gflops(struct cuda_rt *rt, int n);

/* A cuBLAS handle (libcublas opened with dlopen) for the kernels' sgemm
 * calls; NULL and err when none can be made. */
void *cuda_cublas_handle(char *err, size_t errlen);

/* The weights in one device arena; dev[i] points into it (NULL for the
 * int64 entries).  0, or -1 when a cudaMalloc/cudaMemcpy failed. */
int cuda_upload_weights(struct cuda_rt *rt, const struct weightset *w, const float **dev,
                        float **arena);

#endif
