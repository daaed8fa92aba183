/* tests/test_c2f.c — the Bottleneck and C2f rows (kernels/bottleneck.c,
 * kernels/c2f.c): MODULES.md §8's worked examples exactly, the state_dict
 * layout, the composition from Conv (counts are sums of parts) and the
 * exact text of the invalid configurations. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "counts_check.h"
#include "test_util.h"

/* MODULES.md §8: Bottleneck(64, 64) on 1x64x80x80. */
Test(bottleneck, worked_example)
{
    const char *kv[] = {"c1=64", "c2=64"};
    struct instance m = make_instance("Bottleneck", kv, 2, 80, 80);
    cr_expect_eq(m.out.c, 64);
    cr_expect_eq(m.out.h, 80);
    cr_expect_eq(m.out.w, 80);
    CHECK_COUNTS(m, 37056, 238387200, 475340800, 3425792);
}

/* c1 != c2: the shortcut is not taken, so full loses the B*c2*H*W adds. */
Test(bottleneck, shortcut_needs_equal_channels)
{
    const char *kv[] = {"c1=32", "c2=64"}, *kv_off[] = {"c1=64", "c2=64", "shortcut=0"};
    struct instance a = make_instance("Bottleneck", kv, 2, 80, 80);
    struct instance b = make_instance("Bottleneck", kv_off, 3, 80, 80);
    struct instance on = make_instance("Bottleneck", kv_off, 2, 80, 80);
    /* cv1 Conv(32, 32, 3): 32*(32*9*2 + 5) per pixel; cv2 Conv(32, 64, 3) */
    cr_expect_eq(a.op->flops_full(&a.args, a.in), 6400LL * (32 * (2 * 32 * 9 + 5) + 64 * (2 * 32 * 9 + 5)));
    cr_expect_eq(on.op->flops_full(&on.args, on.in) - b.op->flops_full(&b.args, b.in), 64LL * 6400);
}

Test(bottleneck, state_dict_keys)
{
    const char *kv[] = {"c1=8", "c2=6", "g=2", "e=1"};
    struct instance m = make_instance("Bottleneck", kv, 4, 5, 7);
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    static const char *const keys[] = {
        "cv1.conv.weight", "cv1.bn.weight", "cv1.bn.bias", "cv1.bn.running_mean",
        "cv1.bn.running_var", "cv1.bn.num_batches_tracked", "cv2.conv.weight", "cv2.bn.weight",
        "cv2.bn.bias", "cv2.bn.running_mean", "cv2.bn.running_var", "cv2.bn.num_batches_tracked"};
    cr_assert_eq(wl.n, 12);
    for (int i = 0; i < 12; i++)
        cr_expect_str_eq(wl.w[i].key, keys[i]);
    cr_expect(wl.w[5].is_int64 && wl.w[11].is_int64);
    int64_t cv2_shape[4] = {6, 3, 3, 3}; /* (c2, c_/g, k, k) */
    for (int d = 0; d < 4; d++)
        cr_expect_eq(wl.w[6].shape[d], cv2_shape[d]);
}

/* MODULES.md §8: C2f(64, 64, 1, True) on 1x64x80x80. */
Test(c2f, worked_example)
{
    const char *kv[] = {"c1=64", "c2=64", "n=1", "shortcut=1"};
    struct instance m = make_instance("C2f", kv, 4, 80, 80);
    cr_expect_eq(m.out.c, 64);
    cr_expect_eq(m.out.h, 80);
    CHECK_COUNTS(m, 29056, 188416000, 373350400, 3394560);
}

/* MODULES.md 3.3 item 4: Conv(c1,2c,1) + Conv((2+n)c,c2,1) + n*2*(9c^2 + 2c). */
Test(c2f, params_formula_n2)
{
    const char *kv[] = {"c1=16", "c2=24", "n=2"};
    struct instance m = make_instance("C2f", kv, 3, 9, 7);
    int64_t c = 12;
    int64_t want = (2 * c * 16 + 4 * c) + (4 * c * 24 + 2 * 24) + 2 * (2 * (9 * c * c + 2 * c));
    cr_expect_eq(m.op->params(&m.args), want);
}

Test(c2f, state_dict_keys_n2)
{
    const char *kv[] = {"c1=8", "c2=8", "n=2"};
    struct instance m = make_instance("C2f", kv, 3, 6, 6);
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    cr_assert_eq(wl.n, 36);
    static const struct want_weight want[] = {
        {0, "cv1.conv.weight", {8, 8, 1, 1}},     {5, "cv1.bn.num_batches_tracked", {0}},
        {6, "cv2.conv.weight", {8, 16, 1, 1}},    {7, "cv2.bn.weight", {8}},
        {12, "m.0.cv1.conv.weight", {4, 4, 3, 3}}, {18, "m.0.cv2.conv.weight", {4, 4, 3, 3}},
        {24, "m.1.cv1.conv.weight", {4, 4, 3, 3}}, {35, "m.1.cv2.bn.num_batches_tracked", {0}},
    };
    expect_weights(&wl, want, sizeof want / sizeof want[0], 4);
}

Test(c2f_errors, invalid_configurations)
{
    EXPECT_INFO_ERROR("C2f c1=8 c2=8 n=21 h=8 w=8", "C2f: n must be in 1..20");
    EXPECT_INFO_ERROR("C2f c1=8 c2=1 h=8 w=8", "C2f: c1, c2, g and int(c2 * e) must be >= 1");
    EXPECT_INFO_ERROR("C2f c1=8 c2=12 g=4 h=8 w=8",
                      "C2f: hidden channels 6 must be divisible by groups 4");
    EXPECT_INFO_ERROR("Bottleneck c1=8 c2=8 k=2 h=8 w=8", "Bottleneck: k must be odd and >= 1");
    EXPECT_INFO_ERROR("Bottleneck c1=8 c2=6 g=4 h=8 w=8",
                      "Bottleneck: channels (3, 6) must be divisible by groups 4");
}
