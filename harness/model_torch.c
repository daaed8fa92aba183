/* harness/model_torch.c — see model_torch.h.  The peers are Python
 * scripts, so they run only on request (--peers/--torch), never by
 * `make test`. */
#include "model_torch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "gen.h"
#include "peers.h"
#include "timing.h"
#include "vcpu_gate.h"
#include "vcpu_roundtrip.h"

#define PYTHON "/usr/bin/python3" /* the Debian interpreter with torch 1.13 */

/* What a peer script said: scripts/peer_model.py and torch_model_peer.py
 * print one line per thread count (docs/peers.md). */
struct peer_outcome {
    enum { PEER_TIMED, PEER_FAIL_PARITY, PEER_SKIPPED, PEER_ERROR } kind;
    double median_ms;
    char detail[256]; /* fail_parity: its numbers; skipped: the reason */
};

/* One line of the peer's output into o; 1 when it was one of the above. */
static int read_peer_line(const char *line, struct peer_outcome *o)
{
    const char *at;
    double v;
    if (!strncmp(line, "skipped: ", 9)) {
        o->kind = PEER_SKIPPED;
        snprintf(o->detail, sizeof o->detail, "%.*s", (int)strcspn(line + 9, "\n"), line + 9);
        return 1;
    }
    if ((at = strstr(line, ": fail_parity "))) {
        o->kind = PEER_FAIL_PARITY;
        snprintf(o->detail, sizeof o->detail, "%.*s", (int)strcspn(at + 14, "\n"), at + 14);
        return 1;
    }
    if ((at = strstr(line, ": median ")) && sscanf(at, ": median %lf ms", &v) == 1 && v > 0) {
        o->kind = PEER_TIMED;
        o->median_ms = v;
        return 1;
    }
    return 0;
}

/* Runs the peer and echoes its lines (not the skipped one: the caller says
 * it); a run that said none of them, or a timed line with a failed exit,
 * is PEER_ERROR with the exit status. */
static struct peer_outcome run_peer(const char *cmd)
{
    struct peer_outcome o = {.kind = PEER_ERROR, .median_ms = -1};
    int said = 0;
    FILE *p = popen(cmd, "r");
    char line[512];
    if (!p) {
        snprintf(o.detail, sizeof o.detail, "cannot start %s", cmd);
        return o;
    }
    while (fgets(line, sizeof line, p)) {
        if (strncmp(line, "skipped: ", 9))
            fputs(line, stdout);
        said |= read_peer_line(line, &o);
    }
    int rc = pclose(p);
    if (!said || (o.kind == PEER_TIMED && rc != 0)) {
        o.kind = PEER_ERROR;
        snprintf(o.detail, sizeof o.detail, "exit status %d, its error is above: %s",
                 WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, cmd);
    }
    return o;
}

/* The command that times the peer, or -1 with why it cannot run. */
static int peer_command(const struct model *m, const char *root, const char *peer, int imgsz,
                        int threads, char *cmd, size_t len, char *why, size_t whylen)
{
    char py[GEN_PATH_MAX + 16], script[GEN_PATH_MAX + 64], engine[32] = "", qpy[2 * sizeof py],
        qs[2 * sizeof script], qy[2 * sizeof m->path], qscale[2 * sizeof m->scale];
    int e = peer_from_name(peer);
    if (e < 0) {
        if (system(PYTHON " -c 'import torch' >/dev/null 2>&1") != 0) {
            snprintf(why, whylen, "%s has no torch; install: apt-get install python3-torch", PYTHON);
            return -1;
        }
        snprintf(py, sizeof py, "%s", PYTHON);
        snprintf(script, sizeof script, "%s/scripts/torch_model_peer.py", root);
    } else {
        char reason[GEN_PATH_MAX + 64];
        if (peer_python(root, py, sizeof py, reason, sizeof reason) != 0) {
            snprintf(why, whylen, "%s; install: make peers", reason);
            return -1;
        }
        snprintf(script, sizeof script, "%s/scripts/peer_model.py", root);
        snprintf(engine, sizeof engine, " --engine %s", peer_impl(e));
    }
    if (sh_quote(py, qpy, sizeof qpy) != 0 || sh_quote(script, qs, sizeof qs) != 0 ||
        sh_quote(m->path, qy, sizeof qy) != 0 || sh_quote(m->scale, qscale, sizeof qscale) != 0) {
        snprintf(why, whylen, "path too long");
        return -1;
    }
    snprintf(cmd, len, "%s %s%s %s %s %d %d", qpy, qs, engine, qy, qscale, imgsz, threads);
    return 0;
}

int model_peer(const struct model *m, const char *peer, int imgsz, int threads, double ours_ms)
{
    struct gen_env env;
    char err[256], why[GEN_PATH_MAX + 128], cmd[8 * GEN_PATH_MAX];
    int e = peer_from_name(peer);
    const char *name = e >= 0 ? peer_long_name(e) : "PyTorch eager";
    fflush(stdout); /* the child writes to the same stdout */
    if (gen_env_init(&env, err, sizeof err) != 0) {
        printf("%s peer: skipped (%s)\n", name, err);
        return 1;
    }
    if (peer_command(m, env.root, peer, imgsz, threads, cmd, sizeof cmd, why, sizeof why) != 0) {
        printf("%s peer: skipped (%s)\n", name, why);
        return 1;
    }
    /* A peer times itself in its own process: the harness can only wait
     * for a near placement before it and check the placement after it. */
    struct vcpu_gate gate;
    vcpu_gate_init(&gate, threads > 1 ? timing_placement_budget(0) : 0);
    double before, after;
    struct peer_outcome o;
    for (;;) {
        before = vcpu_gate_wait(&gate);
        o = run_peer(cmd);
        after = vcpu_roundtrip_ns();
        if (o.kind != PEER_TIMED || !vcpu_gate_redo(&gate, after))
            break;
        printf("%s peer: the vCPUs were moved far apart during its run (round trip %.0f ns): again\n", name, after);
    }
    if (o.kind == PEER_SKIPPED)
        printf("%s peer: skipped (%s)\n", name, o.detail);
    else if (o.kind == PEER_FAIL_PARITY) /* a wrong export's time would mislead: no ratio */
        printf("%s peer: fail_parity (%s): no ratio\n", name, o.detail);
    else if (o.kind == PEER_ERROR)
        printf("%s peer: failed (%s)\n", name, o.detail);
    else
        printf("%s at %dx%d, %d thread%s: ours %.3f ms / %s %.3f ms = %.2fx%s (vCPU round trip %.0f ns "
               "before, %.0f after)\n",
               m->name, imgsz, imgsz, threads, threads > 1 ? "s" : "", ours_ms, name, o.median_ms,
               ours_ms / o.median_ms, e < 0 ? " (issue 7's target: <= 0.80x)" : "", before, after);
    return o.kind == PEER_TIMED ? 0 : 1;
}
