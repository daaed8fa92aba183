/* harness/onednn_lowering.c — the steps every oneDNN lowering builds on
 * (onednn_internal.h): appending a step, sizing the scratch slots, choosing
 * the blocked layout for a chain, one convolution step.  onednn_block.c
 * (Conv, Bottleneck, C2f, SPPF) and onednn_detect.c (Detect) both use them;
 * they call nothing back. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "onednn_internal.h"

struct dnn_step *lowering_step(struct lowering *L)
{
    if (L->b->nsteps >= DNN_STEPS_MAX) {
        snprintf(L->err, L->errlen, "oneDNN: more than %d steps in one row", DNN_STEPS_MAX);
        return NULL;
    }
    struct dnn_step *s = &L->b->step[L->b->nsteps++];
    memset(s, 0, sizeof *s);
    return s;
}

void lowering_need(struct lowering *L, enum dnn_slot slot, int64_t floats)
{
    if (slot >= SLOT_CAT && floats > L->b->scratch_floats[slot])
        L->b->scratch_floats[slot] = floats;
}

void lowering_chain(struct lowering *L, unsigned slots, int n, const int *channels)
{
    int ok = L->layout != DNN_PLAIN;
    for (int i = 0; i < n; i++)
        ok &= channels[i] % 16 == 0;
    L->blocked_slots = ok ? slots : 0;
}

int lowering_blocked(const struct lowering *L, enum dnn_slot slot)
{
    return (L->blocked_slots >> slot) & 1u;
}

int lowering_conv(struct lowering *L, struct dnn_conv_spec sp, int woff, enum dnn_slot from,
                  int64_t from_off, enum dnn_slot to, int64_t to_off)
{
    struct dnn_step *s = lowering_step(L);
    if (!s)
        return -1;
    sp.n = 1;
    sp.src_blocked = lowering_blocked(L, from), sp.dst_blocked = lowering_blocked(L, to);
    int64_t out = (int64_t)sp.c2 * conv_out_dim(sp.h, sp.k, sp.s, sp.p, sp.d) *
                  conv_out_dim(sp.w, sp.k, sp.s, sp.p, sp.d);
    s->kind = STEP_CONV, s->from = from, s->to = to, s->from_off = from_off, s->to_off = to_off;
    s->count = out;
    lowering_need(L, from, from_off + (int64_t)sp.c1 * sp.h * sp.w);
    lowering_need(L, to, to_off + out);
    return dnn_conv_create(&s->conv, &L->b->ctx, &sp, L->w + woff, L->layout, L->err, L->errlen);
}
