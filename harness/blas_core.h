/* blas_core.h — which OpenBLAS core type suits this CPU.
 *
 * OpenBLAS (DYNAMIC_ARCH) picks its kernels by CPU model, and a model newer
 * than the library falls back to a generic core: OpenBLAS 0.3.21 calls an
 * Intel Xeon of family 6 model 207 (AVX-512, bf16) "Prescott" and runs SSE3
 * kernels, 33 GFLOP/s of sgemm on one core where its Cooperlake kernels run
 * 157 (measured 2026-12-07).  These functions compare the vector width of
 * the core OpenBLAS chose with the CPU's and name the core to force when
 * the choice is narrower. */
#ifndef ABLATE_BLAS_CORE_H
#define ABLATE_BLAS_CORE_H

/* OpenBLAS's own queries, declared here because not every packaging's
 * cblas.h has them: the core type it runs and its build configuration. */
char *openblas_get_corename(void);
char *openblas_get_config(void);

/* The widest vector instructions a CPU runs or a core type's kernels use. */
enum isa_level { ISA_SSE, ISA_AVX, ISA_AVX2, ISA_AVX512 };

/* The level of an OpenBLAS core name (openblas_get_corename()); ISA_SSE for
 * the generic and unknown ones. */
enum isa_level blas_core_level(const char *core);

/* This CPU's level: AVX-512 needs f, bw, vl and dq (what OpenBLAS's SkylakeX
 * kernels use); AVX2 needs FMA too. */
enum isa_level cpu_isa_level(void);

/* The core type to force where OpenBLAS's own pick `detected` is a generic
 * SSE core (or unknown) on a CPU of level `cpu` above SSE, or NULL: Cooperlake
 * (AVX-512 with bf16, has_bf16 != 0), SkylakeX (AVX-512), Haswell (AVX2),
 * Sandybridge (AVX). */
const char *blas_core_upgrade(const char *detected, enum isa_level cpu, int has_bf16);

#endif
