/* test_e2e_fleet_listing.c: a fleet's listing read from the directory's
 * entries, four relays sharing a real `redis-server`, 72 rooms spread over
 * them, each with two props: every relay lists every room across its
 * pages (more, after), a filtered listing on any relay finds the one room
 * among them another relay holds, and a join of any room matching it
 * lands there (moved to its relay); a relay whose directory is gone lists
 * its own rooms only (partial); a relay lists a room it just made before
 * its heartbeat writes the room's entry; a lobby watching through one
 * relay is pushed a page with a room another relay holds */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/client.h"
#include "client/lib/ricochet.h"
#include "tests/support/fleet_e2e.h"
#include "tests/support/players.h"

#define WAIT_MS FLEET_WAIT_MS
#define RELAYS 4
#define ROOMS 72 /* more than a page (64) */
#define NEEDLE 41 /* the room whose tag is "needle" */
_Static_assert(RICOCHET_ROOM_MAX == PROTO_ROOM_MAX, "a listed name fits a request's after");

struct fleet {
    struct redisproc redis;
    struct fleet_relay relay[RELAYS];
    struct ricochet *c[ROOMS];
    bool welcomed[ROOMS];
};

/* A client of relay via joining room (any: a room under it), asking ask. */
static struct ricochet *asking(const struct fleet_relay *via, const char *room, bool any,
                               const char *name, const struct client_room_ask *ask)
{
    char err[256];
    struct client_config cfg = {.host = via->host, .port = via->port, .room = room,
                                .any = any, .name = name, .mode = PROTO_MODE_RELIABLE,
                                .timeout_ms = 3000, .room_ask = ask};
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    return c;
}

/* Every client's events read but skip's (a welcome noted; skip: the one
 * waiting for a listing, ROOMS or more). */
static void poll_others(struct fleet *f, int wait_ms, size_t skip)
{
    struct ricochet_event ev;
    for (size_t i = 0; i < ROOMS; i++)
        while (i != skip && f->c[i] && ricochet_poll(f->c[i], i == 0 ? wait_ms : 0, &ev) == 1)
            if (ev.type == RICOCHET_EV_WELCOME)
                f->welcomed[i] = true;
            else if (ev.type == RICOCHET_EV_DISCONNECTED)
                print_message("client %zu: %s %s\n", i, ev.code, ev.text);
}

/* Room i's name and props: "room00".."room71", map m0..m2, tag t<i> (the
 * needle's "needle"). */
static void room_of(size_t i, char name[16], struct client_room_ask *ask)
{
    char tag[16];
    snprintf(name, 16, "room%02zu", i);
    snprintf(tag, sizeof tag, i == NEEDLE ? "needle" : "t%zu", i);
    memset(ask, 0, sizeof *ask);
    char map[4] = {'m', (char)('0' + i % 3), '\0'};
    assert_int_equal(proto_props_add(&ask->props, "props", "map", map, NULL, 0), 0);
    assert_int_equal(proto_props_add(&ask->props, "props", "tag", tag, NULL, 0), 0);
}

/* Redis, four relays, and ROOMS rooms made through them in turn (each
 * placed where the directory says: spread over the fleet). */
static void start_fleet(struct fleet *f)
{
    memset(f, 0, sizeof *f);
    test_redis_start(&f->redis);
    for (size_t k = 0; k < RELAYS; k++)
        fleet_start_relay(&f->relay[k], f->redis.url,
                          (const char *const[]){"--max-per-address=0", NULL});
    for (size_t i = 0; i < ROOMS; i++) {
        char name[16];
        struct client_room_ask ask;
        room_of(i, name, &ask);
        f->c[i] = asking(&f->relay[i % RELAYS], name, false, name, &ask);
    }
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    size_t n = 0;
    while (n < ROOMS && clock_now_ms() < deadline) {
        poll_others(f, 10, ROOMS);
        n = 0;
        for (size_t i = 0; i < ROOMS; i++)
            n += f->welcomed[i];
    }
    assert_int_equal(n, ROOMS);
}

static void stop_fleet(struct fleet *f)
{
    for (size_t i = 0; i < ROOMS; i++)
        ricochet_close(f->c[i]);
    for (size_t k = 0; k < RELAYS; k++)
        free(harness_relay_finish(&f->relay[k].p));
    test_redis_stop(&f->redis);
}

/* A member of relay k (the first client whose room it holds). */
static size_t member_of(const struct fleet *f, size_t k)
{
    for (size_t i = 0; i < ROOMS; i++)
        if (ricochet_relay_port(f->c[i]) == f->relay[k].port)
            return i;
    fail_msg("relay %zu holds no room", k);
    return 0;
}

/* Lists the rooms through client i from after (match: n pairs) and waits
 * for the page; returns how many it holds, into rooms, *more set. */
static size_t page(struct fleet *f, size_t i, const char *after,
                   const struct ricochet_prop *match, size_t n_match,
                   struct ricochet_room *rooms, bool *more)
{
    struct ricochet_event ev;
    assert_int_equal(ricochet_list_rooms_matching(f->c[i], "", after, match, n_match),
                     RICOCHET_OK);
    uint64_t deadline = clock_now_ms() + 3000;
    while (clock_now_ms() < deadline) {
        poll_others(f, 0, i);
        while (ricochet_poll(f->c[i], 10, &ev) == 1)
            if (ev.type == RICOCHET_EV_ROOMS)
                return ricochet_rooms(f->c[i], rooms, RICOCHET_ROOMS_PAGE, more);
    }
    fail_msg("client %zu: no listing", i);
    return 0;
}

/* Every page of the listing through client i, until none follows: how
 * many rooms of ours they hold, in name order, each once, with props. */
static size_t list_all(struct fleet *f, size_t i, size_t *pages)
{
    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    char after[PROTO_ROOM_MAX + 1] = "", last[PROTO_ROOM_MAX + 1] = "";
    size_t seen = 0;
    bool more = true;
    for (*pages = 0; more; (*pages)++) {
        size_t n = page(f, i, after, NULL, 0, rooms, &more);
        assert_true(n > 0 || !more);
        for (size_t k = 0; k < n; k++) {
            assert_true(strcmp(rooms[k].room, last) > 0); /* in name order, once */
            memcpy(last, rooms[k].room, sizeof last); /* a name of its size */
            struct ricochet_prop props[4];
            if (strncmp(rooms[k].room, "room", 4) == 0 &&
                ricochet_listed_props(f->c[i], k, props, 4, NULL) == 2)
                seen++;
        }
        memcpy(after, last, sizeof after);
    }
    return seen;
}

/* Four relays: each relay lists every room of the fleet, with both its
 * props, across its pages, once the relays' entries are written (a
 * heartbeat or two). */
static void every_relay_lists_every_room_across_pages(void **state)
{
    (void)state;
    struct fleet *f = malloc(sizeof *f);
    assert_non_null(f);
    start_fleet(f);
    for (size_t k = 0; k < RELAYS; k++) {
        size_t i = member_of(f, k), pages = 0, seen = 0;
        uint64_t deadline = clock_now_ms() + WAIT_MS;
        while ((seen = list_all(f, i, &pages)) < ROOMS && clock_now_ms() < deadline)
            clock_sleep_ms(200);
        assert_int_equal(seen, ROOMS);
        assert_int_equal(pages, 2);
    }
    stop_fleet(f);
    free(f);
}

/* A filtered listing on a relay finds the one room among ROOMS that
 * another relay holds, and a join of any room matching it, through a
 * relay that does not hold it, lands in it (moved there). */
static void a_filter_finds_one_room_on_another_relay(void **state)
{
    (void)state;
    struct fleet *f = malloc(sizeof *f);
    assert_non_null(f);
    start_fleet(f);
    size_t holder = RELAYS, other;
    for (size_t k = 0; k < RELAYS; k++)
        holder = ricochet_relay_port(f->c[NEEDLE]) == f->relay[k].port ? k : holder;
    assert_true(holder < RELAYS);
    other = member_of(f, (holder + 1) % RELAYS);
    struct ricochet_prop want = {.key = "tag", .value = "needle"};
    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    bool more = true;
    size_t n = 0;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while ((n = page(f, other, "", &want, 1, rooms, &more)) == 0 &&
           clock_now_ms() < deadline)
        clock_sleep_ms(200);
    assert_int_equal(n, 1);
    assert_false(more);
    assert_string_equal(rooms[0].room, "room41");
    assert_int_equal(rooms[0].members, 1);

    struct client_room_ask ask = {0};
    assert_int_equal(proto_props_add(&ask.match, "match", "tag", "needle", NULL, 0), 0);
    struct ricochet *c = asking(&f->relay[(holder + 1) % RELAYS], "room", true, "erin", &ask);
    struct ricochet_event ev;
    bool welcomed = false, moved = false;
    deadline = clock_now_ms() + WAIT_MS;
    while (!welcomed && clock_now_ms() < deadline) {
        poll_others(f, 0, ROOMS);
        while (ricochet_poll(c, 10, &ev) == 1) {
            welcomed |= ev.type == RICOCHET_EV_WELCOME;
            moved |= ev.type == RICOCHET_EV_MOVED;
        }
    }
    assert_true(welcomed);
    assert_true(moved);
    assert_string_equal(ricochet_room_name(c), "room41");
    assert_int_equal(ricochet_relay_port(c), f->relay[holder].port);
    ricochet_close(c);
    stop_fleet(f);
    free(f);
}

/* Redis stopped: a relay lists only the rooms it holds (its listing
 * partial), answered at once rather than when the request's wait ends. */
static void without_its_directory_a_relay_lists_its_own_rooms(void **state)
{
    (void)state;
    struct fleet *f = malloc(sizeof *f);
    assert_non_null(f);
    start_fleet(f);
    size_t i = member_of(f, 0), mine = 0, pages = 0, seen = 0;
    for (size_t k = 0; k < ROOMS; k++)
        mine += ricochet_relay_port(f->c[k]) == f->relay[0].port;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while ((seen = list_all(f, i, &pages)) < ROOMS && clock_now_ms() < deadline)
        clock_sleep_ms(200);
    assert_int_equal(seen, ROOMS);
    test_redis_stop(&f->redis); /* the rooms flow on for their lease */
    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    bool more = true;
    uint64_t asked = clock_now_ms();
    size_t n = page(f, i, "", NULL, 0, rooms, &more);
    assert_true(clock_now_ms() - asked < 1000);
    assert_int_equal(n, mine);
    assert_false(more);
    for (size_t k = 0; k < n; k++) {
        size_t held = (size_t)atoi(rooms[k].room + 4);
        assert_int_equal(ricochet_relay_port(f->c[held]), f->relay[0].port);
    }
    stop_fleet(f);
    free(f);
}

/* A room made on a relay is listed by that relay at once, with its members
 * as they are, before its heartbeat (every 3 s here) writes its entry: the
 * directory's page with the relay's own rooms merged in. */
static void a_relay_lists_its_new_room_at_once(void **state)
{
    (void)state;
    struct redisproc redis;
    struct fleet_relay a;
    test_redis_start(&redis);
    fleet_start_relay(&a, redis.url, (const char *const[]){"--directory-ttl", "30", NULL});
    struct client_room_ask ask = {0};
    assert_int_equal(proto_props_add(&ask.props, "props", "map", "dust", NULL, 0), 0);
    struct fleet *f = calloc(1, sizeof *f); /* its clients: c[0] */
    assert_non_null(f);
    f->c[0] = asking(&a, "fresh", false, "ann", &ask);
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (!f->welcomed[0] && clock_now_ms() < deadline)
        poll_others(f, 10, ROOMS);
    assert_true(f->welcomed[0]);
    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    struct ricochet_prop want = {.key = "map", .value = "dust"};
    bool more = true;
    assert_int_equal(page(f, 0, "", &want, 1, rooms, &more), 1);
    assert_string_equal(rooms[0].room, "fresh");
    assert_int_equal(rooms[0].members, 1);
    assert_false(more);
    char out[64];
    test_redis_cmd(&redis, out, sizeof out, "HEXISTS ricochet:rooms fresh");
    assert_string_equal(out, "0"); /* not written yet */
    ricochet_close(f->c[0]);
    free(f);
    free(harness_relay_finish(&a.p));
    test_redis_stop(&redis);
}

/* Does the last listing c was sent name room? */
static bool lists(const struct ricochet *c, const char *room)
{
    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    size_t n = ricochet_rooms(c, rooms, RICOCHET_ROOMS_PAGE, NULL);
    for (size_t i = 0; i < n && i < RICOCHET_ROOMS_PAGE; i++)
        if (!strcmp(rooms[i].room, room))
            return true;
    return false;
}

/* A lobby watching "w-" through relay a, told of nothing yet, is pushed a
 * page with the room a member makes through relay b (held there: the
 * directory places a room on its asker when the relays hold as many): the
 * push is the directory's page, as the watch's first answer was. */
static void a_lobby_is_pushed_another_relays_room(void **state)
{
    (void)state;
    struct redisproc redis;
    struct fleet_relay a, b;
    struct ricochet_event ev;
    test_redis_start(&redis);
    fleet_start_relay(&a, redis.url, NULL);
    fleet_start_relay(&b, redis.url, NULL);
    struct ricochet_config *cfg = players_config(a.port, RICOCHET_MODE_RELIABLE, "looker");
    assert_int_equal(ricochet_config_set_lobby(cfg, true), RICOCHET_OK);
    struct ricochet *cs[2] = {players_connect(cfg), NULL};
    assert_int_equal(ricochet_watch_rooms(cs[0], "w-", NULL, 0, true), RICOCHET_OK);
    players_wait_event(cs, 1, 0, RICOCHET_EV_ROOMS, &ev);
    assert_true(ricochet_watching(cs[0]));
    assert_false(lists(cs[0], "w-b"));
    cfg = players_config(b.port, RICOCHET_MODE_RELIABLE, "maker");
    assert_int_equal(ricochet_config_set_room(cfg, "w-b"), RICOCHET_OK);
    cs[1] = players_connect(cfg);
    players_wait_event(cs, 2, 1, RICOCHET_EV_WELCOME, &ev);
    assert_int_equal(ricochet_relay_port(cs[1]), b.port); /* b holds it, not a */
    bool told = false;
    for (uint64_t end = clock_now_ms() + 5000; !told && clock_now_ms() < end;)
        for (size_t i = 0; i < 2; i++)
            while (ricochet_poll(cs[i], i == 0 ? 5 : 0, &ev) == 1) {
                if (ev.type == RICOCHET_EV_DISCONNECTED)
                    fail_msg("session %zu ended: %s", i, ricochet_end_reason(cs[i]));
                told |= i == 0 && ev.type == RICOCHET_EV_ROOMS && lists(cs[0], "w-b");
            }
    assert_true(told);
    assert_true(ricochet_watching(cs[0]));
    ricochet_close(cs[0]);
    ricochet_close(cs[1]);
    free(harness_relay_finish(&a.p));
    free(harness_relay_finish(&b.p));
    test_redis_stop(&redis);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_relay_lists_every_room_across_pages),
        cmocka_unit_test(a_filter_finds_one_room_on_another_relay),
        cmocka_unit_test(without_its_directory_a_relay_lists_its_own_rooms),
        cmocka_unit_test(a_relay_lists_its_new_room_at_once),
        cmocka_unit_test(a_lobby_is_pushed_another_relays_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
