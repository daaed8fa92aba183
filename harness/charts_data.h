/* harness/charts_data.h — one chart as numbers and labels: charts.c builds
 * it from a results CSV, charts_plot.c draws it with gnuplot.  Internal to
 * the two. */
#ifndef ABLATE_CHARTS_DATA_H
#define ABLATE_CHARTS_DATA_H

#include <stddef.h>

#include "charts.h"

/* What a chart's y is (charts.c's table names them). */
enum y_kind { Y_MEDIAN, Y_PARAMS, Y_THOP, Y_FULL, Y_GFLOPS, Y_RATIO, Y_SPEEDUP };

struct chart_point {
    double x, y;  /* y already divided by the chart's unit (1e6 for "millions") */
    double lo, hi; /* y's spread (the timing's p10..p90 carried through), NaN for counts */
    char xt[32];  /* x as the args column spells it */
};

enum { CHART_BASELINES = 2 }; /* drawn per site: the primary and one more */

/* One line of the chart: a layer (or a value of the `by` argument), at one
 * thread count. */
struct chart_series {
    char label[96];
    char site[32];  /* results_site_label */
    char rest[256]; /* the args other than x and by: lines differ in them too */
    char group[128];  /* label and site as first made: lines a reader tells apart by rest */
    char sort_key[400];
    int threads;
    int peer;  /* 0: ours; 1 + index in results_peer_impl: that engine's line (dotted) */
    int owner; /* a peer's line: the index of the line of ours it follows (its colour); else -1 */
    /* the baselines' values at this series' site (scaled), NaN if none:
     * [0] the primary baseline (dashed), [1] the next listed one (dash-dot) */
    double baseline[CHART_BASELINES];
    double baseline_lo[CHART_BASELINES], baseline_hi[CHART_BASELINES]; /* their p10..p90 band */
    struct chart_point *pt;
    int n, cap;
};

struct chart_data {
    const struct chart_spec *spec;
    struct chart_series *s;
    int ns, cap;
    char title[192], xlabel[64], ylabel[128];
    char baseline_key[CHART_BASELINES][96]; /* key entries: "Conv baseline (dashed)" */
    char unit_line[64];    /* key entry of the y = 1 line ("= Conv"), "" for none */
    int categorical;       /* x values are words: tics name them, x = their index */
    char (*cats)[32];
    int ncat;
    int logy;
    int bars;              /* y is a timing: error bars (lo, hi) on every line, bands on baselines */
    char caption[256];     /* under the chart: CPU, threads, what the bars are */
    double ylo, yhi;       /* smallest and largest y drawn (baselines included) */
    char empty[128]; /* why there is nothing to plot ("" when there is) */
};

/* ---- charts_series.c */
/* The line (label, site, rest, threads, peer), made empty when new; NULL
 * when out of memory. */
struct chart_series *charts_series_for(struct chart_data *c, const char *label, const char *site, const char *rest,
                                       int threads, int peer);
/* Appends a point; -1 when out of memory. */
int charts_add_point(struct chart_series *s, const char *xtext, double y, double lo, double hi);

struct config_view;
/* The peers' points at configuration `conf`, whose own point is on line
 * `ours` at xt: each engine that passed gets a point on its dotted line
 * beside ours.  base (conf's baseline, or NULL) is what a ratio divides
 * by: the same engine's baseline.  Timings only (median, GFLOP/s, ratio);
 * 0, or -1 when out of memory. */
int charts_add_peers(struct chart_data *c, enum y_kind k, const struct config_view *conf,
                     const struct config_view *base, const struct chart_series *ours, const char *xt);
/* Sets each peer line's owner once the lines are sorted. */
void charts_peer_owners(struct chart_data *c);

/* Appends to each line's label what tells it apart: the layer when `by`
 * is an argument (by_arg) and there are several, the other arguments that
 * vary between lines of one label, the threads (charts_label.c). */
void charts_distinguish(struct chart_data *c, int by_arg);

/* Runs gnuplot on GP, which must make PNG and SVG (not empty); 0 or -1
 * with err (gnuplot_run's, or "gnuplot GP made no PNG"). */
int charts_run_script(const char *gp, const char *png, const char *svg, char *err, size_t errlen);

/* Writes DIR/<name>.dat and .gp and runs gnuplot for .png and .svg. */
int chart_plot(const char *dir, const struct chart_data *c, char *err, size_t errlen);

#endif
