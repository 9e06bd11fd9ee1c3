/* flowscan.h: the states inside one datagram of one flow, as netsim's drop
 * log and its paired loss read them. A flow's datagrams are read by its
 * wire: --wire udp, enet, webrtc or quic for every flow, or with --wire
 * auto the one its first datagram shows (a STUN check or a DTLS record:
 * webrtc; a QUIC version 1 Initial: quic; a JSON object: plain udp;
 * anything else: ENet), so one netsim in IP mode reads the ENet, plain-UDP,
 * WebRTC and QUIC flows of a lesson side by side. A WebRTC flow's DTLS
 * (dtlsview.h) and a QUIC flow's packets (quicview.h) are opened with the
 * key log.
 *
 * For paired loss it also says which states a flow shows for the first
 * time: per direction, peer and sender, the highest sequence number judged
 * so far; a state at or below it is a retransmission (ENet's reliable
 * commands, SCTP's, QUIC's stream bytes in a new packet) and is not judged
 * again.
 *
 * Pure but for the key log dtlsview reads. */
#ifndef RICOCHET_FLOWSCAN_H
#define RICOCHET_FLOWSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtlsview.h"
#include "netsim.h"
#include "quicview.h"
#include "statescan.h"

/* How datagrams are read (--wire, in its choices' order). */
enum netsim_wire {
    NETSIM_WIRE_UDP = 0,
    NETSIM_WIRE_ENET = 1,
    NETSIM_WIRE_WEBRTC = 2,
    NETSIM_WIRE_QUIC = 3,
    NETSIM_WIRE_AUTO = 4  /* each flow's from its first datagram */
};

#define FLOWSCAN_SENDERS 8 /* (direction, peer, sender) remembered a flow for paired loss */

struct flowscan {
    int wire;                   /* enum netsim_wire of this flow; -1 until known (auto) */
    struct dtlsview_flow *dtls; /* a WebRTC flow's DTLS (allocated by flowscan_datagram) */
    struct quicview_flow *quic; /* a QUIC flow's packets (allocated likewise) */
    struct {
        bool used;
        uint8_t dir;
        int16_t peer;
        uint32_t sender, highest;
    } judged[FLOWSCAN_SENDERS];
    uint8_t next;               /* the slot the next new sender takes (round robin) */
};

/* A flow's scan from its start: wire is --wire's. */
void flowscan_init(struct flowscan *fs, int wire);

/* Frees what the scan holds (fs stays usable as new). */
void flowscan_free(struct flowscan *fs);

/* The states in one datagram of the flow (its payload: UDP's in IP mode),
 * sent towards dir; fills out as statescan_datagram does. keylog: the
 * WebRTC and QUIC clients' (NULL: their records and packets stay unread). Out of memory reads
 * nothing (malformed). */
struct statescan_result flowscan_datagram(struct flowscan *fs, struct dtlsview_keylog *keylog,
                                          enum netsim_dir dir, const uint8_t *payload,
                                          size_t len, struct statescan_ref out[STATESCAN_MAX]);

/* A datagram as netsim takes it in, before anything is done to it: a QUIC
 * flow's stream bytes are put in order then, each datagram read in the
 * order its sender sent it, whatever netsim later does to it and when
 * (flowscan_datagram reads it again: the same states). Other wires read
 * nothing here. */
void flowscan_arrived(struct flowscan *fs, struct dtlsview_keylog *keylog, enum netsim_dir dir,
                      const uint8_t *payload, size_t len);

/* Of the states r found (refs), the sequence numbers of those the flow
 * shows in dir for the first time, into seqs (STATESCAN_MAX at most), each
 * remembered. Returns how many. */
size_t flowscan_first(struct flowscan *fs, enum netsim_dir dir, const struct statescan_result *r,
                      const struct statescan_ref *refs, uint32_t *seqs);

/* "udp", "enet", "webrtc", "quic", "auto". */
const char *flowscan_wire_name(int wire);

#endif
