/* harness/cuda_info.c — DIR/cuda.json of a sweep with cuda impls: the
 * device (name, SM count, clocks, driver) and its roofs, measured with
 * CUDA events: cuBLAS sgemm at 4096^3 and device-to-device copy bandwidth
 * over 256 MiB.  Without a device the file says why the rows were skipped.
 * Written and compiled here; run only on a GPU (scripts/gpu_check.sh). */
#include "cuda_info.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "cuda_rt.h"

enum { SGEMM_N = 4096, COPY_BYTES = 256 << 20 };

static int plan_has_cuda(const struct plan *p)
{
    for (int i = 0; i < p->n; i++)
        for (int j = 0; j < p->items[i].n_impl; j++)
            if (!strncmp(p->items[i].impl[j], "cuda:", 5))
                return 1;
    return 0;
}

static json_t *device_json(struct cuda_rt *rt)
{
    struct cuda_device_info d;
    json_t *j = json_object();
    if (cuda_device_info(rt, &d) == 0) {
        json_object_set_new(j, "device", json_string(d.name));
        json_object_set_new(j, "sm_count", json_integer(d.sm_count));
        json_object_set_new(j, "clock_mhz", json_real(d.clock_khz / 1e3));
        json_object_set_new(j, "memory_clock_mhz", json_real(d.mem_clock_khz / 1e3));
        json_object_set_new(j, "driver_version", json_integer(d.driver_version));
    }
    json_object_set_new(j, "sgemm_gflops", json_real(cuda_sgemm_gflops(rt, SGEMM_N)));
    json_object_set_new(j, "copy_gbs", json_real(cuda_copy_gbs(rt, COPY_BYTES)));
    json_object_set_new(j, "timing", json_string("CUDA events, 3 warm-up calls, median of 20"));
    return j;
}

/* In a child process: a CUDA context does not survive fork(), and the
 * sweep forks one child per configuration after this. */
static int write_file(const char *dir, char *err, size_t errlen)
{
    struct cuda_rt rt;
    char why[ERR_MAX], path[1024];
    json_t *j;
    if (cuda_rt_open(&rt, why, sizeof why) != 0) {
        j = json_object();
        json_object_set_new(j, "skipped", json_string(why));
    } else {
        j = device_json(&rt);
        cuda_rt_close(&rt);
    }
    snprintf(path, sizeof path, "%s/cuda.json", dir);
    int rc = json_dump_file(j, path, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(j);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot write", path);
        return -1;
    }
    return 0;
}

struct probe_job {
    const char *dir;
};

static int probe_child(void *ctx)
{
    char err[ERR_MAX];
    return write_file(((const struct probe_job *)ctx)->dir, err, sizeof err) == 0 ? 0 : 1;
}

int cuda_info_write(const struct plan *p, const char *dir, char *err, size_t errlen)
{
    if (!plan_has_cuda(p))
        return 0;
    struct probe_job job = {dir};
    char why[256];
    if (run_in_child(probe_child, &job, why, sizeof why) == 0)
        return 0;
    snprintf(err, errlen, "%s/cuda.json: cannot write (the CUDA probe failed: %s)", dir, why);
    return -1;
}
