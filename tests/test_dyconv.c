/* tests/test_dyconv.c — the DYConv2d and DynamicConv op rows
 * (kernels/dyconv.c, kernels/dynamicconv.c): MODULES.md §8's worked
 * examples, the state_dict layouts, timm's padding rules, and the exact
 * text of the invalid configurations of MODULES.md 5.3/5.4 item 7. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counts_check.h"
#include "test_util.h"

/* MODULES.md §8: DYConv2d(64,128,3,stride=2,padding=1) on 1x64x80x80. */
Test(dyconv, worked_example)
{
    struct instance m = instance_of("DYConv2d in_planes=64 out_planes=128 kernel_size=3 stride=2 "
                             "padding=1 h=80 w=80");
    cr_expect_eq(m.out.c, 128);
    cr_expect_eq(m.out.h, 40);
    cr_expect_eq(m.out.w, 40);
    CHECK_COUNTS(m, 296584, 410820, 237137203, 3643936);
}

/* in_planes == 3: hidden = K, not int(3 * 0.25) + 1; batch scales all. */
Test(dyconv, rgb_hidden_and_batch)
{
    struct instance m = instance_of("DYConv2d in_planes=3 out_planes=8 kernel_size=3 K=2 bias=0 "
                             "batch=2 h=6 w=5");
    int64_t B = 2, hidden = 2, K = 2, hw = 30, kern = 27, ohw = 4 * 3;
    int64_t params = K * 8 * kern + hidden * 3 + K * hidden + K;
    int64_t macs = B * 3 * (hw + 1) + B * hidden * 3 + B * K * hidden;
    int64_t full = B * (3 * hw + 2 * hidden * 3 + hidden + 2 * K * hidden + 7 * K - 2) +
                   2 * B * K * 8 * kern + B * 8 * ohw * 2 * kern;
    CHECK_COUNTS(m, params, macs, full, 4 * (B * 3 * hw + B * 8 * ohw + params));
}

Test(dyconv, state_dict_keys)
{
    struct instance m = instance_of("DYConv2d in_planes=8 out_planes=6 kernel_size=3 groups=2 h=5 w=5");
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    const char *keys[] = {"weight", "bias", "attention.fc1.weight", "attention.fc2.weight",
                          "attention.fc2.bias"};
    const int64_t shapes[][5] = {{4, 6, 4, 3, 3}, {4, 6}, {3, 8, 1, 1}, {4, 3, 1, 1}, {4}};
    const int ndims[] = {5, 2, 4, 4, 1};
    cr_assert_eq(wl.n, 5);
    for (int i = 0; i < 5; i++) {
        cr_expect_str_eq(wl.w[i].key, keys[i]);
        cr_expect_eq(wl.w[i].ndim, ndims[i]);
        for (int d = 0; d < wl.w[i].ndim; d++)
            cr_expect_eq(wl.w[i].shape[d], shapes[i][d], "%s dim %d", keys[i], d);
    }
}

/* MODULES.md §8: DynamicConv(64,128,3,2) on 1x64x80x80 (padding '' -> 1). */
Test(dynamicconv, worked_example)
{
    struct instance m = instance_of("DynamicConv in_features=64 out_features=128 kernel_size=3 "
                             "stride=2 h=80 w=80");
    cr_expect_eq(m.out.h, 40);
    cr_expect_eq(m.out.w, 40);
    CHECK_COUNTS(m, 295172, 256, 236929552, 3638288);
}

Test(dynamicconv, state_dict_keys)
{
    struct instance m = instance_of("DynamicConv in_features=4 out_features=6 kernel_size=3 groups=2 "
                             "bias=1 num_experts=2 h=5 w=5");
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    const char *keys[] = {"routing.weight", "routing.bias", "cond_conv.weight", "cond_conv.bias"};
    const int64_t shapes[][2] = {{2, 4}, {2, 0}, {2, 6 * 2 * 9}, {2, 6}};
    cr_assert_eq(wl.n, 4);
    for (int i = 0; i < 4; i++) {
        cr_expect_str_eq(wl.w[i].key, keys[i]);
        for (int d = 0; d < wl.w[i].ndim; d++)
            cr_expect_eq(wl.w[i].shape[d], shapes[i][d], "%s dim %d", keys[i], d);
    }
}

/* timm padding (MODULES.md 4.1): every spelling, and TF-SAME's output. */
Test(dynamicconv, padding_forms)
{
    const char *base = "DynamicConv in_features=4 out_features=4 kernel_size=3";
    const struct {
        const char *pad;
        int stride, h, ho;
    } cases[] = {
        {"padding=1", 1, 7, 7},     {"padding=0", 1, 7, 5},       {"padding=", 2, 7, 4},
        {"padding=''", 2, 8, 4},    {"padding=valid", 1, 7, 5},   {"padding='same'", 1, 7, 7},
        {"padding=same", 2, 7, 4},  {"padding=\"valid\"", 2, 7, 3}, {"padding=3", 1, 7, 11},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char spec[256];
        snprintf(spec, sizeof spec, "%s %s stride=%d h=%d w=%d", base, cases[i].pad,
                 cases[i].stride, cases[i].h, cases[i].h);
        struct instance m = instance_of(spec);
        cr_expect_eq(m.out.h, cases[i].ho, "%s: %d", spec, m.out.h);
    }
}

Test(dyconv_errors, temperature)
{
    EXPECT_INFO_ERROR("DYConv2d in_planes=8 out_planes=8 kernel_size=3 temperature=35 h=8 w=8",
                      "DYConv2d: temperature % 3 must be 1 (got 35)");
}

Test(dyconv_errors, groups)
{
    EXPECT_INFO_ERROR("DYConv2d in_planes=6 out_planes=8 kernel_size=3 groups=4 h=8 w=8",
                      "DYConv2d: in_planes (6) must be divisible by groups (4)");
    EXPECT_INFO_ERROR("DYConv2d in_planes=8 out_planes=6 kernel_size=3 groups=4 h=8 w=8",
                      "DYConv2d: out_planes must be divisible by groups");
}

Test(dyconv_errors, no_experts)
{
    EXPECT_INFO_ERROR("DYConv2d in_planes=8 out_planes=8 kernel_size=3 K=0 h=8 w=8",
                      "DYConv2d: K must be >= 1 (got 0)");
}

Test(dynamicconv_errors, groups_experts_padding)
{
    EXPECT_INFO_ERROR("DynamicConv in_features=6 out_features=8 groups=4 h=8 w=8",
                      "DynamicConv: in/out features must be divisible by groups");
    EXPECT_INFO_ERROR("DynamicConv in_features=8 out_features=8 num_experts=0 h=8 w=8",
                      "DynamicConv: num_experts must be >= 1");
    EXPECT_INFO_ERROR("DynamicConv in_features=8 out_features=8 padding=full h=8 w=8",
                      "DynamicConv: padding must be int, '', 'same' or 'valid'");
    EXPECT_INFO_ERROR("DynamicConv in_features=8 out_features=8 padding=-2 h=8 w=8",
                      "DynamicConv: padding must be int, '', 'same' or 'valid'");
}

/* The brief's acceptance line: `ablate info ... padding=1` works and prints
 * thop's numbers. */
Test(dynamicconv_cli, info_example)
{
    struct run_out r;
    run_ablate(&r, "info DynamicConv in_features=64 out_features=128 kernel_size=3 stride=2 "
                   "padding=1 h=80 w=80");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "params      295172\n") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "flops_full  236929552") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "  cond_conv.weight             [4, 73728]\n") != NULL, "%s", r.out);
}
