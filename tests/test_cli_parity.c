/* tests/test_cli_parity.c — `ablate parity` on goldens, and its answers to
 * broken inputs: truncated files, missing/extra tensors, wrong shapes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/stat.h>

#include "safetensors.h"
#include "test_util.h"

#define GOLDEN "tests/goldens/akconv_n5_s2_xy_border_9x12.safetensors"
#define MODULE "AKConv inc=4 outc=5 num_param=5 stride=2 grid=xy"

static void parity(struct run_out *r, const char *module, const char *w, const char *x, const char *y)
{
    char args[1024];
    snprintf(args, sizeof args, "parity %s --weights %s --input %s --expect %s", module, w, x, y);
    run_ablate(r, args);
}

Test(cli_parity, golden_passes_every_impl)
{
    struct run_out r;
    parity(&r, MODULE, GOLDEN, GOLDEN, GOLDEN);
    cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_expect(strstr(r.out, "ref ") == r.out, "%s", r.out);
    cr_expect(strstr(r.out, "gen:gemm") && strstr(r.out, "gen:fused"), "%s", r.out);
    cr_expect(!strstr(r.out, "FAIL"), "%s", r.out);
}

/* A batch-2 Detect golden: oneDNN has a lowering of Detect at batch 1 only,
 * so its line says skipped and the run passes (it printed FAIL and exited 1). */
Test(cli_parity, detect_at_batch_2_skips_onednn, .timeout = 300)
{
    struct run_out r;
#define DETECT_B2 "tests/goldens/detect_nc5_l2_b2_9x12.safetensors"
    parity(&r, "Detect nc=5 ch0=4 ch1=12 stride0=8 bn_eps=0.001", DETECT_B2, DETECT_B2, DETECT_B2);
    cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_expect(strstr(r.out, "\nonednn       skipped (Detect is lowered at batch 1 only)\n"), "%s", r.out);
    cr_expect(!strstr(r.out, "FAIL"), "%s", r.out);
}

/* The blog's grid on official weights gives other numbers: parity must say so. */
Test(cli_parity, wrong_variant_fails)
{
    struct run_out r;
    parity(&r, "AKConv inc=4 outc=5 num_param=5 stride=2 grid=ij", GOLDEN, GOLDEN, GOLDEN);
    cr_expect_eq(r.status, 1);
    cr_expect(strstr(r.out, "FAIL") != NULL, "%s", r.out);
}

Test(cli_parity, truncated_file)
{
    char dir[64], path[128], want[256];
    struct stat sb;
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/cut.safetensors", dir);
    cr_assert_eq(stat(GOLDEN, &sb), 0);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "head -c %lld %s > %s", (long long)sb.st_size - 100, GOLDEN, path);
    cr_assert_eq(system(cmd), 0);
    struct run_out r;
    parity(&r, MODULE, path, GOLDEN, GOLDEN);
    snprintf(want, sizeof want,
             "ablate: %s: truncated safetensors file (data ends at byte %lld, file has %lld bytes)\n",
             path, (long long)sb.st_size, (long long)sb.st_size - 100);
    cr_expect_eq(r.status, 2);
    cr_expect_str_eq(r.err, want);
    remove_dir(dir);
}

Test(cli_parity, shape_mismatch)
{
    struct run_out r;
    parity(&r, "AKConv inc=4 outc=6 num_param=5 stride=2 grid=xy", GOLDEN, GOLDEN, GOLDEN);
    cr_expect_eq(r.status, 2);
    cr_expect_str_eq(r.err, "ablate: " GOLDEN ": tensor 'conv.0.weight' has shape [5, 4, 5, 1], "
                            "AKConv expects [6, 4, 5, 1]\n");
}

/* Copies GOLDEN without tensor `drop` and, if `extra`, with one more tensor. */
static void write_variant(const char *path, const char *drop, const char *extra)
{
    struct st_file f;
    char err[256];
    cr_assert_eq(st_read(GOLDEN, &f, err, sizeof err), 0, "%s", err);
    struct st_tensor t[64];
    int n = 0;
    for (int i = 0; i < f.n; i++)
        if (strcmp(f.t[i].name, drop))
            t[n++] = f.t[i];
    if (extra) {
        t[n] = t[0];
        snprintf(t[n++].name, ST_NAME_MAX, "%s", extra);
    }
    cr_assert_eq(st_write(path, n, t, 0, NULL, NULL, err, sizeof err), 0, "%s", err);
    st_free(&f);
}

Test(cli_parity, missing_and_unexpected_tensor)
{
    char dir[64], path[128], want[256];
    struct run_out r;
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/w.safetensors", dir);
    write_variant(path, "p_conv.bias", NULL);
    parity(&r, MODULE, path, GOLDEN, GOLDEN);
    snprintf(want, sizeof want, "ablate: %s: missing tensor 'p_conv.bias' (AKConv expects it)\n", path);
    cr_expect_eq(r.status, 2);
    cr_expect_str_eq(r.err, want);

    write_variant(path, "", "offset.weight");
    parity(&r, MODULE, path, GOLDEN, GOLDEN);
    snprintf(want, sizeof want, "ablate: %s: unexpected tensor 'offset.weight' (not in the AKConv state_dict)\n", path);
    cr_expect_eq(r.status, 2);
    cr_expect_str_eq(r.err, want);
    remove_dir(dir);
}

Test(cli_parity, input_channels_mismatch)
{
    struct run_out r;
    parity(&r, "AKConv inc=3 outc=5 num_param=5 stride=2 grid=xy", GOLDEN, GOLDEN, GOLDEN);
    cr_expect_eq(r.status, 2);
    cr_expect_str_eq(r.err, "ablate: " GOLDEN ": tensor 'x' has 4 channels, AKConv expects 3\n");
}

/* A bad ABLATE_GEN_OPT (the correctness builds' -O level) is bad input: one
 * message and status 2 before anything runs (it printed "gen:* not run"
 * after the reference's line and exited 1). */
Test(cli_parity, bad_gen_opt_is_bad_input)
{
    struct run_out r;
    char args[1024];
    snprintf(args, sizeof args, "ABLATE_GEN_OPT=7 %s parity %s --weights %s --input %s --expect %s",
             ablate_bin(), MODULE, GOLDEN, GOLDEN, GOLDEN);
    run_shell(&r, args);
    cr_expect_eq(r.status, 2, "%s%s", r.out, r.err);
    cr_expect_str_eq(r.out, "");
    cr_expect_str_eq(r.err, "ablate: ABLATE_GEN_OPT=7: expected 1, 2 or 3 (the kernels' -O level)\n");
}
