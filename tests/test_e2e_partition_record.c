/* test_e2e_partition_record.c: a room's record (its owner, props, closed, a
 * `stay` kept event) that the fleet's directory can neither lose nor roll
 * back, Redis and the relays each in a network namespace of their own
 * (support/nemesis.h). Alice's room is on relay 0, Bob and the players in it, closed,
 * a flag kept, then her last change of its map. Three ways to lose it: a
 * failover under Sentinel with her change on the cut-off old primary only,
 * its holder then killed; Redis cut from every relay past the keep-out
 * (the records expire there) while sixteen players rejoin all along; Redis
 * restarted empty, its holder then killed. After each, every member is in
 * the room again (none refused its own room, none dropped inside its
 * rejoin window) and sees her last change, the kept event and the closed
 * state; a stranger is refused room_closed; she reopens it and a
 * latecomer sees the same. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/harness/redislab.h"
#include "tests/support/fleet_e2e.h"
#include "tests/support/nemesis.h"
#include "tests/support/seen.h"

#define RELAYS 3
#define JOIN_TIMEOUT_MS 5000     /* a player's join, at each relay it tries */
#define REJOIN_MS 60000          /* the players' rejoin window: longer than any cut */
#define BACK_MS 15000            /* every member in the room again after the move */
#define DOWN_MS 1000             /* the sentinels' down-after-milliseconds */
#define FAILOVER_MS 20000        /* a failover, at most */
#define KEEP_OUT_MS 15000        /* a record outlives its last renewal (3 TTLs, 15 s at
                                    least: proto/FLEET.md) */
#define ROOM_SIZE 24

/* Where things run: the hub holds the players; then Redis (one node, or a
 * primary, a replica and the sentinels), then the relays. */
enum { REDIS_NODE = 1, PRIMARY_NODE = 1, REPLICA_NODE = 2, SENTINEL_NODE = 3 };

struct reclab {
    struct nemesis n;
    bool sentinel;
    struct redisproc redis;      /* one Redis ... */
    struct redislab lab;         /* ... or a primary, its replica and three sentinels */
    struct redislab_net net;
    int relay_node;              /* relay i's node: relay_node + i */
    struct fleet_relay relay[RELAYS];
    bool killed[RELAYS];
    struct seen s;
    size_t alice, bob, players, n_players; /* the members: alice, bob, then n_players */
    char room[16], owner[64];
};

static int node_of(int proc)
{
    return proc == 0 ? PRIMARY_NODE : proc == 1 ? REPLICA_NODE : SENTINEL_NODE;
}

static void enter_proc(void *ctx, int proc)
{
    struct reclab *l = ctx;
    nemesis_enter(&l->n, proc < 0 ? NEMESIS_HUB : node_of(proc));
}

static void lab_open(struct reclab *l, bool sentinel)
{
    char why[512], url[256];
    /* every player comes from the hub's address */
    const char *const ttl[] = {"--directory-ttl", "1", "--max-per-address", "64", NULL};
    memset(l, 0, sizeof *l);
    l->sentinel = sentinel;
    l->relay_node = sentinel ? SENTINEL_NODE + 1 : REDIS_NODE + 1;
    if (nemesis_open(&l->n, l->relay_node + RELAYS, why, sizeof why) != 0) {
        fprintf(stderr, "skipped: %s\n", why);
        skip();
    }
    if (sentinel) {
        l->net = (struct redislab_net){.enter = enter_proc, .ctx = l};
        for (int p = 0; p < REDISLAB_PROCS; p++)
            snprintf(l->net.addr[p], sizeof l->net.addr[p], "%s",
                     nemesis_addr(&l->n, node_of(p)));
        if (redislab_start_with(&l->lab, DOWN_MS, &l->net, 1, 0, why, sizeof why) != 0)
            fail_msg("%s", why);
        snprintf(url, sizeof url, "%s", l->lab.url);
    } else {
        nemesis_redis(&l->n, REDIS_NODE, &l->redis, url, sizeof url);
    }
    for (int i = 0; i < RELAYS; i++)
        nemesis_relay(&l->n, l->relay_node + i, &l->relay[i], url, ttl);
}

static void lab_close(struct reclab *l)
{
    nemesis_heal(&l->n);
    for (size_t i = 0; i < l->s.n; i++)
        if (l->s.c[i])
            ricochet_close(l->s.c[i]);
    for (int i = 0; i < RELAYS; i++) {
        if (getenv("RICOCHET_RELAY_LOGS")) {
            char *log = spawn_read_stderr(&l->relay[i].p);
            fprintf(stderr, "---- relay %d (%s:%u)\n%s", i, l->relay[i].host,
                    (unsigned)l->relay[i].port, log ? log : "");
            free(log);
        }
        if (!l->killed[i])
            free(fleet_relay_finish(&l->relay[i]));
    }
    if (l->sentinel)
        redislab_stop(&l->lab);
    else
        redisproc_stop(&l->redis);
    nemesis_close(&l->n);
}

/* verb key (field, if not NULL) to Redis, from its namespace: node is
 * the lab's node asked (-1: the one the sentinels name now); its reply as
 * text into out. */
static void ask_redis(struct reclab *l, int node, char *out, size_t cap, const char *verb,
                      const char *key, const char *field)
{
    const struct redisproc *r = &l->redis;
    int at = REDIS_NODE;
    if (l->sentinel) {
        int p = node >= 0 ? node : redislab_primary(&l->lab);
        assert_true(p >= 0);
        r = &l->lab.node[p];
        at = node_of(p);
    }
    nemesis_enter(&l->n, at);
    if (field)
        test_redis_cmd(r, out, cap, "%s %s %s", verb, key, field);
    else
        test_redis_cmd(r, out, cap, "%s %s", verb, key);
    nemesis_enter(&l->n, NEMESIS_HUB);
}

/* Until the room's record on node (as ask_redis's) holds want, polling
 * everyone meanwhile. */
static void until_record(struct reclab *l, int node, const char *want)
{
    char out[8192];
    for (uint64_t end = clock_now_ms() + FLEET_WAIT_MS; clock_now_ms() < end;) {
        char key[64];
        snprintf(key, sizeof key, "ricochet:keep:%s", l->room);
        ask_redis(l, node, out, sizeof out, "GET", key, NULL);
        if (strstr(out, want))
            return;
        seen_pump(&l->s, 50);
    }
    fail_msg("the record of %s: '%.300s', not holding '%s'", l->room, out, want);
}

static size_t add(struct reclab *l, const struct fleet_relay *via, const char *name,
                  const struct client_room_ask *ask, uint32_t rejoin_ms)
{
    return seen_add(&l->s, &(struct client_config){.host = via->host, .port = via->port,
                                                   .room = l->room, .name = name,
                                                   .mode = PROTO_MODE_RELIABLE,
                                                   .timeout_ms = JOIN_TIMEOUT_MS,
                                                   .rejoin_ms = rejoin_ms, .room_ask = ask});
}

static bool on_relay(struct ricochet *c, const struct fleet_relay *r)
{
    return strcmp(ricochet_relay_host(c), r->host) == 0 && ricochet_relay_port(c) == r->port;
}

static bool is_member(const struct reclab *l, size_t i)
{
    return i == l->alice || i == l->bob || (i >= l->players && i < l->players + l->n_players);
}

/* Polls until client i was told the room is open (or not). */
static void until_open(struct reclab *l, size_t i, bool open)
{
    for (uint64_t end = clock_now_ms() + FLEET_WAIT_MS; clock_now_ms() < end;) {
        seen_poll(&l->s, ~0u);
        if (ricochet_room_open(l->s.c[i]) == open)
            return;
        clock_sleep_ms(5);
    }
    fail_msg("client %zu not told the room is %s", i, open ? "open" : "closed");
}

/* The room's map as client i was last told it. */
static const char *map_of(struct reclab *l, size_t i)
{
    static struct ricochet_prop props[4];
    size_t n = ricochet_room_props(l->s.c[i], props, 4);
    return n == 1 && strcmp(props[0].key, "map") == 0 ? props[0].value : "(none)";
}

/* Alice's room on relay 0 (she, Bob and n_players players in it, all
 * entering and rejoining through relay 1), closed, a flag kept: the record
 * the directory holds. Its first member joined relay 0 itself (the room
 * placed there) and left it to her, the longest in it. */
static void room_made(struct reclab *l, size_t n_players)
{
    snprintf(l->room, sizeof l->room, "rec");
    struct client_room_ask ask = {.size = ROOM_SIZE};
    assert_int_equal(proto_props_add(&ask.props, "props", "map", "arena", NULL, 0), 0);
    size_t first = add(l, &l->relay[0], "first", &ask, 0);
    seen_until_settled(&l->s, first, FLEET_WAIT_MS);
    l->alice = add(l, &l->relay[1], "alice", NULL, REJOIN_MS);
    seen_until_settled(&l->s, l->alice, FLEET_WAIT_MS);
    ricochet_close(l->s.c[first]);
    l->s.c[first] = NULL;
    struct ricochet *a = l->s.c[l->alice];
    for (uint64_t end = clock_now_ms() + FLEET_WAIT_MS; !ricochet_room_mine(a);) {
        assert_true(clock_now_ms() < end);
        seen_pump(&l->s, 10);
    }
    snprintf(l->owner, sizeof l->owner, "%s", ricochet_player(a, ricochet_id(a)));
    l->bob = add(l, &l->relay[1], "bob", NULL, REJOIN_MS);
    l->players = l->s.n;
    l->n_players = n_players;
    for (size_t i = 0; i < n_players; i++) {
        char name[24];
        snprintf(name, sizeof name, "p%zu", i);
        add(l, &l->relay[1], name, NULL, REJOIN_MS);
    }
    for (size_t i = l->alice; i < l->s.n; i++) {
        seen_until_settled(&l->s, i, FLEET_WAIT_MS);
        assert_false(l->s.gone[i]);
        assert_true(on_relay(l->s.c[i], &l->relay[0]));
    }
    assert_int_equal(ricochet_set_room_open(a, false), RICOCHET_OK);
    assert_int_equal(ricochet_send_kept(a, "flag", "red", 3, RICOCHET_KEEP_STAY), RICOCHET_OK);
    until_open(l, l->bob, false);
    until_record(l, -1, "\"open\":false");
    until_record(l, -1, "\"kept\":\"A");
}

/* Alice's last change: the map is dune now, Bob told so. */
static void last_change(struct reclab *l)
{
    struct ricochet_prop map = {.key = "map", .value = "dune"};
    assert_int_equal(ricochet_set_room_props(l->s.c[l->alice], &map, 1), RICOCHET_OK);
    for (uint64_t end = clock_now_ms() + FLEET_WAIT_MS; strcmp(map_of(l, l->bob), "dune");) {
        assert_true(clock_now_ms() < end);
        seen_pump(&l->s, 10);
    }
}

/* Forgets what each member was told of kept events: what they see next
 * is replayed on their next relay. */
static void forget_kept(struct reclab *l)
{
    for (size_t i = 0; i < l->s.n; i++)
        l->s.kept[i][0] = '\0';
}

/* Polls until every member is in the room again, all on one relay other
 * than off; fails if any ends (dropped, or refused its own room). Returns
 * the relay they are on. */
static const struct fleet_relay *until_back(struct reclab *l, const struct fleet_relay *off,
                                            int ms)
{
    for (uint64_t end = clock_now_ms() + (uint64_t)ms;;) {
        seen_poll(&l->s, ~0u);
        const struct fleet_relay *at = NULL;
        for (int r = 0; r < RELAYS; r++)
            if (&l->relay[r] != off && on_relay(l->s.c[l->alice], &l->relay[r]))
                at = &l->relay[r];
        size_t in = 0;
        for (size_t i = 0; i < l->s.n; i++) {
            if (is_member(l, i) && l->s.gone[i])
                fail_msg("member %zu ended (%s): refused its own room, or dropped", i,
                         l->s.code[i]);
            in += is_member(l, i) && at && ricochet_joined(l->s.c[i]) &&
                  on_relay(l->s.c[i], at);
        }
        if (in == 2 + l->n_players)
            return at;
        if (clock_now_ms() > end)
            fail_msg("%zu of %zu members in the room again off relay %s:%u", in,
                     2 + l->n_players, off->host, (unsigned)off->port);
        clock_sleep_ms(5);
    }
}

/* After the move, on relay now: each member sees Alice's room as she
 * last made it (her player its owner, map dune, closed) and its kept
 * flag; she owns it; a stranger is refused; she reopens it, and a
 * latecomer sees the same. */
static void room_is_whole(struct reclab *l, const struct fleet_relay *now)
{
    seen_pump(&l->s, 500); /* the kept events replayed after each welcome */
    for (size_t i = 0; i < l->s.n; i++) {
        if (!is_member(l, i))
            continue;
        if (strcmp(ricochet_room_owner(l->s.c[i]), l->owner) != 0 ||
            strcmp(map_of(l, i), "dune") != 0 || ricochet_room_open(l->s.c[i]) ||
            strcmp(l->s.kept[i], "flag=red") != 0)
            fail_msg("member %zu sees the room owned by '%s', map %s, %s, kept '%s' (Alice's: "
                     "'%s', dune, closed, flag=red)", i, ricochet_room_owner(l->s.c[i]),
                     map_of(l, i), ricochet_room_open(l->s.c[i]) ? "open" : "closed",
                     l->s.kept[i], l->owner);
    }
    assert_true(ricochet_room_mine(l->s.c[l->alice]));
    size_t mallory = add(l, &l->relay[2], "mallory", NULL, 0);
    seen_until_settled(&l->s, mallory, FLEET_WAIT_MS);
    assert_true(l->s.gone[mallory]);
    assert_string_equal(l->s.code[mallory], "room_closed");
    assert_int_equal(ricochet_set_room_open(l->s.c[l->alice], true), RICOCHET_OK);
    until_open(l, l->bob, true);
    size_t carol = add(l, &l->relay[2], "carol", NULL, 0);
    seen_until_settled(&l->s, carol, FLEET_WAIT_MS);
    assert_false(l->s.gone[carol]);
    assert_true(on_relay(l->s.c[carol], now));
    seen_pump(&l->s, 300);
    assert_string_equal(l->s.kept[carol], "flag=red");
    assert_string_equal(map_of(l, carol), "dune");
    assert_string_equal(ricochet_room_owner(l->s.c[carol]), l->owner);
}

static void kill_relay(struct reclab *l, int i)
{
    spawn_stop(&l->relay[i].p, SIGKILL, 2000);
    l->killed[i] = true;
}

/* Until relay i has beaten on the Redis the sentinels name now, and a
 * heartbeat more. */
static void until_beats_there(struct reclab *l, int i)
{
    char out[64] = "", key[64];
    snprintf(key, sizeof key, "ricochet:relay:%s:%u", l->relay[i].host,
             (unsigned)l->relay[i].port);
    for (uint64_t end = clock_now_ms() + FLEET_WAIT_MS; clock_now_ms() < end;) {
        ask_redis(l, -1, out, sizeof out, "HGET", key, "beat");
        if (strcmp(out, "(nil)") != 0 && out[0]) {
            seen_pump(&l->s, 300);
            return;
        }
        seen_pump(&l->s, 50);
    }
    fail_msg("relay %d never beat on the new primary", i);
}

/* The primary is cut from its replica and the sentinels (the relays still
 * reach both sides); Alice's last change reaches the old primary only; the
 * sentinels promote the replica and every relay follows them there; the
 * old primary comes back as a replica (what it alone had is gone); then
 * the room's holder is killed and its members rejoin elsewhere. */
static void an_owners_change_outlives_a_failover(void **state)
{
    (void)state;
    struct reclab l;
    lab_open(&l, true);
    room_made(&l, 0);
    nemesis_cut(&l.n, NEMESIS_SET(PRIMARY_NODE),
                NEMESIS_SET(REPLICA_NODE) | NEMESIS_SET(SENTINEL_NODE), true);
    uint64_t cut = clock_now_ms();
    last_change(&l);
    until_record(&l, 0, "dune"); /* on the old primary, not on its replica */
    char out[8192], key[64];
    snprintf(key, sizeof key, "ricochet:keep:%s", l.room);
    ask_redis(&l, 1, out, sizeof out, "GET", key, NULL);
    assert_null(strstr(out, "dune"));
    while (redislab_primary(&l.lab) != 1) {
        assert_true(clock_now_ms() - cut < FAILOVER_MS);
        seen_pump(&l.s, 100);
    }
    until_beats_there(&l, 0);
    nemesis_heal(&l.n);
    forget_kept(&l);
    kill_relay(&l, 0);
    room_is_whole(&l, until_back(&l, &l.relay[0], BACK_MS));
    lab_close(&l);
}

/* Redis is cut from every relay for longer than a record outlives its
 * last renewal: every room is let go at its lease's end, and its players
 * rejoin (refused directory_unavailable) all along; after the heal they
 * are all in it again, as it was. */
static void a_directory_outage_past_the_keep_out_keeps_the_room(void **state)
{
    (void)state;
    struct reclab l;
    lab_open(&l, false);
    room_made(&l, 16);
    last_change(&l);
    until_record(&l, -1, "dune");
    uint32_t relays = 0;
    for (int i = 0; i < RELAYS; i++)
        relays |= NEMESIS_SET(l.relay_node + i);
    nemesis_cut(&l.n, NEMESIS_SET(REDIS_NODE), relays, true);
    uint64_t cut = clock_now_ms();
    forget_kept(&l);
    while (clock_now_ms() - cut < KEEP_OUT_MS + 2000) {
        seen_pump(&l.s, 100);
        for (size_t i = 0; i < l.s.n; i++)
            if (is_member(&l, i) && l.s.gone[i])
                fail_msg("member %zu dropped %llu ms into the outage (%s), inside its "
                         "rejoin window", i, (unsigned long long)(clock_now_ms() - cut),
                         l.s.code[i]);
    }
    char out[64], key[64];
    snprintf(key, sizeof key, "ricochet:keep:%s", l.room);
    ask_redis(&l, -1, out, sizeof out, "EXISTS", key, NULL);
    assert_string_equal(out, "0"); /* expired: only the relays have it now */
    nemesis_heal(&l.n);
    uint64_t healed = clock_now_ms();
    const struct fleet_relay *now = until_back(&l, &l.relay[0], BACK_MS);
    fprintf(stderr, "all %zu members in the room again %llu ms after the heal\n",
            2 + l.n_players, (unsigned long long)(clock_now_ms() - healed));
    room_is_whole(&l, now);
    lab_close(&l);
}

/* Redis restarts empty (no persistence): the relays write their claims
 * and entries again; then the room's holder is killed and its members
 * rejoin elsewhere. */
static void an_empty_redis_gets_the_rooms_back(void **state)
{
    (void)state;
    struct reclab l;
    lab_open(&l, false);
    room_made(&l, 0);
    last_change(&l);
    until_record(&l, -1, "dune");
    nemesis_enter(&l.n, REDIS_NODE);
    test_redis_stop(&l.redis);
    test_redis_restart(&l.redis);
    nemesis_enter(&l.n, NEMESIS_HUB);
    char out[256] = "", key[64];
    snprintf(key, sizeof key, "ricochet:room:%s", l.room);
    for (uint64_t end = clock_now_ms() + FLEET_WAIT_MS; !strstr(out, l.relay[0].host);) {
        assert_true(clock_now_ms() < end);
        seen_pump(&l.s, 50);
        ask_redis(&l, -1, out, sizeof out, "GET", key, NULL);
    }
    seen_pump(&l.s, 1000); /* a heartbeat or more on the empty Redis */
    forget_kept(&l);
    kill_relay(&l, 0);
    room_is_whole(&l, until_back(&l, &l.relay[0], BACK_MS));
    lab_close(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_owners_change_outlives_a_failover),
        cmocka_unit_test(a_directory_outage_past_the_keep_out_keeps_the_room),
        cmocka_unit_test(an_empty_redis_gets_the_rooms_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
