/* harness/cli_parity_cuda.c — the CUDA lines of `ablate parity`:
 * cuda-host:VARIANT (the generated .cu, host-emulated) and, where a device
 * is present, cuda:VARIANT (the same .cu on the GPU, through its
 * host-pointer entry point). */
#include <stdio.h>
#include <string.h>

#include "buffers.h"
#include "cli_parity.h"
#include "cuda_gen.h"
#include "cuda_rt.h"

/* Runs one built kernel through the plain ABI and prints its line. */
static int run_line(const char *impl, struct gen_kernel *k, const struct weightset *ws,
                    const float *x, const float *expect, float *y, int64_t ny, int threads)
{
    float *wsp = buf_alloc(k->info->workspace_floats * threads);
    buf_fill_nan(y, ny);
    k->forward((const float *const *)ws->ptr, x, y, wsp, threads);
    int ok = parity_report_line(impl, y, expect, ny);
    buf_free(wsp, k->info->workspace_floats * threads);
    gen_unload(k);
    return ok;
}

static int check_build(const struct instance *m, const struct weightset *ws, const float *x,
                       const float *expect, float *y, int64_t ny, int threads,
                       const struct gen_env *env, char names[][GEN_NAME_MAX], int n,
                       enum cuda_build mode)
{
    const char *prefix = mode == CUDA_HOST_EMU ? "cuda-host" : "cuda";
    char err[ERR_MAX];
    int all_ok = 1;
    for (int i = 0; i < n; i++) {
        char impl[64];
        struct gen_kernel k;
        snprintf(impl, sizeof impl, "%s:%s", prefix, names[i]);
        if (cuda_build(env, &m->args, m->in, names[i], mode, 1, &k, err, sizeof err) != GEN_OK) {
            printf("%-12s FAIL  (%s)\n", impl, err);
            all_ok = 0;
            continue;
        }
        all_ok &= run_line(impl, &k, ws, x, expect, y, ny, threads);
    }
    return all_ok;
}

int parity_check_cuda(const struct instance *m, const struct weightset *ws, const float *x,
                      const float *expect, float *y, int64_t ny, int threads, int mask)
{
    struct gen_env env;
    char err[ERR_MAX], names[GEN_VARIANTS_MAX][GEN_NAME_MAX], nvcc[GEN_PATH_MAX];
    if (gen_env_init(&env, err, sizeof err) != 0) {
        printf("cuda:*       not run: %s\n", err);
        return 0;
    }
    int n = cuda_variants(&env, m->op, names, GEN_VARIANTS_MAX, err, sizeof err);
    if (n < 0) {
        printf("cuda:*       not run: %s\n", err);
        return 0;
    }
    if (n == 0) {
        printf("cuda:*       skipped (%s has no CUDA generator yet)\n", m->op->name);
        return 1;
    }
    if (cuda_find_nvcc(nvcc, sizeof nvcc, err, sizeof err) != 0) {
        printf("cuda:*       skipped (%s)\n", err);
        return 1;
    }
    int ok = 1;
    if (mask & PARITY_CUDA_HOST)
        ok &= check_build(m, ws, x, expect, y, ny, threads, &env, names, n, CUDA_HOST_EMU);
    if (mask & PARITY_CUDA) {
        if (cuda_device_present(err, sizeof err) != 0)
            printf("cuda:*       skipped (%s)\n", err);
        else
            ok &= check_build(m, ws, x, expect, y, ny, threads, &env, names, n, CUDA_DEVICE);
    }
    return ok;
}
