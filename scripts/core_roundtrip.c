/* scripts/core_roundtrip.c — how far apart the host runs two vCPUs.
 *
 * A guest's topology says nothing about where the hypervisor runs its
 * vCPUs, yet it decides what a cache line written on one vCPU and read on
 * the other costs: on the 2-vCPU Zen 4 machine of docs/measurement.md
 * ("AKConv at 2 threads") the round trip below read 49-80 ns at some times
 * and 348-399 ns at others, and 2-thread kernels whose threads read each
 * other's fresh writes lost their whole speed-up in the slow stretches.
 * Run it beside a timing to know which stretch the timing was in.
 *
 * Two threads pinned to CPUs A and B bounce one cache line (a counter each
 * side advances in turn) ROUNDS times; prints the mean round trip in ns.
 *
 * Build:  cc -O2 -std=c11 -D_GNU_SOURCE -pthread scripts/core_roundtrip.c -o build/core_roundtrip
 * Run:    build/core_roundtrip [A B]     (default CPUs 0 and 1; exit 1 if
 *         a thread cannot be pinned or started) */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { ROUNDS = 200000 };

struct bounce {
    _Alignas(64) atomic_int turn; /* odd: the partner's turn, even: the pinger's */
    int partner_cpu;
    atomic_int ready; /* 0 until the partner is pinned: then 1, or -1 if it could not be */
};

static int pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* The partner: waits for each odd value and answers with the next. */
static void *partner(void *arg)
{
    struct bounce *b = arg;
    int pinned = pin_to(b->partner_cpu) == 0;
    atomic_store(&b->ready, pinned ? 1 : -1);
    if (!pinned)
        return NULL;
    for (int i = 0; i < ROUNDS; i++) {
        int want = 2 * i + 1, v;
        while ((v = atomic_load_explicit(&b->turn, memory_order_acquire)) != want)
            ;
        atomic_store_explicit(&b->turn, want + 1, memory_order_release);
    }
    return NULL;
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    int cpu_a = argc > 2 ? atoi(argv[1]) : 0, cpu_b = argc > 2 ? atoi(argv[2]) : 1;
    struct bounce b = {.partner_cpu = cpu_b};
    atomic_init(&b.turn, 0);
    atomic_init(&b.ready, 0);
    pthread_t t;
    if (pin_to(cpu_a) != 0 || pthread_create(&t, NULL, partner, &b) != 0) {
        fprintf(stderr, "core_roundtrip: cannot pin to CPU %d or start the partner\n", cpu_a);
        return 1;
    }
    int ready;
    while ((ready = atomic_load(&b.ready)) == 0)
        ;
    double t0 = seconds();
    for (int i = 0; i < ROUNDS && ready == 1; i++) {
        atomic_store_explicit(&b.turn, 2 * i + 1, memory_order_release);
        while (atomic_load_explicit(&b.turn, memory_order_acquire) == 2 * i + 1)
            ;
    }
    double dt = seconds() - t0;
    if (pthread_join(t, NULL) != 0 || ready != 1) {
        fprintf(stderr, "core_roundtrip: cannot pin the partner to CPU %d\n", cpu_b);
        return 1;
    }
    printf("CPU %d <-> CPU %d round trip %.0f ns\n", cpu_a, cpu_b, 1e9 * dt / ROUNDS);
    return 0;
}
