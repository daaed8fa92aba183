/* harness/cuda_gen.h — generated CUDA kernels: render gen/cuda_<gen>.lua,
 * compile the .cu into the hash-keyed cache of gen_cc.c, load.
 *
 * Two builds of one .cu (gen/runtime/ablate_cuda.h says what each holds):
 *   CUDA_HOST_EMU  the host C++ compiler ($CXX, else g++) with -x c++
 *                  -DABLATE_CUDA_HOST_EMU: the element functions run on the
 *                  CPU; loaded with the plain kernel ABI
 *                  (impl=cuda-host:VARIANT).
 *   CUDA_DEVICE    nvcc with one -gencode per target architecture and
 *                  `-Xptxas -v`; needs a GPU to run (impl=cuda:VARIANT).
 * The cache key holds the source, the compiler's version line, the flags and
 * (device) the target architectures (ABLATE_CUDA_ARCHS, default "80,90").
 * Nothing here links CUDA into build/ablate: nvcc is a program we run, and
 * a device build is dlopen'ed only when a cuda backend is asked for.
 */
#ifndef ABLATE_CUDA_GEN_H
#define ABLATE_CUDA_GEN_H

#include <stddef.h>

#include "gen.h"

enum cuda_build { CUDA_HOST_EMU, CUDA_DEVICE };

#define CUDA_ARCHS_MAX 8
#define CUDA_KERNELS_MAX 64

/* nvcc to run: $NVCC, else nvcc on PATH, else /usr/local/cuda/bin/nvcc.
 * Returns 0, or -1 and "nvcc not found (...)" in err. */
int cuda_find_nvcc(char *path, size_t len, char *err, size_t errlen);

/* The CUDA generator's variants for op (gen/cuda_<op->gen>.lua); 0 when the
 * module has no CUDA generator yet, -1 and err on a generator error. */
int cuda_variants(const struct gen_env *env, const struct op *op, char names[][GEN_NAME_MAX],
                  int max, char *err, size_t errlen);

/* Render + compile (cached) + load (load = 0: compile only, for the check). */
enum gen_status cuda_build(const struct gen_env *env, const struct args *a, struct shape4 in,
                           const char *variant, enum cuda_build mode, int load,
                           struct gen_kernel *k, char *err, size_t errlen);

/* The graph glue gen/runtime/ablate_cuda_graph.cu (Upsample, the copies of
 * Concat and Detect's levels: harness/cuda_graph.c), built the same way and
 * loaded (load = 0: compile only); its ablate_graph_* functions are looked
 * up in k->dl. */
enum gen_status cuda_build_glue(const struct gen_env *env, enum cuda_build mode, int load,
                                struct gen_kernel *k, char *err, size_t errlen);

/* One __global__ kernel as ptxas reported it for one architecture. */
struct cuda_ptxas_kernel {
    char name[96];
    char arch[16];
    int registers, spill_stores, spill_loads;
    int spill_free; /* the source marks it "@spill_free NAME" */
};

/* Reads ptxas -v lines from a device build's log (k->log_path) and the
 * @spill_free marks from its source; returns the kernel count or -1. */
int cuda_ptxas_read(const struct gen_kernel *k, struct cuda_ptxas_kernel *out, int max, char *err,
                    size_t errlen);

#endif
