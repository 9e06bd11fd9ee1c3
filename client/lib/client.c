/* client.c: the client library's session (see client.h), its life:
 * created (the config's mode picks its transport), polled, closed; the
 * entry points of tests and fuzz targets (client_test.h). What it does
 * between is in the files below it, which never call back up:
 *   client_enet.c, client_udp.c, client_tcp.c, client_ws.c, client_webrtc.c,
 *   client_quic.c, client_poll.c (HTTP polling), client_wire.c (ENet's wire
 *   from a shared socket),
 *   client_detached.c the transports, behind struct client_transport_ops
 *                     (client_internal.h); client_offer.c, WebRTC's signalling
 *   client_step.c     where the buffered transports read (tcp, ws, webrtc,
 *                     quic): taking, reading, waiting, in one order
 *   client_receive.c  what the session receives: states, batches, control
 *   client_lockstep.c a lockstep room: frames handed over in tick order, my
 *                     inputs until confirmed, acknowledgements, checks
 *   client_phase.c    its phases and what moves it between them: the join
 *                     deadline, the end, a fleet's moves and rejoins
 *   client_send.c     what it sends: control messages, states, and in
 *                     reliable mode the states held across a move
 *   client_members.c  the member table
 *   client_ticket.c   the ticket and its sealed session
 * ricochet.c, the public API's plain side, sits on top of this file.
 *
 * What differs between the transports reaches the session only as data,
 * client_transport_caps:
 * - with a connection (ENet) the join is sent once it is up, notices are
 *   reliable and its close ends the session;
 * - so it is with a stream (tcp, ws), whose connection is the session's;
 * - without one (plain UDP) notices are best effort, so the session repairs
 *   what a lost one would leave wrong: error not_joined (the relay expired
 *   us or restarted) sends it back to joining, and a member silent for
 *   timeout_ms is expired here as the relay would (LEFT, reason timeout). */
#include "client.h"
#include "client_internal.h"
#include "client_test.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/player.h"
#include "proto/utf8.h"
#include "sys/clock.h"
#include "sys/netaddr.h"

/* Every transport with a socket; the config's mode picks one. */
static const struct client_transport_ops *const client_transports[] = {
    &client_enet_ops,
    &client_udp_ops,
    &client_tcp_ops,
    &client_ws_ops,
    &client_quic_ops,
};

/* The transport the config asks for: WebRTC's or QUIC's if it says so,
 * else the first that carries its mode (a valid mode: client_new checks). */
static const struct client_transport_ops *client_transport_for(const struct client_config *cfg)
{
    if (cfg->transport == RICOCHET_TRANSPORT_WEBRTC)
        return &client_webrtc_ops; /* client_new checks that it carries the mode */
    if (cfg->transport == RICOCHET_TRANSPORT_POLL)
        return &client_poll_ops; /* client_new checks the mode: tcp */
    if (cfg->transport == RICOCHET_TRANSPORT_QUIC ||
        cfg->transport == RICOCHET_TRANSPORT_WEBTRANSPORT)
        return &client_quic_ops; /* WebTransport: over HTTP/3 (client_wt.c) */
    if (cfg->wire_hub && (client_wire_ops.caps.modes & (1u << cfg->mode)))
        return &client_wire_ops; /* ENet's wire from a shared socket, no ENetHost */
    size_t n = sizeof client_transports / sizeof client_transports[0];
    for (size_t i = 0; i < n; i++)
        if (client_transports[i]->caps.modes & (1u << cfg->mode))
            return client_transports[i];
    return client_transports[0]; /* test_client checks every mode has one */
}

/* How many bytes of value (n left) show as they are: a printable ASCII
 * character but \, or a character of a name's rule beyond ASCII; 0: the
 * byte is shown as \xNN. */
static size_t shown_as_is(const char *value, size_t n)
{
    unsigned char b = (unsigned char)value[0];
    if (b < 0x80)
        return b >= 0x20 && b < 0x7f && b != '\\';
    char one[5] = "";
    size_t len = proto_utf8_len((const unsigned char *)value, n);
    memcpy(one, value, len);
    return len && proto_name_check(one, sizeof one, NULL, 0) ? len : 0;
}

void client_name_refusal(char *out, size_t cap, const char *what, const char *value,
                         const char *rule)
{
    char shown[4 * 40 + 4] = "";
    size_t n = 0, len;
    if (!value) {
        snprintf(out, cap, "no %s: %s", what, rule);
        return;
    }
    size_t all = strlen(value), i = 0;
    for (; i < all && i < 40; i += len) {
        if ((len = shown_as_is(value + i, all - i)) != 0) {
            memcpy(shown + n, value + i, len);
            n += len;
        } else {
            n += (size_t)snprintf(shown + n, sizeof shown - n, "\\x%02x",
                                  (unsigned char)value[i]);
            len = 1;
        }
    }
    if (i < all)
        memcpy(shown + n, "...", 4);
    snprintf(out, cap, "%s '%s': %s", what, shown, rule);
}

/* A lobby lists before it joins, which a relay allows only over a
 * connection (PROTOCOL.md, "Rooms to list"): true with a message in err
 * where the config cannot have one. */
static bool lobby_refusal(const struct client_config *cfg, char *err, size_t err_cap)
{
    const char *why = cfg->ticket ? "a ticket names its room, and a relay of tickets lists "
                                    "only to its members"
                      : cfg->mode == PROTO_MODE_UDP ? "plain UDP lists only to members (a "
                                                      "source there can be forged)"
                      : cfg->transport == RICOCHET_TRANSPORT_POLL ? "HTTP polling's session "
                                                                    "starts with its join"
                                                                  : NULL;
    if (why)
        snprintf(err, err_cap, "client: no lobby here: %s; list over enet, tcp, ws, WebRTC, "
                 "QUIC or WebTransport", why);
    return why != NULL;
}

/* Checks cfg (host and port only if need_relay): 0, or -1 with a
 * message in err that says what to set. */
static int client_config_check(const struct client_config *cfg, bool need_relay, char *err,
                               size_t err_cap)
{
    bool named = cfg && cfg->ticket; /* the ticket says the room and the name */
    char why[200];
    if (!cfg || (need_relay && !cfg->host)) {
        snprintf(err, err_cap, "client: no relay (ricochet_config_set_relay)");
        return -1;
    }
    if (cfg->lobby && lobby_refusal(cfg, err, err_cap))
        return -1;
    bool no_room = !named && !cfg->lobby && !cfg->room; /* a lobby's ricochet_join names it */
    if (!named && (no_room || !cfg->name)) {
        snprintf(err, err_cap, "client: no %s (ricochet_config_set_%s, or a ticket)",
                 no_room ? "room" : "name", no_room ? "room" : "name");
        return -1;
    }
    char rule[PROTO_TEXT_MAX + 1] = CLIENT_ROOM_RULE;
    bool bad_room = !named && !cfg->lobby && !proto_room_valid(cfg->room);
    if (!named && (bad_room || !proto_name_check(cfg->name, PROTO_NAME_MAX, rule, sizeof rule))) {
        client_name_refusal(why, sizeof why, bad_room ? "room" : "name",
                            bad_room ? cfg->room : cfg->name, rule);
        snprintf(err, err_cap, "client: %s", why);
        return -1;
    }
    if ((int)cfg->mode < 0 || cfg->mode >= PROTO_MODE_COUNT || (need_relay && cfg->port == 0)) {
        snprintf(err, err_cap, "client: bad mode or port");
        return -1;
    }
    if (cfg->transport == RICOCHET_TRANSPORT_POLL && cfg->mode != PROTO_MODE_TCP) {
        snprintf(err, err_cap, "client: HTTP polling carries the mode tcp, not %s",
                 proto_mode_name(cfg->mode));
        return -1;
    }
    if (!(client_transport_for(cfg)->caps.modes & (1u << cfg->mode))) {
        snprintf(err, err_cap, "client: %s carries the modes unsequenced, sequenced, reliable%s, "
                 "not %s", cfg->transport == RICOCHET_TRANSPORT_WEBRTC ? "WebRTC"
                           : cfg->transport == RICOCHET_TRANSPORT_QUIC ? "QUIC"
                                                                       : "WebTransport",
                 cfg->transport == RICOCHET_TRANSPORT_WEBRTC ? "" : " and streams",
                 proto_mode_name(cfg->mode));
        return -1;
    }
    return 0;
}

/* Checks cfg (as client_config_check) and allocates a client with no
 * transport yet. Returns NULL with a message in err. */
static struct ricochet *client_new(const struct client_config *cfg, bool need_relay,
                                 char *err, size_t err_cap)
{
    if (client_config_check(cfg, need_relay, err, err_cap) != 0)
        return NULL;
    bool named = cfg->ticket != NULL;
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
        snprintf(c->room, sizeof c->room, "%s", cfg->lobby ? "" : cfg->room);
        snprintf(c->name, sizeof c->name, "%s", cfg->name);
        c->any = cfg->any && !cfg->lobby;
    }
    c->listing.lobby = cfg->lobby;
    c->port = cfg->port;
    client_move_start(c, cfg->more_relays);
    c->hub = cfg->hub;
    c->user = cfg->user;
    c->rejoin_ms = cfg->rejoin_ms;
    c->rejoin_after_ms = cfg->rejoin_after_ms ? cfg->rejoin_after_ms
                                              : RICOCHET_DEFAULT_REJOIN_AFTER_MS;
    c->reflect = cfg->reflect;
    if (cfg->key && proto_key_valid(cfg->key))
        memcpy(c->key, cfg->key, sizeof c->key); /* my first join says it */
    c->aoi = cfg->aoi;
    if (cfg->room_ask)
        c->room_ask = *cfg->room_ask;
    c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : PROTO_TIMEOUT_MS;
    c->connect_timeout_ms = cfg->connect_timeout_ms;
    c->mode = cfg->mode;
    c->transport = cfg->transport;
    c->make_socket = cfg->make_socket;
    c->make_socket_ctx = cfg->make_socket_ctx;
    c->poll_wait_ms = cfg->poll_short ? 0
                      : cfg->poll_wait_ms ? cfg->poll_wait_ms : RICOCHET_DEFAULT_POLL_WAIT_MS;
    if (c->poll_wait_ms > RICOCHET_POLL_WAIT_MAX_MS)
        c->poll_wait_ms = RICOCHET_POLL_WAIT_MAX_MS; /* the relay refuses a longer wait */
    c->poll_interval_ms = cfg->poll_interval_ms ? cfg->poll_interval_ms
                                                : RICOCHET_DEFAULT_POLL_INTERVAL_MS;
    c->caps = client_transport_for(cfg)->caps;
    client_set_next_seq(c, 1); /* client_send.c writes it */
    c->phase = PHASE_CONNECTING;
    c->created_us = clock_now_us();
    c->join_started_us = c->created_us;
    uint64_t seed = 1469598103934665603ull ^ c->port; /* FNV-1a over the name */
    for (const char *p = c->name; *p; p++)
        seed = (seed ^ (unsigned char)*p) * 1099511628211ull;
    rng_seed(&c->ping_rng, seed);
    recv_stats_reset(&c->reflect_stats);
    c->no_member_stats = cfg->no_member_stats;
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

/* c opened by its transport (c->ops), or closed and NULL (why in err). */
static struct ricochet *client_opened(struct ricochet *c, const struct client_config *cfg,
                                      char *err, size_t err_cap)
{
    if (c->ops->open(c, cfg, err, err_cap) == 0)
        return c;
    ricochet_close(c);
    return NULL;
}

struct ricochet *client_create(const struct client_config *cfg, char *err,
                             size_t err_cap)
{
    struct ricochet *c = client_new(cfg, true, err, err_cap);
    if (!c)
        return NULL;
    c->ops = client_transport_for(cfg);
    char why[200];
    if (netaddr_resolve(cfg->host, cfg->port, &c->relay, why, sizeof why) != 0) {
        snprintf(err, err_cap, "client: %s", why);
        ricochet_close(c);
        return NULL;
    }
    return client_opened(c, cfg, err, err_cap);
}

struct ricochet *client_create_detached(const struct client_config *cfg, char *err,
                                      size_t err_cap)
{
    struct ricochet *c = client_new(cfg, false, err, err_cap);
    if (!c)
        return NULL;
    c->ops = &client_detached_ops; /* c->caps stay the mode's transport's */
    return client_opened(c, cfg, err, err_cap);
}

void ricochet_close(struct ricochet *c)
{
    if (!c)
        return;
    if (c->ops)
        c->ops->close(c);
    client_ticket_free(c);
    client_members_free(c);
    client_listing_free(c);
    client_hold_free(c);
    client_lockstep_end(c);
    free(c->latency);
    free(c->rtt);
    sodium_memzero(c->key, sizeof c->key);
    free(c);
}

int ricochet_poll(struct ricochet *c, int timeout_ms, struct ricochet_event *ev)
{
    if (!ev)
        return -1;
    memset(ev, 0, sizeof *ev);
    if (!c)
        return -1;
    client_event_forget(c); /* the last event's bytes are gone */
    client_settle(c);
    uint64_t deadline = clock_now_us() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000u;
    for (;;) {
        if (c->move.hop_pending) {
            uint64_t now = clock_now_us();
            if (now < c->move.hop_at_us && now < deadline)
                clock_sleep_until_us(c->move.hop_at_us < deadline ? c->move.hop_at_us : deadline);
            if (clock_now_us() < c->move.hop_at_us)
                return 0;
            if (client_hop(c, ev))
                return 1;
        }
        if (c->phase == PHASE_DEAD)
            return client_final_event(c, ev);
        if (client_away_event(c, clock_now_us(), ev) ||
            client_lockstep_event(c, clock_now_us(), ev))
            return 1;
        if (c->ops->service(c, deadline, ev) > 0)
            return 1;
        if (c->phase != PHASE_DEAD && !c->move.hop_pending)
            return 0;
    }
}

/* ev cleared and c settled for the next event: false if c is dead. */
static bool event_ready(struct ricochet *c, struct ricochet_event *ev)
{
    memset(ev, 0, sizeof *ev);
    client_event_forget(c);
    client_settle(c);
    return c->phase != PHASE_DEAD;
}

int client_receive(struct ricochet *c, uint8_t channel, uint32_t flags, const uint8_t *bytes,
                   size_t len, uint64_t now_us, struct ricochet_event *ev)
{
    if (!event_ready(c, ev))
        return -1;
    return client_receive_message(c, channel, flags, bytes, len, now_us, ev);
}

int client_tick(struct ricochet *c, uint64_t now_us, struct ricochet_event *ev)
{
    if (!event_ready(c, ev))
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
    if (c)
        c->ops->flush(c);
}

const char *ricochet_event_key(const struct ricochet *c)
{
    return c ? c->ev_key : "";
}

uint32_t ricochet_event_was(const struct ricochet *c)
{
    return c ? c->ev_was : 0;
}

const uint8_t *ricochet_event_bytes(const struct ricochet *c, size_t *len)
{
    size_t n = c ? c->ev_len : 0;
    if (len)
        *len = n;
    return n ? c->ev_bytes : NULL;
}

void client_set_fate(struct ricochet *c, client_fate_fn fn, void *ctx)
{
    c->fate = fn;
    c->fate_ctx = ctx;
}

int client_rebind(struct ricochet *c)
{
    return c && c->ops && c->ops->rebind ? c->ops->rebind(c) : -1;
}

int client_pin_parse(const char *text, char out[CLIENT_PIN_HEX + 1])
{
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == ':')
            continue;
        char ch = *p;
        if (ch >= 'A' && ch <= 'F')
            ch = (char)(ch - 'A' + 'a');
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) || n == CLIENT_PIN_HEX)
            return -1;
        out[n++] = ch;
    }
    out[n] = '\0';
    return n == CLIENT_PIN_HEX ? 0 : -1;
}
