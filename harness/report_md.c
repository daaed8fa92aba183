/* harness/report_md.c — report.md: machine, command, comparison table,
 * charts (linked SVGs beside it), method. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* A table cell: '|' would end it early. */
static void md_cell(FILE *f, const char *s)
{
    fputs("| ", f);
    for (; *s; s++)
        fputs(*s == '|' ? "\\|" : (char[]){*s, 0}, f);
    fputc(' ', f);
}

static void md_machines(FILE *f, const struct report_in *in)
{
    fputs("## Machine and command\n\n", f);
    for (int k = 0; k < in->nruns; k++) {
        const struct run_meta *m = &in->meta[k];
        fprintf(f, "- run `%s`: %s, commit `%s`, %s\n", in->dirs[k], m->date, m->commit, m->experiment);
        fprintf(f, "  - fingerprint `%s`: %s, %d cores, flags `%s`, OpenBLAS %s (%s), %s, CUDA: %s\n",
                m->fp_id, m->cpu_model, m->cores, m->cpu_flags, m->blas_core, m->blas_config, m->compiler,
                m->cuda_device);
        fprintf(f, "  - command: `%s`\n", m->command);
    }
    for (int k = 0; k < in->npeaks; k++)
        fprintf(f, "- roof at %d thread%s: sgemm %.1f GFLOP/s (n=%d, OpenBLAS %s), triad %.1f GB/s\n",
                in->peaks[k].threads, in->peaks[k].threads > 1 ? "s" : "", in->peaks[k].sgemm_gflops,
                in->peaks[k].sgemm_n, in->peaks[k].blas_core, in->peaks[k].triad_gbs);
    if (in->mixed)
        fputs("\n**Warning:** these runs come from different machine fingerprints (merged with --mix-machines); "
              "latency ratios across them are not comparable.\n",
              f);
}

static int md_headline(FILE *f, const struct report_in *in)
{
    struct report_head *h;
    int n = report_headline(in, &h);
    if (n < 0)
        return -1;
    fputs("\n## Headline: best and worst configuration per layer\n\n", f);
    if (n == 0)
        fputs("No configuration has both its own and its baseline's timing: nothing to compare.\n", f);
    else
        fputs("| layer | threads | configs | best | latency ratio [95% CI] | worst | latency ratio [95% CI] |\n"
              "|---|---:|---:|---|---:|---|---:|\n",
              f);
    for (int i = 0; i < n; i++) {
        char bw[160], br[96], ww[160], wr[96], num[32];
        report_pick_text(&h[i].best, bw, sizeof bw, br, sizeof br);
        report_pick_text(&h[i].worst, ww, sizeof ww, wr, sizeof wr);
        md_cell(f, h[i].site);
        snprintf(num, sizeof num, "%d", h[i].threads), md_cell(f, num);
        snprintf(num, sizeof num, "%d", h[i].count), md_cell(f, num);
        md_cell(f, bw), md_cell(f, br), md_cell(f, ww), md_cell(f, wr);
        fputs("|\n", f);
    }
    fprintf(f, "\n%s\n", report_headline_note);
    free(h);
    return 0;
}

/* A scatter's numbered points, as a table under it. */
static void md_points(FILE *f, const char *svg)
{
    report_cell *cells;
    char head[REPORT_POINT_COLS][96];
    int n = report_chart_points(svg, &cells, head);
    if (n <= 0)
        return;
    for (int c = 0; c < REPORT_POINT_COLS; c++)
        md_cell(f, head[c]);
    fputs("|\n|---:|---|---:|---:|---:|\n", f);
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < REPORT_POINT_COLS; c++)
            md_cell(f, cells[i * REPORT_POINT_COLS + c]);
        fputs("|\n", f);
    }
    fputs("\n", f);
    free(cells);
}

static void md_table(FILE *f, const struct report_line *l, int nl)
{
    fprintf(f, "\n<details><summary>Full table: each configuration against its baseline (%d rows)</summary>\n\n",
            nl);
    for (int c = 0; c < REPORT_COLS; c++)
        md_cell(f, report_headers[c]);
    fputs("|\n", f);
    for (int c = 0; c < REPORT_COLS; c++)
        fputs("|---", f);
    fputs("|\n", f);
    for (int i = 0; i < nl; i++) {
        for (int c = 0; c < REPORT_COLS; c++)
            md_cell(f, l[i].cell[c]);
        fputs("|\n", f);
    }
    fputs("\n</details>\n", f);
}

/* SVG paths relative to the report when they sit beside it. */
static const char *rel_to(const char *path, const char *out)
{
    size_t n = strlen(out);
    return !strncmp(path, out, n) && path[n] == '/' ? path + n + 1 : path;
}

int report_write_md(const char *path, const struct report_in *in, const struct report_line *l, int nl,
                    char (*svgs)[1200], int nsvg, const char *out)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# ablate report: %s\n\n", in->meta[0].experiment[0] ? in->meta[0].experiment : in->dirs[0]);
    char blas[160];
    run_meta_blas_text(&in->meta[0], blas, sizeof blas);
    fprintf(f, "%s, %d logical CPUs, OpenBLAS %s; %s%s\n", in->meta[0].cpu_model[0] ? in->meta[0].cpu_model : "CPU unknown",
            in->meta[0].cores, blas, in->meta[0].date,
            in->nruns > 1 ? " (first of the merged runs; details under Machine and command)" : "");
    char note[REPORT_MAX_WARNINGS][REPORT_WARNING_LEN];
    for (int i = 0, n = report_warnings(in, note); i < n; i++)
        fprintf(f, "\n**Warning:** %s\n", note[i]);
    int bad = md_headline(f, in) != 0;
    report_md_peers(f, in);
    for (int i = 0; i < nsvg; i++) {
        if (i < 2)
            fputs(i ? "## Other charts\n\n" : "\n## Main chart\n\n", f);
        fprintf(f, "![%s](%s)\n\n", rel_to(svgs[i], out), rel_to(svgs[i], out));
        md_points(f, svgs[i]);
    }
    md_table(f, l, nl);
    fputs("\n", f);
    md_machines(f, in);
    fprintf(f, "\n## Method\n\n%s\n", report_method);
    bad |= ferror(f); /* sticky: any failed write above */
    return fclose(f) != 0 || bad ? -1 : 0;
}
