/* capture.c: pcap files of netsim's datagrams (see capture.h). libpcap
 * writes the file format; this file only builds the IPv4 and UDP headers. */
#include "capture.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPTURE_HEAD 28                    /* IPv4 (20) + UDP (8) */
#define CAPTURE_MAX_PAYLOAD (65535 - CAPTURE_HEAD)

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

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
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

void capture_write(struct capture *c, const struct sockaddr_in *src,
                   const struct sockaddr_in *dst, const uint8_t *bytes, size_t len,
                   struct timeval ts)
{
    if (len > CAPTURE_MAX_PAYLOAD)
        len = CAPTURE_MAX_PAYLOAD;
    uint8_t *ip = c->pkt, *udp = c->pkt + 20;
    memset(ip, 0, CAPTURE_HEAD);
    ip[0] = 0x45; /* version 4, 5 words */
    put16(ip + 2, (uint16_t)(CAPTURE_HEAD + len));
    put16(ip + 4, c->ip_id++);
    ip[8] = 64;   /* TTL */
    ip[9] = 17;   /* UDP */
    memcpy(ip + 12, &src->sin_addr, 4); /* both already in network order */
    memcpy(ip + 16, &dst->sin_addr, 4);
    put16(ip + 10, ip_checksum(ip));
    memcpy(udp, &src->sin_port, 2);
    memcpy(udp + 2, &dst->sin_port, 2);
    put16(udp + 4, (uint16_t)(8 + len));
    memcpy(c->pkt + CAPTURE_HEAD, bytes, len);
    struct pcap_pkthdr h = {.ts = ts, .caplen = (bpf_u_int32)(CAPTURE_HEAD + len),
                            .len = (bpf_u_int32)(CAPTURE_HEAD + len)};
    pcap_dump((u_char *)c->dump, &h, c->pkt);
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
