/* test_e2e_failover: a fleet's relays losing and taking rooms, against a
 * real redis-server each test starts: a killed relay's room back on
 * another within seconds, long before its registration expires (its
 * clients report it lost, the directory finds it stale), over ENet and
 * plain UDP; a relay paused (SIGSTOP) past its lease while another takes
 * its room sends not one state of that room once it resumes, also with
 * its two clocks (CLOCK_MONOTONIC, CLOCK_BOOTTIME) hours apart in a time
 * namespace; relays following their directory's Redis through a Sentinel
 * failover, the room that exists flowing all along; ricochet-bot
 * --rejoin-ms's bots outliving the relay that held their room; the
 * players of a killed relay's room keeping their keys and player ids
 * through the move, each seeing the other REJOINED; a lobby that stays,
 * its relay killed, told so (MOVED, rejoin) and watching the fleet's rooms
 * through the next relay it was given within its rejoin window, hearing of
 * a room made after. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/harness/redislab.h"
#include "tests/support/fleet_e2e.h"

#define NS_BOOTTIME_S 10800 /* a relay's CLOCK_BOOTTIME 3 h ahead of its monotonic clock */

/* States y has from anyone. */
static uint64_t states_seen(const struct harness_rec *rec, size_t i)
{
    uint64_t n = rec->states_bad_id[i];
    for (size_t id = 0; id < HARNESS_MAX_IDS; id++)
        n += rec->states[i][id];
    return n;
}

/* Every client sends a state, then all are polled for ms. */
static void send_and_poll(struct harness_rec *rec, size_t n, int ms)
{
    for (size_t i = 0; i < n; i++) {
        struct ricochet_state s = {.x = 1, .y = 2};
        ricochet_send_state(rec->c[i], &s);
    }
    harness_poll_for(rec->c, rec->n, ms, harness_rec_event, rec);
}

static bool both_rejoined(void *ctx)
{
    struct harness_rec *r = ctx;
    return r->moved[0] >= 2 && r->moved[1] >= 2 && fleet_all_welcomed(ctx);
}

/* w's join places the room on a; x and y join through b (sent on to a),
 * rejoining a lost relay through b. a is killed: x and y hear nothing from
 * it for their rejoin_after (1.5 s), join again through b saying so, and
 * the directory gives the room to a live relay once a's heartbeats have
 * stopped for three periods (3 s with the TTL of 10 s), while a is still
 * registered. */
static void killed_relay(enum proto_mode mode)
{
    struct redisproc redis;
    test_redis_start(&redis);
    const char *const ttl[] = {"--directory-ttl", "10",
                               mode == PROTO_MODE_UDP ? "--transport=udp" : NULL, NULL};
    struct fleet_relay a, b;
    fleet_start_relay(&a, redis.url, ttl);
    fleet_start_relay(&b, redis.url, ttl);
    struct harness_rec first = {.n = 1};
    first.c[0] = fleet_client(&a, "room", "w", mode, 5000, 0);
    assert_int_equal(harness_poll_until(first.c, 1, FLEET_WAIT_MS, harness_rec_event,
                                        fleet_all_welcomed, &first), 0);
    struct harness_rec rec = {.n = 2};
    rec.c[0] = fleet_client(&b, "room", "x", mode, 5000, 20000);
    rec.c[1] = fleet_client(&b, "room", "y", mode, 5000, 20000);
    fleet_until_all_see_all(&rec, FLEET_WAIT_MS);
    assert_int_equal(ricochet_relay_port(rec.c[0]), a.port);
    harness_poll_for(rec.c, rec.n, 1200, harness_rec_event, &rec); /* a heartbeat or so */
    char keys[2][40], players[2][20];
    for (size_t i = 0; i < 2; i++) {
        snprintf(keys[i], sizeof keys[i], "%s", ricochet_key(rec.c[i]));
        snprintf(players[i], sizeof players[i], "%s", ricochet_player(rec.c[i], 0));
        assert_int_equal(strlen(keys[i]), 32);
    }

    spawn_stop(&a.p, SIGKILL, 2000);
    uint64_t killed = clock_now_ms();
    for (uint64_t end = killed + FLEET_WAIT_MS; !both_rejoined(&rec);) {
        assert_true(clock_now_ms() < end);
        send_and_poll(&rec, 2, 20);
    }
    uint64_t back = clock_now_ms() - killed;
    char key[96], out[32];
    snprintf(key, sizeof key, "ricochet:relay:127.0.0.1:%u", (unsigned)a.port);
    test_redis_cmd(&redis, out, sizeof out, "EXISTS %s", key);
    print_message("%s: both back in %llu ms, a still registered: %s\n",
                  proto_mode_name(mode), (unsigned long long)back, out);
    assert_string_equal(out, "1"); /* not the TTL: the report and a's stale heartbeats */
    fleet_until_all_see_all(&rec, FLEET_WAIT_MS);
    for (uint64_t end = clock_now_ms() + FLEET_WAIT_MS; !rec.rejoined[0] || !rec.rejoined[1];) {
        assert_true(clock_now_ms() < end);
        send_and_poll(&rec, 2, 20);
    }
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(ricochet_relay_port(rec.c[i]), b.port);
        /* the same players: the keys the dead relay drew, taken by b */
        assert_string_equal(ricochet_key(rec.c[i]), keys[i]);
        assert_string_equal(ricochet_player(rec.c[i], ricochet_id(rec.c[1 - i])), players[1 - i]);
    }
    assert_true(fleet_relay_stat(&b, "parked") >= 1);
    fleet_close_clients(&rec);
    fleet_close_clients(&first);
    spawn_free(&a.p);
    free(fleet_relay_finish(&b));
    test_redis_stop(&redis);
}

static void a_killed_relays_room_is_back_within_seconds(void **state)
{
    (void)state;
    killed_relay(PROTO_MODE_RELIABLE);
}

static void the_same_over_plain_udp(void **state)
{
    (void)state;
    killed_relay(PROTO_MODE_UDP);
}

static bool both_moved(void *ctx)
{
    struct harness_rec *r = ctx;
    return r->moved[0] >= 1 && r->moved[1] >= 1 && fleet_all_welcomed(ctx);
}

/* x and y in a room on a, sending all along; a is stopped past the TTL and
 * z, joining through b, takes the room there. When a resumes, the states
 * x and y sent meanwhile wait in its socket: not one leaves a (its lease
 * ran out while it was stopped), and its first heartbeat sends x and y on
 * to b. */
static void paused_relay(bool in_namespace)
{
    struct redisproc redis;
    test_redis_start(&redis);
    struct fleet_relay a, b;
    if (in_namespace) {
        fleet_start_relay_ns(&a, redis.url, NULL, NS_BOOTTIME_S);
        fleet_start_relay_ns(&b, redis.url, NULL, NS_BOOTTIME_S);
    } else {
        fleet_start_relay(&a, redis.url, NULL);
        fleet_start_relay(&b, redis.url, NULL);
    }
    struct harness_rec rec = {.n = 2};
    /* A long timeout: x and y stay connected to a through its pause. */
    rec.c[0] = fleet_client(&a, "paused", "x", PROTO_MODE_UNSEQUENCED, 20000, 0);
    rec.c[1] = fleet_client(&a, "paused", "y", PROTO_MODE_UNSEQUENCED, 20000, 0);
    fleet_until_all_see_all(&rec, FLEET_WAIT_MS);
    assert_int_equal(ricochet_relay_port(rec.c[0]), a.port);
    harness_poll_for(rec.c, rec.n, 300, harness_rec_event, &rec); /* the last ones out */
    long long out_before = fleet_relay_stat(&a, "states_out");

    fleet_signal(&a, SIGSTOP);
    for (int i = 0; i < 30; i++) /* 3 s: past the 2 s TTL, states queue at a */
        send_and_poll(&rec, 2, 100);
    rec.c[2] = fleet_client(&b, "paused", "z", PROTO_MODE_UNSEQUENCED, 5000, 0);
    rec.n = 3;
    struct harness_rec one = {.c = {rec.c[2]}, .n = 1};
    assert_int_equal(harness_poll_until(one.c, 1, FLEET_WAIT_MS, harness_rec_event,
                                        fleet_all_welcomed, &one), 0);
    assert_int_equal(ricochet_relay_port(rec.c[2]), b.port); /* taken over */
    for (int i = 0; i < 5; i++)
        send_and_poll(&rec, 2, 50);

    fleet_signal(&a, SIGCONT);
    uint64_t end = clock_now_ms() + FLEET_WAIT_MS;
    while (!both_moved(&rec) && clock_now_ms() < end)
        send_and_poll(&rec, 3, 50);
    assert_true(both_moved(&rec));
    long long out_after = fleet_relay_stat(&a, "states_out");
    print_message("a: %lld states out before its pause, %lld after, %lld held back\n",
                  out_before, out_after, fleet_relay_stat(&a, "drops.unconfirmed"));
    assert_int_equal(out_after, out_before);
    assert_true(fleet_relay_stat(&a, "drops.unconfirmed") > 0);
    rec.n = 3;
    fleet_until_all_see_all(&rec, FLEET_WAIT_MS); /* the room goes on at b */
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(ricochet_relay_port(rec.c[i]), b.port);
    assert_true(states_seen(&rec, 2) > 0);
    fleet_close_clients(&rec);
    free(fleet_relay_finish(&a));
    free(fleet_relay_finish(&b));
    test_redis_stop(&redis);
}

static void a_resumed_relay_sends_nothing_of_a_lost_room(void **state)
{
    (void)state;
    paused_relay(false);
}

static void the_same_with_its_clocks_hours_apart(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip(); /* time namespaces need root */
    paused_relay(true);
}

/* A join for room through via until it is welcomed (refusals while the
 * directory fails over are retried). Returns the client. */
static struct ricochet *join_until_welcomed(const struct fleet_relay *via, const char *room,
                                            int timeout_ms)
{
    uint64_t end = clock_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        struct ricochet *c = fleet_client(via, room, "late", PROTO_MODE_UNSEQUENCED, 5000, 0);
        struct ricochet_event ev;
        while (ricochet_poll(c, 50, &ev) >= 0 && ev.type != RICOCHET_EV_WELCOME &&
               ev.type != RICOCHET_EV_DISCONNECTED)
            assert_true(clock_now_ms() < end);
        if (ev.type == RICOCHET_EV_WELCOME)
            return c;
        ricochet_close(c);
        assert_true(clock_now_ms() < end);
        clock_sleep_ms(100);
    }
}

/* ricochet-bot --rejoin-ms: bots entering through a relay that does not
 * hold their room are sent to the holder, which is then killed; they join
 * again through their first relay and send to the end, the bot exiting 0
 * (without the option, their sessions end with the relay and it fails). */
static void a_bot_with_rejoin_ms_outlives_its_relay(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    struct fleet_relay a, b;
    fleet_start_relay(&a, redis.url, NULL);
    fleet_start_relay(&b, redis.url, NULL);
    struct ricochet *placer = join_until_welcomed(&a, "bots", FLEET_WAIT_MS); /* a holds it */
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)b.port);
    const char *const args[] = {"--port", port, "--room", "bots", "--count", "2", "--rate",
                                "20", "--duration", "10", "--rejoin-ms", "10000",
                                "--log-level", "info", NULL};
    struct spawn_proc bot;
    assert_int_equal(harness_spawn(&bot, "ricochet-bot", args), 0);
    clock_sleep_ms(2000);
    ricochet_close(placer);
    fleet_signal(&a, SIGKILL);
    int rc = spawn_stop(&bot, 0, FLEET_WAIT_MS);
    char *err = spawn_read_stderr(&bot);
    if (rc != 0)
        fail_msg("ricochet-bot exited %d: %s", rc, err ? err : "");
    assert_non_null(strstr(err, "joining again, through"));
    free(err);
    spawn_free(&bot);
    spawn_stop(&a.p, SIGKILL, 2000);
    spawn_free(&a.p);
    free(fleet_relay_finish(&b));
    test_redis_stop(&redis);
}

/* A lobby watching the rooms through a, with b as the fleet's other
 * relay: a is killed; the lobby is told (MOVED, code rejoin) and watches
 * through b within its rejoin window; a room made after comes in a
 * listing. */
static void a_lobby_whose_relay_is_killed_watches_through_another(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    struct fleet_relay a, b;
    fleet_start_relay(&a, redis.url, NULL);
    fleet_start_relay(&b, redis.url, NULL);
    char more[32], err[256];
    snprintf(more, sizeof more, "127.0.0.1:%u", (unsigned)b.port);
    struct client_config cfg = {.host = a.host, .port = a.port, .name = "hall", .lobby = true,
                                .mode = PROTO_MODE_RELIABLE, .timeout_ms = 5000,
                                .rejoin_ms = 10000, .more_relays = more};
    struct ricochet *lobby = client_create(&cfg, err, sizeof err);
    if (!lobby)
        fail_msg("%s", err);
    assert_int_equal(ricochet_watch_rooms(lobby, "", NULL, 0, true), RICOCHET_OK);
    struct ricochet_event ev;
    for (uint64_t end = clock_now_ms() + FLEET_WAIT_MS; !ricochet_watching(lobby);) {
        assert_true(clock_now_ms() < end);
        assert_true(ricochet_poll(lobby, 20, &ev) >= 0);
    }
    fleet_signal(&a, SIGKILL);
    uint64_t killed = clock_now_ms();
    bool told = false;
    while (!told || !ricochet_watching(lobby)) {
        assert_true(clock_now_ms() < killed + 10000); /* its rejoin window */
        if (ricochet_poll(lobby, 20, &ev) != 1)
            continue;
        assert_int_not_equal(ev.type, RICOCHET_EV_DISCONNECTED);
        if (ev.type == RICOCHET_EV_MOVED) {
            assert_string_equal(ev.code, "rejoin");
            told = true;
        }
    }
    print_message("the lobby watches through b %llu ms after a's kill\n",
                  (unsigned long long)(clock_now_ms() - killed));
    assert_int_equal(ricochet_relay_port(lobby), b.port);
    struct ricochet *late = join_until_welcomed(&b, "after", FLEET_WAIT_MS);
    bool listed = false;
    for (uint64_t end = clock_now_ms() + FLEET_WAIT_MS; !listed;) {
        assert_true(clock_now_ms() < end);
        ricochet_poll(late, 0, &ev);
        if (ricochet_poll(lobby, 20, &ev) != 1 || ev.type != RICOCHET_EV_ROOMS)
            continue;
        struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
        size_t n = ricochet_rooms(lobby, rooms, RICOCHET_ROOMS_PAGE, NULL);
        for (size_t i = 0; i < n; i++)
            listed |= strcmp(rooms[i].room, "after") == 0;
    }
    ricochet_close(late);
    ricochet_close(lobby);
    spawn_stop(&a.p, SIGKILL, 2000);
    spawn_free(&a.p);
    free(fleet_relay_finish(&b));
    test_redis_stop(&redis);
}

/* Relays whose directory is a primary, its replica and three sentinels:
 * the primary dies; the room that exists flows all along (nothing on its
 * path waits on Redis, its lease outlasts the failover), and once the
 * sentinels have promoted the replica, relays follow and place new rooms
 * there. */
static void a_sentinel_failover_is_followed(void **state)
{
    (void)state;
    struct redislab lab;
    char err[512];
    if (redislab_start(&lab, 1000, err, sizeof err) != 0)
        fail_msg("%s", err);
    const char *const ttl[] = {"--directory-ttl", "10", NULL};
    struct fleet_relay a, b;
    fleet_start_relay(&a, lab.url, ttl);
    fleet_start_relay(&b, lab.url, ttl);
    struct harness_rec rec = {.n = 2};
    rec.c[0] = fleet_client(&a, "kept", "x", PROTO_MODE_UNSEQUENCED, 5000, 0);
    rec.c[1] = fleet_client(&b, "kept", "y", PROTO_MODE_UNSEQUENCED, 5000, 0);
    fleet_until_all_see_all(&rec, FLEET_WAIT_MS);
    uint64_t t0 = clock_now_ms(), before = states_seen(&rec, 1), longest = 0, last = t0;
    uint64_t promoted = 0, next_ask = 0;
    spawn_signal(&lab.node[0].proc, SIGKILL);
    while (!promoted || clock_now_ms() < promoted + 2000) {
        uint64_t seen = states_seen(&rec, 1), now = clock_now_ms();
        assert_true(now < t0 + 20000); /* the sentinels promote the replica by then */
        send_and_poll(&rec, 2, 20);
        if (states_seen(&rec, 1) > seen) {
            longest = clock_now_ms() - last > longest ? clock_now_ms() - last : longest;
            last = clock_now_ms();
        }
        if (!promoted && now >= next_ask) {
            promoted = redislab_primary(&lab) == 1 ? clock_now_ms() : 0;
            next_ask = now + 200;
        }
    }
    lab.primary = 1;
    print_message("primary promoted %llu ms after the kill; the room's longest silence "
                  "%llu ms\n", (unsigned long long)(promoted - t0),
                  (unsigned long long)longest);
    assert_true(states_seen(&rec, 1) > before);
    assert_true(longest < 1000);
    struct ricochet *late = join_until_welcomed(&b, "fresh", FLEET_WAIT_MS);
    ricochet_close(late);
    assert_true(fleet_relay_stat(&a, "drops.unconfirmed") == 0);
    fleet_close_clients(&rec);
    free(fleet_relay_finish(&a));
    free(fleet_relay_finish(&b));
    redislab_stop(&lab);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_killed_relays_room_is_back_within_seconds),
        cmocka_unit_test(the_same_over_plain_udp),
        cmocka_unit_test(a_resumed_relay_sends_nothing_of_a_lost_room),
        cmocka_unit_test(the_same_with_its_clocks_hours_apart),
        cmocka_unit_test(a_sentinel_failover_is_followed),
        cmocka_unit_test(a_bot_with_rejoin_ms_outlives_its_relay),
        cmocka_unit_test(a_lobby_whose_relay_is_killed_watches_through_another),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
