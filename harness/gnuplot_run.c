/* harness/gnuplot_run.c — see gnuplot_run.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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

int gnuplot_run(const char *gp, char *err, size_t errlen)
{
    char cmd[8600], log[4300], msg[256];
    snprintf(log, sizeof log, "%s.log", gp);
    if (strchr(gp, '\'')) {
        snprintf(err, errlen, "%s: a quote in the path", gp);
        return -1;
    }
    /* the paths are ours (run folders), quoted against spaces */
    snprintf(cmd, sizeof cmd, "gnuplot '%s' >/dev/null 2>'%s'", gp, log);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) == 127) {
        snprintf(err, errlen, "cannot run gnuplot: install gnuplot-nox");
        return -1;
    }
    if (WEXITSTATUS(st) != 0) {
        first_line(log, msg, sizeof msg);
        snprintf(err, errlen, "gnuplot %s failed (exit status %d): %s", gp, WEXITSTATUS(st), msg);
        return -1;
    }
    if (remove(log) != 0)
        fprintf(stderr, "ablate: could not remove %s: %s\n", log, strerror(errno));
    return 0;
}
