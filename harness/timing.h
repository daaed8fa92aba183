/* harness/timing.h — the timing loop (DESIGN.md "Measurement rules").
 *
 * Several implementations of one configuration are timed together,
 * interleaved: every round visits each one (order reversed every other round)
 * so machine noise hits them alike.  Each visit re-warms the implementation's
 * buffers with one untimed call, then times `per_visit` calls one by one.
 * Sample counts adapt: enough calls for min_time seconds and at least
 * min_samples, at most max_samples.  Other processes' CPU use is read from
 * /proc/stat around the loop; above `max_load` cores, or when the pass was
 * unsteady (timing_unsteady), the loop waits for a quiet window and is
 * retried (the load seen is reported either way).
 * Before and after each pass (and between its rounds where the wait below
 * applies) the cache-line round trip between the first two vCPUs is
 * sampled (about 1 ms each, vcpu_roundtrip.h) and the largest is reported
 * beside the load: it says whether the host ran the vCPUs near
 * or far apart.  Beside each round trip the two vCPUs' speed on the same
 * fixed chain is compared (vcpu_skew.h, about 0.3 ms) and the largest
 * slower/faster ratio reported: it says whether the host ran one vCPU
 * slow.  Where `placement_wait_s` > 0 (multi-threaded timings) the
 * pass waits, up to that budget, for a near placement and is redone when
 * the placement turned far during it (vcpu_gate.h; docs/measurement.md,
 * "Waiting for a near placement"). */
#ifndef ABLATE_TIMING_H
#define ABLATE_TIMING_H

#define TIMING_IMPLS_MAX 16

struct vcpu_gate;
/* Rounds of the interleaved loop: every impl is visited this many times
 * (fewer when it takes fewer samples); paired.c resamples them. */
#define TIMING_ROUNDS 8

struct timing_opts {
    double min_time_s;   /* per implementation */
    int min_samples, max_samples;
    double max_load;     /* cores used by other processes that trigger a retry */
    int retries;
    int probe_placement; /* sample the vCPU round trip around the loop (vcpu_roundtrip.h) */
    double placement_wait_s; /* budget to wait for a near placement (vcpu_gate.h); 0: never.
                              * Set it to 0 for 1-thread timings: they do not depend on it. */
    struct vcpu_gate *gate;  /* NULL: each timing_run waits up to placement_wait_s; else this
                              * gate's budget, shared by the caller's timings (model --bench) */
};

struct timing_result {
    double median_ms, p10_ms, p90_ms, min_ms;
    int samples;
    double load; /* other processes' CPU use, in cores, during the loop */
    double roundtrip_ns; /* vCPU round trip, the larger of before and after the pass kept; NaN: not sampled */
    double vcpu_skew;    /* slower/faster vCPU on a fixed chain (vcpu_skew.h), the largest sample
                          * of the pass kept, sampled where roundtrip_ns is; NaN: not sampled */
    double placement_waited_s; /* time spent waiting for a near placement */
};

typedef void (*timed_fn)(void *ctx);

/* The raw samples of one impl, in the order taken (seconds), and where
 * each round's visit ended: samples [round_end[k-1], round_end[k]) were
 * taken in round k.  Impls timed in one timing_run share their rounds, so
 * two of them can be compared round by round (paired.h). */
struct timing_samples {
    double *s;
    int n, rounds;
    int round_end[TIMING_ROUNDS];
};

struct timed_impl {
    timed_fn fn;
    void *ctx;
    double first_call_s; /* from the parity run: seeds the sample count */
    struct timing_result result;
    struct timing_samples *keep; /* NULL, or filled with the samples (free with timing_samples_free) */
};

/* Quick: fewer samples, no retries, no placement wait.  The environment
 * variable ABLATE_PLACEMENT_WAIT (seconds, 0 to turn it off) overrides the
 * placement budget either way (default TIMING_PLACEMENT_WAIT_S). */
#define TIMING_PLACEMENT_WAIT_S 60.0
void timing_opts_default(struct timing_opts *o, int quick);
/* A one-thread timing never waits for a placement: where the host runs the
 * second vCPU does not matter to it (sets placement_wait_s to 0). */
void timing_opts_for_threads(struct timing_opts *o, int threads);
/* The placement budget alone (for timings outside timing_run: the peers). */
double timing_placement_budget(int quick);
/* Times every impl; results in impls[i].result.  `progress` (may be NULL)
 * is called with the index of the impl about to run (the sweep child uses it
 * to tell the parent which impl hung or crashed).  0, or -1 when the sample
 * buffers (or the samples an impl asked to keep) cannot be allocated
 * (TIMING_OOM says so). */
#define TIMING_OOM "out of memory for timing samples"
int timing_run(struct timed_impl *impls, int n, const struct timing_opts *o,
                void (*progress)(void *arg, int impl), void *arg);

void timing_samples_free(struct timing_samples *k);

double now_s(void);
/* 1 when a pass's samples (any order, not changed) have their median more
 * than TIMING_UNSTEADY times their p10: half the calls ran slow, as when
 * the host lends the other vCPU's core away (seen with the guest's load
 * and steal at 0: a 2-thread AKConv row at median 1.49 ms, p10 0.75).  Such
 * a pass is timed again like one under load (at most `retries` times). */
#define TIMING_UNSTEADY 1.25
int timing_unsteady(const double *s, int n);
/* Sorted-sample statistics (sorts `s` in place). */
void timing_stats(double *s, int n, struct timing_result *r);

/* Other processes' CPU use between two readings, in cores. */
struct load_mark {
    double wall;
    long long busy_all, busy_self; /* clock ticks */
};
void load_mark(struct load_mark *m);
double load_since(const struct load_mark *m);

#endif
