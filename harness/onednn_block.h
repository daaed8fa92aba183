/* harness/onednn_block.h — a whole row run on oneDNN primitives (harness/
 * onednn.h): Conv itself, and the rows that are made of Convs — Bottleneck,
 * C2f (with Bottleneck blocks), SPPF, Detect (batch 1) — lowered to a list
 * of steps (conv, max-pool, residual add, Detect's decode) over the row's
 * input, output and three scratch maps, the way the row's reference composes them (kernels/c2f.c,
 * bottleneck.c, sppf.c).  Concatenations cost nothing: every step writes
 * its channel slice of the concatenated map in place (NCHW, one image at a
 * time, so a channel slice is contiguous).  Input and output NCHW.
 *
 * This is "the row with the vendor's convolutions": `impl=onednn` in
 * sweeps, and each layer of `ablate model --bench --onednn`. */
#ifndef ABLATE_ONEDNN_BLOCK_H
#define ABLATE_ONEDNN_BLOCK_H

#include <stddef.h>

#include "onednn.h"
#include "ops.h"

#define DNN_STEPS_MAX 80 /* C2f at n = 19 (WEIGHTS_MAX): 2 + 3 n */

enum dnn_slot { SLOT_X, SLOT_Y, SLOT_CAT, SLOT_TMP, SLOT_TMP2, SLOT_COUNT };
enum dnn_step_kind { STEP_CONV, STEP_POOL, STEP_ADD, STEP_DECODE };

/* Detect's last stage for one level (harness/onednn_detect.c): the raw box
 * (4 x 16 DFL bins) and class maps -> that level's anchor columns of y. */
struct dnn_decode {
    int h, w, nc;
    int64_t anchors, a0; /* all levels' anchors; this level's first column */
    float stride;
    const float *dfl; /* the DFL conv's 16 bin values */
};

/* One step reads slot `from` at float offset from_off and writes slot `to`
 * at to_off (per image); STEP_ADD: to[k] += from[k] for k < count. */
struct dnn_step {
    enum dnn_step_kind kind;
    enum dnn_slot from, to;
    int64_t from_off, to_off, count;
    struct dnn_conv conv;
    struct dnn_pool pool;
    struct dnn_decode dec;
};

struct dnn_block {
    struct dnn_ctx ctx;
    struct shape4 in, out;
    int nsteps;
    struct dnn_step step[DNN_STEPS_MAX];
    float *scratch[SLOT_COUNT]; /* CAT and TMP: one image each */
    int64_t scratch_floats[SLOT_COUNT];
    int64_t in_floats, out_floats; /* one image */
};

/* 1 if op has a oneDNN lowering (Conv, Bottleneck, C2f, SPPF, Detect at batch 1). */
int dnn_block_supports(const struct op *op);

/* NULL where op has a lowering for input `in`, else why not (a static
 * string: "Detect is lowered at batch 1 only", "... has no oneDNN
 * implementation ..."), so callers can skip instead of failing. */
const char *dnn_block_unsupported(const struct op *op, struct shape4 in);

/* Builds the steps for op(args) at input `in`, weights w in the row's
 * weights() order; threads for every primitive.  0, or -1 with err. */
int dnn_block_create(struct dnn_block *b, const struct op *op, const struct args *a, struct shape4 in,
                     const float *const *w, int threads, enum dnn_layout layout, char *err,
                     size_t errlen);
void dnn_block_run(struct dnn_block *b, const float *x, float *y);
/* 1 if any oneDNN call of any run failed (the output is then garbage). */
int dnn_block_failed(const struct dnn_block *b);
void dnn_block_free(struct dnn_block *b);
/* The convs' layouts and implementation names, e.g. "blocked jit:avx512_core"
 * or "3 convs: blocked jit:avx512_core x2, nchw gemm:jit". */
void dnn_block_describe(const struct dnn_block *b, char *buf, size_t len);

#endif
