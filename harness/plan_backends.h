/* harness/plan_backends.h — the CUDA impls of a plan item and the
 * `--backends LIST` override of `ablate sweep` (harness/plan_backends.c). */
#ifndef ABLATE_PLAN_BACKENDS_H
#define ABLATE_PLAN_BACKENDS_H

#include <stddef.h>

#include "gen.h"
#include "plan.h"

/* Appends cuda-host:VARIANT (host) and cuda:VARIANT (device) for every
 * CUDA variant of the item's module (none when it has no CUDA generator;
 * impls beyond PLAN_IMPLS_MAX are left out). */
void plan_add_cuda_impls(struct plan_item *it, const struct gen_env *env, int host, int device);

/* Rebuilds every item's impls from LIST ("ref,gen,cuda", any of ref, gen,
 * cuda-host, cuda, torch): gen keeps the variants the script chose, or all
 * of them when it chose none.  -1 and err on an unknown word. */
int plan_set_backends(struct plan *p, const struct gen_env *env, const char *list, char *err,
                      size_t errlen);

#endif
