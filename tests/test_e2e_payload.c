/* test_e2e_payload.c: the game's own bytes through a real ricochet-relay
 * over 127.0.0.1. Payloads of every length up to RICOCHET_PAYLOAD_MAX
 * arrive byte for byte over every edge (ENet in its three modes, plain
 * UDP, TCP, WebSocket, WebRTC) in one room, through the relay's tick and
 * batches, and through a world's tick and interest: each receiver checks
 * a hash of every payload and that every byte is the sender's. Events to
 * the room and to one member reach each member whole, stamped with their
 * sender, in order, over every edge. A payload too long for the relay is
 * counted and dropped, never cut; an event to an unknown member gets
 * no_member, a flood of events rate_limited. */
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
#define ROUNDS 30

/* A relay with every edge. */
struct edges {
    struct spawn_proc relay;
    uint16_t ws, webrtc, enet, udp, tcp;
};

static void edges_start(struct edges *e, const char *const *more)
{
    const char *args[40] = {"--listen", "ws://127.0.0.1:0",   "--listen", "webrtc://127.0.0.1:0",
                            "--listen", "enet://127.0.0.1:0", "--listen", "udp://127.0.0.1:0",
                            "--listen", "tcp://127.0.0.1:0"};
    size_t n = 10;
    for (size_t i = 0; more && more[i] && n < 39; i++)
        args[n++] = more[i];
    args[n] = NULL;
    assert_true(harness_start_relay(&e->relay, args) > 0);
    e->ws = harness_edge_port(&e->relay, "ws");
    e->webrtc = harness_edge_port(&e->relay, "webrtc");
    e->enet = harness_edge_port(&e->relay, "enet");
    e->udp = harness_edge_port(&e->relay, "udp");
    e->tcp = harness_edge_port(&e->relay, "tcp");
    assert_true(e->ws && e->webrtc && e->enet && e->udp && e->tcp);
}

/* A member: its mode, and whether it comes over WebRTC. */
struct member {
    const char *name;
    enum proto_mode mode;
    bool webrtc;
};

static struct ricochet *member_client(const struct edges *e, const struct member *m,
                                      const char *room, float aoi)
{
    uint16_t port = m->webrtc                    ? e->ws
                    : m->mode == PROTO_MODE_UDP  ? e->udp
                    : m->mode == PROTO_MODE_TCP  ? e->tcp
                    : m->mode == PROTO_MODE_WS   ? e->ws
                                                 : e->enet;
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = room,
                                .name = m->name, .mode = m->mode, .timeout_ms = 5000,
                                .aoi = aoi,
                                .transport = m->webrtc ? RICOCHET_TRANSPORT_WEBRTC
                                                       : RICOCHET_TRANSPORT_DEFAULT};
    char err[256] = "";
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create(%s): %s", m->name, err);
    return c;
}

/* The payload's length for a state of seq from member i: every length
 * from 4 to RICOCHET_PAYLOAD_MAX over the rounds, the extremes included. */
static size_t payload_len(uint32_t seq, size_t i)
{
    if (seq == 1)
        return RICOCHET_PAYLOAD_MAX;
    if (seq == 2)
        return 4;
    return 4 + (seq * 389u + i * 97u) % (RICOCHET_PAYLOAD_MAX - 3);
}

/* One round: every member sends a state with its payload, at (x, y). */
static void send_round(struct harness_rec *r, const float *x, const float *y)
{
    static uint8_t payload[RICOCHET_PAYLOAD_MAX];
    for (size_t i = 0; i < r->n; i++) {
        uint32_t seq = client_next_seq(r->c[i]);
        size_t len = payload_len(seq, i);
        pattern_fill(seq, payload, len);
        struct ricochet_state s = {.x = x ? x[i] : (float)i, .y = y ? y[i] : 10};
        assert_int_equal(ricochet_send_state_payload(r->c[i], &s, payload, len), RICOCHET_OK);
    }
}

static void send_rounds(struct harness_rec *r, int rounds, const float *x, const float *y)
{
    for (int k = 0; k < rounds; k++) {
        send_round(r, x, y);
        harness_poll_for(r->c, r->n, 20, harness_rec_event, r);
    }
    harness_poll_for(r->c, r->n, 500, harness_rec_event, r);
}

/* The largest event a plain-UDP member is sent: one 1200-byte datagram
 * (test_e2e_event_max sends the largest of all, which it is not). */
#define UDP_EVENT_MAX (1200 - PROTO_EVENT_HEAD)

/* Every member sends one event to the room and one to the next member. */
static void send_events(struct harness_rec *r, uint32_t *id)
{
    uint8_t body[UDP_EVENT_MAX];
    for (size_t i = 0; i < r->n; i++) {
        size_t len = 8 + (i * 151) % (UDP_EVENT_MAX - 7);
        pattern_fill_keyed((uint32_t)i, body, i == 0 ? UDP_EVENT_MAX : len);
        assert_int_equal(ricochet_send_event(r->c[i], RICOCHET_TO_ROOM, body,
                                             i == 0 ? UDP_EVENT_MAX : len),
                         RICOCHET_OK);
        pattern_fill_keyed((uint32_t)(100 + i), body, 8);
        assert_int_equal(ricochet_send_event(r->c[i], id[(i + 1) % r->n], body, 8),
                         RICOCHET_OK);
    }
    harness_poll_for(r->c, r->n, 800, harness_rec_event, r);
}

static const struct member every_edge[] = {
    {"enet_u", PROTO_MODE_UNSEQUENCED, false}, {"enet_s", PROTO_MODE_SEQUENCED, false},
    {"enet_r", PROTO_MODE_RELIABLE, false},    {"udp", PROTO_MODE_UDP, false},
    {"tcp", PROTO_MODE_TCP, false},            {"ws", PROTO_MODE_WS, false},
    {"rtc_u", PROTO_MODE_UNSEQUENCED, true},   {"rtc_r", PROTO_MODE_RELIABLE, true},
};
#define N_EVERY (sizeof every_edge / sizeof every_edge[0])

static bool lossless(const struct member *m)
{
    return proto_mode_lossless(m->mode);
}

/* One room of a member on every edge, through the relay's tick (batches:
 * the library asks for them): every payload that arrives is the sender's,
 * byte for byte; a reliable sender's all arrive at every member whose way
 * down loses nothing; events reach everyone whole, once each. */
static void payloads_and_events_cross_every_edge(void **state)
{
    (void)state;
    static struct edges e;
    const char *more[] = {"--tick-ms", "20", NULL};
    edges_start(&e, more);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = N_EVERY;
    for (size_t i = 0; i < N_EVERY; i++)
        r.c[i] = member_client(&e, &every_edge[i], "every", 0);
    assert_int_equal(harness_poll_until(r.c, r.n, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &r), 0);
    uint32_t id[N_EVERY];
    for (size_t i = 0; i < N_EVERY; i++)
        id[i] = ricochet_id(r.c[i]);
    send_rounds(&r, ROUNDS, NULL, NULL);
    send_events(&r, id);
    for (size_t i = 0; i < N_EVERY; i++) {
        fprintf(stderr, "%s: %llu payloads (%llu bytes), %llu bad; %llu events, %llu bad\n",
                every_edge[i].name, (unsigned long long)r.payloads[i],
                (unsigned long long)r.payload_bytes[i], (unsigned long long)r.payloads_bad[i],
                (unsigned long long)r.events[i], (unsigned long long)r.events_bad[i]);
        assert_int_equal(r.payloads_bad[i], 0);
        assert_int_equal(r.events_bad[i], 0);
        /* one from each of the others to the room, one to me */
        assert_int_equal(r.events[i], N_EVERY - 1 + 1);
        assert_int_equal(r.n_errors[i], 0);
        for (size_t s = 0; s < N_EVERY; s++) {
            if (s == i)
                continue;
            uint64_t got = r.states[i][id[s]];
            /* a reliable sender loses nothing on a way down that loses nothing */
            if (every_edge[s].mode == PROTO_MODE_RELIABLE && lossless(&every_edge[i]) &&
                every_edge[i].mode != PROTO_MODE_UDP)
                assert_int_equal(got, ROUNDS);
            assert_true(got >= ROUNDS / 2); /* loopback: hardly any loss */
        }
        assert_true(r.payloads[i] >= (N_EVERY - 1) * (ROUNDS / 2));
    }
    char *out = harness_relay_finish(&e.relay);
    assert_int_equal(harness_stats_field(out, true, "drops.too_big"), 0);
    assert_int_equal(harness_stats_field(out, true, "events_in"), 2 * N_EVERY);
    assert_int_equal(harness_stats_field(out, true, "events_out"), N_EVERY * N_EVERY);
    assert_true(harness_stats_field(out, true, "ticks") > 0);
    free(out);
    spawn_free(&e.relay);
    for (size_t i = 0; i < N_EVERY; i++)
        ricochet_close(r.c[i]);
}

/* A world (a room with interest) on its own tick: the newest state of each
 * sender goes, the others conflated, and what goes carries its own payload
 * whole; a member out of sight gets none. */
static void payloads_through_a_worlds_tick_and_interest(void **state)
{
    (void)state;
    static struct edges e;
    const char *more[] = {"--world-tick-ms", "50", NULL};
    edges_start(&e, more);
    static const struct member m[] = {{"near_a", PROTO_MODE_UNSEQUENCED, false},
                                      {"near_b", PROTO_MODE_UDP, false},
                                      {"near_c", PROTO_MODE_WS, false},
                                      {"far", PROTO_MODE_TCP, false}};
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 4;
    for (size_t i = 0; i < 4; i++)
        r.c[i] = member_client(&e, &m[i], "world", 10);
    assert_int_equal(harness_poll_until(r.c, r.n, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r), 0);
    const float x[] = {10, 12, 14, 90}, y[] = {10, 11, 12, 90};
    send_rounds(&r, ROUNDS, x, y);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(r.payloads_bad[i], 0);
        if (i < 3)
            assert_true(r.payloads[i] >= 2 * 5); /* two seen, a few ticks' worth */
        else
            assert_int_equal(r.payloads[i], 0); /* out of sight */
    }
    char *out = harness_relay_finish(&e.relay);
    assert_true(harness_stats_field(out, true, "edges.enet.conflated") +
                    harness_stats_field(out, true, "edges.udp.conflated") +
                    harness_stats_field(out, true, "edges.ws.conflated") >
                0);
    free(out);
    spawn_free(&e.relay);
    for (size_t i = 0; i < 4; i++)
        ricochet_close(r.c[i]);
}

/* A state longer than the relay takes is counted and dropped, never cut:
 * nobody gets a shorter one. An event for an id that is no member gets
 * no_member; a flood of events, rate_limited, and the others get no more
 * than the relay let through. */
static void refusals_are_counted_and_told(void **state)
{
    (void)state;
    static struct edges e;
    const char *more[] = {"--max-packet-size", "1100", "--rate-limit", "50", "--rate-burst",
                          "20", "--kick-after", "0", NULL};
    edges_start(&e, more);
    static const struct member m[] = {{"sender", PROTO_MODE_RELIABLE, false},
                                      {"watcher", PROTO_MODE_UDP, false}};
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 2;
    for (size_t i = 0; i < 2; i++)
        r.c[i] = member_client(&e, &m[i], "refusals", 0);
    assert_int_equal(harness_poll_until(r.c, r.n, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &r), 0);
    static uint8_t payload[PROTO_PAYLOAD_MAX];
    uint32_t seq = client_next_seq(r.c[0]);
    pattern_fill(seq, payload, 1100);
    struct proto_state s = {.x = 1, .y = 1, .send_us = clock_now_us()};
    assert_int_equal(client_send_state_payload(r.c[0], &s, payload, 1100), RICOCHET_OK);
    harness_poll_for(r.c, r.n, 300, harness_rec_event, &r);
    assert_int_equal(r.states[1][ricochet_id(r.c[0])], 0);
    assert_string_equal(r.last_error[0], "too_big");
    assert_int_equal(harness_relay_stat(&e.relay, "drops.too_big"), 1);

    uint8_t body[16];
    pattern_fill_keyed(1, body, sizeof body);
    assert_int_equal(ricochet_send_event(r.c[0], 4000, body, sizeof body), RICOCHET_OK);
    harness_poll_for(r.c, r.n, 300, harness_rec_event, &r);
    assert_string_equal(r.last_error[0], "no_member");
    assert_int_equal(harness_relay_stat(&e.relay, "drops.no_member"), 1);

    /* a flood: 200 events at once, against a limit of 50 a second (20 at once) */
    for (int k = 0; k < 200; k++)
        assert_int_equal(ricochet_send_event(r.c[0], RICOCHET_TO_ROOM, body, sizeof body),
                         RICOCHET_OK);
    harness_poll_for(r.c, r.n, 1000, harness_rec_event, &r);
    assert_string_equal(r.last_error[0], "rate_limited");
    long long through = harness_relay_stat(&e.relay, "events_in");
    assert_true(harness_relay_stat(&e.relay, "drops.rate_limited") > 0);
    assert_true(through >= 10 && through < 200);
    assert_int_equal((long long)r.events[1], through);
    assert_int_equal(r.events_bad[1], 0);
    free(harness_relay_finish(&e.relay));
    spawn_free(&e.relay);
    for (size_t i = 0; i < 2; i++)
        ricochet_close(r.c[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(payloads_and_events_cross_every_edge),
        cmocka_unit_test(payloads_through_a_worlds_tick_and_interest),
        cmocka_unit_test(refusals_are_counted_and_told),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
