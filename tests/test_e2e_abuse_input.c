/* test_e2e_abuse_input.c: the relay under abuse, over 127.0.0.1 with the
 * real relay: oversize packets, invalid JSON, unknown types,
 * states before join, wrong channels, forged sender ids, ENet-level
 * rejections: each answered with its error code and counted under its drop
 * reason (read back through SIGUSR1).
 * Everything is bounded in time; the relay and sockets are closed on every
 * path (the harness kills children at exit). */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <enet/enet.h>

#include "client/lib/client.h"
#include "sys/clock.h"
#include "proto/control.h"
#include "proto/wire.h"
#include "tests/support/harness.h"
#include "tests/support/raw.h"
#include "tests/support/session.h"

/* ---- 4. bad input: each answered with its code and counted --------------- */

enum bad_kind { BAD_JSON, BAD_STATE, BAD_STATE_V2, BAD_STATE_PADDED, BAD_BIG_JSON };

struct bad_case {
    const char *what;
    enum bad_kind kind;
    uint8_t channel;
    uint32_t flags;
    const char *json; /* BAD_JSON */
    size_t len;       /* BAD_STATE_PADDED, BAD_BIG_JSON */
    const char *code; /* error code expected back */
    const char *counter;
};

static size_t bad_bytes(const struct bad_case *bc, uint8_t *buf, size_t cap)
{
    switch (bc->kind) {
    case BAD_JSON:
        snprintf((char *)buf, cap, "%s", bc->json);
        return strlen(bc->json);
    case BAD_STATE:
        return raw_state_bytes(buf, cap, 0, 1, PROTO_STATE_SIZE);
    case BAD_STATE_V2: {
        size_t n = raw_state_bytes(buf, cap, 0, 1, PROTO_STATE_SIZE);
        buf[0] = 2;
        return n;
    }
    case BAD_STATE_PADDED:
        return raw_state_bytes(buf, cap, 0, 1, bc->len);
    case BAD_BIG_JSON: { /* valid JSON, just long */
        size_t n = (size_t)snprintf((char *)buf, cap, "{\"type\":\"ping\",\"pad\":\"");
        while (n < bc->len - 2)
            buf[n++] = 'x';
        buf[n++] = '"';
        buf[n++] = '}';
        return n;
    }
    }
    return 0;
}

#define R ENET_PACKET_FLAG_RELIABLE
#define U ENET_PACKET_FLAG_UNSEQUENCED
static const struct bad_case bad_enet_groups[][8] = {
    {
        { "state before join", BAD_STATE, 1, U, NULL, 0, "not_joined", "drops.not_joined" },
        { "invalid JSON", BAD_JSON, 0, R, "{\"type\":\"join\",\"version\":2,", 0, "bad_json", "drops.bad_json" },
        { "JSON array", BAD_JSON, 0, R, "[1,2,3]", 0, "bad_json", "drops.bad_json" },
        { "unknown type", BAD_JSON, 0, R, "{\"type\":\"teleport\",\"x\":1}", 0,
          "unknown_type", "drops.unknown_type" },
        { "relay-only type", BAD_JSON, 0, R,
          "{\"type\":\"welcome\",\"id\":1,\"room\":\"x\",\"roster\":[]}", 0, "unknown_type",
          "drops.unknown_type" },
        { "missing field", BAD_JSON, 0, R, "{\"type\":\"join\",\"version\":2,\"name\":\"a\"}", 0,
          "missing_field", "drops.missing_field" },
        { "wrong field type", BAD_JSON, 0, R, "{\"type\":\"join\",\"version\":2,\"room\":5,\"name\":\"a\"}",
          0, "bad_field", "drops.bad_field" },
        { NULL },
    },
    {
        { "state on the control channel", BAD_STATE, 0, R, NULL, 0, "bad_json",
          "drops.wrong_channel" },
        { "JSON on the state channel", BAD_JSON, 1, U, "{\"type\":\"ping\",\"t\":1}", 0,
          "bad_state", "drops.wrong_channel" },
        { "reliable state on channel 1", BAD_STATE, 1, R, NULL, 0, "bad_state",
          "drops.wrong_channel" },
        { "state version 2", BAD_STATE_V2, 1, U, NULL, 0, "bad_state", "drops.bad_state" },
        { "state of 1300 bytes", BAD_STATE_PADDED, 1, U, NULL, 1300, "too_big",
          "drops.too_big" },
        { "control of 5000 bytes", BAD_BIG_JSON, 0, R, NULL, 5000, "too_big", "drops.too_big" },
        { "name longer than --name-max 8", BAD_JSON, 0, R,
          "{\"type\":\"join\",\"version\":2,\"room\":\"r\",\"name\":\"abcdefghij\"}", 0, "bad_name",
          "drops.bad_name" },
        { "room longer than --room-max 8", BAD_JSON, 0, R,
          "{\"type\":\"join\",\"version\":2,\"room\":\"abcdefghij\",\"name\":\"n\"}", 0, "bad_room",
          "drops.bad_room" },
    },
};

static void expect_counted(struct spawn_proc *relay, const char *what, const char *counter,
                           long long before)
{
    long long after = harness_relay_stat(relay, counter);
    if (after != before + 1)
        fprintf(stderr, "%s: %s went %lld -> %lld, want +1\n", what, counter, before, after);
    assert_int_equal(after, before + 1);
}

static void bad_input_enet(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--name-max", "8", "--room-max", "8", "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    static uint8_t buf[8192];
    static struct proto_control msg;
    int cases = 0;

    for (size_t g = 0; g < sizeof bad_enet_groups / sizeof bad_enet_groups[0]; g++) {
        struct raw_enet re; /* a fresh peer per group: error budget, strikes */
        assert_int_equal(raw_enet_open(&re, (uint16_t)port), 0);
        for (const struct bad_case *bc = bad_enet_groups[g]; bc < bad_enet_groups[g] + 8 && bc->what;
             bc++) {
            long long before = harness_relay_stat(&relay, bc->counter);
            size_t len = bad_bytes(bc, buf, sizeof buf);
            raw_enet_send(&re, bc->channel, bc->flags, buf, len);
            int rc = raw_enet_expect(&re, PROTO_CTL_ERROR, bc->code, 3000, &msg);
            if (rc != 0)
                fprintf(stderr, "%s: no error %s came back\n", bc->what, bc->code);
            assert_int_equal(rc, 0);
            expect_counted(&relay, bc->what, bc->counter, before);
            assert_false(re.disconnected);
            cases++;
        }
        raw_enet_close(&re);
    }

    /* Joined: a second join elsewhere, a repeated join, forged chat, ping. */
    struct raw_enet a;
    assert_int_equal(raw_enet_open(&a, (uint16_t)port), 0);
    const char *join = "{\"type\":\"join\",\"version\":2,\"room\":\"forge\",\"name\":\"mallory\","
                       "\"mode\":\"unsequenced\"}";
    raw_enet_send(&a, 0, R, join, strlen(join));
    assert_int_equal(raw_enet_expect(&a, PROTO_CTL_WELCOME, NULL, 3000, &msg), 0);
    uint32_t mallory = a.id;
    assert_true(mallory != 0);
    long long before = harness_relay_stat(&relay, "drops.already_joined");
    const char *join2 = "{\"type\":\"join\",\"version\":2,\"room\":\"other\",\"name\":\"mallory\"}";
    raw_enet_send(&a, 0, R, join2, strlen(join2));
    assert_int_equal(raw_enet_expect(&a, PROTO_CTL_ERROR, "already_joined", 3000, &msg), 0);
    expect_counted(&relay, "join elsewhere", "drops.already_joined", before);
    raw_enet_send(&a, 0, R, join, strlen(join));
    assert_int_equal(raw_enet_expect(&a, PROTO_CTL_WELCOME, NULL, 3000, &msg), 0);
    assert_int_equal(msg.id, mallory); /* a repeated join: same id */
    const char *chat = "{\"type\":\"chat\",\"id\":1,\"name\":\"admin\",\"text\":\"hello\"}";
    raw_enet_send(&a, 0, R, chat, strlen(chat));
    assert_int_equal(raw_enet_expect(&a, PROTO_CTL_CHAT, NULL, 3000, &msg), 0);
    assert_int_equal(msg.id, mallory); /* the relay says who spoke */
    assert_string_equal(msg.name, "mallory");
    const char *ping = "{\"type\":\"ping\",\"t\":424242}";
    raw_enet_send(&a, 0, R, ping, strlen(ping));
    assert_int_equal(raw_enet_expect(&a, PROTO_CTL_PONG, NULL, 3000, &msg), 0);
    assert_int_equal(msg.t, 424242);

    /* Forged sender ids: a real client in the room sees mallory's id. */
    struct session s;
    session_init(&s);
    session_add(&s, (uint16_t)port, "forge", "victim", PROTO_MODE_UNSEQUENCED, true, 0);
    session_wait_ready(&s, 0, 1);
    raw_enet_service(&a, 200, PROTO_CTL_JOINED, NULL, NULL, &msg);
    const uint32_t forged[] = { 0, s.id[0], 0xFFFFFFFFu, mallory + 1000 };
    for (size_t k = 0; k < 4; k++) {
        size_t len = raw_state_bytes(buf, sizeof buf, forged[k], (uint32_t)k, PROTO_STATE_SIZE);
        raw_enet_send(&a, 1, U, buf, len);
    }
    s.id[1] = mallory; /* count states stamped with mallory's id as from index 1 */
    s.n = 2;           /* index 1 has no client (the swarm has only the victim) */
    session_run(&s, 300, 500, NULL, NULL);
    raw_enet_service(&a, 50, PROTO_CTL_PONG, NULL, NULL, &msg);
    print_message("bad input enet: %d cases answered and counted; forged states seen by the "
                  "victim: %llu as mallory, %llu as itself, %llu as others\n", cases,
                  (unsigned long long)s.got_from[0][1], (unsigned long long)s.got_as_self[0],
                  (unsigned long long)s.got_unknown[0]);
    assert_int_equal(s.got_from[0][1], 4);
    assert_int_equal(s.got_as_self[0], 0);
    assert_int_equal(s.got_unknown[0], 0);
    s.n = 1;
    session_free(&s);
    raw_enet_close(&a);

    /* Strikes: a stream of garbage gets the peer kicked; errors are capped. */
    struct raw_enet b;
    assert_int_equal(raw_enet_open(&b, (uint16_t)port), 0);
    long long kicks0 = harness_relay_stat(&relay, "kicks");
    long long suppressed0 = harness_relay_stat(&relay, "errors_suppressed");
    for (int k = 0; k < 40 && !b.disconnected; k++)
        raw_enet_send(&b, 0, R, "{x", 2);
    int kicked = raw_enet_expect(&b, PROTO_CTL_ERROR, "kicked", 3000, &msg);
    raw_enet_service(&b, 1500, PROTO_CTL_PONG, NULL, NULL, &msg);
    long long kicks1 = harness_relay_stat(&relay, "kicks");
    long long suppressed1 = harness_relay_stat(&relay, "errors_suppressed");
    print_message("bad input enet: 40 invalid messages: kicked %s, disconnected %s, kicks +%lld, "
                  "errors suppressed +%lld\n", kicked == 0 ? "yes" : "no",
                  b.disconnected ? "yes" : "no", kicks1 - kicks0, suppressed1 - suppressed0);
    assert_int_equal(kicked, 0);
    assert_true(b.disconnected);
    assert_int_equal(kicks1 - kicks0, 1);
    assert_true(suppressed1 > suppressed0);
    raw_enet_close(&b);

    /* Kicked from 127.0.0.1: the kick bans that endpoint (its port), not
     * the machine's other clients, which a developer tests beside it: a
     * new connection from another port is let in. */
    struct raw_enet again;
    long long banned0 = harness_relay_stat(&relay, "drops.banned");
    assert_int_equal(raw_enet_open(&again, (uint16_t)port), 0);
    int refused = raw_enet_expect(&again, PROTO_CTL_ERROR, "kicked", 1000, &msg);
    long long banned1 = harness_relay_stat(&relay, "drops.banned");
    print_message("bad input enet: another client of 127.0.0.1 after the kick: refused %s, "
                  "drops.banned +%lld\n", refused == 0 ? "yes" : "no", banned1 - banned0);
    assert_int_not_equal(refused, 0);
    assert_false(again.disconnected);
    assert_int_equal(banned1 - banned0, 0);
    raw_enet_close(&again);

    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* Rejections ENet makes before the core sees anything must be counted too
 * (and answered where the client is connected): a connection with fewer
 * channels than the protocol needs, and a packet above ENet's
 * maximumPacketSize (which ENet drops without acknowledging it, so the
 * client's reliable channel 0 stalls until it times out). Both are measured
 * first, then asserted. */
static void enet_level_rejections(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    static struct proto_control msg;

    struct raw_enet one;
    long long drops0 = harness_relay_stat(&relay, "drops.*");
    long long chan0 = harness_relay_stat(&relay, "drops.bad_channels");
    assert_int_equal(raw_enet_open_channels(&one, (uint16_t)port, 1), 0);
    raw_enet_service(&one, 1500, PROTO_CTL_PONG, NULL, NULL, &msg);
    long long drops1 = harness_relay_stat(&relay, "drops.*");
    long long chan1 = harness_relay_stat(&relay, "drops.bad_channels");
    bool one_refused = one.disconnected;
    raw_enet_close(&one);

    struct raw_enet big;
    assert_int_equal(raw_enet_open(&big, (uint16_t)port), 0);
    size_t n = 100000; /* > 65536, the relay's ENet maximumPacketSize */
    char *buf = malloc(n);
    assert_non_null(buf);
    memset(buf, 'x', n);
    memcpy(buf, "{\"type\":\"ping\",\"pad\":\"", 20);
    buf[n - 2] = '"';
    buf[n - 1] = '}';
    long long too_big0 = harness_relay_stat(&relay, "drops.too_big");
    raw_enet_send(&big, 0, ENET_PACKET_FLAG_RELIABLE, buf, n);
    free(buf);
    int answered = raw_enet_expect(&big, PROTO_CTL_ERROR, "too_big", 3000, &msg);
    /* then the relay closes the connection: nothing can follow on channel 0 */
    uint64_t deadline = clock_now_ms() + 3000;
    while (!big.disconnected && clock_now_ms() < deadline)
        raw_enet_service(&big, 50, PROTO_CTL_PONG, NULL, NULL, &msg);
    long long too_big1 = harness_relay_stat(&relay, "drops.too_big");
    bool big_disconnected = big.disconnected;
    raw_enet_close(&big);

    /* The relay is still fine for the next client. */
    struct raw_enet after;
    assert_int_equal(raw_enet_open(&after, (uint16_t)port), 0);
    const char *ping = "{\"type\":\"ping\",\"t\":7}";
    raw_enet_send(&after, 0, ENET_PACKET_FLAG_RELIABLE, ping, strlen(ping));
    int ponged = raw_enet_expect(&after, PROTO_CTL_PONG, NULL, 3000, &msg);
    raw_enet_close(&after);
    print_message("enet-level rejections: 1-channel connection refused %s, drops +%lld "
                  "(bad_channels +%lld); 100000-byte packet: error too_big %s, disconnected "
                  "%s, drops.too_big +%lld\n",
                  one_refused ? "yes" : "no", drops1 - drops0, chan1 - chan0,
                  answered == 0 ? "yes" : "no", big_disconnected ? "yes" : "no",
                  too_big1 - too_big0);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    assert_true(one_refused);
    assert_int_equal(chan1 - chan0, 1);
    assert_true(drops1 > drops0);
    assert_int_equal(answered, 0);
    assert_true(big_disconnected);
    assert_int_equal(too_big1 - too_big0, 1); /* once per packet, not per fragment */
    assert_int_equal(ponged, 0);
}

/* An empty ENet packet is a command like any other: refused with
 * bad_state (validation step 3), acknowledged, and the session goes on. If
 * the whole datagram were refused, ENet would resend the empty command in
 * every later datagram and the peer would time out. */
static void empty_packets_enet(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    static struct proto_control msg;
    static const struct {
        uint8_t channel;
        uint32_t flags;
    } empties[] = { { 0, R }, { 2, R }, { 1, U }, { 2, U } };
    struct raw_enet re;
    assert_int_equal(raw_enet_open(&re, (uint16_t)port), 0);
    int answered = 0, ponged = 0;
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        long long before = harness_relay_stat(&relay, "drops.bad_state");
        raw_enet_send(&re, empties[i].channel, empties[i].flags, NULL, 0);
        if (raw_enet_expect(&re, PROTO_CTL_ERROR, "bad_state", 3000, &msg) == 0) {
            answered++;
            expect_counted(&relay, "empty packet", "drops.bad_state", before);
        }
        const char *ping = "{\"type\":\"ping\",\"t\":5}";
        raw_enet_send(&re, 0, R, ping, strlen(ping));
        ponged += raw_enet_expect(&re, PROTO_CTL_PONG, NULL, 3000, &msg) == 0;
    }
    int joined = raw_enet_join(&re, "empty", "e", PROTO_MODE_UNSEQUENCED, 3000);
    bool disconnected = re.disconnected;
    raw_enet_close(&re);
    print_message("empty enet packets: %d of 4 answered bad_state, %d pings answered after "
                  "them, join %s, disconnected %s\n", answered, ponged,
                  joined == 0 ? "welcomed" : "not welcomed", disconnected ? "yes" : "no");
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    assert_int_equal(answered, 4);
    assert_int_equal(ponged, 4);
    assert_int_equal(joined, 0);
    assert_false(disconnected);
}

static void bad_input_udp(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--transport", "udp", "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct sockaddr_in to = raw_loopback((uint16_t)port);
    int fd = harness_udp_socket(NULL);
    harness_udp_connect(fd, (uint16_t)port); /* only the relay's answers */
    static uint8_t buf[8192];
    static struct proto_control msg;
    /* A stranger's state (long enough for the answer, see PROTOCOL.md's
     * return routability): not_joined. */
    size_t slen = raw_state_bytes(buf, sizeof buf, 0, 1, PROTO_STATE_SIZE + 20);
    long long nj = harness_relay_stat(&relay, "drops.not_joined");
    sendto(fd, buf, slen, 0, (struct sockaddr *)&to, sizeof to);
    assert_int_equal(raw_udp_expect(fd, PROTO_CTL_ERROR, "not_joined", 3000, &msg), 0);
    expect_counted(&relay, "state before join", "drops.not_joined", nj);
    /* The rest from a member: a stranger gets no more than not_joined. */
    int bad = harness_udp_socket(NULL);
    assert_true(harness_udp_join(bad, (uint16_t)port,
                                 "{\"type\":\"join\",\"version\":2,\"room\":\"bad\","
                                 "\"name\":\"bad\",\"mode\":\"udp\"}", &msg, 3000));
    assert_int_equal(msg.type, PROTO_CTL_WELCOME);
    static const struct bad_case cases[] = {
        { "invalid JSON", BAD_JSON, 0, 0, "{\"type\":", 0, "bad_json", "drops.bad_json" },
        { "unknown type", BAD_JSON, 0, 0, "{\"type\":\"teleport\"}", 0, "unknown_type",
          "drops.unknown_type" },
        { "missing field", BAD_JSON, 0, 0, "{\"type\":\"join\",\"version\":2,\"room\":\"r\"}", 0,
          "missing_field", "drops.missing_field" },
        { "state version 2", BAD_STATE_V2, 0, 0, NULL, 0, "bad_state", "drops.bad_state" },
        { "state of 1300 bytes", BAD_STATE_PADDED, 0, 0, NULL, 1300, "too_big",
          "drops.too_big" },
        { "datagram of 5000 bytes", BAD_BIG_JSON, 0, 0, NULL, 5000, "too_big",
          "drops.too_big" },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct bad_case *bc = &cases[k];
        long long before = harness_relay_stat(&relay, bc->counter);
        size_t len = bad_bytes(bc, buf, sizeof buf);
        assert_true(sendto(bad, buf, len, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)len);
        int rc = raw_udp_expect(bad, PROTO_CTL_ERROR, bc->code, 3000, &msg);
        if (rc != 0)
            fprintf(stderr, "udp %s: no error %s came back\n", bc->what, bc->code);
        assert_int_equal(rc, 0);
        expect_counted(&relay, bc->what, bc->counter, before);
    }

    /* Join by hand, then forge sender ids; the victim sees our relay id. */
    struct session s;
    session_init(&s);
    session_add(&s, (uint16_t)port, "forge", "victim", PROTO_MODE_UDP, true, 0);
    session_wait_ready(&s, 0, 1);
    const char *join = "{\"type\":\"join\",\"version\":2,\"room\":\"forge\",\"name\":\"mallory\",\"mode\":\"udp\"}";
    assert_true(harness_udp_join(fd, (uint16_t)port, join, &msg, 3000));
    assert_int_equal(msg.type, PROTO_CTL_WELCOME);
    uint32_t mallory = msg.id;
    session_run(&s, 200, 0, NULL, NULL);
    const uint32_t forged[] = { 0, s.id[0], 0xFFFFFFFFu, mallory + 1000 };
    for (size_t k = 0; k < 4; k++) {
        size_t len = raw_state_bytes(buf, sizeof buf, forged[k], (uint32_t)k, PROTO_STATE_SIZE);
        sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof to);
    }
    /* Datagrams at the victim's own socket from a stranger are ignored. */
    struct sockaddr_in victim_addr;
    socklen_t alen = sizeof victim_addr;
    assert_int_equal(getsockname(ricochet_fd(s.c[0]), (struct sockaddr *)&victim_addr,
                                 &alen), 0);
    int stranger = harness_udp_socket(NULL);
    for (size_t k = 0; k < 4; k++) {
        size_t len = raw_state_bytes(buf, sizeof buf, mallory, 100 + (uint32_t)k, PROTO_STATE_SIZE);
        sendto(stranger, buf, len, 0, (struct sockaddr *)&victim_addr, sizeof victim_addr);
    }
    const char *fake_left = "{\"type\":\"left\",\"id\":1,\"name\":\"victim\",\"reason\":\"kicked\"}";
    sendto(stranger, fake_left, strlen(fake_left), 0, (struct sockaddr *)&victim_addr,
           sizeof victim_addr);
    s.id[1] = mallory;
    s.n = 2;
    session_run(&s, 300, 500, NULL, NULL);
    print_message("bad input udp: %zu cases answered and counted; forged states seen by the "
                  "victim: %llu as mallory, %llu as itself, %llu as others; left notices %zu\n",
                  sizeof cases / sizeof cases[0], (unsigned long long)s.got_from[0][1],
                  (unsigned long long)s.got_as_self[0], (unsigned long long)s.got_unknown[0],
                  s.n_left[0]);
    assert_int_equal(s.got_from[0][1], 4); /* the relay's 4, not the stranger's */
    assert_int_equal(s.got_as_self[0], 0);
    assert_int_equal(s.got_unknown[0], 0);
    assert_int_equal(s.n_left[0], 0);
    assert_true(ricochet_joined(s.c[0]));
    s.n = 1;
    session_free(&s);
    close(stranger);
    close(bad);
    close(fd);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_input_enet),
        cmocka_unit_test(bad_input_udp),
        cmocka_unit_test(enet_level_rejections),
        cmocka_unit_test(empty_packets_enet),
    };
    return session_run_tests("abuse_input", tests, sizeof tests / sizeof tests[0]);
}
