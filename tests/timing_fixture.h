/* tests/timing_fixture.h — synthetic timings for compare/regress: rows
 * whose p10/p90 spread (-3 %/+5 %) and sample count (30) look like a
 * quiet 2-core machine's, scaled by a factor per desc. */
#ifndef ABLATE_TIMING_FIXTURE_H
#define ABLATE_TIMING_FIXTURE_H

#include <criterion/criterion.h>

#include "results_fixture.h"

/* Three configurations: "same" (factor a), "slow" (b), "nudge" (c). */
static inline void timing_csv(const char *path, double same, double slow, double nudge)
{
    static const char *const args[] = {"grid=ij:num_param=1:s=2", "grid=ij:num_param=3:s=2",
                                       "grid=ij:num_param=5:s=2"};
    const double f[] = {same, slow, nudge};
    char err[256];
    FILE *out = results_open(path, err, sizeof err);
    cr_assert(out, "%s", err);
    for (int k = 0; k < 3; k++) {
        struct result_row r;
        fixture_row(&r, &fixture_sites[0], "module", "AKConv", args[k], "gen:gemm", 1, 1000, 10.0 * f[k], "ok");
        cr_assert_eq(results_write(out, &r, err, sizeof err), 0, "%s", err);
    }
    cr_assert_eq(results_flush(out, err, sizeof err), 0);
    cr_assert_eq(fclose(out), 0);
}

/* The desc fixture_row gives configuration k of timing_csv. */
static inline void timing_desc(int k, char *buf, size_t len)
{
    snprintf(buf, len, "AKConv:grid=ij:num_param=%d:s=2:L1:t1:impl=gen:gemm", 2 * k + 1);
}

#endif
