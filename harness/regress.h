/* harness/regress.h — `ablate regress`: the current run against the
 * recorded history of the same machine fingerprint (regress.c), and the
 * chart of latency over commits (regress_chart.c). */
#ifndef ABLATE_REGRESS_H
#define ABLATE_REGRESS_H

#include <stddef.h>
#include <stdio.h>

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

/* Median-judged rows timed while co-tenants used more than this many cores
 * are counted apart in the closing line. */
#define REGRESS_LOAD_MAX 0.5

/* What the rows of a table were judged on. */
struct regress_counts {
    int compared; /* rows with earlier runs */
    int by_ratio; /* judged on the ratio to the baseline timed in the same process */
    int learned;  /* between-run spread learned from unchanged runs */
    int loaded;   /* judged on a median timed under co-tenant load */
};

/* Writes the verdict table to f and fills *counts; returns how many rows
 * are significantly slower. */
int regress_table(FILE *f, const struct regress_input *in, const struct compare_opts *o,
                  struct regress_counts *counts);

/* One line per significantly slower row: "  DESC  1.234x [lo, hi] (what
 * was judged; the between-run spread)". */
void regress_name_slower(FILE *f, const struct regress_input *in, const struct compare_opts *o);

#endif
