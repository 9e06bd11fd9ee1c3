/* statescan.h: finds the ricochet states inside one datagram as netsim sees
 * it, for ricochet-netsim --drop-log (per-state accounting of what it
 * dropped, duplicated and delayed).
 *
 * Pure: reads (buf, len), copies nothing, allocates nothing.
 * - udp: the datagram is one state, its header at offset 0, or a batch
 *   (PROTOCOL.md, "Batches"): every entry that is a state is one (a batch
 *   that does not frame exactly is malformed).
 * - enet: the datagram is an ENet 1.3.17 protocol header (peer id with the
 *   flags, sent time if flagged; no checksum: ricochet sets none) followed by
 *   up to 32 commands. Every command that carries data (reliable, unreliable,
 *   unsequenced with its group, fragment) is walked; a payload on a state
 *   channel whose first bytes are a state header is one state, and each
 *   state entry of a batch payload is one, of the command's kind. A fragmented
 *   state is recognised by its first fragment (offset 0) only; the others
 *   carry no header. Compressed datagrams (ricochet never compresses) and
 *   malformed ones are reported, never guessed at. */
#ifndef RICOCHET_STATESCAN_H
#define RICOCHET_STATESCAN_H

#include <stddef.h>
#include <stdint.h>

/* ENet puts at most 32 commands in a datagram, but a batch command holds
 * many states: a datagram of ENet's largest MTU (4096 bytes) holds fewer
 * than 100 states of 40 bytes with their 2-byte heads. */
#define STATESCAN_MAX 128

enum statescan_wire { STATESCAN_UDP = 0, STATESCAN_ENET = 1 };

/* How a state travelled inside the datagram. */
enum statescan_kind {
    STATESCAN_PLAIN = 0,      /* a whole udp datagram */
    STATESCAN_RELIABLE = 1,   /* ENet SEND_RELIABLE */
    STATESCAN_UNRELIABLE = 2, /* ENet SEND_UNRELIABLE (sequenced) */
    STATESCAN_UNSEQUENCED = 3,
    STATESCAN_FRAGMENT = 4,   /* first fragment of a fragmented state */
    STATESCAN_BATCHED = 5,    /* an entry of a udp batch (in ENet: the command's kind) */
    STATESCAN_DATAGRAM = 6    /* in a QUIC DATAGRAM frame (quicview.h): no ENet group */
};

struct statescan_ref {
    uint32_t sender;  /* as in the datagram: 0 on the uplink, stamped downstream */
    uint32_t seq;     /* the sender's sequence number */
    uint8_t channel;  /* ENet channel (0 for udp) */
    uint8_t kind;     /* enum statescan_kind */
    uint16_t group;   /* STATESCAN_UNSEQUENCED: the command's unsequenced group (ENet's
                         receiver discards a group older than its window) */
};

struct statescan_result {
    size_t states;    /* refs found (the first STATESCAN_MAX are in out) */
    size_t commands;  /* ENet commands walked */
    int malformed;    /* 1: stopped at a command ENet would refuse, or too short */
    int compressed;   /* 1: ENet compressed datagram, not read */
    int peer;         /* ENet: the header's peer id (session and flag bits masked off):
                         the receiver's slot for the sender; -1 for udp or too short */
};

/* Scans one datagram of len bytes. Fills out[0..min(states, STATESCAN_MAX))
 * and returns the result; never reads beyond buf + len. */
struct statescan_result statescan_datagram(enum statescan_wire wire, const uint8_t *buf,
                                           size_t len, struct statescan_ref out[STATESCAN_MAX]);

/* "plain", "reliable", "unreliable", "unsequenced", "fragment", "batched",
 * "datagram"; "?" otherwise. */
const char *statescan_kind_name(int kind);

#endif
