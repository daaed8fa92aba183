/* harness/cli_parity_lines.c — what every part of `ablate parity` shares
 * (cli_parity.h): the `--backends` words and the one line printed per
 * implementation.  cli_parity.c (ref, gen, onednn) and cli_parity_cuda.c
 * (cuda-host, cuda) both call these; these call neither back. */
#include <stdio.h>
#include <string.h>

#include "cli_parity.h"
#include "parity.h"

int parity_backends(const char *list, int *mask, char *err, size_t errlen)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    *mask = 0;
    char *save = NULL;
    for (char *b = strtok_r(buf, ",", &save); b; b = strtok_r(NULL, ",", &save)) {
        int bit = !strcmp(b, "ref") ? PARITY_REF : !strcmp(b, "gen") ? PARITY_GEN
                : !strcmp(b, "onednn") ? PARITY_ONEDNN : !strcmp(b, "cuda-host") ? PARITY_CUDA_HOST
                : !strcmp(b, "cuda") ? PARITY_CUDA : 0;
        if (!bit) {
            snprintf(err, errlen, "parity: unknown backend '%s' (known: ref, gen, onednn, cuda-host, cuda)", b);
            return -1;
        }
        *mask |= bit;
    }
    if (!*mask) {
        snprintf(err, errlen, "parity: --backends needs at least one of ref, gen, onednn, cuda-host, cuda");
        return -1;
    }
    return 0;
}

int parity_report_line(const char *impl, const float *y, const float *expect, int64_t n)
{
    struct parity p;
    parity_compare(y, expect, n, &p);
    int ok = p.n_nonfinite == 0 && p.n_bad == 0;
    printf("%-12s max_abs=%.3g max_rel=%.3g nmse=%.3g %s", impl, p.max_abs, p.max_rel, p.nmse,
           ok ? "ok" : "FAIL");
    if (!ok)
        printf("  (%lld elements beyond 1e-4*(1+|y|), %lld non-finite)", (long long)p.n_bad,
               (long long)p.n_nonfinite);
    printf("\n");
    return ok;
}
