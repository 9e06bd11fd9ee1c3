/* test_relay_tickets: the relay core with --ticket-key (and --encrypt),
 * through the fake transport. A join without a ticket, or with one that is
 * expired, for another fleet, changed, unreadable or in use by a live
 * session, is refused with its own code, counted, answered and closed,
 * and leaves no room or member behind; every refusal before the join is
 * whole where a handshake binds the peer's source, and no longer than
 * what it answers where sources can be forged (plain UDP); an
 * admitted one takes its room and name from the ticket; the previous key
 * still admits; a ticket admitted once is bound to its first address until
 * it expires; one that says "sealed" needs a relay that seals; a version-2
 * join with a ticket is refused; a whole ticket in place of its pass is
 * told so; an offer's precheck gives a join's codes and claims nothing,
 * the session the offer opens claims its pass. Sealed sessions:
 * test_relay_sealed. */
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
#include "relay/settings.h"
#include "tests/support/fake_relay.h"

#define NOW_S 1800000000ull

static struct ticket_key key_now, key_before, key_other;

static int setup(void **state)
{
    uint8_t a[TICKET_KEY_BYTES] = {1}, b[TICKET_KEY_BYTES] = {2}, c[TICKET_KEY_BYTES] = {3};
    if (ticket_crypto_init() != 0)
        return -1;
    ticket_key_from_secret(&key_now, a);
    ticket_key_from_secret(&key_before, b);
    ticket_key_from_secret(&key_other, c);
    return fake_relay_setup(state);
}

/* A relay taking tickets under key_now and key_before, in fleet
 * "ricochet", at 127.0.0.1:7777; sealed sessions with encrypt. */
static struct relay *ticket_relay(const struct relay_transport *tp, bool encrypt, uint32_t peers)
{
    struct relay_config cfg = small_config();
    cfg.ticket_keys[0] = key_now;
    cfg.ticket_keys[1] = key_before;
    cfg.n_ticket_keys = 2;
    cfg.encrypt = encrypt;
    snprintf(cfg.fleet_name, sizeof cfg.fleet_name, "ricochet");
    snprintf(cfg.endpoints[0], sizeof cfg.endpoints[0], "127.0.0.1:7777");
    cfg.n_endpoints = 1;
    struct relay *r = relay_with_peers_on(&cfg, tp, peers);
    relay_set_unix_time(r, NOW_S);
    fake_clear();
    return r;
}

/* A ticket for name in room under key, valid 60 s from NOW_S in fleet (NULL:
 * for the relay at endpoint instead). Its pass goes into pass, the claims
 * (with the session keys) into c. */
static void mint(const struct ticket_key *key, const char *room, const char *name,
                 const char *fleet, const char *endpoint, char *pass, struct ticket_claims *c)
{
    char text[TICKET_TEXT_MAX + 1];
    struct ticket_claims want = {0};
    snprintf(want.room, sizeof want.room, "%s", room);
    snprintf(want.name, sizeof want.name, "%s", name);
    if (fleet)
        snprintf(want.fleet, sizeof want.fleet, "%s", fleet);
    else {
        snprintf(want.relays[0], sizeof want.relays[0], "%s", endpoint);
        want.n_relays = 1;
    }
    want.issued_s = NOW_S;
    want.expires_s = NOW_S + 60;
    assert_true(ticket_mint(key, &want, text, sizeof text) > 0);
    assert_int_equal(ticket_read(text, c, pass, TICKET_PASS_TEXT_MAX + 1), 0);
}

/* Sends a join with pass ("" for none) on channel 0; returns the core's
 * code and the join's length in *len. */
static int join_with(struct relay *r, uint32_t peer, const char *pass, size_t *len)
{
    static char json[TICKET_PASS_TEXT_MAX + 256];
    if (pass[0])
        snprintf(json, sizeof json,
                 "{\"type\":\"join\",\"version\":3,\"ticket\":\"%s\",\"room\":\"asked\","
                 "\"name\":\"asked\"}", pass);
    else
        snprintf(json, sizeof json, "{\"type\":\"join\",\"version\":2,\"room\":\"a\","
                 "\"name\":\"b\",\"pad\":\"%064d\"}", 0); /* padded, as clients do */
    if (len)
        *len = strlen(json);
    return send_text(r, peer, json);
}

/* Every byte the core sent peer, in all. */
static size_t bytes_to(uint32_t peer)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_ctl; i++)
        n += fk.ctl[i].peer == peer ? fk.ctl[i].len : 0;
    return n;
}

/* The message of the last error peer got ("" if none). */
static const char *last_message(uint32_t peer)
{
    const struct proto_control *m = last_ctl(peer, PROTO_CTL_ERROR);
    return m ? m->text : "";
}

/* A refused join: its code, counted, closed with it, no room or member
 * kept. */
static void expect_refused(struct relay *r, uint32_t peer, int rc, enum relay_drop drop,
                           const char *code)
{
    assert_int_equal(rc, DROP(drop));
    assert_int_equal(drops(r, drop), 1);
    assert_string_equal(last_error(peer), code);
    assert_string_equal(disconnect_why(peer), code);
    assert_true(last_message(peer)[0] != '\0');
    assert_false(relay_peer_connected(r, peer));
    assert_int_equal(relay_rooms(r), 0);
    assert_int_equal(relay_members(r), 0);
}

static void without_ticket_required(void **state)
{
    (void)state;
    struct relay *r = ticket_relay(NULL, false, 2);
    size_t len;
    int rc = join_with(r, 0, "", &len);
    expect_refused(r, 0, rc, RELAY_DROP_TICKET_REQUIRED, "ticket_required");
    assert_string_equal(last_message(0), "this relay admits tickets only");
    relay_destroy(r);
    /* where a source can be forged (plain UDP): nothing longer than the
     * join; shorter than any error, nothing is sent, the disconnect
     * carries the code */
    r = ticket_relay(&fake_datagram_tp, false, 2);
    rc = join_with(r, 0, "", &len);
    assert_int_equal(rc, DROP(RELAY_DROP_TICKET_REQUIRED));
    assert_true(bytes_to(0) <= len);
    assert_string_equal(last_error(0), "ticket_required");
    fake_clear();
    rc = send_text(r, 1, "{\"type\":\"join\",\"version\":2,\"room\":\"a\",\"name\":\"b\"}");
    assert_int_equal(rc, DROP(RELAY_DROP_TICKET_REQUIRED));
    assert_true(bytes_to(1) <= 48);
    assert_string_equal(disconnect_why(1), "ticket_required");
    relay_destroy(r);
}

static void each_refusal_has_its_code(void **state)
{
    (void)state;
    char pass[TICKET_PASS_TEXT_MAX + 1];
    struct ticket_claims c;
    struct {
        const struct ticket_key *key;
        const char *fleet, *endpoint;
        uint64_t at_s;
        int change; /* a character of the pass changed */
        enum relay_drop drop;
        const char *code;
    } cases[] = {
        {&key_now, "ricochet", NULL, NOW_S + 60 + TICKET_SKEW_S, 0, RELAY_DROP_TICKET_EXPIRED,
         "ticket_expired"},
        {&key_now, "eu-west", NULL, NOW_S, 0, RELAY_DROP_TICKET_WRONG_RELAY,
         "ticket_wrong_relay"},
        {&key_now, NULL, "127.0.0.1:7778", NOW_S, 0, RELAY_DROP_TICKET_WRONG_RELAY,
         "ticket_wrong_relay"},
        {&key_other, "ricochet", NULL, NOW_S, 0, RELAY_DROP_TICKET_TAMPERED, "ticket_tampered"},
        {&key_now, "ricochet", NULL, NOW_S, 100, RELAY_DROP_TICKET_TAMPERED, "ticket_tampered"},
        {&key_now, "ricochet", NULL, NOW_S, -1, RELAY_DROP_TICKET_MALFORMED,
         "ticket_malformed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct relay *r = ticket_relay(NULL, false, 1);
        relay_set_unix_time(r, cases[i].at_s);
        mint(cases[i].key, "lobby", "alice", cases[i].fleet, cases[i].endpoint, pass, &c);
        if (cases[i].change > 0)
            pass[cases[i].change] = pass[cases[i].change] == 'A' ? 'B' : 'A';
        else if (cases[i].change < 0)
            snprintf(pass, sizeof pass, "not-a-ticket!");
        size_t len;
        int rc = join_with(r, 0, pass, &len);
        expect_refused(r, 0, rc, cases[i].drop, cases[i].code);
        relay_destroy(r);
    }
}

/* The whole ticket in the join, where its pass belongs (as mint prints it):
 * ticket_malformed, saying what was sent and what is expected, on a relay
 * that seals too (the ticket never opened: in clear). */
static void whole_ticket_in_the_join(void **state)
{
    (void)state;
    for (int encrypt = 0; encrypt < 2; encrypt++) {
        struct relay *r = ticket_relay(NULL, encrypt, 1);
        struct ticket_claims want = {.issued_s = NOW_S, .expires_s = NOW_S + 60};
        snprintf(want.room, sizeof want.room, "lobby");
        snprintf(want.name, sizeof want.name, "alice");
        snprintf(want.fleet, sizeof want.fleet, "ricochet");
        char text[TICKET_TEXT_MAX + 1], json[TICKET_TEXT_MAX + 128];
        assert_true(ticket_mint(&key_now, &want, text, sizeof text) > 0);
        snprintf(json, sizeof json, "{\"type\":\"join\",\"version\":3,\"ticket\":\"%s\","
                 "\"nonce\":\"00112233445566778899aabbccddeeff\"}", text);
        int rc = send_text(r, 0, json);
        expect_refused(r, 0, rc, RELAY_DROP_TICKET_MALFORMED, "ticket_malformed");
        const struct proto_control *e = last_ctl(0, PROTO_CTL_ERROR);
        assert_non_null(e);
        assert_string_equal(e->text, TICKET_WHOLE_TEXT);
        relay_destroy(r);
    }
}

static void room_and_name_from_the_ticket(void **state)
{
    (void)state;
    struct relay *r = ticket_relay(NULL, false, 3);
    char pass[TICKET_PASS_TEXT_MAX + 1];
    struct ticket_claims c;
    mint(&key_now, "lobby", "alice", NULL, "127.0.0.1:7777", pass, &c);
    assert_int_equal(join_with(r, 0, pass, NULL), 0);
    const struct proto_control *w = last_ctl(0, PROTO_CTL_WELCOME);
    assert_non_null(w);
    assert_string_equal(w->room, "lobby"); /* not "asked" */
    assert_int_equal(relay_room_size(r, "lobby"), 1);
    assert_int_equal(relay_room_size(r, "asked"), 0);
    /* the previous key still admits; others see the ticket's name */
    mint(&key_before, "lobby", "bob", "ricochet", NULL, pass, &c);
    assert_int_equal(join_with(r, 1, pass, NULL), 0);
    const struct proto_control *j = last_ctl(0, PROTO_CTL_JOINED);
    assert_non_null(j);
    assert_string_equal(j->name, "bob");
    /* a join may leave room and name out */
    mint(&key_now, "lobby", "carol", "ricochet", NULL, pass, &c);
    char json[TICKET_PASS_TEXT_MAX + 64];
    snprintf(json, sizeof json, "{\"type\":\"join\",\"version\":3,\"ticket\":\"%s\"}", pass);
    assert_int_equal(send_text(r, 2, json), 0);
    assert_int_equal(relay_room_size(r, "lobby"), 3);
    relay_destroy(r);
}

/* A ticket admits one live session: a second is refused while the first
 * lasts, and admitted once it has left. */
static void replayed_while_live(void **state)
{
    (void)state;
    struct relay *r = ticket_relay(NULL, false, 3);
    char pass[TICKET_PASS_TEXT_MAX + 1];
    struct ticket_claims c;
    mint(&key_now, "lobby", "alice", "ricochet", NULL, pass, &c);
    assert_int_equal(join_with(r, 0, pass, NULL), 0);
    fake_clear();
    size_t len;
    int rc = join_with(r, 1, pass, &len);
    assert_int_equal(rc, DROP(RELAY_DROP_TICKET_REPLAYED));
    assert_string_equal(last_error(1), "ticket_replayed");
    assert_true(bytes_to(1) <= len);
    assert_int_equal(relay_members(r), 1);
    /* the member's own repeated join is not a replay: the same welcome */
    assert_int_equal(join_with(r, 0, pass, NULL), 0);
    assert_int_equal(count_ctl(0, PROTO_CTL_WELCOME), 1);
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(join_with(r, 2, pass, NULL), 0);
    assert_int_equal(relay_members(r), 1);
    relay_destroy(r);
}

static enum relay_place placement = RELAY_PLACE_WAIT; /* the directory's answer */

static enum relay_place place(void *ctx, uint32_t peer, const char *room, uint64_t seen_epoch,
                              const char *lost, const char *player, struct relay_moved_to *to,
                              enum proto_error_code *code)
{
    (void)ctx, (void)peer, (void)room, (void)seen_epoch, (void)lost, (void)player, (void)to;
    (void)code;
    return placement;
}

/* Two joins with one ticket, both parked while a fleet's directory places
 * the room: the first settled joins, the second is a replay. */
static void replayed_while_parked(void **state)
{
    (void)state;
    struct relay *r = ticket_relay(NULL, false, 2);
    relay_set_fleet(r, &(struct relay_fleet_hooks){.place = place});
    placement = RELAY_PLACE_WAIT;
    char pass[TICKET_PASS_TEXT_MAX + 1];
    struct ticket_claims c;
    mint(&key_now, "lobby", "alice", "ricochet", NULL, pass, &c);
    assert_int_equal(join_with(r, 0, pass, NULL), 0);
    assert_int_equal(join_with(r, 1, pass, NULL), 0);
    placement = RELAY_PLACE_HERE;
    relay_join_settle(r, 0, RELAY_PLACE_HERE, NULL, PROTO_ERROR_NONE, NULL, now_us);
    relay_join_settle(r, 1, RELAY_PLACE_HERE, NULL, PROTO_ERROR_NONE, NULL, now_us);
    assert_int_equal(relay_members(r), 1);
    assert_true(relay_peer_joined(r, 0));
    assert_string_equal(disconnect_why(1), "ticket_replayed");
    assert_int_equal(drops(r, RELAY_DROP_TICKET_REPLAYED), 1);
    relay_destroy(r);
}

/* A room moved to another relay takes its members' sessions with it:
 * their tickets are free again here (the room may come back, and its
 * members with the same tickets). */
static void moved_members_tickets_are_free(void **state)
{
    (void)state;
    struct relay *r = ticket_relay(NULL, false, 2);
    char pass[TICKET_PASS_TEXT_MAX + 1];
    struct ticket_claims c;
    mint(&key_now, "lobby", "alice", "ricochet", NULL, pass, &c);
    assert_int_equal(join_with(r, 0, pass, NULL), 0);
    struct relay_moved_to to = {.host = "10.0.0.2", .port = 7002, .epoch = 2};
    assert_int_equal(relay_room_move(r, "lobby", &to, now_us), 1);
    assert_false(relay_peer_connected(r, 0));
    assert_int_equal(join_with(r, 1, pass, NULL), 0);
    assert_true(relay_peer_joined(r, 1));
    assert_int_equal(drops(r, RELAY_DROP_TICKET_REPLAYED), 0);
    relay_destroy(r);
}

/* A state from peer 0 before its join: refused not_joined. Returns its
 * length. */
static size_t state_before_join(struct relay *r)
{
    uint8_t st[PROTO_STATE_MAX];
    size_t len = make_state(st, 0, 1, 1.0f, 0);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, st,
                                       len, now_us),
                     DROP(RELAY_DROP_NOT_JOINED));
    return len;
}

/* Before a ticket admits a peer of an edge whose sources can be forged
 * (plain UDP), nothing it is sent is longer than what it sent: a ping
 * gets not_joined, not a pong. */
static void no_answer_longer_than_the_request(void **state)
{
    (void)state;
    struct relay *r = ticket_relay(&fake_datagram_tp, false, 1);
    const char *ping = "{\"type\":\"ping\",\"t\":123456789012345,\"pad\":\"xxxxxxx\"}";
    assert_int_equal(send_text(r, 0, ping), DROP(RELAY_DROP_NOT_JOINED));
    assert_int_equal(count_ctl(0, PROTO_CTL_PONG), 0);
    assert_string_equal(last_error(0), "not_joined");
    assert_true(bytes_to(0) <= strlen(ping));
    fake_clear();
    size_t len = state_before_join(r);
    assert_true(bytes_to(0) <= len);
    relay_destroy(r);
}

/* Where a handshake binds a peer's source (ENet, a stream, WebRTC), every
 * refusal before the ticket admits it comes whole, however short the
 * message it answers: each error's message is the one a relay without
 * tickets gives (the decoder's reason, the core's text). */
static void refusals_whole_where_no_source_is_forged(void **state)
{
    (void)state;
    char pass[TICKET_PASS_TEXT_MAX + 1], bad_version[TICKET_PASS_TEXT_MAX + 64];
    struct ticket_claims c;
    mint(&key_now, "lobby", "alice", "ricochet", NULL, pass, &c);
    snprintf(bad_version, sizeof bad_version, "{\"type\":\"join\",\"version\":9,\"ticket\":\"%s\"}",
             pass);
    char malformed[PROTO_TEXT_MAX + 1];
    struct relay *r = ticket_relay(NULL, false, 0);
    assert_int_equal(relay_ticket_precheck(r, "x", now_us, NULL, malformed, sizeof malformed),
                     PROTO_ERROR_TICKET_MALFORMED);
    struct {
        const char *sent;
        const char *code;
        const char *message; /* NULL: the decoder's reason */
    } cases[] = {
        {"{\"type\":\"join\",\"version\":3,\"room\":\"a\",\"name\":\"b\"}", "ticket_required",
         "this relay admits tickets only"},
        {bad_version, "bad_version",
         "client speaks protocol version 9, this relay 3: upgrade the client"},
        {"{\"type\":\"join\",\"version\":3,\"ticket\":\"x\"}", "ticket_malformed", malformed},
        {"{\"type\":\"join\",\"version\":3,\"room\":\"a\",\"name\":\"a\\u001bb\"}", "bad_name",
         NULL},
        {"{\"type\":\"join\",\"version\":\"3\"}", "bad_field", NULL},
        {"{", "bad_json", NULL},
        {"{\"type\":\"zz\"}", "unknown_type", NULL},
        {"{\"type\":\"chat\"}", "missing_field", NULL},
        {"{\"type\":\"chat\",\"text\":\"hi\"}", "not_joined",
         "chat before join: send join first"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[PROTO_TEXT_MAX + 1] = "";
        if (!cases[i].message) {
            int err = proto_control_decode(cases[i].sent, strlen(cases[i].sent), dec, why,
                                           sizeof why);
            if (!why[0])
                snprintf(why, sizeof why, "%s", proto_strerror(err));
        }
        const char *whole = cases[i].message ? cases[i].message : why;
        relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us); /* a fresh peer each time */
        connect_peer(r, 0);
        fake_clear();
        assert_true(send_text(r, 0, cases[i].sent) < 0);
        if (strcmp(last_error(0), cases[i].code) != 0 || strcmp(last_message(0), whole) != 0)
            fail_msg("%s: got %s \"%s\", not %s \"%s\"", cases[i].sent, last_error(0),
                     last_message(0), cases[i].code, whole);
    }
    /* a state before the join */
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    connect_peer(r, 0);
    fake_clear();
    state_before_join(r);
    assert_string_equal(last_error(0), "not_joined");
    assert_string_equal(last_message(0), "state before join: send join first");
    relay_destroy(r);
}

/* A ticket admitted once is bound to its first address until it expires:
 * after its session, another address is refused, the first admitted. */
static void used_ticket_bound_to_its_address(void **state)
{
    (void)state;
    struct relay *r = ticket_relay(NULL, false, 0);
    const char *addrs[] = {"10.0.0.1:5000", "10.0.0.2:5000", "10.0.0.1:6000"};
    for (uint32_t p = 0; p < 3; p++)
        assert_int_equal(connect_at(r, p, addrs[p]), 0);
    char pass[TICKET_PASS_TEXT_MAX + 1];
    struct ticket_claims c;
    mint(&key_now, "lobby", "alice", "ricochet", NULL, pass, &c);
    assert_int_equal(join_with(r, 0, pass, NULL), 0);
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    size_t len;
    int rc = join_with(r, 1, pass, &len);
    expect_refused(r, 1, rc, RELAY_DROP_TICKET_REPLAYED, "ticket_replayed");
    assert_int_equal(join_with(r, 2, pass, NULL), 0); /* its address, another port */
    assert_true(relay_peer_joined(r, 2));
    /* once it expired, no address is bound (and the ticket is refused anyway) */
    relay_destroy(r);
}

/* A ticket that says its session must be sealed needs a relay that seals. */
static void sealed_ticket_needs_a_sealing_relay(void **state)
{
    (void)state;
    struct relay *r = ticket_relay(NULL, false, 1);
    char text[TICKET_TEXT_MAX + 1], pass[TICKET_PASS_TEXT_MAX + 1];
    struct ticket_claims want = {.issued_s = NOW_S, .expires_s = NOW_S + 60, .sealed = true}, c;
    snprintf(want.room, sizeof want.room, "lobby");
    snprintf(want.name, sizeof want.name, "alice");
    snprintf(want.fleet, sizeof want.fleet, "ricochet");
    assert_true(ticket_mint(&key_now, &want, text, sizeof text) > 0);
    assert_int_equal(ticket_read(text, &c, pass, sizeof pass), 0);
    size_t len;
    int rc = join_with(r, 0, pass, &len);
    expect_refused(r, 0, rc, RELAY_DROP_TICKET_WRONG_RELAY, "ticket_wrong_relay");
    relay_destroy(r);
}

/* Version 3 changed tickets: a version-2 join with a ticket gets
 * bad_version (one without is still taken: test_relay_validation). */
static void version_2_ticket_refused(void **state)
{
    (void)state;
    struct relay *r = ticket_relay(NULL, false, 1);
    char pass[TICKET_PASS_TEXT_MAX + 1], json[TICKET_PASS_TEXT_MAX + 128];
    struct ticket_claims c;
    mint(&key_now, "lobby", "alice", "ricochet", NULL, pass, &c);
    snprintf(json, sizeof json, "{\"type\":\"join\",\"version\":2,\"ticket\":\"%s\"}", pass);
    assert_int_equal(send_text(r, 0, json), DROP(RELAY_DROP_BAD_VERSION));
    assert_string_equal(last_error(0), "bad_version");
    assert_int_equal(relay_members(r), 0);
    relay_destroy(r);
}

/* An offer's ticket checked before the session exists: the same codes a
 * join gets for the same faults, nothing claimed (the join after it is
 * admitted, the pass prechecked again still good), nothing counted. */
static void precheck_claims_nothing(void **state)
{
    (void)state;
    char pass[TICKET_PASS_TEXT_MAX + 1], why[128];
    struct ticket_claims c;
    struct relay *open_relay = relay_with_peers(NULL, 1);
    assert_int_equal(relay_ticket_precheck(open_relay, NULL, now_us, NULL, why, sizeof why),
                     PROTO_ERROR_NONE);
    relay_destroy(open_relay);
    struct relay *r = ticket_relay(NULL, false, 1);
    assert_int_equal(relay_ticket_precheck(r, NULL, now_us, NULL, why, sizeof why),
                     PROTO_ERROR_TICKET_REQUIRED);
    assert_int_equal(relay_ticket_precheck(r, "", now_us, NULL, why, sizeof why),
                     PROTO_ERROR_TICKET_REQUIRED);
    mint(&key_other, "lobby", "alice", "ricochet", NULL, pass, &c);
    assert_int_equal(relay_ticket_precheck(r, pass, now_us, NULL, why, sizeof why),
                     PROTO_ERROR_TICKET_TAMPERED);
    mint(&key_now, "lobby", "alice", "eu-west", NULL, pass, &c);
    assert_int_equal(relay_ticket_precheck(r, pass, now_us, NULL, why, sizeof why),
                     PROTO_ERROR_TICKET_WRONG_RELAY);
    assert_int_equal(relay_ticket_precheck(r, "not-a-ticket!", now_us, NULL, why, sizeof why),
                     PROTO_ERROR_TICKET_MALFORMED);
    mint(&key_now, "lobby", "alice", NULL, "127.0.0.1:7777", pass, &c);
    relay_set_unix_time(r, NOW_S + 60 + TICKET_SKEW_S);
    assert_int_equal(relay_ticket_precheck(r, pass, now_us, NULL, why, sizeof why),
                     PROTO_ERROR_TICKET_EXPIRED);
    relay_set_unix_time(r, NOW_S);
    assert_int_equal(relay_ticket_precheck(r, pass, now_us, NULL, why, sizeof why),
                     PROTO_ERROR_NONE);
    assert_int_equal(relay_ticket_precheck(r, pass, now_us, NULL, why, sizeof why),
                     PROTO_ERROR_NONE);
    for (int i = 0; i < RELAY_DROP_COUNT; i++)
        assert_int_equal(drops(r, (enum relay_drop)i), 0);
    assert_int_equal(join_with(r, 0, pass, NULL), 0);
    assert_true(relay_peer_joined(r, 0));
    relay_destroy(r);
    /* a sealed ticket: only for a relay that seals */
    char text[TICKET_TEXT_MAX + 1];
    struct ticket_claims want = {.issued_s = NOW_S, .expires_s = NOW_S + 60, .sealed = true};
    snprintf(want.room, sizeof want.room, "lobby");
    snprintf(want.name, sizeof want.name, "alice");
    snprintf(want.fleet, sizeof want.fleet, "ricochet");
    assert_true(ticket_mint(&key_now, &want, text, sizeof text) > 0);
    assert_int_equal(ticket_read(text, &c, pass, sizeof pass), 0);
    r = ticket_relay(NULL, false, 1);
    assert_int_equal(relay_ticket_precheck(r, pass, now_us, NULL, why, sizeof why),
                     PROTO_ERROR_TICKET_WRONG_RELAY);
    relay_destroy(r);
    r = ticket_relay(NULL, true, 1);
    assert_int_equal(relay_ticket_precheck(r, pass, now_us, NULL, why, sizeof why),
                     PROTO_ERROR_NONE);
    relay_destroy(r);
}

/* An offer's pass (WebRTC): prechecked with a join's codes, nothing
 * counted; once the session it opened claims it, another offer, or a join
 * from any other peer, is refused ticket_replayed (the holder named), the
 * session's own join is admitted, and the pass is free again once the
 * session ends before it was a peer, or once its peer goes. */
static void offer_claims_its_pass(void **state)
{
    (void)state;
    char pass[TICKET_PASS_TEXT_MAX + 1], why[128];
    struct ticket_claims c;
    uint32_t holder;
    struct relay *r = ticket_relay(NULL, false, 1);
    mint(&key_now, "lobby", "alice", "ricochet", NULL, pass, &c);
    assert_int_equal(relay_ticket_precheck(r, pass, now_us, &holder, why, sizeof why),
                     PROTO_ERROR_NONE);
    assert_int_equal(holder, UINT32_MAX);
    relay_ticket_claim(r, pass, 5); /* the session of handle 5, no peer yet */
    assert_int_equal(relay_ticket_precheck(r, pass, now_us, &holder, why, sizeof why),
                     PROTO_ERROR_TICKET_REPLAYED);
    assert_int_equal(holder, 5);
    int rc = join_with(r, 0, pass, NULL);
    expect_refused(r, 0, rc, RELAY_DROP_TICKET_REPLAYED, "ticket_replayed");
    relay_ticket_unclaim(r, 5); /* it ended before it was a peer */
    assert_int_equal(relay_ticket_precheck(r, pass, now_us, &holder, why, sizeof why),
                     PROTO_ERROR_NONE);
    relay_ticket_claim(r, pass, 5);
    connect_peer(r, 5);
    relay_ticket_unclaim(r, 5); /* a peer's is the core's own: ignored */
    assert_int_equal(join_with(r, 5, pass, NULL), 0);
    assert_true(relay_peer_joined(r, 5));
    assert_int_equal(relay_ticket_precheck(r, pass, now_us, &holder, why, sizeof why),
                     PROTO_ERROR_TICKET_REPLAYED);
    assert_int_equal(holder, 5);
    relay_peer_gone(r, 5, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(relay_ticket_precheck(r, pass, now_us, &holder, why, sizeof why),
                     PROTO_ERROR_NONE);
    /* a session refused as it becomes a peer lets go of it too */
    relay_ticket_claim(r, pass, 6);
    relay_shutdown(r, now_us);
    assert_int_equal(connect_at(r, 6, "127.0.0.1:40006"), -1);
    assert_int_equal(relay_ticket_precheck(r, pass, now_us, &holder, why, sizeof why),
                     PROTO_ERROR_NONE);
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(without_ticket_required),
        cmocka_unit_test(each_refusal_has_its_code),
        cmocka_unit_test(whole_ticket_in_the_join),
        cmocka_unit_test(room_and_name_from_the_ticket),
        cmocka_unit_test(replayed_while_live),
        cmocka_unit_test(replayed_while_parked),
        cmocka_unit_test(moved_members_tickets_are_free),
        cmocka_unit_test(no_answer_longer_than_the_request),
        cmocka_unit_test(refusals_whole_where_no_source_is_forged),
        cmocka_unit_test(used_ticket_bound_to_its_address),
        cmocka_unit_test(sealed_ticket_needs_a_sealing_relay),
        cmocka_unit_test(version_2_ticket_refused),
        cmocka_unit_test(precheck_claims_nothing),
        cmocka_unit_test(offer_claims_its_pass),
    };
    return cmocka_run_group_tests(tests, setup, fake_relay_teardown);
}
