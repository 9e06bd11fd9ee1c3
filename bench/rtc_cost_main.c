/* rtc_cost_main.c: rtc-cost, what one WebRTC session costs the relay's
 * webrtc modules (relay/webrtc/rtc_host.h): memory per session, and CPU
 * per message in and out on the unordered channel.
 *
 * Two processes over 127.0.0.1. The child is the relay side: one UDP
 * socket, an rtc_host, a control socket to the parent. The parent runs
 * --peers clients (rtc/rtc_peer.h), each on a socket of its own,
 * sends the child their offers, waits until every client has both
 * channels open, then has each client send --messages messages of --size
 * bytes up, and the child send as many down to each. The child measures
 * itself between phases (getrusage, the C library's heap in use, VmRSS),
 * so the figures are the relay side's alone. Not installed; run it as
 * `make bench-webrtc` does. */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../rtc/rtc_peer.h"
#include "../relay/webrtc/rtc_host.h"
#include "../sys/clock.h"
#include "../sys/options.h"

#define PROG "rtc-cost"
#define CTL_MAX 4096
#define PEERS_MAX 500

struct cost_options {
    unsigned peers, messages, size;
    bool json;
};

static const struct option_def option_defs[] = {
    {"peers", OPTION_UINT, offsetof(struct cost_options, peers), "100", 1, PEERS_MAX, NULL,
     "clients, each a session of its own", sizeof(unsigned), 0, 'n', NULL, NULL},
    {"messages", OPTION_UINT, offsetof(struct cost_options, messages), "200", 1, 100000, NULL,
     "messages each client sends up, and the relay side sends down to each", sizeof(unsigned),
     0, 'm', NULL, NULL},
    {"size", OPTION_UINT, offsetof(struct cost_options, size), "40", 1, 1100, NULL,
     "bytes of a message (a state is 40)", sizeof(unsigned), 0, 's', NULL, NULL},
    {"json", OPTION_BOOL, offsetof(struct cost_options, json), "false", 0, 0, NULL,
     "one JSON object instead of the table", 0, 0, 'J', NULL, NULL},
    {0},
};

static const struct options_program program = {
    .name = PROG,
    .summary = "What a WebRTC session costs the relay's webrtc modules: memory per session, "
               "CPU per message in and out, measured in the relay side's own process.",
    .defs = option_defs,
};

/* --- the relay side (the child) --- */

struct relay_side {
    int fd, ctl;
    struct rtc_host *host;
    int state_sid[PEERS_MAX];   /* per slot, the state channel's stream (-1: none yet) */
    uint64_t in, sent, send_failed;
};

static struct relay_side R;

static void relay_send(void *ctx, const union netaddr *to, const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)sendto(R.fd, data, len, 0, &to->sa, netaddr_len(to));
}

static void relay_channel(void *ctx, unsigned slot, const struct rtc_sctp_channel *ch)
{
    (void)ctx;
    if (slot < PEERS_MAX && !ch->ordered)
        R.state_sid[slot] = ch->sid;
}

static void relay_message(void *ctx, unsigned slot, uint16_t sid, bool binary,
                          const uint8_t *data, size_t len)
{
    (void)ctx, (void)slot, (void)sid, (void)binary, (void)data, (void)len;
    R.in++;
}

/* One batch of datagrams from the socket, then the timers due. */
static void relay_service(void)
{
    uint8_t buf[2048];
    union netaddr from;
    socklen_t fl = sizeof from;
    ssize_t n;
    for (int k = 0; k < 256 && (n = recvfrom(R.fd, buf, sizeof buf, MSG_DONTWAIT, &from.sa, &fl)) >= 0;
         k++, fl = sizeof from)
        rtc_host_input(R.host, &from, buf, (size_t)n, clock_now_us());
    if (rtc_host_due(R.host) <= clock_now_us())
        rtc_host_timers(R.host, clock_now_us());
}

/* "mark": CPU so far (µs), heap in use and VmRSS (bytes), messages in and out. */
static void relay_mark(char *reply, size_t cap)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    uint64_t cpu = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
                   (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    long rss_kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &rss_kb) == 1)
            break;
    if (f)
        fclose(f);
    struct mallinfo2 mi = mallinfo2();
    snprintf(reply, cap, "%llu %zu %ld %llu %llu %llu", (unsigned long long)cpu, mi.uordblks,
             rss_kb * 1024, (unsigned long long)R.in, (unsigned long long)R.sent,
             (unsigned long long)R.send_failed);
}

/* "down M": M messages to every session's state channel, a round at a time. */
static void relay_down(unsigned m, unsigned size)
{
    uint8_t msg[1100];
    memset(msg, 's', sizeof msg);
    for (unsigned r = 0; r < m; r++) {
        for (unsigned slot = 0; slot < PEERS_MAX; slot++) {
            if (R.state_sid[slot] < 0)
                continue;
            if (rtc_host_send(R.host, slot, (uint16_t)R.state_sid[slot], true, msg, size) == 0)
                R.sent++;
            else
                R.send_failed++;
        }
        relay_service();
    }
}

/* One control message; false on "quit". */
static bool relay_control(const char *m, size_t n, unsigned size)
{
    char reply[CTL_MAX];
    unsigned slot, count;
    if (n > 6 && memcmp(m, "offer ", 6) == 0) {
        char why[128];
        int len = rtc_host_answer(R.host, m + 6, n - 6, NULL, clock_now_us(), clock_unix_s(),
                                  reply + 7, sizeof reply - 7, &slot, NULL, why, sizeof why);
        if (len < 0)
            len = snprintf(reply, sizeof reply, "refused %s", why);
        else
            memcpy(reply, "answer ", 7), len += 7;
        (void)send(R.ctl, reply, (size_t)len, 0);
    } else if (n == 4 && memcmp(m, "mark", 4) == 0) {
        relay_mark(reply, sizeof reply);
        (void)send(R.ctl, reply, strlen(reply), 0);
    } else if (sscanf(m, "down %u", &count) == 1) {
        relay_down(count, size);
        (void)send(R.ctl, "done", 4, 0);
    } else {
        return false;
    }
    return true;
}

static int relay_side(int ctl, unsigned size)
{
    char err[256];
    union netaddr at;
    netaddr_resolve("127.0.0.1", 0, &at, err, sizeof err);
    R.ctl = ctl;
    R.fd = netaddr_udp_socket(&at, SOCK_NONBLOCK);
    socklen_t len = sizeof at;
    int big = 4 << 20;
    setsockopt(R.fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (R.fd < 0 || bind(R.fd, &at.sa, netaddr_len(&at)) < 0 || getsockname(R.fd, &at.sa, &len) < 0)
        return 1;
    struct rtc_host_config cfg;
    rtc_host_default_config(&cfg);
    cfg.advertise = at;
    cfg.max_sessions = PEERS_MAX;
    for (int i = 0; i < PEERS_MAX; i++)
        R.state_sid[i] = -1;
    static const struct rtc_host_ops ops = {.send = relay_send, .channel = relay_channel,
                                            .message = relay_message};
    if (!(R.host = rtc_host_new(&cfg, &ops, NULL, clock_now_us(), err, sizeof err))) {
        fprintf(stderr, PROG ": %s\n", err);
        return 1;
    }
    (void)send(ctl, "ready", 5, 0);
    for (;;) {
        struct pollfd p[2] = {{.fd = R.fd, .events = POLLIN}, {.fd = ctl, .events = POLLIN}};
        if (poll(p, 2, 5) < 0 && errno != EINTR)
            return 1;
        relay_service();
        if (p[1].revents) {
            static char m[CTL_MAX];
            ssize_t n = recv(ctl, m, sizeof m - 1, 0);
            if (n <= 0)
                break;
            m[n] = '\0';
            if (!relay_control(m, (size_t)n, size))
                break;
        }
    }
    rtc_host_free(R.host);
    return 0;
}

/* --- the clients (the parent) --- */

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

static void report(const struct cost_options *o, const struct mark *m)
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
               "\"sent_down\":%llu,\"delivered_down\":%llu,\"send_refused_down\":%llu}\n",
               o->peers, o->messages, o->size, heap, rss, us_in, us_out, asked, in, sent,
               (unsigned long long)got, m[3].failed - m[2].failed);
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

static int clients_side(int ctl, const struct cost_options *o)
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

int main(int argc, char **argv)
{
    struct cost_options o;
    options_parse_or_exit(&program, &o, argc, argv);
    options_checked(&program);
    struct rlimit rl = {.rlim_cur = 4096, .rlim_max = 4096};
    if (o.peers + 64 > 1024 && setrlimit(RLIMIT_NOFILE, &rl) < 0)
        options_fail(PROG, "--peers %u needs more descriptors: %s", o.peers, strerror(errno));
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
        options_fail(PROG, "socketpair: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        options_fail(PROG, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(sv[0]);
        _exit(relay_side(sv[1], o.size));
    }
    close(sv[1]);
    int rc = clients_side(sv[0], &o);
    int status = 0;
    waitpid(pid, &status, 0);
    return rc ? rc : WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
