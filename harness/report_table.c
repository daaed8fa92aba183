/* harness/report_table.c — the comparison table as text cells, once, for
 * both report.md and report.html (so the two cannot disagree). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "report.h"
#include "stats.h"
#include "vcpu_skew.h"

const char *const report_headers[REPORT_COLS] = {
    "site", "threads", "module", "args", "params", "Δparams", "GFLOPs (thop)", "ΔFLOPs (thop)",
    "GFLOPs (full)", "ΔFLOPs (full)", "best impl", "median ms", "roof ms (bound, reached)", "latency ratio", "95% CI",
    "parity"};

const char report_method[] =
    "Latency ratio = the configuration's fastest passing generated implementation over the baseline's "
    "(same layer, input shape and threads). The 95% CI is computed from the CSV's summary, not raw "
    "samples: sd ~ (p90 - p10) / 2.563, SE(median) ~ 1.2533 sd / sqrt(n), SE(log ratio) = the two "
    "relative SEs in quadrature, CI = ratio x exp(+-1.96 SE). It assumes roughly normal timings and "
    "independent samples; rows with fewer than 3 samples get no CI. Δ columns are the configuration "
    "minus its baseline, absolute and relative. Roof ms = the least time this machine allows the row, "
    "max(flops_full / sgemm peak, bytes / triad bandwidth) at its thread count (peak.json), the larger term "
    "naming the bound (flops or bytes), and roof ms / median ms as the share of it reached: a memory-bound "
    "row is judged by its bytes, not by its GFLOP/s.";

static void delta(char *buf, size_t len, int64_t v, int64_t base, double scale)
{
    if (base <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    double d = (double)(v - base);
    snprintf(buf, len, scale == 1 ? "%+.0f (%+.1f%%)" : "%+.4f (%+.1f%%)", d / scale, 100.0 * d / (double)base);
}

static void parity_cell(char *buf, size_t len, const struct config_view *c)
{
    if (!c->worst)
        snprintf(buf, len, "-");
    else if (!strcmp(c->worst->status, "ok"))
        snprintf(buf, len, "ok");
    else
        snprintf(buf, len, "%s (%s)", c->worst->status, c->worst->impl);
}

static void counts_cells(struct report_line *l, const struct result_row *r, const struct result_row *b)
{
    snprintf(l->cell[4], sizeof l->cell[4], "%" PRId64, r->params);
    snprintf(l->cell[6], sizeof l->cell[6], "%.4f", r->flops_thop / 1e9);
    snprintf(l->cell[8], sizeof l->cell[8], "%.4f", r->flops_full / 1e9);
    delta(l->cell[5], sizeof l->cell[5], r->params, b ? b->params : 0, 1);
    delta(l->cell[7], sizeof l->cell[7], r->flops_thop, b ? b->flops_thop : 0, 1e9);
    delta(l->cell[9], sizeof l->cell[9], r->flops_full, b ? b->flops_full : 0, 1e9);
}

/* across: the two rows were timed on different machines (--mix-machines):
 * the ratio is shown, marked, and gets no CI, since it measures the
 * machines as much as the modules. */
static void latency_cells(struct report_line *l, const struct result_row *g, const struct result_row *bg,
                          int across)
{
    snprintf(l->cell[10], sizeof l->cell[10], "%s", g ? g->impl : "-");
    snprintf(l->cell[11], sizeof l->cell[11], g ? "%.4g" : "-", g ? g->median_ms : 0);
    snprintf(l->cell[13], sizeof l->cell[13], "-");
    snprintf(l->cell[14], sizeof l->cell[14], "-");
    if (!g || !bg)
        return;
    struct lat_summary a, b;
    double r, lo, hi;
    row_summary(g, &a), row_summary(bg, &b);
    stats_ratio_ci(&a, &b, 0.05, &r, &lo, &hi);
    snprintf(l->cell[13], sizeof l->cell[13], across ? "%.3f (across machines)" : "%.3f", r);
    if (!isnan(lo) && !across)
        snprintf(l->cell[14], sizeof l->cell[14], "[%.3f, %.3f]", lo, hi);
}

/* The fastest roofs measured at `threads` (shards of one sweep each
 * measure their own): the lowest floor the runs vouch for. 0 if none. */
static int roofs_at(const struct report_in *in, int threads, double *sgemm, double *triad)
{
    *sgemm = 0, *triad = 0;
    for (int k = 0; k < in->npeaks; k++)
        if (in->peaks[k].threads == threads) {
            *sgemm = fmax(*sgemm, in->peaks[k].sgemm_gflops);
            *triad = fmax(*triad, in->peaks[k].triad_gbs);
        }
    return *sgemm > 0 && *triad > 0;
}

/* "0.2150 (bytes, 68%)": the row's floor on this machine, which roof sets
 * it, and how much of it the kernel reaches. Runs from several machines
 * (--mix-machines) have no single roof: "-". */
static void roof_cell(char *buf, size_t len, const struct report_in *in, const struct result_row *g)
{
    double sgemm, triad;
    snprintf(buf, len, "-");
    if (!g || in->mixed || !(g->median_ms > 0) || g->flops_full <= 0 || g->bytes <= 0 ||
        !roofs_at(in, g->threads, &sgemm, &triad))
        return;
    double flops_ms = (double)g->flops_full / (sgemm * 1e6), bytes_ms = (double)g->bytes / (triad * 1e6);
    double roof = fmax(flops_ms, bytes_ms);
    snprintf(buf, len, "%.4g (%s, %.0f%%)", roof, bytes_ms > flops_ms ? "bytes" : "flops", 100 * roof / g->median_ms);
}

/* The thread count, marked when the host ran one vCPU slow while the
 * line's rows (its fastest kernel, its baseline's) were timed. */
static void threads_cell(char *buf, size_t len, int threads, const struct result_row *g,
                         const struct result_row *bg)
{
    double skew = vcpu_skew_larger(g ? g->vcpu_skew : NAN, bg ? bg->vcpu_skew : NAN);
    if (vcpu_skew_is_high(threads, skew))
        snprintf(buf, len, "%d (vCPU skew %.2f)", threads, skew);
    else
        snprintf(buf, len, "%d", threads);
}

static void one_line(struct report_line *l, const struct report_in *in, const struct config_view *c)
{
    const struct config_view *b = results_view_baseline(in->v, in->nv, c);
    memset(l, 0, sizeof *l);
    l->baseline = !strcmp(c->id->role, "baseline");
    results_site_label(c->id, l->cell[0], sizeof l->cell[0]);
    const struct result_row *g = c->best_gen, *bg = b ? b->best_gen : NULL;
    threads_cell(l->cell[1], sizeof l->cell[1], c->id->threads, g, bg);
    /* extra baselines are compared with the primary one like any module */
    const char *tag = l->baseline ? " (baseline)" : !strcmp(c->id->role, "baseline2") ? " (baseline 2)" : "";
    snprintf(l->cell[2], sizeof l->cell[2], "%s%s", c->id->module, tag);
    snprintf(l->cell[3], sizeof l->cell[3], "%.159s", c->id->args);
    const struct result_row *r = c->counts, *br = b ? b->counts : NULL;
    if (r)
        counts_cells(l, r, br);
    else
        for (int k = 4; k < 10; k++)
            snprintf(l->cell[k], sizeof l->cell[k], "-");
    int across = g && bg && strcmp(report_row_machine(in, g), report_row_machine(in, bg)) != 0;
    latency_cells(l, g, bg, across);
    roof_cell(l->cell[12], sizeof l->cell[12], in, g);
    parity_cell(l->cell[15], sizeof l->cell[15], c);
}

int report_lines(const struct report_in *in, struct report_line **lines)
{
    *lines = calloc((size_t)(in->nv ? in->nv : 1), sizeof **lines);
    if (!*lines)
        return -1;
    for (int i = 0; i < in->nv; i++)
        one_line(&(*lines)[i], in, &in->v[i]);
    return in->nv;
}

static void skew_note(const struct report_in *in, char *buf, size_t len)
{
    int sampled = 0, high = 0;
    double worst = 0;
    for (int i = 0; i < in->n; i++) {
        const struct result_row *r = &in->rows[i];
        if (r->threads < 2 || isnan(r->vcpu_skew))
            continue;
        sampled++;
        high += vcpu_skew_is_high(r->threads, r->vcpu_skew);
        worst = r->vcpu_skew > worst ? r->vcpu_skew : worst;
    }
    buf[0] = 0;
    if (high == 0)
        return;
    snprintf(buf, len,
             "%d of %d multi-thread rows were timed while the host ran one vCPU at least %.2fx "
             "slower than the other (vcpu_skew up to %.2f; marked in the threads column): their "
             "latencies and ratios say as much about the host as about the kernels; see "
             "docs/measurement.md (Uneven vCPUs).",
             high, sampled, VCPU_SKEW_HIGH, worst);
}

static void load_note(const struct report_in *in, char *buf, size_t len)
{
    double worst = 0;
    for (int i = 0; i < in->n; i++)
        if (in->rows[i].load > worst) /* NaN compares false: unmeasured rows are skipped */
            worst = in->rows[i].load;
    buf[0] = 0;
    if (!(worst > REPORT_LOAD_WARN))
        return;
    int autogroup = 0;
    for (int i = 0; i < in->nruns; i++)
        autogroup |= in->meta[i].sched_autogroup == 1;
    snprintf(buf, len,
             "Other processes used up to %.2f cores while kernels were timed: latencies and the roofs "
             "are noisy; rerun on a quiet machine before drawing conclusions.%s",
             worst, autogroup ? " This kernel groups processes by terminal session (sched_autogroup_enabled=1), "
                                "so `nice` on jobs started in another terminal does not shield the timing: "
                                "see docs/measurement.md (other jobs on the machine)." : "");
}

int report_warnings(const struct report_in *in, char notes[REPORT_MAX_WARNINGS][REPORT_WARNING_LEN])
{
    int n = 0;
    load_note(in, notes[n], REPORT_WARNING_LEN);
    n += notes[n][0] != 0;
    skew_note(in, notes[n], REPORT_WARNING_LEN);
    n += notes[n][0] != 0;
    return n;
}
