/* test_e2e_partition_sentinel.c: the fleet's directory under Redis Sentinel
 * cut apart by the nemesis (support/nemesis.h): the primary, its replica,
 * three sentinels (lab/harness/redislab.h, spread over the nodes) and three
 * relays each in a network namespace of their own, the players in the
 * hub. The primary and the relay holding a room are cut from the replica,
 * the sentinels and the other relays while the room plays; the sentinels
 * promote the replica and newcomers start the room on another relay. At
 * no moment do two relays forward the room for longer than one lease, and
 * never after the heal (proto/FLEET.md, invariants 1 and 4); the cut relay
 * logs that it lost its directory. Then the same cut with the relay still
 * hearing the sentinels: the same bounds, and its log says it followed
 * them off the old primary. Then the setup proto/FLEET.md recommends when
 * Redis must refuse writes no replica took: two replicas and
 * min-replicas-to-write 1, the same cut, newcomers getting in on the
 * promoted replica. Checked from what the players received
 * through which relay (support/nemesis_watch.h). RICOCHET_CUT_MS sets the
 * cuts' lengths and RICOCHET_TTL_S the relays' TTL, and each check is
 * said "partitions: split|regroup held|broken: ..." (the partitions
 * soak). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/harness/redislab.h"
#include "tests/support/fleet_e2e.h"
#include "tests/support/nemesis.h"
#include "tests/support/nemesis_watch.h"

#define PRIMARY_NODE 1
#define REPLICA_NODE 2
#define SENTINEL_NODE 3          /* the three sentinels, on ports of their own */
#define RELAYS 3
#define RELAY_NODE(i) (4 + (i))
#define REPLICA2_NODE (4 + RELAYS) /* a second replica, when asked for */
#define NODES (5 + RELAYS)
#define DOWN_MS 1000             /* the sentinels' down-after-milliseconds */
#define FAILOVER_MS 20000        /* a failover, at most */
#define REJOIN_MS 60000          /* the players' rejoin window: longer than any cut */

struct sentlab {
    struct nemesis n;
    struct redislab_net net;
    struct redislab lab;
    struct fleet_relay relay[RELAYS];
    int ttl_ms;
};

/* The node of lab process proc (the Redis nodes, then the sentinels). */
static int node_of(int proc)
{
    static const int nodes[REDISLAB_NODES] = {PRIMARY_NODE, REPLICA_NODE, REPLICA2_NODE};
    return proc < REDISLAB_NODES ? nodes[proc] : SENTINEL_NODE;
}

/* The node where lab process proc runs (lab/harness/redislab.h's order). */
static void enter_proc(void *ctx, int proc)
{
    struct sentlab *l = ctx;
    nemesis_enter(&l->n, proc < 0 ? NEMESIS_HUB : node_of(proc));
}

/* The lab with replicas replicas, each node with min-replicas-to-write
 * min_replicas (0: none). */
static void sentlab_open(struct sentlab *l, int ttl_s, int replicas, int min_replicas)
{
    char why[512], ttl[8];
    if (nemesis_open(&l->n, NODES, why, sizeof why) != 0) {
        fprintf(stderr, "skipped: %s\n", why);
        skip();
    }
    l->ttl_ms = ttl_s * 1000;
    l->net = (struct redislab_net){.enter = enter_proc, .ctx = l};
    for (int p = 0; p < REDISLAB_PROCS; p++)
        snprintf(l->net.addr[p], sizeof l->net.addr[p], "%s", nemesis_addr(&l->n, node_of(p)));
    if (redislab_start_with(&l->lab, DOWN_MS, &l->net, replicas, min_replicas, why,
                            sizeof why) != 0)
        fail_msg("%s", why);
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *const extra[] = {"--directory-ttl", ttl, NULL};
    for (int i = 0; i < RELAYS; i++)
        nemesis_relay(&l->n, RELAY_NODE(i), &l->relay[i], l->lab.url, extra);
}

/* Relay i's log so far (the caller frees it). */
static char *relay_log(struct sentlab *l, int i)
{
    char *log = spawn_read_stderr(&l->relay[i].p);
    assert_non_null(log);
    return log;
}

static void sentlab_close(struct sentlab *l)
{
    nemesis_heal(&l->n);
    for (int i = 0; i < RELAYS; i++) {
        if (getenv("RICOCHET_RELAY_LOGS")) {
            char *log = relay_log(l, i);
            fprintf(stderr, "---- relay %d (%s:%u)\n%s", i, l->relay[i].host,
                    (unsigned)l->relay[i].port, log);
            free(log);
        }
        free(fleet_relay_finish(&l->relay[i]));
    }
    redislab_stop(&l->lab);
    nemesis_close(&l->n);
}

/* An environment variable's positive value, else def. */
static int env_or(const char *name, int def)
{
    const char *e = getenv(name);
    return e && atoi(e) > 0 ? atoi(e) : def;
}

static struct ricochet *player(const struct fleet_relay *via, const char *name)
{
    return fleet_client(via, "b", name, PROTO_MODE_UNSEQUENCED, 5000, REJOIN_MS);
}

static bool on_relay(struct ricochet *c, const struct fleet_relay *r)
{
    return strcmp(ricochet_relay_host(c), r->host) == 0 && ricochet_relay_port(c) == r->port;
}

/* Room "b" on relay 0, its players x and y entering through relay 1. */
static void room_on_relay0(struct sentlab *l, struct nemesis_watch *w)
{
    struct ricochet *first = player(&l->relay[0], "w"); /* places it on relay 0 */
    struct harness_rec lone = {.c = {first}, .n = 1};
    assert_int_equal(harness_poll_until(lone.c, 1, FLEET_WAIT_MS, NULL, fleet_all_welcomed,
                                        &lone), 0);
    watch_start(w);
    w->rec.c[0] = player(&l->relay[1], "x");
    w->rec.c[1] = player(&l->relay[1], "y");
    w->rec.n = 2;
    assert_true(watch_until_one_group(w, FLEET_WAIT_MS) >= 0);
    ricochet_close(first);
    assert_true(on_relay(w->rec.c[0], &l->relay[0]));
    watch_play(w, 3 * l->ttl_ms / 10); /* heartbeats: the claim is on the replica too */
}

/* A newcomer of room "b" through via, playing the watch until it is
 * welcomed: a first join refused while the fleet follows the failover
 * (directory_unavailable) is made again. */
static void newcomer(struct nemesis_watch *w, const struct fleet_relay *via, const char *name)
{
    uint64_t end = clock_now_ms() + FLEET_WAIT_MS;
    for (;;) {
        struct ricochet *c = player(via, name);
        w->rec.c[w->rec.n++] = c;
        for (uint64_t t = clock_now_ms() + 3000; !ricochet_joined(c) && clock_now_ms() < t;)
            watch_play(w, 50);
        if (ricochet_joined(c))
            return;
        w->rec.c[--w->rec.n] = NULL;
        ricochet_close(c);
        assert_true(clock_now_ms() < end);
    }
}

/* Plays until the sentinels name a replica; returns when (ms). */
static uint64_t play_until_failover(struct sentlab *l, struct nemesis_watch *w, uint64_t cut)
{
    while (redislab_primary(&l->lab) <= 0) { /* none answers (-1), or the old one (0) */
        assert_true(clock_now_ms() - cut < FAILOVER_MS);
        watch_play(w, 100);
    }
    return clock_now_ms();
}

/* The directory's setup: its replicas and each node's min-replicas-to-write. */
struct setup {
    int replicas, min_replicas;
};

/* Directory calls the relays' logs say Redis refused for want of replicas. */
static int refused_writes(struct sentlab *l)
{
    int n = 0;
    for (int i = 0; i < RELAYS; i++) {
        char *log = relay_log(l, i);
        for (const char *at = log; (at = strstr(at, "NOREPLICAS")); at++)
            n++;
        free(log);
    }
    return n;
}

/* The primary and relay 0 cut (both ways) from the replicas and the other
 * relays, and from the sentinels unless relay 0 hears them; newcomers z1
 * and z2 enter through relay 2 once the room's claim has expired on the
 * replica. Returns relay 0's log (the caller frees it). */
static char *primary_cut(int ttl_s, bool hears_sentinels, struct setup set)
{
    struct sentlab l;
    struct nemesis_watch w;
    sentlab_open(&l, ttl_s, set.replicas, set.min_replicas);
    room_on_relay0(&l, &w);
    int lease = l.ttl_ms - l.ttl_ms / 10;
    int length = env_or("RICOCHET_CUT_MS", 6 * l.ttl_ms + FAILOVER_MS / 4);

    uint32_t side = NEMESIS_SET(PRIMARY_NODE) | NEMESIS_SET(RELAY_NODE(0));
    uint32_t rest = NEMESIS_SET(REPLICA_NODE) | NEMESIS_SET(REPLICA2_NODE) |
                    NEMESIS_SET(RELAY_NODE(1)) | NEMESIS_SET(RELAY_NODE(2));
    uint64_t cut = clock_now_ms();
    nemesis_cut(&l.n, side, rest, true);
    nemesis_cut(&l.n, hears_sentinels ? NEMESIS_SET(PRIMARY_NODE) : side,
                NEMESIS_SET(SENTINEL_NODE), true);
    uint64_t failover = play_until_failover(&l, &w, cut);
    while (clock_now_ms() < cut + (uint64_t)l.ttl_ms)
        watch_play(&w, 50);
    newcomer(&w, &l.relay[2], "z1");
    uint64_t newcomer_in = clock_now_ms();
    newcomer(&w, &l.relay[2], "z2");
    while (clock_now_ms() < cut + (uint64_t)length)
        watch_play(&w, 50);
    uint64_t split = watch_split_ms(&w, cut), healed = clock_now_ms();
    nemesis_heal(&l.n);
    watch_play(&w, 3 * l.ttl_ms);
    long together = watch_until_one_group(&w, FLEET_WAIT_MS);
    uint64_t after = watch_split_ms(&w, healed);
    fprintf(stderr, "ttl %d s%s, %d replica(s), min-replicas-to-write %d: failover %llu ms "
            "after the cut; a newcomer in %llu ms after the cut; room on two relays %llu ms "
            "during the cut (lease %d ms), %llu ms after the heal; one group %ld ms after; "
            "%d directory calls refused NOREPLICAS\n",
            ttl_s, hears_sentinels ? ", relay hearing the sentinels" : "", set.replicas,
            set.min_replicas, (unsigned long long)(failover - cut),
            (unsigned long long)(newcomer_in - cut), (unsigned long long)split, lease,
            (unsigned long long)after, together, refused_writes(&l));
    char *log = relay_log(&l, 0);
    fleet_close_clients(&w.rec);
    sentlab_close(&l);
    /* said as the partitions soak counts its checks (tests/partitions.sh) */
    bool split_held = split <= (uint64_t)lease && after == 0;
    fprintf(stderr, "partitions: split %s: %llu ms during the cut (bound %d), %llu after\n",
            split_held ? "held" : "broken", (unsigned long long)split, lease,
            (unsigned long long)after);
    fprintf(stderr, "partitions: regroup %s: one group %ld ms after the heal\n",
            together >= 0 ? "held" : "broken", together);
    assert_true(split_held);
    assert_true(together >= 0);
    return log;
}

/* Cut from the sentinels too: the relay finds its directory unreachable. */
static void cut_with_its_primary(int ttl_s, struct setup set)
{
    char *log = primary_cut(ttl_s, false, set);
    bool said = strstr(log, "directory unreachable") != NULL;
    free(log);
    assert_true(said);
}

static void a_relay_cut_with_its_primary_serves_no_room_beside_another(void **state)
{
    (void)state;
    cut_with_its_primary(env_or("RICOCHET_TTL_S", 1), (struct setup){1, 0});
}

static void the_same_with_a_longer_lease(void **state)
{
    (void)state;
    cut_with_its_primary(env_or("RICOCHET_TTL_S", 1) + 2, (struct setup){1, 0});
}

/* The setup that also has Redis refuse writes no replica took
 * (min-replicas-to-write 1) needs two replicas: the promoted one keeps one
 * and takes the fleet's writes (with one, it refuses them all until the
 * heal, and newcomers never get in). RICOCHET_REPLICAS sets the count. */
static void the_recommended_setup_survives_a_partition_of_its_primary(void **state)
{
    (void)state;
    cut_with_its_primary(env_or("RICOCHET_TTL_S", 1),
                         (struct setup){env_or("RICOCHET_REPLICAS", 2), 1});
}

/* Hearing the sentinels, the relay drops the old primary when they name
 * the new one (their message, or its next heartbeat's question). */
static void a_relay_hearing_the_sentinels_follows_the_failover(void **state)
{
    (void)state;
    char *log = primary_cut(env_or("RICOCHET_TTL_S", 1), true, (struct setup){1, 0});
    bool followed = strstr(log, "the sentinels switched") || strstr(log, "the sentinels name");
    free(log);
    assert_true(followed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_relay_cut_with_its_primary_serves_no_room_beside_another),
        cmocka_unit_test(the_same_with_a_longer_lease),
        cmocka_unit_test(a_relay_hearing_the_sentinels_follows_the_failover),
        cmocka_unit_test(the_recommended_setup_survives_a_partition_of_its_primary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
