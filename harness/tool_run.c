/* harness/tool_run.c — run a tool (compiler, pkg-config, nvcc --version)
 * without a shell: fork + execvp with an argv array, so paths and flags
 * pass as they are (tool_run.h).
 */
#include "tool_run.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs argv with stdout + stderr going to fd; returns the exit status, or
 * -1 if the program could not be started or died by a signal. */
int tool_run_to_fd(char *const argv[], int fd)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs argv and captures what it prints (truncated to len - 1 bytes). */
int tool_run_capture(char *const argv[], char *out, size_t len)
{
    int fds[2];
    out[0] = 0;
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        if (dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(127);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0 && dup2(devnull, STDERR_FILENO) < 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    size_t used = 0;
    ssize_t got;
    char sink[256];
    while ((got = read(fds[0], used + 1 < len ? out + used : sink,
                       used + 1 < len ? len - 1 - used : sizeof sink)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            break;
        if (used + 1 < len)
            used += (size_t)got;
    }
    out[used] = 0;
    close(fds[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int tool_split_words(char *buf, char **words, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *p = strtok_r(buf, " \t\r\n", &save); p && n < max;
         p = strtok_r(NULL, " \t\r\n", &save))
        words[n++] = p;
    return n;
}
