/* harness/model.h — a whole model built from an ultralytics YAML the way
 * ultralytics' parse_model builds it (MODULES.md 2.1): per layer the row
 * and its arguments, shapes at any image size, and the counts
 * model.info() prints (MODULES.md 2.2, 2.3).
 *
 * The types here are the bottom of the model's files; the functions are
 * defined in model.c (model_build), model_shape.c (shapes), model_count.c
 * (summaries) and model_common.c (model_free).  Those files call one way
 * only, from the counts down to the shared helpers: model_internal.h. */
#ifndef ABLATE_MODEL_H
#define ABLATE_MODEL_H

#include "model_yaml.h"
#include "ops.h"

enum layer_kind { LAYER_OP, LAYER_UPSAMPLE, LAYER_CONCAT };

struct model_layer {
    int line;                /* in the YAML, for messages */
    enum layer_kind kind;
    const struct op *op;     /* LAYER_OP */
    struct args args;        /* LAYER_OP: the constructor's arguments */
    int copies;              /* n' > 1 for a non-CSP row: n' copies in an nn.Sequential */
    int repeats;             /* n' (the table's n column) */
    int upsample;            /* LAYER_UPSAMPLE: scale factor */
    int nfrom, from_is_list;
    int from[YAML_FROM_MAX]; /* as written (-1 = previous) */
    int src[YAML_FROM_MAX];  /* absolute layer index; -1 = the image */
    int c_out;
    char type_name[96];      /* module column of the table */
    char args_text[256];     /* arguments column: Python repr of the built args */
};

struct model {
    char path[512], name[96], scale[YAML_TEXT_MAX];
    int nc, nlayers;
    struct model_layer *layers;
};

/* Builds from a read YAML; scale NULL = from the file name (yolov8n.yaml)
 * or the first of `scales`.  0, or -1 with "FILE:LINE: problem". */
int model_build(const struct model_yaml *y, const char *scale, struct model *m, char *err,
                size_t errlen);
void model_free(struct model *m);

/* Output shape of every layer for a 1x3xSIZExSIZE image (out: nlayers).
 * 0, or -1 with "FILE:LINE: layer i: problem" (e.g. a map too small). */
int model_shapes(const struct model *m, int size, struct shape4 *out, char *err, size_t errlen);
/* The input shape of layer i (its first input; Detect: level 0). */
struct shape4 model_layer_input(const struct model *m, int i, const struct shape4 *shapes,
                                int size);

/* What ultralytics' model.info() / model.fuse() print, and more. */
struct model_summary {
    int64_t layers, leaf_layers, params, gradients;
    int64_t flops_printed; /* 2 x thop MACs as get_flops scales them: the printed GFLOPs x 1e9 */
    int probe;             /* 1: the 32x32 probe path, 0: the full-image fallback */
    int64_t flops_thop_full, flops_full, bytes_min; /* at imgsz */
    int64_t layer_params[YAML_LAYERS_MAX];
};

int model_summarize(const struct model *m, int imgsz, int fused, struct model_summary *s,
                    char *err, size_t errlen);

#endif
