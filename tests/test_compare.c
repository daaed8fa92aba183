/* tests/test_compare.c — `ablate compare` and the change test behind it
 * (stats.h): identical timings are no change, a 20 % slowdown is flagged,
 * a 2 % shift is below the minimum effect; bad input gives one line and
 * exit status 2. */
#include <criterion/criterion.h>
#include <math.h>

#include "stats.h"
#include "test_util.h"
#include "timing_fixture.h"

static char dir[64];

static void setup(void)
{
    temp_dir(dir, sizeof dir);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

TestSuite(compare, .init = setup, .fini = teardown, .timeout = 30);

static struct lat_summary lat(double median)
{
    return (struct lat_summary){.median = median, .p10 = median * 0.97, .p90 = median * 1.05, .n = 30};
}

Test(compare, identical_is_no_change)
{
    struct lat_summary a = lat(10), b = lat(10);
    struct lat_change c;
    stats_compare(&a, &b, 0.05, 0.01, &c);
    cr_assert_eq(c.verdict, CHANGE_NONE);
    cr_assert_float_eq(c.ratio, 1.0, 1e-12);
    cr_assert_float_eq(c.p, 1.0, 1e-12);
    cr_assert(c.lo < 1 && c.hi > 1);
}

Test(compare, twenty_percent_slower_is_flagged)
{
    struct lat_summary a = lat(10), b = lat(12);
    struct lat_change c;
    stats_compare(&a, &b, 0.05, 0.01, &c);
    cr_assert_eq(c.verdict, CHANGE_SLOWER);
    cr_assert(c.p < 1e-6, "p = %g", c.p);
    cr_assert(c.lo > 1.1 && c.hi < 1.3, "CI [%g, %g]", c.lo, c.hi);
}

Test(compare, two_percent_is_within_noise)
{
    struct lat_summary a = lat(10), b = lat(10.2);
    struct lat_change c;
    stats_compare(&a, &b, 0.05, 0.01, &c);
    cr_assert_eq(c.verdict, CHANGE_NONE, "a 2%% shift must not be reported (p = %g)", c.p);
}

Test(compare, wide_spread_is_not_significant)
{
    /* 30 % slower but p10..p90 spans a factor 3 with 3 samples: noise */
    struct lat_summary a = {.median = 10, .p10 = 5, .p90 = 20, .n = 3}, b = {.median = 13, .p10 = 6, .p90 = 26, .n = 3};
    struct lat_change c;
    stats_compare(&a, &b, 0.05, 0.01, &c);
    cr_assert_eq(c.verdict, CHANGE_NONE, "p = %g", c.p);
}

Test(compare, too_few_samples_is_unknown)
{
    struct lat_summary a = lat(10), b = lat(20);
    b.n = 1;
    struct lat_change c;
    stats_compare(&a, &b, 0.05, 0.01, &c);
    cr_assert_eq(c.verdict, CHANGE_UNKNOWN);
    cr_assert(isnan(c.p));
    cr_assert_str_eq(stats_verdict_name(c.verdict), "n<3");
}

Test(compare, z_quantiles)
{
    cr_assert_float_eq(stats_z_two_sided(0.05), 1.959964, 1e-5);
    cr_assert_float_eq(stats_z_two_sided(0.01), 2.575829, 1e-5);
}

Test(compare, cli_table_and_csv)
{
    char old[128], new[128], out[128], args[512], d[256], text[4096];
    struct run_out r;
    snprintf(old, sizeof old, "%s/old.csv", dir);
    snprintf(new, sizeof new, "%s/new.csv", dir);
    snprintf(out, sizeof out, "%s/cmp.csv", dir);
    timing_csv(old, 1, 1, 1);
    timing_csv(new, 1, 1.2, 1.02);
    snprintf(args, sizeof args, "compare %s %s --out %s", old, new, out);
    run_ablate(&r, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "3 timed rows in both: 1 slower, 0 faster, 2 unchanged (~)"), "%s", r.out);
    slurp(out, text, sizeof text);
    static const char header[] = "desc,old_median_ms,new_median_ms,ratio,ci_lo,ci_hi,p,verdict\n";
    cr_assert(!strncmp(text, header, sizeof header - 1), "%s", text);
    timing_desc(1, d, sizeof d);
    char *line = strstr(text, d);
    cr_assert(line, "%s", text);
    cr_assert(strstr(line, ",10,12,1.2,") && strstr(line, ",slower\n"), "%s", line);
    timing_desc(2, d, sizeof d);
    line = strstr(text, d);
    cr_assert(line && strstr(line, ",10,10.2,1.02,"), "%s", text);
    cr_assert(strstr(line, ",~\n"), "%s", line);
}

Test(compare, missing_file)
{
    char args[256], want[256];
    struct run_out r;
    snprintf(args, sizeof args, "compare %s/nope.csv %s/nope2.csv", dir, dir);
    run_ablate(&r, args);
    cr_assert_eq(r.status, 2);
    snprintf(want, sizeof want, "ablate: %s/nope.csv: cannot open (No such file or directory)\n", dir);
    cr_assert_str_eq(r.err, want);
}

Test(compare, wrong_header)
{
    char bad[128], good[128], args[512], want[512];
    struct run_out r;
    snprintf(bad, sizeof bad, "%s/bad.csv", dir);
    snprintf(good, sizeof good, "%s/good.csv", dir);
    write_file(bad, "name,ms\nx,1\n");
    timing_csv(good, 1, 1, 1);
    snprintf(args, sizeof args, "compare %s %s", good, bad);
    run_ablate(&r, args);
    cr_assert_eq(r.status, 2);
    snprintf(want, sizeof want,
             "ablate: %s: not an ablate results file (header mismatch at column 1: 'name', expected 'desc')\n", bad);
    cr_assert_str_eq(r.err, want);
}

Test(compare, bad_threshold)
{
    struct run_out r;
    run_ablate(&r, "compare a.csv b.csv --threshold abc");
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err, "ablate: --threshold 'abc': expected a number between 0 and 1\n");
}
