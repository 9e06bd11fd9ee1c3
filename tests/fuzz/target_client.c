/* target_client.c: fuzzes the client library's receive path (see targets.h)
 * through client_receive() on a detached client (client/lib/client_test.h).
 *
 * The fuzz bytes are a small program: a config byte (transport, reflect),
 * then operations that play the relay's side (welcome, joined, left, chat,
 * error, states on every channel, raw bytes, other control messages), move
 * the clock (and run the client's timers), poll, or send. After each one the
 * target checks: events are well-formed (ids, names, finite states, the mode
 * a state arrived in); room events come only after the welcome and one
 * welcome per join; the member table has no duplicate, no 0, not me, at most
 * PROTO_ROSTER_MAX entries, and agrees with the events; a late state from a
 * member who left is dropped; a member who left is gone after the next call;
 * udp only: error not_joined while joined starts a rejoin (not joined, table
 * empty after the next call, a new welcome accepted) and is ignored while
 * joining; a member silent for timeout_ms is expired by client_tick (LEFT
 * timeout), never earlier, comes back under its name with its next state, and
 * a relay's left about it gives no second event; recv_stats have
 * received <= expected (for senders whose sequence numbers span less than
 * 2^31) and the histograms count what they should; every
 * dropped state is counted; an error that ends the session gives exactly
 * one DISCONNECTED and then -1. */
#include <math.h>
#include <string.h>

#include "client/lib/client_test.h"
#include "proto/errors.h"
#include "sys/log.h"
#include "targets.h"

#define FC_RING 64 /* the client remembers this many departures */

/* What the client must remember of members who left, from its contract
 * rather than its code: every LEFT event is a numbered note, and an id is
 * remembered (with its newest note's fields) while fewer than FC_RING notes
 * came after that one. */
struct fc_departed {
    uint32_t id;              /* 0: free (or brought back) */
    uint64_t note;            /* the note's number: 1, 2, ... */
    bool expired;             /* by client_tick, not by the relay */
    enum proto_mode mode;
    char name[PROTO_NAME_MAX + 1];
};

struct fuzz_client {
    struct ricochet *c;
    bool udp;
    bool pseudo;              /* no channels (udp, tcp): everything on pchan */
    bool sender_streams;      /* QUIC (mode streams): channels, and states on streams of
                                 their senders' own (PROTO_CHANNEL_SENDER_STREAM) */
    uint8_t pchan;            /* PROTO_CHANNEL_DATAGRAM, _STREAM or _WEBSOCKET */
    enum proto_mode mode;
    uint64_t now;
    bool welcomed;            /* joined (udp: false again while rejoining) */
    bool clear_pending;       /* udp rejoin: the table empties on the next call */
    uint64_t timeout_us;      /* the client's timeout_ms */
    uint32_t my_id;
    bool end_expected;        /* an error event ended the session */
    char end_code[PROTO_CODE_MAX + 1];
    bool dead;                /* ... and a call since has seen it */
    bool disconnected_seen;   /* client_poll returned DISCONNECTED */
    bool light;               /* crowd op: check the table once at the end */
    unsigned long checks;     /* a big table is checked in full every 16th time */
    bool left_pending;        /* the last event was LEFT left_id */
    uint32_t left_id;
    struct fc_departed departed[FC_RING + 1]; /* at most FC_RING remembered at once */
    uint64_t notes;           /* LEFT events so far */
};

static struct fuzz_client fc;

/* How often the interesting paths ran, summed over all inputs (the smoke
 * test asserts the corpus reaches them). */
struct fuzz_client_reach {
    unsigned long welcomes, states, joined, left, chats, errors, disconnects,
        departed_drops, table_full, rejoins, expiries, comebacks, confirmed_expiries;
};
static struct fuzz_client_reach fuzz_client_reached;

static const char *const fc_names[] = {
    "alice", "bob", "carol", "x", "bad name", "", "n_23456789012345678901234567890123",
    "n2345678901234567890123456789012", /* 32 bytes: the longest valid */
};
static const char *const fc_texts[] = {
    "hi", "", "tab\\there", "caf\\u00e9", "\\u0000x", "hello world",
};
static const char *const fc_codes[] = {
    "room_full", "bad_name", "server_full", "rate_limited", "kicked", "shutting_down",
    "not_joined", "", "custom_code",
};
static const char *const fc_reasons[] = { "quit", "timeout", "kicked", "vanished" };
static const char *const fc_modes[] = { "unsequenced", "sequenced", "reliable", "udp", "x" };

/* Member ids: mostly a small pool (collisions are the interesting part),
 * sometimes 0, my own id or extremes. */
/* An error the relay ends a session with (PROTOCOL.md, Error codes). */
static bool ends_session(const char *code)
{
    const struct proto_error_info *e = proto_error_info(proto_error_from_name(code));
    return e && e->ends_session;
}

static uint32_t fc_id(uint8_t b)
{
    switch (b >> 5) {
    case 6: return b & 1 ? 0xFFFFFFFFu : 0x80000000u;
    case 7: return fc.my_id ? fc.my_id : 1;
    default: return b % 12; /* 0 included */
    }
}

static bool fc_remembered(const struct fc_departed *d)
{
    return d->id != 0 && fc.notes - d->note < FC_RING;
}

static struct fc_departed *fc_ring_find(uint32_t id)
{
    for (size_t i = 0; id != 0 && i < FC_RING + 1; i++)
        if (fc.departed[i].id == id && fc_remembered(&fc.departed[i]))
            return &fc.departed[i];
    return NULL;
}

/* A LEFT event about id (m: its table entry during the event, or NULL). */
static void fc_ring_note(uint32_t id, bool expired, const struct client_member *m)
{
    struct fc_departed *d = fc_ring_find(id);
    if (d)
        d->id = 0; /* the newest note of an id is the one remembered */
    fc.notes++;
    d = fc.departed;
    while (fc_remembered(d)) /* FC_RING + 1 entries: one is free */
        d++;
    memset(d, 0, sizeof *d);
    d->id = id;
    d->note = fc.notes;
    d->expired = expired;
    if (m) {
        snprintf(d->name, sizeof d->name, "%s", m->name);
        d->mode = m->mode;
    }
}

static void fc_ring_clear(void)
{
    memset(fc.departed, 0, sizeof fc.departed);
}

/* When the client last heard from m: udp expiry counts from here. */
static uint64_t fc_heard(const struct client_member *m)
{
    return m->last_recv_us > m->added_us ? m->last_recv_us : m->added_us;
}

static bool fc_finite(float x, float y, float vx, float vy, float heading)
{
    return isfinite(x) && isfinite(y) && isfinite(vx) && isfinite(vy) && isfinite(heading);
}

static void fc_check_stats(const struct recv_stats *st)
{
    FUZZ_CHECK(st->received <= recv_stats_expected(st));
    FUZZ_CHECK(recv_stats_lost(st) == recv_stats_expected(st) - st->received);
    FUZZ_CHECK(st->started || (st->received == 0 && recv_stats_expected(st) == 0));
    FUZZ_CHECK(st->no_latency <= st->received);
}

static int fc_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void fc_check_table(void)
{
    static uint32_t ids[PROTO_ROSTER_MAX + 1];
    size_t n;
    const struct client_member *m = client_members(fc.c, &n);
    FUZZ_CHECK(n <= PROTO_ROSTER_MAX);
    bool full = !fc.light && (n <= 32 || fc.checks++ % 16 == 0);
    if (!fc.welcomed && !fc.clear_pending)
        FUZZ_CHECK(n == 0);
    for (size_t i = 0; i < n && full; i++) {
        FUZZ_CHECK(m[i].id != 0 && m[i].id != fc.my_id);
        FUZZ_CHECK(m[i].name[0] == '\0' || proto_name_valid(m[i].name));
        FUZZ_CHECK((unsigned)m[i].mode < PROTO_MODE_COUNT);
        FUZZ_CHECK(m[i].added_us <= fc.now && m[i].last_recv_us <= fc.now);
        if (m[i].has_state)
            FUZZ_CHECK(m[i].last.sender == m[i].id &&
                       fc_finite(m[i].last.x, m[i].last.y, m[i].last.vx, m[i].last.vy,
                                 m[i].last.heading));
        fc_check_stats(&m[i].stats);
        if (i < 8 || i % 31 == 0) /* the lookup finds this entry (sampled: O(n) each) */
            FUZZ_CHECK(client_member(fc.c, m[i].id) == &m[i]);
        if (i < sizeof ids / sizeof ids[0])
            ids[i] = m[i].id;
    }
    if (full && n <= sizeof ids / sizeof ids[0]) { /* no duplicate ids */
        qsort(ids, n, sizeof ids[0], fc_cmp_u32);
        for (size_t i = 1; i < n; i++)
            FUZZ_CHECK(ids[i] != ids[i - 1]);
    }
    fc_check_stats(client_reflect_stats(fc.c));
    FUZZ_CHECK(client_rtt(fc.c)->total == client_reflect_stats(fc.c)->received);
    FUZZ_CHECK(ricochet_id(fc.c) == fc.my_id);
    FUZZ_CHECK(ricochet_joined(fc.c) == (fc.welcomed && !fc.dead));
}

/* What a state sent on channel/flags must arrive as; -1: must be dropped. */
static int fc_expected_mode(uint8_t channel, uint32_t flags)
{
    if (fc.pseudo)
        return channel == fc.pchan ? (int)fc.mode : -1;
    if (fc.sender_streams && channel == PROTO_CHANNEL_SENDER_STREAM)
        return PROTO_MODE_STREAMS; /* QUIC: a stream of the sender's own */
    /* PROTOCOL.md's channel table, written out (not read from proto/mode.c) */
    flags &= PROTO_FLAG_RELIABLE | PROTO_FLAG_UNSEQUENCED;
    if (channel == PROTO_CHANNEL_STATE && flags == PROTO_FLAG_UNSEQUENCED)
        return PROTO_MODE_UNSEQUENCED;
    if (channel == PROTO_CHANNEL_RELIABLE && flags == PROTO_FLAG_UNSEQUENCED)
        return PROTO_MODE_SEQUENCED;
    if (channel == PROTO_CHANNEL_RELIABLE && flags == PROTO_FLAG_RELIABLE)
        return PROTO_MODE_RELIABLE;
    return -1;
}

/* A notice's words travel in its event: the member's name, the code (a
 * left notice's reason), the text. */
static void fc_check_words(const struct ricochet_event *ev, const struct proto_control *ctl)
{
    const char *code = ctl->type == PROTO_CTL_LEFT ? proto_left_reason_name(ctl->reason)
                                                   : ctl->code;
    FUZZ_CHECK(strcmp(ev->name, ctl->name) == 0 && strcmp(ev->text, ctl->text) == 0 &&
               strcmp(ev->code, code) == 0);
}

/* Checks one event returned by client_receive (r == 1); ctl: the message
 * as the wire's decoder reads it, NULL if it is no control message. */
static void fc_check_event(const struct ricochet_event *ev, const struct proto_control *ctl,
                           uint8_t channel, uint32_t flags, bool was_member,
                           uint64_t member_received, uint64_t latency_before)
{
    FUZZ_CHECK(ev->recv_us == fc.now);
    if (ctl && ev->type != RICOCHET_EV_WELCOME && ev->type != RICOCHET_EV_ROOMS)
        fc_check_words(ev, ctl); /* a listing's text is its prefix (below) */
    switch (ev->type) {
    case RICOCHET_EV_WELCOME:
        FUZZ_CHECK(!fc.welcomed); /* a repeated welcome is no event */
        FUZZ_CHECK(ev->id != 0 && ctl && ctl->type == PROTO_CTL_WELCOME && ctl->id == ev->id);
        FUZZ_CHECK(ricochet_joined(fc.c) && ricochet_id(fc.c) == ev->id);
        fc.welcomed = true;
        fc.my_id = ev->id;
        fc_ring_clear(); /* the roster replaces what the client knew */
        {
            size_t n, distinct = 0;
            client_members(fc.c, &n);
            for (size_t i = 0; i < ctl->roster_len; i++) {
                uint32_t id = ctl->roster[i].id;
                bool later = false; /* a later entry for the same id wins */
                for (size_t j = i + 1; j < ctl->roster_len; j++)
                    later = later || ctl->roster[j].id == id;
                if (id == 0 || id == ev->id || later)
                    continue;
                distinct++;
                const struct client_member *m = client_member(fc.c, id);
                FUZZ_CHECK(m != NULL && m->stats.received == 0);
                FUZZ_CHECK(m->added_us == fc.now && m->last_recv_us == 0);
                FUZZ_CHECK(strcmp(m->name, ctl->roster[i].name) == 0);
                FUZZ_CHECK(m->mode == ctl->roster[i].mode);
            }
            FUZZ_CHECK(n == distinct);
        }
        fuzz_client_reached.welcomes++;
        break;
    case RICOCHET_EV_STATE: {
        FUZZ_CHECK(fc.welcomed && ctl == NULL);
        FUZZ_CHECK(ev->id != 0 && ev->state.sender == ev->id);
        FUZZ_CHECK(fc_finite(ev->state.x, ev->state.y, ev->state.vx, ev->state.vy,
                             ev->state.heading));
        FUZZ_CHECK((int)ev->mode == fc_expected_mode(channel, flags));
        if (ev->id != fc.my_id) {
            /* documented: a late state from a member who left is dropped;
             * one I expired myself comes back under its name; any other
             * unknown sender is listed with no name yet */
            const struct client_member *m = client_member(fc.c, ev->id);
            FUZZ_CHECK(m != NULL && m->has_state);
            if (!was_member) {
                struct fc_departed *d = fc_ring_find(ev->id);
                FUZZ_CHECK(d == NULL || d->expired);
                FUZZ_CHECK(strcmp(m->name, d ? d->name : "") == 0);
                FUZZ_CHECK(m->added_us == fc.now);
                if (d) {
                    FUZZ_CHECK(m->mode == d->mode);
                    d->id = 0;
                    fuzz_client_reached.comebacks++;
                }
            }
            FUZZ_CHECK(m->last_recv_us == fc.now);
            uint64_t fresh = m->stats.received - (was_member ? member_received : 0);
            FUZZ_CHECK(fresh <= 1);
            /* a latency only once both clocks' offsets are known */
            FUZZ_CHECK(client_latency(fc.c)->total ==
                       latency_before + (ev->latency_known ? fresh : 0));
        } else {
            FUZZ_CHECK(client_latency(fc.c)->total == latency_before);
        }
        fuzz_client_reached.states++;
        break;
    }
    case RICOCHET_EV_JOINED:
        FUZZ_CHECK(fc.welcomed && ev->id != 0 && ctl && ctl->type == PROTO_CTL_JOINED);
        FUZZ_CHECK(proto_name_valid(ctl->name) && (unsigned)ctl->mode < PROTO_MODE_COUNT);
        if (ev->id != fc.my_id) {
            const struct client_member *m = client_member(fc.c, ev->id);
            FUZZ_CHECK(m != NULL && strcmp(m->name, ctl->name) == 0 && m->mode == ctl->mode);
        }
        fuzz_client_reached.joined++;
        break;
    case RICOCHET_EV_LEFT:
        FUZZ_CHECK(fc.welcomed && ev->id != 0 && ctl && ctl->type == PROTO_CTL_LEFT);
        FUZZ_CHECK(proto_name_valid(ctl->name) && (unsigned)ctl->reason <= PROTO_LEFT_KICKED);
        fc.left_pending = true;
        fc.left_id = ev->id;
        fc_ring_note(ev->id, false, NULL);
        fuzz_client_reached.left++;
        break;
    case RICOCHET_EV_CHAT:
        FUZZ_CHECK(fc.welcomed && ev->id != 0 && ctl && ctl->type == PROTO_CTL_CHAT);
        FUZZ_CHECK(proto_name_valid(ctl->name) && proto_text_valid(ctl->text));
        fuzz_client_reached.chats++;
        break;
    case RICOCHET_EV_ERROR:
        FUZZ_CHECK(ev->id == 0 && ctl && ctl->type == PROTO_CTL_ERROR);
        FUZZ_CHECK(ctl->code[0] != '\0' && ctl->text[0] != '\0');
        if (fc.udp && strcmp(ctl->code, "not_joined") == 0) {
            /* the relay lost me: rejoin (ignored while joining) */
            FUZZ_CHECK(fc.welcomed && !ricochet_joined(fc.c) && ricochet_id(fc.c) == fc.my_id);
            fc.welcomed = false;
            fc.clear_pending = true;
            fc_ring_clear();
            fuzz_client_reached.rejoins++;
        } else if (!fc.welcomed || (fc.udp && ends_session(ctl->code))) {
            /* the session ends with the relay's code, refusal or not */
            fc.end_expected = true;
            snprintf(fc.end_code, sizeof fc.end_code, "%s", ctl->code);
        }
        fuzz_client_reached.errors++;
        break;
    case RICOCHET_EV_TOO_OLD: {
        /* sequenced only, from a member whose newest state is not older */
        FUZZ_CHECK(fc.welcomed && ctl == NULL);
        FUZZ_CHECK(ev->mode == RICOCHET_MODE_SEQUENCED &&
                   fc_expected_mode(channel, flags) == PROTO_MODE_SEQUENCED);
        const struct client_member *m = client_member(fc.c, ev->id);
        FUZZ_CHECK(m != NULL && m->has_state && m->stats.too_old > 0);
        FUZZ_CHECK(!proto_seq_after(ev->state.seq, m->last.seq));
        break;
    }
    case RICOCHET_EV_EVENT: {
        /* a game's event, binary: from a sender, to the room or to me, after the welcome */
        FUZZ_CHECK(fc.welcomed && ctl == NULL && ev->id != 0);
        FUZZ_CHECK(strcmp(ev->code, "room") == 0 || strcmp(ev->code, "direct") == 0);
        size_t n;
        const uint8_t *body = ricochet_event_bytes(fc.c, &n);
        FUZZ_CHECK(n <= PROTO_EVENT_BODY_MAX && (n == 0 || body != NULL));
        break;
    }
    case RICOCHET_EV_ROOM:
        /* my room changed, as the relay says: after the welcome, its view the message's */
        FUZZ_CHECK(fc.welcomed && ctl && ctl->type == PROTO_CTL_ROOM);
        FUZZ_CHECK(strcmp(ricochet_room_owner(fc.c), ctl->owner) == 0);
        FUZZ_CHECK(ricochet_room_open(fc.c) == !ctl->closed);
        break;
    case RICOCHET_EV_ROOMS: {
        /* a listing, kept whole for ricochet_rooms, at any time */
        FUZZ_CHECK(ctl && ctl->type == PROTO_CTL_ROOMS && ctl->listing);
        bool more = !ctl->more;
        FUZZ_CHECK(ricochet_rooms(fc.c, NULL, 0, &more) == ctl->rooms_len);
        FUZZ_CHECK(more == ctl->more && strcmp(ev->text, ctl->prefix) == 0);
        break;
    }
    default:
        FUZZ_CHECK(!"client_receive returned a DISCONNECTED or unknown event");
    }
}

/* Feeds one message and checks the outcome. must_drop: the message can
 * give no event; state: it is a state (a drop must be counted). */
static int fc_deliver(uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len,
                      bool must_drop, bool is_state)
{
    uint8_t *copy = malloc(len ? len : 1); /* exact size: over-reads are caught */
    FUZZ_CHECK(copy != NULL);
    if (len)
        memcpy(copy, bytes, len);

    /* the sender of a state, as the client will see it (0 if not a state) */
    struct proto_state s;
    uint32_t sender = is_state && proto_state_decode(copy, len, &s) == PROTO_OK ? s.sender : 0;
    bool pending_removal = fc.left_pending && fc.left_id == sender;
    const struct client_member *before = sender ? client_member(fc.c, sender) : NULL;
    bool was_member = before != NULL && !pending_removal;
    uint64_t member_received = before ? before->stats.received : 0;
    uint64_t latency_before = client_latency(fc.c)->total;
    uint64_t bad_before = client_bad_messages(fc.c);
    uint32_t left_id = fc.left_pending ? fc.left_id : 0;

    /* the message as a control message, decoded apart from the client's */
    static struct proto_control ctl;
    bool is_control = !is_state && proto_control_decode((const char *)copy, len, &ctl, NULL,
                                                        0) == PROTO_OK;

    struct ricochet_event ev;
    int r = client_receive(fc.c, channel, flags, copy, len, fc.now, &ev);
    free(copy);
    fc.left_pending = false;
    fc.clear_pending = false;
    FUZZ_CHECK(r >= -1 && r <= 1);
    if (r == -1) {
        FUZZ_CHECK(fc.end_expected); /* only an error ends a detached client */
        fc.dead = true;
    } else {
        FUZZ_CHECK(!fc.end_expected);
        FUZZ_CHECK(client_bad_messages(fc.c) >= bad_before);
        if (r == 1) {
            FUZZ_CHECK(!must_drop);
            fc_check_event(&ev, is_control ? &ctl : NULL, channel, flags, was_member,
                           member_received, latency_before);
        } else if (is_state) {
            /* dropped: counted bad, but for a member's state before my welcome
             * (it may overtake the welcome: no fault) */
            bool early = !fc.welcomed && sender != 0 && fc_expected_mode(channel, flags) >= 0;
            FUZZ_CHECK(client_bad_messages(fc.c) == bad_before + (early ? 0 : 1));
            if (sender && sender != fc.my_id && !was_member && fc.welcomed) {
                FUZZ_CHECK(client_member(fc.c, sender) == NULL);
                size_t n;
                client_members(fc.c, &n);
                struct fc_departed *d = fc_ring_find(sender);
                /* one I expired comes back, unless the table is full or it
                 * came on the other transport's channel */
                FUZZ_CHECK(d == NULL || !d->expired || n == PROTO_ROSTER_MAX ||
                           fc_expected_mode(channel, flags) < 0);
                if (d && !d->expired)
                    fuzz_client_reached.departed_drops++;
                else if (n == PROTO_ROSTER_MAX)
                    fuzz_client_reached.table_full++;
            }
        }
    }
    /* a member who left is gone now, unless this message brought it back */
    if (left_id && !(r == 1 && ev.type == RICOCHET_EV_JOINED && ev.id == left_id))
        FUZZ_CHECK(client_member(fc.c, left_id) == NULL);
    fc_check_table();
    return r;
}

static int fc_control(bool wrong_channel, bool must_drop, const char *json)
{
    uint8_t ch = fc.pseudo ? fc.pchan : PROTO_CHANNEL_CONTROL;
    if (wrong_channel)
        ch = fc.pseudo ? PROTO_CHANNEL_CONTROL : PROTO_CHANNEL_DATAGRAM;
    return fc_deliver(ch, PROTO_FLAG_RELIABLE, (const uint8_t *)json, strlen(json),
                      must_drop || wrong_channel, false);
}

/* Runs the client's timers at fc.now until nothing more is due: in udp
 * mode, while joined, every member silent for more than the timeout gets
 * one LEFT (timeout) made by the library, and no other does. */
static void fc_tick(void)
{
    for (int k = 0; k <= PROTO_ROSTER_MAX + 1; k++) {
        uint32_t left_id = fc.left_pending ? fc.left_id : 0;
        struct ricochet_event ev;
        int r = client_tick(fc.c, fc.now, &ev);
        fc.left_pending = false;
        fc.clear_pending = false;
        FUZZ_CHECK(r >= -1 && r <= 1);
        if (left_id)
            FUZZ_CHECK(client_member(fc.c, left_id) == NULL);
        if (r == -1) {
            FUZZ_CHECK(fc.end_expected);
            fc.dead = true;
            return;
        }
        FUZZ_CHECK(!fc.end_expected);
        size_t n;
        const struct client_member *ms = client_members(fc.c, &n);
        if (r == 0) {
            for (size_t i = 0; fc.udp && fc.welcomed && i < n; i++)
                FUZZ_CHECK(fc.now - fc_heard(&ms[i]) <= fc.timeout_us);
            fc_check_table();
            return;
        }
        FUZZ_CHECK(fc.udp && fc.welcomed && ev.type == RICOCHET_EV_LEFT);
        FUZZ_CHECK(ev.recv_us == fc.now && ev.id != 0 && ev.id != fc.my_id);
        const struct client_member *m = client_member(fc.c, ev.id);
        FUZZ_CHECK(m != NULL); /* still listed during the event */
        FUZZ_CHECK(fc.now > fc_heard(m) && fc.now - fc_heard(m) > fc.timeout_us);
        FUZZ_CHECK(strcmp(ev.code, "timeout") == 0 && strcmp(ev.name, m->name) == 0);
        fc_ring_note(ev.id, true, m);
        fc.left_pending = true;
        fc.left_id = ev.id;
        fuzz_client_reached.expiries++;
        fc_check_table();
    }
    FUZZ_CHECK(!"client_tick expired more members than the table holds");
}

/* Sends on the detached client as byte a says: a state, a chat line or a
 * mode switch, each answered as documented (ricochet.h's status codes). */
static void fc_send(uint8_t a)
{
    bool live = fc.welcomed && !fc.dead;
    uint32_t seq = client_next_seq(fc.c);
    if (a & 1) {
        struct proto_state s = { 0 };
        s.x = (float)a;
        int r = client_send_state(fc.c, &s, a);
        /* ENet: no peer, so not ready to send a state */
        FUZZ_CHECK(r == ((live && fc.udp) ? RICOCHET_OK : RICOCHET_E_NOT_JOINED));
        FUZZ_CHECK(client_next_seq(fc.c) == seq + (r == 0 ? 1u : 0u));
    } else if (a & 2) {
        bool empty = a & 4;
        int r = ricochet_send_chat(fc.c, empty ? "" : "hello");
        /* an empty line is invalid before all else; a detached ENet client
         * has no peer to send on */
        int want = empty ? RICOCHET_E_INVALID
                   : !live ? RICOCHET_E_NOT_JOINED
                   : fc.udp ? RICOCHET_OK : RICOCHET_E_SEND;
        FUZZ_CHECK(r == want);
    } else {
        enum proto_mode before = client_mode(fc.c);
        enum proto_mode mode = (enum proto_mode)((a >> 2) % (PROTO_MODE_COUNT + 1));
        int r = ricochet_set_mode(fc.c, (enum ricochet_mode)mode);
        int want = mode >= PROTO_MODE_COUNT ? RICOCHET_E_INVALID
                   : (!fc.pseudo && (mode < PROTO_MODE_UDP ||
                                     (fc.sender_streams && mode == PROTO_MODE_STREAMS)))
                       ? RICOCHET_OK
                   : RICOCHET_E_UNSUPPORTED;
        FUZZ_CHECK(r == want);
        FUZZ_CHECK(client_mode(fc.c) == (r == 0 ? mode : before));
    }
}

/* Appends ",\"state\":{...}" or ",\"state\":null" for a roster entry. */
static size_t fc_roster_state(char *buf, size_t cap, uint8_t b)
{
    if (!(b & 1))
        return (size_t)snprintf(buf, cap, ",\"state\":null");
    return (size_t)snprintf(buf, cap,
                            ",\"state\":{\"seq\":%u,\"t\":%llu,\"x\":%d.5,\"y\":%d,\"vx\":0,"
                            "\"vy\":-1,\"heading\":%s}",
                            (unsigned)(b >> 1), (unsigned long long)fc.now, b, b >> 4,
                            b & 2 ? "1e39" : "3.14");
}

/* A welcome with a roster. */
static void fc_op_welcome(struct fuzz_input *in, bool wrong)
{
    char json[8192];
    uint8_t a = fuzz_byte(in), k = fuzz_byte(in) % 9;
    size_t at = (size_t)snprintf(json, sizeof json,
                                 "{\"type\":\"welcome\",\"id\":%u,\"room\":\"r\",\"roster\":[",
                                 (unsigned)fc_id(a));
    for (uint8_t i = 0; i < k && at < sizeof json - 512; i++) {
        uint8_t idb = fuzz_byte(in), nb = fuzz_byte(in), sb = fuzz_byte(in);
        at += (size_t)snprintf(json + at, sizeof json - at,
                               "%s{\"id\":%u,\"name\":\"%s\",\"mode\":\"%s\"", i ? "," : "",
                               (unsigned)fc_id(idb), fc_names[nb % 8], fc_modes[(nb >> 3) % 5]);
        at += fc_roster_state(json + at, sizeof json - at, sb);
        at += (size_t)snprintf(json + at, sizeof json - at, "}");
    }
    snprintf(json + at, sizeof json - at, "]}");
    fc_control(wrong, false, json);
}

/* A joined notice. */
static void fc_op_joined(struct fuzz_input *in, bool wrong)
{
    char json[8192];
    uint8_t a = fuzz_byte(in), b = fuzz_byte(in);
    snprintf(json, sizeof json, "{\"type\":\"joined\",\"id\":%u,\"name\":\"%s\",\"mode\":\"%s\"}",
             (unsigned)fc_id(a), fc_names[b % 8], fc_modes[(b >> 3) % 5]);
    fc_control(wrong, false, json);
}

/* A left notice. */
static void fc_op_left(struct fuzz_input *in, bool wrong)
{
    char json[8192];
    uint8_t a = fuzz_byte(in), b = fuzz_byte(in);
    uint32_t id = fc_id(a);
    snprintf(json, sizeof json, "{\"type\":\"left\",\"id\":%u,\"name\":\"%s\",\"reason\":\"%s\"}",
             (unsigned)id, fc_names[b % 8], fc_reasons[(b >> 3) % 4]);
    /* about a member I expired myself: the relay confirms, no event */
    bool valid = !wrong && id != 0 && proto_name_valid(fc_names[b % 8]) &&
                 (b >> 3) % 4 < 3 && fc.welcomed && !fc.end_expected;
    bool listed = client_member(fc.c, id) != NULL && !(fc.left_pending && fc.left_id == id);
    struct fc_departed *d = valid && !listed ? fc_ring_find(id) : NULL;
    bool confirm = d && d->expired;
    int r = fc_control(wrong, confirm, json);
    if (confirm) {
        d->expired = false;
        fuzz_client_reached.confirmed_expiries++;
    } else if (valid) {
        FUZZ_CHECK(r == 1); /* a relay's left notice is an event */
    }
}

/* Chat, from a member or (id 0) in the client -> relay form. */
static void fc_op_chat(struct fuzz_input *in, bool wrong)
{
    char json[8192];
    uint8_t a = fuzz_byte(in), b = fuzz_byte(in);
    uint32_t id = fc_id(a);
    if (id)
        snprintf(json, sizeof json, "{\"type\":\"chat\",\"id\":%u,\"name\":\"%s\",\"text\":\"%s\"}",
                 (unsigned)id, fc_names[b % 8], fc_texts[(b >> 3) % 6]);
    else
        snprintf(json, sizeof json, "{\"type\":\"chat\",\"text\":\"%s\"}", fc_texts[(b >> 3) % 6]);
    fc_control(wrong, false, json);
}

/* An error. */
static void fc_op_error(struct fuzz_input *in, bool wrong)
{
    char json[8192];
    uint8_t a = fuzz_byte(in);
    snprintf(json, sizeof json, "{\"type\":\"error\",\"code\":\"%s\",\"message\":\"%s\"}",
             fc_codes[a % 9], fc_texts[(a >> 4) % 6]);
    /* udp: a join is never answered not_joined: while joining it is
     * stale (answers a ping or state sent before) and ignored */
    fc_control(wrong, fc.udp && !fc.welcomed && strcmp(fc_codes[a % 9], "not_joined") == 0,
               json);
}

/* A state on a channel chosen by a byte, maybe padded. */
static void fc_op_state(struct fuzz_input *in, bool wrong)
{
    (void)wrong;
    uint8_t sel = fuzz_byte(in), a = fuzz_byte(in);
    struct proto_state s = { 0 };
    s.sender = fc_id(a);
    if (sel & 0x80) /* any sequence number: jumps and wraps */
        s.seq = (uint32_t)fuzz_byte(in) << 24 | (uint32_t)fuzz_byte(in) << 16 |
                (uint32_t)fuzz_byte(in) << 8 | fuzz_byte(in);
    else
        s.seq = (uint32_t)fuzz_byte(in) << 8 | fuzz_byte(in);
    uint8_t d = fuzz_byte(in);
    s.send_us = d == 0xFF ? fc.now + 5000 : fc.now - (uint64_t)d * 100; /* clock skew too */
    s.x = (float)fuzz_byte(in);
    s.y = (float)fuzz_byte(in) / 3.0f;
    s.heading = -1.5f;
    uint8_t buf[PROTO_STATE_MAX + 8];
    memset(buf, 0xEE, sizeof buf);
    FUZZ_CHECK(proto_state_encode(buf, sizeof buf, &s) == PROTO_STATE_SIZE);
    size_t len = PROTO_STATE_SIZE;
    if (sel & 0x40)
        len = sel & 0x20 ? PROTO_STATE_MAX + 1 : PROTO_STATE_MAX; /* too long / max */
    uint8_t channel;
    uint32_t flags = 0;
    switch (sel % 8) {
    case 0: channel = PROTO_CHANNEL_STATE; flags = PROTO_FLAG_UNSEQUENCED; break;
    case 1: channel = PROTO_CHANNEL_STATE; break;
    case 2: channel = PROTO_CHANNEL_RELIABLE; flags = PROTO_FLAG_RELIABLE; break;
    case 3: channel = PROTO_CHANNEL_RELIABLE; flags = PROTO_FLAG_UNSEQUENCED; break;
    case 4: channel = PROTO_CHANNEL_CONTROL; flags = PROTO_FLAG_RELIABLE; break;
    case 5: channel = 7; break;
    default: channel = PROTO_CHANNEL_DATAGRAM; break;
    }
    if (fc.pseudo && sel % 8 < 6 && !(sel & 0x10))
        channel = fc.pchan; /* mostly the right one */
    if (fc.sender_streams && sel % 8 == 7)
        channel = PROTO_CHANNEL_SENDER_STREAM;
    bool must_drop = s.sender == 0 || !fc.welcomed || len > PROTO_STATE_MAX ||
                     fc_expected_mode(channel, flags) < 0;
    fc_deliver(channel, flags, buf, len, must_drop, true);
}

/* Raw bytes on any channel. */
static void fc_op_raw(struct fuzz_input *in, bool wrong)
{
    (void)wrong;
    uint8_t chsel = fuzz_byte(in), flags = fuzz_byte(in) % 4;
    size_t len = fuzz_byte(in);
    if (len >= 0xF0)
        len = (len - 0xF0) * 300;
    uint8_t channel = chsel >= 0xF0 ? chsel : (uint8_t)(chsel % 4);
    if (channel == 3)
        channel = fc.pseudo ? fc.pchan : PROTO_CHANNEL_DATAGRAM;
    uint8_t *buf = fuzz_take(in, len);
    bool pseudo = proto_channel_bare(channel);
    bool is_state = channel == PROTO_CHANNEL_STATE || channel == PROTO_CHANNEL_RELIABLE ||
                    (pseudo && (len == 0 || buf[0] != '{'));
    if (fc.pseudo ? channel != fc.pchan
                  : pseudo && !(fc.sender_streams && channel == PROTO_CHANNEL_SENDER_STREAM))
        is_state = false; /* dropped before it is looked at */
    fc_deliver(channel, flags, buf, len, false, is_state);
    free(buf);
}

/* Time passes, and the client's timers run. */
static void fc_op_time(struct fuzz_input *in, bool wrong)
{
    (void)wrong;
    uint8_t a = fuzz_byte(in);
    fc.now += a == 0xFF ? 3600ull * 1000000 : (uint64_t)a * 1000;
    fc_tick();
}

/* Other control messages: none gives an event. */
static void fc_op_other(struct fuzz_input *in, bool wrong)
{
    static const char *const msgs[] = {
        "{\"type\":\"pong\",\"t\":1}", "{\"type\":\"ping\",\"t\":2}",
        "{\"type\":\"leave\"}", "{\"type\":\"join\",\"version\":2,\"room\":\"r\",\"name\":\"a\"}",
        "{\"type\":\"welcome\",\"id\":0,\"room\":\"r\",\"roster\":[]}",
        "{\"type\":\"joined\",\"id\":0,\"name\":\"zed\"}",
        "{\"type\":\"left\",\"id\":0,\"name\":\"zed\",\"reason\":\"quit\"}",
        "{\"type\":\"nope\"}",
    };
    fc_control(wrong, true, msgs[fuzz_byte(in) % 8]);
}

/* Poll: detached, it only hands out the end of the session. */
static void fc_op_poll(struct fuzz_input *in, bool wrong)
{
    (void)wrong;
    struct ricochet_event ev;
    int r = ricochet_poll(fc.c, fuzz_byte(in) & 1 ? 5 : 0, &ev);
    fc.left_pending = false;
    fc.clear_pending = false;
    if (fc.end_expected)
        fc.dead = true;
    if (fc.end_expected && !fc.disconnected_seen) {
        FUZZ_CHECK(r == 1 && ev.type == RICOCHET_EV_DISCONNECTED && ev.code[0] != '\0');
        FUZZ_CHECK(ev.id == fc.my_id && !ricochet_joined(fc.c));
        FUZZ_CHECK(strcmp(ev.code, fc.end_code) == 0);
        fc.disconnected_seen = true;
        fuzz_client_reached.disconnects++;
    } else if (fc.end_expected) {
        FUZZ_CHECK(r == -1);
    } else {
        FUZZ_CHECK(r == 0);
    }
    fc_check_table();
}

/* Sending on a detached client: no socket, no crash. */
static void fc_op_send(struct fuzz_input *in, bool wrong)
{
    (void)wrong;
    fc_send(fuzz_byte(in));
}

/* A crowd: states from many new senders, past the table's cap. */
static void fc_op_crowd(struct fuzz_input *in, bool wrong)
{
    (void)wrong;
    uint8_t a = fuzz_byte(in), b = fuzz_byte(in);
    uint32_t base = 1000u + (uint32_t)a * 1000u;
    fc.light = true;
    uint32_t count = b & 0x80 ? 240u + b % 32u : b % 16u; /* past the cap, or a few */
    for (uint32_t i = 0; i < count; i++) {
        struct proto_state s = { 0 };
        s.sender = base + i;
        s.seq = i;
        s.send_us = fc.now;
        uint8_t buf[PROTO_STATE_SIZE];
        FUZZ_CHECK(proto_state_encode(buf, sizeof buf, &s) == PROTO_STATE_SIZE);
        uint8_t ch = fc.pseudo ? fc.pchan : PROTO_CHANNEL_STATE;
        fc_deliver(ch, 0, buf, sizeof buf, !fc.welcomed, true);
        if (fc.dead)
            break;
    }
    fc.light = false;
    fc.checks = 0; /* the next check is full */
    fc_check_table();
}

/* One operation of an input, chosen by its first byte (op % 12; an op
 * of 0xF8 or more sends control messages on the other transport's
 * channel). */
static void (*const fc_ops[12])(struct fuzz_input *in, bool wrong) = {
    fc_op_welcome,
    fc_op_joined,
    fc_op_left,
    fc_op_chat,
    fc_op_error,
    fc_op_state,
    fc_op_raw,
    fc_op_time,
    fc_op_other,
    fc_op_poll,
    fc_op_send,
    fc_op_crowd,
};

static void fc_op(struct fuzz_input *in)
{
    uint8_t op = fuzz_byte(in);
    fc_ops[op % 12](in, op >= 0xF8);
}

int fuzz_target_client(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    memset(&fc, 0, sizeof fc);
    fc.now = 1000000;

    uint8_t c0 = fuzz_byte(&in);
    struct client_config cfg = { 0 };
    cfg.room = "r";
    cfg.name = "me";
    cfg.mode = (enum proto_mode)(c0 % PROTO_MODE_COUNT);
    cfg.reflect = c0 & 4;
    cfg.timeout_ms = c0 & 8 ? 300 : 0; /* 0: the default, 5 s */
    fc.timeout_us = (c0 & 8 ? 300u : 5000u) * 1000u;
    fc.udp = cfg.mode == PROTO_MODE_UDP;
    fc.mode = cfg.mode;
    fc.sender_streams = cfg.mode == PROTO_MODE_STREAMS; /* QUIC's: channels, and streams */
    fc.pseudo = !proto_mode_info(cfg.mode)->enet && !fc.sender_streams; /* udp, tcp, ws */
    fc.pchan = fc.pseudo ? proto_mode_info(cfg.mode)->up_channel : PROTO_CHANNEL_DATAGRAM;

    log_threshold = LOG_OFF;
    char err[128];
    fc.c = client_create_detached(&cfg, err, sizeof err);
    FUZZ_CHECK(fc.c != NULL);
    FUZZ_CHECK(ricochet_id(fc.c) == 0 && !ricochet_joined(fc.c));
    FUZZ_CHECK(client_mode(fc.c) == cfg.mode);
    while (in.left > 0)
        fc_op(&in);
    fc.checks = 0;
    fc_check_table();
    ricochet_close(fc.c);
    fc.c = NULL;
    return 0;
}
