/* harness/model_internal.h — what harness/model*.c share. */
#ifndef ABLATE_MODEL_INTERNAL_H
#define ABLATE_MODEL_INTERNAL_H

#include "model.h"

/* "FILE:LINE: layer i: <fmt>" into err; returns -1. */
int layer_fail(const struct model *m, int i, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The layer kinds' builders (harness/model_rows.c): set the layer's args
 * and args_text, and its output channels in *c_out (Detect: none). */
int build_upsample(struct model *m, const struct yaml_layer *Y, int i, int c1, int *c_out,
                   char *err, size_t errlen);
int build_concat(struct model *m, const struct yaml_layer *Y, int i, const int *ch, int *c_out,
                 char *err, size_t errlen);
int build_detect(struct model *m, const struct model_yaml *y, int i, const int *ch, char *err,
                 size_t errlen);
int build_row(struct model *m, const struct model_yaml *y, int i, int c1,
              const struct yaml_scale *sc, int *c_out, char *err, size_t errlen);

/* Detect's stride0 from a 256x256 shape pass (harness/model_shape.c). */
int model_set_strides(struct model *m, char *err, size_t errlen);

#endif
