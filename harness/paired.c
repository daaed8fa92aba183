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

/* Median of round k's samples (scratch holds them while sorting). */
static double round_median(const struct timing_samples *t, int k, double *scratch)
{
    int m = 0;
    for (int i = round_begin(t, k); i < t->round_end[k]; i++)
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

/* The rounds in which t took samples, their medians into med[round]. */
static int own_rounds(const struct timing_samples *t, int *rounds, double *med, double *scratch)
{
    int n = 0;
    for (int k = 0; k < t->rounds; k++)
        if (t->round_end[k] > round_begin(t, k)) {
            med[k] = round_median(t, k, scratch);
            rounds[n++] = k;
        }
    return n;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* One side's undisturbed time: the PAIRED_QUANTILE of the medians of the
 * picked rounds (med[pick[j]]), linear interpolation between order
 * statistics. */
static double side_time(const double *med, const int *pick, int np)
{
    double v[TIMING_ROUNDS];
    for (int j = 0; j < np; j++)
        v[j] = med[pick[j]];
    qsort(v, (size_t)np, sizeof *v, cmp_double);
    double pos = PAIRED_QUANTILE * (np - 1);
    int lo = (int)pos;
    return lo + 1 >= np ? v[np - 1] : v[lo] + (pos - lo) * (v[lo + 1] - v[lo]);
}

void paired_ratio(const struct timing_samples *a, const struct timing_samples *b, struct paired_ratio *r)
{
    r->ratio = r->lo = r->hi = NAN;
    if (!a || !b || a->n <= 0 || b->n <= 0)
        return;
    double *scratch = malloc(sizeof(double) * (size_t)(a->n > b->n ? a->n : b->n));
    double *boot = malloc(sizeof(double) * PAIRED_BOOT);
    double med_a[TIMING_ROUNDS], med_b[TIMING_ROUNDS];
    int rounds[TIMING_ROUNDS], pick[TIMING_ROUNDS];
    int nr = shared_rounds(a, b, rounds);
    if (!scratch || !boot || nr == 0) {
        free(scratch), free(boot);
        return;
    }
    for (int j = 0; j < nr; j++) {
        med_a[rounds[j]] = round_median(a, rounds[j], scratch);
        med_b[rounds[j]] = round_median(b, rounds[j], scratch);
    }
    /* Fewer than 3 shared rounds (sample counts below TIMING_ROUNDS leave
     * some rounds empty): each side over all of its own rounds. */
    int own_a[TIMING_ROUNDS], own_b[TIMING_ROUNDS];
    int na = nr >= 3 ? nr : own_rounds(a, own_a, med_a, scratch);
    int nb = nr >= 3 ? nr : own_rounds(b, own_b, med_b, scratch);
    double ta = side_time(med_a, nr >= 3 ? rounds : own_a, na);
    double tb = side_time(med_b, nr >= 3 ? rounds : own_b, nb);
    r->ratio = ta > 0 && tb > 0 ? ta / tb : NAN;
    if (nr >= 3 && !isnan(r->ratio)) {
        struct rng g;
        rng_seed(&g, 0x5eed);
        for (int d = 0; d < PAIRED_BOOT; d++) {
            for (int j = 0; j < nr; j++)
                pick[j] = rounds[rng_next(&g) % (uint32_t)nr];
            boot[d] = side_time(med_a, pick, nr) / side_time(med_b, pick, nr);
        }
        stats_median(boot, PAIRED_BOOT); /* sorts: the quantiles are read off below */
        double tail = (1 - PAIRED_LEVEL) / 2;
        r->lo = boot[(int)(tail * (PAIRED_BOOT - 1))];
        r->hi = boot[(int)((1 - tail) * (PAIRED_BOOT - 1) + 0.5)];
    }
    free(scratch), free(boot);
}
