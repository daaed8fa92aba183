/* gen/runtime/ablate_acmix.h — ACmix pieces shared by the generated ACmix
 * kernels (gen/templates/acmix_*.c.in) that do not depend on the
 * configuration.  Like ablate_gen.h: static inline, sizes as arguments, so
 * the template's constants specialise them when they inline.
 *
 *   abl_reflect        reflection index R(t, n) of MODULES.md 5.2 step 3
 *   abl_linspace_at    torch.linspace(-1, 1, n)[i] in float32
 *   abl_reflect_pad_rows  rows of a plane copied with reflection padding
 * (its softmax, abl_softmax_cols, is in ablate_gen.h: DCNv3 shares it)
 */
#ifndef ABLATE_ACMIX_H
#define ABLATE_ACMIX_H

#include <stddef.h>
#include <string.h>

#include "ablate_gen.h"

/* -t left of 0, 2(n-1) - t right of n-1 (valid for an overhang < n, which
 * the op row's validation guarantees: H, W > padding). */
static inline int abl_reflect(int t, int n)
{
    return t < 0 ? -t : t > n - 1 ? 2 * (n - 1) - t : t;
}

/* torch.linspace(-1, 1, n) element i, float32, as PyTorch's CPU kernel
 * computes it: from the start for the first half, from the end for the
 * second (so the grid is exactly symmetric, as the reference's). */
static inline float abl_linspace_at(int n, int i)
{
    if (n == 1)
        return -1.0f;
    float step = 2.0f / (float)(n - 1);
    return i < n / 2 ? -1.0f + step * (float)i : 1.0f - step * (float)(n - i - 1);
}

/* The rows of dst[(h + 2 pad) x (w + 2 pad)] = src[h x w] reflection-padded
 * by pad (nn.ReflectionPad2d) whose source rows lie in [r0, r1): the
 * attention window then reads plain rows, and no unfold tensor (ka^2 times
 * the plane) is ever built.  A thread that wrote src rows r0 .. r1 - 1
 * pads exactly the rows that read them, so no row moves between cores;
 * r0 = 0, r1 = h pads the whole plane. */
static inline void abl_reflect_pad_rows(const float *src, float *dst, int h, int w, int pad,
                                        int r0, int r1)
{
    const int wp = w + 2 * pad;
    for (int py = 0; py < h + 2 * pad; py++) {
        const int sy = abl_reflect(py - pad, h);
        if (sy < r0 || sy >= r1)
            continue;
        const float *s = src + (size_t)sy * w;
        float *d = dst + (size_t)py * wp;
        for (int px = 0; px < pad; px++) {
            d[px] = s[pad - px];
            d[pad + w + px] = s[w - 2 - px];
        }
        memcpy(d + pad, s, sizeof(float) * (size_t)w);
    }
}

#endif
