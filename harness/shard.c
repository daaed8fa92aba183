/* harness/shard.c — cost-balanced deterministic shards; see shard.h. */
#include "shard.h"

#include <stdlib.h>
#include <string.h>

enum {
    IMPL_FIXED_US = 300000, /* fork, compile or cache lookup, the minimum timing window */
    REF_FLOPS_PER_US = 1000,  /* scalar reference, one thread */
    GEN_FLOPS_PER_US = 8000,  /* generated or BLAS code, per thread */
    BYTES_PER_US = 4000,
    REF_CALLS = 4,   /* parity run + the few samples a slow reference gets */
    GEN_CALLS = 20,  /* parity run, warm-ups, samples */
    INVALID_US = 1000,
};

int64_t shard_item_cost(const struct plan_item *it)
{
    if (it->invalid[0] || !it->inst.op)
        return INVALID_US;
    const struct instance *m = &it->inst;
    int64_t flops = m->op->flops_full(&m->args, m->in), bytes = m->op->bytes(&m->args, m->in);
    int64_t threads = it->threads > 0 ? it->threads : 1, cost = 0;
    for (int i = 0; i < it->n_impl; i++) {
        int ref = !strcmp(it->impl[i], "ref");
        int64_t call_us = ref ? flops / REF_FLOPS_PER_US + bytes / BYTES_PER_US
                              : flops / (GEN_FLOPS_PER_US * threads) + bytes / BYTES_PER_US;
        cost += IMPL_FIXED_US + call_us * (ref ? REF_CALLS : GEN_CALLS);
    }
    return cost;
}

struct costed {
    int index;
    int64_t cost;
};

/* Most expensive first; equal costs in plan order. */
static int by_cost_desc(const void *a, const void *b)
{
    const struct costed *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    return x->index - y->index;
}

static int least_loaded(const int64_t *load, int n)
{
    int best = 0;
    for (int s = 1; s < n; s++)
        if (load[s] < load[best])
            best = s;
    return best;
}

int shard_assign(const struct plan *p, int n_shards, int *shard_of)
{
    if (n_shards < 1 || n_shards > SHARD_MAX)
        return -1;
    struct costed *order = malloc(sizeof *order * (size_t)(p->n ? p->n : 1));
    int64_t *load = calloc((size_t)n_shards, sizeof *load);
    if (!order || !load) {
        free(order);
        free(load);
        return -1;
    }
    for (int i = 0; i < p->n; i++)
        order[i] = (struct costed){i, shard_item_cost(&p->items[i])};
    qsort(order, (size_t)p->n, sizeof *order, by_cost_desc);
    for (int k = 0; k < p->n; k++) {
        int s = least_loaded(load, n_shards);
        shard_of[order[k].index] = s;
        load[s] += order[k].cost;
    }
    free(order);
    free(load);
    return 0;
}
