/* harness/safetensors.h — read and write the safetensors format.
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON
 * {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
 *  "__metadata__": {"k": "v"}}, then the raw little-endian data.  Offsets
 * are relative to the end of the header.  The reader checks everything
 * (sizes, overlaps, dtypes, truncation, overflow) before handing out a
 * pointer, so a corrupt file is one clear message, never a crash.
 */
#ifndef ABLATE_SAFETENSORS_H
#define ABLATE_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define ST_NAME_MAX 128
#define ST_NDIM_MAX 8
#define ST_META_MAX 32

enum st_dtype { ST_F32, ST_F64, ST_F16, ST_BF16, ST_I64, ST_I32, ST_I16, ST_I8, ST_U8, ST_BOOL };

struct st_tensor {
    char name[ST_NAME_MAX];
    enum st_dtype dtype;
    int ndim;
    int64_t shape[ST_NDIM_MAX];
    int64_t numel;
    void *data;     /* points into the file's buffer (reader) or caller memory (writer) */
    size_t nbytes;
};

struct st_file {
    int n;
    struct st_tensor *t;           /* n entries, in file order of data_offsets */
    int n_meta;
    char *meta_key[ST_META_MAX];   /* __metadata__ string pairs */
    char *meta_val[ST_META_MAX];
    void *buf;                     /* owns all of the above's data */
};

/* 0 on success; else -1 and err = "PATH: <what is wrong>". */
int st_read(const char *path, struct st_file *f, char *err, size_t errlen);
void st_free(struct st_file *f);
const struct st_tensor *st_find(const struct st_file *f, const char *name);
const char *st_meta(const struct st_file *f, const char *key); /* NULL if absent */
const char *st_dtype_name(enum st_dtype d);

/* Helpers for callers' messages and the writer. */
size_t st_dtype_size(enum st_dtype d);                    /* bytes per element */
int st_dtype_parse(const char *name, enum st_dtype *d);   /* "F32" -> ST_F32; 0 or -1 */
void st_shape_text(const struct st_tensor *t, char *buf, size_t len); /* "[64, 3, 3, 3]" */
/* s with control characters as '?', cut with "..." to fit: safe to print
 * inside a one-line message whatever a corrupt file holds. */
void st_printable(const char *s, char *buf, size_t len);

/* Writes atomically (temporary file + rename): on failure nothing is left
 * at `path`.  meta: n_meta key/value pairs (may be 0). */
int st_write(const char *path, int n, const struct st_tensor *t, int n_meta,
             const char *const *meta_key, const char *const *meta_val, char *err, size_t errlen);

#endif
