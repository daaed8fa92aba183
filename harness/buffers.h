/* harness/buffers.h — float buffers for timed code.
 *
 * Fresh pages cost 10-14 us each on these VMs (MACHINE.md), so every buffer
 * is allocated once, 64-byte aligned, advised for huge pages, and touched
 * before anything is timed.  Nothing in a timed region allocates. */
#ifndef ABLATE_BUFFERS_H
#define ABLATE_BUFFERS_H

#include <stddef.h>
#include <stdint.h>

float *buf_alloc(int64_t nfloats);   /* zero-filled (touched); NULL on failure */
void buf_free(float *p, int64_t nfloats);
void buf_fill_nan(float *p, int64_t nfloats); /* poison: an unwritten output fails parity */
/* Re-touch a buffer (read and write every cache line) so it is resident and warm. */
void buf_rewarm(float *p, int64_t nfloats);

#endif
