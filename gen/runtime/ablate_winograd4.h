/* gen/runtime/ablate_winograd4.h — Winograd F(4x4, 3x3) beside F(2x2, 3x3)
 * (ablate_winograd.h) for the same stride-1, pad-1, 3 x 3 Convs, on
 * channels-first maps, AVX-512 only (abl_wino_ok).
 *
 * Why: F(2x2) runs Detect at ~84 % of the FMA peak (docs/baseline.md), so
 * only fewer multiplies make it faster.  F(4x4, 3x3) computes a 4 x 4
 * output tile from a 6 x 6 input patch with 36 products per (output, input)
 * channel pair: 2.25 per output against F(2x2)'s 4 (1.78x fewer FMAs), for
 * larger transforms (6 x 6 in, 4 x 6 out) and weights U (36 cin cout).
 * Interpolation points 0, +-1, +-2, infinity (Lavin & Gray; as oneDNN and
 * OpenVINO): B^T, G, A^T below.  G has 1/6, 1/12, 1/24 (not exact in
 * float) and A^T powers of 2 up to 8, so the error is larger than F(2x2)'s.
 * Raw conv outputs against a float64 convolution of the same float32 data
 * (tests/winograd_check.c errors: input N(0, 1), weights uniform
 * +-1/sqrt(9 cin), YOLOv8n's 14 stride-1 3x3 shapes, 16 -> 16 @ 160^2 ..
 * 256 -> 80 @ 20^2): F(4x4) max abs error 1.1e-05 .. 3.1e-05, NMSE
 * 1.1e-12 .. 1.1e-11; F(2x2) 6.0e-07 .. 1.6e-06, 2.6e-14 .. 2.4e-13; the
 * direct kernel 1.2e-06 .. 4.4e-06, 4.7e-14 .. 7.2e-13.  So F(4x4) is ~40x
 * F(2x2)'s NMSE and ~7x the direct kernel's largest error; outputs of unit
 * scale keep 4-5 correct digits, and every golden, parity case and the
 * whole-model check pass unchanged (docs/baseline.md).  Points 0, +-1,
 * +-1/2 measured no better (a float32 simulation: NMSE 3.6e-12 against
 * 3.3e-12); 0, +-1, 1/2, -2 halved the NMSE but its B^T is denser (more
 * transform work, the part that is already the overhead), not taken.
 *
 * Layout as F(2x2): tiles row-major over the ceil(H/4) x ceil(W/4) grid,
 * 16 tiles to a zmm, batches of ABL_WINO4_NT consecutive tiles (one
 * register block of 3 vectors: V = 36 cin NT floats stays in L2 for
 * Detect's 80 and 256 input channels).  Per batch:
 *   V[xi][c][t]  = B^T d B, xi = 6 a + b (patch row a, column b); the
 *                  patch columns 4j-1 .. 4j+4 of 16 tiles from a 64-float
 *                  window (lanes 4 l + k, k < 4, by vpermt2ps) and its
 *                  next 2 floats (k = 4, 5: lanes of k = 0, 1 shifted by
 *                  one tile)
 *   M[xi][r][t]  = abl_wino_products (ablate_winograd.h) with 36 points
 *   y            = A^T M A, interleaved back to pixels (4 x 4 lanes),
 *                  masked to the caller's pixel range, BN + SiLU in
 *                  registers.
 *
 *   abl_wino4_weights  U for output channels o0 .. o1 - 1
 *   abl_wino4_scratch  per-thread scratch floats (V and M) for cin channels
 *   abl_wino4_tile     output pixels p0 .. p0 + np - 1, all output channels
 *   abl_wino_tile      the same by F(2x2) (one driver, abl_wino_tile_m)
 */
#ifndef ABLATE_WINOGRAD4_H
#define ABLATE_WINOGRAD4_H

#include <stddef.h>
#include <stdint.h>

#include "ablate_winograd.h"

enum {
    ABL_WINO4_NT = 48, /* tiles of a batch: 3 vectors, one register block */
};
_Static_assert((int)ABL_WINO4_NT <= (int)ABL_WINO_NT, "abl_wino_tile_m sizes its segments by ABL_WINO_NT");

/* Floats of per-thread scratch abl_wino4_tile needs for cin input channels. */
static inline ptrdiff_t abl_wino4_scratch(int cin)
{
    return (ptrdiff_t)36 * ABL_WINO4_NT * (cin + ABL_WINO_MR);
}

#ifdef __AVX512F__
/* 1-D G g (3 taps -> 6 points), rows of G:
 *   1/4 0 0 | -1/6 -1/6 -1/6 | -1/6 1/6 -1/6 | 1/24 1/12 1/6 | 1/24 -1/12 1/6 | 0 0 1 */
static inline __attribute__((always_inline)) void abl_wino4_g(__m512 g0, __m512 g1, __m512 g2,
                                                              __m512 u[6])
{
    const __m512 sixth = _mm512_set1_ps(-1.0f / 6.0f), s = _mm512_add_ps(g0, g2);
    const __m512 t = _mm512_fmadd_ps(g0, _mm512_set1_ps(1.0f / 24.0f),
                                     _mm512_mul_ps(g2, _mm512_set1_ps(1.0f / 6.0f)));
    const __m512 g1_12 = _mm512_mul_ps(g1, _mm512_set1_ps(1.0f / 12.0f));
    u[0] = _mm512_mul_ps(g0, _mm512_set1_ps(0.25f));
    u[1] = _mm512_mul_ps(sixth, _mm512_add_ps(s, g1));
    u[2] = _mm512_mul_ps(sixth, _mm512_sub_ps(s, g1));
    u[3] = _mm512_add_ps(t, g1_12);
    u[4] = _mm512_sub_ps(t, g1_12);
    u[5] = g2;
}

/* U[xi][o][c] (planes cout * cin apart) of output channels o0 .. o1 - 1
 * from the (cout, cin, 3, 3) weights wt: G g G^T, 16 input channels at a
 * time (the 9 taps gathered at stride 9), as abl_wino_weights. */
static inline void abl_wino4_weights(const float *wt, int cin, int cout, float *u, int o0, int o1)
{
    const ptrdiff_t plane = (ptrdiff_t)cout * cin;
    const __m512i lane9 = _mm512_mullo_epi32(
        _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32(9));
    for (int o = o0; o < o1; o++)
        for (int c = 0; c < cin; c += 16) {
            const __mmask16 m = (__mmask16)(cin - c >= 16 ? 0xffff : (1u << (cin - c)) - 1);
            const float *g = wt + ((ptrdiff_t)o * cin + c) * 9;
            __m512 gg[9], t[3][6], r[6];
            for (int i = 0; i < 9; i++)
                gg[i] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, lane9, g + i, 4);
            for (int j = 0; j < 3; j++) /* G g: kernel column j -> t[j][a] */
                abl_wino4_g(gg[j], gg[3 + j], gg[6 + j], t[j]);
            for (int a = 0; a < 6; a++) { /* (G g) G^T */
                abl_wino4_g(t[0][a], t[1][a], t[2][a], r);
                for (int b = 0; b < 6; b++)
                    _mm512_mask_storeu_ps(u + (6 * a + b) * plane + (ptrdiff_t)o * cin + c, m, r[b]);
            }
        }
}

/* 1-D transform B^T d of six vectors, in place.  Rows of B^T:
 *   4 0 -5 0 1 0 | 0 -4 -4 1 1 0 | 0 4 -4 -1 1 0 | 0 -2 -1 2 1 0 | 0 2 -1 -2 1 0 | 0 4 0 -5 0 1 */
static inline __attribute__((always_inline)) void abl_wino4_bt(__m512 d[6])
{
    const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f);
    const __m512 s12 = _mm512_add_ps(d[1], d[2]), s34 = _mm512_add_ps(d[3], d[4]);
    const __m512 d12 = _mm512_sub_ps(d[1], d[2]), d43 = _mm512_sub_ps(d[4], d[3]);
    const __m512 d31 = _mm512_sub_ps(d[3], d[1]), d42 = _mm512_sub_ps(d[4], d[2]);
    const __m512 t0 = _mm512_fmadd_ps(four, d[0], _mm512_fnmadd_ps(five, d[2], d[4]));
    const __m512 t5 = _mm512_fmadd_ps(four, d[1], _mm512_fnmadd_ps(five, d[3], d[5]));
    d[0] = t0;
    d[1] = _mm512_fnmadd_ps(four, s12, s34);
    d[2] = _mm512_fmadd_ps(four, d12, d43);
    d[3] = _mm512_fmadd_ps(two, d31, d42);
    d[4] = _mm512_fnmadd_ps(two, d31, d42);
    d[5] = t5;
}

/* Bit e of the result: column c0 + e (e < 64) inside 0 .. w - 1. */
static inline uint64_t abl_wino4_colmask(int c0, int w)
{
    const int lo = c0 < 0 ? -c0 : 0, hi = w - c0 < 64 ? w - c0 : 64;
    if (hi <= lo)
        return 0;
    const uint64_t upto = hi >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << hi) - 1;
    return upto & ~(((uint64_t)1 << lo) - 1);
}

/* Patch row a of 16 tiles from row r (columns cA ..): d[k] lane l is
 * r[4 l + k], k = 0 .. 5, zero outside the row (mask: abl_wino4_colmask of
 * cA; m2: the same for the 2 floats from cA + 64). */
static inline __attribute__((always_inline)) void abl_wino4_load_row(const float *r, uint64_t mask,
                                                                      __mmask16 m2, __m512 d[6])
{
    /* lanes 0..7 of vpermt2ps: 4 l + k of the pair (l < 8); the upper
     * 8 lanes repeat them (dropped by the 128-bit shuffle) */
    const __m512i by4 = _mm512_set_epi32(28, 24, 20, 16, 12, 8, 4, 0, 28, 24, 20, 16, 12, 8, 4, 0);
    /* lane l <- lane l + 1, lane 15 <- the first (k = 4) or second (k = 5) float after the window */
    const __m512i next0 = _mm512_set_epi32(16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
    const __m512i next1 = _mm512_set_epi32(17, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
    __m512 z[4];
    for (int q = 0; q < 4; q++)
        z[q] = _mm512_maskz_loadu_ps((__mmask16)(mask >> (16 * q)), r + 16 * q);
    const __m512 tail = _mm512_maskz_loadu_ps(m2, r + 64);
    for (int k = 0; k < 4; k++) {
        const __m512i idx = _mm512_add_epi32(by4, _mm512_set1_epi32(k));
        const __m512 lo = _mm512_permutex2var_ps(z[0], idx, z[1]);
        const __m512 hi = _mm512_permutex2var_ps(z[2], idx, z[3]);
        d[k] = _mm512_shuffle_f32x4(lo, hi, 0x44);
    }
    d[4] = _mm512_permutex2var_ps(d[0], next0, tail);
    d[5] = _mm512_permutex2var_ps(d[1], next1, tail);
}

/* V of one segment for every input channel: V[xi][c][pos ..] (planes
 * cin * NT apart, channel rows NT apart). */
static inline void abl_wino4_input_seg(const float *x, int h, int w, int cin,
                                       struct abl_wino_seg s, float *v)
{
    const ptrdiff_t hw = (ptrdiff_t)h * w, plane = (ptrdiff_t)cin * ABL_WINO4_NT;
    const int cA = 4 * s.j0 - 1; /* patch column 0 of the segment's first tile */
    const uint64_t mask = abl_wino4_colmask(cA, w);
    const __mmask16 m2 = (__mmask16)(abl_wino4_colmask(cA + 64, w) & 3);
    int rowok[6];
    for (int a = 0; a < 6; a++)
        rowok[a] = 4 * s.i - 1 + a >= 0 && 4 * s.i - 1 + a < h;
    const __mmask16 out = (__mmask16)((1u << s.n) - 1);
    for (int c = 0; c < cin; c++) {
        __m512 d[6][6];
        for (int a = 0; a < 6; a++) {
            if (!rowok[a]) {
                for (int b = 0; b < 6; b++)
                    d[a][b] = _mm512_setzero_ps();
                continue;
            }
            abl_wino4_load_row(x + c * hw + (ptrdiff_t)(4 * s.i - 1 + a) * w + cA, mask, m2, d[a]);
            abl_wino4_bt(d[a]); /* along the patch row */
        }
        for (int b = 0; b < 6; b++) { /* along the patch column */
            __m512 col[6] = {d[0][b], d[1][b], d[2][b], d[3][b], d[4][b], d[5][b]};
            abl_wino4_bt(col);
            for (int a = 0; a < 6; a++)
                _mm512_mask_storeu_ps(v + (6 * a + b) * plane + (ptrdiff_t)c * ABL_WINO4_NT + s.pos,
                                      out, col[a]);
        }
    }
}

/* 1-D A^T m (6 points -> 4 outputs).  Rows of A^T:
 *   1 1 1 1 1 0 | 0 1 -1 2 -2 0 | 0 1 1 4 4 0 | 0 1 -1 8 -8 1 */
static inline __attribute__((always_inline)) void abl_wino4_at(const __m512 m[6], __m512 o[4])
{
    const __m512 s12 = _mm512_add_ps(m[1], m[2]), s34 = _mm512_add_ps(m[3], m[4]);
    const __m512 d12 = _mm512_sub_ps(m[1], m[2]), d34 = _mm512_sub_ps(m[3], m[4]);
    o[0] = _mm512_add_ps(_mm512_add_ps(m[0], s12), s34);
    o[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), d34, d12);
    o[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), s34, s12);
    o[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), d34, d12), m[5]);
}

/* c[k] lane l (column k of tile l) -> p[q] lane 4 m + k (tile 4 q + m):
 * a 4 x 4 transpose within each 128-bit lane, then of the 128-bit lanes. */
static inline __attribute__((always_inline)) void abl_wino4_interleave(const __m512 c[4], __m512 p[4])
{
    const __m512 a = _mm512_unpacklo_ps(c[0], c[1]), b = _mm512_unpackhi_ps(c[0], c[1]);
    const __m512 e = _mm512_unpacklo_ps(c[2], c[3]), f = _mm512_unpackhi_ps(c[2], c[3]);
    const __m512 r0 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(e)));
    const __m512 r1 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(e)));
    const __m512 r2 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(b), _mm512_castps_pd(f)));
    const __m512 r3 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(b), _mm512_castps_pd(f)));
    /* r_k: 128-bit lane L holds tile 4 L + k's four columns */
    const __m512 lo01 = _mm512_shuffle_f32x4(r0, r1, 0x44), lo23 = _mm512_shuffle_f32x4(r2, r3, 0x44);
    const __m512 hi01 = _mm512_shuffle_f32x4(r0, r1, 0xee), hi23 = _mm512_shuffle_f32x4(r2, r3, 0xee);
    p[0] = _mm512_shuffle_f32x4(lo01, lo23, 0x88);
    p[1] = _mm512_shuffle_f32x4(lo01, lo23, 0xdd);
    p[2] = _mm512_shuffle_f32x4(hi01, hi23, 0x88);
    p[3] = _mm512_shuffle_f32x4(hi01, hi23, 0xdd);
}

/* Output rows of one segment, one output channel: A^T M A of its 36
 * planes (MR * NT apart) and the epilogue, in registers -> rows 4i ..
 * 4i + 3 of y's plane, only the pixels in [lo, hi). */
static inline void abl_wino4_output_seg(const float *m, int h, int w, struct abl_wino_seg s,
                                        float *y, ptrdiff_t lo, ptrdiff_t hi, struct abl_wino_epi e)
{
    const ptrdiff_t plane = (ptrdiff_t)ABL_WINO_MR * ABL_WINO4_NT;
    __m512 sk[4][6]; /* sk[k][a]: column k of patch row a (A^T along the row) */
    for (int a = 0; a < 6; a++) {
        __m512 row[6], o[4];
        for (int b = 0; b < 6; b++)
            row[b] = _mm512_loadu_ps(m + (6 * a + b) * plane + s.pos);
        abl_wino4_at(row, o);
        for (int k = 0; k < 4; k++)
            sk[k][a] = o[k];
    }
    __m512 yc[4][4]; /* yc[oy][k]: output row 4i + oy, column 4 (j0 + lane) + k */
    for (int k = 0; k < 4; k++) {
        __m512 o[4];
        abl_wino4_at(sk[k], o);
        for (int oy = 0; oy < 4; oy++)
            yc[oy][k] = o[oy];
    }
    const int cols = 4 * s.j0 + 4 * s.n < w ? 4 * s.n : w - 4 * s.j0;
    for (int oy = 0; oy < 4 && 4 * s.i + oy < h; oy++) {
        const ptrdiff_t base = (ptrdiff_t)(4 * s.i + oy) * w + 4 * s.j0;
        const ptrdiff_t first = base > lo ? base : lo, end = base + cols < hi ? base + cols : hi;
        if (end <= first)
            continue;
        const uint64_t upto = end - base >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << (end - base)) - 1;
        const uint64_t keep = upto & ~(((uint64_t)1 << (first - base)) - 1);
        __m512 c[4], p[4];
        for (int k = 0; k < 4; k++)
            c[k] = abl_wino_epilogue(yc[oy][k], e);
        abl_wino4_interleave(c, p);
        for (int q = 0; q < 4; q++)
            if ((keep >> (16 * q)) & 0xffff)
                _mm512_mask_storeu_ps(y + base + 16 * q, (__mmask16)(keep >> (16 * q)), p[q]);
    }
}
#endif

#ifdef __AVX512F__
/* Both tiles' driver, F(m x m, 3x3) for m = 2 or 4 (a constant once
 * inlined): per batch of consecutive tiles the input transform of its row
 * segments, then per block of MR output channels the products and the
 * output transform with the epilogue. */
static inline __attribute__((always_inline)) void
abl_wino_tile_m(const int m, const float *x, int h, int w, int cin, int cout, const float *u,
                float *y, ptrdiff_t ldy, const float *scale, const float *shift, int act, int p0,
                int np, float *scratch)
{
    const int nt_max = m == 4 ? ABL_WINO4_NT : ABL_WINO_NT, npts = (m + 2) * (m + 2);
    const int tw = (w + m - 1) / m, r0 = p0 / w / m, r1 = (p0 + np - 1) / w / m + 1;
    const ptrdiff_t uplane = (ptrdiff_t)cout * cin;
    float *v = scratch, *mm = scratch + (ptrdiff_t)npts * cin * nt_max;
    struct abl_wino_seg seg[ABL_WINO_NT]; /* one per tile at most (ABL_WINO4_NT is fewer) */
    for (int t0 = r0 * tw; t0 < r1 * tw; t0 += nt_max) {
        const int nt = r1 * tw - t0 < nt_max ? r1 * tw - t0 : nt_max;
        const int ns = abl_wino_segments(tw, t0, nt, seg);
        for (int i = 0; i < ns; i++)
            if (m == 4)
                abl_wino4_input_seg(x, h, w, cin, seg[i], v);
            else
                abl_wino_input_seg(x, h, w, cin, seg[i], v);
        const int nvec = (nt + 15) / 16;
        for (int o = 0; o < cout; o += ABL_WINO_MR) {
            abl_wino_products(v, u + (ptrdiff_t)o * cin, cin, uplane, npts, nvec, nt_max, mm);
            for (int r = 0; r < ABL_WINO_MR; r++) {
                const struct abl_wino_epi e = {scale[o + r], shift[o + r], act};
                for (int i = 0; i < ns; i++)
                    if (m == 4)
                        abl_wino4_output_seg(mm + r * nt_max, h, w, seg[i], y + (o + r) * ldy, p0,
                                             (ptrdiff_t)p0 + np, e);
                    else
                        abl_wino_output_seg(mm + r * nt_max, h, w, seg[i], y + (o + r) * ldy, p0,
                                            (ptrdiff_t)p0 + np, e);
            }
        }
    }
}
#endif

/* Output pixels p0 .. p0 + np - 1 (flattened h x w), every output channel,
 * of a 3 x 3 stride-1 pad-1 Conv (abl_wino_ok) by F(2x2, 3x3): x is input
 * channel 0 of the image (cin planes of h x w), y output channel 0 (planes
 * ldy apart), u the transformed weights (abl_wino_weights), scratch
 * abl_wino_scratch(cin) floats; then y = act(y * scale + shift).  Tiles
 * reaching rows outside the range are computed but those pixels are not
 * stored: callers split at even rows so that no work is wasted. */
static inline void abl_wino_tile(const float *x, int h, int w, int cin, int cout, const float *u,
                                 float *y, ptrdiff_t ldy, const float *scale, const float *shift,
                                 int act, int p0, int np, float *scratch)
{
#ifdef __AVX512F__
    if (np > 0)
        abl_wino_tile_m(2, x, h, w, cin, cout, u, y, ldy, scale, shift, act, p0, np, scratch);
#else
    (void)x, (void)h, (void)w, (void)cin, (void)cout, (void)u, (void)y, (void)ldy, (void)scale;
    (void)shift, (void)act, (void)p0, (void)np, (void)scratch;
#endif
}

/* The same by F(4x4, 3x3): u from abl_wino4_weights, scratch
 * abl_wino4_scratch(cin) floats; callers split at multiples of 4 rows. */
static inline void abl_wino4_tile(const float *x, int h, int w, int cin, int cout, const float *u,
                                  float *y, ptrdiff_t ldy, const float *scale, const float *shift,
                                  int act, int p0, int np, float *scratch)
{
#ifdef __AVX512F__
    if (np > 0)
        abl_wino_tile_m(4, x, h, w, cin, cout, u, y, ldy, scale, shift, act, p0, np, scratch);
#else
    (void)x, (void)h, (void)w, (void)cin, (void)cout, (void)u, (void)y, (void)ldy, (void)scale;
    (void)shift, (void)act, (void)p0, (void)np, (void)scratch;
#endif
}

#endif
