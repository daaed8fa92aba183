/* tests/test_dsl_shape_args.c — a shape row's `args`: arguments that follow
 * the layer (YOLOv8n's C2f places differ in n and shortcut), set on the
 * module and on every baseline that has them; and the exact text of its
 * errors. */
#include <criterion/criterion.h>
#include <unistd.h>

#include "plan.h"
#include "dsl_fixture.h"
#include "test_util.h"

static char root[512];

static void set_root(void)
{
    if (!getcwd(root, sizeof root))
        abort();
}

TestSuite(dsl_shape_args, .init = set_root);

/* The script saved as s.lua and loaded (tests/dsl_fixture.h). */
static int load(const char *script, struct plan *p, char *err, size_t errlen, char *file,
                size_t flen)
{
    return dsl_load_text(script, "s.lua", p, err, errlen, file, flen);
}

#define HEAD                                                                                  \
    "return sweep { name = \"s\", module = \"C2f_GhostModule_DynamicConv\", backends = { \"ref\" },\n" \
    "  baseline = { module = \"C2f\" }, threads = { 1 },\n"

Test(dsl_shape_args, follow_the_layer)
{
    struct plan p;
    char err[512], file[128];
    cr_assert_eq(load(HEAD "  shapes = {\n"
                           "    {layer = \"L4\", c1 = 8, c2 = 8, h = 8, w = 8, args = { n = 2, shortcut = true }},\n"
                           "    {layer = \"L15\", c1 = 12, c2 = 4, h = 8, w = 8, args = { n = 1, shortcut = false }},\n"
                           "  } }\n",
                      &p, err, sizeof err, file, sizeof file),
                 0, "%s", err);
    cr_assert_eq(p.n, 4); /* per row: the C2f baseline, the module */
    static const struct {
        const char *layer, *role, *module;
        int n, shortcut;
    } want[] = {
        {"L4", "baseline", "C2f", 2, 1},
        {"L4", "module", "C2f_GhostModule_DynamicConv", 2, 1},
        {"L15", "baseline", "C2f", 1, 0},
        {"L15", "module", "C2f_GhostModule_DynamicConv", 1, 0},
    };
    for (int i = 0; i < 4; i++) {
        const struct instance *m = &p.items[i].inst;
        cr_expect_str_eq(p.items[i].layer, want[i].layer);
        cr_expect_str_eq(p.items[i].role, want[i].role);
        cr_expect_str_eq(m->op->name, want[i].module);
        cr_expect_eq(arg_geti(&m->args, "n"), want[i].n, "item %d", i);
        cr_expect_eq(arg_geti(&m->args, "shortcut"), want[i].shortcut, "item %d", i);
    }
    /* the counts follow n: C2f(8, 8, n=2) = cv1 80 + cv2 144 + 2 Bottlenecks of 2 (9*16 + 8) */
    cr_expect_eq(p.items[0].inst.op->params(&p.items[0].inst.args), 80 + 144 + 2 * 304);
    plan_free(&p);
}

/* An argument only a baseline has is set there alone. */
Test(dsl_shape_args, baseline_only_argument)
{
    struct plan p;
    char err[512], file[128];
    cr_assert_eq(load("return sweep { name = \"s\", module = \"GhostModule\", backends = { \"ref\" },\n"
                      "  baseline = { module = \"C2f\" }, threads = { 1 },\n"
                      "  shapes = {{layer = \"L2\", c1 = 8, c2 = 8, h = 8, w = 8, args = { n = 2 }}} }\n",
                      &p, err, sizeof err, file, sizeof file),
                 0, "%s", err);
    cr_assert_eq(p.n, 2);
    cr_expect_eq(arg_geti(&p.items[0].inst.args, "n"), 2);
    cr_expect_str_eq(p.items[1].inst.op->name, "GhostModule");
    plan_free(&p);
}

static void expect_error(const char *tail, const char *expected)
{
    struct plan p;
    char err[512], file[128], script[1024], want[512];
    snprintf(script, sizeof script, HEAD "%s }\n", tail);
    cr_expect_eq(load(script, &p, err, sizeof err, file, sizeof file), -1);
    snprintf(want, sizeof want, expected, file);
    cr_expect_str_eq(err, want);
}

Test(dsl_shape_args, errors)
{
    expect_error("  shapes = {{layer = \"L4\", c1 = 8, c2 = 8, h = 8, w = 8, args = 2}}",
                 "%s:1: sweep: shapes[1]: 'args' must be a table such as { n = 2, shortcut = true }");
    expect_error("  shapes = {{layer = \"L4\", c1 = 8, c2 = 8, h = 8, w = 8, args = { q = 1 }}}",
                 "%s:1: sweep: layer L4: args: unknown argument 'q' (neither "
                 "C2f_GhostModule_DynamicConv nor a baseline has it)");
    expect_error("  args = { n = 1 }, shapes = {{layer = \"L4\", c1 = 8, c2 = 8, h = 8, w = 8, args = { n = 2 }}}",
                 "%s:1: sweep: layer L4: args.n is also set by the sweep's 'args'");
    expect_error("  shapes = {{layer = \"L4\", c1 = 8, c2 = 8, h = 8, w = 8, args = { n = \"two\" }}}",
                 "%s:1: sweep: layer L4: args: C2f: argument 'n' must be an integer (got 'two')");
    expect_error("  shapes = {{layer = \"L4\", c1 = 8, c2 = 8, h = 8, w = 8, args = { 3 }}}",
                 "%s:1: sweep: shapes[1]: 'args' keys must be argument names");
}

/* The experiment that needs them: eight C2f places, n and shortcut per
 * place as yolov8.yaml at scale n builds them; the quick plan is smaller. */
Test(dsl_shape_args, c2f_dynamicconv_places_experiment)
{
    struct plan p;
    char err[512];
    cr_assert_eq(experiment_load("experiments/c2f_dynamicconv_places.lua", root, 0, &p, err, sizeof err),
                 0, "%s", err);
    cr_assert_eq(p.n, 8 * 2 * 2); /* places x threads x (C2f, module) */
    static const struct {
        const char *layer;
        int c1, c2, hw, n, shortcut;
    } want[] = {
        {"L2", 32, 32, 160, 1, 1},   {"L4", 64, 64, 80, 2, 1},    {"L6", 128, 128, 40, 2, 1},
        {"L8", 256, 256, 20, 1, 1},  {"L12", 384, 128, 40, 1, 0}, {"L15", 192, 64, 80, 1, 0},
        {"L18", 192, 128, 40, 1, 0}, {"L21", 384, 256, 20, 1, 0},
    };
    for (int i = 0; i < 8; i++)
        for (int k = 0; k < 4; k++) { /* t1 C2f, t1 module, t2 C2f, t2 module */
            const struct plan_item *it = &p.items[4 * i + k];
            cr_expect_str_eq(it->layer, want[i].layer);
            cr_expect_str_eq(it->inst.op->name, k % 2 ? "C2f_GhostModule_DynamicConv" : "C2f");
            cr_expect_eq(it->inst.in.c, want[i].c1);
            cr_expect_eq(it->inst.out.c, want[i].c2);
            cr_expect_eq(it->inst.in.h, want[i].hw);
            cr_expect_eq(arg_geti(&it->inst.args, "n"), want[i].n, "%s", want[i].layer);
            cr_expect_eq(arg_geti(&it->inst.args, "shortcut"), want[i].shortcut, "%s", want[i].layer);
        }
    cr_expect_str_eq(p.charts[0].x, "layer");
    plan_free(&p);
    cr_assert_eq(experiment_load("experiments/c2f_dynamicconv_places.lua", root, 1, &p, err, sizeof err),
                 0, "%s", err);
    cr_expect_eq(p.n, 4 * 2);
    plan_free(&p);
}
