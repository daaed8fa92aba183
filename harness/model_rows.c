/* harness/model_rows.c — one YAML layer -> one row's constructor
 * arguments, by the row's `yaml` mapping (kernels/ops.h, MODULES.md 2.1),
 * and the Python repr of those arguments for the layer table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model_internal.h"

#define CHANNELS_MAX 1000000

struct repr {
    char *buf;
    size_t len, used;
};

static void repr_add(struct repr *r, const char *text)
{
    if (r->used < r->len)
        r->used += (size_t)snprintf(r->buf + r->used, r->len - r->used, "%s%s",
                                    r->used > 1 ? ", " : "", text);
}

static void repr_int(struct repr *r, long v)
{
    char t[32];
    snprintf(t, sizeof t, "%ld", v);
    repr_add(r, t);
}

static void repr_close(struct repr *r)
{
    if (r->used < r->len)
        snprintf(r->buf + r->used, r->len - r->used, "]");
}

static int is_none(const struct yaml_arg *a)
{
    static const char *const nones[] = {"None", "null", "Null", "NULL", "~", ""};
    for (size_t k = 0; a->kind == YARG_PLAIN && k < sizeof nones / sizeof *nones; k++)
        if (!strcmp(a->text, nones[k]))
            return 1;
    return 0;
}

static int bool_of(const struct yaml_arg *a)
{
    static const char *const t[] = {"True", "true", "TRUE"}, *const f[] = {"False", "false", "FALSE"};
    for (int k = 0; a->kind == YARG_PLAIN && k < 3; k++)
        if (!strcmp(a->text, t[k]) || !strcmp(a->text, f[k]))
            return !strcmp(a->text, t[k]);
    return -1;
}

/* Python's view of one YAML arg: the text handed to args_set and its repr. */
static void arg_python(const struct yaml_arg *a, int nc, int quote_for_args, char *value,
                       char *repr, size_t len)
{
    int b = bool_of(a);
    char *end;
    if (a->kind == YARG_QUOTED) {
        snprintf(value, len, quote_for_args ? "'%s'" : "%s", a->text);
        snprintf(repr, len, "'%s'", a->text);
    } else if (is_none(a)) {
        snprintf(value, len, "None");
        snprintf(repr, len, "None");
    } else if (b >= 0) {
        snprintf(value, len, "%s", b ? "True" : "False");
        snprintf(repr, len, "%s", b ? "True" : "False");
    } else if (!strcmp(a->text, "nc")) {
        snprintf(value, len, "%d", nc);
        snprintf(repr, len, "%d", nc);
    } else {
        double v = strtod(a->text, &end);
        int is_float = !*end && a->text[0] && strpbrk(a->text, ".eE") && isfinite(v);
        snprintf(value, len, "%s", a->text);
        if (is_float) /* Python prints 1e-3 as 0.001 and 1. as 1.0 */
            snprintf(repr, len, "%.15g", v);
        else
            snprintf(repr, len, a->kind == YARG_PLAIN && *end ? "'%s'" : "%s", a->text);
        if (is_float && !strpbrk(repr, ".en"))
            strncat(repr, ".0", len - strlen(repr) - 1);
    }
}

/* An int-valued arg (c2, nc, scale factor): plain integer text or nc. */
static int int_arg(const struct yaml_arg *a, int nc, long lo, long hi, long *out)
{
    char *end;
    if (a->kind != YARG_PLAIN)
        return -1;
    if (!strcmp(a->text, "nc")) {
        *out = nc;
        return 0;
    }
    long v = strtol(a->text, &end, 10);
    if (!a->text[0] || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* ------------------------------------------------------------- plumbing */

int build_upsample(struct model *m, const struct yaml_layer *Y, int i, int c1, int *c_out,
                   char *err, size_t errlen)
{
    long s;
    if (Y->nargs < 2 || Y->nargs > 3 || !is_none(&Y->args[0]) ||
        int_arg(&Y->args[1], m->nc, 1, 64, &s) != 0 ||
        (Y->nargs == 3 && (Y->args[2].kind == YARG_LIST || strcmp(Y->args[2].text, "nearest"))))
        return layer_fail(m, i, err, errlen,
                          "nn.Upsample: only [None, scale (1 to 64), 'nearest'] is supported");
    struct model_layer *L = &m->layers[i];
    L->upsample = (int)s;
    snprintf(L->args_text, sizeof L->args_text, "[None, %ld, 'nearest']", s);
    *c_out = c1;
    return 0;
}

int build_concat(struct model *m, const struct yaml_layer *Y, int i, const int *ch, int *c_out,
                 char *err, size_t errlen)
{
    long d = 1;
    if (Y->nargs > 1 || (Y->nargs == 1 && int_arg(&Y->args[0], m->nc, 1, 1, &d) != 0))
        return layer_fail(m, i, err, errlen, "Concat: only dimension 1 (channels) is supported");
    struct model_layer *L = &m->layers[i];
    int64_t c = 0;
    for (int k = 0; k < L->nfrom; k++)
        c += L->src[k] < 0 ? 3 : ch[L->src[k]];
    if (c > CHANNELS_MAX)
        return layer_fail(m, i, err, errlen, "Concat: more than %d channels", CHANNELS_MAX);
    snprintf(L->args_text, sizeof L->args_text, "[1]");
    *c_out = (int)c;
    return 0;
}

/* [nc, anchors] with a top-level anchors list: YOLOv5's anchor-based head
 * (MODULES.md 3.7), one level per input, the same anchor count on each. */
static int use_anchor_head(struct model *m, const struct model_yaml *y, int i, struct repr *r,
                           char *err, size_t errlen)
{
    const struct yaml_layer *Y = &y->layers[i];
    struct model_layer *L = &m->layers[i];
    const struct yaml_arg *a = &Y->args[1];
    if (a->kind != YARG_PLAIN || strcmp(a->text, "anchors"))
        return layer_fail(m, i, err, errlen,
                          "Detect: the second arg must be anchors (the top-level list)");
    if (y->nanchors != L->nfrom)
        return layer_fail(m, i, err, errlen, "Detect: %d anchor levels for %d inputs", y->nanchors,
                          L->nfrom);
    for (int k = 1; k < y->nanchors; k++)
        if (y->anchors_per_level[k] != y->anchors_per_level[0])
            return layer_fail(m, i, err, errlen, "Detect: every anchor level needs as many anchors");
    L->op = &op_detect_v5;
    snprintf(L->type_name, sizeof L->type_name, "%s", L->op->yaml->torch_type);
    args_defaults(L->op, &L->args);
    L->args.v[arg_index(L->op, "na")] = y->anchors_per_level[0];
    repr_add(r, y->anchors_repr);
    return 0;
}

int build_detect(struct model *m, const struct model_yaml *y, int i, const int *ch, char *err,
                 size_t errlen)
{
    static const char *const names[] = {"ch0", "ch1", "ch2", "ch3"};
    const struct yaml_layer *Y = &y->layers[i];
    struct model_layer *L = &m->layers[i];
    struct repr r = {L->args_text, sizeof L->args_text, 0};
    long nc;
    int anchored = y->nanchors && Y->nargs == 2;
    if ((Y->nargs != 1 && !anchored) || int_arg(&Y->args[0], m->nc, 1, 100000, &nc) != 0)
        return layer_fail(m, i, err, errlen, "Detect takes [nc]%s (got %d args)",
                          y->nanchors ? " or [nc, anchors]" : "", Y->nargs);
    if (L->nfrom > 4)
        return layer_fail(m, i, err, errlen, "Detect: at most 4 inputs (from has %d)", L->nfrom);
    r.used = (size_t)snprintf(r.buf, r.len, "[");
    repr_int(&r, nc);
    if (anchored) {
        if (use_anchor_head(m, y, i, &r, err, errlen) != 0)
            return -1;
    } else {
        args_defaults(L->op, &L->args);
        L->args.v[arg_index(L->op, "bn_eps")] = 1e-3;
    }
    L->args.v[arg_index(L->op, "nc")] = (double)nc;
    char lv[128] = "[";
    for (int k = 0; k < L->nfrom; k++) {
        int c = L->src[k] < 0 ? 3 : ch[L->src[k]];
        L->args.v[arg_index(L->op, names[k])] = c;
        snprintf(lv + strlen(lv), sizeof lv - strlen(lv), "%s%d", k ? ", " : "", c);
    }
    strncat(lv, "]", sizeof lv - strlen(lv) - 1);
    repr_add(&r, lv);
    repr_close(&r);
    return 0;
}

/* ------------------------------------------------------------------ rows */

static int positional_names(const char *list, char names[][32], int max)
{
    int n = 0;
    for (const char *p = list; p && *p && n < max;) {
        size_t len = strcspn(p, "|");
        snprintf(names[n++], 32, "%.*s", (int)len, p);
        p = p[len] ? p + len + 1 : NULL;
    }
    return n;
}

static int set_arg(struct model *m, int i, const char *key, const struct yaml_arg *a,
                   struct repr *r, char *err, size_t errlen)
{
    struct model_layer *L = &m->layers[i];
    char value[YAML_TEXT_MAX + 4], text[YAML_TEXT_MAX + 4], e[ERR_MAX];
    int ai = arg_index(L->op, key);
    const struct arg_spec *s = &L->op->schema[ai];
    if (a->kind == YARG_LIST)
        return layer_fail(m, i, err, errlen, "%s: argument '%s' must be a scalar (got a list)",
                          L->op->name, key);
    arg_python(a, m->nc, s->type == ARG_INT && s->choices, value, text, sizeof value);
    if (args_set(&L->args, key, value, e, sizeof e) != 0)
        return layer_fail(m, i, err, errlen, "%s", e);
    if (r)
        repr_add(r, text);
    return 0;
}

/* `variants:` of the file (module by name or alias), then the layer's own. */
static int apply_variants(struct model *m, const struct model_yaml *y, int i, char *err,
                          size_t errlen)
{
    struct model_layer *L = &m->layers[i];
    const struct yaml_layer *Y = &y->layers[i];
    char e[ERR_MAX];
    for (int k = 0; k < y->nvariants + Y->nvariants; k++) {
        const struct yaml_variant *v =
            k < y->nvariants ? &y->variants[k] : &Y->variants[k - y->nvariants];
        if (k < y->nvariants && op_find(v->module) != L->op)
            continue;
        if (args_set(&L->args, v->key, v->value, e, sizeof e) != 0)
            return layer_fail(m, i, err, errlen, "%s", e);
    }
    return 0;
}

/* c2' = make_divisible(min(c2, max_channels) * width, 8) unless c2 == nc. */
static long scaled_channels(long c2, int nc, const struct yaml_scale *sc)
{
    if (c2 == nc)
        return c2;
    double x = ceil(fmin((double)c2, sc->max_channels) * sc->width / 8) * 8;
    return x > CHANNELS_MAX ? -1 : (long)x; /* -1: out of range (width_multiple 1e300) */
}

static int too_many_args(struct model *m, int i, int std, int npos, char names[][32], int got,
                         char *err, size_t errlen)
{
    char list[512] = "";
    size_t used = 0;
    if (std)
        used = (size_t)snprintf(list, sizeof list, "c2");
    for (int k = 0; k < npos && used < sizeof list; k++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", names[k]);
    return layer_fail(m, i, err, errlen, "%s takes at most %d args [%s] (got %d)",
                      m->layers[i].op->name, npos + std, list, got);
}

int build_row(struct model *m, const struct model_yaml *y, int i, int c1,
              const struct yaml_scale *sc, int *c_out, char *err, size_t errlen)
{
    const struct yaml_layer *Y = &y->layers[i];
    struct model_layer *L = &m->layers[i];
    const struct yaml_map *ym = L->op->yaml;
    char names[ARGS_MAX][32], e[ERR_MAX];
    int npos = positional_names(ym->positional, names, ARGS_MAX);
    int std = ym->branch == YAML_STD || ym->branch == YAML_STD_N, first = std;
    long c2 = c1;
    struct repr r = {L->args_text, sizeof L->args_text, 0};
    args_defaults(L->op, &L->args);
    if (arg_index(L->op, "bn_eps") >= 0) /* ultralytics' initialize_weights: BN eps 1e-3 */
        L->args.v[arg_index(L->op, "bn_eps")] = 1e-3;
    if (std) {
        if (Y->nargs < 1 || int_arg(&Y->args[0], m->nc, 1, CHANNELS_MAX, &c2) != 0)
            return layer_fail(m, i, err, errlen, "%s: args must start with c2, an integer from 1 to %d",
                              L->op->name, CHANNELS_MAX);
        c2 = scaled_channels(c2, m->nc, sc);
        if (c2 < 1 || c2 > CHANNELS_MAX)
            return layer_fail(m, i, err, errlen, "%s: scaled c2 must be from 1 to %d", L->op->name,
                              CHANNELS_MAX);
    }
    if (ym->branch == YAML_IGNORE)
        first = Y->nargs;
    if (Y->nargs - first > npos)
        return too_many_args(m, i, std, npos, names, Y->nargs, err, errlen);
    L->args.v[arg_index(L->op, L->op->arg_cin)] = c1;
    if (L->op->arg_cout)
        L->args.v[arg_index(L->op, L->op->arg_cout)] = (double)c2;
    r.used = (size_t)snprintf(r.buf, r.len, "[");
    repr_int(&r, c1);
    if (L->op->arg_cout)
        repr_int(&r, c2);
    if (ym->branch == YAML_STD_N) {
        L->args.v[arg_index(L->op, "n")] = L->repeats;
        repr_int(&r, L->repeats);
    } else
        L->copies = L->repeats;
    for (int k = first; k < Y->nargs; k++)
        if (set_arg(m, i, names[k - first], &Y->args[k], &r, err, errlen) != 0)
            return -1;
    repr_close(&r);
    if (apply_variants(m, y, i, err, errlen) != 0)
        return -1;
    if ((ym->finish && ym->finish(&L->args, e, sizeof e) != 0) ||
        args_complete(&L->args, e, sizeof e) != 0)
        return layer_fail(m, i, err, errlen, "%s", e);
    *c_out = (int)c2;
    return 0;
}
