/* harness/model_arena.h — where the whole-graph bench keeps the layers'
 * output maps: one buffer per map lifetime, not per layer; and the
 * multi-input layers' (Concat, Detect) gathered inputs, which their
 * producers write in place where they can. */
#ifndef ABLATE_MODEL_ARENA_H
#define ABLATE_MODEL_ARENA_H

#include <stdint.h>

#include "model.h"
#include "ops.h"

struct model_arena {
    float **bufs;    /* distinct buffers, each buf_alloc'ed */
    int64_t *cap;    /* their sizes in floats */
    int n;
    float **gather;  /* per layer with several inputs: its inputs one after
                        another (a Concat's output itself); NULL otherwise */
};

/* outs[i] (layer i's output, shapes[i].n*c*h*w floats) for every layer of
 * m, for a 1 x 3 x size x size image.  A map lives from its layer to its
 * last reader (the last layer's until the end); a buffer whose map is dead
 * is reused by a later layer (the smallest that fits), so one run of the
 * graph touches fewer bytes and more of them are still in cache.
 * A layer with several inputs gets a gather buffer (a->gather[i]; for a
 * Concat, outs[i]): at batch 1 each input's map is one contiguous block of
 * it, so a producer whose map feeds no other gather, appears once in the
 * list and lands 64-byte aligned writes straight into its block
 * (outs[src] points into the gather buffer, which then lives from that
 * producer to the last reader of any map in it): no copy.  The others are
 * copied by model_arena_gather.  0, or -1 when out of memory. */
int model_arena_plan(struct model_arena *a, const struct model *m, const struct shape4 *shapes,
                     int size, float **outs);

/* Layer i's inputs into a->gather[i] (nothing for a layer with one input):
 * copies only the maps that do not already lie in their block.  Returns
 * the floats copied. */
int64_t model_arena_gather(const struct model_arena *a, const struct model *m,
                           const struct shape4 *shapes, int size, int i, float *const *outs,
                           const float *image);

/* What model_arena_gather would copy for layer i (the image counts as
 * copied), without copying. */
int64_t model_arena_copies(const struct model_arena *a, const struct model *m,
                           const struct shape4 *shapes, int size, int i, float *const *outs);

void model_arena_free(struct model_arena *a);

#endif
