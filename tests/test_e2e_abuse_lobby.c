/* test_e2e_abuse_lobby.c: a lobby's watch (PROTOCOL.md, "A lobby that
 * stays") held by thousands of connections, over loopback with the real
 * relay: from 275 addresses (127.1.0.x, 8 each: --max-lobbies-per-address),
 * as many TCP connections as --max-lobbies allows watch every room
 * while rooms come and go (a TCP member joins a room of its own every
 * 100 ms and leaves 150 ms later), and 200 more ask to watch past the
 * bound: each of those is refused server_full and closed, each of the
 * others is kept and pushed the page as it changes. Two honest players
 * in another room (ENet, 30 states a second each) get >= 99% of their
 * states; the relay's CPU over the run is printed beside the same churn
 * with no lobby watching, and the relay lives through it.
 * tests/run: alone (its bounds are rates: delivery beside a load). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/session.h"

#define LOBBIES 2000        /* --max-lobbies */
#define BEYOND 200          /* asking past it */
#define RUN_MS 8000
#define CHURN_EVERY_MS 100
#define CHURN_STAY_MS 150
#define BUF 8192
#define PER_ADDRESS 8       /* --max-lobbies-per-address: lobbies from one address */

/* A connection of the TCP edge, read frame by frame. */
struct conn {
    int fd;
    bool closed;            /* the relay closed it */
    bool refused;           /* ... after a server_full */
    bool watching;          /* its first page said "watch":true */
    unsigned pages;         /* rooms messages: the answer, then pushes */
    size_t have;
    char first[160], last[160]; /* the first and last messages, cut */
    uint8_t buf[BUF];
};

/* A connection from 127.1.0.0 + from (0: 127.0.0.1). */
static int tcp_open(uint16_t port, uint32_t from)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (from) {
        struct sockaddr_in me = {.sin_family = AF_INET};
        me.sin_addr.s_addr = htonl(0x7f010000u + from);
        assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
    }
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof to), 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* One framed message (PROTOCOL.md, "Streams (TCP)"); false if not sent
 * whole (the relay closed the connection). */
static bool tcp_send(int fd, const char *json)
{
    uint8_t f[512];
    size_t n = strlen(json);
    f[0] = (uint8_t)(n >> 8), f[1] = (uint8_t)n;
    memcpy(f + 2, json, n);
    return send(fd, f, n + 2, MSG_NOSIGNAL) == (ssize_t)(n + 2);
}

/* Reads what came to c, its whole frames looked at. */
static void conn_read(struct conn *c)
{
    if (c->closed)
        return;
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->have, BUF - c->have, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            c->closed = true;
            return;
        }
        if (n < 0)
            return;
        c->have += (size_t)n;
        size_t at = 0;
        while (c->have - at >= 2) {
            size_t len = (size_t)c->buf[at] << 8 | c->buf[at + 1];
            if (c->have - at < 2 + len)
                break;
            const char *m = (const char *)c->buf + at + 2;
            snprintf(c->pages || c->first[0] ? c->last : c->first, sizeof c->first, "%.*s",
                     (int)(len < 150 ? len : 150), m);
            if (len && memmem(m, len, "\"type\":\"rooms\"", 14)) {
                c->watching |= c->pages == 0 && memmem(m, len, "\"watch\":true", 12);
                c->pages++;
            }
            if (len && memmem(m, len, "server_full", 11))
                c->refused = true;
            at += 2 + len;
        }
        memmove(c->buf, c->buf + at, c->have - at);
        c->have -= at;
        assert_true(c->have < BUF); /* a frame fits */
    }
}

/* A lobby pings within a third of the relay's --timeout-ms (5 s), as the
 * libraries do: a stream's silent connection is expired after it. */
#define PING_MS 1500

/* What came to the n lobbies read; a ping from each when one is due. */
static void lobbies_turn(struct conn *lobbies, size_t n, uint64_t *pinged_ms)
{
    uint64_t now = clock_now_ms();
    bool ping = now - *pinged_ms >= PING_MS;
    for (size_t i = 0; i < n; i++) {
        conn_read(&lobbies[i]);
        if (ping && !lobbies[i].closed)
            tcp_send(lobbies[i].fd, "{\"type\":\"ping\"}");
    }
    if (ping)
        *pinged_ms = now;
}

/* The churn: a TCP member joins a room of its own every CHURN_EVERY_MS
 * and leaves CHURN_STAY_MS later. */
struct churn {
    uint16_t port;
    uint64_t t0;
    unsigned made;
    int fd[8];
    uint64_t at[8];
    struct conn *lobbies;
    size_t n_lobbies;
    uint64_t pinged_ms;
};


static void churn_hook(void *ctx)
{
    struct churn *ch = ctx;
    uint64_t now = clock_now_ms();
    for (int i = 0; i < 8; i++)
        if (ch->fd[i] >= 0 && now - ch->at[i] >= CHURN_STAY_MS) {
            close(ch->fd[i]);
            ch->fd[i] = -1;
        }
    if ((now - ch->t0) / CHURN_EVERY_MS >= ch->made) {
        for (int i = 0; i < 8; i++)
            if (ch->fd[i] < 0) {
                char join[128];
                snprintf(join, sizeof join, "{\"type\":\"join\",\"version\":3,\"room\":"
                         "\"churn-%u\",\"name\":\"c%u\",\"mode\":\"tcp\"}", ch->made, ch->made);
                ch->fd[i] = tcp_open(ch->port, 0);
                assert_true(tcp_send(ch->fd[i], join));
                ch->at[i] = now;
                break;
            }
        ch->made++;
    }
    char sink[4096];
    for (int i = 0; i < 8; i++)
        while (ch->fd[i] >= 0 && recv(ch->fd[i], sink, sizeof sink, 0) > 0) {
        }
    lobbies_turn(ch->lobbies, ch->n_lobbies, &ch->pinged_ms);
}

/* One run: n lobbies watching (n 0: none), the churn and the honest
 * players. Returns the relay's CPU seconds; delivery into *delivery. */
static double run(size_t n, double *delivery)
{
    struct spawn_proc relay;
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--listen", "tcp://127.0.0.1:0",
                          "--max-clients", "4000", "--max-lobbies", "2000",
                          "--log-level", "error", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t enet = harness_edge_port(&relay, "enet"), tcp = harness_edge_port(&relay, "tcp");

    static struct conn lobbies[LOBBIES + BEYOND];
    memset(lobbies, 0, sizeof lobbies);
    size_t asked = n ? n + BEYOND : 0;
    uint64_t pinged = clock_now_ms();
    for (size_t i = 0; i < asked; i++) {
        /* PER_ADDRESS from each address (--max-lobbies-per-address) */
        lobbies[i].fd = tcp_open(tcp, 1 + (uint32_t)(i / PER_ADDRESS));
        assert_true(tcp_send(lobbies[i].fd, "{\"type\":\"rooms\",\"watch\":true}"));
        if (i % 64 == 63) /* the relay reads them as they come */
            lobbies_turn(lobbies, i + 1, &pinged);
    }
    size_t answered = 0;
    uint64_t until = clock_now_ms() + 3000;
    while (answered < asked && clock_now_ms() < until) {
        lobbies_turn(lobbies, asked, &pinged);
        answered = 0;
        for (size_t i = 0; i < asked; i++)
            answered += lobbies[i].pages > 0 || lobbies[i].closed;
        usleep(10000);
    }

    struct session s;
    session_init(&s);
    session_add(&s, enet, "honest", "honest0", PROTO_MODE_RELIABLE, true, 30);
    session_add(&s, enet, "honest", "honest1", PROTO_MODE_RELIABLE, true, 30);
    session_wait_ready(&s, 0, 2);
    struct churn ch = {.port = tcp, .t0 = clock_now_ms(), .lobbies = lobbies,
                       .n_lobbies = asked, .pinged_ms = pinged};
    for (int i = 0; i < 8; i++)
        ch.fd[i] = -1;
    double cpu0 = harness_usage(&relay).cpu_s;
    session_run(&s, RUN_MS, 1000, churn_hook, &ch);
    double cpu = harness_usage(&relay).cpu_s - cpu0;
    uint64_t got = 0, want = 0;
    *delivery = session_delivery(&s, &got, &want);

    size_t watching = 0, refused = 0, pushed = 0, other = 0;
    unsigned long long pages = 0;
    for (size_t i = 0; i < asked; i++) {
        const struct conn *c = &lobbies[i];
        if (c->watching && !c->closed) {
            watching++;
            pushed += c->pages > 1;
            pages += c->pages;
        } else if (c->refused && c->closed) {
            if (refused++ == 0)
                print_message("lobby %zu refused: %s\n", i, c->first);
        } else {
            if (other++ < 3)
                print_message("lobby %zu: %s, %u pages, %s; first %s; last %s\n", i,
                              c->closed ? "closed" : "open", c->pages,
                              c->refused ? "refused" : "not refused", c->first, c->last);
        }
    }
    long long half_open = harness_relay_stat(&relay, "drops.half_open");
    print_message("%zu lobbies asked to watch: %zu watching (%zu pushed a change, %llu pages "
                  "in all), %zu refused server_full and closed, %zu neither; %u rooms made "
                  "by the churn; half_open %lld; honest delivery %.4f (%llu of %llu); relay "
                  "cpu %.2f s\n",
                  asked, watching, pushed, pages, refused, other, ch.made, half_open, *delivery,
                  (unsigned long long)got, (unsigned long long)want, cpu);
    if (n) {
        assert_int_equal(watching, n);
        assert_int_equal(pushed, n);
        assert_int_equal(refused, BEYOND);
        assert_int_equal(other, 0);
    }
    assert_true(spawn_running(&relay));
    for (size_t i = 0; i < asked; i++)
        close(lobbies[i].fd);
    for (int i = 0; i < 8; i++)
        if (ch.fd[i] >= 0)
            close(ch.fd[i]);
    session_free(&s);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    return cpu;
}

static void thousands_watching_beside_honest_players(void **state)
{
    (void)state;
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < LOBBIES + BEYOND + 256) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < LOBBIES + BEYOND + 256) {
        print_message("descriptors: %llu, fewer than the lobbies need\n",
                      (unsigned long long)rl.rlim_cur);
        skip();
    }
    double base_delivery, delivery;
    double base = run(0, &base_delivery);
    double cpu = run(LOBBIES, &delivery);
    print_message("relay cpu %.2fx of the same churn with no lobby watching\n",
                  base > 0 ? cpu / base : 0);
    assert_true(base_delivery >= 0.99);
    assert_true(delivery >= 0.99);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(thousands_watching_beside_honest_players),
    };
    return session_run_tests("abuse_lobby", tests, sizeof tests / sizeof tests[0]);
}
