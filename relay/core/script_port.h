/* script_port.h: where the relay's core and its room scripts meet
 * (docs/scripts.md): what the core asks a room's script (struct
 * relay_script_ops, the table the engine installs with relay_set_script),
 * and what a script may do to its room (send as the room, keep and clear
 * the room's own kept events, props, open, kick, its members) and read of
 * it back (its props, its kept events, where it was made from), the
 * relay_script_* calls the engine (relay/script/) makes. The core links no
 * Lua: a program that runs the core without scripts (the lesson, the cost
 * tools, the fuzzers) installs nothing, and every call the core makes into
 * a script is a test of one pointer (scripted_internal.h). */
#ifndef RICOCHET_RELAY_SCRIPT_PORT_H
#define RICOCHET_RELAY_SCRIPT_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/control.h"
#include "proto/props.h"
#include "proto/room_record.h"
#include "proto/wire.h"

struct relay;
struct relay_script_counts; /* relay.h: the stats record's scripts */

/* The sender id of what a room's script sends: the relay never draws it
 * for a member (join.c skips it as it skips 0), so a client tells the
 * room's own word from a player's; not 0, which clients take for a
 * message nobody stamped. */
#define RELAY_SCRIPT_SENDER PROTO_ROOM_SENDER

/* The keeper of the room's own kept events (relay_script_keep): a player
 * id no key hashes to in practice (2^-64), which no member may replace or
 * clear (error not_owner), and which a room's record carries as any
 * keeper, so a restored room's keys stay its own. */
#define RELAY_SCRIPT_KEEPER PROTO_ROOM_KEEPER

/* What a hook decided of an event or a state. */
enum relay_script_verdict {
    RELAY_SCRIPT_PASS = 0, /* on as it came (no hook, a hook's nil or true, an error) */
    RELAY_SCRIPT_DROP,     /* dropped: the hook returned false */
    RELAY_SCRIPT_CHANGED,  /* replaced (an event's body) or corrected (a state) */
    RELAY_SCRIPT_BUSY      /* not judged: the relay's scripts had spent their share of
                              its time and this room more than its part (dropped,
                              drops.script_busy) */
};

/* A member as a script sees it. */
struct relay_script_member {
    uint32_t id;
    char name[PROTO_NAME_MAX + 1];
    char player[PROTO_PLAYER_LEN + 1];
    bool has_state;
    struct proto_state state; /* its last state (has_state) */
};

/* What the core asks a room's script; the engine's (relay/script). room is
 * the room's slot (stable while it lives; room_end says it ended); each
 * call may be NULL. Called from inside core calls: they may call the
 * relay_script_* functions, never the relay_on_* entry points. */
struct relay_script_ops {
    void *ctx;
    /* m is joining the room called name (props: the room's): PASS admits
     * it; DROP refuses it with why; BUSY refuses it, not judged. A room's
     * first join starts its script. */
    enum relay_script_verdict (*join)(void *ctx, uint32_t room, const char *name, const struct proto_props *props,
                 const struct relay_script_member *m, uint64_t now_us, char *why,
                 size_t why_cap);
    /* m is leaving (still a member, the last time the script sees it). */
    void (*leave)(void *ctx, uint32_t room, const struct relay_script_member *m,
                  uint64_t now_us);
    /* An event from m: CHANGED puts the new body (at most
     * PROTO_EVENT_BODY_MAX - its key's bytes) in body, its length in *len. */
    enum relay_script_verdict (*event)(void *ctx, uint32_t room,
                                       const struct relay_script_member *m,
                                       const struct proto_event *e, uint8_t *body,
                                       size_t *len, uint64_t now_us);
    /* A state from m (m->state: its last before this one): CHANGED has
     * corrected *s. */
    enum relay_script_verdict (*state)(void *ctx, uint32_t room,
                                       const struct relay_script_member *m,
                                       struct proto_state *s, uint64_t now_us);
    /* A lockstep room's input from m (its slot) for tick, len bytes at data,
     * before any frame has it: DROP refuses it (its stand-in goes in the
     * frame); CHANGED puts new bytes (at most *out_len, its capacity going
     * in) in out, their length in *out_len. */
    enum relay_script_verdict (*input)(void *ctx, uint32_t room,
                                       const struct relay_script_member *m, uint32_t tick,
                                       uint32_t slot, const uint8_t *data, size_t len,
                                       uint8_t *out, size_t *out_len, uint64_t now_us);
    /* The room ended (emptied, moved, the relay stops): its script with it. */
    void (*room_end)(void *ctx, uint32_t room);
};

/* ---- what the engine does (relay/core/scripted_port.c) ---- */

/* Installs the engine's table (copied; NULL: none, every hook off). */
void relay_set_script(struct relay *r, const struct relay_script_ops *ops);

/* The counters the engine counts into. */
struct relay_script_counts *relay_script_counts(struct relay *r);

/* How many room slots r has (its max_rooms): a room's slot is below it. */
uint32_t relay_script_slots(const struct relay *r);

/* The live room at slot room, called name? */
bool relay_script_room_live(const struct relay *r, uint32_t room, const char *name);

/* Sends an event of len bytes of body from the room itself (sender
 * RELAY_SCRIPT_SENDER) to member id to (0: every member). Returns the
 * copies sent, or -1: no such member, a body too long. */
int relay_script_send(struct relay *r, uint32_t room, uint32_t to, const void *body,
                      size_t len);

/* Keeps body (len 0: clears key) as the room's own kept event under key,
 * with stay (a room's never goes with a member), sent to every member
 * now. Returns 0, -1 (a bad key or too long), -2 (past the room's kept
 * bound), -3 (out of memory). */
int relay_script_keep(struct relay *r, uint32_t room, const char *key, const void *body,
                      size_t len);

/* The room's props replaced, and whether it takes joiners. */
void relay_script_props(struct relay *r, uint32_t room, const struct proto_props *props);
void relay_script_open(struct relay *r, uint32_t room, bool open);

/* ---- what a script reads of its room back (what its record carried
 * across a restart or a move; relay/core/scripted_port.c) ---- */

/* Where the room at slot room was made. */
enum relay_script_from {
    RELAY_SCRIPT_MADE = 0,  /* by a join (or no such room) */
    RELAY_SCRIPT_FROM_FILE, /* from its record in --room-file: the relay restarted */
    RELAY_SCRIPT_FROM_MOVE  /* from the record its fleet's directory kept: it moved here
                               (a drain, its relay lost) */
};
enum relay_script_from relay_script_room_from(const struct relay *r, uint32_t room);

/* The room's props as they are now, or NULL: no such room. */
const struct proto_props *relay_script_room_props(const struct relay *r, uint32_t room);

/* Walks the room's kept events in order, its own and its members': *at 0
 * to start; the next one's bytes as a joiner gets them (an event with keep,
 * its key in them) and its keeper's player id (RELAY_SCRIPT_KEEPER: the
 * room's), *at past it; false after the last, or no such room. */
bool relay_script_kept_next(const struct relay *r, uint32_t room, size_t *at,
                            const uint8_t **bytes, size_t *len,
                            char keeper[PROTO_PLAYER_LEN + 1]);

/* Asks for member id of room to be kicked (error kicked with why), once
 * the call in hand is over (relay_script_settle). Returns false: too many
 * asked already, or no such member. */
bool relay_script_kick(struct relay *r, uint32_t room, uint32_t id, const char *why);

/* Carries out the kicks asked for. Returns whether there were any. */
bool relay_script_settle(struct relay *r, uint64_t now_us);

/* Tells every member of room (but a leaver) that its script failed: an
 * event to the room from the room (RELAY_SCRIPT_SENDER), its body
 * RELAY_SCRIPT_TOLD then text (PROTOCOL.md, "From the room"). A room's
 * script fails at most SCRIPT_ERRORS_OFF times, so this is bounded. */
#define RELAY_SCRIPT_TOLD "script_error: "
void relay_script_tell(struct relay *r, uint32_t room, const char *text);

/* The room's script is off for good (its errors): the room closed (it
 * takes no joiner), each member told text (relay_script_tell); with end,
 * every member then closed with error kicked and text, once the call in
 * hand is over (relay_script_settle). */
void relay_script_failed(struct relay *r, uint32_t room, bool end, const char *text);

/* The room's members (at most cap) into out, in the room's order. Returns
 * how many. */
size_t relay_script_members(const struct relay *r, uint32_t room,
                            struct relay_script_member *out, size_t cap);

#endif
