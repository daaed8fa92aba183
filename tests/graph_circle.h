/* tests/graph_circle.h — the first circle in a directed graph, for the
 * tests that keep a layer one-way (test_layering.c: harness/ calls,
 * test_scripts_imports.c: scripts/ imports).  The graph is given by two
 * callbacks, so each test keeps its own storage. */
#ifndef ABLATE_GRAPH_CIRCLE_H
#define ABLATE_GRAPH_CIRCLE_H

#include <stdio.h>
#include <string.h>

enum { GRAPH_NODES_MAX = 256 };

struct graph_view {
    const void *g;
    int n;                                   /* nodes 0..n-1, n <= GRAPH_NODES_MAX */
    int (*edge)(const void *g, int v, int w); /* nonzero when v -> w */
    const char *(*name)(const void *g, int v);
};

static inline void graph_append(char *report, size_t len, const char *line)
{
    size_t used = strlen(report);
    snprintf(report + used, len - used, "%s\n", line);
}

/* Depth-first search from v; on a circle, writes its nodes' names into
 * report, one a line, the first repeated at the end. */
static inline int graph_find_circle(const struct graph_view *gv, int v, int *state, int *stack, int depth,
                                    char *report, size_t len)
{
    state[v] = 1, stack[depth] = v;
    for (int w = 0; w < gv->n; w++) {
        if (!gv->edge(gv->g, v, w))
            continue;
        if (state[w] == 1) {
            int k = depth;
            while (stack[k] != w)
                k--;
            for (; k <= depth; k++)
                graph_append(report, len, gv->name(gv->g, stack[k]));
            graph_append(report, len, gv->name(gv->g, w));
            return 1;
        }
        if (state[w] == 0 && graph_find_circle(gv, w, state, stack, depth + 1, report, len))
            return 1;
    }
    state[v] = 2;
    return 0;
}

/* The first circle found, one node a line (first = last), or "". */
static inline void graph_circle(const struct graph_view *gv, char *report, size_t len)
{
    int state[GRAPH_NODES_MAX] = {0}, stack[GRAPH_NODES_MAX];
    report[0] = 0;
    for (int v = 0; v < gv->n && v < GRAPH_NODES_MAX; v++)
        if (state[v] == 0 && graph_find_circle(gv, v, state, stack, 0, report, len))
            return;
}

#endif
