/* test_e2e_partitions: the fleet cut apart by the nemesis
 * (support/nemesis.h): Redis, three relays and the players each in a
 * network namespace of their own, nftables dropping what crosses a cut,
 * both ways or one way, while players play; then proto/FLEET.md's
 * invariants checked from what the players received through which relay
 * (support/nemesis_watch.h). First the nemesis itself: a cut drops
 * exactly what it names, and a heal brings it all back. A relay cut from
 * Redis past its lease lets its players go: they rejoin through another
 * relay and play again there, one group with a newcomer, within 5 s of
 * the lease's end; and the room's claim names their relay after the heal.
 * RICOCHET_CUT_MS sets the cuts' lengths (the partitions soak). */
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
#include "support/nemesis_watch.h"

#define TTL_MS 1000              /* --directory-ttl: 1 s, the shortest */
#define LEASE_MS (TTL_MS - TTL_MS / 10)
#define REDIS_NODE 1
#define RELAYS 3
#define RELAY_NODE(i) (2 + (i))
#define REJOIN_MS 60000          /* the players' rejoin window: longer than any cut */
#define REGROUP_MS 5000          /* a room plays again, one group, this soon after its
                                    relay's lease ended */

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

/* The fleet: Redis and RELAYS relays, each in a node of its own. */
struct cutlab {
    struct nemesis n;
    struct redisproc redis;
    char url[64];
    struct fleet_relay relay[RELAYS];
};

static void cutlab_open(struct cutlab *l)
{
    static const char *const ttl[] = {"--directory-ttl", "1", NULL};
    open_or_skip(&l->n, 2 + RELAYS);
    nemesis_redis(&l->n, REDIS_NODE, &l->redis, l->url, sizeof l->url);
    for (int i = 0; i < RELAYS; i++)
        nemesis_relay(&l->n, RELAY_NODE(i), &l->relay[i], l->url, ttl);
}

static void cutlab_close(struct cutlab *l)
{
    nemesis_heal(&l->n);
    for (int i = 0; i < RELAYS; i++) {
        char *log = getenv("RICOCHET_RELAY_LOGS") ? spawn_read_stderr(&l->relay[i].p) : NULL;
        if (log)
            fprintf(stderr, "---- relay %d (%s:%u)\n%s", i, l->relay[i].host,
                    (unsigned)l->relay[i].port, log);
        free(log);
        free(fleet_relay_finish(&l->relay[i]));
    }
    redisproc_stop(&l->redis);
    nemesis_close(&l->n);
}

/* The cut's length: RICOCHET_CUT_MS if set, else def. */
static int cut_ms(int def)
{
    const char *e = getenv("RICOCHET_CUT_MS");
    return e && atoi(e) > 0 ? atoi(e) : def;
}

/* A player of room entering through relay, rejoining through it. */
static struct ricochet *player(const struct fleet_relay *via, const char *room,
                               const char *name)
{
    return fleet_client(via, room, name, PROTO_MODE_UNSEQUENCED, 5000, REJOIN_MS);
}

static bool on_relay(struct ricochet *c, const struct fleet_relay *r)
{
    return strcmp(ricochet_relay_host(c), r->host) == 0 && ricochet_relay_port(c) == r->port;
}

/* The room's claim as Redis has it ("EPOCH ADDR TRANSPORT INSTANCE"). */
static void claim_of(struct cutlab *l, const char *room, char *out, size_t cap)
{
    nemesis_enter(&l->n, REDIS_NODE);
    test_redis_cmd(&l->redis, out, cap, "GET ricochet:room:%s", room);
    nemesis_enter(&l->n, NEMESIS_HUB);
}

/* Room "cut" on relay 0, its players x and y entering through relay 1;
 * relay 0 cut from Redis (both ways) for ms. */
static void cut_from_redis(int ms)
{
    struct cutlab l;
    struct nemesis_watch w;
    cutlab_open(&l);
    struct ricochet *first = player(&l.relay[0], "cut", "w"); /* places it on relay 0 */
    watch_start(&w);
    w.rec.c[0] = player(&l.relay[1], "cut", "x");
    w.rec.c[1] = player(&l.relay[1], "cut", "y");
    w.rec.n = 2;
    struct harness_rec lone = {.c = {first}, .n = 1};
    assert_int_equal(harness_poll_until(lone.c, 1, FLEET_WAIT_MS, NULL, fleet_all_welcomed,
                                        &lone), 0);
    assert_true(watch_until_one_group(&w, FLEET_WAIT_MS) >= 0);
    ricochet_close(first);
    assert_true(on_relay(w.rec.c[0], &l.relay[0]));

    uint64_t cut = clock_now_ms();
    nemesis_cut(&l.n, NEMESIS_SET(RELAY_NODE(0)), NEMESIS_SET(REDIS_NODE), true);
    while ((on_relay(w.rec.c[0], &l.relay[0]) || on_relay(w.rec.c[1], &l.relay[0])) &&
           clock_now_ms() - cut < LEASE_MS + REGROUP_MS)
        watch_play(&w, 50);
    long left = (long)(cut + LEASE_MS + REGROUP_MS) - (long)clock_now_ms();
    long took = left > 0 ? watch_until_one_group(&w, (int)left) : -1;
    took = took < 0 ? -1 : (long)(clock_now_ms() - cut);
    fprintf(stderr, "cut from redis %d ms: one group elsewhere %ld ms after the cut\n", ms,
            took);
    assert_true(took >= 0 && took <= LEASE_MS + REGROUP_MS);
    assert_false(on_relay(w.rec.c[0], &l.relay[0]));
    w.rec.c[w.rec.n++] = player(&l.relay[2], "cut", "z"); /* a newcomer meanwhile */
    assert_true(watch_until_one_group(&w, FLEET_WAIT_MS) >= 0);
    while (clock_now_ms() - cut < (uint64_t)ms)
        watch_play(&w, 50);
    nemesis_heal(&l.n);
    watch_play(&w, 3 * TTL_MS);
    assert_true(watch_until_one_group(&w, FLEET_WAIT_MS) >= 0);

    /* relay 0 forwarded nothing of the room past its lease, the room was
     * never on two relays, and its claim names its players' relay */
    uint64_t last = watch_last_through(&w, l.relay[0].host, l.relay[0].port);
    assert_true(last <= cut + LEASE_MS + WATCH_SLOT_MS);
    assert_int_equal(watch_split_ms(&w, cut), 0);
    char claim[256], holder[40];
    claim_of(&l, "cut", claim, sizeof claim);
    snprintf(holder, sizeof holder, " %s:%u ", ricochet_relay_host(w.rec.c[0]),
             (unsigned)ricochet_relay_port(w.rec.c[0]));
    assert_non_null(strstr(claim, holder));
    fleet_close_clients(&w.rec);
    cutlab_close(&l);
}

static void a_relay_cut_from_redis_for_twice_its_ttl_lets_its_players_go(void **state)
{
    (void)state;
    cut_from_redis(cut_ms(2 * TTL_MS));
}

static void the_same_for_twenty_times_its_ttl(void **state)
{
    (void)state;
    cut_from_redis(cut_ms(20 * TTL_MS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_nemesis_cuts_what_it_names),
        cmocka_unit_test(a_relay_cut_from_redis_for_twice_its_ttl_lets_its_players_go),
        cmocka_unit_test(the_same_for_twenty_times_its_ttl),
    };
    if (getenv("TEST_FILTER")) /* one test by name */
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
