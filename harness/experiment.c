/* harness/experiment.c — the experiment DSL: runs experiments/NAME.lua in an
 * embedded Lua 5.4 and expands its `sweep { ... }` into a plan.
 *
 * `sweep` is a C function (luaL_Reg below) that checks every key, type and
 * value while the script is still running, so each mistake is raised with
 * luaL_error and carries the script's FILE:LINE.  The expansion itself
 * (shapes x argument values x threads, filtered by `where`) happens in
 * plan_expand.c; this file is the Lua side: reading tables, naming errors.
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>

#include "dsl.h"
#include "plan.h"

static const char *const sweep_keys[] = {
    "name",    "description", "module", "baseline", "shapes",  "args",         "backends", "variants",
    "threads", "charts",      "where",  "timeout",  "seed",    "skip_invalid", "init",     "quick",
    "x",       NULL};

/* Replace sweep fields by the script's `quick = { ... }` ones (args merged per name). */
static void apply_quick(lua_State *L, int t)
{
    if (lua_getfield(L, t, "quick") != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    int q = lua_gettop(L);
    dsl_check_keys(L, q, sweep_keys, "sweep.quick");
    lua_pushnil(L);
    while (lua_next(L, q)) { /* ... key value */
        int merged = 0;
        if (!strcmp(lua_tostring(L, -2), "args") && lua_istable(L, -1)) {
            if (lua_getfield(L, t, "args") == LUA_TTABLE) {
                int qa = lua_gettop(L) - 1, ta = lua_gettop(L);
                lua_pushnil(L);
                while (lua_next(L, qa)) { /* ta[k] = v, keep k for lua_next */
                    lua_pushvalue(L, -2);
                    lua_insert(L, -2);
                    lua_settable(L, ta);
                }
                lua_pop(L, 2); /* target args, quick value */
                merged = 1;
            } else
                lua_pop(L, 1);
        }
        if (!merged) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_settable(L, t); /* t[key] = value, key stays for lua_next */
        }
    }
    lua_pop(L, 1);
}

static int l_sweep(lua_State *L)
{
    struct dsl_ctx *ctx = lua_touserdata(L, lua_upvalueindex(1));
    luaL_checktype(L, 1, LUA_TTABLE);
    if (ctx->called)
        return luaL_error(L, "sweep: called twice (one sweep per file)");
    ctx->called = 1;
    dsl_check_keys(L, 1, sweep_keys, "sweep");
    if (ctx->quick)
        apply_quick(L, 1);
    dsl_read_sweep(L, 1, ctx);
    lua_newtable(L);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "__ablate_sweep");
    return 1;
}

static int l_modules(lua_State *L)
{
    lua_createtable(L, op_count, 0);
    for (int i = 0; i < op_count; i++) {
        lua_pushstring(L, op_table[i]->name);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static const luaL_Reg ablate_lib[] = {
    {"modules", l_modules},
    {NULL, NULL},
};

static void set_package_path(lua_State *L, const char *file, const char *root)
{
    char dir[512];
    const char *slash = strrchr(file, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - file) : 1, slash ? file : ".");
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/?.lua;%s/lib/?.lua;%s/experiments/lib/?.lua", dir, dir, root);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
}

static void open_dsl(lua_State *L, struct dsl_ctx *ctx)
{
    luaL_openlibs(L);
    lua_pushlightuserdata(L, ctx);
    lua_pushcclosure(L, l_sweep, 1);
    lua_setglobal(L, "sweep");
    luaL_newlib(L, ablate_lib);
    lua_setglobal(L, "ablate");
}

void (*experiment_state_hook)(void *lua_state) = NULL;

int experiment_load(const char *file, const char *root, int quick, struct plan *p, char *err,
                    size_t errlen)
{
    struct dsl_ctx ctx = {.plan = p, .root = root, .quick = quick};
    memset(p, 0, sizeof *p);
    snprintf(p->file, sizeof p->file, "%s", file);
    lua_State *L = luaL_newstate();
    if (!L) {
        snprintf(err, errlen, "%s: cannot create a Lua state", file);
        return -1;
    }
    open_dsl(L, &ctx);
    set_package_path(L, file, root);
    if (experiment_state_hook)
        experiment_state_hook(L);
    int rc = luaL_loadfile(L, file);
    if (rc == LUA_OK)
        rc = lua_pcall(L, 0, 1, 0);
    if (rc != LUA_OK)
        snprintf(err, errlen, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "Lua error");
    else if (!lua_istable(L, -1) || lua_getfield(L, -1, "__ablate_sweep") != LUA_TBOOLEAN) {
        snprintf(err, errlen, "%s: the script must return sweep { ... }", file);
        rc = -1;
    }
    lua_close(L);
    if (rc != LUA_OK)
        plan_free(p);
    return rc == LUA_OK ? 0 : -1;
}
