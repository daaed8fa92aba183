/* gen/runtime/ablate_dcnv3_split.h — a phase's image rows shared out
 * between the threads of an OpenMP team, with the ends stolen.
 *
 * Why: DCNv3(64) on 80 x 80 at 2 threads (YOLOv8n L16) split its two
 * phases statically, 8 tiles of 5 rows a thread, with a barrier after
 * each; per-thread timers showed one thread 0.07 ms (7 %) later than the
 * other in phase A and the other 0.05 ms later in phase B, each waited
 * for at the barrier: 0.12 ms of a 1.76 ms call (docs/modules/
 * perf_deform.md, seventh pass).  The slower thread differs from call to
 * call (vCPU placement, the sampled footprint of its rows), so no fixed
 * split fixes it.  Here each thread still owns the static schedule's share
 * (the rows it would have had: phase B then samples mostly the xp rows its
 * own phase A wrote) and takes `chunk` rows at a time from its front; a
 * thread whose share is done takes single rows from the BACK of another's
 * share, so the two finish within about one row of each other.
 *
 * A share is one 64-bit word, front | back << 32 (rows of all images,
 * image b's row r is b * h + r), in its own cache line of the caller's
 * workspace; the master thread sets every share before the parallel
 * region (the fork publishes them), so no barrier is added.  Claims are
 * compare-and-swap loops with relaxed order: the phase's data is published
 * by the barrier after it, not by the claims.
 *
 *   ABL_SPLIT_FLOATS     workspace floats of one share (a cache line)
 *   abl_split_init       share k of n threads over `rows` rows
 *   abl_split_next       the next rows for thread `tid`: its own, then stolen
 *   abl_split_halo       the other threads' rows next to a share, inside its images
 */
#ifndef ABLATE_DCNV3_SPLIT_H
#define ABLATE_DCNV3_SPLIT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum { ABL_SPLIT_FLOATS = 16 };

typedef _Atomic uint64_t abl_split_word;

static inline abl_split_word *abl_split_at(float *slot) { return (abl_split_word *)(void *)slot; }

/* Share of thread k of n over rows 0 .. rows - 1: what schedule(static)
 * would give it (contiguous, sizes differing by at most one). */
static inline void abl_split_init(float *slot, int k, int n, int rows)
{
    const uint64_t lo = (uint64_t)((int64_t)rows * k / n), hi = (uint64_t)((int64_t)rows * (k + 1) / n);
    atomic_init(abl_split_at(slot), lo | hi << 32);
}

/* Up to `want` rows from the front (back = 0) or the back of a share, when
 * `shrink`, never more than half of what it has left (rounded up: 5 rows,
 * 3, 1, 1; on model 167 at 80 x 80 the owners' claims shrank so that a
 * thread done early found rows to steal, but on the Emerald Rapids Xeon
 * whole claims measured level there and faster at 20 x 20, so
 * abl_split_next no longer asks for it), and never across an image's last
 * row (h rows an image); 0 when the share is empty, else the count, and
 * *first the first row. */
static inline int abl_split_take(float *slot, int want, int back, int shrink, int h, int *first)
{
    abl_split_word *word = abl_split_at(slot);
    uint64_t cur = atomic_load_explicit(word, memory_order_relaxed);
    for (;;) {
        const uint32_t f = (uint32_t)cur, b = (uint32_t)(cur >> 32);
        if (f >= b)
            return 0;
        const uint32_t half = shrink ? (b - f + 1) / 2 : b - f;
        uint32_t n = half < (uint32_t)want ? half : (uint32_t)want;
        const uint32_t start = back ? b - n : f;
        const uint32_t to_end = (uint32_t)h - start % (uint32_t)h; /* rows left in its image */
        n = n < to_end ? n : to_end;
        const uint64_t next = back ? (f | (uint64_t)(b - n) << 32) : ((f + n) | (uint64_t)b << 32);
        if (atomic_compare_exchange_weak_explicit(word, &cur, next, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *first = (int)start;
            return (int)n;
        }
    }
}

/* The next rows thread tid of n runs: up to `chunk` from the front of its
 * own share, else one row from the back of the next thread's share that
 * has any (a thread that did not start, when the team is smaller than n,
 * leaves its whole share to the others).  Thread k's share is at
 * base + k * stride.  0 when every share is empty.  An owner's claims do
 * not shrink: whole chunks (5, 5 of a 10-row share where the halving gave
 * 5, 3, 1, 1), each tile's fixed costs (the Linears' and output_proj's
 * partial register blocks, the depthwise rows' halo; the 7 x 7 depthwise
 * tile's rows in registers share each input row only within a tile)
 * paid fewer times: one thread's whole chunks measured faster first
 * (perf_deform.md, fifth Intel pass), then two threads' on the Emerald
 * Rapids Xeon (DCNv3 k 7 at 20 x 20: -4.5 to -5.6 % of the 2-thread call,
 * 80 x 80 and 40 x 40 at k 3 level; z-dcnv3's section).  The thief's
 * single rows from the back still end the two threads within about a row
 * of each other. */
static inline int abl_split_next(float *base, ptrdiff_t stride, int tid, int n, int chunk, int h,
                                 int *first)
{
    int got = abl_split_take(base + tid * stride, chunk, 0, 0, h, first);
    for (int i = 1; !got && i < n; i++)
        got = abl_split_take(base + (tid + i) % n * stride, 1, 1, 1, h, first);
    return got;
}

/* The rows next to thread k of n's share (abl_split_init's over `rows`
 * rows, h rows an image) that other threads own, up to `reach` on each
 * side and never past the share's first image's top or its last image's
 * bottom: out[0] .. out[1] - 1 above the share, out[2] .. out[3] - 1
 * below it (empty ranges where there are none: one thread, a share that
 * starts or ends an image, an empty share).  Why: at 2 threads a DCNv3
 * sampler reads these rows of xp, which the other core's phase A wrote,
 * one line at a time as its samples reach them; its 2-thread loss was
 * all those reads (perf_deform.md, eighth Intel pass), so the kernel
 * prefetches them. */
static inline void abl_split_halo(int k, int n, int rows, int h, int reach, int out[4])
{
    const int lo = (int)((int64_t)rows * k / n), hi = (int)((int64_t)rows * (k + 1) / n);
    out[0] = out[1] = lo;
    out[2] = out[3] = hi;
    if (n < 2 || lo >= hi)
        return;
    const int top = lo / h * h, bot = ((hi - 1) / h + 1) * h;
    out[0] = lo - reach > top ? lo - reach : top;
    out[3] = hi + reach < bot ? hi + reach : bot;
}

#endif
