/* test_e2e_fleet.c: relays sharing a real `redis-server`: a `moved` followed,
 * plain-UDP rooms placed (a parked join keeps its endpoint), racing joins
 * through three relays on one relay, a lost claim that stops service (a relay
 * paused past the TTL), `SIGKILL` failover with rejoining clients, a `SIGTERM`
 * drain, Redis down and back (new rooms refused, the existing one flowing), one
 * fleet ticket checked by one relay, sent on with `moved` and admitted (sealed)
 * by another, and a relay's Agones call sequence under the stand-in sidecar
 * (a fleet's listings: test_e2e_fleet_rooms.c) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/lib/client.h"
#include "proto/ticket.h"
#include "sys/keyfile.h"
#include "tests/support/agones_sdk.h"
#include "tests/support/fleet_e2e.h"

#define WAIT_MS FLEET_WAIT_MS

static void start_relay(struct fleet_relay *r, const struct redisproc *redis, const char *extra)
{
    const char *const more[] = {extra, NULL};
    fleet_start_relay(r, redis->url, more);
}

/* A client joining room through relay `via` in mode (timeout 1.5 s);
 * rejoin_ms > 0: it rejoins a lost relay through `via`. */
static struct ricochet *client_in(const struct fleet_relay *via, const char *room,
                                  const char *name, uint32_t rejoin_ms, enum proto_mode mode)
{
    return fleet_client(via, room, name, mode, 1500, rejoin_ms);
}

/* The same in reliable mode. */
static struct ricochet *client(const struct fleet_relay *via, const char *room,
                               const char *name, uint32_t rejoin_ms)
{
    return client_in(via, room, name, rejoin_ms, PROTO_MODE_RELIABLE);
}

#define all_welcomed fleet_all_welcomed
#define until_all_see_all fleet_until_all_see_all
#define destroy_clients fleet_close_clients

static long long relay_stat(struct fleet_relay *r, const char *path)
{
    return harness_relay_stat(&r->p, path);
}

static void a_moved_reply_is_followed(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    struct fleet_relay a, b;
    start_relay(&a, &redis, NULL);
    start_relay(&b, &redis, NULL);
    struct harness_rec rec = {.n = 2};
    rec.c[0] = client(&a, "lobby", "alice", 0);
    assert_int_equal(harness_poll_until(rec.c, 1, WAIT_MS, harness_rec_event, all_welcomed,
                                        &(struct harness_rec){.c = {rec.c[0]}, .n = 1}),
                     0);
    rec.c[1] = client(&b, "lobby", "bob", 0); /* through the other relay */
    until_all_see_all(&rec, WAIT_MS);
    assert_int_equal(ricochet_relay_port(rec.c[1]), a.port);
    assert_int_equal(rec.moved[1], 1);
    assert_int_equal(relay_stat(&b, "moved"), 1);
    assert_int_equal(relay_stat(&b, "members"), 0);
    destroy_clients(&rec);
    free(harness_relay_finish(&a.p));
    free(harness_relay_finish(&b.p));
    test_redis_stop(&redis);
}

/* Plain UDP in a fleet: a join parked while the directory places its room
 * keeps its endpoint (there is no connection to hold it), so the room is
 * created once the directory answers, and a join through another relay is
 * sent there. */
static void plain_udp_rooms_in_a_fleet(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    struct fleet_relay a, b;
    start_relay(&a, &redis, "--transport=udp");
    start_relay(&b, &redis, "--transport=udp");
    struct harness_rec rec = {.n = 2};
    rec.c[0] = client_in(&a, "plain", "x", 0, PROTO_MODE_UDP);
    assert_int_equal(harness_poll_until(rec.c, 1, WAIT_MS, harness_rec_event, all_welcomed,
                                        &(struct harness_rec){.c = {rec.c[0]}, .n = 1}),
                     0);
    rec.c[1] = client_in(&b, "plain", "y", 0, PROTO_MODE_UDP);
    until_all_see_all(&rec, WAIT_MS);
    assert_int_equal(ricochet_relay_port(rec.c[0]), a.port);
    assert_int_equal(ricochet_relay_port(rec.c[1]), a.port);
    assert_int_equal(rec.moved[1], 1);
    assert_int_equal(relay_stat(&a, "parked"), 1);
    assert_int_equal(relay_stat(&b, "moved"), 1);
    destroy_clients(&rec);
    free(harness_relay_finish(&a.p));
    free(harness_relay_finish(&b.p));
    test_redis_stop(&redis);
}

/* Six clients per room join at once, through three relays in turn. */
static void racing_joins_end_on_one_relay(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    struct fleet_relay r[3];
    for (int i = 0; i < 3; i++)
        start_relay(&r[i], &redis, NULL);
    for (int room = 0; room < 3; room++) {
        char name[24], rname[16];
        struct harness_rec rec = {.n = 6};
        snprintf(rname, sizeof rname, "race%d", room);
        for (size_t i = 0; i < rec.n; i++) {
            snprintf(name, sizeof name, "p%zu", i);
            rec.c[i] = client(&r[i % 3], rname, name, 0);
        }
        until_all_see_all(&rec, WAIT_MS);
        for (size_t i = 1; i < rec.n; i++)
            assert_int_equal(ricochet_relay_port(rec.c[i]), ricochet_relay_port(rec.c[0]));
        destroy_clients(&rec);
    }
    for (int i = 0; i < 3; i++)
        free(harness_relay_finish(&r[i].p));
    test_redis_stop(&redis);
}

/* A relay paused past the TTL loses its room to the relay a newcomer
 * joined through; woken, it sends its members there instead of serving a
 * split room. */
static void a_lost_claim_stops_service(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    struct fleet_relay a, b;
    start_relay(&a, &redis, NULL);
    start_relay(&b, &redis, NULL);
    struct harness_rec rec = {.n = 3};
    rec.c[0] = client(&a, "arena", "a1", 0);
    rec.c[1] = client(&a, "arena", "a2", 0);
    rec.n = 2;
    until_all_see_all(&rec, WAIT_MS);
    assert_int_equal(ricochet_relay_port(rec.c[0]), a.port);
    spawn_signal(&a.p, SIGSTOP);
    clock_sleep_ms(3000); /* past the 2 s TTL: a's registration lapses */
    rec.c[2] = client(&b, "arena", "b1", 0);
    struct harness_rec one = {.c = {rec.c[2]}, .n = 1};
    assert_int_equal(harness_poll_until(one.c, 1, WAIT_MS, harness_rec_event, all_welcomed,
                                        &one), 0);
    assert_int_equal(ricochet_relay_port(rec.c[2]), b.port); /* taken over */
    spawn_signal(&a.p, SIGCONT);
    rec.n = 3;
    until_all_see_all(&rec, WAIT_MS); /* a's members moved to b */
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(ricochet_relay_port(rec.c[i]), b.port);
    assert_int_equal(relay_stat(&a, "rooms"), 0);
    assert_true(relay_stat(&a, "moved") >= 2);
    destroy_clients(&rec);
    free(harness_relay_finish(&a.p));
    free(harness_relay_finish(&b.p));
    test_redis_stop(&redis);
}

/* SIGKILL: the clients rejoin through the relay they came in by, and the
 * room goes on there once the dead relay's registration has lapsed. */
static bool both_rejoined(void *ctx)
{
    struct harness_rec *r = ctx;
    return r->moved[0] >= 2 && r->moved[1] >= 2 && all_welcomed(ctx);
}

static void sigkill_failover(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    struct fleet_relay a, b;
    start_relay(&a, &redis, NULL);
    start_relay(&b, &redis, NULL);
    struct harness_rec first = {.n = 1};
    first.c[0] = client(&a, "room", "w", 0); /* the room goes to a */
    assert_int_equal(harness_poll_until(first.c, 1, WAIT_MS, harness_rec_event, all_welcomed,
                                        &first), 0);
    struct harness_rec rec = {.n = 2};
    rec.c[0] = client(&b, "room", "x", 20000); /* through b, moved to a */
    rec.c[1] = client(&b, "room", "y", 20000);
    until_all_see_all(&rec, WAIT_MS);
    assert_int_equal(ricochet_relay_port(rec.c[0]), a.port);
    spawn_stop(&a.p, SIGKILL, 2000);
    assert_int_equal(harness_poll_until(rec.c, rec.n, 2 * WAIT_MS, harness_rec_event,
                                        both_rejoined, &rec), 0);
    until_all_see_all(&rec, WAIT_MS);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(ricochet_relay_port(rec.c[i]), b.port);
        assert_true(rec.moved[i] >= 2); /* moved to a, then rejoined through b */
    }
    destroy_clients(&rec);
    destroy_clients(&first);
    spawn_free(&a.p);
    free(harness_relay_finish(&b.p));
    test_redis_stop(&redis);
}

/* SIGTERM: the relay hands its room to another, its members follow, it
 * exits 0. */
static void sigterm_drain(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    struct fleet_relay a, b;
    start_relay(&a, &redis, NULL);
    struct harness_rec rec = {.n = 2};
    rec.c[0] = client(&a, "hall", "x", 0);
    rec.c[1] = client(&a, "hall", "y", 0);
    until_all_see_all(&rec, WAIT_MS);
    start_relay(&b, &redis, NULL);
    /* b in the directory before a drains: otherwise a's rooms have nowhere
     * to go (a relay registers from its directory thread, not at once). */
    char relays[64] = "";
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (strcmp(relays, "2") != 0 && clock_now_ms() < deadline) {
        clock_sleep_ms(20);
        test_redis_cmd(&redis, relays, sizeof relays, "SCARD ricochet:relays");
    }
    assert_string_equal(relays, "2");
    char *out = harness_relay_finish(&a.p); /* SIGTERM, exit 0 */
    assert_int_equal(harness_stats_field(out, true, "moved"), 2);
    free(out);
    until_all_see_all(&rec, WAIT_MS);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(ricochet_relay_port(rec.c[i]), b.port);
        assert_int_equal(rec.moved[i], 1);
    }
    destroy_clients(&rec);
    free(harness_relay_finish(&b.p));
    test_redis_stop(&redis);
}

/* States y has from anyone (x's ids on both relays). */
static uint64_t states_at(const struct harness_rec *rec, size_t i)
{
    uint64_t n = rec->states_bad_id[i];
    for (size_t id = 0; id < HARNESS_MAX_IDS; id++)
        n += rec->states[i][id];
    return n;
}

/* Sends a state from c every millisecond for ms, counting those taken. */
static void send_for(struct harness_rec *rec, struct ricochet *c, int ms, uint64_t *sent)
{
    uint64_t end = clock_now_ms() + (uint64_t)ms;
    while (clock_now_ms() < end) {
        struct ricochet_state s = {.x = 1, .y = 2};
        *sent += ricochet_send_state(c, &s) == 0;
        harness_poll_for(rec->c, rec->n, 1, harness_rec_event, rec);
    }
}

/* A drain in reliable mode loses nothing: x sends a state every
 * millisecond while a drains, so some are on their way to a (or taken by
 * it and not yet forwarded) when a sends moved; y gets every one. */
static void a_drain_loses_no_reliable_state(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    struct fleet_relay a, b;
    start_relay(&a, &redis, "--rate-limit=0"); /* x sends 1000 a second */
    start_relay(&b, &redis, "--rate-limit=0");
    struct harness_rec rec = {.n = 2};
    rec.c[0] = client(&a, "drained", "x", 0);
    assert_int_equal(harness_poll_until(rec.c, 1, WAIT_MS, harness_rec_event, all_welcomed,
                                        &rec), 0);
    rec.c[1] = client(&a, "drained", "y", 0);
    until_all_see_all(&rec, WAIT_MS);
    assert_int_equal(ricochet_relay_port(rec.c[0]), a.port); /* a holds the room */
    harness_poll_for(rec.c, rec.n, 200, harness_rec_event, &rec); /* the last ones in */
    uint64_t sent = 0, before = states_at(&rec, 1);
    send_for(&rec, rec.c[0], 200, &sent);
    spawn_signal(&a.p, SIGTERM);
    for (uint64_t end = clock_now_ms() + WAIT_MS; clock_now_ms() < end;) {
        send_for(&rec, rec.c[0], 20, &sent);
        if (rec.moved[0] && rec.moved[1] && all_welcomed(&rec) &&
            ricochet_members(rec.c[1], NULL, 0) == 1)
            break;
    }
    assert_int_equal(ricochet_relay_port(rec.c[1]), b.port);
    send_for(&rec, rec.c[0], 200, &sent);
    harness_poll_for(rec.c, rec.n, 500, harness_rec_event, &rec);
    print_message("drain: x sent %llu states, y got %llu\n", (unsigned long long)sent,
                  (unsigned long long)(states_at(&rec, 1) - before));
    assert_int_equal(states_at(&rec, 1) - before, sent);
    destroy_clients(&rec);
    free(harness_relay_finish(&a.p));
    free(harness_relay_finish(&b.p));
    test_redis_stop(&redis);
}

/* Redis stopped: new rooms are refused (directory_unavailable), the room
 * that exists goes on; Redis back: new rooms are placed again. */
static void redis_down_and_back(void **state)
{
    (void)state;
    struct redisproc redis;
    test_redis_start(&redis);
    struct fleet_relay a;
    start_relay(&a, &redis, NULL);
    struct harness_rec rec = {.n = 2};
    rec.c[0] = client(&a, "kept", "x", 0);
    rec.c[1] = client(&a, "kept", "y", 0);
    until_all_see_all(&rec, WAIT_MS);
    test_redis_stop(&redis);
    clock_sleep_ms(500); /* a heartbeat fails: the relay knows */
    struct ricochet *late = client(&a, "new", "z", 0);
    struct ricochet_event ev;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (ricochet_poll(late, 50, &ev) >= 0 && ev.type != RICOCHET_EV_DISCONNECTED)
        assert_true(clock_now_ms() < deadline);
    assert_string_equal(ev.code, "directory_unavailable");
    ricochet_close(late);
    for (size_t i = 0; i < rec.n; i++) /* the existing room still flows */
        memset(&rec.states[i], 0, sizeof rec.states[i]);
    long long before = relay_stat(&a, "states_out");
    harness_poll_for(rec.c, rec.n, 300, harness_rec_event, &rec);
    for (size_t i = 0; i < rec.n; i++) {
        struct ricochet_state s = {.x = 3};
        ricochet_send_state(rec.c[i], &s);
    }
    harness_poll_for(rec.c, rec.n, 300, harness_rec_event, &rec);
    assert_true(relay_stat(&a, "states_out") > before);
    test_redis_restart(&redis);
    /* Refused until the relay has reconnected (within its 500 ms retry). */
    deadline = clock_now_ms() + WAIT_MS;
    for (bool in = false; !in;) {
        late = client(&a, "new", "z", 0);
        while (ricochet_poll(late, 50, &ev) >= 0 && ev.type != RICOCHET_EV_WELCOME &&
               ev.type != RICOCHET_EV_DISCONNECTED)
            assert_true(clock_now_ms() < deadline);
        in = ev.type == RICOCHET_EV_WELCOME;
        ricochet_close(late);
        assert_true(clock_now_ms() < deadline);
    }
    destroy_clients(&rec);
    free(harness_relay_finish(&a.p));
    test_redis_stop(&redis);
}

/* One fleet ticket through a real fleet: relays that take tickets (and
 * seal sessions) share a directory; alice's join places her room on a;
 * bob's, through b, is checked there, sent on with moved, and a admits
 * the same ticket; both talk, sealed. */
static void a_fleet_ticket_is_admitted_after_a_moved(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_e2e_fleet.XXXXXX", key_path[64], err[256], cmd[96];
    assert_non_null(mkdtemp(dir));
    snprintf(key_path, sizeof key_path, "%s/fleet.key", dir);
    assert_int_equal(ticket_crypto_init(), 0);
    assert_int_equal(keyfile_generate(key_path, err, sizeof err), 0);
    struct ticket_key key;
    assert_int_equal(keyfile_load(key_path, &key, err, sizeof err), 0);
    char tickets[2][TICKET_TEXT_MAX + 1];
    const char *names[2] = {"alice", "bob"};
    for (int i = 0; i < 2; i++) { /* for the fleet, not for one relay */
        struct ticket_claims c = {.issued_s = clock_unix_s(), .expires_s = clock_unix_s() + 60};
        snprintf(c.room, sizeof c.room, "vip");
        snprintf(c.name, sizeof c.name, "%s", names[i]);
        snprintf(c.fleet, sizeof c.fleet, "ricochet");
        assert_true(ticket_mint(&key, &c, tickets[i], sizeof tickets[i]) > 0);
    }
    struct redisproc redis;
    test_redis_start(&redis);
    const char *const extra[] = {"--ticket-key", key_path, "--encrypt", NULL};
    struct fleet_relay a, b;
    fleet_start_relay(&a, redis.url, extra);
    fleet_start_relay(&b, redis.url, extra);
    struct harness_rec rec = {.n = 2};
    for (int i = 0; i < 2; i++) {
        struct client_config cfg = {.host = "127.0.0.1", .port = i ? b.port : a.port,
                                    .mode = PROTO_MODE_RELIABLE, .ticket = tickets[i],
                                    .timeout_ms = 5000};
        assert_non_null(rec.c[i] = client_create(&cfg, err, sizeof err));
        if (i == 0)
            assert_int_equal(harness_poll_until(rec.c, 1, WAIT_MS, harness_rec_event,
                                                all_welcomed, &(struct harness_rec){
                                                    .c = {rec.c[0]}, .n = 1}), 0);
    }
    until_all_see_all(&rec, WAIT_MS);
    assert_int_equal(rec.moved[1], 1); /* bob was sent on by b */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ricochet_relay_port(rec.c[i]), a.port);
        assert_true(ricochet_sealed(rec.c[i]));
    }
    assert_int_equal(relay_stat(&b, "moved"), 1);
    assert_int_equal(relay_stat(&a, "members"), 2);
    assert_int_equal(relay_stat(&a, "drops.ticket_replayed"), 0);
    destroy_clients(&rec);
    free(harness_relay_finish(&a.p));
    free(harness_relay_finish(&b.p));
    test_redis_stop(&redis);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* A relay under Agones: /ready once it listens, /health, labels, and after
 * the SIGTERM drain /shutdown, last. */
static void agones_call_sequence(void **state)
{
    (void)state;
    struct stand_in_sdk *sdk = sdk_start(0);
    char port[8];
    snprintf(port, sizeof port, "%u", sdk_port(sdk));
    setenv("AGONES_SDK_HTTP_PORT", port, 1);
    struct spawn_proc p;
    int relay_port = harness_start_relay(&p, NULL);
    unsetenv("AGONES_SDK_HTTP_PORT");
    assert_true(relay_port > 0);
    struct harness_rec rec = {.n = 1};
    rec.c[0] = harness_client((uint16_t)relay_port, "agones", "x", PROTO_MODE_RELIABLE, false);
    assert_int_equal(harness_poll_until(rec.c, 1, WAIT_MS, harness_rec_event, all_welcomed,
                                        &rec), 0);
    struct sdk_call calls[256];
    size_t n;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    bool labelled = false;
    while (!labelled && clock_now_ms() < deadline) {
        harness_poll_for(rec.c, 1, 100, harness_rec_event, &rec);
        n = sdk_calls(sdk, calls, 256);
        for (size_t i = 0; i < n && i < 256; i++)
            labelled |= strstr(calls[i].body, "\"key\":\"clients\",\"value\":\"1\"") != NULL;
    }
    assert_true(labelled);
    free(harness_relay_finish(&p));
    n = sdk_calls(sdk, calls, 256);
    assert_true(n >= 4 && n <= 256);
    assert_string_equal(calls[0].path, "/ready");
    assert_string_equal(calls[n - 1].path, "/shutdown");
    size_t health = 0;
    for (size_t i = 0; i < n; i++)
        health += strcmp(calls[i].path, "/health") == 0;
    assert_true(health >= 1);
    ricochet_close(rec.c[0]);
    sdk_stop(sdk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_moved_reply_is_followed),
        cmocka_unit_test(plain_udp_rooms_in_a_fleet),
        cmocka_unit_test(racing_joins_end_on_one_relay),
        cmocka_unit_test(a_lost_claim_stops_service),
        cmocka_unit_test(sigkill_failover),
        cmocka_unit_test(a_drain_loses_no_reliable_state),
        cmocka_unit_test(sigterm_drain),
        cmocka_unit_test(redis_down_and_back),
        cmocka_unit_test(a_fleet_ticket_is_admitted_after_a_moved),
        cmocka_unit_test(agones_call_sequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
