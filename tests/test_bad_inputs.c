/* tests/test_bad_inputs.c — runs every case of tests/bad_inputs/cases.txt
 * (the file's head explains the columns): each bad command line or file
 * must end with its exact one-line message and exit status, not by a
 * signal (no core dump), and leave no output that would claim success. */
#include <criterion/criterion.h>
#include <sys/stat.h>

#include "test_util.h"

#define CASES "tests/bad_inputs/cases.txt"
#define GOLDEN "tests/goldens/akconv_n1_s1_ij_8x8.safetensors"

struct bad_case {
    int line;
    char cmd[1024], expect[1024], absent[256];
    int status;
};

/* text with $T, $B and $G replaced, as the shell would expand them. */
static void expand(const char *text, const char *tdir, char *out, size_t len)
{
    size_t used = 0;
    out[0] = 0;
    for (const char *p = text; *p && used + 1 < len; p++) {
        const char *rep = NULL;
        if (p[0] == '$' && (p[1] == 'T' || p[1] == 'B' || p[1] == 'G'))
            rep = p[1] == 'T' ? tdir : p[1] == 'B' ? "tests/bad_inputs" : GOLDEN;
        if (rep) {
            used += (size_t)snprintf(out + used, len - used, "%s", rep);
            p++;
        } else
            out[used++] = *p, out[used] = 0;
    }
}

/* One manifest line -> case; 0 for a comment or blank line, -1 if malformed. */
static int parse_case(char *line, int lineno, struct bad_case *c)
{
    line[strcspn(line, "\n")] = 0;
    if (!line[0] || line[0] == '#')
        return 0;
    char *f[4] = {line, NULL, NULL, NULL};
    for (int i = 1; i < 4; i++) {
        char *tab = f[i - 1] ? strchr(f[i - 1], '\t') : NULL;
        if (tab)
            *tab = 0, f[i] = tab + 1;
    }
    if (!f[1] || !f[2])
        return -1;
    c->line = lineno;
    c->status = atoi(f[1]);
    snprintf(c->cmd, sizeof c->cmd, "%s", f[0]);
    snprintf(c->expect, sizeof c->expect, "%s", f[2]);
    snprintf(c->absent, sizeof c->absent, "%s", f[3] ? f[3] : "");
    return 1;
}

/* stderr against the expected text: exact single line, "LAST:" last line
 * only, trailing "*" prefix only. */
static int err_matches(const char *err, const char *want, char *got, size_t len)
{
    int last = !strncmp(want, "LAST:", 5);
    if (last)
        want += 5;
    const char *line = err;
    if (last) { /* start of the last non-empty line */
        size_t n = strlen(err);
        while (n > 0 && err[n - 1] == '\n')
            n--;
        while (n > 0 && err[n - 1] != '\n')
            n--;
        line = err + n;
    }
    snprintf(got, len, "%s", line);
    size_t wl = strlen(want);
    if (wl && want[wl - 1] == '*')
        return strncmp(line, want, wl - 1) == 0;
    return strncmp(line, want, wl) == 0 && !strcmp(line + wl, "\n");
}

static void check_absent(const struct bad_case *c, const char *tdir)
{
    char list[256], path[512];
    snprintf(list, sizeof list, "%s", c->absent);
    for (char *p = strtok(list, " "); p; p = strtok(NULL, " ")) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", tdir, p);
        cr_expect(stat(path, &st) != 0, "line %d: %s was left behind", c->line, p);
    }
}

static void run_case(const struct bad_case *c)
{
    char tdir[64], want[1024], got[1024];
    struct run_out *r = calloc(1, sizeof *r);
    cr_assert(r != NULL);
    temp_dir(tdir, sizeof tdir);
    /* The manifest's variables; this test runs in its own process. */
    if (setenv("ABLATE", ablate_bin(), 1) != 0 || setenv("T", tdir, 1) != 0 ||
        setenv("B", "tests/bad_inputs", 1) != 0 || setenv("G", GOLDEN, 1) != 0)
        cr_assert_fail("setenv");
    run_shell(r, c->cmd);
    expand(c->expect, tdir, want, sizeof want);
    cr_expect(r->status < 128, "line %d: killed by signal %d", c->line, r->status - 128);
    cr_expect_eq(r->status, c->status, "line %d: status %d, expected %d (%s)", c->line, r->status,
                 c->status, r->err);
    cr_expect(err_matches(r->err, want, got, sizeof got), "line %d: stderr\n  got:  %s\n  want: %s",
              c->line, got, want);
    check_absent(c, tdir);
    remove_dir(tdir);
    free(r);
}

Test(bad_inputs, corpus, .timeout = 600)
{
    FILE *f = fopen(CASES, "r");
    cr_assert(f != NULL, "cannot open " CASES);
    char line[4096];
    int lineno = 0, n = 0;
    struct bad_case c;
    while (fgets(line, sizeof line, f)) {
        int rc = parse_case(line, ++lineno, &c);
        cr_expect(rc >= 0, CASES ":%d: expected COMMAND<TAB>STATUS<TAB>STDERR[<TAB>ABSENT]", lineno);
        if (rc == 1) {
            run_case(&c);
            n++;
        }
    }
    fclose(f);
    cr_expect(n >= 40, "only %d cases", n);
}
