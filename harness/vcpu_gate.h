/* harness/vcpu_gate.h — wait (bounded) for the host to run the vCPUs near.
 *
 * On the 2-vCPU Zen 4 VM of docs/measurement.md the host runs the two
 * vCPUs on cores that share a cache (round trip 58-94 ns) or, for
 * stretches of 10 s to minutes, on cores that do not (304-426 ns), while
 * the guest's topology says one L3 for both either way.  A 2-thread
 * timing is then a draw between two machines: YOLOv8n end to end read
 * 37-42 ms in the near samples and 46-50 ms in the far ones of one
 * process, switching with the round trip sample by sample.  So before a
 * multi-threaded pass the harness polls the round trip and waits, up to a
 * budget, until it reads near; a pass whose round trip reads far after it
 * is redone.  The gate applies only where sysfs says the two CPUs share
 * their last-level cache: elsewhere (two sockets, two Zen CCDs) far is
 * the machine's real topology and there is nothing to wait for.
 *
 * The gate also waits, in the same budget, while the host runs one vCPU
 * slower than the other (vcpu_skew.h: skew >= VCPU_SKEW_HIGH), and a pass
 * that read so is redone like a far one.
 *
 * The probes and the sleep are function pointers so that tests can drive
 * the gate with scripted round trips and skews and no real waiting. */
#ifndef ABLATE_VCPU_GATE_H
#define ABLATE_VCPU_GATE_H

/* At or below: near.  Cores that share an L3 answer a cache line in well
 * under this on the x86 servers seen (Zen 50-110 ns, Intel mesh
 * 100-180 ns); cross-socket and cross-CCD round trips are above 300 ns. */
#define VCPU_NEAR_NS 250.0
/* Between probes while waiting: a probe costs about 1 ms. */
#define VCPU_POLL_S 0.5
/* Passes redone because the placement changed during them, per gate. */
#define VCPU_REDO_MAX 3

struct vcpu_gate {
    double budget_s;  /* waiting left, seconds; 0: never wait */
    double waited_s;  /* waited so far */
    int redos;        /* passes redone so far */
    double (*probe)(void *arg);            /* round trip in ns; NaN: unknown */
    void (*sleep_s)(void *arg, double s);
    void *arg;
    /* slower/faster vCPU on a fixed chain (vcpu_skew.h); NaN: unknown.
     * NULL: the gate neither probes nor waits on it */
    double (*skew)(void *arg);
    double skew_last; /* the skew vcpu_gate_wait read last; NaN: not probed */
};

/* A gate with the real probe (vcpu_roundtrip_ns) and sleep; budget_s 0
 * when the first two CPUs this thread may use do not share their
 * last-level cache (or sysfs does not say). */
void vcpu_gate_init(struct vcpu_gate *g, double budget_s);

/* Probes, sleeping VCPU_POLL_S between probes, until the round trip reads
 * near and (with a skew probe) the skew below VCPU_SKEW_HIGH, or the
 * budget is spent; returns the last round trip (NaN: the probe failed,
 * which is not waited on) and leaves the last skew in g->skew_last. */
double vcpu_gate_wait(struct vcpu_gate *g);

/* The skew now through the gate's probe; NaN when it has none. */
double vcpu_gate_skew(struct vcpu_gate *g);

/* 1 when a pass whose round trip read rt_ns (the larger of before and
 * after) should be redone: far, budget left, redos left.  Counts the redo. */
int vcpu_gate_redo(struct vcpu_gate *g, double rt_ns);

/* The same for a pass whose skew (the largest sample, vcpu_skew.h) read
 * at or above VCPU_SKEW_HIGH: the host ran one vCPU slow during it.  The
 * redos and the budget are the ones far passes use. */
int vcpu_gate_redo_skew(struct vcpu_gate *g, double skew);

/* 1 when sysfs (under root, normally "/sys") lists cpu_b among the CPUs
 * sharing cpu_a's last-level cache, 0 when it lists them apart, -1 when it
 * cannot be read. */
int vcpu_share_llc(const char *root, int cpu_a, int cpu_b);

#endif
