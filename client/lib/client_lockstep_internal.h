/* client_lockstep_internal.h: client_lockstep.c's part of a session, and its
 * calls: a lockstep room (PROTOCOL.md, "Lockstep rooms") as a client keeps
 * it: the room's settings and clock from its welcome, the frames in tick
 * order (those ahead kept until the ticks before them came), the inputs not
 * yet confirmed (sent again in every inputs message), the acknowledgement
 * due, the last late and desync heard. client_internal.h includes it,
 * composing struct ricochet; only client_lockstep.c writes it. Private to
 * client/lib/. */
#ifndef RICOCHET_CLIENT_LOCKSTEP_INTERNAL_H
#define RICOCHET_CLIENT_LOCKSTEP_INTERNAL_H

/* BY_CLIENT_LOCKSTEP_C marks what client_lockstep.c alone writes (sys/writer.h). */
#include "sys/writer.h"
#ifndef BY_CLIENT_LOCKSTEP_C
#define BY_CLIENT_LOCKSTEP_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/control.h"
#include "proto/lockstep.h"

struct ricochet;
struct ricochet_event;

#define CLIENT_FRAMES_AHEAD 64   /* frames kept past the one awaited */
#define CLIENT_INPUTS_PENDING 64 /* my inputs not yet confirmed, at most */
#define CLIENT_LATE_CALM_US 5000000 /* a tick less aimed ahead after this long without a late */

/* An input of mine not yet in a frame. */
struct client_input {
    uint32_t tick;
    bool used;
    uint8_t len;
    uint8_t bytes[PROTO_LOCKSTEP_INPUT_MAX];
};

/* My lockstep room: client_lockstep.c's, made by the welcome (on), ended
 * with the membership (a hop, the close). */
struct client_lockstep {
    bool on;                      /* my room is a lockstep room */
    struct proto_lockstep_settings set;
    uint32_t period_us;
    uint64_t start_us;            /* the relay's clock when tick 0 began */
    uint32_t welcome_tick;        /* the tick collected as the welcome left */
    uint64_t welcome_at_us;       /* when it came (my clock) */
    bool has_slot;
    uint32_t slot;
    uint32_t kept;                /* kept events the welcome said follow it */
    char players[PROTO_LOCKSTEP_SLOTS_MAX][PROTO_PLAYER_LEN + 1]; /* by slot ("": free) */
    bool started;                 /* frames asked for (client_lockstep_from) */
    uint32_t next;                /* the next frame to hand over */
    uint32_t *ahead_tick;         /* CLIENT_FRAMES_AHEAD: tick + 1 of the frame kept at
                                     tick % CLIENT_FRAMES_AHEAD (0: none) */
    uint16_t *ahead_len;
    uint8_t *ahead;               /* CLIENT_FRAMES_AHEAD frames of at most a frame's bytes */
    size_t frame_max;             /* slots x (input_max + 2) */
    bool gone_said;               /* frames_gone told for this jump */
    struct client_input *pending; /* CLIENT_INPUTS_PENDING, by tick % of it */
    bool ack_due;                 /* frames came that no message of mine acknowledged */
    uint64_t ack_due_us;          /* ... to say so then, unless an input goes first */
    uint32_t extra;               /* ticks aimed further ahead than delay (late inputs) */
    uint32_t jumped;              /* ticks the aim stepped over since my newest input
                                     (a late, my clock to the relay's moving on), given
                                     my next input too */
    uint32_t newest;              /* the tick after my newest input (0: none yet) */
    uint64_t late_at_us;          /* when the last late came */
    uint32_t late_tick, late_count; /* the last late's */
    uint64_t late_by_us;
    uint32_t n_desync;            /* the last desync's members */
    uint32_t desync[PROTO_DESYNC_MAX];
};

/* The join's ask and the welcome's answer: the room is a lockstep room
 * (m a welcome): its settings, my slot, who holds which, the clock. */
void client_lockstep_welcomed(struct ricochet *c, const struct proto_control *m, uint64_t now);

/* My membership ended (a hop, the close): what the room gave is let go. */
void client_lockstep_end(struct ricochet *c);

/* A joined notice: who holds which slot now. */
void client_lockstep_joined(struct ricochet *c, const struct proto_control *m);

/* A frames message (clear, or opened) received at now: kept in order.
 * Returns 1 with *ev (the first frame awaited, or frames_gone), 0, or the
 * negative proto error of a message that is no frames of my room. */
int client_lockstep_frames(struct ricochet *c, const uint8_t *buf, size_t len, uint64_t now,
                           struct ricochet_event *ev);

/* A late or desync message: 1 with *ev. */
int client_lockstep_told(struct ricochet *c, const struct proto_control *m, uint64_t now,
                         struct ricochet_event *ev);

/* The tick the relay collects at now by my clock (ricochet_lockstep_tick);
 * and, the clock to the relay's changed, the ticks it moved on since it said
 * before (the aim stepped over them: they get my next input too). */
uint32_t client_lockstep_tick_at(const struct ricochet *c, uint64_t now);
void client_lockstep_clock_moved(struct ricochet *c, uint32_t before, uint64_t now);

/* What the session owes the game or the relay at now, before it reads more:
 * a frame kept that is due (1 with *ev), an acknowledgement sent. */
int client_lockstep_event(struct ricochet *c, uint64_t now, struct ricochet_event *ev);

#endif
