/* capture.h: ricochet-netsim --pcap, what netsim forwarded and dropped as
 * pcap files (libpcap's pcap_dump) that tcpdump -r and Wireshark open.
 *
 * Each datagram is written as a raw IP packet (LINKTYPE_RAW) with an IP
 * and a UDP header made up from the endpoints the datagram travelled
 * between as the client and the relay see them (up: client -> relay, down:
 * relay -> client; netsim's own sockets are left out), stamped with the
 * wall-clock time netsim sent or dropped it. Two IPv4 endpoints give an
 * IPv4 packet with UDP checksum 0 (none, allowed over IPv4); otherwise an
 * IPv6 packet (an IPv4 side as ::ffff:a.b.c.d) with its checksum. In IP
 * mode netsim carries packets, and writes them as they are. */
#ifndef RICOCHET_CAPTURE_H
#define RICOCHET_CAPTURE_H

#include "sys/netaddr.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

struct capture;

/* Opens path for writing (truncated). Returns NULL with a one-line message
 * in err if it cannot. */
struct capture *capture_open(const char *path, char *err, size_t err_cap);

/* Writes one datagram from src to dst at time ts. len above 65487 is cut
 * to fit an IPv6 packet (netsim never forwards more). */
void capture_write(struct capture *c, const union netaddr *src, const union netaddr *dst,
                   const uint8_t *bytes, size_t len, struct timeval ts);

/* Writes one whole IP packet (IP mode) as it is, at time ts; len above
 * 65535 is cut. */
void capture_write_packet(struct capture *c, const uint8_t *bytes, size_t len, struct timeval ts);

/* Datagrams written so far. */
uint64_t capture_count(const struct capture *c);

/* Flushes and closes (NULL is fine). Returns 0, or -1 if writing failed. */
int capture_close(struct capture *c);

#endif
