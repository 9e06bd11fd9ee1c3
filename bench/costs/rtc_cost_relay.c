/* rtc_cost_relay.c: rtc-cost's relay side (see rtc_cost_relay.h). */
#include "rtc_cost_relay.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "relay/webrtc/rtc_host.h"
#include "sys/clock.h"

#define PROG RTC_COST_PROG
#define CTL_MAX RTC_COST_CTL_MAX
#define PEERS_MAX RTC_COST_PEERS_MAX

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

int rtc_cost_relay_side(int ctl, unsigned size)
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
