/* harness/cli.h — the subcommands of build/ablate (harness/main.c dispatches). */
#ifndef ABLATE_CLI_H
#define ABLATE_CLI_H

/* Exit statuses shared by every subcommand. */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_BAD_INPUT = 2 };

int cli_sweep(int argc, char **argv);
int cli_info(int argc, char **argv);
int cli_parity(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_peak(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_compare(int argc, char **argv);
int cli_regress(int argc, char **argv);
int cli_model(int argc, char **argv);
int cli_placement(int argc, char **argv);

/* Prints "ablate: <msg>" to stderr and returns EXIT_BAD_INPUT. */
int cli_bad_input(const char *msg);

/* The verb's synopsis from the usage table (cli_usage.c), after "ablate ". */
const char *cli_synopsis(const char *verb);
/* Prints "ablate: usage: ablate <synopsis>" to stderr; returns EXIT_BAD_INPUT. */
int cli_bad_usage(const char *verb);

#endif
