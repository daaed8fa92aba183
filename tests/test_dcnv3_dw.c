/* tests/test_dcnv3_dw.c — the depthwise conv of DCNv3's phase A on narrow
 * rows (gen/runtime/ablate_dcnv3.h: abl_dw_row_padded, which abl_dw_row
 * takes for k >= 5 on rows narrower than ABL_DW_PADDED_SWITCH).  It sums
 * four channels at once over zero-padded rows as wide as whole vectors
 * (the last one 8 floats wide where at most 8 columns are left);
 * checked: the same bits as the one-channel-at-a-time loop
 * (abl_dw_row_small: bias, then the taps in row-major order), and a
 * double-precision zero-padded depthwise conv, for every output row (the
 * top and bottom ones read rows outside the map), channel counts that are
 * and are not multiples of four, and widths that are and are not whole
 * vectors. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ablate_dcnv3.h"

enum { C_MAX = 7, H_MAX = 9, W_MAX = 48, K_MAX = 7 };

static double reference(const float *x, const float *wt, const float *bias, int h, int w, int k,
                        int ch, int r, int j)
{
    const int pd = (k - 1) / 2;
    double acc = bias[ch];
    for (int u = 0; u < k; u++)
        for (int v = 0; v < k; v++) {
            const int yy = r - pd + u, xx = j - pd + v;
            if (yy >= 0 && yy < h && xx >= 0 && xx < w)
                acc += (double)wt[(ch * k + u) * k + v] * x[(ch * h + yy) * w + xx];
        }
    return acc;
}

static void check_rows(int c, int h, int w, int k)
{
    static float x[C_MAX * H_MAX * W_MAX], wt[C_MAX * K_MAX * K_MAX], bias[C_MAX];
    static float padded[C_MAX * W_MAX + 1], small[C_MAX * W_MAX + 1];
    for (int i = 0; i < c * h * w; i++)
        x[i] = sinf(0.61f * (float)i) + 0.2f;
    for (int i = 0; i < c * k * k; i++)
        wt[i] = cosf(1.7f * (float)i) * 0.3f;
    for (int ch = 0; ch < c; ch++)
        bias[ch] = 0.1f * (float)ch - 0.25f;
    for (int r = 0; r < h; r++) {
        padded[c * w] = small[c * w] = 42.0f; /* guard: nothing written past the row */
        abl_dw_row_padded(x, wt, bias, c, h, w, k, r, padded);
        abl_dw_row_small(x, wt, bias, c, h, w, k, r, small);
        cr_assert_eq(padded[c * w], 42.0f, "c %d w %d k %d row %d: wrote past the row", c, w, k, r);
        cr_assert_eq(memcmp(padded, small, sizeof(float) * (size_t)(c * w)), 0,
                     "c %d w %d k %d row %d: not the one-channel loop's bits", c, w, k, r);
        for (int ch = 0; ch < c; ch++)
            for (int j = 0; j < w; j++) {
                const double ref = reference(x, wt, bias, h, w, k, ch, r, j);
                cr_assert(fabs(padded[ch * w + j] - ref) <= 1e-5 * (1.0 + fabs(ref)),
                          "c %d w %d k %d row %d channel %d column %d: %g, reference %g", c, w, k,
                          r, ch, j, (double)padded[ch * w + j], ref);
            }
    }
}

/* 7 x 7 at 20 columns (YOLOv5n's P5: one vector and an 8-wide one), 7
 * channels (a block of four and three single ones). */
Test(dcnv3_dw, k7_w20_c7) { check_rows(7, 9, 20, 7); }

/* 7 x 7 at 40 columns (two vectors and an 8-wide one). */
Test(dcnv3_dw, k7_w40_c4) { check_rows(4, 5, 40, 7); }

/* 5 x 5 at 16 and at 48 columns (whole vectors: no partial part). */
Test(dcnv3_dw, k5_w16_c4) { check_rows(4, 6, 16, 5); }
Test(dcnv3_dw, k5_w48_c5) { check_rows(5, 7, 48, 5); }

/* 7 x 7 on a map narrower and lower than the kernel (every tap row and
 * column reaches outside). */
Test(dcnv3_dw, k7_w3_c6) { check_rows(6, 2, 3, 7); }
