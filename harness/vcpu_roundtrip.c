/* harness/vcpu_roundtrip.c — see vcpu_roundtrip.h. */
#include "vcpu_roundtrip.h"

#include "stats.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

enum { HARNESS_BLOCKS = 8, HARNESS_PER_BLOCK = 200 };

struct bounce {
    _Alignas(64) atomic_int turn; /* odd: the partner's turn, even: the pinger's */
    _Alignas(64) atomic_int ready; /* partner: 0 until pinned, then 1, or -1 if it could not be */
    atomic_int stop;               /* the pinger gave up: the partner returns */
    int cpu_a, cpu_b, blocks, per_block;
    int ok;                        /* the pinger's verdict */
    double block_ns[VCPU_RT_BLOCKS_MAX];
};

int vcpu_pin_self(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

double vcpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The partner: waits for each odd value and answers with the next. */
static void *partner(void *arg)
{
    struct bounce *b = arg;
    int pinned = vcpu_pin_self(b->cpu_b) == 0;
    atomic_store(&b->ready, pinned ? 1 : -1);
    for (int want = 1; pinned; want += 2) {
        int v;
        while ((v = atomic_load_explicit(&b->turn, memory_order_acquire)) != want)
            if (atomic_load_explicit(&b->stop, memory_order_relaxed))
                return NULL;
        atomic_store_explicit(&b->turn, want + 1, memory_order_release);
    }
    return NULL;
}

/* The pinger: serves each block, timing it. */
static void *pinger(void *arg)
{
    struct bounce *b = arg;
    int ready;
    if (vcpu_pin_self(b->cpu_a) != 0) {
        atomic_store(&b->stop, 1);
        return NULL;
    }
    while ((ready = atomic_load(&b->ready)) == 0)
        ;
    int turn = 0;
    for (int k = 0; k < b->blocks && ready == 1; k++) {
        double t0 = vcpu_seconds();
        for (int i = 0; i < b->per_block; i++, turn += 2) {
            atomic_store_explicit(&b->turn, turn + 1, memory_order_release);
            while (atomic_load_explicit(&b->turn, memory_order_acquire) == turn + 1)
                ;
        }
        b->block_ns[k] = 1e9 * (vcpu_seconds() - t0) / b->per_block;
    }
    b->ok = ready == 1;
    atomic_store(&b->stop, 1);
    return NULL;
}

int vcpu_roundtrip_between(int cpu_a, int cpu_b, int blocks, int per_block, double *ns)
{
    *ns = NAN;
    if (blocks < 1 || blocks > VCPU_RT_BLOCKS_MAX || per_block < 1)
        return -1;
    struct bounce *b = aligned_alloc(64, (sizeof *b + 63) / 64 * 64);
    if (!b)
        return -1;
    *b = (struct bounce){.cpu_a = cpu_a, .cpu_b = cpu_b, .blocks = blocks, .per_block = per_block};
    pthread_t tp, tq;
    int rc = -1;
    if (pthread_create(&tp, NULL, partner, b) == 0) {
        if (pthread_create(&tq, NULL, pinger, b) == 0)
            pthread_join(tq, NULL);
        else
            atomic_store(&b->stop, 1);
        pthread_join(tp, NULL);
        if (b->ok) {
            *ns = stats_median(b->block_ns, blocks);
            rc = 0;
        }
    }
    free(b);
    return rc;
}

int vcpu_first_two(int cpu[2])
{
    cpu_set_t set;
    int n = 0;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return -1;
    for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
        if (CPU_ISSET(c, &set))
            cpu[n++] = c;
    return n == 2 ? 0 : -1;
}

double vcpu_roundtrip_ns(void)
{
    int cpu[2];
    double ns;
    if (vcpu_first_two(cpu) != 0 || vcpu_roundtrip_between(cpu[0], cpu[1], HARNESS_BLOCKS, HARNESS_PER_BLOCK, &ns) != 0)
        return NAN;
    return ns;
}
