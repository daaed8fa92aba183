/* harness/model_bench.h — `ablate model --bench`: every layer timed with its
 * generated kernel (the reference where a row has no generator yet), and
 * the whole graph run end to end, checked against the reference graph. */
#ifndef ABLATE_MODEL_BENCH_H
#define ABLATE_MODEL_BENCH_H

#include "model.h"
#include "parity.h"
#include "timing.h"

/* Prints the per-layer table and the end-to-end line.  onednn: every
 * layer with a oneDNN lowering (Conv, C2f, SPPF, Bottleneck:
 * harness/onednn_block.h) is also built on oneDNN, timed beside its
 * generated kernel (interleaved), and a second graph made of those
 * lowerings (generated kernels elsewhere) is checked and timed end to end
 * beside the generated one.  0 ok, 1 a graph disagrees with the reference,
 * -1 error (err). */
int model_bench(const struct model *m, int imgsz, int threads, int quick, int onednn, double *e2e_ms,
                char *err, size_t errlen);

/* What one run measured: the end-to-end timing and the generated graph
 * against the reference graph (ok: within MODULES.md 0.2). */
struct model_bench_result {
    struct timing_result e2e;
    struct parity par;
    int ok;
    double sum_layers_ms; /* 0 without per_layer */
};

/* model_bench without printing; per_layer 0 skips timing each layer alone
 * (placement sweeps only need the end-to-end number).  Same returns. */
int model_bench_run(const struct model *m, int imgsz, int threads, int quick, int per_layer,
                    struct model_bench_result *r, char *err, size_t errlen);

#endif
