/* harness/charts_label.c — the words on a chart's lines (charts_data.h):
 * what tells a line apart from the others of the chart.  Split from
 * charts.c, which builds the lines. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "charts_data.h"
#include "results_view.h"

/* 1 when key tells s apart from another line of the same layer and label
 * (grid=ij / grid=xy); arguments that only follow the layer (inc, outc)
 * do not. */
static int key_varies(const struct chart_data *c, const struct chart_series *s, const char *key)
{
    char mine[64], other[64];
    int had = results_arg_value(s->rest, key, mine, sizeof mine);
    for (int i = 0; i < c->ns; i++)
        if (!strcmp(c->s[i].group, s->group) &&
            (results_arg_value(c->s[i].rest, key, other, sizeof other) != had || strcmp(mine, other)))
            return 1;
    return 0;
}

static void append_label(struct chart_series *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append_label(struct chart_series *s, const char *fmt, ...)
{
    size_t used = strlen(s->label);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->label + used, sizeof s->label - used, fmt, ap);
    va_end(ap);
}

/* Labels say what tells lines apart: the layer when `by` is an argument
 * and there are several, the other arguments that vary, the threads. */
void charts_distinguish(struct chart_data *c, int by_arg)
{
    int sites = 0, mixed = 0;
    for (int i = 0; i < c->ns; i++) {
        sites |= strcmp(c->s[i].site, c->s[0].site) != 0;
        mixed |= c->s[i].threads != c->s[0].threads;
    }
    for (int i = 0; i < c->ns; i++) {
        struct chart_series *s = &c->s[i];
        if (by_arg && sites)
            append_label(s, ", %s", s->site);
        char rest[256], *save = NULL;
        snprintf(rest, sizeof rest, "%s", s->rest);
        for (char *kv = strtok_r(rest, ":", &save); kv; kv = strtok_r(NULL, ":", &save)) {
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)strcspn(kv, "="), kv);
            if (key_varies(c, s, key))
                append_label(s, ", %s", kv);
        }
        if (mixed)
            append_label(s, ", %d thread%s", s->threads, s->threads > 1 ? "s" : "");
    }
}
