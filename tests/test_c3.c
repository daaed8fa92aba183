/* tests/test_c3.c — the C3 row (kernels/c3.c): MODULES.md §8's worked
 * example exactly, the 3.4 params formula, the state_dict layout (the
 * bottleneck's k = (1, 3)), and the exact text of invalid configurations. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "counts_check.h"
#include "test_util.h"

/* MODULES.md §8: C3(64, 64, 1) on 1x64x80x80. */
Test(c3, worked_example)
{
    const char *kv[] = {"c1=64", "c2=64", "n=1"};
    struct instance m = make_instance("C3", kv, 3, 80, 80);
    cr_expect_eq(m.out.c, 64);
    cr_expect_eq(m.out.h, 80);
    cr_expect_eq(m.out.w, 80);
    CHECK_COUNTS(m, 18816, 122880000, 242278400, 3353600);
}

/* 3.4 item 4: 2 Conv(c1,c_,1) + Conv(2c_,c2,1) + n (Conv(c_,c_,1) + Conv(c_,c_,3,g)). */
Test(c3, params_formula_n2_g2)
{
    const char *kv[] = {"c1=16", "c2=24", "n=2", "g=2"};
    struct instance m = make_instance("C3", kv, 4, 9, 7);
    int64_t c = 12, c1 = 16, c2 = 24;
    int64_t want = 2 * (c * c1 + 2 * c) + (c2 * 2 * c + 2 * c2) +
                   2 * ((c * c + 2 * c) + (c * (c / 2) * 9 + 2 * c));
    cr_expect_eq(m.op->params(&m.args), want);
}

/* Full count: the residual add per bottleneck is B c_ H W, and only with shortcut. */
Test(c3, shortcut_adds_in_full_count)
{
    const char *on[] = {"c1=8", "c2=8", "n=3"}, *off[] = {"c1=8", "c2=8", "n=3", "shortcut=0"};
    struct instance a = make_instance("C3", on, 3, 5, 6), b = make_instance("C3", off, 4, 5, 6);
    cr_expect_eq(a.op->flops_full(&a.args, a.in) - b.op->flops_full(&b.args, b.in), 3LL * 4 * 30);
    cr_expect_eq(a.op->flops_thop(&a.args, a.in), b.op->flops_thop(&b.args, b.in));
}

Test(c3, state_dict_keys)
{
    const char *kv[] = {"c1=8", "c2=6", "n=2"};
    struct instance m = make_instance("C3", kv, 3, 6, 6);
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    cr_assert_eq(wl.n, 42);
    static const struct want_weight want[] = {
        {0, "cv1.conv.weight", {3, 8, 1, 1}},      {6, "cv2.conv.weight", {3, 8, 1, 1}},
        {12, "cv3.conv.weight", {6, 6, 1, 1}},     {17, "cv3.bn.num_batches_tracked", {0}},
        {18, "m.0.cv1.conv.weight", {3, 3, 1, 1}}, {24, "m.0.cv2.conv.weight", {3, 3, 3, 3}},
        {30, "m.1.cv1.conv.weight", {3, 3, 1, 1}}, {41, "m.1.cv2.bn.num_batches_tracked", {0}},
    };
    expect_weights(&wl, want, sizeof want / sizeof want[0], 4);
}

Test(c3_errors, invalid_configurations)
{
    EXPECT_INFO_ERROR("C3 c1=8 c2=8 n=20 h=8 w=8", "C3: n must be in 1..19");
    EXPECT_INFO_ERROR("C3 c1=8 c2=1 h=8 w=8", "C3: c1, c2, g and int(c2 * e) must be >= 1");
    EXPECT_INFO_ERROR("C3 c1=8 c2=12 g=4 h=8 w=8",
                      "C3: hidden channels 6 must be divisible by groups 4");
}
