/* tests/test_model_rows.c — the rows a whole model adds: SPPF (MODULES.md
 * 3.5), Detect (3.6) and the YOLOv5 anchor-based DetectV5 (3.7): counts
 * against the numbers ultralytics' yolov8n / yolov5n tables print, keys,
 * and Detect's decode on weights whose outputs are known in closed form. */
#include <criterion/criterion.h>
#include <math.h>

#include "counts_check.h"

Test(model_rows, sppf_yolov8n_layer9)
{
    struct instance m = instance_of("SPPF c1=256 c2=256 k=5 h=20 w=20");
    /* thop: Conv(256,128,1) + Conv(512,256,1) at 20x20; full adds 3 pools of 24 compares */
    CHECK_COUNTS(m, 164608, 66150400, 135526400, 4 * (2 * 256 * 400 + 164608 + 2 * (128 + 256)));
}

Test(model_rows, sppf_even_k)
{
    struct instance m;
    char err[ERR_MAX], *argv[] = {"SPPF", "c1=8", "c2=8", "k=4", "h=8", "w=8"};
    cr_expect_neq(instance_parse(&m, 6, argv, err, sizeof err), 0);
    cr_expect_str_eq(err, "SPPF: k must be odd");
}

/* yolov8n's head: 897,664 params (its parse_model log). */
Test(model_rows, detect_yolov8n_head)
{
    struct instance m = instance_of("Detect nc=80 ch0=64 ch1=128 ch2=256 h=80 w=80");
    cr_expect_eq(m.out.c, 84);
    cr_expect_eq(m.out.w, 8400);
    cr_expect_eq(m.op->params(&m.args), 897664);
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    cr_assert_eq(wl.n, 85);
    cr_expect_str_eq(wl.w[0].key, "cv2.0.0.conv.weight");
    cr_expect_str_eq(wl.w[12].key, "cv2.0.2.weight");
    cr_expect_str_eq(wl.w[42].key, "cv3.0.0.conv.weight");
    cr_expect_str_eq(wl.w[84].key, "dfl.conv.weight");
    cr_expect_eq(wl.w[54].shape[0], 80); /* cv3.0.2.weight (nc, c3, 1, 1) */
}

Test(model_rows, detect_nc_zero)
{
    struct instance m;
    char err[ERR_MAX], *argv[] = {"Detect", "nc=0", "ch0=8", "h=8", "w=8"};
    cr_expect_neq(instance_parse(&m, 5, argv, err, sizeof err), 0);
    cr_expect_str_eq(err, "Detect: nc must be >= 1");
}

/* yolov5n's head: 115,005 params; anchors buffer first in the state_dict. */
Test(model_rows, detect_v5_yolov5n_head)
{
    struct instance m = instance_of("DetectV5 nc=80 na=3 ch0=64 ch1=128 ch2=256 h=80 w=80");
    cr_expect_eq(m.out.c, 3 * 8400);
    cr_expect_eq(m.out.w, 85);
    cr_expect_eq(m.op->params(&m.args), 115005);
    /* one 1x1 conv per level, na * no = 255 outputs: 182,784,000 MACs */
    cr_expect_eq(m.op->flops_thop(&m.args, m.in), 2LL * 255 * (6400 * 64 + 1600 * 128 + 400 * 256));
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    cr_assert_eq(wl.n, 7);
    cr_expect_str_eq(wl.w[0].key, "anchors");
    cr_expect_str_eq(wl.w[1].key, "m.0.weight");
}

/* Zero convs and BN gamma 0 (SiLU(0) = 0): every box bin gets the same
 * logit, so DFL gives 7.5 on each side: box = (anchor centre, 15, 15) x
 * stride; cls = sigmoid(bias). */
Test(model_rows, detect_decode_uniform_bins)
{
    struct instance m = instance_of("Detect nc=2 ch0=4 ch1=4 stride0=8 h=4 w=6");
    struct weightset ws;
    char err[ERR_MAX];
    cr_assert_eq(weights_alloc(&ws, &m, err, sizeof err), 0, "%s", err);
    for (int i = 0; i < ws.wl.n; i++) {
        int64_t n = weight_numel(&ws.wl.w[i]);
        const char *k = ws.wl.w[i].key;
        for (int64_t j = 0; ws.ptr[i] && j < n; j++)
            ws.ptr[i][j] = strstr(k, "running_var") ? 1.0f
                           : strstr(k, "dfl") ? (float)j
                           : strstr(k, "cv3.") && strstr(k, ".2.bias") ? 1.0f
                                                                     : 0.0f;
    }
    int64_t A = 4 * 6 + 2 * 3;
    float *x = calloc(4 * 24 + 4 * 6, sizeof *x), *y = calloc((size_t)(6 * A), sizeof *y);
    m.op->forward_ref(&m.args, m.in, (const float *const *)ws.ptr, x, y);
    /* anchor 7 = level 0, row 1, column 1: centre (1.5, 1.5) * 8; anchor 25 = level 1 (1, 0) */
    cr_expect_float_eq(y[0 * A + 7], 12.0f, 1e-5);
    cr_expect_float_eq(y[1 * A + 7], 12.0f, 1e-5);
    cr_expect_float_eq(y[2 * A + 7], 120.0f, 1e-4);
    cr_expect_float_eq(y[3 * A + 25], 240.0f, 1e-4);
    cr_expect_float_eq(y[0 * A + 25], 24.0f, 1e-5);
    cr_expect_float_eq(y[1 * A + 25], 8.0f, 1e-5);
    cr_expect_float_eq(y[5 * A + 29], (float)(1.0 / (1.0 + exp(-1.0))), 1e-6);
    free(x);
    free(y);
    weights_free(&ws);
}
