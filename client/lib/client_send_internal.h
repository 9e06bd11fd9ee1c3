/* client_send_internal.h: client_send.c's parts of a session, and its calls: what a
 * session sends, reliable states held across a move, the clock offset.
 * client_internal.h includes it, composing struct ricochet of its parts;
 * only the file named here writes them. Private to client/lib/. */
#ifndef RICOCHET_CLIENT_SEND_INTERNAL_H
#define RICOCHET_CLIENT_SEND_INTERNAL_H

/* BY_CLIENT_SEND_C marks what client_send.c alone writes: const in every other
 * file in the writers check (sys/writer.h; client_send.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_CLIENT_SEND_C
#define BY_CLIENT_SEND_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"

struct ricochet;

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

/* Reliable mode across a move: "everything, in order" holds there too.
 * States sent between relays wait, and go out once the members of the room
 * before the move are there again (or HOLD_WAIT_US after the welcome), so
 * that none of them misses one. client_send.c's (client_hold_*). */
struct client_hold {
    bool holding;
    uint64_t hold_until_us;   /* set by the welcome: send then whoever is missing */
    BY_CLIENT_SEND_C struct held_state *held; /* HOLD_MAX, allocated on the first move */
    size_t n_held;
    BY_CLIENT_SEND_C char (*awaited)[PROTO_NAME_MAX + 1]; /* members before the move not seen
                                                             since */
    size_t n_awaited;
    /* States on their way when a room moves reach the old relay after it
     * let the member go: its moved names the last it passed on, and those
     * sent after it go again, first, on the next relay. */
    BY_CLIENT_SEND_C struct kept_state *kept; /* KEPT_MAX, a ring: the newest at (n_kept - 1) %
                                                 KEPT_MAX */
    uint64_t n_kept;          /* kept since the ring was last emptied */
};

/* The clock offset to the relay (pings, PROTOCOL.md "Clock offset"):
 * client_send.c's, which pings and announces (client_clock_sample,
 * client_clock_forget). */
struct client_sync {
    struct clock_sync clock;
    uint64_t next_ping_us;        /* next clock ping */
    struct clock_sync announced;  /* the estimate the room has (valid: announced) */
    unsigned clock_samples;       /* pongs heard */
    unsigned pings;               /* pings sent */
    unsigned ping_backoff;        /* slow pings double this many times (the estimate held) */
    bool clock_changed;           /* announce it at the next step */
};

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

/* Sends one control message m (sealed in a sealed session). Returns 0 or -1. */
int client_send_message(struct ricochet *c, const struct proto_control *m);

/* Sends len bytes of the state ways (a state, a lockstep room's inputs) up
 * in my mode, sealed in a sealed session. Returns RICOCHET_OK or
 * RICOCHET_E_SEND. */
int client_send_way_up(struct ricochet *c, const uint8_t *buf, size_t len);
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

#endif
