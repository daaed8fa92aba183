/* harness/execute.h — runs one plan item (inside the sweep's forked child):
 * reference forward, every generated variant built, run once on poisoned
 * output and checked against the reference, then all timed interleaved.
 * A module's item also builds its baseline's generated variants (same
 * layer and threads) and times them in the same interleaved loop, so each
 * module row gets its ratio to the baseline from one process (paired.h).
 * (A crash while a baseline kernel runs there has no impl of the item to
 * blame: `current` is -1 and every pending impl gets the crash.)
 * Results go to memory shared with the parent, so what finished before a
 * crash or a hang survives it, and `current` names the impl at fault. */
#ifndef ABLATE_EXECUTE_H
#define ABLATE_EXECUTE_H

#include "gen.h"
#include "parity.h"
#include "plan.h"
#include "timing.h"

struct impl_report {
    int done;
    char status[16];
    char message[256];
    struct timing_result t;
    struct parity par;
    int checked; /* par is meaningful */
    double ratio, ratio_lo, ratio_hi; /* over the baseline's best, same child (paired.h); NaN: none */
};

struct exec_shared {
    volatile int current; /* impl index running now, -1 none */
    struct impl_report r[PLAN_IMPLS_MAX];
};

struct exec_opts {
    struct gen_env env;
    struct timing_opts timing;
    enum init_mode init;
    uint64_t seed;
    const struct plan_item *base; /* the baseline timed beside a module's item; NULL: none */
};

/* Runs the impls of `it` whose r[i].done is 0; marks each done. */
void execute_item(const struct plan_item *it, const struct exec_opts *o, struct exec_shared *sh);

/* Seed for a configuration's inputs and weights: the same numbers for the
 * same module instance, whatever the thread count or implementation. */
uint64_t execute_seed(const struct instance *inst, uint64_t sweep_seed);

#endif
