/* client.c: the client library's session (see client.h): phases, the
 * receive path, a session's life (create, poll, close); the member table is
 * client_members.c, what it sends client_send.c, the control messages it
 * receives client_control.c, its moves between a fleet's relays
 * client_fleet.c. The bytes go
 * through one of three transports behind struct client_transport_ops
 * (client_internal.h): client_enet.c, client_udp.c, and client_detached.c
 * for tests. What differs between them reaches this file only as data,
 * client_transport_caps:
 * - with a connection (ENet) the join is sent once it is up, notices are
 *   reliable and its close ends the session;
 * - without one (plain UDP) notices are best effort, so the session repairs
 *   what a lost one would leave wrong: error not_joined (the relay expired
 *   us or restarted) sends it back to joining, and a member silent for
 *   timeout_ms is expired here as the relay would (LEFT, reason timeout).
 *
 * Every transport hands every received message to client_receive_message(),
 * which client_receive() (client_test.h) also calls for tests and fuzzing:
 * the receive path is one function, testable without a socket. */
#include "client.h"
#include "client_internal.h"
#include "client_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sys/clock.h"
#include "../proto/errors.h"
#include "../sys/log.h"
#include "../sys/netaddr.h"


/* ---- receiving ---- */

void client_go_dead(struct ricochet *c, const char *code, const char *text)
{
    if (c->phase == PHASE_DEAD || c->hop_pending)
        return; /* dead already, or leaving this relay for another (it closes) */
    if (client_rejoin(c, code))
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
    c->ops->hang_up(c);
}

void client_wrong_transport(struct ricochet *c, const char *speaks, const char *advice)
{
    char addr[NETADDR_STR_MAX], text[PROTO_TEXT_MAX + 1];
    snprintf(text, sizeof text, "the relay at %s speaks %s; %s",
             netaddr_format(&c->relay, addr, sizeof addr), speaks, advice);
    client_go_dead(c, RICOCHET_END_WRONG_TRANSPORT, text);
}

void client_bad_message(struct ricochet *c, const char *what, int err)
{
    c->bad_messages++;
    log_debug("client %s: dropped %s: %s", c->name, what, proto_strerror(err));
}

/* The listed member who sent a state, or NULL (dropped; counted unless it
 * went out of sight). A state may overtake the joined notice (different
 * channels, or a lost notice without a connection): the sender is listed
 * with no name until the notice comes. A late state from a member who left
 * is dropped; one from a member I expired myself lists it again (it was
 * only quiet). */
static struct client_member *state_sender(struct ricochet *c, uint32_t sender,
                                          enum proto_mode arrived_as, uint64_t now)
{
    struct client_member *m = client_member_find(c, sender);
    if (m)
        return m;
    struct departed *d = client_departed_find(c, sender);
    if (d && d->vanished)
        return NULL; /* sent before it went out of sight: no longer mine to show */
    if (d && !d->expired) {
        client_bad_message(c, "state from a member who left", PROTO_E_VALUE);
        return NULL;
    }
    m = client_member_add(c, sender, d ? d->name : "", d ? d->mode : arrived_as, now);
    if (!m) {
        client_bad_message(c, "state from a member too many", PROTO_E_VALUE);
        return NULL;
    }
    if (d)
        d->id = 0;
    return m;
}

static int handle_state(struct ricochet *c, const uint8_t *buf, size_t len,
                        enum proto_mode arrived_as, uint64_t now,
                        struct ricochet_event *ev)
{
    struct proto_state s;
    int r = proto_state_decode(buf, len, &s);
    if (r != PROTO_OK) {
        client_bad_message(c, "state", r);
        return 0;
    }
    int64_t lat = (int64_t)(now - s.send_us); /* my own reflected state: my clock */
    uint64_t bound = 0;
    bool lat_known = true;
    if (c->phase != PHASE_JOINED || s.sender == 0) {
        client_bad_message(c, "state before welcome or without sender", PROTO_E_VALUE);
        return 0;
    }
    if (s.sender == c->id) {
        recv_stats_record(&c->reflect_stats, s.seq, s.send_us, now, c->rtt);
    } else {
        struct client_member *m = state_sender(c, s.sender, arrived_as, now);
        if (!m)
            return 0;
        /* Sequenced keeps each sender's order here, not in ENet: the relay
         * forwards it unsequenced, so one sender's late state never costs
         * another sender's (PROTOCOL.md, delivery modes). */
        if (proto_mode_info(arrived_as)->filter == PROTO_FILTER_DROP_OLD && m->has_state &&
            !proto_seq_after(s.seq, m->last.seq)) {
            m->stats.too_old++;
            c->too_old++;
            ev->type = RICOCHET_EV_TOO_OLD; /* reported, not delivered: benchmarks count it */
            ev->id = s.sender;
            client_public_state(&s, &ev->state);
            ev->mode = client_public_mode(arrived_as);
            ev->recv_us = now;
            return 1;
        }
        /* One-way latency corrected by both clocks' offsets to the relay
         * (the same as now - send_us on one host); recv_stats takes the
         * send time on my clock. Until both offsets are known the clocks
         * may be hours apart: the state is delivered and counted, its
         * latency recorded nowhere. */
        lat_known = clock_sync_latency(&c->clock, &m->clock, s.send_us, now, &lat, &bound);
        m->lat_bound_us = bound;
        int fresh = lat_known ? recv_stats_record(&m->stats, s.seq, now - (uint64_t)lat, now,
                                                  c->latency)
                              : recv_stats_record_untimed(&m->stats, s.seq);
        if (!m->has_state || (fresh && proto_seq_after(s.seq, m->last.seq))) {
            m->last = s;
            m->has_state = true;
        }
        m->last_recv_us = now;
    }
    ev->type = RICOCHET_EV_STATE;
    ev->id = s.sender;
    client_public_state(&s, &ev->state);
    ev->latency_us = lat;
    ev->latency_known = lat_known;
    ev->latency_bound_us = bound;
    ev->mode = client_public_mode(arrived_as);
    ev->recv_us = now;
    return 1;
}

/* A message as it arrived (clear) or opened, by channel. */
static int dispatch(struct ricochet *c, uint8_t channel, uint32_t flags, const uint8_t *buf,
                    size_t len, bool clear, uint64_t now, struct ricochet_event *ev)
{
    if (c->caps.channels == (channel == PROTO_CHANNEL_DATAGRAM)) {
        client_bad_message(c, "message on the other transport's channel", PROTO_E_VALUE);
        return 0;
    }
    bool json = len > 0 && buf[0] == '{';
    if (clear && client_ticket_sealed(c) && !json) {
        client_bad_message(c, "a state in clear in a sealed session", PROTO_E_VALUE);
        return 0;
    }
    switch (channel) {
    case PROTO_CHANNEL_DATAGRAM:
        if (json)
            return client_handle_control(c, (const char *)buf, len, clear, now, ev);
        return handle_state(c, buf, len, PROTO_MODE_UDP, now, ev);
    case PROTO_CHANNEL_CONTROL:
        return client_handle_control(c, (const char *)buf, len, clear, now, ev);
    default: {
        /* A state: the mode table says which mode (channel, flags) is. */
        enum proto_mode mode;
        if (proto_mode_from_down(channel, flags, &mode) != 0 ||
            !(c->caps.modes & (1u << mode))) {
            client_bad_message(c, "state on a channel or with flags no mode uses", PROTO_E_VALUE);
            return 0;
        }
        return handle_state(c, buf, len, mode, now, ev);
    }
    }
}

int client_receive_message(struct ricochet *c, uint8_t channel, uint32_t flags,
                           const uint8_t *buf, size_t len, uint64_t now,
                           struct ricochet_event *ev)
{
    if (!c->ticket || !seal_is_sealed(buf, len))
        return dispatch(c, channel, flags, buf, len, true, now, ev);
    /* A sealed message: states and most notices fit the stack, a welcome
     * may not (up to PROTO_CONTROL_MAX). */
    uint8_t small[2048];
    uint8_t *plain = len <= sizeof small ? small : malloc(len);
    int n = plain ? client_ticket_open(c, buf, len, plain) : -1;
    int rc = 0;
    if (n < 0)
        client_bad_message(c, "a sealed message that does not open", PROTO_E_VALUE);
    else
        rc = dispatch(c, channel, flags, plain, (size_t)n, false, now, ev);
    if (plain != small)
        free(plain);
    return rc;
}

int client_batch_step(struct ricochet *c, struct client_batch *b, struct ricochet_event *ev)
{
    const uint8_t *entry;
    size_t n;
    while (proto_batch_next(b->buf, b->len, &b->at, &entry, &n)) {
        if (entry[0] == '{') { /* only states travel in batches */
            client_bad_message(c, "control message in a batch", PROTO_E_TYPE);
            continue;
        }
        int rc = client_receive_message(c, b->channel, b->flags, entry, n, b->now, ev);
        if (rc != 0)
            return rc;
    }
    b->len = 0;
    return 0;
}

int client_batch_start(struct ricochet *c, struct client_batch *b, const uint8_t *buf,
                       size_t len, uint8_t channel, uint32_t flags, uint64_t now,
                       struct ricochet_event *ev)
{
    int rc = proto_batch_check(buf, len);
    if (rc < 0) {
        client_bad_message(c, "batch", rc);
        b->len = 0;
        return 0;
    }
    *b = (struct client_batch){.buf = buf, .len = len, .at = PROTO_BATCH_HEADER,
                               .channel = channel, .flags = flags, .now = now};
    return client_batch_step(c, b, ev);
}

void client_settle(struct ricochet *c)
{
    if (c->remove_pending) {
        client_member_remove(c, c->remove_id, c->remove_how);
        c->remove_pending = false;
    }
    if (c->rejoin_pending) {
        c->rejoin_pending = false;
        client_members_clear(c);
    }
    if (c->fail_after_event) {
        /* The relay's own code and message, whether it refused the join
         * (server_full, room_full, kicked at connect, ...) or ended it. */
        c->fail_after_event = false;
        client_go_dead(c, c->fail_code, c->fail_text);
    }
}

/* ---- public API ---- */

/* Every transport with a socket; the config's mode picks one. */
static const struct client_transport_ops *const client_transports[] = {
    &client_enet_ops,
    &client_udp_ops,
};

/* The transport that carries mode (a valid mode: client_new checks). */
static const struct client_transport_ops *client_transport_for(enum proto_mode mode)
{
    size_t n = sizeof client_transports / sizeof client_transports[0];
    for (size_t i = 0; i < n; i++)
        if (client_transports[i]->caps.modes & (1u << mode))
            return client_transports[i];
    return client_transports[0]; /* test_client checks every mode has one */
}

/* Checks cfg (host and port only if need_relay) and allocates a client
 * with no transport yet. Returns NULL with a message in err. */
static struct ricochet *client_new(const struct client_config *cfg, bool need_relay,
                                 char *err, size_t err_cap)
{
    bool named = cfg && cfg->ticket; /* the ticket says the room and the name */
    if (!cfg || (need_relay && !cfg->host) || (!named && (!cfg->room || !cfg->name))) {
        snprintf(err, err_cap, "client: host, room and name (or a ticket) are required");
        return NULL;
    }
    if (!named && !proto_room_valid(cfg->room)) {
        snprintf(err, err_cap, "client: bad room name \"%s\"", cfg->room);
        return NULL;
    }
    if (!named && !proto_name_valid(cfg->name)) {
        snprintf(err, err_cap, "client: bad player name \"%s\"", cfg->name);
        return NULL;
    }
    if ((int)cfg->mode < 0 || cfg->mode >= PROTO_MODE_COUNT || (need_relay && cfg->port == 0)) {
        snprintf(err, err_cap, "client: bad mode or port");
        return NULL;
    }
    struct ricochet *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_cap, "client: out of memory");
        return NULL;
    }
    snprintf(c->host, sizeof c->host, "%s", cfg->host ? cfg->host : "");
    if (named && client_ticket_take(c, cfg->ticket, err, err_cap) != 0) {
        ricochet_close(c);
        return NULL;
    }
    if (!named) {
        snprintf(c->room, sizeof c->room, "%s", cfg->room);
        snprintf(c->name, sizeof c->name, "%s", cfg->name);
    }
    c->port = cfg->port;
    snprintf(c->entry_host, sizeof c->entry_host, "%s", c->host);
    c->entry_port = cfg->port;
    c->hub = cfg->hub;
    c->user = cfg->user;
    c->rejoin_ms = cfg->rejoin_ms;
    c->reflect = cfg->reflect;
    c->aoi = cfg->aoi;
    c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : PROTO_TIMEOUT_MS;
    c->mode = cfg->mode;
    c->caps = client_transport_for(cfg->mode)->caps;
    c->next_seq = 1;
    c->phase = PHASE_CONNECTING;
    c->created_us = clock_now_us();
    c->join_started_us = c->created_us;
    uint64_t seed = 1469598103934665603ull ^ c->port; /* FNV-1a over the name */
    for (const char *p = c->name; *p; p++)
        seed = (seed ^ (unsigned char)*p) * 1099511628211ull;
    rng_seed(&c->ping_rng, seed);
    recv_stats_reset(&c->reflect_stats);
    if (!cfg->no_histograms) {
        c->latency = malloc(sizeof *c->latency);
        c->rtt = malloc(sizeof *c->rtt);
        if (!c->latency || !c->rtt) {
            snprintf(err, err_cap, "client: out of memory");
            ricochet_close(c);
            return NULL;
        }
        histogram_reset(c->latency);
        histogram_reset(c->rtt);
    }
    return c;
}

struct ricochet *client_create(const struct client_config *cfg, char *err,
                             size_t err_cap)
{
    struct ricochet *c = client_new(cfg, true, err, err_cap);
    if (!c)
        return NULL;
    c->ops = client_transport_for(cfg->mode);
    char why[200];
    if (netaddr_resolve(cfg->host, cfg->port, &c->relay, why, sizeof why) != 0) {
        snprintf(err, err_cap, "client: %s", why);
        ricochet_close(c);
        return NULL;
    }
    if (c->ops->open(c, cfg, err, err_cap) != 0) {
        ricochet_close(c);
        return NULL;
    }
    return c;
}

struct ricochet *client_create_detached(const struct client_config *cfg, char *err,
                                      size_t err_cap)
{
    struct ricochet *c = client_new(cfg, false, err, err_cap);
    if (!c)
        return NULL;
    c->ops = &client_detached_ops; /* c->caps stay the mode's transport's */
    if (c->ops->open(c, cfg, err, err_cap) != 0) {
        ricochet_close(c);
        return NULL;
    }
    return c;
}

void ricochet_close(struct ricochet *c)
{
    if (!c)
        return;
    if (c->ops)
        c->ops->close(c);
    client_ticket_free(c);
    free(c->members);
    free(c->held);
    free(c->kept);
    free(c->awaited);
    free(c->latency);
    free(c->rtt);
    free(c);
}

/* The DISCONNECTED event, once: 1 with *ev, then -1. */
static int final_event(struct ricochet *c, struct ricochet_event *ev)
{
    if (c->final_returned)
        return -1;
    c->final_returned = true;
    ev->type = RICOCHET_EV_DISCONNECTED;
    ev->id = c->id;
    ev->recv_us = clock_now_us();
    snprintf(ev->code, sizeof ev->code, "%s", c->dead_code);
    snprintf(ev->text, sizeof ev->text, "%s", c->dead_text);
    return 1;
}

bool client_timers(struct ricochet *c, uint64_t now)
{
    if (c->phase != PHASE_JOINED && now > c->join_started_us &&
        now - c->join_started_us > (uint64_t)c->timeout_ms * 1000u) {
        client_go_dead(c, RICOCHET_END_TIMEOUT,
                       c->phase == PHASE_CONNECTING ? "no answer from the relay"
                                                    : "no welcome from the relay");
        return false;
    }
    client_hold_check(c, now);
    client_clock_step(c, now);
    return true;
}

int client_service(struct ricochet *c, uint64_t deadline, struct ricochet_event *ev)
{
    while (c->phase != PHASE_DEAD && !c->hop_pending) {
        uint64_t now = clock_now_us();
        if (!client_timers(c, now))
            break;
        int wait_ms = now >= deadline ? 0 : (int)((deadline - now + 999) / 1000);
        if (c->phase == PHASE_JOINED && c->next_ping_us > now &&
            (c->next_ping_us - now) / 1000 < (uint64_t)wait_ms)
            wait_ms = (int)((c->next_ping_us - now) / 1000) + 1; /* wake for the ping */
        if (c->ops->step(c, wait_ms, ev) > 0)
            return 1;
        if (c->phase != PHASE_DEAD && clock_now_us() >= deadline) {
            c->ops->flush(c);
            return 0;
        }
    }
    return 0;
}

int ricochet_poll(struct ricochet *c, int timeout_ms, struct ricochet_event *ev)
{
    memset(ev, 0, sizeof *ev);
    client_settle(c);
    uint64_t deadline = clock_now_us() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000u;
    for (;;) {
        if (c->hop_pending) {
            uint64_t now = clock_now_us();
            if (now < c->hop_at_us && now < deadline)
                clock_sleep_until_us(c->hop_at_us < deadline ? c->hop_at_us : deadline);
            if (clock_now_us() < c->hop_at_us)
                return 0;
            if (client_hop(c, ev))
                return 1;
        }
        if (c->phase == PHASE_DEAD)
            return final_event(c, ev);
        if (c->ops->service(c, deadline, ev) > 0)
            return 1;
        if (c->phase != PHASE_DEAD && !c->hop_pending)
            return 0;
    }
}

int client_receive(struct ricochet *c, uint8_t channel, uint32_t flags, const uint8_t *bytes,
                   size_t len, uint64_t now_us, struct ricochet_event *ev)
{
    memset(ev, 0, sizeof *ev);
    client_settle(c);
    if (c->phase == PHASE_DEAD)
        return -1;
    return client_receive_message(c, channel, flags, bytes, len, now_us, ev);
}

int client_tick(struct ricochet *c, uint64_t now_us, struct ricochet_event *ev)
{
    memset(ev, 0, sizeof *ev);
    client_settle(c);
    if (c->phase == PHASE_DEAD)
        return -1;
    return client_member_expire(c, now_us, ev);
}

uint64_t client_created_us(const struct ricochet *c)
{
    return c->created_us;
}

uint64_t client_too_old(const struct ricochet *c)
{
    return c->too_old;
}

uint64_t client_bad_messages(const struct ricochet *c)
{
    return c->bad_messages;
}

int ricochet_set_mode(struct ricochet *c, enum ricochet_mode mode)
{
    enum proto_mode pm = (enum proto_mode)mode;
    if (!c || !proto_mode_info(pm))
        return RICOCHET_E_INVALID;
    /* Among the modes of the transport, if it has more than one. */
    uint32_t modes = c->caps.modes;
    if (!(modes & (1u << pm)) || (modes & (modes - 1)) == 0)
        return RICOCHET_E_UNSUPPORTED;
    c->mode = pm;
    return RICOCHET_OK;
}

void ricochet_flush(struct ricochet *c)
{
    c->ops->flush(c);
}
