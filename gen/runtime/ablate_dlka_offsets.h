/* gen/runtime/ablate_dlka_offsets.h — the official deformable_LKA_Attention's
 * offset convolutions (c -> 50, 5x5; c -> 98, 7x7 dilation 3) as direct
 * convolutions over a zero-padded channels-last copy of their input.
 *
 * As sgemm these are poor shapes: M = 50 or 98 output rows against a
 * K = 25 c or 49 c column panel that im2col first writes out (49 times the
 * feature map) and OpenBLAS then packs again.  Here the output channels are
 * the vector dimension: the weights are packed once per forward as
 * [tap][c][MPAD] (MPAD = M rounded up to whole register chunks, or to
 * whole vectors where at most ABL_OFF_LEFT_MAX outputs are left past the
 * chunks; zeros beyond M), and a register-blocked micro-kernel keeps P pixels x MB
 * vectors of accumulators while it walks (tap, channel): per step MB weight
 * vectors (reused by the P pixels) and P broadcast input values, which are
 * read straight from the padded copy — no panel, no packing, no borders;
 * taps that fall wholly in the padding for a block of pixels are skipped.
 * The reduction is cut into blocks of whole taps x a channel range whose
 * weights fit in L1 (ABL_OFF_BLOCK_BYTES: 28 KiB of the 32 measured 1-4 %
 * faster than 16 on the Zen 4 EPYC); a block's accumulators go to the
 * tile's output rows (in L2) and come back for the next block.
 *
 * Vectors are GCC vector extensions: with AVX-512 (32 vector registers,
 * -march=native) of 16 floats, with AVX2 (16 registers) of 8; the blocking
 * is chosen per CPU at compile time of the generated kernel.
 * The output is pixel-major: off[t][MPAD], row 2q the row offset of kernel
 * point q, 2q + 1 its column offset (torchvision's order). */
#ifndef ABLATE_RUNTIME_DLKA_OFFSETS_H
#define ABLATE_RUNTIME_DLKA_OFFSETS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ablate_gen.h"

typedef float abl_v8 __attribute__((vector_size(32), aligned(4)));

enum { ABL_OFF_VL = 8, ABL_OFF_BLOCK_BYTES = 28 * 1024, ABL_OFF_PMAX = 6, ABL_OFF_MBMAX = 13 };

/* Blocks of pixels whose taps-inside masks abl_off_tile holds at a time
 * (a test builds it with 2, so that a tile runs in many parts). */
#ifndef ABL_OFF_HITS
#define ABL_OFF_HITS 256
#endif

/* Register blocking, pixels x vectors of ABL_OFF_VW floats, of the 5x5
 * conv's 50 outputs (S) and the 7x7's 98 (L): accumulators + a broadcast
 * (the weights are FMA memory operands, from L1) fit the register file.
 * AVX-512 (2026-12-06, third Intel pass): vectors of 16, S 6 x 3 (48
 * wide) and L 4 x 6 (96 wide), the last 2 outputs of each by abl_off_left
 * (L17, 1 thread, CPU time: the block 25.2 -> 23.8 ms).  Before (2026-12-05
 * Intel pass, docs/modules/perf_deform.md): S 4 x 4 (64 wide), L 3 x 7
 * (112 wide): every FMA a full zmm, and the
 * P pixels reuse each weight vector P times (official block at L17, 1
 * thread, CPU time, pairs in one run: 6 x 4 / 4 x 7 33.1 ms against 30.5
 * for 4 x 4 / 3 x 7; 3 x 4 / 2 x 7 30.3 against 29.5).  The former AVX-512 blocking,
 * vectors of 8 at 3 x 7 (56 wide) and 1 x 13 (104 wide, chosen on the Zen 4
 * EPYC, whose AVX-512 FMAs run at half rate: a zmm FMA costs two ymm ones
 * there), ran every FMA at half width and, at 1 pixel, loaded one weight
 * vector per FMA: on an Intel Xeon with full-rate AVX-512 the 7x7 offset
 * conv ran at ~65 % of the sgemm's rate.  AVX2's 16 registers: vectors of
 * 8, 2 x 7 for both (56 and 112 wide).  Both L chunks are at most
 * ABL_OFF_MPAD_MAX (128) wide. */
#ifndef ABL_OFF_PS
#ifdef __AVX512F__
#define ABL_OFF_VW 16
#define ABL_OFF_PS 6
#define ABL_OFF_MBS 3
#define ABL_OFF_PL 4
#define ABL_OFF_MBL 6
#define ABL_OFF_PLD 3
#define ABL_OFF_SMALL_M 64
#define ABL_OFF_LEFT_MAX 2
#else
#define ABL_OFF_VW 8
#define ABL_OFF_PS 2
#define ABL_OFF_MBS 7
#define ABL_OFF_PL 2
#define ABL_OFF_MBL 7
#endif
#endif
#ifndef ABL_OFF_VW
#define ABL_OFF_VW ABL_OFF_VL
#endif
/* Pixels a block of the direct 7x7 conv (abl_off_chunk_l; F(2, 7) keeps
 * ABL_OFF_PL pairs). */
#ifndef ABL_OFF_PLD
#define ABL_OFF_PLD ABL_OFF_PL
#endif
#ifndef ABL_OFF_SMALL_M
#define ABL_OFF_SMALL_M (ABL_OFF_MBS * ABL_OFF_VW)
#endif
#ifndef ABL_OFF_LEFT_MAX
#define ABL_OFF_LEFT_MAX 0
#endif

/* p x mb: the register blocking; its chunks cover outputs [0, mfull),
 * the rest (left, at most ABL_OFF_LEFT_MAX) abl_off_left computes with
 * pixels as the vector lanes; mpad: the row width of the output and of the
 * packed weights (whole vectors, >= m). */
struct abl_off_block {
    int p, mb, mpad, mfull, left;
};

/* abl_off_blocking's choices as constant expressions, the one source for
 * the function and for kernels that test abl_off_wr_ok at compile time
 * (ABL_DLKA_OFF_WR_OK, ablate_dlka.h): the register block of an m-output
 * conv is the small one up to ABL_OFF_SMALL_M; a chunk is mb vectors; the
 * outputs past whole chunks are left to abl_off_left when at most
 * ABL_OFF_LEFT_MAX, else the last chunk is padded. */
#define ABL_OFF_IS_SMALL(m) ((m) <= ABL_OFF_SMALL_M)
#define ABL_OFF_CHUNK(m) ((ABL_OFF_IS_SMALL(m) ? ABL_OFF_MBS : ABL_OFF_MBL) * ABL_OFF_VW)
#define ABL_OFF_LEFT_FITS(m) ((m) % ABL_OFF_CHUNK(m) <= ABL_OFF_LEFT_MAX)
#define ABL_OFF_MFULL(m)                                                                           \
    (ABL_OFF_LEFT_FITS(m) ? (m) / ABL_OFF_CHUNK(m) * ABL_OFF_CHUNK(m)                              \
                          : ((m) + ABL_OFF_CHUNK(m) - 1) / ABL_OFF_CHUNK(m) * ABL_OFF_CHUNK(m))
/* Whether the blocking of an m-output conv is the large (small = 0) or the
 * small (small = 1) one, also where both are the same. */
#define ABL_OFF_BLOCK_IS_(m, small)                                                                \
    (ABL_OFF_IS_SMALL(m) == (small) || (ABL_OFF_PS == ABL_OFF_PL && ABL_OFF_MBS == ABL_OFF_MBL))

/* The blocking of an m-output conv.  With AVX-512 (third Intel pass,
 * docs/modules/perf_deform.md) the 5x5's 50 outputs are 6 pixels x 3
 * vectors (48) + 2 left over, the 7x7's 98 4 x 6 (96) + 2, where whole
 * chunks of 4 and 7 vectors (64 and 112 wide) spent 22 % and 12.5 % of
 * their multiply-adds on padding lanes. */
static inline struct abl_off_block abl_off_blocking(int m)
{
    const int small = ABL_OFF_IS_SMALL(m);
    struct abl_off_block b = {small ? ABL_OFF_PS : ABL_OFF_PL, small ? ABL_OFF_MBS : ABL_OFF_MBL, 0,
                              ABL_OFF_MFULL(m), 0};
    if (ABL_OFF_LEFT_FITS(m)) {
        b.left = m - b.mfull;
        b.mpad = (m + ABL_OFF_VW - 1) / ABL_OFF_VW * ABL_OFF_VW;
    } else {
        b.mpad = b.mfull;
    }
    return b;
}

/* Largest MPAD of the two offset convs (the workspace plan's bound: k^2 c
 * MPAD_MAX floats hold the packed weights, k^2 c mpad, and abl_off_left's
 * copy of the left-over outputs' weights, k^2 c ABL_OFF_LEFT_MAX). */
enum { ABL_OFF_MPAD_MAX = 128 };

/* out[p][0 .. MB vectors) (+)= sum over the block's taps q < ntap and
 * channels c < kc of x[p] + toff[q] + c times wb[(q cstride + c) ldw + ..];
 * x: P pixel pointers into the padded source (already at the first
 * channel), first: start from bias instead of out.  P <= PMAX pixels,
 * MB <= ABL_OFF_MBMAX vectors of VL floats.  Instantiated here for these
 * offset convs (abl_off_micro); gen/templates/akconv_direct.c.in makes
 * its own with 12 pixels and, with AVX-512, vectors of 16 (abl_v16: half
 * the instructions and loads per FMA lane).  PMAX 12 here crashed the
 * D-LKA kernels' tests: gen/dlka.lua's OFF_PMAX (the private offsets
 * buffer's spare rows) must be changed with it.  The body is shared by
 * the micro-kernel's two forms below; ROW(p) names pixel p's output row
 * (read at the start unless first, written at the end). */
#define ABL_OFF_MICRO_BODY(VT, VL, PMAX, ROW)                                                     \
    VT acc[PMAX][ABL_OFF_MBMAX];                                                                  \
    _Pragma("GCC unroll 16") for (int p = 0; p < P; p++)                                          \
        _Pragma("GCC unroll 16") for (int j = 0; j < MB; j++)                                     \
            acc[p][j] = *(const VT *)((first ? bias : ROW(p)) + j * VL);                          \
    for (int q = 0; q < ntap; q++) {                                                              \
        const float *w = wb + q * wtap;                                                           \
        const ptrdiff_t o = toff[q];                                                              \
        for (int c = 0; c < kc; c++, w += ldw) {                                                  \
            VT wv[ABL_OFF_MBMAX];                                                                 \
            _Pragma("GCC unroll 16") for (int j = 0; j < MB; j++)                                 \
                wv[j] = *(const VT *)(w + j * VL);                                                \
            _Pragma("GCC unroll 16") for (int p = 0; p < P; p++)                                  \
            {                                                                                     \
                const float xv = x[p][o + c];                                                     \
                _Pragma("GCC unroll 16") for (int j = 0; j < MB; j++)                             \
                    acc[p][j] += wv[j] * xv;                                                      \
            }                                                                                     \
        }                                                                                         \
    }                                                                                             \
    _Pragma("GCC unroll 16") for (int p = 0; p < P; p++)                                          \
        _Pragma("GCC unroll 16") for (int j = 0; j < MB; j++)                                     \
            *(VT *)(ROW(p) + j * VL) = acc[p][j];

/* Output row p of the strided form, and of the listed form below. */
#define ABL_OFF_ROW_STRIDED(p) (out + (p) * ldo)
#define ABL_OFF_ROW_LISTED(p) (orow[(p)])

#define ABL_OFF_MICRO_DEF(NAME, VT, VL, PMAX)                                                     \
    static inline __attribute__((always_inline)) void NAME(                                       \
        const int P, const int MB, const float *const *x, const ptrdiff_t *toff, int ntap, int kc, \
        const float *wb, ptrdiff_t wtap, ptrdiff_t ldw, const float *bias, int first, float *out, \
        ptrdiff_t ldo)                                                                            \
    {                                                                                             \
        ABL_OFF_MICRO_BODY(VT, VL, PMAX, ABL_OFF_ROW_STRIDED)                                     \
    }

ABL_OFF_MICRO_DEF(abl_off_micro, abl_v8, ABL_OFF_VL, ABL_OFF_PMAX)
#ifdef __AVX512F__
typedef float abl_v16 __attribute__((vector_size(64), aligned(4)));
ABL_OFF_MICRO_DEF(abl_off_micro16, abl_v16, 16, ABL_OFF_PMAX)
#endif

/* The same micro-kernel with one output row pointer a pixel (orow[p]
 * instead of out + p ldo): the direct conv's blocks of pixels grouped by
 * their taps inside (abl_off_order) are not consecutive rows of the tile.
 * The rows are read and written only at the call's start and end. */
#define ABL_OFF_MICRO_ROWS_DEF(NAME, VT, VL, PMAX)                                                \
    static inline __attribute__((always_inline)) void NAME(                                       \
        const int P, const int MB, const float *const *x, const ptrdiff_t *toff, int ntap, int kc, \
        const float *wb, ptrdiff_t wtap, ptrdiff_t ldw, const float *bias, int first,             \
        float *const *orow)                                                                       \
    {                                                                                             \
        ABL_OFF_MICRO_BODY(VT, VL, PMAX, ABL_OFF_ROW_LISTED)                                      \
    }

ABL_OFF_MICRO_ROWS_DEF(abl_off_micro_rows, abl_v8, ABL_OFF_VL, ABL_OFF_PMAX)
#ifdef __AVX512F__
ABL_OFF_MICRO_ROWS_DEF(abl_off_micro_rows16, abl_v16, 16, ABL_OFF_PMAX)
#endif

/* The next run [*q, *r) of consecutive set bits of HIT below N, searched
 * from *q (taps inside for some pixel of a block: one micro-kernel call per
 * run of such taps); 0 when no set bit is left. */
static inline int abl_off_next_run(uint64_t hit, int n, int *q, int *r)
{
    while (*q < n && !(hit >> *q & 1))
        (*q)++;
    if (*q >= n)
        return 0;
    *r = *q + 1;
    while (*r < n && (hit >> *r & 1))
        (*r)++;
    return 1;
}

/* abl_off_micro at the blocking's vector width (ABL_OFF_VW). */
static inline __attribute__((always_inline)) void
abl_off_micro_vw(const int P, const int MB, const float *const *x, const ptrdiff_t *toff, int ntap,
                 int kc, const float *wb, ptrdiff_t wtap, ptrdiff_t ldw, const float *bias,
                 int first, float *out, ptrdiff_t ldo)
{
#if defined(__AVX512F__) && ABL_OFF_VW == 16
    abl_off_micro16(P, MB, x, toff, ntap, kc, wb, wtap, ldw, bias, first, out, ldo);
#else
    abl_off_micro(P, MB, x, toff, ntap, kc, wb, wtap, ldw, bias, first, out, ldo);
#endif
}

/* abl_off_micro_rows at the blocking's vector width. */
static inline __attribute__((always_inline)) void
abl_off_micro_rows_vw(const int P, const int MB, const float *const *x, const ptrdiff_t *toff,
                      int ntap, int kc, const float *wb, ptrdiff_t wtap, ptrdiff_t ldw,
                      const float *bias, int first, float *const *orow)
{
#if defined(__AVX512F__) && ABL_OFF_VW == 16
    abl_off_micro_rows16(P, MB, x, toff, ntap, kc, wb, wtap, ldw, bias, first, orow);
#else
    abl_off_micro_rows(P, MB, x, toff, ntap, kc, wb, wtap, ldw, bias, first, orow);
#endif
}

/* One offset conv's geometry: c input channels over an h x w map held as
 * a padded channels-last copy (rows of wp = w + 2 pad pixels, pad rows
 * above and below), k x k taps at dilation dil, m outputs. */
struct abl_off_geom {
    int c, h, w, k, dil, pad, m;
};

/* wpk[tap][ch][mpad] = wt[o][ch][tap] (zero for o >= m), bpad[mpad] = bias
 * (zero-padded); taps [t0, t1) only (threads share the packing). */
static inline void abl_off_pack(struct abl_off_geom g, int mpad, const float *wt, const float *bias,
                                int t0, int t1, float *wpk, float *bpad)
{
    const int kk = g.k * g.k;
    const struct abl_off_block b = abl_off_blocking(g.m);
    float *wl = wpk + (ptrdiff_t)kk * g.c * mpad; /* abl_off_left's copy */
    for (int t = t0; t < t1; t++)
        for (int ch = 0; ch < g.c; ch++) {
            float *dst = wpk + ((ptrdiff_t)t * g.c + ch) * mpad;
            for (int o = 0; o < mpad; o++)
                dst[o] = o < g.m ? wt[((ptrdiff_t)o * g.c + ch) * kk + t] : 0.0f;
            for (int o = 0; o < b.left; o++)
                wl[((ptrdiff_t)t * g.c + ch) * ABL_OFF_LEFT_MAX + o] = dst[b.mfull + o];
        }
    if (t0 == 0)
        for (int o = 0; o < mpad; o++)
            bpad[o] = o < g.m ? bias[o] : 0.0f;
}

/* The padded source: xpad (h + 2 pad) x (w + 2 pad) x c of one image x
 * (c x h x w), padded rows [r0, r1). */
static inline void abl_off_pad_rows(struct abl_off_geom g, const float *x, int r0, int r1,
                                    float *xpad)
{
    const int wp = g.w + 2 * g.pad;
    const ptrdiff_t pix = (ptrdiff_t)g.h * g.w;
    for (int r = r0; r < r1; r++) {
        float *row = xpad + (ptrdiff_t)r * wp * g.c;
        const int iy = r - g.pad;
        if (iy < 0 || iy >= g.h) {
            memset(row, 0, sizeof(float) * wp * g.c);
            continue;
        }
        memset(row, 0, sizeof(float) * g.pad * g.c);
        memset(row + (ptrdiff_t)(g.pad + g.w) * g.c, 0, sizeof(float) * g.pad * g.c);
        abl_transpose(x + (ptrdiff_t)iy * g.w, pix, row + (ptrdiff_t)g.pad * g.c, g.c, g.c, g.w);
    }
}

/* Bit t set (t < k^2 <= 64): tap t of some pixel pix0 .. pix1 (flat
 * indices in the image) samples inside the map.  A tap outside reads only
 * the zero padding: the 7x7 dilation-3 conv over a 20 x 20 map (YOLOv5n's
 * P5) has 45 % of its taps there, over 40 x 40 24 %.  Once per block of
 * pixels for all taps (abl_off_tile keeps one mask a block): a mask per
 * (block, reduction block) with a division per (pixel, tap) was 5 % of
 * the offset convs' time (Intel Xeon, L17, 1 thread, perf). */
static inline uint64_t abl_off_taps_inside(struct abl_off_geom g, int pix0, int pix1)
{
    uint64_t hit = 0;
    int oy = pix0 / g.w - g.pad, ox = pix0 % g.w - g.pad;
    for (int pix = pix0; pix <= pix1; pix++) {
        uint64_t rows = 0, cols = 0; /* bit i: kernel row / column i inside */
        for (int i = 0; i < g.k; i++) {
            rows |= (uint64_t)((unsigned)(oy + i * g.dil) < (unsigned)g.h) << i;
            cols |= (uint64_t)((unsigned)(ox + i * g.dil) < (unsigned)g.w) << i;
        }
        for (int i = 0; i < g.k; i++)
            if (rows >> i & 1)
                hit |= cols << (i * g.k);
        if (++ox == g.w - g.pad) {
            ox = -g.pad;
            oy++;
        }
    }
    return hit;
}

/* A pixel's taps-inside mask and its index in the tile's part. */
struct abl_off_pm {
    uint64_t m;
    int t;
};

static int abl_off_pm_cmp(const void *pa, const void *pb)
{
    const struct abl_off_pm *a = pa, *b = pb;
    return a->m != b->m ? (a->m < b->m ? -1 : 1) : (a->t > b->t) - (a->t < b->t);
}

/* Remainders: the most taps first, then as above (a block of them sums
 * the union of its pixels' taps, so alike ones go together). */
static int abl_off_pm_cmp_rem(const void *pa, const void *pb)
{
    const struct abl_off_pm *a = pa, *b = pb;
    const int na = __builtin_popcountll(a->m), nb = __builtin_popcountll(b->m);
    return na != nb ? nb - na : abl_off_pm_cmp(pa, pb);
}

/* The order in which the direct conv takes pixels pix0 .. pix0 + n - 1
 * (n <= ABL_OFF_HITS P) in blocks of P: ord[i] the i-th pixel's index
 * (from 0), hits[i / P] the union of block i / P's taps-inside masks.
 * Pixels with the same taps inside go in whole blocks (a block sums the
 * union of its pixels' taps, every pixel's products with the padding's
 * zeros included); the left-over ones after them, the most taps first.
 * Consecutive pixels in blocks of 4 summed 61.6 % of the 7x7 dilation-3
 * conv's taps at 20 x 20 (L23, tiles of 10 rows), where 55.2 % are
 * inside (a taps-inside mask changes every 1-3 columns there); grouped
 * in blocks of 3 (ABL_OFF_PLD), 55.7 %.  Where the
 * tile's own order sums no more taps it is kept.  The order changes no
 * sum: a skipped tap adds an exact zero. */
static inline void abl_off_order(struct abl_off_geom g, int pix0, int n, int P, int *ord,
                                 uint64_t *hits)
{
    struct abl_off_pm pm[ABL_OFF_HITS * ABL_OFF_PMAX];
    for (int t = 0; t < n; t++) {
        pm[t].m = abl_off_taps_inside(g, pix0 + t, pix0 + t);
        pm[t].t = t;
    }
    qsort(pm, (size_t)n, sizeof pm[0], abl_off_pm_cmp);
    int nw = 0, nrem = 0; /* whole blocks in place at the front, left-overs after them */
    struct abl_off_pm rem[ABL_OFF_HITS * ABL_OFF_PMAX];
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && pm[j].m == pm[i].m)
            j++;
        const int whole = (j - i) / P * P;
        for (int k = i; k < i + whole; k++)
            pm[nw++] = pm[k];
        for (int k = i + whole; k < j; k++)
            rem[nrem++] = pm[k];
        i = j;
    }
    qsort(rem, (size_t)nrem, sizeof rem[0], abl_off_pm_cmp_rem);
    memcpy(pm + nw, rem, sizeof rem[0] * (size_t)nrem);
    /* taps summed (P x the union's, a block) this way and in the tile's
     * order: the fewer wins (2-pixel blocks at 20 x 20: consecutive ones
     * already sum 57.3 %, the groups' left-overs more) */
    long grouped = 0, linear = 0;
    for (int i = 0; i < n; i++) {
        ord[i] = pm[i].t;
        if (i % P == 0)
            hits[i / P] = 0;
        hits[i / P] |= pm[i].m;
        if (i % P == P - 1 || i == n - 1)
            grouped += (long)P * __builtin_popcountll(hits[i / P]);
    }
    uint64_t lin[ABL_OFF_HITS];
    for (int t = 0; t < n; t += P) {
        lin[t / P] = abl_off_taps_inside(g, pix0 + t, pix0 + (t + P < n ? t + P : n) - 1);
        linear += (long)P * __builtin_popcountll(lin[t / P]);
    }
    if (linear <= grouped)
        for (int t = 0; t < n; t++) {
            ord[t] = t;
            hits[t / P] = lin[t / P];
        }
}

/* One register chunk (MB vectors at m0) over np pixels of the tile, for
 * one reduction block (taps [t0, t0 + ntap), channels [c0, c0 + kc)).
 * The pixels in abl_off_order's order (ord: tile indices), in blocks of
 * P; per block only the runs of taps that reach inside the map for some
 * of its pixels (hits[block]) are summed (the others multiply zeros); a
 * block with none in the first reduction block starts from the bias. */
static inline __attribute__((always_inline)) void
abl_off_chunk(const int P, const int MB, struct abl_off_geom g, int mpad, const float *xpad,
              const int *base, const int *ord, const uint64_t *hits, int np,
              const ptrdiff_t *toff, int t0, int ntap, int c0, int kc, const float *wb,
              const float *bias, int first, float *out)
{
    const ptrdiff_t wtap = (ptrdiff_t)g.c * mpad;
    const uint64_t all = ntap < 64 ? ((uint64_t)1 << ntap) - 1 : ~(uint64_t)0;
    for (int t = 0; t < np; t += P) {
        const float *x[ABL_OFF_PMAX];
        float *o[ABL_OFF_PMAX];
#pragma GCC unroll 16
        for (int p = 0; p < P; p++) { /* past the tile's end: its last pixel again (same row, same sum) */
            const int i = ord[t + p < np ? t + p : np - 1];
            x[p] = xpad + base[i] + c0;
            o[p] = out + (ptrdiff_t)i * mpad;
        }
        const uint64_t hit = hits[t / P] >> t0 & all;
        if (hit == all) {
            abl_off_micro_rows_vw(P, MB, x, toff, ntap, kc, wb, wtap, mpad, bias, first, o);
            continue;
        }
        int started = 0;
        for (int q = 0, r; abl_off_next_run(hit, ntap, &q, &r); q = r) {
            abl_off_micro_rows_vw(P, MB, x, toff + q, r - q, kc, wb + q * wtap, wtap, mpad, bias,
                                  first && !started, o);
            started = 1;
        }
        if (first && !started)
            for (int p = 0; p < P; p++)
                memcpy(o[p], bias, sizeof(float) * MB * ABL_OFF_VW);
    }
}

/* abl_off_chunk at the two blockings, each a function of its own: inlined
 * into abl_off_tile, gcc kept 4 of the 5x5 chunk's 6 pixel pointers in the
 * stack frame and reloaded them every channel step. */
static __attribute__((noinline)) void
abl_off_chunk_s(struct abl_off_geom g, int mpad, const float *xpad, const int *base,
                const int *ord, const uint64_t *hits, int np, const ptrdiff_t *toff, int t0,
                int ntap, int c0, int kc, const float *wb, const float *bias, int first, float *out)
{
    abl_off_chunk(ABL_OFF_PS, ABL_OFF_MBS, g, mpad, xpad, base, ord, hits, np, toff, t0, ntap, c0,
                  kc, wb, bias, first, out);
}

static __attribute__((noinline)) void
abl_off_chunk_l(struct abl_off_geom g, int mpad, const float *xpad, const int *base,
                const int *ord, const uint64_t *hits, int np, const ptrdiff_t *toff, int t0,
                int ntap, int c0, int kc, const float *wb, const float *bias, int first, float *out)
{
    abl_off_chunk(ABL_OFF_PLD, ABL_OFF_MBL, g, mpad, xpad, base, ord, hits, np, toff, t0, ntap,
                  c0, kc, wb, bias, first, out);
}

#if ABL_OFF_LEFT_MAX > 0
#include <immintrin.h>

enum { ABL_OFF_LSEG = 4 }; /* row segments of 16 pixels at a time: 4 x left chains in flight */

/* acc[sg][o] += w[ch][o] x (segment sg's 16 pixels of channel ch), for
 * channels 0 .. c - 1 in order.  The accumulators are copied into
 * variables for the loop: indexed in place, gcc kept them in the stack
 * frame and stored and reloaded all eight every channel, so each chain
 * waited on store forwarding (Intel Xeon, 1 thread: 40-56 GFLOP/s at
 * L17 / L13 / L23 sizes, 56-75 this way; same sums in the same order).
 * What is left is the masked unaligned loads, two lines each (a copy of
 * x with each row's channels adjacent measured the same). */
static inline __attribute__((always_inline)) void
abl_off_left_channels(int c, ptrdiff_t pix, const __mmask16 *mk, const float *const *src,
                      const float *w, __m512 acc[ABL_OFF_LSEG][ABL_OFF_LEFT_MAX])
{
    _Static_assert(ABL_OFF_LSEG == 4 && ABL_OFF_LEFT_MAX == 2, "one variable per accumulator");
    __m512 a00 = acc[0][0], a01 = acc[0][1], a10 = acc[1][0], a11 = acc[1][1];
    __m512 a20 = acc[2][0], a21 = acc[2][1], a30 = acc[3][0], a31 = acc[3][1];
    for (int ch = 0; ch < c; ch++, w += ABL_OFF_LEFT_MAX) {
        const __m512 w0 = _mm512_set1_ps(w[0]), w1 = _mm512_set1_ps(w[1]);
        const __m512 v0 = _mm512_maskz_loadu_ps(mk[0], src[0] + ch * pix);
        const __m512 v1 = _mm512_maskz_loadu_ps(mk[1], src[1] + ch * pix);
        const __m512 v2 = _mm512_maskz_loadu_ps(mk[2], src[2] + ch * pix);
        const __m512 v3 = _mm512_maskz_loadu_ps(mk[3], src[3] + ch * pix);
        a00 = _mm512_fmadd_ps(w0, v0, a00);
        a01 = _mm512_fmadd_ps(w1, v0, a01);
        a10 = _mm512_fmadd_ps(w0, v1, a10);
        a11 = _mm512_fmadd_ps(w1, v1, a11);
        a20 = _mm512_fmadd_ps(w0, v2, a20);
        a21 = _mm512_fmadd_ps(w1, v2, a21);
        a30 = _mm512_fmadd_ps(w0, v3, a30);
        a31 = _mm512_fmadd_ps(w1, v3, a31);
    }
    acc[0][0] = a00, acc[0][1] = a01, acc[1][0] = a10, acc[1][1] = a11;
    acc[2][0] = a20, acc[2][1] = a21, acc[3][0] = a30, acc[3][1] = a31;
}

/* off[t][m0 + o] (o < left <= ABL_OFF_LEFT_MAX) for the tile's pixels,
 * with pixels as the vector lanes: per segment of up to 16 pixels of one
 * image row, each lane sums its (tap, channel) terms in the order the
 * register chunks do (taps, then channels, from the bias), reading the
 * planar source x (c x h x w) with masked loads (zeros outside the map,
 * where the chunks read the padding); the weights wpk[(tap c + ch) mpad +
 * m0 + o] broadcast from abl_off_pack's contiguous copy of them (wl,
 * after the packed weights: in the mpad-wide rows every (tap, channel)
 * is a cache line of its own).  The same values as a wider chunk's lanes gave (a tap
 * the chunks skip for a block of pixels adds an exact zero here). */
static inline void abl_off_left(struct abl_off_geom g, const float *x, const float *wpk,
                                const float *bpad, int mpad, int m0, int left, int p0, int np,
                                float *off)
{
    const int kk = g.k * g.k;
    const ptrdiff_t pix = (ptrdiff_t)g.h * g.w;
    for (int t = 0; t < np;) {
        int s0[ABL_OFF_LSEG] = {0}, len[ABL_OFF_LSEG] = {0}, oy[ABL_OFF_LSEG] = {0};
        int ox[ABL_OFF_LSEG] = {0}, ns = 0; /* segments past ns: zeros, masked off below */
        for (; ns < ABL_OFF_LSEG && t < np; ns++) { /* each segment within one row */
            const int pp = p0 + t, row_left = g.w - pp % g.w;
            s0[ns] = t;
            oy[ns] = pp / g.w;
            ox[ns] = pp % g.w;
            len[ns] = row_left < 16 ? row_left : 16;
            if (len[ns] > np - t)
                len[ns] = np - t;
            t += len[ns];
        }
        __m512 acc[ABL_OFF_LSEG][ABL_OFF_LEFT_MAX];
        for (int sg = 0; sg < ABL_OFF_LSEG; sg++)
            for (int o = 0; o < ABL_OFF_LEFT_MAX; o++)
                acc[sg][o] = _mm512_set1_ps(o < left ? bpad[m0 + o] : 0.0f);
        for (int tap = 0; tap < kk; tap++) {
            const int dy = tap / g.k * g.dil - g.pad, dx = tap % g.k * g.dil - g.pad;
            __mmask16 mk[ABL_OFF_LSEG];
            const float *src[ABL_OFF_LSEG];
            for (int sg = 0; sg < ABL_OFF_LSEG; sg++) {
                const int yy = oy[sg] + dy, x0 = ox[sg] + dx;
                /* lanes l < len with 0 <= x0 + l < w */
                const int lo = x0 < 0 ? -x0 : 0, hi = g.w - x0 < len[sg] ? g.w - x0 : len[sg];
                mk[sg] = 0;
                src[sg] = x;
                if (sg < ns && yy >= 0 && yy < g.h && lo < hi) {
                    mk[sg] = (__mmask16)((((1u << (hi - lo)) - 1)) << lo);
                    /* lane 0's address; lanes below lo are masked off (no access), and
                     * the address is formed as an integer, not out-of-bounds pointer
                     * arithmetic */
                    src[sg] = (const float *)((uintptr_t)(x + (ptrdiff_t)yy * g.w + x0 + lo) -
                                              (uintptr_t)lo * sizeof(float));
                }
            }
            const float *w = wpk + (ptrdiff_t)kk * g.c * mpad + (ptrdiff_t)tap * g.c * ABL_OFF_LEFT_MAX;
            abl_off_left_channels(g.c, pix, mk, src, w, acc);
        }
        for (int sg = 0; sg < ns; sg++) {
            float lane[ABL_OFF_LEFT_MAX][16];
            for (int o = 0; o < ABL_OFF_LEFT_MAX; o++)
                _mm512_storeu_ps(lane[o], acc[sg][o]);
            for (int l = 0; l < len[sg]; l++)
                for (int o = 0; o < left; o++)
                    off[(ptrdiff_t)(s0[sg] + l) * mpad + m0 + o] = lane[o][l];
        }
    }
}
#endif

/* ---- The offset convs by Winograd F(2, k) along rows ----
 *
 * A dilation-d conv is d^2 ordinary convs over the (row mod d, column mod
 * d) phases: outputs x and x + d of one row read the same kernel rows and
 * k + 1 columns x + d j (j <= k) of each.  Per kernel row i, F(2, k) makes
 * both from k + 1 products of transformed inputs V[s] = (B^T d)[s] and
 * transformed weights U[s][i] = (G w_i)[s], then out = A^T M, M[s] the sum
 * over (i, channel) of U V: (k + 1) k products a pair of pixels where the
 * direct conv needs 2 k^2 (7x7 dilation 3: 56 / 98; 5x5: 30 / 50).  Each
 * M[s] is a GEMM over (kernel row, channel) like the direct conv's, so the
 * same register-blocked micro-kernel runs it at the conv's blocking (pairs
 * as its "pixels", kernel rows as its "taps").
 *
 * Points: F(2, 7) 0, 1, -1, 2, -2, 1/2, -1/2, inf (B^T is F(6, 3)'s input
 * transform), F(2, 5) 0, 1, -1, 2, -2, inf (F(4, 3)'s); G's rows scaled so
 * that B^T's entries are F(6, 3)'s / F(4, 3)'s usual ones.  A^T = (1 .. 1
 * 0; the points .. 1).
 *
 * Pairs: each run of a tile's pixels within one image row, from its first
 * pixel, in groups of 2 d: (x, x + d) for the group's first d.  The last
 * group of a run may be short: a first pixel whose partner x + d lies past
 * the run still makes a pair, and its partner's output is not stored
 * ("phantom"; past the row's end it reads the zero padding of the next
 * padded row, past the last padded row ABL_OFF_WR_SLACK zero floats).
 * So every pixel is in a pair and no direct path is needed beside it. */
enum {
    ABL_OFF_WR_NB = 96,   /* pairs per block: M (NB (k + 1) mfull) and V in L2 */
    ABL_OFF_WR_WMAX = 112 /* the widest mfull (AVX2: 2 chunks of 56) */
};

/* Floats of a conv's transformed weights ((k + 1) points x k kernel rows x
 * c x mfull, bounded by ABL_OFF_WR_WMAX), of the zero slack past the
 * padded source (a phantom partner reads d columns, d c floats, past a
 * padded row; d <= 3), and of one thread's scratch (V: NB pairs x 8 points
 * x the rows of a reduction block x c; M: NB x 8 x mfull). */
static inline ptrdiff_t abl_off_wr_weight_floats(int k, int c)
{
    /* (k + 1)^2 points: room for the 7x7's 2-D F(2x2, 7) (abl_off_w2_pack) */
    return (ptrdiff_t)(k + 1) * (k + 1) * c * ABL_OFF_WR_WMAX;
}

static inline ptrdiff_t abl_off_wr_slack_floats(int c) { return (ptrdiff_t)3 * c; }

/* Kernel rows per reduction block: their weights for one point and one
 * register chunk fit ABL_OFF_BLOCK_BYTES (at least 1, then channels split). */
static inline int abl_off_wr_rows(int k, int c)
{
    const struct abl_off_block b = abl_off_blocking(2 * k * k);
    const ptrdiff_t row_bytes = (ptrdiff_t)c * b.mb * ABL_OFF_VW * sizeof(float);
    const int r = (int)(ABL_OFF_BLOCK_BYTES / row_bytes);
    return r < 1 ? 1 : r > k ? k : r;
}

/* (abl_off_wr_rows(k, c) c <= max(c, 160) on every blocking: 28 KiB over
 * rows of 48 floats is 149 channels; the bound gen/dlka.lua can compute
 * without knowing the CPU) */
/* Quads a block of the 2-D F(2x2, k) (abl_off_tile_w2): a multiple of
 * every blocking's pixels (4, 6; AVX2 2), whose register blocks of P
 * quads fill whole rows of M. */
enum { ABL_OFF_W2_NQ = 132 };
_Static_assert(ABL_OFF_W2_NQ % ABL_OFF_PS == 0 && ABL_OFF_W2_NQ % ABL_OFF_PL == 0,
               "whole register blocks of quads in a block");

static inline ptrdiff_t abl_off_wr_scratch_floats(int c)
{
    const ptrdiff_t wr = (ptrdiff_t)ABL_OFF_WR_NB * 8 * ((c > 160 ? c : 160) + ABL_OFF_WR_WMAX);
    /* abl_off_w2_block: V and M of one point row (8 NQ c, 8 NQ mfull), Y (4 NQ mfull) */
    const ptrdiff_t w2 = (ptrdiff_t)ABL_OFF_W2_NQ * (8 * c + 12 * ABL_OFF_WR_WMAX);
    return wr > w2 ? wr : w2;
}

/* G[s][j] of the weight transform: F(2, 7)'s 8 x 7 (k 7), F(2, 5)'s 6 x 5
 * (k 5); the row and 2-D packings below both take it from here. */
static inline double abl_off_g(int k, int s, int j)
{
    static const double G7[8][7] = {
        {1, 0, 0, 0, 0, 0, 0},
        {-2. / 9, -2. / 9, -2. / 9, -2. / 9, -2. / 9, -2. / 9, -2. / 9},
        {-2. / 9, 2. / 9, -2. / 9, 2. / 9, -2. / 9, 2. / 9, -2. / 9},
        {1. / 90, 1. / 45, 2. / 45, 4. / 45, 8. / 45, 16. / 45, 32. / 45},
        {1. / 90, -1. / 45, 2. / 45, -4. / 45, 8. / 45, -16. / 45, 32. / 45},
        {32. / 45, 16. / 45, 8. / 45, 4. / 45, 2. / 45, 1. / 45, 1. / 90},
        {32. / 45, -16. / 45, 8. / 45, -4. / 45, 2. / 45, -1. / 45, 1. / 90},
        {0, 0, 0, 0, 0, 0, 1}};
    static const double G5[6][5] = {{1. / 4, 0, 0, 0, 0},
                                    {-1. / 6, -1. / 6, -1. / 6, -1. / 6, -1. / 6},
                                    {-1. / 6, 1. / 6, -1. / 6, 1. / 6, -1. / 6},
                                    {1. / 24, 1. / 12, 1. / 6, 1. / 3, 2. / 3},
                                    {1. / 24, -1. / 12, 1. / 6, -1. / 3, 2. / 3},
                                    {0, 0, 0, 0, 1}};
    return k == 7 ? G7[s][j] : G5[s][j];
}

/* uw[s][i][ch][mfull] = sum_j G[s][j] wt[o][ch][i k + j] (o < m = 2 k^2,
 * zeros up to mfull), in double; (s, i) pairs si0 .. si1 - 1 (s k + i),
 * so that threads share the packing. */
static inline void abl_off_wr_pack(int k, int c, const float *wt, int si0, int si1, float *uw)
{
    const int m = 2 * k * k, kk = k * k, mfull = abl_off_blocking(m).mfull;
    for (int si = si0; si < si1; si++) {
        const int s = si / k, i = si % k;
        for (int ch = 0; ch < c; ch++) {
            float *dst = uw + ((ptrdiff_t)si * c + ch) * mfull;
            for (int o = 0; o < mfull; o++) {
                double v = 0;
                if (o < m)
                    for (int j = 0; j < k; j++)
                        v += abl_off_g(k, s, j) * wt[((ptrdiff_t)o * c + ch) * kk + i * k + j];
                dst[o] = (float)v;
            }
        }
    }
}

/* v[s] = (B^T d)[s] for 8 inputs d (F(6, 3)'s input transform, 26
 * multiply-adds), for 6 (F(4, 3)'s, 12); T a float or a vector of floats. */
#define ABL_OFF_BT8(T, d, v)                                                                     \
    do {                                                                                         \
        const T t_42 = (d)[4] - (d)[2], t_35 = (d)[3] - (d)[5];                                   \
        (v)[0] = ((d)[0] - (d)[6]) + 5.25f * t_42;                                                \
        (v)[7] = ((d)[7] - (d)[1]) + 5.25f * t_35;                                                \
        T a = ((d)[2] + (d)[6]) - 4.25f * (d)[4], b = ((d)[1] + (d)[5]) - 4.25f * (d)[3];          \
        (v)[1] = a + b;                                                                          \
        (v)[2] = a - b;                                                                          \
        a = (0.25f * (d)[2] + (d)[6]) - 1.25f * (d)[4];                                          \
        b = (0.5f * (d)[1] - 2.5f * (d)[3]) + 2.0f * (d)[5];                                     \
        (v)[3] = a + b;                                                                          \
        (v)[4] = a - b;                                                                          \
        a = (4.0f * (d)[2] + (d)[6]) - 5.0f * (d)[4];                                            \
        b = (2.0f * (d)[1] - 2.5f * (d)[3]) + 0.5f * (d)[5];                                     \
        (v)[5] = a + b;                                                                          \
        (v)[6] = a - b;                                                                          \
    } while (0)

#define ABL_OFF_BT6(T, d, v)                                                                     \
    do {                                                                                         \
        (v)[0] = (4.0f * (d)[0] - 5.0f * (d)[2]) + (d)[4];                                       \
        (v)[5] = (4.0f * (d)[1] - 5.0f * (d)[3]) + (d)[5];                                       \
        T a = (d)[4] - 4.0f * (d)[2], b = (d)[3] - 4.0f * (d)[1];                                \
        (v)[1] = a + b;                                                                          \
        (v)[2] = a - b;                                                                          \
        a = (d)[4] - (d)[2];                                                                     \
        b = 2.0f * ((d)[3] - (d)[1]);                                                            \
        (v)[3] = a + b;                                                                          \
        (v)[4] = a - b;                                                                          \
    } while (0)

/* The input transform of F(2, K): ABL_OFF_BT8 for K 7, ABL_OFF_BT6 for 5. */
#define ABL_OFF_BT(K, T, d, v)                                                                   \
    do {                                                                                         \
        if ((K) == 7)                                                                            \
            ABL_OFF_BT8(T, d, v);                                                                \
        else                                                                                     \
            ABL_OFF_BT6(T, d, v);                                                                \
    } while (0)

/* V[pair][s][ch] of one kernel row for c channels: src the pair's first
 * input (padded source, the row's first column), column step cs floats;
 * K + 1 points. */
static inline __attribute__((always_inline)) void abl_off_wr_in(const int K, int c,
                                                                const float *src, ptrdiff_t cs,
                                                                float *v)
{
    typedef float vt __attribute__((vector_size(ABL_OFF_VW * 4), aligned(4)));
    int ch = 0;
    for (; ch + ABL_OFF_VW <= c; ch += ABL_OFF_VW) {
        vt d[8], r[8];
#pragma GCC unroll 8
        for (int j = 0; j <= K; j++)
            d[j] = *(const vt *)(src + j * cs + ch);
        ABL_OFF_BT(K, vt, d, r);
#pragma GCC unroll 8
        for (int s = 0; s <= K; s++)
            *(vt *)(v + (ptrdiff_t)s * c + ch) = r[s];
    }
    for (; ch < c; ch++) {
        float d[8], r[8];
        for (int j = 0; j <= K; j++)
            d[j] = src[j * cs + ch];
        ABL_OFF_BT(K, float, d, r);
        for (int s = 0; s <= K; s++)
            v[(ptrdiff_t)s * c + ch] = r[s];
    }
}

/* out0 = bias + sum_{s < K} M[s], out1 = bias + A^T[1] M over n outputs:
 * a pair's two rows of offsets (out1 NULL: a phantom partner). */
static inline __attribute__((always_inline)) void abl_off_wr_out(const int K, int n,
                                                                 const float *mm, ptrdiff_t ldm,
                                                                 const float *bias, float *out0,
                                                                 float *out1)
{
#pragma omp simd
    for (int o = 0; o < n; o++) {
        const float m0 = mm[o], m1 = mm[ldm + o], m2 = mm[2 * ldm + o], m3 = mm[3 * ldm + o];
        const float m4 = mm[4 * ldm + o], m5 = mm[5 * ldm + o];
        const float e12 = m1 + m2, e34 = m3 + m4, d12 = m1 - m2, d34 = m3 - m4;
        if (K == 7) {
            const float m6 = mm[6 * ldm + o], m7 = mm[7 * ldm + o];
            out0[o] = bias[o] + (((m0 + e12) + e34) + (m5 + m6));
            if (out1)
                out1[o] = bias[o] + (((d12 + 2.0f * d34) + 0.5f * (m5 - m6)) + m7);
        } else {
            out0[o] = bias[o] + ((m0 + e12) + e34);
            if (out1)
                out1[o] = bias[o] + ((d12 + 2.0f * d34) + m5);
        }
    }
}

/* Bit i (i < k): kernel row i of an output in image row oy reads inside
 * the map. */
static inline unsigned abl_off_wr_rows_inside(struct abl_off_geom g, int oy)
{
    unsigned r = 0;
    for (int i = 0; i < g.k; i++)
        r |= (unsigned)((unsigned)(oy - g.pad + g.dil * i) < (unsigned)g.h) << i;
    return r;
}

/* One block of npr pairs (first pixels tp[j], tile indices; their padded
 * positions pb[j]): M by the micro-kernel over reduction blocks of kernel
 * rows x channels (kernel rows wholly in the padding for all of a register
 * block's pairs skipped), then the output transform into off.  K: the
 * kernel width (g.k), P x MB the conv's blocking. */
static inline __attribute__((always_inline)) void
abl_off_wr_block(const int P, const int MB, const int K, struct abl_off_geom g, int mpad,
                 int mfull, const float *xpad, const float *uw, const float *bpad, int p0, int np,
                 const int *tp, const int *pb, int npr, float *scratch, float *off)
{
    static const float zeros[ABL_OFF_MBMAX * 16] = {0};
    const int wp = g.w + 2 * g.pad, nrow = abl_off_wr_rows(K, g.c), nblk = (npr + P - 1) / P;
    const int npt = K + 1;
    const ptrdiff_t vrow = (ptrdiff_t)ABL_OFF_WR_NB * npt * g.c, ldm = npt * (ptrdiff_t)mfull;
    float *v = scratch, *mm = scratch + nrow * vrow;
    /* channel blocks: one kernel row's weights of a chunk past the L1 block */
    const ptrdiff_t row_bytes = (ptrdiff_t)g.c * MB * ABL_OFF_VW * sizeof(float);
    const int kc = row_bytes <= ABL_OFF_BLOCK_BYTES
                       ? g.c
                       : (int)(ABL_OFF_BLOCK_BYTES / (MB * ABL_OFF_VW * sizeof(float)));
    unsigned rows[ABL_OFF_WR_NB];
    for (int b = 0; b < nblk; b++) {
        rows[b] = 0;
        for (int p = b * P; p < npr && p < (b + 1) * P; p++)
            rows[b] |= abl_off_wr_rows_inside(g, (p0 + tp[p]) / g.w);
    }
    ptrdiff_t toff[7];
    for (int r = 0; r < K; r++)
        toff[r] = r * vrow;
    for (int i0 = 0; i0 < K; i0 += nrow) {
        const int nr = i0 + nrow <= K ? nrow : K - i0;
        const unsigned all = (1u << nr) - 1;
        for (int p = 0; p < npr; p++) { /* V of the rows some pair of p's register block reads */
            const unsigned hit = rows[p / P] >> i0 & all;
            for (int r = 0; r < nr; r++)
                if (hit >> r & 1)
                    abl_off_wr_in(K, g.c, xpad + pb[p] + (ptrdiff_t)(i0 + r) * g.dil * wp * g.c,
                                  (ptrdiff_t)g.dil * g.c, v + r * vrow + (ptrdiff_t)p * npt * g.c);
        }
        for (int s = 0; s < npt; s++)
            for (int c0 = 0; c0 < g.c; c0 += kc) {
                const int nc = c0 + kc <= g.c ? kc : g.c - c0;
                for (int m0 = 0; m0 < mfull; m0 += MB * ABL_OFF_VW) {
                    const float *wb = uw + ((ptrdiff_t)(s * K + i0) * g.c + c0) * mfull + m0;
                    for (int b = 0; b < nblk; b++) {
                        const unsigned hit = rows[b] >> i0 & all;
                        if (!hit)
                            continue;
                        const float *x[ABL_OFF_PMAX];
#pragma GCC unroll 16
                        for (int p = 0; p < P; p++) { /* past the block's end: its last pair again */
                            const int q = b * P + p < npr ? b * P + p : npr - 1;
                            x[p] = v + ((ptrdiff_t)q * npt + s) * g.c + c0;
                        }
                        float *o = mm + (ptrdiff_t)b * P * ldm + (ptrdiff_t)s * mfull + m0;
                        /* the sum starts at the block's first kernel row inside */
                        int first = c0 == 0 && !(rows[b] & ((1u << i0) - 1));
                        for (int q = 0, r; abl_off_next_run(hit, nr, &q, &r); q = r) {
                            abl_off_micro_vw(P, MB, x, toff + q, r - q, nc,
                                             wb + (ptrdiff_t)q * g.c * mfull, (ptrdiff_t)g.c * mfull,
                                             mfull, zeros, first, o, ldm);
                            first = 0;
                        }
                    }
                }
            }
    }
    for (int p = 0; p < npr; p++) {
        const int t = tp[p], t3 = t + g.dil;
        const int real = t3 < np && (p0 + t) % g.w + g.dil < g.w;
        abl_off_wr_out(K, mfull, mm + (ptrdiff_t)p * ldm, mfull, bpad, off + (ptrdiff_t)t * mpad,
                       real ? off + (ptrdiff_t)t3 * mpad : NULL);
    }
}

/* abl_off_wr_block at the 7x7's and the 5x5's blockings, each a function
 * of its own (as abl_off_chunk_l / _s). */
static __attribute__((noinline)) void
abl_off_f27_block(struct abl_off_geom g, int mpad, int mfull, const float *xpad, const float *uw,
                  const float *bpad, int p0, int np, const int *tp, const int *pb, int npr,
                  float *scratch, float *off)
{
    abl_off_wr_block(ABL_OFF_PL, ABL_OFF_MBL, 7, g, mpad, mfull, xpad, uw, bpad, p0, np, tp, pb,
                     npr, scratch, off);
}

static __attribute__((noinline)) void
abl_off_f25_block(struct abl_off_geom g, int mpad, int mfull, const float *xpad, const float *uw,
                  const float *bpad, int p0, int np, const int *tp, const int *pb, int npr,
                  float *scratch, float *off)
{
    abl_off_wr_block(ABL_OFF_PS, ABL_OFF_MBS, 5, g, mpad, mfull, xpad, uw, bpad, p0, np, tp, pb,
                     npr, scratch, off);
}

/* Whether abl_off_tile_wr applies to an offset conv: the 7x7 dilation 3
 * (pad 9) at the 7x7's blocking, the 5x5 dilation 1 (pad 2) at the 5x5's. */
#define ABL_OFF_WR_OK(k, dil, pad, m)                                                              \
    ((((k) == 7 && (dil) == 3 && (pad) == 9 && ABL_OFF_BLOCK_IS_(m, 0)) ||                         \
      ((k) == 5 && (dil) == 1 && (pad) == 2 && ABL_OFF_BLOCK_IS_(m, 1))) &&                        \
     (m) == 2 * (k) * (k) && ABL_OFF_MFULL(m) <= ABL_OFF_WR_WMAX && ABL_OFF_MFULL(m) > 0)
static inline int abl_off_wr_ok(struct abl_off_geom g)
{
    return ABL_OFF_WR_OK(g.k, g.dil, g.pad, g.m);
}

/* off[t][mpad] (rows t < np, rounded up to P rows) = the conv at pixels
 * p0 .. p0 + np - 1 of one image; xpad its padded source, x the same image
 * planar (c x h x w; for abl_off_left), wpk / bpad the packed weights;
 * base: np ints of scratch. */
static inline void abl_off_tile(struct abl_off_geom g, const float *xpad, const float *x,
                                const float *wpk, const float *bpad, int p0, int np, int *base,
                                float *off)
{
    const struct abl_off_block b = abl_off_blocking(g.m);
    const int wp = g.w + 2 * g.pad, kk = g.k * g.k;
    for (int t = 0; t < np; t++) /* padded (oh, ow): where tap (0, 0) reads */
        base[t] = (((p0 + t) / g.w) * wp + (p0 + t) % g.w) * g.c;
    ptrdiff_t toff[49];
    for (int t = 0; t < kk; t++)
        toff[t] = ((ptrdiff_t)(t / g.k) * wp + t % g.k) * g.dil * g.c;
    /* reduction blocks: whole taps when a tap's weights fit, else channels */
    const ptrdiff_t tap_bytes = (ptrdiff_t)g.c * b.mb * ABL_OFF_VW * sizeof(float);
    int ntap = (int)(ABL_OFF_BLOCK_BYTES / tap_bytes), kc = g.c;
    if (ntap < 1) {
        ntap = 1;
        kc = (int)(ABL_OFF_BLOCK_BYTES / (b.mb * ABL_OFF_VW * sizeof(float)));
    }
    /* parts of up to ABL_OFF_HITS blocks of P pixels (one part for the
     * direct tiles of gen/dlka.lua, up to 1024 pixels), each block's taps
     * inside the map found once */
    uint64_t hits[ABL_OFF_HITS];
    int ord[ABL_OFF_HITS * ABL_OFF_PMAX];
    const int small = b.p == ABL_OFF_PS && b.mb == ABL_OFF_MBS, P = small ? ABL_OFF_PS : ABL_OFF_PLD;
    for (int s0 = 0; s0 < np; s0 += ABL_OFF_HITS * P) {
        const int ns = np - s0 < ABL_OFF_HITS * P ? np - s0 : ABL_OFF_HITS * P;
        abl_off_order(g, p0 + s0, ns, P, ord, hits);
        for (int t0 = 0; t0 < kk; t0 += ntap) {
            const int nt = t0 + ntap <= kk ? ntap : kk - t0;
            for (int c0 = 0; c0 < g.c; c0 += kc) {
                const int nc = c0 + kc <= g.c ? kc : g.c - c0, first = t0 == 0 && c0 == 0;
                for (int m0 = 0; m0 < b.mfull; m0 += b.mb * ABL_OFF_VW) {
                    const float *wb = wpk + ((ptrdiff_t)t0 * g.c + c0) * b.mpad + m0;
                    float *o = off + (ptrdiff_t)s0 * b.mpad + m0;
                    if (small)
                        abl_off_chunk_s(g, b.mpad, xpad, base + s0, ord, hits, ns, toff + t0, t0,
                                        nt, c0, nc, wb, bpad + m0, first, o);
                    else
                        abl_off_chunk_l(g, b.mpad, xpad, base + s0, ord, hits, ns, toff + t0, t0,
                                        nt, c0, nc, wb, bpad + m0, first, o);
                }
            }
        }
    }
#if ABL_OFF_LEFT_MAX > 0
    if (b.left)
        abl_off_left(g, x, wpk, bpad, b.mpad, b.mfull, b.left, p0, np, off);
#else
    (void)x;
#endif
}

/* abl_off_tile by F(2, k) (abl_off_wr_ok): uw the transformed weights
 * (abl_off_wr_pack), xpad followed by abl_off_wr_slack_floats zeros,
 * scratch abl_off_wr_scratch_floats, base 2 min(np, ABL_OFF_WR_NB) ints.
 * Pairs as the comment above says, in blocks of NB; the outputs past the
 * chunks (AVX-512: 2 of 98 or 50) by abl_off_left as in abl_off_tile. */
static inline void abl_off_tile_wr(struct abl_off_geom g, const float *xpad, const float *x,
                                   const float *wpk, const float *bpad, const float *uw, int p0,
                                   int np, int *base, float *scratch, float *off)
{
    const struct abl_off_block b = abl_off_blocking(g.m);
    const int wp = g.w + 2 * g.pad;
    int *tp = base, *pb = base + (np < ABL_OFF_WR_NB ? np : ABL_OFF_WR_NB), npr = 0;
    for (int t = 0; t < np;) {
        const int ox = (p0 + t) % g.w;
        const int run = g.w - ox < np - t ? g.w - ox : np - t; /* this row's pixels of the tile */
        for (int r = 0; r < run; r++) {
            if (r % (2 * g.dil) >= g.dil)
                continue; /* a partner */
            const int pix = p0 + t + r;
            tp[npr] = t + r;
            pb[npr] = ((pix / g.w) * wp + pix % g.w) * g.c;
            if (++npr == ABL_OFF_WR_NB) {
                (g.k == 7 ? abl_off_f27_block : abl_off_f25_block)(g, b.mpad, b.mfull, xpad, uw,
                                                                  bpad, p0, np, tp, pb, npr,
                                                                  scratch, off);
                npr = 0;
            }
        }
        t += run;
    }
    if (npr)
        (g.k == 7 ? abl_off_f27_block : abl_off_f25_block)(g, b.mpad, b.mfull, xpad, uw, bpad, p0,
                                                          np, tp, pb, npr, scratch, off);
#if ABL_OFF_LEFT_MAX > 0
    if (b.left)
        abl_off_left(g, x, wpk, bpad, b.mpad, b.mfull, b.left, p0, np, off);
#else
    (void)x;
    (void)wpk;
#endif
}

/* ---- The offset convs by 2-D Winograd F(2x2, 7) and F(2x2, 5) ----
 * Dilation 3 splits the map into 3 x 3 phase grids, each an ordinary 7x7
 * conv, so the outputs (y, x), (y, x + 3), (y + 3, x), (y + 3, x + 3) (a
 * "quad") read one 8 x 8 grid of inputs (y + 3 i, x + 3 j) of the padded
 * copy; the 5x5 (dilation 1) quads (y, x) .. (y + 1, x + 1) read a 6 x 6
 * grid.  F(2x2, k) makes the quad from (k + 1)^2 products of transformed
 * inputs V = B^T d B (F(2, k)'s B^T along both axes) and transformed
 * weights U = G w G^T (abl_off_w2_pack, in double): 64 products for 4
 * outputs where F(2, 7) along rows needs 4 x 28 and the direct conv 4 x 49
 * (fewer where taps fall in the padding: at 20 x 20 the direct conv sums
 * 55.7 %, 109 a quad); for the 5x5 36 where F(2, 5) needs 60, the direct
 * conv 100.  Each point (a, b) is a GEMM, quads x c times c x mfull, on
 * the direct conv's micro-kernel (quads as its pixels, one tap); per block
 * of up to ABL_OFF_W2_NQ quads, point rows a one at a time (V and M of k + 1
 * points x the block's quads in L2, V made from the padded copy with the
 * input rows outside the map skipped), each row's M folded into the quads'
 * 4 outputs at once (Y[u][v] += A^T[u][a] sum_b A^T[v][b] M[b], the b sums
 * in registers): the points' M never exist together.  The transformed
 * weights (64 c mfull floats, 3.1 MB at 128 channels for the 7x7) are
 * streamed once a block.
 * Quads: rows y with (y - r0) % 2d < d (r0 the tile's first row, d the
 * dilation) and columns x % 2d < d; an output outside the tile or the map
 * is computed but not stored (phantom), so every pixel of the tile is in
 * exactly one quad and no other path runs beside it.  Input rows outside
 * the map are skipped as zeros; columns read at most d past the padded
 * row, into the next padded row's zero padding. */

/* uw[a (k + 1) + b][ch][mfull] = sum_ij G[a][i] G[b][j] wt[o][ch][k i + j]
 * (o < m = 2 k^2, zeros up to mfull), in double; points ab0 .. ab1 - 1
 * (threads share the packing). */
static inline void abl_off_w2_pack(int k, int c, const float *wt, int ab0, int ab1, float *uw)
{
    const int m = 2 * k * k, kk = k * k, npt = k + 1, mfull = abl_off_blocking(m).mfull;
    for (int ab = ab0; ab < ab1; ab++) {
        const int a = ab / npt, b = ab % npt;
        for (int ch = 0; ch < c; ch++) {
            float *dst = uw + ((ptrdiff_t)ab * c + ch) * mfull;
            for (int o = 0; o < mfull; o++) {
                double v = 0;
                if (o < m)
                    for (int i = 0; i < k; i++)
                        for (int j = 0; j < k; j++)
                            v += abl_off_g(k, a, i) * abl_off_g(k, b, j) *
                                 wt[((ptrdiff_t)o * c + ch) * kk + i * k + j];
                dst[o] = (float)v;
            }
        }
    }
}

/* B^T[a][i] of ABL_OFF_BT8 (K 7) / ABL_OFF_BT6 (K 5), row a. */
static inline float abl_off_w2_bt(int K, int a, int i)
{
    static const float BT8[8][8] = {{1, 0, -5.25f, 0, 5.25f, 0, -1, 0},
                                    {0, 1, 1, -4.25f, -4.25f, 1, 1, 0},
                                    {0, -1, 1, 4.25f, -4.25f, -1, 1, 0},
                                    {0, 0.5f, 0.25f, -2.5f, -1.25f, 2, 1, 0},
                                    {0, -0.5f, 0.25f, 2.5f, -1.25f, -2, 1, 0},
                                    {0, 2, 4, -2.5f, -5, 0.5f, 1, 0},
                                    {0, -2, 4, 2.5f, -5, -0.5f, 1, 0},
                                    {0, -1, 0, 5.25f, 0, -5.25f, 0, 1}};
    static const float BT6[6][6] = {{4, 0, -5, 0, 1, 0},   {0, -4, -4, 1, 1, 0},
                                    {0, 4, -4, -1, 1, 0},  {0, -2, -1, 2, 1, 0},
                                    {0, 2, -1, -2, 1, 0},  {0, 4, 0, -5, 0, 1}};
    return K == 7 ? BT8[a][i] : BT6[a][i];
}

/* A^T[u][a] of abl_off_wr_out (F(2, K)'s output transform). */
static inline float abl_off_w2_at(int K, int u, int a)
{
    static const float AT8[2][8] = {{1, 1, 1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0.5f, -0.5f, 1}};
    static const float AT6[2][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 1}};
    return K == 7 ? AT8[u][a] : AT6[u][a];
}

/* V[b][ch] (b <= K, stride vb) of point row a for one quad, c channels:
 * T[j] = sum_i B^T[a][i] d[i][j] over the input rows i set in rows (inside
 * the map; the others are zeros), then V[.] = B^T T.  src: the quad's
 * input (0, 0) in the padded copy, rs / cs: floats between its input rows
 * / columns. */
static inline __attribute__((always_inline)) void abl_off_w2_in(const int K, int a, int c,
                                                                const float *src, ptrdiff_t rs,
                                                                ptrdiff_t cs, unsigned rows,
                                                                float *v, ptrdiff_t vb)
{
    typedef float vt __attribute__((vector_size(ABL_OFF_VW * 4), aligned(4)));
    int ri[8], nr = 0;
    float co[8];
    for (int i = 0; i <= K; i++)
        if ((rows >> i & 1) && abl_off_w2_bt(K, a, i) != 0) {
            ri[nr] = i;
            co[nr++] = abl_off_w2_bt(K, a, i);
        }
    int ch = 0;
    for (; ch + ABL_OFF_VW <= c; ch += ABL_OFF_VW) {
        vt t[8], r[8];
#pragma GCC unroll 8
        for (int j = 0; j <= K; j++)
            t[j] = (vt){0};
        for (int n = 0; n < nr; n++) {
            const float *s = src + ri[n] * rs + ch;
#pragma GCC unroll 8
            for (int j = 0; j <= K; j++)
                t[j] += co[n] * *(const vt *)(s + j * cs);
        }
        ABL_OFF_BT(K, vt, t, r);
#pragma GCC unroll 8
        for (int b = 0; b <= K; b++)
            *(vt *)(v + b * vb + ch) = r[b];
    }
    for (; ch < c; ch++) {
        float t[8] = {0}, r[8];
        for (int n = 0; n < nr; n++)
            for (int j = 0; j <= K; j++)
                t[j] += co[n] * src[ri[n] * rs + j * cs + ch];
        ABL_OFF_BT(K, float, t, r);
        for (int b = 0; b <= K; b++)
            v[b * vb + ch] = r[b];
    }
}

/* One block of nq quads (anchors qa[]: pixel indices of the image, y w +
 * x) of a tile p0 .. p0 + np - 1: Y by the points' GEMMs, then bias + Y
 * into the tile's rows of off that the tile holds.  P x MB: the conv's
 * blocking, K its kernel width. */
static inline __attribute__((always_inline)) void
abl_off_w2_block_impl(const int P, const int MB, const int K, struct abl_off_geom g, int mpad,
                      int mfull, const float *xpad, const float *uw, const float *bpad, int p0,
                      int np, const int *qa, int nq, float *scratch, float *off)
{
    static const float zeros[ABL_OFF_MBMAX * 16] = {0};
    const int wp = g.w + 2 * g.pad, NQ = ABL_OFF_W2_NQ, npt = K + 1;
    const ptrdiff_t vb = (ptrdiff_t)NQ * g.c, rs = (ptrdiff_t)g.dil * wp * g.c, cs = (ptrdiff_t)g.dil * g.c;
    const ptrdiff_t mb = (ptrdiff_t)NQ * mfull; /* M[b] of the point row */
    float *v = scratch, *mm = v + npt * vb, *y = mm + npt * mb;
    const ptrdiff_t ldy = 4 * (ptrdiff_t)mfull;
    const ptrdiff_t row_bytes = (ptrdiff_t)g.c * MB * ABL_OFF_VW * sizeof(float);
    const int kc = row_bytes <= ABL_OFF_BLOCK_BYTES
                       ? g.c
                       : (int)(ABL_OFF_BLOCK_BYTES / (MB * ABL_OFF_VW * sizeof(float)));
    const int nblk = (nq + P - 1) / P;
    unsigned rows[ABL_OFF_W2_NQ];
    for (int q = 0; q < nq; q++) { /* input rows y + d i - pad inside the map */
        const int yy = qa[q] / g.w;
        rows[q] = 0;
        for (int i = 0; i < npt; i++)
            rows[q] |= (unsigned)((unsigned)(yy - g.pad + g.dil * i) < (unsigned)g.h) << i;
    }
    memset(y, 0, sizeof(float) * (size_t)nq * (size_t)ldy);
    const ptrdiff_t toff0 = 0;
    for (int a = 0; a < npt; a++) {
        for (int q = 0; q < nq; q++) {
            const int yy = qa[q] / g.w, xx = qa[q] % g.w;
            abl_off_w2_in(K, a, g.c, xpad + ((ptrdiff_t)yy * wp + xx) * g.c, rs, cs, rows[q],
                          v + (ptrdiff_t)q * g.c, vb);
        }
        for (int b = 0; b < npt; b++) {
            const float *ub = uw + (ptrdiff_t)(a * npt + b) * g.c * mfull;
            for (int c0 = 0; c0 < g.c; c0 += kc) {
                const int nc = c0 + kc <= g.c ? kc : g.c - c0;
                for (int m0 = 0; m0 < mfull; m0 += MB * ABL_OFF_VW)
                    for (int k = 0; k < nblk; k++) {
                        const float *x[ABL_OFF_PMAX];
#pragma GCC unroll 16
                        for (int p = 0; p < P; p++) { /* past the block's end: its last quad again */
                            const int q = k * P + p < nq ? k * P + p : nq - 1;
                            x[p] = v + b * vb + (ptrdiff_t)q * g.c + c0;
                        }
                        abl_off_micro_vw(P, MB, x, &toff0, 1, nc, ub + (ptrdiff_t)c0 * mfull + m0,
                                         0, mfull, zeros, c0 == 0,
                                         mm + b * mb + (ptrdiff_t)k * P * mfull + m0, mfull);
                    }
            }
        }
        /* the row's share of the quads' 4 outputs: z_v = sum_b A^T[v][b] M[b]
         * (abl_off_wr_out's sums), Y[u][v] += A^T[u][a] z_v */
        const float a0 = abl_off_w2_at(K, 0, a), a1 = abl_off_w2_at(K, 1, a);
        for (int q = 0; q < nq; q++) {
            const float *m = mm + (ptrdiff_t)q * mfull;
            float *yq = y + q * ldy;
#pragma omp simd
            for (int o = 0; o < mfull; o++) {
                const float m0 = m[o], m1 = m[mb + o], m2 = m[2 * mb + o], m3 = m[3 * mb + o];
                const float m4 = m[4 * mb + o], m5 = m[5 * mb + o];
                const float e12 = m1 + m2, e34 = m3 + m4, d12 = m1 - m2, d34 = m3 - m4;
                float z0, z1;
                if (K == 7) {
                    const float m6 = m[6 * mb + o], m7 = m[7 * mb + o];
                    z0 = ((m0 + e12) + e34) + (m5 + m6);
                    z1 = ((d12 + 2.0f * d34) + 0.5f * (m5 - m6)) + m7;
                } else {
                    z0 = (m0 + e12) + e34;
                    z1 = (d12 + 2.0f * d34) + m5;
                }
                yq[o] += a0 * z0;
                yq[mfull + o] += a0 * z1;
                yq[2 * mfull + o] += a1 * z0;
                yq[3 * mfull + o] += a1 * z1;
            }
        }
    }
    for (int q = 0; q < nq; q++)
        for (int uv = 0; uv < 4; uv++) {
            const int yy = qa[q] / g.w + g.dil * (uv >> 1), xx = qa[q] % g.w + g.dil * (uv & 1);
            const int t = yy * g.w + xx - p0;
            if (yy >= g.h || xx >= g.w || t < 0 || t >= np)
                continue; /* phantom */
            const float *yq = y + q * ldy + uv * mfull;
            float *o = off + (ptrdiff_t)t * mpad;
#pragma omp simd
            for (int k = 0; k < mfull; k++)
                o[k] = bpad[k] + yq[k];
        }
}

/* abl_off_w2_block_impl at the 7x7's and the 5x5's blockings, each a
 * function of its own. */
static __attribute__((noinline)) void
abl_off_w27_block(struct abl_off_geom g, int mpad, int mfull, const float *xpad, const float *uw,
                  const float *bpad, int p0, int np, const int *qa, int nq, float *scratch,
                  float *off)
{
    abl_off_w2_block_impl(ABL_OFF_PL, ABL_OFF_MBL, 7, g, mpad, mfull, xpad, uw, bpad, p0, np, qa,
                          nq, scratch, off);
}

static __attribute__((noinline)) void
abl_off_w25_block(struct abl_off_geom g, int mpad, int mfull, const float *xpad, const float *uw,
                  const float *bpad, int p0, int np, const int *qa, int nq, float *scratch,
                  float *off)
{
    abl_off_w2_block_impl(ABL_OFF_PS, ABL_OFF_MBS, 5, g, mpad, mfull, xpad, uw, bpad, p0, np, qa,
                          nq, scratch, off);
}

/* Whether abl_off_tile_w2 applies: the convs abl_off_wr_ok takes. */
static inline int abl_off_w2_ok(struct abl_off_geom g) { return abl_off_wr_ok(g); }

/* abl_off_tile by F(2x2, k) (abl_off_w2_ok): uw the transformed weights
 * (abl_off_w2_pack), xpad the padded copy, scratch
 * abl_off_wr_scratch_floats.  Quads as the comment above says, in blocks
 * of ABL_OFF_W2_NQ; the outputs past the chunks (AVX-512: 2 of 98 or 50)
 * by abl_off_left. */
static inline void abl_off_tile_w2(struct abl_off_geom g, const float *xpad, const float *x,
                                   const float *wpk, const float *bpad, const float *uw, int p0,
                                   int np, float *scratch, float *off)
{
    const struct abl_off_block b = abl_off_blocking(g.m);
    const int r0 = p0 / g.w, r1 = (p0 + np - 1) / g.w, d = g.dil;
    int qa[ABL_OFF_W2_NQ], nq = 0;
    for (int yy = r0; yy <= r1; yy++) {
        if ((yy - r0) % (2 * d) >= d)
            continue; /* a partner row */
        for (int xx = 0; xx < g.w; xx++) {
            if (xx % (2 * d) >= d)
                continue;
            int in = 0; /* some output of the quad in the tile */
            for (int uv = 0; uv < 4; uv++) {
                const int y2 = yy + d * (uv >> 1), x2 = xx + d * (uv & 1), t = y2 * g.w + x2 - p0;
                in |= y2 < g.h && x2 < g.w && t >= 0 && t < np;
            }
            if (!in)
                continue;
            qa[nq] = yy * g.w + xx;
            if (++nq == ABL_OFF_W2_NQ) {
                (g.k == 7 ? abl_off_w27_block : abl_off_w25_block)(g, b.mpad, b.mfull, xpad, uw,
                                                                  bpad, p0, np, qa, nq, scratch,
                                                                  off);
                nq = 0;
            }
        }
    }
    if (nq)
        (g.k == 7 ? abl_off_w27_block : abl_off_w25_block)(g, b.mpad, b.mfull, xpad, uw, bpad, p0,
                                                          np, qa, nq, scratch, off);
#if ABL_OFF_LEFT_MAX > 0
    if (b.left)
        abl_off_left(g, x, wpk, bpad, b.mpad, b.mfull, b.left, p0, np, off);
#else
    (void)x;
    (void)wpk;
#endif
}

#endif
