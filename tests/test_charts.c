/* tests/test_charts.c — charts from a results CSV: PNG and SVG files that
 * gnuplot really drew, the choices written into the script (log axis,
 * dashed baselines, line labels), and the error texts. */
#include <criterion/criterion.h>
#include <math.h>
#include <sys/stat.h>

#include "charts.h"
#include "results_fixture.h"
#include "test_util.h"

static char dir[64], csv[128];

static int have_gnuplot(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

static void setup(void)
{
    temp_dir(dir, sizeof dir);
    snprintf(csv, sizeof csv, "%s/results.csv", dir);
    if (fixture_write(csv) <= 0)
        abort();
}

static void teardown(void) { remove_dir(dir); }

TestSuite(charts, .init = setup, .fini = teardown, .timeout = 60);

static struct chart_spec spec(const char *y, int threads, const char *name)
{
    struct chart_spec s = {.threads = threads};
    snprintf(s.x, sizeof s.x, "num_param");
    snprintf(s.y, sizeof s.y, "%s", y);
    snprintf(s.by, sizeof s.by, "layer");
    snprintf(s.name, sizeof s.name, "%s", name);
    return s;
}

static long file_size(const char *name)
{
    char p[192];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void read_out(const char *name, char *buf, size_t len)
{
    char p[192];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    slurp(p, buf, len);
}

static void render(const struct chart_spec *s, int n)
{
    char err[512];
    cr_assert_eq(charts_render(dir, csv, s, n, err, sizeof err), 0, "%s", err);
}

Test(charts, png_and_svg_are_drawn)
{
    if (!have_gnuplot())
        cr_skip_test("gnuplot is not installed (apt-get install gnuplot-nox)");
    struct chart_spec s[2] = {spec("median_ms", 1, "latency"), spec("params", 1, "params")};
    render(s, 2);
    const char *files[] = {"latency.png", "latency.svg", "latency.dat", "latency.gp",
                           "params.png",  "params.svg",  "params.dat",  "params.gp"};
    for (int i = 0; i < 8; i++)
        cr_expect_gt(file_size(files[i]), 0, "%s", files[i]);
    cr_expect_eq(file_size("latency.gnuplot.log"), -1, "the log goes once gnuplot succeeded");
    char buf[65536];
    read_out("latency.png", buf, sizeof buf);
    cr_expect_eq(memcmp(buf, "\x89PNG\r\n\x1a\n", 8), 0, "PNG magic");
    read_out("latency.svg", buf, sizeof buf);
    cr_expect(strstr(buf, "<svg"), "an SVG document");
}

Test(charts, script_choices)
{
    if (!have_gnuplot())
        cr_skip_test("gnuplot is not installed (apt-get install gnuplot-nox)");
    struct chart_spec s[3] = {spec("median_ms", 2, "latency"), spec("params", 1, "params"),
                              spec("ratio_vs_baseline", 2, "ratio")};
    render(s, 3);
    char gp[16384];
    read_out("latency.gp", gp, sizeof gp);
    cr_expect_null(strstr(gp, "set logscale y"), "latencies span less than 20x: linear");
    cr_expect(strstr(gp, "set terminal pngcairo size 900,560"));
    cr_expect(strstr(gp, "set terminal svg size 900,560 dynamic"));
    cr_expect(strstr(gp, "title 'AKConv: median_ms vs num_param, 2 threads'"), "%s", gp);
    cr_expect(strstr(gp, "title 'L1'") && strstr(gp, "title 'L3'") && strstr(gp, "title 'L16'"));
    cr_expect(strstr(gp, "lc rgb '#1f77b4' notitle"), "L1's baseline dashed in L1's colour");
    cr_expect(strstr(gp, "title 'Conv baseline (dashed)'"));
    cr_expect(strstr(gp, "set ylabel 'median latency, fastest generated kernel (ms)'"));
    read_out("params.gp", gp, sizeof gp);
    cr_expect(strstr(gp, "set logscale y"), "params span 55x: log axis");
    cr_expect(strstr(gp, "set ylabel 'parameters (thousands)'"), "%s", gp);
    read_out("ratio.gp", gp, sizeof gp);
    cr_expect(strstr(gp, "1 with lines dt 3"), "the y = 1 line of a ratio");
    cr_expect_null(strstr(gp, "baseline (dashed)"), "no baseline lines on a ratio");
}

/* The plotted ratio is the fastest impl that passed over the baseline's
 * fastest: at L1, num_param 1 that is gen:fused (not gen:gemm, not ref). */
Test(charts, data_are_fastest_passing_gen_over_baseline)
{
    if (!have_gnuplot())
        cr_skip_test("gnuplot is not installed (apt-get install gnuplot-nox)");
    struct chart_spec s = spec("ratio_vs_baseline", 1, "ratio");
    render(&s, 1);
    char dat[8192];
    read_out("ratio.dat", dat, sizeof dat);
    /* L1, num_param 1: gen:fused = work * 0.048 * 0.78, Conv gen:gemm = work * 0.05 */
    cr_expect(strstr(dat, "# L1\n1 0.7488"), "%s", dat);
}

Test(charts, lines_split_by_other_arguments)
{
    if (!have_gnuplot())
        cr_skip_test("gnuplot is not installed (apt-get install gnuplot-nox)");
    /* The same sweep with grid = xy as well: two lines per layer. */
    char err[256];
    FILE *f = results_open(csv, err, sizeof err);
    cr_assert(f, "%s", err);
    for (int np = 1; np <= 9; np += 4) {
        struct result_row r;
        char args[64];
        snprintf(args, sizeof args, "grid=xy:num_param=%d:s=2", np);
        fixture_row(&r, &fixture_sites[0], "module", "AKConv", args, "gen:gemm", 1, 1000 * np, 0.5 * np, "ok");
        cr_assert_eq(results_write(f, &r, err, sizeof err), 0, "%s", err);
    }
    cr_assert_eq(fclose(f), 0);
    struct chart_spec s = spec("median_ms", 1, "grids");
    render(&s, 1);
    char gp[16384];
    read_out("grids.gp", gp, sizeof gp);
    cr_expect(strstr(gp, "title 'L1, grid=ij'") && strstr(gp, "title 'L1, grid=xy'"), "%s", gp);
}

Test(charts, nothing_to_plot_is_still_a_chart)
{
    if (!have_gnuplot())
        cr_skip_test("gnuplot is not installed (apt-get install gnuplot-nox)");
    struct chart_spec s = spec("median_ms", 7, "empty");
    render(&s, 1);
    cr_expect_gt(file_size("empty.png"), 0);
    char gp[8192];
    read_out("empty.gp", gp, sizeof gp);
    cr_expect(strstr(gp, "'nothing to plot: no AKConv row with status ok at 7 threads'"), "%s", gp);
}

Test(charts, errors)
{
    struct chart_spec s = spec("latency", 1, "bad");
    char err[512];
    cr_assert_eq(charts_render(dir, csv, &s, 1, err, sizeof err), -1);
    cr_expect_str_eq(err, "chart 'bad': unknown y 'latency' (known: median_ms, params, flops_thop, "
                          "flops_full, gflops, ratio_vs_baseline, speedup_vs_ref)");
    s = spec("median_ms", 1, "bad");
    snprintf(s.x, sizeof s.x, "num_params");
    cr_assert_eq(charts_render(dir, csv, &s, 1, err, sizeof err), -1);
    cr_expect_str_eq(err, "chart 'bad': x 'num_params' is not an argument of the module rows "
                          "(they have 'grid=ij:num_param=1:s=2')");
    char path[4096];
    snprintf(path, sizeof path, "%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    cr_assert_eq(setenv("PATH", "/nonexistent", 1), 0);
    s = spec("median_ms", 1, "nognuplot");
    int rc = charts_render(dir, csv, &s, 1, err, sizeof err);
    cr_assert_eq(setenv("PATH", path, 1), 0); /* teardown needs rm */
    cr_assert_eq(rc, -1);
    cr_expect_str_eq(err, "cannot run gnuplot (No such file or directory): install gnuplot-nox");
}

Test(charts, one_bad_chart_does_not_stop_the_others)
{
    if (!have_gnuplot())
        cr_skip_test("gnuplot is not installed (apt-get install gnuplot-nox)");
    struct chart_spec s[2] = {spec("nonsense", 1, "bad"), spec("flops_full", 1, "flops")};
    char err[512];
    cr_assert_eq(charts_render(dir, csv, s, 2, err, sizeof err), -1);
    cr_expect(strstr(err, "chart 'bad': unknown y 'nonsense'") == err, "%s", err);
    cr_expect_gt(file_size("flops.png"), 0);
    cr_expect_gt(file_size("flops.svg"), 0);
}

/* A second listed baseline (role baseline2, e.g. C2f beside Conv) gets its
 * own dash-dot line per layer and its own key entry. */
Test(charts, second_baseline_dash_dot)
{
    if (!have_gnuplot())
        cr_skip_test("gnuplot is not installed (apt-get install gnuplot-nox)");
    char err[256];
    FILE *f = results_open(csv, err, sizeof err);
    cr_assert_not_null(f, "%s", err);
    for (int si = 0; si < 3; si++)
        for (int t = 1; t <= 2; t++) {
            struct result_row r;
            fixture_row(&r, &fixture_sites[si], "baseline2", "C2f", "n=1", "gen:chain", t, 29056, 0.123, "ok");
            cr_assert_eq(results_write(f, &r, err, sizeof err), 0, "%s", err);
        }
    cr_assert_eq(fclose(f), 0);
    struct chart_spec s = spec("median_ms", 2, "latency");
    render(&s, 1);
    char gp[16384], dat[16384];
    read_out("latency.gp", gp, sizeof gp);
    cr_expect(strstr(gp, "title 'Conv baseline (dashed)'"), "%s", gp);
    cr_expect(strstr(gp, "title 'C2f baseline (dash-dot)'"), "%s", gp);
    cr_expect(strstr(gp, "with lines dt 4 lw 1.5 lc rgb '#1f77b4' notitle"), "L1's C2f line in L1's colour");
    read_out("latency.dat", dat, sizeof dat);
    cr_expect(strstr(dat, "# baseline 2 at L1\n"), "%s", dat);
    cr_expect(strstr(dat, " 0.123 "), "C2f's median drawn as is (ms), its band after it: %s", dat);
}

/* x = "layer": a module at the places it replaces another (its arguments
 * all follow the layer): one line across the layers, the baseline a solid
 * line of its own, layers in natural order (L1 < L3 < L16). */
Test(charts, x_is_the_layer)
{
    if (!have_gnuplot())
        cr_skip_test("gnuplot is not installed (apt-get install gnuplot-nox)");
    char err[256], path[160];
    snprintf(path, sizeof path, "%s/places.csv", dir);
    FILE *f = results_open(path, err, sizeof err);
    cr_assert(f, "%s", err);
    for (int si = 2; si >= 0; si--) { /* written out of order on purpose */
        const struct fixture_site *s = &fixture_sites[si];
        char args[64];
        struct result_row r;
        snprintf(args, sizeof args, "c1=%d:c2=%d:n=%d", s->c_in, s->c_out, 1 + si % 2);
        fixture_row(&r, s, "baseline", "C2f", args, "ref", 1, 1000 * (si + 1), 1.0, "ok");
        cr_assert_eq(results_write(f, &r, err, sizeof err), 0, "%s", err);
        fixture_row(&r, s, "module", "C2f_GhostModule_DynamicConv", args, "ref", 1, 100 * (si + 1), 1.0, "ok");
        cr_assert_eq(results_write(f, &r, err, sizeof err), 0, "%s", err);
    }
    cr_assert_eq(fclose(f), 0);
    struct chart_spec s = spec("params", 1, "places");
    snprintf(s.x, sizeof s.x, "layer");
    cr_assert_eq(charts_render(dir, path, &s, 1, err, sizeof err), 0, "%s", err);
    char dat[8192], gp[16384];
    read_out("places.dat", dat, sizeof dat);
    read_out("places.gp", gp, sizeof gp);
    cr_expect(strstr(gp, "title 'C2f_GhostModule_DynamicConv'") && strstr(gp, "title 'C2f (baseline)'"),
              "%s", gp);
    cr_expect_null(strstr(gp, "baseline (dashed)"), "the baseline is a line, not dashes");
    /* x = 0, 1, 2 for L1, L3, L16; params 100 200 300 and 1000 2000 3000 */
    cr_expect(strstr(dat, "0 1000\n1 2000\n2 3000") && strstr(dat, "0 100\n1 200\n2 300"), "%s", dat);
}

/* Peer rows (impl ort, openvino; one ort fail_parity, torch skipped) for
 * every configuration at 2 threads: ort at 3x, openvino at 2x the
 * fixture's own gen:gemm median for AKConv, both 1x for the Conv baseline. */
static void write_peer_rows(void)
{
    static const int nums[] = {1, 3, 5, 9};
    char err[256], args[64];
    FILE *f = results_open(csv, err, sizeof err);
    cr_assert(f, "%s", err);
    for (int si = 0; si < 3; si++) {
        const struct fixture_site *s = &fixture_sites[si];
        double work = s->c_in * s->c_out * (double)s->hw * s->hw / 4 / 1e6 / 2 * (1 + 0.4 * si);
        struct result_row r;
        for (int k = -1; k < 4; k++) {
            const char *role = k < 0 ? "baseline" : "module", *module = k < 0 ? "Conv" : "AKConv";
            double ms = k < 0 ? work * 0.05 : work * (0.03 + 0.018 * nums[k] * (1 + 0.3 * si));
            if (k < 0)
                snprintf(args, sizeof args, "k=3:s=2");
            else
                snprintf(args, sizeof args, "grid=ij:num_param=%d:s=2", nums[k]);
            const char *ort_status = si == 2 && k == 3 ? "fail_parity" : "ok"; /* not drawn */
            fixture_row(&r, s, role, module, args, "ort", 2, 0, k < 0 ? ms : 3 * ms, ort_status);
            cr_assert_eq(results_write(f, &r, err, sizeof err), 0, "%s", err);
            fixture_row(&r, s, role, module, args, "openvino", 2, 0, k < 0 ? ms : 2 * ms, "ok");
            cr_assert_eq(results_write(f, &r, err, sizeof err), 0, "%s", err);
            fixture_row(&r, s, role, module, args, "torch", 2, 0, 0, "skipped: no torch");
            cr_assert_eq(results_write(f, &r, err, sizeof err), 0, "%s", err);
        }
    }
    cr_assert_eq(fclose(f), 0);
}

/* The peers are dotted lines with a marker per engine, in the colour of
 * the line of ours they follow, one grey key entry per engine; a ratio's
 * peer point is the engine's module over the same engine's baseline; a
 * failed or skipped peer draws nothing; counts get no peers. */
Test(charts, peers_are_dotted_beside_ours)
{
    if (!have_gnuplot())
        cr_skip_test("gnuplot is not installed (apt-get install gnuplot-nox)");
    write_peer_rows();
    struct chart_spec s[3] = {spec("median_ms", 2, "latency"), spec("ratio_vs_baseline", 2, "ratio"),
                              spec("params", 2, "params")};
    render(s, 3);
    char gp[32768], dat[16384];
    read_out("latency.gp", gp, sizeof gp);
    cr_expect(strstr(gp, "with linespoints dt 3 lw 1.5 pt 4 ps 1.0 lc rgb '#1f77b4' notitle"),
              "L1's ONNX Runtime line: dotted, hollow squares, L1's colour:\n%s", gp);
    cr_expect(strstr(gp, "with linespoints dt 3 lw 1.5 pt 12 ps 1.0 lc rgb '#1f77b4' notitle"), "%s", gp);
    cr_expect(strstr(gp, "NaN with linespoints dt 3 lw 1.5 pt 4 ps 1.0 lc rgb '#555555' title "
                         "'ONNX Runtime (dotted)'"), "%s", gp);
    cr_expect(strstr(gp, "title 'OpenVINO (dotted)'"), "%s", gp);
    cr_expect_null(strstr(gp, "PyTorch eager"), "a skipped peer has no line");
    cr_expect(strstr(gp, "title 'L1'") && strstr(gp, "title 'Conv baseline (dashed)'"), "ours as before");
    read_out("ratio.dat", dat, sizeof dat);
    /* ONNX Runtime: 3x the module over 1x the baseline; L16 num_param 9 failed parity */
    const char *ort_l1 = strstr(dat, "# L1, ONNX Runtime\n");
    cr_assert(ort_l1, "%s", dat);
    double x, y;
    cr_expect(sscanf(ort_l1, "# L1, ONNX Runtime\n%lf %lf", &x, &y) == 2 && x == 1 &&
                  fabs(y / (3 * (0.03 + 0.018) / 0.05) - 1) < 1e-5, "%s", ort_l1); /* the CSV keeps 7 digits */
    const char *ort_l16 = strstr(dat, "# L16, ONNX Runtime\n");
    cr_assert(ort_l16, "%s", dat);
    const char *next = strstr(ort_l16 + 1, "# ");
    cr_assert(next, "%s", ort_l16);
    cr_expect(strstr(ort_l16, "\n5 ") < next && !memmem(ort_l16, (size_t)(next - ort_l16), "\n9 ", 3),
              "the failed num_param 9 point is not drawn:\n%s", ort_l16);
    read_out("params.gp", gp, sizeof gp);
    cr_expect_null(strstr(gp, "dotted"), "counts are the same in every engine: no peer lines");
}

/* ------------------------------------------------------------ scatter charts */

/* 40 points crowded around (1, 1), the reference first: deterministic
 * (an LCG), some on a front by construction. */
static int crowded(struct scatter_point *p)
{
    unsigned s = 12345;
    p[0] = (struct scatter_point){.x = 1, .y = 1, .lo = 0.97, .hi = 1.04, .number = 0};
    snprintf(p[0].name, sizeof p[0].name, "base");
    for (int i = 1; i < 40; i++) {
        s = s * 1103515245u + 12345u;
        double u = (s >> 8 & 0xffff) / 65536.0;
        s = s * 1103515245u + 12345u;
        double v = (s >> 8 & 0xffff) / 65536.0;
        p[i] = (struct scatter_point){.x = 0.9 + 0.2 * u, .y = 0.95 + 0.1 * v, .number = i};
        p[i].lo = p[i].y - 0.02, p[i].hi = p[i].y + 0.03;
        snprintf(p[i].name, sizeof p[i].name, "Module at %d,%d", i, i + 3);
    }
    return 40;
}

/* The front by brute force: nothing else both no larger and one smaller. */
static int on_front(const struct scatter_point *p, int n, int i)
{
    for (int j = 0; j < n; j++)
        if (j != i && p[j].x <= p[i].x && p[j].y <= p[i].y && (p[j].x < p[i].x || p[j].y < p[i].y))
            return 0;
    return 1;
}

Test(charts, pareto_front_is_the_undominated_points)
{
    double x[] = {1, 0.9, 0.9, 1.1, 0.8, NAN}, y[] = {1, 1.2, 1.1, 0.7, 1.3, 0.1};
    int front[6];
    cr_assert_eq(charts_pareto_front(x, y, 6, front), 4);
    int want[6] = {1, 0, 1, 1, 1, 0}; /* (0.9, 1.2) is beaten by (0.9, 1.1); NaN never on it */
    for (int i = 0; i < 6; i++)
        cr_expect_eq(front[i], want[i], "point %d", i);
}

Test(charts, placed_labels_never_overlap)
{
    struct scatter_point p[40];
    int n = crowded(p);
    struct chart_label l[40];
    struct chart_box obs[40], area = {80, 150, 880, 630};
    for (int i = 0; i < n; i++) { /* 40 points in a 160 x 100 px patch */
        l[i] = (struct chart_label){.ax = 400 + (p[i].x - 0.9) * 800, .ay = 300 + (p[i].y - 0.95) * 1000};
        charts_text_box(i % 4 ? "12" : "12 Module at 12,15", 9, &l[i].w, &l[i].h);
        obs[i] = (struct chart_box){l[i].ax - 5, l[i].ay - 5, l[i].ax + 5, l[i].ay + 5};
    }
    cr_assert_eq(charts_place_labels(l, n, obs, n, area), 0);
    for (int i = 0; i < n; i++) {
        struct chart_box a = charts_label_box(&l[i]);
        cr_expect(a.x0 >= area.x0 && a.x1 <= area.x1 && a.y0 >= area.y0 && a.y1 <= area.y1, "label %d outside", i);
        for (int j = 0; j < i; j++) {
            struct chart_box b = charts_label_box(&l[j]);
            cr_expect(!charts_boxes_overlap(&a, &b), "labels %d and %d overlap", i, j);
        }
    }
}

Test(charts, crowded_scatter_names_only_the_pareto_front)
{
    if (!have_gnuplot())
        cr_skip_test("gnuplot is not installed (apt-get install gnuplot-nox)");
    struct scatter_point p[40];
    int n = crowded(p);
    struct scatter_spec s = {.name = "crowded", .title = "40 crowded points", .xlabel = "params / base (ratio)",
                             .ylabel = "latency / base (ratio)", .interval = "bars: p10-p90 / base median",
                             .caption = {"CPU: Test CPU, 2 threads", ""}, .shade = 1,
                             .shade_key = "FLOPs down, latency up"};
    struct scatter_drawn d;
    char err[512], gp[65536];
    cr_assert_eq(charts_scatter(dir, &s, p, n, &d, err, sizeof err), 0, "%s", err);
    cr_expect_gt(file_size("crowded.png"), 0);
    cr_expect_gt(file_size("crowded.svg"), 0);
    read_out("crowded.gp", gp, sizeof gp);
    int front = 0;
    for (int i = 0; i < n; i++) {
        char named[96], numbered[32];
        snprintf(named, sizeof named, "'%d %s' at screen", p[i].number, p[i].name);
        snprintf(numbered, sizeof numbered, "'%d' at screen", p[i].number);
        int want = on_front(p, n, i);
        front += want;
        cr_expect_eq(d.named[i], want, "point %d", i);
        if (i == 0) { /* the reference: in the key; named on the chart only on the front */
            cr_expect_eq(strstr(gp, "'base' at screen") != NULL, want);
            continue;
        }
        cr_expect_eq(strstr(gp, named) != NULL, want, "point %d named: %d", i, want);
        cr_expect_eq(strstr(gp, numbered) != NULL, !want, "point %d numbered: %d", i, !want);
    }
    cr_expect(front >= 2 && front < 10, "a front of %d points: the fixture should crowd more", front);
    cr_expect(strstr(gp, "with yerrorbars"), "error bars");
    cr_expect(strstr(gp, "set object 1 rect from"), "the shaded quadrant");
    cr_expect(strstr(gp, "'CPU: Test CPU, 2 threads' at screen"), "the caption");
}

/* Timing charts carry the p10..p90 of every point (yerrorlines, the .dat's
 * columns 3 and 4) and a band around each baseline; counts do not. */
Test(charts, sweep_charts_have_error_bars_and_bands)
{
    if (!have_gnuplot())
        cr_skip_test("gnuplot is not installed (apt-get install gnuplot-nox)");
    struct chart_spec s[3] = {spec("median_ms", 1, "latency"), spec("ratio_vs_baseline", 1, "ratio"),
                              spec("params", 1, "params")};
    render(s, 3);
    char gp[16384], dat[16384], err[256];
    read_out("latency.gp", gp, sizeof gp);
    cr_expect(strstr(gp, "using 1:2:3:4 with yerrorlines"), "%s", gp);
    cr_expect(strstr(gp, "using 1:3:4 with filledcurves"), "the baseline's band: %s", gp);
    cr_expect(strstr(gp, "bars and bands: p10-p90 of the timing"), "the caption says what the bars are");
    cr_expect(strstr(gp, "CPU: unknown (no meta.json in "), "the caption names the CPU (none here): %s", gp);
    cr_expect(strstr(gp, ", 1 thread;"), "and the threads");
    cr_expect(strstr(gp, "set xlabel 'num_param (module argument value)'"), "%s", gp);
    /* L1, num_param 1: the fastest passing impl (gen:fused) with its own p10 and p90 */
    struct result_row *rows;
    int n = results_read(csv, &rows, err, sizeof err);
    cr_assert(n > 0, "%s", err);
    const struct result_row *g = NULL;
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].layer, "L1") && rows[i].threads == 1 && !strcmp(rows[i].impl, "gen:fused") &&
            !strcmp(rows[i].args, "grid=ij:num_param=1:s=2"))
            g = &rows[i];
    cr_assert(g);
    char want[128];
    snprintf(want, sizeof want, "# L1\n1 %.10g %.10g %.10g\n", g->median_ms, g->p10_ms, g->p90_ms);
    read_out("latency.dat", dat, sizeof dat);
    cr_expect(strstr(dat, want), "want %s in %s", want, dat);
    cr_expect(g->p10_ms < g->median_ms && g->median_ms < g->p90_ms, "the fixture has a spread");
    free(rows);
    read_out("ratio.gp", gp, sizeof gp);
    cr_expect(strstr(gp, "with yerrorlines"), "ratios are timings too");
    read_out("params.gp", gp, sizeof gp);
    cr_expect_null(strstr(gp, "yerrorlines"), "counts have no spread");
    cr_expect_null(strstr(gp, "filledcurves"));
}
