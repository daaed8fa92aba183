/* tests/test_dcnv3_sums.c — the DCNv3 sampler's corner sums in the AVX2
 * build (gen/runtime/ablate_dcnv3.h: abl_dcn_corner_sum and
 * abl_dcn_listed_sum without AVX-512).
 *
 * Without AVX-512 the dispatchers sum a 64-channel block 16 channels at a
 * time (abl_dcn_wide_sum16_avx2) and 8-channel blocks by
 * abl_dcn_corner_sum8 / abl_dcn_listed_sum8, where the AVX-512 build
 * calls abl_dcn_wide_sum64 and _sum8; every lane must get the same
 * operations in the same order, so the same bits.  A 32-channel block
 * (abl_dcn_wide_sum32_avx2) is summed in its own order (two accumulators
 * a vector: the top and the bottom corners), checked against a scalar
 * fmaf copy of that order (the AVX-512 build: abl_dcn_corner_sum32's
 * bits), listed and unlisted alike; a 16-channel block likewise
 * (abl_dcn_wide_sum16_avx2: one chain a corner, the 64-channel blocks'
 * order; the AVX-512 build: abl_dcn_corner_sum16's corner x parity
 * chains): the two ISAs' sums of such blocks
 * differ in their last bits (up to 1e-6 at L17 / L23), each is the bits
 * of its own order, and both are within 4e-6 of their terms' magnitudes
 * of a double reference (checked on whichever ISA runs it).  Checked in a
 * program built as the AVX2 kernels are (-O3 -march=x86-64-v3,
 * tests/header_check.h): both dispatchers against a copy of the AVX-512
 * dispatch calling the wide functions (compiled there with generic
 * vectors), memcmp, for group widths 8 .. 200 (64-, 32-, 16-, 8-, 4- and
 * 1-wide blocks), at a group's column offset, over odd and even point
 * counts, the listed sums with points left out. */
#include <criterion/criterion.h>

#include "header_check.h"

static const char SUMS_CHECKER[] =
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <math.h>\n"
    "#include \"ablate_dcnv3.h\"\n"
    "enum { HH = 5, WW = 6, CMAX = 400, GP = 49, GPV = 64 };\n"
    "static float xp[HH * WW * CMAX], wt[4 * GPV], got[CMAX], want[CMAX];\n"
    "static int32_t idx[GPV];\n"
    /* the AVX2 build's 32-channel blocks (abl_dcn_wide_sum32_avx2), lane
     * by lane: the top corners' chain and the bottom corners' chain, each
     * point's left corner then its right one, then their sum */
    "static void sum32_avx2(int c, ptrdiff_t sx, ptrdiff_t sy, const int32_t *pts, int q0, int n,\n"
    "                       int col, float *dst) {\n"
    "    for (int l = 0; l < 32; l++) {\n"
    "        float top = 0.0f, bot = 0.0f;\n"
    "        for (int i = 0; i < n; i++) {\n"
    "            const int q = pts ? pts[i] : q0 + i;\n"
    "            const float *b = xp + (ptrdiff_t)idx[q] * c + col + l;\n"
    "            top = fmaf(wt[q], b[0], top);\n"
    "            bot = fmaf(wt[2 * GPV + q], b[sy], bot);\n"
    "            top = fmaf(wt[GPV + q], b[sx], top);\n"
    "            bot = fmaf(wt[3 * GPV + q], b[sx + sy], bot);\n"
    "        }\n"
    "        dst[l] = top + bot;\n"
    "    }\n"
    "}\n"
    /* the AVX2 build's 16-channel blocks (abl_dcn_wide_sum16_avx2, the
     * 64-channel blocks' order), lane by lane: one chain a corner, then
     * (tl + tr) + (bl + br) */
    "static void sum16_avx2(int c, ptrdiff_t sx, ptrdiff_t sy, const int32_t *pts, int q0, int n,\n"
    "                       int col, float *dst) {\n"
    "    const ptrdiff_t off[4] = {0, sx, sy, sx + sy};\n"
    "    for (int l = 0; l < 16; l++) {\n"
    "        float a[4] = {0.0f, 0.0f, 0.0f, 0.0f};\n"
    "        for (int i = 0; i < n; i++) {\n"
    "            const int q = pts ? pts[i] : q0 + i;\n"
    "            const float *b = xp + (ptrdiff_t)idx[q] * c + col + l;\n"
    "            for (int k = 0; k < 4; k++)\n"
    "                a[k] = fmaf(wt[k * GPV + q], b[off[k]], a[k]);\n"
    "        }\n"
    "        dst[l] = (a[0] + a[1]) + (a[2] + a[3]);\n"
    "    }\n"
    "}\n"
    /* the AVX-512 build's dispatch, the wide sums called by name (AVX2:
     * its own 32- and 16-channel blocks) */
    "static void want_sum(int c, ptrdiff_t sx, ptrdiff_t sy, int q0, int n, int col, int gc,\n"
    "                     const int32_t *ev, int ne, const int32_t *od, int no,\n"
    "                     const int32_t *all, int nall, int listed, float *dst) {\n"
    "    int j = 0;\n"
    "    for (; j + 64 <= gc; j += 64)\n"
    "        abl_dcn_wide_sum64(xp, c, sx, sy, idx, wt, GPV, listed ? all : NULL,\n"
    "                           listed ? 0 : q0, listed ? nall : n, col + j, dst + j);\n"
    "    for (; j + 32 <= gc; j += 32)\n"
    "#ifdef __AVX512F__\n"
    "        if (listed) abl_dcn_listed_sum32(xp, c, sx, sy, idx, wt, GPV, ev, ne, od, no, col + j, dst + j);\n"
    "        else abl_dcn_corner_sum32(xp, c, sx, sy, idx, wt, GPV, q0, n, col + j, dst + j);\n"
    "#else\n"
    "        sum32_avx2(c, sx, sy, listed ? all : NULL, listed ? 0 : q0, listed ? nall : n, col + j,\n"
    "                   dst + j);\n"
    "#endif\n"
    "    for (; j + 16 <= gc; j += 16)\n"
    "#ifdef __AVX512F__\n"
    "        if (listed) abl_dcn_listed_sum16(xp, c, sx, sy, idx, wt, GPV, ev, ne, od, no, col + j, dst + j);\n"
    "        else abl_dcn_corner_sum16(xp, c, sx, sy, idx, wt, GPV, q0, n, col + j, dst + j);\n"
    "#else\n"
    "        sum16_avx2(c, sx, sy, listed ? all : NULL, listed ? 0 : q0, listed ? nall : n, col + j,\n"
    "                   dst + j);\n"
    "#endif\n"
    "    if (listed) abl_dcn_listed_sum(xp, c, sx, sy, idx, wt, GPV, ev, ne, od, no, all, nall,\n"
    "                                   col + j, gc - j, dst + j);\n"
    "    else abl_dcn_corner_sum(xp, c, sx, sy, idx, wt, GPV, q0, n, col + j, gc - j, dst + j);\n"
    "}\n"
    /* the sums in double, and each lane's bound: 4e-6 of its terms' sum
     * of magnitudes (the float sums of up to 4 * 49 terms, any order: a
     * few roundings of partial sums below that; a term added wrongly or
     * left out is about 5e-3 of it) */
    "static int near_reference(int c, ptrdiff_t sx, ptrdiff_t sy, const int32_t *pts, int q0,\n"
    "                          int n, int col, int gc) {\n"
    "    const ptrdiff_t off[4] = {0, sx, sy, sx + sy};\n"
    "    int bad = 0;\n"
    "    for (int l = 0; l < gc; l++) {\n"
    "        double ref = 0.0, mag = 0.0;\n"
    "        for (int i = 0; i < n; i++) {\n"
    "            const int q = pts ? pts[i] : q0 + i;\n"
    "            const float *b = xp + (ptrdiff_t)idx[q] * c + col + l;\n"
    "            for (int k = 0; k < 4; k++) {\n"
    "                ref += (double)wt[k * GPV + q] * b[off[k]];\n"
    "                mag += fabs((double)wt[k * GPV + q] * b[off[k]]);\n"
    "            }\n"
    "        }\n"
    "        if (fabs(got[l] - ref) > 4e-6 * mag + 1e-30) bad = 1;\n"
    "    }\n"
    "    return bad;\n"
    "}\n"
    "static int check(int g, int gc, int gi, int q0, int n) {\n"
    "    const int c = g * gc;\n"
    "    const ptrdiff_t sx = abl_dcn_step_x(c, WW), sy = abl_dcn_step_y(c, HH, WW);\n"
    "    for (int i = 0; i < HH * WW * c; i++) xp[i] = sinf(0.37f * (float)i) + 0.1f;\n"
    "    for (int q = 0; q < GPV; q++) {\n"
    "        idx[q] = (q * 7) % ((HH - 1) * WW - 1);\n"
    "        for (int k = 0; k < 4; k++)\n"
    "            wt[k * GPV + q] = (q + k) % 5 == 0 ? 0.0f : cosf(1.3f * (float)(q * 4 + k)) * 0.7f;\n"
    "    }\n"
    "    int32_t ev[GP], od[GP], all[GP];\n"
    "    int ne = 0, no = 0, nall = 0, bad = 0;\n"
    "    for (int i = 0; i < n; i++) { /* every third point left out of the lists */\n"
    "        if (i % 3 == 1) continue;\n"
    "        all[nall++] = q0 + i;\n"
    "        if (i % 2) od[no++] = q0 + i; else ev[ne++] = q0 + i;\n"
    "    }\n"
    "    for (int listed = 0; listed < 2; listed++) {\n"
    "        memset(got, 0, sizeof got);\n"
    "        memset(want, 0, sizeof want);\n"
    "        want_sum(c, sx, sy, q0, n, gi * gc, gc, ev, ne, od, no, all, nall, listed, want);\n"
    "        if (listed)\n"
    "            abl_dcn_listed_sum(xp, c, sx, sy, idx, wt, GPV, ev, ne, od, no, all, nall,\n"
    "                               gi * gc, gc, got);\n"
    "        else\n"
    "            abl_dcn_corner_sum(xp, c, sx, sy, idx, wt, GPV, q0, n, gi * gc, gc, got);\n"
    "        if (near_reference(c, sx, sy, listed ? all : NULL, q0, listed ? nall : n, gi * gc, gc)) {\n"
    "            printf(\"g %d gc %d group %d points %d+%d listed %d: off the double reference\\n\",\n"
    "                   g, gc, gi, q0, n, listed);\n"
    "            bad = 1;\n"
    "        }\n"
    "        if (memcmp(got, want, sizeof got)) {\n"
    "            printf(\"g %d gc %d group %d points %d+%d listed %d: not the wide sums' bits\\n\",\n"
    "                   g, gc, gi, q0, n, listed);\n"
    "            bad = 1;\n"
    "        }\n"
    "    }\n"
    "    return bad;\n"
    "}\n"
    "int main(void) {\n"
    "    static const int gcs[] = {8, 16, 24, 32, 40, 48, 64, 96, 128, 136, 200, 12};\n"
    "    int bad = 0;\n"
    "    for (int i = 0; i < (int)(sizeof gcs / sizeof gcs[0]); i++) {\n"
    "        bad |= check(1, gcs[i], 0, 0, 49) | check(1, gcs[i], 0, 3, 9);\n"
    "        if (2 * gcs[i] <= CMAX) bad |= check(2, gcs[i], 1, 9, 10);\n"
    "    }\n"
    "    return bad;\n"
    "}\n";

Test(dcnv3_sums, avx2_sums_bits_of_their_orders, .timeout = 120)
{
    cr_assert_eq(run_header_checker_avx2(SUMS_CHECKER), 0,
                 "the AVX2 corner sums differ from their orders' copies or the reference (stdout)");
}

/* The same program at -march=native: with AVX-512 the dispatchers are the
 * wide sums themselves (a check of the checker there). */
Test(dcnv3_sums, native_sums_bits_of_their_orders, .timeout = 120)
{
    cr_assert_eq(run_header_checker(SUMS_CHECKER), 0,
                 "the corner sums differ from their orders' copies or the reference at -march=native (stdout)");
}
