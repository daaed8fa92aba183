/* harness/buffers.h — float buffers for timed code.
 *
 * Fresh pages cost 10-14 us each on these VMs (MACHINE.md), so every buffer
 * is allocated once, page aligned, and touched before anything is timed.
 * A buffer of 1 MiB or more starts on a 2 MiB boundary and is advised for
 * transparent huge pages over its whole (2 MiB-rounded) length, so every
 * process backs it alike.  Nothing in a timed region allocates. */
#ifndef ABLATE_BUFFERS_H
#define ABLATE_BUFFERS_H

#include <stddef.h>
#include <stdint.h>

float *buf_alloc(int64_t nfloats);   /* zero-filled (touched); NULL on failure */
void buf_free(float *p, int64_t nfloats);
void buf_fill_nan(float *p, int64_t nfloats); /* poison: an unwritten output fails parity */
/* Re-touch a buffer (read and write every cache line) so it is resident and warm. */
void buf_rewarm(float *p, int64_t nfloats);
/* Anonymous memory of this process backed by huge pages, in KiB (from
 * /proc/self/smaps_rollup); -1 when it cannot be read. */
long buf_huge_kib(void);

#endif
