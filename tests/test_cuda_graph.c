/* tests/test_cuda_graph.c — a whole model through the generated CUDA
 * kernels without a GPU (harness/cuda_graph.c): `ablate model --bench
 * --backends cuda-host,cuda` runs the graph layer by layer on the
 * host-emulated .cu kernels at batch 2, checks it against the reference
 * graph, and says why the device graph is skipped.  Small images (64x64)
 * keep the reference graph fast; the kernels' compiles are cached. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "cuda_gen.h"
#include "cuda_rt.h"
#include "test_util.h"

static void need_nvcc(void)
{
    char path[GEN_PATH_MAX], err[ERR_MAX];
    if (cuda_find_nvcc(path, sizeof path, err, sizeof err) != 0)
        cr_skip_test("%s", err);
}

/* The host graph's line, ok; the device line: skipped with the reason. */
static void check_model(const char *yaml, int layers)
{
    need_nvcc();
    char cmd[256], want[160], why[ERR_MAX];
    struct run_out r;
    /* with a device, the device graph is scripts/gpu_check.sh's (its ~35
     * device builds do not belong in a unit test) */
    int device = cuda_device_present(why, sizeof why) == 0;
    snprintf(cmd, sizeof cmd, "model %s --imgsz 64 --bench --backends %s", yaml,
             device ? "cuda-host" : "cuda-host,cuda");
    run_ablate(&r, cmd);
    cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
    snprintf(want, sizeof want, "cuda-host graph at 64x64, batch 2, %d layers on CUDA kernels "
                                "(host emulation) vs reference graph: max_abs=", layers);
    const char *line = strstr(r.out, want);
    cr_expect(line != NULL, "%s", r.out);
    cr_expect(line && strstr(line, " ok\n"), "%s", r.out);
    if (!device)
        cr_expect(strstr(r.out, "cuda: skipped (no CUDA ") != NULL, "%s", r.out);
}

/* Conv, C2f, SPPF, Upsample, Concat, Detect (17 op layers of 23). */
Test(cuda_graph, yolov8_host_emulated, .timeout = 300)
{
    check_model("experiments/models/yolov8.yaml", 17);
}

/* YOLOv5 layout with C3_DCNv3_DLKA (blog attention) and the anchor-based DetectV5. */
Test(cuda_graph, yolov5_dlka_host_emulated, .timeout = 300)
{
    check_model("experiments/models/yolov5-C3_DCNv3_DLKA.yaml", 19);
}

Test(cuda_graph, rejects_an_unknown_backend)
{
    struct run_out r;
    run_ablate(&r, "model experiments/models/yolov8.yaml --bench --backends gen,rocm");
    cr_expect_eq(r.status, 2);
    cr_expect_str_eq(r.err, "ablate: model: unknown backend 'rocm' (known: gen, cuda-host, cuda)\n");
}
