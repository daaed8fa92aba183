/* harness/charts_series.c — the lines of a sweep chart (charts_data.h):
 * making a line and its points, and the deployment peers' lines.  charts.c
 * decides what goes on which line; charts_plot.c draws them.
 *
 * The peers: beside each line of ours, one dotted line per engine
 * (PyTorch eager, ONNX Runtime, OpenVINO) through the same configurations,
 * in the colour of the line it follows, so a reader sees at each point
 * what the same module costs where it is deployed.  On a chart whose x is
 * the layer, the baseline's own line gets its peers too.
 *
 * Only timings have peers: the engine's median, its GFLOP/s, and for
 * ratio_vs_baseline the engine's module over the same engine's baseline
 * (the module's cost against the Conv it replaces, in that engine).
 * Counts are the same for every engine and the speed-up over our
 * reference is ours alone: those charts get no peer lines.  A peer that
 * failed parity or was skipped draws nothing (the report's peer table
 * says why). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "charts_data.h"
#include "results_view.h"

struct chart_series *charts_series_for(struct chart_data *c, const char *label, const char *site, const char *rest,
                                       int threads, int peer)
{
    for (int i = 0; i < c->ns; i++)
        if (c->s[i].threads == threads && c->s[i].peer == peer && !strcmp(c->s[i].label, label) &&
            !strcmp(c->s[i].site, site) && !strcmp(c->s[i].rest, rest))
            return &c->s[i];
    if (c->ns == c->cap) {
        int cap = c->cap ? 2 * c->cap : 8;
        struct chart_series *grown = realloc(c->s, (size_t)cap * sizeof *grown);
        if (!grown)
            return NULL;
        c->s = grown, c->cap = cap;
    }
    struct chart_series *s = &c->s[c->ns++];
    memset(s, 0, sizeof *s);
    snprintf(s->label, sizeof s->label, "%s", label);
    snprintf(s->site, sizeof s->site, "%s", site);
    snprintf(s->rest, sizeof s->rest, "%s", rest);
    snprintf(s->group, sizeof s->group, "%s\x1f%s", label, site);
    snprintf(s->sort_key, sizeof s->sort_key, "%s\x1f%s\x1f%06d\x1f%s", label, site, threads, rest);
    s->threads = threads;
    s->peer = peer;
    s->owner = -1;
    for (int b = 0; b < CHART_BASELINES; b++)
        s->baseline[b] = s->baseline_lo[b] = s->baseline_hi[b] = NAN;
    return s;
}

int charts_add_point(struct chart_series *s, const char *xtext, double y, double lo, double hi)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        struct chart_point *grown = realloc(s->pt, (size_t)cap * sizeof *grown);
        if (!grown)
            return -1;
        s->pt = grown, s->cap = cap;
    }
    struct chart_point *p = &s->pt[s->n++];
    snprintf(p->xt, sizeof p->xt, "%s", xtext);
    p->y = y, p->lo = lo, p->hi = hi;
    return 0;
}

/* The peer row p of c when it passed and was timed, else NULL. */
static const struct result_row *passed(const struct config_view *c, int p)
{
    const struct result_row *r = c ? c->peer[p] : NULL;
    return r && !strcmp(r->status, "ok") && r->median_ms > 0 ? r : NULL;
}

/* The engine's y at one configuration and its p10..p90 spread; NaN when
 * the chart's y has no peer value. */
static double peer_value(enum y_kind k, const struct result_row *r, const struct result_row *base, double *lo,
                         double *hi)
{
    *lo = *hi = NAN;
    switch (k) {
    case Y_MEDIAN: *lo = r->p10_ms, *hi = r->p90_ms; return r->median_ms;
    case Y_GFLOPS:
        if (r->p10_ms > 0 && r->p90_ms > 0)
            *lo = r->gflops * r->median_ms / r->p90_ms, *hi = r->gflops * r->median_ms / r->p10_ms;
        return r->gflops > 0 ? r->gflops : NAN;
    case Y_RATIO:
        if (!base)
            return NAN;
        *lo = r->p10_ms / base->median_ms, *hi = r->p90_ms / base->median_ms;
        return r->median_ms / base->median_ms;
    default: return NAN;
    }
}

int charts_add_peers(struct chart_data *c, enum y_kind k, const struct config_view *conf,
                     const struct config_view *base, const struct chart_series *ours, const char *xt)
{
    /* ours may move when a new line grows c->s: copy what names it */
    char label[sizeof ours->label], site[sizeof ours->site], rest[sizeof ours->rest];
    int threads = ours->threads;
    snprintf(label, sizeof label, "%s", ours->label);
    snprintf(site, sizeof site, "%s", ours->site);
    snprintf(rest, sizeof rest, "%s", ours->rest);
    for (int p = 0; p < VIEW_PEERS; p++) {
        const struct result_row *r = passed(conf, p);
        double lo, hi, y = r ? peer_value(k, r, passed(base, p), &lo, &hi) : NAN;
        if (isnan(y) || isinf(y))
            continue;
        struct chart_series *s = charts_series_for(c, label, site, rest, threads, p + 1);
        if (!s || charts_add_point(s, xt, y, lo, hi) != 0)
            return -1;
    }
    return 0;
}

void charts_peer_owners(struct chart_data *c)
{
    for (int i = 0; i < c->ns; i++) {
        struct chart_series *s = &c->s[i];
        s->owner = -1;
        for (int j = 0; j < c->ns && s->peer; j++)
            if (!c->s[j].peer && !strcmp(c->s[j].sort_key, s->sort_key))
                s->owner = j;
    }
}
