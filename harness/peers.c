/* harness/peers.c — see peers.h.  The Python side does the work; this file
 * finds the interpreter and builds the command lines. */
#include "peers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"

#define SYSTEM_PYTHON "/usr/bin/python3" /* Debian's, with torch 1.13 */

static const char *const impl_names[PEER_ENGINES] = {"ort", "openvino"};
static const char *const long_names[PEER_ENGINES] = {"ONNX Runtime", "OpenVINO"};

const char *peer_impl(enum peer_engine e) { return impl_names[e]; }

const char *peer_long_name(enum peer_engine e) { return long_names[e]; }

int peer_from_name(const char *name)
{
    for (int e = 0; e < PEER_ENGINES; e++)
        if (name && !strcmp(name, impl_names[e]))
            return e;
    return -1;
}

int peer_python(const char *root, char *py, size_t pylen, char *why, size_t whylen)
{
    const char *venv = getenv("ABLATE_PEERS_VENV");
    char dflt[GEN_PATH_MAX + 16];
    if (!venv || !venv[0]) {
        snprintf(dflt, sizeof dflt, "%s/.venv-peers", root);
        venv = dflt;
    }
    if ((size_t)snprintf(py, pylen, "%s/bin/python", venv) >= pylen) {
        snprintf(why, whylen, "virtual environment path too long");
        return -1;
    }
    if (access(py, X_OK) != 0) {
        snprintf(why, whylen, "no virtual environment at %s", venv);
        return -1;
    }
    return 0;
}

int sh_quote(const char *s, char *out, size_t outlen)
{
    size_t n = 0;
    if (outlen < 3)
        return -1;
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

/* Without the venv, Debian's python writes the skipped rows (peer_run.py
 * imports torch_peer.py, hence torch); without torch either, stderr says so. */
void peer_sweep_rows(const char *root, const char *csv, enum peer_engine e, int quick)
{
    char py[GEN_PATH_MAX + 16], why[GEN_PATH_MAX + 64], script[GEN_PATH_MAX + 32];
    char qpy[2 * sizeof py], qscript[2 * sizeof script], qcsv[2 * GEN_PATH_MAX + 40],
        skip[2 * sizeof why + 16], cmd[sizeof qpy + sizeof qscript + sizeof qcsv + sizeof skip + 64];
    int have = peer_python(root, py, sizeof py, why, sizeof why) == 0;
    snprintf(script, sizeof script, "%s/scripts/peer_run.py", root);
    skip[0] = 0;
    if (!have && system(SYSTEM_PYTHON " -c 'import torch' >/dev/null 2>&1") != 0) {
        /* nothing can write the rows: say it once */
        fprintf(stderr, "ablate: %s peer skipped: %s and %s has no torch; install: make peers\n",
                long_names[e], why, SYSTEM_PYTHON);
        return;
    }
    if (!have) {
        snprintf(py, sizeof py, "%s", SYSTEM_PYTHON);
        memcpy(skip, " --skip ", 9);
        if (sh_quote(why, skip + 8, sizeof skip - 8) != 0)
            snprintf(skip, sizeof skip, " --skip 'no virtual environment'");
    }
    if (sh_quote(py, qpy, sizeof qpy) != 0 || sh_quote(script, qscript, sizeof qscript) != 0 ||
        sh_quote(csv, qcsv, sizeof qcsv) != 0) {
        fprintf(stderr, "ablate: %s peer skipped: path too long\n", long_names[e]);
        return;
    }
    snprintf(cmd, sizeof cmd, "%s %s --csv %s --engine %s%s%s", qpy, qscript, qcsv, impl_names[e],
             quick ? " --quick" : "", skip);
    fprintf(stderr, "ablate: %s peer: %s\n", long_names[e], cmd);
    fflush(stdout); /* the child writes to the same stdout */
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "ablate: %s peer failed (status %d); its rows may be missing\n", long_names[e], rc);
}
