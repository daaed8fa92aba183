/* harness/model_forward.c — the reference forward of a whole model: each
 * layer's row runs its scalar forward_ref on weights taken from a PyTorch
 * state_dict (keys model.{i}.* or model.{i}.{j}.* for n' copies, MODULES.md
 * 0); nn.Upsample (nearest) and Concat are done here.  Batch 1, a square
 * image.  This is the oracle the whole-graph golden checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "instance.h"
#include "model_forward.h"

static int64_t numel(struct shape4 s) { return (int64_t)s.n * s.c * s.h * s.w; }

/* Copies of op's weights under `prefix` from the state_dict into ptr[]. */
static int bind_weights(const struct op *op, const struct args *a, const struct st_file *wf,
                        const char *wpath, const char *prefix, float **ptr, char *err,
                        size_t errlen)
{
    struct weight_list *wl = malloc(sizeof *wl);
    if (!wl) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    op->weights(a, wl);
    int rc = 0;
    for (int k = 0; k < wl->n && !rc; k++) {
        const struct weight_desc *d = &wl->w[k];
        const struct st_tensor *t;
        char key[KEY_MAX + 32];
        snprintf(key, sizeof key, "%s%s", prefix, d->key);
        ptr[k] = NULL;
        if ((rc = weight_find(wf, d, key, wpath, op->name, &t, err, errlen)) != 0 || d->is_int64)
            continue; /* num_batches_tracked: checked, its value unused */
        if (!(ptr[k] = malloc(sizeof(float) * (size_t)weight_numel(d)))) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else
            memcpy(ptr[k], t->data, sizeof(float) * (size_t)weight_numel(d));
    }
    free(wl);
    return rc;
}

static void free_weights(float **ptr)
{
    for (int k = 0; k < WEIGHTS_MAX; k++)
        free(ptr[k]), ptr[k] = NULL;
}

/* One row (and its n' copies) from in to out. */
static int run_row(const struct model *m, int i, const struct st_file *wf, const char *wpath,
                   struct shape4 in, const float *x, float *out, char *err, size_t errlen)
{
    const struct model_layer *L = &m->layers[i];
    float *ptr[WEIGHTS_MAX] = {0}, *cur = NULL;
    const float *src = x;
    int rc = 0;
    for (int k = 0; k < L->copies && !rc; k++) {
        char prefix[48];
        if (L->copies > 1)
            snprintf(prefix, sizeof prefix, "model.%d.%d.", i, k);
        else
            snprintf(prefix, sizeof prefix, "model.%d.", i);
        struct shape4 o = L->op->out_shape(&L->args, in);
        float *dst = k == L->copies - 1 ? out : malloc(sizeof(float) * (size_t)numel(o));
        rc = dst ? bind_weights(L->op, &L->args, wf, wpath, prefix, ptr, err, errlen) : -1;
        if (!rc)
            L->op->forward_ref(&L->args, in, (const float *const *)ptr, src, dst);
        free_weights(ptr);
        free(cur);
        cur = dst == out ? NULL : dst;
        src = dst, in = o;
    }
    free(cur);
    if (rc && !err[0])
        snprintf(err, errlen, "out of memory");
    return rc;
}

/* Detect's input: the levels' maps one after another (kernels/detect.c). */
static float *pack_levels(const struct model *m, int i, float *const *outs, const float *image,
                          const struct shape4 *shapes, int size)
{
    const struct model_layer *L = &m->layers[i];
    int64_t total = 0, off = 0;
    for (int k = 0; k < L->nfrom; k++)
        total += L->src[k] < 0 ? 3LL * size * size : numel(shapes[L->src[k]]);
    float *buf = malloc(sizeof(float) * (size_t)total);
    for (int k = 0; buf && k < L->nfrom; k++) {
        int64_t n = L->src[k] < 0 ? 3LL * size * size : numel(shapes[L->src[k]]);
        memcpy(buf + off, L->src[k] < 0 ? image : outs[L->src[k]], sizeof(float) * (size_t)n);
        off += n;
    }
    return buf;
}

static void upsample(const float *x, struct shape4 in, int s, float *y)
{
    int wo = in.w * s, ho = in.h * s;
    for (int c = 0; c < in.c; c++)
        for (int i = 0; i < ho; i++)
            for (int j = 0; j < wo; j++)
                y[((int64_t)c * ho + i) * wo + j] = x[((int64_t)c * in.h + i / s) * in.w + j / s];
}

static int run_layer(const struct model *m, int i, const struct model_input *mi,
                     float *const *outs, const struct shape4 *shapes, char *err, size_t errlen)
{
    const struct model_layer *L = &m->layers[i];
    struct shape4 in = model_layer_input(m, i, shapes, mi->size);
    const float *x = L->src[0] < 0 ? mi->image : outs[L->src[0]];
    if (L->kind == LAYER_UPSAMPLE) {
        upsample(x, in, L->upsample, outs[i]);
        return 0;
    }
    if (L->kind == LAYER_CONCAT) { /* batch 1: channel blocks are contiguous */
        int64_t off = 0;
        for (int k = 0; k < L->nfrom; k++) {
            int64_t n = L->src[k] < 0 ? 3LL * mi->size * mi->size : numel(shapes[L->src[k]]);
            const float *src = L->src[k] < 0 ? mi->image : outs[L->src[k]];
            memcpy(outs[i] + off, src, sizeof(float) * (size_t)n);
            off += n;
        }
        return 0;
    }
    if (L->op->yaml->branch != YAML_DETECT)
        return run_row(m, i, mi->weights, mi->weights_path, in, x, outs[i], err, errlen);
    float *packed = pack_levels(m, i, outs, mi->image, shapes, mi->size);
    int rc = packed ? run_row(m, i, mi->weights, mi->weights_path, in, packed, outs[i], err, errlen)
                    : -1;
    if (!packed)
        snprintf(err, errlen, "out of memory");
    free(packed);
    return rc;
}

int model_forward_ref(const struct model *m, const struct model_input *mi, float **y,
                      struct shape4 *y_shape, char *err, size_t errlen)
{
    struct shape4 *shapes = calloc((size_t)m->nlayers, sizeof *shapes);
    float **outs = calloc((size_t)m->nlayers, sizeof *outs);
    int rc = !shapes || !outs ? -1 : model_shapes(m, mi->size, shapes, err, errlen);
    if (!shapes || !outs)
        snprintf(err, errlen, "out of memory");
    for (int i = 0; i < m->nlayers && !rc; i++) {
        outs[i] = malloc(sizeof(float) * (size_t)numel(shapes[i]));
        rc = outs[i] ? run_layer(m, i, mi, outs, shapes, err, errlen) : -1;
        if (!outs[i])
            snprintf(err, errlen, "out of memory");
    }
    if (!rc) {
        *y = outs[m->nlayers - 1];
        *y_shape = shapes[m->nlayers - 1];
        outs[m->nlayers - 1] = NULL;
    }
    for (int i = 0; outs && i < m->nlayers; i++)
        free(outs[i]);
    free(outs);
    free(shapes);
    return rc;
}
