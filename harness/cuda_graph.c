/* harness/cuda_graph.c — see cuda_graph.h.  One walker over the model's
 * layers serves the three graphs (reference, host-emulated, device); what
 * differs is where the buffers live and what a layer call runs.  The
 * device half is written and compiled here and run only where a GPU is
 * (scripts/gpu_check.sh); the host half is tested (tests/test_cuda_graph.c). */
#include "cuda_graph.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ablate_cuda.h"
#include "buffers.h"
#include "cuda_gen.h"
#include "cuda_rt.h"
#include "instance.h"
#include "model_internal.h"
#include "rng.h"

enum { MEMCPY_H2D = 1, MEMCPY_D2H = 2, WARMUP = 3, SAMPLES = 30, SAMPLES_QUICK = 10 };

typedef void (*upsample_fn)(const float *x, float *y, int64_t planes, int h, int w, int s,
                            void *stream);
typedef void (*copy_fn)(float *dst, int64_t dst_img, const float *src, int64_t src_img,
                        int64_t len, int n, void *stream);

struct cg_layer {
    struct instance inst; /* input and output at the graph's batch */
    struct weightset ws;
    struct gen_kernel k;
    int have_kernel;
    ablate_cuda_forward_fn dev_forward;
    const float *dw[WEIGHTS_MAX]; /* device copies of the weights */
    float *darena, *work;
    int64_t nwork;
    struct abl_cu_ctx ctx; /* its own state: the kernel's first-call setup */
};

/* What the graph runs: build = 0 for the reference graph only. */
enum cg_kind { CG_REF, CG_HOST, CG_DEVICE };

struct cg {
    const struct model *m;
    enum cg_kind kind;
    int size, batch, threads;
    struct shape4 *shapes; /* batch 1 */
    struct cg_layer *L;
    float **outs, *pack, *image;
    int64_t npack;
    struct gen_kernel glue;
    upsample_fn upsample;
    copy_fn copy;
    struct cuda_rt rt;
    void *cublas; /* device: one handle every layer's sgemm calls use */
};

static int64_t numel(struct shape4 s) { return (int64_t)s.n * s.c * s.h * s.w; }

static float *cg_alloc(struct cg *g, int64_t n)
{
    n = n > 0 ? n : 1;
    if (g->kind != CG_DEVICE)
        return buf_alloc(n);
    void *p = NULL;
    return g->rt.malloc_(&p, (size_t)n * 4) == 0 ? p : NULL;
}

static void cg_release(struct cg *g, float *p, int64_t n)
{
    if (!p)
        return;
    if (g->kind == CG_DEVICE)
        g->rt.free_(p);
    else
        buf_free(p, n > 0 ? n : 1);
}

/* One image's floats of layer i's input k (-1: the image). */
static int64_t input_floats(const struct cg *g, int src)
{
    return src < 0 ? 3LL * g->size * g->size : numel(g->shapes[src]);
}

/* The layer's kernel (its row's first CUDA variant) and, on the device,
 * its weights there and its entry point. */
static int layer_kernel(struct cg *g, const struct gen_env *env, int i, char *err, size_t errlen)
{
    const struct model_layer *ML = &g->m->layers[i];
    struct cg_layer *l = &g->L[i];
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], e[ERR_MAX];
    int nv = cuda_variants(env, ML->op, names, GEN_VARIANTS_MAX, e, sizeof e);
    if (nv < 1)
        return layer_fail(g->m, i, err, errlen, "%s", nv < 0 ? e : "no CUDA generator");
    enum cuda_build mode = g->kind == CG_DEVICE ? CUDA_DEVICE : CUDA_HOST_EMU;
    if (cuda_build(env, &ML->args, l->inst.in, names[0], mode, 1, &l->k, e, sizeof e) != GEN_OK)
        return layer_fail(g->m, i, err, errlen, "%s", e);
    l->have_kernel = 1;
    l->nwork = l->k.info->workspace_floats;
    if (!(l->work = cg_alloc(g, l->nwork)))
        return layer_fail(g->m, i, err, errlen, "out of memory for the workspace");
    if (g->kind != CG_DEVICE)
        return 0;
    void *sym = dlsym(l->k.dl, "ablate_cuda_forward");
    memcpy(&l->dev_forward, &sym, sizeof l->dev_forward);
    l->ctx.cublas = g->cublas;
    l->ctx.state = calloc(1, ABL_CU_STATE_BYTES);
    if (!l->dev_forward || !l->ctx.state || cuda_upload_weights(&g->rt, &l->ws, l->dw, &l->darena) != 0)
        return layer_fail(g->m, i, err, errlen, "%s", !l->dev_forward ? "no ablate_cuda_forward"
                                                                      : "device weights");
    return 0;
}

/* Layer i's shapes at the graph's batch, its weights, its kernel. */
static int layer_setup(struct cg *g, const struct gen_env *env, int i, char *err, size_t errlen)
{
    const struct model_layer *ML = &g->m->layers[i];
    struct cg_layer *l = &g->L[i];
    char e[ERR_MAX];
    l->inst.in = model_layer_input(g->m, i, g->shapes, g->size);
    l->inst.in.n = g->batch;
    if (ML->kind != LAYER_OP)
        return 0;
    if (ML->copies > 1)
        return layer_fail(g->m, i, err, errlen, "--bench: %d copies of %s (n' > 1 outside a CSP "
                          "block) are not supported", ML->copies, ML->op->name);
    l->inst.op = ML->op, l->inst.args = ML->args, l->inst.out = g->shapes[i];
    l->inst.out.n = g->batch;
    if (weights_alloc(&l->ws, &l->inst, e, sizeof e) != 0)
        return layer_fail(g->m, i, err, errlen, "%s", e);
    weights_init(&l->ws, &l->inst, INIT_RANDOM, 2000 + (uint64_t)i); /* as model_bench */
    return g->kind == CG_REF ? 0 : layer_kernel(g, env, i, err, errlen);
}

/* The glue's two functions (host-emulated for the reference and host graphs). */
static int glue_setup(struct cg *g, const struct gen_env *env, char *err, size_t errlen)
{
    enum cuda_build mode = g->kind == CG_DEVICE ? CUDA_DEVICE : CUDA_HOST_EMU;
    if (cuda_build_glue(env, mode, 1, &g->glue, err, errlen) != GEN_OK)
        return -1;
    void *up = dlsym(g->glue.dl, "ablate_graph_upsample"), *cp = dlsym(g->glue.dl, "ablate_graph_copy");
    memcpy(&g->upsample, &up, sizeof g->upsample);
    memcpy(&g->copy, &cp, sizeof g->copy);
    if (!g->upsample || !g->copy) {
        snprintf(err, errlen, "%s lacks ablate_graph_upsample or ablate_graph_copy", g->glue.so_path);
        return -1;
    }
    return 0;
}

/* Images 0..batch-1, image k from seed 7 + k, in the graph's memory. */
static int image_setup(struct cg *g, char *err, size_t errlen)
{
    const int64_t per = 3LL * g->size * g->size, n = per * g->batch;
    float *host = buf_alloc(n);
    if (!host || !(g->image = cg_alloc(g, n))) {
        buf_free(host, n);
        snprintf(err, errlen, "out of memory for the images");
        return -1;
    }
    for (int b = 0; b < g->batch; b++) {
        struct rng rg;
        rng_seed(&rg, 7 + (uint64_t)b);
        for (int64_t k = 0; k < per; k++)
            host[b * per + k] = rng_normal(&rg);
    }
    int rc = 0;
    if (g->kind == CG_DEVICE)
        rc = g->rt.memcpy_(g->image, host, (size_t)n * 4, MEMCPY_H2D) == 0 ? 0 : -1;
    else
        memcpy(g->image, host, (size_t)n * 4);
    buf_free(host, n);
    if (rc)
        snprintf(err, errlen, "cudaMemcpy of the images failed");
    return rc;
}

static int cg_setup(struct cg *g, const struct model *m, enum cg_kind kind, int size, int batch,
                    int threads, char *err, size_t errlen)
{
    struct gen_env env;
    memset(g, 0, sizeof *g);
    g->m = m, g->kind = kind, g->size = size, g->batch = batch, g->threads = threads;
    if (kind == CG_DEVICE && (cuda_rt_open(&g->rt, err, errlen) != 0 ||
                              !(g->cublas = cuda_cublas_handle(err, errlen))))
        return -1;
    g->L = calloc((size_t)m->nlayers, sizeof *g->L);
    g->shapes = calloc((size_t)m->nlayers, sizeof *g->shapes);
    g->outs = calloc((size_t)m->nlayers, sizeof *g->outs);
    if (!g->L || !g->shapes || !g->outs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (model_shapes(m, size, g->shapes, err, errlen) != 0 || gen_env_init(&env, err, errlen) != 0 ||
        glue_setup(g, &env, err, errlen) != 0)
        return -1;
    for (int i = 0; i < m->nlayers; i++) {
        const struct model_layer *ML = &m->layers[i];
        if (layer_setup(g, &env, i, err, errlen) != 0)
            return -1;
        if (!(g->outs[i] = cg_alloc(g, batch * numel(g->shapes[i]))))
            return layer_fail(m, i, err, errlen, "out of memory");
        int64_t in = 0;
        for (int k = 0; ML->kind == LAYER_OP && k < ML->nfrom; k++)
            in += batch * input_floats(g, ML->src[k]);
        g->npack = in > g->npack ? in : g->npack;
    }
    if (!(g->pack = cg_alloc(g, g->npack))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return image_setup(g, err, errlen);
}

static void cg_free(struct cg *g)
{
    for (int i = 0; g->L && i < g->m->nlayers; i++) {
        struct cg_layer *l = &g->L[i];
        if (l->have_kernel)
            gen_unload(&l->k);
        if (l->inst.op)
            weights_free(&l->ws);
        cg_release(g, l->work, l->nwork);
        if (l->darena)
            g->rt.free_(l->darena);
        free(l->ctx.state);
        cg_release(g, g->outs[i], g->batch * numel(g->shapes[i]));
    }
    cg_release(g, g->pack, g->npack);
    cg_release(g, g->image, 3LL * g->size * g->size * g->batch);
    if (g->glue.dl)
        gen_unload(&g->glue);
    if (g->kind == CG_DEVICE && g->rt.dl)
        cuda_rt_close(&g->rt);
    free(g->L);
    free(g->shapes);
    free(g->outs);
}

/* Layer i's input: Concat copies each input's per-image block into its
 * output (and is done); Detect's levels go one after another into pack. */
static const float *gather(struct cg *g, int i, int *done)
{
    const struct model_layer *ML = &g->m->layers[i];
    const float *x = ML->src[0] < 0 ? g->image : g->outs[ML->src[0]];
    *done = 0;
    if (ML->nfrom < 2)
        return x;
    const int concat = ML->kind == LAYER_CONCAT;
    const int64_t per_out = numel(g->shapes[i]);
    int64_t off = 0;
    for (int k = 0; k < ML->nfrom; k++) {
        const float *src = ML->src[k] < 0 ? g->image : g->outs[ML->src[k]];
        const int64_t per = input_floats(g, ML->src[k]);
        if (concat)
            g->copy(g->outs[i] + off, per_out, src, per, per, g->batch, NULL);
        else
            g->copy(g->pack + off, 0, src, 0, per * g->batch, 1, NULL);
        off += concat ? per : per * g->batch;
    }
    *done = concat;
    return g->pack;
}

/* The whole graph once; ref: every layer on its scalar reference. */
static void cg_walk(struct cg *g, int ref)
{
    for (int i = 0; i < g->m->nlayers; i++) {
        const struct model_layer *ML = &g->m->layers[i];
        struct cg_layer *l = &g->L[i];
        int done;
        const float *x = gather(g, i, &done);
        if (done)
            continue;
        if (ML->kind == LAYER_UPSAMPLE)
            g->upsample(x, g->outs[i], (int64_t)g->batch * l->inst.in.c, l->inst.in.h, l->inst.in.w,
                        ML->upsample, NULL);
        else if (ref)
            ML->op->forward_ref(&l->inst.args, l->inst.in, (const float *const *)l->ws.ptr, x, g->outs[i]);
        else if (g->kind == CG_DEVICE)
            l->dev_forward(l->dw, x, g->outs[i], l->work, &l->ctx);
        else
            l->k.forward((const float *const *)l->ws.ptr, x, g->outs[i], l->work, g->threads);
    }
}

static int count_kernels(const struct cg *g)
{
    int n = 0;
    for (int i = 0; i < g->m->nlayers; i++)
        n += g->L[i].have_kernel;
    return n;
}

/* r's parity of y against ref (n floats) and the graph's kernel count;
 * 0 when they agree, 1 when not. */
static int judge(const struct cg *g, const float *y, const float *ref, int64_t n,
                 struct cuda_graph_result *r)
{
    parity_compare(y, ref, n, &r->par);
    r->nkernels = count_kernels(g);
    r->ok = r->par.n_bad == 0 && r->par.n_nonfinite == 0;
    return r->ok ? 0 : 1;
}

int cuda_graph_host(const struct model *m, int size, int batch, int threads,
                    struct cuda_graph_result *r, char *err, size_t errlen)
{
    struct cg g;
    memset(r, 0, sizeof *r);
    int rc = cg_setup(&g, m, CG_HOST, size, batch, threads, err, errlen);
    const int last = m->nlayers - 1;
    const int64_t n = batch * (g.shapes ? numel(g.shapes[last]) : 0);
    float *emu = rc == 0 ? buf_alloc(n) : NULL;
    if (rc == 0 && !emu) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc == 0) {
        cg_walk(&g, 0);
        memcpy(emu, g.outs[last], (size_t)n * 4);
        cg_walk(&g, 1);
        rc = judge(&g, emu, g.outs[last], n, r);
    }
    buf_free(emu, n);
    cg_free(&g);
    return rc;
}

static void device_walk(void *p) { cg_walk(p, 0); }

/* Image 0's output of the reference graph at batch 1, malloc'ed (buf_alloc). */
static float *reference_image0(const struct model *m, int size, int64_t n, char *err, size_t errlen)
{
    struct cg g;
    float *y = NULL;
    if (cg_setup(&g, m, CG_REF, size, 1, 1, err, errlen) == 0 && (y = buf_alloc(n))) {
        cg_walk(&g, 1);
        memcpy(y, g.outs[m->nlayers - 1], (size_t)n * 4);
    }
    cg_free(&g);
    return y;
}

/* One batch size on the device: built, run once and checked against ref
 * (image 0, n floats), timed. */
static int device_batch(const struct model *m, int size, int batch, int quick, const float *ref,
                        int64_t n, struct cuda_graph_result *r, char *err, size_t errlen)
{
    struct cg g;
    memset(r, 0, sizeof *r);
    int rc = cg_setup(&g, m, CG_DEVICE, size, batch, 1, err, errlen);
    float *y = rc == 0 ? buf_alloc(n) : NULL;
    if (rc == 0 && !y) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc == 0) {
        cg_walk(&g, 0);
        if (g.rt.synchronize() != 0 ||
            g.rt.memcpy_(y, g.outs[m->nlayers - 1], (size_t)n * 4, MEMCPY_D2H) != 0) {
            snprintf(err, errlen, "a CUDA call failed in the graph's first run");
            rc = -1;
        }
    }
    if (rc == 0) {
        struct cuda_device_info info;
        if (cuda_device_info(&g.rt, &info) == 0)
            snprintf(r->device, sizeof r->device, "%s", info.name);
        int bad = judge(&g, y, ref, n, r);
        if (cuda_time(&g.rt, device_walk, &g, WARMUP, quick ? SAMPLES_QUICK : SAMPLES, &r->t) != 0) {
            snprintf(err, errlen, "a CUDA call failed while timing the graph");
            rc = -1;
        } else
            rc = bad;
    }
    buf_free(y, n);
    cg_free(&g);
    return rc;
}

int cuda_graph_device(const struct model *m, int size, const int *batches, int nbatches, int quick,
                      struct cuda_graph_result *r, char *err, size_t errlen)
{
    struct shape4 *shapes = calloc((size_t)m->nlayers, sizeof *shapes);
    int rc = shapes ? model_shapes(m, size, shapes, err, errlen) : -1;
    if (!shapes)
        snprintf(err, errlen, "out of memory");
    const int64_t n = rc == 0 ? numel(shapes[m->nlayers - 1]) : 0;
    free(shapes);
    float *ref = rc == 0 ? reference_image0(m, size, n, err, errlen) : NULL;
    if (rc == 0 && !ref)
        rc = -1;
    for (int i = 0; rc >= 0 && i < nbatches; i++) {
        int b = device_batch(m, size, batches[i], quick, ref, n, &r[i], err, errlen);
        rc = b < 0 ? b : (b > rc ? b : rc);
    }
    buf_free(ref, n);
    return rc;
}
