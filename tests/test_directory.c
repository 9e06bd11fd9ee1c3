/* test_directory.c: the fleet's directory against a real redis-server:
 * placement, claims and their races, renewal, takeover, release and handover,
 * and what a Redis that lost its data leaves. */
/* The fleet's directory against a real redis-server that
 * each test starts on a free loopback port and stops (support/redis.c):
 * least-loaded placement, the claim race (10 relays in threads, 200 rooms),
 * renewal, a lapsed relay's lost and reclaimed claims, takeover from a dead
 * holder, release and handover, place renewing its holder's key, epochs
 * above each relay's high-water mark after Redis lost its data, a reported
 * holder kept while it beats, awaited while overdue and taken over once
 * stale, a holder a report names taken over at once and kept out (once
 * per keep-out) when its reporter is a member the holder published, a
 * stranger's report moving nothing, the members living with the claim, the
 * room's record going to the relay it is placed on next, no new room for a
 * stale relay, Redis stopped, paused and restarted empty, a record fenced
 * by its version and restored where its claim is gone, a full Redis
 * keeping its rooms and refusing new ones, a relay full of records placed
 * no new room, a lost room waiting for its holder's restore, what a room
 * costs Redis within what its relay counts, the server holding
 * none of the test's descriptors and dying with a test that dies; and the
 * rooms' entries each relay writes, listed a page at a time (5000 rooms),
 * filtered in the directory, written and removed with their claims, a join
 * of any room's pick and free name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fleet/directory.h"
#include "sys/clock.h"
#include "tests/support/redis.h"

static char err[512];

/* A relay's directory: address 127.0.0.1:700N, instance of letter inst,
 * stale after stale_ms without a heartbeat (0: the default). */
static struct directory *relay_dir_with(const struct redisproc *r, int n, char inst,
                                        uint32_t ttl_ms, uint32_t stale_ms,
                                        uint32_t restore_ms)
{
    struct directory_config c = {.capacity = 100, .ttl_ms = ttl_ms, .stale_ms = stale_ms,
                                 .timeout_ms = 500, .restore_ms = restore_ms};
    assert_int_equal(fleet_redis_url_parse(r->url, &c.url, err, sizeof err), 0);
    strcpy(c.prefix, "test");
    snprintf(c.addr, sizeof c.addr, "127.0.0.1:%d", 7000 + n);
    strcpy(c.transport, n % 2 ? "udp" : "enet");
    memset(c.instance, inst, FLEET_INSTANCE_LEN);
    struct directory *d = directory_create(&c);
    assert_non_null(d);
    if (directory_connect(d, err, sizeof err) != 0)
        fail_msg("%s", err);
    return d;
}

static struct directory *relay_dir_stale(const struct redisproc *r, int n, char inst,
                                         uint32_t ttl_ms, uint32_t stale_ms)
{
    return relay_dir_with(r, n, inst, ttl_ms, stale_ms, 0);
}

/* Relay N that has lost rooms wait restore_ms after the directory was
 * away (TTL 10 s). */
static struct directory *relay_dir_restore(const struct redisproc *r, int n,
                                           uint32_t restore_ms)
{
    return relay_dir_with(r, n, (char)('a' + n), 10000, 0, restore_ms);
}

static struct directory *relay_dir_as(const struct redisproc *r, int n, char inst,
                                      uint32_t ttl_ms)
{
    return relay_dir_stale(r, n, inst, ttl_ms, 0);
}

/* Relay N: 127.0.0.1:700N, instance of the Nth letter after 'a'. */
static struct directory *relay_dir(const struct redisproc *r, int n, uint32_t ttl_ms)
{
    return relay_dir_as(r, n, (char)('a' + n), ttl_ms);
}

static void beat(struct directory *d, uint32_t rooms, uint32_t clients, bool draining)
{
    struct directory_load load = {.rooms = rooms, .clients = clients, .draining = draining};
    if (directory_heartbeat(d, &load, NULL, 0, NULL, err, sizeof err) != 0)
        fail_msg("%s", err);
}

/* d's placement of room (lost and reporter as directory_place takes
 * them): its outcome, the rest of its answer in *pl (what pl held freed
 * first; {0} to start). */
static enum directory_outcome ask(struct directory *d, const char *room, const char *lost,
                                  const char *reporter, struct directory_placement *pl)
{
    directory_placement_free(pl);
    return directory_place(d, room, lost, reporter, pl, err, sizeof err);
}

/* The claim a placement of room answers; *pl its whole answer (NULL: not
 * wanted). */
static struct fleet_claim place_as(struct directory *d, const char *room,
                                   struct directory_placement *pl)
{
    struct directory_placement own = {0}, *at = pl ? pl : &own;
    if (ask(d, room, NULL, NULL, at) != DIRECTORY_CLAIMED)
        fail_msg("place %s: %s", room, err);
    struct fleet_claim c = at->claim;
    directory_placement_free(&own);
    return c;
}

static struct fleet_claim place(struct directory *d, const char *room)
{
    return place_as(d, room, NULL);
}

static void rooms_go_to_the_least_loaded_relay_ties_to_the_asker(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 10000), *b = relay_dir(&r, 2, 10000);
    struct fleet_claim c;
    struct directory_placement pl = {0};
    /* nobody registered */
    assert_int_equal(ask(a, "r1", NULL, NULL, &pl), DIRECTORY_NONE);
    beat(a, 0, 0, false);
    beat(b, 0, 0, false);
    c = place(a, "r1");
    assert_string_equal(c.addr, "127.0.0.1:7001");
    assert_string_equal(c.transport, "udp");
    uint64_t e1 = c.epoch;
    c = place(a, "r2"); /* a holds one room now, b none */
    assert_string_equal(c.addr, "127.0.0.1:7002");
    assert_string_equal(c.transport, "enet");
    assert_true(c.epoch > e1);
    c = place(b, "r3"); /* one each: b asked */
    assert_string_equal(c.addr, "127.0.0.1:7002");
    c = place(b, "r1"); /* held: the same answer for everyone */
    assert_string_equal(c.addr, "127.0.0.1:7001");
    assert_int_equal(c.epoch, e1);
    /* A draining or full relay is not chosen. */
    beat(b, 2, 0, true);
    c = place(b, "r4");
    assert_string_equal(c.addr, "127.0.0.1:7001");
    beat(a, 2, 100, false);
    assert_int_equal(ask(b, "r5", NULL, NULL, &pl), DIRECTORY_NONE);
    char out[256];
    test_redis_cmd(&r, out, sizeof out, "HGET test:relay:127.0.0.1:7001 clients");
    assert_string_equal(out, "100");
    directory_destroy(a);
    directory_destroy(b);
    test_redis_stop(&r);
}

/* The claim race: relays in threads place the same rooms at once. */
#define RACERS 10
#define RACE_ROOMS 200

struct racer {
    struct directory *d;
    struct fleet_claim got[RACE_ROOMS];
    int failures;
};

static void *race(void *arg)
{
    struct racer *x = arg;
    char e[256];
    for (int i = 0; i < RACE_ROOMS; i++) {
        char room[16];
        snprintf(room, sizeof room, "race%d", i);
        struct directory_placement pl;
        if (directory_place(x->d, room, NULL, NULL, &pl, e, sizeof e) != DIRECTORY_CLAIMED)
            x->failures++;
        x->got[i] = pl.claim;
        directory_placement_free(&pl);
    }
    return NULL;
}

static void racing_placements_agree_on_one_relay_per_room(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    static struct racer x[RACERS];
    for (int i = 0; i < RACERS; i++) {
        x[i] = (struct racer){.d = relay_dir(&r, i, 10000)};
        beat(x[i].d, 0, 0, false);
    }
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, race, &x[i]), 0);
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    int holders[RACERS] = {0};
    for (int room = 0; room < RACE_ROOMS; room++) {
        for (int i = 0; i < RACERS; i++) {
            assert_int_equal(x[i].failures, 0);
            assert_int_equal(x[i].got[room].epoch, x[0].got[room].epoch);
            assert_string_equal(x[i].got[room].addr, x[0].got[room].addr);
            assert_string_equal(x[i].got[room].instance, x[0].got[room].instance);
        }
        holders[atoi(strchr(x[0].got[room].addr, ':') + 1) - 7000]++;
    }
    /* Spread by load: no relay got more than its share plus one. */
    for (int i = 0; i < RACERS; i++)
        assert_in_range(holders[i], RACE_ROOMS / RACERS - 1, RACE_ROOMS / RACERS + 1);
    for (int i = 0; i < RACERS; i++)
        directory_destroy(x[i].d);
    test_redis_stop(&r);
}

static long long pttl(const struct redisproc *r, const char *key)
{
    char out[64];
    test_redis_cmd(r, out, sizeof out, "PTTL %s", key);
    return atoll(out);
}

static void heartbeats_renew_registration_and_claims(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 1000);
    assert_int_equal(redisproc_count_keys(&r, "*:relay:*"), 0);
    beat(a, 0, 0, false);
    assert_int_equal(redisproc_count_keys(&r, "*:relay:*"), 1); /* what the bench waits on */
    struct fleet_claim held[1] = {place(a, "kept")};
    uint64_t until = clock_now_ms() + 2500; /* past two TTLs */
    while (clock_now_ms() < until) {
        enum directory_renewal res[1];
        assert_int_equal(directory_heartbeat(a, &(struct directory_load){1, 2, false}, held, 1,
                                             res, err, sizeof err), 0);
        assert_int_equal(res[0], DIRECTORY_RENEWED);
        assert_in_range(pttl(&r, "test:room:kept"), 800, 1000);
        assert_in_range(pttl(&r, "test:relay:127.0.0.1:7001"), 800, 1000);
        clock_sleep_ms(300);
    }
    char out[128];
    test_redis_cmd(&r, out, sizeof out, "SMEMBERS test:relays");
    assert_string_equal(out, "127.0.0.1:7001");
    /* Without heartbeats both lapse. */
    clock_sleep_ms(1100);
    test_redis_cmd(&r, out, sizeof out, "EXISTS test:room:kept test:relay:127.0.0.1:7001");
    assert_string_equal(out, "0");
    assert_int_equal(redisproc_count_keys(&r, "*:relay:*"), 0);
    directory_destroy(a);
    test_redis_stop(&r);
}

/* A relay that stops heartbeating (paused, partitioned) past the TTL loses
 * its rooms to a live relay; its next heartbeat reports them lost, and a
 * claim that lapsed with nobody taking it comes back under a new epoch. */
static void a_lapsed_relay_loses_its_claims(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 400), *b = relay_dir(&r, 2, 10000);
    beat(a, 0, 0, false);
    beat(b, 5, 0, false); /* busier: a gets the rooms */
    struct fleet_claim held[2] = {place(a, "taken"), place(a, "quiet")};
    assert_string_equal(held[0].addr, "127.0.0.1:7001");
    assert_string_equal(held[1].addr, "127.0.0.1:7001");
    uint64_t quiet_epoch = held[1].epoch;
    clock_sleep_ms(500); /* a's registration and claims lapse */
    struct fleet_claim now = place(b, "taken");
    assert_string_equal(now.addr, "127.0.0.1:7002");
    assert_true(now.epoch > held[0].epoch);
    enum directory_renewal res[2];
    assert_int_equal(directory_heartbeat(a, &(struct directory_load){2, 0, false}, held, 2, res,
                                         err, sizeof err), 0);
    assert_int_equal(res[0], DIRECTORY_LOST);
    assert_string_equal(held[0].addr, "127.0.0.1:7002");
    assert_int_equal(held[0].epoch, now.epoch);
    assert_int_equal(res[1], DIRECTORY_RECLAIMED);
    assert_string_equal(held[1].addr, "127.0.0.1:7001");
    assert_true(held[1].epoch > quiet_epoch);
    directory_destroy(a);
    directory_destroy(b);
    test_redis_stop(&r);
}

/* A claim whose holder's registration is gone (SIGKILL) is taken over at
 * once, before the claim itself expires. */
static void a_dead_holders_room_is_taken_over(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 10000), *b = relay_dir(&r, 2, 10000);
    beat(a, 0, 0, false);
    beat(b, 9, 0, false);
    struct fleet_claim c = place(a, "orphan");
    assert_string_equal(c.addr, "127.0.0.1:7001");
    assert_int_equal(directory_deregister(a, err, sizeof err), 0);
    struct fleet_claim now = place(b, "orphan");
    assert_string_equal(now.addr, "127.0.0.1:7002");
    assert_true(now.epoch > c.epoch);
    /* A new run at the same address (another instance) takes over what the
     * earlier run held. */
    beat(a, 0, 0, false);
    c = place(a, "reborn");
    assert_string_equal(c.instance, "bbbbbbbbbbbbbbbb");
    struct directory *a2 = relay_dir_as(&r, 1, 'z', 10000);
    beat(a2, 0, 0, false);
    now = place(a2, "reborn");
    assert_string_equal(now.addr, "127.0.0.1:7001");
    assert_string_equal(now.instance, "zzzzzzzzzzzzzzzz");
    assert_true(now.epoch > c.epoch);
    directory_destroy(a);
    directory_destroy(a2);
    directory_destroy(b);
    test_redis_stop(&r);
}

static void release_and_handover_only_what_is_held(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 10000), *b = relay_dir(&r, 2, 10000);
    beat(a, 0, 0, false);
    beat(b, 3, 0, false);
    struct fleet_claim c = place(a, "gone"), stale = c, out;
    stale.epoch++;
    assert_int_equal(directory_release(a, &stale, 0, true, err, sizeof err), 0);
    assert_int_equal(directory_release(a, &c, 0, true, err, sizeof err), 1);
    char text[128];
    test_redis_cmd(&r, text, sizeof text, "EXISTS test:room:gone");
    assert_string_equal(text, "0");
    /* Handover: to b under a new epoch; a stale holder learns who has it. */
    c = place(a, "moving");
    assert_string_equal(c.addr, "127.0.0.1:7001");
    beat(a, 1, 0, true);
    assert_int_equal(directory_handover(a, &c, &out, err, sizeof err), 1);
    assert_string_equal(out.addr, "127.0.0.1:7002");
    assert_true(out.epoch > c.epoch);
    struct fleet_claim again;
    assert_int_equal(directory_handover(a, &c, &again, err, sizeof err), 2);
    assert_int_equal(again.epoch, out.epoch);
    /* With nobody else to take it the claim is deleted. */
    assert_int_equal(directory_deregister(b, err, sizeof err), 0);
    beat(a, 0, 0, false);
    c = place(a, "last");
    assert_int_equal(directory_handover(a, &c, &out, err, sizeof err), 0);
    test_redis_cmd(&r, text, sizeof text, "EXISTS test:room:last");
    assert_string_equal(text, "0");
    directory_destroy(a);
    directory_destroy(b);
    test_redis_stop(&r);
}

/* Its holder asking for a room it holds gets its claim back with the
 * key's expiry renewed: the holder starts a whole lease from that answer,
 * so the key must outlive it. Another relay asking renews nothing. */
static void place_renews_the_holders_claim(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 10000), *b = relay_dir(&r, 2, 10000);
    beat(a, 0, 0, false);
    beat(b, 5, 0, false);
    struct fleet_claim c = place(a, "held");
    char out[64];
    test_redis_cmd(&r, out, sizeof out, "PEXPIRE test:room:held 300");
    struct fleet_claim other = place(b, "held");
    assert_int_equal(other.epoch, c.epoch);
    assert_true(pttl(&r, "test:room:held") <= 300);
    struct fleet_claim again = place(a, "held");
    assert_int_equal(again.epoch, c.epoch);
    assert_in_range(pttl(&r, "test:room:held"), 9000, 10000);
    directory_destroy(a);
    directory_destroy(b);
    test_redis_stop(&r);
}

/* Redis restarted empty: the epoch counter starts again, but no relay
 * hands out an epoch at or below one it has seen (its high-water mark),
 * and its heartbeat raises the counter for the others. */
static void epochs_never_go_back_after_redis_loses_data(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 10000);
    beat(a, 0, 0, false);
    uint64_t top = 0;
    for (int i = 0; i < 5; i++) {
        char room[16];
        snprintf(room, sizeof room, "e%d", i);
        struct fleet_claim c = place(a, room);
        assert_int_equal(directory_release(a, &c, 0, true, err, sizeof err), 1);
        top = c.epoch;
    }
    test_redis_stop(&r);
    test_redis_restart(&r);
    assert_int_equal(directory_connect(a, err, sizeof err), 0);
    beat(a, 0, 0, false); /* a holds nothing: its high-water mark is the floor */
    struct directory *b = relay_dir(&r, 2, 10000); /* never saw an epoch */
    beat(b, 0, 0, false);
    struct fleet_claim c = place(b, "fresh");
    assert_true(c.epoch > top);
    c = place(a, "mine");
    assert_true(c.epoch > top);
    directory_destroy(a);
    directory_destroy(b);
    test_redis_stop(&r);
}

/* d heartbeats every 50 ms for ms, alone (the other relay stays silent). */
static void beats_alone(struct directory *d, int ms)
{
    for (uint64_t end = clock_now_ms() + (uint64_t)ms; clock_now_ms() < end;) {
        beat(d, 9, 0, false);
        clock_sleep_ms(50);
    }
}

static enum directory_outcome suspect(struct directory *d, const char *room,
                                      struct directory_placement *pl)
{
    return ask(d, room, "", NULL, pl);
}

/* A client that lost its relay says so (suspect): the holder keeps its
 * room while its heartbeats are current, is waited for while they are
 * overdue, and is taken over once they have stopped for stale_ms while the
 * directory answered, long before its registration expires; it hears of
 * the loss at its next heartbeat. Right after the directory itself was
 * away, nobody is stale. */
static void a_reported_holder_is_taken_over_once_stale(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir_stale(&r, 1, 'a', 10000, 400);
    struct directory *b = relay_dir_stale(&r, 2, 'b', 10000, 400);
    beat(a, 0, 0, false);
    beat(b, 9, 0, false);
    struct fleet_claim held[1] = {place(a, "lost")};
    struct directory_placement pl = {0};
    assert_string_equal(held[0].addr, "127.0.0.1:7001");
    assert_int_equal(suspect(b, "lost", &pl), DIRECTORY_CLAIMED); /* a beat just now */
    assert_int_equal(pl.claim.epoch, held[0].epoch);              /* it keeps it */
    beats_alone(b, 250);
    assert_int_equal(suspect(b, "lost", &pl), DIRECTORY_WAIT); /* overdue: ask again */
    assert_in_range(pl.wait_ms, 1, 200);
    assert_int_equal(place(b, "lost").epoch, held[0].epoch); /* nobody reported it */
    beats_alone(b, 250);
    assert_int_equal(suspect(b, "lost", &pl), DIRECTORY_CLAIMED);
    assert_string_equal(pl.claim.addr, "127.0.0.1:7002");
    assert_true(pl.claim.epoch > held[0].epoch);
    enum directory_renewal res[1];
    assert_int_equal(directory_heartbeat(a, &(struct directory_load){1, 0, false}, held, 1, res,
                                         err, sizeof err), 0);
    assert_int_equal(res[0], DIRECTORY_LOST);
    assert_int_equal(held[0].epoch, pl.claim.epoch);

    /* b holds it now and stops; the directory is away longer than that. */
    kill(r.proc.pid, SIGSTOP);
    clock_sleep_ms(600);
    kill(r.proc.pid, SIGCONT);
    beat(a, 0, 0, false);
    assert_int_equal(suspect(a, "lost", &pl), DIRECTORY_CLAIMED); /* up again just now: */
    assert_string_equal(pl.claim.addr, "127.0.0.1:7002");         /* b is not stale */
    beats_alone(a, 450);
    assert_int_equal(suspect(a, "lost", &pl), DIRECTORY_CLAIMED);
    assert_string_equal(pl.claim.addr, "127.0.0.1:7001");
    directory_placement_free(&pl);
    directory_destroy(a);
    directory_destroy(b);
    test_redis_stop(&r);
}

#define ALICE "a11ce00000000001" /* a member's player id */
#define MALLORY "3a11031000000002" /* a stranger's */

/* A report that names the holder takes the room from it at once, though
 * it beats (its players cannot reach it), and keeps it out of the room
 * for directory_keep_out_ms; the holder hears of it at its next heartbeat.
 * Once per keep-out; a report naming a relay that does not hold it: held. */
static enum directory_outcome named(struct directory *d, const char *lost,
                                    const char *reporter, struct directory_placement *pl)
{
    return ask(d, "named", lost, reporter, pl);
}

static uint64_t version; /* of the records the tests' holders write, raised at each */

/* The holder publishes the room's members (and its record, a version
 * above the last). */
static void keep(struct directory *d, const struct fleet_claim *c, const char *record,
                 const char *member)
{
    const char *members[] = {member};
    assert_int_equal(directory_keep(d, c, record, ++version, false, members, member ? 1 : 0,
                                    err, sizeof err),
                     DIRECTORY_KEPT);
}

static void a_named_holder_is_taken_over_at_once_and_kept_out(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 10000), *b = relay_dir(&r, 2, 10000),
                     *c = relay_dir(&r, 3, 10000);
    beat(a, 0, 0, false), beat(b, 9, 0, false), beat(c, 9, 0, false);
    struct fleet_claim held[1] = {place(a, "named")}, got;
    struct directory_placement pl = {0};
    keep(a, &held[0], NULL, ALICE);
    assert_int_equal(named(b, "127.0.0.1:7003", ALICE, &pl), DIRECTORY_CLAIMED);
    assert_int_equal(pl.claim.epoch, held[0].epoch); /* names another: held */
    assert_int_equal(named(b, "127.0.0.1:7001", ALICE, &pl), DIRECTORY_CLAIMED);
    assert_false(pl.refused);
    got = pl.claim;
    assert_string_equal(got.addr, "127.0.0.1:7002"); /* the asker, on a tie */
    assert_true(got.epoch > held[0].epoch);
    assert_string_equal(pl.kept_out, "127.0.0.1:7001");
    char out[64]; /* the keep-out's time left */
    test_redis_cmd(&r, out, sizeof out, "PTTL test:out:named");
    assert_in_range(strtoul(out, NULL, 10), directory_keep_out_ms(b) - 2000,
                    directory_keep_out_ms(b));
    enum directory_renewal res[1];
    assert_int_equal(directory_heartbeat(a, &(struct directory_load){1, 0, false}, held, 1, res,
                                         err, sizeof err), 0);
    assert_int_equal(res[0], DIRECTORY_LOST);
    assert_int_equal(named(c, "127.0.0.1:7002", ALICE, &pl), DIRECTORY_CLAIMED);
    assert_int_equal(pl.claim.epoch, got.epoch); /* within the keep-out: b keeps it */
    directory_placement_free(&pl);
    directory_destroy(a), directory_destroy(b), directory_destroy(c);
    test_redis_stop(&r);
}

/* A report naming a holder that beats moves the room only when its
 * reporter is one of the members the holder published: a stranger's (or
 * one with no player) is answered as a plain join, the holder keeps the
 * room and no keep-out is set, so a member's report still moves it. */
static void a_strangers_report_moves_nothing(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 10000), *b = relay_dir(&r, 2, 10000);
    beat(a, 0, 0, false), beat(b, 9, 0, false);
    struct fleet_claim held = place(a, "named");
    struct directory_placement pl = {0};
    assert_int_equal(named(b, "127.0.0.1:7001", ALICE, &pl), DIRECTORY_CLAIMED);
    assert_int_equal(pl.claim.epoch, held.epoch); /* nothing published */
    assert_true(pl.refused);
    keep(a, &held, NULL, ALICE);
    assert_int_equal(named(b, "127.0.0.1:7001", MALLORY, &pl), DIRECTORY_CLAIMED);
    assert_int_equal(pl.claim.epoch, held.epoch);
    assert_string_equal(pl.claim.addr, "127.0.0.1:7001");
    assert_true(pl.refused);
    assert_int_equal(named(b, "127.0.0.1:7001", NULL, &pl), DIRECTORY_CLAIMED);
    assert_int_equal(pl.claim.epoch, held.epoch); /* no key: no evidence */
    assert_true(pl.refused);
    char text[64];
    test_redis_cmd(&r, text, sizeof text, "EXISTS test:out:named test:shun:127.0.0.1:7001");
    assert_string_equal(text, "0");
    assert_int_equal(named(b, "127.0.0.1:7001", ALICE, &pl), DIRECTORY_CLAIMED);
    assert_false(pl.refused);
    assert_string_equal(pl.claim.addr, "127.0.0.1:7002");
    directory_placement_free(&pl);
    directory_destroy(a), directory_destroy(b);
    test_redis_stop(&r);
}

/* The members a holder publishes live with its record, a keep-out past
 * their last write or renewal (renewed by its heartbeats, replaced at each
 * write, deleted when it releases the room): a holder cut off from the
 * directory loses its claim first, and the room's next holder takes them
 * back in; a relay that no longer holds the room writes none. */
static void members_live_with_the_record(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 2000), *b = relay_dir(&r, 2, 2000);
    beat(a, 0, 0, false), beat(b, 9, 0, false);
    struct fleet_claim held[1] = {place(a, "named")}, got;
    struct directory_placement pl = {0};
    const char *two[] = {ALICE, MALLORY};
    assert_int_equal(directory_keep(a, &held[0], NULL, 0, false, two, 2, err, sizeof err),
                     DIRECTORY_KEPT);
    char text[64];
    test_redis_cmd(&r, text, sizeof text, "SCARD test:members:named");
    assert_string_equal(text, "2");
    test_redis_cmd(&r, text, sizeof text, "PTTL test:members:named");
    assert_in_range(strtoul(text, NULL, 10), directory_keep_out_ms(a) - 1000,
                    directory_keep_out_ms(a));
    keep(a, &held[0], NULL, ALICE); /* Mallory left */
    test_redis_cmd(&r, text, sizeof text, "SISMEMBER test:members:named " MALLORY);
    assert_string_equal(text, "0");
    clock_sleep_ms(1200);
    beat(b, 9, 0, false);
    enum directory_renewal res[1];
    assert_int_equal(directory_heartbeat(a, &(struct directory_load){1, 0, false}, held, 1, res,
                                         err, sizeof err), 0);
    test_redis_cmd(&r, text, sizeof text, "PTTL test:members:named");
    assert_in_range(strtoul(text, NULL, 10), directory_keep_out_ms(a) - 500,
                    directory_keep_out_ms(a));
    struct fleet_claim old = held[0];
    assert_int_equal(named(b, "127.0.0.1:7001", ALICE, &pl), DIRECTORY_CLAIMED);
    got = pl.claim;
    directory_placement_free(&pl);
    assert_string_equal(got.addr, "127.0.0.1:7002");
    const char *none[] = {NULL};
    assert_int_equal(directory_keep(a, &old, "{}", ++version, false, none, 0, err, sizeof err),
                     DIRECTORY_KEPT_NOT_OURS);
    keep(b, &got, NULL, MALLORY);
    assert_int_equal(directory_release(b, &got, 0, true, err, sizeof err), 1);
    test_redis_cmd(&r, text, sizeof text, "EXISTS test:members:named");
    assert_string_equal(text, "0");
    directory_destroy(a), directory_destroy(b);
    test_redis_stop(&r);
}

/* A room's record, as its holder last wrote it, goes to the relay the
 * room is placed on next, in the placement's answer (and to no other
 * asker): after a move on a member's report, after its holder died (the
 * room placed anew, the record outliving the claim by a keep-out, renewed
 * by the holder's heartbeats), and after a release whose last member was
 * dropped; a room whose last member left ends with its record. */
static void a_rooms_record_goes_with_its_placement(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 1000), *b = relay_dir(&r, 2, 1000);
    beat(a, 0, 0, false), beat(b, 9, 0, false);
    struct directory_placement pl = {0};
    struct fleet_claim held[1] = {place_as(a, "named", &pl)}, got;
    assert_null(pl.record); /* a new room: none */
    keep(a, &held[0], "{\"owner\":\"" ALICE "\"}", ALICE);
    char text[128];
    test_redis_cmd(&r, text, sizeof text, "PTTL test:keep:named");
    assert_in_range(strtoul(text, NULL, 10), directory_keep_out_ms(a) - 1000,
                    directory_keep_out_ms(a));
    place_as(b, "named", &pl); /* another relay's room: moved there, no record */
    assert_null(pl.record);
    place_as(a, "named", &pl); /* its holder's: the record */
    assert_string_equal(pl.record, "{\"owner\":\"" ALICE "\"}");
    assert_int_equal(named(b, "127.0.0.1:7001", ALICE, &pl), DIRECTORY_CLAIMED);
    got = pl.claim;
    assert_string_equal(got.addr, "127.0.0.1:7002");
    assert_string_equal(pl.record, "{\"owner\":\"" ALICE "\"}");
    assert_string_equal(pl.members, ALICE); /* who takes its place back in it */
    keep(b, &got, "{\"owner\":\"" ALICE "\",\"size\":3}", ALICE);

    /* b dies: its claim expires (TTL 1 s), the record does not; a is kept
     * out (the report), c takes the room with its record. */
    directory_destroy(b);
    clock_sleep_ms(1300);
    test_redis_cmd(&r, text, sizeof text, "EXISTS test:room:named");
    assert_string_equal(text, "0");
    struct directory *c = relay_dir(&r, 3, 1000);
    beat(c, 0, 0, false);
    held[0] = place_as(c, "named", &pl);
    assert_string_equal(held[0].addr, "127.0.0.1:7003");
    assert_string_equal(pl.record, "{\"owner\":\"" ALICE "\",\"size\":3}");
    directory_placement_free(&pl);
    /* Its last member dropped: released, the record kept; left: gone. */
    assert_int_equal(directory_release(c, &held[0], 5000, false, err, sizeof err), 1);
    test_redis_cmd(&r, text, sizeof text, "EXISTS test:keep:named");
    assert_string_equal(text, "1");
    held[0] = place(c, "other");
    keep(c, &held[0], "{}", ALICE);
    assert_int_equal(directory_release(c, &held[0], 0, true, err, sizeof err), 1);
    test_redis_cmd(&r, text, sizeof text, "EXISTS test:keep:other test:members:other");
    assert_string_equal(text, "0");
    directory_destroy(c);
    directory_destroy(a);
    test_redis_stop(&r);
}

/* A relay whose heartbeats stopped is not given new rooms. */
static void a_stale_relay_gets_no_new_room(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir_stale(&r, 1, 'a', 10000, 400);
    struct directory *b = relay_dir_stale(&r, 2, 'b', 10000, 400);
    beat(a, 0, 0, false);
    beat(b, 9, 0, false);
    assert_string_equal(place(b, "first").addr, "127.0.0.1:7001");
    beats_alone(b, 500);
    assert_string_equal(place(b, "second").addr, "127.0.0.1:7002");
    directory_destroy(a);
    directory_destroy(b);
    test_redis_stop(&r);
}

/* Redis stopped: calls fail within the timeout and drop the connection;
 * paused (SIGSTOP): the same, bounded by the timeout; back (empty, as
 * after a restart without persistence): reconnect, and a heartbeat
 * reclaims every room under new epochs. */
static void redis_down_and_back(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 10000);
    beat(a, 0, 0, false);
    struct fleet_claim held[2] = {place(a, "one"), place(a, "two")};
    enum directory_renewal res[2];
    struct directory_load load = {2, 4, false};

    kill(r.proc.pid, SIGSTOP);
    uint64_t t0 = clock_now_ms();
    assert_int_equal(directory_heartbeat(a, &load, held, 2, res, err, sizeof err), -1);
    assert_true(clock_now_ms() - t0 < 3000); /* bounded by the timeout, not hung */
    assert_false(directory_connected(a));
    kill(r.proc.pid, SIGCONT);

    test_redis_stop(&r);
    assert_int_equal(directory_connect(a, err, sizeof err), -1);
    assert_non_null(strstr(err, "127.0.0.1"));
    struct directory_placement pl = {0};
    assert_int_equal(ask(a, "three", NULL, NULL, &pl), DIRECTORY_FAILED);
    assert_non_null(strstr(err, "not connected"));
    struct fleet_claim c;

    test_redis_restart(&r);
    assert_int_equal(directory_connect(a, err, sizeof err), 0);
    uint64_t e0 = held[0].epoch, e1 = held[1].epoch;
    assert_int_equal(directory_heartbeat(a, &load, held, 2, res, err, sizeof err), 0);
    assert_int_equal(res[0], DIRECTORY_RECLAIMED);
    assert_int_equal(res[1], DIRECTORY_RECLAIMED);
    /* The counter restarted empty too: epochs still move forward. */
    assert_true(held[0].epoch > e0 && held[1].epoch > e1);
    c = place(a, "one");
    assert_int_equal(c.epoch, held[0].epoch);
    directory_destroy(a);
    test_redis_stop(&r);
}

/* A record is fenced by its version as a claim by its epoch: a write of
 * one older than the directory's leaves it (its members are written); a
 * relay writes only under its claim, but where that claim is gone (Redis
 * lost it, or the relay let the room go) a restore writes the record and
 * members back, unless another live relay holds the room or a newer record
 * is kept. */
static void a_record_never_goes_back_to_an_older_version(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 10000), *b = relay_dir(&r, 2, 10000);
    beat(a, 0, 0, false), beat(b, 9, 0, false);
    struct fleet_claim held = place(a, "v");
    const char *one[] = {ALICE};
    char text[256];
    assert_int_equal(directory_keep(a, &held, "{\"v\":5}", 5, false, one, 1, err, sizeof err),
                     DIRECTORY_KEPT);
    assert_int_equal(directory_keep(a, &held, "{\"v\":4}", 4, false, one, 1, err, sizeof err),
                     DIRECTORY_KEPT_NEWER);
    test_redis_cmd(&r, text, sizeof text, "GET test:keep:v");
    assert_string_equal(text, "{\"v\":5}");
    test_redis_cmd(&r, text, sizeof text, "GET test:keepv:v");
    assert_string_equal(text, "5");

    /* Redis lost the room: written back only as a restore. */
    test_redis_cmd(&r, text, sizeof text, "DEL test:room:v test:keep:v test:keepv:v");
    assert_int_equal(directory_keep(a, &held, "{\"v\":6}", 6, false, one, 1, err, sizeof err),
                     DIRECTORY_KEPT_NOT_OURS);
    assert_int_equal(directory_keep(a, &held, "{\"v\":6}", 6, true, one, 1, err, sizeof err),
                     DIRECTORY_KEPT);
    test_redis_cmd(&r, text, sizeof text, "GET test:keep:v");
    assert_string_equal(text, "{\"v\":6}");
    test_redis_cmd(&r, text, sizeof text, "SMEMBERS test:members:v");
    assert_string_equal(text, ALICE);
    /* ... not over a newer record, */
    assert_int_equal(directory_keep(a, &held, "{\"v\":3}", 3, true, one, 1, err, sizeof err),
                     DIRECTORY_KEPT_NOT_OURS);
    /* ... and not where another live relay holds the room now. */
    beat(a, 99, 0, false); /* a busier than b */
    struct fleet_claim other = place(b, "v");
    assert_string_equal(other.addr, "127.0.0.1:7002");
    assert_int_equal(directory_keep(a, &held, "{\"v\":7}", 7, true, one, 1, err, sizeof err),
                     DIRECTORY_KEPT_NOT_OURS);
    test_redis_cmd(&r, text, sizeof text, "GET test:keep:v");
    assert_string_equal(text, "{\"v\":6}");
    directory_destroy(a), directory_destroy(b);
    test_redis_stop(&r);
}

/* Redis past its maxmemory (noeviction): a registered relay's heartbeat
 * still renews its claims, a room held is still answered, but a new room
 * is refused (the limit named: maxmemory) and no record is written; with
 * room again, rooms are placed again. */
static void a_full_redis_keeps_its_rooms_and_refuses_new_ones(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 10000), *b = relay_dir(&r, 2, 10000);
    beat(a, 0, 0, false), beat(b, 9, 0, false);
    struct fleet_claim held[1] = {place(a, "old")};
    char text[256];
    test_redis_cmd(&r, text, sizeof text, "CONFIG SET maxmemory-policy noeviction");
    test_redis_cmd(&r, text, sizeof text, "INFO memory");
    const char *at = strstr(text, "used_memory:");
    assert_non_null(at);
    unsigned long long mem = strtoull(at + 12, NULL, 10);
    /* the limit 1 MB above what it holds, and ballast 1.25 MB: written by
     * one script, which Redis does not stop halfway */
    test_redis_cmd(&r, text, sizeof text, "CONFIG SET maxmemory %llu", mem + 1024 * 1024);
    test_redis_cmd(&r, text, sizeof text, "EVAL %s 0",
                   "for i = 1, 1280 do redis.call('SET', 'ballast' .. i, string.rep('x', 1000)) "
                   "end return 1");
    test_redis_cmd(&r, text, sizeof text, "SET one more");
    assert_non_null(strstr(text, "OOM"));
    enum directory_renewal res[1];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(directory_heartbeat(a, &(struct directory_load){1, 1, false}, held, 1,
                                             res, err, sizeof err), 0);
        assert_int_equal(res[0], DIRECTORY_RENEWED);
    }
    struct directory_placement pl = {0};
    assert_int_equal(ask(b, "old", NULL, NULL, &pl), DIRECTORY_CLAIMED);
    assert_int_equal(pl.claim.epoch, held[0].epoch);
    assert_int_equal(ask(b, "new", NULL, NULL, &pl), DIRECTORY_NONE);
    assert_int_equal(pl.limit, DIRECTORY_LIMIT_MAXMEMORY);
    test_redis_cmd(&r, text, sizeof text, "EXISTS test:room:new");
    assert_string_equal(text, "0");
    const char *one[] = {ALICE};
    assert_int_equal(directory_keep(a, &held[0], "{\"big\":1}", 1, false, one, 1, err,
                                    sizeof err),
                     DIRECTORY_KEPT_FULL);
    assert_non_null(strstr(err, "maxmemory"));
    test_redis_cmd(&r, text, sizeof text, "EVAL %s 0",
                   "for i = 1, 1280 do redis.call('DEL', 'ballast' .. i) end return 1");
    assert_int_equal(ask(b, "new", NULL, NULL, &pl), DIRECTORY_CLAIMED);
    directory_placement_free(&pl);
    directory_destroy(a), directory_destroy(b);
    test_redis_stop(&r);
}

/* Placement skips a relay whose rooms' records fill its budget, as one
 * full of clients; when none can take the room, the answer says which
 * limit kept it. */
static void a_relay_full_of_records_takes_no_new_room(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 10000), *b = relay_dir(&r, 2, 10000);
    struct directory_load full = {.full = true};
    assert_int_equal(directory_heartbeat(a, &full, NULL, 0, NULL, err, sizeof err), 0);
    beat(b, 9, 0, false);
    assert_string_equal(place(a, "r1").addr, "127.0.0.1:7002"); /* a asked: b has more */
    assert_int_equal(directory_heartbeat(b, &full, NULL, 0, NULL, err, sizeof err), 0);
    struct directory_placement pl = {0};
    assert_int_equal(ask(a, "r2", NULL, NULL, &pl), DIRECTORY_NONE);
    assert_int_equal(pl.limit, DIRECTORY_LIMIT_RECORDS);
    beat(a, 0, 100, false); /* a: clients at its capacity, no longer full of records */
    assert_int_equal(ask(b, "r2", NULL, NULL, &pl), DIRECTORY_NONE);
    assert_int_equal(pl.limit, DIRECTORY_LIMIT_RECORDS);
    beat(b, 9, 100, false);
    assert_int_equal(ask(b, "r2", NULL, NULL, &pl), DIRECTORY_NONE);
    assert_int_equal(pl.limit, DIRECTORY_LIMIT_CLIENTS);
    directory_destroy(a), directory_destroy(b);
    test_redis_stop(&r);
}

/* After the directory was away (restarted empty here), a join that lost
 * its room's relay waits restore_ms from its return before the room,
 * held by nobody, is placed anew: its last holder writes its record back
 * meanwhile, and the room is placed with it. A plain join does not wait. */
static void a_lost_room_waits_for_its_holder_to_restore_it(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 10000), *b = relay_dir_restore(&r, 2, 800);
    beat(a, 0, 0, false), beat(b, 9, 0, false);
    struct fleet_claim held = place(a, "lost");
    const char *one[] = {ALICE};
    assert_int_equal(directory_keep(a, &held, "{\"v\":1}", 1, false, one, 1, err, sizeof err),
                     DIRECTORY_KEPT);
    test_redis_stop(&r);
    test_redis_restart(&r);
    assert_int_equal(directory_connect(b, err, sizeof err), 0);
    beat(b, 9, 0, false);
    struct directory_placement pl = {0};
    assert_int_equal(ask(b, "lost", "", NULL, &pl), DIRECTORY_WAIT);
    uint32_t wait = pl.wait_ms;
    assert_in_range(wait, 1, 800);
    assert_int_equal(ask(b, "fresh", NULL, NULL, &pl), DIRECTORY_CLAIMED);
    assert_int_equal(directory_connect(a, err, sizeof err), 0);
    assert_int_equal(directory_keep(a, &held, "{\"v\":1}", 1, true, one, 1, err, sizeof err),
                     DIRECTORY_KEPT);
    clock_sleep_ms(wait + 50);
    beat(a, 99, 0, false); /* busier: b, which asks, takes the room and its record */
    assert_int_equal(ask(b, "lost", "", NULL, &pl), DIRECTORY_CLAIMED);
    assert_string_equal(pl.record, "{\"v\":1}");
    assert_string_equal(pl.members, ALICE);
    assert_int_equal(pl.version, 1);
    directory_placement_free(&pl);
    directory_destroy(a), directory_destroy(b);
    test_redis_stop(&r);
}

/* Redis's used_memory now. */
static unsigned long long used_memory(const struct redisproc *r)
{
    char text[4096];
    test_redis_cmd(r, text, sizeof text, "INFO memory");
    const char *at = strstr(text, "used_memory:");
    assert_non_null(at);
    return strtoull(at + 12, NULL, 10);
}

/* n rooms placed on d, each with an entry of props, a record of len bytes
 * (0: none) and m members: what they cost Redis, and what d's budget counts
 * (schema.h's FLEET_COST_*). */
static void rooms_cost(struct redisproc *r, struct directory *d, const char *prefix, int n,
                       size_t len, size_t m, unsigned long long *cost,
                       unsigned long long *counted)
{
    static char record[FLEET_KEEP_BYTES + 1];
    static char ids[FLEET_KEEP_MEMBERS][PROTO_PLAYER_LEN + 1];
    static const char *members[FLEET_KEEP_MEMBERS];
    memset(record, 'x', len);
    record[len] = '\0';
    for (size_t j = 0; j < m; j++) {
        snprintf(ids[j], sizeof ids[j], "%016zx", j * 7919 + 1);
        members[j] = ids[j];
    }
    unsigned long long before = used_memory(r);
    for (int i = 0; i < n; i++) {
        char room[32], entry[FLEET_ENTRY_MAX];
        snprintf(room, sizeof room, "%s%d", prefix, i);
        struct fleet_claim c = place(d, room);
        struct proto_room_entry e = {.members = (uint32_t)m, .capacity = 1024};
        struct proto_props props = {0};
        assert_int_equal(proto_props_add(&props, "props", "map", "a-map-name-of-some-length",
                                         NULL, 0), 0);
        assert_true(fleet_room_entry_format(&e, &props, entry, sizeof entry) > 0);
        const char *rooms[] = {room}, *entries[] = {entry};
        assert_int_equal(directory_rooms_put(d, rooms, entries, 1, err, sizeof err), 0);
        assert_int_equal(directory_keep(d, &c, len ? record : NULL, 1, false, members, m, err,
                                        sizeof err),
                         DIRECTORY_KEPT);
    }
    *cost = used_memory(r) - before;
    *counted = (unsigned long long)n * (FLEET_COST_ROOM + FLEET_COST_RECORD(len) +
                                        m * FLEET_COST_MEMBER);
}

/* What a room costs Redis is within what its relay counts against its
 * budget of records (proto/FLEET.md, Memory): rooms with the largest
 * record, with a thousand members, with neither. */
static void a_rooms_cost_in_redis_is_what_its_relay_counts(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 60000);
    beat(a, 0, 0, false);
    struct { const char *prefix; int n; size_t len, m; } kinds[] = {
        {"largest", 64, FLEET_KEEP_BYTES, 8}, {"crowd", 4, 0, FLEET_KEEP_MEMBERS},
        {"bare", 256, 0, 1}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        unsigned long long cost, counted;
        rooms_cost(&r, a, kinds[k].prefix, kinds[k].n, kinds[k].len, kinds[k].m, &cost,
                   &counted);
        print_message("%d rooms, a record of %zu bytes, %zu members: %llu bytes in Redis, "
                      "%llu counted\n", kinds[k].n, kinds[k].len, kinds[k].m, cost, counted);
        assert_true(cost <= counted);
    }
    directory_destroy(a);
    test_redis_stop(&r);
}

/* Many claims renew in several script calls (chunks) and a lost one among
 * them is found. */
static void many_claims_renew_in_chunks(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 10000), *b = relay_dir(&r, 2, 10000);
    beat(a, 0, 0, false);
    beat(b, 100000, 0, false);
    enum { N = 600 };
    static struct fleet_claim held[N];
    static enum directory_renewal res[N];
    for (int i = 0; i < N; i++) {
        char room[16];
        snprintf(room, sizeof room, "m%d", i);
        held[i] = place(a, room);
    }
    char out[64];
    test_redis_cmd(&r, out, sizeof out, "SET test:room:m555 %s", "1 127.0.0.1:7002 enet cccccccccccccccc");
    assert_int_equal(directory_heartbeat(a, &(struct directory_load){N, 0, false}, held, N, res,
                                         err, sizeof err), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(res[i], i == 555 ? DIRECTORY_LOST : DIRECTORY_RENEWED);
    assert_string_equal(held[555].addr, "127.0.0.1:7002");
    directory_destroy(a);
    directory_destroy(b);
    test_redis_stop(&r);
}

/* Room i of the listing tests: "r0000".., members i % 4 of 4, props map
 * m<i % 5> and tag t<i>; its entry into text. */
static void entry_of(int i, char room[8], char *text, size_t cap)
{
    struct proto_room_entry e = {.members = (uint32_t)i % 4, .capacity = 4};
    struct proto_props p = {0};
    char map[4] = {'m', (char)('0' + i % 5), '\0'}, tag[16];
    snprintf(tag, sizeof tag, "t%d", i);
    snprintf(room, 8, "r%04d", i);
    snprintf(e.room, sizeof e.room, "%s", room);
    assert_int_equal(proto_props_add(&p, "props", "map", map, NULL, 0), 0);
    assert_int_equal(proto_props_add(&p, "props", "tag", tag, NULL, 0), 0);
    assert_true(fleet_room_entry_format(&e, &p, text, cap) > 0);
}

static int list(struct directory *d, const char *prefix, const char *after,
                const struct proto_props *match, struct directory_listing *out)
{
    struct directory_query q = {.prefix = prefix, .after = after, .match = match};
    if (directory_list(d, &q, out, err, sizeof err) != 0)
        fail_msg("list: %s", err);
    return (int)out->n;
}

/* 5000 rooms of one relay, written as entries: another relay lists them
 * all in name order with their props, 64 a page, each page walking the
 * index from its after; a filter finds one of them (its walk crossing
 * several script calls); a prefix narrows the walk. */
static void rooms_are_listed_from_their_entries_page_by_page(void **state)
{
    (void)state;
    enum { N = 5000 };
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 60000), *b;
    beat(a, 0, 0, false);
    static char rooms[N][8], texts[N][FLEET_ENTRY_MAX];
    static const char *names[N], *entries[N];
    for (int i = 0; i < N; i++) {
        entry_of(i, rooms[i], texts[i], sizeof texts[i]);
        place(a, rooms[i]);
        names[i] = rooms[i];
        entries[i] = texts[i];
    }
    assert_int_equal(directory_rooms_put(a, names, entries, N, err, sizeof err), 0);
    b = relay_dir(&r, 2, 60000);
    beat(b, 0, 0, false);
    static struct directory_listing got;
    char after[PROTO_ROOM_MAX + 1] = "";
    int seen = 0, pages = 0;
    do {
        int n = list(b, "", after, NULL, &got);
        for (int k = 0; k < n; k++, seen++) {
            assert_string_equal(got.rooms[k].room, rooms[seen]);
            assert_int_equal(got.rooms[k].members, (uint32_t)seen % 4);
            char tag[16];
            snprintf(tag, sizeof tag, "t%d", seen);
            assert_string_equal(proto_props_get(&got.props[k], "tag"), tag);
        }
        assert_int_equal(n, got.more ? PROTO_ROOMS_PAGE : N % PROTO_ROOMS_PAGE);
        snprintf(after, sizeof after, "%s", got.rooms[n - 1].room);
        pages++;
    } while (got.more);
    assert_int_equal(seen, N);
    assert_int_equal(pages, (N + PROTO_ROOMS_PAGE - 1) / PROTO_ROOMS_PAGE);

    struct proto_props needle = {0};
    assert_int_equal(proto_props_add(&needle, "match", "tag", "t4321", NULL, 0), 0);
    assert_int_equal(list(b, "", "", &needle, &got), 1);
    assert_string_equal(got.rooms[0].room, "r4321");
    assert_false(got.more);
    assert_true(got.calls >= 3); /* 5000 names, FLEET_LIST_WALK a call */
    assert_int_equal(list(b, "r43", "r4320", &needle, &got), 1);
    assert_int_equal(got.calls, 1);
    assert_int_equal(list(b, "r43", "r4321", &needle, &got), 0);
    assert_false(got.more);
    char cursor[PROTO_ROOM_MAX + 1] = "";
    assert_int_equal(directory_sweep(b, cursor, err, sizeof err), 0); /* all live: kept */
    assert_string_equal(cursor, rooms[FLEET_SWEEP_PER_BEAT - 1]);
    assert_int_equal(list(b, "", "", NULL, &got), PROTO_ROOMS_PAGE);
    directory_destroy(a);
    directory_destroy(b);
    test_redis_stop(&r);
}

/* An entry is written only while its writer holds the room's claim, and
 * removed only by it; an entry whose holder went away, or whose room
 * another relay claims now, is listed by none and removed by the walk, or
 * by a heartbeat's sweep. */
static void entries_follow_their_claims(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 60000), *b = relay_dir(&r, 2, 60000);
    char out[256], room[8], text[FLEET_ENTRY_MAX];
    static struct directory_listing got;
    beat(a, 0, 0, false);
    entry_of(7, room, text, sizeof text);
    struct fleet_claim c = place(a, room);
    const char *names[] = {room}, *entries[] = {text}, *gone[] = {""};
    assert_int_equal(directory_rooms_put(a, names, entries, 1, err, sizeof err), 0);
    assert_int_equal(directory_rooms_put(b, names, entries, 1, err, sizeof err), 0);
    test_redis_cmd(&r, out, sizeof out, "HGET test:rooms %s", room);
    assert_string_equal(out, "127.0.0.1:7001 bbbbbbbbbbbbbbbb 3 4 {\"map\":\"m2\",\"tag\":\"t7\"}");
    assert_int_equal(directory_rooms_put(b, names, gone, 1, err, sizeof err), 0);
    assert_int_equal(list(b, "", "", NULL, &got), 1); /* b removes none of a's */

    assert_int_equal(directory_deregister(a, err, sizeof err), 0); /* a is gone */
    beat(b, 0, 0, false);
    char cursor[PROTO_ROOM_MAX + 1] = "";
    assert_int_equal(directory_sweep(b, cursor, err, sizeof err), 0); /* a heartbeat's */
    assert_string_equal(cursor, ""); /* the index's end: from the first next time */
    test_redis_cmd(&r, out, sizeof out, "HEXISTS test:rooms %s", room);
    assert_string_equal(out, "0");
    assert_int_equal(list(b, "", "", NULL, &got), 0);
    test_redis_cmd(&r, out, sizeof out, "HEXISTS test:rooms %s", room);
    assert_string_equal(out, "0");
    test_redis_cmd(&r, out, sizeof out, "ZCARD test:roomidx");
    assert_string_equal(out, "0");

    beat(a, 1, 0, false); /* back, its claim intact: written again, listed */
    assert_int_equal(directory_rooms_put(a, names, entries, 1, err, sizeof err), 0);
    assert_int_equal(list(b, "", "", NULL, &got), 1);
    assert_int_equal(directory_release(a, &c, 0, true, err, sizeof err), 1); /* with the claim */
    test_redis_cmd(&r, out, sizeof out, "HEXISTS test:rooms %s", room);
    assert_string_equal(out, "0");
    c = place(b, room); /* b's now (fewer rooms, a tie to the asker) */
    assert_string_equal(c.addr, "127.0.0.1:7002");
    assert_int_equal(directory_rooms_put(a, names, entries, 1, err, sizeof err), 0);
    assert_int_equal(list(b, "", "", NULL, &got), 0); /* a's write refused */
    directory_destroy(a);
    directory_destroy(b);
    test_redis_stop(&r);
}

static void put_entry(struct directory *d, const char *room, uint32_t members,
                      uint32_t capacity, bool closed, bool unlisted, const char *map)
{
    struct proto_room_entry e = {.members = members, .capacity = capacity, .closed = closed,
                                 .unlisted = unlisted};
    struct proto_props p = {0};
    char text[FLEET_ENTRY_MAX];
    snprintf(e.room, sizeof e.room, "%s", room);
    if (map)
        assert_int_equal(proto_props_add(&p, "props", "map", map, NULL, 0), 0);
    place(d, room);
    assert_true(fleet_room_entry_format(&e, &p, text, sizeof text) > 0);
    assert_int_equal(directory_rooms_put(d, &room, (const char *const[]){text}, 1, err,
                                         sizeof err), 0);
}

static const char *pick(struct directory *d, const char *prefix, const char *map,
                        struct directory_listing *got)
{
    struct proto_props match = {0};
    if (map)
        assert_int_equal(proto_props_add(&match, "match", "map", map, NULL, 0), 0);
    struct directory_query q = {.prefix = prefix, .after = "", .match = &match, .any = true};
    if (directory_list(d, &q, got, err, sizeof err) != 0)
        fail_msg("pick: %s", err);
    return got->pick.room[0] ? got->pick.room : got->free;
}

/* A join of any room: the fullest open, listed room with space whose props
 * hold the match, first by name of equals; none: the prefix and the
 * smallest number no entry names. */
static void any_picks_the_fullest_room_with_space_or_a_free_name(void **state)
{
    (void)state;
    struct redisproc r;
    test_redis_start(&r);
    struct directory *a = relay_dir(&r, 1, 60000);
    static struct directory_listing got;
    beat(a, 0, 0, false);
    put_entry(a, "g1", 2, 4, false, false, "dust");
    put_entry(a, "g2", 3, 4, true, false, "dust");  /* closed */
    put_entry(a, "g3", 1, 4, false, true, "dust");  /* unlisted */
    put_entry(a, "g4", 4, 4, false, false, "dust"); /* full */
    put_entry(a, "g5", 2, 4, false, false, "dune");
    put_entry(a, "g7", 2, 3, false, false, "dune");
    assert_string_equal(pick(a, "g", NULL, &got), "g1");
    assert_string_equal(pick(a, "g", "dune", &got), "g5");
    assert_string_equal(pick(a, "g", "dust", &got), "g1");
    assert_string_equal(pick(a, "g", "mars", &got), "g6");
    assert_string_equal(pick(a, "h", NULL, &got), "h1");
    put_entry(a, "g8", 3, 4, false, false, "dust");
    assert_string_equal(pick(a, "g", NULL, &got), "g8");
    directory_destroy(a);
    test_redis_stop(&r);
}

/* The server keeps none of the test's descriptors: a pipe's write end
 * open in the test when it starts is closed for good once the test closes
 * its own (a daemon holding a lock or a pipe holds up whoever waits). */
static void redis_server_inherits_no_descriptor(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    struct redisproc r;
    test_redis_start(&r);
    close(fds[1]);
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    assert_int_equal(poll(&p, 1, 2000), 1);
    char c;
    assert_int_equal(read(fds[0], &c, 1), 0); /* end of file: no writer left */
    close(fds[0]);
    test_redis_stop(&r);
}

static bool port_accepts(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* A test process that dies without stopping its server (a crash, a
 * SIGKILL) takes the server with it. */
static void redis_server_dies_with_its_test(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    struct redisproc r;
    if (pid == 0) {
        char e[256];
        if (redisproc_start(&r, e, sizeof e) != 0)
            r.port = 0;
        if (write(fds[1], &r, sizeof r) != sizeof r)
            r.port = 0;
        _exit(r.port ? 0 : 1); /* no atexit handlers: as if killed */
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], &r, sizeof r), sizeof r);
    close(fds[0]);
    uint16_t port = r.port;
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    uint64_t deadline = clock_now_ms() + 5000;
    while (port_accepts(port) && clock_now_ms() < deadline)
        clock_sleep_ms(20);
    assert_false(port_accepts(port));
    /* Its folder stays, as a killed test's would: taken away here. */
    memset(&r.proc, 0, sizeof r.proc);
    redisproc_stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rooms_go_to_the_least_loaded_relay_ties_to_the_asker),
        cmocka_unit_test(racing_placements_agree_on_one_relay_per_room),
        cmocka_unit_test(heartbeats_renew_registration_and_claims),
        cmocka_unit_test(a_lapsed_relay_loses_its_claims),
        cmocka_unit_test(a_dead_holders_room_is_taken_over),
        cmocka_unit_test(release_and_handover_only_what_is_held),
        cmocka_unit_test(place_renews_the_holders_claim),
        cmocka_unit_test(a_reported_holder_is_taken_over_once_stale),
        cmocka_unit_test(a_named_holder_is_taken_over_at_once_and_kept_out),
        cmocka_unit_test(a_strangers_report_moves_nothing),
        cmocka_unit_test(members_live_with_the_record),
        cmocka_unit_test(a_rooms_record_goes_with_its_placement),
        cmocka_unit_test(a_stale_relay_gets_no_new_room),
        cmocka_unit_test(epochs_never_go_back_after_redis_loses_data),
        cmocka_unit_test(redis_down_and_back),
        cmocka_unit_test(a_record_never_goes_back_to_an_older_version),
        cmocka_unit_test(a_full_redis_keeps_its_rooms_and_refuses_new_ones),
        cmocka_unit_test(a_relay_full_of_records_takes_no_new_room),
        cmocka_unit_test(a_lost_room_waits_for_its_holder_to_restore_it),
        cmocka_unit_test(a_rooms_cost_in_redis_is_what_its_relay_counts),
        cmocka_unit_test(many_claims_renew_in_chunks),
        cmocka_unit_test(rooms_are_listed_from_their_entries_page_by_page),
        cmocka_unit_test(entries_follow_their_claims),
        cmocka_unit_test(any_picks_the_fullest_room_with_space_or_a_free_name),
        cmocka_unit_test(redis_server_inherits_no_descriptor),
        cmocka_unit_test(redis_server_dies_with_its_test),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
