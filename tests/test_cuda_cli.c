/* tests/test_cuda_cli.c — the CUDA backend as a user meets it without a
 * GPU: `ablate parity` prints cuda-host lines and one skipped cuda line, a
 * sweep with "cuda" writes skipped rows and exits 0, --backends rejects
 * unknown words, and the ptxas report is parsed as nvcc writes it.  On a
 * machine with a device the no-device tests skip (scripts/gpu_check.sh
 * covers that case). */
#include <criterion/criterion.h>
#include <stdio.h>

#include "cuda_gen.h"
#include "cuda_rt.h"
#include "safetensors.h"
#include "test_util.h"

#define GOLDEN "tests/goldens/conv_k3s2_b2_10x10.safetensors"
#define MODULE "Conv c1=4 c2=4 k=3 s=2 g=1 d=1 bn_eps=1e-05"

static void need_nvcc_and_no_device(void)
{
    char path[GEN_PATH_MAX], err[ERR_MAX];
    if (cuda_find_nvcc(path, sizeof path, err, sizeof err) != 0)
        cr_skip_test("%s", err);
    if (cuda_device_present(err, sizeof err) == 0)
        cr_skip_test("a CUDA device is present: scripts/gpu_check.sh checks this case");
}

Test(cuda_cli, parity_prints_host_lines_and_skips_the_device, .timeout = 300)
{
    need_nvcc_and_no_device();
    struct run_out r;
    run_ablate(&r, "parity " MODULE " --weights " GOLDEN " --input " GOLDEN " --expect " GOLDEN
                   " --backends cuda-host,cuda");
    cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_expect(strstr(r.out, "cuda-host:gemm ") == r.out, "%s", r.out);
    cr_expect(strstr(r.out, "cuda-host:direct ") && strstr(r.out, "cuda-host:cudnn "), "%s", r.out);
    cr_expect(!strstr(r.out, "FAIL") && !strstr(r.out, "ref "), "%s", r.out);
    cr_expect(strstr(r.out, "cuda:*       skipped (no CUDA ") != NULL, "%s", r.out);
}

/* A row whose CUDA source came last: its cuda-host line passes, the device is skipped. */
Test(cuda_cli, parity_of_the_attention_row, .timeout = 300)
{
    need_nvcc_and_no_device();
    struct run_out r;
#define DLKA "tests/goldens/dlka_official_c3_b2_7x6.safetensors"
    run_ablate(&r, "parity deformable_LKA_Attention d_model=3 variant=official --weights " DLKA
                   " --input " DLKA " --expect " DLKA " --backends cuda-host,cuda");
    cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_expect(strncmp(r.out, "cuda-host:gemm ", 15) == 0 && strstr(r.out, " ok\n"), "%s", r.out);
    cr_expect(strstr(r.out, "cuda:*       skipped (no CUDA ") != NULL, "%s", r.out);
}

/* A detection head's parity takes its levels x0, x1, ... (packed as the
 * kernels take them) and PyTorch's [N, C, A] output. */
Test(cuda_cli, parity_of_a_detection_head, .timeout = 300)
{
    need_nvcc_and_no_device();
    struct run_out r;
#define HEAD "tests/goldens/detect_v5_nc2_na3_l4_b2_11x6.safetensors"
    run_ablate(&r, "parity DetectV5 nc=2 na=3 ch0=4 ch1=6 ch2=8 ch3=4 stride0=8 --weights " HEAD
                   " --input " HEAD " --expect " HEAD " --backends ref,gen,cuda-host,cuda");
    cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_expect(strncmp(r.out, "ref ", 4) == 0 && strstr(r.out, "\ngen:gemm ") && strstr(r.out, "\ncuda-host:gemm "),
              "%s", r.out);
    cr_expect(!strstr(r.out, "FAIL"), "%s", r.out);
}

/* ... and refuses a level with the wrong shape, naming it: an input file
 * whose x1 has 5 channels where ch1=6. */
Test(cuda_cli, parity_of_a_head_checks_its_levels)
{
    char dir[64], path[96], err[ERR_MAX], cmd[512];
    static float x0[2 * 4 * 11 * 6], x1[2 * 5 * 6 * 3];
    struct st_tensor t[2] = {{.name = "x0", .dtype = ST_F32, .ndim = 4, .shape = {2, 4, 11, 6},
                              .numel = 2 * 4 * 11 * 6, .data = x0, .nbytes = sizeof x0},
                             {.name = "x1", .dtype = ST_F32, .ndim = 4, .shape = {2, 5, 6, 3},
                              .numel = 2 * 5 * 6 * 3, .data = x1, .nbytes = sizeof x1}};
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/levels.safetensors", dir);
    cr_assert_eq(st_write(path, 2, t, 0, NULL, NULL, err, sizeof err), 0, "%s", err);
    struct run_out r;
    snprintf(cmd, sizeof cmd, "parity DetectV5 nc=2 na=3 ch0=4 ch1=6 ch2=8 ch3=4 stride0=8 --weights " HEAD
             " --input %s --expect " HEAD " --backends ref", path);
    run_ablate(&r, cmd);
    cr_expect_eq(r.status, 2);
    char want[256];
    snprintf(want, sizeof want, "ablate: %s: tensor 'x1' must be F32 [2, 6, 6, 3]\n", path);
    cr_expect_str_eq(r.err, want);
    remove_dir(dir);
}

Test(cuda_cli, parity_rejects_an_unknown_backend)
{
    struct run_out r;
    run_ablate(&r, "parity " MODULE " --weights " GOLDEN " --input " GOLDEN " --expect " GOLDEN
                   " --backends cuda,rocm");
    cr_expect_eq(r.status, 2);
    cr_expect_str_eq(r.err, "ablate: parity: unknown backend 'rocm' (known: ref, gen, onednn, cuda-host, cuda)\n");
}

Test(cuda_cli, sweep_rejects_an_unknown_backend)
{
    struct run_out r;
    run_ablate(&r, "sweep experiments/akconv_params.lua --quick --backends ref,opencl");
    cr_expect_eq(r.status, 2);
    cr_expect_str_eq(r.err, "ablate: --backends: unknown backend 'opencl' (known: ref, gen, onednn, cuda-host, "
                            "cuda, torch)\n");
}

/* cuda rows are skipped with the reason, the CPU rows still run, exit 0. */
Test(cuda_cli, sweep_without_device_skips_cuda_rows, .timeout = 300)
{
    need_nvcc_and_no_device();
    char dir[64], exp[128], cmd[512];
    temp_dir(dir, sizeof dir);
    snprintf(exp, sizeof exp, "%s/conv_cuda.lua", dir);
    write_file(exp, "return sweep {\n"
                    "  name = \"conv_cuda\", module = \"Conv\",\n"
                    "  shapes = { { layer = \"L\", c1 = 4, c2 = 8, h = 9, w = 7, batch = 2 } },\n"
                    "  args = { k = 3, s = 2 },\n"
                    "  backends = { \"ref\", \"cuda\" },\n"
                    "}\n");
    struct run_out r;
    snprintf(cmd, sizeof cmd, "sweep %s --quick --out %s/run && cut -d, -f6,19,20 %s/run/results.csv", exp,
             dir, dir);
    run_ablate(&r, cmd);
    cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_expect(strstr(r.out, "ref,ok,") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "cuda:gemm,skipped,no CUDA ") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "cuda:cudnn,skipped,no CUDA ") != NULL, "%s", r.out);
    remove_dir(dir);
}

/* The lines ptxas -v writes (CUDA 13), two kernels, one spilling. */
Test(cuda_ptxas, reads_registers_spills_and_marks)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    struct gen_kernel k;
    memset(&k, 0, sizeof k);
    snprintf(k.log_path, sizeof k.log_path, "%s/k.log", dir);
    snprintf(k.src_path, sizeof k.src_path, "%s/k.cu", dir);
    write_file(k.src_path, "/* @spill_free a_kernel\n * @spill_free b_kernel_x */\n");
    write_file(k.log_path,
               "ptxas info    : 0 bytes gmem\n"
               "ptxas info    : Compiling entry function 'a_kernel' for 'sm_80'\n"
               "ptxas info    : Function properties for a_kernel\n"
               "    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\n"
               "ptxas info    : Used 32 registers, used 0 barriers, 380 bytes cmem[0]\n"
               "ptxas info    : Compiling entry function 'b_kernel' for 'sm_90'\n"
               "ptxas info    : Function properties for b_kernel\n"
               "    8 bytes stack frame, 12 bytes spill stores, 16 bytes spill loads\n"
               "ptxas info    : Used 255 registers, used 0 barriers\n");
    struct cuda_ptxas_kernel ks[4];
    char err[ERR_MAX];
    cr_assert_eq(cuda_ptxas_read(&k, ks, 4, err, sizeof err), 2, "%s", err);
    cr_expect_str_eq(ks[0].name, "a_kernel");
    cr_expect_str_eq(ks[0].arch, "sm_80");
    cr_expect(ks[0].registers == 32 && ks[0].spill_stores == 0 && ks[0].spill_free == 1);
    cr_expect_str_eq(ks[1].name, "b_kernel");
    cr_expect_str_eq(ks[1].arch, "sm_90");
    cr_expect(ks[1].registers == 255 && ks[1].spill_stores == 12 && ks[1].spill_loads == 16);
    cr_expect_eq(ks[1].spill_free, 0, "'@spill_free b_kernel_x' must not mark b_kernel");
    remove_dir(dir);
}
