/* test_e2e_enet.c: the real ricochet-relay (ENet transport) and the
 * client library over 127.0.0.1: fan-out in every mode, never back to the
 * sender unless reflect, the relay stamps sender ids, join/leave/timeout
 * notices, the late joiner's roster, garbage that must not disturb a
 * running session (return routability: test_e2e_enet_proof). An
 * unreliable state lost on a busy machine is
 * one the kernel or the relay counts (the test has a network namespace of
 * its own). Every wait is bounded (generous: the machine is slow). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <enet/enet.h>

#include "client/lib/client.h"
#include "proto/errors.h"
#include "sys/clock.h"
#include "stats/rng.h"
#include "tests/support/harness.h"
#include "tests/support/raw.h"

#define WAIT_MS 15000 /* upper bound of any wait; normally milliseconds */

/* ---- helpers ---- */

static bool all_disconnected(void *ctx)
{
    struct harness_rec *r = ctx;
    for (size_t i = 0; i < r->n; i++)
        if (r->c[i] && !r->disconnected[i])
            return false;
    return true;
}

static void send_one(struct ricochet *c, float x)
{
    struct proto_state s;
    memset(&s, 0, sizeof s);
    s.send_us = clock_now_us();
    s.x = x;
    s.y = 50;
    assert_int_equal(client_send_state(c, &s, 0), 0);
    ricochet_flush(c);
}

/* Each client sends `rounds` states (x = round number), 20 ms apart, while
 * all are polled. Stays below the relay's default rate limit. */
static void send_rounds(struct harness_rec *r, int rounds)
{
    for (int k = 1; k <= rounds; k++) {
        for (size_t i = 0; i < r->n; i++)
            if (r->c[i])
                send_one(r->c[i], (float)k);
        harness_poll_for(r->c, r->n, 20, harness_rec_event, r);
    }
}

struct want_states {
    uint64_t count; /* from each other client */
};

static bool all_received(void *ctx)
{
    struct harness_rec *r = ctx;
    const struct want_states *w = r->user;
    for (size_t i = 0; i < r->n; i++) {
        for (size_t j = 0; j < r->n; j++) {
            if (i == j || !r->c[i] || !r->c[j])
                continue;
            uint32_t id = ricochet_id(r->c[j]);
            if (r->states[i][id] < w->count)
                return false;
        }
    }
    return true;
}

/* Polls r's clients until each got at least count states from every other
 * one. Returns 0, or -1 on timeout. */
static int wait_received(struct harness_rec *r, struct want_states *w, int timeout_ms)
{
    r->user = w;
    return harness_poll_until(r->c, r->n, timeout_ms, harness_rec_event, all_received, r);
}

/* Polls r's clients until every one is welcomed; fails the test otherwise. */
static void wait_welcomed(struct harness_rec *r)
{
    assert_int_equal(harness_poll_until(r->c, r->n, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, r), 0);
}

/* ---- a raw ENet peer (support/raw.h), for what the library will not do
 * (forged ids, bad JSON). ---- */

static void raw_connect(struct raw_enet *raw, uint16_t port)
{
    assert_int_equal(enet_initialize(), 0); /* paired in raw_close */
    assert_int_equal(raw_enet_open_within(raw, port, PROTO_CHANNEL_COUNT, WAIT_MS), 0);
}

static void raw_close(struct raw_enet *raw)
{
    raw_enet_close(raw);
    enet_deinitialize();
}

/* ---- tests ---- */

/* Three clients, one per ENet mode: each receives every other's states in
 * the sender's mode, never its own; the relay's counters agree; a busy
 * machine loses unreliable states only where the kernel or the relay counts it. */
static void fanout_all_modes(void **state)
{
    (void)state;
    const enum proto_mode modes[3] = {PROTO_MODE_UNSEQUENCED, PROTO_MODE_SEQUENCED,
                                      PROTO_MODE_RELIABLE};
    const char *names[3] = {"uma", "seq", "rel"};
    const struct harness_member members[3] = {
        {names[0], modes[0], false}, {names[1], modes[1], false}, {names[2], modes[2], false}};
    static struct harness_session s;
    struct harness_rec *r = harness_session_start(&s, NULL, "fan", members, 3, NULL, WAIT_MS);
    for (size_t i = 0; i < 3; i++) {
        assert_true(ricochet_joined(r->c[i]));
        assert_true(ricochet_id(r->c[i]) > 0);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(ricochet_id(r->c[i]), ricochet_id(r->c[j]));
    }

    const int rounds = 30;
    char *before = harness_relay_stats_now(&s.relay);
    long long losses0 = raw_relay_losses(before, false), rcvbuf0 = raw_udp_snmp("RcvbufErrors");
    free(before);
    send_rounds(r, rounds);
    struct want_states w = {.count = rounds};
    /* Unreliable modes may lose on a busy machine; reliable may not. */
    wait_received(r, &w, 3000);
    long long missed = 0; /* unreliable deliveries */
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(r->self_states[i], 0);
        assert_int_equal(r->states_bad_id[i], 0);
        for (size_t j = 0; j < 3; j++) {
            if (i == j)
                continue;
            uint32_t id = ricochet_id(r->c[j]);
            uint64_t got = r->states[i][id];
            if (modes[j] == PROTO_MODE_RELIABLE)
                assert_int_equal(got, rounds);
            else
                missed += rounds - (long long)got;
            assert_in_range(got, 0, rounds);
            /* Delivered in the mode it was sent in. */
            assert_int_equal(r->arrived_as[i][id], modes[j]);
            /* The library's own statistics agree with the events. */
            const struct client_member *m = client_member(r->c[i], id);
            assert_non_null(m);
            assert_string_equal(m->name, names[j]);
            assert_int_equal(m->stats.received, got);
            assert_int_equal(m->stats.duplicates, 0);
            assert_true(m->has_state);
            assert_int_equal(m->last.sender, id);
        }
        assert_true(client_latency(r->c[i])->total > 0);
    }

    /* Shutdown: clients hear shutting_down, then the connection closes. */
    assert_int_equal(spawn_stop(&s.relay, SIGTERM, WAIT_MS), 0);
    assert_int_equal(harness_poll_until(r->c, r->n, WAIT_MS, harness_rec_event,
                                        all_disconnected, r), 0);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(r->last_error[i], "shutting_down");
    char *out;
    harness_session_end(&s, WAIT_MS, &out);
    long long in = harness_stats_field(out, true, "states_in");
    long long sent = harness_stats_field(out, true, "states_out");
    long long counted = raw_udp_snmp("RcvbufErrors") - rcvbuf0 +
                        raw_relay_losses(out, true) - losses0;
    free(out);
    print_message("relay got %lld of %d states, receivers missed %lld unreliable; "
                  "counted losses %lld\n", in, rounds * 3, missed, counted);
    assert_true(in <= rounds * 3 && rounds * 3 - in <= counted);
    assert_int_equal(sent, 2 * in); /* each state to the two others */
    assert_true(missed <= 2 * (rounds * 3 - in) + counted); /* lost in: both others miss it */
}

/* With reflect, my states come back carrying my id; without, never. */
static void reflect_returns_own_states(void **state)
{
    (void)state;
    const struct harness_member members[2] = {{"narcissus", PROTO_MODE_RELIABLE, true},
                                              {"echo", PROTO_MODE_RELIABLE, false}};
    static struct harness_session s;
    struct harness_rec *r =
        harness_session_start(&s, NULL, "mirror", members, 2, NULL, WAIT_MS);
    const int rounds = 20;
    send_rounds(r, rounds);
    struct want_states w = {.count = rounds};
    assert_int_equal(wait_received(r, &w, WAIT_MS), 0);
    harness_poll_for(r->c, r->n, 200, harness_rec_event, r);

    uint32_t me = ricochet_id(r->c[0]);
    assert_int_equal(r->self_states[0], rounds);
    assert_int_equal(r->states[0][me], rounds);
    assert_int_equal(client_reflect_stats(r->c[0])->received, rounds);
    assert_int_equal(client_rtt(r->c[0])->total, rounds);
    /* The reflected states are not counted as someone else's (echo's
     * states before both clock offsets were known have no latency). */
    const struct client_member *echo = client_member(r->c[0], ricochet_id(r->c[1]));
    assert_non_null(echo);
    assert_int_equal(client_latency(r->c[0])->total + echo->stats.no_latency, rounds);
    assert_int_equal(r->self_states[1], 0);
    assert_int_equal(client_reflect_stats(r->c[1])->received, 0);
    assert_int_equal(r->states[1][me], rounds);
    harness_session_end(&s, WAIT_MS, NULL);
}

/* A state claiming another sender id is stamped with the real one. */
static void forged_sender_overwritten(void **state)
{
    (void)state;
    const struct harness_member victim_member = {"victim", PROTO_MODE_UNSEQUENCED, false};
    static struct harness_session s;
    struct harness_rec *r =
        harness_session_start(&s, NULL, "forge", &victim_member, 1, NULL, WAIT_MS);
    uint32_t victim = ricochet_id(r->c[0]);

    struct raw_enet raw;
    raw_connect(&raw, s.port);
    assert_int_equal(raw_enet_join(&raw, "forge", "forger", PROTO_MODE_RELIABLE, WAIT_MS), 0);
    assert_int_not_equal(raw.id, victim);

    /* Claims: id 999, the victim's own id, and 0. Reliable: all arrive. */
    const uint32_t claims[3] = {999, victim, 0};
    for (int k = 0; k < 3; k++) {
        struct proto_state st;
        memset(&st, 0, sizeof st);
        st.sender = claims[k];
        st.seq = (uint32_t)k + 1;
        st.send_us = clock_now_us();
        st.x = 10.0f + (float)k;
        uint8_t buf[PROTO_STATE_SIZE];
        assert_int_equal(proto_state_encode(buf, sizeof buf, &st), PROTO_STATE_SIZE);
        raw_enet_send(&raw, PROTO_CHANNEL_RELIABLE, ENET_PACKET_FLAG_RELIABLE, buf, sizeof buf);
    }
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (r->states[0][raw.id] < 3 && clock_now_ms() < deadline) {
        raw_enet_service(&raw, 5, 0, NULL, NULL, NULL);
        harness_poll_for(r->c, r->n, 5, harness_rec_event, r);
    }
    assert_int_equal(r->states[0][raw.id], 3);
    assert_int_equal(r->self_states[0], 0);      /* never "from" the victim */
    assert_int_equal(r->states_bad_id[0], 0);    /* 999 never appears */
    assert_true(r->last[0][raw.id].x == 12.0f);
    assert_int_equal(r->last[0][raw.id].sender, raw.id);
    assert_null(client_member(r->c[0], 999));

    raw_close(&raw);
    harness_session_end(&s, WAIT_MS, NULL);
}

struct left_wait {
    size_t observer;
    uint32_t id;
    enum proto_left_reason reason;
};

static bool saw_left(void *ctx)
{
    struct harness_rec *r = ctx;
    const struct left_wait *w = r->user;
    return harness_rec_saw_left(r, w->observer, w->id, w->reason);
}

static bool saw_joined(void *ctx)
{
    struct harness_rec *r = ctx;
    const struct left_wait *w = r->user;
    for (size_t k = 0; k < r->n_joined[w->observer]; k++)
        if (r->joined[w->observer][k] == w->id)
            return true;
    return false;
}

/* Polls r's clients until pred (saw_left or saw_joined) holds for w; fails
 * the test otherwise. */
static void wait_notice(struct harness_rec *r, bool (*pred)(void *ctx), struct left_wait *w)
{
    r->user = w;
    assert_int_equal(harness_poll_until(r->c, r->n, WAIT_MS, harness_rec_event, pred, r), 0);
}

/* joined on arrival; left "quit" on a polite close; left "timeout" when a
 * client stops answering. */
static void join_leave_timeout_notices(void **state)
{
    (void)state;
    const char *args[] = {"--timeout-ms", "1000", NULL};
    const struct harness_member alice = {"alice", PROTO_MODE_SEQUENCED, false};
    static struct harness_session s;
    struct harness_rec *r =
        harness_session_start(&s, args, "notices", &alice, 1, NULL, WAIT_MS);

    /* bob joins: alice hears it with his id and name. */
    r->n = 2;
    r->c[1] = harness_client(s.port, "notices", "bob", PROTO_MODE_SEQUENCED, false);
    wait_welcomed(r);
    uint32_t bob = ricochet_id(r->c[1]);
    struct left_wait w = {.observer = 0, .id = bob, .reason = PROTO_LEFT_QUIT};
    wait_notice(r, saw_joined, &w);
    assert_string_equal(r->joined_name[0][0], "bob");
    /* bob's welcome listed alice. */
    assert_non_null(client_member(r->c[1], ricochet_id(r->c[0])));

    /* bob leaves politely: quit. */
    ricochet_close(r->c[1]);
    r->c[1] = NULL;
    wait_notice(r, saw_left, &w);
    assert_null(client_member(r->c[0], bob));

    /* carol joins, then stops servicing her connection: timeout. */
    r->c[1] = harness_client(s.port, "notices", "carol", PROTO_MODE_SEQUENCED, false);
    r->welcomed[1] = false;
    wait_welcomed(r);
    struct ricochet *carol = r->c[1];
    w.id = ricochet_id(carol);
    w.reason = PROTO_LEFT_TIMEOUT;
    r->c[1] = NULL; /* no longer polled */
    wait_notice(r, saw_left, &w);
    assert_false(harness_rec_saw_left(r, 0, w.id, PROTO_LEFT_QUIT));
    ricochet_close(carol);
    harness_session_end(&s, WAIT_MS, NULL);
}

/* A late joiner's welcome lists every member with its last state. */
static void late_joiner_roster(void **state)
{
    (void)state;
    const struct harness_member early[2] = {{"early1", PROTO_MODE_RELIABLE, false},
                                            {"early2", PROTO_MODE_RELIABLE, false}};
    static struct harness_session s;
    struct harness_rec *r = harness_session_start(&s, NULL, "late", early, 2, NULL, WAIT_MS);
    send_rounds(r, 5); /* last x = 5 from both */
    struct want_states w = {.count = 5};
    assert_int_equal(wait_received(r, &w, WAIT_MS), 0);
    /* early2 has one more state than early1. */
    send_one(r->c[1], 42.5f);
    uint32_t e1 = ricochet_id(r->c[0]), e2 = ricochet_id(r->c[1]);
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (r->states[0][e2] < 6 && clock_now_ms() < deadline)
        harness_poll_for(r->c, 2, 10, harness_rec_event, r);
    assert_int_equal(r->states[0][e2], 6);

    r->n = 3;
    r->c[2] = harness_client(s.port, "late", "latecomer", PROTO_MODE_UNSEQUENCED, false);
    wait_welcomed(r);
    size_t n;
    const struct client_member *m = client_members(r->c[2], &n);
    assert_int_equal(n, 2);
    (void)m;
    const struct client_member *m1 = client_member(r->c[2], e1);
    const struct client_member *m2 = client_member(r->c[2], e2);
    assert_non_null(m1);
    assert_non_null(m2);
    assert_string_equal(m1->name, "early1");
    assert_string_equal(m2->name, "early2");
    assert_int_equal(m1->mode, PROTO_MODE_RELIABLE);
    assert_true(m1->has_state && m2->has_state);
    assert_true(m1->last.x == 5.0f);
    assert_true(m2->last.x == 42.5f);
    assert_int_equal(m2->last.sender, e2);
    assert_int_equal(m2->last.seq, 6);
    /* A roster state is not a delivery. */
    assert_int_equal(m2->stats.received, 0);
    /* The two early members hear about the latecomer. */
    struct left_wait lw = {.observer = 0, .id = ricochet_id(r->c[2])};
    wait_notice(r, saw_joined, &lw);
    harness_session_end(&s, WAIT_MS, NULL);
}

/* Garbage UDP datagrams at the relay's port and bad JSON / bad states from
 * a connected peer: the session goes on, the relay counts the drops. */
static void garbage_does_not_disturb(void **state)
{
    (void)state;
    const struct harness_member members[2] = {{"talker", PROTO_MODE_UNSEQUENCED, false},
                                              {"listener", PROTO_MODE_RELIABLE, false}};
    static struct harness_session s;
    struct harness_rec *r = harness_session_start(&s, NULL, "calm", members, 2, NULL, WAIT_MS);
    uint32_t talker = ricochet_id(r->c[0]);
    send_rounds(r, 20);
    uint64_t before = r->states[1][talker];
    assert_true(before >= 16);

    /* 1. Raw UDP garbage from a fresh socket (seeded, printed sizes). */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(s.port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    struct rng rng;
    rng_seed(&rng, 2024);
    uint8_t junk[1500];
    for (int k = 0; k < 200; k++) {
        size_t len = rng_below(&rng, sizeof junk);
        for (size_t b = 0; b < len; b++)
            junk[b] = (uint8_t)rng_below(&rng, 256);
        if (k % 10 == 0 && len > 0)
            junk[0] = '{';
        sendto(fd, junk, len, 0, (struct sockaddr *)&to, sizeof to);
    }
    close(fd);

    /* 2. A connected peer sending nonsense on every channel. */
    struct raw_enet raw;
    raw_connect(&raw, s.port);
    raw_enet_send(&raw, PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE, "{not json", 9);
    raw_enet_service(&raw, 200, 0, NULL, NULL, NULL);
    assert_string_equal(raw.last_error, "bad_json");
    raw_enet_send(&raw, PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE,
                  "{\"type\":\"warp\"}", 15);
    assert_int_equal(raw_enet_join(&raw, "calm", "vandal", PROTO_MODE_UNSEQUENCED, WAIT_MS), 0);
    uint8_t shortstate[10] = {1, 1};
    raw_enet_send(&raw, PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNSEQUENCED, shortstate,
             sizeof shortstate);
    uint8_t badversion[PROTO_STATE_SIZE] = {7, 1};
    raw_enet_send(&raw, PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNSEQUENCED, badversion,
             sizeof badversion);
    raw_enet_service(&raw, 100, 0, NULL, NULL, NULL);

    /* The session continues undisturbed. */
    send_rounds(r, 20);
    harness_poll_for(r->c, 2, 200, harness_rec_event, r);
    raw_enet_service(&raw, 10, 0, NULL, NULL, NULL);
    assert_true(r->states[1][talker] - before >= 16);
    assert_int_equal(r->states[1][raw.id], 0); /* no bad state was forwarded */
    assert_int_equal(r->states[0][raw.id], 0);
    assert_false(r->disconnected[0] || r->disconnected[1]);
    assert_true(spawn_running(&s.relay));

    raw_close(&raw);
    char *out;
    harness_session_end(&s, WAIT_MS, &out);
    assert_true(harness_stats_field(out, true, "drops.bad_json") >= 1);
    assert_true(harness_stats_field(out, true, "drops.bad_state") >= 2);
    assert_true(harness_stats_field(out, true, "drops.*") >= 3);
    free(out);
}

/* A relay that is asked to stop with SIGINT also exits 0 with final stats. */
static void relay_sigint_final_stats(void **state)
{
    (void)state;
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, NULL);
    assert_true(port > 0);
    assert_int_equal(spawn_stop(&relay, SIGINT, WAIT_MS), 0);
    char *out = spawn_read_stdout(&relay);
    assert_int_equal(harness_stats_field(out, true, "clients"), 0);
    assert_int_equal(harness_stats_field(out, true, "states_in"), 0);
    free(out);
    spawn_free(&relay);
}

int main(void)
{
    if (raw_own_netns() != 0) { /* the kernel's UDP counters are this test's */
        perror("test_e2e_enet: a network namespace of its own");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fanout_all_modes),
        cmocka_unit_test(reflect_returns_own_states),
        cmocka_unit_test(forged_sender_overwritten),
        cmocka_unit_test(join_leave_timeout_notices),
        cmocka_unit_test(late_joiner_roster),
        cmocka_unit_test(garbage_does_not_disturb),
        cmocka_unit_test(relay_sigint_final_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
