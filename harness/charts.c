/* harness/charts.c — see charts.h.  Turns results rows into chart_data
 * (charts_data.h); charts_plot.c draws it.
 *
 * Which row stands for a configuration (results_view.h): counts (params,
 * flops_*) come from the ref row, timings (median_ms, gflops) from the
 * fastest generated impl that passed; ratio_vs_baseline divides that by the
 * baseline's fastest generated median at the same layer and thread count,
 * speedup_vs_ref is the ref median over it.  Configurations without the
 * number (failed, not timed) are left out of the line, not drawn as zero.
 *
 * Errors (one line):
 *   chart 'NAME': unknown y 'foo' (known: median_ms, params, ...)
 *   chart 'NAME': x 'foo' is not an argument of the module rows (they have 'k=v:...')
 *   <those of results_read, out of memory, and charts_plot.c's>
 */
#include "charts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "charts_data.h"
#include "results_view.h"

static const struct y_desc {
    const char *name;
    enum y_kind kind;
    const char *label;
} y_descs[] = {
    {"median_ms", Y_MEDIAN, "median latency, fastest generated kernel (ms)"},
    {"latency_ms", Y_MEDIAN, "median latency, fastest generated kernel (ms)"},
    {"params", Y_PARAMS, "parameters"},
    {"flops_thop", Y_THOP, "FLOPs as thop counts them (2 x MACs)"},
    {"flops_full", Y_FULL, "FLOPs, every operation counted"},
    {"gflops", Y_GFLOPS, "achieved GFLOP/s (full FLOPs / median)"},
    {"ratio_vs_baseline", Y_RATIO, "latency / baseline latency, fastest generated kernels (ratio)"},
    {"speedup_vs_ref", Y_SPEEDUP, "speed-up of the generated kernel over the reference (x)"},
};
enum { N_Y = sizeof y_descs / sizeof y_descs[0] };

/* Per-configuration quantities: the baseline of the same layer is drawn
 * beside them.  Ratios are already relative to something. */
static int is_absolute(enum y_kind k)
{
    return k == Y_MEDIAN || k == Y_PARAMS || k == Y_THOP || k == Y_FULL;
}

static const struct y_desc *find_y(const char *name)
{
    for (int i = 0; i < N_Y; i++)
        if (!strcmp(y_descs[i].name, name))
            return &y_descs[i];
    return NULL;
}

int charts_y_known(const char *name) { return find_y(name) != NULL; }

static double value_of(enum y_kind k, const struct config_view *c, const struct config_view *base)
{
    const struct result_row *g = c->best_gen, *n = c->counts;
    switch (k) {
    case Y_MEDIAN: return g ? g->median_ms : NAN;
    case Y_PARAMS: return n ? (double)n->params : NAN;
    case Y_THOP: return n ? (double)n->flops_thop : NAN;
    case Y_FULL: return n ? (double)n->flops_full : NAN;
    case Y_GFLOPS: return g ? g->gflops : NAN;
    case Y_RATIO: return results_view_base_ratio(c, base);
    case Y_SPEEDUP: return g && c->ref ? c->ref->median_ms / g->median_ms : NAN;
    }
    return NAN;
}

/* The spread of a timing-derived y: the fastest generated kernel's p10
 * and p90 put in place of its median, the other terms (the baseline's or
 * the reference's median) left as they are.  NaN for counts. */
static void interval_of(enum y_kind k, const struct config_view *c, const struct config_view *base, double *lo,
                        double *hi)
{
    const struct result_row *g = c->best_gen;
    *lo = *hi = NAN;
    if (!g || isnan(g->p10_ms) || isnan(g->p90_ms) || !(g->p10_ms > 0))
        return;
    switch (k) {
    case Y_MEDIAN: *lo = g->p10_ms, *hi = g->p90_ms; break;
    case Y_GFLOPS: *lo = g->gflops * g->median_ms / g->p90_ms, *hi = g->gflops * g->median_ms / g->p10_ms; break;
    case Y_RATIO:
        if (base && base->best_gen)
            *lo = g->p10_ms / base->best_gen->median_ms, *hi = g->p90_ms / base->best_gen->median_ms;
        break;
    case Y_SPEEDUP:
        if (c->ref)
            *lo = c->ref->median_ms / g->p90_ms, *hi = c->ref->median_ms / g->p10_ms;
        break;
    default: break;
    }
}

static int is_timing(enum y_kind k) { return k == Y_MEDIAN || k == Y_GFLOPS || k == Y_RATIO || k == Y_SPEEDUP; }

/* ------------------------------------------------------------ series */

static int by_layer(const struct chart_spec *sp)
{
    return !strcmp(sp->by, "layer") || !sp->by[0];
}

/* x = "layer": the layers themselves on the x axis (a sweep whose
 * arguments all follow the layer, e.g. a module at the places it replaces
 * another): one line per module, the baseline a line of its own. */
static int x_is_layer(const struct chart_spec *sp) { return !strcmp(sp->x, "layer"); }

/* The x value of row r as text; 0 when r has no such argument. */
static int x_text(const struct chart_spec *sp, const struct result_row *r, char *buf, size_t len)
{
    if (!x_is_layer(sp))
        return results_arg_value(r->args, sp->x, buf, len) != 0;
    results_site_label(r, buf, len);
    return 1;
}

/* The line a configuration belongs to: its layer, or by=value (its module
 * when x is the layer). */
static void line_label(const struct chart_spec *sp, const struct result_row *r, char *buf, size_t len)
{
    char v[64];
    if (x_is_layer(sp))
        snprintf(buf, len, "%s", r->module);
    else if (by_layer(sp))
        results_site_label(r, buf, len);
    else
        snprintf(buf, len, "%s=%s", sp->by, results_arg_value(r->args, sp->by, v, sizeof v) ? v : "?");
}

/* args without the keys x and by: "grid=ij:num_param=5:s=2" -> "grid=ij:s=2". */
static void other_args(const char *args, const char *x, const char *by, char *buf, size_t len)
{
    size_t used = 0, nx = strlen(x), nb = strlen(by);
    buf[0] = 0;
    for (const char *p = args; *p && used < len;) {
        size_t n = strcspn(p, ":");
        int skip = (n > nx && !strncmp(p, x, nx) && p[nx] == '=') || (nb && n > nb && !strncmp(p, by, nb) && p[nb] == '=');
        if (!skip)
            used += (size_t)snprintf(buf + used, len - used, "%s%.*s", used ? ":" : "", (int)n, p);
        p += n + (p[n] == ':');
    }
}

/* One dashed baseline per layer and thread count, on its first line. */
static int baseline_drawn(const struct chart_data *c, const struct chart_series *s, int b)
{
    for (int i = 0; i < c->ns; i++)
        if (&c->s[i] != s && !isnan(c->s[i].baseline[b]) && c->s[i].threads == s->threads &&
            !strcmp(c->s[i].site, s->site))
            return 1;
    return 0;
}

/* Absolute quantities by layer get a horizontal line per baseline: the
 * primary one ("baseline") and the next listed ("baseline2"). */
static void add_baselines(const struct chart_spec *sp, enum y_kind k, const struct config_view *v, int nv,
                          const struct config_view *c, struct chart_series *s, struct chart_data *d)
{
    static const char *const role[CHART_BASELINES] = {"baseline", "baseline2"};
    static const char *const style[CHART_BASELINES] = {"dashed", "dash-dot"};
    for (int b = 0; b < CHART_BASELINES; b++) {
        const struct config_view *base = results_view_role(v, nv, c, role[b]);
        if (!base)
            continue;
        if (is_absolute(k) && by_layer(sp) && isnan(s->baseline[b]) && !baseline_drawn(d, s, b)) {
            s->baseline[b] = value_of(k, base, NULL);
            interval_of(k, base, NULL, &s->baseline_lo[b], &s->baseline_hi[b]);
        }
        if (!d->baseline_key[b][0])
            snprintf(d->baseline_key[b], sizeof d->baseline_key[b], "%s baseline (%s)", base->id->module,
                     style[b]);
    }
}

/* x = "layer": the baseline's point at this layer on its own solid line
 * ("C2f (baseline)"), once per layer and thread count, its peers beside it. */
static int add_baseline_point(struct chart_data *c, enum y_kind k, const struct config_view *base,
                              const char *xt, int threads)
{
    char label[96];
    snprintf(label, sizeof label, "%s (baseline)", base->id->module);
    double y = value_of(k, base, NULL), lo, hi;
    interval_of(k, base, NULL, &lo, &hi);
    struct chart_series *s = charts_series_for(c, label, "", "", threads, 0);
    if (!s)
        return -1;
    for (int j = 0; j < s->n; j++)
        if (!strcmp(s->pt[j].xt, xt))
            return 0;
    if (isnan(y) || isinf(y))
        return 0;
    return charts_add_point(s, xt, y, lo, hi) != 0 ? -1 : charts_add_peers(c, k, base, NULL, s, xt);
}

/* Every module configuration with a value becomes a point.  Returns how
 * many module rows had the x argument (0 = x is wrong), -1 out of memory. */
static int collect(const struct chart_spec *sp, enum y_kind k, const struct config_view *v, int nv,
                   struct chart_data *c)
{
    int with_x = 0;
    for (int i = 0; i < nv; i++) {
        const struct result_row *id = v[i].id;
        char xt[32], label[96], site[32], rest[256];
        if (strcmp(id->role, "module") || !x_text(sp, id, xt, sizeof xt))
            continue;
        with_x++;
        if (sp->threads > 0 && id->threads != sp->threads)
            continue;
        const struct config_view *base = results_view_baseline(v, nv, &v[i]);
        double y = value_of(k, &v[i], base), lo, hi;
        if (isnan(y) || isinf(y))
            continue;
        interval_of(k, &v[i], base, &lo, &hi);
        line_label(sp, id, label, sizeof label);
        results_site_label(id, site, sizeof site);
        other_args(id->args, sp->x, by_layer(sp) ? "" : sp->by, rest, sizeof rest);
        if (x_is_layer(sp)) /* one line across the layers: their args differ by design */
            site[0] = rest[0] = 0;
        struct chart_series *s = charts_series_for(c, label, site, rest, id->threads, 0);
        if (!s || charts_add_point(s, xt, y, lo, hi) != 0)
            return -1;
        if (!x_is_layer(sp))
            add_baselines(sp, k, v, nv, &v[i], s, c);
        /* s is not used below: a new line may move c->s */
        if (charts_add_peers(c, k, &v[i], base, s, xt) != 0)
            return -1;
        if (x_is_layer(sp) && is_absolute(k) && base &&
            add_baseline_point(c, k, base, xt, id->threads) != 0)
            return -1;
    }
    return with_x;
}

/* ------------------------------------------------------------ x, y, labels */

static int cmp_cat(const void *a, const void *b)
{
    return strverscmp(a, b);
}

/* Numeric x when every value is a number; else words in natural order. */
static int place_x(struct chart_data *c)
{
    int total = 0, numeric = 1;
    for (int i = 0; i < c->ns; i++)
        for (int j = 0; j < c->s[i].n; j++) {
            char *end;
            c->s[i].pt[j].x = strtod(c->s[i].pt[j].xt, &end);
            numeric &= end != c->s[i].pt[j].xt && *end == 0;
            total++;
        }
    if (numeric)
        return 0;
    c->categorical = 1;
    if (!(c->cats = malloc((size_t)(total ? total : 1) * sizeof *c->cats)))
        return -1;
    for (int i = 0; i < c->ns; i++)
        for (int j = 0; j < c->s[i].n; j++) {
            int k = 0;
            while (k < c->ncat && strcmp(c->cats[k], c->s[i].pt[j].xt))
                k++;
            if (k == c->ncat)
                snprintf(c->cats[c->ncat++], sizeof c->cats[0], "%s", c->s[i].pt[j].xt);
        }
    qsort(c->cats, (size_t)c->ncat, sizeof c->cats[0], cmp_cat);
    for (int i = 0; i < c->ns; i++)
        for (int j = 0; j < c->s[i].n; j++)
            for (int k = 0; k < c->ncat; k++)
                if (!strcmp(c->cats[k], c->s[i].pt[j].xt))
                    c->s[i].pt[j].x = k;
    return 0;
}

/* Divides counts into readable units, names them in the y label, and
 * picks a log axis when a quantity spans more than 20x (a ratio too: with
 * peers 40x slower beside modules at 0.5x a linear axis flattens the
 * modules, and ratios read right on a log axis, 2x as far from 1 as 0.5x). */
static void scale_y(struct chart_data *c, const struct y_desc *y)
{
    double lo = INFINITY, hi = 0, scale = 1;
    for (int i = 0; i < c->ns; i++) { /* fmin/fmax skip the NaN of a missing bar */
        for (int j = 0; j < c->s[i].n; j++) {
            const struct chart_point *p = &c->s[i].pt[j];
            lo = fmin(lo, fmin(p->y, p->lo)), hi = fmax(hi, fmax(p->y, p->hi));
        }
        for (int b = 0; b < CHART_BASELINES; b++)
            if (!isnan(c->s[i].baseline[b]))
                lo = fmin(lo, fmin(c->s[i].baseline[b], c->s[i].baseline_lo[b])),
                hi = fmax(hi, fmax(c->s[i].baseline[b], c->s[i].baseline_hi[b]));
    }
    const char *unit = "";
    if (y->kind == Y_PARAMS && hi >= 1e6)
        scale = 1e6, unit = " (millions)";
    else if (y->kind == Y_PARAMS && hi >= 1e4)
        scale = 1e3, unit = " (thousands)";
    else if (y->kind == Y_PARAMS)
        unit = " (count)";
    else if ((y->kind == Y_THOP || y->kind == Y_FULL) && hi >= 1e8)
        scale = 1e9, unit = ", GFLOPs";
    else if (y->kind == Y_THOP || y->kind == Y_FULL)
        scale = 1e6, unit = ", MFLOPs";
    snprintf(c->ylabel, sizeof c->ylabel, "%s%s", y->label, unit);
    for (int i = 0; i < c->ns; i++) {
        for (int j = 0; j < c->s[i].n; j++)
            c->s[i].pt[j].y /= scale, c->s[i].pt[j].lo /= scale, c->s[i].pt[j].hi /= scale;
        for (int b = 0; b < CHART_BASELINES; b++)
            c->s[i].baseline[b] /= scale, c->s[i].baseline_lo[b] /= scale, c->s[i].baseline_hi[b] /= scale;
    }
    c->ylo = lo / scale, c->yhi = hi / scale;
    c->logy = y->kind != Y_GFLOPS && lo > 0 && hi / lo > 20;
    c->bars = is_timing(y->kind);
}

static int cmp_point(const void *a, const void *b)
{
    const struct chart_point *p = a, *q = b;
    return (p->x > q->x) - (p->x < q->x);
}

/* Ours first (their colours are their places), then each engine's lines. */
static int cmp_series(const void *a, const void *b)
{
    const struct chart_series *p = a, *q = b;
    if (p->peer != q->peer)
        return p->peer - q->peer;
    return strverscmp(p->sort_key, q->sort_key);
}

/* Sorted lines and points, labelled. */
static void arrange(struct chart_data *c)
{
    if (c->ns == 0)
        return; /* qsort wants a real pointer even for nothing */
    qsort(c->s, (size_t)c->ns, sizeof *c->s, cmp_series);
    for (int i = 0; i < c->ns; i++)
        qsort(c->s[i].pt, (size_t)c->s[i].n, sizeof *c->s[i].pt, cmp_point);
    charts_peer_owners(c);
    charts_distinguish(c, !by_layer(c->spec));
}

static void labels(struct chart_data *c, const struct y_desc *y, const struct config_view *v, int nv,
                   const char *machine)
{
    const struct chart_spec *sp = c->spec;
    const char *module = "module", *base = "baseline";
    for (int i = 0; i < nv; i++)
        if (!strcmp(v[i].id->role, "module"))
            module = v[i].id->module;
        else if (!strcmp(v[i].id->role, "baseline"))
            base = v[i].id->module;
    char threads[32] = "";
    if (sp->threads > 0)
        snprintf(threads, sizeof threads, ", %d thread%s", sp->threads, sp->threads > 1 ? "s" : "");
    if (sp->title[0])
        snprintf(c->title, sizeof c->title, "%s", sp->title);
    else
        snprintf(c->title, sizeof c->title, "%s: %s vs %s%s", module, y->name, sp->x, threads);
    if (x_is_layer(sp))
        snprintf(c->xlabel, sizeof c->xlabel, "layer (the model's layer it sits at)");
    else
        snprintf(c->xlabel, sizeof c->xlabel, "%s (module argument value)", sp->x);
    if (sp->threads > 0)
        snprintf(threads, sizeof threads, "%d thread%s", sp->threads, sp->threads > 1 ? "s" : "");
    else
        snprintf(threads, sizeof threads, "threads as each line says");
    snprintf(c->caption, sizeof c->caption, "%s, %s%s", machine, threads,
             c->bars ? "; bars and bands: p10-p90 of the timing (other terms at their median)" : "");
    if (y->kind == Y_RATIO)
        snprintf(c->unit_line, sizeof c->unit_line, "= %s", base);
    else if (y->kind == Y_SPEEDUP)
        snprintf(c->unit_line, sizeof c->unit_line, "= reference");
    if (!c->ns && sp->threads > 0)
        snprintf(c->empty, sizeof c->empty, "nothing to plot: no %s row with status ok at %d thread%s",
                 module, sp->threads, sp->threads > 1 ? "s" : "");
    else if (!c->ns)
        snprintf(c->empty, sizeof c->empty, "nothing to plot: no %s row with status ok", module);
}

/* ------------------------------------------------------------ API */

static void chart_data_free(struct chart_data *c)
{
    for (int i = 0; i < c->ns; i++)
        free(c->s[i].pt);
    free(c->s);
    free(c->cats);
}

static int build_chart(const struct chart_spec *sp, const struct config_view *v, int nv, const char *machine,
                       struct chart_data *c, char *err, size_t errlen)
{
    const struct y_desc *y = find_y(sp->y);
    if (!y) {
        snprintf(err, errlen, "chart '%s': unknown y '%s' (known: median_ms, params, flops_thop, "
                              "flops_full, gflops, ratio_vs_baseline, speedup_vs_ref)", sp->name, sp->y);
        return -1;
    }
    int with_x = collect(sp, y->kind, v, nv, c);
    if (with_x < 0 || place_x(c) != 0) {
        snprintf(err, errlen, "chart '%s': out of memory", sp->name);
        return -1;
    }
    for (int i = 0; i < nv && !with_x; i++)
        if (!strcmp(v[i].id->role, "module")) {
            snprintf(err, errlen, "chart '%s': x '%s' is not an argument of the module rows (they have '%s')",
                     sp->name, sp->x, v[i].id->args);
            return -1;
        }
    scale_y(c, y);
    arrange(c);
    labels(c, y, v, nv, machine);
    return 0;
}

int charts_render(const char *dir, const char *csv_path, const struct chart_spec *specs, int n,
                  char *err, size_t errlen)
{
    struct result_row *rows;
    struct config_view *v = NULL;
    int nrows = results_read(csv_path, &rows, err, errlen);
    if (nrows < 0)
        return -1;
    int nv = results_view_build(rows, nrows, &v), rc = 0;
    if (nv < 0) {
        snprintf(err, errlen, "%s: out of memory", csv_path);
        rc = -1;
    }
    /* One bad chart does not cost the others: all are tried, the first
     * error is reported. */
    char one[512], machine[192];
    charts_machine(dir, machine, sizeof machine);
    for (int i = 0; i < n && nv >= 0; i++) {
        struct chart_data c = {.spec = &specs[i]};
        int bad = build_chart(&specs[i], v, nv, machine, &c, one, sizeof one) != 0 ||
                  chart_plot(dir, &c, one, sizeof one) != 0;
        if (bad && rc == 0)
            snprintf(err, errlen, "%s", one);
        rc |= bad ? -1 : 0;
        chart_data_free(&c);
    }
    free(v);
    free(rows);
    return rc;
}
