/* kernels/rng.h — the project's documented PRNG.
 *
 * Generator: xoshiro128** (Blackman & Vigna, 2018), 32-bit output, state
 * seeded from a 64-bit seed with splitmix64.  Floats: uniform in [0,1) as
 * (next >> 8) * 2^-24.  Normals: Box-Muller on two uniforms (the second value
 * is discarded so the stream stays simple to reproduce).  Same seed, same
 * numbers on every machine: scripts/ can reproduce them in Python.
 */
#ifndef ABLATE_RNG_H
#define ABLATE_RNG_H

#include <stdint.h>

struct rng {
    uint32_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint32_t rng_next(struct rng *r);
float rng_uniform(struct rng *r);                  /* [0, 1) */
float rng_range(struct rng *r, float lo, float hi); /* [lo, hi) */
float rng_normal(struct rng *r);                   /* N(0, 1) */
/* 64-bit FNV-1a of a string: seeds a configuration from its descriptor. */
uint64_t hash_str(const char *s);

#endif
