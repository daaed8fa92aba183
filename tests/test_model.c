/* tests/test_model.c — `ablate model` on the shipped YAMLs: the summary
 * line ultralytics prints, exact (MODULES.md 2.3: params, gradients,
 * layers, GFLOPs for yolov8 n/s/m/l/x and the seed YAMLs), the full FLOPs,
 * leaf layers and bytes_min of the second line, the --layers table and
 * --fuse. */
#include <criterion/criterion.h>

#include "ops.h"
#include "test_util.h"

#define MODELS "experiments/models/"

static void expect_model(const char *args, const char *want)
{
    struct run_out r;
    run_ablate(&r, args);
    cr_expect_eq(r.status, 0, "%s: status %d, stderr %s", args, r.status, r.err);
    cr_expect_str_eq(r.out, want, "%s", args);
}

/* Both lines for a model at 640: the summary, then the full counts. */
#define FULL_LINE(name, full, gflops, path, thop, leaves, bytes)                                 \
    name " full: " full " FLOPs at 640x640 (every multiply-add and elementwise op, MODULES.md "  \
         "1.2); GFLOPs " gflops " by the " path " path (thop at 640x640: " thop "); " leaves      \
         " leaf layers; bytes_min " bytes "\n"

Test(model, yolov8_every_scale)
{
    expect_model("model " MODELS "yolov8.yaml --scale n",
                 "YOLOv8n summary: 225 layers, 3157200 parameters, 3157184 gradients, 8.9 GFLOPs\n"
                 FULL_LINE("YOLOv8n", "8824152800", "8.8575488", "32x32 probe", "8.8575488", "129", "20408768"));
    expect_model("model " MODELS "yolov8.yaml --scale s",
                 "YOLOv8s summary: 225 layers, 11166560 parameters, 11166544 gradients, 28.8 GFLOPs\n"
                 FULL_LINE("YOLOv8s", "28748927200", "28.8168448", "32x32 probe", "28.8168448", "129", "52483968"));
    expect_model("model " MODELS "yolov8.yaml --scale m",
                 "YOLOv8m summary: 295 layers, 25902640 parameters, 25902624 gradients, 79.3 GFLOPs\n"
                 FULL_LINE("YOLOv8m", "79192946400", "79.3204224", "32x32 probe", "79.3204224", "169", "111480640"));
    expect_model("model " MODELS "yolov8.yaml --scale l",
                 "YOLOv8l summary: 365 layers, 43691520 parameters, 43691504 gradients, 165.7 GFLOPs\n"
                 FULL_LINE("YOLOv8l", "165540786400", "165.742848", "32x32 probe", "165.742848", "209", "182689536"));
    expect_model("model " MODELS "yolov8.yaml --scale x",
                 "YOLOv8x summary: 365 layers, 68229648 parameters, 68229632 gradients, 258.5 GFLOPs\n"
                 FULL_LINE("YOLOv8x", "258293183200", "258.5472512", "32x32 probe", "258.5472512", "209", "280888512"));
}

/* No --scale: the first of scales (ultralytics warns and takes it). */
Test(model, default_scale_is_the_first)
{
    struct run_out r;
    run_ablate(&r, "model " MODELS "yolov8.yaml");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "YOLOv8n summary: 225 layers, 3157200 parameters") == r.out, "%s", r.out);
}

/* ultralytics' parse_model table for yolov8n (the numbers of its log). */
Test(model, yolov8n_layer_table)
{
    expect_model("model " MODELS "yolov8.yaml --scale n --layers",
    "\n"
    "                   from  n    params  module                                       arguments                     \n"
    "  0                  -1  1       464  ultralytics.nn.modules.conv.Conv             [3, 16, 3, 2]                 \n"
    "  1                  -1  1      4672  ultralytics.nn.modules.conv.Conv             [16, 32, 3, 2]                \n"
    "  2                  -1  1      7360  ultralytics.nn.modules.block.C2f             [32, 32, 1, True]             \n"
    "  3                  -1  1     18560  ultralytics.nn.modules.conv.Conv             [32, 64, 3, 2]                \n"
    "  4                  -1  2     49664  ultralytics.nn.modules.block.C2f             [64, 64, 2, True]             \n"
    "  5                  -1  1     73984  ultralytics.nn.modules.conv.Conv             [64, 128, 3, 2]               \n"
    "  6                  -1  2    197632  ultralytics.nn.modules.block.C2f             [128, 128, 2, True]           \n"
    "  7                  -1  1    295424  ultralytics.nn.modules.conv.Conv             [128, 256, 3, 2]              \n"
    "  8                  -1  1    460288  ultralytics.nn.modules.block.C2f             [256, 256, 1, True]           \n"
    "  9                  -1  1    164608  ultralytics.nn.modules.block.SPPF            [256, 256, 5]                 \n"
    " 10                  -1  1         0  torch.nn.modules.upsampling.Upsample         [None, 2, 'nearest']          \n"
    " 11             [-1, 6]  1         0  ultralytics.nn.modules.conv.Concat           [1]                           \n"
    " 12                  -1  1    148224  ultralytics.nn.modules.block.C2f             [384, 128, 1]                 \n"
    " 13                  -1  1         0  torch.nn.modules.upsampling.Upsample         [None, 2, 'nearest']          \n"
    " 14             [-1, 4]  1         0  ultralytics.nn.modules.conv.Concat           [1]                           \n"
    " 15                  -1  1     37248  ultralytics.nn.modules.block.C2f             [192, 64, 1]                  \n"
    " 16                  -1  1     36992  ultralytics.nn.modules.conv.Conv             [64, 64, 3, 2]                \n"
    " 17            [-1, 12]  1         0  ultralytics.nn.modules.conv.Concat           [1]                           \n"
    " 18                  -1  1    123648  ultralytics.nn.modules.block.C2f             [192, 128, 1]                 \n"
    " 19                  -1  1    147712  ultralytics.nn.modules.conv.Conv             [128, 128, 3, 2]              \n"
    " 20             [-1, 9]  1         0  ultralytics.nn.modules.conv.Concat           [1]                           \n"
    " 21                  -1  1    493056  ultralytics.nn.modules.block.C2f             [384, 256, 1]                 \n"
    " 22        [15, 18, 21]  1    897664  ultralytics.nn.modules.head.Detect           [80, [64, 128, 256]]          \n"
                 "YOLOv8n summary: 225 layers, 3157200 parameters, 3157184 gradients, 8.9 GFLOPs\n"
                 FULL_LINE("YOLOv8n", "8824152800", "8.8575488", "32x32 probe", "8.8575488", "129", "20408768"));
}

/* BaseModel.fuse(): each Conv's BN folded into a conv bias (one module and
 * c2 params less per Conv, BN's thop gone); the fused convs are created
 * with requires_grad_(False), so only Detect's last 1x1 convs keep
 * gradients (a checkpoint loaded for inference shows 0: all frozen). */
Test(model, yolov8n_fused)
{
    expect_model("model " MODELS "yolov8.yaml --scale n --fuse",
                 "YOLOv8n summary (fused): 168 layers, 3151904 parameters, 31920 gradients, 8.7 GFLOPs\n"
                 FULL_LINE("YOLOv8n", "8824152800", "8.7464448", "32x32 probe", "8.7464448", "72", "20408768"));
}

/* The seed YAMLs whose modules are rows here (MODULES.md 2.3, scale n). */
Test(model, seed_yamls)
{
    expect_model("model " MODELS "yolov8-AKConv.yaml --scale n",
                 "YOLOv8n-AKConv summary: 243 layers, 2796564 parameters, 2796548 gradients, 8.2 GFLOPs\n"
                 FULL_LINE("YOLOv8n-AKConv", "8160927200", "8.1706496", "32x32 probe", "8.1706496", "141", "18966224"));
    expect_model("model " MODELS "yolov8-AKConv-upstream.yaml --scale n",
                 "YOLOv8n-AKConv-upstream summary: 243 layers, 3011928 parameters, 3011912 gradients, 8.7 GFLOPs\n"
                 FULL_LINE("YOLOv8n-AKConv-upstream", "8677349600", "8.6633984", "32x32 probe", "8.6633984", "141", "19827680"));
    expect_model("model " MODELS "yolov8-ACmix-1.yaml --scale n",
                 "YOLOv8n-ACmix-1 summary: 255 layers, 3453546 parameters, 3453530 gradients, 9.5 GFLOPs\n"
                 FULL_LINE("YOLOv8n-ACmix-1", "9675658400", "9.4947648", "full-image", "9.4947648", "156", "21594152"));
    expect_model("model " MODELS "yolov8-ACmix-2.yaml --scale n",
                 "YOLOv8n-ACmix-2 summary: 235 layers, 3375614 parameters, 3375598 gradients, 9.0 GFLOPs\n"
                 FULL_LINE("YOLOv8n-ACmix-2", "9034896800", "9.0375232", "full-image", "9.0375232", "138", "21282424"));
    expect_model("model " MODELS "yolov8-DynamicConv.yaml --scale n",
                 "YOLOv8n-DynamicConv summary: 225 layers, 4885608 parameters, 4885592 gradients, 7.7 GFLOPs\n"
                 FULL_LINE("YOLOv8n-DynamicConv", "8824002752", "7.6657664", "32x32 probe", "7.664387456", "129", "27317024"));
    expect_model("model " MODELS "yolov8-DYConv2d.yaml --scale n",
                 "YOLOv8n-DYConv2d summary: 237 layers, 4898016 parameters, 4898000 gradients, 7.7 GFLOPs\n"
                 FULL_LINE("YOLOv8n-DYConv2d", "8825717342", "7.6812608", "32x32 probe", "7.67178056", "135", "27366656"));
}

/* YAMLs of rows other branches add: on once the row is merged. */
Test(model, c2f_dynamicconv_yaml)
{
    if (!op_find("C2f_GhostModule_DynamicConv"))
        cr_skip_test("the C2f_GhostModule_DynamicConv row (alias C2f_DynamicConv) is not in this tree");
    struct run_out r;
    run_ablate(&r, "model " MODELS "yolov8-C2f_DynamicConv.yaml --scale n");
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "YOLOv8n-C2f_DynamicConv summary: 285 layers, 2331328 parameters, "
                            "2331312 gradients, 6.5 GFLOPs\n") == r.out, "%s", r.out);
    cr_expect(strstr(r.out, "GFLOPs 6.48896 by the 32x32 probe path (thop at 640x640: 6.485972288")
              != NULL, "%s", r.out);
}

/* YOLOv5 YAMLs: the anchor-based Detect of MODULES.md 3.7 is here, C3 and
 * C3_DCNv3_DLKA come from other branches. */
Test(model, yolov5n_yaml)
{
    if (!op_find("C3"))
        cr_skip_test("the C3 row is not in this tree");
    struct run_out r;
    run_ablate(&r, "model " MODELS "yolov5n.yaml");
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "YOLOv5n summary: 214 layers, 1872157 parameters, 1872157 gradients, "
                            "4.6 GFLOPs\n") == r.out, "%s", r.out);
    cr_expect(strstr(r.out, "GFLOPs 4.563968 by the 32x32 probe path") != NULL, "%s", r.out);
}

Test(model, yolov5_c3_dcnv3_dlka_seed_yaml)
{
    if (!op_find("C3") || !op_find("C3_DCNv3_DLKA"))
        cr_skip_test("the C3 and C3_DCNv3_DLKA rows are not both in this tree");
    struct run_out r;
    run_ablate(&r, "model " MODELS "yolov5-C3_DCNv3_DLKA.yaml");
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "YOLOv5-C3_DCNv3_DLKA summary: 335 layers, 2123357 parameters, "
                            "2123357 gradients, 5.2 GFLOPs\n") == r.out, "%s", r.out);
    cr_expect(strstr(r.out, "GFLOPs 5.1539968 by the 32x32 probe path") != NULL, "%s", r.out);
}

/* The anchor-based head on a model made of rows that are here. */
Test(model, anchor_based_detect_table_row)
{
    struct run_out r;
    char dir[64], path[128], args[256];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/yolov5t.yaml", dir);
    write_file(path, "nc: 80\ndepth_multiple: 0.33\nwidth_multiple: 0.25\n"
                     "anchors:\n  - [10, 13, 16, 30, 33, 23]\n  - [30, 61, 62, 45, 59, 119]\n"
                     "backbone:\n  [[-1, 1, Conv, [64, 6, 2, 2]], [-1, 1, Conv, [128, 3, 2]],\n"
                     "   [-1, 1, Conv, [256, 3, 2]]]\n"
                     "head:\n  [[[1, 2], 1, Detect, [nc, anchors]]]\n");
    snprintf(args, sizeof args, "model %s --layers", path);
    run_ablate(&r, args);
    cr_expect_eq(r.status, 0, "%s", r.err);
    /* 255 x (32 + 1) + 255 x (64 + 1) = 24,990; modules: 3 Convs x 3, Detect + m + 2 convs,
     * DetectionModel + Sequential + the shared SiLU */
    cr_expect(strstr(r.out, "  3              [1, 2]  1     24990  models.yolo.Detect                           "
                            "[80, [[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119]], [32, 64]]\n") != NULL,
              "%s", r.out);
    cr_expect(strstr(r.out, "YOLOv5t summary: 16 layers, ") != NULL, "%s", r.out);
    remove_dir(dir);
}

/* The seed-004 YAML with the v8 Detect head (MODULES.md 2.3's v8-Detect rows). */
static void expect_summary(const char *args, const char *line, const char *gflops)
{
    struct run_out r;
    run_ablate(&r, args);
    cr_expect_eq(r.status, 0, "%s: %s", args, r.err);
    cr_expect(strstr(r.out, line) == r.out, "%s: %s", args, r.out);
    cr_expect(strstr(r.out, gflops) != NULL, "%s: %s", args, r.out);
}

Test(model, seed004_with_v8_detect)
{
    if (!op_find("C3") || !op_find("C3_DCNv3_DLKA"))
        cr_skip_test("the C3 and C3_DCNv3_DLKA rows are not both in this tree");
    expect_summary("model " MODELS "yolov5-C3-v8detect.yaml",
                   "YOLOv5-C3-v8detect summary: 262 layers, 2654816 parameters, 2654800 gradients, 7.8 GFLOPs\n",
                   "GFLOPs 7.8401024 by the 32x32 probe path");
    expect_summary("model " MODELS "yolov5-C3_DCNv3_DLKA-v8detect.yaml",
                   "YOLOv5-C3_DCNv3_DLKA-v8detect summary: 382 layers, 2906016 parameters, 2906000 gradients, 8.4 GFLOPs\n",
                   "GFLOPs 8.4301312 by the 32x32 probe path");
    char dir[64], path[128], args[256], text[8192];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/official.yaml", dir);
    slurp(MODELS "yolov5-C3_DCNv3_DLKA-v8detect.yaml", text, sizeof text);
    strncat(text, "variants: {C3_DCNv3_DLKA: {variant: official}}\n", sizeof text - strlen(text) - 1);
    write_file(path, text);
    snprintf(args, sizeof args, "model %s", path);
    expect_summary(args, "official summary: 310 layers, 4497360 parameters, 4497344 gradients, 13.6 GFLOPs\n",
                   "GFLOPs 13.574912 by the 32x32 probe path");
    remove_dir(dir);
}
