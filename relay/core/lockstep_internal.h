/* lockstep_internal.h: lockstep.c's parts and calls: lockstep rooms, whose
 * ticks the relay closes on its own clock with every player's input
 * (proto/PROTOCOL.md, "Lockstep rooms"; docs/design.md, "Lockstep rooms").
 * Its parts: the relay's lockstep rooms and their deadlines (struct relay's
 * lockstep), a room's ticks, slots, inputs and frames (struct relay_room's
 * lockstep, NULL in a room of states), a member's acknowledgements and
 * lateness (struct relay_peer's lockstep). Private to relay/core/. */
#ifndef RICOCHET_CORE_LOCKSTEP_INTERNAL_H
#define RICOCHET_CORE_LOCKSTEP_INTERNAL_H

/* BY_LOCKSTEP_C marks what lockstep.c alone writes (sys/writer.h). */
#include "sys/writer.h"
#ifndef BY_LOCKSTEP_C
#define BY_LOCKSTEP_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/lockstep.h"
#include "proto/wire.h"
#include "relay.h"

struct relay;
struct relay_room;
struct proto_control;

#define CORE_LOCKSTEP_SENDS 4  /* datagrams to one member a tick at most (a catch-up) */
#define CORE_LOCKSTEP_AHEAD 64 /* frames past its ack a reliable member is sent at most: what
                                  a client keeps past the one it awaits (PROTOCOL.md) */
#define CORE_LOCKSTEP_LATE_US 100000 /* a member told it was late at most this often */
#define CORE_LOCKSTEP_LINE 2304 /* a log line: a frame in hex and its room */

struct core_lockstep; /* a room's: lockstep.c */

/* The relay's lockstep rooms: lockstep.c's. */
struct core_lockstep_rooms {
    uint32_t *rooms;        /* max_rooms: the lockstep rooms' slots, n of them */
    uint32_t n;
    uint64_t due_us;        /* the earliest deadline of them (UINT64_MAX: none) */
    struct relay_lockstep_sink sink; /* where the kept log's lines go (relay.h) */
    char line[CORE_LOCKSTEP_LINE];   /* a line being made */
    uint8_t dgram[PROTO_BATCH_MAX]; /* a frames message being made */
};

/* A member's side of its lockstep room: lockstep.c's, set at its join. */
struct core_peer_lockstep {
    bool in;                /* a member of a lockstep room, this membership */
    bool spectator;         /* no slot: frames spectator_delay behind */
    bool started;           /* its first ack came: frames go to it from `from` */
    uint32_t slot;          /* a player's */
    uint32_t from;          /* its first ack */
    uint32_t ack;           /* it holds every frame before this (it says) */
    uint32_t cursor;        /* a reliable way: the next frame not yet sent; else where
                               a catch-up goes on (0: none under way) */
    uint32_t late_tick;     /* its newest late input's tick, not told yet (count > 0) */
    uint32_t late_count;    /* its late inputs not told yet */
    uint64_t late_by_us;    /* how late the newest came */
    uint64_t late_told_us;  /* when it was last told */
};

/* ---- rooms ---- */

/* Allocates the relay's part (max_rooms). Returns 0 or -1. */
int core_lockstep_alloc(struct relay *r);
void core_lockstep_free(struct relay *r);

/* room, just made, becomes a lockstep room of settings s, tick 0 beginning
 * at now_us. Returns 0, or -1 out of memory (the room as it was). */
int core_lockstep_make(struct relay *r, struct relay_room *room,
                       const struct proto_lockstep_settings *s, uint64_t now_us);

/* room ends (rooms.c): its log says so, its part is freed. */
void core_lockstep_close(struct relay *r, struct relay_room *room);

/* ---- members ---- */

/* May peer join lockstep room `room` (a spectator, or was: the member
 * whose place it takes, UINT32_MAX none)? 0, or refused room_full (every
 * slot held) and the relay_on_datagram code. */
int core_lockstep_admit(struct relay *r, uint32_t peer, const struct relay_room *room,
                        bool spectator, uint32_t was, uint64_t now_us);

/* peer became a member of its room (core_lockstep_admit let it): a slot
 * taken, its part started; had: the part of the member whose place it
 * takes (its slot goes on), zero if none. */
void core_lockstep_joined(struct relay *r, uint32_t peer, bool spectator,
                          const struct core_peer_lockstep *had);

/* peer leaves its room (still a member): its slot is free from the next
 * tick. */
void core_lockstep_left(struct relay *r, uint32_t peer);

/* A welcome to peer (out, being made): its room's lockstep object. */
void core_lockstep_welcome(struct relay *r, uint32_t peer, struct proto_control *out);

/* A joined notice about peer (out, being made): its slot. */
void core_lockstep_notice(const struct relay *r, uint32_t peer, struct proto_control *out);

/* ---- what members send ---- */

/* An inputs message from peer (channel and flags as it came; not a
 * control message, not an event). Returns 0, or the relay_on_datagram
 * code of its refusal. */
int core_lockstep_inputs(struct relay *r, uint32_t peer, uint8_t channel, uint32_t flags,
                         const uint8_t *bytes, size_t len, uint64_t now_us);

/* A check from peer (m decoded). Returns 0 or the refusal's code. */
int core_lockstep_check(struct relay *r, uint32_t peer, const struct proto_control *m,
                        uint64_t now_us);

/* ---- ticks ---- */

/* Closes every lockstep room's ticks due by now_us and sends their frames.
 * Returns the frames made. */
size_t core_lockstep_tick(struct relay *r, uint64_t now_us);

#endif
