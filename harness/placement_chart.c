/* harness/placement_chart.c — see placement_out.h: the placement charts,
 * one pair per scale and thread count, both relative to the base model so
 * that it sits at (1, 1):
 *
 *   params_vs_latency_<scale>_t<threads>  params / base params against
 *       latency / base latency;
 *   flops_vs_latency_<scale>_t<threads>   thop GFLOPs / base GFLOPs against
 *       the same latency ratio, the "FLOPs down, latency up" quadrant shaded.
 *
 * Points carry the numbers of summary.md's table (placement_number); the
 * Pareto front is named (charts_scatter). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charts.h"
#include "placement_out.h"

/* The latency interval of a placement as a ratio to the base median: its
 * own p10..p90 over the base's median.  This is the one place that
 * chooses it: when rows carry a CI of the ratio from interleaved timing
 * against the base, that CI replaces these two lines. */
void placement_latency_interval(const struct result_row *r, const struct result_row *base, double *lo,
                                double *hi)
{
    if (!isnan(r->ratio_ci_lo) && !isnan(r->ratio_ci_hi)) { /* timed beside the base in one process */
        *lo = r->ratio_ci_lo, *hi = r->ratio_ci_hi;
        return;
    }
    int ok = base && base->median_ms > 0 && !isnan(r->p10_ms) && !isnan(r->p90_ms);
    *lo = ok ? r->p10_ms / base->median_ms : NAN;
    *hi = ok ? r->p90_ms / base->median_ms : NAN;
}

double placement_latency_ratio(const struct result_row *r, const struct result_row *base)
{
    if (!isnan(r->ratio_vs_base))
        return r->ratio_vs_base;
    return base && base->median_ms > 0 ? r->median_ms / base->median_ms : NAN;
}

const char placement_interval_text[] = "bars: the ratio's 95% interval (paired, one process; older runs: p10-p90 "
                                       "of the latency / base median)";

int placement_points(const struct result_row *rows, int n, const char *scale, int threads,
                     const struct result_row ***out)
{
    const struct result_row **pts = malloc((size_t)(n + 1) * sizeof *pts);
    if (!pts)
        return -1;
    int k = 0;
    for (int i = 0; i < n; i++) /* the base first: number 0 */
        if (!strcmp(rows[i].role, "baseline") && !strcmp(rows[i].layer, scale) && rows[i].threads == threads) {
            pts[k++] = &rows[i];
            break;
        }
    int have_base = k;
    for (int i = 0; i < n; i++)
        if (strcmp(rows[i].role, "baseline") && !strcmp(rows[i].layer, scale) && rows[i].threads == threads)
            pts[k++] = &rows[i];
    if (!have_base) { /* no base row: numbers still start at 1 */
        memmove(pts + 1, pts, (size_t)k * sizeof *pts);
        pts[0] = NULL;
        k++;
    }
    *out = pts;
    return k;
}

static struct scatter_point point_of(const struct result_row *r, const struct result_row *b, int number,
                                     int flops)
{
    struct scatter_point p = {.x = NAN, .y = NAN, .lo = NAN, .hi = NAN, .number = number};
    snprintf(p.name, sizeof p.name, "%s", number ? r->module : "base (unmodified)");
    if (!b || !r || r->params == 0 || isnan(r->median_ms) || !(b->median_ms > 0) || b->params == 0 ||
        (flops && b->flops_thop == 0))
        return p;
    p.x = flops ? (double)r->flops_thop / (double)b->flops_thop : (double)r->params / (double)b->params;
    p.y = placement_latency_ratio(r, b);
    placement_latency_interval(r, b, &p.lo, &p.hi);
    return p;
}

static double worst_load(const struct result_row *const *pts, int n)
{
    double worst = 0;
    for (int i = 0; i < n; i++)
        if (pts[i] && pts[i]->load > worst) /* NaN compares false */
            worst = pts[i]->load;
    return worst;
}

static void spec_of(struct scatter_spec *s, const struct placement_plan *p, const char *dir, const char *scale,
                    int threads, int flops, double load)
{
    char machine[192];
    memset(s, 0, sizeof *s);
    charts_machine(dir, machine, sizeof machine);
    snprintf(s->name, sizeof s->name, "%s_vs_latency_%s_t%d", flops ? "flops" : "params", scale, threads);
    snprintf(s->title, sizeof s->title, "%s, scale %s at %dx%d: %s vs end-to-end latency, relative to the base",
             p->name, scale, p->imgsz, p->imgsz, flops ? "GFLOPs (thop)" : "params");
    snprintf(s->xlabel, sizeof s->xlabel, "%s / base %s (ratio)", flops ? "GFLOPs (thop)" : "params",
             flops ? "GFLOPs" : "params");
    snprintf(s->ylabel, sizeof s->ylabel, "median latency / base median latency (ratio)");
    snprintf(s->caption[0], sizeof s->caption[0], "%s, %d thread%s; co-tenant load up to %.2f cores", machine,
             threads, threads > 1 ? "s" : "", load);
    snprintf(s->caption[1], sizeof s->caption[1],
             "named: Pareto front (no other point has fewer %s and lower latency); numbers: summary.md",
             flops ? "FLOPs" : "params");
    snprintf(s->interval, sizeof s->interval, "%s", placement_interval_text);
    s->shade = flops;
    snprintf(s->shade_key, sizeof s->shade_key, "FLOPs down, latency up");
}

int placement_charts(const struct placement_plan *p, const char *dir, const struct result_row *rows, int n,
                     char *err, size_t errlen)
{
    for (int s = 0; s < p->nscales; s++)
        for (int t = 0; t < p->nthreads; t++) {
            const struct result_row **pts;
            int np = placement_points(rows, n, p->scales[s], p->threads[t], &pts);
            struct scatter_point *sp = np >= 0 ? malloc((size_t)np * sizeof *sp) : NULL;
            if (!sp) {
                if (np >= 0)
                    free(pts);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            int rc = 0;
            for (int flops = 0; flops < 2 && rc == 0; flops++) {
                struct scatter_spec spec;
                spec_of(&spec, p, dir, p->scales[s], p->threads[t], flops, worst_load(pts, np));
                for (int i = 0; i < np; i++)
                    sp[i] = point_of(pts[i], pts[0], i, flops);
                rc = charts_scatter(dir, &spec, sp, np, NULL, err, errlen);
            }
            free(sp);
            free(pts);
            if (rc != 0)
                return -1;
        }
    return 0;
}
