/* tests/test_report_merge.c — `ablate report --out DIR RUN...` merging the
 * run folders of several shards (and machines) into one: every row once in
 * DIR/results.csv, each source and its fingerprint in DIR/merged_from.csv,
 * overlapping shards refused, machines kept apart unless --mix-machines. */
#include <criterion/criterion.h>

#include "report_fixture.h"
#include "test_util.h"

static char dir[64], a[128], b[128], c[128], merged[128];

static void setup(void)
{
    temp_dir(dir, sizeof dir);
    snprintf(a, sizeof a, "%s/shard0", dir);
    snprintf(b, sizeof b, "%s/shard1", dir);
    snprintf(c, sizeof c, "%s/shard2", dir);
    snprintf(merged, sizeof merged, "%s/merged", dir);
}

static void teardown(void) { remove_dir(dir); }

TestSuite(report_merge, .init = setup, .fini = teardown, .timeout = 120);

static void report_ok(const char *args)
{
    struct run_out r;
    run_ablate(&r, args);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
}

static void report_fails(const char *args, const char *want)
{
    struct run_out r;
    run_ablate(&r, args);
    cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
    cr_assert_str_eq(r.err, want);
}

static int by_text(const void *x, const void *y) { return strcmp((const char *)x, (const char *)y); }

/* A folder's row descriptors, sorted, into descs[][RES_TEXT]; the count. */
static int sorted_descs(const char *run, char (*descs)[RES_TEXT], int max)
{
    char csv[192], err[256];
    struct result_row *rows;
    snprintf(csv, sizeof csv, "%s/results.csv", run);
    int n = results_read(csv, &rows, err, sizeof err);
    cr_assert(n > 0 && n <= max, "%s: %d rows %s", csv, n, err);
    for (int i = 0; i < n; i++)
        snprintf(descs[i], RES_TEXT, "%s", rows[i].desc);
    free(rows);
    qsort(descs, (size_t)n, RES_TEXT, by_text);
    return n;
}

Test(report_merge, three_shards_become_one_run_folder)
{
    char args[640], path[192], whole[128];
    static char md[65536], sources[4096], all[256][RES_TEXT], got[256][RES_TEXT];
    snprintf(whole, sizeof whole, "%s/whole", dir);
    report_fixture_run(dir, whole, "00000000000000aa", NULL, 0.0); /* the single-machine run */
    report_fixture_run(dir, a, "00000000000000aa", "L1", 0.0);
    report_fixture_run(dir, b, "00000000000000aa", "L3", 0.0);
    report_fixture_run(dir, c, "00000000000000aa", "L16", 0.0);
    snprintf(args, sizeof args, "report --out %s %s %s %s", merged, a, b, c);
    report_ok(args);
    int n = sorted_descs(whole, all, 256);
    cr_assert_eq(sorted_descs(merged, got, 256), n, "every row of the whole run, once");
    for (int i = 0; i < n; i++)
        cr_assert_str_eq(got[i], all[i]);
    snprintf(path, sizeof path, "%s/merged_from.csv", merged);
    slurp(path, sources, sizeof sources);
    char want[1024];
    int per_layer = n / 3; /* the fixture has as many rows at each of its 3 layers */
    snprintf(want, sizeof want,
             "run,fingerprint,cpu_model,cores,commit,rows,shard\n"
             "\"%s\",00000000000000aa,\"Test CPU\",2,abc1234,%d,\n"
             "\"%s\",00000000000000aa,\"Test CPU\",2,abc1234,%d,\n"
             "\"%s\",00000000000000aa,\"Test CPU\",2,abc1234,%d,\n",
             a, per_layer, b, per_layer, c, per_layer);
    cr_assert_str_eq(sources, want);
    snprintf(path, sizeof path, "%s/report.md", merged);
    slurp(path, md, sizeof md);
    cr_assert(strstr(md, "| L1 | 1 | Conv (baseline) |") && strstr(md, "| L3 |") && strstr(md, "| L16 | 2 | AKConv |"),
              "%s", md);
    cr_assert(!strstr(md, "across machines"));
    /* The merged folder is a run folder itself: it reports on its own. */
    snprintf(args, sizeof args, "report %s", merged);
    report_ok(args);
}

Test(report_merge, overlapping_shards_refused)
{
    char args[640], want[1024];
    static char descs[256][RES_TEXT];
    report_fixture_run(dir, a, "00000000000000aa", NULL, 0.0);
    report_fixture_run(dir, b, "00000000000000aa", "L3", 0.0);
    sorted_descs(b, descs, 256); /* the first duplicate in descriptor order is named */
    snprintf(args, sizeof args, "report --out %s %s %s", merged, a, b);
    snprintf(want, sizeof want,
             "ablate: row '%s' is in both %s/results.csv (shard '') and %s/results.csv (shard ''): each "
             "configuration must come from one run folder only\n",
             descs[0], a, b);
    report_fails(args, want);
    snprintf(args, sizeof args, "report --out %s %s %s", merged, a, a); /* one run given twice */
    struct run_out r;
    run_ablate(&r, args);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "each configuration must come from one run folder only"), "%s", r.err);
}

/* Baselines timed on one machine, modules on another: refused; with
 * --mix-machines merged, each ratio marked and without a CI. */
Test(report_merge, machines_kept_apart_unless_mixed)
{
    char args[640], want[1024], path[192];
    static char md[65536], sources[4096];
    report_fixture_run(dir, a, "00000000000000aa", "baseline", 0.0);
    report_fixture_run(dir, b, "00000000000000bb", "module", 0.0);
    snprintf(args, sizeof args, "report --out %s %s %s", merged, a, b);
    snprintf(want, sizeof want,
             "ablate: runs come from different machines: fingerprint 00000000000000aa (%s) vs 00000000000000bb "
             "(%s); latency is not comparable across machines (--mix-machines merges them anyway, marking each "
             "comparison that crosses machines)\n",
             a, b);
    report_fails(args, want);
    snprintf(args, sizeof args, "report --mix-machines --out %s %s %s", merged, a, b);
    report_ok(args);
    snprintf(path, sizeof path, "%s/report.md", merged);
    slurp(path, md, sizeof md);
    cr_assert(strstr(md, "(across machines) | - |"), "%s", md);
    cr_assert(strstr(md, "different machine fingerprints (merged with --mix-machines)"), "%s", md);
    snprintf(path, sizeof path, "%s/merged_from.csv", merged);
    slurp(path, sources, sizeof sources);
    cr_assert(strstr(sources, ",00000000000000aa,") && strstr(sources, ",00000000000000bb,"), "%s", sources);
    snprintf(path, sizeof path, "%s/meta.json", merged);
    cr_assert_neq(access(path, F_OK), 0, "no single machine's meta.json for a mixed merge");
    snprintf(args, sizeof args, "report --force --out %s/again %s %s", dir, a, b); /* the older name */
    report_ok(args);
}

Test(report_merge, output_folder_must_be_new)
{
    char args[640], want[512];
    report_fixture_run(dir, a, "00000000000000aa", "L1", 0.0);
    report_fixture_run(dir, b, "00000000000000aa", "L3", 0.0);
    snprintf(args, sizeof args, "report --out %s %s %s", a, a, b);
    snprintf(want, sizeof want, "ablate: --out %s is one of the run folders: merge into a folder of its own\n", a);
    report_fails(args, want);
}

/* An empty run folder: what a shard with no configuration leaves. */
static void empty_run(const char *into)
{
    char csv[192], err[256];
    run_fixture_dir(into);
    snprintf(csv, sizeof csv, "%s/results.csv", into);
    FILE *f = results_open(csv, err, sizeof err);
    cr_assert(f, "%s", err);
    cr_assert_eq(fclose(f), 0);
    run_fixture_meta(into, "00000000000000aa", "abc1234");
}

/* More shards than configurations leaves some empty: they merge (not on
 * their own, and not all of them). */
Test(report_merge, empty_shard_merges)
{
    char args[640], want[512];
    empty_run(a);
    empty_run(c);
    report_fixture_run(dir, b, "00000000000000aa", NULL, 0.0);
    snprintf(args, sizeof args, "report --out %s %s %s", merged, a, b);
    report_ok(args);
    snprintf(args, sizeof args, "report --out %s/none %s %s", dir, a, c);
    report_fails(args, "ablate: no results rows in any of the 2 run folders\n");
    snprintf(args, sizeof args, "report %s", a);
    snprintf(want, sizeof want, "ablate: %s/results.csv: no results rows\n", a);
    report_fails(args, want);
}
