/* harness/cli_placement.c — `ablate placement FILE.lua [--out DIR] [--quick] [--resume]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gen.h"
#include "placement.h"

int cli_placement(int argc, char **argv)
{
    struct placement_opts o = {.argc = argc + 2, .argv = argv - 2};
    const char *file = NULL;
    int quick = 0;
    char err[ERR_MAX + 600];
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--resume"))
            o.resume = 1;
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            o.out = argv[++i];
        else if (argv[i][0] == '-' || file) {
            snprintf(err, sizeof err, "placement: unexpected '%s' (usage: ablate %s)", argv[i],
                     cli_synopsis("placement"));
            return cli_bad_input(err);
        } else
            file = argv[i];
    }
    if (!file)
        return cli_bad_usage("placement");
    struct gen_env env;
    if (gen_env_init(&env, err, sizeof err) != 0)
        return cli_bad_input(err);
    o.root = env.root;
    o.fma = &env.fma;
    struct placement_plan *p = malloc(sizeof *p); /* 100s of kB: not on the stack */
    int rc = p ? 0 : -1;
    snprintf(err, sizeof err, "out of memory");
    if (rc == 0)
        rc = placement_load(file, env.root, quick, p, err, sizeof err);
    if (rc == 0)
        rc = placement_run(p, &o, err, sizeof err);
    free(p);
    return rc == 0 ? EXIT_OK : cli_bad_input(err);
}
