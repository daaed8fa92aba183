/* tests/known_modules.h — "Conv, AKConv, ...": every row of the op table in
 * display order, as the "unknown module" messages list them.  Built from
 * the table so that a test asserting such a message stays exact without
 * being edited for every new module. */
#ifndef ABLATE_TEST_KNOWN_MODULES_H
#define ABLATE_TEST_KNOWN_MODULES_H

#include <stdio.h>

#include "ops.h"

static inline const char *known_modules_text(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < op_count && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", op_table[i]->name);
    return buf;
}

#endif
