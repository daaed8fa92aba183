/* harness/model_shape.c — every layer's output shape for a square image,
 * each row's own validation applied at the shape it gets (a 3x3 map too
 * small for ACmix's reflection padding fails here: MODULES.md 1.1 says
 * what ultralytics then does with its 32x32 probe). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

#define TENSOR_ELEMENTS_MAX (1LL << 28)

/* Per call of a row's counts: 2^43 FLOPs (a yolov8x layer at 8192x8192 is
 * ~2^41), so that 512 layers x 1000 copies stay inside int64. */
#define LAYER_FLOPS_MAX (1LL << 43)

/* Every weight tensor within the 2^28 elements of docs/cli.md (bad input), and the row's
 * counts within LAYER_FLOPS_MAX, before anything sums them: huge
 * channel counts from a YAML would overflow int64 otherwise. */
static int check_row_size(const struct model *m, int i, struct shape4 in, char *err,
                          size_t errlen)
{
    const struct model_layer *L = &m->layers[i];
    struct weight_list *wl = malloc(sizeof *wl);
    if (!wl)
        return layer_fail(m, i, err, errlen, "out of memory");
    L->op->weights(&L->args, wl);
    for (int k = 0; k < wl->n; k++) {
        int64_t n = 1;
        for (int d = 0; d < wl->w[k].ndim; d++)
            if (__builtin_mul_overflow(n, wl->w[k].shape[d], &n) || n > TENSOR_ELEMENTS_MAX) {
                int rc = layer_fail(m, i, err, errlen, "%s: weight %s is too large (more than %lld "
                                    "elements)", L->op->name, wl->w[k].key, TENSOR_ELEMENTS_MAX);
                free(wl);
                return rc;
            }
    }
    free(wl);
    if (L->op->flops_full(&L->args, in) > LAYER_FLOPS_MAX ||
        L->op->flops_thop(&L->args, in) > LAYER_FLOPS_MAX)
        return layer_fail(m, i, err, errlen, "%s: more than %lld FLOPs in one layer", L->op->name,
                          LAYER_FLOPS_MAX);
    return 0;
}

struct shape4 model_layer_input(const struct model *m, int i, const struct shape4 *shapes,
                                int size)
{
    int src = m->layers[i].src[0];
    return src < 0 ? (struct shape4){1, 3, size, size} : shapes[src];
}

static int64_t numel(struct shape4 s) { return (int64_t)s.n * s.c * s.h * s.w; }

static int check_size(const struct model *m, int i, struct shape4 s, char *err, size_t errlen)
{
    if (s.h < 1 || s.w < 1)
        return layer_fail(m, i, err, errlen, "output size %dx%d < 1", s.h, s.w);
    if (numel(s) > TENSOR_ELEMENTS_MAX)
        return layer_fail(m, i, err, errlen, "output %dx%dx%d is too large (more than %lld elements)",
                          s.c, s.h, s.w, TENSOR_ELEMENTS_MAX);
    return 0;
}

static int concat_shape(const struct model *m, int i, const struct shape4 *shapes, int size,
                        struct shape4 *out, char *err, size_t errlen)
{
    const struct model_layer *L = &m->layers[i];
    *out = model_layer_input(m, i, shapes, size);
    for (int k = 1; k < L->nfrom; k++) {
        struct shape4 s = L->src[k] < 0 ? (struct shape4){1, 3, size, size} : shapes[L->src[k]];
        if (s.h != out->h || s.w != out->w)
            return layer_fail(m, i, err, errlen, "Concat: inputs differ in size (%dx%d and %dx%d)",
                              out->h, out->w, s.h, s.w);
        out->c += s.c;
    }
    return 0;
}

/* Detect's row derives level l's size from level 0 (kernels/detect.c):
 * the model's inputs must be exactly that. */
static int detect_shape(const struct model *m, int i, const struct shape4 *shapes, int size,
                        struct shape4 *out, char *err, size_t errlen)
{
    const struct model_layer *L = &m->layers[i];
    struct shape4 prev = model_layer_input(m, i, shapes, size);
    for (int k = 1; k < L->nfrom; k++) {
        struct shape4 s = L->src[k] < 0 ? (struct shape4){1, 3, size, size} : shapes[L->src[k]];
        int h = (prev.h + 1) / 2, w = (prev.w + 1) / 2;
        if (s.h != h || s.w != w)
            return layer_fail(m, i, err, errlen,
                              "Detect: input %d is %dx%d, expected %dx%d (half of input %d)", k,
                              s.h, s.w, h, w, k - 1);
        prev = s;
    }
    char e[ERR_MAX];
    struct shape4 in = model_layer_input(m, i, shapes, size);
    if (L->op->validate(&L->args, in, e, sizeof e) != 0)
        return layer_fail(m, i, err, errlen, "%s", e);
    *out = L->op->out_shape(&L->args, in);
    if (check_size(m, i, *out, err, errlen) != 0)
        return -1;
    return check_row_size(m, i, in, err, errlen);
}

/* Copies of a row one after another (n' > 1 outside CSP blocks). */
static int row_shape(const struct model *m, int i, const struct shape4 *shapes, int size,
                     struct shape4 *out, char *err, size_t errlen)
{
    const struct model_layer *L = &m->layers[i];
    struct shape4 in = model_layer_input(m, i, shapes, size);
    int c1 = (int)L->args.v[arg_index(L->op, L->op->arg_cin)];
    char e[ERR_MAX];
    for (int k = 0; k < L->copies; k++) {
        if (in.c != c1)
            return layer_fail(m, i, err, errlen,
                              "%s gets %d channels, built for %d (its %d copies need c1 == c2)",
                              L->op->name, in.c, c1, L->copies);
        if (L->op->validate(&L->args, in, e, sizeof e) != 0)
            return layer_fail(m, i, err, errlen, "%s", e);
        struct shape4 o = L->op->out_shape(&L->args, in);
        if (check_size(m, i, o, err, errlen) != 0 ||
            (k == 0 && check_row_size(m, i, in, err, errlen) != 0))
            return -1;
        in = o;
    }
    *out = in;
    return 0;
}

int model_shapes(const struct model *m, int size, struct shape4 *out, char *err, size_t errlen)
{
    for (int i = 0; i < m->nlayers; i++) {
        const struct model_layer *L = &m->layers[i];
        struct shape4 in = model_layer_input(m, i, out, size);
        int rc = 0;
        if (L->kind == LAYER_UPSAMPLE) {
            if ((int64_t)in.h * L->upsample * in.w * L->upsample * in.c > TENSOR_ELEMENTS_MAX)
                return layer_fail(m, i, err, errlen, "nn.Upsample: output is too large");
            out[i] = (struct shape4){in.n, in.c, in.h * L->upsample, in.w * L->upsample};
            rc = check_size(m, i, out[i], err, errlen);
        } else if (L->kind == LAYER_CONCAT)
            rc = concat_shape(m, i, out, size, &out[i], err, errlen);
        else if (L->op->yaml->branch == YAML_DETECT)
            rc = detect_shape(m, i, out, size, &out[i], err, errlen);
        else
            rc = row_shape(m, i, out, size, &out[i], err, errlen);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ultralytics sets Detect's strides from a 256x256 forward: 256 / H of each
 * input (8, 16, 32 for YOLOv8); the row takes level 0's. */
int model_set_strides(struct model *m, char *err, size_t errlen)
{
    enum { STRIDE_PROBE = 256 };
    struct shape4 *shapes = calloc((size_t)m->nlayers, sizeof *shapes);
    if (!shapes || model_shapes(m, STRIDE_PROBE, shapes, err, errlen) != 0) {
        if (!shapes)
            snprintf(err, errlen, "%s: out of memory", m->path);
        free(shapes);
        return -1;
    }
    for (int i = 0; i < m->nlayers; i++) {
        struct model_layer *L = &m->layers[i];
        if (L->kind == LAYER_OP && L->op->yaml->branch == YAML_DETECT) {
            struct shape4 in = model_layer_input(m, i, shapes, STRIDE_PROBE);
            L->args.v[arg_index(L->op, "stride0")] = STRIDE_PROBE / in.h > 0 ? STRIDE_PROBE / in.h : 1;
        }
    }
    free(shapes);
    return 0;
}
