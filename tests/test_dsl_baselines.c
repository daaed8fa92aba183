/* tests/test_dsl_baselines.c — the sweep DSL's `baseline` key: the single
 * table form and the list form (the first listed baseline is the primary
 * one, role "baseline"; the others get role "baseline2"), and the exact
 * text of its errors. */
#include <criterion/criterion.h>
#include <unistd.h>

#include "known_modules.h"
#include "plan.h"
#include "results_fixture.h"
#include "results_view.h"
#include "dsl_fixture.h"
#include "test_util.h"

TestSuite(dsl_baselines);

/* The script saved as b.lua and loaded (tests/dsl_fixture.h). */
static int load(const char *script, struct plan *p, char *err, size_t errlen, char *file,
                size_t flen)
{
    return dsl_load_text(script, "b.lua", p, err, errlen, file, flen);
}

#define HEAD                                                                        \
    "return sweep { name = \"b\", module = \"ACmix\", backends = { \"ref\" },\n"   \
    "  shapes = {{layer = \"L16\", c1 = 8, c2 = 8, h = 8, w = 8, stride = 1}},\n" \
    "  args = { kernel_att = { 3, 5 } }, threads = { 1 },\n"

Test(dsl_baselines, list_form_first_is_primary)
{
    struct plan p;
    char err[512], file[128];
    cr_assert_eq(load(HEAD "  baseline = { { module = \"Conv\", k = 3, s = 1 }, { module = \"C2f\", n = 1 } } }\n",
                      &p, err, sizeof err, file, sizeof file),
                 0, "%s", err);
    cr_assert_eq(p.n, 4); /* 2 baselines + 2 kernel_att values */
    cr_expect_str_eq(p.items[0].role, "baseline");
    cr_expect_str_eq(p.items[0].inst.op->name, "Conv");
    cr_expect_eq(arg_geti(&p.items[0].inst.args, "k"), 3);
    cr_expect_str_eq(p.items[1].role, "baseline2");
    cr_expect_str_eq(p.items[1].inst.op->name, "C2f");
    /* the shape row fills c1/c2 of every baseline (C2f has no stride) */
    cr_expect_eq(arg_geti(&p.items[1].inst.args, "c1"), 8);
    cr_expect_eq(arg_geti(&p.items[1].inst.args, "c2"), 8);
    cr_expect_eq(p.items[1].inst.out.c, 8);
    cr_expect_str_eq(p.items[2].role, "module");
    cr_expect_str_eq(p.items[3].role, "module");
    plan_free(&p);
}

Test(dsl_baselines, single_form_unchanged)
{
    struct plan p;
    char err[512], file[128];
    cr_assert_eq(load(HEAD "  baseline = { module = \"C2f\", n = 2 } }\n", &p, err, sizeof err, file,
                      sizeof file),
                 0, "%s", err);
    cr_assert_eq(p.n, 3);
    cr_expect_str_eq(p.items[0].role, "baseline");
    cr_expect_eq(arg_geti(&p.items[0].inst.args, "n"), 2);
    plan_free(&p);
}

static void expect_error(const char *baseline, const char *expected)
{
    struct plan p;
    char err[512], file[128], script[1024], want[512];
    snprintf(script, sizeof script, HEAD "  baseline = %s }\n", baseline);
    cr_expect_eq(load(script, &p, err, sizeof err, file, sizeof file), -1);
    snprintf(want, sizeof want, expected, file);
    cr_expect_str_eq(err, want);
}

Test(dsl_baselines, errors)
{
    expect_error("\"Conv\"", "%s:1: sweep: 'baseline' must be a table such as { module = \"Conv\", k = 3 }");
    expect_error("{ 5 }", "%s:1: sweep: baseline 1 must be a table such as { module = \"Conv\", k = 3 }");
    expect_error("{ { module = \"Conv\" }, { k = 3 } }", "%s:1: sweep: baseline 2: 'module' is required");
    expect_error("{}", "%s:1: sweep: baseline: 'module' is required");
    expect_error("{ { module = \"Conv\" }, { module = \"C2f\", q = 1 } }",
                 "%s:1: sweep: baseline 2: C2f: unknown argument 'q' (known: c1, c2, n, shortcut, g, e, bn_eps)");
    char known[512], want[768];
    snprintf(want, sizeof want, "%%s:1: sweep: baseline 2: unknown module 'C9' (known: %s)",
             known_modules_text(known, sizeof known));
    expect_error("{ { module = \"Conv\" }, { module = \"C9\" } }", want);
    expect_error("{ {module=\"Conv\"}, {module=\"Conv\"}, {module=\"Conv\"}, {module=\"Conv\"}, {module=\"Conv\"} }",
                 "%s:1: sweep: at most 4 baselines (got 5)");
}

/* Results side: with a primary and a second baseline at one site, the
 * view sorts primary, second, module, and every "vs base" comparison
 * (results_view_baseline) reads against the primary one, the second
 * baseline's own row included. */
Test(dsl_baselines, view_picks_the_primary_baseline)
{
    struct result_row rows[3];
    const struct fixture_site *s = &fixture_sites[2];
    fixture_row(&rows[0], s, "module", "ACmix", "kernel_att=7", "gen:auto", 1, 17822, 9.0, "ok");
    fixture_row(&rows[1], s, "baseline2", "C2f", "n=1", "gen:gemm", 1, 29056, 7.0, "ok");
    fixture_row(&rows[2], s, "baseline", "Conv", "k=3", "gen:gemm", 1, 36992, 12.0, "ok");
    struct config_view *v;
    int nv = results_view_build(rows, 3, &v);
    cr_assert_eq(nv, 3);
    cr_expect_str_eq(v[0].id->role, "baseline");
    cr_expect_str_eq(v[1].id->role, "baseline2");
    cr_expect_str_eq(v[2].id->role, "module");
    for (int i = 0; i < 3; i++) {
        const struct config_view *b = results_view_baseline(v, nv, &v[i]);
        cr_assert_not_null(b);
        cr_expect_str_eq(b->id->module, "Conv");
    }
    free(v);
}
