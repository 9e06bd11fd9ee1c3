/* test_reference.c: the reference relay, the bench's yardstick
 * (bench/reference/). Its table alone: joins welcomed with ids, a state
 * stamped with its sender's id and queued to the other members of its
 * sender's room only, a member's states of one flush in one batch when it
 * asked for batches (one state alone as itself), strangers' states and bad
 * JSON dropped, a ping's pong, leaves that keep every other member
 * reachable, a full table. Then reference-relay over 127.0.0.1 with the
 * client library's udp mode: --help, an option it refuses, two clients
 * that get each other's states, and SIGTERM; and ricochet-bench's
 * reference lane, which starts it, beside the udp lane, whose CPU per
 * delivery is then a multiple of the reference's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/reference/reference.h"
#include "client/lib/client.h"
#include "proto/control.h"
#include "proto/wire.h"
#include "sys/clock.h"
#include "tests/support/bench_json.h"
#include "tests/support/harness.h"

#define WAIT_MS 15000

static union netaddr addr(uint16_t port)
{
    union netaddr a = {0};
    a.v4.sin_family = AF_INET;
    a.v4.sin_port = htons(port);
    a.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* Sends a's join of room (batch: asks for batches) and returns the id its
 * welcome gives, checking the welcome went back to a. */
static uint32_t join(struct reference *r, uint16_t port, const char *room, bool batch)
{
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "%s", room);
    snprintf(m.name, sizeof m.name, "p%u", (unsigned)port);
    m.mode = PROTO_MODE_UDP;
    m.batch = batch;
    char buf[1200];
    int n = proto_control_encode(buf, sizeof buf, &m);
    assert_true(n > 0);
    union netaddr from = addr(port);
    assert_int_equal(reference_datagram(r, &from, (uint8_t *)buf, (size_t)n, 1),
                     REFERENCE_CONTROL);
    size_t k;
    const struct reference_out *out = reference_pending(r, &k);
    assert_int_equal(k, 1);
    assert_true(netaddr_equal(out[0].to, &from));
    struct proto_control w;
    assert_int_equal(proto_control_decode((const char *)out[0].buf, out[0].len, &w, NULL, 0),
                     PROTO_OK);
    assert_int_equal(w.type, PROTO_CTL_WELCOME);
    assert_string_equal(w.room, room);
    reference_sent(r);
    return w.id;
}

/* A state of seq from port into the table. Returns what the table did. */
static enum reference_did send_state(struct reference *r, uint16_t port, uint32_t seq)
{
    uint8_t buf[PROTO_STATE_SIZE];
    struct proto_state s = {.seq = seq, .send_us = 7, .x = 1, .y = 2};
    assert_int_equal(proto_state_encode(buf, sizeof buf, &s), PROTO_STATE_SIZE);
    union netaddr from = addr(port);
    return reference_datagram(r, &from, buf, sizeof buf, 2);
}

/* How many of out's n datagrams go to port. */
static size_t to_port(const struct reference_out *out, size_t n, uint16_t port)
{
    union netaddr a = addr(port);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += netaddr_equal(out[i].to, &a);
    return k;
}

static void fanout_to_the_room_only(void **state)
{
    (void)state;
    struct reference *r = reference_new(16);
    assert_non_null(r);
    uint32_t a = join(r, 1001, "lobby", false), b = join(r, 1002, "lobby", false);
    join(r, 1003, "lobby", false);
    join(r, 1004, "other", false);
    assert_true(a > 0 && b > a);
    assert_int_equal(join(r, 1001, "lobby", false), a); /* a join again: the same id */
    assert_int_equal(send_state(r, 1001, 5), REFERENCE_STATE);
    size_t n;
    const struct reference_out *out = reference_pending(r, &n);
    assert_int_equal(n, 2);
    assert_int_equal(to_port(out, n, 1002) + to_port(out, n, 1003), 2);
    for (size_t i = 0; i < n; i++) {
        struct proto_state s;
        assert_int_equal(out[i].len, PROTO_STATE_SIZE);
        assert_int_equal(proto_state_decode(out[i].buf, out[i].len, &s), PROTO_OK);
        assert_int_equal(s.sender, a);
        assert_int_equal(s.seq, 5);
    }
    reference_sent(r);
    assert_null(reference_pending(r, &n));
    assert_int_equal(n, 0);
    struct reference_counts c = reference_counts(r);
    assert_int_equal(c.states, 1);
    assert_int_equal(c.deliveries, 2);
    assert_int_equal(c.members, 4);
    reference_free(r);
}

static void batches_for_those_who_ask(void **state)
{
    (void)state;
    struct reference *r = reference_new(8);
    assert_non_null(r);
    uint32_t a = join(r, 2001, "lobby", false);
    join(r, 2002, "lobby", true);
    join(r, 2003, "lobby", false);
    for (uint32_t seq = 1; seq <= 3; seq++)
        assert_int_equal(send_state(r, 2001, seq), REFERENCE_STATE);
    size_t n;
    const struct reference_out *out = reference_pending(r, &n);
    assert_int_equal(n, 4); /* one batch of three to 2002, three states to 2003 */
    assert_int_equal(to_port(out, n, 2003), 3);
    union netaddr b = addr(2002);
    for (size_t i = 0; i < n; i++) {
        if (!netaddr_equal(out[i].to, &b))
            continue;
        assert_true(proto_is_batch(out[i].buf, out[i].len));
        assert_int_equal(proto_batch_check(out[i].buf, out[i].len), 3);
    }
    reference_sent(r);
    /* a flush with one state for the batching member: the state alone */
    assert_int_equal(send_state(r, 2003, 9), REFERENCE_STATE);
    out = reference_pending(r, &n);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(out[i].len, PROTO_STATE_SIZE);
    reference_sent(r);
    (void)a;
    reference_free(r);
}

static void strangers_garbage_and_pings(void **state)
{
    (void)state;
    struct reference *r = reference_new(4);
    assert_non_null(r);
    assert_int_equal(send_state(r, 3001, 1), REFERENCE_DROPPED); /* not a member */
    union netaddr from = addr(3001);
    uint8_t junk[] = "{\"type\": ";
    assert_int_equal(reference_datagram(r, &from, junk, sizeof junk - 1, 1), REFERENCE_DROPPED);
    uint8_t bytes[3] = {1, 2, 3};
    assert_int_equal(reference_datagram(r, &from, bytes, sizeof bytes, 1), REFERENCE_DROPPED);
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_PING);
    m.t = 1234;
    char buf[512];
    int len = proto_control_encode(buf, sizeof buf, &m);
    assert_int_equal(reference_datagram(r, &from, (uint8_t *)buf, (size_t)len, 99),
                     REFERENCE_DROPPED); /* a stranger's ping */
    join(r, 3001, "lobby", false);
    assert_int_equal(reference_datagram(r, &from, (uint8_t *)buf, (size_t)len, 99),
                     REFERENCE_CONTROL);
    size_t n;
    const struct reference_out *out = reference_pending(r, &n);
    assert_int_equal(n, 1);
    struct proto_control p;
    assert_int_equal(proto_control_decode((const char *)out[0].buf, out[0].len, &p, NULL, 0),
                     PROTO_OK);
    assert_int_equal(p.type, PROTO_CTL_PONG);
    assert_int_equal(p.t, 1234);
    assert_int_equal(p.relay_t, 99);
    reference_sent(r);
    assert_int_equal(reference_counts(r).dropped, 4);
    reference_free(r);
}

/* Many members in rooms of 8, every other one leaving: the hash's
 * deletions keep the rest reachable; the table refuses a member too many. */
static void leaves_and_a_full_table(void **state)
{
    (void)state;
    enum { N = 400 };
    struct reference *r = reference_new(N);
    assert_non_null(r);
    char room[16];
    for (uint16_t i = 0; i < N; i++) {
        snprintf(room, sizeof room, "r%u", (unsigned)(i / 8));
        join(r, (uint16_t)(4000 + i), room, false);
    }
    assert_int_equal(reference_counts(r).members, N);
    assert_int_equal(send_state(r, 9999, 1), REFERENCE_DROPPED);
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "late");
    char buf[512];
    int len = proto_control_encode(buf, sizeof buf, &m);
    union netaddr late = addr(9999);
    assert_int_equal(reference_datagram(r, &late, (uint8_t *)buf, (size_t)len, 1),
                     REFERENCE_DROPPED); /* full */
    proto_control_init(&m, PROTO_CTL_LEAVE);
    len = proto_control_encode(buf, sizeof buf, &m);
    for (uint16_t i = 0; i < N; i += 2) {
        union netaddr from = addr((uint16_t)(4000 + i));
        assert_int_equal(reference_datagram(r, &from, (uint8_t *)buf, (size_t)len, 1),
                         REFERENCE_CONTROL);
    }
    assert_int_equal(reference_counts(r).members, N / 2);
    for (uint16_t i = 0; i < N; i++)
        assert_int_equal(send_state(r, (uint16_t)(4000 + i), i),
                         i % 2 ? REFERENCE_STATE : REFERENCE_DROPPED);
    size_t n;
    reference_pending(r, &n);
    assert_int_equal(n, N / 2 * 3); /* each of the 4 left in a room of 8 to the other 3 */
    reference_sent(r);
    reference_free(r);
}

/* ---- reference-relay over 127.0.0.1 ---- */

static void program_help_and_options(void **state)
{
    (void)state;
    const char *help[] = {"--help", NULL};
    char *out = harness_program_line("reference-relay", help);
    assert_non_null(out);
    assert_non_null(strstr(out, "usage: reference-relay"));
    free(out);
    struct spawn_proc p;
    const char *bad[] = {"--tick-ms", "5000", NULL};
    assert_int_equal(harness_spawn(&p, "reference-relay", bad), 0);
    assert_int_equal(spawn_stop(&p, 0, 10000), 2);
    spawn_free(&p);
}

static void program_relays_between_clients(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--port", "0", NULL};
    assert_int_equal(harness_spawn(&relay, "reference-relay", args), 0);
    char err[256];
    int port = spawn_wait_listening(&relay, 10000, err, sizeof err);
    assert_true(port > 0);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 2;
    r.c[0] = harness_client((uint16_t)port, "lobby", "ann", PROTO_MODE_UDP, false);
    r.c[1] = harness_client((uint16_t)port, "lobby", "ben", PROTO_MODE_UDP, false);
    assert_int_equal(harness_poll_until(r.c, r.n, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r),
                     0);
    uint32_t id[2] = {ricochet_id(r.c[0]), ricochet_id(r.c[1])};
    assert_true(id[0] > 0 && id[1] > 0 && id[0] != id[1]);
    const int rounds = 20;
    harness_send_rounds(&r, rounds);
    harness_poll_for(r.c, r.n, 300, harness_rec_event, &r);
    for (size_t i = 0; i < 2; i++) {
        assert_in_range(r.states[i][id[1 - i]], rounds * 8 / 10, rounds); /* loopback */
        assert_int_equal(r.self_states[i], 0);
        assert_int_equal(r.states_bad_id[i], 0);
    }
    for (size_t i = 0; i < 2; i++)
        ricochet_close(r.c[i]);
    harness_stop(&relay);
}

static void bench_lane_beside_udp(void **state)
{
    (void)state;
    const char *args[] = {"--clients", "8", "--rate", "40", "--duration", "1", "--warmup", "0.3",
                          "--grace", "0.5", "--modes", "reference,udp", "--repeat", "2",
                          "--json-file", "-", "--quiet", NULL};
    const cJSON *results = bj_results(args);
    const cJSON *ref = bj_mode(results, "reference"), *udp = bj_mode(results, "udp");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(ref, "relay")),
                        "reference-relay");
    assert_null(cJSON_GetObjectItem(udp, "relay")); /* ricochet-relay's */
    assert_true(bj_num(ref, "delivery_pct") >= 99); /* loopback */
    assert_true(bj_num(ref, "relay_us_per_delivery") > 0);
    const cJSON *q = cJSON_GetObjectItem(udp, "relay_us_ratio");
    assert_non_null(q);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(q, "vs")), "reference");
    assert_int_equal(bj_num(q, "rounds"), 2);
    assert_true(bj_num(q, "median") > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fanout_to_the_room_only),
        cmocka_unit_test(batches_for_those_who_ask),
        cmocka_unit_test(strangers_garbage_and_pings),
        cmocka_unit_test(leaves_and_a_full_table),
        cmocka_unit_test(program_help_and_options),
        cmocka_unit_test(program_relays_between_clients),
        cmocka_unit_test(bench_lane_beside_udp),
    };
    return cmocka_run_group_tests(tests, NULL, bj_free);
}
