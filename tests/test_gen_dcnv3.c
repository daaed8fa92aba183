/* tests/test_gen_dcnv3.c — the generated DCNv3 kernels (gen/dcnv3.lua,
 * variants fused and unfused) against the scalar reference op_dcnv3.forward_ref
 * (kernels/dcnv3.c, MODULES.md 6.1).
 *
 * Every case: random weights (op_dcnv3.init INIT_RANDOM: offsets of a few
 * pixels, so on these small maps many samples cross the border or leave
 * the map entirely; mask logits far from uniform), input N(0,1), output and
 * workspace poisoned with NaN, batch 2 (one case batch 1), 1 and 2 threads.
 * Tolerance: the op row's tol_nmse (float32 sgemm, LayerNorm and polynomial
 * erf/exp against the double reference) and 1e-4 per element. */
#include <criterion/criterion.h>

#include "gen_check.h"

#define TOL_MAX_ABS 1e-4

static void check_variant(const struct gen_env *env, const char *spec, uint64_t seed,
                          const char *variant)
{
    struct gen_case g;
    gen_case_setup(&g, spec, seed);
    gen_case_reference(&g);
    gen_case_check(env, &g, variant, g.inst.op->tol_nmse, TOL_MAX_ABS);
    gen_case_free(&g);
}

static void check_spec(const struct gen_env *env, const char *spec, uint64_t seed)
{
    check_variant(env, spec, seed, "fused");
}

/* group 1/2/4/8, kernel 3/5/7 (pad = dilation*(k-1)/2), dilation 2,
 * dw_kernel_size 5 beside k 3, an even kernel (k 2, dilation 2), H != W,
 * a single-row map, GC 2 .. 32 (8-, 4- and 1-wide channel blocks).  Each
 * case is one compile (about a second): the list covers, it does not
 * enumerate. */
Test(gen_dcnv3, fused_cases, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    const char *specs[] = {
        "DCNv3 channels=32 group=1 batch=2 h=7 w=8",
        "DCNv3 channels=16 group=8 kernel_size=5 pad=2 batch=2 h=10 w=9",
        "DCNv3 channels=24 group=4 kernel_size=3 pad=2 dilation=2 dw_kernel_size=5 batch=2 "
        "h=11 w=6",
        "DCNv3 channels=8 group=2 kernel_size=7 pad=6 dilation=2 batch=2 h=12 w=10",
        "DCNv3 channels=8 group=4 kernel_size=2 pad=1 dilation=2 dw_kernel_size=3 batch=2 h=6 w=7",
        "DCNv3 channels=16 group=4 batch=2 h=1 w=9",
    };
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++)
        check_spec(&env, specs[i], 900 + (uint64_t)i);
}

/* layout nhwc (output channels last) with center_feature_scale and
 * offset_scale 0.5, batch 1; offset_scale 3 (most samples of a 6x7 map
 * leave it). */
Test(gen_dcnv3, variants_of_the_module, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    const char *specs[] = {
        "DCNv3 channels=16 group=4 offset_scale=3.0 batch=2 h=6 w=7",
        "DCNv3_pytorch channels=32 group=8 kernel_size=5 pad=2 layout=nhwc center_feature_scale=1 "
        "offset_scale=0.5 h=9 w=5",
    };
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++)
        check_spec(&env, specs[i], 950 + (uint64_t)i);
}

/* A YOLOv8-sized layer: several tiles per image, both phases split across
 * threads. */
Test(gen_dcnv3, realistic, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    check_spec(&env, "DCNv3 channels=64 batch=2 h=40 w=40", 97);
}

/* output_proj into NCHW (channels a multiple of 8: the template's
 * out_block register blocks on the whole vectors of a tile's pixels, its
 * out_tail_cl channels last on a partial last vector, which rows of
 * W % 16 pixels leave) over tiles whose pixel counts leave every run
 * width: runs of 48 pixels (3 vectors), then a last run of 1, 2 or 3
 * vectors, and tails of 1-15 pixels (13-pixel rows: 13, 26, 39, 52 =
 * 48 + 4, 65 = 64 + 1 pixels; 23-pixel rows: 23, 46, 69, 92, 115), one
 * output-channel block (8 channels; the tail's one partial vector of 16)
 * and five (40: two vectors and a half), 1 and 2 threads (the stolen
 * single rows of the 2-thread split are tiles of one row). */
Test(gen_dcnv3, out_proj_runs, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    const char *specs[] = {
        "DCNv3 channels=8 group=2 batch=2 h=9 w=13",
        "DCNv3 channels=40 group=5 batch=2 h=11 w=13",
        "DCNv3 channels=24 group=1 batch=1 h=10 w=23",
    };
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++)
        check_spec(&env, specs[i], 1300 + (uint64_t)i);
}

/* The unfused comparison variant (sample into a P-times buffer, then mask
 * and sum): GC 6 (a 4-wide block and a 1-wide tail) with
 * center_feature_scale and nhwc, and several tiles per image. */
Test(gen_dcnv3, unfused, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    check_variant(&env, "DCNv3 channels=12 group=2 kernel_size=5 pad=2 center_feature_scale=1 "
                        "layout=nhwc batch=2 h=7 w=9", 991, "unfused");
    check_variant(&env, "DCNv3 channels=64 batch=2 h=40 w=40", 97, "unfused");
}

/* The model graph's path (harness/model_bench.c): the three Linears packed
 * once by ablate_kernel_prepare into a buffer both threads read, then
 * forward_prepared, must give forward's output bit for bit (the same
 * packed values, the same products), at 1 and 2 threads: NCHW output with
 * several tiles per image (the direct 1x1 output_proj), NHWC output with
 * center_feature_scale (output_proj and the scale rows packed too), and
 * the unfused variant. */
static void check_prepared(const char *spec, uint64_t seed, const char *variant)
{
    gen_check_prepared_case(spec, seed, variant, 1);
}

Test(gen_dcnv3, prepared, .timeout = 120)
{
    check_prepared("DCNv3 channels=64 batch=2 h=40 w=40", 97, "fused");
    check_prepared("DCNv3_pytorch channels=32 group=8 kernel_size=5 pad=2 layout=nhwc "
                   "center_feature_scale=1 offset_scale=0.5 h=9 w=5", 951, "fused");
    check_prepared("DCNv3 channels=12 group=2 kernel_size=5 pad=2 center_feature_scale=1 "
                   "batch=2 h=7 w=9", 991, "unfused");
}

/* The depthwise row's paths (ablate_dcnv3.h): maps narrower than the
 * kernel, one interior column, dw_kernel_size 7 with rows off the map on
 * both sides (k >= 5 on rows narrower than 64: the zero-padded row copy),
 * 5 on a 70-wide row (the interior loop and border tests), 3 (likewise),
 * 17 (beyond ABL_DW_KMAX: the per-tap path) and 1 (no border); the sampler's
 * 16-wide blocks (GC 16, 24 = 16 + 8, 48 = 3 x 16) with an odd number of
 * points (k 3: 9, k 5: 25), so the last point goes to one chain alone;
 * k 7, group 4. */
Test(gen_dcnv3, register_paths_edges, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    const char *specs[] = {
        "DCNv3 channels=16 group=1 dw_kernel_size=7 batch=2 h=5 w=1",
        "DCNv3 channels=16 group=1 dw_kernel_size=5 h=3 w=2",
        "DCNv3 channels=16 group=1 dw_kernel_size=5 h=9 w=5",
        "DCNv3 channels=48 group=2 dw_kernel_size=17 h=11 w=19",
        "DCNv3 channels=8 group=1 dw_kernel_size=5 h=3 w=70",
        "DCNv3 channels=48 group=1 kernel_size=5 pad=2 dw_kernel_size=1 h=8 w=9",
        "DCNv3 channels=96 group=2 dw_kernel_size=7 batch=2 h=20 w=20",
        /* k 7, group 4 (dcnv3_kernel_group's worst row, smaller map): 196
         * points (12 16-lane plan blocks and an 8-lane tail), offsets-and-
         * mask rows of 588 floats padded to 592 (OML), the padding NaN */
        "DCNv3 channels=64 group=4 kernel_size=7 pad=3 batch=2 h=12 w=11",
    };
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++)
        check_spec(&env, specs[i], 980 + (uint64_t)i);
}

/* gen/dcnv3.lua's rows_per_tile (also the D-LKA attention's DCNv3 layers):
 * about 32k floats a tile, at least 4 tiles, the rows spread evenly over
 * an even number of tiles, then a row or two less per tile where that
 * evens out two threads' rows. */
static int rows_per_tile(lua_State *L, int n, int c, int h, int w)
{
    return gen_check_call_int(L, "rows_per_tile", 5, (const int[]){n, c, h, w, 32768});
}

Test(gen_dcnv3, rows_per_tile_balances)
{
    lua_State *L = gen_check_require("dcnv3");
    cr_expect_eq(rows_per_tile(L, 1, 256, 20, 20), 5);  /* 6+6+6+2 -> 4 x 5 */
    cr_expect_eq(rows_per_tile(L, 1, 128, 40, 40), 5);  /* 6 x 6 + 4 -> 8 x 5 */
    cr_expect_eq(rows_per_tile(L, 1, 64, 80, 80), 5);   /* 13 x 6 + 2: 42 + 38 rows -> 16 x 5 */
    cr_expect_eq(rows_per_tile(L, 1, 64, 60, 60), 6);   /* 7 x 8 + 4: 32 + 28 rows -> 10 x 6 */
    cr_expect_eq(rows_per_tile(L, 1, 32, 80, 80), 10);  /* 7 tiles of 12 -> 8 x 10 */
    cr_expect_eq(rows_per_tile(L, 1, 64, 40, 40), 10);  /* 12+12+12+4 -> 4 x 10 */
    cr_expect_eq(rows_per_tile(L, 2, 16, 3, 5), 2);     /* 2 images x (2 + 1): 4 tiles */
    cr_expect_eq(rows_per_tile(L, 1, 16, 1, 9), 1);
    lua_close(L);
}

/* gen/dcnv3.lua's skip_outside (SKIP: list and skip the points wholly
 * outside the map): on where 15 % or more of the zero-offset grid points
 * of the map's pixels fall outside it. */
static int skip_outside(lua_State *L, int k, int dil, int h, int w)
{
    return gen_check_call_int(L, "skip_outside", 4, (const int[]){k, dil, h, w});
}

Test(gen_dcnv3, skip_outside_choice)
{
    lua_State *L = gen_check_require("dcnv3");
    cr_expect_eq(skip_outside(L, 3, 1, 80, 80), 0); /* 1.7 % outside */
    cr_expect_eq(skip_outside(L, 3, 1, 20, 20), 0); /* 6.6 % */
    cr_expect_eq(skip_outside(L, 5, 1, 20, 20), 0); /* 11.6 % */
    cr_expect_eq(skip_outside(L, 7, 3, 20, 20), 1); /* 44.8 % */
    cr_expect_eq(skip_outside(L, 7, 3, 40, 40), 1); /* 24.1 % */
    cr_expect_eq(skip_outside(L, 7, 3, 80, 80), 0); /* 12.5 % */
    cr_expect_eq(skip_outside(L, 3, 1, 6, 7), 1);   /* the small test maps: 20 % */
    lua_close(L);
}

/* gen/dcnv3.lua's point_major (PM: the corner plan point-major and
 * abl_dcn_core_pm's sums): 16 channels a group, skip 0, fused only. */
static int point_major(lua_State *L, int gc, int skip, int unfused)
{
    return gen_check_call_int(L, "point_major", 3, (const int[]){gc, skip, unfused});
}

Test(gen_dcnv3, point_major_choice)
{
    lua_State *L = gen_check_require("dcnv3");
    cr_expect_eq(point_major(L, 16, 0, 0), 1);
    cr_expect_eq(point_major(L, 16, 1, 0), 0); /* the skip lists need the plan's rows */
    cr_expect_eq(point_major(L, 16, 0, 1), 0); /* unfused samples from the rows */
    cr_expect_eq(point_major(L, 8, 0, 0), 0);
    cr_expect_eq(point_major(L, 32, 0, 0), 0);
    lua_close(L);
}

/* gen/dcnv3.lua's softmax_folded (SMF: the mask's softmax in PM's plan,
 * ablate_dcnv3.h abl_dcn_corners_pm_sm): where PM runs, k >= 5, at most
 * 240 logits a pixel (the plan's scratch row). */
static int softmax_folded(lua_State *L, int pm, int g, int k)
{
    return gen_check_call_int(L, "softmax_folded", 3, (const int[]){pm, g, k});
}

Test(gen_dcnv3, softmax_folded_choice)
{
    lua_State *L = gen_check_require("dcnv3");
    cr_expect_eq(softmax_folded(L, 1, 4, 7), 1); /* L13 k 7 g 4: 196 logits */
    cr_expect_eq(softmax_folded(L, 1, 4, 5), 1);
    cr_expect_eq(softmax_folded(L, 1, 4, 3), 0); /* k 3: measured level to slower */
    cr_expect_eq(softmax_folded(L, 0, 4, 7), 0); /* the plan's rows keep the pass */
    cr_expect_eq(softmax_folded(L, 1, 8, 7), 0); /* 392 logits: past the scratch row */
    cr_expect_eq(softmax_folded(L, 1, 1, 15), 1); /* 225 */
    lua_close(L);
}

/* gen/dcnv3.lua's dw_tile_chunks (ABL_DW_TILE_NR: the chunk sizes the 7 x 7
 * depthwise register-rows tile is built for; a size left out traps): tiles
 * of any 1 .. trb rows, cut into chunks of equal size of at most 8 rows, so
 * every size up to trb (a tile of 2 rows cannot be a chunk of 5), and past
 * 8 rows chunks that shorter tiles make already (9: 5 + 4, 17: 6 + 6 + 5). */
static int dw_tile_chunks(lua_State *L, int trb)
{
    return gen_check_call_int(L, "dw_tile_chunks", 1, (const int[]){trb});
}

Test(gen_dcnv3, dw_tile_chunk_sizes)
{
    lua_State *L = gen_check_require("dcnv3");
    cr_expect_eq(dw_tile_chunks(L, 1), 0x01);
    cr_expect_eq(dw_tile_chunks(L, 2), 0x03); /* 32 @ 11 x 48, k 7, g 8, batch 2: 2-row tiles */
    cr_expect_eq(dw_tile_chunks(L, 5), 0x1f); /* 128 @ 20 x 20, k 7, g 4 */
    cr_expect_eq(dw_tile_chunks(L, 8), 0xff);
    cr_expect_eq(dw_tile_chunks(L, 10), 0xff); /* 64 @ 40 x 40, k 7, g 1: 5 + 5 */
    cr_expect_eq(dw_tile_chunks(L, 17), 0xff);
    lua_close(L);
}

/* gen/dcnv3.lua's tile_rows_b: phase B's tiles (x1 / core and the tile's
 * offsets and mask, which phase B now computes itself) on C + OML floats a
 * pixel, about 128k floats, never more rows than phase A's tiles: 4 rows
 * at 40 x 40, k 7, g 4 (592 floats of offsets a pixel) where phase A has
 * 10; the same as phase A's where the offsets are few (k 3, and k 7 g 1). */
static int tile_rows_b(lua_State *L, int n, int c, int h, int w, int k, int g, int cfs)
{
    lua_getfield(L, -1, "tile_rows_b");
    cr_assert(lua_isfunction(L, -1), "gen/dcnv3.lua has no tile_rows_b");
    lua_createtable(L, 0, 7);
    const char *keys[] = {"B", "C", "H", "W", "K", "G", "CFS"};
    const int vals[] = {n, c, h, w, k, g, cfs};
    for (int i = 0; i < 7; i++) {
        lua_pushinteger(L, vals[i]);
        lua_setfield(L, -2, keys[i]);
    }
    cr_assert_eq(lua_pcall(L, 1, 1, 0), LUA_OK, "%s", lua_tostring(L, -1));
    const int tr = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    return tr;
}

Test(gen_dcnv3, phase_b_tiles_hold_offsets)
{
    lua_State *L = gen_check_require("dcnv3");
    cr_expect_eq(tile_rows_b(L, 1, 64, 40, 40, 7, 4, 0), 4);  /* L13 k 7 g 4: 656 floats a pixel */
    cr_expect_eq(tile_rows_b(L, 1, 64, 40, 40, 7, 1, 0), 10); /* k 7 g 1: 224, phase A's 10 */
    cr_expect_eq(tile_rows_b(L, 1, 64, 80, 80, 3, 4, 0), 5);  /* L16: 176, phase A's 5 */
    cr_expect_eq(tile_rows_b(L, 1, 128, 20, 20, 7, 4, 0), 5); /* L23 k 7 g 4: 720, phase A's 5 */
    cr_expect_eq(tile_rows_b(L, 1, 32, 80, 80, 7, 4, 0), 2);  /* 624 floats on 80-pixel rows */
    cr_expect_eq(tile_rows_b(L, 2, 16, 13, 40, 7, 4, 1), 5);  /* the scale logits counted: 608 */
    lua_close(L);
}

/* Phase B on tiles smaller than phase A's (tile_rows_b): k 7 on maps
 * whose offsets-and-mask rows fill the budget, so each image's phase B
 * has tiles of 5, 5 and 3 rows (phase A's 7 and 6) with
 * center_feature_scale, fused, unfused and prepared; and tiles of 2 rows
 * and a last one of 1 (phase A's 6 and 5) at group 8.  Batch 2, 1 and 2
 * threads, the workspace poisoned: the offsets tile must be written
 * before the sampler reads it, for every tile and image. */
Test(gen_dcnv3, phase_b_small_tiles, .timeout = 120)
{
    struct gen_env env = gen_check_env();
    const char *spec = "DCNv3 channels=16 group=4 kernel_size=7 pad=3 center_feature_scale=1 "
                       "batch=2 h=13 w=40";
    check_variant(&env, spec, 1201, "fused");
    check_variant(&env, spec, 1201, "unfused");
    check_prepared(spec, 1201, "fused");
    check_spec(&env, "DCNv3 channels=32 group=8 kernel_size=7 pad=3 batch=2 h=11 w=48", 1202);
}

/* The AVX2 build (x86-64-v3, the kernels an AVX2-only CPU gets), where
 * the corner sums of 32 and 64 channels a group run in ymm-sized pieces
 * (ablate_dcnv3.h abl_dcn_wide_sum16_avx2 and the 8-wide sums) and the
 * padded depthwise tile on ymm halves, the wide rows' depthwise conv in
 * blocks of ymm (ablate_dcnv3_dw.h abl_dw_row_avx2): GC 32, 64 and
 * 128 (two 64-channel blocks), the listed sums of a 7 x 7 dilation-2 grid
 * on a small map (most points outside), k 7 on a 20-wide and a 40-wide
 * map (one and two 16-column vectors and the 8-column one), k 5 on a
 * 67-wide map (nine 8-column vectors, the last partial), fused and
 * unfused, at 1 and 2 threads. */
Test(gen_dcnv3, avx2_build, .timeout = 300)
{
    gen_check_build_avx2_only();
    struct gen_env env = gen_check_env();
    const char *specs[] = {
        "DCNv3 channels=64 group=2 batch=2 h=7 w=8",
        "DCNv3 channels=64 group=1 kernel_size=7 pad=3 batch=2 h=9 w=20",
        "DCNv3 channels=128 group=1 kernel_size=7 pad=6 dilation=2 batch=2 h=6 w=7",
        "DCNv3 channels=32 group=1 kernel_size=7 pad=3 batch=1 h=5 w=40",
        /* k >= 5 on a row of 64 columns or more: abl_dw_row_avx2, its
         * last vector partial (3 of 8 columns) */
        "DCNv3 channels=16 group=2 kernel_size=5 pad=2 batch=1 h=4 w=67",
    };
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++) {
        check_variant(&env, specs[i], 1700 + (uint64_t)i, "fused");
        check_variant(&env, specs[i], 1750 + (uint64_t)i, "unfused");
    }
}

/* The 2-thread output of `variant` against its 1-thread output, bit for
 * bit, over `calls` calls (forward, and forward_prepared on every other
 * call), the output and workspace poisoned before each.  At 2 threads the
 * rows a tile holds move from call to call (a thread done early steals
 * single rows from the back of the other's share, ablate_dcnv3_split.h),
 * at 1 thread tiles are whole chunks: every step must give a pixel the
 * same bits wherever its tile starts and however wide it is.  On Zen 5
 * the sgemm output_proj of C % 8 != 0 did not (a different result for
 * tiles of 9, 18 and 27 pixels), which made gen_dcnv3::prepared flaky. */
static void check_split_bits(const char *spec, uint64_t seed, const char *variant, int calls)
{
    struct gen_case c;
    struct gen_kernel k;
    gen_case_build(&c, &k, spec, seed, variant);
    const float *const *w = (const float *const *)c.ws.ptr;
    float *y1 = gen_case_run(&c, &k, 1);
    const int64_t nws = k.info->workspace_floats * 2;
    float *y = buf_alloc(c.ny), *ws = buf_alloc(nws);
    float *prep = k.prepare ? buf_alloc(k.info->prepared_floats) : NULL;
    cr_assert(y && ws && (prep || !k.prepare));
    if (prep)
        k.prepare(w, prep, 2);
    int differ = 0, first = -1;
    for (int call = 0; call < calls; call++) {
        buf_fill_nan(y, c.ny);
        buf_fill_nan(ws, nws);
        if (prep && call % 2)
            k.forward_prepared(w, prep, c.x, y, ws, 2);
        else
            k.forward(w, c.x, y, ws, 2);
        if (memcmp(y, y1, sizeof(float) * (size_t)c.ny) != 0) {
            differ++;
            first = first < 0 ? call : first;
        }
    }
    cr_expect_eq(differ, 0, "%s %s: %d of %d calls at 2 threads differ from 1 thread (first: %d; %s)",
                 spec, variant, differ, calls, first, k.src_path);
    if (prep)
        buf_free(prep, k.info->prepared_floats);
    buf_free(y, c.ny);
    buf_free(ws, nws);
    buf_free(y1, c.ny);
    gen_unload(&k);
    gen_case_free(&c);
}

/* Odd W, W not a multiple of 16, batch 2, several tiles an image: output_proj
 * by abl_dcn_lin_run and a transpose for C % 8 != 0 (C 12: the case that
 * was flaky, fused and unfused; C 20), out_block with out_tail_cl's tail
 * (C 16, 9-pixel rows) and the NHWC output; 30 calls each. */
Test(gen_dcnv3, thread_split_bits, .timeout = 120)
{
    const char *c12 = "DCNv3 channels=12 group=2 kernel_size=5 pad=2 center_feature_scale=1 batch=2 "
                      "h=7 w=9";
    check_split_bits(c12, 991, "fused", 30);
    check_split_bits(c12, 991, "unfused", 30);
    check_split_bits("DCNv3 channels=20 group=5 batch=2 h=9 w=11", 1801, "fused", 30);
    check_split_bits("DCNv3 channels=16 group=8 kernel_size=5 pad=2 batch=2 h=10 w=9", 1802, "fused",
                     30);
    check_split_bits("DCNv3_pytorch channels=32 group=8 kernel_size=5 pad=2 layout=nhwc "
                     "center_feature_scale=1 batch=2 h=9 w=5",
                     1803, "fused", 30);
}

/* Whether spec's fused kernel renders with `constant` (e.g. "PM = 1,": the
 * point-major sampler, gen/dcnv3.lua point_major). */
static int renders_with(const char *spec, const char *constant)
{
    struct gen_env env = gen_check_env();
    struct gen_case c;
    char err[ERR_MAX];
    gen_case_setup(&c, spec, 1);
    char *src = gen_render_script(&env, "dcnv3", &c.inst.args, c.inst.in, "fused", err, sizeof err);
    cr_assert_not_null(src, "%s: %s", spec, err);
    const int found = strstr(src, constant) != NULL;
    free(src);
    gen_case_free(&c);
    return found;
}

/* The point-major sampler (PM, ablate_dcnv3.h abl_dcn_corners_pm /
 * abl_dcn_core_pm) against the reference and at 2 threads bit for bit:
 * 36 points a pixel (blocks of 16, 16 and an 8-lane tail), 25 (16 + 16),
 * 98 (six blocks and a tail), in 4, 1 and 2 groups; random offsets put
 * many blocks on the border path (abl_dcn_store_pm from the masked
 * selects); offset_scale 3 on a 40 x 6 map sends points to the other
 * thread's map (route_points after the point-major plan).  The k 5 and
 * k 7 shapes take the mask's softmax in the plan (SMF), the others not. */
Test(gen_dcnv3, point_major_sampler, .timeout = 180)
{
    struct gen_env env = gen_check_env();
    const char *specs[] = {
        "DCNv3 channels=64 group=4 batch=2 h=20 w=20",
        "DCNv3 channels=16 group=1 kernel_size=5 pad=2 h=20 w=19",
        "DCNv3 channels=32 group=2 kernel_size=7 pad=3 h=24 w=22",
        "DCNv3 channels=32 group=2 offset_scale=3.0 center_feature_scale=1 batch=2 h=40 w=6",
    };
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++) {
        cr_expect(renders_with(specs[i], "PM = 1,"), "%s: PM = 0", specs[i]);
        /* k 5 and k 7: the mask's softmax in the plan (SMF, abl_dcn_corners_pm_sm) */
        cr_expect_eq(renders_with(specs[i], "SMF = 1,"), strstr(specs[i], "kernel_size=") != NULL,
                     "%s: SMF", specs[i]);
        check_spec(&env, specs[i], 1900 + (uint64_t)i);
        check_split_bits(specs[i], 1950 + (uint64_t)i, "fused", 20);
    }
}

/* At 2 threads each thread samples its own map of xp: its share's rows and
 * HALO (8) rows of the other share, phase A writing those rows into both
 * maps, a point whose 2 x 2 block leaves the map's rows sent to the other
 * map (dcnv3_fused.c.in, xp_maps / route_points).  Shares that end inside
 * an image, with samples reaching past the 8 rows (a 5 x 5 grid of
 * dilation 3, offsets doubled) and stolen rows far from the thief's map;
 * batch 3 of 9 rows puts the split inside image 1, so each map's rows stop
 * at an image's edge too.  The workspace is NaN before every call: a row a
 * map lacks gives NaN, not the 1-thread bits. */
Test(gen_dcnv3, thread_own_maps_bits, .timeout = 120)
{
    check_split_bits("DCNv3 channels=16 group=2 kernel_size=5 pad=6 dilation=3 offset_scale=2 "
                     "h=40 w=6",
                     1805, "fused", 30);
    check_split_bits("DCNv3 channels=16 group=4 kernel_size=3 pad=3 dilation=3 offset_scale=3 "
                     "center_feature_scale=1 batch=3 h=9 w=7",
                     1806, "fused", 30);
}

/* The same in the AVX2 build, where abl_dcn_lin_run (every Linear and the
 * NCHW output_proj) runs its generic-vector blocks: it was one sgemm a
 * tile there, and no 2-thread call gave the 1-thread bits. */
Test(gen_dcnv3, thread_split_bits_avx2, .timeout = 120)
{
    gen_check_build_avx2_only();
    check_split_bits("DCNv3 channels=12 group=2 kernel_size=5 pad=2 center_feature_scale=1 batch=2 "
                     "h=7 w=9",
                     991, "fused", 30);
    check_split_bits("DCNv3 channels=32 group=1 batch=2 h=7 w=8", 1804, "fused", 30);
}
