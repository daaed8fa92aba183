/* harness/results_view.c — see results_view.h. */
#include "results_view.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int results_same_site(const struct result_row *a, const struct result_row *b)
{
    return !strcmp(a->layer, b->layer) && a->batch == b->batch && a->c_in == b->c_in && a->h == b->h &&
           a->w == b->w;
}

static int cmp_int(int a, int b)
{
    return (a > b) - (a < b);
}

static int cmp_site(const struct result_row *a, const struct result_row *b)
{
    int c = strverscmp(a->layer, b->layer);
    if (!c)
        c = cmp_int(a->batch, b->batch);
    if (!c)
        c = cmp_int(a->c_in, b->c_in);
    if (!c)
        c = cmp_int(a->h, b->h);
    return c ? c : cmp_int(a->w, b->w);
}

/* The order of configurations; 0 = the same configuration. */
static int cmp_config(const struct result_row *a, const struct result_row *b)
{
    int c = cmp_site(a, b);
    if (!c)
        c = cmp_int(a->threads, b->threads);
    if (!c) /* the baseline first: it is what the module rows are read against */
        c = cmp_int(strcmp(a->role, "baseline") != 0, strcmp(b->role, "baseline") != 0);
    if (!c)
        c = strcmp(a->role, b->role);
    if (!c)
        c = strcmp(a->module, b->module);
    if (!c)
        c = strverscmp(a->args, b->args);
    return c;
}

/* qsort is not stable: file order breaks ties, so impls keep their order. */
static int cmp_row_ptr(const void *pa, const void *pb)
{
    const struct result_row *a = *(const struct result_row *const *)pa;
    const struct result_row *b = *(const struct result_row *const *)pb;
    int c = cmp_config(a, b);
    return c ? c : (a > b) - (a < b);
}

int results_status_rank(const char *status)
{
    static const char *const order[] = {"ok", "mistrusted", "fail_parity", "compile_error",
                                        "timeout", "crashed", "invalid", NULL};
    if (!strncmp(status, "skipped", 7))
        return -1;
    for (int i = 0; order[i]; i++)
        if (!strcmp(status, order[i]))
            return i;
    return 2;
}

static int is_gen(const struct result_row *r)
{
    return !strncmp(r->impl, "gen:", 4);
}

static int timed_ok(const struct result_row *r)
{
    return !strcmp(r->status, "ok") && !isnan(r->median_ms);
}

const char *const results_peer_impl[VIEW_PEERS] = {"torch", "ort", "openvino"};

/* Index in results_peer_impl of a peer row, or -1 for our own rows. */
static int peer_index(const struct result_row *r)
{
    for (int p = 0; p < VIEW_PEERS; p++)
        if (!strcmp(r->impl, results_peer_impl[p]))
            return p;
    return -1;
}

const struct result_row *results_view_fastest_peer(const struct config_view *c)
{
    const struct result_row *best = NULL;
    for (int p = 0; p < VIEW_PEERS; p++)
        if (c->peer[p] && timed_ok(c->peer[p]) && (!best || c->peer[p]->median_ms < best->median_ms))
            best = c->peer[p];
    return best;
}

/* Picks the rows of one configuration, rows g[0..k). */
static struct config_view view_of(const struct result_row *const *g, int k)
{
    struct config_view v = {.id = g[0]};
    for (int i = 0; i < k; i++) {
        const struct result_row *r = g[i];
        int valid = strcmp(r->status, "invalid") != 0;
        if (valid && (!v.counts || (!strcmp(r->impl, "ref") && strcmp(v.counts->impl, "ref"))))
            v.counts = r;
        if (is_gen(r) && timed_ok(r) && (!v.best_gen || r->median_ms < v.best_gen->median_ms))
            v.best_gen = r;
        if (!strcmp(r->impl, "ref") && timed_ok(r))
            v.ref = r;
        if (!strcmp(r->impl, "torch") && timed_ok(r))
            v.torch = r;
        int p = peer_index(r);
        if (p >= 0) { /* a peer's failed export says nothing about our kernels */
            v.peer[p] = r;
            continue;
        }
        if (!v.worst || results_status_rank(r->status) > results_status_rank(v.worst->status))
            v.worst = r;
    }
    return v;
}

int results_view_build(const struct result_row *rows, int n, struct config_view **out)
{
    const struct result_row **order = malloc((size_t)(n > 0 ? n : 1) * sizeof *order);
    struct config_view *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!order || !v) {
        free(order);
        free(v);
        return -1;
    }
    for (int i = 0; i < n; i++)
        order[i] = &rows[i];
    qsort(order, (size_t)n, sizeof *order, cmp_row_ptr);
    int nv = 0;
    for (int i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && !cmp_config(order[i], order[j]); j++)
            ;
        v[nv++] = view_of(order + i, j - i);
    }
    free(order);
    *out = v;
    return nv;
}

const struct config_view *results_view_role(const struct config_view *v, int n, const struct config_view *c,
                                            const char *role)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i].id->role, role) && v[i].id->threads == c->id->threads &&
            results_same_site(v[i].id, c->id))
            return &v[i];
    return NULL;
}

const struct config_view *results_view_baseline(const struct config_view *v, int n,
                                                const struct config_view *c)
{
    return results_view_role(v, n, c, "baseline");
}

double results_view_base_ratio(const struct config_view *c, const struct config_view *base)
{
    const struct result_row *g = c->best_gen;
    if (g && !isnan(g->ratio_vs_base))
        return g->ratio_vs_base;
    return g && base && base->best_gen ? g->median_ms / base->best_gen->median_ms : NAN;
}

void results_site_label(const struct result_row *r, char *buf, size_t len)
{
    if (r->layer[0])
        snprintf(buf, len, "%s", r->layer);
    else
        snprintf(buf, len, "n%dc%dh%dw%d", r->batch, r->c_in, r->h, r->w);
}

int results_arg_value(const char *args, const char *key, char *buf, size_t len)
{
    size_t klen = strlen(key);
    for (const char *p = args; *p;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > klen && !strncmp(p, key, klen) && p[klen] == '=') {
            snprintf(buf, len, "%.*s", (int)(n - klen - 1), p + klen + 1);
            return 1;
        }
        p += n + (end != NULL);
    }
    buf[0] = 0;
    return 0;
}
