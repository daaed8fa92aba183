/* harness/model_bench.h — `ablate model --bench`: every layer timed with its
 * generated kernel (the reference where a row has no generator yet), and
 * the whole graph run end to end, checked against the reference graph. */
#ifndef ABLATE_MODEL_BENCH_H
#define ABLATE_MODEL_BENCH_H

#include "model.h"
#include "paired.h"
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

/* A placement against its base model, both timed end to end interleaved
 * in one process (A B, B A, ...: timing.h), so the ratio's two sides share
 * the process, its pages and its thread pool (paired.h).  Parity: the
 * placement's whole generated graph against its reference graph at
 * parity_size x parity_size, or the next multiple of 32 at which every
 * layer's input is large enough (a smaller image: the scalar reference
 * graph at 640 costs more than all the timing), with kernels generated for
 * that size; the timed graphs at imgsz are only checked to give finite
 * outputs.
 * 0 ok, 1 the placement's graph disagrees with its reference (or gives a
 * non-finite output), -1 error (err). */
struct model_pair_result {
    struct timing_result e2e, base; /* the placement's and the base's */
    struct paired_ratio ratio;      /* placement over base */
    struct parity par;              /* at parity_size */
    int parity_size;                /* the size it was checked at */
    int ok;
};
int model_bench_pair(const struct model *m, const struct model *base, int imgsz, int parity_size, int threads,
                     int quick, struct model_pair_result *r, char *err, size_t errlen);

#endif
