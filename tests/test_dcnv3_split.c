/* tests/test_dcnv3_split.c — the rows of a DCNv3 phase shared out between
 * threads with the ends stolen (gen/runtime/ablate_dcnv3_split.h).
 *
 * Checked: every row of every image is run exactly once, whatever order
 * the threads claim in and when some threads of the team never start; a
 * claim never crosses an image's last row; an owner takes at most `chunk`
 * rows (abl_split_take when asked to shrink: at most half of what its
 * share has left), a thief one row from the back of another's share;
 * owners take whole chunks (abl_split_next, one thread or several); and
 * the same under a real OpenMP team. */
#include <criterion/criterion.h>
#include <omp.h>
#include <stdatomic.h>
#include <string.h>

#include "ablate_dcnv3_split.h"

enum { MAX_THREADS = 4, MAX_ROWS = 256, STRIDE = 2 * ABL_SPLIT_FLOATS };

/* Shares of n threads, one cache line apart (the kernels' PRIV stride). */
struct shares {
    _Alignas(64) float slot[MAX_THREADS * STRIDE];
};

static void shares_init(struct shares *s, int n, int rows)
{
    for (int k = 0; k < n; k++)
        abl_split_init(s->slot + k * STRIDE, k, n, rows);
}

/* Claims round-robin among the first `active` of n threads until every
 * share is empty; counts each row's runs and checks each claim. */
static void drain(struct shares *s, int n, int active, int chunk, int h, int *runs)
{
    int busy = active;
    while (busy) {
        busy = 0;
        for (int tid = 0; tid < active; tid++) {
            int first = -1;
            const int got = abl_split_next(s->slot, STRIDE, tid, n, chunk, h, &first);
            if (!got)
                continue;
            busy = 1;
            cr_assert(got >= 1 && got <= chunk, "claim of %d rows, chunk %d", got, chunk);
            cr_assert_eq(first / h, (first + got - 1) / h, "claim %d+%d crosses an image", first, got);
            for (int r = first; r < first + got; r++)
                runs[r]++;
        }
    }
}

static void check_cover(int rows, int h, int n, int active, int chunk)
{
    struct shares s;
    int runs[MAX_ROWS];
    memset(runs, 0, sizeof runs);
    shares_init(&s, n, rows);
    drain(&s, n, active, chunk, h, runs);
    for (int r = 0; r < rows; r++)
        cr_assert_eq(runs[r], 1, "rows %d h %d threads %d/%d chunk %d: row %d ran %d times", rows, h,
                     active, n, chunk, r, runs[r]);
}

Test(dcnv3_split, every_row_once)
{
    /* one image of 80 rows (L16) and of 20 (L24), two images of 7, rows
     * that do not divide evenly, more threads than rows */
    const int cases[][4] = {{80, 80, 2, 5}, {20, 20, 2, 5}, {14, 7, 2, 3}, {14, 7, 3, 4},
                            {33, 11, 4, 2}, {3, 3, 4, 5},   {1, 1, 2, 1}};
    for (int i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++)
        for (int active = 1; active <= cases[i][2]; active++)
            check_cover(cases[i][0], cases[i][1], cases[i][2], active, cases[i][3]);
}

/* An owner's claims: 5-row tiles while its share has 10 or more rows left,
 * then halves (5, 3, 1, 1 of the last 10); a thief takes the share's last
 * row, the owner's front is unchanged. */
Test(dcnv3_split, owner_front_thief_back)
{
    struct shares s;
    shares_init(&s, 1, 20);
    int first = -1, want[][2] = {{0, 5}, {5, 5}, {10, 5}, {15, 3}};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(abl_split_take(s.slot, 5, 0, 1, 20, &first), want[i][1]);
        cr_assert_eq(first, want[i][0]);
    }
    cr_assert_eq(abl_split_take(s.slot, 1, 1, 1, 20, &first), 1); /* a thief: row 19 */
    cr_assert_eq(first, 19);
    cr_assert_eq(abl_split_take(s.slot, 5, 0, 1, 20, &first), 1); /* the owner: row 18 */
    cr_assert_eq(first, 18);
    cr_assert_eq(abl_split_take(s.slot, 5, 0, 1, 20, &first), 0);
    cr_assert_eq(abl_split_take(s.slot, 1, 1, 1, 20, &first), 0);
}

/* One thread (n = 1) has no thief to leave rows for: its claims are whole
 * chunks to the end of each image (5, 5, 5, 5 of 20 rows where shrinking
 * claims gave 5, 5, 5, 3, 1, 1; 7 and 7 of two 7-row images at chunk 10),
 * and the rows are covered once. */
Test(dcnv3_split, one_thread_whole_chunks)
{
    const int cases[][4] = {{20, 20, 5, 4}, {40, 40, 10, 4}, {14, 7, 10, 2}, {12, 12, 5, 3}};
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        const int rows = cases[c][0], h = cases[c][1], chunk = cases[c][2];
        struct shares s;
        shares_init(&s, 1, rows);
        int first = -1, got, claims = 0, next = 0;
        while ((got = abl_split_next(s.slot, STRIDE, 0, 1, chunk, h, &first)) > 0) {
            const int left = h - next % h;
            cr_assert_eq(first, next, "case %d: claim at row %d, expected %d", c, first, next);
            cr_assert_eq(got, left < chunk ? left : chunk, "case %d: claim of %d rows at row %d", c,
                         got, first);
            next += got, claims++;
        }
        cr_assert_eq(next, rows);
        cr_assert_eq(claims, cases[c][3], "case %d: %d claims", c, claims);
    }
}

/* Two threads: an owner's claims are whole chunks too (5, 5 of a 10-row
 * share, where shrinking claims gave 5, 3, 1, 1: the 7 x 7 depthwise tile
 * shares input rows only within a claim), to the end of its image; a
 * thread whose share is empty takes single rows from the back of the
 * other's. */
Test(dcnv3_split, two_threads_whole_chunks)
{
    struct shares s;
    shares_init(&s, 2, 20); /* thread 0: rows 0 .. 9, thread 1: 10 .. 19 */
    int first = -1;
    cr_assert_eq(abl_split_next(s.slot, STRIDE, 0, 2, 5, 20, &first), 5);
    cr_assert_eq(first, 0);
    cr_assert_eq(abl_split_next(s.slot, STRIDE, 0, 2, 5, 20, &first), 5);
    cr_assert_eq(first, 5);
    cr_assert_eq(abl_split_next(s.slot, STRIDE, 0, 2, 5, 20, &first), 1); /* stolen: row 19 */
    cr_assert_eq(first, 19);
    cr_assert_eq(abl_split_next(s.slot, STRIDE, 1, 2, 5, 20, &first), 5);
    cr_assert_eq(first, 10);
    cr_assert_eq(abl_split_next(s.slot, STRIDE, 1, 2, 5, 20, &first), 4); /* 15 .. 18 */
    cr_assert_eq(first, 15);
    /* two images of 7 rows, shares of 7: whole chunks stop at the image's end */
    shares_init(&s, 2, 14);
    cr_assert_eq(abl_split_next(s.slot, STRIDE, 1, 2, 5, 7, &first), 5);
    cr_assert_eq(first, 7);
    cr_assert_eq(abl_split_next(s.slot, STRIDE, 1, 2, 5, 7, &first), 2);
    cr_assert_eq(first, 12);
}

/* Threads of a real team claim concurrently (each claim a CAS on a shared
 * word); each row must still run once. */
Test(dcnv3_split, openmp_team_runs_each_row_once)
{
    enum { ROWS = 240, H = 60, ROUNDS = 50 };
    for (int round = 0; round < ROUNDS; round++) {
        struct shares s;
        _Atomic int runs[ROWS];
        for (int r = 0; r < ROWS; r++)
            atomic_init(&runs[r], 0);
        const int n = 2 + round % 3;
        shares_init(&s, n, ROWS);
#pragma omp parallel num_threads(n)
        {
            int first, got;
            while ((got = abl_split_next(s.slot, STRIDE, omp_get_thread_num(), n, 4, H, &first)) > 0)
                for (int r = first; r < first + got; r++)
                    atomic_fetch_add(&runs[r], 1);
        }
        for (int r = 0; r < ROWS; r++)
            cr_assert_eq(atomic_load(&runs[r]), 1, "round %d: row %d ran %d times", round, r,
                         atomic_load(&runs[r]));
    }
}

/* The halo abl_split_halo gives a share (the rows the DCNv3 kernel
 * prefetches at 2 threads): the other threads' rows within `reach` of
 * the share, above and below, cut at the share's images' top and bottom;
 * none at 1 thread or where the share is a whole image. */
Test(dcnv3_split, halo_next_to_a_share)
{
    /* k, n, rows, h, reach, then rows above [r0, r1) and below [r2, r3) */
    const int cases[][9] = {
        {0, 2, 40, 40, 8, 0, 0, 20, 28},   /* L13's top share: below only */
        {1, 2, 40, 40, 8, 12, 20, 40, 40}, /* its bottom share: above only */
        {0, 1, 40, 40, 8, 0, 0, 40, 40},   /* one thread: none */
        {1, 3, 40, 40, 8, 5, 13, 26, 34},  /* a middle share: both sides */
        {1, 3, 40, 40, 30, 0, 13, 26, 40}, /* reach past the image: cut */
        {0, 2, 40, 20, 8, 0, 0, 20, 20},   /* batch 2: each share one image */
        {1, 2, 30, 10, 8, 10, 15, 30, 30}, /* starts mid image: cut at its top */
        {3, 4, 2, 1, 8, 1, 1, 2, 2},       /* more threads than rows: empty */
    };
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        const int *e = cases[c];
        int r[4];
        abl_split_halo(e[0], e[1], e[2], e[3], e[4], r);
        for (int i = 0; i < 4; i++)
            cr_assert_eq(r[i], e[5 + i], "case %d: bound %d is %d, expected %d", c, i, r[i],
                         e[5 + i]);
    }
}
