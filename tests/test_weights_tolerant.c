/* tests/test_weights_tolerant.c — weight files are taken as PyTorch's
 * load_state_dict takes them: num_batches_tracked as a [1] tensor (older
 * exports) or as I32, its value ignored (BatchNorm in eval mode never
 * reads it); anything else is refused naming the tensor, its shape and the
 * expected one.  The variants are written with the project's writer from
 * a module golden (`ablate parity`) and the narrow-model golden
 * (`ablate model --weights`). */
#include <criterion/criterion.h>

#include "safetensors.h"
#include "test_util.h"

#define GOLDEN "tests/goldens/akconv_n5_s2_xy_border_9x12.safetensors"
#define MODULE "AKConv inc=4 outc=5 num_param=5 stride=2 grid=xy"
#define COUNTER "conv.1.num_batches_tracked"
#define MODEL_GOLDEN "tests/goldens/model_yolov8t_64.safetensors"
#define MODEL_ARGS "model tests/goldens/yolov8-golden.yaml --imgsz 64"

/* The counter as a file may hold it: dtype, shape, value. */
struct counter {
    enum st_dtype dtype;
    int ndim;
    int64_t shape0;
    int64_t value;
};

/* Copies src to path with every tensor named ...num_batches_tracked (all
 * of them, or only `only` if given) replaced by c. */
static void write_with_counter(const char *src, const char *path, const char *only, struct counter c)
{
    struct st_file f;
    char err[256];
    cr_assert_eq(st_read(src, &f, err, sizeof err), 0, "%s", err);
    struct st_tensor *t = malloc(sizeof *t * (size_t)f.n);
    int64_t v64[4] = {c.value, c.value, c.value, c.value};
    int32_t v32[4] = {(int32_t)c.value, (int32_t)c.value, (int32_t)c.value, (int32_t)c.value};
    float vf[4] = {(float)c.value, (float)c.value, (float)c.value, (float)c.value};
    cr_assert(t && c.shape0 <= 4);
    for (int i = 0; i < f.n; i++) {
        t[i] = f.t[i];
        const char *name = t[i].name;
        int is_counter = strstr(name, "num_batches_tracked") && (!only || !strcmp(name, only));
        if (!is_counter)
            continue;
        int64_t numel = c.ndim ? c.shape0 : 1;
        t[i].dtype = c.dtype;
        t[i].ndim = c.ndim;
        t[i].shape[0] = c.shape0;
        t[i].numel = numel;
        t[i].data = c.dtype == ST_I64 ? (void *)v64 : c.dtype == ST_I32 ? (void *)v32 : (void *)vf;
        t[i].nbytes = (size_t)numel * st_dtype_size(c.dtype);
    }
    cr_assert_eq(st_write(path, f.n, t, 0, NULL, NULL, err, sizeof err), 0, "%s", err);
    free(t);
    st_free(&f);
}

/* `ablate parity` with the golden's counter replaced by c, written into dir. */
static void parity_with_counter(struct run_out *r, struct counter c, const char *dir, char *path, size_t len)
{
    char args[1024];
    snprintf(path, len, "%s/w.safetensors", dir);
    write_with_counter(GOLDEN, path, COUNTER, c);
    snprintf(args, sizeof args, "parity %s --weights %s --input %s --expect %s", MODULE, path, GOLDEN, GOLDEN);
    run_ablate(r, args);
}

static void expect_parity_ok(struct counter c)
{
    struct run_out r;
    char dir[64], path[128];
    temp_dir(dir, sizeof dir);
    parity_with_counter(&r, c, dir, path, sizeof path);
    remove_dir(dir);
    cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
    cr_expect(strncmp(r.out, "ref ", 4) == 0 && !strstr(r.out, "FAIL"), "%s", r.out);
}

static void expect_parity_refused(struct counter c, const char *fmt)
{
    struct run_out r;
    char dir[64], path[128], want[512];
    temp_dir(dir, sizeof dir);
    parity_with_counter(&r, c, dir, path, sizeof path);
    remove_dir(dir);
    snprintf(want, sizeof want, fmt, path);
    cr_expect_eq(r.status, 2, "status %d", r.status);
    cr_expect_str_eq(r.err, want);
}

/* (a) older exports: a one-element [1] where the module has a 0-d tensor. */
Test(weights_tolerant, counter_as_one_element)
{
    expect_parity_ok((struct counter){ST_I64, 1, 1, 0});
}

/* (b) int32 where the counter is int64. */
Test(weights_tolerant, counter_as_int32)
{
    expect_parity_ok((struct counter){ST_I32, 0, 0, 3});
    expect_parity_ok((struct counter){ST_I32, 1, 1, 3});
}

/* (c) the value is not used: any count loads and gives the same output. */
Test(weights_tolerant, counter_value_ignored)
{
    expect_parity_ok((struct counter){ST_I64, 0, 0, 123456789});
    expect_parity_ok((struct counter){ST_I64, 0, 0, -1});
}

/* Anything else is still refused, with the tensor, its shape and the expected one. */
Test(weights_tolerant, other_shapes_and_dtypes_refused)
{
    expect_parity_refused((struct counter){ST_I64, 1, 2, 0},
                          "ablate: %s: tensor 'conv.1.num_batches_tracked' has shape [2], AKConv expects [] (or [1])\n");
    expect_parity_refused((struct counter){ST_F32, 0, 0, 0},
                          "ablate: %s: tensor 'conv.1.num_batches_tracked' is F32 [], AKConv expects I64 or I32 []\n");
}

/* The whole-model loader follows the same rules: every BatchNorm's
 * counter as I32 [1] still matches PyTorch; a [2] counter is refused. */
Test(weights_tolerant, model_counters)
{
    char dir[64], path[128], args[1024], want[512];
    struct run_out r;
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/w.safetensors", dir);
    write_with_counter(MODEL_GOLDEN, path, NULL, (struct counter){ST_I32, 1, 1, 7});
    snprintf(args, sizeof args, MODEL_ARGS " --weights %s --input " MODEL_GOLDEN " --expect " MODEL_GOLDEN, path);
    run_ablate(&r, args);
    cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
    cr_expect(strstr(r.out, " ok\n") != NULL, "%s", r.out);

    write_with_counter(MODEL_GOLDEN, path, "model.0.bn.num_batches_tracked",
                       (struct counter){ST_I64, 1, 2, 0});
    run_ablate(&r, args);
    snprintf(want, sizeof want,
             "ablate: %s: tensor 'model.0.bn.num_batches_tracked' has shape [2], Conv expects [] (or [1])\n",
             path);
    cr_expect_eq(r.status, 2, "status %d", r.status);
    cr_expect_str_eq(r.err, want);
    remove_dir(dir);
}
