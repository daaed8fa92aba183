/* tests/test_model_forward.c — the whole-graph reference forward (every
 * row's forward_ref, Upsample, Concat, Detect's DFL decode) against a
 * PyTorch export of a narrow YOLOv8 (scripts/torch_model_golden.py,
 * tests/goldens/yolov8-golden.yaml): MODULES.md 0.2's tolerance, and the
 * checks failing when they should. */
#include <criterion/criterion.h>

#include "safetensors.h"
#include "test_util.h"

#define GOLDEN "tests/goldens/model_yolov8t_64.safetensors"
#define YAML "tests/goldens/yolov8-golden.yaml"
#define MODEL_ARGS "model " YAML " --imgsz 64 "

Test(model_forward, narrow_yolov8_matches_pytorch)
{
    struct run_out r;
    run_ablate(&r, MODEL_ARGS "--weights " GOLDEN " --input " GOLDEN " --expect " GOLDEN);
    cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
    cr_expect(strstr(r.out, "\nref          max_abs=") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, " ok\n") != NULL, "%s", r.out);
}

/* A wrong expectation (all zeros) must fail with status 1. */
Test(model_forward, wrong_expectation_fails)
{
    char dir[64], path[128], args[512], err[256];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/zeros.safetensors", dir);
    static float zeros[6 * 84];
    struct st_tensor y = {.name = "y", .dtype = ST_F32, .ndim = 3, .shape = {1, 6, 84},
                          .numel = 6 * 84, .data = zeros, .nbytes = sizeof zeros};
    cr_assert_eq(st_write(path, 1, &y, 0, NULL, NULL, err, sizeof err), 0, "%s", err);
    snprintf(args, sizeof args, MODEL_ARGS "--weights " GOLDEN " --input " GOLDEN " --expect %s", path);
    struct run_out r;
    run_ablate(&r, args);
    cr_expect_eq(r.status, 1, "status %d: %s", r.status, r.err);
    cr_expect(strstr(r.out, " FAIL\n") != NULL, "%s", r.out);
    remove_dir(dir);
}

/* Weights of another model: the first key it lacks, named. */
Test(model_forward, missing_weights_named)
{
    struct run_out r;
    run_ablate(&r, "model experiments/models/yolov8.yaml --scale n --imgsz 64 --weights " GOLDEN
                   " --input " GOLDEN " --expect " GOLDEN);
    cr_expect_eq(r.status, 2);
    cr_expect_str_eq(r.err, "ablate: " GOLDEN ": tensor 'model.0.conv.weight' has shape [8, 3, 3, 3], "
                            "Conv expects [16, 3, 3, 3]\n");
}

/* --bench: every layer with a generator runs its generated kernel (SPPF
 * and Detect included); the generated graph must agree with
 * the reference graph.  Timings are not checked (a shared machine). */
Test(model_forward, bench_quick_generated_graph_agrees, .timeout = 300)
{
    struct run_out r;
    run_ablate(&r, "model " YAML " --imgsz 64 --bench --quick");
    cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
    cr_expect(strstr(r.out, "sgemm roof (OpenBLAS ") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "layer  module         impl     median_ms   GFLOP/s   share  %sgemm in_graph_ms\n") !=
                  NULL, "%s", r.out);
    /* each layer's time inside the end-to-end runs: measured, so above 0
     * (a Concat whose producers wrote in place may copy too little to show) */
    for (int i = 0; i <= 22; i++) {
        char row[32];
        double alone, in_graph;
        snprintf(row, sizeof row, "\n%5d  ", i);
        const char *at = strstr(r.out, row);
        cr_assert(at, "%s", r.out);
        const int concat = strncmp(at + 8, "Concat", 6) == 0;
        cr_expect(sscanf(at, "%*d %*s %*s %lf %*f %*f%% %*f%% %lf", &alone, &in_graph) == 2 &&
                      (in_graph > 0 || (concat && in_graph == 0)),
                  "layer %d: %.60s", i, at + 1);
    }
    cr_expect(strstr(r.out, "\n    9  SPPF           gen ") != NULL, "%s", r.out);
    /* the Upsample before it and layer 6 (read by 7 too) write into its buffer */
    cr_expect(strstr(r.out, "\n   11  Concat         alias ") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "\n   22  Detect         gen ") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "YOLOv8t-golden end-to-end at 64x64, 1 thread: ") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "vCPU skew") == NULL, "1 thread: no skew to give: %s", r.out);
    cr_expect(strstr(r.out, "generated graph vs reference graph: max_abs=") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, " ok\n") != NULL, "%s", r.out);
    /* without --torch: the peer is named, not run (make test stays free of Python) */
    cr_expect(strstr(r.out, "\nPyTorch eager peer: --torch, or /usr/bin/python3 "
                            "scripts/torch_model_peer.py " YAML " t 64 1\n") != NULL, "%s", r.out);
}

Test(model_forward, bench_bad_threads)
{
    struct run_out r;
    run_ablate(&r, "model " YAML " --bench --threads 0");
    cr_expect_eq(r.status, 2);
    cr_expect_str_eq(r.err, "ablate: model: --threads must be from 1 to 256 (got '0')\n");
}
