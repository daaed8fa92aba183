/* tests/fuzz/fuzz_yaml.c — libFuzzer target: the model YAML reader
 * (libyaml + model_yaml.c) on the input bytes, then, for what it accepts,
 * parse_model (model_build), the shape passes and the summary at two image
 * sizes, fused and not: every path `ablate model` takes.  A refusal must
 * come with a "FILE:LINE: ..." message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static void check_message(const char *err)
{
    if (strncmp(err, "fuzz.yaml", 9) != 0)
        abort(); /* a refusal without the file name */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[ERR_MAX + 600] = "";
    struct model_yaml *y = model_yaml_parse("fuzz.yaml", (const char *)data, size, err, sizeof err);
    if (!y) {
        check_message(err);
        return 0;
    }
    struct model m;
    int rc = model_build(y, NULL, &m, err, sizeof err);
    free(y);
    if (rc != 0) {
        check_message(err);
        return 0;
    }
    struct model_summary *s = malloc(sizeof *s);
    if (s) {
        if (model_summarize(&m, 640, 0, s, err, sizeof err) != 0)
            check_message(err);
        if (model_summarize(&m, 64, 1, s, err, sizeof err) != 0)
            check_message(err);
        free(s);
    }
    model_free(&m);
    return 0;
}
