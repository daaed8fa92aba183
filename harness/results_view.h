/* harness/results_view.h — results rows grouped by configuration, the way
 * charts and the sweep summary read them.
 *
 * A configuration is one (role, site, module, args, threads): the rows of
 * its implementations (ref, gen:*, torch, ...).  A site is where a module
 * sits: its layer and input shape.  For each configuration the view picks
 * the rows the summaries need: counts come from the ref row (params and
 * FLOPs are the same for every impl), timings from the fastest generated
 * impl that passed (status ok), parity from the worst status.
 */
#ifndef ABLATE_RESULTS_VIEW_H
#define ABLATE_RESULTS_VIEW_H

#include "results.h"

enum { VIEW_PEERS = 3 };

struct config_view {
    const struct result_row *id;       /* any row of it: role, layer, shape, module, args, threads */
    const struct result_row *counts;   /* ref row, else the first row that is not 'invalid'; NULL if none */
    const struct result_row *best_gen; /* fastest "gen:*" row with status ok and a median; or NULL */
    const struct result_row *ref;      /* the ref row if it is ok and timed; or NULL */
    const struct result_row *torch;    /* the PyTorch eager peer's row if ok and timed; or NULL */
    const struct result_row *worst;    /* our rows' worst status (results_status_rank); peers aside */
    const struct result_row *peer[VIEW_PEERS]; /* torch, ort, openvino rows, any status; NULL if absent */
};

/* The peers' impl names in config_view.peer order: "torch", "ort", "openvino". */
extern const char *const results_peer_impl[VIEW_PEERS];

/* The fastest peer row of c that passed (status ok, timed), or NULL. */
const struct result_row *results_view_fastest_peer(const struct config_view *c);

/* Groups rows (which must outlive the view) into configurations sorted by
 * site (layers in natural order: L2 < L10), threads, baseline before
 * module, then module and args (natural order: num_param=5 < num_param=11).
 * Returns how many, *out malloc'd; -1 when out of memory. */
int results_view_build(const struct result_row *rows, int n, struct config_view **out);

/* The baseline configuration at the same site and thread count as c, or NULL. */
/* The configuration of role `role` ("baseline", "baseline2") at c's site and
 * thread count, or NULL.  With several "baseline2" rows at a site, the first. */
const struct config_view *results_view_role(const struct config_view *v, int n, const struct config_view *c,
                                            const char *role);
const struct config_view *results_view_baseline(const struct config_view *v, int n,
                                                const struct config_view *c);

/* c's best generated median over base's: the ratio measured beside the
 * baseline in one process (ratio_vs_base) when the row has it, else (a
 * file from before that column, or a row timed without its baseline) the
 * quotient of the two medians, timed in separate processes.  NaN when
 * either is missing. */
double results_view_base_ratio(const struct config_view *c, const struct config_view *base);

/* 1 when both rows sit at the same layer with the same input shape. */
int results_same_site(const struct result_row *a, const struct result_row *b);

/* The site as a label: the layer name, or "n1c16h320w320" when it has none. */
void results_site_label(const struct result_row *r, char *buf, size_t len);

/* The value of key in a canonical "k=v:k=v" args text; 1 if present. */
int results_arg_value(const char *args, const char *key, char *buf, size_t len);

/* Order of badness of a status: skipped -1 (a CUDA row on a machine
 * without one says nothing about the kernels), ok 0, then mistrusted,
 * fail_parity, compile_error, timeout, crashed, invalid; unknown statuses
 * rank with fail_parity. */
int results_status_rank(const char *status);

#endif
