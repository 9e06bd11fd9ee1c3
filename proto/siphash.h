/* siphash.h: SipHash-2-4, the keyed hash of Aumasson and Bernstein
 * ("SipHash: a fast short-input PRF", 2012), written from the paper. The
 * plain-UDP relay signs its return-routability cookies with it. */
#ifndef RICOCHET_SIPHASH_H
#define RICOCHET_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* 64-bit SipHash-2-4 of in[0..len) under the 16-byte key. */
uint64_t siphash24(const uint8_t key[16], const void *in, size_t len);

#endif
