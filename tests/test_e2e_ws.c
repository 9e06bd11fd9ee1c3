/* test_e2e_ws.c: the relay's WebSocket edge beside ENet and plain UDP: an
 * independent client, libricochet's ws members and the play page, states whole
 * and in order both ways, and its refusals. */
/* `ricochet-relay`'s WebSocket edge with an ENet and a plain-UDP
 * edge: an independent client, Debian's python3-websockets
 * (`tests/support/ws_peer.py`), and an ENet member exchange 1,000 states each
 * way through the relay, all delivered, in order, in binary messages; the play
 * page served; libricochet's ws members in one room with ENet and plain-UDP
 * ones (one sender id, each state in its receiver's mode: `ws` for a ws member,
 * unsequenced for an ENet one; nothing lost between ws members; chat and a ws
 * member's leaving across edges; counters per edge); a message over
 * `--max-packet-size` (`too_big`, 1009), a ping flood (`rate_limited`, 1008),
 * an unmasked frame (1002) and text that is not UTF-8 (1007) closed while an
 * honest ws member goes on, a join in fragments or in a text message taken;
 * `--max-half-open` (a third connection closing the oldest, without a word) and
 * a slowloris (408 at `--join-timeout-ms`); a member that never reads conflated
 * then closed (`slow_reader`) while a ws member that reads gets the states; wss
 * with a certificate the test makes (`openssl`): one byte of a TLS record held
 * 1.5 s turns the relay's loop under 3000 times (it spun before), python3-websockets over
 * TLS exchanging states with an ENet member, the page over https, a close code
 * through TLS, and one line for each missing, unreadable or unused
 * `--tls-cert`/`--tls-key`; a ws sender alone in its room kept, and its
 * session ended (`timeout`) once the relay is stopped and silent */

/* tests/run: alone (1,000 states through a Python peer in bounded time: a
 * neighbour's load moves it) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "client/lib/client.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"

#define WAIT_MS 15000
#define PEER "tests/support/ws_peer.py"

/* A relay with a ws, an ENet and a plain-UDP edge: their ports. */
/* ---- python3-websockets ------------------------------------------------------ */

/* Starts ws_peer.py with args (NULL-ended). */
static void peer_start(struct spawn_proc *p, const char *const *args)
{
    const char *argv[16] = {PEER};
    size_t n = 1;
    for (size_t i = 0; args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char err[256];
    if (spawn_start(p, "/usr/bin", "python3", argv, err, sizeof err) != 0)
        fail_msg("python3 (Debian's /usr/bin/python3 with python3-websockets): %s", err);
}

/* The last JSON line of the peer's stdout once it has exited (within
 * ms); fails the test if it did not exit 0. The caller deletes it. */
static cJSON *peer_result(struct spawn_proc *p, int ms)
{
    int rc = spawn_stop(p, 0, ms);
    char *out = spawn_read_stdout(p);
    if (rc != 0) { /* the traceback's end says why (fail_msg keeps a line's start) */
        char *e = spawn_read_stderr(p);
        size_t n = e ? strlen(e) : 0;
        print_message("ws_peer.py's stderr ends:\n%s\n", e ? e + (n > 1500 ? n - 1500 : 0) : "");
        fail_msg("ws_peer.py exited %d: %s", rc, out ? out : "");
    }
    assert_non_null(out);
    char *last = out, *nl;
    while ((nl = strchr(last, '\n')) && nl[1])
        last = nl + 1;
    cJSON *o = cJSON_Parse(last);
    if (!o)
        fail_msg("ws_peer.py said: %s", out);
    free(out);
    spawn_free(p);
    return o;
}

/* ws_peer.py bad URL kind: what it got and how it was closed. honest
 * (NULL: none) reads on meanwhile: a Python peer can take seconds to start
 * on a busy machine, longer than a session that is not read keeps. */
static cJSON *peer_bad(const char *url, const char *kind, const char *cafile,
                       struct harness_rec *honest)
{
    struct spawn_proc p;
    const char *args[] = {"bad", url, kind, cafile, NULL};
    peer_start(&p, args);
    uint64_t end = clock_now_ms() + WAIT_MS;
    while (honest && spawn_running(&p) && clock_now_ms() < end)
        harness_poll_for(honest->c, honest->n, 50, harness_rec_event, honest);
    return peer_result(&p, WAIT_MS);
}

static int json_int(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("no number %s in %s", key, cJSON_PrintUnformatted(o));
    return v->valueint;
}

/* Did the peer get a message holding text? */
static bool peer_got(const cJSON *o, const char *text)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(o, "got"))
        if (cJSON_IsString(m) && strstr(m->valuestring, text))
            return true;
    return false;
}

/* python3-websockets in room "mix" beside an ENet member of mode, at url
 * (cafile for wss): each sends count states at rate a second, and each
 * gets every one of the other's, in order. */
static void exchange_with_python(uint16_t enet_port, const char *url, const char *cafile,
                                 int count, enum proto_mode mode)
{
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 1;
    r.c[0] = harness_client(enet_port, "mix", "enet", mode, false);
    assert_int_equal(harness_poll_until(r.c, 1, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r), 0);
    char n[16];
    snprintf(n, sizeof n, "%d", count);
    struct spawn_proc p;
    const char *args[] = {"states", url, n, "500", cafile, NULL};
    peer_start(&p, args);
    uint64_t end = clock_now_us() + WAIT_MS * 1000ull;
    while (r.n_joined[0] == 0 && clock_now_us() < end)
        harness_poll_for(r.c, 1, 20, harness_rec_event, &r);
    assert_int_equal(r.n_joined[0], 1);
    uint32_t py = r.joined[0][0];
    uint64_t period = 2000, next = clock_now_us();
    for (int k = 0; k < count; k++) {
        struct ricochet_state s = {.x = (float)k};
        assert_int_equal(ricochet_send_state(r.c[0], &s), RICOCHET_OK);
        next += period;
        uint64_t now = clock_now_us();
        harness_poll_for(r.c, 1, next > now ? (int)((next - now) / 1000) : 0,
                         harness_rec_event, &r);
    }
    end = clock_now_us() + WAIT_MS * 1000ull;
    while (spawn_running(&p) && clock_now_us() < end)
        harness_poll_for(r.c, 1, 20, harness_rec_event, &r);
    /* the peer's last states may still be on their way (295 of 300 came
     * within 200 ms beside two busy loops); then 200 ms for any extra */
    end = clock_now_us() + WAIT_MS * 1000ull;
    while (r.states[0][py] < (uint64_t)count && clock_now_us() < end)
        harness_poll_for(r.c, 1, 20, harness_rec_event, &r);
    harness_poll_for(r.c, 1, 200, harness_rec_event, &r);
    cJSON *o = peer_result(&p, 1000);
    char id[16];
    snprintf(id, sizeof id, "%u", ricochet_id(r.c[0]));
    const cJSON *got = cJSON_GetObjectItemCaseSensitive(o, "got");
    assert_int_equal(json_int(got, id), count); /* ENet -> relay -> WebSocket */
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "in_order")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "binary")));
    assert_int_equal(r.states[0][py], (uint64_t)count); /* WebSocket -> relay -> ENet */
    assert_int_equal(r.arrived_as[0][py], PROTO_MODE_UNSEQUENCED);
    cJSON_Delete(o);
    ricochet_close(r.c[0]);
}

/* ---- raw sockets: what no library sends ------------------------------------ */

static int tcp_connect(uint16_t port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const void *bytes, size_t len)
{
    assert_int_equal(send(fd, bytes, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* A client frame, masked with 1 2 3 4 unless mask is false (payloads under
 * 126 bytes). */
static void send_frame(int fd, int op, bool mask, const void *payload, size_t n)
{
    uint8_t f[200] = {(uint8_t)(0x80 | op), (uint8_t)((mask ? 0x80 : 0) | n), 1, 2, 3, 4};
    size_t head = mask ? 6 : 2;
    assert_true(n < 126);
    for (size_t i = 0; i < n; i++)
        f[head + i] = (uint8_t)(((const uint8_t *)payload)[i] ^ (mask ? f[2 + i % 4] : 0));
    send_all(fd, f, head + n);
}

/* Reads up to ms (or the end of the stream) into buf; returns the bytes. */
static size_t read_for(int fd, uint8_t *buf, size_t cap, int ms)
{
    size_t have = 0;
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000;
    while (have < cap && clock_now_us() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0)
            continue;
        ssize_t n = recv(fd, buf + have, cap - have, 0);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    return have;
}

/* The upgrade by hand, then the join (in a binary frame), welcomed. */
static int ws_by_hand(uint16_t port, int rcvbuf, const char *name)
{
    int fd = tcp_connect(port, rcvbuf);
    const char *req = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    send_all(fd, req, strlen(req));
    char join[160];
    int n = snprintf(join, sizeof join, "{\"type\":\"join\",\"version\":3,\"room\":\"bad\","
                     "\"name\":\"%s\"}", name);
    send_frame(fd, 2, true, join, (size_t)n);
    uint8_t buf[4096];
    size_t have = 0;
    uint64_t end = clock_now_us() + 5000000;
    while (!memmem(buf, have, "\"welcome\"", 9) && clock_now_us() < end)
        have += read_for(fd, buf + have, sizeof buf - have, 50);
    assert_non_null(memmem(buf, have, "\"welcome\"", 9));
    return fd;
}

/* The code of the relay's close frame within ms, -1 if none came. */
static int close_code(int fd, int ms)
{
    static uint8_t buf[1 << 16];
    size_t have = 0;
    uint64_t end = clock_now_us() + (uint64_t)ms * 1000;
    while (clock_now_us() < end && have < sizeof buf) {
        size_t n = read_for(fd, buf + have, sizeof buf - have, 50);
        have += n;
        for (size_t at = 0; at + 4 <= have; at++)
            if (buf[at] == 0x88 && buf[at + 1] >= 2 && buf[at + 1] < 126 &&
                at + 2 + buf[at + 1] <= have)
                return buf[at + 2] << 8 | buf[at + 3];
    }
    return -1;
}

/* ---- the tests ----------------------------------------------------------- */

/* python3-websockets and an ENet member: 1,000 states each way, all of
 * them, in order; the play page served beside. */
static void python_and_enet_exchange_1000_states(void **state)
{
    (void)state;
    static struct harness_three t;
    /* a busy relay late past --stale-ms would shed states: none here */
    static const char *const more[] = {"--rate-limit", "0", "--stale-ms", "0", NULL};
    harness_three_start(&t, "ws://127.0.0.1:0", more);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/", t.stream);
    exchange_with_python(t.enet, url, NULL, 1000, PROTO_MODE_RELIABLE);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/play", t.stream);
    struct spawn_proc p;
    const char *args[] = {"page", url, NULL};
    peer_start(&p, args);
    cJSON *o = peer_result(&p, WAIT_MS);
    assert_int_equal(json_int(o, "status"), 200);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "type")->valuestring,
                        "text/html; charset=utf-8");
    cJSON_Delete(o);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.ws.states_in"), 1000);
    harness_three_stop(&t);
}

/* libricochet's ws members beside ENet and plain-UDP ones
 * (harness_stream_room). */
static void a_room_mixes_ws_enet_and_udp_members(void **state)
{
    (void)state;
    static struct harness_three t;
    harness_three_start(&t, "ws://127.0.0.1:0", NULL);
    harness_stream_room(&t.relay, PROTO_MODE_WS, t.stream, t.enet, t.udp);
    harness_three_stop(&t);
}

/* Each bad input closes its own connection with its code, counted; an
 * honest ws member's session goes on throughout. */
static void bad_input_is_closed_with_its_code(void **state)
{
    (void)state;
    static struct harness_three t;
    harness_three_start(&t, "ws://127.0.0.1:0", NULL);
    struct harness_rec r = {.n = 1};
    r.c[0] = harness_client(t.stream, "bad", "honest", PROTO_MODE_WS, false);
    assert_int_equal(harness_poll_until(r.c, 1, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r), 0);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%u/", t.stream);
    cJSON *o = peer_bad(url, "too-big", NULL, &r);
    assert_int_equal(json_int(o, "code"), 1009);
    assert_true(peer_got(o, "\"too_big\""));
    cJSON_Delete(o);
    o = peer_bad(url, "ping-flood", NULL, &r);
    assert_int_equal(json_int(o, "code"), 1008);
    assert_true(peer_got(o, "\"rate_limited\""));
    cJSON_Delete(o);
    o = peer_bad(url, "fragmented", NULL, &r); /* taken whole: welcomed */
    assert_true(peer_got(o, "welcome"));
    cJSON_Delete(o);
    o = peer_bad(url, "text-join", NULL, &r);
    assert_true(peer_got(o, "welcome"));
    cJSON_Delete(o);
    int fd = ws_by_hand(t.stream, 0, "unmasked");
    send_frame(fd, 2, false, "\x01\x01", 2);
    assert_int_equal(close_code(fd, 5000), 1002);
    close(fd);
    fd = ws_by_hand(t.stream, 0, "latin1");
    send_frame(fd, 1, true, "{\"type\":\"chat\",\"text\":\"caf\xe9\"}", 30);
    assert_int_equal(close_code(fd, 5000), 1007);
    close(fd);
    struct ricochet_state s = {.x = 1};
    assert_int_equal(ricochet_send_state(r.c[0], &s), RICOCHET_OK);
    harness_poll_for(r.c, 1, 300, harness_rec_event, &r);
    assert_false(r.disconnected[0]);
    assert_int_equal(harness_relay_stat(&t.relay, "drops.bad_frame"), 2);
    assert_int_equal(harness_relay_stat(&t.relay, "drops.too_big"), 1);
    assert_int_equal(harness_relay_stat(&t.relay, "drops.rate_limited"), 1);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.ws.members"), 1);
    ricochet_close(r.c[0]);
    harness_three_stop(&t);
}

/* Connections that never upgrade: --max-half-open at once (a third takes
 * the oldest's place: it is closed without a word), each answered 408 and
 * closed at the join timeout, a slowloris's head a byte at a time too; a
 * ws member joins once they are gone. */
static void connections_that_never_upgrade(void **state)
{
    (void)state;
    static struct harness_three t;
    static const char *const more[] = {"--max-half-open", "2", "--join-timeout-ms", "400",
                                       NULL};
    harness_three_start(&t, "ws://127.0.0.1:0", more);
    int oldest = tcp_connect(t.stream, 0);
    usleep(50000);
    int slow = tcp_connect(t.stream, 0);
    usleep(50000);
    int idle = tcp_connect(t.stream, 0);
    uint8_t buf[512];
    assert_int_equal(read_for(oldest, buf, sizeof buf, 2000), 0); /* closed, nothing said */
    assert_int_equal(recv(oldest, buf, sizeof buf, MSG_DONTWAIT), 0);
    send_all(slow, "GET /play HTTP/1.1\r\nX-Slow: ", 28);
    uint64_t start = clock_now_us();
    size_t got = 0;
    while (got == 0 && clock_now_us() - start < 5000000) {
        send(slow, "z", 1, MSG_NOSIGNAL);
        got = read_for(slow, buf, sizeof buf - 1, 50);
    }
    buf[got] = 0;
    assert_non_null(strstr((char *)buf, "HTTP/1.1 408 "));
    got = read_for(idle, buf, sizeof buf - 1, 2000);
    buf[got] = 0;
    assert_non_null(strstr((char *)buf, "HTTP/1.1 408 "));
    close(idle);
    close(slow);
    close(oldest);
    assert_int_equal(harness_relay_stat(&t.relay, "drops.half_open"), 3);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.ws.clients"), 0);
    struct harness_rec r = {.n = 1};
    r.c[0] = harness_client(t.stream, "after", "late", PROTO_MODE_WS, false);
    assert_int_equal(harness_poll_until(r.c, 1, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r), 0);
    ricochet_close(r.c[0]);
    harness_three_stop(&t);
}

/* A member that never reads: its states conflated to each sender's
 * newest once its socket is full, then closed as a slow reader; a ws
 * member that reads gets nearly all of the 20,000 that reached the relay. */
static void a_reader_that_never_reads(void **state)
{
    (void)state;
    static struct harness_three t;
    static const char *const more[] = {"--slow-reader-ms", "800", "--rate-limit", "0",
                                       "--tick-ms", "0", "--stale-ms", "0", NULL};
    harness_three_start(&t, "ws://127.0.0.1:0", more);
    int stuck = ws_by_hand(t.stream, 2048, "stuck");
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 2;
    r.c[0] = harness_client(t.stream, "bad", "reader", PROTO_MODE_WS, false);
    r.c[1] = harness_client(t.enet, "bad", "sender", PROTO_MODE_UNSEQUENCED, false);
    assert_int_equal(harness_poll_until(r.c, 2, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r), 0);
    const int sends = 20000;
    uint32_t sender = ricochet_id(r.c[1]);
    for (int k = 0; k < sends; k++) {
        struct ricochet_state s = {.x = (float)k};
        assert_int_equal(ricochet_send_state(r.c[1], &s), RICOCHET_OK);
        if (k % 200 == 199)
            harness_poll_for(r.c, 2, 20, harness_rec_event, &r);
    }
    harness_poll_for(r.c, 2, 1500, harness_rec_event, &r);
    /* what reached the relay: unsequenced, a burst can overflow its
     * socket's buffer (18,604 came when a busy relay shed stale states,
     * before --stale-ms 0) */
    long long in = harness_relay_stat(&t.relay, "edges.enet.states_in");
    assert_true(harness_relay_stat(&t.relay, "edges.ws.conflated") > 0);
    assert_true(harness_relay_stat(&t.relay, "drops.slow_reader") >= 1);
    assert_int_equal(harness_relay_stat(&t.relay, "edges.ws.members"), 1);
    print_message("the relay took %lld of %d states, the reader got %llu\n", in, sends,
                  (unsigned long long)r.states[0][sender]);
    assert_true(in > sends / 2);
    assert_in_range(r.states[0][sender], (uint64_t)in * 95 / 100, (uint64_t)in);
    assert_false(r.disconnected[0]);
    close(stuck);
    for (size_t i = 0; i < 2; i++)
        ricochet_close(r.c[i]);
    harness_three_stop(&t);
}

/* Runs ricochet-relay with args to its exit (within 10 s); its stderr. */
static char *relay_refuses(const char *const *args)
{
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-relay", args), 0);
    assert_true(spawn_stop(&p, 0, 10000) != 0);
    char *e = spawn_read_stderr(&p);
    spawn_free(&p);
    assert_non_null(e);
    return e;
}

/* One byte of a TLS record, then silence: OpenSSL keeps the byte and waits
 * for the rest, which will wake the socket. Before, the edge took any byte
 * OpenSSL held (SSL_has_pending) for input to read again at once, and
 * spun its loop until the join timeout closed the connection: thousands
 * of turns where an idle relay's timers make a few dozen. Turns, not CPU
 * time: a busy machine slows a spin and an idle loop alike. */
static void partial_record_costs_nothing(uint16_t port, const char *metrics)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof to), 0);
    double before = http_relay_loop_turns(metrics);
    assert_int_equal(send(fd, "\x16", 1, 0), 1); /* a handshake record's first byte */
    clock_sleep_ms(1500);
    double turns = http_relay_loop_turns(metrics) - before;
    print_message("one byte of a TLS record held for 1.5 s: the relay's loop turned %.0f "
                  "times\n", turns);
    assert_true(turns < 3000);
    close(fd);
}

/* wss: a certificate the test makes (openssl), python3-websockets over TLS
 * exchanging states with an ENet member, the page over https, the edge's
 * counters, a partial record that costs nothing; without both files, or with one that does not read, one line. */
static void wss_with_a_certificate_of_its_own(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-wss-XXXXXX", cert[64], key[64], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    const char *mk[] = {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", NULL};
    struct spawn_proc ssl;
    assert_int_equal(spawn_start(&ssl, "/usr/bin", "openssl", mk, err, sizeof err), 0);
    assert_int_equal(spawn_stop(&ssl, 0, 10000), 0);
    spawn_free(&ssl);

    struct spawn_proc relay;
    const char *args[] = {"--listen", "wss://127.0.0.1:0", "--listen", "enet://127.0.0.1:0",
                          "--tls-cert", cert, "--tls-key", key, "--rate-limit", "0",
                          "--stale-ms", "0", "--metrics", "0",
                          NULL}; /* a busy relay sheds none: all 300 */
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t wss = harness_edge_port(&relay, "wss"), enet = harness_edge_port(&relay, "enet");
    char metrics[64];
    http_wait_endpoint(&relay, metrics, sizeof metrics);
    partial_record_costs_nothing(wss, metrics);
    char url[64];
    snprintf(url, sizeof url, "wss://127.0.0.1:%u/", wss);
    exchange_with_python(enet, url, cert, 300, PROTO_MODE_UNSEQUENCED);
    snprintf(url, sizeof url, "https://127.0.0.1:%u/ricochet.js", wss);
    struct spawn_proc p;
    const char *page[] = {"page", url, cert, NULL};
    peer_start(&p, page);
    cJSON *o = peer_result(&p, WAIT_MS);
    assert_int_equal(json_int(o, "status"), 200);
    cJSON_Delete(o);
    snprintf(url, sizeof url, "wss://127.0.0.1:%u/", wss);
    o = peer_bad(url, "too-big", cert, NULL); /* the close's code through TLS */
    assert_int_equal(json_int(o, "code"), 1009);
    cJSON_Delete(o);
    assert_int_equal(harness_relay_stat(&relay, "edges.wss.states_in"), 300);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);

    const char *no_key[] = {"--listen", "wss://127.0.0.1:0", "--tls-cert", cert, NULL};
    char *e = relay_refuses(no_key);
    assert_non_null(strstr(e, "wss needs --tls-cert FILE and --tls-key FILE"));
    free(e);
    const char *unreadable[] = {"--listen", "wss://127.0.0.1:0", "--tls-cert", "/nonexistent",
                                "--tls-key", key, NULL};
    e = relay_refuses(unreadable);
    assert_non_null(strstr(e, "--tls-cert /nonexistent: "));
    assert_int_equal(strchr(strstr(e, "--tls-cert"), '\n')[1], '\0'); /* one line */
    free(e);
    const char *no_wss[] = {"--listen", "ws://127.0.0.1:0", "--tls-cert", cert, "--tls-key",
                            key, NULL};
    e = relay_refuses(no_wss);
    assert_non_null(strstr(e, "are for wss:// and quic:// edges"));
    free(e);
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

/* A relay stopped: the connection stays, the session ends at its timeout. */
static void a_silent_relay_ends_the_session(void **state)
{
    (void)state;
    harness_stream_silence(PROTO_MODE_WS, "ws://127.0.0.1:0");
}

/* A fleet's member alone in its room: the relay's pongs come before a
 * fleet's session takes its relay for lost (1.5 s of silence). */
static void alone_in_a_fleet_stays(void **state)
{
    (void)state;
    harness_stream_alone_in_a_fleet(PROTO_MODE_WS, RICOCHET_TRANSPORT_DEFAULT, "ws://127.0.0.1:0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(python_and_enet_exchange_1000_states),
        cmocka_unit_test(a_room_mixes_ws_enet_and_udp_members),
        cmocka_unit_test(bad_input_is_closed_with_its_code),
        cmocka_unit_test(connections_that_never_upgrade),
        cmocka_unit_test(a_reader_that_never_reads),
        cmocka_unit_test(wss_with_a_certificate_of_its_own),
        cmocka_unit_test(a_silent_relay_ends_the_session),
        cmocka_unit_test(alone_in_a_fleet_stays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
