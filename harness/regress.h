/* harness/regress.h — `ablate regress`: the current run against the
 * recorded history of the same machine fingerprint (regress.c), and the
 * chart of latency over commits (regress_chart.c). */
#ifndef ABLATE_REGRESS_H
#define ABLATE_REGRESS_H

#include <stddef.h>

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

int cli_regress(int argc, char **argv);

#endif
