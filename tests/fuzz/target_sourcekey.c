/* target_sourcekey.c: fuzzes the reader of an address's text the core
 * computes a member's source key from (relay/core/source_key.c:
 * source_key_member_text; see targets.h). The input is the text (cut at
 * its first NUL, 127 bytes at most): a key that is not 0 came from a
 * numeric "ip:port" or "[v6]:port", and the address it names, written
 * back as the edges write it, gives the same key; a text that is no
 * numeric endpoint gives 0. */
#include <arpa/inet.h>

#include "../../relay/core/source_key.h"
#include "../../sys/netaddr.h"
#include "targets.h"

int fuzz_target_sourcekey(const uint8_t *data, size_t size)
{
    char text[128];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    uint64_t key = source_key_member_text(text);
    char host[INET6_ADDRSTRLEN + 1], err[96];
    uint16_t port;
    bool split = netaddr_split_endpoint(text, host, sizeof host, &port, err, sizeof err) == 0;
    FUZZ_CHECK(!key || split);
    if (!key)
        return 0;
    union netaddr a = {0};
    if (inet_pton(AF_INET, host, &a.v4.sin_addr) == 1) {
        a.sa.sa_family = AF_INET;
    } else {
        FUZZ_CHECK(inet_pton(AF_INET6, host, &a.v6.sin6_addr) == 1);
        a.sa.sa_family = AF_INET6;
    }
    netaddr_set_port(&a, port);
    char back[NETADDR_STR_MAX];
    netaddr_format(&a, back, sizeof back);
    FUZZ_CHECK(source_key_member_text(back) == key);
    FUZZ_CHECK(source_key_member(&a) == key);
    return 0;
}
