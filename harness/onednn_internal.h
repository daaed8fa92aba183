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
    /* Scratch slots (bit 1 << slot) that hold oneDNN's nChw16c, so the
     * steps between them run without reorders: set by a row's lowering
     * where every channel count it puts there is a multiple of 16 (batch 1:
     * a slice of whole 16-channel blocks is contiguous, at the same offset
     * as in NCHW) and the layout is not DNN_PLAIN; 0 = all NCHW */
    unsigned blocked_slots;
};

/* Sets L->blocked_slots to `slots` if every one of the n channel counts is
 * a multiple of 16 and the layout allows it, else 0. */
void lowering_chain(struct lowering *L, unsigned slots, int n, const int *channels);
#define SCRATCH_SLOTS ((1u << SLOT_CAT) | (1u << SLOT_TMP) | (1u << SLOT_TMP2))

/* The next free step (zeroed), or NULL with err. */
struct dnn_step *lowering_step(struct lowering *L);
/* A scratch slot must hold `floats` per image. */
void lowering_need(struct lowering *L, enum dnn_slot slot, int64_t floats);
/* A conv step for spec sp (batch set to 1 here), weights from w[woff]. */
/* 1 if SLOT holds the blocked (nChw16c) layout in the current chain. */
int lowering_blocked(const struct lowering *L, enum dnn_slot slot);
int lowering_conv(struct lowering *L, struct dnn_conv_spec sp, int woff, enum dnn_slot from,
                  int64_t from_off, enum dnn_slot to, int64_t to_off);

/* Detect (harness/onednn_detect.c): per level, both branches' convs into
 * CAT, then one decode step; batch 1. */
int lower_detect(struct lowering *L, const struct args *a, struct shape4 in);
void dnn_decode_run(const struct dnn_decode *d, const float *raw, float *y, int threads);

#endif
