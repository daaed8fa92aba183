/* harness/dsl_expand.c — the rest of a sweep table (backends, variants,
 * baseline, threads, charts, options) and its expansion into plan items. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>

#include "charts.h"
#include "dsl.h"
#include "peers.h"

static void read_threads(lua_State *L, int t, struct sweep_in *s)
{
    s->n_threads = 0;
    int ty = lua_getfield(L, t, "threads");
    if (ty == LUA_TNIL)
        s->threads[s->n_threads++] = 1;
    else if (ty == LUA_TNUMBER)
        s->threads[s->n_threads++] = (int)lua_tointeger(L, -1);
    else if (ty == LUA_TTABLE) {
        int n = (int)luaL_len(L, -1);
        if (n < 1 || n > THREADS_MAX)
            luaL_error(L, "sweep: 'threads' must list 1 to %d thread counts", THREADS_MAX);
        for (int k = 1; k <= n; k++) {
            lua_rawgeti(L, -1, k);
            s->threads[s->n_threads++] = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : -1;
            lua_pop(L, 1);
        }
    } else
        luaL_error(L, "sweep: 'threads' must be a list of integers (got %s)", luaL_typename(L, -1));
    for (int i = 0; i < s->n_threads; i++)
        if (s->threads[i] < 1 || s->threads[i] > 256)
            luaL_error(L, "sweep: 'threads' values must be integers from 1 to 256");
    lua_pop(L, 1);
}

static void read_backends(lua_State *L, int t, struct sweep_in *s, struct plan *p)
{
    s->want_ref = s->want_gen = 1;
    if (lua_getfield(L, t, "backends") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "sweep: 'backends' must be a list such as { \"ref\", \"gen\", \"torch\", \"ort\", \"openvino\" }");
    s->want_ref = s->want_gen = 0;
    for (int k = 1; k <= (int)luaL_len(L, -1); k++) {
        lua_rawgeti(L, -1, k);
        const char *b = lua_tostring(L, -1);
        if (b && !strcmp(b, "ref"))
            s->want_ref = 1;
        else if (b && !strcmp(b, "gen"))
            s->want_gen = 1;
        else if (b && !strcmp(b, "torch"))
            p->run_torch = 1;
        else if (b && !strcmp(b, "cuda"))
            s->want_cuda = 1;
        else if (b && !strcmp(b, "cuda-host"))
            s->want_cuda_host = 1;
        else if (b && !strcmp(b, "onednn"))
            s->want_onednn = 1;
        else if (peer_from_name(b) >= 0)
            p->run_peer[peer_from_name(b)] = 1;
        else
            luaL_error(L, "sweep: unknown backend '%s' (known: ref, gen, torch, ort, openvino, onednn, cuda, "
                       "cuda-host)",
                       b ? b : "?");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static int variant_known(char names[][GEN_NAME_MAX], int n, const char *v)
{
    if (!strcmp(v, "fault:crash") || !strcmp(v, "fault:hang") || !strcmp(v, "fault:compile"))
        return 1;
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], v))
            return 1;
    return 0;
}

static void read_variants(lua_State *L, int t, struct sweep_in *s, const struct gen_env *env)
{
    char known[GEN_VARIANTS_MAX][GEN_NAME_MAX], err[ERR_MAX];
    int n_known = gen_variants(env, s->op, known, GEN_VARIANTS_MAX, err, sizeof err);
    if (n_known < 0)
        luaL_error(L, "sweep: %s", err);
    s->n_variants = 0;
    if (lua_getfield(L, t, "variants") == LUA_TNIL) { /* the generator's sweep_variants */
        n_known = gen_sweep_variants(env, s->op, known, GEN_VARIANTS_MAX, err, sizeof err);
        if (n_known < 0)
            luaL_error(L, "sweep: %s", err);
        for (int i = 0; i < n_known && i < PLAN_IMPLS_MAX - 1; i++)
            snprintf(s->variants[s->n_variants++], GEN_NAME_MAX, "%s", known[i]);
    } else {
        if (!lua_istable(L, -1))
            luaL_error(L, "sweep: 'variants' must be a list of generator variant names");
        for (int k = 1; k <= (int)luaL_len(L, -1) && s->n_variants < PLAN_IMPLS_MAX - 1; k++) {
            lua_rawgeti(L, -1, k);
            const char *v = lua_tostring(L, -1);
            if (!v || !variant_known(known, n_known, v))
                luaL_error(L, "sweep: %s has no generator variant '%s'", s->op->name, v ? v : "?");
            snprintf(s->variants[s->n_variants++], GEN_NAME_MAX, "%s", v);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
}

/* One baseline table { module = "Conv", k = 3, ... } at bt into slot i;
 * `what` names it in errors ("baseline", "baseline 2"). */
static void read_one_baseline(lua_State *L, int bt, struct sweep_in *s, int i, const char *what)
{
    char err[ERR_MAX];
    if (lua_getfield(L, bt, "module") == LUA_TNIL) /* say which baseline lacks it */
        luaL_error(L, "sweep: %s: 'module' is required", what);
    lua_pop(L, 1);
    const char *name = dsl_field_string(L, bt, "module", NULL);
    if (!(s->base_op[i] = instance_find_op(name, err, sizeof err)))
        luaL_error(L, "sweep: %s: %s", what, err);
    args_defaults(s->base_op[i], &s->base_args[i]);
    lua_pushnil(L);
    while (lua_next(L, bt)) {
        char text[64];
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
        if (strcmp(k, "module")) {
            dsl_scalar_text(L, -1, text, sizeof text, what);
            if (args_set(&s->base_args[i], k, text, err, sizeof err) != 0)
                luaL_error(L, "sweep: %s: %s", what, err);
        }
        lua_pop(L, 1);
    }
}

/* baseline = { module = "Conv", k = 3 }, or a list of such tables
 * { { module = "Conv", k = 3 }, { module = "C2f" } } whose first entry is the
 * primary baseline (the one "vs base" ratios divide by). */
static void read_baseline(lua_State *L, int t, struct sweep_in *s)
{
    s->n_base = 0;
    if (lua_getfield(L, t, "baseline") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "sweep: 'baseline' must be a table such as { module = \"Conv\", k = 3 }");
    int bt = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, bt);
    if (lua_getfield(L, bt, "module") != LUA_TNIL || n == 0) { /* the single form */
        lua_pop(L, 1);
        read_one_baseline(L, bt, s, 0, "baseline");
        s->n_base = 1;
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    if (n > BASELINES_MAX)
        luaL_error(L, "sweep: at most %d baselines (got %d)", BASELINES_MAX, (int)n);
    for (int i = 0; i < (int)n; i++) {
        char what[32];
        snprintf(what, sizeof what, "baseline %d", i + 1);
        if (lua_rawgeti(L, bt, i + 1) != LUA_TTABLE)
            luaL_error(L, "sweep: %s must be a table such as { module = \"Conv\", k = 3 }", what);
        read_one_baseline(L, lua_gettop(L), s, i, what);
        lua_pop(L, 1);
    }
    s->n_base = (int)n;
    lua_pop(L, 1);
}

static const char *const chart_keys[] = {"x", "y", "by", "threads", "title", "name", NULL};

static void read_charts(lua_State *L, int t, struct plan *p)
{
    p->n_charts = 0;
    if (lua_getfield(L, t, "charts") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "sweep: 'charts' must be a list of { x=, y=, by= }");
    int n = (int)luaL_len(L, -1);
    if (n > PLAN_CHARTS_MAX)
        luaL_error(L, "sweep: at most %d charts", PLAN_CHARTS_MAX);
    for (int k = 1; k <= n; k++) {
        struct chart_spec *c = &p->charts[p->n_charts++];
        lua_rawgeti(L, -1, k);
        int ct = lua_gettop(L);
        if (!lua_istable(L, ct))
            luaL_error(L, "sweep: charts[%d] must be a table { x=, y=, by= }", k);
        char what[32];
        snprintf(what, sizeof what, "sweep: charts[%d]", k);
        dsl_check_keys(L, ct, chart_keys, what);
        snprintf(c->x, sizeof c->x, "%s", dsl_field_string(L, ct, "x", p->xarg));
        snprintf(c->y, sizeof c->y, "%s", dsl_field_string(L, ct, "y", NULL));
        if (!charts_y_known(c->y)) /* else found only after the whole sweep has run */
            luaL_error(L, "sweep: charts[%d]: unknown y '%s' (known: median_ms, params, flops_thop, "
                          "flops_full, gflops, ratio_vs_baseline, speedup_vs_ref)", k, c->y);
        snprintf(c->by, sizeof c->by, "%s", dsl_field_string(L, ct, "by", "layer"));
        c->threads = (int)dsl_field_int(L, ct, "threads", 0, "chart");
        snprintf(c->title, sizeof c->title, "%s", dsl_field_string(L, ct, "title", ""));
        char stem[64];
        snprintf(stem, sizeof stem, c->threads ? "%s_vs_%s_t%d" : "%s_vs_%s", c->y, c->x, c->threads);
        snprintf(c->name, sizeof c->name, "%s", dsl_field_string(L, ct, "name", stem));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* "kernel_att,head": every argument the sweep varies, so the summary shows
 * each one (an explicit `x` only picks the charts' default axis). */
static void join_axis_names(const struct sweep_in *s, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->n_axes && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "",
                                 s->op->schema[s->axes[i].arg].name);
}

static void read_options(lua_State *L, int t, struct plan *p, struct sweep_in *s)
{
    snprintf(p->name, sizeof p->name, "%s", dsl_field_string(L, t, "name", NULL));
    for (const char *c = p->name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-'))
            luaL_error(L, "sweep: 'name' may hold letters, digits, '_' and '-' only");
    snprintf(p->description, sizeof p->description, "%s", dsl_field_string(L, t, "description", ""));
    int ty = lua_getfield(L, t, "timeout");
    p->timeout_s = ty == LUA_TNIL ? 120 : lua_tonumber(L, -1);
    if ((ty != LUA_TNIL && ty != LUA_TNUMBER) || p->timeout_s <= 0)
        luaL_error(L, "sweep: 'timeout' must be a positive number of seconds");
    lua_pop(L, 1);
    p->seed = (uint64_t)dsl_field_int(L, t, "seed", 1, "sweep");
    const char *init = dsl_field_string(L, t, "init", "random");
    if (strcmp(init, "random") && strcmp(init, "paper"))
        luaL_error(L, "sweep: 'init' must be \"random\" or \"paper\" (got '%s')", init);
    p->init = !strcmp(init, "paper") ? INIT_PAPER : INIT_RANDOM;
    lua_getfield(L, t, "skip_invalid");
    s->skip_invalid = lua_toboolean(L, -1);
    lua_pop(L, 1);
    const char *x = dsl_field_string(L, t, "x", s->n_axes ? s->op->schema[s->axes[0].arg].name : "");
    snprintf(p->xarg, sizeof p->xarg, "%s", x);
    join_axis_names(s, p->summary_args, sizeof p->summary_args);
    s->where_ref = LUA_NOREF;
    ty = lua_getfield(L, t, "where");
    if (ty == LUA_TFUNCTION)
        s->where_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    else {
        if (ty != LUA_TNIL)
            luaL_error(L, "sweep: 'where' must be a function(cfg) returning true to keep cfg");
        lua_pop(L, 1);
    }
}

void dsl_read_sweep(lua_State *L, int t, struct dsl_ctx *ctx)
{
    struct sweep_in *s = lua_newuserdatauv(L, sizeof *s, 0); /* freed by Lua's GC */
    char err[ERR_MAX];
    memset(s, 0, sizeof *s);
    if (!(s->op = instance_find_op(dsl_field_string(L, t, "module", NULL), err, sizeof err)))
        luaL_error(L, "sweep: module: %s", err);
    args_defaults(s->op, &s->fixed);
    dsl_read_args(L, t, s);
    read_options(L, t, ctx->plan, s);
    dsl_read_shapes(L, t, s);
    read_threads(L, t, s);
    read_backends(L, t, s, ctx->plan);
    snprintf(s->env.root, sizeof s->env.root, "%s", ctx->root);
    snprintf(s->env.build, sizeof s->env.build, "%s/build", ctx->root);
    snprintf(s->env.cc, sizeof s->env.cc, "cc");
    if (s->want_gen)
        read_variants(L, t, s, &s->env);
    read_baseline(L, t, s);
    read_charts(L, t, ctx->plan);
    dsl_expand(L, s, ctx->plan);
    lua_pop(L, 1);
}
