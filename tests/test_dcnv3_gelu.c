/* tests/test_dcnv3_gelu.c — the 16-lane GELU of the DCNv3 rows
 * (abl_gelu16, abl_gelu_inplace in gen/runtime/ablate_dcnv3.h) against
 * double erf.  As tests/test_gen_silu.c: the header is compiled as
 * generated kernels are (cc -O3 -march=native) into a small checker, which
 * exits 0 when every sampled float of [-16, 16] is within the header's
 * bound (|error| <= 1.5e-7 |x|: the piecewise polynomial of Phi(-|x|)
 * measured 7.1e-8 |x|, the A&S 7.1.26 erf it replaced 3.2e-7 below
 * |x| = 1 and 1.6e-7 above, so that one fails here; 1e-38 more for
 * denormal results), the special values map as the
 * header says, and abl_gelu_inplace's masked last vector gives the same
 * bits as whole vectors and writes nothing past n.  Skips without AVX-512.
 * The AVX2 build's 8-lane abl_gelu8 (8 intervals, degree 6) the same way,
 * in a checker built as the AVX2 kernels are (-march=x86-64-v3), with
 * abl_gelu_inplace giving abl_gelu8's bits in every element, the partial
 * last vector's too: it fails with the rows on the A&S abl_gelu. */
#include <criterion/criterion.h>

#include "header_check.h"

static const char CHECKER[] =
    "#include <math.h>\n"
    "#include <stdio.h>\n"
    "#include \"ablate_dcnv3.h\"\n"
    "static float lane0(__m512 v) { float b[16]; _mm512_storeu_ps(b, v); return b[0]; }\n"
    "int main(void) {\n"
    "    int bad = 0;\n"
    "    for (float v = -16.0f; v <= 16.0f; v = nextafterf(v, 100.0f) + fabsf(v) * 1e-5f + 1e-30f) {\n"
    "        double ref = 0.5 * (double)v * (1.0 + erf((double)v / sqrt(2.0)));\n"
    "        float g = lane0(abl_gelu16(_mm512_set1_ps(v)));\n"
    "        double bound = 1.5e-7 * fabs((double)v) + 1e-38; /* denormal results: one rounding */\n"
    "        if (!(fabs(g - ref) <= bound) && bad++ < 5)\n"
    "            printf(\"x=%g gelu %.9g (ref %.9g)\\n\", v, g, ref);\n"
    "    }\n"
    "    const float sp[] = {NAN, INFINITY, -INFINITY, 0.0f, -100.0f, 100.0f};\n"
    "    const float want[] = {NAN, INFINITY, NAN, 0.0f, 0.0f, 100.0f}; /* -inf: NaN, as torch.nn.GELU() */\n"
    "    for (int i = 0; i < 6; i++) {\n"
    "        float g = lane0(abl_gelu16(_mm512_set1_ps(sp[i])));\n"
    "        if (!(isnan(g) && isnan(want[i])) && g != want[i] && bad++ < 10)\n"
    "            printf(\"special %g: %g, want %g\\n\", sp[i], g, want[i]);\n"
    "    }\n"
    "    float v[48], w[48];\n"
    "    for (int i = 0; i < 48; i++)\n"
    "        v[i] = w[i] = (float)(i - 20) * 0.37f;\n"
    "    abl_gelu_inplace(v, 37);\n"
    "    abl_gelu_inplace(w, 48);\n"
    "    for (int i = 0; i < 48; i++)\n"
    "        if ((i < 37 ? v[i] != w[i] : v[i] != (float)(i - 20) * 0.37f) && bad++ < 15)\n"
    "            printf(\"abl_gelu_inplace n 37: v[%d] %g\\n\", i, v[i]);\n"
    "    return bad != 0;\n"
    "}\n";

Test(dcnv3_gelu, avx512_against_double, .timeout = 120)
{
    if (!__builtin_cpu_supports("avx512f"))
        cr_skip_test("no AVX-512 on this CPU: its AVX2 rows use abl_gelu8 (avx2_gelu8_against_double)");
    cr_assert_eq(run_header_checker(CHECKER), 0, "abl_gelu16 beyond its error bound (see the lines above)");
}

static const char CHECKER8[] =
    "#include <math.h>\n"
    "#include <stdio.h>\n"
    "#include \"ablate_dcnv3.h\"\n"
    "static float lane0(__m256 v) { float b[8]; _mm256_storeu_ps(b, v); return b[0]; }\n"
    "int main(void) {\n"
    "    int bad = 0;\n"
    "    for (float v = -16.0f; v <= 16.0f; v = nextafterf(v, 100.0f) + fabsf(v) * 1e-5f + 1e-30f) {\n"
    "        double ref = 0.5 * (double)v * (1.0 + erf((double)v / sqrt(2.0)));\n"
    "        float g = lane0(abl_gelu8(_mm256_set1_ps(v)));\n"
    "        double bound = 1.5e-7 * fabs((double)v) + 1e-38;\n"
    "        if (!(fabs(g - ref) <= bound) && bad++ < 5)\n"
    "            printf(\"x=%g gelu8 %.9g (ref %.9g)\\n\", v, g, ref);\n"
    "    }\n"
    "    const float sp[] = {NAN, INFINITY, -INFINITY, 0.0f, -100.0f, 100.0f};\n"
    "    const float want[] = {NAN, INFINITY, NAN, 0.0f, 0.0f, 100.0f};\n"
    "    for (int i = 0; i < 6; i++) {\n"
    "        float g = lane0(abl_gelu8(_mm256_set1_ps(sp[i])));\n"
    "        if (!(isnan(g) && isnan(want[i])) && g != want[i] && bad++ < 10)\n"
    "            printf(\"special %g: %g, want %g\\n\", sp[i], g, want[i]);\n"
    "    }\n"
    "    float v[48];\n"
    "    for (int i = 0; i < 48; i++)\n"
    "        v[i] = (float)(i - 20) * 0.37f;\n"
    "    abl_gelu_inplace(v, 37);\n"
    "    for (int i = 0; i < 48; i++) {\n"
    "        const float x = (float)(i - 20) * 0.37f, g = lane0(abl_gelu8(_mm256_set1_ps(x)));\n"
    "        if ((i < 37 ? memcmp(&v[i], &g, sizeof g) != 0 : v[i] != x) && bad++ < 15)\n"
    "            printf(\"abl_gelu_inplace n 37: v[%d] %.9g, abl_gelu8 %.9g\\n\", i, v[i], g);\n"
    "    }\n"
    "    return bad != 0;\n"
    "}\n";

Test(dcnv3_gelu, avx2_gelu8_against_double, .timeout = 120)
{
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        cr_skip_test("no AVX2 + FMA on this CPU");
    cr_assert_eq(run_header_checker_avx2(CHECKER8), 0,
                 "abl_gelu8 beyond its error bound, or abl_gelu_inplace not its bits (see the lines above)");
}
