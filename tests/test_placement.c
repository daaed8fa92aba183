/* tests/test_placement.c — placement sweeps: the DSL (errors with exact
 * text), the expansion (an edited yolov8.yaml equals the seed YAML that
 * makes the same edit, layer by layer and in params/GFLOPs; `from`
 * renumbering on insertion) and one tiny end-to-end run's CSV rows. */
#include <criterion/criterion.h>
#include <unistd.h>

#include "model.h"
#include "placement.h"
#include "placement_out.h"
#include "results.h"
#include "test_util.h"

#define MODELS "experiments/models/"

static char root[512];

static void set_root(void)
{
    if (!getcwd(root, sizeof root))
        abort();
}

TestSuite(placement, .init = set_root);

static struct placement_plan *load(const char *file, int quick)
{
    static char err[1024];
    struct placement_plan *p = malloc(sizeof *p);
    cr_assert(p);
    cr_assert_eq(placement_load(file, root, quick, p, err, sizeof err), 0, "%s", err);
    return p;
}

Test(placement, experiment_file)
{
    struct placement_plan *p = load("experiments/placement_yolov8n.lua", 0);
    /* AKConv and DynamicConv: 3 subsets + 6 singles; C2f_DynamicConv 3 + 8; ACmix 4 */
    cr_expect_eq(p->nvariants, 9 + 9 + 11 + 4);
    cr_expect_eq(p->nscales, 2);
    cr_expect_str_eq(p->scales[1], "s");
    cr_expect_eq(p->imgsz, 640);
    cr_expect_str_eq(p->v[0].label, "AKConv at 1,3,5,7");
    cr_expect_str_eq(p->v[3].label, "AKConv at 1");
    cr_expect_str_eq(p->v[20].label, "C2f_DynamicConv at 2,4,6,8,12,15,18,21");
    cr_expect_str_eq(p->v[32].label, "ACmix after 15,18,21");
    free(p);
    p = load("experiments/placement_yolov8n.lua", 1);
    cr_expect_eq(p->nvariants, 4);
    cr_expect_eq(p->nscales, 1);
    cr_expect_eq(p->imgsz, 320);
    free(p);
}

static void build(const struct model_yaml *y, const char *scale, struct model *m,
                  struct model_summary *s)
{
    char err[1024];
    cr_assert_eq(model_build(y, scale, m, err, sizeof err), 0, "%s", err);
    cr_assert_eq(model_summarize(m, 640, 0, s, err, sizeof err), 0, "%s", err);
}

/* Variant `label` of the experiment applied to yolov8.yaml equals SEED at
 * scales n and s: every layer's module, arguments, inputs and channels,
 * and the summary counts.  Returns nothing; `params_n` is the n count. */
static void expect_seed(const struct placement_plan *p, const char *label, const char *seed,
                        long long params_n)
{
    char err[1024];
    const struct placement_variant *v = NULL;
    for (int i = 0; i < p->nvariants && !v; i++)
        v = !strcmp(p->v[i].label, label) ? &p->v[i] : NULL;
    cr_assert(v, "no variant '%s'", label);
    struct model_yaml *base = model_yaml_read(MODELS "yolov8.yaml", err, sizeof err);
    struct model_yaml *want = model_yaml_read(seed, err, sizeof err), *got = malloc(sizeof *got);
    cr_assert(base && want && got, "%s", err);
    cr_assert_eq(placement_apply(base, v, got, err, sizeof err), 0, "%s", err);
    const char *scales[] = {"n", "s"};
    for (int k = 0; k < 2; k++) {
        struct model a, b;
        struct model_summary *sa = malloc(sizeof *sa), *sb = malloc(sizeof *sb);
        build(got, scales[k], &a, sa);
        build(want, scales[k], &b, sb);
        cr_assert_eq(a.nlayers, b.nlayers, "%s", label);
        for (int i = 0; i < a.nlayers; i++) {
            cr_expect_str_eq(a.layers[i].type_name, b.layers[i].type_name, "%s layer %d", label, i);
            cr_expect_str_eq(a.layers[i].args_text, b.layers[i].args_text, "%s layer %d", label, i);
            cr_expect_eq(a.layers[i].nfrom, b.layers[i].nfrom, "%s layer %d", label, i);
            for (int f = 0; f < a.layers[i].nfrom; f++)
                cr_expect_eq(a.layers[i].src[f], b.layers[i].src[f], "%s layer %d", label, i);
            cr_expect_eq(a.layers[i].c_out, b.layers[i].c_out, "%s layer %d", label, i);
        }
        cr_expect_eq(sa->params, sb->params, "%s %s", label, scales[k]);
        cr_expect_eq(sa->flops_printed, sb->flops_printed, "%s %s", label, scales[k]);
        cr_expect_eq(sa->flops_full, sb->flops_full, "%s %s", label, scales[k]);
        cr_expect_eq(sa->layers, sb->layers, "%s %s", label, scales[k]);
        if (k == 0)
            cr_expect_eq(sa->params, params_n, "%s", label);
        model_free(&a);
        model_free(&b);
        free(sa);
        free(sb);
    }
    free(base);
    free(want);
    free(got);
}

Test(placement, equals_the_seed_yamls)
{
    struct placement_plan *p = load("experiments/placement_yolov8n.lua", 0);
    expect_seed(p, "AKConv at 1,3,5,7,16,19", MODELS "yolov8-AKConv.yaml", 2796564);
    expect_seed(p, "ACmix after 15,18,21", MODELS "yolov8-ACmix-1.yaml", 3453546);
    expect_seed(p, "DynamicConv at 1,3,5,7,16,19", MODELS "yolov8-DynamicConv.yaml", 4885608);
    expect_seed(p, "C2f_DynamicConv at 2,4,6,8,12,15,18,21", MODELS "yolov8-C2f_DynamicConv.yaml",
                2331328);
    free(p);
}

/* Insertion after a backbone layer: later absolute `from`s shift, readers
 * of the layer now read the inserted one, the backbone grows by one. */
Test(placement, insertion_renumbers_from)
{
    char err[1024];
    struct model_yaml *base = model_yaml_read(MODELS "yolov8.yaml", err, sizeof err),
                      *got = malloc(sizeof *got);
    cr_assert(base && got, "%s", err);
    struct placement_variant v = {.insert = 1, .op = op_find("ACmix"), .nat = 2, .at = {4, 12}};
    cr_assert_eq(placement_apply(base, &v, got, err, sizeof err), 0, "%s", err);
    cr_expect_eq(got->nlayers, 25);
    cr_expect_eq(got->nbackbone, 11);
    cr_expect_str_eq(got->layers[5].module, "ACmix");
    cr_expect_str_eq(got->layers[14].module, "ACmix");
    cr_expect_eq(got->layers[12].from[1], 7);  /* Concat [-1, 6]: 6 is now 7 */
    cr_expect_eq(got->layers[16].from[1], 5);  /* Concat [-1, 4]: reads the ACmix after 4 */
    cr_expect_eq(got->layers[19].from[1], 14); /* Concat [-1, 12]: reads the ACmix after 12 */
    cr_expect_eq(got->layers[22].from[1], 10); /* Concat [-1, 9]: 9 is now 10 */
    cr_expect_eq(got->layers[24].from[0], 17); /* Detect [15, 18, 21] */
    cr_expect_eq(got->layers[24].from[1], 20);
    cr_expect_eq(got->layers[24].from[2], 23);
    cr_expect_eq(got->layers[15].from[0], -1); /* relative ones stay relative */
    free(base);
    free(got);
}

static void expect_error(const char *places, const char *expected)
{
    char dir[64], file[128], err[1024], script[1024], want[1024];
    temp_dir(dir, sizeof dir);
    snprintf(file, sizeof file, "%s/bad.lua", dir);
    snprintf(script, sizeof script,
             "return placement { name = 'x', model = 'yolov8.yaml', scales = 'n', imgsz = 64, "
             "places = { %s } }",
             places);
    write_file(file, script);
    struct placement_plan *p = malloc(sizeof *p);
    cr_assert(p);
    cr_expect_eq(placement_load(file, root, 0, p, err, sizeof err), -1);
    snprintf(want, sizeof want, expected, file, root);
    cr_expect_str_eq(err, want);
    free(p);
    remove_dir(dir);
}

Test(placement, errors_name_file_line_and_key)
{
    expect_error("{ replace = 'Conv', at = { 1 }, with = { module = 'AKConv' }, colour = 1 }",
                 "%s:1: placement: places[1]: unknown key 'colour' (known: replace, at, after, with, label)");
    expect_error("{ replace = 'Conv', at = { { 1, 30 } }, with = { module = 'AKConv' } }",
                 "%s:1: placement: places[1].at[1]: layer 30 does not exist (%s/experiments/models/"
                 "yolov8.yaml has layers 0 to 22)");
    expect_error("{ replace = 'Conv', at = { 1, 2 }, with = { module = 'AKConv', num_param = 3 } }",
                 "%s:1: placement: places[1].at[2]: layer 2 is C2f, not Conv");
    expect_error("{ replace = 'C2f', at = { 2 }, with = { module = 'ACmix' } }",
                 "%s:1: placement: places[1].at[1]: ACmix does not fit layer 2 (C2f): one keeps its "
                 "input's channels, the other sets its own");
    expect_error("{ after = { 15 }, with = { module = 'AKConv' } }",
                 "%s:1: placement: places[1].after[1]: AKConv cannot be inserted: it does not keep "
                 "its input's channels");
    expect_error("{ replace = 'Conv', at = { 1 }, with = { module = 'AKConv', num_param = 3, kernel = 3 } }",
                 "%s:1: placement: places[1].at[1]: with: AKConv's YAML argument 'kernel' cannot be "
                 "set here (its YAML args after the channels, in order, each needing the ones before: "
                 "num_param|stride|bias)");
    expect_error("{ replace = 'Conv', at = { 'one' }, with = { module = 'AKConv' } }",
                 "%s:1: placement: places[1].at[1] must be an integer (got string)");
    expect_error("{ replace = 'Conv', at = { 1 }, with = { module = 'Bogus' } }",
                 "%s:1: placement: places[1].with: unknown module 'Bogus'");
    expect_error("{ after = { 21 }, with = { module = 'ACmix' } }",
                 "%s:1: placement: places[1].after[1]: %s/experiments/models/yolov8.yaml:45: "
                 "layer 22: ACmix: input 2x2 too small for reflection padding 3");
}

Test(placement, flops_down_latency_up_flag)
{
    cr_expect_eq(placement_flops_down_latency_up(1e9, 12.0, 2e9, 10.0), 1);
    cr_expect_eq(placement_flops_down_latency_up(1e9, 9.0, 2e9, 10.0), 0);
    cr_expect_eq(placement_flops_down_latency_up(3e9, 12.0, 2e9, 10.0), 0);
}

/* One tiny run through the command: the base row and one placement,
 * counted and timed (quick, 64x64), rows in results.csv.  On the golden
 * YAML (scale t) that model_forward/bench_quick_generated_graph_agrees
 * runs at the same size, so on a cold cache it builds only the AKConv
 * kernels (6: three variants at two layers); on yolov8.yaml's scale n it
 * built ~23 that no other test shares (~25 CPU-s). */
Test(placement, tiny_run_writes_rows, .timeout = 300)
{
    char dir[64], file[128], args[512], csv[160], err[512];
    static char yaml[8192];
    temp_dir(dir, sizeof dir);
    slurp("tests/goldens/yolov8-golden.yaml", yaml, sizeof yaml);
    snprintf(file, sizeof file, "%s/yolov8-golden.yaml", dir);
    write_file(file, yaml);
    snprintf(file, sizeof file, "%s/tiny.lua", dir);
    write_file(file, "return placement { name = 'tiny', model = './yolov8-golden.yaml',\n"
                     "  scales = 't', imgsz = 64, threads = 1,\n"
                     "  places = { { replace = 'Conv', at = { { 16, 19 } },\n"
                     "  with = { module = 'AKConv', num_param = 3 } } } }\n");
    snprintf(args, sizeof args, "placement %s --quick --out %s/run", file, dir);
    struct run_out r;
    run_ablate(&r, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "AKConv at 16,19                                     216026    -0.3%"),
              "%s", r.out);
    snprintf(csv, sizeof csv, "%s/run/results.csv", dir);
    struct result_row *rows = NULL;
    cr_assert_eq(results_read(csv, &rows, err, sizeof err), 2, "%s", err);
    cr_expect_str_eq(rows[0].desc, "placement:yolov8-golden.yaml:t:base:imgsz64:t1");
    cr_expect_str_eq(rows[0].role, "baseline");
    cr_expect_str_eq(rows[0].layer, "t");
    cr_expect_eq(rows[0].params, 216638);
    cr_expect_str_eq(rows[1].module, "AKConv at 16,19");
    cr_expect_str_eq(rows[1].role, "module");
    cr_expect_str_eq(rows[1].args,
                     "model=yolov8-golden.yaml:scale=t:replace=Conv:module=AKConv:num_param=3");
    cr_expect_eq(rows[1].params, 216026);
    cr_expect_lt(rows[1].flops_thop, rows[0].flops_thop);
    for (int i = 0; i < 2; i++) {
        cr_expect_str_eq(rows[i].status, "ok", "%s", rows[i].message);
        cr_expect_gt(rows[i].median_ms, 0);
        cr_expect_eq(rows[i].h, 64);
        cr_expect_lt(rows[i].max_rel, 1e-4);
    }
    free(rows);
    snprintf(csv, sizeof csv, "%s/run/summary.md", dir);
    static char md[16384];
    slurp(csv, md, sizeof md);
    cr_expect(strstr(md, "| # | placement | params |"), "%s", md);
    cr_expect(strstr(md, "| base | base | 216638 |"), "the base unnumbered: %s", md);
    cr_expect(strstr(md, "| 1 | AKConv at 16,19 | 216026 |"), "%s", md);
    if (system("command -v gnuplot >/dev/null 2>&1") == 0) {
        const char *charts[] = {"params_vs_latency_t_t1.png", "params_vs_latency_t_t1.svg",
                                "flops_vs_latency_t_t1.png", "flops_vs_latency_t_t1.svg"};
        for (int i = 0; i < 4; i++) {
            snprintf(csv, sizeof csv, "%s/run/%s", dir, charts[i]);
            cr_expect_eq(access(csv, R_OK), 0, "%s", csv);
        }
        snprintf(csv, sizeof csv, "%s/run/params_vs_latency_t_t1.gp", dir);
        static char gp[16384];
        slurp(csv, gp, sizeof gp);
        /* fewer params than the base: on the front whatever its latency */
        cr_expect(strstr(gp, "'1 AKConv at 16,19' at screen"), "%s", gp);
        cr_expect(strstr(gp, "1 thread;"), "the threads in the caption: %s", gp);
    }
    remove_dir(dir);
}
