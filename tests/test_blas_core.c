/* tests/test_blas_core.c — ABLATE_CORETYPE=auto overrules a generic OpenBLAS
 * core pick (harness/blas_core.c, harness/main.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "blas_core.h"
#include "test_util.h"

/* A generic (SSE) or unknown pick on a wider CPU: the widest core it runs. */
Test(blas_core, generic_pick_overruled)
{
    cr_expect_str_eq(blas_core_upgrade("Prescott", ISA_AVX512, 1), "Cooperlake");
    cr_expect_str_eq(blas_core_upgrade("Prescott", ISA_AVX512, 0), "SkylakeX");
    cr_expect_str_eq(blas_core_upgrade("Nehalem", ISA_AVX2, 0), "Haswell");
    cr_expect_str_eq(blas_core_upgrade("Core2", ISA_AVX, 0), "Sandybridge");
    cr_expect_str_eq(blas_core_upgrade(NULL, ISA_AVX512, 1), "Cooperlake");
    cr_expect_str_eq(blas_core_upgrade("some future core", ISA_AVX2, 0), "Haswell");
}

/* A pick OpenBLAS made by name stays, narrower or not; an SSE CPU keeps its. */
Test(blas_core, named_pick_kept)
{
    cr_expect_null(blas_core_upgrade("Cooperlake", ISA_AVX512, 1));
    cr_expect_null(blas_core_upgrade("SkylakeX", ISA_AVX512, 1));
    cr_expect_null(blas_core_upgrade("Zen", ISA_AVX512, 1)); /* Zen 4: half-rate zmm */
    cr_expect_null(blas_core_upgrade("Haswell", ISA_AVX512, 0));
    cr_expect_null(blas_core_upgrade("Sandybridge", ISA_AVX2, 0));
    cr_expect_null(blas_core_upgrade("Prescott", ISA_SSE, 0));
    cr_expect_eq(blas_core_level("Excavator"), ISA_AVX);
    cr_expect_eq(blas_core_level("Penryn"), ISA_SSE);
}

/* The core name `ablate peak --quick` printed (its first line), or "". */
static void peak_core(const char *env, char *core, size_t len)
{
    struct run_out r;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "env %s %s peak --quick", env, ablate_bin());
    run_shell(&r, cmd);
    cr_assert_eq(r.status, 0, "%s: status %d, %s", cmd, r.status, r.err);
    const char *at = strstr(r.out, "(OpenBLAS core ");
    cr_assert_not_null(at, "%s printed %s", cmd, r.out);
    at += strlen("(OpenBLAS core ");
    size_t n = strcspn(at, ")");
    snprintf(core, len, "%.*s", (int)(n < len ? n : len - 1), at);
}

/* The program as make sweep runs it: whatever OpenBLAS detects here (an
 * Intel Xeon of family 6 model 207 gets Prescott from OpenBLAS 0.3.21), the
 * kernels it runs are not a generic SSE core on a CPU with AVX. */
Test(blas_core, auto_runs_no_generic_core, .timeout = 60)
{
    static const char *const envs[] = {
        "ABLATE_CORETYPE=auto OPENBLAS_CORETYPE=Prescott", /* make sweep's */
        "-u ABLATE_CORETYPE -u OPENBLAS_CORETYPE",         /* ./build/ablate as it is */
    };
    for (size_t i = 0; i < sizeof envs / sizeof *envs; i++) {
        char core[64];
        peak_core(envs[i], core, sizeof core);
        if (cpu_isa_level() > ISA_SSE)
            cr_expect_neq(blas_core_level(core), ISA_SSE, "env %s ran core %s", envs[i], core);
    }
}

/* A core the user names is what runs, generic or not. */
Test(blas_core, named_core_forced, .timeout = 60)
{
    static const char *const envs[] = {"ABLATE_CORETYPE=Prescott",
                                       "-u ABLATE_CORETYPE OPENBLAS_CORETYPE=Prescott"};
    for (size_t i = 0; i < sizeof envs / sizeof *envs; i++) {
        char core[64];
        peak_core(envs[i], core, sizeof core);
        cr_expect_str_eq(core, "Prescott", "env %s", envs[i]);
    }
}
