/* harness/vcpu_roundtrip.h — how far apart the host runs two vCPUs.
 *
 * A guest's topology says nothing about where the hypervisor runs its
 * vCPUs, yet it decides what a cache line written on one vCPU and read on
 * the other costs: on the 2-vCPU Zen 4 VM of docs/measurement.md the round
 * trip read 49-95 ns at some times and 325-713 ns at others, for minutes
 * at a time, and 2-thread kernels whose threads read each other's fresh
 * writes lost their speed-up in the far stretches.  timing_run samples it
 * before each timed loop, so every CSV row says where it was timed
 * (`roundtrip_ns`, docs/results.md).
 *
 * Two threads pinned to CPUs A and B bounce one cache line (a counter each
 * side advances in turn): `blocks` blocks of `per_block` round trips; the
 * result is the median of the blocks' mean round trip, so a block in which
 * either thread was preempted does not count. */
#ifndef ABLATE_VCPU_ROUNDTRIP_H
#define ABLATE_VCPU_ROUNDTRIP_H

#define VCPU_RT_BLOCKS_MAX 64

/* Round trip between cpu_a and cpu_b in ns (median block); 0, or -1 when
 * a thread cannot be started or pinned (then *ns is NaN). */
int vcpu_roundtrip_between(int cpu_a, int cpu_b, int blocks, int per_block, double *ns);

/* The first two CPUs this thread may run on: 0, or -1 when fewer. */
int vcpu_first_two(int cpu[2]);

/* Pins the calling thread to `cpu`: 0, or pthread_setaffinity_np's error.
 * Shared with vcpu_skew.c, whose probe pins its two threads the same way. */
int vcpu_pin_self(int cpu);

/* CLOCK_MONOTONIC in seconds: the probes' wall clock. */
double vcpu_seconds(void);

/* The round trip between the first two CPUs this thread may run on, with
 * the harness's block sizes (about 1600 round trips: 0.1-1.2 ms); NaN
 * when it may run on fewer than two or the probe fails. */
double vcpu_roundtrip_ns(void);

#endif
