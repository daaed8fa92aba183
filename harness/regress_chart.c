/* harness/regress_chart.c — latency over commits, one line per generated
 * implementation's configuration, relative to its first recorded run so
 * that every line starts at 1 and a step up reads as a slowdown. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnuplot_run.h"
#include "regress.h"

/* Index of run among the distinct runs of fp, in history order (runs are appended whole). */
static int run_index(const struct hist_row *h, int upto, const char *fp)
{
    int k = -1;
    for (int i = 0; i <= upto; i++)
        if (!strcmp(h[i].fp, fp) && (k < 0 || strcmp(h[i].run, h[i - 1].run)))
            k++;
    return k;
}

static int first_of_desc(const struct hist_row *h, int i, const char *fp)
{
    for (int j = 0; j < i; j++)
        if (!strcmp(h[j].fp, fp) && !strcmp(h[j].desc, h[i].desc))
            return 0;
    return 1;
}

/* One block per desc: "run_index ratio" lines; xtics name the commits. */
static int write_dat(FILE *f, const struct hist_row *h, int n, const char *fp, int *nseries)
{
    *nseries = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(h[i].fp, fp) || !strstr(h[i].desc, ":impl=gen:") || !first_of_desc(h, i, fp))
            continue;
        fprintf(f, "# %s\n", h[i].desc);
        for (int j = i; j < n; j++)
            if (!strcmp(h[j].fp, fp) && !strcmp(h[j].desc, h[i].desc))
                fprintf(f, "%d %.6g %.6g %.6g\n", run_index(h, j, fp), h[j].median / h[i].median,
                        (isnan(h[j].p10) ? h[j].median : h[j].p10) / h[i].median,
                        (isnan(h[j].p90) ? h[j].median : h[j].p90) / h[i].median);
        fputs("\n\n", f);
        (*nseries)++;
    }
    return ferror(f) ? -1 : 0;
}

static void write_xtics(FILE *f, const struct hist_row *h, int n, const char *fp)
{
    int k = -1;
    fputs("set xtics rotate by -30 (", f);
    for (int i = 0; i < n; i++)
        if (!strcmp(h[i].fp, fp) && (k < 0 || strcmp(h[i].run, h[i - 1].run))) {
            char label[96];
            snprintf(label, sizeof label, "%s %.10s", h[i].commit, h[i].date);
            fputs(++k ? ", " : "", f);
            gnuplot_string(f, label);
            fprintf(f, " %d", k);
        }
    fprintf(f, ")\nset xrange [-0.3:%g]\n", k + 0.3);
}

static int write_gp(FILE *f, const char *dat, const char *svg, const char *png, const struct hist_row *h, int n,
                    const char *fp, int nseries)
{
    fprintf(f, "set title 'latency over commits on machine %s: %d configurations (generated impls), "
               "median relative to its first run' noenhanced\n", fp, nseries);
    fputs("set ylabel 'median / first run median (ratio)'\nset xlabel 'run (commit, date)'\nset grid\n"
          "unset key\nset bmargin 9\nset rmargin 8\nset errorbars small\n",
          f);
    char caption[256];
    snprintf(caption, sizeof caption, "machine fingerprint %s (its CPU: each run's meta.json); threads: as each "
             "descriptor says (:t1, :t2); bars: p10-p90 / first median", fp);
    fputs("set label 9001 ", f);
    gnuplot_string(f, caption);
    fputs(" at screen 0.01, screen 0.025 left font ',9' textcolor rgb '#333333'\n", f);
    write_xtics(f, h, n, fp);
    fputs("set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb '#777777'\n", f);
    fputs("set terminal svg size 900,500 noenhanced font 'DejaVu Sans,10' background rgb 'white'\nset output ", f);
    gnuplot_string(f, svg);
    fprintf(f, "\nplot for [i=0:%d] ", nseries - 1);
    gnuplot_string(f, dat);
    /* a colour per configuration: a step in one line must stand out from the rest */
    fprintf(f, " index i using 1:2:3:4 with yerrorlines lw 1.5 pt 7 ps 0.6 lc i + 1\n");
    fputs("set terminal pngcairo size 900,500 noenhanced font 'DejaVu Sans,10'\nset output ", f);
    gnuplot_string(f, png);
    fputs("\nreplot\nunset output\n", f);
    return ferror(f) ? -1 : 0;
}

int regress_chart(const char *dir, const struct hist_row *h, int n, const char *fp, char *err, size_t errlen)
{
    char dat[4200], gp[4200], svg[4200], png[4200];
    int ns = 0;
    snprintf(dat, sizeof dat, "%s/history.dat", dir);
    snprintf(gp, sizeof gp, "%s/history.gp", dir);
    snprintf(svg, sizeof svg, "%s/history.svg", dir);
    snprintf(png, sizeof png, "%s/history.png", dir);
    FILE *f = fopen(dat, "w");
    int bad = !f || write_dat(f, h, n, fp, &ns) != 0;
    if (f && fclose(f) != 0)
        bad = 1;
    FILE *g = bad || ns == 0 ? NULL : fopen(gp, "w");
    int gbad = !g || write_gp(g, dat, svg, png, h, n, fp, ns) != 0;
    if (g && fclose(g) != 0)
        gbad = 1;
    if (ns == 0 && !bad) {
        snprintf(err, errlen, "no generated-impl rows for fingerprint %s", fp);
        return -1;
    }
    if (bad || gbad) {
        snprintf(err, errlen, "cannot write %s (%s)", bad ? dat : gp, strerror(errno ? errno : EIO));
        return -1;
    }
    return gnuplot_run(gp, err, errlen);
}
