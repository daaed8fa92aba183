/* tests/test_dynconv_means.c — abl_plane_mean and abl_mix (gen/runtime/ablate_dynconv.h),
 * the channel means that feed every dynamic convolution's routing
 * (DYConv2d, DynamicConv, GhostModule, C2f_GhostModule_DynamicConv).
 *
 * The sum runs in 32 float lanes per chunk of 1024, then a scalar tail,
 * then the chunk sums in double: every element must be counted exactly
 * once whatever the length (lanes, tail and chunk boundaries), and the
 * result must stay within float rounding of a double sum. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "ablate_dynconv.h"

/* Lengths around the lane width (32), the chunk (1024) and real maps
 * (40 x 40, 320 x 320). */
static const ptrdiff_t LENGTHS[] = {1, 2, 31, 32, 33, 63, 65, 1023, 1024, 1025, 1600, 2049, 102400};
enum { NLEN = sizeof LENGTHS / sizeof LENGTHS[0] };

/* One 1 at position k of a zero plane: the mean is 1 / hw exactly when
 * element k is counted once (a dropped or doubled lane, tail or chunk
 * element gives 0 or 2 / hw). */
Test(dynconv_means, every_element_counted_once)
{
    for (int i = 0; i < NLEN; i++) {
        const ptrdiff_t hw = LENGTHS[i];
        float *p = calloc((size_t)hw, sizeof *p);
        cr_assert_not_null(p);
        const ptrdiff_t step = hw > 4096 ? 997 : 1;
        for (ptrdiff_t k = 0; k < hw; k += step) {
            p[k] = 1.0f;
            const float m = abl_plane_mean(p, hw);
            cr_assert_float_eq(m, (float)(1.0 / (double)hw), 1e-12, "hw %td, element %td: mean %g",
                               hw, k, (double)m);
            p[k] = 0.0f;
        }
        free(p);
    }
}

/* Values around 100 (a large common offset, the hard case for a float sum)
 * against a double sum: relative error within a few float roundings. */
Test(dynconv_means, close_to_double_sum)
{
    for (int i = 0; i < NLEN; i++) {
        const ptrdiff_t hw = LENGTHS[i];
        float *p = malloc((size_t)hw * sizeof *p);
        cr_assert_not_null(p);
        double ref = 0.0;
        for (ptrdiff_t k = 0; k < hw; k++) {
            p[k] = 100.0f + (float)((k * 7919) % 1000) * 1e-3f;
            ref += p[k];
        }
        ref /= (double)hw;
        const double m = abl_plane_mean(p, hw);
        cr_assert_leq(fabs(m - ref), 4e-7 * fabs(ref), "hw %td: %.9g vs %.9g", hw, m, ref);
        free(p);
    }
}

/* abl_mix: every element t of dst is sum_e coef[e] * kernels[e * stride + t]
 * whatever the length (whole register chunks of ABL_MIX_CHUNK, then a
 * tail) and the expert count.  Small integers keep every sum exact in
 * float; the gaps between expert rows (stride > len) hold NaN, so a read
 * past a row shows. */
Test(dynconv_mix, every_element_from_every_expert)
{
    static const int LENS[] = {1, 9, 63, 64, 65, 128, 144, 1152, 1153};
    static const int EXPERTS[] = {1, 4, 16};
    for (size_t li = 0; li < sizeof LENS / sizeof LENS[0]; li++)
        for (size_t ei = 0; ei < sizeof EXPERTS / sizeof EXPERTS[0]; ei++) {
            const int len = LENS[li], experts = EXPERTS[ei];
            const ptrdiff_t stride = len + 7;
            float *k = malloc((size_t)(experts * stride) * sizeof *k);
            float *dst = malloc((size_t)len * sizeof *dst);
            float coef[16];
            cr_assert(k && dst);
            for (ptrdiff_t i = 0; i < experts * stride; i++)
                k[i] = i % stride < len ? (float)(i % stride % 50 + i / stride) : NAN;
            for (int e = 0; e < experts; e++)
                coef[e] = (float)(e % 4 + 1);
            abl_mix(k, stride, coef, experts, len, dst);
            for (int t = 0; t < len; t++) {
                double want = 0.0;
                for (int e = 0; e < experts; e++)
                    want += (double)coef[e] * (t % 50 + e);
                cr_assert_float_eq(dst[t], want, 0.0, "len %d, %d experts, element %d: %g, want %g",
                                   len, experts, t, (double)dst[t], want);
            }
            free(k);
            free(dst);
        }
}
