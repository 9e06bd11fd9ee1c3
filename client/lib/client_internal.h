/* client_internal.h: inside the client library (client.c and the files
 * below it); programs use client.h, tests client_test.h.
 *
 * client.c holds a session's life (create, poll, close); the files below
 * it, each around one object, never call back up (client.c lists them),
 * and this header declares what they offer in that order, top down; a
 * file that owns parts of a session declares them and its calls beside
 * it (client_phase_internal.h, client_send_internal.h,
 * client_members_internal.h, client_ticket_internal.h), and what the
 * transports offer one another is in transports/client_transports_internal.h. A
 * transport carries bytes for the session through one table of
 * operations (in the manner of Redis's ae backends):
 *
 *   client_enet.c      client_enet_ops: one ENetHost with one peer.
 *   client_udp.c       client_udp_ops: one plain datagram socket.
 *   client_wire.c      client_wire_ops: ENet's wire spoken from a wire hub's socket,
 *                      no ENetHost (the generator's lighter clients).
 *   client_tcp.c       client_tcp_ops: one TCP connection, messages in frames.
 *   client_ws.c        client_ws_ops: one WebSocket (wslay), a message each.
 *                      Both over client_stream.c: the connection, its queue.
 *                      tcp, ws, webrtc and quic read through client_step.c:
 *                      the order of taking, reading and waiting, once.
 *   client_webrtc.c    client_webrtc_ops: WebRTC data channels (rtc/rtc_peer.h)
 *                      on one UDP socket, the ENet modes by channel; its offer
 *                      POSTed by client_offer.c.
 *   client_quic.c      client_quic_ops: one QUIC connection (ngtcp2, GnuTLS):
 *                      the ENet modes and streams, datagrams and streams;
 *                      or, on the ALPN h3, a browser's WebTransport session
 *                      (client_wt.c: HTTP/3's little part).
 *   client_poll.c      client_poll_ops: the relay's HTTP polling edge, GETs and
 *                      POSTs on two keep-alive connections (client_stream.c's),
 *                      read through client_step.c; client_http_answer.c reads
 *                      the answers.
 *   client_detached.c  client_detached_ops: no socket at all; tests and fuzz
 *                      targets feed it with client_receive (client_test.h).
 *
 * What the session must know of a transport is data (struct
 * client_transport_caps), so the session never asks which one it has. The
 * larger transports' own state is declared beside them: a TCP connection
 * (client_stream_internal.h), a QUIC connection (client_quic_conn_internal.h),
 * a hub's socket (client_hub_io_internal.h), ENet's wire
 * (client_wire_internal.h). */
#ifndef RICOCHET_CLIENT_INTERNAL_H
#define RICOCHET_CLIENT_INTERNAL_H

/* BY_CLIENT_RECEIVE_C marks what client_receive.c alone writes: const in
 * every other file in the writers check (sys/writer.h; client_receive.c
 * defines it empty before its includes). The other parts' macros are in
 * their headers (BY_CLIENT_PHASE_C in client_phase_internal.h, ...). */
#include "sys/writer.h"
#ifndef BY_CLIENT_RECEIVE_C
#define BY_CLIENT_RECEIVE_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

#include "client.h"
#include "proto/seal.h"
#include "sys/netaddr.h"
#include "stats/rng.h"

#include "client_lockstep_internal.h"
#include "client_members_internal.h"
#include "client_phase_internal.h"
#include "client_room_internal.h"
#include "client_send_internal.h"
#include "client_ticket_internal.h"

#define CTL_SEND_MAX 2048          /* our outgoing control messages are small */
#define DESTROY_WAIT_MS 100        /* bounded polite disconnect */

/* The bytes that came with the last event: a state's payload, an event's
 * body (ricochet_event_bytes). */
#define CLIENT_EVENT_BYTES_MAX \
    (PROTO_PAYLOAD_MAX > PROTO_EVENT_BODY_MAX ? PROTO_PAYLOAD_MAX : PROTO_EVENT_BODY_MAX)

struct ricochet;
struct proto_error_info; /* proto/errors.h */

/* What a transport can do, as the session needs to know it. */
struct client_transport_caps {
    uint32_t modes;  /* bit (1u << mode) per enum proto_mode it carries; the
                        config's mode picks the transport. With one bit the
                        mode cannot be switched live. */
    bool channels;   /* messages arrive on PROTO_CHANNEL_*; else all on the
                        pseudo channel of the transport's mode, its down channel
                        (PROTO_CHANNEL_DATAGRAM, _STREAM, _WEBSOCKET; any other is
                        dropped) */
    size_t control_min; /* control messages are padded to at least this many bytes
                           (sealed included): a relay answers a stranger's datagram only
                           with as many bytes (plain UDP's return routability) */
    bool secure;     /* it encrypts and authenticates every byte itself (DTLS): a
                        relay does not seal it (PROTOCOL.md, Sealed sessions), so a
                        ticket that says "sealed" is kept by the transport, and
                        the join carries no nonce */
    bool connection; /* a connection carries the session: joins go out once it
                        is up, notices are reliable, its close ends the
                        session. Without one (plain UDP): joins are repeated
                        with the relay's cookie, error not_joined means
                        join again, a member silent for timeout_ms is
                        expired here, and the relay's shutting_down or
                        kicked is itself the end of the session. */
};

struct client_transport_ops {
    struct client_transport_caps caps;
    /* Opens the socket towards c->relay (resolved from cfg) and starts the
     * session (an ENet connect, or the first join). Returns 0, or -1 with a
     * message in err; close is called either way. */
    int (*open)(struct ricochet *c, const struct client_config *cfg, char *err,
                size_t err_cap);
    /* Says goodbye within DESTROY_WAIT_MS and frees c->tp (NULL is fine). */
    void (*close)(struct ricochet *c);
    /* Services until an event (1 with *ev) or deadline (0; also 0 once the
     * client is dead). client_service() is the socket transports' loop. */
    int (*service)(struct ricochet *c, uint64_t deadline_us, struct ricochet_event *ev);
    /* One step of client_service: waits at most wait_ms for one message
     * and hands it to client_receive_message (which counts it in c->inputs,
     * as a transport counts an event of its own that carries no message).
     * Returns 1 with *ev, or 0. */
    int (*step)(struct ricochet *c, int wait_ms, struct ricochet_event *ev);
    /* Can a state be sent now (a connection that is up, or none needed)? */
    bool (*ready)(const struct ricochet *c);
    /* Sends one control message (len bytes, sealed or JSON). Returns 0 or -1. */
    int (*send_control)(struct ricochet *c, const uint8_t *buf, size_t len);
    /* Sends one state datagram as mode mi goes up. Returns 0 or -1. NULL:
     * a stream, whose states go as its control messages do (send_control). */
    int (*send_state)(struct ricochet *c, const struct proto_mode_info *mi,
                      const uint8_t *buf, size_t len);
    void (*hang_up)(struct ricochet *c);  /* the session is dead: drop the link now */
    void (*flush)(struct ricochet *c);    /* queued sends out now; counters harvested */
    int (*fd)(const struct ricochet *c);  /* for poll(2); -1: none */
    /* Adds the transport's own figures (not yet harvested bytes, RTT). */
    void (*netinfo)(const struct ricochet *c, struct client_netinfo *info);
    /* How long the relay has sent nothing at all (µs; acknowledgements and
     * pings count), 0 if it cannot tell. */
    uint64_t (*silent_us)(const struct ricochet *c, uint64_t now_us);
    /* When the transport's timers next have work (client_timers_due_us), at
     * or after now_us; NULL: it cannot tell (every poll may have). */
    uint64_t (*timers_due_us)(const struct ricochet *c, uint64_t now_us);
    /* The socket the session's datagrams or stream cross, where fd is an
     * epoll set holding it (NULL: fd is that socket). */
    int (*socket)(const struct ricochet *c);
    /* The socket my messages leave on, when another than socket's (HTTP
     * polling: the POSTs' connection; socket is the GETs'); NULL: socket. */
    int (*socket_up)(const struct ricochet *c);
    /* A new socket for the session (QUIC's connection migration); NULL:
     * none. Returns 0 or -1. */
    int (*rebind)(struct ricochet *c);
};

extern const struct client_transport_ops client_enet_ops;
extern const struct client_transport_ops client_udp_ops;
extern const struct client_transport_ops client_wire_ops;
extern const struct client_transport_ops client_tcp_ops;
extern const struct client_transport_ops client_ws_ops;
extern const struct client_transport_ops client_webrtc_ops;
extern const struct client_transport_ops client_quic_ops;
extern const struct client_transport_ops client_poll_ops;
extern const struct client_transport_ops client_detached_ops;

/* A session is composed of parts, each written by one file and read by
 * the others (docs/design.md, "Who writes what"), as the relay's core
 * composes struct relay: a reader of a field knows where it changes. The
 * parts of the files with a header of their own are declared there. */

/* The last rooms listing (my rooms request's answer): client_receive.c's;
 * the lobby's and its request before the connection: client_send.c's. */
struct client_listing {
    struct proto_room_entry *page; /* PROTO_ROOMS_PAGE (NULL: none yet) */
    struct proto_props *props;     /* ... and their props */
    struct proto_props match;      /* the request's filter */
    size_t len;
    bool more;                /* the relay has more after its last */
    bool lobby;               /* join nothing once connected: ricochet_join's to send */
    bool asked;               /* the lobby asked before the connection was up: */
    char prefix[PROTO_ROOM_MAX + 1]; /* ... sent with this prefix and after, */
    char after[PROTO_ROOM_MAX + 1];  /* as soon as it is (client_join_now) */
    uint8_t watch_ask;        /* the next request's watch (PROTO_WATCH_*): client_lobby.c
                                 sets it, client_send_listing sends it once */
    bool watch;               /* a watch asked for (client_lobby.c): pings keep it */
    bool watching;            /* the last listing said the relay watches for me
                                 (client_receive.c) */
};

/* What a socket carried each way: bytes, and datagrams (a stream's
 * messages). */
struct client_wire_count {
    uint64_t bytes_sent, bytes_received, dgrams_sent, dgrams_received;
};

/* w as client_netinfo says it: the rest zero, no ENet peer ids (-1)
 * (client_hub_io.c). */
void client_wire_netinfo(const struct client_wire_count *w, struct client_netinfo *info);

struct ricochet {
    char host[256];
    char room[PROTO_ROOM_MAX + 1]; /* with any: the prefix until the welcome names it */
    bool any;                 /* the join asks for any room under room, with space */
    char left_owner[PROTO_PLAYER_LEN + 1]; /* the last left notice's new owner ("": none) */
    bool room_mine;           /* the last owner named since my welcome is me */
    struct client_room_view room_view; /* my room as the relay said it: client_room.c's */
    struct client_listing listing;
    char name[PROTO_NAME_MAX + 1];
    uint16_t port;
    bool reflect;
    float aoi;                /* asked for in the join */
    struct client_room_ask room_ask; /* ... and these of its room */
    float room_aoi;           /* my room's, from the welcome */
    uint32_t timeout_ms;
    uint32_t connect_timeout_ms; /* the connection up within this (0: timeout_ms) */
    uint32_t relay_idle_ms;   /* the relay's idle timeout where its transport says it
                                 (QUIC's transport parameter; 0: not said): pings
                                 come within a third of the shorter */
    enum proto_mode mode;
    enum ricochet_transport transport; /* the config's */
    uint32_t poll_wait_ms;    /* HTTP polling: a GET's wait (0: short polling) */
    uint32_t poll_interval_ms; /* ... and short polling's interval */
    const struct client_transport_ops *ops;
    struct client_transport_caps caps; /* ops->caps, or (detached) those of the
                                          transport the mode would pick */
    void *tp;                 /* the transport's own state */
    client_fate_fn fate;      /* client_set_fate's, and its context */
    void *fate_ctx;

    /* The phase, the id and the join's deadline: client_phase.c's (client.c
     * starts them; the transports and the receive path move them through
     * client_join_now, client_welcomed, client_join_again, client_hop and
     * the end, client_go_dead). */
    enum client_phase phase;
    uint32_t id;              /* the welcome's; 0 before it and after a hop */
    char key[PROTO_KEY_LEN + 1]; /* my player's key: the first welcome's, sent in every
                                    later join (client_send.c); "" until then */
    char player[PROTO_PLAYER_LEN + 1]; /* ... and its player id, the welcome's */
    bool final_returned;      /* DISCONNECTED handed out: poll returns -1 */
    uint64_t created_us;
    uint64_t join_started_us; /* the join (or rejoin) deadline counts from here */
    uint64_t join_later_us;   /* a keyed join refused rate_limited goes again then (0:
                                 none): client_phase.c's (client_join_later) */
    bool rejoin_pending;      /* expired by the relay; clear the table on the next poll */
    BY_CLIENT_PHASE_C struct client_ends ends;

    /* When things happened, each field naming its writer. */
    BY_CLIENT_PHASE_C char cookie[PROTO_COOKIE_LEN + 1]; /* the relay's last cookie, echoed in
                                                            joins: client_phase.c's
                                                            (client_cookie_take; a hop clears it) */
    BY_CLIENT_PHASE_C uint64_t next_join_us; /* when the join goes out again: client_phase.c's;
                                                plain UDP's pace (client_udp.c), ENet's until its
                                                cookie (client_cookie_asked, _ask_again) and a
                                                cookie (client_receive.c) through client_join_due */
    BY_CLIENT_PHASE_C uint64_t cookie_wait_us; /* a connection still without the cookie: the
                                                  wait before it asks again (client_phase.c's) */
    uint64_t last_ping_us;    /* last ping sent: client_send.c's (client_send_ping) */
    BY_CLIENT_SEND_C uint64_t sent_us; /* last message sent (control or state): client_send.c's */
    BY_CLIENT_RECEIVE_C uint64_t heard_us; /* last message from the relay that counts as its sign of
                                              life: in a sealed session only what opened;
                                              client_receive.c's (client_heard: client_udp.c starts
                                              it) */
    uint64_t expire_after_us; /* no member can expire before (client_member_expire):
                                 client_members.c's */
    BY_CLIENT_RECEIVE_C uint64_t inputs; /* messages (and transport events) steps handled: a step
                                            that handled one may have left more in the library;
                                            client_receive.c's: it counts messages, a transport its
                                            own events (ENet's connect, a hub's datagram) through
                                            client_input_counted */
    BY_CLIENT_SEND_C uint32_t next_seq; /* client_send.c's */
    union netaddr relay;      /* resolved by client_create: IPv4 or IPv6 */
    int (*make_socket)(void *ctx, int domain, int type, int protocol); /* the config's */
    void *make_socket_ctx;
    struct client_ticket *ticket; /* NULL: no ticket (the config's room and name) */

    /* a fleet (proto/FLEET.md): moved followed, a lost relay rejoined */
    struct client_hub *hub;   /* the config's, to open a link on the next relay */
    struct client_udp_hub *udp_hub; /* the same, in udp mode */
    void *user;
    uint32_t rejoin_ms;       /* 0: a lost relay ends the session */
    uint32_t rejoin_after_ms; /* with rejoin_ms: the relay silent this long is lost */
    BY_CLIENT_PHASE_C struct client_move move;
    BY_CLIENT_SEND_C struct client_hold hold;

    /* The bytes of the event the last poll returned (a state's payload, an
     * event's body), valid until the next poll: copied, since what they
     * came in (an opened seal, a transport's buffer) may not live as long. */
    uint8_t ev_bytes[CLIENT_EVENT_BYTES_MAX];
    size_t ev_len;
    char ev_key[PROTO_EVENT_KEY_MAX + 1]; /* a kept event's key ("": none) */
    uint32_t ev_was;          /* a REJOINED's member: its id before (0: none) */

    struct client_wire_count wire; /* the session's transport's alone (c->ops; a hub
                                      counts for its clients); ENet's 32-bit host
                                      counters are harvested here */
    uint64_t bad_messages;    /* dropped: undecodable or unexpected */
    uint64_t too_old;         /* sequenced states dropped: a newer one from the
                                 same sender was already delivered */

    BY_CLIENT_MEMBERS_C struct client_roster roster;

    struct histogram *latency;    /* one-way latency of others' states (NULL: not kept,
                                     cfg.no_histograms) */
    struct histogram *rtt;        /* my reflected states (NULL: not kept) */
    bool no_member_stats;         /* cfg.no_member_stats */
    struct recv_stats reflect_stats;

    BY_CLIENT_SEND_C struct client_sync sync;
    BY_CLIENT_LOCKSTEP_C struct client_lockstep lockstep; /* a lockstep room: client_lockstep.c's */
    struct rng ping_rng;          /* jitter of clock pings and plain-UDP join retries,
                                     seeded from my name and port (shared, said so:
                                     client.c seeds it, pings and retries draw) */
};

/* ---- reading, once for the buffered transports (client_step.c) ---- */

struct client_batch;

/* How a transport that fills a buffer hands out what it read. */
struct client_reader {
    /* Hands the next whole message to client_receive_message (or starts a
     * batch). Returns 1 with *ev, 0 (one handled, no event) or -1 (none
     * whole is left). */
    int (*next)(struct ricochet *c, struct ricochet_event *ev);
    /* Sends what waits and reads or progresses. Returns 1 (more may be
     * handed out), 0 (nothing now) or -1 (the link ended, already told). */
    int (*more)(struct ricochet *c);
    /* Waits at most wait_ms (more than 0) for the transport's socket. */
    void (*wait)(struct ricochet *c, int wait_ms);
};

/* One step of a transport's step(): hands out batch's states, then whole
 * messages, reading more while any come, until an event (1 with *ev), or
 * nothing after waiting at most wait_ms (0). */
int client_read_step(struct ricochet *c, struct client_batch *batch,
                     const struct client_reader *r, int wait_ms, struct ricochet_event *ev);

/* ---- what a session receives (client_receive.c) ---- */

/* What the last event brought beside it (its bytes, a kept key, a
 * REJOINED's id before) is gone: a new poll, a new message. */
void client_event_forget(struct ricochet *c);

/* The receive path of every transport (and of client_receive): one message
 * that arrived on channel with flags (PROTO_FLAG_*; PROTO_CHANNEL_DATAGRAM:
 * none). Returns 1 with *ev, or 0. */
int client_receive_message(struct ricochet *c, uint8_t channel, uint32_t flags,
                           const uint8_t *buf, size_t len, uint64_t now,
                           struct ricochet_event *ev);

/* A batch (PROTOCOL.md, "Batches") being handed out one state at a time:
 * the transport keeps buf alive until len is 0 again. */
struct client_batch {
    const uint8_t *buf;
    size_t len, at;    /* len 0: none; entries handed out up to at */
    uint8_t channel;   /* as client_receive_message's */
    uint32_t flags;
    uint64_t now;      /* when it arrived: every state in it arrived then */
};

/* Checks the batch of len bytes at buf and hands out its first state that
 * makes an event; a batch whose framing is bad is refused whole (counted
 * once). Returns 1 with *ev, or 0 (then b->len is 0 if nothing is left). */
int client_batch_start(struct ricochet *c, struct client_batch *b, const uint8_t *buf,
                       size_t len, uint8_t channel, uint32_t flags, uint64_t now,
                       struct ricochet_event *ev);
/* The batch's next state that makes an event; 0 once it is all handed out
 * (b->len is 0 then). */
int client_batch_step(struct ricochet *c, struct client_batch *b, struct ricochet_event *ev);

/* What arrived on channel: a batch of states (client_batch_start, b keeps
 * it) or one message (client_receive_message); control is never a batch.
 * Returns 1 with *ev, or 0. */
int client_receive_arrived(struct ricochet *c, struct client_batch *b, const uint8_t *buf,
                           size_t len, uint8_t channel, uint32_t flags, uint64_t now,
                           struct ricochet_event *ev);

/* The relay is heard from at now (c->heard_us): a message that counts as
 * its sign of life, or a transport's start. */
void client_heard(struct ricochet *c, uint64_t now);

/* A transport's own event that carries no message (ENet's connect, a
 * hub's datagram) was handled: counted in c->inputs, as
 * client_receive_message counts a message. */
void client_input_counted(struct ricochet *c);

/* Counts and logs a dropped message. */
void client_bad_message(struct ricochet *c, const char *what, int err);

/* A lobby that watches (client_lobby.c): its keepalive ping when due, and
 * at least every fleet_quiet_ms (a fleet session's: UINT32_MAX for none). */
void client_lobby_step(struct ricochet *c, uint64_t now, uint32_t fleet_quiet_ms);

/* Frees the last rooms listing (the session's end). */
void client_listing_free(struct ricochet *c);

/* ---- names and rooms said in words (client.c) ---- */

/* A room's name (proto's rule, in the words a message gives; a refused
 * player's name gets proto_name_check's words for what it breaks). */
#define CLIENT_ROOM_RULE "1-32 of A-Z a-z 0-9 _ . -"

/* Writes why value is no good as what ("name", "room") into out, one
 * printable line: "name 'a\x1b': a name may not hold control characters
 * (U+001B)", rule being the words after the colon (value NULL: "no name:
 * RULE"; at most 40 of its bytes shown, text as it is, control and format
 * characters and bytes that are not UTF-8 as \xNN). */
void client_name_refusal(char *out, size_t cap, const char *what, const char *value,
                         const char *rule);

/* ---- the public names of a mode and a state ---- */

/* ricochet.h's modes and states are the wire's (ricochet.c asserts it). */
static inline enum ricochet_mode client_public_mode(enum proto_mode mode)
{
    return (enum ricochet_mode)mode;
}

static inline void client_public_state(const struct proto_state *in,
                                       struct ricochet_state *out)
{
    *out = (struct ricochet_state){.sender = in->sender, .seq = in->seq, .send_us = in->send_us,
                                   .x = in->x, .y = in->y, .vx = in->vx, .vy = in->vy,
                                   .heading = in->heading};
}

#endif
