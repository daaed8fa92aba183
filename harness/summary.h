/* harness/summary.h — the compact table printed at the end of a sweep. */
#ifndef ABLATE_SUMMARY_H
#define ABLATE_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

/* Prints, for the rows of csv_path at `threads` threads (<= 0: all, with a
 * threads column), one line per (layer, value of the argument xarg) and
 * before each layer's lines one for its baseline (ratio 1.00):
 *
 *   layer  module  num_param  params  GFLOPs(thop)  GFLOPs(full)  best impl  median ms  vs base  parity
 *
 * best impl / median ms: the fastest generated impl that passed; vs base:
 * that median over the baseline's at the same layer and threads; parity:
 * the worst status among the configuration's impls, with the impl when it
 * is not ok.  xarg may list several arguments ("kernel_att,head", up to 4):
 * one column each.  xarg "" or "-": the whole args text is shown instead.
 * Returns 0, or -1 with err (results_read's errors). */
int summary_print(FILE *out, const char *csv_path, const char *xarg, int threads, char *err,
                  size_t errlen);

#endif
