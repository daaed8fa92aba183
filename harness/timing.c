/* harness/timing.c — see timing.h. */
#include "timing.h"

#include "vcpu_gate.h"
#include "vcpu_roundtrip.h"
#include "vcpu_skew.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void timing_opts_default(struct timing_opts *o, int quick)
{
    o->min_time_s = quick ? 0.03 : 0.25;
    o->min_samples = quick ? 3 : 15;
    o->max_samples = quick ? 20 : 400;
    o->max_load = 0.3;
    o->retries = quick ? 0 : 2;
    o->probe_placement = 1;
    o->placement_wait_s = timing_placement_budget(quick);
    o->gate = NULL;
}

void timing_opts_for_threads(struct timing_opts *o, int threads)
{
    if (threads < 2)
        o->placement_wait_s = 0;
}

double timing_placement_budget(int quick)
{
    const char *env = getenv("ABLATE_PLACEMENT_WAIT");
    char *end;
    double s = env && *env ? strtod(env, &end) : -1;
    if (env && *env && *end == '\0' && s >= 0)
        return s;
    return quick ? 0 : TIMING_PLACEMENT_WAIT_S;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Linear interpolation between order statistics (numpy's default). */
static double quantile(const double *sorted, int n, double q)
{
    double pos = q * (n - 1);
    int lo = (int)pos;
    if (lo + 1 >= n)
        return sorted[n - 1];
    return sorted[lo] + (pos - lo) * (sorted[lo + 1] - sorted[lo]);
}

int timing_unsteady(const double *s, int n)
{
    if (n < 5)
        return 0;
    double *c = malloc(sizeof *c * (size_t)n);
    if (!c)
        return 0;
    memcpy(c, s, sizeof *c * (size_t)n);
    qsort(c, (size_t)n, sizeof *c, cmp_double);
    int unsteady = quantile(c, n, 0.5) > TIMING_UNSTEADY * quantile(c, n, 0.1);
    free(c);
    return unsteady;
}

void timing_stats(double *s, int n, struct timing_result *r)
{
    if (n <= 0) {
        r->median_ms = r->p10_ms = r->p90_ms = r->min_ms = NAN;
        r->samples = 0;
        return;
    }
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    r->median_ms = 1e3 * quantile(s, n, 0.5);
    r->p10_ms = 1e3 * quantile(s, n, 0.1);
    r->p90_ms = 1e3 * quantile(s, n, 0.9);
    r->min_ms = 1e3 * s[0];
    r->samples = n;
}

/* /proc/stat "cpu" line: busy = all but idle and iowait. */
static long long busy_all_ticks(void)
{
    FILE *f = fopen("/proc/stat", "r");
    long long v[10] = {0};
    if (!f)
        return 0;
    int got = fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1],
                     &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
    fclose(f);
    if (got < 8)
        return 0;
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

/* utime + stime of this process (all its threads) from /proc/self/stat. */
static long long busy_self_ticks(void)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    long long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &ut, &st) != 2)
        return 0;
    return ut + st;
}

void load_mark(struct load_mark *m)
{
    m->wall = now_s();
    m->busy_all = busy_all_ticks();
    m->busy_self = busy_self_ticks();
}

double load_since(const struct load_mark *m)
{
    double dt = now_s() - m->wall;
    long long other = (busy_all_ticks() - m->busy_all) - (busy_self_ticks() - m->busy_self);
    double hz = (double)sysconf(_SC_CLK_TCK);
    if (dt <= 0 || hz <= 0)
        return 0;
    double load = (double)other / hz / dt;
    return load < 0 ? 0 : load;
}

static int target_samples(const struct timed_impl *t, const struct timing_opts *o)
{
    double call = t->first_call_s > 1e-7 ? t->first_call_s : 1e-7;
    double want = ceil(o->min_time_s / call);
    if (want < o->min_samples)
        want = o->min_samples;
    if (want > o->max_samples)
        want = o->max_samples;
    return (int)want;
}

/* The larger round trip; NaN only when both are. */
static double larger(double a, double b) { return isnan(a) || b > a ? b : a; }

/* One pass of interleaved rounds; samples[i] gets target[i] timings and
 * round_end[i][r] marks where round r of impl i ended.  With a gate the
 * round trip is probed after every round (about 1 ms) into *rt_max, and the
 * vCPU skew (about 0.3 ms, vcpu_skew.h) into *skew_max; the pass gives up
 * (returns 1) when the gate wants it redone; else 0. */
static int interleaved_pass(struct timed_impl *impls, int n, double **samples, const int *target,
                            int (*round_end)[TIMING_ROUNDS], void (*progress)(void *, int), void *arg,
                            struct vcpu_gate *gate, double *rt_max, double *skew_max)
{
    int have[TIMING_IMPLS_MAX] = {0}, max_target = 0;
    for (int i = 0; i < n; i++)
        max_target = target[i] > max_target ? target[i] : max_target;
    int rounds = max_target < TIMING_ROUNDS ? max_target : TIMING_ROUNDS;
    for (int round = 0; round < rounds; round++) {
        for (int k = 0; k < n; k++) {
            int i = round % 2 ? n - 1 - k : k; /* A B, then B A: neither side always goes first */
            int quota = (target[i] * (round + 1)) / rounds - have[i];
            if (quota > 0) {
                if (progress)
                    progress(arg, i);
                impls[i].fn(impls[i].ctx); /* re-warm after the neighbour churned the caches */
            }
            for (int c = 0; c < quota; c++) {
                double t0 = now_s();
                impls[i].fn(impls[i].ctx);
                samples[i][have[i]++] = now_s() - t0;
            }
            round_end[i][round] = have[i];
        }
        if (gate && round + 1 < rounds) {
            *rt_max = larger(*rt_max, gate->probe(gate->arg));
            *skew_max = vcpu_skew_larger(*skew_max, vcpu_gate_skew(gate));
            if (vcpu_gate_redo(gate, *rt_max) || vcpu_gate_redo_skew(gate, *skew_max))
                return 1;
        }
    }
    return 0;
}

/* The samples in the order taken, for paired comparisons: 0, or -1 when
 * out of memory (k->s stays NULL). */
static int keep_samples(struct timing_samples *k, const double *s, int n, const int *round_end, int rounds)
{
    k->s = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (!k->s)
        return -1;
    memcpy(k->s, s, sizeof(double) * (size_t)n);
    k->n = n;
    k->rounds = rounds;
    memcpy(k->round_end, round_end, sizeof k->round_end);
    return 0;
}

void timing_samples_free(struct timing_samples *k)
{
    free(k->s);
    k->s = NULL;
    k->n = 0;
}

int timing_run(struct timed_impl *impls, int n, const struct timing_opts *o,
               void (*progress)(void *, int), void *arg)
{
    double *samples[TIMING_IMPLS_MAX];
    int target[TIMING_IMPLS_MAX], round_end[TIMING_IMPLS_MAX][TIMING_ROUNDS] = {{0}}, max_target = 0;
    for (int i = 0; i < n; i++) {
        target[i] = target_samples(&impls[i], o);
        max_target = target[i] > max_target ? target[i] : max_target;
        samples[i] = malloc(sizeof(double) * (size_t)target[i]);
        if (!samples[i]) {
            while (i-- > 0)
                free(samples[i]);
            return -1;
        }
    }
    double load = 0, roundtrip = NAN, skew = NAN;
    struct vcpu_gate own, *gate = o->gate ? o->gate : &own;
    if (!o->gate)
        vcpu_gate_init(&own, o->probe_placement ? o->placement_wait_s : 0);
    double waited_before = gate->waited_s;
    gate->redos = 0; /* the redo bound is per timing, the wait budget the gate's */
    for (int attempt = 0; attempt <= o->retries;) {
        double rt = o->probe_placement ? vcpu_gate_wait(gate) : NAN;
        /* this pass's samples only: the wait's last one, then the rounds' */
        skew = o->probe_placement ? gate->skew_last : NAN;
        struct load_mark m;
        load_mark(&m);
        int moved = interleaved_pass(impls, n, samples, target, round_end, progress, arg,
                                     gate->budget_s > 0 ? gate : NULL, &rt, &skew);
        load = load_since(&m);
        if (moved)
            continue; /* the host moved a vCPU during the pass: wait for near and time it again */
        roundtrip = o->probe_placement ? larger(rt, vcpu_roundtrip_ns()) : NAN;
        skew = o->probe_placement ? vcpu_skew_larger(skew, vcpu_gate_skew(gate)) : NAN;
        if (vcpu_gate_redo(gate, roundtrip) || vcpu_gate_redo_skew(gate, skew))
            continue;
        int steady = 1;
        for (int i = 0; i < n && steady; i++)
            steady = !timing_unsteady(samples[i], target[i]);
        if ((load <= o->max_load && steady) || attempt++ == o->retries)
            break;
        /* A co-tenant was busy (or, unseen by the guest, the host): wait
         * for a quiet window (up to ~2 s) and measure again. */
        for (int w = 0; w < 10; w++) {
            struct load_mark q;
            load_mark(&q);
            usleep(200000);
            if (load_since(&q) <= o->max_load)
                break;
        }
    }
    int rounds = max_target < TIMING_ROUNDS ? max_target : TIMING_ROUNDS, rc = 0;
    for (int i = 0; i < n; i++) {
        if (impls[i].keep && keep_samples(impls[i].keep, samples[i], target[i], round_end[i], rounds) != 0)
            rc = -1;
        timing_stats(samples[i], target[i], &impls[i].result);
        impls[i].result.load = load;
        impls[i].result.roundtrip_ns = roundtrip;
        impls[i].result.vcpu_skew = skew;
        impls[i].result.placement_waited_s = gate->waited_s - waited_before;
        free(samples[i]);
    }
    return rc;
}
