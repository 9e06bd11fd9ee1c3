/* client_send.c: what the client library sends (see client_send_internal.h):
 * control messages (the join, pings, chat, my clock offset for the room)
 * and states, encoded, padded and sealed here and handed to the transport;
 * in reliable mode, the states sent while a fleet moves the session. */
#define BY_CLIENT_SEND_C /* this file writes the parts BY_CLIENT_SEND_C marks */
#include "client.h"
#include "client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"
#include "sys/log.h"

#define CLOCK_PING_US 1000000      /* clock pings, every transport... */
#define CLOCK_PING_MAX_US 8000000  /* ... doubling up to this while the estimate holds */
#define CLOCK_FAST_PING_US 100000  /* ... for the first CLOCK_FAST_PINGS */
#define CLOCK_FAST_PINGS 10
#define LOBBY_CTL_MIN 64           /* a lobby's requests until its cookie (PROTOCOL.md) */
#define SEALED_IDLE_PING_US 1000000 /* a sealed session pings after this long unheard from
                                       me: the relay expires a sealed member from which
                                       nothing opens for its --timeout-ms */

/* Pads a JSON object of len bytes in buf (CTL_SEND_MAX) with an unknown
 * field up to min bytes (caps.control_min); returns the new length. */
static size_t pad_control(char *buf, size_t len, size_t min)
{
    if (len >= min || len < 2 || buf[len - 1] != '}')
        return len;
    size_t pad = min - len; /* ,"pad":"" is 9 bytes, then pad - 9 x */
    if (pad < 9)
        pad = 9;
    memcpy(buf + len - 1, ",\"pad\":\"", 8);
    memset(buf + len + 7, 'x', pad - 9);
    memcpy(buf + len + pad - 2, "\"}", 2);
    return len + pad;
}

/* Encodes and sends one control message, padded to the transport's
 * minimum, sealed in a sealed session (the join too, once the relay's
 * `sealed` came: it is the proof that I hold the ticket's keys). Returns 0
 * or -1. */
static int send_control(struct ricochet *c, const struct proto_control *m)
{
    char buf[CTL_SEND_MAX];
    uint8_t box[CTL_SEND_MAX + SEAL_OVERHEAD];
    int len = proto_control_encode(buf, sizeof buf - 64, m); /* room for the padding */
    if (len < 0)
        return -1;
    bool seal = client_ticket_sealed(c);
    size_t min = c->caps.control_min, n;
    /* a lobby has no join to prove its address with: until it echoed the
     * relay's cookie, what it asks is long enough to be answered with one */
    if (c->listing.lobby && !c->cookie[0] && min < LOBBY_CTL_MIN)
        min = LOBBY_CTL_MIN;
    n = pad_control(buf, (size_t)len, seal && min > SEAL_OVERHEAD ? min - SEAL_OVERHEAD : min);
    const uint8_t *out = (const uint8_t *)buf;
    if (seal && !(out = client_ticket_seal(c, SEAL_LANE_CONTROL, out, n, box, &n)))
        return -1;
    c->sent_us = clock_now_us();
    return c->ops->send_control(c, out, n);
}

int client_send_message(struct ricochet *c, const struct proto_control *m)
{
    return send_control(c, m);
}

void client_send_join(struct ricochet *c)
{
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOIN);
    if (c->ticket) { /* the room and the name are the ticket's: not in clear */
        memcpy(m.ticket, c->ticket->pass, sizeof m.ticket);
        if (!c->caps.secure) /* a secure transport is not sealed again */
            memcpy(m.nonce, c->ticket->nonce_hex, sizeof m.nonce);
    } else {
        snprintf(m.room, sizeof m.room, "%s", c->room);
        snprintf(m.name, sizeof m.name, "%s", c->name);
    }
    m.mode = c->mode;
    m.reflect = c->reflect;
    m.batch = true; /* client_udp.c and client_enet.c read batches */
    m.batch_kept = true; /* of kept events too: a batch's entries are read as messages */
    m.aoi = c->aoi;
    m.epoch = c->move.join_epoch;
    m.lost = c->move.report_lost;
    if (m.lost && proto_addr_valid(c->move.lost_relay))
        snprintf(m.lost_relay, sizeof m.lost_relay, "%s", c->move.lost_relay);
    m.any = c->any && !c->ticket;
    m.props = c->room_ask.props;
    m.match = m.any ? c->room_ask.match : (struct proto_props){0};
    m.size = c->room_ask.size;
    m.unlisted = c->room_ask.unlisted;
    m.closed = c->room_ask.closed;
    m.exists = c->room_ask.exists && !c->player[0]; /* a rejoin's room may be made afresh */
    m.has_lockstep = c->room_ask.lockstep;
    m.lockstep.settings = c->room_ask.ls;
    m.spectator = c->room_ask.spectator;
    memcpy(m.cookie, c->cookie, sizeof m.cookie);
    /* My player's key, but never in clear where the session is to be sealed. */
    if (!client_ticket_must_seal(c) || client_ticket_sealed(c))
        memcpy(m.key, c->key, sizeof m.key);
    if (send_control(c, &m) != 0)
        log_warn("client %s: could not send join", c->name);
}

void client_send_cookie(struct ricochet *c)
{
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_COOKIE);
    memcpy(m.cookie, c->cookie, sizeof m.cookie);
    if (send_control(c, &m) != 0)
        log_warn("client %s: could not echo the cookie", c->name);
}

void client_send_simple(struct ricochet *c, enum proto_ctl_type type, uint64_t t)
{
    struct proto_control m;
    proto_control_init(&m, type);
    m.t = t;
    send_control(c, &m);
}

void client_send_ping(struct ricochet *c, uint64_t now)
{
    client_send_simple(c, PROTO_CTL_PING, now);
    c->last_ping_us = now;
    c->sync.pings++;
}

/* Is the estimate different enough from the one the room has? Every
 * announcement goes to every member, so only a bound halved or doubled, or
 * an offset moved past the announced bound (drift) is worth one: a few per
 * session. Later joiners get it in their welcome's roster. */
static bool clock_worth_announcing(const struct ricochet *c)
{
    const struct clock_sync *now = &c->sync.clock, *ann = &c->sync.announced;
    int64_t moved = now->offset_us - ann->offset_us;
    uint64_t dist = moved < 0 ? (uint64_t)0 - (uint64_t)moved : (uint64_t)moved;
    return !ann->valid || now->bound_us * 2 < ann->bound_us ||
           now->bound_us > ann->bound_us * 2 || dist > ann->bound_us;
}

/* The wait before the next clock ping: CLOCK_FAST_PING_US for the first
 * samples, then CLOCK_PING_US, doubled for every slow sample that left the
 * estimate as it was, up to CLOCK_PING_MAX_US (a ping and its pong are two
 * datagrams, four over ENet with the acknowledgements: at thousands of
 * clients a tenth of a relay's work once the offset is known); give or take
 * a quarter at random, so that clients that started together (a swarm's
 * thousands) do not all ping in the same millisecond: 4000 pings at once
 * held a relay 40-50 ms. */
static uint64_t ping_interval(struct ricochet *c)
{
    uint64_t base = CLOCK_FAST_PING_US;
    if (c->sync.clock_samples >= CLOCK_FAST_PINGS) {
        base = CLOCK_PING_US;
        for (unsigned i = 0; i < c->sync.ping_backoff && base < CLOCK_PING_MAX_US; i++)
            base *= 2;
        base = base < CLOCK_PING_MAX_US ? base : CLOCK_PING_MAX_US;
    }
    return base - base / 4 + rng_below(&c->ping_rng, (uint32_t)(base / 2));
}

void client_clock_pong(struct ricochet *c, uint64_t t, uint64_t relay_t, uint64_t now)
{
    int changed = relay_t ? clock_sync_sample(&c->sync.clock, t, relay_t, now) : -1;
    c->sync.clock_samples++;
    if (changed == 1) {
        c->sync.clock_changed = true;
        if (c->sync.ping_backoff) { /* ping again soon: it may improve further */
            c->sync.ping_backoff = 0;
            uint64_t soon = now + ping_interval(c);
            c->sync.next_ping_us = soon < c->sync.next_ping_us ? soon : c->sync.next_ping_us;
        }
    } else if (changed == 0 && c->sync.clock_samples > CLOCK_FAST_PINGS && c->sync.ping_backoff < 8) {
        c->sync.ping_backoff++;
    }
}

void client_clock_forget(struct ricochet *c)
{
    c->sync = (struct client_sync){0};
}

uint64_t client_idle_ping_us(const struct ricochet *c)
{
    uint32_t timeout_ms = c->relay_idle_ms && c->relay_idle_ms < c->timeout_ms
                              ? c->relay_idle_ms
                              : c->timeout_ms;
    uint64_t quiet = client_ticket_sealed(c) ? SEALED_IDLE_PING_US
                                             : (uint64_t)timeout_ms * 1000u / 3;
    return c->sent_us + quiet;
}

/* Clock offset to the relay: a ping every ping_interval(), and my offset
 * announced to the room when it changed enough. */
void client_clock_step(struct ricochet *c, uint64_t now)
{
    if (c->phase != PHASE_JOINED)
        return;
    bool idle = now >= client_idle_ping_us(c);
    if (now >= c->sync.next_ping_us || idle) {
        client_send_ping(c, now);
        c->sync.next_ping_us = now + ping_interval(c);
    }
    if (c->sync.clock.valid && c->sync.clock_changed && clock_worth_announcing(c)) {
        struct proto_control m;
        proto_control_init(&m, PROTO_CTL_CLOCK);
        m.clock_offset_us = c->sync.clock.offset_us;
        m.clock_bound_us = c->sync.clock.bound_us;
        send_control(c, &m);
        c->sync.announced = c->sync.clock;
    }
    c->sync.clock_changed = false;
}

/* A reliable state going up is kept (KEPT_MAX of them) for a room's move,
 * its payload too. */
static void keep_sent(struct ricochet *c, const uint8_t *buf, size_t len)
{
    struct proto_state s;
    if ((!c->hold.kept && !(c->hold.kept = calloc(KEPT_MAX, sizeof *c->hold.kept))) ||
        proto_state_decode(buf, len, &s) != PROTO_OK)
        return; /* out of memory: a move may lose what was on its way, as before */
    struct kept_state *k = &c->hold.kept[c->hold.n_kept % KEPT_MAX];
    if (k->cap < len) {
        uint8_t *grown = realloc(k->bytes, len);
        if (!grown)
            return;
        k->bytes = grown;
        k->cap = (uint16_t)len;
    }
    c->hold.n_kept++;
    k->seq = s.seq;
    k->len = (uint16_t)len;
    memcpy(k->bytes, buf, len);
}

void client_hold_free(struct ricochet *c)
{
    for (size_t i = 0; c->hold.kept && i < KEPT_MAX; i++)
        free(c->hold.kept[i].bytes);
    free(c->hold.kept);
    free(c->hold.held);
    free(c->hold.awaited);
}

/* One encoded state out in the current mode, sealed when the session is. */
static int send_up(struct ricochet *c, const uint8_t *buf, size_t len)
{
    const struct proto_mode_info *mi = proto_mode_info(c->mode);
    if (mi->up_flags & PROTO_FLAG_RELIABLE)
        keep_sent(c, buf, len);
    return client_send_way_up(c, buf, len);
}

int client_send_way_up(struct ricochet *c, const uint8_t *buf, size_t len)
{
    const struct proto_mode_info *mi = proto_mode_info(c->mode);
    uint8_t box[PROTO_STATE_MAX + SEAL_OVERHEAD];
    enum seal_lane lane = mi->up_flags & PROTO_FLAG_RELIABLE ? SEAL_LANE_RELIABLE
                                                             : SEAL_LANE_STATE;
    const uint8_t *wire = client_ticket_seal(c, lane, buf, len, box, &len);
    c->sent_us = clock_now_us();
    if (!wire)
        return RICOCHET_E_SEND;
    int rc = c->ops->send_state ? c->ops->send_state(c, mi, wire, len)
                                : c->ops->send_control(c, wire, len);
    return rc == 0 ? RICOCHET_OK : RICOCHET_E_SEND;
}

/* ---- reliable states across a move (client_send_internal.h) ---- */

/* The move starts: who was in the room is awaited on the next relay. */
void client_hold_start(struct ricochet *c)
{
    if (!(proto_mode_info(c->mode)->up_flags & PROTO_FLAG_RELIABLE))
        return;
    if (!c->hold.held)
        c->hold.held = malloc(HOLD_MAX * sizeof *c->hold.held);
    if (!c->hold.awaited)
        c->hold.awaited = malloc(PROTO_ROSTER_MAX * sizeof *c->hold.awaited);
    if (!c->hold.held || !c->hold.awaited)
        return; /* out of memory: states sent meanwhile fail as before */
    if (!c->hold.holding)
        c->hold.n_awaited = 0;
    for (size_t i = 0; i < c->roster.n_members && c->hold.n_awaited < PROTO_ROSTER_MAX; i++)
        if (c->roster.members[i].name[0])
            snprintf(c->hold.awaited[c->hold.n_awaited++], sizeof c->hold.awaited[0], "%s",
                     c->roster.members[i].name);
    c->hold.holding = true;
    c->hold.hold_until_us = UINT64_MAX; /* the welcome sets it */
}

/* name is in the room on the new relay: no longer awaited. */
void client_hold_seen(struct ricochet *c, const char *name)
{
    for (size_t i = 0; c->hold.holding && i < c->hold.n_awaited; i++)
        if (strcmp(c->hold.awaited[i], name) == 0) {
            memcpy(c->hold.awaited[i], c->hold.awaited[--c->hold.n_awaited], sizeof c->hold.awaited[0]);
            return;
        }
}

void client_hold_unforwarded(struct ricochet *c, bool forwarded, uint32_t seq)
{
    if (!forwarded || !c->hold.holding) {
        c->hold.n_kept = 0;
        return;
    }
    uint64_t from = c->hold.n_kept > KEPT_MAX ? c->hold.n_kept - KEPT_MAX : 0;
    size_t k = 0;
    for (uint64_t i = from; i < c->hold.n_kept; i++)
        k += proto_seq_after(c->hold.kept[i % KEPT_MAX].seq, seq) != 0;
    if (k > HOLD_MAX - c->hold.n_held) {
        log_warn("client %s: %zu states the relay had not passed on, room for %zu", c->name,
                 k, HOLD_MAX - c->hold.n_held);
        k = HOLD_MAX - c->hold.n_held;
    }
    memmove(c->hold.held + k, c->hold.held, c->hold.n_held * sizeof *c->hold.held);
    size_t j = 0;
    for (uint64_t i = from; j < k && i < c->hold.n_kept; i++) {
        const struct kept_state *e = &c->hold.kept[i % KEPT_MAX];
        if (!proto_seq_after(e->seq, seq))
            continue;
        c->hold.held[j].len = e->len;
        memcpy(c->hold.held[j].bytes, e->bytes, e->len);
        j++;
    }
    c->hold.n_held += k;
    c->hold.n_kept = 0; /* passed on, or held again (kept once more when they go) */
    if (k)
        log_debug("client %s: %zu states after %u sent again", c->name, k, (unsigned)seq);
}

/* Once everyone awaited is here (or waiting is over), what was held goes
 * out, in order. */
void client_hold_check(struct ricochet *c, uint64_t now)
{
    if (!c->hold.holding || c->phase != PHASE_JOINED || (c->hold.n_awaited && now < c->hold.hold_until_us))
        return;
    for (size_t i = 0; i < c->hold.n_held; i++)
        send_up(c, c->hold.held[i].bytes, c->hold.held[i].len);
    log_debug("client %s: %zu held states sent (%zu members not back)", c->name, c->hold.n_held,
              c->hold.n_awaited);
    c->hold.n_held = 0;
    c->hold.holding = false;
}

void client_hold_welcomed(struct ricochet *c, uint64_t now)
{
    if (!c->hold.holding)
        return;
    c->hold.hold_until_us = now + HOLD_WAIT_US;
    for (size_t i = 0; i < c->roster.n_members; i++)
        client_hold_seen(c, c->roster.members[i].name);
    client_hold_check(c, now);
}

/* My state with its payload (len bytes at payload, NULL: zeros), encoded
 * and sent in the current mode, or held while the session moves. */
uint32_t client_next_seq(const struct ricochet *c)
{
    return c->next_seq;
}

void client_set_next_seq(struct ricochet *c, uint32_t seq)
{
    c->next_seq = seq;
}

static int send_state(struct ricochet *c, const struct proto_state *s, const uint8_t *payload,
                      size_t len)
{
    if (len > PROTO_PAYLOAD_MAX)
        return RICOCHET_E_TOO_BIG;
    if (!c->hold.holding && (c->phase != PHASE_JOINED || !c->ops->ready(c)))
        return RICOCHET_E_NOT_JOINED;
    if (c->hold.holding && c->hold.n_held == HOLD_MAX)
        return RICOCHET_E_SEND;
    uint8_t buf[PROTO_STATE_MAX];
    struct proto_state out = *s;
    out.sender = 0;
    out.seq = c->next_seq;
    int n = proto_state_encode(buf, sizeof buf, &out);
    if (n < 0)
        return RICOCHET_E_INVALID;
    if (payload)
        memcpy(buf + n, payload, len);
    else
        memset(buf + n, 0, len);
    size_t total = (size_t)n + len;
    c->next_seq++;
    if (c->hold.holding) { /* between relays: it goes out once the room is back */
        c->hold.held[c->hold.n_held].len = (uint16_t)total;
        memcpy(c->hold.held[c->hold.n_held++].bytes, buf, total);
        return RICOCHET_OK;
    }
    return send_up(c, buf, total);
}

int client_send_state(struct ricochet *c, const struct proto_state *s, size_t datagram_len)
{
    if (datagram_len > PROTO_STATE_MAX)
        datagram_len = PROTO_STATE_MAX;
    return send_state(c, s, NULL,
                      datagram_len > PROTO_STATE_SIZE ? datagram_len - PROTO_STATE_SIZE : 0);
}

int client_send_state_payload(struct ricochet *c, const struct proto_state *s,
                              const uint8_t *payload, size_t len)
{
    return send_state(c, s, payload, len);
}

/* An event encoded in buf (n bytes, or a negative enum proto_err) sent,
 * sealed if the session is. */
static int send_event(struct ricochet *c, const uint8_t *buf, int n)
{
    if (n == PROTO_E_LONG)
        return RICOCHET_E_TOO_BIG;
    if (n < 0)
        return RICOCHET_E_INVALID;
    if (c->phase != PHASE_JOINED || !c->ops->ready(c))
        return RICOCHET_E_NOT_JOINED;
    uint8_t box[PROTO_EVENT_MAX + SEAL_OVERHEAD];
    size_t out_len = (size_t)n;
    const uint8_t *out = client_ticket_seal(c, SEAL_LANE_CONTROL, buf, out_len, box, &out_len);
    if (!out)
        return RICOCHET_E_SEND;
    c->sent_us = clock_now_us();
    return c->ops->send_control(c, out, out_len) == 0 ? RICOCHET_OK : RICOCHET_E_SEND;
}

int ricochet_send_event(struct ricochet *c, uint32_t to, const void *data, size_t len)
{
    if (!c || (!data && len > 0))
        return RICOCHET_E_INVALID;
    uint8_t buf[PROTO_EVENT_MAX];
    return send_event(c, buf, proto_event_encode(buf, sizeof buf, to, data, len));
}

int ricochet_send_kept(struct ricochet *c, const char *key, const void *data, size_t len,
                       unsigned flags)
{
    if (!c || (!data && len > 0) || !proto_event_key_valid(key) || flags & ~RICOCHET_KEEP_STAY)
        return RICOCHET_E_INVALID;
    uint8_t buf[PROTO_EVENT_MAX];
    return send_event(c, buf, proto_event_encode_kept(buf, sizeof buf, key,
                                                      flags & RICOCHET_KEEP_STAY, data, len));
}

int ricochet_send_chat(struct ricochet *c, const char *text)
{
    if (!c || !text || !proto_text_valid(text))
        return RICOCHET_E_INVALID;
    if (c->phase != PHASE_JOINED)
        return RICOCHET_E_NOT_JOINED;
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_CHAT);
    snprintf(m.text, sizeof m.text, "%s", text);
    return send_control(c, &m) == 0 ? RICOCHET_OK : RICOCHET_E_SEND;
}

int client_send_listing(struct ricochet *c)
{
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_ROOMS);
    snprintf(m.prefix, sizeof m.prefix, "%s", c->listing.prefix);
    snprintf(m.after, sizeof m.after, "%s", c->listing.after);
    m.match = c->listing.match;
    /* a watching lobby's every request says so (the one the relay held
     * back for its cookie is asked again); a lobby that joined watches no
     * more */
    m.watch = c->listing.watch && c->listing.lobby ? PROTO_WATCH_ON : c->listing.watch_ask;
    c->listing.watch_ask = PROTO_WATCH_NONE;
    c->listing.asked = false;
    return send_control(c, &m);
}

int ricochet_list_rooms(struct ricochet *c, const char *prefix, const char *after)
{
    return ricochet_list_rooms_matching(c, prefix, after, NULL, 0);
}

/* The n pairs of props into *out. Returns 0, or -1 past their bounds. */
static int props_take(struct proto_props *out, const struct ricochet_prop *props, size_t n)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++)
        if (proto_props_add(out, "props", props[i].key, props[i].value, NULL, 0) != 0)
            return -1;
    return 0;
}

/* A room message with the fields set names. What it sets is also what my
 * later joins ask of the room: a relay restarted makes it afresh from the
 * first join back, and an opened room must not come back closed. */
static int send_room(struct ricochet *c, struct proto_control *m)
{
    if (c->phase != PHASE_JOINED)
        return RICOCHET_E_NOT_JOINED;
    if (send_control(c, m) != 0)
        return RICOCHET_E_SEND;
    if (m->room_set & PROTO_ROOM_SET_OPEN)
        c->room_ask.closed = m->closed;
    if (m->room_set & PROTO_ROOM_SET_LISTED)
        c->room_ask.unlisted = m->unlisted;
    if (m->room_set & PROTO_ROOM_SET_PROPS)
        c->room_ask.props = m->props;
    return RICOCHET_OK;
}

/* A room message that sets one flag: open (closed: !on) or listed (unlisted: !on). */
static int send_room_flag(struct ricochet *c, uint8_t set, bool on)
{
    struct proto_control m;
    if (!c)
        return RICOCHET_E_INVALID;
    proto_control_init(&m, PROTO_CTL_ROOM);
    m.room_set = set;
    m.closed = set == PROTO_ROOM_SET_OPEN && !on;
    m.unlisted = set == PROTO_ROOM_SET_LISTED && !on;
    return send_room(c, &m);
}

int ricochet_set_room_open(struct ricochet *c, bool open)
{
    return send_room_flag(c, PROTO_ROOM_SET_OPEN, open);
}

int ricochet_set_room_listed(struct ricochet *c, bool listed)
{
    return send_room_flag(c, PROTO_ROOM_SET_LISTED, listed);
}

int ricochet_set_room_props(struct ricochet *c, const struct ricochet_prop *props, size_t n)
{
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_ROOM);
    if (!c || (n && !props) || props_take(&m.props, props, n) != 0)
        return RICOCHET_E_INVALID;
    m.room_set = PROTO_ROOM_SET_PROPS;
    return send_room(c, &m);
}

int ricochet_list_rooms_matching(struct ricochet *c, const char *prefix, const char *after,
                                 const struct ricochet_prop *match, size_t n)
{
    struct proto_props want;
    prefix = prefix ? prefix : "";
    after = after ? after : "";
    if (!c || !proto_prefix_valid(prefix) || !proto_prefix_valid(after) || (n && !match) ||
        props_take(&want, match, n) != 0)
        return RICOCHET_E_INVALID;
    /* a lobby still connecting asks once the connection is up */
    bool connecting = c->listing.lobby && c->phase == PHASE_CONNECTING;
    if (c->phase != PHASE_JOINED && c->phase != PHASE_LOBBY && !connecting)
        return RICOCHET_E_NOT_JOINED;
    snprintf(c->listing.prefix, sizeof c->listing.prefix, "%s", prefix);
    snprintf(c->listing.after, sizeof c->listing.after, "%s", after);
    c->listing.match = want;
    c->listing.asked = true;
    if (connecting)
        return RICOCHET_OK;
    return client_send_listing(c) == 0 ? RICOCHET_OK : RICOCHET_E_SEND;
}
