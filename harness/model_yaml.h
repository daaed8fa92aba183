/* harness/model_yaml.h — an ultralytics model YAML, read with libyaml into
 * plain structs (no semantics yet: harness/model.c applies parse_model's
 * rules).  Every node keeps its line so that each later error can say
 * "FILE:LINE: problem".  MODULES.md 2.1. */
#ifndef ABLATE_MODEL_YAML_H
#define ABLATE_MODEL_YAML_H

#include <stddef.h>

#define YAML_LAYERS_MAX 512 /* backbone + head */
#define YAML_FROM_MAX 8     /* inputs of one layer (Concat, Detect) */
#define YAML_ARGS_MAX 16
#define YAML_TEXT_MAX 64
#define YAML_SCALES_MAX 8
#define YAML_VARIANTS_MAX 16
#define YAML_ANCHOR_LEVELS_MAX 8

enum yaml_arg_kind {
    YARG_PLAIN,  /* an unquoted scalar: 64, 0.5, True, None, nc */
    YARG_QUOTED, /* a quoted scalar: 'nearest', '' */
    YARG_LIST,   /* a sequence ([3, 3], anchors): kept as its element count */
};

struct yaml_arg {
    enum yaml_arg_kind kind;
    char text[YAML_TEXT_MAX];
    int line;
};

/* key: value of a `variants:` mapping or of a layer's trailing mapping. */
struct yaml_variant {
    char module[YAML_TEXT_MAX]; /* empty for a layer's own mapping */
    char key[YAML_TEXT_MAX], value[YAML_TEXT_MAX];
    int line;
};

struct yaml_layer {
    int line;
    int nfrom, from_is_list;
    int from[YAML_FROM_MAX];
    long repeats;
    char module[YAML_TEXT_MAX];
    int nargs;
    struct yaml_arg args[YAML_ARGS_MAX];
    int nvariants;
    struct yaml_variant variants[YAML_VARIANTS_MAX];
};

struct yaml_scale {
    char name[YAML_TEXT_MAX];
    double depth, width, max_channels;
    int line;
};

struct model_yaml {
    char path[512];
    int nc, nc_line;
    int nscales, scales_line;
    struct yaml_scale scales[YAML_SCALES_MAX];
    double depth_multiple, width_multiple; /* 1.0 when absent */
    int nanchors, anchors_line;            /* YOLOv5 `anchors:` levels (0: none) */
    int anchors_per_level[YAML_ANCHOR_LEVELS_MAX];
    char anchors_repr[512];                /* "[[10, 13, ...], ...]" for the layer table */
    int nvariants;
    struct yaml_variant variants[YAML_VARIANTS_MAX];
    int nlayers, nbackbone;
    struct yaml_layer layers[YAML_LAYERS_MAX];
};

/* Reads PATH (from memory when text != NULL: the fuzz target).  Returns a
 * malloc'ed model_yaml, or NULL with "PATH:LINE: problem" in err. */
struct model_yaml *model_yaml_read(const char *path, char *err, size_t errlen);
struct model_yaml *model_yaml_parse(const char *path, const char *text, size_t len, char *err,
                                    size_t errlen);

#endif
