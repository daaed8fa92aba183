/* harness/main.c — `ablate COMMAND ...`: the command table and the one
 * piece of process set-up every command shares (the BLAS core type). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
};

static const struct command commands[] = {
    {"sweep", cli_sweep, "sweep FILE.lua [--out DIR] [--quick] [--resume] [--shard I/N]"},
    {"info", cli_info, "info MODULE key=value ... h=H w=W [batch=B]"},
    {"parity", cli_parity,
     "parity MODULE key=value ... --weights W.safetensors --input X.safetensors "
     "--expect Y.safetensors [--threads N]"},
    {"run", cli_run, "run --desc DESC [--quick]  re-run exactly the case a CSV row describes"},
    {"list", cli_list, "list                       modules, their arguments and generator variants"},
    {"peak", cli_peak, "peak [--quick]             this machine's sgemm and memory-bandwidth roofs"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: ablate COMMAND ...\n");
    for (int i = 0; commands[i].name; i++)
        fprintf(f, "  ablate %s\n", commands[i].usage);
    fprintf(f, "\nenvironment: ABLATE_CORETYPE=auto|NAME re-runs the program with OpenBLAS's core\n"
               "type auto-detected (auto) or forced, whatever OPENBLAS_CORETYPE says.\n");
}

/* OpenBLAS reads OPENBLAS_CORETYPE when it is loaded, before main, so the
 * only way to change it is to start again with another environment. */
static void apply_coretype(char **argv)
{
    const char *want = getenv("ABLATE_CORETYPE");
    if (!want || !*want || getenv("ABLATE_REEXEC"))
        return;
    const char *cur = getenv("OPENBLAS_CORETYPE");
    int is_auto = !strcmp(want, "auto");
    if (is_auto ? cur == NULL : (cur && !strcmp(cur, want)))
        return;
    setenv("ABLATE_ORIG_CORETYPE", cur ? cur : "", 1);
    setenv("ABLATE_REEXEC", "1", 1);
    if (is_auto)
        unsetenv("OPENBLAS_CORETYPE");
    else
        setenv("OPENBLAS_CORETYPE", want, 1);
    execv("/proc/self/exe", argv);
    perror("ablate: re-exec for ABLATE_CORETYPE failed; going on with the current core type");
}

int main(int argc, char **argv)
{
    apply_coretype(argv);
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_BAD_INPUT : EXIT_OK;
    }
    for (int i = 0; commands[i].name; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "ablate: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_BAD_INPUT;
}
