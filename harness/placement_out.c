/* harness/placement_out.c — see placement_out.h.  Everything is read back
 * from results.csv, so a resumed run summarises all its rows. */
#include "placement_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"

int placement_flops_down_latency_up(double flops, double ms, double base_flops, double base_ms)
{
    return flops < base_flops && ms > base_ms;
}

static void print_row(FILE *f, const struct result_row *r, const struct result_row *b, int number, int md)
{
    char num[16];
    snprintf(num, sizeof num, number ? "%d" : "base", number);
    if (r->params == 0) { /* not even counted: say why instead of numbers */
        fprintf(f, md ? "| %s | %s | | | | | | | | %s | %s |\n" : "%4s %-47s %s: %s\n", num, r->module,
                r->status, r->message);
        return;
    }
    double ratio = placement_latency_ratio(r, b), lo, hi; /* beside the base in one process */
    double dparams = b && b->params ? 100.0 * (double)(r->params - b->params) / (double)b->params : NAN;
    placement_latency_interval(r, b, &lo, &hi);
    int flag = b && r != b && !isnan(r->median_ms) &&
               placement_flops_down_latency_up((double)r->flops_thop, r->median_ms,
                                               (double)b->flops_thop, b->median_ms);
    const char *fmt = md ? "| %s | %s | %lld | %+.1f%% | %.2f | %.3f | %.3f | %.2f | %.2f-%.2f | %s | %s |\n"
                         : "%4s %-47s %10lld %+7.1f%% %7.2f %9.3f %11.3f %6.2f %5.2f-%-5.2f %-11s %s\n";
    fprintf(f, fmt, num, r->module, (long long)r->params, dparams, (double)r->flops_thop / 1e9,
            (double)r->flops_full / 1e9, r->median_ms, ratio, lo, hi, r->status,
            flag ? "FLOPs down, latency up" : "");
}

/* Numbered as the charts number their points (placement_points). */
static int print_table(FILE *f, const struct result_row *rows, int n, const char *scale, int threads,
                       int imgsz, int md)
{
    const struct result_row **pts;
    int np = placement_points(rows, n, scale, threads, &pts);
    if (np < 0)
        return -1;
    fprintf(f, md ? "\n### scale %s, %d thread%s, %dx%d\n\n" : "\nscale %s, %d thread%s, %dx%d\n",
            scale, threads, threads > 1 ? "s" : "", imgsz, imgsz);
    if (md) /* the charts first, the table of their numbered points under them */
        fprintf(f, "![params vs latency](params_vs_latency_%s_t%d.png)\n\n"
                   "![GFLOPs vs latency](flops_vs_latency_%s_t%d.png)\n\n"
                   "The # column is the number on the charts' points; p10-p90 = %s.\n\n",
                scale, threads, scale, threads, placement_interval_text + strlen("bars: "));
    fputs(md ? "| # | placement | params | vs base | GFLOPs | full GFLOPs | median ms | vs base | p10-p90 vs base "
               "| status | flag |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n"
             : "   # placement                                           params  vs base  GFLOPs  full GFL   "
               "median_ms  vs base  p10-p90     status\n",
          f);
    for (int i = 0; i < np; i++)
        if (pts[i])
            print_row(f, pts[i], pts[0], i, md);
    free(pts);
    return 0;
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
    int bad = !md;
    for (int s = 0; s < p->nscales; s++)
        for (int t = 0; t < p->nthreads; t++) {
            bad |= print_table(stdout, rows, n, p->scales[s], p->threads[t], p->imgsz, 0) != 0;
            if (md)
                bad |= print_table(md, rows, n, p->scales[s], p->threads[t], p->imgsz, 1) != 0;
        }
    if ((md && fclose(md) != 0) || bad) {
        snprintf(err, errlen, "cannot write %s", md_path);
        free(rows);
        return -1;
    }
    char cerr[600] = "";
    int charted = placement_charts(p, dir, rows, n, cerr, sizeof cerr) == 0;
    free(rows);
    printf("\n%s/results.csv\n%s/summary.md\n", dir, dir);
    if (charted)
        printf("%s/params_vs_latency_*.png, flops_vs_latency_*.png (.svg)\n", dir);
    else
        fprintf(stderr, "ablate: charts not drawn: %s\n", cerr);
    return 0;
}
