/* harness/model_common.c — the helpers every harness/model*.c file uses
 * (the bottom of the model's files: it calls none of them; see
 * model_internal.h for the direction). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "model_internal.h"

int layer_fail(const struct model *m, int i, char *err, size_t errlen, const char *fmt, ...)
{
    size_t used = (size_t)snprintf(err, errlen, "%s:%d: layer %d: ", m->path, m->layers[i].line, i);
    va_list ap;
    va_start(ap, fmt);
    if (used < errlen)
        vsnprintf(err + used, errlen - used, fmt, ap);
    va_end(ap);
    return -1;
}

void model_free(struct model *m)
{
    free(m->layers);
    m->layers = NULL;
    m->nlayers = 0;
}
