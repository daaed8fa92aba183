/* harness/placement_edit.c — a placement applied to a model YAML in memory,
 * as a person editing the ultralytics YAML would: a replaced layer keeps
 * its `from`, its repeats and its output channels (the first YAML arg) and
 * passes on the arguments the new module shares with the old one (k and
 * kernel_size, s and stride count as the same); an inserted layer reads
 * the layer it follows and takes its place for every later layer that read
 * it (yolov8-ACmix-1.yaml: Detect reads 16, 20, 24), and later absolute
 * `from` indices shift by one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement.h"

static const char *canonical(const char *name)
{
    if (!strcmp(name, "k"))
        return "kernel_size";
    if (!strcmp(name, "s"))
        return "stride";
    return name;
}

/* i-th name of a "a|b|c" list into buf; 0 when there is none. */
static int positional_name(const char *list, int i, char *buf, size_t len)
{
    const char *p = list;
    for (int k = 0; p && k < i; k++) {
        p = strchr(p, '|');
        p = p ? p + 1 : NULL;
    }
    if (!p || !*p)
        return 0;
    size_t n = strcspn(p, "|");
    snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), p);
    return 1;
}

/* The old layer's YAML arg named like `name`, or NULL. */
static const struct yaml_arg *old_arg(const struct yaml_layer *L, const struct op *old,
                                      const char *name)
{
    char n[32];
    for (int i = 0; old->yaml->positional && positional_name(old->yaml->positional, i, n, sizeof n);
         i++)
        if (!strcmp(canonical(n), canonical(name)))
            return i + 1 < L->nargs ? &L->args[i + 1] : NULL;
    return NULL;
}

static int with_index(const struct placement_variant *v, const char *name)
{
    for (int i = 0; i < v->nwith; i++)
        if (!strcmp(v->with_key[i], name))
            return i;
    return -1;
}

/* Fills args[first..] from the new module's positional names: `with`
 * first, then (old != NULL) the old layer's same-named arg; stops at the
 * first name with neither.  Every `with` key must be used. */
static int map_args(const struct placement_variant *v, const struct yaml_layer *L,
                    const struct op *old, struct yaml_layer *N, int first, char *err, size_t errlen)
{
    const char *names = v->op->yaml->positional ? v->op->yaml->positional : "";
    char name[32];
    int used[PLACE_WITH_MAX] = {0};
    N->nargs = first;
    for (int i = 0; positional_name(names, i, name, sizeof name) && N->nargs < YAML_ARGS_MAX; i++) {
        int w = with_index(v, name);
        const struct yaml_arg *o = w < 0 && old ? old_arg(L, old, name) : NULL;
        if (w < 0 && !o)
            break;
        struct yaml_arg *a = &N->args[N->nargs++];
        if (w >= 0) {
            memset(a, 0, sizeof *a);
            a->kind = YARG_PLAIN, a->line = L->line, used[w] = 1;
            snprintf(a->text, sizeof a->text, "%s", v->with_val[w]);
        } else
            *a = *o;
    }
    for (int i = 0; i < v->nwith; i++)
        if (!used[i]) {
            snprintf(err, errlen,
                     "with: %s's YAML argument '%s' cannot be set here (its YAML args after "
                     "the channels, in order, each needing the ones before: %s)",
                     v->op->name, v->with_key[i], *names ? names : "none");
            return -1;
        }
    return 0;
}

static int is_std(const struct op *op)
{
    return op->yaml->branch == YAML_STD || op->yaml->branch == YAML_STD_N;
}

static int replace_layer(struct model_yaml *y, const struct placement_variant *v, int i, char *err,
                         size_t errlen)
{
    struct yaml_layer *L = &y->layers[i];
    const struct op *old = op_find(L->module), *want = op_find(v->replace);
    if (!old || old != want || !old->yaml) {
        snprintf(err, errlen, "layer %d is %s, not %s", i, L->module, v->replace);
        return -1;
    }
    if (is_std(old) != is_std(v->op)) {
        snprintf(err, errlen, "%s does not fit layer %d (%s): one keeps its input's channels, "
                 "the other sets its own", v->op->name, i, L->module);
        return -1;
    }
    struct yaml_layer N = *L;
    snprintf(N.module, sizeof N.module, "%s", v->op->name);
    if (map_args(v, L, old, &N, is_std(v->op) && L->nargs > 0 ? 1 : 0, err, errlen) != 0)
        return -1;
    *L = N;
    return 0;
}

/* Where a `from` of the layer at old index j (absolute `abs`) points once
 * a layer is inserted at index i + 1. */
static int shifted(int abs, int i) { return abs > i ? abs + 1 : abs == i ? i + 1 : abs; }

static int insert_after(struct model_yaml *y, const struct placement_variant *v, int i, char *err,
                        size_t errlen)
{
    if (y->nlayers >= YAML_LAYERS_MAX) {
        snprintf(err, errlen, "more than %d layers", YAML_LAYERS_MAX);
        return -1;
    }
    struct yaml_layer N;
    memset(&N, 0, sizeof N);
    N.line = y->layers[i].line, N.nfrom = 1, N.from[0] = -1, N.repeats = 1;
    snprintf(N.module, sizeof N.module, "%s", v->op->name);
    if (v->op->yaml->branch != YAML_IGNORE && map_args(v, &N, NULL, &N, 0, err, errlen) != 0)
        return -1;
    if (v->op->yaml->branch == YAML_IGNORE && v->nwith) {
        snprintf(err, errlen, "with: %s ignores YAML arguments (got '%s')", v->op->name,
                 v->with_key[0]);
        return -1;
    }
    for (int j = y->nlayers - 1; j > i; j--) {
        struct yaml_layer *L = &y->layers[j];
        for (int k = 0; k < L->nfrom; k++) {
            int abs = L->from[k] < 0 ? j + L->from[k] : L->from[k];
            int to = shifted(abs, i);
            L->from[k] = L->from[k] < 0 ? to - (j + 1) : to;
        }
        y->layers[j + 1] = *L;
    }
    y->layers[i + 1] = N;
    y->nlayers++;
    if (i < y->nbackbone)
        y->nbackbone++;
    return 0;
}

static int check_index(const struct model_yaml *y, const struct placement_variant *v, int k,
                       char *err, size_t errlen)
{
    int i = v->at[k], last = v->insert ? y->nlayers - 2 : y->nlayers - 1;
    if (i < 0 || i > last) {
        snprintf(err, errlen, "layer %d does not exist%s (%s has layers 0 to %d)", i,
                 v->insert ? " or is the last" : "", y->path, y->nlayers - 1);
        return -1;
    }
    for (int m = 0; m < k; m++)
        if (v->at[m] == i) {
            snprintf(err, errlen, "layer %d is listed twice", i);
            return -1;
        }
    return 0;
}

int placement_apply(const struct model_yaml *base, const struct placement_variant *v,
                    struct model_yaml *out, char *err, size_t errlen)
{
    *out = *base;
    for (int k = 0; k < v->nat; k++)
        if (check_index(base, v, k, err, errlen) != 0)
            return -1;
    if (!v->insert) {
        for (int k = 0; k < v->nat; k++)
            if (replace_layer(out, v, v->at[k], err, errlen) != 0)
                return -1;
        return 0;
    }
    if (v->op->yaml->branch != YAML_SAME && v->op->yaml->branch != YAML_IGNORE) {
        snprintf(err, errlen, "%s cannot be inserted: it does not keep its input's channels",
                 v->op->name);
        return -1;
    }
    int order[PLACE_AT_MAX]; /* base indices, highest first: earlier ones stay valid */
    memcpy(order, v->at, sizeof order);
    for (int a = 0; a < v->nat; a++)
        for (int b = a + 1; b < v->nat; b++)
            if (order[b] > order[a]) {
                int t = order[a];
                order[a] = order[b], order[b] = t;
            }
    for (int k = 0; k < v->nat; k++)
        if (insert_after(out, v, order[k], err, errlen) != 0)
            return -1;
    return 0;
}
