/* harness/report_charts.c — the charts of a merged report.  Each shard of
 * a sweep drew the experiment's charts from its own slice of the rows; a
 * merge (`ablate report --out DIR RUNDIR...`) draws them again from
 * DIR/results.csv, so every line has all its points. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "charts.h"
#include "gen.h"
#include "plan.h"
#include "report.h"

/* The experiment file named in a sweep's command line ("... sweep
 * experiments/x.lua --shard 0/16 ..."): the first word ending in ".lua"
 * after the word "sweep", readable as given or under the source tree;
 * else ROOT/experiments/<experiment>.lua.  0, or -1 when none is found. */
static int experiment_file(const struct run_meta *m, const char *root, char *file, size_t len)
{
    const char *p = strstr(m->command, " sweep ");
    while (p && *p) {
        p += strspn(p, " ");
        size_t w = strcspn(p, " ");
        if (w > 4 && !strncmp(p + w - 4, ".lua", 4)) {
            snprintf(file, len, "%.*s", (int)w, p);
            if (access(file, R_OK) == 0)
                return 0;
            snprintf(file, len, "%s/%.*s", root, (int)w, p);
            if (access(file, R_OK) == 0)
                return 0;
        }
        p += w;
    }
    snprintf(file, len, "%s/experiments/%s.lua", root, m->experiment);
    return m->experiment[0] && access(file, R_OK) == 0 ? 0 : -1;
}

int report_merged_charts(const char *out, const struct report_in *in, char *err, size_t errlen)
{
    for (int k = 1; k < in->nruns; k++)
        if (strcmp(in->meta[k].experiment, in->meta[0].experiment)) {
            snprintf(err, errlen, "the run folders hold different experiments ('%s' and '%s')",
                     in->meta[0].experiment, in->meta[k].experiment);
            return -1;
        }
    struct gen_env env;
    char file[1200], csv[1200];
    if (gen_env_init(&env, err, errlen) != 0)
        return -1;
    if (experiment_file(&in->meta[0], env.root, file, sizeof file) != 0) {
        snprintf(err, errlen, "the experiment file of '%s' is not found (command: %s)", in->meta[0].experiment,
                 in->meta[0].command);
        return -1;
    }
    struct plan p;
    int quick = strstr(in->meta[0].command, " --quick") != NULL;
    if (experiment_load(file, env.root, quick, &p, err, errlen) != 0)
        return -1;
    snprintf(csv, sizeof csv, "%s/results.csv", out);
    int rc = p.n_charts ? charts_render(out, csv, p.charts, p.n_charts, err, errlen) : 0;
    plan_free(&p);
    return rc;
}
