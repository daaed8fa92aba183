/* harness/shard.h — `--shard I/N`: which configurations of a plan the I-th
 * of N shards runs.
 *
 * The split is balanced by estimated cost, not by count: a plan mixes 1 ms
 * and 1 s configurations, and a shard holding the slow ones would keep a
 * Slurm job array waiting on one task.  Configurations are assigned greedily,
 * the most expensive first, each to the shard with the least cost so far
 * (longest-processing-time scheduling: the busiest shard is within the
 * largest single cost of the mean).  Everything is integer arithmetic with
 * fixed tie-breaks (plan index, then shard index), so every task of an
 * array, on any machine, computes the same split from the same plan. */
#ifndef ABLATE_SHARD_H
#define ABLATE_SHARD_H

#include <stdint.h>

#include "plan.h"

#define SHARD_MAX 1024

/* Estimated run time of one configuration (all its impls), in microseconds:
 * a fixed cost per impl (fork, kernel compile, the minimum timing window)
 * plus the calls the timing loop makes, from flops_full and bytes at
 * assumed rates (scalar reference ~1 GFLOP/s on one thread; generated code
 * ~8 GFLOP/s per thread; 4 GB/s).  Only the ratios between configurations
 * matter.  Invalid configurations cost almost nothing. */
int64_t shard_item_cost(const struct plan_item *it);

/* shard_of[i] = the shard (0..n_shards-1) of p->items[i].  0, or -1 when
 * out of memory or n_shards is not in 1..SHARD_MAX. */
int shard_assign(const struct plan *p, int n_shards, int *shard_of);

#endif
