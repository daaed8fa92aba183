/* harness/report_merge.c — several run folders (the shards of one sweep,
 * possibly from several machines) merged into one: every row once, keyed
 * by its configuration descriptor, written as OUT/results.csv with
 * OUT/merged_from.csv naming each source folder and its machine. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

/* Rows sorted by descriptor through pointers (ties in file order), so a
 * duplicate sits next to its twin. */
static int by_desc(const void *a, const void *b)
{
    const struct result_row *x = *(const struct result_row *const *)a, *y = *(const struct result_row *const *)b;
    int c = strcmp(x->desc, y->desc);
    return c ? c : (x > y) - (x < y);
}

int report_check_duplicates(const struct report_in *in, char *err, size_t errlen)
{
    const struct result_row **order = malloc(sizeof *order * (size_t)(in->n ? in->n : 1));
    if (!order) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < in->n; i++)
        order[i] = &in->rows[i];
    qsort(order, (size_t)in->n, sizeof *order, by_desc);
    int rc = 0;
    for (int k = 1; k < in->n && rc == 0; k++) {
        const struct result_row *a = order[k - 1], *b = order[k];
        if (strcmp(a->desc, b->desc))
            continue;
        snprintf(err, errlen,
                 "row '%s' is in both %s/results.csv (shard '%s') and %s/results.csv (shard '%s'): "
                 "each configuration must come from one run folder only",
                 a->desc, in->dirs[in->row_run[a - in->rows]], a->shard, in->dirs[in->row_run[b - in->rows]],
                 b->shard);
        rc = -1;
    }
    free(order);
    return rc;
}

/* 1 when path names the same folder as one of the run folders. */
static int is_input(const struct report_in *in, const char *out)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(out, a))
        return 0;
    for (int k = 0; k < in->nruns; k++)
        if (realpath(in->dirs[k], b) && !strcmp(a, b))
            return 1;
    return 0;
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[8192];
    size_t got;
    int bad = !in || !out;
    while (!bad && (got = fread(buf, 1, sizeof buf, in)) > 0)
        bad = fwrite(buf, 1, got, out) != got;
    bad |= in && ferror(in);
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        bad = 1;
    return bad ? -1 : 0;
}

/* A CSV field in quotes, quotes doubled (folder names and CPU models may
 * hold commas). */
static void quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fputs(*s == '"' ? "\"\"" : (char[]){*s, 0}, f);
    fputc('"', f);
}

/* OUT/merged_from.csv: run folder, fingerprint, machine, rows, shards. */
static int write_sources(const char *out, const struct report_in *in)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/merged_from.csv", out);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("run,fingerprint,cpu_model,cores,commit,rows,shard\n", f);
    for (int k = 0; k < in->nruns; k++) {
        int rows = 0;
        const char *shard = "";
        for (int i = 0; i < in->n; i++)
            if (in->row_run[i] == k)
                rows++, shard = in->rows[i].shard;
        const struct run_meta *m = &in->meta[k];
        quoted(f, in->dirs[k]);
        fprintf(f, ",%s,", m->fp_id);
        quoted(f, m->cpu_model);
        fprintf(f, ",%d,%s,%d,%s\n", m->cores, m->commit, rows, shard);
    }
    int bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

/* All rows into OUT/results.csv, written beside and renamed over, so a
 * reader never sees half a merge. */
static int write_rows(const char *out, const struct report_in *in, char *err, size_t errlen)
{
    char path[1200], tmp[1300];
    snprintf(path, sizeof path, "%s/results.csv", out);
    snprintf(tmp, sizeof tmp, "%s/.results.csv.tmp%d", out, (int)getpid());
    unlink(tmp);
    FILE *f = results_open(tmp, err, errlen);
    if (!f)
        return -1;
    int rc = 0;
    for (int i = 0; i < in->n && rc == 0; i++)
        rc = results_write(f, &in->rows[i], err, errlen);
    if (rc == 0)
        rc = results_flush(f, err, errlen);
    if (fclose(f) != 0 && rc == 0) {
        snprintf(err, errlen, "%s: cannot write (%s)", tmp, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno));
        rc = -1;
    }
    if (rc != 0)
        unlink(tmp);
    return rc;
}

int report_write_merged(const char *out, const struct report_in *in, char *err, size_t errlen)
{
    if (is_input(in, out)) {
        snprintf(err, errlen, "--out %s is one of the run folders: merge into a folder of its own", out);
        return -1;
    }
    if (write_rows(out, in, err, errlen) != 0)
        return -1;
    char from[1200], to[1200];
    /* meta.json and peak.json make OUT a run folder `ablate report` reads
     * again; with several machines no single meta.json is true, so none. */
    for (int k = 0; k < 2 && !in->mixed; k++) {
        const char *name = k ? "peak.json" : "meta.json";
        snprintf(from, sizeof from, "%s/%s", in->dirs[0], name);
        snprintf(to, sizeof to, "%s/%s", out, name);
        if (access(from, R_OK) == 0 && copy_file(from, to) != 0) {
            snprintf(err, errlen, "%s: cannot write (%s)", to, strerror(errno ? errno : EIO));
            return -1;
        }
    }
    if (write_sources(out, in) != 0) {
        snprintf(err, errlen, "%s/merged_from.csv: cannot write (%s)", out, strerror(errno ? errno : EIO));
        return -1;
    }
    printf("wrote %s/results.csv (%d rows from %d run folders) and %s/merged_from.csv\n", out, in->n, in->nruns,
           out);
    return 0;
}
