/* harness/cli_info.c — `ablate info` and `ablate list`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_json.h"
#include "gen.h"
#include "instance.h"
#include "peak.h"

static void print_shape(const char *label, struct shape4 s)
{
    printf("%-11s %dx%dx%dx%d\n", label, s.n, s.c, s.h, s.w);
}

/* Removes every "--json" from argv (in place: the words keep their
 * order); 1 if there was one. */
static int take_json_flag(int *argc, char **argv)
{
    int json = 0, n = 0;
    for (int i = 0; i < *argc; i++)
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else
            argv[n++] = argv[i];
    *argc = n;
    return json;
}

int cli_info(int argc, char **argv)
{
    struct instance m;
    char err[ERR_MAX], args[512];
    int json = take_json_flag(&argc, argv);
    if (argc < 1)
        return cli_bad_usage("info");
    if (instance_parse(&m, argc, argv, err, sizeof err) != 0)
        return cli_bad_input(err);
    if (json)
        return cli_print_instance_json(&m);
    args_format(&m.args, args, sizeof args);
    const struct op *op = m.op;
    int64_t thop = op->flops_thop(&m.args, m.in);
    printf("%s %s\n", op->name, args);
    print_shape("input", m.in);
    print_shape("output", m.out);
    printf("%-11s %lld\n", "params", (long long)op->params(&m.args));
    printf("%-11s %lld  (thop: %lld MACs x 2, %.4f GFLOPs)\n", "flops_thop", (long long)thop,
           (long long)(thop / 2), (double)thop / 1e9);
    printf("%-11s %lld  (every multiply-add, interpolation, exp, elementwise op; MODULES.md 1.2)\n",
           "flops_full", (long long)op->flops_full(&m.args, m.in));
    printf("%-11s %lld  (inputs + outputs + state, each once; MODULES.md 1.3)\n", "bytes",
           (long long)op->bytes(&m.args, m.in));
    struct weight_list wl;
    op->weights(&m.args, &wl);
    printf("state_dict:\n");
    for (int i = 0; i < wl.n; i++) {
        printf("  %-28s %s[", wl.w[i].key, wl.w[i].is_int64 ? "int64 " : "");
        for (int k = 0; k < wl.w[i].ndim; k++)
            printf("%s%lld", k ? ", " : "", (long long)wl.w[i].shape[k]);
        printf("]\n");
    }
    return EXIT_OK;
}

int cli_list(int argc, char **argv)
{
    if (argc > 0)
        return cli_bad_usage("list");
    struct gen_env env;
    char err[ERR_MAX];
    int have_env = gen_env_init(&env, err, sizeof err) == 0;
    for (int i = 0; i < op_count; i++) {
        const struct op *op = op_table[i];
        printf("%s", op->name);
        if (op->aliases)
            printf("  (also: %s)", op->aliases);
        printf("\n");
        for (int k = 0; op->schema[k].name; k++) {
            const struct arg_spec *s = &op->schema[k];
            printf("  %-14s %-6s %-8s %s", s->name, (const char *[]){"int", "bool", "float", "enum"}[s->type],
                   s->def ? s->def : "required", s->help);
            printf(s->choices ? " [%s]\n" : "\n", s->choices); /* the accepted words */
        }
        char names[GEN_VARIANTS_MAX][GEN_NAME_MAX];
        int n = have_env ? gen_variants(&env, op, names, GEN_VARIANTS_MAX, err, sizeof err) : -1;
        printf("  variants: ref");
        for (int k = 0; k < n; k++)
            printf(", gen:%s", names[k]);
        printf("%s\n", n < 0 ? "  (generator unavailable)" : "");
    }
    return EXIT_OK;
}

int cli_peak(int argc, char **argv)
{
    char err[ERR_MAX];
    int quick = argc == 1 && !strcmp(argv[0], "--quick");
    if (argc > 0 && !quick)
        return cli_bad_usage("peak");
    for (int t = 1; t <= 2; t++) {
        struct peak pk;
        if (peak_measure(&pk, t, quick, err, sizeof err) != 0)
            return cli_bad_input(err);
        printf("%d thread%s: sgemm %dx%dx%d %.1f GFLOP/s (OpenBLAS core %s), triad %.1f GB/s\n", t,
               t > 1 ? "s" : " ", pk.sgemm_n, pk.sgemm_n, pk.sgemm_n, pk.sgemm_gflops, pk.blas_core,
               pk.triad_gbs);
    }
    return EXIT_OK;
}
