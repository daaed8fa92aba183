/* tests/run_fixture.h — a run folder as a sweep leaves it (results.csv,
 * meta.json, peak.json) without running one. */
#ifndef ABLATE_RUN_FIXTURE_H
#define ABLATE_RUN_FIXTURE_H

#include <sys/stat.h>

#include "test_util.h"

/* DIR/meta.json with fingerprint id fp and commit. */
static inline void run_fixture_meta(const char *dir, const char *fp, const char *commit)
{
    char path[512], text[1024];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    snprintf(text, sizeof text,
             "{\"experiment\": \"fixture\", \"command\": \"./build/ablate sweep experiments/fixture.lua --quick\",\n"
             " \"date\": \"2026-11-23T10:00:00Z\", \"commit\": \"%s\",\n"
             " \"fingerprint\": {\"id\": \"%s\", \"cpu_model\": \"Test CPU\", \"cores\": 2,\n"
             "   \"cpu_flags\": \"avx2 fma\", \"blas_core\": \"Zen\", \"compiler\": \"cc 12\", \"cuda_device\": \"none\"}}\n",
             commit, fp);
    write_file(path, text);
}

static inline void run_fixture_peak(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/peak.json", dir);
    write_file(path, "[{\"threads\": 1, \"sgemm_gflops\": 60.0, \"sgemm_n\": 512, \"triad_gbs\": 12.0, "
                     "\"blas_core\": \"Zen\"}, {\"threads\": 2, \"sgemm_gflops\": 120.0, \"sgemm_n\": 512, "
                     "\"triad_gbs\": 18.0, \"blas_core\": \"Zen\"}]\n");
}

static inline void run_fixture_dir(const char *dir)
{
    if (mkdir(dir, 0755) != 0)
        abort();
}

#endif
