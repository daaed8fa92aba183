/* tests/test_shard.c — `--shard I/N` on the real experiment plans
 * (every experiments/NAME.lua, full and --quick): for N = 1..16 the shards together
 * run every row of the plan exactly once, the split is the same every time
 * it is computed, and the busiest shard's estimated cost stays near the
 * mean. */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"
#include "shard.h"

enum { N_MAX = 16 };

TestSuite(shard, .timeout = 60);

static int by_text(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The row descriptors shard `s` runs, as the sweep selects them: every
 * impl of every item assigned to it. */
static int shard_rows(const struct plan *p, const int *shard_of, int s, char **out, int at)
{
    for (int i = 0; i < p->n; i++)
        for (int j = 0; shard_of[i] == s && j < p->items[i].n_impl; j++) {
            out[at] = malloc(PLAN_DESC_MAX);
            cr_assert(out[at]);
            plan_row_desc(&p->items[i], p->items[i].impl[j], out[at++], PLAN_DESC_MAX);
        }
    return at;
}

static int plan_rows(const struct plan *p)
{
    int rows = 0;
    for (int i = 0; i < p->n; i++)
        rows += p->items[i].n_impl;
    return rows;
}

/* Union of the N shards' rows, sorted, equals the plan's rows, sorted, and
 * the plan's rows are distinct: so each row runs in exactly one shard. */
static void check_partition(const char *name, const struct plan *p, int n_shards, const int *shard_of)
{
    int rows = plan_rows(p), got = 0;
    char **whole = calloc((size_t)rows + 1, sizeof *whole), **split = calloc((size_t)rows + 1, sizeof *split);
    cr_assert(whole && split);
    int *everyone = calloc((size_t)p->n + 1, sizeof *everyone); /* one shard holding everything */
    cr_assert(everyone);
    int all = shard_rows(p, everyone, 0, whole, 0);
    for (int s = 0; s < n_shards; s++)
        got = shard_rows(p, shard_of, s, split, got);
    cr_assert_eq(all, rows);
    cr_assert_eq(got, rows, "%s N=%d: shards hold %d rows, the plan %d", name, n_shards, got, rows);
    qsort(whole, (size_t)rows, sizeof *whole, by_text);
    qsort(split, (size_t)rows, sizeof *split, by_text);
    for (int k = 0; k < rows; k++) {
        cr_assert_str_eq(split[k], whole[k], "%s N=%d: row %d differs", name, n_shards, k);
        cr_assert(k == 0 || strcmp(whole[k], whole[k - 1]), "%s: row %s twice in the plan", name, whole[k]);
    }
    for (int k = 0; k < rows; k++)
        free(whole[k]), free(split[k]);
    free(whole), free(split), free(everyone);
}

/* Busiest shard vs the mean: within the largest item of it (the greedy
 * bound), and within 10 % once there are 8 or more items per shard. */
static void check_balance(const char *name, const struct plan *p, int n_shards, const int *shard_of)
{
    int64_t load[N_MAX] = {0}, biggest = 0, total = 0, busiest = 0;
    for (int i = 0; i < p->n; i++) {
        int64_t c = shard_item_cost(&p->items[i]);
        cr_assert(c > 0);
        load[shard_of[i]] += c, total += c;
        biggest = c > biggest ? c : biggest;
    }
    for (int s = 0; s < n_shards; s++)
        busiest = load[s] > busiest ? load[s] : busiest;
    double mean = (double)total / n_shards;
    cr_expect(busiest <= mean + biggest, "%s N=%d: busiest %lld > mean %.0f + largest item %lld", name, n_shards,
              (long long)busiest, mean, (long long)biggest);
    if (p->n >= 8 * n_shards)
        cr_expect(busiest <= 1.10 * mean, "%s N=%d: busiest shard %.3f x the mean", name, n_shards,
                  busiest / mean);
}

static void check_plan(const char *file, int quick)
{
    char root[512], err[512];
    struct plan p, again;
    cr_assert(getcwd(root, sizeof root));
    cr_assert_eq(experiment_load(file, root, quick, &p, err, sizeof err), 0, "%s", err);
    cr_assert_eq(experiment_load(file, root, quick, &again, err, sizeof err), 0, "%s", err);
    cr_assert(p.n > 0);
    int *shard_of = malloc(sizeof *shard_of * (size_t)p.n), *repeat = malloc(sizeof *repeat * (size_t)p.n);
    cr_assert(shard_of && repeat);
    for (int n = 1; n <= N_MAX; n++) {
        memset(shard_of, 0xff, sizeof *shard_of * (size_t)p.n);
        cr_assert_eq(shard_assign(&p, n, shard_of), 0);
        cr_assert_eq(shard_assign(&again, n, repeat), 0);
        for (int i = 0; i < p.n; i++) {
            cr_assert(shard_of[i] >= 0 && shard_of[i] < n, "%s N=%d: item %d in shard %d", file, n, i, shard_of[i]);
            cr_assert_eq(shard_of[i], repeat[i], "%s N=%d: item %d not deterministic", file, n, i);
        }
        check_partition(file, &p, n, shard_of);
        check_balance(file, &p, n, shard_of);
    }
    free(shard_of), free(repeat);
    plan_free(&p), plan_free(&again);
}

Test(shard, every_row_in_exactly_one_shard_for_1_to_16)
{
    glob_t g;
    cr_assert_eq(glob("experiments/*.lua", 0, NULL, &g), 0);
    cr_assert(g.gl_pathc >= 5, "expected the experiments/*.lua plans, found %zu", g.gl_pathc);
    for (size_t k = 0; k < g.gl_pathc; k++)
        for (int quick = 0; quick <= 1; quick++)
            if (!strstr(g.gl_pathv[k], "/placement_")) /* placement sweeps: whole models, not sharded */
                check_plan(g.gl_pathv[k], quick);
    globfree(&g);
}

Test(shard, bad_counts_refused)
{
    struct plan p = {0};
    int one;
    cr_expect_eq(shard_assign(&p, 0, &one), -1);
    cr_expect_eq(shard_assign(&p, SHARD_MAX + 1, &one), -1);
    cr_expect_eq(shard_assign(&p, 3, &one), 0); /* an empty plan: every shard empty */
}

/* Costlier configurations (more FLOPs, the scalar reference, fewer
 * threads) get larger estimates, so they spread over the shards. */
Test(shard, cost_follows_work)
{
    char root[512], err[512];
    struct plan p;
    cr_assert(getcwd(root, sizeof root));
    cr_assert_eq(experiment_load("experiments/akconv_params.lua", root, 0, &p, err, sizeof err), 0, "%s", err);
    const struct plan_item *t1 = NULL, *t2 = NULL;
    for (int i = 0; i < p.n && !(t1 && t2); i++)
        if (!strcmp(p.items[i].layer, p.items[0].layer) && !strcmp(p.items[i].role, "baseline"))
            *(p.items[i].threads == 1 ? &t1 : &t2) = &p.items[i];
    cr_assert(t1 && t2);
    cr_expect_gt(shard_item_cost(t1), shard_item_cost(t2));
    struct plan_item fewer = *t1;
    fewer.n_impl = 1; /* only the scalar reference */
    cr_expect_gt(shard_item_cost(t1), shard_item_cost(&fewer));
    plan_free(&p);
}
