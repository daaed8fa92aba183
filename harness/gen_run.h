/* harness/gen_run.h — run a tool without a shell (gen_run.c), for the
 * kernel builders gen_cc.c and cuda_gen.c.
 */
#ifndef ABLATE_GEN_RUN_H
#define ABLATE_GEN_RUN_H

#include <stddef.h>

/* Runs argv with stdout + stderr going to fd; returns the exit status, or
 * -1 if the program could not be started or died by a signal. */
int gen_run_to_fd(char *const argv[], int fd);

/* Runs argv (no shell) and captures its stdout (truncated to len - 1
 * bytes; stderr to /dev/null); returns the exit status, or -1. */
int gen_run_capture(char *const argv[], char *out, size_t len);

#endif
