/* harness/sweep_out.c — see sweep_out.h. */
#include "sweep_out.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "charts.h"
#include "child.h"
#include "history.h"
#include "meta.h"
#include "peak.h"
#include "peers.h"
#include "shard.h"
#include "summary.h"
#include "timing.h"

/* mkdir -p */
static int make_dirs(const char *path, char *err, size_t errlen)
{
    char buf[GEN_PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        int end = *p == 0;
        if (*p == '/' || end) {
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create %s: %s", buf, strerror(errno));
                return -1;
            }
            if (end)
                return 0;
            *p = '/';
        }
    }
}

static int choose_dir(const struct plan *p, const struct sweep_opts *o, char *dir, size_t len,
                      char *err, size_t errlen)
{
    if (o->out) {
        snprintf(dir, len, "%s", o->out);
        return 0;
    }
    if (o->resume && o->sharded) { /* runs/<name>/latest is never a shard's */
        snprintf(err, errlen, "--resume with --shard needs --out (the shard's own folder)");
        return -1;
    }
    char latest[GEN_PATH_MAX];
    snprintf(latest, sizeof latest, "%s/runs/%s/latest", o->env.root, p->name);
    if (o->resume) {
        char target[256];
        ssize_t n = readlink(latest, target, sizeof target - 1);
        if (n <= 0) {
            snprintf(err, errlen, "--resume: no earlier run of '%s' in %s/runs/%s/", p->name,
                     o->env.root, p->name);
            return -1;
        }
        target[n] = 0;
        snprintf(dir, len, "%s/runs/%s/%s", o->env.root, p->name, target);
        return 0;
    }
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", gmtime(&now));
    snprintf(dir, len, "%s/runs/%s/%s", o->env.root, p->name, stamp);
    return 0;
}

/* runs/<name>/latest -> <stamp>, so --resume and readers find the newest
 * run.  A shard is a part of a run, not a run: it leaves latest alone (the
 * merge of the shards is the run; scripts/slurm_sweep.sh points latest at
 * it). */
static void point_latest(const struct sweep_opts *o, const struct plan *p, const char *dir)
{
    if (o->sharded)
        return;
    char latest[GEN_PATH_MAX], tmp[GEN_PATH_MAX + 16], prefix[GEN_PATH_MAX];
    snprintf(prefix, sizeof prefix, "%s/runs/%s/", o->env.root, p->name);
    if (strncmp(dir, prefix, strlen(prefix)) != 0)
        return; /* a folder chosen with --out is the user's business */
    snprintf(latest, sizeof latest, "%slatest", prefix);
    snprintf(tmp, sizeof tmp, "%s.tmp%d", latest, (int)getpid());
    if (symlink(dir + strlen(prefix), tmp) == 0 && rename(tmp, latest) != 0)
        unlink(tmp);
}

/* The roofs for this run's thread counts: measured now, beside the kernels,
 * because a figure from another day or machine would not be honest.  It
 * runs in a child: OpenMP's thread pool does not survive fork(), so the
 * parent, which forks every configuration, must never start one. */
struct peaks_job {
    const struct plan *p;
    const struct sweep_opts *o;
    const char *dir;
};

static int measure_peaks_child(void *ctx)
{
    const struct peaks_job *job = ctx;
    const struct plan *p = job->p;
    struct peak pk[8];
    char err[ERR_MAX];
    int n = 0, seen[257] = {0};
    for (int i = 0; i < p->n && n < 8; i++)
        if (!seen[p->items[i].threads]) {
            seen[p->items[i].threads] = 1;
            if (peak_measure(&pk[n], p->items[i].threads, job->o->quick, err, sizeof err) != 0)
                break;
            fprintf(stderr, "ablate: machine, %d thread%s: sgemm %.0f GFLOP/s (OpenBLAS %s), triad %.1f GB/s\n",
                    pk[n].threads, pk[n].threads > 1 ? "s" : "", pk[n].sgemm_gflops, pk[n].blas_core,
                    pk[n].triad_gbs);
            n++;
        }
    if (n == 0 || peak_write(job->dir, pk, n, err, sizeof err) != 0) {
        fprintf(stderr, "ablate: machine peaks not measured: %s\n", err);
        return 1;
    }
    return 0;
}

static int measure_peaks(const struct plan *p, const struct sweep_opts *o, const char *dir, char *err,
                         size_t errlen)
{
    struct peaks_job job = {p, o, dir};
    char why[256];
    if (run_in_child(measure_peaks_child, &job, why, sizeof why) != 0)
        fprintf(stderr, "ablate: going on without peak.json\n");
    return 0;
}

/* Every item's shard, before anything is written: a bad split must not
 * leave a half-made run folder. */
static int split_plan(const struct plan *p, const struct sweep_opts *o, struct sweep_state *s, char *err,
                      size_t errlen)
{
    s->shard_of = malloc(sizeof *s->shard_of * (size_t)(p->n ? p->n : 1));
    if (!s->shard_of || shard_assign(p, o->shard_n, s->shard_of) != 0) {
        snprintf(err, errlen, "cannot split the plan into %d shards (out of memory)", o->shard_n);
        return -1;
    }
    if (o->sharded)
        snprintf(s->shard, sizeof s->shard, "%d/%d", o->shard_i, o->shard_n);
    return 0;
}

/* A resumed folder must hold rows of this very shard: rows of another
 * split would overlap other shards' rows when they are merged. */
static int check_same_shard(const struct sweep_state *s, char *err, size_t errlen)
{
    for (int i = 0; i < s->n_done; i++)
        if (strcmp(s->done[i].shard, s->shard)) {
            snprintf(err, errlen, "%s holds rows of shard '%s', not '%s': resume it with the same --shard, "
                                  "or choose another --out",
                     s->csv, s->done[i].shard, s->shard);
            return -1;
        }
    return 0;
}

int sweep_open(const struct plan *p, const struct sweep_opts *o, struct sweep_state *s, char *err,
               size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->t_start = now_s();
    s->tty = isatty(2);
    snprintf(s->xarg, sizeof s->xarg, "%s", p->xarg[0] ? p->xarg : "-");
    if (split_plan(p, o, s, err, errlen) != 0 || choose_dir(p, o, s->dir, sizeof s->dir, err, errlen) != 0)
        return -1;
    snprintf(s->csv, sizeof s->csv, "%s/results.csv", s->dir);
    if (!o->resume && access(s->csv, F_OK) == 0) {
        snprintf(err, errlen, "%s exists: add --resume to continue that run, or choose another --out",
                 s->csv);
        return -1;
    }
    if (make_dirs(s->dir, err, errlen) != 0)
        return -1;
    if (o->resume && (s->n_done = results_read(s->csv, &s->done, err, errlen)) < 0)
        return -1;
    if (check_same_shard(s, err, errlen) != 0)
        return -1;
    struct fingerprint fp;
    fingerprint_read(&fp, &o->env.fma);
    if (meta_write(s->dir, &fp, o->argc, o->argv, p->name, err, errlen) != 0)
        return -1;
    if (measure_peaks(p, o, s->dir, err, errlen) != 0)
        return -1;
    if (!(s->f = results_open(s->csv, err, errlen)))
        return -1;
    point_latest(o, p, s->dir);
    int mine = 0;
    for (int i = 0; i < p->n; i++)
        mine += s->shard_of[i] == o->shard_i;
    char share[64] = "";
    if (o->sharded)
        snprintf(share, sizeof share, " (shard %s runs %d of them)", s->shard, mine);
    fprintf(stderr, "ablate: %s: %d configurations%s -> %s%s\n", p->name, p->n, share, s->dir,
            o->resume ? (s->n_done ? " (resuming)" : " (resuming: no rows yet)") : "");
    return 0;
}

void sweep_note_item(struct sweep_state *s, const struct plan_item *it)
{
    int k = it->inst.op && s->xarg[0] ? arg_index(it->inst.op, s->xarg) : -1;
    if (k >= 0)
        arg_value_text(&it->inst.args, k, s->xval, sizeof s->xval);
    else
        snprintf(s->xval, sizeof s->xval, "-");
}

static void fill_row(struct result_row *row, const struct plan_item *it, int j,
                     const struct impl_report *r, const char *shard)
{
    const struct instance *m = &it->inst;
    result_row_clear(row);
    plan_row_desc(it, it->impl[j], row->desc, sizeof row->desc);
    snprintf(row->layer, sizeof row->layer, "%s", it->layer);
    snprintf(row->role, sizeof row->role, "%s", it->role);
    snprintf(row->module, sizeof row->module, "%s", m->op->name);
    args_format(&m->args, row->args, sizeof row->args);
    snprintf(row->impl, sizeof row->impl, "%s", it->impl[j]);
    row->threads = it->threads;
    row->batch = m->in.n, row->c_in = m->in.c, row->h = m->in.h, row->w = m->in.w;
    if (!it->invalid[0]) {
        row->c_out = m->out.c, row->h_out = m->out.h, row->w_out = m->out.w;
        row->params = m->op->params(&m->args);
        row->flops_thop = m->op->flops_thop(&m->args, m->in);
        row->flops_full = m->op->flops_full(&m->args, m->in);
        row->bytes = m->op->bytes(&m->args, m->in);
    }
    snprintf(row->shard, sizeof row->shard, "%s", shard);
    snprintf(row->status, sizeof row->status, "%s", r->status);
    snprintf(row->message, sizeof row->message, "%s", r->message);
    if (r->t.samples > 0) {
        row->median_ms = r->t.median_ms, row->p10_ms = r->t.p10_ms, row->p90_ms = r->t.p90_ms;
        row->min_ms = r->t.min_ms, row->samples = r->t.samples, row->load = r->t.load;
        row->roundtrip_ns = r->t.roundtrip_ns, row->vcpu_skew = r->t.vcpu_skew;
        row->gflops = (double)row->flops_full / (r->t.median_ms * 1e6);
        if (r->ratio > 0) /* 0: the shared report was never filled (memset); NaN: no baseline */
            row->ratio_vs_base = r->ratio, row->ratio_ci_lo = r->ratio_lo, row->ratio_ci_hi = r->ratio_hi;
    }
    if (r->checked) {
        row->max_abs = r->par.max_abs, row->max_rel = r->par.max_rel, row->nmse = r->par.nmse;
    }
}

int sweep_write_item(struct sweep_state *s, const struct plan_item *it, const struct exec_shared *sh,
                     char *err, size_t errlen)
{
    for (int j = 0; j < it->n_impl; j++) {
        if (s->present[j])
            continue;
        struct result_row row;
        fill_row(&row, it, j, &sh->r[j], s->shard);
        if (results_write(s->f, &row, err, errlen) != 0)
            return -1;
    }
    return results_flush(s->f, err, errlen);
}

/* The PyTorch peer is optional: it runs when Debian's python3-torch is
 * there, and says so when it is not. */
static void run_torch_peer(const struct sweep_opts *o, const struct sweep_state *s)
{
    char cmd[3 * GEN_PATH_MAX];
    if (system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
        fprintf(stderr, "ablate: torch peer skipped: /usr/bin/python3 cannot import torch "
                        "(apt-get install python3-torch)\n");
        return;
    }
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/scripts/torch_peer.py' --csv '%s'%s", o->env.root,
             s->csv, o->quick ? " --quick" : "");
    fprintf(stderr, "ablate: timing the PyTorch eager peer: %s\n", cmd);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "ablate: torch peer failed (status %d); its rows may be missing\n", rc);
}

/* Baseline GFLOP/s (fastest generated impl) as a share of the sgemm peak
 * measured at the start of this run, per layer and thread count: how fair
 * a baseline it is. */
static void print_baseline_efficiency(const struct sweep_state *s)
{
    struct peak pk[8];
    struct result_row *rows;
    char err[ERR_MAX];
    int np = peak_read(s->dir, pk, 8);
    int n = results_read(s->csv, &rows, err, sizeof err);
    if (np <= 0 || n <= 0)
        return;
    printf("\nbaseline vs this machine's sgemm peak (GFLOP/s from flops_full / median):\n");
    for (int i = 0; i < n; i++) {
        if (strcmp(rows[i].role, "baseline") || strncmp(rows[i].impl, "gen:", 4) ||
            strcmp(rows[i].status, "ok"))
            continue;
        int best = 1; /* only the fastest generated impl of this configuration */
        for (int j = 0; j < n; j++)
            if (j != i && !strcmp(rows[j].role, "baseline") && !strcmp(rows[j].layer, rows[i].layer) &&
                rows[j].threads == rows[i].threads && !strncmp(rows[j].impl, "gen:", 4) &&
                !strcmp(rows[j].status, "ok") && rows[j].median_ms < rows[i].median_ms)
                best = 0;
        for (int k = 0; best && k < np; k++)
            if (pk[k].threads == rows[i].threads)
                printf("  %-5s %-24s t%d %-11s %7.1f GFLOP/s = %3.0f%% of %.0f (OpenBLAS %s)\n",
                       rows[i].layer, rows[i].module, rows[i].threads, rows[i].impl, rows[i].gflops,
                       100.0 * rows[i].gflops / pk[k].sgemm_gflops, pk[k].sgemm_gflops, pk[k].blas_core);
    }
    free(rows);
}

static void print_paths(const struct plan *p, const struct sweep_state *s, int charts_ok)
{
    printf("\nwrote:\n  %s\n  %s/meta.json\n  %s/peak.json\n", s->csv, s->dir, s->dir);
    for (int i = 0; charts_ok && i < p->n_charts; i++)
        printf("  %s/%s.png  %s/%s.svg\n", s->dir, p->charts[i].name, s->dir, p->charts[i].name);
}

/* runs/history.csv gets every timed row of a run in runs/ (a folder chosen
 * with --out, e.g. a test's, is not this machine's record, nor is a shard);
 * `ablate regress` judges the next run against it.  A failure only warns. */
static void append_history(const struct sweep_opts *o, const struct sweep_state *s)
{
    if (o->sharded) /* shards of one run on many nodes: not one machine's record */
        return;
    char prefix[GEN_PATH_MAX], hist[GEN_PATH_MAX + 16], err[ERR_MAX];
    snprintf(prefix, sizeof prefix, "%s/runs/", o->env.root);
    if (strncmp(s->dir, prefix, strlen(prefix)) != 0)
        return;
    snprintf(hist, sizeof hist, "%shistory.csv", prefix);
    int n = history_append(hist, s->dir, err, sizeof err);
    if (n < 0)
        fprintf(stderr, "ablate: history not appended: %s\n", err);
    else
        printf("  %s (+%d rows)\n", hist, n);
}

int sweep_finish(const struct plan *p, const struct sweep_opts *o, struct sweep_state *s, char *err,
                 size_t errlen)
{
    if (fclose(s->f) != 0) {
        s->f = NULL;
        snprintf(err, errlen, "%s: %s", s->csv, strerror(errno));
        return -1;
    }
    s->f = NULL;
    if (p->run_torch)
        run_torch_peer(o, s);
    for (int e = 0; e < PEER_ENGINES; e++)
        if (p->run_peer[e])
            peer_sweep_rows(o->env.root, s->csv, e, o->quick);
    int charts_ok = 1;
    if (p->n_charts && charts_render(s->dir, s->csv, p->charts, p->n_charts, err, errlen) != 0) {
        fprintf(stderr, "ablate: charts not drawn: %s\n", err);
        charts_ok = 0;
    }
    int threads_seen[64] = {0};
    for (int i = 0; i < p->n; i++)
        if (p->items[i].threads < 64)
            threads_seen[p->items[i].threads] = 1;
    for (int t = 1; t < 64; t++)
        if (threads_seen[t]) {
            printf("\n%s, %d thread%s:\n", p->name, t, t > 1 ? "s" : "");
            if (summary_print(stdout, s->csv, p->summary_args, t, err, errlen) != 0)
                return -1;
        }
    print_baseline_efficiency(s);
    print_paths(p, s, charts_ok);
    append_history(o, s);
    return 0;
}

void sweep_close(struct sweep_state *s)
{
    if (s->f)
        fclose(s->f);
    s->f = NULL;
    free(s->done);
    s->done = NULL;
    free(s->shard_of);
    s->shard_of = NULL;
}
