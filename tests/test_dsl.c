/* tests/test_dsl.c — the experiment DSL: plans it expands to, and errors
 * that name FILE:LINE and the key at fault. */
#include <criterion/criterion.h>
#include <unistd.h>

#include "known_modules.h"
#include "peers.h"
#include "plan.h"
#include "test_util.h"

static char root[512];

static void set_root(void)
{
    if (!getcwd(root, sizeof root))
        abort();
}

TestSuite(dsl, .init = set_root);

Test(dsl, akconv_params_plan)
{
    struct plan p;
    char err[512];
    cr_assert_eq(experiment_load("experiments/akconv_params.lua", root, 0, &p, err, sizeof err), 0, "%s", err);
    /* 6 layers x 2 thread counts x (1 baseline + 11 num_param values) */
    cr_expect_eq(p.n, 6 * 2 * 12);
    cr_expect_str_eq(p.name, "akconv_params");
    cr_expect_str_eq(p.xarg, "num_param");
    cr_expect_str_eq(p.items[0].role, "baseline");
    cr_expect_str_eq(p.items[0].inst.op->name, "Conv");
    cr_expect_eq(p.items[0].inst.in.c, 16);
    cr_expect_eq(p.items[0].inst.out.h, 160);
    const struct plan_item *ak = &p.items[5];
    cr_expect_str_eq(ak->inst.op->name, "AKConv");
    cr_expect_eq(arg_geti(&ak->inst.args, "num_param"), 5);
    cr_expect_eq(arg_geti(&ak->inst.args, "stride"), 2);
    cr_expect_eq(arg_geti(&ak->inst.args, "outc"), 32);
    cr_expect_str_eq(ak->impl[0], "ref");
    cr_expect_eq(p.run_torch, 1);
    cr_expect_eq(p.run_peer[PEER_ORT], 1);
    cr_expect_eq(p.run_peer[PEER_OPENVINO], 1);
    char desc[PLAN_DESC_MAX];
    plan_row_desc(ak, "gen:gemm", desc, sizeof desc);
    cr_expect_str_eq(desc, "akconv:inc=16:outc=32:num_param=5:stride=2:bias=0:grid=ij:bn_eps=1e-05:"
                           "n1c16h320w320:o32:t1:impl=gen:gemm");
    plan_free(&p);
    cr_assert_eq(experiment_load("experiments/akconv_params.lua", root, 1, &p, err, sizeof err), 0, "%s", err);
    cr_expect_eq(p.n, 6 * 1 * 4); /* quick: num_param {1, 5, 13}, 2 threads only */
    plan_free(&p);
}

static void expect_error(const char *script, const char *expected)
{
    char dir[64], file[128], err[512];
    struct plan p;
    temp_dir(dir, sizeof dir);
    snprintf(file, sizeof file, "%s/bad.lua", dir);
    write_file(file, script);
    cr_expect_eq(experiment_load(file, root, 0, &p, err, sizeof err), -1);
    char want[512];
    snprintf(want, sizeof want, expected, file);
    cr_expect_str_eq(err, want);
    unlink(file);
    rmdir(dir);
}

Test(dsl, syntax_error_names_file_and_line)
{
    expect_error("return sweep {\n  name = \"x\",\n  module = ,\n}\n",
                 "%s:3: unexpected symbol near ','");
}

Test(dsl, runtime_error_names_file_and_line)
{
    expect_error("local t = nil\nreturn t.x\n", "%s:2: attempt to index a nil value (local 't')");
}

Test(dsl, unknown_key)
{
    expect_error("return sweep {\n  name = \"x\", module = \"AKConv\", colour = 1,\n}\n",
                 "%s:1: sweep: unknown key 'colour' (known: name, description, module, baseline, "
                 "shapes, args, backends, variants, threads, charts, where, timeout, seed, "
                 "skip_invalid, init, quick, x)");
}

Test(dsl, unknown_module_and_argument)
{
    char known[512], want[768];
    snprintf(want, sizeof want, "%%s:1: sweep: module: unknown module 'AKConvv' (known: %s)",
             known_modules_text(known, sizeof known));
    expect_error("return sweep { name = \"x\", module = \"AKConvv\", shapes = {} }\n",
                 want);
    expect_error("return sweep { name = \"x\", module = \"AKConv\",\n"
                 "  shapes = {{c1=4, c2=8, h=8, w=8}}, args = { num_params = {1, 2} } }\n",
                 "%s:1: sweep: args: AKConv: unknown argument 'num_params' (known: inc, outc, "
                 "num_param, stride, bias, grid, bn_eps)");
}

Test(dsl, wrong_type_and_impossible_value)
{
    expect_error("return sweep { name = \"x\", module = \"AKConv\",\n"
                 "  shapes = {{c1=4, c2=8, h=8, w=8}}, args = { num_param = {\"many\"} } }\n",
                 "%s:1: sweep: args.num_param: AKConv: argument 'num_param' must be an integer (got 'many')");
    expect_error("return sweep { name = \"x\", module = \"AKConv\",\n"
                 "  shapes = {{layer = \"L1\", c1=4, c2=8, h=8, w=8}}, args = { num_param = {3, 0} } }\n",
                 "%s:1: sweep: layer L1: AKConv: num_param must be >= 1 (got 0)");
    expect_error("return sweep { name = \"x\", module = \"AKConv\", threads = {0},\n"
                 "  shapes = {{c1=4, c2=8, h=8, w=8}}, args = { num_param = 3 } }\n",
                 "%s:1: sweep: 'threads' values must be integers from 1 to 256");
}

Test(dsl, must_return_sweep)
{
    expect_error("local x = 1\n", "%s: the script must return sweep { ... }");
}

Test(dsl, where_filters)
{
    char dir[64], file[128], err[512];
    struct plan p;
    temp_dir(dir, sizeof dir);
    snprintf(file, sizeof file, "%s/w.lua", dir);
    write_file(file, "return sweep { name = \"w\", module = \"AKConv\", backends = {\"ref\"},\n"
                     "  shapes = {{c1=4, c2=8, h=8, w=8, stride=2}}, threads = {1, 2},\n"
                     "  args = { num_param = {1, 2, 3, 4} },\n"
                     "  where = function(c) return c.num_param % 2 == 1 and c.threads == 1 end }\n");
    cr_assert_eq(experiment_load(file, root, 0, &p, err, sizeof err), 0, "%s", err);
    cr_expect_eq(p.n, 2);
    cr_expect_eq(arg_geti(&p.items[1].inst.args, "num_param"), 3);
    cr_expect_eq(p.items[1].n_impl, 1);
    plan_free(&p);
    unlink(file);
    rmdir(dir);
}

static int has_impl(const struct plan_item *it, const char *impl)
{
    for (int i = 0; i < it->n_impl; i++)
        if (!strcmp(it->impl[i], impl))
            return 1;
    return 0;
}

/* Conv's slow `direct` variant (gen/conv.lua: no BLAS, 12-45 ms where gemm
 * takes 2.3) is left out of what a sweep times by default, as a module row
 * and as a baseline, and still planned when a sweep names it. */
Test(dsl, conv_sweep_variants)
{
    char dir[64], file[128], err[512];
    struct plan p;
    cr_assert_eq(experiment_load("experiments/akconv_params.lua", root, 1, &p, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(p.items[0].inst.op->name, "Conv");
    cr_expect(has_impl(&p.items[0], "gen:gemm") && !has_impl(&p.items[0], "gen:direct"));
    cr_expect(has_impl(&p.items[1], "gen:direct"), "AKConv keeps every variant");
    plan_free(&p);
    temp_dir(dir, sizeof dir);
    snprintf(file, sizeof file, "%s/v.lua", dir);
    for (int named = 0; named <= 1; named++) {
        write_file(file, named ? "return sweep { name = \"v\", module = \"Conv\", backends = {\"gen\"},\n"
                                 "  shapes = {{c1=4, c2=8, h=8, w=8, stride=2}}, variants = {\"direct\"} }\n"
                               : "return sweep { name = \"v\", module = \"Conv\", backends = {\"gen\"},\n"
                                 "  shapes = {{c1=4, c2=8, h=8, w=8, stride=2}} }\n");
        cr_assert_eq(experiment_load(file, root, 0, &p, err, sizeof err), 0, "%s", err);
        cr_expect_eq(p.items[0].n_impl, 1);
        cr_expect_str_eq(p.items[0].impl[0], named ? "gen:direct" : "gen:gemm");
        plan_free(&p);
    }
    unlink(file);
    rmdir(dir);
}

Test(dsl, unknown_keys_in_shapes_and_charts)
{
    expect_error("return sweep { name = \"x\", module = \"AKConv\", args = { num_param = 3 },\n"
                 "  shapes = {{c1=4, c2=8, h=8, w=8, hight=3}} }\n",
                 "%s:1: sweep: shapes[1]: unknown key 'hight' (known: layer, c1, c2, h, w, stride, batch, args)");
    expect_error("return sweep { name = \"x\", module = \"AKConv\", args = { num_param = {1, 3} },\n"
                 "  shapes = {{c1=4, c2=8, h=8, w=8}}, charts = {{ y = \"median_ms\", colour = 1 }} }\n",
                 "%s:1: sweep: charts[1]: unknown key 'colour' (known: x, y, by, threads, title, name)");
}
