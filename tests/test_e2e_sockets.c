/* test_e2e_sockets.c: the teaching relays of examples/sockets/ pass the
 * same loopback forwarding test as ricochet-relay: clients speaking the
 * wire protocol by hand (plain-UDP datagrams, or frames on a TCP stream,
 * PROTOCOL.md "Streams") join two rooms, and every state reaches every
 * other member of its sender's room once, stamped with the sender's id,
 * never its sender nor the other room; a ping gets its pong. The teaching
 * relays also carry libricochet's udp and tcp clients (what the bench
 * drives), latency included, a tcp client's every state once and in
 * order; a stream that is not in frames ends a tcp session at once. The
 * players of docs/sockets.md ("Your own player", C and Python, as the
 * page prints them) join ricochet-relay's plain-UDP edge side by side and
 * each sees the other's states and times its pings' pongs; the Python one whose welcome is lost on
 * the way while the other's states come asks again and is welcomed; their
 * TCP twins, its tcp edge. Their
 * command lines: --help, a bad port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/control.h"
#include "sys/clock.h"
#include "client/lib/client_test.h"
#include "proto/wire.h"
#include "tests/support/harness.h"

#define ROUNDS 20
#define N_CLIENTS 4          /* three in "lobby", the last in "other" */
#define WAIT_MS 10000

/* A client by hand, on a datagram socket or a stream. */
struct hand {
    int fd;
    bool stream;
    uint32_t id;
    uint8_t in[4096];        /* a stream's bytes not yet framed */
    size_t have;
    uint32_t got[N_CLIENTS]; /* states received, by the sender's place */
    uint32_t strangers;      /* states stamped with no other client's id */
};

static void hand_send(struct hand *h, const void *msg, size_t len)
{
    uint8_t frame[2 + 2048];
    assert_true(len <= 2048);
    if (!h->stream) {
        assert_int_equal(send(h->fd, msg, len, 0), (ssize_t)len);
        return;
    }
    frame[0] = (uint8_t)(len >> 8);
    frame[1] = (uint8_t)len;
    memcpy(frame + 2, msg, len);
    assert_int_equal(send(h->fd, frame, 2 + len, MSG_NOSIGNAL), (ssize_t)(2 + len));
}

/* The next whole message within ms into buf; its length, or 0 if none came. */
static size_t hand_recv(struct hand *h, uint8_t *buf, size_t cap, int ms)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    for (;;) {
        if (h->stream && h->have >= 2 && h->have >= 2u + (size_t)(h->in[0] << 8 | h->in[1])) {
            size_t len = (size_t)(h->in[0] << 8 | h->in[1]);
            assert_true(len > 0 && len <= cap);
            memcpy(buf, h->in + 2, len);
            memmove(h->in, h->in + 2 + len, h->have - 2 - len);
            h->have -= 2 + len;
            return len;
        }
        uint64_t now = clock_now_ms();
        struct pollfd pf = {h->fd, POLLIN, 0};
        if (now >= deadline || poll(&pf, 1, (int)(deadline - now)) <= 0)
            return 0;
        ssize_t n = h->stream ? recv(h->fd, h->in + h->have, sizeof h->in - h->have, 0)
                              : recv(h->fd, buf, cap, 0);
        assert_true(n > 0);
        if (!h->stream)
            return (size_t)n;
        h->have += (size_t)n;
    }
}

/* Connects to 127.0.0.1:port (a stream, or a connected datagram socket). */
static void hand_connect(struct hand *h, bool stream, uint16_t port)
{
    memset(h, 0, sizeof *h);
    h->stream = stream;
    h->fd = socket(AF_INET, stream ? SOCK_STREAM : SOCK_DGRAM, 0);
    assert_true(h->fd >= 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(h->fd, (struct sockaddr *)&to, sizeof to), 0);
    int one = 1;
    if (stream)
        setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Joins room as name: a cookie is echoed (ricochet-relay over plain UDP),
 * a lost datagram repeated. Returns the welcome's id. */
static uint32_t hand_join(struct hand *h, const char *room, const char *name)
{
    char join[256], cookie[40] = "";
    uint8_t buf[2048];
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (clock_now_ms() < deadline) {
        /* padded past 64 bytes: a relay answers a stranger with no more than it sent */
        snprintf(join, sizeof join, "{\"type\":\"join\",\"version\":2,\"room\":\"%s\",\"name\":"
                 "\"%s\",\"mode\":\"udp\"%s%s%s,\"pad\":\"xxxxxxxxxxxxxxxxxxxx\"}", room, name,
                 cookie[0] ? ",\"cookie\":\"" : "", cookie, cookie[0] ? "\"" : "");
        hand_send(h, join, strlen(join));
        size_t len;
        while ((len = hand_recv(h, buf, sizeof buf, 250)) > 0) {
            struct proto_control m;
            char why[128];
            if (buf[0] != '{' || proto_control_decode((char *)buf, len, &m, why, sizeof why))
                continue;
            if (m.type == PROTO_CTL_COOKIE)
                snprintf(cookie, sizeof cookie, "%s", m.cookie);
            if (m.type == PROTO_CTL_WELCOME)
                return h->id = m.id;
            if (m.type == PROTO_CTL_COOKIE)
                break;
        }
    }
    fail_msg("%s: no welcome", name);
    return 0;
}

/* Reads whatever h has for ms: states counted by their sender's place. */
static void hand_drain(struct hand *h, struct hand *all, int ms)
{
    uint8_t buf[2048];
    size_t len;
    while ((len = hand_recv(h, buf, sizeof buf, ms)) > 0) {
        struct proto_state s;
        if (buf[0] == '{' || proto_state_decode(buf, len, &s) != PROTO_OK)
            continue;
        size_t from = 0;
        while (from < N_CLIENTS && all[from].id != s.sender)
            from++;
        if (from == N_CLIENTS || s.sender == h->id)
            h->strangers++;
        else
            h->got[from]++;
    }
}

/* The test: four clients, two rooms, ROUNDS states each; a ping. */
static void forwarding(uint16_t port, bool stream)
{
    static struct hand c[N_CLIENTS];
    const char *names[N_CLIENTS] = {"ann", "ben", "cat", "dan"};
    for (int i = 0; i < N_CLIENTS; i++) {
        hand_connect(&c[i], stream, port);
        assert_true(hand_join(&c[i], i < 3 ? "lobby" : "other", names[i]) > 0);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(c[i].id, c[j].id);
    }
    uint8_t st[PROTO_STATE_SIZE];
    for (uint32_t k = 1; k <= ROUNDS; k++) {
        for (int i = 0; i < N_CLIENTS; i++) {
            struct proto_state s = {.sender = 99, .seq = k, .send_us = clock_now_us(),
                                    .x = (float)i};
            assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
            hand_send(&c[i], st, sizeof st); /* sender 99: the relay writes the real one */
        }
        for (int i = 0; i < N_CLIENTS; i++)
            hand_drain(&c[i], c, 5);
    }
    for (int i = 0; i < N_CLIENTS; i++) {
        hand_drain(&c[i], c, 300);
        for (int j = 0; j < N_CLIENTS; j++) {
            bool same_room = (i < 3) == (j < 3);
            assert_int_equal(c[i].got[j], i != j && same_room ? ROUNDS : 0);
        }
        assert_int_equal(c[i].strangers, 0);
    }
    const char *ping = "{\"type\":\"ping\",\"t\":123456789}";
    hand_send(&c[0], ping, strlen(ping));
    uint8_t buf[2048];
    struct proto_control m = {0};
    char why[128];
    size_t len;
    while ((len = hand_recv(&c[0], buf, sizeof buf, WAIT_MS)) > 0)
        if (buf[0] == '{' && !proto_control_decode((char *)buf, len, &m, why, sizeof why) &&
            m.type == PROTO_CTL_PONG)
            break;
    assert_int_equal(m.type, PROTO_CTL_PONG);
    assert_int_equal(m.t, 123456789);
    assert_true(m.relay_t > 0);
    for (int i = 0; i < N_CLIENTS; i++)
        close(c[i].fd);
}

/* Starts examples/sockets' prog (next to the programs' folder) on a free
 * port. Returns the port. */
static uint16_t start_example(struct spawn_proc *p, const char *prog)
{
    char dir[512], err[1024];
    snprintf(dir, sizeof dir, "%s/../examples", harness_bin_dir());
    const char *args[] = {"0", NULL};
    assert_int_equal(spawn_start(p, dir, prog, args, err, sizeof err), 0);
    int port = spawn_wait_listening(p, 10000, err, sizeof err);
    if (port < 0)
        fail_msg("%s", err);
    return (uint16_t)port;
}

static void udp_relay_forwards(void **unused)
{
    (void)unused;
    struct spawn_proc p;
    forwarding(start_example(&p, "udp_relay"), false);
    spawn_free(&p);
}

static void tcp_relay_forwards(void **unused)
{
    (void)unused;
    struct spawn_proc p;
    forwarding(start_example(&p, "tcp_relay"), true);
    spawn_free(&p);
}

/* The same test against the real relay's plain-UDP transport. */
static void ricochet_relay_forwards(void **unused)
{
    (void)unused;
    struct spawn_proc p;
    const char *args[] = {"--transport", "udp", NULL};
    int port = harness_start_relay(&p, args);
    assert_true(port > 0);
    forwarding((uint16_t)port, false);
    free(harness_relay_finish(&p));
    spawn_free(&p);
}

struct lat_seen {
    bool known[2];
};

static void on_latency(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct lat_seen *w = ((struct harness_rec *)ctx)->user;
    harness_rec_event(ctx, i, ev);
    if (ev->type == RICOCHET_EV_STATE && ev->latency_known)
        w->known[i] = true;
}

static bool both_know_latency(void *ctx)
{
    const struct lat_seen *w = ((struct harness_rec *)ctx)->user;
    return w->known[0] && w->known[1];
}

/* libricochet's udp clients through the teaching relay: joined, states
 * both ways, and one-way latency once the pongs and clocks went round. */
static void udp_relay_carries_the_library(void **unused)
{
    (void)unused;
    struct spawn_proc p;
    uint16_t port = start_example(&p, "udp_relay");
    static struct harness_rec r;
    static struct lat_seen w;
    memset(&r, 0, sizeof r);
    memset(&w, 0, sizeof w);
    r.user = &w;
    r.n = 2;
    r.c[0] = harness_client(port, "lobby", "ann", PROTO_MODE_UDP, false);
    r.c[1] = harness_client(port, "lobby", "ben", PROTO_MODE_UDP, false);
    assert_int_equal(harness_poll_until(r.c, r.n, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r), 0);
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (!both_know_latency(&r) && clock_now_ms() < deadline) {
        for (size_t i = 0; i < 2; i++) {
            struct ricochet_state s = {.x = 1, .y = 2};
            assert_int_equal(ricochet_send_state(r.c[i], &s), RICOCHET_OK);
        }
        harness_poll_for(r.c, r.n, 50, on_latency, &r);
    }
    assert_true(both_know_latency(&r));
    uint32_t a = ricochet_id(r.c[0]), b = ricochet_id(r.c[1]);
    assert_true(r.states[0][b] > 0 && r.states[1][a] > 0);
    assert_int_equal(r.self_states[0] + r.self_states[1], 0);
    ricochet_close(r.c[0]);
    ricochet_close(r.c[1]);
    spawn_free(&p);
}

/* A member that announced its clock once, before the other joined: the
 * later joiner still learns it (from the member's states on), so its
 * states' one-way latency is known. The teaching relays send no roster
 * and no notices: a client knows a member only once a state of it came,
 * and takes its clock only then. ann is by hand (one clock, never
 * again), ben the library. */
static void late_joiner_learns_the_clock(uint16_t port, bool stream, enum proto_mode mode)
{
    static struct hand ann;
    static struct harness_rec r;
    static struct lat_seen w;
    memset(&r, 0, sizeof r);
    memset(&w, 0, sizeof w);
    hand_connect(&ann, stream, port);
    assert_true(hand_join(&ann, "lobby", "ann") > 0);
    const char *clock = "{\"type\":\"clock\",\"offset_us\":0,\"bound_us\":5}";
    hand_send(&ann, clock, strlen(clock));
    hand_drain(&ann, &ann, 100); /* the relay has it before ben joins */
    r.user = &w;
    r.n = 1;
    r.c[0] = harness_client(port, "lobby", "ben", mode, false);
    assert_int_equal(harness_poll_until(r.c, 1, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r), 0);
    uint8_t st[PROTO_STATE_SIZE];
    uint64_t deadline = clock_now_ms() + 3000;
    for (uint32_t k = 1; !w.known[0] && clock_now_ms() < deadline; k++) {
        struct proto_state s = {.sender = 99, .seq = k, .send_us = clock_now_us()};
        assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
        hand_send(&ann, st, sizeof st);
        hand_drain(&ann, &ann, 0);
        harness_poll_for(r.c, 1, 50, on_latency, &r);
    }
    assert_true(r.states[0][ann.id] > 0);
    assert_true(w.known[0]); /* without ann's clock: never */
    ricochet_close(r.c[0]);
    close(ann.fd);
}

static void tcp_relay_tells_late_joiners_the_clock(void **unused)
{
    (void)unused;
    struct spawn_proc p;
    late_joiner_learns_the_clock(start_example(&p, "tcp_relay"), true, PROTO_MODE_TCP);
    spawn_free(&p);
}

static void udp_relay_tells_late_joiners_the_clock(void **unused)
{
    (void)unused;
    struct spawn_proc p;
    late_joiner_learns_the_clock(start_example(&p, "udp_relay"), false, PROTO_MODE_UDP);
    spawn_free(&p);
}

#define TCP_STATES 50

static bool all_disconnected(void *ctx)
{
    const struct harness_rec *r = ctx;
    for (size_t i = 0; i < r->n; i++)
        if (!r->disconnected[i])
            return false;
    return true;
}

/* libricochet's tcp clients through the teaching relay: joined, every
 * state both ways exactly once and in order, as tcp, one-way latency once
 * the pongs and clocks went round; the relay's end ends their sessions. */
static void tcp_relay_carries_the_library(void **unused)
{
    (void)unused;
    struct spawn_proc p;
    uint16_t port = start_example(&p, "tcp_relay");
    static struct harness_rec r;
    static struct lat_seen w;
    memset(&r, 0, sizeof r);
    memset(&w, 0, sizeof w);
    r.user = &w;
    r.n = 2;
    r.c[0] = harness_client(port, "lobby", "ann", PROTO_MODE_TCP, false);
    r.c[1] = harness_client(port, "lobby", "ben", PROTO_MODE_TCP, false);
    assert_int_equal(harness_poll_until(r.c, r.n, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &r), 0);
    uint32_t id[2] = {ricochet_id(r.c[0]), ricochet_id(r.c[1])};
    for (int k = 0; k < TCP_STATES; k++) {
        for (size_t i = 0; i < 2; i++) {
            struct ricochet_state s = {.x = (float)k, .y = 2};
            assert_int_equal(ricochet_send_state(r.c[i], &s), RICOCHET_OK);
        }
        harness_poll_for(r.c, r.n, 10, on_latency, &r);
    }
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while ((r.states[0][id[1]] < TCP_STATES || r.states[1][id[0]] < TCP_STATES ||
            !both_know_latency(&r)) && clock_now_ms() < deadline) {
        for (size_t i = 0; i < 2 && r.states[0][id[1]] >= TCP_STATES; i++) {
            struct ricochet_state s = {.x = 0, .y = 2};
            ricochet_send_state(r.c[i], &s); /* on until the clocks are known */
        }
        harness_poll_for(r.c, r.n, 50, on_latency, &r);
    }
    assert_true(both_know_latency(&r));
    for (size_t i = 0; i < 2; i++) {
        const struct client_member *m = client_member(r.c[i], id[1 - i]);
        assert_non_null(m);
        assert_true(r.states[i][id[1 - i]] >= TCP_STATES);
        assert_int_equal(r.arrived_as[i][id[1 - i]], PROTO_MODE_TCP);
        assert_int_equal(m->stats.received, r.states[i][id[1 - i]]);
        assert_int_equal(m->stats.reordered + m->stats.duplicates, 0);
        assert_int_equal(recv_stats_lost(&m->stats), 0);
    }
    assert_int_equal(r.self_states[0] + r.self_states[1], 0);
    spawn_stop(&p, SIGTERM, 5000);
    assert_int_equal(harness_poll_until(r.c, r.n, WAIT_MS, harness_rec_event,
                                        all_disconnected, &r), 0);
    /* a FIN, or a reset when the relay closed with a state of ours unread */
    const char *why = ricochet_end_reason(r.c[0]);
    if (!strstr(why, "closed the connection") && !strstr(why, strerror(ECONNRESET)))
        fail_msg("the session ended for another reason: %s", why);
    ricochet_close(r.c[0]);
    ricochet_close(r.c[1]);
    spawn_free(&p);
}

/* A "relay" whose stream is not in frames (a frame of length 0): the
 * session ends at once, saying so, instead of reading garbage. */
static void stream_not_in_frames(void **unused)
{
    (void)unused;
    int lsock = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(lsock, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lsock, 1), 0);
    assert_int_equal(getsockname(lsock, (struct sockaddr *)&a, &len), 0);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 1;
    r.c[0] = harness_client(ntohs(a.sin_port), "lobby", "ann", PROTO_MODE_TCP, false);
    struct pollfd pfd = {.fd = lsock, .events = POLLIN};
    while (poll(&pfd, 1, 0) == 0)
        harness_poll_for(r.c, 1, 10, harness_rec_event, &r);
    int fd = accept(lsock, NULL, NULL);
    assert_true(fd >= 0);
    static const char welcome[] = "{\"type\":\"welcome\",\"id\":7,\"room\":\"lobby\","
                                  "\"roster\":[]}";
    uint8_t frame[2 + sizeof welcome + 2] = {0, (uint8_t)(sizeof welcome - 1)};
    memcpy(frame + 2, welcome, sizeof welcome - 1);
    frame[2 + sizeof welcome - 1] = 0; /* then a frame of length 0 */
    frame[2 + sizeof welcome] = 0;
    assert_int_equal(write(fd, frame, 2 + sizeof welcome - 1 + 2),
                     (ssize_t)(2 + sizeof welcome - 1 + 2));
    assert_int_equal(harness_poll_until(r.c, 1, WAIT_MS, harness_rec_event,
                                        all_disconnected, &r), 0);
    assert_true(r.welcomed[0]);
    assert_non_null(strstr(ricochet_end_reason(r.c[0]), "frames"));
    assert_true(client_bad_messages(r.c[0]) >= 1);
    ricochet_close(r.c[0]);
    close(fd);
    close(lsock);
}

/* The whole of file, as a fenced block of lang in docs/sockets.md. */
static void in_the_docs(const char *file, const char *lang)
{
    char *doc = harness_read_text("docs/sockets.md"), *code = harness_read_text(file);
    assert_non_null(doc);
    assert_non_null(code);
    size_t n = strlen(lang) + strlen(code) + 16;
    char *block = malloc(n);
    snprintf(block, n, "```%s\n%s```\n", lang, code);
    if (!strstr(doc, block))
        fail_msg("docs/sockets.md does not show %s as it is", file);
    free(block);
    free(code);
    free(doc);
}

/* "joined as ID" in a player's output, and a ping's pong ("round trip N
 * ms"); the other's states ("player ID at") counted into *theirs. Returns
 * its id. */
static unsigned player_output(struct spawn_proc *p, unsigned other, unsigned *theirs)
{
    char *out = spawn_read_stdout(p), want[32];
    assert_non_null(out);
    const char *j = strstr(out, "joined as ");
    if (!j)
        fail_msg("%s never joined: %s", p->prog, out);
    unsigned id = (unsigned)atoi(j + 10);
    if (!strstr(out, "round trip "))
        fail_msg("%s never timed a pong: %s", p->prog, out);
    *theirs = 0;
    if (other) {
        snprintf(want, sizeof want, "player %u at ", other);
        for (const char *at = out; (at = strstr(at, want)); at++)
            (*theirs)++;
    }
    free(out);
    return id;
}

static void players_from_the_docs(void **unused)
{
    (void)unused;
    in_the_docs("examples/sockets/udp_player.py", "python");
    in_the_docs("examples/sockets/udp_player.c", "c");
    struct spawn_proc relay, c, py;
    const char *relay_args[] = {"--listen", "udp://127.0.0.1:0", NULL};
    int port = harness_start_relay(&relay, relay_args);
    assert_true(port > 0);
    char port_s[8], dir[512], err[1024];
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(dir, sizeof dir, "%s/../examples", harness_bin_dir());
    const char *c_args[] = {"127.0.0.1", port_s, "4", NULL};
    const char *py_args[] = {"examples/sockets/udp_player.py", "127.0.0.1", port_s, "4", NULL};
    assert_int_equal(spawn_start(&c, dir, "udp_player", c_args, err, sizeof err), 0);
    assert_int_equal(spawn_start(&py, "/usr/bin", "python3", py_args, err, sizeof err), 0);
    assert_int_equal(spawn_stop(&c, 0, 15000), 0);
    assert_int_equal(spawn_stop(&py, 0, 15000), 0);
    unsigned theirs, seen;
    unsigned c_id = player_output(&c, 0, &theirs);
    unsigned py_id = player_output(&py, c_id, &seen); /* the C player's states at Python */
    player_output(&c, py_id, &theirs);                /* and Python's at C */
    /* 20 a second for about 4 s, less the other's start: most of them */
    if (seen < 20 || theirs < 20)
        fail_msg("Python saw %u of C's states, C %u of Python's", seen, theirs);
    spawn_free(&c);
    spawn_free(&py);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 5000), 0);
    spawn_free(&relay);
}

/* Between the docs' Python player and ricochet-relay's plain-UDP edge: a
 * path that loses the relay's first welcome and carries everything else,
 * in the test's own loop until the player ends. Returns the states the
 * player was sent before any welcome reached it. */
static int lose_the_first_welcome(int proxy, int relay_fd, struct spawn_proc *player)
{
    struct sockaddr_storage from, player_at;
    socklen_t player_len = 0;
    bool lost = false, welcomed = false;
    int early = 0;
    uint8_t buf[2048];
    uint64_t deadline = clock_now_ms() + 20000;
    while (spawn_running(player) && clock_now_ms() < deadline) {
        struct pollfd p[2] = {{.fd = proxy, .events = POLLIN}, {.fd = relay_fd, .events = POLLIN}};
        if (poll(p, 2, 50) <= 0)
            continue;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(proxy, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &len);
        if (n > 0) { /* the player's, on to the relay */
            player_at = from;
            player_len = len;
            send(relay_fd, buf, (size_t)n, 0);
        }
        n = recv(relay_fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0 || !player_len)
            continue;
        bool welcome = n > 18 && !memcmp(buf, "{\"type\":\"welcome\"", 17);
        if (welcome && !lost) {
            lost = true;
            continue;
        }
        welcomed |= welcome;
        early += lost && !welcomed && buf[0] != '{';
        sendto(proxy, buf, (size_t)n, 0, (struct sockaddr *)&player_at, player_len);
    }
    return early;
}

/* The relay's welcome to the docs' Python player lost on the way, while
 * another member's states come: the player takes them for what they are
 * (not its answer), asks again and is welcomed. */
static void a_player_whose_welcome_is_lost(void **unused)
{
    (void)unused;
    struct spawn_proc relay, c, py;
    const char *relay_args[] = {"--listen", "udp://127.0.0.1:0", NULL};
    int port = harness_start_relay(&relay, relay_args);
    assert_true(port > 0);
    char port_s[8], proxy_s[8], dir[512], err[1024];
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(dir, sizeof dir, "%s/../examples", harness_bin_dir());
    const char *c_args[] = {"127.0.0.1", port_s, "10", NULL};
    assert_int_equal(spawn_start(&c, dir, "udp_player", c_args, err, sizeof err), 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int proxy = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int relay_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    socklen_t len = sizeof a;
    assert_int_equal(bind(proxy, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(proxy, (struct sockaddr *)&a, &len), 0);
    snprintf(proxy_s, sizeof proxy_s, "%d", ntohs(a.sin_port));
    a.sin_port = htons((uint16_t)port);
    assert_int_equal(connect(relay_fd, (struct sockaddr *)&a, sizeof a), 0);
    const char *py_args[] = {"examples/sockets/udp_player.py", "127.0.0.1", proxy_s, "2", NULL};
    assert_int_equal(spawn_start(&py, "/usr/bin", "python3", py_args, err, sizeof err), 0);
    int early = lose_the_first_welcome(proxy, relay_fd, &py);
    int rc = spawn_stop(&py, 0, 15000);
    char *out = spawn_read_stdout(&py), *perr = spawn_read_stderr(&py);
    print_message("the welcome lost, %d states came before the next: the player %s%.300s\n",
                  early, rc == 0 ? "played" : "FAILED: ", rc == 0 ? "" : perr);
    bool joined = out && strstr(out, "joined as");
    free(out);
    free(perr);
    spawn_free(&py);
    close(proxy);
    close(relay_fd);
    assert_int_equal(spawn_stop(&c, SIGTERM, 15000) >= 0, 1);
    spawn_free(&c);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 5000), 0);
    spawn_free(&relay);
    assert_int_equal(rc, 0);
    assert_true(joined);
    assert_true(early > 0); /* the case: a state where the player waited for its welcome */
}

/* The TCP players of docs/sockets.md, C and Python, against ricochet-relay's
 * tcp edge: each sees most of the other's states. */
static void tcp_players_from_the_docs(void **unused)
{
    (void)unused;
    in_the_docs("examples/sockets/tcp_player.py", "python");
    in_the_docs("examples/sockets/tcp_player.c", "c");
    struct spawn_proc relay, c, py;
    const char *relay_args[] = {"--listen", "tcp://127.0.0.1:0", NULL};
    int port = harness_start_relay(&relay, relay_args);
    assert_true(port > 0);
    char port_s[8], dir[512], err[1024];
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(dir, sizeof dir, "%s/../examples", harness_bin_dir());
    const char *c_args[] = {"127.0.0.1", port_s, "4", NULL};
    const char *py_args[] = {"examples/sockets/tcp_player.py", "127.0.0.1", port_s, "4", NULL};
    assert_int_equal(spawn_start(&c, dir, "tcp_player", c_args, err, sizeof err), 0);
    assert_int_equal(spawn_start(&py, "/usr/bin", "python3", py_args, err, sizeof err), 0);
    assert_int_equal(spawn_stop(&c, 0, 15000), 0);
    assert_int_equal(spawn_stop(&py, 0, 15000), 0);
    unsigned theirs, seen;
    unsigned c_id = player_output(&c, 0, &theirs);
    unsigned py_id = player_output(&py, c_id, &seen); /* the C player's states at Python */
    player_output(&c, py_id, &theirs);                /* and Python's at C */
    if (seen < 20 || theirs < 20)
        fail_msg("Python saw %u of C's states, C %u of Python's", seen, theirs);
    spawn_free(&c);
    spawn_free(&py);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 5000), 0);
    spawn_free(&relay);
}

/* --help (exit 0, usage on stdout) and a bad port (exit 2, one line). */
static void command_lines(void **unused)
{
    (void)unused;
    const char *progs[] = {"udp_relay", "tcp_relay", "udp_player", "tcp_player"};
    char dir[512], err[256];
    snprintf(dir, sizeof dir, "%s/../examples", harness_bin_dir());
    for (int i = 0; i < 4; i++) {
        struct spawn_proc p;
        const char *help[] = {"--help", NULL}, *bad[] = {"70000", NULL};
        assert_int_equal(spawn_start(&p, dir, progs[i], help, err, sizeof err), 0);
        assert_int_equal(spawn_stop(&p, 0, 5000), 0);
        char *out = spawn_read_stdout(&p);
        assert_non_null(strstr(out, "usage: "));
        free(out);
        spawn_free(&p);
        assert_int_equal(spawn_start(&p, dir, progs[i], bad, err, sizeof err), 0);
        assert_int_equal(spawn_stop(&p, 0, 5000), 2);
        char *text = spawn_read_stderr(&p);
        assert_non_null(strstr(text, "usage: "));
        assert_int_equal(strchr(text, '\n') - text + 1, (long)strlen(text));
        free(text);
        spawn_free(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ricochet_relay_forwards),
        cmocka_unit_test(udp_relay_forwards),
        cmocka_unit_test(tcp_relay_forwards),
        cmocka_unit_test(udp_relay_carries_the_library),
        cmocka_unit_test(tcp_relay_carries_the_library),
        cmocka_unit_test(tcp_relay_tells_late_joiners_the_clock),
        cmocka_unit_test(udp_relay_tells_late_joiners_the_clock),
        cmocka_unit_test(stream_not_in_frames),
        cmocka_unit_test(players_from_the_docs),
        cmocka_unit_test(a_player_whose_welcome_is_lost),
        cmocka_unit_test(tcp_players_from_the_docs),
        cmocka_unit_test(command_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
