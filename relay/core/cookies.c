/* cookies.c: return-routability cookies (see cookies.h). */
#include "cookies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

uint64_t cookies_mac(const uint8_t key[16], const union netaddr *a, uint64_t window)
{
    uint8_t in[NETADDR_KEY_MAX + 8];
    size_t n = netaddr_key(a, in); /* the whole address (4 or 16 bytes) and the port */
    for (int i = 0; i < 8; i++)
        in[n + (size_t)i] = (uint8_t)(window >> (8 * i));
    uint8_t h[crypto_shorthash_BYTES]; /* SipHash-2-4, its 8 bytes little-endian */
    crypto_shorthash(h, in, n + 8, key);
    uint64_t cookie = 0;
    for (int i = 7; i >= 0; i--)
        cookie = cookie << 8 | h[i];
    return cookie;
}

void cookies_write(const uint8_t key[16], const union netaddr *a, uint64_t now_us,
                   char out[COOKIE_TEXT_LEN + 1])
{
    snprintf(out, COOKIE_TEXT_LEN + 1, "%016llx",
             (unsigned long long)cookies_mac(key, a, now_us / COOKIE_WINDOW_US));
}

bool cookies_valid(const uint8_t key[16], const union netaddr *a, const char *text,
                   uint64_t now_us)
{
    char *end;
    if (!text || strlen(text) != COOKIE_TEXT_LEN)
        return false;
    uint64_t c = strtoull(text, &end, 16);
    if (*end)
        return false;
    uint64_t w = now_us / COOKIE_WINDOW_US;
    return c == cookies_mac(key, a, w) || (w > 0 && c == cookies_mac(key, a, w - 1));
}
