/* harness/report.h — `ablate report RUNDIR...`: report.md and a
 * self-contained report.html comparing every configuration with the
 * baseline it replaces (same site and threads).
 *
 * Latency ratio = the configuration's fastest passing generated impl over
 * the baseline's, with a 95 % CI from stats.h (normal model on p10/p90 and
 * the sample count: the CSV keeps no raw samples). */
#ifndef ABLATE_REPORT_H
#define ABLATE_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "peak.h"
#include "results.h"
#include "results_view.h"
#include "run_meta.h"

enum { REPORT_RUNS_MAX = 16, REPORT_PEAKS_MAX = 16, REPORT_COLS = 15 };

struct report_in {
    int nruns;
    char dirs[REPORT_RUNS_MAX][1024];
    struct run_meta meta[REPORT_RUNS_MAX];
    struct peak peaks[REPORT_PEAKS_MAX];
    int npeaks;
    int mixed;  /* fingerprints differ (only with --mix-machines) */
    struct result_row *rows;
    int *row_run; /* rows[i] came from dirs[row_run[i]] */
    int n;
    struct config_view *v;
    int nv;
};

/* One table line, shared by the Markdown and the HTML writer. */
struct report_line {
    char cell[REPORT_COLS][160];
    int baseline; /* a baseline's own line */
};

extern const char *const report_headers[REPORT_COLS];

/* Reads every run folder: results.csv, meta.json, peak.json (optional).
 * Errors (one line): "DIR: no such run folder", results_read_required's
 * and run_meta_read's, report_check_duplicates' (several folders), and,
 * without mix_machines,
 * "runs come from different machines: fingerprint A (DIR1) vs B (DIR2);
 * latency is not comparable across machines (--mix-machines merges them
 * anyway, marking each comparison that crosses machines)".  0 or -1 with err. */
int report_load(struct report_in *in, char **dirs, int ndirs, int mix_machines, char *err, size_t errlen);
void report_free(struct report_in *in);

/* Rows are keyed by descriptor: one found in two places (two shards that
 * overlap, or one run given twice) is an error naming both folders. */
int report_check_duplicates(const struct report_in *in, char *err, size_t errlen);

/* The merge of several run folders as a run folder of its own:
 * OUT/results.csv (every row, in the order given), OUT/merged_from.csv
 * (each source folder with its fingerprint, machine, row count and shard),
 * and, when all come from one machine, its meta.json and peak.json.
 * OUT must not be one of the sources.  0 or -1 with err. */
int report_write_merged(const char *out, const struct report_in *in, char *err, size_t errlen);

/* The fingerprint id of the machine that produced a row of in->rows. */
const char *report_row_machine(const struct report_in *in, const struct result_row *r);

/* Table lines, one per configuration (*lines malloc'd); returns count or -1. */
int report_lines(const struct report_in *in, struct report_line **lines);

/* OUT/roofline.{dat,gp,svg,png}. 0 or -1 with err. */
int report_roofline(const char *out, const struct report_in *in, char *err, size_t errlen);

/* The chart SVGs of the report: roofline first, then each run's charts. */
int report_svgs(const char *out, const struct report_in *in, char (*paths)[1200], int max);

/* report.md's "Deployment peers (same run)" table; nothing without peer rows. */
void report_md_peers(FILE *f, const struct report_in *in);
int report_write_md(const char *path, const struct report_in *in, const struct report_line *l, int nl,
                    char (*svgs)[1200], int nsvg, const char *out);
int report_write_html(const char *path, const struct report_in *in, const struct report_line *l, int nl,
                      char (*svgs)[1200], int nsvg);

/* A stability warning (pyperf-style) when other processes' CPU use seen
 * while timing (the CSV's load column) exceeded REPORT_LOAD_WARN cores;
 * "" when it did not. */
#define REPORT_LOAD_WARN 0.25
void report_load_note(const struct report_in *in, char *buf, size_t len);

/* Markdown/HTML shared text: the method note. */
extern const char report_method[];

int cli_report(int argc, char **argv);

#endif
