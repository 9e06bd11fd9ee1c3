/* test_e2e_udp.c: ricochet-relay --transport udp with the client
 * library's udp mode over 127.0.0.1: join by retried datagram, fan-out,
 * never back to the sender, leave, expiry of a silent member, garbage
 * datagrams counted by the relay while the session goes on, and an expired
 * client joining again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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
#include "sys/clock.h"
#include "stats/rng.h"
#include "tests/support/harness.h"

#define WAIT_MS 15000

static void send_rounds(struct harness_rec *r, int rounds)
{
    for (int k = 1; k <= rounds; k++) {
        for (size_t i = 0; i < r->n; i++) {
            if (!r->c[i])
                continue;
            struct proto_state s = {.send_us = clock_now_us(), .x = (float)k, .y = 1};
            assert_int_equal(client_send_state(r->c[i], &s, 64), 0);
        }
        harness_poll_for(r->c, r->n, 20, harness_rec_event, r);
    }
}

struct left_wait {
    uint32_t id;
    enum proto_left_reason reason;
};

static bool saw_left(void *ctx)
{
    struct harness_rec *r = ctx;
    const struct left_wait *w = r->user;
    return harness_rec_saw_left(r, 0, w->id, w->reason);
}

static void udp_session(void **state)
{
    (void)state;
    const char *args[] = {"--transport", "udp", "--timeout-ms", "1500", NULL};
    const struct harness_member members[3] = {{"ann", PROTO_MODE_UDP, false},
                                              {"ben", PROTO_MODE_UDP, false},
                                              {"cat", PROTO_MODE_UDP, true}};
    static struct harness_session s;
    struct harness_rec *r = harness_session_start(&s, args, "plain", members, 3, NULL, WAIT_MS);
    uint32_t id[3];
    for (size_t i = 0; i < 3; i++) {
        id[i] = ricochet_id(r->c[i]);
        assert_true(id[i] > 0);
    }
    assert_string_equal(client_member(r->c[0], id[1])->name, "ben");
    assert_int_equal(client_member(r->c[0], id[1])->mode, PROTO_MODE_UDP);

    const int rounds = 30;
    send_rounds(r, rounds);
    harness_poll_for(r->c, r->n, 300, harness_rec_event, r);
    for (size_t i = 0; i < 3; i++) {
        for (size_t j = 0; j < 3; j++) {
            if (i == j)
                continue;
            /* Loopback rarely drops; allow a little. */
            assert_in_range(r->states[i][id[j]], rounds * 8 / 10, rounds);
            assert_int_equal(r->arrived_as[i][id[j]], PROTO_MODE_UDP);
        }
        assert_int_equal(r->states_bad_id[i], 0);
        assert_int_equal(r->arrived[i][PROTO_MODE_UNSEQUENCED], 0);
    }
    /* Only cat asked for reflection. */
    assert_int_equal(r->self_states[0], 0);
    assert_int_equal(r->self_states[1], 0);
    assert_in_range(r->self_states[2], rounds * 8 / 10, rounds);

    /* Garbage from a stranger's socket, and from nowhere near a protocol. */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(s.port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    struct rng rng;
    rng_seed(&rng, 77);
    uint8_t junk[1400];
    const char *texts[] = {"{", "{\"type\":\"join\"}", "[1,2,3]", "{\"type\":\"chat\",\"text\":\"hi\"}"};
    for (int k = 0; k < 4; k++)
        sendto(fd, texts[k], strlen(texts[k]), 0, (struct sockaddr *)&to, sizeof to);
    for (int k = 0; k < 50; k++) {
        size_t len = 1 + rng_below(&rng, sizeof junk - 1);
        for (size_t b = 0; b < len; b++)
            junk[b] = (uint8_t)rng_below(&rng, 256);
        junk[0] = (uint8_t)(k % 2 ? 1 : 0x80); /* half look like states */
        sendto(fd, junk, len, 0, (struct sockaddr *)&to, sizeof to);
    }
    close(fd);
    uint64_t before = r->states[1][id[0]];
    send_rounds(r, 20);
    harness_poll_for(r->c, r->n, 300, harness_rec_event, r);
    assert_true(r->states[1][id[0]] - before >= 16);
    for (size_t i = 0; i < 3; i++)
        assert_false(r->disconnected[i]);

    /* ben leaves (a leave datagram): quit. */
    ricochet_close(r->c[1]);
    r->c[1] = NULL;
    struct left_wait w = {.id = id[1], .reason = PROTO_LEFT_QUIT};
    r->user = &w;
    assert_int_equal(harness_poll_until(r->c, r->n, WAIT_MS, harness_rec_event, saw_left, r), 0);

    /* cat goes silent (no polling, so no pings): the relay expires her. */
    struct ricochet *cat = r->c[2];
    r->c[2] = NULL;
    w.id = id[2];
    w.reason = PROTO_LEFT_TIMEOUT;
    assert_int_equal(harness_poll_until(r->c, r->n, WAIT_MS, harness_rec_event, saw_left, r), 0);
    ricochet_close(cat);

    /* ann, idle but polled, stays a member thanks to her pings. */
    harness_poll_for(r->c, 1, 2500, harness_rec_event, r);
    assert_false(r->disconnected[0]);
    assert_true(ricochet_joined(r->c[0]));

    char *out;
    harness_session_end(&s, WAIT_MS, &out);
    long long in = harness_stats_field(out, true, "states_in");
    assert_true(in >= (rounds + 20) * 3 * 8 / 10);
    assert_true(harness_stats_field(out, true, "drops.*") >= 20);
    free(out);
}

/* The relay's shutdown reaches udp members as an error (best effort). */
static void udp_relay_shutdown(void **state)
{
    (void)state;
    const char *args[] = {"--transport", "udp", NULL};
    const struct harness_member solo = {"solo", PROTO_MODE_UDP, false};
    static struct harness_session s;
    struct harness_rec *r = harness_session_start(&s, args, "bye", &solo, 1, NULL, WAIT_MS);
    assert_int_equal(spawn_stop(&s.relay, SIGTERM, WAIT_MS), 0);
    harness_poll_for(r->c, 1, 500, harness_rec_event, r);
    assert_string_equal(r->last_error[0], "shutting_down");
    assert_true(r->disconnected[0]);
    harness_session_end(&s, WAIT_MS, NULL);
}

/* Counts welcomes per client, then records as usual. */
static size_t welcomes[HARNESS_MAX_CLIENTS];

static void count_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    if (ev->type == RICOCHET_EV_WELCOME && i < HARNESS_MAX_CLIENTS)
        welcomes[i]++;
    harness_rec_event(ctx, i, ev);
}

/* Every joined client sends one state (a rejoining one cannot: skipped). */
static void send_if_joined(struct harness_rec *r)
{
    for (size_t i = 0; i < r->n; i++) {
        if (!r->c[i] || !ricochet_joined(r->c[i]))
            continue;
        struct proto_state s = {.send_us = clock_now_us(), .x = 5, .y = 5};
        assert_int_equal(client_send_state(r->c[i], &s, 0), 0);
    }
}

/* A udp client that stops servicing past the relay's --timeout-ms is
 * expired; when it resumes, the relay answers not_joined, the client joins
 * again (a second WELCOME, a new id) and its states reach the others
 * again. */
static void udp_expired_rejoins(void **state)
{
    (void)state;
    const char *args[] = {"--transport", "udp", "--timeout-ms", "500", NULL};
    const struct harness_member members[2] = {{"ann", PROTO_MODE_UDP, false},
                                              {"ben", PROTO_MODE_UDP, false}};
    static struct harness_session s;
    memset(welcomes, 0, sizeof welcomes);
    struct harness_rec *r =
        harness_session_start(&s, args, "again", members, 2, count_event, WAIT_MS);
    uint32_t ann = ricochet_id(r->c[0]), old_ben = ricochet_id(r->c[1]);

    /* ben stalls for 1.2 s (no polling, no pings); ann keeps sending, so
     * the relay keeps her, and hears that ben timed out. */
    struct ricochet *ben = r->c[1];
    r->c[1] = NULL;
    uint64_t t0 = clock_now_ms();
    while (clock_now_ms() - t0 < 1200) {
        send_if_joined(r);
        harness_poll_for(r->c, r->n, 50, count_event, r);
    }
    assert_true(harness_rec_saw_left(r, 0, old_ben, PROTO_LEFT_TIMEOUT));
    assert_true(ricochet_joined(r->c[0]));

    /* ben resumes: not_joined, rejoin, a new welcome; states flow again. */
    r->c[1] = ben;
    uint64_t ann_states_before = r->states[1][ann];
    uint32_t new_ben = 0;
    uint64_t ann_after_rejoin = 0;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (clock_now_ms() < deadline) {
        send_if_joined(r);
        harness_poll_for(r->c, r->n, 50, count_event, r);
        if (welcomes[1] == 2 && !new_ben) {
            new_ben = ricochet_id(ben);
            ann_after_rejoin = r->states[1][ann];
        }
        if (new_ben && new_ben < HARNESS_MAX_IDS && r->states[0][new_ben] >= 5 &&
            r->states[1][ann] >= ann_after_rejoin + 5)
            break;
    }
    assert_int_equal(welcomes[1], 2);
    assert_int_equal(welcomes[0], 1);
    assert_string_equal(r->last_error[1], "not_joined");
    assert_false(r->disconnected[0]);
    assert_false(r->disconnected[1]);
    assert_true(new_ben != 0 && new_ben != old_ben && new_ben != ann);
    assert_true(new_ben < HARNESS_MAX_IDS);
    assert_true(r->states[0][new_ben] >= 5);                   /* ann hears the new ben */
    assert_true(r->states[1][ann] >= ann_after_rejoin + 5);     /* and ben hears ann */
    assert_true(r->states[1][ann] > ann_states_before);
    assert_non_null(client_member(r->c[0], new_ben));
    assert_null(client_member(r->c[0], old_ben));
    assert_non_null(client_member(ben, ann));
    assert_string_equal(client_member(ben, ann)->name, "ann");

    char *out;
    harness_session_end(&s, WAIT_MS, &out);
    assert_true(harness_stats_field(out, true, "drops.not_joined") >= 1);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(udp_session),
        cmocka_unit_test(udp_relay_shutdown),
        cmocka_unit_test(udp_expired_rejoins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
