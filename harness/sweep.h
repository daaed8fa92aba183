/* harness/sweep.h — runs a plan: one forked child per configuration with a
 * time limit, rows flushed per configuration, --resume, charts, summary. */
#ifndef ABLATE_SWEEP_H
#define ABLATE_SWEEP_H

#include "gen.h"
#include "plan.h"

struct sweep_opts {
    const char *out;   /* run folder; NULL = runs/<name>/<stamp> */
    int quick, resume;
    int shard_i, shard_n; /* run the items shard_assign() gives shard shard_i of shard_n */
    int sharded;          /* --shard was given: rows record "I/N" */
    int argc;
    char **argv;       /* the command, for meta.json */
    struct gen_env env;
};

/* Returns 0 when the sweep ran (failed rows are results, not errors),
 * -1 with err on a setup error (bad folder, unwritable CSV). */
int sweep_run(const struct plan *p, const struct sweep_opts *o, char *err, size_t errlen);

struct exec_opts;
struct exec_shared;
/* Runs every impl of `it` whose sh->r[i].done is 0, each configuration in a
 * forked child with a time limit, re-forking after a crash or a hang. */
void sweep_run_item(const struct plan_item *it, const struct exec_opts *eo, double limit_s,
                    struct exec_shared *sh);

/* Waits for a forked child up to limit_s (then SIGKILL): 0 when it exited
 * with status 0, else -1 with status "timeout"/"crashed" and why in msg. */
int sweep_wait_child(int pid, double limit_s, char *status, char *msg, size_t msglen);

#endif
