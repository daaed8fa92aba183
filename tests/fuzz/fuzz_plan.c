/* tests/fuzz/fuzz_plan.c — libFuzzer target: experiment_load (the Lua sweep
 * DSL and plan builder) on the input as a Lua script.
 *
 * A mutated script can loop forever, allocate without bound or touch the
 * file system, none of which is a harness bug; experiment_state_hook lets
 * this target (only) cap the instruction count and the Lua heap and remove
 * os/io/require-of-C before the script runs.  Errors raised by those caps
 * are ordinary Lua errors, so the harness's error path is still exercised. */
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"

#define INSN_LIMIT 2000000  /* a real sweep script runs well under 100k */
#define HEAP_LIMIT (64 << 20)

static long long heap_used; /* may go below 0: blocks made before the cap are freed here too */

/* Lua's default allocator (realloc/free) with a byte budget; realloc/free
 * also take the blocks made before it was installed, so they mix. */
static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    long long old = ptr ? (long long)osize : 0;
    if (nsize == 0) {
        free(ptr);
        heap_used -= old;
        return NULL;
    }
    if ((long long)nsize > old && heap_used + ((long long)nsize - old) > HEAP_LIMIT)
        return NULL; /* Lua raises "not enough memory" */
    void *p = realloc(ptr, nsize);
    if (p)
        heap_used += (long long)nsize - old;
    return p;
}

static void insn_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    luaL_error(L, "fuzz: instruction limit");
}

static void sandbox(void *state)
{
    lua_State *L = state;
    heap_used = 0;
    lua_setallocf(L, capped_alloc, NULL);
    lua_sethook(L, insn_hook, LUA_MASKCOUNT, INSN_LIMIT);
    static const char *const drop[] = {"os", "io", "dofile", "loadfile", "collectgarbage", NULL};
    for (int i = 0; drop[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, drop[i]);
    }
    lua_getglobal(L, "package"); /* Lua modules from experiments/lib only: no C loaders */
    lua_pushstring(L, "");
    lua_setfield(L, -2, "cpath");
    lua_pop(L, 1);
}

static char script[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    experiment_state_hook = sandbox;
    snprintf(script, sizeof script, "/tmp/fuzz_plan-%d.lua", (int)getpid());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    FILE *f = fopen(script, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    const char *root = getenv("ABLATE_ROOT");
    struct plan p;
    char err[1024];
    if (experiment_load(script, root ? root : ".", 1, &p, err, sizeof err) == 0)
        plan_free(&p);
    else if (!err[0])
        abort();
    return 0;
}
