/* harness/report_html.c — report.html, self-contained: styles inline and
 * every chart's SVG embedded as a data: URI, so it opens offline and
 * gnuplot's element ids (the same in every SVG) cannot collide. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

static void html_text(FILE *f, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
}

/* The numbered points of a scatter, as a table under it. */
static void html_points(FILE *f, const char *svg)
{
    report_cell *cells;
    char head[REPORT_POINT_COLS][96];
    int n = report_chart_points(svg, &cells, head);
    if (n <= 0)
        return;
    fputs("<table class=\"points\"><tr>", f);
    for (int c = 0; c < REPORT_POINT_COLS; c++)
        fputs("<th>", f), html_text(f, head[c]), fputs("</th>", f);
    fputs("</tr>\n", f);
    for (int i = 0; i < n; i++) {
        fputs("<tr>", f);
        for (int c = 0; c < REPORT_POINT_COLS; c++)
            fputs("<td>", f), html_text(f, cells[i * REPORT_POINT_COLS + c]), fputs("</td>", f);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    free(cells);
}

static int embed_svg(FILE *f, const char *path)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    FILE *in = fopen(path, "rb");
    if (!in)
        return -1;
    unsigned char b[3];
    size_t got;
    fputs("<figure><img class=\"chart\" alt=\"", f);
    html_text(f, path);
    fputs("\" src=\"data:image/svg+xml;base64,", f);
    while ((got = fread(b, 1, 3, in)) > 0) {
        unsigned v = b[0] << 16 | (got > 1 ? b[1] << 8 : 0) | (got > 2 ? b[2] : 0);
        char q[5] = {b64[v >> 18 & 63], b64[v >> 12 & 63], got > 1 ? b64[v >> 6 & 63] : '=',
                     got > 2 ? b64[v & 63] : '=', 0};
        fputs(q, f);
    }
    int bad = ferror(in);
    (void)fclose(in); /* read-only */
    fputs("\"><figcaption>", f);
    html_text(f, strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
    fputs("</figcaption></figure>\n", f);
    html_points(f, path);
    return bad ? -1 : 0;
}

static void html_machines(FILE *f, const struct report_in *in)
{
    fputs("<h2>Machine and command</h2><ul>\n", f);
    for (int k = 0; k < in->nruns; k++) {
        const struct run_meta *m = &in->meta[k];
        fputs("<li>run <code>", f), html_text(f, in->dirs[k]), fputs("</code> ", f);
        html_text(f, m->date), fputs(", commit <code>", f), html_text(f, m->commit);
        fputs("</code><br>fingerprint <code>", f), html_text(f, m->fp_id), fputs("</code>: ", f);
        html_text(f, m->cpu_model), fprintf(f, ", %d cores, ", m->cores), html_text(f, m->cpu_flags);
        fputs(", OpenBLAS ", f), html_text(f, m->blas_core), fputs(", ", f), html_text(f, m->compiler);
        fputs(", CUDA: ", f), html_text(f, m->cuda_device);
        fputs("<br>command: <code>", f), html_text(f, m->command), fputs("</code></li>\n", f);
    }
    for (int k = 0; k < in->npeaks; k++)
        fprintf(f, "<li>roof at %d thread(s): sgemm %.1f GFLOP/s, triad %.1f GB/s</li>\n", in->peaks[k].threads,
                in->peaks[k].sgemm_gflops, in->peaks[k].triad_gbs);
    fputs("</ul>\n", f);
    if (in->mixed)
        fputs("<p class=\"warn\">These runs come from different machine fingerprints (merged with --mix-machines): "
              "latency ratios across them are not comparable.</p>\n",
              f);
}

/* The opening: best and worst per layer and thread count. */
static int html_headline(FILE *f, const struct report_in *in)
{
    struct report_head *h;
    int n = report_headline(in, &h);
    if (n < 0)
        return -1;
    fputs("<section id=\"headline\"><h2>Headline: best and worst configuration per layer</h2>\n", f);
    if (n == 0)
        fputs("<p>No configuration has both its own and its baseline's timing: nothing to compare.</p>\n", f);
    else
        fputs("<table class=\"headline\"><tr><th>layer</th><th>threads</th><th>configs</th><th>best</th>"
              "<th>latency ratio [95% CI]</th><th>worst</th><th>latency ratio [95% CI]</th></tr>\n",
              f);
    for (int i = 0; i < n; i++) {
        char bw[160], br[96], ww[160], wr[96];
        report_pick_text(&h[i].best, bw, sizeof bw, br, sizeof br);
        report_pick_text(&h[i].worst, ww, sizeof ww, wr, sizeof wr);
        fputs("<tr><td>", f), html_text(f, h[i].site);
        fprintf(f, "</td><td>%d</td><td>%d</td><td>", h[i].threads, h[i].count);
        html_text(f, bw), fputs("</td><td>", f), html_text(f, br), fputs("</td><td>", f);
        html_text(f, ww), fputs("</td><td>", f), html_text(f, wr), fputs("</td></tr>\n", f);
    }
    fputs(n ? "</table>\n<p class=\"note\">" : "<p class=\"note\">", f);
    html_text(f, report_headline_note);
    fputs("</p></section>\n", f);
    free(h);
    return 0;
}

static void html_table(FILE *f, const struct report_line *l, int nl)
{
    fprintf(f, "<details id=\"full-table\"><summary>Full table: each configuration against its baseline "
               "(%d rows)</summary>\n<table><tr>",
            nl);
    for (int c = 0; c < REPORT_COLS; c++)
        fputs("<th>", f), html_text(f, report_headers[c]), fputs("</th>", f);
    fputs("</tr>\n", f);
    for (int i = 0; i < nl; i++) {
        fputs(l[i].baseline ? "<tr class=\"base\">" : "<tr>", f);
        for (int c = 0; c < REPORT_COLS; c++)
            fputs("<td>", f), html_text(f, l[i].cell[c]), fputs("</td>", f);
        fputs("</tr>\n", f);
    }
    fputs("</table></details>\n", f);
}

/* The deployment peers beside ours, as report.md has them; nothing
 * without peer rows. */
static void html_peers(FILE *f, const struct report_in *in)
{
    if (!report_has_peers(in))
        return;
    fputs("<section id=\"peers\"><h2>Deployment peers (same run)</h2>\n<table class=\"peers\"><tr>", f);
    for (int k = 0; k < REPORT_PEER_COLS; k++)
        fputs("<th>", f), html_text(f, report_peer_headers[k]), fputs("</th>", f);
    fputs("</tr>\n", f);
    for (int i = 0; i < in->nv; i++) {
        char cell[REPORT_PEER_COLS][REPORT_PEER_CELL];
        report_peer_cells(&in->v[i], cell);
        fputs("<tr>", f);
        for (int k = 0; k < REPORT_PEER_COLS; k++)
            fputs("<td>", f), html_text(f, cell[k]), fputs("</td>", f);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<p class=\"note\">", f);
    html_text(f, report_peer_note);
    fputs("</p></section>\n", f);
}

/* One line under the title: the machine at a glance (details further down). */
static void html_machine_line(FILE *f, const struct report_in *in)
{
    const struct run_meta *m = &in->meta[0];
    fputs("<p class=\"machine\">", f);
    html_text(f, m->cpu_model[0] ? m->cpu_model : "CPU unknown");
    char blas[160];
    run_meta_blas_text(m, blas, sizeof blas);
    fprintf(f, ", %d logical CPUs, OpenBLAS ", m->cores);
    html_text(f, blas), fputs("; ", f), html_text(f, m->date);
    fputs(in->nruns > 1 ? " (first of the merged runs)</p>\n" : "</p>\n", f);
    char note[REPORT_MAX_WARNINGS][REPORT_WARNING_LEN];
    for (int i = 0, n = report_warnings(in, note); i < n; i++)
        fputs("<p class=\"warn\">", f), html_text(f, note[i]), fputs("</p>\n", f);
}

int report_write_html(const char *path, const struct report_in *in, const struct report_line *l, int nl,
                      char (*svgs)[1200], int nsvg)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ablate report</title>\n"
          "<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;"
          "font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:nth-child(-n+4)"
          "{text-align:left}tr.base{background:#f3f3f3}img.chart{max-width:900px;width:100%}"
          ".warn{color:#b00}code{font-size:12px}table.headline td:nth-child(-n+4){text-align:left}"
          "table.headline td:nth-child(6){text-align:left}table.headline td:nth-child(5),"
          "table.headline td:nth-child(7){white-space:nowrap}table.headline th{text-align:left}table.points td:nth-child(2){text-align:left}"
          "table.points{margin-bottom:2em}.note,.machine{color:#444;font-size:13px;max-width:900px}"
          "details summary{font-size:1.2em;font-weight:bold;margin:1em 0;cursor:pointer}</style></head><body>\n<h1>ablate report: ",
          f);
    html_text(f, in->meta[0].experiment[0] ? in->meta[0].experiment : in->dirs[0]);
    fputs("</h1>\n", f);
    html_machine_line(f, in);
    int bad = html_headline(f, in) != 0;
    html_peers(f, in);
    for (int i = 0; i < nsvg; i++) {
        if (i < 2)
            fputs(i ? "<h2>Other charts</h2>\n" : "<h2>Main chart</h2>\n", f);
        bad |= embed_svg(f, svgs[i]) != 0;
    }
    html_table(f, l, nl);
    html_machines(f, in);
    fputs("<h2>Method</h2><p>", f);
    html_text(f, report_method);
    /* lets a headless browser test tell charts that decoded from broken ones */
    fputs("</p>\n<script>window.addEventListener('load',function(){var n=0;"
          "document.querySelectorAll('img.chart').forEach(function(i){if(i.naturalWidth>0)n++;});"
          "document.body.setAttribute('data-charts-rendered',String(n));});</script>\n</body></html>\n",
          f);
    bad |= ferror(f); /* sticky: any failed write above */
    return fclose(f) != 0 || bad ? -1 : 0;
}
