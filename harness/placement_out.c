/* harness/placement_out.c — see placement_out.h.  Everything is read back
 * from results.csv, so a resumed run summarises all its rows. */
#include "placement_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnuplot_run.h"
#include "results.h"

int placement_flops_down_latency_up(double flops, double ms, double base_flops, double base_ms)
{
    return flops < base_flops && ms > base_ms;
}

static const struct result_row *find_base(const struct result_row *rows, int n, const char *scale,
                                          int threads)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].role, "baseline") && !strcmp(rows[i].layer, scale) &&
            rows[i].threads == threads)
            return &rows[i];
    return NULL;
}

static void print_row(FILE *f, const struct result_row *r, const struct result_row *b, int md)
{
    if (r->params == 0) { /* not even counted: say why instead of numbers */
        fprintf(f, md ? "| %s | | | | | | | %s | %s |\n" : "%-47s %s: %s\n", r->module, r->status,
                r->message);
        return;
    }
    /* measured beside the base in one process when the row has it */
    double ratio = !isnan(r->ratio_vs_base) ? r->ratio_vs_base
                   : b && b->median_ms > 0 ? r->median_ms / b->median_ms : NAN;
    double dparams = b && b->params ? 100.0 * (double)(r->params - b->params) / (double)b->params : NAN;
    int flag = b && r != b && !isnan(r->median_ms) &&
               placement_flops_down_latency_up((double)r->flops_thop, r->median_ms,
                                               (double)b->flops_thop, b->median_ms);
    const char *fmt = md ? "| %s | %lld | %+.1f%% | %.2f | %.3f | %.3f | %.2f | %s | %s |\n"
                         : "%-47s %10lld %+7.1f%% %7.2f %9.3f %11.3f %6.2f  %-11s %s\n";
    fprintf(f, fmt, r->module, (long long)r->params, dparams, (double)r->flops_thop / 1e9,
            (double)r->flops_full / 1e9, r->median_ms, ratio, r->status,
            flag ? "FLOPs down, latency up" : "");
}

static void print_table(FILE *f, const struct result_row *rows, int n, const char *scale, int threads,
                        int imgsz, int md)
{
    const struct result_row *b = find_base(rows, n, scale, threads);
    fprintf(f, md ? "\n### scale %s, %d thread%s, %dx%d\n\n" : "\nscale %s, %d thread%s, %dx%d\n",
            scale, threads, threads > 1 ? "s" : "", imgsz, imgsz);
    fputs(md ? "| placement | params | vs base | GFLOPs | full GFLOPs | median ms | vs base | status | flag |\n"
               "|---|---:|---:|---:|---:|---:|---:|---|---|\n"
             : "placement                                           params  vs base  GFLOPs  full GFL   median_ms  vs base  status\n",
          f);
    if (b)
        print_row(f, b, b, md);
    for (int i = 0; i < n; i++)
        if (&rows[i] != b && !strcmp(rows[i].layer, scale) && rows[i].threads == threads)
            print_row(f, &rows[i], b, md);
}

/* One .dat block per scale and thread count (params in millions, ms),
 * the base rows in the last block. */
static int write_chart(const struct placement_plan *p, const char *dir, const struct result_row *rows,
                       int n, char *err, size_t errlen)
{
    char dat[1200], gp[1200];
    snprintf(dat, sizeof dat, "%s/params_vs_latency.dat", dir);
    snprintf(gp, sizeof gp, "%s/params_vs_latency.gp", dir);
    FILE *d = fopen(dat, "w"), *g = fopen(gp, "w");
    int blocks = 0;
    for (int s = 0; d && s < p->nscales; s++)
        for (int t = 0; t < p->nthreads; t++, blocks++) {
            fprintf(d, "# scale %s, %d threads\n", p->scales[s], p->threads[t]);
            for (int i = 0; i < n; i++)
                if (!strcmp(rows[i].layer, p->scales[s]) && rows[i].threads == p->threads[t] &&
                    !isnan(rows[i].median_ms) && strcmp(rows[i].role, "baseline"))
                    fprintf(d, "%.6f %.6f \"%s\"\n", (double)rows[i].params / 1e6, rows[i].median_ms,
                            rows[i].module);
            fputs("\n\n", d);
        }
    for (int i = 0; d && i < n; i++)
        if (!strcmp(rows[i].role, "baseline") && !isnan(rows[i].median_ms))
            fprintf(d, "%.6f %.6f \"base %s t%d\"\n", (double)rows[i].params / 1e6, rows[i].median_ms,
                    rows[i].layer, rows[i].threads);
    if (!d || !g || fclose(d) != 0) {
        if (g)
            fclose(g);
        snprintf(err, errlen, "cannot write %s", d ? gp : dat);
        return -1;
    }
    fprintf(g, "set terminal pngcairo size 900,560 noenhanced font 'DejaVu Sans,10'\n"
               "set output '%s/params_vs_latency.png'\nset title '%s: params vs end-to-end latency, %dx%d'\n"
               "set xlabel 'params (millions)'\nset ylabel 'median latency (ms)'\nset key outside right\n"
               "set grid\nplot ",
            dir, p->name, p->imgsz, p->imgsz);
    int k = 0;
    for (int s = 0; s < p->nscales; s++)
        for (int t = 0; t < p->nthreads; t++, k++)
            fprintf(g, "'%s' index %d using 1:2 with points pt 7 ps 1.2 title 'scale %s, %d thread%s', "
                       "'%s' index %d using 1:2:3 with labels font ',7' offset 0,0.8 notitle, ",
                    dat, k, p->scales[s], p->threads[t], p->threads[t] > 1 ? "s" : "", dat, k);
    fprintf(g, "'%s' index %d using 1:2 with points pt 3 ps 3 lc rgb 'black' title 'base (unmodified)', "
               "'%s' index %d using 1:2:3 with labels offset 0,1.2 notitle\n"
               "set terminal svg size 900,560 dynamic noenhanced font 'DejaVu Sans,10' background rgb 'white'\n"
               "set output '%s/params_vs_latency.svg'\nreplot\nunset output\n",
            dat, blocks, dat, blocks, dir);
    if (fclose(g) != 0) {
        snprintf(err, errlen, "cannot write %s", gp);
        return -1;
    }
    return gnuplot_run(gp, err, errlen);
}

int placement_finish(const struct placement_plan *p, const char *dir, const char *csv_path,
                     char *err, size_t errlen)
{
    struct result_row *rows = NULL;
    int n = results_read(csv_path, &rows, err, errlen);
    if (n < 0)
        return -1;
    char md_path[1200];
    snprintf(md_path, sizeof md_path, "%s/summary.md", dir);
    FILE *md = fopen(md_path, "w");
    if (md)
        fprintf(md, "# %s\n\nGFLOPs: what ultralytics prints (thop); full: every op (MODULES.md 1.2). "
                    "Latency: generated kernels, the whole graph end to end.\n", p->name);
    for (int s = 0; s < p->nscales; s++)
        for (int t = 0; t < p->nthreads; t++) {
            print_table(stdout, rows, n, p->scales[s], p->threads[t], p->imgsz, 0);
            if (md)
                print_table(md, rows, n, p->scales[s], p->threads[t], p->imgsz, 1);
        }
    if (!md || fclose(md) != 0) {
        snprintf(err, errlen, "cannot write %s", md_path);
        free(rows);
        return -1;
    }
    char cerr[600] = "";
    int charted = write_chart(p, dir, rows, n, cerr, sizeof cerr) == 0;
    free(rows);
    printf("\n%s/results.csv\n%s/summary.md\n", dir, dir);
    if (charted)
        printf("%s/params_vs_latency.png (.svg)\n", dir);
    else
        fprintf(stderr, "ablate: chart not drawn: %s\n", cerr);
    return 0;
}
