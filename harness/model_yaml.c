/* harness/model_yaml.c — reads an ultralytics model YAML with libyaml's
 * document API (every node keeps its line) into struct model_yaml.  Only
 * the shape of the file is checked here; harness/model.c checks meaning. */
#include "model_yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_FILE_MAX (4 << 20) /* a model YAML is a few KB */
#define NC_MAX 100000

struct reader {
    yaml_document_t *doc;
    struct model_yaml *m;
    char *err;
    size_t errlen;
};

static int fail(struct reader *r, int line, const char *fmt, ...)
{
    size_t used = (size_t)snprintf(r->err, r->errlen, "%s:%d: ", r->m->path, line);
    va_list ap;
    va_start(ap, fmt);
    if (used < r->errlen)
        vsnprintf(r->err + used, r->errlen - used, fmt, ap);
    va_end(ap);
    return -1;
}

static int line_of(const yaml_node_t *n) { return (int)n->start_mark.line + 1; }

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int is_plain(const yaml_node_t *n) { return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE; }

/* A plain scalar holding a whole integer in [lo, hi]. */
static int scalar_long(const yaml_node_t *n, long lo, long hi, long *out)
{
    const char *s = scalar(n);
    char *end;
    if (!s || !is_plain(n) || !*s)
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int scalar_double(const yaml_node_t *n, double *out)
{
    const char *s = scalar(n);
    char *end;
    if (!s || !is_plain(n) || !*s)
        return -1;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int copy_text(struct reader *r, const yaml_node_t *n, char *dst, const char *what)
{
    const char *s = scalar(n);
    if (!s)
        return fail(r, line_of(n), "%s must be a scalar", what);
    if (strlen(s) >= YAML_TEXT_MAX)
        return fail(r, line_of(n), "%s is too long (more than %d characters)", what,
                    YAML_TEXT_MAX - 1);
    strcpy(dst, s);
    return 0;
}

#define FOR_ITEMS(n, it) for (yaml_node_item_t *it = (n)->data.sequence.items.start; \
                              it < (n)->data.sequence.items.top; it++)
#define FOR_PAIRS(n, p) for (yaml_node_pair_t *p = (n)->data.mapping.pairs.start; \
                             p < (n)->data.mapping.pairs.top; p++)

static yaml_node_t *node(struct reader *r, int id) { return yaml_document_get_node(r->doc, id); }

static int seq_len(const yaml_node_t *n)
{
    return (int)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* ---------------------------------------------------------------- layers */

static int read_from(struct reader *r, struct yaml_layer *L, yaml_node_t *n, int index)
{
    long v;
    if (n->type == YAML_SCALAR_NODE) {
        if (scalar_long(n, -100000, 100000, &v) != 0)
            return fail(r, line_of(n), "layer %d: from must be an integer or a list of them",
                        index);
        L->nfrom = 1, L->from[0] = (int)v;
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE || seq_len(n) < 1 || seq_len(n) > YAML_FROM_MAX)
        return fail(r, line_of(n), "layer %d: from must be an integer or a list of 1 to %d",
                    index, YAML_FROM_MAX);
    L->from_is_list = 1;
    FOR_ITEMS(n, it) {
        if (scalar_long(node(r, *it), -100000, 100000, &v) != 0)
            return fail(r, line_of(n), "layer %d: from must be an integer or a list of them",
                        index);
        L->from[L->nfrom++] = (int)v;
    }
    return 0;
}

static int read_mapping(struct reader *r, yaml_node_t *n, const char *module,
                        struct yaml_variant *v, int *nv, const char *what)
{
    FOR_PAIRS(n, p) {
        if (*nv >= YAML_VARIANTS_MAX)
            return fail(r, line_of(n), "%s: more than %d settings", what, YAML_VARIANTS_MAX);
        struct yaml_variant *s = &v[*nv];
        snprintf(s->module, sizeof s->module, "%s", module);
        s->line = line_of(node(r, p->key));
        if (copy_text(r, node(r, p->key), s->key, what) != 0 ||
            copy_text(r, node(r, p->value), s->value, what) != 0)
            return -1;
        (*nv)++;
    }
    return 0;
}

static int read_args(struct reader *r, struct yaml_layer *L, yaml_node_t *n, int index)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(r, line_of(n), "layer %d: args must be a list", index);
    int last = seq_len(n) - 1, i = 0;
    FOR_ITEMS(n, it) {
        yaml_node_t *a = node(r, *it);
        if (a->type == YAML_MAPPING_NODE && i == last) /* per-layer variants */
            return read_mapping(r, a, "", L->variants, &L->nvariants, "layer variants");
        if (L->nargs >= YAML_ARGS_MAX)
            return fail(r, line_of(a), "layer %d: more than %d args", index, YAML_ARGS_MAX);
        struct yaml_arg *y = &L->args[L->nargs++];
        y->line = line_of(a);
        if (a->type == YAML_SEQUENCE_NODE) {
            y->kind = YARG_LIST;
            snprintf(y->text, sizeof y->text, "%d", seq_len(a));
        } else if (a->type == YAML_SCALAR_NODE) {
            y->kind = is_plain(a) ? YARG_PLAIN : YARG_QUOTED;
            if (copy_text(r, a, y->text, "an argument") != 0)
                return -1;
        } else
            return fail(r, line_of(a), "layer %d: a mapping is allowed only as the last arg",
                        index);
        i++;
    }
    return 0;
}

static int read_layer(struct reader *r, yaml_node_t *n)
{
    struct model_yaml *m = r->m;
    int index = m->nlayers;
    if (index >= YAML_LAYERS_MAX)
        return fail(r, line_of(n), "more than %d layers", YAML_LAYERS_MAX);
    struct yaml_layer *L = &m->layers[index];
    memset(L, 0, sizeof *L);
    L->line = line_of(n);
    if (n->type != YAML_SEQUENCE_NODE || seq_len(n) != 4)
        return fail(r, L->line, "layer %d: must be [from, repeats, module, args]", index);
    yaml_node_item_t *it = n->data.sequence.items.start;
    if (read_from(r, L, node(r, it[0]), index) != 0)
        return -1;
    if (scalar_long(node(r, it[1]), 1, 1000, &L->repeats) != 0)
        return fail(r, L->line, "layer %d: repeats must be an integer from 1 to 1000", index);
    if (copy_text(r, node(r, it[2]), L->module, "the module name") != 0)
        return -1;
    if (read_args(r, L, node(r, it[3]), index) != 0)
        return -1;
    m->nlayers++;
    return 0;
}

static int read_layers(struct reader *r, yaml_node_t *n, const char *key)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(r, line_of(n), "%s must be a list of [from, repeats, module, args]", key);
    FOR_ITEMS(n, it)
        if (read_layer(r, node(r, *it)) != 0)
            return -1;
    return 0;
}

/* ------------------------------------------------------- top-level keys */

static int read_scales(struct reader *r, yaml_node_t *n)
{
    struct model_yaml *m = r->m;
    m->scales_line = line_of(n);
    if (n->type != YAML_MAPPING_NODE)
        return fail(r, line_of(n), "scales must map a name to [depth, width, max_channels]");
    FOR_PAIRS(n, p) {
        if (m->nscales >= YAML_SCALES_MAX)
            return fail(r, line_of(n), "more than %d scales", YAML_SCALES_MAX);
        struct yaml_scale *s = &m->scales[m->nscales];
        yaml_node_t *v = node(r, p->value);
        s->line = line_of(node(r, p->key));
        if (copy_text(r, node(r, p->key), s->name, "a scale name") != 0)
            return -1;
        if (v->type != YAML_SEQUENCE_NODE || seq_len(v) != 3 ||
            scalar_double(node(r, v->data.sequence.items.start[0]), &s->depth) != 0 ||
            scalar_double(node(r, v->data.sequence.items.start[1]), &s->width) != 0 ||
            scalar_double(node(r, v->data.sequence.items.start[2]), &s->max_channels) != 0 ||
            !(s->depth > 0) || !(s->width > 0) || !(s->max_channels >= 1))
            return fail(r, s->line, "scale '%s' must be [depth, width, max_channels], all > 0",
                        s->name);
        m->nscales++;
    }
    return 0;
}

static int read_anchors(struct reader *r, yaml_node_t *n)
{
    struct model_yaml *m = r->m;
    m->anchors_line = line_of(n);
    if (n->type != YAML_SEQUENCE_NODE || seq_len(n) < 1 || seq_len(n) > YAML_ANCHOR_LEVELS_MAX)
        return fail(r, line_of(n), "anchors must be a list of 1 to %d [w, h, ...] lists",
                    YAML_ANCHOR_LEVELS_MAX);
    char *rep = m->anchors_repr;
    size_t cap = sizeof m->anchors_repr, used = (size_t)snprintf(rep, cap, "[");
    FOR_ITEMS(n, it) {
        yaml_node_t *lv = node(r, *it);
        double v;
        if (lv->type != YAML_SEQUENCE_NODE || seq_len(lv) < 2 || seq_len(lv) % 2)
            return fail(r, line_of(lv), "anchors: each level must be a list [w, h, w, h, ...]");
        used += (size_t)snprintf(rep + used, used < cap ? cap - used : 0, "%s[",
                                 m->nanchors ? ", " : "");
        FOR_ITEMS(lv, a) {
            if (scalar_double(node(r, *a), &v) != 0 || !(v > 0))
                return fail(r, line_of(lv), "anchors: sizes must be numbers > 0");
            used += (size_t)snprintf(rep + used, used < cap ? cap - used : 0, "%s%s",
                                     a > lv->data.sequence.items.start ? ", " : "",
                                     scalar(node(r, *a)));
        }
        used += (size_t)snprintf(rep + used, used < cap ? cap - used : 0, "]");
        m->anchors_per_level[m->nanchors++] = seq_len(lv) / 2;
    }
    if (used + 1 >= cap)
        return fail(r, line_of(n), "anchors: the list is too long");
    snprintf(rep + used, cap - used, "]");
    return 0;
}

static int read_variants(struct reader *r, yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE)
        return fail(r, line_of(n), "variants must map a module to {key: value}");
    FOR_PAIRS(n, p) {
        char module[YAML_TEXT_MAX];
        yaml_node_t *v = node(r, p->value);
        if (copy_text(r, node(r, p->key), module, "a module name") != 0)
            return -1;
        if (v->type != YAML_MAPPING_NODE)
            return fail(r, line_of(v), "variants: %s must be a mapping {key: value}", module);
        if (read_mapping(r, v, module, r->m->variants, &r->m->nvariants, "variants") != 0)
            return -1;
    }
    return 0;
}

static int read_multiple(struct reader *r, yaml_node_t *v, const char *key, double *out)
{
    if (scalar_double(v, out) != 0 || !(*out > 0))
        return fail(r, line_of(v), "%s must be a number > 0", key);
    return 0;
}

static int read_key(struct reader *r, const char *key, yaml_node_t *v)
{
    struct model_yaml *m = r->m;
    long nc;
    if (!strcmp(key, "nc")) {
        m->nc_line = line_of(v);
        if (scalar_long(v, 1, NC_MAX, &nc) != 0)
            return fail(r, line_of(v), "nc must be an integer from 1 to %d", NC_MAX);
        m->nc = (int)nc;
        return 0;
    }
    if (!strcmp(key, "scales"))
        return read_scales(r, v);
    if (!strcmp(key, "depth_multiple"))
        return read_multiple(r, v, key, &m->depth_multiple);
    if (!strcmp(key, "width_multiple"))
        return read_multiple(r, v, key, &m->width_multiple);
    if (!strcmp(key, "anchors"))
        return read_anchors(r, v);
    if (!strcmp(key, "variants"))
        return read_variants(r, v);
    if (!strcmp(key, "backbone")) {
        if (m->nlayers)
            return fail(r, line_of(v), "backbone must come before head");
        if (read_layers(r, v, key) != 0)
            return -1;
        m->nbackbone = m->nlayers;
        return 0;
    }
    if (!strcmp(key, "head"))
        return read_layers(r, v, key);
    return fail(r, line_of(v), "unknown key '%s' (known: nc, scales, depth_multiple, "
                "width_multiple, anchors, variants, backbone, head)", key);
}

static int read_document(struct reader *r)
{
    yaml_node_t *root = yaml_document_get_root_node(r->doc);
    if (!root || root->type != YAML_MAPPING_NODE)
        return fail(r, root ? line_of(root) : 1,
                    "a model YAML must be a mapping with nc, backbone and head");
    int seen_head = 0, seen_backbone = 0;
    FOR_PAIRS(root, p) {
        const char *key = scalar(node(r, p->key));
        if (!key)
            return fail(r, line_of(node(r, p->key)), "keys must be plain names");
        seen_head |= !strcmp(key, "head");
        seen_backbone |= !strcmp(key, "backbone");
        if (!strcmp(key, "head") && !seen_backbone)
            return fail(r, line_of(node(r, p->key)), "backbone must come before head");
        if (read_key(r, key, node(r, p->value)) != 0)
            return -1;
        if (!strcmp(key, "scales")) /* "unknown scale" points at the key */
            r->m->scales_line = line_of(node(r, p->key));
    }
    if (!seen_backbone || !seen_head || r->m->nlayers == 0)
        return fail(r, line_of(root), "a model YAML needs backbone and head lists");
    if (!r->m->nc_line)
        return fail(r, line_of(root), "nc (number of classes) is missing");
    return 0;
}

/* ------------------------------------------------------------------ API */

struct model_yaml *model_yaml_parse(const char *path, const char *text, size_t len, char *err,
                                    size_t errlen)
{
    struct model_yaml *m = calloc(1, sizeof *m);
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!m || !yaml_parser_initialize(&parser)) {
        free(m);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    snprintf(m->path, sizeof m->path, "%s", path);
    m->depth_multiple = m->width_multiple = 1.0;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    struct reader r = {&doc, m, err, errlen};
    int rc = -1;
    if (!yaml_parser_load(&parser, &doc))
        fail(&r, (int)parser.problem_mark.line + 1, "malformed YAML: %s%s%s",
             parser.problem ? parser.problem : "parse error", parser.context ? " " : "",
             parser.context ? parser.context : "");
    else {
        rc = read_document(&r);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    if (rc != 0) {
        free(m);
        return NULL;
    }
    return m;
}

struct model_yaml *model_yaml_read(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
        return NULL;
    }
    char *text = malloc(YAML_FILE_MAX + 1);
    size_t n = text ? fread(text, 1, YAML_FILE_MAX + 1, f) : 0;
    int bad = !text || ferror(f) || n > YAML_FILE_MAX;
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: cannot read it or larger than %d bytes", path, YAML_FILE_MAX);
        free(text);
        return NULL;
    }
    struct model_yaml *m = model_yaml_parse(path, text, n, err, errlen);
    free(text);
    return m;
}
