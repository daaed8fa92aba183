/* harness/main.c — `ablate COMMAND ...`: the command table and the one
 * piece of process set-up every command shares (the BLAS core type). */
#include <signal.h>
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
    {"model", cli_model,
     "model FILE.yaml [--scale n|s|m|l|x] [--imgsz 640] [--layers] [--fuse] [--weights W --input X "
     "--expect Y] [--bench [--threads N] [--quick] [--peers torch,ort,openvino] [--torch]]  "
     "a YAML model's summary as ultralytics prints it; "
     "whole-graph parity; per-layer and end-to-end timing"},
    {"placement", cli_placement,
     "placement FILE.lua [--out DIR] [--quick] [--resume]  a module at several places of a YAML model: "
     "params, GFLOPs, end-to-end latency vs the base (make sweep EXP=placement_*)"},
    {"run", cli_run, "run --desc DESC [--quick]  re-run exactly the case a CSV row describes"},
    {"list", cli_list, "list                       modules, their arguments and generator variants"},
    {"peak", cli_peak, "peak [--quick]             this machine's sgemm and memory-bandwidth roofs"},
    {"report", cli_report, "report [--out DIR] [--mix-machines] RUNDIR...   report.md + report.html vs baselines "
                           "(--index FILE.html: one report per run and an index)"},
    {"compare", cli_compare, "compare OLD.csv NEW.csv [--threshold 0.05] [--alpha 0.01] [--out FILE.csv]"},
    {"regress", cli_regress,
     "regress [--history runs/history.csv] [--run RUNDIR] [--threshold 0.05] [--alpha 0.01] [--chart DIR]"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: ablate COMMAND ...\n");
    for (int i = 0; commands[i].name; i++)
        fprintf(f, "  ablate %s\n", commands[i].usage);
    fprintf(f, "\nenvironment: ABLATE_CORETYPE=auto|NAME re-runs the program with OpenBLAS's core\n"
               "type auto-detected (auto) or forced, whatever OPENBLAS_CORETYPE says; OpenBLAS\n"
               "always runs with OPENBLAS_NUM_THREADS=1 (kernels thread with OpenMP).\n");
}

/* OpenBLAS reads its environment when it is loaded, before main, so the
 * only way to change it is to start again.  Two settings matter:
 * - OPENBLAS_NUM_THREADS=1: generated kernels call BLAS single-threaded
 *   inside their own OpenMP regions; a larger OpenBLAS pool would only spin
 *   beside them (a third of a core, measured) and inflate 2-thread timings.
 * - OPENBLAS_CORETYPE per ABLATE_CORETYPE (if set): "auto" removes it so
 *   OpenBLAS detects the CPU, any other value forces that core type. */
static void apply_blas_env(char **argv)
{
    if (getenv("ABLATE_REEXEC"))
        return;
    const char *want = getenv("ABLATE_CORETYPE"), *cur = getenv("OPENBLAS_CORETYPE");
    const char *threads = getenv("OPENBLAS_NUM_THREADS");
    int is_auto = want && !strcmp(want, "auto");
    int change_core = want && *want && (is_auto ? cur != NULL : !(cur && !strcmp(cur, want)));
    int change_threads = !threads || strcmp(threads, "1");
    if (!change_core && !change_threads)
        return;
    setenv("ABLATE_ORIG_CORETYPE", cur ? cur : "", 1);
    setenv("ABLATE_REEXEC", "1", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    if (change_core && is_auto)
        unsetenv("OPENBLAS_CORETYPE");
    else if (change_core)
        setenv("OPENBLAS_CORETYPE", want, 1);
    execv("/proc/self/exe", argv);
    perror("ablate: re-exec to set the BLAS environment failed; going on as started");
}

int main(int argc, char **argv)
{
    /* Past a file-size limit (ulimit -f) the kernel sends SIGXFSZ, whose
     * default action kills the process with a core dump mid-write.  Ignored,
     * the write fails with EFBIG instead and the writer reports it as one
     * line with exit status 2, like a full disk (ENOSPC). */
    if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
        perror("ablate: cannot ignore SIGXFSZ");
    apply_blas_env(argv);
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
