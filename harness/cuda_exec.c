/* harness/cuda_exec.c — one impl=cuda:VARIANT of a sweep item (cuda_exec.h).
 *
 * Runs inside the sweep's forked child, like every impl.  Without a device
 * the row is `skipped` with cuda_rt_open's reason and nothing is compiled.
 * With one: the device build of the generated .cu is loaded, run once
 * through its host-pointer entry point on the item's input and compared
 * with the CPU reference, then its device entry point (ablate_cuda_forward)
 * is timed with CUDA events on buffers already on the device.
 * Written and compiled here; run only by scripts/gpu_check.sh on a GPU.
 */
#include "cuda_exec.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ablate_cuda.h"
#include "buffers.h"
#include "cuda_gen.h"
#include "cuda_rt.h"

enum { MEMCPY_H2D = 1, WARMUP = 3, SAMPLES = 50, SAMPLES_QUICK = 10 };

static void set(struct impl_report *r, const char *status, const char *msg)
{
    snprintf(r->status, sizeof r->status, "%s", status);
    snprintf(r->message, sizeof r->message, "%s", msg ? msg : "");
    r->done = 1;
}

/* Device copies of the weights (one arena), the input and the output. */
struct device_call {
    ablate_cuda_forward_fn forward;
    const float *w[WEIGHTS_MAX];
    float *arena, *x, *y, *ws;
    struct abl_cu_ctx ctx;
};

static void run_device(void *p)
{
    struct device_call *c = p;
    c->forward(c->w, c->x, c->y, c->ws, &c->ctx);
}

static int device_setup(struct cuda_rt *rt, struct device_call *c, const struct cuda_exec_in *in,
                        int64_t ws_floats)
{
    if (cuda_upload_weights(rt, in->ws, c->w, &c->arena) != 0 ||
        rt->malloc_((void **)&c->x, (size_t)in->nx * 4) != 0 ||
        rt->malloc_((void **)&c->y, (size_t)in->ny * 4) != 0 ||
        rt->malloc_((void **)&c->ws, (size_t)(ws_floats > 0 ? ws_floats : 1) * 4) != 0 ||
        rt->memcpy_(c->x, in->x, (size_t)in->nx * 4, MEMCPY_H2D) != 0)
        return -1;
    return 0;
}

static void check_parity(const struct gen_kernel *k, const struct cuda_exec_in *in,
                         const struct plan_item *it, struct impl_report *r)
{
    float *y = buf_alloc(in->ny);
    if (!y) {
        set(r, "crashed", "out of memory for the output");
        return;
    }
    buf_fill_nan(y, in->ny);
    k->forward((const float *const *)in->ws->ptr, in->x, y, NULL, 1);
    parity_compare(y, in->y_ref, in->ny, &r->par);
    r->checked = 1;
    buf_free(y, in->ny);
    const char *st = parity_status(&r->par, it->inst.op->tol_nmse);
    set(r, st, strcmp(st, "mistrusted") ? "" : "reference output is constant");
}

void cuda_exec_impl(const struct plan_item *it, const char *variant, const struct exec_opts *o,
                    const struct cuda_exec_in *in, struct impl_report *r)
{
    struct cuda_rt rt;
    char err[ERR_MAX];
    if (cuda_rt_open(&rt, err, sizeof err) != 0) {
        set(r, "skipped", err);
        return;
    }
    struct gen_kernel k;
    if (cuda_build(&o->env, &it->inst.args, it->inst.in, variant, CUDA_DEVICE, 1, &k, err,
                   sizeof err) != GEN_OK) {
        set(r, "compile_error", err);
        return;
    }
    check_parity(&k, in, it, r);
    if (!strcmp(r->status, "fail_parity"))
        return;
    struct device_call c;
    memset(&c, 0, sizeof c);
    void *sym = dlsym(k.dl, "ablate_cuda_forward");
    memcpy(&c.forward, &sym, sizeof c.forward);
    c.ctx.cublas = cuda_cublas_handle(err, sizeof err);
    c.ctx.state = calloc(1, ABL_CU_STATE_BYTES); /* the kernel's first-call setup */
    if (!c.forward || !c.ctx.cublas || !c.ctx.state || device_setup(&rt, &c, in, k.info->workspace_floats) != 0) {
        set(r, "crashed", c.forward ? (c.ctx.cublas ? "device buffers: cudaMalloc/cudaMemcpy failed" : err)
                                    : "the device build exports no ablate_cuda_forward");
        return;
    }
    int samples = o->timing.max_samples < SAMPLES ? SAMPLES_QUICK : SAMPLES;
    if (cuda_time(&rt, run_device, &c, WARMUP, samples, &r->t) != 0)
        set(r, "crashed", "a CUDA call failed while timing");
    /* device buffers are left to the child's exit, like the CPU impls' */
}
