/* gen/runtime/ablate_dlka_blog.h — the blog variant's deformable_LKA_Attention
 * (two DCNv3 3x3 layers) inside C3_DCNv3_DLKA, as abl_dlka_dcnv3
 * (ablate_dlka_dcnv3.h) runs it, but for the order of phase B's tiles at 2
 * threads.
 *
 * Phase B reads xp (the layer's input_proj, channels last) wherever its
 * samples land, and xp's rows were written in phase A by the thread that
 * owns them.  With the random init the offsets lean one way (down), so at
 * 2 threads thread 0's last rows sample thread 1's first rows: lines in
 * the other core's L2.  Stamped at L20 (docs/modules/perf_deform.md, ninth
 * Intel pass): thread 0's sampler 97-135 us where thread 1's ran at the
 * 1-thread rate (76-80 us), and thread 1 waited 20 (layer 0) and 55 us
 * (layer 1) at phase B's barrier.  Here the two threads claim phase B's
 * tiles from the two ends of the job list (thread 0 from the first,
 * thread 1 from the last) until they meet, so the slower thread takes
 * fewer tiles and neither waits more than about one tile.  Every tile is
 * computed as before (each pixel's output depends on the tile's own rows
 * and the shared xp only): the same bits.  Other thread counts, and layers
 * of fewer than ABL_BLOG_CLAIM_MIN_JOBS tiles, keep the static schedule.
 *
 * A specialised copy of abl_dcn_layer / abl_dlka_dcnv3 rather than a
 * change to them: that header is the dcnv3_lka variant's too (another
 * helper's file this pass), and dcnv3_lka's layers were not measured with
 * this order. */
#ifndef ABLATE_RUNTIME_DLKA_BLOG_H
#define ABLATE_RUNTIME_DLKA_BLOG_H

#include <omp.h>

#include "ablate_dlka_dcnv3.h"

/* Least phase-B jobs (tiles of rows, all images) for the claims: a tile
 * that the other thread takes reads its rows' u / a0, xp and the tail's
 * inputs from the first owner's L2 (phase A and the head split the rows
 * statically), so a stolen tile must be a small share.  L20 and L13 have
 * 8 tiles of 5 rows; L23 (20 x 20, c_ 128) has 4, where one stolen tile is a
 * quarter of the work and the claims measured 2-3 % slower at 2 threads
 * (docs/modules/perf_deform.md, ninth Intel pass). */
enum { ABL_BLOG_CLAIM_MIN_JOBS = 8 };

/* Shared floats of the claim counter (one int, a vector's room so that it
 * shares no line with the fold before it); gen/dlka.lua counts the same. */
enum { ABL_BLOG_CLAIM_FLOATS = 16 };

/* The next phase-B job of thread me (0 or 1) of two: a claim on the shared
 * count, then the next job from the thread's own end (thread 0: 0, 1, ...;
 * thread 1: jobs - 1, jobs - 2, ...); -1 once all jobs are claimed.  The
 * claims that succeed number exactly jobs, so the two ends meet without
 * overlap.  mine: this thread's count of its own claims. */
static inline int abl_blog_claim(int *claimed, int jobs, int me, int *mine)
{
    if (__atomic_fetch_add(claimed, 1, __ATOMIC_RELAXED) >= jobs)
        return -1;
    const int k = (*mine)++;
    return me == 0 ? k : jobs - 1 - k;
}

/* Phase B of one job (image job / ntr, its tile of rows). */
ABL_DCN_SPECIALISE void abl_blog_phase_b_job(struct abl_dcn_geom d, const float *const *wp, const float *src,
                                            float *dst, const float *xp, float *priv, const float *pk,
                                            const struct abl_dlka_fused_tail *ft, int job)
{
    const ptrdiff_t hw = (ptrdiff_t)d.h * d.w, img = d.c * hw;
    const int ntr = (d.h + d.tr - 1) / d.tr, b = job / ntr;
    if (ft)
        abl_dcn_phase_b_tail(d, wp, src + b * img, xp + b * hw * d.c, priv, pk, ft, b, job % ntr * d.tr);
    else
        abl_dcn_phase_b(d, wp, src + b * img, xp + b * hw * d.c, priv, pk, dst + b * img, job % ntr * d.tr);
}

/* abl_dcn_layer with phase B's tiles claimed from both ends at 2 threads
 * (abl_blog_claim).  claimed: one shared int; thread 0 zeroes it during
 * phase A, whose closing barrier orders that before every claim (the
 * claims of the layer before ended at its phase-B barrier).  Every thread
 * calls it. */
ABL_DCN_SPECIALISE void abl_blog_layer(struct abl_dcn_geom d, const float *const *wp, const float *src,
                                      float *dst, float *shared, float *priv, const float *pk,
                                      const struct abl_dlka_fused_tail *ft, int *claimed)
{
    const ptrdiff_t hw = (ptrdiff_t)d.h * d.w, img = d.c * hw;
    const int ntr = (d.h + d.tr - 1) / d.tr, jobs = d.n * ntr;
    const int nth = omp_get_num_threads(), me = omp_get_thread_num();
    float *xp = shared;
    if (!pk) { /* each thread its own copy: no barrier */
        abl_dcn_pack(d, wp, abl_dcn_pk_own(d, priv));
        pk = abl_dcn_pk_own(d, priv);
    }
    if (me == 0)
        __atomic_store_n(claimed, 0, __ATOMIC_RELAXED);
#pragma omp for schedule(static)
    for (int job = 0; job < jobs; job++) {
        const int b = job / ntr;
        abl_dcn_phase_a(d, src + b * img, xp + b * hw * d.c, priv, pk, job % ntr * d.tr);
    }
    if (nth == 2 && jobs >= ABL_BLOG_CLAIM_MIN_JOBS) {
        int mine = 0;
        for (int job; (job = abl_blog_claim(claimed, jobs, me, &mine)) >= 0;)
            abl_blog_phase_b_job(d, wp, src, dst, xp, priv, pk, ft, job);
#pragma omp barrier
        return;
    }
#pragma omp for schedule(static)
    for (int job = 0; job < jobs; job++)
        abl_blog_phase_b_job(d, wp, src, dst, xp, priv, pk, ft, job);
}

/* Where the claim counter lives in the attention's shared floats: after
 * abl_dlka_dcnv3's (the layers' shared floats, then the fold). */
static inline ptrdiff_t abl_blog_claim_at(struct abl_dcn_geom d0, struct abl_dcn_geom d1)
{
    return abl_dlka_fold_at(d0, d1) + abl_dlka_fold_floats(d0.c);
}

/* abl_dlka_dcnv3 (same arguments, same bits) with abl_blog_layer for both
 * layers; dshared has ABL_BLOG_CLAIM_FLOATS more at abl_blog_claim_at. */
ABL_DCN_SPECIALISE void abl_dlka_blog(struct abl_dlka_geom g, struct abl_dcn_geom d0, struct abl_dcn_geom d1,
                                     const float *const *w, struct abl_dlka_io io, float *u, float *a0,
                                     float *dshared, float *priv, const float *prep)
{
    _Static_assert(sizeof(int) <= sizeof(float) * ABL_BLOG_CLAIM_FLOATS, "the claim counter's room");
    int *claimed = (int *)(dshared + abl_blog_claim_at(d0, d1));
    const float *wf = prep, *pk0 = NULL, *pk1 = NULL;
    if (prep) {
        pk0 = prep + abl_dlka_fold_floats(g.c);
        pk1 = pk0 + abl_dcn_pk_floats(d0);
    } else {
        float *fold = dshared + abl_dlka_fold_at(d0, d1);
        /* the barriers of the layers' loops make the shares visible before
         * the last layer's phase B */
        abl_dlka_fold_share(g.c, w, fold);
        wf = fold;
    }
    abl_dlka_head(g, w, io, u);
    abl_blog_layer(d0, w + 2, u, a0, dshared, priv, pk0, NULL, claimed);
    const struct abl_dlka_fused_tail ft = {wf, wf + ((ptrdiff_t)g.c * g.c + 15) / 16 * 16, w[28], w[29], u,
                                           io};
    abl_blog_layer(d1, w + 14, a0, NULL, dshared, priv, pk1, &ft, claimed);
}

#endif
