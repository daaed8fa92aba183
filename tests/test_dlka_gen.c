/* tests/test_dlka_gen.c — generated deformable_LKA_Attention and
 * C3_DCNv3_DLKA kernels (gen/dlka.lua, gen/c3_dlka.lua) against the scalar
 * references, at 1 and 2 threads, on NaN-poisoned output and workspace.
 * The rows' random init draws offsets of a few pixels, so samples land
 * between pixels, on the far side of the border (torchvision's bilT drops
 * them) and partly outside (corners zero).  Cases: odd channel counts (the
 * official variant), maps smaller than the 7x7 dilation-3 window (19 px),
 * batch 2, H != W, and images of several attention / DCNv3 tiles; every
 * variant (blog, official, dcnv3_lka); the official offset convs both
 * direct (generator variant fused: channel counts past one reduction
 * block, tiles that are not a whole number of register blocks) and as
 * im2col + sgemm (variant im2col). */
#include "fma_rate.h"
#include "gen_check.h"
#include "header_check.h"

static void check(const char *spec, uint64_t seed) { gen_check_variant(spec, seed, "fused", 1e-3); }

Test(gen_dlka, official, .timeout = 120)
{
    check("deformable_LKA_Attention d_model=4 variant=official h=9 w=11", 41);
    check("deformable_LKA_Attention d_model=3 variant=official h=7 w=6 batch=2", 42);
    check("deformable_LKA_Attention d_model=5 variant=official h=1 w=13", 43);
    check("deformable_LKA_Attention d_model=16 variant=official h=23 w=30", 44);
    check("deformable_LKA_Attention d_model=80 variant=official h=11 w=13", 57);
}

/* The direct offset convs skip the taps that read only padding for a block
 * of pixels: on a 20 x 20 map (YOLOv5n's P5) 45 % of the 7x7 dilation-3
 * taps; one tap per reduction block at 40 channels (its 104 x 40 weights
 * past the L1 block), so whole blocks start from the bias. */
Test(gen_dlka, official_padding_taps, .timeout = 120)
{
    check("deformable_LKA_Attention d_model=40 variant=official h=20 w=20", 60);
    check("deformable_LKA_Attention d_model=8 variant=official h=20 w=17", 61);
}

/* The direct offset convs' AVX-512 blocking of 16-float vectors (the 5x5's
 * 50 outputs 4 pixels x 4 vectors, 64 wide; the 7x7's 98 3 x 7, 112
 * wide; ablate_dlka_offsets.h): at 120 channels one tap of the 5x5's
 * weights (120 x 64 floats) is past the L1 reduction block, so its
 * channels are split (112 + 8) as the 7x7's are (40 + 40 + 40 at 120);
 * tiles of pixel counts that are not whole blocks of 4 or 3 (the last
 * block repeats its last pixel into the spare rows). */
Test(gen_dlka, official_zmm_blocking, .timeout = 120)
{
    check("deformable_LKA_Attention d_model=120 variant=official h=7 w=9", 62);
    check("deformable_LKA_Attention d_model=32 variant=official h=13 w=11 batch=2", 63);
    gen_check_variant("deformable_LKA_Attention d_model=120 variant=official h=5 w=7", 64, "fused", 1e-3);
}

/* The same built for an AVX2-only CPU (ABLATE_GEN_MARCH): the 8-float
 * blocking (2 x 7 for both offset convs) that AVX-512 machines no longer
 * run. */
Test(gen_dlka, official_avx2_build, .timeout = 300)
{
    gen_check_build_avx2_only();
    check("deformable_LKA_Attention d_model=40 variant=official h=20 w=17", 65);
    check("C3_DCNv3_DLKA c1=8 c2=8 variant=official h=9 w=10", 66);
}

/* The deformable depthwise conv one pixel at a time (abl_dlka_deform_tile_px,
 * channels a multiple of the vector width): 144 channels are a block of 8
 * vectors of 16 in registers, then one more; 1155 pixels make two tiles of
 * the direct offset convs' size (up to 1024 pixels, an even count: one
 * per thread at 2 threads), each starting mid-row. */
Test(gen_dlka, official_pixel_sampler, .timeout = 180)
{
    check("deformable_LKA_Attention d_model=144 variant=official h=9 w=11", 67);
    check("deformable_LKA_Attention d_model=32 variant=official h=33 w=35", 68);
    check("C3_DCNv3_DLKA c1=32 c2=64 variant=official h=12 w=10 batch=2", 69);
}

Test(gen_dlka, official_im2col, .timeout = 120)
{
    gen_check_variant("deformable_LKA_Attention d_model=5 variant=official h=7 w=9 batch=2", 58,
                      "im2col", 1e-3);
    gen_check_variant("C3_DCNv3_DLKA c1=6 c2=8 variant=official h=8 w=9", 59, "im2col", 1e-3);
}

Test(gen_c3_dlka, official, .timeout = 120)
{
    check("C3_DCNv3_DLKA c1=6 c2=8 shortcut=0 variant=official h=8 w=9", 51);
    check("C3_DCNv3_DLKA c1=4 c2=6 variant=official h=6 w=7 batch=2", 52);
    check("C3_DCNv3_DLKA c1=8 c2=8 g=2 variant=official h=21 w=19", 53);
}

/* The header checkers' source text shared by several tests below: the
 * random numbers (a 32-bit LCG from SEED, floats in [0, 1)), and, in the
 * gc8 checkers, a pixel's offsets (8 pixels wide, every seventh pixel one
 * NaN) and masks (logits in [-1, 1) where sm, else weights in [0, 1)). */
#define CHECKER_RND(SEED)                                                                          \
    "static unsigned s = " #SEED "u;\n"                                                             \
    "static float rnd(void) { return (float)((s = s * 1103515245u + 12345u) >> 8) / "             \
    "16777216.0f; }\n"
#define GC8_DRAW_OFFSETS_AND_MASKS                                                                 \
    "        for (int q = 0; q < 2 * gp; q++) om[q] = 8.0f * rnd() - 4.0f; /* offsets */\n"         \
    "        if (t % 7 == 3) om[2 * (t % gp)] = NAN;\n"                                              \
    "        for (int q = 2 * gp; q < 3 * gp + ABL_DCN_OM_SLACK; q++) om[q] = sm ? 2.0f * "          \
    "rnd() - 1.0f : rnd();\n"

/* The DCNv3 variants: G = 4 groups, so channels are multiples of 4; maps
 * of one row and of several DCNv3 row tiles.  Three are goldens' shapes
 * (tests/goldens/dlka_*) with the generator variant goldens/dlka runs
 * there, so they share its kernel; blog and dcnv3_lka have no offset
 * convs, so im2col is fused's code for them (the sources differ in the
 * name and an unused geometry constant). */
static void check_im2col(const char *spec, uint64_t seed) { gen_check_variant(spec, seed, "im2col", 1e-3); }

Test(gen_dlka, dcnv3_variants, .timeout = 120)
{
    check("deformable_LKA_Attention d_model=8 h=9 w=7", 45);
    check_im2col("deformable_LKA_Attention d_model=4 h=6 w=8 batch=2", 46);
    check("deformable_LKA_Attention d_model=12 h=1 w=10", 47);
    check_im2col("deformable_LKA_Attention d_model=8 variant=dcnv3_lka h=10 w=9", 48);
    check("deformable_LKA_Attention d_model=16 variant=blog h=37 w=30", 49);
}

/* dcnv3_lka's depthwise convs channels last (abl_dlka_dw_cl: k >= 5, rows
 * narrower than 64, c a multiple of 16): maps smaller than the 7 x 7
 * kernel's reach (halo rows and columns all padding), batch 2, a C3 block
 * with the attention's end fused into the second layer. */
Test(gen_dlka, dcnv3_lka_channels_last_dw, .timeout = 120)
{
    check("deformable_LKA_Attention d_model=16 variant=dcnv3_lka h=10 w=9", 62);
    check("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=5 w=13 batch=2", 63);
    check("C3_DCNv3_DLKA c1=24 c2=32 variant=dcnv3_lka h=7 w=12 batch=2", 64);
}

/* The channels-last depthwise sums on AVX2 at 128 channels and more
 * (abl_dlka_dw_cl_px8: 3 pixels x 4 ymm in registers; ablate_dlka_dcnv3.h
 * ABL_DLKA_DW_CL8).  The path as compiled (AVX2 + FMA without AVX-512:
 * on), then its sums against a scalar fmaf chain in the same order (bias,
 * then the taps row by row: the same bits) for rows of 7, 8 and 40
 * pixels (a last block of 1, 2 and 1 pixels), 128 and 144 channels (a
 * last block of 2 ymm), k 5 and 7; then generated kernels there. */
Test(gen_dlka, dcnv3_lka_dw_cl_avx2, .timeout = 180)
{
    static const char src[] =
        "#include <math.h>\n"
        "#include <stdio.h>\n"
        "#include <stdlib.h>\n"
        "#include \"ablate_dlka_dcnv3.h\"\n"
        "#if ABL_DLKA_DW_CL8\n"
        "static int sums(int c, int w, int k) {\n"
        "    const int wpd = w + k - 1, rows = 2;\n"
        "    float *halo = malloc(sizeof(float) * (rows + k - 1) * wpd * c);\n"
        "    float *wt = malloc(sizeof(float) * k * k * c), *b = malloc(sizeof(float) * c);\n"
        "    float *o = malloc(sizeof(float) * w * c);\n"
        "    unsigned s = 11u;\n"
        "    for (int i = 0; i < (rows + k - 1) * wpd * c; i++) halo[i] = (float)((s = s * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;\n"
        "    for (int i = 0; i < k * k * c; i++) wt[i] = (float)((s = s * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;\n"
        "    for (int i = 0; i < c; i++) b[i] = 0.01f * (float)i;\n"
        "    int bad = 0;\n"
        "    for (int r = 0; r < rows; r++) {\n"
        "        for (int j = 0; j < w; j += ABL_DLKA_DW_CL_P)\n"
        "            abl_dlka_dw_cl_px8(halo, wt, b, c, w, k, r, j, o);\n"
        "        for (int j = 0; j < w; j++)\n"
        "            for (int ch = 0; ch < c; ch++) {\n"
        "                float a = b[ch];\n"
        "                for (int u = 0; u < k; u++)\n"
        "                    for (int v = 0; v < k; v++)\n"
        "                        a = fmaf(wt[(u * k + v) * c + ch], halo[((r + u) * wpd + j + v) * c + ch], a);\n"
        "                bad |= a != o[j * c + ch];\n"
        "            }\n"
        "    }\n"
        "    free(halo), free(wt), free(b), free(o);\n"
        "    return bad;\n"
        "}\n"
        "#endif\n"
        "int main(void) {\n"
        "#if !defined(__AVX512F__) && defined(__AVX2__) && defined(__FMA__)\n"
        "    int bad = ABL_DLKA_DW_CL8 != 1;\n"
        "#else\n"
        "    int bad = ABL_DLKA_DW_CL8 != 0;\n"
        "#endif\n"
        "#if ABL_DLKA_DW_CL8\n"
        "    bad |= sums(128, 7, 5) || sums(128, 8, 7) || sums(144, 40, 7) || sums(144, 7, 5);\n"
        "#endif\n"
        "    printf(\"bad %d\\n\", bad);\n"
        "    return bad;\n"
        "}\n";
    cr_assert_eq(run_header_checker(src), 0, "abl_dlka_dw_cl_px8: bound or sums");
    check("deformable_LKA_Attention d_model=128 variant=dcnv3_lka h=5 w=8", 65);
    check("deformable_LKA_Attention d_model=144 variant=dcnv3_lka h=4 w=7 batch=2", 66);
}

Test(gen_c3_dlka, blog, .timeout = 120)
{
    check("C3_DCNv3_DLKA c1=6 c2=16 shortcut=0 h=9 w=8", 54);
    gen_check_variant("C3_DCNv3_DLKA c1=8 c2=8 g=2 h=7 w=10", 55, "im2col", 1e-3); /* a golden's */
    check("C3_DCNv3_DLKA c1=8 c2=16 variant=dcnv3_lka h=8 w=11", 56);
}

/* cv1 and cv2 (the 1x1 Convs on x) in one pass per 48-pixel block
 * (ablate_chain.h's abl_chain_1x1_tile, AVX-512 builds): a tile past one
 * block of ABL_DIRECT_SUB (1536) pixels with a ragged last vector (50 x 39
 * = 1950 pixels: one tile at 1 thread, two of 975 at 2), c1 = 264 (past
 * the 256 channels of the packed column: the unpacked loads) with batch 2,
 * and c_ = 12 (not whole blocks of 8 outputs: cv1 and cv2 each in their own
 * place, as before).  The same code under x86-64-v3 (no pair: each Conv
 * by sgemm) in gen_c3_dlka/x1_pair_avx2_build. */
Test(gen_c3_dlka, x1_pair, .timeout = 120)
{
    check("C3_DCNv3_DLKA c1=16 c2=16 h=50 w=39", 79);
    check("C3_DCNv3_DLKA c1=264 c2=16 h=5 w=7 batch=2", 80);
    check("C3_DCNv3_DLKA c1=16 c2=24 variant=dcnv3_lka h=9 w=8", 81);
}

Test(gen_c3_dlka, x1_pair_avx2_build, .timeout = 300)
{
    gen_check_build_avx2_only();
    check("C3_DCNv3_DLKA c1=16 c2=16 h=11 w=9 batch=2", 82);
}

/* The bottleneck's 3x3 Conv on the Winograd path (c_ a multiple of 8, as
 * the C3 baseline runs it; AVX-512 builds): the official variant with the
 * residual, batch 2, an odd number of rows (the last 2 x 2 tiles half off
 * the map) and a map of several Winograd tiles per thread. */
Test(gen_c3_dlka, winograd_bottleneck, .timeout = 120)
{
    check("C3_DCNv3_DLKA c1=12 c2=16 shortcut=1 variant=official h=9 w=7 batch=2", 60);
    check("C3_DCNv3_DLKA c1=16 c2=32 shortcut=1 h=21 w=18", 61);
}

/* The prepared path (ablate_kernel.h; the sweeps and the model graph time
 * it): the weight-only data made once by ablate_kernel_prepare (the
 * official's packed offset weights and transposed depthwise taps, the
 * DCNv3 layers' packed Linears and channels-last taps, conv1 folded into
 * output_proj, the C3 part's Winograd weights), then forward_prepared on a
 * NaN-poisoned workspace must give forward's output bit for bit, at 1 and
 * 2 threads.  Every variant, both official offset schedules, batch 2,
 * two bottlenecks (each attention its own part of the buffer), dcnv3_lka
 * on the channels-last depthwise path (c_ = 16, rows narrower than 64).
 * The prepared checks here and below run at shapes a check against the
 * reference also builds (the cache key is the source: one build for both;
 * C3's n = 2 only here). */
static void check_prepared(const char *spec, uint64_t seed, const char *variant)
{
    gen_check_prepared_case(spec, seed, variant, 1);
}

Test(gen_dlka, prepared, .timeout = 120)
{
    check_prepared("deformable_LKA_Attention d_model=32 variant=official h=13 w=11 batch=2", 71, "fused");
    check_prepared("deformable_LKA_Attention d_model=5 variant=official h=7 w=9 batch=2", 72, "im2col");
    check_prepared("deformable_LKA_Attention d_model=4 variant=blog h=6 w=8 batch=2", 73, "im2col");
    check_prepared("deformable_LKA_Attention d_model=16 variant=dcnv3_lka h=10 w=9", 74, "fused");
}

Test(gen_c3_dlka, prepared, .timeout = 120)
{
    check_prepared("C3_DCNv3_DLKA c1=12 c2=16 n=2 variant=official h=9 w=7 batch=2", 75, "fused");
    check_prepared("C3_DCNv3_DLKA c1=16 c2=32 n=2 h=13 w=12", 76, "fused");
    check_prepared("C3_DCNv3_DLKA c1=24 c2=32 variant=dcnv3_lka h=7 w=12 batch=2", 77, "fused");
    check_prepared("C3_DCNv3_DLKA c1=6 c2=8 variant=official h=8 w=9", 78, "im2col");
}

/* gen/dlka.lua's dcn_rows(n, c, h, w, gp): a DCNv3 layer's rows per tile
 * with its offsets and mask (3 gp floats a pixel) counted beside x1 (c),
 * about 64k floats together, so that the tile's offsets stay in L2 beside
 * the shared xp the sampler reads (docs/modules/perf_deform.md, third
 * Intel pass).  Sized by x1 alone every layer at L17 had 10 rows. */
static int dcn_rows(lua_State *L, int n, int c, int h, int w, int gp)
{
    return gen_check_call_int(L, "dcn_rows", 5, (const int[]){n, c, h, w, gp});
}

Test(gen_dlka, dcn_rows_count_offsets)
{
    lua_State *L = gen_check_require("dlka");
    cr_expect_eq(dcn_rows(L, 1, 32, 80, 80, 100), 2);  /* dcnv3_lka L17, 5 x 5: 80 x 332 a row */
    cr_expect_eq(dcn_rows(L, 1, 32, 80, 80, 196), 1);  /* 7 x 7: 80 x 620 a row, 1.9 MB at 10 */
    cr_expect_eq(dcn_rows(L, 1, 64, 40, 40, 196), 2);  /* L20 / L13, 7 x 7 */
    cr_expect_eq(dcn_rows(L, 1, 128, 20, 20, 196), 2); /* L23: 4 rows, 5 tiles -> 10 x 2 (10 + 10) */
    cr_expect_eq(dcn_rows(L, 1, 32, 80, 80, 36), 5);   /* blog L17: 80 x 140 a row */
    lua_close(L);
}

/* The same with the layer's kernel k (dcn_rows' sixth argument): a layer
 * whose depthwise conv runs a tile at a time (dw_tile_layer: k >= 5 on
 * rows narrower than 64) is sized by dcn_dw_tile_floats (131072), the
 * others as above. */
static int dcn_rows_k(lua_State *L, int n, int c, int h, int w, int gp, int k)
{
    return gen_check_call_int(L, "dcn_rows", 6, (const int[]){n, c, h, w, gp, k});
}

Test(gen_dlka, dcn_rows_dw_tile)
{
    lua_State *L = gen_check_require("dlka");
    cr_expect_eq(dcn_rows_k(L, 1, 64, 40, 40, 196, 7), 5);  /* L13 / L20, 7 x 7: 2 before */
    cr_expect_eq(dcn_rows_k(L, 1, 64, 40, 40, 100, 5), 5);  /* 5 x 5: 4 before */
    cr_expect_eq(dcn_rows_k(L, 1, 128, 20, 20, 196, 7), 5); /* L23 (channels last): 2 before */
    cr_expect_eq(dcn_rows_k(L, 1, 32, 80, 80, 196, 7), 1);  /* L17: rows of 80, unchanged */
    cr_expect_eq(dcn_rows_k(L, 1, 32, 80, 80, 100, 5), 2);
    cr_expect_eq(dcn_rows_k(L, 1, 64, 40, 40, 36, 3), 5); /* blog's 3 x 3, unchanged */
    lua_close(L);
}

/* An integer field of gen/dlka.lua's attention table for (variant, n, c,
 * h, w). */
static int attention_field(lua_State *L, const char *field, const char *variant, int n, int c,
                           int h, int w)
{
    lua_getfield(L, -1, "attention");
    lua_pushstring(L, variant);
    lua_pushinteger(L, n);
    lua_pushinteger(L, c);
    lua_pushinteger(L, h);
    lua_pushinteger(L, w);
    cr_assert_eq(lua_pcall(L, 5, 1, 0), LUA_OK, "%s", lua_tostring(L, -1));
    lua_getfield(L, -1, field);
    const int v = (int)lua_tointeger(L, -1);
    lua_pop(L, 2);
    return v;
}

/* ABL_DLKA_DW_TILE, gen/dlka.lua's A.DW_TILE for an attention (variant, c,
 * h = w): 1 where a layer may take abl_dlka_dw_tile's path. */
static int dw_tile_const(lua_State *L, const char *variant, int c, int hw)
{
    return attention_field(L, "DW_TILE", variant, 1, c, hw, hw);
}

/* Where no layer can take the depthwise tile the kernel is built without
 * it (its dead code changed gcc's compilation of L17's attention): L13 /
 * L20 (64 channels on 40 x 40) keep it, L17 (80 columns), L23 (20 x 20 at
 * 128 channels: channels last at either bound) and blog (3 x 3) leave it
 * out; 24 channels on 20 x 20 (not channels last) keep it. */
Test(gen_dlka, dw_tile_generator_constant)
{
    lua_State *L = gen_check_require("dlka");
    cr_expect_eq(dw_tile_const(L, "dcnv3_lka", 64, 40), 1);
    cr_expect_eq(dw_tile_const(L, "dcnv3_lka", 32, 80), 0);
    cr_expect_eq(dw_tile_const(L, "dcnv3_lka", 128, 20), 0);
    cr_expect_eq(dw_tile_const(L, "dcnv3_lka", 24, 20), 1);
    cr_expect_eq(dw_tile_const(L, "dcnv3_lka", 64, 32), 1); /* channels last only at bound 64 */
    cr_expect_eq(dw_tile_const(L, "blog", 64, 40), 0);
    lua_close(L);
}

/* ABL_DW_TILE_NR, the depthwise tile's chunk sizes (bit n - 1 for n rows)
 * of the layers that may take it: each layer's tiles are tr rows and the
 * image's last, whatever the thread count (abl_dcn_layer's jobs), each
 * cut into equal chunks of at most 8 rows (abl_dw_rows_tile).  A size
 * left out traps in the kernel. */
static int dw_tile_nr(lua_State *L, int n, int c, int h, int w)
{
    return attention_field(L, "DW_TILE_NR", "dcnv3_lka", n, c, h, w);
}

Test(gen_dlka, dw_tile_chunk_sizes)
{
    lua_State *L = gen_check_require("dlka");
    cr_expect_eq(dw_tile_nr(L, 1, 64, 40, 40), 0x10);  /* 5 x 5 and 7 x 7: 5-row tiles */
    cr_expect_eq(dw_tile_nr(L, 2, 24, 12, 40), 0x28);  /* 6 + 6 and 4 x 3 rows */
    cr_expect_eq(dw_tile_nr(L, 2, 24, 33, 40), 0x3c);  /* 9 (5 + 4) x 3 + 6; 5 x 6 + 3 */
    cr_expect_eq(dw_tile_nr(L, 1, 64, 32, 32), 0x88);  /* 8 x 4; 4 x 8 */
    cr_expect_eq(dw_tile_nr(L, 1, 256, 40, 40), 0x12); /* 5 x 8; 2 x 20 */
    cr_expect_eq(dw_tile_nr(L, 1, 32, 80, 80), 0);     /* no layer takes the tile */
    cr_expect_eq(attention_field(L, "DW_TILE_NR", "blog", 1, 64, 40, 40), 0);
    lua_close(L);
}

/* dcnv3_lka's planar depthwise rows a tile at a time (abl_dlka_dw_tile,
 * ablate_dlka_dcnv3.h: abl_dw_rows_tile into the core tile) where the
 * channels-last path is off: the runtime's bound is ablate_dcnv3_dw.h's
 * ABL_DW_PADDED_OK, and gen/dlka.lua's dw_tile_layer (which sizes those
 * layers' tiles) must agree with it for every width and kernel; then
 * kernels on the path against the scalar reference: 24 channels (not a
 * multiple of 16, so channels last is off at any rate) on rows of 40 and
 * 33, batch 2 (tiles of 6 and 4 rows, the last partial), a C3 block with
 * the attention's end fused into the 7 x 7 layer, the prepared path. */
Test(gen_dlka, dcnv3_lka_dw_tile, .timeout = 180)
{
    lua_State *L = gen_check_require("dlka");
    enum { WMAX = 130, KMAX = 17 };
    static char table[(WMAX + 1) * (KMAX + 1) + 1];
    for (int w = 1; w <= WMAX; w++)
        for (int k = 3; k <= KMAX; k += 2) {
            lua_getfield(L, -1, "dw_tile_layer");
            lua_pushinteger(L, w);
            lua_pushinteger(L, k);
            cr_assert_eq(lua_pcall(L, 2, 1, 0), LUA_OK, "%s", lua_tostring(L, -1));
            table[w * (KMAX + 1) + k] = lua_toboolean(L, -1) ? '1' : '0';
            lua_pop(L, 1);
        }
    lua_close(L);
    for (size_t i = 0; i < sizeof table - 1; i++)
        if (!table[i])
            table[i] = '-';
    static char src[8192];
    snprintf(src, sizeof src,
             "#include <stdio.h>\n"
             "#include \"ablate_dlka_dcnv3.h\"\n"
             "static const char lua[] = \"%s\";\n"
             "static int tile(int c, int w, int k) {\n"
             "    const struct abl_dcn_geom d = {1, c, 40, w, k, 1, 4, 2, 0};\n"
             "    return abl_dlka_dw_tile(d);\n"
             "}\n"
             "int main(void) {\n"
             "    int bad = 0;\n"
             "    for (int w = 1; w <= %d; w++)\n"
             "        for (int k = 3; k <= %d; k += 2)\n"
             "            if ((lua[w * %d + k] == '1') != ABL_DW_PADDED_OK(w, k)) {\n"
             "                printf(\"w %%d k %%d: lua %%c\\n\", w, k, lua[w * %d + k]);\n"
             "                bad = 1;\n"
             "            }\n"
             "    bad |= tile(64, 40, 5) != 1 || tile(64, 40, 7) != 1 || tile(128, 20, 7) != 1;\n"
             "    bad |= tile(64, 40, 3) != 0 || tile(32, 80, 7) != 0 || tile(64, 64, 5) != 0;\n"
             "    return bad;\n"
             "}\n",
             table, WMAX, KMAX, KMAX + 1, KMAX + 1);
    cr_assert_eq(run_header_checker(src), 0, "abl_dlka_dw_tile's bound or gen/dlka.lua's");
    check("deformable_LKA_Attention d_model=24 variant=dcnv3_lka h=12 w=40 batch=2", 131);
    check("deformable_LKA_Attention d_model=24 variant=dcnv3_lka h=9 w=33", 132);
    check("C3_DCNv3_DLKA c1=32 c2=48 variant=dcnv3_lka h=10 w=40", 133);
    check_prepared("deformable_LKA_Attention d_model=24 variant=dcnv3_lka h=12 w=40 batch=2", 134,
                   "fused");
}

/* The two layers of one attention on tiles of different heights (each
 * layer's own dcn_rows): 8 x 80 at 32 channels gives the 5 x 5 layer
 * tiles of 2 rows and the 7 x 7 one tiles of 1 row; 24 x 20 at 16, batch
 * 2, gives 12 and 8 (dcn_dw_tile_floats) (the priv sized by the larger of the two layers).  A
 * C3 block (the attention's end fused into the second layer's 1-row
 * tiles) and the prepared path. */
Test(gen_dlka, dcnv3_layers_own_tiles, .timeout = 120)
{
    check("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=8 w=80", 83);
    check("deformable_LKA_Attention d_model=16 variant=dcnv3_lka h=24 w=20 batch=2", 84);
    check("C3_DCNv3_DLKA c1=16 c2=64 variant=dcnv3_lka h=8 w=80", 85);
    check_prepared("deformable_LKA_Attention d_model=16 variant=dcnv3_lka h=24 w=20 batch=2", 86,
                   "fused");
}

/* abl_dlka_dw_cl's row bound (ablate_dlka_dcnv3.h ABL_DLKA_DW_CL_WMAX):
 * with full-rate AVX-512 dcnv3_lka's 5 x 5 and 7 x 7 depthwise convs take
 * the planar rows from 32 pixels on (L20 / L13's 40 x 40: -3 to -4 % CPU
 * time on the Intel Xeon, docs/modules/perf_deform.md, fourth Intel pass),
 * the channels-last path below (L23's 20 x 20); on other builds (Zen 4,
 * AVX2, and a full-rate Zen 5, ABL_CPU_ZEN: channels last 1-12 % lower
 * there at 40 pixels, perf_deform.md "Zen 5: dcnv3_lka") below 64 as
 * before.  Checked as the kernels are compiled (native, the harness's
 * measured rate passed as it passes it), for a full-rate non-Zen build
 * (x86-64-v4, where the CPU has AVX-512), and the generator's scratch
 * (gen/dlka.lua: below 64) never smaller than what the runtime takes. */
Test(gen_dlka, dcnv3_lka_dw_cl_row_bound, .timeout = 60)
{
    static const char src[] =
        "#include <stdio.h>\n"
        "#include \"ablate_dlka_dcnv3.h\"\n"
        "static int cl(int c, int w, int k) {\n"
        "    const struct abl_dcn_geom d = {1, c, 40, w, k, 1, 4, 2, 0};\n"
        "    return abl_dlka_dw_cl(d);\n"
        "}\n"
        "int main(void) {\n"
        "    int bad = 0;\n"
        "    const int planar40 = ABL_AVX512_FULL_RATE && !ABL_CPU_ZEN;\n"
        "    bad |= cl(64, 40, 5) != !planar40; /* L20, L13 */\n"
        "    bad |= cl(64, 40, 7) != !planar40;\n"
        "    bad |= cl(64, 32, 7) != !planar40;\n"
        "    bad |= cl(128, 20, 7) != 1 || cl(64, 31, 5) != 1; /* L23; below 32 */\n"
        "    bad |= cl(32, 80, 5) != 0 || cl(64, 64, 7) != 0 || cl(64, 20, 3) != 0;\n"
        "    printf(\"full rate %d, 40 px %d, 20 px %d\\n\", ABL_AVX512_FULL_RATE, cl(64, 40, 7),\n"
        "           cl(128, 20, 7));\n"
        "    return bad;\n"
        "}\n";
    cr_assert_eq(run_header_checker(src), 0, "abl_dlka_dw_cl's row bound");
    struct fma_rate rate;
    char err[128], march[64];
    cr_assert_eq(fma_rate_detect(&rate, err, sizeof err), 0, "%s", err);
    snprintf(march, sizeof march, "native -DABL_AVX512_FULL_RATE=%d", rate.rate == FMA512_FULL);
    cr_assert_eq(run_header_checker_march(src, march), 0, "row bound at the measured rate");
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        cr_assert_eq(run_header_checker_march(src, "x86-64-v4 -DABL_AVX512_FULL_RATE=1"), 0,
                     "row bound, full rate, not a Zen");
    /* both sides of the bound against the scalar reference, prepared too */
    check("deformable_LKA_Attention d_model=16 variant=dcnv3_lka h=6 w=40", 91);
    check("deformable_LKA_Attention d_model=16 variant=dcnv3_lka h=5 w=31 batch=2", 92);
    check("C3_DCNv3_DLKA c1=24 c2=32 variant=dcnv3_lka h=5 w=32", 93);
    check_prepared("deformable_LKA_Attention d_model=16 variant=dcnv3_lka h=6 w=40", 94, "fused");
}

/* dcnv3_lka's planar depthwise rows where abl_dw_row runs one dependent
 * chain per 16-column vector (k >= 5 on rows of 64 pixels and more, L17's
 * 80): abl_dlka_dw_row (ablate_dlka_dcnv3.h), two channels' whole row as
 * independent chains.  The bound as the kernels are compiled (AVX-512: on;
 * any other build off: AVX2 runs abl_dw_row's own abl_dw_row_avx2), then
 * its rows against abl_dw_row's (another order of the border taps: within
 * 1e-5): 80 and 64 pixels, 100 (two chunks of vectors: 5 + 2), an odd
 * channel count (the last channel alone), a map shorter than the kernel,
 * 66 and 72 (k 15), rows of one and two vectors (8 and 12); then
 * generated kernels on rows past the bound against the scalar reference
 * (on AVX2 abl_dw_row_avx2's rows: 80, 97 and 66 columns), batch 2, a C3
 * block, the prepared path. */
Test(gen_dlka, dcnv3_lka_dw_row_chains, .timeout = 120)
{
    static const char src[] =
        "#include <math.h>\n"
        "#include <stdio.h>\n"
        "#include <stdlib.h>\n"
        "#include \"ablate_dlka_dcnv3.h\"\n"
        "static int rows(int c, int h, int w, int k) {\n"
        "#if ABL_DLKA_DW_ROW\n"
        "    float *x = malloc(sizeof(float) * c * h * w), *wt = malloc(sizeof(float) * c * k * k);\n"
        "    float *b = malloc(sizeof(float) * c), *o1 = malloc(sizeof(float) * c * w);\n"
        "    float *o2 = malloc(sizeof(float) * c * w);\n"
        "    unsigned s = 7u;\n"
        "    for (int i = 0; i < c * h * w; i++) x[i] = (float)((s = s * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;\n"
        "    for (int i = 0; i < c * k * k; i++) wt[i] = (float)((s = s * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;\n"
        "    for (int i = 0; i < c; i++) b[i] = 0.1f * (float)i;\n"
        "    int bad = 0;\n"
        "    for (int r = 0; r < h; r++) {\n"
        "        abl_dw_row(x, wt, b, c, h, w, k, r, o1);\n"
        "        abl_dlka_dw_row(x, wt, b, c, h, w, k, r, o2);\n"
        "        for (int i = 0; i < c * w; i++)\n"
        "            bad |= !(fabsf(o1[i] - o2[i]) <= 1e-5f * (1.0f + fabsf(o1[i])));\n"
        "    }\n"
        "    free(x), free(wt), free(b), free(o1), free(o2);\n"
        "    return bad;\n"
        "#else\n"
        "    (void)c, (void)h, (void)w, (void)k;\n"
        "    return 0;\n"
        "#endif\n"
        "}\n"
        "int main(void) {\n"
        "#ifdef __AVX512F__\n"
        "    const int on = 1;\n"
        "#else\n"
        "    const int on = 0;\n"
        "#endif\n"
        "    int bad = ABL_DLKA_DW_ROW != on;\n"
        "    bad |= abl_dlka_dw_row_ok(80, 7) != on || abl_dlka_dw_row_ok(80, 5) != on; /* L17 */\n"
        "    bad |= abl_dlka_dw_row_ok(66, 7) != on || abl_dlka_dw_row_ok(66, 5) != on;\n"
        "    bad |= abl_dlka_dw_row_ok(64, 5) != on || abl_dlka_dw_row_ok(100, 7) != on;\n"
        "    bad |= abl_dlka_dw_row_ok(63, 7) != 0 || abl_dlka_dw_row_ok(40, 5) != 0; /* padded rows */\n"
        "    bad |= abl_dlka_dw_row_ok(80, 3) != 0; /* blog's 3 x 3 */\n"
        "    bad |= rows(32, 9, 80, 7) || rows(16, 6, 64, 5) || rows(5, 7, 100, 7) || rows(4, 3, 70, 5);\n"
        "    bad |= rows(3, 4, 66, 5) || rows(3, 20, 72, 15) || rows(2, 2, 8, 5) || rows(3, 5, 12, 7);\n"
        "    printf(\"on %d, bad %d\\n\", on, bad);\n"
        "    return bad;\n"
        "}\n";
    cr_assert_eq(run_header_checker(src), 0, "abl_dlka_dw_row: bound or rows");
    check("deformable_LKA_Attention d_model=16 variant=dcnv3_lka h=5 w=80", 95);
    check("deformable_LKA_Attention d_model=12 variant=dcnv3_lka h=4 w=97 batch=2", 96);
    check("C3_DCNv3_DLKA c1=24 c2=32 variant=dcnv3_lka h=6 w=66", 97);
    check_prepared("deformable_LKA_Attention d_model=16 variant=dcnv3_lka h=5 w=80", 98, "fused");
}

/* dcnv3_lka's sampler at 8 channels a group (abl_dlka_gc8: c = 8 g, k >=
 * 5, a map of 2 x 2 and more, full-rate AVX-512; L17's c_ 32): xp stored
 * group-major, each point's corner weights repacked and summed two corners
 * to a zmm (ablate_dlka_dcnv3.h).  The bound as the kernels are compiled
 * (on with full-rate AVX-512; off for 16 channels a group, blog's 3 x 3,
 * one-row or one-column maps, and any other build), then its sums
 * against abl_dcn_core's on the same plans (another order: within 1e-5)
 * for every pixel of maps whose offsets reach past the border, at 5 x 5
 * and 7 x 7 dilation 3; then generated kernels on the path against the
 * scalar reference: several tiles, batch 2, a 2 x 2 map, a C3 block (c_
 * 32), the prepared path, and a one-column map beside it (off). */
Test(gen_dlka, dcnv3_lka_gc8_sampler, .timeout = 120)
{
    static const char src[] =
        "#include <math.h>\n"
        "#include <stdio.h>\n"
        "#include <stdlib.h>\n"
        "#include \"ablate_dlka_dcnv3.h\"\n"
        CHECKER_RND(11)
        "static int on(int c, int h, int w, int k) {\n"
        "    const struct abl_dcn_geom d = {1, c, h, w, k, 1, 4, 1, 0};\n"
        "    return abl_dlka_gc8(d);\n"
        "}\n"
        "static int sums(int h, int w, int k, int dil) {\n"
        "#if ABL_DLKA_GC8_OK\n"
        "    const struct abl_dcn_geom d = {1, 32, h, w, k, dil, 4, 1, 0};\n"
        "    const int g = 4, p = k * k, gp = g * p, gpv = abl_dcn_gpv(gp), hw = h * w;\n"
        "    float *xp = malloc(sizeof(float) * hw * 32), *xg = malloc(sizeof(float) * hw * 32);\n"
        "    float *om = malloc(sizeof(float) * (3 * gp + ABL_DCN_OM_SLACK));\n"
        "    float *gx = malloc(sizeof(float) * gpv), *gy = malloc(sizeof(float) * gpv);\n"
        "    float *wt = malloc(sizeof(float) * 4 * gpv), *w4 = malloc(sizeof(float) * 4 * gpv);\n"
        "    int32_t *idx = malloc(sizeof(int32_t) * gpv), *i8 = malloc(sizeof(int32_t) * gpv);\n"
        "    int32_t *keep = malloc(sizeof(int32_t) * gpv);\n"
        "    for (int i = 0; i < hw * 32; i++) xp[i] = rnd() - 0.5f;\n"
        "    abl_dlka_gc8_scatter(xp, g, hw, hw, 0, xg);\n"
        "    abl_dcn_grid(d, gx, gy);\n"
        "    int bad = 0;\n"
        "    for (int t = 0; t < hw; t++) {\n"
        "        float ref[32], got[32];\n"
        "        for (int q = 0; q < 2 * gp; q++) om[q] = 8.0f * rnd() - 4.0f; /* offsets */\n"
        "        for (int q = 2 * gp; q < 3 * gp + ABL_DCN_OM_SLACK; q++) om[q] = rnd();\n"
        "        abl_dcn_corners(gp, h, w, 1.0f, gx, gy, om, 1, t / w, t % w, idx, wt, 0, keep);\n"
        "        abl_dcn_core(xp, 32, h, w, g, p, idx, wt, 0, keep, ref);\n"
        "        abl_dlka_gc8_repack(gpv, idx, wt, w4, i8);\n"
        "        for (int gi = 0; gi < g; gi++)\n"
        "            abl_dlka_core8(xg + gi * hw * 8, p, gi * p, w, w4, i8, 1.0f, got + 8 * gi);\n"
        "        for (int i = 0; i < 32; i++)\n"
        "            bad |= !(fabsf(ref[i] - got[i]) <= 1e-5f * (1.0f + fabsf(ref[i])));\n"
        "    }\n"
        "    free(xp), free(xg), free(om), free(gx), free(gy), free(wt), free(w4), free(idx), free(i8);\n"
        "    free(keep);\n"
        "    return bad;\n"
        "#else\n"
        "    (void)h, (void)w, (void)k, (void)dil;\n"
        "    return 0;\n"
        "#endif\n"
        "}\n"
        "int main(void) {\n"
        "    const int full = ABL_DLKA_GC8_OK;\n"
        "    int bad = 0;\n"
        "    bad |= on(32, 80, 80, 7) != full || on(32, 80, 80, 5) != full || on(32, 2, 2, 5) != full;\n"
        "    bad |= on(64, 40, 40, 7) != 0 || on(32, 80, 80, 3) != 0; /* 16 a group; blog */\n"
        "    bad |= on(32, 9, 1, 5) != 0 || on(32, 1, 9, 7) != 0; /* one column, one row */\n"
        "    bad |= sums(9, 11, 5, 1) || sums(12, 10, 7, 3) || sums(2, 3, 7, 3);\n"
        "    printf(\"full rate %d, bad %d\\n\", full, bad);\n"
        "    return bad;\n"
        "}\n";
    cr_assert_eq(run_header_checker(src), 0, "abl_dlka_gc8: bound or sums");
    check("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=11 w=13", 101);
    check("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=5 w=40 batch=2", 102);
    check("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=2 w=2", 103);
    check("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=9 w=1", 104);
    check("C3_DCNv3_DLKA c1=24 c2=64 variant=dcnv3_lka h=8 w=82", 105);
    check_prepared("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=5 w=40 batch=2", 106, "fused");
}

/* The gc8 layers on padded group planes (abl_dlka_gc8_pad: a zero pixel
 * on each side, the plan without its border path): the generator's
 * constant (on where the layers take gc8: L17's c_ 32; off at 16 channels
 * a group and for blog); then, for every pixel of maps whose offsets reach
 * 4 pixels past the border (some NaN), the padded plan's sums
 * (abl_dlka_gc8_plan_sm_pad / abl_dlka_gc8_plan_pad, abl_dlka_core8 on the
 * padded rows) against abl_dcn_corners + abl_dcn_core (within 1e-5), the
 * planes scattered in tiles of 1 to 3 rows into NaN (each tile writes its
 * part of the pad: a pad left unwritten sums NaN x 0); the softmax in the
 * plan against the normalised masks; then kernels on the path (gc8 at
 * batch 2: the padded image stride). */
Test(gen_dlka, dcnv3_lka_gc8_pad, .timeout = 120)
{
    lua_State *L = gen_check_require("dlka");
    cr_expect_eq(attention_field(L, "GC8_PAD", "dcnv3_lka", 1, 32, 80, 80), 1);
    cr_expect_eq(attention_field(L, "GC8_PAD", "dcnv3_lka", 2, 32, 5, 40), 1);
    cr_expect_eq(attention_field(L, "GC8_PAD", "dcnv3_lka", 1, 64, 40, 40), 0);
    cr_expect_eq(attention_field(L, "GC8_PAD", "blog", 1, 32, 80, 80), 0);
    cr_expect_eq(attention_field(L, "GC8_PAD", "dcnv3_lka", 1, 32, 9, 1), 0);
    lua_close(L);
    static const char src[] =
        "#include <math.h>\n"
        "#include <stdio.h>\n"
        "#include <stdlib.h>\n"
        "#define ABL_DLKA_GC8_PAD 1\n"
        "#include \"ablate_dlka_dcnv3.h\"\n"
        CHECKER_RND(23)
        "static int sums(int h, int w, int k, int dil, int sm) {\n"
        "#if ABL_DLKA_GC8_OK\n"
        "    const struct abl_dcn_geom d = {1, 32, h, w, k, dil, 4, 1, 0};\n"
        "    const int g = 4, p = k * k, gp = g * p, gpv = abl_dcn_gpv(gp), hw = h * w;\n"
        "    const int pw = w + 2, plane = (h + 2) * pw * 8;\n"
        "    float *xp = malloc(sizeof(float) * hw * 32), *xg = malloc(sizeof(float) * (h + 2) * "
        "pw * 32);\n"
        "    float *om = malloc(sizeof(float) * (3 * gp + ABL_DCN_OM_SLACK));\n"
        "    float *gx = malloc(sizeof(float) * gpv), *gy = malloc(sizeof(float) * gpv);\n"
        "    float *wt = malloc(sizeof(float) * 4 * gpv), *w4 = malloc(sizeof(float) * 4 * gpv);\n"
        "    int32_t *idx = malloc(sizeof(int32_t) * gpv), *i8 = malloc(sizeof(int32_t) * gpv);\n"
        "    int32_t *keep = malloc(sizeof(int32_t) * gpv);\n"
        "    int bad = abl_dcn_shared_floats(d) < (h + 2) * pw * 32 || !abl_dlka_gc8_pad(d);\n"
        "    for (int i = 0; i < hw * 32; i++) xp[i] = rnd() - 0.5f;\n"
        "    for (int i = 0; i < (h + 2) * pw * 32; i++) xg[i] = NAN;\n"
        "    for (int r0 = 0, n; r0 < h; r0 += n) { /* tiles of 1 to 3 rows */\n"
        "        n = 1 + (int)(3.0f * rnd());\n"
        "        n = n < h - r0 ? n : h - r0;\n"
        "        abl_dlka_gc8_scatter_pad(xp + (ptrdiff_t)r0 * w * 32, g, h, w, r0, n, xg); /* "
        "channels last */\n"
        "    }\n"
        "    abl_dcn_grid(d, gx, gy);\n"
        "    for (int t = 0; t < hw; t++) {\n"
        "        float ref[32], got[32], inv[8] = {1, 1, 1, 1, 1, 1, 1, 1}, e[4] = {0, 0, 0, 0};\n"
        GC8_DRAW_OFFSETS_AND_MASKS
        "        if (sm) {\n"
        "            bad |= !abl_dlka_gc8_plan_sm_pad(g, p, h, w, gx, gy, om, t / w, t % w, w4, "
        "i8, inv);\n"
        "            for (int q = 0; q < gp; q++) e[q / p] += expf(om[2 * gp + q]);\n"
        "            for (int q = 0; q < gp; q++) om[2 * gp + q] = expf(om[2 * gp + q]) / e[q / "
        "p];\n"
        "        } else\n"
        "            abl_dlka_gc8_plan_pad(gp, h, w, gx, gy, om, t / w, t % w, w4, i8, 0, NULL);\n"
        "        abl_dcn_corners(gp, h, w, 1.0f, gx, gy, om, 1, t / w, t % w, idx, wt, 0, keep);\n"
        "        abl_dcn_core(xp, 32, h, w, g, p, idx, wt, 0, keep, ref);\n"
        "        for (int gi = 0; gi < g; gi++)\n"
        "            abl_dlka_core8(xg + (pw + 1) * 8 + gi * plane, p, gi * p, pw, w4, i8, "
        "inv[gi], got + 8 * gi);\n"
        "        for (int i = 0; i < 32; i++)\n"
        "            bad |= !(fabsf(ref[i] - got[i]) <= 1e-5f * (1.0f + fabsf(ref[i])));\n"
        "    }\n"
        "    free(xp), free(xg), free(om), free(gx), free(gy), free(wt), free(w4), free(idx), "
        "free(i8);\n"
        "    free(keep);\n"
        "    return bad;\n"
        "#else\n"
        "    (void)h, (void)w, (void)k, (void)dil, (void)sm;\n"
        "    return 0;\n"
        "#endif\n"
        "}\n"
        "int main(void) {\n"
        "    int bad = 0;\n"
        "    for (int sm = 0; sm <= 1; sm++)\n"
        "        bad |= sums(9, 11, 5, 1, sm) || sums(12, 10, 7, 3, sm) || sums(2, 3, 7, 3, sm) || "
        "sums(5, 40, 7, 3, sm);\n"
        "    printf(\"full rate %d, bad %d\\n\", ABL_DLKA_GC8_OK, bad);\n"
        "    return bad;\n"
        "}\n";
    cr_assert_eq(run_header_checker(src), 0, "abl_dlka_gc8_pad: padded planes, plan or sums");
    check("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=11 w=13 batch=2", 121);
    check("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=2 w=3", 122);
    check("C3_DCNv3_DLKA c1=24 c2=64 variant=dcnv3_lka h=9 w=20 batch=2", 123);
    check_prepared("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=7 w=9 batch=2", 124,
                   "fused");
}

/* The padded gc8 plan as 4 weight rows (abl_dlka_gc8_rows), and the
 * layers of reach 3 and more in two passes of half their groups
 * (abl_dlka_gc8_split): the generator's constants (on at L17's c_ 32,
 * the split only with a 7 x 7 dilation-3 layer; off elsewhere); then, for
 * every pixel of maps whose offsets reach 4 pixels past the border (some
 * NaN), each pass's rows plan (abl_dlka_gc8_plan_sm_rows /
 * abl_dlka_gc8_plan_rows over groups g0 .. g0 + ng - 1) and
 * abl_dlka_core8_rows give the same bits as the padded plan and
 * abl_dlka_core8 (the same weights, terms and order), with one and two
 * passes, the softmax's group factors too (abl_dlka_group_inv_vec against
 * abl_dlka_group_inv); then kernels on the path. */
Test(gen_dlka, dcnv3_lka_gc8_rows, .timeout = 120)
{
    lua_State *L = gen_check_require("dlka");
    cr_expect_eq(attention_field(L, "GC8_ROWS", "dcnv3_lka", 1, 32, 80, 80), 1);
    cr_expect_eq(attention_field(L, "GC8_SPLIT", "dcnv3_lka", 1, 32, 80, 80), 1);
    cr_expect_eq(attention_field(L, "GC8_ROWS", "dcnv3_lka", 1, 64, 40, 40), 0);
    cr_expect_eq(attention_field(L, "GC8_SPLIT", "dcnv3_lka", 1, 64, 40, 40), 0);
    cr_expect_eq(attention_field(L, "GC8_ROWS", "blog", 1, 32, 80, 80), 0);
    cr_expect_eq(attention_field(L, "GC8_SPLIT", "blog", 1, 32, 80, 80), 0);
    cr_expect_eq(attention_field(L, "GC8_SPLIT", "dcnv3_lka", 1, 32, 9, 1), 0);
    lua_close(L);
    static const char src[] =
        "#include <math.h>\n"
        "#include <stdio.h>\n"
        "#include <stdlib.h>\n"
        "#include <string.h>\n"
        "#define ABL_DLKA_GC8_PAD 1\n"
        "#define ABL_DLKA_GC8_ROWS 1\n"
        "#include \"ablate_dlka_dcnv3.h\"\n"
        CHECKER_RND(29)
        "static int sums(int h, int w, int k, int dil, int sm, int ng) {\n"
        "#if ABL_DLKA_GC8_OK\n"
        "    const struct abl_dcn_geom d = {1, 32, h, w, k, dil, 4, 1, 0};\n"
        "    const int g = 4, p = k * k, gp = g * p, gpv = abl_dcn_gpv(gp), hw = h * w;\n"
        "    const int pw = w + 2, plane = (h + 2) * pw * 8, nv = abl_dcn_gpv(ng * p);\n"
        "    float *xg = malloc(sizeof(float) * (h + 2) * pw * 32);\n"
        "    float *om = malloc(sizeof(float) * (3 * gp + ABL_DCN_OM_SLACK));\n"
        "    float *om2 = malloc(sizeof(float) * (3 * gp + ABL_DCN_OM_SLACK));\n"
        "    float *gx = malloc(sizeof(float) * gpv), *gy = malloc(sizeof(float) * gpv);\n"
        "    float *w4 = malloc(sizeof(float) * 5 * gpv), *wr = malloc(sizeof(float) * 5 * gpv);\n"
        "    int32_t *i8 = malloc(sizeof(int32_t) * gpv), *ir = malloc(sizeof(int32_t) * gpv);\n"
        "    int bad = !abl_dlka_gc8_rows(d) || abl_dlka_gc8_splits(d) != (dil * (k - 1) / 2 >= "
        "3);\n"
        "    for (int i = 0; i < (h + 2) * pw * 32; i++) xg[i] = rnd() - 0.5f;\n"
        "    for (int gi = 0; gi < g; gi++) /* the pad: zeros */\n"
        "        for (int y = 0; y < h + 2; y++)\n"
        "            for (int x = 0; x < pw; x++)\n"
        "                if (y == 0 || y == h + 1 || x == 0 || x == w + 1)\n"
        "                    memset(xg + gi * plane + (y * pw + x) * 8, 0, 8 * sizeof(float));\n"
        "    abl_dcn_grid(d, gx, gy);\n"
        "    for (int t = 0; t < hw; t++) {\n"
        "        float ref[32], got[32], inv[8] = {1, 1, 1, 1, 1, 1, 1, 1}, iv[8];\n"
        GC8_DRAW_OFFSETS_AND_MASKS
        "        memcpy(om2, om, sizeof(float) * (3 * gp + ABL_DCN_OM_SLACK));\n"
        "        if (sm)\n"
        "            bad |= !abl_dlka_gc8_plan_sm_pad(g, p, h, w, gx, gy, om, t / w, t % w, w4, "
        "i8, inv);\n"
        "        else\n"
        "            abl_dlka_gc8_plan_pad(gp, h, w, gx, gy, om, t / w, t % w, w4, i8, 0, NULL);\n"
        "        for (int gi = 0; gi < g; gi++)\n"
        "            abl_dlka_core8(xg + (pw + 1) * 8 + gi * plane, p, gi * p, pw, w4, i8, "
        "inv[gi], ref + 8 * gi);\n"
        "        for (int g0 = 0; g0 < g; g0 += ng) {\n"
        "            for (int i = 0; i < 8; i++) iv[i] = 1.0f;\n"
        "            for (int i = 0; i < 5 * gpv; i++) wr[i] = NAN; /* no stale plan */\n"
        "            if (sm)\n"
        "                bad |= !abl_dlka_gc8_plan_sm_rows(g0, ng, g, p, h, w, gx, gy, om2, t / "
        "w, t % w, wr, ir, iv);\n"
        "            else\n"
        "                abl_dlka_gc8_plan_rows(g0 * p, (g0 + ng) * p, gp, h, w, gx, gy, om2, t "
        "/ w, t % w, wr, ir, 0, NULL);\n"
        "            for (int gi = 0; gi < ng; gi++)\n"
        "                abl_dlka_core8_rows(xg + (pw + 1) * 8 + (g0 + gi) * plane, p, gi * p, "
        "pw, nv, wr, ir, iv[gi], got + 8 * (g0 + gi));\n"
        "            for (int gi = 0; gi < ng; gi++)\n"
        "                bad |= memcmp(&iv[gi], &inv[g0 + gi], sizeof(float)) != 0;\n"
        "        }\n"
        "        bad |= memcmp(ref, got, sizeof ref) != 0;\n"
        "    }\n"
        "    free(xg), free(om), free(om2), free(gx), free(gy), free(w4), free(wr), free(i8), "
        "free(ir);\n"
        "    return bad;\n"
        "#else\n"
        "    (void)h, (void)w, (void)k, (void)dil, (void)sm, (void)ng;\n"
        "    return 0;\n"
        "#endif\n"
        "}\n"
        "int main(void) {\n"
        "    int bad = 0;\n"
        "    for (int sm = 0; sm <= 1; sm++)\n"
        "        for (int ng = 1; ng <= 4; ng *= 2)\n"
        "            bad |= sums(9, 11, 5, 1, sm, ng) || sums(12, 10, 7, 3, sm, ng) ||\n"
        "                   sums(2, 3, 7, 3, sm, ng) || sums(5, 40, 7, 3, sm, ng);\n"
        "    printf(\"full rate %d, bad %d\\n\", ABL_DLKA_GC8_OK, bad);\n"
        "    return bad;\n"
        "}\n";
    cr_assert_eq(run_header_checker(src), 0,
                 "abl_dlka_gc8_rows: rows plan or sums not the padded plan's bits");
    check("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=13 w=11 batch=2", 131);
    check("C3_DCNv3_DLKA c1=24 c2=64 variant=dcnv3_lka h=7 w=30", 132);
    check_prepared("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=6 w=10 batch=2", 133,
                   "fused");
}

/* dcnv3_lka's plan at 8 channels a group in one pass (abl_dlka_gcw_plan:
 * abl_dcn_corners and abl_dlka_gc8_repack fused, blocks inside the map in
 * registers, the block index as a float multiply-add on maps of up to
 * 2^24 pixels): its repacked weights and indices bit for bit against the
 * two steps, for every pixel of maps whose offsets reach 4 pixels past
 * the border (blocks inside and on the border, both paths), 5 x 5 and 7 x
 * 7 dilation 3 (the last block's padding points), and pixels near the
 * far corner of a 4100 x 4100 map (more than 2^24 pixels: the integer
 * index there; the float one rounds it); then generated kernels on the
 * path against the scalar reference at 1 and 2 threads. */
Test(gen_dlka, dcnv3_lka_gc8_plan, .timeout = 120)
{
    static const char src[] =
        "#include <stdio.h>\n"
        "#include <stdlib.h>\n"
        "#include <string.h>\n"
        "#include \"ablate_dlka_dcnv3.h\"\n"
        CHECKER_RND(7)
        "/* pixels t0 .. t1 - 1 of an h x w map, offsets within +-spread */\n"
        "static int plans(int h, int w, int k, int dil, long t0, long t1, float spread) {\n"
        "#if ABL_DLKA_GC8_OK\n"
        "    const struct abl_dcn_geom d = {1, 32, h, w, k, dil, 4, 1, 0};\n"
        "    const int gp = 4 * k * k, gpv = abl_dcn_gpv(gp);\n"
        "    float *om = malloc(sizeof(float) * (3 * gp + ABL_DCN_OM_SLACK));\n"
        "    float *gx = malloc(sizeof(float) * gpv), *gy = malloc(sizeof(float) * gpv);\n"
        "    float *wt = malloc(sizeof(float) * 4 * gpv), *w4 = malloc(sizeof(float) * 4 * gpv);\n"
        "    float *v4 = malloc(sizeof(float) * 4 * gpv);\n"
        "    int32_t *idx = malloc(sizeof(int32_t) * gpv), *i8 = malloc(sizeof(int32_t) * gpv);\n"
        "    int32_t *j8 = malloc(sizeof(int32_t) * gpv);\n"
        "    int32_t *keep = malloc(sizeof(int32_t) * gpv);\n"
        "    abl_dcn_grid(d, gx, gy);\n"
        "    int bad = 0;\n"
        "    for (long t = t0; t < t1; t++) {\n"
        "        for (int q = 0; q < 2 * gp; q++) om[q] = spread * (2.0f * rnd() - 1.0f);\n"
        "        for (int q = 2 * gp; q < 3 * gp + ABL_DCN_OM_SLACK; q++) om[q] = rnd();\n"
        "        const int ph = (int)(t / w), pw = (int)(t % w);\n"
        "        abl_dcn_corners(gp, h, w, 1.0f, gx, gy, om, 1, ph, pw, idx, wt, 0, keep);\n"
        "        abl_dlka_gc8_repack(gpv, idx, wt, w4, i8);\n"
        "        abl_dlka_gcw_plan(gp, h, w, gx, gy, om, ph, pw, 3, v4, j8);\n"
        "        bad |= memcmp(w4, v4, sizeof(float) * 4 * gp) != 0;\n"
        "        bad |= memcmp(i8, j8, sizeof(int32_t) * gp) != 0;\n"
        "    }\n"
        "    free(om), free(gx), free(gy), free(wt), free(w4), free(v4), free(idx), free(i8);\n"
        "    free(j8), free(keep);\n"
        "    return bad;\n"
        "#else\n"
        "    (void)h, (void)w, (void)k, (void)dil, (void)t0, (void)t1, (void)spread;\n"
        "    return 0;\n"
        "#endif\n"
        "}\n"
        "int main(void) {\n"
        "    int bad = 0;\n"
        "    bad |= plans(9, 11, 5, 1, 0, 99, 4.0f) || plans(12, 10, 7, 3, 0, 120, 4.0f);\n"
        "    bad |= plans(30, 33, 7, 3, 0, 990, 0.45f) || plans(2, 3, 7, 3, 0, 6, 4.0f);\n"
        "    const long big = 4100L * 4100L; /* > 2^24 pixels: the integer index */\n"
        "    bad |= plans(4100, 4100, 5, 1, big - 3 * 4100, big, 0.45f);\n"
        "    printf(\"full rate %d, bad %d\\n\", ABL_DLKA_GC8_OK, bad);\n"
        "    return bad;\n"
        "}\n";
    cr_assert_eq(run_header_checker(src), 0,
                 "abl_dlka_gcw_plan: not abl_dcn_corners' plan repacked");
    check("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=24 w=30", 107);
    check("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=5 w=40 batch=2", 108);
}

/* The checker text of both group-major samplers' softmax tests, for GC
 * (8: abl_dlka_gc8, 16: abl_dlka_gc16) channels a group, which the
 * checker defines before it: sample(h, w, k, dil, spread, fb) runs
 * abl_dcn_sample on the path (the plan takes the softmax) against
 * abl_dcn_softmax + abl_dcn_corners + abl_dcn_core on channels-last xp,
 * every pixel of an h x w map of 4 groups in one tile: offsets to 4
 * pixels past the border, logits within +-spread, every 7th pixel with a
 * group whose logits are past the range (one at 75, or all below -84:
 * the fallback, counted in *fb by the plan's abl_dlka_gcw_plan_sm); it
 * returns the largest error relative to 1 + |ref| (a NaN sticks). */
#define GCW_SAMPLE_CHECKER                                                                         \
    "#if ABL_DLKA_GC8_OK\n"                                                                        \
    "enum { C = 4 * GC, LG = GC == 8 ? 3 : 4 };\n"                                                 \
    "static double sample(int h, int w, int k, int dil, float spread, int *fb) {\n"                \
    "    const struct abl_dcn_geom d = {1, C, h, w, k, dil, 4, h, 0};\n"                           \
    "    const int g = 4, p = k * k, gp = g * p, nom = 3 * gp, hw = h * w;\n"                      \
    "    const int gpv = abl_dcn_gpv(gp);\n"                                                       \
    "    const ptrdiff_t privf = abl_dcn_priv_floats(d) + abl_dlka_dw_cl_floats(d) + "             \
    "abl_dcn_om_tile_floats(d);\n"                                                                 \
    "    float *priv = calloc(privf, sizeof(float)), *om = malloc(sizeof(float) * (hw * nom + "    \
    "ABL_DCN_OM_SLACK));\n"                                                                        \
    "    float *om0 = malloc(sizeof(float) * (hw * nom + ABL_DCN_OM_SLACK));\n"                    \
    "    float *xp = malloc(sizeof(float) * hw * C), *xg = malloc(sizeof(float) * hw * C);\n"      \
    "    float *gx = malloc(sizeof(float) * gpv), *gy = malloc(sizeof(float) * gpv);\n"            \
    "    float *wt = malloc(sizeof(float) * 4 * gpv), *mrow = malloc(sizeof(float) * (nom + "      \
    "ABL_DCN_OM_SLACK));\n"                                                                        \
    "    int32_t *idx = malloc(sizeof(int32_t) * gpv), *keep = malloc(sizeof(int32_t) * gpv);\n"   \
    "    for (int i = 0; i < hw * C; i++) xp[i] = rnd() - 0.5f;\n"                                 \
    "    if (GC == 8) abl_dlka_gc8_scatter(xp, g, hw, hw, 0, xg);\n"                               \
    "    else abl_dlka_gc16_scatter(xp, g, hw, hw, 0, xg);\n"                                      \
    "    for (int t = 0; t < hw; t++) {\n"                                                         \
    "        float *o = om0 + (ptrdiff_t)t * nom;\n"                                               \
    "        for (int q = 0; q < 2 * gp; q++) o[q] = 8.0f * rnd() - 4.0f;\n"                       \
    "        for (int q = 0; q < gp; q++) o[2 * gp + q] = spread * (2.0f * rnd() - 1.0f);\n"       \
    "        if (t % 7 == 3) { /* group t % 4: one logit past +69, or all below -69 */\n"          \
    "            float *m = o + 2 * gp + (t % 4) * p;\n"                                           \
    "            if (t % 2) m[t % p] = 75.0f;\n"                                                   \
    "            else for (int q = 0; q < p; q++) m[q] -= 90.0f;\n"                                \
    "        }\n"                                                                                  \
    "    }\n"                                                                                      \
    "    for (int i = hw * nom; i < hw * nom + ABL_DCN_OM_SLACK; i++) om0[i] = 0.0f;\n"            \
    "    memcpy(om, om0, sizeof(float) * (hw * nom + ABL_DCN_OM_SLACK));\n"                        \
    "    *fb = 0;\n"                                                                               \
    "    abl_dcn_grid(d, gx, gy);\n"                                                               \
    "    {\n"                                                                                      \
    "        float w4[4 * 256], inv[8];\n"                                                         \
    "        int32_t i8[256];\n"                                                                   \
    "        for (int t = 0; t < hw; t++)\n"                                                       \
    "            *fb += !abl_dlka_gcw_plan_sm(g, p, h, w, gx, gy, om0 + (ptrdiff_t)t * nom, "      \
    "t / w, t % w, LG, w4, i8, inv);\n"                                                            \
    "    }\n"                                                                                      \
    "    const float *core = abl_dcn_sample(d, xg, om, priv, 0, hw);\n"                            \
    "    double worst = 0;\n"                                                                      \
    "    for (int t = 0; t < hw; t++) {\n"                                                         \
    "        float ref[C];\n"                                                                      \
    "        memcpy(mrow, om0 + (ptrdiff_t)t * nom, sizeof(float) * (nom + (t == hw - 1 ? "        \
    "ABL_DCN_OM_SLACK : 0)));\n"                                                                   \
    "        abl_dcn_softmax(mrow + 2 * gp, g, p);\n"                                              \
    "        abl_dcn_corners(gp, h, w, 1.0f, gx, gy, mrow, 1, t / w, t % w, idx, wt, 0, keep);\n"  \
    "        abl_dcn_core(xp, C, h, w, g, p, idx, wt, 0, keep, ref);\n"                            \
    "        for (int i = 0; i < C; i++) {\n"                                                      \
    "            const double e = fabs((double)core[t * C + i] - ref[i]) /\n"                      \
    "                             (1.0 + fabs(ref[i]));\n"                                         \
    "            if (!(e <= worst)) worst = e; /* NaN sticks */\n"                                 \
    "        }\n"                                                                                  \
    "    }\n"                                                                                      \
    "    free(priv), free(om), free(om0), free(xp), free(xg), free(gx), free(gy), free(wt), "      \
    "free(mrow);\n"                                                                                \
    "    free(idx), free(keep);\n"                                                                 \
    "    return worst;\n"                                                                          \
    "}\n"                                                                                          \
    "#endif\n"

/* dcnv3_lka's mask softmax folded into the gc8 plan
 * (abl_dlka_gcw_plan_sm: e^x of each logit by abl_exp16, no max, no
 * transposes; each group's 1 / sum applied to its summed channels by
 * abl_dlka_core8): abl_exp16 within 4 ulp of e^x over [-87, 88]
 * (2.28 measured); abl_dcn_sample on the path against abl_dcn_softmax +
 * abl_dcn_corners + abl_dcn_core for every pixel of 9 x 11 (5 x 5) and 12
 * x 10, 30 x 33 (7 x 7 dilation 3) maps, offsets to 4 pixels past the
 * border, within 2e-6 of 1 + |ref| (1.1e-7 measured), every 7th pixel
 * with a group out of range (one logit at 75, or all below -84: the
 * fallback to abl_dcn_softmax, counted); then generated kernels on the
 * path (odd tiles, batch 2) against the scalar reference.  Fails on main
 * (no such functions). */
Test(gen_dlka, dcnv3_lka_gc8_softmax, .timeout = 120)
{
    static const char src[] =
        "#include <math.h>\n"
        "#include <stdio.h>\n"
        "#include <stdlib.h>\n"
        "#include <string.h>\n"
        "#include \"ablate_dlka_dcnv3.h\"\n"
        CHECKER_RND(9)
        "#if ABL_DLKA_GC8_OK\n"
        "/* abl_exp16 over [-87, 88]: the largest error in ulps of the float\n"
        " * nearest e^x (double exp) */\n"
        "static double exp_ulps(void) {\n"
        "    double worst = 0;\n"
        "    for (float x0 = -87.0f; x0 < 88.0f; x0 += 0.0625f) {\n"
        "        float xs[16], ys[16];\n"
        "        for (int i = 0; i < 16; i++) xs[i] = x0 + (float)i * (0.0625f / 16.0f) * (1.0f + rnd() * 1e-3f);\n"
        "        _mm512_storeu_ps(ys, abl_exp16(_mm512_loadu_ps(xs)));\n"
        "        for (int i = 0; i < 16; i++) {\n"
        "            const double r = exp((double)xs[i]), u = nextafterf((float)r, INFINITY) - (float)r;\n"
        "            const double e = fabs(ys[i] - r) / u;\n"
        "            if (e > worst) worst = e;\n"
        "        }\n"
        "    }\n"
        "    return worst;\n"
        "}\n"
        "#endif\n"
        "#define GC 8\n" GCW_SAMPLE_CHECKER
        "int main(void) {\n"
        "#if ABL_DLKA_GC8_OK\n"
        "    const double ulps = exp_ulps();\n"
        "    int fb0, fb1, fb2;\n"
        "    const double e0 = sample(9, 11, 5, 1, 6.0f, &fb0), e1 = sample(12, 10, 7, 3, 6.0f, &fb1);\n"
        "    const double e2 = sample(30, 33, 7, 3, 60.0f, &fb2);\n"
        "    printf(\"exp16 %.2f ulp; sample 5x5 %.3g (%d fallbacks), 7x7 d3 %.3g (%d), wide logits %.3g (%d)\\n\",\n"
        "           ulps, e0, fb0, e1, fb1, e2, fb2);\n"
        "    return !(ulps <= 4.0 && e0 <= 2e-6 && e1 <= 2e-6 && e2 <= 2e-6 && fb0 == 99 / 7 + (99 % 7 > 3) && fb1 > 0);\n"
        "#else\n"
        "    printf(\"gc8 path off\\n\");\n"
        "    return 0;\n"
        "#endif\n"
        "}\n";
    cr_assert_eq(run_header_checker(src), 0, "abl_dlka_gcw_plan_sm: softmax, bound or fallback");
    check("deformable_LKA_Attention d_model=32 variant=dcnv3_lka h=17 w=19 batch=2", 109);
    check("C3_DCNv3_DLKA c1=16 c2=64 variant=dcnv3_lka h=13 w=21", 110);
}

/* dcnv3_lka's sampler at 16 channels a group (abl_dlka_gc16: c = 16 g, k
 * >= 5, a map of 2 x 2 and more, full-rate AVX-512; L13 and L20's c_ 64):
 * xp group-major, the plan with the softmax in one pass, then
 * abl_dlka_core16 group by group, pixel by pixel.  First the
 * generator: gen/dlka.lua's gc_width against abl_dlka_gcw for every
 * channel count 4 .. 160 (group 4), kernel 3, 5, 7 and maps 1 x 9, 9 x 1,
 * 2 x 2, 40 x 40 (with the full rate; without it the runtime's is 0), and
 * its constants at L13 / L20, L17, L23 (the kernel's trap fires where
 * they disagree with the runtime).  Then abl_dcn_sample on the path
 * against abl_dcn_softmax + abl_dcn_corners + abl_dcn_core on
 * channels-last xp, every pixel of one tile of 9 x 11 (5 x 5) and 12 x
 * 10, 6 x 45 (7 x 7 dilation 3), offsets to 4 pixels past the border,
 * every 7th pixel with a group out of range (the fallback, which the
 * plan must report), within 2e-6 of 1 + |ref|; then generated kernels on the
 * path against the scalar reference at 1 and 2 threads: several tiles,
 * batch 2, a 2 x 2 map, a C3 block (c_ 64), the prepared
 * path, and a one-column map beside it (off). */
Test(gen_dlka, dcnv3_lka_gc16_sampler, .timeout = 180)
{
    enum { CMAX = 160, NMAP = 4 };
    static const int maps[NMAP][2] = {{1, 9}, {9, 1}, {2, 2}, {40, 40}};
    static char table[CMAX / 4 * 3 * NMAP + 1];
    lua_State *L = gen_check_require("dlka");
    size_t n = 0;
    for (int c = 4; c <= CMAX; c += 4)
        for (int k = 3; k <= 7; k += 2)
            for (int m = 0; m < NMAP; m++) {
                const int args[4] = {c, maps[m][0], maps[m][1], k};
                const int gc = gen_check_call_int(L, "gc_width", 4, args);
                table[n++] = gc == 8 ? '8' : gc == 16 ? 'g' : '0';
            }
    table[n] = '\0';
    cr_expect_eq(attention_field(L, "GC16", "dcnv3_lka", 1, 64, 40, 40), 1);
    cr_expect_eq(attention_field(L, "GC8", "dcnv3_lka", 1, 64, 40, 40), 0);
    cr_expect_eq(attention_field(L, "GC16", "dcnv3_lka", 1, 32, 80, 80), 0);
    cr_expect_eq(attention_field(L, "GC8", "dcnv3_lka", 1, 32, 80, 80), 1);
    cr_expect_eq(attention_field(L, "GC16", "dcnv3_lka", 1, 128, 20, 20), 0);
    cr_expect_eq(attention_field(L, "GC16", "dcnv3_lka", 1, 64, 1, 9), 0);
    lua_close(L);
    static char src[16384];
    snprintf(
        src, sizeof src,
        "#include <math.h>\n"
        "#include <stdio.h>\n"
        "#include <stdlib.h>\n"
        "#include <string.h>\n"
        "#include \"ablate_dlka_dcnv3.h\"\n"
        "static const char lua[] = \"%s\";\n"
        "static const int maps[%d][2] = {{1, 9}, {9, 1}, {2, 2}, {40, 40}};\n"
        CHECKER_RND(13)
        "static int widths(void) {\n"
        "    int bad = 0, i = 0;\n"
        "    for (int c = 4; c <= %d; c += 4)\n"
        "        for (int k = 3; k <= 7; k += 2)\n"
        "            for (int m = 0; m < %d; m++, i++) {\n"
        "                const struct abl_dcn_geom d = {1, c, maps[m][0], maps[m][1], k, 1, 4, 1, 0};\n"
        "                const int want = ABL_DLKA_GC8_OK ? (lua[i] == '8' ? 8 : lua[i] == 'g' ? 16 : 0) : 0;\n"
        "                if (abl_dlka_gcw(d) != want) {\n"
        "                    printf(\"c %%d k %%d map %%d: runtime %%d, lua %%c\\n\", c, k, m, abl_dlka_gcw(d), lua[i]);\n"
        "                    bad = 1;\n"
        "                }\n"
        "            }\n"
        "    return bad;\n"
        "}\n"
        "#define GC 16\n%s"
        "int main(void) {\n"
        "    int bad = widths();\n"
        "#if ABL_DLKA_GC8_OK\n"
        "    int fb0, fb1, fb2;\n"
        "    const double e0 = sample(9, 11, 5, 1, 6.0f, &fb0), e1 = sample(12, 10, 7, 3, 6.0f, &fb1);\n"
        "    const double e2 = sample(6, 45, 7, 3, 6.0f, &fb2);\n"
        "    printf(\"gc16 sample 5x5 %%.3g (%%d fallbacks), 7x7 d3 %%.3g (%%d), 6x45 %%.3g (%%d)\\n\",\n"
        "           e0, fb0, e1, fb1, e2, fb2);\n"
        "    bad |= !(e0 <= 2e-6 && e1 <= 2e-6 && e2 <= 2e-6 && fb0 > 0 && fb1 > 0 && fb2 > 0);\n"
        "#else\n"
        "    printf(\"gc16 path off\\n\");\n"
        "#endif\n"
        "    return bad;\n"
        "}\n",
        table, NMAP, CMAX, NMAP, GCW_SAMPLE_CHECKER);
    cr_assert_eq(run_header_checker(src), 0, "abl_dlka_gc16: bound, generator or sums");
    check("deformable_LKA_Attention d_model=64 variant=dcnv3_lka h=11 w=13", 111);
    check("deformable_LKA_Attention d_model=64 variant=dcnv3_lka h=7 w=40 batch=2", 112);
    check("deformable_LKA_Attention d_model=64 variant=dcnv3_lka h=2 w=2", 113);
    check("deformable_LKA_Attention d_model=64 variant=dcnv3_lka h=9 w=1", 114);
    check("C3_DCNv3_DLKA c1=48 c2=128 variant=dcnv3_lka h=8 w=42", 115);
    check_prepared("deformable_LKA_Attention d_model=64 variant=dcnv3_lka h=7 w=40 batch=2", 116, "fused");
}

/* dcnv3_lka's 16-channel plan without the points wholly outside the map
 * (abl_dlka_gc16_pack: a reach dil (k - 1) / 2 of ABL_DLKA_PACK_REACH
 * and more, the 7 x 7 dilation-3 layer at L13 / L20).  The generator:
 * gen/dlka.lua's PACK_REACH is the header's, its GC16_PACK 1 at L13 /
 * L20 and 0 at L17, L23 and for blog (the kernel traps where it is 0 and
 * a layer packs).  The plan: for every pixel of maps whose offsets reach
 * 4 pixels past the border (5 x 6, 12 x 10 and 40 x 40 at 7 x 7 dilation
 * 3, 9 x 11 at 5 x 5; with and without the softmax in the plan), the
 * packed plan (abl_dlka_gc16_plan_sm_pack / abl_dlka_gc16_plan_pack) holds, in
 * order and bit for bit, the dense plan's points but some whose four
 * weights are 0, every point with a weight not 0, and gs[gi] is where
 * group gi's start (gs[g]: their count); some points must be left out.
 * The sums on the path are gen_dlka/dcnv3_lka_gc16_sampler's
 * (abl_dcn_sample against the plain sampler); here generated kernels
 * where most or few points lie outside, at 1 and 2 threads. */
Test(gen_dlka, dcnv3_lka_gc16_pack, .timeout = 120)
{
    lua_State *L = gen_check_require("dlka");
    lua_getfield(L, -1, "PACK_REACH");
    const int reach = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    cr_expect_eq(attention_field(L, "GC16_PACK", "dcnv3_lka", 1, 64, 40, 40), 1);
    cr_expect_eq(attention_field(L, "GC16_PACK", "dcnv3_lka", 2, 64, 5, 6), 1);
    cr_expect_eq(attention_field(L, "GC16_PACK", "dcnv3_lka", 1, 32, 80, 80), 0);
    cr_expect_eq(attention_field(L, "GC16_PACK", "dcnv3_lka", 1, 128, 20, 20), 0);
    cr_expect_eq(attention_field(L, "GC16_PACK", "blog", 1, 64, 40, 40), 0);
    cr_expect_eq(attention_field(L, "GC16_PACK", "dcnv3_lka", 1, 64, 1, 9), 0);
    lua_close(L);
    static char src[8192];
    snprintf(
        src, sizeof src,
        "#include <stdio.h>\n"
        "#include <stdlib.h>\n"
        "#include <string.h>\n"
        "#include \"ablate_dlka_dcnv3.h\"\n"
        CHECKER_RND(17)
        "#if ABL_DLKA_GC8_OK\n"
        "/* every pixel of an h x w map: 1 where a packed plan is not the dense\n"
        " * one less some points of weights 0; *out counts the points left out */\n"
        "static int packs(int h, int w, int k, int dil, int sm, long *out) {\n"
        "    const int g = 4, p = k * k, gp = g * p, gpv = abl_dcn_gpv(gp);\n"
        "    const struct abl_dcn_geom d = {1, 64, h, w, k, dil, 4, 1, 0};\n"
        "    float om[3 * 196 + ABL_DCN_OM_SLACK], gx[208], gy[208], v4[4 * 208], w4[4 * 208];\n"
        "    float inv0[8], inv1[8];\n"
        "    int32_t j16[208], i16[208], gs[8];\n"
        "    int bad = 0;\n"
        "    abl_dcn_grid(d, gx, gy);\n"
        "    for (int t = 0; t < h * w; t++) {\n"
        "        for (int q = 0; q < 2 * gp; q++) om[q] = 4.0f * (2.0f * rnd() - 1.0f);\n"
        "        for (int q = 2 * gp; q < 3 * gp + ABL_DCN_OM_SLACK; q++) om[q] = rnd();\n"
        "        if (sm) {\n"
        "            bad |= !abl_dlka_gcw_plan_sm(g, p, h, w, gx, gy, om, t / w, t %% w, 4, v4, j16, inv0);\n"
        "            bad |= !abl_dlka_gc16_plan_sm_pack(g, p, h, w, gx, gy, om, t / w, t %% w, w4, i16, inv1, gs);\n"
        "            bad |= memcmp(inv0, inv1, sizeof(float) * g) != 0;\n"
        "        } else {\n"
        "            abl_dlka_gcw_plan(gp, h, w, gx, gy, om, t / w, t %% w, 4, v4, j16);\n"
        "            abl_dlka_gc16_plan_pack(g, p, h, w, gx, gy, om, t / w, t %% w, 0, NULL, w4, i16, gs);\n"
        "        }\n"
        "        bad |= gs[0] != 0;\n"
        "        for (int gi = 0; gi < g; gi++) {\n"
        "            int j = gs[gi];\n"
        "            for (int q = gi * p; q < gi * p + p; q++) {\n"
        "                if (j < gs[gi + 1] && !memcmp(v4 + 4 * q, w4 + 4 * j, 16) && j16[q] == i16[j]) {\n"
        "                    j++;\n"
        "                    continue;\n"
        "                }\n"
        "                ++*out;\n"
        "                bad |= v4[4 * q] != 0 || v4[4 * q + 1] != 0 || v4[4 * q + 2] != 0 || v4[4 * q + 3] != 0;\n"
        "            }\n"
        "            bad |= j != gs[gi + 1];\n"
        "        }\n"
        "        (void)gpv;\n"
        "    }\n"
        "    return bad;\n"
        "}\n"
        "#endif\n"
        "int main(void) {\n"
        "    int bad = ABL_DLKA_PACK_REACH != %d;\n"
        "#if ABL_DLKA_GC8_OK\n"
        "    long out[4] = {0, 0, 0, 0};\n"
        "    for (int sm = 0; sm <= 1; sm++) {\n"
        "        bad |= packs(5, 6, 7, 3, sm, &out[0]) || packs(12, 10, 7, 3, sm, &out[1]);\n"
        "        bad |= packs(40, 40, 7, 3, sm, &out[2]) || packs(9, 11, 5, 1, sm, &out[3]);\n"
        "    }\n"
        "    printf(\"left out: 5x6 %%ld, 12x10 %%ld, 40x40 %%ld, 5x5 9x11 %%ld; bad %%d\\n\", out[0],\n"
        "           out[1], out[2], out[3], bad);\n"
        "    bad |= !(out[0] > 0 && out[1] > 0 && out[2] > 0 && out[3] > 0);\n"
        "#else\n"
        "    printf(\"gc16 path off\\n\");\n"
        "#endif\n"
        "    return bad;\n"
        "}\n",
        reach);
    cr_assert_eq(run_header_checker(src), 0, "abl_dlka_gc16_pack: generator or packed plan");
    check("deformable_LKA_Attention d_model=64 variant=dcnv3_lka h=5 w=6 batch=2", 117);
    check("deformable_LKA_Attention d_model=64 variant=dcnv3_lka h=13 w=40", 118);
    check_prepared("deformable_LKA_Attention d_model=64 variant=dcnv3_lka h=6 w=9 batch=2", 119, "fused");
}
