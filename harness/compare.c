/* harness/compare.c — the comparison behind `ablate compare` (its command
 * line, messages and exit status: cli_compare.c).  Errors go back to the
 * caller as -1 with a message in err; nothing here chooses an exit status. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"

int results_read_required(const char *path, struct result_row **rows, char *err, size_t errlen)
{
    *rows = NULL;
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
        return -1;
    }
    int n = results_read(path, rows, err, errlen);
    if (n == 0) {
        snprintf(err, errlen, "%s: no results rows", path);
        return -1;
    }
    return n;
}

void row_summary(const struct result_row *r, struct lat_summary *s)
{
    s->median = r->median_ms, s->p10 = r->p10_ms, s->p90 = r->p90_ms, s->n = r->samples;
}

static int parse_fraction(const char *name, const char *text, double *v, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    *v = strtod(text, &end);
    if (errno || end == text || *end || !(*v > 0 && *v < 1)) {
        snprintf(err, errlen, "%s '%s': expected a number between 0 and 1", name, text);
        return -1;
    }
    return 0;
}

int compare_parse_opt(int argc, char **argv, int *i, struct compare_opts *o, char *err, size_t errlen)
{
    const char *a = argv[*i];
    double *dst = !strcmp(a, "--threshold") ? &o->threshold : !strcmp(a, "--alpha") ? &o->alpha : NULL;
    if (!dst)
        return 0;
    if (*i + 1 >= argc) {
        snprintf(err, errlen, "%s needs a value", a);
        return -1;
    }
    *i += 1;
    return parse_fraction(a, argv[*i], dst, err, errlen) != 0 ? -1 : 1;
}

void compare_print_header(FILE *f)
{
    fprintf(f, "%-9s %10s %10s %7s %17s %9s  %s\n", "verdict", "old ms", "new ms", "ratio", "CI", "p", "desc");
}

void compare_print_line(FILE *f, const char *desc, double old_ms, double new_ms, const struct lat_change *c)
{
    char ci[40] = "-";
    if (!isnan(c->lo))
        snprintf(ci, sizeof ci, "[%.3f, %.3f]", c->lo, c->hi);
    fprintf(f, "%-9s %10.4g %10.4g %7.3f %17s %9.2g  %s\n", stats_verdict_name(c->verdict), old_ms, new_ms,
            c->ratio, ci, c->p, desc);
}

/* desc is unique per row (results.h), so a linear search is the whole join. */
static const struct result_row *find_desc(const struct result_row *rows, int n, const char *desc)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].desc, desc))
            return &rows[i];
    return NULL;
}

static void csv_field(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fputs(*s == '"' ? "\"\"" : (char[]){*s, 0}, f);
    fputc('"', f);
}

/* A number, or nothing for NaN (an empty CSV field reads as missing). */
static void csv_num(FILE *f, double v)
{
    if (isnan(v))
        fputc(',', f);
    else
        fprintf(f, ",%.6g", v);
}

static void csv_line(FILE *f, const char *desc, double old_ms, double new_ms, const struct lat_change *c)
{
    csv_field(f, desc);
    csv_num(f, old_ms), csv_num(f, new_ms), csv_num(f, c->ratio);
    csv_num(f, c->lo), csv_num(f, c->hi), csv_num(f, c->p);
    fprintf(f, ",%s\n", stats_verdict_name(c->verdict));
}

static int run_compare(const struct result_row *old, int n_old, const struct result_row *new, int n_new,
                       const struct compare_opts *o, FILE *csv)
{
    int counts[4] = {0}, matched = 0;
    compare_print_header(stdout);
    if (csv)
        fputs("desc,old_median_ms,new_median_ms,ratio,ci_lo,ci_hi,p,verdict\n", csv);
    for (int i = 0; i < n_new; i++) {
        const struct result_row *a = find_desc(old, n_old, new[i].desc);
        if (!a || isnan(a->median_ms) || isnan(new[i].median_ms))
            continue;
        struct lat_summary so, sn;
        struct lat_change c;
        row_summary(a, &so), row_summary(&new[i], &sn);
        stats_compare(&so, &sn, o->threshold, o->alpha, &c);
        compare_print_line(stdout, new[i].desc, a->median_ms, new[i].median_ms, &c);
        counts[c.verdict]++, matched++;
        if (csv)
            csv_line(csv, new[i].desc, a->median_ms, new[i].median_ms, &c);
    }
    printf("\n%d timed rows in both: %d slower, %d faster, %d unchanged (~), %d with too few samples "
           "(threshold %.0f%%, alpha %g)\n",
           matched, counts[CHANGE_SLOWER], counts[CHANGE_FASTER], counts[CHANGE_NONE], counts[CHANGE_UNKNOWN],
           100 * o->threshold, o->alpha);
    return matched;
}

int compare_files(const char *a, const char *b, const char *out, const struct compare_opts *o, char *err,
                  size_t errlen)
{
    struct result_row *old = NULL, *new = NULL;
    int n_old = results_read_required(a, &old, err, errlen), n_new = -1, matched = -1;
    if (n_old >= 0)
        n_new = results_read_required(b, &new, err, errlen);
    FILE *csv = n_new >= 0 && out ? fopen(out, "w") : NULL;
    if (n_new >= 0 && out && !csv)
        snprintf(err, errlen, "%s: cannot write (%s)", out, strerror(errno));
    if (n_new >= 0 && (!out || csv))
        matched = run_compare(old, n_old, new, n_new, o, csv);
    if (csv && fclose(csv) != 0 && matched >= 0) {
        snprintf(err, errlen, "%s: cannot write (%s)", out, strerror(errno));
        matched = -1;
    }
    free(old), free(new);
    return matched;
}
