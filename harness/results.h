/* harness/results.h — one CSV row per (configuration, implementation).
 *
 * Columns are stable and documented in the README; results_columns[] is the
 * single list of them.  Rows are written with libcsv and flushed (fflush +
 * fsync) one configuration at a time so a killed sweep loses at most the
 * configuration in flight; --resume reads the file back.
 */
#ifndef ABLATE_RESULTS_H
#define ABLATE_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#define RES_TEXT 256

struct result_row {
    char desc[RES_TEXT];    /* canonical descriptor, unique per row (see DESIGN.md) */
    char layer[32];         /* e.g. "L5" (YOLOv8n layer index) or "" */
    char role[16];          /* "module" | "baseline" (primary) | "baseline2" (extra) */
    char module[48];
    char args[RES_TEXT];    /* canonical "k=v:k=v" (args_format) */
    char impl[48];          /* "ref" | "gen:gemm" | "gen:fused" | "torch" ... */
    int threads;
    int batch, c_in, h, w, c_out, h_out, w_out;
    int64_t params, flops_thop, flops_full, bytes;
    char status[16];        /* ok fail_parity mistrusted crashed timeout compile_error skipped invalid */
    char message[RES_TEXT];
    double median_ms, p10_ms, p90_ms, min_ms; /* NaN when not measured */
    int samples;
    double gflops;          /* flops_full / median */
    double max_abs, max_rel, nmse;            /* NaN when not checked */
    double load;            /* other processes' CPU use (cores) seen while timing */
    char shard[16];         /* "I/N" or "" */
    /* This row's time over its baseline's, both timed interleaved in one
     * process (paired.h: each side's lower quartile of its round medians),
     * and that ratio's 95 % interval; NaN when the row
     * has no baseline or was written by an older ablate. */
    double ratio_vs_base, ratio_ci_lo, ratio_ci_hi;
    /* The cache-line round trip between the first two vCPUs, sampled just
     * before the timed loop (vcpu_roundtrip.h): near or far placement;
     * NaN when not sampled (one vCPU, an older file). */
    double roundtrip_ns;
    /* The slower vCPU's time over the faster one's on the same fixed chain,
     * the largest sample of those taken where roundtrip_ns is (vcpu_skew.h):
     * 1.0 even, >= VCPU_SKEW_HIGH the host slowed one of them; NaN when not
     * sampled (one vCPU, an older file). */
    double vcpu_skew;
};

extern const char *const results_columns[];
extern const int results_ncolumns;

/* Opens for append; writes the header line if the file is new/empty. */
FILE *results_open(const char *path, char *err, size_t errlen);
/* Writes one row (libcsv quoting); returns 0 or -1 with err. */
int results_write(FILE *f, const struct result_row *r, char *err, size_t errlen);
/* fflush + fsync: call after the last row of a configuration. */
int results_flush(FILE *f, char *err, size_t errlen);
/* Reads every row of an existing file (header checked). *rows malloc'd.
 * Returns number of rows, or -1 with err. A missing file = 0 rows. */
int results_read(const char *path, struct result_row **rows, char *err, size_t errlen);
/* The same, also giving the file's column count: results_ncolumns, or
 * fewer for a file an older ablate wrote (30: before `shard`, 31: before
 * the ratio columns, 34: before `roundtrip_ns`, 35: before `vcpu_skew`; its missing columns read as
 * empty; such a file can be read, not appended to). */
int results_read_columns(const char *path, struct result_row **rows, int *ncols, char *err, size_t errlen);
/* Initialise a row: numbers NaN/0, strings empty. */
void result_row_clear(struct result_row *r);

#endif
