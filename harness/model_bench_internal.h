/* harness/model_bench_internal.h — what `ablate model --bench`'s two files
 * share: model_bench.c sets up, runs and times the graph; model_print.c
 * prints what it measured (and calls nothing in model_bench.c, so the two
 * do not call each other in a circle: tests/test_layering.c). */
#ifndef ABLATE_MODEL_BENCH_INTERNAL_H
#define ABLATE_MODEL_BENCH_INTERNAL_H

#include <stdint.h>

#include "gen.h"
#include "instance.h"
#include "model.h"
#include "model_arena.h"
#include "onednn_block.h"
#include "parity.h"
#include "timing.h"
#include "variant_pick.h"

/* Which implementation a layer (or the whole graph) runs: its generated
 * kernel, its scalar reference, or its oneDNN lowering (--onednn; layers
 * without one run their generated kernel in that graph too). */
enum run_mode { RUN_GEN, RUN_REF, RUN_VENDOR };

struct layer_run {
    const struct model *m;
    int i, threads, have_kernel;
    struct instance inst; /* op layers: args and input shape */
    struct weightset ws;
    struct gen_kernel k;
    struct dnn_block *vendor; /* NULL: no oneDNN lowering (or not asked for) */
    float *x, *y; /* the layer's own buffers for its timing */
    float *work; /* the graph's workspace, shared by every layer (not owned) */
    float *prepared; /* the kernel's prepared weights (NULL: none) */
    int64_t nwork, nprepared, nx, ny;
    int64_t ncopy; /* Concat: the floats the graph copies (the rest written in place) */
    struct variant_pick pick; /* pick.n > 0: the variant was chosen by timing */
};

struct graph {
    const struct model *m;
    struct layer_run *runs;
    struct shape4 *shapes;
    float *image, **outs, *work;
    struct model_arena arena; /* the buffers behind outs */
    int64_t nwork;
    int size, vendor; /* vendor: build the oneDNN lowerings */
    char picks[GEN_PATH_MAX + 32]; /* the variant choices' cache (variant_pick.h) */
};


/* Everything one bench measured, for printing. */
struct bench_out {
    const double *ms, *vms; /* per layer alone: generated, oneDNN (0: none) */
    double *gms;            /* per layer in the generated graph's timed runs */
    double sum, vsum;
    int64_t flops;
    struct timing_result e2e[3]; /* by run_mode */
    struct parity par[3];
    int ok[3];
};

/* Layer i's full FLOPs (0 for a copy layer): model_print.c. */
int64_t model_layer_flops(const struct graph *g, int i);

/* The per-layer table against this machine's sgemm roof at `threads`, the
 * variant choices, then the end-to-end line(s): model_print.c. */
void model_print_bench(const struct graph *g, const struct bench_out *b, int threads);

#endif
