/* harness/model_bench.h — `ablate model --bench`: every layer timed with its
 * generated kernel (the reference where a row has no generator yet), and
 * the whole graph run end to end, checked against the reference graph. */
#ifndef ABLATE_MODEL_BENCH_H
#define ABLATE_MODEL_BENCH_H

#include "model.h"

/* Prints the per-layer table and the end-to-end line.  0 ok, 1 the
 * generated graph disagrees with the reference, -1 error (err). */
int model_bench(const struct model *m, int imgsz, int threads, int quick, double *e2e_ms,
                char *err, size_t errlen);

#endif
