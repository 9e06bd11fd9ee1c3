/* transport.h: the relay's two network edges. Each owns a socket, turns
 * what arrives into calls on the pure core (relay.h) and carries out the
 * core's sends through a struct relay_transport.
 *
 *   transport_enet.c  ENet host: connections, channels, acks, resends.
 *   transport_udp.c   one bare UDP socket: socket(), bind(), recvfrom(),
 *                     sendto(); "who is joined" is our own address table.
 *
 * These are edges: they read the clock (proto/clock.h) and call the OS. */
#ifndef RICOCHET_TRANSPORT_H
#define RICOCHET_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"

struct relay_net_config {
    const char *bind;          /* local address to bind, "0.0.0.0" */
    uint16_t port;             /* 0 = let the kernel pick a free one */
    uint32_t peer_cap;         /* peer slots; handles given to the core are < this */
    uint32_t max_per_address;  /* peers from one IP address, 0 = peer_cap */
    size_t max_packet_size;    /* ENet: largest packet in (and out is at least
                                  PROTO_CONTROL_MAX); udp: receive buffer */
    size_t max_waiting_data;   /* ENet: bytes a peer may have buffered for reassembly */
    uint32_t timeout_ms;       /* ENet peer timeout; udp: silence before expiry */
};

/* ---- ENet ---- */

struct relay_enet;

/* Creates the ENet host (PROTO_CHANNEL_COUNT channels, peer_cap peers) bound
 * to cfg->bind:port. Returns NULL with a one-line message in err. */
struct relay_enet *relay_enet_create(const struct relay_net_config *cfg,
                                     char *err, size_t err_cap);

/* The callbacks to give relay_create(). */
struct relay_transport relay_enet_transport(struct relay_enet *t);

/* "ip:port" actually bound (the real port when 0 was asked). */
const char *relay_enet_address(const struct relay_enet *t);

/* One loop iteration: enet_host_service once (waiting at most timeout_ms),
 * drain every ready event into r, flush once. Returns events handled, or
 * -1 on a host error. */
int relay_enet_service(struct relay_enet *t, struct relay *r, int timeout_ms);

/* After relay_shutdown(): services until no peer has a goodbye in flight
 * (connected or disconnecting; half-open handshakes do not count) or max_ms
 * passed, so the shutting_down errors go out; then resets what is left. */
void relay_enet_drain(struct relay_enet *t, struct relay *r, int max_ms);

void relay_enet_destroy(struct relay_enet *t);

/* What relay_enet_find_oversize() found. */
struct relay_enet_oversize {
    uint32_t total; /* announced packet length, bytes */
    bool reliable;  /* a reliable fragment: that channel can never move on */
    bool first;     /* fragment number 0 of its packet */
};

/* Pure, for the transport's receive hook (and tests): does the ENet
 * datagram d (len bytes, protocol header included) from a connected peer
 * with `channels` channels carry, among the commands ENet would process, a
 * fragment of a packet longer than max_packet (which ENet drops without a
 * word)? extra_header: 4 if the host checksums datagrams, else 0. Reads
 * only d[0..len); any bytes are safe. Returns true and fills *o if so. */
bool relay_enet_find_oversize(const uint8_t *d, size_t len, size_t extra_header,
                              size_t channels, size_t max_packet,
                              struct relay_enet_oversize *o);

/* ---- plain UDP ---- */

struct relay_udp;

/* Creates and binds the UDP socket. Returns NULL with a message in err. */
struct relay_udp *relay_udp_create(const struct relay_net_config *cfg,
                                   char *err, size_t err_cap);

struct relay_transport relay_udp_transport(struct relay_udp *t);
const char *relay_udp_address(const struct relay_udp *t);

/* The socket, for callers that want to poll(2) it themselves. */
int relay_udp_fd(const struct relay_udp *t);

/* One loop iteration: waits at most timeout_ms for the socket to be
 * readable, reads what is there in batches (recvmmsg), feeds r, sends
 * (sendmmsg). Returns datagrams read, or -1 on a socket error. */
int relay_udp_service(struct relay_udp *t, struct relay *r, int timeout_ms);

/* Expires members silent for timeout_ms (left reason timeout). Call every
 * tick. */
void relay_udp_tick(struct relay_udp *t, struct relay *r);

/* Sends whatever is still queued (after relay_shutdown()). */
void relay_udp_flush(struct relay_udp *t, struct relay *r);

void relay_udp_destroy(struct relay_udp *t);

struct mmsghdr;

/* The transport's send loop, public for tests: sends msgs[0..n) on fd
 * through send (sendmmsg(2)'s contract: the number sent, in order, or -1
 * with errno when the first one failed). A datagram the kernel refuses
 * (EMSGSIZE, EPERM, ...) is skipped; a full socket buffer (EAGAIN) drops it
 * and all after it. EINTR retries. Returns how many were not sent, each
 * counted once. */
unsigned relay_udp_send_batch(int fd, struct mmsghdr *msgs, unsigned n,
                              int (*send)(int, struct mmsghdr *, unsigned, int));

#endif
