/* harness/cli_json.h — `--json` of `ablate info` and `ablate model`: the
 * facts their tables print, as one JSON object (keys: docs/cli.md). */
#ifndef ABLATE_CLI_JSON_H
#define ABLATE_CLI_JSON_H

#include "instance.h"
#include "model.h"

/* One module configuration (`ablate info ... --json`). */
int cli_print_instance_json(const struct instance *m);

/* A model's summary; with_layers adds ultralytics' per-layer table. */
struct model_json_opts {
    int imgsz, fused, with_layers;
};
int cli_print_model_json(const struct model *m, const struct model_summary *s,
                         const struct model_json_opts *o);

#endif
