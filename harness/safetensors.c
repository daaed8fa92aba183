/* harness/safetensors.c — see safetensors.h.  The reader: loading and the
 * data layout here, the JSON header in safetensors_header.c, the writer and
 * dtype helpers in safetensors_write.c.
 *
 * Every error is one line that starts with the path.  The texts (tests
 * assert them exactly; NAME is the tensor name with control characters
 * shown as '?', [..] a shape such as [64, 3, 3, 3]):
 *
 *   PATH: cannot open (<strerror>)
 *   PATH: cannot read (<strerror>)
 *   PATH: not a safetensors file (too short: N bytes)
 *   PATH: not a safetensors file (header length N exceeds 100000000 bytes)
 *   PATH: truncated safetensors file (header ends at byte X, file has Y bytes)
 *   PATH: corrupt safetensors header (invalid JSON: <jansson's text> at line L column C)
 *   PATH: corrupt safetensors header (not a JSON object)
 *   PATH: corrupt safetensors header (__metadata__ is not an object)
 *   PATH: corrupt safetensors header (__metadata__ 'KEY' is not a string)
 *   PATH: corrupt safetensors header (more than 32 __metadata__ entries)
 *   PATH: tensor 'NAME': name longer than 127 bytes
 *   PATH: tensor 'NAME': entry is not an object
 *   PATH: tensor 'NAME': missing 'dtype'        (or 'shape', 'data_offsets')
 *   PATH: tensor 'NAME': 'dtype' is not a string
 *   PATH: tensor 'NAME': unsupported dtype 'Q8'
 *   PATH: tensor 'NAME': 'shape' is not an array
 *   PATH: tensor 'NAME': shape has N dimensions (at most 8)
 *   PATH: tensor 'NAME': shape[I] is not a non-negative integer
 *   PATH: tensor 'NAME': shape [..] has too many elements
 *   PATH: tensor 'NAME': 'data_offsets' is not [begin, end] with non-negative integers
 *   PATH: tensor 'NAME': data_offsets [a, b] end before begin
 *   PATH: tensor 'NAME': data_offsets [a, b] hold N bytes, shape [..] F32 needs M
 *   PATH: truncated safetensors file (data ends at byte X, file has Y bytes)
 *   PATH: tensors 'A' and 'B' overlap
 *   PATH: out of memory
 *
 * Byte positions X are absolute (8-byte length + header + data offset).
 * Unused bytes between or after tensors are accepted: they do no harm, and
 * rejecting them would refuse files other writers pad.
 */
#include "safetensors.h"
#include "safetensors_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A header longer than this is not a real one (the biggest state_dicts
 * have a few MB of header); refusing it avoids allocating garbage sizes. */
#define ST_HEADER_MAX 100000000ull
#define ST_ALIGN 64

/* The file as read: file[0..size) lies at a 64-byte aligned data area. */
struct raw_file {
    unsigned char *base;  /* allocation */
    unsigned char *file;  /* byte 0 of the file */
    uint64_t size;        /* bytes actually read */
    uint64_t header_len;  /* N */
};

/* ------------------------------------------------------------ loading */

/* The format is little-endian whatever the host is. */
static uint64_t le64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static int read_full(int fd, void *buf, size_t len, size_t *got)
{
    *got = 0;
    while (*got < len) {
        ssize_t r = read(fd, (char *)buf + *got, len - *got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return 0;
}

/* Checks the 8-byte prefix and the header length against the file size. */
static int check_prefix(const char *path, const unsigned char *prefix, size_t got, uint64_t size,
                        uint64_t *header_len, char *err, size_t errlen)
{
    if (got < 8) {
        snprintf(err, errlen, "%s: not a safetensors file (too short: %zu bytes)", path, got);
        return -1;
    }
    *header_len = le64(prefix);
    if (*header_len > ST_HEADER_MAX) {
        snprintf(err, errlen, "%s: not a safetensors file (header length %llu exceeds %llu bytes)",
                 path, (unsigned long long)*header_len, ST_HEADER_MAX);
        return -1;
    }
    if (8 + *header_len > size) {
        snprintf(err, errlen, "%s: truncated safetensors file (header ends at byte %llu, file has %llu bytes)",
                 path, (unsigned long long)(8 + *header_len), (unsigned long long)size);
        return -1;
    }
    return 0;
}

/* Reads the file so that its data area (after the header) starts on a
 * 64-byte boundary: float and SIMD access straight from the buffer. */
static int load_aligned(int fd, const char *path, struct raw_file *r, char *err, size_t errlen)
{
    struct stat st;
    unsigned char prefix[8];
    size_t got;
    if (fstat(fd, &st) != 0 || read_full(fd, prefix, 8, &got) != 0) {
        snprintf(err, errlen, "%s: cannot read (%s)", path, strerror(errno));
        return -1;
    }
    uint64_t size = st.st_size > (off_t)got ? (uint64_t)st.st_size : got; /* fstat may say 0 (pipes) */
    if (check_prefix(path, prefix, got, size, &r->header_len, err, errlen) != 0)
        return -1;
    size_t lead = (ST_ALIGN - (8 + r->header_len) % ST_ALIGN) % ST_ALIGN;
    void *base;
    if (posix_memalign(&base, ST_ALIGN, lead + size + 1) != 0) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    r->base = base;
    r->file = r->base + lead;
    memcpy(r->file, prefix, 8);
    if (read_full(fd, r->file + 8, size - 8, &got) != 0) {
        snprintf(err, errlen, "%s: cannot read (%s)", path, strerror(errno));
        free(base);
        return -1;
    }
    r->size = 8 + got; /* the file may have shrunk since fstat */
    if (8 + r->header_len > r->size) {
        check_prefix(path, prefix, 8, r->size, &r->header_len, err, errlen);
        free(base);
        return -1;
    }
    return 0;
}

static int load_file(const char *path, struct raw_file *r, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
        return -1;
    }
    int rc = load_aligned(fd, path, r, err, errlen);
    if (close(fd) != 0 && rc == 0) {
        snprintf(err, errlen, "%s: cannot read (%s)", path, strerror(errno));
        free(r->base);
        return -1;
    }
    return rc;
}

/* ------------------------------------------------------------ layout */

static int by_offset(const void *a, const void *b)
{
    const struct st_placed *x = a, *y = b;
    if (x->s.begin != y->s.begin)
        return x->s.begin < y->s.begin ? -1 : 1;
    if (x->s.end != y->s.end)
        return x->s.end < y->s.end ? -1 : 1;
    return strcmp(x->t.name, y->t.name);
}

/* Truncation (reported at the furthest end), then overlaps between
 * neighbours in offset order; empty tensors overlap nothing. */
static int check_layout(const char *path, const struct raw_file *r, const struct st_placed *p, int n,
                        char *err, size_t errlen)
{
    uint64_t data_start = 8 + r->header_len, furthest = data_start;
    for (int i = 0; i < n; i++)
        if (data_start + p[i].s.end > furthest)
            furthest = data_start + p[i].s.end;
    if (furthest > r->size) {
        snprintf(err, errlen, "%s: truncated safetensors file (data ends at byte %llu, file has %llu bytes)",
                 path, (unsigned long long)furthest, (unsigned long long)r->size);
        return -1;
    }
    int holder = -1; /* the non-empty tensor reaching furthest so far */
    for (int i = 0; i < n; i++) {
        if (p[i].s.end == p[i].s.begin)
            continue;
        if (holder >= 0 && p[i].s.begin < p[holder].s.end) {
            char a[ST_NAME_MAX], b[ST_NAME_MAX];
            st_printable(p[holder].t.name, a, sizeof a);
            st_printable(p[i].t.name, b, sizeof b);
            snprintf(err, errlen, "%s: tensors '%s' and '%s' overlap", path, a, b);
            return -1;
        }
        if (holder < 0 || p[i].s.end > p[holder].s.end)
            holder = i;
    }
    return 0;
}

/* Points every tensor into the buffer.  A tensor whose offset does not suit
 * its element size (another writer's packing) is copied to an aligned spot
 * after the file, so callers may always read it as its type. */
static int place_data(const char *path, struct raw_file *r, struct st_placed *p, int n, char *err, size_t errlen)
{
    size_t extra = 0;
    unsigned char *data = r->file + 8 + r->header_len;
    for (int i = 0; i < n; i++)
        if (p[i].s.begin % st_dtype_size(p[i].t.dtype))
            extra += (p[i].t.nbytes + ST_ALIGN - 1) / ST_ALIGN * ST_ALIGN;
    if (extra) {
        size_t lead = (size_t)(r->file - r->base), used = lead + r->size;
        size_t tail = (used + ST_ALIGN - 1) / ST_ALIGN * ST_ALIGN;
        void *grown;
        if (posix_memalign(&grown, ST_ALIGN, tail + extra) != 0) {
            snprintf(err, errlen, "%s: out of memory", path);
            return -1;
        }
        memcpy(grown, r->base, used);
        free(r->base);
        r->base = grown;
        r->file = r->base + lead;
        data = r->file + 8 + r->header_len;
        for (int i = 0; i < n; i++)
            if (p[i].s.begin % st_dtype_size(p[i].t.dtype)) {
                memcpy(r->base + tail, data + p[i].s.begin, p[i].t.nbytes);
                p[i].t.data = r->base + tail;
                tail += (p[i].t.nbytes + ST_ALIGN - 1) / ST_ALIGN * ST_ALIGN;
            }
    }
    for (int i = 0; i < n; i++)
        if (!(p[i].s.begin % st_dtype_size(p[i].t.dtype)))
            p[i].t.data = data + p[i].s.begin;
    return 0;
}

/* ------------------------------------------------------------ API */

/* Header entries -> checked layout -> f->t in offset order. */
static int build(const char *path, struct raw_file *r, struct st_file *f, char *err, size_t errlen)
{
    struct st_placed *p;
    int n = st_parse_header(path, (const char *)r->file + 8, r->header_len, f, &p, err, errlen);
    if (n < 0)
        return -1;
    int rc = -1;
    qsort(p, (size_t)n, sizeof *p, by_offset);
    if (!(f->t = calloc((size_t)n + 1, sizeof *f->t)))
        snprintf(err, errlen, "%s: out of memory", path);
    else if (check_layout(path, r, p, n, err, errlen) == 0 && place_data(path, r, p, n, err, errlen) == 0) {
        for (int i = 0; i < n; i++)
            f->t[i] = p[i].t;
        f->n = n;
        rc = 0;
    }
    free(p);
    return rc;
}

int st_read(const char *path, struct st_file *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    struct raw_file r = {0};
    if (load_file(path, &r, err, errlen) != 0)
        return -1;
    int rc = build(path, &r, f, err, errlen);
    f->buf = r.base;
    if (rc != 0)
        st_free(f);
    return rc;
}

void st_free(struct st_file *f)
{
    for (int i = 0; i < f->n_meta; i++) {
        free(f->meta_key[i]);
        free(f->meta_val[i]);
    }
    free(f->t);
    free(f->buf);
    memset(f, 0, sizeof *f);
}

const struct st_tensor *st_find(const struct st_file *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->t[i].name, name))
            return &f->t[i];
    return NULL;
}

const char *st_meta(const struct st_file *f, const char *key)
{
    for (int i = 0; i < f->n_meta; i++)
        if (!strcmp(f->meta_key[i], key))
            return f->meta_val[i];
    return NULL;
}
