/* harness/placement.h — placement sweeps: a base model YAML and where to
 * put a module (replace the module at some layers, or insert a
 * channel-keeping one after some layers), each placement measured as a
 * whole model (summary counts + generated end-to-end latency) against the
 * unmodified base.  `ablate placement FILE.lua`; `make sweep EXP=placement_*`. */
#ifndef ABLATE_PLACEMENT_H
#define ABLATE_PLACEMENT_H

#include "model_yaml.h"
#include "ops.h"

struct fma_rate; /* fma_rate.h */

#define PLACE_VARIANTS_MAX 64
#define PLACE_AT_MAX 16
#define PLACE_WITH_MAX 8
#define PLACE_SCALES_MAX 5
#define PLACE_THREADS_MAX 4
#define PLACE_LABEL_MAX 47 /* results.csv's module column */

/* One placement: `op` replaces the `replace` module at layers at[], or
 * (insert) is put after each of them.  Indices are the base model's. */
struct placement_variant {
    char label[128]; /* "AKConv at 1,3,5", "ACmix after 15" */
    int insert;
    char replace[YAML_TEXT_MAX];
    const struct op *op;
    int nwith;
    char with_key[PLACE_WITH_MAX][32], with_val[PLACE_WITH_MAX][32];
    int nat, at[PLACE_AT_MAX];
};

struct placement_plan {
    char file[512], name[64], model_path[512];
    int nscales, imgsz, nthreads, quick;
    char scales[PLACE_SCALES_MAX][YAML_TEXT_MAX];
    int threads[PLACE_THREADS_MAX];
    double timeout_s;
    int nvariants;
    struct placement_variant v[PLACE_VARIANTS_MAX];
};

/* Runs FILE (which returns placement { ... }); every key, index and module
 * is checked (each variant is built) before anything runs.  0, or -1 with
 * "FILE:LINE: placement: problem". */
int placement_load(const char *file, const char *root, int quick, struct placement_plan *p,
                   char *err, size_t errlen);

/* The base YAML with variant v applied, into *out (a copy).  0, or -1 with
 * "problem" (no FILE:LINE: the caller adds the script's). */
int placement_apply(const struct model_yaml *base, const struct placement_variant *v,
                    struct model_yaml *out, char *err, size_t errlen);

struct placement_opts {
    const char *out; /* run folder; NULL = runs/<name>/<stamp> */
    int resume;
    const char *root;
    const struct fma_rate *fma; /* the rate the kernels are built for (meta.json) */
    int argc;
    char **argv;
};

/* Measures the base and every variant at every scale and thread count into
 * DIR/results.csv, prints and writes the summary (summary.md), draws the
 * params-vs-latency chart.  0, or -1 with err on a setup error. */
int placement_run(const struct placement_plan *p, const struct placement_opts *o, char *err,
                  size_t errlen);

#endif
