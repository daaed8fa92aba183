/* harness/model_arena.c — see model_arena.h.  Why: with one buffer per
 * layer, YOLOv8n's maps alone are about 42 MB, so every layer wrote into
 * memory no cache held (and a layer's own workspace likewise); end to end
 * the graph ran 5-10 ms above the sum of its layers timed alone at 1
 * thread (docs/baseline.md). */
#include "model_arena.h"

#include <stdlib.h>

#include "buffers.h"

static int64_t numel(struct shape4 s) { return (int64_t)s.n * s.c * s.h * s.w; }

/* The last layer that reads layer i's map (nlayers for the graph's output). */
static int last_reader(const struct model *m, int i)
{
    int last = i == m->nlayers - 1 ? m->nlayers : i;
    for (int j = i + 1; j < m->nlayers; j++)
        for (int k = 0; k < m->layers[j].nfrom; k++)
            if (m->layers[j].src[k] == i)
                last = j;
    return last;
}

/* The free buffer (its map's last reader before layer i) of least size
 * >= need, or -1.  owner_end[b]: the last reader of b's current map. */
static int best_fit(const struct model_arena *a, const int *owner_end, int i, int64_t need)
{
    int best = -1;
    for (int b = 0; b < a->n; b++)
        if (owner_end[b] < i && a->cap[b] >= need && (best < 0 || a->cap[b] < a->cap[best]))
            best = b;
    return best;
}

int model_arena_plan(struct model_arena *a, const struct model *m, const struct shape4 *shapes, float **outs)
{
    const size_t n = (size_t)m->nlayers;
    a->bufs = calloc(n, sizeof *a->bufs), a->cap = calloc(n, sizeof *a->cap), a->n = 0;
    int *owner_end = calloc(n, sizeof *owner_end);
    int rc = a->bufs && a->cap && owner_end ? 0 : -1;
    for (int i = 0; rc == 0 && i < m->nlayers; i++) {
        const int64_t need = numel(shapes[i]);
        int b = best_fit(a, owner_end, i, need);
        if (b < 0) {
            b = a->n;
            if (!(a->bufs[b] = buf_alloc(need)))
                rc = -1;
            else
                a->cap[b] = need, a->n++;
        }
        if (rc == 0)
            outs[i] = a->bufs[b], owner_end[b] = last_reader(m, i);
    }
    free(owner_end);
    return rc;
}

void model_arena_free(struct model_arena *a)
{
    for (int b = 0; a->bufs && b < a->n; b++)
        buf_free(a->bufs[b], a->cap[b]);
    free(a->bufs);
    free(a->cap);
    a->bufs = NULL, a->cap = NULL, a->n = 0;
}
