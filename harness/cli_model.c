/* harness/cli_model.c — `ablate model FILE.yaml`: the summary line
 * ultralytics prints for the same YAML (MODULES.md 2.2), the full FLOP
 * count after it, and with --layers the per-layer table before it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_json.h"
#include "cuda_gen.h"
#include "cuda_graph.h"
#include "cuda_rt.h"
#include "model.h"
#include "model_bench.h"
#include "model_torch.h"
#include "model_forward.h"
#include "parity.h"
#include "peers.h"

#define IMGSZ_MAX 8192

struct model_opts {
    const char *path, *scale, *weights, *input, *expect;
    const char *peers; /* "torch,ort,openvino"; --torch = "torch" */
    int imgsz, layers, fused, bench, threads, quick, json, onednn;
    int bench_cpu, bench_cuda_host, bench_cuda; /* --backends gen,cuda-host,cuda (default gen) */
};

/* --backends for --bench: gen (the generated graph on the CPU), cuda-host
 * (the CUDA graph emulated on the CPU, checked), cuda (the device). */
static int parse_backends(const char *list, struct model_opts *o, char *err, size_t errlen)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    o->bench_cpu = o->bench_cuda_host = o->bench_cuda = 0;
    char *save = NULL;
    for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (!strcmp(w, "gen"))
            o->bench_cpu = 1;
        else if (!strcmp(w, "cuda-host"))
            o->bench_cuda_host = 1;
        else if (!strcmp(w, "cuda"))
            o->bench_cuda = 1;
        else {
            snprintf(err, errlen, "model: unknown backend '%s' (known: gen, cuda-host, cuda)", w);
            return -1;
        }
    }
    return 0;
}

static void print_parity(const char *what, const struct cuda_graph_result *r)
{
    printf("%s: max_abs=%.3g max_rel=%.3g nmse=%.3g %s\n", what, r->par.max_abs, r->par.max_rel,
           r->par.nmse, r->ok ? "ok" : "FAIL");
}

/* The CUDA graph emulated on the CPU at batch 2, against the reference
 * graph: 0 ok, 1 disagreement, -1 error (err). */
static int bench_cuda_host(const struct model *m, const struct model_opts *o, char *err, size_t errlen)
{
    enum { BATCH = 2 };
    struct cuda_graph_result r;
    char nvcc[512], why[ERR_MAX];
    if (cuda_find_nvcc(nvcc, sizeof nvcc, why, sizeof why) != 0) {
        printf("cuda-host: skipped (%s)\n", why);
        return 0;
    }
    int rc = cuda_graph_host(m, o->imgsz, BATCH, o->threads, &r, err, errlen);
    if (rc < 0)
        return rc;
    printf("cuda-host graph at %dx%d, batch %d, %d layers on CUDA kernels (host emulation) vs "
           "reference graph",
           o->imgsz, o->imgsz, BATCH, r.nkernels);
    print_parity("", &r);
    return rc;
}

/* The device graph at batch 1 and 16; without a device one skipped line
 * saying why (not a failure).  0 ok, 1 disagreement, -1 error (err). */
static int bench_cuda(const struct model *m, const struct model_opts *o, char *err, size_t errlen)
{
    static const int batches[] = {1, 16};
    char why[ERR_MAX];
    if (cuda_device_present(why, sizeof why) != 0) {
        printf("cuda: skipped (%s)\n", why);
        return 0;
    }
    struct cuda_graph_result res[2];
    int status = cuda_graph_device(m, o->imgsz, batches, 2, o->quick, res, err, errlen);
    if (status < 0)
        return status;
    for (int i = 0; i < 2; i++) {
        const struct cuda_graph_result r = res[i];
        printf("cuda graph at %dx%d, batch %d on %s: %.3f ms median (p10 %.3f, p90 %.3f, %d samples, "
               "CUDA events), %.1f images/s; %d layers on CUDA kernels; image 0 vs reference graph",
               o->imgsz, o->imgsz, batches[i], r.device, r.t.median_ms, r.t.p10_ms, r.t.p90_ms,
               r.t.samples, r.t.median_ms > 0 ? 1e3 * batches[i] / r.t.median_ms : 0, r.nkernels);
        print_parity("", &r);
    }
    return status;
}

/* The next name of a comma-separated list into name; *p moves past it.
 * 0 when the list is done. */
static int next_name(const char **p, char *name, size_t len)
{
    if (!*p)
        return 0;
    size_t n = strcspn(*p, ",");
    snprintf(name, len, "%.*s", (int)(n < len ? n : len - 1), *p);
    *p = (*p)[n] ? *p + n + 1 : NULL;
    return 1;
}

/* Every name in the comma-separated list is a peer: 0, or -1 with why. */
static int check_peers(const char *list, char *err, size_t errlen)
{
    char name[32];
    for (const char *p = list; next_name(&p, name, sizeof name);)
        if (strcmp(name, "torch") && peer_from_name(name) < 0) {
            snprintf(err, errlen, "model: unknown peer '%s' in --peers (known: torch, ort, openvino)", name);
            return -1;
        }
    return 0;
}

/* Each listed peer's line and ratio; a peer that cannot run says why. */
static void run_peers(const struct model *m, const struct model_opts *o, double ours_ms)
{
    char name[32];
    for (const char *p = o->peers; next_name(&p, name, sizeof name);)
        (void)model_peer(m, name, o->imgsz, o->threads, ours_ms); /* 1 = skipped, said why */
}

static int parse_opts(int argc, char **argv, struct model_opts *o, char *err, size_t errlen)
{
    *o = (struct model_opts){.imgsz = 640, .threads = 1, .bench_cpu = 1};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if (!strcmp(a, "--layers"))
            o->layers = 1;
        else if (!strcmp(a, "--fuse"))
            o->fused = 1;
        else if (!strcmp(a, "--bench"))
            o->bench = 1;
        else if (!strcmp(a, "--quick"))
            o->quick = 1;
        else if (!strcmp(a, "--torch"))
            o->peers = "torch";
        else if (!strcmp(a, "--json"))
            o->json = 1;
        else if (!strcmp(a, "--onednn"))
            o->onednn = 1;
        else if (!strcmp(a, "--peers") && i + 1 < argc) {
            o->peers = argv[++i];
            if (check_peers(o->peers, err, errlen) != 0)
                return -1;
        }
        else if (!strcmp(a, "--threads") && i + 1 < argc) {
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 256) {
                snprintf(err, errlen, "model: --threads must be from 1 to 256 (got '%s')", argv[i]);
                return -1;
            }
            o->threads = (int)v;
        }
        else if (!strcmp(a, "--backends") && i + 1 < argc) {
            if (parse_backends(argv[++i], o, err, errlen) != 0)
                return -1;
        } else if (!strcmp(a, "--scale") && i + 1 < argc)
            o->scale = argv[++i];
        else if (!strcmp(a, "--weights") && i + 1 < argc)
            o->weights = argv[++i];
        else if (!strcmp(a, "--input") && i + 1 < argc)
            o->input = argv[++i];
        else if (!strcmp(a, "--expect") && i + 1 < argc)
            o->expect = argv[++i];
        else if (!strcmp(a, "--imgsz") && i + 1 < argc) {
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 32 || v > IMGSZ_MAX || v % 32) {
                snprintf(err, errlen,
                         "model: --imgsz must be a multiple of 32 from 32 to %d (got '%s')", IMGSZ_MAX,
                         argv[i]);
                return -1;
            }
            o->imgsz = (int)v;
        } else if (a[0] == '-' || o->path) {
            snprintf(err, errlen, "model: unknown option '%s' (usage: ablate %s)", a, cli_synopsis("model"));
            return -1;
        } else
            o->path = a;
    }
    int some = o->weights || o->input || o->expect, all = o->weights && o->input && o->expect;
    if (!o->path || (some && !all)) {
        snprintf(err, errlen, "usage: ablate %s", cli_synopsis("model"));
        return -1;
    }
    if (o->json && (some || o->bench)) {
        snprintf(err, errlen, "model: --json prints the summary (and --layers), not --weights or --bench");
        return -1;
    }
    return 0;
}

/* ultralytics' parse_model table: index, from, n, params, module, arguments. */
static void print_layers(const struct model *m, const struct model_summary *s)
{
    printf("\n%3s%20s%3s%10s  %-45s%-30s\n", "", "from", "n", "params", "module", "arguments");
    for (int i = 0; i < m->nlayers; i++) {
        const struct model_layer *L = &m->layers[i];
        char from[64] = "";
        size_t used = 0;
        if (L->from_is_list)
            used = (size_t)snprintf(from, sizeof from, "[");
        for (int k = 0; k < L->nfrom && used < sizeof from; k++)
            used += (size_t)snprintf(from + used, sizeof from - used, "%s%d", k ? ", " : "",
                                     L->from[k]);
        if (L->from_is_list && used < sizeof from)
            snprintf(from + used, sizeof from - used, "]");
        printf("%3d%20s%3d%10lld  %-45s%-30s\n", i, from, L->repeats,
               (long long)s->layer_params[i], L->type_name, L->args_text);
    }
}

static void print_summary(const struct model *m, const struct model_opts *o,
                          const struct model_summary *s)
{
    printf("%s summary%s: %lld layers, %lld parameters, %lld gradients, %.1f GFLOPs\n", m->name,
           o->fused ? " (fused)" : "", (long long)s->layers, (long long)s->params,
           (long long)s->gradients, (double)s->flops_printed / 1e9);
    printf("%s full: %lld FLOPs at %dx%d (every multiply-add and elementwise op, MODULES.md 1.2); "
           "GFLOPs %.10g by the %s path (thop at %dx%d: %.10g); %lld leaf layers; "
           "bytes_min %lld\n",
           m->name, (long long)s->flops_full, o->imgsz, o->imgsz, (double)s->flops_printed / 1e9,
           s->probe ? "32x32 probe" : "full-image", o->imgsz, o->imgsz,
           (double)s->flops_thop_full / 1e9, (long long)s->leaf_layers, (long long)s->bytes_min);
}

/* The three files of a parity case; 0, or -1 with a message. */
struct case_files {
    struct st_file w, x, y;
    int loaded;
};

static void case_free(struct case_files *c)
{
    if (c->loaded > 0)
        st_free(&c->w);
    if (c->loaded > 1)
        st_free(&c->x);
    if (c->loaded > 2)
        st_free(&c->y);
}

static const struct st_tensor *image_of(const struct case_files *c, const char *path, char *err,
                                        size_t errlen)
{
    const struct st_tensor *x = st_find(&c->x, "x");
    if (!x || x->dtype != ST_F32 || x->ndim != 4 || x->shape[0] != 1 || x->shape[1] != 3 ||
        x->shape[2] != x->shape[3] || x->shape[2] < 1 || x->shape[2] > IMGSZ_MAX) {
        snprintf(err, errlen, "%s: expected a tensor 'x' of F32 [1, 3, S, S], S from 1 to %d", path,
                 IMGSZ_MAX);
        return NULL;
    }
    return x;
}

/* --weights/--input/--expect: the reference forward of the whole graph
 * against a PyTorch export (scripts/torch_model_golden.py). */
static int check_parity(const struct model *m, const struct model_opts *o, char *err,
                        size_t errlen)
{
    struct case_files c = {.loaded = 0};
    const struct st_tensor *x, *ye;
    float *y = NULL;
    struct shape4 ys;
    int rc = -1;
    if (st_read(o->weights, &c.w, err, errlen) == 0 && ++c.loaded &&
        st_read(o->input, &c.x, err, errlen) == 0 && ++c.loaded &&
        st_read(o->expect, &c.y, err, errlen) == 0 && ++c.loaded &&
        (x = image_of(&c, o->input, err, errlen)) != NULL) {
        struct model_input mi = {&c.w, o->weights, x->data, (int)x->shape[2]};
        if (model_forward_ref(m, &mi, &y, &ys, err, errlen) == 0) {
            int64_t n = (int64_t)ys.n * ys.c * ys.h * ys.w;
            ye = st_find(&c.y, "y");
            if (!ye || ye->dtype != ST_F32 || ye->numel != n)
                snprintf(err, errlen, "%s: expected a tensor 'y' of F32 with %lld elements", o->expect,
                         (long long)n);
            else {
                struct parity p;
                parity_compare(y, ye->data, n, &p);
                int ok = p.n_nonfinite == 0 && p.n_bad == 0;
                printf("%-12s max_abs=%.3g max_rel=%.3g nmse=%.3g %s\n", "ref", p.max_abs,
                       p.max_rel, p.nmse, ok ? "ok" : "FAIL");
                rc = ok ? EXIT_OK : EXIT_FAILED;
            }
        }
    }
    free(y);
    case_free(&c);
    return rc;
}

int cli_model(int argc, char **argv)
{
    char err[ERR_MAX + 600];
    struct model_opts o;
    if (parse_opts(argc, argv, &o, err, sizeof err) != 0)
        return cli_bad_input(err);
    struct model_yaml *y = model_yaml_read(o.path, err, sizeof err);
    if (!y)
        return cli_bad_input(err);
    struct model m;
    int rc = model_build(y, o.scale, &m, err, sizeof err);
    free(y);
    if (rc != 0)
        return cli_bad_input(err);
    struct model_summary *s = malloc(sizeof *s);
    if (!s || model_summarize(&m, o.imgsz, o.fused, s, err, sizeof err) != 0) {
        if (!s)
            snprintf(err, sizeof err, "out of memory");
        free(s);
        model_free(&m);
        return cli_bad_input(err);
    }
    if (o.json) {
        int status = cli_print_model_json(&m, s, &(struct model_json_opts){o.imgsz, o.fused, o.layers});
        free(s);
        model_free(&m);
        return status;
    }
    if (o.layers)
        print_layers(&m, s);
    print_summary(&m, &o, s);
    free(s);
    int status = o.weights ? check_parity(&m, &o, err, sizeof err) : EXIT_OK;
    double e2e_ms = 0;
    if (o.bench && o.bench_cpu && status == EXIT_OK)
        status = model_bench(&m, o.imgsz, o.threads, o.quick, o.onednn, &e2e_ms, err, sizeof err);
    if (o.bench && o.bench_cuda_host && status == EXIT_OK)
        status = bench_cuda_host(&m, &o, err, sizeof err);
    if (o.bench && o.bench_cuda && status == EXIT_OK)
        status = bench_cuda(&m, &o, err, sizeof err);
    if (o.bench && o.bench_cpu && status == EXIT_OK) {
        if (o.peers)
            run_peers(&m, &o, e2e_ms);
        else
            printf("PyTorch eager peer: --torch, or /usr/bin/python3 scripts/torch_model_peer.py "
                   "%s %s %d %d\nONNX Runtime, OpenVINO peers: --peers torch,ort,openvino (make peers)\n",
                   m.path, m.scale[0] ? m.scale : "''", o.imgsz, o.threads); /* '': a YAML without scales */
    }
    model_free(&m);
    return status < 0 ? cli_bad_input(err) : status;
}
