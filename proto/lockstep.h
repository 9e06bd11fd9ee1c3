/* lockstep.h: a lockstep room's binary messages (proto/PROTOCOL.md, "Lockstep
 * rooms"): inputs, client to relay, and frames, relay to client; a frame's
 * entries; a room's settings and their bounds.
 *
 * Pure: encodes into caller buffers and decodes (buf, len) into views that
 * point into them; no I/O, no allocation, no clock. */
#ifndef RICOCHET_LOCKSTEP_H
#define RICOCHET_LOCKSTEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "player.h"

#define PROTO_MSG_INPUTS 4 /* binary type: a member's inputs and its ack */
#define PROTO_MSG_FRAMES 5 /* binary type: confirmed frames, to a member */

#define PROTO_LOCKSTEP_HEAD 12      /* bytes before an inputs' or a frames' body */
#define PROTO_INPUTS_MAX 64         /* inputs in one datagram */
#define PROTO_LOCKSTEP_WINDOW 64    /* ticks ahead of the relay's an input may aim */
#define PROTO_LOCKSTEP_SLOTS_MAX 32 /* slots of a room */
#define PROTO_LOCKSTEP_INPUT_MAX 255 /* bytes of one input */
#define PROTO_LOCKSTEP_FRAME_MAX 1024 /* slots x (input_max + 2): one frame's bytes at most */
#define PROTO_FRAMES_COUNT_MAX 255  /* frames in one datagram */
#define PROTO_CHECK_OLD 4           /* check ticks a check may be behind the newest */
#define PROTO_SUM_LEN 16            /* hex digits of a check's sum */

/* A slot's flag in a frame. */
enum proto_slot_flag {
    PROTO_SLOT_EMPTY = 0,    /* a player, no input in time, nothing stands in */
    PROTO_SLOT_PRESENT = 1,  /* the player's input */
    PROTO_SLOT_REPEATED = 2, /* no input in time: its last stands in */
    PROTO_SLOT_LEFT = 3      /* no player holds the slot */
};

/* A lockstep room's settings, as a join makes it and a welcome says it. */
struct proto_lockstep_settings {
    uint32_t hz;              /* ticks a second, 10..60 */
    uint32_t delay;           /* input delay, ticks, 0..32 */
    uint32_t slots;           /* players at most, 1..32 */
    uint32_t input_max;       /* bytes of one input, 1..255 */
    bool stand_in_last;       /* a missing input: the player's last (else nothing) */
    uint32_t check_every;     /* checks at ticks that are multiples of it; 0: none (..600) */
    uint32_t spectator_delay; /* ticks a spectator's frames lag, 0..600 */
};

/* A welcome's lockstep object: the room's settings, its clock, your slot,
 * who holds each slot, the kept events that follow the welcome. */
struct proto_lockstep {
    struct proto_lockstep_settings settings;
    uint64_t start_us;    /* the relay's clock when tick 0 began */
    uint32_t tick;        /* the tick collected as the welcome left */
    bool has_slot;        /* false: a spectator */
    uint32_t slot;
    uint32_t kept;        /* kept events replayed after the welcome */
    uint32_t n_players;   /* entries of players: the room's slots */
    char players[PROTO_LOCKSTEP_SLOTS_MAX][PROTO_PLAYER_LEN + 1]; /* "" : free */
};

/* A member a desync names. */
#define PROTO_DESYNC_MAX 64
struct proto_desync_member {
    uint32_t id;
    char player[PROTO_PLAYER_LEN + 1];
};

/* The defaults of PROTOCOL.md's table (spectator_delay 2 x hz). */
void proto_lockstep_defaults(struct proto_lockstep_settings *s);

/* Are the settings within their bounds (slots x (input_max + 2) at most
 * PROTO_LOCKSTEP_FRAME_MAX too)? Returns 0, or -1 with why (may be NULL)
 * naming the field and its bound for people. */
int proto_lockstep_valid(const struct proto_lockstep_settings *s, char *why, size_t why_cap);

/* A tick's length, µs: 1000000 / hz. */
uint32_t proto_lockstep_period_us(uint32_t hz);

/* ---- inputs (type 4) ---- */

/* An inputs message as read: its ack, the tick of its first input, and its
 * count inputs, walked with proto_inputs_next. */
struct proto_inputs {
    uint32_t ack;
    uint32_t first;
    uint32_t count;
    const uint8_t *buf; /* the message */
    size_t len;
};

/* Reads an inputs message of len bytes whose inputs are at most input_max
 * bytes each. Returns PROTO_OK, or PROTO_E_SHORT, PROTO_E_VERSION,
 * PROTO_E_TYPE, PROTO_E_VALUE (a count over PROTO_INPUTS_MAX, an input over
 * input_max, bytes past the last input); in is untouched on error. */
int proto_inputs_decode(const uint8_t *buf, size_t len, uint32_t input_max,
                        struct proto_inputs *in);

/* The input at *at of a decoded message (*at starts at
 * PROTO_LOCKSTEP_HEAD): sets *data and *n, moves *at past it and returns 1;
 * 0 past the last. */
int proto_inputs_next(const struct proto_inputs *in, size_t *at, const uint8_t **data,
                      size_t *n);

/* Writes an inputs message: ack, then count inputs (data[i], lens[i] each
 * at most PROTO_LOCKSTEP_INPUT_MAX) for ticks first, first + 1, ...
 * Returns its length, or PROTO_E_SPACE, PROTO_E_VALUE (count over
 * PROTO_INPUTS_MAX, an input too long). */
int proto_inputs_encode(uint8_t *buf, size_t cap, uint32_t ack, uint32_t first,
                        const uint8_t *const *data, const size_t *lens, size_t count);

/* ---- frames (type 5) ---- */

/* A frames message as read: count frames of slots entries each, of ticks
 * first, first + 1, ..., the relay holding frames from held on. */
struct proto_frames {
    uint32_t count;
    uint32_t slots;
    uint32_t first;
    uint32_t held;
    const uint8_t *buf;
    size_t len;
};

/* The length of the frame at p (at most len bytes) of slots entries, or 0
 * if it is cut short or has a flag that is none. */
size_t proto_frame_measure(const uint8_t *p, size_t len, uint32_t slots);

/* Reads a frames message; every frame's entries are checked to end
 * exactly at len. Returns PROTO_OK, or PROTO_E_SHORT, PROTO_E_VERSION,
 * PROTO_E_TYPE, PROTO_E_VALUE (no frame, no slot, more than
 * PROTO_LOCKSTEP_SLOTS_MAX, an entry cut short, a flag that is none, bytes
 * past the last frame); fr is untouched on error. */
int proto_frames_decode(const uint8_t *buf, size_t len, struct proto_frames *fr);

/* The frame at *at of a decoded message (*at starts at
 * PROTO_LOCKSTEP_HEAD): sets *frame and *n, moves *at past it and returns
 * 1; 0 past the last. */
int proto_frames_next(const struct proto_frames *fr, size_t *at, const uint8_t **frame,
                      size_t *n);

/* Writes a frames message's head (count 0) into buf[0..PROTO_LOCKSTEP_HEAD). */
void proto_frames_begin(uint8_t *buf, uint32_t slots, uint32_t first, uint32_t held);

/* Appends one frame of len bytes to the message of *used bytes in buf (cap
 * bytes): its count grows by one. Returns PROTO_OK, or PROTO_E_SPACE (it
 * does not fit, or the count is at PROTO_FRAMES_COUNT_MAX: nothing written). */
int proto_frames_add(uint8_t *buf, size_t cap, size_t *used, const uint8_t *frame, size_t len);

/* Slot slot's entry of a frame of slots entries (one that measured whole):
 * its flag, and with PRESENT or REPEATED its bytes (*data, *n; else NULL,
 * 0). Returns 0, or -1 if slot is past the last. */
int proto_frame_slot(const uint8_t *frame, size_t len, uint32_t slots, uint32_t slot,
                     enum proto_slot_flag *flag, const uint8_t **data, size_t *n);

/* Appends one entry to a frame being made at *used of buf (cap bytes): a
 * flag, and with PRESENT or REPEATED n bytes of data. Returns PROTO_OK or
 * PROTO_E_SPACE. */
int proto_frame_put(uint8_t *buf, size_t cap, size_t *used, enum proto_slot_flag flag,
                    const uint8_t *data, size_t n);

/* Is the message an inputs or a frames message (by its first two bytes)? */
bool proto_is_inputs(const uint8_t *buf, size_t len);
bool proto_is_frames(const uint8_t *buf, size_t len);

struct cJSON;
struct proto_control;

/* The lockstep fields of m's type from the JSON object o (control.c): a
 * join's lockstep and spectator, a welcome's lockstep, a joined's slot, a
 * check's, late's and desync's fields. Returns PROTO_OK or a proto_err,
 * with *field (the failing field's wire name) and why set. */
int proto_lockstep_fields_read(const struct cJSON *o, struct proto_control *m,
                               const char **field, char *why, size_t why_cap);

/* The same fields of m added to o (control_encode.c). Returns PROTO_OK,
 * PROTO_E_VALUE (a value the receiver would refuse) or PROTO_E_SPACE. */
int proto_lockstep_fields_add(struct cJSON *o, const struct proto_control *m);

/* "empty", "present", "repeated", "left"; "?" for another. */
const char *proto_slot_flag_name(enum proto_slot_flag flag);

/* A check's sum as 16 lowercase hex digits (out holds PROTO_SUM_LEN + 1). */
void proto_sum_format(uint64_t sum, char out[PROTO_SUM_LEN + 1]);
/* Reads 16 lowercase hex digits. Returns 0, or -1. */
int proto_sum_parse(const char *hex, uint64_t *sum);

#endif
