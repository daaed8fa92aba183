/* harness/regress.h — `ablate regress`: the current run against the
 * recorded history of the same machine fingerprint (regress.c), and the
 * chart of latency over commits (regress_chart.c). */
#ifndef ABLATE_REGRESS_H
#define ABLATE_REGRESS_H

#include <stddef.h>

#include "compare.h"
#include "history.h"

/* How one row of the current run compares with its history. */
struct regress_verdict {
    struct lat_change c; /* c.ratio: new over the reference, of the measure judged */
    int n_ref;           /* earlier runs in the reference (0: none, no verdict) */
    int by_ratio;        /* judged on ratio_vs_base (1) or on the median (0) */
    int learned;         /* the between-run spread came from unchanged runs (same commit) */
    double spread;       /* that spread: sd of log(measure) between runs */
    double old_ms;       /* the reference runs' median median */
};

/* cur against the earlier runs of its desc and fingerprint in h. */
void regress_judge(const struct hist_row *h, int n, const struct hist_row *cur, const struct compare_opts *o,
                   struct regress_verdict *v);

/* RUN_DIR's timed rows as history rows (run = its real path). */
int regress_rows_from_run(const char *run_dir, struct hist_row **cur, char *err, size_t errlen);

/* DIR/history.{dat,gp,svg,png}: each generated impl's median over the runs
 * of fingerprint fp, relative to its first run. 0 or -1 with err. */
int regress_chart(const char *dir, const struct hist_row *h, int n, const char *fp, char *err, size_t errlen);

int cli_regress(int argc, char **argv);

#endif
