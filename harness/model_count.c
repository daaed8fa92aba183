/* harness/model_count.c — what ultralytics' model.info() prints for a
 * model (MODULES.md 2.2, 2.3): layers = len(list(model.modules())),
 * parameters, gradients, GFLOPs by get_flops' rule (thop on a 32x32 probe
 * scaled to imgsz, or the full image when the probe fails), plus the full
 * FLOP count and bytes_min.  With `fused`, the same after BaseModel.fuse(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

enum { FLOPS_PROBE = 32 }; /* max(int(model.stride.max()), 32) */

struct totals {
    int64_t params, thop, full;
    struct model_counts mc;
};

static int64_t numel(struct shape4 s) { return (int64_t)s.n * s.c * s.h * s.w; }

/* One layer at the shapes of one image size, added into t. */
static void layer_totals(const struct model *m, int i, const struct shape4 *shapes, int size,
                         struct totals *t)
{
    const struct model_layer *L = &m->layers[i];
    if (L->kind != LAYER_OP) { /* nn.Upsample and Concat: one leaf module each */
        t->mc.modules++;
        t->mc.leaves++;
        if (L->kind == LAYER_UPSAMPLE) /* thop: one MAC per output element */
            t->thop += 2 * numel(shapes[i]);
        return;
    }
    struct shape4 in = model_layer_input(m, i, shapes, size);
    if (L->copies > 1)
        t->mc.modules++; /* the nn.Sequential holding the copies */
    for (int k = 0; k < L->copies; k++) {
        t->params += L->op->params(&L->args);
        t->thop += L->op->flops_thop(&L->args, in);
        t->full += L->op->flops_full(&L->args, in);
        L->op->model_counts(&L->args, in, &t->mc);
        in = L->op->out_shape(&L->args, in);
    }
}

static void add_totals(struct totals *a, const struct totals *b)
{
    a->params += b->params, a->thop += b->thop, a->full += b->full;
    a->mc.modules += b->mc.modules, a->mc.leaves += b->mc.leaves;
    a->mc.shared_act |= b->mc.shared_act;
    a->mc.seed004_act |= b->mc.seed004_act;
    a->mc.buffers += b->mc.buffers, a->mc.frozen += b->mc.frozen;
    a->mc.fuse_convs += b->mc.fuse_convs, a->mc.fuse_params += b->mc.fuse_params;
    a->mc.fuse_frozen += b->mc.fuse_frozen, a->mc.fuse_thop += b->mc.fuse_thop;
}

/* Totals over every layer at one size; per-layer params into s when given. */
static int model_totals(const struct model *m, int size, struct totals *t,
                        struct model_summary *s, char *err, size_t errlen)
{
    struct shape4 *shapes = calloc((size_t)m->nlayers, sizeof *shapes);
    if (!shapes) {
        snprintf(err, errlen, "%s: out of memory", m->path);
        return -1;
    }
    if (model_shapes(m, size, shapes, err, errlen) != 0) {
        free(shapes);
        return -1;
    }
    memset(t, 0, sizeof *t);
    for (int i = 0; i < m->nlayers; i++) {
        struct totals one = {0};
        layer_totals(m, i, shapes, size, &one);
        if (s)
            s->layer_params[i] = one.params;
        add_totals(t, &one);
    }
    if (s) /* the model's output: Detect's (B, 4 + nc, A) */
        s->bytes_min = 4 * (3LL * size * size + t->params + t->mc.buffers +
                            numel(shapes[m->nlayers - 1]));
    free(shapes);
    return 0;
}

/* Built the YOLOv5 repository's way: its head is the anchor-based Detect. */
static int model_is_yolov5(const struct model *m)
{
    for (int i = 0; i < m->nlayers; i++)
        if (m->layers[i].kind == LAYER_OP && m->layers[i].op == &op_detect_v5)
            return 1;
    return 0;
}

int model_summarize(const struct model *m, int imgsz, int fused, struct model_summary *s,
                    char *err, size_t errlen)
{
    struct totals full, probe;
    char probe_err[ERR_MAX];
    memset(s, 0, sizeof *s);
    if (model_totals(m, imgsz, &full, s, err, errlen) != 0)
        return -1;
    /* get_flops: thop on a 1x3x32x32 image, x (imgsz/32)^2; if that forward
     * raises, thop on the full image (ultralytics >= 8.1, PR #7309). */
    s->probe = model_totals(m, FLOPS_PROBE, &probe, NULL, probe_err, sizeof probe_err) == 0;
    int64_t scale = (int64_t)(imgsz / FLOPS_PROBE) * (imgsz / FLOPS_PROBE);
    int64_t thop = s->probe ? probe.thop * scale : full.thop;
    int64_t fuse_thop = s->probe ? probe.mc.fuse_thop * scale : full.mc.fuse_thop;
    /* DetectionModel and its nn.Sequential, plus the shared Conv.default_act */
    s->layers = full.mc.modules + 2 + full.mc.shared_act + (full.mc.seed004_act && model_is_yolov5(m));
    s->leaf_layers = full.mc.leaves + full.mc.shared_act;
    s->params = full.params;
    s->gradients = full.params - full.mc.frozen;
    s->flops_printed = thop;
    s->flops_thop_full = full.thop;
    s->flops_full = full.full;
    if (fused) {
        s->layers -= full.mc.fuse_convs;
        s->leaf_layers -= full.mc.fuse_convs;
        s->params -= full.mc.fuse_params;
        s->gradients = s->params - full.mc.frozen - full.mc.fuse_frozen;
        s->flops_printed -= fuse_thop;
        s->flops_thop_full -= full.mc.fuse_thop;
    }
    return 0;
}
