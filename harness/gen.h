/* harness/gen.h — render, compile, cache and load generated kernels.
 *
 * gen/<op->gen>.lua renders C source for (args, input shape, variant) with
 * the template engine gen/template.lua, inside an embedded Lua 5.4.  The
 * source goes to BUILD/gen/<hash>.c, hash = FNV-1a of source + compiler
 * version + flags, and is compiled to BUILD/gen/<hash>.so unless that file
 * already exists (the cache).  The .so is dlopen'ed and checked (ABI).
 */
#ifndef ABLATE_GEN_H
#define ABLATE_GEN_H

#include <stddef.h>

#include "ablate_kernel.h"
#include "fma_rate.h"
#include "ops.h"

#define GEN_VARIANTS_MAX 16
#define GEN_NAME_MAX 32
#define GEN_PATH_MAX 512

enum gen_status { GEN_OK = 0, GEN_ERR_RENDER, GEN_ERR_COMPILE, GEN_ERR_LOAD };

struct gen_kernel {
    void *dl;
    const struct ablate_kernel_info *info;
    ablate_kernel_forward_fn forward;
    /* optional (ablate_kernel.h): both set (info->prepared_floats > 0) or both NULL */
    ablate_kernel_prepare_fn prepare;
    ablate_kernel_forward_prepared_fn forward_prepared;
    char src_path[GEN_PATH_MAX];
    char so_path[GEN_PATH_MAX];
    char log_path[GEN_PATH_MAX]; /* the compiler's output */
    double compile_s; /* 0 when taken from the cache */
};

/* Where the sources live (gen/, experiments/lib) and where to build. */
struct gen_env {
    char root[GEN_PATH_MAX];  /* repository root (contains gen/) */
    char build[GEN_PATH_MAX]; /* build dir, e.g. ROOT/build */
    char cc[64];              /* compiler command, default "cc" */
    struct fma_rate fma;      /* measured once: kernels get -DABL_AVX512_FULL_RATE */
    int opt_level;            /* the kernels' -O level: 3 unless gen_env_check_opt lowers it */
};

/* Variants a module's generator offers, in its preferred order. */
int gen_variants(const struct gen_env *env, const struct op *op,
                 char names[][GEN_NAME_MAX], int max, char *err, size_t errlen);

/* The ones a sweep times when it names none: the generator's
 * sweep_variants where it has that list (Conv leaves out its slow
 * `direct`, still built when named), else all of them. */
int gen_sweep_variants(const struct gen_env *env, const struct op *op,
                       char names[][GEN_NAME_MAX], int max, char *err, size_t errlen);

/* 1 if the generator sets `pick_by_timing = true`: a model graph chooses
 * among its variants per layer by timing them (variant_pick.h) instead of
 * taking the first. */
int gen_pick_by_timing(const struct gen_env *env, const struct op *op);

/* The same with the generator script named (gen/<script>.lua): the CUDA
 * generators (gen/cuda_<op->gen>.lua) are read through these. */
int gen_script_variants(const struct gen_env *env, const char *script, char names[][GEN_NAME_MAX],
                        int max, char *err, size_t errlen);
/* Renders one variant; malloc'ed source, or NULL and err. */
char *gen_render_script(const struct gen_env *env, const char *script, const struct args *a,
                        struct shape4 in, const char *variant, char *err, size_t errlen);

/* Render + compile (cached) + load.  Returns a gen_status; err explains.
 * Variants named "fault:crash", "fault:hang", "fault:compile" exist for every
 * module: they render a kernel that crashes, loops forever, or does not
 * compile — the harness's isolation is tested with them. */
enum gen_status gen_build(const struct gen_env *env, const struct args *a, struct shape4 in,
                          const char *variant, struct gen_kernel *k, char *err, size_t errlen);
void gen_unload(struct gen_kernel *k);

/* Fill env from ABLATE_ROOT or the executable's location (ROOT/build/ablate);
 * kernels at -O3, the level sweeps, benches and the goldens time and check. */
int gen_env_init(struct gen_env *env, char *err, size_t errlen);

/* The environment variable a test run sets to build its correctness-only
 * kernels cheaper (scripts/run_tests.sh: 1). */
#define GEN_OPT_ENV "ABLATE_GEN_OPT"

/* For builds that only check correctness (`ablate parity`, the gen_* test
 * fixtures): env->opt_level from ABLATE_GEN_OPT (1, 2 or 3; unset or empty
 * keeps 3).  -1 and err when it names anything else.  Sweeps, benches,
 * `ablate run` and the goldens never call it: their kernels stay -O3.  The
 * level is a compile flag, so part of the cache key: -O2 and -O3 builds of
 * one kernel are two cache entries, and the kernel's .log names its level.
 * A lowered level builds only where no higher one is cached: gen_build
 * takes the kernel at -O3 (then -O2) when it is there (gen_cc.c
 * gen_compile_load); an -O3 request never takes a lower level. */
int gen_env_check_opt(struct gen_env *env, char *err, size_t errlen);

#endif
