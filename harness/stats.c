/* harness/stats.c — the change test described in stats.h. */
#include <math.h>
#include <stdlib.h>

#include "stats.h"

/* p10..p90 of a normal spans 2 * 1.28155 sd. */
#define P10_P90_SD 2.5631
/* Asymptotic efficiency of the median: se = sqrt(pi/2) sd / sqrt(n). */
#define MEDIAN_SE 1.2533

double stats_rel_se(const struct lat_summary *s)
{
    if (s->n < 3 || !(s->median > 0) || isnan(s->p10) || isnan(s->p90))
        return NAN;
    double sd = (s->p90 - s->p10) / P10_P90_SD;
    return MEDIAN_SE * fmax(sd, 0) / sqrt((double)s->n) / s->median;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double stats_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double stats_z_two_sided(double alpha)
{
    /* erfc is monotone: bisection is exact enough and needs no table */
    double lo = 0, hi = 40;
    for (int i = 0; i < 100; i++) {
        double mid = (lo + hi) / 2;
        if (erfc(mid / sqrt(2.0)) > alpha)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

void stats_ratio_ci(const struct lat_summary *a, const struct lat_summary *b, double alpha, double *ratio,
                    double *lo, double *hi)
{
    *ratio = a->median > 0 && b->median > 0 ? a->median / b->median : NAN;
    double se = hypot(stats_rel_se(a), stats_rel_se(b));
    double z = stats_z_two_sided(alpha);
    *lo = isnan(se) ? NAN : *ratio * exp(-z * se);
    *hi = isnan(se) ? NAN : *ratio * exp(z * se);
}

void stats_verdict(double ratio, double se, double threshold, double alpha, struct lat_change *c)
{
    double z = stats_z_two_sided(alpha);
    c->ratio = ratio;
    c->lo = isnan(se) ? NAN : ratio * exp(-z * se);
    c->hi = isnan(se) ? NAN : ratio * exp(z * se);
    c->p = NAN;
    c->verdict = CHANGE_UNKNOWN;
    if (isnan(se) || isnan(ratio))
        return;
    double lr = log(ratio);
    /* spreads of zero width: any difference is exact, none is no change */
    c->p = se > 0 ? erfc(fabs(lr / se) / sqrt(2.0)) : (lr == 0 ? 1.0 : 0.0);
    c->verdict = CHANGE_NONE;
    if (c->p < alpha && fabs(ratio - 1) > threshold)
        c->verdict = ratio > 1 ? CHANGE_SLOWER : CHANGE_FASTER;
}

void stats_compare(const struct lat_summary *old, const struct lat_summary *new, double threshold,
                   double alpha, struct lat_change *c)
{
    double ratio = old->median > 0 && new->median > 0 ? new->median / old->median : NAN;
    stats_verdict(ratio, hypot(stats_rel_se(old), stats_rel_se(new)), threshold, alpha, c);
}

const char *stats_verdict_name(enum change_verdict v)
{
    switch (v) {
    case CHANGE_SLOWER:
        return "slower";
    case CHANGE_FASTER:
        return "faster";
    case CHANGE_UNKNOWN:
        return "n<3";
    default:
        return "~";
    }
}
