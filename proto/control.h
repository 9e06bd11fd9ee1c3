/* control.h: JSON control messages (join, welcome, joined, left, error, chat,
 * leave, ping, pong, rooms, ...), encoded and decoded with cJSON.
 *
 * Pure: no I/O. Unknown fields are ignored; a missing or wrong-typed
 * required field is rejected with a specific code. Layouts and examples are
 * in proto/PROTOCOL.md. */
#ifndef RICOCHET_CONTROL_H
#define RICOCHET_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lockstep.h"
#include "player.h"
#include "props.h"
#include "wire.h"

#define PROTO_NAME_MAX 32     /* bytes in a player name, NUL excluded */
#define PROTO_ROOM_MAX 32     /* bytes in a room name, NUL excluded */
#define PROTO_TEXT_MAX 200    /* bytes in chat text or an error message */
#define PROTO_CODE_MAX 31     /* bytes in an error code */
#define PROTO_ROSTER_MAX 256  /* members listed in one welcome */
#define PROTO_CONTROL_MAX 65536 /* largest control message, bytes */
#define PROTO_TIMEOUT_MS 5000  /* a peer silent this long is gone, by default: the relay's
                                  --timeout-ms, the client's timeout */

enum proto_ctl_type {
    PROTO_CTL_JOIN,    /* client -> relay: room, name, mode, reflect, ticket */
    PROTO_CTL_WELCOME, /* relay -> client: id, room, roster */
    PROTO_CTL_JOINED,  /* relay -> members: id, name, mode */
    PROTO_CTL_LEFT,    /* relay -> members: id, name, reason */
    PROTO_CTL_ERROR,   /* relay -> client: code, text */
    PROTO_CTL_CHAT,    /* both ways: text (+ id, name from the relay) */
    PROTO_CTL_LEAVE,   /* client -> relay: leaving now (udp transport) */
    PROTO_CTL_PING,    /* client -> relay: t (echoed in pong) */
    PROTO_CTL_PONG,    /* relay -> client: t, relay_t */
    PROTO_CTL_CLOCK,   /* client -> relay: clock_offset_us, clock_bound_us;
                          relay -> members: the same + id (whose clock) */
    PROTO_CTL_COOKIE,  /* relay -> client (udp): cookie, to echo in the join */
    PROTO_CTL_SEALED,  /* relay -> client: salt; what follows is sealed (PROTOCOL.md) */
    PROTO_CTL_MOVED,   /* relay -> client: room, host, port, transport, epoch: join
                          there instead (a fleet of relays, proto/FLEET.md) */
    PROTO_CTL_APPEARED, /* relay -> member of a room with interest: member (id, name,
                           mode, state, clock) came within the radius */
    PROTO_CTL_VANISHED, /* relay -> member of a room with interest: id went out of
                           sight (beyond PROTO_AOI_LEAVE times the radius) */
    PROTO_CTL_ROOMS,    /* client -> relay: prefix, after (which rooms to list);
                           relay -> client (listing): rooms, more, prefix */
    PROTO_CTL_ROOM,     /* client -> relay, from a room's owner: open, listed,
                           props (PROTOCOL.md, "Rooms with properties") */
    PROTO_CTL_CHECK,    /* client -> relay, a lockstep room's member: tick, sum */
    PROTO_CTL_LATE,     /* relay -> member: tick, by_us, count: inputs came late */
    PROTO_CTL_DESYNC    /* relay -> members: tick, desync: who diverged */
};

/* A rooms message's "watch" (PROTOCOL.md, "A lobby that stays"): absent,
 * true or false. */
enum { PROTO_WATCH_NONE = 0, PROTO_WATCH_ON = 1, PROTO_WATCH_OFF = 2 };

/* Listing rooms (PROTOCOL.md, "Rooms to list"): a reply lists at most this
 * many, the first by name after the request's `after`. The longest entry
 * is 74 bytes of JSON, so a whole page is under 5 KB: within
 * PROTO_CONTROL_MAX; an edge with a message_max (plain UDP's 1200 bytes)
 * gets as many as fit, 14 of the longest at least, and `more`. */
#define PROTO_ROOMS_PAGE 64
/* A join with `any` that finds no room with space names a new one: its
 * prefix and a number of at most this many digits (1 to 9999), so the
 * prefix is at most the relay's --room-max minus this. */
#define PROTO_ANY_DIGITS 4

/* A room as a listing names it. */
struct proto_room_entry {
    char room[PROTO_ROOM_MAX + 1];
    uint32_t members;  /* members now (a room another relay of a fleet holds: as its
                          holder last published, a heartbeat or two ago) */
    uint32_t capacity; /* members a join may fill it to */
    bool closed;       /* takes no joiners ("open": false) */
    bool unlisted;     /* left out of listings: set only in what a relay of a fleet
                          publishes to the others (its name taken), never sent */
};

/* A room message's fields present (room_set): the others stay as they are. */
#define PROTO_ROOM_SET_OPEN 1u
#define PROTO_ROOM_SET_LISTED 2u
#define PROTO_ROOM_SET_PROPS 4u
/* The largest size a join may give its room (the relay's bound may be lower). */
#define PROTO_ROOM_SIZE_MAX 4095

/* Interest management (PROTOCOL.md, "Rooms with interest"): a member
 * receives the states of those within the room's radius, entering at the
 * radius and leaving beyond PROTO_AOI_LEAVE times it (hysteresis: one at
 * the edge does not flicker in and out). */
#define PROTO_AOI_LEAVE 1.2f
#define PROTO_AOI_MIN 0.01f /* smallest radius, arena units: cells stay countable */
#define PROTO_AOI_MAX 1e5f  /* largest radius */

#define PROTO_COOKIE_LEN 16 /* hex digits of a return-routability cookie (plain UDP, ENet) */
#define PROTO_ENET_ECHOES_COOKIES 1u /* an ENet CONNECT's data from a client that echoes
                                       cookies (0: one from before; PROTOCOL.md) */
#define PROTO_TICKET_MAX 952 /* characters of a join's ticket: a whole ticket's
                                (TICKET_TEXT_MAX), so that one sent in place of its
                                pass is told so; a pass is at most 515 */
#define PROTO_HEX16_LEN 32   /* hex digits of 16 bytes: a join's nonce, a salt, its tag */
#define PROTO_HOST_MAX 63   /* bytes in a moved's host, NUL excluded */
#define PROTO_ADDR_MAX (PROTO_HOST_MAX + 8) /* ... a join's lost_relay: that host,
                                             bracketed if IPv6, ":" and a port */

enum proto_left_reason {
    PROTO_LEFT_QUIT,
    PROTO_LEFT_TIMEOUT,
    PROTO_LEFT_KICKED
};

struct proto_member {
    uint32_t id;
    char name[PROTO_NAME_MAX + 1];
    enum proto_mode mode;
    bool has_state;          /* false until the member sent a state */
    struct proto_state state; /* last state the relay forwarded */
    bool has_clock;           /* false until the member announced its clock offset */
    int64_t clock_offset_us;  /* relay clock - its clock, µs */
    uint64_t clock_bound_us;  /* |error of clock_offset_us| <= this */
    char player[PROTO_PLAYER_LEN + 1]; /* its player id ("": a relay that gives none) */
};

/* How and where proto_control_decode refused a message. Callers choose by
 * these, never by the words of its reason, which are for people. */
struct proto_fault {
    int err;            /* PROTO_OK, or the proto_err decode returned */
    const char *field;  /* the failing field's wire name, innermost ("name" of a
                           roster entry is "name"); "" for the message as a whole */
};

/* One decoded control message; which fields are meaningful depends on type
 * (see the enum above). proto_control_init gives a valid start. */
struct proto_control {
    enum proto_ctl_type type;
    uint32_t id;                        /* welcome: yours; joined/left/chat: subject */
    char room[PROTO_ROOM_MAX + 1];      /* join, welcome; room: set only relay -> client
                                           (the room as it is, pushed) */
    char name[PROTO_NAME_MAX + 1];      /* join, joined, left, chat */
    enum proto_mode mode;               /* join, joined */
    bool reflect;                       /* join: also send my states back to me */
    bool batch;                         /* join, plain UDP: send me states in batches */
    bool batch_kept;                    /* join, plain UDP: and kept events replayed in
                                           batches too */
    float aoi;                          /* join: the radius of interest a room it creates
                                           gets; welcome: the room's (0: none, all-to-all) */
    enum proto_left_reason reason;      /* left */
    char code[PROTO_CODE_MAX + 1];      /* error: machine-readable, e.g. "room_full" */
    char text[PROTO_TEXT_MAX + 1];      /* error: human message; chat: the line */
    uint32_t version;                   /* join: protocol version the client speaks
                                           (sent as PROTO_VERSION; absent = 1) */
    char cookie[PROTO_COOKIE_LEN + 1];  /* cookie; join (udp): echoed, "" = none */
    char ticket[PROTO_TICKET_MAX + 1];  /* join: a ticket's pass, "" = none; then room
                                           and name may be "" (the ticket's count) */
    char nonce[PROTO_HEX16_LEN + 1];    /* join with a ticket: the client's nonce of this
                                           join, hex ("" = none) */
    char salt[PROTO_HEX16_LEN + 1];     /* sealed: the session's salt, hex */
    char tag[PROTO_HEX16_LEN + 1];      /* sealed: its tag over the nonce and salt, hex */
    char host[PROTO_HOST_MAX + 1];      /* moved: the relay to join (name or address,
                                           an IPv6 one without brackets) */
    uint16_t port;                      /* moved: its port, 1..65535 */
    enum proto_mode transport;          /* moved: UDP for a plain-UDP relay, else
                                           UNSEQUENCED for ENet */
    uint64_t epoch;                     /* moved: the room's claim; join: the epoch
                                           of the moved that sent you (0: none) */
    bool lost;                          /* join: I lost the relay that held my room
                                           (a fleet's rejoin): the holder is checked */
    char lost_relay[PROTO_ADDR_MAX + 1]; /* join, with lost: that relay's HOST:PORT
                                           ("" = not named) */
    bool forwarded;                     /* moved, to a member of a room that moves:
                                           seq is set (absent from other moveds) */
    uint32_t seq;                       /* ... the last of the member's states the
                                           relay passed on (0: none) */
    bool any;                           /* join: room is a prefix: the fullest room
                                           under it with space, or a new one */
    char key[PROTO_KEY_LEN + 1];        /* join: my player's key from an earlier welcome
                                           of this session; welcome: yours ("": none) */
    char player[PROTO_PLAYER_LEN + 1];  /* welcome: your player id; joined, left: the
                                           member's ("": a relay that gives none) */
    bool rejoined;                      /* joined: the member came back to its id */
    char owner[PROTO_PLAYER_LEN + 1];   /* welcome, room (relay -> client, room set):
                                           the room's owner, a player id ("": none); with
                                           props, closed, unlisted and size the room as it
                                           is. left: the room's new owner, its owner having
                                           left ("": no change; on the wire "creator", its
                                           first name: PROTOCOL.md) */
    char prefix[PROTO_ROOM_MAX + 1];    /* rooms: list those whose names start with
                                           it ("": all); a listing echoes it */
    char after[PROTO_ROOM_MAX + 1];     /* rooms (request): only names after it
                                           ("": from the first) */
    bool listing;                       /* rooms: a listing (relay -> client), not a
                                           request */
    bool more;                          /* listing: rooms past the last listed */
    bool partial;                       /* listing: a fleet's relay whose directory did
                                           not answer: its own rooms only */
    uint8_t watch;                      /* rooms: PROTO_WATCH_*: a request's "watch"
                                           (a lobby that stays, told of changes); a
                                           listing to a watcher says ON */
    size_t rooms_len;                   /* listing: entries in rooms */
    /* Rooms with properties (PROTOCOL.md): the join's take effect only for a
     * join that creates the room. */
    struct proto_props props;           /* join: the new room's; room: its new ones */
    struct proto_props match;           /* join with any, rooms request: only rooms
                                           whose props hold these equal values */
    uint32_t size;                      /* join: the new room's capacity (0: the relay's);
                                           welcome, room (relay -> client): the most
                                           members it takes */
    bool unlisted;                      /* join, room: left out of listings ("listed":
                                           false) */
    bool closed;                        /* join, room: takes no joiners ("open": false) */
    bool exists;                        /* join: refused no_such_room if the room is not */
    uint8_t room_set;                   /* room, welcome: PROTO_ROOM_SET_* of the fields
                                           it carries */
    /* Lockstep rooms (PROTOCOL.md, "Lockstep rooms"). */
    bool has_lockstep;                  /* join: makes a lockstep room; welcome: the room
                                           is one; lockstep (below the roster) holds it */
    bool spectator;                     /* join: no slot, frames held back */
    bool has_slot;                      /* joined: the joiner holds slot */
    uint32_t slot;
    uint32_t tick;                      /* check, late, desync */
    uint64_t sum;                       /* check: the simulation's checksum */
    uint64_t by_us;                     /* late: how late the newest came */
    uint32_t count;                     /* late: how many since the last */
    size_t desync_len;                  /* desync: entries of desync (below the roster) */
    uint64_t t;                         /* ping/pong: opaque, echoed */
    uint64_t relay_t;                   /* pong: the relay's clock when it answered, µs
                                           (0: none; clock offset, PROTOCOL.md) */
    int64_t clock_offset_us;            /* clock: relay clock - sender's clock, µs */
    uint64_t clock_bound_us;            /* clock: |error of clock_offset_us| <= this */
    struct proto_member member;         /* appeared: who (id is also in .id) */
    size_t roster_len;                  /* welcome */
    struct proto_member roster[PROTO_ROSTER_MAX];
    struct proto_room_entry rooms[PROTO_ROOMS_PAGE]; /* listing: rooms_len of them (not
                                           cleared by proto_control_init, as the roster) */
    struct proto_props rooms_props[PROTO_ROOMS_PAGE]; /* listing: each room's props */
    struct proto_lockstep lockstep;     /* join, welcome: with has_lockstep (not cleared
                                           by proto_control_init) */
    struct proto_desync_member desync[PROTO_DESYNC_MAX]; /* desync: desync_len of them */
    struct proto_fault fault;           /* decode: set by every call (not by
                                           proto_control_init) */
};

/* Starts *m as a message of type: every field zero except the roster
 * and the rooms, of which only a welcome's roster_len and a listing's
 * rooms_len entries are used (it is 28 KB: clearing it
 * for every ping cost the clients a tenth of their CPU at 4000 of them). */
void proto_control_init(struct proto_control *m, enum proto_ctl_type type);

/* Writes m as compact JSON into buf (NUL-terminated). Returns the length
 * without the NUL, PROTO_E_SPACE if cap is too small, PROTO_E_VALUE if a
 * field is invalid for sending. */
int proto_control_encode(char *buf, size_t cap, const struct proto_control *m);

/* Parses len bytes of JSON into m. Returns PROTO_OK or a negative
 * proto_err; m->fault says how and which field, and why (if not NULL) gets
 * a one-line reason for people, e.g. "field \"room\" is missing". */
int proto_control_decode(const char *buf, size_t len, struct proto_control *m,
                         char *why, size_t why_cap);

/* A player's name (player_name.c), shared by relay and clients: 1..max
 * bytes of strict UTF-8, no control or format characters, not only
 * spaces. Returns 1 if valid; else 0, with why (why_cap bytes, may be NULL)
 * saying for people what is wrong ("a name may not hold control
 * characters (U+001B)"). */
int proto_name_check(const char *name, size_t max, char *why, size_t why_cap);

/* proto_name_check with max PROTO_NAME_MAX and no words. */
int proto_name_valid(const char *name);

/* A room's name: 1..PROTO_ROOM_MAX bytes of [A-Za-z0-9_.-]. Returns 1 if
 * valid. */
int proto_room_valid(const char *room);

/* A listing's prefix or after: 0..PROTO_ROOM_MAX bytes of the name
 * characters ("" is valid). Returns 1 if valid. */
int proto_prefix_valid(const char *prefix);

/* A moved's host: 1..PROTO_HOST_MAX bytes of [A-Za-z0-9._:-] (a DNS name,
 * an IPv4 address, or an IPv6 address without brackets). Returns 1 if valid. */
int proto_host_valid(const char *host);

/* A join's lost_relay: 1..PROTO_ADDR_MAX bytes of [A-Za-z0-9._:-] and
 * brackets (HOST:PORT, [V6]:PORT). Returns 1 if valid. */
int proto_addr_valid(const char *addr);

/* A join's nonce, a salt or its tag: exactly PROTO_HEX16_LEN lowercase hex
 * digits. Returns 1 if valid. */
int proto_hex16_valid(const char *hex);

/* A radius of interest: 0 (none) or PROTO_AOI_MIN..PROTO_AOI_MAX. */
bool proto_aoi_valid(double aoi);

/* Chat and error text: 1..PROTO_TEXT_MAX bytes, no control characters. */
int proto_text_valid(const char *text);

const char *proto_ctl_type_name(enum proto_ctl_type type);
const char *proto_left_reason_name(enum proto_left_reason reason);

#endif
