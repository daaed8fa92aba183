/* harness/dsl.h — shared between experiment.c (the Lua state) and
 * dsl_read.c (reading a sweep table into a plan). */
#ifndef ABLATE_DSL_H
#define ABLATE_DSL_H

#include <lua.h>

#include "gen.h"
#include "plan.h"

#define VALUES_MAX 64
#define SHAPES_MAX 64
#define THREADS_MAX 8
#define BASELINES_MAX 4

#define SHAPE_ARGS_MAX 4

/* One shape row.  `args` (optional) are arguments that follow the layer,
 * e.g. C2f's n and shortcut: set on the module and on every baseline that
 * has an argument of that name. */
struct shape_row {
    char layer[32];
    int c1, c2, h, w, stride, batch;
    int n_args;
    char arg_key[SHAPE_ARGS_MAX][32], arg_val[SHAPE_ARGS_MAX][32];
};

/* One swept argument and its values (as text: args_set parses them). */
struct axis {
    int arg;   /* schema index */
    int n;
    char val[VALUES_MAX][32];
};

struct sweep_in {
    const struct op *op;
    struct args fixed;         /* module defaults + single-valued args */
    struct axis axes[ARGS_MAX];
    int n_axes;
    struct shape_row shapes[SHAPES_MAX];
    int n_shapes;
    int threads[THREADS_MAX], n_threads;
    /* Baselines in the order the script lists them.  The first is the
     * primary one (plan role "baseline": every "vs base" ratio divides by
     * it); the others get role "baseline2" and are extra comparison rows. */
    int n_base;
    const struct op *base_op[BASELINES_MAX];
    struct args base_args[BASELINES_MAX];
    int want_ref, want_gen, skip_invalid;
    int want_cuda_host, want_cuda; /* backends "cuda-host", "cuda" */
    int want_onednn; /* backends has "onednn": impl=onednn where the row has a lowering */
    char variants[PLAN_IMPLS_MAX][GEN_NAME_MAX];
    int n_variants;
    int where_ref;             /* LUA_NOREF when absent */
    int user_set[ARGS_MAX];    /* set by the script: shape rows do not override it */
    struct gen_env env;
};


struct dsl_ctx {
    struct plan *plan;
    const char *root;
    int quick;
    int called;
};

/* Reads the sweep table at idx into ctx->plan; raises Lua errors (with the
 * script's FILE:LINE) on anything wrong. */
void dsl_read_sweep(lua_State *L, int idx, struct dsl_ctx *ctx);

void dsl_check_keys(lua_State *L, int idx, const char *const *known, const char *what);
const char *dsl_field_string(lua_State *L, int t, const char *key, const char *def);
lua_Integer dsl_field_int(lua_State *L, int t, const char *key, lua_Integer def, const char *what);
void dsl_scalar_text(lua_State *L, int idx, char *buf, size_t len, const char *what);
void dsl_read_args(lua_State *L, int t, struct sweep_in *s);
void dsl_read_shapes(lua_State *L, int t, struct sweep_in *s);
/* Shapes x threads x (baseline, argument combinations) -> plan items. */
void dsl_expand(lua_State *L, struct sweep_in *s, struct plan *p);

#endif
