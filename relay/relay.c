/* relay.c: the relay's pure core (see relay.h).
 *
 * Everything here is driven by three inputs (a peer appears, a datagram
 * arrives, a peer is gone) plus the time the transport read for us. The
 * core keeps one struct relay_peer per transport slot and one struct
 * relay_room per live room; rooms hold the slot numbers of their members. */
#include "relay.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../proto/errors.h"
#include "../sys/log.h"
#include "../sys/version.h"

#define MICRO 1000000ull          /* token buckets count in millionths */
#define ERR_BUDGET_RATE 5u        /* error messages per second per peer */
#define ERR_BUDGET_BURST 10u      /* ... and how many may come at once */
#define RATE_STREAK_GAP_US 1000000ull /* a pause this long ends an abuse streak */
#define RATE_WARN_EVERY_US 1000000ull /* at most one rate_limited error per second */
#define WELCOME_REPEAT_US 250000ull /* udp: at most one welcome per this long */
#define WELCOME_MAX 8 /* udp: and at most this many per membership */
#define BAN_SLOTS 64              /* recently kicked IP addresses remembered */
#define TICK_QUEUE 4096           /* states held per tick; a full queue fans out early */
#define TICK_ARENA (TICK_QUEUE * 64) /* bytes of held states (padding kept) */
#define TICK_PHASE_US 5000        /* rooms' ticks are staggered on this grid */

struct relay_room {
    bool used;
    char name[PROTO_ROOM_MAX + 1];
    uint32_t n;        /* members */
    uint32_t *members; /* peer handles, max_room_size of them */
};

struct relay_peer {
    bool connected;
    bool joined;
    bool reflect;
    bool has_state;
    uint32_t id;   /* relay id while joined, 0 otherwise */
    uint32_t room; /* index into rooms while joined */
    enum proto_mode mode;
    char name[PROTO_NAME_MAX + 1];
    char addr[RELAY_ADDR_MAX];
    struct proto_state last; /* last forwarded state, sender stamped */
    bool has_clock;          /* announced its clock offset (for later joiners' rosters) */
    int64_t clock_offset_us;
    uint64_t clock_bound_us;

    uint64_t rl_tokens;      /* rate bucket, millionths of a datagram */
    uint64_t rl_last_us;     /* last refill */
    uint64_t rl_streak_us;   /* first drop of the current abuse streak, 0 = none */
    uint64_t rl_last_drop_us;
    uint64_t rl_streak_drops;
    uint64_t rl_warned_us;   /* last rate_limited error, 0 = never */
    uint64_t strikes;        /* invalid datagrams, millionths, decays 1/s */
    uint64_t strikes_us;
    uint64_t err_tokens;     /* error-message budget, millionths */
    uint64_t err_us;
    uint64_t welcome_us;     /* last welcome sent, for WELCOME_REPEAT_US */
    uint32_t welcomes;       /* welcomes sent this membership, for WELCOME_MAX */
};

/* An IP address kicked recently: connections from it are refused until
 * until_us. A small table: when full, the entry closest to expiry goes. */
struct relay_ban {
    char ip[RELAY_ADDR_MAX]; /* "" = free */
    uint64_t until_us;
};

/* A state held for the end of the tick (cfg.tick_us > 0). */
struct relay_held {
    uint32_t peer;  /* sender's handle */
    uint32_t id;    /* sender's relay id when received: skipped if it changed */
    uint8_t channel;
    uint8_t flags;
    uint16_t len;
    uint32_t off;   /* bytes, stamped, at held_bytes + off */
    uint64_t due_us; /* end of the sender's room's tick it arrived in */
};

struct relay {
    struct relay_config cfg;
    struct relay_transport tp;
    struct relay_peer *peers;   /* peer_cap */
    struct relay_room *rooms;   /* max_rooms */
    uint32_t *recipients;       /* scratch, max_room_size */
    struct relay_held *held;    /* TICK_QUEUE states awaiting the tick's end */
    uint32_t nheld;
    uint8_t *held_bytes;        /* TICK_ARENA */
    size_t held_used;
    uint64_t tick_due_us;       /* the earliest held state's due_us */
    uint64_t arrived_after_us;  /* relay_arrived_after: the batch's earliest arrival */
    uint32_t clients, nrooms, members;
    uint32_t next_id;
    bool closing;               /* relay_shutdown ran: newcomers are refused */
    struct relay_ban bans[BAN_SLOTS];
    struct relay_stats stats;
    struct proto_control in;    /* decoded control message (large: roster) */
    struct proto_control out;   /* message being encoded */
    char json[PROTO_CONTROL_MAX + 1];
};

/* Every drop reason: its counter in the stats record, the error code the
 * client is told (NONE: none, or the caller sends its own), and whether it
 * means malformed input, which earns a strike. */
static const struct {
    const char *name;
    enum proto_error_code code;
    bool strike;
} drop_info[RELAY_DROP_COUNT] = {
    [RELAY_DROP_NOT_JOINED] = { "not_joined", PROTO_ERROR_NOT_JOINED, false },
    [RELAY_DROP_BAD_STATE] = { "bad_state", PROTO_ERROR_BAD_STATE, true },
    [RELAY_DROP_BAD_JSON] = { "bad_json", PROTO_ERROR_BAD_JSON, true },
    [RELAY_DROP_MISSING_FIELD] = { "missing_field", PROTO_ERROR_MISSING_FIELD, true },
    [RELAY_DROP_BAD_FIELD] = { "bad_field", PROTO_ERROR_BAD_FIELD, true },
    [RELAY_DROP_UNKNOWN_TYPE] = { "unknown_type", PROTO_ERROR_UNKNOWN_TYPE, true },
    [RELAY_DROP_WRONG_CHANNEL] = { "wrong_channel", PROTO_ERROR_BAD_STATE, true },
    [RELAY_DROP_TOO_BIG] = { "too_big", PROTO_ERROR_TOO_BIG, true },
    [RELAY_DROP_RATE_LIMITED] = { "rate_limited", PROTO_ERROR_RATE_LIMITED, false },
    [RELAY_DROP_ROOM_FULL] = { "room_full", PROTO_ERROR_ROOM_FULL, false },
    [RELAY_DROP_TOO_MANY_ROOMS] = { "too_many_rooms", PROTO_ERROR_TOO_MANY_ROOMS, false },
    [RELAY_DROP_SERVER_FULL] = { "server_full", PROTO_ERROR_SERVER_FULL, false },
    [RELAY_DROP_BAD_NAME] = { "bad_name", PROTO_ERROR_BAD_NAME, false },
    [RELAY_DROP_BAD_ROOM] = { "bad_room", PROTO_ERROR_BAD_ROOM, false },
    [RELAY_DROP_ALREADY_JOINED] = { "already_joined", PROTO_ERROR_ALREADY_JOINED, false },
    [RELAY_DROP_CLOSED] = { "closed", PROTO_ERROR_NONE, false },
    [RELAY_DROP_PER_ADDRESS] = { "per_address", PROTO_ERROR_NONE, false },
    [RELAY_DROP_SEND_FAILED] = { "send_failed", PROTO_ERROR_NONE, false },
    [RELAY_DROP_STRAY] = { "stray", PROTO_ERROR_NONE, false },
    [RELAY_DROP_BAD_CHANNELS] = { "bad_channels", PROTO_ERROR_NONE, false },
    [RELAY_DROP_BANNED] = { "banned", PROTO_ERROR_KICKED, false },
    [RELAY_DROP_BAD_VERSION] = { "bad_version", PROTO_ERROR_BAD_VERSION, false },
    [RELAY_DROP_UNVERIFIED] = { "unverified", PROTO_ERROR_NONE, false },
    [RELAY_DROP_TOO_OLD] = { "too_old", PROTO_ERROR_NONE, false },
    [RELAY_DROP_ENET_GUARD] = { "enet_guard", PROTO_ERROR_NONE, false },
    [RELAY_DROP_HALF_OPEN] = { "half_open", PROTO_ERROR_NONE, false },
    [RELAY_DROP_SLOW_READER] = { "slow_reader", PROTO_ERROR_NONE, false },
    [RELAY_DROP_HELD_COMMANDS] = { "held_commands", PROTO_ERROR_NONE, false },
    [RELAY_DROP_SEND_CLOSING] = { "send_closing", PROTO_ERROR_NONE, false },
};

const char *relay_drop_name(enum relay_drop why)
{
    if ((unsigned)why >= RELAY_DROP_COUNT)
        return "?";
    return drop_info[why].name ? drop_info[why].name : "?";
}

struct relay *relay_create(const struct relay_config *cfg,
                           const struct relay_transport *transport)
{
    struct relay *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cfg = *cfg;
    r->tp = *transport;
    r->next_id = 1;
    r->peers = calloc(r->cfg.peer_cap, sizeof *r->peers);
    r->rooms = calloc(r->cfg.max_rooms, sizeof *r->rooms);
    r->recipients = calloc(r->cfg.max_room_size + 1, sizeof *r->recipients);
    if (r->cfg.tick_us) {
        r->held = calloc(TICK_QUEUE, sizeof *r->held);
        r->held_bytes = malloc(TICK_ARENA);
        if (!r->held || !r->held_bytes) {
            relay_destroy(r);
            return NULL;
        }
    }
    if (!r->peers || !r->rooms || !r->recipients) {
        relay_destroy(r);
        return NULL;
    }
    return r;
}

void relay_destroy(struct relay *r)
{
    if (!r)
        return;
    if (r->rooms)
        for (uint32_t i = 0; i < r->cfg.max_rooms; i++)
            free(r->rooms[i].members);
    free(r->rooms);
    free(r->peers);
    free(r->recipients);
    free(r->held);
    free(r->held_bytes);
    free(r);
}

/* ---- sending ---------------------------------------------------------- */

static size_t fan_out_held(struct relay *r);

/* Encodes r->out into r->json. Returns the length or a negative proto_err. */
static int encode_out(struct relay *r)
{
    return proto_control_encode(r->json, sizeof r->json, &r->out);
}

static void send_json(struct relay *r, uint32_t peer, size_t len)
{
    r->stats.control_out++;
    r->stats.bytes_out += len;
    r->tp.send_control(r->tp.ctx, peer, r->json, len);
}

/* Sends r->out to one peer. */
static void send_out(struct relay *r, uint32_t peer)
{
    int n = encode_out(r);
    if (n < 0) {
        log_error("relay: cannot encode %s: %s", proto_ctl_type_name(r->out.type),
                  proto_strerror(n));
        return;
    }
    send_json(r, peer, (size_t)n);
}

/* Sends r->out to every member of room, except `except` (UINT32_MAX: none).
 * Encoded once. */
static void send_out_room(struct relay *r, const struct relay_room *room,
                          uint32_t except)
{
    int n = encode_out(r);
    if (n < 0) {
        log_error("relay: cannot encode %s: %s", proto_ctl_type_name(r->out.type),
                  proto_strerror(n));
        return;
    }
    for (uint32_t i = 0; i < room->n; i++)
        if (room->members[i] != except)
            send_json(r, room->members[i], (size_t)n);
}

/* Refills a millionths bucket at rate per second up to cap (both whole
 * units). Time going backwards refills nothing. */
static void bucket_refill(uint64_t *tokens, uint64_t *last_us, uint64_t now_us,
                          uint64_t rate, uint64_t cap)
{
    uint64_t elapsed = now_us > *last_us ? now_us - *last_us : 0;
    if (elapsed > 1000ull * MICRO)
        elapsed = 1000ull * MICRO; /* anything longer refills fully anyway */
    *tokens += elapsed * rate;
    if (*tokens > cap * MICRO)
        *tokens = cap * MICRO;
    if (now_us > *last_us)
        *last_us = now_us;
}

/* Error text must be valid chat-like text: printable ASCII, 1..TEXT_MAX. */
static void set_error_text(char *dst, const char *fmt, va_list ap)
{
    vsnprintf(dst, PROTO_TEXT_MAX + 1, fmt, ap);
    for (char *c = dst; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            *c = '?';
    if (!dst[0])
        snprintf(dst, PROTO_TEXT_MAX + 1, "error");
}

/* Sends error {code, message}. Unless forced, spends from the peer's error
 * budget so a misbehaving client cannot turn the relay into an amplifier. */
static void send_error(struct relay *r, uint32_t peer, bool force,
                       enum proto_error_code code, uint64_t now_us, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void send_error(struct relay *r, uint32_t peer, bool force,
                       enum proto_error_code code, uint64_t now_us, const char *fmt, ...)
{
    struct relay_peer *p = &r->peers[peer];
    if (!force) {
        bucket_refill(&p->err_tokens, &p->err_us, now_us, ERR_BUDGET_RATE,
                      ERR_BUDGET_BURST);
        if (p->err_tokens < MICRO) {
            r->stats.errors_suppressed++;
            return;
        }
        p->err_tokens -= MICRO;
    }
    proto_control_init(&r->out, PROTO_CTL_ERROR);
    snprintf(r->out.code, sizeof r->out.code, "%s", proto_error_name(code));
    va_list ap;
    va_start(ap, fmt);
    set_error_text(r->out.text, fmt, ap);
    va_end(ap);
    r->stats.errors_sent++;
    send_out(r, peer);
}

/* ---- peers and rooms -------------------------------------------------- */

static struct relay_peer *peer_get(struct relay *r, uint32_t peer)
{
    if (peer >= r->cfg.peer_cap || !r->peers[peer].connected)
        return NULL;
    return &r->peers[peer];
}

static struct relay_room *room_find(const struct relay *r, const char *name)
{
    for (uint32_t i = 0; i < r->cfg.max_rooms; i++)
        if (r->rooms[i].used && strcmp(r->rooms[i].name, name) == 0)
            return &r->rooms[i];
    return NULL;
}

static struct relay_room *room_create(struct relay *r, const char *name)
{
    if (r->nrooms >= r->cfg.max_rooms)
        return NULL;
    for (uint32_t i = 0; i < r->cfg.max_rooms; i++) {
        struct relay_room *room = &r->rooms[i];
        if (room->used)
            continue;
        room->members = calloc(r->cfg.max_room_size, sizeof *room->members);
        if (!room->members)
            return NULL;
        room->used = true;
        room->n = 0;
        snprintf(room->name, sizeof room->name, "%s", name);
        r->nrooms++;
        log_debug("relay: room '%s' created", name);
        return room;
    }
    return NULL;
}

static void room_free(struct relay *r, struct relay_room *room)
{
    log_debug("relay: room '%s' empty, freed", room->name);
    free(room->members);
    memset(room, 0, sizeof *room);
    r->nrooms--;
}

/* Takes a member out of its room, tells the others why, frees the room when
 * it empties. */
static void member_remove(struct relay *r, uint32_t peer,
                          enum proto_left_reason reason)
{
    struct relay_peer *p = &r->peers[peer];
    if (!p->joined)
        return;
    struct relay_room *room = &r->rooms[p->room];
    for (uint32_t i = 0; i < room->n; i++) {
        if (room->members[i] == peer) {
            room->members[i] = room->members[--room->n];
            break;
        }
    }
    log_info("relay: %s left room '%s' as %" PRIu32 " (%s): %s", p->addr,
             room->name, p->id, p->name, proto_left_reason_name(reason));
    switch (reason) {
    case PROTO_LEFT_QUIT: r->stats.leaves++; break;
    case PROTO_LEFT_TIMEOUT: r->stats.timeouts++; break;
    case PROTO_LEFT_KICKED: break; /* counted by kick() */
    }
    if (room->n > 0) {
        proto_control_init(&r->out, PROTO_CTL_LEFT);
        r->out.id = p->id;
        snprintf(r->out.name, sizeof r->out.name, "%s", p->name);
        r->out.reason = reason;
        send_out_room(r, room, UINT32_MAX);
    } else {
        room_free(r, room);
    }
    p->joined = false;
    p->id = 0;
    p->has_state = false;
    p->has_clock = false;
    r->members--;
}

static void peer_close(struct relay *r, uint32_t peer, enum proto_error_code why)
{
    struct relay_peer *p = &r->peers[peer];
    p->connected = false;
    r->clients--;
    r->tp.disconnect(r->tp.ctx, peer, why);
}

/* ---- kick bans -------------------------------------------------------- */

/* The IP address part of an "ip:port" text (IPv4: before the last ':'). */
static void addr_ip(const char *addr, char *ip, size_t cap)
{
    const char *colon = strrchr(addr, ':');
    size_t n = colon ? (size_t)(colon - addr) : strlen(addr);
    if (n >= cap)
        n = cap - 1;
    memcpy(ip, addr, n);
    ip[n] = '\0';
}

/* Refuses addr's IP for kick_ban_ms from now. */
static void ban_add(struct relay *r, const char *addr, uint64_t now_us)
{
    char ip[RELAY_ADDR_MAX];
    addr_ip(addr, ip, sizeof ip);
    if (r->cfg.kick_ban_ms == 0 || !ip[0] || strcmp(ip, "?") == 0)
        return;
    /* The same IP again, else a free or expired slot, else the one that
     * expires first. */
    struct relay_ban *slot = NULL;
    for (size_t i = 0; i < BAN_SLOTS && !slot; i++)
        if (strcmp(r->bans[i].ip, ip) == 0)
            slot = &r->bans[i];
    for (size_t i = 0; i < BAN_SLOTS && !slot; i++)
        if (!r->bans[i].ip[0] || r->bans[i].until_us <= now_us)
            slot = &r->bans[i];
    if (!slot) {
        slot = &r->bans[0];
        for (size_t i = 1; i < BAN_SLOTS; i++)
            if (r->bans[i].until_us < slot->until_us)
                slot = &r->bans[i];
    }
    snprintf(slot->ip, sizeof slot->ip, "%s", ip);
    slot->until_us = now_us + (uint64_t)r->cfg.kick_ban_ms * 1000;
}

/* Microseconds addr's IP is still refused for, 0 if it is not. */
static uint64_t ban_left_us(const struct relay *r, const char *addr, uint64_t now_us)
{
    if (r->cfg.kick_ban_ms == 0)
        return 0;
    char ip[RELAY_ADDR_MAX];
    addr_ip(addr, ip, sizeof ip);
    for (size_t i = 0; i < BAN_SLOTS; i++)
        if (r->bans[i].ip[0] && r->bans[i].until_us > now_us &&
            strcmp(r->bans[i].ip, ip) == 0)
            return r->bans[i].until_us - now_us;
    return 0;
}

/* Error kicked to the peer, left {reason: kicked} to its room, disconnect;
 * its IP address is refused for kick_ban_ms. */
static void kick(struct relay *r, uint32_t peer, uint64_t now_us,
                 const char *why)
{
    struct relay_peer *p = &r->peers[peer];
    log_warn("relay: kicking %s (id %" PRIu32 "): %s", p->addr, p->id, why);
    ban_add(r, p->addr, now_us);
    send_error(r, peer, true, PROTO_ERROR_KICKED, now_us, "kicked: %s", why);
    member_remove(r, peer, PROTO_LEFT_KICKED);
    r->stats.kicks++;
    peer_close(r, peer, PROTO_ERROR_KICKED);
}

int relay_peer_connect(struct relay *r, uint32_t peer, const char *addr,
                       uint64_t now_us)
{
    if (peer >= r->cfg.peer_cap)
        return -1;
    struct relay_peer *p = &r->peers[peer];
    if (p->connected) {
        /* A transport reusing a live slot is a bug there; recover. */
        log_warn("relay: peer %" PRIu32 " connected twice", peer);
        relay_peer_gone(r, peer, PROTO_LEFT_QUIT, now_us);
    }
    memset(p, 0, sizeof *p);
    snprintf(p->addr, sizeof p->addr, "%s", addr ? addr : "?");
    if (r->closing) {
        /* A handshake that finished during the shutdown drain. */
        send_error(r, peer, true, PROTO_ERROR_SHUTTING_DOWN, now_us, "relay shutting down");
        r->tp.disconnect(r->tp.ctx, peer, PROTO_ERROR_SHUTTING_DOWN);
        return -1;
    }
    uint64_t banned_us = ban_left_us(r, p->addr, now_us);
    if (banned_us) {
        /* debug: a kicked flooder over plain UDP lands here per datagram. */
        r->stats.drops[RELAY_DROP_BANNED]++;
        log_debug("relay: refusing %s: kicked less than %" PRIu32 " ms ago", p->addr,
                  r->cfg.kick_ban_ms);
        send_error(r, peer, true, drop_info[RELAY_DROP_BANNED].code, now_us,
                   "kicked from this address recently: try again in %" PRIu64 " s",
                   (banned_us + 999999) / 1000000);
        r->tp.disconnect(r->tp.ctx, peer, PROTO_ERROR_KICKED);
        return -1;
    }
    if (r->clients >= r->cfg.max_clients) {
        r->stats.drops[RELAY_DROP_SERVER_FULL]++;
        /* debug, not info: over plain UDP every stranger's datagram lands
         * here when full, and a flood must not become a log flood. */
        log_debug("relay: refusing %s: server full (%" PRIu32 " clients)", p->addr,
                  r->clients);
        send_error(r, peer, true, PROTO_ERROR_SERVER_FULL, now_us, "%s: %" PRIu32 " clients",
                   proto_error_info(PROTO_ERROR_SERVER_FULL)->text, r->cfg.max_clients);
        r->tp.disconnect(r->tp.ctx, peer, PROTO_ERROR_SERVER_FULL);
        return -1;
    }
    p->connected = true;
    p->rl_tokens = (uint64_t)r->cfg.rate_burst * MICRO;
    p->rl_last_us = now_us;
    p->err_tokens = (uint64_t)ERR_BUDGET_BURST * MICRO;
    p->err_us = now_us;
    p->strikes_us = now_us;
    r->clients++;
    log_debug("relay: %s connected (peer %" PRIu32 ")", p->addr, peer);
    return 0;
}

void relay_peer_gone(struct relay *r, uint32_t peer,
                     enum proto_left_reason reason, uint64_t now_us)
{
    (void)now_us;
    struct relay_peer *p = peer_get(r, peer);
    if (!p)
        return;
    member_remove(r, peer, reason);
    log_debug("relay: %s gone (%s)", p->addr, proto_left_reason_name(reason));
    p->connected = false;
    r->clients--;
}

void relay_shutdown(struct relay *r, uint64_t now_us)
{
    fan_out_held(r);
    r->closing = true;
    for (uint32_t i = 0; i < r->cfg.peer_cap; i++) {
        struct relay_peer *p = &r->peers[i];
        if (!p->connected)
            continue;
        send_error(r, i, true, PROTO_ERROR_SHUTTING_DOWN, now_us, "relay shutting down");
        if (p->joined) {
            /* Everyone is leaving at once: no left notices, just tidy up. */
            struct relay_room *room = &r->rooms[p->room];
            room->n = 0;
            if (room->used)
                room_free(r, room);
            p->joined = false;
            r->members--;
        }
        peer_close(r, i, PROTO_ERROR_SHUTTING_DOWN);
    }
}

void relay_count_drop(struct relay *r, enum relay_drop why)
{
    if ((unsigned)why < RELAY_DROP_COUNT)
        r->stats.drops[why]++;
}

/* ---- rejecting -------------------------------------------------------- */

/* Adds a strike (decaying at 1/s); returns true if the peer was kicked. */
static bool strike(struct relay *r, uint32_t peer, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    if (r->cfg.max_strikes == 0)
        return false;
    uint64_t elapsed = now_us > p->strikes_us ? now_us - p->strikes_us : 0;
    p->strikes = elapsed >= p->strikes ? 0 : p->strikes - elapsed;
    if (now_us > p->strikes_us)
        p->strikes_us = now_us;
    p->strikes += MICRO;
    if (p->strikes > (uint64_t)r->cfg.max_strikes * MICRO) {
        char why[64];
        snprintf(why, sizeof why, "more than %" PRIu32 " invalid messages",
                 r->cfg.max_strikes);
        kick(r, peer, now_us, why);
        return true;
    }
    return false;
}

/* Counts a rejection, tells the client (within its error budget) with code
 * (NONE: the usual one for why), and adds a strike for malformed input.
 * Returns the relay_on_datagram code. */
static int reject_as(struct relay *r, uint32_t peer, enum relay_drop why,
                     enum proto_error_code code, uint64_t now_us, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int reject_as(struct relay *r, uint32_t peer, enum relay_drop why,
                     enum proto_error_code code, uint64_t now_us, const char *fmt, ...)
{
    r->stats.drops[why]++;
    char text[PROTO_TEXT_MAX + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    log_debug("relay: %s: %s: %s", r->peers[peer].addr, drop_info[why].name, text);
    if (drop_info[why].strike && strike(r, peer, now_us))
        return -1 - (int)why;
    if (code == PROTO_ERROR_NONE)
        code = drop_info[why].code;
    if (code != PROTO_ERROR_NONE)
        send_error(r, peer, false, code, now_us, "%s", text);
    return -1 - (int)why;
}

#define reject(r, peer, why, now_us, ...) \
    reject_as(r, peer, why, PROTO_ERROR_NONE, now_us, __VA_ARGS__)

void relay_peer_too_big(struct relay *r, uint32_t peer, uint64_t len, uint64_t max,
                        bool fatal, uint64_t now_us)
{
    struct relay_peer *p = peer_get(r, peer);
    if (!p)
        return;
    if (!fatal) {
        reject(r, peer, RELAY_DROP_TOO_BIG, now_us,
               "message of %" PRIu64 " bytes, max %" PRIu64 ": dropped", len, max);
        return;
    }
    /* A reliable channel delivers in order: nothing after this message can
     * ever arrive, so the connection is of no more use. */
    r->stats.drops[RELAY_DROP_TOO_BIG]++;
    char text[PROTO_TEXT_MAX + 1];
    snprintf(text, sizeof text,
             "reliable message of %" PRIu64 " bytes, max %" PRIu64
             ": its channel cannot go on; closing", len, max);
    relay_peer_evict(r, peer, PROTO_ERROR_TOO_BIG, text, now_us);
}

void relay_peer_evict(struct relay *r, uint32_t peer, enum proto_error_code code,
                      const char *text, uint64_t now_us)
{
    struct relay_peer *p = peer_get(r, peer);
    if (!p)
        return;
    log_warn("relay: closing %s (id %" PRIu32 "): %s: %s", p->addr, p->id,
             proto_error_name(code), text);
    send_error(r, peer, true, code, now_us, "%s", text);
    member_remove(r, peer, PROTO_LEFT_KICKED);
    r->stats.kicks++;
    peer_close(r, peer, code);
}

/* Token bucket per peer. Returns 0 to go on, or a drop code (the datagram is
 * counted; the peer may have been warned or kicked). */
static int rate_check(struct relay *r, uint32_t peer, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    if (r->cfg.rate_limit == 0)
        return 0;
    bucket_refill(&p->rl_tokens, &p->rl_last_us, now_us, r->cfg.rate_limit,
                  r->cfg.rate_burst);
    if (p->rl_tokens >= MICRO) {
        p->rl_tokens -= MICRO;
        return 0;
    }
    r->stats.drops[RELAY_DROP_RATE_LIMITED]++;
    /* An abuse streak is a run of drops with no pause of a second or more. */
    if (p->rl_streak_us == 0 || now_us - p->rl_last_drop_us >= RATE_STREAK_GAP_US) {
        p->rl_streak_us = now_us ? now_us : 1;
        p->rl_streak_drops = 0;
    }
    p->rl_last_drop_us = now_us;
    p->rl_streak_drops++;
    uint64_t streak = now_us > p->rl_streak_us ? now_us - p->rl_streak_us : 0;
    if (r->cfg.kick_after_ms && streak >= (uint64_t)r->cfg.kick_after_ms * 1000 &&
        p->rl_streak_drops >= r->cfg.rate_burst) {
        char why[96];
        snprintf(why, sizeof why, "over the rate limit of %" PRIu32 "/s for %.1f s",
                 r->cfg.rate_limit, (double)streak / 1e6);
        kick(r, peer, now_us, why);
        return -1 - RELAY_DROP_RATE_LIMITED;
    }
    if (p->rl_warned_us == 0 || now_us - p->rl_warned_us >= RATE_WARN_EVERY_US) {
        p->rl_warned_us = now_us ? now_us : 1;
        send_error(r, peer, false, PROTO_ERROR_RATE_LIMITED, now_us,
                   "over %" PRIu32 " messages/s (burst %" PRIu32 "): dropped%s",
                   r->cfg.rate_limit, r->cfg.rate_burst,
                   r->cfg.kick_after_ms ? "; keep it up and you are kicked" : "");
    }
    return -1 - RELAY_DROP_RATE_LIMITED;
}

/* ---- states ----------------------------------------------------------- */

/* Sends a stamped state from peer to the other members of its room (and
 * back to it if it asked for reflection). */
static void fan_out(struct relay *r, uint32_t peer, uint8_t channel, uint32_t flags,
                    const uint8_t *bytes, size_t len)
{
    const struct relay_peer *p = &r->peers[peer];
    const struct relay_room *room = &r->rooms[p->room];
    size_t n = 0;
    for (uint32_t i = 0; i < room->n; i++)
        if (room->members[i] != peer || p->reflect)
            r->recipients[n++] = room->members[i];
    if (n == 0)
        return;
    r->stats.states_out += n;
    r->stats.bytes_out += (uint64_t)n * len;
    r->tp.send_state(r->tp.ctx, r->recipients, n, channel,
                     flags & PROTO_FLAGS_MASK, bytes, len);
}

/* Sends the held states due by now_us, in arrival order, and keeps the
 * others (in order, packed at the front). A sender that left (or whose
 * handle now holds another session) since is skipped. */
static size_t fan_out_due(struct relay *r, uint64_t now_us)
{
    size_t sent = 0;
    uint32_t kept = 0;
    size_t kept_bytes = 0;
    r->tick_due_us = UINT64_MAX;
    for (uint32_t i = 0; i < r->nheld; i++) {
        struct relay_held *h = &r->held[i];
        if (h->due_us > now_us) {
            /* Later states only move down: memmove is safe. */
            memmove(r->held_bytes + kept_bytes, r->held_bytes + h->off, h->len);
            h->off = (uint32_t)kept_bytes;
            kept_bytes += h->len;
            if (h->due_us < r->tick_due_us)
                r->tick_due_us = h->due_us;
            r->held[kept++] = *h;
            continue;
        }
        const struct relay_peer *p = &r->peers[h->peer];
        if (!p->joined || p->id != h->id)
            continue;
        fan_out(r, h->peer, h->channel, h->flags, r->held_bytes + h->off, h->len);
        sent++;
    }
    if (kept < r->nheld)
        r->stats.ticks++;
    r->nheld = kept;
    r->held_used = kept_bytes;
    return sent;
}

/* Sends every held state (a full queue, shutdown). */
static size_t fan_out_held(struct relay *r)
{
    return fan_out_due(r, UINT64_MAX);
}

/* When a state that room slot `room` receives at now_us is due. Ticks are
 * a fixed grid of tick_us, so the wait is at most tick_us. With many rooms
 * and a long tick, the rooms' grids are staggered: K = tick_us / 5 ms
 * phases (rounded up), room slot i ends its ticks (i mod K) x tick_us / K
 * after phase 0's. Each room still gets its whole tick in one fan-out, but
 * the relay sends a K-th of the rooms every 5 ms rather than all of them at
 * once: the fan-out of 2000 rooms' tick takes tens of ms, and the last
 * recipients would wait that long on top of the tick. */
static uint64_t tick_due(const struct relay *r, uint32_t room, uint64_t now_us)
{
    uint64_t tick = r->cfg.tick_us;
    uint64_t phases = (tick + TICK_PHASE_US - 1) / TICK_PHASE_US;
    uint64_t offset = room % phases * (tick / phases);
    return now_us - (now_us + tick - offset) % tick + tick;
}

/* Holds a stamped state until the end of its room's tick. A full queue is
 * sent at once: nothing is dropped, it only goes out early. */
static int hold(struct relay *r, uint32_t peer, uint8_t channel, uint32_t flags,
                const uint8_t *bytes, size_t len, uint64_t now_us)
{
    if (r->nheld == TICK_QUEUE || TICK_ARENA - r->held_used < len)
        fan_out_held(r);
    uint64_t arrived = r->arrived_after_us && r->arrived_after_us < now_us ? r->arrived_after_us
                                                                             : now_us;
    uint64_t due = tick_due(r, r->peers[peer].room, arrived);
    if (r->nheld == 0 || due < r->tick_due_us)
        r->tick_due_us = due;
    struct relay_held *h = &r->held[r->nheld++];
    *h = (struct relay_held){ .peer = peer, .id = r->peers[peer].id, .channel = channel,
                              .flags = (uint8_t)flags, .len = (uint16_t)len,
                              .off = (uint32_t)r->held_used, .due_us = due };
    memcpy(r->held_bytes + r->held_used, bytes, len);
    r->held_used += len;
    return 0;
}

static int on_state(struct relay *r, uint32_t peer, enum proto_mode mode,
                    uint8_t *bytes, size_t len, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    struct proto_state s;
    int err = proto_state_decode(bytes, len, &s);
    if (err == PROTO_E_LONG)
        return reject(r, peer, RELAY_DROP_TOO_BIG, now_us,
                      "state of %zu bytes, max %d", len, PROTO_STATE_MAX);
    if (err < 0) {
        switch (err) {
        case PROTO_E_SHORT: r->stats.state_errors[RELAY_STATE_ERR_SHORT]++; break;
        case PROTO_E_VERSION: r->stats.state_errors[RELAY_STATE_ERR_VERSION]++; break;
        case PROTO_E_TYPE: r->stats.state_errors[RELAY_STATE_ERR_TYPE]++; break;
        default: r->stats.state_errors[RELAY_STATE_ERR_VALUE]++; break;
        }
        return reject(r, peer, RELAY_DROP_BAD_STATE, now_us, "state: %s",
                      proto_strerror(err));
    }
    if (!p->joined)
        return reject(r, peer, RELAY_DROP_NOT_JOINED, now_us,
                      "state before join: send join first");

    /* A mode ordered per sender: a state that arrived after a newer one
     * from the same sender is dropped here, not forwarded (counted). */
    const struct proto_mode_info *mi = proto_mode_info(mode);
    if (mi->filter == PROTO_FILTER_DROP_OLD && p->has_state &&
        !proto_seq_after(s.seq, p->last.seq)) {
        r->stats.drops[RELAY_DROP_TOO_OLD]++;
        return -1 - (int)RELAY_DROP_TOO_OLD; /* counted, no error: not the client's fault */
    }

    /* The relay is the authority on identity: whatever the client wrote in
     * the sender field is replaced by its relay id. */
    proto_state_stamp_sender(bytes, p->id);
    s.sender = p->id;
    p->last = s;
    p->has_state = true;
    r->stats.states_in++;

    /* Downstream channel and flags come from the mode table: a sequenced
     * state goes down unsequenced, its order kept per sender by seq. */
    if (r->cfg.tick_us)
        return hold(r, peer, mi->down_channel, mi->down_flags, bytes, len, now_us);
    fan_out(r, peer, mi->down_channel, mi->down_flags, bytes, len);
    return 0;
}

/* ---- tick batching ---------------------------------------------------- */

size_t relay_tick(struct relay *r, uint64_t now_us)
{
    if (r->nheld == 0 || now_us < r->tick_due_us)
        return 0;
    return fan_out_due(r, now_us);
}

void relay_arrived_after(struct relay *r, uint64_t us)
{
    r->arrived_after_us = us;
}

uint64_t relay_tick_due(const struct relay *r)
{
    return r->nheld ? r->tick_due_us : UINT64_MAX;
}

/* ---- control messages ------------------------------------------------- */

/* The welcome: my id, the room, the others with their last states. Over a
 * transport with a message_max (plain UDP) every datagram stays within it:
 * the roster lists the first members that fit, and each member left out
 * follows in a joined notice (a client adds a member from a joined notice as from the roster;
 * only the last state is missing, and the next state brings it). */
static void send_welcome(struct relay *r, uint32_t peer, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    const struct relay_room *room = &r->rooms[p->room];
    p->welcome_us = now_us;
    p->welcomes++;
    proto_control_init(&r->out, PROTO_CTL_WELCOME);
    r->out.id = p->id;
    snprintf(r->out.room, sizeof r->out.room, "%s", room->name);
    size_t n = 0;
    for (uint32_t i = 0; i < room->n && n < PROTO_ROSTER_MAX; i++) {
        const struct relay_peer *m = &r->peers[room->members[i]];
        if (room->members[i] == peer)
            continue;
        struct proto_member *e = &r->out.roster[n++];
        memset(e, 0, sizeof *e);
        e->id = m->id;
        snprintf(e->name, sizeof e->name, "%s", m->name);
        e->mode = m->mode;
        e->has_state = m->has_state;
        e->state = m->last;
        e->has_clock = m->has_clock;
        e->clock_offset_us = m->clock_offset_us;
        e->clock_bound_us = m->clock_bound_us;
    }
    r->out.roster_len = n;
    int len = encode_out(r);
    size_t fit = n; /* roster members in the welcome */
    size_t max = r->tp.message_max;
    if (max && (len == PROTO_E_SPACE || (size_t)len > max)) {
        /* Grow from an empty roster: a few short encodes, not many long. */
        for (fit = 0; fit < n; fit++) {
            r->out.roster_len = fit + 1;
            len = encode_out(r);
            if (len < 0 || (size_t)len > max)
                break;
        }
        r->out.roster_len = fit;
        len = encode_out(r);
    } else if (len == PROTO_E_SPACE) {
        /* A transport that fragments: a full room of long names may not fit
         * with states: send the roster without them (they follow within
         * one send interval). */
        for (size_t i = 0; i < n; i++)
            r->out.roster[i].has_state = r->out.roster[i].has_clock = false;
        len = encode_out(r);
    }
    if (len < 0) {
        log_error("relay: cannot encode welcome: %s", proto_strerror(len));
        return;
    }
    send_json(r, peer, (size_t)len);
    for (size_t i = fit; i < n; i++) {
        struct proto_member e = r->out.roster[i]; /* the header is reused below */
        proto_control_init(&r->out, PROTO_CTL_JOINED);
        r->out.id = e.id;
        snprintf(r->out.name, sizeof r->out.name, "%s", e.name);
        r->out.mode = e.mode;
        send_out(r, peer);
    }
}

/* Is modes (a relay_transport.modes) a single mode? Then *mode gets it. */
static bool only_mode(uint32_t modes, enum proto_mode *mode)
{
    if (modes == 0 || (modes & (modes - 1)) != 0)
        return false;
    *mode = (enum proto_mode)__builtin_ctz(modes);
    return true;
}

/* A join from a member: the same room is a repeated join (our welcome may
 * have been lost: plain UDP retries joins every 250 ms), answered with the
 * same welcome and id; where a source can be forged not more often than
 * that, so that a stream of joins cannot aim many welcomes at someone else.
 * Another room is refused. */
static int on_join_again(struct relay *r, uint32_t peer, const struct proto_control *m,
                         uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    const struct relay_room *cur = &r->rooms[p->room];
    if (strcmp(cur->name, m->room) != 0)
        return reject(r, peer, RELAY_DROP_ALREADY_JOINED, now_us,
                      "already in room '%s' as %" PRIu32 ": leave first",
                      cur->name, p->id);
    if (r->tp.forgeable && (now_us < p->welcome_us + WELCOME_REPEAT_US ||
                            p->welcomes >= WELCOME_MAX)) {
        log_debug("relay: %s: repeated join within %llu ms: ignored", p->addr,
                  WELCOME_REPEAT_US / 1000);
        return 0;
    }
    send_welcome(r, peer, now_us);
    return 0;
}

static int on_join(struct relay *r, uint32_t peer, const struct proto_control *m,
                   uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    if (p->joined)
        return on_join_again(r, peer, m, now_us);
    if (m->version != PROTO_VERSION)
        return reject(r, peer, RELAY_DROP_BAD_VERSION, now_us,
                      "client speaks protocol version %" PRIu32 ", this relay %d: upgrade the client",
                      m->version, PROTO_VERSION);
    if (strlen(m->name) > r->cfg.name_max || !proto_name_valid(m->name))
        return reject(r, peer, RELAY_DROP_BAD_NAME, now_us,
                      "name: 1..%" PRIu32 " bytes of A-Z a-z 0-9 _ . -",
                      r->cfg.name_max);
    if (strlen(m->room) > r->cfg.room_max || !proto_room_valid(m->room))
        return reject(r, peer, RELAY_DROP_BAD_ROOM, now_us,
                      "room: 1..%" PRIu32 " bytes of A-Z a-z 0-9 _ . -",
                      r->cfg.room_max);
    enum proto_mode mode = m->mode;
    if (!only_mode(r->tp.modes, &mode) && /* one mode carried: every member's */
        (!proto_mode_info(mode) || !(r->tp.modes & (1u << mode))))
        return reject(r, peer, RELAY_DROP_BAD_FIELD, now_us,
                      "mode udp needs a relay started with --transport udp");

    struct relay_room *room = room_find(r, m->room);
    if (room && room->n >= r->cfg.max_room_size)
        return reject(r, peer, RELAY_DROP_ROOM_FULL, now_us,
                      "room '%s' is full (%" PRIu32 " members)", m->room,
                      r->cfg.max_room_size);
    if (!room) {
        room = room_create(r, m->room);
        if (!room)
            return reject(r, peer, RELAY_DROP_TOO_MANY_ROOMS, now_us,
                          "too many rooms (%" PRIu32 "): join an existing one",
                          r->cfg.max_rooms);
    }

    p->joined = true;
    p->id = r->next_id++;
    if (r->next_id == 0)
        r->next_id = 1; /* 2^32 joins later; 0 stays "unassigned" */
    p->room = (uint32_t)(room - r->rooms);
    snprintf(p->name, sizeof p->name, "%s", m->name);
    p->mode = mode;
    p->reflect = m->reflect;
    p->has_state = false;
    p->has_clock = false;
    room->members[room->n++] = peer;
    r->members++;
    r->stats.joins++;
    log_info("relay: %s joined room '%s' as %" PRIu32 " (%s, %s%s)", p->addr,
             room->name, p->id, p->name, proto_mode_name(mode),
             p->reflect ? ", reflect" : "");

    send_welcome(r, peer, now_us);
    if (room->n > 1) {
        proto_control_init(&r->out, PROTO_CTL_JOINED);
        r->out.id = p->id;
        snprintf(r->out.name, sizeof r->out.name, "%s", p->name);
        r->out.mode = mode;
        send_out_room(r, room, peer);
    }
    return 0;
}

static int on_chat(struct relay *r, uint32_t peer, const struct proto_control *m,
                   uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    if (!p->joined)
        return reject(r, peer, RELAY_DROP_NOT_JOINED, now_us,
                      "chat before join: send join first");
    if (!proto_text_valid(m->text))
        return reject(r, peer, RELAY_DROP_BAD_FIELD, now_us,
                      "text: 1..%d bytes, no control characters", PROTO_TEXT_MAX);
    proto_control_init(&r->out, PROTO_CTL_CHAT);
    r->out.id = p->id;
    snprintf(r->out.name, sizeof r->out.name, "%s", p->name);
    snprintf(r->out.text, sizeof r->out.text, "%s", m->text);
    send_out_room(r, &r->rooms[p->room], UINT32_MAX);
    return 0;
}

/* A member's clock offset to the relay goes to the others in its room, so
 * they can correct the one-way latency of its states (PROTOCOL.md). */
static int on_clock(struct relay *r, uint32_t peer, const struct proto_control *m,
                    uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    if (!p->joined)
        return reject(r, peer, RELAY_DROP_NOT_JOINED, now_us,
                      "clock before join: send join first");
    p->has_clock = true; /* later joiners get it in their welcome's roster */
    p->clock_offset_us = m->clock_offset_us;
    p->clock_bound_us = m->clock_bound_us;
    proto_control_init(&r->out, PROTO_CTL_CLOCK);
    r->out.id = p->id;
    r->out.clock_offset_us = m->clock_offset_us;
    r->out.clock_bound_us = m->clock_bound_us;
    send_out_room(r, &r->rooms[p->room], peer);
    return 0;
}

static int on_control(struct relay *r, uint32_t peer, const uint8_t *bytes,
                      size_t len, bool datagram, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    char why[PROTO_TEXT_MAX + 1] = "";
    struct proto_control *m = &r->in;
    int err = proto_control_decode((const char *)bytes, len, m, why, sizeof why);
    if (err < 0) {
        enum relay_drop d;
        switch (err) {
        case PROTO_E_JSON: d = RELAY_DROP_BAD_JSON; break;
        case PROTO_E_MISSING: d = RELAY_DROP_MISSING_FIELD; break;
        case PROTO_E_UNKNOWN_TYPE: d = RELAY_DROP_UNKNOWN_TYPE; break;
        default: d = RELAY_DROP_BAD_FIELD; break; /* FIELD_TYPE, VALUE, ... */
        }
        /* The decoder checks the name rules itself; give those refusals
         * their own codes (its reason names the field). */
        if (err == PROTO_E_VALUE && strstr(why, "\"name\""))
            d = RELAY_DROP_BAD_NAME;
        else if (err == PROTO_E_VALUE && strstr(why, "\"room\""))
            d = RELAY_DROP_BAD_ROOM;
        return reject(r, peer, d, now_us, "%s", why[0] ? why : proto_strerror(err));
    }
    switch (m->type) {
    case PROTO_CTL_JOIN:
        r->stats.control_in++;
        return on_join(r, peer, m, now_us);
    case PROTO_CTL_CHAT:
        r->stats.control_in++;
        return on_chat(r, peer, m, now_us);
    case PROTO_CTL_LEAVE:
        r->stats.control_in++;
        member_remove(r, peer, PROTO_LEFT_QUIT);
        return 0;
    case PROTO_CTL_CLOCK:
        r->stats.control_in++;
        return on_clock(r, peer, m, now_us);
    case PROTO_CTL_PING:
        r->stats.control_in++;
        if (datagram && !p->joined)
            /* A plain-UDP client we expired: tell it instead of ponging, so
             * it knows to join again. */
            return reject(r, peer, RELAY_DROP_NOT_JOINED, now_us,
                          "not joined (expired?): send join");
        proto_control_init(&r->out, PROTO_CTL_PONG);
        r->out.t = m->t;
        r->out.relay_t = now_us; /* clients estimate their clock offset from it */
        send_out(r, peer);
        return 0;
    default:
        return reject(r, peer, RELAY_DROP_UNKNOWN_TYPE, now_us,
                      "'%s' is sent by the relay, not to it",
                      proto_ctl_type_name(m->type));
    }
}

/* ---- the entry point -------------------------------------------------- */

/* What every datagram goes through first: a known peer, counted, within
 * its rate. Returns 0 to go on or the relay_on_datagram code. */
static int datagram_admit(struct relay *r, uint32_t peer, size_t len, uint64_t now_us)
{
    if (!peer_get(r, peer)) {
        r->stats.drops[RELAY_DROP_CLOSED]++;
        return -1 - RELAY_DROP_CLOSED;
    }
    r->stats.bytes_in += len;
    return rate_check(r, peer, now_us);
}

int relay_on_datagram(struct relay *r, uint32_t peer, uint8_t channel,
                      uint32_t flags, uint8_t *bytes, size_t len,
                      uint64_t now_us)
{
    int rc = datagram_admit(r, peer, len, now_us);
    if (rc < 0)
        return rc;
    if (flags & RELAY_IN_TRUNCATED)
        return reject(r, peer, RELAY_DROP_TOO_BIG, now_us,
                      "datagram of more than %zu bytes, max %zu", len, r->cfg.max_packet_size);
    if (len > r->cfg.max_packet_size)
        return reject(r, peer, RELAY_DROP_TOO_BIG, now_us,
                      "datagram of %zu bytes, max %zu", len, r->cfg.max_packet_size);
    if (len == 0 || !bytes) {
        r->stats.state_errors[RELAY_STATE_ERR_SHORT]++;
        return reject(r, peer, RELAY_DROP_BAD_STATE, now_us, "empty datagram");
    }
    bool json = bytes[0] == '{';
    switch (channel) {
    case PROTO_CHANNEL_CONTROL:
        if (bytes[0] == PROTO_STATE_VERSION)
            return reject_as(r, peer, RELAY_DROP_WRONG_CHANNEL, PROTO_ERROR_BAD_JSON, now_us,
                          "state on channel 0: states go on channel %u or %u",
                          PROTO_CHANNEL_STATE, PROTO_CHANNEL_RELIABLE);
        return on_control(r, peer, bytes, len, false, now_us);
    case PROTO_CHANNEL_DATAGRAM:
        if (json)
            return on_control(r, peer, bytes, len, true, now_us);
        return on_state(r, peer, PROTO_MODE_UDP, bytes, len, now_us);
    default: {
        /* A state channel: the table says which mode (channel, flags) is. */
        enum proto_mode mode;
        if (json || proto_mode_from_up(channel, flags, &mode) != 0 ||
            !proto_mode_info(mode)->enet)
            return reject(r, peer, RELAY_DROP_WRONG_CHANNEL, now_us,
                          "no state mode sends on channel %u with flags %u (see PROTOCOL.md)",
                          (unsigned)channel, (unsigned)(flags & PROTO_FLAGS_MASK));
        return on_state(r, peer, mode, bytes, len, now_us);
    }
    }
}

/* ---- queries ---------------------------------------------------------- */

const struct relay_stats *relay_stats(const struct relay *r) { return &r->stats; }
uint32_t relay_clients(const struct relay *r) { return r->clients; }
uint32_t relay_rooms(const struct relay *r) { return r->nrooms; }
uint32_t relay_members(const struct relay *r) { return r->members; }

bool relay_peer_connected(const struct relay *r, uint32_t peer)
{
    return peer < r->cfg.peer_cap && r->peers[peer].connected;
}

bool relay_peer_joined(const struct relay *r, uint32_t peer)
{
    return relay_peer_connected(r, peer) && r->peers[peer].joined;
}

uint32_t relay_peer_id(const struct relay *r, uint32_t peer)
{
    return relay_peer_joined(r, peer) ? r->peers[peer].id : 0;
}

uint32_t relay_room_size(const struct relay *r, const char *room)
{
    const struct relay_room *rm = room_find(r, room);
    return rm ? rm->n : 0;
}

/* The stats record, relay kind (STATS.md): one writer, cJSON. Field names
 * and order are the record's schema; tests and the bench read them. */
static cJSON *stats_record(const struct relay *r, double uptime_s, bool final)
{
    const struct relay_stats *s = &r->stats;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "type", "stats");
    cJSON_AddStringToObject(o, "program", "relay");
    cJSON_AddStringToObject(o, "version", version_ricochet());
    cJSON_AddStringToObject(o, "enet_version", version_enet());
    cJSON_AddNumberToObject(o, "uptime_s", round(uptime_s * 1000) / 1000);
    const struct {
        const char *name;
        uint64_t v;
    } counters[] = {
        {"clients", r->clients}, {"rooms", r->nrooms}, {"members", r->members},
        {"states_in", s->states_in}, {"states_out", s->states_out},
        {"bytes_in", s->bytes_in}, {"bytes_out", s->bytes_out},
        {"control_in", s->control_in}, {"control_out", s->control_out},
        {"joins", s->joins}, {"leaves", s->leaves}, {"timeouts", s->timeouts},
        {"kicks", s->kicks}, {"errors_sent", s->errors_sent},
        {"errors_suppressed", s->errors_suppressed}, {"ticks", s->ticks},
    };
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        cJSON_AddNumberToObject(o, counters[i].name, (double)counters[i].v);
    cJSON *drops = cJSON_AddObjectToObject(o, "drops");
    for (int i = 0; drops && i < RELAY_DROP_COUNT; i++)
        cJSON_AddNumberToObject(drops, relay_drop_name(i), (double)s->drops[i]);
    cJSON *bad = cJSON_AddObjectToObject(o, "bad_state");
    static const char *const causes[RELAY_STATE_ERR_COUNT] = {"short", "version", "type",
                                                              "value"};
    for (int i = 0; bad && i < RELAY_STATE_ERR_COUNT; i++)
        cJSON_AddNumberToObject(bad, causes[i], (double)s->state_errors[i]);
    cJSON_AddBoolToObject(o, "final", final);
    return o;
}

int relay_stats_json(const struct relay *r, char *buf, size_t cap,
                     double uptime_s, bool final)
{
    cJSON *o = stats_record(r, uptime_s, final);
    /* cJSON wants 5 bytes of slack; one more for the newline. */
    bool ok = o && cap > 6 && cJSON_PrintPreallocated(o, buf, (int)(cap - 6), false);
    cJSON_Delete(o);
    if (!ok)
        return -1;
    size_t len = strlen(buf);
    buf[len] = '\n';
    buf[len + 1] = '\0';
    return (int)len + 1;
}

/* Appends to buf at *off; sets *off past cap on overflow. */
static void put(char *buf, size_t cap, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t cap, size_t *off, const char *fmt, ...)
{
    if (*off >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *off, cap - *off, fmt, ap);
    va_end(ap);
    *off = n < 0 ? cap : *off + (size_t)n;
}

/* Per second over interval_s: a rate for the line on a terminal. */
static double per_s(uint64_t now, uint64_t before, double interval_s)
{
    return interval_s > 0 && now >= before ? (double)(now - before) / interval_s : 0;
}

int relay_stats_text(const struct relay *r, const struct relay_stats *prev, double interval_s,
                     char *buf, size_t cap, double uptime_s, bool final)
{
    static const struct relay_stats zero;
    const struct relay_stats *s = &r->stats;
    uint64_t dropped = 0;
    size_t off = 0;
    if (!prev)
        prev = &zero;
    for (int i = 0; i < RELAY_DROP_COUNT; i++)
        dropped += s->drops[i];
    put(buf, cap, &off,
        "relay %.1fs%s: %" PRIu32 " clients, %" PRIu32 " joined, %" PRIu32 " rooms | states "
        "%.0f/s in, %.0f/s out | %.1f kB/s in, %.1f kB/s out | joins %" PRIu64
        ", leaves %" PRIu64 ", timeouts %" PRIu64 ", kicks %" PRIu64 " | drops %" PRIu64,
        uptime_s, final ? " (final, rates over the run)" : "", r->clients, r->members, r->nrooms,
        per_s(s->states_in, prev->states_in, interval_s),
        per_s(s->states_out, prev->states_out, interval_s),
        per_s(s->bytes_in, prev->bytes_in, interval_s) / 1e3,
        per_s(s->bytes_out, prev->bytes_out, interval_s) / 1e3, s->joins, s->leaves,
        s->timeouts, s->kicks, dropped);
    /* only the reasons that happened, most of the 26 never do */
    const char *sep = " (";
    for (int i = 0; i < RELAY_DROP_COUNT; i++)
        if (s->drops[i]) {
            put(buf, cap, &off, "%s%s %" PRIu64, sep, relay_drop_name(i), s->drops[i]);
            sep = ", ";
        }
    put(buf, cap, &off, "%s\n", dropped ? ")" : "");
    if (off >= cap)
        return -1;
    return (int)off;
}
