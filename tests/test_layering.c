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

#include "graph_circle.h"
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

/* ------------------------------------------------------ call circles */

/* Which harness/ object calls which, from `nm -A` of the library: an edge
 * a -> b when a.o uses a symbol b.o defines.  A circle means two files
 * that each need the other (what harness/model*.c had before
 * model_common.c): the graph must have none. */
enum { OBJS_MAX = 160, SYMS_MAX = 8192, NAME_MAX_LEN = 128 };

struct call_graph {
    char obj[OBJS_MAX][NAME_MAX_LEN];
    int n;
    unsigned char edge[OBJS_MAX][OBJS_MAX];
};

struct symbol {
    char name[NAME_MAX_LEN];
    int obj;
};

static int obj_index(const struct call_graph *g, const char *name)
{
    for (int i = 0; i < g->n; i++)
        if (!strcmp(g->obj[i], name))
            return i;
    return -1;
}

static int symbol_cmp(const void *a, const void *b)
{
    return strcmp(((const struct symbol *)a)->name, ((const struct symbol *)b)->name);
}

/* One `nm -A` line: "ARCHIVE:MEMBER:VALUE TYPE NAME" or "ARCHIVE:MEMBER:  U NAME". */
static int parse_nm_line(const char *line, char *member, char *type, char *sym)
{
    const char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
    if (!b || b - a - 1 >= NAME_MAX_LEN)
        return 0;
    snprintf(member, NAME_MAX_LEN, "%.*s", (int)(b - a - 1), a + 1);
    char f1[NAME_MAX_LEN], f2[NAME_MAX_LEN], f3[NAME_MAX_LEN];
    int k = sscanf(b + 1, "%127s %127s %127s", f1, f2, f3);
    if (k == 2 && !strcmp(f1, "U"))
        return *type = 'U', snprintf(sym, NAME_MAX_LEN, "%s", f2), 1;
    if (k == 3 && strlen(f2) == 1 && strchr("TDBR", f2[0]))
        return *type = f2[0], snprintf(sym, NAME_MAX_LEN, "%s", f3), 1;
    return 0;
}

/* Reads nm's text twice over: definitions first, then the uses. */
static void call_graph_read(struct call_graph *g, const char *nm_text)
{
    static struct symbol defs[SYMS_MAX];
    char member[NAME_MAX_LEN], sym[NAME_MAX_LEN], type;
    int ndefs = 0;
    memset(g->edge, 0, sizeof g->edge);
    for (int pass = 0; pass < 2; pass++) {
        for (const char *line = nm_text; *line;) {
            const char *end = strchr(line, '\n');
            char buf[512];
            size_t len = end ? (size_t)(end - line) : strlen(line);
            snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), line);
            line += len + (end != NULL);
            int o = parse_nm_line(buf, member, &type, sym) ? obj_index(g, member) : -1;
            if (o < 0)
                continue;
            if (pass == 0 && type != 'U') {
                cr_assert_lt(ndefs, SYMS_MAX, "more than %d symbols", SYMS_MAX);
                snprintf(defs[ndefs].name, NAME_MAX_LEN, "%s", sym), defs[ndefs++].obj = o;
            } else if (pass == 1 && type == 'U') {
                struct symbol key;
                snprintf(key.name, NAME_MAX_LEN, "%s", sym);
                const struct symbol *d = bsearch(&key, defs, (size_t)ndefs, sizeof *defs, symbol_cmp);
                if (d && d->obj != o)
                    g->edge[o][d->obj] = 1;
            }
        }
        if (pass == 0)
            qsort(defs, (size_t)ndefs, sizeof *defs, symbol_cmp);
    }
}

static int call_edge(const void *g, int v, int w)
{
    return ((const struct call_graph *)g)->edge[v][w];
}

static const char *call_name(const void *g, int v)
{
    return ((const struct call_graph *)g)->obj[v];
}

/* The first circle found, one object a line (first = last), or "". */
static void call_graph_circle(const struct call_graph *g, char *report)
{
    const struct graph_view gv = {g, g->n, call_edge, call_name};
    graph_circle(&gv, report, REPORT_MAX);
}

/* The objects of ROOT/DIR's *.c files. */
static void call_graph_objects(struct call_graph *g, const char *root, const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, dir);
    DIR *d = opendir(path);
    cr_assert(d, "cannot list %s", path);
    g->n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n > 2 && n < NAME_MAX_LEN && !strcmp(e->d_name + n - 2, ".c") && g->n < OBJS_MAX)
            snprintf(g->obj[g->n++], NAME_MAX_LEN, "%.*s.o", (int)(n - 2), e->d_name);
    }
    closedir(d);
}

Test(layering, harness_files_call_one_way)
{
    static struct call_graph g;
    char lib[PATH_MAX], report[REPORT_MAX], cmd[PATH_MAX + 64];
    snprintf(lib, sizeof lib, "%s", ablate_bin());
    char *slash = strrchr(lib, '/');
    snprintf(slash ? slash + 1 : lib, sizeof lib - (size_t)(slash ? slash + 1 - lib : 0), "libablate.a");
    call_graph_objects(&g, repo_root(), "harness");
    cr_assert_gt(g.n, 50, "only %d harness sources", g.n);
    snprintf(cmd, sizeof cmd, "nm -A '%s'", lib);
    static char text[1 << 20];
    FILE *p = popen(cmd, "r");
    cr_assert(p, "cannot run %s", cmd);
    size_t n = fread(text, 1, sizeof text - 1, p);
    text[n] = 0;
    cr_assert_eq(pclose(p), 0, "%s failed", cmd);
    cr_assert_lt(n, sizeof text - 1, "nm output over %zu bytes", sizeof text);
    call_graph_read(&g, text);
    int edges = 0;
    for (int i = 0; i < g.n; i++)
        for (int j = 0; j < g.n; j++)
            edges += g.edge[i][j];
    cr_assert_gt(edges, g.n, "only %d calls between %d harness objects: nm output unread?", edges, g.n);
    call_graph_circle(&g, report);
    cr_assert_str_empty(report, "harness/ files call each other in a circle:\n%s", report);
}

/* The circle finder itself, on nm text with a.o -> b.o -> c.o -> a.o. */
Test(layering, names_a_call_circle)
{
    static struct call_graph g = {.obj = {"a.o", "b.o", "c.o", "d.o"}, .n = 4};
    char report[REPORT_MAX];
    const char *nm_text = "lib.a:a.o:0000 T fa\nlib.a:a.o:         U fb\n"
                          "lib.a:b.o:0000 T fb\nlib.a:b.o:         U fc\nlib.a:b.o:         U printf\n"
                          "lib.a:c.o:0000 T fc\nlib.a:c.o:         U fa\n"
                          "lib.a:d.o:0000 T fd\nlib.a:d.o:         U fa\n";
    call_graph_read(&g, nm_text);
    call_graph_circle(&g, report);
    cr_assert_str_eq(report, "a.o\nb.o\nc.o\na.o\n");
    g.edge[2][0] = 0; /* c no longer calls a: one way */
    call_graph_circle(&g, report);
    cr_assert_str_empty(report);
}
