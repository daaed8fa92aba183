/* harness/main.c — `ablate COMMAND ...`: dispatch through the verb table
 * (cli_usage.c), --help and --version, and the one piece of process set-up
 * every command shares (the BLAS core type). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas_core.h"
#include "cli.h"
#include "cli_usage.h"

static int is_help(const char *a)
{
    return !strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help");
}

/* `ablate VERB --help` and `ablate help VERB`: the verb's usage on stdout. */
static int verb_help(const char *verb)
{
    const struct cli_usage *u = cli_usage_find(verb);
    if (!u) {
        fprintf(stderr, "ablate: unknown command '%s'\n", verb);
        cli_usage_print_all(stderr);
        return EXIT_BAD_INPUT;
    }
    cli_usage_print(stdout, u);
    return EXIT_OK;
}

/* OpenBLAS reads its environment when it is loaded, before main, so the
 * only way to change it is to start again.  Two settings matter:
 * - OPENBLAS_NUM_THREADS=1: generated kernels call BLAS single-threaded
 *   inside their own OpenMP regions; a larger OpenBLAS pool would only spin
 *   beside them (a third of a core, measured) and inflate 2-thread timings.
 * - OPENBLAS_CORETYPE per ABLATE_CORETYPE (if set): "auto" removes it so
 *   OpenBLAS detects the CPU, any other value forces that core type.
 *   Where OpenBLAS detects, a generic pick is overruled (below). */
/* Keeps OPENBLAS_CORETYPE as the program was first started with it
 * (meta.json), before a restart changes it. */
static void keep_orig_core(void)
{
    const char *cur = getenv("OPENBLAS_CORETYPE");
    if (!getenv("ABLATE_ORIG_CORETYPE"))
        setenv("ABLATE_ORIG_CORETYPE", cur ? cur : "", 1);
}

/* Starts the program again, OpenBLAS single-threaded. */
static void restart(char **argv)
{
    setenv("ABLATE_REEXEC", "1", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    execv("/proc/self/exe", argv);
    perror("ablate: re-exec to set the BLAS environment failed; going on as started");
}

static int wants_auto_core(void)
{
    const char *want = getenv("ABLATE_CORETYPE");
    return want && !strcmp(want, "auto");
}

/* Where OpenBLAS chose its core itself (ABLATE_CORETYPE auto or unset, no
 * OPENBLAS_CORETYPE), its pick once made: a CPU model newer than the
 * library gets a generic SSE core (blas_core.h: OpenBLAS 0.3.21 ran an
 * AVX-512 Xeon at a fifth of its sgemm peak), so start once more with the
 * core the CPU's vector width calls for.  ABLATE_BLAS_DETECTED keeps
 * OpenBLAS's pick (meta.json) and makes this happen at most once. */
static void overrule_generic_core(char **argv)
{
    const char *want = getenv("ABLATE_CORETYPE");
    if ((want && *want && !wants_auto_core()) || getenv("OPENBLAS_CORETYPE") ||
        getenv("ABLATE_BLAS_DETECTED"))
        return;
    const char *detected = openblas_get_corename();
    __builtin_cpu_init();
    const char *core = blas_core_upgrade(detected, cpu_isa_level(),
                                         __builtin_cpu_supports("avx512bf16"));
    if (!core)
        return;
    keep_orig_core();
    setenv("ABLATE_BLAS_DETECTED", detected ? detected : "unknown", 1);
    setenv("OPENBLAS_CORETYPE", core, 1);
    restart(argv);
}

static void apply_blas_env(char **argv)
{
    if (getenv("ABLATE_REEXEC")) {
        overrule_generic_core(argv);
        return;
    }
    const char *want = getenv("ABLATE_CORETYPE"), *cur = getenv("OPENBLAS_CORETYPE");
    const char *threads = getenv("OPENBLAS_NUM_THREADS");
    int is_auto = wants_auto_core();
    int change_core = want && *want && (is_auto ? cur != NULL : !(cur && !strcmp(cur, want)));
    int change_threads = !threads || strcmp(threads, "1");
    if (!change_core && !change_threads) {
        overrule_generic_core(argv);
        return;
    }
    keep_orig_core();
    if (change_core && is_auto)
        unsetenv("OPENBLAS_CORETYPE");
    else if (change_core)
        setenv("OPENBLAS_CORETYPE", want, 1);
    restart(argv);
}

/* The function each verb runs (argv: the words after the verb).  Its texts
 * are in cli_usage.c; the table is here, not there, so that the CLI files
 * call the usage texts without the texts pointing back at them. */
static const struct {
    const char *verb;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"sweep", cli_sweep},
    {"info", cli_info},
    {"parity", cli_parity},
    {"list", cli_list},
    {"model", cli_model},
    {"placement", cli_placement},
    {"run", cli_run},
    {"peak", cli_peak},
    {"report", cli_report},
    {"compare", cli_compare},
    {"regress", cli_regress},
};

int main(int argc, char **argv)
{
    /* Past a file-size limit (ulimit -f) the kernel sends SIGXFSZ, whose
     * default action kills the process with a core dump mid-write.  Ignored,
     * the write fails with EFBIG instead and the writer reports it as one
     * line with exit status 2, like a full disk (ENOSPC). */
    if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
        perror("ablate: cannot ignore SIGXFSZ");
    apply_blas_env(argv);
    if (argc < 2) {
        cli_usage_print_all(stderr);
        return EXIT_BAD_INPUT;
    }
    if (is_help(argv[1])) {
        if (argc > 2)
            return verb_help(argv[2]);
        cli_usage_print_all(stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("ablate %s (commit %s)\n", ablate_version(), ablate_commit());
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].verb))
            return cli_wants_help(argc - 2, argv + 2) ? verb_help(argv[1]) : commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "ablate: unknown command '%s'\n", argv[1]);
    cli_usage_print_all(stderr);
    return EXIT_BAD_INPUT;
}
