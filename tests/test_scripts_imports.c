/* tests/test_scripts_imports.c — the PyTorch side imports one way: no
 * module of scripts/torchref/ imports a driver (a .py file right in
 * scripts/), and the import graph among the .py files of scripts/ and
 * scripts/torchref/ has no circle.
 *
 * Read from the text, without Python: every `import A, B as C` and
 * `from M import a, b` line at any indentation (an import inside a
 * function counts: hiding one there does not break a circle), the
 * parenthesised form over several lines too; docstrings and comments are
 * skipped.  `from .x import`, `from . import x` (inside torchref),
 * `from torchref.x import`, `from torchref import x` and `import
 * torchref.x` name torchref/x.py; a plain `import x` names scripts/x.py
 * when there is one.  Names that are no file here (torch, numpy) are
 * not edges. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "graph_circle.h"
#include "test_util.h"

enum { PY_MAX = 96, PY_NAME_MAX = 96, PY_TEXT_MAX = 1 << 18, IMPORT_REPORT_MAX = 8192 };

/* One scripts/ Python file: its path (for messages), its import name
 * ("torch_golden", "torchref.io"), whether it is in the package. */
struct py_file {
    char path[PY_NAME_MAX + 16];
    char module[PY_NAME_MAX];
    int in_package;
};

struct import_graph {
    struct py_file file[PY_MAX];
    int n;
    unsigned char edge[PY_MAX][PY_MAX];
};

static const char *repo_root(void)
{
    const char *r = getenv("ABLATE_ROOT");
    return r && *r ? r : ".";
}

static int module_index(const struct import_graph *g, const char *module)
{
    for (int i = 0; i < g->n; i++)
        if (!strcmp(g->file[i].module, module))
            return i;
    return -1;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct py_file *)a)->path, ((const struct py_file *)b)->path);
}

/* The .py files of ROOT/scripts/SUB ("" or "torchref"), sorted by path
 * (so the first circle found does not depend on the directory order). */
static void add_files(struct import_graph *g, const char *root, const char *sub)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/scripts%s%s", root, *sub ? "/" : "", sub);
    DIR *d = opendir(dir);
    cr_assert(d, "cannot list %s", dir);
    int first = g->n;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 4 || n >= PY_NAME_MAX - 16 || strcmp(e->d_name + n - 3, ".py"))
            continue;
        cr_assert_lt(g->n, PY_MAX, "more than %d Python files under scripts/", PY_MAX);
        struct py_file *f = &g->file[g->n++];
        int stem = (int)(n - 3);
        f->in_package = *sub != 0;
        snprintf(f->path, sizeof f->path, "scripts/%s%s%s", sub, *sub ? "/" : "", e->d_name);
        if (!f->in_package)
            snprintf(f->module, sizeof f->module, "%.*s", stem, e->d_name);
        else if (!strcmp(e->d_name, "__init__.py"))
            snprintf(f->module, sizeof f->module, "%s", sub);
        else
            snprintf(f->module, sizeof f->module, "%s.%.*s", sub, stem, e->d_name);
    }
    closedir(d);
    qsort(g->file + first, (size_t)(g->n - first), sizeof *g->file, by_path);
}

static void add_edge(struct import_graph *g, int from, const char *module)
{
    int to = module_index(g, module);
    if (to >= 0 && to != from)
        g->edge[from][to] = 1;
}

/* Copies the next comma-separated name of *s (without "as X", blanks,
 * parentheses) into name; 0 at the end. */
static int next_name(const char **s, char *name, size_t len)
{
    const char *p = *s;
    while (*p == ' ' || *p == '\t' || *p == '(' || *p == ',')
        p++;
    if (!*p || *p == ')')
        return 0;
    size_t k = strcspn(p, " \t,()");
    snprintf(name, len, "%.*s", (int)(k < len ? k : len - 1), p);
    p += k;
    while (*p && *p != ',' && *p != ')')
        p++; /* skips " as alias" */
    *s = p;
    return 1;
}

/* The absolute module a `from` clause names: ".x" and "." inside the
 * package become "torchref.x" and "torchref". */
static void from_base(const struct py_file *f, const char *clause, char *base, size_t len)
{
    if (clause[0] != '.') {
        snprintf(base, len, "%s", clause);
        return;
    }
    const char *pkg = f->in_package ? "torchref" : "";
    snprintf(base, len, "%s%s%s", pkg, clause[1] && *pkg ? "." : "", clause + 1);
}

/* One logical import statement of file `from` (comment already cut). */
static void read_statement(struct import_graph *g, int from, const char *stmt)
{
    char name[PY_NAME_MAX], base[PY_NAME_MAX], full[2 * PY_NAME_MAX + 2];
    const char *s = stmt;
    if (!strncmp(s, "import ", 7) || !strncmp(s, "import\t", 7)) {
        for (s += 7; next_name(&s, name, sizeof name);)
            add_edge(g, from, name);
        return;
    }
    if (sscanf(s, "from %95s import", name) != 1 || !(s = strstr(s, " import")))
        return;
    from_base(&g->file[from], name, base, sizeof base);
    add_edge(g, from, base);
    for (s += 7; next_name(&s, name, sizeof name);) {
        snprintf(full, sizeof full, "%s.%s", base, name);
        add_edge(g, from, full);
    }
}

/* Counts the docstring quotes (""" or ''') on a line. */
static int triple_quotes(const char *line)
{
    int n = 0;
    for (const char *p = line; *p; p++)
        if ((p[0] == '"' || p[0] == '\'') && p[1] == p[0] && p[2] == p[0])
            n++, p += 2;
    return n;
}

/* The import edges of file i, from its text. */
static void read_imports(struct import_graph *g, const char *root, int i)
{
    static char text[PY_TEXT_MAX];
    char path[PATH_MAX], stmt[2048];
    snprintf(path, sizeof path, "%s/%s", root, g->file[i].path);
    slurp(path, text, sizeof text);
    cr_assert_lt(strlen(text), sizeof text - 1, "%s is over %d bytes", path, PY_TEXT_MAX);
    int in_doc = 0;
    for (char *line = text; line && *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = 0;
        char *p = line + strspn(line, " \t");
        int quotes = triple_quotes(p), skip = in_doc;
        in_doc ^= quotes & 1;
        line = end ? end + 1 : NULL;
        if (skip || (strncmp(p, "import", 6) && strncmp(p, "from", 4)))
            continue;
        snprintf(stmt, sizeof stmt, "%s", p);
        /* `from x import (a,\n b)`: the lines up to the closing parenthesis */
        while (strchr(stmt, '(') && !strchr(stmt, ')') && line && *line) {
            end = strchr(line, '\n');
            if (end)
                *end = 0;
            size_t used = strlen(stmt);
            snprintf(stmt + used, sizeof stmt - used, " %s", line);
            line = end ? end + 1 : NULL;
        }
        stmt[strcspn(stmt, "#")] = 0;
        read_statement(g, i, stmt);
    }
}

/* Every Python file of ROOT/scripts and ROOT/scripts/torchref, and who
 * imports whom. */
static void import_graph_read(struct import_graph *g, const char *root)
{
    memset(g, 0, sizeof *g);
    add_files(g, root, "");
    add_files(g, root, "torchref");
    for (int i = 0; i < g->n; i++)
        read_imports(g, root, i);
}

/* "A imports driver B" for every package module that imports a driver. */
static int driver_imports(const struct import_graph *g, char *report)
{
    char msg[2 * PY_NAME_MAX + 64];
    int bad = 0;
    for (int i = 0; i < g->n; i++)
        for (int j = 0; j < g->n; j++)
            if (g->edge[i][j] && g->file[i].in_package && !g->file[j].in_package) {
                snprintf(msg, sizeof msg, "%s imports the driver %s", g->file[i].path, g->file[j].path);
                graph_append(report, IMPORT_REPORT_MAX, msg);
                bad++;
            }
    return bad;
}

static int import_edge(const void *g, int v, int w)
{
    return ((const struct import_graph *)g)->edge[v][w];
}

static const char *import_name(const void *g, int v)
{
    return ((const struct import_graph *)g)->file[v].path;
}

/* The first circle found, one file a line (first = last), or "". */
static void import_circle(const struct import_graph *g, char *report)
{
    const struct graph_view gv = {g, g->n, import_edge, import_name};
    graph_circle(&gv, report, IMPORT_REPORT_MAX);
}

static int edge_count(const struct import_graph *g)
{
    int n = 0;
    for (int i = 0; i < g->n; i++)
        for (int j = 0; j < g->n; j++)
            n += g->edge[i][j];
    return n;
}

TestSuite(scripts_imports);

Test(scripts_imports, torchref_imports_no_driver_and_no_circle)
{
    static struct import_graph g;
    char report[IMPORT_REPORT_MAX] = "";
    import_graph_read(&g, repo_root());
    int golden = module_index(&g, "torch_golden"), registry = module_index(&g, "torchref.registry");
    cr_assert(golden >= 0 && registry >= 0, "scripts/torch_golden.py or scripts/torchref/registry.py missing");
    /* the reader reads: the driver uses the package, the registry the families */
    cr_assert(g.edge[golden][registry], "no edge torch_golden -> torchref.registry: imports unread?");
    cr_assert_gt(edge_count(&g), g.n, "only %d imports among %d files: imports unread?", edge_count(&g), g.n);
    int bad = driver_imports(&g, report);
    cr_assert_eq(bad, 0, "scripts/torchref/ reaches up into the drivers:\n%s", report);
    import_circle(&g, report);
    cr_assert_str_empty(report, "scripts/ imports in a circle:\n%s", report);
}

static void plant(const char *root, const char *rel, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    write_file(path, text);
}

/* The reader and both checks on a planted tree: torchref/a.py imports b at
 * load time, b.py imports a inside a function (a circle all the same),
 * c.py imports the driver; docstring and comment text is not an import. */
Test(scripts_imports, names_a_planted_circle_and_a_driver_import)
{
    static struct import_graph g;
    char root[64], path[256], report[IMPORT_REPORT_MAX] = "";
    temp_dir(root, sizeof root);
    snprintf(path, sizeof path, "%s/scripts", root), mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/scripts/torchref", root), mkdir(path, 0755);
    plant(root, "scripts/torchref/__init__.py", "\"\"\"The package.\nimport drv\n\"\"\"\n");
    plant(root, "scripts/torchref/a.py", "import torch\nfrom .b import thing  # b\n");
    plant(root, "scripts/torchref/b.py", "def f():\n    from torchref import (\n        a,\n    )\n");
    plant(root, "scripts/torchref/c.py", "import os, drv as D\n");
    plant(root, "scripts/drv.py", "# import other\n'''\nfrom torchref.c import x\n'''\nimport other\n");
    plant(root, "scripts/other.py", "x = 1\n");
    import_graph_read(&g, root);
    remove_dir(root);
    cr_assert_eq(edge_count(&g), 5, "a->b, b->torchref, b->a, c->drv, drv->other; got %d", edge_count(&g));
    int bad = driver_imports(&g, report);
    cr_assert_eq(bad, 1, "%s", report);
    cr_assert_str_eq(report, "scripts/torchref/c.py imports the driver scripts/drv.py\n");
    import_circle(&g, report);
    cr_assert_str_eq(report, "scripts/torchref/a.py\nscripts/torchref/b.py\nscripts/torchref/a.py\n");
    int a = module_index(&g, "torchref.a"), b = module_index(&g, "torchref.b");
    cr_assert(a >= 0 && b >= 0);
    g.edge[b][a] = 0; /* b no longer imports a: one way */
    import_circle(&g, report);
    cr_assert_str_empty(report);
}
