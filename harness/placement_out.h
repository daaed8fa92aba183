/* harness/placement_out.h — a placement run's summary and chart. */
#ifndef ABLATE_PLACEMENT_OUT_H
#define ABLATE_PLACEMENT_OUT_H

#include <stddef.h>

#include "placement.h"
#include "results.h"

/* From DIR/results.csv: prints the summary table per scale and thread
 * count (params, GFLOPs, latency, ratio to the base, the "FLOPs down,
 * latency up" flag), writes it to DIR/summary.md, and draws
 * DIR/params_vs_latency_<scale>_t<threads>.png/.svg and flops_vs_latency_*
 * (placement_charts).  0, or -1 with err. */
int placement_finish(const struct placement_plan *p, const char *dir, const char *csv_path,
                     char *err, size_t errlen);

/* The rows of one scale and thread count in the order summary.md's table
 * and the charts number them: (*out)[0] the base (NULL when there is no
 * base row), then the placements as results.csv has them, 1, 2, ...
 * Returns how many (>= 1; *out malloc'd), -1 out of memory. */
int placement_points(const struct result_row *rows, int n, const char *scale, int threads,
                     const struct result_row ***out);

/* The params and GFLOPs charts of every scale and thread count
 * (placement_chart.c).  0, or -1 with err. */
int placement_charts(const struct placement_plan *p, const char *dir, const struct result_row *rows, int n,
                     char *err, size_t errlen);

/* A placement's latency over the base's: the ratio timed beside the base in
 * one process when the row has it (ratio_vs_base), else the two medians. */
double placement_latency_ratio(const struct result_row *r, const struct result_row *base);
/* The interval drawn around that ratio (NaN: none): its paired 95 %
 * interval, or for older runs p10-p90 over the base median; and what it
 * is, for captions and tables. */
void placement_latency_interval(const struct result_row *r, const struct result_row *base, double *lo,
                                double *hi);
extern const char placement_interval_text[];

/* 1 when a placement has fewer printed FLOPs than the base yet a higher
 * median latency: the case DESIGN.md wants flagged. */
int placement_flops_down_latency_up(double flops, double ms, double base_flops, double base_ms);

#endif
