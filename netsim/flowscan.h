/* flowscan.h: the states inside one datagram of one flow, as netsim's drop
 * log and its paired loss read them. A flow's datagrams are read by its
 * wire: --wire udp, enet or webrtc for every flow, or with --wire auto the
 * one its first datagram shows (a STUN check or a DTLS record: webrtc; a
 * JSON object: plain udp; anything else: ENet), so one netsim in IP mode
 * reads the ENet, plain-UDP and WebRTC flows of a lesson side by side. A
 * WebRTC flow's DTLS is opened with the key log (dtlsview.h).
 *
 * For paired loss it also says which states a flow shows for the first
 * time: per direction, peer and sender, the highest sequence number judged
 * so far; a state at or below it is a retransmission (ENet's reliable
 * commands, SCTP's) and is not judged again.
 *
 * Pure but for the key log dtlsview reads. */
#ifndef RICOCHET_FLOWSCAN_H
#define RICOCHET_FLOWSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtlsview.h"
#include "netsim.h"
#include "statescan.h"

/* How datagrams are read (--wire, in its choices' order). */
enum netsim_wire {
    NETSIM_WIRE_UDP = 0,
    NETSIM_WIRE_ENET = 1,
    NETSIM_WIRE_WEBRTC = 2,
    NETSIM_WIRE_AUTO = 3  /* each flow's from its first datagram */
};

#define FLOWSCAN_SENDERS 8 /* (direction, peer, sender) remembered a flow for paired loss */

struct flowscan {
    int wire;                   /* enum netsim_wire of this flow; -1 until known (auto) */
    struct dtlsview_flow *dtls; /* a WebRTC flow's DTLS (allocated by flowscan_datagram) */
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
 * WebRTC clients' (NULL: their records stay unread). Out of memory reads
 * nothing (malformed). */
struct statescan_result flowscan_datagram(struct flowscan *fs, struct dtlsview_keylog *keylog,
                                          enum netsim_dir dir, const uint8_t *payload,
                                          size_t len, struct statescan_ref out[STATESCAN_MAX]);

/* Of the states r found (refs), the sequence numbers of those the flow
 * shows in dir for the first time, into seqs (STATESCAN_MAX at most), each
 * remembered. Returns how many. */
size_t flowscan_first(struct flowscan *fs, enum netsim_dir dir, const struct statescan_result *r,
                      const struct statescan_ref *refs, uint32_t *seqs);

/* "udp", "enet", "webrtc", "auto". */
const char *flowscan_wire_name(int wire);

#endif
