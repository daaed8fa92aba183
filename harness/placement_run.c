/* harness/placement_run.c — measures a placement plan: for every scale and
 * thread count the base model and each placement, built in memory
 * (placement_edit.c), counted (model_summarize) and timed end to end with
 * generated kernels in a forked child with a time limit, so a crash or a
 * hang becomes a row and the sweep goes on.  Each placement is timed
 * interleaved with the base model in its child (model_bench_pair): its row
 * gets its median and its ratio to the base with a 95 % interval
 * (ratio_vs_base, ratio_ci_lo, ratio_ci_hi); the base row is the base timed
 * against itself (an A/A ratio: how much the method wobbles).  Parity is
 * checked on the whole graph at a smaller image (parity_size).  One CSV row
 * each (docs/models.md "Placement sweeps" lists how the columns are used), flushed
 * as it is written; --resume skips rows already in the CSV. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "meta.h"
#include "model.h"
#include "model_bench.h"
#include "placement.h"
#include "placement_out.h"
#include "results.h"
#include "sweep.h"

struct bench_shared {
    int rc;
    struct model_pair_result r;
    char err[ERR_MAX];
};

/* The image size of the parity check: a quarter of the timed one (the
 * scalar reference graph costs 16x less), a multiple of the model's stride
 * 32, at least 64 (or the timed size when that is smaller). */
static int parity_size(int imgsz)
{
    int s = imgsz / 4 / 32 * 32;
    s = s < 64 ? 64 : s;
    return s < imgsz ? s : imgsz;
}

static int make_dir(const char *path, char *err, size_t errlen)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                break;
            *p = '/';
        }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", buf, strerror(errno));
        return -1;
    }
    return 0;
}

static int choose_dir(const struct placement_plan *p, const struct placement_opts *o, char *dir,
                      size_t len, char *err, size_t errlen)
{
    char latest[1024];
    snprintf(latest, sizeof latest, "%s/runs/%s/latest", o->root, p->name);
    if (o->out)
        snprintf(dir, len, "%s", o->out);
    else if (o->resume) {
        char target[256];
        ssize_t n = readlink(latest, target, sizeof target - 1);
        if (n <= 0) {
            snprintf(err, errlen, "--resume: no earlier run of '%s' in %s/runs/%s/", p->name, o->root,
                     p->name);
            return -1;
        }
        target[n] = 0;
        snprintf(dir, len, "%s/runs/%s/%s", o->root, p->name, target);
    } else {
        char stamp[32];
        time_t now = time(NULL);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", gmtime(&now));
        snprintf(dir, len, "%s/runs/%s/%s", o->root, p->name, stamp);
        if (make_dir(dir, err, errlen) != 0)
            return -1;
        unlink(latest);
        if (symlink(stamp, latest) != 0) /* a convenience: the run itself is complete without it */
            fprintf(stderr, "ablate: cannot point %s at %s: %s\n", latest, stamp, strerror(errno));
        return 0;
    }
    return make_dir(dir, err, errlen);
}

/* The child: generated graph vs reference graph at parity_size, then the
 * placement and the base timed end to end, interleaved. */
static void bench_child(const struct model *m, const struct model *base, const struct placement_plan *p,
                        int threads, struct bench_shared *sh)
{
    sh->rc = model_bench_pair(m, base, p->imgsz, parity_size(p->imgsz), threads, p->quick, &sh->r, sh->err,
                              sizeof sh->err);
    _exit(0);
}

static void fill_counts(struct result_row *row, const struct model_summary *s, int imgsz)
{
    row->batch = 1, row->c_in = 3, row->h = row->w = imgsz;
    row->params = s->params, row->flops_thop = s->flops_printed, row->flops_full = s->flops_full;
    row->bytes = s->bytes_min;
}

static void bench_into(const struct model *m, const struct model *base, const struct placement_plan *p,
                       int threads, struct result_row *row)
{
    struct bench_shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        snprintf(row->status, sizeof row->status, "crashed");
        snprintf(row->message, sizeof row->message, "mmap: %s", strerror(errno));
        return;
    }
    sh->rc = -2;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        bench_child(m, base, p, threads, sh);
    if (pid < 0) {
        snprintf(row->status, sizeof row->status, "crashed");
        snprintf(row->message, sizeof row->message, "fork: %s", strerror(errno));
    } else if (sweep_wait_child(pid, p->timeout_s, row->status, row->message, sizeof row->message) != 0) {
        /* status and message say timeout or crash */
    } else if (sh->rc < 0) {
        snprintf(row->status, sizeof row->status, "invalid");
        snprintf(row->message, sizeof row->message, "%s", sh->err);
    } else {
        const struct model_pair_result *r = &sh->r;
        snprintf(row->status, sizeof row->status, "%s", r->ok ? "ok" : "fail_parity");
        snprintf(row->message, sizeof row->message, "parity at %dx%d", r->parity_size, r->parity_size);
        row->ratio_vs_base = r->ratio.ratio, row->ratio_ci_lo = r->ratio.lo, row->ratio_ci_hi = r->ratio.hi;
        row->median_ms = r->e2e.median_ms, row->p10_ms = r->e2e.p10_ms, row->p90_ms = r->e2e.p90_ms;
        row->min_ms = r->e2e.min_ms, row->samples = r->e2e.samples, row->load = r->e2e.load;
        row->roundtrip_ns = r->e2e.roundtrip_ns, row->vcpu_skew = r->e2e.vcpu_skew;
        row->gflops = (double)row->flops_full / (r->e2e.median_ms * 1e6);
        row->max_abs = r->par.max_abs, row->max_rel = r->par.max_rel, row->nmse = r->par.nmse;
    }
    munmap(sh, sizeof *sh);
}

/* v NULL: the base model. */
static void describe(const struct placement_plan *p, const char *scale, int threads,
                     const struct placement_variant *v, struct result_row *row)
{
    result_row_clear(row);
    const char *model = strrchr(p->model_path, '/');
    model = model ? model + 1 : p->model_path;
    snprintf(row->layer, sizeof row->layer, "%s", scale);
    snprintf(row->role, sizeof row->role, "%s", v ? "module" : "baseline");
    snprintf(row->module, sizeof row->module, "%s", v ? v->label : "base");
    snprintf(row->impl, sizeof row->impl, "gen:e2e");
    row->threads = threads;
    if (v) {
        size_t used = (size_t)snprintf(row->args, sizeof row->args, "model=%s:scale=%s:%s%s:module=%s",
                                       model, scale, v->insert ? "insert" : "replace=",
                                       v->insert ? "" : v->replace, v->op->name);
        for (int i = 0; i < v->nwith && used < sizeof row->args; i++)
            used += (size_t)snprintf(row->args + used, sizeof row->args - used, ":%s=%s",
                                     v->with_key[i], v->with_val[i]);
    } else
        snprintf(row->args, sizeof row->args, "model=%s:scale=%s", model, scale);
    snprintf(row->desc, sizeof row->desc, "placement:%s:%s:%s:imgsz%d:t%d", model, scale,
             v ? v->label : "base", p->imgsz, threads);
}

static void measure(const struct placement_plan *p, const struct model_yaml *base, const char *scale,
                   int threads, const struct placement_variant *v, struct result_row *row)
{
    char err[ERR_MAX + 600];
    struct model_yaml *y = malloc(sizeof *y);
    struct model_summary *s = malloc(sizeof *s);
    struct model m, mb;
    int rc = y && s ? 0 : -1;
    snprintf(err, sizeof err, "out of memory");
    if (rc == 0)
        rc = v ? placement_apply(base, v, y, err, sizeof err) : (*y = *base, 0);
    if (rc == 0 && (rc = model_build(y, scale, &m, err, sizeof err)) == 0) {
        if ((rc = model_summarize(&m, p->imgsz, 0, s, err, sizeof err)) == 0 &&
            (rc = model_build(base, scale, &mb, err, sizeof err)) == 0) {
            fill_counts(row, s, p->imgsz);
            bench_into(&m, &mb, p, threads, row);
            model_free(&mb);
        }
        model_free(&m);
    }
    if (rc != 0) {
        snprintf(row->status, sizeof row->status, "invalid");
        snprintf(row->message, sizeof row->message, "%s", err);
    }
    free(y);
    free(s);
}

static int have_row(const struct result_row *rows, int n, const char *desc)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].desc, desc))
            return 1;
    return 0;
}

static int run_all(const struct placement_plan *p, const struct model_yaml *base, FILE *csv,
                   const struct result_row *done, int ndone, char *err, size_t errlen)
{
    int total = p->nscales * p->nthreads * (p->nvariants + 1), k = 0;
    for (int s = 0; s < p->nscales; s++)
        for (int t = 0; t < p->nthreads; t++)
            for (int i = -1; i < p->nvariants; i++) {
                struct result_row row;
                const struct placement_variant *v = i < 0 ? NULL : &p->v[i];
                describe(p, p->scales[s], p->threads[t], v, &row);
                k++;
                if (have_row(done, ndone, row.desc))
                    continue;
                printf("[%d/%d] %s %s, %d thread%s\n", k, total, p->scales[s], row.module,
                       p->threads[t], p->threads[t] > 1 ? "s" : "");
                measure(p, base, p->scales[s], p->threads[t], v, &row);
                if (results_write(csv, &row, err, errlen) != 0 || results_flush(csv, err, errlen) != 0)
                    return -1;
            }
    return 0;
}

int placement_run(const struct placement_plan *p, const struct placement_opts *o, char *err,
                  size_t errlen)
{
    char dir[1024], csv_path[1100];
    if (choose_dir(p, o, dir, sizeof dir, err, errlen) != 0)
        return -1;
    snprintf(csv_path, sizeof csv_path, "%s/results.csv", dir);
    struct fingerprint fp;
    fingerprint_read(&fp, o->fma);
    if (meta_write(dir, &fp, o->argc, o->argv, p->name, err, errlen) != 0)
        return -1;
    struct result_row *done = NULL;
    int ndone = o->resume ? results_read(csv_path, &done, err, errlen) : 0;
    struct model_yaml *base = ndone >= 0 ? model_yaml_read(p->model_path, err, errlen) : NULL;
    if (base)
        printf("timing: each placement end to end, interleaved with the base model in one process "
               "(ratio_vs_base, 95%% CI); parity: each whole generated graph against its reference graph "
               "at %dx%d or the next multiple of 32 the graph accepts (timed at %dx%d)\n", parity_size(p->imgsz),
               parity_size(p->imgsz), p->imgsz, p->imgsz);
    FILE *csv = base ? results_open(csv_path, err, errlen) : NULL;
    int rc = csv ? run_all(p, base, csv, done, ndone, err, errlen) : -1;
    if (csv && fclose(csv) != 0 && rc == 0) {
        snprintf(err, errlen, "%s: %s", csv_path, strerror(errno));
        rc = -1;
    }
    free(done);
    free(base);
    if (rc == 0)
        rc = placement_finish(p, dir, csv_path, err, errlen);
    return rc;
}
