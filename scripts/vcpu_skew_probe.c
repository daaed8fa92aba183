/* scripts/vcpu_skew_probe.c — the spread and cost of the harness's vCPU
 * skew probe (harness/vcpu_skew.h), measured on this machine.
 *
 * Takes N samples of vcpu_skew() (the probe every timed row runs, about
 * 0.2 ms of chain on each vCPU), 20 ms apart, and prints the minimum,
 * median, 90th percentile and maximum skew and the median wall time of one
 * probe.  Run it quiet, then with one vCPU loaded (docs/measurement.md,
 * "Uneven vCPUs"), e.g.  taskset -c 1 nice -n 10 sh -c 'while :; do :; done' &
 *
 * Build:  cc -O2 -std=c11 -D_GNU_SOURCE -pthread -Iharness scripts/vcpu_skew_probe.c \
 *            harness/vcpu_skew.c harness/vcpu_roundtrip.c harness/stats.c -lm \
 *            -o build/vcpu_skew_probe
 * Run:    build/vcpu_skew_probe [N]   (default 200; exit 1 if a probe fails) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"
#include "vcpu_skew.h"

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    if (n < 1)
        n = 1;
    double *skew = malloc(sizeof(double) * (size_t)n), *cost = malloc(sizeof(double) * (size_t)n);
    if (!skew || !cost) {
        fprintf(stderr, "vcpu_skew_probe: out of memory\n");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        double t0 = seconds();
        skew[i] = vcpu_skew();
        cost[i] = seconds() - t0;
        if (isnan(skew[i])) {
            fprintf(stderr,
                    "vcpu_skew_probe: the probe failed (fewer than two CPUs, or cannot pin)\n");
            return 1;
        }
        usleep(20000);
    }
    qsort(skew, (size_t)n, sizeof *skew, by_value);
    printf("%d samples: skew min %.3f median %.3f p90 %.3f max %.3f; one probe %.3f ms (median)\n",
           n, skew[0], skew[n / 2], skew[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], skew[n - 1],
           1e3 * stats_median(cost, n));
    free(skew);
    free(cost);
    return 0;
}
