/* harness/model_arena.c — see model_arena.h.  Why: with one buffer per
 * layer, YOLOv8n's maps alone are about 42 MB, so every layer wrote into
 * memory no cache held (and a layer's own workspace likewise); end to end
 * the graph ran 5-10 ms above the sum of its layers timed alone at 1
 * thread (docs/baseline.md).  Why the producers write into the Concat's
 * buffer: the Concat copies ran at 2-6x their warm time inside the graph,
 * 0.45-0.55 ms per graph of the seed YAMLs (docs/modules/dynamic.md). */
#include "model_arena.h"

#include <stdlib.h>
#include <string.h>

#include "buffers.h"

#define GATHER_ALIGN 16 /* floats: a block must start on a 64-byte line */

static int64_t numel(struct shape4 s) { return (int64_t)s.n * s.c * s.h * s.w; }

/* Floats of layer i's k-th input (-1: the 1 x 3 x size x size image). */
static int64_t src_floats(const struct model *m, const struct shape4 *shapes, int size, int i, int k)
{
    const int s = m->layers[i].src[k];
    return s < 0 ? 3LL * size * size : numel(shapes[s]);
}

static int64_t gather_floats(const struct model *m, const struct shape4 *shapes, int size, int i)
{
    int64_t n = 0;
    for (int k = 0; k < m->layers[i].nfrom; k++)
        n += src_floats(m, shapes, size, i, k);
    return n;
}

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

static int listed_once(const struct model_layer *L, int s)
{
    int n = 0;
    for (int k = 0; k < L->nfrom; k++)
        n += L->src[k] == s;
    return n == 1;
}

/* into[s]: the layer whose gather buffer producer s writes straight into,
 * or -1 (copied).  The first gather that lists s gets it; a producer that
 * gathers itself (a Concat of Concats) or a block that would start off a
 * cache line, or any map of a batch > 1 (channel slices not contiguous), is
 * copied. */
static void plan_aliases(const struct model *m, const struct shape4 *shapes, int size, int *into)
{
    for (int s = 0; s < m->nlayers; s++)
        into[s] = -1;
    for (int i = 0; i < m->nlayers; i++) {
        const struct model_layer *L = &m->layers[i];
        int64_t off = 0;
        for (int k = 0; L->nfrom > 1 && k < L->nfrom; k++) {
            const int s = L->src[k];
            if (s >= 0 && into[s] < 0 && listed_once(L, s) && m->layers[s].nfrom < 2 &&
                off % GATHER_ALIGN == 0 && shapes[s].n == 1 && shapes[i].n == 1)
                into[s] = i;
            off += src_floats(m, shapes, size, i, k);
        }
    }
}

/* The free buffer (its map's last reader before layer t) of least size
 * >= need, or -1.  owner_end[b]: the last reader of b's current map. */
static int best_fit(const struct model_arena *a, const int *owner_end, int t, int64_t need)
{
    int best = -1;
    for (int b = 0; b < a->n; b++)
        if (owner_end[b] < t && a->cap[b] >= need && (best < 0 || a->cap[b] < a->cap[best]))
            best = b;
    return best;
}

/* A buffer of `need` floats from layer t until layer `end`: a free one or
 * a new one; NULL when out of memory. */
static float *take(struct model_arena *a, int *owner_end, int t, int64_t need, int end)
{
    int b = best_fit(a, owner_end, t, need);
    if (b < 0) {
        b = a->n;
        if (!(a->bufs[b] = buf_alloc(need)))
            return NULL;
        a->cap[b] = need, a->n++;
    }
    owner_end[b] = end;
    return a->bufs[b];
}

/* Layer i's gather buffer: from its first in-place producer (or i) until
 * the last reader of any map in it; the in-place producers' outs point
 * into it.  -1 when out of memory. */
static int take_gather(struct model_arena *a, int *owner_end, const struct model *m,
                       const struct shape4 *shapes, int size, const int *into, int t, int i,
                       float **outs)
{
    const struct model_layer *L = &m->layers[i];
    int end = L->kind == LAYER_CONCAT ? last_reader(m, i) : i;
    for (int k = 0; k < L->nfrom; k++)
        if (L->src[k] >= 0 && into[L->src[k]] == i && last_reader(m, L->src[k]) > end)
            end = last_reader(m, L->src[k]);
    if (!(a->gather[i] = take(a, owner_end, t, gather_floats(m, shapes, size, i), end)))
        return -1;
    int64_t off = 0;
    for (int k = 0; k < L->nfrom; k++) {
        if (L->src[k] >= 0 && into[L->src[k]] == i)
            outs[L->src[k]] = a->gather[i] + off;
        off += src_floats(m, shapes, size, i, k);
    }
    if (L->kind == LAYER_CONCAT)
        outs[i] = a->gather[i];
    return 0;
}

/* When layer i's gather buffer is first written: its first in-place
 * producer, else i itself. */
static int gather_birth(const struct model *m, const int *into, int i)
{
    for (int s = 0; s < i; s++)
        if (into[s] == i)
            return s;
    return i;
}

static int plan_buffers(struct model_arena *a, int *owner_end, const struct model *m,
                        const struct shape4 *shapes, int size, const int *into, float **outs)
{
    for (int t = 0; t < m->nlayers; t++) {
        for (int i = t; i < m->nlayers; i++)
            if (m->layers[i].nfrom > 1 && gather_birth(m, into, i) == t &&
                take_gather(a, owner_end, m, shapes, size, into, t, i, outs) != 0)
                return -1;
        if (into[t] < 0 && m->layers[t].kind != LAYER_CONCAT &&
            !(outs[t] = take(a, owner_end, t, numel(shapes[t]), last_reader(m, t))))
            return -1;
    }
    return 0;
}

int model_arena_plan(struct model_arena *a, const struct model *m, const struct shape4 *shapes,
                     int size, float **outs)
{
    const size_t n = (size_t)m->nlayers;
    /* at most two buffers per layer: its map and its gather */
    a->bufs = calloc(2 * n, sizeof *a->bufs), a->cap = calloc(2 * n, sizeof *a->cap), a->n = 0;
    a->gather = calloc(n, sizeof *a->gather);
    int *owner_end = calloc(2 * n, sizeof *owner_end), *into = calloc(n, sizeof *into);
    int rc = a->bufs && a->cap && a->gather && owner_end && into ? 0 : -1;
    if (rc == 0) {
        plan_aliases(m, shapes, size, into);
        rc = plan_buffers(a, owner_end, m, shapes, size, into, outs);
    }
    free(owner_end);
    free(into);
    return rc;
}

/* The floats of layer i's inputs not written in place; copied into its
 * gather buffer when `copy`. */
static int64_t gather_blocks(const struct model_arena *a, const struct model *m,
                             const struct shape4 *shapes, int size, int i, float *const *outs,
                             const float *image, int copy)
{
    const struct model_layer *L = &m->layers[i];
    int64_t off = 0, copied = 0;
    for (int k = 0; L->nfrom > 1 && k < L->nfrom; k++) {
        const int64_t n = src_floats(m, shapes, size, i, k);
        const float *src = L->src[k] < 0 ? image : outs[L->src[k]];
        if (src != a->gather[i] + off) { /* else written in place by its producer */
            if (copy)
                memcpy(a->gather[i] + off, src, sizeof(float) * (size_t)n);
            copied += n;
        }
        off += n;
    }
    return copied;
}

int64_t model_arena_gather(const struct model_arena *a, const struct model *m,
                           const struct shape4 *shapes, int size, int i, float *const *outs,
                           const float *image)
{
    return gather_blocks(a, m, shapes, size, i, outs, image, 1);
}

int64_t model_arena_copies(const struct model_arena *a, const struct model *m,
                           const struct shape4 *shapes, int size, int i, float *const *outs)
{
    return gather_blocks(a, m, shapes, size, i, outs, NULL, 0);
}

void model_arena_free(struct model_arena *a)
{
    for (int b = 0; a->bufs && b < a->n; b++)
        buf_free(a->bufs[b], a->cap[b]);
    free(a->bufs);
    free(a->cap);
    free(a->gather);
    a->bufs = NULL, a->cap = NULL, a->gather = NULL, a->n = 0;
}
