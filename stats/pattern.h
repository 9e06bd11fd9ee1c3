/* pattern.h: payloads that check themselves, for the tests and the bench
 * (ricochet-bench --payload-check): bytes drawn from a key (a state's seq),
 * the first four their FNV-1a hash, so a receiver tells a payload delivered
 * byte for byte from one cut, changed or another state's. Pure. */
#ifndef RICOCHET_PATTERN_H
#define RICOCHET_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PATTERN_MIN 4 /* the hash; a shorter payload is all hash and never checks out */

/* Fills out[0..len) (len >= PATTERN_MIN): bytes 4.. drawn from key, bytes
 * 0..3 their FNV-1a hash, big-endian. */
void pattern_fill(uint32_t key, uint8_t *out, size_t len);

/* Is p[0..len) exactly what pattern_fill(key, ..., len) writes? */
bool pattern_ok(uint32_t key, const uint8_t *p, size_t len);

/* As pattern_fill, the key kept in bytes 4..7 (len >= 8): for what has no
 * sequence number of its own (an event's body). */
void pattern_fill_keyed(uint32_t key, uint8_t *out, size_t len);

/* Does p (len bytes) check out as pattern_fill_keyed wrote it, whatever
 * its key? */
bool pattern_ok_keyed(const uint8_t *p, size_t len);

#endif
