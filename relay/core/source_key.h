/* source_key.h: who a peer is, computed once from its address: the one
 * key every per-source count of the relay goes by (kick bans, the
 * throttle's shares, the half-open tally, the strangers' reply budgets,
 * the per-address bounds, the player keys tried). A source is
 *
 *   - an IPv4 address (an IPv4-mapped IPv6 one is its IPv4 address);
 *   - an IPv6 /64: one host is commonly given a whole /64, so counting
 *     /128s would let it hold any per-address bound alone.
 *
 * The key is SipHash-2-4 of the source under a key drawn at random once
 * per process, so that no stranger can choose addresses that collide in
 * the relay's tables. An address's text is for logs only. */
#ifndef RICOCHET_SOURCE_KEY_H
#define RICOCHET_SOURCE_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/netaddr.h"

#define SOURCE_BYTES_MAX 9 /* a family byte and 8 address bytes */

/* a's source as bytes: a family byte, then the IPv4 address or the IPv6
 * /64. Returns the length (5 or 9). */
size_t source_bytes(const union netaddr *a, uint8_t out[SOURCE_BYTES_MAX]);

/* Are a and b of one source (any ports)? false if either is of no
 * family (a zeroed address). */
bool source_same(const union netaddr *a, const union netaddr *b);

/* The keyed hash of a's source; never 0 (free table entries are 0). */
uint64_t source_key(const union netaddr *a);

/* The key a member is counted by in the core: source_key, but on loopback
 * the address and port (every client there is this machine's: a
 * developer's own, or the flows of a proxy in front of the relay, each
 * from a port of its own). */
uint64_t source_key_member(const union netaddr *a);

/* The process's keyed hash of len bytes (SipHash-2-4), for the tables
 * strangers choose the entries of. */
uint64_t source_hash(const void *bytes, size_t len);

#endif
