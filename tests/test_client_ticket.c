/* test_client_ticket: a ticketed session in the client library
 * (client/client_ticket.c), through the detached transport. The ticket
 * names the room and the player; the relay's `sealed` salt derives the
 * session's keys as the relay does; after it the client opens what is
 * sealed under them, and drops what is sealed under other keys, replayed,
 * or (but errors, cookies and salts) in clear; before it, a sealed message
 * is dropped. The public setter takes only tickets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../client/client.h"
#include "../client/client_test.h"
#include "../proto/seal.h"
#include "../proto/ticket.h"

static char ticket[TICKET_TEXT_MAX + 1];
static struct ticket_claims claims; /* with the keys the client holds */

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
    return ticket_mint(&key, &claims, ticket, sizeof ticket) > 0 ? 0 : -1;
}

static struct ricochet *detached(enum proto_mode mode)
{
    struct client_config cfg = {.mode = mode, .ticket = ticket, .timeout_ms = 5000};
    char err[256];
    struct ricochet *c = client_create_detached(&cfg, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    return c;
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

/* The relay's side of a session under salt: its sending half. */
static void relay_tx(const uint8_t salt[SEAL_SALT_BYTES], struct seal_tx *tx)
{
    uint8_t key[SEAL_KEY_BYTES];
    seal_session_key(key, claims.down_key, salt);
    seal_tx_init(tx, key);
}

static size_t sealed_json(struct seal_tx *tx, const char *json, uint8_t *out)
{
    int n = seal_box(tx, SEAL_LANE_CONTROL, (const uint8_t *)json, strlen(json), out,
                     strlen(json) + SEAL_OVERHEAD);
    assert_true(n > 0);
    return (size_t)n;
}

static void salt_message(const uint8_t salt[SEAL_SALT_BYTES], char *json, size_t cap)
{
    char hex[2 * SEAL_SALT_BYTES + 1];
    seal_salt_format(salt, hex);
    snprintf(json, cap, "{\"type\":\"sealed\",\"salt\":\"%s\"}", hex);
}

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

static void sealed_after_the_salt(void **state)
{
    (void)state;
    struct ricochet *c = detached(PROTO_MODE_UNSEQUENCED);
    struct ricochet_event ev;
    uint8_t salt[SEAL_SALT_BYTES] = {1, 2, 3}, box[512];
    struct seal_tx tx;
    relay_tx(salt, &tx);
    const char *welcome = "{\"type\":\"welcome\",\"id\":7,\"room\":\"lobby\",\"roster\":[]}";
    /* before the salt a sealed message cannot be opened */
    size_t n = sealed_json(&tx, welcome, box);
    assert_int_equal(feed(c, PROTO_CHANNEL_CONTROL, box, n, &ev), 0);
    uint64_t bad = client_bad_messages(c);
    assert_int_equal(bad, 1);
    char json[128];
    salt_message(salt, json, sizeof json);
    assert_int_equal(feed_json(c, json, &ev), 0);
    assert_true(ricochet_sealed(c));
    n = sealed_json(&tx, welcome, box);
    assert_int_equal(feed(c, PROTO_CHANNEL_CONTROL, box, n, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_WELCOME);
    assert_int_equal(ricochet_id(c), 7);
    /* the same sealed bytes again: replayed */
    assert_int_equal(feed(c, PROTO_CHANNEL_CONTROL, box, n, &ev), 0);
    /* a joined notice in clear: dropped; sealed: taken */
    const char *joined = "{\"type\":\"joined\",\"id\":8,\"name\":\"bob\",\"mode\":\"reliable\"}";
    assert_int_equal(feed_json(c, joined, &ev), 0);
    n = sealed_json(&tx, joined, box);
    assert_int_equal(feed(c, PROTO_CHANNEL_CONTROL, box, n, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_JOINED);
    /* a state in clear: dropped; sealed under another salt's key: dropped */
    uint8_t st[PROTO_STATE_SIZE];
    struct proto_state s = {.sender = 8, .seq = 1, .send_us = 5, .x = 1};
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    assert_int_equal(feed(c, PROTO_CHANNEL_STATE, st, sizeof st, &ev), 0);
    uint8_t other[SEAL_SALT_BYTES] = {4};
    struct seal_tx wrong;
    relay_tx(other, &wrong);
    n = (size_t)seal_box(&wrong, SEAL_LANE_STATE, st, sizeof st, box, sizeof box);
    assert_int_equal(client_receive(c, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, box, n,
                                    1000000, &ev), 0);
    n = (size_t)seal_box(&tx, SEAL_LANE_STATE, st, sizeof st, box, sizeof box);
    assert_int_equal(client_receive(c, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, box, n,
                                    1000000, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_STATE);
    assert_int_equal(client_bad_messages(c), bad + 4);
    /* joined, another salt is refused; an error in clear still counts */
    salt_message(other, json, sizeof json);
    assert_int_equal(feed_json(c, json, &ev), 0);
    assert_int_equal(client_bad_messages(c), bad + 5);
    assert_int_equal(feed_json(c, "{\"type\":\"error\",\"code\":\"bad_state\",\"message\":\"x\"}",
                               &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_ERROR);
    ricochet_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_ticket_names_the_player),
        cmocka_unit_test(sealed_after_the_salt),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
