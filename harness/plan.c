/* harness/plan.c — plan storage and row descriptors; see plan.h. */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plan_free(struct plan *p)
{
    free(p->items);
    p->items = NULL;
    p->n = p->cap = 0;
}

int plan_push(struct plan *p, const struct plan_item *it)
{
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 64;
        struct plan_item *items = realloc(p->items, sizeof *items * (size_t)cap);
        if (!items)
            return -1;
        p->items = items;
        p->cap = cap;
    }
    p->items[p->n++] = *it;
    return 0;
}

void plan_row_desc(const struct plan_item *it, const char *impl, char *buf, size_t len)
{
    char base[PLAN_DESC_MAX];
    instance_desc(&it->inst, base, sizeof base);
    snprintf(buf, len, "%s:t%d:impl=%s", base, it->threads, impl);
}
