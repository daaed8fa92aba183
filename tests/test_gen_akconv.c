/* tests/test_gen_akconv.c — the generated AKConv kernels (gen/akconv.lua,
 * variants gemm, fused and direct) against the scalar reference op_akconv.forward_ref
 * (kernels/akconv.c, MODULES.md 5.1).
 *
 * Every case: random weights (op_akconv.init INIT_RANDOM: offsets of a few
 * pixels, so samples cross the borders and hit the clamps), input N(0,1),
 * output and workspace poisoned with NaN before the call, batch 2, and the
 * same kernel run with 1 and 2 threads. */
#include <criterion/criterion.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen_check.h"
#include "header_check.h"
#include "test_util.h"

/* Tolerances.  The kernels evaluate the sampler with the reference's
 * float32 expressions in its order, so equal offsets give bit-identical
 * samples; what differs is summation: p_conv and the column conv sum in
 * float (sgemm or the micro-kernel, any order) where the reference sums in
 * double.  That alone gives NMSE around 1e-13 and max |diff| around 1e-5
 * for these sizes.  The margin above that covers one more effect: an
 * offset that differs in its last bits moves a sample by ~1e-6 pixel,
 * which changes the output continuously (bilinear) except where the
 * sample sits within ~1e-6 of a clamp boundary (p = 0 or H-1), where the
 * sampler jumps (MODULES.md 5.1, border behaviour).  With these seeds no
 * sample is that close; a failure well above 1e-9 on another machine would
 * most likely be such a jump, not a bug, and the op row's tol_nmse says
 * the same. */
#define TOL_NMSE 1e-9
#define TOL_MAX_ABS 1e-3

/* One AKConv configuration (batch 2). */
struct akc_case {
    int inc, outc, n, stride, bias;
    const char *grid;
    int h, w;
};

static void akc_setup(struct gen_case *g, const struct akc_case *c, uint64_t seed)
{
    char spec[256];
    snprintf(spec, sizeof spec, "AKConv inc=%d outc=%d num_param=%d stride=%d bias=%d grid=%s batch=2 h=%d w=%d",
             c->inc, c->outc, c->n, c->stride, c->bias, c->grid, c->h, c->w);
    gen_case_setup(g, spec, seed);
}

/* Builds `variant` for case c, runs it with 1 and 2 threads and compares
 * with the reference. */
static void check_case(const struct gen_env *env, const char *variant, const struct akc_case *c,
                       uint64_t seed)
{
    struct gen_case g;
    akc_setup(&g, c, seed);
    gen_case_reference(&g);
    gen_case_check(env, &g, variant, TOL_NMSE, TOL_MAX_ABS);
    gen_case_free(&g);
}

/* Every num_param the brief names, with stride, map size (odd, H != W, and
 * a single row), channels and bias rotating so that each (variant, grid)
 * pair sees every stride/size combination. */
static const int NUM_PARAMS[] = {1, 2, 3, 5, 7, 11, 13};
static const int SIZES[][2] = {{9, 13}, {11, 7}, {1, 5}};
static const int CHANNELS[][2] = {{3, 5}, {8, 6}, {1, 4}, {5, 16}};

static void sweep(const char *variant, const char *grid, int shift)
{
    struct gen_env env = gen_check_env();
    for (int i = 0; i < (int)(sizeof NUM_PARAMS / sizeof NUM_PARAMS[0]); i++) {
        int j = i + shift;
        struct akc_case c = {
            .inc = CHANNELS[j % 4][0],
            .outc = CHANNELS[j % 4][1],
            .n = NUM_PARAMS[i],
            .stride = 1 + j % 2,
            .bias = j / 2 % 2,
            .grid = grid,
            .h = SIZES[j / 2 % 3][0],
            .w = SIZES[j / 2 % 3][1],
        };
        check_case(&env, variant, &c, 1000 + (uint64_t)i);
    }
}

Test(gen_akconv, gemm_ij) { sweep("gemm", "ij", 0); }
Test(gen_akconv, gemm_xy) { sweep("gemm", "xy", 1); }
Test(gen_akconv, fused_ij) { sweep("fused", "ij", 0); }
Test(gen_akconv, fused_xy) { sweep("fused", "xy", 1); }
Test(gen_akconv, direct_ij) { sweep("direct", "ij", 0); }
Test(gen_akconv, direct_xy) { sweep("direct", "xy", 1); }

/* A realistic layer: 64 -> 128 at 20x20 (several tiles per image, the
 * fused variant's chunks and both micro-kernel row blocks in use). */
static void realistic(const char *variant)
{
    struct gen_env env = gen_check_env();
    const struct akc_case cases[] = {
        {64, 128, 5, 2, 0, "ij", 20, 20},
        {64, 128, 13, 1, 1, "xy", 20, 20},
    };
    for (int i = 0; i < 2; i++)
        check_case(&env, variant, &cases[i], 77 + (uint64_t)i);
}

Test(gen_akconv, gemm_realistic, .timeout = 120) { realistic("gemm"); }
Test(gen_akconv, fused_realistic, .timeout = 120) { realistic("fused"); }
Test(gen_akconv, direct_realistic, .timeout = 120) { realistic("direct"); }

/* direct's blocking at the edges: outputs not a multiple of 8 (a narrow
 * last chunk), 2N past one chunk of p_conv outputs (N = 13: 26 -> 32
 * wide), channels whose p_conv taps and column rows need several
 * reduction blocks (inc 80: 9 taps x 80 x 16 floats > 28 KiB; N*inc = 1040
 * rows), more output vectors than one register chunk (outc 200: on AVX2
 * 12 weight panels of 16 channels and a last one of 8, wcol_index), and a
 * p_conv tap too large for one block (inc 240 x 32 outputs: channels
 * split). */
Test(gen_akconv, direct_blocking_edges, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    const struct akc_case cases[] = {
        {80, 200, 13, 2, 1, "ij", 12, 10},
        {16, 20, 5, 1, 0, "xy", 7, 9},
        {240, 8, 13, 1, 0, "ij", 5, 6},
    };
    for (int i = 0; i < 3; i++)
        check_case(&env, "direct", &cases[i], 31 + (uint64_t)i);
}

/* Every case against the reference (seeds seed, seed + 1, ...), then its
 * direct kernel's generated source must hold `marker`: the generator chose
 * the path the test is about (what: the message when it did not). */
static void check_direct_path(const struct akc_case *cases, int n, uint64_t seed, const char *marker,
                              const char *what)
{
    struct gen_env env = gen_check_env();
    for (int i = 0; i < n; i++) {
        struct gen_case g;
        struct gen_kernel k;
        char err[ERR_MAX], src[1 << 16];
        check_case(&env, "direct", &cases[i], seed + (uint64_t)i);
        akc_setup(&g, &cases[i], seed + (uint64_t)i);
        cr_assert_eq(gen_build(&env, &g.inst.args, g.inst.in, "direct", &k, err, sizeof err), GEN_OK,
                     "%s", err);
        slurp(k.src_path, src, sizeof src);
        cr_expect(strstr(src, marker) != NULL, "%s: %s", g.spec, what);
        gen_unload(&k);
        gen_case_free(&g);
    }
}

/* p_conv as dot products along the channels (gen/akconv.lua
 * pconv_dot_plan: INC a multiple of 16, few offsets): num_param 1, 2 and
 * 5, and 3 at inc 32 and 6 at inc 16 (dots since the rule was checked on
 * more rows), pixel blocks (24 / 2N pixels) that do not divide the tile,
 * both grids, stride 1 and 2.  The generated source must use it (with
 * AVX-512; without it the template falls back to pconv_tile). */
Test(gen_akconv, direct_pconv_dot, .timeout = 120)
{
    const struct akc_case cases[] = {
        {16, 8, 1, 2, 0, "ij", 9, 13},
        {32, 24, 2, 1, 1, "xy", 11, 7},
        {64, 16, 5, 2, 0, "ij", 13, 10},
        {32, 40, 3, 1, 0, "xy", 9, 8},
        {16, 16, 6, 2, 1, "ij", 11, 12},
    };
    check_direct_path(cases, 5, 41, "#define PCV_DOT_FR 1\n#define PCV_DOT_HR 1\n",
                      "p_conv not as dots");
}

/* p_conv as dots where 2N = OFFP = 8 (num_param 4, inc a multiple of 16):
 * the vectors of 8 cost half a zmm FMA each at half rate (Zen 4: vectors
 * kept there) but a whole one at full rate (Intel: dots,
 * PCV_DOT_FR; docs/modules/perf_akconv.md, third Intel pass).  Dots of 8
 * offsets are a block of 3 pixels x 8 sums, the weights not in registers
 * (3 x 8 + 8 + 1 > 32); pixel blocks that do not divide the tile, both
 * grids and strides.  On a full-rate machine the parity check runs the
 * dots; on Zen 4, the vectors. */
Test(gen_akconv, direct_pconv_dot_full_rate, .timeout = 120)
{
    const struct akc_case cases[] = {
        {32, 24, 4, 2, 0, "ij", 13, 11},
        {64, 16, 4, 1, 1, "xy", 9, 10},
    };
    check_direct_path(cases, 2, 45, "#define PCV_DOT_FR 1\n#define PCV_DOT_HR 0\n",
                      "num_param 4: p_conv not as dots at full rate, or as dots at half rate");
}

/* p_conv as dot products on AVX2 (pconv_dot8, gen/akconv.lua
 * pconv_dot_plan's PCV_DOT8: INC a multiple of 8, few offsets), built for
 * an AVX2-only CPU: num_param 1 (6-pixel blocks, the weights in
 * registers), 2 (3-pixel blocks), 3 (2), 5 and 6 (1; 12 sums: two groups
 * of the 8-wide horizontal sum), inc 8, 24, 32 and 64 (multiples of 8 but
 * not all of 16), pixel blocks that do not divide the tile, both grids,
 * stride 1 and 2.  The generated source must choose it. */
Test(gen_akconv, direct_pconv_dot_avx2, .timeout = 180)
{
    gen_check_build_avx2_only();
    const struct akc_case cases[] = {
        {8, 8, 1, 2, 0, "ij", 9, 13},
        {24, 24, 2, 1, 1, "xy", 11, 7},
        {32, 40, 3, 2, 0, "ij", 9, 8},
        {64, 16, 5, 2, 0, "ij", 13, 10},
        {24, 16, 6, 1, 1, "xy", 7, 9},
    };
    check_direct_path(cases, 5, 47, "#define PCV_DOT_AVX2 1\n", "p_conv not as dots on AVX2");
}

/* The column conv written straight into NCHW y (gen/akconv.lua
 * col_nchw_plan: num_param x inc <= 32): a whole register block of 8
 * channels, a last block of 4 (outc 20) and of 1 (outc 9), pixel blocks
 * cut by the tile's end (masked stores), two tiles per image (62 x 60 at
 * stride 2: 930 pixels, tiles of 468 and 462), both grids and strides.
 * The generated source must choose it (with AVX-512; without it the
 * template keeps the transposing epilogue). */
Test(gen_akconv, direct_col_nchw, .timeout = 120)
{
    const struct akc_case cases[] = {
        {32, 72, 1, 2, 0, "ij", 62, 60},
        {16, 20, 2, 1, 1, "xy", 13, 11},
        {8, 9, 3, 2, 1, "ij", 17, 23},
    };
    check_direct_path(cases, 3, 51, "#define COL_NCHW_FR 1\n#define COL_NCHW_HR 1\n",
                      "column conv not into NCHW");
}

/* The column conv into NCHW y on AVX2 (ablate_akconv.h's 8-lane
 * abl_akc_col_nchw: 4 channels x 3 vectors of 8 pixels, BN + SiLU in
 * registers; gen/akconv.lua COL_NCHW8: num_param x inc <= 64), built for
 * an AVX2-only CPU: K = 32 and 64, outc 72 (whole blocks of 4), 9 and 22
 * (a last block of 1 and of 2 channels), pixel blocks cut by the tile's
 * end (masked stores; 31 x 30 at stride 2: 240 pixels), two tiles per
 * image (62 x 60), both grids and strides.  The generated source must
 * choose it. */
Test(gen_akconv, direct_col_nchw_avx2, .timeout = 180)
{
    gen_check_build_avx2_only();
    const struct akc_case cases[] = {
        {32, 72, 1, 2, 0, "ij", 62, 60},
        {16, 9, 2, 1, 1, "xy", 13, 11},
        {32, 22, 2, 2, 1, "ij", 31, 30},
        {8, 20, 8, 1, 0, "xy", 9, 7},
    };
    check_direct_path(cases, 4, 55, "#define COL_NCHW_AVX2 1\n", "column conv not into NCHW on AVX2");
}

/* The column conv into NCHW y at K = num_param x inc = 64 with full-rate
 * AVX-512 only (COL_NCHW_FR; docs/modules/perf_akconv.md, third Intel
 * pass), where outc is not a multiple of 16 (else the fused column conv,
 * fourth Intel pass): num_param 2 x inc 32 and num_param 1 x inc 64, two
 * tiles per image and a last pixel block cut by the tile's end, outputs
 * not a multiple of 8 (a last register block of 4), both grids. */
Test(gen_akconv, direct_col_nchw_full_rate, .timeout = 120)
{
    const struct akc_case cases[] = {
        {32, 56, 2, 2, 0, "ij", 62, 60},
        {64, 20, 1, 1, 1, "xy", 13, 11},
    };
    check_direct_path(cases, 2, 55, "#define COL_NCHW_FR 1\n#define COL_NCHW_HR 0\n",
                      "K = 64: column conv not into NCHW at full rate, or into it at half rate");
}

/* The channels-in-lanes column conv with BN + SiLU and the transposes into
 * y in its registers (COL_FUSED: blocks of 8 pixels x 32 channels, full-
 * rate AVX-512; docs/modules/perf_akconv.md, fourth Intel pass), where
 * outc is a multiple of 16 (at K = num_param x inc <= 64 in place of the
 * column conv into NCHW, above that of the epilogue pass): K = 32 and 64
 * (L3's num_param 1 and 2 shapes, two tiles per image; at stride 1: at
 * stride 2 the full-rate build takes the NCHW path there), outc 48 (a last
 * block of 16 channels) with K = 320 (two blocks of the reduction, the
 * sums through acc between them), outc 64 and 16 (one block of 16 only),
 * tiles that are not a multiple of 8 pixels (the last block's masked
 * stores), several tiles per image, a column bias, both grids and strides.
 * The generated source must offer it (COL_FUSED_FR); on a full-rate
 * machine the parity check runs it, elsewhere the epilogue pass. */
Test(gen_akconv, direct_col_fused, .timeout = 180)
{
    const struct akc_case cases[] = {
        {64, 48, 5, 1, 1, "xy", 36, 51},
        {32, 64, 3, 2, 0, "ij", 62, 60},
        {16, 16, 7, 2, 1, "ij", 13, 11},
        {32, 64, 1, 1, 0, "ij", 62, 60},
        {32, 64, 2, 1, 1, "xy", 41, 23},
    };
    check_direct_path(cases, 5, 61, "#define COL_FUSED_FR 1\n", "column conv without its fused epilogue");
}

/* The epilogue pass in blocks of 16 pixels x 16 channels (EPI16: acc
 * transposed 16 x 16 in registers, BN + SiLU after it, 64-byte stores into
 * y; full-rate AVX-512, outc a multiple of 16 and the column conv neither
 * into NCHW nor fused; docs/modules/perf_akconv.md, seventh Intel pass):
 * outc 80 (5 blocks of 16) with P = 930 (not a multiple of 16: y's planes
 * start at different alignments, so the 8-pixel head before the first
 * aligned pixel of plane 0 leaves the others unaligned), outc 128 at P =
 * 400 (every plane aligned alike, as the sweeps' L5 / L19 shapes), a
 * 63-pixel map in two tiles of 32 and 31 (at most one block of 16 between
 * head and tail), a 15-pixel map (tiles of 12 and 3: no block of 16, all
 * through the 8-pixel path), a column bias, both grids and strides.  The
 * generated source must offer it (EPI16_FR); on a full-rate machine the
 * parity check runs it, elsewhere the 8-pixel path. */
Test(gen_akconv, direct_epi16, .timeout = 180)
{
    const struct akc_case cases[] = {
        {32, 80, 3, 2, 0, "ij", 62, 60},
        {64, 128, 2, 2, 1, "xy", 40, 40},
        {16, 96, 5, 1, 0, "ij", 7, 9},
        {8, 80, 9, 1, 1, "xy", 3, 5},
    };
    check_direct_path(cases, 4, 81, "#define EPI16_FR 1\n", "epilogue pass not in blocks of 16");
}

/* The gather's corner sums 16 channels a zmm (GATHER16: full-rate
 * AVX-512, inc a multiple of 16; docs/modules/perf_akconv.md, eighth Intel
 * pass), with the sampler's corners 16 pixels a vector there (ABL_AKC_SIMD,
 * ablate_sample.h): inc 16 (one vector per corner row), 32 and 64 (the
 * unrolled loop of 2 and 4), samples crossing the borders (the clamped
 * corners: random offsets of a few pixels on small maps), tiles that are
 * not a multiple of 16 pixels (the corners' vector tail), a column bias,
 * both grids and strides.  The generated source must offer it
 * (GATHER16_FR); on a full-rate machine the parity check runs it, elsewhere
 * the `omp simd` loop. */
Test(gen_akconv, direct_gather16, .timeout = 180)
{
    const struct akc_case cases[] = {
        {16, 24, 3, 2, 0, "ij", 13, 11},
        {32, 40, 5, 1, 1, "xy", 9, 10},
        {64, 16, 2, 2, 1, "ij", 17, 23},
    };
    check_direct_path(cases, 3, 91, "#define GATHER16_FR 1\n", "gather not 16 channels a vector");
}

/* The copy of x into XP's rows in 16 x 16 zmm blocks (STAGE16,
 * akconv_direct.c.in; gen/akconv.lua stage16_plan: inc and the width
 * multiples of 16, full-rate AVX-512): 16, 32 and 48 channels, widths 16,
 * 32 and 96 (no 8-column rest) and heights that are not, XP staged whole
 * (small maps) and into the per-thread ring (96 x 96 at 32 channels: XP
 * 1.2 MB), batch 2, both grids and strides.  The generated source must
 * offer it; a width of 40 (rows of x not on 64-byte lines: kept on the
 * 8 x 8 copy, which is faster there) must not.  On a full-rate machine
 * the parity check runs the 16 x 16 copy, elsewhere abl_transpose. */
Test(gen_akconv, direct_stage16, .timeout = 180)
{
    const struct akc_case cases[] = {
        {16, 24, 2, 2, 0, "ij", 13, 16},
        {32, 16, 3, 1, 1, "xy", 9, 32},
        {48, 8, 1, 2, 1, "ij", 7, 32},
        {32, 16, 2, 2, 0, "ij", 96, 96},
    };
    check_direct_path(cases, 4, 97, "#define STAGE16_FR 1\n", "x not copied in 16 x 16 blocks");
    const struct akc_case w40[] = {{32, 16, 2, 2, 0, "ij", 11, 40}};
    check_direct_path(w40, 1, 101, "#define STAGE16_FR 0\n", "16 x 16 copy at a width of 40");
}

/* Tiles of about 3.5 output rows with XP's ring of rows and full-rate
 * AVX-512 (gen/akconv.lua tile_fr_plan: TILE_FR, where the column conv
 * writes y from its registers and num_param x inc <= 128): XP 1.3 MB an
 * image, so the ring at 1 thread (15 tiles of 164 pixels and a last one of
 * 105 per image) and the shared XP with the L2-sized tiles at 2; the fused
 * column conv (outc 64, num_param 3) and the one into NCHW (outc 24,
 * num_param 2: at full rate that case takes the NCHW path since the
 * eleventh Intel pass, no ring; the first keeps the ring there); and
 * num_param x inc = 192, where the tile is the L2-sized one on every CPU.  The
 * generated source must hold both tile sizes (the template picks by the
 * compiler's target); the kernel must match the reference (at full rate
 * with TILE_FR at 1 thread, elsewhere with TILE). */
Test(gen_akconv, direct_tile_ring_full_rate, .timeout = 180)
{
    const struct akc_case cases[] = {
        {32, 64, 3, 2, 0, "ij", 98, 98},
        {32, 24, 2, 2, 1, "xy", 98, 98},
        {64, 64, 3, 2, 0, "ij", 30, 26},
    };
    const char *markers[] = {
        "TILE_RING = ABL_AVX512_FULL_RATE ? 164 : 484,",
        "TILE_RING = ABL_AVX512_FULL_RATE ? 164 : 484,",
        "TILE_RING = ABL_AVX512_FULL_RATE ? 196 : 196,",
    };
    for (int i = 0; i < 3; i++)
        check_direct_path(&cases[i], 1, 91 + (uint64_t)i, markers[i], "tile size per AVX-512 rate");
}

/* No copy of x (NCHW, gen/akconv.lua nchw_plan: stride 2, width >= 2,
 * num_param <= 2, num_param x inc <= 64, or 128 without the fused column
 * conv; full-rate AVX-512): p_conv vectorised over output pixels
 * from x's planes, the corners gathered as pairs of floats.  Cases: several
 * tiles per image (62 x 60: 31 rows in tiles of 16); odd widths (the last
 * output column's tap past x: padding), width 2 (every pair at column 0)
 * and 3; a single input row; widths whose output rows need several register
 * chunks of p_conv (420: 210 pixels, 14 vectors, chunks of 6 at num_param 2
 * and 12 at 1: the odd columns before a chunk reloaded); inc not a multiple
 * of 16, outc not a multiple of 8, a column bias, both grids; samples
 * crossing every border (random offsets of a few pixels on small maps: the
 * clamped pairs at columns 0 and W - 1).  The generated source must choose
 * it; stride 1, num_param 3, num_param x inc > 128, and 128 where outc
 * allows the copy's path its fused column conv (64: L16 num_param 2) must not.  On a full-rate machine the parity
 * check runs it, elsewhere the copy's path. */
Test(gen_akconv, direct_nchw, .timeout = 180)
{
    const struct akc_case cases[] = {
        {32, 64, 1, 2, 0, "ij", 62, 60}, {16, 20, 2, 2, 1, "xy", 13, 11},
        {5, 9, 1, 2, 0, "ij", 9, 2},     {8, 24, 2, 2, 1, "ij", 7, 3},
        {4, 8, 2, 2, 0, "xy", 3, 420},   {3, 5, 1, 2, 1, "ij", 1, 420},
    };
    check_direct_path(cases, 6, 111, "#define NCHW_FR 1\n", "x copied (no NCHW path)");
    const struct akc_case not_nchw[] = {{16, 20, 2, 1, 0, "ij", 13, 11},
                                        {16, 20, 3, 2, 0, "ij", 13, 11},
                                        {80, 16, 2, 2, 0, "ij", 9, 8},
                                        {64, 64, 2, 2, 0, "ij", 9, 8}};
    check_direct_path(not_nchw, 4, 117, "#define NCHW_FR 0\n",
                      "NCHW path at stride 1, num_param 3, num_param x inc > 128, or 128 with "
                      "the fused column conv");
}

/* The NCHW path's output at 2 threads (tiles split between them) bit for
 * bit its output at 1 thread, and its prepared path's (gen_check_prepared:
 * the same bits as forward at 1 and 2 threads): every pixel's sums are
 * the same whatever the tile and thread that compute it. */
Test(gen_akconv, direct_nchw_thread_bits, .timeout = 120)
{
    static const char *const specs[] = {
        "AKConv inc=32 outc=64 num_param=2 stride=2 bias=0 grid=ij batch=2 h=62 w=60",
        "AKConv inc=16 outc=20 num_param=1 stride=2 bias=1 grid=xy batch=1 h=40 w=37",
    };
    for (int i = 0; i < 2; i++) {
        struct gen_case c;
        struct gen_kernel k;
        gen_case_build(&c, &k, specs[i], 121 + (uint64_t)i, "direct");
        float *y1 = gen_case_run(&c, &k, 1), *y2 = gen_case_run(&c, &k, 2);
        cr_expect(memcmp(y1, y2, sizeof(float) * (size_t)c.ny) == 0,
                  "%s: 1 and 2 threads differ (%s)", specs[i], k.src_path);
        buf_free(y1, c.ny);
        buf_free(y2, c.ny);
        gen_unload(&k);
        gen_case_free(&c);
        gen_check_prepared_case(specs[i], 121 + (uint64_t)i, "direct", 1);
    }
}

/* The direct kernel's prepared path (ablate_kernel.h): the packed weights
 * made once by ablate_kernel_prepare and read by every thread; its output
 * must equal ablate_kernel_forward's (each thread packing its own copy)
 * bit for bit at 1 and 2 threads, with the workspace NaN-poisoned before
 * every call.  Cases: the column conv into NCHW y (num_param x inc <= 32)
 * with p_conv as dots, the channels-in-lanes column conv with p_conv as
 * dots and as pconv_tile (inc not a multiple of 16, 2N = 26), a column
 * bias, outputs not a multiple of 8, both grids. */
Test(gen_akconv, direct_prepared, .timeout = 120)
{
    static const char *const specs[] = {
        "AKConv inc=32 outc=20 num_param=1 stride=2 bias=1 grid=ij batch=2 h=17 w=13",
        "AKConv inc=64 outc=24 num_param=3 stride=2 bias=0 grid=xy batch=2 h=12 w=10",
        "AKConv inc=5 outc=9 num_param=13 stride=1 bias=1 grid=ij batch=2 h=9 w=11",
    };
    for (int i = 0; i < 3; i++)
        gen_check_prepared_case(specs[i], 71 + (uint64_t)i, "direct", 1);
}

/* Where XP (the padded channels-last copy) is larger than nthreads x 1 MiB,
 * the direct kernel stages its rows per tile into a ring of about a tile's
 * rows and 16 more (akconv_direct.c.in, struct xring: row r in slot
 * r % RING, slots 0 and 1 mirrored after the last for p_conv's 3 rows);
 * a tile whose samples span more rows than the ring reads a whole-image
 * copy instead.  Cases with XP of 2.2 MB (the ring at 1 and 2 threads,
 * each thread its own), 32 and 10 tiles per image, batch 2 (nothing staged
 * at each image's start): the sweeps' random offsets (the ring of 27 and 47
 * rows wraps around several times), at stride 2 and grid xy too;
 * p_conv.bias moving point 0 of every pixel +-40 rows (a span of about 50
 * rows: the whole-image copy, the tiles before and after it back on the
 * ring); p_conv's weights scaled so that
 * the offsets vary over tens of rows from pixel to pixel; points 1 to 3
 * moved 500 pixels (clamped at all four borders).  (Scaling the weights
 * further makes the float sums' error in the offsets, ~1e-7 of their
 * size, move samples enough to exceed TOL_MAX_ABS: not a bug.) */
Test(gen_akconv, direct_ring_far_samples, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    const struct akc_case cases[] = {
        {64, 64, 5, 1, 0, "ij", 200, 40},
        {32, 16, 3, 2, 1, "xy", 260, 64},
    };
    const float bias_r0[] = {0.0f, 0.0f, 40.0f, -40.0f, 0.0f, 0.0f};
    const float bias_far[] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 500.0f};
    const float wscale[] = {1.0f, 1.0f, 1.0f, 1.0f, 20.0f, 1.0f};
    for (int i = 0; i < 6; i++) {
        const struct akc_case c = cases[i == 1];
        struct gen_case g;
        akc_setup(&g, &c, 91 + (uint64_t)i);
        float *p_conv_w = g.ws.ptr[g.ws.wl.n - 2], *p_conv_bias = g.ws.ptr[g.ws.wl.n - 1];
        p_conv_bias[0] += bias_r0[i];        /* row offset of point 0 */
        p_conv_bias[1] += bias_far[i];       /* row offset of point 1 */
        p_conv_bias[c.n + 2] -= bias_far[i]; /* column offset of point 2 */
        p_conv_bias[c.n + 3] += bias_far[i]; /* column offset of point 3 */
        for (int64_t j = 0; j < (int64_t)2 * c.n * c.inc * 9; j++)
            p_conv_w[j] *= wscale[i];
        gen_case_reference(&g);
        gen_case_check(&env, &g, "direct", TOL_NMSE, TOL_MAX_ABS);
        gen_case_free(&g);
    }
}

/* 1 when the shared object at so_path holds an instruction on a zmm
 * register (objdump's disassembly), 0 when none, -1 when it cannot tell. */
static int uses_zmm(const char *so_path)
{
    char cmd[GEN_PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "objdump -d --no-show-raw-insn '%s'", so_path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[512];
    int zmm = 0, lines = 0;
    while (fgets(line, sizeof line, p)) {
        lines++;
        zmm |= strstr(line, "%zmm") != NULL;
    }
    return pclose(p) == 0 && lines > 0 ? zmm : -1;
}

/* The AVX2 fallbacks (8-float vectors, 16 registers), built for an
 * AVX2-only CPU (ABLATE_GEN_MARCH=x86-64-v3; on an AVX-512 machine the only
 * way they run): every variant on shapes where the AVX-512 build takes
 * p_conv as dots (inc a multiple of 16, num_param 1 and 5: the fallback is
 * pconv_tile's 8-wide chunks), 2N past one chunk (num_param 13: 32
 * offsets), outputs not a multiple of 8 or of a register chunk (20, 72),
 * both grids and strides.  The direct kernel must hold no zmm instruction
 * (objdump), i.e. really be the fallback. */
Test(gen_akconv, avx2_fallbacks, .timeout = 300)
{
    gen_check_build_avx2_only();
    struct gen_env env = gen_check_env();
    const char *variants[] = {"direct", "gemm", "fused"};
    const struct akc_case cases[] = {
        {16, 8, 1, 2, 0, "ij", 9, 13},
        {64, 16, 5, 2, 0, "ij", 13, 10},
        {16, 20, 13, 1, 1, "xy", 7, 9},
        {32, 72, 3, 2, 1, "ij", 12, 11},
    };
    for (int i = 0; i < 4; i++)
        for (int v = 0; v < 3; v++)
            check_case(&env, variants[v], &cases[i], 61 + (uint64_t)i);
    for (int i = 0; i < 4; i++) {
        struct gen_case g;
        struct gen_kernel k;
        char err[ERR_MAX];
        akc_setup(&g, &cases[i], 61 + (uint64_t)i);
        cr_assert_eq(gen_build(&env, &g.inst.args, g.inst.in, "direct", &k, err, sizeof err), GEN_OK,
                     "%s", err);
        cr_expect_eq(uses_zmm(k.so_path), 0, "%s: %s is not an AVX2-only build", g.spec, k.so_path);
        gen_unload(&k);
        gen_case_free(&g);
    }
}

/* A non-finite offset must give NaN outputs (as the reference does; the
 * harness then rejects the run), never an out-of-range read. */
Test(gen_akconv, nonfinite_offset_is_nan_not_a_crash)
{
    struct gen_env env = gen_check_env();
    const char *variants[] = {"gemm", "fused", "direct"};
    const struct akc_case c = {4, 3, 5, 1, 0, "ij", 9, 13};
    for (int v = 0; v < 3; v++) {
        struct gen_case g;
        struct gen_kernel k;
        char err[ERR_MAX];
        akc_setup(&g, &c, 5);
        float *p_conv_bias = g.ws.ptr[g.ws.wl.n - 1];
        p_conv_bias[0] = INFINITY; /* row offset of point 0 */
        p_conv_bias[2 * c.n - 1] = NAN; /* column offset of the last point */
        cr_assert_eq(gen_build(&env, &g.inst.args, g.inst.in, variants[v], &k, err, sizeof err), GEN_OK,
                     "%s", err);
        float *y = gen_case_run(&g, &k, 2);
        int64_t nan = 0;
        for (int64_t i = 0; i < g.ny; i++)
            nan += isnan(y[i]) != 0;
        cr_expect_eq(nan, g.ny, "%s: %lld of %lld outputs NaN", variants[v], (long long)nan,
                     (long long)g.ny);
        buf_free(y, g.ny);
        gen_unload(&k);
        gen_case_free(&g);
    }
}

Test(gen_akconv, variants_listed)
{
    struct gen_env env = gen_check_env();
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], err[ERR_MAX];
    int n = gen_variants(&env, &op_akconv, names, GEN_VARIANTS_MAX, err, sizeof err);
    cr_assert_eq(n, 3, "%s", err);
    cr_expect_str_eq(names[0], "direct");
    cr_expect_str_eq(names[1], "gemm");
    cr_expect_str_eq(names[2], "fused");
}

/* The Lua p_n table against MODULES.md 5.1 step 2's worked examples. */
static void expect_p_n(lua_State *L, int n, const char *grid, const char *want)
{
    char got[256] = "";
    size_t used = 0;
    lua_getfield(L, -1, "p_n");
    lua_pushinteger(L, n);
    lua_pushstring(L, grid);
    cr_assert_eq(lua_pcall(L, 2, 2, 0), LUA_OK, "%s", lua_tostring(L, -1));
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, -2, i);
        lua_rawgeti(L, -2, i);
        used += (size_t)snprintf(got + used, sizeof got - used, "%s(%d,%d)", i > 1 ? "," : "",
                                 (int)lua_tointeger(L, -2), (int)lua_tointeger(L, -1));
        lua_pop(L, 2);
    }
    lua_pop(L, 2);
    cr_expect_str_eq(got, want, "p_n N=%d grid=%s", n, grid);
}

Test(gen_akconv, p_n_matches_the_spec)
{
    lua_State *L = gen_check_require("akconv");
    expect_p_n(L, 3, "ij", "(0,0),(0,1),(1,0)");
    expect_p_n(L, 5, "ij", "(0,0),(0,1),(1,0),(1,1),(2,0)");
    expect_p_n(L, 6, "ij", "(0,0),(0,1),(1,0),(1,1),(2,0),(2,1)");
    expect_p_n(L, 6, "xy", "(0,0),(1,0),(2,0),(0,1),(1,1),(2,1)");
    expect_p_n(L, 1, "ij", "(0,0)");
    lua_close(L);
}

/* AKConv's AVX2 SiLU (ablate_akconv.h abl_akc_silu8: abl_silu16's steps
 * without a division, vrcpps + one Newton step) against double precision,
 * compiled for an AVX2-only CPU as a header checker (tests/header_check.h):
 * every sampled float of [-80, 90] within 3.5e-7 relative error, the
 * special values as abl_silu maps them, and abl_akc_bn_silu_row's masked
 * tail (13 channels: one vector, 5 lanes) writing only its n floats. */
static const char SILU8_CHECKER[] =
    "#include <math.h>\n"
    "#include <stdio.h>\n"
    "#include \"ablate_akconv.h\"\n"
    "static float lane0(__m256 v) { float b[8]; _mm256_storeu_ps(b, v); return b[0]; }\n"
    "int main(void) {\n"
    "    int bad = 0;\n"
    "    double worst = 0;\n"
    "    for (float v = -80.0f; v <= 90.0f; v = nextafterf(v, 100.0f) + fabsf(v) * 1e-5f + 1e-30f) {\n"
    "        double ref = (double)v / (1.0 + exp(-(double)v));\n"
    "        float s = lane0(abl_akc_silu8(_mm256_set1_ps(v)));\n"
    "        double e = fabs(s - ref) / fabs(ref);\n"
    "        worst = e > worst ? e : worst;\n"
    "        if (e > 3.5e-7 && bad++ < 5)\n"
    "            printf(\"v=%g silu %g (ref %g)\\n\", v, s, ref);\n"
    "    }\n"
    "    printf(\"abl_akc_silu8: largest relative error %.3g\\n\", worst);\n"
    "    const float sp[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, -100.0f, 1e-30f, 200.0f};\n"
    "    for (int i = 0; i < 8; i++) {\n"
    "        float s = lane0(abl_akc_silu8(_mm256_set1_ps(sp[i]))), r = abl_silu(sp[i]);\n"
    "        if (!(isnan(s) && isnan(r)) && !(s == r || fabsf(s - r) < 1e-33f || fabsf(s - r) < 3.5e-7f * fabsf(r))) {\n"
    "            printf(\"special %g: %g, abl_silu %g\\n\", sp[i], s, r);\n"
    "            bad++;\n"
    "        }\n"
    "    }\n"
    "    float row[16], scale[16], shift[16];\n"
    "    for (int o = 0; o < 16; o++) {\n"
    "        row[o] = 0.5f * (float)o - 3.0f;\n"
    "        scale[o] = 1.0f + 0.125f * (float)o;\n"
    "        shift[o] = 0.25f - 0.0625f * (float)o;\n"
    "    }\n"
    "    float want[16];\n"
    "    for (int o = 0; o < 16; o++)\n"
    "        want[o] = o < 13 ? abl_silu(fmaf(row[o], scale[o], shift[o])) : row[o];\n"
    "    abl_akc_bn_silu_row(row, 13, scale, shift);\n"
    "    for (int o = 0; o < 16; o++)\n"
    "        if (o < 13 ? !(fabsf(row[o] - want[o]) <= 4e-7f * fabsf(want[o]) + 1e-30f) : row[o] != want[o]) {\n"
    "            printf(\"bn_silu_row[%d] = %g, want %g\\n\", o, row[o], want[o]);\n"
    "            bad++;\n"
    "        }\n"
    "    return bad != 0;\n"
    "}\n";

Test(gen_akconv, silu8_avx2_against_double, .timeout = 120)
{
    cr_assert_eq(run_header_checker_avx2(SILU8_CHECKER), 0,
                 "abl_akc_silu8 beyond 3.5e-7 relative error, or abl_akc_bn_silu_row's tail (see the lines above)");
}
