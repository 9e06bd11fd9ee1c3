/* target_ippacket.c: fuzzes ippacket_parse, netsim's IP mode reading a
 * packet it carries between its TUN devices (see targets.h). Checked
 * against the bytes themselves: an accepted packet's fields are the ones at
 * their places in the headers, its payload lies inside the packet and
 * inside the IP total length; a refused one breaks one of the rules
 * ippacket.h names; bytes beyond the total length change nothing; the
 * flags' letters say each bit once; an endpoint reads back. */
#include <arpa/inet.h>
#include <string.h>

#include "lab/netsim/ippacket.h"
#include "targets.h"

static uint16_t fuzz_ip_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t fuzz_ip_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int fuzz_ip_same(const struct ippacket *a, const struct ippacket *b)
{
    return a->proto == b->proto && a->src == b->src && a->dst == b->dst &&
           a->sport == b->sport && a->dport == b->dport && a->ports == b->ports &&
           a->payload_off == b->payload_off && a->payload_len == b->payload_len &&
           a->seq == b->seq && a->ack == b->ack && a->flags == b->flags &&
           a->seq_len == b->seq_len;
}

/* Whether the headers the transport needs are cut short (the only refusals
 * left once the IP header reads). */
static int fuzz_ip_transport_short(const uint8_t *buf, size_t head, size_t total)
{
    if ((fuzz_ip_get16(buf + 6) & 0x1fff) != 0)
        return 0; /* a later fragment: nothing to read */
    size_t room = total - head;
    if (buf[9] == IPPACKET_UDP)
        return room < 8;
    if (buf[9] == IPPACKET_TCP)
        return room < 20 || (size_t)(buf[head + 12] >> 4) * 4 < 20 ||
               (size_t)(buf[head + 12] >> 4) * 4 > room;
    return 0;
}

static void fuzz_ip_check_accepted(const uint8_t *buf, size_t len, const struct ippacket *p)
{
    size_t head = (size_t)(buf[0] & 0x0f) * 4, total = fuzz_ip_get16(buf + 2);
    FUZZ_CHECK(len >= 20 && buf[0] >> 4 == 4 && head >= 20 && total >= head && total <= len);
    FUZZ_CHECK(p->proto == buf[9]);
    FUZZ_CHECK(p->src == fuzz_ip_get32(buf + 12) && p->dst == fuzz_ip_get32(buf + 16));
    FUZZ_CHECK(p->payload_off >= head && p->payload_off + p->payload_len == total);
    int later = (fuzz_ip_get16(buf + 6) & 0x1fff) != 0;
    int transport = !later && (p->proto == IPPACKET_TCP || p->proto == IPPACKET_UDP);
    FUZZ_CHECK(p->ports == transport);
    if (!p->ports) {
        FUZZ_CHECK(p->payload_off == head && p->sport == 0 && p->dport == 0);
        FUZZ_CHECK(p->seq == 0 && p->flags == 0 && p->seq_len == 0);
        return;
    }
    const uint8_t *t = buf + head;
    FUZZ_CHECK(p->sport == fuzz_ip_get16(t) && p->dport == fuzz_ip_get16(t + 2));
    if (p->proto == IPPACKET_UDP) {
        FUZZ_CHECK(p->payload_off == head + 8 && p->seq_len == 0);
        return;
    }
    FUZZ_CHECK(p->payload_off == head + (size_t)(t[12] >> 4) * 4);
    FUZZ_CHECK(p->seq == fuzz_ip_get32(t + 4) && p->ack == fuzz_ip_get32(t + 8));
    FUZZ_CHECK(p->flags == t[13]);
    FUZZ_CHECK(p->seq_len == p->payload_len + !!(p->flags & IPPACKET_SYN) +
                                 !!(p->flags & IPPACKET_FIN));
}

/* The flags' letters: one per bit set, in tcpdump's order, "-" for none. */
static void fuzz_ip_check_flags(uint8_t flags)
{
    static const char order[] = "FSRP.UEW";
    char buf[IPPACKET_FLAGS_MAX];
    const char *s = ippacket_flags(flags, buf);
    FUZZ_CHECK(s == buf && strlen(s) < IPPACKET_FLAGS_MAX);
    if (flags == 0) {
        FUZZ_CHECK(strcmp(s, "-") == 0);
        return;
    }
    uint8_t back = 0;
    const char *last = order;
    for (const char *c = s; *c; c++) {
        const char *at = strchr(last, *c);
        FUZZ_CHECK(at != NULL); /* a known letter, after the one before it */
        back |= (uint8_t)(1u << (at - order));
        last = at + 1;
    }
    FUZZ_CHECK(back == flags);
}

int fuzz_target_ippacket(const uint8_t *data, size_t size)
{
    struct ippacket p, q;
    int rc = ippacket_parse(data, size, &p);
    if (rc != 0) {
        FUZZ_CHECK(rc == -1);
        size_t head = size ? (size_t)(data[0] & 0x0f) * 4 : 0;
        size_t total = size >= 4 ? fuzz_ip_get16(data + 2) : 0;
        FUZZ_CHECK(size < 20 || data[0] >> 4 != 4 || head < 20 || total < head ||
                   total > size || fuzz_ip_transport_short(data, head, total));
    } else {
        fuzz_ip_check_accepted(data, size, &p);
        /* Only the total length counts: the packet cut there reads the same. */
        size_t total = fuzz_ip_get16(data + 2);
        FUZZ_CHECK(ippacket_parse(data, total, &q) == 0 && fuzz_ip_same(&p, &q));
        if (total < size)
            FUZZ_CHECK(ippacket_parse(data, total - 1, &q) == -1);
        union netaddr a;
        ippacket_endpoint(p.src, p.sport, &a);
        FUZZ_CHECK(a.v4.sin_family == AF_INET && ntohl(a.v4.sin_addr.s_addr) == p.src &&
                   ntohs(a.v4.sin_port) == p.sport);
        FUZZ_CHECK(ippacket_in_bench_range(p.dst) == ((p.dst >> 17) == (0xc6120000u >> 17)));
    }
    fuzz_ip_check_flags(size ? data[size - 1] : 0);
    return 0;
}
