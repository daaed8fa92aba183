/* tests/test_dcnv3_dw.c — the depthwise conv of DCNv3's phase A on narrow
 * rows (gen/runtime/ablate_dcnv3.h: abl_dw_row_padded, which abl_dw_row
 * takes for k >= 5 on rows narrower than ABL_DW_PADDED_SWITCH).  It sums
 * four channels at once over zero-padded rows as wide as whole vectors
 * (the last one 8 floats wide where at most 8 columns are left);
 * checked: the same bits as the one-channel-at-a-time loop
 * (abl_dw_row_small: bias, then the taps in row-major order), and a
 * double-precision zero-padded depthwise conv, for every output row (the
 * top and bottom ones read rows outside the map), channel counts that are
 * and are not multiples of four, and widths that are and are not whole
 * vectors. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ablate_dcnv3.h"
#include "header_check.h"

enum { C_MAX = 7, H_MAX = 9, W_MAX = 48, K_MAX = 7 };

static double reference(const float *x, const float *wt, const float *bias, int h, int w, int k,
                        int ch, int r, int j)
{
    const int pd = (k - 1) / 2;
    double acc = bias[ch];
    for (int u = 0; u < k; u++)
        for (int v = 0; v < k; v++) {
            const int yy = r - pd + u, xx = j - pd + v;
            if (yy >= 0 && yy < h && xx >= 0 && xx < w)
                acc += (double)wt[(ch * k + u) * k + v] * x[(ch * h + yy) * w + xx];
        }
    return acc;
}

static void check_rows(int c, int h, int w, int k)
{
    static float x[C_MAX * H_MAX * W_MAX], wt[C_MAX * K_MAX * K_MAX], bias[C_MAX];
    static float padded[C_MAX * W_MAX + 1], small[C_MAX * W_MAX + 1];
    for (int i = 0; i < c * h * w; i++)
        x[i] = sinf(0.61f * (float)i) + 0.2f;
    for (int i = 0; i < c * k * k; i++)
        wt[i] = cosf(1.7f * (float)i) * 0.3f;
    for (int ch = 0; ch < c; ch++)
        bias[ch] = 0.1f * (float)ch - 0.25f;
    for (int r = 0; r < h; r++) {
        padded[c * w] = small[c * w] = 42.0f; /* guard: nothing written past the row */
        abl_dw_row_padded(x, wt, bias, c, h, w, k, r, padded);
        abl_dw_row_small(x, wt, bias, c, h, w, k, r, small);
        cr_assert_eq(padded[c * w], 42.0f, "c %d w %d k %d row %d: wrote past the row", c, w, k, r);
        cr_assert_eq(memcmp(padded, small, sizeof(float) * (size_t)(c * w)), 0,
                     "c %d w %d k %d row %d: not the one-channel loop's bits", c, w, k, r);
        for (int ch = 0; ch < c; ch++)
            for (int j = 0; j < w; j++) {
                const double ref = reference(x, wt, bias, h, w, k, ch, r, j);
                cr_assert(fabs(padded[ch * w + j] - ref) <= 1e-5 * (1.0 + fabs(ref)),
                          "c %d w %d k %d row %d channel %d column %d: %g, reference %g", c, w, k,
                          r, ch, j, (double)padded[ch * w + j], ref);
            }
    }
}

/* 7 x 7 at 20 columns (YOLOv5n's P5: one vector and an 8-wide one), 7
 * channels (a block of four and three single ones). */
Test(dcnv3_dw, k7_w20_c7) { check_rows(7, 9, 20, 7); }

/* 7 x 7 at 40 columns (two vectors and an 8-wide one). */
Test(dcnv3_dw, k7_w40_c4) { check_rows(4, 5, 40, 7); }

/* 5 x 5 at 16 and at 48 columns (whole vectors: no partial part). */
Test(dcnv3_dw, k5_w16_c4) { check_rows(4, 6, 16, 5); }
Test(dcnv3_dw, k5_w48_c5) { check_rows(5, 7, 48, 5); }

/* 7 x 7 on a map narrower and lower than the kernel (every tap row and
 * column reaches outside). */
Test(dcnv3_dw, k7_w3_c6) { check_rows(6, 2, 3, 7); }

/* abl_dw_rows_tile (the fused template's path where ABL_DW_PADDED_OK):
 * nr output rows from one copy of their input rows, in chunks of
 * ABL_DW_TILE_ROWS; every tile (r0, nr) of an h-row map gives, row for
 * row, abl_dw_row_small's bits, and nothing past its nr planes is written.
 * Tiles at the top and bottom (rows outside the map), inside, longer than
 * one chunk (nr > ABL_DW_TILE_ROWS), and the whole map. */
enum { T_C = 7, T_H = 20, T_W = 40 };

static void check_tile(int c, int h, int w, int k, int r0, int nr)
{
    static float x[T_C * T_H * T_W], wt[T_C * K_MAX * K_MAX], bias[T_C];
    static float tile[T_H * T_C * T_W + 1], row[T_C * T_W];
    cr_assert(c <= T_C && h <= T_H && w <= T_W && ABL_DW_PADDED_OK(w, k));
    for (int i = 0; i < c * h * w; i++)
        x[i] = sinf(0.37f * (float)i) - 0.1f;
    for (int i = 0; i < c * k * k; i++)
        wt[i] = cosf(1.3f * (float)i) * 0.25f;
    for (int ch = 0; ch < c; ch++)
        bias[ch] = 0.05f * (float)ch - 0.2f;
    const int plane = c * w;
    tile[nr * plane] = 42.0f;
    abl_dw_rows_tile(x, wt, bias, c, h, w, k, r0, nr, tile, plane);
    cr_assert_eq(tile[nr * plane], 42.0f, "c %d w %d k %d tile %d+%d: wrote past its planes", c,
                 w, k, r0, nr);
    for (int r = 0; r < nr; r++) {
        abl_dw_row_small(x, wt, bias, c, h, w, k, r0 + r, row);
        cr_assert_eq(memcmp(tile + r * plane, row, sizeof(float) * (size_t)plane), 0,
                     "c %d w %d k %d tile %d+%d row %d: not the one-channel loop's bits", c, w, k,
                     r0, nr, r0 + r);
    }
}

Test(dcnv3_dw, tile_k7_w20_c7)
{
    check_tile(7, 20, 20, 7, 0, 5);   /* top: rows -3 .. -1 outside */
    check_tile(7, 20, 20, 7, 5, 5);   /* inside */
    check_tile(7, 20, 20, 7, 15, 5);  /* bottom */
    check_tile(7, 20, 20, 7, 2, 11);  /* two chunks (8 + 3) */
    check_tile(7, 20, 20, 7, 0, 20);  /* the whole map: three chunks */
}

Test(dcnv3_dw, tile_k5_w40_c4)
{
    check_tile(4, 12, 40, 5, 0, 12);
    check_tile(4, 12, 40, 5, 11, 1);
    check_tile(4, 12, 40, 5, 3, 9);
}

/* 7 x 7 on a map lower than the kernel: every output row reads rows outside. */
Test(dcnv3_dw, tile_k7_h2_w3_c6) { check_tile(6, 2, 3, 7, 0, 2); }

/* The tiles compiled as generated kernels are (-O3 -march=native,
 * tests/header_check.h): with AVX-512 abl_dw_tile_padded runs a chunk's
 * rows all in registers (abl_dw_tile_rows: each input vector loaded once
 * for the rows it feeds, rows outside the map as zero taps on the output
 * row's own input row), one specialisation per chunk size (1 .. 8 rows),
 * up to 3 vectors a row, and its intrinsics path past that (56, 60); the
 * bits must be those of the per-row padded path (abl_dw_row_padded) the
 * kernels took before.  Each tile below is its own function with k, w,
 * the channels and the rows constant (as a kernel's: r0 and h at run time),
 * run at the top, the middle and the bottom of a 20-row map, so the
 * checker builds only the specialisations it runs (twelve checks inlined
 * into main with constants took 34-37 CPU-s to build, and reached only
 * the sizes 2, 4, 5, 6 and 8).
 * Which branch each reaches:
 *   k 7, w 20 (one vector and the 8-float one), 4 channels: every chunk
 *     size 1 .. 8, one chunk each;
 *   11 rows at w 20, 7 channels: two chunks (6 + 5), blocks of 4 channels
 *     and single ones (the two inlined copies of the tile);
 *   w 40 (two vectors and the 8-float one): 10 rows (5 + 5), and 17 at 7
 *     channels (6 + 6 + 5); k 5 there, 9 rows (5 + 4);
 *   k 5, w 32 (two whole vectors, no 8-float one), 8 rows;
 *   w 48 (three whole vectors, the most in registers), 9 rows (5 + 4);
 *   w 3 (the 8-float vector alone, narrower than the kernel), 2 rows,
 *     also on a map of 2 rows (every row reads rows outside on both sides);
 *   w 56 and 60 (more than 3 vectors: the intrinsics path).
 * Skips without AVX-512. */
static const char TILE_CHECKER[] =
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <math.h>\n"
    "#include \"ablate_dcnv3.h\"\n"
    "enum { H = 20 };\n"
    "static float x[7 * H * 60], wt[7 * 49], bias[7], tile[17 * 7 * 60 + 1], row[7 * 60];\n"
    "struct tile { void (*run)(int h, int r0); void (*ref)(int h, int r, float *o);\n"
    "              int c, w, k, nr; };\n"
    "#define REF(K, W) static __attribute__((noinline)) void ref_k##K##_w##W(int h, int r, \\\n"
    "    float *o) { abl_dw_row_padded(x, wt, bias, 7, h, W, K, r, o); }\n"
    "#define TILE(K, W, C, NR) static __attribute__((noinline)) void \\\n"
    "    tile_k##K##_w##W##_c##C##_n##NR(int h, int r0) \\\n"
    "    { abl_dw_rows_tile(x, wt, bias, C, h, W, K, r0, NR, tile, C * W); }\n"
    "#define T(K, W, C, NR) {tile_k##K##_w##W##_c##C##_n##NR, ref_k##K##_w##W, C, W, K, NR}\n"
    "REF(7, 20) REF(7, 40) REF(5, 40) REF(5, 32) REF(7, 48) REF(7, 3) REF(5, 56) REF(7, 60)\n"
    "TILE(7, 20, 4, 1) TILE(7, 20, 4, 2) TILE(7, 20, 4, 3) TILE(7, 20, 4, 4) TILE(7, 20, 4, 5)\n"
    "TILE(7, 20, 4, 6) TILE(7, 20, 4, 7) TILE(7, 20, 4, 8) TILE(7, 20, 7, 11) TILE(7, 40, 4, 10)\n"
    "TILE(7, 40, 7, 17) TILE(5, 40, 4, 9) TILE(5, 32, 5, 8) TILE(7, 48, 3, 9) TILE(7, 3, 6, 2)\n"
    "TILE(5, 56, 3, 9) TILE(7, 60, 2, 10)\n"
    "static int check(const struct tile *t, int h, int r0) {\n"
    "    const int c = t->c, w = t->w, k = t->k, nr = t->nr, pl = c * w;\n"
    "    for (int i = 0; i < 7 * h * w; i++) x[i] = sinf(0.37f * (float)i) - 0.1f;\n"
    "    for (int i = 0; i < 7 * k * k; i++) wt[i] = cosf(1.3f * (float)i) * 0.25f;\n"
    "    for (int i = 0; i < 7; i++) bias[i] = 0.05f * (float)i - 0.2f;\n"
    "    tile[nr * pl] = 42.0f;\n"
    "    t->run(h, r0);\n"
    "    int bad = tile[nr * pl] != 42.0f;\n"
    "    for (int r = 0; r < nr; r++) {\n"
    "        t->ref(h, r0 + r, row);\n"
    "        bad |= memcmp(tile + r * pl, row, sizeof(float) * (size_t)pl) != 0;\n"
    "    }\n"
    "    if (bad) printf(\"tile c %d h %d w %d k %d %d+%d differs\\n\", c, h, w, k, r0, nr);\n"
    "    return bad;\n"
    "}\n"
    "int main(void) {\n"
    "    static const struct tile tiles[] = {\n"
    "        T(7, 20, 4, 1), T(7, 20, 4, 2), T(7, 20, 4, 3), T(7, 20, 4, 4), T(7, 20, 4, 5),\n"
    "        T(7, 20, 4, 6), T(7, 20, 4, 7), T(7, 20, 4, 8), T(7, 20, 7, 11), T(7, 40, 4, 10),\n"
    "        T(7, 40, 7, 17), T(5, 40, 4, 9), T(5, 32, 5, 8), T(7, 48, 3, 9), T(7, 3, 6, 2),\n"
    "        T(5, 56, 3, 9), T(7, 60, 2, 10),\n"
    "    };\n"
    "    int bad = 0;\n"
    "    for (int i = 0; i < (int)(sizeof tiles / sizeof tiles[0]); i++) {\n"
    "        const int nr = tiles[i].nr;\n"
    "        bad |= check(&tiles[i], H, 0) | check(&tiles[i], H, (H - nr) / 2);\n"
    "        bad |= check(&tiles[i], H, H - nr);\n"
    "    }\n"
    "    return bad | check(&tiles[14], 2, 0); /* w 3 on a map of 2 rows */\n"
    "}\n";

Test(dcnv3_dw, tile_native_same_bits, .timeout = 120)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f"))
        cr_skip_test("no AVX-512 on this CPU");
    cr_assert_eq(run_header_checker(TILE_CHECKER), 0,
                 "abl_dw_rows_tile differs from abl_dw_row_padded at -march=native (stdout)");
}

/* The same checker built for AVX2 (x86-64-v3: the kernels an AVX2-only
 * CPU gets): there abl_dw_tile_padded multiplies on ymm halves with the
 * tap broadcast once, and its bits must be those of abl_dw_row_padded's
 * generic 16-float vectors (widths with and without the 8-float last
 * vector, one to three whole ones). */
Test(dcnv3_dw, tile_avx2_same_bits, .timeout = 120)
{
    cr_assert_eq(run_header_checker_avx2(TILE_CHECKER), 0,
                 "abl_dw_rows_tile differs from abl_dw_row_padded at -march=x86-64-v3 (stdout)");
}

/* The 3 x 3 rows at -march=native (abl_dw_row's AVX-512 path at k = 3,
 * abl_dw_row3_vec: each input row's vectors loaded once, the neighbouring
 * columns made by valignd): for every output row (the top and bottom ones
 * read rows outside the map) the bits of abl_dw_row_vec, whose masked
 * loads it replaced, a double-precision zero-padded conv within 1e-5,
 * and nothing written past the row; widths below one vector, of whole
 * vectors (16, 32, 80 = 5 x 16) and with a partial last one (17, 20, 40,
 * 47, 100), maps of 1, 2 and more rows.  Skips without AVX-512. */
static const char K3_CHECKER[] =
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <math.h>\n"
    "#include \"ablate_dcnv3.h\"\n"
    "static float x[5 * 9 * 100], wt[5 * 9], bias[5], got[5 * 100 + 1], want[5 * 100];\n"
    "static int check(int c, int h, int w) {\n"
    "    for (int i = 0; i < c * h * w; i++) x[i] = sinf(0.37f * (float)i) - 0.1f;\n"
    "    for (int i = 0; i < c * 9; i++) wt[i] = cosf(1.3f * (float)i) * 0.25f;\n"
    "    for (int i = 0; i < c; i++) bias[i] = 0.05f * (float)i - 0.2f;\n"
    "    int bad = 0;\n"
    "    for (int r = 0; r < h; r++) {\n"
    "        got[c * w] = 42.0f;\n"
    "        abl_dw_row(x, wt, bias, c, h, w, 3, r, got);\n"
    "        abl_dw_row_vec(x, wt, bias, c, h, w, 3, r, want);\n"
    "        bad |= got[c * w] != 42.0f;\n"
    "        bad |= memcmp(got, want, sizeof(float) * (size_t)(c * w)) != 0;\n"
    "        for (int ch = 0; ch < c; ch++)\n"
    "            for (int j = 0; j < w; j++) {\n"
    "                double ref = bias[ch];\n"
    "                for (int u = 0; u < 3; u++)\n"
    "                    for (int v = 0; v < 3; v++) {\n"
    "                        const int yy = r - 1 + u, xx = j - 1 + v;\n"
    "                        if (yy >= 0 && yy < h && xx >= 0 && xx < w)\n"
    "                            ref += (double)wt[ch * 9 + u * 3 + v] * x[(ch * h + yy) * w + xx];\n"
    "                    }\n"
    "                bad |= !(fabs(got[ch * w + j] - ref) <= 1e-5 * (1.0 + fabs(ref)));\n"
    "            }\n"
    "        if (bad) { printf(\"k3 c %d h %d w %d row %d differs\\n\", c, h, w, r); return 1; }\n"
    "    }\n"
    "    return 0;\n"
    "}\n"
    "int main(void) {\n"
    "    int bad = check(5, 9, 40) | check(3, 9, 20) | check(4, 5, 80) | check(2, 3, 100);\n"
    "    bad |= check(5, 1, 3) | check(3, 2, 16) | check(4, 9, 17) | check(3, 4, 32) | check(5, 6, 47);\n"
    "    bad |= check(1, 9, 1) | check(2, 2, 2);\n"
    "    return bad;\n"
    "}\n";

Test(dcnv3_dw, k3_native_same_bits, .timeout = 120)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f"))
        cr_skip_test("no AVX-512 on this CPU");
    cr_assert_eq(run_header_checker(K3_CHECKER), 0,
                 "abl_dw_row at k 3 differs from abl_dw_row_vec or the reference at -march=native (stdout)");
}

/* The AVX2 build's rows at k >= 5 on rows of 64 columns or more
 * (abl_dw_row_avx2: blocks of up to 10 ymm of columns, masked loads at the
 * row's two ends, a masked store for a partial last vector), built as the
 * AVX2 kernels are (-O3 -march=x86-64-v3): for every output row (the top
 * and bottom ones read rows outside the map) the bits of one fmaf chain a
 * column (bias, then the taps row-major, a row outside the map as zero
 * taps on row r, columns past the row skipped), a double-precision
 * zero-padded conv within 1e-5, and nothing written past the row; widths
 * of whole vectors (64, 80 = one block of 10, 160 = two), with a partial
 * last one (65, 79, 81, 100, 203: blocks of 7 and 6 and a 3-wide tail),
 * k 5, 7, 9 and 15 (pd 7: the widest reach past a vector), maps of 1, 2
 * and more rows.  abl_dw_row_small, which the rows took before, gives
 * other bits at run-time k (gcc's own vectorisation). */
static const char AVX2_ROWS_CHECKER[] =
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <math.h>\n"
    "#include \"ablate_dcnv3.h\"\n"
    "static float x[3 * 9 * 203], wt[3 * 225], bias[3], got[3 * 203 + 1];\n"
    "static int check(int c, int h, int w, int k) {\n"
    "    const int pd = (k - 1) / 2;\n"
    "    for (int i = 0; i < c * h * w; i++) x[i] = sinf(0.37f * (float)i) - 0.1f;\n"
    "    for (int i = 0; i < c * k * k; i++) wt[i] = cosf(1.3f * (float)i) * 0.25f;\n"
    "    for (int i = 0; i < c; i++) bias[i] = 0.05f * (float)i - 0.2f;\n"
    "    for (int r = 0; r < h; r++) {\n"
    "        got[c * w] = 42.0f;\n"
    "        abl_dw_row(x, wt, bias, c, h, w, k, r, got);\n"
    "        int bad = got[c * w] != 42.0f;\n"
    "        for (int ch = 0; ch < c; ch++)\n"
    "            for (int j = 0; j < w; j++) {\n"
    "                float chain = bias[ch];\n"
    "                double ref = bias[ch];\n"
    "                for (int u = 0; u < k; u++)\n"
    "                    for (int v = 0; v < k; v++) {\n"
    "                        const int yy = r - pd + u, xx = j - pd + v, in = yy >= 0 && yy < h;\n"
    "                        if (xx < 0 || xx >= w) continue;\n"
    "                        const float t = in ? wt[(ch * k + u) * k + v] : 0.0f;\n"
    "                        chain = fmaf(t, x[(ch * h + (in ? yy : r)) * w + xx], chain);\n"
    "                        if (in) ref += (double)t * x[(ch * h + yy) * w + xx];\n"
    "                    }\n"
    "                bad |= got[ch * w + j] != chain;\n"
    "                bad |= !(fabs(got[ch * w + j] - ref) <= 1e-5 * (1.0 + fabs(ref)));\n"
    "            }\n"
    "        if (bad) { printf(\"avx2 rows k %d c %d h %d w %d row %d differ\\n\", k, c, h, w, r); return 1; }\n"
    "    }\n"
    "    return 0;\n"
    "}\n"
    "int main(void) {\n"
    "    static const int ks[] = {5, 7, 9, 15};\n"
    "    int bad = 0;\n"
    "    for (int i = 0; i < 4; i++) {\n"
    "        const int k = ks[i];\n"
    "        bad |= check(3, 9, 80, k) | check(2, 9, 79, k) | check(3, 5, 81, k) | check(2, 2, 64, k);\n"
    "        bad |= check(1, 1, 65, k) | check(2, 9, 100, k) | check(1, 4, 160, k) | check(1, 9, 203, k);\n"
    "    }\n"
    "    return bad;\n"
    "}\n";

Test(dcnv3_dw, avx2_rows_fma_chain, .timeout = 120)
{
    cr_assert_eq(run_header_checker_avx2(AVX2_ROWS_CHECKER), 0,
                 "abl_dw_row at k >= 5 on wide rows differs from the fmaf chain or the reference "
                 "at -march=x86-64-v3 (stdout)");
}
