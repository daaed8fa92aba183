/* harness/buffers.c — see buffers.h. */
#include "buffers.h"

#include <math.h>
#include <string.h>
#include <sys/mman.h>

static size_t round_bytes(int64_t nfloats)
{
    size_t bytes = (size_t)(nfloats > 0 ? nfloats : 1) * sizeof(float);
    return (bytes + 4095) & ~(size_t)4095;
}

float *buf_alloc(int64_t nfloats)
{
    size_t bytes = round_bytes(nfloats);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (bytes >= (2u << 20))
        (void)madvise(p, bytes, MADV_HUGEPAGE); /* advisory: failure only costs speed */
    memset(p, 0, bytes);                          /* first touch now, not in a timed loop */
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
