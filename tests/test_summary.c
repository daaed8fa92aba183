/* tests/test_summary.c — the end-of-sweep table: one line per layer and
 * swept value after its baseline, the fastest passing generated impl, the
 * ratio to the baseline, the worst parity status. */
#include <criterion/criterion.h>

#include "report_fixture.h"
#include "results_fixture.h"
#include "summary.h"
#include "test_util.h"

static char dir[64], csv[128];

static void setup(void)
{
    temp_dir(dir, sizeof dir);
    snprintf(csv, sizeof csv, "%s/results.csv", dir);
    if (fixture_write(csv) <= 0)
        abort();
}

static void teardown(void) { remove_dir(dir); }

TestSuite(summary, .init = setup, .fini = teardown);

/* The table as text. */
static void print_summary(const char *xarg, int threads, char *buf, size_t len)
{
    char *text = NULL, err[256];
    size_t n = 0;
    FILE *out = open_memstream(&text, &n);
    cr_assert(out);
    int rc = summary_print(out, csv, xarg, threads, err, sizeof err);
    cr_assert_eq(fclose(out), 0);
    cr_assert_eq(rc, 0, "%s", err);
    snprintf(buf, len, "%s", text);
    free(text);
}

/* Line k (0 = header) with runs of blanks squeezed to one, so the test
 * does not depend on column widths. */
static void line_words(const char *text, int k, char *buf, size_t len)
{
    for (int i = 0; i < k && text; i++)
        text = strchr(text, '\n') ? strchr(text, '\n') + 1 : NULL;
    cr_assert(text, "no line %d", k);
    size_t used = 0;
    for (const char *p = text; *p && *p != '\n' && used + 1 < len; p++)
        if (*p != ' ' || (used && buf[used - 1] != ' '))
            buf[used++] = *p;
    buf[used] = 0;
}

Test(summary, one_line_per_layer_and_value)
{
    char text[16384], w[256];
    print_summary("num_param", 2, text, sizeof text);
    line_words(text, 0, w, sizeof w);
    cr_expect_str_eq(w, "layer module num_param params GFLOPs(thop) GFLOPs(full) best impl median ms vs base 95% CI torch ms parity");
    line_words(text, 1, w, sizeof w);
    cr_expect_str_eq(w, "L1 Conv - 4672 0.2392 0.3588 gen:gemm 0.3277 1.00 - - ok");
    line_words(text, 2, w, sizeof w);
    cr_expect_str_eq(w, "L1 AKConv 1 866 0.04434 0.06651 gen:fused 0.2454 0.75 - - ok");
    line_words(text, 5, w, sizeof w);
    cr_expect_str_eq(w, "L1 AKConv 9 7282 0.3728 0.5593 gen:gemm 1.258 3.84 - - ok");
    line_words(text, 6, w, sizeof w);
    cr_expect_eq(strncmp(w, "L3 Conv -", 9), 0, "then L3 (natural order), baseline first: %s", w);
    line_words(text, 10, w, sizeof w);
    cr_expect(strstr(w, "L3 AKConv 9 ") == w && strstr(w, " gen:gemm "), "fused failed parity: %s", w);
    cr_expect(strstr(w, " fail_parity (gen:fused)"), "%s", w);
    line_words(text, 11, w, sizeof w);
    cr_expect_eq(strncmp(w, "L16 Conv -", 10), 0, "%s", w);
    line_words(text, 16, w, sizeof w);
    cr_expect(strstr(w, "best impl, median ms:") == w, "a legend closes the table: %s", w);
}

Test(summary, all_threads_and_whole_args)
{
    char text[16384], w[256];
    print_summary("", 0, text, sizeof text);
    line_words(text, 0, w, sizeof w);
    cr_expect_str_eq(w, "layer module threads args params GFLOPs(thop) GFLOPs(full) best impl median ms vs base 95% CI torch ms parity");
    line_words(text, 1, w, sizeof w);
    cr_expect_eq(strncmp(w, "L1 Conv 1 - 4672", 16), 0, "%s", w);
    line_words(text, 2, w, sizeof w);
    cr_expect_eq(strncmp(w, "L1 AKConv 1 grid=ij:num_param=1:s=2 866", 39), 0, "%s", w);
    line_words(text, 6, w, sizeof w);
    cr_expect_eq(strncmp(w, "L1 Conv 2 -", 11), 0, "then the 2-thread rows of L1: %s", w);
}

Test(summary, one_column_per_swept_argument)
{
    char text[16384], w[256];
    print_summary("num_param,grid", 2, text, sizeof text);
    line_words(text, 0, w, sizeof w);
    cr_expect_str_eq(w, "layer module num_param grid params GFLOPs(thop) GFLOPs(full) best impl median ms vs base 95% CI torch ms parity");
    line_words(text, 1, w, sizeof w);
    cr_expect_eq(strncmp(w, "L1 Conv - - 4672", 16), 0, "a baseline has none of them: %s", w);
    line_words(text, 2, w, sizeof w);
    cr_expect_eq(strncmp(w, "L1 AKConv 1 ij 866", 18), 0, "%s", w);
}

Test(summary, no_rows)
{
    char text[4096], w[256];
    print_summary("num_param", 5, text, sizeof text);
    line_words(text, 1, w, sizeof w);
    cr_expect_str_eq(w, "(no rows at this thread count)");
}

Test(summary, bad_file)
{
    write_file(csv, "not,a,results,file\n");
    char err[512], want[640];
    cr_assert_eq(summary_print(stdout, csv, "num_param", 1, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: not an ablate results file (header mismatch at column 1: 'not', "
                                "expected 'desc')", csv);
    cr_expect_str_eq(err, want);
}

/* Rewrites the fixture with every row's vcpu_skew set. */
static void set_skew(double skew) { report_fixture_set_skew(csv, skew); }

/* The 2-thread table names how many configurations the host disturbed;
 * the 1-thread table and an even host say nothing. */
Test(summary, uneven_vcpus_are_named)
{
    char text[16384];
    set_skew(1.25);
    print_summary("num_param", 2, text, sizeof text);
    cr_expect(strstr(text, "\nvCPU skew: 15 configurations timed while the host ran one vCPU at "
                           "least 1.10x slower than the other (up to 1.25): their multi-thread times "
                           "and ratios say as much about the host as about the kernels "
                           "(docs/measurement.md, Uneven vCPUs)\n"),
              "%s", text);
    print_summary("num_param", 1, text, sizeof text);
    cr_expect(!strstr(text, "vCPU skew"), "%s", text);
    set_skew(1.09);
    print_summary("num_param", 2, text, sizeof text);
    cr_expect(!strstr(text, "vCPU skew"), "%s", text);
}
