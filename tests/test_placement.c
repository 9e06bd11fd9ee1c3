/* test_placement: the loop's placement cache, parked joins and leases,
 * driven by hand-made directory results and a fake clock: parked joins,
 * moved from the cache, a newer epoch from the client, a join that lost its
 * relay trusting no cache and having the holder checked, refusals, leases,
 * lost and handed rooms, draining. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fleet/placement.h"

#define MS 1000ull
#define MINE "aaaaaaaaaaaaaaaa"
#define OTHER "bbbbbbbbbbbbbbbb"

static struct placement *make(uint32_t park_max)
{
    struct placement_config c = {.lease_ms = 9000, .cache_ms = 2000, .park_ms = 3000,
                                 .park_max = park_max};
    strcpy(c.instance, MINE);
    memset(c.hash_key, 7, sizeof c.hash_key);
    struct placement *p = placement_create(&c);
    assert_non_null(p);
    return p;
}

static struct fleet_msg result(enum fleet_msg_type type, const char *room, uint64_t epoch,
                               const char *instance, uint64_t at_us)
{
    struct fleet_msg m = {.type = type, .at_us = at_us};
    strcpy(m.claim.room, room);
    m.claim.epoch = epoch;
    if (instance) {
        strcpy(m.claim.instance, instance);
        strcpy(m.claim.addr, strcmp(instance, MINE) == 0 ? "10.0.0.1:7777" : "10.0.0.2:7777");
        strcpy(m.claim.transport, "enet");
    }
    return m;
}

static enum placement_verdict join(struct placement *p, const char *room, uint32_t peer,
                                   uint64_t now, bool expect_ask)
{
    struct fleet_claim c;
    bool ask, suspect;
    enum placement_verdict v = placement_join(p, room, peer, 0, NULL, now, &c, &ask, &suspect);
    assert_false(suspect);
    assert_int_equal(ask, expect_ask);
    return v;
}

static void a_new_room_parks_its_joins_until_placed_here(void **state)
{
    (void)state;
    struct placement *p = make(8);
    assert_int_equal(join(p, "lobby", 1, 0, true), PLACEMENT_PARKED);
    assert_int_equal(join(p, "lobby", 2, 0, false), PLACEMENT_PARKED);
    assert_int_equal(join(p, "lobby", 2, 0, false), PLACEMENT_PARKED); /* parks once */
    assert_int_equal(placement_parked(p), 2);
    struct placement_outcome out[8];
    struct placement_effect e;
    struct fleet_msg m = result(FLEET_PLACED, "lobby", 5, MINE, 10 * MS);
    assert_int_equal(placement_apply(p, &m, 20 * MS, out, 8, &e), 2);
    assert_int_equal(out[0].verdict, PLACEMENT_HERE);
    assert_int_equal(out[1].verdict, PLACEMENT_HERE);
    assert_int_equal(out[0].peer + out[1].peer, 3);
    assert_false(e.release || e.move_members);
    assert_int_equal(join(p, "lobby", 3, 30 * MS, false), PLACEMENT_HERE);
    assert_int_equal(placement_rooms_here(p), 1);
    assert_int_equal(placement_parked(p), 0);
    placement_destroy(p);
}

static void another_relays_room_is_moved_and_cached(void **state)
{
    (void)state;
    struct placement *p = make(8);
    join(p, "arena", 1, 0, true);
    struct placement_outcome out[8];
    struct placement_effect e;
    struct fleet_msg m = result(FLEET_PLACED, "arena", 9, OTHER, 0);
    assert_int_equal(placement_apply(p, &m, 1000 * MS, out, 8, &e), 1);
    assert_int_equal(out[0].verdict, PLACEMENT_MOVED);
    assert_string_equal(out[0].claim.addr, "10.0.0.2:7777");
    assert_int_equal(out[0].claim.epoch, 9);
    struct fleet_claim c;
    bool ask, suspect;
    assert_int_equal(placement_join(p, "arena", 2, 0, NULL, 2000 * MS, &c, &ask, &suspect),
                     PLACEMENT_MOVED);
    assert_false(ask);
    assert_int_equal(c.epoch, 9);
    /* A client sent here by a newer move does not trust the cache. */
    assert_int_equal(placement_join(p, "arena", 3, 10, NULL, 2000 * MS, &c, &ask, &suspect),
                     PLACEMENT_PARKED);
    assert_true(ask);
    placement_forget(p, 3);
    m = result(FLEET_PLACED, "arena", 11, OTHER, 0);
    assert_int_equal(placement_apply(p, &m, 2500 * MS, out, 8, &e), 0); /* 3 left */
    assert_int_equal(placement_join(p, "arena", 5, 10, NULL, 2600 * MS, &c, &ask, &suspect),
                     PLACEMENT_MOVED);
    assert_int_equal(c.epoch, 11);
    /* After cache_ms the cache is forgotten: ask again. */
    placement_expire(p, 4500 * MS, out, 8);
    assert_int_equal(join(p, "arena", 4, 4500 * MS, true), PLACEMENT_PARKED);
    placement_destroy(p);
}

/* A join that lost the room's holder trusts no cached placement and has
 * the directory check the holder (suspect); one that parks behind a
 * question asked without saying so has it asked again when the answer
 * names another relay. */
static void a_join_that_lost_its_relay_has_the_holder_checked(void **state)
{
    (void)state;
    struct placement *p = make(8);
    struct placement_outcome out[8];
    struct placement_effect e;
    struct fleet_claim c;
    bool ask, suspect;
    join(p, "arena", 1, 0, true);
    struct fleet_msg m = result(FLEET_PLACED, "arena", 9, OTHER, 0);
    assert_int_equal(placement_apply(p, &m, 1000 * MS, out, 8, &e), 1); /* cached */
    assert_int_equal(placement_join(p, "arena", 2, 0, "", 1100 * MS, &c, &ask, &suspect),
                     PLACEMENT_PARKED);
    assert_true(ask && suspect);
    m = result(FLEET_PLACED, "arena", 10, MINE, 1200 * MS); /* taken over: here */
    m.suspect = true;
    assert_int_equal(placement_apply(p, &m, 1200 * MS, out, 8, &e), 1);
    assert_int_equal(out[0].verdict, PLACEMENT_HERE);

    join(p, "hall", 3, 0, true); /* asked, not as suspect */
    assert_int_equal(placement_join(p, "hall", 4, 0, "10.0.0.3:7003", 2000 * MS, &c, &ask,
                                    &suspect), PLACEMENT_PARKED);
    assert_false(ask);
    m = result(FLEET_PLACED, "hall", 7, OTHER, 2100 * MS);
    assert_int_equal(placement_apply(p, &m, 2100 * MS, out, 8, &e), 0); /* both wait */
    assert_true(e.ask);
    assert_string_equal(e.claim.room, "hall");
    assert_string_equal(e.claim.addr, "10.0.0.3:7003");
    assert_int_equal(placement_parked(p), 2);
    m.suspect = true; /* the holder is alive after all: both go there */
    assert_int_equal(placement_apply(p, &m, 2200 * MS, out, 8, &e), 2);
    assert_int_equal(out[0].verdict, PLACEMENT_MOVED);
    assert_false(e.ask);
    assert_int_equal(placement_join(p, "named", 5, 0, "10.0.0.3:7003", 2300 * MS, &c, &ask,
                                    &suspect), PLACEMENT_PARKED);
    assert_true(ask && suspect); /* the question names the relay lost */
    assert_string_equal(c.room, "named");
    assert_string_equal(c.addr, "10.0.0.3:7003");
    placement_destroy(p);
}

static void unplaced_and_unreachable_refuse_new_rooms_only(void **state)
{
    (void)state;
    struct placement *p = make(8);
    struct placement_outcome out[8];
    struct placement_effect e;
    join(p, "here", 1, 0, true);
    struct fleet_msg m = result(FLEET_PLACED, "here", 1, MINE, 0);
    placement_apply(p, &m, 0, out, 8, &e);
    join(p, "full", 2, 0, true);
    m = result(FLEET_UNPLACED, "full", 0, NULL, 0);
    assert_int_equal(placement_apply(p, &m, 0, out, 8, &e), 1);
    assert_int_equal(out[0].verdict, PLACEMENT_FULL);
    join(p, "down", 3, 0, true);
    m = result(FLEET_UNPLACED, "down", 0, NULL, 0);
    m.unreachable = true;
    assert_int_equal(placement_apply(p, &m, 0, out, 8, &e), 1);
    assert_int_equal(out[0].verdict, PLACEMENT_UNAVAILABLE);
    m = (struct fleet_msg){.type = FLEET_REACHABLE, .unreachable = true};
    placement_apply(p, &m, 0, out, 8, &e);
    assert_true(placement_unreachable(p));
    assert_int_equal(join(p, "new", 4, 0, false), PLACEMENT_UNAVAILABLE);
    assert_int_equal(join(p, "here", 5, 0, false), PLACEMENT_HERE);
    m.unreachable = false;
    placement_apply(p, &m, 0, out, 8, &e);
    assert_int_equal(join(p, "new", 4, 0, true), PLACEMENT_PARKED);
    placement_destroy(p);
}

static void parked_joins_are_bounded_and_expire(void **state)
{
    (void)state;
    struct placement *p = make(2);
    assert_int_equal(join(p, "a", 1, 0, true), PLACEMENT_PARKED);
    assert_int_equal(join(p, "b", 2, 1000 * MS, true), PLACEMENT_PARKED);
    assert_int_equal(join(p, "a", 3, 0, false), PLACEMENT_BUSY);
    struct placement_outcome out[2];
    assert_int_equal(placement_expire(p, 3000 * MS, out, 2), 1); /* 1's deadline */
    assert_int_equal(out[0].peer, 1);
    assert_int_equal(out[0].verdict, PLACEMENT_UNAVAILABLE);
    placement_forget(p, 2);
    assert_int_equal(placement_parked(p), 0);
    /* Placed here after everyone left: the claim goes back. */
    struct placement_effect e;
    struct fleet_msg m = result(FLEET_PLACED, "b", 4, MINE, 0);
    assert_int_equal(placement_apply(p, &m, 0, out, 2, &e), 0);
    assert_true(e.release);
    assert_int_equal(e.claim.epoch, 4);
    assert_int_equal(placement_rooms_here(p), 0);
    placement_destroy(p);
}

static void a_room_is_served_while_its_lease_holds(void **state)
{
    (void)state;
    struct placement *p = make(4);
    struct placement_outcome out[4];
    struct placement_effect e;
    join(p, "r", 1, 0, true);
    struct fleet_msg m = result(FLEET_PLACED, "r", 1, MINE, 100 * MS);
    placement_apply(p, &m, 100 * MS, out, 4, &e);
    assert_int_equal(placement_lease_until(p, "r"), 9100 * MS); /* 9 s from its placement */
    m = (struct fleet_msg){.type = FLEET_CONFIRMED, .at_us = 9000 * MS};
    placement_apply(p, &m, 9200 * MS, out, 4, &e);
    assert_int_equal(placement_lease_until(p, "r"), 18000 * MS);
    m = (struct fleet_msg){.type = FLEET_CONFIRMED, .at_us = 8000 * MS}; /* an older one */
    placement_apply(p, &m, 9300 * MS, out, 4, &e);
    assert_int_equal(placement_lease_until(p, "r"), 18000 * MS);
    m = result(FLEET_RECLAIMED, "r", 2, MINE, 18500 * MS);
    placement_apply(p, &m, 18500 * MS, out, 4, &e);
    assert_int_equal(placement_lease_until(p, "r"), 27500 * MS);
    assert_int_equal(placement_lease_until(p, "unknown"), UINT64_MAX); /* not ours to judge */
    placement_destroy(p);
}

static void a_lost_or_handed_room_moves_its_members(void **state)
{
    (void)state;
    struct placement *p = make(4);
    struct placement_outcome out[4];
    struct placement_effect e;
    join(p, "r", 1, 0, true);
    struct fleet_msg m = result(FLEET_PLACED, "r", 1, MINE, 0);
    placement_apply(p, &m, 0, out, 4, &e);
    m = result(FLEET_LOST, "r", 7, OTHER, 0);
    assert_int_equal(placement_apply(p, &m, 0, out, 4, &e), 0);
    assert_true(e.move_members);
    assert_string_equal(e.claim.addr, "10.0.0.2:7777");
    assert_int_equal(placement_rooms_here(p), 0);
    assert_int_equal(join(p, "r", 2, 0, false), PLACEMENT_MOVED);
    /* Handed nowhere (epoch 0): forgotten. */
    join(p, "s", 3, 0, true);
    m = result(FLEET_PLACED, "s", 2, MINE, 0);
    placement_apply(p, &m, 0, out, 4, &e);
    m = result(FLEET_HANDED, "s", 0, NULL, 0);
    placement_apply(p, &m, 0, out, 4, &e);
    assert_true(e.move_members);
    assert_int_equal(e.claim.epoch, 0);
    assert_int_equal(join(p, "s", 4, 0, true), PLACEMENT_PARKED);
    placement_destroy(p);
}

static void draining_refuses_new_rooms_and_closing_releases(void **state)
{
    (void)state;
    struct placement *p = make(4);
    struct placement_outcome out[4];
    struct placement_effect e;
    join(p, "kept", 1, 0, true);
    struct fleet_msg m = result(FLEET_PLACED, "kept", 3, MINE, 0);
    placement_apply(p, &m, 0, out, 4, &e);
    join(p, "waiting", 2, 0, true);
    assert_int_equal(placement_drain(p, out, 4), 1);
    assert_int_equal(out[0].peer, 2);
    assert_int_equal(out[0].verdict, PLACEMENT_DRAINING);
    assert_int_equal(join(p, "new", 3, 0, false), PLACEMENT_DRAINING);
    assert_int_equal(join(p, "kept", 4, 0, false), PLACEMENT_HERE);
    struct fleet_claim c;
    assert_true(placement_room_closed(p, "kept", &c));
    assert_int_equal(c.epoch, 3);
    assert_false(placement_room_closed(p, "kept", &c));
    assert_int_equal(placement_rooms_here(p), 0);
    placement_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_new_room_parks_its_joins_until_placed_here),
        cmocka_unit_test(another_relays_room_is_moved_and_cached),
        cmocka_unit_test(a_join_that_lost_its_relay_has_the_holder_checked),
        cmocka_unit_test(unplaced_and_unreachable_refuse_new_rooms_only),
        cmocka_unit_test(parked_joins_are_bounded_and_expire),
        cmocka_unit_test(a_room_is_served_while_its_lease_holds),
        cmocka_unit_test(a_lost_or_handed_room_moves_its_members),
        cmocka_unit_test(draining_refuses_new_rooms_and_closing_releases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
