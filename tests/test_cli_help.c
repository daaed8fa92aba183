/* tests/test_cli_help.c — the CLI conventions: `--help`/`-h` on every verb
 * (stdout, exit 0), the same synopsis in bad-input messages, `--version`
 * with the build's commit, docs/cli.md naming every verb and option, and
 * `info --json` / `model --json` holding the facts the tables print. */
#include <criterion/criterion.h>
#include <jansson.h>

#include "cli_usage.h"
#include "test_util.h"

static void expect_verb_help(const struct cli_usage *u, const char *args)
{
    struct run_out r;
    char want[512];
    run_ablate(&r, args);
    cr_expect_eq(r.status, 0, "%s: status %d, %s", args, r.status, r.err);
    cr_expect_str_eq(r.err, "", "%s", args);
    snprintf(want, sizeof want, "usage: ablate %s\n\n%s.\n", u->synopsis, u->summary);
    cr_expect(strncmp(r.out, want, strlen(want)) == 0, "%s:\n%s", args, r.out);
    for (int k = 0; k < CLI_OPTIONS_MAX && u->options[k].name; k++)
        cr_expect(strstr(r.out, u->options[k].name) && strstr(r.out, u->options[k].help),
                  "%s: option %s not explained", args, u->options[k].name);
    cr_expect(strstr(r.out, "\nexit status: ") != NULL, "%s", args);
}

Test(cli_help, every_verb_help_and_h)
{
    int n = 0;
    for (const struct cli_usage *u; (u = cli_usage_at(n)) != NULL; n++) {
        char args[128];
        snprintf(args, sizeof args, "%s --help", u->verb);
        expect_verb_help(u, args);
        snprintf(args, sizeof args, "%s -h", u->verb);
        expect_verb_help(u, args);
        snprintf(args, sizeof args, "help %s", u->verb);
        expect_verb_help(u, args);
    }
    cr_expect_geq(n, 11, "%d verbs", n);
}

/* --help anywhere wins over the verb's own parsing: nothing runs. */
Test(cli_help, help_after_other_arguments)
{
    expect_verb_help(cli_usage_find("sweep"), "sweep experiments/akconv_params.lua --quick --help");
    expect_verb_help(cli_usage_find("info"), "info AKConv inc=4 -h");
}

Test(cli_help, top_level_lists_every_verb)
{
    const char *forms[] = {"--help", "-h", "help"};
    for (int f = 0; f < 3; f++) {
        struct run_out r;
        run_ablate(&r, forms[f]);
        cr_expect_eq(r.status, 0, "%s", forms[f]);
        cr_expect(strncmp(r.out, "usage: ablate COMMAND", 21) == 0, "%s", r.out);
        cr_expect(strstr(r.out, "  --version    ") != NULL, "%s", r.out);
        for (int i = 0; cli_usage_at(i); i++) {
            char line[256];
            snprintf(line, sizeof line, "\n  %-10s %s\n", cli_usage_at(i)->verb, cli_usage_at(i)->summary);
            cr_expect(strstr(r.out, line) != NULL, "%s: %s missing", forms[f], cli_usage_at(i)->verb);
        }
    }
    struct run_out r;
    run_ablate(&r, "");
    cr_expect_eq(r.status, 2);
    cr_expect(strncmp(r.err, "usage: ablate COMMAND", 21) == 0, "%s", r.err);
    run_ablate(&r, "help frobnicate");
    cr_expect_eq(r.status, 2);
    cr_expect(strncmp(r.err, "ablate: unknown command 'frobnicate'\n", 37) == 0, "%s", r.err);
}

/* A call that lacks what the verb needs prints the synopsis --help starts
 * with (compare and regress keep theirs in compare.c/regress.c: this
 * catches a drift). */
Test(cli_help, bad_usage_quotes_the_help_synopsis)
{
    static const struct {
        const char *verb, *args;
    } calls[] = {
        {"sweep", "sweep"},       {"info", "info"},
        {"parity", "parity Conv"}, {"model", "model"},
        {"placement", "placement"}, {"run", "run"},
        {"report", "report"},     {"compare", "compare a.csv"},
        {"regress", "regress --bogus"}, {"list", "list extra"},
        {"peak", "peak --bogus"},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        struct run_out r;
        char want[512];
        run_ablate(&r, calls[i].args);
        snprintf(want, sizeof want, "ablate: usage: ablate %s\n", cli_usage_find(calls[i].verb)->synopsis);
        cr_expect_eq(r.status, 2, "%s: status %d", calls[i].args, r.status);
        cr_expect_str_eq(r.err, want, "%s", calls[i].args);
    }
}

/* "ablate 0.1.0 (commit e4e5819-dirty)": in a git checkout the commit is
 * one git knows (HEAD may have moved since the build, so not necessarily HEAD). */
Test(cli_help, version_names_the_commit)
{
    struct run_out r;
    char version[32], commit[96], cmd[512];
    run_ablate(&r, "--version");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(sscanf(r.out, "ablate %31s (commit %95[^)])\n", version, commit), 2, "%s", r.out);
    cr_expect_str_eq(r.out + strlen(r.out) - 2, ")\n");
    const char *root = getenv("ABLATE_ROOT") ? getenv("ABLATE_ROOT") : ".";
    snprintf(cmd, sizeof cmd, "git -C '%s' rev-parse --git-dir >/dev/null 2>&1", root);
    if (system(cmd) != 0) {
        cr_expect_str_eq(commit, "unknown");
        return;
    }
    char *dirty = strstr(commit, "-dirty"), *g = strstr(commit, "-g");
    if (dirty)
        *dirty = 0;
    const char *hash = g ? g + 2 : commit; /* describe with a tag: TAG-N-gHASH */
    cr_expect_geq(strlen(hash), 7, "%s", commit);
    snprintf(cmd, sizeof cmd, "git -C '%s' cat-file -e '%s^{commit}' 2>/dev/null", root, hash);
    cr_expect_eq(system(cmd), 0, "commit '%s' unknown to git", hash);
}

/* docs/cli.md is the reference: every verb's synopsis and option there. */
Test(cli_help, docs_name_every_verb_and_option)
{
    static char doc[65536];
    slurp("docs/cli.md", doc, sizeof doc);
    cr_assert(strlen(doc) > 1000, "docs/cli.md missing or short");
    for (int i = 0; cli_usage_at(i); i++) {
        const struct cli_usage *u = cli_usage_at(i);
        char head[64];
        snprintf(head, sizeof head, "\n## `ablate %s`", u->verb);
        cr_expect(strstr(doc, head) != NULL, "docs/cli.md: no section %s", head + 1);
        cr_expect(strstr(doc, u->synopsis) != NULL, "docs/cli.md: no synopsis of %s", u->verb);
        for (int k = 0; k < CLI_OPTIONS_MAX && u->options[k].name; k++) {
            char opt[96];
            snprintf(opt, sizeof opt, "`%s`", u->options[k].name);
            cr_expect(strstr(doc, opt) != NULL, "docs/cli.md: %s %s not described", u->verb, opt);
        }
    }
}

/* ------------------------------------------------------------ --json */

static json_t *run_json(const char *args, struct run_out *r)
{
    json_error_t e;
    run_ablate(r, args);
    cr_assert_eq(r->status, 0, "%s: %s", args, r->err);
    json_t *o = json_loads(r->out, 0, &e);
    cr_assert(o && json_is_object(o), "%s: not one JSON object (%s):\n%s", args, e.text, r->out);
    return o;
}

static json_int_t int_at(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_integer(v), "'%s' is not an integer", key);
    return json_integer_value(v);
}

/* The value the table prints after "LABEL " (first number on that line). */
static long long table_value(const char *out, const char *label)
{
    char line[64];
    snprintf(line, sizeof line, "\n%-11s ", label);
    const char *p = strstr(out, line);
    cr_assert(p, "table has no %s", label);
    return atoll(p + strlen(line));
}

Test(cli_json, info_conv)
{
    struct run_out table, r;
    run_ablate(&table, "info Conv c1=16 c2=32 k=3 s=2 h=40 w=40");
    cr_assert_eq(table.status, 0);
    json_t *o = run_json("info Conv c1=16 c2=32 k=3 s=2 h=40 w=40 --json", &r);
    cr_expect_str_eq(json_string_value(json_object_get(o, "module")), "Conv");
    cr_expect_str_eq(json_string_value(json_object_get(o, "args_text")),
                     "c1=16:c2=32:k=3:s=2:p=-1:g=1:d=1:act=1:bn_eps=1e-05");
    json_t *args = json_object_get(o, "args");
    cr_expect_eq(int_at(args, "k"), 3);
    cr_expect_eq(int_at(args, "p"), -1);
    cr_expect(json_is_true(json_object_get(args, "act")));
    cr_expect_float_eq(json_real_value(json_object_get(args, "bn_eps")), 1e-5, 1e-12);
    json_int_t in[4], out[4];
    cr_assert_eq(json_unpack(o, "{s:[IIII], s:[IIII]}", "input", &in[0], &in[1], &in[2], &in[3], "output",
                             &out[0], &out[1], &out[2], &out[3]), 0);
    cr_expect(in[0] == 1 && in[1] == 16 && in[2] == 40 && in[3] == 40);
    cr_expect(out[0] == 1 && out[1] == 32 && out[2] == 20 && out[3] == 20);
    cr_expect_eq(int_at(o, "params"), 4672);
    const char *facts[] = {"params", "flops_thop", "flops_full", "bytes"};
    for (int i = 0; i < 4; i++)
        cr_expect_eq(int_at(o, facts[i]), table_value(table.out, facts[i]), "%s", facts[i]);
    cr_expect_eq(int_at(o, "macs_thop") * 2, int_at(o, "flops_thop"));
    json_t *sd = json_object_get(o, "state_dict");
    cr_assert_eq(json_array_size(sd), 6);
    const char *key, *dtype;
    json_t *shape;
    cr_assert_eq(json_unpack(json_array_get(sd, 0), "{s:s, s:s, s:o}", "key", &key, "dtype", &dtype, "shape",
                             &shape), 0);
    cr_expect_str_eq(key, "conv.weight");
    cr_expect_str_eq(dtype, "F32");
    cr_expect(json_array_size(shape) == 4 && json_integer_value(json_array_get(shape, 0)) == 32);
    cr_assert_eq(json_unpack(json_array_get(sd, 5), "{s:s, s:s, s:o}", "key", &key, "dtype", &dtype, "shape",
                             &shape), 0);
    cr_expect_str_eq(key, "bn.num_batches_tracked");
    cr_expect_str_eq(dtype, "I64");
    cr_expect_eq(json_array_size(shape), 0);
    json_decref(o);
}

Test(cli_json, model_yolov8n)
{
    struct run_out r;
    json_t *o = run_json("model experiments/models/yolov8.yaml --scale n --json", &r);
    cr_expect_str_eq(json_string_value(json_object_get(o, "name")), "YOLOv8n");
    cr_expect_str_eq(json_string_value(json_object_get(o, "scale")), "n");
    cr_expect_eq(int_at(o, "params"), 3157200);
    cr_expect_eq(int_at(o, "gradients"), 3157184);
    cr_expect_eq(int_at(o, "layers"), 225);
    cr_expect_eq(int_at(o, "leaf_layers"), 129);
    cr_expect_eq(int_at(o, "imgsz"), 640);
    cr_expect_eq(int_at(o, "flops_full"), 8824152800LL);
    cr_expect_eq(int_at(o, "bytes_min"), 20408768);
    cr_expect_float_eq(json_real_value(json_object_get(o, "gflops")), 8.8575488, 1e-9);
    cr_expect_str_eq(json_string_value(json_object_get(o, "gflops_path")), "probe");
    cr_expect(json_is_false(json_object_get(o, "fused")));
    cr_expect(json_object_get(o, "layer_table") == NULL, "layer_table only with --layers");
    json_decref(o);
}

Test(cli_json, model_layer_table_and_fuse)
{
    struct run_out r;
    json_t *o = run_json("model experiments/models/yolov8.yaml --scale n --layers --fuse --json", &r);
    cr_expect(json_is_true(json_object_get(o, "fused")));
    cr_expect_eq(int_at(o, "params"), 3151904);
    json_t *t = json_object_get(o, "layer_table");
    cr_assert_eq(json_array_size(t), 23);
    json_int_t params = 0;
    for (size_t i = 0; i < json_array_size(t); i++)
        params += int_at(json_array_get(t, i), "params");
    cr_expect_eq(params, 3157200, "the table's params add up to the unfused model's");
    json_t *first = json_array_get(t, 0), *concat = json_array_get(t, 11);
    cr_expect_eq(int_at(first, "from"), -1);
    cr_expect_str_eq(json_string_value(json_object_get(first, "module")), "ultralytics.nn.modules.conv.Conv");
    cr_expect_str_eq(json_string_value(json_object_get(first, "arguments")), "[3, 16, 3, 2]");
    json_t *from = json_object_get(concat, "from");
    cr_expect(json_array_size(from) == 2 && json_integer_value(json_array_get(from, 0)) == -1 &&
                  json_integer_value(json_array_get(from, 1)) == 6,
              "layer 11 reads [-1, 6]");
    json_decref(o);
}

Test(cli_json, model_json_not_with_bench)
{
    struct run_out r;
    run_ablate(&r, "model experiments/models/yolov8.yaml --json --bench");
    cr_expect_eq(r.status, 2);
    cr_expect_str_eq(r.err, "ablate: model: --json prints the summary (and --layers), not --weights or --bench\n");
}
