/* test_ticket: join tickets (proto/ticket.c). What the client reads and what
 * the relay opens are the same claims; each refusal has its own code and a
 * case that reaches it: malformed, expired (and issued in the future, each
 * with TICKET_SKEW_S of grace), tampered (any byte, or another key), wrong
 * relay (fleet or endpoints); the previous key still opens its tickets; a
 * ticket that says its session must be sealed says so to both sides; one of
 * format 1 is refused as an older format; a whole ticket sent in place of
 * its pass is told so. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "proto/ticket.h"

#define NOW 1800000000ull /* 2027-01-15 */

static struct ticket_key key_new, key_old;
static const char *const here[] = {"127.0.0.1:7777", "[::1]:7777"};
static const struct ticket_self self = {"ricochet", here, 2};

static int setup(void **state)
{
    (void)state;
    uint8_t a[TICKET_KEY_BYTES] = {7}, b[TICKET_KEY_BYTES] = {8};
    ticket_key_from_secret(&key_new, a);
    ticket_key_from_secret(&key_old, b);
    return ticket_crypto_init();
}

static struct ticket_claims claims_for(const char *room, const char *name)
{
    struct ticket_claims c = {0};
    snprintf(c.room, sizeof c.room, "%s", room);
    snprintf(c.name, sizeof c.name, "%s", name);
    snprintf(c.fleet, sizeof c.fleet, "ricochet");
    c.issued_s = NOW;
    c.expires_s = NOW + 60;
    return c;
}

/* Mints c under key, reads it back as a client; returns the pass in pass. */
static void mint_and_read(const struct ticket_key *key, struct ticket_claims *c,
                          char pass[TICKET_PASS_TEXT_MAX + 1], struct ticket_claims *read)
{
    char text[TICKET_TEXT_MAX + 1];
    int n = ticket_mint(key, c, text, sizeof text);
    assert_true(n > 0 && n <= TICKET_TEXT_MAX);
    assert_int_equal(strlen(text), (size_t)n);
    assert_int_equal(ticket_read(text, read, pass, TICKET_PASS_TEXT_MAX + 1), 0);
}

static char verified_why[256]; /* the last verify's reason */

static enum proto_error_code verify_at(const char *pass, uint64_t now, struct ticket_claims *out)
{
    const struct ticket_key keys[] = {key_new, key_old};
    return ticket_verify(pass, keys, 2, &self, now, out, verified_why, sizeof verified_why);
}

static void client_and_relay_see_the_same_claims(void **state)
{
    (void)state;
    struct ticket_claims c = claims_for("lobby", "alice"), read, opened;
    char pass[TICKET_PASS_TEXT_MAX + 1];
    c.sealed = true;
    mint_and_read(&key_new, &c, pass, &read);
    assert_int_equal(verify_at(pass, NOW, &opened), PROTO_ERROR_NONE);
    const struct ticket_claims *both[] = {&read, &opened};
    assert_true(read.sealed && opened.sealed);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(both[i]->room, "lobby");
        assert_string_equal(both[i]->name, "alice");
        assert_string_equal(both[i]->fleet, "ricochet");
        assert_int_equal(both[i]->n_relays, 0);
        assert_int_equal(both[i]->issued_s, NOW);
        assert_int_equal(both[i]->expires_s, NOW + 60);
        assert_memory_equal(both[i]->up_key, c.up_key, SEAL_KEY_BYTES);
        assert_memory_equal(both[i]->down_key, c.down_key, SEAL_KEY_BYTES);
        assert_memory_equal(both[i]->id, c.id, TICKET_ID_BYTES);
    }
    /* the keys are fresh each time, and differ by direction */
    assert_memory_not_equal(c.up_key, c.down_key, SEAL_KEY_BYTES);
    struct ticket_claims c2 = claims_for("lobby", "alice");
    mint_and_read(&key_new, &c2, pass, &read);
    assert_false(read.sealed);
    assert_memory_not_equal(c.up_key, c2.up_key, SEAL_KEY_BYTES);
    assert_memory_not_equal(c.id, c2.id, TICKET_ID_BYTES);
}

static void previous_key_opens_its_tickets(void **state)
{
    (void)state;
    struct ticket_claims c = claims_for("r", "n"), read, opened;
    char pass[TICKET_PASS_TEXT_MAX + 1];
    mint_and_read(&key_old, &c, pass, &read);
    assert_int_equal(verify_at(pass, NOW, &opened), PROTO_ERROR_NONE);
    /* a relay with only the new key cannot */
    assert_int_equal(ticket_verify(pass, &key_new, 1, &self, NOW, &opened, NULL, 0),
                     PROTO_ERROR_TICKET_TAMPERED);
    assert_int_not_equal(key_new.id, key_old.id);
}

static void expired_and_future_with_skew(void **state)
{
    (void)state;
    struct ticket_claims c = claims_for("r", "n"), read, opened;
    char pass[TICKET_PASS_TEXT_MAX + 1];
    mint_and_read(&key_new, &c, pass, &read);
    uint64_t end = NOW + 60;
    assert_int_equal(verify_at(pass, end - 1, &opened), PROTO_ERROR_NONE);
    assert_int_equal(verify_at(pass, end + TICKET_SKEW_S - 1, &opened), PROTO_ERROR_NONE);
    assert_int_equal(verify_at(pass, end + TICKET_SKEW_S, &opened), PROTO_ERROR_TICKET_EXPIRED);
    assert_int_equal(verify_at(pass, NOW - TICKET_SKEW_S, &opened), PROTO_ERROR_NONE);
    assert_int_equal(verify_at(pass, NOW - TICKET_SKEW_S - 1, &opened),
                     PROTO_ERROR_TICKET_EXPIRED);
}

static void any_byte_changed_is_refused(void **state)
{
    (void)state;
    struct ticket_claims c = claims_for("lobby", "alice"), read, opened;
    char pass[TICKET_PASS_TEXT_MAX + 1];
    mint_and_read(&key_new, &c, pass, &read);
    uint8_t bytes[TICKET_PASS_MAX];
    size_t n = 0;
    assert_int_equal(sodium_base642bin(bytes, sizeof bytes, pass, strlen(pass), NULL, &n, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    for (size_t i = 0; i < n; i++) {
        uint8_t bad[TICKET_PASS_MAX];
        char text[TICKET_PASS_TEXT_MAX + 1];
        memcpy(bad, bytes, n);
        bad[i] ^= 0x20;
        sodium_bin2base64(text, sizeof text, bad, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        enum proto_error_code want = PROTO_ERROR_TICKET_TAMPERED;
        if (i == 0)
            want = PROTO_ERROR_TICKET_MALFORMED; /* format byte */
        enum proto_error_code got = verify_at(text, NOW, &opened);
        /* issued and expires (bytes 5-20) are checked before the seal: a
         * change that puts now out of them is refused as expired */
        if (i >= 5 && i < 21 && got == PROTO_ERROR_TICKET_EXPIRED)
            continue;
        if (got != want)
            fail_msg("byte %zu changed: %s, not %s", i, proto_error_name(got),
                     proto_error_name(want));
    }
    /* a change in the times that keeps them valid is caught by the seal */
    bytes[20] ^= 1; /* expires + 1 */
    sodium_bin2base64(pass, sizeof pass, bytes, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert_int_equal(verify_at(pass, NOW, &opened), PROTO_ERROR_TICKET_TAMPERED);
}

static void malformed(void **state)
{
    (void)state;
    struct ticket_claims c = claims_for("lobby", "alice"), read, opened;
    char pass[TICKET_PASS_TEXT_MAX + 1], longer[2 * TICKET_PASS_TEXT_MAX];
    mint_and_read(&key_new, &c, pass, &read);
    const char *bad[] = {"", "not base64!", "AAAA", "AQ"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(verify_at(bad[i], NOW, &opened), PROTO_ERROR_TICKET_MALFORMED);
    /* cut short: the seal no longer matches its tag */
    pass[(strlen(pass) - 4) & ~(size_t)3] = '\0'; /* whole base64 groups */
    assert_int_equal(verify_at(pass, NOW, &opened), PROTO_ERROR_TICKET_TAMPERED);
    /* longer than any pass */
    memset(longer, 'A', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(verify_at(longer, NOW, &opened), PROTO_ERROR_TICKET_MALFORMED);
    /* a pass or ticket of format 1 (no flags): refused, saying so */
    uint8_t raw[TICKET_BYTES_MAX];
    size_t rl = 0;
    char again[TICKET_TEXT_MAX + 1], why[128];
    mint_and_read(&key_new, &c, pass, &read);
    assert_int_equal(sodium_base642bin(raw, sizeof raw, pass, strlen(pass), NULL, &rl, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
    raw[0] = 1;
    sodium_bin2base64(again, sizeof again, raw, rl, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert_int_equal(ticket_verify(again, &key_new, 1, &self, NOW, &opened, why, sizeof why),
                     PROTO_ERROR_TICKET_MALFORMED);
    assert_non_null(strstr(why, "older format"));
    char ticket[TICKET_TEXT_MAX + 1];
    assert_true(ticket_mint(&key_new, &c, ticket, sizeof ticket) > 0);
    assert_int_equal(sodium_base642bin(raw, sizeof raw, ticket, strlen(ticket), NULL, &rl, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
    raw[0] = 1;
    sodium_bin2base64(again, sizeof again, raw, rl, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert_int_equal(ticket_read(again, &read, pass, sizeof pass), -2);
    /* the client side refuses what is not a ticket, and a pass is not one */
    char text[TICKET_TEXT_MAX + 1];
    mint_and_read(&key_new, &c, pass, &read);
    assert_int_equal(ticket_read(pass, &read, text, sizeof text), -1);
    assert_int_equal(ticket_read("", &read, text, sizeof text), -1);
}

static void wrong_relay(void **state)
{
    (void)state;
    struct ticket_claims c = claims_for("lobby", "alice"), read, opened;
    char pass[TICKET_PASS_TEXT_MAX + 1];
    snprintf(c.fleet, sizeof c.fleet, "eu-west");
    mint_and_read(&key_new, &c, pass, &read);
    assert_int_equal(verify_at(pass, NOW, &opened), PROTO_ERROR_TICKET_WRONG_RELAY);
    /* the cause, the ticket's fleet and this relay's */
    assert_string_equal(verified_why, "valid in the fleet 'eu-west', and this relay is in 'ricochet'");
    /* named relays: one of them is us */
    c.fleet[0] = '\0';
    c.n_relays = 2;
    snprintf(c.relays[0], sizeof c.relays[0], "10.0.0.1:7777");
    snprintf(c.relays[1], sizeof c.relays[1], "[::1]:7777");
    mint_and_read(&key_new, &c, pass, &read);
    assert_int_equal(verify_at(pass, NOW, &opened), PROTO_ERROR_NONE);
    assert_int_equal(opened.n_relays, 2);
    assert_string_equal(opened.relays[1], "[::1]:7777");
    /* none of them is */
    snprintf(c.relays[1], sizeof c.relays[1], "127.0.0.1:7778");
    mint_and_read(&key_new, &c, pass, &read);
    assert_int_equal(verify_at(pass, NOW, &opened), PROTO_ERROR_TICKET_WRONG_RELAY);
    /* the relays it names, and this relay's endpoints, none of them */
    assert_string_equal(verified_why, "valid on the relays 10.0.0.1:7777 127.0.0.1:7778, and this "
                             "relay is none of them: it is 127.0.0.1:7777 [::1]:7777");
    /* a relay in a fleet, a ticket of another; a relay with no endpoint */
    const struct ticket_self in_fleet = {"us-east", NULL, 0}, bare = {NULL, NULL, 0};
    const struct ticket_key keys[] = {key_new};
    assert_int_equal(ticket_verify(pass, keys, 1, &bare, NOW, &opened, verified_why, sizeof verified_why),
                     PROTO_ERROR_TICKET_WRONG_RELAY);
    assert_string_equal(verified_why, "valid on the relays 10.0.0.1:7777 127.0.0.1:7778, and this "
                             "relay listens on no address a ticket can name (a wildcard)");
    snprintf(c.fleet, sizeof c.fleet, "eu-west");
    c.n_relays = 0;
    mint_and_read(&key_new, &c, pass, &read);
    assert_int_equal(ticket_verify(pass, keys, 1, &in_fleet, NOW, &opened, verified_why, sizeof verified_why),
                     PROTO_ERROR_TICKET_WRONG_RELAY);
    assert_string_equal(verified_why, "valid in the fleet 'eu-west', and this relay is in 'us-east'");
    assert_int_equal(ticket_verify(pass, keys, 1, &bare, NOW, &opened, verified_why, sizeof verified_why),
                     PROTO_ERROR_TICKET_WRONG_RELAY);
    assert_string_equal(verified_why, "valid in the fleet 'eu-west', and this relay is in none");
}

static void claims_checked_before_minting(void **state)
{
    (void)state;
    char text[TICKET_TEXT_MAX + 1];
    struct ticket_claims c = claims_for("lobby", "alice");
    assert_null(ticket_claims_invalid(&c));
    c.n_relays = 1;
    snprintf(c.relays[0], sizeof c.relays[0], "10.0.0.1:7777");
    assert_non_null(ticket_claims_invalid(&c)); /* both a fleet and relays */
    c.fleet[0] = '\0';
    assert_null(ticket_claims_invalid(&c));
    snprintf(c.relays[0], sizeof c.relays[0], "a b");
    assert_non_null(ticket_claims_invalid(&c));
    c = claims_for("lobby", "bad\x1bname");
    assert_non_null(ticket_claims_invalid(&c));
    assert_int_equal(ticket_mint(&key_new, &c, text, sizeof text), -1);
    c = claims_for("lobby", "alice");
    c.expires_s = c.issued_s + TICKET_TTL_MAX_S + 1;
    assert_non_null(ticket_claims_invalid(&c));
    c.expires_s = c.issued_s;
    assert_non_null(ticket_claims_invalid(&c));
    c = claims_for("lobby", "alice");
    assert_int_equal(ticket_mint(&key_new, &c, text, TICKET_TEXT_MAX), -1);
}

/* The longest claims fit the declared maxima. */
/* The longest claims: the longest room and name, and the most relays, each
 * the longest endpoint. */
static struct ticket_claims largest_claims(void)
{
    struct ticket_claims c = claims_for("rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr",
                                        "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn");
    c.fleet[0] = '\0';
    c.n_relays = TICKET_RELAYS_MAX;
    for (int i = 0; i < TICKET_RELAYS_MAX; i++) {
        snprintf(c.relays[i], sizeof c.relays[i],
                 "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
        c.relays[i][38] = (char)('0' + i);
    }
    return c;
}

static void largest_ticket_fits(void **state)
{
    (void)state;
    struct ticket_claims c = largest_claims(), read, opened;
    assert_int_equal(strlen(c.relays[0]), TICKET_ENDPOINT_MAX);
    char pass[TICKET_PASS_TEXT_MAX + 1];
    mint_and_read(&key_new, &c, pass, &read);
    assert_int_equal(strlen(pass), TICKET_PASS_TEXT_MAX);
    struct ticket_self far = {NULL, (const char *const[]){c.relays[3]}, 1};
    assert_int_equal(ticket_verify(pass, &key_new, 1, &far, NOW, &opened, NULL, 0),
                     PROTO_ERROR_NONE);
}

/* The whole ticket where its pass belongs (what mint prints, as a backend
 * may hand it on): ticket_malformed, saying so, however long the ticket,
 * not ticket_expired "issued in the future" (its first bytes read as a
 * pass's header give a time of nonsense). A pass is still judged as one. */
static void whole_ticket_is_told_to_send_its_pass(void **state)
{
    (void)state;
    struct ticket_claims c = claims_for("lobby", "alice"), read, opened;
    char text[TICKET_TEXT_MAX + 1], pass[TICKET_PASS_TEXT_MAX + 1], why[128];
    const struct ticket_key keys[] = {key_new, key_old};
    assert_true(ticket_mint(&key_new, &c, text, sizeof text) > 0);
    assert_int_equal(ticket_read(text, &read, pass, sizeof pass), 0);
    assert_int_equal(ticket_verify(text, keys, 2, &self, NOW, &opened, why, sizeof why),
                     PROTO_ERROR_TICKET_MALFORMED);
    assert_string_equal(why, TICKET_WHOLE_TEXT);
    assert_string_equal(opened.room, ""); /* nothing of it taken */
    /* the longest ticket, past any pass's length */
    struct ticket_claims big = largest_claims();
    assert_true(ticket_mint(&key_new, &big, text, sizeof text) > TICKET_PASS_TEXT_MAX);
    assert_int_equal(ticket_verify(text, keys, 2, &self, NOW, &opened, why, sizeof why),
                     PROTO_ERROR_TICKET_MALFORMED);
    assert_string_equal(why, TICKET_WHOLE_TEXT);
    /* a pass is judged as a pass: expired, changed, garbage */
    assert_int_equal(ticket_verify(pass, keys, 2, &self, NOW + 3600, &opened, why, sizeof why),
                     PROTO_ERROR_TICKET_EXPIRED);
    assert_string_equal(why, "expired");
    pass[60] = pass[60] == 'A' ? 'B' : 'A';
    assert_int_equal(ticket_verify(pass, keys, 2, &self, NOW, &opened, why, sizeof why),
                     PROTO_ERROR_TICKET_TAMPERED);
    assert_int_equal(ticket_verify("AAAA", keys, 2, &self, NOW, &opened, why, sizeof why),
                     PROTO_ERROR_TICKET_MALFORMED);
    assert_string_equal(why, "not a ticket");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(client_and_relay_see_the_same_claims),
        cmocka_unit_test(previous_key_opens_its_tickets),
        cmocka_unit_test(expired_and_future_with_skew),
        cmocka_unit_test(any_byte_changed_is_refused),
        cmocka_unit_test(malformed),
        cmocka_unit_test(wrong_relay),
        cmocka_unit_test(claims_checked_before_minting),
        cmocka_unit_test(largest_ticket_fits),
        cmocka_unit_test(whole_ticket_is_told_to_send_its_pass),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
