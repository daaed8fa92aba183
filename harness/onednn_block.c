/* harness/onednn_block.c — see onednn_block.h. */
#include "onednn_block.h"

#include <stdio.h>
#include <string.h>

#include "bottleneck.h"
#include "buffers.h"
#include "c2f.h"
#include "common.h"
#include "onednn_internal.h"

static struct shape4 with_c(struct shape4 s, int c) { return (struct shape4){s.n, c, s.h, s.w}; }
static int64_t plane(struct shape4 s) { return (int64_t)s.h * s.w; }

/* Conv(conv_args) at one image of `in`, weights from w[woff]. */
static int lower_conv(struct lowering *L, const struct args *conv_args, struct shape4 in, int woff,
                      enum dnn_slot from, int64_t from_off, enum dnn_slot to, int64_t to_off)
{
    return lowering_conv(L, dnn_conv_spec_of(conv_args, in), woff, from, from_off, to, to_off);
}

static int lower_add(struct lowering *L, enum dnn_slot from, int64_t from_off, enum dnn_slot to,
                     int64_t to_off, int64_t count)
{
    struct dnn_step *s = lowering_step(L);
    if (!s)
        return -1;
    s->kind = STEP_ADD, s->from = from, s->to = to, s->from_off = from_off, s->to_off = to_off;
    s->count = count;
    return 0;
}

/* Bottleneck(args): cv1 into TMP, cv2 into `to`, then the residual add. */
static int lower_bottleneck(struct lowering *L, const struct args *a, struct shape4 in, int woff,
                            enum dnn_slot from, int64_t from_off, enum dnn_slot to, int64_t to_off)
{
    int c1 = arg_geti(a, "c1"), c2 = arg_geti(a, "c2"), k = arg_geti(a, "k");
    int hidden = (int)((double)c2 * arg_get(a, "e")); /* Python's int(c2 * e) */
    double eps = arg_get(a, "bn_eps");
    struct args cv1, cv2;
    conv_sub_args(&cv1, c1, hidden, k, 1, eps);
    conv_sub_args(&cv2, hidden, c2, k, arg_geti(a, "g"), eps);
    int rc = lower_conv(L, &cv1, in, woff, from, from_off, SLOT_TMP, 0);
    if (rc == 0)
        rc = lower_conv(L, &cv2, with_c(in, hidden), woff + op_weight_count(&op_conv, &cv1), SLOT_TMP,
                        0, to, to_off);
    if (rc == 0 && arg_geti(a, "shortcut") && c1 == c2)
        rc = lower_add(L, from, from_off, to, to_off, (int64_t)c2 * plane(in));
    return rc;
}

/* C2f: cv1 writes y0, y1 into CAT; m[i] reads y_{i+1} and writes y_{i+2}
 * next to it; cv2 reads all of CAT. */
static int lower_c2f(struct lowering *L, const struct args *a, struct shape4 in)
{
    struct csp2 s;
    csp2_cfg(&s, a);
    bottleneck_sub_args(&s.m, s.c, s.c, arg_geti(a, "shortcut"), arg_geti(a, "g"), 3, 1.0,
                        arg_get(a, "bn_eps"));
    int64_t slice = (int64_t)s.c * plane(in);
    int n1 = op_weight_count(&op_conv, &s.cv1), n2 = op_weight_count(&op_conv, &s.cv2);
    int m_step = op_weight_count(&op_bottleneck, &s.m);
    lowering_chain(L, SCRATCH_SLOTS, 1, &s.c);
    int rc = lower_conv(L, &s.cv1, in, 0, SLOT_X, 0, SLOT_CAT, 0);
    for (int i = 0; rc == 0 && i < s.n; i++)
        rc = lower_bottleneck(L, &s.m, with_c(in, s.c), n1 + n2 + i * m_step, SLOT_CAT,
                              (i + 1) * slice, SLOT_CAT, (i + 2) * slice);
    return rc ? rc : lower_conv(L, &s.cv2, with_c(in, (2 + s.n) * s.c), n1, SLOT_CAT, 0, SLOT_Y, 0);
}

/* SPPF: cv1 into CAT's first quarter, three chained pools into the next
 * quarters, cv2 over all of CAT. */
static int lower_sppf(struct lowering *L, const struct args *a, struct shape4 in)
{
    int c1 = arg_geti(a, "c1"), c = c1 / 2, k = arg_geti(a, "k");
    double eps = arg_get(a, "bn_eps");
    struct args cv1, cv2;
    conv_sub_args(&cv1, c1, c, 1, 1, eps);
    conv_sub_args(&cv2, 4 * c, arg_geti(a, "c2"), 1, 1, eps);
    int64_t slice = (int64_t)c * plane(in);
    lowering_chain(L, SCRATCH_SLOTS, 1, &c);
    int rc = lower_conv(L, &cv1, in, 0, SLOT_X, 0, SLOT_CAT, 0);
    for (int i = 1; rc == 0 && i < 4; i++) {
        struct dnn_step *s = lowering_step(L);
        if (!s)
            return -1;
        s->kind = STEP_POOL, s->from = s->to = SLOT_CAT, s->from_off = (i - 1) * slice;
        s->to_off = i * slice, s->count = slice;
        rc = dnn_pool_create(&s->pool, &L->b->ctx, (struct shape4){1, c, in.h, in.w}, k, lowering_blocked(L, SLOT_CAT),
                             L->err, L->errlen);
    }
    lowering_need(L, SLOT_CAT, 4 * slice);
    return rc ? rc : lower_conv(L, &cv2, with_c(in, 4 * c), op_weight_count(&op_conv, &cv1),
                                SLOT_CAT, 0, SLOT_Y, 0);
}

int dnn_block_supports(const struct op *op)
{
    return op == &op_conv || op == &op_bottleneck || op == &op_c2f || op == &op_sppf ||
           op == &op_detect;
}

const char *dnn_block_unsupported(const struct op *op, struct shape4 in)
{
    if (!dnn_block_supports(op))
        return "no oneDNN implementation (Conv, Bottleneck, C2f, SPPF, Detect have)";
    if (op == &op_detect && in.n != 1)
        return "Detect is lowered at batch 1 only";
    return NULL;
}

static int lower(struct lowering *L, const struct op *op, const struct args *a, struct shape4 in)
{
    if (op == &op_conv)
        return lower_conv(L, a, in, 0, SLOT_X, 0, SLOT_Y, 0);
    if (op == &op_bottleneck) {
        int hidden = (int)((double)arg_geti(a, "c2") * arg_get(a, "e"));
        lowering_chain(L, SCRATCH_SLOTS, 1, &hidden);
        return lower_bottleneck(L, a, in, 0, SLOT_X, 0, SLOT_Y, 0);
    }
    if (op == &op_c2f)
        return lower_c2f(L, a, in);
    if (op == &op_sppf)
        return lower_sppf(L, a, in);
    if (op == &op_detect)
        return lower_detect(L, a, in);
    snprintf(L->err, L->errlen, "oneDNN: no lowering for %s (only Conv, Bottleneck, C2f, SPPF, Detect)",
             op->name);
    return -1;
}

int dnn_block_create(struct dnn_block *b, const struct op *op, const struct args *a, struct shape4 in,
                     const float *const *w, int threads, enum dnn_layout layout, char *err,
                     size_t errlen)
{
    memset(b, 0, sizeof *b);
    b->in = in;
    b->out = op->out_shape(a, in);
    b->in_floats = (int64_t)in.c * plane(in);
    b->out_floats = (int64_t)b->out.c * plane(b->out);
    if (dnn_ctx_init(&b->ctx, threads, err, errlen) != 0)
        return -1;
    struct lowering L = {b, w, layout, err, errlen, 0};
    int rc = lower(&L, op, a, with_c(in, in.c));
    for (int s = SLOT_CAT; rc == 0 && s < SLOT_COUNT; s++)
        if (b->scratch_floats[s] > 0 && !(b->scratch[s] = buf_alloc(b->scratch_floats[s]))) {
            snprintf(err, errlen, "oneDNN: out of memory for the row's scratch maps");
            rc = -1;
        }
    if (rc != 0)
        dnn_block_free(b);
    return rc;
}

static void add_into(float *restrict y, const float *restrict x, int64_t n, int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; i++)
        y[i] += x[i];
}

void dnn_block_run(struct dnn_block *b, const float *x, float *y)
{
    for (int img = 0; img < b->in.n; img++) {
        float *base[SLOT_COUNT] = {(float *)x + img * b->in_floats, y + img * b->out_floats,
                                   b->scratch[SLOT_CAT], b->scratch[SLOT_TMP], b->scratch[SLOT_TMP2]};
        for (int i = 0; i < b->nsteps; i++) {
            struct dnn_step *s = &b->step[i];
            const float *from = base[s->from] + s->from_off;
            float *to = base[s->to] + s->to_off;
            if (s->kind == STEP_CONV)
                dnn_conv_run(&s->conv, from, to);
            else if (s->kind == STEP_POOL)
                dnn_pool_run(&s->pool, from, to);
            else if (s->kind == STEP_DECODE)
                dnn_decode_run(&s->dec, from, to, b->ctx.threads);
            else
                add_into(to, from, s->count, b->ctx.threads);
        }
    }
}

int dnn_block_failed(const struct dnn_block *b)
{
    for (int i = 0; i < b->nsteps; i++)
        if (b->step[i].conv.failed || b->step[i].pool.failed)
            return 1;
    return 0;
}

void dnn_block_free(struct dnn_block *b)
{
    for (int i = 0; i < b->nsteps; i++) {
        if (b->step[i].kind == STEP_CONV)
            dnn_conv_free(&b->step[i].conv);
        else if (b->step[i].kind == STEP_POOL)
            dnn_pool_free(&b->step[i].pool);
    }
    for (int s = SLOT_CAT; s < SLOT_COUNT; s++)
        if (b->scratch[s])
            buf_free(b->scratch[s], b->scratch_floats[s]);
    dnn_ctx_free(&b->ctx);
    memset(b, 0, sizeof *b);
}

/* Distinct conv descriptions with their counts, in first-seen order. */
void dnn_block_describe(const struct dnn_block *b, char *buf, size_t len)
{
    char seen[DNN_STEPS_MAX][96];
    int count[DNN_STEPS_MAX], n = 0, convs = 0;
    for (int i = 0; i < b->nsteps; i++) {
        if (b->step[i].kind != STEP_CONV)
            continue;
        char d[96];
        int k = 0;
        dnn_conv_describe(&b->step[i].conv, d, sizeof d);
        while (k < n && strcmp(seen[k], d))
            k++;
        if (k == n)
            snprintf(seen[n], sizeof seen[n], "%s", d), count[n++] = 0;
        count[k]++, convs++;
    }
    size_t used = convs > 1 ? (size_t)snprintf(buf, len, "%d convs: ", convs) : 0;
    buf[used < len ? used : 0] = 0;
    for (int k = 0; k < n && used < len; k++)
        used += (size_t)snprintf(buf + used, len - used, count[k] > 1 && convs > 1 ? "%s%s x%d" : "%s%s",
                                 k ? ", " : "", seen[k], count[k]);
}
