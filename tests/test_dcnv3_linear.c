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
 * the NHWC output).  avx2_tail_block_same_bits: a last block of 1-8
 * output channels (one 8-float vector, abl_dcn_lin_tail8) built as the
 * AVX2 kernels are, against the two-vector block's bits. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ablate_dcnv3_linear.h"
#include "header_check.h"

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

/* A last block of n <= 8 channels (cout 147 = 9 x 16 + 3 at k 7, one
 * group) takes one 8-float vector (abl_dcn_lin_tail8); the same Linear
 * with 8 more outputs takes the two-vector block over the same packed
 * columns.  The first cout outputs must be the same bits (each output's
 * chain: the bias, then the input channels in order), and nothing past
 * cout written.  Channels last and planar, pixel counts with and without
 * a remainder of 5. */
static const char TAIL_CHECKER[] =
    "#include <math.h>\n"
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include \"ablate_dcnv3_linear.h\"\n"
    "enum { CIN = 64, COUT_MAX = 160, NP = 13 };\n"
    "static float w[(COUT_MAX + 8) * CIN], b[COUT_MAX + 8], x[NP * CIN], wt[CIN * COUT_MAX],\n"
    "    bp[COUT_MAX], ya[NP * (COUT_MAX + 8)], yb[NP * (COUT_MAX + 8)];\n"
    "int main(void) {\n"
    "    const int couts[] = {147, 35, 40, 21, 5, 1, 8};\n"
    "    int bad = 0;\n"
    "    for (int o = 0; o < COUT_MAX + 8; o++) {\n"
    "        b[o] = 0.1f * (float)o - 1.0f;\n"
    "        for (int ic = 0; ic < CIN; ic++) w[o * CIN + ic] = cosf(0.53f * (float)o - 0.29f * (float)ic);\n"
    "    }\n"
    "    for (int i = 0; i < NP * CIN; i++) x[i] = sinf(0.31f * (float)i) - 0.2f;\n"
    "    for (size_t k = 0; k < sizeof couts / sizeof couts[0]; k++)\n"
    "        for (int planar = 0; planar < 2; planar++)\n"
    "            for (int np = NP - 1; np <= NP; np++) {\n"
    "                const int cout = couts[k], ldy = cout + 8;\n"
    "                for (int i = 0; i < NP * (COUT_MAX + 8); i++) ya[i] = yb[i] = 12345.0f;\n"
    "                abl_dcn_lin_pack(w, b, cout, CIN, wt, bp);\n"
    "                abl_dcn_lin_run(x, planar ? 1 : CIN, planar ? np : 1, CIN, wt, bp, cout, ya, ldy, np);\n"
    "                abl_dcn_lin_pack(w, b, cout + 8, CIN, wt, bp);\n"
    "                abl_dcn_lin_run(x, planar ? 1 : CIN, planar ? np : 1, CIN, wt, bp, cout + 8, yb, ldy, np);\n"
    "                for (int t = 0; t < np; t++) {\n"
    "                    if (memcmp(ya + t * ldy, yb + t * ldy, sizeof(float) * (size_t)cout)) {\n"
    "                        printf(\"cout %d planar %d np %d: pixel %d not the two-vector block's bits\\n\", cout, planar, np, t);\n"
    "                        bad++;\n"
    "                    }\n"
    "                    for (int o = cout; o < ldy; o++)\n"
    "                        if (ya[t * ldy + o] != 12345.0f) {\n"
    "                            printf(\"cout %d: y[%d][%d] written past cout\\n\", cout, t, o);\n"
    "                            bad++;\n"
    "                        }\n"
    "                }\n"
    "            }\n"
    "    return bad != 0;\n"
    "}\n";

Test(dcnv3_linear, avx2_tail_block_same_bits, .timeout = 120)
{
    cr_assert_eq(run_header_checker_avx2(TAIL_CHECKER), 0,
                 "the one-vector last block not the two-vector block's bits (see the lines above)");
}
