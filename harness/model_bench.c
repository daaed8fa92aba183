/* harness/model_bench.c — `ablate model --bench`.  Each layer gets random
 * weights (its row's init, INIT_RANDOM) and, where its row has a
 * generator, the generator's first variant built for that exact shape
 * (or, where the generator asks for it, the fastest of its variants by a
 * short timing of each: variant_pick.h);
 * a row without one (none today; merged rows may lack one) runs its scalar
 * reference and the table says so.  Per layer: the timing loop of timing.c on the layer alone; then the
 * whole graph end to end (the layers' kernels on the graph's own buffers,
 * Concat copies and Detect's level packing included, where the producers
 * do not write in place), and that graph's
 * output against the same graph run on the references (MODULES.md 0.2);
 * the timed graph runs also clock each layer (layer_clock), so the table
 * shows where the end-to-end time goes beside each layer's time alone
 * (docs/measurement.md).  Printing: model_print.c.  Batch 1, one image size; n' > 1 copies of a non-CSP row are refused.
 * Every buffer is allocated and pre-faulted once (buffers.c) and reused by
 * every run; the layers share one workspace and their output maps share
 * buffers by lifetime (model_arena.c), and kernels with a prepared path
 * (the Winograd weights) are prepared once at setup, since the graph's
 * weights are constant.  On a shared 2-core machine a co-tenant stalls the
 * OpenMP barriers of a whole-graph run (~100 ms long) far more often than
 * those of a 1 ms layer, so the line reports the co-tenants' load too. */
#include "model_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffers.h"
#include "model_bench_internal.h"
#include "model_internal.h"
#include "rng.h"
#include "vcpu_gate.h"

/* A timed call: one layer or the whole graph in one mode. */
struct layer_call {
    const struct layer_run *r;
    enum run_mode mode;
};

/* Each layer's seconds in the graph runs (its input gathering included),
 * one row per run, the last `cap` runs kept: where the end-to-end time
 * goes, beside the layers timed alone. */
struct layer_clock {
    double *s; /* cap rows of nlayers */
    int cap, n; /* n: runs recorded (rows wrap past cap) */
};

#define GRAPH_CLOCK_ROWS 512 /* graph runs whose layer times are kept */

struct graph_call {
    struct graph *g;
    enum run_mode mode;
    struct layer_clock *clock; /* NULL: not recorded */
};

static int64_t numel(struct shape4 s) { return (int64_t)s.n * s.c * s.h * s.w; }

static int64_t input_floats(const struct graph *g, int i)
{
    const struct model_layer *L = &g->m->layers[i];
    int64_t n = 0;
    for (int k = 0; k < L->nfrom; k++)
        n += L->src[k] < 0 ? 3LL * g->size * g->size : numel(g->shapes[L->src[k]]);
    return n;
}

/* nn.Upsample(scale s, nearest) of a c x h x w map: each output row built
 * once from its input row (s copies of every pixel, a loop gcc vectorises:
 * no divisions per element), the other s - 1 rows copied from it.  On the
 * graph's own threads, a serial copy would idle them. */
static void upsample_nearest(const float *x, struct shape4 in, int s, float *y, int threads)
{
    const int wo = in.w * s, rows = in.c * in.h;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int r = 0; r < rows; r++) {
        const float *src = x + (int64_t)r * in.w;
        float *dst = y + (int64_t)r * s * wo; /* input row r = (c, i): output rows c*ho + i*s .. */
        for (int j = 0; j < in.w; j++)
            for (int k = 0; k < s; k++)
                dst[j * s + k] = src[j];
        for (int k = 1; k < s; k++)
            memcpy(dst + (int64_t)k * wo, dst, sizeof(float) * (size_t)wo);
    }
}

/* One call of layer r from x into y (Concat and Detect: x holds the
 * inputs one after another). */
static void call_layer(const struct layer_run *r, enum run_mode mode, const float *x, float *y)
{
    const struct model_layer *L = &r->m->layers[r->i];
    if (L->kind == LAYER_UPSAMPLE)
        upsample_nearest(x, r->inst.in, L->upsample, y, r->threads);
    else if (L->kind == LAYER_CONCAT)
        memcpy(y, x, sizeof(float) * (size_t)r->ncopy); /* what the graph copies */
    else if (mode == RUN_VENDOR && r->vendor)
        dnn_block_run(r->vendor, x, y);
    else if (r->have_kernel && mode != RUN_REF && r->prepared)
        r->k.forward_prepared((const float *const *)r->ws.ptr, r->prepared, x, y, r->work, r->threads);
    else if (r->have_kernel && mode != RUN_REF)
        r->k.forward((const float *const *)r->ws.ptr, x, y, r->work, r->threads);
    else
        L->op->forward_ref(&r->inst.args, r->inst.in, (const float *const *)r->ws.ptr, x, y);
}

static void time_layer(void *ctx)
{
    const struct layer_call *c = ctx;
    call_layer(c->r, c->mode, c->r->x, c->r->y);
}

/* The whole graph: inputs gathered (Concat, Detect) into one buffer,
 * where their producers did not write them there already. */
static void run_graph(void *ctx)
{
    const struct graph_call *gc = ctx;
    struct graph *g = gc->g;
    struct layer_clock *clk = gc->clock;
    double *row = clk ? clk->s + (int64_t)(clk->n % clk->cap) * g->m->nlayers : NULL, t = now_s();
    for (int i = 0; i < g->m->nlayers; i++) {
        const struct model_layer *L = &g->m->layers[i];
        const float *x = L->src[0] < 0 ? g->image : g->outs[L->src[0]];
        if (L->nfrom > 1) { /* the maps not written in place (model_arena.h) */
            (void)model_arena_gather(&g->arena, g->m, g->shapes, g->size, i, g->outs, g->image);
            x = g->arena.gather[i];
        }
        if (L->kind != LAYER_CONCAT)
            call_layer(&g->runs[i], gc->mode, x, g->outs[i]);
        if (row) {
            double t1 = now_s();
            row[i] = t1 - t, t = t1;
        }
    }
    if (clk)
        clk->n++;
}

/* Random weights, the generated kernel if the row has a generator, own
 * buffers.  0, or -1 with err. */
static int layer_setup(struct graph *g, const struct gen_env *env, int i, int threads,
                       char *err, size_t errlen)
{
    const struct model_layer *L = &g->m->layers[i];
    struct layer_run *r = &g->runs[i];
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], e[ERR_MAX];
    r->m = g->m, r->i = i, r->threads = threads;
    r->inst.in = model_layer_input(g->m, i, g->shapes, g->size);
    r->nx = input_floats(g, i), r->ny = numel(g->shapes[i]);
    if (!(r->x = buf_alloc(r->nx)) || !(r->y = buf_alloc(r->ny)))
        return layer_fail(g->m, i, err, errlen, "out of memory");
    struct rng rg;
    rng_seed(&rg, 1000 + (uint64_t)i);
    for (int64_t k = 0; k < r->nx; k++)
        r->x[k] = rng_normal(&rg);
    if (L->kind != LAYER_OP)
        return 0;
    if (L->copies > 1)
        return layer_fail(g->m, i, err, errlen, "--bench: %d copies of %s (n' > 1 outside a CSP "
                          "block) are not supported", L->copies, L->op->name);
    r->inst.op = L->op, r->inst.args = L->args, r->inst.out = g->shapes[i];
    if (weights_alloc(&r->ws, &r->inst, e, sizeof e) != 0)
        return layer_fail(g->m, i, err, errlen, "%s", e);
    weights_init(&r->ws, &r->inst, INIT_RANDOM, 2000 + (uint64_t)i);
    int nv = gen_variants(env, L->op, names, GEN_VARIANTS_MAX, e, sizeof e);
    if (nv < 1)
        return 0; /* no generator: the reference */
    if (nv > 1 && gen_pick_by_timing(env, L->op)) {
        if (variant_pick(env, &r->inst, (const float *const *)r->ws.ptr, r->x, r->y, threads, names,
                         nv, g->picks, &r->k, &r->pick, e, sizeof e) != 0)
            return layer_fail(g->m, i, err, errlen, "%s", e);
    } else if (gen_build(env, &L->args, r->inst.in, names[0], &r->k, e, sizeof e) != GEN_OK)
        return layer_fail(g->m, i, err, errlen, "%s", e);
    r->have_kernel = 1;
    r->nwork = r->k.info->workspace_floats * threads;
    if (r->k.prepare) { /* the graph's weights are constant: transform them once, as engines do */
        r->nprepared = r->k.info->prepared_floats;
        if (!(r->prepared = buf_alloc(r->nprepared)))
            return layer_fail(g->m, i, err, errlen, "out of memory");
        r->k.prepare((const float *const *)r->ws.ptr, r->prepared, threads);
    }
    if (!g->vendor || !dnn_block_supports(L->op))
        return 0;
    if (!(r->vendor = calloc(1, sizeof *r->vendor)))
        return layer_fail(g->m, i, err, errlen, "out of memory");
    if (dnn_block_create(r->vendor, L->op, &L->args, r->inst.in, (const float *const *)r->ws.ptr,
                         threads, DNN_AUTO, e, sizeof e) != 0) {
        free(r->vendor), r->vendor = NULL;
        return layer_fail(g->m, i, err, errlen, "%s", e);
    }
    return 0;
}

static void layer_free(struct layer_run *r)
{
    if (r->have_kernel)
        gen_unload(&r->k);
    if (r->vendor)
        dnn_block_free(r->vendor);
    free(r->vendor);
    if (r->inst.op)
        weights_free(&r->ws);
    buf_free(r->prepared, r->nprepared);
    buf_free(r->x, r->nx);
    buf_free(r->y, r->ny);
}

static int graph_setup(struct graph *g, const struct model *m, int size, int threads, int vendor,
                       char *err, size_t errlen)
{
    struct gen_env env;
    memset(g, 0, sizeof *g);
    g->m = m, g->size = size, g->vendor = vendor;
    g->runs = calloc((size_t)m->nlayers, sizeof *g->runs);
    g->shapes = calloc((size_t)m->nlayers, sizeof *g->shapes);
    g->outs = calloc((size_t)m->nlayers, sizeof *g->outs);
    if (!g->runs || !g->shapes || !g->outs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (model_shapes(m, size, g->shapes, err, errlen) != 0 || gen_env_init(&env, err, errlen) != 0)
        return -1;
    snprintf(g->picks, sizeof g->picks, "%s/gen/variant_picks.txt", env.build);
    for (int i = 0; i < m->nlayers; i++) {
        if (layer_setup(g, &env, i, threads, err, errlen) != 0)
            return -1;
        g->nwork = g->runs[i].nwork > g->nwork ? g->runs[i].nwork : g->nwork;
    }
    /* the layers run one after another: one workspace for all (a kernel's
     * workspace holds nothing between calls), so it stays in cache */
    if (!(g->work = buf_alloc(g->nwork > 0 ? g->nwork : 1)) || model_arena_plan(&g->arena, m, g->shapes, size, g->outs)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < m->nlayers; i++) {
        g->runs[i].work = g->work;
        g->runs[i].ncopy = model_arena_copies(&g->arena, m, g->shapes, size, i, g->outs);
    }
    struct rng rg;
    rng_seed(&rg, 7);
    if (!(g->image = buf_alloc(3LL * size * size))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int64_t k = 0; k < 3LL * size * size; k++)
        g->image[k] = rng_normal(&rg);
    return 0;
}

static void graph_free(struct graph *g)
{
    for (int i = 0; g->runs && i < g->m->nlayers; i++)
        layer_free(&g->runs[i]);
    model_arena_free(&g->arena);
    buf_free(g->work, g->nwork > 0 ? g->nwork : 1);
    buf_free(g->image, 3LL * g->size * g->size);
    free(g->runs);
    free(g->shapes);
    free(g->outs);
}

/* One untimed call's duration: seeds timing_run's sample count (without
 * it every layer and the graph got max_samples, 400 graph runs). */
static double first_call_s(void (*fn)(void *), void *ctx)
{
    double t0 = now_s();
    fn(ctx);
    return now_s() - t0;
}

/* The generated graph's output (and the oneDNN graph's, with vendor)
 * against the reference graph's: p[RUN_GEN], p[RUN_VENDOR]. */
static int graph_parity(struct graph *g, struct parity p[3])
{
    int last = g->m->nlayers - 1;
    int64_t n = numel(g->shapes[last]);
    float *ref = buf_alloc(n);
    if (!ref)
        return -1;
    struct graph_call c = {g, RUN_REF, NULL};
    run_graph(&c);
    memcpy(ref, g->outs[last], sizeof(float) * (size_t)n);
    for (int mode = RUN_GEN; mode <= RUN_VENDOR; mode++) {
        if (mode == RUN_REF || (mode == RUN_VENDOR && !g->vendor))
            continue;
        c.mode = (enum run_mode)mode;
        run_graph(&c);
        parity_compare(g->outs[last], ref, n, &p[mode]);
    }
    buf_free(ref, n);
    return 0;
}

/* 1 if some layer's oneDNN calls failed (that graph's output is garbage). */
static int vendor_failed(const struct graph *g)
{
    for (int i = 0; i < g->m->nlayers; i++)
        if (g->runs[i].vendor && dnn_block_failed(g->runs[i].vendor))
            return 1;
    return 0;
}

/* Layer i alone, generated and (where it has one) oneDNN interleaved. */
static int time_one_layer(struct graph *g, int i, const struct timing_opts *o, double *ms, double *vms)
{
    struct layer_call c[2] = {{&g->runs[i], RUN_GEN}, {&g->runs[i], RUN_VENDOR}};
    struct timed_impl t[2];
    int n = g->runs[i].vendor ? 2 : 1;
    for (int k = 0; k < n; k++)
        t[k] = (struct timed_impl){.fn = time_layer, .ctx = &c[k], .first_call_s = first_call_s(time_layer, &c[k])};
    if (timing_run(t, n, o, NULL, NULL) != 0)
        return -1;
    *ms = t[0].result.median_ms;
    *vms = n > 1 ? t[1].result.median_ms : 0;
    return 0;
}

/* The whole graph, generated and (vendor) oneDNN-conv interleaved. */
/* Per layer, the median of its seconds over the graph runs clk recorded,
 * in ms (gms). */
static void clock_medians(const struct layer_clock *clk, int nlayers, double *gms)
{
    int rows = clk->n < clk->cap ? clk->n : clk->cap;
    double col[GRAPH_CLOCK_ROWS];
    struct timing_result r;
    for (int i = 0; i < nlayers; i++) {
        for (int k = 0; k < rows; k++)
            col[k] = clk->s[(int64_t)k * nlayers + i];
        timing_stats(col, rows, &r);
        gms[i] = rows > 0 ? r.median_ms : 0;
    }
}

/* The whole graph, generated and (vendor) oneDNN-conv interleaved; the
 * generated graph's runs also time each of its layers (b->gms). */
static int time_graphs(struct graph *g, const struct timing_opts *o, struct bench_out *b)
{
    int nl = g->m->nlayers;
    struct layer_clock clk = {calloc((size_t)GRAPH_CLOCK_ROWS * (size_t)nl, sizeof(double)), GRAPH_CLOCK_ROWS, 0};
    struct graph_call c[2] = {{g, RUN_GEN, &clk}, {g, RUN_VENDOR, NULL}};
    struct timed_impl t[2];
    int n = g->vendor ? 2 : 1;
    if (!clk.s)
        return -1;
    for (int k = 0; k < n; k++)
        t[k] = (struct timed_impl){.fn = run_graph, .ctx = &c[k], .first_call_s = first_call_s(run_graph, &c[k])};
    clk.n = 0; /* the first call ran on cold caches: not a graph run like the timed ones */
    if (timing_run(t, n, o, NULL, NULL) != 0) {
        free(clk.s);
        return -1;
    }
    clock_medians(&clk, nl, b->gms);
    free(clk.s);
    b->e2e[RUN_GEN] = t[0].result;
    if (n > 1)
        b->e2e[RUN_VENDOR] = t[1].result;
    return 0;
}

int model_bench(const struct model *m, int imgsz, int threads, int quick, int vendor, double *e2e_ms,
                char *err, size_t errlen)
{
    struct graph g;
    struct timing_opts o;
    struct bench_out b = {0};
    double *ms = calloc(3 * (size_t)m->nlayers, sizeof *ms);
    int rc = ms ? graph_setup(&g, m, imgsz, threads, vendor, err, errlen) : -1;
    if (!ms)
        snprintf(err, errlen, "out of memory");
    b.ms = ms, b.vms = ms ? ms + m->nlayers : NULL, b.gms = ms ? ms + 2 * m->nlayers : NULL;
    timing_opts_default(&o, quick);
    timing_opts_for_threads(&o, threads);
    /* The layers share one placement budget; the end-to-end timing, the
     * headline, gets a budget of its own. */
    struct vcpu_gate layers_gate;
    struct timing_opts lo = o;
    vcpu_gate_init(&layers_gate, o.placement_wait_s);
    lo.gate = &layers_gate;
    for (int i = 0; rc == 0 && i < m->nlayers; i++) {
        if ((rc = time_one_layer(&g, i, &lo, &ms[i], &ms[m->nlayers + i])) != 0) {
            snprintf(err, errlen, TIMING_OOM);
            break;
        }
        b.sum += ms[i], b.flops += model_layer_flops(&g, i);
        b.vsum += g.runs[i].vendor ? ms[m->nlayers + i] : ms[i];
    }
    if (rc == 0 && (rc = graph_parity(&g, b.par)) != 0)
        snprintf(err, errlen, "out of memory");
    if (rc == 0 && (rc = time_graphs(&g, &o, &b)) != 0)
        snprintf(err, errlen, TIMING_OOM);
    if (rc == 0) {
        for (int k = RUN_GEN; k <= RUN_VENDOR; k++)
            b.ok[k] = b.par[k].n_nonfinite == 0 && b.par[k].n_bad == 0;
        b.ok[RUN_VENDOR] &= !vendor_failed(&g);
        *e2e_ms = b.e2e[RUN_GEN].median_ms;
        model_print_bench(&g, &b, threads);
        rc = b.ok[RUN_GEN] && (!vendor || b.ok[RUN_VENDOR]) ? 0 : 1;
    }
    if (ms)
        graph_free(&g);
    free(ms);
    return rc;
}

/* 1 when the graph's last output holds only finite numbers. */
static int graph_finite(const struct graph *g)
{
    int last = g->m->nlayers - 1;
    const float *y = g->outs[last];
    for (int64_t k = 0; k < numel(g->shapes[last]); k++)
        if (!(y[k] - y[k] == 0))
            return 0;
    return 1;
}

/* 1 when every layer of m accepts its input at size x size. */
static int model_fits(const struct model *m, int size)
{
    char e[ERR_MAX];
    struct shape4 *shapes = calloc((size_t)m->nlayers, sizeof *shapes);
    int ok = shapes && model_shapes(m, size, shapes, e, sizeof e) == 0;
    free(shapes);
    return ok;
}

/* Parity of m at `size`, in a graph of its own that is freed after. */
static int parity_at(const struct model *m, int size, int threads, struct parity *p, char *err, size_t errlen)
{
    struct graph g;
    struct parity par[3]; /* indexed by run_mode; only RUN_GEN is read here */
    int rc = graph_setup(&g, m, size, threads, 0, err, errlen);
    if (rc == 0 && (rc = graph_parity(&g, par)) != 0)
        snprintf(err, errlen, "out of memory");
    if (rc == 0)
        *p = par[RUN_GEN];
    if (g.runs)
        graph_free(&g);
    return rc;
}

int model_bench_pair(const struct model *m, const struct model *base, int imgsz, int parity_size, int threads,
                     int quick, struct model_pair_result *r, char *err, size_t errlen)
{
    struct graph g, gb;
    struct timing_opts o;
    memset(r, 0, sizeof *r);
    memset(&g, 0, sizeof g), memset(&gb, 0, sizeof gb);
    r->parity_size = parity_size;
    while (r->parity_size < imgsz && !model_fits(m, r->parity_size))
        r->parity_size += 32; /* e.g. ACmix's 7x7 reflection padding needs P5 maps of 4x4 */
    int rc = parity_at(m, r->parity_size, threads, &r->par, err, errlen);
    if (rc == 0)
        rc = graph_setup(&g, m, imgsz, threads, 0, err, errlen);
    if (rc == 0)
        rc = graph_setup(&gb, base, imgsz, threads, 0, err, errlen);
    struct timing_samples keep[2] = {{0}};
    struct graph_call c[2] = {{&g, RUN_GEN, NULL}, {&gb, RUN_GEN, NULL}};
    struct timed_impl t[2] = {{.fn = run_graph, .ctx = &c[0], .keep = &keep[0]},
                              {.fn = run_graph, .ctx = &c[1], .keep = &keep[1]}};
    if (rc == 0) {
        t[0].first_call_s = first_call_s(run_graph, &c[0]), t[1].first_call_s = first_call_s(run_graph, &c[1]);
        timing_opts_default(&o, quick);
        timing_opts_for_threads(&o, threads);
        if ((rc = timing_run(t, 2, &o, NULL, NULL)) != 0)
            snprintf(err, errlen, TIMING_OOM);
    }
    if (rc == 0) {
        paired_ratio(&keep[0], &keep[1], &r->ratio);
        r->e2e = t[0].result, r->base = t[1].result;
        r->ok = r->par.n_nonfinite == 0 && r->par.n_bad == 0 && graph_finite(&g);
        rc = r->ok ? 0 : 1;
    }
    timing_samples_free(&keep[0]), timing_samples_free(&keep[1]);
    if (g.runs)
        graph_free(&g);
    if (gb.runs)
        graph_free(&gb);
    return rc;
}
