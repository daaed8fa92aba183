/* harness/regress.c — the judgement behind `ablate regress` (its command
 * line, messages and exit status: cli_regress.c).
 *
 * The current run (RUNDIR, or the run of the last history line) is set
 * against the history of the same fingerprint: for each desc, the last
 * REF_RUNS earlier runs.  Reference = the run with the median median of
 * those; the standard error of the log ratio adds, to the two runs' own
 * (stats.h), the spread between runs (1.4826 x MAD of the log medians),
 * because on a shared machine run-to-run drift is the larger noise; with
 * fewer than REGRESS_MIN_RUNS earlier runs that spread is unknown: no verdict.
 * Errors go back to the caller as -1 with a message in err. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "history.h"
#include "regress.h"
#include "run_meta.h"

/* At most REF_RUNS earlier runs make the reference (REGRESS_MIN_RUNS,
 * regress.h: the fewest that give a verdict). */
enum { REF_RUNS = 5 };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Run-to-run spread of log(median): 1.4826 MAD, 0 with fewer than 3 runs. */
static double between_runs_se(const struct hist_row *const *ref, int k)
{
    double l[REF_RUNS], d[REF_RUNS];
    if (k < 3)
        return 0;
    for (int i = 0; i < k; i++)
        l[i] = log(ref[i]->median);
    qsort(l, (size_t)k, sizeof *l, cmp_double);
    double med = l[k / 2];
    for (int i = 0; i < k; i++)
        d[i] = fabs(l[i] - med);
    qsort(d, (size_t)k, sizeof *d, cmp_double);
    return 1.4826 * d[k / 2];
}

/* The earlier runs of desc on fingerprint fp, newest last, at most REF_RUNS. */
static int earlier_runs(const struct hist_row *h, int n, const struct hist_row *cur, const struct hist_row **ref)
{
    int k = 0;
    for (int i = n - 1; i >= 0 && k < REF_RUNS; i--)
        if (!strcmp(h[i].fp, cur->fp) && !strcmp(h[i].desc, cur->desc) && strcmp(h[i].run, cur->run) &&
            h[i].median > 0)
            ref[k++] = &h[i];
    return k;
}

static void hist_summary(const struct hist_row *h, struct lat_summary *s)
{
    s->median = h->median, s->p10 = h->p10, s->p90 = h->p90, s->n = h->samples;
}

void regress_judge(const struct hist_row *h, int n, const struct hist_row *cur, const struct compare_opts *o,
                   struct lat_change *c, int *n_ref)
{
    const struct hist_row *ref[REF_RUNS], *mid;
    int k = earlier_runs(h, n, cur, ref);
    *n_ref = k;
    if (k == 0) {
        stats_verdict(NAN, NAN, o->threshold, o->alpha, c);
        return;
    }
    const struct hist_row *sorted[REF_RUNS];
    memcpy(sorted, ref, (size_t)k * sizeof *ref);
    for (int i = 1; i < k; i++) /* insertion sort by median: k <= 5 */
        for (int j = i; j > 0 && sorted[j]->median < sorted[j - 1]->median; j--)
            mid = sorted[j], sorted[j] = sorted[j - 1], sorted[j - 1] = mid;
    mid = sorted[(k - 1) / 2];
    struct lat_summary a, b;
    hist_summary(mid, &a), hist_summary(cur, &b);
    double se = sqrt(pow(stats_rel_se(&a), 2) + pow(stats_rel_se(&b), 2) + pow(between_runs_se(ref, k), 2));
    stats_verdict(b.median / a.median, se, o->threshold, o->alpha, c);
    if (k < REGRESS_MIN_RUNS)
        c->verdict = CHANGE_UNKNOWN;
}

/* The current run's rows: from RUNDIR (results.csv + meta.json), or the
 * history lines of the run named last in the history. */
static int current_rows(const char *run_dir, const struct hist_row *h, int n, struct hist_row **cur, char *err,
                        size_t errlen)
{
    if (!run_dir) {
        const char *last = n ? h[n - 1].run : "";
        int k = 0;
        *cur = malloc(((size_t)n + 1) * sizeof **cur);
        if (!*cur) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (int i = 0; i < n; i++)
            if (!strcmp(h[i].run, last))
                (*cur)[k++] = h[i];
        return k;
    }
    return regress_rows_from_run(run_dir, cur, err, errlen);
}

int regress_rows_from_run(const char *run_dir, struct hist_row **cur, char *err, size_t errlen)
{
    struct run_meta m;
    struct result_row *rows;
    char csv[4200], real[PATH_MAX];
    if (run_meta_read(run_dir, &m, err, errlen) != 0)
        return -1;
    if (!realpath(run_dir, real)) /* history records real paths: latest -> stamp */
        snprintf(real, sizeof real, "%s", run_dir);
    snprintf(csv, sizeof csv, "%s/results.csv", run_dir);
    int n = results_read_required(csv, &rows, err, errlen), k = 0;
    if (n < 0)
        return -1;
    *cur = calloc((size_t)n, sizeof **cur);
    for (int i = 0; *cur && i < n; i++) {
        if (strcmp(rows[i].status, "ok") || isnan(rows[i].median_ms))
            continue;
        struct hist_row *c = &(*cur)[k++];
        snprintf(c->commit, sizeof c->commit, "%s", m.commit);
        snprintf(c->fp, sizeof c->fp, "%s", m.fp_id);
        snprintf(c->desc, sizeof c->desc, "%s", rows[i].desc);
        snprintf(c->date, sizeof c->date, "%s", m.date);
        snprintf(c->run, sizeof c->run, "%s", real);
        c->median = rows[i].median_ms, c->p10 = rows[i].p10_ms, c->p90 = rows[i].p90_ms;
        c->samples = rows[i].samples;
    }
    free(rows);
    if (!*cur) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return k;
}

int regress_load(const char *hist_path, const char *run_dir, struct regress_input *in, char *err, size_t errlen)
{
    *in = (struct regress_input){0};
    in->n_hist = history_read(hist_path, &in->hist, err, errlen);
    if (in->n_hist < 0)
        return -1;
    in->n_cur = current_rows(run_dir, in->hist, in->n_hist, &in->cur, err, errlen);
    if (in->n_cur < 0) {
        regress_free(in);
        return -1;
    }
    return 0;
}

void regress_free(struct regress_input *in)
{
    free(in->hist), free(in->cur);
    *in = (struct regress_input){0};
}

int regress_table(FILE *f, const struct regress_input *in, const struct compare_opts *o, int *compared)
{
    int slower = 0;
    *compared = 0;
    compare_print_header(f);
    for (int i = 0; i < in->n_cur; i++) {
        struct lat_change c;
        int k;
        regress_judge(in->hist, in->n_hist, &in->cur[i], o, &c, &k);
        if (k == 0)
            continue;
        (*compared)++;
        compare_print_line(f, in->cur[i].desc, in->cur[i].median / c.ratio, in->cur[i].median, &c);
        slower += c.verdict == CHANGE_SLOWER;
    }
    return slower;
}

void regress_name_slower(FILE *f, const struct regress_input *in, const struct compare_opts *o)
{
    for (int i = 0; i < in->n_cur; i++) {
        struct lat_change c;
        int k;
        regress_judge(in->hist, in->n_hist, &in->cur[i], o, &c, &k);
        if (c.verdict == CHANGE_SLOWER)
            fprintf(f, "  %s  %.3fx [%.3f, %.3f]\n", in->cur[i].desc, c.ratio, c.lo, c.hi);
    }
}
