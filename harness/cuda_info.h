/* harness/cuda_info.h — DIR/cuda.json for sweeps with cuda impls. */
#ifndef ABLATE_CUDA_INFO_H
#define ABLATE_CUDA_INFO_H

#include <stddef.h>

#include "plan.h"

/* Writes DIR/cuda.json when the plan has cuda:VARIANT impls (else nothing):
 * device, clocks, driver and the sgemm / copy roofs, or why it skipped. */
int cuda_info_write(const struct plan *p, const char *dir, char *err, size_t errlen);

#endif
