/* harness/regress.h — `ablate regress`: the current run against the
 * recorded history of the same machine fingerprint (regress.c), and the
 * chart of latency over commits (regress_chart.c). */
#ifndef ABLATE_REGRESS_H
#define ABLATE_REGRESS_H

#include <stddef.h>
#include <stdio.h>

#include "compare.h"
#include "history.h"

/* cur against the earlier runs of its desc and fingerprint in h; *n_ref =
 * how many earlier runs were found (0: verdict unknown). */
void regress_judge(const struct hist_row *h, int n, const struct hist_row *cur, const struct compare_opts *o,
                   struct lat_change *c, int *n_ref);

/* RUN_DIR's timed rows as history rows (run = its real path). */
int regress_rows_from_run(const char *run_dir, struct hist_row **cur, char *err, size_t errlen);

/* DIR/history.{dat,gp,svg,png}: each generated impl's median over the runs
 * of fingerprint fp, relative to its first run. 0 or -1 with err. */
int regress_chart(const char *dir, const struct hist_row *h, int n, const char *fp, char *err, size_t errlen);

/* Fewer earlier runs than this leave the run-to-run spread unknown, and on
 * a shared machine that spread is most of the noise: such rows are shown
 * but get no verdict. */
enum { REGRESS_MIN_RUNS = 3 };

/* The history and the current run's rows (from RUN_DIR, or the run named
 * last in the history when RUN_DIR is NULL). */
struct regress_input {
    struct hist_row *hist, *cur;
    int n_hist, n_cur;
};

/* 0, or -1 with err (history or run unreadable); regress_free releases it. */
int regress_load(const char *hist_path, const char *run_dir, struct regress_input *in, char *err, size_t errlen);
void regress_free(struct regress_input *in);

/* Writes the verdict table to f; *compared = rows with earlier runs;
 * returns how many are significantly slower. */
int regress_table(FILE *f, const struct regress_input *in, const struct compare_opts *o, int *compared);

/* One line per significantly slower row: "  DESC  1.234x [lo, hi]". */
void regress_name_slower(FILE *f, const struct regress_input *in, const struct compare_opts *o);

#endif
