/* harness/charts_plot.c — draws one chart_data with gnuplot: DIR/<name>.dat
 * (one block per line, then the baselines), DIR/<name>.gp (readable, can
 * be re-run by hand: `gnuplot DIR/<name>.gp`), DIR/<name>.png (pngcairo)
 * and DIR/<name>.svg.
 *
 * Errors (one line):
 *   cannot write DIR/<name>.dat (<strerror>)          (or .gp)
 *   cannot run gnuplot (<strerror>): install gnuplot-nox
 *   gnuplot DIR/<name>.gp failed (exit status N): <gnuplot's first message line>
 *   gnuplot DIR/<name>.gp was killed by signal N
 *   gnuplot DIR/<name>.gp made no DIR/<name>.png
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "charts_data.h"
#include "gnuplot_run.h"
#include "results_view.h"
#include "run_meta.h"

/* Colour-blind-friendly enough and distinct in print (matplotlib's tab10). */
static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
static const int point_types[] = {7, 5, 9, 11, 13, 15};
enum { N_COLOURS = sizeof palette / sizeof palette[0], N_POINTS = sizeof point_types / sizeof point_types[0] };

#define FONT "'DejaVu Sans,10'"

static const char *const peer_names[VIEW_PEERS] = {"PyTorch eager", "ONNX Runtime", "OpenVINO"};

/* "PyTorch eager", "ONNX Runtime", "OpenVINO" for a peer's line (1, 2, 3); "" for ours. */
static const char *peer_name(int peer)
{
    return peer >= 1 && peer <= VIEW_PEERS ? peer_names[peer - 1] : "";
}

static void x_extent(const struct chart_data *c, double *lo, double *hi)
{
    *lo = INFINITY, *hi = -INFINITY;
    for (int i = 0; i < c->ns; i++)
        for (int j = 0; j < c->s[i].n; j++)
            *lo = fmin(*lo, c->s[i].pt[j].x), *hi = fmax(*hi, c->s[i].pt[j].x);
}

static int write_dat(const char *path, const struct chart_data *c)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    double lo, hi;
    x_extent(c, &lo, &hi);
    if (lo == hi) /* one x value: a baseline still needs some length to be seen */
        lo -= 0.5, hi += 0.5;
    fprintf(f, "# %s\n# x = %s, y = %s%s\n", c->title, c->xlabel, c->ylabel,
            c->bars ? ", then y's p10 and p90 (y itself when not timed)" : "");
    for (int i = 0; i < c->ns; i++) {
        fprintf(f, "# %s%s%s\n", c->s[i].label, c->s[i].peer ? ", " : "", peer_name(c->s[i].peer));
        for (int j = 0; j < c->s[i].n; j++) {
            const struct chart_point *p = &c->s[i].pt[j];
            fprintf(f, "%.10g %.10g", p->x, p->y);
            if (c->bars)
                fprintf(f, " %.10g %.10g", isnan(p->lo) ? p->y : p->lo, isnan(p->hi) ? p->y : p->hi);
            fputc('\n', f);
        }
        fputs("\n\n", f);
    }
    for (int b = 0; b < CHART_BASELINES; b++)
        for (int i = 0; i < c->ns; i++)
            if (!isnan(c->s[i].baseline[b])) {
                const struct chart_series *s = &c->s[i];
                double blo = isnan(s->baseline_lo[b]) ? s->baseline[b] : s->baseline_lo[b];
                double bhi = isnan(s->baseline_hi[b]) ? s->baseline[b] : s->baseline_hi[b];
                fprintf(f, "# baseline %d at %s\n", b + 1, s->label);
                for (int end = 0; end < 2; end++)
                    fprintf(f, c->bars ? "%.10g %.10g %.10g %.10g\n" : "%.10g %.10g\n", end ? hi : lo,
                            s->baseline[b], blo, bhi);
                fputs("\n\n", f);
            }
    int bad = ferror(f); /* sticky: catches any failed fprintf above */
    return fclose(f) != 0 || bad ? -1 : 0;
}

/* Tics at the x values themselves when there are few: num_param 1..13
 * reads better as 1 2 3 ... 11 13 than as gnuplot's 0 2 4 ... 14. */
static void write_xtics(FILE *f, const struct chart_data *c)
{
    if (c->categorical) {
        fputs("set xtics (", f);
        for (int k = 0; k < c->ncat; k++) {
            fputs(k ? ", " : "", f);
            gnuplot_string(f, c->cats[k]);
            fprintf(f, " %d", k);
        }
        fprintf(f, ")\nset xrange [-0.5:%g]\n", c->ncat - 0.5);
        return;
    }
    double xs[17];
    int n = 0;
    for (int i = 0; i < c->ns && n <= 16; i++)
        for (int j = 0; j < c->s[i].n && n <= 16; j++) {
            int k = 0;
            while (k < n && xs[k] != c->s[i].pt[j].x)
                k++;
            if (k == n)
                xs[n++] = c->s[i].pt[j].x;
        }
    if (n > 16 || n == 0)
        return;
    fputs("set xtics (", f);
    for (int k = 0; k < n; k++)
        fprintf(f, "%s%g", k ? ", " : "", xs[k]);
    fputs(")\n", f);
}

/* A log axis with an explicit range (gnuplot's own rounds out to whole
 * decades, leaving most of the plot empty) and, over up to three decades,
 * tics at 1-2-5 steps so values can be read off. */
static void write_log_y(FILE *f, const struct chart_data *c)
{
    double lo = c->ylo / 1.3, hi = c->yhi * 1.3;
    fprintf(f, "set logscale y 10\nset yrange [%.6g:%.6g]\n", lo, hi);
    if (hi / lo > 1000) {
        fputs("set mytics 10\n", f);
        return;
    }
    fputs("set ytics (", f);
    int n = 0;
    for (double decade = pow(10, floor(log10(lo))); decade <= hi; decade *= 10)
        for (int k = 0; k < 3; k++) {
            double v = decade * (k == 0 ? 1 : k == 1 ? 2 : 5);
            if (v >= lo && v <= hi)
                fprintf(f, "%s%.6g", n++ ? ", " : "", v);
        }
    fputs(")\n", f);
}

static void write_setup(FILE *f, const struct chart_data *c, const char *png)
{
    fprintf(f, "# ablate chart '%s' (harness/charts_plot.c); re-draw: gnuplot <this file>\n", c->spec->name);
    fprintf(f, "set terminal pngcairo size 900,560 noenhanced font " FONT "\nset output ");
    gnuplot_string(f, png);
    fputs("\nset title ", f);
    gnuplot_string(f, c->title);
    fputs(" font ',12'\nset xlabel ", f);
    gnuplot_string(f, c->xlabel);
    fputs("\nset ylabel ", f);
    gnuplot_string(f, c->ylabel);
    fputs("\nset key outside right top Left reverse samplen 3 spacing 1.2\n"
          "set style line 100 lc rgb '#dddddd' lw 1 dt 1\nset grid xtics ytics ls 100, ls 100\n"
          "set border 3 lc rgb '#444444'\nset tics nomirror\nset format y '%g'\n"
          "set offsets graph 0.04, graph 0.04, graph 0.06, 0\nset errorbars small\n"
          "set bmargin 5\nset label 9001 ",
          f);
    gnuplot_string(f, c->caption); /* under the x label, clear of the key (outside right) */
    fputs(" at screen 0.01, screen 0.025 left font ',9' textcolor rgb '#333333'\n", f);
    if (c->logy)
        write_log_y(f, c);
    else if (c->ylo >= 0) /* counts, times and ratios: zero is the honest floor */
        fputs("set yrange [0:*]\n", f);
    write_xtics(f, c);
}

/* Starts the next element of the plot list: ", \" between elements. */
static void next_item(FILE *f, int *count)
{
    fputs((*count)++ ? ", \\\n  " : "plot \\\n  ", f);
}

/* Baseline b's lines (dash type 2: dashed, 4: dash-dot; 3, dotted, is the y = 1 line) in the colour of
 * their layer, and one grey key entry for all of them. */
static void write_baselines(FILE *f, const struct chart_data *c, const char *dat, int b, int *items, int *idx)
{
    int any = 0;
    for (int i = 0; i < c->ns; i++)
        if (!isnan(c->s[i].baseline[b])) {
            if (c->bars) { /* its p10..p90 as a pale band under the dashes */
                next_item(f, items);
                gnuplot_string(f, dat);
                fprintf(f, " index %d using 1:3:4 with filledcurves fs transparent solid 0.12 noborder "
                           "lc rgb '%s' notitle",
                        *idx, palette[i % N_COLOURS]);
            }
            next_item(f, items);
            gnuplot_string(f, dat);
            fprintf(f, " index %d using 1:2 with lines dt %d lw 1.5 lc rgb '%s' notitle", (*idx)++, 2 + 2 * b,
                    palette[i % N_COLOURS]);
            any = 1;
        }
    if (any) {
        next_item(f, items);
        fprintf(f, "NaN with lines dt %d lw 1.5 lc rgb '#555555' title ", 2 + 2 * b);
        gnuplot_string(f, c->baseline_key[b]);
    }
}

/* The peers' lines: dotted (dt 3) in the colour of the line of ours they
 * follow, a hollow marker per engine, no bars (ours carry the spread);
 * one grey key entry per engine drawn. */
static void write_peers(FILE *f, const struct chart_data *c, const char *dat, int *items)
{
    static const int peer_points[VIEW_PEERS] = {8, 4, 12}; /* torch, ort, openvino: hollow triangle, square, diamond */
    int drawn[VIEW_PEERS] = {0};
    for (int i = 0; i < c->ns; i++) {
        const struct chart_series *s = &c->s[i];
        if (!s->peer)
            continue;
        next_item(f, items);
        gnuplot_string(f, dat);
        fprintf(f, " index %d using 1:2 with linespoints dt 3 lw 1.5 pt %d ps 1.0 lc rgb '%s' notitle", i,
                peer_points[(s->peer - 1) % VIEW_PEERS], palette[(s->owner >= 0 ? s->owner : i) % N_COLOURS]);
        drawn[(s->peer - 1) % VIEW_PEERS] = 1;
    }
    for (int p = 0; p < VIEW_PEERS; p++)
        if (drawn[p]) {
            char key[64];
            snprintf(key, sizeof key, "%s (dotted)", peer_name(p + 1));
            next_item(f, items);
            fprintf(f, "NaN with linespoints dt 3 lw 1.5 pt %d ps 1.0 lc rgb '#555555' title ", peer_points[p]);
            gnuplot_string(f, key);
        }
}

static void write_plot(FILE *f, const struct chart_data *c, const char *dat)
{
    if (c->empty[0]) {
        fputs("set label 1 ", f);
        gnuplot_string(f, c->empty);
        fputs(" at graph 0.5, graph 0.5 center\nset xrange [0:1]\nset yrange [0:1]\nunset key\n"
              "plot NaN notitle\n",
              f);
        return;
    }
    int items = 0, idx = c->ns;
    for (int i = 0; i < c->ns; i++) {
        if (c->s[i].peer)
            continue; /* drawn over ours, below */
        next_item(f, &items);
        gnuplot_string(f, dat);
        fprintf(f, c->bars ? " index %d using 1:2:3:4 with yerrorlines lw 2 pt %d ps 1.1 lc rgb '%s' title "
                           : " index %d using 1:2 with linespoints lw 2 pt %d ps 1.1 lc rgb '%s' title ",
                i, point_types[i / N_COLOURS % N_POINTS], palette[i % N_COLOURS]);
        gnuplot_string(f, c->s[i].label);
    }
    write_peers(f, c, dat, &items);
    for (int b = 0; b < CHART_BASELINES; b++) /* same order as write_dat's blocks */
        write_baselines(f, c, dat, b, &items, &idx);
    if (c->unit_line[0]) {
        next_item(f, &items);
        fputs("1 with lines dt 3 lw 1.5 lc rgb '#888888' title ", f);
        gnuplot_string(f, c->unit_line);
    }
    fputs("\n", f);
}

static int write_gp(const char *path, const struct chart_data *c, const char *dat, const char *png,
                    const char *svg)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    write_setup(f, c, png);
    write_plot(f, c, dat);
    fputs("set terminal svg size 900,560 dynamic noenhanced font " FONT " background rgb 'white'\n"
          "set output ",
          f);
    gnuplot_string(f, svg);
    fputs("\nreplot\nunset output\n", f);
    int bad = ferror(f); /* sticky: catches any failed write above */
    return fclose(f) != 0 || bad ? -1 : 0;
}

static int non_empty(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

int chart_plot(const char *dir, const struct chart_data *c, char *err, size_t errlen)
{
    char dat[4200], gp[4200], png[4200], svg[4200];
    const char *name = c->spec->name;
    snprintf(dat, sizeof dat, "%s/%s.dat", dir, name);
    snprintf(gp, sizeof gp, "%s/%s.gp", dir, name);
    snprintf(png, sizeof png, "%s/%s.png", dir, name);
    snprintf(svg, sizeof svg, "%s/%s.svg", dir, name);
    const char *failed = write_dat(dat, c) != 0 ? dat : write_gp(gp, c, dat, png, svg) != 0 ? gp : NULL;
    if (failed) {
        snprintf(err, errlen, "cannot write %s (%s)", failed, strerror(errno));
        return -1;
    }
    return charts_run_script(gp, png, svg, err, errlen);
}

int charts_run_script(const char *gp, const char *png, const char *svg, char *err, size_t errlen)
{
    if (gnuplot_run(gp, err, errlen) != 0)
        return -1;
    if (!non_empty(png) || !non_empty(svg)) {
        snprintf(err, errlen, "gnuplot %s made no %s", gp, non_empty(png) ? svg : png);
        return -1;
    }
    return 0;
}

void charts_machine(const char *dir, char *buf, size_t len)
{
    struct run_meta m;
    char err[256];
    if (run_meta_read(dir, &m, err, sizeof err) != 0 || !m.cpu_model[0])
        snprintf(buf, len, "CPU: unknown (no meta.json in %s)", dir);
    else
        snprintf(buf, len, "CPU: %s (%d logical CPUs, OpenBLAS %s)", m.cpu_model, m.cores,
                 m.blas_core[0] ? m.blas_core : "?");
}
