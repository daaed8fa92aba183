/* tests/test_docs.c — the README stays short and every relative link in
 * README.md and docs/ leads somewhere: the file exists and, where the link
 * names a #fragment, a heading of that file has that GitHub anchor.
 * Runs from the repository root (scripts/run_tests.sh). */
#include <criterion/criterion.h>
#include <ctype.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"

#define README_MAX_LINES 200

/* The whole file, NUL-terminated, on the heap (the caller frees it): a
 * fixed buffer cut docs/modules/perf_deform.md (360 KB) at 256 KB, and
 * links into or out of the rest went unchecked. */
static char *read_doc(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0, "%s: cannot seek", path);
    long size = ftell(f);
    cr_assert(size >= 0 && fseek(f, 0, SEEK_SET) == 0, "%s: cannot seek", path);
    char *buf = malloc((size_t)size + 1);
    cr_assert_not_null(buf);
    size_t n = fread(buf, 1, (size_t)size, f);
    fclose(f);
    cr_assert_eq(n, (size_t)size, "%s: read %zu of %ld bytes", path, n, size);
    buf[n] = 0;
    return buf;
}

/* Non-ASCII punctuation and symbols these docs put in headings, which
 * GitHub drops from anchors as it drops ASCII punctuation (it keeps
 * letters, marks and digits: \p{L}\p{M}\p{N}). */
static const char *const DROPPED_UTF8[] = {
    "\u2013", "\u2014", "\u00d7", "\u00f7", "\u2264", "\u2265", "\u2192", "\u00b1", "\u2248", "\u2212",
};

/* Length of the dropped symbol p starts with, or 0. */
static size_t dropped_symbol(const unsigned char *p)
{
    for (size_t i = 0; i < sizeof DROPPED_UTF8 / sizeof DROPPED_UTF8[0]; i++) {
        size_t n = strlen(DROPPED_UTF8[i]);
        if (strncmp((const char *)p, DROPPED_UTF8[i], n) == 0)
            return n;
    }
    return 0;
}

/* GitHub's heading anchor: lower case, punctuation other than '-' and '_'
 * dropped (the non-ASCII symbols above too), spaces to '-'. Other
 * non-ASCII bytes are kept as GitHub keeps letters (not lower-cased, as
 * GitHub would: no heading here has a capital non-ASCII letter). */
static void heading_slug(const char *heading, char *slug, size_t len)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)heading; *p && *p != '\n' && k + 1 < len; p++) {
        size_t skip = *p >= 0x80 ? dropped_symbol(p) : 0;
        if (skip)
            p += skip - 1;
        else if (*p == ' ')
            slug[k++] = '-';
        else if (*p >= 0x80 || isalnum(*p) || *p == '-' || *p == '_')
            slug[k++] = (char)tolower(*p);
    }
    slug[k] = 0;
}

/* Does markdown TEXT have a heading whose anchor is ANCHOR? */
static int has_anchor(const char *text, const char *anchor)
{
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (*line != '#')
            continue;
        const char *h = line;
        while (*h == '#')
            h++;
        while (*h == ' ')
            h++;
        char slug[512];
        heading_slug(h, slug, sizeof slug);
        if (strcmp(slug, anchor) == 0)
            return 1;
    }
    return 0;
}

/* What is wrong with one link target written in the markdown file DOC
 * (whose text is DOC_TEXT): 0 and WHY empty when nothing is. */
static int link_problem(const char *doc, const char *doc_text, const char *target, char *why, size_t len)
{
    *why = 0;
    if (strncmp(target, "http://", 7) == 0 || strncmp(target, "https://", 8) == 0 ||
        strncmp(target, "mailto:", 7) == 0)
        return 0;
    const char *hash = strchr(target, '#');
    size_t plen = hash ? (size_t)(hash - target) : strlen(target);
    const char *anchor = hash ? hash + 1 : "";
    char dir[PATH_MAX], path[PATH_MAX + 1100];
    snprintf(dir, sizeof dir, "%s", doc);
    snprintf(path, sizeof path, "%s/%.*s", dirname(dir), (int)plen, target);
    const char *text = doc_text;
    char *other = NULL;
    if (plen > 0) {
        if (access(path, F_OK) != 0) {
            snprintf(why, len, "%s: link (%s) leads to no file (%s)", doc, target, path);
            return 1;
        }
        size_t n = strlen(path);
        if (!*anchor || n < 4 || strcmp(path + n - 3, ".md") != 0)
            return 0;
        text = other = read_doc(path);
    }
    int missing = *anchor && !has_anchor(text, anchor);
    if (missing)
        snprintf(why, len, "%s: link (%s): no heading with anchor #%s", doc, target, anchor);
    free(other);
    return missing;
}

/* Every ](target) of one markdown file; the first problem, or 0. */
static int doc_links_problem(const char *doc, char *why, size_t len)
{
    char *copy = read_doc(doc);
    int problem = 0;
    for (const char *p = strstr(copy, "]("); p && !problem; p = strstr(p + 2, "](")) {
        const char *start = p + 2, *end = strchr(start, ')');
        if (!end || end - start >= 1024 || memchr(start, ' ', (size_t)(end - start)))
            continue;
        char target[1024];
        snprintf(target, sizeof target, "%.*s", (int)(end - start), start);
        problem = link_problem(doc, copy, target, why, len);
    }
    free(copy);
    return problem;
}

static void check_doc_links(const char *doc)
{
    char why[4096];
    cr_assert_eq(doc_links_problem(doc, why, sizeof why), 0, "%s", why);
}

Test(docs, readme_is_short)
{
    char *text = read_doc("README.md");
    int lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    free(text);
    cr_assert(lines <= README_MAX_LINES, "README.md has %d lines (at most %d: details go to docs/)", lines,
              README_MAX_LINES);
}

Test(docs, every_relative_link_resolves)
{
    check_doc_links("README.md");
    const char *patterns[] = {"docs/*.md", "docs/*/*.md"};
    int pages = 0;
    for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++) {
        glob_t g;
        if (glob(patterns[i], 0, NULL, &g) != 0)
            continue;
        for (size_t k = 0; k < g.gl_pathc; k++, pages++)
            check_doc_links(g.gl_pathv[k]);
        globfree(&g);
    }
    cr_assert(pages >= 5, "expected the docs/ pages, found %d", pages);
}

Test(docs, link_checker_catches_broken_links)
{
    char dir[] = "/tmp/ablate-docs-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char a[PATH_MAX], b[PATH_MAX], why[4096];
    snprintf(a, sizeof a, "%s/a.md", dir);
    snprintf(b, sizeof b, "%s/b.md", dir);
    write_file(b, "# Placement sweeps: `make sweep`\n");
    write_file(a, "[ok](b.md) [ok](b.md#placement-sweeps-make-sweep) [web](https://x.org/y)\n");
    cr_assert_eq(doc_links_problem(a, why, sizeof why), 0, "%s", why);
    write_file(a, "see [b](b.md#placement)\n");
    cr_assert_eq(doc_links_problem(a, why, sizeof why), 1);
    cr_assert(strstr(why, "no heading with anchor #placement"), "%s", why);
    write_file(a, "see [c](c.md)\n");
    cr_assert_eq(doc_links_problem(a, why, sizeof why), 1);
    cr_assert(strstr(why, "leads to no file"), "%s", why);
    remove_dir(dir);
}

Test(docs, anchors_drop_non_ascii_punctuation)
{
    char slug[128];
    heading_slug("DCNv3 ≥ 0.8× at L16 – 2 threads (21:45–21:46 UTC)", slug, sizeof slug);
    cr_assert_str_eq(slug, "dcnv3--08-at-l16--2-threads-21452146-utc");
}
