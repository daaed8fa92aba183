/* harness/dsl_plan.c — expands a read sweep into plan items:
 * for each shape row, for each thread count: the baseline, then every
 * combination of the swept argument values (odometer order, first axis
 * slowest), each kept only if `where(cfg)` says so. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>

#include "dsl.h"
#include "plan_backends.h"
#include "onednn_block.h"

/* The shape row fills the module's channel/stride arguments unless the
 * script set them itself.  A module whose input and output channels are
 * one argument (DCNv3's channels) cannot take a row with c1 != c2: the
 * second value would silently win, so that is an error. */
static void fill_from_shape(lua_State *L, struct args *a, const int *user_set,
                            const struct shape_row *r)
{
    const struct op *op = a->op;
    const char *names[3] = {op->arg_cin, op->arg_cout, op->arg_stride};
    int vals[3] = {r->c1, r->c2, r->stride};
    if (op->arg_cin && op->arg_cout && strcmp(op->arg_cin, op->arg_cout) == 0 && r->c1 != r->c2) {
        int k = arg_index(op, op->arg_cin);
        if (!(user_set && k >= 0 && user_set[k]))
            luaL_error(L, "sweep: layer %s: %s keeps its channel count ('%s'), but the shape row "
                          "has c1 = %d and c2 = %d", r->layer, op->name, op->arg_cin, r->c1, r->c2);
    }
    for (int i = 0; i < 3; i++) {
        int k = names[i] ? arg_index(op, names[i]) : -1;
        if (k >= 0 && !(user_set && user_set[k]))
            a->v[k] = vals[i];
    }
}

/* The row's own args (shapes[k].args) on a, when a's module has them.
 * Values were type-checked by check_row_args. */
static void set_row_args(lua_State *L, struct args *a, const struct shape_row *r)
{
    char err[ERR_MAX];
    for (int i = 0; i < r->n_args; i++)
        if (arg_index(a->op, r->arg_key[i]) >= 0 &&
            args_set(a, r->arg_key[i], r->arg_val[i], err, sizeof err) != 0)
            luaL_error(L, "sweep: layer %s: args: %s", r->layer, err);
}

/* Every row arg must belong to the module or a baseline, and must not be
 * one the sweep's own `args` sets (which of the two would win?). */
static void check_row_args(lua_State *L, const struct sweep_in *s, const struct shape_row *r)
{
    for (int i = 0; i < r->n_args; i++) {
        const char *k = r->arg_key[i];
        int mod = arg_index(s->op, k), known = mod >= 0;
        for (int b = 0; b < s->n_base; b++)
            known |= arg_index(s->base_op[b], k) >= 0;
        if (!known)
            luaL_error(L, "sweep: layer %s: args: unknown argument '%s' (neither %s nor a baseline "
                          "has it)", r->layer, k, s->op->name);
        if (mod >= 0 && s->user_set[mod])
            luaL_error(L, "sweep: layer %s: args.%s is also set by the sweep's 'args'", r->layer, k);
    }
}

static int where_keeps(lua_State *L, const struct sweep_in *s, const struct plan_item *it,
                       const struct shape_row *r)
{
    if (s->where_ref == LUA_NOREF)
        return 1;
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->where_ref);
    lua_newtable(L);
    lua_pushstring(L, it->layer);
    lua_setfield(L, -2, "layer");
    lua_pushstring(L, it->role);
    lua_setfield(L, -2, "role");
    const char *names[] = {"threads", "c1", "c2", "h", "w", "stride", "batch"};
    int vals[] = {it->threads, r->c1, r->c2, r->h, r->w, r->stride, r->batch};
    for (int i = 0; i < 7; i++) {
        lua_pushinteger(L, vals[i]);
        lua_setfield(L, -2, names[i]);
    }
    const struct args *a = &it->inst.args;
    for (int i = 0; a->op->schema[i].name; i++) {
        char text[64];
        arg_value_text(a, i, text, sizeof text);
        if (a->op->schema[i].type == ARG_ENUM)
            lua_pushstring(L, text);
        else if (a->op->schema[i].type == ARG_FLOAT)
            lua_pushnumber(L, a->v[i]);
        else
            lua_pushinteger(L, (lua_Integer)a->v[i]);
        lua_setfield(L, -2, a->op->schema[i].name);
    }
    lua_call(L, 1, 1);
    int keep = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return keep;
}

static void add_item(lua_State *L, const struct sweep_in *s, struct plan *p, struct plan_item *it,
                     const struct shape_row *r)
{
    char err[ERR_MAX];
    it->inst.in = (struct shape4){r->batch, r->c1, r->h, r->w};
    if (instance_runnable(&it->inst, err, sizeof err) != 0)
        luaL_error(L, "sweep: layer %s: %s", it->layer, err);
    if (instance_finish(&it->inst, err, sizeof err) != 0) {
        if (!s->skip_invalid)
            luaL_error(L, "sweep: layer %s: %s", it->layer, err);
        snprintf(it->invalid, sizeof it->invalid, "%s", err);
    }
    if (!where_keeps(L, s, it, r))
        return;
    if (plan_push(p, it) != 0)
        luaL_error(L, "sweep: out of memory for the plan");
}

static void set_impls(struct plan_item *it, const struct sweep_in *s, char variants[][GEN_NAME_MAX],
                      int n_variants)
{
    it->n_impl = 0;
    if (s->want_ref)
        snprintf(it->impl[it->n_impl++], PLAN_IMPL_NAME, "ref");
    /* the vendor row first: it must not be the one a full impl list drops */
    if (s->want_onednn && dnn_block_supports(it->inst.op) && it->n_impl < PLAN_IMPLS_MAX)
        snprintf(it->impl[it->n_impl++], PLAN_IMPL_NAME, "onednn");
    for (int i = 0; s->want_gen && i < n_variants && it->n_impl < PLAN_IMPLS_MAX; i++)
        snprintf(it->impl[it->n_impl++], PLAN_IMPL_NAME, "gen:%s", variants[i]);
    plan_add_cuda_impls(it, &s->env, s->want_cuda_host, s->want_cuda);
}

static void expand_module(lua_State *L, const struct sweep_in *s, struct plan *p,
                          const struct shape_row *r, int threads)
{
    int pos[ARGS_MAX] = {0};
    for (;;) {
        struct plan_item it;
        memset(&it, 0, sizeof it);
        snprintf(it.layer, sizeof it.layer, "%s", r->layer);
        snprintf(it.role, sizeof it.role, "module");
        it.threads = threads;
        it.inst.op = s->op;
        it.inst.args = s->fixed;
        fill_from_shape(L, &it.inst.args, s->user_set, r);
        set_row_args(L, &it.inst.args, r);
        char err[ERR_MAX];
        for (int k = 0; k < s->n_axes; k++)
            if (args_set(&it.inst.args, s->op->schema[s->axes[k].arg].name,
                         s->axes[k].val[pos[k]], err, sizeof err) != 0)
                luaL_error(L, "sweep: %s", err);
        set_impls(&it, s, (char(*)[GEN_NAME_MAX])s->variants, s->n_variants);
        add_item(L, s, p, &it, r);
        int k = s->n_axes - 1; /* odometer: last axis fastest */
        while (k >= 0 && ++pos[k] == s->axes[k].n)
            pos[k--] = 0;
        if (k < 0)
            break;
    }
}

/* Baseline b (0 = the primary one, role "baseline"; others "baseline2"). */
static void expand_baseline(lua_State *L, const struct sweep_in *s, struct plan *p,
                            const struct shape_row *r, int threads, int b)
{
    char variants[GEN_VARIANTS_MAX][GEN_NAME_MAX], err[ERR_MAX];
    int n = s->want_gen ? gen_sweep_variants(&s->env, s->base_op[b], variants, GEN_VARIANTS_MAX, err,
                                       sizeof err)
                        : 0;
    if (n < 0)
        luaL_error(L, "sweep: baseline: %s", err);
    struct plan_item it;
    memset(&it, 0, sizeof it);
    snprintf(it.layer, sizeof it.layer, "%s", r->layer);
    snprintf(it.role, sizeof it.role, "%s", b == 0 ? "baseline" : "baseline2");
    it.threads = threads;
    it.inst.op = s->base_op[b];
    it.inst.args = s->base_args[b];
    fill_from_shape(L, &it.inst.args, NULL, r);
    set_row_args(L, &it.inst.args, r);
    set_impls(&it, s, variants, n);
    add_item(L, s, p, &it, r);
}

void dsl_expand(lua_State *L, struct sweep_in *s, struct plan *p)
{
    for (int i = 0; i < s->n_shapes; i++)
        check_row_args(L, s, &s->shapes[i]);
    for (int i = 0; i < s->n_shapes; i++)
        for (int t = 0; t < s->n_threads; t++) {
            for (int b = 0; b < s->n_base; b++)
                expand_baseline(L, s, p, &s->shapes[i], s->threads[t], b);
            expand_module(L, s, p, &s->shapes[i], s->threads[t]);
        }
    if (p->n == 0)
        luaL_error(L, "sweep: the plan is empty (check 'where')");
}
