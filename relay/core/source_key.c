/* source_key.c: who a peer is (see source_key.h). */
#include "source_key.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <sodium.h>

static uint8_t process_key[crypto_shorthash_KEYBYTES];
static pthread_once_t keyed = PTHREAD_ONCE_INIT;

/* The key, drawn once. A process that cannot draw 16 random bytes cannot
 * keep its tables from being chosen: it stops, saying why. */
static void draw_key(void)
{
    size_t got = 0;
    while (got < sizeof process_key) {
        ssize_t n = getrandom(process_key + got, sizeof process_key - got, 0);
        if (n <= 0) {
            perror("source_key: getrandom");
            abort();
        }
        got += (size_t)n;
    }
}

uint64_t source_hash(const void *bytes, size_t len)
{
    pthread_once(&keyed, draw_key);
    uint8_t h[crypto_shorthash_BYTES]; /* its 8 bytes, little-endian */
    crypto_shorthash(h, bytes, len, process_key);
    uint64_t v;
    memcpy(&v, h, sizeof v);
    return v ? v : 1;
}

size_t source_bytes(const union netaddr *a, uint8_t out[SOURCE_BYTES_MAX])
{
    if (a->sa.sa_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&a->v6.sin6_addr)) {
        out[0] = 6;
        memcpy(out + 1, a->v6.sin6_addr.s6_addr, 8);
        return 9;
    }
    out[0] = 4;
    if (a->sa.sa_family == AF_INET6)
        memcpy(out + 1, a->v6.sin6_addr.s6_addr + 12, 4);
    else
        memcpy(out + 1, &a->v4.sin_addr, 4);
    return 5;
}

/* An address of a family (a peer's, not a zeroed one). */
static bool known(const union netaddr *a)
{
    return a->sa.sa_family == AF_INET || a->sa.sa_family == AF_INET6;
}

bool source_same(const union netaddr *a, const union netaddr *b)
{
    if (!known(a) || !known(b))
        return false;
    uint8_t x[SOURCE_BYTES_MAX], y[SOURCE_BYTES_MAX];
    size_t n = source_bytes(a, x);
    return n == source_bytes(b, y) && memcmp(x, y, n) == 0;
}

uint64_t source_key(const union netaddr *a)
{
    uint8_t src[SOURCE_BYTES_MAX];
    return source_hash(src, source_bytes(a, src));
}

uint64_t source_key_member(const union netaddr *a)
{
    if (!netaddr_is_loopback(a))
        return source_key(a);
    uint8_t key[NETADDR_KEY_MAX];
    return source_hash(key, netaddr_key(a, key));
}
