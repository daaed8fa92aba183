/* harness/gnuplot_run.c — see gnuplot_run.h. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gnuplot_run.h"

void gnuplot_string(void *file, const char *s)
{
    FILE *f = file;
    fputc('\'', f);
    for (; *s; s++)
        if (*s == '\'')
            fputs("''", f);
        else if (*s != '\n' && *s != '\r')
            fputc(*s, f);
    fputc('\'', f);
}

static void first_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    buf[0] = 0;
    while (f && !buf[0] && fgets(buf, (int)len, f))
        if (buf[strspn(buf, " \t\r\n")] == 0 || buf[strspn(buf, " \t")] == '^')
            buf[0] = 0;
    if (f)
        (void)fclose(f); /* read-only: nothing to lose */
    buf[strcspn(buf, "\r\n")] = 0;
}

/* posix_spawn, no shell: paths with any characters are safe, and a
 * missing gnuplot is told apart from a failing script. */
int gnuplot_run(const char *gp, char *err, size_t errlen)
{
    posix_spawn_file_actions_t fa;
    char log[4300], msg[256];
    char *argv[] = {"gnuplot", (char *)gp, NULL};
    pid_t pid;
    snprintf(log, sizeof log, "%s.log", gp);
    int rc = posix_spawn_file_actions_init(&fa);
    if (!rc)
        rc = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (!rc)
        rc = posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!rc)
        rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        snprintf(err, errlen, "cannot run gnuplot (%s): install gnuplot-nox", strerror(rc));
        return -1;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, errlen, "gnuplot %s: %s", gp, strerror(errno));
            return -1;
        }
    if (WIFSIGNALED(st)) {
        snprintf(err, errlen, "gnuplot %s was killed by signal %d", gp, WTERMSIG(st));
        return -1;
    }
    if (WEXITSTATUS(st) != 0) {
        first_line(log, msg, sizeof msg);
        snprintf(err, errlen, "gnuplot %s failed (exit status %d): %s", gp, WEXITSTATUS(st), msg);
        return -1;
    }
    if (unlink(log) != 0)
        fprintf(stderr, "ablate: could not remove %s: %s\n", log, strerror(errno));
    return 0;
}
