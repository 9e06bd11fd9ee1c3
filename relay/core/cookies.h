/* cookies.h: return routability for the datagram edges whose sources can be
 * forged (plain UDP, ENet; PROTOCOL.md, "Return routability"). A cookie is
 * a keyed hash of a source's address and port and a 10 s window: the relay
 * sends it to the address a request came from and remembers nothing; a
 * later request that echoes it shows that its sender receives there.
 * Pure: given the key and the time. */
#ifndef RICOCHET_COOKIES_H
#define RICOCHET_COOKIES_H

#include <stdbool.h>
#include <stdint.h>

#include "sys/netaddr.h"

#define COOKIE_WINDOW_US 10000000ull /* a cookie is good for this window and the next */
#define COOKIE_TEXT_LEN 16           /* hex digits */

/* SipHash-2-4 under key of a's whole address (4 or 16 bytes, network
 * order), its port (2 bytes, network order) and window (8 bytes,
 * little-endian). */
uint64_t cookies_mac(const uint8_t key[16], const union netaddr *a, uint64_t window);

/* The cookie for a as of now_us, as 16 lowercase hex digits into out. */
void cookies_write(const uint8_t key[16], const union netaddr *a, uint64_t now_us,
                   char out[COOKIE_TEXT_LEN + 1]);

/* Is text (16 hex digits, either case) a's cookie of now_us's window or
 * the one before? NULL is not. */
bool cookies_valid(const uint8_t key[16], const union netaddr *a, const char *text,
                   uint64_t now_us);

#endif
