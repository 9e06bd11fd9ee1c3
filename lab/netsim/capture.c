/* capture.c: pcap files of netsim's datagrams (see capture.h). libpcap
 * writes the file format; this file only builds the IP (v4 or v6) and UDP
 * headers. */
#include "capture.h"
#include "proto/byteorder.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPTURE_HEAD 28                    /* IPv4 (20) + UDP (8) */
#define CAPTURE_HEAD6 48                   /* IPv6 (40) + UDP (8) */
#define CAPTURE_MAX_PAYLOAD (65535 - CAPTURE_HEAD6)

struct capture {
    pcap_t *dead;       /* describes the link type; no interface */
    pcap_dumper_t *dump;
    uint64_t count;
    uint16_t ip_id;
    uint8_t pkt[65535];
};

struct capture *capture_open(const char *path, char *err, size_t err_cap)
{
    struct capture *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    c->dead = pcap_open_dead(DLT_RAW, 65535);
    c->dump = c->dead ? pcap_dump_open(c->dead, path) : NULL;
    if (!c->dump) {
        snprintf(err, err_cap, "%s", c->dead ? pcap_geterr(c->dead) : "pcap_open_dead failed");
        if (c->dead)
            pcap_close(c->dead);
        free(c);
        return NULL;
    }
    return c;
}

/* RFC 791 header checksum over the 20-byte header. */
static uint16_t ip_checksum(const uint8_t *h)
{
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The UDP header at udp for a datagram of len payload bytes. */
static void put_udp(uint8_t *udp, const union netaddr *src, const union netaddr *dst, size_t len)
{
    be16_put(udp, netaddr_port(src));
    be16_put(udp + 2, netaddr_port(dst));
    be16_put(udp + 4, (uint16_t)(8 + len));
    be16_put(udp + 6, 0);
}

/* An endpoint's address as 16 IPv6 bytes (IPv4 as ::ffff:a.b.c.d).
 * Returns true if it is an IPv4 address, mapped or not. */
static bool as_v6_bytes(const union netaddr *a, uint8_t out[16])
{
    if (a->sa.sa_family == AF_INET6) {
        memcpy(out, &a->v6.sin6_addr, 16);
        return IN6_IS_ADDR_V4MAPPED(&a->v6.sin6_addr);
    }
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, &a->v4.sin_addr, 4);
    return true;
}

/* IPv4 header and UDP (checksum 0: none, allowed over IPv4). */
static void build_v4(struct capture *c, const uint8_t src[16], const uint8_t dst[16],
                       size_t len)
{
    uint8_t *ip = c->pkt;
    memset(ip, 0, 20);
    ip[0] = 0x45; /* version 4, 5 words */
    be16_put(ip + 2, (uint16_t)(CAPTURE_HEAD + len));
    be16_put(ip + 4, c->ip_id++);
    ip[8] = 64;   /* TTL */
    ip[9] = 17;   /* UDP */
    memcpy(ip + 12, src + 12, 4); /* both already in network order */
    memcpy(ip + 16, dst + 12, 4);
    be16_put(ip + 10, ip_checksum(ip));
}

/* IPv6 header; over IPv6 the UDP checksum is mandatory (RFC 8200 8.1). */
static void build_v6(struct capture *c, const uint8_t src[16], const uint8_t dst[16],
                       size_t len)
{
    uint8_t *ip = c->pkt, *udp = c->pkt + 40;
    memset(ip, 0, 40);
    ip[0] = 0x60; /* version 6 */
    be16_put(ip + 4, (uint16_t)(8 + len));
    ip[6] = 17;   /* next header: UDP */
    ip[7] = 64;   /* hop limit */
    memcpy(ip + 8, src, 16);
    memcpy(ip + 24, dst, 16);
    uint32_t sum = 17 + (uint32_t)(8 + len); /* pseudo-header: next header, length */
    for (int i = 8; i < 40; i += 2)
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    for (size_t i = 0; i < 8 + len; i += 2)
        sum += (uint32_t)(udp[i] << 8 | (i + 1 < 8 + len ? udp[i + 1] : 0));
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t check = (uint16_t)~sum;
    be16_put(udp + 6, check ? check : 0xffff);
}

void capture_write(struct capture *c, const union netaddr *src, const union netaddr *dst,
                   const uint8_t *bytes, size_t len, struct timeval ts)
{
    uint8_t s6[16], d6[16];
    bool src_v4 = as_v6_bytes(src, s6), dst_v4 = as_v6_bytes(dst, d6);
    bool v4 = src_v4 && dst_v4;
    if (len > CAPTURE_MAX_PAYLOAD)
        len = CAPTURE_MAX_PAYLOAD;
    size_t iplen = v4 ? 20 : 40;
    put_udp(c->pkt + iplen, src, dst, len);
    memcpy(c->pkt + iplen + 8, bytes, len);
    if (v4)
        build_v4(c, s6, d6, len);
    else
        build_v6(c, s6, d6, len);
    bpf_u_int32 total = (bpf_u_int32)(iplen + 8 + len);
    struct pcap_pkthdr h = {.ts = ts, .caplen = total, .len = total};
    pcap_dump((u_char *)c->dump, &h, c->pkt);
    c->count++;
}

void capture_write_packet(struct capture *c, const uint8_t *bytes, size_t len, struct timeval ts)
{
    bpf_u_int32 total = (bpf_u_int32)(len < sizeof c->pkt ? len : sizeof c->pkt);
    struct pcap_pkthdr h = {.ts = ts, .caplen = total, .len = total};
    pcap_dump((u_char *)c->dump, &h, bytes);
    c->count++;
}

uint64_t capture_count(const struct capture *c)
{
    return c->count;
}

int capture_close(struct capture *c)
{
    if (!c)
        return 0;
    int rc = pcap_dump_flush(c->dump) == 0 ? 0 : -1;
    pcap_dump_close(c->dump);
    pcap_close(c->dead);
    free(c);
    return rc;
}
