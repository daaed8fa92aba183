/* kernels/c3.h — the CSP block with three Convs (ultralytics C3) and the
 * rows built on it: C3 itself (kernels/c3.c, MODULES.md 3.4) and
 * C3_DCNv3_DLKA (kernels/c3_dlka.c, 6.3), whose bottleneck only adds a
 * deformable_LKA_Attention after its two Convs.  One description of the
 * block serves both so that their counts, keys and references agree. */
#ifndef ABLATE_C3_H
#define ABLATE_C3_H

#include "common.h"

/* cv1, cv2, cv3 (6 tensors each) + n bottlenecks (12 + the attention's
 * tensors each) must fit WEIGHTS_MAX. */
enum { CSP3_OUTER_WEIGHTS = 18, CSP3_BNECK_CONV_WEIGHTS = 12 };

struct csp3 {
    int c1, c2, n, c_, g, add; /* add: shortcut taken (c_ == c_ always inside) */
    struct args cv1, cv2, cv3; /* Conv(c1,c_,1), Conv(c1,c_,1), Conv(2c_,c2,1) */
    struct args mcv1, mcv2;    /* each bottleneck: Conv(c_,c_,1), Conv(c_,c_,3,g) */
    const struct op *attn;     /* NULL (C3) or the bottleneck's Dattention row */
    struct args attn_args;
};

/* Reads c1, c2, n, shortcut, g, e and bn_eps from a; attn NULL. */
void csp3_cfg(struct csp3 *s, const struct args *a);
/* Largest n whose weights fit WEIGHTS_MAX. */
int csp3_n_max(const struct csp3 *s);
int64_t csp3_params(const struct csp3 *s);
int64_t csp3_flops_thop(const struct csp3 *s, struct shape4 in);
int64_t csp3_flops_full(const struct csp3 *s, struct shape4 in);
int64_t csp3_bytes(const struct csp3 *s, struct shape4 in);
void csp3_weights(const struct csp3 *s, struct weight_list *wl);
void csp3_init(const struct csp3 *s, enum init_mode mode, struct rng *r, float *const *w);
void csp3_model_counts(const struct csp3 *s, struct shape4 in, struct model_counts *mc);
void csp3_forward_ref(const struct csp3 *s, struct shape4 in, const float *const *w, const float *x,
                      float *y);

#endif
