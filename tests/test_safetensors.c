/* tests/test_safetensors.c — safetensors round trip, and one exact message
 * for every way a file can be corrupt (harness/safetensors.c lists them). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>

#include "safetensors.h"
#include "test_util.h"

static char dir[64], path[128];

static void setup(void)
{
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/t.safetensors", dir);
}

static void teardown(void) { remove_dir(dir); }

TestSuite(safetensors, .init = setup, .fini = teardown);

static void write_bytes(const char *p, const void *data, size_t n)
{
    FILE *f = fopen(p, "wb");
    cr_assert(f && fwrite(data, 1, n, f) == n && fclose(f) == 0);
}

/* A file with header length `hlen` (the real length when UINT64_MAX), the
 * header text and `ndata` data bytes. */
static void write_raw_len(uint64_t hlen, const char *header, size_t ndata)
{
    size_t n = strlen(header);
    unsigned char buf[4096] = {0};
    if (hlen == UINT64_MAX)
        hlen = n;
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(hlen >> (8 * i));
    memcpy(buf + 8, header, n);
    cr_assert(8 + n + ndata <= sizeof buf);
    write_bytes(path, buf, 8 + n + ndata);
}

static void write_raw(const char *header, size_t ndata)
{
    write_raw_len(UINT64_MAX, header, ndata);
}

/* st_read must fail with exactly "PATH: <want>". */
static void expect_error(const char *want)
{
    struct st_file f;
    char err[512], full[640];
    cr_assert_eq(st_read(path, &f, err, sizeof err), -1, "read a corrupt file (want: %s)", want);
    snprintf(full, sizeof full, "%s: %s", path, want);
    cr_expect_str_eq(err, full);
}

static int files_in(const char *d)
{
    DIR *dp = opendir(d);
    int n = 0;
    for (struct dirent *e; dp && (e = readdir(dp));)
        n += e->d_name[0] != '.';
    if (dp)
        closedir(dp);
    return n;
}

Test(safetensors, round_trip)
{
    float w[6] = {1, 2, 3, 4, 5, 6}, x[4] = {-1.5f, 0, 2.25f, 1e-3f};
    unsigned char tag[3] = {7, 8, 9};
    int64_t nbt = 42;
    struct st_tensor t[4] = {
        {.name = "conv.weight", .dtype = ST_F32, .ndim = 2, .shape = {2, 3}, .data = w, .nbytes = sizeof w},
        {.name = "tag", .dtype = ST_U8, .ndim = 1, .shape = {3}, .data = tag, .nbytes = 3},
        {.name = "x", .dtype = ST_F32, .ndim = 4, .shape = {1, 1, 2, 2}, .data = x, .nbytes = sizeof x},
        {.name = "bn.num_batches_tracked", .dtype = ST_I64, .ndim = 0, .data = &nbt, .nbytes = 8},
    };
    const char *keys[] = {"format", "note"}, *vals[] = {"pt", "a \"quoted\" value"};
    char err[256];
    cr_assert_eq(st_write(path, 4, t, 2, keys, vals, err, sizeof err), 0, "%s", err);
    struct st_file f;
    cr_assert_eq(st_read(path, &f, err, sizeof err), 0, "%s", err);
    cr_expect_eq(f.n, 4);
    const struct st_tensor *a = st_find(&f, "conv.weight"), *b = st_find(&f, "x");
    const struct st_tensor *c = st_find(&f, "bn.num_batches_tracked"), *d = st_find(&f, "tag");
    cr_assert(a && b && c && d);
    cr_expect_eq(a->numel, 6);
    cr_expect_eq(a->ndim, 2);
    cr_expect_eq(a->shape[1], 3);
    cr_expect_eq(memcmp(a->data, w, sizeof w), 0);
    cr_expect_eq((uintptr_t)a->data % 64, 0, "data area is 64-byte aligned");
    /* x lies at offset 27 (after 3 U8 bytes): the reader copies it aligned */
    cr_expect_eq((uintptr_t)b->data % 4, 0);
    cr_expect_eq(memcmp(b->data, x, sizeof x), 0);
    cr_expect_eq(b->shape[3], 2);
    cr_expect_eq(c->ndim, 0);
    cr_expect_eq(c->numel, 1);
    cr_expect_eq(*(const int64_t *)c->data, 42);
    cr_expect_eq(memcmp(d->data, tag, 3), 0);
    cr_expect_str_eq(st_meta(&f, "format"), "pt");
    cr_expect_str_eq(st_meta(&f, "note"), "a \"quoted\" value");
    cr_expect_null(st_meta(&f, "absent"));
    cr_expect_null(st_find(&f, "absent"));
    st_free(&f);
    cr_expect_eq(files_in(dir), 1, "no temporary file left");
}

Test(safetensors, header_is_padded_to_8_bytes)
{
    float v = 1;
    struct st_tensor t = {.name = "v", .dtype = ST_F32, .ndim = 1, .shape = {1}, .data = &v, .nbytes = 4};
    char err[256];
    cr_assert_eq(st_write(path, 1, &t, 0, NULL, NULL, err, sizeof err), 0, "%s", err);
    unsigned char buf[256];
    FILE *f = fopen(path, "rb");
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | buf[i];
    cr_expect_eq(hlen % 8, 0);
    cr_expect_eq(n, 8 + hlen + 4);
    cr_expect_eq(memcmp(buf + 8, "{\"v\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 54), 0);
}

Test(safetensors, zero_size_tensors_overlap_nothing)
{
    write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
              "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", 8);
    struct st_file f;
    char err[256];
    cr_assert_eq(st_read(path, &f, err, sizeof err), 0, "%s", err);
    cr_expect_eq(f.n, 2);
    st_free(&f);
}

Test(safetensors, missing_file)
{
    snprintf(path, sizeof path, "%s/absent.safetensors", dir);
    expect_error("cannot open (No such file or directory)");
}

Test(safetensors, too_short)
{
    write_bytes(path, "\x05\0\0\0\0", 5);
    expect_error("not a safetensors file (too short: 5 bytes)");
    write_bytes(path, "", 0);
    expect_error("not a safetensors file (too short: 0 bytes)");
}

Test(safetensors, absurd_header_length)
{
    write_raw_len(200000000, "{}", 0);
    expect_error("not a safetensors file (header length 200000000 exceeds 100000000 bytes)");
}

Test(safetensors, header_longer_than_file)
{
    write_raw_len(100, "{}", 0);
    expect_error("truncated safetensors file (header ends at byte 108, file has 10 bytes)");
}

Test(safetensors, invalid_json)
{
    write_raw("{not json}", 0);
    expect_error("corrupt safetensors header (invalid JSON: string or '}' expected near 'not' at line 1 column 4)");
    write_raw("{\"a\":1,\"a\":2}", 0);
    expect_error("corrupt safetensors header (invalid JSON: duplicate object key near '\"a\"' at line 1 column 10)");
}

Test(safetensors, header_not_an_object)
{
    write_raw("[1, 2]", 0);
    expect_error("corrupt safetensors header (not a JSON object)");
}

Test(safetensors, entry_not_an_object)
{
    write_raw("{\"w\": 3}", 0);
    expect_error("tensor 'w': entry is not an object");
}

Test(safetensors, missing_fields)
{
    write_raw("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    expect_error("tensor 'w': missing 'dtype'");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4);
    expect_error("tensor 'w': missing 'shape'");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4);
    expect_error("tensor 'w': missing 'data_offsets'");
}

Test(safetensors, unsupported_dtype)
{
    write_raw("{\"w\":{\"dtype\":\"Q8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
    expect_error("tensor 'w': unsupported dtype 'Q8'");
    write_raw("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
    expect_error("tensor 'w': 'dtype' is not a string");
}

Test(safetensors, bad_shapes)
{
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,4]}}", 4);
    expect_error("tensor 'w': shape[1] is not a non-negative integer");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,4]}}", 4);
    expect_error("tensor 'w': shape[0] is not a non-negative integer");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,4]}}", 4);
    expect_error("tensor 'w': 'shape' is not an array");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4);
    expect_error("tensor 'w': shape has 9 dimensions (at most 8)");
}

Test(safetensors, shape_overflow)
{
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4);
    expect_error("tensor 'w': shape [4294967296, 4294967296] has too many elements");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,4]}}", 4);
    expect_error("tensor 'w': shape [4611686018427387904] has too many elements");
}

Test(safetensors, bad_offsets)
{
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8);
    expect_error("tensor 'w': data_offsets [8, 4] end before begin");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8);
    expect_error("tensor 'w': 'data_offsets' is not [begin, end] with non-negative integers");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 8);
    expect_error("tensor 'w': 'data_offsets' is not [begin, end] with non-negative integers");
}

Test(safetensors, size_mismatch)
{
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 24);
    expect_error("tensor 'w': data_offsets [0, 20] hold 20 bytes, shape [2, 3] F32 needs 24");
}

Test(safetensors, truncated_data)
{
    const char *h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}"; /* 57 bytes */
    write_raw(h, 10);
    expect_error("truncated safetensors file (data ends at byte 89, file has 75 bytes)");
}

Test(safetensors, overlapping_tensors)
{
    write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 24);
    expect_error("tensors 'a' and 'b' overlap");
}

Test(safetensors, bad_metadata)
{
    write_raw("{\"__metadata__\":{\"format\":\"pt\",\"epoch\":3}}", 0);
    expect_error("corrupt safetensors header (__metadata__ 'epoch' is not a string)");
    write_raw("{\"__metadata__\":[\"pt\"]}", 0);
    expect_error("corrupt safetensors header (__metadata__ is not an object)");
}

Test(safetensors, names_in_messages_stay_on_one_line)
{
    write_raw("{\"bad\\nname\":{\"dtype\":\"Q8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
    expect_error("tensor 'bad?name': unsupported dtype 'Q8'");
}

Test(safetensors, writer_into_missing_directory)
{
    float v = 1;
    struct st_tensor t = {.name = "v", .dtype = ST_F32, .ndim = 1, .shape = {1}, .data = &v, .nbytes = 4};
    char err[256], want[512], target[160];
    snprintf(target, sizeof target, "%s/no/such/dir/w.safetensors", dir);
    cr_assert_eq(st_write(target, 1, &t, 0, NULL, NULL, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: cannot create %s.tmp.%d (No such file or directory)", target, target,
             (int)getpid());
    cr_expect_str_eq(err, want);
    cr_expect_eq(access(target, F_OK), -1);
}

Test(safetensors, writer_leaves_nothing_when_rename_fails)
{
    float v = 1;
    struct st_tensor t = {.name = "v", .dtype = ST_F32, .ndim = 1, .shape = {1}, .data = &v, .nbytes = 4};
    char err[256], want[512];
    cr_assert_eq(mkdir(path, 0777), 0); /* the target is a folder: rename fails */
    cr_assert_eq(st_write(path, 1, &t, 0, NULL, NULL, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: cannot rename %s.tmp.%d (Is a directory)", path, path, (int)getpid());
    cr_expect_str_eq(err, want);
    cr_expect_eq(files_in(dir), 1, "only the folder, no temporary file");
}

Test(safetensors, writer_rejects_inconsistent_tensors)
{
    float v[2] = {1, 2};
    struct st_tensor t[2] = {
        {.name = "v", .dtype = ST_F32, .ndim = 1, .shape = {3}, .data = v, .nbytes = 8},
        {.name = "v", .dtype = ST_F32, .ndim = 1, .shape = {2}, .data = v, .nbytes = 8},
    };
    char err[256], want[512];
    cr_assert_eq(st_write(path, 1, t, 0, NULL, NULL, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: tensor 'v': nbytes 8, shape [3] F32 needs 12", path);
    cr_expect_str_eq(err, want);
    t[0].shape[0] = 2;
    cr_assert_eq(st_write(path, 2, t, 0, NULL, NULL, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: tensor 'v': name used twice", path);
    cr_expect_str_eq(err, want);
    cr_expect_eq(files_in(dir), 0);
}
