/* test_relay: the relay core driven through a fake transport and a fake
 * clock: rooms, ids, forwarding, stamping, notices, limits, rate limiting,
 * kicks, validation and counters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../proto/control.h"
#include "../proto/log.h"
#include "../proto/rng.h"
#include "../proto/wire.h"
#include "../relay/relay.h"

/* ---- fake transport --------------------------------------------------- */

#define MAX_CTL 4096
#define MAX_STATES 8192
#define MAX_DISC 64

struct sent_ctl {
    uint32_t peer;
    char *json;
    size_t len;
};

struct sent_state {
    uint32_t peer;
    uint8_t channel;
    uint32_t flags;
    size_t len;
    uint64_t at_us; /* fake clock when sent */
    uint8_t bytes[PROTO_STATE_MAX];
};

struct fake {
    struct sent_ctl ctl[MAX_CTL];
    size_t n_ctl;
    struct sent_state *states; /* MAX_STATES */
    size_t n_states;
    uint32_t disc[MAX_DISC];
    enum proto_error_code disc_why[MAX_DISC]; /* the code the core closed it with */
    size_t n_disc;
};

static struct fake fk;
static struct proto_control *dec; /* decoded control (large) */
static uint64_t now_us;

static void fake_send_control(void *ctx, uint32_t peer, const char *json, size_t len)
{
    (void)ctx;
    assert_true(fk.n_ctl < MAX_CTL);
    struct sent_ctl *c = &fk.ctl[fk.n_ctl++];
    c->peer = peer;
    c->json = malloc(len + 1);
    assert_non_null(c->json);
    memcpy(c->json, json, len);
    c->json[len] = '\0';
    c->len = len;
}

static void fake_send_state(void *ctx, const uint32_t *peers, size_t n, uint8_t channel,
                            uint32_t flags, const uint8_t *bytes, size_t len)
{
    (void)ctx;
    assert_true(len <= PROTO_STATE_MAX);
    for (size_t i = 0; i < n; i++) {
        assert_true(fk.n_states < MAX_STATES);
        struct sent_state *s = &fk.states[fk.n_states++];
        s->peer = peers[i];
        s->channel = channel;
        s->flags = flags;
        s->len = len;
        s->at_us = now_us;
        memcpy(s->bytes, bytes, len);
    }
}

static void fake_disconnect(void *ctx, uint32_t peer, enum proto_error_code why)
{
    (void)ctx;
    assert_true(fk.n_disc < MAX_DISC);
    fk.disc_why[fk.n_disc] = why;
    fk.disc[fk.n_disc++] = peer;
}

/* The third transport, as the core sees it: records what the core sends.
 * Two sets of capabilities: those of a transport with channels (like ENet:
 * it fragments, a handshake binds a peer, the ENet modes) and those of a
 * bare datagram socket (like plain UDP). */
#define FAKE_CHANNEL_MODES ((1u << PROTO_MODE_UNSEQUENCED) | (1u << PROTO_MODE_SEQUENCED) | \
                            (1u << PROTO_MODE_RELIABLE))
static const struct relay_transport fake_tp = {
    .ctx = &fk,
    .message_max = 0,
    .forgeable = false,
    .modes = FAKE_CHANNEL_MODES,
    .send_control = fake_send_control,
    .send_state = fake_send_state,
    .disconnect = fake_disconnect,
};
static const struct relay_transport fake_datagram_tp = {
    .ctx = &fk,
    .message_max = RELAY_DATAGRAM_MAX,
    .forgeable = true,
    .modes = 1u << PROTO_MODE_UDP,
    .send_control = fake_send_control,
    .send_state = fake_send_state,
    .disconnect = fake_disconnect,
};

static void fake_clear(void)
{
    for (size_t i = 0; i < fk.n_ctl; i++)
        free(fk.ctl[i].json);
    fk.n_ctl = 0;
    fk.n_states = 0;
    fk.n_disc = 0;
}

/* ---- helpers ---------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    log_threshold = LOG_OFF;
    fk.states = calloc(MAX_STATES, sizeof *fk.states);
    dec = calloc(1, sizeof *dec);
    now_us = 1000000;
    return fk.states && dec ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    fake_clear();
    free(fk.states);
    free(dec);
    return 0;
}

/* A relay on transport tp (NULL: fake_tp) with cfg (NULL: 64 peers). */
static struct relay *make_relay_on(const struct relay_config *cfg,
                                   const struct relay_transport *tp)
{
    struct relay_config def;
    if (!cfg) {
        relay_default_config(&def);
        def.peer_cap = 64;
        def.max_clients = 60;
        cfg = &def;
    }
    fake_clear();
    struct relay *r = relay_create(cfg, tp ? tp : &fake_tp);
    assert_non_null(r);
    return r;
}

static struct relay *make_relay(const struct relay_config *cfg)
{
    return make_relay_on(cfg, NULL);
}

static void connect_peer(struct relay *r, uint32_t peer)
{
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", 40000 + peer);
    assert_int_equal(relay_peer_connect(r, peer, addr, now_us), 0);
}

/* Sends raw text as a control message on channel 0. */
static int send_text(struct relay *r, uint32_t peer, const char *json)
{
    size_t len = strlen(json);
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, json, len);
    int rc = relay_on_datagram(r, peer, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, copy,
                               len, now_us);
    free(copy);
    return rc;
}

static int join_on(struct relay *r, uint32_t peer, uint8_t channel, const char *room,
                   const char *name, bool reflect)
{
    struct proto_control m;
    memset(&m, 0, offsetof(struct proto_control, roster));
    m.type = PROTO_CTL_JOIN;
    snprintf(m.room, sizeof m.room, "%s", room);
    snprintf(m.name, sizeof m.name, "%s", name);
    m.mode = channel == PROTO_CHANNEL_DATAGRAM ? PROTO_MODE_UDP : PROTO_MODE_UNSEQUENCED;
    m.reflect = reflect;
    char buf[512];
    int n = proto_control_encode(buf, sizeof buf, &m);
    assert_true(n > 0);
    return relay_on_datagram(r, peer, channel, PROTO_FLAG_RELIABLE, (uint8_t *)buf,
                             (size_t)n, now_us);
}

static int join(struct relay *r, uint32_t peer, const char *room, const char *name,
                bool reflect)
{
    return join_on(r, peer, PROTO_CHANNEL_CONTROL, room, name, reflect);
}

static size_t make_state(uint8_t *buf, uint32_t sender, uint32_t seq, float x,
                         size_t len)
{
    struct proto_state s = { .sender = sender, .seq = seq, .send_us = 5000000 + seq,
                             .x = x, .y = 50, .vx = 1, .vy = -1, .heading = 0.5f };
    memset(buf, 0xab, PROTO_STATE_MAX);
    assert_int_equal(proto_state_encode(buf, PROTO_STATE_MAX, &s), PROTO_STATE_SIZE);
    return len < PROTO_STATE_SIZE ? PROTO_STATE_SIZE : len;
}

static int send_state(struct relay *r, uint32_t peer, uint32_t forged, uint32_t seq)
{
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, forged, seq, 12.5f, 0);
    return relay_on_datagram(r, peer, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, len,
                             now_us);
}

/* Decodes control message i into dec. */
static const struct proto_control *ctl_at(size_t i)
{
    char why[128];
    int rc = proto_control_decode(fk.ctl[i].json, fk.ctl[i].len, dec, why, sizeof why);
    if (rc != PROTO_OK)
        fail_msg("relay sent undecodable control '%s': %s", fk.ctl[i].json, why);
    return dec;
}

/* Last control of type sent to peer, decoded into dec; NULL if none. */
static const struct proto_control *last_ctl(uint32_t peer, enum proto_ctl_type type)
{
    for (size_t i = fk.n_ctl; i-- > 0;)
        if (fk.ctl[i].peer == peer && ctl_at(i)->type == type)
            return dec;
    return NULL;
}

static size_t count_ctl(uint32_t peer, enum proto_ctl_type type)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_ctl; i++)
        if (fk.ctl[i].peer == peer && ctl_at(i)->type == type)
            n++;
    return n;
}

static const char *last_error(uint32_t peer)
{
    static char code[PROTO_CODE_MAX + 1];
    const struct proto_control *m = last_ctl(peer, PROTO_CTL_ERROR);
    if (!m)
        return "";
    snprintf(code, sizeof code, "%s", m->code);
    return code;
}

static size_t states_to(uint32_t peer)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_states; i++)
        n += fk.states[i].peer == peer;
    return n;
}

static bool disconnected(uint32_t peer)
{
    for (size_t i = 0; i < fk.n_disc; i++)
        if (fk.disc[i] == peer)
            return true;
    return false;
}

/* The wire name of the code peer was last disconnected with ("" if never). */
static const char *disconnect_why(uint32_t peer)
{
    const char *why = "";
    for (size_t i = 0; i < fk.n_disc; i++)
        if (fk.disc[i] == peer)
            why = proto_error_name(fk.disc_why[i]);
    return why;
}

static uint64_t drops(const struct relay *r, enum relay_drop why)
{
    return relay_stats(r)->drops[why];
}

#define DROP(why) (-1 - (int)(why))

/* The default config with room for 8 peers. */
static struct relay_config small_config(void)
{
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = 8;
    return cfg;
}

/* A relay as make_relay_on(cfg, tp) with peers 0..n-1 connected. */
static struct relay *relay_with_peers_on(const struct relay_config *cfg,
                                         const struct relay_transport *tp, uint32_t n)
{
    struct relay *r = make_relay_on(cfg, tp);
    for (uint32_t p = 0; p < n; p++)
        connect_peer(r, p);
    return r;
}

static struct relay *relay_with_peers(const struct relay_config *cfg, uint32_t n)
{
    return relay_with_peers_on(cfg, NULL, n);
}

/* relay_with_peers(cfg, peers) where "a" (peer 0, id 1) and "b" (peer 1,
 * id 2) joined room "lobby", without reflect; the transport record cleared. */
static struct relay *lobby_of_two(const struct relay_config *cfg, uint32_t peers)
{
    struct relay *r = relay_with_peers(cfg, peers);
    assert_int_equal(join(r, 0, "lobby", "a", false), 0);
    assert_int_equal(join(r, 1, "lobby", "b", false), 0);
    fake_clear();
    return r;
}

/* Checks that peer's last left notice is about id with reason; returns it
 * (decoded into dec). */
static const struct proto_control *expect_left(uint32_t peer, uint32_t id,
                                               enum proto_left_reason reason)
{
    const struct proto_control *m = last_ctl(peer, PROTO_CTL_LEFT);
    assert_non_null(m);
    assert_int_equal(m->id, id);
    assert_int_equal(m->reason, reason);
    return m;
}

/* ---- rooms and membership --------------------------------------------- */

static void join_assigns_ids_and_welcomes(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 2);
    assert_int_equal(join(r, 0, "lobby", "alice", false), 0);
    const struct proto_control *w = last_ctl(0, PROTO_CTL_WELCOME);
    assert_non_null(w);
    assert_int_equal(w->id, 1);
    assert_string_equal(w->room, "lobby");
    assert_int_equal(w->roster_len, 0);

    assert_int_equal(join(r, 1, "lobby", "bob", false), 0);
    w = last_ctl(1, PROTO_CTL_WELCOME);
    assert_non_null(w);
    assert_int_equal(w->id, 2);
    assert_int_equal(w->roster_len, 1); /* the others, not me */
    assert_int_equal(w->roster[0].id, 1);
    assert_string_equal(w->roster[0].name, "alice");
    assert_false(w->roster[0].has_state);

    const struct proto_control *j = last_ctl(0, PROTO_CTL_JOINED);
    assert_non_null(j);
    assert_int_equal(j->id, 2);
    assert_string_equal(j->name, "bob");
    assert_int_equal(count_ctl(1, PROTO_CTL_JOINED), 0); /* not about myself */

    assert_int_equal(relay_clients(r), 2);
    assert_int_equal(relay_members(r), 2);
    assert_int_equal(relay_rooms(r), 1);
    assert_int_equal(relay_room_size(r, "lobby"), 2);
    assert_int_equal(relay_peer_id(r, 1), 2);
    assert_int_equal(relay_stats(r)->joins, 2);
    relay_destroy(r);
}

static void leave_notices_and_empty_room_reclaimed(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 3);
    join(r, 2, "lobby", "c", false);

    /* Explicit leave (plain UDP style): quit, the peer stays connected. */
    assert_int_equal(send_text(r, 2, "{\"type\":\"leave\"}"), 0);
    assert_string_equal(expect_left(0, 3, PROTO_LEFT_QUIT)->name, "c");
    assert_true(relay_peer_connected(r, 2));
    assert_false(relay_peer_joined(r, 2));

    /* Disconnect: quit notice. */
    relay_peer_gone(r, 1, PROTO_LEFT_QUIT, now_us);
    expect_left(0, 2, PROTO_LEFT_QUIT);
    assert_int_equal(relay_room_size(r, "lobby"), 1);

    /* Last member leaves: the room is freed. */
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(relay_rooms(r), 0);
    assert_int_equal(relay_room_size(r, "lobby"), 0);
    assert_int_equal(relay_members(r), 0);
    assert_int_equal(relay_clients(r), 1);
    assert_int_equal(relay_stats(r)->leaves, 3);

    /* Ids are never reused; the room comes back on the next join. */
    connect_peer(r, 0);
    assert_int_equal(join(r, 0, "lobby", "a", false), 0);
    assert_int_equal(relay_peer_id(r, 0), 4);
    assert_int_equal(relay_rooms(r), 1);

    /* A second gone for the same peer is ignored. */
    relay_peer_gone(r, 1, PROTO_LEFT_TIMEOUT, now_us);
    assert_int_equal(relay_stats(r)->timeouts, 0);
    relay_destroy(r);
}

static void timeout_notice(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 2);
    relay_peer_gone(r, 1, PROTO_LEFT_TIMEOUT, now_us);
    expect_left(0, 2, PROTO_LEFT_TIMEOUT);
    assert_int_equal(relay_stats(r)->timeouts, 1);
    assert_int_equal(relay_stats(r)->leaves, 0);
    relay_destroy(r);
}

static void room_full(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_room_size = 2;
    struct relay *r = relay_with_peers(&cfg, 3);
    assert_int_equal(join(r, 0, "lobby", "a", false), 0);
    assert_int_equal(join(r, 1, "lobby", "b", false), 0);
    assert_int_equal(join(r, 2, "lobby", "c", false), DROP(RELAY_DROP_ROOM_FULL));
    assert_string_equal(last_error(2), "room_full");
    assert_false(relay_peer_joined(r, 2));
    assert_int_equal(drops(r, RELAY_DROP_ROOM_FULL), 1);
    assert_int_equal(count_ctl(0, PROTO_CTL_JOINED), 1); /* only b's */
    /* Another room is fine. */
    assert_int_equal(join(r, 2, "other", "c", false), 0);
    relay_destroy(r);
}

static void max_rooms(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_rooms = 1;
    struct relay *r = relay_with_peers(&cfg, 2);
    assert_int_equal(join(r, 0, "a", "x", false), 0);
    assert_int_equal(join(r, 1, "b", "y", false), DROP(RELAY_DROP_TOO_MANY_ROOMS));
    assert_string_equal(last_error(1), "too_many_rooms");
    assert_int_equal(relay_rooms(r), 1);
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(join(r, 1, "b", "y", false), 0); /* room a was reclaimed */
    relay_destroy(r);
}

static void server_full(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_clients = 2;
    struct relay *r = relay_with_peers(&cfg, 2);
    assert_int_equal(relay_peer_connect(r, 2, "127.0.0.1:9", now_us), -1);
    assert_string_equal(last_error(2), "server_full");
    assert_true(disconnected(2));
    assert_string_equal(disconnect_why(2), "server_full"); /* ENet disconnect data */
    assert_false(relay_peer_connected(r, 2));
    assert_int_equal(drops(r, RELAY_DROP_SERVER_FULL), 1);
    /* Datagrams from the refused peer are dropped as closed. */
    assert_int_equal(send_state(r, 2, 0, 1), DROP(RELAY_DROP_CLOSED));
    /* Out-of-range handles are refused without a word. */
    assert_int_equal(relay_peer_connect(r, 8, "x", now_us), -1);
    assert_int_equal(relay_on_datagram(r, 1000, 0, 0, (uint8_t *)"{}", 2, now_us),
                     DROP(RELAY_DROP_CLOSED));
    /* A slot frees up: the next one gets in. */
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    connect_peer(r, 2);
    relay_destroy(r);
}

static void bad_names_and_rooms(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.name_max = 5;
    cfg.room_max = 4;
    struct relay *r = relay_with_peers(&cfg, 1);
    assert_int_equal(join(r, 0, "lobby", "al", false), DROP(RELAY_DROP_BAD_ROOM));
    assert_string_equal(last_error(0), "bad_room");
    assert_int_equal(join(r, 0, "lob", "alice6", false), DROP(RELAY_DROP_BAD_NAME));
    assert_string_equal(last_error(0), "bad_name");
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"lob\",\"name\":\"a b\"}"),
                     DROP(RELAY_DROP_BAD_NAME));
    assert_string_equal(last_error(0), "bad_name");
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"l/b\",\"name\":\"ab\"}"),
                     DROP(RELAY_DROP_BAD_ROOM));
    assert_int_equal(join(r, 0, "lob", "alice", false), 0);
    assert_int_equal(drops(r, RELAY_DROP_BAD_NAME), 2);
    assert_int_equal(drops(r, RELAY_DROP_BAD_ROOM), 2);
    relay_destroy(r);
}

static void repeated_join_same_welcome_other_room_refused(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 2);
    join(r, 1, "lobby", "b", false);
    join(r, 0, "lobby", "a", false);
    size_t joined_before = count_ctl(1, PROTO_CTL_JOINED);
    /* ENet proved the address: no 250 ms limit as over plain UDP. */
    assert_int_equal(join(r, 0, "lobby", "a", false), 0);
    assert_int_equal(count_ctl(0, PROTO_CTL_WELCOME), 2);
    assert_int_equal(last_ctl(0, PROTO_CTL_WELCOME)->id, 2);
    assert_int_equal(count_ctl(1, PROTO_CTL_JOINED), joined_before); /* no new notice */
    assert_int_equal(relay_stats(r)->joins, 2);

    assert_int_equal(join(r, 0, "elsewhere", "a", false), DROP(RELAY_DROP_ALREADY_JOINED));
    assert_string_equal(last_error(0), "already_joined");
    assert_int_equal(relay_peer_id(r, 0), 2);
    relay_destroy(r);
}

/* ---- forwarding ------------------------------------------------------- */

static void forwards_to_others_with_stamped_id(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 4);
    join(r, 2, "lobby", "c", false);
    join(r, 3, "elsewhere", "d", false);
    fake_clear();

    /* A forged sender id (2 = "b") is overwritten with the real one (1). */
    assert_int_equal(send_state(r, 0, 2, 7), 0);
    assert_int_equal(fk.n_states, 2);
    assert_int_equal(states_to(0), 0); /* never back to the sender */
    assert_int_equal(states_to(1), 1);
    assert_int_equal(states_to(2), 1);
    assert_int_equal(states_to(3), 0); /* other room */
    for (size_t i = 0; i < fk.n_states; i++) {
        struct proto_state s;
        assert_int_equal(proto_state_decode(fk.states[i].bytes, fk.states[i].len, &s),
                         PROTO_OK);
        assert_int_equal(s.sender, 1);
        assert_int_equal(s.seq, 7);
        assert_true(s.x == 12.5f);
        assert_int_equal(fk.states[i].channel, PROTO_CHANNEL_STATE);
        assert_int_equal(fk.states[i].flags, PROTO_FLAG_UNSEQUENCED);
    }
    const struct relay_stats *st = relay_stats(r);
    assert_int_equal(st->states_in, 1);
    assert_int_equal(st->states_out, 2);
    relay_destroy(r);
}

/* Forwarded on the downstream channel and flags of the mode it arrived in
 * (proto/mode.c), padding kept. */
static void same_channel_and_flags_and_padding(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 2);

    uint64_t out0 = relay_stats(r)->bytes_out;
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 0, 1, 1, 300); /* padded: bytes 40.. are 0xab */
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_RELIABLE, buf,
                                       len, now_us), 0);
    len = make_state(buf, 0, 2, 1, 0);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_UNSEQUENCED, buf,
                                       len, now_us), 0);
    len = make_state(buf, 0, 3, 1, 0);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                                       len, now_us), 0);
    assert_int_equal(fk.n_states, 3);
    assert_int_equal(fk.states[0].channel, PROTO_CHANNEL_RELIABLE);
    assert_int_equal(fk.states[0].flags, PROTO_FLAG_RELIABLE);
    assert_int_equal(fk.states[0].len, 300);
    for (size_t i = PROTO_STATE_SIZE; i < 300; i++)
        assert_int_equal(fk.states[0].bytes[i], 0xab);
    for (int k = 1; k < 3; k++) {
        enum proto_mode m = k == 1 ? PROTO_MODE_SEQUENCED : PROTO_MODE_UNSEQUENCED;
        assert_int_equal(fk.states[k].channel, proto_mode_info(m)->down_channel);
        assert_int_equal(fk.states[k].flags, proto_mode_info(m)->down_flags);
    }
    assert_int_equal(relay_stats(r)->bytes_out - out0, 300 + 2 * PROTO_STATE_SIZE);
    relay_destroy(r);
}

/* Sequenced is ordered per sender: a state older than the sender's newest
 * is dropped and counted as too old; other senders and modes are not. */
static void sequenced_drops_a_senders_late_state(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 3);
    uint8_t buf[PROTO_STATE_MAX];
    const struct { uint32_t peer, seq; uint8_t ch; uint32_t flags; bool forwarded; } steps[] = {
        {0, 5, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_UNSEQUENCED, true},
        {0, 4, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_UNSEQUENCED, false}, /* late */
        {0, 5, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_UNSEQUENCED, false}, /* repeated */
        {1, 1, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_UNSEQUENCED, true},  /* another sender */
        {0, 3, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, true},     /* unsequenced: any order */
        {0, 6, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_UNSEQUENCED, true},
    };
    size_t out = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        size_t len = make_state(buf, 0, steps[i].seq, 1, 0);
        assert_int_equal(relay_on_datagram(r, steps[i].peer, steps[i].ch, steps[i].flags, buf,
                                           len, now_us),
                         steps[i].forwarded ? 0 : DROP(RELAY_DROP_TOO_OLD));
        out += steps[i].forwarded;
        assert_int_equal(fk.n_states, out);
    }
    assert_int_equal(drops(r, RELAY_DROP_TOO_OLD), 2);
    assert_int_equal(count_ctl(0, PROTO_CTL_ERROR), 0); /* no error: the network's doing */
    relay_destroy(r);
}

static void reflect_sends_back_to_sender(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 2);
    join(r, 0, "lobby", "a", true);
    join(r, 1, "lobby", "b", false);
    fake_clear();
    assert_int_equal(send_state(r, 0, 0, 1), 0);
    assert_int_equal(states_to(0), 1);
    assert_int_equal(states_to(1), 1);
    assert_int_equal(send_state(r, 1, 0, 1), 0); /* b did not ask */
    assert_int_equal(states_to(1), 1);
    assert_int_equal(states_to(0), 2);

    /* Alone in a room with reflect: still gets its own states. */
    connect_peer(r, 2);
    join(r, 2, "solo", "s", true);
    fake_clear();
    assert_int_equal(send_state(r, 2, 0, 1), 0);
    assert_int_equal(states_to(2), 1);
    struct proto_state s;
    assert_int_equal(proto_state_decode(fk.states[0].bytes, fk.states[0].len, &s), 0);
    assert_int_equal(s.sender, 3);
    relay_destroy(r);
}

static void state_before_join_dropped(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 2);
    join(r, 1, "lobby", "b", false);
    fake_clear();
    assert_int_equal(send_state(r, 0, 0, 1), DROP(RELAY_DROP_NOT_JOINED));
    assert_int_equal(fk.n_states, 0);
    assert_string_equal(last_error(0), "not_joined");
    assert_int_equal(drops(r, RELAY_DROP_NOT_JOINED), 1);
    assert_int_equal(relay_stats(r)->states_in, 0);
    /* Many of them: counted, never a kick (a join may be on its way). */
    for (int i = 0; i < 40; i++) {
        now_us += 20000;
        send_state(r, 0, 0, (uint32_t)i);
    }
    assert_int_equal(drops(r, RELAY_DROP_NOT_JOINED), 41);
    assert_false(disconnected(0));
    assert_int_equal(fk.n_states, 0);
    relay_destroy(r);
}

/* A member's clock offset goes to the others (not back), stamped with its
 * id, and later joiners find it in the welcome's roster. */
static void clock_offsets_reach_the_room(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 3);
    assert_int_equal(send_text(r, 2, "{\"type\":\"clock\",\"offset_us\":5,\"bound_us\":1}"),
                     DROP(RELAY_DROP_NOT_JOINED));
    assert_int_equal(send_text(r, 0, "{\"type\":\"clock\",\"offset_us\":-10800000000,"
                                     "\"bound_us\":150}"), 0);
    const struct proto_control *m = last_ctl(1, PROTO_CTL_CLOCK);
    assert_non_null(m);
    assert_int_equal(m->id, 1);
    assert_true(m->clock_offset_us == -10800000000ll);
    assert_int_equal(m->clock_bound_us, 150);
    assert_null(last_ctl(0, PROTO_CTL_CLOCK));
    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    const struct proto_control *w = last_ctl(2, PROTO_CTL_WELCOME);
    assert_non_null(w);
    for (size_t i = 0; i < w->roster_len; i++) {
        assert_int_equal(w->roster[i].has_clock, w->roster[i].id == 1);
        if (w->roster[i].id == 1)
            assert_true(w->roster[i].clock_offset_us == -10800000000ll);
    }
    relay_destroy(r);
}

static void late_joiner_gets_last_states(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 3);
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 99, 41, 33.25f, 0);
    relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, len, now_us);
    len = make_state(buf, 0, 42, 44.5f, 0);
    relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, len, now_us);

    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    const struct proto_control *w = last_ctl(2, PROTO_CTL_WELCOME);
    assert_non_null(w);
    assert_int_equal(w->roster_len, 2);
    bool saw_a = false, saw_b = false;
    for (size_t i = 0; i < w->roster_len; i++) {
        const struct proto_member *m = &w->roster[i];
        if (m->id == 1) {
            saw_a = true;
            assert_true(m->has_state);
            assert_int_equal(m->state.seq, 42);
            assert_true(m->state.x == 44.5f);
            assert_string_equal(m->name, "a");
        } else if (m->id == 2) {
            saw_b = true;
            assert_false(m->has_state);
        }
    }
    assert_true(saw_a && saw_b);
    relay_destroy(r);
}

/* ---- validation ------------------------------------------------------- */

static void bad_control_messages(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 0; /* this test is about codes, not kicks */
    struct relay *r = relay_with_peers(&cfg, 1);
    static const struct {
        const char *json;
        enum relay_drop why;
        const char *code;
    } cases[] = {
        { "{\"type\":", RELAY_DROP_BAD_JSON, "bad_json" },
        { "{nonsense}", RELAY_DROP_BAD_JSON, "bad_json" },
        { "[1,2,3]", RELAY_DROP_BAD_JSON, "bad_json" },
        { "{\"type\":\"dance\"}", RELAY_DROP_UNKNOWN_TYPE, "unknown_type" },
        { "{\"type\":\"welcome\",\"id\":1,\"room\":\"x\",\"roster\":[]}",
          RELAY_DROP_UNKNOWN_TYPE, "unknown_type" },
        { "{\"type\":\"join\",\"version\":2,\"name\":\"a\"}", RELAY_DROP_MISSING_FIELD, "missing_field" },
        { "{\"room\":\"a\"}", RELAY_DROP_MISSING_FIELD, "missing_field" },
        { "{\"type\":\"join\",\"version\":2,\"room\":5,\"name\":\"a\"}", RELAY_DROP_BAD_FIELD, "bad_field" },
        { "{\"type\":\"chat\",\"text\":\"hi\"}", RELAY_DROP_NOT_JOINED, "not_joined" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        now_us += 1000000; /* a fresh error budget each time */
        int rc = send_text(r, 0, cases[i].json);
        if (rc != DROP(cases[i].why))
            fail_msg("'%s': got %d, want %s", cases[i].json, rc,
                     relay_drop_name(cases[i].why));
        assert_string_equal(last_error(0), cases[i].code);
    }
    assert_int_equal(drops(r, RELAY_DROP_BAD_JSON), 3);
    assert_int_equal(drops(r, RELAY_DROP_UNKNOWN_TYPE), 2);
    assert_int_equal(drops(r, RELAY_DROP_MISSING_FIELD), 2);
    assert_int_equal(drops(r, RELAY_DROP_BAD_FIELD), 1);
    assert_int_equal(drops(r, RELAY_DROP_NOT_JOINED), 1);
    assert_true(relay_peer_connected(r, 0)); /* bad input is not fatal */
    /* Unknown fields are ignored. */
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"a\",\"name\":\"b\","
                                     "\"colour\":\"red\"}"), 0);
    relay_destroy(r);
}

static void bad_states_and_sizes(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 0;
    cfg.max_packet_size = 1500;
    struct relay *r = lobby_of_two(&cfg, 2);
    uint8_t buf[2048];
    size_t len = make_state(buf, 0, 1, 1, 0);

    buf[0] = 2; /* bad version */
    now_us += 1000000;
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, len, now_us),
                     DROP(RELAY_DROP_BAD_STATE));
    assert_string_equal(last_error(0), "bad_state");
    buf[0] = 1;
    now_us += 1000000;
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, 20, now_us),
                     DROP(RELAY_DROP_BAD_STATE)); /* short */
    now_us += 1000000;
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, 0, now_us),
                     DROP(RELAY_DROP_BAD_STATE)); /* empty */
    /* Longer than PROTO_STATE_MAX but within max_packet_size. */
    memset(buf + PROTO_STATE_SIZE, 0, sizeof buf - PROTO_STATE_SIZE);
    now_us += 1000000;
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                                       PROTO_STATE_MAX + 1, now_us),
                     DROP(RELAY_DROP_TOO_BIG));
    assert_string_equal(last_error(0), "too_big");
    /* Longer than max_packet_size: too big before anything else. */
    now_us += 1000000;
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_CONTROL, 0, buf, 1501, now_us),
                     DROP(RELAY_DROP_TOO_BIG));
    assert_int_equal(drops(r, RELAY_DROP_TOO_BIG), 2);
    assert_int_equal(drops(r, RELAY_DROP_BAD_STATE), 3);
    const struct relay_stats *st = relay_stats(r);
    assert_int_equal(st->state_errors[0], 2);
    assert_int_equal(st->state_errors[1], 1);
    assert_int_equal(fk.n_states, 0); /* nothing bad was forwarded */
    /* Exactly PROTO_STATE_MAX is fine. */
    len = make_state(buf, 0, 2, 1, PROTO_STATE_MAX);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf, len, now_us), 0);
    assert_int_equal(fk.n_states, 1);
    relay_destroy(r);
}

/* Issue 8 item 3: a state whose send_us the roster cannot echo (>= 10^15)
 * is a bad_state, so it never blocks the welcome of a later joiner; the
 * largest echoable one is forwarded and echoed. */
static void unechoable_state_is_dropped(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 0;
    struct relay *r = lobby_of_two(&cfg, 3);
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 0, 1, 1, 0);
    const uint64_t big = 1000000000000000ull; /* 10^15 */
    for (int i = 0; i < 8; i++)
        buf[12 + i] = (uint8_t)(big >> (56 - 8 * i));
    now_us += 1000000;
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                                       len, now_us),
                     DROP(RELAY_DROP_BAD_STATE));
    assert_string_equal(last_error(0), "bad_state");
    assert_int_equal(fk.n_states, 0);
    /* One below: accepted, forwarded, and echoed in the next welcome. */
    for (int i = 0; i < 8; i++)
        buf[12 + i] = (uint8_t)((big - 1) >> (56 - 8 * i));
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                                       len, now_us), 0);
    assert_int_equal(fk.n_states, 1);
    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    const struct proto_control *w = last_ctl(2, PROTO_CTL_WELCOME);
    assert_non_null(w);
    assert_int_equal(w->roster_len, 2); /* the others */
    bool seen = false;
    for (size_t i = 0; i < w->roster_len; i++)
        if (w->roster[i].has_state) {
            assert_true(w->roster[i].state.send_us == big - 1);
            seen = true;
        }
    assert_true(seen);
    relay_destroy(r);
}

static void wrong_channels(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 0;
    struct relay *r = lobby_of_two(&cfg, 2);
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 0, 1, 1, 0);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                                       len, now_us), DROP(RELAY_DROP_WRONG_CHANNEL));
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_RELIABLE, buf,
                                       len, now_us), DROP(RELAY_DROP_WRONG_CHANNEL));
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, 0, /* sequenced of v1 */
                                       buf, len, now_us), DROP(RELAY_DROP_WRONG_CHANNEL));
    assert_int_equal(relay_on_datagram(r, 0, 7, 0, buf, len, now_us),
                     DROP(RELAY_DROP_WRONG_CHANNEL));
    char chat[] = "{\"type\":\"chat\",\"text\":\"x\"}";
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, 0, (uint8_t *)chat,
                                       strlen(chat), now_us), DROP(RELAY_DROP_WRONG_CHANNEL));
    assert_int_equal(drops(r, RELAY_DROP_WRONG_CHANNEL), 5);
    assert_int_equal(fk.n_states, 0);
    assert_int_equal(count_ctl(1, PROTO_CTL_CHAT), 0);
    relay_destroy(r);
}

static void strikes_lead_to_kick(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 5;
    struct relay *r = lobby_of_two(&cfg, 2);
    /* Slow garbage is forgiven (strikes decay at 1/s). */
    for (int i = 0; i < 20; i++) {
        now_us += 1500000;
        send_text(r, 0, "garbage");
    }
    assert_true(relay_peer_joined(r, 0));
    /* Fast garbage is not. */
    int i;
    for (i = 0; i < 20 && relay_peer_connected(r, 0); i++) {
        now_us += 10000;
        send_text(r, 0, "garbage");
    }
    assert_false(relay_peer_connected(r, 0));
    assert_in_range(i, 5, 7);
    assert_true(disconnected(0));
    assert_string_equal(last_error(0), "kicked");
    assert_string_equal(disconnect_why(0), "kicked");
    expect_left(1, 1, PROTO_LEFT_KICKED);
    assert_int_equal(relay_stats(r)->kicks, 1);
    relay_destroy(r);
}

static void error_budget_limits_replies(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 0;
    cfg.rate_limit = 0;
    struct relay *r = relay_with_peers(&cfg, 1);
    for (int i = 0; i < 1000; i++)
        send_text(r, 0, "{");
    assert_int_equal(drops(r, RELAY_DROP_BAD_JSON), 1000);
    size_t errors = count_ctl(0, PROTO_CTL_ERROR);
    assert_in_range(errors, 1, 10);
    assert_int_equal(relay_stats(r)->errors_suppressed, 1000 - errors);
    relay_destroy(r);
}

/* ---- rate limit ------------------------------------------------------- */

static void nominal_rate_is_never_limited(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 2); /* defaults: 180/s, burst 60 */
    /* 60 Hz for 10 s, with a 1 s stall then catch-up burst of 60 at once. */
    uint32_t seq = 0;
    for (int i = 0; i < 600; i++) {
        now_us += 16667;
        assert_int_equal(send_state(r, 0, 0, seq++), 0);
    }
    now_us += 1000000;
    for (int i = 0; i < 60; i++)
        assert_int_equal(send_state(r, 0, 0, seq++), 0);
    assert_int_equal(drops(r, RELAY_DROP_RATE_LIMITED), 0);
    assert_int_equal(states_to(1), 660);
    relay_destroy(r);
}

static void rate_limit_then_kick(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.rate_limit = 100;
    cfg.rate_burst = 20;
    cfg.kick_after_ms = 2000;
    struct relay *r = lobby_of_two(&cfg, 2);
    /* 10x the limit: 1000/s. */
    uint32_t seq = 0;
    uint64_t start = now_us;
    while (relay_peer_connected(r, 0) && now_us - start < 5000000) {
        now_us += 1000;
        send_state(r, 0, 0, seq++);
    }
    uint64_t kicked_after = now_us - start;
    assert_false(relay_peer_connected(r, 0));
    assert_in_range(kicked_after, 2000000, 2100000);
    /* While throttled, about rate_limit/s got through. */
    size_t forwarded = states_to(1);
    assert_in_range(forwarded, 20 + 2 * 100 - 5, 20 + 2 * 100 + 5);
    assert_true(drops(r, RELAY_DROP_RATE_LIMITED) >= seq - forwarded - 1);
    /* Warned (about once a second), then kicked. */
    size_t warned = 0;
    for (size_t i = 0; i < fk.n_ctl; i++)
        if (fk.ctl[i].peer == 0 && ctl_at(i)->type == PROTO_CTL_ERROR &&
            strcmp(dec->code, "rate_limited") == 0)
            warned++;
    assert_in_range(warned, 2, 3);
    assert_string_equal(last_error(0), "kicked");
    assert_true(disconnected(0));
    expect_left(1, 1, PROTO_LEFT_KICKED);
    assert_int_equal(relay_stats(r)->kicks, 1);
    /* Whatever else it sends is dropped, and the other member is fine. */
    assert_int_equal(send_state(r, 0, 0, seq++), DROP(RELAY_DROP_CLOSED));
    assert_true(relay_peer_joined(r, 1));
    assert_int_equal(relay_rooms(r), 1);
    /* The transport's later DISCONNECT for it changes nothing. */
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(relay_stats(r)->leaves, 0);
    relay_destroy(r);
}

/* Sends at 1000/s for burst_us (10x the limit of make_burst_relay). */
static void burst(struct relay *r, uint32_t peer, uint64_t burst_us, uint32_t *seq)
{
    uint64_t end = now_us + burst_us;
    while (now_us < end && relay_peer_connected(r, peer)) {
        send_state(r, peer, 0, (*seq)++);
        now_us += 1000;
    }
}

static struct relay *make_burst_relay(void)
{
    struct relay_config cfg = small_config();
    cfg.rate_limit = 100;
    cfg.rate_burst = 20;
    cfg.kick_after_ms = 1000;
    struct relay *r = relay_with_peers(&cfg, 1);
    join(r, 0, "lobby", "a", false);
    return r;
}

/* The kick needs kick_after of rate limiting without a 1 s pause. Bursts
 * at 10x the limit, each 0.9 s long (so about 0.88 s of drops, just under
 * the 1 s kick_after), 1.1 s apart: many drops, never a kick. The same
 * bursts 0.5 s apart form one streak: kicked during the second burst. */
static void short_bursts_are_not_kicked(void **state)
{
    (void)state;
    struct relay *r = make_burst_relay();
    uint32_t seq = 0;
    for (int b = 0; b < 6; b++) {
        uint64_t dropped = drops(r, RELAY_DROP_RATE_LIMITED);
        burst(r, 0, 900000, &seq);
        assert_true(relay_peer_joined(r, 0));
        assert_true(drops(r, RELAY_DROP_RATE_LIMITED) - dropped > 700);
        now_us += 1100000;
    }
    assert_int_equal(relay_stats(r)->kicks, 0);
    relay_destroy(r);

    r = make_burst_relay();
    burst(r, 0, 900000, &seq);
    assert_true(relay_peer_joined(r, 0));
    now_us += 500000;
    uint64_t second = now_us;
    burst(r, 0, 900000, &seq);
    assert_false(relay_peer_connected(r, 0));
    assert_int_equal(relay_stats(r)->kicks, 1);
    /* The 0.5 s pause did not end the streak (which began about 20 ms into
     * the first burst): the first drop of the second burst, once its
     * refilled bucket is spent (about 20 ms in), is a kick. */
    assert_in_range(now_us - second, 10000, 60000);
    relay_destroy(r);
}

/* ---- chat, ping, datagram transport, shutdown ------------------------- */

static void chat_reaches_everyone(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 3);
    join(r, 2, "other", "c", false);
    assert_int_equal(send_text(r, 1, "{\"type\":\"chat\",\"text\":\"hello there\"}"), 0);
    for (uint32_t p = 0; p < 2; p++) {
        const struct proto_control *m = last_ctl(p, PROTO_CTL_CHAT);
        assert_non_null(m);
        assert_int_equal(m->id, 2);
        assert_string_equal(m->name, "b");
        assert_string_equal(m->text, "hello there");
    }
    assert_int_equal(count_ctl(2, PROTO_CTL_CHAT), 0);
    relay_destroy(r);
}

static void ping_pong(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 1);
    assert_int_equal(send_text(r, 0, "{\"type\":\"ping\",\"t\":123456}"), 0);
    const struct proto_control *m = last_ctl(0, PROTO_CTL_PONG);
    assert_non_null(m);
    assert_int_equal(m->t, 123456);
    relay_destroy(r);
}

static void datagram_transport_rules(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    struct relay *r = relay_with_peers_on(&cfg, &fake_datagram_tp, 2);
    /* Ping from a stranger (an expired member): not_joined, no pong. */
    char ping[] = "{\"type\":\"ping\",\"t\":5}";
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_DATAGRAM, 0, (uint8_t *)ping,
                                       strlen(ping), now_us), DROP(RELAY_DROP_NOT_JOINED));
    assert_string_equal(last_error(0), "not_joined");
    assert_int_equal(count_ctl(0, PROTO_CTL_PONG), 0);

    assert_int_equal(join_on(r, 0, PROTO_CHANNEL_DATAGRAM, "lobby", "a", false), 0);
    assert_int_equal(join_on(r, 1, PROTO_CHANNEL_DATAGRAM, "lobby", "b", false), 0);
    /* The join retried (the welcome was lost): same welcome, same id; but
     * not within 250 ms of the last welcome. */
    now_us += 249000;
    assert_int_equal(join_on(r, 1, PROTO_CHANNEL_DATAGRAM, "lobby", "b", false), 0);
    assert_int_equal(count_ctl(1, PROTO_CTL_WELCOME), 1);
    now_us += 1000;
    assert_int_equal(join_on(r, 1, PROTO_CHANNEL_DATAGRAM, "lobby", "b", false), 0);
    assert_int_equal(count_ctl(1, PROTO_CTL_WELCOME), 2);
    assert_int_equal(last_ctl(1, PROTO_CTL_WELCOME)->id, 2);
    assert_int_equal(last_ctl(1, PROTO_CTL_WELCOME)->roster[0].mode, PROTO_MODE_UDP);
    assert_int_equal(count_ctl(0, PROTO_CTL_JOINED), 1);

    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_DATAGRAM, 0, (uint8_t *)ping,
                                       strlen(ping), now_us), 0);
    assert_int_equal(last_ctl(0, PROTO_CTL_PONG)->t, 5);

    fake_clear();
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 0, 1, 1, 0);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_DATAGRAM, 0, buf, len, now_us),
                     0);
    assert_int_equal(states_to(1), 1);
    /* Garbage whose first byte is neither '{' nor 1 is a bad state. */
    buf[0] = 'x';
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_DATAGRAM, 0, buf, len, now_us),
                     DROP(RELAY_DROP_BAD_STATE));
    char leave[] = "{\"type\":\"leave\"}";
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_DATAGRAM, 0, (uint8_t *)leave,
                                       strlen(leave), now_us), 0);
    assert_int_equal(last_ctl(1, PROTO_CTL_LEFT)->reason, PROTO_LEFT_QUIT);
    relay_destroy(r);
}

static void enet_refuses_udp_mode(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 1);
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"a\",\"name\":\"b\","
                                     "\"mode\":\"udp\"}"), DROP(RELAY_DROP_BAD_FIELD));
    assert_string_equal(last_error(0), "bad_field");
    relay_destroy(r);
}

static void shutdown_tells_everyone(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 4);
    join(r, 2, "x", "c", false);
    fake_clear();
    relay_shutdown(r, now_us);
    for (uint32_t p = 0; p < 4; p++) {
        assert_string_equal(last_error(p), "shutting_down");
        assert_true(disconnected(p));
        assert_string_equal(disconnect_why(p), "shutting_down");
        assert_int_equal(count_ctl(p, PROTO_CTL_LEFT), 0);
    }
    assert_int_equal(relay_clients(r), 0);
    assert_int_equal(relay_rooms(r), 0);
    assert_int_equal(relay_members(r), 0);
    relay_destroy(r);
}

/* A handshake that completes during the shutdown drain is told too,
 * instead of becoming a client that nobody will ever say goodbye to. */
static void connect_after_shutdown_refused(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 1);
    relay_shutdown(r, now_us);
    fake_clear();
    assert_int_equal(relay_peer_connect(r, 1, "127.0.0.1:40001", now_us), -1);
    assert_string_equal(last_error(1), "shutting_down");
    assert_true(disconnected(1));
    assert_false(relay_peer_connected(r, 1));
    assert_int_equal(relay_clients(r), 0);
    relay_destroy(r);
}

/* relay.h: a connect on a handle the core still holds (the transport
 * missed a gone) ends the old session, with a left notice to its room, and
 * takes the new peer: the transport's slot is the truth. */
static void connect_on_busy_handle_replaces_session(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 2);
    join(r, 0, "lobby", "old", false);
    join(r, 1, "lobby", "watcher", false);
    uint32_t old_id = relay_peer_id(r, 0);
    fake_clear();
    assert_int_equal(relay_peer_connect(r, 0, "127.0.0.1:50000", now_us), 0);
    expect_left(1, old_id, PROTO_LEFT_QUIT);
    assert_int_equal(fk.n_disc, 0); /* the new connection is not closed */
    assert_true(relay_peer_connected(r, 0));
    assert_false(relay_peer_joined(r, 0));
    assert_int_equal(relay_clients(r), 2);
    assert_int_equal(relay_room_size(r, "lobby"), 1);
    assert_int_equal(join(r, 0, "lobby", "new", false), 0);
    assert_true(relay_peer_id(r, 0) > old_id); /* ids are not reused */
    relay_destroy(r);
}

/* relay_peer_too_big: what the transport could not deliver (ENet's packet
 * size cap). Unreliable: counted, answered, the peer stays. Reliable: the
 * channel can never move on, so the peer is closed like a kick. */
static void too_big_reported_by_transport(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 2);
    uint32_t id0 = relay_peer_id(r, 0);

    relay_peer_too_big(r, 0, 100000, 65536, false, now_us);
    assert_int_equal(drops(r, RELAY_DROP_TOO_BIG), 1);
    assert_string_equal(last_error(0), "too_big");
    assert_true(relay_peer_joined(r, 0));
    assert_false(disconnected(0));

    relay_peer_too_big(r, 0, 100000, 65536, true, now_us);
    assert_int_equal(drops(r, RELAY_DROP_TOO_BIG), 2);
    assert_string_equal(last_error(0), "too_big");
    assert_true(disconnected(0));
    assert_false(relay_peer_connected(r, 0));
    expect_left(1, id0, PROTO_LEFT_KICKED);
    assert_int_equal(relay_stats(r)->kicks, 1);
    assert_int_equal(relay_clients(r), 1);

    /* the rest of that packet, resent: the peer is gone, nothing more */
    size_t n_ctl = fk.n_ctl;
    relay_peer_too_big(r, 0, 100000, 65536, true, now_us);
    relay_peer_too_big(r, 7, 100000, 65536, true, now_us); /* never connected */
    relay_peer_too_big(r, 9999, 100000, 65536, true, now_us); /* out of range */
    assert_int_equal(drops(r, RELAY_DROP_TOO_BIG), 2);
    assert_int_equal(fk.n_ctl, n_ctl);
    assert_int_equal(relay_stats(r)->kicks, 1);
    relay_destroy(r);
}

static void stats_record_is_json(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 2);
    send_state(r, 0, 0, 1);
    send_text(r, 0, "{oops");
    char line[4096];
    int n = relay_stats_json(r, line, sizeof line, 1.5, true);
    assert_true(n > 0);
    assert_int_equal(line[n - 1], '\n');
    cJSON *j = cJSON_Parse(line);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "type")->valuestring, "stats");
    assert_int_equal(cJSON_GetObjectItem(j, "clients")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(j, "rooms")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(j, "states_in")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(j, "states_out")->valueint, 1);
    assert_true(cJSON_GetObjectItem(j, "bytes_in")->valuedouble > 40);
    cJSON *d = cJSON_GetObjectItem(j, "drops");
    assert_int_equal(cJSON_GetObjectItem(d, "bad_json")->valueint, 1);
    for (int i = 0; i < RELAY_DROP_COUNT; i++)
        assert_non_null(cJSON_GetObjectItem(d, relay_drop_name((enum relay_drop)i)));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "final")));
    cJSON_Delete(j);
    assert_int_equal(relay_stats_json(r, line, 20, 1.5, true), -1);
    relay_destroy(r);
}

/* Random bytes on every channel from members and strangers: no crash, no
 * forwarding of anything that is not a valid state, counters add up. */
static void random_garbage_is_survived(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 0;
    cfg.rate_limit = 0;
    struct relay *r = lobby_of_two(&cfg, 3);
    struct rng g;
    rng_seed(&g, 42);
    uint8_t buf[600];
    uint64_t rejected = 0;
    for (int i = 0; i < 20000; i++) {
        size_t len = rng_below(&g, sizeof buf);
        for (size_t k = 0; k < len; k++)
            buf[k] = (uint8_t)rng_below(&g, 256);
        if (len > 0 && rng_below(&g, 4) == 0)
            buf[0] = '{';
        if (len > 1 && rng_below(&g, 4) == 0)
            buf[0] = 1, buf[1] = 1;
        uint8_t ch = (uint8_t)rng_below(&g, 4);
        if (ch == 3)
            ch = PROTO_CHANNEL_DATAGRAM;
        uint32_t flags = rng_below(&g, 4);
        int rc = relay_on_datagram(r, rng_below(&g, 4), ch, flags, buf, len, now_us);
        rejected += rc < 0;
        now_us += 100;
        if (fk.n_ctl > MAX_CTL / 2 || fk.n_states > MAX_STATES / 2)
            fake_clear();
    }
    const struct relay_stats *st = relay_stats(r);
    uint64_t sum = 0;
    for (int i = 0; i < RELAY_DROP_COUNT; i++)
        sum += st->drops[i];
    assert_true(rejected > 10000);
    assert_int_equal(sum, rejected);
    assert_true(relay_rooms(r) <= 3);
    relay_destroy(r);
}

/* ---- plain UDP: amplification limits ---------------------------------- */

/* A stream of repeated joins (over udp anyone can send them with a forged
 * source address) gets at most one welcome per 250 ms. */
static void repeated_joins_get_few_welcomes(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.rate_limit = 0;
    struct relay *r = relay_with_peers_on(&cfg, &fake_datagram_tp, 1);
    assert_int_equal(join_on(r, 0, PROTO_CHANNEL_DATAGRAM, "lobby", "a", false), 0);
    for (int i = 0; i < 200; i++) { /* 2 s at 100 joins/s */
        now_us += 10000;
        assert_int_equal(join_on(r, 0, PROTO_CHANNEL_DATAGRAM, "lobby", "a", false), 0);
    }
    size_t welcomes = count_ctl(0, PROTO_CTL_WELCOME);
    print_message("200 repeated joins in 2 s: %zu welcomes\n", welcomes);
    assert_in_range(welcomes, 1 + 7, 1 + 8);
    assert_int_equal(relay_stats(r)->joins, 1);
    relay_destroy(r);
}

/* Room for n members and a late joiner (and a spare peer), no rate limit. */
static struct relay_config big_room_config(uint32_t n)
{
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = n + 2;
    cfg.max_clients = n + 2;
    cfg.max_room_size = n + 1;
    cfg.rate_limit = 0;
    return cfg;
}

/* Fills room "big" with n members (peers 0..n-1) named with 32 bytes,
 * each with a last state. */
static void fill_big_room(struct relay *r, uint8_t channel, uint32_t n)
{
    for (uint32_t p = 0; p < n; p++) {
        char name[PROTO_NAME_MAX + 1];
        snprintf(name, sizeof name, "member_%025u", (unsigned)p);
        connect_peer(r, p);
        assert_int_equal(join_on(r, p, channel, "big", name, false), 0);
        fake_clear();
    }
    for (uint32_t p = 0; p < n; p++) {
        uint8_t buf[PROTO_STATE_MAX];
        size_t len = make_state(buf, 0, p, (float)p, 0);
        uint32_t flags = channel == PROTO_CHANNEL_DATAGRAM ? 0 : PROTO_FLAG_UNSEQUENCED;
        uint8_t ch = channel == PROTO_CHANNEL_DATAGRAM ? channel : PROTO_CHANNEL_STATE;
        assert_int_equal(relay_on_datagram(r, p, ch, flags, buf, len, now_us), 0);
        fake_clear();
    }
}

/* Checks what peer got since the last fake_clear: a welcome first, then
 * only joined notices; every datagram within RELAY_DATAGRAM_MAX; together
 * they name each of the n others exactly once (ids 1..n), roster entries
 * with their state. Returns the roster length of the welcome. */
static size_t check_split_welcome(uint32_t peer, uint32_t n)
{
    bool *seen = calloc(n + 1, sizeof *seen);
    assert_non_null(seen);
    bool welcomed = false;
    size_t named = 0, roster = 0, max_len = 0, total = 0;
    for (size_t i = 0; i < fk.n_ctl; i++) {
        if (fk.ctl[i].peer != peer)
            continue;
        total += fk.ctl[i].len;
        if (fk.ctl[i].len > max_len)
            max_len = fk.ctl[i].len;
        assert_true(fk.ctl[i].len <= RELAY_DATAGRAM_MAX);
        const struct proto_control *m = ctl_at(i);
        if (!welcomed) {
            assert_int_equal(m->type, PROTO_CTL_WELCOME);
            welcomed = true;
            roster = m->roster_len;
            assert_true(roster >= 1);
            for (size_t k = 0; k < m->roster_len; k++) {
                uint32_t id = m->roster[k].id;
                assert_true(id >= 1 && id <= n && !seen[id]);
                assert_true(m->roster[k].has_state);
                assert_int_equal(m->roster[k].mode, PROTO_MODE_UDP);
                seen[id] = true;
                named++;
            }
            continue;
        }
        assert_int_equal(m->type, PROTO_CTL_JOINED);
        assert_true(m->id >= 1 && m->id <= n && !seen[m->id]);
        assert_int_equal(strlen(m->name), PROTO_NAME_MAX);
        assert_int_equal(m->mode, PROTO_MODE_UDP);
        seen[m->id] = true;
        named++;
    }
    assert_true(welcomed);
    assert_int_equal(named, n);
    free(seen);
    print_message("welcome to a room of %u others: roster of %zu, %zu joined notices; "
                  "largest datagram %zu bytes, %zu bytes in all\n", (unsigned)n, roster,
                  n - roster, max_len, total);
    return roster;
}

/* Over plain UDP no datagram may exceed RELAY_DATAGRAM_MAX (a 59 KB welcome
 * was both a 1000x amplifier and, near 64 KB, unsendable): the roster holds
 * what fits and the rest comes as joined notices, on a repeated join too. */
static void datagram_welcome_is_split(void **state)
{
    (void)state;
    const uint32_t n = PROTO_ROSTER_MAX - 1;
    struct relay_config cfg = big_room_config(n);
    struct relay *r = make_relay_on(&cfg, &fake_datagram_tp);
    fill_big_room(r, PROTO_CHANNEL_DATAGRAM, n);

    connect_peer(r, n);
    assert_int_equal(join_on(r, n, PROTO_CHANNEL_DATAGRAM, "big", "late", false), 0);
    size_t roster = check_split_welcome(n, n);
    assert_true(roster < n);
    /* The others hear about the newcomer once. */
    assert_int_equal(count_ctl(0, PROTO_CTL_JOINED), 1);
    assert_int_equal(last_ctl(0, PROTO_CTL_JOINED)->id, n + 1);

    /* The welcome was "lost": the repeated join gets the same answer. */
    fake_clear();
    now_us += 250000;
    assert_int_equal(join_on(r, n, PROTO_CHANNEL_DATAGRAM, "big", "late", false), 0);
    assert_int_equal(check_split_welcome(n, n), roster);
    assert_int_equal(count_ctl(0, PROTO_CTL_JOINED), 0);
    relay_destroy(r);

    /* A small room still gets the whole roster in the welcome. */
    r = make_relay_on(&cfg, &fake_datagram_tp);
    fill_big_room(r, PROTO_CHANNEL_DATAGRAM, 2);
    connect_peer(r, 2);
    assert_int_equal(join_on(r, 2, PROTO_CHANNEL_DATAGRAM, "big", "late", false), 0);
    assert_int_equal(check_split_welcome(2, 2), 2);
    relay_destroy(r);
}

/* ENet delivers a long reliable message itself: one welcome, whole roster. */
static void enet_welcome_is_whole(void **state)
{
    (void)state;
    const uint32_t n = PROTO_ROSTER_MAX - 1;
    struct relay_config cfg = big_room_config(n);
    struct relay *r = make_relay(&cfg);
    fill_big_room(r, PROTO_CHANNEL_CONTROL, n);
    connect_peer(r, n);
    assert_int_equal(join(r, n, "big", "late", false), 0);
    assert_int_equal(count_ctl(n, PROTO_CTL_WELCOME), 1);
    assert_int_equal(count_ctl(n, PROTO_CTL_JOINED), 0);
    const struct proto_control *w = last_ctl(n, PROTO_CTL_WELCOME);
    assert_int_equal(w->roster_len, n);
    relay_destroy(r);
}

/* The transport could not read all of a datagram (MSG_TRUNC): too_big,
 * worded with what is known, and a strike like any too_big. */
static void truncated_datagram_is_too_big(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    struct relay *r = relay_with_peers_on(&cfg, &fake_datagram_tp, 1);
    static uint8_t cut[2049]; /* the first 2049 bytes of a longer datagram */
    memset(cut, 'x', sizeof cut);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_DATAGRAM, RELAY_IN_TRUNCATED, cut,
                                       sizeof cut, now_us), DROP(RELAY_DROP_TOO_BIG));
    assert_int_equal(drops(r, RELAY_DROP_TOO_BIG), 1);
    const struct proto_control *m = last_ctl(0, PROTO_CTL_ERROR);
    assert_non_null(m);
    assert_string_equal(m->code, "too_big");
    assert_non_null(strstr(m->text, "more than 2049 bytes"));
    assert_int_equal(relay_stats(r)->bytes_in, 2049);
    assert_int_equal(relay_on_datagram(r, 5, PROTO_CHANNEL_DATAGRAM, RELAY_IN_TRUNCATED, cut,
                                       sizeof cut, now_us), DROP(RELAY_DROP_CLOSED));
    relay_destroy(r);
}

/* ---- kick bans -------------------------------------------------------- */

static int connect_from(struct relay *r, uint32_t peer, const char *addr)
{
    return relay_peer_connect(r, peer, addr, now_us);
}

/* Kicks peer (connected from addr) with fast garbage. */
static void kick_peer(struct relay *r, uint32_t peer, const char *addr)
{
    fake_clear();
    assert_int_equal(connect_from(r, peer, addr), 0);
    for (int i = 0; i < 50 && relay_peer_connected(r, peer); i++) {
        now_us += 1000;
        send_text(r, peer, "garbage");
    }
    assert_false(relay_peer_connected(r, peer));
    assert_string_equal(last_error(peer), "kicked");
}

static void kicked_address_is_refused_for_a_while(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.max_strikes = 3;
    cfg.kick_ban_ms = 10000;
    struct relay *r = make_relay(&cfg);
    kick_peer(r, 0, "127.0.0.1:40000");
    assert_int_equal(relay_stats(r)->kicks, 1);

    /* Same IP address, another port: refused, told, counted. */
    fake_clear();
    assert_int_equal(connect_from(r, 1, "127.0.0.1:40001"), -1);
    assert_string_equal(last_error(1), "kicked");
    assert_non_null(strstr(last_ctl(1, PROTO_CTL_ERROR)->text, "try again in 10 s"));
    assert_true(disconnected(1));
    assert_false(relay_peer_connected(r, 1));
    assert_int_equal(drops(r, RELAY_DROP_BANNED), 1);
    assert_int_equal(relay_clients(r), 0);
    /* Another address is welcome. */
    assert_int_equal(connect_from(r, 2, "10.1.2.3:40002"), 0);
    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    /* Until the ban runs out. */
    now_us += 9999000;
    assert_int_equal(connect_from(r, 1, "127.0.0.1:40001"), -1);
    assert_int_equal(drops(r, RELAY_DROP_BANNED), 2);
    now_us += 1000;
    assert_int_equal(connect_from(r, 1, "127.0.0.1:40001"), 0);
    assert_int_equal(join(r, 1, "lobby", "b", false), 0);
    assert_int_equal(drops(r, RELAY_DROP_BANNED), 2);

    /* Many kicked addresses: the table forgets the oldest, never fails. */
    for (uint32_t i = 0; i < 100; i++) {
        char addr[32];
        snprintf(addr, sizeof addr, "10.9.%u.%u:5", (unsigned)(i / 250), (unsigned)(i % 250));
        kick_peer(r, 3, addr);
    }
    assert_int_equal(connect_from(r, 4, "10.9.0.99:6"), -1); /* the latest is banned */
    relay_destroy(r);

    /* kick_ban_ms 0: no ban. */
    cfg.kick_ban_ms = 0;
    r = make_relay(&cfg);
    kick_peer(r, 0, "127.0.0.1:40000");
    assert_int_equal(connect_from(r, 1, "127.0.0.1:40001"), 0);
    assert_int_equal(drops(r, RELAY_DROP_BANNED), 0);
    relay_destroy(r);
}

/* The default is on: 10 s. */
static void kick_ban_defaults(void **state)
{
    (void)state;
    struct relay_config cfg;
    relay_default_config(&cfg);
    assert_int_equal(cfg.kick_ban_ms, 10000);
    assert_int_equal(cfg.peer_cap, cfg.max_clients + RELAY_SPARE_PEERS);
    assert_string_equal(relay_drop_name(RELAY_DROP_BANNED), "banned");
}

/* ---- tick batching ---------------------------------------------------- */

#define TICK_US 10000u /* 10 ms ticks in these tests */

static struct relay *tick_room(uint32_t members, bool reflect_first)
{
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = 64;
    cfg.max_clients = 60;
    cfg.rate_limit = 0;
    cfg.tick_us = TICK_US;
    struct relay *r = relay_with_peers(&cfg, members);
    for (uint32_t p = 0; p < members; p++) {
        char name[16];
        snprintf(name, sizeof name, "p%u", (unsigned)p);
        assert_int_equal(join(r, p, "lobby", name, reflect_first && p == 0), 0);
    }
    fake_clear();
    return r;
}

/* Senders at random moments over many ticks: every recipient gets every
 * other sender's states exactly once, in the order sent, each at most one
 * tick after the relay received it, and never before its tick ended. */
static void tick_keeps_order_loses_nothing_bounds_latency(void **state)
{
    (void)state;
    enum { MEMBERS = 4, PER_SENDER = 150 };
    struct relay *r = tick_room(MEMBERS, false);
    uint64_t recv_at[MEMBERS][PER_SENDER + 1];
    uint32_t next_seq[MEMBERS] = { 0 };
    struct rng g;
    rng_seed(&g, 7);
    size_t sent_total = 0;
    while (sent_total < (size_t)MEMBERS * PER_SENDER) {
        /* The next arrival 0..4 ms later: several per tick. Like the
         * transports, wake for the tick when it is due before that. */
        uint64_t next = now_us + rng_below(&g, 4000);
        if (relay_tick_due(r) <= next) {
            now_us = relay_tick_due(r);
            assert_true(relay_tick(r, now_us) > 0);
        }
        now_us = next;
        uint32_t peer = rng_below(&g, MEMBERS);
        if (next_seq[peer] == PER_SENDER)
            continue;
        uint32_t seq = ++next_seq[peer];
        size_t before = fk.n_states;
        assert_int_equal(send_state(r, peer, 0, seq), 0);
        assert_int_equal(fk.n_states, before); /* held, not sent */
        recv_at[peer][seq] = now_us;
        assert_true(relay_tick_due(r) > now_us);
        assert_true(relay_tick_due(r) - now_us <= TICK_US);
        sent_total++;
    }
    now_us = relay_tick_due(r);
    relay_tick(r, now_us);
    assert_int_equal(relay_tick_due(r), UINT64_MAX);

    /* Re-read what the fake transport sent, per (recipient, sender). */
    uint32_t last[MEMBERS][MEMBERS] = { { 0 } };
    size_t got = 0;
    for (size_t i = 0; i < fk.n_states; i++) {
        struct proto_state s;
        assert_int_equal(proto_state_decode(fk.states[i].bytes, fk.states[i].len, &s),
                         PROTO_OK);
        uint32_t from = s.sender - 1, to = fk.states[i].peer; /* ids 1..4 = peers 0..3 */
        assert_true(from < MEMBERS && to < MEMBERS && from != to);
        assert_int_equal(s.seq, last[to][from] + 1); /* in order, no gap, no dup */
        last[to][from] = s.seq;
        uint64_t waited = fk.states[i].at_us - recv_at[from][s.seq];
        assert_true(waited <= TICK_US);
        /* never before the end of the tick it arrived in */
        assert_true(fk.states[i].at_us >= (recv_at[from][s.seq] / TICK_US + 1) * TICK_US);
        got++;
    }
    for (uint32_t to = 0; to < MEMBERS; to++)
        for (uint32_t from = 0; from < MEMBERS; from++)
            if (to != from)
                assert_int_equal(last[to][from], PER_SENDER);
    assert_int_equal(got, (size_t)MEMBERS * PER_SENDER * (MEMBERS - 1));
    const struct relay_stats *st = relay_stats(r);
    assert_int_equal(st->states_in, (uint64_t)MEMBERS * PER_SENDER);
    assert_int_equal(st->states_out, got);
    assert_true(st->ticks > 0 && st->ticks < st->states_in); /* batched */
    relay_destroy(r);
}

/* One tick's states leave in one fan-out, each a single send_state call
 * for all its recipients, and the fan-out waits for the tick's end. */
static void tick_holds_until_the_end_of_the_tick(void **state)
{
    (void)state;
    struct relay *r = tick_room(3, true);
    now_us = 5 * TICK_US + 100;
    assert_int_equal(relay_tick_due(r), UINT64_MAX);
    assert_int_equal(send_state(r, 0, 0, 1), 0);
    assert_int_equal(relay_tick_due(r), 6 * TICK_US);
    now_us += 1000;
    assert_int_equal(send_state(r, 1, 0, 1), 0);
    assert_int_equal(relay_tick(r, 6 * TICK_US - 1), 0);
    assert_int_equal(fk.n_states, 0);
    assert_int_equal(relay_tick(r, 6 * TICK_US), 2);
    /* peer 0 reflects: its state goes to all 3; peer 1's to the 2 others */
    assert_int_equal(fk.n_states, 5);
    assert_int_equal(relay_tick(r, 7 * TICK_US), 0);
    assert_int_equal(relay_stats(r)->ticks, 1);
    relay_destroy(r);
}

/* A sender that leaves before its tick ends: its held states are not
 * sent after its left notice; a new session on the same handle does not
 * inherit them either. Others' states still go out. */
static void tick_skips_senders_who_left(void **state)
{
    (void)state;
    struct relay *r = tick_room(3, false);
    assert_int_equal(send_state(r, 0, 0, 1), 0);
    assert_int_equal(send_state(r, 1, 0, 1), 0);
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    connect_peer(r, 0);
    assert_int_equal(join(r, 0, "lobby", "again", false), 0);
    size_t n = fk.n_states;
    assert_int_equal(relay_tick(r, now_us + TICK_US), 1);
    assert_int_equal(fk.n_states - n, 2); /* peer 1's state, to peers 2 and 0 */
    for (size_t i = n; i < fk.n_states; i++) {
        struct proto_state s;
        assert_int_equal(proto_state_decode(fk.states[i].bytes, fk.states[i].len, &s),
                         PROTO_OK);
        assert_int_equal(s.sender, 2);
    }
    relay_destroy(r);
}

/* More states in one tick than the queue holds: the queue goes out early,
 * in order; nothing is lost. Shutdown sends what is held. */
static void tick_full_queue_and_shutdown_send_everything(void **state)
{
    (void)state;
    struct relay *r = tick_room(2, false);
    const uint32_t n = 5000; /* over TICK_QUEUE (4096) */
    for (uint32_t seq = 1; seq <= n; seq++)
        assert_int_equal(send_state(r, 0, 0, seq), 0);
    assert_true(fk.n_states > 0 && fk.n_states < n); /* the early fan-out */
    relay_shutdown(r, now_us);
    assert_int_equal(fk.n_states, n);
    for (uint32_t i = 0; i < n; i++) {
        struct proto_state s;
        assert_int_equal(proto_state_decode(fk.states[i].bytes, fk.states[i].len, &s),
                         PROTO_OK);
        assert_int_equal(s.seq, i + 1);
        assert_int_equal(fk.states[i].peer, 1);
    }
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(join_assigns_ids_and_welcomes),
        cmocka_unit_test(leave_notices_and_empty_room_reclaimed),
        cmocka_unit_test(timeout_notice),
        cmocka_unit_test(room_full),
        cmocka_unit_test(max_rooms),
        cmocka_unit_test(server_full),
        cmocka_unit_test(bad_names_and_rooms),
        cmocka_unit_test(repeated_join_same_welcome_other_room_refused),
        cmocka_unit_test(forwards_to_others_with_stamped_id),
        cmocka_unit_test(same_channel_and_flags_and_padding),
        cmocka_unit_test(sequenced_drops_a_senders_late_state),
        cmocka_unit_test(reflect_sends_back_to_sender),
        cmocka_unit_test(state_before_join_dropped),
        cmocka_unit_test(late_joiner_gets_last_states),
        cmocka_unit_test(clock_offsets_reach_the_room),
        cmocka_unit_test(bad_control_messages),
        cmocka_unit_test(bad_states_and_sizes),
        cmocka_unit_test(unechoable_state_is_dropped),
        cmocka_unit_test(wrong_channels),
        cmocka_unit_test(strikes_lead_to_kick),
        cmocka_unit_test(error_budget_limits_replies),
        cmocka_unit_test(nominal_rate_is_never_limited),
        cmocka_unit_test(rate_limit_then_kick),
        cmocka_unit_test(short_bursts_are_not_kicked),
        cmocka_unit_test(chat_reaches_everyone),
        cmocka_unit_test(ping_pong),
        cmocka_unit_test(datagram_transport_rules),
        cmocka_unit_test(enet_refuses_udp_mode),
        cmocka_unit_test(shutdown_tells_everyone),
        cmocka_unit_test(connect_after_shutdown_refused),
        cmocka_unit_test(connect_on_busy_handle_replaces_session),
        cmocka_unit_test(too_big_reported_by_transport),
        cmocka_unit_test(stats_record_is_json),
        cmocka_unit_test(random_garbage_is_survived),
        cmocka_unit_test(repeated_joins_get_few_welcomes),
        cmocka_unit_test(datagram_welcome_is_split),
        cmocka_unit_test(enet_welcome_is_whole),
        cmocka_unit_test(truncated_datagram_is_too_big),
        cmocka_unit_test(kicked_address_is_refused_for_a_while),
        cmocka_unit_test(kick_ban_defaults),
        cmocka_unit_test(tick_keeps_order_loses_nothing_bounds_latency),
        cmocka_unit_test(tick_holds_until_the_end_of_the_tick),
        cmocka_unit_test(tick_skips_senders_who_left),
        cmocka_unit_test(tick_full_queue_and_shutdown_send_everything),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
