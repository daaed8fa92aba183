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

#endif
