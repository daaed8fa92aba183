/* harness/child.h — run one function in a forked child and wait for it. */
#ifndef ABLATE_CHILD_H
#define ABLATE_CHILD_H

#include <stddef.h>

/* Forks, runs fn(ctx) in the child and exits with its return value; the
 * parent waits.  For work whose state must not stay in the parent, which
 * forks one child per configuration later (an OpenMP pool, a CUDA
 * context).  0 when the child exited 0; -1 with err ("fork: ...", or
 * "child exited with status N" / "killed by signal N"). */
int run_in_child(int (*fn)(void *ctx), void *ctx, char *err, size_t errlen);

#endif
