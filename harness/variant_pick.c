/* harness/variant_pick.c — see variant_pick.h. */
#include "variant_pick.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffers.h"
#include "meta.h"
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

/* ------------------------------------------------------------ cache */

/* The cache key of one choice: the machine (fingerprint id: CPU, cores,
 * BLAS, compiler), the thread count and every candidate's cached .so name,
 * which hashes its source (the layer's exact shape included), compiler,
 * flags and runtime headers: a changed kernel or machine never meets an
 * old choice. */
static void cache_key(const struct candidate *c, int n, int threads, char *key, size_t len)
{
    struct fingerprint fp;
    fingerprint_read(&fp, NULL); /* only fp.id: the rate is in every .so name */
    size_t used = (size_t)snprintf(key, len, "fp=%s threads=%d kernels=", fp.id, threads);
    for (int i = 0; i < n && used < len; i++) {
        const char *base = strrchr(c[i].k.so_path, '/');
        base = base ? base + 1 : c[i].k.so_path;
        used += (size_t)snprintf(key + used, len - used, "%s%.*s", i ? "," : "",
                                 (int)strcspn(base, "."), base);
    }
}

/* Parses "chosen=NAME load=L NAME=MS ..." (the rest of a cache line) into
 * p for the candidates names[0 .. n); 0 when every candidate has a time
 * and the chosen one is among them. */
static int parse_choice(char *rest, char names[][GEN_NAME_MAX], int n, struct variant_pick *p)
{
    int have = 0;
    p->n = n, p->chosen = -1;
    for (int i = 0; i < n; i++)
        snprintf(p->names[i], GEN_NAME_MAX, "%s", names[i]);
    for (char *save, *tok = strtok_r(rest, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return -1;
        *eq = 0;
        for (int i = 0; i < n; i++) {
            if (strcmp(tok, "chosen") == 0 && strcmp(eq + 1, names[i]) == 0)
                p->chosen = i;
            else if (strcmp(tok, names[i]) == 0)
                p->ms[i] = strtod(eq + 1, NULL), have |= 1 << i;
        }
        if (strcmp(tok, "load") == 0)
            p->load = strtod(eq + 1, NULL);
    }
    return p->chosen >= 0 && have == (1 << n) - 1 ? 0 : -1;
}

/* The last choice stored under key in the cache file; 0 when found. */
static int cache_lookup(const char *cache, const char *key, char names[][GEN_NAME_MAX], int n,
                        struct variant_pick *p)
{
    FILE *f = fopen(cache, "r");
    if (!f)
        return -1;
    char line[4096];
    size_t klen = strlen(key);
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        struct variant_pick q = {0};
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ' &&
            parse_choice(line + klen + 1, names, n, &q) == 0)
            *p = q, found = 0;
    }
    fclose(f);
    return found;
}

/* Appends the choice as one line (one write: concurrent processes do not
 * interleave lines).  A cache that cannot be written only costs the next
 * run its timing, so failure is not an error. */
static void cache_store(const char *cache, const char *key, const struct variant_pick *p)
{
    char line[4096];
    size_t used = (size_t)snprintf(line, sizeof line, "%s chosen=%s load=%.2f", key,
                                   p->names[p->chosen], p->load);
    for (int i = 0; i < p->n && used < sizeof line; i++)
        used += (size_t)snprintf(line + used, sizeof line - used, " %s=%.4f", p->names[i], p->ms[i]);
    if (used + 1 >= sizeof line)
        return;
    line[used++] = '\n';
    FILE *f = fopen(cache, "a");
    if (f) {
        (void)!fwrite(line, 1, used, f);
        (void)!fclose(f);
    }
}

/* ------------------------------------------------------------ timing */

/* Times the candidates interleaved and fills p.  0, or -1 (out of memory). */
static int time_all(struct candidate *c, char names[][GEN_NAME_MAX], int n, struct variant_pick *p)
{
    struct timed_impl t[GEN_VARIANTS_MAX];
    memset(t, 0, sizeof t);
    for (int i = 0; i < n; i++) {
        double t0 = now_s();
        call_candidate(&c[i]); /* first call: warms it and seeds the sample count */
        t[i] = (struct timed_impl){.fn = call_candidate, .ctx = &c[i], .first_call_s = now_s() - t0};
    }
    struct timing_opts o;
    timing_opts_default(&o, 1);
    o.min_time_s = 0.1, o.min_samples = 8, o.max_samples = 60; /* ~0.1 s each: a steadier choice */
    if (timing_run(t, n, &o, NULL, NULL) != 0)
        return -1;
    p->n = n;
    for (int i = 0; i < n; i++) {
        snprintf(p->names[i], GEN_NAME_MAX, "%s", names[i]);
        p->ms[i] = t[i].result.median_ms;
        p->chosen = p->ms[i] < p->ms[p->chosen] ? i : p->chosen;
        p->load = t[i].result.load > p->load ? t[i].result.load : p->load;
    }
    return 0;
}

int variant_pick(const struct gen_env *env, const struct instance *inst, const float *const *w,
                 const float *x, float *y, int threads, char names[][GEN_NAME_MAX], int n,
                 const char *cache, struct gen_kernel *k, struct variant_pick *p, char *err,
                 size_t errlen)
{
    struct candidate c[GEN_VARIANTS_MAX];
    char key[1024];
    memset(c, 0, sizeof c), memset(p, 0, sizeof *p);
    n = n < GEN_VARIANTS_MAX ? n : GEN_VARIANTS_MAX;
    for (int i = 0; i < n; i++)
        c[i] = (struct candidate){.w = w, .x = x, .y = y, .threads = threads};
    if (build_all(env, inst, names, n, c, err, errlen) != 0)
        return -1;
    if (cache) {
        cache_key(c, n, threads, key, sizeof key);
        p->cached = cache_lookup(cache, key, names, n, p) == 0;
    }
    if (!p->cached) {
        if (time_all(c, names, n, p) != 0) {
            drop(c, n, -1);
            snprintf(err, errlen, TIMING_OOM);
            return -1;
        }
        if (cache)
            cache_store(cache, key, p);
    }
    *k = c[p->chosen].k;
    drop(c, n, p->chosen);
    return 0;
}
