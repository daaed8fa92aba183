/* tests/test_dlka_sampler.c — the official D-LKA's deformable depthwise
 * conv one pixel at a time (gen/runtime/ablate_dlka.h:
 * abl_dlka_plan_px, abl_dlka_deform_tile_px: every point of a pixel
 * planned in one vector loop, the channel sums in registers) against the
 * point-major path it replaces where the offsets are pixel-major
 * (abl_dlka_plan, abl_dlka_deform_tile), bit for bit.
 *
 * The kernels are built -O3 -march=native, so the check is a program
 * compiled that way (tests/header_check.h): with AVX-512 it runs the
 * 16-lane masked plan, elsewhere the scalar one; both must match. */
#include <criterion/criterion.h>

#include "header_check.h"

/* Maps 20 x 20, 7 x 9, 1 x 13, 3 x 3; the 5x5 (pad 2) and the 7x7
 * dilation 3 (pad 9) of the official attention, and a 3x3; channels 16,
 * 32, 48 (3 vectors of 16) and 144 (a block of 8 vectors, then 1); tiles
 * that start mid-row and end ragged; the offsets' rows wider than 2 k^2
 * (the direct conv's mpad).  Offsets: fractions inside, exactly -1, h, w
 * (dropped: torchvision's open bounds), one corner off each side, far
 * off, +-1e30, +-0 and NaN.  The plan's indices (scaled by c) and weights
 * (memcmp: signed zeros count) and the tile's output must match. */
static const char SAMPLER_CHECKER[] =
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <math.h>\n"
    "#include \"ablate_dlka.h\"\n"
    "static const float SPECIAL[] = {0.25f, -0.6f, 1.4f, -7.5f, 2.9f, -1.2f, 9.75f, 0.5f, -2.5f,\n"
    "    6.1f, -3.3f, 1e30f, -1e30f, -0.0f, 0.0f, NAN, -1.0f, 1.0f, 18.5f, -19.0f, 20.0f, 3.0f};\n"
    "enum { NS = sizeof SPECIAL / sizeof SPECIAL[0] };\n"
    "static float val(int i, int seed) {\n"
    "    return (i + seed) % 4 ? SPECIAL[(i * 7 + seed) % NS] : 2.6f * sinf(0.7f * i + seed);\n"
    "}\n"
    "static int check(int c, int h, int w, int k, int pad, int dil, int p0, int np, int seed) {\n"
    "    const int kk = k * k, ws = w + 2 * pad, hs = h + 2 * pad, os = 2 * kk + 5;\n"
    "    float *xs = calloc((size_t)hs * ws * c, sizeof(float));\n"
    "    float *off = malloc(sizeof(float) * (size_t)np * os), *wt = malloc(sizeof(float) * kk * c);\n"
    "    float *acc = malloc(sizeof(float) * (size_t)np * c), *wts = malloc(sizeof(float) * 4 * np);\n"
    "    float *y = malloc(sizeof(float) * (size_t)c * h * w), *y_b = malloc(sizeof(float) * (size_t)c * h * w);\n"
    "    int *idx = malloc(sizeof(int) * 4 * np), bad = 0;\n"
    "    const float *xcl = xs + ((size_t)pad * ws + pad) * c;\n"
    "    for (int r = 0; r < h; r++)\n"
    "        for (int q = 0; q < w; q++)\n"
    "            for (int ch = 0; ch < c; ch++)\n"
    "                xs[(((size_t)r + pad) * ws + q + pad) * c + ch] = sinf(0.37f * (r * w + q) + 0.11f * ch);\n"
    "    for (int i = 0; i < np * os; i++) off[i] = val(i, seed);\n"
    "    for (int i = 0; i < kk * c; i++) wt[i] = cosf(0.3f * i);\n"
    "    for (int i = 0; i < c * h * w; i++) y[i] = y_b[i] = -7.0f;\n"
    "    float fi[ABL_DLKA_KK_MAX] = {0}, fj[ABL_DLKA_KK_MAX] = {0};\n"
    "    for (int q = 0; q < kk; q++) { fi[q] = (float)(q / k * dil); fj[q] = (float)(q % k * dil); }\n"
    "    struct abl_dlka_pxplan pl;\n"
    "    for (int q = 0; q < kk && !bad; q++) {\n"
    "        abl_dlka_plan(h, w, ws, p0, np, pad, dil, q / k, q % k, off + 2 * q, off + 2 * q + 1, os,\n"
    "                      idx, wts);\n"
    "        for (int t = 0; t < np && !bad; t++) {\n"
    "            abl_dlka_plan_px(h, w, ws, c, (p0 + t) / w, (p0 + t) % w, pad, kk, fi, fj,\n"
    "                             off + (size_t)t * os, &pl);\n"
    "            for (int r = 0; r < 4; r++)\n"
    "                bad |= pl.idx[r][q] != idx[4 * t + r] * c ||\n"
    "                       memcmp(&pl.wts[r][q], &wts[4 * t + r], sizeof(float));\n"
    "            if (bad) printf(\"plan: c %d map %d x %d k %d pixel %d point %d differs\\n\", c, h, w, k, p0 + t, q);\n"
    "        }\n"
    "    }\n"
    "    if (!bad) {\n"
    "        abl_dlka_deform_tile(c, h, w, ws, k, pad, dil, xcl, off, 1, os, wt, p0, np, idx, wts, acc, y_b);\n"
    "        abl_dlka_deform_tile_px(c, h, w, ws, k, pad, dil, xcl, off, os, wt, p0, np, acc, y);\n"
    "        bad = memcmp(y, y_b, sizeof(float) * (size_t)c * h * w) != 0;\n"
    "        if (bad) printf(\"tile: c %d map %d x %d k %d tile %d + %d differs\\n\", c, h, w, k, p0, np);\n"
    "    }\n"
    "    free(xs); free(off); free(wt); free(acc); free(wts); free(y); free(y_b); free(idx);\n"
    "    return bad;\n"
    "}\n"
    "int main(void) {\n"
    "    static const int MAPS[][2] = {{20, 20}, {7, 9}, {1, 13}, {3, 3}};\n"
    "    static const int KS[][3] = {{5, 2, 1}, {7, 9, 3}, {3, 1, 1}};\n"
    "    static const int CS[] = {16, 32, 48, 144};\n"
    "    int bad = 0, n = 0;\n"
    "    for (int m = 0; m < 4; m++)\n"
    "        for (int kd = 0; kd < 3; kd++)\n"
    "            for (int ci = 0; ci < 4; ci++) {\n"
    "                const int h = MAPS[m][0], w = MAPS[m][1], pix = h * w, c = CS[ci];\n"
    "                if (!abl_dlka_px_ok(c, KS[kd][0], 1)) continue;\n"
    "                const int p0 = pix > 4 ? w / 2 + 1 : 0, np = pix - p0 - (pix > 8 ? 3 : 0);\n"
    "                bad |= check(c, h, w, KS[kd][0], KS[kd][1], KS[kd][2], 0, pix, m + 3 * ci);\n"
    "                bad |= check(c, h, w, KS[kd][0], KS[kd][1], KS[kd][2], p0, np, 5 + kd);\n"
    "                n += 2;\n"
    "            }\n"
    "    printf(\"%d tiles checked\\n\", n);\n"
    "    return bad || n == 0;\n"
    "}\n";

Test(dlka_sampler, pixel_major_same_bits, .timeout = 120)
{
    cr_assert_eq(run_header_checker(SAMPLER_CHECKER), 0,
                 "abl_dlka_plan_px / abl_dlka_deform_tile_px differ from abl_dlka_plan / "
                 "abl_dlka_deform_tile (see the test's output)");
}
