/* test_e2e_tcp.c: `ricochet-relay`'s TCP edge with an ENet and a plain-UDP
 * edge: one room of TCP, ENet and plain-UDP members (states both ways under one
 * sender id, each arriving in its receiver's transport's mode, nothing lost
 * between TCP members; chat and a TCP member's leaving across edges; counters
 * per edge); a join sent one byte per write taken whole; a frame of length 0
 * and one over `--max-packet-size` each closing its connection with `bad_state`
 * or `too_big` while another member's session goes on; a client that never
 * reads: states to it conflated to each sender's newest, then closed
 * (`slow_reader`), while a TCP member that reads gets all 20,000; a member that
 * only listens kept past four of the relay's timeouts (its library pings once
 * quiet for a third of its timeout); a connection that never joins closed by
 * the join timeout (`not_joined`); a sender alone in its room kept, and its
 * session ended (`timeout`) once the relay is stopped and silent */
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

#include "client/lib/client.h"
#include "sys/clock.h"
#include "tests/support/harness.h"

#define WAIT_MS 15000

/* A relay with a TCP, an ENet and a plain-UDP edge: their ports. */
/* ---- raw TCP: frames by hand ---------------------------------------------- */

static int tcp_connect(uint16_t port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const void *bytes, size_t len)
{
    assert_int_equal(send(fd, bytes, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void send_frame(int fd, const char *text)
{
    size_t len = strlen(text);
    uint8_t head[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    send_all(fd, head, 2);
    send_all(fd, text, len);
}

/* Reads frames for up to ms until one contains want (copied into out);
 * returns 1 if found, 0 at end of stream, -1 at the timeout. */
static int read_until(int fd, const char *want, char *out, size_t cap, int ms)
{
    uint8_t buf[1 << 16];
    size_t have = 0;
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000;
    while (clock_now_us() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0)
            continue;
        ssize_t n = recv(fd, buf + have, sizeof buf - have, 0);
        if (n <= 0)
            return 0;
        have += (size_t)n;
        while (have >= 2) {
            size_t len = (size_t)buf[0] << 8 | buf[1];
            if (have < 2 + len)
                break;
            if (len && buf[2] == '{' && memmem(buf + 2, len, want, strlen(want))) {
                snprintf(out, cap, "%.*s", (int)len, (const char *)buf + 2);
                return 1;
            }
            memmove(buf, buf + 2 + len, have - 2 - len);
            have -= 2 + len;
        }
    }
    return -1;
}

/* Has the relay closed fd (end of stream within ms)? */
static bool closed_within(int fd, int ms)
{
    char out[8];
    return read_until(fd, "\x01never", out, sizeof out, ms) == 0;
}

#define JOIN(room, name) \
    "{\"type\":\"join\",\"version\":3,\"room\":\"" room "\",\"name\":\"" name "\",\"mode\":\"tcp\"}"

/* ---- the tests ---------------------------------------------------------- */

/* TCP, ENet and plain-UDP members in one room (harness_stream_room). */
static void a_room_mixes_tcp_enet_and_udp_members(void **state)
{
    (void)state;
    static struct harness_three t;
    harness_three_start(&t, "tcp://127.0.0.1:0", NULL);
    harness_stream_room(&t.relay, PROTO_MODE_TCP, t.stream, t.enet, t.udp);
    harness_three_stop(&t);
}

/* A join sent one byte per write (each read may end anywhere in a frame)
 * is taken whole: the welcome comes back in a frame. */
static void frames_cut_at_every_byte(void **state)
{
    (void)state;
    static struct harness_three t;
    harness_three_start(&t, "tcp://127.0.0.1:0", NULL);
    int fd = tcp_connect(t.stream, 0);
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &on, sizeof on);
    const char *join = JOIN("cut", "bytes");
    size_t len = strlen(join);
    uint8_t frame[256] = {(uint8_t)(len >> 8), (uint8_t)len};
    memcpy(frame + 2, join, len);
    for (size_t i = 0; i < 2 + len; i++) {
        send_all(fd, frame + i, 1);
        usleep(i % 8 ? 0 : 2000);
    }
    char out[4096];
    assert_int_equal(read_until(fd, "\"welcome\"", out, sizeof out, 5000), 1);
    close(fd);
    harness_three_stop(&t);
}

/* A frame of length 0, and one longer than --max-packet-size, cannot be
 * read past: each connection gets its error and is closed; a member on
 * another connection keeps its session. */
static void bad_frames_close_the_connection(void **state)
{
    (void)state;
    static struct harness_three t;
    static const char *const more[] = {"--max-packet-size", "512", NULL};
    harness_three_start(&t, "tcp://127.0.0.1:0", more);
    struct ricochet *honest = harness_client(t.stream, "frames", "honest", PROTO_MODE_TCP, false);
    struct harness_rec r = {.c = {honest}, .n = 1};
    assert_int_equal(harness_poll_until(r.c, 1, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r), 0);
    char out[4096];
    int empty = tcp_connect(t.stream, 0);
    send_frame(empty, JOIN("frames", "empty"));
    assert_int_equal(read_until(empty, "\"welcome\"", out, sizeof out, 5000), 1);
    send_all(empty, "\0\0", 2);
    assert_int_equal(read_until(empty, "\"bad_state\"", out, sizeof out, 5000), 1);
    assert_true(closed_within(empty, 3000));
    close(empty);

    int big = tcp_connect(t.stream, 0);
    send_frame(big, JOIN("frames", "big"));
    assert_int_equal(read_until(big, "\"welcome\"", out, sizeof out, 5000), 1);
    send_all(big, "\x20\x00", 2); /* 8192 bytes announced */
    assert_int_equal(read_until(big, "\"too_big\"", out, sizeof out, 5000), 1);
    assert_true(closed_within(big, 3000));
    close(big);

    struct ricochet_state s = {.x = 1};
    assert_int_equal(ricochet_send_state(honest, &s), RICOCHET_OK);
    harness_poll_for(r.c, 1, 200, harness_rec_event, &r);
    assert_false(r.disconnected[0]);
    assert_true(harness_relay_stat(&t.relay, "drops.too_big") >= 1);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.tcp.members"), 1);
    ricochet_close(honest);
    harness_three_stop(&t);
}

/* A member that never reads: once its socket is full, each sender's
 * states to it are conflated to the newest (counted), and after
 * --slow-reader-ms it is closed (slow_reader); a TCP member that reads
 * gets every state the relay took, all along. */
static void a_reader_that_never_reads(void **state)
{
    (void)state;
    static struct harness_three t;
    static const char *const more[] = {"--slow-reader-ms", "800", "--rate-limit", "0",
                                       "--tick-ms", "0", NULL};
    harness_three_start(&t, "tcp://127.0.0.1:0", more);
    int stuck = tcp_connect(t.stream, 2048);
    send_frame(stuck, JOIN("slow", "stuck"));
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 2;
    r.c[0] = harness_client(t.stream, "slow", "reader", PROTO_MODE_TCP, false);
    r.c[1] = harness_client(t.enet, "slow", "sender", PROTO_MODE_UNSEQUENCED, false);
    assert_int_equal(harness_poll_until(r.c, 2, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r), 0);
    const int sends = 20000; /* 840 kB to each reader, in bursts of 200 */
    uint32_t sender = ricochet_id(r.c[1]);
    for (int k = 0; k < sends; k++) {
        struct ricochet_state s = {.x = (float)k};
        assert_int_equal(ricochet_send_state(r.c[1], &s), RICOCHET_OK);
        if (k % 200 == 199)
            harness_poll_for(r.c, 2, 20, harness_rec_event, &r);
    }
    harness_poll_for(r.c, 2, 1500, harness_rec_event, &r);
    assert_true(harness_relay_stat(&t.relay, "edges.tcp.conflated") > 0);
    assert_true(harness_relay_stat(&t.relay, "drops.slow_reader") >= 1);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.tcp.members"), 1);
    /* Loopback ENet into a relay on a loaded machine may lose some (its
     * socket overflows); every state the relay took reaches the reader. */
    uint64_t taken = harness_relay_stat(&t.relay, "edges.enet.states_in");
    assert_in_range(taken, (uint64_t)sends / 2, (uint64_t)sends);
    assert_int_equal(r.states[0][sender], taken);
    close(stuck);
    for (size_t i = 0; i < 2; i++)
        ricochet_close(r.c[i]);
    harness_three_stop(&t);
}

/* A member that only listens (a spectator) says nothing of its own: the
 * library pings once it has been quiet for a third of its timeout, so the
 * relay, which closes a stream silent for its own, keeps it. Both at 1.5 s
 * here, over four of them. */
static void a_listener_that_never_sends_stays(void **state)
{
    (void)state;
    static struct harness_three t;
    static const char *const more[] = {"--timeout-ms", "1500", NULL};
    harness_three_start(&t, "tcp://127.0.0.1:0", more);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 2;
    struct client_config cfg = {.host = "127.0.0.1", .port = t.stream, .room = "quiet",
                                .name = "listener", .mode = PROTO_MODE_TCP, .timeout_ms = 1500};
    char err[256];
    r.c[0] = client_create(&cfg, err, sizeof err);
    assert_non_null(r.c[0]);
    r.c[1] = harness_client(t.enet, "quiet", "sender", PROTO_MODE_UNSEQUENCED, false);
    assert_int_equal(harness_poll_until(r.c, 2, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r), 0);
    uint32_t sender = ricochet_id(r.c[1]);
    for (int k = 0; k < 60; k++) { /* 6 s, a state every 100 ms from the other */
        struct ricochet_state s = {.x = (float)k};
        assert_int_equal(ricochet_send_state(r.c[1], &s), RICOCHET_OK);
        harness_poll_for(r.c, 2, 100, harness_rec_event, &r);
    }
    assert_false(r.disconnected[0]);
    assert_true(r.states[0][sender] >= 55);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.tcp.members"), 1);
    for (size_t i = 0; i < 2; i++)
        ricochet_close(r.c[i]);
    harness_three_stop(&t);
}

/* A connection that never sends its join holds its slot only until the
 * join timeout: error not_joined, then closed. */
static void a_connection_that_never_joins(void **state)
{
    (void)state;
    static struct harness_three t;
    static const char *const more[] = {"--join-timeout-ms", "300", NULL};
    harness_three_start(&t, "tcp://127.0.0.1:0", more);
    int idle = tcp_connect(t.stream, 0);
    char out[4096];
    assert_int_equal(read_until(idle, "\"not_joined\"", out, sizeof out, 5000), 1);
    assert_true(closed_within(idle, 3000));
    close(idle);
    assert_int_equal(harness_relay_stat(&t.relay, "drops.join_timeout"), 1);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.tcp.clients"), 0);
    harness_three_stop(&t);
}

/* A relay stopped: the connection stays, the session ends at its timeout. */
static void a_silent_relay_ends_the_session(void **state)
{
    (void)state;
    harness_stream_silence(PROTO_MODE_TCP, "tcp://127.0.0.1:0");
}

/* A fleet's member alone in its room: the relay's pongs come before a
 * fleet's session takes its relay for lost (1.5 s of silence). */
static void alone_in_a_fleet_stays(void **state)
{
    (void)state;
    harness_stream_alone_in_a_fleet(PROTO_MODE_TCP, RICOCHET_TRANSPORT_DEFAULT, "tcp://127.0.0.1:0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_room_mixes_tcp_enet_and_udp_members),
        cmocka_unit_test(frames_cut_at_every_byte),
        cmocka_unit_test(bad_frames_close_the_connection),
        cmocka_unit_test(a_reader_that_never_reads),
        cmocka_unit_test(a_listener_that_never_sends_stays),
        cmocka_unit_test(a_connection_that_never_joins),
        cmocka_unit_test(a_silent_relay_ends_the_session),
        cmocka_unit_test(alone_in_a_fleet_stays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
