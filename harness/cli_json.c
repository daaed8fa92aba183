/* harness/cli_json.c — `ablate info --json` and `ablate model --json`.
 * Integers stay integers (params, FLOPs and bytes fit in JSON's exact
 * range, 2^53); the keys are documented in docs/cli.md and checked by
 * tests/test_cli_help.c.  Each function prints one object and a newline
 * on stdout; EXIT_OK, or the bad-input status if it could not. */
#include <jansson.h>
#include <stdio.h>

#include "cli.h"
#include "cli_json.h"

/* Prints and frees o (NULL: out of memory). */
static int print_json(json_t *o)
{
    int rc = o && json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) == 0 &&
             putchar('\n') != EOF;
    json_decref(o);
    return rc ? EXIT_OK : cli_bad_input("cannot print the JSON (out of memory or stdout closed)");
}

/* json_object_set_new that remembers a failure in *ok. */
static void set(json_t *o, const char *key, json_t *value, int *ok)
{
    if (!value || json_object_set_new(o, key, value) != 0)
        *ok = 0;
}

static json_t *shape_json(struct shape4 s)
{
    return json_pack("[iiii]", (json_int_t)s.n, (json_int_t)s.c, (json_int_t)s.h, (json_int_t)s.w);
}

/* Argument values typed as the schema types them: ints as integers (a
 * named int value such as p='' as its name), bools as true/false, floats
 * as numbers, enums as their word. */
static json_t *args_json(const struct args *a)
{
    json_t *o = json_object();
    int ok = o != NULL;
    for (int i = 0; ok && a->op->schema[i].name; i++) {
        const struct arg_spec *s = &a->op->schema[i];
        char text[64];
        arg_value_text(a, i, text, sizeof text);
        json_t *v = s->type == ARG_BOOL  ? json_boolean(a->v[i] != 0)
                    : s->type == ARG_FLOAT ? json_real(a->v[i])
                    : s->type == ARG_ENUM || (s->choices && a->v[i] < 0) ? json_string(text)
                                                                        : json_integer((json_int_t)a->v[i]);
        set(o, s->name, v, &ok);
    }
    return ok ? o : (json_decref(o), NULL);
}

static json_t *weight_json(const struct weight_desc *d)
{
    json_t *shape = json_array();
    for (int k = 0; shape && k < d->ndim; k++)
        if (json_array_append_new(shape, json_integer((json_int_t)d->shape[k])) != 0)
            return json_decref(shape), NULL;
    return shape ? json_pack("{s:s, s:s, s:o}", "key", d->key, "dtype", d->is_int64 ? "I64" : "F32",
                             "shape", shape)
                 : NULL;
}

static json_t *state_dict_json(const struct instance *m)
{
    struct weight_list wl;
    m->op->weights(&m->args, &wl);
    json_t *list = json_array();
    for (int i = 0; list && i < wl.n; i++)
        if (json_array_append_new(list, weight_json(&wl.w[i])) != 0)
            return json_decref(list), NULL;
    return list;
}

int cli_print_instance_json(const struct instance *m)
{
    const struct op *op = m->op;
    char args[512];
    args_format(&m->args, args, sizeof args);
    int64_t thop = op->flops_thop(&m->args, m->in);
    json_t *o = json_object();
    int ok = o != NULL;
    if (ok) {
        set(o, "module", json_string(op->name), &ok);
        set(o, "args", args_json(&m->args), &ok);
        set(o, "args_text", json_string(args), &ok);
        set(o, "input", shape_json(m->in), &ok);
        set(o, "output", shape_json(m->out), &ok);
        set(o, "params", json_integer(op->params(&m->args)), &ok);
        set(o, "flops_thop", json_integer(thop), &ok);
        set(o, "macs_thop", json_integer(thop / 2), &ok);
        set(o, "gflops_thop", json_real((double)thop / 1e9), &ok);
        set(o, "flops_full", json_integer(op->flops_full(&m->args, m->in)), &ok);
        set(o, "bytes", json_integer(op->bytes(&m->args, m->in)), &ok);
        set(o, "state_dict", state_dict_json(m), &ok);
    }
    return print_json(ok ? o : (json_decref(o), NULL));
}

/* One row of ultralytics' table; "from" an integer or a list as written. */
static json_t *layer_json(const struct model_layer *L, int index, int64_t params)
{
    json_t *from = L->from_is_list ? json_array() : json_integer(L->from[0]);
    for (int k = 0; L->from_is_list && from && k < L->nfrom; k++)
        if (json_array_append_new(from, json_integer(L->from[k])) != 0)
            return json_decref(from), NULL;
    return from ? json_pack("{s:i, s:o, s:i, s:I, s:s, s:s}", "index", index, "from", from, "n",
                            L->repeats, "params", (json_int_t)params, "module", L->type_name,
                            "arguments", L->args_text)
                : NULL;
}

static json_t *layer_table_json(const struct model *m, const struct model_summary *s)
{
    json_t *list = json_array();
    for (int i = 0; list && i < m->nlayers; i++)
        if (json_array_append_new(list, layer_json(&m->layers[i], i, s->layer_params[i])) != 0)
            return json_decref(list), NULL;
    return list;
}

int cli_print_model_json(const struct model *m, const struct model_summary *s,
                         const struct model_json_opts *mo)
{
    json_t *o = json_object();
    int ok = o != NULL;
    if (ok) {
        set(o, "name", json_string(m->name), &ok);
        set(o, "path", json_string(m->path), &ok);
        set(o, "scale", json_string(m->scale), &ok);
        set(o, "imgsz", json_integer(mo->imgsz), &ok);
        set(o, "fused", json_boolean(mo->fused), &ok);
        set(o, "layers", json_integer(s->layers), &ok);
        set(o, "leaf_layers", json_integer(s->leaf_layers), &ok);
        set(o, "params", json_integer(s->params), &ok);
        set(o, "gradients", json_integer(s->gradients), &ok);
        set(o, "gflops", json_real((double)s->flops_printed / 1e9), &ok);
        set(o, "gflops_path", json_string(s->probe ? "probe" : "full-image"), &ok);
        set(o, "flops_thop", json_integer(s->flops_printed), &ok);
        set(o, "flops_thop_full", json_integer(s->flops_thop_full), &ok);
        set(o, "flops_full", json_integer(s->flops_full), &ok);
        set(o, "bytes_min", json_integer(s->bytes_min), &ok);
        if (mo->with_layers)
            set(o, "layer_table", layer_table_json(m, s), &ok);
    }
    return print_json(ok ? o : (json_decref(o), NULL));
}
