/* tests/test_acmix.c — ACmix's op row (kernels/acmix.c): MODULES.md §8's
 * worked examples, the state_dict layout, the paper init, and the exact
 * text of every invalid configuration of MODULES.md 5.2 item 7. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "counts_check.h"
#include "test_util.h"


/* MODULES.md §8: ACmix(64, 64) and ACmix(64, 64, stride=2) on 1x64x80x80. */
Test(acmix, worked_example_stride1)
{
    const char *kv[] = {"in_planes=64", "out_planes=64"};
    struct instance m = make_instance("ACmix", kv, 2, 80, 80);
    cr_expect_eq(m.out.c, 64);
    cr_expect_eq(m.out.h, 80);
    cr_expect_eq(m.out.w, 80);
    CHECK_COUNTS(m, 17822, 126822400, 375782400, 3348088);
}

Test(acmix, worked_example_stride2)
{
    const char *kv[] = {"in_planes=64", "out_planes=64", "stride=2"};
    struct instance m = make_instance("ACmix", kv, 3, 80, 80);
    cr_expect_eq(m.out.h, 40);
    cr_expect_eq(m.out.w, 40);
    CHECK_COUNTS(m, 17822, 99136000, 229804800, 2119288);
}

/* Batch and H != W scale the per-image terms only: conv_p runs on a
 * batch-1 grid (thop 2*hd*H*W, full 5*hd*H*W, once). */
Test(acmix, batch_and_odd_shape)
{
    const char *kv[] = {"in_planes=8", "out_planes=12", "kernel_att=5", "head=3", "batch=2"};
    struct instance m = make_instance("ACmix", kv, 5, 10, 6);
    int64_t hw = 60, b = 2, C = 12, cin = 8, hd = 4, Hd = 3, ka2 = 25;
    int64_t macs = 3 * b * C * hw * cin + 2 * hd * hw + b * Hd * hw * (3 * ka2 - 1) +
                   3 * b * 9 * C * hw + b * C * hw * 81;
    int64_t full = 3 * b * C * hw * (2 * cin + 1) + 5 * hd * hw +
                   b * C * hw * (6 * ka2 + 2 * 81 + 4) + b * Hd * hw * (5 * ka2 - 2) +
                   6 * b * 9 * C * hw;
    int64_t params = 3 * C * (cin + 1) + 3 * hd + 3 * Hd * 9 + C * 81 + 2;
    CHECK_COUNTS(m, params, macs, full, 4 * (b * cin * hw + b * C * hw + params));
}

/* The state_dict as PyTorch names it (MODULES.md 5.2 item 2; dep_conv has
 * no bias). */
Test(acmix, state_dict_keys)
{
    const char *kv[] = {"in_planes=6", "out_planes=8", "head=2"};
    struct instance m = make_instance("ACmix", kv, 3, 9, 9);
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    const char *keys[] = {"rate1",        "rate2",      "conv1.weight",  "conv1.bias",
                          "conv2.weight", "conv2.bias", "conv3.weight",  "conv3.bias",
                          "conv_p.weight", "conv_p.bias", "fc.weight",   "dep_conv.weight"};
    const int64_t shapes[][4] = {{1}, {1}, {8, 6, 1, 1}, {8}, {8, 6, 1, 1}, {8}, {8, 6, 1, 1},
                                 {8}, {4, 2, 1, 1}, {4}, {9, 6, 1, 1}, {8, 9, 3, 3}};
    cr_assert_eq(wl.n, 12);
    for (int i = 0; i < 12; i++) {
        cr_expect_str_eq(wl.w[i].key, keys[i]);
        for (int d = 0; d < wl.w[i].ndim; d++)
            cr_expect_eq(wl.w[i].shape[d], shapes[i][d], "%s dim %d", keys[i], d);
    }
}

/* paper init: rates 0.5 and dep_conv the shift kernels w[o,t,t/3,t%3] = 1. */
Test(acmix, paper_init_is_the_shift_kernel)
{
    const char *kv[] = {"in_planes=4", "out_planes=4", "head=2"};
    struct instance m = make_instance("ACmix", kv, 3, 8, 8);
    struct weight_list wl;
    float *w[WEIGHTS_MAX];
    struct rng r;
    m.op->weights(&m.args, &wl);
    for (int i = 0; i < wl.n; i++)
        cr_assert_not_null(w[i] = malloc(sizeof(float) * weight_numel(&wl.w[i])));
    rng_seed(&r, 1);
    m.op->init(&m.args, INIT_PAPER, &r, w);
    cr_expect_eq(w[0][0], 0.5f);
    cr_expect_eq(w[1][0], 0.5f);
    const float *dep = w[11];
    for (int o = 0; o < 4; o++)
        for (int t = 0; t < 9; t++)
            for (int uv = 0; uv < 9; uv++)
                cr_expect_eq(dep[(o * 9 + t) * 9 + uv], uv == t ? 1.0f : 0.0f);
    for (int i = 0; i < wl.n; i++)
        free(w[i]);
}

#define EXPECT_BAD(args, text) EXPECT_INFO_ERROR("ACmix " args, text)

/* MODULES.md 5.2 item 7, one test per row of its table. */
Test(acmix_errors, out_planes_not_divisible_by_head)
{
    EXPECT_BAD("in_planes=8 out_planes=6 head=4 h=8 w=8",
               "ACmix: out_planes (6) must be divisible by head (4)");
}

Test(acmix_errors, kernel_conv_not_3)
{
    EXPECT_BAD("in_planes=8 out_planes=8 kernel_conv=5 h=8 w=8",
               "ACmix: kernel_conv must be 3 (dep_conv padding is fixed to 1)");
}

Test(acmix_errors, kernel_att_even_or_dilation)
{
    EXPECT_BAD("in_planes=8 out_planes=8 kernel_att=6 h=8 w=8",
               "ACmix: kernel_att must be odd and dilation must be 1");
    EXPECT_BAD("in_planes=8 out_planes=8 dilation=2 h=8 w=8",
               "ACmix: kernel_att must be odd and dilation must be 1");
}

Test(acmix_errors, input_not_divisible_by_stride)
{
    EXPECT_BAD("in_planes=8 out_planes=8 stride=2 h=9 w=8",
               "ACmix: input 9x8 not divisible by stride 2");
    EXPECT_BAD("in_planes=8 out_planes=8 stride=3 h=9 w=10",
               "ACmix: input 9x10 not divisible by stride 3");
}

Test(acmix_errors, too_small_for_reflection_padding)
{
    EXPECT_BAD("in_planes=8 out_planes=8 h=3 w=8",
               "ACmix: input 3x8 too small for reflection padding 3");
    EXPECT_BAD("in_planes=8 out_planes=8 kernel_att=3 h=8 w=1",
               "ACmix: input 8x1 too small for reflection padding 1");
}

Test(acmix_errors, non_positive_arguments)
{
    EXPECT_BAD("in_planes=8 out_planes=8 head=0 h=8 w=8",
               "ACmix: in_planes, out_planes, head, kernel_att and stride must be >= 1");
}

/* The acceptance line: `ablate info` prints thop's numbers. */
Test(acmix_cli, info_example)
{
    struct run_out r;
    run_ablate(&r, "info ACmix in_planes=64 out_planes=64 h=80 w=80");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "output      1x64x80x80\n") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "params      17822\n") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "flops_thop  253644800  (thop: 126822400 MACs x 2") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "flops_full  375782400") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "bytes       3348088") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "  dep_conv.weight              [64, 9, 3, 3]\n") != NULL, "%s", r.out);
}
