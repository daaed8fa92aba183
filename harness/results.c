/* harness/results.c — see results.h.
 *
 * Format: the header line results_columns joined by ',', then one line per
 * row.  Fields are written bare when they can be, and quoted by libcsv
 * (csv_fwrite) when they hold a comma, a quote or leading/trailing spaces.
 * Line breaks inside texts are written as spaces: a row is one line, so a
 * partly written row can be recognised and dropped by line.  Numbers: %d,
 * %lld, doubles %.6g; NaN is an empty field and an empty field reads back as
 * NaN (doubles) or 0 (integers).
 *
 * Errors (one line, starting with the path):
 *   PATH: cannot open (<strerror>)
 *   PATH: cannot read (<strerror>)
 *   PATH: cannot write (<strerror>)
 *   PATH: not an ablate results file (header mismatch at column N: 'x', expected 'y')
 *   PATH: not an ablate results file (header mismatch at column N: missing, expected 'y')
 *   PATH: not an ablate results file (header mismatch at column N: 'x', expected end of line)
 *   PATH: line L: N fields, expected 36 (30, 31, 34 or 35 under an older file's header)
 *   PATH: written by an older ablate (no 'shard' column): rows cannot be appended to it; run into a new --out folder
 *         (or no 'ratio_vs_base' column, for a file from before the ratio columns,
 *         or no 'roundtrip_ns' column, before that one, or no 'vcpu_skew' column, before
 *         the skew probe)
 *   PATH: line L, column 'threads': 'abc' is not a number
 *   PATH: CSV error: <libcsv's text>
 * results_write / results_flush do not know the path:
 *   cannot write a results row (<strerror>)
 *   cannot flush the results file (<strerror>)
 */
#include "results.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

enum col_kind { COL_TEXT, COL_INT, COL_I64, COL_REAL };

/* Files written before the `shard` column, and before the ratio columns
 * after it, are still read: their widths are known. */
enum {
    RESULTS_COLUMNS_BEFORE_SHARD = 30,
    RESULTS_COLUMNS_BEFORE_RATIO = 31,
    RESULTS_COLUMNS_BEFORE_ROUNDTRIP = 34,
    RESULTS_COLUMNS_BEFORE_SKEW = 35
};

struct column {
    const char *name;
    enum col_kind kind;
    size_t offset, size; /* of the field in struct result_row */
};

/* The one list of columns: name and type, in file order. */
#define RESULT_COLUMNS(X)                                                                          \
    X(desc, COL_TEXT) X(layer, COL_TEXT) X(role, COL_TEXT) X(module, COL_TEXT) X(args, COL_TEXT)   \
    X(impl, COL_TEXT) X(threads, COL_INT) X(batch, COL_INT) X(c_in, COL_INT) X(h, COL_INT)         \
    X(w, COL_INT) X(c_out, COL_INT) X(h_out, COL_INT) X(w_out, COL_INT) X(params, COL_I64)         \
    X(flops_thop, COL_I64) X(flops_full, COL_I64) X(bytes, COL_I64) X(status, COL_TEXT)            \
    X(message, COL_TEXT) X(median_ms, COL_REAL) X(p10_ms, COL_REAL) X(p90_ms, COL_REAL)            \
    X(min_ms, COL_REAL) X(samples, COL_INT) X(gflops, COL_REAL) X(max_abs, COL_REAL)               \
    X(max_rel, COL_REAL) X(nmse, COL_REAL) X(load, COL_REAL) X(shard, COL_TEXT)               \
    X(ratio_vs_base, COL_REAL) X(ratio_ci_lo, COL_REAL) X(ratio_ci_hi, COL_REAL)                  \
    X(roundtrip_ns, COL_REAL) X(vcpu_skew, COL_REAL)

#define COLUMN_NAME(name, kind) #name,
#define COLUMN_ENTRY(name, kind)                                                                   \
    {#name, kind, offsetof(struct result_row, name), sizeof(((struct result_row *)0)->name)},

const char *const results_columns[] = {RESULT_COLUMNS(COLUMN_NAME)};
const int results_ncolumns = (int)(sizeof results_columns / sizeof results_columns[0]);
static const struct column column_table[] = {RESULT_COLUMNS(COLUMN_ENTRY)};
_Static_assert(sizeof results_columns / sizeof results_columns[0] ==
                   RESULTS_COLUMNS_BEFORE_SKEW + 1,
               "a new column goes last, and older files need a new RESULTS_COLUMNS_BEFORE_* rule");

void result_row_clear(struct result_row *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < results_ncolumns; i++)
        if (column_table[i].kind == COL_REAL)
            *(double *)((char *)r + column_table[i].offset) = NAN;
}

/* ------------------------------------------------------------ writing */

static void field_text(const struct result_row *r, const struct column *c, char *buf, size_t len)
{
    const char *p = (const char *)r + c->offset;
    switch (c->kind) {
    case COL_TEXT:
        snprintf(buf, len, "%.*s", (int)strnlen(p, c->size), p);
        for (char *q = buf; *q; q++)
            if (*q == '\n' || *q == '\r')
                *q = ' ';
        break;
    case COL_INT:
        snprintf(buf, len, "%d", *(const int *)p);
        break;
    case COL_I64:
        snprintf(buf, len, "%lld", (long long)*(const int64_t *)p);
        break;
    case COL_REAL:
        if (isnan(*(const double *)p))
            buf[0] = 0;
        else
            snprintf(buf, len, "%.6g", *(const double *)p);
        break;
    }
}

static int needs_quotes(const char *s)
{
    size_t n = strlen(s);
    return strpbrk(s, ",\"") != NULL || (n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t'));
}

static int write_field(FILE *f, const char *text)
{
    if (needs_quotes(text))
        return csv_fwrite(f, text, strlen(text)) == 0 ? 0 : -1;
    return fputs(text, f) < 0 ? -1 : 0;
}

int results_write(FILE *f, const struct result_row *r, char *err, size_t errlen)
{
    char text[RES_TEXT + 8];
    for (int i = 0; i < results_ncolumns; i++) {
        field_text(r, &column_table[i], text, sizeof text);
        if ((i && fputc(',', f) == EOF) || write_field(f, text) != 0) {
            snprintf(err, errlen, "cannot write a results row (%s)", strerror(errno));
            return -1;
        }
    }
    if (fputc('\n', f) == EOF) {
        snprintf(err, errlen, "cannot write a results row (%s)", strerror(errno));
        return -1;
    }
    return 0;
}

int results_flush(FILE *f, char *err, size_t errlen)
{
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        snprintf(err, errlen, "cannot flush the results file (%s)", strerror(errno));
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ reading */

/* libcsv calls back per field and per record; this is their shared state.
 * Record numbers are line numbers: rows never hold line breaks. */
struct reader {
    const char *path;
    struct result_row *rows, cur;
    int n, cap;
    int ncols;  /* columns of this file: results_ncolumns, or fewer for an older file */
    int field;  /* fields seen in the current record */
    long line;  /* 1 = the header */
    int failed; /* the first error wins; later callbacks do nothing */
    char *err;
    size_t errlen;
};

static void fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
    r->failed = 1;
}

/* A field as a message may show it: short, one line. */
static const char *shown(const char *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s", s);
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = '?';
    return buf;
}

static int parse_field(const struct column *c, const char *s, void *dst)
{
    char *end = NULL;
    errno = 0;
    if (c->kind == COL_TEXT) {
        snprintf(dst, c->size, "%s", s); /* longer texts from other writers are cut */
        return 0;
    }
    if (c->kind == COL_REAL)
        *(double *)dst = *s ? strtod(s, &end) : NAN;
    else if (c->kind == COL_I64)
        *(int64_t *)dst = *s ? strtoll(s, &end, 10) : 0;
    else {
        long v = *s ? strtol(s, &end, 10) : 0;
        if (v < INT_MIN || v > INT_MAX)
            errno = ERANGE;
        *(int *)dst = (int)v;
    }
    return !*s || (errno == 0 && *end == 0) ? 0 : -1;
}

static void header_field(struct reader *r, const char *s)
{
    char a[48];
    if (r->field >= results_ncolumns)
        fail(r, "%s: not an ablate results file (header mismatch at column %d: '%s', expected end of line)",
             r->path, r->field + 1, shown(s, a, sizeof a));
    else if (strcmp(s, results_columns[r->field]))
        fail(r, "%s: not an ablate results file (header mismatch at column %d: '%s', expected '%s')",
             r->path, r->field + 1, shown(s, a, sizeof a), results_columns[r->field]);
}

static void on_field(void *s, size_t len, void *data)
{
    struct reader *r = data;
    (void)len; /* CSV_APPEND_NULL: s is a C string */
    if (r->failed)
        return;
    if (r->line == 1)
        header_field(r, s);
    else if (r->field < r->ncols) {
        const struct column *c = &column_table[r->field];
        char a[48];
        if (parse_field(c, s, (char *)&r->cur + c->offset) != 0)
            fail(r, "%s: line %ld, column '%s': '%s' is not a number", r->path, r->line, c->name,
                 shown(s, a, sizeof a));
    }
    r->field++;
}

static void push_row(struct reader *r)
{
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 64;
        struct result_row *grown = realloc(r->rows, (size_t)cap * sizeof *grown);
        if (!grown) {
            fail(r, "%s: out of memory", r->path);
            return;
        }
        r->rows = grown, r->cap = cap;
    }
    r->rows[r->n++] = r->cur;
}

/* 1 when a header of `fields` columns is one an older ablate wrote. */
static int is_older_width(int fields)
{
    return fields == RESULTS_COLUMNS_BEFORE_SHARD || fields == RESULTS_COLUMNS_BEFORE_RATIO ||
           fields == RESULTS_COLUMNS_BEFORE_ROUNDTRIP || fields == RESULTS_COLUMNS_BEFORE_SKEW;
}

/* c is the character that ended the record, -1 at the end of the file
 * without a final newline: there a short record is a killed writer's half
 * row, and is ignored (so is a half-written header: no rows yet). */
static void on_record(int c, void *data)
{
    struct reader *r = data;
    if (r->failed)
        return;
    if (r->line == 1 && is_older_width(r->field))
        r->ncols = r->field; /* an older file: its rows leave the newer columns empty */
    else if (r->line == 1 && r->field < results_ncolumns && c != -1)
        fail(r, "%s: not an ablate results file (header mismatch at column %d: missing, expected '%s')",
             r->path, r->field + 1, results_columns[r->field]);
    else if (r->line > 1 && r->field == r->ncols)
        push_row(r);
    else if (r->line > 1 && !(c == -1 && r->field < r->ncols))
        fail(r, "%s: line %ld: %d fields, expected %d", r->path, r->line, r->field, r->ncols);
    r->field = 0;
    r->line++;
    result_row_clear(&r->cur);
}

static void parse_stream(FILE *f, struct csv_parser *p, struct reader *r)
{
    char buf[65536];
    size_t got;
    while (!r->failed && (got = fread(buf, 1, sizeof buf, f)) > 0)
        if (csv_parse(p, buf, got, on_field, on_record, r) != got && !r->failed)
            fail(r, "%s: CSV error: %s", r->path, csv_strerror(csv_error(p)));
    if (!r->failed && ferror(f))
        fail(r, "%s: cannot read (%s)", r->path, strerror(errno ? errno : EIO));
    if (!r->failed && csv_fini(p, on_field, on_record, r) != 0)
        fail(r, "%s: CSV error: %s", r->path, csv_strerror(csv_error(p)));
}

int results_read(const char *path, struct result_row **rows, char *err, size_t errlen)
{
    int ncols;
    return results_read_columns(path, rows, &ncols, err, errlen);
}

int results_read_columns(const char *path, struct result_row **rows, int *ncols, char *err, size_t errlen)
{
    *rows = NULL;
    *ncols = results_ncolumns;
    FILE *f = fopen(path, "rb");
    if (!f && errno == ENOENT)
        return 0;
    if (!f) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
        return -1;
    }
    struct csv_parser p;
    struct reader r = {.path = path, .line = 1, .ncols = results_ncolumns, .err = err, .errlen = errlen};
    result_row_clear(&r.cur);
    if (csv_init(&p, CSV_APPEND_NULL) != 0)
        fail(&r, "%s: out of memory", path);
    else {
        parse_stream(f, &p, &r);
        csv_free(&p);
    }
    if (fclose(f) != 0 && !r.failed)
        fail(&r, "%s: cannot read (%s)", path, strerror(errno));
    if (r.failed) {
        free(r.rows);
        return -1;
    }
    *rows = r.rows;
    *ncols = r.ncols;
    return r.n;
}
