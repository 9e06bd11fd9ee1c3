/* test_client_ticket: a ticketed session in the client library
 * (client/lib/client_ticket.c), through the detached transport. The ticket
 * names the room and the player; each join carries a fresh nonce; the
 * relay's `sealed` message (salt and tag) derives the session's keys from
 * the nonce and the salt as the relay does, and the client sends its join
 * again, sealed (the proof). A `sealed` whose tag is not the relay's for
 * this join, or a second salt for one join, is refused; after the keys the
 * client opens what is sealed under them, and drops what is sealed under
 * other keys, replayed, or in clear (but cookies and the same salt again);
 * before them, a sealed message is dropped. A ticket that says "sealed"
 * takes nothing in clear before the keys either: an error then is noted,
 * not acted on. The public setter takes only tickets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "client/lib/client.h"
#include "client/lib/client_internal.h"
#include "client/lib/client_test.h"
#include "proto/seal.h"
#include "proto/ticket.h"

static char ticket[TICKET_TEXT_MAX + 1], sealed_ticket[TICKET_TEXT_MAX + 1];
static struct ticket_claims claims, sealed_claims; /* with the keys the client holds */

static int setup(void **state)
{
    (void)state;
    uint8_t secret[TICKET_KEY_BYTES] = {9};
    struct ticket_key key;
    if (ticket_crypto_init() != 0)
        return -1;
    ticket_key_from_secret(&key, secret);
    snprintf(claims.room, sizeof claims.room, "lobby");
    snprintf(claims.name, sizeof claims.name, "alice");
    snprintf(claims.fleet, sizeof claims.fleet, "ricochet");
    claims.issued_s = 1800000000;
    claims.expires_s = claims.issued_s + 60;
    sealed_claims = claims;
    sealed_claims.sealed = true;
    if (ticket_mint(&key, &sealed_claims, sealed_ticket, sizeof sealed_ticket) <= 0)
        return -1;
    return ticket_mint(&key, &claims, ticket, sizeof ticket) > 0 ? 0 : -1;
}

static struct ricochet *detached_with(enum proto_mode mode, const char *t)
{
    struct client_config cfg = {.mode = mode, .ticket = t, .timeout_ms = 5000};
    char err[256];
    struct ricochet *c = client_create_detached(&cfg, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    return c;
}

static struct ricochet *detached(enum proto_mode mode)
{
    return detached_with(mode, ticket);
}

static int feed(struct ricochet *c, uint8_t channel, const void *bytes, size_t len,
                struct ricochet_event *ev)
{
    return client_receive(c, channel, channel == PROTO_CHANNEL_CONTROL ? PROTO_FLAG_RELIABLE : 0,
                          bytes, len, 1000000, ev);
}

static int feed_json(struct ricochet *c, const char *json, struct ricochet_event *ev)
{
    return feed(c, PROTO_CHANNEL_CONTROL, json, strlen(json), ev);
}

/* The nonce of the join c sent last (in clear). */
static void join_nonce(struct ricochet *c, uint8_t nonce[SEAL_NONCE_BYTES])
{
    uint8_t buf[4096];
    size_t n = client_last_control(c, buf, sizeof buf - 1);
    assert_true(n > 0 && buf[0] == '{');
    struct proto_control m;
    assert_int_equal(proto_control_decode((const char *)buf, n, &m, NULL, 0), PROTO_OK);
    assert_int_equal(m.type, PROTO_CTL_JOIN);
    assert_int_equal(seal_hex_parse(m.nonce, nonce), 0);
}

/* The relay's side of a session of ticket keys c under nonce and salt. */
struct relay_side {
    struct seal_tx tx; /* what it sends */
    struct seal_rx rx; /* what it opens */
    char json[160];    /* its `sealed` message */
};

static void relay_side(const struct ticket_claims *c, const uint8_t nonce[SEAL_NONCE_BYTES],
                       const uint8_t salt[SEAL_SALT_BYTES], struct relay_side *rs)
{
    uint8_t key[SEAL_KEY_BYTES], tag[SEAL_PROOF_BYTES];
    seal_session_key(key, c->down_key, nonce, salt);
    seal_tx_init(&rs->tx, key);
    seal_session_key(key, c->up_key, nonce, salt);
    seal_rx_init(&rs->rx, key);
    seal_proof(tag, c->down_key, nonce, salt);
    char hs[SEAL_HEX_LEN + 1], ht[SEAL_HEX_LEN + 1];
    seal_hex_format(salt, hs);
    seal_hex_format(tag, ht);
    snprintf(rs->json, sizeof rs->json, "{\"type\":\"sealed\",\"salt\":\"%s\",\"tag\":\"%s\"}",
             hs, ht);
}

static size_t sealed_json(struct seal_tx *tx, const char *json, uint8_t *out)
{
    int n = seal_box(tx, SEAL_LANE_CONTROL, (const uint8_t *)json, strlen(json), out,
                     strlen(json) + SEAL_OVERHEAD);
    assert_true(n > 0);
    return (size_t)n;
}

static const char *welcome = "{\"type\":\"welcome\",\"id\":7,\"room\":\"lobby\",\"roster\":[]}";

static void the_ticket_names_the_player(void **state)
{
    (void)state;
    struct ricochet *c = detached(PROTO_MODE_UNSEQUENCED);
    assert_string_equal(client_name(c), "alice");
    assert_false(ricochet_sealed(c));
    ricochet_close(c);
    /* the public setter: tickets only */
    struct ricochet_config *cfg = ricochet_config_new();
    assert_int_equal(ricochet_config_set_ticket(cfg, ticket), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_ticket(cfg, "not a ticket"), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_ticket(cfg, NULL), RICOCHET_OK);
    ricochet_config_free(cfg);
}

/* A ticket read from a file as ricochet-ticket mint wrote it ends with its
 * newline (or a CRLF, or a copy's spaces): taken as the ticket. */
static void a_ticket_from_a_file_keeps_no_newline(void **state)
{
    (void)state;
    char padded[1024];
    struct ricochet_config *cfg = ricochet_config_new();
    snprintf(padded, sizeof padded, "%s\n", ticket);
    assert_int_equal(ricochet_config_set_ticket(cfg, padded), RICOCHET_OK);
    snprintf(padded, sizeof padded, "  %s \r\n", ticket);
    assert_int_equal(ricochet_config_set_ticket(cfg, padded), RICOCHET_OK);
    snprintf(padded, sizeof padded, "%.20s\n%s", ticket, ticket + 20);
    assert_int_equal(ricochet_config_set_ticket(cfg, padded), RICOCHET_E_INVALID);
    assert_int_equal(ricochet_config_set_ticket(cfg, "\n"), RICOCHET_E_INVALID);
    ricochet_config_free(cfg);
}

static void sealed_after_the_salt(void **state)
{
    (void)state;
    struct ricochet *c = detached(PROTO_MODE_UNSEQUENCED);
    struct ricochet_event ev;
    uint8_t nonce[SEAL_NONCE_BYTES], salt[SEAL_SALT_BYTES] = {1, 2, 3}, box[512];
    join_nonce(c, nonce);
    struct relay_side rs;
    relay_side(&claims, nonce, salt, &rs);
    /* before the salt a sealed message cannot be opened */
    size_t n = sealed_json(&rs.tx, welcome, box);
    assert_int_equal(feed(c, PROTO_CHANNEL_CONTROL, box, n, &ev), 0);
    uint64_t bad = client_bad_messages(c);
    assert_int_equal(bad, 1);
    assert_int_equal(feed_json(c, rs.json, &ev), 0);
    assert_true(ricochet_sealed(c));
    /* the join again, sealed under the session's up key: the proof */
    uint8_t sent[4096], plain[4096];
    size_t len = client_last_control(c, sent, sizeof sent);
    assert_true(seal_is_sealed(sent, len));
    int pn = seal_open(&rs.rx, sent, len, plain, sizeof plain - 1, NULL);
    assert_true(pn > 0);
    struct proto_control m;
    assert_int_equal(proto_control_decode((const char *)plain, (size_t)pn, &m, NULL, 0), PROTO_OK);
    assert_int_equal(m.type, PROTO_CTL_JOIN);
    n = sealed_json(&rs.tx, welcome, box);
    assert_int_equal(feed(c, PROTO_CHANNEL_CONTROL, box, n, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_WELCOME);
    assert_int_equal(ricochet_id(c), 7);
    /* the same sealed bytes again: replayed */
    assert_int_equal(feed(c, PROTO_CHANNEL_CONTROL, box, n, &ev), 0);
    /* a joined notice in clear: dropped; sealed: taken */
    const char *joined = "{\"type\":\"joined\",\"id\":8,\"name\":\"bob\",\"mode\":\"reliable\"}";
    assert_int_equal(feed_json(c, joined, &ev), 0);
    n = sealed_json(&rs.tx, joined, box);
    assert_int_equal(feed(c, PROTO_CHANNEL_CONTROL, box, n, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_JOINED);
    /* a state in clear: dropped; sealed under another salt's key: dropped */
    uint8_t st[PROTO_STATE_SIZE];
    struct proto_state s = {.sender = 8, .seq = 1, .send_us = 5, .x = 1};
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    assert_int_equal(feed(c, PROTO_CHANNEL_STATE, st, sizeof st, &ev), 0);
    uint8_t other[SEAL_SALT_BYTES] = {4};
    struct relay_side wrong;
    relay_side(&claims, nonce, other, &wrong);
    n = (size_t)seal_box(&wrong.tx, SEAL_LANE_STATE, st, sizeof st, box, sizeof box);
    assert_int_equal(client_receive(c, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, box, n,
                                    1000000, &ev), 0);
    n = (size_t)seal_box(&rs.tx, SEAL_LANE_STATE, st, sizeof st, box, sizeof box);
    assert_int_equal(client_receive(c, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, box, n,
                                    1000000, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_STATE);
    assert_int_equal(client_bad_messages(c), bad + 4);
    /* another salt, even the relay's own for this join: refused; the same
     * one again (before a repeated welcome): nothing new */
    assert_int_equal(feed_json(c, wrong.json, &ev), 0);
    assert_int_equal(client_bad_messages(c), bad + 5);
    assert_int_equal(feed_json(c, rs.json, &ev), 0);
    assert_int_equal(client_bad_messages(c), bad + 5);
    /* errors in clear in a sealed session: dropped; sealed: taken */
    const char *err = "{\"type\":\"error\",\"code\":\"kicked\",\"message\":\"x\"}";
    assert_int_equal(feed_json(c, err, &ev), 0);
    assert_int_equal(client_bad_messages(c), bad + 6);
    n = sealed_json(&rs.tx, err, box);
    assert_int_equal(feed(c, PROTO_CHANNEL_CONTROL, box, n, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_ERROR);
    ricochet_close(c);
}

/* A `sealed` message not made for this join: a forged tag, the relay's own
 * for an earlier join (another nonce), or a second salt: refused, and the
 * keys stay the first salt's. */
static void one_salt_per_join_and_only_the_relays(void **state)
{
    (void)state;
    struct ricochet *c = detached(PROTO_MODE_UDP);
    struct ricochet_event ev;
    uint8_t nonce[SEAL_NONCE_BYTES], old[SEAL_NONCE_BYTES] = {5}, salt[SEAL_SALT_BYTES] = {6};
    join_nonce(c, nonce);
    struct relay_side earlier, forged, good, second;
    relay_side(&claims, old, salt, &earlier); /* a recorded session's */
    assert_int_equal(feed(c, PROTO_CHANNEL_DATAGRAM, earlier.json, strlen(earlier.json), &ev), 0);
    relay_side(&claims, nonce, salt, &forged);
    memcpy(strstr(forged.json, "\"tag\":\"") + 7, "00000000", 8); /* a tag made up */
    assert_int_equal(feed(c, PROTO_CHANNEL_DATAGRAM, forged.json, strlen(forged.json), &ev), 0);
    assert_false(ricochet_sealed(c));
    assert_int_equal(client_bad_messages(c), 2);
    relay_side(&claims, nonce, salt, &good);
    assert_int_equal(feed(c, PROTO_CHANNEL_DATAGRAM, good.json, strlen(good.json), &ev), 0);
    assert_true(ricochet_sealed(c));
    uint8_t salt2[SEAL_SALT_BYTES] = {7};
    relay_side(&claims, nonce, salt2, &second);
    assert_int_equal(feed(c, PROTO_CHANNEL_DATAGRAM, second.json, strlen(second.json), &ev), 0);
    assert_int_equal(client_bad_messages(c), 3);
    uint8_t box[512];
    size_t n = sealed_json(&good.tx, welcome, box);
    assert_int_equal(feed(c, PROTO_CHANNEL_DATAGRAM, box, n, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_WELCOME);
    ricochet_close(c);
}

/* A ticket that says "sealed": before the keys, a clear welcome, moved,
 * notice or state is dropped; a clear error is noted and ends nothing;
 * then the relay's salt, and everything sealed. */
static void a_sealed_ticket_takes_nothing_in_clear(void **state)
{
    (void)state;
    struct ricochet *c = detached_with(PROTO_MODE_UDP, sealed_ticket);
    struct ricochet_event ev;
    const char *clear[] = {
        welcome,
        "{\"type\":\"moved\",\"room\":\"lobby\",\"host\":\"10.0.0.9\",\"port\":7777,"
        "\"transport\":\"udp\",\"epoch\":1}",
        "{\"type\":\"joined\",\"id\":8,\"name\":\"bob\",\"mode\":\"udp\"}",
    };
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(feed(c, PROTO_CHANNEL_DATAGRAM, clear[i], strlen(clear[i]), &ev), 0);
    uint8_t st[PROTO_STATE_SIZE];
    struct proto_state s = {.sender = 8, .seq = 1, .send_us = 5, .x = 1};
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    assert_int_equal(feed(c, PROTO_CHANNEL_DATAGRAM, st, sizeof st, &ev), 0);
    assert_int_equal(client_bad_messages(c), 4);
    const char *err = "{\"type\":\"error\",\"code\":\"ticket_expired\",\"message\":\"x\"}";
    assert_int_equal(feed(c, PROTO_CHANNEL_DATAGRAM, err, strlen(err), &ev), 0);
    assert_int_equal(ricochet_id(c), 0);
    assert_false(ricochet_sealed(c));
    assert_int_equal(client_tick(c, 1000000, &ev), 0); /* not ended */
    uint8_t nonce[SEAL_NONCE_BYTES], salt[SEAL_SALT_BYTES] = {3}, box[512];
    join_nonce(c, nonce);
    struct relay_side rs;
    relay_side(&sealed_claims, nonce, salt, &rs);
    assert_int_equal(feed(c, PROTO_CHANNEL_DATAGRAM, rs.json, strlen(rs.json), &ev), 0);
    size_t n = sealed_json(&rs.tx, welcome, box);
    assert_int_equal(feed(c, PROTO_CHANNEL_DATAGRAM, box, n, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_WELCOME);
    ricochet_close(c);
}

/* A session in clear (a relay without --encrypt) that the relay no longer
 * has joins again with a new nonce: no two joins share one. */
static void every_join_has_its_nonce(void **state)
{
    (void)state;
    struct ricochet *c = detached(PROTO_MODE_UDP);
    struct ricochet_event ev;
    uint8_t first[SEAL_NONCE_BYTES], again[SEAL_NONCE_BYTES];
    join_nonce(c, first);
    const char *w = "{\"type\":\"welcome\",\"id\":3,\"room\":\"lobby\",\"roster\":[]}";
    assert_int_equal(feed(c, PROTO_CHANNEL_DATAGRAM, w, strlen(w), &ev), 1);
    const char *nj = "{\"type\":\"error\",\"code\":\"not_joined\",\"message\":\"join\"}";
    assert_int_equal(feed(c, PROTO_CHANNEL_DATAGRAM, nj, strlen(nj), &ev), 1);
    client_send_join(c);
    join_nonce(c, again);
    assert_memory_not_equal(first, again, SEAL_NONCE_BYTES);
    ricochet_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_ticket_names_the_player),
        cmocka_unit_test(a_ticket_from_a_file_keeps_no_newline),
        cmocka_unit_test(sealed_after_the_salt),
        cmocka_unit_test(one_salt_per_join_and_only_the_relays),
        cmocka_unit_test(a_sealed_ticket_takes_nothing_in_clear),
        cmocka_unit_test(every_join_has_its_nonce),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
