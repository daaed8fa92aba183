/* harness/run_meta.h — a run folder's meta.json read back (meta.c writes it). */
#ifndef ABLATE_RUN_META_H
#define ABLATE_RUN_META_H

#include <stddef.h>

struct run_meta {
    char experiment[64], command[1024], date[32], commit[64];
    char fp_id[17], cpu_model[128], cpu_flags[256], blas_core[64], blas_config[128];
    char blas_core_detected[64]; /* OpenBLAS's own pick where ablate overruled it; "" */
    char compiler[128], cuda_device[128];
    int cores;
    int sched_autogroup; /* 1, 0, or -1 where meta.json does not say (older runs) */
};

/* Reads DIR/meta.json; missing fields stay "".  0, or -1 with err
 * ("DIR/meta.json: cannot read (...)" / "...: not JSON: ..."). */
int run_meta_read(const char *dir, struct run_meta *m, char *err, size_t errlen);

/* The BLAS core the run used, for a report's machine line: "Cooperlake",
 * or "Cooperlake (OpenBLAS detected Prescott)" where ablate overruled a
 * generic pick (docs/measurement.md). */
void run_meta_blas_text(const struct run_meta *m, char *buf, size_t len);

#endif
