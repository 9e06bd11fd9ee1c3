/* test_e2e_partitions.c: the fleet cut apart by the nemesis (Redis, three
 * relays and the players in namespaces of their own, nftables cutting between
 * them): proto/FLEET.md's invariants checked from what the players received. */
/* The fleet cut apart by the nemesis
 * (support/nemesis.h): Redis, three relays and the players each in a
 * network namespace of their own, nftables dropping what crosses a cut,
 * both ways or one way, while players play; then proto/FLEET.md's
 * invariants checked from what the players received through which relay
 * (support/nemesis_watch.h). First the nemesis itself: a cut drops
 * exactly what it names, and a heal brings it all back. A relay cut from
 * Redis past its lease lets its players go: they rejoin through another
 * relay and play again there, one group with a newcomer, within 5 s of
 * the lease's end; and the room's claim names their relay after the heal.
 * The cut relay is judged by when the states that came through it were
 * sent, not read: players starved across its lease's end (a loaded
 * machine) read late what it forwarded in time, and that holds.
 * A relay cut from its players, still heartbeating, loses the room at
 * their first rejoin, which names it: one group elsewhere within
 * rejoin_after + stale, a newcomer sent to it getting in too. A relay
 * reported lost, or one that dropped all its players at once (it tells on
 * itself), is placed on last: a new room's first player gets in at once.
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

#include "tests/support/fleet_e2e.h"
#include "tests/support/nemesis.h"
#include "tests/support/nemesis_watch.h"

#define TTL_MS 1000              /* --directory-ttl: 1 s, the shortest */
#define LEASE_MS (TTL_MS - TTL_MS / 10)
#define REDIS_NODE 1
#define RELAYS 3
#define RELAY_NODE(i) (2 + (i))
#define FAR_NODE (2 + RELAYS)    /* a player apart from the others */
#define WINDOW_TTL_S 5           /* invariant 4's window: a TTL whose lease outlasts a
                                    rejoin (1.5 s of silence) */
#define JOIN_TIMEOUT_MS 5000     /* a player's join, at each relay it tries */
#define REJOIN_MS 60000          /* the players' rejoin window: longer than any cut */
#define REGROUP_MS 5000          /* a room plays again, one group, this soon after its
                                    relay's lease ended */
#define DELIVERY_MS 200          /* a state forwarded to when it is seen received, on a
                                    loaded machine (the players poll every 50 ms) */
#define REJOIN_AFTER_MS 1500     /* the library's: a relay silent this long is lost */
#define STALE_MS (3 * TTL_MS / 10) /* three heartbeats */
#define BLACK_HOLE_MS (REJOIN_AFTER_MS + STALE_MS) /* ... after its relay was cut from its
                                    players: their silence, and a rejoin that names it
                                    lost (the room moves at once) */

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

/* The pairs that pass once every pair has had 5 s to (a new link, or
 * neighbours to find again after a heal, on a loaded machine). */
static unsigned reach_map_settled(const struct nemesis *n)
{
    unsigned map = reach_map(n);
    for (uint64_t end = clock_now_ms() + 5000; map != ALL_PAIRS && clock_now_ms() < end;)
        map = reach_map(n);
    return map;
}

static void the_nemesis_cuts_what_it_names(void **state)
{
    (void)state;
    struct nemesis n;
    open_or_skip(&n, 3);
    assert_int_equal(reach_map_settled(&n), ALL_PAIRS);
    nemesis_cut(&n, NEMESIS_SET(1), NEMESIS_SET(2), false); /* 1 to 2 only */
    assert_int_equal(reach_map(&n), ALL_PAIRS & ~PAIR(1, 2));
    nemesis_cut(&n, NEMESIS_SET(0), NEMESIS_SET(1) | NEMESIS_SET(2), true);
    assert_int_equal(reach_map(&n), PAIR(2, 1));
    nemesis_heal(&n);
    assert_int_equal(reach_map_settled(&n), ALL_PAIRS);
    nemesis_close(&n);
}

/* One check of an invariant, said on stderr as "partitions: NAME held|
 * broken: what" (the partitions soak counts them), then asserted:
 *   split    no moment two relays forwarded one room beyond the bound
 *   regroup  the room's players one group within the stated time
 *   stuck    no claim stuck: the room's claim names its players' relay
 *   flush    no state refused rate_limited at a rejoin */
static void verdict(const char *name, bool held, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void verdict(const char *name, bool held, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "partitions: %s %s: ", name, held ? "held" : "broken");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    assert_true(held);
}

/* The fleet: Redis and RELAYS relays, each in a node of its own. */
struct cutlab {
    struct nemesis n;
    struct redisproc redis;
    char url[64];
    struct fleet_relay relay[RELAYS];
};

static void cutlab_open_ttl(struct cutlab *l, int ttl_s)
{
    char ttl_arg[8];
    snprintf(ttl_arg, sizeof ttl_arg, "%d", ttl_s);
    const char *const ttl[] = {"--directory-ttl", ttl_arg, NULL};
    open_or_skip(&l->n, 3 + RELAYS);
    nemesis_redis(&l->n, REDIS_NODE, &l->redis, l->url, sizeof l->url);
    for (int i = 0; i < RELAYS; i++)
        nemesis_relay(&l->n, RELAY_NODE(i), &l->relay[i], l->url, ttl);
}

/* The relays' logs on stderr, with RICOCHET_RELAY_LOGS set or when the
 * scenario failed. */
static void cutlab_logs(struct cutlab *l, bool failed)
{
    for (int i = 0; i < RELAYS && (failed || getenv("RICOCHET_RELAY_LOGS")); i++) {
        char *log = spawn_read_stderr(&l->relay[i].p);
        fprintf(stderr, "---- relay %d (%s:%u)\n%s", i, l->relay[i].host,
                (unsigned)l->relay[i].port, log ? log : "");
        free(log);
    }
}

static void cutlab_open(struct cutlab *l)
{
    cutlab_open_ttl(l, TTL_MS / 1000);
}

static void cutlab_close(struct cutlab *l)
{
    nemesis_heal(&l->n);
    cutlab_logs(l, false);
    for (int i = 0; i < RELAYS; i++)
        free(fleet_relay_finish(&l->relay[i]));
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
    return fleet_client(via, room, name, PROTO_MODE_RELIABLE, JOIN_TIMEOUT_MS, REJOIN_MS);
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

/* Room "cut" on relay 0, its players x and y entering through relay 1,
 * playing. */
static void room_on_relay_0(struct cutlab *l, struct nemesis_watch *w)
{
    struct ricochet *first = player(&l->relay[0], "cut", "w"); /* places it on relay 0 */
    struct harness_rec lone = {.c = {first}, .n = 1};
    assert_int_equal(harness_poll_until(lone.c, 1, FLEET_WAIT_MS, NULL, fleet_all_welcomed,
                                        &lone), 0);
    watch_start(w);
    w->rec.c[0] = player(&l->relay[1], "cut", "x");
    w->rec.c[1] = player(&l->relay[1], "cut", "y");
    w->rec.n = 2;
    assert_true(watch_until_one_group(w, FLEET_WAIT_MS) >= 0);
    ricochet_close(first);
    assert_true(on_relay(w->rec.c[0], &l->relay[0]));
}

/* A room on each other relay (a player each), so that relay 0, once its
 * room is gone, has the fewest: the one placement picks, unless kept out. */
static void other_rooms(struct cutlab *l, struct nemesis_watch *w)
{
    static const char *const rooms[] = {"", "other1", "other2"};
    for (int i = 1; i < RELAYS; i++)
        w->others[w->n_others++] = player(&l->relay[i], rooms[i], rooms[i]);
    struct harness_rec r = {.n = w->n_others};
    memcpy(r.c, w->others, w->n_others * sizeof *r.c);
    assert_int_equal(harness_poll_until(r.c, r.n, FLEET_WAIT_MS, NULL, fleet_all_welcomed, &r),
                     0);
}

/* States the relays refused over the rate limit. */
static long long rate_limited(struct cutlab *l)
{
    long long n = 0;
    for (int i = 0; i < RELAYS; i++)
        n += fleet_relay_stat(&l->relay[i], "drops.rate_limited");
    return n;
}

/* States from every player, sent now, then none read for starve_ms: what
 * a loaded machine does to the players' process. */
static void starve(struct nemesis_watch *w, int starve_ms)
{
    watch_play(w, 0);
    for (size_t i = 0; i < w->rec.n; i++)
        ricochet_flush(w->rec.c[i]);
    clock_sleep_ms((unsigned)starve_ms);
}

/* relay 0 cut from Redis for ms: both ways, or only what Redis sends it;
 * with starve_ms, its players starve that long from well within its lease
 * until past its end. */
static void cut_from_redis(int ms, bool both, int starve_ms)
{
    struct cutlab l;
    struct nemesis_watch w;
    cutlab_open(&l);
    room_on_relay_0(&l, &w);

    nemesis_cut(&l.n, NEMESIS_SET(REDIS_NODE), NEMESIS_SET(RELAY_NODE(0)), both);
    /* the cut is in once nft has run (a loaded machine takes its time), and
     * the lease was last confirmed no later: it ends by cut + LEASE_MS */
    uint64_t cut = clock_now_ms();
    if (starve_ms) {
        while (clock_now_ms() - cut < LEASE_MS / 2)
            watch_play(&w, 50);
        starve(&w, starve_ms);
    }
    while ((on_relay(w.rec.c[0], &l.relay[0]) || on_relay(w.rec.c[1], &l.relay[0])) &&
           clock_now_ms() - cut < LEASE_MS + REGROUP_MS)
        watch_play(&w, 50);
    long left = (long)(cut + LEASE_MS + REGROUP_MS) - (long)clock_now_ms();
    long took = left > 0 ? watch_until_one_group(&w, (int)left) : -1;
    took = took < 0 ? -1 : (long)(clock_now_ms() - cut);
    cutlab_logs(&l, took < 0);
    verdict("regroup", took >= 0 && !on_relay(w.rec.c[0], &l.relay[0]),
            "relay cut from redis %d ms%s: one group elsewhere %ld ms after the cut (bound %d)",
            ms, both ? "" : " (redis to relay only)", took, LEASE_MS + REGROUP_MS);
    w.rec.c[w.rec.n++] = player(&l.relay[2], "cut", "z"); /* a newcomer meanwhile */
    verdict("regroup", watch_until_one_group(&w, FLEET_WAIT_MS) >= 0,
            "a newcomer meets them");
    while (clock_now_ms() - cut < (uint64_t)ms)
        watch_play(&w, 50);
    nemesis_heal(&l.n);
    watch_play(&w, 3 * TTL_MS);
    verdict("regroup", watch_until_one_group(&w, FLEET_WAIT_MS) >= 0, "one group after the "
            "heal");

    /* relay 0 forwarded nothing of the room past its lease (a state sent
     * after the lease's end that came through it proves it did; when the
     * players read it says nothing, the test's process may have starved),
     * the room was never on two relays, and its claim names its players'
     * relay */
    uint64_t last = watch_last_sent(&w, l.relay[0].host, l.relay[0].port);
    bool held = last <= cut + LEASE_MS;
    if (!held)
        cutlab_logs(&l, true);
    verdict("split", held, "the cut relay's last state sent %lld ms after the cut (lease %d)",
            (long long)(last - cut), LEASE_MS);
    uint64_t split = watch_split_ms(&w, cut);
    verdict("split", split == 0, "the room on two relays %llu ms", (unsigned long long)split);
    char claim[256], holder[40];
    claim_of(&l, "cut", claim, sizeof claim);
    snprintf(holder, sizeof holder, " %s:%u ", ricochet_relay_host(w.rec.c[0]),
             (unsigned)ricochet_relay_port(w.rec.c[0]));
    verdict("stuck", strstr(claim, holder) != NULL, "claim '%s', players on%s", claim, holder);
    long long refused = rate_limited(&l);
    verdict("flush", refused == 0, "%lld states refused rate_limited", refused);
    fleet_close_clients(&w.rec);
    cutlab_close(&l);
}

/* Redis cut from every relay (both ways) for ms: the rooms let go at the
 * lease's end, their players rejoining, refused until the heal, holding
 * their reliable states, and a newcomer's first join refused too; then
 * one group again, the newcomer in it, and the flush of what they held
 * within the rate limit. */
static void redis_cut_from_every_relay(int ms)
{
    struct cutlab l;
    struct nemesis_watch w;
    cutlab_open(&l);
    room_on_relay_0(&l, &w);
    uint32_t relays = 0;
    for (int i = 0; i < RELAYS; i++)
        relays |= NEMESIS_SET(RELAY_NODE(i));
    nemesis_cut(&l.n, NEMESIS_SET(REDIS_NODE), relays, true);
    uint64_t cut = clock_now_ms(); /* once nft has it in */
    watch_play(&w, LEASE_MS + 500);
    /* a newcomer's first join, refused directory_unavailable (retryable)
     * until the heal: its library tries again within its rejoin window */
    w.rec.c[w.rec.n++] = player(&l.relay[2], "cut", "n");
    while (clock_now_ms() - cut < (uint64_t)ms)
        watch_play(&w, 50);
    nemesis_heal(&l.n);
    long took = watch_until_one_group(&w, FLEET_WAIT_MS);
    cutlab_logs(&l, took < 0);
    verdict("regroup", took >= 0, "redis cut from every relay %d ms: one group %ld ms after "
            "the heal", ms, took);
    uint64_t split = watch_split_ms(&w, cut);
    verdict("split", split == 0, "the room on two relays %llu ms", (unsigned long long)split);
    long long refused = rate_limited(&l);
    verdict("flush", refused == 0, "%lld states refused rate_limited", refused);
    fleet_close_clients(&w.rec);
    cutlab_close(&l);
}

static void a_relay_cut_from_redis_for_twice_its_ttl_lets_its_players_go(void **state)
{
    (void)state;
    cut_from_redis(cut_ms(2 * TTL_MS), true, 0);
}

static void the_same_for_twenty_times_its_ttl(void **state)
{
    (void)state;
    cut_from_redis(cut_ms(20 * TTL_MS), true, 0);
}

static void the_same_when_only_redis_to_relay_is_cut(void **state)
{
    (void)state;
    cut_from_redis(cut_ms(5 * TTL_MS), false, 0);
}

/* Its players' process starved across the lease's end: what they read
 * late through the cut relay was sent, and so forwarded, within its lease. */
static void the_same_when_its_players_read_late(void **state)
{
    (void)state;
    cut_from_redis(cut_ms(2 * TTL_MS), true, 3 * LEASE_MS / 2);
}

/* Whether relay i told the directory its clients were all dropped at once
 * (P:shun:ADDR set: placed on last; its `draining` still 0), asked for ms
 * while the players play. */
static bool told_on_itself(struct cutlab *l, struct nemesis_watch *w, int i, int ms)
{
    char shun[16] = "", draining[16] = "";
    for (uint64_t end = clock_now_ms() + (uint64_t)ms; clock_now_ms() < end;) {
        nemesis_enter(&l->n, REDIS_NODE);
        test_redis_cmd(&l->redis, shun, sizeof shun, "GET ricochet:shun:%s:%u",
                       l->relay[i].host, (unsigned)l->relay[i].port);
        test_redis_cmd(&l->redis, draining, sizeof draining,
                       "HGET ricochet:relay:%s:%u draining", l->relay[i].host,
                       (unsigned)l->relay[i].port);
        nemesis_enter(&l->n, NEMESIS_HUB);
        if (strcmp(shun, "1") == 0 && strcmp(draining, "0") == 0)
            return true;
        watch_play(w, 100);
    }
    return false;
}

/* The first player of a new room, entering through relay 2 while relay 0
 * is cut from the players: how long until it is in (-1: not within
 * FLEET_WAIT_MS), and on which relay. */
static long new_room_joins(struct cutlab *l, struct nemesis_watch *w, struct ricochet **out)
{
    uint64_t asked = clock_now_ms();
    struct ricochet *c = player(&l->relay[2], "fresh", "f");
    w->others[w->n_others++] = c; /* polled, not counted */
    while (!ricochet_joined(c) && clock_now_ms() - asked < FLEET_WAIT_MS)
        watch_play(w, 50);
    *out = c;
    return ricochet_joined(c) ? (long)(clock_now_ms() - asked) : -1;
}

/* The first player of a new room, entering through relay 2 while relay 0
 * is cut from the players: in before its join's timeout, not on relay 0. */
static void new_room_placed_elsewhere(struct cutlab *l, struct nemesis_watch *w)
{
    struct ricochet *fresh;
    long in_ms = new_room_joins(l, w, &fresh);
    verdict("regroup", in_ms >= 0 && in_ms < JOIN_TIMEOUT_MS && !on_relay(fresh, &l->relay[0]),
            "a new room's first player in %ld ms on a relay it reaches (before its join's "
            "%d ms timeout)", in_ms, JOIN_TIMEOUT_MS);
}

/* relay 0 cut from its players (the hub, both ways) for ms, still
 * heartbeating: the players' rejoin names it lost, the room moves to
 * another relay and they meet there within rejoin_after + stale; a
 * newcomer sent to relay 0 before that rejoins too and meets them. */
static void cut_from_players(int ms)
{
    struct cutlab l;
    struct nemesis_watch w;
    cutlab_open(&l);
    room_on_relay_0(&l, &w);
    other_rooms(&l, &w);
    nemesis_cut(&l.n, NEMESIS_SET(NEMESIS_HUB), NEMESIS_SET(RELAY_NODE(0)), true);
    uint64_t cut = clock_now_ms(); /* once nft has it in */
    watch_play(&w, 200);
    struct ricochet *early = player(&l.relay[2], "cut", "n"); /* sent to relay 0 */
    w.others[w.n_others++] = early; /* polled, not counted, until it is in */
    int bound = BLACK_HOLE_MS + WATCH_SLOT_MS + DELIVERY_MS; /* as seen by the players */
    while ((on_relay(w.rec.c[0], &l.relay[0]) || on_relay(w.rec.c[1], &l.relay[0])) &&
           clock_now_ms() - cut < (uint64_t)bound)
        watch_play(&w, 50);
    long left = (long)(cut + bound) - (long)clock_now_ms();
    long took = left > 0 ? watch_until_one_group(&w, (int)left) : -1;
    took = took < 0 ? -1 : (long)(clock_now_ms() - cut);
    cutlab_logs(&l, took < 0);
    verdict("regroup", took >= 0 && took < ms && !on_relay(w.rec.c[0], &l.relay[0]),
            "relay cut from its players %d ms: one group elsewhere %ld ms after the cut "
            "(rejoin_after + stale %d, its slot and a delivery: %d)", ms, took, BLACK_HOLE_MS,
            BLACK_HOLE_MS + WATCH_SLOT_MS + DELIVERY_MS);
    w.rec.c[w.rec.n++] = player(&l.relay[2], "cut", "z"); /* a newcomer meanwhile */
    verdict("regroup", watch_until_one_group(&w, FLEET_WAIT_MS) >= 0 &&
            !on_relay(w.rec.c[2], &l.relay[0]), "a newcomer meets them");
    w.rec.c[w.rec.n++] = w.others[--w.n_others]; /* its join to relay 0 times out, then
                                                    it rejoins */
    took = watch_until_one_group(&w, ms - (int)(clock_now_ms() - cut));
    verdict("regroup", took >= 0 && !on_relay(early, &l.relay[0]),
            "a newcomer sent to the cut relay meets them %lld ms after the cut",
            took >= 0 ? (long long)(clock_now_ms() - cut) : -1LL);
    /* relay 0, reported lost, now has the fewest rooms: a new room's
     * first join is still placed where it gets in, not sent to relay 0
     * to wait out its join's timeout there */
    new_room_placed_elsewhere(&l, &w);
    while (clock_now_ms() - cut < (uint64_t)ms)
        watch_play(&w, 50);
    nemesis_heal(&l.n);
    watch_play(&w, 2 * TTL_MS);
    verdict("regroup", watch_until_one_group(&w, FLEET_WAIT_MS) >= 0, "one group after the "
            "heal");
    uint64_t split = watch_split_ms(&w, cut);
    verdict("split", split == 0, "the room on two relays %llu ms", (unsigned long long)split);
    fleet_close_clients(&w.rec);
    for (size_t i = 0; i < w.n_others; i++)
        ricochet_close(w.others[i]);
    cutlab_close(&l);
}

static void a_relay_cut_from_its_players_is_no_black_hole(void **state)
{
    (void)state;
    cut_from_players(cut_ms(20 * TTL_MS));
}

/* relay 0 cut from its players, who do not rejoin (an older client, or
 * none of its own): their sessions there are all dropped at once (timed
 * out, or closed as slow readers), and relay 0 tells the directory so; a
 * new room's first player is then placed where it gets in. */
static void a_relay_that_drops_all_its_players_tells_on_itself(void **state)
{
    (void)state;
    struct cutlab l;
    struct nemesis_watch w;
    cutlab_open(&l);
    watch_start(&w);
    other_rooms(&l, &w);
    for (int i = 0; i < 2; i++)
        w.rec.c[w.rec.n++] = fleet_client(&l.relay[0], "quiet", i ? "q" : "p",
                                          PROTO_MODE_RELIABLE, JOIN_TIMEOUT_MS, 0);
    assert_true(watch_until_one_group(&w, FLEET_WAIT_MS) >= 0);
    nemesis_cut(&l.n, NEMESIS_SET(NEMESIS_HUB), NEMESIS_SET(RELAY_NODE(0)), true);
    uint64_t cut = clock_now_ms(); /* once nft has it in */
    bool told = told_on_itself(&l, &w, 0, PROTO_TIMEOUT_MS + 10000);
    cutlab_logs(&l, !told);
    verdict("regroup", told, "the cut relay told the directory it dropped all its players, "
            "%lld ms after the cut", (long long)(clock_now_ms() - cut));
    new_room_placed_elsewhere(&l, &w);
    fleet_close_clients(&w.rec);
    for (size_t i = 0; i < w.n_others; i++)
        ricochet_close(w.others[i]);
    cutlab_close(&l);
}

/* Invariant 4's window: relay 0 cut from Redis and from one of its
 * players, x, at once. x reports it lost through relay 1 and the room is
 * taken over once relay 0 is stale, while relay 0 serves y and v until its
 * lease ends: two relays forward the room for its lease less stale, TTL
 * minus four heartbeats (RICOCHET_TTL_S sets the TTL, 5 s by default);
 * then relay 0 lets y and v go, and all meet again. */
static void invariant_4s_window(void)
{
    struct cutlab l;
    struct nemesis_watch w;
    const char *e = getenv("RICOCHET_TTL_S");
    int ttl_s = e && atoi(e) > 0 ? atoi(e) : WINDOW_TTL_S;
    int ttl_ms = ttl_s * 1000, hb_ms = ttl_ms / 10;
    cutlab_open_ttl(&l, ttl_s);
    struct ricochet *first = player(&l.relay[0], "cut", "w");
    struct harness_rec lone = {.c = {first}, .n = 1};
    assert_int_equal(harness_poll_until(lone.c, 1, FLEET_WAIT_MS, NULL, fleet_all_welcomed,
                                        &lone), 0);
    watch_start(&w);
    nemesis_enter(&l.n, FAR_NODE); /* x's links until it is in, from there */
    w.rec.c[0] = player(&l.relay[1], "cut", "x");
    struct harness_rec far = {.c = {w.rec.c[0]}, .n = 1};
    assert_int_equal(harness_poll_until(far.c, 1, FLEET_WAIT_MS, NULL, fleet_all_welcomed,
                                        &far), 0);
    nemesis_enter(&l.n, NEMESIS_HUB);
    w.rec.c[1] = player(&l.relay[1], "cut", "y");
    w.rec.c[2] = player(&l.relay[1], "cut", "v");
    w.rec.n = 3;
    assert_true(watch_until_one_group(&w, FLEET_WAIT_MS) >= 0);
    ricochet_close(first);
    nemesis_cut(&l.n, NEMESIS_SET(RELAY_NODE(0)),
                NEMESIS_SET(REDIS_NODE) | NEMESIS_SET(FAR_NODE), true);
    uint64_t cut = clock_now_ms(); /* once nft has it in */
    while (on_relay(w.rec.c[0], &l.relay[0]) || !ricochet_joined(w.rec.c[0]))
        watch_play(&w, 50);
    w.rec.c[w.rec.n++] = player(&l.relay[2], "cut", "z"); /* x's company there */
    long took = watch_until_one_group(&w, ttl_ms + REGROUP_MS);
    took = took < 0 ? -1 : (long)(clock_now_ms() - cut);
    uint64_t split = watch_split_ms(&w, cut);
    cutlab_logs(&l, took < 0);
    verdict("regroup", took >= 0, "invariant 4's window (TTL %d s): one group again %ld ms "
            "after the cut", ttl_s, took);
    /* the lease less stale, as slots of WATCH_SLOT_MS see it: one more at each end */
    verdict("split", split <= (uint64_t)(ttl_ms - 4 * hb_ms + 2 * WATCH_SLOT_MS),
            "invariant 4's window (TTL %d s): the room on two relays %llu ms (bound %d, "
            "and a slot of %d ms at each end; the old holder's lease %d)", ttl_s,
            (unsigned long long)split, ttl_ms - 4 * hb_ms, WATCH_SLOT_MS, ttl_ms - hb_ms);
    fleet_close_clients(&w.rec);
    cutlab_close(&l);
}

static void invariant_4s_window_is_bounded(void **state)
{
    (void)state;
    invariant_4s_window();
}

static void redis_cut_from_every_relay_then_healed(void **state)
{
    (void)state;
    redis_cut_from_every_relay(cut_ms(20 * TTL_MS)); /* a reliable hold of 256 states */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_nemesis_cuts_what_it_names),
        cmocka_unit_test(a_relay_cut_from_redis_for_twice_its_ttl_lets_its_players_go),
        cmocka_unit_test(the_same_for_twenty_times_its_ttl),
        cmocka_unit_test(the_same_when_only_redis_to_relay_is_cut),
        cmocka_unit_test(the_same_when_its_players_read_late),
        cmocka_unit_test(redis_cut_from_every_relay_then_healed),
        cmocka_unit_test(a_relay_cut_from_its_players_is_no_black_hole),
        cmocka_unit_test(a_relay_that_drops_all_its_players_tells_on_itself),
        cmocka_unit_test(invariant_4s_window_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
