/* harness/peak.h — this machine's measured ceilings: OpenBLAS sgemm and a
 * STREAM-style triad, the roofs every achieved GFLOP/s is set against. */
#ifndef ABLATE_PEAK_H
#define ABLATE_PEAK_H

#include <stddef.h>

struct peak {
    int threads;
    double sgemm_gflops;  /* sgemm n x n x n, fastest of the repeats */
    int sgemm_n;
    double triad_gbs;     /* a[i] = b[i] + s*c[i], STREAM byte counting (3 x 4 bytes), fastest repeat */
    char blas_core[64];
};

/* Measures at `threads` threads (OpenBLAS's own pool for sgemm, OpenMP for
 * the triad); quick = smaller problems, fewer repeats. */
int peak_measure(struct peak *p, int threads, int quick, char *err, size_t errlen);
/* Writes DIR/peak.json holding every measurement (atomic). */
int peak_write(const char *dir, const struct peak *p, int n, char *err, size_t errlen);

/* Reads DIR/peak.json back; returns the number of entries (0 if absent). */
int peak_read(const char *dir, struct peak *p, int max);

#endif
