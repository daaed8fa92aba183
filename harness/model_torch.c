/* harness/model_torch.c — see model_torch.h.  The peer is a Python script,
 * so it is run only on request (--torch), never by `make test`. */
#include "model_torch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

#define PYTHON "/usr/bin/python3" /* the Debian interpreter with torch 1.13 */

/* s inside single quotes for sh; 0, or -1 when it does not fit. */
static int sh_quote(const char *s, char *out, size_t outlen)
{
    size_t n = 0;
    out[n++] = '\'';
    for (; *s; s++) {
        const char *piece = *s == '\'' ? "'\\''" : (char[]){*s, 0};
        size_t k = strlen(piece);
        if (n + k + 2 > outlen)
            return -1;
        memcpy(out + n, piece, k);
        n += k;
    }
    out[n++] = '\'';
    out[n] = 0;
    return 0;
}

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

int model_torch_peer(const struct model *m, int imgsz, int threads, double ours_ms)
{
    struct gen_env env;
    char err[256], script[GEN_PATH_MAX + 64], qs[2 * sizeof script], qy[2 * sizeof m->path],
        qscale[2 * sizeof m->scale], cmd[sizeof qs + sizeof qy + sizeof qscale + 128];
    fflush(stdout); /* the child writes to the same stdout */
    if (system(PYTHON " -c 'import torch' >/dev/null 2>&1") != 0) {
        printf("PyTorch peer: skipped (%s has no torch)\n", PYTHON);
        return 1;
    }
    if (gen_env_init(&env, err, sizeof err) != 0) {
        printf("PyTorch peer: skipped (%s)\n", err);
        return 1;
    }
    snprintf(script, sizeof script, "%s/scripts/torch_model_peer.py", env.root);
    if (sh_quote(script, qs, sizeof qs) != 0 || sh_quote(m->path, qy, sizeof qy) != 0 ||
        sh_quote(m->scale, qscale, sizeof qscale) != 0) {
        printf("PyTorch peer: skipped (path too long)\n");
        return 1;
    }
    snprintf(cmd, sizeof cmd, PYTHON " %s %s %s %d %d", qs, qy, qscale, imgsz, threads);
    double theirs = run_peer(cmd);
    if (theirs <= 0) {
        printf("PyTorch peer: skipped (%s failed)\n", cmd);
        return 1;
    }
    printf("%s at %dx%d, %d thread%s: ours %.3f ms / PyTorch eager %.3f ms = %.2fx "
           "(issue 7's target: <= 0.80x)\n",
           m->name, imgsz, imgsz, threads, threads > 1 ? "s" : "", ours_ms, theirs,
           ours_ms / theirs);
    return 0;
}
