/* tests/fuzz/fuzz_args.c — libFuzzer target: the `MODULE key=value ...`
 * parser (instance_parse → args_set → the module's validate/out_shape) on
 * tokens cut from the input at whitespace.  A configuration it accepts is
 * also counted, described and given its weight list, as `ablate info`
 * does, so arithmetic on accepted sizes is fuzzed too (UBSan: overflow). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instance.h"

#define TOKENS_MAX 32

/* Splits a NUL-terminated copy of the input at spaces, tabs and newlines. */
static int tokenize(char *text, char **argv)
{
    int argc = 0;
    for (char *tok = strtok(text, " \t\n\r"); tok && argc < TOKENS_MAX; tok = strtok(NULL, " \t\n\r"))
        argv[argc++] = tok;
    return argc;
}

static void use_accepted(const struct instance *m)
{
    char desc[1024];
    instance_desc(m, desc, sizeof desc);
    volatile int64_t sink = m->op->params(&m->args) + m->op->flops_thop(&m->args, m->in) +
                            m->op->flops_full(&m->args, m->in) + m->op->bytes(&m->args, m->in);
    struct weight_list wl;
    m->op->weights(&m->args, &wl);
    sink += weights_total_floats(&wl);
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0; /* command lines are short; longer inputs only slow the search */
    char *text = malloc(size + 1), *argv[TOKENS_MAX], err[1024];
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = 0;
    int argc = tokenize(text, argv);
    struct instance m;
    if (instance_parse(&m, argc, argv, err, sizeof err) == 0)
        use_accepted(&m);
    else if (!err[0])
        abort(); /* a refusal always says why */
    free(text);
    return 0;
}
