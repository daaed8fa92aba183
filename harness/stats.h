/* harness/stats.h — is a latency change real?  One test shared by
 * `ablate report`, `compare` and `regress`.
 *
 * The CSV and runs/history.csv keep a summary of each timing (median, p10,
 * p90, count), not the raw samples, so the test works from that summary:
 *
 *   spread   sd  ~ (p90 - p10) / 2.563        (p10..p90 of a normal is 2.563 sd)
 *   SE       se(median) ~ 1.2533 sd / sqrt(n)  (asymptotic SE of a sample median)
 *   change   r = new / old;  se(log r) = sqrt((se_old/old)^2 + (se_new/new)^2)
 *   test     z = log r / se(log r), two-sided p = erfc(|z| / sqrt 2)
 *   CI       r * exp(+-z_(1-alpha/2) se(log r))
 *
 * A change is reported only when p < alpha AND |r - 1| > threshold
 * (asv's factor, criterion's noise threshold): on a shared machine a 2 %
 * shift can be "significant" with many samples yet mean nothing.
 *
 * Limits: it assumes timings are roughly normal around the median (real
 * ones are skewed right, so the SE is a little optimistic for the slow
 * tail); samples within one run are treated as independent (they are not
 * when the machine's load drifts — that is what the minimum effect is for);
 * fewer than 3 samples give no verdict ("n<3").
 */
#ifndef ABLATE_STATS_H
#define ABLATE_STATS_H

struct lat_summary {
    double median, p10, p90; /* ms */
    int n;                   /* samples */
};

enum change_verdict { CHANGE_NONE, CHANGE_SLOWER, CHANGE_FASTER, CHANGE_UNKNOWN };

struct lat_change {
    double ratio;        /* new median / old median */
    double lo, hi;       /* CI of the ratio at 1 - alpha */
    double p;            /* two-sided p-value; NaN when unknown */
    enum change_verdict verdict;
};

/* Relative SE of a median (se / median); NaN when n < 3 or median <= 0. */
double stats_rel_se(const struct lat_summary *s);

/* Fills c for new against old.  threshold: minimum |ratio - 1| (0.05);
 * alpha: significance level (0.01).  Verdict UNKNOWN when either side has
 * too few samples (ratio is still filled when both medians exist). */
void stats_compare(const struct lat_summary *old, const struct lat_summary *new, double threshold,
                   double alpha, struct lat_change *c);

/* The verdict for a ratio whose log has standard error se (NaN: unknown). */
void stats_verdict(double ratio, double se, double threshold, double alpha, struct lat_change *c);

/* Ratio a/b with its CI from the same model (for the report). */
void stats_ratio_ci(const struct lat_summary *a, const struct lat_summary *b, double alpha, double *ratio,
                    double *lo, double *hi);

/* "~", "slower", "faster", "n<3". */
const char *stats_verdict_name(enum change_verdict v);

/* The median of v[0..n) (sorts v in place; n > 0). */
double stats_median(double *v, int n);

/* z with P(|Z| > z) = alpha. */
double stats_z_two_sided(double alpha);

#endif
