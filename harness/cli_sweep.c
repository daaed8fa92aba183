/* harness/cli_sweep.c — `ablate sweep FILE.lua [--out DIR] [--quick] [--resume] [--shard I/N]
 * [--backends LIST]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plan.h"
#include "plan_backends.h"
#include "shard.h"
#include "sweep.h"

static int parse_shard(const char *s, struct sweep_opts *o)
{
    char *end;
    long i = strtol(s, &end, 10);
    if (end == s || *end != '/')
        return -1;
    const char *n_text = end + 1;
    long n = strtol(n_text, &end, 10);
    if (end == n_text || *end || n < 1 || n > SHARD_MAX || i < 0 || i >= n)
        return -1;
    o->shard_i = (int)i;
    o->shard_n = (int)n;
    o->sharded = 1;
    return 0;
}

static int parse_flags(int argc, char **argv, const char **file, const char **backends,
                       struct sweep_opts *o, char *err, size_t errlen)
{
    *file = NULL;
    *backends = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            o->quick = 1;
        else if (!strcmp(argv[i], "--resume"))
            o->resume = 1;
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            o->out = argv[++i];
        else if (!strcmp(argv[i], "--backends") && i + 1 < argc)
            *backends = argv[++i];
        else if (!strcmp(argv[i], "--shard") && i + 1 < argc) {
            if (parse_shard(argv[++i], o) != 0) {
                snprintf(err, errlen, "--shard: expected I/N with 0 <= I < N <= %d (got '%s')", SHARD_MAX,
                         argv[i]);
                return -1;
            }
        } else if (argv[i][0] == '-') {
            snprintf(err, errlen, "sweep: unknown option '%s'", argv[i]);
            return -1;
        } else if (!*file)
            *file = argv[i];
        else {
            snprintf(err, errlen, "sweep: one experiment file at a time (got '%s' and '%s')", *file,
                     argv[i]);
            return -1;
        }
    }
    if (!*file) {
        snprintf(err, errlen, "usage: ablate %s", cli_synopsis("sweep"));
        return -1;
    }
    return 0;
}

int cli_sweep(int argc, char **argv)
{
    struct sweep_opts o = {.shard_n = 1, .argc = argc + 2, .argv = argv - 2};
    const char *file, *backends;
    char err[ERR_MAX];
    if (parse_flags(argc, argv, &file, &backends, &o, err, sizeof err) != 0)
        return cli_bad_input(err);
    if (gen_env_init(&o.env, err, sizeof err) != 0)
        return cli_bad_input(err);
    struct plan p;
    if (experiment_load(file, o.env.root, o.quick, &p, err, sizeof err) != 0)
        return cli_bad_input(err);
    if (backends && plan_set_backends(&p, &o.env, backends, err, sizeof err) != 0) {
        plan_free(&p);
        return cli_bad_input(err);
    }
    int rc = sweep_run(&p, &o, err, sizeof err);
    plan_free(&p);
    if (rc != 0)
        return cli_bad_input(err);
    return EXIT_OK;
}
