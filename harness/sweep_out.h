/* harness/sweep_out.h — a sweep's run folder: choosing it, resuming it,
 * writing rows, and the charts/summary at the end. */
#ifndef ABLATE_SWEEP_OUT_H
#define ABLATE_SWEEP_OUT_H

#include <stdio.h>

#include "execute.h"
#include "results.h"
#include "sweep.h"

struct sweep_state {
    char dir[GEN_PATH_MAX];
    char csv[GEN_PATH_MAX + 16];
    FILE *f;
    struct result_row *done; /* rows already in the CSV (--resume) */
    int n_done;
    int present[PLAN_IMPLS_MAX]; /* this item's impls found in the CSV */
    double t_start;
    int tty;
    char xarg[32], xval[32]; /* for the progress line */
    int *shard_of;           /* per plan item (shard.h) */
    char shard[16];          /* "I/N" for every row, or "" without --shard */
};

int sweep_open(const struct plan *p, const struct sweep_opts *o, struct sweep_state *s, char *err,
               size_t errlen);
void sweep_note_item(struct sweep_state *s, const struct plan_item *it);
/* Writes the rows of one configuration and flushes them to disk. */
int sweep_write_item(struct sweep_state *s, const struct plan_item *it, const struct exec_shared *sh,
                     char *err, size_t errlen);
/* Charts, the summary table, the torch peer (if asked), the paths written. */
int sweep_finish(const struct plan *p, const struct sweep_opts *o, struct sweep_state *s, char *err,
                 size_t errlen);
void sweep_close(struct sweep_state *s);

#endif
