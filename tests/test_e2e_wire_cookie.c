/* test_e2e_wire_cookie.c: the generator's ENet clients on a wire hub join
 * through a path that loses the relay's first cookie to each of them: each
 * asks again, as libricochet's own ENet clients do. */

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

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/lib/client.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/raw.h"

#define CLIENTS 8

struct proxy {
    int near, far;           /* the hub's side (bound), the relay's (connected) */
    struct sockaddr_in hub;  /* where the hub sends from */
    bool hub_known;
    int cookies_dropped;
};

static void proxy_open(struct proxy *px, uint16_t relay_port)
{
    memset(px, 0, sizeof *px);
    struct sockaddr_in at = raw_loopback(0), relay = raw_loopback(relay_port);
    px->near = socket(AF_INET, SOCK_DGRAM, 0);
    px->far = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(px->near >= 0 && px->far >= 0);
    assert_int_equal(bind(px->near, (struct sockaddr *)&at, sizeof at), 0);
    assert_int_equal(connect(px->far, (struct sockaddr *)&relay, sizeof relay), 0);
}

static uint16_t proxy_port(const struct proxy *px)
{
    struct sockaddr_in at;
    socklen_t len = sizeof at;
    assert_int_equal(getsockname(px->near, (struct sockaddr *)&at, &len), 0);
    return ntohs(at.sin_port);
}

/* Carries what each side sent, the first CLIENTS cookies from the relay
 * excepted. */
static void proxy_pump(struct proxy *px)
{
    uint8_t buf[2048];
    for (;;) {
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(px->near, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from,
                             &len);
        if (n < 0)
            break;
        px->hub = from;
        px->hub_known = true;
        send(px->far, buf, (size_t)n, 0);
    }
    for (ssize_t n; (n = recv(px->far, buf, sizeof buf, MSG_DONTWAIT)) >= 0;) {
        static const char cookie[] = "\"type\":\"cookie\"";
        if (memmem(buf, (size_t)n, cookie, sizeof cookie - 1) &&
            px->cookies_dropped < CLIENTS) {
            px->cookies_dropped++;
            continue;
        }
        if (px->hub_known)
            sendto(px->near, buf, (size_t)n, 0, (struct sockaddr *)&px->hub, sizeof px->hub);
    }
}

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
    struct proxy px;
    proxy_open(&px, (uint16_t)port);
    char err[256], names[CLIENTS][8];
    struct client_wire_hub *hub = client_wire_hub_create(CLIENTS, err, sizeof err);
    assert_non_null(hub);
    struct ricochet *cs[CLIENTS];
    for (size_t i = 0; i < CLIENTS; i++) {
        snprintf(names[i], sizeof names[i], "w%zu", i);
        struct client_config cfg = {.host = "127.0.0.1", .port = proxy_port(&px),
                                    .room = "cookie", .name = names[i],
                                    .mode = PROTO_MODE_UNSEQUENCED, .timeout_ms = 5000,
                                    .wire_hub = hub, .user = (void *)(uintptr_t)i};
        assert_non_null(cs[i] = client_create(&cfg, err, sizeof err));
    }
    struct seen s = {0};
    size_t in = 0;
    for (uint64_t end = clock_now_ms() + 5000; in < CLIENTS && clock_now_ms() < end;) {
        client_wire_hub_flush(hub);
        proxy_pump(&px);
        usleep(2000);
        proxy_pump(&px);
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
    close(px.near);
    close(px.far);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_asks_again_for_its_lost_cookie),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
