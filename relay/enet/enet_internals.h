/* enet_internals.h: everything in the relay that depends on how Debian's
 * ENet 1.3.17 works inside (protocol.c's checks, its scan of peer slots,
 * fields of ENetHost and ENetPeer that are not API). Its datagrams are
 * read by proto/enet/enet_wire.h; the two are what an ENet upgrade
 * reviews. Both refuse to compile against another ENet version
 * (ENET_WIRE_VERSION), and relay_enet_internals_check() refuses to run
 * against another shared library (test_enet_guards checks both). */
#ifndef RICOCHET_ENET_INTERNALS_H
#define RICOCHET_ENET_INTERNALS_H

#include <enet/enet.h>
#include <stdbool.h>
#include <stddef.h>

#include "proto/enet/enet_wire.h"
#include "relay/core/edge.h"

/* The ENet these internals were read from: ENET_WIRE_VERSION. */

/* 0 if the linked ENet is the one this file was written for; else -1 with
 * a one-line message in err. */
int relay_enet_internals_check(char *err, size_t err_cap);

/* host->intercept has no user-data argument, but ENet 1.3.17 hands it the
 * very event pointer given to enet_host_service (protocol.c,
 * enet_protocol_receive_incoming_commands, its only caller). So the caller
 * services with the event inside this struct, and the callback finds its
 * context beside it: per host and per call, no global table (test_enet_guards
 * checks that ENet still passes the pointer on). */
struct relay_enet_service_event {
    ENetEvent event; /* what enet_host_service and enet_host_check_events get */
    void *ctx;
};

/* The ctx of the relay_enet_service_event whose event an intercept
 * callback got; NULL for a NULL event. */
void *relay_enet_intercept_ctx(ENetEvent *event);

/* The peer slot whose own address field `to` is, or NULL (another
 * address: the one of a datagram just read). ENet 1.3.17 sends a peer's
 * datagrams to &peer->address (protocol.c,
 * enet_protocol_send_outgoing_commands), so the socket call it makes
 * (relay/enet/enet_socket.c) can tell which peer it sends to. */
ENetPeer *relay_enet_peer_of_address(ENetHost *host, const ENetAddress *to);

/* Datagrams one enet_host_service call reads at most (protocol.c,
 * enet_protocol_receive_incoming_commands): it stops there, or when the
 * socket is empty, or as soon as a datagram makes a CONNECT or DISCONNECT
 * event. */
#define RELAY_ENET_READS_PER_SERVICE 256

/* Did the enet_host_service call that returned rc with *returned (its
 * event) read the socket until it was empty, having read `reads`
 * datagrams (counted by the intercept callback)? A RECEIVE event comes only
 * from the dispatch after the read loop (when the dispatch queue was empty
 * at the call: the caller drained it with enet_host_check_events), a
 * CONNECT or DISCONNECT may have cut the loop short. */
bool relay_enet_read_all(int rc, const ENetEvent *returned, unsigned reads);

/* Would ENet drop the datagram just received by host (host->receivedData)
 * without a trace? Returns why (stray, server_full, per_address), or
 * RELAY_DROP_COUNT if ENet takes it; *peer_id gets the header's peer id. */
enum relay_drop relay_enet_would_ignore(const ENetHost *host, unsigned *peer_id);

/* What ENet's scan of its peer slots finds for the CONNECT just received by
 * host (only after relay_enet_would_ignore() took it: peer id 0xFFF,
 * RELAY_DROP_COUNT), and the half-open handshakes (peers in
 * ACKNOWLEDGING_CONNECT) beside it. */
struct relay_enet_connect {
    bool resend;              /* its address and connectID are a live peer's: ENet ignores it */
    size_t slot;              /* the slot ENet gives it (its first free one), SIZE_MAX: none */
    size_t same_ip;           /* other live peers from its IP address (ENet's duplicatePeers count) */
    size_t half_open;         /* handshakes in progress */
    size_t half_open_same_ip; /* ... of them from its IP address */
    size_t oldest;            /* the half-open slot with the earliest opened[] time,
                                 SIZE_MAX: none (or opened NULL) */
};

/* Scans host's peer slots once (O(peer slots), like ENet's own scan);
 * opened[i] is when slot i's handshake was first seen (may be NULL). */
void relay_enet_connect_scan(const ENetHost *host, const enet_uint32 *opened,
                             struct relay_enet_connect *c);

/* Pure: does the datagram d (len bytes, header included; extra_header 4 if
 * the host checksums, else 0) from a live peer carry a command that ENet
 * 1.3.17 mishandles? Returns RELAY_DROP_ENET_GUARD for
 *   - an acknowledged command in a datagram without a sent time (ENet
 *     handles a DISCONNECT there, queues no ack, and the peer stays in
 *     ACKNOWLEDGING_DISCONNECT forever: a ghost);
 *   - a fragment whose fields are inconsistent (totalLength < fragmentCount
 *     and the rest of the checks upstream added in 1.3.18: a 2^20-fragment
 *     packet of 1 byte allocates a 128 KiB bitmap and counts 1 byte;
 *     zero-length fragments too);
 * else RELAY_DROP_COUNT. An empty packet (a send command of zero bytes) is
 * taken: ENet delivers it, and the core refuses it as bad_state. Reads only
 * d[0..len). */
enum relay_drop relay_enet_refusal(const uint8_t *d, size_t len, size_t extra_header);

/* What relay_enet_scan saw in a datagram ENet takes. */
struct relay_enet_scanned {
    size_t data_commands; /* sends (empty ones included) and fragments: each one
                             ENet may hold out of order until the ones before it
                             arrive, whatever its size */
    bool disconnect;      /* a DISCONNECT: ENet 1.3.17 then discards the peer's
                             packets it has not handed over yet */
};

/* relay_enet_refusal that also says what ENet would take from d (*out). */
enum relay_drop relay_enet_scan(const uint8_t *d, size_t len, size_t extra_header,
                                struct relay_enet_scanned *out);

/* What ENet has queued to a peer and not yet had acknowledged: commands
 * with a payload in its outgoing list (not sent yet, or due for a resend)
 * and its sent-reliable list (awaiting an acknowledgement). */
struct relay_enet_backlog {
    size_t packets; /* commands with a payload (a fragment counts as one) */
    size_t bytes;   /* their payload bytes */
};

/* Walks p's outgoing and sent-reliable lists, stopping once more than
 * max_packets were counted (O(max_packets)): b->packets > max_packets
 * then means "at least that many". */
void relay_enet_backlog(const ENetPeer *p, size_t max_packets, struct relay_enet_backlog *b);

/* Frees every command with a payload queued to p and not yet sent on a
 * channel other than keep_channel (the peer is being closed: what it could
 * not read is of no more use, and what is said on keep_channel, the reason,
 * should still reach it). Returns how many were freed. */
size_t relay_enet_purge_outgoing(ENetPeer *p, unsigned keep_channel);

/* Does ENet hold no incoming command from p waiting for order (every
 * channel's incoming reliable and unreliable queue empty)? O(channels). */
bool relay_enet_holds_none(const ENetPeer *p);

/* Incoming commands ENet holds from p waiting for order, counted up to
 * limit + 1 (O(limit)). */
size_t relay_enet_held(const ENetPeer *p, size_t limit);

/* Acknowledgements held back from ENet for the rest of one service (see
 * transport_enet.c, "acknowledgements ride with the tick"): ENet queues one
 * per reliable command it reads (peer->acknowledgements) and sends them
 * right after its read loop, each peer's in a datagram of its own unless
 * something else is queued to that peer by then. */
struct relay_enet_acks {
    ENetList list;          /* the ENetAcknowledgements taken from the peer */
    enet_uint32 connect_id; /* the connection they acknowledge */
};

/* An empty holder (ENet's lists point at themselves when empty). */
void relay_enet_acks_init(struct relay_enet_acks *held);

/* Moves what ENet has queued to acknowledge to p behind what held has
 * already (held then belongs to p's current connection). */
void relay_enet_hold_acks(ENetPeer *p, struct relay_enet_acks *held);

/* Gives held back to p, ahead of what ENet queued since, if p is still the
 * connection they acknowledge (connected or disconnecting once its queue is
 * sent, same connectID); else frees them.
 * held is empty after. Returns how many went back. */
size_t relay_enet_return_acks(ENetPeer *p, struct relay_enet_acks *held);

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

#endif
