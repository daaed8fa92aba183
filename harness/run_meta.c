/* harness/run_meta.c — meta.json back into a struct, with jansson. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#include "run_meta.h"

static void get_str(json_t *o, const char *key, char *buf, size_t len)
{
    const char *s = json_string_value(json_object_get(o, key));
    snprintf(buf, len, "%s", s ? s : "");
}

int run_meta_read(const char *dir, struct run_meta *m, char *err, size_t errlen)
{
    char path[4200];
    json_error_t je;
    memset(m, 0, sizeof *m);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "%s: cannot read (%s)", path, strerror(errno));
        return -1;
    }
    json_t *root = json_load_file(path, 0, &je);
    if (!root || !json_is_object(root)) {
        snprintf(err, errlen, "%s: not JSON: %s", path, root ? "not an object" : je.text);
        json_decref(root);
        return -1;
    }
    get_str(root, "experiment", m->experiment, sizeof m->experiment);
    get_str(root, "command", m->command, sizeof m->command);
    get_str(root, "date", m->date, sizeof m->date);
    get_str(root, "commit", m->commit, sizeof m->commit);
    json_t *fp = json_object_get(root, "fingerprint");
    get_str(fp, "id", m->fp_id, sizeof m->fp_id);
    get_str(fp, "cpu_model", m->cpu_model, sizeof m->cpu_model);
    get_str(fp, "cpu_flags", m->cpu_flags, sizeof m->cpu_flags);
    get_str(fp, "blas_core", m->blas_core, sizeof m->blas_core);
    get_str(fp, "blas_config", m->blas_config, sizeof m->blas_config);
    get_str(fp, "blas_core_detected", m->blas_core_detected, sizeof m->blas_core_detected);
    get_str(fp, "compiler", m->compiler, sizeof m->compiler);
    get_str(fp, "cuda_device", m->cuda_device, sizeof m->cuda_device);
    m->cores = (int)json_integer_value(json_object_get(fp, "cores"));
    json_t *autogroup = json_object_get(fp, "sched_autogroup");
    m->sched_autogroup = json_is_integer(autogroup) ? (int)json_integer_value(autogroup) : -1;
    json_decref(root);
    return 0;
}

void run_meta_blas_text(const struct run_meta *m, char *buf, size_t len)
{
    if (m->blas_core_detected[0])
        snprintf(buf, len, "%s (OpenBLAS detected %s)", m->blas_core, m->blas_core_detected);
    else
        snprintf(buf, len, "%s", m->blas_core);
}
