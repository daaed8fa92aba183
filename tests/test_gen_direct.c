/* tests/test_gen_direct.c — the AVX-512 register-blocked direct
 * convolutions (gen/runtime/ablate_direct.h) that the gemm schedules of
 * Conv and of the chained blocks take where they apply, against the scalar
 * references at 1 and 2 threads on NaN-poisoned output and workspace.
 * Shapes are chosen for the paths' edges: output channels a multiple of 8
 * (stride 2: output width a multiple of 16, gen/conv.lua's rule)
 * (one and several register blocks), maps narrower and wider than one
 * block of 3 x 16 pixels, odd sizes (vectors across row ends, ragged last
 * vectors, padding masks on every side), batch 2, several tiles per thread,
 * and Detect with every head on the direct path.  On a build without
 * AVX-512 the same cases check the sgemm fallback. */
#include "gen_check.h"

static void check(const char *spec, uint64_t seed) { gen_check_variant(spec, seed, "gemm", 1e-3); }

Test(gen_direct, conv_stride2, .timeout = 120)
{
    check("Conv c1=3 c2=16 k=3 s=2 h=64 w=64", 301);
    check("Conv c1=16 c2=32 k=3 s=2 h=33 w=32 batch=2", 302);
    check("Conv c1=8 c2=8 k=3 s=2 h=5 w=31", 303);
    check("Conv c1=24 c2=24 k=3 s=2 h=1 w=32", 304);
    check("Conv c1=24 c2=24 k=3 s=2 h=9 w=9", 306); /* rows end mid-vector: sgemm */
    check("Conv c1=5 c2=40 k=3 s=2 h=12 w=95 act=0", 305);
}

Test(gen_direct, conv_stride1, .timeout = 120)
{
    check("Conv c1=16 c2=16 k=3 s=1 h=13 w=17", 311);
    check("Conv c1=7 c2=24 k=3 s=1 h=50 w=50 batch=2", 312);
    check("Conv c1=32 c2=8 k=1 s=1 h=9 w=11", 313);
    check("Conv c1=8 c2=16 k=3 s=1 h=1 w=37", 314);
    check("Conv c1=8 c2=16 k=3 s=1 h=37 w=1", 315);
}

Test(gen_direct, chains, .timeout = 120)
{
    check("C2f c1=16 c2=32 n=2 shortcut=1 h=20 w=3", 321);
    check("C2f c1=32 c2=32 n=1 shortcut=1 h=41 w=43 batch=2", 322);
    check("Bottleneck c1=16 c2=16 h=2 w=2", 323);
    check("SPPF c1=32 c2=32 h=13 w=15", 324);
}

/* The Winograd F(2x2, 3x3) path (gen/runtime/ablate_winograd.h) that the
 * chains' 3x3 Convs take on AVX-512: tile rows wider than a batch of 96
 * tiles (w = 201: batches end mid-row, a last half tile per row), odd
 * heights (a last half tile row), input channels not a multiple of 16
 * (the weight transform's masked gathers), several tiles per thread split
 * at even rows, batch 2, and the Bottleneck shortcut after the epilogue. */
Test(gen_direct, winograd, .timeout = 120)
{
    check("C2f c1=48 c2=48 n=1 shortcut=1 h=5 w=201", 341);
    check("Bottleneck c1=24 c2=24 h=31 w=29 batch=2", 342);
    check("C2f c1=32 c2=64 n=2 shortcut=0 h=1 w=9", 343);
}

/* The model graph's path (harness/model_bench.c): the chains' Winograd
 * weights made once by ablate_kernel_prepare, then forward_prepared, must
 * give forward's output exactly, at 1 and 2 threads (several layers with
 * their own U, input channels not a multiple of 16, batch 2). */
static void check_prepared(const char *spec, uint64_t seed)
{
    gen_check_prepared_case(spec, seed, "gemm", 0);
}

Test(gen_direct, prepared, .timeout = 120)
{
    check_prepared("C2f c1=32 c2=48 n=2 shortcut=1 h=13 w=21", 351);
    check_prepared("Bottleneck c1=24 c2=24 h=9 w=8 batch=2", 352);
}

/* The Conv row's AVX2 direct paths (runtime/ablate_direct.h abl_direct8_*:
 * 4 channels x 3 vectors of 8, the stride-2 copy with shifted planes, the
 * stride-1 shifted row copies), built for an AVX2-only CPU so that an
 * AVX-512 machine runs them too: input channels not a multiple of the
 * 8-channel chunk (partial sums in y), output channels past one 64-channel
 * group, odd sizes and H != W (vectors across row ends, ragged last
 * blocks of 1 and 2 vectors, padding on every side), a 1 x 1 output, one
 * row, tiles that end mid-row (the stride-2 tile of direct8_tile_plan,
 * the stride-1 gemm tile), batch 2, with and without SiLU; and the
 * chains' 3x3 layers, which take the stride-1 path on AVX2 too. */
Test(gen_direct, conv_avx2, .timeout = 300)
{
    gen_check_build_avx2_only();
    check("Conv c1=19 c2=72 k=3 s=2 h=37 w=50 batch=2", 361);
    check("Conv c1=8 c2=8 k=3 s=2 h=2 w=2", 362);
    check("Conv c1=16 c2=16 k=3 s=2 h=94 w=202 act=0", 363);
    check("Conv c1=3 c2=24 k=3 s=2 h=1 w=77", 364);
    check("Conv c1=19 c2=72 k=3 s=1 h=23 w=31 batch=2", 365);
    check("Conv c1=8 c2=8 k=3 s=1 h=1 w=1", 366);
    check("Conv c1=16 c2=16 k=3 s=1 h=61 w=47 act=0", 367);
    check("Conv c1=3 c2=24 k=3 s=1 h=2 w=300", 368);
    /* the chains' 3x3 layers (abl_chain_tile): 20 channels (chunks of 8,
     * 8, 4), the Bottleneck shortcut after the fused epilogue */
    check("C2f c1=24 c2=40 n=1 shortcut=1 h=13 w=29 batch=2", 369);
    check("Bottleneck c1=24 c2=24 h=31 w=29 batch=2", 370);
}

/* The same kernels built for an AVX2-only CPU (ABLATE_GEN_MARCH, the
 * -march of generated kernels): on an AVX-512 machine this is the only way
 * the fallbacks of the direct paths (sgemm here, AKConv's 8-float vectors)
 * run at all, and some days' machines have nothing else. */
Test(gen_direct, avx2_builds, .timeout = 300)
{
    gen_check_build_avx2_only();
    check("Conv c1=16 c2=32 k=3 s=2 h=33 w=32 batch=2", 331);
    check("C2f c1=16 c2=32 n=2 shortcut=1 h=20 w=3", 332);
    gen_check_variant("AKConv inc=8 outc=24 num_param=5 stride=2 h=17 w=12 batch=2", 333, "direct", 1e-3);
    gen_check_variant("AKConv inc=16 outc=16 num_param=3 stride=1 h=9 w=21", 334, "direct", 1e-3);
}
