/* test_e2e_spec.c: the corners of PROTOCOL.md that a second implementation
 * found silent or double-voiced, as the spec now decides them, against
 * ricochet-relay over 127.0.0.1 with hand-driven sockets:
 *  - a datagram's first byte, by who sends it (a stranger, a member; plain
 *    UDP, ENet's control and state channels; a sealed session or not);
 *  - a non-member's malformed state or chat gets its decode error over
 *    ENet, not_joined over plain UDP; a well-formed one not_joined;
 *  - plain UDP answers a verified join to a full relay with server_full;
 *  - `mode` over plain UDP: any name of the mode table, recorded as udp;
 *    an unknown one is bad_field;
 *  - the rate limit counts messages (ENet packets), not UDP datagrams;
 *  - return routability: a join that is not JSON is not a join
 *    (not_joined); one with a bad field gets its cookie, then its field's
 *    error; a cookie echoed in upper case is the same cookie.
 * (bound_us's maximum is test_control's.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/keyfile.h"
#include "tests/support/harness.h"
#include "tests/support/raw.h"

#define WAIT_MS 3000

static uint16_t start(struct spawn_proc *relay, const char *const *args)
{
    int port = harness_start_relay(relay, args);
    assert_true(port > 0);
    return (uint16_t)port;
}

static void finish(struct spawn_proc *relay)
{
    free(harness_relay_finish(relay));
    spawn_free(relay);
}

/* A datagram of len bytes (at least 64: a stranger's answer fits) that
 * starts with first and is otherwise x. */
static size_t datagram(uint8_t *b, uint8_t first, size_t len)
{
    memset(b, 'x', len);
    b[0] = first;
    return len;
}

/* Plain UDP, from an endpoint that is no member: whatever the first byte,
 * not_joined (no longer than the datagram). */
static void first_byte_from_a_stranger(void **state)
{
    (void)state;
    const char *args[] = {"--transport", "udp", NULL};
    struct spawn_proc relay;
    uint16_t port = start(&relay, args);
    const uint8_t firsts[] = {'{', 0x01, 0x80, 0x81, 0x00, 0xff};
    for (size_t i = 0; i < sizeof firsts; i++) {
        int fd = harness_udp_socket(NULL);
        harness_udp_connect(fd, port);
        uint8_t b[64];
        send(fd, b, datagram(b, firsts[i], sizeof b), 0);
        struct proto_control m;
        if (raw_udp_expect(fd, PROTO_CTL_ERROR, "not_joined", WAIT_MS, &m) != 0)
            fail_msg("first byte 0x%02x from a stranger: no not_joined", firsts[i]);
        close(fd);
    }
    assert_int_equal(harness_relay_stat(&relay, "drops.not_joined"), (long long)sizeof firsts);
    finish(&relay);
}

/* A connected ENet peer that is no member, by channel and first byte: the
 * control channel reads JSON (anything else is bad_json), a state channel
 * decodes a state first (bad_state) and only then asks for membership
 * (not_joined); with --encrypt a sealed-looking message from a peer
 * without a session is dropped unanswered (seal_forged). */
static void first_byte_from_an_enet_peer(void **state)
{
    (void)state;
    char key[64], err[256];
    snprintf(key, sizeof key, "/tmp/test_e2e_spec.%d.key", (int)getpid());
    unlink(key);
    assert_int_equal(keyfile_generate(key, err, sizeof err), 0);
    for (int encrypt = 0; encrypt < 2; encrypt++) {
        const char *plain_args[] = {NULL};
        const char *sealed_args[] = {"--ticket-key", key, "--encrypt", NULL};
        struct spawn_proc relay;
        uint16_t port = start(&relay, encrypt ? sealed_args : plain_args);
        struct raw_enet re;
        assert_int_equal(raw_enet_open(&re, port), 0);
        struct {
            uint8_t channel, first;
            const char *code; /* NULL: no answer */
        } rows[] = {
            {PROTO_CHANNEL_CONTROL, 0x01, "bad_json"},   /* a state on the control channel */
            {PROTO_CHANNEL_CONTROL, 0x00, "bad_json"},
            {PROTO_CHANNEL_STATE, 0x01, "not_joined"},   /* a good state: then membership */
            {PROTO_CHANNEL_STATE, 0x02, "bad_state"},    /* version 2: decoded first */
            {PROTO_CHANNEL_STATE, '{', "bad_state"},     /* JSON on a state channel */
            {PROTO_CHANNEL_STATE, 0x81, encrypt ? NULL : "bad_state"},
        };
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            /* padded: before a ticket admits it, a peer's answer is no
             * longer than what it sent */
            uint8_t b[200];
            raw_state_bytes(b, sizeof b, 0, (uint32_t)i + 1, sizeof b);
            b[0] = rows[i].first;
            raw_enet_send(&re, rows[i].channel,
                          rows[i].channel == PROTO_CHANNEL_CONTROL ? ENET_PACKET_FLAG_RELIABLE
                                                                   : ENET_PACKET_FLAG_UNSEQUENCED,
                          b, sizeof b);
            struct proto_control m;
            int got = raw_enet_expect(&re, PROTO_CTL_ERROR, NULL,
                                      rows[i].code ? WAIT_MS : 300, &m);
            if (rows[i].code && (got != 0 || strcmp(m.code, rows[i].code) != 0))
                fail_msg("channel %u, first byte 0x%02x: want %s, got %s", rows[i].channel,
                         rows[i].first, rows[i].code, got ? "nothing" : m.code);
            if (!rows[i].code && got == 0)
                fail_msg("channel %u, first byte 0x%02x: answered %s", rows[i].channel,
                         rows[i].first, m.code);
        }
        if (encrypt)
            assert_int_equal(harness_relay_stat(&relay, "drops.seal_forged"), 1);
        raw_enet_close(&re);
        finish(&relay);
    }
    unlink(key);
}

/* A member's datagram over plain UDP: '{' is control, anything else a
 * state; a first byte that is neither (0x00, 0x80: no sealed session) is a
 * bad_state. */
static void first_byte_from_a_udp_member(void **state)
{
    (void)state;
    const char *args[] = {"--transport", "udp", NULL};
    struct spawn_proc relay;
    uint16_t port = start(&relay, args);
    int fd = harness_udp_socket(NULL);
    struct proto_control m;
    assert_true(harness_udp_join(fd, port, "{\"type\":\"join\",\"version\":3,\"room\":\"r\","
                                 "\"name\":\"m\",\"mode\":\"udp\",\"pad\":\"xxxxxxxxxxxxxxxx\"}",
                                 &m, WAIT_MS));
    assert_int_equal(m.type, PROTO_CTL_WELCOME);
    const uint8_t firsts[] = {0x00, 0x80, 0xff};
    for (size_t i = 0; i < sizeof firsts; i++) {
        uint8_t b[64];
        send(fd, b, datagram(b, firsts[i], sizeof b), 0);
        if (raw_udp_expect(fd, PROTO_CTL_ERROR, "bad_state", WAIT_MS, &m) != 0)
            fail_msg("first byte 0x%02x from a member: no bad_state", firsts[i]);
    }
    close(fd);
    finish(&relay);
}

/* Over ENet a non-member's malformed state or chat gets its own decode
 * error (validation order: the bytes first); a well-formed one not_joined. */
static void a_non_members_malformed_message(void **state)
{
    (void)state;
    struct spawn_proc relay;
    uint16_t port = start(&relay, NULL);
    struct raw_enet re;
    assert_int_equal(raw_enet_open(&re, port), 0);
    struct proto_control m;
    const char *bad_chat = "{\"type\":\"chat\",\"text\":\"a\\u001bb\"}";
    raw_enet_send(&re, 0, ENET_PACKET_FLAG_RELIABLE, bad_chat, strlen(bad_chat));
    assert_int_equal(raw_enet_expect(&re, PROTO_CTL_ERROR, "bad_field", WAIT_MS, &m), 0);
    const char *chat = "{\"type\":\"chat\",\"text\":\"ab\"}";
    raw_enet_send(&re, 0, ENET_PACKET_FLAG_RELIABLE, chat, strlen(chat));
    assert_int_equal(raw_enet_expect(&re, PROTO_CTL_ERROR, "not_joined", WAIT_MS, &m), 0);
    uint8_t st[PROTO_STATE_SIZE];
    raw_state_bytes(st, sizeof st, 0, 1, sizeof st);
    static const uint8_t nan[4] = {0x7f, 0xc0, 0, 0};
    memcpy(st + 20, nan, sizeof nan);
    raw_enet_send(&re, PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNSEQUENCED, st, sizeof st);
    assert_int_equal(raw_enet_expect(&re, PROTO_CTL_ERROR, "bad_state", WAIT_MS, &m), 0);
    raw_enet_close(&re);
    finish(&relay);
}

/* Plain UDP: a verified join to a relay with --max-clients members gets
 * server_full, as over ENet. */
static void server_full_over_plain_udp(void **state)
{
    (void)state;
    const char *args[] = {"--transport", "udp", "--max-clients", "1", NULL};
    struct spawn_proc relay;
    uint16_t port = start(&relay, args);
    int a = harness_udp_socket(NULL), b = harness_udp_socket(NULL);
    struct proto_control m;
    const char *join = "{\"type\":\"join\",\"version\":3,\"room\":\"r\",\"name\":\"%s\","
                       "\"mode\":\"udp\",\"pad\":\"xxxxxxxxxxxxxxxxxxxx\"}";
    char ja[200], jb[200];
    snprintf(ja, sizeof ja, join, "a");
    snprintf(jb, sizeof jb, join, "b");
    assert_true(harness_udp_join(a, port, ja, &m, WAIT_MS));
    assert_int_equal(m.type, PROTO_CTL_WELCOME);
    assert_true(harness_udp_join(b, port, jb, &m, WAIT_MS));
    assert_int_equal(m.type, PROTO_CTL_ERROR);
    assert_string_equal(m.code, "server_full");
    close(a);
    close(b);
    finish(&relay);
}

/* Plain UDP: mode is any name of the mode table, another edge's too (an
 * unknown one is bad_field), and the member is recorded as udp. */
static void mode_over_plain_udp(void **state)
{
    (void)state;
    const char *args[] = {"--transport", "udp", NULL};
    struct spawn_proc relay;
    uint16_t port = start(&relay, args);
    int a = harness_udp_socket(NULL), b = harness_udp_socket(NULL), c = harness_udp_socket(NULL);
    int d = harness_udp_socket(NULL);
    struct proto_control m;
    assert_true(harness_udp_join(a, port, "{\"type\":\"join\",\"version\":3,\"room\":\"r\","
                                 "\"name\":\"a\",\"mode\":\"udp\",\"pad\":\"xxxxxxxxxxxxxxxx\"}",
                                 &m, WAIT_MS));
    assert_true(harness_udp_join(b, port, "{\"type\":\"join\",\"version\":3,\"room\":\"r\","
                                 "\"name\":\"b\",\"mode\":\"reliable\",\"pad\":\"xxxxxxxxxx\"}",
                                 &m, WAIT_MS));
    assert_int_equal(m.type, PROTO_CTL_WELCOME);
    assert_int_equal(raw_udp_expect(a, PROTO_CTL_JOINED, NULL, WAIT_MS, &m), 0);
    assert_int_equal(m.mode, PROTO_MODE_UDP);
    assert_true(harness_udp_join(d, port, "{\"type\":\"join\",\"version\":3,\"room\":\"r\","
                                 "\"name\":\"d\",\"mode\":\"streams\",\"pad\":\"xxxxxxxxxxx\"}",
                                 &m, WAIT_MS));
    assert_int_equal(m.type, PROTO_CTL_WELCOME);
    assert_int_equal(raw_udp_expect(a, PROTO_CTL_JOINED, NULL, WAIT_MS, &m), 0);
    assert_int_equal(m.mode, PROTO_MODE_UDP);
    assert_true(harness_udp_join(c, port, "{\"type\":\"join\",\"version\":3,\"room\":\"r\","
                                 "\"name\":\"c\",\"mode\":\"warp\",\"pad\":\"xxxxxxxxxxxxxx\"}",
                                 &m, WAIT_MS));
    assert_int_equal(m.type, PROTO_CTL_ERROR);
    assert_string_equal(m.code, "bad_field");
    close(a);
    close(b);
    close(c);
    close(d);
    finish(&relay);
}

/* 100 pings queued on one ENet peer and flushed at once, in a handful of
 * datagrams: the rate limit (a burst of 60) counts the packets. */
static void rate_limit_counts_messages(void **state)
{
    (void)state;
    struct spawn_proc relay;
    uint16_t port = start(&relay, NULL);
    struct raw_enet re;
    assert_int_equal(raw_enet_open(&re, port), 0);
    assert_int_equal(raw_enet_join(&re, "r", "pinger", PROTO_MODE_UNSEQUENCED, WAIT_MS), 0);
    raw_enet_service(&re, 100, 0, NULL, NULL, NULL);
    enet_uint32 before = re.host->totalSentPackets;
    const char *ping = "{\"type\":\"ping\",\"t\":1}";
    for (int i = 0; i < 100; i++)
        enet_peer_send(re.peer, 0, enet_packet_create(ping, strlen(ping),
                                                      ENET_PACKET_FLAG_RELIABLE));
    enet_host_flush(re.host);
    enet_uint32 datagrams = re.host->totalSentPackets - before;
    assert_true(datagrams < 10);
    raw_enet_service(&re, 500, 0, NULL, NULL, NULL);
    long long dropped = harness_relay_stat(&relay, "drops.rate_limited");
    assert_true(dropped >= 30 && dropped <= 45); /* 100 - 60 of the burst, less the refill */
    raw_enet_close(&re);
    finish(&relay);
}

/* Return routability: a join that is not JSON is not a join; a join with
 * a bad field is given its cookie, then its field's error (and forgotten);
 * a cookie echoed in upper case is the cookie. */
static void joins_that_fail_and_cookie_case(void **state)
{
    (void)state;
    const char *args[] = {"--transport", "udp", NULL};
    struct spawn_proc relay;
    uint16_t port = start(&relay, args);
    struct proto_control m;
    int fd = harness_udp_socket(NULL);
    harness_udp_connect(fd, port);
    const char *broken = "{\"type\":\"join\",\"version\":3,\"room\":\"r\",\"name\":"
                         "\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"";
    send(fd, broken, strlen(broken), 0);
    assert_int_equal(raw_udp_expect(fd, PROTO_CTL_ERROR, "not_joined", WAIT_MS, &m), 0);
    assert_true(harness_udp_join(fd, port, "{\"type\":\"join\",\"version\":3,\"room\":\"r\","
                                 "\"name\":\"no\\u001bspaces\",\"pad\":\"xxxxxxxxxxxxxxxxxxxxxx\"}",
                                 &m, WAIT_MS));
    assert_int_equal(m.type, PROTO_CTL_ERROR);
    assert_string_equal(m.code, "bad_name");
    /* the cookie in upper case */
    const char *join = "{\"type\":\"join\",\"version\":3,\"room\":\"r\",\"name\":\"up\","
                       "\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxx\"";
    char first[200], again[240];
    snprintf(first, sizeof first, "%s}", join);
    send(fd, first, strlen(first), 0);
    assert_int_equal(raw_udp_expect(fd, PROTO_CTL_COOKIE, NULL, WAIT_MS, &m), 0);
    for (char *c = m.cookie; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    snprintf(again, sizeof again, "%s,\"cookie\":\"%s\"}", join, m.cookie);
    send(fd, again, strlen(again), 0);
    assert_int_equal(raw_udp_expect(fd, PROTO_CTL_WELCOME, NULL, WAIT_MS, &m), 0);
    close(fd);
    finish(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_byte_from_a_stranger),
        cmocka_unit_test(first_byte_from_an_enet_peer),
        cmocka_unit_test(first_byte_from_a_udp_member),
        cmocka_unit_test(a_non_members_malformed_message),
        cmocka_unit_test(server_full_over_plain_udp),
        cmocka_unit_test(mode_over_plain_udp),
        cmocka_unit_test(rate_limit_counts_messages),
        cmocka_unit_test(joins_that_fail_and_cookie_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
