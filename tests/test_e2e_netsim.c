/* test_e2e_netsim.c: the ricochet-netsim proxy end to end over 127.0.0.1:
 * what arrives on each side equals the proxy's own counts; addresses it
 * refuses, accepts with a warning (any address, a local non-loopback one)
 * and IPv6 (::1, dual-stack [::]). The impairment model itself is
 * test_netsim.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/netsim/netsim.h"
#include "sys/netaddr.h"
#include "tests/support/harness.h"
#include "tests/support/raw.h"

static int udp_socket(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    int size = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Two clients send through the proxy to a fake relay that echoes each
 * datagram; what arrived on each side must equal the proxy's own counts. */
static void proxy_end_to_end(void **state)
{
    (void)state;
    uint16_t relay_port, c1_port, c2_port;
    int relay = udp_socket(&relay_port);
    int c1 = udp_socket(&c1_port);
    int c2 = udp_socket(&c2_port);
    char relay_arg[32];
    snprintf(relay_arg, sizeof relay_arg, "127.0.0.1:%u", relay_port);
    const char *args[] = {"--relay", relay_arg, "--loss", "20", "--down-loss", "10",
                          "--delay", "2", "--jitter", "1", "--seed", "1234",
                          "--duration", "60", NULL};
    struct spawn_proc p;
    int port = harness_start_netsim(&p, args);
    struct sockaddr_in proxy = raw_loopback((uint16_t)port);

    /* 3000 datagrams, every 60th from the second client, paced at 5 per ms
     * so no socket buffer overflows (that would be loss netsim did not do). */
    const int n = 3000;
    int sent = 0, relay_got = 0, echoed = 0, c1_got = 0, c2_got = 0;
    uint16_t relay_peers[2] = {0, 0};
    uint64_t start = clock_now_ms(), quiet_since = start, deadline = start + 60000;
    char buf[2048];
    while (clock_now_ms() < deadline) {
        while (sent < n && (uint64_t)sent < (clock_now_ms() - start + 1) * 5) {
            int fd = sent % 60 == 59 ? c2 : c1;
            snprintf(buf, sizeof buf, "datagram %d", sent);
            assert_true(sendto(fd, buf, strlen(buf), 0, (struct sockaddr *)&proxy,
                               sizeof proxy) > 0);
            sent++;
        }
        struct pollfd pf[3] = {{relay, POLLIN, 0}, {c1, POLLIN, 0}, {c2, POLLIN, 0}};
        int r = poll(pf, 3, sent < n ? 1 : 20);
        assert_true(r >= 0);
        if (r == 0 && sent == n) {
            if (clock_now_ms() - quiet_since > 300)
                break;
            continue;
        }
        quiet_since = clock_now_ms();
        union netaddr from;
        ssize_t len = -1;
        if ((pf[0].revents & POLLIN) &&
            (len = harness_recv_from_pid(relay, p.pid, buf, sizeof buf, &from)) >= 0) {
            relay_got++;
            uint16_t fp = ntohs(from.v4.sin_port);
            assert_true(from.v4.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
            assert_true(fp != c1_port && fp != c2_port); /* the proxy's upstream sockets */
            if (relay_peers[0] == 0 || relay_peers[0] == fp)
                relay_peers[0] = fp;
            else
                relay_peers[1] = fp;
            assert_true(sendto(relay, buf, (size_t)len, 0, &from.sa, sizeof from.v4) == len);
            echoed++;
        }
        if ((pf[1].revents & POLLIN) &&
            harness_recv_from_pid(c1, p.pid, buf, sizeof buf, NULL) >= 0)
            c1_got++;
        if ((pf[2].revents & POLLIN) &&
            harness_recv_from_pid(c2, p.pid, buf, sizeof buf, NULL) >= 0)
            c2_got++;
    }
    assert_int_equal(spawn_stop(&p, SIGTERM, 10000), 0);
    char *out = spawn_read_stdout(&p);
    char *err = spawn_read_stderr(&p);
    assert_non_null(out);
    assert_non_null(err);
    assert_non_null(strstr(err, "seed 1234"));
    assert_int_equal(harness_stats_field(out, true, "up.received"), sent);
    assert_int_equal(harness_stats_field(out, true, "up.forwarded"), relay_got);
    assert_int_equal(harness_stats_field(out, true, "down.received"), echoed);
    assert_int_equal(harness_stats_field(out, true, "down.forwarded"), c1_got + c2_got);
    assert_int_equal(harness_stats_field(out, true, "up.drops.loss"), sent - relay_got);
    assert_int_equal(harness_stats_field(out, true, "flows"), 2);
    assert_true(relay_peers[0] != 0 && relay_peers[1] != 0); /* one upstream socket each */
    assert_true(c2_got > 0);
    double up_loss = 1.0 - (double)relay_got / sent;
    double down_loss = 1.0 - (double)(c1_got + c2_got) / echoed;
    assert_true(fabs(up_loss - 0.20) < 0.04);
    assert_true(fabs(down_loss - 0.10) < 0.04);
    free(out);
    free(err);
    spawn_free(&p);
    close(relay);
    close(c1);
    close(c2);
}

/* The proxy rejects bad options with a one-line error and exit status 2. */
static void proxy_refuses(void **state)
{
    (void)state;
    const char *bad[][5] = {
        {"--relay", "127.0.0.1", NULL},
        {"--relay", "::1:7777", NULL},          /* IPv6 needs brackets next to a port */
        {"--relay", "127.0.0.1:0", NULL},
        {"--relay", "[::1]:7777", "--listen", "[::1]", NULL},
        {"--loss", "5", NULL},
        {"--relay", "127.0.0.1:7777", "--loss", "150", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct spawn_proc p;
        assert_int_equal(harness_spawn(&p, "ricochet-netsim", bad[i]), 0);
        assert_int_equal(spawn_stop(&p, 0, 10000), 2);
        char *err = spawn_read_stderr(&p);
        assert_non_null(err);
        assert_non_null(strstr(err, "ricochet-netsim: error: "));
        free(err);
        spawn_free(&p);
    }
}

/* Any address is accepted (netsim between machines), with a warning for
 * each side that is not loopback. Nothing is sent here: no client, so no
 * flow and no datagram to 10.0.0.1 or 192.0.2.1. */
static void proxy_accepts_any_address(void **state)
{
    (void)state;
    const char *cases[][7] = {
        {"--relay", "10.0.0.1:7777", "--duration", "0.2", NULL},
        {"--relay", "[2001:db8::1]:7777", "--duration", "0.2", NULL},
        {"--relay", "192.0.2.1:7777", "--listen", "0.0.0.0:0", "--duration", "0.2"},
    };
    const char *warn_relay = "is not a loopback address: datagrams leave this machine";
    const char *warn_listen = "--listen 0.0.0.0:0 is not a loopback address";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct spawn_proc p;
        const char *args[8] = {0};
        memcpy(args, cases[i], sizeof cases[i]);
        assert_int_equal(harness_spawn(&p, "ricochet-netsim", args), 0);
        assert_int_equal(spawn_stop(&p, 0, 10000), 0);
        char *err = spawn_read_stderr(&p);
        assert_non_null(err);
        if (!strstr(err, warn_relay))
            fail_msg("case %zu: no relay warning in: %s", i, err);
        assert_true((strstr(err, warn_listen) != NULL) == (i == 2));
        assert_non_null(strstr(err, "listening on "));
        free(err);
        spawn_free(&p);
    }
}

/* A socket bound to host (numeric, either family) on a free port. */
static int bound_socket(const char *host, uint16_t *port)
{
    char err[256];
    union netaddr a;
    if (netaddr_resolve(host, 0, &a, err, sizeof err) != 0)
        fail_msg("%s", err);
    int fd = netaddr_udp_socket(&a, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, &a.sa, netaddr_len(&a)), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, &a.sa, &len), 0);
    *port = netaddr_port(&a);
    return fd;
}

/* Runs netsim --listen listen --relay relay_host:P (no impairment) with a
 * fake relay bound to relay_host that echoes; one client bound to
 * client_host sends 200 datagrams to send_host:netsim's port. Every one
 * must come back. Returns netsim's stderr (the caller frees). All hosts
 * are addresses of this machine. */
static char *echo_through(const char *listen, const char *relay_host, const char *client_host,
                          const char *send_host)
{
    uint16_t relay_port, client_port;
    int relay = bound_socket(relay_host, &relay_port);
    int client = bound_socket(client_host, &client_port);
    char relay_arg[96], err[256];
    snprintf(relay_arg, sizeof relay_arg, strchr(relay_host, ':') ? "[%s]:%u" : "%s:%u",
             relay_host, relay_port);
    const char *args[] = {"--relay", relay_arg, "--listen", listen, "--duration", "30", NULL};
    struct spawn_proc p;
    int port = harness_start_netsim(&p, args);
    union netaddr to;
    assert_int_equal(netaddr_resolve(send_host, (uint16_t)port, &to, err, sizeof err), 0);
    int sent = 0, echoed = 0, back = 0;
    char buf[64];
    uint64_t deadline = clock_now_ms() + 10000;
    while (back < 200 && clock_now_ms() < deadline) {
        if (sent < 200 && sent - back < 20) {
            snprintf(buf, sizeof buf, "datagram %d", sent++);
            assert_true(sendto(client, buf, strlen(buf), 0, &to.sa, netaddr_len(&to)) > 0);
        }
        struct pollfd pf[2] = {{relay, POLLIN, 0}, {client, POLLIN, 0}};
        assert_true(poll(pf, 2, 10) >= 0);
        union netaddr from;
        ssize_t len = -1;
        if ((pf[0].revents & POLLIN) &&
            (len = harness_recv_from_pid(relay, p.pid, buf, sizeof buf, &from)) >= 0) {
            assert_true(sendto(relay, buf, (size_t)len, 0, &from.sa, netaddr_len(&from)) == len);
            echoed++;
        }
        if ((pf[1].revents & POLLIN) &&
            harness_recv_from_pid(client, p.pid, buf, sizeof buf, NULL) >= 0)
            back++;
    }
    assert_int_equal(spawn_stop(&p, SIGTERM, 10000), 0);
    char *out = spawn_read_stdout(&p), *text = spawn_read_stderr(&p);
    assert_non_null(out);
    assert_non_null(text);
    assert_int_equal(back, 200);
    assert_int_equal(echoed, 200);
    assert_int_equal(harness_stats_field(out, true, "up.forwarded"), 200);
    assert_int_equal(harness_stats_field(out, true, "down.forwarded"), 200);
    free(out);
    spawn_free(&p);
    close(relay);
    close(client);
    return text;
}

/* An IPv4 address of this machine other than loopback, or "" (then the
 * test uses 127.0.0.1 for the relay, and only the listening side is not
 * loopback). Datagrams to it never leave the machine. */
static void local_non_loopback_ipv4(char *out, size_t cap)
{
    struct ifaddrs *ifs = NULL;
    out[0] = '\0';
    if (getifaddrs(&ifs) != 0)
        return;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        union netaddr a;
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
            netaddr_from_sockaddr(&a, i->ifa_addr, sizeof a.v4) != 0 || netaddr_is_loopback(&a))
            continue;
        inet_ntop(AF_INET, &a.v4.sin_addr, out, (socklen_t)cap);
        break;
    }
    freeifaddrs(ifs);
}

/* Listening on every interface (0.0.0.0), forwarding to a relay on a local
 * non-loopback address when the machine has one: works, and warns. */
static void proxy_any_local_address(void **state)
{
    (void)state;
    char local[INET_ADDRSTRLEN];
    local_non_loopback_ipv4(local, sizeof local);
    const char *relay_host = local[0] ? local : "127.0.0.1";
    print_message("relay on %s\n", relay_host);
    char *err = echo_through("0.0.0.0:0", relay_host, "127.0.0.1", "127.0.0.1");
    assert_non_null(strstr(err, "--listen 0.0.0.0:0 is not a loopback address"));
    assert_true((strstr(err, "datagrams leave this machine") != NULL) == (local[0] != '\0'));
    free(err);
}

/* IPv6 on both sides ([::1]), and a dual-stack [::] listener that serves
 * an IPv4 client while the relay is IPv6, and the reverse. */
static void proxy_ipv6(void **state)
{
    (void)state;
    char *err = echo_through("[::1]:0", "::1", "::1", "::1");
    assert_null(strstr(err, "not a loopback address"));
    assert_non_null(strstr(err, "listening on [::1]:"));
    free(err);
    err = echo_through("[::]:0", "::1", "127.0.0.1", "127.0.0.1");
    assert_non_null(strstr(err, "--listen [::]:0 is not a loopback address"));
    free(err);
    err = echo_through("127.0.0.1:0", "::1", "127.0.0.1", "127.0.0.1");
    assert_null(strstr(err, "not a loopback address"));
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(proxy_end_to_end),
        cmocka_unit_test(proxy_refuses),
        cmocka_unit_test(proxy_accepts_any_address),
        cmocka_unit_test(proxy_any_local_address),
        cmocka_unit_test(proxy_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
