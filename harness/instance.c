/* harness/instance.c — see instance.h. */
#include "instance.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffers.h"
#include "safetensors.h"

const struct op *instance_find_op(const char *name, char *err, size_t errlen)
{
    const struct op *op = op_find(name);
    if (!op) {
        size_t used = (size_t)snprintf(err, errlen, "unknown module '%s' (known:", name);
        for (int i = 0; i < op_count && used < errlen; i++)
            used += (size_t)snprintf(err + used, errlen - used, "%s %s", i ? "," : "",
                                     op_table[i]->name);
        if (used < errlen)
            snprintf(err + used, errlen - used, ")");
    }
    return op;
}

/* Shape keys are not module arguments: h, w, batch. */
static int set_shape_key(struct instance *m, const char *key, const char *val, int *done,
                         char *err, size_t errlen)
{
    int *slot = !strcmp(key, "h") ? &m->in.h : !strcmp(key, "w") ? &m->in.w
              : !strcmp(key, "batch") ? &m->in.n : NULL;
    *done = slot != NULL;
    if (!slot)
        return 0;
    char *end;
    long v = strtol(val, &end, 10);
    if (end == val || *end || v < 1 || v > 1000000) {
        /* the range, not just "positive": 99999999 is positive too */
        snprintf(err, errlen, "%s: '%s' must be an integer from 1 to 1000000 (got '%s')", m->op->name,
                 key, val);
        return -1;
    }
    *slot = (int)v;
    return 0;
}

int instance_parse(struct instance *m, int argc, char **argv, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    if (argc < 1) {
        snprintf(err, errlen, "missing module name");
        return -1;
    }
    if (!(m->op = instance_find_op(argv[0], err, errlen)))
        return -1;
    args_defaults(m->op, &m->args);
    m->in.n = 1;
    for (int i = 1; i < argc; i++) {
        char key[64];
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof key) {
            snprintf(err, errlen, "expected key=value, got '%s'", argv[i]);
            return -1;
        }
        snprintf(key, sizeof key, "%.*s", (int)(eq - argv[i]), argv[i]);
        int done;
        if (set_shape_key(m, key, eq + 1, &done, err, errlen) != 0)
            return -1;
        if (!done && args_set(&m->args, key, eq + 1, err, errlen) != 0)
            return -1;
    }
    if (args_complete(&m->args, err, errlen) != 0)
        return -1;
    if (m->in.h < 1 || m->in.w < 1) {
        snprintf(err, errlen, "%s: input size missing: give h= and w=", m->op->name);
        return -1;
    }
    return instance_finish(m, err, errlen);
}

/* Largest tensor (elements) a configuration may have: 2^28 floats = 1 GiB.
 * YOLOv8's biggest activation is 6.5M elements; the bound keeps every
 * analytic count (params, FLOPs ~ elements x channels x taps, bytes) far
 * inside int64 and every kernel index inside what the code assumes.
 * Without it `info AKConv inc=1000000000 ... h=1000000` printed negative
 * FLOPs (signed overflow). */
#define TENSOR_ELEMS_MAX (INT64_C(1) << 28)

/* Elements of an n-dim shape, or -1 past TENSOR_ELEMS_MAX or negative. */
static int64_t bounded_numel(const int64_t *dims, int n)
{
    int64_t e = 1;
    for (int i = 0; i < n; i++) {
        if (dims[i] < 0 || __builtin_mul_overflow(e, dims[i], &e) || e > TENSOR_ELEMS_MAX)
            return -1;
    }
    return e;
}

static int check_tensor(const char *module, const char *what, const int64_t *dims, int n, char *err,
                        size_t errlen)
{
    if (bounded_numel(dims, n) >= 0)
        return 0;
    char text[160];
    size_t used = 0;
    text[0] = 0;
    for (int i = 0; i < n && used < sizeof text; i++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%lld", i ? "x" : "",
                                 (long long)dims[i]);
    snprintf(err, errlen, "%s: %s %s is too large (more than %lld elements)", module, what, text,
             (long long)TENSOR_ELEMS_MAX);
    return -1;
}

/* Input, output and every weight within TENSOR_ELEMS_MAX. */
static int check_sizes(const struct instance *m, char *err, size_t errlen)
{
    const int64_t in[4] = {m->in.n, m->in.c, m->in.h, m->in.w};
    const int64_t out[4] = {m->out.n, m->out.c, m->out.h, m->out.w};
    if (check_tensor(m->op->name, "input", in, 4, err, errlen) != 0 ||
        check_tensor(m->op->name, "output", out, 4, err, errlen) != 0)
        return -1;
    struct weight_list wl;
    m->op->weights(&m->args, &wl);
    for (int i = 0; i < wl.n; i++) {
        char what[96];
        snprintf(what, sizeof what, "weight '%s'", wl.w[i].key);
        if (check_tensor(m->op->name, what, wl.w[i].shape, wl.w[i].ndim, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int instance_finish(struct instance *m, char *err, size_t errlen)
{
    /* The DSL path comes here without instance_parse's check: an argument
     * with no default left unset (NaN) must be named, not cast to int. */
    if (args_complete(&m->args, err, errlen) != 0)
        return -1;
    m->in.c = m->op->arg_cin ? arg_geti(&m->args, m->op->arg_cin) : m->in.c;
    if (m->op->validate(&m->args, m->in, err, errlen) != 0)
        return -1;
    m->out = m->op->out_shape(&m->args, m->in);
    return check_sizes(m, err, errlen);
}

int instance_runnable(const struct instance *m, char *err, size_t errlen)
{
    if (m->op->yaml && m->op->yaml->branch == YAML_DETECT) {
        snprintf(err, errlen, "%s: takes one input per level; its forward runs inside a model "
                 "(ablate model FILE.yaml --weights/--bench)", m->op->name);
        return -1;
    }
    return 0;
}

void instance_desc(const struct instance *m, char *buf, size_t len)
{
    char name[48], args[512];
    size_t i = 0;
    for (; m->op->name[i] && i + 1 < sizeof name; i++)
        name[i] = (char)tolower((unsigned char)m->op->name[i]);
    name[i] = 0;
    args_format(&m->args, args, sizeof args);
    snprintf(buf, len, "%s:%s:n%dc%dh%dw%d:o%d", name, args, m->in.n, m->in.c, m->in.h, m->in.w,
             m->out.c);
}

int weights_alloc(struct weightset *ws, const struct instance *m, char *err, size_t errlen)
{
    memset(ws, 0, sizeof *ws);
    m->op->weights(&m->args, &ws->wl);
    ws->total = weights_total_floats(&ws->wl);
    if (!(ws->arena = buf_alloc(ws->total))) {
        snprintf(err, errlen, "%s: out of memory for %lld weights", m->op->name, (long long)ws->total);
        return -1;
    }
    int64_t off = 0;
    for (int i = 0; i < ws->wl.n; i++) {
        ws->ptr[i] = ws->wl.w[i].is_int64 ? NULL : ws->arena + off;
        off += ws->wl.w[i].is_int64 ? 0 : weight_numel(&ws->wl.w[i]);
    }
    return 0;
}

void weights_free(struct weightset *ws)
{
    buf_free(ws->arena, ws->total);
    ws->arena = NULL;
}

void weights_init(struct weightset *ws, const struct instance *m, enum init_mode mode, uint64_t seed)
{
    struct rng r;
    rng_seed(&r, seed);
    m->op->init(&m->args, mode, &r, ws->ptr);
}

static void shape_text(const int64_t *shape, int ndim, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < ndim && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
}

/* The shape rule of PyTorch's load_state_dict: equal, or a one-element
 * [1] where the module holds a 0-d tensor (num_batches_tracked of exports
 * older than PyTorch 0.4.1). */
static int shape_accepted(const struct weight_desc *d, const struct st_tensor *t)
{
    if (d->ndim == 0 && t->ndim == 1 && t->shape[0] == 1)
        return 1;
    int same = t->ndim == d->ndim;
    for (int k = 0; same && k < d->ndim; k++)
        same = t->shape[k] == d->shape[k];
    return same;
}

/* Float weights must be F32; the int64 counter may be I64 or I32, its
 * value unused (BatchNorm in eval mode never reads it). */
static int dtype_accepted(const struct weight_desc *d, const struct st_tensor *t)
{
    return d->is_int64 ? t->dtype == ST_I64 || t->dtype == ST_I32 : t->dtype == ST_F32;
}

int weight_find(const struct st_file *f, const struct weight_desc *d, const char *key,
                const char *path, const char *module, const struct st_tensor **out, char *err,
                size_t errlen)
{
    const struct st_tensor *t = *out = st_find(f, key);
    char got[96], want[96];
    if (!t && d->is_int64)
        return 0; /* an absent counter: nothing the forward needs */
    if (!t) {
        snprintf(err, errlen, "%s: missing tensor '%s' (%s expects it)", path, key, module);
        return -1;
    }
    shape_text(t->shape, t->ndim, got, sizeof got);
    shape_text(d->shape, d->ndim, want, sizeof want);
    if (!shape_accepted(d, t)) {
        snprintf(err, errlen, "%s: tensor '%s' has shape %s, %s expects %s%s", path, key, got, module,
                 want, d->ndim == 0 ? " (or [1])" : "");
        return -1;
    }
    if (!dtype_accepted(d, t)) {
        snprintf(err, errlen, "%s: tensor '%s' is %s %s, %s expects %s %s", path, key,
                 st_dtype_name(t->dtype), got, module, d->is_int64 ? "I64 or I32" : "F32", want);
        return -1;
    }
    return 0;
}

static int find_expected(const struct weight_list *wl, const char *name)
{
    for (int i = 0; i < wl->n; i++)
        if (!strcmp(wl->w[i].key, name))
            return i;
    return -1;
}

/* A golden's input or output, not a weight: x, y, or level input x0..x9. */
static int golden_io(const char *name)
{
    return !strcmp(name, "x") || !strcmp(name, "y") ||
           (name[0] == 'x' && name[1] >= '0' && name[1] <= '9' && !name[2]);
}

int weights_load(struct weightset *ws, const struct instance *m, const char *path, char *err,
                 size_t errlen)
{
    struct st_file f;
    if (st_read(path, &f, err, errlen) != 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < f.n && !rc; i++)
        if (!golden_io(f.t[i].name) && find_expected(&ws->wl, f.t[i].name) < 0) {
            snprintf(err, errlen, "%s: unexpected tensor '%s' (not in the %s state_dict)", path,
                     f.t[i].name, m->op->name);
            rc = -1;
        }
    for (int i = 0; i < ws->wl.n && !rc; i++) {
        const struct weight_desc *d = &ws->wl.w[i];
        const struct st_tensor *t;
        rc = weight_find(&f, d, d->key, path, m->op->name, &t, err, errlen);
        if (rc == 0 && !d->is_int64) /* the counter's value is never used */
            memcpy(ws->ptr[i], t->data, (size_t)weight_numel(d) * sizeof(float));
    }
    st_free(&f);
    return rc;
}
