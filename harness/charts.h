/* harness/charts.h — gnuplot charts (PNG via pngcairo and SVG) from a results CSV. */
#ifndef ABLATE_CHARTS_H
#define ABLATE_CHARTS_H

#include <stddef.h>

/* One chart: y against x (an argument name, e.g. "num_param"), one line per
 * value of `by` ("layer" or an argument name), for rows with impl == `impl`
 * (NULL = the fastest generated impl per configuration).  y is a column
 * ("median_ms", "params", "flops_thop", "flops_full", "gflops") or a derived
 * quantity ("ratio_vs_baseline" = module median / baseline median at the same
 * layer and threads, "speedup_vs_ref").  Baseline rows are drawn as dashed
 * horizontal lines when y is per-configuration (median_ms, params, flops_*). */
struct chart_spec {
    char x[32], y[32], by[32];
    int threads;          /* 0 = every thread count, one panel... or line per threads */
    char title[128];
    char name[64];        /* file stem: DIR/<name>.png and .svg */
};

/* Writes DIR/<name>.dat, .gp, .png, .svg for every chart.  0 or -1 + err
 * (gnuplot missing or failing is an error naming the command).  A chart
 * that fails does not stop the others; err is the first failure. */
/* 1 if `name` is a y the charts can draw (median_ms, params, ...): the DSL
 * checks it when the script is read, not after the sweep has run. */
int charts_y_known(const char *name);
int charts_render(const char *dir, const char *csv_path, const struct chart_spec *specs, int n,
                  char *err, size_t errlen);

/* The machine of the run in DIR as a chart caption says it, from its
 * meta.json: "CPU: AMD EPYC (2 logical CPUs, OpenBLAS Cooperlake)", or
 * "CPU: unknown (no meta.json in DIR)". */
void charts_machine(const char *dir, char *buf, size_t len);

/* ------------------------------------------------ scatter labels (charts_label.c)
 * Scatter charts (the placement charts) name only their Pareto front and
 * number every point; the labels are placed here, in pixels of the
 * picture (y up), so that no two overlap. */

struct chart_box {
    double x0, y0, x1, y1; /* x0 <= x1, y0 <= y1 */
};

struct chart_label {
    double ax, ay; /* the point it names */
    double w, h;   /* its text's box */
    double x, y;   /* placed: the box's centre */
    int leader;    /* placed away from its point: draw a line to it */
};

/* front[i] = 1 when no other point is at least as small in both x and y
 * and smaller in one (both minimised: fewer params, lower latency).
 * Points with a NaN coordinate are never on it.  Returns the front's size. */
int charts_pareto_front(const double *x, const double *y, int n, int *front);

/* 1 when the two boxes share more than an edge. */
int charts_boxes_overlap(const struct chart_box *a, const struct chart_box *b);

/* The box of a placed label. */
struct chart_box charts_label_box(const struct chart_label *l);

/* Places labels in order, each at the first free spot of a fixed search
 * around its point (right, left, above, below, the diagonals, then further
 * out), inside `area`: never over another label, and over none of the
 * `obstacles` (markers, error bars) while a spot clear of them exists.
 * Deterministic.  0, or -1 when some label found no spot at all (an area
 * full of labels). */
int charts_place_labels(struct chart_label *l, int n, const struct chart_box *obstacles, int nobs,
                        struct chart_box area);

/* Rough size of `text` at `font_px` in DejaVu Sans (what the charts use),
 * padded a little: wide enough that boxes apart are texts apart. */
void charts_text_box(const char *text, double font_px, double *w, double *h);

/* ------------------------------------------------ scatter charts (charts_scatter.c)
 * x and y both relative to a reference point drawn at (1, 1) with guide
 * lines at 1 (the placement charts: params or GFLOPs ratio against latency
 * ratio to the base model).  Each point has a number (the table beside the
 * chart lists them) and a y interval drawn as an error bar; only the
 * Pareto front (smaller x and smaller y than any other point) is named on
 * the chart, every other point shows its number; no label covers another. */

struct scatter_point {
    double x, y;      /* NaN: not drawn (a row that was not timed) */
    double lo, hi;    /* the y interval (NaN: none) */
    int number;       /* shown on the chart; 0 = the reference */
    char name[64];
};

struct scatter_spec {
    char name[96];           /* DIR/<name>.dat .gp .png .svg */
    char title[192];
    char caption[2][192];    /* lines under the chart: machine, threads, what the bars are */
    char xlabel[96], ylabel[96];
    char interval[64];       /* key entry of the bars, e.g. "bars: p10-p90 / base median" */
    int shade;               /* shade x < 1, y > 1 and name it in the key */
    char shade_key[64];
};

/* What the chart drew, for tests: each point's label (charts_scatter
 * writes them as `set label` lines of the .gp too). */
struct scatter_drawn {
    int n;
    int named[64];           /* 1 when point i (of the first 64) got its name, not only its number */
};

/* Point 0 is the reference (drawn at its own x, y: normally 1, 1).
 * Writes DIR/<name>.dat/.gp, DIR/<name>.points.tsv (every point with its
 * number: the table for under the chart) and runs gnuplot for .png and .svg; 0 or -1
 * with err (charts_plot.c's errors). */
int charts_scatter(const char *dir, const struct scatter_spec *s, const struct scatter_point *p, int n,
                   struct scatter_drawn *drawn, char *err, size_t errlen);

#endif
