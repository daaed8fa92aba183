/* gen/runtime/ablate_dlka_dcnv3.h — the DCNv3 variants (blog, dcnv3_lka) of
 * deformable_LKA_Attention (MODULES.md 6.2; each deformable layer a
 * DCNv3_pytorch, 6.1), for templates/dlka_dcnv3.c.in and c3_dlka.c.in.
 *
 * A DCNv3 layer here is the schedule of the DCNv3 row's own kernel
 * (templates/dcnv3_fused.c.in), with sizes as arguments so that two layers
 * of different kernel sizes share one translation unit, and NCHW in and out
 * (the attention's tensors), channels last inside:
 *   0. each thread packs the layer's input_proj and its offset and mask
 *      Linears (side by side) for ablate_dcnv3_linear.h, or reads them
 *      from the prepared buffer (abl_dlka_dcnv3_prepare: the kernel's
 *      ablate_kernel_prepare made them once);
 *   A. per tile of TR rows: xp = input_proj(x) (abl_dcn_lin_run from the
 *      planar x);  (barrier: samples land anywhere)
 *   B. per tile: per row the depthwise conv, LayerNorm and GELU
 *      (ablate_dcnv3.h); offsets and mask logits by one abl_dcn_lin_run on
 *      x1 into this thread's tile; softmax of each group's P logits (a
 *      pixel's offsets and mask are its own: they need no barrier, and a
 *      tile of them stays in L2 where the whole map's, 3 GP floats a pixel,
 *      2.8 MB at L17, went through L3 between the phases);
 *      then per pixel: each of the G P points' 4 corner indices and weights,
 *      mask folded in, computed once and used for the group's GC channels
 *      (abl_dcn_corners / abl_dcn_core of ablate_dcnv3.h: the DCNv3 row's
 *      own sampler); output_proj written NCHW: ablate_direct.h's 1x1
 *      blocks on the core transposed to planar (AVX-512, c a multiple of
 *      8), else one sgemm per tile.
 * Everything here is ABL_DCN_SPECIALISE (forced inline): the templates pass
 * each layer's geometry as literal constants, so both layers compile to
 * fixed-size loops like the DCNv3 row's kernel.
 * The attention around the layers is ablate_dlka.h's. */
#ifndef ABLATE_RUNTIME_DLKA_DCNV3_H
#define ABLATE_RUNTIME_DLKA_DCNV3_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "ablate_dcnv3.h"
#include "ablate_dcnv3_linear.h"
#include "ablate_direct.h"
#include "ablate_dlka.h"

/* ---- dcnv3_lka's planar depthwise rows where ablate_dcnv3_dw.h's
 * abl_dw_row (the DCNv3 row's, whose kernels are 3 x 3) runs one
 * dependent chain of k^2 multiply-adds per 16-column vector, one vector
 * after another (abl_dw_row_vec: k >= 5 on rows of 64 pixels and more,
 * L17's 80; 49 FMAs a chain at 7 x 7, about 200 cycles of latency):
 * 28-33 GFLOP/s on this Intel Xeon (the 7 x 7 at L17, 32 channels on 80 x
 * 80: 606-711 us a call, a microbenchmark with runtime sizes).  Here two
 * channels' whole row (up to 5 vectors each) accumulate together: 2 nv
 * independent chains, each tap broadcast once for its nv multiply-adds,
 * the row ends by zero-filling masked loads whose masks stay in mask
 * registers over a tap column's k rows, input rows outside the map
 * skipped: 350-361 us in the same microbenchmark (5 x 5: 332-363 -> 188-
 * 194).  Per output the bias, then the taps column by column: another
 * order than abl_dw_row's, so not the same bits (max |diff| 7e-7 at L17
 * in the block's output).  Narrower rows keep abl_dw_row's padded rows
 * (a first version of this, summing in their order, took the same time
 * as they do in the generated kernels, sizes constant: dcnv3_lka at L20)
 * or abl_dlka_dw_cl below; blog's 3 x 3 keeps abl_dw_row (9-tap chains:
 * blog at L17 2-4 % slower this way; docs/modules/perf_deform.md, fifth
 * Intel pass). */
/* AVX2 builds have no rows of their own: abl_dw_row runs those layers by
 * abl_dw_row_avx2 (ablate_dcnv3_dw.h, blocks of up to 10 independent
 * 8-column chains).  A copy of the rows below in ymm (two channels x 5
 * vectors, the AVX-512 rows' order) was as fast at dcnv3_lka's L17 on a
 * Zen 3: the block 19.91 / 19.90 / 19.82 ms with it, 19.83 / 20.02 /
 * 19.94 without (thread-CPU minima, interleaved); the 5 x 5 rows alone
 * 0.257 -> 0.256-0.267 ms, the 7 x 7 0.44 -> 0.48 (docs/modules/
 * perf_deform.md, "D-LKA on Zen 3 ... second session"). */
#ifdef __AVX512F__
enum { ABL_DLKA_DW_NV = 5, ABL_DLKA_DW_KMIN = 5, ABL_DLKA_DW_KMAX = 15 };

/* Output row r of channels ch, ch + 1 (nch of them, 1 or 2), columns j0 ..
 * j0 + 16 nv - 1 (masked to the row): out planar [c][w]. */
static inline __attribute__((always_inline)) void
abl_dlka_dw_chunk(const float *x, const float *wt, const float *bias, int ch, const int nch, int h,
                  int w, int k, int r, int j0, const int nv, const __mmask16 *cm, float *out)
{
    const int pd = (k - 1) / 2;
    const ptrdiff_t hw = (ptrdiff_t)h * w;
    __m512 acc[2][ABL_DLKA_DW_NV];
#pragma GCC unroll 2
    for (int e = 0; e < nch; e++)
#pragma GCC unroll 5
        for (int j = 0; j < nv; j++)
            acc[e][j] = _mm512_set1_ps(bias[ch + e]);
    /* tap columns outer: the nv masks of a column stay in mask registers
     * over its k rows (reloaded per tap, they were 5 of every 17 loads) */
    const int u0 = pd - r > 0 ? pd - r : 0, u1 = h - r + pd < k ? h - r + pd : k; /* rows on the map */
    for (int v = 0; v < k; v++) {
        const int s = j0 + v - pd;
        __mmask16 m[ABL_DLKA_DW_NV];
#pragma GCC unroll 5
        for (int j = 0; j < nv; j++)
            m[j] = cm[v * ABL_DLKA_DW_NV + j];
        for (int u = u0; u < u1; u++) {
            const ptrdiff_t yy = r - pd + u;
#pragma GCC unroll 2
            for (int e = 0; e < nch; e++) {
                const float *row = x + (ch + e) * hw + yy * w + s;
                __m512 tap = _mm512_set1_ps(wt[((ptrdiff_t)(ch + e) * k + u) * k + v]);
#if defined(__GNUC__)
                __asm__("" : "+v"(tap)); /* one broadcast, not nv {1to16} operands */
#endif
#pragma GCC unroll 5
                for (int j = 0; j < nv; j++)
                    acc[e][j] = _mm512_fmadd_ps(tap, _mm512_maskz_loadu_ps(m[j], row + 16 * j), acc[e][j]);
            }
        }
    }
#pragma GCC unroll 2
    for (int e = 0; e < nch; e++)
#pragma GCC unroll 5
        for (int j = 0; j < nv; j++)
            _mm512_mask_storeu_ps(out + (ptrdiff_t)(ch + e) * w + j0 + 16 * j,
                                  cm[ABL_DLKA_DW_KMAX * ABL_DLKA_DW_NV + j], acc[e][j]);
}

static inline __attribute__((always_inline)) void
abl_dlka_dw_chunk_n(const float *x, const float *wt, const float *bias, int ch, const int nch, int h,
                    int w, int k, int r, int j0, int nv, const __mmask16 *cm, float *out)
{
    switch (nv) {
    case 5: abl_dlka_dw_chunk(x, wt, bias, ch, nch, h, w, k, r, j0, 5, cm, out); break;
    case 4: abl_dlka_dw_chunk(x, wt, bias, ch, nch, h, w, k, r, j0, 4, cm, out); break;
    case 3: abl_dlka_dw_chunk(x, wt, bias, ch, nch, h, w, k, r, j0, 3, cm, out); break;
    case 2: abl_dlka_dw_chunk(x, wt, bias, ch, nch, h, w, k, r, j0, 2, cm, out); break;
    default: abl_dlka_dw_chunk(x, wt, bias, ch, nch, h, w, k, r, j0, 1, cm, out); break;
    }
}

/* abl_dw_row's output (row r, all c channels, planar [c][w]) as above.
 * Not inlined: its own register allocation (see abl_dlka_dw_chunk). */
static __attribute__((noinline, unused)) void abl_dlka_dw_row(const float *x, const float *wt,
                                                              const float *bias, int c, int h, int w,
                                                              int k, int r, float *out)
{
    for (int j0 = 0; j0 < w; j0 += 16 * ABL_DLKA_DW_NV) {
        const int nv = (w - j0 + 15) / 16 < ABL_DLKA_DW_NV ? (w - j0 + 15) / 16 : ABL_DLKA_DW_NV;
        /* cm[v NV + j]: the lanes tap column v reads inside the row for
         * vector j; cm[KMAX NV + j]: vector j's own columns (the store) */
        __mmask16 cm[(ABL_DLKA_DW_KMAX + 1) * ABL_DLKA_DW_NV];
        for (int j = 0; j < nv; j++) {
            for (int v = 0; v < k; v++)
                cm[v * ABL_DLKA_DW_NV + j] = abl_dw_cols_mask(j0 + 16 * j + v - (k - 1) / 2, w);
            cm[ABL_DLKA_DW_KMAX * ABL_DLKA_DW_NV + j] = abl_dw_cols_mask(j0 + 16 * j, w);
        }
        int ch = 0;
        for (; ch + 2 <= c; ch += 2)
            abl_dlka_dw_chunk_n(x, wt, bias, ch, 2, h, w, k, r, j0, nv, cm, out);
        for (; ch < c; ch++)
            abl_dlka_dw_chunk_n(x, wt, bias, ch, 1, h, w, k, r, j0, nv, cm, out);
    }
}
#define ABL_DLKA_DW_ROW 1
#endif
#ifndef ABL_DLKA_DW_ROW
#define ABL_DLKA_DW_ROW 0
#endif

/* 1 where a DCNv3 layer's planar depthwise rows take abl_dlka_dw_row:
 * AVX-512, k >= 5, rows that abl_dw_row would run by abl_dw_row_vec /
 * abl_dw_row_small (not its padded rows, ABL_DW_PADDED_OK). */
static inline int abl_dlka_dw_row_ok(int w, int k)
{
#if ABL_DLKA_DW_ROW
    return k >= ABL_DLKA_DW_KMIN && k <= ABL_DLKA_DW_KMAX && !ABL_DW_PADDED_OK(w, k);
#else
    (void)w, (void)k;
    return 0;
#endif
}

/* One DCNv3_pytorch(c, k, pad, dil, group g) layer over a batch, stride 1,
 * dw_kernel_size k, offset_scale 1, LayerNorm eps 1e-6, tiles of tr rows;
 * skip: leave out the sampling points wholly outside the map
 * (gen/dcnv3.lua skip_outside). */
struct abl_dcn_geom {
    int n, c, h, w, k, dil, g, tr, skip;
};

static inline int abl_dcn_gp(struct abl_dcn_geom d) { return d.g * d.k * d.k; }

/* 1 where a layer's planar depthwise rows (not abl_dlka_dw_cl) run a
 * tile at a time by ablate_dcnv3_dw.h's abl_dw_rows_tile: kernels of 5
 * and more on rows narrower than 64 (ABL_DW_PADDED_OK; dcnv3_lka at L13,
 * L20 on full-rate AVX-512 but a Zen: 40 x 40).  abl_dw_row took them
 * row by row (abl_dw_row_padded: a channel's k input rows copied into
 * padded rows once per output row, each input vector loaded once per
 * output row and tap); the tile copies each input row once and, on
 * AVX-512 rows of at most 3 vectors, keeps the chunk's output rows in
 * registers (abl_dw_tile_rows: each input vector loaded once for every
 * output row it feeds).  Per output the same operations in the same
 * order: the same bits as abl_dw_row.  Its planes (tr c w floats) go in
 * the thread's core tile (abl_dcn_packed.coret), which the sampler
 * writes only after LayerNorm and GELU have read them. */
static inline int abl_dlka_dw_tile(struct abl_dcn_geom d) { return ABL_DW_PADDED_OK(d.w, d.k); }

/* ABL_DLKA_DW_TILE, defined before this header by the templates: 0 where
 * gen/dlka.lua found no layer of the kernel that can take
 * abl_dlka_dw_tile's path (dw_tile_may); the path is then left out of the
 * build, and a layer that would take it runs abl_dw_row's rows (the same
 * bits).  Its code, dead at L17's 80 columns, made gcc compile the rest
 * of the attention there differently (2.7 KB less machine code, +6 % CPU
 * time; docs/modules/perf_deform.md, a2-dlka).  Not defined (the header
 * checkers): built. */
#ifndef ABL_DLKA_DW_TILE
#define ABL_DLKA_DW_TILE 1
#endif

/* ---- The sampler at 8 channels a group (c = 8 g: dcnv3_lka's 5 x 5 and
 * 7 x 7 layers at L17, c_ 32 in 4 groups), full-rate AVX-512 only.
 * ablate_dcnv3.h's abl_dcn_corner_sum8 adds a point's 4 corners as 4 ymm
 * multiply-adds fed by 9 loads (its index, 4 broadcast weights, 4 corner
 * vectors, each corner in a cache line of its own): 4.2 TSC cycles a point on
 * this Intel Xeon (the 7 x 7 layer at L17: 196 points a pixel, 5.4 of its
 * sampler's 7.6 Mcycles a call; docs/modules/perf_deform.md, sixth Intel
 * pass).  Here xp is stored group-major (abl_dlka_gc8_scatter: per group
 * a plane of 8 floats a pixel), so a point's top-left and top-right
 * corners are 16 adjacent floats, one zmm, and its bottom pair another;
 * the plan's corner weights, repacked per pixel into 4 floats a point
 * (abl_dlka_gc8_repack), reach the two zmm by two permutes: 4 loads and
 * 2 zmm multiply-adds a point.  A specialised copy of the sampler (not in
 * ablate_dcnv3.h, the DCNv3 row's, whose groups hold 16 channels and more
 * at its shapes).  The plan and its repacking run as one pass
 * (abl_dlka_gcw_plan, same bits as the two).  The sum runs in another order (8 chains of corner
 * pairs, then the pairs' halves): not abl_dcn_core's bits.  Every point
 * is summed (no skip_outside lists: points wholly outside the map add
 * zero weights on blocks inside it).  The Zen 4 (half-rate AVX-512) and
 * AVX2 builds keep abl_dcn_core: not measured there. */
#if defined(__AVX512F__) && ABL_AVX512_FULL_RATE
#define ABL_DLKA_GC8_OK 1
#else
#define ABL_DLKA_GC8_OK 0
#endif

/* The samplers a kernel's layers can reach.  ABL_DLKA_DCN_GC8, defined
 * before this header by the templates: 1 where gen/dlka.lua found every
 * DCNv3 layer of the kernel in abl_dlka_gc8's geometry (8 channels a
 * group, k >= 5, a map of 2 x 2 and more), 0 where none is (the two layers
 * share c, h, w; their kernels are both 3 or both >= 5).  abl_dlka_gc8
 * is not inlined before gcc builds its call graph, so without this every
 * kernel built the gc8 plan and sums and the plain sampler (abl_dcn_corners,
 * abl_dcn_core, abl_dcn_softmax_rows) for each layer, of which it runs one:
 * the plain one is about a fifth of a dcnv3_lka kernel's build at 32
 * channels, the gc8 one a tenth of a blog one's.  ABL_DLKA_MAY_GC8 /
 * _PLAIN: whether the gc8 / plain path is built; a layer that would take
 * a path left out (the generator and abl_dlka_gc8 disagreeing) traps.
 * Not defined (the header checkers): both. */
#ifdef ABL_DLKA_DCN_GC8
#define ABL_DLKA_MAY_GC8 (ABL_DLKA_GC8_OK && (ABL_DLKA_DCN_GC8))
#else
#define ABL_DLKA_MAY_GC8 ABL_DLKA_GC8_OK
#endif
/* ABL_DLKA_DCN_GC16: the same for abl_dlka_gc16's layers (16 channels a
 * group, abl_dlka_core16).  Not defined: built. */
#ifdef ABL_DLKA_DCN_GC16
#define ABL_DLKA_MAY_GC16 (ABL_DLKA_GC8_OK && (ABL_DLKA_DCN_GC16))
#else
#define ABL_DLKA_MAY_GC16 ABL_DLKA_GC8_OK
#endif
#if defined(ABL_DLKA_DCN_GC8) && defined(ABL_DLKA_DCN_GC16)
#define ABL_DLKA_MAY_PLAIN (!ABL_DLKA_MAY_GC8 && !ABL_DLKA_MAY_GC16)
#else
#define ABL_DLKA_MAY_PLAIN 1
#endif
/* ABL_DLKA_GC16_PACK (gen/dlka.lua gc16_pack): 1 where some layer of the
 * kernel packs its gc16 plan (abl_dlka_gc16_packs), 0 where none does:
 * the header then leaves that path out (dead code here has changed how
 * gcc compiled the other layers' attention, a2-dlka / b-dlka).  Not
 * defined: built. */
#ifdef ABL_DLKA_GC16_PACK
#define ABL_DLKA_MAY_PACK (ABL_DLKA_MAY_GC16 && (ABL_DLKA_GC16_PACK))
#else
#define ABL_DLKA_MAY_PACK ABL_DLKA_MAY_GC16
#endif
/* The reach dil (k - 1) / 2 from which a gc16 layer packs its plan
 * (gen/dlka.lua PACK_REACH). */
#define ABL_DLKA_PACK_REACH 3
/* ABL_DLKA_GC8_PAD (gen/dlka.lua gc8_pad): 1 where the kernel's gc8 layers
 * keep their group planes with a zero pixel on each side
 * (abl_dlka_gc8_pad), 0 where they keep them bare.  Not defined: bare
 * (the header's own tests). */
#ifndef ABL_DLKA_GC8_PAD
#define ABL_DLKA_GC8_PAD 0
#endif
/* ABL_DLKA_GC8_ROWS (gen/dlka.lua GC8_ROWS): 1 where the padded gc8
 * layers keep their plan as 4 weight rows (abl_dlka_gc8_rows), 0 where
 * as 4 floats a point (abl_dlka_gcw_store16).  Not defined: 0. */
#ifndef ABL_DLKA_GC8_ROWS
#define ABL_DLKA_GC8_ROWS 0
#endif
#if ABL_DLKA_GC8_ROWS && !ABL_DLKA_GC8_PAD
#error "ABL_DLKA_GC8_ROWS needs ABL_DLKA_GC8_PAD"
#endif

/* 1 where a layer samples by abl_dlka_core8: 8 channels a group, kernels
 * of 5 and more (blog's 3 x 3 layers, 9 points a group, measured level
 * at L17: the scatter and the repacking cost what the sums save), and a
 * 2 x 2 block inside the map (w, h > 1: the plan's block then never
 * leaves it, so both zmm stay in the group's plane).  gen/dlka.lua sizes
 * the repacked plan below wherever the same holds but the full-rate
 * AVX-512 (an upper bound). */
static inline int abl_dlka_gc8(struct abl_dcn_geom d)
{
#if ABL_DLKA_GC8_OK
    return d.c == 8 * d.g && d.k >= 5 && d.w > 1 && d.h > 1;
#else
    (void)d;
    return 0;
#endif
}

/* 1 where a gc8 layer's group planes are padded: (h + 2) x (w + 2)
 * pixels, a zero pixel on each side of the map (phase A writes them).
 * Every 2 x 2 block whose corners reach the map, and the one a point
 * wholly outside clamps to, then lies in the plane, so the plan takes
 * one path for every block (abl_dlka_pad_store16): no border path
 * (abl_dlka_gc8_border16, 2 % of dcnv3_lka at L17 by a cut). */
static inline int abl_dlka_gc8_pad(struct abl_dcn_geom d)
{
    return ABL_DLKA_GC8_PAD && abl_dlka_gc8(d);
}

/* 1 where a padded gc8 layer's plan is 4 weight rows, one float a point
 * each (top-left, top-right, bottom-left, bottom-right), as the plan
 * computes them: abl_dlka_gcw_store16's 8 permutes a 16-point block left
 * out (a sixth of the plan's vector ops), and abl_dlka_core8_rows takes
 * a point's two weight pairs from the rows by the same 2 permutes a point
 * abl_dlka_core8 takes them from 4 floats (docs/modules/perf_deform.md,
 * f-dlka).  The same weights, terms and order: the same bits. */
static inline int abl_dlka_gc8_rows(struct abl_dcn_geom d)
{
    return ABL_DLKA_GC8_ROWS && abl_dlka_gc8_pad(d);
}

/* ABL_DLKA_GC8_SPLIT (gen/dlka.lua gc8_split): 1 where some layer of the
 * kernel splits (abl_dlka_gc8_splits), 0 where none does: the header then
 * leaves that path out.  Not defined: built. */
#ifdef ABL_DLKA_GC8_SPLIT
#define ABL_DLKA_MAY_SPLIT (ABL_DLKA_GC8_SPLIT)
#else
#define ABL_DLKA_MAY_SPLIT 1
#endif
/* The reach dil (k - 1) / 2 from which a gc8 layer on weight rows splits
 * (gen/dlka.lua SPLIT_REACH). */
#define ABL_DLKA_SPLIT_REACH 3

/* 1 where a gc8 layer on weight rows (abl_dlka_gc8_rows) samples its tile
 * in two passes of half its groups each (abl_dlka_sample_gc8_rows): the 7
 * x 7 dilation-3 layer at L17 (reach 9).  Its 4 groups' planes under a
 * pixel's window (22 rows of 22 pixels, 8 floats each: 62 KB) do not fit
 * the 48 KB L1, and its sums ran at 1.28 ns a point against the 5 x 5
 * layer's 0.79 (docs/modules/perf_deform.md, e-dlka); two groups' planes
 * (31 KB) do.  The cost: each half's plan padded to whole 16-point blocks
 * (2 x 7 blocks a pixel against 13).  The same weights, sums and order
 * as one pass: the same bits. */
static inline int abl_dlka_gc8_splits(struct abl_dcn_geom d)
{
    return abl_dlka_gc8_rows(d) && d.g % 2 == 0 && d.dil * (d.k - 1) / 2 >= ABL_DLKA_SPLIT_REACH;
}

/* abl_dlka_gc8_splits where the path is built (ABL_DLKA_MAY_SPLIT). */
static inline int abl_dlka_gc8_split(struct abl_dcn_geom d)
{
    return ABL_DLKA_MAY_SPLIT && abl_dlka_gc8_splits(d);
}

/* The sampler at 16 channels a group (c = 16 g: dcnv3_lka's layers at
 * L13 and L20, c_ 64 on 40 x 40), full-rate AVX-512 only.  There
 * abl_dcn_core sums each point by abl_dcn_corner_sum16 on channels-last
 * xp from abl_dcn_corners' plan (4 weight rows, an index row, keep
 * flags), after abl_dcn_softmax_rows' passes over the tile.  Here, as at
 * 8 channels: xp group-major (planes of 16 floats a pixel, one cache line;
 * a point's right corners the next line), the plan in one pass with the
 * softmax folded in (abl_dlka_gcw_plan_sm, its block index scaled by 16),
 * and abl_dlka_core16: a corner is one zmm, its weight broadcast from
 * the repacked plan (4 floats a point, one line for 4 points).  Every
 * point is summed (no skip lists).  Not abl_dcn_core's bits (another
 * order).  Forced inline: as a plain inline function its call in
 * abl_dcn_sample's trap, dead where ABL_DLKA_DCN_GC16 is 0, made gcc
 * compile L17's attention differently (not main's machine code); inlined
 * early it folds away and L17 / L23 are main's code again (objdump). */
ABL_DCN_SPECIALISE int abl_dlka_gc16(struct abl_dcn_geom d)
{
#if ABL_DLKA_GC8_OK
    return d.c == 16 * d.g && d.k >= 5 && d.w > 1 && d.h > 1;
#else
    (void)d;
    return 0;
#endif
}

/* The channels a group of the group-major sampler a layer takes: 8
 * (abl_dlka_gc8), 16 (abl_dlka_gc16), or 0 (the plain sampler). */
static inline int abl_dlka_gcw(struct abl_dcn_geom d)
{
    return abl_dlka_gc8(d) ? 8 : abl_dlka_gc16(d) ? 16 : 0;
}

/* Private floats of the repacked plan of one pixel (abl_dlka_gc8_repack:
 * 5 gpv), 0 where abl_dlka_gcw is.  Planned and summed pixel by pixel:
 * the plan stays in L1 between the two (strips of 8 or 32 pixels planned,
 * then summed group by group so that one group's plane under the
 * sampling window might stay in L1, measured slower than this at 8
 * channels a group; at 16, abl_dlka_sample_gcw). */
static inline ptrdiff_t abl_dlka_gc8_plan_floats(struct abl_dcn_geom d)
{
    const ptrdiff_t pf = 5 * (ptrdiff_t)abl_dcn_gpv(abl_dcn_gp(d));
    return abl_dlka_gcw(d) ? pf : 0;
}

/* Pixels of one image's xp: h w; (h + 2) (w + 2) where the group planes
 * are padded (abl_dlka_gc8_pad). */
static inline ptrdiff_t abl_dcn_xp_pixels(struct abl_dcn_geom d)
{
    if (abl_dlka_gc8_pad(d))
        return (ptrdiff_t)(d.h + 2) * (d.w + 2);
    return (ptrdiff_t)d.h * d.w;
}

/* Shared floats of one layer: xp (n h w c; group-major, n g h w gc, where
 * abl_dlka_gcw; n g (h + 2) (w + 2) 8 where abl_dlka_gc8_pad).  The bare
 * count in its old form: the other kernels compile as before. */
static inline ptrdiff_t abl_dcn_shared_floats(struct abl_dcn_geom d)
{
    if (abl_dlka_gc8_pad(d))
        return ((ptrdiff_t)d.n * abl_dcn_xp_pixels(d) * d.c + 15) / 16 * 16;
    return ((ptrdiff_t)d.n * d.h * d.w * d.c + 15) / 16 * 16;
}

/* Private floats of one tile's offsets + mask (tr w 3GP, + the slack
 * abl_dcn_corners' padding points read), then abl_dlka_gc8's repacked
 * plan (abl_dlka_gc8_plan_floats, at abl_dcn_om_floats). */
static inline ptrdiff_t abl_dcn_om_floats(struct abl_dcn_geom d)
{
    return ((ptrdiff_t)d.tr * d.w * 3 * abl_dcn_gp(d) + ABL_DCN_OM_SLACK + 15) / 16 * 16;
}

static inline ptrdiff_t abl_dcn_om_tile_floats(struct abl_dcn_geom d)
{
    return abl_dcn_om_floats(d) + abl_dlka_gc8_plan_floats(d);
}

/* Private floats: the row plane (c w), LN stats (2 w), the x1 / core tile
 * (tr w c), the corner plan of one pixel (8 GPV: 4 of weights, then the
 * indices and the keep flags), the
 * kernel grid (2 GPV); GPV = abl_dcn_gpv(GP); then (abl_dcn_packed) the
 * packed input_proj (c CV + CV) and offset + mask Linears (c NOMV +
 * NOMV), c ones and the planar core tile (tr w c); CV, NOMV: c and 3 GP
 * rounded up to 16.  With the channels-last depthwise path the
 * transposed taps sit between the ones and the core tile (all of the
 * layer's packed weights in one piece, abl_dcn_pk_floats: what a
 * prepared buffer holds), its halo rows after the core tile
 * (abl_dlka_dw_cl_floats counts both).  gen/dlka.lua computes the same. */
static inline ptrdiff_t abl_dcn_priv_head(struct abl_dcn_geom d)
{
    ptrdiff_t f = (ptrdiff_t)d.c * d.w + 2 * d.w + (ptrdiff_t)d.tr * d.w * d.c +
                  10 * abl_dcn_gpv(abl_dcn_gp(d));
    return (f + 15) / 16 * 16;
}

static inline ptrdiff_t abl_dcn_priv_floats(struct abl_dcn_geom d)
{
    const ptrdiff_t cv = abl_dcn_lin_coutv(d.c), nomv = abl_dcn_lin_coutv(3 * abl_dcn_gp(d));
    return abl_dcn_priv_head(d) + d.c * cv + cv + d.c * nomv + nomv + (d.c + 15) / 16 * 16 +
           (ptrdiff_t)d.tr * d.w * d.c;
}

/* Phase A's depthwise conv channels last (abl_dlka_dw_cl): on narrow maps
 * with large kernels (dcnv3_lka's 5 x 5 and 7 x 7 on YOLOv5n's 20 x 20
 * P5) the planar rows of ablate_dcnv3.h's abl_dw_row are one vector and a
 * 4-lane tail of 20 pixels per tap and channel; channels last, every tap
 * is c / 16 full vectors, the accumulators stay in registers over the
 * k^2 taps, and LayerNorm + GELU follow per pixel on the row in L1 (no
 * plane transpose).  A variant here, not in ablate_dcnv3.h (the DCNv3
 * row's, another pass's): the DCNv3 row's own shapes have 3 x 3 kernels. */
enum { ABL_DLKA_DW_CL_CMAX = 256 };

/* Rows at least this wide take the planar rows instead (abl_dw_row, for
 * k >= 5 its padded rows copied once per tile).  With full-rate AVX-512
 * the planar rows win at 40 pixels: dcnv3_lka at L20 (64 channels on 40 x
 * 40) spent 311 + 382 us of thread CPU time a call in the 5 x 5 and 7 x 7
 * layers' depthwise + LayerNorm + GELU channels last, 223 + 322 us planar
 * (the block 6.06 -> 5.81 ms; CPU-time A/B -3 to -4 %, Intel Xeon,
 * docs/modules/perf_deform.md, fourth Intel pass); at 20 pixels (L23) the
 * channels-last path stays.  Elsewhere (Zen 4's half-rate AVX-512, AVX2)
 * the bound as it was, 64 (the Zen 4 pass that chose it measured 20-pixel
 * rows only).  On a Zen 5 (full rate) channels last wins at 40 pixels
 * too: C3_DCNv3_DLKA variant=dcnv3_lka at L13 and L20 (40 x 40), 1 thread,
 * thread-CPU-time minima 1-12 % lower with 64 than with 32 in each of
 * 12 interleaved A/B runs (docs/modules/perf_deform.md, "Zen 5:
 * dcnv3_lka"); so 32 on full-rate parts other than a Zen (ABL_CPU_ZEN).
 * gen/dlka.lua sizes the scratch for 64, the larger. */
#if ABL_AVX512_FULL_RATE && !ABL_CPU_ZEN
enum { ABL_DLKA_DW_CL_WMAX = 32 };
#else
enum { ABL_DLKA_DW_CL_WMAX = 64 };
#endif

ABL_DCN_SPECIALISE int abl_dlka_dw_cl(struct abl_dcn_geom d)
{
    return d.k >= 5 && d.w < ABL_DLKA_DW_CL_WMAX && d.c % 16 == 0 && d.c <= ABL_DLKA_DW_CL_CMAX;
}

/* Its private floats: the transposed taps (k^2 c) and the tile's input
 * rows with their halo, channels last, zero-padded (tr + k - 1 rows of
 * w + k - 1 pixels); 0 where the path is off.  gen/dlka.lua adds the same. */
ABL_DCN_SPECIALISE ptrdiff_t abl_dlka_dw_cl_floats(struct abl_dcn_geom d)
{
    if (!abl_dlka_dw_cl(d))
        return 0;
    const ptrdiff_t taps = ((ptrdiff_t)d.k * d.k * d.c + 15) / 16 * 16;
    return taps + ((ptrdiff_t)(d.tr + d.k - 1) * (d.w + d.k - 1) * d.c + 15) / 16 * 16;
}

/* wt_t[(u k + v) c + ch] = wt[ch][u][v]: once per layer call and thread. */
ABL_DCN_SPECIALISE void abl_dlka_dw_cl_pack(struct abl_dcn_geom d, const float *wt, float *wt_t)
{
    for (int t = 0; t < d.k * d.k; t++)
        for (int ch = 0; ch < d.c; ch++)
            wt_t[(ptrdiff_t)t * d.c + ch] = wt[(ptrdiff_t)ch * d.k * d.k + t];
}

#if !defined(__AVX512F__) && defined(__AVX2__) && defined(__FMA__)
/* The channels-last depthwise sums on AVX2 (abl_dlka_dw_ln_gelu_cl below,
 * dcnv3_lka at L13, L20 and L23 there).  Its c / 16 accumulators are
 * 16-float generic vectors in an array indexed at run time: on AVX2 gcc
 * kept them on the stack, each multiply-add a load and a store, its k^2
 * updates of a vector one store-forwarding chain (the 5 x 5 and 7 x 7
 * layers' rows 0.8 ms of a 16.4 ms block at L13 on a Zen 3, 19 GFLOP/s:
 * docs/modules/perf_deform.md, "Zen 3").  Here ABL_DLKA_DW_CL_P pixels x
 * up to 4 ymm of channels (12 accumulators) stay in registers over the
 * taps, each tap vector loaded once for the P pixels; per output the bias,
 * then the taps in the same order as fused multiply-adds: the same bits. */
#define ABL_DLKA_DW_CL8 1
enum { ABL_DLKA_DW_CL_P = 3, ABL_DLKA_DW_CL8_CMIN = 128 };

static inline __attribute__((always_inline)) void
abl_dlka_dw_cl_blk8(const float *halo, const float *wt_t, const float *bias, int c, int k, int wpd,
                    int r, int j0, int cb, const int np, const int nb, float *x1r)
{
    __m256 acc[ABL_DLKA_DW_CL_P][4];
#pragma GCC unroll 3
    for (int p = 0; p < np; p++)
#pragma GCC unroll 4
        for (int b = 0; b < nb; b++)
            acc[p][b] = _mm256_loadu_ps(bias + cb + 8 * b);
    for (int u = 0; u < k; u++)
        for (int v = 0; v < k; v++) {
            const float *src = halo + ((ptrdiff_t)(r + u) * wpd + j0 + v) * c + cb;
            const float *tap = wt_t + (ptrdiff_t)(u * k + v) * c + cb;
#pragma GCC unroll 4
            for (int b = 0; b < nb; b++) {
                const __m256 t = _mm256_loadu_ps(tap + 8 * b);
#pragma GCC unroll 3
                for (int p = 0; p < np; p++)
                    acc[p][b] = _mm256_fmadd_ps(t, _mm256_loadu_ps(src + (ptrdiff_t)p * c + 8 * b),
                                                acc[p][b]);
            }
        }
#pragma GCC unroll 3
    for (int p = 0; p < np; p++)
#pragma GCC unroll 4
        for (int b = 0; b < nb; b++)
            _mm256_storeu_ps(x1r + (ptrdiff_t)(j0 + p) * c + cb + 8 * b, acc[p][b]);
}

/* x1r[(j0 + p) c + ch] = bias[ch] + the k^2 taps, for the up to P pixels
 * from column j0 of output row r (x1r: that row of x1), every channel. */
static __attribute__((noinline, unused)) void
abl_dlka_dw_cl_px8(const float *halo, const float *wt_t, const float *bias, int c, int w, int k,
                   int r, int j0, float *x1r)
{
    const int wpd = w + k - 1, np = w - j0 < ABL_DLKA_DW_CL_P ? w - j0 : ABL_DLKA_DW_CL_P;
    for (int cb = 0; cb < c; cb += 32) {
        const int nb = c - cb >= 32 ? 4 : 2; /* c % 16 == 0 */
        if (np == 3 && nb == 4)
            abl_dlka_dw_cl_blk8(halo, wt_t, bias, c, k, wpd, r, j0, cb, 3, 4, x1r);
        else if (np == 3)
            abl_dlka_dw_cl_blk8(halo, wt_t, bias, c, k, wpd, r, j0, cb, 3, 2, x1r);
        else if (nb == 4)
            for (int p = 0; p < np; p++)
                abl_dlka_dw_cl_blk8(halo, wt_t, bias, c, k, wpd, r, j0 + p, cb, 1, 4, x1r);
        else
            for (int p = 0; p < np; p++)
                abl_dlka_dw_cl_blk8(halo, wt_t, bias, c, k, wpd, r, j0 + p, cb, 1, 2, x1r);
    }
}
#else
#define ABL_DLKA_DW_CL8 0
enum { ABL_DLKA_DW_CL8_CMIN = 0 };
#endif

/* x1[t][ch] = GELU(LN(dw(x)))[ch] at the np = rows w pixels from row row0
 * (x planar c x h x w, one image): the rows and halo copied channels last
 * into halo, then per pixel the k^2 taps over c / 16 accumulators (on
 * AVX2 ABL_DLKA_DW_CL_P pixels at a time, abl_dlka_dw_cl_px8). */
ABL_DCN_SPECIALISE void abl_dlka_dw_ln_gelu_cl(struct abl_dcn_geom d, const float *const *wp,
                                               const float *x, const float *wt_t, float *halo,
                                               int row0, int rows, float *restrict x1)
{
    enum { V = 16 };
    /* nv 0: the sums are abl_dlka_dw_cl_px8's (the loops below left out) */
    const int pd = (d.k - 1) / 2, wpd = d.w + 2 * pd,
              nv = ABL_DLKA_DW_CL8 && d.c >= ABL_DLKA_DW_CL8_CMIN ? 0 : d.c / V;
    const ptrdiff_t hw = (ptrdiff_t)d.h * d.w;
    for (int u = 0; u < rows + 2 * pd; u++) {
        float *hr = halo + (ptrdiff_t)u * wpd * d.c;
        const int yy = row0 - pd + u;
        memset(hr, 0, sizeof(float) * (size_t)pd * d.c);
        memset(hr + (ptrdiff_t)(pd + d.w) * d.c, 0, sizeof(float) * (size_t)pd * d.c);
        if (yy >= 0 && yy < d.h)
            abl_transpose(x + (ptrdiff_t)yy * d.w, hw, hr + (ptrdiff_t)pd * d.c, d.c, d.c, d.w);
        else
            memset(hr + (ptrdiff_t)pd * d.c, 0, sizeof(float) * (size_t)d.w * d.c);
    }
    const float *bias = wp[1], *gamma = wp[2], *beta = wp[3];
    const float inv_c = 1.0f / (float)d.c;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < d.w; j++) {
#if ABL_DLKA_DW_CL8
            if (d.c >= ABL_DLKA_DW_CL8_CMIN && j % ABL_DLKA_DW_CL_P == 0)
                abl_dlka_dw_cl_px8(halo, wt_t, bias, d.c, d.w, d.k, r, j,
                                   x1 + (ptrdiff_t)r * d.w * d.c); /* this and the next pixels */
#endif
            abl_vf16 acc[ABL_DLKA_DW_CL_CMAX / V];
            for (int b = 0; b < nv; b++)
                memcpy(&acc[b], bias + b * V, sizeof acc[b]);
            for (int u = 0; u < d.k; u++)
                for (int v = 0; v < d.k; v++) {
                    const float *src = halo + ((ptrdiff_t)(r + u) * wpd + j + v) * d.c;
                    const float *tap = wt_t + (ptrdiff_t)(u * d.k + v) * d.c;
                    for (int b = 0; b < nv; b++) {
                        abl_vf16 xv, wv;
                        memcpy(&xv, src + b * V, sizeof xv);
                        memcpy(&wv, tap + b * V, sizeof wv);
                        acc[b] += wv * xv;
                    }
                }
            float *o = x1 + ((ptrdiff_t)r * d.w + j) * d.c;
            for (int b = 0; b < nv; b++)
                memcpy(o + b * V, &acc[b], sizeof acc[b]);
            /* LayerNorm over the pixel's channels (biased variance), GELU */
            float mean = 0.0f, var = 0.0f;
#pragma omp simd reduction(+ : mean)
            for (int ch = 0; ch < d.c; ch++)
                mean += o[ch];
            mean *= inv_c;
#pragma omp simd reduction(+ : var)
            for (int ch = 0; ch < d.c; ch++)
                var += (o[ch] - mean) * (o[ch] - mean);
            const float rstd = 1.0f / sqrtf(var * inv_c + 1e-6f);
#pragma omp simd
            for (int ch = 0; ch < d.c; ch++)
                o[ch] = (o[ch] - mean) * rstd * gamma[ch] + beta[ch];
            abl_gelu_inplace(o, d.c);
        }
}

/* The floats of one layer's packed weights (abl_dcn_pack): input_proj,
 * the offset + mask Linears, c ones, and the channels-last taps where
 * that path is on; the same in a thread's private floats and in a
 * prepared buffer. */
ABL_DCN_SPECIALISE ptrdiff_t abl_dcn_pk_floats(struct abl_dcn_geom d)
{
    const ptrdiff_t cv = abl_dcn_lin_coutv(d.c), nomv = abl_dcn_lin_coutv(3 * abl_dcn_gp(d));
    const ptrdiff_t taps = abl_dlka_dw_cl(d) ? ((ptrdiff_t)d.k * d.k * d.c + 15) / 16 * 16 : 0;
    return d.c * cv + cv + d.c * nomv + nomv + (d.c + 15) / 16 * 16 + taps;
}

/* Where this thread packs the layer's weights itself (no prepared ones). */
ABL_DCN_SPECIALISE float *abl_dcn_pk_own(struct abl_dcn_geom d, float *priv)
{
    return priv + abl_dcn_priv_head(d);
}

/* The packed weights (read only: this thread's own or prepared ones, at
 * pk) and the thread's scratch beside them (core tile, halo rows). */
struct abl_dcn_packed {
    const float *win, *bin, *wom, *bom, *ones, *taps;
    float *coret, *halo;
};

ABL_DCN_SPECIALISE struct abl_dcn_packed abl_dcn_packed_at(struct abl_dcn_geom d, float *priv,
                                                           const float *pk)
{
    const ptrdiff_t cv = abl_dcn_lin_coutv(d.c), nomv = abl_dcn_lin_coutv(3 * abl_dcn_gp(d));
    struct abl_dcn_packed k;
    k.win = pk;
    k.bin = k.win + d.c * cv;
    k.wom = k.bin + cv;
    k.bom = k.wom + d.c * nomv;
    k.ones = k.bom + nomv;
    k.taps = k.ones + (d.c + 15) / 16 * 16;
    k.coret = abl_dcn_pk_own(d, priv) + abl_dcn_pk_floats(d);
    k.halo = k.coret + (ptrdiff_t)d.tr * d.w * d.c;
    return k;
}

/* The layer's packed Linears (wp: its 12 weights) into pk
 * (abl_dcn_pk_floats): once per call and thread, where sgemm packed them
 * once per tile and product, or once for all calls (prepared). */
ABL_DCN_SPECIALISE void abl_dcn_pack(struct abl_dcn_geom d, const float *const *wp, float *pk)
{
    const ptrdiff_t cv = abl_dcn_lin_coutv(d.c);
    const int gp = abl_dcn_gp(d), nomv = abl_dcn_lin_coutv(3 * gp);
    float *win = pk, *bin = win + d.c * cv, *wom = bin + cv, *bom = wom + (ptrdiff_t)d.c * nomv;
    float *ones = bom + nomv;
    abl_dcn_lin_pack(wp[8], wp[9], d.c, d.c, win, bin);
    abl_dcn_lin_pack_cols(wp[4], wp[5], 2 * gp, d.c, nomv, 0, wom, bom); /* offsets */
    abl_dcn_lin_pack_cols(wp[6], wp[7], gp, d.c, nomv, 2 * gp, wom, bom); /* mask logits */
    abl_dcn_lin_pack_pad(3 * gp, d.c, wom, bom);
    for (int o = 0; o < d.c; o++)
        ones[o] = 1.0f;
    if (abl_dlka_dw_cl(d))
        abl_dlka_dw_cl_pack(d, wp[0], ones + (d.c + 15) / 16 * 16);
}

#if ABL_DLKA_GC8_OK
/* xp rows of np pixels from p0 on, channels last in src (np x 8 g), into
 * the group planes of xp (g planes of hw pixels x 8 floats). */
ABL_DCN_SPECIALISE void abl_dlka_gc8_scatter(const float *restrict src, int g, int np, ptrdiff_t hw,
                                             int p0, float *restrict xp)
{
    for (int gi = 0; gi < g; gi++) {
        float *pl = xp + (gi * hw + p0) * 8;
        for (int t = 0; t < np; t++)
            _mm256_storeu_ps(pl + 8 * t, _mm256_loadu_ps(src + ((ptrdiff_t)t * g + gi) * 8));
    }
}

/* abl_dlka_gc8_scatter into padded planes (abl_dlka_gc8_pad: (h + 2) x
 * (w + 2) pixels of 8 floats) for rows row0 .. row0 + rows - 1 of the map:
 * each row with its zero pixel at either end, the pad rows above and
 * below by the tiles holding the map's first and last row.  So every
 * call writes the whole pad of the planes it fills (the shared floats
 * hold other tensors between the layers). */
ABL_DCN_SPECIALISE void abl_dlka_gc8_scatter_pad(const float *restrict src, int g, int h, int w,
                                                 int row0, int rows, float *restrict xp)
{
    const ptrdiff_t pw = (ptrdiff_t)w + 2, plane = (ptrdiff_t)(h + 2) * pw * 8;
    const __m256 z = _mm256_setzero_ps();
    for (int gi = 0; gi < g; gi++) {
        float *pl = xp + gi * plane;
        for (int x = 0; x < pw && row0 == 0; x++)
            _mm256_storeu_ps(pl + 8 * x, z);
        for (int x = 0; x < pw && row0 + rows == h; x++)
            _mm256_storeu_ps(pl + ((h + 1) * pw + x) * 8, z);
        for (int r = 0; r < rows; r++) {
            float *row = pl + (row0 + r + 1) * pw * 8;
            const float *s = src + (ptrdiff_t)r * w * g * 8 + gi * 8;
            _mm256_storeu_ps(row, z);
            for (int x = 0; x < w; x++)
                _mm256_storeu_ps(row + 8 * (x + 1), _mm256_loadu_ps(s + (ptrdiff_t)x * g * 8));
            _mm256_storeu_ps(row + 8 * (w + 1), z);
        }
    }
}

/* The same at 16 channels a group (abl_dlka_gc16): planes of 16 floats a
 * pixel. */
ABL_DCN_SPECIALISE void abl_dlka_gc16_scatter(const float *restrict src, int g, int np,
                                              ptrdiff_t hw, int p0, float *restrict xp)
{
    for (int gi = 0; gi < g; gi++) {
        float *pl = xp + (gi * hw + p0) * 16;
        for (int t = 0; t < np; t++)
            _mm512_storeu_ps(pl + 16 * t, _mm512_loadu_ps(src + ((ptrdiff_t)t * g + gi) * 16));
    }
}

/* The mask's softmax in the gc8 plan (abl_dlka_gcw_plan_sm).  Before,
 * abl_dcn_softmax_rows took each tile's logits through 16 x 16 register
 * transposes into [q][16] blocks (pixels in lanes), ran the max, the
 * exponentials and the normalisation as three passes over them and
 * transposed them back: per 16 logits 8 port-5 shuffles, 5 loads and 4
 * stores besides the exponential's 9 ops; at L17 (both layers' 1.9 M
 * logits) 0.84 ms of a 12.7 ms block (docs/modules/perf_deform.md, eighth
 * Intel pass).  The max is there only to keep e^x finite, and a group's
 * normalisation is one factor on all its points: so here the plan, which
 * loads each point's mask with the points in lanes anyway, takes e^x of
 * the logit in its place (no max, no transposes, no passes over the
 * tile), and the group's 1 / sum scales the group's 8 summed channels
 * (abl_dlka_core8) instead of its g p masks.  A pixel whose group sum is
 * out of range (a logit past about +-69, where e^x or 1 / sum would leave
 * the normal floats) takes abl_dcn_softmax and the plain plan.  Not the
 * same bits (e^x against e^(x - max), the factor applied after the
 * sum); the error bound is tests/test_dlka_gen.c's
 * (gen_dlka/dcnv3_lka_gc8_softmax). */
enum { ABL_DLKA_SM_GPMAX = 240 }; /* the scratch row of e^x (g p floats) */

/* 1 where a gc16 layer's plan leaves out the points wholly outside the
 * map (abl_dlka_gc16_plan_pack) and abl_dlka_core16 sums only the rest:
 * a reach of ABL_DLKA_PACK_REACH and more (the 7 x 7 dilation-3 layer,
 * reach 9: at 40 x 40 about 22 % of its points outside, against 4 % at
 * 5 x 5), its plan taking the softmax (g k^2 <= ABL_DLKA_SM_GPMAX). */
ABL_DCN_SPECIALISE int abl_dlka_gc16_packs(struct abl_dcn_geom d)
{
    return abl_dlka_gc16(d) && d.dil * (d.k - 1) / 2 >= ABL_DLKA_PACK_REACH &&
           d.g * d.k * d.k <= ABL_DLKA_SM_GPMAX;
}

/* abl_dlka_gc16_packs where the path is built (ABL_DLKA_MAY_PACK). */
ABL_DCN_SPECIALISE int abl_dlka_gc16_pack(struct abl_dcn_geom d)
{
    return ABL_DLKA_MAY_PACK && abl_dlka_gc16_packs(d);
}

/* 16 points' corner weights (a, b, c, e: top-left, top-right, bottom-left,
 * bottom-right) and block indices id as w4[4 q + corner] and i8[q] = 2^lg
 * id[q] (the float offset of the point's block in a group plane of 2^lg
 * floats a pixel: lg 3 for abl_dlka_core8, 4 for abl_dlka_core16), at
 * w4, i8 of the first point: 8 two-source permutes. */
ABL_DCN_SPECIALISE void abl_dlka_gcw_store16(__m512 a, __m512 b, __m512 c, __m512 e, __m512i id,
                                             const int lg, float *restrict w4,
                                             int32_t *restrict i8)
{
    /* (A, B) -> A0 B0 A1 B1 .. A7 B7 and A8 B8 .. A15 B15 */
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    /* (AB, CD) -> A B C D of 4 points: points 0-3 and 4-7 of the 8 */
    const __m512i p03 = _mm512_setr_epi32(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
    const __m512i p47 = _mm512_setr_epi32(8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
    const __m512 ab0 = _mm512_permutex2var_ps(a, lo, b), ab1 = _mm512_permutex2var_ps(a, hi, b);
    const __m512 cd0 = _mm512_permutex2var_ps(c, lo, e), cd1 = _mm512_permutex2var_ps(c, hi, e);
    _mm512_storeu_ps(w4, _mm512_permutex2var_ps(ab0, p03, cd0));
    _mm512_storeu_ps(w4 + 16, _mm512_permutex2var_ps(ab0, p47, cd0));
    _mm512_storeu_ps(w4 + 32, _mm512_permutex2var_ps(ab1, p03, cd1));
    _mm512_storeu_ps(w4 + 48, _mm512_permutex2var_ps(ab1, p47, cd1));
    _mm512_storeu_si512((void *)i8, _mm512_slli_epi32(id, (unsigned)lg));
}

/* 16 sampling points q0 .. of a pixel's gp (group-major): their positions
 * xs, ys in the map (the grid plus the offsets, interleaved x y in om),
 * the lanes that are points (real) and of those the ones wholly inside
 * (in: 0 <= x < w - 1, 0 <= y < h - 1), and their masks mq (om after the
 * 2 gp offsets); sm: the masks are logits, taken to e^x and kept in ebuf
 * for the group sums.  The head of both plans' loops. */
struct abl_dlka_pts16 {
    __m512 xs, ys, mq;
    __mmask16 real, in;
};
ABL_DCN_SPECIALISE struct abl_dlka_pts16
abl_dlka_points16(int q0, int gp, int h, int w, const float *restrict grid_x,
                  const float *restrict grid_y, const float *restrict om, int ph, int pw,
                  const int sm, float *restrict ebuf)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512 xl = _mm512_set1_ps((float)(w - 1)), yl = _mm512_set1_ps((float)(h - 1));
    const __m512 zero = _mm512_setzero_ps();
    struct abl_dlka_pts16 t;
    const __m512 o0 = _mm512_loadu_ps(om + 2 * q0), o1 = _mm512_loadu_ps(om + 2 * q0 + 16);
    t.xs = _mm512_add_ps(_mm512_set1_ps((float)pw),
                         _mm512_add_ps(_mm512_loadu_ps(grid_x + q0), _mm512_permutex2var_ps(o0, even, o1)));
    t.ys = _mm512_add_ps(_mm512_set1_ps((float)ph),
                         _mm512_add_ps(_mm512_loadu_ps(grid_y + q0), _mm512_permutex2var_ps(o0, odd, o1)));
    t.real = gp - q0 >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (gp - q0)) - 1u);
    t.in = _mm512_mask_cmp_ps_mask(t.real, t.xs, zero, _CMP_GE_OQ);
    t.in = _mm512_mask_cmp_ps_mask(t.in, t.xs, xl, _CMP_LT_OQ);
    t.in = _mm512_mask_cmp_ps_mask(t.in, t.ys, zero, _CMP_GE_OQ);
    t.in = _mm512_mask_cmp_ps_mask(t.in, t.ys, yl, _CMP_LT_OQ);
    t.mq = _mm512_loadu_ps(om + 2 * gp + q0);
    if (sm) { /* the mask's logits: e^x, kept for the group sums */
        t.mq = abl_exp16(t.mq);
        _mm512_storeu_ps(ebuf + q0, t.mq);
    }
    return t;
}

/* abl_dlka_gcw_store16 of 16 points wholly inside the map (0 <= fx < w -
 * 1, 0 <= fy < h - 1): their bilinear corner weights, the y weights times
 * the masks mq, and their blocks' index fy w + fx.  That index is exact in
 * floats on maps of up to 2^24 pixels (exact; vw, fw = w): one
 * multiply-add and one conversion where the integer product took two
 * conversions and vpmulld's 2 uops.  Shared by the dense plan
 * (abl_dlka_gc8_plan_m) and the packed one (abl_dlka_gc16_plan_pack). */
ABL_DCN_SPECIALISE void abl_dlka_inside_store16(__m512 xs, __m512 ys, __m512 mq, const int exact,
                                                __m512 fw, __m512i vw, const int lg,
                                                float *restrict w4, int32_t *restrict i8)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 fx = _mm512_roundscale_ps(xs, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __m512 fy = _mm512_roundscale_ps(ys, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __m512 lx = _mm512_sub_ps(xs, fx), ly = _mm512_sub_ps(ys, fy);
    const __m512 ax0 = _mm512_sub_ps(one, lx), ay0 = _mm512_mul_ps(_mm512_sub_ps(one, ly), mq);
    const __m512 ay1 = _mm512_mul_ps(ly, mq);
    const __m512i id = exact ? _mm512_cvttps_epi32(_mm512_fmadd_ps(fy, fw, fx))
                             : _mm512_add_epi32(_mm512_mullo_epi32(_mm512_cvttps_epi32(fy), vw),
                                                _mm512_cvttps_epi32(fx));
    abl_dlka_gcw_store16(_mm512_mul_ps(ay0, ax0), _mm512_mul_ps(ay0, lx), _mm512_mul_ps(ay1, ax0),
                         _mm512_mul_ps(ay1, lx), id, lg, w4, i8);
}

/* The plan of abl_dcn_corners (wt: 4 corner rows of gpv, idx) repacked
 * for abl_dlka_core8 (abl_dlka_gcw_store16, lg 3), 16 points at a time.
 * The kernels take abl_dlka_gcw_plan (both steps in one pass); this two-step
 * form stays as the reference tests/test_dlka_gen.c holds that one to,
 * bit for bit, and builds the sums' inputs with. */
ABL_DCN_SPECIALISE void abl_dlka_gc8_repack(int gpv, const int32_t *restrict idx,
                                            const float *restrict wt, float *restrict w4,
                                            int32_t *restrict i8)
{
    for (int q = 0; q < gpv; q += 16)
        abl_dlka_gcw_store16(_mm512_loadu_ps(wt + q), _mm512_loadu_ps(wt + gpv + q),
                             _mm512_loadu_ps(wt + 2 * gpv + q), _mm512_loadu_ps(wt + 3 * gpv + q),
                             _mm512_loadu_si512((const void *)(idx + q)), 3, w4 + 4 * q, i8 + q);
}

/* abl_dcn_corners_border_masked (ablate_dcnv3.h) for 16 points of a map
 * of 2 x 2 and more (abl_dlka_gc8), coordinates xs, ys and masks mq in
 * registers, its result stored repacked (abl_dlka_gcw_store16): the same
 * clamps, selects and products lane for lane, so the same bits, without
 * the coordinates stored for it, its 4 weight rows and index stored and
 * read back for the repacking (a copy: that one is a macro for 8 and 16
 * lanes of the DCNv3 row's plan, storing its rows). */
ABL_DCN_SPECIALISE void abl_dlka_gc8_border16(int h, int w, __m512 xs, __m512 ys, __m512 mq,
                                              const int lg, float *restrict w4,
                                              int32_t *restrict i8)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    /* max returns its second operand for a NaN: -2, as the generic clamp */
    const __m512 x = _mm512_min_ps(_mm512_max_ps(xs, _mm512_set1_ps(-2.0f)), _mm512_set1_ps((float)w + 1.0f));
    const __m512 y = _mm512_min_ps(_mm512_max_ps(ys, _mm512_set1_ps(-2.0f)), _mm512_set1_ps((float)h + 1.0f));
    const __m512 fx = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __m512 fy = _mm512_roundscale_ps(y, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __m512 lx = _mm512_sub_ps(x, fx), ly = _mm512_sub_ps(y, fy);
    const __m512i x0 = _mm512_cvttps_epi32(fx), y0 = _mm512_cvttps_epi32(fy);
    const __m512i i1 = _mm512_set1_epi32(1), vw = _mm512_set1_epi32(w), vh = _mm512_set1_epi32(h);
    const __m512 vx0 = _mm512_maskz_mov_ps(_mm512_cmplt_epu32_mask(x0, vw), _mm512_sub_ps(one, lx));
    const __m512 vx1 = _mm512_maskz_mov_ps(_mm512_cmplt_epu32_mask(_mm512_add_epi32(x0, i1), vw), lx);
    const __m512 vy0 = _mm512_maskz_mul_ps(_mm512_cmplt_epu32_mask(y0, vh), _mm512_sub_ps(one, ly), mq);
    const __m512 vy1 = _mm512_maskz_mul_ps(_mm512_cmplt_epu32_mask(_mm512_add_epi32(y0, i1), vh), ly, mq);
    const __m512i z = _mm512_setzero_si512();
    const __mmask16 ltx = _mm512_cmplt_epi32_mask(x0, z), gtx = _mm512_cmpgt_epi32_mask(x0, _mm512_set1_epi32(w - 2));
    const __mmask16 lty = _mm512_cmplt_epi32_mask(y0, z), gty = _mm512_cmpgt_epi32_mask(y0, _mm512_set1_epi32(h - 2));
    /* x0 < 0 keeps only column x0 + 1 (the block's left), x0 > w - 2 only x0 (its right) */
    const __m512 ax0 = _mm512_mask_blend_ps(ltx, _mm512_maskz_mov_ps((__mmask16)~gtx, vx0), vx1);
    const __m512 ax1 = _mm512_maskz_mov_ps((__mmask16)~ltx, _mm512_mask_blend_ps(gtx, vx1, vx0));
    const __m512 ay0 = _mm512_mask_blend_ps(lty, _mm512_maskz_mov_ps((__mmask16)~gty, vy0), vy1);
    const __m512 ay1 = _mm512_maskz_mov_ps((__mmask16)~lty, _mm512_mask_blend_ps(gty, vy1, vy0));
    const __m512i bx = _mm512_min_epi32(_mm512_max_epi32(x0, z), _mm512_set1_epi32(w - 2));
    const __m512i by = _mm512_min_epi32(_mm512_max_epi32(y0, z), _mm512_set1_epi32(h - 2));
    abl_dlka_gcw_store16(_mm512_mul_ps(ay0, ax0), _mm512_mul_ps(ay0, ax1), _mm512_mul_ps(ay1, ax0),
                         _mm512_mul_ps(ay1, ax1), _mm512_add_epi32(_mm512_mullo_epi32(by, vw), bx),
                         lg, w4, i8);
}

/* abl_dcn_corners (mask on, skip off, offset scale 1) and
 * abl_dlka_gc8_repack in one pass, in registers: the plan's 4 weight
 * rows and index row are never written nor read back, nor are the
 * coordinates (the generic plan stores them for its inside test and its
 * border path reloads them).  A block of 16 points whose 2 x 2 blocks all
 * lie inside the map (most blocks at L17) takes abl_dcn_corners_inside's
 * products, one with a point near or past the border
 * abl_dlka_gc8_border16.  The same operations lane for lane as
 * abl_dcn_corners_coords / _inside / _border_masked, so the same bits as
 * the two steps.  Every block has 16 lanes (the last one's padding
 * points, read from the om slack, are planned but never summed; only the
 * points below gp decide the path). */
ABL_DCN_SPECIALISE void abl_dlka_gc8_plan_m(int gp, int h, int w, const float *restrict grid_x,
                                            const float *restrict grid_y, const float *restrict om,
                                            int ph, int pw, const int lg, float *restrict w4,
                                            int32_t *restrict i8, const int sm,
                                            float *restrict ebuf)
{
    const int gpv = abl_dcn_gpv(gp);
    const __m512i vw = _mm512_set1_epi32(w);
    const __m512 fw = _mm512_set1_ps((float)w);
    const int exact = (ptrdiff_t)h * w <= (1 << 24);
    for (int q0 = 0; q0 < gpv; q0 += 16) {
        const struct abl_dlka_pts16 t =
            abl_dlka_points16(q0, gp, h, w, grid_x, grid_y, om, ph, pw, sm, ebuf);
        if (t.in != t.real) { /* a point near or past the border */
            abl_dlka_gc8_border16(h, w, t.xs, t.ys, t.mq, lg, w4 + 4 * q0, i8 + q0);
            continue;
        }
        abl_dlka_inside_store16(t.xs, t.ys, t.mq, exact, fw, vw, lg, w4 + 4 * q0, i8 + q0);
    }
}

/* The plan of abl_dcn_corners and abl_dlka_gc8_repack in one pass (om's
 * masks already normalised): abl_dlka_gc8_plan_m without the softmax;
 * lg as abl_dlka_gcw_store16. */
ABL_DCN_SPECIALISE void abl_dlka_gcw_plan(int gp, int h, int w, const float *restrict grid_x,
                                          const float *restrict grid_y, const float *restrict om,
                                          int ph, int pw, const int lg, float *restrict w4,
                                          int32_t *restrict i8)
{
    abl_dlka_gc8_plan_m(gp, h, w, grid_x, grid_y, om, ph, pw, lg, w4, i8, 0, NULL);
}

/* 1 where the gc8 plan takes the mask's softmax (abl_dlka_gcw_plan_sm):
 * the pixel's g p exponentials in its scratch row.  The layers that
 * sample by abl_dcn_corners / abl_dcn_core (dcnv3_lka at L13, L20, L23)
 * keep abl_dcn_softmax_rows (the same e^x per pixel there, the groups'
 * channels scaled after abl_dcn_core, measured level at L20:
 * docs/modules/perf_deform.md, ninth Intel pass). */
ABL_DCN_SPECIALISE int abl_dlka_gc8_sm(struct abl_dcn_geom d)
{
    return abl_dlka_gc8(d) && abl_dcn_gp(d) <= ABL_DLKA_SM_GPMAX;
}

/* The same at 16 channels a group (abl_dlka_sample_gcw). */
ABL_DCN_SPECIALISE int abl_dlka_gc16_sm(struct abl_dcn_geom d)
{
    return abl_dlka_gc16(d) && abl_dcn_gp(d) <= ABL_DLKA_SM_GPMAX;
}

/* inv[gi] = 1 / (group gi's sum of its p exponentials in ebuf), for the
 * plans that fold the mask's softmax in.  Returns 0 where a group's sum is
 * outside [2^-100, 2^100] (a logit past about +-69, or a NaN). */
ABL_DCN_SPECIALISE int abl_dlka_group_inv(int g, int p, const float *restrict ebuf,
                                          float *restrict inv)
{
    int ok = 1;
    for (int gi = 0; gi < g; gi++) {
        const float *e = ebuf + gi * p;
        __m512 s = _mm512_setzero_ps();
        for (int j = 0; j < p; j += 16) {
            const __mmask16 mk =
                p - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (p - j)) - 1u);
            s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(mk, e + j));
        }
        const float sum = _mm512_reduce_add_ps(s);
        ok &= sum >= 0x1p-100f && sum <= 0x1p100f; /* false for a NaN */
        inv[gi] = 1.0f / sum;
    }
    return ok;
}

/* The plan with the mask's softmax folded in (om's mask part: logits):
 * each point's mask is e^x (abl_exp16) where it was softmax(x), and
 * inv[gi] = 1 / (group gi's sum of them), which abl_dlka_core8 applies
 * to the group's sum of the samples.  Returns 0, leaving w4, i8, inv
 * unusable, where a group's sum is outside [2^-100, 2^100] (a logit past
 * about +-69, or a NaN): the caller then normalises the logits itself
 * (abl_dcn_softmax) and plans with abl_dlka_gcw_plan. */
ABL_DCN_SPECIALISE int abl_dlka_gcw_plan_sm(int g, int p, int h, int w,
                                            const float *restrict grid_x,
                                            const float *restrict grid_y, const float *restrict om,
                                            int ph, int pw, const int lg, float *restrict w4,
                                            int32_t *restrict i8, float *restrict inv)
{
    float ebuf[ABL_DLKA_SM_GPMAX + 16];
    abl_dlka_gc8_plan_m(g * p, h, w, grid_x, grid_y, om, ph, pw, lg, w4, i8, 1, ebuf);
    return abl_dlka_group_inv(g, p, ebuf, inv);
}

/* The corner weights and block index of 16 points on padded group planes
 * (abl_dlka_gc8_pad), any point, which abl_dlka_pad_store16 stores as
 * abl_dlka_gcw_store16 (lg 3) and abl_dlka_gc8_plan_rows as rows: its
 * coordinates clamped to [-1, w] x [-1, h] and its block's corner to
 * [-1, w - 1] x [-1, h - 1], so the
 * block lies in the padded plane, a corner outside the map reads a zero
 * and a point wholly outside adds 0.  A corner inside the map gets the
 * same weight as abl_dlka_inside_store16 or abl_dlka_gc8_border16 give
 * it (the same clamp-free products where it is inside; a NaN clamps to
 * -1: weight 0 on column 0); near the border it may sit in the block's
 * other half (the sum's order, not its terms, changes).  Index: the
 * block's offset from the padded plane's pixel (0, 0) of the map,
 * fy (w + 2) + fx, from -(w + 3) on. */
struct abl_dlka_blk16 {
    __m512 a, b, c, e; /* the corners' weights: top-left, top-right, bottom-left, bottom-right */
    __m512i id;        /* the block's pixel index in the padded plane */
};
ABL_DCN_SPECIALISE struct abl_dlka_blk16 abl_dlka_pad_block16(__m512 xs, __m512 ys, __m512 mq,
                                                              int h, int w, const int exact)
{
    const __m512 one = _mm512_set1_ps(1.0f), m1 = _mm512_set1_ps(-1.0f);
    /* max returns its second operand for a NaN */
    const __m512 x = _mm512_min_ps(_mm512_max_ps(xs, m1), _mm512_set1_ps((float)w));
    const __m512 y = _mm512_min_ps(_mm512_max_ps(ys, m1), _mm512_set1_ps((float)h));
    const __m512 fx =
        _mm512_min_ps(_mm512_roundscale_ps(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC),
                      _mm512_set1_ps((float)(w - 1)));
    const __m512 fy =
        _mm512_min_ps(_mm512_roundscale_ps(y, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC),
                      _mm512_set1_ps((float)(h - 1)));
    const __m512 lx = _mm512_sub_ps(x, fx), ly = _mm512_sub_ps(y, fy);
    const __m512 ax0 = _mm512_sub_ps(one, lx), ay0 = _mm512_mul_ps(_mm512_sub_ps(one, ly), mq);
    const __m512 ay1 = _mm512_mul_ps(ly, mq);
    struct abl_dlka_blk16 k;
    k.id = exact ? _mm512_cvttps_epi32(_mm512_fmadd_ps(fy, _mm512_set1_ps((float)(w + 2)), fx))
                 : _mm512_add_epi32(
                       _mm512_mullo_epi32(_mm512_cvttps_epi32(fy), _mm512_set1_epi32(w + 2)),
                       _mm512_cvttps_epi32(fx));
    k.a = _mm512_mul_ps(ay0, ax0), k.b = _mm512_mul_ps(ay0, lx);
    k.c = _mm512_mul_ps(ay1, ax0), k.e = _mm512_mul_ps(ay1, lx);
    return k;
}

ABL_DCN_SPECIALISE void abl_dlka_pad_store16(__m512 xs, __m512 ys, __m512 mq, int h, int w,
                                             const int exact, float *restrict w4,
                                             int32_t *restrict i8)
{
    const struct abl_dlka_blk16 k = abl_dlka_pad_block16(xs, ys, mq, h, w, exact);
    abl_dlka_gcw_store16(k.a, k.b, k.c, k.e, k.id, 3, w4, i8);
}

/* abl_dlka_gc8_plan_m on padded group planes: every block by
 * abl_dlka_pad_store16. */
ABL_DCN_SPECIALISE void abl_dlka_gc8_plan_pad(int gp, int h, int w, const float *restrict grid_x,
                                              const float *restrict grid_y,
                                              const float *restrict om, int ph, int pw,
                                              float *restrict w4, int32_t *restrict i8,
                                              const int sm, float *restrict ebuf)
{
    const int gpv = abl_dcn_gpv(gp);
    const int exact = (ptrdiff_t)(h + 2) * (w + 2) <= (1 << 24);
    for (int q0 = 0; q0 < gpv; q0 += 16) {
        const struct abl_dlka_pts16 t =
            abl_dlka_points16(q0, gp, h, w, grid_x, grid_y, om, ph, pw, sm, ebuf);
        abl_dlka_pad_store16(t.xs, t.ys, t.mq, h, w, exact, w4 + 4 * q0, i8 + q0);
    }
}

/* abl_dlka_gcw_plan_sm (lg 3) on padded group planes. */
ABL_DCN_SPECIALISE int
abl_dlka_gc8_plan_sm_pad(int g, int p, int h, int w, const float *restrict grid_x,
                         const float *restrict grid_y, const float *restrict om, int ph, int pw,
                         float *restrict w4, int32_t *restrict i8, float *restrict inv)
{
    float ebuf[ABL_DLKA_SM_GPMAX + 16];
    abl_dlka_gc8_plan_pad(g * p, h, w, grid_x, grid_y, om, ph, pw, w4, i8, 1, ebuf);
    return abl_dlka_group_inv(g, p, ebuf, inv);
}

/* The packed plan of a gc16 layer (abl_dlka_gc16_pack): about a quarter
 * of the 7 x 7 dilation-3 layer's points at 40 x 40 lie wholly outside
 * the map, their four weights 0, and abl_dlka_core16 summed them all
 * (its clamped border block, 9 loads and 4 multiply-adds a point).  Here
 * the plan leaves them out: a border block keeps its points with x0 in
 * [-1, w - 1] and y0 in [-1, h - 1] (a corner inside; the others have 4
 * weights 0), in order, and group gi's points are gs[gi] .. gs[gi + 1]
 * - 1 of the plan.  Copies of abl_dlka_gcw_store16, abl_dlka_gc8_border16
 * and abl_dlka_gc8_plan_m with the compaction, not flags in those: a flag
 * there, dead for the other layers, changed gcc's register allocation of
 * L17's gc8 attention (objdump; the effect a2-dlka measured at +6 %). */

/* abl_dlka_gcw_store16 (lg 4) of the points of live only, in order: the
 * compaction goes into the first permutes' indices (one compress of the
 * lane numbers, three permutes), where compressing the 5 rows took five
 * compresses of 2 port-5 uops each.  The first popcount(live) points of
 * w4 / i16 are written; the rest of the 16 get others' values. */
ABL_DCN_SPECIALISE void abl_dlka_gc16_store_live(__m512 a, __m512 b, __m512 c, __m512 e, __m512i id,
                                                 __mmask16 live, float *restrict w4,
                                                 int32_t *restrict i16)
{
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi =
        _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const __m512i p03 = _mm512_setr_epi32(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
    const __m512i p47 =
        _mm512_setr_epi32(8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i src = _mm512_maskz_compress_epi32(live, lane); /* the i-th live lane */
    const __m512i b16 = _mm512_set1_epi32(16);
    /* lo / hi through the compaction: lane j takes A or B (bit 4) of src[j's point] */
    const __m512i clo =
        _mm512_or_si512(_mm512_permutexvar_epi32(lo, src), _mm512_and_si512(lo, b16));
    const __m512i chi =
        _mm512_or_si512(_mm512_permutexvar_epi32(hi, src), _mm512_and_si512(hi, b16));
    const __m512 ab0 = _mm512_permutex2var_ps(a, clo, b), ab1 = _mm512_permutex2var_ps(a, chi, b);
    const __m512 cd0 = _mm512_permutex2var_ps(c, clo, e), cd1 = _mm512_permutex2var_ps(c, chi, e);
    _mm512_storeu_ps(w4, _mm512_permutex2var_ps(ab0, p03, cd0));
    _mm512_storeu_ps(w4 + 16, _mm512_permutex2var_ps(ab0, p47, cd0));
    _mm512_storeu_ps(w4 + 32, _mm512_permutex2var_ps(ab1, p03, cd1));
    _mm512_storeu_ps(w4 + 48, _mm512_permutex2var_ps(ab1, p47, cd1));
    _mm512_storeu_si512((void *)i16, _mm512_slli_epi32(_mm512_permutexvar_epi32(src, id), 4));
}

/* abl_dlka_gc8_border16 (lg 4) keeping the points of real with a corner
 * inside the map; returns them (the points stored). */
ABL_DCN_SPECIALISE __mmask16 abl_dlka_gc16_border_pack(int h, int w, __m512 xs, __m512 ys,
                                                       __m512 mq, __mmask16 real,
                                                       float *restrict w4, int32_t *restrict i16)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    /* max returns its second operand for a NaN: -2, as the generic clamp */
    const __m512 x =
        _mm512_min_ps(_mm512_max_ps(xs, _mm512_set1_ps(-2.0f)), _mm512_set1_ps((float)w + 1.0f));
    const __m512 y =
        _mm512_min_ps(_mm512_max_ps(ys, _mm512_set1_ps(-2.0f)), _mm512_set1_ps((float)h + 1.0f));
    const __m512 fx = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __m512 fy = _mm512_roundscale_ps(y, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __m512 lx = _mm512_sub_ps(x, fx), ly = _mm512_sub_ps(y, fy);
    const __m512i x0 = _mm512_cvttps_epi32(fx), y0 = _mm512_cvttps_epi32(fy);
    const __m512i i1 = _mm512_set1_epi32(1), vw = _mm512_set1_epi32(w), vh = _mm512_set1_epi32(h);
    const __m512i x1 = _mm512_add_epi32(x0, i1), y1 = _mm512_add_epi32(y0, i1);
    const __m512 vx0 = _mm512_maskz_mov_ps(_mm512_cmplt_epu32_mask(x0, vw), _mm512_sub_ps(one, lx));
    const __m512 vx1 = _mm512_maskz_mov_ps(_mm512_cmplt_epu32_mask(x1, vw), lx);
    const __m512 vy0 =
        _mm512_maskz_mul_ps(_mm512_cmplt_epu32_mask(y0, vh), _mm512_sub_ps(one, ly), mq);
    const __m512 vy1 = _mm512_maskz_mul_ps(_mm512_cmplt_epu32_mask(y1, vh), ly, mq);
    const __m512i z = _mm512_setzero_si512();
    const __mmask16 ltx = _mm512_cmplt_epi32_mask(x0, z),
                    gtx = _mm512_cmpgt_epi32_mask(x0, _mm512_set1_epi32(w - 2));
    const __mmask16 lty = _mm512_cmplt_epi32_mask(y0, z),
                    gty = _mm512_cmpgt_epi32_mask(y0, _mm512_set1_epi32(h - 2));
    /* x0 < 0 keeps only column x0 + 1 (the block's left), x0 > w - 2 only x0 (its right) */
    const __m512 ax0 = _mm512_mask_blend_ps(ltx, _mm512_maskz_mov_ps((__mmask16)~gtx, vx0), vx1);
    const __m512 ax1 = _mm512_maskz_mov_ps((__mmask16)~ltx, _mm512_mask_blend_ps(gtx, vx1, vx0));
    const __m512 ay0 = _mm512_mask_blend_ps(lty, _mm512_maskz_mov_ps((__mmask16)~gty, vy0), vy1);
    const __m512 ay1 = _mm512_maskz_mov_ps((__mmask16)~lty, _mm512_mask_blend_ps(gty, vy1, vy0));
    const __m512i bx = _mm512_min_epi32(_mm512_max_epi32(x0, z), _mm512_set1_epi32(w - 2));
    const __m512i by = _mm512_min_epi32(_mm512_max_epi32(y0, z), _mm512_set1_epi32(h - 2));
    const __m512 a = _mm512_mul_ps(ay0, ax0), b = _mm512_mul_ps(ay0, ax1);
    const __m512 c = _mm512_mul_ps(ay1, ax0), e = _mm512_mul_ps(ay1, ax1);
    const __m512i id = _mm512_add_epi32(_mm512_mullo_epi32(by, vw), bx);
    /* a corner inside: x0 + 1 in [0, w] and y0 + 1 in [0, h] */
    const __mmask16 live = _mm512_mask_cmplt_epu32_mask(
        _mm512_mask_cmplt_epu32_mask(real, x1, _mm512_set1_epi32(w + 1)), y1,
        _mm512_set1_epi32(h + 1));
    if (live == real) /* no point wholly outside (most border blocks) */
        abl_dlka_gcw_store16(a, b, c, e, id, 4, w4, i16);
    else
        abl_dlka_gc16_store_live(a, b, c, e, id, live, w4, i16);
    return live;
}

/* The blocks of a packed plan's pixel: ABL_DLKA_SM_GPMAX points, padding, one past. */
enum { ABL_DLKA_PACK_BLOCKS = ABL_DLKA_SM_GPMAX / 16 + 2 };

/* gs[0 .. g] of a packed plan from its blocks' stored lanes lm and the
 * points stored before each, nb: group gi starts at point gi p, in block
 * gi p / 16 after its stored lanes below gi p % 16. */
ABL_DCN_SPECIALISE void abl_dlka_gc16_group_starts(int g, int p, const uint16_t *restrict lm,
                                                   const int32_t *restrict nb, int32_t *restrict gs)
{
    for (int gi = 0; gi <= g; gi++) {
        const int q = gi * p, blk = q >> 4;
        gs[gi] = nb[blk] + __builtin_popcount(lm[blk] & ((1u << (q & 15)) - 1u));
    }
}

/* abl_dlka_gc8_plan_m (lg 4, groups of p points, g p <=
 * ABL_DLKA_SM_GPMAX) without the points wholly outside the map: w4 / i16
 * hold the rest in order, gs[0 .. g] where each group's start (gs[g]:
 * their count).  Blocks inside the map keep all their points. */
ABL_DCN_SPECIALISE void
abl_dlka_gc16_plan_pack(int g, int p, int h, int w, const float *restrict grid_x,
                        const float *restrict grid_y, const float *restrict om, int ph, int pw,
                        const int sm, float *restrict ebuf, float *restrict w4,
                        int32_t *restrict i16, int32_t *restrict gs)
{
    const int gp = g * p, gpv = abl_dcn_gpv(gp);
    const __m512i vw = _mm512_set1_epi32(w);
    const __m512 fw = _mm512_set1_ps((float)w);
    const int exact = (ptrdiff_t)h * w <= (1 << 24);
    uint16_t lm[ABL_DLKA_PACK_BLOCKS]; /* each block's stored lanes */
    int32_t nb[ABL_DLKA_PACK_BLOCKS];  /* the points stored before it */
    int n = 0;
    for (int q0 = 0; q0 < gpv; q0 += 16) {
        const struct abl_dlka_pts16 t =
            abl_dlka_points16(q0, gp, h, w, grid_x, grid_y, om, ph, pw, sm, ebuf);
        const __m512 xs = t.xs, ys = t.ys, mq = t.mq;
        const __mmask16 real = t.real;
        nb[q0 >> 4] = n;
        if (t.in != real) { /* a point near or past the border */
            const __mmask16 live =
                abl_dlka_gc16_border_pack(h, w, xs, ys, mq, real, w4 + 4 * n, i16 + n);
            lm[q0 >> 4] = (uint16_t)live;
            n += __builtin_popcount((unsigned)live);
            continue;
        }
        abl_dlka_inside_store16(xs, ys, mq, exact, fw, vw, 4, w4 + 4 * n, i16 + n);
        lm[q0 >> 4] = (uint16_t)real;
        n += __builtin_popcount((unsigned)real);
    }
    nb[gpv >> 4] = n; /* gs[g] where gp is a multiple of 16 */
    lm[gpv >> 4] = 0;
    abl_dlka_gc16_group_starts(g, p, lm, nb, gs);
}

/* abl_dlka_gcw_plan_sm (lg 4) on the packed plan: e^x of every point's
 * logit (those left out too) in the groups' sums. */
ABL_DCN_SPECIALISE int abl_dlka_gc16_plan_sm_pack(int g, int p, int h, int w,
                                                  const float *restrict grid_x,
                                                  const float *restrict grid_y,
                                                  const float *restrict om, int ph, int pw,
                                                  float *restrict w4, int32_t *restrict i16,
                                                  float *restrict inv, int32_t *restrict gs)
{
    float ebuf[ABL_DLKA_SM_GPMAX + 16];
    abl_dlka_gc16_plan_pack(g, p, h, w, grid_x, grid_y, om, ph, pw, 1, ebuf, w4, i16, gs);
    return abl_dlka_group_inv(g, p, ebuf, inv);
}

/* One point q of group plane pl into the chains a (top pair), b (bottom). */
#define ABL_DLKA_GC8_POINT(q, a, b)                                                                \
    do {                                                                                           \
        const __m512 w_ = _mm512_castps128_ps512(_mm_loadu_ps(w4 + 4 * (q)));                      \
        const float *e_ = pl + i8[q];                                                              \
        (a) = _mm512_fmadd_ps(_mm512_permutexvar_ps(e01, w_), _mm512_loadu_ps(e_), (a));           \
        (b) = _mm512_fmadd_ps(_mm512_permutexvar_ps(e23, w_), _mm512_loadu_ps(e_ + sy), (b));      \
    } while (0)

/* core[0 .. 8) of one pixel for one group: the sum over its p points
 * (from q0 on) of the 4 corners' 8 channels times their weights (pl: the
 * group's plane of xp, group-major, one image; w4 / i8 from
 * abl_dlka_gc8_repack).  Eight chains (4 points x top / bottom pair): a
 * zmm multiply-add takes 4 cycles, a point about 2; then the left and
 * right corners' halves added. */
ABL_DCN_SPECIALISE void abl_dlka_core8(const float *restrict pl, int p, int q0, int w,
                                       const float *restrict w4, const int32_t *restrict i8,
                                       float scale, float *restrict core)
{
    const __m512i e01 = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    const __m512i e23 = _mm512_setr_epi32(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const ptrdiff_t sy = (ptrdiff_t)w * 8;
    __m512 acc[4][2];
#pragma GCC unroll 4
    for (int s = 0; s < 4; s++)
        acc[s][0] = acc[s][1] = _mm512_setzero_ps();
    int i = 0;
    for (; i + 4 <= p; i += 4)
#pragma GCC unroll 4
        for (int s = 0; s < 4; s++)
            ABL_DLKA_GC8_POINT(q0 + i + s, acc[s][0], acc[s][1]);
    for (; i < p; i++)
        ABL_DLKA_GC8_POINT(q0 + i, acc[0][0], acc[0][1]);
    const __m512 sum = _mm512_add_ps(
        _mm512_add_ps(_mm512_add_ps(acc[0][0], acc[0][1]), _mm512_add_ps(acc[1][0], acc[1][1])),
        _mm512_add_ps(_mm512_add_ps(acc[2][0], acc[2][1]), _mm512_add_ps(acc[3][0], acc[3][1])));
    _mm256_storeu_ps(core, _mm256_mul_ps(_mm256_add_ps(_mm512_castps512_ps256(sum), _mm512_extractf32x8_ps(sum, 1)),
                                         _mm256_set1_ps(scale)));
}
#undef ABL_DLKA_GC8_POINT

/* One point q of a 16-channel group plane pl into the corner chains
 * a[0 .. 4): each corner one zmm, its weight broadcast from w4. */
#define ABL_DLKA_GC16_POINT(q, a)                                                                  \
    do {                                                                                           \
        const float *w_ = w4 + 4 * (q), *e_ = pl + i16[q];                                         \
        (a)[0] = _mm512_fmadd_ps(_mm512_set1_ps(w_[0]), _mm512_loadu_ps(e_), (a)[0]);              \
        (a)[1] = _mm512_fmadd_ps(_mm512_set1_ps(w_[1]), _mm512_loadu_ps(e_ + 16), (a)[1]);         \
        (a)[2] = _mm512_fmadd_ps(_mm512_set1_ps(w_[2]), _mm512_loadu_ps(e_ + sy), (a)[2]);         \
        (a)[3] = _mm512_fmadd_ps(_mm512_set1_ps(w_[3]), _mm512_loadu_ps(e_ + sy + 16), (a)[3]);    \
    } while (0)

/* core[0 .. 16) of one pixel for one group: abl_dlka_core8 at 16 channels
 * a group (pl: the group's plane, 16 floats a pixel; w4 / i16 from
 * abl_dlka_gcw_plan with lg 4).  Eight chains (corner x point parity), as
 * abl_dcn_corner_sum16; then the corners' sums added and scaled. */
ABL_DCN_SPECIALISE void abl_dlka_core16(const float *restrict pl, int p, int q0, int w,
                                        const float *restrict w4, const int32_t *restrict i16,
                                        float scale, float *restrict core)
{
    const ptrdiff_t sy = (ptrdiff_t)w * 16;
    __m512 acc[2][4];
#pragma GCC unroll 2
    for (int s = 0; s < 2; s++)
        acc[s][0] = acc[s][1] = acc[s][2] = acc[s][3] = _mm512_setzero_ps();
    int i = 0;
    for (; i + 2 <= p; i += 2) {
        ABL_DLKA_GC16_POINT(q0 + i, acc[0]);
        ABL_DLKA_GC16_POINT(q0 + i + 1, acc[1]);
    }
    if (i < p)
        ABL_DLKA_GC16_POINT(q0 + i, acc[0]);
    const __m512 s0 =
        _mm512_add_ps(_mm512_add_ps(acc[0][0], acc[0][1]), _mm512_add_ps(acc[0][2], acc[0][3]));
    const __m512 s1 =
        _mm512_add_ps(_mm512_add_ps(acc[1][0], acc[1][1]), _mm512_add_ps(acc[1][2], acc[1][3]));
    _mm512_storeu_ps(core, _mm512_mul_ps(_mm512_add_ps(s0, s1), _mm512_set1_ps(scale)));
}
#undef ABL_DLKA_GC16_POINT
#endif

/* Phase A for rows row0 .. of image b (x: that image, c x h x w). */
ABL_DCN_SPECIALISE void abl_dcn_phase_a(struct abl_dcn_geom d, const float *x, float *xp, float *priv,
                                   const float *pk, int row0)
{
    const int rows = d.h - row0 < d.tr ? d.h - row0 : d.tr, np = rows * d.w, p0 = row0 * d.w;
    const struct abl_dcn_packed k = abl_dcn_packed_at(d, priv, pk);
#if ABL_DLKA_GC8_OK
    /* channels last into the core tile (free here), then group-major */
    if (ABL_DLKA_MAY_GC8 && abl_dlka_gc8(d)) {
        float *tmp = priv + (ptrdiff_t)d.c * d.w + 2 * d.w;
        abl_dcn_lin_run(x + p0, 1, (ptrdiff_t)d.h * d.w, d.c, k.win, k.bin, d.c, tmp, d.c, np);
        if (abl_dlka_gc8_pad(d))
            abl_dlka_gc8_scatter_pad(tmp, d.g, d.h, d.w, row0, rows, xp);
        else
            abl_dlka_gc8_scatter(tmp, d.g, np, (ptrdiff_t)d.h * d.w, p0, xp);
        return;
    }
    if (ABL_DLKA_MAY_GC16 && abl_dlka_gc16(d)) {
        float *tmp = priv + (ptrdiff_t)d.c * d.w + 2 * d.w;
        abl_dcn_lin_run(x + p0, 1, (ptrdiff_t)d.h * d.w, d.c, k.win, k.bin, d.c, tmp, d.c, np);
        abl_dlka_gc16_scatter(tmp, d.g, np, (ptrdiff_t)d.h * d.w, p0, xp);
        return;
    }
#endif
    /* xp[t][o] = inb[o] + sum_c in[o][c] x[c][p0 + t] (x planar) */
    abl_dcn_lin_run(x + p0, 1, (ptrdiff_t)d.h * d.w, d.c, k.win, k.bin, d.c,
                    xp + (ptrdiff_t)p0 * d.c, d.c, np);
}

/* The offsets and mask of rows row0 .. of image b (x: that image) into
 * this thread's tile (abl_dcn_om_at); returns it.  pk: the layer's packed
 * weights. */
ABL_DCN_SPECIALISE float *abl_dcn_offsets_tile(struct abl_dcn_geom d, const float *const *wp,
                                              const float *x, float *priv, const float *pk, int row0)
{
    const int gp = abl_dcn_gp(d), nom = 3 * gp, p = d.k * d.k;
    const int rows = d.h - row0 < d.tr ? d.h - row0 : d.tr, np = rows * d.w;
    float *plane = priv, *stats = plane + (ptrdiff_t)d.c * d.w, *x1 = stats + 2 * d.w;
    float *om = priv + abl_dcn_priv_floats(d) + abl_dlka_dw_cl_floats(d);
    const struct abl_dcn_packed k = abl_dcn_packed_at(d, priv, pk);
    if (abl_dlka_dw_cl(d)) {
        abl_dlka_dw_ln_gelu_cl(d, wp, x, k.taps, k.halo, row0, rows, x1);
#if ABL_DLKA_DW_TILE
    } else if (abl_dlka_dw_tile(d)) {
        /* the tile's planes in k.coret: free until the sampler's core is
         * transposed into it */
        abl_dw_rows_tile(x, wp[0], wp[1], d.c, d.h, d.w, d.k, row0, rows, k.coret,
                         (ptrdiff_t)d.c * d.w);
        for (int r = 0; r < rows; r++)
            abl_ln_gelu_row(k.coret + (ptrdiff_t)r * d.c * d.w, d.c, d.w, wp[2], wp[3], 1e-6f,
                            stats, x1 + (ptrdiff_t)r * d.w * d.c);
#endif
    } else {
        for (int r = 0; r < rows; r++) {
#if ABL_DLKA_DW_ROW
            if (abl_dlka_dw_row_ok(d.w, d.k))
                abl_dlka_dw_row(x, wp[0], wp[1], d.c, d.h, d.w, d.k, row0 + r, plane);
            else
#endif
                abl_dw_row(x, wp[0], wp[1], d.c, d.h, d.w, d.k, row0 + r, plane);
            abl_ln_gelu_row(plane, d.c, d.w, wp[2], wp[3], 1e-6f, stats,
                            x1 + (ptrdiff_t)r * d.w * d.c);
        }
    }
    /* offsets into columns [0, 2GP), mask logits into [2GP, 3GP): one product */
    abl_dcn_lin_run(x1, d.c, 1, d.c, k.wom, k.bom, nom, om, nom, np);
#if ABL_DLKA_GC8_OK
    if (ABL_DLKA_MAY_GC8 && abl_dlka_gc8_sm(d)) /* the sampler's plan takes the softmax */
        return om;
    if (ABL_DLKA_MAY_GC16 && abl_dlka_gc16_sm(d))
        return om;
#endif
    if (!ABL_DLKA_MAY_PLAIN) /* a gc8 layer past ABL_DLKA_SM_GPMAX, or not gc8 */
        __builtin_trap();
    abl_dcn_softmax_rows(om + 2 * gp, np, nom, d.g, p);
    return om;
}

/* The kernel-point grid of MODULES.md 6.1 step 4, repeated per group:
 * point a * k + cc samples column offset -half + a dil, row offset
 * -half + cc dil; 0 for abl_dcn_corners' padding points. */
ABL_DCN_SPECIALISE void abl_dcn_grid(struct abl_dcn_geom d, float *grid_x, float *grid_y)
{
    const int p = d.k * d.k, half = d.dil * (d.k - 1) / 2, gp = abl_dcn_gp(d);
    for (int q = 0; q < abl_dcn_gpv(gp); q++) {
        grid_x[q] = q < gp ? (float)(-half + q % p / d.k * d.dil) : 0.0f;
        grid_y[q] = q < gp ? (float)(-half + q % p % d.k * d.dil) : 0.0f;
    }
}

#if ABL_DLKA_GC8_OK
/* abl_dcn_sample on the group-major path of 8 (lg 3: abl_dlka_gc8,
 * abl_dlka_core8) or 16 (lg 4: abl_dlka_gc16, abl_dlka_core16) channels a
 * group: pixel by pixel its plan repacked (abl_dlka_gcw_plan_sm), then
 * its groups summed.  At 16 channels, strips of 40 pixels planned first,
 * then summed group by group (a 40 x 40 map's row: one group's plane
 * under the row's 7 x 7 dilation-3 windows, 35 KB, can stay in L1) took
 * the 7 x 7 layer's sums from 0.69 to 0.55 ms in a microbenchmark, but
 * dcnv3_lka at L13 and L20 measured level with this in two CPU-time A/Bs
 * (docs/modules/perf_deform.md, b-dlka), its plans in 40 times the
 * scratch. */
ABL_DCN_SPECIALISE float *abl_dlka_sample_gcw(struct abl_dcn_geom d, const float *xp, float *om,
                                              float *priv, int row0, int np, const float *grid_x,
                                              const float *grid_y, float *core, const int lg)
{
    const int gp = abl_dcn_gp(d), gpv = abl_dcn_gpv(gp), nom = 3 * gp, p = d.k * d.k;
    float *w4 = priv + abl_dcn_priv_floats(d) + abl_dlka_dw_cl_floats(d) + abl_dcn_om_floats(d);
    int32_t *ix = (int32_t *)(w4 + 4 * gpv);
    const ptrdiff_t hw = (ptrdiff_t)d.h * d.w;
    const int sm = lg == 3 ? abl_dlka_gc8_sm(d) : abl_dlka_gc16_sm(d);
    float inv[ABL_DLKA_SM_GPMAX / 25 + 1];
    for (int t = 0; t < np; t++) {
        float *omt = om + (ptrdiff_t)t * nom;
        const int ph = row0 + t / d.w, pw = t % d.w;
        if (!sm ||
            !abl_dlka_gcw_plan_sm(d.g, p, d.h, d.w, grid_x, grid_y, omt, ph, pw, lg, w4, ix, inv)) {
            if (sm) /* a sum out of range: the exact softmax of the logits */
                abl_dcn_softmax(omt + 2 * gp, d.g, p);
            abl_dlka_gcw_plan(gp, d.h, d.w, grid_x, grid_y, omt, ph, pw, lg, w4, ix);
            for (int gi = 0; gi < d.g; gi++)
                inv[gi] = 1.0f;
        }
        float *core_t = core + (ptrdiff_t)t * d.c;
        for (int gi = 0; gi < d.g; gi++)
            if (lg == 3)
                abl_dlka_core8(xp + gi * hw * 8, p, gi * p, d.w, w4, ix, inv[gi], core_t + 8 * gi);
            else
                abl_dlka_core16(xp + gi * hw * 16, p, gi * p, d.w, w4, ix, inv[gi],
                                core_t + 16 * gi);
    }
    return core;
}

/* abl_dlka_sample_gcw (lg 4) for a layer that packs its plan
 * (abl_dlka_gc16_pack): each group's sum over its points not wholly
 * outside the map. */
ABL_DCN_SPECIALISE float *abl_dlka_sample_pack(struct abl_dcn_geom d, const float *xp, float *om,
                                               float *priv, int row0, int np, const float *grid_x,
                                               const float *grid_y, float *core)
{
    const int gp = abl_dcn_gp(d), gpv = abl_dcn_gpv(gp), nom = 3 * gp, p = d.k * d.k;
    float *w4 = priv + abl_dcn_priv_floats(d) + abl_dlka_dw_cl_floats(d) + abl_dcn_om_floats(d);
    int32_t *ix = (int32_t *)(w4 + 4 * gpv);
    const ptrdiff_t hw = (ptrdiff_t)d.h * d.w;
    float inv[ABL_DLKA_SM_GPMAX / 25 + 1];
    int32_t gs[ABL_DLKA_SM_GPMAX / 25 + 2];
    for (int t = 0; t < np; t++) {
        float *omt = om + (ptrdiff_t)t * nom;
        const int ph = row0 + t / d.w, pw = t % d.w;
        if (!abl_dlka_gc16_plan_sm_pack(d.g, p, d.h, d.w, grid_x, grid_y, omt, ph, pw, w4, ix, inv,
                                        gs)) {
            abl_dcn_softmax(omt + 2 * gp, d.g, p); /* a sum out of range: the exact softmax */
            abl_dlka_gc16_plan_pack(d.g, p, d.h, d.w, grid_x, grid_y, omt, ph, pw, 0, NULL, w4, ix,
                                    gs);
            for (int gi = 0; gi < d.g; gi++)
                inv[gi] = 1.0f;
        }
        float *core_t = core + (ptrdiff_t)t * d.c;
        for (int gi = 0; gi < d.g; gi++)
            abl_dlka_core16(xp + gi * hw * 16, gs[gi + 1] - gs[gi], gs[gi], d.w, w4, ix, inv[gi],
                            core_t + 16 * gi);
    }
    return core;
}
/* abl_dlka_sample_gcw (lg 3) on padded group planes (abl_dlka_gc8_pad):
 * the plan by abl_dlka_gc8_plan_sm_pad, the sums by abl_dlka_core8 with
 * the padded row (w + 2 pixels) from the plane's pixel (0, 0) of the map. */
ABL_DCN_SPECIALISE float *abl_dlka_sample_gc8_pad(struct abl_dcn_geom d, const float *xp, float *om,
                                                  float *priv, int row0, int np,
                                                  const float *grid_x, const float *grid_y,
                                                  float *core)
{
    const int gp = abl_dcn_gp(d), gpv = abl_dcn_gpv(gp), nom = 3 * gp, p = d.k * d.k;
    float *w4 = priv + abl_dcn_priv_floats(d) + abl_dlka_dw_cl_floats(d) + abl_dcn_om_floats(d);
    int32_t *ix = (int32_t *)(w4 + 4 * gpv);
    const ptrdiff_t pw = (ptrdiff_t)d.w + 2, plane = (ptrdiff_t)(d.h + 2) * pw * 8;
    const float *origin = xp + (pw + 1) * 8;
    const int sm = abl_dlka_gc8_sm(d);
    float inv[ABL_DLKA_SM_GPMAX / 25 + 1];
    for (int t = 0; t < np; t++) {
        float *omt = om + (ptrdiff_t)t * nom;
        const int ph = row0 + t / d.w, pwx = t % d.w;
        if (!sm || !abl_dlka_gc8_plan_sm_pad(d.g, p, d.h, d.w, grid_x, grid_y, omt, ph, pwx, w4, ix,
                                             inv)) {
            if (sm) /* a sum out of range: the exact softmax of the logits */
                abl_dcn_softmax(omt + 2 * gp, d.g, p);
            abl_dlka_gc8_plan_pad(gp, d.h, d.w, grid_x, grid_y, omt, ph, pwx, w4, ix, 0, NULL);
            for (int gi = 0; gi < d.g; gi++)
                inv[gi] = 1.0f;
        }
        float *core_t = core + (ptrdiff_t)t * d.c;
        for (int gi = 0; gi < d.g; gi++)
            abl_dlka_core8(origin + gi * plane, p, gi * p, d.w + 2, w4, ix, inv[gi],
                           core_t + 8 * gi);
    }
    return core;
}

/* abl_dlka_points16 for the points qs .. qe - 1 of a pixel's gp (the
 * lanes from qe on not real), e^x of their logits kept at ebuf[q - qs]. */
ABL_DCN_SPECIALISE struct abl_dlka_pts16
abl_dlka_points16_range(int q0, int qs, int qe, int gp, const float *restrict grid_x,
                        const float *restrict grid_y, const float *restrict om, int ph, int pw,
                        const int sm, float *restrict ebuf)
{
    const __m512i even =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd =
        _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    struct abl_dlka_pts16 t;
    const __m512 o0 = _mm512_loadu_ps(om + 2 * q0), o1 = _mm512_loadu_ps(om + 2 * q0 + 16);
    t.xs = _mm512_add_ps(
        _mm512_set1_ps((float)pw),
        _mm512_add_ps(_mm512_loadu_ps(grid_x + q0), _mm512_permutex2var_ps(o0, even, o1)));
    t.ys = _mm512_add_ps(
        _mm512_set1_ps((float)ph),
        _mm512_add_ps(_mm512_loadu_ps(grid_y + q0), _mm512_permutex2var_ps(o0, odd, o1)));
    t.real = qe - q0 >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (qe - q0)) - 1u);
    t.in = t.real; /* not asked: the padded plan has one path */
    t.mq = _mm512_loadu_ps(om + 2 * gp + q0);
    if (sm) { /* the mask's logits: e^x, kept for the group sums */
        t.mq = abl_exp16(t.mq);
        _mm512_storeu_ps(ebuf + (q0 - qs), t.mq);
    }
    return t;
}

/* abl_dlka_gc8_plan_pad with the plan as weight rows (abl_dlka_gc8_rows),
 * for the points qs .. qe - 1 of the pixel's gp (some of its groups:
 * abl_dlka_gc8_split): point qs + j's corner weights at wr[j], wr[nv + j],
 * wr[2 nv + j], wr[3 nv + j] (nv = abl_dcn_gpv(qe - qs)), its block
 * index (times 8) at i8[j]. */
ABL_DCN_SPECIALISE void
abl_dlka_gc8_plan_rows(int qs, int qe, int gp, int h, int w, const float *restrict grid_x,
                       const float *restrict grid_y, const float *restrict om, int ph, int pw,
                       float *restrict wr, int32_t *restrict i8, const int sm, float *restrict ebuf)
{
    const int nv = abl_dcn_gpv(qe - qs);
    const int exact = (ptrdiff_t)(h + 2) * (w + 2) <= (1 << 24);
    for (int j = 0; j < nv; j += 16) {
        const struct abl_dlka_pts16 t =
            abl_dlka_points16_range(qs + j, qs, qe, gp, grid_x, grid_y, om, ph, pw, sm, ebuf);
        const struct abl_dlka_blk16 k = abl_dlka_pad_block16(t.xs, t.ys, t.mq, h, w, exact);
        _mm512_storeu_ps(wr + j, k.a);
        _mm512_storeu_ps(wr + nv + j, k.b);
        _mm512_storeu_ps(wr + 2 * nv + j, k.c);
        _mm512_storeu_ps(wr + 3 * nv + j, k.e);
        _mm512_storeu_si512((void *)(i8 + j), _mm512_slli_epi32(k.id, 3));
    }
}

/* abl_dlka_group_inv for ng = 2 or 4 groups: the same sums, and the same
 * tree per group as _mm512_reduce_add_ps (the 256-bit halves added, then
 * the 128-bit ones, then the 64-bit ones, then the 2 floats), run on the
 * groups at once (6 shuffles, 4 adds, 2 in-lane permutes; 2 groups: the
 * other two lanes' sums of zeros) and one 4-lane division: the same bits.
 * Returns 0 as abl_dlka_group_inv. */
ABL_DCN_SPECIALISE int abl_dlka_group_inv_vec(int ng, int p, const float *restrict ebuf,
                                              float *restrict inv)
{
    __m512 s[4];
#pragma GCC unroll 4
    for (int gi = 0; gi < 4; gi++) {
        const float *e = ebuf + gi * p;
        s[gi] = _mm512_setzero_ps();
        for (int j = 0; j < p && gi < ng; j += 16) {
            const __mmask16 mk =
                p - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (p - j)) - 1u);
            s[gi] = _mm512_add_ps(s[gi], _mm512_maskz_loadu_ps(mk, e + j));
        }
    }
    /* lanes 0-7: group 0's (2's) 256-bit halves added; 8-15: group 1's (3's) */
    const __m512 x01 = _mm512_add_ps(_mm512_shuffle_f32x4(s[0], s[1], 0xEE),
                                     _mm512_shuffle_f32x4(s[0], s[1], 0x44));
    const __m512 x23 = _mm512_add_ps(_mm512_shuffle_f32x4(s[2], s[3], 0xEE),
                                     _mm512_shuffle_f32x4(s[2], s[3], 0x44));
    /* 128-bit lane gi: group gi's 128-bit halves added */
    const __m512 z =
        _mm512_add_ps(_mm512_shuffle_f32x4(x01, x23, 0xDD), _mm512_shuffle_f32x4(x01, x23, 0x88));
    const __m512 r = _mm512_add_ps(z, _mm512_permute_ps(z, 0x4E));
    const __m512 t = _mm512_add_ps(r, _mm512_permute_ps(r, 0x55));
    const __m128 sum = _mm512_castps512_ps128(_mm512_permutexvar_ps(
        _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), t));
    const __mmask8 lanes = (__mmask8)((1u << ng) - 1u);
    _mm_mask_storeu_ps(inv, lanes, _mm_div_ps(_mm_set1_ps(1.0f), sum));
    /* false for a NaN */
    const __mmask8 ok = _mm_cmp_ps_mask(sum, _mm_set1_ps(0x1p-100f), _CMP_GE_OQ) &
                        _mm_cmp_ps_mask(sum, _mm_set1_ps(0x1p100f), _CMP_LE_OQ);
    return (ok & lanes) == lanes;
}

/* abl_dlka_gc8_plan_sm_pad with the plan as weight rows, for groups
 * g0 .. g0 + ng - 1 of the pixel's g (inv[0 .. ng)). */
ABL_DCN_SPECIALISE int
abl_dlka_gc8_plan_sm_rows(int g0, int ng, int g, int p, int h, int w, const float *restrict grid_x,
                          const float *restrict grid_y, const float *restrict om, int ph, int pw,
                          float *restrict wr, int32_t *restrict i8, float *restrict inv)
{
    float ebuf[ABL_DLKA_SM_GPMAX + 16];
    abl_dlka_gc8_plan_rows(g0 * p, (g0 + ng) * p, g * p, h, w, grid_x, grid_y, om, ph, pw, wr, i8,
                           1, ebuf);
    return ng == 2 || ng == 4 ? abl_dlka_group_inv_vec(ng, p, ebuf, inv)
                              : abl_dlka_group_inv(ng, p, ebuf, inv);
}

/* One point (row lane l of the rows ra .. re, plane offset i8[q]) into the
 * chains a (top pair), b (bottom): ix selects lane l of the first row in
 * lanes 0-7 and of the second in 8-15, as abl_dlka_core8's e01 / e23 do
 * from the point's 4 floats. */
#define ABL_DLKA_GC8_ROW_POINT(q, ix, a, b)                                                        \
    do {                                                                                           \
        const float *e_ = pl + i8[q];                                                              \
        (a) = _mm512_fmadd_ps(_mm512_permutex2var_ps(ra, (ix), rb), _mm512_loadu_ps(e_), (a));     \
        (b) =                                                                                      \
            _mm512_fmadd_ps(_mm512_permutex2var_ps(rc, (ix), re), _mm512_loadu_ps(e_ + sy), (b));  \
    } while (0)

/* abl_dlka_core8 on the plan's weight rows wr (row length gpv;
 * abl_dlka_gc8_plan_rows): the group's points from q0 on in runs of 16,
 * each run's 4 rows loaded once.  Point j of the group goes to chain
 * j mod 4 where abl_dlka_core8 has it (chain 0 past the last multiple of
 * 4), so the same sum in the same order.  A run's rows may read past the
 * group (into the next group, row or the index row): those lanes unused. */
ABL_DCN_SPECIALISE void abl_dlka_core8_rows(const float *restrict pl, int p, int q0, int w, int gpv,
                                            const float *restrict wr, const int32_t *restrict i8,
                                            float scale, float *restrict core)
{
    const ptrdiff_t sy = (ptrdiff_t)w * 8;
    const __m512i hi = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 16, 16, 16, 16, 16, 16, 16, 16);
    __m512 acc[4][2];
#pragma GCC unroll 4
    for (int s = 0; s < 4; s++)
        acc[s][0] = acc[s][1] = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= p; i += 16) {
        const float *r = wr + q0 + i;
        const __m512 ra = _mm512_loadu_ps(r), rb = _mm512_loadu_ps(r + gpv);
        const __m512 rc = _mm512_loadu_ps(r + 2 * gpv), re = _mm512_loadu_ps(r + 3 * gpv);
#pragma GCC unroll 16
        for (int s = 0; s < 16; s++)
            ABL_DLKA_GC8_ROW_POINT(q0 + i + s, _mm512_add_epi32(hi, _mm512_set1_epi32(s)),
                                   acc[s % 4][0], acc[s % 4][1]);
    }
    if (i < p) { /* the last run, shorter: its lanes' selectors from a table */
        static const int32_t lane_ix[16][16] = {
            {0, 0, 0, 0, 0, 0, 0, 0, 16, 16, 16, 16, 16, 16, 16, 16},
            {1, 1, 1, 1, 1, 1, 1, 1, 17, 17, 17, 17, 17, 17, 17, 17},
            {2, 2, 2, 2, 2, 2, 2, 2, 18, 18, 18, 18, 18, 18, 18, 18},
            {3, 3, 3, 3, 3, 3, 3, 3, 19, 19, 19, 19, 19, 19, 19, 19},
            {4, 4, 4, 4, 4, 4, 4, 4, 20, 20, 20, 20, 20, 20, 20, 20},
            {5, 5, 5, 5, 5, 5, 5, 5, 21, 21, 21, 21, 21, 21, 21, 21},
            {6, 6, 6, 6, 6, 6, 6, 6, 22, 22, 22, 22, 22, 22, 22, 22},
            {7, 7, 7, 7, 7, 7, 7, 7, 23, 23, 23, 23, 23, 23, 23, 23},
            {8, 8, 8, 8, 8, 8, 8, 8, 24, 24, 24, 24, 24, 24, 24, 24},
            {9, 9, 9, 9, 9, 9, 9, 9, 25, 25, 25, 25, 25, 25, 25, 25},
            {10, 10, 10, 10, 10, 10, 10, 10, 26, 26, 26, 26, 26, 26, 26, 26},
            {11, 11, 11, 11, 11, 11, 11, 11, 27, 27, 27, 27, 27, 27, 27, 27},
            {12, 12, 12, 12, 12, 12, 12, 12, 28, 28, 28, 28, 28, 28, 28, 28},
            {13, 13, 13, 13, 13, 13, 13, 13, 29, 29, 29, 29, 29, 29, 29, 29},
            {14, 14, 14, 14, 14, 14, 14, 14, 30, 30, 30, 30, 30, 30, 30, 30},
            {15, 15, 15, 15, 15, 15, 15, 15, 31, 31, 31, 31, 31, 31, 31, 31},
        };
        const int i0 = i;
        const float *r = wr + q0 + i;
        const __m512 ra = _mm512_loadu_ps(r), rb = _mm512_loadu_ps(r + gpv);
        const __m512 rc = _mm512_loadu_ps(r + 2 * gpv), re = _mm512_loadu_ps(r + 3 * gpv);
        for (; i + 4 <= p; i += 4)
#pragma GCC unroll 4
            for (int s = 0; s < 4; s++)
                ABL_DLKA_GC8_ROW_POINT(q0 + i + s,
                                       _mm512_loadu_si512((const void *)lane_ix[i - i0 + s]),
                                       acc[s][0], acc[s][1]);
        for (; i < p; i++)
            ABL_DLKA_GC8_ROW_POINT(q0 + i, _mm512_loadu_si512((const void *)lane_ix[i - i0]),
                                   acc[0][0], acc[0][1]);
    }
    const __m512 sum = _mm512_add_ps(
        _mm512_add_ps(_mm512_add_ps(acc[0][0], acc[0][1]), _mm512_add_ps(acc[1][0], acc[1][1])),
        _mm512_add_ps(_mm512_add_ps(acc[2][0], acc[2][1]), _mm512_add_ps(acc[3][0], acc[3][1])));
    _mm256_storeu_ps(core, _mm256_mul_ps(_mm256_add_ps(_mm512_castps512_ps256(sum),
                                                       _mm512_extractf32x8_ps(sum, 1)),
                                         _mm256_set1_ps(scale)));
}
#undef ABL_DLKA_GC8_ROW_POINT

/* abl_dlka_sample_gc8_pad with the plan as weight rows (abl_dlka_gc8_rows).
 * A layer that splits (abl_dlka_gc8_split) runs the tile twice, each time
 * planning and summing half of its groups pixel by pixel. */
ABL_DCN_SPECIALISE float *abl_dlka_sample_gc8_rows(struct abl_dcn_geom d, const float *xp,
                                                   float *om, float *priv, int row0, int np,
                                                   const float *grid_x, const float *grid_y,
                                                   float *core)
{
    const int gp = abl_dcn_gp(d), gpv = abl_dcn_gpv(gp), nom = 3 * gp, p = d.k * d.k;
    float *wr = priv + abl_dcn_priv_floats(d) + abl_dlka_dw_cl_floats(d) + abl_dcn_om_floats(d);
    int32_t *ix = (int32_t *)(wr + 4 * gpv);
    const ptrdiff_t pw = (ptrdiff_t)d.w + 2, plane = (ptrdiff_t)(d.h + 2) * pw * 8;
    const float *origin = xp + (pw + 1) * 8;
    const int sm = abl_dlka_gc8_sm(d);
    const int ng = ABL_DLKA_MAY_SPLIT && abl_dlka_gc8_split(d) ? d.g / 2 : d.g;
    const int nv = abl_dcn_gpv(ng * p);
    float inv[ABL_DLKA_SM_GPMAX / 25 + 1];
    for (int g0 = 0; g0 < d.g; g0 += ng)
        for (int t = 0; t < np; t++) {
            float *omt = om + (ptrdiff_t)t * nom;
            const int ph = row0 + t / d.w, pwx = t % d.w;
            if (!sm || !abl_dlka_gc8_plan_sm_rows(g0, ng, d.g, p, d.h, d.w, grid_x, grid_y, omt, ph,
                                                  pwx, wr, ix, inv)) {
                if (sm) /* a sum out of range: the exact softmax of these groups' logits */
                    abl_dcn_softmax(omt + 2 * gp + g0 * p, ng, p);
                abl_dlka_gc8_plan_rows(g0 * p, (g0 + ng) * p, gp, d.h, d.w, grid_x, grid_y, omt, ph,
                                       pwx, wr, ix, 0, NULL);
                for (int gi = 0; gi < ng; gi++)
                    inv[gi] = 1.0f;
            }
            float *core_t = core + (ptrdiff_t)t * d.c;
            for (int gi = 0; gi < ng; gi++)
                abl_dlka_core8_rows(origin + (g0 + gi) * plane, p, gi * p, d.w + 2, nv, wr, ix,
                                    inv[gi], core_t + 8 * (g0 + gi));
        }
    return core;
}
#endif

/* The sampling of phase B for rows row0 .. of image b: core (channels
 * last, np x c, in this thread's tile) from om, the tile's offsets and
 * mask (abl_dcn_offsets_tile); returns it. */
ABL_DCN_SPECIALISE float *abl_dcn_sample(struct abl_dcn_geom d, const float *xp, float *om,
                                         float *priv, int row0, int np)
{
    const int gp = abl_dcn_gp(d), gpv = abl_dcn_gpv(gp), nom = 3 * gp, p = d.k * d.k;
    float *core = priv + (ptrdiff_t)d.c * d.w + 2 * d.w;
    float *wt = core + (ptrdiff_t)d.tr * d.w * d.c, *grid_x = wt + 8 * gpv, *grid_y = grid_x + gpv;
    int32_t *idx = (int32_t *)(wt + 4 * gpv), *keep = idx + gpv;
    abl_dcn_grid(d, grid_x, grid_y);
#if ABL_DLKA_GC8_OK
    if (!ABL_DLKA_MAY_GC8 && abl_dlka_gc8(d)) /* ABL_DLKA_DCN_GC8 disagrees with abl_dlka_gc8 */
        __builtin_trap();
    if (!ABL_DLKA_MAY_GC16 && abl_dlka_gc16(d)) /* ABL_DLKA_DCN_GC16 disagrees with abl_dlka_gc16 */
        __builtin_trap();
    if (!ABL_DLKA_MAY_PACK && abl_dlka_gc16_packs(d)) /* ABL_DLKA_GC16_PACK disagrees */
        __builtin_trap();
    if (ABL_DLKA_MAY_PACK && abl_dlka_gc16_pack(d))
        return abl_dlka_sample_pack(d, xp, om, priv, row0, np, grid_x, grid_y, core);
    if (ABL_DLKA_MAY_GC16 && abl_dlka_gc16(d))
        return abl_dlka_sample_gcw(d, xp, om, priv, row0, np, grid_x, grid_y, core, 4);
#if ABL_DLKA_GC8_ROWS /* only there: the other kernels compile as before (objdump) */
    if (!ABL_DLKA_MAY_SPLIT && abl_dlka_gc8_splits(d)) /* ABL_DLKA_GC8_SPLIT disagrees */
        __builtin_trap();
    if (ABL_DLKA_MAY_GC8 && abl_dlka_gc8_rows(d))
        return abl_dlka_sample_gc8_rows(d, xp, om, priv, row0, np, grid_x, grid_y, core);
#endif
    if (ABL_DLKA_MAY_GC8 && abl_dlka_gc8_pad(d))
        return abl_dlka_sample_gc8_pad(d, xp, om, priv, row0, np, grid_x, grid_y, core);
    if (ABL_DLKA_MAY_GC8 && abl_dlka_gc8(d))
        return abl_dlka_sample_gcw(d, xp, om, priv, row0, np, grid_x, grid_y, core, 3);
#endif
    if (!ABL_DLKA_MAY_PLAIN) /* ABL_DLKA_DCN_GC8 disagrees with abl_dlka_gc8 */
        __builtin_trap();
    for (int t = 0; t < np; t++) {
        const int nout = abl_dcn_corners(gp, d.h, d.w, 1.0f, grid_x, grid_y,
                                         om + (ptrdiff_t)t * nom, 1, row0 + t / d.w,
                                         t % d.w, idx, wt, d.skip, keep);
        abl_dcn_core(xp, d.c, d.h, d.w, d.g, p, idx, wt, nout, keep, core + (ptrdiff_t)t * d.c);
    }
    return core;
}

/* Phase B for rows row0 .. of image b: core (channels last, in the tile),
 * then y = output_proj(core) written NCHW (y: that image). */
ABL_DCN_SPECIALISE void abl_dcn_phase_b(struct abl_dcn_geom d, const float *const *wp, const float *x,
                                   const float *xp, float *priv, const float *pk, float *y, int row0)
{
    const int rows = d.h - row0 < d.tr ? d.h - row0 : d.tr, np = rows * d.w, p0 = row0 * d.w;
    const ptrdiff_t hw = (ptrdiff_t)d.h * d.w;
    float *om = abl_dcn_offsets_tile(d, wp, x, priv, pk, row0);
    const float *core = abl_dcn_sample(d, xp, om, priv, row0, np);
    float *dst = y + p0;
    if (abl_direct_ok(1, 1, d.c)) { /* y[o][t] = outb[o] + sum_c out[o][c] core[t][c] */
        const struct abl_dcn_packed k = abl_dcn_packed_at(d, priv, pk);
        abl_transpose(core, d.c, k.coret, np, np, d.c);
        abl_direct_1x1_run(k.coret, np, d.c, d.c, wp[10], dst, hw, k.ones, wp[11], 0, np);
        return;
    }
    for (int o = 0; o < d.c; o++)
#pragma omp simd
        for (int t = 0; t < np; t++)
            dst[(ptrdiff_t)o * hw + t] = wp[11][o];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d.c, np, d.c, 1.0f, wp[10], d.c, core, d.c,
                1.0f, dst, (int)hw);
}

/* The attention's end fused into its last DCNv3 layer.  conv1 (a 1x1 conv
 * with bias) only ever reads that layer's output a1 = out core + out_b, so
 * it folds into output_proj: conv1(a1) = (c1 out) core + (c1 out_b + c1_b).
 * Phase B then applies the folded product to each sampled tile and runs
 * the gate by u, proj_2 and the residuals while the tile is in L2: one
 * c x c product per pixel less, and a1 is never written nor read back.
 * wf, bf: the folded weight (c x c) and bias, shared. */
struct abl_dlka_fused_tail {
    const float *wf, *bf, *wp2, *bp2; /* folded conv1 o output_proj; proj_2 */
    const float *u;                    /* the attention's u, n c h w */
    struct abl_dlka_io io;
};

/* Shared floats of the folded weight and bias (after the layers' own). */
static inline ptrdiff_t abl_dlka_fold_floats(int c)
{
    return ((ptrdiff_t)c * c + 15) / 16 * 16 + (c + 15) / 16 * 16;
}

/* Rows o0 .. o1 - 1 of the fold: wf[o][i] = sum_m c1[o][m] out[m][i],
 * bf[o] = c1_b[o] + sum_m c1[o][m] out_b[m]; bf at wf + c c rounded up.
 * One sgemm (c^3 / nthreads multiply-adds: at c = 128 a third of what
 * conv1 costs per call at 20 x 20, at the sgemm's rate).  Setup, as the
 * packing: one out-of-line copy that the prepare and the unprepared
 * forward both call (inlined, one in each).  Not cold as the packing: so
 * compiled, the bias sums moved by up to 7e-7 against the inlined ones. */
static __attribute__((noinline, unused)) void abl_dlka_fold_rows(int c, const float *out,
                                                                 const float *out_b,
                                                                 const float *c1, const float *c1_b,
                                                                 int o0, int o1, float *wf)
{
    if (o1 <= o0)
        return;
    float *bf = wf + ((ptrdiff_t)c * c + 15) / 16 * 16;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, o1 - o0, c, c, 1.0f, c1 + (ptrdiff_t)o0 * c,
                c, out, c, 0.0f, wf + (ptrdiff_t)o0 * c, c);
    for (int o = o0; o < o1; o++) {
        const float *co = c1 + (ptrdiff_t)o * c;
        float acc = c1_b[o];
        for (int m = 0; m < c; m++)
            acc += co[m] * out_b[m];
        bf[o] = acc;
    }
}

/* This thread's share of the fold's rows (w: the attention's weights;
 * conv1 at w[26], w[27], output_proj of layer 1 at w[24], w[25]).  The
 * forward and abl_dlka_dcnv3_prepare both fold through this, so at the
 * same thread count they run the same sgemm calls: the same bits. */
static inline void abl_dlka_fold_share(int c, const float *const *w, float *wf)
{
    const int nth = omp_get_num_threads(), me = omp_get_thread_num();
    abl_dlka_fold_rows(c, w[24], w[25], w[26], w[27], c * me / nth, c * (me + 1) / nth, wf);
}

/* Phase B of the last layer with the attention's end (abl_dlka_fused_tail):
 * rows row0 .. of image b.  The tile's core, transposed to planar, is
 * gated and projected by abl_dlka_tail_tile; its scratch is the core's
 * own floats (free once transposed). */
ABL_DCN_SPECIALISE void abl_dcn_phase_b_tail(struct abl_dcn_geom d, const float *const *wp,
                                        const float *x, const float *xp, float *priv,
                                        const float *pk, const struct abl_dlka_fused_tail *ft, int b,
                                        int row0)
{
    const int rows = d.h - row0 < d.tr ? d.h - row0 : d.tr, np = rows * d.w, p0 = row0 * d.w;
    const ptrdiff_t hw = (ptrdiff_t)d.h * d.w;
    float *om = abl_dcn_offsets_tile(d, wp, x, priv, pk, row0);
    float *core = abl_dcn_sample(d, xp, om, priv, row0, np);
    const struct abl_dcn_packed k = abl_dcn_packed_at(d, priv, pk);
    abl_transpose(core, d.c, k.coret, np, np, d.c);
    abl_dlka_tail_tile(d.c, (int)hw, np, ft->wf, ft->bf, k.coret, np, ft->wp2, ft->bp2, ft->io,
                       ft->u + b * d.c * hw, b, p0, core);
}

/* The pixels of one image's xp in abl_dcn_layer (hw: the map's):
 * abl_dcn_xp_pixels where the group planes are padded.  A macro that is
 * hw itself where no layer pads: a variable or a function there (the same
 * value) changed how gcc compiled the other kernels' attention (objdump:
 * L13, L20, L23 and blog L20 differed in register allocation). */
#if ABL_DLKA_GC8_PAD
#define ABL_DCN_XP_HW(d, hw) (abl_dlka_gc8_pad(d) ? abl_dcn_xp_pixels(d) : (hw))
#else
#define ABL_DCN_XP_HW(d, hw) (hw)
#endif

/* One DCNv3 layer over the batch: src -> dst (n c h w, contiguous images);
 * wp: its 12 weights (6.1 item 2 order); shared: abl_dcn_shared_floats;
 * priv: this thread's abl_dcn_priv_floats; pk: the layer's prepared packed
 * weights, or NULL to pack them into priv; ft: NULL, or the attention's
 * end to fuse into phase B (dst then unused).  Every thread calls it. */
ABL_DCN_SPECIALISE void abl_dcn_layer(struct abl_dcn_geom d, const float *const *wp, const float *src,
                                 float *dst, float *shared, float *priv, const float *pk,
                                 const struct abl_dlka_fused_tail *ft)
{
    _Static_assert(sizeof(int32_t) == sizeof(float), "the corner indices share the float workspace");
    const ptrdiff_t hw = (ptrdiff_t)d.h * d.w, img = d.c * hw;
    const int ntr = (d.h + d.tr - 1) / d.tr;
    float *xp = shared;
    if (!pk) { /* each thread its own copy: no barrier */
        abl_dcn_pack(d, wp, abl_dcn_pk_own(d, priv));
        pk = abl_dcn_pk_own(d, priv);
    }
#pragma omp for schedule(static)
    for (int job = 0; job < d.n * ntr; job++) {
        const int b = job / ntr;
        abl_dcn_phase_a(d, src + b * img, xp + b * ABL_DCN_XP_HW(d, hw) * d.c, priv, pk,
                        job % ntr * d.tr);
    }
#pragma omp for schedule(static)
    for (int job = 0; job < d.n * ntr; job++) {
        const int b = job / ntr;
        if (ft)
            abl_dcn_phase_b_tail(d, wp, src + b * img, xp + b * ABL_DCN_XP_HW(d, hw) * d.c, priv,
                                 pk, ft, b, job % ntr * d.tr);
        else
            abl_dcn_phase_b(d, wp, src + b * img, xp + b * ABL_DCN_XP_HW(d, hw) * d.c, priv, pk,
                            dst + b * img, job % ntr * d.tr);
    }
}

/* Where the folded conv1 lives in the attention's shared floats: after the
 * larger layer's abl_dcn_shared_floats. */
static inline ptrdiff_t abl_dlka_fold_at(struct abl_dcn_geom d0, struct abl_dcn_geom d1)
{
    const ptrdiff_t s0 = abl_dcn_shared_floats(d0), s1 = abl_dcn_shared_floats(d1);
    return s0 > s1 ? s0 : s1;
}

/* Prepared floats of one DCNv3 attention (abl_dlka_dcnv3_prepare): the
 * folded conv1 (abl_dlka_fold_floats), then each layer's packed weights
 * (abl_dcn_pk_floats).  gen/dlka.lua computes the same. */
static inline ptrdiff_t abl_dlka_dcnv3_prep_floats(struct abl_dcn_geom d0, struct abl_dcn_geom d1)
{
    return abl_dlka_fold_floats(d0.c) + abl_dcn_pk_floats(d0) + abl_dcn_pk_floats(d1);
}

/* What abl_dlka_dcnv3 makes from the weights alone, once into prep (a
 * kernel's ablate_kernel_prepare; every thread of the enclosing parallel
 * region calls it, whose end publishes it): each thread folds its share
 * of conv1's rows (abl_dlka_fold_share, as the forward), the first thread
 * packs layer 0, the last layer 1. */
ABL_DCN_SPECIALISE void abl_dlka_dcnv3_prepare(struct abl_dlka_geom g, struct abl_dcn_geom d0,
                                          struct abl_dcn_geom d1, const float *const *w,
                                          float *prep)
{
    const int nth = omp_get_num_threads(), me = omp_get_thread_num();
    float *pk0 = prep + abl_dlka_fold_floats(g.c), *pk1 = pk0 + abl_dcn_pk_floats(d0);
    abl_dlka_fold_share(g.c, w, prep);
    if (me == 0)
        abl_dcn_pack(d0, w + 2, pk0);
    if (me == nth - 1)
        abl_dcn_pack(d1, w + 14, pk1);
}

/* The DCNv3 attention (blog: two 3x3 layers; dcnv3_lka: 5x5, then 7x7
 * dilation 3): w its weights in state_dict order (proj_1 2, layer 0 12,
 * layer 1 12, conv1 2, proj_2 2); u, a0 shared n c h w each (a1, the
 * second layer's output, is never formed: abl_dlka_fused_tail); dshared:
 * the larger layer's abl_dcn_shared_floats, then abl_dlka_fold_floats;
 * priv: max of both layers' abl_dcn_priv_floats + abl_dlka_dw_cl_floats +
 * abl_dcn_om_tile_floats and c x the attention's widest tile; prep: what
 * abl_dlka_dcnv3_prepare made, or NULL to make it in this call (the fold
 * in dshared, the packing in priv). */
ABL_DCN_SPECIALISE void abl_dlka_dcnv3(struct abl_dlka_geom g, struct abl_dcn_geom d0,
                                  struct abl_dcn_geom d1, const float *const *w,
                                  struct abl_dlka_io io, float *u, float *a0, float *dshared,
                                  float *priv, const float *prep)
{
    const float *wf = prep, *pk0 = NULL, *pk1 = NULL;
    if (prep) {
        pk0 = prep + abl_dlka_fold_floats(g.c);
        pk1 = pk0 + abl_dcn_pk_floats(d0);
    } else {
        float *fold = dshared + abl_dlka_fold_at(d0, d1);
        /* the barriers of the loops below make the shares visible before
         * the last layer's phase B */
        abl_dlka_fold_share(g.c, w, fold);
        wf = fold;
    }
    abl_dlka_head(g, w, io, u);
    abl_dcn_layer(d0, w + 2, u, a0, dshared, priv, pk0, NULL);
    const struct abl_dlka_fused_tail ft = {wf, wf + ((ptrdiff_t)g.c * g.c + 15) / 16 * 16, w[28], w[29],
                                           u, io};
    abl_dcn_layer(d1, w + 14, a0, NULL, dshared, priv, pk1, &ft);
}

#endif
