/* harness/tool_run.h — run a tool without a shell (tool_run.c): the
 * kernel builders (gen_cc.c, cuda_gen.c) and the run metadata (meta.c).
 */
#ifndef ABLATE_TOOL_RUN_H
#define ABLATE_TOOL_RUN_H

#include <stddef.h>

/* Runs argv with stdout + stderr going to fd; returns the exit status, or
 * -1 if the program could not be started or died by a signal. */
int tool_run_to_fd(char *const argv[], int fd);

/* Runs argv (no shell) and captures its stdout (truncated to len - 1
 * bytes; stderr to /dev/null); returns the exit status, or -1. */
int tool_run_capture(char *const argv[], char *out, size_t len);

/* Splits buf in place at white space into at most max words (a command
 * given as one string: CC, CXX); returns how many. */
int tool_split_words(char *buf, char **words, int max);

#endif
