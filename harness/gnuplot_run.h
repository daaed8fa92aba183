/* harness/gnuplot_run.h — run one gnuplot script for the report and
 * history charts (charts_plot.c keeps its own for the sweep charts). */
#ifndef ABLATE_GNUPLOT_RUN_H
#define ABLATE_GNUPLOT_RUN_H

#include <stddef.h>

/* Runs `gnuplot GP`, stderr to GP.log; 0, or -1 with err:
 *   cannot run gnuplot: install gnuplot-nox
 *   gnuplot GP failed (exit status N): <first line of its log>  */
int gnuplot_run(const char *gp, char *err, size_t errlen);

/* gnuplot single-quoted string (quotes doubled, newlines dropped). */
void gnuplot_string(void *file, const char *s);

#endif
