/* test_e2e_partitions: the fleet cut apart by the nemesis
 * (support/nemesis.h): Redis, relays and players each in a network
 * namespace of their own, nftables dropping what crosses a cut, both ways
 * or one way. First the nemesis itself: a cut drops exactly what it names,
 * and a heal brings it all back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/fleet_e2e.h"
#include "support/nemesis.h"

/* Opens the nemesis with nodes nodes, or skips the test. */
static void open_or_skip(struct nemesis *n, int nodes)
{
    char why[256];
    if (nemesis_open(n, nodes, why, sizeof why) != 0) {
        fprintf(stderr, "skipped: %s\n", why);
        skip();
    }
}

/* A UDP socket in node bound to its address (port 0); its port into port. */
static int udp_in(const struct nemesis *n, int node, uint16_t *port)
{
    nemesis_enter(n, node);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    nemesis_enter(n, NEMESIS_HUB);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, nemesis_addr(n, node), &a.sin_addr);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Whether a datagram from node from reaches node to (300 ms). */
static bool passes(const struct nemesis *n, int from, int to)
{
    uint16_t port, unused;
    int rx = udp_in(n, to, &port), tx = udp_in(n, from, &unused);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, nemesis_addr(n, to), &a.sin_addr);
    assert_int_equal(sendto(tx, "x", 1, 0, (struct sockaddr *)&a, sizeof a), 1);
    struct pollfd p = {.fd = rx, .events = POLLIN};
    bool got = poll(&p, 1, 300) == 1;
    close(rx);
    close(tx);
    return got;
}

/* Which of the 3x3 directed pairs pass, as bits (from * 3 + to). */
static unsigned reach_map(const struct nemesis *n)
{
    unsigned map = 0;
    for (int from = 0; from < 3; from++)
        for (int to = 0; to < 3; to++)
            if (from != to && passes(n, from, to))
                map |= 1u << (from * 3 + to);
    return map;
}

#define PAIR(from, to) (1u << ((from) * 3 + (to)))
#define ALL_PAIRS (PAIR(0, 1) | PAIR(0, 2) | PAIR(1, 0) | PAIR(1, 2) | PAIR(2, 0) | PAIR(2, 1))

static void the_nemesis_cuts_what_it_names(void **state)
{
    (void)state;
    struct nemesis n;
    open_or_skip(&n, 3);
    assert_int_equal(reach_map(&n), ALL_PAIRS);
    nemesis_cut(&n, NEMESIS_SET(1), NEMESIS_SET(2), false); /* 1 to 2 only */
    assert_int_equal(reach_map(&n), ALL_PAIRS & ~PAIR(1, 2));
    nemesis_cut(&n, NEMESIS_SET(0), NEMESIS_SET(1) | NEMESIS_SET(2), true);
    assert_int_equal(reach_map(&n), PAIR(2, 1));
    nemesis_heal(&n);
    assert_int_equal(reach_map(&n), ALL_PAIRS);
    nemesis_close(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_nemesis_cuts_what_it_names),
    };
    if (getenv("TEST_FILTER")) /* one test by name */
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
