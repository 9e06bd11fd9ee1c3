/* test_e2e_fleet_rooms.c: a fleet's listings, relays sharing a real
 * `redis-server`: a listing on either of two relays showing both relays'
 * rooms with their members (a third relay's, run with `--room-list off`, in
 * neither), a closed room listed closed and passed by a join of any room on
 * another relay, an unlisted one listed nowhere and never a join of any
 * room's, and another relay's room listed with its props, found by a
 * filtered listing and by a join of any room matching them */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/client.h"
#include "tests/support/fleet_e2e.h"

#define WAIT_MS FLEET_WAIT_MS
#define all_welcomed fleet_all_welcomed
#define destroy_clients fleet_close_clients

static void start_relay(struct fleet_relay *r, const struct redisproc *redis, const char *extra)
{
    const char *const more[] = {extra, NULL};
    fleet_start_relay(r, redis->url, more);
}

/* A client joining room through relay `via`, reliable (timeout 1.5 s). */
static struct ricochet *client(const struct fleet_relay *via, const char *room,
                               const char *name)
{
    return fleet_client(via, room, name, PROTO_MODE_RELIABLE, 1500, 0);
}

static long long relay_stat(struct fleet_relay *r, const char *path)
{
    return harness_relay_stat(&r->p, path);
}

/* Lists the rooms through rec->c[who], again every 300 ms, until the
 * listing shows arena with 1 member and lobby with 2, both with a
 * capacity (within WAIT_MS, or the test fails). */
static void until_listed(struct harness_rec *rec, size_t who)
{
    uint64_t deadline = clock_now_ms() + WAIT_MS, next = 0;
    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    struct ricochet_event ev;
    size_t n = 0;
    while (clock_now_ms() < deadline) {
        if (clock_now_ms() >= next) {
            assert_int_equal(ricochet_list_rooms(rec->c[who], "", NULL), RICOCHET_OK);
            next = clock_now_ms() + 300;
        }
        for (size_t i = 0; i < rec->n; i++)
            while (ricochet_poll(rec->c[i], i == who ? 10 : 0, &ev) == 1)
                if (i == who && ev.type == RICOCHET_EV_ROOMS)
                    n = ricochet_rooms(rec->c[who], rooms, RICOCHET_ROOMS_PAGE, NULL);
        if (n == 2 && strcmp(rooms[0].room, "arena") == 0 && rooms[0].members == 1 &&
            strcmp(rooms[1].room, "lobby") == 0 && rooms[1].members == 2 &&
            rooms[0].capacity > 0 && rooms[1].capacity == rooms[0].capacity)
            return;
    }
    fail_msg("client %zu: %zu rooms listed, not arena (1) and lobby (2)", who, n);
}

/* Two relays of a fleet, a room each: a listing on either shows both
 * rooms with their members, the other relay's as its heartbeat wrote them
 * into the directory; a third relay's room, run with --room-list off, is
 * in neither. */
static void a_listing_shows_the_fleets_rooms(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    struct fleet_relay a, b, c;
    start_relay(&a, &redis, NULL);
    start_relay(&b, &redis, NULL);
    start_relay(&c, &redis, "--room-list=off");
    struct harness_rec rec = {.n = 4};
    rec.c[3] = client(&c, "cave", "cy"); /* placed on c, the first room */
    assert_int_equal(harness_poll_until(&rec.c[3], 1, WAIT_MS, harness_rec_event,
                                        all_welcomed,
                                        &(struct harness_rec){.c = {rec.c[3]}, .n = 1}),
                     0);
    assert_int_equal(ricochet_relay_port(rec.c[3]), c.port);
    rec.c[0] = client(&a, "lobby", "alice");
    assert_int_equal(harness_poll_until(rec.c, 1, WAIT_MS, harness_rec_event, all_welcomed,
                                        &(struct harness_rec){.c = {rec.c[0]}, .n = 1}),
                     0);
    rec.c[1] = client(&a, "lobby", "amy");
    rec.c[2] = client(&b, "arena", "bob"); /* placed on b: a and c hold a room, b none */
    assert_int_equal(harness_poll_until(rec.c, 4, WAIT_MS, harness_rec_event, all_welcomed,
                                        &rec), 0);
    assert_int_equal(ricochet_relay_port(rec.c[0]), a.port);
    assert_int_equal(ricochet_relay_port(rec.c[2]), b.port);
    harness_poll_for(rec.c, 4, 1000, harness_rec_event, &rec); /* c's heartbeats, 5 */
    until_listed(&rec, 0);
    until_listed(&rec, 2);
    destroy_clients(&rec);
    free(harness_relay_finish(&a.p));
    free(harness_relay_finish(&b.p));
    free(harness_relay_finish(&c.p));
    test_redis_stop(&redis);
}

/* A client joining room (any: a room under it) through relay via, asking
 * what ask says of the room (props, closed, unlisted; a join of any room's
 * match). */
static struct ricochet *asking(const struct fleet_relay *via, const char *room, bool any,
                               const char *name, const struct client_room_ask *ask)
{
    char err[256];
    struct client_config cfg = {.host = via->host, .port = via->port, .room = room,
                                .any = any, .name = name, .mode = PROTO_MODE_RELIABLE,
                                .timeout_ms = 1500, .room_ask = ask};
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    return c;
}

/* Lists the rooms holding match (n pairs) through rec->c[who], again every
 * 300 ms, until want is in it (within WAIT_MS, or the test fails); a room
 * named absent never is (NULL: none). Returns want's index in rooms. */
static size_t until_room_listed(struct harness_rec *rec, size_t who, const char *want,
                                const char *absent, struct ricochet_room *rooms,
                                const struct ricochet_prop *match, size_t n_match)
{
    uint64_t deadline = clock_now_ms() + WAIT_MS, next = 0;
    struct ricochet_event ev;
    while (clock_now_ms() < deadline) {
        if (clock_now_ms() >= next) {
            assert_int_equal(ricochet_list_rooms_matching(rec->c[who], "", NULL, match, n_match),
                             RICOCHET_OK);
            next = clock_now_ms() + 300;
        }
        size_t n = 0, at = SIZE_MAX;
        while (ricochet_poll(rec->c[who], 10, &ev) == 1)
            if (ev.type == RICOCHET_EV_ROOMS)
                n = ricochet_rooms(rec->c[who], rooms, RICOCHET_ROOMS_PAGE, NULL);
        for (size_t i = 0; i < n; i++) {
            if (absent && strcmp(rooms[i].room, absent) == 0)
                fail_msg("client %zu: room %s listed", who, absent);
            at = strcmp(rooms[i].room, want) == 0 ? i : at;
        }
        if (at != SIZE_MAX)
            return at;
        for (size_t i = 0; i < rec->n; i++)
            while (i != who && ricochet_poll(rec->c[i], 0, &ev) == 1)
                ;
    }
    fail_msg("client %zu: room %s not listed", who, want);
    return 0;
}

/* A join of any room through relay via, under "game", holding match (NULL:
 * any): the room it got. */
static const char *any_game(struct harness_rec *rec, size_t i, const struct fleet_relay *via,
                            const char *name, const struct client_room_ask *match)
{
    rec->c[i] = asking(via, "game", true, name, match);
    rec->n = i + 1;
    assert_int_equal(harness_poll_until(&rec->c[i], 1, WAIT_MS, harness_rec_event,
                                        all_welcomed,
                                        &(struct harness_rec){.c = {rec->c[i]}, .n = 1}),
                     0);
    return ricochet_room_name(rec->c[i]);
}

/* A redis-server and two relays of a fleet in it. */
static void start_two(struct redisproc *redis, struct fleet_relay *a, struct fleet_relay *b)
{
    test_redis_start(redis);
    start_relay(a, redis, NULL);
    start_relay(b, redis, NULL);
}

/* ... and their end. */
static void stop_two(struct redisproc *redis, struct fleet_relay *a, struct fleet_relay *b)
{
    free(harness_relay_finish(&a->p));
    free(harness_relay_finish(&b->p));
    test_redis_stop(redis);
}

/* A closed room on one relay is listed closed on another, and a join of
 * any room there passes it by; an unlisted room on one relay is listed on
 * none, and a join of any room elsewhere makes a new name rather than
 * land in it. */
static void closed_and_unlisted_rooms_stay_so_across_the_fleet(void **state)
{
    (void)state;
    struct redisproc redis;
    struct fleet_relay a, b;
    start_two(&redis, &a, &b);
    struct harness_rec rec = {.n = 1};
    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    bool open = true;
    rec.c[0] = asking(&a, "game", false, "alice", &(struct client_room_ask){.closed = true}); /* on a, its first room */
    assert_int_equal(harness_poll_until(rec.c, 1, WAIT_MS, harness_rec_event, all_welcomed,
                                        &rec), 0);
    rec.c[1] = asking(&b, "game1", false, "carol", &(struct client_room_ask){.unlisted = true}); /* on b: fewer rooms */
    rec.c[2] = asking(&b, "lobby", false, "bob", NULL);  /* on b: a tie, the asker */
    rec.n = 3;
    assert_int_equal(harness_poll_until(rec.c, 3, WAIT_MS, harness_rec_event, all_welcomed,
                                        &rec), 0);
    assert_int_equal(ricochet_relay_port(rec.c[0]), a.port);
    assert_int_equal(ricochet_relay_port(rec.c[1]), b.port);
    assert_int_equal(ricochet_relay_port(rec.c[2]), b.port);

    size_t at = until_room_listed(&rec, 2, "game", "game1", rooms, NULL, 0); /* on b, a's room */
    ricochet_listed_props(rec.c[2], at, NULL, 0, &open);
    assert_false(open);
    until_room_listed(&rec, 0, "lobby", "game1", rooms, NULL, 0); /* on a, b's rooms */
    assert_string_equal(any_game(&rec, 3, &a, "erin", NULL), "game2"); /* not game1, b's unlisted */
    assert_string_equal(any_game(&rec, 4, &b, "dave", NULL), "game2"); /* not game, a's closed */
    assert_int_equal(relay_stat(&a, "drops.room_closed"), 0);
    destroy_clients(&rec);
    stop_two(&redis, &a, &b);
}

/* A room on one relay is listed with its props on another, a listing
 * filtered on them finds it there, and a join of any room there matching
 * them lands in it (moved to its relay), not in a new room. */
static void props_are_listed_and_matched_across_the_fleet(void **state)
{
    (void)state;
    struct redisproc redis;
    struct fleet_relay a, b;
    start_two(&redis, &a, &b);
    struct client_room_ask dune = {0};
    assert_int_equal(proto_props_add(&dune.props, "props", "map", "dune", NULL, 0), 0);
    dune.match = dune.props;
    struct harness_rec rec = {.n = 1};
    rec.c[0] = asking(&b, "game7", false, "carol", &dune); /* on b, its first room */
    assert_int_equal(harness_poll_until(rec.c, 1, WAIT_MS, harness_rec_event, all_welcomed,
                                        &rec), 0);
    rec.c[1] = client(&a, "lobby", "bob"); /* on a: fewer rooms */
    rec.n = 2;
    assert_int_equal(harness_poll_until(rec.c, 2, WAIT_MS, harness_rec_event, all_welcomed,
                                        &rec), 0);
    assert_int_equal(ricochet_relay_port(rec.c[0]), b.port);
    assert_int_equal(ricochet_relay_port(rec.c[1]), a.port);

    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    struct ricochet_prop want = {.key = "map", .value = "dune"}, got[2];
    size_t at = until_room_listed(&rec, 1, "game7", "lobby", rooms, &want, 1);
    assert_int_equal(ricochet_listed_props(rec.c[1], at, got, 2, NULL), 1);
    assert_string_equal(got[0].key, "map");
    assert_string_equal(got[0].value, "dune");
    assert_string_equal(any_game(&rec, 2, &a, "erin", &dune), "game7");
    assert_int_equal(ricochet_relay_port(rec.c[2]), b.port);
    destroy_clients(&rec);
    stop_two(&redis, &a, &b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_listing_shows_the_fleets_rooms),
        cmocka_unit_test(closed_and_unlisted_rooms_stay_so_across_the_fleet),
        cmocka_unit_test(props_are_listed_and_matched_across_the_fleet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
