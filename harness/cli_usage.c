/* harness/cli_usage.c — the usage table of every verb (see cli_usage.h)
 * and the two ways it reaches the user: `ablate VERB --help` on stdout
 * (exit 0) and the synopsis in a bad-input message on stderr (exit 2),
 * so the two never say different things. */
#include <string.h>

#include "cli.h"
#include "cli_usage.h"

#define EXITS_PLAIN "0 done; 2 bad input (one line on stderr)"
#define EXITS_CHECK "0 done and every check passed; 1 a check failed; 2 bad input (one line on stderr)"
#define OPT_QUICK_TIMING {"--quick", "short timing: a smoke run, not numbers to quote"}
#define OPT_THRESHOLD {"--threshold T", "smallest relative change reported (default 0.05 = 5 %)"}
#define OPT_ALPHA {"--alpha A", "significance level of the test on the log ratio (default 0.01)"}

static const struct cli_usage table[] = {
    {"sweep", "sweep FILE.lua [--out DIR] [--quick] [--resume] [--shard I/N] [--backends LIST]",
     "run an experiment: every configuration of a Lua sweep, checked and timed, into a CSV",
     {{"FILE.lua", "the experiment, a `return sweep { ... }` script (experiments/*.lua)"},
      {"--out DIR", "write the run into DIR (default runs/NAME/<stamp>/, runs/NAME/latest points at it)"},
      {"--quick", "the script's `quick` overrides and short timing (about a minute)"},
      {"--resume", "continue the run in --out DIR or runs/NAME/latest: rows already written are kept"},
      {"--shard I/N", "run only slice I of N (0 <= I < N), balanced by estimated cost (Slurm arrays)"},
      {"--backends LIST", "replace the script's backends, e.g. ref,gen,cuda-host,cuda (docs/cuda.md)"}},
     EXITS_PLAIN},
    {"info", "info MODULE key=value ... h=H w=W [batch=B] [--json]",
     "one module configuration: shapes, params, FLOPs (thop and full), bytes, state_dict",
     {{"MODULE", "a module of `ablate list` (or an alias), e.g. AKConv"},
      {"key=value", "its constructor arguments, named as in PyTorch (`ablate list` shows them)"},
      {"h=H w=W", "the input's height and width"},
      {"batch=B", "the batch size (default 1)"},
      {"--json", "the same facts as one JSON object (keys: docs/cli.md)"}},
     EXITS_PLAIN},
    {"parity", "parity MODULE key=value ... --weights W --input X --expect Y [--threads N] [--backends ref,gen,cuda-host,cuda]",
     "the reference and every generated variant of a module against PyTorch outputs",
     {{"MODULE key=value ...", "the module and its arguments, as for `ablate info` (no h=, w=)"},
      {"--weights W", "a safetensors state_dict() of the module in eval mode"},
      {"--input X", "a safetensors file with tensor 'x' (NCHW): fixes batch, h and w"},
      {"--expect Y", "a safetensors file with tensor 'y': PyTorch's output"},
      {"--threads N", "threads for the generated variants (default 1)"},
      {"--backends LIST", "only these groups of implementations (default ref,gen,cuda-host,cuda)"}},
     EXITS_CHECK},
    {"list", "list", "every module: its arguments with defaults, aliases, generator variants", {{NULL, NULL}},
     EXITS_PLAIN},
    {"model",
     "model FILE.yaml [--scale n|s|m|l|x] [--imgsz 640] [--layers] [--fuse] [--json] "
     "[--weights W --input X --expect Y] [--bench [--threads N] [--quick] [--peers torch,ort,openvino] [--torch] [--onednn] [--backends gen,cuda]]",
     "a YAML model's summary as ultralytics prints it; whole-graph parity; per-layer and end-to-end timing",
     {{"FILE.yaml", "an ultralytics model YAML (experiments/models/)"},
      {"--scale S", "the scale: n, s, m, l or x (default: from the file name, else the first of `scales`)"},
      {"--imgsz S", "image size, a multiple of 32 from 32 to 8192 (default 640)"},
      {"--layers", "print ultralytics' per-layer table before the summary"},
      {"--fuse", "the summary after model.fuse() (BN folded into the convs)"},
      {"--json", "the summary (and with --layers the table) as one JSON object (keys: docs/cli.md)"},
      {"--weights W", "with --input and --expect: the scalar reference of the whole graph on this state_dict"},
      {"--input X", "a safetensors file with tensor 'x' of F32 [1, 3, S, S]"},
      {"--expect Y", "a safetensors file with tensor 'y': PyTorch's output"},
      {"--bench", "time every layer and the whole graph with generated kernels"},
      {"--threads N", "threads for --bench, 1 to 256 (default 1)"},
      OPT_QUICK_TIMING,
      {"--peers LIST", "with --bench: time these peers at the same size and threads (torch, ort, openvino; make peers)"},
      {"--torch", "with --bench: the PyTorch eager peer alone (= --peers torch)"},
      {"--onednn", "with --bench: every layer and the whole graph also with oneDNN convolutions, interleaved"},
      {"--backends LIST", "with --bench: gen (the generated graph on the CPU, default), cuda (the device)"}},
     EXITS_CHECK},
    {"placement", "placement FILE.lua [--out DIR] [--quick] [--resume]",
     "a module at several places of a YAML model: params, GFLOPs, end-to-end latency vs the base",
     {{"FILE.lua", "the experiment, a `return placement { ... }` script (experiments/placement_*.lua)"},
      {"--out DIR", "write the run into DIR (default runs/NAME/<stamp>/)"},
      {"--quick", "the script's `quick` overrides and short timing"},
      {"--resume", "continue the run in --out DIR or runs/NAME/latest: rows already written are kept"}},
     EXITS_PLAIN},
    {"run", "run --desc DESC [--quick]",
     "re-run exactly the case one CSV row describes (same inputs, weights, isolation and timing)",
     {{"--desc DESC", "the row's `desc` column, e.g. 'akconv:...:n1c64h80w80:o128:t2:impl=gen:gemm'"},
      OPT_QUICK_TIMING},
     "0 the case ran and passed; 1 it failed (status printed); 2 bad input"},
    {"peak", "peak [--quick]", "this machine's sgemm and memory-bandwidth roofs at 1 and 2 threads",
     {{"--quick", "a shorter measurement"}}, EXITS_PLAIN},
    {"report",
     "report [--out DIR] [--mix-machines] RUNDIR... | ablate report --index FILE.html RUNDIR...",
     "report.md + report.html of a run against its baselines; several runs: merged first",
     {{"RUNDIR...", "run folders (runs/NAME/latest); several with --out: shards merged into DIR"},
      {"--out DIR", "write results.csv (merged), report.md and report.html into DIR"},
      {"--mix-machines", "merge runs timed on different machines (ratios across machines get no CI)"},
      {"--index FILE.html", "one report per RUNDIR and an index page FILE.html linking them"}},
     EXITS_PLAIN},
    {"compare", "compare OLD.csv NEW.csv [--threshold 0.05] [--alpha 0.01] [--out FILE.csv]",
     "every timed row two results.csv files share: latency ratio, p-value, verdict",
     {{"OLD.csv NEW.csv", "two results.csv files (rows matched by desc)"},
      OPT_THRESHOLD,
      OPT_ALPHA,
      {"--out FILE.csv", "also write the comparison as CSV"}},
     EXITS_PLAIN},
    {"regress", "regress [--history runs/history.csv] [--run RUNDIR] [--threshold 0.05] [--alpha 0.01] [--chart DIR]",
     "the latest run (or RUNDIR) against earlier runs on the same machine; fails on a slowdown",
     {{"--history FILE", "the history every sweep appends to (default runs/history.csv)"},
      {"--run RUNDIR", "judge this run folder (default: the last run in the history)"},
      OPT_THRESHOLD,
      OPT_ALPHA,
      {"--chart DIR", "draw DIR/history.svg: latency over commits"}},
     "0 no slowdown; 1 a configuration is slower than its history; 2 bad input"},
};

static const int table_len = (int)(sizeof table / sizeof table[0]);

const struct cli_usage *cli_usage_at(int i)
{
    return i >= 0 && i < table_len ? &table[i] : NULL;
}

const struct cli_usage *cli_usage_find(const char *verb)
{
    for (int i = 0; i < table_len; i++)
        if (!strcmp(table[i].verb, verb))
            return &table[i];
    return NULL;
}

const char *cli_synopsis(const char *verb)
{
    const struct cli_usage *u = cli_usage_find(verb);
    return u ? u->synopsis : verb;
}

int cli_bad_input(const char *msg)
{
    fprintf(stderr, "ablate: %s\n", msg);
    return EXIT_BAD_INPUT;
}

int cli_bad_usage(const char *verb)
{
    fprintf(stderr, "ablate: usage: ablate %s\n", cli_synopsis(verb));
    return EXIT_BAD_INPUT;
}

/* "  NAME   help", the help column aligned; a long NAME gets its own line. */
static void print_option(FILE *f, const struct cli_option *o)
{
    enum { NAME_COLUMN = 22 };
    if (strlen(o->name) < NAME_COLUMN)
        fprintf(f, "  %-*s %s\n", NAME_COLUMN, o->name, o->help);
    else
        fprintf(f, "  %s\n  %-*s %s\n", o->name, NAME_COLUMN, "", o->help);
}

void cli_usage_print(FILE *f, const struct cli_usage *u)
{
    fprintf(f, "usage: ablate %s\n\n%s.\n", u->synopsis, u->summary);
    fprintf(f, "\n%s:\n", u->options[0].name ? "arguments and options" : "options");
    for (int i = 0; i < CLI_OPTIONS_MAX && u->options[i].name; i++)
        print_option(f, &u->options[i]);
    fprintf(f, "  %-22s %s\n\nexit status: %s\n", "-h, --help", "this text", u->exits);
}

void cli_usage_print_all(FILE *f)
{
    fprintf(f, "usage: ablate COMMAND [ARGS...]    (ablate COMMAND --help: its options)\n\ncommands:\n");
    for (int i = 0; i < table_len; i++)
        fprintf(f, "  %-10s %s\n", table[i].verb, table[i].summary);
    fprintf(f, "\noptions:\n  %-12s %s\n  %-12s %s\n", "-h, --help", "this text",
            "--version", "the version and the git commit ablate was built from");
    fprintf(f, "\nexit status: 0 done; 1 a check failed (parity, model, run, regress); 2 bad input\n"
               "(one line on stderr, \"ablate: \" first).  Reference: docs/cli.md.\n");
    fprintf(f, "\nenvironment: ABLATE_CORETYPE=auto|NAME re-runs the program with OpenBLAS's core\n"
               "type auto-detected (auto) or forced, whatever OPENBLAS_CORETYPE says; a detected\n"
               "generic SSE core on a CPU with AVX/AVX2/AVX-512 (a model newer than OpenBLAS) is\n"
               "replaced by the core for its vector width; OpenBLAS always runs with\n"
               "OPENBLAS_NUM_THREADS=1 (kernels thread with OpenMP).\n");
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}
