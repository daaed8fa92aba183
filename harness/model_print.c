/* harness/model_print.c — what `ablate model --bench` prints: the
 * per-layer table (each layer alone, its share, its GFLOP/s against this
 * machine's sgemm roof, its time inside the end-to-end runs, oneDNN beside
 * it with --onednn), the variant choices, and the end-to-end line(s).
 * model_bench.c measures; this file only formats (and measures the sgemm
 * roof the table is read against). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buffers.h"
#include "model_bench_internal.h"
#include "peak.h"
#include "vcpu_skew.h"

static const char *impl_name(const struct layer_run *r)
{
    const struct model_layer *L = &r->m->layers[r->i];
    if (L->kind == LAYER_CONCAT) /* how much its producers wrote in place */
        return r->ncopy == 0 ? "alias" : r->ncopy < r->ny ? "part" : "copy";
    if (L->kind != LAYER_OP)
        return "copy";
    return r->have_kernel ? "gen" : "ref";
}

int64_t model_layer_flops(const struct graph *g, int i)
{
    const struct model_layer *L = &g->m->layers[i];
    return L->kind == LAYER_OP ? L->op->flops_full(&L->args, g->runs[i].inst.in) : 0;
}

/* sgemm_gflops: this machine's sgemm roof at the bench's threads (peak.c),
 * each layer's GFLOP/s is shown as a share of it; 0 = not measured. */
static void print_layers(const struct graph *g, const double *ms, const double *vms, const double *gms,
                         double total, double sgemm_gflops)
{
    printf("%5s  %-14s %-5s %12s %9s %7s %7s %11s", "layer", "module", "impl", "median_ms", "GFLOP/s",
           "share", "%sgemm", "in_graph_ms");
    if (g->vendor)
        printf("  %10s %7s %10s  %s", "onednn_ms", "%sgemm", "gen/onednn", "oneDNN layout and implementation");
    printf("\n");
    for (int i = 0; i < g->m->nlayers; i++) {
        const struct model_layer *L = &g->m->layers[i];
        double gf = ms[i] > 0 ? (double)model_layer_flops(g, i) / (ms[i] * 1e6) : 0;
        printf("%5d  %-14s %-5s %12.4f %9.2f %6.1f%% %6.1f%% %11.4f", i,
               L->kind == LAYER_OP ? L->op->name : L->kind == LAYER_CONCAT ? "Concat" : "Upsample",
               impl_name(&g->runs[i]), ms[i], gf, total > 0 ? 100.0 * ms[i] / total : 0,
               sgemm_gflops > 0 ? 100.0 * gf / sgemm_gflops : 0, gms[i]);
        if (g->runs[i].vendor) {
            char what[160];
            double vgf = vms[i] > 0 ? (double)model_layer_flops(g, i) / (vms[i] * 1e6) : 0;
            dnn_block_describe(g->runs[i].vendor, what, sizeof what);
            printf("  %10.4f %6.1f%% %10.2f  %s", vms[i], sgemm_gflops > 0 ? 100.0 * vgf / sgemm_gflops : 0,
                   vms[i] > 0 ? ms[i] / vms[i] : 0, what);
        } else if (g->vendor)
            printf("  %10s %7s %10s  %s", "-", "-", "-", L->kind == LAYER_OP ? "(generated kernel)" : "");
        printf("\n");
    }
}

/* The layers whose variant was chosen by timing: which, and the times. */
static void print_picks(const struct graph *g)
{
    for (int i = 0; i < g->m->nlayers; i++) {
        const struct variant_pick *p = &g->runs[i].pick;
        if (p->n == 0)
            continue;
        if (p->cached)
            printf("layer %d %s: variant %s, cached choice from %s (timed then: ", i,
                   g->m->layers[i].op->name, p->names[p->chosen], g->picks);
        else
            printf("layer %d %s: variant %s chosen by timing (", i, g->m->layers[i].op->name,
                   p->names[p->chosen]);
        for (int v = 0; v < p->n; v++)
            printf("%s%s %.4f ms", v ? ", " : "", p->names[v], p->ms[v]);
        printf("; load %.2f)\n", p->load);
    }
}

/* ", waited 12 s for a near placement" or "". */
static const char *waited_note(const struct timing_result *e, char *buf, size_t len)
{
    if (e->placement_waited_s > 0)
        snprintf(buf, len, ", waited %.0f s for a near placement", e->placement_waited_s);
    else
        buf[0] = '\0';
    return buf;
}

/* "; vCPU skew 1.02" for a multi-thread pass that sampled it, with a
 * warning where the host ran one vCPU slow (vcpu_skew.h); "" otherwise. */
static const char *skew_note(const struct timing_result *e, int threads, char *buf, size_t len)
{
    if (threads < 2 || isnan(e->vcpu_skew))
        buf[0] = '\0';
    else
        snprintf(buf, len, "; vCPU skew %.2f%s", e->vcpu_skew,
                 vcpu_skew_is_high(threads, e->vcpu_skew) ? ", one vCPU ran slow: rerun" : "");
    return buf;
}

static void print_e2e(const struct graph *g, const char *what, const struct timing_result *e,
                      const struct parity *p, double sum, int64_t flops, int threads, int ok)
{
    char wait[64], skew[64];
    printf("%s%s end-to-end at %dx%d, %d thread%s: %.3f ms median (p10 %.3f, p90 %.3f, %d samples; "
           "sum of layers %.3f ms; co-tenant load %.2f CPUs; vCPU round trip %.0f ns%s%s; huge pages %ld MiB), "
           "%.2f GFLOP/s; %s graph vs "
           "reference graph: max_abs=%.3g max_rel=%.3g nmse=%.3g %s\n",
           g->m->name, g->vendor && !strcmp(what, "oneDNN-conv") ? " with oneDNN convs" : "", g->size,
           g->size, threads, threads > 1 ? "s" : "", e->median_ms, e->p10_ms, e->p90_ms, e->samples, sum,
           e->load, e->roundtrip_ns, waited_note(e, wait, sizeof wait),
           skew_note(e, threads, skew, sizeof skew), buf_huge_kib() / 1024, (double)flops / (e->median_ms * 1e6), what, p->max_abs, p->max_rel, p->nmse,
           ok ? "ok" : "FAIL");
}

void model_print_bench(const struct graph *g, const struct bench_out *b, int threads)
{
    struct peak pk = {0};
    char perr[ERR_MAX];
    if (peak_measure(&pk, threads, 1, perr, sizeof perr) == 0)
        printf("sgemm roof (OpenBLAS %s, n=%d, %d thread%s): %.1f GFLOP/s\n", pk.blas_core, pk.sgemm_n,
               threads, threads > 1 ? "s" : "", pk.sgemm_gflops);
    else
        printf("sgemm roof: not measured (%s)\n", perr);
    print_layers(g, b->ms, b->vms, b->gms, b->sum, pk.sgemm_gflops);
    print_picks(g);
    print_e2e(g, "generated", &b->e2e[RUN_GEN], &b->par[RUN_GEN], b->sum, b->flops, threads, b->ok[RUN_GEN]);
    if (!g->vendor)
        return;
    print_e2e(g, "oneDNN-conv", &b->e2e[RUN_VENDOR], &b->par[RUN_VENDOR], b->vsum, b->flops, threads,
              b->ok[RUN_VENDOR]);
    printf("generated / oneDNN-conv graph: %.3f (end to end, timed interleaved in this run)\n",
           b->e2e[RUN_GEN].median_ms / b->e2e[RUN_VENDOR].median_ms);
}
