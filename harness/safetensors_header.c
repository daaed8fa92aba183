/* harness/safetensors_header.c — the safetensors JSON header: parsed with
 * jansson and checked entry by entry (dtype, shape, offsets, sizes) before
 * the reader (safetensors.c, which lists every error text) trusts a byte. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors_internal.h"

static int read_metadata(const char *path, json_t *meta, struct st_file *f, char *err, size_t errlen)
{
    if (!json_is_object(meta)) {
        snprintf(err, errlen, "%s: corrupt safetensors header (__metadata__ is not an object)", path);
        return -1;
    }
    const char *key;
    json_t *val;
    json_object_foreach(meta, key, val) {
        char shown[ST_NAME_MAX];
        st_printable(key, shown, sizeof shown);
        if (!json_is_string(val)) {
            snprintf(err, errlen, "%s: corrupt safetensors header (__metadata__ '%s' is not a string)",
                     path, shown);
            return -1;
        }
        if (f->n_meta == ST_META_MAX) {
            snprintf(err, errlen, "%s: corrupt safetensors header (more than %d __metadata__ entries)",
                     path, ST_META_MAX);
            return -1;
        }
        int i = f->n_meta++; /* counted first so st_free frees a half-made pair */
        f->meta_key[i] = strdup(key);
        f->meta_val[i] = strdup(json_string_value(val));
        if (!f->meta_key[i] || !f->meta_val[i]) {
            snprintf(err, errlen, "%s: out of memory", path);
            return -1;
        }
    }
    return 0;
}

/* "PATH: tensor 'NAME': " — the prefix of every per-tensor message. */
static int tensor_prefix(char *err, size_t errlen, const char *path, const char *name)
{
    char shown[ST_NAME_MAX];
    st_printable(name, shown, sizeof shown);
    int n = snprintf(err, errlen, "%s: tensor '%s': ", path, shown);
    return n < 0 ? 0 : (size_t)n < errlen ? n : (int)errlen - 1;
}

static int read_shape(json_t *shape, struct st_tensor *t, char *msg, size_t len)
{
    if (!json_is_array(shape)) {
        snprintf(msg, len, "'shape' is not an array");
        return -1;
    }
    size_t nd = json_array_size(shape);
    if (nd > ST_NDIM_MAX) {
        snprintf(msg, len, "shape has %zu dimensions (at most %d)", nd, ST_NDIM_MAX);
        return -1;
    }
    t->ndim = (int)nd;
    t->numel = 1;
    for (size_t i = 0; i < nd; i++) {
        json_t *d = json_array_get(shape, i);
        if (!json_is_integer(d) || json_integer_value(d) < 0) {
            snprintf(msg, len, "shape[%zu] is not a non-negative integer", i);
            return -1;
        }
        t->shape[i] = json_integer_value(d);
    }
    for (int i = 0; i < t->ndim; i++)
        if (__builtin_mul_overflow(t->numel, t->shape[i], &t->numel)) {
            char dims[160];
            st_shape_text(t, dims, sizeof dims);
            snprintf(msg, len, "shape %s has too many elements", dims);
            return -1;
        }
    return 0;
}

static int read_offsets(json_t *offs, struct st_placed *p, char *msg, size_t len)
{
    json_t *b = json_array_get(offs, 0), *e = json_array_get(offs, 1);
    if (!json_is_array(offs) || json_array_size(offs) != 2 || !json_is_integer(b) ||
        !json_is_integer(e) || json_integer_value(b) < 0 || json_integer_value(e) < 0) {
        snprintf(msg, len, "'data_offsets' is not [begin, end] with non-negative integers");
        return -1;
    }
    p->s.begin = (uint64_t)json_integer_value(b);
    p->s.end = (uint64_t)json_integer_value(e);
    if (p->s.end < p->s.begin) {
        snprintf(msg, len, "data_offsets [%llu, %llu] end before begin", (unsigned long long)p->s.begin,
                 (unsigned long long)p->s.end);
        return -1;
    }
    return 0;
}

/* The size the shape and dtype need must be what the offsets hold. */
static int check_size(const struct st_tensor *t, const struct st_placed *p, char *msg, size_t len)
{
    size_t need;
    char dims[160];
    st_shape_text(t, dims, sizeof dims);
    if (__builtin_mul_overflow((size_t)t->numel, st_dtype_size(t->dtype), &need)) {
        snprintf(msg, len, "shape %s has too many elements", dims);
        return -1;
    }
    if (p->s.end - p->s.begin != need) {
        snprintf(msg, len, "data_offsets [%llu, %llu] hold %llu bytes, shape %s %s needs %zu",
                 (unsigned long long)p->s.begin, (unsigned long long)p->s.end,
                 (unsigned long long)(p->s.end - p->s.begin), dims, st_dtype_name(t->dtype), need);
        return -1;
    }
    return 0;
}

/* One "name": {"dtype", "shape", "data_offsets"} entry; msg gets the
 * text after the "tensor 'NAME': " prefix. */
static int read_entry(const char *name, json_t *e, struct st_placed *p, char *msg, size_t len)
{
    struct st_tensor *t = &p->t;
    if (strlen(name) >= ST_NAME_MAX)
        return snprintf(msg, len, "name longer than %d bytes", ST_NAME_MAX - 1), -1;
    snprintf(t->name, sizeof t->name, "%s", name);
    if (!json_is_object(e))
        return snprintf(msg, len, "entry is not an object"), -1;
    static const char *const fields[] = {"dtype", "shape", "data_offsets"};
    for (int i = 0; i < 3; i++)
        if (!json_object_get(e, fields[i]))
            return snprintf(msg, len, "missing '%s'", fields[i]), -1;
    json_t *dt = json_object_get(e, "dtype");
    if (!json_is_string(dt))
        return snprintf(msg, len, "'dtype' is not a string"), -1;
    if (st_dtype_parse(json_string_value(dt), &t->dtype) != 0) {
        char shown[32];
        st_printable(json_string_value(dt), shown, sizeof shown);
        return snprintf(msg, len, "unsupported dtype '%s'", shown), -1;
    }
    if (read_shape(json_object_get(e, "shape"), t, msg, len) != 0 ||
        read_offsets(json_object_get(e, "data_offsets"), p, msg, len) != 0)
        return -1;
    t->nbytes = (size_t)(p->s.end - p->s.begin);
    return check_size(t, p, msg, len);
}

static json_t *parse_json(const char *path, const char *text, uint64_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(text, (size_t)len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s: corrupt safetensors header (invalid JSON: %s at line %d column %d)",
                 path, je.text, je.line, je.column);
        return NULL;
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s: corrupt safetensors header (not a JSON object)", path);
        json_decref(root);
        return NULL;
    }
    return root;
}

/* Every entry in header order; the first bad one is the error. */
static int read_entries(const char *path, json_t *root, struct st_file *f, struct st_placed *p,
                        char *err, size_t errlen)
{
    const char *key;
    json_t *val;
    int n = 0;
    json_object_foreach(root, key, val) {
        if (!strcmp(key, "__metadata__")) {
            if (read_metadata(path, val, f, err, errlen) != 0)
                return -1;
            continue;
        }
        int at = tensor_prefix(err, errlen, path, key);
        if (read_entry(key, val, &p[n], err + at, errlen - (size_t)at) != 0)
            return -1;
        n++;
    }
    return n;
}

int st_parse_header(const char *path, const char *text, uint64_t len, struct st_file *f,
                    struct st_placed **out, char *err, size_t errlen)
{
    json_t *root = parse_json(path, text, len, err, errlen);
    if (!root)
        return -1;
    struct st_placed *p = calloc(json_object_size(root) + 1, sizeof *p);
    int n = -1;
    if (!p)
        snprintf(err, errlen, "%s: out of memory", path);
    else
        n = read_entries(path, root, f, p, err, errlen);
    json_decref(root);
    if (n < 0) {
        free(p);
        return -1;
    }
    *out = p;
    return n;
}
