/* tests/test_model_arena.c — the whole-graph bench's buffer plan
 * (harness/model_arena.c): the producers that write straight into a
 * Concat's (or Detect's) gather buffer land in their own block, the maps
 * copied are exactly the others, and no map is overwritten before its last
 * reader.  The graph is simulated with every layer writing its own tag
 * over its whole map, so a producer planned into the wrong block (or a
 * buffer reused too early) shows as a wrong tag where a reader looks. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "model_arena.h"


/* Concat 4 of three producers (2 also read by 3 and by Concat 9, after
 * Concat 4's last reader 5: layer 6, of the Concat's size, would take its
 * buffer if the block did not outlive the Concat), then a Detect over a
 * Concat and a Conv. */
static const char THREE_PRODUCERS[] =
    "nc: 2\n"
    "backbone:\n"
    "  - [-1, 1, Conv, [8, 3, 2]]\n"        /* 0: 8 x 32 x 32 */
    "  - [-1, 1, Conv, [8, 3, 1]]\n"        /* 1: into 4 */
    "  - [0, 1, Conv, [8, 3, 1]]\n"         /* 2: into 4, read by 3 and 9 */
    "  - [-1, 1, Conv, [8, 1, 1]]\n"        /* 3: into 4 */
    "  - [[1, 2, 3], 1, Concat, [1]]\n"     /* 4: 24 x 32 x 32 */
    "  - [-1, 1, Conv, [24, 1, 1]]\n"       /* 5: the Concat's last reader */
    "  - [-1, 1, Conv, [24, 1, 1]]\n"       /* 6: 24 x 32 x 32 */
    "  - [-1, 1, Conv, [24, 3, 2]]\n"       /* 7: 24 x 16 x 16 */
    "head:\n"
    "  - [-1, 1, nn.Upsample, [None, 2, 'nearest']]\n" /* 8: into 9 */
    "  - [[8, 2], 1, Concat, [1]]\n"        /* 9: 2 is Concat 4's: copied */
    "  - [-1, 1, Conv, [16, 3, 2]]\n"       /* 10: into Detect */
    "  - [[9, 10], 1, Detect, [nc]]\n";     /* 11: 9 gathers itself: copied */

static int64_t numel(struct shape4 s) { return (int64_t)s.n * s.c * s.h * s.w; }

static float tag(int layer) { return layer < 0 ? -1.0f : (float)(layer + 1); }

static void fill(float *p, int64_t n, float v)
{
    for (int64_t k = 0; k < n; k++)
        p[k] = v;
}

/* The first float of p[0..n) that is not v, or -1. */
static int64_t first_not(const float *p, int64_t n, float v)
{
    for (int64_t k = 0; k < n; k++)
        if (p[k] != v)
            return k;
    return -1;
}

struct planned {
    int size;
    struct model m;
    struct shape4 *shapes;
    float **outs;
    struct model_arena a;
    int64_t copied[64]; /* per layer: floats model_arena_gather copied */
};

static void plan(struct planned *p, const char *path, const char *text, int size)
{
    p->size = size;
    char err[1024] = "";
    struct model_yaml *y = text ? model_yaml_parse(path, text, strlen(text), err, sizeof err)
                                : model_yaml_read(path, err, sizeof err);
    cr_assert(y != NULL, "%s", err);
    cr_assert_eq(model_build(y, NULL, &p->m, err, sizeof err), 0, "%s", err);
    free(y);
    cr_assert_leq(p->m.nlayers, 64);
    p->shapes = calloc((size_t)p->m.nlayers, sizeof *p->shapes);
    p->outs = calloc((size_t)p->m.nlayers, sizeof *p->outs);
    cr_assert(p->shapes && p->outs);
    cr_assert_eq(model_shapes(&p->m, size, p->shapes, err, sizeof err), 0, "%s", err);
    cr_assert_eq(model_arena_plan(&p->a, &p->m, p->shapes, size, p->outs), 0);
}

static int64_t map_floats(const struct planned *p, int s)
{
    return s < 0 ? 3LL * p->size * p->size : numel(p->shapes[s]);
}

/* Layer s's map at `in` holds its tag throughout (a Concat's: each of its
 * inputs' maps in turn). */
static void expect_map(const struct planned *p, int reader, int s, const float *in)
{
    if (s >= 0 && p->m.layers[s].kind == LAYER_CONCAT) {
        for (int k = 0, off = 0; k < p->m.layers[s].nfrom; k++) {
            expect_map(p, reader, p->m.layers[s].src[k], in + off);
            off += (int)map_floats(p, p->m.layers[s].src[k]);
        }
        return;
    }
    int64_t bad = first_not(in, map_floats(p, s), tag(s));
    cr_expect_eq(bad, -1, "%s: layer %d reads layer %d: float %lld is %g, not %g", p->m.path,
                 reader, s, (long long)bad, bad < 0 ? 0.0 : (double)in[bad], (double)tag(s));
}

/* Runs the graph on tags: each reader must find each input's tag over the
 * whole input (its gather block, or the map itself). */
static void simulate(struct planned *p)
{
    const struct model *m = &p->m;
    float *image = malloc(sizeof(float) * (size_t)map_floats(p, -1));
    cr_assert(image);
    fill(image, map_floats(p, -1), tag(-1));
    for (int i = 0; i < m->nlayers; i++) {
        const struct model_layer *L = &m->layers[i];
        p->copied[i] = model_arena_gather(&p->a, m, p->shapes, p->size, i, p->outs, image);
        int64_t off = 0;
        for (int k = 0; k < L->nfrom; k++) {
            const int s = L->src[k];
            expect_map(p, i, s, L->nfrom > 1 ? p->a.gather[i] + off : s < 0 ? image : p->outs[s]);
            off += map_floats(p, s);
        }
        if (L->kind != LAYER_CONCAT)
            fill(p->outs[i], numel(p->shapes[i]), tag(i));
    }
    expect_map(p, m->nlayers, m->nlayers - 1, p->outs[m->nlayers - 1]); /* the output */
    free(image);
}

static void release(struct planned *p)
{
    model_arena_free(&p->a);
    free(p->shapes);
    free(p->outs);
    model_free(&p->m);
}

Test(model_arena, producers_write_their_own_block)
{
    struct planned p;
    plan(&p, "three_producers.yaml", THREE_PRODUCERS, 64);
    const int64_t map = 8 * 32 * 32; /* each of 1, 2, 3 */
    cr_assert_eq(p.m.nlayers, 12);
    cr_expect_eq(p.outs[1], p.outs[4]);
    cr_expect_eq(p.outs[2], p.outs[4] + map);
    cr_expect_eq(p.outs[3], p.outs[4] + 2 * map);
    cr_expect_eq(p.outs[8], p.outs[9]);
    cr_expect_eq(p.a.gather[4], p.outs[4]);
    cr_expect_eq(p.outs[10], p.a.gather[11] + numel(p.shapes[9]));
    cr_expect_null(p.a.gather[5]);
    simulate(&p);
    cr_expect_eq(p.copied[4], 0, "Concat 4 copied %lld floats", (long long)p.copied[4]);
    cr_expect_eq(p.copied[9], map, "Concat 9 copies layer 2 only");
    cr_expect_eq(p.copied[11], numel(p.shapes[9]), "Detect copies Concat 9 only");
    release(&p);
}

/* Every shipped YAML: the plan passes the simulation, and every Concat of
 * YOLOv8's head has its upsampled or downsampled input written in place. */
Test(model_arena, shipped_models)
{
    static const char *const yamls[] = {
        "experiments/models/yolov8.yaml",
        "experiments/models/yolov8-DYConv2d.yaml",
        "experiments/models/yolov8-C2f_DynamicConv.yaml",
        "experiments/models/yolov8-DynamicConv.yaml",
        "experiments/models/yolov8-AKConv.yaml",
        "experiments/models/yolov8-ACmix-1.yaml",
        "experiments/models/yolov5n.yaml",
        "experiments/models/yolov5-C3_DCNv3_DLKA.yaml",
    };
    for (size_t y = 0; y < sizeof yamls / sizeof *yamls; y++) {
        struct planned p;
        plan(&p, yamls[y], NULL, 256);
        simulate(&p);
        for (int i = 0; i < p.m.nlayers; i++)
            if (p.m.layers[i].kind == LAYER_CONCAT)
                cr_expect_lt(p.copied[i], numel(p.shapes[i]), "%s: Concat %d copies all of it",
                             yamls[y], i);
        release(&p);
    }
}
