/* tests/test_c3_gen.c — generated C3 kernels (gen/c3.lua over gen/chain.lua)
 * against the scalar reference, at 1 and 2 threads, on NaN-poisoned output
 * and workspace: shortcut on/off, n 1..3 (the ping-pong of the bottleneck
 * buffers), groups, e, batch 2, H != W, a 1-pixel-high map, several tiles. */
#include "gen_check.h"

static void check(const char *spec, uint64_t seed) { gen_check_variant(spec, seed, "gemm", 1e-3); }

Test(gen_c3, small_cases, .timeout = 120)
{
    check("C3 c1=4 c2=6 h=8 w=10", 31);
    check("C3 c1=5 c2=8 n=2 shortcut=0 h=7 w=9", 32);
    check("C3 c1=4 c2=4 h=6 w=5 batch=2", 33);
    check("C3 c1=6 c2=8 n=3 g=2 h=9 w=6", 34);
    check("C3 c1=3 c2=4 n=2 e=1 h=1 w=9", 35);
}

/* 40x36 = 1440 pixels: several tiles per layer at 2 threads. */
Test(gen_c3, several_tiles, .timeout = 120) { check("C3 c1=16 c2=32 n=2 h=40 w=36 batch=2", 36); }

/* cv1 and cv2 in one pass per 48-pixel block (gen/c3.lua's X1 pair,
 * ablate_chain.h's abl_chain_1x1_tile, AVX-512 builds): a tile past one
 * block of ABL_DIRECT_SUB (1536) pixels with a ragged last vector, c1 =
 * 264 (past the packed column's 256 channels) with batch 2, c_ = 12 (not
 * whole blocks of 8 outputs: each Conv in its own place), and the same
 * under x86-64-v3 (no pair: each Conv by sgemm). */
Test(gen_c3, x1_pair, .timeout = 120)
{
    check("C3 c1=16 c2=16 n=2 shortcut=1 h=50 w=39", 37);
    check("C3 c1=264 c2=16 h=5 w=7 batch=2", 38);
    check("C3 c1=16 c2=24 h=9 w=8", 39);
}

Test(gen_c3, x1_pair_avx2_build, .timeout = 300)
{
    gen_check_build_avx2_only();
    check("C3 c1=16 c2=16 h=11 w=9 batch=2", 40);
}
