/* harness/report_load.c — the run folders of a report read and merged. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare.h"
#include "report.h"

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int append_rows(struct report_in *in, struct result_row *rows, int n, int run, char *err, size_t errlen)
{
    if (n == 0) /* an empty shard; realloc(p, 0) could free */
        return 0;
    struct result_row *all = realloc(in->rows, (size_t)(in->n + n) * sizeof *all);
    if (all)
        in->rows = all;
    int *from = all ? realloc(in->row_run, (size_t)(in->n + n) * sizeof *from) : NULL;
    if (!from) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    in->row_run = from;
    memcpy(all + in->n, rows, (size_t)n * sizeof *rows);
    for (int i = 0; i < n; i++)
        from[in->n + i] = run;
    in->n += n;
    return 0;
}

const char *report_row_machine(const struct report_in *in, const struct result_row *r)
{
    return in->meta[in->row_run[r - in->rows]].fp_id;
}

/* A folder's rows: at least one, except in a merge, where a shard may
 * have drawn no configuration at all (more shards than configurations). */
static int read_rows(const char *csv, int merging, struct result_row **rows, char *err, size_t errlen)
{
    if (!merging)
        return results_read_required(csv, rows, err, errlen);
    if (access(csv, R_OK) != 0) {
        snprintf(err, errlen, "%s: cannot open (%s)", csv, strerror(errno));
        return -1;
    }
    return results_read(csv, rows, err, errlen);
}

static int load_one(struct report_in *in, const char *dir, int merging, char *err, size_t errlen)
{
    char csv[1100];
    struct result_row *rows;
    int k = in->nruns;
    if (!is_dir(dir)) {
        snprintf(err, errlen, "%s: no such run folder", dir);
        return -1;
    }
    snprintf(csv, sizeof csv, "%s/results.csv", dir);
    int n = read_rows(csv, merging, &rows, err, errlen);
    if (n < 0)
        return -1;
    int rc = run_meta_read(dir, &in->meta[k], err, errlen) != 0 ? -1 : append_rows(in, rows, n, k, err, errlen);
    free(rows);
    if (rc != 0)
        return -1;
    snprintf(in->dirs[k], sizeof in->dirs[k], "%s", dir);
    int np = peak_read(dir, in->peaks + in->npeaks, REPORT_PEAKS_MAX - in->npeaks);
    in->npeaks += np > 0 ? np : 0;
    in->nruns++;
    return 0;
}

static int check_fingerprints(struct report_in *in, int mix_machines, char *err, size_t errlen)
{
    for (int k = 1; k < in->nruns; k++)
        if (strcmp(in->meta[k].fp_id, in->meta[0].fp_id)) {
            in->mixed = 1;
            if (!mix_machines) {
                snprintf(err, errlen,
                         "runs come from different machines: fingerprint %s (%s) vs %s (%s); latency is "
                         "not comparable across machines (--mix-machines merges them anyway, marking each "
                         "comparison that crosses machines)",
                         in->meta[0].fp_id, in->dirs[0], in->meta[k].fp_id, in->dirs[k]);
                return -1;
            }
        }
    return 0;
}

int report_load(struct report_in *in, char **dirs, int ndirs, int mix_machines, char *err, size_t errlen)
{
    memset(in, 0, sizeof *in);
    if (ndirs > REPORT_RUNS_MAX) {
        snprintf(err, errlen, "at most %d run folders in one report", REPORT_RUNS_MAX);
        return -1;
    }
    for (int i = 0; i < ndirs; i++)
        if (load_one(in, dirs[i], ndirs > 1, err, errlen) != 0)
            return -1;
    if (in->n == 0) {
        snprintf(err, errlen, "no results rows in any of the %d run folders", ndirs);
        return -1;
    }
    if ((ndirs > 1 && report_check_duplicates(in, err, errlen) != 0) ||
        check_fingerprints(in, mix_machines, err, errlen) != 0)
        return -1;
    in->nv = results_view_build(in->rows, in->n, &in->v);
    if (in->nv < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void report_free(struct report_in *in)
{
    free(in->rows);
    free(in->row_run);
    free(in->v);
    in->rows = NULL, in->row_run = NULL, in->v = NULL;
}
