/* scripts/core_roundtrip.c — how far apart the host runs two vCPUs.
 *
 * A guest's topology says nothing about where the hypervisor runs its
 * vCPUs, yet it decides what a cache line written on one vCPU and read on
 * the other costs: on the 2-vCPU Zen 4 machine of docs/measurement.md
 * ("AKConv at 2 threads") the round trip below read 49-80 ns at some times
 * and 348-399 ns at others, and 2-thread kernels whose threads read each
 * other's fresh writes lost their whole speed-up in the slow stretches.
 * Run it beside a timing to know which stretch the timing was in; every
 * sweep row now records a shorter sample of it itself (`roundtrip_ns`).
 *
 * Two threads pinned to CPUs A and B bounce one cache line (a counter each
 * side advances in turn), 50 blocks of 4000 round trips (the probe of
 * harness/vcpu_roundtrip.c); prints the median block's round trip in ns.
 *
 * Build:  cc -O2 -std=c11 -D_GNU_SOURCE -pthread -Iharness scripts/core_roundtrip.c \
 *            harness/vcpu_roundtrip.c harness/stats.c -lm -o build/core_roundtrip
 * Run:    build/core_roundtrip [A B]     (default CPUs 0 and 1; exit 1 if
 *         a thread cannot be pinned or started) */
#include <stdio.h>
#include <stdlib.h>

#include "vcpu_roundtrip.h"

int main(int argc, char **argv)
{
    int cpu_a = argc > 2 ? atoi(argv[1]) : 0, cpu_b = argc > 2 ? atoi(argv[2]) : 1;
    double ns;
    if (vcpu_roundtrip_between(cpu_a, cpu_b, 50, 4000, &ns) != 0) {
        fprintf(stderr, "core_roundtrip: cannot pin threads to CPUs %d and %d or start them\n", cpu_a, cpu_b);
        return 1;
    }
    printf("CPU %d <-> CPU %d round trip %.0f ns\n", cpu_a, cpu_b, ns);
    return 0;
}
