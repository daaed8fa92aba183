/* tests/test_fuzz_regressions.c — every input under tests/fuzz/regressions/
 * that once crashed a fuzz target (named TARGET-what) is replayed here
 * through the same entry point, in the normal suite: it must be refused or
 * accepted, never crash (Criterion reports a signal as a failure). */
#include <criterion/criterion.h>
#include <dirent.h>

#include "instance.h"
#include "model.h"
#include "plan.h"
#include "safetensors.h"
#include "test_util.h"

#define DIR_REGRESSIONS "tests/fuzz/regressions"

/* fuzz_args: whitespace-separated tokens, as tests/fuzz/fuzz_args.c cuts them. */
static void replay_args(const char *path)
{
    char text[4096], *argv[32], err[1024];
    slurp(path, text, sizeof text);
    int argc = 0;
    for (char *t = strtok(text, " \t\n\r"); t && argc < 32; t = strtok(NULL, " \t\n\r"))
        argv[argc++] = t;
    struct instance m;
    if (instance_parse(&m, argc, argv, err, sizeof err) != 0)
        cr_expect(err[0] != 0, "%s: refused without a message", path);
}

static void replay_safetensors(const char *path)
{
    struct st_file f;
    char err[1024];
    if (st_read(path, &f, err, sizeof err) == 0)
        st_free(&f);
    else
        cr_expect(err[0] != 0, "%s: refused without a message", path);
}

static void replay_plan(const char *path)
{
    struct plan p;
    char err[1024];
    if (experiment_load(path, ".", 1, &p, err, sizeof err) == 0)
        plan_free(&p);
    else
        cr_expect(err[0] != 0, "%s: refused without a message", path);
}

/* fuzz_yaml: read, build and summarize as tests/fuzz/fuzz_yaml.c does. */
static void replay_yaml(const char *path)
{
    char err[2048] = "";
    struct model_yaml *y = model_yaml_read(path, err, sizeof err);
    struct model m;
    if (!y) {
        cr_expect(err[0] != 0, "%s: refused without a message", path);
        return;
    }
    int rc = model_build(y, NULL, &m, err, sizeof err);
    free(y);
    if (rc != 0) {
        cr_expect(err[0] != 0, "%s: refused without a message", path);
        return;
    }
    struct model_summary *s = malloc(sizeof *s);
    cr_assert(s != NULL);
    if (model_summarize(&m, 640, 0, s, err, sizeof err) != 0 ||
        model_summarize(&m, 64, 1, s, err, sizeof err) != 0)
        cr_expect(err[0] != 0, "%s: refused without a message", path);
    free(s);
    model_free(&m);
}

Test(fuzz_regressions, replay)
{
    DIR *d = opendir(DIR_REGRESSIONS);
    cr_assert(d != NULL, "cannot open " DIR_REGRESSIONS);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        char path[512];
        snprintf(path, sizeof path, DIR_REGRESSIONS "/%s", e->d_name);
        if (!strncmp(e->d_name, "fuzz_args-", 10))
            replay_args(path), n++;
        else if (!strncmp(e->d_name, "fuzz_safetensors-", 17))
            replay_safetensors(path), n++;
        else if (!strncmp(e->d_name, "fuzz_plan-", 10))
            replay_plan(path), n++;
        else if (!strncmp(e->d_name, "fuzz_yaml-", 10))
            replay_yaml(path), n++;
    }
    closedir(d);
    cr_expect(n > 0, "no regression inputs found");
}
