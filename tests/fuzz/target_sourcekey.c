/* target_sourcekey.c: fuzzes the source key of whatever address an edge
 * hands the core (relay/core/source_key.c; see targets.h). The input is
 * what the kernel fills for recvfrom or accept: a struct sockaddr of the
 * input's length (128 bytes at most), taken only if it is IPv4 or IPv6.
 * Its key is never 0 and the same for any port; an IPv6 address's the same
 * for any last 64 bits, another /64 another source; an IPv4-mapped IPv6
 * address is its IPv4 address; off loopback a member's key is the
 * source's. */
#include <arpa/inet.h>

#include "relay/core/source_key.h"
#include "sys/netaddr.h"
#include "targets.h"

/* a's other spelling: an IPv4 address as IPv4-mapped IPv6, and back. */
static union netaddr other_spelling(const union netaddr *a)
{
    union netaddr b;
    memset(&b, 0, sizeof b);
    if (a->sa.sa_family == AF_INET) {
        b.v6.sin6_family = AF_INET6;
        b.v6.sin6_addr.s6_addr[10] = b.v6.sin6_addr.s6_addr[11] = 0xff;
        memcpy(b.v6.sin6_addr.s6_addr + 12, &a->v4.sin_addr, 4);
    } else {
        b.v4.sin_family = AF_INET;
        memcpy(&b.v4.sin_addr, a->v6.sin6_addr.s6_addr + 12, 4);
    }
    return b;
}

int fuzz_target_sourcekey(const uint8_t *data, size_t size)
{
    struct sockaddr_storage ss;
    size_t n = size < sizeof ss ? size : sizeof ss;
    memset(&ss, 0, sizeof ss);
    memcpy(&ss, data, n);
    union netaddr a, b;
    if (netaddr_from_sockaddr(&a, (const struct sockaddr *)&ss, (socklen_t)n) != 0)
        return 0;
    uint64_t key = source_key(&a);
    FUZZ_CHECK(key != 0 && source_same(&a, &a));
    b = a;
    netaddr_set_port(&b, (uint16_t)(netaddr_port(&a) ^ 0x5a5a));
    FUZZ_CHECK(source_key(&b) == key && source_same(&a, &b));
    if (a.sa.sa_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&a.v6.sin6_addr)) {
        b.v6.sin6_addr.s6_addr[15] ^= 1; /* the same /64 */
        FUZZ_CHECK(source_key(&b) == key && source_same(&a, &b));
        b.v6.sin6_addr.s6_addr[7] ^= 1; /* another */
        FUZZ_CHECK(!source_same(&a, &b));
    } else {
        b = other_spelling(&a);
        FUZZ_CHECK(source_key(&b) == key && source_same(&a, &b));
    }
    if (!netaddr_is_loopback(&a))
        FUZZ_CHECK(source_key_member(&a) == key);
    return 0;
}
