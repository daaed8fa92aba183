/* harness/cli_run.c — `ablate run --desc DESC`: re-runs exactly the case a
 * CSV row describes (benchdnn's repro line), with the same inputs, weights,
 * isolation and timing as the sweep, and prints the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cli.h"
#include "execute.h"
#include "sweep.h"

/* "akconv:k=v:...:n1c64h80w80:o128:t2:impl=gen:gemm" -> plan item. */
static int parse_desc(const char *desc, struct plan_item *it, char *err, size_t errlen)
{
    char buf[PLAN_DESC_MAX], *argv[ARGS_MAX + 8], dims[3][32];
    int argc = 0, n, c, h, w, o, t = 0;
    const char *impl = strstr(desc, ":impl=");
    memset(it, 0, sizeof *it);
    if (!impl || strlen(desc) >= sizeof buf) {
        snprintf(err, errlen, "run: not a row descriptor: '%s'", desc);
        return -1;
    }
    snprintf(buf, sizeof buf, "%.*s", (int)(impl - desc), desc);
    int have_shape = 0;
    for (char *tok = strtok(buf, ":"); tok && argc < ARGS_MAX + 4; tok = strtok(NULL, ":")) {
        if (sscanf(tok, "n%dc%dh%dw%d", &n, &c, &h, &w) == 4)
            have_shape = 1;
        else if (have_shape && (sscanf(tok, "o%d", &o) == 1 || sscanf(tok, "t%d", &t) == 1))
            continue;
        else
            argv[argc++] = tok;
    }
    if (!have_shape || t < 1) {
        snprintf(err, errlen, "run: descriptor lacks the shape (n..c..h..w..) or threads (t..): '%s'", desc);
        return -1;
    }
    snprintf(dims[0], 32, "batch=%d", n);
    snprintf(dims[1], 32, "h=%d", h);
    snprintf(dims[2], 32, "w=%d", w);
    for (int i = 0; i < 3; i++)
        argv[argc++] = dims[i];
    if (instance_parse(&it->inst, argc, argv, err, errlen) != 0 ||
        instance_runnable(&it->inst, err, errlen) != 0)
        return -1;
    it->threads = t;
    it->n_impl = 1;
    snprintf(it->impl[0], PLAN_IMPL_NAME, "%s", impl + 6);
    snprintf(it->role, sizeof it->role, "module");
    return 0;
}

int cli_run(int argc, char **argv)
{
    struct plan_item it;
    char err[ERR_MAX];
    int quick = 0;
    const char *desc = NULL;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--desc") && i + 1 < argc)
            desc = argv[++i];
        else if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else
            return cli_bad_usage("run");
    if (!desc)
        return cli_bad_usage("run");
    if (parse_desc(desc, &it, err, sizeof err) != 0)
        return cli_bad_input(err);
    struct exec_opts eo = {.init = INIT_RANDOM, .seed = 1};
    if (gen_env_init(&eo.env, err, sizeof err) != 0)
        return cli_bad_input(err);
    timing_opts_default(&eo.timing, quick);
    struct exec_shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return cli_bad_input("mmap failed");
    memset(sh, 0, sizeof *sh);
    sweep_run_item(&it, &eo, 120, sh);
    const struct impl_report *r = &sh->r[0];
    printf("%s\nstatus=%s%s%s\n", desc, r->status, r->message[0] ? " message=" : "", r->message);
    if (r->t.samples)
        printf("median_ms=%.4g p10_ms=%.4g p90_ms=%.4g min_ms=%.4g samples=%d load=%.2f\n", r->t.median_ms,
               r->t.p10_ms, r->t.p90_ms, r->t.min_ms, r->t.samples, r->t.load);
    if (r->checked)
        printf("max_abs=%.3g max_rel=%.3g nmse=%.3g\n", r->par.max_abs, r->par.max_rel, r->par.nmse);
    int ok = !strcmp(r->status, "ok");
    munmap(sh, sizeof *sh);
    return ok ? EXIT_OK : EXIT_FAILED;
}
