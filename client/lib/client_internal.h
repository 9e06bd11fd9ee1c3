/* client_internal.h: inside the client library (client.c and the files
 * below it); programs use client.h, tests client_test.h.
 *
 * client.c holds a session's life (create, poll, close); the files below
 * it, each around one object, never call back up (client.c lists them),
 * and this header declares what they offer in that order, top down. A
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
 *                      read through client_step.c; client_poll_http.c reads
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

#include "client.h"
#include "../../proto/seal.h"
#include "../../sys/netaddr.h"
#include "../../stats/rng.h"

#define CTL_SEND_MAX 2048          /* our outgoing control messages are small */
#define DESTROY_WAIT_MS 100        /* bounded polite disconnect */
#define DEPARTED_MAX 64            /* ids remembered after they left */
#define CLIENT_HOPS_MAX 2          /* moves followed per join (proto/FLEET.md) */
#define REJOIN_PAUSE_US 250000     /* between attempts to rejoin a fleet */
#define HOLD_MAX 256               /* reliable states held across a move, at most */
#define HOLD_WAIT_US 1000000       /* after the welcome, members awaited at most this long */
#define KEPT_MAX 64                /* reliable states kept after they went up */

/* A reliable state sent while the session moved between relays. */
struct held_state {
    uint16_t len;
    uint8_t bytes[PROTO_STATE_MAX];
};

/* A reliable state that went up, kept until a room's move says whether the
 * relay passed it on: its bytes, payload included (allocated to the
 * longest state this ring slot has held: cap). */
struct kept_state {
    uint32_t seq;
    uint16_t len, cap;
    uint8_t *bytes;
};

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

/* What a transport carrying the TCP edge's frames can do (tcp, poll). */
#define CLIENT_CAPS_TCP_FRAMES { .modes = 1u << PROTO_MODE_TCP, .connection = true }

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

/* A member that left my room, remembered so that a late state does not list
 * it again. expired: I expired it myself (no connection, no state for
 * timeout_ms) and the relay may still have it, so a state from it lists it
 * again under its name. */
/* How a member leaves my table: the relay said it left, I expired it myself
 * (no connection), or it went out of sight (a room with interest). */
enum client_departure { CLIENT_LEFT, CLIENT_EXPIRED, CLIENT_VANISHED };

struct departed {
    uint32_t id;               /* 0: free slot */
    bool expired;
    bool vanished;             /* out of sight (a room with interest), not gone */
    enum proto_mode mode;
    char name[PROTO_NAME_MAX + 1];
};

/* A session's ticket (client_ticket.c); a client without one has none. */
struct client_ticket {
    char pass[PROTO_TICKET_MAX + 1];   /* the part for the relay, sent in each join */
    uint8_t up_key[SEAL_KEY_BYTES];    /* the ticket's keys, from which each session's */
    uint8_t down_key[SEAL_KEY_BYTES];  /* keys are derived with my nonce and its salt */
    bool must_seal;                    /* the ticket says the session must be sealed */
    uint8_t nonce[SEAL_NONCE_BYTES];   /* this join's (a new one for each join: a move, */
    char nonce_hex[SEAL_HEX_LEN + 1];  /* a rejoin), sent in it */
    bool sealed;                       /* the relay's `sealed` for this join came: keys */
    uint8_t salt[SEAL_SALT_BYTES];     /* ... from its salt, the only one of this join */
    struct seal_tx tx;                 /* what I send */
    struct seal_rx rx;                 /* what the relay sends */
};

enum client_phase {
    PHASE_CONNECTING, /* handshake (ENet) */
    PHASE_JOINING,    /* join sent, waiting for welcome (no connection: also rejoining) */
    PHASE_JOINED,
    PHASE_LOBBY,      /* connected, no join sent yet: listings only (ricochet_join) */
    PHASE_DEAD        /* disconnected; DISCONNECTED event still to return */
};

/* A session is composed of parts, each written by one file and read by
 * the others (docs/design.md, "Where things are"), as the relay's core
 * composes struct relay: a reader of a field knows where it changes. */

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
    char entry_host[256];     /* where the session started: rejoins go there */
    uint16_t entry_port;
    uint64_t join_epoch;      /* sent in the join: the epoch of the moved followed */
    unsigned hops;            /* moves followed since the last welcome or rejoin */
    char visited[CLIENT_HOPS_MAX + 1][NETADDR_STR_MAX]; /* relays of this join */
    bool report_lost;         /* the next join says I lost the relay of my room */
    uint64_t lost_us;         /* the relay was lost then, and not rejoined yet (0: no) */
    bool was_joined;          /* welcomed at least once */
    bool hop_pending;         /* go to hop_host:hop_port at the next poll */
    uint64_t hop_at_us;       /* ... not before this */
    char hop_host[256];
    uint16_t hop_port;
    uint64_t hop_epoch;
    char hop_code[PROTO_CODE_MAX + 1]; /* the MOVED event's: "moved" or "rejoin" */
};

/* Reliable mode across a move: "everything, in order" holds there too.
 * States sent between relays wait, and go out once the members of the room
 * before the move are there again (or HOLD_WAIT_US after the welcome), so
 * that none of them misses one. client_send.c's (client_hold_*). */
struct client_hold {
    bool holding;
    uint64_t hold_until_us;   /* set by the welcome: send then whoever is missing */
    struct held_state *held;  /* HOLD_MAX, allocated on the first move */
    size_t n_held;
    char (*awaited)[PROTO_NAME_MAX + 1]; /* members before the move not seen since */
    size_t n_awaited;
    /* States on their way when a room moves reach the old relay after it
     * let the member go: its moved names the last it passed on, and those
     * sent after it go again, first, on the next relay. */
    struct kept_state *kept;  /* KEPT_MAX, a ring: the newest at (n_kept - 1) % KEPT_MAX */
    uint64_t n_kept;          /* kept since the ring was last emptied */
};

/* Members of my room, not me: client_members.c's. */
struct client_roster {
    struct client_member *members;
    size_t n_members, cap_members;
    uint32_t *member_ids;     /* members[i].id, apart: a state's sender is looked for
                                 among a few dozen members, a cache line of ids each 16 */
    bool remove_pending;      /* a member left or vanished: remove on the next poll */
    enum client_departure remove_how; /* ... and how */
    uint32_t remove_id;
    struct departed departed[DEPARTED_MAX];
    size_t departed_next;
};

/* The clock offset to the relay (pings, PROTOCOL.md "Clock offset"):
 * client_send.c's, which pings and announces (client_clock_sample,
 * client_clock_forget). */
struct client_sync {
    struct clock_sync clock;
    uint64_t next_ping_us;        /* next clock ping */
    struct clock_sync announced;  /* the estimate the room has (valid: announced) */
    unsigned clock_samples;
    unsigned ping_backoff;        /* slow pings double this many times (the estimate held) */
    bool clock_changed;           /* announce it at the next step */
};

/* The last rooms listing (my rooms request's answer): client_receive.c's;
 * the lobby's and its request before the connection: client_send.c's. */
struct client_listing {
    struct proto_room_entry *page; /* PROTO_ROOMS_PAGE (NULL: none yet) */
    size_t len;
    bool more;                /* the relay has more after its last */
    bool lobby;               /* join nothing once connected: ricochet_join's to send */
    bool asked;               /* the lobby asked before the connection was up: */
    char prefix[PROTO_ROOM_MAX + 1]; /* ... sent with this prefix and after, */
    char after[PROTO_ROOM_MAX + 1];  /* as soon as it is (client_join_now) */
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
    struct client_listing listing;
    char name[PROTO_NAME_MAX + 1];
    uint16_t port;
    bool reflect;
    float aoi;                /* asked for in the join */
    float room_aoi;           /* my room's, from the welcome */
    uint32_t timeout_ms;
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
    bool final_returned;      /* DISCONNECTED handed out: poll returns -1 */
    uint64_t created_us;
    uint64_t join_started_us; /* the join (or rejoin) deadline counts from here */
    bool rejoin_pending;      /* expired by the relay; clear the table on the next poll */
    struct client_ends ends;

    /* When things happened, each field naming its writer. */
    char cookie[PROTO_COOKIE_LEN + 1]; /* the relay's last cookie, echoed in joins:
                                          client_receive.c's (cleared by a hop) */
    uint64_t next_join_us;    /* no connection: when the join goes out again; plain
                                 UDP's pace (client_udp.c), made now by a cookie
                                 (client_receive.c) and by client_phase.c's joins */
    uint64_t last_ping_us;    /* last ping sent: client_send.c's (client_send_ping) */
    uint64_t sent_us;         /* last message sent (control or state): client_send.c's */
    uint64_t heard_us;        /* last message from the relay that counts as its sign of
                                 life: in a sealed session only what opened;
                                 client_receive.c's (client_udp.c starts it) */
    uint64_t expire_after_us; /* no member can expire before (client_member_expire):
                                 client_members.c's */
    uint64_t inputs;          /* messages (and transport events) steps handled: a step
                                 that handled one may have left more in the library;
                                 client_receive.c counts messages, a transport its
                                 own events (ENet's connect, a hub's datagram) */
    uint32_t next_seq;        /* client_send.c's */
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
    struct client_move move;
    struct client_hold hold;

    /* The bytes of the event the last poll returned (a state's payload, an
     * event's body), valid until the next poll: copied, since what they
     * came in (an opened seal, a transport's buffer) may not live as long. */
    uint8_t ev_bytes[CLIENT_EVENT_BYTES_MAX];
    size_t ev_len;

    struct client_wire_count wire; /* the session's transport's alone (c->ops; a hub
                                      counts for its clients); ENet's 32-bit host
                                      counters are harvested here */
    uint64_t bad_messages;    /* dropped: undecodable or unexpected */
    uint64_t too_old;         /* sequenced states dropped: a newer one from the
                                 same sender was already delivered */

    struct client_roster roster;

    struct histogram *latency;    /* one-way latency of others' states (NULL: not kept,
                                     cfg.no_histograms) */
    struct histogram *rtt;        /* my reflected states (NULL: not kept) */
    struct recv_stats reflect_stats;

    struct client_sync sync;
    struct rng ping_rng;          /* jitter of clock pings and plain-UDP join retries,
                                     seeded from my name and port (shared, said so:
                                     client.c seeds it, pings and retries draw) */
};

/* ---- buffers ---- */

/* Grows *buf (of *cap bytes) to hold need bytes, doubling from 4 KiB.
 * Returns 0, or -1 (out of memory: *buf as it was). */
int client_reserve(uint8_t **buf, size_t *cap, size_t need);

/* ---- WebRTC's signalling: one offer POSTed (client_offer.c) ---- */

#define CLIENT_OFFER_PATH "/rtc"

/* An offer on its way to a relay's ws edge (PROTOCOL.md, "Signalling:
 * POST /rtc") and its answer coming back, over one TCP connection, never
 * waiting: each step does what the socket allows. */
struct client_offer;

enum client_offer_state {
    CLIENT_OFFER_WAITING,  /* connecting, sending, or the answer not whole yet */
    CLIENT_OFFER_ANSWERED, /* 201: the answer's SDP */
    CLIENT_OFFER_FAILED    /* refused, cut or unreachable: why */
};

/* Starts connecting to relay (the ws edge's address) to POST sdp (the
 * offer, NUL-terminated) with pass (a ticket's; NULL: no Authorization).
 * Returns NULL with a one-line message in err. */
struct client_offer *client_offer_new(const union netaddr *relay, const char *sdp,
                                      const char *pass, char *err, size_t err_cap);

/* What the socket allows now; ANSWERED with the answer (NUL-terminated)
 * in answer[0..cap), FAILED with a one-line reason in why. */
enum client_offer_state client_offer_step(struct client_offer *o, char *answer, size_t cap,
                                          char *why, size_t why_cap);

int client_offer_fd(const struct client_offer *o);  /* its TCP connection */
void client_offer_free(struct client_offer *o);      /* NULL is fine */

/* ---- HTTP/1.1 answers: one reader for every transport (client_poll_http.c) ---- */

/* What the head of an answer says. */
struct client_http_answer {
    int status;
    size_t head_len;           /* through its blank line */
    size_t body_len;           /* its Content-Length (0 if none) */
    bool has_length;           /* it had a Content-Length */
    bool close;                /* Connection: close, or HTTP/1.0 without keep-alive */
};

/* The head of the answer at the start of buf[0..len). Returns 1 once it is
 * whole (*a filled), 0 while it is not, -1 if it is no answer this library
 * reads (not HTTP/1.x, a head over head_max bytes, a bad line, a bad or
 * second Content-Length, chunks: what is wrong in *why). */
int client_http_head_parse(const uint8_t *buf, size_t len, size_t head_max,
                           struct client_http_answer *a, const char **why);

/* The value of header name (any case) in a whole head[0..head_len) into
 * out, trimmed ("" if it has none). */
void client_http_header(const char *head, size_t head_len, const char *name, char *out,
                        size_t cap);

#define CLIENT_POLL_HEAD_MAX 8192              /* a polling answer's head, at most */
#define CLIENT_POLL_BODY_MAX (2 * (2 + 65535)) /* a GET's body: 64 KiB of whole frames,
                                                  or one frame longer than that */

/* A polling answer at the start of buf[0..len): as client_http_head_parse,
 * but 1 only once its body is whole too, and -1 also without a
 * Content-Length (but for 204 and 304) or with a body over the bound. */
int client_poll_answer_parse(const uint8_t *buf, size_t len, struct client_http_answer *a,
                             const char **why);

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

/* Counts and logs a dropped message. */
void client_bad_message(struct ricochet *c, const char *what, int err);

/* Frees the last rooms listing (the session's end). */
void client_listing_free(struct ricochet *c);

/* ---- an ENet peer's end, said (client_enet.c; client_wire.c too) ---- */

/* The relay closed the ENet connection, or it timed out. Why: the error
 * that came before it (client_connection_lost), else info (the code in the
 * disconnect data: PROTOCOL.md, a relay that closes a peer sends its error
 * code there too; NULL: none), else a guess from the phase. */
void client_enet_disconnected(struct ricochet *c, const struct proto_error_info *info);

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
/* The session's start: rejoins go back to host:port. */
void client_move_start(struct ricochet *c);

/* The relay speaks the other transport: the session ends now with
 * wrong_transport ("the relay at X speaks <speaks>; <advice>") rather than
 * timing out; before the keys of a session that must be sealed, the
 * answer (in clear) is only noted: the reason if no welcome comes. */
void client_wrong_transport(struct ricochet *c, const char *speaks, const char *advice);

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

/* ---- what a session sends (client_send.c) ---- */

/* When a session that has said nothing since pings anyway: a member that
 * sends nothing of its own (a spectator) still speaks, since the relay
 * expires one silent for its timeout (a stream's connection too); a third
 * of my timeout, or of the relay's idle timeout where it is said and
 * shorter, after my last message (a sealed session: 1 s). */
uint64_t client_idle_ping_us(const struct ricochet *c);

void client_send_join(struct ricochet *c);
/* "<what> at HOST:PORT (expected: a relay's <scheme> edge); start
 * ricochet-relay --listen ..." into out: where the session looked and
 * what to start (client_phase.c). */
void client_no_relay_text(const struct ricochet *c, const char *what, char *out, size_t cap);
/* Sends the rooms request of c->listing's prefix and after: 0 or -1. */
int client_send_listing(struct ricochet *c);
/* Sends a control message of type with t (ping, leave). */
/* The `cookie` message, echoing c->cookie: a lobby's proof of its address. */
void client_send_cookie(struct ricochet *c);
void client_send_simple(struct ricochet *c, enum proto_ctl_type type, uint64_t t);
/* A ping at now, noted in c->last_ping_us. */
void client_send_ping(struct ricochet *c, uint64_t now);
/* Joined: the clock ping when due, and my clock offset announced to the
 * room when it changed enough. */
void client_clock_step(struct ricochet *c, uint64_t now);
/* A pong to my ping sent at t (relay_t: the relay's clock, 0 if absent),
 * received at now: a clock sample; slow pings back off while it holds. */
void client_clock_pong(struct ricochet *c, uint64_t t, uint64_t relay_t, uint64_t now);
/* A new relay: its clock is not known yet, and pings start again fast. */
void client_clock_forget(struct ricochet *c);

/* Frees what is held and kept for a room's move (the session's end). */
void client_hold_free(struct ricochet *c);

/* Reliable mode across a fleet's move: the move starts (who is in the room
 * is awaited on the next relay), name is there again, and what was held
 * goes out once all are (or HOLD_WAIT_US after the welcome). */
void client_hold_start(struct ricochet *c);
void client_hold_seen(struct ricochet *c, const char *name);
void client_hold_check(struct ricochet *c, uint64_t now);
/* The welcome on the next relay: the members it lists are there again; the
 * rest are awaited HOLD_WAIT_US more at most. */
void client_hold_welcomed(struct ricochet *c, uint64_t now);

/* A room's move while holding: the kept states after seq (the last the old
 * relay passed on) are held first, to go out before the rest. forwarded
 * false (a move that does not say): the kept states are forgotten. */
void client_hold_unforwarded(struct ricochet *c, bool forwarded, uint32_t seq);

/* ---- the member table (client_members.c) ---- */

/* The member with this id, or NULL. */
struct client_member *client_member_find(const struct ricochet *c, uint32_t id);

/* The note of a member who left lately, or NULL. */
struct departed *client_departed_find(struct ricochet *c, uint32_t id);

/* Adds (or returns) the member with this id, listed since now if new;
 * name ("" or NULL: keep the one known) and mode as given. NULL if the
 * table is full (only a misbehaving relay announces more) or out of
 * memory. */
struct client_member *client_member_add(struct ricochet *c, uint32_t id, const char *name,
                                        enum proto_mode mode, uint64_t now);

/* Removes member id and notes it as departed, and how. */
void client_member_remove(struct ricochet *c, uint32_t id, enum client_departure how);

/* Forgets every member and departed note (a welcome's roster replaces them). */
void client_members_clear(struct ricochet *c);

/* Member id left (how): listed until the next poll, so that the caller can
 * still read its statistics, then removed by client_members_settle. */
void client_member_leaving(struct ricochet *c, uint32_t id, enum client_departure how);

/* Removes the member client_member_leaving named, if any. */
void client_members_settle(struct ricochet *c);

/* Frees the table (the session's end). */
void client_members_free(struct ricochet *c);

/* No connection: a member silent for timeout_ms becomes a LEFT event
 * (reason timeout). Returns 1 with *ev for the first such member, or 0. */
int client_member_expire(struct ricochet *c, uint64_t now, struct ricochet_event *ev);

/* ---- a ticket and its sealed session (client_ticket.c) ---- */

/* Reads ticket (text) into c->ticket; the ticket's room and name become the
 * session's. Returns 0, or -1 with a one-line message in err. */
int client_ticket_take(struct ricochet *c, const char *ticket, char *err, size_t err_cap);

/* The relay's `sealed` message (salt and tag, hex): the session is sealed
 * from now on, under keys derived from my join's nonce and the salt, if
 * the tag proves it the relay's answer to this join. One salt per join:
 * the same again is nothing new (*fresh false), another is refused.
 * Returns NULL (*fresh: the keys are new: the join goes again, sealed, as
 * the proof), or what is wrong with it (the caller drops and counts it). */
const char *client_ticket_salt(struct ricochet *c, const char *salt_hex, const char *tag_hex,
                               bool *fresh);

/* Opens a sealed message of len bytes into out (len bytes of room).
 * Returns the length inside, or -1 (no sealed session, forged, replayed). */
int client_ticket_open(struct ricochet *c, const uint8_t *in, size_t len, uint8_t *out);

/* in sealed on lane into out (len + SEAL_OVERHEAD of room) when the session
 * is sealed; else in itself. Returns what to send (its length in *out_len),
 * or NULL if it cannot be sealed. */
const uint8_t *client_ticket_seal(struct ricochet *c, enum seal_lane lane, const uint8_t *in,
                                  size_t len, uint8_t *out, size_t *out_len);

/* Whether the session is sealed; whether it must be (its ticket says so). */
bool client_ticket_sealed(const struct ricochet *c);
bool client_ticket_must_seal(const struct ricochet *c);

/* A new join with the same ticket (another relay of the fleet, or the same
 * again): a fresh nonce, no keys until that join's `sealed` message (an
 * error that came in clear is the caller's to forget: client_end_clear_forget). */
void client_ticket_restart(struct ricochet *c);

/* Wipes and frees c->ticket. */
void client_ticket_free(struct ricochet *c);

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
