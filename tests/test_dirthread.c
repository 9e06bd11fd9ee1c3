/* test_dirthread: the directory thread as the relay's loop sees it, through
 * its two rings, against a real redis-server and a stand-in Agones
 * sidecar: the first answer, placement, confirmations, the fleet's rooms
 * listed from the directory, a lost claim, Redis down and back,
 * a drain, a reported holder awaited then taken over, a room's members and
 * record written and handed to its next relay with its placement, written
 * back when Redis lost them and kept within the relay's budget, and the
 * Agones call sequence with a sidecar that starts late. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/dirthread.h"
#include "sys/clock.h"
#include "tests/support/agones_sdk.h"
#include "tests/support/redis.h"

#define TTL_MS 1000

static char err[512];

static struct dirthread_config config(const struct redisproc *r, int n)
{
    struct dirthread_config c = {.heartbeat_ms = TTL_MS / 10, .retry_ms = 100,
                                 .health_ms = 200, .ring_slots = 256,
                                 .records_budget = 1 << 20};
    if (r) {
        c.use_directory = true;
        c.dir = (struct directory_config){.capacity = 100, .ttl_ms = TTL_MS,
                                          .timeout_ms = 300};
        assert_int_equal(fleet_redis_url_parse(r->url, &c.dir.url, err, sizeof err), 0);
        strcpy(c.dir.prefix, "t");
        snprintf(c.dir.addr, sizeof c.dir.addr, "127.0.0.1:%d", 7000 + n);
        strcpy(c.dir.transport, "enet");
        memset(c.dir.instance, 'a' + n, FLEET_INSTANCE_LEN);
    }
    return c;
}

static struct dirthread *start(const struct dirthread_config *c)
{
    struct dirthread *t = dirthread_start(c, err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    return t;
}

/* The next result of this type (for room, if not NULL) within timeout_ms,
 * as the loop would wait for it; others are skipped. Fails otherwise. */
static struct fleet_msg wait_for(struct dirthread *t, enum fleet_msg_type type,
                                 const char *room, int timeout_ms)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)timeout_ms;
    struct fleet_msg m;
    for (;;) {
        dirthread_ack(t);
        while (dirthread_poll(t, &m))
            if (m.type == type && (!room || strcmp(m.claim.room, room) == 0))
                return m;
        uint64_t now = clock_now_ms();
        if (now >= deadline)
            fail_msg("no result of type %d%s%s within %d ms", (int)type, room ? " for " : "",
                     room ? room : "", timeout_ms);
        struct pollfd p = {.fd = dirthread_fd(t), .events = POLLIN};
        poll(&p, 1, (int)(deadline - now));
    }
}

static void post(struct dirthread *t, enum fleet_msg_type type, const char *room)
{
    struct fleet_msg m = {.type = type};
    if (room)
        snprintf(m.claim.room, sizeof m.claim.room, "%s", room);
    assert_true(dirthread_post(t, &m));
}

static struct fleet_claim placed(struct dirthread *t, const char *room)
{
    post(t, FLEET_PLACE, room);
    return wait_for(t, FLEET_PLACED, room, 3000).claim;
}

/* The loop's rooms to publish, one room of members and capacity. */
static void post_listing(struct dirthread *t, const char *room, uint32_t members)
{
    struct fleet_msg m = {.type = FLEET_LISTING, .n_listing = 1};
    assert_non_null(m.listing = fleet_listing_alloc(1, &m.props));
    memset(m.listing, 0, sizeof *m.listing);
    memset(m.props, 0, sizeof *m.props);
    snprintf(m.listing->room, sizeof m.listing->room, "%s", room);
    m.listing->members = members;
    m.listing->capacity = 8;
    assert_true(dirthread_post(t, &m));
}

/* The fleet's rooms as the directory lists them through t, once they are
 * n and room has members (within 3 s, or the test fails). */
static void until_fleet_lists(struct dirthread *t, size_t n, const char *room,
                              uint32_t members)
{
    size_t got = 0;
    for (int i = 0; i < 30; i++) {
        struct fleet_query *q = calloc(1, sizeof *q);
        assert_non_null(q);
        q->ask = (uint32_t)i + 1;
        assert_true(dirthread_post(t, &(struct fleet_msg){.type = FLEET_LIST, .query = q}));
        struct fleet_msg m = wait_for(t, FLEET_LISTED, NULL, 1000);
        assert_ptr_equal(m.query, q);
        bool named = false;
        got = q->answered ? q->got.n : 0;
        for (size_t k = 0; k < got; k++)
            named |= strcmp(q->got.rooms[k].room, room) == 0 &&
                     q->got.rooms[k].members == members && q->got.rooms[k].capacity == 8;
        free(q); /* the loop's */
        if (named && got == n)
            return;
        clock_sleep_ms(100);
    }
    fail_msg("no listing of %zu rooms with %s (%u): %zu", n, room, (unsigned)members, got);
}

/* Each relay's rooms go into the directory's entries with its heartbeats,
 * what changed; a listing asked of either thread comes back with both,
 * from the directory (queries left in the rings at the stop are freed by
 * it). */
static void each_relay_hears_the_others_rooms(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct dirthread_config ca = config(&r, 1), cb = config(&r, 2);
    struct dirthread *a = start(&ca), *b = start(&cb);
    placed(a, "lobby");
    placed(b, "arena");
    post_listing(a, "lobby", 3);
    post_listing(b, "arena", 1);
    until_fleet_lists(a, 2, "arena", 1);
    until_fleet_lists(b, 2, "lobby", 3);
    post_listing(b, "arena", 2);
    until_fleet_lists(a, 2, "arena", 2);
    struct fleet_query *q = calloc(1, sizeof *q);
    assert_non_null(q);
    assert_true(dirthread_post(a, &(struct fleet_msg){.type = FLEET_LIST, .query = q}));
    clock_sleep_ms(300); /* its answer waits in the ring */
    dirthread_stop(a);
    dirthread_stop(b);
    test_redis_stop(&r);
}

static void places_and_confirms_through_the_rings(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct dirthread_config ca = config(&r, 1), cb = config(&r, 2);
    struct dirthread *a = start(&ca), *b = start(&cb);
    /* The first answer is told (the loop is not ready until it comes), then
     * the registration is confirmed. */
    assert_false(wait_for(a, FLEET_REACHABLE, NULL, 3000).unreachable);
    wait_for(a, FLEET_CONFIRMED, NULL, 3000);
    wait_for(b, FLEET_CONFIRMED, NULL, 3000);
    struct fleet_claim c = placed(a, "lobby");
    assert_string_equal(c.addr, "127.0.0.1:7001");
    struct fleet_claim seen = placed(b, "lobby");
    assert_string_equal(seen.addr, "127.0.0.1:7001");
    assert_int_equal(seen.epoch, c.epoch);
    /* Renewed for three TTLs: the claim stays, confirmations keep coming. */
    uint64_t last = 0;
    for (int i = 0; i < 30; i++) {
        struct fleet_msg m = wait_for(a, FLEET_CONFIRMED, NULL, 1000);
        assert_true(m.at_us > last);
        last = m.at_us;
    }
    char out[128];
    test_redis_cmd(&r, out, sizeof out, "GET t:room:lobby");
    assert_non_null(strstr(out, "127.0.0.1:7001"));
    dirthread_stop(a);
    /* Stopping released the room and deregistered. */
    test_redis_cmd(&r, out, sizeof out, "EXISTS t:room:lobby t:relay:127.0.0.1:7001");
    assert_string_equal(out, "0");
    dirthread_stop(b);
    test_redis_stop(&r);
}

static void a_claim_taken_by_another_relay_is_reported_lost(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct dirthread_config ca = config(&r, 1), cb = config(&r, 2);
    struct dirthread *a = start(&ca), *b = start(&cb);
    wait_for(b, FLEET_CONFIRMED, NULL, 3000);
    struct fleet_claim c = placed(a, "arena");
    assert_string_equal(c.addr, "127.0.0.1:7001");
    char out[64];
    test_redis_cmd(&r, out, sizeof out, "SET t:room:arena %s",
                   "999 127.0.0.1:7002 enet cccccccccccccccc");
    struct fleet_msg m = wait_for(a, FLEET_LOST, "arena", 2000);
    assert_string_equal(m.claim.addr, "127.0.0.1:7002");
    assert_int_equal(m.claim.epoch, 999);
    dirthread_stop(a);
    dirthread_stop(b);
    test_redis_stop(&r);
}

static void redis_down_and_back_is_reconciled(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct dirthread_config ca = config(&r, 1);
    struct dirthread *a = start(&ca);
    struct fleet_claim c = placed(a, "kept");
    test_redis_stop(&r);
    struct fleet_msg m = wait_for(a, FLEET_REACHABLE, NULL, 3000);
    assert_true(m.unreachable);
    post(a, FLEET_PLACE, "new");
    m = wait_for(a, FLEET_UNPLACED, "new", 3000);
    assert_true(m.unreachable);
    test_redis_restart(&r);
    m = wait_for(a, FLEET_REACHABLE, NULL, 3000);
    assert_false(m.unreachable);
    m = wait_for(a, FLEET_RECLAIMED, "kept", 1000);
    assert_string_equal(m.claim.addr, "127.0.0.1:7001");
    assert_true(m.claim.epoch > c.epoch);
    wait_for(a, FLEET_CONFIRMED, NULL, 1000);
    char out[128];
    test_redis_cmd(&r, out, sizeof out, "GET t:room:kept");
    assert_non_null(strstr(out, "127.0.0.1:7001"));
    dirthread_stop(a);
    test_redis_stop(&r);
}

static void a_drain_hands_every_room_to_a_live_relay(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct dirthread_config ca = config(&r, 1), cb = config(&r, 2);
    struct dirthread *a = start(&ca);
    const char *rooms[] = {"r1", "r2", "r3"};
    for (int i = 0; i < 3; i++)
        assert_string_equal(placed(a, rooms[i]).addr, "127.0.0.1:7001");
    struct dirthread *b = start(&cb);
    wait_for(b, FLEET_CONFIRMED, NULL, 3000);
    post(a, FLEET_DRAIN, NULL);
    bool handed[3] = {false};
    for (int k = 0; k < 3; k++) {
        struct fleet_msg m = wait_for(a, FLEET_HANDED, NULL, 3000);
        assert_string_equal(m.claim.addr, "127.0.0.1:7002");
        for (int i = 0; i < 3; i++)
            handed[i] |= strcmp(m.claim.room, rooms[i]) == 0;
    }
    assert_true(handed[0] && handed[1] && handed[2]);
    wait_for(a, FLEET_DRAINED, NULL, 1000);
    post(a, FLEET_PLACE, "late");
    assert_false(wait_for(a, FLEET_UNPLACED, "late", 1000).unreachable);
    char out[128];
    test_redis_cmd(&r, out, sizeof out, "EXISTS t:relay:127.0.0.1:7001");
    assert_string_equal(out, "0");
    assert_string_equal(placed(b, "r2").addr, "127.0.0.1:7002");
    dirthread_stop(a);
    dirthread_stop(b);
    test_redis_stop(&r);
}

/* Agones without a directory: /ready retried until the sidecar answers,
 * /health at least every 2 s, labels from the load, /shutdown last. */
/* A join that reports its room's holder lost: the thread asks again while
 * the holder is overdue and answers once it is stale (here 1 s without a
 * heartbeat), the room now this relay's, with no answer before. */
static void a_reported_holder_is_awaited_then_taken_over(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct dirthread_config cb = config(&r, 2);
    cb.dir.stale_ms = 1000;
    struct directory_config ca = config(&r, 1).dir;
    struct directory *a = directory_create(&ca); /* a relay that beats once, then dies */
    assert_int_equal(directory_connect(a, err, sizeof err), 0);
    assert_int_equal(directory_heartbeat(a, &(struct directory_load){0}, NULL, 0, NULL, err,
                                         sizeof err), 0);
    struct directory_placement pl;
    assert_int_equal(directory_place(a, "orphan", NULL, NULL, &pl, err, sizeof err),
                     DIRECTORY_CLAIMED);
    struct fleet_claim held = pl.claim;
    directory_placement_free(&pl);
    assert_string_equal(held.addr, "127.0.0.1:7001");
    struct dirthread *tb = start(&cb);
    wait_for(tb, FLEET_CONFIRMED, NULL, 3000); /* b beats: the directory answers */
    clock_sleep_ms(650); /* a is overdue (over 500 ms), not stale */
    uint64_t t0 = clock_now_ms();
    struct fleet_msg m = {.type = FLEET_PLACE, .suspect = true};
    strcpy(m.claim.room, "orphan");
    assert_true(dirthread_post(tb, &m));
    struct fleet_msg got = wait_for(tb, FLEET_PLACED, "orphan", 3000);
    print_message("taken over %llu ms after the report\n",
                  (unsigned long long)(clock_now_ms() - t0));
    assert_true(got.suspect);
    assert_string_equal(got.claim.addr, "127.0.0.1:7002");
    assert_true(got.claim.epoch > held.epoch);
    assert_true(clock_now_ms() - t0 >= 20); /* it waited for a to turn stale */
    dirthread_stop(tb);
    directory_destroy(a);
    test_redis_stop(&r);
}

/* The loop's keep of a room: the thread writes the latest of each room
 * (two posted at once: the second's members, the first's record as the
 * second sent none); a relay that is given the room next gets the record
 * and its members with the placement. */
static void a_rooms_keep_goes_to_its_next_relay(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct dirthread *ta, *tb;
    struct dirthread_config ca = config(&r, 1), cb = config(&r, 2);
    ta = start(&ca);
    wait_for(ta, FLEET_CONFIRMED, NULL, 3000);
    struct fleet_claim held = placed(ta, "kept");
    assert_string_equal(held.addr, "127.0.0.1:7001");
    const char *ids[] = {"a11ce00000000001", "b0b0000000000002"};
    for (int i = 0; i < 2; i++) {
        struct fleet_msg m = {.type = FLEET_KEEP, .n_members = (uint32_t)i + 1};
        strcpy(m.claim.room, "kept");
        assert_non_null(m.members = malloc(2 * PROTO_PLAYER_LEN));
        memcpy(m.members, ids[0], PROTO_PLAYER_LEN);
        memcpy(m.members + PROTO_PLAYER_LEN, ids[1], PROTO_PLAYER_LEN);
        m.record = i == 0 ? strdup("{\"v\":1}") : NULL;
        assert_true(dirthread_post(ta, &m));
    }
    char out[256];
    for (int i = 0; i < 100; i++) {
        test_redis_cmd(&r, out, sizeof out, "SCARD t:members:kept");
        if (strcmp(out, "2") == 0)
            break;
        clock_sleep_ms(20);
    }
    assert_string_equal(out, "2");
    test_redis_cmd(&r, out, sizeof out, "GET t:keep:kept");
    assert_string_equal(out, "{\"v\":1}");
    dirthread_stop(ta); /* released at the stop, not ended: the record stays */
    test_redis_cmd(&r, out, sizeof out, "EXISTS t:room:kept t:keep:kept");
    assert_string_equal(out, "1");
    tb = start(&cb);
    wait_for(tb, FLEET_CONFIRMED, NULL, 3000);
    post(tb, FLEET_PLACE, "kept");
    struct fleet_msg got = wait_for(tb, FLEET_PLACED, "kept", 3000);
    assert_string_equal(got.claim.addr, "127.0.0.1:7002");
    assert_non_null(got.record);
    assert_string_equal(got.record, "{\"v\":1}");
    assert_int_equal(got.n_members, 0); /* a release takes the members with it */
    fleet_msg_free(&got);
    dirthread_stop(tb);
    test_redis_stop(&r);
}

/* A record of the room and its members, as the loop posts them. */
static void post_keep(struct dirthread *t, const char *room, const char *record)
{
    struct fleet_msg m = {.type = FLEET_KEEP, .n_members = 1};
    snprintf(m.claim.room, sizeof m.claim.room, "%s", room);
    assert_non_null(m.members = malloc(PROTO_PLAYER_LEN));
    memcpy(m.members, "a11ce00000000001", PROTO_PLAYER_LEN);
    assert_non_null(m.record = strdup(record));
    assert_true(dirthread_post(t, &m));
}

/* Until Redis's key holds want (a substring), 2 s at most. */
static void until_key(const struct redisproc *r, const char *key, const char *want)
{
    char out[256] = "";
    for (uint64_t end = clock_now_ms() + 2000; clock_now_ms() < end; clock_sleep_ms(20)) {
        test_redis_cmd(r, out, sizeof out, "GET %s", key);
        if (strstr(out, want))
            return;
    }
    fail_msg("%s: '%s', not holding '%s'", key, out, want);
}

/* The holder is its records' source: Redis emptied under it (FLUSHALL,
 * its connection dropped), it writes the room's record back on its next
 * connection, a version above; past its budget of records a bigger one
 * is not kept (the one before stands), and its heartbeats mark it full. */
static void the_holder_writes_its_records_back_within_its_budget(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct dirthread_config ca = config(&r, 1);
    /* what its one room costs Redis with a record of 7 bytes and a member */
    ca.records_budget = FLEET_COST_ROOM + FLEET_COST_RECORD(7) + FLEET_COST_MEMBER;
    struct dirthread *ta = start(&ca);
    wait_for(ta, FLEET_CONFIRMED, NULL, 3000);
    placed(ta, "mine");
    post_keep(ta, "mine", "{\"v\":1}");
    until_key(&r, "t:keep:mine", "{\"v\":1}");
    until_key(&r, "t:keepv:mine", "1");
    char out[256];
    test_redis_cmd(&r, out, sizeof out, "FLUSHALL");
    test_redis_cmd(&r, out, sizeof out, "CLIENT KILL TYPE normal");
    until_key(&r, "t:keep:mine", "{\"v\":1}"); /* written back, and its claim */
    until_key(&r, "t:room:mine", "127.0.0.1:7001");
    static char big[2048];
    memset(big, 'x', sizeof big - 1);
    post_keep(ta, "mine", big); /* past the budget: not kept */
    post_keep(ta, "mine", "{\"v\":2}");
    until_key(&r, "t:keep:mine", "{\"v\":2}");
    until_key(&r, "t:keepv:mine", "2");
    test_redis_cmd(&r, out, sizeof out, "HGET t:relay:127.0.0.1:7001 full");
    for (uint64_t end = clock_now_ms() + 2000; strcmp(out, "1") && clock_now_ms() < end;) {
        clock_sleep_ms(20);
        test_redis_cmd(&r, out, sizeof out, "HGET t:relay:127.0.0.1:7001 full");
    }
    assert_string_equal(out, "1"); /* the budget spent: no new room here */
    dirthread_stop(ta);
    test_redis_stop(&r);
}

static void agones_call_sequence(void **state)
{
    (void)state;
    struct stand_in_sdk *sdk = sdk_start(0);
    uint16_t port = sdk_port(sdk);
    sdk_stop(sdk); /* the sidecar is not up yet */
    struct dirthread_config c = config(NULL, 0);
    c.dir.capacity = 100;
    c.use_agones = true;
    c.agones = (struct agones_sdk){.port = port, .timeout_ms = 500};
    struct dirthread *t = start(&c);
    struct fleet_msg load = {.type = FLEET_LOAD, .rooms = 3, .clients = 17};
    assert_true(dirthread_post(t, &load));
    clock_sleep_ms(300);
    sdk = sdk_start(port);
    struct sdk_call calls[64];
    uint64_t deadline = clock_now_ms() + 5000;
    size_t n;
    while ((n = sdk_calls(sdk, calls, 64)) < 8 && clock_now_ms() < deadline)
        clock_sleep_ms(50);
    post(t, FLEET_DRAIN, NULL);
    wait_for(t, FLEET_DRAINED, NULL, 1000);
    dirthread_stop(t);
    n = sdk_calls(sdk, calls, 64);
    assert_true(n >= 8 && n <= 64);
    size_t ready = n, rooms = n, clients = n, session = n, health = 0;
    uint64_t last_health = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(calls[i].path, "/ready") == 0 && ready == n)
            ready = i;
        if (strstr(calls[i].body, "\"key\":\"rooms\",\"value\":\"3\""))
            rooms = i;
        if (strstr(calls[i].body, "\"key\":\"clients\",\"value\":\"17\""))
            clients = i;
        if (strstr(calls[i].body, "\"key\":\"gs-session-ready\",\"value\":\"true\""))
            session = i;
        if (strcmp(calls[i].path, "/health") == 0) {
            if (health++)
                assert_true(calls[i].at_ms - last_health <= 2000);
            last_health = calls[i].at_ms;
        }
    }
    assert_true(ready < rooms && rooms < n && clients < n && session < n);
    assert_true(health >= 2);
    assert_string_equal(calls[n - 1].path, "/shutdown");
    assert_string_equal(calls[n - 1].method, "POST");
    sdk_stop(sdk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(places_and_confirms_through_the_rings),
        cmocka_unit_test(each_relay_hears_the_others_rooms),
        cmocka_unit_test(a_claim_taken_by_another_relay_is_reported_lost),
        cmocka_unit_test(redis_down_and_back_is_reconciled),
        cmocka_unit_test(a_drain_hands_every_room_to_a_live_relay),
        cmocka_unit_test(a_reported_holder_is_awaited_then_taken_over),
        cmocka_unit_test(a_rooms_keep_goes_to_its_next_relay),
        cmocka_unit_test(the_holder_writes_its_records_back_within_its_budget),
        cmocka_unit_test(agones_call_sequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
