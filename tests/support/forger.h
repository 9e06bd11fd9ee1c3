/* forger.h: a joined ENet peer whose raw socket a test borrows, to send
 * what ENet's API never would: datagrams in ENet's wire format written by
 * hand (a header with our peer id and session, commands with any fields).
 * The test fails (cmocka) where the relay refuses the peer or a send does. */
#ifndef RICOCHET_TEST_FORGER_H
#define RICOCHET_TEST_FORGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <enet/enet.h>

#include "lab/harness/spawn.h"

struct forger {
    ENetHost *host;
    ENetPeer *peer;
};

/* Services f for ms; *welcomed (if not NULL) is set once a welcome came. */
void forger_service(struct forger *f, int ms, bool *welcomed);

/* Connects from 127.0.0.1:from_port (0: any port) to 127.0.0.1:port
 * (announcing in_bw bytes/s downstream, 0 = unlimited: a small one makes
 * ENet give the relay's side a small window) and joins room as name.
 * Returns whether the welcome came within 5 s. Bound to 127.0.0.1, not to
 * every address: what the relay sends to a gone host of another loopback
 * address whose port this one got (a flood's) never reaches it. */
bool forger_try_join(struct forger *f, uint16_t from_port, uint16_t port, const char *room,
                     const char *name, enet_uint32 in_bw);

/* Connects (from any port) and joins room "g" as ghost<i>; forger_open
 * fails the test if that does not work. */
bool forger_try_open(struct forger *f, uint16_t port, int i);
void forger_open(struct forger *f, uint16_t port, int i);

/* Gone at once: a disconnect that waits for nothing, and the host freed. */
void forger_close(struct forger *f);

/* Starts a relay that logs warnings only, and opens f (ghost0) on it. */
void forger_start_relay(struct spawn_proc *relay, struct forger *f);

/* Writes the 2-byte peer header (our id at the relay, session, flags) and,
 * with sent_time, the 2-byte sent time into b. Returns its length. */
size_t forger_header(const struct forger *f, uint8_t *b, bool sent_time);

/* Sends len bytes of b from f's socket to the relay, as they are. */
void forger_send(const struct forger *f, const uint8_t *b, size_t len);

/* Appends to b one command header (number with the acknowledge flag,
 * channel, reliable sequence), or a 16- or 32-bit field in network order.
 * Each returns the bytes written. */
size_t forger_put_cmd(uint8_t *b, unsigned cmd, unsigned channel, unsigned seq);
size_t forger_put16(uint8_t *b, unsigned v);
size_t forger_put32(uint8_t *b, uint32_t v);

/* A whole datagram into b: a CONNECT from no peer (id 0xFFF) with a sent
 * time, as ENet 1.3 sends it, asking for every ricochet channel. Returns
 * its length. */
size_t forger_put_connect(uint8_t *b, uint32_t connect_id);

#endif
