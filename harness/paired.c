/* harness/paired.c — see paired.h. */
#include "paired.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "stats.h"

static int round_begin(const struct timing_samples *t, int k)
{
    return k ? t->round_end[k - 1] : 0;
}

/* Median of the samples of the chosen rounds (pick[0..np)), into scratch. */
static double median_of_rounds(const struct timing_samples *t, const int *pick, int np, double *scratch)
{
    int m = 0;
    for (int j = 0; j < np; j++)
        for (int i = round_begin(t, pick[j]); i < t->round_end[pick[j]]; i++)
            scratch[m++] = t->s[i];
    return m ? stats_median(scratch, m) : NAN;
}

/* The rounds in which both sides took samples. */
static int shared_rounds(const struct timing_samples *a, const struct timing_samples *b, int *rounds)
{
    int n = 0, nr = a->rounds < b->rounds ? a->rounds : b->rounds;
    for (int k = 0; k < nr; k++)
        if (a->round_end[k] > round_begin(a, k) && b->round_end[k] > round_begin(b, k))
            rounds[n++] = k;
    return n;
}

void paired_ratio(const struct timing_samples *a, const struct timing_samples *b, struct paired_ratio *r)
{
    r->ratio = r->lo = r->hi = NAN;
    if (!a || !b || a->n <= 0 || b->n <= 0)
        return;
    /* a draw may take the largest round every time: room for TIMING_ROUNDS of them */
    double *scratch = malloc(sizeof(double) * TIMING_ROUNDS * (size_t)(a->n > b->n ? a->n : b->n));
    double *boot = malloc(sizeof(double) * PAIRED_BOOT);
    int rounds[TIMING_ROUNDS], all[TIMING_ROUNDS], pick[TIMING_ROUNDS];
    if (!scratch || !boot) {
        free(scratch), free(boot);
        return;
    }
    for (int k = 0; k < TIMING_ROUNDS; k++)
        all[k] = k;
    double ma = median_of_rounds(a, all, a->rounds, scratch), mb = median_of_rounds(b, all, b->rounds, scratch);
    r->ratio = ma > 0 && mb > 0 ? ma / mb : NAN;
    int nr = shared_rounds(a, b, rounds);
    if (nr >= 3 && !isnan(r->ratio)) {
        struct rng g;
        rng_seed(&g, 0x5eed);
        for (int d = 0; d < PAIRED_BOOT; d++) {
            for (int j = 0; j < nr; j++)
                pick[j] = rounds[rng_next(&g) % (uint32_t)nr];
            boot[d] = median_of_rounds(a, pick, nr, scratch) / median_of_rounds(b, pick, nr, scratch);
        }
        stats_median(boot, PAIRED_BOOT); /* sorts: the quantiles are read off below */
        double tail = (1 - PAIRED_LEVEL) / 2;
        r->lo = boot[(int)(tail * (PAIRED_BOOT - 1))];
        r->hi = boot[(int)((1 - tail) * (PAIRED_BOOT - 1) + 0.5)];
    }
    free(scratch), free(boot);
}
