/* tests/test_onednn.c — impl=onednn (harness/onednn.c, onednn_block.c)
 * against the scalar references on the shapes the Conv row meets in YOLOv8
 * (first layer with 3 channels, stride 2, 1x1, depthwise, grouped,
 * dilated, batch 2) and the composed rows, in both activation layouts at
 * 1 and 2 threads, within the row's NMSE tolerance; a sweep row through
 * `ablate run` and the usage errors.  The PyTorch goldens go through
 * impl=onednn in test_goldens.c. */
#include <criterion/criterion.h>

#include "gen_check.h"
#include "detect.h"
#include "onednn_block.h"
#include "test_util.h"

static void check_layout(const struct gen_case *c, enum dnn_layout layout, int threads)
{
    struct dnn_block b;
    struct parity p;
    char err[ERR_MAX];
    cr_assert_eq(dnn_block_create(&b, c->inst.op, &c->inst.args, c->inst.in, (const float *const *)c->ws.ptr,
                                  threads, layout, err, sizeof err), 0, "%s: %s", c->spec, err);
    float *y = buf_alloc(c->ny);
    cr_assert_not_null(y);
    buf_fill_nan(y, c->ny);
    dnn_block_run(&b, c->x, y);
    cr_expect(!dnn_block_failed(&b), "%s: a oneDNN call failed", c->spec);
    parity_compare(y, c->y_ref, c->ny, &p);
    cr_expect_str_eq(parity_status(&p, c->inst.op->tol_nmse), "ok",
                     "%s layout %d t%d: nmse %.3g max_rel %.3g, %lld bad, %lld non-finite", c->spec,
                     (int)layout, threads, p.nmse, p.max_rel, (long long)p.n_bad,
                     (long long)p.n_nonfinite);
    buf_free(y, c->ny);
    dnn_block_free(&b);
}

static void check_spec(const char *spec, uint64_t seed)
{
    struct gen_case c;
    gen_case_setup(&c, spec, seed);
    gen_case_reference(&c);
    cr_assert(dnn_block_supports(c.inst.op), "%s", spec);
    for (int threads = 1; threads <= 2; threads++) {
        check_layout(&c, DNN_PLAIN, threads);
        check_layout(&c, DNN_BLOCKED, threads);
        check_layout(&c, DNN_AUTO, threads);
    }
    gen_case_free(&c);
}

Test(onednn, conv_first_layer_stride2) { check_spec("Conv c1=3 c2=16 k=3 s=2 h=33 w=30", 1); }
Test(onednn, conv_k3_stride2) { check_spec("Conv c1=16 c2=32 k=3 s=2 h=24 w=21", 2); }
Test(onednn, conv_k3_stride1) { check_spec("Conv c1=32 c2=32 k=3 s=1 h=17 w=19", 3); }
Test(onednn, conv_1x1) { check_spec("Conv c1=64 c2=48 k=1 s=1 h=20 w=20", 4); }
Test(onednn, conv_1x1_no_act) { check_spec("Conv c1=24 c2=40 k=1 act=0 h=9 w=11", 5); }
Test(onednn, conv_depthwise) { check_spec("Conv c1=32 c2=32 k=3 s=1 g=32 h=20 w=18", 6); }
Test(onednn, conv_depthwise_stride2) { check_spec("Conv c1=48 c2=48 k=5 s=2 g=48 h=21 w=20", 7); }
Test(onednn, conv_grouped) { check_spec("Conv c1=16 c2=24 k=3 s=1 g=4 h=12 w=13", 8); }
Test(onednn, conv_dilated_batch2) { check_spec("Conv c1=8 c2=8 k=3 d=2 h=14 w=12 batch=2", 9); }
Test(onednn, conv_odd_channels) { check_spec("Conv c1=5 c2=7 k=5 s=2 h=13 w=11", 10); }
Test(onednn, bottleneck) { check_spec("Bottleneck c1=32 c2=32 shortcut=1 h=15 w=17", 11); }
Test(onednn, c2f_shortcut_batch2) { check_spec("C2f c1=32 c2=32 n=2 shortcut=1 h=12 w=10 batch=2", 12); }
Test(onednn, c2f_concat_input) { check_spec("C2f c1=48 c2=32 n=1 shortcut=0 h=10 w=9", 13); }
Test(onednn, sppf) { check_spec("SPPF c1=64 c2=64 k=5 h=10 w=10", 14); }

Test(onednn, unsupported_row_refused)
{
    struct dnn_block b;
    char err[ERR_MAX];
    struct args a;
    args_defaults(&op_ghostmodule, &a);
    cr_expect(!dnn_block_supports(&op_ghostmodule));
    cr_expect_neq(dnn_block_create(&b, &op_ghostmodule, &a, (struct shape4){1, 8, 4, 4}, NULL, 1, DNN_AUTO,
                                   err, sizeof err), 0);
    cr_expect_str_eq(err, "oneDNN: no lowering for GhostModule (only Conv, Bottleneck, C2f, SPPF, Detect)");
}

/* Detect reads its levels packed one after another (kernels/detect.c). */
static void check_detect(const char *spec, uint64_t seed, enum dnn_layout layout)
{
    struct gen_case c;
    gen_case_setup(&c, spec, seed);
    struct detect d = detect_cfg(&c.inst.args, c.inst.in);
    buf_free(c.x, c.nx);
    c.nx = 0;
    for (int l = 0; l < d.nl; l++)
        c.nx += (int64_t)d.lv[l].n * d.ch[l] * d.lv[l].h * d.lv[l].w;
    cr_assert_not_null(c.x = buf_alloc(c.nx));
    struct rng r;
    rng_seed(&r, seed + 1);
    for (int64_t i = 0; i < c.nx; i++)
        c.x[i] = rng_normal(&r);
    gen_case_reference(&c);
    for (int threads = 1; threads <= 2; threads++)
        check_layout(&c, layout, threads);
    gen_case_free(&c);
}

Test(onednn, detect_three_levels) { check_detect("Detect nc=5 ch0=16 ch1=32 ch2=64 h=9 w=10", 15, DNN_AUTO); }
Test(onednn, detect_nc_above_ch0) { check_detect("Detect nc=80 ch0=16 ch1=24 h=8 w=7", 16, DNN_PLAIN); }
Test(onednn, detect_one_level_blocked) { check_detect("Detect nc=3 ch0=8 h=4 w=4", 17, DNN_BLOCKED); }

Test(onednn, detect_batch2_refused)
{
    struct gen_case c;
    struct dnn_block b;
    char err[ERR_MAX];
    gen_case_setup(&c, "Detect nc=3 ch0=8 h=4 w=4 batch=2", 18);
    cr_expect_neq(dnn_block_create(&b, c.inst.op, &c.inst.args, c.inst.in, (const float *const *)c.ws.ptr, 1,
                                   DNN_AUTO, err, sizeof err), 0);
    cr_expect_str_eq(err, "oneDNN: Detect is lowered at batch 1 only (got 2)");
    gen_case_free(&c);
}

/* `ablate run --quick --desc DESC` (the sweep's path for one CSV row). */
static void run_desc(struct run_out *r, const char *desc)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s run --quick --desc '%s'", ablate_bin(), desc);
    run_shell(r, cmd);
}

/* A CSV row with impl=onednn re-run, checked, timed. */
Test(onednn, run_desc, .timeout = 120)
{
    struct run_out r;
    run_desc(&r, "conv:c1=16:c2=32:k=3:s=2:g=1:n1c16h40w40:o32:t2:impl=onednn");
    cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_expect(strstr(r.out, "status=ok message=") && strstr(r.out, "median_ms="), "%s", r.out);
}

Test(onednn, run_desc_unsupported_row_is_skipped, .timeout = 120)
{
    struct run_out r;
    run_desc(&r, "ghostmodule:inp=8:oup=8:n1c8h8w8:o8:t1:impl=onednn");
    cr_expect_neq(r.status, 0);
    cr_expect(strstr(r.out, "status=skipped message=GhostModule: no oneDNN implementation "
                            "(Conv, Bottleneck, C2f, SPPF, Detect have)"), "%s%s", r.out, r.err);
}

/* ablate model --bench --onednn: Conv, C2f and SPPF layers get a oneDNN
 * column beside the generated one, and the oneDNN-conv graph agrees with
 * the reference graph.  Timings are not checked (a shared machine). */
Test(onednn, model_bench_side_by_side, .timeout = 300)
{
    struct run_out r;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s model tests/goldens/yolov8-golden.yaml --imgsz 64 --bench --quick --onednn "
             "--threads 2", ablate_bin());
    run_shell(&r, cmd);
    cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
    cr_expect(strstr(r.out, "%sgemm in_graph_ms   onednn_ms  %sgemm gen/onednn  oneDNN layout and implementation\n"),
              "%s", r.out);
    cr_expect(strstr(r.out, "\n    0  Conv           gen "), "%s", r.out);
    cr_expect(strstr(r.out, "\n    9  SPPF           gen "), "%s", r.out);
    cr_expect(strstr(r.out, "\n   22  Detect         gen "), "%s", r.out);
    cr_expect(strstr(r.out, "generated graph vs reference graph: max_abs="), "%s", r.out);
    cr_expect(strstr(r.out, "YOLOv8t-golden with oneDNN convs end-to-end at 64x64, 2 threads: "), "%s", r.out);
    /* a 2-thread pass samples the vCPU skew and the line gives it */
    const char *e2e = strstr(r.out, "YOLOv8t-golden end-to-end at 64x64, 2 threads: ");
    cr_expect(e2e && strstr(e2e, "; vCPU skew "), "%s", r.out);
    const char *v = strstr(r.out, "oneDNN-conv graph vs reference graph: max_abs=");
    cr_expect(v && strstr(v, " ok\n") && strstr(r.out, "\ngenerated / oneDNN-conv graph: "), "%s", r.out);
}
