/* test_client.c: the client library against a fake plain-UDP relay written
 * here (a UDP socket), so the tests can send exactly the bytes a real relay
 * never would: garbage, bad versions, states before the welcome, duplicates
 * and gaps; udp repairs (rejoin, expiry). Also: bad configs and connection
 * failure. The ENet side is test_client_enet.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <enet/enet.h>

#include "client/lib/client.h"
#include "client/lib/client_internal.h"
#include "client/lib/client_test.h"
#include "proto/errors.h"
#include "sys/clock.h"
#include "tests/support/harness.h"

#define WAIT_MS 10000

static struct ricochet *make_client(uint16_t port, enum proto_mode mode, uint32_t timeout_ms)
{
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = "r1",
                                .name = "tester", .mode = mode, .timeout_ms = timeout_ms};
    char err[256];
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    assert_non_null(c);
    return c;
}

static void bad_config(void **state)
{
    (void)state;
    char err[256];
    struct client_config cfg = {.host = "127.0.0.1", .port = 7777, .room = "ok",
                                .name = "bad\x1bname", .mode = PROTO_MODE_UNSEQUENCED};
    err[0] = '\0';
    assert_null(client_create(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "name"));
    cfg.name = "fine";
    cfg.room = "";
    err[0] = '\0';
    assert_null(client_create(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "room"));
    cfg.room = "ok";
    cfg.mode = (enum proto_mode)9;
    assert_null(client_create(&cfg, err, sizeof err));
    cfg.mode = PROTO_MODE_UDP;
    cfg.host = "no-such-host.invalid";
    assert_null(client_create(&cfg, err, sizeof err));
}

/* Nobody answers: DISCONNECTED within the timeout, then -1 forever. */
static void check_no_answer(enum proto_mode mode)
{
    uint16_t port;
    int silent = harness_udp_socket(&port); /* bound but never answers */
    struct ricochet *c = make_client(port, mode, 400);
    struct proto_state s = {.x = 1};
    assert_int_equal(client_send_state(c, &s, 0), RICOCHET_E_NOT_JOINED); /* not joined */
    assert_int_equal(ricochet_id(c), 0);
    uint64_t start = clock_now_ms();
    struct ricochet_event ev;
    int r;
    while ((r = ricochet_poll(c, 50, &ev)) == 0 && clock_now_ms() - start < WAIT_MS) {
    }
    assert_int_equal(r, 1);
    assert_int_equal(ev.type, RICOCHET_EV_DISCONNECTED);
    assert_true(strlen(ev.code) > 0);
    assert_true(strlen(ev.text) > 0);
    assert_true(clock_now_ms() - start >= 350);
    assert_int_equal(ricochet_poll(c, 0, &ev), -1);
    assert_int_equal(ricochet_poll(c, 10, &ev), -1);
    assert_false(ricochet_joined(c));
    ricochet_close(c);
    close(silent);
}

static void no_answer_enet(void **state)
{
    (void)state;
    check_no_answer(PROTO_MODE_UNSEQUENCED);
}

static void no_answer_udp(void **state)
{
    (void)state;
    check_no_answer(PROTO_MODE_UDP);
}

/* ---- fake plain-UDP relay ---- */

struct fake_udp {
    int fd;
    uint16_t port;
    struct sockaddr_in peer; /* the client's address */
    bool have_peer;
};

/* The fake relay's next datagram from this process's client, if one is
 * waiting, NUL-terminated; its length or -1. */
static ssize_t fake_recv_now(struct fake_udp *f, char *buf, size_t cap)
{
    union netaddr from;
    ssize_t n = harness_recv_from_pid(f->fd, getpid(), buf, cap, &from);
    if (n >= 0) {
        f->peer = from.v4;
        f->have_peer = true;
        buf[n] = '\0';
    }
    return n;
}

/* Receives one datagram (polling the client meanwhile, if any); returns its
 * length or -1 on timeout. */
static int fake_recv(struct fake_udp *f, struct ricochet *c, char *buf, size_t cap,
                     int timeout_ms)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)timeout_ms;
    while (clock_now_ms() < deadline) {
        ssize_t n = fake_recv_now(f, buf, cap - 1);
        if (n >= 0)
            return (int)n;
        struct ricochet_event ev;
        if (c)
            ricochet_poll(c, 5, &ev); /* keeps the client's timers going */
        else
            poll(&(struct pollfd){.fd = f->fd, .events = POLLIN}, 1, 5);
    }
    return -1;
}

/* A fake relay on an ephemeral port and a udp client of it (room r1, name
 * tester) that gives up after timeout_ms. */
static struct ricochet *fake_udp_open(struct fake_udp *f, uint32_t timeout_ms)
{
    memset(f, 0, sizeof *f);
    f->fd = harness_udp_socket(&f->port);
    return make_client(f->port, PROTO_MODE_UDP, timeout_ms);
}

static void fake_send(struct fake_udp *f, const void *buf, size_t len)
{
    assert_true(f->have_peer);
    sendto(f->fd, buf, len, 0, (struct sockaddr *)&f->peer, sizeof f->peer);
}

static void fake_send_control(struct fake_udp *f, const struct proto_control *m)
{
    static char buf[PROTO_CONTROL_MAX];
    int len = proto_control_encode(buf, sizeof buf, m);
    assert_true(len > 0);
    fake_send(f, buf, (size_t)len);
}

static void fake_send_state(struct fake_udp *f, uint32_t sender, uint32_t seq, float x)
{
    struct proto_state s = {.sender = sender, .seq = seq, .send_us = clock_now_us(), .x = x};
    uint8_t buf[PROTO_STATE_SIZE];
    assert_int_equal(proto_state_encode(buf, sizeof buf, &s), PROTO_STATE_SIZE);
    fake_send(f, buf, sizeof buf);
}

/* Sends a notice of type (joined, left or chat) about member id/name:
 * joined with mode udp, left with reason, chat with text. */
static void fake_notice(struct fake_udp *f, enum proto_ctl_type type, uint32_t id,
                        const char *name, enum proto_left_reason reason, const char *text)
{
    static struct proto_control m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.id = id;
    snprintf(m.name, sizeof m.name, "%s", name);
    m.mode = PROTO_MODE_UDP;
    m.reason = reason;
    snprintf(m.text, sizeof m.text, "%s", text ? text : "");
    fake_send_control(f, &m);
}

/* Sends an error with code and text. */
static void fake_error(struct fake_udp *f, const char *code, const char *text)
{
    static struct proto_control m;
    memset(&m, 0, sizeof m);
    m.type = PROTO_CTL_ERROR;
    snprintf(m.code, sizeof m.code, "%s", code);
    snprintf(m.text, sizeof m.text, "%s", text);
    fake_send_control(f, &m);
}

/* Polls until an event of type t arrives (others are skipped but counted). */
static bool wait_event(struct ricochet *c, enum ricochet_event_type t, struct ricochet_event *ev,
                       int timeout_ms, int *skipped)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)timeout_ms;
    while (clock_now_ms() < deadline) {
        int r = ricochet_poll(c, 10, ev);
        if (r < 0)
            return false;
        if (r == 1) {
            if (ev->type == t)
                return true;
            if (skipped)
                (*skipped)++;
        }
    }
    return false;
}

static void udp_fake_relay(void **state)
{
    (void)state;
    struct fake_udp f;
    struct ricochet *c = fake_udp_open(&f, 2500);
    static char buf[PROTO_CONTROL_MAX + 1];
    static struct proto_control m;

    /* The join comes at once, then again every 250 ms, give or take a quarter. */
    uint64_t t0 = clock_now_ms();
    assert_true(fake_recv(&f, c, buf, sizeof buf, WAIT_MS) > 0);
    assert_int_equal(proto_control_decode(buf, strlen(buf), &m, NULL, 0), PROTO_OK);
    assert_int_equal(m.type, PROTO_CTL_JOIN);
    assert_string_equal(m.room, "r1");
    assert_string_equal(m.name, "tester");
    assert_int_equal(m.mode, PROTO_MODE_UDP);
    assert_true(fake_recv(&f, c, buf, sizeof buf, WAIT_MS) > 0);
    assert_int_equal(proto_control_decode(buf, strlen(buf), &m, NULL, 0), PROTO_OK);
    assert_int_equal(m.type, PROTO_CTL_JOIN);
    assert_true(clock_now_ms() - t0 >= 150); /* not at once (187.5 ms at least) */

    /* Garbage and a state before the welcome: dropped, no event; the
     * garbage counted bad, the state not (it may overtake the welcome). */
    fake_send(&f, "", 0);
    fake_send(&f, "{", 1);
    fake_send(&f, "{\"type\":\"welcome\"}", 18);
    fake_send(&f, "\x07garbage", 8);
    fake_send_state(&f, 7, 1, 1.0f);
    struct ricochet_event ev;
    for (int k = 0; k < 20; k++) {
        int r = ricochet_poll(c, 5, &ev);
        assert_true(r == 0);
    }
    assert_false(ricochet_joined(c));
    assert_int_equal(client_bad_messages(c), 4);

    /* The welcome: my id 5, one member (7) with a last state. */
    memset(&m, 0, sizeof m);
    m.type = PROTO_CTL_WELCOME;
    m.id = 5;
    snprintf(m.room, sizeof m.room, "r1");
    m.roster_len = 2;
    m.roster[0].id = 7;
    snprintf(m.roster[0].name, sizeof m.roster[0].name, "seven");
    m.roster[0].mode = PROTO_MODE_UDP;
    m.roster[0].has_state = true;
    m.roster[0].state = (struct proto_state){.sender = 7, .seq = 3, .x = 33.0f};
    m.roster[1].id = 5; /* myself: not a member */
    snprintf(m.roster[1].name, sizeof m.roster[1].name, "tester");
    fake_send_control(&f, &m);
    assert_true(wait_event(c, RICOCHET_EV_WELCOME, &ev, WAIT_MS, NULL));
    assert_int_equal(ricochet_id(c), 5);
    assert_true(ricochet_joined(c));
    size_t n;
    client_members(c, &n);
    assert_int_equal(n, 1);
    const struct client_member *seven = client_member(c, 7);
    assert_non_null(seven);
    assert_string_equal(seven->name, "seven");
    assert_true(seven->has_state);
    assert_true(seven->last.x == 33.0f);
    assert_int_equal(seven->stats.received, 0);
    /* A repeated welcome (answer to a repeated join) is not a new event. */
    fake_send_control(&f, &m);

    /* States: 1..10, then a duplicate, a late one, a gap (12), and bad
     * datagrams in between. */
    for (uint32_t q = 1; q <= 10; q++)
        fake_send_state(&f, 7, q, (float)q);
    fake_send_state(&f, 7, 5, 5.0f);  /* duplicate */
    uint8_t bad[PROTO_STATE_SIZE] = {2, 1};
    fake_send(&f, bad, sizeof bad);   /* bad version */
    fake_send(&f, bad, 12);           /* too short */
    fake_send_state(&f, 7, 12, 12.0f); /* 11 lost */
    fake_send_state(&f, 0, 13, 1.0f);  /* no sender: invalid */
    fake_send_state(&f, 9, 1, 9.0f);   /* unknown member 9: added */
    int states = 0, others = 0;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (states < 13 && clock_now_ms() < deadline) {
        int r = ricochet_poll(c, 10, &ev);
        if (r == 1 && ev.type == RICOCHET_EV_STATE) {
            states++;
            assert_int_equal(ev.mode, PROTO_MODE_UDP);
            assert_int_equal(ev.id, ev.state.sender);
            assert_true(ev.id == 7 || ev.id == 9);
        } else if (r == 1) {
            others++;
        }
    }
    /* 10 + duplicate + 12 + member 9 = 13 events */
    assert_int_equal(states, 13);
    assert_int_equal(others, 0);
    seven = client_member(c, 7);
    assert_non_null(seven);
    assert_int_equal(seven->stats.received, 11);
    assert_int_equal(seven->stats.duplicates, 1);
    assert_int_equal(recv_stats_lost(&seven->stats), 1);
    assert_int_equal(seven->last.seq, 12);
    assert_true(seven->last.x == 12.0f);
    assert_non_null(client_member(c, 9));

    /* A datagram from somewhere else than the relay is ignored. */
    uint16_t other_port;
    int other = harness_udp_socket(&other_port);
    {
        struct proto_state s = {.sender = 7, .seq = 20, .send_us = clock_now_us()};
        uint8_t sb[PROTO_STATE_SIZE];
        proto_state_encode(sb, sizeof sb, &s);
        sendto(other, sb, sizeof sb, 0, (struct sockaddr *)&f.peer, sizeof f.peer);
    }
    for (int k = 0; k < 10; k++)
        assert_true(ricochet_poll(c, 5, &ev) == 0 || ev.type != RICOCHET_EV_STATE);
    close(other);

    /* Notices: joined 9 (name filled in), left 7 with reason timeout. */
    fake_notice(&f, PROTO_CTL_JOINED, 9, "nine", PROTO_LEFT_QUIT, NULL);
    assert_true(wait_event(c, RICOCHET_EV_JOINED, &ev, WAIT_MS, NULL));
    assert_int_equal(ev.id, 9);
    assert_string_equal(client_member(c, 9)->name, "nine");
    fake_notice(&f, PROTO_CTL_LEFT, 7, "seven", PROTO_LEFT_TIMEOUT, NULL);
    assert_true(wait_event(c, RICOCHET_EV_LEFT, &ev, WAIT_MS, NULL));
    assert_int_equal(ev.id, 7);
    assert_string_equal(ev.code, "timeout");
    /* Still readable during the event (for final stats), gone after. */
    assert_non_null(client_member(c, 7));
    ricochet_poll(c, 0, &ev);
    assert_null(client_member(c, 7));
    /* A late state from a member who left does not bring it back. */
    fake_send_state(&f, 7, 13, 1.0f);
    for (int k = 0; k < 10; k++)
        ricochet_poll(c, 5, &ev);
    assert_null(client_member(c, 7));

    /* The client sends its states to the relay, sender 0, seq from 1. */
    struct proto_state s = {.sender = 77, .seq = 99, .send_us = 123, .x = 4.0f};
    assert_int_equal(client_next_seq(c), 1);
    assert_int_equal(client_send_state(c, &s, 100), 0);
    assert_int_equal(client_next_seq(c), 2);
    int len;
    do {
        len = fake_recv(&f, c, buf, sizeof buf, WAIT_MS);
    } while (len > 0 && buf[0] == '{'); /* skip pings */
    assert_int_equal(len, 100);
    struct proto_state got;
    assert_int_equal(proto_state_decode((uint8_t *)buf, (size_t)len, &got), PROTO_OK);
    assert_int_equal(got.sender, 0);
    assert_int_equal(got.seq, 1);
    assert_int_equal(got.send_us, 123);
    /* udp is fixed */
    assert_int_equal(ricochet_set_mode(c, RICOCHET_MODE_RELIABLE), RICOCHET_E_UNSUPPORTED);

    /* Silence from the relay: pings go out, then DISCONNECTED. */
    bool pinged = false;
    deadline = clock_now_ms() + WAIT_MS;
    int r = 0;
    while (clock_now_ms() < deadline) {
        ssize_t k = fake_recv_now(&f, buf, sizeof buf - 1);
        if (k > 0) {
            buf[k] = '\0';
            if (proto_control_decode(buf, (size_t)k, &m, NULL, 0) == PROTO_OK &&
                m.type == PROTO_CTL_PING)
                pinged = true;
        }
        r = ricochet_poll(c, 10, &ev);
        if (r == 1 && ev.type == RICOCHET_EV_DISCONNECTED)
            break;
    }
    assert_true(pinged);
    assert_int_equal(r, 1);
    assert_int_equal(ev.type, RICOCHET_EV_DISCONNECTED);
    assert_int_equal(ricochet_poll(c, 0, &ev), -1);
    assert_int_equal(client_send_state(c, &s, 0), RICOCHET_E_NOT_JOINED);
    ricochet_close(c);
    close(f.fd);
}

/* An error answering the join ends the session: ERROR then DISCONNECTED. */
static void udp_join_refused(void **state)
{
    (void)state;
    struct fake_udp f;
    struct ricochet *c = fake_udp_open(&f, 3000);
    static char buf[PROTO_CONTROL_MAX + 1];
    assert_true(fake_recv(&f, c, buf, sizeof buf, WAIT_MS) > 0);
    fake_error(&f, "room_full", "room r1 is full");
    struct ricochet_event ev;
    assert_true(wait_event(c, RICOCHET_EV_ERROR, &ev, WAIT_MS, NULL));
    assert_string_equal(ev.code, "room_full");
    assert_string_equal(ricochet_end_reason(c), "");
    assert_int_equal(ricochet_poll(c, 100, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_DISCONNECTED);
    /* The relay's code and message, not a generic join failure. */
    assert_string_equal(ev.code, "room_full");
    assert_string_equal(ev.text, "room r1 is full");
    assert_string_equal(ricochet_end_reason(c),
                        "relay refused the join: room_full (room r1 is full)");
    assert_int_equal(ricochet_poll(c, 0, &ev), -1);
    ricochet_close(c);
    close(f.fd);
}

/* Every refusal keeps its own code: a full relay, too many rooms, a ban at
 * connect (kicked before the welcome) are told apart; a kick after the
 * welcome ends the session (udp: at once). */
static void refusals_distinguishable(void **state)
{
    (void)state;
    const struct {
        const char *code, *text, *reason;
        bool joined;
    } cases[] = {
        {"server_full", "the relay is full: 1 clients",
         "relay refused the join: server_full (the relay is full: 1 clients)", false},
        {"too_many_rooms", "too many rooms (1): join an existing one",
         "relay refused the join: too_many_rooms (too many rooms (1): join an existing one)",
         false},
        {"room_full", "room 'r1' is full (2 members)",
         "relay refused the join: room_full (room 'r1' is full (2 members))", false},
        {"kicked", "kicked from this address recently: try again in 9 s",
         "relay refused the join: kicked (kicked from this address recently: try again in 9 s)",
         false},
        {"kicked", "kicked: more than 20 invalid messages",
         "relay ended the session: kicked (kicked: more than 20 invalid messages)", true},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct client_config cfg = {.room = "r1", .name = "me", .mode = PROTO_MODE_UDP,
                                    .timeout_ms = 5000};
        char err[128], json[512];
        struct ricochet *c = client_create_detached(&cfg, err, sizeof err);
        assert_non_null(c);
        struct ricochet_event ev;
        uint64_t t = 1000000;
        if (cases[k].joined) {
            int n = snprintf(json, sizeof json,
                             "{\"type\":\"welcome\",\"id\":4,\"room\":\"r1\",\"roster\":[]}");
            assert_int_equal(client_receive(c, PROTO_CHANNEL_DATAGRAM, 0, (uint8_t *)json,
                                            (size_t)n, t, &ev), 1);
            assert_int_equal(ev.type, RICOCHET_EV_WELCOME);
        }
        int n = snprintf(json, sizeof json, "{\"type\":\"error\",\"code\":\"%s\",\"message\":\"%s\"}",
                         cases[k].code, cases[k].text);
        assert_int_equal(client_receive(c, PROTO_CHANNEL_DATAGRAM, 0, (uint8_t *)json,
                                        (size_t)n, t, &ev), 1);
        assert_int_equal(ev.type, RICOCHET_EV_ERROR);
        assert_int_equal(ricochet_poll(c, 0, &ev), 1);
        assert_int_equal(ev.type, RICOCHET_EV_DISCONNECTED);
        assert_string_equal(ev.code, cases[k].code);
        assert_string_equal(ev.text, cases[k].text);
        assert_string_equal(ricochet_end_reason(c), cases[k].reason);
        ricochet_close(c);
    }
}

/* ---- udp repairs: rejoin after not_joined, expiry of silent members ---- */

static void fake_welcome(struct fake_udp *f, uint32_t id, const uint32_t *ids,
                         const char *const *names, size_t n)
{
    static struct proto_control m;
    memset(&m, 0, sizeof m);
    m.type = PROTO_CTL_WELCOME;
    m.id = id;
    snprintf(m.room, sizeof m.room, "r1");
    for (size_t i = 0; i < n; i++) {
        m.roster[i].id = ids[i];
        snprintf(m.roster[i].name, sizeof m.roster[i].name, "%s", names[i]);
        m.roster[i].mode = PROTO_MODE_UDP;
    }
    m.roster_len = n;
    fake_send_control(f, &m);
}

/* The relay's answer to a member it no longer has. */
static void fake_not_joined(struct fake_udp *f)
{
    fake_error(f, "not_joined", "not joined (expired?): send join");
}

/* Waits for the next datagram of the given control type (states and other
 * control messages are skipped); returns its arrival time in ms or 0. */
static uint64_t fake_expect(struct fake_udp *f, struct ricochet *c, enum proto_ctl_type type,
                            int timeout_ms)
{
    static char buf[PROTO_CONTROL_MAX + 1];
    static struct proto_control m;
    uint64_t deadline = clock_now_ms() + (uint64_t)timeout_ms;
    while (clock_now_ms() < deadline) {
        int len = fake_recv(f, c, buf, sizeof buf, (int)(deadline - clock_now_ms()) + 1);
        if (len > 0 && buf[0] == '{' &&
            proto_control_decode(buf, (size_t)len, &m, NULL, 0) == PROTO_OK && m.type == type)
            return clock_now_ms();
    }
    return 0;
}

/* A relay that does not answer sees the client's joins 250 ms apart give
 * or take a quarter at random, not on a fixed grid that would keep it in
 * step with other clients and with a relay's reply budget: of 8 waits, the
 * longest is at least 25 ms longer than the shortest (a grid's differ by a
 * few ms; 8 random waits fail this about once in 10,000). */
static void udp_join_resends_jittered(void **state)
{
    (void)state;
    struct fake_udp f;
    struct ricochet *c = fake_udp_open(&f, 5000);
    uint64_t at[9], shortest = UINT64_MAX, longest = 0;
    for (int i = 0; i < 9; i++) {
        at[i] = fake_expect(&f, c, PROTO_CTL_JOIN, WAIT_MS);
        assert_true(at[i] > 0);
        if (i == 0)
            continue;
        uint64_t wait = at[i] - at[i - 1];
        shortest = wait < shortest ? wait : shortest;
        longest = wait > longest ? wait : longest;
    }
    assert_true(longest - shortest >= 25);
    ricochet_close(c);
    close(f.fd);
}

/* Waits for a state datagram from the client; returns its seq, or 0. */
static uint32_t fake_expect_state(struct fake_udp *f, struct ricochet *c)
{
    static char buf[PROTO_CONTROL_MAX + 1];
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (clock_now_ms() < deadline) {
        int len = fake_recv(f, c, buf, sizeof buf, WAIT_MS);
        struct proto_state got;
        if (len > 0 && buf[0] != '{' &&
            proto_state_decode((uint8_t *)buf, (size_t)len, &got) == PROTO_OK)
            return got.seq;
    }
    return 0;
}

/* The relay expired me (error not_joined): the client says so, is no longer
 * joined, joins again, and a new welcome with a new id makes it a member
 * again with the new roster; states flow both ways. */
static void udp_rejoin(void **state)
{
    (void)state;
    struct fake_udp f;
    struct ricochet *c = fake_udp_open(&f, 3000);
    assert_true(fake_expect(&f, c, PROTO_CTL_JOIN, WAIT_MS) > 0);
    const uint32_t ids1[] = {7, 8};
    const char *const names1[] = {"seven", "eight"};
    fake_welcome(&f, 5, ids1, names1, 2);
    struct ricochet_event ev;
    assert_true(wait_event(c, RICOCHET_EV_WELCOME, &ev, WAIT_MS, NULL));
    assert_int_equal(ricochet_id(c), 5);
    fake_send_state(&f, 7, 1, 1.0f);
    assert_true(wait_event(c, RICOCHET_EV_STATE, &ev, WAIT_MS, NULL));
    struct proto_state s = {.send_us = clock_now_us(), .x = 2.0f};
    assert_int_equal(client_send_state(c, &s, 0), 0);
    assert_int_equal(fake_expect_state(&f, c), 1);

    /* The relay answers the state with not_joined: it has expired us. */
    fake_not_joined(&f);
    int skipped = 0;
    assert_true(wait_event(c, RICOCHET_EV_ERROR, &ev, WAIT_MS, &skipped));
    assert_int_equal(skipped, 0);
    assert_string_equal(ev.code, "not_joined");
    assert_false(ricochet_joined(c));
    assert_int_equal(ricochet_id(c), 5); /* the old id until the new welcome */
    assert_int_equal(client_send_state(c, &s, 0), RICOCHET_E_NOT_JOINED);
    assert_non_null(client_member(c, 7)); /* readable during the event */

    /* It joins again at once, then every 250 ms give or take a quarter; the
     * table is empty. */
    uint64_t t1 = fake_expect(&f, c, PROTO_CTL_JOIN, 2000);
    assert_true(t1 > 0);
    uint64_t t2 = fake_expect(&f, c, PROTO_CTL_JOIN, 2000);
    assert_true(t2 > 0 && t2 - t1 >= 150);
    size_t n;
    client_members(c, &n);
    assert_int_equal(n, 0);
    assert_false(ricochet_joined(c));
    /* A stale not_joined (answering something sent before) and a state
     * while rejoining: no event, and no end of the session. */
    fake_not_joined(&f);
    fake_send_state(&f, 7, 2, 1.0f);
    for (int k = 0; k < 10; k++)
        assert_int_equal(ricochet_poll(c, 5, &ev), 0);

    /* The new welcome: a new id and roster, a second WELCOME event. */
    const uint32_t ids2[] = {7, 11};
    const char *const names2[] = {"seven", "eleven"};
    fake_welcome(&f, 9, ids2, names2, 2);
    assert_true(wait_event(c, RICOCHET_EV_WELCOME, &ev, WAIT_MS, NULL));
    assert_int_equal(ev.id, 9);
    assert_int_equal(ricochet_id(c), 9);
    assert_true(ricochet_joined(c));
    client_members(c, &n);
    assert_int_equal(n, 2);
    assert_null(client_member(c, 8));
    assert_string_equal(client_member(c, 11)->name, "eleven");

    /* States flow again both ways; my seq goes on counting. */
    fake_send_state(&f, 11, 1, 3.0f);
    assert_true(wait_event(c, RICOCHET_EV_STATE, &ev, WAIT_MS, NULL));
    assert_int_equal(ev.id, 11);
    assert_int_equal(client_member(c, 11)->stats.received, 1);
    assert_int_equal(client_send_state(c, &s, 0), 0);
    assert_int_equal(fake_expect_state(&f, c), 2);
    ricochet_close(c);
    assert_true(fake_expect(&f, NULL, PROTO_CTL_LEAVE, 1000) > 0);
    close(f.fd);
}

/* A rejoin that gets no welcome gives up after timeout_ms: DISCONNECTED. */
static void udp_rejoin_gives_up(void **state)
{
    (void)state;
    struct fake_udp f;
    struct ricochet *c = fake_udp_open(&f, 700);
    assert_true(fake_expect(&f, c, PROTO_CTL_JOIN, WAIT_MS) > 0);
    fake_welcome(&f, 5, NULL, NULL, 0);
    struct ricochet_event ev;
    assert_true(wait_event(c, RICOCHET_EV_WELCOME, &ev, WAIT_MS, NULL));
    fake_not_joined(&f);
    assert_true(wait_event(c, RICOCHET_EV_ERROR, &ev, WAIT_MS, NULL));
    uint64_t t0 = clock_now_ms();
    int joins = 0;
    uint64_t deadline = t0 + WAIT_MS;
    int r = 0;
    static char buf[PROTO_CONTROL_MAX + 1];
    while (clock_now_ms() < deadline) {
        ssize_t k = fake_recv_now(&f, buf, sizeof buf - 1);
        if (k > 0 && strstr(buf, "\"join\""))
            joins++;
        r = ricochet_poll(c, 10, &ev);
        if (r == 1 && ev.type == RICOCHET_EV_DISCONNECTED)
            break;
        assert_int_equal(r, 0); /* nothing else happens meanwhile */
    }
    assert_int_equal(r, 1);
    assert_int_equal(ev.type, RICOCHET_EV_DISCONNECTED);
    assert_string_equal(ev.code, "timeout");
    uint64_t took = clock_now_ms() - t0;
    assert_true(took >= 650 && took < 3000);
    assert_true(joins >= 2);
    assert_int_equal(ricochet_poll(c, 0, &ev), -1);
    ricochet_close(c);
    close(f.fd);
}

/* udp, at the caller's clock: a member listed after the table was empty
 * (a welcome with nobody, then a joined notice) is expired like any other.
 * The client keeps the earliest moment a member can expire, to skip walks;
 * an empty table has none, and a member added later must bring one. */
static void udp_member_listed_into_an_empty_table_expires(void **state)
{
    (void)state;
    const uint32_t timeout_ms = 600;
    struct client_config cfg = {.room = "r1", .name = "me", .mode = PROTO_MODE_UDP,
                                .timeout_ms = timeout_ms};
    char err[128];
    struct ricochet *c = client_create_detached(&cfg, err, sizeof err);
    assert_non_null(c);
    struct ricochet_event ev;
    uint64_t t = 1000000;
    const char *welcome = "{\"type\":\"welcome\",\"id\":4,\"room\":\"r1\",\"roster\":[]}";
    assert_int_equal(client_receive(c, PROTO_CHANNEL_DATAGRAM, 0, (const uint8_t *)welcome,
                                    strlen(welcome), t, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_WELCOME);
    assert_int_equal(client_tick(c, t + 1000, &ev), 0); /* nobody to expire */
    const char *joined = "{\"type\":\"joined\",\"id\":7,\"name\":\"seven\"}";
    t += 2000;
    assert_int_equal(client_receive(c, PROTO_CHANNEL_DATAGRAM, 0, (const uint8_t *)joined,
                                    strlen(joined), t, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_JOINED);
    assert_int_equal(client_tick(c, t + timeout_ms * 1000u, &ev), 0); /* not yet */
    assert_int_equal(client_tick(c, t + timeout_ms * 1000u + 1, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_LEFT);
    assert_int_equal(ev.id, 7);
    assert_string_equal(ev.code, "timeout");
    ricochet_close(c);
}

/* udp: a member whose left notice was lost stays silent; the client expires
 * it after timeout_ms without a state (counted from the welcome for one that
 * never sent), with a LEFT event like the relay's. A member that keeps
 * sending stays. An expired member that was only quiet comes back under its
 * name with its next state, and the relay's own left about a member I
 * expired gives no second event. */
static void udp_member_expiry(void **state)
{
    (void)state;
    const uint32_t timeout_ms = 600;
    struct fake_udp f;
    struct ricochet *c = fake_udp_open(&f, timeout_ms);
    assert_true(fake_expect(&f, c, PROTO_CTL_JOIN, WAIT_MS) > 0);
    /* 7 never sends, 8 stops after 400 ms, 9 keeps sending (and keeps the
     * relay audible: the client's own timeout is short). */
    const uint32_t ids[] = {7, 8, 9};
    const char *const names[] = {"seven", "eight", "nine"};
    uint64_t t0 = clock_now_ms();
    fake_welcome(&f, 5, ids, names, 3);
    uint64_t left_at[10] = {0}, last8 = 0;
    int lefts = 0, states8 = 0;
    uint32_t seq = 0;
    uint64_t next_send = t0;
    struct ricochet_event ev;
    while (clock_now_ms() - t0 < 1800) {
        uint64_t now = clock_now_ms();
        if (now >= next_send && ricochet_joined(c)) {
            seq++;
            fake_send_state(&f, 9, seq, 9.0f);
            if (now - t0 < 400) {
                fake_send_state(&f, 8, seq, 8.0f);
                last8 = now;
            }
            next_send = now + 50;
        }
        int r = ricochet_poll(c, 5, &ev);
        assert_true(r >= 0);
        if (r == 1 && ev.type == RICOCHET_EV_STATE && ev.id == 8)
            states8++;
        if (r == 1 && ev.type == RICOCHET_EV_LEFT) {
            assert_true(ev.id == 7 || ev.id == 8);
            assert_int_equal(left_at[ev.id], 0); /* once each */
            left_at[ev.id] = clock_now_ms();
            lefts++;
            assert_string_equal(ev.code, "timeout");
            assert_string_equal(ev.name, names[ev.id - 7]);
            /* still listed during the event, for its stats */
            const struct client_member *m = client_member(c, ev.id);
            assert_non_null(m);
            if (ev.id == 8)
                assert_true(m->stats.received > 0);
        }
        assert_true(r != 1 || ev.type != RICOCHET_EV_DISCONNECTED);
    }
    assert_int_equal(lefts, 2);
    assert_true(states8 > 0);
    assert_true(left_at[7] - t0 >= timeout_ms);
    assert_true(left_at[8] - last8 >= timeout_ms);
    assert_null(client_member(c, 7));
    assert_null(client_member(c, 8));
    assert_non_null(client_member(c, 9));
    assert_true(ricochet_joined(c));

    /* 8 was only quiet: its next state lists it again, with its name. */
    fake_send_state(&f, 9, ++seq, 9.0f); /* 9 (and the relay) still audible */
    fake_send_state(&f, 8, seq, 8.0f);
    do
        assert_true(wait_event(c, RICOCHET_EV_STATE, &ev, WAIT_MS, NULL));
    while (ev.id == 9);
    assert_int_equal(ev.id, 8);
    assert_non_null(client_member(c, 8));
    assert_string_equal(client_member(c, 8)->name, "eight");
    /* The relay's (late) left about 7: no second event. Then a chat from
     * 9 shows the notice was handled before it. */
    fake_send_state(&f, 9, ++seq, 9.0f);
    fake_notice(&f, PROTO_CTL_LEFT, 7, "seven", PROTO_LEFT_QUIT, NULL);
    fake_notice(&f, PROTO_CTL_CHAT, 9, "nine", PROTO_LEFT_QUIT, "still here");
    int skipped = 0;
    bool chat = false;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (!chat && clock_now_ms() < deadline) {
        int r = ricochet_poll(c, 10, &ev);
        if (r == 1 && ev.type == RICOCHET_EV_CHAT)
            chat = true;
        else if (r == 1 && !(ev.type == RICOCHET_EV_STATE && ev.id == 9))
            skipped++;
    }
    assert_true(chat);
    assert_int_equal(skipped, 0);
    /* ... and a late state from 7 now (the relay said it left) is dropped. */
    fake_send_state(&f, 7, 1, 7.0f);
    for (int k = 0; k < 10; k++)
        assert_int_equal(ricochet_poll(c, 5, &ev), 0);
    assert_null(client_member(c, 7));
    assert_true(ricochet_joined(c));
    ricochet_close(c);
    close(f.fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_config),
        cmocka_unit_test(no_answer_enet),
        cmocka_unit_test(no_answer_udp),
        cmocka_unit_test(udp_fake_relay),
        cmocka_unit_test(udp_join_resends_jittered),
        cmocka_unit_test(udp_join_refused),
        cmocka_unit_test(refusals_distinguishable),
        cmocka_unit_test(udp_rejoin),
        cmocka_unit_test(udp_rejoin_gives_up),
        cmocka_unit_test(udp_member_expiry),
        cmocka_unit_test(udp_member_listed_into_an_empty_table_expires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
