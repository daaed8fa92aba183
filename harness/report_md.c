/* harness/report_md.c — report.md: machine, command, comparison table,
 * charts (linked SVGs beside it), method. */
#include <errno.h>
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
    char note[256];
    report_load_note(in, note, sizeof note);
    if (note[0])
        fprintf(f, "\n**Warning:** %s\n", note);
    if (in->mixed)
        fputs("\n**Warning:** these runs come from different machine fingerprints (merged with --mix-machines); "
              "latency ratios across them are not comparable.\n",
              f);
}

static void md_table(FILE *f, const struct report_line *l, int nl)
{
    fputs("\n## Each configuration against its baseline\n\n", f);
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
    md_machines(f, in);
    md_table(f, l, nl);
    report_md_peers(f, in);
    fputs("\n## Charts\n\n", f);
    for (int i = 0; i < nsvg; i++)
        fprintf(f, "![%s](%s)\n\n", rel_to(svgs[i], out), rel_to(svgs[i], out));
    fprintf(f, "## Method\n\n%s\n", report_method);
    int bad = ferror(f); /* sticky: any failed write above */
    return fclose(f) != 0 || bad ? -1 : 0;
}
