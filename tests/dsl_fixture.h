/* tests/dsl_fixture.h — a sweep script loaded the way `ablate sweep` loads
 * one: written to a temp file (errors quote its name), read by
 * experiment_load from the repository root (tests run there), removed. */
#ifndef ABLATE_DSL_FIXTURE_H
#define ABLATE_DSL_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "plan.h"
#include "test_util.h"

/* experiment_load's status for SCRIPT saved as NAME in a fresh temp
 * folder; FILE gets that path (gone on return: for expected error texts). */
static inline int dsl_load_text(const char *script, const char *name, struct plan *p, char *err,
                                size_t errlen, char *file, size_t flen)
{
    char dir[64], root[512];
    if (!getcwd(root, sizeof root))
        abort();
    temp_dir(dir, sizeof dir);
    snprintf(file, flen, "%s/%s", dir, name);
    write_file(file, script);
    int rc = experiment_load(file, root, 0, p, err, errlen);
    unlink(file);
    rmdir(dir);
    return rc;
}

#endif
