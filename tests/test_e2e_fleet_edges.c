/* test_e2e_fleet_edges: a fleet's moved over the edges that are not
 * ENet's or plain UDP's datagrams. Two relays with tcp, ws, webrtc and quic
 * edges share a directory in a real redis-server; for each kind of
 * client, one joins a room, then another joins it through the relay that
 * does not hold it: the moved names the holder's edge of its kind (a
 * WebRTC client's: the ws edge its offer goes to), and both end welcomed
 * on the holder, hearing each other; QUIC clients answered from that
 * relay's cache of placements, inside the read that brought their join,
 * get their moved before the connection closes. And a QUIC, WebRTC, TCP
 * or WebSocket client whose relay falls silent (stopped) starts its
 * rejoin after the fleet's 1.5 s of silence, not at its own timeout. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/client.h"
#include "sys/clock.h"
#include "tests/support/fleet_e2e.h"

enum { EDGE_TCP, EDGE_WS, EDGE_WEBRTC, EDGE_QUIC, EDGES };

struct edged_relay {
    struct spawn_proc p;
    uint16_t ports[EDGES]; /* by the enum above */
};

static void start_edged(struct edged_relay *r, const struct redisproc *redis)
{
    static const char *const schemes[] = {"tcp", "ws", "webrtc", "quic", NULL};
    const char *const more[] = {"--directory", redis->url, "--advertise", "127.0.0.1:0",
                                "--directory-ttl", FLEET_TTL, "--stats-interval", "0", NULL};
    memset(r, 0, sizeof *r);
    harness_start_edges(&r->p, schemes, more, r->ports);
}

/* A client of kind (an edge of the enum) joining room through relay via. */
static struct ricochet *edge_client(const struct edged_relay *via, int kind, const char *room,
                                    const char *name, uint32_t rejoin_ms)
{
    static const enum proto_mode modes[EDGES] = {PROTO_MODE_TCP, PROTO_MODE_WS,
                                                 PROTO_MODE_UNSEQUENCED, PROTO_MODE_UNSEQUENCED};
    static const enum ricochet_transport carriers[EDGES] = {
        RICOCHET_TRANSPORT_DEFAULT, RICOCHET_TRANSPORT_DEFAULT, RICOCHET_TRANSPORT_WEBRTC,
        RICOCHET_TRANSPORT_QUIC};
    /* a WebRTC client's offer goes to the ws edge */
    uint16_t port = via->ports[kind == EDGE_WEBRTC ? EDGE_WS : kind];
    char err[256];
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = room, .name = name,
                                .mode = modes[kind], .transport = carriers[kind],
                                .timeout_ms = rejoin_ms ? 10000 : 5000,
                                .rejoin_ms = rejoin_ms};
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    return c;
}

/* Which of the two relays a joined client is on, by the port it ended at
 * (-1: neither's edge of its kind). */
static int relay_of(struct ricochet *c, struct edged_relay *r, int kind)
{
    uint16_t port = ricochet_relay_port(c);
    int edge = kind == EDGE_WEBRTC ? EDGE_WS : kind;
    for (int i = 0; i < 2; i++)
        if (r[i].ports[edge] == port)
            return i;
    return -1;
}

static void moved_over(int kind, const char *room)
{
    struct redisproc redis;
    test_redis_start(&redis);
    struct edged_relay r[2];
    start_edged(&r[0], &redis);
    start_edged(&r[1], &redis);
    struct harness_rec first = {.n = 1};
    first.c[0] = edge_client(&r[0], kind, room, "first", 0);
    assert_int_equal(harness_poll_until(first.c, 1, FLEET_WAIT_MS, harness_rec_event,
                                        fleet_all_welcomed, &first),
                     0);
    int holder = relay_of(first.c[0], r, kind);
    assert_true(holder >= 0);
    struct harness_rec rec = {.n = 2};
    rec.c[0] = first.c[0];
    rec.c[1] = edge_client(&r[1 - holder], kind, room, "second", 0);
    fleet_until_all_see_all(&rec, FLEET_WAIT_MS);
    assert_int_equal(relay_of(rec.c[1], r, kind), holder);
    assert_int_equal(rec.moved[1], 1);
    assert_int_equal(harness_relay_stat(&r[1 - holder].p, "moved"), 1);
    fleet_close_clients(&rec);
    for (int i = 0; i < 2; i++)
        free(harness_relay_finish(&r[i].p));
    test_redis_stop(&redis);
}

/* QUIC_NEWCOMERS clients join room through the relay that does not hold
 * it, one after the other: the first one's join waits for the directory,
 * the others' are answered from that relay's cache of placements at once,
 * inside the read that brought them. Each must get its moved before the
 * connection closes (a close waits for its last message to be
 * acknowledged) and end on the holder; and each must close the connection
 * it leaves (CONNECTION_CLOSE), so that no close waits its 2 s out. */
#define QUIC_NEWCOMERS 4

/* harness_poll_until predicate: every client joined, or one ended. */
static bool welcomed_or_ended(void *ctx)
{
    struct harness_rec *rec = ctx;
    for (size_t i = 0; i < rec->n; i++)
        if (rec->disconnected[i])
            return true;
    return fleet_all_welcomed(rec);
}

static void moved_one_after_another_over_quic(const char *room)
{
    struct redisproc redis;
    test_redis_start(&redis);
    struct edged_relay r[2];
    start_edged(&r[0], &redis);
    start_edged(&r[1], &redis);
    struct harness_rec rec = {.n = 1};
    rec.c[0] = edge_client(&r[0], EDGE_QUIC, room, "first", 0);
    assert_int_equal(harness_poll_until(rec.c, 1, FLEET_WAIT_MS, harness_rec_event,
                                        fleet_all_welcomed, &rec),
                     0);
    int holder = relay_of(rec.c[0], r, EDGE_QUIC);
    assert_true(holder >= 0);
    for (int i = 1; i <= QUIC_NEWCOMERS; i++) {
        char name[24];
        snprintf(name, sizeof name, "newcomer-%d", i);
        rec.c[i] = edge_client(&r[1 - holder], EDGE_QUIC, room, name, 0);
        rec.n = (size_t)i + 1;
        assert_int_equal(harness_poll_until(rec.c, rec.n, FLEET_WAIT_MS, harness_rec_event,
                                            welcomed_or_ended, &rec),
                         0);
        if (rec.disconnected[i])
            fail_msg("%s: %s", name, ricochet_end_reason(rec.c[i]));
        assert_int_equal(rec.moved[i], 1);
        assert_int_equal(relay_of(rec.c[i], r, EDGE_QUIC), holder);
    }
    assert_int_equal(harness_relay_stat(&r[1 - holder].p, "moved"), QUIC_NEWCOMERS);
    /* each newcomer closed its connection as it left: none of the relay's
     * closes waited out its 2 s for an acknowledgement (closed_late) */
    harness_poll_for(rec.c, rec.n, 2500, harness_rec_event, &rec);
    assert_int_equal(harness_relay_stat(&r[1 - holder].p, "edges.quic.closed_late"), 0);
    fleet_close_clients(&rec);
    for (int i = 0; i < 2; i++)
        free(harness_relay_finish(&r[i].p));
    test_redis_stop(&redis);
}

static bool rejoining(void *ctx)
{
    return ((struct harness_rec *)ctx)->moved[0] > 0;
}

/* A client with rejoin (10 s; its timeout 10 s too) on the holder, which
 * is then stopped: the rejoin must start within the 1.5 s of silence, and
 * a margin for the machine. */
static void silence_starts_a_rejoin(int kind, const char *room)
{
    struct redisproc redis;
    test_redis_start(&redis);
    struct edged_relay r[2];
    start_edged(&r[0], &redis);
    start_edged(&r[1], &redis);
    struct harness_rec rec = {.n = 1};
    rec.c[0] = edge_client(&r[0], kind, room, "quiet", 10000);
    assert_int_equal(harness_poll_until(rec.c, 1, FLEET_WAIT_MS, harness_rec_event,
                                        fleet_all_welcomed, &rec),
                     0);
    int holder = relay_of(rec.c[0], r, kind);
    assert_true(holder >= 0);
    harness_poll_for(rec.c, 1, 500, harness_rec_event, &rec);
    assert_int_equal(spawn_signal(&r[holder].p, SIGSTOP), 0);
    uint64_t stopped = clock_now_ms();
    assert_int_equal(harness_poll_until(rec.c, 1, 8000, harness_rec_event, rejoining, &rec), 0);
    uint64_t took = clock_now_ms() - stopped;
    assert_int_equal(spawn_signal(&r[holder].p, SIGCONT), 0);
    assert_in_range(took, 1000, 3000);
    fleet_close_clients(&rec);
    for (int i = 0; i < 2; i++)
        free(harness_relay_finish(&r[i].p));
    test_redis_stop(&redis);
}

static void a_quic_client_rejoins_a_silent_relay_in_time(void **state)
{
    (void)state;
    silence_starts_a_rejoin(EDGE_QUIC, "quiet-quic");
}

static void a_webrtc_client_rejoins_a_silent_relay_in_time(void **state)
{
    (void)state;
    silence_starts_a_rejoin(EDGE_WEBRTC, "quiet-webrtc");
}

static void a_tcp_client_rejoins_a_silent_relay_in_time(void **state)
{
    (void)state;
    silence_starts_a_rejoin(EDGE_TCP, "quiet-tcp");
}

static void a_websocket_client_rejoins_a_silent_relay_in_time(void **state)
{
    (void)state;
    silence_starts_a_rejoin(EDGE_WS, "quiet-ws");
}

static void a_tcp_client_follows_a_moved(void **state)
{
    (void)state;
    moved_over(EDGE_TCP, "by-tcp");
}

static void a_websocket_client_follows_a_moved(void **state)
{
    (void)state;
    moved_over(EDGE_WS, "by-ws");
}

static void a_webrtc_client_follows_a_moved_to_the_ws_edge(void **state)
{
    (void)state;
    moved_over(EDGE_WEBRTC, "by-webrtc");
}

static void a_quic_client_follows_a_moved(void **state)
{
    (void)state;
    moved_over(EDGE_QUIC, "by-quic");
}

static void quic_clients_moved_from_the_cache_follow_their_moved(void **state)
{
    (void)state;
    moved_one_after_another_over_quic("cached-quic");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_tcp_client_follows_a_moved),
        cmocka_unit_test(a_websocket_client_follows_a_moved),
        cmocka_unit_test(a_webrtc_client_follows_a_moved_to_the_ws_edge),
        cmocka_unit_test(a_quic_client_follows_a_moved),
        cmocka_unit_test(quic_clients_moved_from_the_cache_follow_their_moved),
        cmocka_unit_test(a_quic_client_rejoins_a_silent_relay_in_time),
        cmocka_unit_test(a_webrtc_client_rejoins_a_silent_relay_in_time),
        cmocka_unit_test(a_tcp_client_rejoins_a_silent_relay_in_time),
        cmocka_unit_test(a_websocket_client_rejoins_a_silent_relay_in_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
