/* tests/test_dcnv3_rows.c — the AVX-512 row paths of the DCNv3 phase A
 * (gen/runtime/ablate_dcnv3.h) give the bits of the plain ones:
 * abl_dcn_softmax_rows' 16 x 16 register transposes of all g p logits
 * against a scalar transpose of each group into a [p][16] block and the
 * same abl_dcn_softmax_block16 (odd n, padded rows whose floats past g p
 * must stay as they were), and abl_ln_gelu_row's fused normalise + GELU
 * pass against fmaf((x - mean) rstd, gamma, beta) then abl_gelu_inplace,
 * from the mean and rstd it leaves in its scratch.  Compiled as generated
 * kernels are (tests/header_check.h); skips without AVX-512. */
#include <criterion/criterion.h>

#include "header_check.h"

static const char CHECKER[] =
    "#include <math.h>\n"
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "#include \"ablate_dcnv3.h\"\n"
    "static float rnd(unsigned *s) { *s = *s * 1664525u + 1013904223u; return (float)(*s >> 8) / 16777216.0f * 16.0f - 8.0f; }\n"
    "static void softmax_ref(float *m, int n, int ld, int g, int p) {\n"
    "    float blk[225 * 16];\n"
    "    for (int t0 = 0; t0 < n; t0 += 16)\n"
    "        for (int gi = 0; gi < g; gi++) {\n"
    "            int nb = n - t0 < 16 ? n - t0 : 16;\n"
    "            memset(blk, 0, sizeof blk);\n"
    "            for (int i = 0; i < nb; i++)\n"
    "                for (int q = 0; q < p; q++)\n"
    "                    blk[q * 16 + i] = m[(t0 + i) * ld + gi * p + q];\n"
    "            abl_dcn_softmax_block16(blk, p);\n"
    "            for (int i = 0; i < nb; i++)\n"
    "                for (int q = 0; q < p; q++)\n"
    "                    m[(t0 + i) * ld + gi * p + q] = blk[q * 16 + i];\n"
    "        }\n"
    "}\n"
    "static int check_softmax(int n, int ld, int g, int p) {\n"
    "    size_t tot = (size_t)n * ld + 32; unsigned s = 7;\n"
    "    float *a = malloc(4 * tot), *b = malloc(4 * tot);\n"
    "    for (size_t i = 0; i < tot; i++) a[i] = b[i] = rnd(&s);\n"
    "    abl_dcn_softmax_rows(a, n, ld, g, p);\n"
    "    softmax_ref(b, n, ld, g, p);\n"
    "    int bad = memcmp(a, b, 4 * tot) != 0;\n"
    "    if (bad) printf(\"softmax n %d ld %d g %d p %d differs\\n\", n, ld, g, p);\n"
    "    free(a); free(b); return bad;\n"
    "}\n"
    "static int check_ln_gelu(int c, int w) {\n"
    "    unsigned s = 11; float *x = malloc(4 * c * w), *pl = malloc(4 * c * w), *got = malloc(4 * c * w);\n"
    "    float *want = malloc(4 * c * w), *st = malloc(8 * w), *ga = malloc(4 * c), *be = malloc(4 * c);\n"
    "    for (int i = 0; i < c * w; i++) x[i] = pl[i] = rnd(&s);\n"
    "    for (int i = 0; i < c; i++) { ga[i] = rnd(&s) * 0.1f; be[i] = rnd(&s) * 0.1f; }\n"
    "    abl_ln_gelu_row(pl, c, w, ga, be, 1e-6f, st, got);\n"
    "    for (int j = 0; j < w; j++)\n"
    "        for (int ch = 0; ch < c; ch++)\n"
    "            want[j * c + ch] = fmaf((x[ch * w + j] - st[j]) * st[w + j], ga[ch], be[ch]);\n"
    "    abl_gelu_inplace(want, (ptrdiff_t)c * w);\n"
    "    int bad = memcmp(got, want, 4 * c * w) != 0;\n"
    "    if (bad) printf(\"ln_gelu c %d w %d differs\\n\", c, w);\n"
    "    free(x); free(pl); free(got); free(want); free(st); free(ga); free(be); return bad;\n"
    "}\n"
    "int main(void) {\n"
    "    int bad = check_softmax(6400 / 40, 108, 4, 9) + check_softmax(37, 111, 4, 9) + check_softmax(5, 40, 4, 9)\n"
    "            + check_softmax(33, 150, 2, 25) + check_softmax(17, 300, 4, 49) + check_softmax(19, 13, 3, 4)\n"
    "            + check_softmax(21, 1, 1, 1) + check_softmax(18, 600, 2, 225);\n"
    "    bad += check_ln_gelu(64, 80) + check_ln_gelu(48, 20) + check_ln_gelu(16, 7) + check_ln_gelu(256, 20);\n"
    "    return bad != 0;\n"
    "}\n";

Test(dcnv3_rows, avx512_same_bits, .timeout = 120)
{
    if (!__builtin_cpu_supports("avx512f"))
        cr_skip_test("no AVX-512 on this CPU");
    cr_assert_eq(run_header_checker(CHECKER), 0, "the AVX-512 row paths differ from the plain ones (stdout)");
}
