/* tests/test_dcnv3_linear.c — the DCNv3 layers' packed per-pixel Linears
 * (gen/runtime/ablate_dcnv3_linear.h): packing (one Linear, two side by
 * side with zero padding) and abl_dcn_lin_run from a channels-last and a
 * planar input, against a double-precision sum, at output widths that
 * are and are not whole vectors and pixel counts with and without a
 * remainder of the register block.  This file is built without
 * -march=native, so it runs the header's generic-vector blocks (what an
 * AVX2-only CPU gets, 5 pixels x 16 channels); the AVX-512 blocks
 * are what the generated kernels compile (the gen_dcnv3, gen_dlka and
 * goldens suites' DCNv3 and D-LKA cases, which cover channels 8-96, output widths 24 and 108 and
 * the NHWC output). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ablate_dcnv3_linear.h"

enum { CIN_MAX = 40, COUT_MAX = 112, NP_MAX = 13 };

static float input_at(int t, int ic) { return sinf(0.31f * (float)t + 0.77f * (float)ic) - 0.2f; }
static float weight_at(int o, int ic) { return cosf(0.53f * (float)o - 0.29f * (float)ic) * 0.5f; }

/* y from abl_dcn_lin_run against bias + sum in double, for x channels last
 * (planar == 0) or planar. */
static void check_run(int cin, int cout, int np, int planar)
{
    float w[COUT_MAX * CIN_MAX], b[COUT_MAX], x[NP_MAX * CIN_MAX];
    float wt[CIN_MAX * COUT_MAX], bp[COUT_MAX], y[NP_MAX * (COUT_MAX + 3)];
    const int ldy = cout + 3; /* a row stride wider than the output */
    for (int o = 0; o < cout; o++) {
        b[o] = 0.1f * (float)o - 1.0f;
        for (int ic = 0; ic < cin; ic++)
            w[o * cin + ic] = weight_at(o, ic);
    }
    for (int t = 0; t < np; t++)
        for (int ic = 0; ic < cin; ic++)
            x[planar ? ic * np + t : t * cin + ic] = input_at(t, ic);
    abl_dcn_lin_pack(w, b, cout, cin, wt, bp);
    for (int o = cout; o < abl_dcn_lin_coutv(cout); o++)
        cr_assert_eq(bp[o], 0.0f, "padding bias %d", o);
    for (int i = 0; i < NP_MAX * (COUT_MAX + 3); i++)
        y[i] = 12345.0f;
    abl_dcn_lin_run(x, planar ? 1 : cin, planar ? np : 1, cin, wt, bp, cout, y, ldy, np);
    for (int t = 0; t < np; t++) {
        for (int o = 0; o < cout; o++) {
            double ref = b[o];
            for (int ic = 0; ic < cin; ic++)
                ref += (double)w[o * cin + ic] * input_at(t, ic);
            cr_assert(fabs(y[t * ldy + o] - ref) <= 1e-5 * (1.0 + fabs(ref)),
                      "cin %d cout %d np %d planar %d: y[%d][%d] = %g, expected %g", cin, cout, np,
                      planar, t, o, y[t * ldy + o], ref);
        }
        for (int o = cout; o < ldy; o++) /* nothing written past cout */
            cr_assert_eq(y[t * ldy + o], 12345.0f, "y[%d][%d] overwritten", t, o);
    }
}

Test(dcnv3_linear, channels_last_and_planar)
{
    const int shapes[][3] = {{16, 16, 6}, {24, 24, 7}, {40, 108, 13}, {8, 5, 1}, {33, 64, 12}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int planar = 0; planar < 2; planar++)
            check_run(shapes[i][0], shapes[i][1], shapes[i][2], planar);
}

/* Two Linears packed side by side (the offset rows, then the mask rows of
 * DCNv3's stacked product) equal one Linear of their stacked rows. */
Test(dcnv3_linear, columns_side_by_side)
{
    enum { CIN = 12, N0 = 18, N1 = 9, COUT = N0 + N1, COUTV = 32 };
    float w[COUT * CIN], b[COUT], wt_one[CIN * COUTV], bp_one[COUTV], wt_two[CIN * COUTV],
        bp_two[COUTV];
    for (int o = 0; o < COUT; o++) {
        b[o] = (float)o;
        for (int ic = 0; ic < CIN; ic++)
            w[o * CIN + ic] = weight_at(o, ic);
    }
    cr_assert_eq(abl_dcn_lin_coutv(COUT), COUTV);
    abl_dcn_lin_pack(w, b, COUT, CIN, wt_one, bp_one);
    memset(wt_two, 0xff, sizeof wt_two); /* NaN patterns: every float must be written */
    memset(bp_two, 0xff, sizeof bp_two);
    abl_dcn_lin_pack_cols(w, b, N0, CIN, COUTV, 0, wt_two, bp_two);
    abl_dcn_lin_pack_cols(w + N0 * CIN, b + N0, N1, CIN, COUTV, N0, wt_two, bp_two);
    abl_dcn_lin_pack_pad(COUT, CIN, wt_two, bp_two);
    cr_assert(memcmp(wt_one, wt_two, sizeof wt_one) == 0, "packed weights differ");
    cr_assert(memcmp(bp_one, bp_two, sizeof bp_one) == 0, "packed biases differ");
    cr_assert_eq(wt_one[3 * COUTV + 5], w[5 * CIN + 3], "wt[ic][o] = w[o][ic]");
}
