/* member.h: a member of a room over any way into the relay, for tests that
 * try the same thing on every edge (test_e2e_faults): the ways, one or
 * more per edge of relay_transports[] (the quic edge's: QUIC and
 * WebTransport), and a member over one of them: libricochet where the
 * library speaks the way, the test's own TLS WebSocket client
 * (support/streams.h) for wss. A member joins, reads what comes (counting
 * each sender's states, events and its own end), sends states and
 * events; every wait is bounded. */
#ifndef RICOCHET_TEST_MEMBER_H
#define RICOCHET_TEST_MEMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/lib/ricochet.h"
#include "proto/mode.h"

struct streams_conn;
struct poll_client;

/* A way into the relay: an edge, and how a client speaks it. */
struct way {
    const char *edge;         /* its scheme (relay_transports' name) */
    const char *name;         /* "enet", "wt": the way's own */
    const char *offers;       /* the edge its sessions' offers go through ("ws"), or NULL */
    enum proto_mode mode;     /* the member's mode */
    enum ricochet_transport transport;
    bool raw_wss;             /* the test's own WebSocket client, in TLS */
    bool acknowledged;        /* its peers acknowledge what they get: a member that stops
                                 reading is closed slow_reader (plain UDP's: timeout) */
    bool raw_poll;            /* the test's own HTTP polling client (support/poll_client.h) */
};

extern const struct way member_ways[];
extern const size_t member_n_ways;

/* The way called name, or NULL. */
const struct way *member_way(const char *name);

#define MEMBER_IDS 256 /* senders counted by id, below this */

struct member {
    const struct way *way;
    struct ricochet *c;       /* libricochet's session, or NULL */
    struct streams_conn *s;   /* the raw wss client, or NULL */
    struct poll_client *p;    /* the raw HTTP polling client, or NULL */
    uint32_t id;              /* mine, once welcomed */
    bool ended;               /* the session ended (the relay closed it) */
    char end_code[RICOCHET_CODE_MAX + 1]; /* ... with this error code ("" if none) */
    uint32_t next_seq;        /* of my next state */
    uint64_t sent_ms;         /* the raw client: when it last sent (it pings when quiet) */
    uint64_t states[MEMBER_IDS]; /* states received, by sender id */
    uint64_t events;          /* events received */
    uint64_t events_from[MEMBER_IDS]; /* ... by sender id */
    uint64_t errors_throttled; /* errors throttled received */
    uint32_t left[16];        /* ids of members I was told left (kicked or timeout) */
    char left_why[16][RICOCHET_CODE_MAX + 1];
    uint64_t left_at_ms[16];  /* ... and when (clock_now_ms) */
    size_t n_left;
};

/* m joins room as name over way w, at host:port (the way's edge, or its
 * offers' edge), welcomed within ms. Returns 0, or -1 with the reason on
 * stderr (m cleared). */
int member_join(struct member *m, const struct way *w, const char *host, uint16_t port,
                const char *room, const char *name, int ms);

/* Reads whatever came, for up to ms (0: what is there), counting it.
 * Returns -1 once the session ended, else 0. */
int member_poll(struct member *m, int ms);

/* A state (payload bytes of payload after it). Returns 0, or -1. */
int member_send_state(struct member *m, size_t payload);

/* An event of len body bytes to member `to` (RICOCHET_TO_ROOM: the room).
 * Returns 0, or -1. */
int member_send_event(struct member *m, uint32_t to, size_t len);

/* The descriptor to wait on for m's input (poll(2)). */
int member_fd(const struct member *m);

void member_close(struct member *m);

#endif
