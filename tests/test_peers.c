/* tests/test_peers.c — the deployment peers (ONNX Runtime, OpenVINO): a
 * sweep with backends ort/openvino appends timed rows with parity, a
 * missing virtual environment gives `skipped` rows that say how to install
 * it, a wrong export is caught as fail_parity, and `ablate model --peers`
 * checks its list.  The engine tests are skipped where `make peers` has
 * not been run (the reason is printed); the skipped path needs only
 * Debian's python3-torch. */
#include <criterion/criterion.h>

#include "peers.h"
#include "results.h"
#include "test_util.h"

#define MODEL_YAML "tests/goldens/yolov8-golden.yaml"

/* One small AKConv configuration (gather + clamp in the export), ref only. */
static const char *const EXPERIMENT =
    "return sweep { name = \"peers\", module = \"AKConv\",\n"
    "  shapes = {{layer = \"A\", c1 = 4, c2 = 8, h = 12, w = 10, stride = 2}},\n"
    "  args = { num_param = { 3 } }, threads = { 1 },\n"
    "  backends = { \"ref\", \"ort\", \"openvino\" } }\n";

/* The same configuration without the ref backend: the peers take their
 * configurations from the generated rows then. */
static const char *const EXPERIMENT_NO_REF =
    "return sweep { name = \"peers\", module = \"AKConv\",\n"
    "  shapes = {{layer = \"A\", c1 = 4, c2 = 8, h = 12, w = 10, stride = 2}},\n"
    "  args = { num_param = { 3 } }, threads = { 1 },\n"
    "  backends = { \"gen\", \"torch\" } }\n";

static int have_system_torch(void)
{
    return system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

/* 1 when .venv-peers (as the sweep finds it) imports the engine's package. */
static int have_engine(const char *package)
{
    char py[1024], why[1200], cmd[1400];
    const char *root = getenv("ABLATE_ROOT");
    if (peer_python(root && *root ? root : ".", py, sizeof py, why, sizeof why) != 0)
        return 0;
    snprintf(cmd, sizeof cmd, "'%s' -c 'import %s' >/dev/null 2>&1", py, package);
    return system(cmd) == 0;
}

/* Runs the sweep EXPERIMENT with ENV (shell assignments) in a fresh
 * folder; dir gets it. */
static void run_experiment(const char *experiment, const char *env, char *dir, size_t dirlen)
{
    char file[128], cmd[1024];
    struct run_out r;
    temp_dir(dir, dirlen);
    snprintf(file, sizeof file, "%s/peers.lua", dir);
    write_file(file, experiment);
    snprintf(cmd, sizeof cmd, "%s %s sweep %s --quick --out %s/run", env, ablate_bin(), file, dir);
    run_shell(&r, cmd);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
}

static void run_sweep(const char *env, char *dir, size_t dirlen)
{
    run_experiment(EXPERIMENT, env, dir, dirlen);
}

/* The row of impl in dir's results (copied), 0 if found. */
static int find_row(const char *dir, const char *impl, struct result_row *out)
{
    char csv[160], err[256];
    struct result_row *rows;
    snprintf(csv, sizeof csv, "%s/run/results.csv", dir);
    int n = results_read(csv, &rows, err, sizeof err);
    cr_assert(n > 0, "%s", err);
    int found = -1;
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].impl, impl)) {
            *out = rows[i];
            found = 0;
        }
    free(rows);
    return found;
}

/* The export and run path: ok, timed, parity recorded, version in meta.json. */
static void check_engine(const char *impl, const char *package, const char *long_name)
{
    if (!have_engine(package))
        cr_skip_test("%s is not installed in .venv-peers (make peers)", package);
    char dir[64], meta[8192], path[160], want[64];
    struct result_row row;
    run_sweep("", dir, sizeof dir);
    cr_assert_eq(find_row(dir, impl, &row), 0, "no %s row", impl);
    cr_expect_str_eq(row.status, "ok", "%s: %s (max_rel %g)", impl, row.message, row.max_rel);
    cr_expect_eq(row.threads, 1);
    cr_expect(row.median_ms > 0 && row.samples >= 5, "median %g, %d samples", row.median_ms, row.samples);
    cr_expect(row.max_rel <= 1e-4, "max_rel %g", row.max_rel);
    cr_expect(strncmp(row.message, long_name, strlen(long_name)) == 0, "%s", row.message);
    cr_expect(strstr(row.desc, ":t1:impl=") && strstr(row.desc, impl), "%s", row.desc);
    snprintf(path, sizeof path, "%s/run/meta.json", dir);
    slurp(path, meta, sizeof meta);
    snprintf(want, sizeof want, "\"%s\": \"", impl);
    cr_expect(strstr(meta, "\"peers\"") && strstr(meta, want), "%s", meta);
    remove_dir(dir);
}

Test(peers, ort_exports_and_runs, .timeout = 300)
{
    check_engine("ort", "onnxruntime", "ONNX Runtime ");
}

Test(peers, openvino_exports_and_runs, .timeout = 300)
{
    check_engine("openvino", "openvino", "OpenVINO ");
}

Test(peers, skipped_without_the_venv, .timeout = 300)
{
    if (!have_system_torch())
        cr_skip_test("/usr/bin/python3 has no torch (apt-get install python3-torch)");
    char dir[64];
    struct result_row row;
    run_sweep("ABLATE_PEERS_VENV=/nonexistent/venv", dir, sizeof dir);
    cr_assert_eq(find_row(dir, "ort", &row), 0, "no ort row");
    cr_expect_str_eq(row.status, "skipped");
    cr_expect_str_eq(row.message, "ONNX Runtime: no virtual environment at /nonexistent/venv; "
                                  "install: make peers (or .venv-peers/bin/pip install onnxruntime)");
    cr_assert_eq(find_row(dir, "openvino", &row), 0, "no openvino row");
    cr_expect_str_eq(row.status, "skipped");
    cr_expect_str_eq(row.message, "OpenVINO: no virtual environment at /nonexistent/venv; "
                                  "install: make peers (or .venv-peers/bin/pip install openvino)");
    cr_assert_eq(find_row(dir, "ref", &row), 0, "the sweep's own rows are there");
    cr_expect_str_eq(row.status, "ok");
    remove_dir(dir);
}

/* A sweep with backends { "gen", "torch" } has no ref rows; the PyTorch
 * peer times the configuration of its generated rows (it appended nothing
 * before: it took configurations from ref rows only). */
Test(peers, torch_rows_without_the_ref_backend, .timeout = 300)
{
    if (!have_system_torch())
        cr_skip_test("/usr/bin/python3 has no torch (apt-get install python3-torch)");
    char dir[64];
    struct result_row row;
    run_experiment(EXPERIMENT_NO_REF, "", dir, sizeof dir);
    cr_assert_eq(find_row(dir, "torch", &row), 0, "no torch row");
    cr_expect_str_eq(row.status, "ok", "%s", row.message);
    cr_expect(row.median_ms > 0, "median %g", row.median_ms);
    cr_expect_str_eq(row.module, "AKConv");
    cr_expect(strstr(row.desc, ":t1:impl=torch") != NULL, "%s", row.desc);
    cr_expect_eq(find_row(dir, "ref", &row), -1, "no ref row in this sweep");
    remove_dir(dir);
}

/* ABLATE_PEER_PERTURB=1 exports out * 1.001 + 0.01 (scripts/peer_export.py). */
Test(peers, wrong_export_fails_parity, .timeout = 300)
{
    if (!have_engine("onnxruntime"))
        cr_skip_test("onnxruntime is not installed in .venv-peers (make peers)");
    char dir[64];
    struct result_row row;
    run_sweep("ABLATE_PEER_PERTURB=1", dir, sizeof dir);
    cr_assert_eq(find_row(dir, "ort", &row), 0, "no ort row");
    cr_expect_str_eq(row.status, "fail_parity");
    cr_expect(row.max_abs >= 0.009, "max_abs %g", row.max_abs);
    cr_assert_eq(find_row(dir, "ref", &row), 0);
    cr_expect_str_eq(row.status, "ok", "a peer's wrong export is not ours");
    /* the report's peer table shows the status, not a fast time */
    struct run_out r;
    char cmd[256], path[160], md[16384];
    snprintf(cmd, sizeof cmd, "report %s/run", dir);
    run_ablate(&r, cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    snprintf(path, sizeof path, "%s/run/report.md", dir);
    slurp(path, md, sizeof md);
    const char *sec = strstr(md, "## Deployment peers (same run)\n");
    cr_assert(sec, "%s", md);
    cr_expect(strstr(sec, "| A | 1 | AKConv | ") && strstr(sec, " | fail_parity | "), "%s", sec);
    static char html[1 << 20]; /* report.html has the same table */
    snprintf(path, sizeof path, "%s/run/report.html", dir);
    slurp(path, html, sizeof html);
    sec = strstr(html, "<section id=\"peers\"><h2>Deployment peers (same run)</h2>");
    cr_assert(sec, "no peer table in report.html");
    cr_expect(strstr(sec, "<td>A</td><td>1</td><td>AKConv</td>") && strstr(sec, "<td>fail_parity</td>"),
              "%.2000s", sec);
    remove_dir(dir);
}

Test(peers, model_unknown_peer)
{
    struct run_out r;
    run_ablate(&r, "model " MODEL_YAML " --bench --peers torch,tvm");
    cr_expect_eq(r.status, 2);
    cr_expect_str_eq(r.err, "ablate: model: unknown peer 'tvm' in --peers (known: torch, ort, openvino)\n");
}

Test(peers, model_peer_skipped_without_the_venv, .timeout = 120)
{
    struct run_out r;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ABLATE_PEERS_VENV=/nonexistent/venv %s model " MODEL_YAML
                              " --imgsz 64 --scale t --bench --quick --peers ort,openvino", ablate_bin());
    run_shell(&r, cmd);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "\nONNX Runtime peer: skipped (no virtual environment at /nonexistent/venv; "
                            "install: make peers)\n") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "\nOpenVINO peer: skipped (no virtual environment at /nonexistent/venv; "
                            "install: make peers)\n") != NULL, "%s", r.out);
}

/* `ablate model ... --bench --quick --peers LIST` at 64x64, 1 thread, with
 * ENV (shell assignments) in front; r gets its output. */
static void run_model_peers(struct run_out *r, const char *env, const char *yaml_and_scale, const char *list)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s model %s --imgsz 64 --bench --quick --peers %s", env, ablate_bin(),
             yaml_and_scale, list);
    run_shell(r, cmd);
    cr_assert_eq(r->status, 0, "%s\n%s", r->out, r->err);
}

/* A wrong whole-model export says fail_parity with its numbers, and no ratio. */
Test(peers, model_wrong_export_fails_parity, .timeout = 300)
{
    if (!have_engine("onnxruntime"))
        cr_skip_test("onnxruntime is not installed in .venv-peers (make peers)");
    struct run_out r;
    double max_abs = 0, max_rel = 0, nmse = 0;
    run_model_peers(&r, "ABLATE_PEER_PERTURB=1", MODEL_YAML " --scale t", "ort");
    const char *line = strstr(r.out, "\nONNX Runtime peer: fail_parity (max_abs ");
    cr_assert(line, "%s", r.out);
    cr_expect_eq(sscanf(line, "\nONNX Runtime peer: fail_parity (max_abs %lf max_rel %lf nmse %lf vs float64): "
                              "no ratio\n", &max_abs, &max_rel, &nmse), 3, "%s", line);
    cr_expect(max_abs >= 0.009 && max_rel > 1e-4 && nmse > 0, "%s", line);
    cr_expect(!strstr(r.out, "/ ONNX Runtime"), "no ratio for a wrong export:\n%s", r.out);
    cr_expect(!strstr(r.out, "skipped"), "%s", r.out);
}

/* A virtual environment without the engine: skipped with the reason. */
Test(peers, model_engine_missing_is_skipped, .timeout = 120)
{
    if (!have_system_torch())
        cr_skip_test("/usr/bin/python3 has no torch (apt-get install python3-torch)");
    char dir[64], bin[96], cmd[256], want[512];
    struct run_out r;
    temp_dir(dir, sizeof dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/bin && ln -s /usr/bin/python3 %s/bin/python", dir, dir);
    run_shell(&r, cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    snprintf(bin, sizeof bin, "ABLATE_PEERS_VENV=%s", dir);
    run_model_peers(&r, bin, MODEL_YAML " --scale t", "openvino");
    snprintf(want, sizeof want, "\nOpenVINO peer: skipped (%s/bin/python cannot import openvino; install: make peers "
                                "(or .venv-peers/bin/pip install openvino))\n", dir);
    cr_expect(strstr(r.out, want), "%s", r.out);
    remove_dir(dir);
}

/* A YOLOv5-style YAML (no scales, anchor-based Detect) has a model peer:
 * exported, checked and timed, with the ratio line. */
Test(peers, model_yolov5_yaml_peer, .timeout = 300)
{
    if (!have_engine("onnxruntime"))
        cr_skip_test("onnxruntime is not installed in .venv-peers (make peers)");
    struct run_out r;
    run_model_peers(&r, "", "experiments/models/yolov5n.yaml", "ort");
    cr_expect(strstr(r.out, "\nort ") && strstr(r.out, " yolov5n.yaml 64: threads 1: median ") &&
                  strstr(r.out, ", parity ok max_rel "), "%s", r.out);
    cr_expect(strstr(r.out, "\nYOLOv5n at 64x64, 1 thread: ours ") && strstr(r.out, " ms / ONNX Runtime "),
              "%s", r.out);
}
