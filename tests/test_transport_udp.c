/* test_transport_udp.c: the plain-UDP transport in process, on 127.0.0.1, driven
 * by bare datagram sockets (no client library): join by datagram, repeated
 * join, forwarding with stamped ids, strangers, oversize datagrams, expiry
 * of silent members, leave, the per-address cap; with a tick, a state read
 * after its tick ended still goes out with that tick; batches to the members
 * that ask for them. Every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"
#include "proto/control.h"
#include "sys/log.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/settings.h"
#include "relay/transport.h"
#include "tests/support/edge_turn.h"
#include "relay/udp/transport_udp.h"
#include "tests/support/harness.h"

#define WAIT_MS 2000 /* generous: this machine is shared and noisy */
/* A member silent this long expires. Long enough that a test process the
 * loaded machine does not schedule for a while (0.3 s was, under make test
 * beside a bench) loses no member it keeps talking through: per_address_cap's
 * first join expired before the fourth, which then fit under the cap. */
#define MEMBER_TIMEOUT_MS 2000

struct env {
    struct relay_udp *t;
    struct relay *r;
    struct sockaddr_in relay_addr;
    struct proto_control *msg;
};

static struct env E;

/* A udp transport on 127.0.0.1 and a relay core on it (tick_us: its tick). */
static int env_open(struct env *e, uint32_t tick_us)
{
    char err[128];
    struct relay_net_config ncfg = {
        .bind = "127.0.0.1", .port = 0, .peer_cap = 8, .max_per_address = 3,
        .max_packet_size = 2048, .timeout_ms = MEMBER_TIMEOUT_MS,
    };
    e->t = relay_udp_ops.create(&ncfg, err, sizeof err);
    if (!e->t) {
        fprintf(stderr, "relay_udp_ops.create: %s\n", err);
        return -1;
    }
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = 8;
    cfg.max_clients = 6;
    cfg.max_packet_size = 2048;
    cfg.tick_us = tick_us;
    struct relay_transport tp = relay_udp_ops.core(e->t, 0);
    e->r = relay_create(&cfg, &tp, 1);
    e->msg = calloc(1, sizeof *e->msg);
    socklen_t len = sizeof e->relay_addr;
    getsockname(relay_udp_fd(e->t), (struct sockaddr *)&e->relay_addr, &len);
    return e->r && e->msg ? 0 : -1;
}

static void env_close(struct env *e)
{
    relay_destroy(e->r);
    relay_udp_ops.destroy(e->t);
    free(e->msg);
}

static int setup(void **state)
{
    (void)state;
    log_threshold = LOG_OFF;
    return env_open(&E, 0);
}

static int teardown(void **state)
{
    (void)state;
    env_close(&E);
    return 0;
}

static void pump(void)
{
    assert_true(edge_turn(&relay_udp_ops, E.t, E.r, 1) >= 0);
    edge_periodic(&relay_udp_ops, E.t, E.r);
}

/* A socket of a client of the relay under test, connected to it: another
 * test's relay may still send to this ephemeral port (a moment ago its
 * client's), and an error or the bytes counted against amplification must
 * be this relay's. */
static int relay_socket(void)
{
    int fd = harness_udp_socket(NULL);
    harness_udp_connect(fd, ntohs(E.relay_addr.sin_port));
    return fd;
}

static void send_raw(int fd, const void *buf, size_t len)
{
    ssize_t n = sendto(fd, buf, len, 0, (const struct sockaddr *)&E.relay_addr,
                       sizeof E.relay_addr);
    assert_int_equal(n, (ssize_t)len);
}

static void send_json(int fd, const char *json)
{
    send_raw(fd, json, strlen(json));
}

/* Pumps the relay until fd receives a datagram; returns its length or -1. */
static ssize_t recv_wait(int fd, uint8_t *buf, size_t cap, int ms)
{
    uint64_t deadline = clock_now_us() + (uint64_t)ms * 1000;
    while (clock_now_us() < deadline) {
        pump();
        ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
        if (n >= 0)
            return n;
    }
    return -1;
}

/* Waits for a control message of type on fd (skipping others); decoded
 * into E.msg. Returns true if it came. */
static bool wait_ctl(int fd, enum proto_ctl_type type, int ms)
{
    uint8_t buf[PROTO_CONTROL_MAX];
    uint64_t deadline = clock_now_us() + (uint64_t)ms * 1000;
    while (clock_now_us() < deadline) {
        ssize_t n = recv_wait(fd, buf, sizeof buf, 50);
        if (n <= 0 || buf[0] != '{')
            continue;
        if (proto_control_decode((char *)buf, (size_t)n, E.msg, NULL, 0) == PROTO_OK &&
            E.msg->type == type)
            return true;
    }
    return false;
}

static bool wait_error(int fd, const char *code, int ms)
{
    uint64_t deadline = clock_now_us() + (uint64_t)ms * 1000;
    while (clock_now_us() < deadline)
        if (wait_ctl(fd, PROTO_CTL_ERROR, 50) && strcmp(E.msg->code, code) == 0)
            return true;
    return false;
}

/* Pumps the relay until it has no client left (up to WAIT_MS); fails the
 * test otherwise. */
static void wait_no_clients(void)
{
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (relay_clients(E.r) > 0 && clock_now_us() < deadline)
        pump();
    assert_int_equal(relay_clients(E.r), 0);
}

/* Pumps for ms, throwing away whatever fd receives. */
static void drain(int fd, int ms)
{
    uint8_t buf[PROTO_CONTROL_MAX];
    uint64_t deadline = clock_now_us() + (uint64_t)ms * 1000;
    while (clock_now_us() < deadline) {
        pump();
        while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) >= 0)
            ;
    }
}

static void join_json(char *json, size_t cap, const char *room, const char *name,
                      const char *cookie)
{
    snprintf(json, cap,
             "{\"type\":\"join\",\"version\":2,\"room\":\"%s\",\"name\":\"%s\","
             "\"mode\":\"udp\"%s%s%s}",
             room, name, cookie ? ",\"cookie\":\"" : "", cookie ? cookie : "",
             cookie ? "\"" : "");
}

/* The return-routability step: a join without a cookie is answered with one
 * (no longer than the join). Joins again every 250 ms, as a client does,
 * while its source has no reply budget left. Returns it (static). */
static const char *fetch_cookie(int fd, const char *room, const char *name)
{
    static char cookie[PROTO_COOKIE_LEN + 1];
    char json[200];
    join_json(json, sizeof json, room, name, NULL);
    bool got = false;
    for (int i = 0; i < WAIT_MS / 250 && !got; i++) {
        send_json(fd, json);
        got = wait_ctl(fd, PROTO_CTL_COOKIE, 250);
    }
    assert_true(got);
    snprintf(cookie, sizeof cookie, "%s", E.msg->cookie);
    return cookie;
}

static void send_join_with(int fd, const char *room, const char *name, const char *cookie)
{
    char json[200];
    join_json(json, sizeof json, room, name, cookie);
    send_json(fd, json);
}

static uint32_t join_as(int fd, const char *room, const char *name)
{
    send_join_with(fd, room, name, fetch_cookie(fd, room, name));
    assert_true(wait_ctl(fd, PROTO_CTL_WELCOME, WAIT_MS));
    assert_string_equal(E.msg->room, room);
    return E.msg->id;
}

static void session_over_bare_udp(void **state)
{
    (void)state;
    int a = relay_socket(), b = relay_socket();
    int stranger = relay_socket();
    uint64_t drops0[RELAY_DROP_COUNT];
    memcpy(drops0, relay_stats(E.r)->drops, sizeof drops0);

    uint32_t ida = join_as(a, "lobby", "alice");
    uint32_t idb = join_as(b, "lobby", "bob");
    assert_true(ida > 0 && idb > ida);
    assert_int_equal(E.msg->roster_len, 1);
    assert_int_equal(E.msg->roster[0].id, ida);
    assert_true(wait_ctl(a, PROTO_CTL_JOINED, WAIT_MS));
    assert_int_equal(E.msg->id, idb);

    /* The join repeated (as if the welcome was lost): same id; but at most
     * one welcome per 250 ms, so wait that long first. */
    drain(b, 260);
    send_join_with(b, "lobby", "bob", NULL); /* a member needs no cookie */
    assert_true(wait_ctl(b, PROTO_CTL_WELCOME, WAIT_MS));
    assert_int_equal(E.msg->id, idb);
    assert_int_equal(relay_members(E.r), 2);

    /* A state with a forged sender reaches b stamped with a's id, and
     * never comes back to a. */
    uint8_t st[PROTO_STATE_MAX];
    struct proto_state s = { .sender = idb, .seq = 9, .send_us = 1, .x = 3, .y = 4 };
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    memset(st + PROTO_STATE_SIZE, 0x5a, 60);
    send_raw(a, st, PROTO_STATE_SIZE + 60);
    uint8_t buf[PROTO_CONTROL_MAX];
    ssize_t n;
    do
        n = recv_wait(b, buf, sizeof buf, WAIT_MS);
    while (n > 0 && buf[0] == '{');
    assert_int_equal(n, PROTO_STATE_SIZE + 60);
    struct proto_state got;
    assert_int_equal(proto_state_decode(buf, (size_t)n, &got), PROTO_OK);
    assert_int_equal(got.sender, ida);
    assert_int_equal(got.seq, 9);
    assert_int_equal(buf[PROTO_STATE_SIZE + 59], 0x5a);
    drain(a, 50);
    n = recv(a, buf, sizeof buf, MSG_DONTWAIT);
    assert_true(n < 0 || buf[0] == '{');

    /* ping -> pong */
    send_json(a, "{\"type\":\"ping\",\"t\":4242}");
    assert_true(wait_ctl(a, PROTO_CTL_PONG, WAIT_MS));
    assert_int_equal(E.msg->t, 4242);

    /* A stranger's state is not forwarded; it is told to join. */
    send_raw(stranger, st, PROTO_STATE_SIZE + 20); /* a reply fits in 60 bytes */
    assert_true(wait_error(stranger, "not_joined", WAIT_MS));
    assert_int_equal(relay_stats(E.r)->drops[RELAY_DROP_NOT_JOINED],
                     drops0[RELAY_DROP_NOT_JOINED] + 1);
    assert_int_equal(relay_clients(E.r), 2); /* strangers take no slot */

    /* A stranger's datagram longer than --max-packet-size gets no reply at
     * all, whatever it holds (a join, a ping): counted too_big and dropped
     * before anything else is looked at. */
    char long_join[2049 + 1], long_ping[2049 + 1];
    uint64_t too_big0 = relay_stats(E.r)->drops[RELAY_DROP_TOO_BIG];
    int n_join = snprintf(long_join, sizeof long_join,
                          "{\"type\":\"join\",\"version\":2,\"room\":\"r\",\"name\":\"s\","
                          "\"pad\":\"%*s\"}", 2049 - 58, "");
    int n_ping = snprintf(long_ping, sizeof long_ping, "{\"type\":\"ping\",\"pad\":\"%*s\"}",
                          2049 - 24, "");
    assert_int_equal(n_join, 2049);
    assert_int_equal(n_ping, 2049);
    send_raw(stranger, long_join, 2049);
    send_raw(stranger, long_ping, 2049);
    uint64_t deadline0 = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (relay_stats(E.r)->drops[RELAY_DROP_TOO_BIG] < too_big0 + 2 &&
           clock_now_us() < deadline0)
        pump();
    assert_int_equal(relay_stats(E.r)->drops[RELAY_DROP_TOO_BIG], too_big0 + 2);
    assert_int_equal(recv_wait(stranger, buf, sizeof buf, 100), -1);

    /* Longer than --max-packet-size: too_big, even though the kernel cut it
     * (at max + 1 bytes): the message says so instead of a wrong size. */
    uint8_t big[3000];
    memset(big, 1, sizeof big);
    send_raw(a, big, sizeof big);
    assert_true(wait_error(a, "too_big", WAIT_MS));
    assert_non_null(strstr(E.msg->text, "more than 2049 bytes"));
    /* Exactly max + 1 is not cut: its true size. */
    send_raw(a, big, 2049);
    assert_true(wait_error(a, "too_big", WAIT_MS));
    assert_non_null(strstr(E.msg->text, "datagram of 2049 bytes"));

    /* b goes silent: expired after timeout_ms, a is told (a keeps pinging). */
    uint64_t deadline = clock_now_us() + 3 * (uint64_t)MEMBER_TIMEOUT_MS * 1000;
    bool left = false;
    while (!left && clock_now_us() < deadline) {
        send_json(a, "{\"type\":\"ping\",\"t\":1}");
        for (int i = 0; i < 10 && !left; i++)
            if (wait_ctl(a, PROTO_CTL_LEFT, 10))
                left = true;
    }
    assert_true(left);
    assert_int_equal(E.msg->id, idb);
    assert_int_equal(E.msg->reason, PROTO_LEFT_TIMEOUT);
    assert_int_equal(relay_members(E.r), 1);
    /* An expired member's ping gets not_joined (so it knows to rejoin). */
    /* It is a stranger now: the answer is no longer than the ping, so a
     * short one gets nothing; the client library pads it. */
    send_json(b, "{\"type\":\"ping\",\"t\":2}");
    drain(b, 100);
    send_json(b, "{\"type\":\"ping\",\"t\":2,\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxx\"}");
    assert_true(wait_error(b, "not_joined", WAIT_MS));

    /* leave: a is gone, the room is freed. */
    send_json(a, "{\"type\":\"leave\"}");
    wait_no_clients();
    assert_int_equal(relay_rooms(E.r), 0);
    close(a);
    close(b);
    close(stranger);
}

static void per_address_cap(void **state)
{
    (void)state;
    int fd[4];
    for (int i = 0; i < 4; i++)
        fd[i] = relay_socket();
    uint64_t before = relay_stats(E.r)->drops[RELAY_DROP_PER_ADDRESS];
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        join_as(fd[i], "cap", name);
    }
    /* The fourth endpoint from 127.0.0.1 is over --max-per-address 3. */
    send_join_with(fd[3], "cap", "p3", fetch_cookie(fd[3], "cap", "p3"));
    /* until the relay has read it (a fixed 200 ms was not always enough) */
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (relay_stats(E.r)->drops[RELAY_DROP_PER_ADDRESS] == before &&
           clock_now_us() < deadline)
        drain(fd[3], 10);
    drain(fd[3], 50); /* nothing else may follow: one drop, not two */
    assert_int_equal(relay_stats(E.r)->drops[RELAY_DROP_PER_ADDRESS], before + 1);
    assert_int_equal(relay_room_size(E.r, "cap"), 3);
    for (int i = 0; i < 3; i++)
        send_json(fd[i], "{\"type\":\"leave\"}");
    wait_no_clients();
    for (int i = 0; i < 4; i++)
        close(fd[i]);
}

/* A client socket at 127.0.0.host (all of 127/8 reaches lo), connected to
 * the relay under test. */
static int relay_socket_from(int host)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)host);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&E.relay_addr, sizeof E.relay_addr), 0);
    return fd;
}

/* Sends len bytes from fd and waits for error code back; the drop counter
 * why must have gone up by one, and nothing else among the drops. */
static void expect_refused_with(int fd, const void *bytes, size_t len, const char *code,
                                enum relay_drop why, const char *what)
{
    uint64_t before[RELAY_DROP_COUNT];
    memcpy(before, relay_stats(E.r)->drops, sizeof before);
    send_raw(fd, bytes, len);
    if (!wait_error(fd, code, WAIT_MS))
        fail_msg("%s: no error %s", what, code);
    for (int d = 0; d < RELAY_DROP_COUNT; d++)
        if (relay_stats(E.r)->drops[d] != before[d] + (d == (int)why))
            fail_msg("%s: drops.%s went %llu -> %llu", what, relay_drop_name((enum relay_drop)d),
                     (unsigned long long)before[d],
                     (unsigned long long)relay_stats(E.r)->drops[d]);
}

/* Plain UDP's validation order where it differs from ENet's
 * (PROTOCOL.md, validation order): a non-member is answered by step 1
 * whatever its datagram holds (a NaN state, a chat with a control
 * character, bytes that are neither JSON nor a state: not_joined, never
 * bad_state or bad_field); a member's datagram whose first byte is neither
 * '{' nor 1 is decoded as a state (bad_state); a verified join to a full
 * relay gets server_full. */
static void udp_validation_order_pinned(void **state)
{
    (void)state;
    int stranger = relay_socket_from(9); /* a source with its whole reply budget */
    uint8_t st[60];
    struct proto_state s = { .seq = 1, .send_us = 1, .x = 1 };
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    memset(st + PROTO_STATE_SIZE, 0, sizeof st - PROTO_STATE_SIZE);
    static const uint8_t nan[4] = { 0x7f, 0xc0, 0, 0 };
    memcpy(st + 20, nan, sizeof nan); /* x */
    expect_refused_with(stranger, st, sizeof st, "not_joined", RELAY_DROP_NOT_JOINED,
                        "a stranger's NaN state");
    const char *chat = "{\"type\":\"chat\",\"text\":\"a\\u001bb\",\"pad\":\"xxxxxxxxxxxxxxxxxx\"}";
    expect_refused_with(stranger, chat, strlen(chat), "not_joined", RELAY_DROP_NOT_JOINED,
                        "a stranger's chat with a control character");
    char odd[60];
    memset(odd, 'h', sizeof odd);
    expect_refused_with(stranger, odd, sizeof odd, "not_joined", RELAY_DROP_NOT_JOINED,
                        "a stranger's bytes, neither JSON nor a state");

    int a = relay_socket();
    join_as(a, "pin", "a");
    drain(a, 50);
    expect_refused_with(a, odd, sizeof odd, "bad_state", RELAY_DROP_BAD_STATE,
                        "a member's bytes, neither JSON nor a state");
    st[0] = 2;
    expect_refused_with(a, st, sizeof st, "bad_state", RELAY_DROP_BAD_STATE,
                        "a member's state of version 2");

    /* --max-clients 6 (3 per address): five more members, then a seventh
     * verified join is refused with server_full, and forgotten. */
    int fd[6] = { a };
    for (int i = 1; i < 6; i++) {
        char name[16];
        snprintf(name, sizeof name, "m%d", i);
        fd[i] = relay_socket_from(i < 3 ? 1 : 2);
        join_as(fd[i], "pin", name);
    }
    int late = relay_socket_from(3);
    const char *cookie = fetch_cookie(late, "pin", "late");
    char json[200];
    join_json(json, sizeof json, "pin", "late", cookie);
    expect_refused_with(late, json, strlen(json), "server_full", RELAY_DROP_SERVER_FULL,
                        "a verified join to a full relay");
    assert_int_equal(relay_clients(E.r), 6);
    for (int i = 0; i < 6; i++) {
        send_json(fd[i], "{\"type\":\"leave\"}");
    }
    wait_no_clients();
    for (int i = 0; i < 6; i++)
        close(fd[i]);
    close(late);
    close(stranger);
}

static void shutdown_reaches_members(void **state)
{
    (void)state;
    int a = relay_socket();
    join_as(a, "bye", "alice");
    relay_shutdown(E.r, clock_now_us());
    edge_drain(&relay_udp_ops, E.t, E.r, 0);
    assert_true(wait_error(a, "shutting_down", WAIT_MS));
    assert_int_equal(relay_clients(E.r), 0);
    close(a);
}

/* ---- forged sources: amplification and bans ---------------------------- */

/* Bytes waiting on fd, read and thrown away; pongs (answers to fd's own
 * keepalive) not counted. */
static size_t drain_bytes(int fd)
{
    uint8_t buf[PROTO_CONTROL_MAX];
    size_t total = 0;
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) >= 0)
        if (!(n > 0 && buf[0] == '{' &&
              proto_control_decode((char *)buf, (size_t)n, E.msg, NULL, 0) == PROTO_OK &&
              E.msg->type == PROTO_CTL_PONG))
            total += (size_t)n;
    return total;
}

/* A source that never echoes a cookie stands for a forged one: everything
 * the relay sends because of its joins (to it, and notices to the room)
 * must add up to no more than it sent. Before cookies each repeated join
 * got a roster and the room a joined notice: several times the join. */
static void forged_joins_do_not_amplify(void **state)
{
    (void)state;
    int a = relay_socket(), b = relay_socket();
    int spoof = relay_socket();
    join_as(a, "amp", "alice");
    join_as(b, "amp", "bob");
    uint8_t st[PROTO_STATE_SIZE];
    struct proto_state s = { .seq = 1, .send_us = 1000, .x = 12.5f, .y = 99.25f,
                             .vx = -3.125f, .vy = 7.5f, .heading = 1.5f };
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    send_raw(a, st, sizeof st);
    send_raw(b, st, sizeof st);
    drain(a, 100);
    drain(b, 100);
    uint32_t clients = relay_clients(E.r);

    char json[200];
    join_json(json, sizeof json, "amp", "mallory", NULL);
    size_t sent = 0, got = 0;
    for (int i = 0; i < 12; i++) { /* past the 250 ms between repeated welcomes */
        send_json(spoof, json);
        sent += strlen(json);
        send_json(a, "{\"type\":\"ping\",\"t\":1}"); /* a and b stay members */
        send_json(b, "{\"type\":\"ping\",\"t\":1}");
        uint64_t until = clock_now_us() + 130000;
        while (clock_now_us() < until) {
            pump();
            got += drain_bytes(spoof) + drain_bytes(a) + drain_bytes(b);
        }
    }
    double amplification = (double)got / (double)sent;
    print_message("forged joins: %zu bytes in, %zu bytes out: %.2fx\n", sent, got,
                  amplification);
    assert_true(amplification <= 1.0);
    assert_int_equal(relay_clients(E.r), clients); /* no state kept */
    send_json(a, "{\"type\":\"leave\"}");
    send_json(b, "{\"type\":\"leave\"}");
    wait_no_clients();
    close(a);
    close(b);
    close(spoof);
}

/* Strikes and kick bans need a verified endpoint: a forged source sending
 * junk from its victim's address (here: its IP, another port) cannot get
 * that address banned. */
static void spoofed_source_cannot_get_victim_banned(void **state)
{
    (void)state;
    int spoof = relay_socket(), victim = relay_socket();
    uint64_t banned = relay_stats(E.r)->drops[RELAY_DROP_BANNED];
    uint64_t kicks = relay_stats(E.r)->kicks;
    char json[200];
    join_json(json, sizeof json, "ban", "mallory", NULL);
    send_json(spoof, json);
    for (int i = 0; i < 60; i++) {
        send_json(spoof, "{\"type\":\"chat\"}");
        send_json(spoof, "{not json at all, nor a state}");
        pump();
    }
    drain(spoof, 100);
    assert_int_equal(relay_stats(E.r)->kicks, kicks);
    join_as(victim, "ban", "victim");
    assert_int_equal(relay_stats(E.r)->drops[RELAY_DROP_BANNED], banned);
    send_json(victim, "{\"type\":\"leave\"}");
    wait_no_clients();
    close(spoof);
    close(victim);
}

/* ---- the send loop: exact failure counts ------------------------------ */

/* A fake sendmmsg that behaves like the kernel's for scripted failures:
 * messages go in order; the first refused one stops the call (-1 with errno
 * if it is the first of the call, else the count so far). */
static struct {
    struct mmsghdr *base;
    unsigned refuse[8];  /* indexes refused with EMSGSIZE */
    size_t n_refuse;
    unsigned full_from;  /* from this index on: EAGAIN (socket buffer full) */
    int eintr;           /* the first calls fail with EINTR */
    unsigned calls, sent;
    bool was_sent[64];
} fs;

static int fake_sendmmsg(int fd, struct mmsghdr *m, unsigned n, int flags)
{
    (void)fd;
    (void)flags;
    assert_true(++fs.calls < 1000);
    if (fs.eintr > 0) {
        fs.eintr--;
        errno = EINTR;
        return -1;
    }
    unsigned first = (unsigned)(m - fs.base);
    for (unsigned k = 0; k < n; k++) {
        unsigned i = first + k;
        int err = i >= fs.full_from ? EAGAIN : 0;
        for (size_t j = 0; j < fs.n_refuse; j++)
            if (fs.refuse[j] == i)
                err = EMSGSIZE;
        if (err) {
            if (k > 0)
                return (int)k;
            errno = err;
            return -1;
        }
        assert_true(i < 64 && !fs.was_sent[i]); /* never sent twice */
        fs.was_sent[i] = true;
        fs.sent++;
    }
    return (int)n;
}

static unsigned run_batch(unsigned n)
{
    static struct mmsghdr msgs[64];
    fs.base = msgs;
    return relay_udp_send_batch(-1, msgs, n, fake_sendmmsg);
}

static void send_batch_counts_each_failure_once(void **state)
{
    (void)state;
    /* Refused datagrams (first, middle pair, last) are skipped one by one. */
    memset(&fs, 0, sizeof fs);
    fs.full_from = UINT32_MAX;
    unsigned refuse[] = { 0, 5, 6, 19 };
    memcpy(fs.refuse, refuse, sizeof refuse);
    fs.n_refuse = 4;
    assert_int_equal(run_batch(20), 4);
    assert_int_equal(fs.sent, 16);
    assert_false(fs.was_sent[0] || fs.was_sent[5] || fs.was_sent[6] || fs.was_sent[19]);

    /* A full socket buffer: that one and all after it, counted once, and
     * no further attempt. */
    memset(&fs, 0, sizeof fs);
    fs.full_from = 10;
    fs.refuse[0] = 3;
    fs.n_refuse = 1;
    assert_int_equal(run_batch(20), 1 + 10);
    assert_int_equal(fs.sent, 9);
    assert_int_equal(fs.calls, 4); /* 0-2, refused 3, 4-9, full at 10 */

    /* Interrupted calls are retried. */
    memset(&fs, 0, sizeof fs);
    fs.full_from = UINT32_MAX;
    fs.eintr = 2;
    assert_int_equal(run_batch(5), 0);
    assert_int_equal(fs.sent, 5);
    assert_int_equal(fs.calls, 3);

    /* Nothing to send, nothing called. */
    memset(&fs, 0, sizeof fs);
    assert_int_equal(run_batch(0), 0);
    assert_int_equal(fs.calls, 0);
}

/* With --tick-ms the relay reads its socket in batches. A state that
 * reached the socket before its tick ended but is read after belongs to
 * that tick: it goes out in the same service that reads it, not a tick
 * later. (A 200 ms tick: room "lobby" is slot 0, whose ticks end on the
 * 200 ms grid of the monotonic clock.) */
static void late_read_state_keeps_its_tick(void **state)
{
    (void)state;
    enum { TICK = 200000 };
    struct env keep = E;
    assert_int_equal(env_open(&E, TICK), 0);
    int a = relay_socket(), b = relay_socket();
    assert_true(join_as(a, "lobby", "alice") > 0);
    assert_true(join_as(b, "lobby", "bob") > 0);
    uint8_t st[PROTO_STATE_SIZE];
    struct proto_state s = { .seq = 1, .send_us = 1 };
    bool placed = false;
    for (int attempt = 0; attempt < 5 && !placed; attempt++) {
        /* Everything so far read and sent; then the state reaches the
         * relay's socket well before the tick's end, unread. */
        pump();
        uint64_t end = (clock_now_us() / TICK + 1) * TICK;
        if (end - clock_now_us() < TICK / 4) {
            clock_sleep_until_us(end); /* too close to the end: take the next tick */
            continue;
        }
        edge_turn(&relay_udp_ops, E.t, E.r, 0);
        uint64_t before = relay_stats(E.r)->states_out;
        assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
        send_raw(a, st, sizeof st);
        s.seq++;
        if (clock_now_us() + 20000 > end)
            continue; /* the machine stalled: try again */
        placed = true;
        clock_sleep_until_us(end + 20000);
        edge_turn(&relay_udp_ops, E.t, E.r, 0); /* reads it 20 ms after its tick ended */
        assert_int_equal(relay_stats(E.r)->states_out - before, 1);
    }
    assert_true(placed);
    close(a);
    close(b);
    env_close(&E);
    E = keep;
}

/* What a member's socket got: its state datagrams, and their states in
 * arrival order (a batch's unpacked). */
struct got {
    int datagrams, batches, first_entries;
    size_t states, longest;
    struct proto_state st[64];
};

static void collect(int fd, int ms, struct got *g)
{
    uint8_t buf[PROTO_CONTROL_MAX];
    uint64_t deadline = clock_now_us() + (uint64_t)ms * 1000;
    while (clock_now_us() < deadline) {
        pump();
        ssize_t n;
        while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
            if (buf[0] == '{')
                continue;
            g->datagrams++;
            g->longest = (size_t)n > g->longest ? (size_t)n : g->longest;
            if (!proto_is_batch(buf, (size_t)n)) {
                assert_int_equal(proto_state_decode(buf, (size_t)n, &g->st[g->states++]), PROTO_OK);
                continue;
            }
            int entries = proto_batch_check(buf, (size_t)n);
            assert_true(entries >= 2); /* a lone state goes as itself */
            if (g->batches++ == 0)
                g->first_entries = entries;
            size_t at = PROTO_BATCH_HEADER, len;
            const uint8_t *e;
            while (proto_batch_next(buf, (size_t)n, &at, &e, &len) && g->states < 64)
                assert_int_equal(proto_state_decode(e, len, &g->st[g->states++]), PROTO_OK);
        }
    }
}

static uint32_t join_batching(int fd, const char *room, const char *name)
{
    char json[240];
    snprintf(json, sizeof json,
             "{\"type\":\"join\",\"version\":2,\"room\":\"%s\",\"name\":\"%s\","
             "\"mode\":\"udp\",\"batch\":true,\"cookie\":\"%s\"}",
             room, name, fetch_cookie(fd, room, name));
    send_json(fd, json);
    assert_true(wait_ctl(fd, PROTO_CTL_WELCOME, WAIT_MS));
    return E.msg->id;
}

/* The states one service turn fans out to a member that asked for batches
 * leave in as few datagrams as PROTO_BATCH_MAX allows, in order; a member
 * that did not ask (an older client) gets each state alone. */
static void batches_only_to_members_that_ask(void **state)
{
    (void)state;
    struct env keep = E; /* that one is shut down by now */
    assert_int_equal(env_open(&E, 0), 0);
    int a = relay_socket(), b = relay_socket(), c = relay_socket();
    uint32_t ida = join_batching(a, "batch", "ann");
    assert_true(join_batching(b, "batch", "bob") > 0);
    uint32_t idc = join_as(c, "batch", "cat");
    drain(a, 50);
    drain(b, 50);
    drain(c, 50);
    uint8_t st[PROTO_STATE_SIZE];
    for (uint32_t k = 1; k <= 30; k++) { /* all waiting when the relay reads */
        struct proto_state s = {.seq = k, .send_us = 1};
        assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
        send_raw(a, st, sizeof st);
        if (k <= 3)
            send_raw(c, st, sizeof st);
    }
    static struct got ga, gb, gc;
    memset(&ga, 0, sizeof ga);
    memset(&gb, 0, sizeof gb);
    memset(&gc, 0, sizeof gc);
    collect(b, 300, &gb);
    collect(a, 50, &ga);
    collect(c, 50, &gc);
    /* bob: 33 states, 28 to the first datagram (its 1200 bytes), all in order */
    assert_int_equal(gb.states, 33);
    assert_true(gb.datagrams <= 3);
    assert_int_equal(gb.first_entries, 28);
    assert_true(gb.longest <= PROTO_BATCH_MAX);
    uint32_t next[2] = {1, 1};
    for (size_t i = 0; i < gb.states; i++) {
        bool from_a = gb.st[i].sender == ida;
        assert_true(from_a || gb.st[i].sender == idc);
        assert_int_equal(gb.st[i].seq, next[from_a]++);
    }
    /* ann: cat's three in one batch */
    assert_int_equal(ga.states, 3);
    assert_int_equal(ga.datagrams, 1);
    assert_int_equal(ga.batches, 1);
    /* cat, no batches asked: ann's thirty, one datagram each */
    assert_int_equal(gc.states, 30);
    assert_int_equal(gc.datagrams, 30);
    assert_int_equal(gc.batches, 0);
    int fds[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        send_json(fds[i], "{\"type\":\"leave\"}");
        close(fds[i]);
    }
    wait_no_clients();
    env_close(&E);
    E = keep;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(session_over_bare_udp),
        cmocka_unit_test(per_address_cap),
        cmocka_unit_test(udp_validation_order_pinned),
        cmocka_unit_test(forged_joins_do_not_amplify),
        cmocka_unit_test(spoofed_source_cannot_get_victim_banned),
        cmocka_unit_test(shutdown_reaches_members),
        cmocka_unit_test(send_batch_counts_each_failure_once),
        cmocka_unit_test(late_read_state_keeps_its_tick),
        cmocka_unit_test(batches_only_to_members_that_ask),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
