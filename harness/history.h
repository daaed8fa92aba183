/* harness/history.h — runs/history.csv: one line per timed row of every
 * sweep (appended by sweep_finish), the record `ablate regress` judges a
 * new run against.
 *
 *   commit,fingerprint,desc,median_ms,p10_ms,p90_ms,samples,date,run,
 *   ratio_vs_base,ratio_ci_lo,ratio_ci_hi,load
 *
 * fingerprint is meta.json's fingerprint id: runs are only compared with
 * runs of the same machine setup; run is the run folder, so a run can be
 * told from the history before it.  The ratio columns (results.h: the row
 * over its baseline, timed in one process) and the co-tenant load came
 * later: a history with the first nine columns only is still read, with
 * them unknown (NaN), and is appended to in its own nine columns. */
#ifndef ABLATE_HISTORY_H
#define ABLATE_HISTORY_H

#include <stddef.h>

#include "results.h"

#define HISTORY_HEADER_V1 "commit,fingerprint,desc,median_ms,p10_ms,p90_ms,samples,date,run"
#define HISTORY_HEADER HISTORY_HEADER_V1 ",ratio_vs_base,ratio_ci_lo,ratio_ci_hi,load"

struct hist_row {
    char commit[64], fp[17], desc[RES_TEXT], date[32], run[1024];
    double median, p10, p90;
    int samples;
    double ratio, ratio_lo, ratio_hi; /* NaN: none */
    double load;                      /* NaN: not recorded */
};

/* Appends the timed rows (status ok, median present) of RUN_DIR/results.csv
 * with RUN_DIR/meta.json's commit, fingerprint and date.  Returns the
 * number of lines appended, or -1 with err. */
int history_append(const char *hist_path, const char *run_dir, char *err, size_t errlen);

/* Reads the whole history; a missing file or a wrong header is an error:
 *   PATH: cannot open (No such file or directory)
 *   PATH: not an ablate history file (header must be commit,fingerprint,...)
 *   PATH: line N: M fields, expected 13 (9 under the older header)
 * Returns the number of rows (*rows malloc'd), or -1 with err. */
int history_read(const char *path, struct hist_row **rows, char *err, size_t errlen);

#endif
