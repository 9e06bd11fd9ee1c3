/* test_e2e_ipv6.c: IPv6 where the transport can carry it, over ::1 only.
 * ricochet-relay --transport udp --bind ::1 with the client library's udp
 * mode exchanging states; a dual-stack relay (--bind ::) serving an IPv4
 * and an IPv6 client in one room; the plain-UDP cookie over whole IPv6
 * endpoints; and ENet's one-line refusal of IPv6 in the relay, the client
 * library and ricochet-bot; ricochet-bench against an IPv6 relay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "client/lib/client.h"
#include "sys/clock.h"
#include "sys/netaddr.h"
#include "relay/core/cookies.h"
#include "relay/udp/transport_udp.h"
#include "tests/support/harness.h"

#define WAIT_MS 15000
#define ENET_REFUSAL "ENet 1.3 speaks IPv4 only"

static struct ricochet *udp_client(const char *host, uint16_t port, const char *name)
{
    struct client_config cfg = {.host = host, .port = port, .room = "six", .name = name,
                                .mode = PROTO_MODE_UDP, .timeout_ms = 5000};
    char err[256] = "";
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create(%s, %s): %s", host, name, err);
    return c;
}

/* Starts a udp relay bound to bind, joins one udp client per host, has
 * each send rounds states and checks every other one got most of them
 * (loopback rarely drops). Returns the relay's stderr (the caller frees). */
static char *exchange_states(const char *bind, const char *const hosts[], size_t n)
{
    const char *args[] = {"--transport", "udp", "--bind", bind, NULL};
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = n;
    char name[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "six-%zu", i);
        r.c[i] = udp_client(hosts[i], (uint16_t)port, name);
    }
    assert_int_equal(harness_poll_until(r.c, n, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &r), 0);
    const int rounds = 30;
    for (int k = 1; k <= rounds; k++) {
        for (size_t i = 0; i < n; i++) {
            struct proto_state s = {.send_us = clock_now_us(), .x = (float)k, .y = 1};
            assert_int_equal(client_send_state(r.c[i], &s, 64), 0);
        }
        harness_poll_for(r.c, n, 20, harness_rec_event, &r);
    }
    harness_poll_for(r.c, n, 300, harness_rec_event, &r);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            uint32_t id = ricochet_id(r.c[j]);
            if (i != j)
                assert_in_range(r.states[i][id], rounds * 8 / 10, rounds);
        }
        assert_int_equal(r.states_bad_id[i], 0);
    }
    for (size_t i = 0; i < n; i++)
        ricochet_close(r.c[i]);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 10000), 0);
    char *err = spawn_read_stderr(&relay);
    assert_non_null(err);
    spawn_free(&relay);
    return err;
}

static void udp_relay_on_ipv6_loopback(void **state)
{
    (void)state;
    const char *hosts[] = {"::1", "[::1]", "::1"};
    char *err = exchange_states("::1", hosts, 3);
    assert_non_null(strstr(err, "listening on [::1]:"));
    assert_non_null(strstr(err, "relay: [::1]:")); /* members logged as [ip]:port */
    free(err);
}

/* Bound to ::, one socket serves both families; the IPv4 member is logged
 * as 127.0.0.1:port, not ::ffff:127.0.0.1. */
static void udp_relay_dual_stack(void **state)
{
    (void)state;
    const char *hosts[] = {"127.0.0.1", "::1"};
    char *err = exchange_states("::", hosts, 2);
    assert_non_null(strstr(err, "listening on [::]:"));
    assert_non_null(strstr(err, "relay: 127.0.0.1:"));
    assert_non_null(strstr(err, "relay: [::1]:"));
    assert_null(strstr(err, "::ffff:"));
    free(err);
}

/* SipHash-2-4 of in[0..len) under key (crypto_shorthash), its 8 bytes read
 * little-endian: the cookie as PROTOCOL.md builds it. */
static uint64_t siphash_le(const uint8_t key[16], const uint8_t *in, size_t len)
{
    uint8_t out[crypto_shorthash_BYTES];
    crypto_shorthash(out, in, len, key);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | out[i];
    return v;
}

/* The cookie hashes the whole endpoint: the 16 address bytes, the port and
 * the window, as SipHash-2-4 of exactly those bytes; IPv4 keeps its 4 + 2
 * + 8 layout. A cookie for one IPv6 endpoint is no good for another that
 * differs in any one byte. */
static void cookie_covers_ipv6_endpoints(void **state)
{
    (void)state;
    const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    char err[256];
    union netaddr a;
    assert_int_equal(netaddr_parse_endpoint("[2001:db8::42]:7777", &a, err, sizeof err), 0);
    const uint64_t window = 0x0102030405060708ull;
    uint8_t in[26];
    memcpy(in, &a.v6.sin6_addr, 16);
    in[16] = 7777 >> 8;
    in[17] = 7777 & 0xff;
    for (int i = 0; i < 8; i++)
        in[18 + i] = (uint8_t)(window >> (8 * i));
    uint64_t c = cookies_mac(key, &a, window);
    assert_true(c == siphash_le(key, in, sizeof in));
    for (int byte = 0; byte < 16; byte++) {
        union netaddr b = a;
        b.v6.sin6_addr.s6_addr[byte] ^= 1;
        assert_true(cookies_mac(key, &b, window) != c);
    }
    union netaddr p = a;
    netaddr_set_port(&p, 7778);
    assert_true(cookies_mac(key, &p, window) != c);
    assert_true(cookies_mac(key, &a, window + 1) != c);

    union netaddr v4;
    assert_int_equal(netaddr_parse_endpoint("192.0.2.9:7777", &v4, err, sizeof err), 0);
    uint8_t in4[14] = {192, 0, 2, 9, 7777 >> 8, 7777 & 0xff};
    memcpy(in4 + 6, in + 18, 8);
    assert_true(cookies_mac(key, &v4, window) == siphash_le(key, in4, sizeof in4));
}

/* ENet 1.3 has no IPv6: the relay, the client library and the bot say so
 * in one line and point at the plain-UDP transport. */
static void enet_refuses_ipv6(void **state)
{
    (void)state;
    const char *relay_args[] = {"--bind", "::1", "--port", "0", NULL};
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-relay", relay_args), 0);
    assert_true(spawn_stop(&p, 0, 10000) > 0);
    char *err = spawn_read_stderr(&p);
    assert_non_null(err);
    assert_non_null(strstr(err, "ricochet-relay: error: bind address ::1 is IPv6: "
                                ENET_REFUSAL "; use --transport udp for IPv6\n"));
    free(err);
    spawn_free(&p);

    struct client_config cfg = {.host = "::1", .port = 7777, .room = "six", .name = "e",
                                .mode = PROTO_MODE_UNSEQUENCED};
    char text[256] = "";
    assert_null(client_create(&cfg, text, sizeof text));
    assert_non_null(strstr(text, ENET_REFUSAL));
    assert_non_null(strstr(text, "::1 is IPv6"));
    assert_non_null(strstr(text, "connect with the udp mode to a relay's plain-UDP edge"));
    assert_null(strstr(text, "--mode"));
    assert_null(strchr(text, '\n'));

    const char *bot_args[] = {"--host", "::1", "--port", "7777", "--duration", "1", NULL};
    assert_int_equal(harness_spawn(&p, "ricochet-bot", bot_args), 0);
    assert_true(spawn_stop(&p, 0, 10000) != 0);
    err = spawn_read_stderr(&p);
    assert_non_null(err);
    assert_non_null(strstr(err, ENET_REFUSAL));
    free(err);
    spawn_free(&p);
}

/* ricochet-bench against a relay on [::1] (clients on IPv6, then through
 * a netsim that listens on 127.0.0.1 and forwards to [::1]); an IPv6
 * address without brackets is a one-line error. */
static void bench_against_ipv6_relay(void **state)
{
    (void)state;
    const char *relay_args[] = {"--transport", "udp", "--bind", "::1", "--max-per-address",
                                "0", "--rate-limit", "0", NULL};
    struct spawn_proc relay, bench;
    int port = harness_start_relay(&relay, relay_args);
    assert_true(port > 0);
    char target[64];
    snprintf(target, sizeof target, "[::1]:%d", port);
    for (int netsim = 0; netsim < 2; netsim++) {
        const char *args[] = {"--relay", target, "--modes", "udp", "--clients", "2",
                              "--duration", "0.5", "--warmup", "0.2", "--grace", "0.5",
                              "--json-file", "-", netsim ? "--netsim" : NULL, NULL};
        assert_int_equal(harness_spawn(&bench, "ricochet-bench", args), 0);
        assert_int_equal(spawn_stop(&bench, 0, 60000), 0);
        char *out = spawn_read_stdout(&bench);
        assert_non_null(out);
        cJSON *report = cJSON_Parse(out);
        const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(report, "results"), 0);
        if (!cJSON_IsTrue(cJSON_GetObjectItem(first, "ok")))
            fail_msg("bench (netsim %d): %s", netsim, out);
        assert_true(cJSON_GetObjectItem(first, "delivered")->valuedouble > 0);
        cJSON_Delete(report);
        free(out);
        spawn_free(&bench);
    }
    snprintf(target, sizeof target, "::1:%d", port);
    const char *bad[] = {"--relay", target, "--modes", "udp", NULL};
    assert_int_equal(harness_spawn(&bench, "ricochet-bench", bad), 0);
    assert_int_equal(spawn_stop(&bench, 0, 10000), 2);
    char *err = spawn_read_stderr(&bench);
    assert_non_null(err);
    assert_non_null(strstr(err, "write an IPv6 address in brackets, [ADDR]:PORT"));
    free(err);
    spawn_free(&bench);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 10000), 0);
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(udp_relay_on_ipv6_loopback),
        cmocka_unit_test(udp_relay_dual_stack),
        cmocka_unit_test(cookie_covers_ipv6_endpoints),
        cmocka_unit_test(enet_refuses_ipv6),
        cmocka_unit_test(bench_against_ipv6_relay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
