/* tests/test_cli_errors.c — bad input gets one clear message and exit 2;
 * the exact texts are part of the interface. */
#include <criterion/criterion.h>

#include "test_util.h"
#include "known_modules.h"

#define EXPECT_BAD(r, text)                                  \
    do {                                                     \
        cr_expect_eq((r).status, 2, "status %d", (r).status); \
        cr_expect_str_eq((r).err, text);                     \
    } while (0)

Test(cli_errors, unknown_module)
{
    struct run_out r;
    run_ablate(&r, "info Foo h=8 w=8");
    char known[512], want[640];
    snprintf(want, sizeof want, "ablate: unknown module 'Foo' (known: %s)\n", known_modules_text(known, sizeof known));
    EXPECT_BAD(r, want);
}

Test(cli_errors, unknown_key)
{
    struct run_out r;
    run_ablate(&r, "info AKConv inc=4 outc=8 num_param=3 bogus=1 h=8 w=8");
    EXPECT_BAD(r, "ablate: AKConv: unknown argument 'bogus' (known: inc, outc, num_param, stride, "
                  "bias, grid, bn_eps)\n");
}

Test(cli_errors, num_param_zero)
{
    struct run_out r;
    run_ablate(&r, "info AKConv inc=4 outc=8 num_param=0 h=8 w=8");
    EXPECT_BAD(r, "ablate: AKConv: num_param must be >= 1 (got 0)\n");
}

Test(cli_errors, negative_stride)
{
    struct run_out r;
    run_ablate(&r, "info AKConv inc=4 outc=8 num_param=3 stride=-1 h=8 w=8");
    EXPECT_BAD(r, "ablate: AKConv: stride must be >= 1\n");
}

Test(cli_errors, wrong_type)
{
    struct run_out r;
    run_ablate(&r, "info AKConv inc=4 outc=8 num_param=three h=8 w=8");
    EXPECT_BAD(r, "ablate: AKConv: argument 'num_param' must be an integer (got 'three')\n");
    run_ablate(&r, "info AKConv inc=4 outc=8 num_param=3 grid=yx h=8 w=8");
    EXPECT_BAD(r, "ablate: AKConv: argument 'grid' must be one of ij|xy (got 'yx')\n");
}

Test(cli_errors, conv_groups)
{
    struct run_out r;
    run_ablate(&r, "info Conv c1=6 c2=8 k=3 g=4 h=8 w=8");
    EXPECT_BAD(r, "ablate: Conv: channels (6, 8) must be divisible by groups 4\n");
}

Test(cli_errors, missing_size)
{
    struct run_out r;
    run_ablate(&r, "info AKConv inc=4 outc=8 num_param=3");
    EXPECT_BAD(r, "ablate: AKConv: input size missing: give h= and w=\n");
}

Test(cli_errors, unknown_command)
{
    struct run_out r;
    run_ablate(&r, "frobnicate");
    cr_expect_eq(r.status, 2);
    cr_expect(strncmp(r.err, "ablate: unknown command 'frobnicate'\n", 37) == 0, "%s", r.err);
}

/* The acceptance example: the thop numbers of MODULES.md §8. */
Test(cli_info, akconv_example)
{
    struct run_out r;
    run_ablate(&r, "info AKConv inc=64 outc=128 num_param=5 stride=2 h=80 w=80");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "output      1x128x40x40\n") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "params      46986\n") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "flops_thop  151142400  (thop: 75571200 MACs x 2") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "flops_full  154432000") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "bytes       2646568") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "  p_conv.weight                [10, 64, 3, 3]\n") != NULL, "%s", r.out);
}

/* A CSV row's descriptor re-runs that exact case. */
Test(cli_run, desc_reruns_the_case, .timeout = 120)
{
    struct run_out r;
    run_ablate(&r, "run --quick --desc 'akconv:inc=4:outc=8:num_param=3:stride=2:bias=0:grid=xy:"
                   "bn_eps=1e-05:n2c4h9w13:o8:t1:impl=gen:gemm'");
    cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_expect(strstr(r.out, "status=ok\n") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "median_ms=") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "nmse=") != NULL, "%s", r.out);
    run_ablate(&r, "run --desc 'akconv:inc=4:outc=8:num_param=3'");
    EXPECT_BAD(r, "ablate: run: not a row descriptor: 'akconv:inc=4:outc=8:num_param=3'\n");
}
