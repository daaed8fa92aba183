/* tests/test_timing_unsteady.c — which passes the timing loop times again
 * because half their calls ran slow (timing_unsteady, timing.h). */
#include "../harness/timing.h"

#include <criterion/criterion.h>

Test(timing_unsteady, steady_pass_kept)
{
    /* the undisturbed B run of the row below: median 0.84, p10 0.756 */
    const double s[] = {0.76, 0.75, 0.84, 0.89, 0.80, 0.85, 0.83, 0.86, 0.84, 0.78};
    cr_assert_eq(timing_unsteady(s, 10), 0);
}

Test(timing_unsteady, half_the_calls_slow_is_unsteady)
{
    /* AKConv L16 num_param 8, 2 threads, run A: median 1.49 ms, p10 0.75 */
    const double s[] = {0.75, 1.52, 0.76, 1.49, 0.75, 1.56, 0.77, 1.50, 0.76, 1.48, 0.75, 1.53};
    cr_assert_eq(timing_unsteady(s, 12), 1);
}

Test(timing_unsteady, a_few_outliers_are_not)
{
    const double s[] = {1.00, 1.01, 1.02, 1.00, 3.50, 1.01, 1.03, 1.00, 2.90, 1.02};
    cr_assert_eq(timing_unsteady(s, 10), 0, "the median ignores two slow calls in ten");
}

Test(timing_unsteady, samples_left_in_their_order)
{
    double s[] = {2.0, 1.0, 2.1, 1.1, 2.2, 1.0, 2.0};
    const double copy[] = {2.0, 1.0, 2.1, 1.1, 2.2, 1.0, 2.0};
    cr_assert_eq(timing_unsteady(s, 7), 1);
    for (int i = 0; i < 7; i++)
        cr_assert_float_eq(s[i], copy[i], 0, "sample %d moved (the paired ratio reads them by round)", i);
}

Test(timing_unsteady, too_few_samples_never_retried)
{
    const double s[] = {1.0, 2.0, 2.0, 2.0};
    cr_assert_eq(timing_unsteady(s, 4), 0);
}
