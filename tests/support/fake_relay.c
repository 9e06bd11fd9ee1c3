/* fake_relay.c: the relay core through a fake transport (see fake_relay.h). */
#include "fake_relay.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relay/settings.h"
#include "sys/log.h"
struct fake fk;
struct proto_control *dec; /* decoded control (large) */
uint64_t now_us;

/* A fake edge: which, and the handles the core gave it. */
struct fake_edge {
    int id;
    uint32_t base, peers;
};
static struct fake_edge fake_edges[2] = {{.id = FAKE_CHANNELS}, {.id = FAKE_DATAGRAM}};

/* The core calls an edge with handles of its own range only. */
static int edge_of(void *ctx, uint32_t peer)
{
    const struct fake_edge *e = ctx;
    if (peer - e->base >= e->peers)
        fail_msg("the core called fake edge %d (handles %u..%u) with handle %u", e->id,
                 (unsigned)e->base, (unsigned)(e->base + e->peers - 1), (unsigned)peer);
    return e->id;
}

static void fake_send_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    assert_true(fk.n_ctl < MAX_CTL);
    struct sent_ctl *c = &fk.ctl[fk.n_ctl++];
    c->edge = edge_of(ctx, peer);
    c->peer = peer;
    c->json = malloc(len + 1);
    assert_non_null(c->json);
    memcpy(c->json, json, len);
    c->json[len] = '\0';
    c->len = len;
    c->states_before = fk.n_states;
}

/* Something more waits for peer (fake_holding_tp's backlog). */
static void hold(uint32_t peer, size_t len)
{
    if (peer >= FAKE_HELD_PEERS)
        return;
    if (fk.held[peer].bytes == 0)
        fk.held[peer].moved_us = now_us; /* held from now */
    fk.held[peer].bytes += len;
}

static void holding_send_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    fake_send_control(ctx, peer, json, len);
    hold(peer, len);
}

static void fake_send_state(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                            uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len)
{
    assert_true(len <= PROTO_STATE_MAX);
    for (size_t i = 0; i < n; i++) {
        assert_true(fk.n_states < MAX_STATES);
        struct sent_state *s = &fk.states[fk.n_states++];
        s->edge = edge_of(ctx, peers[i]);
        s->call = fk.n_calls;
        s->from = from;
        s->peer = peers[i];
        s->channel = channel;
        s->flags = flags;
        s->len = len;
        s->at_us = now_us;
        memcpy(s->bytes, bytes, len);
    }
    fk.n_calls++;
}

static void holding_send_state(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                               uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len)
{
    fake_send_state(ctx, from, peers, n, channel, flags, bytes, len);
    for (size_t i = 0; (flags & PROTO_FLAG_RELIABLE) && i < n; i++)
        hold(peers[i], len);
}

static void holding_backlog(void *ctx, uint32_t peer, struct relay_backlog *out)
{
    edge_of(ctx, peer);
    if (peer < FAKE_HELD_PEERS)
        *out = fk.held[peer];
}

void fake_take(uint32_t peer, uint64_t bytes)
{
    struct relay_backlog *b = &fk.held[peer];
    b->bytes -= bytes < b->bytes ? bytes : b->bytes;
    b->moved_us = now_us;
}

static void fake_disconnect(void *ctx, uint32_t peer, enum proto_error_code why)
{
    edge_of(ctx, peer);
    assert_true(fk.n_disc < MAX_DISC);
    fk.disc_why[fk.n_disc] = why;
    fk.disc_states[fk.n_disc] = fk.n_states;
    fk.disc[fk.n_disc++] = peer;
    if (peer < FAKE_HELD_PEERS)
        fk.held[peer] = (struct relay_backlog){0}; /* its slot is free again */
}

static void fake_member(void *ctx, uint32_t peer, const struct relay_member_way *way)
{
    edge_of(ctx, peer);
    if (peer < FAKE_HELD_PEERS)
        fk.member[peer] = (struct fake_member){.is = way != NULL,
                                               .way = way ? *way : (struct relay_member_way){0},
                                               .ctl_at = fk.n_ctl};
}

/* The third transport, as the core sees it: records what the core sends.
 * Two sets of capabilities: those of a transport with channels (like ENet:
 * it fragments, a handshake binds a peer, the ENet modes) and those of a
 * bare datagram socket (like plain UDP). */
const struct relay_transport fake_tp = {
    .ctx = &fake_edges[FAKE_CHANNELS],
    .name = "channels",
    .message_max = 0,
    .forgeable = false,
    .modes = FAKE_CHANNEL_MODES,
    .send_control = fake_send_control,
    .send_state = fake_send_state,
    .disconnect = fake_disconnect,
    .member = fake_member,
};
const struct relay_transport fake_holding_tp = {
    .ctx = &fake_edges[FAKE_CHANNELS],
    .name = "channels",
    .message_max = 0,
    .forgeable = false,
    .modes = FAKE_CHANNEL_MODES,
    .send_control = holding_send_control,
    .send_state = holding_send_state,
    .disconnect = fake_disconnect,
    .backlog = holding_backlog,
    .member = fake_member,
};
const struct relay_transport fake_datagram_tp = {
    .ctx = &fake_edges[FAKE_DATAGRAM],
    .name = "datagrams",
    .message_max = RELAY_DATAGRAM_MAX,
    .forgeable = true,
    .modes = 1u << PROTO_MODE_UDP,
    .send_control = fake_send_control,
    .send_state = fake_send_state,
    .disconnect = fake_disconnect,
    .member = fake_member,
};

void fake_clear(void)
{
    for (size_t i = 0; i < fk.n_ctl; i++)
        free(fk.ctl[i].json);
    fk.n_ctl = 0;
    fk.n_states = 0;
    fk.n_calls = 0;
    fk.n_disc = 0;
}


int fake_relay_setup(void **state)
{
    (void)state;
    log_threshold = LOG_OFF;
    fk.states = calloc(MAX_STATES, sizeof *fk.states);
    dec = calloc(1, sizeof *dec);
    now_us = 1000000;
    return fk.states && dec ? 0 : -1;
}

int fake_relay_teardown(void **state)
{
    (void)state;
    fake_clear();
    free(fk.states);
    free(dec);
    return 0;
}

/* A relay on transport tp (NULL: fake_tp) with cfg (NULL: 64 peers). */
struct relay *make_relay_on(const struct relay_config *cfg, const struct relay_transport *tp)
{
    struct relay_config def;
    if (!cfg) {
        relay_default_config(&def);
        def.peer_cap = 64;
        def.max_clients = 60;
        cfg = &def;
    }
    fake_clear();
    memset(fk.held, 0, sizeof fk.held);
    memset(fk.member, 0, sizeof fk.member);
    tp = tp ? tp : &fake_tp;
    struct relay *r = relay_create(cfg, tp, 1);
    assert_non_null(r);
    struct fake_edge *e = tp->ctx;
    if (e == &fake_edges[0] || e == &fake_edges[1])
        *e = (struct fake_edge){.id = e->id, .base = 0, .peers = cfg->peer_cap};
    return r;
}

struct relay *make_two_edge(const struct relay_config *cfg, uint32_t each)
{
    const struct relay_transport tps[2] = {fake_tp, fake_datagram_tp};
    return make_two_edge_of(cfg, each, tps);
}

struct relay *make_two_edge_of(const struct relay_config *cfg, uint32_t each,
                               const struct relay_transport edges[2])
{
    struct relay_config def;
    if (!cfg) {
        relay_default_config(&def);
        def.max_clients = 2 * each;
        cfg = &def;
    }
    struct relay_transport tps[2] = {edges[0], edges[1]};
    tps[0].ctx = &fake_edges[FAKE_CHANNELS];
    tps[1].ctx = &fake_edges[FAKE_DATAGRAM];
    tps[0].peers = tps[1].peers = each;
    fake_clear();
    memset(fk.member, 0, sizeof fk.member);
    struct relay *r = relay_create(cfg, tps, 2);
    assert_non_null(r);
    assert_int_equal(relay_edge_base(r, 0), 0);
    assert_int_equal(relay_edge_base(r, 1), each);
    fake_edges[0] = (struct fake_edge){.id = FAKE_CHANNELS, .base = 0, .peers = each};
    fake_edges[1] = (struct fake_edge){.id = FAKE_DATAGRAM, .base = each, .peers = each};
    return r;
}

struct relay *make_relay(const struct relay_config *cfg)
{
    return make_relay_on(cfg, NULL);
}

int connect_at(struct relay *r, uint32_t peer, const char *endpoint)
{
    union netaddr a;
    char err[128];
    assert_int_equal(netaddr_parse_endpoint(endpoint, &a, err, sizeof err), 0);
    return relay_peer_connect(r, peer, &a, now_us);
}

void connect_peer(struct relay *r, uint32_t peer)
{
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", 40000 + peer);
    assert_int_equal(connect_at(r, peer, addr), 0);
}

void connect_peer_from(struct relay *r, uint32_t peer, const char *ip)
{
    char addr[64];
    snprintf(addr, sizeof addr, "%s:%u", ip, 40000 + peer);
    assert_int_equal(connect_at(r, peer, addr), 0);
}

/* Sends raw text as a control message on channel 0. */
int send_text(struct relay *r, uint32_t peer, const char *json)
{
    size_t len = strlen(json);
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, json, len);
    int rc = relay_on_datagram(r, peer, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, copy,
                               len, now_us);
    free(copy);
    return rc;
}

int send_control_msg(struct relay *r, uint32_t peer, uint8_t channel,
                     const struct proto_control *m)
{
    char buf[512];
    int n = proto_control_encode(buf, sizeof buf, m);
    assert_true(n > 0);
    return relay_on_datagram(r, peer, channel, PROTO_FLAG_RELIABLE, (uint8_t *)buf,
                             (size_t)n, now_us);
}

int join_on(struct relay *r, uint32_t peer, uint8_t channel, const char *room, const char *name, bool reflect)
{
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "%s", room);
    snprintf(m.name, sizeof m.name, "%s", name);
    m.mode = channel == PROTO_CHANNEL_DATAGRAM ? PROTO_MODE_UDP : PROTO_MODE_UNSEQUENCED;
    m.reflect = reflect;
    return send_control_msg(r, peer, channel, &m);
}

int join(struct relay *r, uint32_t peer, const char *room, const char *name, bool reflect)
{
    return join_on(r, peer, PROTO_CHANNEL_CONTROL, room, name, reflect);
}

size_t make_state(uint8_t *buf, uint32_t sender, uint32_t seq, float x, size_t len)
{
    struct proto_state s = { .sender = sender, .seq = seq, .send_us = 5000000 + seq,
                             .x = x, .y = 50, .vx = 1, .vy = -1, .heading = 0.5f };
    memset(buf, 0xab, PROTO_STATE_MAX);
    assert_int_equal(proto_state_encode(buf, PROTO_STATE_MAX, &s), PROTO_STATE_SIZE);
    return len < PROTO_STATE_SIZE ? PROTO_STATE_SIZE : len;
}

int send_state(struct relay *r, uint32_t peer, uint32_t forged, uint32_t seq)
{
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, forged, seq, 12.5f, 0);
    return relay_on_datagram(r, peer, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, len,
                             now_us);
}

/* Decodes control message i into dec. */
const struct proto_control *ctl_at(size_t i)
{
    char why[128];
    int rc = proto_control_decode(fk.ctl[i].json, fk.ctl[i].len, dec, why, sizeof why);
    if (rc != PROTO_OK)
        fail_msg("relay sent undecodable control '%s': %s", fk.ctl[i].json, why);
    return dec;
}

/* Is control message i to peer and JSON (not an event, binary)? */
static bool json_to(size_t i, uint32_t peer)
{
    return fk.ctl[i].peer == peer && fk.ctl[i].len && fk.ctl[i].json[0] == '{';
}

/* Last control of type sent to peer, decoded into dec; NULL if none. */
const struct proto_control *last_ctl(uint32_t peer, enum proto_ctl_type type)
{
    for (size_t i = fk.n_ctl; i-- > 0;)
        if (json_to(i, peer) && ctl_at(i)->type == type)
            return dec;
    return NULL;
}

size_t count_ctl(uint32_t peer, enum proto_ctl_type type)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_ctl; i++)
        if (json_to(i, peer) && ctl_at(i)->type == type)
            n++;
    return n;
}

const char *last_error(uint32_t peer)
{
    static char code[PROTO_CODE_MAX + 1];
    const struct proto_control *m = last_ctl(peer, PROTO_CTL_ERROR);
    if (!m)
        return "";
    snprintf(code, sizeof code, "%s", m->code);
    return code;
}

size_t states_to(uint32_t peer)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_states; i++)
        n += fk.states[i].peer == peer;
    return n;
}

bool disconnected(uint32_t peer)
{
    for (size_t i = 0; i < fk.n_disc; i++)
        if (fk.disc[i] == peer)
            return true;
    return false;
}

/* The wire name of the code peer was last disconnected with ("" if never). */
const char *disconnect_why(uint32_t peer)
{
    const char *why = "";
    for (size_t i = 0; i < fk.n_disc; i++)
        if (fk.disc[i] == peer)
            why = proto_error_name(fk.disc_why[i]);
    return why;
}

uint64_t drops(const struct relay *r, enum relay_drop why)
{
    return relay_stats(r)->drops[why];
}


/* The default config with room for 8 peers. */
struct relay_config unlimited_config(void)
{
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = 64;
    cfg.max_clients = 60;
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    return cfg;
}

struct relay_config small_config(void)
{
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = 8;
    return cfg;
}

/* A relay as make_relay_on(cfg, tp) with peers 0..n-1 connected. */
struct relay *relay_with_peers_on(const struct relay_config *cfg, const struct relay_transport *tp, uint32_t n)
{
    struct relay *r = make_relay_on(cfg, tp);
    for (uint32_t p = 0; p < n; p++)
        connect_peer(r, p);
    return r;
}

struct relay *relay_with_peers(const struct relay_config *cfg, uint32_t n)
{
    return relay_with_peers_on(cfg, NULL, n);
}

/* relay_with_peers(cfg, peers) where "a" (peer 0, id 1) and "b" (peer 1,
 * id 2) joined room "lobby", without reflect; the transport record cleared. */
struct relay *lobby_of_two(const struct relay_config *cfg, uint32_t peers)
{
    struct relay *r = relay_with_peers(cfg, peers);
    assert_int_equal(join(r, 0, "lobby", "a", false), 0);
    assert_int_equal(join(r, 1, "lobby", "b", false), 0);
    fake_clear();
    return r;
}

/* Checks that peer's last left notice is about id with reason; returns it
 * (decoded into dec). */
const struct proto_control *expect_left(uint32_t peer, uint32_t id, enum proto_left_reason reason)
{
    const struct proto_control *m = last_ctl(peer, PROTO_CTL_LEFT);
    assert_non_null(m);
    assert_int_equal(m->id, id);
    assert_int_equal(m->reason, reason);
    return m;
}
