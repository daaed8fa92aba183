/* harness/cuda_graph.h — a whole model's graph through the generated CUDA
 * kernels, layer by layer (`ablate model FILE.yaml --bench --backends
 * cuda-host,cuda`).
 *
 * Every layer gets the weights model_bench gives it (its row's INIT_RANDOM
 * init, seed 2000 + layer) and its row's first CUDA variant, built for that
 * layer's shape at the graph's batch; Upsample and the copies of Concat and
 * of Detect's level packing are gen/runtime/ablate_cuda_graph.cu's.  Image
 * k of a batch is the same for every batch size (seed 7 + k).
 *
 *   host   the host-emulated kernels (impl=cuda-host) on CPU buffers,
 *          checked against the same graph of scalar references at the same
 *          batch: the graph's indexing and batching, tested without a GPU.
 *   device the device builds on device buffers (cuda_rt), timed with CUDA
 *          events; image 0's output is checked against the reference
 *          graph at batch 1 on the CPU.
 */
#ifndef ABLATE_CUDA_GRAPH_H
#define ABLATE_CUDA_GRAPH_H

#include "model.h"
#include "parity.h"
#include "timing.h"

struct cuda_graph_result {
    struct parity par; /* the graph's (image 0's, on the device) output vs the reference graph */
    int ok;
    struct timing_result t; /* device only: CUDA-event timing of the whole graph */
    int nkernels;           /* layers run by a generated CUDA kernel */
    char device[256];       /* device only: its name */
};

/* The host-emulated graph at size x size, batch n, against the reference
 * graph.  0 ok, 1 disagreement, -1 error (err). */
int cuda_graph_host(const struct model *m, int size, int batch, int threads,
                    struct cuda_graph_result *r, char *err, size_t errlen);

/* The device graph at each of nbatches batch sizes (r: one result each):
 * built, checked (image 0 vs the batch-1 reference graph, computed once),
 * timed.  0 ok, 1 a disagreement, -1 error (err; "no CUDA device (...)"
 * without one). */
int cuda_graph_device(const struct model *m, int size, const int *batches, int nbatches, int quick,
                      struct cuda_graph_result *r, char *err, size_t errlen);

#endif
