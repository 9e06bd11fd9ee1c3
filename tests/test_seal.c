/* test_seal: sealed messages (proto/seal.c). A message opens once, with its
 * lane and bytes; any one byte changed, another key, or a second delivery is
 * refused, and a refused message leaves the replay window as it was; the
 * window takes late messages within SEAL_WINDOW and refuses older ones (one
 * exactly 1024 below the newest among them, as PROTOCOL.md says). A
 * session's keys change with the client's nonce and with the relay's salt,
 * and the `sealed` message's tag proves one (ticket key, nonce, salt). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto/seal.h"
#include "proto/ticket.h"

static const uint8_t key_a[SEAL_KEY_BYTES] = {1, 2, 3};
static const uint8_t key_b[SEAL_KEY_BYTES] = {1, 2, 4};
static const uint8_t msg[40] = {1, 1, 0, 0, 0, 0, 0, 7};

static int setup(void **state)
{
    (void)state;
    return ticket_crypto_init();
}

/* Seals msg on lane with tx into out; returns its length. */
static size_t boxed(struct seal_tx *tx, enum seal_lane lane, uint8_t *out)
{
    int n = seal_box(tx, lane, msg, sizeof msg, out, sizeof msg + SEAL_OVERHEAD);
    assert_int_equal(n, (int)(sizeof msg + SEAL_OVERHEAD));
    return (size_t)n;
}

static void opens_once_with_its_lane(void **state)
{
    (void)state;
    struct seal_tx tx;
    struct seal_rx rx;
    seal_tx_init(&tx, key_a);
    seal_rx_init(&rx, key_a);
    for (int l = 0; l < SEAL_LANES; l++) {
        uint8_t box[128], out[64];
        size_t n = boxed(&tx, (enum seal_lane)l, box);
        assert_true(seal_is_sealed(box, n));
        assert_int_equal(box[0], SEAL_PREFIX | l);
        enum seal_lane lane = SEAL_LANES;
        assert_int_equal(seal_open(&rx, box, n, out, sizeof out, &lane), (int)sizeof msg);
        assert_int_equal(lane, l);
        assert_memory_equal(out, msg, sizeof msg);
        assert_int_equal(seal_open(&rx, box, n, out, sizeof out, NULL), SEAL_E_REPLAY);
    }
    /* each lane counts on its own: all three started at 0 */
    for (int l = 0; l < SEAL_LANES; l++)
        assert_int_equal(tx.next[l], 1);
}

static void one_byte_changed_is_refused(void **state)
{
    (void)state;
    struct seal_tx tx;
    struct seal_rx rx;
    seal_tx_init(&tx, key_a);
    seal_rx_init(&rx, key_a);
    uint8_t box[128], bad[128], out[64];
    size_t n = boxed(&tx, SEAL_LANE_STATE, box);
    for (size_t i = 0; i < n; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(bad, box, n);
            bad[i] ^= (uint8_t)(1u << bit);
            int rc = seal_open(&rx, bad, n, out, sizeof out, NULL);
            if (i == 0 && !seal_is_sealed(bad, n))
                assert_int_equal(rc, SEAL_E_SHORT);
            else
                assert_int_equal(rc, SEAL_E_FORGED);
        }
    /* cut short, or too short to be sealed */
    assert_int_equal(seal_open(&rx, box, n - 1, out, sizeof out, NULL), SEAL_E_FORGED);
    assert_int_equal(seal_open(&rx, box, SEAL_OVERHEAD - 1, out, sizeof out, NULL),
                     SEAL_E_SHORT);
    /* none of those moved the window: the real one still opens, once */
    assert_int_equal(seal_open(&rx, box, n, out, sizeof out, NULL), (int)sizeof msg);
    assert_int_equal(seal_open(&rx, box, n, out, sizeof out, NULL), SEAL_E_REPLAY);
}

static void other_key_or_direction_is_refused(void **state)
{
    (void)state;
    struct seal_tx tx;
    struct seal_rx rx;
    seal_tx_init(&tx, key_a);
    seal_rx_init(&rx, key_b);
    uint8_t box[128], out[64];
    size_t n = boxed(&tx, SEAL_LANE_CONTROL, box);
    assert_int_equal(seal_open(&rx, box, n, out, sizeof out, NULL), SEAL_E_FORGED);
    /* moved to another lane (an attacker rewriting byte 0): the nonce differs */
    seal_rx_init(&rx, key_a);
    box[0] = SEAL_PREFIX | SEAL_LANE_RELIABLE;
    assert_int_equal(seal_open(&rx, box, n, out, sizeof out, NULL), SEAL_E_FORGED);
}

/* Counter c's message sealed under key_a on lane STATE. */
static size_t boxed_at(uint64_t c, uint8_t *out)
{
    struct seal_tx tx;
    seal_tx_init(&tx, key_a);
    tx.next[SEAL_LANE_STATE] = c;
    return boxed(&tx, SEAL_LANE_STATE, out);
}

static void window_takes_late_and_refuses_old(void **state)
{
    (void)state;
    struct seal_rx rx;
    seal_rx_init(&rx, key_a);
    uint8_t box[128], out[64];
    size_t n = boxed_at(5000, box);
    assert_int_equal(seal_open(&rx, box, n, out, sizeof out, NULL), (int)sizeof msg);
    /* late but within the window, each once */
    uint64_t late[] = {4999, 5000 - SEAL_WINDOW + 1, 4000};
    for (size_t i = 0; i < 3; i++) {
        n = boxed_at(late[i], box);
        assert_int_equal(seal_open(&rx, box, n, out, sizeof out, NULL), (int)sizeof msg);
        assert_int_equal(seal_open(&rx, box, n, out, sizeof out, NULL), SEAL_E_REPLAY);
    }
    /* exactly SEAL_WINDOW (1024) below the newest: refused although never
     * seen (PROTOCOL.md: "1024 or more below the newest") */
    n = boxed_at(5000 - SEAL_WINDOW, box);
    assert_int_equal(seal_open(&rx, box, n, out, sizeof out, NULL), SEAL_E_REPLAY);
    /* a jump past the window forgets everything below: 5001 .. 5000 + W were
     * never seen, so after 5000 + 2W the ones in the window open */
    n = boxed_at(5000 + 2 * SEAL_WINDOW, box);
    assert_int_equal(seal_open(&rx, box, n, out, sizeof out, NULL), (int)sizeof msg);
    n = boxed_at(5001 + SEAL_WINDOW, box);
    assert_int_equal(seal_open(&rx, box, n, out, sizeof out, NULL), (int)sizeof msg);
    n = boxed_at(5000 + SEAL_WINDOW, box);
    assert_int_equal(seal_open(&rx, box, n, out, sizeof out, NULL), SEAL_E_REPLAY);
}

/* A step of one slot at a time clears the slot it reuses: counter c and
 * c + SEAL_WINDOW share a bit. */
static void window_slides_one_by_one(void **state)
{
    (void)state;
    struct seal_rx rx;
    seal_rx_init(&rx, key_a);
    uint8_t box[128], out[64];
    for (uint64_t c = 0; c < 3 * SEAL_WINDOW; c += 3) {
        size_t n = boxed_at(c, box);
        assert_int_equal(seal_open(&rx, box, n, out, sizeof out, NULL), (int)sizeof msg);
    }
    /* 3W - 4 is within the window, never seen, and shares its bit with the
     * opened 1020 = 3W - 4 - 2W */
    size_t n = boxed_at(3 * SEAL_WINDOW - 4, box);
    assert_int_equal(seal_open(&rx, box, n, out, sizeof out, NULL), (int)sizeof msg);
}

/* Both halves count: another nonce or another salt, other keys; the tag
 * holds for its own (key, nonce, salt) only. */
static void session_keys_and_their_tag(void **state)
{
    (void)state;
    uint8_t nonce[SEAL_NONCE_BYTES] = {7}, salt[SEAL_SALT_BYTES] = {9};
    uint8_t k[4][SEAL_KEY_BYTES];
    seal_session_key(k[0], key_a, nonce, salt);
    seal_session_key(k[1], key_b, nonce, salt);
    nonce[15] ^= 1;
    seal_session_key(k[2], key_a, nonce, salt);
    nonce[15] ^= 1;
    salt[15] ^= 1;
    seal_session_key(k[3], key_a, nonce, salt);
    salt[15] ^= 1;
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            assert_memory_not_equal(k[i], k[j], SEAL_KEY_BYTES);
    uint8_t tag[SEAL_PROOF_BYTES];
    seal_proof(tag, key_a, nonce, salt);
    assert_memory_not_equal(tag, k[0], SEAL_PROOF_BYTES); /* not the session key's start */
    assert_true(seal_proof_ok(tag, key_a, nonce, salt));
    assert_false(seal_proof_ok(tag, key_b, nonce, salt));
    nonce[0] ^= 1;
    assert_false(seal_proof_ok(tag, key_a, nonce, salt));
    nonce[0] ^= 1;
    salt[3] ^= 1;
    assert_false(seal_proof_ok(tag, key_a, nonce, salt));
    /* as text and back; only 32 hex digits */
    char hex[SEAL_HEX_LEN + 1];
    uint8_t back[16];
    seal_hex_format(tag, hex);
    assert_int_equal(strlen(hex), SEAL_HEX_LEN);
    assert_int_equal(seal_hex_parse(hex, back), 0);
    assert_memory_equal(back, tag, 16);
    hex[31] = '\0';
    assert_int_equal(seal_hex_parse(hex, back), -1);
    assert_int_equal(seal_hex_parse("zz112233445566778899aabbccddeeff", back), -1);
}

static void limits(void **state)
{
    (void)state;
    struct seal_tx tx;
    seal_tx_init(&tx, key_a);
    uint8_t box[128];
    assert_int_equal(seal_box(&tx, SEAL_LANE_STATE, msg, sizeof msg, box,
                              sizeof msg + SEAL_OVERHEAD - 1),
                     SEAL_E_SPACE);
    assert_int_equal(tx.next[SEAL_LANE_STATE], 0);
    tx.next[SEAL_LANE_STATE] = UINT64_MAX;
    assert_int_equal(seal_box(&tx, SEAL_LANE_STATE, msg, sizeof msg, box, sizeof box),
                     SEAL_E_SPENT);
    struct seal_rx rx;
    seal_rx_init(&rx, key_a);
    uint8_t out[64];
    size_t n = boxed_at(1, box);
    assert_int_equal(seal_open(&rx, box, n, out, sizeof msg - 1, NULL), SEAL_E_SPACE);
    assert_false(seal_is_sealed((const uint8_t *)"{", 1));
    assert_false(seal_is_sealed(msg, sizeof msg));
    assert_string_equal(seal_err_name(SEAL_E_FORGED), "forged");
    seal_tx_wipe(&tx);
    assert_int_equal(tx.key[0], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opens_once_with_its_lane),
        cmocka_unit_test(one_byte_changed_is_refused),
        cmocka_unit_test(other_key_or_direction_is_refused),
        cmocka_unit_test(window_takes_late_and_refuses_old),
        cmocka_unit_test(window_slides_one_by_one),
        cmocka_unit_test(session_keys_and_their_tag),
        cmocka_unit_test(limits),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
