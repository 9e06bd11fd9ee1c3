/* ippacket.c: IPv4, UDP and TCP headers as netsim's IP mode reads them
 * (see ippacket.h). */
#include "ippacket.h"
#include "proto/byteorder.h"

#include <arpa/inet.h>
#include <string.h>

#define IP_MIN_HEAD 20
#define UDP_HEAD 8
#define TCP_MIN_HEAD 20
#define IP_OFFSET_MASK 0x1fff /* fragment offset, in 8-byte units */

/* The TCP header at t (room bytes to the end of the IP payload). */
static int parse_tcp(const uint8_t *t, size_t room, struct ippacket *p)
{
    if (room < TCP_MIN_HEAD)
        return -1;
    size_t head = (size_t)(t[12] >> 4) * 4;
    if (head < TCP_MIN_HEAD || head > room)
        return -1;
    p->seq = be32_get(t + 4);
    p->ack = be32_get(t + 8);
    p->flags = t[13];
    p->payload_off += head;
    p->payload_len = room - head;
    p->seq_len = (uint32_t)p->payload_len + !!(p->flags & IPPACKET_SYN) +
                 !!(p->flags & IPPACKET_FIN);
    return 0;
}

int ippacket_parse(const uint8_t *buf, size_t len, struct ippacket *p)
{
    memset(p, 0, sizeof *p);
    if (len < IP_MIN_HEAD || buf[0] >> 4 != 4)
        return -1;
    size_t head = (size_t)(buf[0] & 0x0f) * 4, total = be16_get(buf + 2);
    if (head < IP_MIN_HEAD || total < head || total > len)
        return -1;
    p->proto = buf[9];
    p->src = be32_get(buf + 12);
    p->dst = be32_get(buf + 16);
    p->payload_off = head;
    p->payload_len = total - head;
    if ((be16_get(buf + 6) & IP_OFFSET_MASK) != 0)
        return 0; /* a later fragment: no transport header */
    const uint8_t *t = buf + head;
    if (p->proto == IPPACKET_UDP) {
        if (p->payload_len < UDP_HEAD)
            return -1;
        p->payload_off += UDP_HEAD;
        p->payload_len -= UDP_HEAD;
    } else if (p->proto == IPPACKET_TCP) {
        if (parse_tcp(t, p->payload_len, p) != 0)
            return -1;
    } else {
        return 0;
    }
    p->sport = be16_get(t);
    p->dport = be16_get(t + 2);
    p->ports = true;
    return 0;
}

bool ippacket_in_bench_range(uint32_t addr)
{
    return (addr & 0xfffe0000u) == 0xc6120000u; /* 198.18.0.0/15 */
}

void ippacket_endpoint(uint32_t addr, uint16_t port, union netaddr *out)
{
    memset(out, 0, sizeof *out);
    out->v4.sin_family = AF_INET;
    out->v4.sin_addr.s_addr = htonl(addr);
    out->v4.sin_port = htons(port);
}

const char *ippacket_flags(uint8_t flags, char buf[IPPACKET_FLAGS_MAX])
{
    /* tcpdump's letters in tcpdump's order: F S R P . U E W */
    static const struct {
        uint8_t bit;
        char c;
    } letters[] = {{IPPACKET_FIN, 'F'}, {IPPACKET_SYN, 'S'}, {IPPACKET_RST, 'R'},
                   {IPPACKET_PSH, 'P'}, {IPPACKET_ACK, '.'}, {0x20, 'U'},
                   {0x40, 'E'}, {0x80, 'W'}};
    size_t n = 0;
    for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++)
        if (flags & letters[i].bit)
            buf[n++] = letters[i].c;
    if (n == 0)
        buf[n++] = '-'; /* no flag at all: a token all the same */
    buf[n] = '\0';
    return buf;
}
