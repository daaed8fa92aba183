/* harness/safetensors_write.c — the safetensors writer and the dtype
 * helpers the reader shares (see safetensors.h).
 *
 * Writer errors, one line each, starting with the path:
 *   PATH: tensor 'NAME': name longer than 127 bytes
 *   PATH: tensor 'NAME': reserved name
 *   PATH: tensor 'NAME': name used twice
 *   PATH: tensor 'NAME': invalid dtype N
 *   PATH: tensor 'NAME': ndim N out of range (0..8)
 *   PATH: tensor 'NAME': shape [..] has a negative or too large dimension
 *   PATH: tensor 'NAME': nbytes N, shape [..] F32 needs M
 *   PATH: tensor 'NAME': no data
 *   PATH: more than 32 __metadata__ entries
 *   PATH: cannot create PATH.tmp.PID (<strerror>)
 *   PATH: cannot write PATH.tmp.PID (<strerror>)
 *   PATH: cannot rename PATH.tmp.PID (<strerror>)
 *   PATH: out of memory
 * On any of them nothing is left behind: neither PATH nor the temporary.
 */
#include "safetensors.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *name;
    size_t size;
} dtypes[] = {
    [ST_F32] = {"F32", 4}, [ST_F64] = {"F64", 8}, [ST_F16] = {"F16", 2}, [ST_BF16] = {"BF16", 2},
    [ST_I64] = {"I64", 8}, [ST_I32] = {"I32", 4}, [ST_I16] = {"I16", 2}, [ST_I8] = {"I8", 1},
    [ST_U8] = {"U8", 1},   [ST_BOOL] = {"BOOL", 1},
};
enum { N_DTYPES = sizeof dtypes / sizeof dtypes[0] };

static int dtype_valid(enum st_dtype d)
{
    return (unsigned)d < N_DTYPES;
}

const char *st_dtype_name(enum st_dtype d)
{
    return dtype_valid(d) ? dtypes[d].name : "?";
}

size_t st_dtype_size(enum st_dtype d)
{
    return dtype_valid(d) ? dtypes[d].size : 1;
}

int st_dtype_parse(const char *name, enum st_dtype *d)
{
    for (int i = 0; i < N_DTYPES; i++)
        if (!strcmp(dtypes[i].name, name)) {
            *d = (enum st_dtype)i;
            return 0;
        }
    return -1;
}

void st_shape_text(const struct st_tensor *t, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < t->ndim && i < ST_NDIM_MAX && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
}

void st_printable(const char *s, char *buf, size_t len)
{
    if (len == 0)
        return;
    size_t n = strlen(s), keep = n < len ? n : (len > 4 ? len - 4 : len - 1);
    for (size_t i = 0; i < keep; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    if (keep < n && len > 4)
        memcpy(buf + keep, "...", 3), keep += 3;
    buf[keep] = 0;
}

/* ------------------------------------------------------------ checks */

static int check_tensor(const struct st_tensor *t, char *msg, size_t len)
{
    char dims[160];
    if (strlen(t->name) >= ST_NAME_MAX)
        return snprintf(msg, len, "name longer than %d bytes", ST_NAME_MAX - 1), -1;
    if (!strcmp(t->name, "__metadata__"))
        return snprintf(msg, len, "reserved name"), -1;
    if (!dtype_valid(t->dtype))
        return snprintf(msg, len, "invalid dtype %d", (int)t->dtype), -1;
    if (t->ndim < 0 || t->ndim > ST_NDIM_MAX)
        return snprintf(msg, len, "ndim %d out of range (0..%d)", t->ndim, ST_NDIM_MAX), -1;
    st_shape_text(t, dims, sizeof dims);
    int64_t numel = 1;
    size_t need;
    for (int i = 0; i < t->ndim; i++)
        if (t->shape[i] < 0 || __builtin_mul_overflow(numel, t->shape[i], &numel))
            return snprintf(msg, len, "shape %s has a negative or too large dimension", dims), -1;
    if (__builtin_mul_overflow((size_t)numel, st_dtype_size(t->dtype), &need))
        return snprintf(msg, len, "shape %s has a negative or too large dimension", dims), -1;
    if (t->nbytes != need)
        return snprintf(msg, len, "nbytes %zu, shape %s %s needs %zu", t->nbytes, dims,
                        st_dtype_name(t->dtype), need), -1;
    if (need && !t->data)
        return snprintf(msg, len, "no data"), -1;
    return 0;
}

static int check_all(const char *path, int n, const struct st_tensor *t, int n_meta, char *err,
                     size_t errlen)
{
    if (n_meta > ST_META_MAX) {
        snprintf(err, errlen, "%s: more than %d __metadata__ entries", path, ST_META_MAX);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char shown[ST_NAME_MAX], msg[256];
        st_printable(t[i].name, shown, sizeof shown);
        int bad = check_tensor(&t[i], msg, sizeof msg);
        for (int j = 0; j < i && !bad; j++)
            if (!strcmp(t[i].name, t[j].name))
                bad = snprintf(msg, sizeof msg, "name used twice");
        if (bad) {
            snprintf(err, errlen, "%s: tensor '%s': %s", path, shown, msg);
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ header */

/* {"__metadata__": {...}, "name": {"dtype", "shape", "data_offsets"}, ...}
 * in the order given; data is packed in the same order. */
static json_t *header_json(int n, const struct st_tensor *t, int n_meta, const char *const *meta_key,
                           const char *const *meta_val)
{
    json_t *root = json_object(), *meta = n_meta ? json_object() : NULL;
    int bad = !root || (n_meta && !meta);
    for (int i = 0; i < n_meta && !bad; i++)
        bad = json_object_set_new(meta, meta_key[i], json_string(meta_val[i])) != 0;
    if (meta && !bad)
        bad = json_object_set_new(root, "__metadata__", meta) != 0;
    else
        json_decref(meta);
    size_t offset = 0;
    for (int i = 0; i < n && !bad; i++) {
        json_t *shape = json_array();
        for (int d = 0; d < t[i].ndim && shape && !bad; d++)
            bad = json_array_append_new(shape, json_integer(t[i].shape[d])) != 0;
        json_t *e = json_pack("{s:s, s:o, s:[I, I]}", "dtype", st_dtype_name(t[i].dtype), "shape", shape,
                              "data_offsets", (json_int_t)offset, (json_int_t)(offset + t[i].nbytes));
        bad = bad || !e || json_object_set_new(root, t[i].name, e) != 0;
        offset += t[i].nbytes;
    }
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* The header text padded with spaces to a multiple of 8 bytes, as the
 * reference implementation does, so the data area starts 8-aligned. */
static char *header_text(json_t *root, size_t *len)
{
    char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        return NULL;
    size_t n = strlen(text), padded = (n + 7) / 8 * 8;
    char *out = realloc(text, padded + 1);
    if (!out) {
        free(text);
        return NULL;
    }
    memset(out + n, ' ', padded - n);
    out[padded] = 0;
    *len = padded;
    return out;
}

/* ------------------------------------------------------------ file */

static int write_body(FILE *fp, const char *header, size_t hlen, int n, const struct st_tensor *t)
{
    unsigned char prefix[8];
    for (int i = 0; i < 8; i++)
        prefix[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    if (fwrite(prefix, 1, 8, fp) != 8 || fwrite(header, 1, hlen, fp) != hlen)
        return -1;
    for (int i = 0; i < n; i++)
        if (t[i].nbytes && fwrite(t[i].data, 1, t[i].nbytes, fp) != t[i].nbytes)
            return -1;
    /* fsync before rename: a crash must not leave a complete-looking name
     * over incomplete data. */
    return fflush(fp) != 0 || fsync(fileno(fp)) != 0 ? -1 : 0;
}

static int write_atomically(const char *path, const char *header, size_t hlen, int n,
                            const struct st_tensor *t, char *err, size_t errlen)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: cannot create %s (%s)", path, tmp, strerror(ENAMETOOLONG));
        return -1;
    }
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        snprintf(err, errlen, "%s: cannot create %s (%s)", path, tmp, strerror(errno));
        return -1;
    }
    int bad = write_body(fp, header, hlen, n, t);
    int saved = errno;
    if (fclose(fp) != 0 && !bad)
        bad = 1, saved = errno;
    if (bad) {
        snprintf(err, errlen, "%s: cannot write %s (%s)", path, tmp, strerror(saved));
    } else if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot rename %s (%s)", path, tmp, strerror(errno));
        bad = 1;
    }
    if (bad && unlink(tmp) != 0 && errno != ENOENT)
        fprintf(stderr, "ablate: could not remove %s: %s\n", tmp, strerror(errno));
    return bad ? -1 : 0;
}

int st_write(const char *path, int n, const struct st_tensor *t, int n_meta,
             const char *const *meta_key, const char *const *meta_val, char *err, size_t errlen)
{
    if (check_all(path, n, t, n_meta, err, errlen) != 0)
        return -1;
    json_t *root = header_json(n, t, n_meta, meta_key, meta_val);
    size_t hlen = 0;
    char *header = root ? header_text(root, &hlen) : NULL;
    json_decref(root);
    if (!header) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int rc = write_atomically(path, header, hlen, n, t, err, errlen);
    free(header);
    return rc;
}
