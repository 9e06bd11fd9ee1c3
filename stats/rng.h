/* rng.h: small seeded PRNG (xoshiro256** seeded through splitmix64).
 * Every random choice in ricochet comes from one of these and a seed the
 * user can pass, so a run can be repeated exactly. */
#ifndef RICOCHET_RNG_H
#define RICOCHET_RNG_H

#include <stdint.h>

struct rng {
    uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_u64(struct rng *r);
double rng_uniform(struct rng *r);            /* [0, 1) */
uint32_t rng_below(struct rng *r, uint32_t n); /* [0, n), n > 0, unbiased */
double rng_normal(struct rng *r);             /* mean 0, stddev 1 */
/* A uniform 64-bit value of key alone (splitmix64's step): no state, the
 * same key gives the same value (netsim's paired loss). */
uint64_t rng_hash(uint64_t key);

#endif
