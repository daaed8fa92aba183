/* tests/test_dlka.c — deformable_LKA_Attention and C3_DCNv3_DLKA rows
 * (kernels/dlka.c, kernels/c3_dlka.c): MODULES.md 6.2/6.3 item 9 and §8
 * worked examples for the official and blog variants exactly, the 6.2
 * item 4/5 formulas at another width, state_dict layouts, and the exact
 * error texts of 6.2/6.3 item 7. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "counts_check.h"
#include "test_util.h"

/* MODULES.md 6.2 item 9: d_model 64 on 1x64x80x80. */
Test(dlka, worked_example_official)
{
    struct instance m = instance_of("deformable_LKA_Attention d_model=64 variant=official h=80 w=80");
    cr_expect_eq(m.out.c, 64);
    cr_expect_eq(m.out.h, 80);
    CHECK_COUNTS(m, 404692, 2557542400LL, 5398604800LL, 4895568);
}

Test(dlka, worked_example_blog)
{
    struct instance m = instance_of("deformable_LKA_Attention d_model=64 h=80 w=80");
    CHECK_COUNTS(m, 44696, 282624000, 652416000, 3455584);
}

/* 6.2 items 4-5 at C = 24, 2 x 7 x 5: params 3C^2 + 6129C + 148; per pixel
 * thop 3C^2 + 6052C, full 6C^2 + 12780C + 1036 (official); blog
 * 7C^2 + 247C + 216, thop 7C^2 + 242C, full 14C^2 + 670C + 1716. */
Test(dlka, formulas_other_width)
{
    const int64_t c = 24, pix = 2 * 7 * 5;
    struct instance o = instance_of("deformable_LKA_Attention d_model=24 variant=official h=7 w=5 batch=2");
    struct instance b = instance_of("deformable_LKA_Attention d_model=24 variant=blog h=7 w=5 batch=2");
    cr_expect_eq(o.op->params(&o.args), 3 * c * c + 6129 * c + 148);
    cr_expect_eq(o.op->flops_thop(&o.args, o.in), 2 * pix * (3 * c * c + 6052 * c));
    cr_expect_eq(o.op->flops_full(&o.args, o.in), pix * (6 * c * c + 12780 * c + 1036));
    cr_expect_eq(b.op->params(&b.args), 7 * c * c + 247 * c + 216);
    cr_expect_eq(b.op->flops_thop(&b.args, b.in), 2 * pix * (7 * c * c + 242 * c));
    cr_expect_eq(b.op->flops_full(&b.args, b.in), pix * (14 * c * c + 670 * c + 1716));
    cr_expect_eq(o.op->bytes(&o.args, o.in), 4 * (2 * pix * c + o.op->params(&o.args)));
}

Test(dlka, state_dict_official)
{
    struct instance m = instance_of("deformable_LKA_Attention d_model=8 variant=official h=6 w=6");
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    static const struct {
        const char *key;
        int ndim;
        int64_t shape[4];
    } want[] = {
        {"proj_1.weight", 4, {8, 8, 1, 1}},
        {"proj_1.bias", 1, {8}},
        {"spatial_gating_unit.conv0.offset_net.weight", 4, {50, 8, 5, 5}},
        {"spatial_gating_unit.conv0.offset_net.bias", 1, {50}},
        {"spatial_gating_unit.conv0.deform_conv.weight", 4, {8, 1, 5, 5}},
        {"spatial_gating_unit.conv_spatial.offset_net.weight", 4, {98, 8, 7, 7}},
        {"spatial_gating_unit.conv_spatial.offset_net.bias", 1, {98}},
        {"spatial_gating_unit.conv_spatial.deform_conv.weight", 4, {8, 1, 7, 7}},
        {"spatial_gating_unit.conv1.weight", 4, {8, 8, 1, 1}},
        {"spatial_gating_unit.conv1.bias", 1, {8}},
        {"proj_2.weight", 4, {8, 8, 1, 1}},
        {"proj_2.bias", 1, {8}},
    };
    cr_assert_eq(wl.n, 12);
    for (int i = 0; i < 12; i++) {
        cr_expect_str_eq(wl.w[i].key, want[i].key);
        cr_expect_eq(wl.w[i].ndim, want[i].ndim, "%s", want[i].key);
        for (int d = 0; d < want[i].ndim; d++)
            cr_expect_eq(wl.w[i].shape[d], want[i].shape[d], "%s dim %d", want[i].key, d);
    }
}

/* Blog: each DeformConv is the DCNv3 key set under deform_conv. (6.2 item 2). */
Test(dlka, state_dict_blog)
{
    struct instance m = instance_of("deformable_LKA_Attention d_model=8 h=6 w=6");
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    cr_assert_eq(wl.n, 2 + 2 * 12 + 4);
    cr_expect_str_eq(wl.w[2].key, "spatial_gating_unit.conv0.deform_conv.dw_conv.0.weight");
    cr_expect_str_eq(wl.w[6].key, "spatial_gating_unit.conv0.deform_conv.offset.weight");
    cr_expect_eq(wl.w[6].shape[0], 72);
    cr_expect_str_eq(wl.w[8].key, "spatial_gating_unit.conv0.deform_conv.mask.weight");
    cr_expect_eq(wl.w[8].shape[0], 36);
    cr_expect_str_eq(wl.w[14].key, "spatial_gating_unit.conv_spatial.deform_conv.dw_conv.0.weight");
    cr_expect_str_eq(wl.w[26].key, "spatial_gating_unit.conv1.weight");
    cr_expect_str_eq(wl.w[29].key, "proj_2.bias");
}

/* dcnv3_lka: DCNv3(C, 5, pad 2) then DCNv3(C, 7, pad 9, dilation 3); the
 * offset/mask Linears grow with P = k^2 (G = 4): 2 G P and G P rows. */
Test(dlka, dcnv3_lka_layers)
{
    struct instance m = instance_of("deformable_LKA_Attention d_model=8 variant=dcnv3_lka h=6 w=6");
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    cr_assert_eq(wl.n, 30);
    cr_expect_eq(wl.w[2].shape[2], 5); /* dw_kernel_size None -> kernel_size */
    cr_expect_eq(wl.w[6].shape[0], 2 * 4 * 25);
    cr_expect_eq(wl.w[14].shape[2], 7);
    cr_expect_eq(wl.w[18].shape[0], 2 * 4 * 49);
    cr_expect_eq(wl.w[20].shape[0], 4 * 49);
}

/* MODULES.md 6.3 item 9: C3_DCNv3_DLKA(64, 64, 1, False) on 1x64x80x80. */
Test(c3_dlka, worked_examples)
{
    struct instance o =
        instance_of("C3_DCNv3_DLKA c1=64 c2=64 n=1 shortcut=0 variant=official h=80 w=80");
    struct instance b = instance_of("C3_DCNv3_DLKA c1=64 c2=64 n=1 shortcut=0 h=80 w=80");
    CHECK_COUNTS(o, 218164, 1381990400LL, 2905369600LL, 4150992);
    CHECK_COUNTS(b, 34104, 218316800, 482022400, 3414752);
}

/* 6.3 items 4-5: C3's counts + n x the attention's (+ B c_ H W per
 * bottleneck with shortcut, full count only). */
Test(c3_dlka, sum_of_parts)
{
    struct instance m = instance_of("C3_DCNv3_DLKA c1=16 c2=24 variant=official h=9 w=7");
    struct instance c3 = instance_of("C3 c1=16 c2=24 h=9 w=7");
    struct instance att = instance_of("deformable_LKA_Attention d_model=12 variant=official h=9 w=7");
    cr_expect_eq(m.op->params(&m.args), c3.op->params(&c3.args) + att.op->params(&att.args));
    cr_expect_eq(m.op->flops_thop(&m.args, m.in),
                 c3.op->flops_thop(&c3.args, c3.in) + att.op->flops_thop(&att.args, att.in));
    cr_expect_eq(m.op->flops_full(&m.args, m.in),
                 c3.op->flops_full(&c3.args, c3.in) + att.op->flops_full(&att.args, att.in));
}

Test(c3_dlka, state_dict_keys)
{
    struct instance m = instance_of("C3_DCNv3_DLKA c1=8 c2=8 variant=official h=6 w=6");
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    cr_assert_eq(wl.n, 18 + 12 + 12);
    cr_expect_str_eq(wl.w[12].key, "cv3.conv.weight");
    cr_expect_str_eq(wl.w[24].key, "m.0.cv2.conv.weight");
    cr_expect_eq(wl.w[24].shape[2], 3);
    cr_expect_str_eq(wl.w[30].key, "m.0.Dattention.proj_1.weight");
    cr_expect_str_eq(wl.w[32].key, "m.0.Dattention.spatial_gating_unit.conv0.offset_net.weight");
    cr_expect_str_eq(wl.w[41].key, "m.0.Dattention.proj_2.bias");
}

/* MODULES.md 6.2/6.3 item 7. */
Test(dlka_errors, invalid_configurations)
{
    EXPECT_INFO_ERROR("deformable_LKA_Attention d_model=6 h=8 w=8",
                      "channels must be divisible by group, but got 6 and 4");
    EXPECT_INFO_ERROR("deformable_LKA_Attention d_model=10 variant=dcnv3_lka h=8 w=8",
                      "channels must be divisible by group, but got 10 and 4");
    EXPECT_INFO_ERROR("deformable_LKA_Attention d_model=0 variant=official h=8 w=8",
                      "deformable_LKA_Attention: d_model must be >= 1");
    EXPECT_INFO_ERROR("deformable_LKA_Attention d_model=8 variant=lka h=8 w=8",
                      "deformable_LKA_Attention: argument 'variant' must be one of "
                      "blog|official|dcnv3_lka (got 'lka')");
    EXPECT_INFO_ERROR("C3_DCNv3_DLKA c1=8 c2=12 h=8 w=8",
                      "channels must be divisible by group, but got 6 and 4");
    EXPECT_INFO_ERROR("C3_DCNv3_DLKA c1=8 c2=12 g=4 variant=official h=8 w=8",
                      "C3_DCNv3_DLKA: hidden channels 6 must be divisible by groups 4");
    EXPECT_INFO_ERROR("C3_DCNv3_DLKA c1=8 c2=8 n=10 variant=official h=8 w=8",
                      "C3_DCNv3_DLKA: n must be in 1..9");
}
