/* test_e2e_enet_proof.c: return routability on the real relay's ENet edge,
 * as PROTOCOL.md's "Return routability (ENet)" says it, read by a raw ENet
 * peer: a connection that has not echoed its cookie gets the cookie alone,
 * unsequenced, and only to a JSON object on channel 0 of 55 bytes or more,
 * four times at most; any object carrying a valid cookie is the echo and
 * goes on to the session, but a `cookie` message, which is the echo alone;
 * a join whose cookie was lost goes again; a connection the relay refused
 * at its connect (full) is still answered a cookie, and its refusal goes
 * whole once the cookie comes back, or as the disconnect's code alone 1 s
 * after the refusal; a join of another version on a proven connection is
 * refused and the session goes on; an earlier client (connect data 0) gets
 * bad_version, the error itself only to a first message of 67 bytes or
 * more (10 longer than the error's 57), even if it reads late. Every wait
 * is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <enet/enet.h>

#include "client/lib/client.h"
#include "proto/enet/enet_wire.h"
#include "proto/errors.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/onpath.h"
#include "tests/support/raw.h"

#define WAIT_MS 15000 /* upper bound of any wait; normally milliseconds */

/* The cookie message's length, and the upgrade error's (PROTOCOL.md). */
#define COOKIE_MSG_LEN 45
#define UPGRADE_LEN 57

/* The next packet to raw within ms, its channel and flags (destroyed), or
 * -1; a disconnect sets raw->disconnected and *data. */
static int next_packet(struct raw_enet *raw, int ms, char *buf, size_t cap, uint32_t *flags,
                       uint32_t *data)
{
    ENetEvent ev;
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    while (clock_now_ms() < deadline) {
        if (enet_host_service(raw->host, &ev, 10) <= 0)
            continue;
        if (ev.type == ENET_EVENT_TYPE_DISCONNECT) {
            raw->disconnected = true;
            *data = ev.data;
            return -1;
        }
        if (ev.type != ENET_EVENT_TYPE_RECEIVE)
            continue;
        size_t n = ev.packet->dataLength < cap - 1 ? ev.packet->dataLength : cap - 1;
        memcpy(buf, ev.packet->data, n);
        buf[n] = '\0';
        *flags = ev.packet->flags;
        int channel = ev.channelID;
        enet_packet_destroy(ev.packet);
        return channel;
    }
    return -1;
}

/* A relay started (with args, may be NULL), and raw connected to it with
 * CONNECT data (its PROTO_ENET_* flags). */
static void raw_to_new_relay(struct spawn_proc *relay, const char *const *args,
                             struct raw_enet *raw, uint32_t data)
{
    int port = harness_start_relay(relay, args);
    assert_true(port > 0);
    assert_int_equal(enet_initialize(), 0);
    assert_int_equal(raw_enet_connect(raw, (uint16_t)port, PROTO_CHANNEL_COUNT, data, WAIT_MS),
                     0);
}

/* The next packet to raw within WAIT_MS: a control message, decoded into
 * *m (buf: its text, cap bytes), its flags into *flags. */
static void next_control(struct raw_enet *raw, char *buf, size_t cap, struct proto_control *m,
                         uint32_t *flags)
{
    uint32_t data = 0;
    assert_int_equal(next_packet(raw, WAIT_MS, buf, cap, flags, &data), PROTO_CHANNEL_CONTROL);
    assert_int_equal(proto_control_decode(buf, strlen(buf), m, NULL, 0), PROTO_OK);
}

/* A JSON object of type type, padded to exactly len bytes with a "pad"
 * field (and a cookie, if not NULL), into buf. */
static const char *object_of(char *buf, size_t cap, const char *type, const char *cookie,
                             size_t len)
{
    char head[128];
    int n = cookie ? snprintf(head, sizeof head, "{\"type\":\"%s\",\"cookie\":\"%s\",\"pad\":\"",
                              type, cookie)
                   : snprintf(head, sizeof head, "{\"type\":\"%s\",\"pad\":\"", type);
    assert_true(n > 0 && (size_t)n + 2 <= len && len < cap);
    memcpy(buf, head, (size_t)n);
    memset(buf + n, '.', len - (size_t)n - 2);
    memcpy(buf + len - 2, "\"}", 3);
    assert_int_equal(strlen(buf), len);
    return buf;
}

static void send_text(struct raw_enet *raw, const char *text)
{
    raw_enet_send(raw, PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE, text, strlen(text));
}

/* Nothing comes to raw within ms (no packet, no disconnect). */
static void quiet_for(struct raw_enet *raw, int ms)
{
    char buf[PROTO_CONTROL_MAX + 1];
    uint32_t flags = 0, data = 0;
    assert_int_equal(next_packet(raw, ms, buf, sizeof buf, &flags, &data), -1);
    assert_false(raw->disconnected);
}

static char *stop_relay(struct spawn_proc *relay)
{
    enet_deinitialize();
    assert_int_equal(spawn_stop(relay, SIGTERM, WAIT_MS), 0);
    char *out = spawn_read_stdout(relay);
    spawn_free(relay);
    return out;
}

/* Before it echoes a cookie a connection is told nothing but the cookie,
 * unsequenced, and only to a message long enough; the echo in a request's
 * own field lets that request through. */
static void unproven_connection_gets_only_its_cookie(void **state)
{
    (void)state;
    struct spawn_proc relay;
    struct raw_enet raw;
    raw_to_new_relay(&relay, NULL, &raw, PROTO_ENET_ECHOES_COOKIES);
    char buf[PROTO_CONTROL_MAX + 1];
    uint32_t flags = 0, data = 0;
    static const char shortask[] = "{\"type\":\"rooms\"}"; /* shorter than a cookie */
    send_text(&raw, shortask);
    assert_int_equal(next_packet(&raw, 500, buf, sizeof buf, &flags, &data), -1);
    static const char ask[] = "{\"type\":\"rooms\",\"pad\":\"......................"
                              "..................\"}";
    send_text(&raw, ask);
    struct proto_control m;
    next_control(&raw, buf, sizeof buf, &m, &flags);
    assert_int_equal(m.type, PROTO_CTL_COOKIE);
    assert_true(flags & ENET_PACKET_FLAG_UNSEQUENCED); /* never resent */
    assert_int_equal(strlen(buf), COOKIE_MSG_LEN);
    assert_true(strlen(buf) + 10 <= sizeof ask - 1);
    assert_int_equal(next_packet(&raw, 300, buf, sizeof buf, &flags, &data), -1);
    char echo[128];
    snprintf(echo, sizeof echo, "{\"type\":\"rooms\",\"cookie\":\"%s\"}", m.cookie);
    send_text(&raw, echo);
    next_control(&raw, buf, sizeof buf, &m, &flags);
    assert_int_equal(m.type, PROTO_CTL_ROOMS); /* the listing: the echo's request, answered */
    assert_true(flags & ENET_PACKET_FLAG_RELIABLE);
    raw_enet_close(&raw);
    char *out = stop_relay(&relay);
    assert_int_equal(harness_stats_field(out, true, "drops.unverified"), 2);
    free(out);
}

/* "Its first control message" is any JSON object on channel 0: one of an
 * unknown type asks for a cookie as a join does, at 55 bytes (the cookie's
 * 45 and 10) and not at 54; what is not an object (an array, a state on
 * its channel) is answered nothing; and a connection is answered 4 times
 * at most. */
static void any_object_of_55_bytes_asks_four_times(void **state)
{
    (void)state;
    struct spawn_proc relay;
    struct raw_enet raw;
    raw_to_new_relay(&relay, NULL, &raw, PROTO_ENET_ECHOES_COOKIES);
    char ask[256], buf[PROTO_CONTROL_MAX + 1];
    uint32_t flags = 0;
    send_text(&raw, object_of(ask, sizeof ask, "anything", NULL, COOKIE_MSG_LEN + 9));
    quiet_for(&raw, 400);
    static const char array[] = "[\"............................................................\"]";
    assert_true(sizeof array - 1 >= 55);
    send_text(&raw, array);
    uint8_t st[64];
    size_t n = raw_state_bytes(st, sizeof st, 0, 1, PROTO_STATE_SIZE);
    raw_enet_send(&raw, 1, ENET_PACKET_FLAG_UNSEQUENCED, st, n);
    quiet_for(&raw, 400);
    object_of(ask, sizeof ask, "anything", NULL, COOKIE_MSG_LEN + 10);
    for (int i = 0; i < 4; i++) {
        send_text(&raw, ask);
        struct proto_control m;
        next_control(&raw, buf, sizeof buf, &m, &flags);
        assert_int_equal(m.type, PROTO_CTL_COOKIE);
    }
    send_text(&raw, ask); /* a fifth */
    quiet_for(&raw, 400);
    raw_enet_close(&raw);
    char *out = stop_relay(&relay);
    assert_int_equal(harness_stats_field(out, true, "drops.unverified"), 8);
    free(out);
}

/* Any object with a valid cookie field is the echo and goes on to the
 * session (a chat before a join: not_joined); the `cookie` message is the
 * echo alone, and the session hears nothing of it. */
static void any_object_with_the_cookie_is_the_echo(void **state)
{
    (void)state;
    struct spawn_proc relay;
    struct raw_enet raw;
    raw_to_new_relay(&relay, NULL, &raw, PROTO_ENET_ECHOES_COOKIES);
    char ask[256], buf[PROTO_CONTROL_MAX + 1], echo[256];
    uint32_t flags = 0;
    struct proto_control m;
    send_text(&raw, object_of(ask, sizeof ask, "rooms", NULL, 64));
    next_control(&raw, buf, sizeof buf, &m, &flags);
    assert_int_equal(m.type, PROTO_CTL_COOKIE);
    snprintf(echo, sizeof echo, "{\"type\":\"chat\",\"text\":\"hi\",\"cookie\":\"%s\"}", m.cookie);
    send_text(&raw, echo);
    next_control(&raw, buf, sizeof buf, &m, &flags);
    assert_int_equal(m.type, PROTO_CTL_ERROR);
    assert_string_equal(m.code, "not_joined"); /* the chat reached the session */
    raw_enet_close(&raw);

    assert_int_equal(raw_enet_connect(&raw, harness_edge_port(&relay, "enet"),
                                      PROTO_CHANNEL_COUNT, PROTO_ENET_ECHOES_COOKIES, WAIT_MS), 0);
    send_text(&raw, object_of(ask, sizeof ask, "rooms", NULL, 64));
    next_control(&raw, buf, sizeof buf, &m, &flags);
    assert_int_equal(m.type, PROTO_CTL_COOKIE);
    send_text(&raw, buf); /* the cookie message as it came */
    quiet_for(&raw, 500); /* the echo alone: no answer, no unknown_type */
    send_text(&raw, "{\"type\":\"rooms\"}"); /* proven: even a short request is answered */
    next_control(&raw, buf, sizeof buf, &m, &flags);
    assert_int_equal(m.type, PROTO_CTL_ROOMS);
    raw_enet_close(&raw);
    free(stop_relay(&relay));
}

/* A join of another version on a connection that has shown its address
 * is refused bad_version, and the connection goes on: its next join, of
 * this version, is welcomed. (Only a connection whose connect data is not
 * 1 is closed with bad_version.) */
static void a_wrong_version_on_a_proven_connection_goes_on(void **state)
{
    (void)state;
    struct spawn_proc relay;
    struct raw_enet raw;
    raw_to_new_relay(&relay, NULL, &raw, PROTO_ENET_ECHOES_COOKIES);
    assert_int_equal(raw_enet_prove(raw.host, raw.peer, WAIT_MS), 0);
    send_text(&raw, "{\"type\":\"join\",\"version\":1,\"room\":\"r\",\"name\":\"old\"}");
    struct proto_control m;
    assert_int_equal(raw_enet_expect(&raw, PROTO_CTL_ERROR, "bad_version", WAIT_MS, &m), 0);
    assert_false(raw.disconnected);
    assert_int_equal(raw_enet_join(&raw, "r", "new", PROTO_MODE_UNSEQUENCED, WAIT_MS), 0);
    assert_false(raw.disconnected);
    raw_enet_close(&raw);
    free(stop_relay(&relay));
}

/* A connection the relay refused at its connect (--max-clients 1, one
 * member there) is answered a cookie all the same; its refusal goes whole
 * and reliable once the cookie comes back, then the close; a connection
 * that never echoes gets the code alone in the disconnect's data, 1 s after
 * the refusal (its connect), though it asked well after that began. */
static void a_refused_connection_is_answered_a_cookie(void **state)
{
    (void)state;
    static const char *const args[] = {"--max-clients", "1", NULL};
    struct spawn_proc relay;
    struct raw_enet member, late, silent;
    raw_to_new_relay(&relay, args, &member, PROTO_ENET_ECHOES_COOKIES);
    assert_int_equal(raw_enet_prove(member.host, member.peer, WAIT_MS), 0);
    assert_int_equal(raw_enet_join(&member, "r", "ana", PROTO_MODE_UNSEQUENCED, WAIT_MS), 0);
    uint16_t port = harness_edge_port(&relay, "enet");

    assert_int_equal(raw_enet_connect(&late, port, PROTO_CHANNEL_COUNT,
                                      PROTO_ENET_ECHOES_COOKIES, WAIT_MS), 0);
    assert_int_equal(raw_enet_prove(late.host, late.peer, WAIT_MS), 0);
    struct proto_control m;
    assert_int_equal(raw_enet_expect(&late, PROTO_CTL_ERROR, "server_full", WAIT_MS, &m), 0);
    char buf[PROTO_CONTROL_MAX + 1];
    uint32_t flags = 0, data = 0;
    while (next_packet(&late, WAIT_MS, buf, sizeof buf, &flags, &data) >= 0)
        ;
    assert_true(late.disconnected);
    assert_int_equal(data, PROTO_ERROR_SERVER_FULL);
    raw_enet_close(&late);

    assert_int_equal(raw_enet_connect(&silent, port, PROTO_CHANNEL_COUNT,
                                      PROTO_ENET_ECHOES_COOKIES, WAIT_MS), 0);
    uint64_t refused_ms = clock_now_ms();
    char ask[256];
    usleep(600 * 1000);
    send_text(&silent, object_of(ask, sizeof ask, "join", NULL, 64));
    next_control(&silent, buf, sizeof buf, &m, &flags);
    assert_int_equal(m.type, PROTO_CTL_COOKIE);
    while (next_packet(&silent, WAIT_MS, buf, sizeof buf, &flags, &data) >= 0)
        ;
    uint64_t took = clock_now_ms() - refused_ms;
    assert_true(silent.disconnected);
    assert_int_equal(data, PROTO_ERROR_SERVER_FULL);
    assert_true(took >= 900 && took < 1600); /* from the refusal, not from its request */
    raw_enet_close(&silent);
    raw_enet_close(&member);
    free(stop_relay(&relay));
}

/* Drops the relay's first two cookies on their way down (an unsequenced
 * packet, never resent): what a lossy path does to a join's cookie. */
static bool drop_two_cookies(void *ctx, enum onpath_way way, const uint8_t *b, size_t len)
{
    int *dropped = ctx;
    if (way == ONPATH_UP || *dropped >= 2 || !memmem(b, len, "\"cookie\"", 8))
        return true;
    ++*dropped;
    return false;
}

/* A join whose cookie is lost goes again until a cookie comes: the
 * session joins, though the relay never resends a cookie itself. */
static void lost_cookie_join_goes_again(void **state)
{
    (void)state;
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, NULL);
    assert_true(port > 0);
    struct onpath *op = onpath_start((uint16_t)port);
    int dropped = 0;
    onpath_filter(op, drop_two_cookies, &dropped);
    struct harness_rec r = {.n = 1};
    r.c[0] = harness_client(op->port, "lossy", "ana", PROTO_MODE_UNSEQUENCED, false);
    assert_int_equal(harness_poll_until(r.c, r.n, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r), 0);
    assert_int_equal(dropped, 2);
    ricochet_close(r.c[0]);
    onpath_stop(op);
    assert_int_equal(spawn_stop(&relay, SIGTERM, WAIT_MS), 0);
    spawn_free(&relay);
}

/* The first datagram onpath saw go down at or after index from that
 * carries an ENet command of that number; SIZE_MAX if none. */
static size_t down_with(struct onpath *op, size_t from, unsigned command)
{
    uint8_t d[ONPATH_BYTES];
    for (size_t i = from; i < onpath_count(op, ONPATH_DOWN); i++) {
        size_t len = onpath_copy(op, ONPATH_DOWN, i, d, sizeof d), off;
        struct enet_wire_header h;
        struct enet_wire_command c;
        if (enet_wire_header(d, len, 0, &h) != 0)
            continue;
        for (off = h.size; enet_wire_next(d, len, &off, &c) == 1;)
            if (c.command == command)
                return i;
    }
    return SIZE_MAX;
}

/* Services raw until the relay's THROTTLE_CONFIGURE has come and been
 * acknowledged: then nothing of the relay's waits on an acknowledgement. */
static void settle(struct raw_enet *raw, struct onpath *op)
{
    ENetEvent ev;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    size_t at;
    while ((at = down_with(op, 0, ENET_PROTOCOL_COMMAND_THROTTLE_CONFIGURE)) == SIZE_MAX &&
           clock_now_ms() < deadline)
        enet_host_service(raw->host, &ev, 10);
    size_t up = onpath_count(op, ONPATH_UP);
    while (onpath_count(op, ONPATH_UP) == up && clock_now_ms() < deadline)
        enet_host_service(raw->host, &ev, 10);
    assert_int_not_equal(at, SIZE_MAX);
    assert_true(onpath_count(op, ONPATH_UP) > up);
}

/* A client from before cookies (CONNECT data 0) gets bad_version, "upgrade",
 * and the close with its code, at its first message: even one that reads
 * late. ENet drops a packet it has read but not handed over when a
 * DISCONNECT comes in the same read (enet_peer_reset_queues), so this
 * client reads nothing until the error has gone and LATE_MS more have
 * passed (or a DISCONNECT has gone after it): the close must wait for it. */
static void earlier_client_told_to_upgrade(void **state)
{
    (void)state;
    enum { LATE_MS = 500 }; /* the relay's next turns come well within it */
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, NULL);
    assert_true(port > 0);
    struct onpath *op = onpath_start((uint16_t)port);
    struct raw_enet raw;
    assert_int_equal(enet_initialize(), 0);
    assert_int_equal(raw_enet_connect(&raw, op->port, PROTO_CHANNEL_COUNT, 0, WAIT_MS), 0);
    settle(&raw, op);
    size_t sent = onpath_count(op, ONPATH_DOWN);
    static const char join[] = "{\"type\":\"join\",\"version\":3,\"room\":\"lobby\","
                               "\"name\":\"old\",\"mode\":\"unsequenced\"}";
    send_text(&raw, join);
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (!onpath_saw(op, ONPATH_DOWN, "bad_version", 11) && clock_now_ms() < deadline)
        usleep(1000);
    deadline = clock_now_ms() + LATE_MS;
    while (down_with(op, sent, ENET_PROTOCOL_COMMAND_DISCONNECT) == SIZE_MAX &&
           clock_now_ms() < deadline)
        usleep(1000);
    char buf[PROTO_CONTROL_MAX + 1];
    uint32_t flags = 0, data = 0;
    struct proto_control m;
    next_control(&raw, buf, sizeof buf, &m, &flags);
    assert_int_equal(m.type, PROTO_CTL_ERROR);
    assert_string_equal(m.code, "bad_version");
    assert_string_equal(m.text, "upgrade");
    assert_int_equal(strlen(buf), UPGRADE_LEN);
    while (!raw.disconnected && next_packet(&raw, WAIT_MS, buf, sizeof buf, &flags, &data) >= 0)
        ;
    assert_true(raw.disconnected);
    assert_int_equal(data, PROTO_ERROR_BAD_VERSION);
    raw_enet_close(&raw);
    enet_deinitialize();
    onpath_stop(op);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* The upgrade error goes only to a first message at least 10 bytes longer
 * than it, 67 bytes: one of 66 gets the disconnect's code alone. */
static void the_upgrade_error_needs_67_bytes(void **state)
{
    (void)state;
    struct spawn_proc relay;
    struct raw_enet raw;
    raw_to_new_relay(&relay, NULL, &raw, 0);
    uint16_t port = harness_edge_port(&relay, "enet");
    char ask[256], buf[PROTO_CONTROL_MAX + 1];
    uint32_t flags = 0, data = 0;
    for (size_t len = UPGRADE_LEN + 9; len <= UPGRADE_LEN + 10; len++) {
        if (len > UPGRADE_LEN + 9)
            assert_int_equal(raw_enet_connect(&raw, port, PROTO_CHANNEL_COUNT, 0, WAIT_MS), 0);
        send_text(&raw, object_of(ask, sizeof ask, "join", NULL, len));
        int got = 0;
        while (next_packet(&raw, WAIT_MS, buf, sizeof buf, &flags, &data) >= 0)
            got += strstr(buf, "bad_version") != NULL;
        assert_true(raw.disconnected);
        assert_int_equal(data, PROTO_ERROR_BAD_VERSION);
        assert_int_equal(got, len >= UPGRADE_LEN + 10 ? 1 : 0);
        raw_enet_close(&raw);
    }
    free(stop_relay(&relay));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unproven_connection_gets_only_its_cookie),
        cmocka_unit_test(any_object_of_55_bytes_asks_four_times),
        cmocka_unit_test(any_object_with_the_cookie_is_the_echo),
        cmocka_unit_test(a_wrong_version_on_a_proven_connection_goes_on),
        cmocka_unit_test(a_refused_connection_is_answered_a_cookie),
        cmocka_unit_test_teardown(lost_cookie_join_goes_again, onpath_stop_all),
        cmocka_unit_test_teardown(earlier_client_told_to_upgrade, onpath_stop_all),
        cmocka_unit_test(the_upgrade_error_needs_67_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
