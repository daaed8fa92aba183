/* gen/runtime/ablate_dcnv3.h — DCNv3 pieces the generated DCNv3 kernels
 * (gen/templates/dcnv3_*.c.in) share.  Like ablate_gen.h: static inline,
 * sizes as arguments, so the template's constants specialise them.
 *
 * Phase A's pieces live in two headers this one includes:
 *   ablate_dcnv3_ew.h    abl_gelu*, abl_ln_gelu_row, abl_dcn_softmax*
 *   ablate_dcnv3_dw.h    abl_dw_row: the depthwise k x k conv of one row
 * Here, the sampler (phase B):
 *   abl_dcn_corners      one 2 x 2 block index and 4 corner weights for
 *                        every point of a pixel, vectorised over the points
 *   abl_dcn_core         one pixel's sampled core: per group and point the
 *                        4 corners' GC contiguous channels, explicit vectors
 * The DCNv3 row's kernel (templates/dcnv3_fused.c.in, sizes constant) and
 * the DCNv3 attention layers (ablate_dlka_dcnv3.h, sizes at run time) both
 * sample with these, so they run the same code.
 */
#ifndef ABLATE_DCNV3_H
#define ABLATE_DCNV3_H

#include "ablate_dcnv3_dw.h"
#include "ablate_dcnv3_ew.h"

/* Points of one pixel's corner plan as abl_dcn_corners computes it: G P
 * rounded up to whole 16-float vectors; also the stride of its weight
 * rows.  ABL_DCN_OM_SLACK: floats the callers allocate past the last
 * pixel's offsets-and-mask row, which the padding points read. */
enum { ABL_DCN_OM_SLACK = 32 };
ABL_DCN_SPECIALISE int abl_dcn_gpv(int gp) { return (gp + 15) / 16 * 16; }

/* Distance in floats from a point's first corner to its right and lower
 * corners in a channels-last h x w map of c channels: a one-pixel-wide
 * (or one-row) map has no second column (row), whose corner weights are 0
 * then, so the step is 0 and every load stays inside the map. */
ABL_DCN_SPECIALISE ptrdiff_t abl_dcn_step_x(int c, int w) { return w > 1 ? c : 0; }
ABL_DCN_SPECIALISE ptrdiff_t abl_dcn_step_y(int c, int h, int w) { return h > 1 ? (ptrdiff_t)w * c : 0; }

/* The four corners of every point q < gp of pixel (ph, pw) of an h x w
 * map: ONE flat pixel index idx[q], the top-left of a 2 x 2 block inside
 * the map (its other corners are idx + 1, idx + w, idx + w + 1), and the
 * bilinear weights wt[k * gp + q] of the block's corners k (top-left,
 * top-right, bottom-left, bottom-right), times the mask om[2 gp + q] when
 * use_mask.  A corner outside the map has weight 0 (MODULES.md 0.1
 * bil0): a point whose sample column x0 is -1 keeps its column x0 + 1 as
 * the block's left one, one whose x0 is w - 1 its column x0 as the
 * block's right one (rows likewise), so the block never leaves the map.
 * One index per point instead of four: the corner sums load one index and
 * reach the other corners by constant displacements.
 * om: the pixel's offsets (x, y) per point, then its masks; grid_x /
 * grid_y: each point's kernel-grid offset (6.1 step 4), abl_dcn_gpv(gp)
 * entries (the padding any value).
 * Vectorised over the points (needs -fno-trapping-math for floorf), in
 * blocks of 16 and a last block of 8 where at most 8 are left: whole
 * vectors, no scalar tail (gp = 36 at k = 3, g = 4 left 4 points to a
 * scalar loop that cost as much as a vector iteration each).  The padding points read up to ABL_DCN_OM_SLACK
 * floats past the pixel's om row (the next pixel's, or the slack the
 * callers allocate), and their plan, written past gp, is never read.
 * wt's corner rows are abl_dcn_gpv(gp) apart.
 * skip (a constant: the generators' abl_dcn_skip choice): keep[q]
 * (abl_dcn_gpv(gp) entries) is set to 0 for a point wholly outside the map
 * (all its weights exact zeros), else 1, and the return value is how many
 * of the gp points are wholly outside, so that abl_dcn_core skips them
 * for the pixels that have many; without skip neither is computed (0). */
/* Lanes of one block of the corner plan (one zmm of points), and of the
 * last block when at most ABL_DCN_PLAN_TAIL points are left (a ymm: at
 * k = 3, g = 4 the third block holds 4 of the 36 points, and a block of
 * 16 lanes cost as much as a full one). */
enum { ABL_DCN_PLAN_LANES = 16, ABL_DCN_PLAN_TAIL = 8 };
/* The plan's loops ask for 16-lane vectors (a macro: the pragma takes a
 * literal): gcc's -march=native tuning on this Intel Xeon (rocketlake,
 * -mprefer-vector-width=256) vectorised them as two ymm per block, and
 * at 7 x 7 x 4 points a pixel the plan was 24 % of DCNv3's time there
 * (docs/modules/perf_deform.md, Intel pass).  A trip count of 8 (the
 * tail block) still gets one ymm; the AVX2 build gets two ymm; every
 * lane computes what it did, so the same bits. */
#define ABL_DCN_PLAN_SIMDLEN 16

/* The plan of abl_dcn_corners for its points q0 .. q0 + lanes - 1 (lanes
 * ABL_DCN_PLAN_LANES or ABL_DCN_PLAN_TAIL, a constant at every call), any
 * of them near or beyond the border; returns how many of those below gp
 * are wholly outside (skip; else 0). */
ABL_DCN_SPECIALISE int abl_dcn_corners_border(int gp, int h, int w, float osc,
                                              const float *restrict grid_x,
                                              const float *restrict grid_y,
                                              const float *restrict om, int use_mask, int ph,
                                              int pw, int q0, int lanes, int32_t *restrict idx,
                                              float *restrict wt, int skip,
                                              int32_t *restrict keep)
{
    const float *m = om + 2 * gp;
    const int gpv = abl_dcn_gpv(gp);
    const int wl = w > 1 ? w - 2 : 0, hl = h > 1 ? h - 2 : 0; /* last block column / row */
    int nout = 0;
#pragma omp simd simdlen(ABL_DCN_PLAN_SIMDLEN) reduction(+ : nout)
    for (int q = q0; q < q0 + lanes; q++) {
        const float mq = use_mask ? m[q] : 1.0f;
        /* coordinates beyond the 1-pixel border are clamped: all their
         * corners stay outside, and the float -> int conversion is safe
         * (a NaN, e.g. a padding point's garbage, is clamped to -2 too) */
        float xs = (float)pw + osc * (grid_x[q] + om[2 * q]);
        float ys = (float)ph + osc * (grid_y[q] + om[2 * q + 1]);
        xs = !(xs >= -2.0f) ? -2.0f : xs > (float)w + 1.0f ? (float)w + 1.0f : xs;
        ys = !(ys >= -2.0f) ? -2.0f : ys > (float)h + 1.0f ? (float)h + 1.0f : ys;
        const float fx = floorf(xs), fy = floorf(ys), lx = xs - fx, ly = ys - fy;
        const int x0 = (int)fx, y0 = (int)fy;
        /* one unsigned compare per bound: with run-time sizes gcc keeps a
         * `>= 0 && <` pair as branches and gives up vectorising */
        const float vx0 = (unsigned)x0 < (unsigned)w ? 1.0f - lx : 0.0f;
        const float vx1 = (unsigned)(x0 + 1) < (unsigned)w ? lx : 0.0f;
        const float vy0 = (unsigned)y0 < (unsigned)h ? (1.0f - ly) * mq : 0.0f;
        const float vy1 = (unsigned)(y0 + 1) < (unsigned)h ? ly * mq : 0.0f;
        /* the block's columns bx, bx + 1 and their weights: x0 < 0 leaves
         * only x0 + 1 (= bx when x0 is -1), x0 > w - 2 only x0 (= bx + 1
         * when x0 is w - 1; = bx on a one-column map) */
        const int bx = x0 < 0 ? 0 : x0 > wl ? wl : x0, by = y0 < 0 ? 0 : y0 > hl ? hl : y0;
        const float ax0 = x0 < 0 ? vx1 : x0 > wl ? (w > 1 ? 0.0f : vx0) : vx0;
        const float ax1 = x0 < 0 ? 0.0f : x0 > wl ? (w > 1 ? vx0 : 0.0f) : vx1;
        const float ay0 = y0 < 0 ? vy1 : y0 > hl ? (h > 1 ? 0.0f : vy0) : vy0;
        const float ay1 = y0 < 0 ? 0.0f : y0 > hl ? (h > 1 ? vy0 : 0.0f) : vy1;
        /* both columns' (or both rows') weights 0: all four products are
         * exact zeros, the point adds nothing (wholly outside the map).
         * The weights are >= 0, so a sum of 0 means both are 0; `|`, not
         * `||`, which gcc keeps as branches here and stops vectorising. */
        const int out = (ax0 + ax1 == 0.0f) | (ay0 + ay1 == 0.0f);
        idx[q] = by * w + bx;
        wt[0 * gpv + q] = ay0 * ax0;
        wt[1 * gpv + q] = ay0 * ax1;
        wt[2 * gpv + q] = ay1 * ax0;
        wt[3 * gpv + q] = ay1 * ax1;
        if (skip) {
            keep[q] = !out;
            nout += q < gp && out;
        }
    }
    return nout;
}

/* 1 when every one of the `lanes` coordinates xs, ys has its 2 x 2 block
 * wholly inside the map: 0 <= xs < w - 1 and 0 <= ys < h - 1 (a NaN is
 * not).  With AVX-512 four compares into one mask: as an OR reduction
 * over the lanes gcc moved the flags out of the mask registers and folded
 * them by extracts and shifts, 10 of the block's 55 instructions
 * (docs/modules/perf_deform.md, seventh pass). */
ABL_DCN_SPECIALISE int abl_dcn_coords_inside(int h, int w, int lanes, const float *restrict xs,
                                             const float *restrict ys)
{
#if defined(__AVX512F__) && defined(__AVX512VL__)
/* the four compares for one vector width: P the intrinsics' prefix, V the
 * vector type, K the mask type */
#define ABL_DCN_INSIDE_MASK(P, V, K)                                                               \
    do {                                                                                           \
        const V x = P##_loadu_ps(xs), y = P##_loadu_ps(ys), z = P##_setzero_ps();                  \
        K in = P##_cmp_ps_mask(x, z, _CMP_GE_OQ);                                                  \
        in = P##_mask_cmp_ps_mask(in, x, P##_set1_ps((float)(w - 1)), _CMP_LT_OQ);                 \
        in = P##_mask_cmp_ps_mask(in, y, z, _CMP_GE_OQ);                                           \
        in = P##_mask_cmp_ps_mask(in, y, P##_set1_ps((float)(h - 1)), _CMP_LT_OQ);                 \
        return in == (K)~(K)0;                                                                     \
    } while (0)
    if (lanes == 16)
        ABL_DCN_INSIDE_MASK(_mm512, __m512, __mmask16);
    if (lanes == 8)
        ABL_DCN_INSIDE_MASK(_mm256, __m256, __mmask8);
#undef ABL_DCN_INSIDE_MASK
#elif defined(__AVX2__)
    /* AVX2: the four compares a ymm of lanes, ANDed, one movemask: gcc's
     * OR reduction of the loop below folded the flags by shuffles across
     * the lanes, 1-2 % of DCNv3's time at L17 k 3 on Zen 3 */
    if (lanes % 8 == 0) {
        const __m256 z = _mm256_setzero_ps(), wl = _mm256_set1_ps((float)(w - 1)),
                     hl = _mm256_set1_ps((float)(h - 1));
        __m256 in = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
        for (int i = 0; i < lanes; i += 8) {
            const __m256 x = _mm256_loadu_ps(xs + i), y = _mm256_loadu_ps(ys + i);
            in = _mm256_and_ps(in, _mm256_and_ps(_mm256_cmp_ps(x, z, _CMP_GE_OQ),
                                                 _mm256_cmp_ps(x, wl, _CMP_LT_OQ)));
            in = _mm256_and_ps(in, _mm256_and_ps(_mm256_cmp_ps(y, z, _CMP_GE_OQ),
                                                 _mm256_cmp_ps(y, hl, _CMP_LT_OQ)));
        }
        return _mm256_movemask_ps(in) == 0xff;
    }
#endif
    int border = 0;
#pragma omp simd reduction(| : border)
    for (int i = 0; i < lanes; i++)
        border |= !(xs[i] >= 0.0f) | !(xs[i] < (float)(w - 1)) | !(ys[i] >= 0.0f) |
                  !(ys[i] < (float)(h - 1));
    return !border;
}

/* Sample coordinates xs, ys of the points q0 .. q0 + lanes - 1 (as
 * abl_dcn_corners_border computes them before its clamp); 1 when every
 * one has its 2 x 2 block wholly inside the map (abl_dcn_coords_inside). */
ABL_DCN_SPECIALISE int abl_dcn_corners_coords(int gp, int h, int w, float osc,
                                              const float *restrict grid_x,
                                              const float *restrict grid_y,
                                              const float *restrict om, int ph, int pw, int q0,
                                              int lanes, float *restrict xs, float *restrict ys)
{
    (void)gp;
#pragma omp simd simdlen(ABL_DCN_PLAN_SIMDLEN)
    for (int i = 0; i < lanes; i++) {
        const int q = q0 + i;
        xs[i] = (float)pw + osc * (grid_x[q] + om[2 * q]);
        ys[i] = (float)ph + osc * (grid_y[q] + om[2 * q + 1]);
    }
    return abl_dcn_coords_inside(h, w, lanes, xs, ys);
}

/* The plan of points q0 .. q0 + lanes - 1 when all are
 * inside (abl_dcn_corners_coords): no clamps, no border selects, the same
 * products as abl_dcn_corners_border takes there, so the same bits. */
ABL_DCN_SPECIALISE int abl_dcn_corners_inside(int gp, int w, const float *restrict om,
                                              int use_mask, int q0, int lanes,
                                              const float *restrict xs,
                                              const float *restrict ys, int32_t *restrict idx,
                                              float *restrict wt, int skip,
                                              int32_t *restrict keep)
{
    const float *m = om + 2 * gp;
    const int gpv = abl_dcn_gpv(gp);
    int nout = 0;
#pragma omp simd simdlen(ABL_DCN_PLAN_SIMDLEN) reduction(+ : nout)
    for (int i = 0; i < lanes; i++) {
        const int q = q0 + i;
        const float mq = use_mask ? m[q] : 1.0f;
        const float fx = floorf(xs[i]), fy = floorf(ys[i]), lx = xs[i] - fx, ly = ys[i] - fy;
        const float ax0 = 1.0f - lx, ax1 = lx, ay0 = (1.0f - ly) * mq, ay1 = ly * mq;
        idx[q] = (int)fy * w + (int)fx;
        wt[0 * gpv + q] = ay0 * ax0;
        wt[1 * gpv + q] = ay0 * ax1;
        wt[2 * gpv + q] = ay1 * ax0;
        wt[3 * gpv + q] = ay1 * ax1;
        if (skip) { /* a mask of 0 leaves the point nothing to add */
            const int out = (ax0 + ax1 == 0.0f) | (ay0 + ay1 == 0.0f);
            keep[q] = !out;
            nout += q < gp && out;
        }
    }
    return nout;
}

#if defined(__AVX512F__) && defined(__AVX512VL__)
/* The corner weights of 16 points, given by their columns' and rows'
 * factors (ax0, ax1, ay0, ay1: the weight of corner k is ay(k / 2) times
 * ax(k % 2), the products abl_dcn_corners takes, so the same bits),
 * stored point-major: w4[4 q + k] (abl_dcn_core_pm).  Each output vector
 * (4 points) is one permute of the column factors and one of the row
 * factors, and their product: 8 permutes and 4 multiplies a block, where
 * a transpose of the 4 weight rows took 16 shuffles besides the rows'
 * stores and loads. */
ABL_DCN_SPECIALISE void abl_dcn_store_pm(__m512 ax0, __m512 ax1, __m512 ay0, __m512 ay1, int nvec,
                                         float *restrict w4)
{
    /* lane 4 i + k of output m: point 4 m + i, corner k; from the second
     * operand (index + 16) for the right column (k odd) / the lower row */
    const __m512i pt = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    const __m512i right = _mm512_set_epi32(16, 0, 16, 0, 16, 0, 16, 0, 16, 0, 16, 0, 16, 0, 16, 0);
    const __m512i lower = _mm512_set_epi32(16, 16, 0, 0, 16, 16, 0, 0, 16, 16, 0, 0, 16, 16, 0, 0);
    for (int m = 0; m < nvec; m++) {
        const __m512i base = _mm512_add_epi32(pt, _mm512_set1_epi32(4 * m));
        const __m512 fx = _mm512_permutex2var_ps(ax0, _mm512_add_epi32(base, right), ax1);
        const __m512 fy = _mm512_permutex2var_ps(ay0, _mm512_add_epi32(base, lower), ay1);
        _mm512_storeu_ps(w4 + 16 * m, _mm512_mul_ps(fy, fx));
    }
}
ABL_DCN_SPECIALISE void abl_dcn_store_pm512(__m512 ax0, __m512 ax1, __m512 ay0, __m512 ay1,
                                            float *restrict w4)
{
    abl_dcn_store_pm(ax0, ax1, ay0, ay1, 4, w4);
}
/* The same for 8 points (the plan's tail block): two output vectors. */
ABL_DCN_SPECIALISE void abl_dcn_store_pm256(__m256 ax0, __m256 ax1, __m256 ay0, __m256 ay1,
                                            float *restrict w4)
{
    abl_dcn_store_pm(_mm512_castps256_ps512(ax0), _mm512_castps256_ps512(ax1),
                     _mm512_castps256_ps512(ay0), _mm512_castps256_ps512(ay1), 2, w4);
}

/* abl_dcn_corners_border for `lanes` (16 or 8) points whose coordinates
 * xs, ys abl_dcn_corners_coords has computed (the border path recomputed
 * them), written with mask registers: the same clamps, selects and
 * products lane for lane, so the same bits.  gcc's if-conversion of the
 * generic loop moved mask registers through general ones and back, 110
 * instructions a block of 8 points, for a path that half of L13 k 7 g 4's
 * blocks take (random offsets; docs/modules/perf_deform.md, third Intel
 * pass).  P the intrinsics' prefix, S its width in bits, V / VI / K the
 * float, int and mask types. */
#define ABL_DCN_BORDER_MASKED(P, S, V, VI, K)                                                      \
    do {                                                                                           \
        const int wl_ = w > 1 ? w - 2 : 0, hl_ = h > 1 ? h - 2 : 0;                                \
        const V one = P##_set1_ps(1.0f), zero = P##_setzero_ps();                                  \
        const V mq = use_mask ? P##_loadu_ps(mk + q0) : one;                                       \
        /* max returns its second operand for a NaN: -2, as the generic clamp */                   \
        const V x = P##_min_ps(P##_max_ps(P##_loadu_ps(xs), P##_set1_ps(-2.0f)),                   \
                               P##_set1_ps((float)w + 1.0f));                                      \
        const V y = P##_min_ps(P##_max_ps(P##_loadu_ps(ys), P##_set1_ps(-2.0f)),                   \
                               P##_set1_ps((float)h + 1.0f));                                      \
        const V fx = P##_roundscale_ps(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);              \
        const V fy = P##_roundscale_ps(y, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);              \
        const V lx = P##_sub_ps(x, fx), ly = P##_sub_ps(y, fy);                                    \
        const VI x0 = P##_cvttps_epi32(fx), y0 = P##_cvttps_epi32(fy);                             \
        const VI i1 = P##_set1_epi32(1), vw = P##_set1_epi32(w), vh = P##_set1_epi32(h);           \
        const V vx0 = P##_maskz_mov_ps(P##_cmplt_epu32_mask(x0, vw), P##_sub_ps(one, lx));         \
        const V vx1 = P##_maskz_mov_ps(P##_cmplt_epu32_mask(P##_add_epi32(x0, i1), vw), lx);       \
        const V vy0 = P##_maskz_mul_ps(P##_cmplt_epu32_mask(y0, vh), P##_sub_ps(one, ly), mq);     \
        const V vy1 = P##_maskz_mul_ps(P##_cmplt_epu32_mask(P##_add_epi32(y0, i1), vh), ly, mq);   \
        const VI z = P##_setzero_si##S();                                                          \
        const K ltx = P##_cmplt_epi32_mask(x0, z);                                                 \
        const K gtx = P##_cmpgt_epi32_mask(x0, P##_set1_epi32(wl_));                               \
        const K lty = P##_cmplt_epi32_mask(y0, z);                                                 \
        const K gty = P##_cmpgt_epi32_mask(y0, P##_set1_epi32(hl_));                               \
        /* x0 < 0 keeps only column x0 + 1 (the block's left), x0 > w - 2                          \
         * only x0 (its right; its left on a one-column map) */                                    \
        const V ax0 = P##_mask_blend_ps(ltx, w > 1 ? P##_maskz_mov_ps((K)~gtx, vx0) : vx0, vx1);   \
        const V ax1 = P##_maskz_mov_ps((K)~ltx, w > 1 ? P##_mask_blend_ps(gtx, vx1, vx0)           \
                                                      : P##_maskz_mov_ps((K)~gtx, vx1));           \
        const V ay0 = P##_mask_blend_ps(lty, h > 1 ? P##_maskz_mov_ps((K)~gty, vy0) : vy0, vy1);   \
        const V ay1 = P##_maskz_mov_ps((K)~lty, h > 1 ? P##_mask_blend_ps(gty, vy1, vy0)           \
                                                      : P##_maskz_mov_ps((K)~gty, vy1));           \
        const VI bx = P##_min_epi32(P##_max_epi32(x0, z), P##_set1_epi32(wl_));                    \
        const VI by = P##_min_epi32(P##_max_epi32(y0, z), P##_set1_epi32(hl_));                    \
        P##_storeu_si##S((void *)(idx + q0), P##_add_epi32(P##_mullo_epi32(by, vw), bx));          \
        if (w4) {                                                                                  \
            abl_dcn_store_pm##S(ax0, ax1, ay0, ay1, w4 + 4 * q0);                                  \
            return 0;                                                                              \
        }                                                                                          \
        P##_storeu_ps(wt + 0 * gpv + q0, P##_mul_ps(ay0, ax0));                                    \
        P##_storeu_ps(wt + 1 * gpv + q0, P##_mul_ps(ay0, ax1));                                    \
        P##_storeu_ps(wt + 2 * gpv + q0, P##_mul_ps(ay1, ax0));                                    \
        P##_storeu_ps(wt + 3 * gpv + q0, P##_mul_ps(ay1, ax1));                                    \
        if (!skip)                                                                                 \
            return 0;                                                                              \
        const K out = P##_cmp_ps_mask(P##_add_ps(ax0, ax1), zero, _CMP_EQ_OQ) |                    \
                      P##_cmp_ps_mask(P##_add_ps(ay0, ay1), zero, _CMP_EQ_OQ);                     \
        P##_storeu_si##S((void *)(keep + q0), P##_maskz_mov_epi32((K)~out, i1));                   \
        const int below = gp - q0 < lanes ? gp - q0 : lanes; /* lanes with q < gp */               \
        return __builtin_popcount((unsigned)out & ((1u << below) - 1u));                           \
    } while (0)
/* w4 NULL: the plan's rows wt (and keep); else the weights point-major
 * into w4 (abl_dcn_store_pm*; wt, skip and keep unused).  mk: the
 * points' masks (used with use_mask), om + 2 gp or e^x of those logits
 * (abl_dcn_corners_pm_sm). */
ABL_DCN_SPECIALISE int abl_dcn_corners_border_masked_to(
    int gp, int h, int w, const float *restrict mk, int use_mask, int q0, int lanes,
    const float *restrict xs, const float *restrict ys, int32_t *restrict idx, float *restrict wt,
    int skip, int32_t *restrict keep, float *restrict w4)
{
    const int gpv = abl_dcn_gpv(gp);
    if (lanes == 16)
        ABL_DCN_BORDER_MASKED(_mm512, 512, __m512, __m512i, __mmask16);
    ABL_DCN_BORDER_MASKED(_mm256, 256, __m256, __m256i, __mmask8);
}
#undef ABL_DCN_BORDER_MASKED
ABL_DCN_SPECIALISE int abl_dcn_corners_border_masked(int gp, int h, int w, const float *restrict om,
                                                     int use_mask, int q0, int lanes,
                                                     const float *restrict xs,
                                                     const float *restrict ys,
                                                     int32_t *restrict idx, float *restrict wt,
                                                     int skip, int32_t *restrict keep)
{
    return abl_dcn_corners_border_masked_to(gp, h, w, om + 2 * gp, use_mask, q0, lanes, xs, ys, idx,
                                            wt, skip, keep, NULL);
}
#define ABL_DCN_BORDER_MASKED_OK 1
#else
#define ABL_DCN_BORDER_MASKED_OK 0
#endif

#if !defined(__AVX512F__) && defined(__AVX2__)
/* abl_dcn_corners_border for 8 points q0 .. q0 + 7 whose coordinates xs,
 * ys abl_dcn_corners_coords has computed, in AVX2 compares and blends:
 * the same clamps, selects and products lane for lane, so the same bits.
 * gcc's if-conversion of the generic loop (two ymm a block of 16 lanes)
 * kept its constants and masks in the stack frame: the border blocks
 * took 4-5 % of DCNv3's time at L17 k 3 g 4 on Zen 3, several times an
 * inside block each; this way L13 k 3 g 4 and L23 k 7 g 4 ran 5 %, L17
 * k 3 g 4 2-3 % faster (docs/modules/perf_deform.md, i-dcnv3). */
ABL_DCN_SPECIALISE int abl_dcn_corners_border8_avx2(int gp, int h, int w, const float *restrict om,
                                                    int use_mask, int q0,
                                                    const float *restrict xs,
                                                    const float *restrict ys,
                                                    int32_t *restrict idx, float *restrict wt,
                                                    int skip, int32_t *restrict keep)
{
    const int gpv = abl_dcn_gpv(gp);
    const int wl = w > 1 ? w - 2 : 0, hl = h > 1 ? h - 2 : 0; /* last block column / row */
    const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
    const __m256 mq = use_mask ? _mm256_loadu_ps(om + 2 * gp + q0) : one;
    /* max returns its second operand for a NaN: -2, as the generic clamp */
    const __m256 x = _mm256_min_ps(_mm256_max_ps(_mm256_loadu_ps(xs), _mm256_set1_ps(-2.0f)),
                                   _mm256_set1_ps((float)w + 1.0f));
    const __m256 y = _mm256_min_ps(_mm256_max_ps(_mm256_loadu_ps(ys), _mm256_set1_ps(-2.0f)),
                                   _mm256_set1_ps((float)h + 1.0f));
    const __m256 fx = _mm256_floor_ps(x), fy = _mm256_floor_ps(y);
    const __m256 lx = _mm256_sub_ps(x, fx), ly = _mm256_sub_ps(y, fy);
    const __m256i x0 = _mm256_cvttps_epi32(fx), y0 = _mm256_cvttps_epi32(fy);
    const __m256i m1 = _mm256_set1_epi32(-1), vw = _mm256_set1_epi32(w), vh = _mm256_set1_epi32(h);
    /* (unsigned)v < n as v > -1 and n > v (v >= -2 after the clamp) */
#define ABL_DCN_IN_RANGE(v, n)                                                                     \
    _mm256_castsi256_ps(_mm256_and_si256(_mm256_cmpgt_epi32(v, m1), _mm256_cmpgt_epi32(n, v)))
    const __m256i x1 = _mm256_sub_epi32(x0, m1), y1 = _mm256_sub_epi32(y0, m1);
    const __m256 vx0 = _mm256_and_ps(ABL_DCN_IN_RANGE(x0, vw), _mm256_sub_ps(one, lx));
    const __m256 vx1 = _mm256_and_ps(ABL_DCN_IN_RANGE(x1, vw), lx);
    const __m256 vy0 = _mm256_and_ps(ABL_DCN_IN_RANGE(y0, vh), _mm256_mul_ps(_mm256_sub_ps(one, ly), mq));
    const __m256 vy1 = _mm256_and_ps(ABL_DCN_IN_RANGE(y1, vh), _mm256_mul_ps(ly, mq));
#undef ABL_DCN_IN_RANGE
    const __m256i z = _mm256_setzero_si256(), vwl = _mm256_set1_epi32(wl), vhl = _mm256_set1_epi32(hl);
    const __m256 ltx = _mm256_castsi256_ps(_mm256_cmpgt_epi32(z, x0));
    const __m256 gtx = _mm256_castsi256_ps(_mm256_cmpgt_epi32(x0, vwl));
    const __m256 lty = _mm256_castsi256_ps(_mm256_cmpgt_epi32(z, y0));
    const __m256 gty = _mm256_castsi256_ps(_mm256_cmpgt_epi32(y0, vhl));
    /* x0 < 0 keeps only column x0 + 1 (the block's left), x0 > w - 2 only
     * x0 (its right; its left on a one-column map) */
    const __m256 ax0 = _mm256_blendv_ps(w > 1 ? _mm256_andnot_ps(gtx, vx0) : vx0, vx1, ltx);
    const __m256 ax1 = _mm256_andnot_ps(ltx, w > 1 ? _mm256_blendv_ps(vx1, vx0, gtx)
                                                   : _mm256_andnot_ps(gtx, vx1));
    const __m256 ay0 = _mm256_blendv_ps(h > 1 ? _mm256_andnot_ps(gty, vy0) : vy0, vy1, lty);
    const __m256 ay1 = _mm256_andnot_ps(lty, h > 1 ? _mm256_blendv_ps(vy1, vy0, gty)
                                                   : _mm256_andnot_ps(gty, vy1));
    const __m256i bx = _mm256_min_epi32(_mm256_max_epi32(x0, z), vwl);
    const __m256i by = _mm256_min_epi32(_mm256_max_epi32(y0, z), vhl);
    _mm256_storeu_si256((__m256i *)(void *)(idx + q0),
                        _mm256_add_epi32(_mm256_mullo_epi32(by, vw), bx));
    _mm256_storeu_ps(wt + 0 * gpv + q0, _mm256_mul_ps(ay0, ax0));
    _mm256_storeu_ps(wt + 1 * gpv + q0, _mm256_mul_ps(ay0, ax1));
    _mm256_storeu_ps(wt + 2 * gpv + q0, _mm256_mul_ps(ay1, ax0));
    _mm256_storeu_ps(wt + 3 * gpv + q0, _mm256_mul_ps(ay1, ax1));
    if (!skip)
        return 0;
    const __m256 out = _mm256_or_ps(_mm256_cmp_ps(_mm256_add_ps(ax0, ax1), zero, _CMP_EQ_OQ),
                                    _mm256_cmp_ps(_mm256_add_ps(ay0, ay1), zero, _CMP_EQ_OQ));
    _mm256_storeu_si256((__m256i *)(void *)(keep + q0),
                        _mm256_andnot_si256(_mm256_castps_si256(out), _mm256_set1_epi32(1)));
    const int below = gp - q0 < 0 ? 0 : gp - q0 < 8 ? gp - q0 : 8; /* lanes with q < gp */
    return __builtin_popcount((unsigned)_mm256_movemask_ps(out) & ((1u << below) - 1u));
}
#define ABL_DCN_BORDER_AVX2_OK 1
#else
#define ABL_DCN_BORDER_AVX2_OK 0
#endif

/* The plan of points q0 .. q0 + lanes - 1 (lanes a constant): the inside
 * path where every block lies in the map, else the border path. */
ABL_DCN_SPECIALISE int abl_dcn_corners_block(int gp, int h, int w, float osc,
                                             const float *restrict grid_x,
                                             const float *restrict grid_y,
                                             const float *restrict om, int use_mask, int ph, int pw,
                                             int q0, int lanes, int32_t *restrict idx,
                                             float *restrict wt, int skip, int32_t *restrict keep)
{
    float xs[ABL_DCN_PLAN_LANES], ys[ABL_DCN_PLAN_LANES];
    if (abl_dcn_corners_coords(gp, h, w, osc, grid_x, grid_y, om, ph, pw, q0, lanes, xs, ys))
        return abl_dcn_corners_inside(gp, w, om, use_mask, q0, lanes, xs, ys, idx, wt, skip, keep);
#if ABL_DCN_BORDER_MASKED_OK
    (void)osc, (void)grid_x, (void)grid_y, (void)ph, (void)pw;
    return abl_dcn_corners_border_masked(gp, h, w, om, use_mask, q0, lanes, xs, ys, idx, wt, skip,
                                         keep);
#elif ABL_DCN_BORDER_AVX2_OK
    (void)osc, (void)grid_x, (void)grid_y, (void)ph, (void)pw;
    int nout = 0;
    for (int i = 0; i < lanes; i += 8) /* lanes: 16 or 8 */
        nout += abl_dcn_corners_border8_avx2(gp, h, w, om, use_mask, q0 + i, xs + i, ys + i, idx,
                                             wt, skip, keep);
    return nout;
#else
    return abl_dcn_corners_border(gp, h, w, osc, grid_x, grid_y, om, use_mask, ph, pw, q0, lanes,
                                  idx, wt, skip, keep);
#endif
}

ABL_DCN_SPECIALISE int abl_dcn_corners(int gp, int h, int w, float osc, const float *restrict grid_x,
                                   const float *restrict grid_y, const float *restrict om,
                                   int use_mask, int ph, int pw, int32_t *restrict idx,
                                   float *restrict wt, int skip, int32_t *restrict keep)
{
    int nout = 0;
    for (int q0 = 0; q0 < gp; q0 += ABL_DCN_PLAN_LANES)
        nout += gp - q0 <= ABL_DCN_PLAN_TAIL
                    ? abl_dcn_corners_block(gp, h, w, osc, grid_x, grid_y, om, use_mask, ph, pw,
                                            q0, ABL_DCN_PLAN_TAIL, idx, wt, skip, keep)
                    : abl_dcn_corners_block(gp, h, w, osc, grid_x, grid_y, om, use_mask, ph, pw,
                                            q0, ABL_DCN_PLAN_LANES, idx, wt, skip, keep);
    return nout;
}

/* GCC/clang vector types: the sum over a point's corners is written out
 * with explicit vectors because, left to itself, gcc vectorises the loop
 * over points instead (one gather per corner) once the short channel loop
 * is unrolled, or (sizes at run time) accumulates through memory.  memcpy
 * loads/stores compile to unaligned vector moves.  abl_vf16 is one zmm
 * with AVX-512 (two ymm without). */
typedef float abl_vf16 __attribute__((vector_size(64)));
typedef float abl_vf8 __attribute__((vector_size(32)));
typedef float abl_vf4 __attribute__((vector_size(16)));

/* Pieces of the corner sums below, over NS adjacent channel vectors of
 * type VT at once: the accumulators (corner x even / odd point x vector),
 * one point q added into acc[0..4)[0..NS), and the final sums into dst.
 * Each vector s gets the same operations in the same order whatever NS
 * is, so the NS-wide sums give the bits of NS one-vector sums. */
#define ABL_DCN_SUM_BEGIN(VT, NS)                                                                  \
    VT a[2][4][NS];                                                                                \
    memset(a, 0, sizeof a); /* +0.0f; {{0}} warns for vector types */                              \
    const ptrdiff_t off[4] = {0, sx, sy, sx + sy}
#define ABL_DCN_ADD_POINT(VT, NS, acc, q)                                                          \
    do {                                                                                           \
        const float *b_ = xp + (ptrdiff_t)idx[q] * c + col;                                        \
        for (int k_ = 0; k_ < 4; k_++) {                                                           \
            const float w_ = wt[k_ * gp + (q)];                                                    \
            for (int s_ = 0; s_ < (NS); s_++) {                                                    \
                VT v_;                                                                             \
                memcpy(&v_, b_ + off[k_] + s_ * (ptrdiff_t)(sizeof v_ / sizeof(float)),            \
                       sizeof v_);                                                                 \
                (acc)[k_][s_] += w_ * v_;                                                          \
            }                                                                                      \
        }                                                                                          \
    } while (0)
#define ABL_DCN_SUM_END(VT, NS)                                                                    \
    do {                                                                                           \
        for (int s_ = 0; s_ < (NS); s_++) {                                                        \
            const VT sum_ = ((a[0][0][s_] + a[0][1][s_]) + (a[0][2][s_] + a[0][3][s_])) +          \
                            ((a[1][0][s_] + a[1][1][s_]) + (a[1][2][s_] + a[1][3][s_]));           \
            memcpy(dst + s_ * (ptrdiff_t)(sizeof sum_ / sizeof(float)), &sum_, sizeof sum_);       \
        }                                                                                          \
    } while (0)

/* dst[0 .. width) = sum over points q0 .. q0 + npts - 1 and their 4 corners
 * of wt * xp[corner][col ..]: xp one image, channels last (row stride c);
 * idx / wt as abl_dcn_corners writes them (stride gp: abl_dcn_gpv), sx / sy the
 * abl_dcn_step_x / _y displacements of the right / lower corners.  Eight
 * accumulators (corner x even / odd point): the sum is latency-bound
 * otherwise (a multiply-add takes 4 cycles and Zen 4 / Intel issue two a
 * cycle, so 4 chains, the former schedule, ran at half the rate, profile
 * in docs/modules/performance.md).  NS vectors of VT a call (width NS x
 * VT's floats): abl_dcn_corner_sum32 loads each point's index and corner
 * weights once for two zmm of channels; the one-vector sums loaded them
 * again for every 16 channels, a 4-byte load beside each 64-byte one, at
 * 49 points and 64-128 channels a group the larger part of the sums'
 * load slots (docs/modules/perf_deform.md, eighth pass). */
#define ABL_DCN_DEFINE_CORNER_SUM(NAME, VT, NS)                                                    \
    ABL_DCN_SPECIALISE void NAME(const float *restrict xp, int c, ptrdiff_t sx, ptrdiff_t sy,      \
                                 const int32_t *restrict idx, const float *restrict wt, int gp,    \
                                 int q0, int npts, int col, float *restrict dst)                   \
    {                                                                                              \
        ABL_DCN_SUM_BEGIN(VT, NS);                                                                 \
        const int q1 = q0 + npts;                                                                  \
        int q = q0;                                                                                \
        for (; q + 2 <= q1; q += 2)                                                                \
            for (int s = 0; s < 2; s++)                                                            \
                ABL_DCN_ADD_POINT(VT, NS, a[s], q + s);                                            \
        if (q < q1)                                                                                \
            ABL_DCN_ADD_POINT(VT, NS, a[0], q);                                                    \
        ABL_DCN_SUM_END(VT, NS);                                                                   \
    }
ABL_DCN_DEFINE_CORNER_SUM(abl_dcn_corner_sum32, abl_vf16, 2)
ABL_DCN_DEFINE_CORNER_SUM(abl_dcn_corner_sum16, abl_vf16, 1)
ABL_DCN_DEFINE_CORNER_SUM(abl_dcn_corner_sum8, abl_vf8, 1)
ABL_DCN_DEFINE_CORNER_SUM(abl_dcn_corner_sum4, abl_vf4, 1)
ABL_DCN_DEFINE_CORNER_SUM(abl_dcn_corner_sum1, float, 1)

/* The corner sum of ABL_DCN_DEFINE_CORNER_SUM over listed points only:
 * even[0 .. ne) and odd[0 .. no) are the points at an even and an odd
 * distance from the group's first point, each in increasing order.  A
 * point goes into the same accumulators, in the same order, as in the
 * unlisted sum, so leaving out points whose weights are all zero gives the
 * same bits (they added +-0 there). */
#define ABL_DCN_DEFINE_LISTED_SUM(NAME, VT, NS)                                                    \
    ABL_DCN_SPECIALISE void NAME(const float *restrict xp, int c, ptrdiff_t sx, ptrdiff_t sy,      \
                                 const int32_t *restrict idx, const float *restrict wt, int gp,    \
                                 const int32_t *restrict even, int ne,                             \
                                 const int32_t *restrict odd, int no, int col,                     \
                                 float *restrict dst)                                              \
    {                                                                                              \
        ABL_DCN_SUM_BEGIN(VT, NS);                                                                 \
        const int32_t *lst[2] = {even, odd};                                                       \
        const int both = ne < no ? ne : no;                                                        \
        for (int i = 0; i < both; i++)                                                             \
            for (int s = 0; s < 2; s++)                                                            \
                ABL_DCN_ADD_POINT(VT, NS, a[s], lst[s][i]);                                        \
        const int s = no > ne, n = s ? no : ne; /* the longer list's rest */                       \
        for (int i = both; i < n; i++)                                                             \
            ABL_DCN_ADD_POINT(VT, NS, a[s], lst[s][i]);                                            \
        ABL_DCN_SUM_END(VT, NS);                                                                   \
    }
ABL_DCN_DEFINE_LISTED_SUM(abl_dcn_listed_sum32, abl_vf16, 2)
ABL_DCN_DEFINE_LISTED_SUM(abl_dcn_listed_sum16, abl_vf16, 1)
ABL_DCN_DEFINE_LISTED_SUM(abl_dcn_listed_sum8, abl_vf8, 1)
ABL_DCN_DEFINE_LISTED_SUM(abl_dcn_listed_sum4, abl_vf4, 1)
ABL_DCN_DEFINE_LISTED_SUM(abl_dcn_listed_sum1, float, 1)

/* Corner sums over 64 channels (four zmm) a call: each point's index and
 * weights are loaded once for four vectors.  Four accumulators a vector
 * (one per corner, not corner x parity: four vectors give 16 chains, more
 * than the multiply-add latency needs, and 32 accumulators left no
 * registers: spilled, 20-35 % slower than the two-vector sums).  So the
 * sum is added in another order than the narrower sums' (last bits), and
 * a listed sum must add its points in increasing order, one list, to give
 * the unlisted sum's bits.  pts: the points (n of them) in increasing
 * order, or NULL for q0 .. q0 + n - 1.  Defined for NS vectors of VT (VL
 * floats) a call: abl_dcn_wide_sum64 here, abl_dcn_wide_sum16_avx2 for the
 * AVX2 build below. */
#define ABL_DCN_DEFINE_WIDE_SUM(NAME, VT, NS, VL)                                                 \
    ABL_DCN_SPECIALISE void NAME(const float *restrict xp, int c, ptrdiff_t sx, ptrdiff_t sy,     \
                                 const int32_t *restrict idx, const float *restrict wt, int gp,   \
                                 const int32_t *restrict pts, int q0, int n, int col,             \
                                 float *restrict dst)                                             \
    {                                                                                             \
        VT a[4][NS];                                                                              \
        memset(a, 0, sizeof a);                                                                   \
        const ptrdiff_t off[4] = {0, sx, sy, sx + sy};                                            \
        for (int i = 0; i < n; i++)                                                               \
            ABL_DCN_ADD_POINT(VT, NS, a, pts ? pts[i] : q0 + i);                                  \
        for (int s_ = 0; s_ < NS; s_++) {                                                         \
            const VT sum_ = (a[0][s_] + a[1][s_]) + (a[2][s_] + a[3][s_]);                        \
            memcpy(dst + s_ * VL, &sum_, sizeof sum_);                                            \
        }                                                                                         \
    }
ABL_DCN_DEFINE_WIDE_SUM(abl_dcn_wide_sum64, abl_vf16, 4, 16)

#ifndef __AVX512F__
/* Without AVX-512 (the AVX2 build) abl_vf16 is no register: gcc splits it
 * into two ymm but broadcast every corner weight into it through the stack
 * (16 scalar stores and two reloads a weight), and the 16 (corner x parity)
 * or 4 x 4 accumulators of two ymm each, twice the 16 ymm registers, lived
 * in the stack frame: at 32 or 64 channels a group the sampler ran at a
 * quarter of the 8-channel sums' rate (docs/modules/perf_deform.md, the
 * AVX2 build).  So the AVX2 build sums 16 channels of a 64-wide block at a
 * time (two ymm, four corner accumulators each: 8 registers), every lane
 * with the operations of abl_dcn_wide_sum64 in the same order, so the same
 * bits; the 16-wide blocks too since 2026-12-08 (the order of the 64-wide
 * blocks, not abl_dcn_corner_sum16's: L13 / L16 k 3 g 4 3-4 % faster on
 * Zen 3), the 32-wide ones below, the 8-wide ones by abl_dcn_corner_sum8 /
 * abl_dcn_listed_sum8 (8 accumulators, the AVX-512 build's bits). */
ABL_DCN_DEFINE_WIDE_SUM(abl_dcn_wide_sum16_avx2, abl_vf8, 2, 8)

/* The AVX2 build's 32-channel blocks (a group of 32 channels, the rest of
 * 96, 160, ...) in one call: four ymm of channels, TWO accumulators each
 * (the top corners', the bottom corners'; 8 chains of two multiply-adds a
 * point, as many as Zen 3's two 4-cycle FMA pipes need), so each point's
 * index and 4 weights are loaded once for 16 multiply-adds (21 loads)
 * where four 8-channel sums (abl_dcn_corner_sum8: its corner x parity
 * accumulators fill 8 registers a vector) loaded them four times (36
 * loads).  At L17 k 7 g 1 (32 channels at 80 x 80) the sampler was 38 %
 * of the 1-thread call on a Zen 3; this way the call ran 15-17 % faster
 * (docs/modules/perf_deform.md, Zen 3 section).  Another summation order
 * than the AVX-512 build's abl_dcn_corner_sum32 (up to 6e-7 apart at
 * L17); a listed sum adds its points in increasing order, one list
 * (abl_dcn_core's `all`), for the unlisted sum's bits. */
ABL_DCN_SPECIALISE void abl_dcn_wide_sum32_avx2(const float *restrict xp, int c, ptrdiff_t sx,
                                                ptrdiff_t sy, const int32_t *restrict idx,
                                                const float *restrict wt, int gp,
                                                const int32_t *restrict pts, int q0, int n,
                                                int col, float *restrict dst)
{
    enum { NS = 4, VL = 8 };
    abl_vf8 top[NS], bot[NS];
    memset(top, 0, sizeof top);
    memset(bot, 0, sizeof bot);
    for (int i = 0; i < n; i++) {
        const int q = pts ? pts[i] : q0 + i;
        const float *b = xp + (ptrdiff_t)idx[q] * c + col;
        const float w0 = wt[q], w1 = wt[gp + q], w2 = wt[2 * gp + q], w3 = wt[3 * gp + q];
        abl_vf8 v;
        /* per accumulator the left corner, then the right one */
        for (int s = 0; s < NS; s++) {
            memcpy(&v, b + s * VL, sizeof v);
            top[s] += w0 * v;
        }
        for (int s = 0; s < NS; s++) {
            memcpy(&v, b + sy + s * VL, sizeof v);
            bot[s] += w2 * v;
        }
        for (int s = 0; s < NS; s++) {
            memcpy(&v, b + sx + s * VL, sizeof v);
            top[s] += w1 * v;
        }
        for (int s = 0; s < NS; s++) {
            memcpy(&v, b + sx + sy + s * VL, sizeof v);
            bot[s] += w3 * v;
        }
    }
    for (int s = 0; s < NS; s++) {
        const abl_vf8 sum = top[s] + bot[s];
        memcpy(dst + s * VL, &sum, sizeof sum);
    }
}
#endif

/* Group widths from which abl_dcn_core lists a pixel's points as one list
 * (`all`) too: the blocks summed by the wide sums (AVX-512: 64 channels;
 * AVX2: 16, abl_dcn_wide_sum16_avx2 / _sum32_avx2). */
#ifdef __AVX512F__
#define ABL_DCN_ALL_MIN 64
#else
#define ABL_DCN_ALL_MIN 16
#endif

/* dst[0 .. gc) = the corner sum of points q0 .. q0 + npts - 1 over channels
 * col .. col + gc, 16 (then 8, 4, 1) channels at a time. */
ABL_DCN_SPECIALISE void abl_dcn_corner_sum(const float *restrict xp, int c, ptrdiff_t sx, ptrdiff_t sy,
                                      const int32_t *restrict idx, const float *restrict wt, int gp,
                                      int q0, int npts, int col, int gc, float *restrict dst)
{
    int j = 0;
#ifdef __AVX512F__
    for (; j + 64 <= gc; j += 64)
        abl_dcn_wide_sum64(xp, c, sx, sy, idx, wt, gp, NULL, q0, npts, col + j, dst + j);
    for (; j + 32 <= gc; j += 32)
        abl_dcn_corner_sum32(xp, c, sx, sy, idx, wt, gp, q0, npts, col + j, dst + j);
    for (; j + 16 <= gc; j += 16)
        abl_dcn_corner_sum16(xp, c, sx, sy, idx, wt, gp, q0, npts, col + j, dst + j);
#else /* 64-channel blocks: the same bits in ymm-sized pieces (abl_dcn_wide_sum16_avx2);
       * a 32-channel block in its own order (abl_dcn_wide_sum32_avx2), a
       * 16-channel one in the 64-channel blocks' order (abl_dcn_wide_sum16_avx2:
       * 13 loads for 8 multiply-adds where two abl_dcn_corner_sum8 took 18;
       * not the AVX-512 build's abl_dcn_corner_sum16 order) */
    for (; j + 64 <= gc; j += 64)
        for (int s = 0; s < 64; s += 16)
            abl_dcn_wide_sum16_avx2(xp, c, sx, sy, idx, wt, gp, NULL, q0, npts, col + j + s,
                                    dst + j + s);
    for (; j + 32 <= gc; j += 32)
        abl_dcn_wide_sum32_avx2(xp, c, sx, sy, idx, wt, gp, NULL, q0, npts, col + j, dst + j);
    for (; j + 16 <= gc; j += 16)
        abl_dcn_wide_sum16_avx2(xp, c, sx, sy, idx, wt, gp, NULL, q0, npts, col + j, dst + j);
    for (; j + 8 <= gc; j += 8)
        abl_dcn_corner_sum8(xp, c, sx, sy, idx, wt, gp, q0, npts, col + j, dst + j);
#endif
    if (j + 8 <= gc) {
        abl_dcn_corner_sum8(xp, c, sx, sy, idx, wt, gp, q0, npts, col + j, dst + j);
        j += 8;
    }
    if (j + 4 <= gc) {
        abl_dcn_corner_sum4(xp, c, sx, sy, idx, wt, gp, q0, npts, col + j, dst + j);
        j += 4;
    }
    for (; j < gc; j++)
        abl_dcn_corner_sum1(xp, c, sx, sy, idx, wt, gp, q0, npts, col + j, dst + j);
}

/* abl_dcn_corner_sum over the listed points (abl_dcn_listed_sum*; all:
 * the nall points of even and odd in one increasing list, for the 64-wide
 * sums). */
ABL_DCN_SPECIALISE void abl_dcn_listed_sum(const float *restrict xp, int c, ptrdiff_t sx, ptrdiff_t sy,
                                      const int32_t *restrict idx, const float *restrict wt, int gp,
                                      const int32_t *restrict even, int ne,
                                      const int32_t *restrict odd, int no,
                                      const int32_t *restrict all, int nall, int col, int gc,
                                      float *restrict dst)
{
    int j = 0;
#ifdef __AVX512F__
    for (; j + 64 <= gc; j += 64)
        abl_dcn_wide_sum64(xp, c, sx, sy, idx, wt, gp, all, 0, nall, col + j, dst + j);
    for (; j + 32 <= gc; j += 32)
        abl_dcn_listed_sum32(xp, c, sx, sy, idx, wt, gp, even, ne, odd, no, col + j, dst + j);
    for (; j + 16 <= gc; j += 16)
        abl_dcn_listed_sum16(xp, c, sx, sy, idx, wt, gp, even, ne, odd, no, col + j, dst + j);
#else /* as abl_dcn_corner_sum's AVX2 blocks */
    for (; j + 64 <= gc; j += 64)
        for (int s = 0; s < 64; s += 16)
            abl_dcn_wide_sum16_avx2(xp, c, sx, sy, idx, wt, gp, all, 0, nall, col + j + s,
                                    dst + j + s);
    for (; j + 32 <= gc; j += 32)
        abl_dcn_wide_sum32_avx2(xp, c, sx, sy, idx, wt, gp, all, 0, nall, col + j, dst + j);
    for (; j + 16 <= gc; j += 16)
        abl_dcn_wide_sum16_avx2(xp, c, sx, sy, idx, wt, gp, all, 0, nall, col + j, dst + j);
    for (; j + 8 <= gc; j += 8)
        abl_dcn_listed_sum8(xp, c, sx, sy, idx, wt, gp, even, ne, odd, no, col + j, dst + j);
#endif
    if (j + 8 <= gc) {
        abl_dcn_listed_sum8(xp, c, sx, sy, idx, wt, gp, even, ne, odd, no, col + j, dst + j);
        j += 8;
    }
    if (j + 4 <= gc) {
        abl_dcn_listed_sum4(xp, c, sx, sy, idx, wt, gp, even, ne, odd, no, col + j, dst + j);
        j += 4;
    }
    for (; j < gc; j++)
        abl_dcn_listed_sum1(xp, c, sx, sy, idx, wt, gp, even, ne, odd, no, col + j, dst + j);
}

/* Largest group size p abl_dcn_core lists points for (k <= 15), and the
 * least share of a pixel's points outside the map (1 / ABL_DCN_LIST_SHARE)
 * for which it does: at k = 3 on 80 x 80 (a fifth of the pixels with 1-9
 * of 36 points outside) listing cost more than the few points it saved
 * (CPU-time A/B in docs/modules/performance.md). */
enum { ABL_DCN_LIST_PMAX = 225, ABL_DCN_LIST_SHARE = 4 };

/* core[c] of one pixel of an h x w map: per group (g of them, gc = c / g
 * channels, p points each) the sum over its points' corners (mask folded
 * in).  nout, keep: abl_dcn_corners' count and flags of the points wholly
 * outside the map.  A pixel with many such points (a quarter or more) sums
 * only the others, listed per group (branch-free appends): a 7 x 7
 * dilation-3 grid on a 20 x 20
 * map puts 45 % of its points there, whose 4 corner loads and
 * multiply-adds per channel vector added zeros.  Same bits either way
 * (abl_dcn_listed_sum*). */
ABL_DCN_SPECIALISE void abl_dcn_core(const float *restrict xp, int c, int h, int w, int g, int p,
                                const int32_t *restrict idx, const float *restrict wt,
                                int nout, const int32_t *restrict keep, float *restrict core)
{
    const int gc = c / g, gpv = abl_dcn_gpv(g * p);
    const ptrdiff_t sx = abl_dcn_step_x(c, w), sy = abl_dcn_step_y(c, h, w);
    if (nout * ABL_DCN_LIST_SHARE < g * p || p > ABL_DCN_LIST_PMAX) {
        for (int gi = 0; gi < g; gi++)
            abl_dcn_corner_sum(xp, c, sx, sy, idx, wt, gpv, gi * p, p, gi * gc, gc, core + gi * gc);
        return;
    }
    for (int gi = 0; gi < g; gi++) {
        /* two counters in registers: indexing one array by parity kept
         * them in memory, a store-to-load chain per point */
        int32_t even[(ABL_DCN_LIST_PMAX + 1) / 2], odd[(ABL_DCN_LIST_PMAX + 1) / 2];
        int32_t all[ABL_DCN_LIST_PMAX];
        int ne = 0, no = 0, nall = 0, i = 0;
        for (; i + 2 <= p; i += 2) {
            const int q = gi * p + i;
            even[ne] = q;
            ne += keep[q];
            odd[no] = q + 1;
            no += keep[q + 1];
        }
        if (i < p) {
            even[ne] = gi * p + i;
            ne += keep[gi * p + i];
        }
        for (i = 0; gc >= ABL_DCN_ALL_MIN && i < p; i++) { /* only the wide sums read it */
            all[nall] = gi * p + i;
            nall += keep[gi * p + i];
        }
        abl_dcn_listed_sum(xp, c, sx, sy, idx, wt, gpv, even, ne, odd, no, all, nall, gi * gc,
                           gc, core + gi * gc);
    }
}

#if ABL_DCN_BORDER_MASKED_OK
/* The sampler at 16 channels a group with the corner weights point-major
 * (the DCNv3 row's kernels where gen/dcnv3.lua point_major sets PM;
 * full-rate AVX-512).  abl_dcn_corner_sum16 feeds a point's 4
 * multiply-adds by 9 loads (its index, 4 weights broadcast from the
 * plan's 4 rows, 4 corner vectors): at k 3, g 4 on 40 x 40 the g 4
 * sampler took 146 us where g 1 (21 loads for 16 multiply-adds) took 107
 * for the same multiply-adds (docs/modules/perf_deform.md, d-dcnv3).
 * Here the plan writes a point's 4 weights side by side
 * (abl_dcn_corners_pm, abl_dcn_store_pm*) and the sums take two of them
 * from one 128-bit load (ABL_DCN_ADD_POINT_PM).  Same products, same
 * accumulators in the same order as abl_dcn_corners / abl_dcn_core with
 * abl_dcn_corner_sum16 (every point summed: no skip lists): the same
 * bits. */

/* abl_dcn_corners_inside for 16 or 8 points (lanes), with the mask,
 * without skip flags, the weights point-major (abl_dcn_store_pm*): the
 * same operations lane for lane, so the same bits. */
#define ABL_DCN_INSIDE_PM(P, S, V, VI)                                                             \
    do {                                                                                           \
        const V one = P##_set1_ps(1.0f), mq = P##_loadu_ps(mk + q0);                               \
        const V x = P##_loadu_ps(xs), y = P##_loadu_ps(ys);                                        \
        const V fx = P##_roundscale_ps(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);              \
        const V fy = P##_roundscale_ps(y, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);              \
        const V lx = P##_sub_ps(x, fx), ly = P##_sub_ps(y, fy);                                    \
        const VI ix = P##_add_epi32(P##_mullo_epi32(P##_cvttps_epi32(fy), P##_set1_epi32(w)),      \
                                    P##_cvttps_epi32(fx));                                         \
        P##_storeu_si##S((void *)(idx + q0), ix);                                                  \
        abl_dcn_store_pm##S(P##_sub_ps(one, lx), lx, P##_mul_ps(P##_sub_ps(one, ly), mq),          \
                            P##_mul_ps(ly, mq), w4 + 4 * q0);                                      \
    } while (0)
ABL_DCN_SPECIALISE void abl_dcn_corners_inside_pm(int gp, int w, const float *restrict mk, int q0,
                                                  int lanes, const float *restrict xs,
                                                  const float *restrict ys, int32_t *restrict idx,
                                                  float *restrict w4)
{
    (void)gp;
    if (lanes == 16)
        ABL_DCN_INSIDE_PM(_mm512, 512, __m512, __m512i);
    else
        ABL_DCN_INSIDE_PM(_mm256, 256, __m256, __m256i);
}
#undef ABL_DCN_INSIDE_PM

/* abl_dcn_corners_block's point-major plan (lanes a constant); mk: the
 * points' masks. */
ABL_DCN_SPECIALISE void abl_dcn_corners_block_pm(int gp, int h, int w, float osc,
                                                 const float *restrict grid_x,
                                                 const float *restrict grid_y,
                                                 const float *restrict om, const float *restrict mk,
                                                 int ph, int pw, int q0, int lanes,
                                                 int32_t *restrict idx, float *restrict w4)
{
    float xs[ABL_DCN_PLAN_LANES], ys[ABL_DCN_PLAN_LANES];
    if (abl_dcn_corners_coords(gp, h, w, osc, grid_x, grid_y, om, ph, pw, q0, lanes, xs, ys))
        abl_dcn_corners_inside_pm(gp, w, mk, q0, lanes, xs, ys, idx, w4);
    else
        abl_dcn_corners_border_masked_to(gp, h, w, mk, 1, q0, lanes, xs, ys, idx, NULL, 0, NULL,
                                         w4);
}

/* abl_dcn_corners_pm with the masks mk[q] (abl_dcn_gpv(gp) readable). */
ABL_DCN_SPECIALISE void abl_dcn_corners_pm_mk(int gp, int h, int w, float osc,
                                              const float *restrict grid_x,
                                              const float *restrict grid_y,
                                              const float *restrict om, const float *restrict mk,
                                              int ph, int pw, int32_t *restrict idx,
                                              float *restrict w4)
{
    for (int q0 = 0; q0 < gp; q0 += ABL_DCN_PLAN_LANES) {
        if (gp - q0 <= ABL_DCN_PLAN_TAIL)
            abl_dcn_corners_block_pm(gp, h, w, osc, grid_x, grid_y, om, mk, ph, pw, q0,
                                     ABL_DCN_PLAN_TAIL, idx, w4);
        else
            abl_dcn_corners_block_pm(gp, h, w, osc, grid_x, grid_y, om, mk, ph, pw, q0,
                                     ABL_DCN_PLAN_LANES, idx, w4);
    }
}

/* abl_dcn_corners with the mask, without skip flags, the corner weights
 * point-major: w4[4 q + k] for the abl_dcn_gpv(gp) points (the padding
 * points' any value). */
ABL_DCN_SPECIALISE void abl_dcn_corners_pm(int gp, int h, int w, float osc,
                                           const float *restrict grid_x,
                                           const float *restrict grid_y, const float *restrict om,
                                           int ph, int pw, int32_t *restrict idx,
                                           float *restrict w4)
{
    abl_dcn_corners_pm_mk(gp, h, w, osc, grid_x, grid_y, om, om + 2 * gp, ph, pw, idx, w4);
}

/* The mask's softmax folded into the point-major plan (the template's SMF):
 * the separate softmax pass (abl_dcn_softmax_rows: 16 x 16 transposes in
 * and out, the max, e^(x - max), the sums and a scale of every mask) took
 * 137 us of L13 k 7 g 4's 2.02 ms call at 1 thread (docs/modules/
 * perf_deform.md, d-dcnv3).  The max is there only to keep e^x finite and
 * a group's normalisation is one factor on all its points, so here the
 * plan takes e^x of each logit as its mask and the group's 1 / sum scales
 * the group's 16 summed channels (abl_dcn_core_pm's inv), as the D-LKA
 * attention's gc8 plan does (ablate_dlka_dcnv3.h abl_dlka_gcw_plan_sm).
 * Not the same bits as the softmax pass (no max; the factor after the
 * sum). */
enum { ABL_DCN_SM_GPMAX = 240 }; /* the scratch row of e^x (g p floats) */

/* The sums of four groups' p values in e (groups g0 .. g0 + 3 of those
 * below g; the others 0) in lanes 0, 4, 8, 12: per group its lanes of the
 * 16-float vectors of e that hold them (loads at the offsets the plan's
 * stores of e used, so that each forwards from one store: a group's
 * values at their own offset, 9 .. 17 at k 3, spanned two stores), then
 * one reduction for the four (6 shuffles, 5 adds) where four separate
 * reductions took 24 ops. */
ABL_DCN_SPECIALISE __m512 abl_dcn_group_sums4(const float *restrict e, int g, int p, int g0)
{
    __m512 s[4];
    for (int k = 0; k < 4; k++) {
        s[k] = _mm512_setzero_ps();
        const int lo = (g0 + k) * p, hi = lo + p;
        for (int b = lo / 16; g0 + k < g && 16 * b < hi; b++) {
            const int l0 = lo > 16 * b ? lo - 16 * b : 0, l1 = hi - 16 * b < 16 ? hi - 16 * b : 16;
            const __mmask16 mk = (__mmask16)(((1u << l1) - 1u) & ~((1u << l0) - 1u));
            s[k] = _mm512_mask_add_ps(s[k], mk, s[k], _mm512_loadu_ps(e + 16 * b));
        }
    }
    /* 128-bit lane k of u: group k's four partial sums */
    const __m512 t0 = _mm512_add_ps(_mm512_shuffle_f32x4(s[0], s[1], 0x44),
                                    _mm512_shuffle_f32x4(s[0], s[1], 0xEE));
    const __m512 t1 = _mm512_add_ps(_mm512_shuffle_f32x4(s[2], s[3], 0x44),
                                    _mm512_shuffle_f32x4(s[2], s[3], 0xEE));
    const __m512 u =
        _mm512_add_ps(_mm512_shuffle_f32x4(t0, t1, 0x88), _mm512_shuffle_f32x4(t0, t1, 0xDD));
    const __m512 v = _mm512_add_ps(u, _mm512_permute_ps(u, 0x4E));
    return _mm512_add_ps(v, _mm512_permute_ps(v, 0xB1));
}

/* abl_dcn_corners_pm on the logits: the masks e^x of om's mask logits
 * (scratch e, abl_dcn_gpv(g p) floats; the padding points' from the
 * floats past the row, never summed) and inv[gi] = 1 / group gi's sum of
 * them, for abl_dcn_core_pm.  Returns 0, having planned nothing, where a
 * group's sum is outside [2^-40, 2^40] (a logit past about +-24, or a
 * NaN): e^x times a sample could then leave the normal floats where the
 * softmax's mask (<= 1) does not; the caller normalises the logits itself
 * (abl_dcn_softmax) and plans with abl_dcn_corners_pm. */
ABL_DCN_SPECIALISE int abl_dcn_corners_pm_sm(int g, int p, int h, int w, float osc,
                                             const float *restrict grid_x,
                                             const float *restrict grid_y, const float *restrict om,
                                             int ph, int pw, int32_t *restrict idx,
                                             float *restrict w4, float *restrict inv)
{
    const int gp = g * p;
    if (gp > ABL_DCN_SM_GPMAX)
        __builtin_trap(); /* the generator's SMF and the geometry disagree */
    float e[ABL_DCN_SM_GPMAX + 16];
    for (int q0 = 0; q0 < gp; q0 += 16)
        _mm512_storeu_ps(e + q0, abl_exp16(_mm512_loadu_ps(om + 2 * gp + q0)));
    for (int g0 = 0; g0 < g; g0 += 4) {
        const int n = g - g0 < 4 ? g - g0 : 4;
        const __mmask16 live = (__mmask16)(0x1111u & ((1u << (4 * n)) - 1u)); /* lanes 4 k */
        const __m512 s = abl_dcn_group_sums4(e, g, p, g0);
        /* ordered compares: false for a NaN */
        const __mmask16 ok = _mm512_mask_cmp_ps_mask(
            _mm512_mask_cmp_ps_mask(live, s, _mm512_set1_ps(0x1p-40f), _CMP_GE_OQ), s,
            _mm512_set1_ps(0x1p40f), _CMP_LE_OQ);
        if (ok != live)
            return 0;
        float r[16];
        _mm512_storeu_ps(r, _mm512_div_ps(_mm512_set1_ps(1.0f), s));
        for (int k = 0; k < n; k++)
            inv[g0 + k] = r[4 * k];
    }
    abl_dcn_corners_pm_mk(gp, h, w, osc, grid_x, grid_y, om, e, ph, pw, idx, w4);
    return 1;
}

/* One point q into acc[0 .. 4): abl_dcn_corner_sum16's multiply-adds, the
 * weights from w4: the left corners' broadcast from memory, the right
 * corners' by an in-lane permute of the point's 4 weights (one 128-bit
 * load into the 4 lanes).  8 loads and 2 permutes a point where
 * abl_dcn_corner_sum16 takes 9 loads: 4 permutes and 6 loads, and 4
 * broadcasts (9 loads), measured slower at L13 k 3 g 4 (the 512-bit
 * permutes share port 5 with half the multiply-adds;
 * docs/modules/perf_deform.md, e-dcnv3). */
#define ABL_DCN_ADD_POINT_PM(acc, q)                                                               \
    do {                                                                                           \
        const float *b_ = xp + (ptrdiff_t)idx[q] * c + col, *w_ = w4 + 4 * (q);                    \
        const __m512 wq_ = _mm512_broadcast_f32x4(_mm_loadu_ps(w_));                               \
        const abl_vf16 w0_ = (abl_vf16)_mm512_set1_ps(w_[0]);                                      \
        const abl_vf16 w1_ = (abl_vf16)_mm512_permute_ps(wq_, 0x55);                               \
        const abl_vf16 w2_ = (abl_vf16)_mm512_set1_ps(w_[2]);                                      \
        const abl_vf16 w3_ = (abl_vf16)_mm512_permute_ps(wq_, 0xff);                               \
        abl_vf16 v_;                                                                               \
        memcpy(&v_, b_, sizeof v_);                                                                \
        (acc)[0] += w0_ * v_;                                                                      \
        memcpy(&v_, b_ + sx, sizeof v_);                                                           \
        (acc)[1] += w1_ * v_;                                                                      \
        memcpy(&v_, b_ + sy, sizeof v_);                                                           \
        (acc)[2] += w2_ * v_;                                                                      \
        memcpy(&v_, b_ + sx + sy, sizeof v_);                                                      \
        (acc)[3] += w3_ * v_;                                                                      \
    } while (0)

/* abl_dcn_corner_sum16 from the point-major weights w4. */
ABL_DCN_SPECIALISE void abl_dcn_corner_sum16_pm(const float *restrict xp, int c, ptrdiff_t sx,
                                                ptrdiff_t sy, const int32_t *restrict idx,
                                                const float *restrict w4, int q0, int npts, int col,
                                                const float *restrict scale, float *restrict dst)
{
    abl_vf16 a[2][4];
    memset(a, 0, sizeof a);
    const int q1 = q0 + npts;
    int q = q0;
    for (; q + 2 <= q1; q += 2) {
        ABL_DCN_ADD_POINT_PM(a[0], q);
        ABL_DCN_ADD_POINT_PM(a[1], q + 1);
    }
    if (q < q1)
        ABL_DCN_ADD_POINT_PM(a[0], q);
    abl_vf16 sum =
        ((a[0][0] + a[0][1]) + (a[0][2] + a[0][3])) + ((a[1][0] + a[1][1]) + (a[1][2] + a[1][3]));
    if (scale)
        sum *= *scale;
    memcpy(dst, &sum, sizeof sum);
}
#undef ABL_DCN_ADD_POINT_PM

/* abl_dcn_core for 16 channels a group, every point summed (no skip
 * lists), from the point-major weights w4; inv: NULL, or each group's
 * factor on its sums (abl_dcn_corners_pm_sm). */
ABL_DCN_SPECIALISE void abl_dcn_core_pm(const float *restrict xp, int c, int h, int w, int g, int p,
                                        const int32_t *restrict idx, const float *restrict w4,
                                        const float *restrict inv, float *restrict core)
{
    if (c != 16 * g)
        __builtin_trap(); /* the generator's PM and the geometry disagree */
    const ptrdiff_t sx = abl_dcn_step_x(c, w), sy = abl_dcn_step_y(c, h, w);
    for (int gi = 0; gi < g; gi++)
        abl_dcn_corner_sum16_pm(xp, c, sx, sy, idx, w4, gi * p, p, gi * 16, inv ? inv + gi : NULL,
                                core + gi * 16);
}
#endif

#endif
