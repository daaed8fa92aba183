/* harness/buffers.c — see buffers.h. */
#include "buffers.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)
/* From this size on a buffer gets whole huge pages of its own. */
#define HUGE_FROM ((size_t)1 << 20)

/* The mapped length: whole 4 KiB pages, or whole 2 MiB pages for a large
 * buffer. */
static size_t round_bytes(int64_t nfloats)
{
    size_t bytes = (size_t)(nfloats > 0 ? nfloats : 1) * sizeof(float);
    size_t page = bytes >= HUGE_FROM ? HUGE_PAGE : 4096;
    return (bytes + page - 1) & ~(page - 1);
}

/* len bytes starting on a 2 MiB boundary: map one huge page more, cut the
 * ends off.  Where mmap happens to put a buffer decided, before, how much
 * of it the kernel could back with huge pages (only whole aligned 2 MiB
 * ranges can be), so the same buffer was fast in one process and slow in
 * the next (docs/measurement.md). */
static void *map_huge_aligned(size_t len)
{
    size_t over = len + HUGE_PAGE;
    char *raw = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    char *p = (char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    if (raw + over > p + len)
        munmap(p + len, (size_t)(raw + over - (p + len)));
    (void)madvise(p, len, MADV_HUGEPAGE); /* advisory: failure only costs speed */
    return p;
}

float *buf_alloc(int64_t nfloats)
{
    size_t bytes = round_bytes(nfloats);
    void *p = bytes >= HUGE_FROM ? map_huge_aligned(bytes)
                                 : mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!p || p == MAP_FAILED)
        return NULL;
    memset(p, 0, bytes); /* first touch now, not in a timed loop */
    return p;
}

void buf_free(float *p, int64_t nfloats)
{
    if (p)
        munmap(p, round_bytes(nfloats));
}

void buf_fill_nan(float *p, int64_t nfloats)
{
    for (int64_t i = 0; i < nfloats; i++)
        p[i] = NAN;
}

void buf_rewarm(float *p, int64_t nfloats)
{
    volatile float *v = p;
    for (int64_t i = 0; i < nfloats; i += 16)
        v[i] = v[i];
}

long buf_huge_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "AnonHugePages: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}
