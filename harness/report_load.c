/* harness/report_load.c — the run folders of a report read and merged. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare.h"
#include "report.h"

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int append_rows(struct report_in *in, struct result_row *rows, int n, char *err, size_t errlen)
{
    struct result_row *all = realloc(in->rows, (size_t)(in->n + n) * sizeof *all);
    if (!all) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(all + in->n, rows, (size_t)n * sizeof *rows);
    in->rows = all, in->n += n;
    return 0;
}

static int load_one(struct report_in *in, const char *dir, char *err, size_t errlen)
{
    char csv[1100];
    struct result_row *rows;
    int k = in->nruns;
    if (!is_dir(dir)) {
        snprintf(err, errlen, "%s: no such run folder", dir);
        return -1;
    }
    snprintf(csv, sizeof csv, "%s/results.csv", dir);
    int n = results_read_required(csv, &rows, err, errlen);
    if (n < 0)
        return -1;
    int rc = run_meta_read(dir, &in->meta[k], err, errlen) != 0 ? -1 : append_rows(in, rows, n, err, errlen);
    free(rows);
    if (rc != 0)
        return -1;
    snprintf(in->dirs[k], sizeof in->dirs[k], "%s", dir);
    int np = peak_read(dir, in->peaks + in->npeaks, REPORT_PEAKS_MAX - in->npeaks);
    in->npeaks += np > 0 ? np : 0;
    in->nruns++;
    return 0;
}

static int check_fingerprints(struct report_in *in, int force, char *err, size_t errlen)
{
    for (int k = 1; k < in->nruns; k++)
        if (strcmp(in->meta[k].fp_id, in->meta[0].fp_id)) {
            in->mixed = 1;
            if (!force) {
                snprintf(err, errlen,
                         "runs come from different machines: fingerprint %s (%s) vs %s (%s); latency is "
                         "not comparable across machines (--force merges them anyway)",
                         in->meta[0].fp_id, in->dirs[0], in->meta[k].fp_id, in->dirs[k]);
                return -1;
            }
        }
    return 0;
}

int report_load(struct report_in *in, char **dirs, int ndirs, int force, char *err, size_t errlen)
{
    memset(in, 0, sizeof *in);
    if (ndirs > REPORT_RUNS_MAX) {
        snprintf(err, errlen, "at most %d run folders in one report", REPORT_RUNS_MAX);
        return -1;
    }
    for (int i = 0; i < ndirs; i++)
        if (load_one(in, dirs[i], err, errlen) != 0)
            return -1;
    if (check_fingerprints(in, force, err, errlen) != 0)
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
    free(in->v);
    in->rows = NULL, in->v = NULL;
}
