/* client.c: the client library (see client.h).
 *
 * Two transports behind one API:
 * - ENet: one ENetHost with one peer, or one peer of a shared host (a hub).
 *   Control JSON on channel 0 (reliable), state on channel 1 (unsequenced or
 *   sequenced) or 2 (reliable). The join is sent as soon as the connection is
 *   up. Both kinds hand ENet's events to enet_handle.
 * - udp (PROTO_MODE_UDP): one plain datagram socket, sendto/recvfrom. The
 *   join is repeated every 250 ms until a welcome or an error arrives; a ping
 *   keeps the relay (and us) aware the other side is alive; leave on destroy.
 *   Notices are best effort there, so the client repairs what a lost one
 *   would leave wrong: error not_joined (the relay expired us or restarted)
 *   sends it back to joining, and a member silent for timeout_ms is expired
 *   here as the relay would (LEFT, reason timeout).
 *
 * Both hand every received message to receive(), which client_receive()
 * (client_test.h) also calls for tests and fuzzing: the receive path is one
 * function, testable without a socket.
 *
 * client_poll returns at most one event per received message, so the
 * control pointer of an event (c->ctl) stays valid until the next poll. */
#include "client.h"
#include "client_test.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <enet/enet.h>

#include "../proto/clock.h"
#include "../proto/errors.h"
#include "../proto/log.h"
#include "../proto/netaddr.h"
#include "../proto/sniff.h"

#define CLIENT_DEFAULT_TIMEOUT_MS 5000
#define UDP_JOIN_RETRY_US 250000   /* join resend interval (udp) */
#define UDP_PING_IDLE_US 1000000   /* ping after this long without traffic */
#define UDP_CTL_MIN 64             /* control datagrams padded to this (udp_pad) */
#define CLOCK_PING_US 1000000      /* clock pings, both transports */
#define CLOCK_FAST_PING_US 100000  /* ... for the first CLOCK_FAST_PINGS */
#define CLOCK_FAST_PINGS 10
#define DESTROY_WAIT_MS 100        /* bounded polite disconnect */
#define DEPARTED_MAX 64            /* ids remembered after they left */
#define MEMBERS_MAX PROTO_ROSTER_MAX /* others in my room: a relay room holds at most this many */
#define CTL_SEND_MAX 2048          /* our outgoing control messages are small */
#define UDP_RECV_MAX (PROTO_CONTROL_MAX + 1) /* above any UDP payload: never truncated */
#define HUB_SOCKET_BUFFER (4 << 20) /* a hub's socket takes bursts for all its clients */
#define HUB_ROUNDS 64               /* enet_host_service calls per client_hub_service, at
                                       most: each reads up to 256 datagrams and walks
                                       every peer slot to send */

_Static_assert(PROTO_FLAG_RELIABLE == ENET_PACKET_FLAG_RELIABLE &&
                   PROTO_FLAG_UNSEQUENCED == ENET_PACKET_FLAG_UNSEQUENCED,
               "client_test.h flags are ENet's packet flags");

/* A member that left my room, remembered so that a late state does not list
 * it again. expired: I expired it myself (udp, no state for timeout_ms) and
 * the relay may still have it, so a state from it lists it again under its
 * name. */
struct departed {
    uint32_t id;               /* 0: free slot */
    bool expired;
    enum proto_mode mode;
    char name[PROTO_NAME_MAX + 1];
};

enum client_phase {
    PHASE_CONNECTING, /* ENet handshake (or udp: sending join) */
    PHASE_JOINING,    /* join sent, waiting for welcome (udp: also rejoining) */
    PHASE_JOINED,
    PHASE_DEAD        /* disconnected; DISCONNECTED event still to return */
};

struct client {
    char host[256];
    char room[PROTO_ROOM_MAX + 1];
    char name[PROTO_NAME_MAX + 1];
    uint16_t port;
    bool reflect;
    uint32_t timeout_ms;
    enum proto_mode mode;
    bool udp;                 /* plain-UDP transport */
    bool detached;            /* no socket: client_create_detached */

    enum client_phase phase;
    bool final_returned;      /* DISCONNECTED handed out: poll returns -1 */
    bool fail_after_event;    /* a join error: disconnect on the next poll */
    char dead_code[PROTO_CODE_MAX + 1];
    char dead_text[PROTO_TEXT_MAX + 1];
    char dead_why[PROTO_TEXT_MAX + PROTO_CODE_MAX + 64]; /* client_end_reason() */
    char cookie[PROTO_COOKIE_LEN + 1]; /* udp: the relay's last cookie, echoed in joins */
    /* ENet: the last error that ends a session (kicked, shutting_down, ...):
     * the disconnect that follows is explained by it ("" = none yet). */
    char farewell_code[PROTO_CODE_MAX + 1];
    char farewell_text[PROTO_TEXT_MAX + 1];
    uint64_t created_us;
    uint64_t join_started_us; /* the join (or udp rejoin) deadline counts from here */
    bool rejoin_pending;      /* udp: expired by the relay; clear the table on the next poll */
    uint32_t id;
    uint32_t next_seq;

    union netaddr relay;      /* IPv4 or IPv6 (udp); IPv4 (ENet) */
    bool other_transport;     /* the relay answered in the other transport's tongue */

    /* ENet transport */
    ENetHost *enet;           /* my own host (NULL on a hub) */
    ENetPeer *peer;
    struct client_hub *hub;   /* the shared host I am a peer of, or NULL */
    void *user;               /* cfg.user, for the hub's callback */

    /* udp transport */
    int fd;
    uint64_t next_join_us;
    uint64_t last_send_us, last_recv_us, last_ping_us;
    uint8_t *rxbuf;           /* UDP_RECV_MAX bytes */

    /* wire counters (ENet's 32-bit host counters are harvested here) */
    uint64_t bytes_sent, bytes_received, dgrams_sent, dgrams_received;
    uint64_t bad_messages;    /* dropped: undecodable or unexpected */
    uint64_t too_old;         /* sequenced states dropped: a newer one from the
                                 same sender was already delivered */

    /* members of my room, not me */
    struct client_member *members;
    size_t n_members, cap_members;
    bool remove_pending;      /* a member left: remove on the next poll */
    bool remove_expired;      /* ... and it was my own expiry, not the relay's notice */
    uint32_t remove_id;
    struct departed departed[DEPARTED_MAX];
    size_t departed_next;

    struct histogram latency;     /* one-way latency of others' states */
    struct histogram rtt;         /* my reflected states */
    struct recv_stats reflect_stats;

    struct proto_control ctl;     /* last control message, for events */

    /* clock offset to the relay (pings, PROTOCOL.md "Clock offset") */
    struct clock_sync clock;
    uint64_t next_ping_us;        /* next clock ping */
    struct clock_sync announced;  /* the estimate the room has (valid: announced) */
    unsigned clock_samples;
    bool clock_changed;           /* announce it at the next step */
};

struct client_hub {
    ENetHost *host;
    /* wire counters (ENet's 32-bit host counters are harvested here) */
    uint64_t bytes_sent, bytes_received, dgrams_sent, dgrams_received;
};

static bool enet_ready;

static void enet_cleanup(void)
{
    enet_deinitialize();
}

/* ENet once per process. Returns 0, or -1 with a message in err. */
static int enet_init_once(char *err, size_t err_cap)
{
    if (enet_ready)
        return 0;
    if (enet_initialize() != 0) {
        snprintf(err, err_cap, "client: enet_initialize failed");
        return -1;
    }
    atexit(enet_cleanup);
    enet_ready = true;
    return 0;
}

/* ---- members ---- */

static struct client_member *member_find(const struct client *c, uint32_t id)
{
    for (size_t i = 0; i < c->n_members; i++)
        if (c->members[i].id == id)
            return &c->members[i];
    return NULL;
}

static struct departed *departed_find(struct client *c, uint32_t id)
{
    for (size_t i = 0; id != 0 && i < DEPARTED_MAX; i++)
        if (c->departed[i].id == id)
            return &c->departed[i];
    return NULL;
}

/* Remembers id as departed (m: its last table entry, may be NULL) in a
 * ring of the last DEPARTED_MAX notes, one entry per id. */
static void departed_note(struct client *c, uint32_t id, const struct client_member *m,
                          bool expired)
{
    struct departed *d = departed_find(c, id);
    if (d)
        d->id = 0; /* one entry per id: the newest */
    d = &c->departed[c->departed_next];
    c->departed_next = (c->departed_next + 1) % DEPARTED_MAX;
    memset(d, 0, sizeof *d);
    d->id = id;
    d->expired = expired;
    if (m) {
        snprintf(d->name, sizeof d->name, "%s", m->name);
        d->mode = m->mode;
    }
}

/* Adds (or returns) the member with this id, listed since now if new; NULL
 * if the table is full (only a misbehaving relay announces more) or out of
 * memory. */
static struct client_member *member_add(struct client *c, uint32_t id, const char *name,
                                        enum proto_mode mode, uint64_t now)
{
    struct client_member *m = member_find(c, id);
    if (!m) {
        if (c->n_members == MEMBERS_MAX)
            return NULL;
        if (c->n_members == c->cap_members) {
            size_t cap = c->cap_members ? c->cap_members * 2 : 16;
            struct client_member *bigger =
                realloc(c->members, cap * sizeof *bigger);
            if (!bigger)
                return NULL;
            c->members = bigger;
            c->cap_members = cap;
        }
        m = &c->members[c->n_members++];
        memset(m, 0, sizeof *m);
        m->id = id;
        m->added_us = now;
        recv_stats_reset(&m->stats);
    }
    if (name && *name)
        snprintf(m->name, sizeof m->name, "%s", name);
    m->mode = mode;
    return m;
}

/* expired: my own guess (udp), not the relay's word. */
static void member_remove(struct client *c, uint32_t id, bool expired)
{
    struct client_member *m = member_find(c, id);
    departed_note(c, id, m, expired);
    if (m) {
        *m = c->members[c->n_members - 1];
        c->n_members--;
    }
}

/* The roster of a welcome replaces everything known about the room (after a
 * udp rejoin the relay may even be a new one that reuses ids). */
static void members_clear(struct client *c)
{
    c->n_members = 0;
    c->remove_pending = false;
    memset(c->departed, 0, sizeof c->departed);
    c->departed_next = 0;
}

/* udp: the relay's left notice may be lost. A member I have not had a
 * state from for timeout_ms (counted from when I listed it if it never
 * sent one) is gone as far as I can tell: LEFT, reason timeout, as the
 * relay would say. Returns 1 with *ev for the first such member, or 0. */
static int member_expire(struct client *c, uint64_t now, struct client_event *ev)
{
    if (!c->udp || c->phase != PHASE_JOINED || c->remove_pending)
        return 0;
    uint64_t timeout_us = (uint64_t)c->timeout_ms * 1000u;
    for (size_t i = 0; i < c->n_members; i++) {
        const struct client_member *m = &c->members[i];
        uint64_t heard = m->last_recv_us > m->added_us ? m->last_recv_us : m->added_us;
        if (now <= heard || now - heard <= timeout_us)
            continue;
        memset(&c->ctl, 0, sizeof c->ctl);
        c->ctl.type = PROTO_CTL_LEFT;
        c->ctl.id = m->id;
        snprintf(c->ctl.name, sizeof c->ctl.name, "%s", m->name);
        c->ctl.mode = m->mode;
        c->ctl.reason = PROTO_LEFT_TIMEOUT;
        /* Kept until the next poll, like a notice's member. */
        c->remove_pending = true;
        c->remove_expired = true;
        c->remove_id = m->id;
        ev->type = CLIENT_EV_LEFT;
        ev->id = m->id;
        ev->recv_us = now;
        ev->control = &c->ctl;
        log_debug("client %s: member %u silent for %u ms: expired", c->name,
                  (unsigned)m->id, (unsigned)c->timeout_ms);
        return 1;
    }
    return 0;
}

/* ---- sending ---- */

static void udp_send(struct client *c, const void *buf, size_t len)
{
    if (c->fd < 0)
        return; /* detached: no socket */
    ssize_t n = sendto(c->fd, buf, len, 0, &c->relay.sa, netaddr_len(&c->relay));
    if (n < 0) {
        log_debug("client: sendto: %s", strerror(errno));
        return;
    }
    c->bytes_sent += (uint64_t)n;
    c->dgrams_sent++;
    c->last_send_us = clock_now_us();
}

/* The relay answers an endpoint it has not verified with no more bytes
 * than it sent (PROTOCOL.md, return routability): a short ping after the
 * relay forgot us would get no not_joined. Pads buf (CTL_SEND_MAX) with an
 * unknown field up to UDP_CTL_MIN bytes; returns the new length. */
static size_t udp_pad(char *buf, size_t len)
{
    if (len >= UDP_CTL_MIN || len < 2 || buf[len - 1] != '}')
        return len;
    size_t pad = UDP_CTL_MIN - len; /* ,"pad":"" is 9 bytes, then pad - 9 x */
    if (pad < 9)
        pad = 9;
    memcpy(buf + len - 1, ",\"pad\":\"", 8);
    memset(buf + len + 7, 'x', pad - 9);
    memcpy(buf + len + pad - 2, "\"}", 2);
    return len + pad;
}

/* Encodes and sends one control message. Returns 0 or -1. */
static int send_control(struct client *c, const struct proto_control *m)
{
    char buf[CTL_SEND_MAX];
    int len = proto_control_encode(buf, sizeof buf, m);
    if (len < 0)
        return -1;
    if (c->udp) {
        udp_send(c, buf, (size_t)udp_pad(buf, (size_t)len));
        return 0;
    }
    if (!c->peer || c->peer->state != ENET_PEER_STATE_CONNECTED)
        return -1;
    ENetPacket *p = enet_packet_create(buf, (size_t)len, ENET_PACKET_FLAG_RELIABLE);
    if (!p)
        return -1;
    if (enet_peer_send(c->peer, PROTO_CHANNEL_CONTROL, p) != 0) {
        enet_packet_destroy(p);
        return -1;
    }
    return 0;
}

static void send_join(struct client *c)
{
    struct proto_control m;
    memset(&m, 0, sizeof m);
    m.type = PROTO_CTL_JOIN;
    snprintf(m.room, sizeof m.room, "%s", c->room);
    snprintf(m.name, sizeof m.name, "%s", c->name);
    m.mode = c->mode;
    m.reflect = c->reflect;
    memcpy(m.cookie, c->cookie, sizeof m.cookie);
    if (send_control(c, &m) != 0)
        log_warn("client %s: could not send join", c->name);
}

static void send_simple(struct client *c, enum proto_ctl_type type, uint64_t t)
{
    struct proto_control m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.t = t;
    send_control(c, &m);
}

/* Is the estimate different enough from the one the room has? Every
 * announcement goes to every member, so only a bound halved or doubled, or
 * an offset moved past the announced bound (drift) is worth one: a few per
 * session. Later joiners get it in their welcome's roster. */
static bool clock_worth_announcing(const struct client *c)
{
    const struct clock_sync *now = &c->clock, *ann = &c->announced;
    int64_t moved = now->offset_us - ann->offset_us;
    uint64_t dist = moved < 0 ? (uint64_t)0 - (uint64_t)moved : (uint64_t)moved;
    return !ann->valid || now->bound_us * 2 < ann->bound_us ||
           now->bound_us > ann->bound_us * 2 || dist > ann->bound_us;
}

/* Clock offset to the relay: a ping every CLOCK_PING_US (faster for the
 * first few samples), and my offset announced to the room when it changed
 * enough. */
static void clock_step(struct client *c, uint64_t now)
{
    if (c->phase != PHASE_JOINED)
        return;
    if (now >= c->next_ping_us) {
        send_simple(c, PROTO_CTL_PING, now);
        c->last_ping_us = now;
        c->next_ping_us = now + (c->clock_samples < CLOCK_FAST_PINGS ? CLOCK_FAST_PING_US
                                                                      : CLOCK_PING_US);
    }
    if (c->clock.valid && c->clock_changed && clock_worth_announcing(c)) {
        struct proto_control m;
        memset(&m, 0, sizeof m);
        m.type = PROTO_CTL_CLOCK;
        m.clock_offset_us = c->clock.offset_us;
        m.clock_bound_us = c->clock.bound_us;
        send_control(c, &m);
        c->announced = c->clock;
    }
    c->clock_changed = false;
}

/* ---- receiving ---- */

/* Marks the client dead with a reason; the next poll returns DISCONNECTED. */
static void go_dead(struct client *c, const char *code, const char *text)
{
    if (c->phase == PHASE_DEAD)
        return;
    /* A relay's error code: it refused the join, or ended the session. */
    enum proto_error_code relay_code = proto_error_from_name(code);
    if (relay_code != PROTO_ERROR_NONE)
        proto_error_describe(c->dead_why, sizeof c->dead_why, relay_code, text,
                             c->phase == PHASE_JOINED);
    else
        snprintf(c->dead_why, sizeof c->dead_why, "%s (%s)", text, code);
    c->phase = PHASE_DEAD;
    snprintf(c->dead_code, sizeof c->dead_code, "%s", code);
    snprintf(c->dead_text, sizeof c->dead_text, "%s", text);
    if (c->peer) {
        /* Best-effort notice to the relay, then forget the peer (a hub
         * must not hand its slot's later events to me). */
        c->peer->data = NULL;
        enet_peer_disconnect_now(c->peer, 0);
        c->peer = NULL;
    }
}

static void bad_message(struct client *c, const char *what, int err)
{
    c->bad_messages++;
    log_debug("client %s: dropped %s: %s", c->name, what, proto_strerror(err));
}

static int handle_state(struct client *c, const uint8_t *buf, size_t len,
                        enum proto_mode arrived_as, uint64_t now,
                        struct client_event *ev)
{
    struct proto_state s;
    int r = proto_state_decode(buf, len, &s);
    if (r != PROTO_OK) {
        bad_message(c, "state", r);
        return 0;
    }
    int64_t lat = (int64_t)(now - s.send_us); /* my own reflected state: my clock */
    uint64_t bound = 0;
    if (c->phase != PHASE_JOINED || s.sender == 0) {
        bad_message(c, "state before welcome or without sender", PROTO_E_VALUE);
        return 0;
    }
    if (s.sender == c->id) {
        recv_stats_record(&c->reflect_stats, s.seq, s.send_us, now, &c->rtt);
    } else {
        struct client_member *m = member_find(c, s.sender);
        if (!m) {
            /* A state may overtake the joined notice (different channels,
             * or a lost notice in udp): the sender is listed with no name
             * until the notice comes. A late state from a member who left
             * is dropped; one from a member I expired myself lists it
             * again (it was only quiet). */
            struct departed *d = departed_find(c, s.sender);
            if (d && !d->expired) {
                bad_message(c, "state from a member who left", PROTO_E_VALUE);
                return 0;
            }
            m = member_add(c, s.sender, d ? d->name : "", d ? d->mode : arrived_as, now);
            if (!m) {
                bad_message(c, "state from a member too many", PROTO_E_VALUE);
                return 0;
            }
            if (d)
                d->id = 0;
        }
        /* Sequenced keeps each sender's order here, not in ENet: the relay
         * forwards it unsequenced, so one sender's late state never costs
         * another sender's (PROTOCOL.md, delivery modes). */
        if (proto_mode_info(arrived_as)->filter == PROTO_FILTER_DROP_OLD && m->has_state &&
            !proto_seq_after(s.seq, m->last.seq)) {
            m->stats.too_old++;
            c->too_old++;
            ev->type = CLIENT_EV_TOO_OLD; /* reported, not delivered: benchmarks count it */
            ev->id = s.sender;
            ev->state = s;
            ev->arrived_as = arrived_as;
            ev->recv_us = now;
            return 1;
        }
        /* One-way latency corrected by both clocks' offsets to the relay
         * (the same as now - send_us on one host); recv_stats takes the
         * send time on my clock. */
        lat = clock_sync_latency(&c->clock, &m->clock, s.send_us, now, &bound);
        m->lat_bound_us = bound;
        int fresh = recv_stats_record(&m->stats, s.seq, now - (uint64_t)lat, now, &c->latency);
        if (!m->has_state || (fresh && proto_seq_after(s.seq, m->last.seq))) {
            m->last = s;
            m->has_state = true;
        }
        m->last_recv_us = now;
    }
    ev->type = CLIENT_EV_STATE;
    ev->id = s.sender;
    ev->state = s;
    ev->latency_us = lat;
    ev->latency_bound_us = bound;
    ev->arrived_as = arrived_as;
    ev->recv_us = now;
    return 1;
}

static int handle_control(struct client *c, const char *buf, size_t len,
                          uint64_t now, struct client_event *ev)
{
    char why[128];
    struct proto_control *m = &c->ctl;
    int r = proto_control_decode(buf, len, m, why, sizeof why);
    if (r != PROTO_OK) {
        c->bad_messages++;
        log_debug("client %s: dropped control message: %s", c->name, why);
        return 0;
    }
    /* Room notices are about a member (the decoder lets a chat without id
     * through: that is the client -> relay form), and only once I am in
     * the room: before the welcome, its roster is the truth. */
    if ((m->type == PROTO_CTL_JOINED || m->type == PROTO_CTL_LEFT ||
         m->type == PROTO_CTL_CHAT) &&
        (c->phase != PHASE_JOINED || m->id == 0)) {
        bad_message(c, "notice before welcome or without id", PROTO_E_VALUE);
        return 0;
    }
    ev->recv_us = now;
    ev->control = m;
    ev->id = m->id;
    switch (m->type) {
    case PROTO_CTL_WELCOME:
        if (c->phase == PHASE_JOINED)
            return 0; /* udp: answer to a repeated join */
        if (m->id == 0) {
            bad_message(c, "welcome with id 0", PROTO_E_VALUE);
            return 0;
        }
        c->id = m->id;
        c->phase = PHASE_JOINED;
        members_clear(c);
        for (size_t i = 0; i < m->roster_len; i++) {
            const struct proto_member *pm = &m->roster[i];
            if (pm->id == c->id || pm->id == 0)
                continue;
            struct client_member *cm = member_add(c, pm->id, pm->name, pm->mode, now);
            if (cm && pm->has_clock)
                cm->clock = (struct clock_sync){.valid = true, .offset_us = pm->clock_offset_us,
                                                .bound_us = pm->clock_bound_us, .at_us = now};
            if (cm && pm->has_state) {
                /* The last known state, not a delivery: not counted. */
                cm->has_state = true;
                cm->last = pm->state;
                cm->last.sender = pm->id;
            }
        }
        ev->type = CLIENT_EV_WELCOME;
        log_debug("client %s: joined room %s as %u (%zu others)", c->name,
                  m->room, (unsigned)c->id, c->n_members);
        return 1;
    case PROTO_CTL_JOINED:
        if (m->id != c->id && !member_add(c, m->id, m->name, m->mode, now)) {
            bad_message(c, "joined: one member too many", PROTO_E_VALUE);
            return 0;
        }
        ev->type = CLIENT_EV_JOINED;
        return 1;
    case PROTO_CTL_LEFT:
        if (!member_find(c, m->id)) {
            struct departed *d = departed_find(c, m->id);
            if (d && d->expired) {
                /* I expired it already and said so: one LEFT per member. */
                d->expired = false;
                return 0;
            }
        }
        /* Kept until the next poll so the caller can read its stats. */
        c->remove_pending = true;
        c->remove_expired = false;
        c->remove_id = m->id;
        ev->type = CLIENT_EV_LEFT;
        return 1;
    case PROTO_CTL_CHAT:
        ev->type = CLIENT_EV_CHAT;
        return 1;
    case PROTO_CTL_ERROR: {
        ev->type = CLIENT_EV_ERROR;
        ev->id = 0;
        enum proto_error_code code = proto_error_from_name(m->code);
        const struct proto_error_info *info = proto_error_info(code);
        bool ends = info && info->ends_session;
        if (c->udp && code == PROTO_ERROR_NOT_JOINED) {
            /* The relay no longer has me: it expired me (I was silent past
             * its timeout) or it restarted. A join is never answered so:
             * while (re)joining this answers a ping or state sent before. */
            if (c->phase != PHASE_JOINED)
                return 0;
            c->phase = PHASE_JOINING;
            c->rejoin_pending = true;
            c->join_started_us = now;
            c->next_join_us = now; /* udp_step sends the join */
            log_info("client %s: the relay no longer has me as %u: joining again", c->name,
                     (unsigned)c->id);
            return 1;
        }
        /* An error before the welcome is the answer to our join (the
         * session ends with the relay's code and message). Over udp the
         * relay cannot close a connection: an error that ends the session
         * (kicked, shutting_down) is the end. */
        if (c->phase != PHASE_JOINED || (c->udp && ends))
            c->fail_after_event = true;
        /* Over ENet the disconnect follows: say why it came. */
        if (ends) {
            snprintf(c->farewell_code, sizeof c->farewell_code, "%s", m->code);
            snprintf(c->farewell_text, sizeof c->farewell_text, "%s", m->text);
        }
        log_debug("client %s: relay error %s: %s", c->name, m->code, m->text);
        return 1;
    }
    case PROTO_CTL_COOKIE:
        /* udp: the relay wants proof that we receive at our address. */
        if (c->udp && c->phase != PHASE_JOINED) {
            memcpy(c->cookie, m->cookie, sizeof c->cookie);
            c->next_join_us = now; /* udp_step joins again at once */
        }
        return 0;
    case PROTO_CTL_PONG:
        if (m->relay_t && clock_sync_sample(&c->clock, m->t, m->relay_t, now) == 1)
            c->clock_changed = true;
        c->clock_samples++;
        return 0;
    case PROTO_CTL_CLOCK: {
        struct client_member *cm = m->id ? member_find(c, m->id) : NULL;
        if (cm)
            cm->clock = (struct clock_sync){.valid = true, .offset_us = m->clock_offset_us,
                                            .bound_us = m->clock_bound_us, .at_us = now};
        return 0;
    }
    default:
        bad_message(c, "unexpected control message", PROTO_E_UNKNOWN_TYPE);
        return 0;
    }
}

/* The receive path of both transports (and of client_receive): one message
 * that arrived on channel with ENet packet flags (udp: the pseudo channel,
 * no flags). Returns 1 with *ev, or 0. */
static int receive(struct client *c, uint8_t channel, uint32_t flags,
                   const uint8_t *buf, size_t len, uint64_t now,
                   struct client_event *ev)
{
    if (c->udp != (channel == PROTO_CHANNEL_DATAGRAM)) {
        bad_message(c, "message on the other transport's channel", PROTO_E_VALUE);
        return 0;
    }
    switch (channel) {
    case PROTO_CHANNEL_DATAGRAM:
        if (len > 0 && buf[0] == '{')
            return handle_control(c, (const char *)buf, len, now, ev);
        return handle_state(c, buf, len, PROTO_MODE_UDP, now, ev);
    case PROTO_CHANNEL_CONTROL:
        return handle_control(c, (const char *)buf, len, now, ev);
    default: {
        /* A state: the mode table says which mode (channel, flags) is. */
        enum proto_mode mode;
        if (proto_mode_from_down(channel, flags, &mode) != 0 || !proto_mode_info(mode)->enet) {
            bad_message(c, "state on a channel or with flags no mode uses", PROTO_E_VALUE);
            return 0;
        }
        return handle_state(c, buf, len, mode, now, ev);
    }
    }
}

/* Applies what the previous event left pending: the removal of a member
 * who left, the end of the session after a fatal relay error. */
static void settle(struct client *c)
{
    if (c->remove_pending) {
        member_remove(c, c->remove_id, c->remove_expired);
        c->remove_pending = false;
    }
    if (c->rejoin_pending) {
        c->rejoin_pending = false;
        members_clear(c);
    }
    if (c->fail_after_event) {
        /* The relay's own code and message, whether it refused the join
         * (server_full, room_full, kicked at connect, ...) or ended it. */
        c->fail_after_event = false;
        go_dead(c, c->ctl.code, c->ctl.text);
    }
}

/* ---- ENet transport ---- */

static void harvest_enet_counters(struct client *c)
{
    if (!c->enet)
        return;
    c->bytes_sent += c->enet->totalSentData;
    c->bytes_received += c->enet->totalReceivedData;
    c->dgrams_sent += c->enet->totalSentPackets;
    c->dgrams_received += c->enet->totalReceivedPackets;
    c->enet->totalSentData = c->enet->totalReceivedData = 0;
    c->enet->totalSentPackets = c->enet->totalReceivedPackets = 0;
}

/* The relay closed the connection (or it timed out). Why: the error that
 * came before it, else the code in the disconnect data (PROTOCOL.md: a
 * relay that closes a peer sends its error code there too), else a guess. */
static void enet_disconnected(struct client *c, enet_uint32 data)
{
    const struct proto_error_info *info = proto_error_info((enum proto_error_code)data);
    if (c->farewell_code[0])
        go_dead(c, c->farewell_code, c->farewell_text);
    else if (info)
        go_dead(c, info->name, info->text);
    else if (c->phase == PHASE_CONNECTING)
        go_dead(c, "refused", "could not connect to the relay");
    else
        go_dead(c, "disconnected", "the relay closed the connection or timed out");
}

/* The relay speaks the other transport: say so now rather than time out. */
static void wrong_transport(struct client *c, const char *speaks, const char *advice)
{
    char addr[NETADDR_STR_MAX], text[PROTO_TEXT_MAX + 1];
    snprintf(text, sizeof text, "the relay at %s speaks %s; %s",
             netaddr_format(&c->relay, addr, sizeof addr), speaks, advice);
    go_dead(c, "wrong_transport", text);
}

/* Sees every datagram before ENet parses it. A JSON datagram from the relay
 * is a plain-UDP relay's answer to our connect: ENet would drop it unseen. */
static int ENET_CALLBACK enet_intercept(ENetHost *host, ENetEvent *event)
{
    (void)event;
    struct client *c = host->peerCount > 0 ? host->peers[0].data : NULL;
    if (!c || host->receivedAddress.host != c->relay.v4.sin_addr.s_addr ||
        host->receivedAddress.port != netaddr_port(&c->relay) ||
        !sniff_is_json(host->receivedData, host->receivedDataLength))
        return 0;
    c->other_transport = true;
    return 1; /* consumed */
}

/* One ENet event of my peer (own host or hub). Returns 1 with *ev, or 0;
 * destroys a received packet. */
static int enet_handle(struct client *c, ENetEvent *e, struct client_event *ev)
{
    uint64_t now = clock_now_us();
    switch (e->type) {
    case ENET_EVENT_TYPE_CONNECT:
        /* Throttle off: unreliable sends are never dropped by ENet itself. */
        enet_peer_throttle_configure(e->peer, ENET_PEER_PACKET_THROTTLE_INTERVAL,
                                     ENET_PEER_PACKET_THROTTLE_SCALE, 0);
        c->phase = PHASE_JOINING;
        send_join(c);
        if (!c->hub) /* a hub flushes once for all its clients */
            enet_host_flush(c->enet);
        return 0;
    case ENET_EVENT_TYPE_DISCONNECT:
        e->peer->data = NULL; /* ENet has reset it already; a hub may reuse the slot */
        c->peer = NULL;
        enet_disconnected(c, e->data);
        return 0;
    case ENET_EVENT_TYPE_RECEIVE: {
        int got = receive(c, e->channelID, e->packet->flags, e->packet->data,
                          e->packet->dataLength, now, ev);
        enet_packet_destroy(e->packet);
        return got;
    }
    default:
        return 0;
    }
}

/* One event of my own host, waiting up to wait_ms for it. Returns 1 with
 * *ev, or 0. */
static int enet_step(struct client *c, int wait_ms, struct client_event *ev)
{
    ENetEvent e;
    int r = enet_host_check_events(c->enet, &e);
    if (r == 0)
        r = enet_host_service(c->enet, &e, (enet_uint32)(wait_ms > 0 ? wait_ms : 0));
    harvest_enet_counters(c);
    if (r < 0) {
        go_dead(c, "socket", "ENet host service failed");
        return 0;
    }
    if (c->other_transport) {
        wrong_transport(c, "plain UDP", "use --mode udp");
        if (r > 0 && e.type == ENET_EVENT_TYPE_RECEIVE)
            enet_packet_destroy(e.packet);
        return 0;
    }
    return r > 0 ? enet_handle(c, &e, ev) : 0;
}

/* ---- udp transport ---- */

static int udp_step(struct client *c, int wait_ms, struct client_event *ev)
{
    uint64_t now = clock_now_us();
    uint64_t timeout_us = (uint64_t)c->timeout_ms * 1000u;
    if (c->phase != PHASE_JOINED) {
        if (now >= c->next_join_us) {
            send_join(c);
            c->next_join_us = now + UDP_JOIN_RETRY_US;
        }
    } else {
        /* Keepalive: the relay expires silent members, and we need to hear
         * from it to know it is there. */
        if ((now - c->last_send_us >= UDP_PING_IDLE_US ||
             now - c->last_recv_us >= UDP_PING_IDLE_US) &&
            now - c->last_ping_us >= UDP_PING_IDLE_US) {
            send_simple(c, PROTO_CTL_PING, now);
            c->last_ping_us = now;
        }
    }

    union netaddr from;
    socklen_t fromlen = sizeof from;
    ssize_t n = recvfrom(c->fd, c->rxbuf, UDP_RECV_MAX, 0,
                         (struct sockaddr *)&from, &fromlen);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
            errno == ECONNREFUSED) {
            /* Silence is judged with nothing left to read: after a stall,
             * what waits in the socket is news from the relay and members. */
            now = clock_now_us();
            if (c->phase == PHASE_JOINED && now - c->last_recv_us > timeout_us) {
                go_dead(c, "timeout", "the relay went silent");
                return 0;
            }
            if (member_expire(c, now, ev))
                return 1;
            if (wait_ms > 0) {
                /* Wake for the next join retry or ping at the latest. */
                int cap = c->phase == PHASE_JOINED ? 100 : 50;
                struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
                poll(&pfd, 1, wait_ms < cap ? wait_ms : cap);
            }
            return 0;
        }
        char text[PROTO_TEXT_MAX + 1];
        snprintf(text, sizeof text, "recvfrom: %s", strerror(errno));
        go_dead(c, "socket", text);
        return 0;
    }
    now = clock_now_us();
    if (netaddr_from_sockaddr(&from, &from.sa, fromlen) != 0 ||
        !netaddr_equal(&from, &c->relay)) {
        bad_message(c, "datagram not from the relay", PROTO_E_VALUE);
        return 0;
    }
    if (c->phase != PHASE_JOINED && sniff_is_enet_reply(c->rxbuf, (size_t)n)) {
        /* An ENet relay's answer to our JSON join (PROTOCOL.md, "Transport
         * mismatch"); before a welcome nothing else is binary. */
        wrong_transport(c, "ENet", "use --mode unsequenced, sequenced or reliable");
        return 0;
    }
    c->bytes_received += (uint64_t)n;
    c->dgrams_received++;
    c->last_recv_us = now;
    return receive(c, PROTO_CHANNEL_DATAGRAM, 0, c->rxbuf, (size_t)n, now, ev);
}

/* ---- public API ---- */

/* Checks cfg (host and port only if need_relay) and allocates a client
 * with no transport yet. Returns NULL with a message in err. */
static struct client *client_new(const struct client_config *cfg, bool need_relay,
                                 char *err, size_t err_cap)
{
    if (!cfg || (need_relay && !cfg->host) || !cfg->room || !cfg->name) {
        snprintf(err, err_cap, "client: host, room and name are required");
        return NULL;
    }
    if (!proto_room_valid(cfg->room)) {
        snprintf(err, err_cap, "client: bad room name \"%s\"", cfg->room);
        return NULL;
    }
    if (!proto_name_valid(cfg->name)) {
        snprintf(err, err_cap, "client: bad player name \"%s\"", cfg->name);
        return NULL;
    }
    if ((int)cfg->mode < 0 || cfg->mode >= PROTO_MODE_COUNT || (need_relay && cfg->port == 0)) {
        snprintf(err, err_cap, "client: bad mode or port");
        return NULL;
    }
    struct client *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_cap, "client: out of memory");
        return NULL;
    }
    snprintf(c->host, sizeof c->host, "%s", cfg->host ? cfg->host : "");
    snprintf(c->room, sizeof c->room, "%s", cfg->room);
    snprintf(c->name, sizeof c->name, "%s", cfg->name);
    c->port = cfg->port;
    c->reflect = cfg->reflect;
    c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : CLIENT_DEFAULT_TIMEOUT_MS;
    c->mode = cfg->mode;
    c->udp = !proto_mode_info(cfg->mode)->enet;
    c->fd = -1;
    c->next_seq = 1;
    c->phase = PHASE_CONNECTING;
    c->created_us = clock_now_us();
    c->join_started_us = c->created_us;
    histogram_reset(&c->latency);
    histogram_reset(&c->rtt);
    recv_stats_reset(&c->reflect_stats);
    return c;
}

struct client *client_create(const struct client_config *cfg, char *err,
                             size_t err_cap)
{
    struct client *c = client_new(cfg, true, err, err_cap);
    if (!c)
        return NULL;
    union netaddr relay;
    char why[200];
    if (netaddr_resolve(cfg->host, cfg->port, &relay, why, sizeof why) != 0) {
        snprintf(err, err_cap, "client: %s", why);
        goto fail;
    }
    if (!c->udp && relay.sa.sa_family != AF_INET) {
        snprintf(err, err_cap, "client: %s is IPv6: ENet 1.3 speaks IPv4 only; use --mode udp "
                 "(a relay with --transport udp) for IPv6", cfg->host);
        goto fail;
    }
    c->relay = relay;
    if (c->udp) {
        c->fd = netaddr_udp_socket(&relay, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c->fd < 0) {
            snprintf(err, err_cap, "client: socket: %s", strerror(errno));
            goto fail;
        }
        c->rxbuf = malloc(UDP_RECV_MAX);
        if (!c->rxbuf) {
            snprintf(err, err_cap, "client: out of memory");
            goto fail;
        }
        /* The first sendto binds an ephemeral port; join right away. */
        c->phase = PHASE_JOINING;
        c->last_recv_us = c->created_us;
        c->next_join_us = c->created_us;
        send_join(c);
        c->next_join_us = c->created_us + UDP_JOIN_RETRY_US;
        return c;
    }

    if (enet_init_once(err, err_cap) != 0)
        goto fail;
    ENetAddress addr = {.host = relay.v4.sin_addr.s_addr, .port = cfg->port};
    c->hub = cfg->hub;
    c->user = cfg->user;
    if (!c->hub) {
        c->enet = enet_host_create(NULL, 1, PROTO_CHANNEL_COUNT, 0, 0);
        if (!c->enet) {
            snprintf(err, err_cap, "client: enet_host_create failed: %s", strerror(errno));
            goto fail;
        }
    }
    ENetHost *host = c->hub ? c->hub->host : c->enet;
    c->peer = enet_host_connect(host, &addr, PROTO_CHANNEL_COUNT, 0);
    if (!c->peer) {
        snprintf(err, err_cap, c->hub ? "client: the hub has no free peer slot"
                                      : "client: enet_host_connect failed");
        goto fail;
    }
    c->peer->data = c; /* how a hub (and enet_intercept) finds me */
    if (!c->hub) /* hubs do not sniff: against a plain-UDP relay their clients time out */
        c->enet->intercept = enet_intercept;
    enet_peer_timeout(c->peer, 0, c->timeout_ms, c->timeout_ms);
    enet_host_flush(host); /* send the connect request now */
    harvest_enet_counters(c);
    return c;
fail:
    client_destroy(c);
    return NULL;
}

struct client *client_create_detached(const struct client_config *cfg, char *err,
                                      size_t err_cap)
{
    struct client *c = client_new(cfg, false, err, err_cap);
    if (!c)
        return NULL;
    c->detached = true;
    c->phase = PHASE_JOINING;
    return c;
}

void client_destroy(struct client *c)
{
    if (!c)
        return;
    if (c->udp) {
        if (c->fd >= 0) {
            if (c->phase == PHASE_JOINED || c->phase == PHASE_JOINING)
                send_simple(c, PROTO_CTL_LEAVE, 0);
            close(c->fd);
        }
    } else if (c->hub) {
        /* The hub sends the goodbye and waits for it (client_hub_destroy). */
        if (c->peer) {
            c->peer->data = NULL;
            if (c->peer->state == ENET_PEER_STATE_CONNECTED)
                enet_peer_disconnect_later(c->peer, 0);
            else
                enet_peer_reset(c->peer);
        }
    } else if (c->enet) {
        if (c->peer && c->peer->state == ENET_PEER_STATE_CONNECTED) {
            /* _later: enet_peer_disconnect would drop what is still queued,
             * such as the last state sent. */
            enet_peer_disconnect_later(c->peer, 0);
            uint64_t deadline = clock_now_us() + DESTROY_WAIT_MS * 1000u;
            ENetEvent e;
            for (;;) {
                uint64_t now = clock_now_us();
                if (now >= deadline)
                    break;
                int r = enet_host_service(c->enet, &e,
                                          (enet_uint32)((deadline - now + 999) / 1000));
                if (r < 0)
                    break;
                if (r > 0 && e.type == ENET_EVENT_TYPE_RECEIVE)
                    enet_packet_destroy(e.packet);
                if (r > 0 && e.type == ENET_EVENT_TYPE_DISCONNECT) {
                    c->peer = NULL;
                    break;
                }
            }
        }
        if (c->peer)
            enet_peer_reset(c->peer);
        enet_host_destroy(c->enet);
    }
    free(c->rxbuf);
    free(c->members);
    free(c);
}

int client_poll(struct client *c, int timeout_ms, struct client_event *ev)
{
    memset(ev, 0, sizeof *ev);
    settle(c);
    uint64_t deadline = clock_now_us() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000u;
    for (;;) {
        if (c->phase == PHASE_DEAD) {
            if (c->final_returned)
                return -1;
            c->final_returned = true;
            memset(&c->ctl, 0, sizeof c->ctl);
            c->ctl.type = PROTO_CTL_ERROR;
            snprintf(c->ctl.code, sizeof c->ctl.code, "%s", c->dead_code);
            snprintf(c->ctl.text, sizeof c->ctl.text, "%s", c->dead_text);
            ev->type = CLIENT_EV_DISCONNECTED;
            ev->id = c->id;
            ev->recv_us = clock_now_us();
            ev->control = &c->ctl;
            return 1;
        }
        if (c->detached)
            return 0; /* nothing to read: client_receive feeds it */
        uint64_t now = clock_now_us();
        if (c->phase != PHASE_JOINED && now > c->join_started_us &&
            now - c->join_started_us > (uint64_t)c->timeout_ms * 1000u) {
            go_dead(c, "timeout",
                    c->phase == PHASE_CONNECTING ? "no answer from the relay"
                                                 : "no welcome from the relay");
            continue;
        }
        clock_step(c, now);
        if (c->hub)
            return 0; /* the hub reads for me (client_hub_service) */
        int wait_ms = now >= deadline ? 0 : (int)((deadline - now + 999) / 1000);
        if (c->phase == PHASE_JOINED && c->next_ping_us > now &&
            (c->next_ping_us - now) / 1000 < (uint64_t)wait_ms)
            wait_ms = (int)((c->next_ping_us - now) / 1000) + 1; /* wake for the ping */
        int got = c->udp ? udp_step(c, wait_ms, ev) : enet_step(c, wait_ms, ev);
        if (got > 0)
            return 1;
        if (c->phase == PHASE_DEAD)
            continue;
        if (clock_now_us() >= deadline) {
            if (!c->udp && c->enet)
                enet_host_flush(c->enet);
            return 0;
        }
    }
}

int client_receive(struct client *c, uint8_t channel, uint32_t flags, const uint8_t *bytes,
                   size_t len, uint64_t now_us, struct client_event *ev)
{
    memset(ev, 0, sizeof *ev);
    settle(c);
    if (c->phase == PHASE_DEAD)
        return -1;
    return receive(c, channel, flags, bytes, len, now_us, ev);
}

int client_tick(struct client *c, uint64_t now_us, struct client_event *ev)
{
    memset(ev, 0, sizeof *ev);
    settle(c);
    if (c->phase == PHASE_DEAD)
        return -1;
    return member_expire(c, now_us, ev);
}

uint64_t client_too_old(const struct client *c)
{
    return c->too_old;
}

uint64_t client_bad_messages(const struct client *c)
{
    return c->bad_messages;
}

int client_send_state(struct client *c, const struct proto_state *s,
                      size_t datagram_len)
{
    if (c->phase != PHASE_JOINED || (!c->udp && !c->peer))
        return -1;
    uint8_t buf[PROTO_STATE_MAX];
    struct proto_state out = *s;
    out.sender = 0;
    out.seq = c->next_seq;
    int len = proto_state_encode(buf, sizeof buf, &out);
    if (len < 0)
        return -1;
    size_t total = (size_t)len;
    if (datagram_len > total) {
        if (datagram_len > PROTO_STATE_MAX)
            datagram_len = PROTO_STATE_MAX;
        memset(buf + total, 0, datagram_len - total);
        total = datagram_len;
    }
    c->next_seq++;
    if (c->udp) {
        udp_send(c, buf, total);
        return 0;
    }
    const struct proto_mode_info *mi = proto_mode_info(c->mode);
    enet_uint32 flags = mi->up_flags;
    enet_uint8 channel = mi->up_channel;
    ENetPacket *p = enet_packet_create(buf, total, flags);
    if (!p)
        return -1;
    if (enet_peer_send(c->peer, channel, p) != 0) {
        enet_packet_destroy(p);
        return -1;
    }
    return 0;
}

int client_send_chat(struct client *c, const char *text)
{
    if (c->phase != PHASE_JOINED || !text || !proto_text_valid(text))
        return -1;
    struct proto_control m;
    memset(&m, 0, sizeof m);
    m.type = PROTO_CTL_CHAT;
    snprintf(m.text, sizeof m.text, "%s", text);
    return send_control(c, &m);
}

int client_set_mode(struct client *c, enum proto_mode mode)
{
    if (c->udp || !proto_mode_info(mode) || !proto_mode_info(mode)->enet)
        return -1;
    c->mode = mode;
    return 0;
}

void client_flush(struct client *c)
{
    if (c->hub)
        client_hub_flush(c->hub);
    if (!c->udp && c->enet) {
        enet_host_flush(c->enet);
        harvest_enet_counters(c);
    }
}

const char *client_end_reason(const struct client *c)
{
    return c->phase == PHASE_DEAD ? c->dead_why : "";
}

bool client_joined(const struct client *c)
{
    return c->phase == PHASE_JOINED;
}

uint32_t client_id(const struct client *c)
{
    return c->id; /* set by the welcome only */
}

enum proto_mode client_mode(const struct client *c)
{
    return c->mode;
}

uint32_t client_next_seq(const struct client *c)
{
    return c->next_seq;
}

int client_socket_fd(const struct client *c)
{
    if (c->udp)
        return c->fd;
    if (c->hub)
        return client_hub_fd(c->hub);
    return c->enet ? (int)c->enet->socket : -1;
}

const struct client_member *client_members(const struct client *c, size_t *n)
{
    *n = c->n_members;
    return c->members;
}

const struct client_member *client_member(const struct client *c, uint32_t id)
{
    return member_find(c, id);
}

const struct histogram *client_latency(const struct client *c)
{
    return &c->latency;
}

const struct histogram *client_rtt(const struct client *c)
{
    return &c->rtt;
}

const struct recv_stats *client_reflect_stats(const struct client *c)
{
    return &c->reflect_stats;
}

void client_netinfo(const struct client *c, struct client_netinfo *info)
{
    memset(info, 0, sizeof *info);
    info->bytes_sent = c->bytes_sent;
    info->bytes_received = c->bytes_received;
    info->datagrams_sent = c->dgrams_sent;
    info->datagrams_received = c->dgrams_received;
    info->enet_peer_out = info->enet_peer_in = -1;
    if (c->enet) {
        info->bytes_sent += c->enet->totalSentData;
        info->bytes_received += c->enet->totalReceivedData;
        info->datagrams_sent += c->enet->totalSentPackets;
        info->datagrams_received += c->enet->totalReceivedPackets;
    }
    if (!c->udp && c->peer) {
        info->enet_peer_out = c->peer->outgoingPeerID;
        info->enet_peer_in = c->peer->incomingPeerID;
        info->enet_rtt_ms = c->peer->roundTripTime;
        info->enet_rtt_var_ms = c->peer->roundTripTimeVariance;
        /* ENet publishes packetLoss only every 10 s
         * (ENET_PEER_PACKET_LOSS_INTERVAL); until it has, report the
         * counts it keeps for the current interval: reliable commands
         * this peer sent, and those it had to retransmit. */
        if (c->peer->packetLoss == 0 && c->peer->packetsSent > 0)
            info->enet_loss = (double)c->peer->packetsLost / c->peer->packetsSent;
        else
            info->enet_loss = (double)c->peer->packetLoss / ENET_PEER_PACKET_LOSS_SCALE;
    }
}

/* ---- hubs ---- */

struct client_hub *client_hub_create(size_t max_clients, char *err, size_t err_cap)
{
    if (max_clients == 0 || max_clients > ENET_PROTOCOL_MAXIMUM_PEER_ID) {
        snprintf(err, err_cap, "client: a hub holds 1 to %d clients",
                 ENET_PROTOCOL_MAXIMUM_PEER_ID);
        return NULL;
    }
    if (enet_init_once(err, err_cap) != 0)
        return NULL;
    struct client_hub *hub = calloc(1, sizeof *hub);
    if (!hub) {
        snprintf(err, err_cap, "client: out of memory");
        return NULL;
    }
    hub->host = enet_host_create(NULL, max_clients, PROTO_CHANNEL_COUNT, 0, 0);
    if (!hub->host) {
        snprintf(err, err_cap, "client: enet_host_create failed: %s", strerror(errno));
        free(hub);
        return NULL;
    }
    /* ENet's 256 kB is one client's worth; the kernel caps it at rmem_max */
    enet_socket_set_option(hub->host->socket, ENET_SOCKOPT_RCVBUF, HUB_SOCKET_BUFFER);
    enet_socket_set_option(hub->host->socket, ENET_SOCKOPT_SNDBUF, HUB_SOCKET_BUFFER);
    return hub;
}

static void hub_harvest(struct client_hub *hub)
{
    ENetHost *h = hub->host;
    hub->bytes_sent += h->totalSentData;
    hub->bytes_received += h->totalReceivedData;
    hub->dgrams_sent += h->totalSentPackets;
    hub->dgrams_received += h->totalReceivedPackets;
    h->totalSentData = h->totalReceivedData = 0;
    h->totalSentPackets = h->totalReceivedPackets = 0;
}

/* Is a goodbye to or from this peer still on its way? */
static bool hub_peer_leaving(const ENetPeer *p)
{
    return p->state == ENET_PEER_STATE_DISCONNECT_LATER ||
           p->state == ENET_PEER_STATE_DISCONNECTING ||
           p->state == ENET_PEER_STATE_ACKNOWLEDGING_DISCONNECT;
}

void client_hub_destroy(struct client_hub *hub)
{
    if (!hub)
        return;
    uint64_t deadline = clock_now_us() + DESTROY_WAIT_MS * 1000u;
    for (uint64_t now = clock_now_us(); now < deadline; now = clock_now_us()) {
        size_t leaving = 0;
        for (size_t i = 0; i < hub->host->peerCount; i++)
            leaving += hub_peer_leaving(&hub->host->peers[i]);
        if (leaving == 0)
            break;
        ENetEvent e;
        int r = enet_host_service(hub->host, &e, (enet_uint32)((deadline - now + 999) / 1000));
        if (r < 0)
            break;
        if (r > 0 && e.type == ENET_EVENT_TYPE_RECEIVE)
            enet_packet_destroy(e.packet);
    }
    enet_host_destroy(hub->host);
    free(hub);
}

/* Hands one ENet event to its client, then what that client has pending
 * (its DISCONNECTED event, after a fatal one). */
static void hub_dispatch(ENetEvent *e, client_hub_fn fn, void *ctx)
{
    struct client *c = e->peer ? e->peer->data : NULL;
    if (c)
        settle(c); /* what its previous event left pending, as client_poll does */
    struct client_event ev;
    memset(&ev, 0, sizeof ev);
    if (!c || c->phase == PHASE_DEAD) { /* destroyed, or done: nobody reads it */
        if (e->type == ENET_EVENT_TYPE_RECEIVE)
            enet_packet_destroy(e->packet);
    } else if (enet_handle(c, e, &ev) == 1) {
        fn(ctx, c, c->user, &ev);
    }
    while (c && c->phase == PHASE_DEAD && client_poll(c, 0, &ev) == 1)
        fn(ctx, c, c->user, &ev);
}

int client_hub_service(struct client_hub *hub, client_hub_fn fn, void *ctx)
{
    ENetEvent e;
    int n = 0;
    int r = enet_host_service(hub->host, &e, 0);
    for (int round = 1; r > 0; round++) {
        while (r > 0) {
            hub_dispatch(&e, fn, ctx);
            n++;
            r = enet_host_check_events(hub->host, &e);
        }
        if (r < 0 || round == HUB_ROUNDS)
            break;
        r = enet_host_service(hub->host, &e, 0); /* more waiting? */
    }
    hub_harvest(hub);
    return r < 0 ? -1 : n;
}

void client_hub_flush(struct client_hub *hub)
{
    enet_host_flush(hub->host);
    hub_harvest(hub);
}

int client_hub_fd(const struct client_hub *hub)
{
    return (int)hub->host->socket;
}

void client_hub_netinfo(const struct client_hub *hub, struct client_netinfo *info)
{
    memset(info, 0, sizeof *info);
    const ENetHost *h = hub->host;
    info->bytes_sent = hub->bytes_sent + h->totalSentData;
    info->bytes_received = hub->bytes_received + h->totalReceivedData;
    info->datagrams_sent = hub->dgrams_sent + h->totalSentPackets;
    info->datagrams_received = hub->dgrams_received + h->totalReceivedPackets;
}
