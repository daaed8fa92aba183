/* harness/plan_backends.c — see plan_backends.h. */
#include "plan_backends.h"

#include <stdio.h>
#include <string.h>

#include "cuda_gen.h"
#include "onednn_block.h"

static void add_impl(struct plan_item *it, const char *prefix, const char *variant)
{
    if (it->n_impl < PLAN_IMPLS_MAX)
        snprintf(it->impl[it->n_impl++], PLAN_IMPL_NAME, "%s%s", prefix, variant);
}

void plan_add_cuda_impls(struct plan_item *it, const struct gen_env *env, int host, int device)
{
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], err[ERR_MAX];
    int n = host || device ? cuda_variants(env, it->inst.op, names, GEN_VARIANTS_MAX, err, sizeof err)
                           : 0;
    for (int i = 0; host && i < n; i++)
        add_impl(it, "cuda-host:", names[i]);
    for (int i = 0; device && i < n; i++)
        add_impl(it, "cuda:", names[i]);
}

enum { B_REF = 1, B_GEN = 2, B_CUDA_HOST = 4, B_CUDA = 8, B_TORCH = 16, B_ONEDNN = 32 };

static int parse_list(const char *list, int *mask, char *err, size_t errlen)
{
    static const char *const words[] = {"ref", "gen", "cuda-host", "cuda", "torch", "onednn"};
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    *mask = 0;
    char *save = NULL;
    for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        int bit = 0;
        for (int i = 0; i < (int)(sizeof words / sizeof *words); i++)
            bit = strcmp(w, words[i]) ? bit : 1 << i;
        if (!bit) {
            snprintf(err, errlen, "--backends: unknown backend '%s' (known: ref, gen, onednn, cuda-host, cuda, torch)", w);
            return -1;
        }
        *mask |= bit;
    }
    if (*mask)
        return 0;
    snprintf(err, errlen, "--backends: expected a list such as ref,gen,cuda");
    return -1;
}

/* The item's impls again, for the backends in mask. */
static void rebuild(struct plan_item *it, const struct gen_env *env, int mask)
{
    char gens[PLAN_IMPLS_MAX][PLAN_IMPL_NAME];
    int n_gen = 0;
    for (int i = 0; i < it->n_impl; i++)
        if (!strncmp(it->impl[i], "gen:", 4))
            snprintf(gens[n_gen++], PLAN_IMPL_NAME, "%s", it->impl[i]);
    char names[GEN_VARIANTS_MAX][GEN_NAME_MAX], err[ERR_MAX];
    if ((mask & B_GEN) && n_gen == 0) {
        int n = gen_sweep_variants(env, it->inst.op, names, GEN_VARIANTS_MAX, err, sizeof err);
        for (int i = 0; i < n && n_gen < PLAN_IMPLS_MAX; i++)
            snprintf(gens[n_gen++], PLAN_IMPL_NAME, "gen:%s", names[i]);
    }
    it->n_impl = 0;
    if (mask & B_REF)
        add_impl(it, "", "ref");
    if ((mask & B_ONEDNN) && dnn_block_supports(it->inst.op))
        add_impl(it, "", "onednn");
    for (int i = 0; (mask & B_GEN) && i < n_gen; i++)
        add_impl(it, "", gens[i]);
    plan_add_cuda_impls(it, env, mask & B_CUDA_HOST, mask & B_CUDA);
}

int plan_set_backends(struct plan *p, const struct gen_env *env, const char *list, char *err,
                      size_t errlen)
{
    int mask;
    if (parse_list(list, &mask, err, errlen) != 0)
        return -1;
    p->run_torch = (mask & B_TORCH) != 0;
    for (int i = 0; i < p->n; i++)
        rebuild(&p->items[i], env, mask);
    return 0;
}
