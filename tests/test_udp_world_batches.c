/* test_udp_world_batches.c: a world's tick over the plain-UDP edge, in process: when
 * a late relay's tick reaches every group of receivers at once (over a thousand
 * of them), each receiver still gets that tick's states in one batch datagram,
 * every state whole. Every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/control.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/settings.h"
#include "relay/transport.h"
#include "relay/udp/transport_udp.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "tests/support/edge_turn.h"

#define SQUADS 300           /* squads of four, far apart: 1200 receivers */
#define SQUAD 4
#define MEMBERS (SQUADS * SQUAD)
#define SENDERS 2            /* members 0 and 1 of each squad send in the tick */
#define RADIUS 10.0f
#define WAIT_MS 5000         /* generous: the machine is shared */

static struct relay_udp *T;
static struct relay *R;
static struct sockaddr_in relay_addr;
static int fds[MEMBERS];

static void pump(void)
{
    assert_true(edge_turn(&relay_udp_ops, T, R, 1) >= 0);
}

/* Member i's socket, from an address of its own (the relay's budgets for
 * strangers are per address). */
static int member_socket(int i)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(0x7f010001u + (uint32_t)(i / 200) * 256 + (uint32_t)(i % 200));
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&relay_addr, sizeof relay_addr), 0);
    return fd;
}

/* Pumps until fd gets a control message of type; its JSON into buf. */
static void wait_ctl(int fd, enum proto_ctl_type type, struct proto_control *m)
{
    char buf[PROTO_CONTROL_MAX];
    uint64_t deadline = clock_now_us() + WAIT_MS * 1000ull;
    while (clock_now_us() < deadline) {
        pump();
        ssize_t n;
        while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
            if (buf[0] == '{' && proto_control_decode(buf, (size_t)n, m, NULL, 0) == PROTO_OK &&
                m->type == type)
                return;
    }
    fail_msg("no control message of type %d", (int)type);
}

/* Member i joins the world, asking for batches (the cookie step first). */
static void join(int i, struct proto_control *m)
{
    char json[300];
    const char *fmt = "{\"type\":\"join\",\"version\":2,\"room\":\"w\",\"name\":\"m%d\","
                      "\"mode\":\"udp\",\"batch\":true,\"aoi\":%g%s%s%s}";
    snprintf(json, sizeof json, fmt, i, (double)RADIUS, "", "", "");
    assert_int_equal(send(fds[i], json, strlen(json), 0), (ssize_t)strlen(json));
    wait_ctl(fds[i], PROTO_CTL_COOKIE, m);
    snprintf(json, sizeof json, fmt, i, (double)RADIUS, ",\"cookie\":\"", m->cookie, "\"");
    assert_int_equal(send(fds[i], json, strlen(json), 0), (ssize_t)strlen(json));
    wait_ctl(fds[i], PROTO_CTL_WELCOME, m);
}

/* Member i's state number seq, at its squad's spot. */
static void send_state(int i, uint32_t seq)
{
    struct proto_state s = {.seq = seq, .x = (float)(i / SQUAD) * 100.0f,
                            .y = (float)(i % SQUAD)};
    uint8_t buf[PROTO_STATE_SIZE];
    assert_int_equal(proto_state_encode(buf, sizeof buf, &s), (int)sizeof buf);
    assert_int_equal(send(fds[i], buf, sizeof buf, 0), (ssize_t)sizeof buf);
}

/* Reads every member's socket empty for ms: the state datagrams and their
 * states counted, each batch checked whole; control messages skipped. */
static void collect(int ms, int *datagrams, int *states)
{
    uint8_t buf[PROTO_BATCH_MAX + 1];
    uint64_t deadline = clock_now_us() + (uint64_t)ms * 1000;
    *datagrams = *states = 0;
    while (clock_now_us() < deadline) {
        pump();
        for (int i = 0; i < MEMBERS; i++) {
            ssize_t n;
            while ((n = recv(fds[i], buf, sizeof buf, MSG_DONTWAIT)) > 0) {
                if (buf[0] == '{')
                    continue;
                (*datagrams)++;
                if (!proto_is_batch(buf, (size_t)n)) {
                    (*states)++;
                    continue;
                }
                int entries = proto_batch_check(buf, (size_t)n);
                assert_true(entries >= 2);
                *states += entries;
            }
        }
    }
}

static int setup(void **state)
{
    (void)state;
    log_threshold = LOG_OFF;
    char err[128];
    struct relay_net_config ncfg = {
        .bind = "127.0.0.1", .port = 0, .peer_cap = MEMBERS + 8, .max_per_address = 3,
        .max_packet_size = 2048, .timeout_ms = 60000,
    };
    T = relay_udp_ops.create(&ncfg, err, sizeof err);
    assert_non_null(T);
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = MEMBERS + 8;
    cfg.max_clients = MEMBERS;
    cfg.max_room_size = MEMBERS;
    cfg.max_packet_size = 2048;
    cfg.world_tick_us = 50000;
    cfg.stale_us = 0; /* the test reads the relay late on purpose */
    struct relay_transport tp = relay_udp_ops.core(T, 0);
    R = relay_create(&cfg, &tp, 1);
    assert_non_null(R);
    socklen_t len = sizeof relay_addr;
    getsockname(relay_udp_fd(T), (struct sockaddr *)&relay_addr, &len);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < MEMBERS; i++)
        close(fds[i]);
    relay_destroy(R);
    relay_udp_ops.destroy(T);
    return 0;
}

/* 1200 members in squads of four, each squad alone; a tick in which two
 * of each squad send, the first of every squad before the second, read
 * after every group's tick has ended: one pass to all 1200. Each member
 * gets the squad's states of the tick in one datagram: 1200 datagrams for
 * 1800 states, whatever the pass's size. */
static void a_late_tick_to_every_group_packs_each_receiver(void **state)
{
    (void)state;
    static struct proto_control msg;
    struct proto_control *m = &msg;
    for (int i = 0; i < MEMBERS; i++) {
        fds[i] = member_socket(i);
        join(i, m);
    }
    for (int i = 0; i < MEMBERS; i++)
        send_state(i, 1); /* placed: each sees its squad */
    int datagrams, states;
    collect(300, &datagrams, &states);
    assert_int_equal(relay_members(R), MEMBERS);

    for (int k = 0; k < SENDERS; k++)
        for (int s = 0; s < SQUADS; s++)
            send_state(s * SQUAD + k, 2);
    clock_sleep_until_us(clock_now_us() + 60000); /* every group's tick ends unread */
    collect(500, &datagrams, &states);
    /* members 0 and 1 each get the other's; 2 and 3 both */
    assert_int_equal(states, SQUADS * 6);
    assert_int_equal(datagrams, MEMBERS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_late_tick_to_every_group_packs_each_receiver),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
