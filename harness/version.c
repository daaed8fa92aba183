/* harness/version.c — what `ablate --version` prints.  The Makefile passes
 * ABLATE_COMMIT (`git describe --always --dirty`) to this file alone, so a
 * new commit rebuilds one object; a build outside a git checkout says
 * "unknown". */
#include "cli_usage.h"

#ifndef ABLATE_COMMIT
#define ABLATE_COMMIT "unknown"
#endif

/* Raised by hand when the CLI or the CSV columns change incompatibly; the
 * commit says exactly which tree was built. */
#define ABLATE_VERSION "0.1.0"

const char *ablate_version(void) { return ABLATE_VERSION; }

const char *ablate_commit(void) { return ABLATE_COMMIT; }
