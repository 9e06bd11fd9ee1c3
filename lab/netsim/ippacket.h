/* ippacket.h: what ricochet-netsim's IP mode reads in a packet it carries
 * between its two TUN devices: the endpoints, the transport and, for TCP,
 * the segment's place in its byte stream (the drop log names segments by
 * it, as tcpdump does).
 *
 * Pure: reads (buf, len), copies nothing, allocates nothing. IPv4 only:
 * the namespaces netsim joins use 198.18.0.0/15 (RFC 2544), and nothing
 * else crosses (an IPv6 packet is "not ours", never parsed). */
#ifndef RICOCHET_IPPACKET_H
#define RICOCHET_IPPACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/netaddr.h"

#define IPPACKET_TCP 6
#define IPPACKET_UDP 17

/* TCP header flags, as on the wire (byte 13). */
#define IPPACKET_FIN 0x01
#define IPPACKET_SYN 0x02
#define IPPACKET_RST 0x04
#define IPPACKET_PSH 0x08
#define IPPACKET_ACK 0x10

/* ippacket_flags' longest answer ("SFRP.UEW") and its NUL */
#define IPPACKET_FLAGS_MAX 9

struct ippacket {
    uint8_t proto;          /* the IP protocol number (6 TCP, 17 UDP, 1 ICMP, ...) */
    uint32_t src, dst;      /* addresses, host order */
    uint16_t sport, dport;  /* TCP and UDP; 0 for the others and for later fragments */
    bool ports;             /* the transport header was read: a TCP or UDP packet, whole or
                               the first fragment */
    size_t payload_off;     /* TCP / UDP payload: offset and length in the packet */
    size_t payload_len;
    /* TCP only */
    uint32_t seq, ack;      /* as on the wire */
    uint8_t flags;          /* IPPACKET_SYN ... */
    uint32_t seq_len;       /* sequence space the segment takes: payload, +1 for SYN, +1 for FIN */
};

/* Reads an IPv4 packet of len bytes. Returns 0, or -1 if it is not one
 * (another version, a header or total length that does not fit, a
 * transport header cut short). A later fragment (offset > 0) has no
 * transport header: ports false, payload the fragment's. */
int ippacket_parse(const uint8_t *buf, size_t len, struct ippacket *p);

/* Whether addr (host order) is in 198.18.0.0/15. */
bool ippacket_in_bench_range(uint32_t addr);

/* addr (host order) and port as an endpoint. */
void ippacket_endpoint(uint32_t addr, uint16_t port, union netaddr *out);

/* A TCP segment's flags as tcpdump writes them, in its order (F S R P,
 * "." for ACK, U E W): "S", "S.", "P.", "FP.", "."; "-" for none.
 * Returns buf. */
const char *ippacket_flags(uint8_t flags, char buf[IPPACKET_FLAGS_MAX]);

#endif
