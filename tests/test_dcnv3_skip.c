/* tests/test_dcnv3_skip.c — the DCNv3 sampler's skipping of points wholly
 * outside the map (gen/runtime/ablate_dcnv3.h: abl_dcn_corners' keep flags
 * and count, abl_dcn_core's listed sums).
 *
 * Offsets are set by hand so that a pixel's points land inside, partly
 * outside (one or two corners off the map, on every side) and wholly
 * outside (just past the border and far away).  Checked: a point is
 * flagged outside exactly when its four weights are zero; the skipping
 * path gives the same bits as the full sum (the skipped points added
 * zeros in the same accumulators); both agree with a double-precision
 * bilinear sum of MODULES.md 6.1 (zero outside the map). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ablate_dcnv3.h"

enum { H = 6, W = 7, GP_MAX = 4 * 49, GPV_MAX = (GP_MAX + 15) / 16 * 16, C_MAX = 128 };

/* Offsets in pixels, cycled over the points: inside, partly outside by a
 * fraction (one corner column or row off the map), wholly outside just
 * past the border (-1.5, +1.5 beyond w - 1) and far off. */
static const float OFFS[] = {0.25f, -0.6f, 1.4f, -7.5f, 2.9f, -1.2f, 9.75f, 0.5f, -2.5f, 6.1f, -3.3f};
enum { NOFFS = (int)(sizeof OFFS / sizeof OFFS[0]) };

static float value_at(int pix, int ch) { return sinf(0.37f * (float)pix + 1.3f * (float)ch) + 0.1f; }

/* The plain bilinear sum of one pixel's group gi, channel j (6.1 steps 5-6). */
static double reference(const float *xp, int c, int g, int p, const float *om, const float *gx,
                        const float *gy, int ph, int pw, int gi, int j)
{
    const int gp = g * p, gc = c / g;
    double acc = 0.0;
    for (int i = 0; i < p; i++) {
        const int q = gi * p + i;
        const double xs = pw + gx[q] + om[2 * q], ys = ph + gy[q] + om[2 * q + 1];
        const double fx = floor(xs), fy = floor(ys);
        for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++) {
                const int xx = (int)fx + dx, yy = (int)fy + dy;
                if (xx < 0 || xx >= W || yy < 0 || yy >= H)
                    continue;
                const double wgt = (dx ? xs - fx : 1.0 - (xs - fx)) * (dy ? ys - fy : 1.0 - (ys - fy));
                acc += om[2 * gp + q] * wgt * xp[(yy * W + xx) * c + gi * gc + j];
            }
    }
    return acc;
}

static void check_geometry(int c, int g, int k)
{
    const int p = k * k, gp = g * p, gc = c / g, half = (k - 1) / 2;
    float xp[H * W * C_MAX], gx[GPV_MAX] = {0}, gy[GPV_MAX] = {0};
    float om[3 * GP_MAX + ABL_DCN_OM_SLACK] = {0}, wt[4 * GPV_MAX];
    int32_t idx[GPV_MAX], keep[GPV_MAX];
    for (int i = 0; i < H * W * c; i++)
        xp[i] = value_at(i / c, i % c);
    for (int q = 0; q < gp; q++) {
        gx[q] = (float)(q % p / k - half);
        gy[q] = (float)(q % p % k - half);
    }
    int outside = 0, partly = 0, inside = 0, listed = 0;
    for (int ph = 0; ph < H; ph++)
        for (int pw = 0; pw < W; pw++) {
            for (int q = 0; q < gp; q++) {
                om[2 * q] = OFFS[(q + 3 * ph + pw) % NOFFS];
                om[2 * q + 1] = OFFS[(2 * q + ph + 5 * pw + 1) % NOFFS];
                om[2 * gp + q] = 0.05f + 0.9f * (float)((q * 7) % p) / (float)p;
            }
            const int nout = abl_dcn_corners(gp, H, W, 1.0f, gx, gy, om, 1, ph, pw, idx, wt, 1, keep);
            const int gpv = abl_dcn_gpv(gp);
            int counted = 0;
            for (int q = 0; q < gp; q++) {
                const int zeros = (wt[q] == 0.0f) + (wt[gpv + q] == 0.0f) + (wt[2 * gpv + q] == 0.0f) +
                                  (wt[3 * gpv + q] == 0.0f);
                cr_assert_eq(keep[q], zeros < 4, "pixel (%d, %d) point %d: keep %d with %d zero weights",
                             ph, pw, q, keep[q], zeros);
                counted += !keep[q];
                outside += !keep[q];
                partly += keep[q] && zeros > 0;
                inside += zeros == 0;
            }
            cr_assert_eq(nout, counted);
            listed += nout * ABL_DCN_LIST_SHARE >= gp; /* abl_dcn_core's listing path */
            float skipped[C_MAX], full[C_MAX];
            abl_dcn_core(xp, c, H, W, g, p, idx, wt, nout, keep, skipped);
            abl_dcn_core(xp, c, H, W, g, p, idx, wt, 0, keep, full); /* nout 0: every point */
            cr_assert_eq(memcmp(skipped, full, sizeof(float) * (size_t)c), 0,
                         "pixel (%d, %d): skipping changed the bits", ph, pw);
            for (int gi = 0; gi < g; gi++)
                for (int j = 0; j < gc; j++) {
                    const double ref = reference(xp, c, g, p, om, gx, gy, ph, pw, gi, j);
                    cr_assert(fabs(skipped[gi * gc + j] - ref) <= 1e-5 * (1.0 + fabs(ref)),
                              "pixel (%d, %d) channel %d: %g, reference %g", ph, pw, gi * gc + j,
                              (double)skipped[gi * gc + j], ref);
                }
        }
    /* the offsets do reach all three cases */
    cr_assert_gt(outside, H * W);
    cr_assert_gt(partly, H * W);
    cr_assert_gt(inside, H * W);
    cr_assert_gt(listed, H * W / 4);
}

/* GC 24 (a 16- and an 8-wide block), 9 points: an odd count, so one list
 * of a group is longer than the other. */
Test(dcnv3_skip, k3_gc24) { check_geometry(48, 2, 3); }

/* GC 5 (4-wide and 1-wide blocks), 7 x 7 kernel: 49 points a group. */
Test(dcnv3_skip, k7_gc5) { check_geometry(20, 4, 7); }

/* GC 16, one group, 5 x 5. */
Test(dcnv3_skip, k5_gc16) { check_geometry(16, 1, 5); }

/* The corner plan's two paths (abl_dcn_corners): blocks of 16 points whose
 * 2 x 2 blocks all lie inside the map take abl_dcn_corners_inside (no
 * clamps), the others abl_dcn_corners_border.  On an interior pixel with
 * offsets within +-2.4 pixels (every block inside: asserted) and on a
 * pixel at the corner of the map (both kinds of block), with one mask of
 * exactly 0 (flagged outside by both), the plan must equal the border
 * path's for every block, bit for bit: idx, the four weights, keep and the
 * count. */
static void check_plan_paths(int ph, int pw, int expect_inside)
{
    enum { G = 4, P = 9, GP = G * P, GPV = (GP + 15) / 16 * 16, MH = 20, MW = 20 };
    float om[3 * GP + ABL_DCN_OM_SLACK], gx[GPV], gy[GPV];
    for (int q = 0; q < GPV; q++) {
        gx[q] = q < GP ? (float)(q % P / 3 - 1) : 0.0f;
        gy[q] = q < GP ? (float)(q % 3 - 1) : 0.0f;
    }
    for (int i = 0; i < 3 * GP + ABL_DCN_OM_SLACK; i++)
        om[i] = 2.4f * sinf(0.71f * (float)i + 0.3f); /* offsets (and padding) within +-2.4 */
    for (int q = 0; q < GP; q++)
        om[2 * GP + q] = q == 5 ? 0.0f : 0.1f + 0.02f * (float)q; /* masks, one exactly 0 */
    int32_t idx[GPV], keep[GPV], idx_b[GPV], keep_b[GPV];
    float wt[4 * GPV], wt_b[4 * GPV];
    const int nout = abl_dcn_corners(GP, MH, MW, 1.0f, gx, gy, om, 1, ph, pw, idx, wt, 1, keep);
    int nout_b = 0, inside = 0;
    for (int q0 = 0; q0 < GPV; q0 += ABL_DCN_PLAN_LANES) {
        float xs[ABL_DCN_PLAN_LANES], ys[ABL_DCN_PLAN_LANES];
        const int lanes = GP - q0 <= ABL_DCN_PLAN_TAIL ? ABL_DCN_PLAN_TAIL : ABL_DCN_PLAN_LANES;
        inside += abl_dcn_corners_coords(GP, MH, MW, 1.0f, gx, gy, om, ph, pw, q0, lanes, xs, ys);
        nout_b += abl_dcn_corners_border(GP, MH, MW, 1.0f, gx, gy, om, 1, ph, pw, q0, lanes, idx_b,
                                         wt_b, 1, keep_b);
    }
    cr_assert(expect_inside ? inside == GPV / ABL_DCN_PLAN_LANES : inside < GPV / ABL_DCN_PLAN_LANES,
              "(%d, %d): %d blocks inside", ph, pw, inside);
    cr_assert_eq(nout, nout_b, "(%d, %d): %d points outside, border path %d", ph, pw, nout, nout_b);
    cr_assert(nout >= 1, "(%d, %d): the point of mask 0 is not flagged", ph, pw);
    for (int q = 0; q < GP; q++) {
        cr_assert_eq(idx[q], idx_b[q], "(%d, %d) point %d: idx", ph, pw, q);
        cr_assert_eq(keep[q], keep_b[q], "(%d, %d) point %d: keep", ph, pw, q);
        for (int k = 0; k < 4; k++)
            cr_assert(memcmp(&wt[k * GPV + q], &wt_b[k * GPV + q], sizeof(float)) == 0,
                      "(%d, %d) point %d corner %d: %a against %a", ph, pw, q, k, wt[k * GPV + q],
                      wt_b[k * GPV + q]);
    }
}

Test(dcnv3_skip, plan_inside_same_bits)
{
    check_plan_paths(10, 9, 1);
    check_plan_paths(0, 19, 0);
}

/* GC 112 (the 64-, 32- and 16-wide sums in turn), one group, 7 x 7: the
 * 64-wide sum's one-list order gives the unlisted sum's bits. */
Test(dcnv3_skip, k7_gc112) { check_geometry(112, 1, 7); }

/* GC 64, two groups, 3 x 3 (the 64-wide sum alone). */
Test(dcnv3_skip, k3_gc64) { check_geometry(128, 2, 3); }
