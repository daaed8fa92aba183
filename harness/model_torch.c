/* harness/model_torch.c — see model_torch.h.  The peers are Python
 * scripts, so they run only on request (--peers/--torch), never by
 * `make test`. */
#include "model_torch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "peers.h"

#define PYTHON "/usr/bin/python3" /* the Debian interpreter with torch 1.13 */

/* Runs the peer, echoes its output; its median (ms) or -1. */
static double run_peer(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    char line[512];
    double median = -1;
    if (!p)
        return -1;
    while (fgets(line, sizeof line, p)) {
        fputs(line, stdout);
        const char *at = strstr(line, ": median ");
        double v;
        if (at && sscanf(at, ": median %lf ms", &v) == 1)
            median = v;
    }
    return pclose(p) == 0 ? median : -1;
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
    double theirs = run_peer(cmd);
    if (theirs <= 0) {
        printf("%s peer: skipped (%s failed)\n", name, cmd);
        return 1;
    }
    printf("%s at %dx%d, %d thread%s: ours %.3f ms / %s %.3f ms = %.2fx%s\n", m->name, imgsz, imgsz,
           threads, threads > 1 ? "s" : "", ours_ms, name, theirs, ours_ms / theirs,
           e < 0 ? " (issue 7's target: <= 0.80x)" : "");
    return 0;
}

