/* tests/test_acmix_softmax.c — ACmix's softmax on 8-column blocks
 * (gen/runtime/ablate_acmix.h abl_softmax_cols8) as an AVX2 + FMA kernel
 * compiles it (x86-64-v3, the kernels an AVX2 machine gets; the library
 * and tests build without -march, so a small checker is compiled as
 * header_check.h does).  The AVX2 path takes each column's max from its
 * argument mx, as the AVX-512VL path does (the attention passes the max
 * it took while the logits were in registers), and computes e^(x - mx)
 * as 2^t: the checker gives an mx 0.75 above the true max and expects
 * p[k] = e^(x_k - mx) and scale = num / sum_k p[k] against double
 * precision, logits within +-0.5 and +-100, windows of 9 to 121 logits:
 * relative 4e-7 + 2e-7 (|mx| + |x - mx|) (t = x log2(e) - mx log2(e)
 * rounds to |t| 2^-24; the polynomial 1.7e-7), and within 2.4e-38 (the
 * clamp at 2^-126) where e^(x - mx) < 1e-37 (a lane 200 below its max
 * among them).  The generic
 * abl_softmax_cols, which finds the max itself (the AVX2 path before
 * 2026-12-08), fails it: its p[k] are e^0.75 times larger. */
#include <criterion/criterion.h>

#include "header_check.h"

static const char CHECKER[] =
    "#include <math.h>\n"
    "#include <stdio.h>\n"
    "#include \"ablate_acmix.h\"\n"
    "int main(void) {\n"
    "    int bad = 0;\n"
    "    static const int ns[] = {9, 25, 49, 121};\n"
    "    static const float spread[] = {0.5f, 100.0f};\n"
    "    unsigned s = 12345u;\n"
    "    for (int si = 0; si < 2; si++)\n"
    "        for (int ni = 0; ni < 4; ni++) {\n"
    "            const int n = ns[ni];\n"
    "            float p[121 * 8], x[121 * 8], mx[8], scale[8];\n"
    "            for (int i = 0; i < 8; i++) mx[i] = -INFINITY;\n"
    "            for (int k = 0; k < n * 8; k++) {\n"
    "                s = s * 1664525u + 1013904223u;\n"
    "                x[k] = p[k] = spread[si] * ((float)(s >> 8) / 8388608.0f - 1.0f);\n"
    "                if (x[k] > mx[k % 8]) mx[k % 8] = x[k];\n"
    "            }\n"
    "            if (si == 1) x[8] = p[8] = mx[0] - 200.0f; /* lane 0 of row 1, far below */\n"
    "            for (int i = 0; i < 8; i++) mx[i] += 0.75f;\n"
    "            abl_softmax_cols8(p, n, mx, 0.5f, scale);\n"
    "            for (int i = 0; i < 8; i++) {\n"
    "                double sum = 0;\n"
    "                for (int k = 0; k < n; k++) {\n"
    "                    const double want = exp((double)x[k * 8 + i] - (double)mx[i]);\n"
    "                    const double got = p[k * 8 + i];\n"
    "                    sum += want;\n"
    "                    if ((si == 1 && k == 1 && i == 0) || want < 1e-37) {\n"
    "                        if (!(got >= 0 && fabs(got - want) < 2.4e-38)) { printf(\"far lane: %g, want %g\\n\", got, want); bad++; }\n"
    "                        continue;\n"
    "                    }\n"
    "                    const double tol = 4e-7 + 2e-7 * (fabs(mx[i]) + fabs(x[k * 8 + i] - mx[i]));\n"
    "                    if (fabs(got - want) > tol * want) {\n"
    "                        if (bad++ < 5) printf(\"n %d spread %g row %d col %d: %g, want %g\\n\", n, spread[si], k, i, got, want);\n"
    "                    }\n"
    "                }\n"
    "                if (fabs(scale[i] - 0.5 / sum) > (4e-7 + 2e-7 * (fabs(mx[i]) + 1.0)) * (0.5 / sum)) {\n"
    "                    if (bad++ < 5) printf(\"n %d col %d: scale %g, want %g\\n\", n, i, scale[i], 0.5 / sum);\n"
    "                }\n"
    "            }\n"
    "        }\n"
    "    return bad != 0;\n"
    "}\n";

Test(acmix_softmax, avx2_given_max_against_double, .timeout = 120)
{
    cr_assert_eq(run_header_checker_avx2(CHECKER), 0,
                 "abl_softmax_cols8 (AVX2): not e^(x - mx) for the given max within tolerance "
                 "(see the lines above)");
}
