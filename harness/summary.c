/* harness/summary.c — see summary.h.  Cells are formatted first and the
 * columns sized to fit them, so long module names (C2f_DynamicConv) and
 * YOLOv8x-size counts line up as well as small ones. */
#include "summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "results_view.h"
#include "vcpu_skew.h"

enum { COL_MAX = 20, CELL = 48, XARGS_MAX = 4 };

/* The swept arguments shown as columns ("kernel_att,head" -> 2). */
struct xargs {
    int n;
    char name[XARGS_MAX][32];
};

static struct xargs parse_xargs(const char *list)
{
    struct xargs x = {0};
    if (!list || !list[0] || !strcmp(list, "-"))
        return x;
    for (const char *p = list; *p && x.n < XARGS_MAX;) {
        size_t len = strcspn(p, ",");
        if (len > 0 && len < sizeof x.name[0])
            snprintf(x.name[x.n++], sizeof x.name[0], "%.*s", (int)len, p);
        p += len + (p[len] == ',');
    }
    return x;
}

struct table {
    int ncols;
    char head[COL_MAX][CELL];
    int right[COL_MAX]; /* numbers are right-aligned */
    char (*cell)[COL_MAX][CELL];
    int nrows;
};

static void add_column(struct table *t, const char *head, int right)
{
    snprintf(t->head[t->ncols], CELL, "%s", head);
    t->right[t->ncols++] = right;
}

/* Which peer columns the table has: torch ms always (the sweeps have had
 * it from the start); ort/openvino ms when the CSV has such rows; the
 * fastest peer and our speed-up over it when it has any peer row. */
struct peer_cols {
    int engines, any;
};

static struct peer_cols peer_columns(const struct config_view *v, int nv)
{
    struct peer_cols pc = {0};
    for (int i = 0; i < nv; i++) {
        pc.engines |= v[i].peer[1] || v[i].peer[2];
        pc.any |= v[i].peer[0] || v[i].peer[1] || v[i].peer[2];
    }
    return pc;
}

/* A peer's cell: its median when it passed, else its status (skipped,
 * fail_parity: a wrong export shows as such, not as a fast time). */
static void peer_cell(char *buf, const struct result_row *r)
{
    if (!r)
        snprintf(buf, CELL, "-");
    else if (!strcmp(r->status, "ok") && !isnan(r->median_ms))
        snprintf(buf, CELL, "%.4g", r->median_ms);
    else
        snprintf(buf, CELL, "%.*s", CELL - 1, r->status);
}

static void set_columns(struct table *t, const struct xargs *x, int all_threads, struct peer_cols pc)
{
    add_column(t, "layer", 0);
    add_column(t, "module", 0);
    if (all_threads)
        add_column(t, "threads", 1);
    if (!x->n)
        add_column(t, "args", 0);
    for (int i = 0; i < x->n; i++)
        add_column(t, x->name[i], 1);
    add_column(t, "params", 1);
    add_column(t, "GFLOPs(thop)", 1);
    add_column(t, "GFLOPs(full)", 1);
    add_column(t, "best impl", 0);
    add_column(t, "median ms", 1);
    add_column(t, "vs base", 1);
    add_column(t, "95% CI", 1);
    add_column(t, "torch ms", 1);
    if (pc.engines) {
        add_column(t, "ort ms", 1);
        add_column(t, "openvino ms", 1);
    }
    if (pc.any) {
        add_column(t, "fastest peer", 0);
        add_column(t, "speed-up", 1);
    }
    add_column(t, "parity", 0);
}

/* %.4g keeps both 0.2359 (YOLOv8n) and 1.235e-05 (test shapes) readable. */
static void number(char *buf, double v, const char *fmt)
{
    if (isnan(v) || isinf(v))
        snprintf(buf, CELL, "-");
    else
        snprintf(buf, CELL, fmt, v);
}

static void parity_text(const struct config_view *c, char *buf)
{
    const struct result_row *w = c->worst;
    if (!w)
        snprintf(buf, CELL, "-");
    else if (results_status_rank(w->status) <= 0)
        snprintf(buf, CELL, "%s", w->status);
    else
        snprintf(buf, CELL, "%s (%.*s)", w->status, CELL - 20, w->impl);
}

static void fill_row(struct table *t, const struct config_view *c, const struct config_view *base,
                     const struct xargs *x, int all_threads, struct peer_cols pc)
{
    char(*row)[CELL] = t->cell[t->nrows++];
    const struct result_row *id = c->id, *n = c->counts, *g = c->best_gen;
    int k = 0, is_base = !strcmp(id->role, "baseline");
    results_site_label(id, row[k++], CELL);
    snprintf(row[k++], CELL, "%s", id->module);
    if (all_threads)
        snprintf(row[k++], CELL, "%d", id->threads);
    if (!x->n) {
        snprintf(row[k++], CELL, "%.*s", is_base ? 1 : CELL - 1, is_base ? "-" : id->args); /* long args are cut */
    }
    for (int i = 0; i < x->n; i++, k++)
        if (is_base || !results_arg_value(id->args, x->name[i], row[k], CELL))
            snprintf(row[k], CELL, "-");
    number(row[k++], n ? (double)n->params : NAN, "%.0f");
    number(row[k++], n ? n->flops_thop / 1e9 : NAN, "%.4g");
    number(row[k++], n ? n->flops_full / 1e9 : NAN, "%.4g");
    snprintf(row[k++], CELL, "%s", g ? g->impl : "-");
    number(row[k++], g ? g->median_ms : NAN, "%.4g");
    number(row[k++], results_view_base_ratio(c, base), "%.2f");
    if (g && !isnan(g->ratio_ci_lo) && !isnan(g->ratio_ci_hi))
        snprintf(row[k++], CELL, "%.2f-%.2f", g->ratio_ci_lo, g->ratio_ci_hi);
    else
        snprintf(row[k++], CELL, "-");
    peer_cell(row[k++], c->peer[0]);
    if (pc.engines) {
        peer_cell(row[k++], c->peer[1]);
        peer_cell(row[k++], c->peer[2]);
    }
    if (pc.any) {
        const struct result_row *fp = results_view_fastest_peer(c);
        snprintf(row[k++], CELL, "%s", fp ? fp->impl : "-");
        number(row[k++], fp && g ? fp->median_ms / g->median_ms : NAN, "%.2f");
    }
    parity_text(c, row[k++]);
}

static void print_table(FILE *out, const struct table *t)
{
    int width[COL_MAX];
    for (int j = 0; j < t->ncols; j++) {
        width[j] = (int)strlen(t->head[j]);
        for (int i = 0; i < t->nrows; i++)
            if ((int)strlen(t->cell[i][j]) > width[j])
                width[j] = (int)strlen(t->cell[i][j]);
    }
    for (int i = -1; i < t->nrows; i++)
        for (int j = 0; j < t->ncols; j++) {
            const char *s = i < 0 ? t->head[j] : t->cell[i][j];
            int last = j == t->ncols - 1;
            if (last && !t->right[j])
                fprintf(out, "%s", s); /* no trailing blanks */
            else
                fprintf(out, t->right[j] ? "%*s" : "%-*s", width[j], s);
            fputs(last ? "\n" : "  ", out);
        }
}

/* One line naming how many of the shown multi-thread configurations were
 * timed while the host ran one vCPU slow (vcpu_skew.h), when any was. */
static void skew_line(FILE *out, const struct config_view *v, int nv, int threads)
{
    int high = 0;
    double worst = 0;
    for (int i = 0; i < nv; i++) {
        const struct result_row *g = v[i].best_gen;
        if ((threads > 0 && v[i].id->threads != threads) || !g ||
            !vcpu_skew_is_high(g->threads, g->vcpu_skew))
            continue;
        high++;
        worst = g->vcpu_skew > worst ? g->vcpu_skew : worst;
    }
    if (high)
        fprintf(out,
                "vCPU skew: %d configuration%s timed while the host ran one vCPU at least %.2fx "
                "slower than the other (up to %.2f): their multi-thread times and ratios say as "
                "much about the host as about the kernels (docs/measurement.md, Uneven vCPUs)\n",
                high, high > 1 ? "s" : "", VCPU_SKEW_HIGH, worst);
}

int summary_print(FILE *out, const char *csv_path, const char *xarg, int threads, char *err,
                  size_t errlen)
{
    struct result_row *rows;
    struct config_view *v = NULL;
    int nrows = results_read(csv_path, &rows, err, errlen);
    if (nrows < 0)
        return -1;
    int nv = results_view_build(rows, nrows, &v);
    struct table t = {0};
    t.cell = nv >= 0 ? malloc((size_t)(nv + 1) * sizeof *t.cell) : NULL;
    if (!t.cell) {
        snprintf(err, errlen, "%s: out of memory", csv_path);
        free(v);
        free(rows);
        return -1;
    }
    struct xargs x = parse_xargs(xarg);
    struct peer_cols pc = peer_columns(v, nv);
    set_columns(&t, &x, threads <= 0, pc);
    for (int i = 0; i < nv; i++)
        if (threads <= 0 || v[i].id->threads == threads) {
            int is_base = !strcmp(v[i].id->role, "baseline");
            fill_row(&t, &v[i], is_base ? &v[i] : results_view_baseline(v, nv, &v[i]), &x, threads <= 0,
                     pc);
        }
    print_table(out, &t);
    if (!t.nrows)
        fprintf(out, "(no rows%s)\n", threads > 0 ? " at this thread count" : "");
    else
        fputs("best impl, median ms: the fastest generated kernel that passed; vs base: its time over the "
              "(first listed) baseline's, same layer and threads, both timed interleaved in one process (each "
              "side's lower quartile of its round medians); 95% CI: "
              "that ratio's paired bootstrap interval (docs/measurement.md); torch ms: PyTorch eager "
              "(scripts/torch_peer.py), same run\n",
              out);
    if (t.nrows && pc.any)
        fputs("ort ms, openvino ms: ONNX Runtime and OpenVINO on the exported module (scripts/peer_run.py), same run; "
              "fastest peer: the fastest that passed parity; speed-up: its median over ours\n",
              out);
    skew_line(out, v, nv, threads);
    free(t.cell);
    free(v);
    free(rows);
    if (ferror(out)) { /* sticky: any failed write above */
        snprintf(err, errlen, "cannot print the summary of %s", csv_path);
        return -1;
    }
    return 0;
}
