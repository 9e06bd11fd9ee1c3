/* test_e2e_event_max.c: an event of the largest body (RICOCHET_EVENT_MAX)
 * crosses every edge of a real ricochet-relay whole, and one byte more is
 * refused; plain UDP, which sends no datagram past 1200 bytes, is not sent
 * one (counted too_big) but may send one. */
/* One room of libricochet members over ENet, plain UDP, TCP, WebSocket,
 * WebRTC, QUIC, WebTransport and HTTP polling; each sends one event of
 * the largest body to the room, its bytes a pattern keyed by the sender.
 * Every member but the plain-UDP one gets the other seven whole (the
 * pattern checked, the length the largest); the plain-UDP one gets none,
 * and the relay counts each as too_big. Past the largest, the library
 * refuses the event itself (RICOCHET_E_TOO_BIG, nothing sent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/client.h"
#include "stats/pattern.h"
#include "tests/support/harness.h"

#define WAIT_MS 15000

static const char *const schemes[] = {"enet", "udp", "tcp", "ws", "webrtc", "quic", "poll",
                                      NULL};
enum { ENET, UDP, TCP, WS, WEBRTC, QUIC, POLL, EDGES };

/* A member: its name, mode, transport and the edge it joins through. */
static const struct member {
    const char *name;
    enum proto_mode mode;
    enum ricochet_transport transport;
    int edge;
} members[] = {
    {"enet", PROTO_MODE_RELIABLE, RICOCHET_TRANSPORT_DEFAULT, ENET},
    {"udp", PROTO_MODE_UDP, RICOCHET_TRANSPORT_DEFAULT, UDP},
    {"tcp", PROTO_MODE_TCP, RICOCHET_TRANSPORT_DEFAULT, TCP},
    {"ws", PROTO_MODE_WS, RICOCHET_TRANSPORT_DEFAULT, WS},
    {"rtc", PROTO_MODE_RELIABLE, RICOCHET_TRANSPORT_WEBRTC, WS},
    {"quic", PROTO_MODE_RELIABLE, RICOCHET_TRANSPORT_QUIC, QUIC},
    {"wt", PROTO_MODE_RELIABLE, RICOCHET_TRANSPORT_WEBTRANSPORT, QUIC},
    {"poll", PROTO_MODE_TCP, RICOCHET_TRANSPORT_POLL, POLL},
};
#define N (sizeof members / sizeof members[0])

static struct harness_rec rec;
static size_t largest[N]; /* events of the largest body each member got */

static void on_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    harness_rec_event(ctx, i, ev);
    size_t len;
    if (ev->type == RICOCHET_EV_EVENT && ricochet_event_bytes(rec.c[i], &len) &&
        len == RICOCHET_EVENT_MAX)
        largest[i]++;
}

static bool all_got_theirs(void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < N; i++)
        if (i != UDP && largest[i] < N - 1)
            return false;
    return true;
}

static void the_largest_event_crosses_every_edge(void **state)
{
    (void)state;
    static struct spawn_proc relay;
    uint16_t port[EDGES];
    harness_start_edges(&relay, schemes, NULL, port);
    memset(&rec, 0, sizeof rec);
    rec.n = N;
    for (size_t i = 0; i < N; i++) {
        const struct member *m = &members[i];
        struct client_config cfg = {.host = "127.0.0.1", .port = port[m->edge],
                                    .room = "big", .name = m->name, .mode = m->mode,
                                    .timeout_ms = 5000, .transport = m->transport};
        char err[256] = "";
        if (!(rec.c[i] = client_create(&cfg, err, sizeof err)))
            fail_msg("client_create(%s): %s", m->name, err);
    }
    assert_int_equal(harness_poll_until(rec.c, N, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &rec), 0);
    static uint8_t body[RICOCHET_EVENT_MAX + 1];
    for (size_t i = 0; i < N; i++) {
        pattern_fill_keyed((uint32_t)i, body, RICOCHET_EVENT_MAX);
        assert_int_equal(ricochet_send_event(rec.c[i], RICOCHET_TO_ROOM, body,
                                             RICOCHET_EVENT_MAX), RICOCHET_OK);
        assert_int_equal(ricochet_send_event(rec.c[i], RICOCHET_TO_ROOM, body,
                                             RICOCHET_EVENT_MAX + 1), RICOCHET_E_TOO_BIG);
    }
    assert_int_equal(harness_poll_until(rec.c, N, WAIT_MS, on_event, all_got_theirs, &rec),
                     0);
    harness_poll_for(rec.c, N, 300, on_event, &rec); /* nothing more comes */
    for (size_t i = 0; i < N; i++) {
        fprintf(stderr, "%s: %zu events of %d bytes, %llu bad, %zu errors\n", members[i].name,
                largest[i], RICOCHET_EVENT_MAX, (unsigned long long)rec.events_bad[i],
                rec.n_errors[i]);
        assert_int_equal(rec.events_bad[i], 0);
        assert_int_equal(rec.n_errors[i], 0);
        assert_int_equal(largest[i], i == UDP ? 0 : N - 1);
    }
    char *out = harness_relay_finish(&relay);
    assert_int_equal(harness_stats_field(out, true, "events_in"), N);
    assert_int_equal(harness_stats_field(out, true, "drops.too_big"), N - 1);
    free(out);
    spawn_free(&relay);
    for (size_t i = 0; i < N; i++)
        ricochet_close(rec.c[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_largest_event_crosses_every_edge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
