/* harness/model.c — parse_model (ultralytics 8.x, MODULES.md 2.1): each
 * YAML layer becomes a row with its constructor arguments, the channels
 * flow from layer to layer, and the model gets the name ultralytics
 * prints.  What a row accepts from a YAML is the row's own `yaml` field
 * (kernels/ops.h); Upsample and Concat are plumbing, handled here.
 * The top of the build: it calls model_rows.c and model_shape.c, which
 * never call back (model_internal.h has the direction). */
#include "model.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model_internal.h"

#define REPEATS_MAX 1000

/* ------------------------------------------------------------ scale, name */

/* "yolov8n-AKConv" -> the scale letter after "yolov<digits>", or 0. */
static const char *digits_end(const char *stem)
{
    const char *p = strcasestr(stem, "yolov");
    if (!p || !isdigit((unsigned char)p[5]))
        return NULL;
    for (p += 5; isdigit((unsigned char)*p);)
        p++;
    return p;
}

static void stem_of(const char *path, char *stem, size_t len)
{
    const char *base = strrchr(path, '/');
    snprintf(stem, len, "%s", base ? base + 1 : path);
    char *dot = strrchr(stem, '.');
    if (dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml")))
        *dot = 0;
}

/* ultralytics: yaml_file "yolov8n-AKConv.yaml" prints "YOLOv8n-AKConv"; a
 * scale given apart (yolov8.yaml + n) is put where that name has it. */
static void model_name(const char *path, const char *scale, char *name, size_t len)
{
    char stem[256], out[512];
    stem_of(path, stem, sizeof stem);
    const char *end = digits_end(stem);
    if (end && !strchr("nslmx", *end ? *end : '?') && scale[0])
        snprintf(out, sizeof out, "%.*s%s%s", (int)(end - stem), stem, scale, end);
    else
        snprintf(out, sizeof out, "%s", stem);
    size_t used = 0;
    for (const char *p = out; *p && used + 1 < len; p++) {
        if (!strncmp(p, "yolo", 4) && used + 4 < len) {
            memcpy(name + used, "YOLO", 4), used += 4, p += 3;
        } else
            name[used++] = *p;
    }
    name[used] = 0;
}

static int pick_scale(const struct model_yaml *y, const char *want, struct model *m,
                      struct yaml_scale *out, char *err, size_t errlen)
{
    char stem[256], guess[2] = {0, 0};
    stem_of(y->path, stem, sizeof stem);
    const char *end = digits_end(stem);
    if (end && *end && strchr("nslmx", *end))
        guess[0] = *end;
    if (!want)
        want = guess[0] ? guess : y->nscales ? y->scales[0].name : "";
    if (!y->nscales) {
        if (want[0] && !guess[0]) {
            snprintf(err, errlen, "%s:1: scale '%s' asked for, but the YAML has no scales", y->path,
                     want);
            return -1;
        }
        *out = (struct yaml_scale){"", y->depth_multiple, y->width_multiple, INFINITY, 0};
        return 0;
    }
    char known[256] = "";
    for (int i = 0; i < y->nscales; i++) {
        if (!strcmp(y->scales[i].name, want)) {
            *out = y->scales[i];
            snprintf(m->scale, sizeof m->scale, "%s", want);
            return 0;
        }
        size_t used = strlen(known);
        snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", y->scales[i].name);
    }
    snprintf(err, errlen, "%s:%d: unknown scale '%s' (scales: %s)", y->path, y->scales_line, want,
             known);
    return -1;
}

/* ---------------------------------------------------------------- layers */

static int resolve_from(struct model *m, int i, char *err, size_t errlen)
{
    struct model_layer *L = &m->layers[i];
    for (int k = 0; k < L->nfrom; k++) {
        int f = L->from[k], src = f < 0 ? i + f : f;
        if (f == -1 && i == 0)
            src = -1; /* the image */
        else if (src < 0 || src >= i)
            return layer_fail(m, i, err, errlen,
                              "bad from index %d (an earlier layer: -1, -2, ... or 0 to %d)", f,
                              i - 1);
        L->src[k] = src;
    }
    return 0;
}

static int channels_of(const int *ch, int src) { return src < 0 ? 3 : ch[src]; }

static const char *const upsample_names[] = {"nn.Upsample", "Upsample", "torch.nn.Upsample"};

static void known_modules(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < op_count && used < len; i++)
        if (op_table[i]->yaml)
            used += (size_t)snprintf(buf + used, len - used, "%s, ", op_table[i]->name);
    if (used < len)
        snprintf(buf + used, len - used, "nn.Upsample, Concat");
}

static int find_module(struct model *m, int i, const char *name, char *err, size_t errlen)
{
    struct model_layer *L = &m->layers[i];
    for (size_t k = 0; k < sizeof upsample_names / sizeof *upsample_names; k++)
        if (!strcmp(name, upsample_names[k])) {
            L->kind = LAYER_UPSAMPLE;
            snprintf(L->type_name, sizeof L->type_name, "torch.nn.modules.upsampling.Upsample");
            return 0;
        }
    if (!strcmp(name, "Concat")) {
        L->kind = LAYER_CONCAT;
        snprintf(L->type_name, sizeof L->type_name, "ultralytics.nn.modules.conv.Concat");
        return 0;
    }
    L->kind = LAYER_OP;
    L->op = op_find(name);
    if (!L->op || !L->op->yaml) {
        char known[1024];
        known_modules(known, sizeof known);
        return layer_fail(m, i, err, errlen, "%s module '%s' (known: %s)",
                          L->op ? "not usable in a model:" : "unknown", name, known);
    }
    snprintf(L->type_name, sizeof L->type_name, "%s",
             L->op->yaml->torch_type ? L->op->yaml->torch_type : L->op->name);
    return 0;
}

/* n' = max(round(n * depth), 1) if n > 1 else n; round is half-to-even. */
static int depth_gain(long n, double depth)
{
    if (n <= 1)
        return (int)n;
    double r = rint((double)n * depth);
    return r < 1 ? 1 : r > REPEATS_MAX ? -1 : (int)r; /* -1: out of range */
}

static int build_layer(struct model *m, const struct model_yaml *y, int i, int *ch,
                       const struct yaml_scale *sc, char *err, size_t errlen)
{
    const struct yaml_layer *Y = &y->layers[i];
    struct model_layer *L = &m->layers[i];
    L->line = Y->line;
    L->nfrom = Y->nfrom;
    L->from_is_list = Y->from_is_list;
    memcpy(L->from, Y->from, sizeof L->from);
    if (find_module(m, i, Y->module, err, errlen) != 0 || resolve_from(m, i, err, errlen) != 0)
        return -1;
    L->repeats = depth_gain(Y->repeats, sc->depth);
    if (L->repeats < 1)
        return layer_fail(m, i, err, errlen, "repeats x depth must be from 1 to %d", REPEATS_MAX);
    L->copies = 1;
    int c1 = channels_of(ch, L->src[0]);
    if (L->kind == LAYER_UPSAMPLE)
        return build_upsample(m, Y, i, c1, &ch[i], err, errlen);
    if (L->kind == LAYER_CONCAT)
        return build_concat(m, Y, i, ch, &ch[i], err, errlen);
    if (L->op->yaml->branch == YAML_DETECT)
        return build_detect(m, y, i, ch, err, errlen);
    if (L->nfrom != 1)
        return layer_fail(m, i, err, errlen, "%s takes one input (from has %d)", L->op->name,
                          L->nfrom);
    return build_row(m, y, i, c1, sc, &ch[i], err, errlen);
}

int model_build(const struct model_yaml *y, const char *scale, struct model *m, char *err,
                size_t errlen)
{
    memset(m, 0, sizeof *m);
    snprintf(m->path, sizeof m->path, "%s", y->path);
    m->nc = y->nc;
    struct yaml_scale sc;
    if (pick_scale(y, scale, m, &sc, err, errlen) != 0)
        return -1;
    model_name(y->path, m->scale, m->name, sizeof m->name);
    m->layers = calloc((size_t)y->nlayers, sizeof *m->layers);
    int *ch = calloc((size_t)y->nlayers, sizeof *ch);
    if (!m->layers || !ch) {
        free(ch);
        model_free(m);
        snprintf(err, errlen, "%s: out of memory", y->path);
        return -1;
    }
    m->nlayers = y->nlayers;
    for (int i = 0; i < y->nlayers; i++)
        if (build_layer(m, y, i, ch, &sc, err, errlen) != 0) {
            free(ch);
            model_free(m);
            return -1;
        }
    free(ch);
    if (model_set_strides(m, err, errlen) != 0) {
        model_free(m);
        return -1;
    }
    return 0;
}
