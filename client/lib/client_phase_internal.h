/* client_phase_internal.h: client_phase.c's parts of a session, and its calls: the
 * phase, why the session ends, a fleet's moves followed.
 * client_internal.h includes it, composing struct ricochet of its parts;
 * only the file named here writes them. Private to client/lib/. */
#ifndef RICOCHET_CLIENT_PHASE_INTERNAL_H
#define RICOCHET_CLIENT_PHASE_INTERNAL_H

/* BY_CLIENT_PHASE_C marks what client_phase.c alone writes: const in every other
 * file in the writers check (sys/writer.h; client_phase.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_CLIENT_PHASE_C
#define BY_CLIENT_PHASE_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "sys/netaddr.h"

struct ricochet;

#define CLIENT_HOPS_MAX 2          /* moves followed per join (proto/FLEET.md) */
#define REJOIN_PAUSE_US 250000     /* between attempts to rejoin a fleet, at first; */
#define REJOIN_PAUSE_MAX_US 1000000 /* ... doubling up to this */
#define CLIENT_ENTRIES_MAX 8       /* addresses a rejoin goes through (ricochet_config_add_relay) */

enum client_phase {
    PHASE_CONNECTING, /* handshake (ENet) */
    PHASE_JOINING,    /* join sent, waiting for welcome (no connection: also rejoining) */
    PHASE_JOINED,
    PHASE_LOBBY,      /* connected, no join sent yet: listings only (ricochet_join) */
    PHASE_DEAD        /* disconnected; DISCONNECTED event still to return */
};

/* Why the session ends, or would: client_phase.c's, the files that learn a
 * reason handing it over (client_end_refused, _farewell, _in_clear). */
struct client_ends {
    bool fail_after_event;    /* a join error: disconnect on the next poll */
    char fail_code[PROTO_CODE_MAX + 1]; /* ... with the relay's code and message */
    char fail_text[PROTO_TEXT_MAX + 1];
    char dead_code[PROTO_CODE_MAX + 1];
    char dead_text[PROTO_TEXT_MAX + 1];
    char dead_why[PROTO_TEXT_MAX + PROTO_CODE_MAX + 64]; /* ricochet_end_reason() */
    /* With a connection: the last error that ends a session (kicked,
     * shutting_down, ...): the close that follows is explained by it
     * ("" = none yet). */
    char farewell_code[PROTO_CODE_MAX + 1];
    char farewell_text[PROTO_TEXT_MAX + 1];
    /* A session that must be sealed and is not yet: the last error that came
     * in clear, unauthenticated (anyone on the path may have sent it). It
     * ends nothing by itself; if no welcome comes in time, it is the reason
     * given ("" = none). */
    char clear_code[PROTO_CODE_MAX + 1];
    char clear_text[PROTO_TEXT_MAX + 1];
};

/* A fleet (proto/FLEET.md): moves followed, a lost relay rejoined;
 * client_phase.c's (the welcome ends a move: client_welcomed). */
struct client_move {
    struct client_entry {     /* where rejoins go: where the session started, then */
        char host[256];       /* the fleet's other relays it was given, in turn */
        uint16_t port;
    } entries[CLIENT_ENTRIES_MAX];
    unsigned n_entries;
    unsigned entry;           /* the one the next rejoin goes through */
    unsigned attempts;        /* attempts of the rejoin in hand (its pause grows) */
    uint64_t join_epoch;      /* sent in the join: the epoch of the moved followed */
    unsigned hops;            /* moves followed since the last welcome or rejoin */
    char visited[CLIENT_HOPS_MAX + 1][NETADDR_STR_MAX]; /* relays of this join */
    bool report_lost;         /* the next join says I lost the relay of my room, */
    char lost_relay[NETADDR_STR_MAX]; /* ... which one ("" = not known) */
    uint64_t lost_us;         /* the relay was lost then, and not rejoined yet (0: no) */
    bool was_joined;          /* welcomed at least once */
    bool hop_pending;         /* go to hop_host:hop_port at the next poll */
    uint64_t hop_at_us;       /* ... not before this */
    char hop_host[256];
    uint16_t hop_port;
    uint64_t hop_epoch;
    char hop_code[PROTO_CODE_MAX + 1]; /* the MOVED event's: "moved" or "rejoin" */
    bool hop_quiet;           /* another attempt of the same rejoin: no MOVED (one a move) */
};

/* ---- a session's phases; a fleet's moves (client_phase.c) ---- */

/* Marks the client dead with a reason; the next poll returns DISCONNECTED.
 * A fleet's session that lost its relay (code) rejoins instead, within its
 * window (client_rejoin). */
void client_go_dead(struct ricochet *c, const char *code, const char *text);

/* The connection ended or failed: the session ends with the relay's
 * farewell if one came before (client_end_farewell), else with code and
 * text. */
void client_connection_lost(struct ricochet *c, const char *code, const char *text);

/* What the files that learn why a session ends hand over (struct
 * client_ends is this file's): the relay refused the join or ended the
 * session without a connection to close (ends it on the next poll); an
 * error that ends the session came, and the close that follows is
 * explained by it; an error came in clear before the keys of a session
 * that must be sealed (only noted), and each join's start forgets it. */
void client_end_refused(struct ricochet *c, const char *code, const char *text);
void client_end_farewell(struct ricochet *c, const char *code, const char *text);
void client_end_in_clear(struct ricochet *c, const char *code, const char *text);
void client_end_clear_forget(struct ricochet *c);

/* The phases: a session's phase, id and join deadline (struct ricochet's
 * phase, id, join_started_us, rejoin_pending) are this file's; the
 * transports and the receive path move them through these. */
/* The transport's link is up (a connection, or plain UDP's socket): the
 * join goes out, PHASE_JOINING. */
void client_join_now(struct ricochet *c);
/* The welcome, as id: PHASE_JOINED; a move or a rejoin is over (struct
 * client_move is this file's too). */
void client_welcomed(struct ricochet *c, uint32_t id);
/* No connection: the relay no longer has me (its not_joined): PHASE_JOINING
 * again at now, my room's table cleared at the next poll; the transport
 * sends the join. */
void client_join_again(struct ricochet *c, uint64_t now);
/* No connection: the join goes out (again) at at_us: plain UDP's pace
 * (client_udp.c), made now by the relay's cookie (client_receive.c). */
void client_join_due(struct ricochet *c, uint64_t at_us);
/* A join that brought my player's key was refused rate_limited: the relay
 * bounds how fast one address presents keys it does not hold (PROTOCOL.md,
 * "Players who come back"). The join goes again at at_us, within its
 * deadline (a connection's: plain UDP's pace sends it anyway). */
void client_join_later(struct ricochet *c, uint64_t at_us);
/* A connection's first request went (its join, a lobby's listing): the
 * relay answers it with its cookie, unsequenced, and never resends it
 * (PROTOCOL.md, "Return routability (ENet)"). Until the cookie is here,
 * client_ask_cookie_again, called by the connection's timers while it is
 * up, sends the request again, further apart each time; once it is here,
 * what echoes it is reliable and the connection resends it. */
void client_cookie_asked(struct ricochet *c, uint64_t now);
void client_ask_cookie_again(struct ricochet *c, uint64_t now);
/* The relay's cookie, echoed in the joins from now on (a hop forgets it). */
void client_cookie_take(struct ricochet *c, const char cookie[PROTO_COOKIE_LEN + 1]);
/* The session's start: rejoins go back to host:port, then to the relays of
 * more ("HOST:PORT,..." as ricochet_config_add_relay makes it; NULL: none)
 * in turn. */
void client_move_start(struct ricochet *c, const char *more);

/* The relay speaks the other transport: the session ends now with
 * wrong_transport ("X is the relay's <edge> edge: <advice>", in the
 * library's words, never a program's flag) rather than timing out; before
 * the keys of a session that must be sealed, the answer (in clear) is only
 * noted: the reason if no welcome comes. */
void client_wrong_transport(struct ricochet *c, const char *edge, const char *advice);

/* Applies what the previous event left pending: the removal of a member
 * who left, the end of the session after a fatal relay error. */
void client_settle(struct ricochet *c);

/* A dead session's DISCONNECTED event, once: 1 with *ev, then -1. */
int client_final_event(struct ricochet *c, struct ricochet_event *ev);

/* The session's own timers at now: the join deadline (false: it passed,
 * the client is dead), clock pings. */
bool client_timers(struct ricochet *c, uint64_t now);

/* The service loop of a transport with a socket: client_timers, then
 * ops->step until an event, or the deadline once a step handled nothing
 * (what one datagram brought is all handed over before it returns 0). */
int client_service(struct ricochet *c, uint64_t deadline_us, struct ricochet_event *ev);

/* A fleet session whose relay said nothing for rejoin_after_ms: lost (the
 * rejoin starts). Call with nothing left to read. Returns false if the
 * session left the relay. */
bool client_silence_check(struct ricochet *c, uint64_t now);

/* The quiet (ms) after which a session pings its relay: idle_ms, or in a
 * fleet a third of rejoin_after_ms if that is shorter. */
uint32_t client_ping_quiet_ms(const struct ricochet *c, uint32_t idle_ms);

/* A session that lost its relay (code: why) and has a rejoin window
 * schedules a hop back to the address it started from. Returns true if it
 * will (the session is not dead), false if the loss ends it. */
bool client_rejoin(struct ricochet *c, const char *code);

/* A relay's moved: schedules a hop to the relay it names, or ends the
 * session (the other transport, too many hops, back to a relay of this
 * join). Returns false if it is not this session's to act on (moved for
 * another room, or the session is dead): the caller drops it. */
bool client_on_moved(struct ricochet *c, const struct proto_control *m);

/* The scheduled hop (c->move.hop_pending): a fresh link to hop_host:hop_port and
 * the join again. Fills *ev with the MOVED event and returns 1, or returns
 * 0 if the session died (its final event follows). */
int client_hop(struct ricochet *c, struct ricochet_event *ev);

#endif
