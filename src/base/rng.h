/*
 * rng.h - a seedable pseudo-random generator (xoshiro256**, seeded through splitmix64).
 *
 * Callers own their generator; there is no global one, so a seed makes any computation that
 * uses it deterministic (bootstrap intervals, random tie-breaks, sampling).
 */
#ifndef LO_BASE_RNG_H
#define LO_BASE_RNG_H

#include <stdint.h>

struct lo_rng {
    uint64_t s[4];
};

void lo_rng_seed(struct lo_rng *r, uint64_t seed);
uint64_t lo_rng_next(struct lo_rng *r);
/* Uniform in [0, 1). */
double lo_rng_uniform(struct lo_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t lo_rng_below(struct lo_rng *r, uint64_t n);

#endif
