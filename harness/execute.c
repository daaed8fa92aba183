/* harness/execute.c — see execute.h. */
#include "execute.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffers.h"
#include "cuda_exec.h"
#include "cuda_gen.h"
#include "onednn_block.h"
#include "paired.h"

void openblas_set_num_threads(int n);

#define GUARD_FLOATS 64
#define GUARD_VALUE 1234.5f /* any value a kernel would not write by accident */

/* Everything one configuration needs, allocated once and kept mapped. */
struct workbench {
    struct weightset ws;
    float *x, *y_ref;
    int64_t nx, ny;
};

struct kernel_call {
    ablate_kernel_forward_fn forward;
    ablate_kernel_forward_prepared_fn forward_prepared; /* with prepared != NULL */
    const float *const *w;
    const float *prepared; /* the kernel's prepared weights, or NULL */
    const float *x;
    float *y, *workspace;
    int64_t workspace_floats;
    int nthreads;
};

/* impl=onednn: the row on oneDNN primitives (harness/onednn_block.h). */
struct vendor_call {
    struct dnn_block blk;
    const float *x;
    float *y;
};

struct ref_call {
    const struct instance *inst;
    const struct weightset *ws;
    const float *x;
    float *y;
};

static void run_kernel(void *ctx)
{
    struct kernel_call *k = ctx;
    if (k->prepared)
        k->forward_prepared(k->w, k->prepared, k->x, k->y, k->workspace, k->nthreads);
    else
        k->forward(k->w, k->x, k->y, k->workspace, k->nthreads);
}

static void run_vendor(void *ctx)
{
    struct vendor_call *v = ctx;
    dnn_block_run(&v->blk, v->x, v->y);
}

static void run_ref(void *ctx)
{
    struct ref_call *r = ctx;
    r->inst->op->forward_ref(&r->inst->args, r->inst->in, (const float *const *)r->ws->ptr, r->x, r->y);
}

uint64_t execute_seed(const struct instance *inst, uint64_t sweep_seed)
{
    char desc[PLAN_DESC_MAX];
    instance_desc(inst, desc, sizeof desc);
    return hash_str(desc) ^ (sweep_seed * 0x9E3779B97F4A7C15ull);
}

static void report(struct impl_report *r, const char *status, const char *msg)
{
    snprintf(r->status, sizeof r->status, "%s", status);
    snprintf(r->message, sizeof r->message, "%s", msg ? msg : "");
    r->done = 1;
}

static int bench_setup(struct workbench *b, const struct plan_item *it, const struct exec_opts *o,
                       char *err, size_t errlen)
{
    const struct instance *m = &it->inst;
    b->nx = (int64_t)m->in.n * m->in.c * m->in.h * m->in.w;
    b->ny = (int64_t)m->out.n * m->out.c * m->out.h * m->out.w;
    if (weights_alloc(&b->ws, m, err, errlen) != 0)
        return -1;
    b->x = buf_alloc(b->nx);
    b->y_ref = buf_alloc(b->ny);
    if (!b->x || !b->y_ref) {
        snprintf(err, errlen, "out of memory for the input/output buffers");
        return -1;
    }
    uint64_t seed = execute_seed(m, o->seed);
    weights_init(&b->ws, m, o->init, seed);
    struct rng r;
    rng_seed(&r, seed + 1);
    for (int64_t i = 0; i < b->nx; i++)
        b->x[i] = rng_normal(&r);
    return 0;
}

static int guard_intact(const float *y, int64_t n)
{
    for (int i = 0; i < GUARD_FLOATS; i++)
        if (y[n + i] != GUARD_VALUE)
            return 0;
    return 1;
}

/* The call of generated kernel gk on the workbench's input, with its own
 * workspace and an output followed by guard floats.  A kernel with a
 * prepared path (ablate_kernel.h) has its weights prepared here, once and
 * untimed, and runs forward_prepared: the weights are constant, as in a
 * model graph (harness/model_bench.c) and the deployment engines, which
 * pack them once too (docs/measurement.md).  0, or -1 when out of
 * memory. */
static int kernel_call_setup(const struct plan_item *it, const struct workbench *b, const struct gen_kernel *gk,
                             struct kernel_call *call)
{
    call->forward = gk->forward;
    call->forward_prepared = NULL;
    call->prepared = NULL;
    call->w = (const float *const *)b->ws.ptr;
    call->x = b->x;
    call->nthreads = it->threads;
    call->workspace_floats = gk->info->workspace_floats * it->threads;
    call->workspace = buf_alloc(call->workspace_floats);
    call->y = buf_alloc(b->ny + GUARD_FLOATS);
    if (!call->workspace || !call->y)
        return -1;
    buf_fill_nan(call->y, b->ny);
    for (int i = 0; i < GUARD_FLOATS; i++)
        call->y[b->ny + i] = GUARD_VALUE;
    if (gk->prepare) {
        float *prepared = buf_alloc(gk->info->prepared_floats);
        if (!prepared)
            return -1;
        gk->prepare(call->w, prepared, it->threads);
        call->forward_prepared = gk->forward_prepared;
        call->prepared = prepared;
    }
    return 0;
}

/* One call on poisoned output with a guard zone after it, checked against
 * the reference; `note` goes into the message of a passing impl. */
static int first_run(const struct plan_item *it, const struct workbench *b, timed_fn fn, void *ctx,
                     float *y, struct impl_report *r, double *first_s, const char *note)
{
    buf_fill_nan(y, b->ny);
    for (int i = 0; i < GUARD_FLOATS; i++)
        y[b->ny + i] = GUARD_VALUE;
    double t0 = now_s();
    fn(ctx);
    *first_s = now_s() - t0;
    parity_compare(y, b->y_ref, b->ny, &r->par);
    r->checked = 1;
    if (!guard_intact(y, b->ny)) {
        report(r, "fail_parity", "wrote past the end of its output");
        return -1;
    }
    const char *st = parity_status(&r->par, it->inst.op->tol_nmse);
    report(r, st, strcmp(st, "mistrusted") ? note : "reference output is constant");
    r->done = 0; /* timing still to come */
    return strcmp(st, "fail_parity") ? 0 : -1;
}

/* Builds, runs once (poisoned output) and checks one generated variant:
 * impl "gen:VARIANT" (C) or "cuda-host:VARIANT" (the .cu, host-emulated). */
static int prepare_gen(const struct plan_item *it, const char *impl, const struct exec_opts *o,
                       struct workbench *b, struct gen_kernel *gk, struct kernel_call *call,
                       struct impl_report *r, double *first_s)
{
    char err[ERR_MAX];
    int cuda_host = !strncmp(impl, "cuda-host:", 10);
    const char *variant = strchr(impl, ':') + 1;
    enum gen_status gs = cuda_host ? cuda_build(&o->env, &it->inst.args, it->inst.in, variant,
                                                CUDA_HOST_EMU, 1, gk, err, sizeof err)
                                   : gen_build(&o->env, &it->inst.args, it->inst.in, variant, gk,
                                               err, sizeof err);
    if (gs != GEN_OK) {
        report(r, "compile_error", err);
        return -1;
    }
    if (kernel_call_setup(it, b, gk, call) != 0) {
        report(r, "crashed", "out of memory for the kernel's buffers");
        return -1;
    }
    return first_run(it, b, run_kernel, call, call->y, r, first_s, "");
}

/* Builds the row on oneDNN, runs it once (poisoned output) and checks it. */
static int prepare_vendor(const struct plan_item *it, const struct exec_opts *o, struct workbench *b,
                          struct vendor_call *v, struct impl_report *r, double *first_s)
{
    char err[ERR_MAX], what[160];
    const struct instance *m = &it->inst;
    const char *why_not = dnn_block_unsupported(m->op, m->in);
    if (why_not) {
        snprintf(err, sizeof err, "%s: %s", m->op->name, why_not);
        report(r, "skipped", err);
        return -1;
    }
    if (dnn_block_create(&v->blk, m->op, &m->args, m->in, (const float *const *)b->ws.ptr, it->threads,
                         DNN_AUTO, err, sizeof err) != 0) {
        report(r, "crashed", err);
        return -1;
    }
    v->x = b->x;
    if (!(v->y = buf_alloc(b->ny + GUARD_FLOATS))) {
        report(r, "crashed", "out of memory for the output");
        return -1;
    }
    dnn_block_describe(&v->blk, what, sizeof what);
    return first_run(it, b, run_vendor, v, v->y, r, first_s, what);
}

/* The baseline's generated kernels, built in a module's child so the two
 * are timed in one interleaved loop.  Their parity was checked by the
 * baseline's own item; here they only run. */
struct paired_base {
    struct workbench b;
    struct gen_kernel gk[PLAN_IMPLS_MAX];
    struct kernel_call calls[PLAN_IMPLS_MAX];
    double first_s[PLAN_IMPLS_MAX];
    int n;
};

/* The ratio is to the fastest baseline kernel: one whose first call took
 * more than twice the fastest one's is not it, and timing it beside every
 * module configuration would only cost time (Conv's direct variant is
 * ~10x its gemm at YOLOv8n's shapes). */
static void drop_slow_kernels(struct paired_base *pb)
{
    double fastest = 0;
    for (int k = 0; k < pb->n; k++)
        fastest = k == 0 || pb->first_s[k] < fastest ? pb->first_s[k] : fastest;
    int kept = 0;
    for (int k = 0; k < pb->n; k++)
        if (pb->first_s[k] <= 2 * fastest) {
            pb->calls[kept] = pb->calls[k];
            pb->first_s[kept++] = pb->first_s[k];
        }
    pb->n = kept; /* the dropped ones stay mapped: the child exits after this item */
}

static void prepare_base(const struct plan_item *base, const struct exec_opts *o, struct paired_base *pb)
{
    char err[ERR_MAX];
    memset(pb, 0, sizeof *pb);
    if (bench_setup(&pb->b, base, o, err, sizeof err) != 0)
        return; /* no ratio then; the module's own rows are unaffected */
    for (int i = 0; i < base->n_impl && pb->n < PLAN_IMPLS_MAX; i++) {
        struct gen_kernel *gk = &pb->gk[pb->n];
        if (strncmp(base->impl[i], "gen:", 4) ||
            gen_build(&o->env, &base->inst.args, base->inst.in, base->impl[i] + 4, gk, err, sizeof err) != GEN_OK ||
            kernel_call_setup(base, &pb->b, gk, &pb->calls[pb->n]) != 0)
            continue;
        double t0 = now_s();
        run_kernel(&pb->calls[pb->n]);
        pb->first_s[pb->n++] = now_s() - t0;
    }
    drop_slow_kernels(pb);
}

/* The oracle is timed alone with a few calls: it is slow by design and its
 * time is shown for scale, not as a competitor. */
static void time_ref(struct ref_call *rc, double first_s, const struct exec_opts *o,
                     struct impl_report *r)
{
    struct timed_impl t = {.fn = run_ref, .ctx = rc, .first_call_s = first_s};
    struct timing_opts to = o->timing;
    to.min_samples = 1;
    to.max_samples = first_s > 0.5 ? 1 : 3;
    to.min_time_s = 0;
    to.retries = 0;
    timing_opts_for_threads(&to, 1); /* the scalar oracle runs on one thread */
    if (timing_run(&t, 1, &to, NULL, NULL) != 0) {
        report(r, "crashed", TIMING_OOM);
        return;
    }
    r->t = t.result;
    report(r, "ok", "");
}

static void set_current(void *arg, int i)
{
    struct exec_shared *sh = ((void **)arg)[0];
    const int *map = ((void **)arg)[1];
    sh->current = map[i];
}

/* Index of the fastest of timed[from..to), or -1 when none has a median. */
static int fastest(const struct timed_impl *timed, int from, int to)
{
    int best = -1;
    for (int k = from; k < to; k++)
        if (timed[k].result.samples > 0 && (best < 0 || timed[k].result.median_ms < timed[best].result.median_ms))
            best = k;
    return best;
}

/* Each of the first n_own impls over the fastest of the baseline's kernels
 * timed beside them, timed[ref_from..ref_to). */
static void fill_ratios(struct exec_shared *sh, const int *map, const struct timed_impl *timed, int n_own,
                        int ref_from, int ref_to, struct timing_samples *keep)
{
    int best = fastest(timed, ref_from, ref_to);
    for (int k = 0; k < n_own && best >= 0; k++) {
        struct paired_ratio pr;
        paired_ratio(&keep[k], &keep[best], &pr);
        struct impl_report *r = &sh->r[map[k]];
        r->ratio = pr.ratio, r->ratio_lo = pr.lo, r->ratio_hi = pr.hi;
    }
}

/* Builds, checks and times the generated, host-emulated CUDA and oneDNN
 * impls of it in one interleaved loop (with the baseline's kernels beside
 * them when o->base is set and it is a module: its ratio to the baseline
 * from one process); impl=cuda:* runs on the device by itself. */
static void time_impls(const struct plan_item *it, const struct exec_opts *o, struct workbench *b,
                       struct exec_shared *sh)
{
    struct gen_kernel gk[PLAN_IMPLS_MAX];
    struct kernel_call calls[PLAN_IMPLS_MAX];
    struct timed_impl timed[TIMING_IMPLS_MAX];
    struct timing_samples keep[TIMING_IMPLS_MAX];
    int map[TIMING_IMPLS_MAX], n_timed = 0;
    struct vendor_call vendor; /* impl=onednn: at most one per item */
    memset(gk, 0, sizeof gk);
    memset(keep, 0, sizeof keep);
    memset(&vendor, 0, sizeof vendor);
    for (int i = 0; i < it->n_impl; i++) {
        int is_vendor = !strcmp(it->impl[i], "onednn");
        if (sh->r[i].done)
            continue;
        sh->current = i;
        if (!strncmp(it->impl[i], "cuda:", 5)) {
            struct cuda_exec_in in = {&b->ws, b->x, b->y_ref, b->nx, b->ny};
            cuda_exec_impl(it, it->impl[i] + 5, o, &in, &sh->r[i]);
            continue;
        }
        if (strncmp(it->impl[i], "gen:", 4) && strncmp(it->impl[i], "cuda-host:", 10) && !is_vendor)
            continue;
        double first_s = 0;
        if (is_vendor ? prepare_vendor(it, o, b, &vendor, &sh->r[i], &first_s)
                      : prepare_gen(it, it->impl[i], o, b, &gk[i], &calls[i], &sh->r[i], &first_s)) {
            sh->r[i].done = 1;
            continue;
        }
        timed[n_timed] = (struct timed_impl){.fn = is_vendor ? run_vendor : run_kernel,
                                             .ctx = is_vendor ? (void *)&vendor : (void *)&calls[i],
                                             .first_call_s = first_s, .keep = &keep[n_timed]};
        map[n_timed++] = i;
    }
    /* Kept (never freed): the child exits after this item. */
    struct paired_base *pb = o->base && !strcmp(it->role, "module") && n_timed > 0 ? calloc(1, sizeof *pb) : NULL;
    if (pb)
        prepare_base(o->base, o, pb);
    int n_base = pb ? pb->n : 0, paired = n_base > 0;
    n_base = n_timed + n_base <= TIMING_IMPLS_MAX ? n_base : TIMING_IMPLS_MAX - n_timed;
    for (int k = 0; k < n_base; k++) {
        timed[n_timed + k] = (struct timed_impl){.fn = run_kernel, .ctx = &pb->calls[k],
                                                 .first_call_s = pb->first_s[k], .keep = &keep[n_timed + k]};
        map[n_timed + k] = -1; /* a crash here is no impl's of this item */
    }
    int n_all = n_timed + n_base;
    void *arg[2] = {sh, map};
    struct timing_opts to = o->timing;
    timing_opts_for_threads(&to, it->threads);
    int timed_ok = timing_run(timed, n_all, &to, set_current, arg) == 0;
    if (paired && timed_ok)
        fill_ratios(sh, map, timed, n_timed, n_timed, n_all, keep);
    for (int k = 0; k < n_timed; k++) {
        struct impl_report *r = &sh->r[map[k]];
        if (!timed_ok) {
            report(r, "crashed", TIMING_OOM);
            continue;
        }
        r->t = timed[k].result;
        int is_vendor = timed[k].fn == run_vendor;
        if (!guard_intact(is_vendor ? vendor.y : calls[map[k]].y, b->ny))
            snprintf(r->status, sizeof r->status, "fail_parity");
        if (is_vendor && dnn_block_failed(&vendor.blk))
            report(r, "crashed", "a oneDNN call failed while timed");
        r->done = 1;
    }
    for (int k = 0; k < n_all; k++)
        timing_samples_free(&keep[k]);
}

void execute_item(const struct plan_item *it, const struct exec_opts *o, struct exec_shared *sh)
{
    struct workbench b;
    char err[ERR_MAX];
    memset(&b, 0, sizeof b);
    openblas_set_num_threads(1); /* kernels call BLAS inside their own OpenMP regions */
    for (int i = 0; i < it->n_impl; i++)
        if (!sh->r[i].done)
            sh->r[i].ratio = sh->r[i].ratio_lo = sh->r[i].ratio_hi = NAN;
    if (bench_setup(&b, it, o, err, sizeof err) != 0) {
        for (int i = 0; i < it->n_impl; i++)
            if (!sh->r[i].done)
                report(&sh->r[i], "crashed", err);
        return;
    }
    struct ref_call rc = {&it->inst, &b.ws, b.x, b.y_ref};
    int ref_idx = -1;
    for (int i = 0; i < it->n_impl; i++)
        ref_idx = strcmp(it->impl[i], "ref") ? ref_idx : i;
    sh->current = ref_idx;
    double t0 = now_s();
    run_ref(&rc); /* always: the parity oracle */
    double ref_s = now_s() - t0;
    if (ref_idx >= 0 && !sh->r[ref_idx].done)
        time_ref(&rc, ref_s, o, &sh->r[ref_idx]);

    time_impls(it, o, &b, sh);
    sh->current = -1;
    /* Buffers and kernels stay mapped: this runs in a child that exits next. */
}
