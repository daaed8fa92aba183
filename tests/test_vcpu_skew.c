/* tests/test_vcpu_skew.c — the probe of how unevenly the host runs the two
 * vCPUs (vcpu_skew.h): its reduction on scripted block times, the row's
 * largest sample, the mark, and the real probe's failure paths. */
#include "../harness/vcpu_roundtrip.h"
#include "../harness/vcpu_skew.h"

#include <criterion/criterion.h>
#include <math.h>
#include <sched.h>

Test(vcpu_skew, even_blocks_read_one)
{
    const double a[] = {20e-6, 21e-6, 20e-6, 22e-6}, b[] = {20e-6, 21e-6, 20e-6, 22e-6};
    cr_expect_float_eq(vcpu_skew_of_blocks(a, b, 4), 1.0, 1e-12);
}

Test(vcpu_skew, a_slow_side_reads_its_ratio_either_way_round)
{
    const double fast[] = {20e-6, 20e-6, 20e-6, 20e-6, 20e-6},
                 slow[] = {26e-6, 26e-6, 26e-6, 26e-6, 26e-6};
    cr_expect_float_eq(vcpu_skew_of_blocks(fast, slow, 5), 1.3, 1e-12);
    cr_expect_float_eq(vcpu_skew_of_blocks(slow, fast, 5), 1.3, 1e-12);
}

Test(vcpu_skew, one_interrupted_block_does_not_count)
{
    const double a[] = {20e-6, 20e-6, 20e-6, 20e-6, 20e-6, 20e-6, 20e-6, 20e-6};
    const double b[] = {20e-6, 20e-6, 200e-6, 20e-6, 20.2e-6, 20e-6, 20e-6, 20e-6};
    cr_expect_float_eq(vcpu_skew_of_blocks(a, b, 8), 1.0, 1e-12, "the median block, not the worst");
}

Test(vcpu_skew, blocks_out_of_range_are_unknown)
{
    const double a[] = {1}, b[] = {1};
    cr_expect(isnan(vcpu_skew_of_blocks(a, b, 0)));
    cr_expect(isnan(vcpu_skew_of_blocks(a, b, VCPU_SKEW_BLOCKS_MAX + 1)));
}

/* A row keeps the largest of the samples taken around and inside its pass
 * (timing.c); an unsampled one (NaN) does not hide a sampled one. */
Test(vcpu_skew, a_row_keeps_the_largest_sample)
{
    const double samples[] = {NAN, 1.01, 1.31, NAN, 1.02};
    double row = NAN;
    for (int i = 0; i < 5; i++)
        row = vcpu_skew_larger(row, samples[i]);
    cr_expect_float_eq(row, 1.31, 1e-12);
    cr_expect(isnan(vcpu_skew_larger(NAN, NAN)), "never sampled: unknown");
}

Test(vcpu_skew, only_multi_thread_rows_at_the_threshold_are_marked)
{
    cr_expect_eq(vcpu_skew_is_high(2, VCPU_SKEW_HIGH), 1);
    cr_expect_eq(vcpu_skew_is_high(2, 1.5), 1);
    cr_expect_eq(vcpu_skew_is_high(2, VCPU_SKEW_HIGH - 0.01), 0);
    cr_expect_eq(vcpu_skew_is_high(1, 1.5), 0, "one thread does not wait for the other vCPU");
    cr_expect_eq(vcpu_skew_is_high(2, NAN), 0, "not sampled: not marked");
}

Test(vcpu_skew, bad_arguments_are_refused)
{
    double skew = 0;
    cr_expect_eq(vcpu_skew_between(0, 0, 0, 100, &skew), -1);
    cr_expect(isnan(skew));
    cr_expect_eq(vcpu_skew_between(0, 0, VCPU_SKEW_BLOCKS_MAX + 1, 100, &skew), -1);
    cr_expect_eq(vcpu_skew_between(0, 0, 4, 0, &skew), -1);
}

/* A CPU the thread may not run on: the other side stops waiting for it. */
Test(vcpu_skew, unpinnable_cpu_fails_without_hanging, .timeout = 10)
{
    double skew = 0;
    cr_expect_eq(vcpu_skew_between(0, CPU_SETSIZE - 1, 4, 100, &skew), -1);
    cr_expect(isnan(skew));
    cr_expect_eq(vcpu_skew_between(CPU_SETSIZE - 1, 0, 4, 100, &skew), -1);
}

Test(vcpu_skew, the_real_probe_reads_a_ratio, .timeout = 10)
{
    int cpu[2];
    if (vcpu_first_two(cpu) != 0) {
        cr_expect(isnan(vcpu_skew()), "one CPU: no skew");
        return;
    }
    double skew = vcpu_skew();
    cr_expect(skew >= 1.0 && skew < 100, "%g", skew);
}
