/* harness/onednn_internal.h — what the oneDNN lowerings share
 * (harness/onednn_block.c, onednn_detect.c). */
#ifndef ABLATE_ONEDNN_INTERNAL_H
#define ABLATE_ONEDNN_INTERNAL_H

#include "onednn_block.h"

/* Where one row's steps go, and its weights. */
struct lowering {
    struct dnn_block *b;
    const float *const *w;
    enum dnn_layout layout;
    char *err;
    size_t errlen;
};

/* The next free step (zeroed), or NULL with err. */
struct dnn_step *lowering_step(struct lowering *L);
/* A scratch slot must hold `floats` per image. */
void lowering_need(struct lowering *L, enum dnn_slot slot, int64_t floats);
/* A conv step for spec sp (batch set to 1 here), weights from w[woff]. */
int lowering_conv(struct lowering *L, struct dnn_conv_spec sp, int woff, enum dnn_slot from,
                  int64_t from_off, enum dnn_slot to, int64_t to_off);

/* Detect (harness/onednn_detect.c): per level, both branches' convs into
 * CAT, then one decode step; batch 1. */
int lower_detect(struct lowering *L, const struct args *a, struct shape4 in);
void dnn_decode_run(const struct dnn_decode *d, const float *raw, float *y, int threads);

#endif
