/* harness/gen_cc.h — the compile-and-load half of gen.c (private to it).
 *
 * Source text in, loaded kernel out: BUILD/gen/<hash>.c is written, hash =
 * 64-bit FNV-1a of (source, first line of `cc --version`, flags (the -O
 * level among them), the headers in gen/runtime the source includes, the CPU model); it is
 * compiled to BUILD/gen/<hash>.so unless that file exists (the cache), the
 * compiler's output kept in BUILD/gen/<hash>.log; then dlopen + ABI check.
 * A C kernel asked for below -O3 (a correctness check) is first looked up
 * at the higher levels' keys and taken from there when cached.
 */
#ifndef ABLATE_GEN_CC_H
#define ABLATE_GEN_CC_H

#include <stddef.h>

#include "gen.h"

/* One compiler command: argv = pre... -o OUT SRC post...  id (the tool's
 * version line, target architectures) and both argv parts go into the
 * cache key; hash_cpu adds the CPU model (-march=native builds); load 0
 * only compiles (a compile check: OUT is an object, the log is kept). */
struct gen_recipe {
    const char *ext; /* of the cached source: "c", "cu" */
    char *const *pre;
    int npre;
    char *const *post;
    int npost;
    const char *id;
    int hash_cpu, load;
    const char *log_head; /* written to the log before the compiler's output, or NULL */
};

/* Writes src to BUILD/gen/<hash>.EXT and compiles it unless cached. */
enum gen_status gen_cache_build(const struct gen_env *env, const char *src,
                                const struct gen_recipe *r, struct gen_kernel *k, char *err,
                                size_t errlen);

/* A precompiled header of text (system headers a generated source
 * includes) for the compiler and flags pre[0 .. *npre) (lang: "c-header",
 * "c++-header"): BUILD/gen/pch-HASH/ablate_sys.h into path, its .gch built
 * once per text, compiler, flags and CPU, and -Winvalid-pch -include path
 * appended to pre (which then points into path; max: pre's room).  pre
 * unchanged where the .gch cannot be built or there is no room: the
 * source is then built without it. */
void gen_pch_include(const struct gen_env *env, const char *text, const char *lang, const char *id,
                     char **pre, int *npre, int max, char *path, size_t len);

enum gen_status gen_compile_load(const struct gen_env *env, const char *src, struct gen_kernel *k,
                                 char *err, size_t errlen);

#endif
