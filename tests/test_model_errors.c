/* tests/test_model_errors.c — a bad model YAML or `ablate model` command
 * line gets one line "ablate: FILE:LINE: problem" and exit status 2; the
 * texts are part of the interface. */
#include <criterion/criterion.h>

#include "known_modules.h"
#include "test_util.h"

/* A two-layer model; `layers` replaces its layer list when given. */
static const char base_head[] = "nc: 80\nscales:\n  n: [0.33, 0.25, 1024]\nbackbone:\n";

/* Writes TEXT to DIR/m.yaml, runs `ablate model DIR/m.yaml OPTS`, expects
 * status 2 and stderr "ablate: DIR/m.yaml" + want_after_path. */
static void expect_yaml_error(const char *text, const char *opts, const char *want_after_path)
{
    char dir[64], path[128], args[512], want[1024];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.yaml", dir);
    write_file(path, text);
    snprintf(args, sizeof args, "model %s %s", path, opts);
    snprintf(want, sizeof want, "ablate: %s%s\n", path, want_after_path);
    struct run_out r;
    run_ablate(&r, args);
    cr_expect_eq(r.status, 2, "status %d for %s", r.status, text);
    cr_expect_str_eq(r.err, want);
    cr_expect_str_eq(r.out, "");
    remove_dir(dir);
}

static void expect_layers_error(const char *layers, const char *opts, const char *want)
{
    char text[2048];
    snprintf(text, sizeof text, "%s%s", base_head, layers);
    expect_yaml_error(text, opts, want);
}

Test(model_errors, malformed_yaml)
{
    expect_yaml_error("nc: 80\nbackbone: [[-1, 1, Conv, [16, 3, 2]]\nhead: []\n", "",
                      ":3: malformed YAML: did not find expected ',' or ']' while parsing a flow sequence");
    expect_yaml_error("nc: 80\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  x: 1\nhead: []\n", "",
                      ":4: malformed YAML: did not find expected '-' indicator while parsing a block collection");
    expect_yaml_error("a: &x [1]\nb: *y\n", "", ":2: malformed YAML: found undefined alias");
    expect_yaml_error("", "", ":1: a model YAML must be a mapping with nc, backbone and head");
    expect_yaml_error("- 1\n- 2\n", "", ":1: a model YAML must be a mapping with nc, backbone and head");
}

Test(model_errors, top_level_keys)
{
    expect_yaml_error("nc: 80\ncolour: red\n", "",
                      ":2: unknown key 'colour' (known: nc, scales, depth_multiple, width_multiple, "
                      "anchors, variants, backbone, head)");
    expect_yaml_error("nc: 0\n", "", ":1: nc must be an integer from 1 to 100000");
    expect_yaml_error("backbone:\n  - [-1, 1, Conv, [16]]\nhead: []\n", "",
                      ":1: nc (number of classes) is missing");
    expect_yaml_error("nc: 80\nhead: []\n", "", ":2: backbone must come before head");
    expect_yaml_error("nc: 80\nscales:\n  n: [0.33, 0.25]\nbackbone: []\nhead: []\n", "",
                      ":3: scale 'n' must be [depth, width, max_channels], all > 0");
    expect_yaml_error("nc: 80\ndepth_multiple: -1\n", "", ":2: depth_multiple must be a number > 0");
}

Test(model_errors, bad_scale)
{
    expect_layers_error("  - [-1, 1, Conv, [16, 3, 2]]\nhead: []\n", "--scale q",
                        ":2: unknown scale 'q' (scales: n)");
    expect_yaml_error("nc: 80\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\nhead: []\n", "--scale n",
                      ":1: scale 'n' asked for, but the YAML has no scales");
}

Test(model_errors, layer_shape)
{
    expect_layers_error("  - [-1, 1, Conv]\nhead: []\n", "",
                        ":5: layer 0: must be [from, repeats, module, args]");
    expect_layers_error("  - [-1, 0, Conv, [16]]\nhead: []\n", "",
                        ":5: layer 0: repeats must be an integer from 1 to 1000");
    expect_layers_error("  - [x, 1, Conv, [16]]\nhead: []\n", "",
                        ":5: layer 0: from must be an integer or a list of them");
    expect_layers_error("  - [-1, 1, Conv, 16]\nhead: []\n", "", ":5: layer 0: args must be a list");
}

Test(model_errors, unknown_module)
{
    char known[512], want[768]; /* every row is usable in a model, then the plumbing */
    snprintf(want, sizeof want, ":7: layer 1: unknown module 'Convv' (known: %s, nn.Upsample, Concat)",
             known_modules_text(known, sizeof known));
    expect_layers_error("  - [-1, 1, Conv, [16, 3, 2]]\nhead:\n  - [-1, 1, Convv, [16]]\n", "", want);
}

Test(model_errors, bad_from_index)
{
    expect_layers_error("  - [-1, 1, Conv, [16, 3, 2]]\nhead:\n  - [[-1, 1], 1, Concat, [1]]\n", "",
                        ":7: layer 1: bad from index 1 (an earlier layer: -1, -2, ... or 0 to 0)");
    expect_layers_error("  - [-2, 1, Conv, [16, 3, 2]]\nhead: []\n", "",
                        ":5: layer 0: bad from index -2 (an earlier layer: -1, -2, ... or 0 to -1)");
    expect_layers_error("  - [-1, 1, Conv, [16, 3, 2]]\nhead:\n  - [[-1, 0], 1, Conv, [16]]\n", "",
                        ":7: layer 1: Conv takes one input (from has 2)");
}

Test(model_errors, wrong_arg_count)
{
    expect_layers_error("  - [-1, 1, Conv, [16, 3, 2, 1, 1, 1, True, 9]]\nhead: []\n", "",
                        ":5: layer 0: Conv takes at most 7 args [c2, k, s, p, g, d, act] (got 8)");
    expect_layers_error("  - [-1, 1, SPPF, [16, 5, 1]]\nhead: []\n", "",
                        ":5: layer 0: SPPF takes at most 2 args [c2, k] (got 3)");
    expect_layers_error("  - [-1, 1, Conv, []]\nhead: []\n", "",
                        ":5: layer 0: Conv: args must start with c2, an integer from 1 to 1000000");
    expect_layers_error("  - [-1, 1, Conv, [16]]\nhead:\n  - [-1, 1, Detect, [nc, 3]]\n", "",
                        ":7: layer 1: Detect takes [nc] (got 2 args)");
    expect_layers_error("  - [-1, 1, Conv, [16]]\nhead:\n  - [-1, 1, nn.Upsample, [None, 2, bilinear]]\n",
                        "", ":7: layer 1: nn.Upsample: only [None, scale (1 to 64), 'nearest'] is supported");
}

Test(model_errors, bad_arg_values)
{
    expect_layers_error("  - [-1, 1, Conv, [16, three]]\nhead: []\n", "",
                        ":5: layer 0: Conv: argument 'k' must be an integer (got 'three')");
    expect_layers_error("  - [-1, 1, SPPF, [16, 4]]\nhead: []\n", "", ":5: layer 0: SPPF: k must be odd");
    expect_layers_error("  - [-1, 1, Conv, [16, [3, 3]]]\nhead: []\n", "",
                        ":5: layer 0: Conv: argument 'k' must be a scalar (got a list)");
    expect_layers_error("  - [-1, 1, AKConv, [16, 3, 2, {grid: zz}]]\nhead: []\n", "",
                        ":5: layer 0: AKConv: argument 'grid' must be one of ij|xy (got 'zz')");
}

Test(model_errors, shapes)
{
    expect_layers_error("  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, Conv, [16, 3, 2]]\nhead:\n"
                        "  - [[-1, 0], 1, Concat, [1]]\n", "",
                        ":8: layer 2: Concat: inputs differ in size (64x64 and 128x128)");
    expect_layers_error("  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, Conv, [16, 3, 2]]\nhead:\n"
                        "  - [[1, 0], 1, Detect, [nc]]\n", "",
                        ":8: layer 2: Detect: input 1 is 128x128, expected 32x32 (half of input 0)");
}

static void expect_cli_error(const char *args, const char *want)
{
    struct run_out r;
    run_ablate(&r, args);
    cr_expect_eq(r.status, 2, "status %d for %s", r.status, args);
    cr_expect_str_eq(r.err, want);
}

Test(model_errors, command_line)
{
    expect_cli_error("model", "ablate: usage: ablate model FILE.yaml [--scale n|s|m|l|x] [--imgsz 640] "
                              "[--layers] [--fuse] [--weights W --input X --expect Y] [--bench [--threads N] [--quick] [--peers torch,ort,openvino] [--torch]]\n");
    expect_cli_error("model experiments/models/yolov8.yaml --weights W",
                     "ablate: usage: ablate model FILE.yaml [--scale n|s|m|l|x] [--imgsz 640] "
                     "[--layers] [--fuse] [--weights W --input X --expect Y] [--bench [--threads N] [--quick] [--peers torch,ort,openvino] [--torch]]\n");
    expect_cli_error("model experiments/models/yolov8.yaml --imgsz 100",
                     "ablate: model: --imgsz must be a multiple of 32 from 32 to 8192 (got '100')\n");
    expect_cli_error("model experiments/models/yolov8.yaml --bogus",
                     "ablate: model: unknown option '--bogus' (usage: ablate model FILE.yaml [--scale "
                     "n|s|m|l|x] [--imgsz 640] [--layers] [--fuse] [--weights W --input X --expect Y] [--bench [--threads N] [--quick] [--peers torch,ort,openvino] [--torch]])\n");
    expect_cli_error("model /nonexistent/m.yaml",
                     "ablate: /nonexistent/m.yaml: cannot open (No such file or directory)\n");
}

/* At 32x32 ACmix gets a 1x1 map: too small for its reflection padding
 * (the reason ultralytics' probe falls back to the full image at 640). */
Test(model_errors, map_too_small_at_imgsz)
{
    expect_cli_error("model experiments/models/yolov8-ACmix-2.yaml --imgsz 32",
                     "ablate: experiments/models/yolov8-ACmix-2.yaml:46: layer 22: ACmix: input 1x1 "
                     "too small for reflection padding 3\n");
}
