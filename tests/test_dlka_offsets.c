/* tests/test_dlka_offsets.c — the official D-LKA's direct offset convs
 * (gen/runtime/ablate_dlka_offsets.h: abl_off_tile) against the sum each
 * output lane must be, bit for bit: per pixel and output, from the bias,
 * every (tap, channel) term in that order as one fused multiply-add
 * (fmaf), zeros outside the map.  With AVX-512 the 5x5's 50 outputs are 3
 * vectors of 16 + 2 and the 7x7 dilation-3's 98 are 6 + 2, the 2 left
 * over computed with pixels as the vector lanes (abl_off_left, planar
 * masked loads); the check covers that path's row segments, borders and
 * weight copy.
 *
 * Built as kernels are (-O3 -march=native, tests/header_check.h). */
#include <criterion/criterion.h>

#include "header_check.h"

/* Channels 8, 32, 40 and 120 (past one L1 reduction block: channels
 * split); maps 20 x 20, 7 x 9, 1 x 13, 23 x 30 (taps wholly in the
 * padding, segments cut by the row's end and the tile's); tiles from 0 and
 * from mid-row, ragged ends. */
static const char OFFSETS_CHECKER[] =
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <math.h>\n"
    "#include \"ablate_dlka_offsets.h\"\n"
    "static int check(int c, int h, int w, int k, int pad, int dil, int p0, int np) {\n"
    "    const struct abl_off_geom g = {c, h, w, k, dil, pad, 2 * k * k};\n"
    "    const struct abl_off_block b = abl_off_blocking(g.m);\n"
    "    const int kk = k * k, hp = h + 2 * pad, wp = w + 2 * pad, bad0 = 0;\n"
    "    float *x = malloc(sizeof(float) * c * h * w), *xpad = malloc(sizeof(float) * hp * wp * c);\n"
    "    float *wt = malloc(sizeof(float) * g.m * c * kk), *bias = malloc(sizeof(float) * g.m);\n"
    "    float *wpk = malloc(sizeof(float) * kk * c * ABL_OFF_MPAD_MAX), bpad[ABL_OFF_MPAD_MAX];\n"
    "    float *off = malloc(sizeof(float) * (np + ABL_OFF_PMAX) * b.mpad);\n"
    "    int *base = malloc(sizeof(int) * np), bad = bad0;\n"
    "    for (int i = 0; i < c * h * w; i++) x[i] = sinf(0.37f * i) * (i % 7 ? 1.0f : 3.0f);\n"
    "    for (int i = 0; i < g.m * c * kk; i++) wt[i] = cosf(0.21f * i + 0.5f);\n"
    "    for (int i = 0; i < g.m; i++) bias[i] = 0.1f * i - 2.0f;\n"
    "    abl_off_pack(g, b.mpad, wt, bias, 0, kk, wpk, bpad);\n"
    "    abl_off_pad_rows(g, x, 0, hp, xpad);\n"
    "    abl_off_tile(g, xpad, x, wpk, bpad, p0, np, base, off);\n"
    "    for (int t = 0; t < np && !bad; t++)\n"
    "        for (int o = 0; o < g.m && !bad; o++) {\n"
    "            const int oy = (p0 + t) / w, ox = (p0 + t) % w;\n"
    "            float acc = bias[o];\n"
    "            for (int q = 0; q < kk; q++) {\n"
    "                const int y = oy - pad + q / k * dil, xx = ox - pad + q % k * dil;\n"
    "                const int in = y >= 0 && y < h && xx >= 0 && xx < w;\n"
    "                for (int ch = 0; ch < c; ch++)\n"
    "                    acc = fmaf(wt[(o * c + ch) * kk + q], in ? x[(ch * h + y) * w + xx] : 0.0f, acc);\n"
    "            }\n"
    "            bad = memcmp(&acc, &off[t * b.mpad + o], sizeof acc) != 0;\n"
    "            if (bad)\n"
    "                printf(\"c %d map %d x %d k %d tile %d + %d: pixel %d output %d: %.9g, want %.9g\\n\",\n"
    "                       c, h, w, k, p0, np, p0 + t, o, off[t * b.mpad + o], acc);\n"
    "        }\n"
    "    free(x); free(xpad); free(wt); free(bias); free(wpk); free(off); free(base);\n"
    "    return bad;\n"
    "}\n"
    "int main(void) {\n"
    "    static const int MAPS[][2] = {{20, 20}, {7, 9}, {1, 13}, {23, 30}};\n"
    "    static const int CS[] = {8, 32, 40, 120};\n"
    "    int bad = 0, n = 0;\n"
    "    for (int m = 0; m < 4; m++)\n"
    "        for (int ci = 0; ci < 4; ci++)\n"
    "            for (int kd = 0; kd < 2; kd++) {\n"
    "                const int h = MAPS[m][0], w = MAPS[m][1], pix = h * w, c = CS[ci];\n"
    "                const int k = kd ? 7 : 5, pad = kd ? 9 : 2, dil = kd ? 3 : 1;\n"
    "                const int p0 = pix > 4 ? w / 2 + 1 : 0, np = pix - p0 - (pix > 8 ? 3 : 0);\n"
    "                bad |= check(c, h, w, k, pad, dil, 0, pix);\n"
    "                bad |= check(c, h, w, k, pad, dil, p0, np);\n"
    "                n += 2;\n"
    "            }\n"
    "    const struct abl_off_block s = abl_off_blocking(50), l = abl_off_blocking(98);\n"
    "    printf(\"%d tiles checked; 5x5: %d + %d left, 7x7: %d + %d left\\n\", n, s.mfull, s.left, l.mfull, l.left);\n"
    "    return bad;\n"
    "}\n";

Test(dlka_offsets, direct_same_bits_as_fma_sum, .timeout = 180)
{
    cr_assert_eq(run_header_checker(OFFSETS_CHECKER), 0,
                 "abl_off_tile differs from the (tap, channel) fmaf sum (see the test's output)");
}

/* abl_off_tile in parts of 2 blocks of pixels (ABL_OFF_HITS: 256 in the
 * kernels, one part for their tiles of up to 1024 pixels), so that each
 * part's taps-inside masks, source offsets and output rows start past the
 * tile's first pixel: the same bits as the one-part sum. */
Test(dlka_offsets, tile_in_parts_same_bits, .timeout = 180)
{
    static char src[sizeof OFFSETS_CHECKER + 64];
    snprintf(src, sizeof src, "#define ABL_OFF_HITS 2\n%s", OFFSETS_CHECKER);
    cr_assert_eq(run_header_checker(src), 0,
                 "abl_off_tile in parts differs from the (tap, channel) fmaf sum (see the test's output)");
}
