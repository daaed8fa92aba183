/* harness/placement_out.h — a placement run's summary and chart. */
#ifndef ABLATE_PLACEMENT_OUT_H
#define ABLATE_PLACEMENT_OUT_H

#include <stddef.h>

#include "placement.h"

/* From DIR/results.csv: prints the summary table per scale and thread
 * count (params, GFLOPs, latency, ratio to the base, the "FLOPs down,
 * latency up" flag), writes it to DIR/summary.md, and draws
 * DIR/params_vs_latency.png/.svg.  0, or -1 with err. */
int placement_finish(const struct placement_plan *p, const char *dir, const char *csv_path,
                     char *err, size_t errlen);

/* 1 when a placement has fewer printed FLOPs than the base yet a higher
 * median latency: the case DESIGN.md wants flagged. */
int placement_flops_down_latency_up(double flops, double ms, double base_flops, double base_ms);

#endif
