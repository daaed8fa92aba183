/* harness/gen.c — render generated kernels with the Lua generators (gen.h).
 *
 * Every call runs in a fresh Lua state, so a generator can keep no state
 * between configurations.  The configuration reaches the generator as one
 * table, cfg = { module, args, input, output, weights, config, gen_root }
 * (see push_cfg); its render(cfg, variant) returns the C source, which
 * gen_cc.c compiles (cached) and loads.
 */
#include "gen.h"

#include <ctype.h>
#include <errno.h>
#include <lauxlib.h>
#include <libgen.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen_cc.h"

/* ------------------------------------------------------------- env */

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int gen_env_init(struct gen_env *env, char *err, size_t errlen)
{
    memset(env, 0, sizeof *env);
    const char *root = getenv("ABLATE_ROOT");
    char exe[GEN_PATH_MAX];
    if (root && *root) {
        if (snprintf(env->root, sizeof env->root, "%s", root) >= (int)sizeof env->root) {
            snprintf(err, errlen, "ABLATE_ROOT is too long");
            return -1;
        }
    } else {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n < 0) {
            snprintf(err, errlen, "cannot locate the program (set ABLATE_ROOT): %s", strerror(errno));
            return -1;
        }
        exe[n] = 0;
        snprintf(env->root, sizeof env->root, "%s", dirname(dirname(exe))); /* ROOT/build/ablate */
    }
    char gen_dir[GEN_PATH_MAX + 8];
    snprintf(gen_dir, sizeof gen_dir, "%s/gen", env->root);
    if (!is_dir(gen_dir)) {
        snprintf(err, errlen, "cannot find the generator: %s is not a folder (set ABLATE_ROOT)",
                 gen_dir);
        return -1;
    }
    if (snprintf(env->build, sizeof env->build, "%s/build", env->root) >= (int)sizeof env->build) {
        snprintf(err, errlen, "repository path too long: %s", env->root);
        return -1;
    }
    const char *cc = getenv("CC");
    snprintf(env->cc, sizeof env->cc, "%s", cc && *cc ? cc : "cc");
    env->opt_level = 3;
    return fma_rate_detect(&env->fma, err, errlen);
}

int gen_env_check_opt(struct gen_env *env, char *err, size_t errlen)
{
    const char *level = getenv(GEN_OPT_ENV);
    if (!level || !*level)
        return 0;
    if (strlen(level) != 1 || level[0] < '1' || level[0] > '3') {
        snprintf(err, errlen, "%s=%s: expected 1, 2 or 3 (the kernels' -O level)", GEN_OPT_ENV,
                 level);
        return -1;
    }
    env->opt_level = level[0] - '0';
    return 0;
}

/* ------------------------------------------------------------- Lua */

/* A fresh state with package.path = ROOT/gen/?.lua and the generator
 * script gen/<name>.lua run: its module table is left on the stack. */
static lua_State *open_generator(const struct gen_env *env, const char *name, char *err,
                                 size_t errlen)
{
    lua_State *L = luaL_newstate();
    if (!L) {
        snprintf(err, errlen, "out of memory for Lua");
        return NULL;
    }
    luaL_openlibs(L);
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/gen/?.lua", env->root);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    char path[GEN_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/gen/%s.lua", env->root, name);
    if (luaL_loadfile(L, path) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1));
        lua_close(L);
        return NULL;
    }
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "%s: the generator must return a table", path);
        lua_close(L);
        return NULL;
    }
    return L;
}

/* Reads module[field] (generator table on top; "variants") into names. */
static int read_list(lua_State *L, const char *gen, const char *field, char names[][GEN_NAME_MAX], int max,
                     char *err, size_t errlen)
{
    lua_getfield(L, -1, field);
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "gen/%s.lua: '%s' must be a list of names", gen, field);
        lua_pop(L, 1);
        return -1;
    }
    int n = 0;
    for (int i = 1; n < max; i++, n++) {
        if (lua_rawgeti(L, -1, i) != LUA_TSTRING) {
            lua_pop(L, 1);
            break;
        }
        snprintf(names[n], GEN_NAME_MAX, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return n;
}

static int read_variants(lua_State *L, const char *gen, char names[][GEN_NAME_MAX], int max,
                         char *err, size_t errlen)
{
    return read_list(L, gen, "variants", names, max, err, errlen);
}

int gen_script_variants(const struct gen_env *env, const char *script, char names[][GEN_NAME_MAX],
                        int max, char *err, size_t errlen)
{
    lua_State *L = open_generator(env, script, err, errlen);
    if (!L)
        return -1;
    int n = read_variants(L, script, names, max, err, errlen);
    lua_close(L);
    return n;
}

int gen_variants(const struct gen_env *env, const struct op *op, char names[][GEN_NAME_MAX],
                 int max, char *err, size_t errlen)
{
    return gen_script_variants(env, op->gen, names, max, err, errlen);
}

int gen_sweep_variants(const struct gen_env *env, const struct op *op, char names[][GEN_NAME_MAX],
                       int max, char *err, size_t errlen)
{
    lua_State *L = open_generator(env, op->gen, err, errlen);
    if (!L)
        return -1;
    lua_getfield(L, -1, "sweep_variants");
    int has = !lua_isnil(L, -1);
    lua_pop(L, 1);
    int n = read_list(L, op->gen, has ? "sweep_variants" : "variants", names, max, err, errlen);
    lua_close(L);
    return n;
}

int gen_pick_by_timing(const struct gen_env *env, const struct op *op)
{
    char err[ERR_MAX];
    lua_State *L = open_generator(env, op->gen, err, sizeof err);
    if (!L)
        return 0; /* gen_variants reports a generator that does not load */
    lua_getfield(L, -1, "pick_by_timing");
    int on = lua_toboolean(L, -1);
    lua_close(L);
    return on;
}

static void set_int(lua_State *L, const char *key, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

static void push_shape(lua_State *L, struct shape4 s)
{
    lua_createtable(L, 0, 4);
    set_int(L, "n", s.n);
    set_int(L, "c", s.c);
    set_int(L, "h", s.h);
    set_int(L, "w", s.w);
}

/* args: integers and bools as Lua integers, enums as their names,
 * floats as numbers. */
static void push_args(lua_State *L, const struct args *a)
{
    lua_createtable(L, 0, a->n);
    for (int i = 0; i < a->n && a->op->schema[i].name; i++) {
        const struct arg_spec *s = &a->op->schema[i];
        char text[64];
        if (s->type == ARG_ENUM) {
            arg_value_text(a, i, text, sizeof text);
            lua_pushstring(L, text);
        } else if (s->type == ARG_FLOAT)
            lua_pushnumber(L, a->v[i]);
        else
            lua_pushinteger(L, (lua_Integer)a->v[i]);
        lua_setfield(L, -2, s->name);
    }
}

/* weights: { {key=, shape={...}, int64=true?}, ... } in state_dict order. */
static void push_weights(lua_State *L, const struct args *a)
{
    struct weight_list wl;
    a->op->weights(a, &wl);
    lua_createtable(L, wl.n, 0);
    for (int i = 0; i < wl.n; i++) {
        lua_createtable(L, 0, 3);
        lua_pushstring(L, wl.w[i].key);
        lua_setfield(L, -2, "key");
        lua_createtable(L, wl.w[i].ndim, 0);
        for (int d = 0; d < wl.w[i].ndim; d++) {
            lua_pushinteger(L, wl.w[i].shape[d]);
            lua_rawseti(L, -2, d + 1);
        }
        lua_setfield(L, -2, "shape");
        if (wl.w[i].is_int64) {
            lua_pushboolean(L, 1);
            lua_setfield(L, -2, "int64");
        }
        lua_rawseti(L, -2, i + 1);
    }
}

/* The canonical descriptor, as instance_desc writes it. */
static void config_text(const struct args *a, struct shape4 in, struct shape4 out, char *buf,
                        size_t len)
{
    char name[48], args[512];
    size_t i = 0;
    for (; a->op->name[i] && i + 1 < sizeof name; i++)
        name[i] = (char)tolower((unsigned char)a->op->name[i]);
    name[i] = 0;
    args_format(a, args, sizeof args);
    snprintf(buf, len, "%s:%s:n%dc%dh%dw%d:o%d", name, args, in.n, in.c, in.h, in.w, out.c);
}

static void push_cfg(lua_State *L, const struct gen_env *env, const struct args *a,
                     struct shape4 in)
{
    struct shape4 out = a->op->out_shape(a, in);
    char config[1024];
    config_text(a, in, out, config, sizeof config);
    lua_createtable(L, 0, 7);
    lua_pushstring(L, a->op->name);
    lua_setfield(L, -2, "module");
    push_args(L, a);
    lua_setfield(L, -2, "args");
    push_shape(L, in);
    lua_setfield(L, -2, "input");
    push_shape(L, out);
    lua_setfield(L, -2, "output");
    push_weights(L, a);
    lua_setfield(L, -2, "weights");
    lua_pushstring(L, config);
    lua_setfield(L, -2, "config");
    lua_pushfstring(L, "%s/gen", env->root);
    lua_setfield(L, -2, "gen_root");
}

/* Renders variant of a's module with generator script gen; returns
 * malloc'ed source or NULL + err. */
char *gen_render_script(const struct gen_env *env, const char *script, const struct args *a,
                        struct shape4 in, const char *variant, char *err, size_t errlen)
{
    int fault = strncmp(variant, "fault:", 6) == 0;
    const char *gen = fault ? "faults" : script;
    lua_State *L = open_generator(env, gen, err, errlen);
    if (!L)
        return NULL;
    if (!fault) {
        char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], known[GEN_VARIANTS_MAX * (GEN_NAME_MAX + 2)];
        int n = read_variants(L, gen, names, GEN_VARIANTS_MAX, err, errlen), found = 0;
        size_t used = 0;
        known[0] = 0;
        for (int i = 0; i < n; i++) {
            found |= strcmp(names[i], variant) == 0;
            used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
                                     names[i]);
        }
        if (!found) {
            if (n >= 0)
                snprintf(err, errlen, "%s: unknown variant '%s' (known: %s)", a->op->name,
                         variant, known);
            lua_close(L);
            return NULL;
        }
    }
    char *src = NULL;
    lua_getfield(L, -1, "render");
    push_cfg(L, env, a, in);
    lua_pushstring(L, variant);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK)
        snprintf(err, errlen, "%s", lua_tostring(L, -1));
    else if (!lua_isstring(L, -1))
        snprintf(err, errlen, "gen/%s.lua: render returned no source for '%s'", gen, variant);
    else if (!(src = strdup(lua_tostring(L, -1))))
        snprintf(err, errlen, "out of memory for the generated source");
    lua_close(L);
    return src;
}


enum gen_status gen_build(const struct gen_env *env, const struct args *a, struct shape4 in,
                          const char *variant, struct gen_kernel *k, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    char *src = gen_render_script(env, a->op->gen, a, in, variant, err, errlen);
    if (!src)
        return GEN_ERR_RENDER;
    enum gen_status st = gen_compile_load(env, src, k, err, errlen);
    free(src);
    return st;
}
