/* harness/report_plot.c — the roofline chart: achieved GFLOP/s (flops_full
 * / median of the fastest passing generated impl) against arithmetic
 * intensity (flops_full / bytes), under this machine's measured roofs
 * min(sgemm peak, triad bandwidth x intensity), one roof per thread count. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gnuplot_run.h"
#include "report.h"

/* Block 0: baselines (primary and extra: "baseline", "baseline2"), block 1:
 * modules: "intensity GFLOP/s". */
static int write_points(FILE *f, const struct report_in *in, double *xlo, double *xhi)
{
    *xlo = INFINITY, *xhi = -INFINITY;
    for (int pass = 0; pass < 2; pass++) {
        fprintf(f, "# %s\n", pass ? "modules" : "baselines");
        for (int i = 0; i < in->nv; i++) {
            const struct result_row *g = in->v[i].best_gen;
            if (!g || g->bytes <= 0 || !(g->gflops > 0) || (strncmp(g->role, "baseline", 8) == 0) == pass)
                continue;
            double ai = (double)g->flops_full / (double)g->bytes;
            *xlo = fmin(*xlo, ai), *xhi = fmax(*xhi, ai);
            fprintf(f, "%.6g %.6g\n", ai, g->gflops);
        }
        fputs(pass ? "\n" : "\n\n", f);
    }
    return ferror(f) ? -1 : 0;
}

static void write_roofs(FILE *f, const struct report_in *in)
{
    for (int k = 0; k < in->npeaks; k++) {
        const struct peak *p = &in->peaks[k];
        fprintf(f, ", (%.6g * x < %.6g ? %.6g * x : %.6g) with lines lw 2 dt %d lc rgb '#555555' title "
                   "'roof, %d thread%s: sgemm %.0f GFLOP/s, triad %.1f GB/s'",
                p->triad_gbs, p->sgemm_gflops, p->triad_gbs, p->sgemm_gflops, k + 1, p->threads, p->threads > 1 ? "s" : "", p->sgemm_gflops,
                p->triad_gbs);
    }
}

/* Under the chart: the machine and the thread counts the points mix. */
static void write_caption(FILE *f, const struct report_in *in)
{
    char text[512], threads[64] = "";
    int seen[65] = {0};
    for (int i = 0; i < in->n; i++)
        if (in->rows[i].threads > 0 && in->rows[i].threads <= 64 && !seen[in->rows[i].threads]++) {
            size_t used = strlen(threads);
            snprintf(threads + used, sizeof threads - used, "%s%d", used ? ", " : "", in->rows[i].threads);
        }
    const struct run_meta *m = &in->meta[0];
    snprintf(text, sizeof text, "CPU: %s (%d logical CPUs, OpenBLAS %s); points from every thread count: %s",
             m->cpu_model[0] ? m->cpu_model : "unknown", m->cores, m->blas_core[0] ? m->blas_core : "?", threads);
    fputs("set label 9001 ", f);
    gnuplot_string(f, text);
    fputs(" at screen 0.01, screen 0.025 left font ',9' textcolor rgb '#333333'\n", f);
}

static int write_gp(FILE *f, const char *dat, const char *svg, const char *png, const struct report_in *in,
                    double xlo, double xhi)
{
    fputs("set title 'Roofline: achieved GFLOP/s (fastest generated impl) vs arithmetic intensity'\n"
          "set xlabel 'arithmetic intensity (FLOP/byte: flops_full / bytes)'\n"
          "set ylabel 'achieved GFLOP/s (flops_full / median)'\n"
          "set logscale xy 10\nset grid\nset key bottom right\nset samples 400\nset bmargin 5\n", f);
    write_caption(f, in);
    fprintf(f, "set xrange [%.6g:%.6g]\n", xlo / 3, xhi * 3);
    fputs("set terminal svg size 900,560 noenhanced font 'DejaVu Sans,10' background rgb 'white'\nset output ", f);
    gnuplot_string(f, svg);
    fputs("\nplot ", f);
    gnuplot_string(f, dat);
    fputs(" index 0 using 1:2 with points pt 5 ps 1 lc rgb '#d62728' title 'baseline', '' index 1 using 1:2 "
          "with points pt 7 ps 0.8 lc rgb '#1f77b4' title 'modules'",
          f);
    write_roofs(f, in);
    fputs("\nset terminal pngcairo size 900,560 noenhanced font 'DejaVu Sans,10'\nset output ", f);
    gnuplot_string(f, png);
    fputs("\nreplot\nunset output\n", f);
    return ferror(f) ? -1 : 0;
}

int report_roofline(const char *out, const struct report_in *in, char *err, size_t errlen)
{
    char dat[1200], gp[1200], svg[1200], png[1200];
    double xlo, xhi;
    snprintf(dat, sizeof dat, "%s/roofline.dat", out);
    snprintf(gp, sizeof gp, "%s/roofline.gp", out);
    snprintf(svg, sizeof svg, "%s/roofline.svg", out);
    snprintf(png, sizeof png, "%s/roofline.png", out);
    FILE *f = fopen(dat, "w");
    int bad = !f || write_points(f, in, &xlo, &xhi) != 0;
    if (f && fclose(f) != 0)
        bad = 1;
    if (!bad && isinf(xlo)) {
        snprintf(err, errlen, "no timed rows with a byte count: nothing to place on the roofline");
        return -1;
    }
    FILE *g = bad ? NULL : fopen(gp, "w");
    int gbad = !g || write_gp(g, dat, svg, png, in, xlo, xhi) != 0;
    if (g && fclose(g) != 0)
        gbad = 1;
    if (bad || gbad) {
        snprintf(err, errlen, "cannot write %s (%s)", bad ? dat : gp, strerror(errno ? errno : EIO));
        return -1;
    }
    return gnuplot_run(gp, err, errlen);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* Which chart a reader wants first: the latency ratio to the baseline
 * (the experiment's question), a placement's params vs latency, a latency
 * chart, then the rest; the roofline after the sweep's own charts. */
static int chart_rank(const char *path)
{
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    static const char *const first[] = {"ratio_vs_baseline", "params_vs_latency", "median_ms", "flops_vs_latency"};
    for (int k = 0; k < 4; k++)
        if (!strncmp(name, first[k], strlen(first[k])))
            return k;
    return strcmp(name, "roofline.svg") ? 4 : 5;
}

static int cmp_chart(const void *a, const void *b)
{
    int ra = chart_rank(a), rb = chart_rank(b);
    return ra != rb ? ra - rb : strverscmp(a, b);
}

/* Every *.svg of each run folder (the sweep's charts), and ours; for a
 * merge only OUT's (drawn from all the rows, report_merged_charts). */
int report_svgs(const char *out, const struct report_in *in, int merged, char (*paths)[1200], int max)
{
    int n = 0;
    char roof[1200];
    snprintf(roof, sizeof roof, "%s/roofline.svg", out);
    if (access(roof, R_OK) == 0 && n < max)
        snprintf(paths[n++], 1200, "%s", roof);
    for (int k = 0; k < (merged ? 1 : in->nruns); k++) {
        DIR *d = opendir(merged ? out : in->dirs[k]);
        struct dirent *e;
        while (d && (e = readdir(d)) && n < max)
            if (ends_with(e->d_name, ".svg") && strcmp(e->d_name, "roofline.svg") &&
                strcmp(e->d_name, "history.svg"))
                snprintf(paths[n++], 1200, "%s/%s", merged ? out : in->dirs[k], e->d_name);
        if (d)
            (void)closedir(d); /* read-only */
    }
    qsort(paths, (size_t)n, sizeof *paths, cmp_chart); /* readdir's order is the disk's */
    return n;
}

int report_chart_points(const char *svg, report_cell **cells, char header[REPORT_POINT_COLS][96])
{
    char path[1300], line[1024];
    size_t stem = strlen(svg) - (ends_with(svg, ".svg") ? 4 : 0);
    snprintf(path, sizeof path, "%.*s.points.tsv", (int)stem, svg);
    *cells = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0; /* a chart without numbered points */
    int n = -1, cap = 0, bad = 0;
    while (!bad && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (n >= 0 && n == cap) {
            cap = cap ? 2 * cap : 64;
            report_cell *grown = realloc(*cells, (size_t)cap * REPORT_POINT_COLS * sizeof *grown);
            if (!grown) {
                bad = 1;
                break;
            }
            *cells = grown;
        }
        char *save = NULL, *field = strtok_r(line, "\t", &save);
        for (int c = 0; c < REPORT_POINT_COLS; c++, field = strtok_r(NULL, "\t", &save))
            snprintf(n < 0 ? header[c] : (*cells)[n * REPORT_POINT_COLS + c], 96, "%s", field ? field : "");
        n++;
    }
    (void)fclose(f); /* read-only */
    if (bad) {
        free(*cells);
        *cells = NULL;
        return -1;
    }
    return n < 0 ? 0 : n;
}
