/* tests/test_ghost.c — the GhostModule and C2f_GhostModule_DynamicConv op
 * rows (kernels/ghostmodule.c, kernels/c2f_ghost.c): MODULES.md 5.5/5.6
 * item 9 (= §8) worked examples exactly, a hand-counted odd-oup stride-2
 * batch-2 case, the state_dict layouts, the alias, the ignored arguments
 * and the exact error texts. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counts_check.h"
#include "test_util.h"

/* MODULES.md 5.5 item 9: GhostModule(64, 64) on 1x64x80x80. */
Test(ghostmodule, worked_example)
{
    struct instance m = instance_of("GhostModule inp=64 oup=64 h=80 w=80");
    cr_expect_eq(m.out.c, 64);
    cr_expect_eq(m.out.h, 80);
    cr_expect_eq(m.out.w, 80);
    CHECK_COUNTS(m, 9864, 1638784, 31763488, 3316768);
}

/* inp 5 -> oup 5 (init 3, new 3, one cheap channel sliced away), k3 s2,
 * batch 2, 9x8 -> 5x4; every term of 5.5 items 4-6 counted by hand:
 * params  (20 + 4 + 540) + 6 + (12 + 4 + 108) + 6 = 700
 * thop    B E (inp + init) + 4 B (init + new) Ho Wo = 64 + 960 MACs
 * full    primary 832 + 2160 + 10800, cheap 200 + 432 + 2160, BN+ReLU 3 * 2 * 6 * 20
 * bytes   4 (720 + 200 + 700 + 12) */
Test(ghostmodule, odd_oup_stride2_batch2)
{
    struct instance m = instance_of("GhostModule inp=5 oup=5 kernel_size=3 stride=2 batch=2 h=9 w=8");
    cr_expect_eq(m.out.c, 5);
    cr_expect_eq(m.out.h, 5);
    cr_expect_eq(m.out.w, 4);
    CHECK_COUNTS(m, 700, 1024, 17304, 6528);
    struct instance none = instance_of("GhostModule inp=5 oup=5 kernel_size=3 stride=2 act=none "
                                       "batch=2 h=9 w=8");
    cr_expect_eq(none.op->flops_full(&none.args, none.in), 17304 - 2 * 6 * 20); /* no ReLU */
}

Test(ghostmodule, state_dict_keys)
{
    struct instance m = instance_of("GhostModule inp=6 oup=7 ratio=3 kernel_size=3 h=5 w=5");
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    /* init 3, new 6 (the slice keeps 4 of them, the weights hold all 6) */
    static const struct {
        const char *key;
        int ndim;
        int64_t shape[2];
    } want[] = {
        {"primary_conv.0.routing.weight", 2, {4, 6}},
        {"primary_conv.0.routing.bias", 1, {4}},
        {"primary_conv.0.cond_conv.weight", 2, {4, 3 * 6 * 9}},
        {"primary_conv.1.weight", 1, {3}},
        {"primary_conv.1.bias", 1, {3}},
        {"primary_conv.1.running_mean", 1, {3}},
        {"primary_conv.1.running_var", 1, {3}},
        {"primary_conv.1.num_batches_tracked", 0, {0}},
        {"cheap_operation.0.routing.weight", 2, {4, 3}},
        {"cheap_operation.0.routing.bias", 1, {4}},
        {"cheap_operation.0.cond_conv.weight", 2, {4, 6 * 1 * 9}},
        {"cheap_operation.1.weight", 1, {6}},
        {"cheap_operation.1.bias", 1, {6}},
        {"cheap_operation.1.running_mean", 1, {6}},
        {"cheap_operation.1.running_var", 1, {6}},
        {"cheap_operation.1.num_batches_tracked", 0, {0}},
    };
    cr_assert_eq(wl.n, 16);
    for (int i = 0; i < 16; i++) {
        cr_expect_str_eq(wl.w[i].key, want[i].key);
        cr_expect_eq(wl.w[i].ndim, want[i].ndim, "%s", want[i].key);
        for (int d = 0; d < wl.w[i].ndim; d++)
            cr_expect_eq(wl.w[i].shape[d], want[i].shape[d], "%s dim %d", want[i].key, d);
    }
    cr_expect(wl.w[7].is_int64 && wl.w[15].is_int64);
}

/* MODULES.md 5.6 item 9: C2f_GhostModule_DynamicConv(64, 64, 1) on 1x64x80x80. */
Test(c2f_ghost, worked_example)
{
    struct instance m = instance_of("C2f_GhostModule_DynamicConv c1=64 c2=64 n=1 h=80 w=80");
    cr_expect_eq(m.out.c, 64);
    cr_expect_eq(m.out.h, 80);
    CHECK_COUNTS(m, 13384, 69632192, 144492064, 3331616);
}

/* The seed YAML's name, and shortcut/g accepted but changing nothing. */
Test(c2f_ghost, alias_and_ignored_args)
{
    struct instance a = instance_of("C2f_DynamicConv c1=64 c2=64 h=80 w=80");
    struct instance b = instance_of("c2f_ghostmodule_dynamicconv c1=64 c2=64 shortcut=1 g=4 h=80 w=80");
    cr_expect_eq(a.op, &op_c2f_ghost);
    cr_expect_eq(b.op, &op_c2f_ghost);
    CHECK_COUNTS(a, 13384, 69632192, 144492064, 3331616);
    CHECK_COUNTS(b, 13384, 69632192, 144492064, 3331616);
}

/* 5.6 item 4: Conv(16, 24, 1) 432 + Conv(48, 24, 1) 1200 + 2 GhostModule(12, 12) of
 * (48 + 4 + 288) + 12 + (24 + 4 + 216) + 12 = 608; counts are sums of the parts. */
Test(c2f_ghost, n2_sum_of_parts)
{
    struct instance m = instance_of("C2f_GhostModule_DynamicConv c1=16 c2=24 n=2 batch=2 h=9 w=7");
    struct instance g = instance_of("GhostModule inp=12 oup=12 batch=2 h=9 w=7");
    struct instance cv1 = instance_of("Conv c1=16 c2=24 batch=2 h=9 w=7");
    struct instance cv2 = instance_of("Conv c1=48 c2=24 batch=2 h=9 w=7");
    cr_expect_eq(m.op->params(&m.args), 2848);
    cr_expect_eq(g.op->params(&g.args), 608);
    cr_expect_eq(m.op->flops_thop(&m.args, m.in), cv1.op->flops_thop(&cv1.args, cv1.in) +
                 cv2.op->flops_thop(&cv2.args, cv2.in) + 2 * g.op->flops_thop(&g.args, g.in));
    cr_expect_eq(m.op->flops_full(&m.args, m.in), cv1.op->flops_full(&cv1.args, cv1.in) +
                 cv2.op->flops_full(&cv2.args, cv2.in) + 2 * g.op->flops_full(&g.args, g.in));
    /* S = params + running stats of cv1 (24), cv2 (24), 2 x (6 + 6) */
    cr_expect_eq(m.op->bytes(&m.args, m.in), 4 * (2 * 16 * 63 + 2 * 24 * 63 + 2848 + 2 * (24 + 24 + 24)));
}

Test(c2f_ghost, state_dict_keys_n2)
{
    struct instance m = instance_of("C2f_DynamicConv c1=8 c2=8 n=2 h=6 w=6");
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    cr_assert_eq(wl.n, 12 + 2 * 16);
    static const struct want_weight want[] = {
        {0, "cv1.conv.weight", {8, 8}},
        {6, "cv2.conv.weight", {8, 16}},
        {12, "m.0.primary_conv.0.routing.weight", {4, 4}},
        {14, "m.0.primary_conv.0.cond_conv.weight", {4, 2 * 4}},
        {24, "m.0.cheap_operation.1.bias", {2}},
        {28, "m.1.primary_conv.0.routing.weight", {4, 4}},
        {43, "m.1.cheap_operation.1.num_batches_tracked", {0}},
    };
    expect_weights(&wl, want, sizeof want / sizeof want[0], 2);
}

/* MODULES.md 5.5 item 7, then the rules PyTorch enforces by failing. */
Test(ghostmodule_errors, invalid_configurations)
{
    EXPECT_INFO_ERROR("GhostModule inp=8 oup=8 ratio=1 h=8 w=8", "GhostModule: ratio must be >= 2");
    EXPECT_INFO_ERROR("GhostModule inp=8 oup=0 h=8 w=8", "GhostModule: oup must be >= 1");
    EXPECT_INFO_ERROR("GhostModule inp=8 oup=8 dw_size=2 h=8 w=8",
                      "GhostModule: dw_size must be odd (got 2)");
    EXPECT_INFO_ERROR("GhostModule inp=8 oup=8 num_experts=0 h=8 w=8",
                      "GhostModule: inp, kernel_size, dw_size, stride and num_experts "
                      "must be >= 1");
    EXPECT_INFO_ERROR("GhostModule inp=8 oup=8 act=gelu h=8 w=8",
                      "GhostModule: argument 'act' must be one of relu|none (got 'gelu')");
}

Test(c2f_ghost_errors, invalid_configurations)
{
    EXPECT_INFO_ERROR("C2f_GhostModule_DynamicConv c1=8 c2=8 n=16 h=8 w=8",
                      "C2f_GhostModule_DynamicConv: n must be in 1..15");
    EXPECT_INFO_ERROR("C2f_DynamicConv c1=8 c2=1 h=8 w=8",
                      "C2f_GhostModule_DynamicConv: c1, c2 and int(c2 * e) must be >= 1");
}

/* `ablate info` prints the §8 numbers and the state_dict with its keys. */
Test(ghost_cli, info_examples)
{
    struct run_out r;
    run_ablate(&r, "info GhostModule inp=64 oup=64 h=80 w=80");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "params      9864\n") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "flops_thop  3277568  (thop: 1638784 MACs") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "  cheap_operation.0.cond_conv.weight [4, 288]\n") != NULL, "%s", r.out);
    run_ablate(&r, "info C2f_DynamicConv c1=64 c2=64 n=1 h=80 w=80");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "C2f_GhostModule_DynamicConv c1=64:c2=64:n=1") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "flops_full  144492064") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "bytes       3331616") != NULL, "%s", r.out);
}

/* thop 0.1.1 run on the seed's PyTorch modules (scripts/torchref/ghost.py)
 * printed these MACs: YOLOv8n layer 12's place, layer 4's (n=2), and an
 * odd small batch-2 case. */
Test(c2f_ghost, thop_as_measured)
{
    static const struct {
        const char *spec;
        int64_t macs;
    } cases[] = {
        {"C2f_DynamicConv c1=384 c2=128 n=1 h=40 w=40", 120013184},
        {"C2f_DynamicConv c1=64 c2=64 n=2 h=80 w=80", 83558784},
        {"C2f_DynamicConv c1=16 c2=24 n=2 batch=2 h=9 w=7", 230112},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct instance m = instance_of(cases[i].spec);
        cr_expect_eq(m.op->flops_thop(&m.args, m.in), 2 * cases[i].macs, "%s", cases[i].spec);
    }
}
