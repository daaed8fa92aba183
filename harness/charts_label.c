/* harness/charts_label.c — the words on a chart: what tells a line apart
 * from the others of the chart (charts_data.h; split from charts.c, which
 * builds the lines), and where a scatter's point labels go so that none
 * covers another (charts.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "charts_data.h"
#include "results_view.h"

/* 1 when key tells s apart from another line of the same layer and label
 * (grid=ij / grid=xy); arguments that only follow the layer (inc, outc)
 * do not. */
static int key_varies(const struct chart_data *c, const struct chart_series *s, const char *key)
{
    char mine[64], other[64];
    int had = results_arg_value(s->rest, key, mine, sizeof mine);
    for (int i = 0; i < c->ns; i++)
        if (!strcmp(c->s[i].group, s->group) &&
            (results_arg_value(c->s[i].rest, key, other, sizeof other) != had || strcmp(mine, other)))
            return 1;
    return 0;
}

static void append_label(struct chart_series *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append_label(struct chart_series *s, const char *fmt, ...)
{
    size_t used = strlen(s->label);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->label + used, sizeof s->label - used, fmt, ap);
    va_end(ap);
}

/* Labels say what tells lines apart: the layer when `by` is an argument
 * and there are several, the other arguments that vary, the threads. */
void charts_distinguish(struct chart_data *c, int by_arg)
{
    int sites = 0, mixed = 0;
    for (int i = 0; i < c->ns; i++) {
        sites |= strcmp(c->s[i].site, c->s[0].site) != 0;
        mixed |= c->s[i].threads != c->s[0].threads;
    }
    for (int i = 0; i < c->ns; i++) {
        struct chart_series *s = &c->s[i];
        if (by_arg && sites)
            append_label(s, ", %s", s->site);
        char rest[256], *save = NULL;
        snprintf(rest, sizeof rest, "%s", s->rest);
        for (char *kv = strtok_r(rest, ":", &save); kv; kv = strtok_r(NULL, ":", &save)) {
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)strcspn(kv, "="), kv);
            if (key_varies(c, s, key))
                append_label(s, ", %s", kv);
        }
        if (mixed)
            append_label(s, ", %d thread%s", s->threads, s->threads > 1 ? "s" : "");
    }
}

/* ------------------------------------------------------------ scatter labels */

int charts_pareto_front(const double *x, const double *y, int n, int *front)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        front[i] = !isnan(x[i]) && !isnan(y[i]);
        for (int j = 0; j < n && front[i]; j++)
            if (j != i && x[j] <= x[i] && y[j] <= y[i] && (x[j] < x[i] || y[j] < y[i]))
                front[i] = 0;
        count += front[i];
    }
    return count;
}

int charts_boxes_overlap(const struct chart_box *a, const struct chart_box *b)
{
    return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

struct chart_box charts_label_box(const struct chart_label *l)
{
    return (struct chart_box){l->x - l->w / 2, l->y - l->h / 2, l->x + l->w / 2, l->y + l->h / 2};
}

void charts_text_box(const char *text, double font_px, double *w, double *h)
{
    /* DejaVu Sans advances: digits and most lower case ~0.64 em, capitals
     * up to 0.77 em, punctuation less; 0.68 em a character over-estimates
     * a little, which only spaces labels a little more. */
    *w = 0.68 * font_px * (double)strlen(text) + 4;
    *h = 1.3 * font_px + 2;
}

/* 1 when the segment from a label's point to its box's centre (its
 * leader line) passes through box b (Liang-Barsky clipping). */
static int leader_crosses(const struct chart_label *l, const struct chart_box *b)
{
    double t0 = 0, t1 = 1, d[2] = {l->x - l->ax, l->y - l->ay};
    double lo[2] = {b->x0 - l->ax, b->y0 - l->ay}, hi[2] = {b->x1 - l->ax, b->y1 - l->ay};
    for (int k = 0; k < 2; k++) {
        if (d[k] == 0) {
            if (lo[k] > 0 || hi[k] < 0)
                return 0;
            continue;
        }
        double a = lo[k] / d[k], c = hi[k] / d[k];
        t0 = fmax(t0, fmin(a, c)), t1 = fmin(t1, fmax(a, c));
    }
    return t0 < t1;
}

/* How hard a spot is looked for: clear of labels always; of points and
 * bars from CLEAR_POINTS; of leader lines through labels at CLEAR_ALL. */
enum { CLEAR_LABELS, CLEAR_POINTS, CLEAR_ALL };

/* Free: inside the area and as clear as `strict` asks. */
static int spot_free(const struct chart_label *l, int placed, const struct chart_label *c,
                     const struct chart_box *obs, int nobs, struct chart_box area, int strict)
{
    struct chart_box b = charts_label_box(c);
    if (b.x0 < area.x0 || b.y0 < area.y0 || b.x1 > area.x1 || b.y1 > area.y1)
        return 0;
    for (int i = 0; i < placed; i++) {
        struct chart_box o = charts_label_box(&l[i]);
        if (charts_boxes_overlap(&b, &o) ||
            (strict == CLEAR_ALL &&
             ((l[i].leader && leader_crosses(&l[i], &b)) || (c->leader && leader_crosses(c, &o)))))
            return 0;
    }
    for (int i = 0; strict >= CLEAR_POINTS && i < nobs; i++)
        if (charts_boxes_overlap(&b, &obs[i]))
            return 0;
    return 1;
}

enum { RINGS = 24, NEAR_RINGS = 2 };

/* Candidate k of the search around c's point: ring k / 8 (7 px from the
 * point, each ring 6 px further), direction k % 8 — right, left, above,
 * below, then the diagonals — with the box's near edge at that distance. */
static void candidate(struct chart_label *c, int k)
{
    static const int dir[8][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {-1, 1}, {1, -1}, {-1, -1}};
    double d = 7 + 6.0 * (k / 8);
    const int *u = dir[k % 8];
    c->x = c->ax + u[0] * (d + c->w / 2);
    c->y = c->ay + u[1] * (d + c->h / 2);
    c->leader = k / 8 >= NEAR_RINGS;
}

/* The fallback when the rings are full: the free spot nearest the point
 * on a 3 px grid over the whole area. */
static int nearest_free(struct chart_label *l, int placed, struct chart_box area)
{
    struct chart_label *c = &l[placed], best = *c;
    double best_d = INFINITY;
    for (double y = area.y0 + c->h / 2; y <= area.y1 - c->h / 2; y += 3)
        for (double x = area.x0 + c->w / 2; x <= area.x1 - c->w / 2; x += 3) {
            double d = hypot(x - c->ax, y - c->ay);
            c->x = x, c->y = y;
            if (d < best_d && spot_free(l, placed, c, NULL, 0, area, CLEAR_LABELS))
                best = *c, best_d = d;
        }
    *c = best;
    c->leader = 1;
    return isinf(best_d) ? -1 : 0;
}

int charts_place_labels(struct chart_label *l, int n, const struct chart_box *obstacles, int nobs,
                        struct chart_box area)
{
    for (int i = 0; i < n; i++) {
        int found = 0;
        for (int strict = CLEAR_ALL; strict >= CLEAR_LABELS && !found; strict--)
            for (int k = 0; k < 8 * RINGS && !found; k++) {
                candidate(&l[i], k);
                found = spot_free(l, i, &l[i], obstacles, nobs, area, strict);
            }
        if (!found && nearest_free(l, i, area) != 0)
            return -1;
    }
    return 0;
}
