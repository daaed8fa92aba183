/* tests/test_dcnv3.c — DCNv3's op row (kernels/dcnv3.c): MODULES.md §8's
 * worked example, the counting formulas of 6.1 items 4-6 on other
 * configurations, the state_dict layout, the paper init, the reference
 * forward on a case with a closed form, and the exact text of every invalid
 * configuration of 6.1 item 7. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "counts_check.h"
#include "test_util.h"

/* MODULES.md 6.1 item 9 / §8: DCNv3_pytorch(64) on 1x64x80x80. */
Test(dcnv3, worked_example)
{
    struct instance m = instance_of("DCNv3_pytorch channels=64 h=80 w=80");
    cr_expect_str_eq(m.op->name, "DCNv3");
    cr_expect_eq(m.out.c, 64);
    cr_expect_eq(m.out.h, 80);
    cr_expect_eq(m.out.w, 80);
    CHECK_COUNTS(m, 16108, 101990400, 245516800, 3341232);
}

/* Item 4-6 term by term: kernel 5, dw_kernel_size 3, group 2, batch 2,
 * H != W, center_feature_scale (params + G*C + G, full + 2CG + 5G + 3C). */
Test(dcnv3, counts_by_formula)
{
    struct instance m = instance_of("DCNv3 channels=24 kernel_size=5 pad=2 dw_kernel_size=3 "
                                    "group=2 center_feature_scale=1 batch=2 h=7 w=11");
    int64_t C = 24, G = 2, P = 25, dwk2 = 9, pix = 2 * 7 * 11;
    int64_t params = 2 * C * C + 2 * C + C * dwk2 + C + 2 * C + 3 * G * P * C + 3 * G * P + G * C + G;
    int64_t macs = pix * (C * dwk2 + 4 * C + 3 * G * P * C + 2 * C * C);
    int64_t full = pix * (4 * C * C + C * (2 * dwk2 + 15) + 6 * C * G * P + 9 * C * P + 24 * G * P -
                          2 * G + 2 + 2 * C * G + 5 * G + 3 * C);
    CHECK_COUNTS(m, params, macs, full, 4 * (2 * 2 * C * 7 * 11 + params));
}

/* dw_kernel_size=None is kernel_size: same counts as writing it out. */
Test(dcnv3, dw_kernel_size_none_is_kernel_size)
{
    struct instance a = instance_of("DCNv3 channels=16 kernel_size=5 pad=2 h=9 w=9");
    struct instance b = instance_of("DCNv3 channels=16 kernel_size=5 pad=2 dw_kernel_size=5 h=9 w=9");
    struct instance c = instance_of("DCNv3 channels=16 kernel_size=5 pad=2 dw_kernel_size=None h=9 w=9");
    cr_expect_eq(a.op->params(&a.args), b.op->params(&b.args));
    cr_expect_eq(a.op->params(&a.args), c.op->params(&c.args));
    cr_expect_eq(a.op->flops_full(&a.args, a.in), b.op->flops_full(&b.args, b.in));
    char text[64];
    arg_value_text(&a.args, arg_index(a.op, "dw_kernel_size"), text, sizeof text);
    cr_expect_str_eq(text, "None");
}

/* The state_dict as PyTorch names it (6.1 item 2), in registration order. */
Test(dcnv3, state_dict_keys)
{
    struct instance m = instance_of("DCNv3 channels=8 group=2 kernel_size=3 dw_kernel_size=5 "
                                    "center_feature_scale=1 h=5 w=5");
    struct weight_list wl;
    m.op->weights(&m.args, &wl);
    const char *keys[] = {"dw_conv.0.weight",   "dw_conv.0.bias",   "dw_conv.1.1.weight",
                          "dw_conv.1.1.bias",   "offset.weight",    "offset.bias",
                          "mask.weight",        "mask.bias",        "input_proj.weight",
                          "input_proj.bias",    "output_proj.weight", "output_proj.bias",
                          "center_feature_scale_proj_weight", "center_feature_scale_proj_bias"};
    const int64_t shapes[][4] = {{8, 1, 5, 5}, {8}, {8},    {8},    {36, 8}, {36}, {18, 8},
                                 {18},         {8, 8}, {8}, {8, 8}, {8},     {2, 8}, {2}};
    const int ndims[] = {4, 1, 1, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1};
    cr_assert_eq(wl.n, 14);
    for (int i = 0; i < 14; i++) {
        cr_expect_str_eq(wl.w[i].key, keys[i]);
        cr_expect_eq(wl.w[i].ndim, ndims[i], "%s", keys[i]);
        for (int d = 0; d < wl.w[i].ndim; d++)
            cr_expect_eq(wl.w[i].shape[d], shapes[i][d], "%s dim %d", keys[i], d);
    }
    struct instance n = instance_of("DCNv3 channels=8 group=2 h=5 w=5");
    n.op->weights(&n.args, &wl);
    cr_expect_eq(wl.n, 12, "no center_feature_scale keys unless asked for");
}

static float *alloc_weights(const struct instance *m, struct weight_list *wl, float **w)
{
    m->op->weights(&m->args, wl);
    for (int i = 0; i < wl->n; i++)
        cr_assert_not_null(w[i] = malloc(sizeof(float) * weight_numel(&wl->w[i])));
    return w[0];
}

static void free_weights(const struct weight_list *wl, float **w)
{
    for (int i = 0; i < wl->n; i++)
        free(w[i]);
}

/* paper init = upstream _reset_parameters: offset/mask 0, projection biases
 * 0 and weights within xavier's bound sqrt(6 / 2C), LN (1, 0). */
Test(dcnv3, paper_init)
{
    struct instance m = instance_of("DCNv3 channels=16 h=6 w=6");
    struct weight_list wl;
    float *w[WEIGHTS_MAX];
    struct rng r;
    alloc_weights(&m, &wl, w);
    rng_seed(&r, 3);
    m.op->init(&m.args, INIT_PAPER, &r, w);
    for (int i = 4; i < 8; i++)
        for (int64_t j = 0; j < weight_numel(&wl.w[i]); j++)
            cr_expect_eq(w[i][j], 0.0f, "%s[%lld]", wl.w[i].key, (long long)j);
    float bound = sqrtf(6.0f / 32.0f), mx = 0;
    for (int64_t j = 0; j < 256; j++)
        mx = fmaxf(mx, fmaxf(fabsf(w[8][j]), fabsf(w[10][j])));
    cr_expect(mx <= bound && mx > 0.5f * bound, "xavier: max |w| %g, bound %g", mx, bound);
    for (int j = 0; j < 16; j++) {
        cr_expect_eq(w[2][j], 1.0f);
        cr_expect_eq(w[3][j], 0.0f);
        cr_expect_eq(w[9][j], 0.0f);
        cr_expect_eq(w[11][j], 0.0f);
    }
    free_weights(&wl, w);
}

/* With offset and mask weights 0 (the paper init), every mask is 1/P and
 * every sample sits on the grid, so core = the mean of xp over the k x k
 * (dilated) window with zeros outside: a box filter.  Checked against that
 * closed form, written independently of the row's code, nhwc output. */
Test(dcnv3, reference_is_a_box_filter_at_paper_init)
{
    struct instance m = instance_of("DCNv3 channels=4 group=2 kernel_size=3 pad=2 dilation=2 "
                                    "layout=nhwc h=5 w=6");
    struct weight_list wl;
    float *w[WEIGHTS_MAX], x[4 * 30], y[4 * 30];
    struct rng r;
    alloc_weights(&m, &wl, w);
    rng_seed(&r, 5);
    m.op->init(&m.args, INIT_PAPER, &r, w);
    for (int i = 0; i < 4 * 30; i++)
        x[i] = rng_normal(&r);
    m.op->forward_ref(&m.args, m.in, (const float *const *)w, x, y);
    double xp[30][4], core[4];
    for (int p = 0; p < 30; p++)
        for (int o = 0; o < 4; o++) {
            xp[p][o] = w[9][o];
            for (int c = 0; c < 4; c++)
                xp[p][o] += (double)w[8][o * 4 + c] * x[c * 30 + p];
        }
    for (int h = 0; h < 5; h++)
        for (int q = 0; q < 6; q++) {
            for (int o = 0; o < 4; o++) {
                core[o] = 0;
                for (int dy = -2; dy <= 2; dy += 2)
                    for (int dx = -2; dx <= 2; dx += 2)
                        if (h + dy >= 0 && h + dy < 5 && q + dx >= 0 && q + dx < 6)
                            core[o] += xp[(h + dy) * 6 + q + dx][o] / 9.0;
            }
            for (int o = 0; o < 4; o++) {
                double want = w[11][o];
                for (int c = 0; c < 4; c++)
                    want += (double)w[10][o * 4 + c] * core[c];
                cr_expect(fabs(y[(h * 6 + q) * 4 + o] - want) < 1e-5, "(%d,%d,%d): %g vs %g", h,
                          q, o, y[(h * 6 + q) * 4 + o], want);
            }
        }
    free_weights(&wl, w);
}

#define EXPECT_BAD(args, text) EXPECT_INFO_ERROR("DCNv3 " args, text)

/* MODULES.md 6.1 item 7 (act/norm are not arguments here: fixed GELU/LN). */
Test(dcnv3_errors, channels_not_divisible_by_group)
{
    EXPECT_BAD("channels=30 group=4 h=8 w=8", "channels must be divisible by group, but got 30 and 4");
    EXPECT_BAD("channels=16 group=3 h=8 w=8", "channels must be divisible by group, but got 16 and 3");
}

Test(dcnv3_errors, stride_and_pad)
{
    const char *text = "DCNv3: requires stride 1 and 2*pad == dilation*(kernel_size-1)";
    EXPECT_BAD("channels=16 stride=2 h=8 w=8", "DCNv3: requires stride 1 and 2*pad == dilation*(kernel_size-1)");
    EXPECT_BAD("channels=16 kernel_size=5 h=8 w=8", "DCNv3: requires stride 1 and 2*pad == dilation*(kernel_size-1)");
    EXPECT_BAD("channels=16 dilation=2 h=8 w=8", "DCNv3: requires stride 1 and 2*pad == dilation*(kernel_size-1)");
    struct run_out r;
    run_ablate(&r, "info DCNv3 channels=16 kernel_size=5 pad=4 dilation=2 h=8 w=8");
    cr_expect_eq(r.status, 0, "%s (pad 4 = 2*(5-1)/2 is valid, not: %s)", r.err, text);
}

Test(dcnv3_errors, dw_kernel_size)
{
    EXPECT_BAD("channels=16 dw_kernel_size=4 h=8 w=8", "DCNv3: dw_kernel_size must be odd");
    EXPECT_BAD("channels=16 kernel_size=2 dilation=2 h=8 w=8", "DCNv3: dw_kernel_size must be odd");
    EXPECT_BAD("channels=16 dw_kernel_size=big h=8 w=8", "DCNv3: dw_kernel_size must be int or 'None'");
}

Test(dcnv3_errors, non_positive_arguments)
{
    EXPECT_BAD("channels=0 group=1 h=8 w=8",
               "DCNv3: channels, kernel_size, dw_kernel_size, group and dilation must be >= 1");
    EXPECT_BAD("channels=16 group=0 h=8 w=8",
               "DCNv3: channels, kernel_size, dw_kernel_size, group and dilation must be >= 1");
}

/* `ablate info` prints the worked example's numbers and the keys. */
Test(dcnv3_cli, info_example)
{
    struct run_out r;
    run_ablate(&r, "info DCNv3 channels=64 h=80 w=80");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "params      16108\n") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "flops_thop  203980800  (thop: 101990400 MACs x 2") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "flops_full  245516800") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "bytes       3341232") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "  offset.weight                [72, 64]\n") != NULL, "%s", r.out);
}
