/* harness/history.c — append to and read runs/history.csv (history.h). */
#include <csv.h>
#include <limits.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "history.h"
#include "run_meta.h"

enum { HIST_FIELDS_V1 = 9, HIST_FIELDS = 13 };

static void put_field(FILE *f, const char *s, int last)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputs(last ? "\"\n" : "\",", f);
}

/* A number, or nothing for NaN, then the separator. */
static void put_number(FILE *f, double v, const char *sep)
{
    if (!isnan(v))
        fprintf(f, "%.6g", v);
    fputs(sep, f);
}

/* fields: HIST_FIELDS, or HIST_FIELDS_V1 when appending to an older file. */
static void put_row(FILE *f, const struct run_meta *m, const struct result_row *r, const char *run, int fields)
{
    char num[160];
    put_field(f, m->commit, 0);
    put_field(f, m->fp_id, 0);
    put_field(f, r->desc, 0);
    snprintf(num, sizeof num, "%.6g,%.6g,%.6g,%d,", r->median_ms, r->p10_ms, r->p90_ms, r->samples);
    fputs(num, f);
    put_field(f, m->date, 0);
    put_field(f, run, fields == HIST_FIELDS_V1);
    if (fields == HIST_FIELDS_V1)
        return;
    put_number(f, r->ratio_vs_base, ",");
    put_number(f, r->ratio_ci_lo, ",");
    put_number(f, r->ratio_ci_hi, ",");
    put_number(f, r->load, "\n");
}

/* The number of fields the existing file's header has (HIST_FIELDS for a
 * new or empty file). */
static int file_fields(const char *hist_path)
{
    char line[512];
    FILE *f = fopen(hist_path, "r");
    if (!f)
        return HIST_FIELDS;
    int v1 = fgets(line, sizeof line, f) && !strcmp(line, HISTORY_HEADER_V1 "\n");
    fclose(f);
    return v1 ? HIST_FIELDS_V1 : HIST_FIELDS;
}

int history_append(const char *hist_path, const char *run_dir, char *err, size_t errlen)
{
    struct run_meta m;
    struct result_row *rows;
    char csv[4200];
    if (run_meta_read(run_dir, &m, err, errlen) != 0)
        return -1;
    snprintf(csv, sizeof csv, "%s/results.csv", run_dir);
    int n = results_read(csv, &rows, err, errlen);
    if (n < 0)
        return -1;
    struct stat st;
    int fresh = stat(hist_path, &st) != 0 || st.st_size == 0, fields = fresh ? HIST_FIELDS : file_fields(hist_path);
    FILE *f = fopen(hist_path, "a");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open (%s)", hist_path, strerror(errno));
        free(rows);
        return -1;
    }
    if (fresh)
        fputs(HISTORY_HEADER "\n", f);
    int added = 0;
    char real[PATH_MAX]; /* the run's own name, not latest/: regress tells runs apart by it */
    if (!realpath(run_dir, real))
        snprintf(real, sizeof real, "%s", run_dir);
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].status, "ok") && !isnan(rows[i].median_ms))
            put_row(f, &m, &rows[i], real, fields), added++;
    free(rows);
    int bad = ferror(f); /* sticky: any failed write above */
    if (fclose(f) != 0 || bad) {
        snprintf(err, errlen, "%s: cannot write (%s)", hist_path, strerror(errno ? errno : EIO));
        return -1;
    }
    return added;
}

/* ------------------------------------------------------------ reading */

struct hreader {
    const char *path;
    struct hist_row *rows, cur;
    int n, cap, field, failed;
    int fields; /* of this file: HIST_FIELDS or HIST_FIELDS_V1 */
    long line;
    char header[256];
    char *err;
    size_t errlen;
};

static void hfail(struct hreader *r, const char *fmt, ...)
{
    va_list ap;
    if (r->failed)
        return;
    r->failed = 1;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
}

static void set_field(struct hist_row *h, int k, const char *s)
{
    switch (k) {
    case 0: snprintf(h->commit, sizeof h->commit, "%s", s); break;
    case 1: snprintf(h->fp, sizeof h->fp, "%s", s); break;
    case 2: snprintf(h->desc, sizeof h->desc, "%s", s); break;
    case 3: h->median = *s ? strtod(s, NULL) : NAN; break;
    case 4: h->p10 = *s ? strtod(s, NULL) : NAN; break;
    case 5: h->p90 = *s ? strtod(s, NULL) : NAN; break;
    case 6: h->samples = atoi(s); break;
    case 7: snprintf(h->date, sizeof h->date, "%s", s); break;
    case 8: snprintf(h->run, sizeof h->run, "%s", s); break;
    case 9: h->ratio = *s ? strtod(s, NULL) : NAN; break;
    case 10: h->ratio_lo = *s ? strtod(s, NULL) : NAN; break;
    case 11: h->ratio_hi = *s ? strtod(s, NULL) : NAN; break;
    case 12: h->load = *s ? strtod(s, NULL) : NAN; break;
    }
}

static void on_hfield(void *s, size_t len, void *data)
{
    struct hreader *r = data;
    (void)len;
    if (r->failed)
        return;
    if (r->line == 1) {
        size_t used = strlen(r->header);
        snprintf(r->header + used, sizeof r->header - used, "%s%s", r->field ? "," : "", (char *)s);
    } else
        set_field(&r->cur, r->field, s);
    r->field++;
}

static void clear_row(struct hist_row *h)
{
    memset(h, 0, sizeof *h);
    h->ratio = h->ratio_lo = h->ratio_hi = h->load = NAN;
}

static void on_hrecord(int c, void *data)
{
    struct hreader *r = data;
    if (r->failed)
        return;
    if (r->line == 1 && !strcmp(r->header, HISTORY_HEADER_V1))
        r->fields = HIST_FIELDS_V1; /* an older history: no ratio or load */
    else if (r->line == 1 && strcmp(r->header, HISTORY_HEADER))
        hfail(r, "%s: not an ablate history file (header must be %s)", r->path, HISTORY_HEADER);
    else if (r->line > 1 && r->field != r->fields)
        hfail(r, "%s: line %ld: %d fields, expected %d", r->path, r->line, r->field, r->fields);
    else if (r->line > 1 && r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 256;
        struct hist_row *g = realloc(r->rows, (size_t)cap * sizeof *g);
        if (!g)
            hfail(r, "%s: out of memory", r->path);
        else
            r->rows = g, r->cap = cap;
    }
    if (!r->failed && r->line > 1)
        r->rows[r->n++] = r->cur;
    clear_row(&r->cur);
    r->field = 0;
    r->line++;
}

int history_read(const char *path, struct hist_row **rows, char *err, size_t errlen)
{
    *rows = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
        return -1;
    }
    struct hreader r = {.path = path, .line = 1, .fields = HIST_FIELDS, .err = err, .errlen = errlen};
    clear_row(&r.cur);
    struct csv_parser p;
    char buf[65536];
    size_t got;
    int inited = csv_init(&p, CSV_APPEND_NULL) == 0;
    if (!inited)
        hfail(&r, "%s: out of memory", path);
    while (!r.failed && (got = fread(buf, 1, sizeof buf, f)) > 0)
        if (csv_parse(&p, buf, got, on_hfield, on_hrecord, &r) != got && !r.failed)
            hfail(&r, "%s: CSV error: %s", path, csv_strerror(csv_error(&p)));
    if (!r.failed && inited && csv_fini(&p, on_hfield, on_hrecord, &r) != 0)
        hfail(&r, "%s: CSV error: %s", path, csv_strerror(csv_error(&p)));
    if (r.line == 1 && !r.failed) /* empty file: no header at all */
        hfail(&r, "%s: not an ablate history file (header must be %s)", path, HISTORY_HEADER);
    if (inited)
        csv_free(&p);
    if (fclose(f) != 0 && !r.failed)
        hfail(&r, "%s: cannot read (%s)", path, strerror(errno));
    if (r.failed) {
        free(r.rows);
        return -1;
    }
    *rows = r.rows;
    return r.n;
}
