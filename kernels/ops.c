/* kernels/ops.c — the op table and the argument-schema helpers every row shares. */
#include "ops.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OP_ADDRESS(sym) &sym,
const struct op *const op_table[] = {OP_LIST(OP_ADDRESS)};
#undef OP_ADDRESS
const int op_count = (int)(sizeof op_table / sizeof op_table[0]);

/* Adding a module means adding it to OP_LIST and bumping the count: the two
 * must move together, so a forgotten half fails the build (ggml's idiom). */
static_assert(sizeof op_table / sizeof op_table[0] == OP_COUNT_EXPECTED,
              "OP_LIST and OP_COUNT_EXPECTED disagree");

static int alias_matches(const char *aliases, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = aliases; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncasecmp(p, name, n) == 0)
            return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

const struct op *op_find(const char *name)
{
    for (int i = 0; i < op_count; i++)
        if (strcasecmp(op_table[i]->name, name) == 0 || alias_matches(op_table[i]->aliases, name))
            return op_table[i];
    return NULL;
}

int arg_index(const struct op *op, const char *name)
{
    for (int i = 0; op->schema[i].name; i++)
        if (strcmp(op->schema[i].name, name) == 0)
            return i;
    return -1;
}

double arg_get(const struct args *a, const char *name)
{
    int i = arg_index(a->op, name);
    if (i < 0) {
        fprintf(stderr, "ablate: internal error: %s has no argument '%s'\n", a->op->name, name);
        abort();
    }
    return a->v[i];
}

int arg_geti(const struct args *a, const char *name) { return (int)arg_get(a, name); }

/* Index of `value` among "a|b|c", or -1. */
static int choice_index(const char *choices, const char *value)
{
    int idx = 0;
    size_t n = strlen(value);
    for (const char *p = choices; p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, value, n) == 0)
            return idx;
        idx++;
        p = bar ? bar + 1 : NULL;
    }
    return -1;
}

/* `text` without one layer of matching quotes: 'same' -> same, '' -> empty. */
static size_t unquoted(const char *text, const char **start)
{
    size_t n = strlen(text);
    *start = text;
    if (n >= 2 && (text[0] == '\'' || text[0] == '"') && text[n - 1] == text[0]) {
        *start = text + 1;
        return n - 2;
    }
    return n;
}

/* ARG_INT with named values (a PyTorch argument that is an int or one of a
 * few strings, e.g. timm's padding ''|same|valid): name i is stored as
 * -(i+1).  Quotes are optional on both sides so that `padding=''`,
 * `padding=` and `padding=same` all work from a shell or the DSL. */
static int named_int(const char *choices, const char *text, double *out)
{
    const char *t;
    size_t tn = unquoted(text, &t);
    int idx = 0;
    for (const char *p = choices; p; idx++) {
        const char *bar = strchr(p, '|');
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(bar ? (size_t)(bar - p) : strlen(p)), p);
        const char *c;
        size_t cn = unquoted(name, &c);
        if (cn == tn && strncmp(c, t, tn) == 0) {
            *out = -(idx + 1);
            return 1;
        }
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

/* "Op: padding must be int, '', 'same' or 'valid'" (MODULES.md 5.4 item 7). */
static void named_int_error(const struct op *op, const struct arg_spec *s, char *err, size_t errlen)
{
    size_t used = (size_t)snprintf(err, errlen, "%s: %s must be int", op->name, s->name);
    for (const char *p = s->choices; p && used < errlen;) {
        const char *bar = strchr(p, '|');
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(bar ? (size_t)(bar - p) : strlen(p)), p);
        const char *c;
        size_t cn = unquoted(name, &c);
        used += (size_t)snprintf(err + used, errlen - used, "%s'%.*s'", bar ? ", " : " or ",
                                 (int)cn, c);
        p = bar ? bar + 1 : NULL;
    }
}

/* Parses one value by type; 0 ok, -1 with a message naming module and key. */
static int parse_value(const struct op *op, const struct arg_spec *s, const char *text,
                       double *out, char *err, size_t errlen)
{
    char *end = NULL;
    switch (s->type) {
    case ARG_INT: {
        if (s->choices && named_int(s->choices, text, out))
            return 0;
        if (strcmp(text, "None") == 0 && s->def && strcmp(s->def, "-1") == 0) {
            *out = -1; /* PyTorch's None where -1 stands for "derive it" (autopad) */
            return 0;
        }
        long long v = strtoll(text, &end, 10);
        if (s->choices && (end == text || *end || v < 0)) {
            named_int_error(op, s, err, errlen);
            return -1;
        }
        if (end == text || *end || v < -1000000000LL || v > 1000000000LL) {
            snprintf(err, errlen, "%s: argument '%s' must be an integer (got '%s')", op->name,
                     s->name, text);
            return -1;
        }
        *out = (double)v;
        return 0;
    }
    case ARG_BOOL:
        if (!strcmp(text, "1") || !strcasecmp(text, "true"))
            *out = 1;
        else if (!strcmp(text, "0") || !strcasecmp(text, "false") || !strcmp(text, "None"))
            *out = 0;
        else {
            snprintf(err, errlen, "%s: argument '%s' must be a boolean (got '%s')", op->name,
                     s->name, text);
            return -1;
        }
        return 0;
    case ARG_FLOAT: {
        double v = strtod(text, &end);
        if (end == text || *end || !isfinite(v)) {
            snprintf(err, errlen, "%s: argument '%s' must be a number (got '%s')", op->name,
                     s->name, text);
            return -1;
        }
        *out = v;
        return 0;
    }
    case ARG_ENUM: {
        int idx = choice_index(s->choices, text);
        if (idx < 0) {
            snprintf(err, errlen, "%s: argument '%s' must be one of %s (got '%s')", op->name,
                     s->name, s->choices, text);
            return -1;
        }
        *out = idx;
        return 0;
    }
    }
    return -1;
}

void args_defaults(const struct op *op, struct args *a)
{
    char err[ERR_MAX];
    memset(a, 0, sizeof *a);
    a->op = op;
    for (int i = 0; op->schema[i].name; i++) {
        a->n = i + 1;
        a->v[i] = NAN;
        if (op->schema[i].def && parse_value(op, &op->schema[i], op->schema[i].def, &a->v[i], err,
                                             sizeof err) != 0) {
            fprintf(stderr, "ablate: internal error: bad default: %s\n", err);
            abort();
        }
    }
}

static void list_names(const struct op *op, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; op->schema[i].name && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", op->schema[i].name);
}

int args_set(struct args *a, const char *key, const char *value, char *err, size_t errlen)
{
    int i = arg_index(a->op, key);
    if (i < 0) {
        char names[256];
        list_names(a->op, names, sizeof names);
        snprintf(err, errlen, "%s: unknown argument '%s' (known: %s)", a->op->name, key, names);
        return -1;
    }
    return parse_value(a->op, &a->op->schema[i], value, &a->v[i], err, errlen);
}

int args_complete(const struct args *a, char *err, size_t errlen)
{
    for (int i = 0; a->op->schema[i].name; i++)
        if (isnan(a->v[i])) {
            snprintf(err, errlen, "%s: missing argument '%s'", a->op->name, a->op->schema[i].name);
            return -1;
        }
    return 0;
}

void arg_value_text(const struct args *a, int i, char *buf, size_t len)
{
    const struct arg_spec *s = &a->op->schema[i];
    if (s->type == ARG_ENUM) {
        const char *p = s->choices;
        for (int k = 0; k < (int)a->v[i] && p; k++) {
            p = strchr(p, '|');
            p = p ? p + 1 : NULL;
        }
        size_t n = p ? strcspn(p, "|") : 0;
        snprintf(buf, len, "%.*s", (int)n, p ? p : "");
    } else if (s->type == ARG_INT && s->choices && a->v[i] < 0) {
        const char *p = s->choices;
        for (int k = 0; k < -(int)a->v[i] - 1 && p; k++) {
            p = strchr(p, '|');
            p = p ? p + 1 : NULL;
        }
        size_t n = p ? strcspn(p, "|") : 0;
        snprintf(buf, len, "%.*s", (int)n, p ? p : "");
    } else if (s->type == ARG_FLOAT)
        snprintf(buf, len, "%g", a->v[i]);
    else
        snprintf(buf, len, "%lld", (long long)a->v[i]);
}

void args_format(const struct args *a, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; a->op->schema[i].name && used < len; i++) {
        char v[64];
        arg_value_text(a, i, v, sizeof v);
        used += (size_t)snprintf(buf + used, len - used, "%s%s=%s", i ? ":" : "",
                                 a->op->schema[i].name, v);
    }
}

int64_t weight_numel(const struct weight_desc *d)
{
    int64_t n = 1;
    for (int i = 0; i < d->ndim; i++)
        n *= d->shape[i];
    return n;
}

int64_t weights_total_floats(const struct weight_list *wl)
{
    int64_t n = 0;
    for (int i = 0; i < wl->n; i++)
        if (!wl->w[i].is_int64)
            n += weight_numel(&wl->w[i]);
    return n;
}
