/* harness/cli_regress.c — `ablate regress [--history runs/history.csv]
 * [--run RUNDIR] [--threshold T] [--alpha A] [--chart DIR]`; the judgement
 * itself is regress.c.
 *
 * Exit: 1 when some desc is significantly slower beyond the threshold
 * (they are named), 0 otherwise (also when there is no earlier run),
 * 2 on bad input. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "regress.h"

static int regress(const char *hist_path, const char *run_dir, const char *chart_dir, const struct compare_opts *o)
{
    struct regress_input in;
    char err[1200];
    if (regress_load(hist_path, run_dir, &in, err, sizeof err) != 0)
        return cli_bad_input(err);
    struct regress_counts j;
    int slower = regress_table(stdout, &in, o, &j);
    printf("\n%d of %d timed rows have earlier runs on fingerprint %s in %s (a verdict needs %d earlier "
           "runs and 3 samples; fewer: n<3)\n",
           j.compared, in.n_cur, in.n_cur ? in.cur[0].fp : "-", hist_path, REGRESS_MIN_RUNS);
    printf("judged on the ratio to the baseline timed in the same process: %d; between-run spread learned "
           "from unchanged runs (same commit and fingerprint): %d; judged on a median timed while co-tenants "
           "used more than %.1f cores: %d\n", j.by_ratio, j.learned, REGRESS_LOAD_MAX, j.loaded);
    if (slower) {
        fprintf(stderr, "ablate: regression: %d configuration%s slower than history by more than %.0f%% "
                        "(p < %g):\n", slower, slower > 1 ? "s" : "", 100 * o->threshold, o->alpha);
        regress_name_slower(stderr, &in, o);
    }
    if (chart_dir && in.n_cur &&
        regress_chart(chart_dir, in.hist, in.n_hist, in.cur[0].fp, err, sizeof err) != 0)
        fprintf(stderr, "ablate: history chart not drawn: %s\n", err);
    regress_free(&in);
    return slower ? EXIT_FAILED : EXIT_OK;
}

int cli_regress(int argc, char **argv)
{
    struct compare_opts o = {.threshold = 0.05, .alpha = 0.01};
    const char *hist = "runs/history.csv", *run = NULL, *chart = NULL;
    char err[256];
    for (int i = 0; i < argc; i++) {
        int r = compare_parse_opt(argc, argv, &i, &o, err, sizeof err);
        if (r < 0)
            return cli_bad_input(err);
        if (r == 1)
            continue;
        if (i + 1 >= argc)
            return cli_bad_usage("regress");
        if (!strcmp(argv[i], "--history"))
            hist = argv[++i];
        else if (!strcmp(argv[i], "--run"))
            run = argv[++i];
        else if (!strcmp(argv[i], "--chart"))
            chart = argv[++i];
        else
            return cli_bad_usage("regress");
    }
    return regress(hist, run, chart, &o);
}
