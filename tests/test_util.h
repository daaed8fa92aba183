/* tests/test_util.h — helpers the Criterion tests share: run build/ablate
 * and capture its exit status, stdout and stderr; make temp folders. */
#ifndef ABLATE_TEST_UTIL_H
#define ABLATE_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct run_out {
    int status; /* exit status, or 128 + signal */
    char out[16384];
    char err[4096];
};

static inline void slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
}

/* rm -rf DIR (a temp folder a test made). */
static inline void remove_dir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* The program under test: ./build/ablate, or $ABLATE_BIN (make test-asan
 * points it at the sanitized build-asan/ablate). */
static inline const char *ablate_bin(void)
{
    const char *bin = getenv("ABLATE_BIN");
    return bin && *bin ? bin : "./build/ablate";
}

/* Runs shell text TEXT through sh, capturing status, stdout and stderr
 * ({ } so that the redirections cover every command of TEXT). */
static inline void run_shell(struct run_out *r, const char *text)
{
    char dir[] = "/tmp/ablate-run-XXXXXX", cmd[8192], po[64], pe[64];
    if (!mkdtemp(dir))
        abort();
    snprintf(po, sizeof po, "%s/out", dir);
    snprintf(pe, sizeof pe, "%s/err", dir);
    snprintf(cmd, sizeof cmd, "{ %s\n} >%s 2>%s", text, po, pe);
    int st = system(cmd);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    slurp(po, r->out, sizeof r->out);
    slurp(pe, r->err, sizeof r->err);
    remove_dir(dir);
}

/* Runs `./build/ablate ARGS` through sh (ARGS is shell text). */
static inline void run_ablate(struct run_out *r, const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s", ablate_bin(), args);
    run_shell(r, cmd);
}

/* Expects `ablate info ARGS` to refuse with exit status 2 and exactly
 * "ablate: TEXT\n" on stderr (ARGS and TEXT are string literals; a macro so
 * that Criterion reports the caller's line). */
#define EXPECT_INFO_ERROR(args, text)                       \
    do {                                                    \
        struct run_out r_;                                  \
        run_ablate(&r_, "info " args);                      \
        cr_expect_eq(r_.status, 2, "status %d", r_.status); \
        cr_expect_str_eq(r_.err, "ablate: " text "\n");     \
    } while (0)

/* A fresh temp folder; the caller owns it. */
static inline void temp_dir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/ablate-test-XXXXXX");
    if (!mkdtemp(buf))
        abort();
}

static inline void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        abort();
}

#endif
