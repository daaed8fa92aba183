/* harness/paired.h — the ratio of two implementations timed interleaved in
 * one timing_run (timing.h), with a confidence interval.
 *
 * Both sides were measured in the same process, round after round (A B,
 * B A, ...), so whatever slows a round (a co-tenant, a frequency step, the
 * process's page placement) slows both.  The estimate keeps that pairing:
 *
 *   ratio  median(A samples) / median(B samples)
 *   CI     paired block bootstrap over rounds: draw TIMING_ROUNDS rounds
 *          with replacement, the SAME rounds for A and B, take the ratio of
 *          the medians of the drawn rounds' samples; PAIRED_BOOT draws, the
 *          2.5 % and 97.5 % quantiles are the 95 % interval.  Resampling
 *          whole rounds (not single samples) keeps the drift within a round
 *          inside the interval; drawing the same rounds for both sides
 *          cancels what the two sides shared.
 *
 * The draws come from a fixed seed: the same samples give the same
 * interval.  With fewer than 3 rounds holding samples of both sides the
 * interval is unknown (NaN). */
#ifndef ABLATE_PAIRED_H
#define ABLATE_PAIRED_H

#include "timing.h"

#define PAIRED_BOOT 1000
#define PAIRED_LEVEL 0.95

struct paired_ratio {
    double ratio, lo, hi; /* NaN when unknown */
};

void paired_ratio(const struct timing_samples *a, const struct timing_samples *b, struct paired_ratio *r);

#endif
