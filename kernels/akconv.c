/* kernels/akconv.c — AKConv, arbitrary sampled shapes (MODULES.md 5.1).
 *
 * p_conv (3x3, pad 1, stride s, bias) predicts 2N offsets per output pixel;
 * each of the N points, placed at p_0 + p_n + offset, is sampled with the
 * module's own clamped bilinear rule (corners clamped, then p clamped, so a
 * sample past the border counts the border twice); the N samples of every
 * channel are stacked and reduced by an (N,1)-stride-(N,1) "column" conv,
 * then BN + SiLU.  grid=ij is the official meshgrid order, grid=xy the blog's.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

enum { GRID_IJ = 0, GRID_XY = 1 };

static const struct arg_spec akconv_schema[] = {
    {"inc", ARG_INT, NULL, NULL, "input channels"},
    {"outc", ARG_INT, NULL, NULL, "output channels"},
    {"num_param", ARG_INT, NULL, NULL, "sampled points N"},
    {"stride", ARG_INT, "1", NULL, "stride of p_conv and of the base grid"},
    {"bias", ARG_BOOL, "0", NULL, "bias on the column conv"},
    {"grid", ARG_ENUM, "ij", "ij|xy", "meshgrid order: ij official, xy blog"},
    {"bn_eps", ARG_FLOAT, "1e-5", NULL, "BatchNorm eps (1e-3 inside a YAML model)"},
    {NULL, 0, NULL, NULL, NULL},
};

struct akconv_cfg {
    int inc, outc, n, s, bias, grid;
    double eps;
};

static struct akconv_cfg akconv_cfg(const struct args *a)
{
    return (struct akconv_cfg){arg_geti(a, "inc"),    arg_geti(a, "outc"), arg_geti(a, "num_param"),
                               arg_geti(a, "stride"), arg_geti(a, "bias"), arg_geti(a, "grid"),
                               arg_get(a, "bn_eps")};
}

static struct shape4 akconv_out_shape(const struct args *a, struct shape4 in)
{
    struct akconv_cfg c = akconv_cfg(a);
    int s = c.s < 1 ? 1 : c.s;
    return (struct shape4){in.n, c.outc, (in.h - 1) / s + 1, (in.w - 1) / s + 1};
}

static int akconv_validate(const struct args *a, struct shape4 in, char *err, size_t errlen)
{
    struct akconv_cfg c = akconv_cfg(a);
    if (c.n < 1) {
        snprintf(err, errlen, "AKConv: num_param must be >= 1 (got %d)", c.n);
        return -1;
    }
    if (c.s < 1) {
        snprintf(err, errlen, "AKConv: stride must be >= 1");
        return -1;
    }
    if (c.inc < 1 || c.outc < 1) {
        snprintf(err, errlen, "AKConv: inc and outc must be >= 1");
        return -1;
    }
    if (in.h < 1 || in.w < 1) {
        snprintf(err, errlen, "AKConv: input size must be >= 1");
        return -1;
    }
    return 0;
}

static int64_t akconv_params(const struct args *a)
{
    struct akconv_cfg c = akconv_cfg(a);
    return (int64_t)c.outc * c.inc * c.n + (c.bias ? c.outc : 0) + 2 * c.outc +
           18 * (int64_t)c.n * c.inc + 2 * c.n;
}

static int64_t akconv_flops_thop(const struct args *a, struct shape4 in)
{
    struct akconv_cfg c = akconv_cfg(a);
    struct shape4 o = akconv_out_shape(a, in);
    int64_t pix = (int64_t)o.n * o.h * o.w;
    return 2 * pix * (18 * (int64_t)c.n * c.inc + (int64_t)c.outc * c.inc * c.n + 4 * c.outc);
}

/* MODULES.md 5.1 step 5: p_conv, then per point 38 FLOPs of coordinates and
 * weights plus 7 per channel of interpolation, then conv + BN + SiLU. */
static int64_t akconv_flops_full(const struct args *a, struct shape4 in)
{
    struct akconv_cfg c = akconv_cfg(a);
    struct shape4 o = akconv_out_shape(a, in);
    int64_t pix = (int64_t)o.n * o.h * o.w;
    int64_t p_conv = pix * 2 * c.n * (18 * (int64_t)c.inc + 1);
    int64_t sampling = pix * c.n * (38 + 7 * (int64_t)c.inc);
    int64_t column = pix * c.outc * (2 * (int64_t)c.inc * c.n + 5 + (c.bias ? 1 : 0));
    return p_conv + sampling + column;
}

static int64_t akconv_bytes(const struct args *a, struct shape4 in)
{
    struct shape4 o = akconv_out_shape(a, in);
    int64_t state = akconv_params(a) + 2 * (int64_t)o.c;
    return 4 * ((int64_t)in.n * in.c * in.h * in.w + (int64_t)o.n * o.c * o.h * o.w + state);
}

static void akconv_weights(const struct args *a, struct weight_list *wl)
{
    struct akconv_cfg c = akconv_cfg(a);
    wl->n = 0;
    wl_add(wl, "conv.0.", "weight", 4, c.outc, c.inc, c.n, 1);
    if (c.bias)
        wl_add(wl, "conv.0.", "bias", 1, c.outc, 0, 0, 0);
    wl_add_bn(wl, "conv.1.", c.outc);
    wl_add(wl, "p_conv.", "weight", 4, 2 * c.n, c.inc, 3, 3);
    wl_add(wl, "p_conv.", "bias", 1, 2 * c.n, 0, 0, 0);
}

/* paper: the seed zeroes p_conv.weight (offsets start at the bias, i.e. the
 * default-initialised bias of a few tenths of a pixel).  random: p_conv
 * weights scaled so offsets are a few pixels, as after training. */
static void akconv_init(const struct args *a, enum init_mode mode, struct rng *r, float *const *w)
{
    struct akconv_cfg c = akconv_cfg(a);
    int k = 0;
    int64_t fan_col = (int64_t)c.inc * c.n, fan_p = 9 * (int64_t)c.inc;
    init_conv_weight(w[k++], c.outc * fan_col, fan_col, mode, 1.0f, r);
    if (c.bias)
        init_conv_weight(w[k++], c.outc, fan_col, mode, 1.0f, r);
    init_bn(w + k, c.outc, mode, r);
    k += 5;
    if (mode == INIT_PAPER)
        for (int64_t i = 0; i < 2 * c.n * fan_p; i++)
            w[k][i] = 0.0f;
    else
        init_conv_weight(w[k], 2 * c.n * fan_p, fan_p, mode, 2.0f, r);
    init_conv_weight(w[k + 1], 2 * c.n, fan_p, mode, mode == INIT_PAPER ? 1.0f : 3.0f, r);
}

/* Initial sampling shape p_n (MODULES.md 5.1 step 2). */
static void akconv_p_n(int n_param, int grid, int *pn_row, int *pn_col)
{
    int b = 0;
    while ((b + 1) * (b + 1) <= n_param)
        b++;
    int base = b + (n_param > b * b + b ? 1 : 0);
    int rows = n_param / base, mod = n_param % base;
    for (int n = 0; n < rows * base; n++) {
        pn_row[n] = grid == GRID_IJ ? n / base : n % rows;
        pn_col[n] = grid == GRID_IJ ? n % base : n / rows;
    }
    for (int m = 0; m < mod; m++) {
        pn_row[rows * base + m] = rows;
        pn_col[rows * base + m] = m;
    }
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

/* One sample of channel plane `img` (h x w) at (px, py), steps 5-7, in
 * float32 exactly as the PyTorch expressions evaluate. */
static float akconv_sample(const float *img, int h, int w, float px, float py)
{
    if (!isfinite(px) || !isfinite(py))
        return NAN; /* the harness rejects non-finite offsets */
    float fx = floorf(px), fy = floorf(py);
    float ltx = clampf(fx, 0, (float)(h - 1)), rbx = clampf(fx + 1, 0, (float)(h - 1));
    float lty = clampf(fy, 0, (float)(w - 1)), rby = clampf(fy + 1, 0, (float)(w - 1));
    px = clampf(px, 0, (float)(h - 1));
    py = clampf(py, 0, (float)(w - 1));
    float g_lt = (1 + (ltx - px)) * (1 + (lty - py));
    float g_rb = (1 - (rbx - px)) * (1 - (rby - py));
    float g_lb = (1 + (ltx - px)) * (1 - (rby - py));
    float g_rt = (1 - (rbx - px)) * (1 + (lty - py));
    int ilt = (int)ltx, irb = (int)rbx, jlt = (int)lty, jrb = (int)rby;
    return ((g_lt * img[ilt * w + jlt] + g_rb * img[irb * w + jrb]) + g_lb * img[ilt * w + jrb]) +
           g_rt * img[irb * w + jlt];
}

static void akconv_forward_ref(const struct args *a, struct shape4 in, const float *const *w,
                               const float *x, float *y)
{
    struct akconv_cfg c = akconv_cfg(a);
    struct shape4 o = akconv_out_shape(a, in);
    const float *wcol = w[0], *bcol = c.bias ? w[1] : NULL;
    const float *const *bn = w + (c.bias ? 2 : 1);
    const float *wp = bn[5], *bp = bn[6];
    int N = c.n, hw_out = o.h * o.w;
    int pn_row[N], pn_col[N];
    akconv_p_n(N, c.grid, pn_row, pn_col);

    /* Step 1: offsets, and step 3-7: the samples S[b][c][n][pixel]. */
    float *off = malloc(sizeof(float) * (size_t)o.n * 2 * N * hw_out);
    float *samp = malloc(sizeof(float) * (size_t)c.inc * N * hw_out);
    if (!off || !samp) {
        fprintf(stderr, "AKConv: out of memory in the reference\n");
        abort();
    }
    struct conv2d_geom pg = {in.n, c.inc, in.h, in.w, 2 * N, 3, 3, c.s, c.s, 1, 1, 1, 1, 1};
    conv2d_ref(&pg, x, wp, bp, off);
    for (int b = 0; b < in.n; b++) {
        const float *ob = off + (int64_t)b * 2 * N * hw_out;
        for (int i = 0; i < o.h; i++)
            for (int j = 0; j < o.w; j++) {
                int f = i * o.w + j;
                int p0r = c.grid == GRID_IJ ? i * c.s : (f % o.h) * c.s;
                int p0c = c.grid == GRID_IJ ? j * c.s : (f / o.h) * c.s;
                for (int n = 0; n < N; n++) {
                    float px = (float)(p0r + pn_row[n]) + ob[(int64_t)n * hw_out + f];
                    float py = (float)(p0c + pn_col[n]) + ob[(int64_t)(N + n) * hw_out + f];
                    for (int ch = 0; ch < c.inc; ch++) {
                        const float *img = x + ((int64_t)b * c.inc + ch) * in.h * in.w;
                        samp[((int64_t)ch * N + n) * hw_out + f] =
                            akconv_sample(img, in.h, in.w, px, py);
                    }
                }
            }
        /* Step 8: column conv over (c, n), then BN + SiLU. */
        float *yb = y + (int64_t)b * c.outc * hw_out;
        for (int oc = 0; oc < c.outc; oc++)
            for (int f = 0; f < hw_out; f++) {
                double acc = bcol ? bcol[oc] : 0.0;
                for (int k = 0; k < c.inc * N; k++)
                    acc += (double)wcol[(int64_t)oc * c.inc * N + k] * samp[(int64_t)k * hw_out + f];
                yb[(int64_t)oc * hw_out + f] = (float)acc;
            }
        bn_act_ref(yb, 1, c.outc, hw_out, bn[0], bn[1], bn[2], bn[3], c.eps, 1);
    }
    free(off);
    free(samp);
}

/* AKConv, p_conv, conv (nn.Sequential: Conv2d, BatchNorm2d, its own nn.SiLU). */
static void akconv_model_counts(const struct args *a, struct shape4 in, struct model_counts *mc)
{
    mc->modules += 6;
    mc->leaves += 4;
    mc->buffers += 2 * (int64_t)arg_geti(a, "outc");
}

static const struct yaml_map akconv_yaml = {YAML_STD, "num_param|stride|bias", NULL, NULL};

const struct op op_akconv = {
    .name = "AKConv",
    .aliases = NULL,
    .schema = akconv_schema,
    .arg_cin = "inc",
    .arg_cout = "outc",
    .arg_stride = "stride",
    .gen = "akconv",
    .tol_nmse = 1e-9,
    .tol_reason = "sampling is exact float32 arithmetic as in PyTorch; only summation order "
                  "differs, but an offset rounded differently can move a sample across a clamp",
    .validate = akconv_validate,
    .out_shape = akconv_out_shape,
    .params = akconv_params,
    .flops_thop = akconv_flops_thop,
    .flops_full = akconv_flops_full,
    .bytes = akconv_bytes,
    .weights = akconv_weights,
    .init = akconv_init,
    .forward_ref = akconv_forward_ref,
    .yaml = &akconv_yaml,
    .model_counts = akconv_model_counts,
};
