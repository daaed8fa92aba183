/* harness/cuda_ptxas.c — registers and spills per kernel from `ptxas -v`
 * (cuda_gen.h).  The lines read, one group per kernel and architecture:
 *
 *   ptxas info    : Compiling entry function 'conv_direct_kernel' for 'sm_80'
 *   ptxas info    : Function properties for conv_direct_kernel
 *       0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
 *   ptxas info    : Used 32 registers, used 0 barriers, 380 bytes cmem[0]
 */
#include <stdio.h>
#include <string.h>

#include "cuda_gen.h"

/* 1 if the source text at path holds the line "@spill_free NAME". */
static int marked_spill_free(const char *src_path, const char *name)
{
    char line[512], mark[160];
    int found = 0;
    snprintf(mark, sizeof mark, "@spill_free %s", name);
    FILE *f = fopen(src_path, "r");
    while (f && !found && fgets(line, sizeof line, f)) {
        char *p = strstr(line, mark);
        found = p && (p[strlen(mark)] == '\n' || p[strlen(mark)] == ' ' || !p[strlen(mark)]);
    }
    if (f)
        fclose(f);
    return found;
}

static void parse_line(const char *line, struct cuda_ptxas_kernel *cur)
{
    const char *p;
    int a, b;
    if ((p = strstr(line, "bytes spill stores")) && sscanf(line, " %*d bytes stack frame, %d bytes spill stores, %d bytes spill loads", &a, &b) == 2) {
        cur->spill_stores = a;
        cur->spill_loads = b;
    } else if ((p = strstr(line, "Used ")) && sscanf(p, "Used %d registers", &a) == 1)
        cur->registers = a;
}

int cuda_ptxas_read(const struct gen_kernel *k, struct cuda_ptxas_kernel *out, int max, char *err,
                    size_t errlen)
{
    FILE *f = fopen(k->log_path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read the compiler log %s", k->log_path);
        return -1;
    }
    char line[1024];
    int n = -1;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "Compiling entry function '");
        if (p && n + 1 < max) {
            struct cuda_ptxas_kernel *c = &out[++n];
            memset(c, 0, sizeof *c);
            c->registers = -1;
            if (sscanf(p, "Compiling entry function '%95[^']' for '%15[^']'", c->name, c->arch) != 2)
                n--;
            else
                c->spill_free = marked_spill_free(k->src_path, c->name);
        } else if (n >= 0)
            parse_line(line, &out[n]);
    }
    fclose(f);
    return n + 1;
}
