/* harness/onednn_detect.c — Detect on oneDNN convolutions: per level, the
 * box branch (Conv 3x3, Conv 3x3, Conv2d 1x1 + bias -> 4 x 16 DFL bins) and
 * the class branch (same -> nc logits) write into the scratch map CAT, then
 * a decode step turns them into that level's anchor columns of y: DFL
 * (softmax over the 16 bins, expectation with the DFL conv's weights),
 * dist2bbox (xywh times the level's stride) and the class sigmoid, as
 * kernels/detect.c's reference does.  The decode is float (the reference
 * accumulates in double), vectorised across pixels with abl_expf, and
 * compiled for AVX-512, AVX2 and baseline x86-64, the copy chosen at load
 * time by the CPU's features (gcc target_clones). */
#include <stdio.h>

#include "ablate_gen.h"
#include "detect.h"
#include "onednn_internal.h"

enum { REG = DETECT_REG_MAX, CHUNK = ABL_DFL_CHUNK }; /* CHUNK: pixels decoded together */

/* Level l's two branches into CAT at raw_off: box bins, then class logits. */
static int lower_level(struct lowering *L, const struct detect *d, int l, int64_t x_off, int64_t raw_off)
{
    struct args cv[4];
    struct shape4 s = d->lv[l];
    int64_t hw = (int64_t)s.h * s.w;
    detect_level_convs(d, l, cv);
    int rc = 0;
    for (int br = 0; br < 2 && rc == 0; br++) {
        int base = detect_weight_base(d, br, l), mid = br ? d->c3 : d->c2;
        struct shape4 mid_in = {1, mid, s.h, s.w};
        struct dnn_conv_spec head = {.n = 1, .c1 = mid, .h = s.h, .w = s.w, .c2 = br ? d->nc : 4 * REG,
                                     .k = 1, .s = 1, .p = 0, .d = 1, .g = 1, .act = 0, .has_bn = 0};
        rc = lowering_conv(L, dnn_conv_spec_of(&cv[2 * br], s), base, SLOT_X, x_off, SLOT_TMP, 0);
        if (rc == 0)
            rc = lowering_conv(L, dnn_conv_spec_of(&cv[2 * br + 1], mid_in), base + 6, SLOT_TMP, 0,
                               SLOT_TMP2, 0);
        if (rc == 0)
            rc = lowering_conv(L, head, base + 12, SLOT_TMP2, 0, SLOT_CAT, raw_off + (br ? 4 * REG * hw : 0));
    }
    return rc;
}

int lower_detect(struct lowering *L, const struct args *a, struct shape4 in)
{
    if (in.n != 1) {
        snprintf(L->err, L->errlen, "oneDNN: Detect is lowered at batch 1 only (got %d)", in.n);
        return -1;
    }
    struct detect d = detect_cfg(a, in);
    int64_t x_off = 0, raw_off = 0, a0 = 0;
    int hidden[2] = {d.c2, d.c3};
    /* the branches' hidden maps only: the raw maps in CAT stay NCHW, as
     * the decode reads them */
    lowering_chain(L, (1u << SLOT_TMP) | (1u << SLOT_TMP2), 2, hidden);
    for (int l = 0; l < d.nl; l++) {
        struct shape4 s = d.lv[l];
        int64_t hw = (int64_t)s.h * s.w;
        if (lower_level(L, &d, l, x_off, raw_off) != 0)
            return -1;
        struct dnn_step *st = lowering_step(L);
        if (!st)
            return -1;
        st->kind = STEP_DECODE, st->from = SLOT_CAT, st->from_off = raw_off, st->to = SLOT_Y;
        st->dec = (struct dnn_decode){s.h, s.w, d.nc, d.anchors, a0, (float)d.stride0 * (float)(1 << l),
                                      L->w[detect_weight_base(&d, 2, 0)]};
        x_off += (int64_t)d.ch[l] * hw;
        raw_off += (int64_t)(4 * REG + d.nc) * hw;
        a0 += hw;
    }
    return 0;
}

/* Pixels p0 .. p0 + n - 1: boxes into rows 0..3, classes into rows 4.. */
static inline void decode_chunk(const struct dnn_decode *v, const float *raw, float *y, int p0, int n)
{
    const int64_t hw = (int64_t)v->h * v->w, A = v->anchors;
    float dist[4][CHUNK], *out = y + v->a0;
    for (int q = 0; q < 4; q++)
        abl_dfl_chunk(raw + (int64_t)q * REG * hw + p0, hw, v->dfl, REG, n, dist[q]);
    for (int t = 0; t < n; t++) {
        int p = p0 + t;
        float ax = (float)(p % v->w) + 0.5f, ay = (float)(p / v->w) + 0.5f;
        float x1 = ax - dist[0][t], y1 = ay - dist[1][t], x2 = ax + dist[2][t], y2 = ay + dist[3][t];
        out[p] = (x1 + x2) * 0.5f * v->stride;
        out[A + p] = (y1 + y2) * 0.5f * v->stride;
        out[2 * A + p] = (x2 - x1) * v->stride;
        out[3 * A + p] = (y2 - y1) * v->stride;
    }
    const float *cls = raw + 4 * REG * hw;
    for (int k = 0; k < v->nc; k++) {
        const float *c = cls + (int64_t)k * hw;
        float *o = out + (int64_t)(4 + k) * A;
#pragma omp simd
        for (int p = p0; p < p0 + n; p++)
            o[p] = 1.0f / (1.0f + abl_expf(-c[p]));
    }
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void dnn_decode_run(const struct dnn_decode *d, const float *raw, float *y, int threads)
{
    int hw = d->h * d->w, chunks = (hw + CHUNK - 1) / CHUNK;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int c = 0; c < chunks; c++) {
        int p0 = c * CHUNK;
        decode_chunk(d, raw, y, p0, hw - p0 < CHUNK ? hw - p0 : CHUNK);
    }
}
