/* harness/gen_cc.h — the compile-and-load half of gen.c (private to it).
 *
 * Source text in, loaded kernel out: BUILD/gen/<hash>.c is written, hash =
 * 64-bit FNV-1a of (source, first line of `cc --version`, flags, the
 * headers in gen/runtime the source includes, the CPU model); it is
 * compiled to BUILD/gen/<hash>.so unless that file exists (the cache), the
 * compiler's output kept in BUILD/gen/<hash>.log; then dlopen + ABI check.
 */
#ifndef ABLATE_GEN_CC_H
#define ABLATE_GEN_CC_H

#include <stddef.h>

#include "gen.h"

enum gen_status gen_compile_load(const struct gen_env *env, const char *src, struct gen_kernel *k,
                                 char *err, size_t errlen);

#endif
