/* test_e2e_wire_cookie.c: ENet joins through a path that loses the relay's
 * first answers. The generator's clients on a wire hub lose the first
 * cookie each: each asks again, as libricochet's own ENet clients do; a
 * session that loses three asks a fourth time within the relay's join
 * timeout; and one whose first two welcomes are lost is not taken for a
 * slow reader while it waits. */

/* The relay answers a connection's requests with its cookie, unsequenced,
 * and never resends it (PROTOCOL.md, "Return routability (ENet)"): a
 * client that asks once and waits has lost its join to one datagram, and
 * the relay closes it when its join timeout passes. The test's own proxy
 * between the hub and the relay drops the first CLIENTS cookies it
 * carries, what the clients' first requests earn; everything else passes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/lib/client.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/raw.h"

#define CLIENTS 8

struct seen {
    bool welcomed[CLIENTS], ended[CLIENTS];
};

static void on_event(void *ctx, struct ricochet *c, void *user, const struct ricochet_event *ev)
{
    struct seen *s = ctx;
    size_t i = (size_t)(uintptr_t)user;
    (void)c;
    if (ev->type == RICOCHET_EV_WELCOME)
        s->welcomed[i] = true;
    else if (ev->type == RICOCHET_EV_DISCONNECTED)
        s->ended[i] = true;
}

static void each_asks_again_for_its_lost_cookie(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--max-per-address", "64", NULL};
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct raw_cookie_proxy px;
    raw_cookie_proxy_open(&px, (uint16_t)port);
    px.drop_left = CLIENTS; /* the first each earns */
    char err[256], names[CLIENTS][8];
    struct client_wire_hub *hub = client_wire_hub_create(CLIENTS, err, sizeof err);
    assert_non_null(hub);
    struct ricochet *cs[CLIENTS];
    for (size_t i = 0; i < CLIENTS; i++) {
        snprintf(names[i], sizeof names[i], "w%zu", i);
        struct client_config cfg = {.host = "127.0.0.1", .port = raw_cookie_proxy_port(&px),
                                    .room = "cookie", .name = names[i],
                                    .mode = PROTO_MODE_UNSEQUENCED, .timeout_ms = 5000,
                                    .wire_hub = hub, .user = (void *)(uintptr_t)i};
        assert_non_null(cs[i] = client_create(&cfg, err, sizeof err));
    }
    struct seen s = {0};
    size_t in = 0;
    for (uint64_t end = clock_now_ms() + 5000; in < CLIENTS && clock_now_ms() < end;) {
        client_wire_hub_flush(hub);
        raw_cookie_proxy_pump(&px);
        usleep(2000);
        raw_cookie_proxy_pump(&px);
        client_wire_hub_service(hub, on_event, &s);
        in = 0;
        for (size_t i = 0; i < CLIENTS; i++) {
            struct ricochet_event ev;
            if (ricochet_poll(cs[i], 0, &ev) == 1)
                on_event(&s, cs[i], (void *)(uintptr_t)i, &ev);
            if (s.ended[i])
                fail_msg("client %zu ended before its welcome", i);
            in += s.welcomed[i];
        }
    }
    assert_int_equal(px.cookies_dropped, CLIENTS); /* each lost its first */
    assert_int_equal(in, CLIENTS);
    for (size_t i = 0; i < CLIENTS; i++)
        ricochet_close(cs[i]);
    client_wire_hub_destroy(hub);
    raw_cookie_proxy_close(&px);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* A session of its own ENet host joining through px (what it drops set)
 * within ms: welcomed, or the test fails with what ended it. Returns the
 * milliseconds its welcome took. */
static int session_joins_through(struct raw_cookie_proxy *px, int ms)
{
    char err[256];
    struct client_config cfg = {.host = "127.0.0.1", .port = raw_cookie_proxy_port(px),
                                .room = "lossy", .name = "own",
                                .mode = PROTO_MODE_UNSEQUENCED, .timeout_ms = 5000};
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    assert_non_null(c);
    struct ricochet_event ev = {0};
    bool welcomed = false;
    uint64_t t0 = clock_now_ms();
    while (!welcomed && clock_now_ms() < t0 + (uint64_t)ms) {
        raw_cookie_proxy_pump(px);
        while (!welcomed && ricochet_poll(c, 0, &ev) == 1) {
            if (ev.type == RICOCHET_EV_ERROR || ev.type == RICOCHET_EV_DISCONNECTED)
                fail_msg("the session, %d of its %ss lost: %s %s", px->cookies_dropped,
                         px->drop_type ? px->drop_type : "cookie", ev.code, ev.text);
            welcomed = ev.type == RICOCHET_EV_WELCOME;
        }
        usleep(1000);
    }
    assert_true(welcomed);
    ricochet_close(c);
    return (int)(clock_now_ms() - t0);
}

/* A session whose first three cookies are lost: its fourth request comes
 * within the relay's join timeout (its default, 2 s), the last the relay
 * answers (4 a connection), and it is welcomed. */
static void three_lost_cookies_within_the_join_timeout(void **state)
{
    (void)state;
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, NULL);
    assert_true(port > 0);
    struct raw_cookie_proxy px;
    raw_cookie_proxy_open(&px, (uint16_t)port);
    px.drop_left = 3;
    session_joins_through(&px, 5000);
    assert_int_equal(px.cookies_dropped, 3);
    raw_cookie_proxy_close(&px);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* A session on a path of 100 ms each way (netsim) whose first two welcomes
 * are lost: it sends nothing while it waits (its ENet pings every 2.5 s)
 * and ENet sends the welcome again, the third copy past the relay's slow
 * reader's mark (1 s here): a joiner waiting for its welcome is no slow
 * reader, and it is welcomed. */
static void two_lost_welcomes_are_no_slow_reader(void **state)
{
    (void)state;
    struct spawn_proc relay, sim;
    const char *args[] = {"--slow-reader-ms", "1000", NULL};
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    char at[32];
    snprintf(at, sizeof at, "127.0.0.1:%d", port);
    const char *sim_args[] = {"--relay", at, "--delay", "100", "--wire", "enet", NULL};
    int sim_port = harness_start_netsim(&sim, sim_args);
    assert_true(sim_port > 0);
    struct raw_cookie_proxy px;
    raw_cookie_proxy_open(&px, (uint16_t)sim_port);
    px.drop_type = "welcome";
    px.drop_left = 2;
    int took = session_joins_through(&px, 8000);
    print_message("welcomed after %d ms, %d welcomes lost\n", took, px.cookies_dropped);
    assert_int_equal(px.cookies_dropped, 2);
    raw_cookie_proxy_close(&px);
    harness_stop(&sim);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_asks_again_for_its_lost_cookie),
        cmocka_unit_test(three_lost_cookies_within_the_join_timeout),
        cmocka_unit_test(two_lost_welcomes_are_no_slow_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
