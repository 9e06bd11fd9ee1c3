/* test_e2e_per_source.c: the per-address bounds count an IPv6 /64 as one
 * address (one host is commonly given a whole /64). In a network namespace
 * of the test's own (lab/harness/netlab.h), addresses of 2001:db8:6:4::/64
 * and 2001:db8:6:5::/64 on its loopback (the documentation prefix: nothing
 * leaves the namespace), a relay with --max-per-address 2: polling joins
 * from three addresses of one /64, the third answered 429 (per_address);
 * TCP and WebSocket connections the same, the third closed at once; from
 * the next /64, welcome. Needs root (skipped without). */
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
#include <unistd.h>

#include "lab/harness/netlab.h"
#include "tests/support/harness.h"

#define RELAY_AT "2001:db8:6:ff::1"
#define WAIT_MS 5000

static const char *const sources[] = {"2001:db8:6:4::1", "2001:db8:6:4::2",
                                      "2001:db8:6:4:ffff::3", "2001:db8:6:5::1"};

/* A TCP connection from src to the relay's port; fails the test if none. */
static int connect_from(const char *src, uint16_t port)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6}, b = {.sin6_family = AF_INET6,
                                                            .sin6_port = htons(port)};
    assert_int_equal(inet_pton(AF_INET6, src, &a.sin6_addr), 1);
    assert_int_equal(inet_pton(AF_INET6, RELAY_AT, &b.sin6_addr), 1);
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&b, sizeof b), 0);
    return fd;
}

/* A polling join from src. Returns the answer's status, or -1. */
static int poll_join_from(const char *src, uint16_t port, const char *name)
{
    char join[128], req[512];
    int n = snprintf(join, sizeof join,
                     "{\"type\":\"join\",\"version\":3,\"room\":\"six\",\"name\":\"%s\"}", name);
    int h = snprintf(req, sizeof req,
                     "POST /poll HTTP/1.1\r\nHost: [" RELAY_AT "]:%u\r\nContent-Type: "
                     "application/octet-stream\r\nContent-Length: %d\r\n\r\n%c%c%s",
                     (unsigned)port, n + 2, (char)(n >> 8), (char)n, join);
    int fd = connect_from(src, port);
    assert_int_equal(write(fd, req, (size_t)h), h);
    char answer[512];
    size_t have = 0;
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    while (have < 12 && poll(&pf, 1, WAIT_MS) == 1) {
        ssize_t got = read(fd, answer + have, sizeof answer - 1 - have);
        if (got <= 0)
            break;
        have += (size_t)got;
    }
    close(fd);
    answer[have] = '\0';
    int status;
    return sscanf(answer, "HTTP/1.1 %d", &status) == 1 ? status : -1;
}

/* Is fd closed by its peer within ms? */
static bool closed_within(int fd, int ms)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    char c;
    return poll(&pf, 1, ms) == 1 && read(fd, &c, 1) <= 0;
}

/* Connections from each source to port (a stream edge's: tcp, ws), held
 * silent: which of them the relay closed at once (the third, of the /64
 * past --max-per-address, waited for longest). */
static void closed_at_once(uint16_t port, bool closed[4])
{
    int fd[4];
    for (int i = 0; i < 4; i++)
        fd[i] = connect_from(sources[i], port);
    for (int i = 0; i < 4; i++) {
        closed[i] = closed_within(fd[i], i == 2 ? WAIT_MS : 300);
        close(fd[i]);
    }
}

static void an_ipv6_64_is_one_address(void **state)
{
    (void)state;
    static struct netlab lab;
    char why[256];
    if (netlab_open(&lab, why, sizeof why) != 0 ||
        netlab_enter(&lab, NETLAB_RELAY, why, sizeof why) != 0 || lab.userns) {
        print_message("no network namespaces here: %s\n", lab.userns ? "user namespace" : why);
        skip();
    }
    harness_sh("ip link set lo up && ip -6 addr add " RELAY_AT "/128 dev lo nodad");
    for (size_t i = 0; i < sizeof sources / sizeof *sources; i++)
        harness_sh("ip -6 addr add %s/128 dev lo nodad", sources[i]);
    struct spawn_proc relay;
    const char *args[] = {"--listen", "poll://[::]:0", "--listen", "tcp://[::]:0",
                          "--listen", "ws://[::]:0", "--max-per-address", "2", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t poll_port = (uint16_t)harness_edge_port(&relay, "poll");
    uint16_t tcp_port = (uint16_t)harness_edge_port(&relay, "tcp");
    uint16_t ws_port = (uint16_t)harness_edge_port(&relay, "ws");

    int statuses[4];
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        statuses[i] = poll_join_from(sources[i], poll_port, name);
    }
    print_message("polling joins from %s, %s, %s (one /64), %s: %d %d %d %d\n", sources[0],
                  sources[1], sources[2], sources[3], statuses[0], statuses[1], statuses[2],
                  statuses[3]);
    long long poll_refused = harness_relay_stat(&relay, "drops.per_address");

    bool closed[4], ws_closed[4];
    closed_at_once(tcp_port, closed);
    print_message("tcp connections closed at once: %d %d %d %d\n", closed[0], closed[1],
                  closed[2], closed[3]);
    closed_at_once(ws_port, ws_closed);
    print_message("websocket connections closed at once: %d %d %d %d\n", ws_closed[0],
                  ws_closed[1], ws_closed[2], ws_closed[3]);
    long long refused = harness_relay_stat(&relay, "drops.per_address");
    harness_stop(&relay);
    netlab_enter(&lab, NETLAB_SIDES, why, sizeof why);
    netlab_close(&lab);

    assert_int_equal(statuses[0], 200);
    assert_int_equal(statuses[1], 200);
    assert_int_equal(statuses[2], 429);
    assert_int_equal(statuses[3], 200);
    assert_int_equal(poll_refused, 1);
    assert_false(closed[0] || closed[1] || closed[3]);
    assert_true(closed[2]);
    assert_false(ws_closed[0] || ws_closed[1] || ws_closed[3]);
    assert_true(ws_closed[2]);
    assert_int_equal(refused, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_ipv6_64_is_one_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
