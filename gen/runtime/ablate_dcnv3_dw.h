/* gen/runtime/ablate_dcnv3_dw.h — DCNv3 phase A's depthwise k x k conv
 * (zero padding) of one output row, all channels, planar [c][w]:
 * abl_dw_row picks the path (padded rows, four channels at a time, for
 * k >= 5 on narrow maps; on AVX-512 at k = 3 each row's vectors loaded
 * once and shifted in registers, else 16-column vectors with masked borders;
 * a vector loop with scalar borders otherwise).  Split out of
 * ablate_dcnv3.h, which includes this.
 */
#ifndef ABLATE_DCNV3_DW_H
#define ABLATE_DCNV3_DW_H

#include "ablate_dcnv3_ew.h" /* ABL_DCN_SPECIALISE, ablate_gen.h */

/* Largest depthwise kernel abl_dw_row keeps in registers (taps on the stack). */
enum { ABL_DW_KMAX = 15 };

/* Column j of a depthwise row whose taps may read outside the map. */
ABL_DCN_SPECIALISE float abl_dw_border(const float *const *rows, const float *tw, float b, int w,
                                       int k, int j)
{
    const int pd = (k - 1) / 2;
    float acc = b;
    for (int u = 0; u < k; u++)
        for (int v = 0; v < k; v++)
            if (j + v - pd >= 0 && j + v - pd < w)
                acc += tw[u * k + v] * rows[u][j + v - pd];
    return acc;
}

/* Channel ch's k input rows for output row r and its k x k taps: a row
 * outside the map points at row r with zero taps, so that no tap is
 * skipped and the loops over taps have no test. */
ABL_DCN_SPECIALISE void abl_dw_channel(const float *restrict x, const float *restrict wt, int ch,
                                       int h, int w, int k, int r, const float **rows, float *tw)
{
    const int pd = (k - 1) / 2;
    for (int u = 0; u < k; u++) {
        const int yy = r - pd + u, in = yy >= 0 && yy < h;
        rows[u] = x + ((ptrdiff_t)ch * h + (in ? yy : r)) * w;
        for (int v = 0; v < k; v++)
            tw[u * k + v] = in ? wt[((ptrdiff_t)ch * k + u) * k + v] : 0.0f;
    }
}

/* out[ch * w + j] = bias[ch] + sum_{u,v} wt[ch][u][v] x[ch][r - pd + u][j - pd + v]
 * for every channel ch < c and column j < w of output row r; x is one
 * image, c x h x w (NCHW), zero outside; k odd, pd = (k - 1) / 2.
 * Columns pd .. w - pd - 1 read no padding: one vector loop over them with
 * the k x k sum in a register (a row outside the map reads row r with
 * zero taps, so no tap is skipped and the loop has no test); the pd border
 * columns each side test their taps one by one. */
ABL_DCN_SPECIALISE void abl_dw_row_small(const float *restrict x, const float *restrict wt,
                                         const float *restrict bias, int c, int h, int w, int k,
                                         int r, float *restrict out)
{
    const int pd = (k - 1) / 2, lo = pd < w ? pd : w, hi = w - pd > lo ? w - pd : lo;
    for (int ch = 0; ch < c; ch++) {
        float tw[ABL_DW_KMAX * ABL_DW_KMAX];
        const float *rows[ABL_DW_KMAX];
        abl_dw_channel(x, wt, ch, h, w, k, r, rows, tw);
        float *o = out + (ptrdiff_t)ch * w;
        const float b = bias[ch];
#pragma omp simd
        for (int j = lo; j < hi; j++) {
            float acc = b;
            for (int u = 0; u < k; u++)
                for (int v = 0; v < k; v++)
                    acc += tw[u * k + v] * rows[u][j + v - pd];
            o[j] = acc;
        }
        for (int j = 0; j < lo; j++)
            o[j] = abl_dw_border(rows, tw, b, w, k, j);
        for (int j = hi; j < w; j++)
            o[j] = abl_dw_border(rows, tw, b, w, k, j);
    }
}

#ifdef __AVX512F__
/* Lanes of the 16 columns s .. s + 15 of a row of w columns that lie on
 * the row (0 <= column < w), as a mask. */
static inline __mmask16 abl_dw_cols_mask(int s, int w)
{
    const int lo = s < 0 ? -s : 0, hi = w - s < 16 ? w - s : 16;
    return hi > lo ? (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u)) : 0;
}

/* abl_dw_row_small in explicit 16-column vectors, the k x k taps of a
 * channel broadcast once: a vector whose taps read past either end of the
 * row loads with a zero-filling mask (masked-off lanes do not fault), so
 * the border columns need no scalar tests and the last partial vector
 * (78 = 4 x 16 + 14 interior columns at w 80) no scalar tail.  gcc's
 * vectorisation of abl_dw_row_small took ~3x its FMA count at L16. */
ABL_DCN_SPECIALISE void abl_dw_row_vec(const float *restrict x, const float *restrict wt,
                                       const float *restrict bias, int c, int h, int w, int k,
                                       int r, float *restrict out)
{
    const int pd = (k - 1) / 2;
    for (int ch = 0; ch < c; ch++) {
        float taps[ABL_DW_KMAX * ABL_DW_KMAX];
        const float *rows[ABL_DW_KMAX];
        abl_dw_channel(x, wt, ch, h, w, k, r, rows, taps);
        __m512 tw[ABL_DW_KMAX * ABL_DW_KMAX];
        for (int i = 0; i < k * k; i++)
            tw[i] = _mm512_set1_ps(taps[i]);
        const __m512 b = _mm512_set1_ps(bias[ch]);
        float *o = out + (ptrdiff_t)ch * w;
        for (int j0 = 0; j0 < w; j0 += 16) {
            __m512 acc = b;
            if (j0 - pd >= 0 && j0 + 16 + pd <= w) {
                for (int u = 0; u < k; u++)
                    for (int v = 0; v < k; v++)
                        acc = _mm512_fmadd_ps(tw[u * k + v], _mm512_loadu_ps(rows[u] + j0 + v - pd), acc);
                _mm512_storeu_ps(o + j0, acc);
            } else {
                for (int v = 0; v < k; v++) {
                    const __mmask16 m = abl_dw_cols_mask(j0 + v - pd, w);
                    for (int u = 0; u < k; u++)
                        acc = _mm512_fmadd_ps(tw[u * k + v],
                                              _mm512_maskz_loadu_ps(m, rows[u] + j0 + v - pd), acc);
                }
                _mm512_mask_storeu_ps(o + j0, abl_dw_cols_mask(j0, w), acc);
            }
        }
    }
}

/* abl_dw_row_vec at k = 3, the same bits: each input row's 16-column
 * vectors loaded once (a sliding window of three), the columns one left
 * and one right of them made in registers by valignd (zeros past either
 * end of the row), then abl_dw_row_vec's multiply-adds in its order
 * (interior vectors the taps row-major, border vectors column by column).
 * abl_dw_row_vec loaded every tap's columns from memory, 9 loads a vector
 * of which 6 start off a 16-column boundary (split over two cache lines
 * on most rows: 40 columns are 160 bytes) and the border vectors masked:
 * 38 us for the 40 rows of a 64-channel 40 x 40 map hot in the caches,
 * 27 us this way; 154 / 90 us at 80 x 80, 28 / 20 at 20 x 20 with 128
 * channels (perf_deform.md, ninth Intel pass). */
ABL_DCN_SPECIALISE void abl_dw_row3_vec(const float *restrict x, const float *restrict wt,
                                        const float *restrict bias, int c, int h, int w, int r,
                                        float *restrict out)
{
    enum { K = 3 };
    const int nv = (w + 15) / 16;
    for (int ch = 0; ch < c; ch++) {
        float taps[K * K];
        const float *rows[K];
        abl_dw_channel(x, wt, ch, h, w, K, r, rows, taps);
        const __m512 b = _mm512_set1_ps(bias[ch]);
        float *o = out + (ptrdiff_t)ch * w;
        __m512i prev[K], cur[K]; /* row u's vectors jv - 1 and jv */
        for (int u = 0; u < K; u++) {
            prev[u] = _mm512_setzero_si512();
            cur[u] = _mm512_castps_si512(_mm512_maskz_loadu_ps(abl_dw_cols_mask(0, w), rows[u]));
        }
        for (int jv = 0; jv < nv; jv++) {
            const int j0 = 16 * jv;
            __m512 s[K][K]; /* row u, columns j0 - 1 + v .. j0 + 14 + v */
            for (int u = 0; u < K; u++) {
                const __m512i next =
                    jv + 1 < nv ? _mm512_castps_si512(_mm512_maskz_loadu_ps(
                                      abl_dw_cols_mask(j0 + 16, w), rows[u] + j0 + 16))
                                : _mm512_setzero_si512();
                s[u][0] = _mm512_castsi512_ps(_mm512_alignr_epi32(cur[u], prev[u], 15));
                s[u][1] = _mm512_castsi512_ps(cur[u]);
                s[u][2] = _mm512_castsi512_ps(_mm512_alignr_epi32(next, cur[u], 1));
                prev[u] = cur[u];
                cur[u] = next;
            }
            __m512 acc = b;
            if (j0 - 1 >= 0 && j0 + 16 + 1 <= w) {
                for (int u = 0; u < K; u++)
                    for (int v = 0; v < K; v++)
                        acc = _mm512_fmadd_ps(_mm512_set1_ps(taps[u * K + v]), s[u][v], acc);
                _mm512_storeu_ps(o + j0, acc);
            } else {
                for (int v = 0; v < K; v++)
                    for (int u = 0; u < K; u++)
                        acc = _mm512_fmadd_ps(_mm512_set1_ps(taps[u * K + v]), s[u][v], acc);
                _mm512_mask_storeu_ps(o + j0, abl_dw_cols_mask(j0, w), acc);
            }
        }
    }
}
#endif

#if defined(__AVX2__) && defined(__FMA__) && !defined(__AVX512F__)
/* The AVX2 build's rows at k >= 5 that do not take the padded path (rows
 * of 64 columns or more; k 3 keeps abl_dw_row_small, level or 1 % faster
 * there).  They went to abl_dw_row_small, gcc's vectorisation of one
 * channel's k x k loop (the AVX-512 build measured it at ~3x its FMA
 * count, abl_dw_row_vec): on a Zen 3 at L17 (32 channels at 80 x 80,
 * k 7) the depthwise conv was 47 % of DCNv3's 1-thread time, about 20
 * times its multiply-adds at two a cycle (docs/modules/perf_deform.md,
 * Zen 3 section).  Here a channel's row is
 * summed in blocks of up to ABL_DW_AVX2_NJ 8-column vectors at once: each
 * tap broadcast once for the block (one load), then one load and one
 * multiply-add a vector, nj independent chains (Zen 3: 4-cycle
 * multiply-adds, two a cycle).  Only the row's first vector can read
 * left of it, and its last two right of it (pd <= 7 < 8; the one before
 * the last where that is partial); they load with vmaskmovps (zeros
 * outside, no fault), and the last one, if partial, stores with it.
 * Each output adds bias, then the k x k taps row-major, a row outside the
 * map read as row r with zero taps (abl_dw_channel), as abl_dw_row_small
 * does; the border columns' taps past the row add t x 0 = +-0 where
 * abl_dw_border skips them: the same bits (but for the sign of a zero
 * sum). */
enum { ABL_DW_AVX2_NJ = 10 };

/* maskload's mask for the 8 columns s .. s + 7 of a row of w: those on it. */
static inline __m256i abl_dw_cols_mask8(int s, int w)
{
    const __m256i col =
        _mm256_add_epi32(_mm256_set1_epi32(s), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_and_si256(_mm256_cmpgt_epi32(col, _mm256_set1_epi32(-1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32(w), col));
}

/* nj (a constant at each call) vectors of one channel's output row o from
 * column j0: rows / taps as abl_dw_channel sets them, b the bias. */
ABL_DCN_SPECIALISE void abl_dw_block8(const float *const *rows, const float *restrict taps,
                                      float b, int w, int k, int j0, const int nj,
                                      float *restrict o)
{
    enum { NJ = ABL_DW_AVX2_NJ };
    const int pd = (k - 1) / 2, last = j0 + 8 * (nj - 1);
    /* the vectors that read past the row: left of it the row's first (the
     * block's first, j0 0), right of it the row's last and, when that one
     * is partial, the one before (the block's last two) */
    const int left = j0 - pd < 0, right = last + 8 + pd > w, right2 = nj > 1 && last + pd > w;
    __m256i ml[ABL_DW_KMAX], mr[ABL_DW_KMAX], mr2[ABL_DW_KMAX]; /* their masks per tap column v */
    for (int v = 0; v < k; v++) {
        ml[v] = abl_dw_cols_mask8(j0 + v - pd, w);
        mr[v] = abl_dw_cols_mask8(last + v - pd, w);
        mr2[v] = abl_dw_cols_mask8(last - 8 + v - pd, w);
    }
    __m256 acc[NJ];
#pragma GCC unroll 10
    for (int j = 0; j < nj; j++)
        acc[j] = _mm256_set1_ps(b);
#pragma GCC unroll 1
    for (int u = 0; u < k; u++)
#pragma GCC unroll 1
        for (int v = 0; v < k; v++) {
            const __m256 t = _mm256_broadcast_ss(taps + u * k + v);
            const float *s = rows[u] + j0 + v - pd;
#pragma GCC unroll 10
            for (int j = 0; j < nj; j++) {
                __m256 xv;
                if (j == 0 && left)
                    xv = _mm256_maskload_ps(s, ml[v]);
                else if (j == nj - 1 && right)
                    xv = _mm256_maskload_ps(s + 8 * j, mr[v]);
                else if (j == nj - 2 && right2)
                    xv = _mm256_maskload_ps(s + 8 * j, mr2[v]);
                else
                    xv = _mm256_loadu_ps(s + 8 * j);
                acc[j] = _mm256_fmadd_ps(t, xv, acc[j]);
            }
        }
#pragma GCC unroll 10
    for (int j = 0; j < nj; j++) {
        if (j == nj - 1 && last + 8 > w)
            _mm256_maskstore_ps(o + last, abl_dw_cols_mask8(last, w), acc[j]);
        else
            _mm256_storeu_ps(o + j0 + 8 * j, acc[j]);
    }
}

/* abl_dw_row_small's output (row r, all c channels, planar [c][w]) by
 * abl_dw_block8: the row's vectors in blocks of equal size, at most
 * ABL_DW_AVX2_NJ (80 columns: one block of 10). */
ABL_DCN_SPECIALISE void abl_dw_row_avx2(const float *restrict x, const float *restrict wt,
                                        const float *restrict bias, int c, int h, int w, int k,
                                        int r, float *restrict out)
{
    enum { NJ = ABL_DW_AVX2_NJ };
    const int nv = (w + 7) / 8, nb = (nv + NJ - 1) / NJ, per = (nv + nb - 1) / nb;
    for (int ch = 0; ch < c; ch++) {
        float taps[ABL_DW_KMAX * ABL_DW_KMAX];
        const float *rows[ABL_DW_KMAX];
        abl_dw_channel(x, wt, ch, h, w, k, r, rows, taps);
        float *o = out + (ptrdiff_t)ch * w;
        for (int jv = 0; jv < nv; jv += per) {
            const int n = nv - jv < per ? nv - jv : per, j0 = 8 * jv;
#define ABL_DW_BLOCK8_CASE(N)                                                                      \
    case N:                                                                                        \
        abl_dw_block8(rows, taps, bias[ch], w, k, j0, N, o);                                       \
        break;
            switch (n) {
                ABL_DW_BLOCK8_CASE(1)
                ABL_DW_BLOCK8_CASE(2)
                ABL_DW_BLOCK8_CASE(3)
                ABL_DW_BLOCK8_CASE(4)
                ABL_DW_BLOCK8_CASE(5)
                ABL_DW_BLOCK8_CASE(6)
                ABL_DW_BLOCK8_CASE(7)
                ABL_DW_BLOCK8_CASE(8)
                ABL_DW_BLOCK8_CASE(9)
                ABL_DW_BLOCK8_CASE(10)
            default:
                __builtin_trap();
            }
#undef ABL_DW_BLOCK8_CASE
        }
    }
}
#define ABL_DW_ROW_AVX2 1
#else
#define ABL_DW_ROW_AVX2 0
#endif

/* Widest padded row abl_dw_row_padded keeps on the stack (w + k - 1);
 * abl_dw_row takes it for k >= 5 on rows narrower than
 * ABL_DW_PADDED_SWITCH: at k = 3 (1 border column each side) the copy
 * cost 2-3 % more than the tests it saves, at w = 20 as at w = 40. */
enum { ABL_DW_PADDED_WMAX = 128, ABL_DW_PADDED_SWITCH = 64 };

/* abl_dw_row_small for narrow rows: the k input rows of a channel copied
 * into zero-padded rows first (pd zeros each side), so that one vector
 * loop covers every column with no tests.  At w = 20 (YOLOv5n's P5) a
 * 7 x 7 kernel left 6 of 20 columns to the per-tap tests of abl_dw_border,
 * and the 14 interior ones were a vector and a tail: the depthwise conv
 * was 15 % of C3_DCNv3_DLKA dcnv3_lka there (profile in
 * docs/modules/performance.md).  Needs w + k - 1 <= ABL_DW_PADDED_WMAX.
 * The padded rows are as wide as whole 16-float vectors of output need
 * (abl_dw_padded_width; an 8-float one last where it covers the rest),
 * and ABL_DW_PADDED_NC channels are summed at once: one channel's k x k
 * taps are a chain of dependent multiply-adds per output vector (49 at
 * k = 7: at w = 20, one vector and a 4-column tail, the chain's latency
 * made this 30-35 % of DCNv3 k = 7's time at 20 x 20, eighth pass in
 * docs/modules/perf_deform.md); four channels' vectors are 8-16
 * independent chains.  Each output still adds bias, then the taps in
 * row-major order: the same bits as one channel at a time. */
enum { ABL_DW_PADDED_NC = 4, ABL_DW_PADDED_VL = 16 };

/* Output columns abl_dw_rows_padded computes for a row of w: whole
 * 16-float vectors, the last one 8 floats wide where at most 8 columns
 * are left (w = 20: 16 + 8, not 32; w = 40: 32 + 8). */
ABL_DCN_SPECIALISE int abl_dw_padded_full(int w)
{
    return w / ABL_DW_PADDED_VL + (w % ABL_DW_PADDED_VL > ABL_DW_PADDED_VL / 2);
}
ABL_DCN_SPECIALISE int abl_dw_padded_half(int w)
{
    return w % ABL_DW_PADDED_VL > 0 && w % ABL_DW_PADDED_VL <= ABL_DW_PADDED_VL / 2;
}
/* The padded row's width: those columns and k - 1 more. */
ABL_DCN_SPECIALISE int abl_dw_padded_width(int w, int k)
{
    return abl_dw_padded_full(w) * ABL_DW_PADDED_VL + abl_dw_padded_half(w) * ABL_DW_PADDED_VL / 2 +
           k - 1;
}

ABL_DCN_SPECIALISE void abl_dw_rows_padded(const float *restrict x, const float *restrict wt,
                                           const float *restrict bias, int ch0, int nc, int h,
                                           int w, int k, int r, float *restrict buf,
                                           float *restrict out)
{
    typedef float vf __attribute__((vector_size(ABL_DW_PADDED_VL * sizeof(float))));
    typedef float vh __attribute__((vector_size(ABL_DW_PADDED_VL / 2 * sizeof(float))));
    enum { VL = ABL_DW_PADDED_VL, NVMAX = (ABL_DW_PADDED_SWITCH + VL - 1) / VL };
    const int pd = (k - 1) / 2, nv = abl_dw_padded_full(w), half = abl_dw_padded_half(w);
    const int wp = abl_dw_padded_width(w, k);
    float tw[ABL_DW_PADDED_NC][ABL_DW_KMAX * ABL_DW_KMAX];
    vf acc[ABL_DW_PADDED_NC][NVMAX];
    vh acch[ABL_DW_PADDED_NC];
    for (int i = 0; i < nc; i++) {
        const int ch = ch0 + i;
        for (int u = 0; u < k; u++) {
            const int yy = r - pd + u, in = yy >= 0 && yy < h;
            memcpy(buf + (i * k + u) * wp + pd, x + ((ptrdiff_t)ch * h + (in ? yy : r)) * w,
                   sizeof(float) * (size_t)w);
            for (int v = 0; v < k; v++)
                tw[i][u * k + v] = in ? wt[((ptrdiff_t)ch * k + u) * k + v] : 0.0f;
        }
        for (int jv = 0; jv < nv; jv++)
            for (int l = 0; l < VL; l++)
                acc[i][jv][l] = bias[ch];
        for (int l = 0; l < VL / 2; l++)
            acch[i][l] = bias[ch];
    }
    for (int u = 0; u < k; u++)
        for (int v = 0; v < k; v++)
            for (int i = 0; i < nc; i++) {
                const float *src = buf + (i * k + u) * wp + v;
                for (int jv = 0; jv < nv; jv++) {
                    vf s;
                    memcpy(&s, src + jv * VL, sizeof s);
                    acc[i][jv] += tw[i][u * k + v] * s;
                }
                if (half) {
                    vh s;
                    memcpy(&s, src + nv * VL, sizeof s);
                    acch[i] += tw[i][u * k + v] * s;
                }
            }
    for (int i = 0; i < nc; i++) {
        float row[NVMAX * VL + VL / 2];
        memcpy(row, acc[i], sizeof(vf) * (size_t)nv);
        memcpy(row + nv * VL, &acch[i], sizeof(vh));
        memcpy(out + (ptrdiff_t)(ch0 + i) * w, row, sizeof(float) * (size_t)w);
    }
}

/* abl_dw_rows_padded over all c channels, ABL_DW_PADDED_NC at a time.
 * Needs w < ABL_DW_PADDED_SWITCH (abl_dw_row's choice). */
ABL_DCN_SPECIALISE void abl_dw_row_padded(const float *restrict x, const float *restrict wt,
                                          const float *restrict bias, int c, int h, int w, int k,
                                          int r, float *restrict out)
{
    enum { NC = ABL_DW_PADDED_NC, VL = ABL_DW_PADDED_VL };
    float buf[NC * ABL_DW_KMAX * (ABL_DW_PADDED_SWITCH + VL + ABL_DW_KMAX)];
    memset(buf, 0, sizeof(float) * (size_t)(NC * k * abl_dw_padded_width(w, k))); /* padding 0 */
    int ch = 0;
    for (; ch + NC <= c; ch += NC)
        abl_dw_rows_padded(x, wt, bias, ch, NC, h, w, k, r, buf, out);
    for (; ch < c; ch++)
        abl_dw_rows_padded(x, wt, bias, ch, 1, h, w, k, r, buf, out);
}

/* Whether abl_dw_row takes the padded rows (k >= 5 on narrow rows), and
 * so abl_dw_rows_tile its tile path: a macro, so that a template can size
 * its scratch by it in a constant expression. */
#define ABL_DW_PADDED_OK(w, k)                                                                     \
    ((k) >= 5 && (k) <= ABL_DW_KMAX && (w) < ABL_DW_PADDED_SWITCH &&                               \
     (w) + (k) - 1 <= ABL_DW_PADDED_WMAX)

/* Output rows abl_dw_rows_tile computes from one copy of their input rows
 * (its stack buffer: ABL_DW_PADDED_NC channels of ABL_DW_TILE_ROWS + k - 1
 * padded rows, 33 KiB at most). */
enum { ABL_DW_TILE_ROWS = 8, ABL_DW_TILE_IN = ABL_DW_TILE_ROWS + ABL_DW_KMAX - 1 };

/* The chunk sizes abl_dw_tile_rows is built for, a mask (bit n - 1: n
 * rows), defined by a template before this header where its generator
 * knows the tiles its schedule makes (gen/dcnv3.lua dw_tile_chunks: tiles
 * of up to TRB rows, in abl_dw_rows_tile's chunks): each size is a
 * specialisation of the register-rows tile, most of a k = 7 kernel's
 * build (docs/contributing.md, a3-testtime).  A size left out traps.  Not
 * defined (the header checkers): all eight. */
#ifndef ABL_DW_TILE_NR
#define ABL_DW_TILE_NR 0xff
#endif

#ifdef __AVX512F__
/* Vectors of an output row abl_dw_tile_rows keeps per row in registers
 * (ABL_DW_TILE_ROWS rows of them: 24 accumulators at 3). */
enum { ABL_DW_ROWS_NJ = 3 };

/* Whether abl_dw_tile_padded takes abl_dw_tile_rows on AVX-512: its
 * accumulators (whole vectors and the 8-float one of a row) fit. */
ABL_DCN_SPECIALISE int abl_dw_rows_fit(int w)
{
    return abl_dw_padded_full(w) + abl_dw_padded_half(w) <= ABL_DW_ROWS_NJ;
}

/* The input rows of one channel's tile (nr + k - 1, rows q = r0 - pd + d)
 * each load an input vector once and feed every output row r it reaches
 * (tap row u = d - r), one tap broadcast per row fed.
 * nr is a constant at each call (abl_dw_tile_rows' switch), so the
 * loops over d and r unroll and which rows a d feeds is known when
 * compiling: no test per multiply-add, all nr x nj sums in registers. */
ABL_DCN_SPECIALISE void abl_dw_tile_rows_n(const float *restrict src, const float *restrict tw,
                                           float bias, int h, int w, int k, int r0, const int nr,
                                           int lo, int wp, float *restrict out, ptrdiff_t ldo)
{
    enum { R = ABL_DW_TILE_ROWS, NJ = ABL_DW_ROWS_NJ, VL = ABL_DW_PADDED_VL };
    enum { DMAX = ABL_DW_TILE_ROWS + ABL_DW_KMAX - 1 };
    const int pd = (k - 1) / 2, nv = abl_dw_padded_full(w), nj = nv + abl_dw_padded_half(w);
    __mmask16 ld[NJ], st[NJ]; /* lanes loaded (the 8-float vector: 8), stored (< w) */
#pragma GCC unroll 3
    for (int j = 0; j < NJ; j++) {
        const int left = w - j * VL, width = j < nv ? VL : VL / 2;
        ld[j] = (__mmask16)((1u << width) - 1u);
        st[j] = (__mmask16)((1u << (left < width ? (left > 0 ? left : 0) : width)) - 1u);
    }
    __m512 acc[R][NJ];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
#pragma GCC unroll 3
        for (int j = 0; j < NJ; j++)
            acc[r][j] = _mm512_set1_ps(bias);
#pragma GCC unroll 22
    for (int d = 0; d < DMAX; d++) {
        if (d >= nr + k - 1)
            break;
        const int q = r0 - pd + d;
        if (q >= 0 && q < h) {
            const float *s = src + (ptrdiff_t)(q - lo) * wp;
            /* not unrolled: unrolled, gcc hoisted the taps' broadcasts and
             * spilled the sums */
#pragma GCC unroll 1
            for (int v = 0; v < k; v++) {
                __m512 xv[NJ];
#pragma GCC unroll 3
                for (int j = 0; j < NJ; j++)
                    xv[j] =
                        j < nj ? _mm512_maskz_loadu_ps(ld[j], s + v + j * VL) : _mm512_setzero_ps();
#pragma GCC unroll 8
                for (int r = 0; r < R; r++) {
                    if (r >= nr || d - r < 0 || d - r >= k)
                        continue;
                    const __m512 tap = _mm512_set1_ps(tw[(d - r) * k + v]);
#pragma GCC unroll 3
                    for (int j = 0; j < NJ; j++)
                        if (j < nj)
                            acc[r][j] = _mm512_fmadd_ps(tap, xv[j], acc[r][j]);
                }
            }
        } else { /* outside the map: row r0 + r with zero taps, as abl_dw_tile_padded */
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                if (r >= nr || d - r < 0 || d - r >= k)
                    continue;
                const float *s = src + (ptrdiff_t)(r0 + r - lo) * wp;
                /* not unrolled either: unrolled per row and tap (k x nr
                 * copies in each of the d's), these rows, which run only at
                 * the map's top and bottom, were half a k = 7 kernel's build */
#pragma GCC unroll 1
                for (int v = 0; v < k; v++)
#pragma GCC unroll 3
                    for (int j = 0; j < NJ; j++)
                        if (j < nj)
                            acc[r][j] = _mm512_fmadd_ps(
                                _mm512_setzero_ps(), _mm512_maskz_loadu_ps(ld[j], s + v + j * VL),
                                acc[r][j]);
            }
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
#pragma GCC unroll 3
        for (int j = 0; j < NJ; j++)
            if (r < nr && j < nj)
                _mm512_mask_storeu_ps(out + r * ldo + j * VL, st[j], acc[r][j]);
}

/* One channel of abl_dw_tile_padded: output rows r0 .. r0 + nr - 1 (nr <=
 * ABL_DW_TILE_ROWS) from its padded input rows (src: row lo's, rows wp
 * apart) and its k x k taps tw, row r0 + r into out + r ldo, by
 * abl_dw_tile_rows_n: every output row of the tile in registers at once,
 * so that each input vector is loaded once for the up to k rows it
 * feeds.  abl_dw_tile_padded loaded every input vector once per output
 * row and tap (a load for each multiply-add plus the tap's): the 7 x 7
 * depthwise conv was 174 of 1101 us of DCNv3 k 7 at 40 x 40 and 113 of
 * 658 at 20 x 20 with 128 channels, 126 and 82 this way (stamps, 1
 * thread; perf_deform.md, z-dcnv3's section).  Each output gets bias,
 * then the taps in row-major order, an input row outside the map as row
 * r0 + r with zero taps: abl_dw_tile_padded's operations, the same bits. */
ABL_DCN_SPECIALISE void abl_dw_tile_rows(const float *restrict src, const float *restrict tw,
                                         float bias, int h, int w, int k, int r0, int nr, int lo,
                                         int wp, float *restrict out, ptrdiff_t ldo)
{
#define ABL_DW_ROWS_CASE(n)                                                                        \
    case n:                                                                                        \
        if ((ABL_DW_TILE_NR) >> ((n)-1) & 1)                                                       \
            abl_dw_tile_rows_n(src, tw, bias, h, w, k, r0, n, lo, wp, out, ldo);                   \
        else /* ABL_DW_TILE_NR disagrees with the schedule */                                      \
            __builtin_trap();                                                                      \
        break;
    switch (nr) {
        ABL_DW_ROWS_CASE(1)
        ABL_DW_ROWS_CASE(2)
        ABL_DW_ROWS_CASE(3)
        ABL_DW_ROWS_CASE(4)
        ABL_DW_ROWS_CASE(5)
        ABL_DW_ROWS_CASE(6)
        ABL_DW_ROWS_CASE(7)
        ABL_DW_ROWS_CASE(8)
    default:
        break;
    }
#undef ABL_DW_ROWS_CASE
}
#endif

/* abl_dw_rows_padded for nr <= ABL_DW_TILE_ROWS consecutive output rows
 * r0 .. r0 + nr - 1 of nc channels from ch0, each input row copied into
 * its zero-padded row of buf once (rows lo .. of the map, the
 * ABL_DW_TILE_IN rows of a channel wp floats apart; the padding columns
 * already 0) instead of once per output row it feeds (k times).  Output
 * row r0 + r goes to the plane out + r ldo ([c][w]).  Per output the same
 * operations in the same order as abl_dw_rows_padded: bias, then the taps
 * row-major, a row outside the map read as row r0 + r with zero taps; so
 * the same bits. */
ABL_DCN_SPECIALISE void abl_dw_tile_padded(const float *restrict x, const float *restrict wt,
                                           const float *restrict bias, int ch0, int nc, int h,
                                           int w, int k, int r0, int nr, int lo,
                                           float *restrict buf, float *restrict out,
                                           ptrdiff_t ldo)
{
    typedef float vf __attribute__((vector_size(ABL_DW_PADDED_VL * sizeof(float))));
    typedef float vh __attribute__((vector_size(ABL_DW_PADDED_VL / 2 * sizeof(float))));
    enum { VL = ABL_DW_PADDED_VL, NVMAX = (ABL_DW_PADDED_SWITCH + VL - 1) / VL };
    const int pd = (k - 1) / 2, nv = abl_dw_padded_full(w), half = abl_dw_padded_half(w);
    const int wp = abl_dw_padded_width(w, k);
    const int hi = r0 + nr + pd < h ? r0 + nr + pd : h; /* input rows lo .. hi - 1 */
    float tw[ABL_DW_PADDED_NC][ABL_DW_KMAX * ABL_DW_KMAX], zero[ABL_DW_KMAX] = {0};
    for (int i = 0; i < nc; i++) {
        const int ch = ch0 + i;
        for (int yy = lo; yy < hi; yy++)
            memcpy(buf + ((ptrdiff_t)i * ABL_DW_TILE_IN + yy - lo) * wp + pd,
                   x + ((ptrdiff_t)ch * h + yy) * w, sizeof(float) * (size_t)w);
        for (int t = 0; t < k * k; t++)
            tw[i][t] = wt[(ptrdiff_t)ch * k * k + t];
    }
#ifdef __AVX512F__
    if (abl_dw_rows_fit(w)) {
        for (int i = 0; i < nc; i++)
            abl_dw_tile_rows(buf + (ptrdiff_t)i * ABL_DW_TILE_IN * wp, tw[i], bias[ch0 + i], h, w,
                             k, r0, nr, lo, wp, out + (ptrdiff_t)(ch0 + i) * w, ldo);
        return;
    }
#endif
    for (int r = 0; r < nr; r++) {
        const int rr = r0 + r;
        vf acc[ABL_DW_PADDED_NC][NVMAX];
        vh acch[ABL_DW_PADDED_NC];
        for (int i = 0; i < nc; i++) {
            for (int jv = 0; jv < nv; jv++)
                for (int l = 0; l < VL; l++)
                    acc[i][jv][l] = bias[ch0 + i];
            for (int l = 0; l < VL / 2; l++)
                acch[i][l] = bias[ch0 + i];
        }
        for (int u = 0; u < k; u++) {
            const int yy = rr - pd + u, in = yy >= 0 && yy < h;
            const ptrdiff_t row = (ptrdiff_t)((in ? yy : rr) - lo) * wp;
            const float *tu[ABL_DW_PADDED_NC]; /* the row's taps, or zeros */
            for (int i = 0; i < nc; i++)
                tu[i] = in ? tw[i] + u * k : zero;
            for (int v = 0; v < k; v++)
                for (int i = 0; i < nc; i++) {
                    const float *src = buf + (ptrdiff_t)i * ABL_DW_TILE_IN * wp + row + v;
#ifdef __AVX512F__
                    /* the tap broadcast from memory (a load); gcc loaded it
                     * and broadcast it twice from a register (zmm and ymm),
                     * two shuffles on the port of the second FMA */
                    const __m512 t16 = _mm512_set1_ps(tu[i][v]);
                    for (int jv = 0; jv < nv; jv++) {
                        __m512 a;
                        memcpy(&a, &acc[i][jv], sizeof a);
                        a = _mm512_fmadd_ps(t16, _mm512_loadu_ps(src + jv * VL), a);
                        memcpy(&acc[i][jv], &a, sizeof a);
                    }
                    if (half) {
                        __m256 a;
                        memcpy(&a, &acch[i], sizeof a);
                        a = _mm256_fmadd_ps(_mm512_castps512_ps256(t16),
                                            _mm256_loadu_ps(src + nv * VL), a);
                        memcpy(&acch[i], &a, sizeof a);
                    }
                    continue;
#elif defined(__AVX2__) && defined(__FMA__)
                    /* AVX2: a 16-float vf is two ymm, and gcc broadcast
                     * `tap * s`'s tap into it through the stack (16 scalar
                     * stores, two reloads a tap): the depthwise conv was
                     * 2/3 of DCNv3 k = 7's time on 40 x 40 (perf_deform.md,
                     * the AVX2 build).  The same multiply-adds on ymm
                     * halves, the tap broadcast once; same bits (the
                     * generic code's contracted fma, lane for lane). */
                    const __m256 t8 = _mm256_set1_ps(tu[i][v]);
                    for (int jv = 0; jv < nv; jv++)
                        for (int hv = 0; hv < VL / 8; hv++) {
                            __m256 a;
                            memcpy(&a, (float *)&acc[i][jv] + 8 * hv, sizeof a);
                            a = _mm256_fmadd_ps(t8, _mm256_loadu_ps(src + jv * VL + 8 * hv), a);
                            memcpy((float *)&acc[i][jv] + 8 * hv, &a, sizeof a);
                        }
                    if (half) {
                        __m256 a;
                        memcpy(&a, &acch[i], sizeof a);
                        a = _mm256_fmadd_ps(t8, _mm256_loadu_ps(src + nv * VL), a);
                        memcpy(&acch[i], &a, sizeof a);
                    }
                    continue;
#endif
                    const float tap = tu[i][v];
                    for (int jv = 0; jv < nv; jv++) {
                        vf s;
                        memcpy(&s, src + jv * VL, sizeof s);
                        acc[i][jv] += tap * s;
                    }
                    if (half) {
                        vh s;
                        memcpy(&s, src + nv * VL, sizeof s);
                        acch[i] += tap * s;
                    }
                }
        }
        for (int i = 0; i < nc; i++) {
            float rowv[NVMAX * VL + VL / 2];
            memcpy(rowv, acc[i], sizeof(vf) * (size_t)nv);
            memcpy(rowv + nv * VL, &acch[i], sizeof(vh));
            memcpy(out + r * ldo + (ptrdiff_t)(ch0 + i) * w, rowv, sizeof(float) * (size_t)w);
        }
    }
}

/* The depthwise conv of output rows r0 .. r0 + nr - 1, all c channels,
 * row r0 + r into the plane out + r ldo ([c][w]); ABL_DW_PADDED_OK(w, k)
 * only (else abl_dw_row per row).  abl_dw_row_padded copied a channel's k
 * input rows into padded rows for every output row: at k = 7 on 40 x 40
 * that copy and the taps' setup were half the depthwise conv's time
 * (docs/modules/perf_deform.md, second Intel pass).  Same bits as
 * abl_dw_row. */
ABL_DCN_SPECIALISE void abl_dw_rows_tile(const float *restrict x, const float *restrict wt,
                                         const float *restrict bias, int c, int h, int w, int k,
                                         int r0, int nr, float *restrict out, ptrdiff_t ldo)
{
    enum { NC = ABL_DW_PADDED_NC, VL = ABL_DW_PADDED_VL };
    float buf[NC * ABL_DW_TILE_IN * (ABL_DW_PADDED_SWITCH + VL + ABL_DW_KMAX)];
    const int pd = (k - 1) / 2, wp = abl_dw_padded_width(w, k);
    /* the padding columns 0 once: the copies write only columns pd .. pd + w - 1 */
    memset(buf, 0, sizeof(float) * (size_t)(NC * ABL_DW_TILE_IN * wp));
    /* chunks of equal size (10 rows: 5 + 5, not 8 + 2, whose 2-row chunk
     * reads 8 input rows for 2 output rows) */
    const int chunks = (nr + ABL_DW_TILE_ROWS - 1) / ABL_DW_TILE_ROWS;
    const int per = chunks ? (nr + chunks - 1) / chunks : 0;
    for (int q = 0; q < nr; q += per) {
        const int n = nr - q < per ? nr - q : per;
        const int lo = r0 + q - pd > 0 ? r0 + q - pd : 0;
        float *o = out + q * ldo;
        int ch = 0;
        for (; ch + NC <= c; ch += NC)
            abl_dw_tile_padded(x, wt, bias, ch, NC, h, w, k, r0 + q, n, lo, buf, o, ldo);
        for (; ch < c; ch++)
            abl_dw_tile_padded(x, wt, bias, ch, 1, h, w, k, r0 + q, n, lo, buf, o, ldo);
    }
}

/* The same for any k: per tap a vector loop over its clipped column range,
 * accumulating through the output row. */
ABL_DCN_SPECIALISE void abl_dw_row_any(const float *restrict x, const float *restrict wt,
                                       const float *restrict bias, int c, int h, int w, int k,
                                       int r, float *restrict out)
{
    const int pd = (k - 1) / 2;
    for (int ch = 0; ch < c; ch++) {
        float *o = out + (ptrdiff_t)ch * w;
        const float b = bias[ch];
#pragma omp simd
        for (int j = 0; j < w; j++)
            o[j] = b;
        for (int u = 0; u < k; u++) {
            const int yy = r - pd + u;
            if (yy < 0 || yy >= h)
                continue;
            const float *src = x + ((ptrdiff_t)ch * h + yy) * w;
            for (int v = 0; v < k; v++) {
                const float tap = wt[((ptrdiff_t)ch * k + u) * k + v];
                const int lo = pd - v > 0 ? pd - v : 0, hi = w + pd - v < w ? w + pd - v : w;
                const float *s = src + v - pd;
#pragma omp simd
                for (int j = lo; j < hi; j++)
                    o[j] += tap * s[j];
            }
        }
    }
}

/* Depthwise k x k conv of output row r, all channels, planar [c][w]. */
ABL_DCN_SPECIALISE void abl_dw_row(const float *restrict x, const float *restrict wt,
                                   const float *restrict bias, int c, int h, int w, int k, int r,
                                   float *restrict out)
{
    if (ABL_DW_PADDED_OK(w, k))
        abl_dw_row_padded(x, wt, bias, c, h, w, k, r, out);
#ifdef __AVX512F__
    else if (k == 3)
        abl_dw_row3_vec(x, wt, bias, c, h, w, r, out);
    else if (k <= ABL_DW_KMAX)
        abl_dw_row_vec(x, wt, bias, c, h, w, k, r, out);
#elif ABL_DW_ROW_AVX2
    else if (k >= 5 && k <= ABL_DW_KMAX)
        abl_dw_row_avx2(x, wt, bias, c, h, w, k, r, out);
#endif
    else if (k <= ABL_DW_KMAX)
        abl_dw_row_small(x, wt, bias, c, h, w, k, r, out);
    else
        abl_dw_row_any(x, wt, bias, c, h, w, k, r, out);
}

#endif
