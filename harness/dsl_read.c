/* harness/dsl_read.c — reads a validated `sweep { ... }` table and expands
 * it: shapes x threads x (baseline, argument combinations), filtered by
 * `where`.  Every error is raised with luaL_error so it names the script's
 * FILE:LINE and the key at fault. */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dsl.h"

/* Raises "WHAT: unknown key 'k' (known: a, b, ...)" for a key of the table
 * at idx that is not in `known` (NULL-terminated). */
void dsl_check_keys(lua_State *L, int idx, const char *const *known, const char *what)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s: keys must be names (got a %s)", what, luaL_typename(L, -1));
        const char *k = lua_tostring(L, -1);
        int ok = 0;
        for (int i = 0; known[i] && !ok; i++)
            ok = !strcmp(known[i], k);
        if (!ok) {
            char list[512];
            size_t used = 0;
            list[0] = 0;
            for (int i = 0; known[i] && used < sizeof list; i++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                         known[i]);
            luaL_error(L, "%s: unknown key '%s' (known: %s)", what, k, list);
        }
    }
}

const char *dsl_field_string(lua_State *L, int t, const char *key, const char *def)
{
    int ty = lua_getfield(L, t, key);
    const char *s = def;
    if (ty == LUA_TSTRING)
        s = lua_tostring(L, -1);
    else if (ty != LUA_TNIL)
        luaL_error(L, "sweep: '%s' must be a string (got %s)", key, luaL_typename(L, -1));
    else if (!def)
        luaL_error(L, "sweep: '%s' is required", key);
    lua_pop(L, 1); /* the string stays alive: it is referenced from the sweep table */
    return s;
}

lua_Integer dsl_field_int(lua_State *L, int t, const char *key, lua_Integer def, const char *what)
{
    int ty = lua_getfield(L, t, key);
    lua_Integer v = def;
    if (ty == LUA_TNUMBER && lua_isinteger(L, -1))
        v = lua_tointeger(L, -1);
    else if (ty != LUA_TNIL)
        luaL_error(L, "%s: '%s' must be an integer (got %s)", what, key,
                   ty == LUA_TNUMBER ? "a fraction" : luaL_typename(L, -1));
    lua_pop(L, 1);
    return v;
}

/* Text of a scalar Lua value for args_set. */
void dsl_scalar_text(lua_State *L, int idx, char *buf, size_t len, const char *what)
{
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            snprintf(buf, len, "%lld", (long long)lua_tointeger(L, idx));
        else
            snprintf(buf, len, "%.17g", lua_tonumber(L, idx));
        break;
    case LUA_TBOOLEAN:
        snprintf(buf, len, "%s", lua_toboolean(L, idx) ? "true" : "false");
        break;
    case LUA_TSTRING:
        snprintf(buf, len, "%s", lua_tostring(L, idx));
        break;
    default:
        luaL_error(L, "%s: expected a number, boolean or string (got %s)", what, luaL_typename(L, idx));
    }
}

/* Sets one module argument, raising "sweep: args.K: <module's message>". */
static void set_arg(lua_State *L, struct args *a, const char *key, const char *text, const char *where)
{
    char err[ERR_MAX];
    if (args_set(a, key, text, err, sizeof err) != 0)
        luaL_error(L, "sweep: %s: %s", where, err);
}

void dsl_read_args(lua_State *L, int t, struct sweep_in *s)
{
    if (lua_getfield(L, t, "args") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    luaL_argexpected(L, lua_istable(L, -1), 1, "table for 'args'");
    int at = lua_gettop(L);
    /* Schema order, not Lua's table order: the plan must be deterministic. */
    for (int i = 0; s->op->schema[i].name; i++) {
        const char *name = s->op->schema[i].name;
        char where[64], text[32];
        snprintf(where, sizeof where, "args.%s", name);
        int ty = lua_getfield(L, at, name);
        if (ty == LUA_TTABLE) {
            struct axis *ax = &s->axes[s->n_axes++];
            ax->arg = i;
            s->user_set[i] = 1;
            ax->n = (int)luaL_len(L, -1);
            if (ax->n < 1 || ax->n > VALUES_MAX)
                luaL_error(L, "sweep: %s: give 1 to %d values", where, VALUES_MAX);
            for (int k = 1; k <= ax->n; k++) {
                lua_rawgeti(L, -1, k);
                dsl_scalar_text(L, -1, ax->val[k - 1], sizeof ax->val[0], where);
                set_arg(L, &s->fixed, name, ax->val[k - 1], where); /* type check now */
                lua_pop(L, 1);
            }
        } else if (ty != LUA_TNIL) {
            dsl_scalar_text(L, -1, text, sizeof text, where);
            set_arg(L, &s->fixed, name, text, where);
            s->user_set[i] = 1;
        }
        lua_pop(L, 1);
    }
    /* Any key the schema does not know is an error naming it. */
    lua_pushnil(L);
    while (lua_next(L, at)) {
        lua_pop(L, 1);
        const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
        if (arg_index(s->op, k) < 0)
            set_arg(L, &s->fixed, k, "0", "args");
    }
    lua_pop(L, 1);
}

static const char *const shape_keys[] = {"layer", "c1", "c2", "h", "w", "stride", "batch", "args",
                                         NULL};

/* A row's `args = { n = 2, shortcut = true }`: names and values as text,
 * checked against the module and baselines when the sweep is expanded. */
static void read_shape_args(lua_State *L, int idx, struct shape_row *r, const char *what)
{
    r->n_args = 0;
    int ty = lua_getfield(L, idx, "args");
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (ty != LUA_TTABLE)
        luaL_error(L, "sweep: %s: 'args' must be a table such as { n = 2, shortcut = true }", what);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "sweep: %s: 'args' keys must be argument names", what);
        if (r->n_args == SHAPE_ARGS_MAX)
            luaL_error(L, "sweep: %s: at most %d 'args' per shape row", what, SHAPE_ARGS_MAX);
        snprintf(r->arg_key[r->n_args], sizeof r->arg_key[0], "%s", lua_tostring(L, -2));
        dsl_scalar_text(L, -1, r->arg_val[r->n_args], sizeof r->arg_val[0], what);
        r->n_args++;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static void read_shape(lua_State *L, int idx, struct shape_row *r, int k)
{
    char what[32];
    snprintf(what, sizeof what, "shapes[%d]", k);
    if (!lua_istable(L, idx))
        luaL_error(L, "sweep: %s must be a table {layer=, c1=, c2=, h=, w=, stride=}", what);
    char what_key[48];
    snprintf(what_key, sizeof what_key, "sweep: %s", what);
    dsl_check_keys(L, idx, shape_keys, what_key);
    lua_getfield(L, idx, "layer");
    if (lua_isnil(L, -1))
        snprintf(r->layer, sizeof r->layer, "S%d", k);
    else
        dsl_scalar_text(L, -1, r->layer, sizeof r->layer, what);
    lua_pop(L, 1);
    int *dst[] = {&r->c1, &r->c2, &r->h, &r->w, &r->stride, &r->batch};
    const char *names[] = {"c1", "c2", "h", "w", "stride", "batch"};
    lua_Integer defs[] = {-1, -1, -1, -1, 1, 1};
    for (int i = 0; i < 6; i++) {
        lua_Integer v = dsl_field_int(L, idx, names[i], defs[i], what);
        if (v < 1 || v > 1000000) /* the range, not just "positive": 1e11 is positive too */
            luaL_error(L, "sweep: %s: '%s' must be an integer from 1 to 1000000", what, names[i]);
        *dst[i] = (int)v;
    }
    read_shape_args(L, idx, r, what);
}

void dsl_read_shapes(lua_State *L, int t, struct sweep_in *s)
{
    if (lua_getfield(L, t, "shapes") != LUA_TTABLE)
        luaL_error(L, "sweep: 'shapes' is required: a list of {layer=, c1=, c2=, h=, w=, stride=}");
    s->n_shapes = (int)luaL_len(L, -1);
    if (s->n_shapes < 1 || s->n_shapes > SHAPES_MAX)
        luaL_error(L, "sweep: 'shapes' must hold 1 to %d rows", SHAPES_MAX);
    for (int k = 1; k <= s->n_shapes; k++) {
        lua_rawgeti(L, -1, k);
        read_shape(L, lua_gettop(L), &s->shapes[k - 1], k);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

