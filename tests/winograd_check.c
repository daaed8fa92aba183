/* tests/winograd_check.c — a standalone checker of the Winograd tiles
 * (gen/runtime/ablate_winograd.h F(2x2, 3x3), ablate_winograd4.h
 * F(4x4, 3x3)) against a float64 convolution of the same float32 data.
 * The library and tests build without -march, so tests/test_gen_winograd.c
 * compiles this file as generated kernels are compiled (cc -O3
 * -march=native -I gen/runtime) and runs it.
 *
 *   winograd_check check   edge shapes (odd maps, H != W, w > one batch,
 *                          cin not a multiple of 16, 1-row and 1-column
 *                          maps), the map computed in pieces that end
 *                          mid tile row and mid tile, BN + SiLU epilogue;
 *                          exit 0 when every output is within 2e-5 of the
 *                          reference (outputs ~ N(0, 1/3): a wrong
 *                          transform entry is off by ~0.1)
 *   winograd_check errors  the error table of docs/baseline.md (YOLOv8n's
 *                          stride-1 3x3 shapes, raw conv, both tiles)
 *   winograd_check bench   ms of F(2x2) and F(4x4) per YOLOv8n shape, one
 *                          thread, whole map, weights transformed once
 *                          (the generator's choice, gen/chain.lua)
 * Data: input N(0, 1), weights uniform +-1/sqrt(9 cin) (PyTorch's default
 * Conv2d init), a fixed xorshift seed per shape. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ablate_winograd4.h"

struct shape {
    int cin, cout, h, w;
};

static uint64_t next_u64(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

static double uniform01(uint64_t *s) { return ((next_u64(s) >> 11) + 0.5) / 9007199254740992.0; }

static void fill_normal(float *p, size_t n, uint64_t *s)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(sqrt(-2.0 * log(uniform01(s))) * cos(6.283185307179586 * uniform01(s)));
}

static void fill_uniform(float *p, size_t n, double bound, uint64_t *s)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (float)((2.0 * uniform01(s) - 1.0) * bound);
}

/* float64 3x3 pad-1 convolution, then act(y * scale + shift) */
static void reference(const float *x, const float *wt, struct shape sh, const float *scale,
                      const float *shift, int act, double *y)
{
    const int h = sh.h, w = sh.w;
    for (int o = 0; o < sh.cout; o++)
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) {
                double acc = 0.0;
                for (int c = 0; c < sh.cin; c++)
                    for (int a = 0; a < 3; a++)
                        for (int b = 0; b < 3; b++) {
                            const int ii = i + a - 1, jj = j + b - 1;
                            if (ii >= 0 && ii < h && jj >= 0 && jj < w)
                                acc += (double)x[((size_t)c * h + ii) * w + jj] *
                                       wt[(((size_t)o * sh.cin + c) * 3 + a) * 3 + b];
                        }
                acc = acc * scale[o] + shift[o];
                y[((size_t)o * h + i) * w + j] = act ? acc / (1.0 + exp(-acc)) : acc;
            }
}

struct run {
    float *x, *wt, *u, *scratch, *y, *scale, *shift;
    double *ref;
    struct shape sh;
};

static int run_alloc(struct run *r, struct shape sh, uint64_t seed, int act)
{
    const size_t nx = (size_t)sh.cin * sh.h * sh.w, ny = (size_t)sh.cout * sh.h * sh.w;
    const size_t nw = (size_t)sh.cout * sh.cin * 9;
    const size_t scr = (size_t)(abl_wino4_scratch(sh.cin) > abl_wino_scratch(sh.cin)
                                    ? abl_wino4_scratch(sh.cin)
                                    : abl_wino_scratch(sh.cin));
    r->sh = sh;
    r->x = malloc(nx * sizeof(float));
    r->wt = malloc(nw * sizeof(float));
    r->u = malloc((size_t)36 * sh.cin * sh.cout * sizeof(float));
    r->scratch = malloc(scr * sizeof(float));
    r->y = malloc(ny * sizeof(float));
    r->scale = malloc((size_t)sh.cout * sizeof(float));
    r->shift = malloc((size_t)sh.cout * sizeof(float));
    r->ref = malloc(ny * sizeof(double));
    if (!r->x || !r->wt || !r->u || !r->scratch || !r->y || !r->scale || !r->shift || !r->ref)
        return -1;
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
    fill_normal(r->x, nx, &s);
    fill_uniform(r->wt, nw, 1.0 / sqrt(9.0 * sh.cin), &s);
    for (int o = 0; o < sh.cout; o++) {
        r->scale[o] = act ? (float)(0.5 + uniform01(&s)) : 1.0f;
        r->shift[o] = act ? (float)(uniform01(&s) - 0.5) : 0.0f;
    }
    return 0;
}

static void run_free(struct run *r)
{
    free(r->x), free(r->wt), free(r->u), free(r->scratch), free(r->y), free(r->scale);
    free(r->shift), free(r->ref);
}

/* Output pixels p0 .. p0 + np - 1 of r's map through F(m x m). */
static void tile(struct run *r, int m, int act, int p0, int np)
{
    const struct shape sh = r->sh;
    if (m == 4)
        abl_wino4_tile(r->x, sh.h, sh.w, sh.cin, sh.cout, r->u, r->y, sh.h * sh.w, r->scale, r->shift,
                       act, p0, np, r->scratch);
    else
        abl_wino_tile(r->x, sh.h, sh.w, sh.cin, sh.cout, r->u, r->y, sh.h * sh.w, r->scale, r->shift,
                      act, p0, np, r->scratch);
}

/* The map through F(m x m) (m = 2 or 4) in pieces of `piece` pixels (0:
 * one piece), y NaN-poisoned first. */
static void run_wino(struct run *r, int m, int act, int piece)
{
    const struct shape sh = r->sh;
    const int pix = sh.h * sh.w;
    for (size_t i = 0; i < (size_t)sh.cout * pix; i++)
        r->y[i] = NAN;
    if (m == 4)
        abl_wino4_weights(r->wt, sh.cin, sh.cout, r->u, 0, sh.cout);
    else
        abl_wino_weights(r->wt, sh.cin, sh.cout, r->u, 0, sh.cout);
    const int step = piece > 0 ? piece : pix;
    for (int p0 = 0; p0 < pix; p0 += step)
        tile(r, m, act, p0, pix - p0 < step ? pix - p0 : step);
}

/* max |y - ref| and NMSE (NaN counts as infinite error) */
static void compare(const struct run *r, double *max_abs, double *nmse)
{
    const size_t n = (size_t)r->sh.cout * r->sh.h * r->sh.w;
    double err = 0.0, sig = 0.0, mx = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double d = fabs((double)r->y[i] - r->ref[i]);
        if (!(d <= mx))
            mx = isnan(d) ? INFINITY : d;
        err += d * d, sig += r->ref[i] * r->ref[i];
    }
    *max_abs = mx;
    *nmse = err / (sig > 0.0 ? sig : 1.0);
}

static int check(void)
{
    static const struct shape shapes[] = {
        {16, 8, 9, 9},   {20, 16, 13, 7},  {8, 24, 7, 270}, {35, 8, 1, 37},
        {16, 16, 37, 1}, {33, 16, 22, 19}, {7, 8, 4, 4},    {24, 8, 6, 66},
    };
    static const int pieces[] = {0, 40, 4 * 37, 1};
    int bad = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int act = 0; act <= 1; act++) {
            struct run r;
            if (run_alloc(&r, shapes[s], 100 + s, act) != 0) {
                printf("out of memory\n");
                return 1;
            }
            reference(r.x, r.wt, r.sh, r.scale, r.shift, act, r.ref);
            for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++)
                for (int m = 2; m <= 4; m += 2) {
                    double mx, nmse;
                    run_wino(&r, m, act, pieces[p] == 1 ? r.sh.w * 5 + 3 : pieces[p]);
                    compare(&r, &mx, &nmse);
                    if (!(mx < 2e-5)) {
                        printf("F(%dx%d) cin=%d cout=%d h=%d w=%d act=%d piece=%d: max_abs %.3g nmse %.3g\n",
                               m, m, r.sh.cin, r.sh.cout, r.sh.h, r.sh.w, act, pieces[p], mx, nmse);
                        bad++;
                    }
                }
            run_free(&r);
        }
    return bad != 0;
}

/* YOLOv8n's stride-1 3x3 Convs (C2f bottlenecks, Detect's branches) */
static const struct shape YOLO[] = {
    {16, 16, 160, 160}, {32, 32, 80, 80}, {64, 64, 40, 40}, {128, 128, 20, 20},
    {64, 64, 80, 80},   {64, 80, 80, 80}, {80, 80, 80, 80}, {128, 64, 40, 40},
    {128, 80, 40, 40},  {80, 80, 40, 40}, {256, 64, 20, 20}, {256, 80, 20, 20},
    {64, 64, 20, 20},   {80, 80, 20, 20},
};

static int errors(void)
{
    printf("| shape (cin -> cout @ map) | F(2x2) NMSE | F(2x2) max abs | F(4x4) NMSE | F(4x4) max abs |\n");
    for (size_t s = 0; s < sizeof YOLO / sizeof YOLO[0]; s++) {
        struct run r;
        if (run_alloc(&r, YOLO[s], 200 + s, 0) != 0)
            return 1;
        reference(r.x, r.wt, r.sh, r.scale, r.shift, 0, r.ref);
        double mx2, n2, mx4, n4;
        run_wino(&r, 2, 0, 0);
        compare(&r, &mx2, &n2);
        run_wino(&r, 4, 0, 0);
        compare(&r, &mx4, &n4);
        printf("| %d -> %d @ %d^2 | %.3g | %.3g | %.3g | %.3g |\n", r.sh.cin, r.sh.cout, r.sh.h, n2, mx2,
               n4, mx4);
        run_free(&r);
    }
    return 0;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* best of 5 runs of the tile over the whole map (U made outside the timing) */
static double time_tile(struct run *r, int m)
{
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        const double t0 = now_s();
        tile(r, m, 1, 0, r->sh.h * r->sh.w);
        const double t = now_s() - t0;
        best = t < best ? t : best;
    }
    return best * 1e3;
}

static int bench(void)
{
    printf("shape, F2 ms, F4 ms, F2/F4\n");
    for (size_t s = 0; s < sizeof YOLO / sizeof YOLO[0]; s++) {
        struct run r;
        if (run_alloc(&r, YOLO[s], 300 + s, 1) != 0)
            return 1;
        abl_wino_weights(r.wt, r.sh.cin, r.sh.cout, r.u, 0, r.sh.cout);
        const double t2 = time_tile(&r, 2);
        abl_wino4_weights(r.wt, r.sh.cin, r.sh.cout, r.u, 0, r.sh.cout);
        const double t4 = time_tile(&r, 4);
        printf("%d->%d@%dx%d, %.3f, %.3f, %.2f\n", r.sh.cin, r.sh.cout, r.sh.h, r.sh.w, t2, t4, t2 / t4);
        run_free(&r);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "check";
    if (!strcmp(mode, "check"))
        return check();
    if (!strcmp(mode, "errors"))
        return errors();
    if (!strcmp(mode, "bench"))
        return bench();
    printf("usage: winograd_check [check|errors|bench]\n");
    return 2;
}
