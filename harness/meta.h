/* harness/meta.h — machine fingerprint and the run's meta.json. */
#ifndef ABLATE_META_H
#define ABLATE_META_H

#include <stddef.h>

#include "fma_rate.h"

struct fingerprint {
    char cpu_model[128];
    int cores;               /* online logical CPUs */
    char cpu_flags[256];     /* the SIMD flags that matter: avx2 avx512f ... */
    char blas_core[64];      /* openblas_get_corename() */
    char blas_config[128];   /* openblas_get_config() */
    char blas_coretype_env[64]; /* OPENBLAS_CORETYPE as the process saw it ("" = unset) */
    int reexec;              /* main() re-ran itself for ABLATE_CORETYPE */
    char blas_coretype_orig[64]; /* then: OPENBLAS_CORETYPE before that ("" = unset) */
    char blas_core_detected[64]; /* OpenBLAS's own pick where ABLATE_CORETYPE=auto overruled
                                    a generic one (main.c); "" = not overruled */
    char compiler[128];      /* `cc --version` first line */
    char cuda_device[128];   /* "none" when there is none */
    int sched_autogroup;     /* kernel.sched_autogroup_enabled: 1 makes `nice` on jobs of other
                                terminal sessions ineffective; -1 unknown.  Not in the id:
                                a setting, not the machine */
    char id[17];             /* 16 hex digits: hash of the fields above but cuda */
    struct fma_rate fma;     /* zmm FMA rate the kernels were built for (not in the id: a
                                verdict measured each run, as the kernels' compile line) */
};

/* Reads the machine's fingerprint.  fma: the zmm FMA verdict the caller's
 * kernels were built with (its gen_env's), copied so that meta.json names
 * the rate of those very kernels, never a second measurement that could
 * fall the other way; NULL where no kernel is built (the rate reads none). */
void fingerprint_read(struct fingerprint *fp, const struct fma_rate *fma);

/* Writes DIR/meta.json atomically. argv: the command as run. */
int meta_write(const char *dir, const struct fingerprint *fp, int argc, char **argv,
               const char *experiment, char *err, size_t errlen);

/* `git rev-parse --short HEAD` of the source tree ("unknown" if none) + "-dirty". */
void git_commit(const char *root, char *buf, size_t len);

#endif
