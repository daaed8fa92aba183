/* harness/vcpu_skew.h — how unevenly the host runs the first two vCPUs.
 *
 * On the 2-vCPU Emerald Rapids KVM guest of docs/measurement.md the host at
 * times runs one vCPU 1.08-1.50x slower than the other for a whole sweep
 * phase, that vCPU's CPU time equal to its wall time (not preemption in the
 * guest: docs/modules/perf_akconv.md, "thirteenth Intel pass").  A kernel
 * whose threads split the work statically then waits for the slow one, and
 * its 2-thread time says more about the host than about the kernel.
 *
 * The probe: a thread pinned to each of the two CPUs runs the same fixed
 * dependent chain of multiply-adds at the same time, in `blocks` blocks that
 * both start together (a spin barrier); each block's skew is the slower
 * thread's wall time over the faster one's, and the sample is the median
 * block's skew, so one interrupt in one block does not count.  timing_run
 * samples it where it samples the round trip (vcpu_roundtrip.h) and the CSV
 * row keeps the largest sample (`vcpu_skew`, docs/results.md). */
#ifndef ABLATE_VCPU_SKEW_H
#define ABLATE_VCPU_SKEW_H

#define VCPU_SKEW_BLOCKS_MAX 64

/* At or above: the host ran one vCPU measurably slower than the other
 * during the row (docs/measurement.md, "Uneven vCPUs"): on this 2-vCPU
 * Emerald Rapids VM, 72 passes of five sweeps with no slow phase kept at
 * most 1.094 (the largest of 2 or 9 samples each), while the slow phases of
 * c-akconv's thirteenth pass read 1.08-1.50x, and a slow
 * stretch of seconds here 1.107 median. */
#define VCPU_SKEW_HIGH 1.10

/* Skew (>= 1) between cpu_a and cpu_b: `blocks` blocks of `per_block`
 * dependent multiply-adds on each; 0, or -1 when a thread cannot be started
 * or pinned or the arguments are out of range (then *skew is NaN). */
int vcpu_skew_between(int cpu_a, int cpu_b, int blocks, int per_block, double *skew);

/* The probe's reduction: the median over blocks of the slower side's time
 * over the faster one's, given both sides' block times (seconds); NaN when
 * blocks is out of range. */
double vcpu_skew_of_blocks(const double *a_s, const double *b_s, int blocks);

/* The skew between the first two CPUs this thread may run on, with the
 * harness's block sizes (about 0.3 ms); NaN when it may run on fewer than
 * two or the probe fails. */
double vcpu_skew(void);

/* The larger of two samples; NaN only when both are. */
double vcpu_skew_larger(double a, double b);

/* 1 when a row's skew says the host disturbed its multi-thread timing:
 * threads > 1 and skew >= VCPU_SKEW_HIGH (NaN: not sampled, not marked). */
int vcpu_skew_is_high(int threads, double skew);

#endif
