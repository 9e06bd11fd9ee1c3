/* interp.h: snapshot interpolation buffer for one remote player, the
 * engine under ricochet.h's ricochet_interp_* (interp.c holds both).
 *
 * Remote players are drawn a little in the past (render time = now - delay),
 * between the two received states around that time, so they move smoothly
 * even though states arrive late, out of order or not at all.
 *
 * The timeline is clock-offset free: a sample's local time is its sender
 * time plus offset, where offset = min over samples of (recv_us - send_us).
 * That needs no shared clock (any constant clock difference lands in the
 * offset) and, because it follows the sender's regular send times instead of
 * the arrival times, network jitter does not show up as jerky motion. An
 * out-of-order sample slots in at its own place in time.
 *
 * Pure: the caller passes receive and render times. All time and sequence
 * comparisons are wrap-safe (uint64 microseconds, uint32 sequence numbers). */
#ifndef RICOCHET_INTERP_H
#define RICOCHET_INTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h" /* proto_seq_after */
#include "ricochet.h"

#define INTERP_CAP 32 /* samples kept per player (1.6 s at 20 Hz) */
/* A sample further than this from the newest one (sender restarted, clock
 * jump) resets the buffer instead of being interpolated against. */
#define INTERP_RESET_US (60ull * 1000 * 1000)

struct interp_sample {
    uint32_t seq;     /* sender's sequence number */
    uint64_t send_us; /* sender's clock */
    uint64_t recv_us; /* my clock */
    float x, y;       /* arena units */
    float vx, vy;     /* arena units per second */
};

struct interp_buffer {
    size_t n;                          /* samples held */
    struct interp_sample s[INTERP_CAP]; /* ordered by seq, oldest first */
    bool have_offset;
    uint64_t offset_us;       /* local = send + offset (mod 2^64) */
    bool have_raw;
    struct ricochet_state raw; /* the last state to arrive, whatever its seq */
    uint64_t extrap_limit_us; /* extrapolate past the newest sample this far at most */
    uint64_t max_gap_us;      /* do not interpolate across a wider hole */
    uint64_t arrivals;        /* interp_push calls */
    uint64_t dropped;         /* duplicates and too-old samples not stored */
    uint64_t resets;          /* buffer restarted (INTERP_RESET_US) */
};

/* ricochet.h's enum ricochet_interp_kind, value for value. */
enum interp_kind {
    INTERP_NONE = RICOCHET_INTERP_NONE,       /* no sample yet: nothing to draw */
    INTERP_BEFORE = RICOCHET_INTERP_BEFORE,   /* render time before the oldest sample:
                                                 held there */
    INTERP_BETWEEN = RICOCHET_INTERP_BETWEEN, /* interpolated between two samples */
    INTERP_EXTRAPOLATED = RICOCHET_INTERP_EXTRAPOLATED, /* past the newest sample (or a
                                                           wide gap), within the limit */
    INTERP_STALE = RICOCHET_INTERP_STALE      /* past the extrapolation limit: frozen at
                                                 the limit */
};

struct interp_result {
    enum interp_kind kind;
    float x, y;
    uint32_t seq_a, seq_b; /* samples used (equal when only one was) */
};

/* Empties b and sets its limits (microseconds). */
void interp_init(struct interp_buffer *b, uint64_t extrap_limit_us,
                 uint64_t max_gap_us);

/* Empties b, keeping its limits and counters. */
void interp_clear(struct interp_buffer *b);

/* Records a state received at recv_us. Returns 1 if stored, 0 if it was a
 * duplicate or older than everything in a full buffer (raw still updated). */
int interp_push(struct interp_buffer *b, const struct ricochet_state *st,
                uint64_t recv_us);

/* Position at render_us on my clock (normally now - delay). Returns the
 * kind (also in out->kind); out->x/y are unset for INTERP_NONE. */
enum interp_kind interp_sample_at(const struct interp_buffer *b,
                                  uint64_t render_us,
                                  struct interp_result *out);

/* Local time of sample i (0 = oldest), for display and tests. */
uint64_t interp_local_time(const struct interp_buffer *b, size_t i);

/* "none", "before", "between", "extrapolated", "stale". */
const char *interp_kind_name(enum interp_kind kind);

#endif
