/* harness/model_internal.h — what harness/model*.c share.
 *
 * The model's files call one way only: a file calls files of a lower
 * level and never one of its own level or above (tests/test_layering.c
 * finds call circles in the objects of harness/).
 *
 *   3  model.c          model_build: parse_model's loop over the YAML layers
 *      model_count.c, model_forward.c, model_bench.c: use a built model
 *      model_print.c    model_bench.c's printing (model_bench_internal.h)
 *   2  model_rows.c     a layer's row and arguments (build_*, for model.c)
 *      model_shape.c    shapes and Detect's strides
 *   1  model_common.c   layer_fail, model_free: used by all, calls none
 *
 * with the types in model.h, which every one of them includes. */
#ifndef ABLATE_MODEL_INTERNAL_H
#define ABLATE_MODEL_INTERNAL_H

#include "model.h"

/* "FILE:LINE: layer i: <fmt>" into err; returns -1 (model_common.c). */
int layer_fail(const struct model *m, int i, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The layer kinds' builders (harness/model_rows.c, called by model.c): set
 * the layer's args and args_text, and its output channels in *c_out
 * (Detect: none). */
int build_upsample(struct model *m, const struct yaml_layer *Y, int i, int c1, int *c_out,
                   char *err, size_t errlen);
int build_concat(struct model *m, const struct yaml_layer *Y, int i, const int *ch, int *c_out,
                 char *err, size_t errlen);
int build_detect(struct model *m, const struct model_yaml *y, int i, const int *ch, char *err,
                 size_t errlen);
int build_row(struct model *m, const struct model_yaml *y, int i, int c1,
              const struct yaml_scale *sc, int *c_out, char *err, size_t errlen);

/* Detect's stride0 from a 256x256 shape pass (harness/model_shape.c,
 * called by model.c once the layers are built). */
int model_set_strides(struct model *m, char *err, size_t errlen);

#endif
