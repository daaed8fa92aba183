/* tests/test_report.c — `ablate report`: report.md's numbers recomputed
 * from the CSV, report.html self-contained and rendered by a real headless
 * browser (skipped without chromium), busy machines warned about (merging
 * shards and machines: test_report_merge.c),
 * bad input one line with exit status 2. */
#include <criterion/criterion.h>
#include <inttypes.h>

#include "charts.h"
#include "report_fixture.h"
#include "stats.h"
#include "test_util.h"

static char dir[64], run[128];

static void write_run(const char *into, const char *fp, const char *only, double load)
{
    report_fixture_run(dir, into, fp, only, load);
}

static void setup(void)
{
    temp_dir(dir, sizeof dir);
    snprintf(run, sizeof run, "%s/run", dir);
    write_run(run, "00000000000000aa", NULL, 0.0);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

TestSuite(report, .init = setup, .fini = teardown, .timeout = 120);

static void report_ok(const char *args)
{
    struct run_out r;
    run_ablate(&r, args);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
}

/* `ablate report RUN`, then RUN/<file> read into buf. */
static void report_read(const char *file, char *buf, size_t len)
{
    char args[256], path[192];
    snprintf(args, sizeof args, "report %s", run);
    report_ok(args);
    snprintf(path, sizeof path, "%s/%s", run, file);
    slurp(path, buf, len);
}

/* Fastest ok gen:* median of (role, layer, threads, args) straight from the rows. */
static const struct result_row *best(const struct result_row *rows, int n, const char *role, const char *layer,
                                     int threads, const char *args)
{
    const struct result_row *b = NULL;
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].role, role) && !strcmp(rows[i].layer, layer) && rows[i].threads == threads &&
            (!args || !strcmp(rows[i].args, args)) && !strncmp(rows[i].impl, "gen:", 4) &&
            !strcmp(rows[i].status, "ok") && (!b || rows[i].median_ms < b->median_ms))
            b = &rows[i];
    return b;
}

/* The fixture's roofs (run_fixture_peak): 60 / 120 GFLOP/s, 12 / 18 GB/s at
 * 1 / 2 threads; its bytes are flops_full / 8, so every row is flop-bound. */
static void expected_roof(char *buf, size_t len, const struct result_row *m)
{
    double sgemm = m->threads == 1 ? 60 : 120, floor_ms = (double)m->flops_full / (sgemm * 1e6);
    snprintf(buf, len, "%.4g (flops, %.0f%%)", floor_ms, 100 * floor_ms / m->median_ms);
}

static void check_line(const char *md, const struct result_row *rows, int n, const char *layer, int t, int np)
{
    char args[64], want[512], roof[64];
    snprintf(args, sizeof args, "grid=ij:num_param=%d:s=2", np);
    const struct result_row *m = best(rows, n, "module", layer, t, args), *b = best(rows, n, "baseline", layer, t, NULL);
    cr_assert(m && b);
    int64_t d = m->params - b->params;
    snprintf(want, sizeof want, "| %s | %d | AKConv | %s | %" PRId64 " | %+" PRId64 " (%+.1f%%) |", layer, t, args,
             m->params, d, 100.0 * (double)d / (double)b->params);
    const char *line = strstr(md, want);
    cr_assert(line, "no line starting %s in\n%s", want, md);
    expected_roof(roof, sizeof roof, m);
    snprintf(want, sizeof want, "| %s | %.4g | %s | %.3f | [", m->impl, m->median_ms, roof, m->median_ms / b->median_ms);
    cr_assert(strstr(line, want) && strstr(line, want) < strchr(line, '\n'), "want %s in %.400s", want, line);
}

Test(report, md_numbers_match_the_csv)
{
    char csv[192], err[256];
    static char md[65536];
    struct result_row *rows;
    report_read("report.md", md, sizeof md);
    snprintf(csv, sizeof csv, "%s/results.csv", run);
    int n = results_read(csv, &rows, err, sizeof err);
    cr_assert(n > 0, "%s", err);
    check_line(md, rows, n, "L1", 1, 1);
    check_line(md, rows, n, "L1", 2, 9);
    check_line(md, rows, n, "L16", 1, 5);
    check_line(md, rows, n, "L3", 2, 3);
    cr_assert(strstr(md, "fingerprint `00000000000000aa`: Test CPU"), "%s", md);
    cr_assert(strstr(md, "command: `./build/ablate sweep experiments/fixture.lua --quick`"));
    cr_assert(strstr(md, "| fail_parity (gen:fused) |"), "the L3 num_param=9 parity failure is shown");
    cr_assert(strstr(md, "![roofline.svg](roofline.svg)"), "%s", md);
    free(rows);
}

Test(report, html_is_self_contained)
{
    char args[256], path[192];
    static char html[1 << 20];
    snprintf(args, sizeof args, "report %s", run);
    report_ok(args);
    snprintf(path, sizeof path, "%s/report.html", run);
    slurp(path, html, sizeof html);
    cr_assert(strstr(html, "<img class=\"chart\""), "no chart");
    cr_assert(strstr(html, "src=\"data:image/svg+xml;base64,"));
    cr_assert(!strstr(html, "http:") && !strstr(html, "https:") && !strstr(html, "<link"),
              "the report must open offline");
}

/* A scatter in the run folder, as a placement run draws them: its SVG and
 * its numbered points (.points.tsv). */
static void add_scatter(const char *into)
{
    struct scatter_point p[3] = {{.x = 1, .y = 1, .lo = 0.95, .hi = 1.05, .number = 0, .name = "base"},
                                 {.x = 0.9, .y = 1.2, .lo = 1.1, .hi = 1.3, .number = 1, .name = "AKConv at 1"},
                                 {.x = 1.1, .y = 0.8, .lo = 0.7, .hi = 0.9, .number = 2, .name = "ACmix after 15"}};
    struct scatter_spec s = {.name = "params_vs_latency_n_t2", .title = "scatter", .xlabel = "params / base (ratio)",
                             .ylabel = "latency / base (ratio)", .interval = "bars: p10-p90 / base median"};
    char err[512];
    cr_assert_eq(charts_scatter(into, &s, p, 3, NULL, err, sizeof err), 0, "%s", err);
}

/* The headline: per layer and threads, the configuration with the lowest
 * and the highest ratio to the baseline, each with its CI, before the
 * charts and the full table, which folds away. */
Test(report, md_opens_on_the_headline)
{
    char csv[192], err[256], want[512];
    static char md[65536];
    struct result_row *rows;
    report_read("report.md", md, sizeof md);
    const char *head = strstr(md, "## Headline: best and worst configuration per layer");
    const char *chart = strstr(md, "## Main chart"), *table = strstr(md, "<details><summary>Full table");
    cr_assert(head && chart && table && head < chart && chart < table, "%s", md);
    cr_assert(strstr(md, "paired bootstrap interval of the sweep") && strstr(md, "fall back to the two rows' medians"),
              "says where the CI comes from");
    snprintf(csv, sizeof csv, "%s/results.csv", run);
    int n = results_read(csv, &rows, err, sizeof err);
    cr_assert(n > 0, "%s", err);
    /* L16 at 2 threads: the best and worst ratio recomputed from the rows */
    const struct result_row *b = best(rows, n, "baseline", "L16", 2, NULL), *lo = NULL, *hi = NULL;
    for (int np = 1; np <= 13; np++) {
        char a[64];
        snprintf(a, sizeof a, "grid=ij:num_param=%d:s=2", np);
        const struct result_row *m = best(rows, n, "module", "L16", 2, a);
        if (m && (!lo || m->median_ms < lo->median_ms))
            lo = m;
        if (m && (!hi || m->median_ms > hi->median_ms))
            hi = m;
    }
    cr_assert(b && lo && hi && lo != hi);
    struct lat_summary sl = {lo->median_ms, lo->p10_ms, lo->p90_ms, lo->samples},
                       sb = {b->median_ms, b->p10_ms, b->p90_ms, b->samples};
    double r, cl, ch;
    stats_ratio_ci(&sl, &sb, 0.05, &r, &cl, &ch);
    snprintf(want, sizeof want, "| L16 | 2 | ");
    const char *line = strstr(head, want);
    cr_assert(line, "%s", head);
    snprintf(want, sizeof want, "| AKConv %s | %.3f [%.3f, %.3f] | AKConv %s | %.3f [", lo->args, r, cl, ch, hi->args,
             hi->median_ms / b->median_ms);
    cr_assert(strstr(line, want) && strstr(line, want) < strchr(line, '\n'), "want %s in %.600s", want, line);
    free(rows);
}

/* A scatter's numbered points are listed under it. */
Test(report, numbered_points_under_their_chart)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0)
        cr_skip_test("gnuplot is not installed");
    static char md[65536], html[1 << 20];
    add_scatter(run);
    report_read("report.md", md, sizeof md);
    const char *img = strstr(md, "![params_vs_latency_n_t2.svg]"), *main = strstr(md, "## Main chart");
    cr_assert(img && main && main < img && img < strstr(md, "## Other charts"), "the scatter is the main chart: %s", md);
    cr_assert(strstr(img, "| base | base | 1.000 | 1.000 | 0.950-1.050 |"), "%s", img);
    cr_assert(strstr(img, "| 2 | ACmix after 15 | 1.100 | 0.800 | 0.700-0.900 |"), "%s", img);
    report_read("report.html", html, sizeof html);
    cr_assert(strstr(html, "<table class=\"points\"><tr><th>#</th><th>point</th>"), "under the chart in HTML too");
}

/* Criterion runs the suite's setup before the test and no .fini after
 * cr_skip_test: remove the folder before skipping, or it stays in /tmp. */
static void skip_without_chromium(void)
{
    if (system("command -v chromium >/dev/null 2>&1") != 0) {
        teardown();
        cr_skip_test("chromium not installed");
    }
}

Test(report, renders_in_headless_chromium)
{
    skip_without_chromium();
    char args[256], cmd[1024], png[192], dom[192];
    static char text[1 << 20];
    add_scatter(run);
    snprintf(args, sizeof args, "report %s", run);
    report_ok(args);
    snprintf(png, sizeof png, "%s/shot.png", dir);
    snprintf(dom, sizeof dom, "%s/dom.html", dir);
    /* --no-sandbox: tests may run as root; the page is our own file */
    snprintf(cmd, sizeof cmd,
             "cd %s && timeout 90 chromium --headless --no-sandbox --disable-gpu --window-size=1400,2000 "
             "--screenshot=%s file://%s/report.html >/dev/null 2>&1 && timeout 90 chromium --headless "
             "--no-sandbox --disable-gpu --virtual-time-budget=5000 --dump-dom file://%s/report.html >%s 2>/dev/null",
             dir, png, run, run, dom);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    struct stat st;
    cr_assert(stat(png, &st) == 0 && st.st_size > 10000, "no screenshot %s", png);
    slurp(png, text, 8);
    cr_assert(!memcmp(text, "\x89PNG", 4));
    slurp(dom, text, sizeof text);
    cr_assert(strstr(text, "data-charts-rendered=\"2\""), "the roofline and the scatter must both decode");
    const char *head = strstr(text, "<section id=\"headline\">"), *main = strstr(text, "<h2>Main chart</h2>");
    cr_assert(head && main && head < main, "the headline opens the report, before the charts");
    cr_assert(strstr(head, "<td>L1</td><td>1</td>"), "a headline row per layer and thread count");
    cr_assert(strstr(text, "<details id=\"full-table\">"), "the full table folds away");
}

Test(report, busy_machine_is_warned_about)
{
    char busy[128], args[256], path[192];
    static char md[65536];
    snprintf(busy, sizeof busy, "%s/busy", dir);
    write_run(busy, "00000000000000aa", NULL, 1.5);
    snprintf(args, sizeof args, "report %s", busy);
    report_ok(args);
    snprintf(path, sizeof path, "%s/report.md", busy);
    slurp(path, md, sizeof md);
    cr_assert(strstr(md, "**Warning:** Other processes used up to 1.50 cores while kernels were timed"), "%s", md);
    snprintf(args, sizeof args, "report %s", run); /* the quiet one has none */
    report_ok(args);
    snprintf(path, sizeof path, "%s/report.md", run);
    slurp(path, md, sizeof md);
    cr_assert(!strstr(md, "Warning"));
}

/* On a machine whose triad is slow the same rows are bound by their bytes:
 * the roof cell says so and measures the row against bytes / triad. */
Test(report, roof_names_the_bytes_bound)
{
    char slow[128], args[256], path[192], want[128];
    static char md[65536];
    snprintf(slow, sizeof slow, "%s/slow_memory", dir);
    write_run(slow, "00000000000000aa", "L1", 0.0);
    snprintf(path, sizeof path, "%s/peak.json", slow);
    write_file(path, "[{\"threads\": 1, \"sgemm_gflops\": 60.0, \"sgemm_n\": 512, \"triad_gbs\": 0.5, "
                     "\"blas_core\": \"Zen\"}]\n");
    snprintf(args, sizeof args, "report %s", slow);
    report_ok(args);
    snprintf(path, sizeof path, "%s/report.md", slow);
    slurp(path, md, sizeof md);
    struct result_row *rows;
    char csv[192], err[256];
    snprintf(csv, sizeof csv, "%s/results.csv", slow);
    int n = results_read(csv, &rows, err, sizeof err);
    cr_assert(n > 0, "%s", err);
    const struct result_row *m = best(rows, n, "module", "L1", 1, "grid=ij:num_param=1:s=2");
    cr_assert(m);
    double floor_ms = (double)m->bytes / 0.5e6; /* 0.5 GB/s: bytes take longer than flops at 60 GFLOP/s */
    snprintf(want, sizeof want, "| %.4g | %.4g (bytes, %.0f%%) |", m->median_ms, floor_ms, 100 * floor_ms / m->median_ms);
    cr_assert(strstr(md, want), "want %s in\n%s", want, md);
    const struct result_row *m2 = best(rows, n, "module", "L1", 2, "grid=ij:num_param=9:s=2");
    cr_assert(m2);
    snprintf(want, sizeof want, "| %s | %.4g | - |", m2->impl, m2->median_ms);
    cr_assert(strstr(md, want), "no 2-thread roof in this peak.json: want %s in\n%s", want, md);
    free(rows);
}

/* Adds FIELD ("\"key\": value") to the fingerprint of RUN_DIR's meta.json
 * (the fixture's ends with cuda_device). */
static void fingerprint_add(const char *run_dir, const char *field)
{
    char path[192];
    static char meta[4096];
    snprintf(path, sizeof path, "%s/meta.json", run_dir);
    slurp(path, meta, sizeof meta);
    char *end = strstr(meta, "\"cuda_device\": \"none\"}");
    cr_assert(end, "%s", meta);
    snprintf(end, sizeof meta - (size_t)(end - meta), "\"cuda_device\": \"none\", %s}}\n", field);
    write_file(path, meta);
}

/* `ablate report RUN_DIR`, then its report.NAME ("md", "html") into buf. */
static void report_text(const char *run_dir, const char *name, char *buf, size_t len)
{
    char args[256], path[192];
    snprintf(args, sizeof args, "report %s", run_dir);
    report_ok(args);
    snprintf(path, sizeof path, "%s/report.%s", run_dir, name);
    slurp(path, buf, len);
}

/* A busy run on a kernel with autogroup says why `nice` did not help; the
 * fixture's meta.json without the field (older runs) says nothing of it. */
Test(report, busy_machine_with_autogroup_names_nice)
{
    char busy[128];
    static char md[65536];
    snprintf(busy, sizeof busy, "%s/busy_ag", dir);
    write_run(busy, "00000000000000aa", NULL, 1.5);
    report_text(busy, "md", md, sizeof md);
    cr_assert(!strstr(md, "sched_autogroup"), "%s", md);
    fingerprint_add(busy, "\"sched_autogroup\": 1");
    report_text(busy, "md", md, sizeof md);
    cr_assert(strstr(md, "cores while kernels were timed: latencies and the roofs are noisy; rerun on a quiet "
                         "machine before drawing conclusions. This kernel groups processes by terminal session "
                         "(sched_autogroup_enabled=1), so `nice` on jobs started in another terminal does not "
                         "shield the timing"), "%s", md);
}

/* Where ablate overruled OpenBLAS's generic core pick (meta.json's
 * blas_core_detected), the report's machine line says so; without the field
 * it names the core alone. */
Test(report, overruled_blas_core_named)
{
    static char md[65536], html[131072];
    report_text(run, "md", md, sizeof md);
    cr_assert(strstr(md, "logical CPUs, OpenBLAS Zen; "), "%s", md);
    fingerprint_add(run, "\"blas_core_detected\": \"Prescott\"");
    report_text(run, "md", md, sizeof md);
    cr_assert(strstr(md, "logical CPUs, OpenBLAS Zen (OpenBLAS detected Prescott); "), "%s", md);
    report_text(run, "html", html, sizeof html);
    cr_assert(strstr(html, "OpenBLAS Zen (OpenBLAS detected Prescott); "), "%s", html);
}

Test(report, missing_run_folder)
{
    char args[256], want[256];
    struct run_out r;
    snprintf(args, sizeof args, "report %s/nope", dir);
    run_ablate(&r, args);
    cr_assert_eq(r.status, 2);
    snprintf(want, sizeof want, "ablate: %s/nope: no such run folder\n", dir);
    cr_assert_str_eq(r.err, want);
}

Test(report, run_folder_without_csv)
{
    char args[256], want[256], empty[128];
    struct run_out r;
    snprintf(empty, sizeof empty, "%s/empty", dir);
    run_fixture_dir(empty);
    snprintf(args, sizeof args, "report %s", empty);
    run_ablate(&r, args);
    cr_assert_eq(r.status, 2);
    snprintf(want, sizeof want, "ablate: %s/results.csv: cannot open (No such file or directory)\n", empty);
    cr_assert_str_eq(r.err, want);
}

Test(report, csv_with_wrong_header)
{
    char args[256], want[512], csv[192];
    struct run_out r;
    snprintf(csv, sizeof csv, "%s/results.csv", run);
    write_file(csv, "desc,layer,when\nx,L1,now\n");
    snprintf(args, sizeof args, "report %s", run);
    run_ablate(&r, args);
    cr_assert_eq(r.status, 2);
    snprintf(want, sizeof want,
             "ablate: %s: not an ablate results file (header mismatch at column 3: 'when', expected 'role')\n", csv);
    cr_assert_str_eq(r.err, want);
}

Test(report, index_links_each_run)
{
    char args[256], idx[192];
    static char html[4096];
    snprintf(idx, sizeof idx, "%s/index.html", dir);
    snprintf(args, sizeof args, "report --index %s %s", idx, run);
    report_ok(args);
    slurp(idx, html, sizeof html);
    cr_assert(strstr(html, "<a href=\"run/report.html\">"), "%s", html);
}

/* Sets every row's vcpu_skew in RUN/results.csv. */
static void set_skew(const char *into, double skew)
{
    char csv[192];
    snprintf(csv, sizeof csv, "%s/results.csv", into);
    report_fixture_set_skew(csv, skew);
}

/* Multi-thread rows timed while one vCPU ran slow are counted in a warning
 * and marked in the threads column; 1-thread rows are not; an even host
 * (skew below VCPU_SKEW_HIGH) gets neither. */
Test(report, uneven_vcpus_are_marked)
{
    char args[256], path[192];
    static char md[65536];
    set_skew(run, 1.3);
    report_read("report.md", md, sizeof md);
    cr_assert(strstr(md, "**Warning:** 42 of 42 multi-thread rows were timed while the host ran one vCPU at "
                         "least 1.10x slower than the other (vcpu_skew up to 1.30; marked in the threads "
                         "column): their latencies and ratios say as much about the host as about the "
                         "kernels; see docs/measurement.md (Uneven vCPUs).\n"),
              "%s", md);
    cr_assert(strstr(md, "| 2 (vCPU skew 1.30) |"), "%s", md);
    cr_assert(!strstr(md, "| 1 (vCPU skew"), "a 1-thread row does not wait for the other vCPU");
    set_skew(run, 1.09); /* just below VCPU_SKEW_HIGH */
    snprintf(args, sizeof args, "report %s", run);
    report_ok(args);
    snprintf(path, sizeof path, "%s/report.md", run);
    slurp(path, md, sizeof md);
    cr_assert(!strstr(md, "vCPU skew") && !strstr(md, "Warning"), "%s", md);
}
