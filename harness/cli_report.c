/* harness/cli_report.c — `ablate report [--out DIR] [--mix-machines] RUNDIR...`
 * (several RUNDIRs with --out: merged into DIR/results.csv, see
 * report_write_merged) and `ablate report --index FILE.html RUNDIR...` (one
 * report per run folder, and an index page linking them).  Exit 0, or 2
 * with one line on bad input (missing run folder, wrong CSV header, a row
 * in two folders, mixed machines).  --force is the older name of
 * --mix-machines and still accepted. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"

static int write_outputs(const char *out, const struct report_in *in, int merged, char *err, size_t errlen)
{
    struct report_line *lines;
    char svgs[24][1200], md[1200], html[1200];
    int nl = report_lines(in, &lines);
    if (nl < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (report_roofline(out, in, err, errlen) != 0)
        fprintf(stderr, "ablate: roofline not drawn: %s\n", err);
    if (merged && report_merged_charts(out, in, err, errlen) != 0)
        fprintf(stderr, "ablate: charts not drawn from the merged rows: %s\n", err);
    int nsvg = report_svgs(out, in, merged, svgs, 24);
    snprintf(md, sizeof md, "%s/report.md", out);
    snprintf(html, sizeof html, "%s/report.html", out);
    const char *failed = report_write_md(md, in, lines, nl, svgs, nsvg, out) != 0         ? md
                         : report_write_html(html, in, lines, nl, svgs, nsvg) != 0 ? html
                                                                                   : NULL;
    free(lines);
    if (failed) {
        snprintf(err, errlen, "%s: cannot write (%s)", failed, strerror(errno ? errno : EIO));
        return -1;
    }
    printf("wrote %s and %s (%d configurations, %d charts)\n", md, html, nl, nsvg);
    return 0;
}

static int report_runs(char **dirs, int n, const char *out, int mix_machines, char *err, size_t errlen)
{
    struct report_in *in = malloc(sizeof *in); /* large: keep it off the stack */
    if (!in) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = report_load(in, dirs, n, mix_machines, err, errlen);
    if (rc == 0 && out && mkdir(out, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create (%s)", out, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && out && n > 1)
        rc = report_write_merged(out, in, err, errlen);
    if (rc == 0)
        rc = write_outputs(out ? out : dirs[0], in, out && n > 1, err, errlen);
    report_free(in);
    free(in);
    return rc;
}

/* An absolute path without resolving links: runs/x/latest must stay
 * "latest" in the index, or the index would go stale with the next run. */
static void absolute(const char *p, char *buf, size_t len)
{
    char cwd[PATH_MAX];
    if (p[0] == '/' || !getcwd(cwd, sizeof cwd))
        snprintf(buf, len, "%s", p);
    else
        snprintf(buf, len, "%s/%s", cwd, p[0] == '.' && p[1] == '/' ? p + 2 : p);
}

/* path relative to the folder `from`, for index links. */
static void relative(const char *from, const char *path, char *buf, size_t len)
{
    char a[PATH_MAX], b[PATH_MAX];
    absolute(from, a, sizeof a);
    absolute(path, b, sizeof b);
    size_t n = strlen(a);
    while (n > 1 && a[n - 1] == '/')
        a[--n] = 0;
    size_t i = 0, common = 0;
    while (a[i] && a[i] == b[i])
        if (a[i++] == '/')
            common = i;
    const char *up = a + common, *down = b + common;
    if (!a[i] && b[i] == '/') /* from is a parent of path */
        up = a + i, down = b + i + 1;
    buf[0] = 0;
    for (const char *p = up; *up && p && (strncat(buf, "../", len - strlen(buf) - 1), 1); p = strchr(p + 1, '/'))
        ;
    strncat(buf, down, len - strlen(buf) - 1);
}

static int write_index(const char *index, char **dirs, int n, char *err, size_t errlen)
{
    char folder[PATH_MAX], link[PATH_MAX], report[1200];
    snprintf(folder, sizeof folder, "%s", index);
    char *slash = strrchr(folder, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(folder, sizeof folder, ".");
    FILE *f = fopen(index, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write (%s)", index, strerror(errno));
        return -1;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ablate reports</title>"
          "</head><body style=\"font-family:sans-serif\">\n<h1>ablate reports: each experiment's latest run</h1><ul>\n",
          f);
    for (int i = 0; i < n; i++) {
        snprintf(report, sizeof report, "%s/report.html", dirs[i]);
        relative(folder, report, link, sizeof link);
        fprintf(f, "<li><a href=\"%s\">%s</a></li>\n", link, dirs[i]);
    }
    fputs("</ul></body></html>\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        snprintf(err, errlen, "%s: cannot write (%s)", index, strerror(errno ? errno : EIO));
        return -1;
    }
    printf("wrote %s (%d reports)\n", index, n);
    return 0;
}

int cli_report(int argc, char **argv)
{
    const char *out = NULL, *index = NULL;
    char *dirs[REPORT_RUNS_MAX], err[2048];
    int n = 0, mix_machines = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--mix-machines") || !strcmp(argv[i], "--force"))
            mix_machines = 1;
        else if ((!strcmp(argv[i], "--out") || !strcmp(argv[i], "--index")) && i + 1 < argc)
            *(argv[i][2] == 'o' ? &out : &index) = argv[i + 1], i++;
        else if (argv[i][0] == '-' || n == REPORT_RUNS_MAX)
            return cli_bad_usage("report");
        else
            dirs[n++] = argv[i];
    }
    if (n == 0)
        return cli_bad_usage("report");
    for (int i = 0; index && i < n; i++)
        if (report_runs(&dirs[i], 1, NULL, mix_machines, err, sizeof err) != 0)
            return cli_bad_input(err);
    if (index)
        return write_index(index, dirs, n, err, sizeof err) != 0 ? cli_bad_input(err) : EXIT_OK;
    return report_runs(dirs, n, out, mix_machines, err, sizeof err) != 0 ? cli_bad_input(err) : EXIT_OK;
}
