/* tests/test_regress.c — runs/history.csv and `ablate regress`: a run 20 %
 * slower than its history on the same machine fails (exit 1, named), one
 * within noise passes, other machines' history is ignored, bad input is
 * one line with exit status 2. */
#include <criterion/criterion.h>

#include "history.h"
#include "run_fixture.h"
#include "test_util.h"
#include "timing_fixture.h"

static char dir[64], hist[128];

static void setup(void)
{
    temp_dir(dir, sizeof dir);
    snprintf(hist, sizeof hist, "%s/history.csv", dir);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

TestSuite(regress, .init = setup, .fini = teardown, .timeout = 60);

/* A run folder DIR/<name> with timing_csv's three rows, appended to the history. */
static void add_run(const char *name, const char *fp, double same, double slow, double nudge)
{
    char run[128], csv[160], err[512];
    snprintf(run, sizeof run, "%s/%s", dir, name);
    run_fixture_dir(run);
    run_fixture_meta(run, fp, name);
    snprintf(csv, sizeof csv, "%s/results.csv", run);
    timing_csv(csv, same, slow, nudge);
    cr_assert_eq(history_append(hist, run, err, sizeof err), 3, "%s", err);
}

/* Four earlier runs wobbling by 1 % on machine aa. */
static void add_history(void)
{
    add_run("r1", "00000000000000aa", 1.00, 1.00, 1.00);
    add_run("r2", "00000000000000aa", 1.01, 0.99, 1.01);
    add_run("r3", "00000000000000aa", 0.99, 1.01, 0.99);
    add_run("r4", "00000000000000aa", 1.00, 1.00, 1.01);
}

Test(regress, append_and_read_back)
{
    struct hist_row *h;
    char err[512];
    add_history();
    int n = history_read(hist, &h, err, sizeof err);
    cr_assert_eq(n, 12, "%s", err);
    cr_assert_str_eq(h[0].fp, "00000000000000aa");
    cr_assert_str_eq(h[0].commit, "r1");
    cr_assert_float_eq(h[4].median, 10.0 * 0.99, 1e-9);
    cr_assert_eq(h[4].samples, 30);
    cr_assert(strstr(h[11].run, "/r4"));
    free(h);
}

Test(regress, slowdown_fails_and_is_named)
{
    char args[256], d[256];
    struct run_out r;
    add_history();
    add_run("r5", "00000000000000aa", 1.0, 1.2, 1.02);
    snprintf(args, sizeof args, "regress --history %s", hist);
    run_ablate(&r, args);
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "ablate: regression: 1 configuration slower than history by more than 5% (p < 0.01):"),
              "%s", r.err);
    timing_desc(1, d, sizeof d);
    cr_assert(strstr(r.err, d), "%s", r.err);
    timing_desc(2, d, sizeof d); /* the 2 % one is noise */
    cr_assert(!strstr(r.err, d), "%s", r.err);
}

Test(regress, within_noise_passes)
{
    char args[256];
    struct run_out r;
    add_history();
    add_run("r5", "00000000000000aa", 1.01, 0.98, 1.02);
    snprintf(args, sizeof args, "regress --history %s", hist);
    run_ablate(&r, args);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "3 of 3 timed rows have earlier runs on fingerprint 00000000000000aa"), "%s", r.out);
}

Test(regress, short_history_gives_no_verdict)
{
    char args[256];
    struct run_out r;
    add_run("r1", "00000000000000aa", 1.0, 1.0, 1.0);
    add_run("r2", "00000000000000aa", 1.0, 1.0, 1.0);
    add_run("r3", "00000000000000aa", 1.0, 1.2, 1.0);
    snprintf(args, sizeof args, "regress --history %s", hist);
    run_ablate(&r, args);
    cr_assert_eq(r.status, 0, "two earlier runs cannot tell drift from a change: %s%s", r.out, r.err);
}

Test(regress, other_machine_is_not_compared)
{
    char args[256];
    struct run_out r;
    add_history();
    add_run("r5", "00000000000000bb", 1.0, 1.5, 1.0);
    snprintf(args, sizeof args, "regress --history %s", hist);
    run_ablate(&r, args);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "0 of 3 timed rows have earlier runs"), "%s", r.out);
}

Test(regress, run_folder_against_history)
{
    char args[256], run[128], csv[160];
    struct run_out r;
    add_history();
    snprintf(run, sizeof run, "%s/new", dir);
    run_fixture_dir(run);
    run_fixture_meta(run, "00000000000000aa", "new");
    snprintf(csv, sizeof csv, "%s/results.csv", run);
    timing_csv(csv, 1.3, 1.0, 1.0);
    snprintf(args, sizeof args, "regress --history %s --run %s --chart %s", hist, run, dir);
    run_ablate(&r, args);
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "num_param=1:"), "%s", r.err);
    if (system("command -v gnuplot >/dev/null 2>&1") == 0) {
        char svg[160], text[256];
        snprintf(svg, sizeof svg, "%s/history.svg", dir);
        slurp(svg, text, sizeof text);
        cr_assert(strstr(text, "<svg"), "no %s: %s", svg, r.err);
    }
}

Test(regress, missing_history)
{
    char args[256], want[256];
    struct run_out r;
    snprintf(args, sizeof args, "regress --history %s/none.csv", dir);
    run_ablate(&r, args);
    cr_assert_eq(r.status, 2);
    snprintf(want, sizeof want, "ablate: %s/none.csv: cannot open (No such file or directory)\n", dir);
    cr_assert_str_eq(r.err, want);
}

Test(regress, wrong_history_header)
{
    char args[256], want[512];
    struct run_out r;
    write_file(hist, "commit,desc,ms\nabc,x,1\n");
    snprintf(args, sizeof args, "regress --history %s", hist);
    run_ablate(&r, args);
    cr_assert_eq(r.status, 2);
    snprintf(want, sizeof want, "ablate: %s: not an ablate history file (header must be " HISTORY_HEADER ")\n", hist);
    cr_assert_str_eq(r.err, want);
}

Test(regress, short_history_line)
{
    char args[256], want[512];
    struct run_out r;
    write_file(hist, HISTORY_HEADER "\nabc,aa,x,1,1,1\n");
    snprintf(args, sizeof args, "regress --history %s", hist);
    run_ablate(&r, args);
    cr_assert_eq(r.status, 2);
    snprintf(want, sizeof want, "ablate: %s: line 2: 6 fields, expected 13\n", hist);
    cr_assert_str_eq(r.err, want);
}
