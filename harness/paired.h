/* harness/paired.h — the ratio of two implementations timed interleaved in
 * one timing_run (timing.h), with a confidence interval.
 *
 * Both sides were measured in the same process, round after round (A B,
 * B A, ...), so whatever slows a round (a co-tenant, a frequency step, the
 * process's page placement) slows both.  The estimate keeps that pairing:
 *
 *   side   the lower quartile (PAIRED_QUANTILE) of its round medians, over
 *          the rounds in which both sides took samples
 *   ratio  side(A) / side(B)
 *   CI     paired block bootstrap over rounds: draw as many rounds as were
 *          shared, with replacement, the SAME rounds for A and B, take the
 *          ratio of the two sides' lower quartiles of the drawn rounds'
 *          medians; PAIRED_BOOT draws, the 2.5 % and 97.5 % quantiles are
 *          the 95 % interval.  Resampling whole rounds (not single samples)
 *          keeps the drift within a round inside the interval; drawing the
 *          same rounds for both sides cancels what the two sides shared.
 *
 * Why a lower quartile and not the median of all samples: on the shared
 * 2-vCPU VM, disturbances (the host, co-tenants) only ever add time and
 * last a few ms, long enough to slow whole rounds of one side and not the
 * other.  A quick A/A sweep of AKConv beside its Conv then read 1.92 where
 * the undisturbed ratio is 1.68: 5 of its 8 AKConv rounds ran at 0.092 ms
 * instead of 0.070 (docs/measurement.md, "Ratios from one process").  The
 * lower quartile of the round medians ignores up to 5 of 8 rounds slowed
 * on one side, while a kernel that is really slower is slower in
 * every round and moves it in full.
 *
 * The draws come from a fixed seed: the same samples give the same
 * interval.  With fewer than 3 rounds holding samples of both sides the
 * interval is unknown (NaN) and each side's quartile is taken over its own
 * rounds. */
#ifndef ABLATE_PAIRED_H
#define ABLATE_PAIRED_H

#include "timing.h"

#define PAIRED_BOOT 1000
#define PAIRED_LEVEL 0.95
#define PAIRED_QUANTILE 0.25

struct paired_ratio {
    double ratio, lo, hi; /* NaN when unknown */
};

void paired_ratio(const struct timing_samples *a, const struct timing_samples *b, struct paired_ratio *r);

#endif
