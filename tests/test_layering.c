/* tests/test_layering.c — no layer reaches up: every header a .c or .h
 * file in kernels/ includes must be a file in kernels/ itself.
 *
 * A name is resolved the way the compiler does: "name" first in the
 * including file's folder, then along the Makefile's -I folders in order;
 * <name> along the -I folders only (a name found in none of them is a
 * system header).  So `#include "rng.h"` counts as a violation when only
 * harness/rng.h exists, although the text names no folder. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test_util.h"

enum { INC_DIRS_MAX = 16, REPORT_MAX = 4096 };

struct include_path {
    char dir[INC_DIRS_MAX][PATH_MAX];
    int n;
};

static const char *repo_root(void)
{
    const char *r = getenv("ABLATE_ROOT");
    return r && *r ? r : ".";
}

/* The relative -I folders of the Makefile, in order (each once). */
static void makefile_include_dirs(const char *root, struct include_path *ip)
{
    char path[PATH_MAX], word[PATH_MAX];
    snprintf(path, sizeof path, "%s/Makefile", root);
    FILE *f = fopen(path, "r");
    cr_assert(f, "cannot open %s", path);
    ip->n = 0;
    while (fscanf(f, "%4095s", word) == 1) {
        if (strncmp(word, "-I", 2) || !word[2] || word[2] == '/' || strchr(word, '$'))
            continue;
        int seen = 0;
        for (int i = 0; i < ip->n; i++)
            seen |= !strcmp(ip->dir[i], word + 2);
        if (!seen && ip->n < INC_DIRS_MAX)
            snprintf(ip->dir[ip->n++], PATH_MAX, "%s", word + 2);
    }
    fclose(f);
}

/* realpath of ROOT/DIR/NAME into out when it is a file; 0 when not. */
static int resolve_in(const char *root, const char *dir, const char *name, char *out)
{
    char p[PATH_MAX * 2 + 8];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s/%s", root, dir, name);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && realpath(p, out) != NULL;
}

/* Where the compiler would find the include: 1 with out set, or 0. */
static int resolve_include(const char *root, const char *from_dir, const struct include_path *ip, char quote,
                           const char *name, char *out)
{
    if (quote == '"' && resolve_in(root, from_dir, name, out))
        return 1;
    for (int i = 0; i < ip->n; i++)
        if (resolve_in(root, ip->dir[i], name, out))
            return 1;
    return 0;
}

static void append(char *report, const char *line)
{
    size_t used = strlen(report);
    snprintf(report + used, REPORT_MAX - used, "%s\n", line);
}

/* The #include lines of DIR/FILE whose header is not in DIR; each one is a
 * line in report. */
static int file_violations(const char *root, const char *dir, const char *file, const struct include_path *ip,
                           const char *dir_real, char *report)
{
    char path[PATH_MAX * 2], line[1024], found[PATH_MAX], msg[PATH_MAX * 2 + 1200];
    snprintf(path, sizeof path, "%s/%s/%s", root, dir, file);
    FILE *f = fopen(path, "r");
    cr_assert(f, "cannot open %s", path);
    int bad = 0;
    while (fgets(line, sizeof line, f)) {
        char open, name[512];
        if (sscanf(line, " # include %c%511[^\">]", &open, name) != 2 || (open != '"' && open != '<'))
            continue;
        int hit = resolve_include(root, dir, ip, open, name, found);
        size_t n = strlen(dir_real);
        int inside = hit && !strncmp(found, dir_real, n) && found[n] == '/' && !strchr(found + n + 1, '/');
        if (inside || (!hit && open == '<'))
            continue;
        snprintf(msg, sizeof msg, "%s/%s includes %c%s%c, which %s%s", dir, file, open, name,
                 open == '"' ? '"' : '>', hit ? "resolves to " : "resolves to no file", hit ? found : "");
        append(report, msg);
        bad++;
    }
    fclose(f);
    return bad;
}

static int is_source(const char *name)
{
    size_t n = strlen(name);
    return n > 2 && name[n - 2] == '.' && (name[n - 1] == 'c' || name[n - 1] == 'h');
}

/* Violations over every *.c and *.h of ROOT/DIR; report lists them. */
static int layering_violations(const char *root, const char *dir, char *report)
{
    struct include_path ip;
    char dir_path[PATH_MAX * 2], dir_real[PATH_MAX];
    makefile_include_dirs(root, &ip);
    snprintf(dir_path, sizeof dir_path, "%s/%s", root, dir);
    cr_assert(realpath(dir_path, dir_real), "no folder %s", dir_path);
    DIR *d = opendir(dir_path);
    cr_assert(d, "cannot list %s", dir_path);
    report[0] = 0;
    int bad = 0, files = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (is_source(e->d_name)) {
            bad += file_violations(root, dir, e->d_name, &ip, dir_real, report);
            files++;
        }
    closedir(d);
    cr_assert_gt(files, 0, "%s has no .c or .h files", dir_path);
    return bad;
}

TestSuite(layering);

Test(layering, kernels_include_only_kernels)
{
    char report[REPORT_MAX];
    int bad = layering_violations(repo_root(), "kernels", report);
    cr_assert_eq(bad, 0, "kernels/ reaches up into other layers:\n%s", report);
}

/* The checker itself: a kernels/ file whose plain "name.h" is found only in
 * harness/ (through -Iharness) is named, with the include; one in kernels/
 * and a system header are not. */
Test(layering, names_a_header_found_through_another_folder)
{
    char root[64], path[256], report[REPORT_MAX];
    temp_dir(root, sizeof root);
    snprintf(path, sizeof path, "%s/kernels", root), mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/harness", root), mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/Makefile", root);
    write_file(path, "CFLAGS += -std=c11 -Ikernels -Iharness $(EXTRA)\n");
    snprintf(path, sizeof path, "%s/harness/up.h", root);
    write_file(path, "int up;\n");
    snprintf(path, sizeof path, "%s/kernels/own.h", root);
    write_file(path, "#include <stdio.h>\n");
    snprintf(path, sizeof path, "%s/kernels/mod.c", root);
    write_file(path, "#include \"own.h\"\n#include \"up.h\"\n#  include <up.h>\n#include \"../harness/up.h\"\n");
    int bad = layering_violations(root, "kernels", report);
    char up_real[PATH_MAX], expect[PATH_MAX + 200];
    snprintf(path, sizeof path, "%s/harness/up.h", root);
    cr_assert(realpath(path, up_real));
    remove_dir(root);
    cr_assert_eq(bad, 3, "%s", report);
    snprintf(expect, sizeof expect, "kernels/mod.c includes \"up.h\", which resolves to %s\n", up_real);
    cr_assert(strstr(report, expect), "missing <%s> in:\n%s", expect, report);
    snprintf(expect, sizeof expect, "kernels/mod.c includes <up.h>, which resolves to %s\n", up_real);
    cr_assert(strstr(report, expect), "missing <%s> in:\n%s", expect, report);
    snprintf(expect, sizeof expect, "kernels/mod.c includes \"../harness/up.h\", which resolves to %s\n", up_real);
    cr_assert(strstr(report, expect), "missing <%s> in:\n%s", expect, report);
    cr_assert_null(strstr(report, "own.h"), "%s", report);
}
