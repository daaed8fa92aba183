/* harness/report_headline.c — what a report opens on: for each layer (site)
 * and thread count, the best and the worst configuration against the
 * baseline, each as a latency ratio with its 95 % CI: the row's paired
 * ratio_vs_base and bootstrap interval where the sweep timed the two side
 * by side (the sweep summary's number), else stats_ratio_ci (a normal model
 * on each row's p10/p90 and sample count, for CSVs from before the paired
 * columns).  Shared by report.md and report.html. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "report.h"
#include "stats.h"

const char report_headline_note[] =
    "Latency ratio = the configuration's fastest passing generated kernel over the baseline's, same layer, "
    "input shape and threads (below 1: faster), both timed interleaved in one process; its 95% CI is the "
    "paired bootstrap interval of the sweep (docs/measurement.md). Rows from an older CSV without the paired "
    "columns fall back to the two rows' medians and a normal model on their p10/p90 (see Method). A CI that "
    "contains 1 means no measured difference.";

static void ratio_of(const struct report_in *in, const struct config_view *c, struct report_pick *p)
{
    const struct config_view *b = results_view_baseline(in->v, in->nv, c);
    p->ratio = p->lo = p->hi = NAN;
    p->c = c;
    if (!c->best_gen || !b || !b->best_gen)
        return;
    if (!isnan(c->best_gen->ratio_vs_base)) {
        p->ratio = c->best_gen->ratio_vs_base;
        p->lo = c->best_gen->ratio_ci_lo, p->hi = c->best_gen->ratio_ci_hi;
    } else {
        struct lat_summary a, s;
        row_summary(c->best_gen, &a), row_summary(b->best_gen, &s);
        stats_ratio_ci(&a, &s, 0.05, &p->ratio, &p->lo, &p->hi);
    }
    /* timed on two machines (--mix-machines): the ratio measures them too */
    p->across = strcmp(report_row_machine(in, c->best_gen), report_row_machine(in, b->best_gen)) != 0;
    if (p->across)
        p->lo = p->hi = NAN;
}

static int same_group(const struct config_view *a, const struct config_view *b)
{
    return a->id->threads == b->id->threads && results_same_site(a->id, b->id);
}

int report_headline(const struct report_in *in, struct report_head **out)
{
    struct report_head *h = calloc((size_t)(in->nv ? in->nv : 1), sizeof *h);
    if (!h)
        return -1;
    int n = 0;
    for (int i = 0; i < in->nv; i++) {
        const struct config_view *c = &in->v[i];
        if (!strcmp(c->id->role, "baseline"))
            continue;
        struct report_pick p;
        ratio_of(in, c, &p);
        if (isnan(p.ratio))
            continue;
        int g = 0;
        while (g < n && !same_group(h[g].best.c, c))
            g++;
        if (g == n) {
            h[n].best = h[n].worst = p;
            results_site_label(c->id, h[n].site, sizeof h[n].site);
            h[n++].threads = c->id->threads;
        } else if (p.ratio < h[g].best.ratio)
            h[g].best = p;
        else if (p.ratio > h[g].worst.ratio)
            h[g].worst = p;
        h[g].count++;
    }
    *out = h;
    return n;
}

void report_pick_text(const struct report_pick *p, char *what, size_t wlen, char *ratio, size_t rlen)
{
    const struct result_row *id = p->c->id;
    snprintf(what, wlen, "%s%s%.100s", id->module, id->args[0] ? " " : "", id->args);
    if (p->across)
        snprintf(ratio, rlen, "%.3f (across machines: no CI)", p->ratio);
    else if (isnan(p->lo))
        snprintf(ratio, rlen, "%.3f (no CI: fewer than 3 samples)", p->ratio);
    else
        snprintf(ratio, rlen, "%.3f [%.3f, %.3f]", p->ratio, p->lo, p->hi);
}
