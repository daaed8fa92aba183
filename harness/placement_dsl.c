/* harness/placement_dsl.c — `return placement { ... }` (docs/models.md "Placement
 * sweeps").  Like experiment.c's `sweep`, a C function that checks every
 * key, type and value while the script runs, so each mistake carries the
 * script's FILE:LINE; every variant is also built at every scale here, so
 * a module that does not fit its place stops the script before anything
 * runs. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsl.h"
#include "model.h"
#include "placement.h"

struct place_ctx {
    struct placement_plan *p;
    const char *root;
    int quick, called;
};

static const char *const top_keys[] = {"name",    "description", "model", "scales", "imgsz",
                                       "threads", "timeout",     "places", "quick", NULL};
static const char *const place_keys[] = {"replace", "at", "after", "with", "label", NULL};

static const char *field_string(lua_State *L, int t, const char *key, int required)
{
    int ty = lua_getfield(L, t, key);
    const char *s = ty == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (ty != LUA_TSTRING && ty != LUA_TNIL)
        luaL_error(L, "placement: '%s' must be a string (got %s)", key, luaL_typename(L, -1));
    if (ty == LUA_TNIL && required)
        luaL_error(L, "placement: '%s' is required", key);
    lua_pop(L, 1); /* the string stays referenced from the table */
    return s;
}

static int int_value(lua_State *L, int idx, const char *what)
{
    if (!lua_isinteger(L, idx))
        luaL_error(L, "placement: %s must be an integer (got %s)", what,
                   lua_type(L, idx) == LUA_TNUMBER ? "a fraction" : luaL_typename(L, idx));
    return (int)lua_tointeger(L, idx);
}

/* One number or a list of numbers (or strings: scales) at t[key]. */
static int read_list(lua_State *L, int t, const char *key, int max, void (*put)(lua_State *, int,
                     int, void *), void *dst)
{
    int ty = lua_getfield(L, t, key), n = 0;
    if (ty == LUA_TTABLE) {
        n = (int)luaL_len(L, -1);
        if (n < 1 || n > max)
            luaL_error(L, "placement: '%s' must have 1 to %d entries (got %d)", key, max, n);
        for (int i = 1; i <= n; i++) {
            lua_geti(L, -1, i);
            put(L, lua_gettop(L), i - 1, dst);
            lua_pop(L, 1);
        }
    } else if (ty != LUA_TNIL) {
        put(L, lua_gettop(L), 0, dst);
        n = 1;
    }
    lua_pop(L, 1);
    return n;
}

static void put_scale(lua_State *L, int idx, int i, void *dst)
{
    if (lua_type(L, idx) != LUA_TSTRING)
        luaL_error(L, "placement: 'scales' entries must be strings (got %s)", luaL_typename(L, idx));
    snprintf(((struct placement_plan *)dst)->scales[i], YAML_TEXT_MAX, "%s", lua_tostring(L, idx));
}

static void put_threads(lua_State *L, int idx, int i, void *dst)
{
    int v = int_value(L, idx, "'threads'");
    if (v < 1 || v > 256)
        luaL_error(L, "placement: 'threads' must be from 1 to 256 (got %d)", v);
    ((struct placement_plan *)dst)->threads[i] = v;
}

static void read_with(lua_State *L, int t, struct placement_variant *v, int k)
{
    if (lua_getfield(L, t, "with") != LUA_TTABLE)
        luaL_error(L, "placement: places[%d]: 'with' must be a table { module = ..., arg = value }", k);
    int w = lua_gettop(L);
    const char *mod = field_string(L, w, "module", 1);
    v->op = op_find(mod);
    if (!v->op || !v->op->yaml)
        luaL_error(L, "placement: places[%d].with: %s module '%s'", k,
                   v->op ? "not usable in a model:" : "unknown", mod);
    lua_pushnil(L);
    while (lua_next(L, w)) {
        const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        if (!key)
            luaL_error(L, "placement: places[%d].with: keys must be names", k);
        if (strcmp(key, "module")) {
            if (v->nwith == PLACE_WITH_MAX)
                luaL_error(L, "placement: places[%d].with: more than %d arguments", k, PLACE_WITH_MAX);
            int i = v->nwith++;
            snprintf(v->with_key[i], sizeof v->with_key[i], "%s", key);
            if (lua_isboolean(L, -1))
                snprintf(v->with_val[i], sizeof v->with_val[i], "%s",
                         lua_toboolean(L, -1) ? "True" : "False");
            else if (lua_type(L, -1) == LUA_TNUMBER)
                snprintf(v->with_val[i], sizeof v->with_val[i], "%s", lua_tostring(L, -1));
            else
                luaL_error(L, "placement: places[%d].with: '%s' must be a number or a boolean (got %s)",
                           k, key, luaL_typename(L, -1));
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* "<label or module> at|after i,j,k": the CSV's module column (47 characters). */
static void label(lua_State *L, struct placement_variant *v, const char *prefix, int k)
{
    size_t used = (size_t)snprintf(v->label, sizeof v->label, "%s %s ", prefix,
                                   v->insert ? "after" : "at");
    for (int i = 0; i < v->nat && used < sizeof v->label; i++)
        used += (size_t)snprintf(v->label + used, sizeof v->label - used, "%s%d", i ? "," : "",
                                 v->at[i]);
    if (used > PLACE_LABEL_MAX)
        luaL_error(L, "placement: places[%d]: label '%s' is longer than %d characters (set a shorter label =)",
                   k, v->label, PLACE_LABEL_MAX);
}

/* Builds the variant at every scale: any problem is the script's. */
static void check_variant(lua_State *L, const struct placement_plan *p, const struct model_yaml *y,
                          struct placement_variant *v, int k, int e)
{
    char err[ERR_MAX + 600];
    struct model_yaml *out = malloc(sizeof *out);
    if (!out)
        luaL_error(L, "out of memory");
    int rc = placement_apply(y, v, out, err, sizeof err);
    struct shape4 *shapes = malloc(YAML_LAYERS_MAX * sizeof *shapes);
    if (!shapes)
        rc = -1, snprintf(err, sizeof err, "out of memory");
    for (int s = 0; rc == 0 && s < p->nscales; s++) {
        struct model m;
        if ((rc = model_build(out, p->scales[s], &m, err, sizeof err)) == 0) {
            rc = model_shapes(&m, p->imgsz, shapes, err, sizeof err);
            model_free(&m);
        }
    }
    free(shapes);
    free(out);
    if (rc != 0)
        luaL_error(L, "placement: places[%d].%s[%d]: %s", k, v->insert ? "after" : "at", e, err);
}

/* t[key] is a list of places: a layer index or a list of them. */
static void read_places(lua_State *L, struct placement_plan *p, const struct model_yaml *y, int t,
                        int k, const struct placement_variant *proto)
{
    const char *prefix = field_string(L, t, "label", 0);
    prefix = prefix ? prefix : proto->op->name;
    const char *key = proto->insert ? "after" : "at";
    lua_getfield(L, t, key);
    if (!lua_istable(L, -1) || luaL_len(L, -1) < 1)
        luaL_error(L, "placement: places[%d]: '%s' must be a list of layer indices or of lists of them",
                   k, key);
    int list = lua_gettop(L);
    for (int e = 1; e <= (int)luaL_len(L, list); e++) {
        if (p->nvariants == PLACE_VARIANTS_MAX)
            luaL_error(L, "placement: more than %d placements", PLACE_VARIANTS_MAX);
        struct placement_variant *v = &p->v[p->nvariants++];
        *v = *proto;
        char what[64];
        snprintf(what, sizeof what, "places[%d].%s[%d]", k, key, e);
        if (lua_geti(L, list, e) == LUA_TTABLE) {
            v->nat = (int)luaL_len(L, -1);
            if (v->nat < 1 || v->nat > PLACE_AT_MAX)
                luaL_error(L, "placement: %s: 1 to %d layers (got %d)", what, PLACE_AT_MAX, v->nat);
            for (int i = 0; i < v->nat; i++) {
                lua_geti(L, -1, i + 1);
                v->at[i] = int_value(L, -1, what);
                lua_pop(L, 1);
            }
        } else
            v->nat = 1, v->at[0] = int_value(L, -1, what);
        lua_pop(L, 1);
        label(L, v, prefix, k);
        check_variant(L, p, y, v, k, e);
    }
    lua_pop(L, 1);
}

static void read_place(lua_State *L, struct placement_plan *p, const struct model_yaml *y, int t, int k)
{
    char what[32];
    snprintf(what, sizeof what, "placement: places[%d]", k);
    dsl_check_keys(L, t, place_keys, what);
    struct placement_variant proto;
    memset(&proto, 0, sizeof proto);
    const char *replace = field_string(L, t, "replace", 0);
    int has_at = lua_getfield(L, t, "at") != LUA_TNIL, has_after = lua_getfield(L, t, "after") != LUA_TNIL;
    lua_pop(L, 2);
    if (has_at == has_after || has_at != (replace != NULL))
        luaL_error(L, "placement: places[%d]: give either replace = MODULE with at = {...}, or after = {...}", k);
    proto.insert = has_after;
    snprintf(proto.replace, sizeof proto.replace, "%s", replace ? replace : "");
    read_with(L, t, &proto, k);
    read_places(L, p, y, t, k, &proto);
}

/* `quick = { ... }` keys replace the top-level ones under --quick. */
static void apply_quick(lua_State *L, int t)
{
    if (lua_getfield(L, t, "quick") != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    int q = lua_gettop(L);
    dsl_check_keys(L, q, top_keys, "placement: quick");
    lua_pushnil(L);
    while (lua_next(L, q)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_settable(L, t);
    }
    lua_pop(L, 1);
}

/* A bare name is experiments/models/NAME; a path is the script's folder's. */
static void model_path(lua_State *L, struct place_ctx *c, const char *model)
{
    const char *slash = strrchr(c->p->file, '/');
    if (!strchr(model, '/'))
        snprintf(c->p->model_path, sizeof c->p->model_path, "%s/experiments/models/%s", c->root, model);
    else
        snprintf(c->p->model_path, sizeof c->p->model_path, "%.*s/%s",
                 slash ? (int)(slash - c->p->file) : 1, slash ? c->p->file : ".", model);
    if (access(c->p->model_path, R_OK) != 0)
        luaL_error(L, "placement: 'model': cannot read %s", c->p->model_path);
}

static void read_top(lua_State *L, struct place_ctx *c, struct model_yaml **y)
{
    struct placement_plan *p = c->p;
    const char *name = field_string(L, 1, "name", 1);
    if (!*name || strlen(name) >= sizeof p->name || strchr(name, '/'))
        luaL_error(L, "placement: 'name' must be 1 to %d characters without '/'", (int)sizeof p->name - 1);
    snprintf(p->name, sizeof p->name, "%s", name);
    field_string(L, 1, "description", 0);
    model_path(L, c, field_string(L, 1, "model", 1));
    char err[ERR_MAX + 600];
    if (!(*y = model_yaml_read(p->model_path, err, sizeof err)))
        luaL_error(L, "placement: 'model': %s", err);
    if (!(p->nscales = read_list(L, 1, "scales", PLACE_SCALES_MAX, put_scale, p)))
        luaL_error(L, "placement: 'scales' is required (e.g. { \"n\", \"s\" })");
    if (!(p->nthreads = read_list(L, 1, "threads", PLACE_THREADS_MAX, put_threads, p)))
        p->nthreads = 1, p->threads[0] = 1;
    lua_getfield(L, 1, "imgsz");
    p->imgsz = lua_isnil(L, -1) ? 640 : int_value(L, -1, "'imgsz'");
    lua_getfield(L, 1, "timeout");
    p->timeout_s = lua_isnil(L, -1) ? 600 : int_value(L, -1, "'timeout'");
    lua_pop(L, 2);
    if (p->imgsz < 32 || p->imgsz > 4096 || p->imgsz % 32)
        luaL_error(L, "placement: 'imgsz' must be a multiple of 32 from 32 to 4096 (got %d)", p->imgsz);
    if (p->timeout_s < 1)
        luaL_error(L, "placement: 'timeout' must be at least 1 second");
}

static int l_placement(lua_State *L)
{
    struct place_ctx *c = lua_touserdata(L, lua_upvalueindex(1));
    struct model_yaml **y = lua_touserdata(L, lua_upvalueindex(2));
    luaL_checktype(L, 1, LUA_TTABLE);
    if (c->called)
        return luaL_error(L, "placement: called twice (one placement sweep per file)");
    c->called = 1;
    dsl_check_keys(L, 1, top_keys, "placement");
    if (c->quick)
        apply_quick(L, 1);
    read_top(L, c, y);
    if (lua_getfield(L, 1, "places") != LUA_TTABLE || luaL_len(L, -1) < 1)
        luaL_error(L, "placement: 'places' must be a list of { replace =, at =, with = } or { after =, with = }");
    int places = lua_gettop(L);
    for (int k = 1; k <= (int)luaL_len(L, places); k++) {
        if (lua_geti(L, places, k) != LUA_TTABLE)
            luaL_error(L, "placement: places[%d] must be a table", k);
        read_place(L, c->p, *y, lua_gettop(L), k);
        lua_pop(L, 1);
    }
    lua_newtable(L);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "__ablate_placement");
    return 1;
}

int placement_load(const char *file, const char *root, int quick, struct placement_plan *p,
                   char *err, size_t errlen)
{
    struct place_ctx c = {.p = p, .root = root, .quick = quick};
    struct model_yaml *y = NULL;
    memset(p, 0, sizeof *p);
    snprintf(p->file, sizeof p->file, "%s", file);
    p->quick = quick;
    lua_State *L = luaL_newstate();
    if (!L) {
        snprintf(err, errlen, "%s: cannot create a Lua state", file);
        return -1;
    }
    luaL_openlibs(L);
    lua_pushlightuserdata(L, &c);
    lua_pushlightuserdata(L, &y);
    lua_pushcclosure(L, l_placement, 2);
    lua_setglobal(L, "placement");
    int rc = luaL_loadfile(L, file);
    if (rc == LUA_OK)
        rc = lua_pcall(L, 0, 1, 0);
    if (rc != LUA_OK)
        snprintf(err, errlen, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "Lua error");
    else if (!lua_istable(L, -1) || lua_getfield(L, -1, "__ablate_placement") != LUA_TBOOLEAN) {
        snprintf(err, errlen, "%s: the script must return placement { ... }", file);
        rc = -1;
    }
    lua_close(L);
    free(y);
    return rc == LUA_OK ? 0 : -1;
}
