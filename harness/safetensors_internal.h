/* harness/safetensors_internal.h — what the safetensors reader's two files
 * share (not for other callers). */
#ifndef ABLATE_SAFETENSORS_INTERNAL_H
#define ABLATE_SAFETENSORS_INTERNAL_H

#include <stdint.h>

#include "safetensors.h"

/* A tensor as the header describes it, with where its bytes lie relative
 * to the start of the data area (data still unset). */
struct st_placed {
    struct st_tensor t;
    struct { uint64_t begin, end; } s;
};

/* Parses and checks the JSON header text (len bytes): every entry, and
 * __metadata__ into f->meta_*.  Returns the number of tensors with *out
 * malloc'd (header order), or -1 with err (the texts are listed in
 * safetensors.c); f->meta_* may be partly filled either way. */
int st_parse_header(const char *path, const char *text, uint64_t len, struct st_file *f,
                    struct st_placed **out, char *err, size_t errlen);

#endif
