/* harness/compare.h — `ablate compare OLD.csv NEW.csv`: per desc present
 * in both, the change in median latency (stats.h's test), as a table and
 * optionally a CSV.  Shared with `ablate regress` (history.h). */
#ifndef ABLATE_COMPARE_H
#define ABLATE_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include "results.h"
#include "stats.h"

struct compare_opts {
    double threshold; /* minimum |ratio - 1| to report a change (0.05) */
    double alpha;     /* significance level (0.01) */
};

/* results_read, but a missing file is an error ("PATH: cannot open (No
 * such file or directory)") and so is a file with no rows ("PATH: no
 * results rows"): a comparison against nothing says nothing. */
int results_read_required(const char *path, struct result_row **rows, char *err, size_t errlen);

/* The timing of a row as stats.h wants it. */
void row_summary(const struct result_row *r, struct lat_summary *s);

/* Parses "--threshold X" / "--alpha X" at argv[*i]; returns 1 when it was
 * one of them (and advances *i), 0 when not, -1 with err when its value is bad. */
int compare_parse_opt(int argc, char **argv, int *i, struct compare_opts *o, char *err, size_t errlen);

/* Prints the table of rows in both a and b to stdout (and to `out` as CSV
 * when not NULL); returns how many timed descs they share, or -1 with err
 * ("PATH: cannot open (...)", "PATH: no results rows", "OUT: cannot write (...)"). */
int compare_files(const char *a, const char *b, const char *out, const struct compare_opts *o, char *err,
                  size_t errlen);

/* Writes the table header and one line per change. */
void compare_print_header(FILE *f);
void compare_print_line(FILE *f, const char *desc, double old_ms, double new_ms, const struct lat_change *c);

#endif
