/* harness/charts_scatter.c — see charts.h: a scatter of ratios with the
 * reference at (1, 1), error bars, numbered points, the Pareto front named.
 *
 * The picture's geometry is fixed here (canvas, plot area, axis ranges) so
 * that a point's pixel position is known before gnuplot draws it: the
 * labels are placed in pixels by charts_place_labels and written as
 * `set label ... at screen x, y`, the same in the PNG and the SVG.
 *
 * Errors: those of charts_plot.c (cannot write, cannot run gnuplot, ...),
 * "chart 'NAME': out of memory", and "chart 'NAME': no room for the labels
 * of N points" (never seen in
 * practice: the search ends in a scan of the whole plot area). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charts_data.h"
#include "gnuplot_run.h"

/* Canvas and plot area in pixels, y up (gnuplot's screen coordinates). */
enum { W = 900, H = 680, PLOT_L = 80, PLOT_R = 880, PLOT_B = 150, PLOT_T = 630 };
static const double label_px = 9, marker_px = 5;

struct frame {
    double xmin, xmax, ymin, ymax;
};

static double px_x(const struct frame *f, double x) { return PLOT_L + (x - f->xmin) / (f->xmax - f->xmin) * (PLOT_R - PLOT_L); }
static double px_y(const struct frame *f, double y) { return PLOT_B + (y - f->ymin) / (f->ymax - f->ymin) * (PLOT_T - PLOT_B); }

static int drawn(const struct scatter_point *p) { return !isnan(p->x) && !isnan(p->y); }

/* Ranges that hold 1, every point and every bar, with a margin so labels
 * fit beside the outermost points. */
static struct frame frame_of(const struct scatter_point *p, int n)
{
    struct frame f = {1, 1, 1, 1};
    for (int i = 0; i < n; i++) {
        if (!drawn(&p[i]))
            continue;
        f.xmin = fmin(f.xmin, p[i].x), f.xmax = fmax(f.xmax, p[i].x);
        f.ymin = fmin(f.ymin, isnan(p[i].lo) ? p[i].y : fmin(p[i].lo, p[i].y));
        f.ymax = fmax(f.ymax, isnan(p[i].hi) ? p[i].y : fmax(p[i].hi, p[i].y));
    }
    double dx = fmax(f.xmax - f.xmin, 0.02), dy = fmax(f.ymax - f.ymin, 0.02);
    f.xmin -= 0.08 * dx, f.xmax += 0.08 * dx, f.ymin -= 0.08 * dy, f.ymax += 0.08 * dy;
    return f;
}

/* Labels: the front's named ("3 AKConv at 1,3"), the rest numbered; the
 * named ones placed first, since they are the larger boxes. */
static void label_text(const struct scatter_point *p, int named, char *buf, size_t len)
{
    if (p->number == 0)
        snprintf(buf, len, "%s", p->name);
    else if (named)
        snprintf(buf, len, "%d %s", p->number, p->name);
    else
        snprintf(buf, len, "%d", p->number);
}

struct placed {
    struct chart_label *l;
    int *of;   /* l[k] names point of[k] */
    int *front;
    int n;
};

static int place(const struct scatter_point *p, int n, const struct frame *f, struct placed *out)
{
    double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    struct chart_box *obs = malloc((size_t)(2 * n + 1) * sizeof *obs);
    out->l = malloc((size_t)(n + 1) * sizeof *out->l);
    out->of = malloc((size_t)(n + 1) * sizeof *out->of);
    out->front = malloc((size_t)(n + 1) * sizeof *out->front);
    int nobs = 0, rc = -2; /* -2 out of memory, -1 no room (charts_place_labels) */
    if (!x || !y || !obs || !out->l || !out->of || !out->front)
        goto done;
    for (int i = 0; i < n; i++) {
        x[i] = drawn(&p[i]) ? p[i].x : NAN, y[i] = drawn(&p[i]) ? p[i].y : NAN;
        if (!drawn(&p[i]))
            continue;
        double ax = px_x(f, p[i].x), ay = px_y(f, p[i].y);
        double r = i ? marker_px : 2 * marker_px; /* the reference's ring is drawn larger */
        obs[nobs++] = (struct chart_box){ax - r, ay - r, ax + r, ay + r};
        if (!isnan(p[i].lo))
            obs[nobs++] = (struct chart_box){ax - 2, px_y(f, p[i].lo), ax + 2, px_y(f, p[i].hi)};
    }
    charts_pareto_front(x, y, n, out->front);
    out->n = 0;
    for (int pass = 0; pass < 2; pass++) /* named first */
        for (int i = 0; i < n; i++)
            if (drawn(&p[i]) && out->front[i] == !pass && (i > 0 || out->front[i])) {
                /* the reference is in the key; named here only on the front */
                struct chart_label *l = &out->l[out->n];
                char text[96];
                label_text(&p[i], out->front[i], text, sizeof text);
                charts_text_box(text, label_px, &l->w, &l->h);
                l->ax = px_x(f, p[i].x), l->ay = px_y(f, p[i].y);
                out->of[out->n++] = i;
            }
    struct chart_box area = {PLOT_L, PLOT_B, PLOT_R, PLOT_T};
    rc = charts_place_labels(out->l, out->n, obs, nobs, area);
done:
    free(x), free(y), free(obs);
    return rc;
}

static void placed_free(struct placed *pl) { free(pl->l), free(pl->of), free(pl->front); }

/* Block 0: points off the front, 1: the front, 2: the reference. */
static int write_dat(const char *path, const struct scatter_spec *s, const struct scatter_point *p, int n,
                     const int *front)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# %s\n# x = %s, y = %s, y interval (%s), number, name\n", s->title, s->xlabel, s->ylabel,
            s->interval);
    static const char *const block[] = {"off the Pareto front", "Pareto front", "reference"};
    for (int b = 0; b < 3; b++) {
        fprintf(f, "# %s\n", block[b]);
        for (int i = 0; i < n; i++)
            if (drawn(&p[i]) && (b == 2 ? i == 0 : i > 0 && front[i] == b))
                fprintf(f, "%.8g %.8g %.8g %.8g %d \"%s\"\n", p[i].x, p[i].y, isnan(p[i].lo) ? p[i].y : p[i].lo,
                        isnan(p[i].hi) ? p[i].y : p[i].hi, p[i].number, p[i].name);
        fputs("NaN NaN NaN NaN 0 \"\"\n\n\n", f); /* an empty block still parses */
    }
    int bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

/* DIR/<name>.points.tsv: the table of every point with its number, for
 * the report to show under the chart (report_chart_points). */
static int write_points(const char *path, const struct scatter_spec *s, const struct scatter_point *p, int n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "#\tpoint\t%s\t%s\t%s\n", s->xlabel, s->ylabel, s->interval);
    for (int i = 0; i < n; i++) {
        if (i)
            fprintf(f, "%d\t%s", p[i].number, p[i].name);
        else
            fprintf(f, "base\t%s", p[i].name);
        if (!drawn(&p[i]))
            fputs("\t-\t-\t-\n", f);
        else if (isnan(p[i].lo))
            fprintf(f, "\t%.3f\t%.3f\t-\n", p[i].x, p[i].y);
        else
            fprintf(f, "\t%.3f\t%.3f\t%.3f-%.3f\n", p[i].x, p[i].y, p[i].lo, p[i].hi);
    }
    int bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

static void write_frame(FILE *g, const struct scatter_spec *s, const struct frame *f)
{
    fprintf(g, "set lmargin at screen %.5f\nset rmargin at screen %.5f\nset bmargin at screen %.5f\n"
               "set tmargin at screen %.5f\n",
            (double)PLOT_L / W, (double)PLOT_R / W, (double)PLOT_B / H, (double)PLOT_T / H);
    fprintf(g, "set xrange [%.8g:%.8g]\nset yrange [%.8g:%.8g]\n", f->xmin, f->xmax, f->ymin, f->ymax);
    fputs("set title ", g), gnuplot_string(g, s->title), fputs(" font ',12'\nset xlabel ", g);
    gnuplot_string(g, s->xlabel), fputs("\nset ylabel ", g), gnuplot_string(g, s->ylabel);
    fputs("\nset style line 100 lc rgb '#e4e4e4' lw 1\nset grid xtics ytics ls 100\nset border 3\n"
          "set tics nomirror\nset format x '%g'\nset format y '%g'\nset errorbars small\n"
          "set arrow from first 1, graph 0 to first 1, graph 1 nohead dt 3 lw 1.2 lc rgb '#666666' back\n"
          "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 3 lw 1.2 lc rgb '#666666' back\n",
          g);
    if (s->shade)
        fprintf(g, "set object 1 rect from first %.8g, first 1 to first 1, first %.8g fc rgb '#f9d3cc' "
                   "fs solid 0.55 noborder behind\n",
                f->xmin, f->ymax);
    for (int k = 0; k < 2; k++)
        if (s->caption[k][0]) {
            fprintf(g, "set label %d ", 9001 + k);
            gnuplot_string(g, s->caption[k]);
            fprintf(g, " at screen 0.01, screen %.5f left font ',9' textcolor rgb '#333333'\n",
                    (30.0 - 16 * k) / H);
        }
    fprintf(g, "set key at screen 0.5, screen %.5f center center horizontal maxrows 1 samplen 1.5 width 1\n",
            60.0 / H);
}

/* The labels, and a thin line to each one placed away from its point. */
static void write_labels(FILE *g, const struct scatter_point *p, const struct placed *pl)
{
    for (int k = 0; k < pl->n; k++) {
        const struct chart_label *l = &pl->l[k];
        const struct scatter_point *q = &p[pl->of[k]];
        char text[96];
        label_text(q, pl->front[pl->of[k]], text, sizeof text);
        fprintf(g, "set label %d ", k + 1);
        gnuplot_string(g, text);
        fprintf(g, " at screen %.5f, screen %.5f center front font ',%g' textcolor rgb '%s'\n", l->x / W,
                l->y / H, label_px, pl->front[pl->of[k]] ? "#000000" : "#555555");
        if (l->leader) { /* from the point to the box's edge, not through the text */
            double dx = l->x - l->ax, dy = l->y - l->ay;
            double t = fmin(dx ? l->w / 2 / fabs(dx) : INFINITY, dy ? l->h / 2 / fabs(dy) : INFINITY);
            fprintf(g, "set arrow %d from screen %.5f, screen %.5f to screen %.5f, screen %.5f nohead lw 0.6 "
                       "lc rgb '#999999' front\n",
                    k + 10, l->ax / W, l->ay / H, (l->x - t * dx) / W, (l->y - t * dy) / H);
        }
    }
}

static int write_gp(const char *path, const char *dat, const char *png, const char *svg,
                    const struct scatter_spec *s, const struct frame *f, const struct scatter_point *p,
                    const struct placed *pl)
{
    FILE *g = fopen(path, "w");
    if (!g)
        return -1;
    fprintf(g, "# ablate scatter '%s' (harness/charts_scatter.c); re-draw: gnuplot <this file>\n"
               "set terminal pngcairo size %d,%d noenhanced font 'DejaVu Sans,10'\nset output ",
            s->name, W, H);
    gnuplot_string(g, png);
    fputc('\n', g);
    write_frame(g, s, f);
    write_labels(g, p, pl);
    fputs("plot ", g), gnuplot_string(g, dat);
    fputs(" index 0 using 1:2:3:4 with yerrorbars pt 7 ps 0.8 lw 1 lc rgb '#4c72b0' title ", g);
    gnuplot_string(g, s->interval);
    fputs(", '' index 1 using 1:2:3:4 with yerrorbars pt 7 ps 1.0 lw 1 lc rgb '#dd8452' title "
          "'Pareto front (named)', '' index 2 using 1:2:3:4 with yerrorbars pt 6 ps 1.6 lw 1.5 "
          "lc rgb '#000000' title ",
          g);
    gnuplot_string(g, p[0].name);
    if (s->shade) {
        fputs(", NaN with boxes fs solid 0.55 noborder fc rgb '#f9d3cc' title ", g);
        gnuplot_string(g, s->shade_key);
    }
    fprintf(g, "\nset terminal svg size %d,%d dynamic noenhanced font 'DejaVu Sans,10' background rgb 'white'\n"
               "set output ",
            W, H);
    gnuplot_string(g, svg);
    fputs("\nreplot\nunset output\n", g);
    int bad = ferror(g);
    return fclose(g) != 0 || bad ? -1 : 0;
}

int charts_scatter(const char *dir, const struct scatter_spec *s, const struct scatter_point *p, int n,
                   struct scatter_drawn *drawn_out, char *err, size_t errlen)
{
    char dat[4200], gp[4200], png[4200], svg[4200], tsv[4200];
    snprintf(dat, sizeof dat, "%s/%s.dat", dir, s->name);
    snprintf(tsv, sizeof tsv, "%s/%s.points.tsv", dir, s->name);
    snprintf(gp, sizeof gp, "%s/%s.gp", dir, s->name);
    snprintf(png, sizeof png, "%s/%s.png", dir, s->name);
    snprintf(svg, sizeof svg, "%s/%s.svg", dir, s->name);
    struct frame f = frame_of(p, n);
    struct placed pl = {0};
    int placed = place(p, n, &f, &pl);
    if (placed != 0) {
        if (placed == -2)
            snprintf(err, errlen, "chart '%s': out of memory", s->name);
        else
            snprintf(err, errlen, "chart '%s': no room for the labels of %d points", s->name, n);
        placed_free(&pl);
        return -1;
    }
    if (drawn_out) {
        memset(drawn_out, 0, sizeof *drawn_out);
        drawn_out->n = n;
        for (int i = 0; i < n && i < 64; i++)
            drawn_out->named[i] = drawn(&p[i]) && pl.front[i];
    }
    const char *failed = write_dat(dat, s, p, n, pl.front) != 0                  ? dat
                         : write_points(tsv, s, p, n) != 0                       ? tsv
                         : write_gp(gp, dat, png, svg, s, &f, p, &pl) != 0 ? gp
                                                                                 : NULL;
    placed_free(&pl);
    if (failed) {
        snprintf(err, errlen, "cannot write %s (%s)", failed, strerror(errno));
        return -1;
    }
    return charts_run_script(gp, png, svg, err, errlen);
}
