/* test_relay_sealed: the relay core's sealed sessions (--ticket-key with
 * --encrypt) through the fake transport. A ticketed join gets only the
 * session's `sealed` message (salt and tag, in clear, no longer than the
 * join): no member, no room, no notice, until a join sealed under the
 * session's keys proves the joiner holds them; one that never comes is
 * closed by the join timeout. Then everything is sealed: the welcome, a
 * state opened once and sealed again for each recipient, the refusals
 * (room_full names no room), the fleet's moved. What does not open
 * (changed, replayed, clear, too long, cut short) is counted and dropped
 * without an error, a strike, a rate-limit kick, or keeping the member
 * alive: a sealed member from which nothing opens for the timeout is gone.
 * An edge that encrypts every byte itself (secure: DTLS, TLS) is not
 * sealed again: its members join and talk in clear beside sealed ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/seal.h"
#include "proto/ticket.h"
#include "relay/core/fleet.h"
#include "tests/support/fake_relay.h"

#define NOW_S 1800000000ull

static struct ticket_key key_now;

static int setup(void **state)
{
    uint8_t a[TICKET_KEY_BYTES] = {1};
    if (ticket_crypto_init() != 0)
        return -1;
    ticket_key_from_secret(&key_now, a);
    return fake_relay_setup(state);
}

/* A sealing relay taking tickets under key_now in fleet "ricochet". */
static struct relay *sealing_relay(const struct relay_transport *tp, uint32_t peers,
                                   uint32_t max_room_size)
{
    struct relay_config cfg = small_config();
    cfg.ticket_keys[0] = key_now;
    cfg.n_ticket_keys = 1;
    cfg.encrypt = true;
    cfg.timeout_ms = 1000;
    if (max_room_size)
        cfg.max_room_size = max_room_size;
    snprintf(cfg.fleet_name, sizeof cfg.fleet_name, "ricochet");
    struct relay *r = relay_with_peers_on(&cfg, tp, peers);
    relay_set_unix_time(r, NOW_S);
    fake_clear();
    return r;
}

/* What a client holds of its sealed session. */
struct sealed_client {
    struct ticket_claims c;
    char pass[TICKET_PASS_TEXT_MAX + 1];
    uint8_t nonce[SEAL_NONCE_BYTES];
    char join[TICKET_PASS_TEXT_MAX + 256]; /* its join, in clear */
    struct seal_tx tx;
    struct seal_rx rx;
};

/* A fresh ticket for name in room, and a join with a fresh nonce. */
static void client_for(const char *room, const char *name, struct sealed_client *sc)
{
    char text[TICKET_TEXT_MAX + 1], hex[SEAL_HEX_LEN + 1];
    struct ticket_claims want = {.issued_s = NOW_S, .expires_s = NOW_S + 60, .sealed = true};
    snprintf(want.room, sizeof want.room, "%s", room);
    snprintf(want.name, sizeof want.name, "%s", name);
    snprintf(want.fleet, sizeof want.fleet, "ricochet");
    assert_true(ticket_mint(&key_now, &want, text, sizeof text) > 0);
    assert_int_equal(ticket_read(text, &sc->c, sc->pass, sizeof sc->pass), 0);
    static uint8_t next = 1;
    memset(sc->nonce, next++, sizeof sc->nonce);
    seal_hex_format(sc->nonce, hex);
    snprintf(sc->join, sizeof sc->join,
             "{\"type\":\"join\",\"version\":3,\"ticket\":\"%s\",\"nonce\":\"%s\"}", sc->pass,
             hex);
}

/* Sends text as it is on channel (copied: the core may write in place). */
static int text_on(struct relay *r, uint32_t peer, uint8_t channel, const char *text)
{
    uint8_t *copy = (uint8_t *)strdup(text);
    int rc = relay_on_datagram(r, peer, channel, channel == PROTO_CHANNEL_CONTROL
                               ? PROTO_FLAG_RELIABLE : 0, copy, strlen(text), now_us);
    free(copy);
    return rc;
}

/* Sends the clear join on channel; the one answer must be `sealed`, its
 * tag the relay's for this nonce; derives the session's keys as a client
 * does. */
static void clear_join_on(struct relay *r, uint32_t peer, uint8_t channel,
                          struct sealed_client *sc)
{
    size_t first = fk.n_ctl;
    assert_int_equal(text_on(r, peer, channel, sc->join), 0);
    assert_int_equal(fk.n_ctl, first + 1);
    assert_true(fk.ctl[first].len <= strlen(sc->join));
    const struct proto_control *m = ctl_at(first);
    assert_int_equal(m->type, PROTO_CTL_SEALED);
    uint8_t salt[SEAL_SALT_BYTES], tag[SEAL_PROOF_BYTES], key[SEAL_KEY_BYTES];
    assert_int_equal(seal_hex_parse(m->salt, salt), 0);
    assert_int_equal(seal_hex_parse(m->tag, tag), 0);
    assert_true(seal_proof_ok(tag, sc->c.down_key, sc->nonce, salt));
    seal_session_key(key, sc->c.up_key, sc->nonce, salt);
    seal_tx_init(&sc->tx, key);
    seal_session_key(key, sc->c.down_key, sc->nonce, salt);
    seal_rx_init(&sc->rx, key);
}

static void clear_join(struct relay *r, uint32_t peer, struct sealed_client *sc)
{
    clear_join_on(r, peer, PROTO_CHANNEL_CONTROL, sc);
}

static int send_sealed(struct relay *r, uint32_t peer, struct sealed_client *sc,
                       enum seal_lane lane, uint8_t channel, uint32_t flags,
                       const uint8_t *msg, size_t len)
{
    uint8_t box[TICKET_PASS_TEXT_MAX + 512];
    int n = seal_box(&sc->tx, lane, msg, len, box, sizeof box);
    assert_int_equal(n, (int)(len + SEAL_OVERHEAD));
    return relay_on_datagram(r, peer, channel, flags, box, (size_t)n, now_us);
}

static int sealed_text(struct relay *r, uint32_t peer, struct sealed_client *sc,
                       const char *json)
{
    return send_sealed(r, peer, sc, SEAL_LANE_CONTROL, PROTO_CHANNEL_CONTROL,
                       PROTO_FLAG_RELIABLE, (const uint8_t *)json, strlen(json));
}

/* Opens control message i (sent sealed) and decodes it into dec. */
static const struct proto_control *open_ctl(struct sealed_client *sc, size_t i)
{
    uint8_t plain[PROTO_CONTROL_MAX + 1];
    assert_true(seal_is_sealed((const uint8_t *)fk.ctl[i].json, fk.ctl[i].len));
    int n = seal_open(&sc->rx, (const uint8_t *)fk.ctl[i].json, fk.ctl[i].len, plain,
                      sizeof plain - 1, NULL);
    assert_true(n > 0);
    assert_int_equal(proto_control_decode((const char *)plain, (size_t)n, dec, NULL, 0), 0);
    return dec;
}

/* The index of the last control message to peer. */
static size_t last_to(uint32_t peer)
{
    size_t i = fk.n_ctl;
    while (i > 0 && fk.ctl[i - 1].peer != peer)
        i--;
    assert_true(i > 0);
    return i - 1;
}

/* A proven, admitted member. */
static void sealed_member(struct relay *r, uint32_t peer, const char *name,
                          struct sealed_client *sc)
{
    client_for("lobby", name, sc);
    clear_join(r, peer, sc);
    assert_int_equal(sealed_text(r, peer, sc, sc->join), 0);
    assert_true(relay_peer_joined(r, peer));
}

/* The join alone admits no one: only `sealed` is sent, nothing kept, no
 * one told; the clear join again gets it again; a join sealed under other
 * keys proves nothing; the sealed join admits, sealed welcome, notice. */
static void proof_before_admission(void **state)
{
    (void)state;
    struct relay *r = sealing_relay(NULL, 3, 0);
    struct sealed_client a, b, other;
    sealed_member(r, 0, "alice", &a);
    fake_clear();
    client_for("lobby", "bob", &b);
    clear_join(r, 1, &b);
    assert_false(relay_peer_joined(r, 1));
    assert_true(relay_peer_proving(r, 1));
    assert_int_equal(relay_members(r), 1);
    assert_int_equal(count_ctl(0, PROTO_CTL_JOINED) + fk.n_ctl, 1); /* nothing to alice */
    now_us += 300000;
    assert_int_equal(send_text(r, 1, b.join), 0); /* repeated: `sealed` again */
    assert_int_equal(ctl_at(fk.n_ctl - 1)->type, PROTO_CTL_SEALED);
    client_for("lobby", "bob", &other); /* keys of another session */
    clear_join(r, 2, &other);
    assert_int_equal(sealed_text(r, 1, &other, b.join), DROP(RELAY_DROP_SEAL_FORGED));
    assert_false(relay_peer_joined(r, 1));
    fake_clear();
    assert_int_equal(sealed_text(r, 1, &b, b.join), 0);
    assert_true(relay_peer_joined(r, 1));
    assert_false(relay_peer_proving(r, 1));
    assert_int_equal(open_ctl(&b, last_to(1))->type, PROTO_CTL_WELCOME);
    assert_int_equal(open_ctl(&a, last_to(0))->type, PROTO_CTL_JOINED);
    assert_string_equal(dec->name, "bob");
    /* a clear join from a member now: dropped, unanswered */
    fake_clear();
    assert_int_equal(send_text(r, 1, b.join), DROP(RELAY_DROP_UNSEALED));
    assert_int_equal(fk.n_ctl, 0);
    relay_destroy(r);
}

/* A join whose proof never comes: closed by the join timeout, counted
 * from the `sealed` message, its keys and claims gone (no leak under ASan). */
static void unproven_closed_by_the_join_timeout(void **state)
{
    (void)state;
    struct relay *r = sealing_relay(NULL, 1, 0);
    struct sealed_client a;
    now_us += 1500000; /* the handshake was a while ago: the proof has its own 2 s */
    client_for("lobby", "alice", &a);
    clear_join(r, 0, &a);
    now_us += 1900000;
    relay_sweep(r, now_us);
    assert_true(relay_peer_proving(r, 0));
    now_us += 200000;
    relay_sweep(r, now_us);
    assert_false(relay_peer_connected(r, 0));
    assert_string_equal(disconnect_why(0), "not_joined");
    relay_destroy(r);
}

static void states_sealed_per_recipient(void **state)
{
    (void)state;
    struct relay *r = sealing_relay(NULL, 2, 0);
    struct sealed_client a, b;
    sealed_member(r, 0, "alice", &a);
    sealed_member(r, 1, "bob", &b);
    fake_clear();
    uint8_t st[PROTO_STATE_MAX];
    make_state(st, 99, 1, 5.0f, 0);
    assert_int_equal(send_sealed(r, 0, &a, SEAL_LANE_STATE, PROTO_CHANNEL_STATE,
                                 PROTO_FLAG_UNSEQUENCED, st, PROTO_STATE_SIZE), 0);
    assert_int_equal(fk.n_states, 1);
    assert_int_equal(fk.states[0].peer, 1);
    assert_int_equal(fk.states[0].len, PROTO_STATE_SIZE + SEAL_OVERHEAD);
    uint8_t plain[PROTO_STATE_SIZE];
    assert_int_equal(seal_open(&b.rx, fk.states[0].bytes, fk.states[0].len, plain,
                               sizeof plain, NULL), PROTO_STATE_SIZE);
    struct proto_state s;
    assert_int_equal(proto_state_decode(plain, sizeof plain, &s), PROTO_OK);
    assert_int_equal(s.sender, relay_peer_id(r, 0)); /* not 99 */
    assert_true(seal_open(&a.rx, fk.states[0].bytes, fk.states[0].len, plain, sizeof plain,
                          NULL) < 0);
    relay_destroy(r);
}

/* Changed, replayed, clear, too long or cut short: each counted, none
 * answered, none a strike or spent from the member's rate limit (its own
 * states after a flood go through a whole burst). */
static void unopened_traffic_earns_nothing(void **state)
{
    (void)state;
    struct relay *r = sealing_relay(NULL, 2, 0);
    struct sealed_client a, b;
    sealed_member(r, 0, "alice", &a);
    sealed_member(r, 1, "bob", &b);
    fake_clear();
    uint8_t st[PROTO_STATE_MAX], box[PROTO_STATE_SIZE + SEAL_OVERHEAD], bad[sizeof box];
    make_state(st, 0, 1, 5.0f, 0);
    int n = seal_box(&a.tx, SEAL_LANE_STATE, st, PROTO_STATE_SIZE, box, sizeof box);
    for (int i = 0; i < n; i++) { /* one byte changed, anywhere */
        memcpy(bad, box, sizeof box);
        bad[i] ^= 0x01;
        int rc = relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, bad,
                                   (size_t)n, now_us);
        /* byte 0: another lane, whose counter 0 (the proof) may be spent */
        assert_true(rc == DROP(RELAY_DROP_SEAL_FORGED) ||
                    (i == 0 && rc == DROP(RELAY_DROP_SEAL_REPLAYED)));
    }
    memcpy(bad, box, sizeof box);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, bad,
                                       (size_t)n, now_us), 0);
    memcpy(bad, box, sizeof box);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, bad,
                                       (size_t)n, now_us), DROP(RELAY_DROP_SEAL_REPLAYED));
    static uint8_t big[8192];
    for (int i = 0; i < 500; i++) { /* no time passes: no token comes back */
        memset(big, 'x', sizeof big);
        relay_on_datagram(r, 0, PROTO_CHANNEL_DATAGRAM, RELAY_IN_TRUNCATED, big, 2049, now_us);
        relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, 0, big, 5000, now_us);
        relay_peer_too_big(r, 0, 100000, 65536, false, now_us);
        make_state(st, 0, 2, 5.0f, 0);
        assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, st,
                                           PROTO_STATE_SIZE, now_us), DROP(RELAY_DROP_UNSEALED));
        assert_int_equal(send_text(r, 0, "{\"type\":"), DROP(RELAY_DROP_UNSEALED));
    }
    assert_true(relay_peer_joined(r, 0));
    assert_int_equal(relay_stats(r)->kicks, 0);
    assert_int_equal(drops(r, RELAY_DROP_TOO_BIG), 1500);
    assert_int_equal(count_ctl(0, PROTO_CTL_ERROR), 0);
    assert_int_equal(fk.n_states, 1);
    /* the member's own burst (60) is what its own three messages (the clear
     * join, the proof, a state) left: 57 more states now, and the next is
     * over its rate */
    for (uint32_t k = 0; k < 57; k++) {
        make_state(st, 0, 3 + k, 5.0f, 0);
        assert_int_equal(send_sealed(r, 0, &a, SEAL_LANE_STATE, PROTO_CHANNEL_STATE,
                                     PROTO_FLAG_UNSEQUENCED, st, PROTO_STATE_SIZE), 0);
    }
    assert_int_equal(fk.n_states, 58);
    assert_int_equal(send_sealed(r, 0, &a, SEAL_LANE_STATE, PROTO_CHANNEL_STATE,
                                 PROTO_FLAG_UNSEQUENCED, st, PROTO_STATE_SIZE),
                     DROP(RELAY_DROP_RATE_LIMITED));
    relay_destroy(r);
}

/* A member that sends nothing that opens for the timeout is gone (left,
 * timeout), whatever else comes from its address; one that pings stays. */
static void alive_only_by_what_opens(void **state)
{
    (void)state;
    struct relay *r = sealing_relay(NULL, 3, 0);
    struct sealed_client a, b, c;
    sealed_member(r, 0, "alice", &a);
    sealed_member(r, 1, "bob", &b);
    sealed_member(r, 2, "carol", &c);
    uint32_t alice = relay_peer_id(r, 0);
    fake_clear();
    for (int t = 0; t < 12; t++) {
        now_us += 100000;
        send_text(r, 0, "{\"type\":\"ping\",\"t\":1}");
        sealed_text(r, 1, &b, "{\"type\":\"ping\",\"t\":1}");
        sealed_text(r, 2, &c, "{\"type\":\"ping\",\"t\":1}");
        relay_sweep(r, now_us);
    }
    assert_false(relay_peer_connected(r, 0));
    assert_true(relay_peer_joined(r, 1) && relay_peer_joined(r, 2));
    bool left = false;
    for (size_t i = 0; i < fk.n_ctl; i++)
        if (fk.ctl[i].peer == 1 && open_ctl(&b, i)->type == PROTO_CTL_LEFT)
            left = dec->id == alice && dec->reason == PROTO_LEFT_TIMEOUT;
    assert_true(left);
    assert_int_equal(relay_stats(r)->timeouts, 1);
    relay_destroy(r);
}

/* After the proof every refusal is sealed, and names no room: room_full,
 * a ticket in use (its `sealed` then its error). */
static void refusals_sealed(void **state)
{
    (void)state;
    struct relay *r = sealing_relay(NULL, 3, 1);
    struct sealed_client a, b, again;
    sealed_member(r, 0, "alice", &a);
    fake_clear();
    client_for("lobby", "bob", &b);
    clear_join(r, 1, &b);
    assert_int_equal(sealed_text(r, 1, &b, b.join), DROP(RELAY_DROP_ROOM_FULL));
    assert_string_equal(open_ctl(&b, last_to(1))->code, "room_full");
    assert_null(strstr(dec->text, "lobby"));
    for (size_t i = 0; i < fk.n_ctl; i++)
        assert_null(memmem(fk.ctl[i].json, fk.ctl[i].len, "lobby", 5));
    /* alice's ticket again, from another peer: refused, sealed */
    again = a;
    memset(again.nonce, 0x77, sizeof again.nonce);
    char hex[SEAL_HEX_LEN + 1];
    seal_hex_format(again.nonce, hex);
    snprintf(again.join, sizeof again.join,
             "{\"type\":\"join\",\"version\":3,\"ticket\":\"%s\",\"nonce\":\"%s\"}", a.pass, hex);
    fake_clear();
    assert_int_equal(send_text(r, 2, again.join), DROP(RELAY_DROP_TICKET_REPLAYED));
    assert_int_equal(ctl_at(0)->type, PROTO_CTL_SEALED);
    uint8_t salt[SEAL_SALT_BYTES], key[SEAL_KEY_BYTES];
    assert_int_equal(seal_hex_parse(dec->salt, salt), 0);
    seal_session_key(key, a.c.down_key, again.nonce, salt);
    seal_rx_init(&again.rx, key);
    assert_string_equal(open_ctl(&again, 1)->code, "ticket_replayed");
    assert_string_equal(disconnect_why(2), "ticket_replayed");
    relay_destroy(r);
}

/* A relay that seals needs the join's nonce. */
static void nonce_required(void **state)
{
    (void)state;
    struct relay *r = sealing_relay(NULL, 1, 0);
    struct sealed_client a;
    client_for("lobby", "alice", &a);
    char json[TICKET_PASS_TEXT_MAX + 64];
    snprintf(json, sizeof json, "{\"type\":\"join\",\"version\":3,\"ticket\":\"%s\"}", a.pass);
    assert_int_equal(send_text(r, 0, json), DROP(RELAY_DROP_MISSING_FIELD));
    assert_false(relay_peer_proving(r, 0));
    relay_destroy(r);
}

static const struct relay_moved_to elsewhere = {.host = "10.0.0.2", .port = 7002, .epoch = 2};

static enum relay_place place_elsewhere(void *ctx, uint32_t peer, const char *room,
                                        uint64_t seen_epoch, const char *lost,
                                        const char *player, struct relay_moved_to *to,
                                        enum proto_error_code *code)
{
    (void)ctx, (void)peer, (void)room, (void)seen_epoch, (void)lost, (void)player, (void)code;
    *to = elsewhere;
    return RELAY_PLACE_MOVED;
}

/* A fleet's moved at join time: after the proof, sealed (no room name in
 * clear), then the close. */
static void moved_at_join_sealed(void **state)
{
    (void)state;
    struct relay *r = sealing_relay(NULL, 1, 0);
    relay_set_fleet(r, &(struct relay_fleet_hooks){.place = place_elsewhere});
    struct sealed_client a;
    client_for("secret-garden", "alice", &a);
    clear_join(r, 0, &a);
    assert_int_equal(fk.n_ctl, 1); /* only `sealed`: no moved before the proof */
    assert_int_equal(sealed_text(r, 0, &a, a.join), 0);
    assert_int_equal(open_ctl(&a, last_to(0))->type, PROTO_CTL_MOVED);
    assert_string_equal(dec->room, "secret-garden");
    assert_string_equal(dec->host, "10.0.0.2");
    for (size_t i = 0; i < fk.n_ctl; i++)
        assert_null(memmem(fk.ctl[i].json, fk.ctl[i].len, "secret-garden", 13));
    assert_string_equal(disconnect_why(0), "moved");
    relay_destroy(r);
}

/* Plain UDP: the join repeated before the proof gets `sealed` again, at
 * most every 250 ms; the proof then the welcome; a sealed join repeated
 * (the welcome was lost) gets the welcome again. */
static void sealed_over_datagrams(void **state)
{
    (void)state;
    struct relay *r = sealing_relay(&fake_datagram_tp, 1, 0);
    struct sealed_client a;
    client_for("lobby", "alice", &a);
    clear_join_on(r, 0, PROTO_CHANNEL_DATAGRAM, &a);
    char first[128];
    snprintf(first, sizeof first, "%.*s", (int)fk.ctl[0].len, fk.ctl[0].json);
    assert_int_equal(text_on(r, 0, PROTO_CHANNEL_DATAGRAM, a.join), 0); /* at once: nothing */
    assert_int_equal(fk.n_ctl, 1);
    now_us += 300000;
    assert_int_equal(text_on(r, 0, PROTO_CHANNEL_DATAGRAM, a.join), 0);
    assert_int_equal(fk.n_ctl, 2);
    assert_int_equal((size_t)fk.ctl[1].len, strlen(first)); /* the same salt and tag */
    assert_memory_equal(fk.ctl[1].json, first, strlen(first));
    assert_int_equal(send_sealed(r, 0, &a, SEAL_LANE_CONTROL, PROTO_CHANNEL_DATAGRAM, 0,
                                 (const uint8_t *)a.join, strlen(a.join)), 0);
    assert_int_equal(open_ctl(&a, last_to(0))->type, PROTO_CTL_WELCOME);
    now_us += 300000;
    size_t before = fk.n_ctl;
    assert_int_equal(send_sealed(r, 0, &a, SEAL_LANE_CONTROL, PROTO_CHANNEL_DATAGRAM, 0,
                                 (const uint8_t *)a.join, strlen(a.join)), 0);
    assert_int_equal(fk.n_ctl, before + 1);
    assert_int_equal(open_ctl(&a, last_to(0))->type, PROTO_CTL_WELCOME);
    relay_destroy(r);
}

/* An edge that encrypts every byte itself (DTLS, TLS: relay_transport.secure). */
static struct relay_transport secure_tp(void)
{
    struct relay_transport tp = fake_tp;
    tp.secure = true;
    return tp;
}

/* A clear join from peer with a sealed ticket; nonce: with the nonce a
 * sealed session would need (a browser sends none). */
static int clear_ticket_join(struct relay *r, uint32_t peer, const char *name, bool nonce,
                             struct sealed_client *sc)
{
    client_for("lobby", name, sc);
    if (!nonce)
        snprintf(sc->join, sizeof sc->join, "{\"type\":\"join\",\"version\":3,\"ticket\":\"%s\"}",
                 sc->pass);
    return send_text(r, peer, sc->join);
}

/* On a secure edge a relay that seals does not seal again: a sealed
 * ticket's join, in clear (with a nonce or without), is admitted at once,
 * welcome and notices in clear, no `sealed` message; its states are taken
 * in clear and reach the others in clear; nothing expires a member that
 * sends only clear messages. */
static void secure_edge_members_in_clear(void **state)
{
    (void)state;
    struct relay_transport tp = secure_tp();
    struct relay *r = sealing_relay(&tp, 2, 0);
    struct sealed_client a, b;
    assert_int_equal(clear_ticket_join(r, 0, "alice", true, &a), 0);
    assert_int_equal(clear_ticket_join(r, 1, "bob", false, &b), 0);
    assert_true(relay_peer_joined(r, 0) && relay_peer_joined(r, 1));
    assert_false(relay_peer_proving(r, 0) || relay_peer_proving(r, 1));
    assert_int_equal(count_ctl(0, PROTO_CTL_SEALED) + count_ctl(1, PROTO_CTL_SEALED), 0);
    assert_non_null(last_ctl(1, PROTO_CTL_WELCOME));
    assert_string_equal(last_ctl(0, PROTO_CTL_JOINED)->name, "bob");
    fake_clear();
    uint8_t st[PROTO_STATE_MAX];
    make_state(st, 99, 1, 5.0f, 0);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, st,
                                       PROTO_STATE_SIZE, now_us), 0);
    assert_int_equal(fk.n_states, 1);
    assert_int_equal(fk.states[0].len, PROTO_STATE_SIZE);
    struct proto_state s;
    assert_int_equal(proto_state_decode(fk.states[0].bytes, fk.states[0].len, &s), PROTO_OK);
    assert_int_equal(s.sender, relay_peer_id(r, 0));
    for (int t = 0; t < 15; t++) { /* past the timeout, clear pings only */
        now_us += 100000;
        assert_int_equal(send_text(r, 0, "{\"type\":\"ping\",\"t\":1}"), 0);
        assert_int_equal(send_text(r, 1, "{\"type\":\"ping\",\"t\":1}"), 0);
        relay_sweep(r, now_us);
    }
    assert_true(relay_peer_joined(r, 0) && relay_peer_joined(r, 1));
    assert_int_equal(drops(r, RELAY_DROP_UNSEALED) + drops(r, RELAY_DROP_SEAL_FORGED), 0);
    relay_destroy(r);
}

/* A secure edge's member and a sealed member in one room: each gets the
 * other's states and notices as its own edge wants them, sealed for the
 * sealed member only. */
static void secure_and_sealed_meet(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.ticket_keys[0] = key_now;
    cfg.n_ticket_keys = 1;
    cfg.encrypt = true;
    cfg.max_clients = 4;
    snprintf(cfg.fleet_name, sizeof cfg.fleet_name, "ricochet");
    const struct relay_transport tps[2] = {secure_tp(), fake_datagram_tp};
    struct relay *r = make_two_edge_of(&cfg, 2, tps);
    relay_set_unix_time(r, NOW_S);
    connect_peer(r, 0);
    connect_peer(r, 2);
    struct sealed_client a, b;
    assert_int_equal(clear_ticket_join(r, 0, "alice", false, &a), 0);
    assert_true(relay_peer_joined(r, 0));
    client_for("lobby", "bob", &b);
    clear_join_on(r, 2, PROTO_CHANNEL_DATAGRAM, &b);
    assert_int_equal(send_sealed(r, 2, &b, SEAL_LANE_CONTROL, PROTO_CHANNEL_DATAGRAM, 0,
                                 (const uint8_t *)b.join, strlen(b.join)), 0);
    assert_true(relay_peer_joined(r, 2));
    assert_string_equal(last_ctl(0, PROTO_CTL_JOINED)->name, "bob"); /* in clear */
    assert_int_equal(open_ctl(&b, last_to(2))->type, PROTO_CTL_WELCOME);
    fake_clear();
    uint8_t st[PROTO_STATE_MAX], plain[PROTO_STATE_SIZE];
    make_state(st, 0, 1, 5.0f, 0);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, st,
                                       PROTO_STATE_SIZE, now_us), 0);
    assert_int_equal(fk.n_states, 1);
    assert_int_equal(fk.states[0].peer, 2);
    assert_int_equal(seal_open(&b.rx, fk.states[0].bytes, fk.states[0].len, plain,
                               sizeof plain, NULL), PROTO_STATE_SIZE);
    make_state(st, 0, 1, 6.0f, 0);
    assert_int_equal(send_sealed(r, 2, &b, SEAL_LANE_STATE, PROTO_CHANNEL_DATAGRAM, 0, st,
                                 PROTO_STATE_SIZE), 0);
    assert_int_equal(fk.n_states, 2);
    assert_int_equal(fk.states[1].peer, 0);
    assert_int_equal(fk.states[1].len, PROTO_STATE_SIZE); /* in clear */
    struct proto_state s;
    assert_int_equal(proto_state_decode(fk.states[1].bytes, fk.states[1].len, &s), PROTO_OK);
    assert_int_equal(s.sender, relay_peer_id(r, 2));
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(proof_before_admission),
        cmocka_unit_test(unproven_closed_by_the_join_timeout),
        cmocka_unit_test(states_sealed_per_recipient),
        cmocka_unit_test(unopened_traffic_earns_nothing),
        cmocka_unit_test(alive_only_by_what_opens),
        cmocka_unit_test(refusals_sealed),
        cmocka_unit_test(nonce_required),
        cmocka_unit_test(moved_at_join_sealed),
        cmocka_unit_test(sealed_over_datagrams),
        cmocka_unit_test(secure_edge_members_in_clear),
        cmocka_unit_test(secure_and_sealed_meet),
    };
    return cmocka_run_group_tests(tests, setup, fake_relay_teardown);
}
