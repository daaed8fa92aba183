/* tests/test_paired.c — the ratio of two implementations timed in one
 * interleaved loop (paired.h): drift shared by both sides cancels, the
 * interval covers the true ratio, too few rounds give no interval, and
 * timing_run hands back its samples round by round. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "paired.h"
#include "rng.h"

/* `rounds` rounds of `per` samples: base * drift[round] * noise. */
static void fill(struct timing_samples *t, double *buf, int rounds, int per, double base, const double *drift,
                 struct rng *noise, double sd)
{
    t->s = buf, t->n = rounds * per, t->rounds = rounds;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < per; i++)
            buf[r * per + i] = base * drift[r] * (noise ? 1 + sd * rng_normal(noise) : 1);
        t->round_end[r] = (r + 1) * per;
    }
}

Test(paired, shared_drift_cancels)
{
    double drift[TIMING_ROUNDS] = {1.0, 1.3, 0.9, 2.0, 1.1, 1.0, 1.6, 1.2}, a_buf[80], b_buf[80];
    struct timing_samples a, b;
    struct paired_ratio r;
    fill(&a, a_buf, TIMING_ROUNDS, 10, 2.0, drift, NULL, 0);
    fill(&b, b_buf, TIMING_ROUNDS, 10, 1.0, drift, NULL, 0);
    paired_ratio(&a, &b, &r);
    cr_expect_float_eq(r.ratio, 2.0, 1e-12);
    cr_expect_float_eq(r.lo, 2.0, 1e-12, "a co-tenant slowing a whole round slows both sides: %g", r.lo);
    cr_expect_float_eq(r.hi, 2.0, 1e-12, "%g", r.hi);
}

/* Over 100 simulated runs with 5 % noise the 95 % interval covers the
 * true ratio most of the time (8 rounds make the bootstrap a little
 * narrow: about 90 % was seen), and is never absurdly wide. */
Test(paired, interval_covers_the_ratio)
{
    double drift[TIMING_ROUNDS] = {1, 1, 1, 1, 1, 1, 1, 1}, a_buf[80], b_buf[80];
    int covered = 0;
    for (int seed = 0; seed < 100; seed++) {
        struct timing_samples a, b;
        struct paired_ratio r;
        struct rng g;
        rng_seed(&g, (uint64_t)seed);
        fill(&a, a_buf, TIMING_ROUNDS, 10, 1.5, drift, &g, 0.05);
        fill(&b, b_buf, TIMING_ROUNDS, 10, 1.0, drift, &g, 0.05);
        paired_ratio(&a, &b, &r);
        covered += r.lo < 1.5 && 1.5 < r.hi;
        cr_expect(r.lo <= r.ratio && r.ratio <= r.hi && r.hi - r.lo < 0.15, "%g in [%g, %g]", r.ratio, r.lo, r.hi);
    }
    cr_expect(covered >= 80, "covered %d of 100", covered);
}

Test(paired, two_rounds_give_no_interval)
{
    double drift[2] = {1, 1}, a_buf[10], b_buf[10];
    struct timing_samples a, b;
    struct paired_ratio r;
    fill(&a, a_buf, 2, 5, 3.0, drift, NULL, 0);
    fill(&b, b_buf, 2, 5, 1.0, drift, NULL, 0);
    paired_ratio(&a, &b, &r);
    cr_expect_float_eq(r.ratio, 3.0, 1e-12);
    cr_expect(isnan(r.lo) && isnan(r.hi));
}

/* Rounds of unequal size (timing_run's quotas are): a draw that takes the
 * largest round eight times holds more samples than the side has. */
Test(paired, uneven_rounds)
{
    double a_buf[40], b_buf[40];
    struct timing_samples a = {.s = a_buf, .n = 40, .rounds = TIMING_ROUNDS}, b = a;
    b.s = b_buf;
    for (int r = 0; r < TIMING_ROUNDS; r++)
        a.round_end[r] = b.round_end[r] = r == 0 ? 33 : 33 + r; /* 33, then 1 each */
    for (int i = 0; i < 40; i++)
        a_buf[i] = 2.0, b_buf[i] = 1.0;
    struct paired_ratio r;
    paired_ratio(&a, &b, &r);
    cr_expect_float_eq(r.ratio, 2.0, 1e-12);
    cr_expect_float_eq(r.lo, 2.0, 1e-12);
    cr_expect_float_eq(r.hi, 2.0, 1e-12);
}

static void count_call(void *ctx) { ++*(int *)ctx; }

Test(paired, timing_run_keeps_rounds)
{
    int calls[2] = {0, 0};
    struct timing_samples keep[2] = {{0}};
    struct timed_impl t[2] = {{.fn = count_call, .ctx = &calls[0], .first_call_s = 1e-6, .keep = &keep[0]},
                              {.fn = count_call, .ctx = &calls[1], .first_call_s = 1e-6, .keep = &keep[1]}};
    struct timing_opts o = {.min_time_s = 0, .min_samples = 16, .max_samples = 16, .max_load = 1e9, .retries = 0};
    timing_run(t, 2, &o, NULL, NULL);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(keep[i].n, 16);
        cr_expect_eq(keep[i].rounds, TIMING_ROUNDS);
        cr_expect_eq(keep[i].round_end[TIMING_ROUNDS - 1], 16);
        cr_expect_eq(keep[i].round_end[0], 16 / TIMING_ROUNDS);
        cr_expect_eq(calls[i], 16 + TIMING_ROUNDS, "one untimed re-warm call per visit");
        timing_samples_free(&keep[i]);
    }
}

/* What the quick A/A sweeps of AKConv beside its Conv showed on the shared
 * VM (docs/measurement.md): 5 of 8 rounds of one side slowed by 30 %, the
 * other side clean.  The ratio of the medians read 1.92 for a true 1.68;
 * the lower quartiles of the round medians do not move. */
Test(paired, rounds_slowed_on_one_side_do_not_move_the_ratio)
{
    double slowed[TIMING_ROUNDS] = {1.3, 1.0, 1.3, 1.3, 1.0, 1.3, 1.3, 1.0};
    double clean[TIMING_ROUNDS] = {1, 1, 1, 1, 1, 1, 1, 1}, a_buf[24], b_buf[24];
    struct timing_samples a, b;
    struct paired_ratio r;
    fill(&a, a_buf, TIMING_ROUNDS, 3, 1.68, slowed, NULL, 0);
    fill(&b, b_buf, TIMING_ROUNDS, 3, 1.0, clean, NULL, 0);
    paired_ratio(&a, &b, &r);
    cr_expect_float_eq(r.ratio, 1.68, 1e-12, "%g", r.ratio);
    cr_expect(r.lo <= 1.68 && 1.68 <= r.hi, "[%g, %g]", r.lo, r.hi);
}

/* A kernel that is really slower is slower in every round: the ratio
 * moves in full, and its interval excludes the old one. */
Test(paired, slower_in_every_round_moves_the_ratio)
{
    double drift[TIMING_ROUNDS] = {1.0, 1.1, 1.0, 1.05, 1.0, 1.2, 1.0, 1.0}, a_buf[24], b_buf[24];
    struct timing_samples a, b;
    struct paired_ratio r;
    struct rng g;
    rng_seed(&g, 7);
    fill(&a, a_buf, TIMING_ROUNDS, 3, 1.68 * 1.10, drift, &g, 0.01);
    fill(&b, b_buf, TIMING_ROUNDS, 3, 1.0, drift, &g, 0.01);
    paired_ratio(&a, &b, &r);
    cr_expect(fabs(r.ratio / (1.68 * 1.10) - 1) < 0.02, "%g", r.ratio);
    cr_expect(r.lo > 1.68 * 1.05, "[%g, %g]", r.lo, r.hi);
}

/* Sample counts below TIMING_ROUNDS leave rounds empty: with fewer than
 * three rounds shared, each side is read over its own rounds. */
Test(paired, few_shared_rounds_use_each_sides_own)
{
    double a_buf[3] = {2.0, 2.0, 2.0}, b_buf[4] = {1.0, 1.0, 1.0, 1.0};
    struct timing_samples a = {.s = a_buf, .n = 3, .rounds = TIMING_ROUNDS},
                          b = {.s = b_buf, .n = 4, .rounds = TIMING_ROUNDS};
    int ea[TIMING_ROUNDS] = {0, 0, 1, 1, 1, 2, 2, 3}, eb[TIMING_ROUNDS] = {0, 1, 1, 2, 2, 3, 3, 4};
    memcpy(a.round_end, ea, sizeof ea);
    memcpy(b.round_end, eb, sizeof eb);
    struct paired_ratio r;
    paired_ratio(&a, &b, &r);
    cr_expect_float_eq(r.ratio, 2.0, 1e-12);
    cr_expect(isnan(r.lo) && isnan(r.hi));
}
