/* test_e2e_partition_keep.c: a room kept whole across a move that a
 * partition caused (tests/run: alone: its bounds are a lease's timings).
 * Redis, three relays and the players each in a network namespace of
 * their own (support/nemesis.h), as in test_e2e_partitions. Alice makes a
 * room on relay 0 (props map=arena, size 3), Bob joins it without props,
 * then she closes it (a `room` message) and keeps a `stay` event. Relay 0
 * is cut from Redis both ways: its lease lapses, it lets the room go, and
 * the players' library rejoins through relay 1 by itself, Bob first.
 * On the new holder the room is the one Alice made: Bob's welcome names
 * her player its owner, with her props and size, still closed; she gets
 * back in and owns it, a stranger is refused room_closed; she opens it, a
 * latecomer gets the stay event replayed; she closes it again, accepted,
 * and it stays so after the heal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/fleet_e2e.h"
#include "tests/support/nemesis.h"
#include "tests/support/seen.h"

#define TTL_S 1                  /* --directory-ttl: 1 s, the shortest */
#define LEASE_MS (TTL_S * 900)   /* TTL minus one heartbeat */
#define REDIS_NODE 1
#define RELAYS 3
#define RELAY_NODE(i) (2 + (i))
#define JOIN_TIMEOUT_MS 5000     /* a player's join, at each relay it tries */
#define REJOIN_MS 30000          /* the players' rejoin window: longer than the cut */
#define MOVE_MS 10000            /* the room plays on another relay this soon after the
                                    cut (lease, three stale heartbeats, a rejoin; loaded) */
#define TRIES 3                  /* Alice's room placed on relay 0 in as many */

/* A client of room through via, with what ask asks of a room it makes
 * (NULL: nothing); rejoin_ms > 0: it rejoins a lost relay through via. */
static size_t add(struct seen *s, const struct fleet_relay *via, const char *room,
                  const char *name, const struct client_room_ask *ask, uint32_t rejoin_ms)
{
    return seen_add(s, &(struct client_config){.host = via->host, .port = via->port,
                                               .room = room, .name = name,
                                               .mode = PROTO_MODE_RELIABLE,
                                               .timeout_ms = JOIN_TIMEOUT_MS,
                                               .rejoin_ms = rejoin_ms, .room_ask = ask});
}

static bool on_relay(struct ricochet *c, const struct fleet_relay *r)
{
    return strcmp(ricochet_relay_host(c), r->host) == 0 && ricochet_relay_port(c) == r->port;
}

/* Polls the clients of mask (i among them) until client i is joined
 * through a relay other than off; fails past ms. */
static void until_moved_off(struct seen *s, size_t i, unsigned mask,
                            const struct fleet_relay *off, int ms)
{
    for (uint64_t end = clock_now_ms() + (uint64_t)ms; clock_now_ms() < end;) {
        seen_poll(s, mask);
        if (ricochet_joined(s->c[i]) && !on_relay(s->c[i], off))
            return;
        if (s->gone[i])
            fail_msg("client %zu ended (%s) rejoining", i, s->code[i]);
        clock_sleep_ms(5);
    }
    fail_msg("client %zu did not rejoin off %s:%u", i, off->host, (unsigned)off->port);
}

/* Until Redis's key holds want, polling everyone meanwhile. */
static void until_key(struct nemesis *n, struct redisproc *redis, struct seen *s,
                      const char *key, const char *want)
{
    char out[8192];
    for (uint64_t end = clock_now_ms() + FLEET_WAIT_MS; clock_now_ms() < end;) {
        nemesis_enter(n, REDIS_NODE);
        test_redis_cmd(redis, out, sizeof out, "GET %s", key);
        nemesis_enter(n, NEMESIS_HUB);
        if (strstr(out, want))
            return;
        seen_pump(s, 50);
    }
    fail_msg("%s: '%.300s', not holding '%s'", key, out, want);
}

/* The room as client i was last told it: Alice's (owner), map=arena,
 * size 3, closed or open. */
static void room_is_alices(struct seen *s, size_t i, const char *owner, bool open)
{
    struct ricochet_prop props[4];
    assert_string_equal(ricochet_room_owner(s->c[i]), owner);
    assert_int_equal(ricochet_room_props(s->c[i], props, 4), 1);
    assert_string_equal(props[0].key, "map");
    assert_string_equal(props[0].value, "arena");
    assert_int_equal(ricochet_room_size(s->c[i]), 3);
    assert_int_equal(ricochet_room_open(s->c[i]), open);
}

/* Polls until client i was told the room is open (or not); fails past
 * FLEET_WAIT_MS. */
static void until_open(struct seen *s, size_t i, bool open)
{
    for (uint64_t end = clock_now_ms() + FLEET_WAIT_MS; clock_now_ms() < end;) {
        seen_poll(s, ~0u);
        if (ricochet_room_open(s->c[i]) == open)
            return;
        clock_sleep_ms(5);
    }
    fail_msg("client %zu not told the room is %s", i, open ? "open" : "closed");
}

static void a_room_moved_by_a_partition_is_kept_whole(void **state)
{
    (void)state;
    struct nemesis n;
    struct redisproc redis;
    struct fleet_relay relay[RELAYS];
    char url[64], why[256];
    const char *const ttl[] = {"--directory-ttl", "1", NULL};
    if (nemesis_open(&n, 2 + RELAYS, why, sizeof why) != 0) {
        fprintf(stderr, "skipped: %s\n", why);
        skip();
    }
    nemesis_redis(&n, REDIS_NODE, &redis, url, sizeof url);
    for (int i = 0; i < RELAYS; i++)
        nemesis_relay(&n, RELAY_NODE(i), &relay[i], url, ttl);

    /* A room on relays 1 and 2 each, so that placement picks relay 0 for
     * Alice's, who enters (and rejoins) through relay 1; once every relay
     * has registered (a relay starting on a loaded machine may not have). */
    for (int i = 0; i < RELAYS; i++) {
        char beat[64] = "(nil)";
        for (uint64_t end = clock_now_ms() + FLEET_WAIT_MS; strcmp(beat, "(nil)") == 0;) {
            assert_true(clock_now_ms() < end);
            nemesis_enter(&n, REDIS_NODE);
            test_redis_cmd(&redis, beat, sizeof beat, "HGET ricochet:relay:%s:%u beat",
                           relay[i].host, (unsigned)relay[i].port);
            nemesis_enter(&n, NEMESIS_HUB);
            clock_sleep_ms(20);
        }
    }
    struct seen s = {0};
    add(&s, &relay[1], "other1", "o1", NULL, 0);
    add(&s, &relay[2], "other2", "o2", NULL, 0);
    seen_until_settled(&s, 0, FLEET_WAIT_MS);
    seen_until_settled(&s, 1, FLEET_WAIT_MS);
    struct client_room_ask ask = {.size = 3};
    assert_int_equal(proto_props_add(&ask.props, "props", "map", "arena", NULL, 0), 0);
    /* relay 0's heartbeat late on a loaded machine (not live for the
     * placement): the room goes elsewhere; she leaves it and makes another */
    char room[16], keep[48];
    size_t alice = s.n;
    for (int t = 0; t < TRIES; t++) {
        snprintf(room, sizeof room, "keep%d", t);
        s.welcomed[alice] = s.gone[alice] = false;
        s.n = alice;
        add(&s, &relay[1], room, "alice", &ask, REJOIN_MS);
        seen_until_settled(&s, alice, FLEET_WAIT_MS);
        assert_false(s.gone[alice]);
        if (on_relay(s.c[alice], &relay[0]))
            break;
        ricochet_close(s.c[alice]);
        s.c[alice] = NULL;
        seen_pump(&s, 400); /* a few heartbeats: relay 0 live again */
    }
    assert_non_null(s.c[alice]);
    snprintf(keep, sizeof keep, "ricochet:keep:%s", room);
    char owner[64];
    snprintf(owner, sizeof owner, "%s", ricochet_player(s.c[alice], ricochet_id(s.c[alice])));
    room_is_alices(&s, alice, owner, true);
    size_t bob = add(&s, &relay[1], room, "bob", NULL, REJOIN_MS);
    seen_until_settled(&s, bob, FLEET_WAIT_MS);
    assert_false(s.gone[bob]);
    assert_true(on_relay(s.c[bob], &relay[0]));
    assert_int_equal(ricochet_set_room_open(s.c[alice], false), RICOCHET_OK);
    assert_int_equal(ricochet_send_kept(s.c[alice], "flag", "red", 3, RICOCHET_KEEP_STAY),
                     RICOCHET_OK);
    until_open(&s, bob, false);
    room_is_alices(&s, bob, owner, false);
    /* the record as the holder wrote it: closed, the flag kept */
    until_key(&n, &redis, &s, keep, "\"open\":false");
    until_key(&n, &redis, &s, keep, "\"kept\":\"A");

    /* Relay 0 cut from Redis both ways: it lets the room go at its lease's
     * end. Bob alone is polled until he is in again elsewhere: the room is
     * placed anew by the join of a member that asked nothing of it. */
    nemesis_cut(&n, NEMESIS_SET(REDIS_NODE), NEMESIS_SET(RELAY_NODE(0)), true);
    uint64_t cut = clock_now_ms();
    unsigned others = 1u << 0 | 1u << 1;
    until_moved_off(&s, bob, others | 1u << bob, &relay[0], MOVE_MS);
    fprintf(stderr, "bob in again through %s:%u %llu ms after the cut (lease %d)\n",
            ricochet_relay_host(s.c[bob]), (unsigned)ricochet_relay_port(s.c[bob]),
            (unsigned long long)(clock_now_ms() - cut), LEASE_MS);
    room_is_alices(&s, bob, owner, false);
    until_moved_off(&s, alice, ~0u, &relay[0], MOVE_MS);
    assert_true(ricochet_relay_port(s.c[alice]) == ricochet_relay_port(s.c[bob]));
    room_is_alices(&s, alice, owner, false);
    assert_true(ricochet_room_mine(s.c[alice]));
    assert_string_equal(ricochet_player(s.c[alice], ricochet_id(s.c[alice])), owner);
    const struct fleet_relay *now = on_relay(s.c[bob], &relay[1]) ? &relay[1] : &relay[2];

    /* Still closed: a stranger is refused. */
    size_t mallory = add(&s, &relay[2], room, "mallory", NULL, 0);
    seen_until_settled(&s, mallory, FLEET_WAIT_MS);
    assert_true(s.gone[mallory]);
    assert_string_equal(s.code[mallory], "room_closed");

    /* Alice's: she opens it, a latecomer gets the stay event replayed. */
    s.code[alice][0] = '\0';
    assert_int_equal(ricochet_set_room_open(s.c[alice], true), RICOCHET_OK);
    until_open(&s, bob, true);
    size_t carol = add(&s, &relay[2], room, "carol", NULL, 0);
    seen_until_settled(&s, carol, FLEET_WAIT_MS);
    assert_false(s.gone[carol]);
    assert_true(on_relay(s.c[carol], now));
    seen_pump(&s, 300);
    assert_string_equal(s.kept[carol], "flag=red");
    room_is_alices(&s, carol, owner, true);

    /* and closes it again, accepted. */
    assert_int_equal(ricochet_set_room_open(s.c[alice], false), RICOCHET_OK);
    until_open(&s, carol, false);
    assert_string_equal(s.code[alice], ""); /* no not_creator */
    for (int i = 0; i < RELAYS; i++)
        assert_int_equal(fleet_relay_stat(&relay[i], "drops.not_room_owner"), 0);

    /* The heal: relay 0 finds the room lost and writes nothing over it. */
    nemesis_heal(&n);
    seen_pump(&s, 3000);
    until_key(&n, &redis, &s, keep, "\"open\":false");
    until_key(&n, &redis, &s, keep, owner);
    char claim[256], addr[48];
    nemesis_enter(&n, REDIS_NODE);
    test_redis_cmd(&redis, claim, sizeof claim, "GET ricochet:room:%s", room);
    nemesis_enter(&n, NEMESIS_HUB);
    snprintf(addr, sizeof addr, " %s:%u ", now->host, (unsigned)now->port);
    assert_non_null(strstr(claim, addr));
    assert_true(on_relay(s.c[alice], now) && on_relay(s.c[bob], now) && on_relay(s.c[carol], now));
    room_is_alices(&s, bob, owner, false);

    for (size_t i = 0; i < s.n; i++)
        if (s.c[i])
            ricochet_close(s.c[i]);
    for (int i = 0; i < RELAYS; i++) {
        if (getenv("RICOCHET_RELAY_LOGS")) {
            char *log = spawn_read_stderr(&relay[i].p);
            fprintf(stderr, "---- relay %d\n%s", i, log ? log : "");
            free(log);
        }
        free(fleet_relay_finish(&relay[i]));
    }
    redisproc_stop(&redis);
    nemesis_close(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_room_moved_by_a_partition_is_kept_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
