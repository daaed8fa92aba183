/* kernels/c2f.h — the C2f block (ultralytics C2f, MODULES.md 3.3) and the
 * rows built on it: C2f itself (kernels/c2f.c, blocks = Bottleneck) and
 * C2f_GhostModule_DynamicConv (kernels/c2f_ghost.c, 5.6, blocks =
 * GhostModule).  cv1 (c1 -> 2c, 1x1) is split into two chunks, each block
 * m[i] (c -> c) reads the last chunk so far and appends one, cv2
 * ((2 + n)c -> c2, 1x1) reads the concatenation.  One description serves
 * both rows so that their counts, keys and references agree. */
#ifndef ABLATE_C2F_H
#define ABLATE_C2F_H

#include "common.h"

/* cv1 and cv2 hold 6 tensors each. */
enum { CSP2_OUTER_WEIGHTS = 12 };

struct csp2 {
    int c1, c2, n, c;          /* c = int(c2 * e) */
    struct args cv1, cv2;      /* Conv(c1, 2c, 1), Conv((2 + n)c, c2, 1) */
    const struct op *block;    /* the row of every m[i] */
    struct args m;             /* its args: every m[i] has the same */
};

/* Reads c1, c2, n, e and bn_eps from a and fills cv1, cv2; the caller sets
 * block and m. */
void csp2_cfg(struct csp2 *s, const struct args *a);
/* Largest n whose weights fit WEIGHTS_MAX. */
int csp2_n_max(const struct csp2 *s);
int64_t csp2_params(const struct csp2 *s);
int64_t csp2_flops_thop(const struct csp2 *s, struct shape4 in);
int64_t csp2_flops_full(const struct csp2 *s, struct shape4 in);
/* MODULES.md 1.3: input, output and every float of the state_dict. */
int64_t csp2_bytes(const struct csp2 *s, struct shape4 in);
/* PyTorch registers cv1, cv2, then m: that is the state_dict order. */
void csp2_weights(const struct csp2 *s, struct weight_list *wl);
void csp2_init(const struct csp2 *s, enum init_mode mode, struct rng *r, float *const *w);
/* The block, cv1, cv2, the ModuleList m and its n blocks (kernels/ops.h). */
void csp2_model_counts(const struct csp2 *s, struct shape4 in, struct model_counts *mc);
void csp2_forward_ref(const struct csp2 *s, struct shape4 in, const float *const *w, const float *x,
                      float *y);

#endif
