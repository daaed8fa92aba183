/* harness/variant_pick.c — see variant_pick.h. */
#include "variant_pick.h"

#include <stdio.h>
#include <string.h>

#include "buffers.h"
#include "timing.h"

/* One candidate: its kernel, its own workspace, the layer's buffers. */
struct candidate {
    struct gen_kernel k;
    float *work;
    int64_t nwork;
    const float *const *w;
    const float *x;
    float *y;
    int threads;
};

static void call_candidate(void *ctx)
{
    const struct candidate *c = ctx;
    c->k.forward(c->w, c->x, c->y, c->work, c->threads);
}

/* Unloads candidates [0, n) except `keep` (-1: all). */
static void drop(struct candidate *c, int n, int keep)
{
    for (int i = 0; i < n; i++) {
        buf_free(c[i].work, c[i].nwork);
        if (i != keep)
            gen_unload(&c[i].k);
    }
}

static int build_all(const struct gen_env *env, const struct instance *inst, char names[][GEN_NAME_MAX],
                     int n, struct candidate *c, char *err, size_t errlen)
{
    for (int i = 0; i < n; i++) {
        if (gen_build(env, &inst->args, inst->in, names[i], &c[i].k, err, errlen) != GEN_OK) {
            drop(c, i, -1);
            return -1;
        }
        int64_t nwork = c[i].k.info->workspace_floats * c[i].threads;
        c[i].nwork = nwork > 0 ? nwork : 1;
        if (!(c[i].work = buf_alloc(c[i].nwork))) {
            gen_unload(&c[i].k);
            drop(c, i, -1);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

int variant_pick(const struct gen_env *env, const struct instance *inst, const float *const *w,
                 const float *x, float *y, int threads, char names[][GEN_NAME_MAX], int n,
                 struct gen_kernel *k, struct variant_pick *p, char *err, size_t errlen)
{
    struct candidate c[GEN_VARIANTS_MAX];
    struct timed_impl t[GEN_VARIANTS_MAX];
    memset(c, 0, sizeof c), memset(t, 0, sizeof t), memset(p, 0, sizeof *p);
    n = n < GEN_VARIANTS_MAX ? n : GEN_VARIANTS_MAX;
    for (int i = 0; i < n; i++)
        c[i] = (struct candidate){.w = w, .x = x, .y = y, .threads = threads};
    if (build_all(env, inst, names, n, c, err, errlen) != 0)
        return -1;
    for (int i = 0; i < n; i++) {
        double t0 = now_s();
        call_candidate(&c[i]); /* first call: warms it and seeds the sample count */
        t[i] = (struct timed_impl){.fn = call_candidate, .ctx = &c[i], .first_call_s = now_s() - t0};
    }
    struct timing_opts o;
    timing_opts_default(&o, 1);
    o.min_time_s = 0.1, o.min_samples = 8, o.max_samples = 60; /* ~0.1 s each: a steadier choice */
    if (timing_run(t, n, &o, NULL, NULL) != 0) {
        drop(c, n, -1);
        snprintf(err, errlen, TIMING_OOM);
        return -1;
    }
    p->n = n;
    for (int i = 0; i < n; i++) {
        snprintf(p->names[i], GEN_NAME_MAX, "%s", names[i]);
        p->ms[i] = t[i].result.median_ms;
        p->chosen = p->ms[i] < p->ms[p->chosen] ? i : p->chosen;
        p->load = t[i].result.load > p->load ? t[i].result.load : p->load;
    }
    *k = c[p->chosen].k;
    drop(c, n, p->chosen);
    return 0;
}
