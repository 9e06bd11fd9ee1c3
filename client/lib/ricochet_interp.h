/* ricochet_interp.h: libricochet's interpolation (interp.c), a part of
 * ricochet.h, which includes it where its section stands: include
 * <ricochet/ricochet.h>. The manual page ricochet(3) renders it there. */
#ifndef RICOCHET_PUBLIC_INTERP_H
#define RICOCHET_PUBLIC_INTERP_H

#ifndef RICOCHET_H
#error "include <ricochet/ricochet.h>: ricochet_interp.h is a part of it"
#endif

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

#endif
