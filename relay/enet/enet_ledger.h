/* enet_ledger.h: what the ENet edge may send a source that has not shown
 * it receives at its address: never more bytes than it received from it,
 * ENet's own handshake and resends included (PROTOCOL.md, "What a forged
 * source gets, edge by edge"). A forged CONNECT's VERIFY_CONNECT goes once;
 * its resends go only as the source sends more.
 *
 * Sources (source_key.h: an IPv4 address, an IPv6 /64) are kept in a fixed
 * table of slots by their keyed hash. A source finding its slot held by
 * another takes it over with nothing to its credit, and a source not heard
 * from or sent to for LEDGER_IDLE_US starts again from nothing: either way
 * a source is only ever owed less, never more. ENet answers a ping (8
 * bytes) with a longer acknowledgement (12): a connection that only pings
 * would spend all its credit on those, so a datagram of acknowledgements
 * alone leaves LEDGER_KEEP bytes for the DISCONNECT that tells it why it
 * is closed (12 bytes: sent once). Pure: given the time; no
 * allocation (the table is inside the struct). */
#ifndef RICOCHET_ENET_LEDGER_H
#define RICOCHET_ENET_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/netaddr.h"

#define LEDGER_SLOTS 4096          /* sources tracked at once (a power of two) */
#define LEDGER_IDLE_US 30000000ull /* a source idle this long is owed nothing */
#define LEDGER_KEEP 12             /* what acknowledgements leave: a lone DISCONNECT */

struct ledger_slot {
    uint64_t tag;     /* the source's key (source_key.h); 0 = free */
    uint64_t credit;  /* bytes received from it not yet matched by bytes sent */
    uint64_t last_us; /* when it last received or was sent */
};

struct enet_ledger {
    struct ledger_slot slots[LEDGER_SLOTS];
};

/* Empties the table. */
void enet_ledger_init(struct enet_ledger *l);

/* len bytes came from `from` at now_us: that much more may go back. */
void enet_ledger_received(struct enet_ledger *l, const union netaddr *from, size_t len,
                          uint64_t now_us);

/* May len bytes go to `to` now, leaving at least `keep` of its credit?
 * Takes them only when it answers true. */
bool enet_ledger_spend(struct enet_ledger *l, const union netaddr *to, size_t len,
                       size_t keep, uint64_t now_us);

#endif
