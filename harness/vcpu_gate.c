/* harness/vcpu_gate.c — see vcpu_gate.h. */
#include "vcpu_gate.h"

#include "vcpu_roundtrip.h"
#include "vcpu_skew.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double real_probe(void *arg)
{
    (void)arg;
    return vcpu_roundtrip_ns();
}

static double real_skew(void *arg)
{
    (void)arg;
    return vcpu_skew();
}

static void real_sleep(void *arg, double s)
{
    (void)arg;
    struct timespec t = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&t, &t) != 0) {
    }
}

void vcpu_gate_init(struct vcpu_gate *g, double budget_s)
{
    int cpu[2];
    int shared = vcpu_first_two(cpu) == 0 ? vcpu_share_llc("/sys", cpu[0], cpu[1]) : -1;
    *g = (struct vcpu_gate){.budget_s = shared == 1 ? budget_s : 0, .probe = real_probe,
                            .sleep_s = real_sleep, .skew = real_skew, .skew_last = NAN};
}

static int is_far(double rt_ns) { return rt_ns > VCPU_NEAR_NS; } /* NaN: not far */

double vcpu_gate_skew(struct vcpu_gate *g) { return g->skew ? g->skew(g->arg) : NAN; }

double vcpu_gate_wait(struct vcpu_gate *g)
{
    double rt = g->probe(g->arg);
    g->skew_last = vcpu_gate_skew(g);
    while ((is_far(rt) || vcpu_skew_is_high(2, g->skew_last)) && g->budget_s > 0) {
        double s = g->budget_s < VCPU_POLL_S ? g->budget_s : VCPU_POLL_S;
        g->sleep_s(g->arg, s);
        g->budget_s -= s;
        g->waited_s += s;
        rt = g->probe(g->arg);
        g->skew_last = vcpu_gate_skew(g);
    }
    return rt;
}

/* 1 when a pass that was disturbed should be redone: budget and redos
 * left.  Counts the redo. */
static int redo_if(struct vcpu_gate *g, int disturbed)
{
    if (!disturbed || g->budget_s <= 0 || g->redos >= VCPU_REDO_MAX)
        return 0;
    g->redos++;
    return 1;
}

int vcpu_gate_redo(struct vcpu_gate *g, double rt_ns) { return redo_if(g, is_far(rt_ns)); }

int vcpu_gate_redo_skew(struct vcpu_gate *g, double skew)
{
    return redo_if(g, vcpu_skew_is_high(2, skew));
}

/* 1 when cpu appears in a sysfs CPU list such as "0-3,8,10-11". */
static int list_has(const char *list, int cpu)
{
    const char *p = list;
    while (*p) {
        char *end;
        long lo = strtol(p, &end, 10), hi = lo;
        if (end == p)
            return 0;
        if (*end == '-') {
            p = end + 1;
            hi = strtol(p, &end, 10);
            if (end == p)
                return 0;
        }
        if (cpu >= lo && cpu <= hi)
            return 1;
        p = *end == ',' ? end + 1 : end + strlen(end);
    }
    return 0;
}

/* The first line of a small sysfs file; 0, or -1 when it cannot be read. */
static int read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

int vcpu_share_llc(const char *root, int cpu_a, int cpu_b)
{
    char path[512], line[256], shared[256] = "";
    int best_level = 0;
    for (int idx = 0; idx < 16; idx++) {
        snprintf(path, sizeof path, "%s/devices/system/cpu/cpu%d/cache/index%d/level", root, cpu_a, idx);
        if (read_line(path, line, sizeof line) != 0)
            break;
        int level = atoi(line);
        snprintf(path, sizeof path, "%s/devices/system/cpu/cpu%d/cache/index%d/shared_cpu_list", root, cpu_a,
                 idx);
        if (level > best_level && read_line(path, line, sizeof line) == 0) {
            best_level = level;
            snprintf(shared, sizeof shared, "%s", line);
        }
    }
    if (best_level == 0)
        return -1;
    return list_has(shared, cpu_b);
}
