/* tests/test_dcnv3_plan.c — the corner plan's border path written with
 * AVX-512 mask registers (gen/runtime/ablate_dcnv3.h:
 * abl_dcn_corners_border_masked) and the AVX2 build's
 * (abl_dcn_corners_border8_avx2) against the generic border path
 * (abl_dcn_corners_border) they replace in the kernels, bit for bit; the
 * point-major plan (abl_dcn_corners_pm) against abl_dcn_corners.
 *
 * The masked path exists only where the kernels are built (-O3
 * -march=native, AVX-512): the check is a program compiled that way
 * (tests/header_check.h); skipped without AVX-512.  The AVX2 path's
 * check is built at -march=x86-64-v3. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "header_check.h"

/* Blocks of 16 and of 8 lanes (the tail block), with gp ending inside the
 * block (lanes past gp are padding, not counted), on 20 x 20, one-column,
 * one-row, 2 x 2 and 1 x 1 maps; offsets inside, one corner off each side,
 * wholly outside near and far, huge, +-0 and NaN (a padding point's
 * garbage); masks with exact zeros; use_mask and skip both ways.  idx,
 * the four weight rows (memcmp: signed zeros count), keep and the count
 * must match. */
/* The checker's first lines: fast_border, the path under test (the masked
 * one, AVX-512; the AVX2 one 8 lanes a call, as abl_dcn_corners_block
 * calls it), then PLAN_CHECKER_BODY. */
static const char PLAN_CHECKER_MASKED[] =
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <math.h>\n"
    "#include \"ablate_dcnv3.h\"\n"
    "#define fast_border abl_dcn_corners_border_masked\n";
static const char PLAN_CHECKER_AVX2[] =
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <math.h>\n"
    "#include \"ablate_dcnv3.h\"\n"
    "static int fast_border(int gp, int h, int w, const float *om, int use_mask, int q0, int lanes,\n"
    "                       const float *xs, const float *ys, int32_t *idx, float *wt, int skip,\n"
    "                       int32_t *keep) {\n"
    "    int n = 0;\n"
    "    for (int i = 0; i < lanes; i += 8)\n"
    "        n += abl_dcn_corners_border8_avx2(gp, h, w, om, use_mask, q0 + i, xs + i, ys + i, idx,\n"
    "                                          wt, skip, keep);\n"
    "    return n;\n"
    "}\n";
static const char PLAN_CHECKER_BODY[] =
    "static const float SPECIAL[] = {0.25f, -0.6f, 1.4f, -7.5f, 2.9f, -1.2f, 9.75f, 0.5f, -2.5f,\n"
    "    6.1f, -3.3f, 1e30f, -1e30f, -0.0f, 0.0f, NAN, -1.0f, 1.0f, 18.5f, -19.0f};\n"
    "enum { NS = sizeof SPECIAL / sizeof SPECIAL[0], GPMAX = 64, GPV = 64 };\n"
    "static int check(int gp, int h, int w, int ph, int pw, int use_mask, int skip, int seed) {\n"
    "    float om[3 * GPMAX + ABL_DCN_OM_SLACK], gx[GPV], gy[GPV];\n"
    "    for (int i = 0; i < 3 * GPMAX + ABL_DCN_OM_SLACK; i++)\n"
    "        om[i] = (i + seed) % 3 ? SPECIAL[(i * 7 + seed) % NS] : 2.6f * sinf(0.7f * i + seed);\n"
    "    for (int q = 0; q < gp; q++) om[2 * gp + q] = q % 5 == 1 ? 0.0f : 0.3f + 0.01f * q;\n"
    "    for (int q = 0; q < GPV; q++) { gx[q] = (float)(q % 3 - 1); gy[q] = (float)(q / 3 % 3 - 1); }\n"
    "    const int gpv = abl_dcn_gpv(gp);\n"
    "    int bad = 0;\n"
    "    for (int q0 = 0; q0 < gp; q0 += ABL_DCN_PLAN_LANES) {\n"
    "        const int lanes = gp - q0 <= ABL_DCN_PLAN_TAIL ? ABL_DCN_PLAN_TAIL : ABL_DCN_PLAN_LANES;\n"
    "        int32_t idx[GPV], keep[GPV], idx_b[GPV], keep_b[GPV];\n"
    "        float wt[4 * GPV], wt_b[4 * GPV], xs[16], ys[16];\n"
    "        memset(idx, 0, sizeof idx); memset(keep, 0, sizeof keep); memset(wt, 0, sizeof wt);\n"
    "        memcpy(idx_b, idx, sizeof idx); memcpy(keep_b, keep, sizeof keep); memcpy(wt_b, wt, sizeof wt);\n"
    "        abl_dcn_corners_coords(gp, h, w, 1.0f, gx, gy, om, ph, pw, q0, lanes, xs, ys);\n"
    "        const int n = fast_border(gp, h, w, om, use_mask, q0, lanes, xs, ys, idx, wt, skip, keep);\n"
    "        const int n_b = abl_dcn_corners_border(gp, h, w, 1.0f, gx, gy, om, use_mask, ph, pw, q0,\n"
    "                                               lanes, idx_b, wt_b, skip, keep_b);\n"
    "        bad |= n != n_b || memcmp(idx, idx_b, sizeof idx) || memcmp(keep, keep_b, sizeof keep)\n"
    "               || memcmp(wt, wt_b, sizeof wt);\n"
    "        if (bad) {\n"
    "            printf(\"gp %d map %d x %d pixel (%d, %d) mask %d skip %d seed %d block %d differs\\n\",\n"
    "                   gp, h, w, ph, pw, use_mask, skip, seed, q0);\n"
    "            return 1;\n"
    "        }\n"
    "    }\n"
    "    (void)gpv;\n"
    "    return 0;\n"
    "}\n"
    "int main(void) {\n"
    "    static const int MAPS[][2] = {{20, 20}, {1, 7}, {7, 1}, {2, 2}, {1, 1}, {40, 3}};\n"
    "    int bad = 0;\n"
    "    for (int m = 0; m < 6; m++)\n"
    "        for (int seed = 0; seed < 23; seed++) {\n"
    "            const int h = MAPS[m][0], w = MAPS[m][1], ph = seed * 5 % h, pw = seed * 3 % w;\n"
    "            bad |= check(36, h, w, ph, pw, 1, 1, seed) | check(49, h, w, ph, pw, 1, 1, seed);\n"
    "            bad |= check(64, h, w, ph, pw, seed & 1, seed >> 1 & 1, seed);\n"
    "            bad |= check(20, h, w, ph, pw, 0, 1, seed) | check(9, h, w, ph, pw, 1, 0, seed);\n"
    "        }\n"
    "    return bad;\n"
    "}\n";

Test(dcnv3_plan, border_masked_same_bits, .timeout = 120)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f"))
        cr_skip_test("no AVX-512 on this CPU");
    static char src[sizeof PLAN_CHECKER_MASKED + sizeof PLAN_CHECKER_BODY];
    snprintf(src, sizeof src, "%s%s", PLAN_CHECKER_MASKED, PLAN_CHECKER_BODY);
    cr_assert_eq(run_header_checker(src), 0,
                 "abl_dcn_corners_border_masked differs from abl_dcn_corners_border (stdout)");
}

/* The AVX2 build's border path (abl_dcn_corners_border8_avx2), the same
 * checks, at -march=x86-64-v3 (skipped without AVX2 and FMA). */
Test(dcnv3_plan, border_avx2_same_bits, .timeout = 120)
{
    static char src[sizeof PLAN_CHECKER_AVX2 + sizeof PLAN_CHECKER_BODY];
    snprintf(src, sizeof src, "%s%s", PLAN_CHECKER_AVX2, PLAN_CHECKER_BODY);
    cr_assert_eq(run_header_checker_avx2(src), 0,
                 "abl_dcn_corners_border8_avx2 differs from abl_dcn_corners_border (stdout)");
}

/* The point-major plan (abl_dcn_corners_pm: the inside path and the masked
 * border path storing by abl_dcn_store_pm512 / _pm256) against
 * abl_dcn_corners with the mask and without skip, the plan the kernels
 * took before: idx and w4[4 q + k] = wt[k gpv + q] bit for bit for every
 * point q < gp (the padding points' any value), on the maps and offsets
 * above, gp 36 (blocks 16, 16 and an 8-lane tail), 25, 49, 98 and 9, and
 * offsets scaled by 0.2 so that many blocks lie wholly inside (the
 * inside path). */
static const char PM_PLAN_CHECKER[] =
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <math.h>\n"
    "#include \"ablate_dcnv3.h\"\n"
    "static const float SPECIAL[] = {0.25f, -0.6f, 1.4f, -7.5f, 2.9f, -1.2f, 9.75f, 0.5f, -2.5f,\n"
    "    6.1f, -3.3f, 1e30f, -1e30f, -0.0f, 0.0f, NAN, -1.0f, 1.0f, 18.5f, -19.0f};\n"
    "enum { NS = sizeof SPECIAL / sizeof SPECIAL[0], GPMAX = 112 };\n"
    "static int check(int gp, int h, int w, int ph, int pw, float osc, int seed) {\n"
    "    float om[3 * GPMAX + ABL_DCN_OM_SLACK], gx[GPMAX], gy[GPMAX];\n"
    "    for (int i = 0; i < 3 * GPMAX + ABL_DCN_OM_SLACK; i++)\n"
    "        om[i] = (i + seed) % 3 ? SPECIAL[(i * 7 + seed) % NS] : 2.6f * sinf(0.7f * i + seed);\n"
    "    for (int q = 0; q < gp; q++) om[2 * gp + q] = q % 5 == 1 ? 0.0f : 0.3f + 0.01f * q;\n"
    "    for (int q = 0; q < GPMAX; q++) { gx[q] = (float)(q % 3 - 1); gy[q] = (float)(q / 3 % 3 - 1); }\n"
    "    const int gpv = abl_dcn_gpv(gp);\n"
    "    int32_t idx[GPMAX], keep[GPMAX], idx_pm[GPMAX];\n"
    "    float wt[4 * GPMAX], w4[4 * GPMAX];\n"
    "    memset(idx, 0, sizeof idx); memset(idx_pm, 0, sizeof idx_pm);\n"
    "    abl_dcn_corners(gp, h, w, osc, gx, gy, om, 1, ph, pw, idx, wt, 0, keep);\n"
    "    abl_dcn_corners_pm(gp, h, w, osc, gx, gy, om, ph, pw, idx_pm, w4);\n"
    "    for (int q = 0; q < gp; q++) {\n"
    "        int bad = idx[q] != idx_pm[q];\n"
    "        for (int k = 0; k < 4; k++)\n"
    "            bad |= memcmp(&wt[k * gpv + q], &w4[4 * q + k], sizeof(float)) != 0;\n"
    "        if (bad) {\n"
    "            printf(\"gp %d map %d x %d pixel (%d, %d) osc %g seed %d point %d differs\\n\",\n"
    "                   gp, h, w, ph, pw, osc, seed, q);\n"
    "            return 1;\n"
    "        }\n"
    "    }\n"
    "    return 0;\n"
    "}\n"
    "int main(void) {\n"
    "    static const int MAPS[][2] = {{20, 20}, {1, 7}, {7, 1}, {2, 2}, {1, 1}, {40, 3}, {40, 40}};\n"
    "    static const int GPS[] = {36, 25, 49, 98, 9};\n"
    "    int bad = 0;\n"
    "    for (int m = 0; m < 7; m++)\n"
    "        for (int seed = 0; seed < 23; seed++) {\n"
    "            const int h = MAPS[m][0], w = MAPS[m][1], ph = seed * 5 % h, pw = seed * 3 % w;\n"
    "            for (int i = 0; i < 5; i++)\n"
    "                bad |= check(GPS[i], h, w, ph, pw, 1.0f, seed) |\n"
    "                       check(GPS[i], h, w, ph, pw, 0.2f, seed);\n"
    "        }\n"
    "    return bad;\n"
    "}\n";

Test(dcnv3_plan, point_major_same_bits, .timeout = 120)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f"))
        cr_skip_test("no AVX-512 on this CPU");
    cr_assert_eq(run_header_checker(PM_PLAN_CHECKER), 0,
                 "abl_dcn_corners_pm differs from abl_dcn_corners (stdout)");
}

/* The point-major plan with the mask's softmax folded in
 * (abl_dcn_corners_pm_sm, the DCNv3 kernels' SMF) against the softmax
 * (abl_dcn_softmax) and abl_dcn_corners_pm: the same idx, and every
 * weight times its group's inv within 2e-6 (relative) of the softmax
 * plan's, for g p logits in groups of 4 (one reduction), 5 and 16 (four
 * groups a reduction and a partial one), 2 and 1, p 9, 25 and 49, on the
 * maps and offsets above.  Then a group's logits at +30 (sum over 2^40),
 * all at -40 (sum under 2^-40) and one NaN: it returns 0, the caller's
 * cue for the softmax plan. */
static const char SM_PLAN_CHECKER[] =
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <math.h>\n"
    "#include \"ablate_dcnv3.h\"\n"
    "static const float SPECIAL[] = {0.25f, -0.6f, 1.4f, -7.5f, 2.9f, -1.2f, 9.75f, 0.5f, -2.5f,\n"
    "    6.1f, -3.3f, 1e30f, -1e30f, -0.0f, 0.0f, NAN, -1.0f, 1.0f, 18.5f, -19.0f};\n"
    "enum { NS = sizeof SPECIAL / sizeof SPECIAL[0], GPMAX = 240 };\n"
    "static float om[3 * GPMAX + ABL_DCN_OM_SLACK], sm[3 * GPMAX + ABL_DCN_OM_SLACK];\n"
    "static float gx[GPMAX + 16], gy[GPMAX + 16];\n"
    "static void fill(int g, int p, int seed) {\n"
    "    const int gp = g * p;\n"
    "    for (int i = 0; i < 3 * GPMAX + ABL_DCN_OM_SLACK; i++)\n"
    "        om[i] = (i + seed) % 3 ? SPECIAL[(i * 7 + seed) % NS] : 2.6f * sinf(0.7f * i + seed);\n"
    "    for (int q = 0; q < gp; q++) om[2 * gp + q] = 6.0f * sinf(1.3f * q + seed);\n"
    "    for (int q = 0; q < GPMAX + 16; q++) { gx[q] = (float)(q % 3 - 1); gy[q] = (float)(q / 3 % 3 - 1); }\n"
    "}\n"
    "static int check(int g, int p, int h, int w, int ph, int pw, float osc, int seed) {\n"
    "    const int gp = g * p;\n"
    "    int32_t idx[GPMAX + 16], idx_sm[GPMAX + 16];\n"
    "    float w4[4 * (GPMAX + 16)], w4_sm[4 * (GPMAX + 16)], inv[16];\n"
    "    fill(g, p, seed);\n"
    "    memcpy(sm, om, sizeof sm);\n"
    "    abl_dcn_softmax(sm + 2 * gp, g, p);\n"
    "    abl_dcn_corners_pm(gp, h, w, osc, gx, gy, sm, ph, pw, idx, w4);\n"
    "    if (!abl_dcn_corners_pm_sm(g, p, h, w, osc, gx, gy, om, ph, pw, idx_sm, w4_sm, inv)) {\n"
    "        printf(\"g %d p %d seed %d: logits in range refused\\n\", g, p, seed);\n"
    "        return 1;\n"
    "    }\n"
    "    for (int q = 0; q < gp; q++) {\n"
    "        int bad = idx[q] != idx_sm[q];\n"
    "        for (int k = 0; k < 4; k++) {\n"
    "            const float a = w4[4 * q + k], b = w4_sm[4 * q + k] * inv[q / p];\n"
    "            bad |= isnan(a) != isnan(b) || fabsf(a - b) > 2e-6f * fabsf(a);\n"
    "        }\n"
    "        if (bad) {\n"
    "            printf(\"g %d p %d map %d x %d pixel (%d, %d) osc %g seed %d point %d differs\\n\",\n"
    "                   g, p, h, w, ph, pw, osc, seed, q);\n"
    "            return 1;\n"
    "        }\n"
    "    }\n"
    "    return 0;\n"
    "}\n"
    "/* 1 when abl_dcn_corners_pm_sm refuses logits set to v in group gi (all: every group) */\n"
    "static int refuses(int g, int p, int gi, int all, float v) {\n"
    "    int32_t idx[GPMAX + 16];\n"
    "    float w4[4 * (GPMAX + 16)], inv[16];\n"
    "    fill(g, p, 3);\n"
    "    for (int q = 0; q < g * p; q++)\n"
    "        if (all || q / p == gi) om[2 * g * p + q] = v;\n"
    "    return !abl_dcn_corners_pm_sm(g, p, 20, 20, 1.0f, gx, gy, om, 5, 5, idx, w4, inv);\n"
    "}\n"
    "int main(void) {\n"
    "    static const int MAPS[][2] = {{20, 20}, {1, 7}, {7, 1}, {2, 2}, {40, 3}, {40, 40}};\n"
    "    static const int GS[][2] = {{4, 9}, {4, 25}, {4, 49}, {2, 49}, {1, 25}, {5, 9}, {16, 9}};\n"
    "    int bad = 0;\n"
    "    for (int m = 0; m < 6; m++)\n"
    "        for (int seed = 0; seed < 11; seed++) {\n"
    "            const int h = MAPS[m][0], w = MAPS[m][1], ph = seed * 5 % h, pw = seed * 3 % w;\n"
    "            for (int i = 0; i < 7; i++)\n"
    "                bad |= check(GS[i][0], GS[i][1], h, w, ph, pw, 1.0f, seed) |\n"
    "                       check(GS[i][0], GS[i][1], h, w, ph, pw, 0.2f, seed);\n"
    "        }\n"
    "    for (int i = 0; i < 7; i++) {\n"
    "        const int g = GS[i][0], p = GS[i][1];\n"
    "        if (!refuses(g, p, g - 1, 0, 30.0f) || !refuses(g, p, 0, 1, -40.0f) ||\n"
    "            !refuses(g, p, g / 2, 0, NAN)) {\n"
    "            printf(\"g %d p %d: logits out of range accepted\\n\", g, p);\n"
    "            bad = 1;\n"
    "        }\n"
    "    }\n"
    "    return bad;\n"
    "}\n";

Test(dcnv3_plan, softmax_folded_plan, .timeout = 120)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f"))
        cr_skip_test("no AVX-512 on this CPU");
    cr_assert_eq(run_header_checker(SM_PLAN_CHECKER), 0,
                 "abl_dcn_corners_pm_sm disagrees with the softmax plan (stdout)");
}
