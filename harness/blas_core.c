/* blas_core.c — see blas_core.h. */
#include "blas_core.h"

#include <stddef.h>
#include <string.h>

/* OpenBLAS 0.3.21's x86-64 core names (driver/others/dynamic.c) that use
 * wider vectors than SSE; every other name (Prescott, Core2, Nehalem,
 * Barcelona, Atom, ...) is SSE-only. */
static const struct {
    const char *name;
    enum isa_level level;
} cores[] = {
    {"SkylakeX", ISA_AVX512}, {"Cooperlake", ISA_AVX512}, {"SapphireRapids", ISA_AVX512},
    {"Haswell", ISA_AVX2},    {"Zen", ISA_AVX2},          {"Sandybridge", ISA_AVX},
    {"Bulldozer", ISA_AVX},   {"Piledriver", ISA_AVX},    {"Steamroller", ISA_AVX},
    {"Excavator", ISA_AVX},
};

enum isa_level blas_core_level(const char *core)
{
    for (size_t i = 0; core && i < sizeof cores / sizeof *cores; i++)
        if (strcmp(core, cores[i].name) == 0)
            return cores[i].level;
    return ISA_SSE;
}

enum isa_level cpu_isa_level(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return ISA_AVX2;
    return __builtin_cpu_supports("avx") ? ISA_AVX : ISA_SSE;
}

const char *blas_core_upgrade(const char *detected, enum isa_level cpu, int has_bf16)
{
    /* Only a generic pick is overruled: a narrower core OpenBLAS chose by
     * name is deliberate (Zen's AVX2 kernels on a Zen 4, whose 512-bit FMAs
     * run at half rate: both reach the same sgemm peak there). */
    if (blas_core_level(detected) != ISA_SSE)
        return NULL;
    switch (cpu) {
    case ISA_AVX512:
        return has_bf16 ? "Cooperlake" : "SkylakeX";
    case ISA_AVX2:
        return "Haswell";
    case ISA_AVX:
        return "Sandybridge";
    case ISA_SSE:
        break;
    }
    return NULL;
}
