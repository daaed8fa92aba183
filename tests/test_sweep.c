/* tests/test_sweep.c — a sweep survives broken kernels (crash, hang,
 * compile error each become a row) and a killed sweep resumes without
 * redoing or duplicating rows. */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>

#include "results.h"
#include "test_util.h"
#include "vcpu_roundtrip.h"

static const char *find_status(const struct result_row *rows, int n, const char *impl)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].impl, impl))
            return rows[i].status;
    return "(missing)";
}

Test(sweep, broken_kernels_become_rows, .timeout = 240)
{
    char dir[64], file[128], args[512], csv[160], err[256];
    temp_dir(dir, sizeof dir);
    snprintf(file, sizeof file, "%s/faults.lua", dir);
    write_file(file, "return sweep { name = \"faults\", module = \"AKConv\", timeout = 8,\n"
                     "  shapes = {{layer = \"T\", c1 = 4, c2 = 8, h = 9, w = 13, stride = 2}},\n"
                     "  args = { num_param = 3 },\n"
                     "  variants = { \"fault:crash\", \"gemm\", \"fault:hang\", \"fault:compile\" } }\n");
    snprintf(args, sizeof args, "sweep %s --quick --out %s/run", file, dir);
    struct run_out r;
    run_ablate(&r, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    snprintf(csv, sizeof csv, "%s/run/results.csv", dir);
    struct result_row *rows;
    int n = results_read(csv, &rows, err, sizeof err);
    cr_assert_eq(n, 5, "%d rows: %s", n, err);
    cr_expect_str_eq(find_status(rows, n, "ref"), "ok");
    cr_expect_str_eq(find_status(rows, n, "gen:gemm"), "ok");
    cr_expect_str_eq(find_status(rows, n, "gen:fault:crash"), "crashed");
    cr_expect_str_eq(find_status(rows, n, "gen:fault:hang"), "timeout");
    cr_expect_str_eq(find_status(rows, n, "gen:fault:compile"), "compile_error");
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].impl, "gen:gemm")) {
            cr_expect(rows[i].samples >= 3);
            cr_expect(rows[i].median_ms > 0);
            cr_expect(rows[i].nmse < 1e-9);
            /* the row says how evenly the host ran the two vCPUs (vcpu_skew.h) */
            int cpu[2];
            cr_expect(vcpu_first_two(cpu) != 0 ? isnan(rows[i].vcpu_skew) : rows[i].vcpu_skew >= 1.0,
                      "vcpu_skew %g", rows[i].vcpu_skew);
        }
    free(rows);
    remove_dir(dir);
}

/* Rows of a CSV as a sorted, newline-joined list of descriptors. */
static int desc_set(const char *csv, char *buf, size_t len)
{
    char err[256];
    struct result_row *rows;
    int n = results_read(csv, &rows, err, sizeof err);
    cr_assert(n >= 0, "%s", err);
    buf[0] = 0;
    for (int k = 0; k < n; k++) { /* selection sort: few rows */
        int best = -1;
        for (int i = 0; i < n; i++)
            if (rows[i].desc[0] && (best < 0 || strcmp(rows[i].desc, rows[best].desc) < 0))
                best = i;
        strncat(buf, rows[best].desc, len - strlen(buf) - 2);
        strcat(buf, "\n");
        rows[best].desc[0] = 0;
    }
    free(rows);
    return n;
}

static int csv_rows(const char *csv)
{
    FILE *f = fopen(csv, "r");
    int lines = 0, c;
    while (f && (c = fgetc(f)) != EOF)
        lines += c == '\n';
    if (f)
        fclose(f);
    return lines - 1;
}

Test(sweep, kill_and_resume, .timeout = 300)
{
    char dir[64], file[128], csv[160], clean_csv[160], cmd[512];
    temp_dir(dir, sizeof dir);
    snprintf(file, sizeof file, "%s/resume.lua", dir);
    write_file(file, "return sweep { name = \"resume\", module = \"AKConv\", baseline = { module = \"Conv\", k = 3 },\n"
                     "  shapes = {{layer = \"A\", c1 = 4, c2 = 8, h = 12, w = 10, stride = 2},\n"
                     "            {layer = \"B\", c1 = 8, c2 = 8, h = 7, w = 9, stride = 1}},\n"
                     "  args = { num_param = { 1, 2, 3, 5 } }, variants = { \"gemm\" } }\n");
    snprintf(csv, sizeof csv, "%s/run/results.csv", dir);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        snprintf(cmd, sizeof cmd, "%s/run", dir);
        execl(ablate_bin(), "ablate", "sweep", file, "--quick", "--out", cmd, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    while (csv_rows(csv) < 4) /* a few configurations in: kill it mid-way */
        usleep(2000);
    kill(-pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    int partial = csv_rows(csv);
    cr_assert(partial < 20, "the sweep finished before it was killed (%d rows)", partial);

    struct run_out r;
    snprintf(cmd, sizeof cmd, "sweep %s --quick --resume --out %s/run", file, dir);
    run_ablate(&r, cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.err, "(resuming)") != NULL, "%s", r.err);
    snprintf(cmd, sizeof cmd, "sweep %s --quick --out %s/clean", file, dir);
    run_ablate(&r, cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    snprintf(clean_csv, sizeof clean_csv, "%s/clean/results.csv", dir);

    static char resumed[16384], clean[16384];
    int n_resumed = desc_set(csv, resumed, sizeof resumed);
    int n_clean = desc_set(clean_csv, clean, sizeof clean);
    /* 2 shapes x (Conv + 4 AKConv) x (ref + gen:gemm) */
    cr_expect(n_clean >= 2 * 5 * 2, "%d rows", n_clean);
    cr_expect_eq(n_resumed, n_clean, "every row exactly once");
    cr_expect_str_eq(resumed, clean);
    remove_dir(dir);
}

/* Every row of a shard records it ("I/N"). */
static void expect_shard_column(const char *csv, const char *shard)
{
    char err[256];
    struct result_row *rows;
    int n = results_read(csv, &rows, err, sizeof err);
    cr_assert(n > 0, "%s: %s", csv, err);
    for (int i = 0; i < n; i++)
        cr_expect_str_eq(rows[i].shard, shard, "%s", rows[i].desc);
    free(rows);
}

/* The module's points of a chart's .dat: lines that are not comments or
 * blank, before the dashed baselines' sections. */
static int chart_points(const char *dat)
{
    static char text[8192];
    slurp(dat, text, sizeof text);
    int n = 0;
    for (const char *l = text; *l && strncmp(l, "# baseline", 10); l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
        n += *l != '#' && *l != '\n';
    return n;
}

/* The merge draws the sweep's chart again from all the rows (2 layers x 4
 * num_param = 8 points), where each shard drew only its own, and its
 * report shows that chart, not the shards'. */
static void expect_merged_chart(const char *dir)
{
    char path[160];
    static char md[65536];
    const char *chart = "params_vs_num_param_t1";
    snprintf(path, sizeof path, "%s/merged/%s.dat", dir, chart);
    cr_expect_eq(chart_points(path), 8, "%s", path);
    for (int s = 0; s < 2; s++) {
        snprintf(path, sizeof path, "%s/shard%d/%s.dat", dir, s, chart);
        cr_expect_lt(chart_points(path), 8, "%s", path);
    }
    snprintf(path, sizeof path, "%s/merged/report.md", dir);
    slurp(path, md, sizeof md);
    cr_expect(strstr(md, "](params_vs_num_param_t1.svg)") && !strstr(md, "shard0/"), "%s", md);
}

/* Two shards of tests/slurm/tiny_sweep.lua hold every row of the whole
 * sweep once, merge back into it with `ablate report`, and a retried shard
 * with --resume redoes nothing. */
Test(sweep, shards_partition_and_merge, .timeout = 300)
{
    char dir[64], cmd[768], csv[160];
    static char whole[16384], merged[16384], part[2][16384];
    const char *file = "tests/slurm/tiny_sweep.lua";
    struct run_out r;
    temp_dir(dir, sizeof dir);
    for (int s = 0; s < 2; s++) {
        snprintf(cmd, sizeof cmd, "sweep %s --quick --shard %d/2 --out %s/shard%d", file, s, dir, s);
        run_ablate(&r, cmd);
        cr_assert_eq(r.status, 0, "%s", r.err);
        snprintf(csv, sizeof csv, "%s/shard%d/results.csv", dir, s);
        expect_shard_column(csv, s ? "1/2" : "0/2");
        cr_assert(desc_set(csv, part[s], sizeof part[s]) > 0);
    }
    snprintf(cmd, sizeof cmd, "sweep %s --quick --out %s/whole", file, dir);
    run_ablate(&r, cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    snprintf(cmd, sizeof cmd, "report --out %s/merged %s/shard0 %s/shard1", dir, dir, dir);
    run_ablate(&r, cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    snprintf(csv, sizeof csv, "%s/whole/results.csv", dir);
    expect_shard_column(csv, "");
    int n_whole = desc_set(csv, whole, sizeof whole);
    snprintf(csv, sizeof csv, "%s/merged/results.csv", dir);
    cr_expect_eq(desc_set(csv, merged, sizeof merged), n_whole, "every row exactly once");
    cr_expect_str_eq(merged, whole);
    cr_expect(strcmp(part[0], whole) && strcmp(part[1], whole), "each shard has only a part");
    expect_merged_chart(dir);
    /* A retried shard: --resume skips its finished rows. */
    snprintf(csv, sizeof csv, "%s/shard1/results.csv", dir);
    int before = csv_rows(csv);
    snprintf(cmd, sizeof cmd, "sweep %s --quick --resume --shard 1/2 --out %s/shard1", file, dir);
    run_ablate(&r, cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.err, "(resuming)"), "%s", r.err);
    cr_expect_eq(csv_rows(csv), before);
    /* ... and with another split it is refused: its rows would overlap. */
    snprintf(cmd, sizeof cmd, "sweep %s --quick --resume --shard 1/3 --out %s/shard1", file, dir);
    run_ablate(&r, cmd);
    cr_expect_eq(r.status, 2);
    char want[512];
    snprintf(want, sizeof want, "ablate: %s holds rows of shard '1/2', not '1/3': resume it with the same "
                                "--shard, or choose another --out\n", csv);
    cr_expect_str_eq(r.err, want);
    remove_dir(dir);
}
