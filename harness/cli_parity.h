/* harness/cli_parity.h — pieces of `ablate parity` shared by its files. */
#ifndef ABLATE_CLI_PARITY_H
#define ABLATE_CLI_PARITY_H

#include <stdint.h>

#include "instance.h"

/* Implementation groups `--backends` selects (default: all). */
enum { PARITY_REF = 1, PARITY_GEN = 2, PARITY_CUDA_HOST = 4, PARITY_CUDA = 8, PARITY_ONEDNN = 16 };

/* Parses "ref,gen,onednn,cuda-host,cuda" into the mask; -1 and err on a bad word. */
int parity_backends(const char *list, int *mask, char *err, size_t errlen);

/* Prints one "IMPL max_abs=... ok|FAIL" line; 1 if it passed. */
int parity_report_line(const char *impl, const float *y, const float *expect, int64_t n);

/* The cuda-host:VARIANT and cuda:VARIANT lines (harness/cli_parity_cuda.c);
 * 1 if every one that ran passed.  Without nvcc, a CUDA generator for the
 * module or a device, one "skipped" line says why. */
int parity_check_cuda(const struct instance *m, const struct weightset *ws, const float *x,
                      const float *expect, float *y, int64_t ny, int threads, int mask);

#endif
