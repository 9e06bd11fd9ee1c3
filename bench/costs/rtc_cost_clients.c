/* rtc_cost_clients.c: rtc-cost's clients and its report (see
 * rtc_cost_clients.h). */
#include "rtc_cost_clients.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rtc/rtc_peer.h"
#include "rtc/rtc_sctp.h"
#include "sys/clock.h"
#include "sys/options.h"
#include "rtc_cost_relay.h"

#define PROG RTC_COST_PROG
#define CTL_MAX RTC_COST_CTL_MAX
#define PEERS_MAX RTC_COST_PEERS_MAX

struct client {
    int fd;
    union netaddr addr;
    struct rtc_peer *p;
    bool open;
    uint64_t got;
};

static struct client C[PEERS_MAX];
static unsigned n_clients;

static void client_send(void *ctx, const union netaddr *to, const uint8_t *data, size_t len)
{
    struct client *c = ctx;
    (void)sendto(c->fd, data, len, 0, &to->sa, netaddr_len(to));
}

static void client_open(void *ctx)
{
    ((struct client *)ctx)->open = true;
}

static void client_message(void *ctx, uint16_t sid, bool binary, const uint8_t *data, size_t len)
{
    (void)sid, (void)binary, (void)data, (void)len;
    ((struct client *)ctx)->got++;
}

/* The clients' sockets and timers, waiting up to ms for the first datagram. */
static void clients_service(int ms)
{
    static struct pollfd p[PEERS_MAX];
    for (unsigned i = 0; i < n_clients; i++)
        p[i] = (struct pollfd){.fd = C[i].fd, .events = POLLIN};
    (void)poll(p, n_clients, ms);
    uint8_t buf[2048];
    uint64_t now = clock_now_us();
    for (unsigned i = 0; i < n_clients; i++) {
        union netaddr from;
        socklen_t fl = sizeof from;
        ssize_t n;
        while ((n = recvfrom(C[i].fd, buf, sizeof buf, MSG_DONTWAIT, &from.sa, &fl)) >= 0) {
            rtc_peer_input(C[i].p, &from, buf, (size_t)n, now);
            fl = sizeof from;
        }
        if (rtc_peer_due(C[i].p) <= now)
            rtc_peer_timers(C[i].p, now);
    }
    rtc_sctp_timers(clock_now_us());
}

/* Sends msg to the relay side and waits for its reply, serving the clients. */
static size_t ask(int ctl, const char *msg, size_t n, char *reply, size_t cap)
{
    if (send(ctl, msg, n, 0) < 0)
        options_fail(PROG, "the relay side is gone");
    for (;;) {
        ssize_t got = recv(ctl, reply, cap - 1, MSG_DONTWAIT);
        if (got > 0) {
            reply[got] = '\0';
            return (size_t)got;
        }
        if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            options_fail(PROG, "the relay side is gone");
        clients_service(1);
    }
}

struct mark {
    unsigned long long cpu_us, in, sent, failed;
    size_t heap;
    long rss;
};

static struct mark mark(int ctl)
{
    char reply[256];
    struct mark m = {0};
    ask(ctl, "mark", 4, reply, sizeof reply);
    if (sscanf(reply, "%llu %zu %ld %llu %llu %llu", &m.cpu_us, &m.heap, &m.rss, &m.in, &m.sent,
               &m.failed) != 6)
        options_fail(PROG, "the relay side said %s", reply);
    return m;
}

/* Offers of every client answered; then until every one is open. */
static void clients_connect(int ctl, unsigned n)
{
    char err[256];
    static char reply[CTL_MAX], msg[CTL_MAX];
    static const struct rtc_peer_ops ops = {client_send, client_open, client_message, NULL};
    for (unsigned i = 0; i < n; i++, n_clients++) {
        struct client *c = &C[i];
        netaddr_resolve("127.0.0.1", 0, &c->addr, err, sizeof err);
        c->fd = netaddr_udp_socket(&c->addr, SOCK_NONBLOCK);
        socklen_t len = sizeof c->addr;
        if (c->fd < 0 || bind(c->fd, &c->addr.sa, netaddr_len(&c->addr)) < 0 ||
            getsockname(c->fd, &c->addr.sa, &len) < 0)
            options_fail(PROG, "cannot open client %u's socket: %s", i, strerror(errno));
        if (!(c->p = rtc_peer_new(&c->addr, &ops, c, err, sizeof err)))
            options_fail(PROG, "%s", err);
        int m = snprintf(msg, sizeof msg, "offer %s", rtc_peer_offer(c->p));
        size_t r = ask(ctl, msg, (size_t)m, reply, sizeof reply);
        if (r < 7 || memcmp(reply, "answer ", 7) != 0)
            options_fail(PROG, "offer refused: %s", reply);
        if (rtc_peer_answer(c->p, reply + 7, r - 7, clock_now_us(), err, sizeof err) < 0)
            options_fail(PROG, "%s", err);
    }
    uint64_t deadline = clock_now_ms() + 30000;
    unsigned open = 0;
    while (open < n && clock_now_ms() < deadline) {
        clients_service(5);
        open = 0;
        for (unsigned i = 0; i < n; i++)
            open += C[i].open;
    }
    if (open < n)
        options_fail(PROG, "%u of %u sessions opened in 30 s", open, n);
}

/* Every client sends m messages up, a round at a time; then until the
 * relay side counts them all, or a second passes without one more. */
static struct mark phase_up(int ctl, unsigned m, unsigned size, const struct mark *before)
{
    uint8_t msg[1100];
    memset(msg, 'u', sizeof msg);
    for (unsigned r = 0; r < m; r++) {
        for (unsigned i = 0; i < n_clients; i++)
            (void)rtc_peer_send(C[i].p, RTC_PEER_STATE, true, msg, size);
        clients_service(0);
    }
    struct mark now = mark(ctl);
    unsigned long long last = now.in;
    for (uint64_t t = clock_now_ms(); now.in - before->in < (unsigned long long)m * n_clients;) {
        clients_service(20);
        now = mark(ctl);
        if (now.in != last)
            last = now.in, t = clock_now_ms();
        else if (clock_now_ms() > t + 1000)
            break;
    }
    return now;
}

/* The relay side sends m messages down to each; then until the clients
 * have them all, or a second passes without one more. */
static struct mark phase_down(int ctl, unsigned m)
{
    char reply[64], cmd[32];
    int n = snprintf(cmd, sizeof cmd, "down %u", m);
    ask(ctl, cmd, (size_t)n, reply, sizeof reply);
    uint64_t got = 0, last = 0, t = clock_now_ms();
    while (got < (uint64_t)m * n_clients && clock_now_ms() < t + 1000) {
        clients_service(20);
        got = 0;
        for (unsigned i = 0; i < n_clients; i++)
            got += C[i].got;
        if (got != last)
            last = got, t = clock_now_ms();
    }
    return mark(ctl);
}

static void report(const struct rtc_cost_options *o, const struct mark *m)
{
    uint64_t got = 0;
    for (unsigned i = 0; i < n_clients; i++)
        got += C[i].got;
    double heap = (double)((long long)m[1].heap - (long long)m[0].heap) / o->peers;
    double rss = (double)(m[1].rss - m[0].rss) / o->peers;
    unsigned long long in = m[2].in - m[1].in, sent = m[3].sent - m[2].sent;
    double us_in = in ? (double)(m[2].cpu_us - m[1].cpu_us) / (double)in : 0;
    double us_out = sent ? (double)(m[3].cpu_us - m[2].cpu_us) / (double)sent : 0;
    unsigned long long asked = (unsigned long long)o->peers * o->messages;
    if (o->json) {
        printf("{\"peers\":%u,\"messages\":%u,\"size\":%u,\"heap_bytes_per_session\":%.0f,"
               "\"rss_bytes_per_session\":%.0f,\"us_per_message_in\":%.2f,"
               "\"us_per_message_out\":%.2f,\"sent_up\":%llu,\"delivered_up\":%llu,"
               "\"sent_down\":%llu,\"delivered_down\":%llu,\"send_refused_down\":%llu",
               o->peers, o->messages, o->size, heap, rss, us_in, us_out, asked, in, sent,
               (unsigned long long)got, m[3].failed - m[2].failed);
        if (o->floor > 0) /* the machine it ran on, as every bench record says */
            printf(",\"floor_dgrams_per_s\":%.0f,\"floor_us_per_dgram\":%.3f", o->floor,
                   1e6 / o->floor);
        printf("}\n");
        return;
    }
    printf("%s: %u sessions, %u messages of %u bytes each way per session, over 127.0.0.1\n",
           PROG, o->peers, o->messages, o->size);
    printf("  memory per session (relay side):  heap %.1f KiB, RSS %.1f KiB\n", heap / 1024,
           rss / 1024);
    printf("  CPU per message in (relay side):  %.2f us (%llu of %llu delivered)\n", us_in, in,
           asked);
    printf("  CPU per message out (relay side): %.2f us (%llu sent, %llu refused, %llu "
           "delivered)\n",
           us_out, sent, m[3].failed - m[2].failed, (unsigned long long)got);
}

int rtc_cost_clients_side(int ctl, const struct rtc_cost_options *o)
{
    char ready[16];
    if (recv(ctl, ready, sizeof ready, 0) <= 0)
        options_fail(PROG, "the relay side did not start");
    struct mark m[4];
    m[0] = mark(ctl);
    clients_connect(ctl, o->peers);
    for (int i = 0; i < 50; i++) /* the last acknowledgements */
        clients_service(2);
    m[1] = mark(ctl);
    m[2] = phase_up(ctl, o->messages, o->size, &m[1]);
    m[3] = phase_down(ctl, o->messages);
    report(o, m);
    (void)send(ctl, "quit", 4, 0);
    for (unsigned i = 0; i < n_clients; i++) {
        rtc_peer_free(C[i].p);
        close(C[i].fd);
    }
    return 0;
}
