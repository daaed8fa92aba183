/* tests/test_acmix_pad.c — the reflection padding of ACmix's k and v
 * planes done in place (gen/runtime/ablate_acmix.h abl_reflect_pad_edges:
 * the direct projection stores a tile's rows straight into the padded
 * plane's interior, then pads them) against abl_reflect_pad_rows (the
 * padding copied from a separate tile, as the sgemm path does).
 *
 * Checked: for pads 1 to 5, planes barely taller and wider than the pad
 * and larger ones, rows done in tiles of 1 to 4 rows, top to bottom and
 * bottom to top (the upward stream of band 0), every float of the padded
 * plane is the same bit for bit, and each tile writes only the padded
 * rows that read its source rows (the rest stay NaN until their tile). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ablate_acmix.h"

static float value_at(int y, int x) { return sinf(0.71f * (float)y + 0.23f * (float)x) + 0.01f * (float)x; }

/* Pads an h x w plane both ways, tiles of `rows` rows, upwards or not. */
static void check_plane(int h, int w, int pad, int rows, int up)
{
    const int hp = h + 2 * pad, wp = w + 2 * pad, n = hp * wp;
    float *src = malloc(sizeof(float) * (size_t)h * w), *want = malloc(sizeof(float) * (size_t)n);
    float *got = malloc(sizeof(float) * (size_t)n);
    cr_assert(src && want && got);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            src[y * w + x] = value_at(y, x);
    abl_reflect_pad_rows(src, want, h, w, pad, 0, h);
    for (int i = 0; i < n; i++)
        got[i] = NAN;
    for (int k = 0; k < (h + rows - 1) / rows; k++) {
        const int t = up ? (h + rows - 1) / rows - 1 - k : k;
        const int r0 = t * rows, r1 = r0 + rows < h ? r0 + rows : h;
        /* the tile's rows, as the direct projection stores them */
        for (int y = r0; y < r1; y++)
            memcpy(got + (size_t)(y + pad) * wp + pad, src + (size_t)y * w, sizeof(float) * w);
        abl_reflect_pad_edges(got, h, w, pad, r0, r1);
        for (int py = 0; py < hp; py++) {
            const int sy = abl_reflect(py - pad, h);
            const int done = up ? sy >= r0 : sy < r1;
            for (int px = 0; px < wp; px++) {
                const float g = got[py * wp + px];
                if (done)
                    cr_expect(memcmp(&g, &want[py * wp + px], sizeof g) == 0,
                              "h %d w %d pad %d tiles of %d%s: (%d, %d) %g, want %g", h, w, pad,
                              rows, up ? " upwards" : "", py, px, g, want[py * wp + px]);
                else
                    cr_expect(isnan(g), "h %d w %d pad %d: (%d, %d) written before its tile", h, w,
                              pad, py, px);
            }
        }
    }
    free(src);
    free(want);
    free(got);
}

Test(acmix_pad, edges_in_place_match_the_copy)
{
    const int sizes[][2] = {{2, 2}, {6, 5}, {7, 9}, {12, 20}, {11, 40}};
    for (int pad = 1; pad <= 5; pad++)
        for (int s = 0; s < 5; s++) {
            const int h = sizes[s][0] + pad, w = sizes[s][1] + pad; /* h, w > pad */
            for (int rows = 1; rows <= 4; rows++)
                for (int up = 0; up < 2; up++)
                    check_plane(h, w, pad, rows, up);
        }
}
