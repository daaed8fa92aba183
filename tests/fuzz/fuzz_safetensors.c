/* tests/fuzz/fuzz_safetensors.c — libFuzzer target: st_read on arbitrary
 * bytes (header JSON, offsets, dtypes, sizes, truncation, overlaps, huge
 * shapes).  st_read takes a path, so the input goes to a memfd reached as
 * /proc/self/fd/N: the real file-reading code runs, with no disk traffic.
 * A success must hand out tensors that lie inside what was read. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "safetensors.h"

static int input_fd(void)
{
    static int fd = -1;
    if (fd < 0 && (fd = memfd_create("st", 0)) < 0) {
        perror("memfd_create");
        abort();
    }
    return fd;
}

/* Touches every byte st_read hands out, so ASan sees a bad pointer. */
static void touch(const struct st_file *f)
{
    volatile unsigned char sink = 0;
    for (int i = 0; i < f->n; i++) {
        const unsigned char *d = f->t[i].data;
        for (size_t k = 0; k < f->t[i].nbytes; k++)
            sink ^= d[k];
        char shape[160];
        st_shape_text(&f->t[i], shape, sizeof shape);
    }
    for (int i = 0; i < f->n_meta; i++)
        sink ^= (unsigned char)strlen(f->meta_key[i]) ^ (unsigned char)strlen(f->meta_val[i]);
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = input_fd();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct st_file f;
    if (st_read(path, &f, err, sizeof err) == 0) {
        touch(&f);
        st_free(&f);
    } else if (!err[0] || strchr(err, '\n'))
        abort(); /* every failure is one non-empty line */
    return 0;
}
