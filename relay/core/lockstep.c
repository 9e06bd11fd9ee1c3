/* lockstep.c: lockstep rooms (see lockstep_internal.h; proto/PROTOCOL.md,
 * "Lockstep rooms"). A room's ticks run on the relay's clock from its
 * making; each slot's inputs wait in a window of ticks ahead; at each
 * deadline the tick's frame is made (an input, its stand-in, or the slot
 * left), kept, written to the log's sink, and every member is sent what it
 * has not acknowledged. Checks of the members' simulations are compared by
 * majority. */
#define BY_LOCKSTEP_C /* this file writes the parts BY_LOCKSTEP_C marks */
#include "core.h"
#include "control_out_internal.h"
#include "kept_internal.h"
#include "lockstep_internal.h"
#include "refusals_internal.h"
#include "sealing_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/byteorder.h"

#define W PROTO_LOCKSTEP_WINDOW
#define NO_PEER UINT32_MAX
#define REPORTS_MAX 64 /* checks a tick, from as many members at most */

/* A slot of a room: who holds it, its inputs waiting, its last. */
struct ls_slot {
    char player[PROTO_PLAYER_LEN + 1]; /* its player now, or last ("": never held) */
    uint32_t peer;            /* the member holding it (NO_PEER: free) */
    uint64_t freed_us;        /* when it was last let go */
    bool has_last;            /* last: its latest input in a frame */
    uint8_t last_len;
    uint8_t last[PROTO_LOCKSTEP_INPUT_MAX];
    uint32_t held[W];         /* tick + 1 of the input held at tick % W (0: none) */
    uint8_t held_len[W];
    uint32_t late[W];         /* tick + 1 of an input logged late, or refused by the
                                 room's script, at tick % W */
    uint8_t *bytes;           /* W x input_max: the inputs held */
};

/* Members' checks of one tick. */
struct ls_check {
    bool used, decided, agreed_known;
    uint32_t tick;
    uint64_t agreed;
    uint32_t n;
    struct {
        uint32_t id;
        uint64_t sum;
        char player[PROTO_PLAYER_LEN + 1];
    } rep[REPORTS_MAX];
};

struct core_lockstep {
    struct proto_lockstep_settings set;
    uint32_t period_us;
    uint64_t start_us;        /* tick N closes at start_us + (N + 1) x period_us */
    uint32_t next;            /* the tick collected now: frames 0..next-1 are made */
    uint64_t due_us;          /* next's deadline */
    struct ls_slot *slots;    /* set.slots */
    /* frames held..next-1: frame held + k at bytes[off[k]..off[k + 1]) */
    uint32_t held;
    uint8_t *bytes;
    size_t used, cap, keep;   /* keep: bytes held at most */
    uint32_t *off;            /* next - held + 1 of them used */
    size_t off_cap;
    struct ls_check *checks;  /* PROTO_CHECK_OLD + 1, by (tick / check_every) modulo */
};

static struct core_lockstep *room_ls(const struct relay *r, uint32_t peer)
{
    const struct relay_peer *p = &r->peers[peer];
    return p->joined ? r->rooms.at[p->room].lockstep : NULL;
}

/* ---- the kept log ---- */

static void say(struct relay *r)
{
    const struct relay_lockstep_sink *s = &r->lockstep.sink;
    if (s->line)
        s->line(s->ctx, r->lockstep.line, strlen(r->lockstep.line));
}

static void say_slot(struct relay *r, const struct relay_room *room, uint32_t slot)
{
    const struct core_lockstep *ls = room->lockstep;
    const struct ls_slot *s = &ls->slots[slot];
    snprintf(r->lockstep.line, sizeof r->lockstep.line,
             "{\"room\":\"%s\",\"tick\":%" PRIu32 ",\"slot\":%" PRIu32 ",\"player\":\"%s\"}",
             room->name, ls->next, slot, s->peer == NO_PEER ? "" : s->player);
    say(r);
}

static void say_frame(struct relay *r, const struct relay_room *room, uint32_t tick,
                      const uint8_t *frame, size_t len)
{
    char *l = r->lockstep.line;
    int n = snprintf(l, sizeof r->lockstep.line,
                     "{\"room\":\"%s\",\"tick\":%" PRIu32 ",\"frame\":\"", room->name, tick);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len && (size_t)n + 4 < sizeof r->lockstep.line; i++) {
        l[n++] = hex[frame[i] >> 4];
        l[n++] = hex[frame[i] & 15];
    }
    snprintf(l + n, sizeof r->lockstep.line - (size_t)n, "\"}");
    say(r);
}

/* ---- rooms ---- */

int core_lockstep_alloc(struct relay *r)
{
    r->lockstep.due_us = UINT64_MAX;
    r->lockstep.rooms = calloc(r->cfg.max_rooms ? r->cfg.max_rooms : 1, sizeof(uint32_t));
    return r->lockstep.rooms ? 0 : -1;
}

void core_lockstep_free(struct relay *r)
{
    free(r->lockstep.rooms);
    r->lockstep.rooms = NULL;
}

static void ls_free(struct core_lockstep *ls)
{
    if (!ls)
        return;
    for (uint32_t i = 0; ls->slots && i < ls->set.slots; i++)
        free(ls->slots[i].bytes);
    free(ls->slots);
    free(ls->bytes);
    free(ls->off);
    free(ls->checks);
    free(ls);
}

int core_lockstep_make(struct relay *r, struct relay_room *room,
                       const struct proto_lockstep_settings *s, uint64_t now_us)
{
    struct core_lockstep *ls = calloc(1, sizeof *ls);
    if (!ls)
        return -1;
    ls->set = *s;
    ls->period_us = proto_lockstep_period_us(s->hz);
    ls->start_us = now_us;
    ls->due_us = now_us + ls->period_us;
    ls->keep = (size_t)(r->cfg.lockstep_keep_kb ? r->cfg.lockstep_keep_kb : 1) * 1024;
    ls->slots = calloc(s->slots, sizeof *ls->slots);
    ls->off_cap = 1024;
    ls->off = calloc(ls->off_cap, sizeof *ls->off);
    ls->checks = s->check_every ? calloc(PROTO_CHECK_OLD + 1, sizeof *ls->checks) : NULL;
    bool ok = ls->slots && ls->off && (ls->checks || !s->check_every);
    for (uint32_t i = 0; ok && i < s->slots; i++) {
        ls->slots[i].peer = NO_PEER;
        ok = (ls->slots[i].bytes = malloc((size_t)W * s->input_max)) != NULL;
    }
    if (!ok) {
        ls_free(ls);
        return -1;
    }
    room->lockstep = ls;
    r->lockstep.rooms[r->lockstep.n++] = (uint32_t)(room - r->rooms.at);
    if (ls->due_us < r->lockstep.due_us)
        r->lockstep.due_us = ls->due_us;
    r->stats.lockstep.rooms++;
    /* its first line: the room as a welcome says it, tick 0 */
    snprintf(r->lockstep.line, sizeof r->lockstep.line,
                     "{\"room\":\"%s\",\"lockstep\":{\"hz\":%" PRIu32 ",\"delay\":%" PRIu32
                     ",\"slots\":%" PRIu32 ",\"input_max\":%" PRIu32 ",\"stand_in\":\"%s\","
                     "\"check_every\":%" PRIu32 ",\"spectator_delay\":%" PRIu32
                     ",\"start_us\":%" PRIu64 ",\"tick\":0}}",
                     room->name, s->hz, s->delay, s->slots, s->input_max,
                     s->stand_in_last ? "last" : "none", s->check_every, s->spectator_delay,
                     now_us);
    say(r);
    return 0;
}

void core_lockstep_close(struct relay *r, struct relay_room *room)
{
    struct core_lockstep *ls = room->lockstep;
    if (!ls)
        return;
    snprintf(r->lockstep.line, sizeof r->lockstep.line,
             "{\"room\":\"%s\",\"end\":%" PRIu32 "}", room->name, ls->next);
    say(r);
    uint32_t slot = (uint32_t)(room - r->rooms.at);
    for (uint32_t i = 0; i < r->lockstep.n; i++)
        if (r->lockstep.rooms[i] == slot) {
            r->lockstep.rooms[i] = r->lockstep.rooms[--r->lockstep.n];
            break;
        }
    ls_free(ls);
    room->lockstep = NULL;
}

uint64_t relay_lockstep_due(const struct relay *r)
{
    return r->lockstep.due_us;
}

void relay_set_lockstep_sink(struct relay *r, const struct relay_lockstep_sink *sink)
{
    r->lockstep.sink = sink ? *sink : (struct relay_lockstep_sink){0};
}

/* ---- frames kept ---- */

/* Frame tick's bytes, if the room still holds it. */
static const uint8_t *frame_at(const struct core_lockstep *ls, uint32_t tick, size_t *len)
{
    if (tick < ls->held || tick >= ls->next)
        return NULL;
    uint32_t k = tick - ls->held;
    *len = ls->off[k + 1] - ls->off[k];
    return ls->bytes + ls->off[k];
}

/* Lets go of the older half of the frames held. */
static void frames_trim(struct core_lockstep *ls)
{
    uint32_t n = ls->next - ls->held, drop = n / 2;
    if (drop == 0)
        return;
    size_t from = ls->off[drop];
    memmove(ls->bytes, ls->bytes + from, ls->used - from);
    ls->used -= from;
    for (uint32_t k = 0; k + drop <= n; k++)
        ls->off[k] = ls->off[k + drop] - (uint32_t)from;
    ls->held += drop;
}

/* Keeps frame next (len bytes). Returns 0, or -1 out of memory. */
static int frames_keep(struct core_lockstep *ls, const uint8_t *frame, size_t len)
{
    if (ls->used + len > ls->keep)
        frames_trim(ls);
    uint32_t n = ls->next - ls->held;
    if (n + 2 > ls->off_cap) {
        uint32_t *o = realloc(ls->off, 2 * ls->off_cap * sizeof *o);
        if (!o)
            return -1;
        ls->off = o;
        ls->off_cap *= 2;
    }
    if (ls->used + len > ls->cap) {
        size_t cap = ls->cap ? ls->cap : 4096;
        while (cap < ls->used + len)
            cap *= 2;
        uint8_t *b = realloc(ls->bytes, cap);
        if (!b)
            return -1;
        ls->bytes = b;
        ls->cap = cap;
    }
    memcpy(ls->bytes + ls->used, frame, len);
    ls->off[n] = (uint32_t)ls->used;
    ls->used += len;
    ls->off[n + 1] = (uint32_t)ls->used;
    return 0;
}

/* ---- sending frames ---- */

/* The longest frames message peer takes: a datagram, less a seal. */
static size_t dgram_max(const struct relay *r, uint32_t peer)
{
    bool sealed = r->peers[peer].ticket.sealed && !core_edge(r, peer)->secure;
    return PROTO_BATCH_MAX - (sealed ? SEAL_OVERHEAD : 0);
}

/* Sends a message of the state ways to peer alone, on its mode's way down,
 * sealed if its session is: counted as bytes out. */
static void send_down(struct relay *r, uint32_t peer, const uint8_t *bytes, size_t len)
{
    const struct relay_peer *p = &r->peers[peer];
    if (p->backlog.closing) {
        r->stats.drops[RELAY_DROP_SEND_CLOSING]++;
        return;
    }
    const struct proto_mode_info *mi = proto_mode_info(p->mode);
    uint32_t flags = mi->down_flags & PROTO_FLAGS_MASK;
    uint8_t box[PROTO_BATCH_MAX + SEAL_OVERHEAD];
    size_t out = len;
    const uint8_t *b = bytes;
    if (r->cfg.encrypt && !core_edge(r, peer)->secure) {
        enum seal_lane lane = flags & PROTO_FLAG_RELIABLE ? SEAL_LANE_RELIABLE : SEAL_LANE_STATE;
        b = core_seal_for(r, peer, lane, bytes, len, box, sizeof box, &out);
        if (!b)
            return;
    }
    const struct relay_transport *tp = core_edge(r, peer);
    r->stats.bytes_out += out;
    core_edge_stats(r, peer)->bytes_out += out;
    r->stats.lockstep.datagrams++;
    tp->send_state(tp->ctx, peer, &peer, 1, mi->down_channel, flags, b, out);
}

/* A frames message of the frames from `from` on, as many as fit, up to
 * hi; sent. Returns the tick after the last it holds. */
static uint32_t send_from(struct relay *r, uint32_t peer, const struct core_lockstep *ls,
                          uint32_t from, uint32_t hi)
{
    uint8_t *d = r->lockstep.dgram;
    size_t max = dgram_max(r, peer), used = PROTO_LOCKSTEP_HEAD;
    proto_frames_begin(d, ls->set.slots, from, ls->held);
    uint32_t t = from;
    for (; t <= hi; t++) {
        size_t len;
        const uint8_t *f = frame_at(ls, t, &len);
        if (!f || proto_frames_add(d, max, &used, f, len) != PROTO_OK)
            break;
    }
    if (t > from) {
        send_down(r, peer, d, used);
        r->stats.lockstep.frames_out += t - from;
    }
    return t;
}

/* Does frames lo..hi fit one message to peer? */
static bool fits(const struct relay *r, uint32_t peer, const struct core_lockstep *ls,
                 uint32_t lo, uint32_t hi)
{
    if (hi - lo + 1 > PROTO_FRAMES_COUNT_MAX)
        return false;
    size_t bytes = ls->off[hi + 1 - ls->held] - ls->off[lo - ls->held];
    return PROTO_LOCKSTEP_HEAD + bytes <= dgram_max(r, peer);
}

/* What peer has not acknowledged, up to its newest (a spectator's, held
 * back): on an unreliable way all of it in one message if it fits, else a
 * catch-up of up to CORE_LOCKSTEP_SENDS messages going on from where the
 * last stopped, again from its ack once it reached the newest; on a
 * reliable way each frame once, none CORE_LOCKSTEP_AHEAD past its ack (a
 * client drops those, and nothing would send them again). */
static void send_frames(struct relay *r, uint32_t peer, struct core_lockstep *ls)
{
    struct core_peer_lockstep *pl = &r->peers[peer].lockstep;
    if (!pl->started || ls->next == 0)
        return;
    uint32_t hi = ls->next - 1;
    if (pl->spectator) {
        if (hi < ls->set.spectator_delay)
            return;
        hi -= ls->set.spectator_delay;
    }
    uint32_t lo = pl->ack > ls->held ? pl->ack : ls->held;
    bool reliable = proto_mode_lossless(r->peers[peer].mode);
    if (reliable && hi - lo >= CORE_LOCKSTEP_AHEAD && lo <= hi)
        hi = lo + CORE_LOCKSTEP_AHEAD - 1;
    if (reliable && pl->cursor > lo)
        lo = pl->cursor;
    if (lo > hi)
        return;
    uint32_t at = lo;
    if (!reliable) {
        if (fits(r, peer, ls, lo, hi)) {
            send_from(r, peer, ls, lo, hi);
            pl->cursor = 0; /* no catch-up under way */
            return;
        }
        if (pl->cursor > lo && pl->cursor <= hi)
            at = pl->cursor; /* a catch-up goes on */
        r->stats.lockstep.catch_ups++;
    }
    for (int k = 0; k < CORE_LOCKSTEP_SENDS && at <= hi; k++)
        at = send_from(r, peer, ls, at, hi);
    /* unreliable: a catch-up that reached the newest starts again from the ack */
    pl->cursor = reliable || at <= hi ? at : 0;
}

/* Tells peer of its late inputs not told yet, if it was not told within
 * CORE_LOCKSTEP_LATE_US. */
static void tell_late(struct relay *r, uint32_t peer, uint64_t now_us)
{
    struct core_peer_lockstep *pl = &r->peers[peer].lockstep;
    if (!pl->late_count || now_us - pl->late_told_us < CORE_LOCKSTEP_LATE_US)
        return;
    proto_control_init(&r->out, PROTO_CTL_LATE);
    r->out.tick = pl->late_tick;
    r->out.by_us = pl->late_by_us;
    r->out.count = pl->late_count;
    core_send_out(r, peer);
    pl->late_count = 0;
    pl->late_told_us = now_us;
}

/* ---- checks ---- */

/* The desync of members named (n of them, from the reports at idx) at
 * tick: to every member, and to the log. */
static void tell_desync(struct relay *r, const struct relay_room *room, uint32_t tick,
                        const struct ls_check *c, const uint32_t *idx, uint32_t n)
{
    struct proto_control *out = &r->out;
    proto_control_init(out, PROTO_CTL_DESYNC);
    out->tick = tick;
    int at = snprintf(r->lockstep.line, sizeof r->lockstep.line,
                      "{\"room\":\"%s\",\"tick\":%" PRIu32 ",\"desync\":[", room->name, tick);
    for (uint32_t i = 0; i < n && out->desync_len < PROTO_DESYNC_MAX; i++) {
        out->desync[out->desync_len].id = c->rep[idx[i]].id;
        memcpy(out->desync[out->desync_len].player, c->rep[idx[i]].player, PROTO_PLAYER_LEN + 1);
        out->desync_len++;
        at += snprintf(r->lockstep.line + at, sizeof r->lockstep.line - (size_t)at,
                       "%s%" PRIu32, i ? "," : "", c->rep[idx[i]].id);
    }
    snprintf(r->lockstep.line + at, sizeof r->lockstep.line - (size_t)at, "]}");
    say(r);
    r->stats.lockstep.desyncs += n;
    core_send_out_room(r, room, UINT32_MAX, UINT32_MAX);
}

/* Compares c's reports: the largest group of equal sums, if it holds more
 * than half of them, agrees; the others diverged (with no such group,
 * every one). A lone report is the room's. */
static void decide(struct relay *r, const struct relay_room *room, struct ls_check *c)
{
    c->decided = true;
    if (c->n == 0)
        return;
    uint32_t best = 0, best_n = 0;
    for (uint32_t i = 0; i < c->n; i++) {
        uint32_t k = 0;
        for (uint32_t j = 0; j < c->n; j++)
            k += c->rep[j].sum == c->rep[i].sum;
        if (k > best_n) {
            best_n = k;
            best = i;
        }
    }
    c->agreed_known = 2 * best_n > c->n;
    c->agreed = c->rep[best].sum;
    uint32_t idx[REPORTS_MAX], n = 0;
    for (uint32_t i = 0; i < c->n; i++)
        if (!c->agreed_known || c->rep[i].sum != c->agreed)
            idx[n++] = i;
    if (n)
        tell_desync(r, room, c->tick, c, idx, n);
}

/* Have all the players that started at or before c's tick reported? */
static bool all_reported(const struct relay *r, const struct relay_room *room,
                         const struct ls_check *c)
{
    for (uint32_t i = 0; i < room->n; i++) {
        const struct relay_peer *p = &r->peers[room->members[i]];
        const struct core_peer_lockstep *pl = &p->lockstep;
        if (pl->spectator || !pl->started || pl->from > c->tick)
            continue;
        bool said = false;
        for (uint32_t k = 0; k < c->n && !said; k++)
            said = c->rep[k].id == p->id;
        if (!said)
            return false;
    }
    return true;
}

int core_lockstep_check(struct relay *r, uint32_t peer, const struct proto_control *m,
                        uint64_t now_us)
{
    const struct relay_peer *p = &r->peers[peer];
    if (!p->joined)
        return core_reject(r, peer, RELAY_DROP_NOT_JOINED, now_us, "check before join");
    struct relay_room *room = &r->rooms.at[p->room];
    struct core_lockstep *ls = room->lockstep;
    if (!ls || !ls->set.check_every)
        return core_reject(r, peer, RELAY_DROP_BAD_FIELD, now_us,
                           "check: not a lockstep room with checks");
    uint32_t k = ls->set.check_every, t = m->tick;
    uint32_t newest = ls->next ? (ls->next - 1) / k * k : 0;
    if (t % k || t >= ls->next || t + k * PROTO_CHECK_OLD < newest)
        return core_reject(r, peer, RELAY_DROP_BAD_FIELD, now_us,
                           "check of tick %" PRIu32 ": a closed tick, a multiple of %" PRIu32
                           ", at most %d checks old", t, k, PROTO_CHECK_OLD);
    struct ls_check *c = &ls->checks[t / k % (PROTO_CHECK_OLD + 1)];
    if (!c->used || c->tick != t) {
        if (c->used && !c->decided)
            decide(r, room, c);
        memset(c, 0, sizeof *c);
        c->used = true;
        c->tick = t;
    }
    for (uint32_t i = 0; i < c->n; i++)
        if (c->rep[i].id == p->id)
            return core_reject(r, peer, RELAY_DROP_BAD_FIELD, now_us,
                               "check of tick %" PRIu32 ": yours came already", t);
    r->stats.lockstep.checks++;
    if (c->n == REPORTS_MAX)
        return 0; /* enough to judge by */
    c->rep[c->n].id = p->id;
    c->rep[c->n].sum = m->sum;
    memcpy(c->rep[c->n].player, p->player, sizeof c->rep[c->n].player);
    c->n++;
    if (c->decided) { /* a late report (a spectator's): against what was agreed */
        if (!c->agreed_known || m->sum != c->agreed) {
            uint32_t idx = c->n - 1;
            tell_desync(r, room, t, c, &idx, 1);
        }
    } else if (all_reported(r, room, c)) {
        decide(r, room, c);
    }
    return 0;
}

/* ---- closing a tick ---- */

/* Makes frame next of room: each slot's input, its stand-in, or left. */
static int close_tick(struct relay *r, struct relay_room *room, struct core_lockstep *ls)
{
    uint8_t frame[PROTO_LOCKSTEP_FRAME_MAX];
    size_t len = 0;
    uint32_t t = ls->next, at = t % W;
    for (uint32_t i = 0; i < ls->set.slots; i++) {
        struct ls_slot *s = &ls->slots[i];
        uint8_t *in = s->bytes + (size_t)at * ls->set.input_max;
        if (s->peer == NO_PEER) {
            proto_frame_put(frame, sizeof frame, &len, PROTO_SLOT_LEFT, NULL, 0);
        } else if (s->held[at] == t + 1) {
            proto_frame_put(frame, sizeof frame, &len, PROTO_SLOT_PRESENT, in, s->held_len[at]);
            memcpy(s->last, in, s->held_len[at]);
            s->last_len = s->held_len[at];
            s->has_last = true;
        } else if (ls->set.stand_in_last && s->has_last) {
            proto_frame_put(frame, sizeof frame, &len, PROTO_SLOT_REPEATED, s->last,
                            s->last_len);
            r->stats.lockstep.stand_ins++;
        } else {
            proto_frame_put(frame, sizeof frame, &len, PROTO_SLOT_EMPTY, NULL, 0);
            r->stats.lockstep.stand_ins++;
        }
        s->held[at] = 0;
    }
    if (frames_keep(ls, frame, len) != 0)
        return -1;
    say_frame(r, room, t, frame, len);
    ls->next = t + 1;
    ls->due_us = ls->start_us + (uint64_t)(ls->next + 1) * ls->period_us;
    r->stats.lockstep.frames++;
    /* checks whose time is up: decided with what came */
    for (uint32_t i = 0; ls->checks && i <= PROTO_CHECK_OLD; i++) {
        struct ls_check *c = &ls->checks[i];
        if (c->used && !c->decided && t >= c->tick + ls->set.check_every)
            decide(r, room, c);
    }
    return 0;
}

size_t core_lockstep_tick(struct relay *r, uint64_t now_us)
{
    if (now_us < r->lockstep.due_us)
        return 0;
    size_t made = 0;
    uint64_t due = UINT64_MAX;
    for (uint32_t i = 0; i < r->lockstep.n; i++) {
        struct relay_room *room = &r->rooms.at[r->lockstep.rooms[i]];
        struct core_lockstep *ls = room->lockstep;
        size_t before = made;
        while (now_us >= ls->due_us && close_tick(r, room, ls) == 0)
            made++;
        if (now_us >= ls->due_us) { /* out of memory: the tick waits */
            r->stats.drops[RELAY_DROP_SEND_FAILED]++;
            ls->due_us = now_us + ls->period_us;
        }
        if (made > before) {
            for (uint32_t k = 0; k < room->n; k++) {
                send_frames(r, room->members[k], ls);
                tell_late(r, room->members[k], now_us);
            }
        }
        if (ls->due_us < due)
            due = ls->due_us;
    }
    r->lockstep.due_us = due;
    return made;
}

/* ---- members ---- */

/* The slot a player (p's) takes in ls: its player's own if free, else the
 * lowest never held, else the one free longest; NO_PEER if none is free. */
static uint32_t pick_slot(const struct core_lockstep *ls, const char *player)
{
    uint32_t never = NO_PEER, oldest = NO_PEER;
    for (uint32_t i = 0; i < ls->set.slots; i++) {
        const struct ls_slot *s = &ls->slots[i];
        if (s->peer != NO_PEER)
            continue;
        if (player[0] && strcmp(s->player, player) == 0)
            return i;
        if (!s->player[0] && never == NO_PEER)
            never = i;
        if (s->player[0] && (oldest == NO_PEER || s->freed_us < ls->slots[oldest].freed_us))
            oldest = i;
    }
    return never != NO_PEER ? never : oldest;
}

int core_lockstep_admit(struct relay *r, uint32_t peer, const struct relay_room *room,
                        bool spectator, uint32_t was, uint64_t now_us)
{
    const struct core_lockstep *ls = room->lockstep;
    if (!ls || spectator || (was != UINT32_MAX && r->peers[was].lockstep.in))
        return 0;
    if (pick_slot(ls, r->peers[peer].player) != NO_PEER)
        return 0;
    return core_reject(r, peer, RELAY_DROP_ROOM_FULL, now_us,
                       "every slot of the lockstep room is taken (%" PRIu32
                       "): join as a spectator", ls->set.slots);
}

void core_lockstep_joined(struct relay *r, uint32_t peer, bool spectator,
                          const struct core_peer_lockstep *had)
{
    struct relay_peer *p = &r->peers[peer];
    struct relay_room *room = &r->rooms.at[p->room];
    struct core_lockstep *ls = room->lockstep;
    struct core_peer_lockstep *pl = &p->lockstep;
    memset(pl, 0, sizeof *pl);
    if (!ls)
        return;
    pl->in = true;
    if (had->in) { /* its own place back: its slot (or none); where it starts, anew */
        pl->spectator = had->spectator;
        pl->slot = had->slot;
        if (!pl->spectator)
            ls->slots[pl->slot].peer = peer;
        return;
    }
    pl->spectator = spectator;
    if (spectator)
        return;
    uint32_t i = pick_slot(ls, p->player);
    if (i == NO_PEER) { /* admitted as a spectator: cannot happen past core_lockstep_admit */
        pl->spectator = true;
        return;
    }
    struct ls_slot *s = &ls->slots[i];
    if (strcmp(s->player, p->player) != 0) { /* another player's: nothing of its stays */
        s->has_last = false;
        memset(s->held, 0, sizeof s->held);
        memset(s->late, 0, sizeof s->late);
    }
    memcpy(s->player, p->player, sizeof s->player);
    s->peer = peer;
    pl->slot = i;
    say_slot(r, room, i);
}

void core_lockstep_left(struct relay *r, uint32_t peer)
{
    struct relay_peer *p = &r->peers[peer];
    struct core_lockstep *ls = room_ls(r, peer);
    struct core_peer_lockstep *pl = &p->lockstep;
    if (ls && pl->in && !pl->spectator && ls->slots[pl->slot].peer == peer) {
        ls->slots[pl->slot].peer = NO_PEER;
        ls->slots[pl->slot].freed_us = r->now_us;
        say_slot(r, &r->rooms.at[p->room], pl->slot);
    }
    pl->in = false;
}

static uint32_t kept_count(const struct relay_room *room)
{
    size_t at = 0, len;
    const uint8_t *bytes;
    uint32_t n = 0;
    while (core_kept_next(room, &at, &bytes, &len, NULL))
        n++;
    return n;
}

void core_lockstep_welcome(struct relay *r, uint32_t peer, struct proto_control *out)
{
    const struct relay_peer *p = &r->peers[peer];
    const struct relay_room *room = &r->rooms.at[p->room];
    const struct core_lockstep *ls = room->lockstep;
    if (!ls)
        return;
    struct proto_lockstep *w = &out->lockstep;
    memset(w, 0, sizeof *w);
    out->has_lockstep = true;
    w->settings = ls->set;
    w->start_us = ls->start_us;
    w->tick = ls->next;
    w->has_slot = p->lockstep.in && !p->lockstep.spectator;
    w->slot = w->has_slot ? p->lockstep.slot : 0;
    w->n_players = ls->set.slots;
    for (uint32_t i = 0; i < ls->set.slots; i++)
        if (ls->slots[i].peer != NO_PEER)
            memcpy(w->players[i], ls->slots[i].player, sizeof w->players[i]);
    w->kept = kept_count(room);
}

void core_lockstep_notice(const struct relay *r, uint32_t peer, struct proto_control *out)
{
    const struct core_peer_lockstep *pl = &r->peers[peer].lockstep;
    out->has_slot = pl->in && !pl->spectator;
    out->slot = out->has_slot ? pl->slot : 0;
}

/* ---- inputs ---- */

/* When the datagram in hand arrived: the edge's word (relay_arrived), or now. */
static uint64_t arrived_by(const struct relay *r, uint64_t now_us)
{
    uint64_t by = r->flow.arrived_by_us;
    return by && by < now_us ? by : now_us;
}

/* An input of slot for closed tick t that came at `at`: a duplicate (its
 * frame has the slot's input), or late: counted, logged (its first copy),
 * and its sender told (tell_late). */
static void input_closed(struct relay *r, uint32_t peer, const struct relay_room *room,
                         struct core_lockstep *ls, uint32_t t, uint64_t at)
{
    struct core_peer_lockstep *pl = &r->peers[peer].lockstep;
    struct ls_slot *s = &ls->slots[pl->slot];
    size_t len;
    const uint8_t *f = frame_at(ls, t, &len);
    enum proto_slot_flag flag = PROTO_SLOT_EMPTY;
    const uint8_t *data;
    size_t n;
    if (ls->next - t > W || !f || (proto_frame_slot(f, len, ls->set.slots, pl->slot, &flag,
                                                    &data, &n) == 0 &&
                                   flag == PROTO_SLOT_PRESENT) ||
        s->late[t % W] == t + 1) {
        r->stats.lockstep.duplicates++;
        return;
    }
    s->late[t % W] = t + 1;
    int64_t by = (int64_t)(at - (ls->start_us + (uint64_t)(t + 1) * ls->period_us));
    r->stats.lockstep.late++;
    snprintf(r->lockstep.line, sizeof r->lockstep.line,
             "{\"room\":\"%s\",\"tick\":%" PRIu32 ",\"slot\":%" PRIu32 ",\"late_us\":%" PRId64
             "}", room->name, t, pl->slot, by);
    say(r);
    if (pl->late_count == 0 || t > pl->late_tick) {
        pl->late_tick = t;
        pl->late_by_us = by > 0 ? (uint64_t)by : 0;
    }
    pl->late_count++;
    tell_late(r, peer, at);
}

/* The room's script's say on peer's input for tick t (len bytes at in, at
 * most max): 0, let through (in and *len rewritten if it did), or 1,
 * refused (or not judged, the scripts being busy: never let through
 * unjudged). */
static int script_input(struct relay *r, uint32_t peer, uint32_t t, uint8_t *in, size_t *len,
                        size_t max, uint64_t now_us)
{
    const struct relay_script_ops *ops = &r->script.ops;
    if (!ops->input)
        return 0;
    const struct relay_peer *p = &r->peers[peer];
    struct relay_script_member m = {.id = p->id, .has_state = p->has_state, .state = p->last};
    memcpy(m.name, p->name, sizeof m.name);
    memcpy(m.player, p->player, sizeof m.player);
    uint8_t out[PROTO_LOCKSTEP_INPUT_MAX];
    size_t n = max;
    enum relay_script_verdict v = ops->input(ops->ctx, r->peers[peer].room, &m, t,
                                             r->peers[peer].lockstep.slot, in, *len, out, &n,
                                             now_us);
    if (v == RELAY_SCRIPT_BUSY) {
        relay_count_drop(r, RELAY_DROP_SCRIPT_BUSY);
        return 1;
    }
    if (v == RELAY_SCRIPT_DROP) {
        r->stats.script.dropped++;
        return 1;
    }
    if (v == RELAY_SCRIPT_CHANGED && n <= max) {
        memcpy(in, out, n);
        *len = n;
        r->stats.script.changed++;
    }
    return 0;
}

/* An input of slot for open tick t: held, once the room's script saw it
 * (and let it through, or rewrote it). */
static void input_open(struct relay *r, uint32_t peer, const struct relay_room *room,
                       struct core_lockstep *ls, uint32_t t, const uint8_t *data, size_t n,
                       uint64_t now_us)
{
    uint32_t slot = r->peers[peer].lockstep.slot;
    struct ls_slot *s = &ls->slots[slot];
    if (s->held[t % W] == t + 1 || s->late[t % W] == t + 1) { /* held, or refused */
        r->stats.lockstep.duplicates++;
        return;
    }
    uint8_t *in = s->bytes + (size_t)(t % W) * ls->set.input_max;
    memcpy(in, data, n);
    size_t len = n;
    if (script_input(r, peer, t, in, &len, ls->set.input_max, now_us) != 0) {
        snprintf(r->lockstep.line, sizeof r->lockstep.line,
                 "{\"room\":\"%s\",\"tick\":%" PRIu32 ",\"slot\":%" PRIu32 ",\"refused\":true}",
                 room->name, t, slot);
        say(r);
        s->late[t % W] = t + 1; /* its copies to come: neither taken nor late */
        return;
    }
    s->held[t % W] = t + 1;
    s->held_len[t % W] = (uint8_t)len;
    r->stats.lockstep.inputs++;
}

int core_lockstep_inputs(struct relay *r, uint32_t peer, uint8_t channel, uint32_t flags,
                         const uint8_t *bytes, size_t len, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    enum proto_mode mode;
    if (!proto_channel_bare(channel) &&
        (proto_mode_from_up(channel, flags, &mode) != 0 || !proto_mode_info(mode)->enet))
        return core_reject(r, peer, RELAY_DROP_WRONG_CHANNEL, now_us,
                           "no state way sends on channel %u with flags %u (see PROTOCOL.md)",
                           (unsigned)channel, (unsigned)(flags & PROTO_FLAGS_MASK));
    struct core_lockstep *ls = room_ls(r, peer);
    struct proto_inputs in;
    int err = proto_inputs_decode(bytes, len, ls ? ls->set.input_max : PROTO_LOCKSTEP_INPUT_MAX,
                                  &in);
    if (err != PROTO_OK) {
        r->stats.state_errors[err == PROTO_E_SHORT ? RELAY_STATE_ERR_SHORT
                                                   : RELAY_STATE_ERR_VALUE]++;
        return core_reject(r, peer, RELAY_DROP_BAD_STATE, now_us, "inputs: %s",
                           proto_strerror(err));
    }
    if (!p->joined)
        return core_reject(r, peer, RELAY_DROP_NOT_JOINED, now_us,
                           "inputs before join: send join first");
    struct core_peer_lockstep *pl = &p->lockstep;
    if (!ls || !pl->in)
        return core_reject(r, peer, RELAY_DROP_BAD_STATE, now_us,
                           "inputs: your room is no lockstep room");
    if (pl->spectator && in.count)
        return core_reject(r, peer, RELAY_DROP_BAD_STATE, now_us,
                           "inputs: a spectator sends none (count %" PRIu32 ")", in.count);
    if (!pl->started) {
        pl->started = true;
        pl->from = pl->ack = pl->cursor = in.ack;
    } else if (in.ack > pl->ack) {
        pl->ack = in.ack;
    }
    const struct relay_room *room = &r->rooms.at[p->room];
    uint64_t at = arrived_by(r, now_us);
    size_t k = PROTO_LOCKSTEP_HEAD;
    const uint8_t *data;
    size_t n;
    uint32_t far = 0, far_tick = 0;
    for (uint32_t i = 0; proto_inputs_next(&in, &k, &data, &n); i++) {
        uint32_t t = in.first + i;
        if (t < in.first) /* past the ticks there are */
            break;
        if (t >= ls->next + W) {
            if (!far++)
                far_tick = t;
        } else if (t >= ls->next) {
            input_open(r, peer, room, ls, t, data, n, now_us);
        } else {
            input_closed(r, peer, room, ls, t, at);
        }
    }
    if (far) {
        r->stats.lockstep.far += far;
        return core_reject(r, peer, RELAY_DROP_BAD_STATE, now_us,
                           "input for tick %" PRIu32 ", past the window: aim at ticks within "
                           "%d of the relay's (%" PRIu32 ")", far_tick, W, ls->next);
    }
    return 0;
}
