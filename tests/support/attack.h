/* attack.h: connections that never become members, on any edge of the
 * relay, for the fault matrix (test_e2e_faults): a flood of handshakes
 * that never finish (half-open), or connections whose handshake finishes
 * and that then say nothing (silent). Driven in steps from the test's
 * loop, never blocking for long: each step opens what is due at the
 * attack's rate, and reads what the relay sent back (silent connections:
 * noting those the relay closed). From 127.0.0.1 (and other loopback
 * addresses where a stream's budget is per address). */
#ifndef RICOCHET_TEST_ATTACK_H
#define RICOCHET_TEST_ATTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct attack;

enum attack_kind {
    ATTACK_HALF_OPEN, /* handshakes that never finish */
    ATTACK_SILENT,    /* connections that finish theirs and never join */
};

/* An attack of kind on the relay's edge named edge (a way's: "enet",
 * "wss", "wt") at 127.0.0.1:port; offers: the port of the edge that takes
 * a WebRTC session's offer (ws). per_s connections a second, at most max
 * held at once. NULL if edge is none the module knows. */
struct attack *attack_new(enum attack_kind kind, const char *edge, uint16_t port,
                          uint16_t offers, unsigned per_s, unsigned max);

/* Opens what is due at now_ms (from the first step; a few a step at
 * most, behind if the steps come late), reads what came. */
void attack_step(struct attack *a, uint64_t now_ms);

/* Connections opened (a half-open one: its first datagram or bytes sent;
 * a silent one: its handshake finished), and of those the relay closed
 * (silent ones that can tell: every edge's but plain UDP's). */
unsigned attack_opened(const struct attack *a);
unsigned attack_closed(const struct attack *a);

/* Can this attack tell when the relay closes one of its connections? */
bool attack_sees_closes(const struct attack *a);

void attack_free(struct attack *a);

/* A QUIC version 1 Initial of 1200 bytes for no connection (k picks its
 * Destination Connection ID) into b: a Retry is all it can get, and it
 * never answers. Returns its length. */
size_t attack_quic_initial(uint8_t *b, unsigned k);

#endif
