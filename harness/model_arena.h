/* harness/model_arena.h — where the whole-graph bench keeps the layers'
 * output maps: one buffer per map lifetime, not per layer. */
#ifndef ABLATE_MODEL_ARENA_H
#define ABLATE_MODEL_ARENA_H

#include <stdint.h>

#include "model.h"
#include "ops.h"

struct model_arena {
    float **bufs;  /* distinct buffers, each buf_alloc'ed */
    int64_t *cap;  /* their sizes in floats */
    int n;
};

/* outs[i] (layer i's output, shapes[i].n*c*h*w floats) for every layer of
 * m.  A map lives from its layer to its last reader (the last layer's
 * until the end); a buffer whose map is dead is reused by a later layer
 * (the smallest that fits), so one run of the graph touches fewer bytes
 * and more of them are still in cache.  0, or -1 when out of memory. */
int model_arena_plan(struct model_arena *a, const struct model *m, const struct shape4 *shapes, float **outs);
void model_arena_free(struct model_arena *a);

#endif
