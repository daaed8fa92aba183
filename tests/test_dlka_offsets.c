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

#include "gen_check.h"
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
    "/* every output of the map as the (tap, channel) fmaf sum, pixel-major, made\n"
    "   once per geometry (the checks' tiles are parts of the map, the inputs\n"
    "   depend on the geometry alone): per output, from the bias, each (tap,\n"
    "   channel) term in that order as one fmaf, zeros outside the map; the\n"
    "   outputs as the inner loop so that the sums run side by side */\n"
    "static float *sums;\n"
    "static struct abl_off_geom sums_g;\n"
    "static const float *fma_sums(struct abl_off_geom g, const float *x, const float *wt,\n"
    "                             const float *bias) {\n"
    "    if (sums && !memcmp(&g, &sums_g, sizeof g)) return sums;\n"
    "    const int c = g.c, h = g.h, w = g.w, k = g.k, kk = k * k, m = g.m;\n"
    "    float *wq = malloc(sizeof(float) * kk * c * m);\n"
    "    for (int q = 0; q < kk; q++)\n"
    "        for (int ch = 0; ch < c; ch++)\n"
    "            for (int o = 0; o < m; o++)\n"
    "                wq[(q * c + ch) * m + o] = wt[(o * c + ch) * kk + q];\n"
    "    free(sums);\n"
    "    sums = malloc(sizeof(float) * h * w * m);\n"
    "    sums_g = g;\n"
    "    for (int p = 0; p < h * w; p++) {\n"
    "        float *s = sums + (size_t)p * m;\n"
    "        for (int o = 0; o < m; o++) s[o] = bias[o];\n"
    "        for (int q = 0; q < kk; q++) {\n"
    "            const int y = p / w - g.pad + q / k * g.dil;\n"
    "            const int xx = p % w - g.pad + q % k * g.dil;\n"
    "            const int in = y >= 0 && y < h && xx >= 0 && xx < w;\n"
    "            for (int ch = 0; ch < c; ch++) {\n"
    "                const float xv = in ? x[(ch * h + y) * w + xx] : 0.0f;\n"
    "                const float *wo = wq + (q * c + ch) * m;\n"
    "                for (int o = 0; o < m; o++) s[o] = fmaf(wo[o], xv, s[o]);\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "    free(wq);\n"
    "    return sums;\n"
    "}\n"
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
    "    const float *want = fma_sums(g, x, wt, bias);\n"
    "    for (int t = 0; t < np && !bad; t++)\n"
    "        for (int o = 0; o < g.m && !bad; o++) {\n"
    "            const float acc = want[(p0 + t) * g.m + o];\n"
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

/* abl_off_order, the direct conv's pixel order (blocks of P grouped by
 * their taps inside the map): a permutation of the part's pixels, each
 * block's mask the union of its pixels' exact masks (a tap missing from it
 * would drop a term: direct_same_bits_as_fma_sum checks the sums), and no
 * more taps summed than the tile's own order; at L23's 20 x 20 (7x7
 * dilation 3, the two tiles of 200 pixels and the merged 400, blocks of
 * 3) at most 55.7 % of the taps (consecutive blocks: 61.2-61.8 %, the
 * taps inside: 55.2 %).  Maps with taps wholly in the padding, one row,
 * parts from mid-row, ragged ends; P 1 to ABL_OFF_PMAX. */
static const char ORDER_CHECKER[] =
    "#include <stdio.h>\n"
    "#include \"ablate_dlka_offsets.h\"\n"
    "static long taps(struct abl_off_geom g, int pix0, int n, int P, const int *ord, const uint64_t *hits, int *bad) {\n"
    "    long sum = 0; int seen[4096] = {0};\n"
    "    for (int b = 0; b * P < n; b++) {\n"
    "        uint64_t u = 0;\n"
    "        for (int i = b * P; i < n && i < (b + 1) * P; i++) {\n"
    "            if (ord[i] < 0 || ord[i] >= n || seen[ord[i]]++) { printf(\"not a permutation at %d\\n\", i); *bad = 1; return 0; }\n"
    "            u |= abl_off_taps_inside(g, pix0 + ord[i], pix0 + ord[i]);\n"
    "        }\n"
    "        if (u != hits[b]) { printf(\"block %d: mask %llx, want %llx\\n\", b, (unsigned long long)hits[b], (unsigned long long)u); *bad = 1; }\n"
    "        sum += (long)P * __builtin_popcountll(u);\n"
    "    }\n"
    "    return sum;\n"
    "}\n"
    "static int check(int h, int w, int k, int pix0, int n, int P, double bound) {\n"
    "    const int dil = k == 7 ? 3 : 1, pad = dil * (k - 1) / 2;\n"
    "    const struct abl_off_geom g = {8, h, w, k, dil, pad, 2 * k * k};\n"
    "    int ord[ABL_OFF_HITS * ABL_OFF_PMAX], id[ABL_OFF_HITS * ABL_OFF_PMAX], bad = 0;\n"
    "    uint64_t hits[ABL_OFF_HITS], lin[ABL_OFF_HITS];\n"
    "    long exact = 0;\n"
    "    for (int t = 0; t < n; t++) { id[t] = t; exact += __builtin_popcountll(abl_off_taps_inside(g, pix0 + t, pix0 + t)); }\n"
    "    for (int t = 0; t < n; t += P) lin[t / P] = abl_off_taps_inside(g, pix0 + t, pix0 + (t + P < n ? t + P : n) - 1);\n"
    "    abl_off_order(g, pix0, n, P, ord, hits);\n"
    "    const long got = taps(g, pix0, n, P, ord, hits, &bad), want = taps(g, pix0, n, P, id, lin, &bad);\n"
    "    const double frac = (double)got / (k * k * (double)n);\n"
    "    if (got > want || (bound > 0 && frac > bound)) {\n"
    "        printf(\"%d x %d k %d pixels %d + %d P %d: %ld taps (%.4f), the tile's order %ld, inside %ld\\n\", h, w, k, pix0, n, P, got, frac, want, exact);\n"
    "        bad = 1;\n"
    "    }\n"
    "    return bad;\n"
    "}\n"
    "int main(void) {\n"
    "    static const int MAPS[][2] = {{20, 20}, {7, 9}, {1, 13}, {23, 30}, {40, 40}, {11, 5}};\n"
    "    int bad = 0, n = 0;\n"
    "    for (int m = 0; m < 6; m++)\n"
    "        for (int k = 5; k <= 7; k += 2)\n"
    "            for (int P = 1; P <= ABL_OFF_PMAX; P++) {\n"
    "                const int h = MAPS[m][0], w = MAPS[m][1], pix = h * w;\n"
    "                const int all = pix < ABL_OFF_HITS * P ? pix : ABL_OFF_HITS * P;\n"
    "                const int p0 = pix > 4 ? w / 2 + 1 : 0, np = all - p0 - (all > 8 ? 3 : 0);\n"
    "                bad |= check(h, w, k, 0, all, P, 0);\n"
    "                bad |= check(h, w, k, p0, np, P, 0);\n"
    "                n += 2;\n"
    "            }\n"
    "    bad |= check(20, 20, 7, 0, 200, 3, 0.557);\n"
    "    bad |= check(20, 20, 7, 200, 200, 3, 0.557);\n"
    "    bad |= check(20, 20, 7, 0, 400, 3, 0.557);\n"
    "    printf(\"%d parts checked\\n\", n + 3);\n"
    "    return bad;\n"
    "}\n";

Test(dlka_offsets, order_groups_taps, .timeout = 120)
{
    cr_assert_eq(run_header_checker(ORDER_CHECKER), 0,
                 "abl_off_order: not a permutation, a wrong mask or more taps (see the test's output)");
}

/* The direct conv in abl_off_order's order at the AVX2 build's blocking
 * (2 pixels a block, chunks of 56): the same bits as the fmaf sum. */
Test(dlka_offsets, direct_same_bits_avx2, .timeout = 180)
{
    cr_assert_eq(run_header_checker_avx2(OFFSETS_CHECKER), 0,
                 "abl_off_tile (x86-64-v3) differs from the (tap, channel) fmaf sum (see the test's output)");
}

/* ABL_DLKA_OFF_WR_OK(k) (ablate_dlka.h: abl_off_wr_ok's macro at the
 * geometry kernel k stands for, a constant so kernels can leave out the
 * direct conv behind Winograd) against abl_off_wr_ok of the attention's two
 * offset convs as the layer builds them, at this build's blocking. */
static const char WR_OK_CHECKER[] =
    "#include <stdio.h>\n"
    "#include \"ablate_dlka.h\"\n"
    "int main(void)\n"
    "{\n"
    "    const struct abl_off_geom g5 = {32, 40, 40, 5, 1, 2, 50}, g7 = {32, 40, 40, 7, 3, 9, 98};\n"
    "    printf(\"k5: macro %d function %d; k7: macro %d function %d\\n\", ABL_DLKA_OFF_WR_OK(5),\n"
    "           abl_off_wr_ok(g5), ABL_DLKA_OFF_WR_OK(7), abl_off_wr_ok(g7));\n"
    "    return !ABL_DLKA_OFF_WR_OK(5) != !abl_off_wr_ok(g5) ||\n"
    "           !ABL_DLKA_OFF_WR_OK(7) != !abl_off_wr_ok(g7);\n"
    "}\n";

Test(dlka_offsets, wr_ok_constant_matches)
{
    cr_assert_eq(run_header_checker(WR_OK_CHECKER), 0,
                 "ABL_DLKA_OFF_WR_OK differs from abl_off_wr_ok (see the test's output)");
}

Test(dlka_offsets, wr_ok_constant_matches_avx2)
{
    cr_assert_eq(run_header_checker_avx2(WR_OK_CHECKER), 0,
                 "ABL_DLKA_OFF_WR_OK differs from abl_off_wr_ok at x86-64-v3 (see the test's output)");
}

/* The tolerance checkers' common part (C source, after their includes):
 * their inputs (x up to 3, weights at a conv's default init scale
 * 1 / sqrt(fan-in), a bias ramp) and one output of the offset conv as the
 * sum in double, with the sum of its terms' |values| in *mag. */
#define OFF_REF_SRC \
    "static void fill(struct abl_off_geom g, float *x, float *wt, float *bias) {\n" \
    "    const int c = g.c, h = g.h, w = g.w, kk = g.k * g.k;\n" \
    "    for (int i = 0; i < c * h * w; i++) x[i] = sinf(0.37f * i) * (i % 7 ? 1.0f : 3.0f);\n" \
    "    const float sc = 1.0f / sqrtf((float)(c * kk));\n" \
    "    for (int i = 0; i < g.m * c * kk; i++) wt[i] = sc * cosf(0.21f * i + 0.5f);\n" \
    "    for (int i = 0; i < g.m; i++) bias[i] = 0.01f * i - 0.5f;\n" \
    "}\n" \
    "/* every output of the map and the sum of its terms' |values|, pixel-major,\n" \
    "   made once per geometry (the checks' tiles are parts of the map, both\n" \
    "   algorithms are checked on each, the inputs depend on the geometry\n" \
    "   alone): per output, from the bias, each (tap, channel) term in that\n" \
    "   order, in double (a product of two floats is exact there), the outputs\n" \
    "   as the inner loop so that the sums run side by side */\n" \
    "static double *ref_sum, *ref_mag;\n" \
    "static struct abl_off_geom ref_g;\n" \
    "static void ref_table(struct abl_off_geom g, const float *x, const float *wt,\n" \
    "                      const float *bias) {\n" \
    "    const int c = g.c, h = g.h, w = g.w, k = g.k, kk = k * k, m = g.m;\n" \
    "    float *wq = malloc(sizeof(float) * kk * c * m);\n" \
    "    for (int q = 0; q < kk; q++)\n" \
    "        for (int ch = 0; ch < c; ch++)\n" \
    "            for (int o = 0; o < m; o++)\n" \
    "                wq[(q * c + ch) * m + o] = wt[(o * c + ch) * kk + q];\n" \
    "    free(ref_sum);\n" \
    "    free(ref_mag);\n" \
    "    ref_sum = malloc(sizeof(double) * h * w * m);\n" \
    "    ref_mag = malloc(sizeof(double) * h * w * m);\n" \
    "    ref_g = g;\n" \
    "    for (int p = 0; p < h * w; p++) {\n" \
    "        double *s = ref_sum + (size_t)p * m, *a = ref_mag + (size_t)p * m;\n" \
    "        for (int o = 0; o < m; o++) { s[o] = bias[o]; a[o] = fabs(bias[o]); }\n" \
    "        for (int q = 0; q < kk; q++) {\n" \
    "            const int y = p / w - g.pad + q / k * g.dil;\n" \
    "            const int xx = p % w - g.pad + q % k * g.dil;\n" \
    "            if (y < 0 || y >= h || xx < 0 || xx >= w) continue;\n" \
    "            for (int ch = 0; ch < c; ch++) {\n" \
    "                const double xv = x[(ch * h + y) * w + xx];\n" \
    "                const float *wo = wq + (q * c + ch) * m;\n" \
    "                for (int o = 0; o < m; o++) {\n" \
    "                    const double t = (double)wo[o] * xv;\n" \
    "                    s[o] += t;\n" \
    "                    a[o] += fabs(t);\n" \
    "                }\n" \
    "            }\n" \
    "        }\n" \
    "    }\n" \
    "    free(wq);\n" \
    "}\n" \
    "/* output o of pixel p and the sum of its terms' |values| in *mag */\n" \
    "static double ref_out(struct abl_off_geom g, const float *x, const float *wt,\n" \
    "                      const float *bias, int o, int p, double *mag) {\n" \
    "    if (!ref_sum || memcmp(&g, &ref_g, sizeof g)) ref_table(g, x, wt, bias);\n" \
    "    *mag = ref_mag[(size_t)p * g.m + o];\n" \
    "    return ref_sum[(size_t)p * g.m + o];\n" \
    "}\n"

/* The offset convs by Winograd F(2, k) along rows (abl_off_tile_wr: the
 * 7x7 dilation 3 and the 5x5) against the sum in double: their bits differ
 * from the direct conv's, so the check is a tolerance, with the direct
 * conv's own error printed beside it.  Weights at a conv's default init
 * scale (1 / sqrt(fan-in)), inputs up to 3.  Maps: 40 x 40 (several blocks
 * of ABL_OFF_WR_NB pairs), 20 x 20, 11 x 5 and 3 x 47 (rows of 5 and 47:
 * short last groups, phantom partners past the row's end), 1 x 13, 7 x 9,
 * 23 x 30 (kernel rows wholly in the padding); channels 8, 40, 120 (the
 * transform's scalar tail with AVX-512; 120: one kernel row's weights past
 * the L1 block, channels split); tiles from 0 and from mid-row with ragged
 * ends, output rows NaN first (a pixel left out stays NaN).  The source
 * copy is followed by exactly abl_off_wr_slack_floats zeros, then NaN.
 * Bounds: |err| <= 1e-5 x the sum of |terms| and <= 5e-4 (measured on
 * the Intel Xeon, AVX-512 and x86-64-v3 builds, the larger of the two
 * convs: 3.0e-6 and 6.5e-5; the direct conv 9.3e-7 and 1.5e-5). */
static const char WR_CHECKER[] =
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <math.h>\n"
    "#include \"ablate_dlka_offsets.h\"\n"
    OFF_REF_SRC
    "static double err_rel[2][2], err_abs[2][2];\n"
    "static int check(int c, int h, int w, int k, int p0, int np, int direct) {\n"
    "    const int dil = k == 7 ? 3 : 1, pad = dil * (k - 1) / 2, kk = k * k, l = k == 7;\n"
    "    const struct abl_off_geom g = {c, h, w, k, dil, pad, 2 * kk};\n"
    "    const struct abl_off_block b = abl_off_blocking(g.m);\n"
    "    const int hp = h + 2 * pad, wp = w + 2 * pad, slack = (int)abl_off_wr_slack_floats(c);\n"
    "    if (!abl_off_wr_ok(g)) { printf(\"abl_off_wr_ok refuses the %dx%d\\n\", k, k); return 1; }\n"
    "    float *x = malloc(sizeof(float) * c * h * w);\n"
    "    float *xpad = malloc(sizeof(float) * (hp * wp * c + slack + 64));\n"
    "    float *wt = malloc(sizeof(float) * g.m * c * kk), *bias = malloc(sizeof(float) * g.m);\n"
    "    float *wpk = malloc(sizeof(float) * kk * c * ABL_OFF_MPAD_MAX), bpad[ABL_OFF_MPAD_MAX];\n"
    "    float *uw = malloc(sizeof(float) * abl_off_wr_weight_floats(k, c));\n"
    "    float *scr = malloc(sizeof(float) * abl_off_wr_scratch_floats(c));\n"
    "    float *off = malloc(sizeof(float) * (np + ABL_OFF_PMAX) * b.mpad);\n"
    "    int *base = malloc(sizeof(int) * 2 * np), bad = 0;\n"
    "    fill(g, x, wt, bias);\n"
    "    abl_off_pack(g, b.mpad, wt, bias, 0, kk, wpk, bpad);\n"
    "    abl_off_wr_pack(k, c, wt, 0, (k + 1) * k, uw);\n"
    "    abl_off_pad_rows(g, x, 0, hp, xpad);\n"
    "    for (int i = 0; i < slack + 64; i++) xpad[hp * wp * c + i] = i < slack ? 0.0f : NAN;\n"
    "    for (int i = 0; i < (np + ABL_OFF_PMAX) * b.mpad; i++) off[i] = NAN;\n"
    "    if (direct) abl_off_tile(g, xpad, x, wpk, bpad, p0, np, base, off);\n"
    "    else abl_off_tile_wr(g, xpad, x, wpk, bpad, uw, p0, np, base, scr, off);\n"
    "    for (int t = 0; t < np && !bad; t++)\n"
    "        for (int o = 0; o < g.m && !bad; o++) {\n"
    "            double mag;\n"
    "            const double acc = ref_out(g, x, wt, bias, o, p0 + t, &mag);\n"
    "            const double got = off[t * b.mpad + o], e = fabs(got - acc);\n"
    "            bad = !(e <= 1e-5 * mag && e <= 5e-4);\n"
    "            if (bad)\n"
    "                printf(\"%s %dx%d c %d map %d x %d tile %d + %d: pixel %d output %d: %.9g, want %.9g\\n\",\n"
    "                       direct ? \"direct\" : \"F(2, k)\", k, k, c, h, w, p0, np, p0 + t, o, got, acc);\n"
    "            if (e > err_abs[l][direct]) err_abs[l][direct] = e;\n"
    "            if (e > err_rel[l][direct] * mag) err_rel[l][direct] = e / mag;\n"
    "        }\n"
    "    free(x); free(xpad); free(wt); free(bias); free(wpk); free(uw); free(scr); free(off); free(base);\n"
    "    return bad;\n"
    "}\n"
    "int main(void) {\n"
    "    static const int MAPS[][2] = {{40, 40}, {20, 20}, {11, 5}, {3, 47}, {1, 13}, {7, 9}, {23, 30}};\n"
    "    static const int CS[] = {8, 40, 120};\n"
    "    int bad = 0, n = 0;\n"
    "    for (int m = 0; m < 7; m++)\n"
    "        for (int ci = 0; ci < 3; ci++)\n"
    "            for (int k = 5; k <= 7; k += 2)\n"
    "                for (int d = 0; d < 2; d++) {\n"
    "                    const int h = MAPS[m][0], w = MAPS[m][1], pix = h * w, c = CS[ci];\n"
    "                    const int p0 = pix > 4 ? w / 2 + 1 : 0, np = pix - p0 - (pix > 8 ? 3 : 0);\n"
    "                    bad |= check(c, h, w, k, 0, pix, d);\n"
    "                    bad |= check(c, h, w, k, p0, np, d);\n"
    "                    n += 2;\n"
    "                }\n"
    "    for (int l = 0; l < 2; l++)\n"
    "        printf(\"%s, %d tiles; max |err|: F(2, k) %.3g (%.3g of the |terms|), direct %.3g (%.3g)\\n\",\n"
    "               l ? \"7x7 d3\" : \"5x5\", n / 2, err_abs[l][0], err_rel[l][0], err_abs[l][1], err_rel[l][1]);\n"
    "    return bad;\n"
    "}\n";

Test(dlka_offsets, wr_within_tolerance, .timeout = 180)
{
    cr_assert_eq(run_header_checker(WR_CHECKER), 0,
                 "abl_off_tile_wr past its tolerance (see the test's output)");
}

/* The same built for an AVX2-only CPU: 8-float vectors, the 7x7's 112
 * outputs as 2 chunks of 56 (no left-over path), the transform's vector
 * loop at 8 channels. */
Test(dlka_offsets, wr_within_tolerance_avx2, .timeout = 180)
{
    cr_assert_eq(run_header_checker_avx2(WR_CHECKER), 0,
                 "abl_off_tile_wr (x86-64-v3) past its tolerance (see the test's output)");
}

/* Both offset convs by 2-D Winograd F(2x2, k) (abl_off_tile_w2): against
 * the sum in double as wr_within_tolerance, on the same maps, channels and
 * tiles, plus 40 x 40 from 0 (441 quads of the 7x7: blocks of
 * ABL_OFF_W2_NQ), a tile of whole rows from row 7 (quads anchored on the
 * tile's first row, phantom partner rows inside the map) and one ending
 * mid-row.  The padded copy is followed directly by NaN (the quads read no
 * slack: input rows outside the map are skipped, columns past a row read
 * the next padded row's padding), the output rows are NaN first, and the
 * rows past the tile must stay NaN (a phantom is not stored).  Bounds:
 * |err| <= 2e-5 x the sum of |terms| and <= 5e-4 (measured on the Intel
 * Xeon, AVX-512 and x86-64-v3 builds: see the test's output and
 * docs/modules/perf_deform.md, eighth Intel pass). */
static const char W2_CHECKER[] =
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <math.h>\n"
    "#include \"ablate_dlka_offsets.h\"\n"
    OFF_REF_SRC
    "static double err_rel[2], err_abs[2];\n"
    "static int check(int c, int h, int w, int k, int p0, int np) {\n"
    "    const int dil = k == 7 ? 3 : 1, pad = dil * (k - 1) / 2, kk = k * k, l = k == 7;\n"
    "    const struct abl_off_geom g = {c, h, w, k, dil, pad, 2 * kk};\n"
    "    const struct abl_off_block b = abl_off_blocking(g.m);\n"
    "    const int hp = h + 2 * pad, wp = w + 2 * pad;\n"
    "    if (!abl_off_w2_ok(g)) { printf(\"abl_off_w2_ok refuses the %dx%d\\n\", k, k); return 1; }\n"
    "    float *x = malloc(sizeof(float) * c * h * w);\n"
    "    float *xpad = malloc(sizeof(float) * (hp * wp * c + 64));\n"
    "    float *wt = malloc(sizeof(float) * g.m * c * kk), *bias = malloc(sizeof(float) * g.m);\n"
    "    float *wpk = malloc(sizeof(float) * kk * c * ABL_OFF_MPAD_MAX), bpad[ABL_OFF_MPAD_MAX];\n"
    "    float *uw = malloc(sizeof(float) * abl_off_wr_weight_floats(k, c));\n"
    "    float *scr = malloc(sizeof(float) * abl_off_wr_scratch_floats(c));\n"
    "    float *off = malloc(sizeof(float) * (np + ABL_OFF_PMAX) * b.mpad);\n"
    "    int bad = 0;\n"
    "    fill(g, x, wt, bias);\n"
    "    abl_off_pack(g, b.mpad, wt, bias, 0, kk, wpk, bpad);\n"
    "    abl_off_w2_pack(k, c, wt, 0, (k + 1) * (k + 1), uw);\n"
    "    abl_off_pad_rows(g, x, 0, hp, xpad);\n"
    "    for (int i = 0; i < 64; i++) xpad[hp * wp * c + i] = NAN;\n"
    "    for (int i = 0; i < (np + ABL_OFF_PMAX) * b.mpad; i++) off[i] = NAN;\n"
    "    abl_off_tile_w2(g, xpad, x, wpk, bpad, uw, p0, np, scr, off);\n"
    "    for (int i = np * b.mpad; i < (np + ABL_OFF_PMAX) * b.mpad && !bad; i++)\n"
    "        if (!isnan(off[i])) { printf(\"%dx%d map %d x %d tile %d + %d: row %d past the tile written\\n\", k, k, h, w, p0, np, i / b.mpad); bad = 1; }\n"
    "    for (int t = 0; t < np && !bad; t++)\n"
    "        for (int o = 0; o < g.m && !bad; o++) {\n"
    "            double mag;\n"
    "            const double acc = ref_out(g, x, wt, bias, o, p0 + t, &mag);\n"
    "            const double got = off[t * b.mpad + o], e = fabs(got - acc);\n"
    "            bad = !(e <= 2e-5 * mag && e <= 5e-4);\n"
    "            if (bad)\n"
    "                printf(\"F(2x2, k) %dx%d c %d map %d x %d tile %d + %d: pixel %d output %d: %.9g, want %.9g\\n\",\n"
    "                       k, k, c, h, w, p0, np, p0 + t, o, got, acc);\n"
    "            if (e > err_abs[l]) err_abs[l] = e;\n"
    "            if (e > err_rel[l] * mag) err_rel[l] = e / mag;\n"
    "        }\n"
    "    free(x); free(xpad); free(wt); free(bias); free(wpk); free(uw); free(scr); free(off);\n"
    "    return bad;\n"
    "}\n"
    "int main(void) {\n"
    "    static const int MAPS[][2] = {{40, 40}, {20, 20}, {11, 5}, {3, 47}, {1, 13}, {7, 9}, {23, 30}};\n"
    "    static const int CS[] = {8, 40, 120};\n"
    "    int bad = 0, n = 0;\n"
    "    for (int m = 0; m < 7; m++)\n"
    "        for (int ci = 0; ci < 3; ci++)\n"
    "            for (int k = 5; k <= 7; k += 2) {\n"
    "                const int h = MAPS[m][0], w = MAPS[m][1], pix = h * w, c = CS[ci];\n"
    "                const int p0 = pix > 4 ? w / 2 + 1 : 0, np = pix - p0 - (pix > 8 ? 3 : 0);\n"
    "                bad |= check(c, h, w, k, 0, pix);\n"
    "                bad |= check(c, h, w, k, p0, np);\n"
    "                n += 2;\n"
    "                if (h > 8) { /* whole rows from row 7; from row 2 to mid-row */\n"
    "                    bad |= check(c, h, w, k, 7 * w, (h - 7) * w);\n"
    "                    bad |= check(c, h, w, k, 2 * w, 4 * w + w / 2);\n"
    "                    n += 2;\n"
    "                }\n"
    "            }\n"
    "    for (int l = 0; l < 2; l++)\n"
    "        printf(\"%s, %d tiles; max |err|: F(2x2, k) %.3g (%.3g of the |terms|)\\n\",\n"
    "               l ? \"7x7 d3\" : \"5x5\", n / 2, err_abs[l], err_rel[l]);\n"
    "    return bad;\n"
    "}\n";

Test(dlka_offsets, w2_within_tolerance, .timeout = 180)
{
    cr_assert_eq(run_header_checker(W2_CHECKER), 0,
                 "abl_off_tile_w2 past its tolerance (see the test's output)");
}

/* The same built for an AVX2-only CPU: 8-float vectors, the 7x7's 112
 * outputs as 2 chunks of 56 and the 5x5's 56 (no left-over path), blocks
 * of 2 quads. */
Test(dlka_offsets, w2_within_tolerance_avx2, .timeout = 180)
{
    cr_assert_eq(run_header_checker_avx2(W2_CHECKER), 0,
                 "abl_off_tile_w2 (x86-64-v3) past its tolerance (see the test's output)");
}

/* gen/dlka.lua's choice (M.attention's OFFSETS): for the official
 * variant's direct offset convs 2-D F(2x2, 5) and F(2x2, 7) at every width
 * (tuning.w25_min_w, w27_min_w 1: L13, L17, L20, L23); with those off,
 * F(2, 5) at every width (tuning.f25_min_w 1) and F(2, 7) on maps at least
 * tuning.f27_min_w (40) wide, the direct 7x7 on narrower ones; im2col and
 * the DCNv3 variants untouched.  Then generated kernels on F(2x2, k) (odd
 * width with phantom quads, H != W, batch 2, a C3 block, a 9 x 7 map) and
 * the prepared path. */
static const char *att_offsets(lua_State *L, const char *variant, int c, int h, int w,
                               const char *gen_variant)
{
    lua_getfield(L, -1, "attention");
    lua_pushstring(L, variant);
    lua_pushinteger(L, 1);
    lua_pushinteger(L, c);
    lua_pushinteger(L, h);
    lua_pushinteger(L, w);
    lua_pushstring(L, gen_variant);
    cr_assert_eq(lua_pcall(L, 6, 1, 0), LUA_OK, "%s", lua_tostring(L, -1));
    lua_getfield(L, -1, "OFFSETS");
    static char out[64];
    snprintf(out, sizeof out, "%s", lua_tostring(L, -1));
    lua_pop(L, 2);
    return out;
}

Test(dlka_offsets, wr_generator_choice, .timeout = 300)
{
    lua_State *L = gen_check_require("dlka");
    cr_expect_str_eq(att_offsets(L, "official", 64, 40, 40, "fused"), "ABL_DLKA_DIRECT_W25_W27"); /* L13, L20 */
    cr_expect_str_eq(att_offsets(L, "official", 32, 80, 80, "fused"), "ABL_DLKA_DIRECT_W25_W27"); /* L17 */
    cr_expect_str_eq(att_offsets(L, "official", 128, 20, 20, "fused"), "ABL_DLKA_DIRECT_W25_W27"); /* L23 */
    cr_expect_str_eq(att_offsets(L, "official", 8, 60, 39, "fused"), "ABL_DLKA_DIRECT_W25_W27");
    lua_getfield(L, -1, "tuning"); /* the F(2, k) choice with the 2-D one off */
    lua_pushinteger(L, 1 << 30);
    lua_setfield(L, -2, "w25_min_w");
    lua_pushinteger(L, 1 << 30);
    lua_setfield(L, -2, "w27_min_w");
    lua_pop(L, 1);
    cr_expect_str_eq(att_offsets(L, "official", 64, 40, 40, "fused"), "ABL_DLKA_DIRECT_F25_F27");
    cr_expect_str_eq(att_offsets(L, "official", 128, 20, 20, "fused"), "ABL_DLKA_DIRECT_F25");
    cr_expect_str_eq(att_offsets(L, "official", 64, 40, 40, "im2col"), "ABL_DLKA_IM2COL");
    cr_expect_str_eq(att_offsets(L, "dcnv3_lka", 32, 80, 80, "fused"), "ABL_DLKA_DIRECT");
    lua_close(L);
    gen_check_variant("deformable_LKA_Attention d_model=8 variant=official h=7 w=41", 91, "fused", 1e-3);
    gen_check_variant("deformable_LKA_Attention d_model=40 variant=official h=3 w=44 batch=2", 92, "fused",
                      1e-3);
    gen_check_variant("C3_DCNv3_DLKA c1=8 c2=16 variant=official h=5 w=40", 93, "fused", 1e-3);
    gen_check_variant("deformable_LKA_Attention d_model=24 variant=official h=9 w=7", 95, "fused", 1e-3);
    gen_check_prepared_case("deformable_LKA_Attention d_model=16 variant=official h=4 w=43 batch=2", 94,
                            "fused", 1);
}

/* A team of one thread makes the offsets of ABL_DLKA_MERGE tiles of an
 * image in one call on the direct 7x7 and the F(2x2, k) paths (ablate_dlka.h;
 * the generator now chooses F(2x2, k) for both convs): generated
 * kernels where that happens at 1 thread (and not at 2) against the scalar
 * reference: 13 x 15 (2 tiles of 97 and 98 pixels, the boundary mid-row),
 * batch 2 at 20 x 20 (the tiles of one image merged, not across images),
 * the C3 block at 9 x 30, and the prepared path at 1 thread. */
Test(dlka_offsets, merged_tiles_one_thread, .timeout = 300)
{
    gen_check_variant("deformable_LKA_Attention d_model=24 variant=official h=13 w=15", 96, "fused", 1e-3);
    gen_check_variant("deformable_LKA_Attention d_model=16 variant=official h=20 w=20 batch=2", 97, "fused",
                      1e-3);
    gen_check_variant("C3_DCNv3_DLKA c1=8 c2=16 variant=official h=9 w=30", 98, "fused", 1e-3);
    gen_check_prepared_case("deformable_LKA_Attention d_model=16 variant=official h=13 w=15 batch=2", 99,
                            "fused", 1);
}
