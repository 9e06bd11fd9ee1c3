/* test_e2e_abuse_caps.c: the relay under abuse, over 127.0.0.1 with the
 * real relay: more connections than --max-clients, more than
 * --max-per-address, more than the default per-address cap; honest
 * clients already in keep their session and every refusal is counted.
 * Everything is bounded in time; the relay and sockets are closed on every
 * path (the harness kills children at exit). */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <enet/enet.h>

#include "client/lib/client.h"
#include "sys/clock.h"
#include "proto/control.h"
#include "proto/wire.h"
#include "tests/support/harness.h"
#include "tests/support/raw.h"
#include "tests/support/session.h"

/* ---- 2. more connections than the caps --------------------------------- */

static void run_peer_cap(bool udp)
{
    struct spawn_proc relay;
    const char *args_enet[] = { "--max-clients", "4", "--log-level", "warn", NULL };
    const char *args_udp[] = { "--transport", "udp", "--max-clients", "4",
                               "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, udp ? args_udp : args_enet);
    assert_true(port > 0);
    enum proto_mode mode = udp ? PROTO_MODE_UDP : PROTO_MODE_UNSEQUENCED;

    struct session s;
    session_init(&s);
    assert_int_equal(session_add(&s, (uint16_t)port, "lobby", "first", mode, true, 30), 0);
    assert_int_equal(session_add(&s, (uint16_t)port, "lobby", "second", mode, true, 30), 1);
    session_wait_ready(&s, 0, 2);
    session_run(&s, 500, 0, NULL, NULL);

    /* Eight more: two fit under --max-clients 4, six are refused. */
    for (int i = 0; i < 8; i++) {
        char name[24];
        snprintf(name, sizeof name, "extra%d", i);
        assert_true(session_add(&s, (uint16_t)port, "other", name, mode, false, 0) >= 0);
    }
    session_run(&s, 3000, 500, NULL, NULL);

    size_t welcomed = 0, refused = 0;
    for (size_t i = 2; i < s.n; i++) {
        if (ricochet_joined(s.c[i]) && !s.dead[i])
            welcomed++;
        else if (s.dead[i] && session_has_error(&s, i, "server_full"))
            refused++;
        else
            fprintf(stderr, "extra %zu: joined %d dead %d errors %zu\n", i,
                    ricochet_joined(s.c[i]), s.dead[i], s.n_errors[i]);
    }
    uint64_t got, want;
    double delivery = session_delivery(&s, &got, &want);
    long long server_full = harness_relay_stat(&relay, "drops.server_full");
    long long clients = harness_relay_stat(&relay, "clients");
    print_message("peer cap %s: --max-clients 4 with 2 in session: %zu extras welcomed, "
                  "%zu refused with server_full; relay drops.server_full %lld, clients %lld; "
                  "session delivery %.4f (%llu/%llu)\n",
                  udp ? "udp" : "enet", welcomed, refused, server_full, clients, delivery,
                  (unsigned long long)got, (unsigned long long)want);
    assert_int_equal(welcomed, 2);
    assert_int_equal(refused, 6);
    assert_true(server_full >= 6);
    assert_int_equal(clients, 4);
    assert_false(s.dead[0] || s.dead[1]);
    assert_true(ricochet_joined(s.c[0]) && ricochet_joined(s.c[1]));
    assert_true(delivery >= 0.99);
    /* The session's room never saw the extras. */
    assert_int_equal(s.got_unknown[0] + s.got_unknown[1], 0);
    session_free(&s);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

static void peer_cap_enet(void **state)
{
    (void)state;
    run_peer_cap(false);
}

static void peer_cap_udp(void **state)
{
    (void)state;
    run_peer_cap(true);
}

/* --max-per-address 2: every test client is 127.0.0.1, so the third is
 * refused (ENet ignores the connect, the client times out; the relay counts
 * it either way). */
static void run_per_address(bool udp)
{
    struct spawn_proc relay;
    const char *args_enet[] = { "--max-per-address", "2", "--log-level", "warn", NULL };
    const char *args_udp[] = { "--transport", "udp", "--max-per-address", "2",
                               "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, udp ? args_udp : args_enet);
    assert_true(port > 0);
    enum proto_mode mode = udp ? PROTO_MODE_UDP : PROTO_MODE_SEQUENCED;
    struct session s;
    session_init(&s);
    session_add(&s, (uint16_t)port, "lobby", "a", mode, true, 30);
    session_add(&s, (uint16_t)port, "lobby", "b", mode, true, 30);
    session_wait_ready(&s, 0, 2);

    char err[256];
    struct client_config cfg = { .host = "127.0.0.1", .port = (uint16_t)port, .room = "lobby",
                                 .name = "c", .mode = mode, .timeout_ms = 1500 };
    struct ricochet *third = client_create(&cfg, err, sizeof err);
    assert_non_null(third);
    assert_int_equal(session_adopt(&s, third, "c", false, 0), 2);
    session_run(&s, 2500, 300, NULL, NULL);
    bool third_refused = s.dead[2] && !ricochet_joined(s.c[2]);
    long long per_address = harness_relay_stat(&relay, "drops.per_address");
    uint64_t got, want;
    double delivery = session_delivery(&s, &got, &want);
    print_message("per-address %s: third client from 127.0.0.1 refused: %s (errors %zu); "
                  "drops.per_address %lld; session delivery %.4f\n", udp ? "udp" : "enet",
                  third_refused ? "yes" : "no", s.n_errors[2], per_address, delivery);
    assert_true(third_refused);
    assert_false(s.dead[0] || s.dead[1]);
    assert_true(delivery >= 0.99);
    assert_true(per_address >= 1);
    session_free(&s);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

static void per_address_enet(void **state)
{
    (void)state;
    run_per_address(false);
}

static void per_address_udp(void **state)
{
    (void)state;
    run_per_address(true);
}

/* Without --max-per-address the relay takes 16 connections from one IP
 * address (a public relay must not give one host every slot): the 17th
 * from 127.0.0.1 is refused and counted. */
static void per_address_default_enet(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    enum { N = 17 };
    struct raw_enet re[N];
    int connected = 0;
    for (int i = 0; i < N - 1; i++)
        connected += raw_enet_open(&re[i], (uint16_t)port) == 0;
    long long per_address0 = harness_relay_stat(&relay, "drops.per_address");
    int last = raw_enet_open_within(&re[N - 1], (uint16_t)port, PROTO_CHANNEL_COUNT, 1500);
    long long per_address1 = harness_relay_stat(&relay, "drops.per_address");
    long long clients = harness_relay_stat(&relay, "clients");
    for (int i = 0; i < N; i++)
        raw_enet_close(&re[i]);
    print_message("per-address default: %d of 16 connected, 17th %s; drops.per_address +%lld; "
                  "clients %lld\n", connected, last == 0 ? "connected" : "refused",
                  per_address1 - per_address0, clients);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    assert_int_equal(connected, N - 1);
    assert_int_equal(last, -1);
    assert_true(per_address1 > per_address0);
    assert_int_equal(clients, N - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(peer_cap_enet),
        cmocka_unit_test(peer_cap_udp),
        cmocka_unit_test(per_address_enet),
        cmocka_unit_test(per_address_udp),
        cmocka_unit_test(per_address_default_enet),
    };
    return session_run_tests("abuse_caps", tests, sizeof tests / sizeof tests[0]);
}
