/* tests/test_vcpu_gate.c — the wait for a near vCPU placement (vcpu_gate.h),
 * driven by scripted round trips and a fake clock, and the sysfs reading
 * that decides whether the gate applies at all. */
#include "../harness/vcpu_gate.h"
#include "../harness/vcpu_skew.h"
#include "test_util.h"

#include <criterion/criterion.h>
#include <math.h>
#include <sys/stat.h>

struct script {
    const double *rt; /* round trips, one per probe; the last repeats */
    int n, next;
    double slept;
};

static double scripted_probe(void *arg)
{
    struct script *s = arg;
    double v = s->rt[s->next < s->n ? s->next : s->n - 1];
    s->next++;
    return v;
}

static void fake_sleep(void *arg, double sec) { ((struct script *)arg)->slept += sec; }

static struct vcpu_gate scripted_gate(struct script *s, double budget_s)
{
    return (struct vcpu_gate){.budget_s = budget_s, .probe = scripted_probe, .sleep_s = fake_sleep, .arg = s};
}

Test(vcpu_gate, near_at_once_waits_nothing)
{
    const double rt[] = {80};
    struct script s = {rt, 1, 0, 0};
    struct vcpu_gate g = scripted_gate(&s, 60);
    double rt_ns = vcpu_gate_wait(&g); /* once: Criterion's macros evaluate twice */
    cr_assert_float_eq(rt_ns, 80, 1e-9);
    cr_assert_eq(s.next, 1);
    cr_assert_float_eq(g.waited_s, 0, 1e-12);
}

Test(vcpu_gate, far_waits_until_near)
{
    const double rt[] = {350, 340, 400, 90};
    struct script s = {rt, 4, 0, 0};
    struct vcpu_gate g = scripted_gate(&s, 60);
    double rt_ns = vcpu_gate_wait(&g);
    cr_assert_float_eq(rt_ns, 90, 1e-9);
    cr_assert_eq(s.next, 4);
    cr_assert_float_eq(g.waited_s, 3 * VCPU_POLL_S, 1e-9);
    cr_assert_float_eq(s.slept, 3 * VCPU_POLL_S, 1e-9);
    cr_assert_float_eq(g.budget_s, 60 - 3 * VCPU_POLL_S, 1e-9);
}

Test(vcpu_gate, budget_bounds_the_wait)
{
    const double rt[] = {350};
    struct script s = {rt, 1, 0, 0};
    struct vcpu_gate g = scripted_gate(&s, 1.2);
    double rt_ns = vcpu_gate_wait(&g);
    cr_assert_float_eq(rt_ns, 350, 1e-9);
    cr_assert_float_eq(g.waited_s, 1.2, 1e-9);
    cr_assert_float_eq(g.budget_s, 0, 1e-9);
    cr_assert_eq(vcpu_gate_redo(&g, 350), 0, "no budget left: keep the far pass");
}

Test(vcpu_gate, no_budget_never_waits)
{
    const double rt[] = {350};
    struct script s = {rt, 1, 0, 0};
    struct vcpu_gate g = scripted_gate(&s, 0);
    double rt_ns = vcpu_gate_wait(&g);
    cr_assert_float_eq(rt_ns, 350, 1e-9);
    cr_assert_eq(s.next, 1);
    cr_assert_float_eq(s.slept, 0, 1e-12);
}

Test(vcpu_gate, unknown_round_trip_is_not_waited_on)
{
    const double rt[] = {NAN};
    struct script s = {rt, 1, 0, 0};
    struct vcpu_gate g = scripted_gate(&s, 60);
    double rt_ns = vcpu_gate_wait(&g);
    cr_assert(isnan(rt_ns));
    cr_assert_eq(s.next, 1);
    cr_assert_eq(vcpu_gate_redo(&g, NAN), 0);
}

Test(vcpu_gate, far_pass_redone_a_bounded_number_of_times)
{
    const double rt[] = {80};
    struct script s = {rt, 1, 0, 0};
    struct vcpu_gate g = scripted_gate(&s, 60);
    cr_assert_eq(vcpu_gate_redo(&g, 90), 0, "a near pass is kept");
    for (int k = 0; k < VCPU_REDO_MAX; k++)
        cr_assert_eq(vcpu_gate_redo(&g, 380), 1, "far pass %d redone", k);
    cr_assert_eq(vcpu_gate_redo(&g, 380), 0, "then kept, with its round trip");
}

/* Scripted skews (vcpu_skew.h) beside the round trips: a second script
 * read through the gate's skew probe. */
struct skew_script {
    struct script rt, skew;
};

static double scripted_rt(void *arg) { return scripted_probe(&((struct skew_script *)arg)->rt); }
static double scripted_skew(void *arg)
{
    return scripted_probe(&((struct skew_script *)arg)->skew);
}
static void skew_fake_sleep(void *arg, double sec) { ((struct skew_script *)arg)->rt.slept += sec; }

static struct vcpu_gate skew_gate(struct skew_script *s, double budget_s)
{
    return (struct vcpu_gate){.budget_s = budget_s,
                              .probe = scripted_rt,
                              .sleep_s = skew_fake_sleep,
                              .arg = s,
                              .skew = scripted_skew,
                              .skew_last = NAN};
}

Test(vcpu_gate, slow_vcpu_waited_until_even)
{
    const double rt[] = {80}, skew[] = {1.30, 1.25, 1.02};
    struct skew_script s = {{rt, 1, 0, 0}, {skew, 3, 0, 0}};
    struct vcpu_gate g = skew_gate(&s, 60);
    double rt_ns = vcpu_gate_wait(&g);
    cr_assert_float_eq(rt_ns, 80, 1e-9);
    cr_assert_float_eq(g.skew_last, 1.02, 1e-12);
    cr_assert_eq(s.skew.next, 3);
    cr_assert_float_eq(g.waited_s, 2 * VCPU_POLL_S, 1e-9);
}

Test(vcpu_gate, slow_vcpu_wait_bounded_by_the_budget)
{
    const double rt[] = {80}, skew[] = {1.30};
    struct skew_script s = {{rt, 1, 0, 0}, {skew, 1, 0, 0}};
    struct vcpu_gate g = skew_gate(&s, 1.2);
    vcpu_gate_wait(&g);
    cr_assert_float_eq(g.skew_last, 1.30, 1e-12);
    cr_assert_float_eq(g.waited_s, 1.2, 1e-9);
    cr_assert_eq(vcpu_gate_redo_skew(&g, 1.30), 0, "no budget left: keep the pass, marked");
}

Test(vcpu_gate, even_vcpus_and_no_skew_probe_wait_nothing)
{
    const double rt[] = {80}, skew[] = {VCPU_SKEW_HIGH - 0.01};
    struct skew_script s = {{rt, 1, 0, 0}, {skew, 1, 0, 0}};
    struct vcpu_gate g = skew_gate(&s, 60);
    vcpu_gate_wait(&g);
    cr_assert_float_eq(g.waited_s, 0, 1e-12);
    g.skew = NULL; /* a gate without a skew probe: never waits on it */
    vcpu_gate_wait(&g);
    cr_assert(isnan(g.skew_last));
    cr_assert_float_eq(g.waited_s, 0, 1e-12);
}

/* Passes redone for a slow vCPU count against the same bound as far ones. */
Test(vcpu_gate, slow_pass_redone_within_the_shared_bound)
{
    const double rt[] = {80};
    struct script s = {rt, 1, 0, 0};
    struct vcpu_gate g = scripted_gate(&s, 60);
    cr_assert_eq(vcpu_gate_redo_skew(&g, 1.05), 0, "an even pass is kept");
    cr_assert_eq(vcpu_gate_redo_skew(&g, NAN), 0, "an unknown skew is not redone");
    cr_assert_eq(vcpu_gate_redo_skew(&g, 1.2), 1);
    cr_assert_eq(vcpu_gate_redo(&g, 380), 1);
    for (int k = 2; k < VCPU_REDO_MAX; k++)
        cr_assert_eq(vcpu_gate_redo_skew(&g, 1.2), 1);
    cr_assert_eq(vcpu_gate_redo_skew(&g, 1.2), 0, "then kept, with its skew");
}

/* A fake sysfs with one cache level per index. */
static void fake_cache(const char *root, int cpu, int idx, const char *level, const char *shared)
{
    char path[512], cmd[700];
    snprintf(path, sizeof path, "%s/devices/system/cpu/cpu%d/cache/index%d", root, cpu, idx);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    cr_assert_eq(system(cmd), 0);
    char f[600];
    snprintf(f, sizeof f, "%s/level", path);
    write_file(f, level);
    snprintf(f, sizeof f, "%s/shared_cpu_list", path);
    write_file(f, shared);
}

Test(vcpu_gate, llc_shared_read_from_the_highest_level)
{
    char root[64];
    temp_dir(root, sizeof root);
    fake_cache(root, 0, 0, "1\n", "0\n");
    fake_cache(root, 0, 1, "2\n", "0\n");
    fake_cache(root, 0, 2, "3\n", "0-3,8,10-11\n");
    cr_assert_eq(vcpu_share_llc(root, 0, 1), 1);
    cr_assert_eq(vcpu_share_llc(root, 0, 8), 1);
    cr_assert_eq(vcpu_share_llc(root, 0, 11), 1);
    cr_assert_eq(vcpu_share_llc(root, 0, 4), 0, "another CCD or socket: the gate stays off");
    cr_assert_eq(vcpu_share_llc(root, 0, 9), 0);
    cr_assert_eq(vcpu_share_llc(root, 5, 6), -1, "no sysfs entry: unknown");
    remove_dir(root);
}
