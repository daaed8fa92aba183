/* harness/plan.h — a sweep plan: the list of configurations an experiment
 * script expands to, with everything the runner needs to execute it. */
#ifndef ABLATE_PLAN_H
#define ABLATE_PLAN_H

#include <stdint.h>

#include "charts.h"
#include "instance.h"

#define PLAN_IMPLS_MAX 12 /* ref, gen:*, cuda-host:*, cuda:* (Conv: 1 + 2 + 3 + 3) */
#define PLAN_IMPL_NAME 48
#define PLAN_CHARTS_MAX 16
#define PLAN_DESC_MAX 400

/* One configuration: a module instance at one thread count, and the
 * implementations to run for it ("ref", "gen:gemm", ...). */
struct plan_item {
    char layer[32];
    char role[16]; /* "module" | "baseline" (the primary one) | "baseline2" (extra ones) */
    struct instance inst;
    int threads;
    int n_impl;
    char impl[PLAN_IMPLS_MAX][PLAN_IMPL_NAME];
    char invalid[ERR_MAX]; /* non-empty: the configuration is impossible (skip_invalid) */
};

struct plan {
    char name[64];
    char file[512];
    char description[256];
    char xarg[32];          /* the chart x axis default: the first swept argument */
    char summary_args[96];  /* every swept argument, comma-separated: the summary's columns */
    int n, cap;
    struct plan_item *items;
    int n_charts;
    struct chart_spec charts[PLAN_CHARTS_MAX];
    double timeout_s;       /* per configuration */
    uint64_t seed;
    enum init_mode init;
    int run_torch;          /* backends has "torch": run scripts/torch_peer.py after */
    int run_peer[2];        /* backends has "ort" / "openvino" (peers.h order): scripts/peer_run.py */
};

void plan_free(struct plan *p);
int plan_push(struct plan *p, const struct plan_item *it);
/* Row descriptor "akconv:...:n1c64h80w80:o128:t2:impl=gen:gemm". */
void plan_row_desc(const struct plan_item *it, const char *impl, char *buf, size_t len);

/* Runs the experiment script FILE in an embedded Lua 5.4 and expands it.
 * root: repository root (experiments/lib and gen/ are found there).
 * quick: apply the script's `quick = {...}` overrides.  Errors: one line,
 * with FILE:LINE for anything the script got wrong. */
int experiment_load(const char *file, const char *root, int quick, struct plan *p, char *err,
                    size_t errlen);
/* Test seam, NULL in the program: called with each experiment's fresh Lua
 * state (a lua_State *) before the script runs.  The fuzz target
 * (tests/fuzz/fuzz_plan.c) uses it to bound instructions and memory and to
 * drop os/io, since it runs arbitrary mutated scripts. */
extern void (*experiment_state_hook)(void *lua_state);

#endif
