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

enum { REPORT_RUNS_MAX = 16, REPORT_PEAKS_MAX = 16, REPORT_COLS = 16 };

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

/* The chart SVGs of the report, the main chart first (the first of:
 * latency ratio to the baseline, a placement's params vs latency, a
 * latency chart, the roofline), the rest in natural name order. */
int report_svgs(const char *out, const struct report_in *in, int merged, char (*paths)[1200], int max);

/* A merge's charts (report_charts.c): the experiment of the run folders'
 * meta.json (its file from the sweep's command line, else
 * experiments/<name>.lua) loaded again and its charts drawn into OUT from
 * OUT/results.csv.  0, or -1 with err (different experiments in the
 * folders, the file not found, gnuplot failing). */
int report_merged_charts(const char *out, const struct report_in *in, char *err, size_t errlen);

/* The "Deployment peers (same run)" table (report_peers.c): its columns,
 * the note under it, 1 when the run has any peer row, one configuration's
 * cells (site, threads, module, args, ours ms, torch/ort/openvino ms or
 * the peer's status, fastest peer, speed-up), and report.md's section
 * (nothing without peer rows). */
enum { REPORT_PEER_COLS = 10, REPORT_PEER_CELL = 256 };
extern const char *const report_peer_headers[REPORT_PEER_COLS];
extern const char *const report_peer_note;
int report_has_peers(const struct report_in *in);
void report_peer_cells(const struct config_view *c, char cell[REPORT_PEER_COLS][REPORT_PEER_CELL]);
void report_md_peers(FILE *f, const struct report_in *in);
int report_write_md(const char *path, const struct report_in *in, const struct report_line *l, int nl,
                    char (*svgs)[1200], int nsvg, const char *out);
int report_write_html(const char *path, const struct report_in *in, const struct report_line *l, int nl,
                      char (*svgs)[1200], int nsvg);

/* The headline (report_headline.c): per site and thread count, the best
 * and the worst configuration against the baseline. */
struct report_pick {
    const struct config_view *c;
    double ratio, lo, hi; /* latency ratio to the baseline and its 95 % CI (NaN: none) */
    int across;           /* the two rows come from different machines: no CI */
};
struct report_head {
    char site[32];
    int threads, count; /* count: configurations compared at this site */
    struct report_pick best, worst;
};
/* Returns how many groups (*out malloc'd), -1 out of memory. */
int report_headline(const struct report_in *in, struct report_head **out);
/* "AKConv num_param=3:..." and "0.812 [0.790, 0.835]". */
void report_pick_text(const struct report_pick *p, char *what, size_t wlen, char *ratio, size_t rlen);
extern const char report_headline_note[];

/* A chart's numbered points (a scatter writes DIR/<stem>.points.tsv beside
 * DIR/<stem>.svg): the table the report shows under it, as rows of cells
 * (number, name, x, y, interval).  Returns rows (*cells malloc'd,
 * REPORT_POINT_COLS per row), 0 when the chart has none, -1 on error. */
enum { REPORT_POINT_COLS = 5 };
typedef char report_cell[96];
int report_chart_points(const char *svg, report_cell **cells, char header[REPORT_POINT_COLS][96]);

/* The run's warnings, each one sentence for the report's head:
 * - a stability warning (pyperf-style) when other processes' CPU use seen
 *   while timing (the CSV's load column) exceeded REPORT_LOAD_WARN cores;
 * - a skew warning when multi-thread rows were timed while the host ran one
 *   vCPU slow (the CSV's vcpu_skew at or above VCPU_SKEW_HIGH, vcpu_skew.h):
 *   how many of the sampled ones, the worst skew.
 * Fills notes[0..n-1] and returns n (0 to REPORT_MAX_WARNINGS). */
#define REPORT_LOAD_WARN 0.25
enum { REPORT_MAX_WARNINGS = 2, REPORT_WARNING_LEN = 640 };
int report_warnings(const struct report_in *in, char notes[REPORT_MAX_WARNINGS][REPORT_WARNING_LEN]);

/* Markdown/HTML shared text: the method note. */
extern const char report_method[];

int cli_report(int argc, char **argv);

#endif
