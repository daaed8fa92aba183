/* harness/sweep.c — the parent side of a sweep; see sweep.h.
 *
 * Each configuration runs in a forked child that reports through shared
 * memory (execute.h).  If the child dies or passes the time limit, the impl
 * it was running gets `crashed` or `timeout` and a new child runs the rest:
 * one broken kernel costs one row, never the sweep. */
#include "sweep.h"
#include "cuda_info.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "execute.h"
#include "meta.h"
#include "results.h"
#include "shard.h"
#include "sweep_out.h"

/* Both waiters below: 1 the child has exited (not yet reaped), 0 the
 * deadline passed, -1 the wait itself failed (pidfd: not available). */

/* Sleeps on a pidfd (Linux >= 5.3).  The parent must not wake while the
 * child times its kernels: polling waitpid every 5 ms, as before, woke it
 * 200 times a second on a 2-CPU machine where the child's two threads need
 * both CPUs. */
static int sleep_until_exit(pid_t pid, double deadline)
{
#ifdef SYS_pidfd_open
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return -1;
    int rc = 0;
    double left;
    while (rc == 0 && (left = deadline - now_s()) > 0) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(left * 1000.0) + 1);
        rc = r > 0 ? 1 : r < 0 && errno != EINTR ? -1 : 0;
    }
    close(fd);
    return rc;
#else
    (void)pid, (void)deadline;
    return -1;
#endif
}

/* The fallback: asks every 5 ms (WNOWAIT: the child stays to be reaped). */
static int poll_until_exit(pid_t pid, double deadline)
{
    for (;;) {
        siginfo_t info = {0};
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 && errno != EINTR)
            return -1;
        if (info.si_pid == pid)
            return 1;
        if (now_s() > deadline)
            return 0;
        usleep(5000);
    }
}

/* Waits for the child up to `limit_s`; 0 = exited normally, else a status
 * text ("crashed"/"timeout") and a message. */
int sweep_wait_child(pid_t pid, double limit_s, char *status, char *msg, size_t msglen)
{
    double deadline = now_s() + limit_s;
    int st = 0;
    int exited = sleep_until_exit(pid, deadline);
    if (exited < 0)
        exited = poll_until_exit(pid, deadline);
    if (exited == 0)
        kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            snprintf(status, 16, "crashed");
            snprintf(msg, msglen, "waitpid: %s", strerror(errno));
            return -1;
        }
    if (exited == 0) {
        snprintf(status, 16, "timeout");
        snprintf(msg, msglen, "no result within %.0f s (killed)", limit_s);
        return -1;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    snprintf(status, 16, "crashed");
    if (WIFSIGNALED(st))
        snprintf(msg, msglen, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(msg, msglen, "child exited with status %d", WEXITSTATUS(st));
    return -1;
}

void sweep_run_item(const struct plan_item *it, const struct exec_opts *eo, double limit_s,
                     struct exec_shared *sh)
{
    for (;;) {
        int pending = 0;
        for (int i = 0; i < it->n_impl; i++)
            pending += !sh->r[i].done;
        if (!pending)
            return;
        sh->current = -1;
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            for (int i = 0; i < it->n_impl; i++)
                if (!sh->r[i].done) {
                    snprintf(sh->r[i].status, sizeof sh->r[i].status, "crashed");
                    snprintf(sh->r[i].message, sizeof sh->r[i].message, "fork: %s", strerror(errno));
                    sh->r[i].done = 1;
                }
            return;
        }
        if (pid == 0) {
            execute_item(it, eo, sh);
            _exit(0);
        }
        char status[16], msg[256];
        if (sweep_wait_child(pid, limit_s, status, msg, sizeof msg) == 0)
            continue; /* normally everything is done now; loop re-checks */
        int cur = sh->current;
        for (int i = 0; i < it->n_impl; i++) {
            /* The impl in flight is the culprit; if none was, all pending are. */
            if (sh->r[i].done || (cur >= 0 && i != cur))
                continue;
            snprintf(sh->r[i].status, sizeof sh->r[i].status, "%s", status);
            snprintf(sh->r[i].message, sizeof sh->r[i].message, "%s", msg);
            sh->r[i].done = 1;
        }
    }
}

static int row_present(const struct sweep_state *s, const char *desc)
{
    for (int i = 0; i < s->n_done; i++)
        if (!strcmp(s->done[i].desc, desc))
            return 1;
    return 0;
}

/* The primary baseline at it's site and thread count, timed beside a
 * module's configuration (execute.h); NULL for a baseline or when the
 * sweep has none. */
static const struct plan_item *baseline_of(const struct plan *p, const struct plan_item *it)
{
    if (strcmp(it->role, "module"))
        return NULL;
    for (int i = 0; i < p->n; i++) {
        const struct plan_item *b = &p->items[i];
        if (!strcmp(b->role, "baseline") && !b->invalid[0] && b->threads == it->threads &&
            !strcmp(b->layer, it->layer) && !memcmp(&b->inst.in, &it->inst.in, sizeof b->inst.in))
            return b;
    }
    return NULL;
}

static void fmt_duration(double s, char *buf, size_t len)
{
    int t = (int)(s + 0.5);
    snprintf(buf, len, "%d:%02d", t / 60, t % 60);
}

static void progress(const struct sweep_state *s, int k, int total, const struct plan_item *it)
{
    char el[16], eta[16], desc[64];
    double elapsed = now_s() - s->t_start;
    fmt_duration(elapsed, el, sizeof el);
    fmt_duration(k ? elapsed / k * (total - k) : 0, eta, sizeof eta);
    snprintf(desc, sizeof desc, "%s %s %s=%s t%d", it->inst.op->name, it->layer, s->xarg,
             s->xval, it->threads);
    fprintf(stderr, "%s[%3d/%d] %-44s elapsed %s  ETA %s%s", s->tty ? "\r" : "", k, total, desc, el,
            k ? eta : "?", s->tty ? "\033[K" : "\n");
}

/* Waiting for a near vCPU placement (vcpu_gate.h) must neither push a
 * configuration into its time limit nor stall a sweep on a host that keeps
 * its vCPUs far apart: a configuration may wait a quarter of its limit, the
 * whole sweep (this shard) SWEEP_PLACEMENT_WAIT_MAX_S. */
#define SWEEP_PLACEMENT_WAIT_MAX_S 900.0

static double placement_budget(double per_item, double timeout_s, double left)
{
    double b = per_item < timeout_s / 4 ? per_item : timeout_s / 4;
    return b < left ? b : left;
}

/* What the item's timings waited (its impls are timed in one pass). */
static double item_waited_s(const struct exec_shared *sh, int n_impl)
{
    double w = 0;
    for (int j = 0; j < n_impl; j++)
        w = sh->r[j].t.placement_waited_s > w ? sh->r[j].t.placement_waited_s : w;
    return w;
}

int sweep_run(const struct plan *p, const struct sweep_opts *o, char *err, size_t errlen)
{
    struct sweep_state s;
    if (sweep_open(p, o, &s, err, errlen) != 0) {
        sweep_close(&s);
        return -1;
    }
    if (cuda_info_write(p, s.dir, err, errlen) != 0) {
        sweep_close(&s);
        return -1;
    }
    struct exec_opts eo = {.env = o->env, .init = p->init, .seed = p->seed};
    timing_opts_default(&eo.timing, o->quick);
    double wait_per_item = eo.timing.placement_wait_s, wait_left = SWEEP_PLACEMENT_WAIT_MAX_S;
    struct exec_shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        snprintf(err, errlen, "mmap: %s", strerror(errno));
        sweep_close(&s);
        return -1;
    }
    int total = 0, k = 0, rc = 0;
    for (int i = 0; i < p->n; i++)
        total += s.shard_of[i] == o->shard_i;
    for (int i = 0; i < p->n && rc == 0; i++) {
        const struct plan_item *it = &p->items[i];
        if (s.shard_of[i] != o->shard_i)
            continue;
        sweep_note_item(&s, it);
        progress(&s, k++, total, it);
        memset(sh, 0, sizeof *sh);
        int pending = 0;
        for (int j = 0; j < it->n_impl; j++) {
            char desc[PLAN_DESC_MAX];
            plan_row_desc(it, it->impl[j], desc, sizeof desc);
            s.present[j] = sh->r[j].done = row_present(&s, desc);
            pending += !sh->r[j].done;
        }
        if (!pending)
            continue;
        if (it->invalid[0])
            for (int j = 0; j < it->n_impl; j++) {
                snprintf(sh->r[j].status, sizeof sh->r[j].status, "invalid");
                snprintf(sh->r[j].message, sizeof sh->r[j].message, "%s", it->invalid);
            }
        else {
            eo.base = baseline_of(p, it);
            eo.timing.placement_wait_s = placement_budget(wait_per_item, p->timeout_s, wait_left);
            sweep_run_item(it, &eo, p->timeout_s, sh);
            wait_left -= item_waited_s(sh, it->n_impl);
        }
        rc = sweep_write_item(&s, it, sh, err, errlen);
    }
    progress(&s, k, total, &p->items[p->n - 1]);
    if (s.tty)
        fputc('\n', stderr);
    munmap(sh, sizeof *sh);
    if (rc == 0)
        rc = sweep_finish(p, o, &s, err, errlen);
    sweep_close(&s);
    return rc;
}
