/* harness/parity.h — how close an output is to the reference output. */
#ifndef ABLATE_PARITY_H
#define ABLATE_PARITY_H

#include <stdint.h>

struct parity {
    double max_abs;     /* max |y - ref| */
    double max_rel;     /* max |y - ref| / (1 + |ref|): MODULES.md 0.2's scale */
    double nmse;        /* sum (y-ref)^2 / sum ref^2 */
    int64_t n_bad;      /* elements outside |y-ref| <= 1e-4 (1 + |ref|) */
    int64_t n_nonfinite;/* NaN/Inf in y where ref is finite: unwritten (poisoned) or broken */
    int mistrusted;     /* ref is (almost) constant: agreement proves little */
};

/* Conformance bound of MODULES.md 0.2, per element. */
#define PARITY_ELEM_TOL 1e-4

void parity_compare(const float *y, const float *ref, int64_t n, struct parity *p);
/* 1 if within tolerances: no non-finite, no element beyond the bound, nmse <= tol_nmse. */
int parity_ok(const struct parity *p, double tol_nmse);
/* "ok" | "fail_parity" | "mistrusted" */
const char *parity_status(const struct parity *p, double tol_nmse);

#endif
