/* tests/report_fixture.h — a complete run folder from the results fixture
 * (results.csv, meta.json, peak.json) for the report tests: a byte count
 * (flops_full / 8) so the roofline has points, a chosen machine
 * fingerprint, and optionally only the rows of one layer or one role (a
 * shard's share). */
#ifndef ABLATE_REPORT_FIXTURE_H
#define ABLATE_REPORT_FIXTURE_H

#include <criterion/criterion.h>
#include <unistd.h>

#include "results_fixture.h"
#include "run_fixture.h"

/* only: NULL for every row, else a layer ("L1") or a role ("baseline"). */
static inline void report_fixture_run(const char *scratch, const char *into, const char *fp, const char *only,
                                      double load)
{
    char csv[192], tmp[192], err[256];
    struct result_row *rows;
    snprintf(tmp, sizeof tmp, "%s/fixture.csv", scratch);
    snprintf(csv, sizeof csv, "%s/results.csv", into);
    run_fixture_dir(into);
    cr_assert(fixture_write(tmp) > 0);
    int n = results_read(tmp, &rows, err, sizeof err);
    cr_assert(n > 0, "%s", err);
    cr_assert_eq(unlink(tmp), 0);
    FILE *f = results_open(csv, err, sizeof err);
    cr_assert(f, "%s", err);
    for (int i = 0; i < n; i++) {
        rows[i].bytes = rows[i].flops_full / 8;
        rows[i].load = load;
        if (!only || !strcmp(rows[i].layer, only) || !strcmp(rows[i].role, only))
            cr_assert_eq(results_write(f, &rows[i], err, sizeof err), 0, "%s", err);
    }
    cr_assert_eq(fclose(f), 0);
    free(rows);
    run_fixture_meta(into, fp, "abc1234");
    run_fixture_peak(into);
}

/* Sets every row's vcpu_skew in the results file CSV (rewritten in place):
 * the report and summary tests of the uneven-vCPU mark. */
static inline void report_fixture_set_skew(const char *csv, double skew)
{
    char err[256];
    struct result_row *rows;
    int n = results_read(csv, &rows, err, sizeof err);
    cr_assert(n > 0, "%s", err);
    cr_assert_eq(unlink(csv), 0);
    FILE *f = results_open(csv, err, sizeof err);
    cr_assert(f, "%s", err);
    for (int i = 0; i < n; i++) {
        rows[i].vcpu_skew = skew;
        cr_assert_eq(results_write(f, &rows[i], err, sizeof err), 0, "%s", err);
    }
    cr_assert_eq(fclose(f), 0);
    free(rows);
}

#endif
