/* harness/results_open.c — opening a results CSV for appending (see
 * results.h): a new file gets the header; an existing one is checked to
 * have today's columns and has a killed writer's half row mended first. */
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results.h"

static void count_one(void *s, size_t len, void *data)
{
    (void)s, (void)len;
    ++*(int *)data;
}

/* Fields in one line of CSV text (quotes respected). */
static int count_fields(const char *text, size_t len)
{
    struct csv_parser p;
    int n = 0;
    if (csv_init(&p, 0) != 0)
        return -1;
    if (csv_parse(&p, text, len, count_one, NULL, &n) != len || csv_fini(&p, count_one, NULL, &n) != 0)
        n = -1;
    csv_free(&p);
    return n;
}

static int write_header(int fd, const char *path, char *err, size_t errlen)
{
    char line[1024];
    size_t used = 0;
    for (int i = 0; i < results_ncolumns; i++)
        used += (size_t)snprintf(line + used, sizeof line - used, "%s%s", i ? "," : "", results_columns[i]);
    line[used++] = '\n';
    if (write(fd, line, used) != (ssize_t)used) {
        snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno ? errno : EIO));
        return -1;
    }
    return 0;
}

/* Offset just after the last '\n' of the first `size` bytes (0 if none). */
static int last_line_start(int fd, off_t size, off_t *start)
{
    char chunk[4096];
    for (off_t end = size; end > 0;) {
        off_t from = end > (off_t)sizeof chunk ? end - (off_t)sizeof chunk : 0;
        ssize_t got = pread(fd, chunk, (size_t)(end - from), from);
        if (got != end - from)
            return -1;
        for (ssize_t i = got - 1; i >= 0; i--)
            if (chunk[i] == '\n') {
                *start = from + i + 1;
                return 0;
            }
        end = from;
    }
    *start = 0;
    return 0;
}

/* A process killed mid-row leaves a last line without '\n'.  Appending
 * after it would glue the next row onto it, so: a line with every field
 * (results_read keeps it) gets its '\n'; a shorter one is cut off, as
 * results_read ignores it and --resume will redo that row. */
static int mend_last_line(int fd, const char *path, char *err, size_t errlen)
{
    struct stat st;
    char last;
    if (fstat(fd, &st) != 0 || (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)) {
        snprintf(err, errlen, "%s: cannot read (%s)", path, strerror(errno ? errno : EIO));
        return -1;
    }
    if (st.st_size == 0 || last == '\n')
        return 0;
    off_t start;
    if (last_line_start(fd, st.st_size, &start) != 0) {
        snprintf(err, errlen, "%s: cannot read (%s)", path, strerror(errno ? errno : EIO));
        return -1;
    }
    char tail[8192]; /* rows are far shorter: a longer tail is no row of ours */
    size_t n = (size_t)(st.st_size - start);
    int complete = n < sizeof tail && pread(fd, tail, n, start) == (ssize_t)n &&
                   count_fields(tail, n) == results_ncolumns;
    int rc = complete ? (write(fd, "\n", 1) == 1 ? 0 : -1) : ftruncate(fd, start);
    if (rc != 0)
        snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno ? errno : EIO));
    return rc;
}

/* Rows may only be appended under a header of today's columns. */
static int check_appendable(const char *path, char *err, size_t errlen)
{
    struct result_row *rows;
    int ncols, n = results_read_columns(path, &rows, &ncols, err, errlen);
    free(rows);
    if (n >= 0 && ncols != results_ncolumns)
        snprintf(err, errlen,
                 "%s: written by an older ablate (no '%s' column): rows cannot be appended to it; "
                 "run into a new --out folder",
                 path, results_columns[ncols]);
    return n < 0 || ncols != results_ncolumns ? -1 : 0;
}

FILE *results_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    int rc = mend_last_line(fd, path, err, errlen);
    if (rc == 0 && fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot read (%s)", path, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && st.st_size == 0)
        rc = write_header(fd, path, err, errlen);
    else if (rc == 0) /* appending to a file with other columns would corrupt it */
        rc = check_appendable(path, err, errlen);
    FILE *f = rc == 0 ? fdopen(fd, "a") : NULL;
    if (rc == 0 && !f)
        snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
    if (!f)
        close(fd);
    return f;
}
