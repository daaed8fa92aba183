/* harness/model_bench.c — `ablate model --bench`.  Each layer gets random
 * weights (its row's init, INIT_RANDOM) and, where its row has a
 * generator, the generator's first variant built for that exact shape;
 * a row without one (none today; merged rows may lack one) runs its scalar
 * reference and the table says so.  Per layer: the timing loop of timing.c on the layer alone; then the
 * whole graph end to end (the layers' kernels on the graph's own buffers,
 * Concat copies and Detect's level packing included), and that graph's
 * output against the same graph run on the references (MODULES.md 0.2).
 * Batch 1, one image size; n' > 1 copies of a non-CSP row are refused.
 * Every buffer is allocated and pre-faulted once (buffers.c) and reused by
 * every run.  At 1 thread the end-to-end median matches the sum of the
 * layers; at 2 threads on a shared 2-core machine a co-tenant stalls the
 * OpenMP barriers of a whole-graph run (~100 ms long) far more often than
 * those of a 1 ms layer, so the line reports the co-tenants' load too. */
#include "model_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffers.h"
#include "gen.h"
#include "instance.h"
#include "model_internal.h"
#include "parity.h"
#include "peak.h"
#include "rng.h"
#include "timing.h"

struct layer_run {
    const struct model *m;
    int i, threads, have_kernel;
    struct instance inst; /* op layers: args and input shape */
    struct weightset ws;
    struct gen_kernel k;
    float *work, *x, *y; /* x, y: the layer's own buffers for its timing */
    int64_t nwork, nx, ny;
};

struct graph {
    const struct model *m;
    struct layer_run *runs;
    struct shape4 *shapes;
    float *image, **outs, *pack;
    int size, use_ref;
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

/* One call of layer r from x into y (Concat and Detect: x holds the
 * inputs one after another). */
static void call_layer(const struct layer_run *r, int use_ref, const float *x, float *y)
{
    const struct model_layer *L = &r->m->layers[r->i];
    if (L->kind == LAYER_UPSAMPLE) {
        struct shape4 in = r->inst.in;
        int s = L->upsample, wo = in.w * s, ho = in.h * s;
        /* the graph's own threads: a serial copy would idle them (and cost
         * ~1 ms a map at 640) */
#pragma omp parallel for num_threads(r->threads) schedule(static)
        for (int c = 0; c < in.c; c++)
            for (int i = 0; i < ho; i++)
                for (int j = 0; j < wo; j++)
                    y[((int64_t)c * ho + i) * wo + j] = x[((int64_t)c * in.h + i / s) * in.w + j / s];
    } else if (L->kind == LAYER_CONCAT)
        memcpy(y, x, sizeof(float) * (size_t)r->ny);
    else if (r->have_kernel && !use_ref)
        r->k.forward((const float *const *)r->ws.ptr, x, y, r->work, r->threads);
    else
        L->op->forward_ref(&r->inst.args, r->inst.in, (const float *const *)r->ws.ptr, x, y);
}

static void time_layer(void *ctx)
{
    const struct layer_run *r = ctx;
    call_layer(r, 0, r->x, r->y);
}

/* The whole graph: inputs gathered (Concat, Detect) into one buffer. */
static void run_graph(void *ctx)
{
    struct graph *g = ctx;
    for (int i = 0; i < g->m->nlayers; i++) {
        const struct model_layer *L = &g->m->layers[i];
        const float *x = L->src[0] < 0 ? g->image : g->outs[L->src[0]];
        if (L->nfrom > 1) {
            float *dst = L->kind == LAYER_CONCAT ? g->outs[i] : g->pack;
            for (int k = 0, off = 0; k < L->nfrom; k++) {
                int64_t n = L->src[k] < 0 ? 3LL * g->size * g->size : numel(g->shapes[L->src[k]]);
                const float *src = L->src[k] < 0 ? g->image : g->outs[L->src[k]];
                memcpy(dst + off, src, sizeof(float) * (size_t)n);
                off += (int)n;
            }
            if (L->kind == LAYER_CONCAT)
                continue;
            x = g->pack;
        }
        call_layer(&g->runs[i], g->use_ref, x, g->outs[i]);
    }
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
    if (gen_variants(env, L->op, names, GEN_VARIANTS_MAX, e, sizeof e) < 1)
        return 0; /* no generator: the reference */
    if (gen_build(env, &L->args, r->inst.in, names[0], &r->k, e, sizeof e) != GEN_OK)
        return layer_fail(g->m, i, err, errlen, "%s", e);
    r->have_kernel = 1;
    r->nwork = r->k.info->workspace_floats * threads;
    if (!(r->work = buf_alloc(r->nwork > 0 ? r->nwork : 1)))
        return layer_fail(g->m, i, err, errlen, "out of memory");
    return 0;
}

static void layer_free(struct layer_run *r)
{
    if (r->have_kernel)
        gen_unload(&r->k);
    if (r->inst.op)
        weights_free(&r->ws);
    buf_free(r->work, r->nwork > 0 ? r->nwork : 1);
    buf_free(r->x, r->nx);
    buf_free(r->y, r->ny);
}

static int graph_setup(struct graph *g, const struct model *m, int size, int threads, char *err,
                       size_t errlen)
{
    struct gen_env env;
    memset(g, 0, sizeof *g);
    g->m = m, g->size = size;
    g->runs = calloc((size_t)m->nlayers, sizeof *g->runs);
    g->shapes = calloc((size_t)m->nlayers, sizeof *g->shapes);
    g->outs = calloc((size_t)m->nlayers, sizeof *g->outs);
    if (!g->runs || !g->shapes || !g->outs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (model_shapes(m, size, g->shapes, err, errlen) != 0 || gen_env_init(&env, err, errlen) != 0)
        return -1;
    int64_t pack = 0;
    for (int i = 0; i < m->nlayers; i++) {
        if (layer_setup(g, &env, i, threads, err, errlen) != 0)
            return -1;
        if (!(g->outs[i] = buf_alloc(numel(g->shapes[i]))))
            return layer_fail(m, i, err, errlen, "out of memory");
        pack = input_floats(g, i) > pack ? input_floats(g, i) : pack;
    }
    struct rng rg;
    rng_seed(&rg, 7);
    if (!(g->pack = buf_alloc(pack)) || !(g->image = buf_alloc(3LL * size * size))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int64_t k = 0; k < 3LL * size * size; k++)
        g->image[k] = rng_normal(&rg);
    return 0;
}

static void graph_free(struct graph *g)
{
    for (int i = 0; g->runs && i < g->m->nlayers; i++) {
        layer_free(&g->runs[i]);
        if (g->outs[i])
            buf_free(g->outs[i], numel(g->shapes[i]));
    }
    int64_t pack = 0;
    for (int i = 0; g->runs && i < g->m->nlayers; i++)
        pack = g->runs[i].nx > pack ? g->runs[i].nx : pack;
    buf_free(g->pack, pack);
    buf_free(g->image, 3LL * g->size * g->size);
    free(g->runs);
    free(g->shapes);
    free(g->outs);
}

static const char *impl_name(const struct layer_run *r)
{
    const struct model_layer *L = &r->m->layers[r->i];
    if (L->kind != LAYER_OP)
        return "copy";
    return r->have_kernel ? "gen" : "ref";
}

static int64_t layer_flops(const struct graph *g, int i)
{
    const struct model_layer *L = &g->m->layers[i];
    return L->kind == LAYER_OP ? L->op->flops_full(&L->args, g->runs[i].inst.in) : 0;
}

/* One untimed call's duration: seeds timing_run's sample count (without
 * it every layer and the graph got max_samples, 400 graph runs). */
static double first_call_s(void (*fn)(void *), void *ctx)
{
    double t0 = now_s();
    fn(ctx);
    return now_s() - t0;
}

/* The generated graph's output against the reference graph's. */
static int graph_parity(struct graph *g, struct parity *p)
{
    int last = g->m->nlayers - 1;
    int64_t n = numel(g->shapes[last]);
    float *gen = buf_alloc(n);
    if (!gen)
        return -1;
    g->use_ref = 0;
    run_graph(g);
    memcpy(gen, g->outs[last], sizeof(float) * (size_t)n);
    g->use_ref = 1;
    run_graph(g);
    g->use_ref = 0;
    parity_compare(gen, g->outs[last], n, p);
    buf_free(gen, n);
    return 0;
}

/* sgemm_gflops: this machine's sgemm roof at the bench's threads (peak.c),
 * each layer's GFLOP/s is shown as a share of it; 0 = not measured. */
static void print_layers(const struct graph *g, const double *ms, double total, double sgemm_gflops)
{
    printf("%5s  %-14s %-5s %12s %9s %7s %7s\n", "layer", "module", "impl", "median_ms", "GFLOP/s",
           "share", "%sgemm");
    for (int i = 0; i < g->m->nlayers; i++) {
        const struct model_layer *L = &g->m->layers[i];
        double gf = ms[i] > 0 ? (double)layer_flops(g, i) / (ms[i] * 1e6) : 0;
        printf("%5d  %-14s %-5s %12.4f %9.2f %6.1f%% %6.1f%%\n", i,
               L->kind == LAYER_OP ? L->op->name : L->kind == LAYER_CONCAT ? "Concat" : "Upsample",
               impl_name(&g->runs[i]), ms[i], gf, total > 0 ? 100.0 * ms[i] / total : 0,
               sgemm_gflops > 0 ? 100.0 * gf / sgemm_gflops : 0);
    }
}

/* The per-layer table against this machine's sgemm roof at `threads`, then
 * the end-to-end line. */
static void print_bench(const struct graph *g, const struct timing_result *e2e, const struct parity *p,
                        const double *ms, double sum, int64_t flops, int threads, int ok)
{
    const struct model *m = g->m;
    struct peak pk = {0};
    char perr[ERR_MAX];
    if (peak_measure(&pk, threads, 1, perr, sizeof perr) == 0)
        printf("sgemm roof (OpenBLAS %s, n=%d, %d thread%s): %.1f GFLOP/s\n", pk.blas_core, pk.sgemm_n,
               threads, threads > 1 ? "s" : "", pk.sgemm_gflops);
    else
        printf("sgemm roof: not measured (%s)\n", perr);
    print_layers(g, ms, sum, pk.sgemm_gflops);
    printf("%s end-to-end at %dx%d, %d thread%s: %.3f ms median (p10 %.3f, p90 %.3f, %d samples; "
           "sum of layers %.3f ms; co-tenant load %.2f CPUs; huge pages %ld MiB), %.2f GFLOP/s; generated graph vs "
           "reference graph: max_abs=%.3g max_rel=%.3g nmse=%.3g %s\n",
           m->name, g->size, g->size, threads, threads > 1 ? "s" : "", e2e->median_ms, e2e->p10_ms,
           e2e->p90_ms, e2e->samples, sum, e2e->load, buf_huge_kib() / 1024, (double)flops / (e2e->median_ms * 1e6), p->max_abs,
           p->max_rel, p->nmse, ok ? "ok" : "FAIL");
}

int model_bench(const struct model *m, int imgsz, int threads, int quick, double *e2e_ms,
                char *err, size_t errlen)
{
    struct model_bench_result r;
    int rc = model_bench_run(m, imgsz, threads, quick, 1, &r, err, errlen);
    if (rc >= 0)
        *e2e_ms = r.e2e.median_ms;
    return rc;
}

int model_bench_run(const struct model *m, int imgsz, int threads, int quick, int per_layer,
                    struct model_bench_result *r, char *err, size_t errlen)
{
    struct graph g;
    struct timing_opts o;
    struct parity p;
    double *ms = calloc((size_t)m->nlayers, sizeof *ms), sum = 0;
    int64_t flops = 0;
    int rc = ms ? graph_setup(&g, m, imgsz, threads, err, errlen) : -1;
    if (!ms)
        snprintf(err, errlen, "out of memory");
    timing_opts_default(&o, quick);
    for (int i = 0; rc == 0 && i < m->nlayers; i++) {
        struct timed_impl t = {.fn = time_layer, .ctx = &g.runs[i]};
        if (per_layer) {
            t.first_call_s = first_call_s(time_layer, &g.runs[i]);
            timing_run(&t, 1, &o, NULL, NULL);
        }
        ms[i] = per_layer ? t.result.median_ms : 0, sum += ms[i], flops += layer_flops(&g, i);
    }
    if (rc == 0 && (rc = graph_parity(&g, &p)) != 0)
        snprintf(err, errlen, "out of memory");
    if (rc == 0) {
        struct timed_impl t = {.fn = run_graph, .ctx = &g, .first_call_s = first_call_s(run_graph, &g)};
        timing_run(&t, 1, &o, NULL, NULL);
        int ok = p.n_nonfinite == 0 && p.n_bad == 0;
        r->e2e = t.result, r->par = p, r->ok = ok, r->sum_layers_ms = sum;
        if (per_layer)
            print_bench(&g, &t.result, &p, ms, sum, flops, threads, ok);
        rc = ok ? 0 : 1;
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
    int rc = graph_setup(&g, m, size, threads, err, errlen);
    if (rc == 0 && (rc = graph_parity(&g, p)) != 0)
        snprintf(err, errlen, "out of memory");
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
        rc = graph_setup(&g, m, imgsz, threads, err, errlen);
    if (rc == 0)
        rc = graph_setup(&gb, base, imgsz, threads, err, errlen);
    if (rc == 0) {
        struct timing_samples keep[2] = {{0}};
        struct timed_impl t[2] = {
            {.fn = run_graph, .ctx = &g, .first_call_s = first_call_s(run_graph, &g), .keep = &keep[0]},
            {.fn = run_graph, .ctx = &gb, .first_call_s = first_call_s(run_graph, &gb), .keep = &keep[1]},
        };
        timing_opts_default(&o, quick);
        timing_run(t, 2, &o, NULL, NULL);
        paired_ratio(&keep[0], &keep[1], &r->ratio);
        timing_samples_free(&keep[0]), timing_samples_free(&keep[1]);
        r->e2e = t[0].result, r->base = t[1].result;
        r->ok = r->par.n_nonfinite == 0 && r->par.n_bad == 0 && graph_finite(&g);
        rc = r->ok ? 0 : 1;
    }
    if (g.runs)
        graph_free(&g);
    if (gb.runs)
        graph_free(&gb);
    return rc;
}
