/* harness/vcpu_skew.c — see vcpu_skew.h. */
#include "vcpu_skew.h"

#include "stats.h"
#include "vcpu_roundtrip.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* 8 blocks of 4096 multiply-adds: about 0.1 ms of chain (a dependent
 * multiply then add is ~8 cycles: ~13 us a block at 2.6 GHz). */
enum { HARNESS_BLOCKS = 8, HARNESS_PER_BLOCK = 4096 };

struct runner {
    struct skew_probe *p;
    int cpu;
    double block_s[VCPU_SKEW_BLOCKS_MAX];
    double seed;          /* the chain's start, read at run time so it cannot be folded */
    volatile double sink; /* the chain's result, stored before the clock is read again so the
                           * compiler can neither drop the chain nor move it past the clock */
};

struct skew_probe {
    _Alignas(64) atomic_int arrived; /* both threads' arrivals at the barrier, counted up */
    atomic_int failed;               /* a thread could not pin itself: both return */
    int blocks, per_block;
    struct runner side[2];
};

/* Both threads arrive before either goes on (arrival `k` of each): 0, or -1
 * when the other thread failed. */
static int barrier(struct skew_probe *p, int k)
{
    atomic_fetch_add(&p->arrived, 1);
    while (atomic_load(&p->arrived) < 2 * k)
        if (atomic_load_explicit(&p->failed, memory_order_relaxed))
            return -1;
    return 0;
}

/* The fixed work: each step needs the previous one, so its time is the
 * core's latency at its current speed, whatever the other vCPU does with
 * the caches. */
static double chain(double x, int n)
{
    for (int i = 0; i < n; i++)
        x = x * 0.999999 + 1e-6;
    return x;
}

static void *run_side(void *arg)
{
    struct runner *r = arg;
    struct skew_probe *p = r->p;
    if (vcpu_pin_self(r->cpu) != 0) {
        atomic_store(&p->failed, 1);
        return NULL;
    }
    double x = r->seed;
    for (int k = 0; k < p->blocks; k++) {
        if (barrier(p, k + 1) != 0)
            return NULL;
        double t0 = vcpu_seconds();
        x = chain(x, p->per_block);
        r->sink = x;
        r->block_s[k] = vcpu_seconds() - t0;
    }
    return NULL;
}

double vcpu_skew_of_blocks(const double *a_s, const double *b_s, int blocks)
{
    double ratio[VCPU_SKEW_BLOCKS_MAX];
    if (blocks < 1 || blocks > VCPU_SKEW_BLOCKS_MAX)
        return NAN;
    for (int k = 0; k < blocks; k++)
        ratio[k] = a_s[k] > b_s[k] ? a_s[k] / b_s[k] : b_s[k] / a_s[k];
    return stats_median(ratio, blocks);
}

int vcpu_skew_between(int cpu_a, int cpu_b, int blocks, int per_block, double *skew)
{
    *skew = NAN;
    if (blocks < 1 || blocks > VCPU_SKEW_BLOCKS_MAX || per_block < 1)
        return -1;
    struct skew_probe *p = aligned_alloc(64, (sizeof *p + 63) / 64 * 64);
    if (!p)
        return -1;
    *p = (struct skew_probe){.blocks = blocks, .per_block = per_block};
    p->side[0] = (struct runner){.p = p, .cpu = cpu_a, .seed = 2.0 + cpu_a};
    p->side[1] = (struct runner){.p = p, .cpu = cpu_b, .seed = 2.0 + cpu_b};
    pthread_t t[2];
    int started = 0;
    for (; started < 2; started++)
        if (pthread_create(&t[started], NULL, run_side, &p->side[started]) != 0) {
            atomic_store(&p->failed, 1);
            break;
        }
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    int rc = -1;
    if (started == 2 && !atomic_load(&p->failed)) {
        *skew = vcpu_skew_of_blocks(p->side[0].block_s, p->side[1].block_s, blocks);
        rc = 0;
    }
    free(p);
    return rc;
}

double vcpu_skew(void)
{
    int cpu[2];
    double skew;
    if (vcpu_first_two(cpu) != 0 ||
        vcpu_skew_between(cpu[0], cpu[1], HARNESS_BLOCKS, HARNESS_PER_BLOCK, &skew) != 0)
        return NAN;
    return skew;
}

double vcpu_skew_larger(double a, double b) { return isnan(a) || b > a ? b : a; }

int vcpu_skew_is_high(int threads, double skew) { return threads > 1 && skew >= VCPU_SKEW_HIGH; }
