/* tests/test_gen_silu.c — the 16-lane SiLU and sigmoid of the AVX-512
 * epilogues (abl_silu16, abl_sigmoid16 in gen/runtime/ablate_gen.h)
 * against double precision.  The library and tests build without -march,
 * so the header is compiled here as generated kernels are (cc -O3
 * -march=native) into a small checker, which exits 0 when every sampled
 * float of [-80, 90] is within the relative error the header states
 * (2.5e-7, checked at 4e-7) and the special values map as abl_silu maps
 * them.  Skips on a CPU without AVX-512 (the epilogues keep abl_silu). */
#include <criterion/criterion.h>

#include "header_check.h"

static const char CHECKER[] =
    "#include <math.h>\n"
    "#include <stdio.h>\n"
    "#include \"ablate_gen.h\"\n"
    "static float lane0(__m512 v) { float b[16]; _mm512_storeu_ps(b, v); return b[0]; }\n"
    "int main(void) {\n"
    "    int bad = 0;\n"
    "    for (float v = -80.0f; v <= 90.0f; v = nextafterf(v, 100.0f) + fabsf(v) * 1e-5f + 1e-30f) {\n"
    "        double ref = (double)v / (1.0 + exp(-(double)v));\n"
    "        double sig = 1.0 / (1.0 + exp(-(double)v));\n"
    "        float s = lane0(abl_silu16(_mm512_set1_ps(v))), g = lane0(abl_sigmoid16(_mm512_set1_ps(v)));\n"
    "        if (fabs(s - ref) > 4e-7 * fabs(ref) || fabs(g - sig) > 4e-7 * sig) {\n"
    "            if (bad++ < 5) printf(\"v=%g silu %g (ref %g) sigmoid %g (ref %g)\\n\", v, s, ref, g, sig);\n"
    "        }\n"
    "    }\n"
    "    const float sp[] = {NAN, INFINITY, -INFINITY, 0.0f, -100.0f, 1e-30f, 200.0f};\n"
    "    for (int i = 0; i < 7; i++) {\n"
    "        float s = lane0(abl_silu16(_mm512_set1_ps(sp[i]))), r = abl_silu(sp[i]);\n"
    "        if (!(isnan(s) && isnan(r)) && !(s == r || fabsf(s - r) < 1e-33f)) {\n"
    "            printf(\"special %g: %g, abl_silu %g\\n\", sp[i], s, r);\n"
    "            bad++;\n"
    "        }\n"
    "    }\n"
    "    return bad != 0;\n"
    "}\n";

Test(gen_silu, avx512_against_double, .timeout = 120)
{
    if (!__builtin_cpu_supports("avx512f"))
        cr_skip_test("no AVX-512 on this CPU: the epilogues use abl_silu");
    cr_assert_eq(run_header_checker(CHECKER), 0, "abl_silu16 / abl_sigmoid16 beyond 4e-7 relative error (see the lines above)");
}
