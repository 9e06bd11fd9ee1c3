/* ricochet.h: libricochet, the client library of the ricochet game-state
 * relay. Connect to a relay, join a room, send your state, and poll for the
 * other members' states and notices.
 *
 * One struct ricochet is one session with one relay: its own socket, no
 * global state, no hidden threads (but over WebRTC, whose SCTP stack,
 * usrsctp, is one per process, with a thread of its own that sleeps). The
 * program drives it: ricochet_poll
 * services the socket and returns one event at a time; ricochet_fd gives
 * the socket for the program's own poll(2) or epoll loop.
 *
 * NULL: every call given a NULL handle or pointer returns an error
 * (RICOCHET_E_INVALID, -1, NULL, false or 0, as its return allows) or does
 * nothing; none crashes. A handle used after ricochet_close or
 * ricochet_config_free is freed memory: the bindings guard against that.
 *
 * Ownership: every handle is created and freed by the library's own calls;
 * every buffer (events, members, statistics) is the caller's, filled by the
 * library. Strings passed in are copied; none is kept.
 *
 * Threads: thread-compatible. A handle (struct ricochet, struct
 * ricochet_config) is used by one thread at a time; different handles may
 * be used by different threads at once, but every WebRTC session of a
 * process must be used by one thread (ricochet_config_set_transport). The
 * library's log lines (ricochet_set_log) are process-wide.
 *
 * Times: microseconds of the library's clock (CLOCK_MONOTONIC, see
 * ricochet_now_us), unless a name says otherwise.
 *
 * Compatibility: enum values are never renumbered (new ones are added at
 * the end: a program must ignore an event type it does not know); struct
 * sizes and fields of this header do not change without a new soname
 * (docs/library.md, "Versions"). */
#ifndef RICOCHET_H
#define RICOCHET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RICOCHET_API __attribute__((visibility("default")))
#else
#define RICOCHET_API
#endif

/* The version of this header. ricochet_version_number() is the library's. */
#define RICOCHET_VERSION_MAJOR 1
#define RICOCHET_VERSION_MINOR 7
#define RICOCHET_VERSION_PATCH 0
#define RICOCHET_VERSION_NUMBER                                                         \
    (RICOCHET_VERSION_MAJOR * 10000 + RICOCHET_VERSION_MINOR * 100 + RICOCHET_VERSION_PATCH)

#define RICOCHET_DEFAULT_PORT 7777
#define RICOCHET_DEFAULT_TIMEOUT_MS 5000 /* ricochet_config_set_timeout_ms's default */
#define RICOCHET_DEFAULT_REJOIN_AFTER_MS 1500 /* ricochet_config_set_rejoin_after's default */
#define RICOCHET_DEFAULT_POLL_WAIT_MS 20000 /* ricochet_config_set_poll's default: long polls */
#define RICOCHET_POLL_WAIT_MAX_MS 25000 /* a long poll's wait, at most (the relay's bound) */
#define RICOCHET_DEFAULT_POLL_INTERVAL_MS 50 /* a short poll's interval if none is set */
#define RICOCHET_POLL_INTERVAL_MAX_MS 10000 /* a short poll's interval, at most */
#define RICOCHET_NAME_MAX 32    /* bytes in a player name, NUL excluded */
#define RICOCHET_ROOM_MAX 32    /* bytes in a room name, NUL excluded */
#define RICOCHET_TEXT_MAX 200   /* bytes in a chat line or an error message */
#define RICOCHET_CODE_MAX 31    /* bytes in an error code or a left reason */
#define RICOCHET_MEMBERS_MAX 256 /* members of a room, me included */
#define RICOCHET_TICKET_MAX 952 /* characters of a ticket (ricochet-ticket mint) */
#define RICOCHET_PAYLOAD_MAX 1135 /* bytes of a state's payload: the game's own bytes
                                     after its 40 (ricochet_send_state_payload); what
                                     fits every session, a sealed one too */
#define RICOCHET_EVENT_MAX 4096 /* bytes of an event's body (ricochet_send_event) */
#define RICOCHET_TO_ROOM 0u     /* ricochet_send_event: to every other member */
#define RICOCHET_ROOM_SENDER 4294967295u /* an EVENT's id when the room itself sent it
                                           (its script's, docs/scripts.md): an id the
                                           relay gives no member */

/* The library's own reasons for the end of a session (the code of a
 * RICOCHET_EV_DISCONNECTED event that is not the relay's error code). */
#define RICOCHET_END_TIMEOUT "timeout"           /* no answer, or the relay went silent */
#define RICOCHET_END_REFUSED "refused"           /* no connection could be made */
#define RICOCHET_END_DISCONNECTED "disconnected" /* the relay closed the connection */
#define RICOCHET_END_SOCKET "socket"             /* the socket failed */
#define RICOCHET_END_MOVED_TOO_FAR "moved_too_far" /* a fleet sent me on more than
                                                    twice, or back where I had been */
#define RICOCHET_END_WRONG_TRANSPORT "wrong_transport" /* the relay speaks the other
                                                          transport (ENet or plain UDP) */

/* Return codes of the calls that return int, unless a call says otherwise. */
enum ricochet_status {
    RICOCHET_OK = 0,
    RICOCHET_E_INVALID = -1,     /* a bad argument: NULL, a bad name, mode or value */
    RICOCHET_E_NOT_JOINED = -2,  /* not in a room: not yet, or not any more */
    RICOCHET_E_SEND = -3,        /* the transport could not send it */
    RICOCHET_E_UNSUPPORTED = -4, /* not on this transport (e.g. switching to or from udp,
                                    tcp or ws) */
    RICOCHET_E_TOO_BIG = -5      /* a payload over RICOCHET_PAYLOAD_MAX or an event over
                                    RICOCHET_EVENT_MAX: refused whole, nothing sent */
};

/* How my states travel, and how the relay sends them on (PROTOCOL.md).
 * udp is the plain-UDP transport, tcp a TCP connection (a relay with a TCP
 * edge), ws a WebSocket (a relay with a ws edge, as browsers reach it);
 * the others are ENet's. */
enum ricochet_mode {
    RICOCHET_MODE_UNSEQUENCED = 0, /* may be lost or reordered; never waits */
    RICOCHET_MODE_SEQUENCED = 1,   /* may be lost; a sender's late state is dropped */
    RICOCHET_MODE_RELIABLE = 2,    /* all, in order; a loss stalls what follows */
    RICOCHET_MODE_UDP = 3,         /* plain datagrams, no ENet: the baseline */
    RICOCHET_MODE_TCP = 4,         /* one TCP stream: all, in order; a lost segment
                                      stalls every sender's states behind it */
    RICOCHET_MODE_WS = 5,          /* one WebSocket (over TCP): as tcp, in the
                                      framing a browser speaks */
    RICOCHET_MODE_STREAMS = 6      /* QUIC: all, in order per sender, each sender's
                                      states on a stream of its own; a loss stalls only
                                      its own sender's states */
};

/* What carries my states to the relay (ricochet_config_set_transport): a
 * mode says how they are delivered, a transport what carries them. */
enum ricochet_transport {
    RICOCHET_TRANSPORT_DEFAULT = 0, /* the mode's own: ENet for unsequenced, sequenced and
                                       reliable; plain UDP, TCP and a WebSocket for udp,
                                       tcp and ws */
    RICOCHET_TRANSPORT_WEBRTC = 1,  /* WebRTC data channels, as a browser's page: the
                                       three ENet modes, each on a channel of its own
                                       (PROTOCOL.md, "WebRTC data channels"), switched
                                       live; DTLS encrypts every byte */
    RICOCHET_TRANSPORT_QUIC = 2,    /* one QUIC connection (PROTOCOL.md, "QUIC"): the
                                       three ENet modes and streams, unreliable states
                                       in datagrams, reliable ones on streams, switched
                                       live; TLS 1.3 encrypts every byte */
    RICOCHET_TRANSPORT_WEBTRANSPORT = 3, /* a WebTransport session, as a browser's page
                                       opens one (PROTOCOL.md, "WebTransport"): QUIC's
                                       ways on the quic edge's port, over HTTP/3 */
    RICOCHET_TRANSPORT_POLL = 4     /* plain HTTP/1.1 requests to the relay's poll edge
                                       (PROTOCOL.md, "HTTP polling"), mode tcp: states
                                       POSTed, the relay's messages fetched by GETs, long
                                       or short polling (ricochet_config_set_poll) */
};

enum ricochet_event_type {
    RICOCHET_EV_WELCOME = 0,  /* I joined: id is mine; ricochet_members lists the room.
                                 udp: again after a rejoin (the relay had lost me),
                                 usually with a new id */
    RICOCHET_EV_STATE = 1,    /* a member's state (id, state, mode, latency_*; its
                                 payload, if any: ricochet_event_bytes); or my own,
                                 reflected, if I asked for that */
    RICOCHET_EV_TOO_OLD = 2,  /* a sequenced state dropped, not delivered: a newer one
                                 from that sender came first (id, state, mode). Ignore
                                 it unless you count */
    RICOCHET_EV_JOINED = 3,   /* a member joined (id, name, mode) */
    RICOCHET_EV_LEFT = 4,     /* a member left (id, name; code: "quit", "timeout" or
                                 "kicked"). Its statistics stay readable until the
                                 next ricochet_poll */
    RICOCHET_EV_CHAT = 5,     /* a chat line (id, name, text) */
    RICOCHET_EV_ERROR = 6,    /* the relay reported an error (code, text); an error
                                 that ends the session is followed by DISCONNECTED */
    RICOCHET_EV_DISCONNECTED = 7, /* the session is over; the last event. code and
                                    text: the relay's error code and message when it
                                    refused the join or ended the session
                                    (server_full, room_full, kicked, ...), else one
                                    of RICOCHET_END_*. ricochet_end_reason says it in
                                    one line */
    RICOCHET_EV_MOVED = 8,    /* the session goes on at another relay (text: its
                                 "host:port"; code "moved": a fleet's relay sent me
                                 there, "rejoin": my relay was lost and I join again
                                 through the address I started from, a fleet's or a
                                 lone relay's, ricochet_config_set_rejoin). The
                                 members are forgotten; a WELCOME follows. One a
                                 move, however many attempts it takes */
    RICOCHET_EV_APPEARED = 9, /* a room with interest: a member came within the
                                 radius (id, name, mode; state: its newest, if
                                 has_state of its ricochet_member). Its states follow */
    RICOCHET_EV_VANISHED = 10, /* a room with interest: a member went out of sight
                                 (id, name). No more of its states until it appears
                                 again; its statistics stay readable until the next
                                 ricochet_poll, then it is no longer listed */
    RICOCHET_EV_EVENT = 11,   /* a member's event (ricochet_send_event): id its
                                 sender (stamped by the relay), name and mode if it is
                                 listed; code "room" (sent to the whole room),
                                 "direct" (to me alone) or "kept" (kept by the
                                 relay, replayed after my WELCOME: its key is
                                 ricochet_event_key's); its body is
                                 ricochet_event_bytes's */
    RICOCHET_EV_ROOMS = 12,   /* the relay's answer to ricochet_list_rooms: a page
                                 of its rooms, ricochet_rooms's until the next one
                                 (text: the prefix asked for) */
    RICOCHET_EV_REJOINED = 13, /* a member came back, after its rejoin or move or
                                 mine (id: its id now, which may differ from
                                 before; name, mode): the same player,
                                 ricochet_player(r, id), not a LEFT then a JOINED.
                                 One that does not come back within my timeout
                                 of my WELCOME after a MOVED gets LEFT (code
                                 "timeout", id: its id before) */
    RICOCHET_EV_ROOM = 14,    /* my room's settings or owner changed (the relay says
                                 so to every member): ricochet_room_owner,
                                 ricochet_room_mine, ricochet_room_props, ... say
                                 them now (id: mine). Never before my WELCOME, which
                                 says them as they are */
    RICOCHET_EV_FRAME = 15,   /* a lockstep room's confirmed frame (id: its tick), in
                                 tick order, none skipped: its bytes are
                                 ricochet_event_bytes's (the confirmed log's unit),
                                 each slot's input ricochet_frame_input's */
    RICOCHET_EV_LATE = 16,    /* inputs of mine came after their tick closed (id: the
                                 newest such tick; ricochet_lockstep_late says how
                                 late and how many): their frames hold my stand-in */
    RICOCHET_EV_DESYNC = 17   /* members' checks of tick id differ from the room's:
                                 ricochet_lockstep_desync lists them (mine too, if
                                 I am one) */
};

/* One entity's state: what a game sends, and receives from the others.
 * The floats are the game's units: any finite value within +-1,000,000
 * (beyond, or not finite, is refused); the relay sets no arena (ricochet's
 * own bot, terminal client and pages keep to 0..100 on both axes). */
struct ricochet_state {
    uint32_t sender;  /* the relay's id of the sender (set by the relay) */
    uint32_t seq;     /* the sender's sequence number (set by the library) */
    uint64_t send_us; /* the sender's clock at the send */
    float x, y;       /* position, the game's units */
    float vx, vy;     /* velocity, the game's units per second */
    float heading;    /* radians, 0 = +x, clockwise on screen (y grows down) */
};

/* One event from ricochet_poll; which fields mean something depends on the
 * type (see enum ricochet_event_type); the others are zero. The bytes that
 * came with it (a STATE's or TOO_OLD's payload, an EVENT's body) are not in
 * it: ricochet_event_bytes points to them until the next poll. */
struct ricochet_event {
    enum ricochet_event_type type;
    uint32_t id;                /* the member the event is about (WELCOME: me) */
    enum ricochet_mode mode;    /* STATE, TOO_OLD: how it was delivered; JOINED: the
                                   member's mode; WELCOME: mine */
    struct ricochet_state state; /* STATE, TOO_OLD; APPEARED: its newest, if any */
    uint64_t recv_us;           /* when the library received it */
    int64_t latency_us;         /* STATE: one-way latency, corrected by both clocks'
                                   offsets to the relay */
    uint64_t latency_bound_us;  /* STATE: |error of latency_us| <= this */
    bool latency_known;         /* STATE: both offsets are known; false: latency_us is
                                   recv_us - send_us, right only on one machine */
    char name[RICOCHET_NAME_MAX + 1]; /* JOINED, LEFT, CHAT, APPEARED, VANISHED: the
                                         member's name */
    char code[RICOCHET_CODE_MAX + 1]; /* ERROR, DISCONNECTED: the code; LEFT: reason */
    char text[RICOCHET_TEXT_MAX + 1]; /* ERROR, DISCONNECTED: the message; CHAT: line */
};

/* What I received from one sender, as plain numbers. */
struct ricochet_stats {
    uint64_t received;        /* distinct states received */
    uint64_t expected;        /* states sent as far as I can tell (sequence numbers
                                 from the first to the highest seen) */
    uint64_t lost;            /* expected - received */
    uint64_t duplicates;      /* the same state again */
    uint64_t reordered;       /* arrived after a later one */
    uint64_t too_old;         /* sequenced: dropped, a later one came first */
    uint64_t no_latency;      /* received before both clock offsets were known: in
                                 received, not in the latency figures */
    uint64_t latency_max_us;  /* one-way latency, corrected: the largest */
    uint64_t latency_bound_us; /* error bound of the latest state's latency (0: unknown) */
    double latency_mean_us;   /* ... the mean (0: none yet) */
    double jitter_us;         /* RFC 3550 interarrival jitter */
};

/* A member of my room (not me), as this session sees it. */
struct ricochet_member {
    uint32_t id;
    char name[RICOCHET_NAME_MAX + 1]; /* "" until its joined notice came */
    enum ricochet_mode mode;
    bool has_state;               /* last is set */
    struct ricochet_state last;   /* its newest state */
    uint64_t last_recv_us;        /* when that came (0: none yet) */
    struct ricochet_stats stats;
};

/* A room of the relay, as its listing says (ricochet_rooms). */
struct ricochet_room {
    char room[RICOCHET_ROOM_MAX + 1];
    uint32_t members;  /* members when the relay answered */
    uint32_t capacity; /* what a join may fill it to: members == capacity is full */
};

#define RICOCHET_ROOMS_PAGE 64 /* rooms in one listing, at most */

/* My clock's offset to the relay's, from pings (PROTOCOL.md, "Clock offset"). */
struct ricochet_clock {
    bool known;          /* false until the first answer */
    int64_t offset_us;   /* relay clock - my clock */
    uint64_t bound_us;   /* |error of offset_us| <= this */
};

/* A distribution of times, µs: one-way latency or round trip. */
struct ricochet_distribution {
    uint64_t count;
    uint64_t p50_us, p90_us, p99_us, max_us;
    uint64_t mean_us;
};

struct ricochet;        /* a session */
struct ricochet_config; /* what ricochet_connect needs */

/* ---- versions ---- */

/* The library's version, "1.7.0": the API's (RICOCHET_VERSION_*), not the
 * programs' release. A static string. */
RICOCHET_API const char *ricochet_version(void);

/* The library's RICOCHET_VERSION_NUMBER (compare with the header's). */
RICOCHET_API unsigned ricochet_version_number(void);

/* The wire protocol version the library speaks (PROTOCOL.md). */
RICOCHET_API unsigned ricochet_protocol_version(void);

/* ---- return codes ---- */

/* One line for people about a return code (enum ricochet_status): "ok",
 * "payload or event too big", ... A static string ("unknown status" for a
 * value that is none). */
RICOCHET_API const char *ricochet_strerror(int status);

/* ---- modes ---- */

/* The mode's name ("unsequenced", "sequenced", "reliable", "udp", "tcp",
 * "ws"), or NULL for a value that is no mode. A static string. */
RICOCHET_API const char *ricochet_mode_name(enum ricochet_mode mode);

/* Parses a mode's name into *mode. Returns RICOCHET_OK or RICOCHET_E_INVALID. */
RICOCHET_API int ricochet_mode_parse(const char *name, enum ricochet_mode *mode);

/* ---- configuration ---- */

/* A configuration with the defaults: port RICOCHET_DEFAULT_PORT, mode
 * unsequenced, no reflection, timeout RICOCHET_DEFAULT_TIMEOUT_MS; host,
 * room and name unset. Returns NULL if out of memory. Free with
 * ricochet_config_free. */
RICOCHET_API struct ricochet_config *ricochet_config_new(void);

/* Frees cfg (NULL is fine). Sessions made from it do not need it. */
RICOCHET_API void ricochet_config_free(struct ricochet_config *cfg);

/* Every setter below returns RICOCHET_OK or RICOCHET_E_INVALID; after
 * a refusal ricochet_config_error says why in words. */

/* The relay: an IPv4 or IPv6 address or a host name (resolved by
 * ricochet_connect), and its port (1..65535). RICOCHET_OK or
 * RICOCHET_E_INVALID (host NULL, empty or over 255 bytes; port 0). */
RICOCHET_API int ricochet_config_set_relay(struct ricochet_config *cfg, const char *host,
                                           uint16_t port);

/* The room to join, 1..32 bytes of [A-Za-z0-9_.-], and my name in it, 1..32
 * bytes of UTF-8 in any script ("민수", "Nguyễn Văn An") with no control or
 * format characters and not only spaces (PROTOCOL.md). RICOCHET_OK or
 * RICOCHET_E_INVALID (ricochet_config_error: "name 'a\x1b': a name may
 * not hold control characters (U+001B)"). */
RICOCHET_API int ricochet_config_set_room(struct ricochet_config *cfg, const char *room);
RICOCHET_API int ricochet_config_set_name(struct ricochet_config *cfg, const char *name);

/* Join any room with space: the room set is then a prefix (1..28 bytes,
 * 4 kept for a number), and the relay picks the fullest room under it
 * with space, or makes one, the prefix and a number ("duel-" -> "duel-1";
 * ricochet_room_name says which, from the welcome). A relay run with
 * --room-list off refuses it (DISCONNECTED, code listing_off). RICOCHET_OK
 * or RICOCHET_E_INVALID (cfg NULL). */
RICOCHET_API int ricochet_config_set_any_room(struct ricochet_config *cfg, bool any);

/* A lobby: ricochet_connect connects and joins nothing (no room needed);
 * ricochet_list_rooms then lists, and ricochet_join joins, in the same
 * session (docs/library.md, "A lobby"). Join within the relay's
 * --join-timeout-ms (2 s by default) or it closes the connection
 * (DISCONNECTED, code not_joined). Over enet, tcp, ws, WebRTC, QUIC and
 * WebTransport; ricochet_connect refuses a lobby over udp or HTTP polling,
 * or with a ticket (PROTOCOL.md, "Rooms to list"). RICOCHET_OK or
 * RICOCHET_E_INVALID (cfg NULL). */
RICOCHET_API int ricochet_config_set_lobby(struct ricochet_config *cfg, bool lobby);

/* The delivery mode; RICOCHET_MODE_UDP selects the plain-UDP transport,
 * RICOCHET_MODE_TCP a TCP stream, RICOCHET_MODE_WS a WebSocket (ws://,
 * the path /), RICOCHET_MODE_STREAMS QUIC, the others ENet, or WebRTC's
 * data channels or QUIC if that is the transport
 * (ricochet_config_set_transport). RICOCHET_OK or RICOCHET_E_INVALID. */
RICOCHET_API int ricochet_config_set_mode(struct ricochet_config *cfg, enum ricochet_mode mode);

/* What carries the session (RICOCHET_TRANSPORT_DEFAULT unless set). With
 * RICOCHET_TRANSPORT_POLL the relay of ricochet_config_set_relay is its
 * poll edge's address (--listen poll://) and the mode must be tcp; closing
 * the session DELETEs it (leaving). With
 * RICOCHET_TRANSPORT_QUIC or RICOCHET_TRANSPORT_WEBTRANSPORT the relay of
 * ricochet_config_set_relay is its quic edge's address and the mode must
 * be unsequenced, sequenced, reliable or streams (ricochet_connect refuses
 * another); the relay is authenticated only by a pin
 * (ricochet_config_set_pin). WebTransport's session opens at /wt, a
 * ticket's pass in the path. With
 * RICOCHET_TRANSPORT_WEBRTC the relay of ricochet_config_set_relay is its
 * ws edge's HTTP address: the offer is POSTed there (/rtc, with the
 * ticket's pass when a ticket is set) and the answer names the webrtc
 * edge's UDP address, where the session then goes; the mode must be
 * unsequenced, sequenced or reliable (ricochet_connect refuses another).
 * Every WebRTC session of a process shares one SCTP stack (usrsctp, which
 * keeps its state in globals): drive them all from one thread.
 * RICOCHET_OK or RICOCHET_E_INVALID (not a transport). */
RICOCHET_API int ricochet_config_set_transport(struct ricochet_config *cfg,
                                               enum ricochet_transport transport);

/* RICOCHET_TRANSPORT_POLL: how the relay's messages are fetched. wait_ms
 * 1..25000: long polling, each GET held by the relay until something is
 * queued for me or wait_ms pass (the default: 20000); 0: short polling, a
 * GET every interval_ms (1..10000; ignored with long polling), answered at
 * once, empty when nothing waits. Either way my own states are POSTed as
 * they are sent, each POST carrying all those sent while the last was on
 * its way. RICOCHET_OK or RICOCHET_E_INVALID (cfg NULL, a value out of
 * range). */
RICOCHET_API int ricochet_config_set_poll(struct ricochet_config *cfg, uint32_t wait_ms,
                                          uint32_t interval_ms);

/* WebRTC, QUIC: append each session's DTLS or TLS secrets to the file at
 * path, in the key log format of SSLKEYLOGFILE, so that Wireshark and
 * ricochet-netsim --keylog can read the data channels or the QUIC
 * packets. Whoever reads the file reads the
 * sessions: only on a network under test. NULL: none (the default).
 * RICOCHET_OK or RICOCHET_E_INVALID (cfg NULL, path empty or over 4095
 * bytes). The file is opened by ricochet_connect. */
RICOCHET_API int ricochet_config_set_keylog(struct ricochet_config *cfg, const char *path);

/* QUIC: take only a relay whose certificate's SHA-256 (of its DER bytes)
 * is sha256: 64 hex digits, with or without a colon between bytes, as the
 * relay logs it at start. Without a pin the relay is not authenticated
 * (TLS still encrypts every byte). NULL: none (the default). RICOCHET_OK
 * or RICOCHET_E_INVALID (cfg NULL, or not 32 bytes in hex). */
RICOCHET_API int ricochet_config_set_pin(struct ricochet_config *cfg, const char *sha256);

/* Ask the relay to send my own states back to me (RICOCHET_EV_STATE with
 * my id; ricochet_rtt measures their round trip). RICOCHET_OK or
 * RICOCHET_E_INVALID (cfg NULL). */
RICOCHET_API int ricochet_config_set_reflect(struct ricochet_config *cfg, bool reflect);

/* Interest management: if my join creates the room, the room gets this
 * radius (arena units; 0, the default: none, everyone receives everyone).
 * In a room with interest I receive only the states of members within the
 * radius of my newest state's position; they come and go with
 * RICOCHET_EV_APPEARED and _VANISHED (leaving at 1.2 times the radius).
 * A room's radius is the one its join set: ricochet_room_aoi says which.
 * RICOCHET_OK, or RICOCHET_E_INVALID (cfg NULL, or radius neither 0 nor
 * within 0.01..100000). */
RICOCHET_API int ricochet_config_set_aoi(struct ricochet_config *cfg, float radius);

/* The deadline of connecting and joining, and how long a silent relay (or,
 * in udp mode, a silent member) is waited for, ms (1..3600000).
 * RICOCHET_OK or RICOCHET_E_INVALID. */
RICOCHET_API int ricochet_config_set_timeout_ms(struct ricochet_config *cfg,
                                                uint32_t timeout_ms);

/* When my relay is lost (it timed out, closed, or shut down without
 * moving my room), join the room again through the address of
 * ricochet_config_set_relay for up to window_ms (RICOCHET_EV_MOVED with
 * code "rejoin", then a WELCOME); 0 (the default): a lost relay ends the
 * session. Not only for a fleet (proto/FLEET.md: any relay of it takes the
 * room over): a lone relay restarted within the window takes the session
 * back too, in a room made afresh (ids given anew; the others come back as
 * they rejoin; nothing of before is replayed). A join a fleet cannot
 * place yet (error directory_unavailable), a first one too, is tried again
 * within the window, after 250 ms, then a pause twice as long each time up
 * to a second; so is a rejoin sent on too far (moved_too_far) while the
 * fleet decides where the room goes. Following a relay's moved needs
 * nothing: the library does it always (at most two hops per join, never
 * back to a relay of the same join). A lobby that stays
 * (ricochet_watch_rooms) watches again so, told by the MOVED. A session
 * that another of its player's takes the place of ends replaced, and does
 * not rejoin. RICOCHET_OK or RICOCHET_E_INVALID (cfg NULL, window over
 * 3600000 ms). */
RICOCHET_API int ricochet_config_set_rejoin(struct ricochet_config *cfg, uint32_t window_ms);

/* Another relay of the fleet a rejoin may go through (the same edge as
 * ricochet_config_set_relay's): when the address a rejoin goes through is
 * the relay lost, or an attempt through it fails, the next of these goes
 * instead, in turn, and back to the first (so a session whose first
 * address was its room's relay, or a lobby on it, outlives it). Up to 7.
 * RICOCHET_OK or RICOCHET_E_INVALID (cfg or host NULL or empty, a comma in
 * host, port 0, 7 already). */
RICOCHET_API int ricochet_config_add_relay(struct ricochet_config *cfg, const char *host,
                                           uint16_t port);

/* A fleet session (a rejoin window set): a relay that has sent nothing at
 * all for silent_ms counts as lost, and the rejoin starts then, not at the
 * timeout (the library has the relay say something at least every third
 * of it); the join says it lost its relay, so that the fleet takes the
 * room over as soon as the directory finds that relay stale.
 * RICOCHET_DEFAULT_REJOIN_AFTER_MS (1.5 s) by default. RICOCHET_OK or
 * RICOCHET_E_INVALID (cfg NULL, silent_ms under 100 or over 3600000). */
RICOCHET_API int ricochet_config_set_rejoin_after(struct ricochet_config *cfg,
                                                  uint32_t silent_ms);

/* A ticket from the game's backend (ricochet-ticket mint; docs/tickets.md):
 * the join carries it (a relay run with --ticket-key admits no other), the
 * room and the name are the ticket's (then ricochet_config_set_room and
 * _set_name are not needed, and not used), and a relay run with --encrypt
 * seals the session with its keys (one that says its session must be sealed
 * is then taken nothing in clear: PROTOCOL.md, Sealed sessions). The ticket
 * holds the session's keys: keep it as secret as a password (in a file, not
 * on a command line). Spaces and a newline around it (a line read from a
 * file) are not the ticket's. NULL: no ticket. RICOCHET_OK or
 * RICOCHET_E_INVALID (not a ticket). */
RICOCHET_API int ricochet_config_set_ticket(struct ricochet_config *cfg, const char *ticket);

#define RICOCHET_TICKET_CLEAR 1u /* ricochet_ticket_mint: the session may run in clear */

/* For a game's backend: mints the ticket ricochet-ticket mint would print
 * (docs/tickets.md), under the key in key_file (ricochet-ticket keygen's;
 * the relays load the same file with --ticket-key), for name in room, valid
 * ttl_s seconds from now (1..604800) on the relays of the fleet where
 * names (their --fleet-name; NULL or "": "ricochet") or, if where holds a
 * ':', on the relay endpoints it lists only ("host:port", up to 4,
 * comma-separated). The session must be sealed unless flags has
 * RICOCHET_TICKET_CLEAR. Writes the ticket (no newline) into out, which
 * holds RICOCHET_TICKET_MAX + 1. Returns its length, or RICOCHET_E_INVALID
 * with one line in out saying why (out NULL or cap 0: nothing written). */
RICOCHET_API int ricochet_ticket_mint(const char *key_file, const char *room, const char *name,
                                      const char *where, uint32_t ttl_s, unsigned flags,
                                      char *out, size_t cap);

/* Why the last ricochet_config_set_* call on cfg refused its value, one
 * line for people (e.g. "room 'a b': 1-32 of A-Z a-z 0-9 _ . -"); "" if
 * it took it, or cfg is NULL. The string lives as long as cfg. A refused
 * relay, room or name is refused again by ricochet_connect, in these
 * words, until a good one is set. */
RICOCHET_API const char *ricochet_config_error(const struct ricochet_config *cfg);

/* ---- a session ---- */

/* Starts connecting to the relay and joining the room; does not block
 * (the events say how it went: RICOCHET_EV_WELCOME or _DISCONNECTED).
 * Returns a session to free with ricochet_close, or NULL with a one-line
 * message in err (err_cap bytes, may be 0): relay, room or name unset or
 * refused by its setter (its words, ricochet_config_error's), the host
 * not resolved, the socket not opened. */
RICOCHET_API struct ricochet *ricochet_connect(const struct ricochet_config *cfg, char *err,
                                               size_t err_cap);

/* Leaves politely (waits at most ~100 ms for the relay's acknowledgement)
 * and frees r (NULL is fine). */
RICOCHET_API void ricochet_close(struct ricochet *r);

/* Services the socket for at most timeout_ms (0: do not wait) and returns
 * the next event: 1 with *ev filled, 0 if none came in time, -1 once the
 * session is over and its RICOCHET_EV_DISCONNECTED was returned. */
RICOCHET_API int ricochet_poll(struct ricochet *r, int timeout_ms, struct ricochet_event *ev);

/* The socket to wait on in the caller's own poll(2) or epoll (readable:
 * call ricochet_poll with timeout 0). Call ricochet_poll at least every
 * 10 ms even without data: the library has timers. -1: none (closed). */
RICOCHET_API int ricochet_fd(const struct ricochet *r);

/* Sends my state in the current mode. The library sets s->sender and
 * s->seq (its own counter, +1 per send); send_us 0 means now. RICOCHET_OK,
 * RICOCHET_E_NOT_JOINED, RICOCHET_E_INVALID (a value not finite or beyond
 * 1e6) or RICOCHET_E_SEND. Queued sends go out at the next poll or
 * ricochet_flush. */
RICOCHET_API int ricochet_send_state(struct ricochet *r, const struct ricochet_state *s);

/* Sends my state as ricochet_send_state does, with len bytes of payload
 * (0..RICOCHET_PAYLOAD_MAX): the game's own bytes after the state's 40
 * (a colour, a score, inputs, a third axis), which the relay forwards
 * unchanged and every receiver gets whole (ricochet_event_bytes), in every
 * mode and over every transport; the relay reads only the 40 (a room with
 * interest, its x and y). payload may be NULL when len is 0. RICOCHET_OK,
 * RICOCHET_E_TOO_BIG (len over RICOCHET_PAYLOAD_MAX: nothing sent, never
 * cut), RICOCHET_E_INVALID (r, s NULL, payload NULL with len > 0, a value
 * not finite or beyond 1e6), RICOCHET_E_NOT_JOINED or RICOCHET_E_SEND. */
RICOCHET_API int ricochet_send_state_payload(struct ricochet *r, const struct ricochet_state *s,
                                             const void *payload, size_t len);

/* Sends an event: the game's own message of len bytes (0..RICOCHET_EVENT_MAX,
 * binary; data may be NULL when len is 0) to the member whose id is to, or
 * to every other member of the room (RICOCHET_TO_ROOM; a room with interest:
 * the whole room, seen or not). Reliable and in order per sender with my
 * other events and chat (the control way: over plain UDP sent once, as
 * chat is); not ordered with my states. The relay stamps it with my id;
 * receivers get RICOCHET_EV_EVENT: the members of the moment; a member who
 * joins later gets none of them (but those sent with ricochet_send_kept). It
 * counts against the relay's rate limit
 * (past it: RICOCHET_EV_ERROR rate_limited); to an id that is no member of
 * my room the relay answers RICOCHET_EV_ERROR no_member. RICOCHET_OK,
 * RICOCHET_E_TOO_BIG, RICOCHET_E_INVALID (r NULL, data NULL with len > 0),
 * RICOCHET_E_NOT_JOINED or RICOCHET_E_SEND. */
RICOCHET_API int ricochet_send_event(struct ricochet *r, uint32_t to, const void *data,
                                     size_t len);

/* The bytes that came with the event ricochet_poll returned last: a STATE's
 * or TOO_OLD's payload, an EVENT's body. Sets *len (may be NULL) and returns
 * a pointer into r, valid until the next ricochet_poll or ricochet_close;
 * NULL with *len 0 when it had none (a state of 40 bytes, any other event,
 * r NULL). A roster's or APPEARED's state carries none: the member's next
 * state does. */
RICOCHET_API const uint8_t *ricochet_event_bytes(const struct ricochet *r, size_t *len);

/* Sends a chat line to the room (1..200 bytes of printable UTF-8).
 * RICOCHET_OK, RICOCHET_E_NOT_JOINED, RICOCHET_E_INVALID or RICOCHET_E_SEND. */
RICOCHET_API int ricochet_send_chat(struct ricochet *r, const char *text);

/* Switches among the ENet modes live (over ENet or WebRTC). RICOCHET_OK,
 * RICOCHET_E_INVALID, or RICOCHET_E_UNSUPPORTED to or from udp, tcp or ws. */
RICOCHET_API int ricochet_set_mode(struct ricochet *r, enum ricochet_mode mode);

/* Sends what is queued now rather than at the next poll. */
RICOCHET_API void ricochet_flush(struct ricochet *r);

/* ---- what the session knows ---- */

RICOCHET_API bool ricochet_joined(const struct ricochet *r); /* in the room now */
/* The relay sealed the session (its --encrypt): every message after the
 * join travels sealed both ways, and none in clear is taken. Over WebRTC
 * false: DTLS encrypts the session whole, so the relay seals nothing. */
RICOCHET_API bool ricochet_sealed(const struct ricochet *r);
RICOCHET_API uint32_t ricochet_id(const struct ricochet *r); /* mine; 0 before the welcome */
/* My player's key (PROTOCOL.md, "Players who come back"): 32 hex digits the
 * relay drew at my first welcome, sent in every later join of this session
 * (a rejoin, a move), so that I stay the same player; "" before the first
 * welcome, or from a relay that gives none. A secret: never show or send it
 * to anyone (the others see my player id, a hash of it). */
RICOCHET_API const char *ricochet_key(const struct ricochet *r);
/* A new session as the player of an earlier one: key is what ricochet_key
 * said there (kept by the game, e.g. in a file, as a password is: never
 * shown, logged or sent to anyone but the relay). The join sends it, and
 * the relay takes me for that player (the same ricochet_player; from the
 * same address while the old session is still in the room, its place:
 * its id, the others told REJOINED). A relay that cannot take it gives a
 * new player (ricochet_key then differs); one busy with keys from my
 * address refuses the join rate_limited (an ERROR), and it goes again a
 * second later. NULL or "" clears it.
 * RICOCHET_OK, or RICOCHET_E_INVALID for other than 32 lowercase hex
 * digits. */
RICOCHET_API int ricochet_config_set_key(struct ricochet_config *cfg, const char *key);
/* The player id of member id, or mine (id 0 or my id): 16 hex digits that
 * stay the same across rejoins and moves (ids may not), what a game keys
 * its players on. NULL if id is no member listed; "" from a relay that
 * gives none. Valid until the next ricochet_poll. */
RICOCHET_API const char *ricochet_player(const struct ricochet *r, uint32_t id);
/* My room's radius of interest, from the welcome (0: none, or no welcome yet). */
RICOCHET_API float ricochet_room_aoi(const struct ricochet *r);
RICOCHET_API enum ricochet_mode ricochet_mode(const struct ricochet *r);
RICOCHET_API enum ricochet_transport ricochet_transport(const struct ricochet *r);

/* The relay this session talks to (host as configured, or as a fleet's
 * moved named it), and its port. The string lives as long as r. */
RICOCHET_API const char *ricochet_relay_host(const struct ricochet *r);
RICOCHET_API uint16_t ricochet_relay_port(const struct ricochet *r);

/* Why the session ended, one line for people ("" while it has not), e.g.
 * "relay refused the join: room_full (...)". The string lives as long as r
 * and may change at the next poll. */
RICOCHET_API const char *ricochet_end_reason(const struct ricochet *r);

/* Copies the members of my room (not me) into out, at most cap of them.
 * Returns how many there are (more than cap: the rest not copied). A
 * member who left is listed until the next ricochet_poll. */
RICOCHET_API size_t ricochet_members(const struct ricochet *r, struct ricochet_member *out,
                                     size_t cap);

/* Copies member id into *out. RICOCHET_OK, or RICOCHET_E_INVALID if no
 * member has that id. */
RICOCHET_API int ricochet_member(const struct ricochet *r, uint32_t id,
                                 struct ricochet_member *out);

/* My room's name: the one configured, or with ricochet_config_set_any_room
 * the one the relay picked (the prefix until the welcome). The string lives
 * as long as r. */
RICOCHET_API const char *ricochet_room_name(const struct ricochet *r);

/* Asks the relay for a page of its rooms whose names start with prefix
 * (NULL or "": all) and sort after `after` (NULL or "": from the first;
 * the next page: the last name of this one). The answer comes as
 * RICOCHET_EV_ROOMS (a relay run with --room-list off answers
 * RICOCHET_EV_ERROR listing_off; asked too often, rate_limited). Bounded
 * by the relay's byte budget: ask when the lobby is shown, not every
 * frame. In a lobby also before its join (asked while connecting: sent once
 * connected). RICOCHET_OK, RICOCHET_E_NOT_JOINED, RICOCHET_E_INVALID (a prefix
 * or after of more than 32 bytes or other than [A-Za-z0-9_.-]) or
 * RICOCHET_E_SEND. */
RICOCHET_API int ricochet_list_rooms(struct ricochet *r, const char *prefix, const char *after);

/* A lobby's join (ricochet_config_set_lobby): joins room, or with any the
 * fullest room with space under the prefix room (as
 * ricochet_config_set_any_room); RICOCHET_EV_WELCOME or _DISCONNECTED
 * answer as for a join at connect. RICOCHET_OK, RICOCHET_E_INVALID (a bad
 * room), RICOCHET_E_UNSUPPORTED (not a lobby, or its join made already) or
 * RICOCHET_E_SEND (the session is over). */
RICOCHET_API int ricochet_join(struct ricochet *r, const char *room, bool any);

/* Copies the last listing's rooms (RICOCHET_EV_ROOMS), in name order, into
 * out, at most cap of them; *more (may be NULL): the relay has more after
 * the last. Returns how many it listed (at most RICOCHET_ROOMS_PAGE; more
 * than cap: the rest not copied); 0 before any listing. */
RICOCHET_API size_t ricochet_rooms(const struct ricochet *r, struct ricochet_room *out,
                                   size_t cap, bool *more);

/* ---- rooms with properties ---- */

/* A room's property (PROTOCOL.md, "Rooms with properties"): a key of
 * 1..16 bytes of [A-Za-z0-9_.-] and a value of 0..64 bytes of printable
 * UTF-8. A room has at most RICOCHET_PROPS_MAX of them, 256 bytes of keys
 * and values together. */
#define RICOCHET_PROPS_MAX 8
struct ricochet_prop {
    char key[17];
    char value[65];
};

/* The join that makes its room sets it up: its props (one key at a time;
 * key NULL clears them), its size (1..the relay's room size; 0: the
 * relay's), whether it is listed, and whether it takes joiners (open false:
 * only its owner, until ricochet_set_room_open). A join to a room that
 * exists gets it as it is. With exists the room must exist already: else
 * DISCONNECTED, code no_such_room (a rejoin does not ask it). A join of
 * any room (ricochet_config_set_any_room) picks only rooms whose props
 * hold the match (one key at a time; key NULL clears), and a room it makes
 * gets the match as its props if none are set. RICOCHET_OK or
 * RICOCHET_E_INVALID (ricochet_config_error names the bound: "props: at
 * most 8 keys (k9 is the ninth)"). */
RICOCHET_API int ricochet_config_set_room_prop(struct ricochet_config *cfg, const char *key,
                                               const char *value);
RICOCHET_API int ricochet_config_set_room_match(struct ricochet_config *cfg, const char *key,
                                                const char *value);
RICOCHET_API int ricochet_config_set_room_size(struct ricochet_config *cfg, uint32_t size);
RICOCHET_API int ricochet_config_set_room_listed(struct ricochet_config *cfg, bool listed);
RICOCHET_API int ricochet_config_set_room_open(struct ricochet_config *cfg, bool open);
RICOCHET_API int ricochet_config_set_room_exists(struct ricochet_config *cfg, bool exists);

/* ricochet_list_rooms, listing only the rooms whose props hold the n pairs
 * of match (n 0: every room). A fleet's other relays list their rooms
 * with their props (a relay's past its 48 KB of props without).
 * RICOCHET_E_INVALID also for a match past the props' bounds. */
RICOCHET_API int ricochet_list_rooms_matching(struct ricochet *r, const char *prefix,
                                              const char *after,
                                              const struct ricochet_prop *match, size_t n);

/* The props of the last listing's room at index i (as ricochet_rooms lists
 * them) into out, at most cap of them; *open (may be NULL): it takes
 * joiners. Returns how many it has (0: none, or i past the listing). */
RICOCHET_API size_t ricochet_listed_props(const struct ricochet *r, size_t i,
                                          struct ricochet_prop *out, size_t cap, bool *open);

/* From my room's owner (the player whose join made it, or the member it
 * was handed to): open it to joiners or close it, list it or not, replace
 * its props (n pairs). No answer; to another member the relay answers
 * RICOCHET_EV_ERROR not_creator (the wire's name for "not the owner"). My
 * later joins ask the room so (a rejoin to a restarted relay makes it
 * afresh as it is now). RICOCHET_OK, RICOCHET_E_NOT_JOINED,
 * RICOCHET_E_INVALID (props past their bounds) or RICOCHET_E_SEND. */
RICOCHET_API int ricochet_set_room_open(struct ricochet *r, bool open);
RICOCHET_API int ricochet_set_room_listed(struct ricochet *r, bool listed);
RICOCHET_API int ricochet_set_room_props(struct ricochet *r, const struct ricochet_prop *props,
                                         size_t n);

/* An owner that leaves hands its room to the member longest in it, and its
 * RICOCHET_EV_LEFT says to whom: ricochet_left_creator (named, as the
 * wire's field, after the owner's first name), read after the event, is
 * that member's player id (ricochet_player's form), "" if the last LEFT
 * was not an owner's. ricochet_room_mine: my player owns my room, so the
 * ricochet_set_room_* calls are mine: the owner my WELCOME or a later
 * RICOCHET_EV_ROOM named, or a LEFT named since (a relay that does not say
 * the owner: the last LEFT that named a new owner named me; the LEFT of an
 * owner that leaves reaches its heir even in a room with interest). */
RICOCHET_API const char *ricochet_left_creator(const struct ricochet *r);
RICOCHET_API bool ricochet_room_mine(const struct ricochet *r);

/* ---- a lobby that stays ---- */

/* A lobby (ricochet_config_set_lobby) that watches the relay's rooms
 * (PROTOCOL.md, "A lobby that stays"): watch true asks for the first page
 * of the rooms under prefix (NULL or "": all) whose props hold the n pairs
 * of match, as ricochet_list_rooms_matching, and for a fresh first page
 * whenever it changes (a room made or gone, its members, size, props or
 * open changed): each comes as RICOCHET_EV_ROOMS, ricochet_rooms's until
 * the next, at most one every 500 ms. While it watches the lobby has no
 * join timeout; the library pings to keep it (the relay closes a lobby
 * silent for its --lobby-idle-ms, 30 s: poll the session). A later
 * ricochet_list_rooms moves the watch to its prefix; watch false ends it
 * (the relay's --join-timeout-ms counts again from then), as
 * ricochet_join does. Asked while connecting: sent once connected. A relay
 * past its bound of lobbies (--max-lobbies, --max-lobbies-per-address)
 * ends the session server_full. RICOCHET_OK, RICOCHET_E_INVALID,
 * RICOCHET_E_UNSUPPORTED (not a lobby, or joined) or RICOCHET_E_SEND. */
RICOCHET_API int ricochet_watch_rooms(struct ricochet *r, const char *prefix,
                                      const struct ricochet_prop *match, size_t n, bool watch);

/* Does the relay watch for this lobby: its last listing said so (a relay
 * older than the watch answers a page without, and closes the lobby at
 * its join timeout). */
RICOCHET_API bool ricochet_watching(const struct ricochet *r);

/* ---- kept events ---- */

#define RICOCHET_KEY_MAX 32     /* bytes of a kept event's key (ricochet_send_kept) */
#define RICOCHET_KEEP_STAY 1u   /* ricochet_send_kept: kept after I leave too */

/* Sends an event to the room that the relay keeps for who joins later
 * (PROTOCOL.md, "Kept events"): the newest per key (1..RICOCHET_KEY_MAX
 * bytes 0x21..0x7e), each replayed to a joiner after its WELCOME, in the
 * order kept, as RICOCHET_EV_EVENT with code "kept". len 0 clears the key;
 * key and data together at most RICOCHET_EVENT_MAX bytes. Kept until I
 * leave (flags RICOCHET_KEEP_STAY: while the room lives, and with it
 * across a relay's restart with --room-file and a fleet's move). Past 16384 bytes a room the relay refuses it
 * (RICOCHET_EV_ERROR too_big). Returns as ricochet_send_event. */
RICOCHET_API int ricochet_send_kept(struct ricochet *r, const char *key, const void *data,
                                    size_t len, unsigned flags);

/* The key of the kept EVENT ricochet_poll returned last (live or
 * replayed), until the next poll; "" for any other. */
RICOCHET_API const char *ricochet_event_key(const struct ricochet *r);

/* The id the member of the REJOINED event ricochet_poll returned last had
 * before it came back (its id now is the event's: the same when it took
 * its own place back, another after a relay's restart or a move), until
 * the next poll; 0 for any other event. */
RICOCHET_API uint32_t ricochet_event_was(const struct ricochet *r);

/* ---- lockstep rooms ---- */

/* A lockstep room (PROTOCOL.md, "Lockstep rooms"): the relay closes each of
 * its ticks on its own clock with every player's input, and sends every
 * member the confirmed frame, RICOCHET_EV_FRAME, the same bytes to all. */
#define RICOCHET_LOCKSTEP_SLOTS_MAX 32 /* players of a lockstep room */
#define RICOCHET_INPUT_MAX 255          /* bytes of one input, at most */

/* A slot's flag in a frame (ricochet_frame_input). */
enum ricochet_slot_flag {
    RICOCHET_SLOT_EMPTY = 0,    /* a player, no input in time, nothing stands in */
    RICOCHET_SLOT_PRESENT = 1,  /* its input */
    RICOCHET_SLOT_REPEATED = 2, /* no input in time: its last stands in */
    RICOCHET_SLOT_LEFT = 3      /* no player holds the slot */
};

/* A lockstep room's settings. */
struct ricochet_lockstep {
    uint32_t hz;              /* ticks a second, 10..60 */
    uint32_t delay;           /* input delay, ticks, 0..32: ricochet_lockstep_aim */
    uint32_t slots;           /* players at most, 1..32 */
    uint32_t input_max;       /* bytes of one input, 1..255; slots x (input_max + 2)
                                 at most 1024 */
    bool stand_in_last;       /* a missing input: the player's last (else nothing) */
    uint32_t check_every;     /* checks at multiples of it, 0..600 (0: none) */
    uint32_t spectator_delay; /* ticks a spectator's frames lag, 0..600 */
};

/* The defaults into *out: 30 Hz, delay 4, 8 slots, 16 bytes, the last
 * stands in, checks every 30 ticks, spectators 60 ticks behind. */
RICOCHET_API void ricochet_lockstep_defaults(struct ricochet_lockstep *out);

/* The room my join makes is a lockstep room of ls (a room that exists is
 * joined as it is); NULL: a room of states (the default). RICOCHET_OK or
 * RICOCHET_E_INVALID (ricochet_config_error names the bound broken). */
RICOCHET_API int ricochet_config_set_lockstep(struct ricochet_config *cfg,
                                              const struct ricochet_lockstep *ls);

/* Join a lockstep room as a spectator: no slot, no inputs, its frames
 * spectator_delay ticks behind. RICOCHET_OK or RICOCHET_E_INVALID. */
RICOCHET_API int ricochet_config_set_spectator(struct ricochet_config *cfg, bool spectator);

/* My room's lockstep settings (its welcome's) into *out, my slot into *slot
 * (-1: a spectator) and into *kept how many kept events the relay replays
 * after my WELCOME (a snapshot among them, if the game keeps one); each
 * may be NULL. RICOCHET_OK, RICOCHET_E_NOT_JOINED, or
 * RICOCHET_E_UNSUPPORTED (a room of states). */
RICOCHET_API int ricochet_lockstep(const struct ricochet *r, struct ricochet_lockstep *out,
                                   int32_t *slot, uint32_t *kept);

/* Asks for the frames from tick on (0: the room's first; a late joiner:
 * the tick after its snapshot's): none comes before I ask, or send an
 * input. Later calls only move forward. RICOCHET_OK,
 * RICOCHET_E_NOT_JOINED, RICOCHET_E_UNSUPPORTED, RICOCHET_E_INVALID (a
 * tick before one asked) or RICOCHET_E_SEND. */
RICOCHET_API int ricochet_lockstep_from(struct ricochet *r, uint32_t tick);

/* The tick the relay collects now, by my clock offset to it (before the
 * offset is known: from my WELCOME, late by its way here); and the tick
 * to send my input for now: that plus the room's delay (plus a tick more
 * for each RICOCHET_EV_LATE, at most delay more, a tick less after 5 s
 * without one). 0 outside a lockstep room. */
RICOCHET_API uint32_t ricochet_lockstep_tick(const struct ricochet *r);
RICOCHET_API uint32_t ricochet_lockstep_aim(const struct ricochet *r);

/* My input for tick (len 0..input_max bytes; 0 is an input of nothing),
 * sent now and again in every inputs message until its frame comes; the
 * ticks my aim stepped over since my newest input (a RICOCHET_EV_LATE,
 * or my clock offset, moved it on) get this input too. The first input asks for the frames from the room's first, as
 * ricochet_lockstep_from(0) does, unless that was called. RICOCHET_OK,
 * RICOCHET_E_NOT_JOINED, RICOCHET_E_UNSUPPORTED (no slot, or a room of
 * states), RICOCHET_E_TOO_BIG, RICOCHET_E_INVALID (a tick whose frame came,
 * or 64 ticks from an input of mine whose frame has not) or RICOCHET_E_SEND. */
RICOCHET_API int ricochet_send_input(struct ricochet *r, uint32_t tick, const void *data,
                                     size_t len);

/* Slot slot of the FRAME ricochet_poll returned last: its flag (enum
 * ricochet_slot_flag), and with PRESENT or REPEATED its bytes (*data into
 * r, until the next poll; *len). RICOCHET_E_INVALID: no frame, no slot. */
RICOCHET_API int ricochet_frame_input(const struct ricochet *r, uint32_t slot,
                                      const uint8_t **data, size_t *len);

/* Reports the checksum of my simulation after frame tick (a multiple of
 * check_every) for the relay to compare. RICOCHET_OK,
 * RICOCHET_E_NOT_JOINED, RICOCHET_E_UNSUPPORTED or RICOCHET_E_SEND. */
RICOCHET_API int ricochet_send_check(struct ricochet *r, uint32_t tick, uint64_t sum);

/* The last RICOCHET_EV_LATE: its newest tick, how late it came (µs) and
 * how many since the one before (each may be NULL). RICOCHET_OK, or
 * RICOCHET_E_INVALID outside a lockstep room. */
RICOCHET_API int ricochet_lockstep_late(const struct ricochet *r, uint32_t *tick,
                                        uint64_t *by_us, uint32_t *count);

/* The members the last RICOCHET_EV_DESYNC named (ids, at most cap); returns
 * how many it named. */
RICOCHET_API size_t ricochet_lockstep_desync(const struct ricochet *r, uint32_t *ids,
                                             size_t cap);

/* The player id holding slot ("": none), as my WELCOME and the JOINED
 * since said; NULL past the slots or outside a lockstep room. */
RICOCHET_API const char *ricochet_lockstep_player(const struct ricochet *r, uint32_t slot);

/* ---- my room as it is ---- */

/* My room as the relay last said it (my WELCOME, then each
 * RICOCHET_EV_ROOM): its owner's player id ("": none, or a relay that does
 * not say; the string lives until the next ricochet_poll), whether it takes
 * joiners and is listed (true where not said), the most members it takes
 * (0: not said), and its props into out (at most cap; returns how many it
 * has). ricochet_room_mine says whether its owner is my player. */
RICOCHET_API const char *ricochet_room_owner(const struct ricochet *r);
RICOCHET_API bool ricochet_room_open(const struct ricochet *r);
RICOCHET_API bool ricochet_room_listed(const struct ricochet *r);
RICOCHET_API uint32_t ricochet_room_size(const struct ricochet *r);
RICOCHET_API size_t ricochet_room_props(const struct ricochet *r, struct ricochet_prop *out,
                                        size_t cap);

/* My clock's offset to the relay's into *out. */
RICOCHET_API void ricochet_clock(const struct ricochet *r, struct ricochet_clock *out);

/* The one-way latency of every state received from the others (corrected;
 * states before both clock offsets were known are not in it) into *out. */
RICOCHET_API void ricochet_latency(const struct ricochet *r, struct ricochet_distribution *out);

/* The round trip of my own reflected states (ricochet_config_set_reflect)
 * into *out, and what arrived of them into *stats (may be NULL). */
RICOCHET_API void ricochet_rtt(const struct ricochet *r, struct ricochet_distribution *out,
                               struct ricochet_stats *stats);

/* ---- drawing the others: interpolation ---- */

/* A game draws another player a little in the past, between the two of
 * its states around that moment, so it moves smoothly although states
 * come late, out of order or not at all: one struct ricochet_interp per
 * player, fed every RICOCHET_EV_STATE of that player (its state and
 * recv_us), asked where to draw it at render time = ricochet_now_us()
 * minus a delay (100 ms, two states at 20 Hz, hides one lost state; more
 * delay hides more loss and shows the player later). No shared clock is
 * needed: the states' send times are placed on my clock by the smallest
 * recv_us - send_us seen, so network jitter does not show as jerks. It
 * keeps the 32 newest states (1.6 s at 20 Hz); a state more than 60 s
 * from the newest (the sender restarted) starts it afresh. Pure: no
 * clock, no socket, no session; times are the caller's, wrap-safe. */
struct ricochet_interp;

/* Where a player is to be drawn (ricochet_interp_at). */
enum ricochet_interp_kind {
    RICOCHET_INTERP_NONE = 0,        /* no state yet: nothing to draw */
    RICOCHET_INTERP_BEFORE = 1,      /* render time before the oldest state kept:
                                        held at it */
    RICOCHET_INTERP_BETWEEN = 2,     /* between the two states around render time
                                        (or exactly on one) */
    RICOCHET_INTERP_EXTRAPOLATED = 3, /* past the newest state, or across a hole wider
                                         than max_gap_ms: moved on along its velocity */
    RICOCHET_INTERP_STALE = 4        /* further past than extrapolate_ms: held where
                                        that limit put it */
};

struct ricochet_interp_point {
    enum ricochet_interp_kind kind;
    float x, y;            /* the game's units (0 for RICOCHET_INTERP_NONE) */
    uint32_t seq_a, seq_b; /* the states' seq used (equal when only one was) */
};

/* A new, empty buffer: it extrapolates at most extrapolate_ms past the
 * newest state (250 is a good start; 0: never, held there) and does not
 * glide across a hole of more than max_gap_ms between two states (1000;
 * 1..3600000). NULL if max_gap_ms is out of range or out of memory. Free
 * with ricochet_interp_free. */
RICOCHET_API struct ricochet_interp *ricochet_interp_new(uint32_t extrapolate_ms,
                                                         uint32_t max_gap_ms);

/* Frees ip (NULL is fine). */
RICOCHET_API void ricochet_interp_free(struct ricochet_interp *ip);

/* Empties ip (the player left, or a RICOCHET_EV_MOVED), keeping its limits. */
RICOCHET_API void ricochet_interp_clear(struct ricochet_interp *ip);

/* Records a state of the player, received at recv_us (the event's).
 * Returns 1 if kept, 0 if not (a duplicate, or older than all 32 kept;
 * ricochet_interp_latest still has it), RICOCHET_E_INVALID if ip or st
 * is NULL. */
RICOCHET_API int ricochet_interp_push(struct ricochet_interp *ip,
                                      const struct ricochet_state *st, uint64_t recv_us);

/* Where to draw the player at render_us of my clock (normally
 * ricochet_now_us() - delay) into *out; returns out->kind, or
 * RICOCHET_E_INVALID if ip or out is NULL. */
RICOCHET_API int ricochet_interp_at(const struct ricochet_interp *ip, uint64_t render_us,
                                    struct ricochet_interp_point *out);

/* The last state pushed, whatever its seq, into *out (raw arrivals, for a
 * view without interpolation): 1, or 0 if none yet (or ip or out NULL). */
RICOCHET_API int ricochet_interp_latest(const struct ricochet_interp *ip,
                                        struct ricochet_state *out);

/* "none", "before", "between", "extrapolated", "stale"; "?" for another. */
RICOCHET_API const char *ricochet_interp_kind_name(enum ricochet_interp_kind kind);

/* ---- time and logs ---- */

/* The library's clock, µs (CLOCK_MONOTONIC): recv_us and send_us use it. */
RICOCHET_API uint64_t ricochet_now_us(void);

/* Log levels of ricochet_set_log. */
enum ricochet_log_level {
    RICOCHET_LOG_DEBUG = 0,
    RICOCHET_LOG_INFO = 1,
    RICOCHET_LOG_WARN = 2,
    RICOCHET_LOG_ERROR = 3,
    RICOCHET_LOG_OFF = 4
};

typedef void (*ricochet_log_fn)(void *ctx, enum ricochet_log_level level, const char *line);

/* Process-wide: the library's log lines at level and above go to fn(ctx,
 * level, line) (one line, no newline); fn NULL: to stderr with the time.
 * The default is RICOCHET_LOG_INFO to stderr. Not thread-safe: call it
 * before sessions run on several threads. */
RICOCHET_API void ricochet_set_log(enum ricochet_log_level level, ricochet_log_fn fn,
                                   void *ctx);

#ifdef __cplusplus
}
#endif

#endif
