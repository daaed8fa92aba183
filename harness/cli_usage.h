/* harness/cli_usage.h — every verb's texts in one table (cli_usage.c): the
 * synopsis its bad-input message quotes, the options `ablate VERB
 * --help` explains, and its exit statuses.  docs/cli.md says the same in
 * prose; tests/test_cli_help.c checks that the two and the program agree. */
#ifndef ABLATE_CLI_USAGE_H
#define ABLATE_CLI_USAGE_H

#include <stdio.h>

#define CLI_OPTIONS_MAX 24

struct cli_option {
    const char *name; /* "--out DIR", or a positional argument: "FILE.lua" */
    const char *help; /* one line */
};

struct cli_usage {
    const char *verb;
    const char *synopsis; /* after "ablate ": "sweep FILE.lua [--out DIR] ..." */
    const char *summary;  /* what the verb does, one line */
    struct cli_option options[CLI_OPTIONS_MAX]; /* ends at the first {NULL} */
    const char *exits;    /* its exit statuses, one line */
};

/* The verb's entry, or NULL if there is no such verb. */
const struct cli_usage *cli_usage_find(const char *verb);
/* Entry i of the table in display order; NULL past the end. */
const struct cli_usage *cli_usage_at(int i);

/* `ablate VERB --help`: synopsis, summary, options, exit statuses. */
void cli_usage_print(FILE *f, const struct cli_usage *u);
/* `ablate --help`: every verb with its summary, the global options. */
void cli_usage_print_all(FILE *f);

/* 1 if argv holds --help or -h (`ablate VERB ... --help`). */
int cli_wants_help(int argc, char **argv);

/* What `ablate --version` prints: "ablate VERSION (commit C)" (version.c;
 * C = `git describe --always --dirty` at build time, or "unknown"). */
const char *ablate_version(void);
const char *ablate_commit(void);

#endif
