/* tests/header_check.h — compile a checker program against the runtime
 * headers (gen/runtime) as generated kernels are compiled (cc -O3
 * -march=native), run it, and return its exit status: the way the tests
 * of the headers' AVX-512 pieces (abl_silu16, abl_gelu16) check them, since
 * the library and tests build without -march. */
#ifndef ABLATE_HEADER_CHECK_H
#define ABLATE_HEADER_CHECK_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Writes SOURCE (C text, taken as is) to a temp folder, builds it with
 * -march=MARCH and runs it; its output goes to the test's stdout.  Returns
 * system()'s status. */
static inline int run_header_checker_march(const char *source, const char *march)
{
    char dir[] = "/tmp/ablate-hcheck-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char src[64], bin[64], cmd[512];
    snprintf(src, sizeof src, "%s/check.c", dir);
    snprintf(bin, sizeof bin, "%s/check", dir);
    FILE *f = fopen(src, "w");
    cr_assert_not_null(f);
    cr_assert_geq(fputs(source, f), 0);
    cr_assert_eq(fclose(f), 0);
    const char *root = getenv("ABLATE_ROOT");
    snprintf(cmd, sizeof cmd,
             "cc -O3 -march=%s -I'%s/gen/runtime' $(pkg-config --cflags openblas 2>/dev/null) "
             "-o '%s' '%s' -lm && '%s'",
             march, root ? root : ".", bin, src, bin);
    int rc = system(cmd);
    unlink(src);
    unlink(bin);
    rmdir(dir);
    return rc;
}

/* The same at -march=native, as generated kernels are built. */
static inline int run_header_checker(const char *source)
{
    return run_header_checker_march(source, "native");
}

/* The same for an AVX2-only CPU (x86-64-v3, the kernels an AVX2 machine
 * gets); the test is skipped where this CPU cannot run such a build. */
static inline int run_header_checker_avx2(const char *source)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        cr_skip_test("no AVX2 and FMA on this CPU");
    return run_header_checker_march(source, "x86-64-v3");
}

#endif
