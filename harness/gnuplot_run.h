/* harness/gnuplot_run.h — run one gnuplot script (sweep, report and
 * history charts all draw through it). */
#ifndef ABLATE_GNUPLOT_RUN_H
#define ABLATE_GNUPLOT_RUN_H

#include <stddef.h>

/* Runs `gnuplot GP`, stderr to GP.log (removed on success); 0, or -1 with err:
 *   cannot run gnuplot (<strerror>): install gnuplot-nox
 *   gnuplot GP was killed by signal N
 *   gnuplot GP failed (exit status N): <first line of its log>  */
int gnuplot_run(const char *gp, char *err, size_t errlen);

/* gnuplot single-quoted string (quotes doubled, newlines dropped). */
void gnuplot_string(void *file, const char *s);

#endif
