/* harness_udp.c: see harness.h. Raw UDP sockets on 127.0.0.1 for tests
 * that speak the plain-UDP edge's bytes themselves: a join with its
 * cookie, and datagrams taken only from a given process's ports. */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lab/audit/audit.h"

int harness_udp_socket(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    if (port) {
        socklen_t len = sizeof a;
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
        *port = ntohs(a.sin_port);
    }
    return fd;
}

void harness_udp_connect(int fd, uint16_t port)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof to), 0);
}

/* Waits up to deadline_ms for a decodable control datagram on fd. */
static bool udp_next_control(int fd, uint64_t deadline_ms, struct proto_control *m)
{
    static char buf[PROTO_CONTROL_MAX + 1];
    while (clock_now_ms() < deadline_ms) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        poll(&p, 1, 20);
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0 && buf[0] == '{' && proto_control_decode(buf, (size_t)n, m, NULL, 0) == PROTO_OK)
            return true;
    }
    return false;
}

bool harness_udp_join(int fd, uint16_t port, const char *join_json, struct proto_control *m,
                      int ms)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    size_t len = strlen(join_json);
    assert_true(len > 2 && len < 400 && join_json[len - 1] == '}');
    harness_udp_connect(fd, port); /* a stray cookie or error is not the relay's answer */
    sendto(fd, join_json, len, 0, (struct sockaddr *)&to, sizeof to);
    char json[512];
    bool have = false;
    while (!have && udp_next_control(fd, deadline, m))
        have = m->type == PROTO_CTL_COOKIE;
    if (!have)
        return false;
    snprintf(json, sizeof json, "%.*s,\"cookie\":\"%s\"}", (int)len - 1, join_json, m->cookie);
    sendto(fd, json, strlen(json), 0, (struct sockaddr *)&to, sizeof to);
    while (udp_next_control(fd, deadline, m))
        if (m->type == PROTO_CTL_WELCOME || m->type == PROTO_CTL_ERROR)
            return true;
    return false;
}

/* The inodes of the UDP sockets bound to local port (/proc/net/udp and
 * udp6) into inodes[cap]; returns how many. */
static size_t udp_port_inodes(uint16_t port, unsigned long *inodes, size_t cap)
{
    static const char *const tables[] = {"/proc/net/udp", "/proc/net/udp6"};
    size_t n = 0;
    for (size_t t = 0; t < 2; t++) {
        FILE *f = fopen(tables[t], "r");
        char line[512], local[64];
        unsigned long inode;
        while (f && fgets(line, sizeof line, f)) {
            /* sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode */
            if (sscanf(line, "%*s %63s %*s %*s %*s %*s %*s %*s %*s %lu", local, &inode) != 2)
                continue; /* the header */
            char *colon = strrchr(local, ':');
            if (colon && strtoul(colon + 1, NULL, 16) == port && n < cap)
                inodes[n++] = inode;
        }
        if (f)
            fclose(f);
    }
    return n;
}

/* Whether process pid holds a UDP socket bound to local port. */
static bool pid_owns_udp_port(pid_t pid, uint16_t port)
{
    unsigned long inodes[8];
    size_t n = udp_port_inodes(port, inodes, 8);
    ino_t *held = NULL;
    long n_held = n ? audit_process_sockets(pid, &held) : 0;
    bool owns = false;
    for (long k = 0; k < n_held && !owns; k++)
        for (size_t i = 0; i < n; i++)
            owns = owns || held[k] == (ino_t)inodes[i];
    free(held);
    return owns;
}

ssize_t harness_recv_from_pid(int fd, pid_t pid, void *buf, size_t cap, union netaddr *from)
{
    /* The ports found to be pid's: /proc is read once per new port. */
    static pid_t known_pid;
    static uint16_t known[16];
    static size_t n_known;
    if (known_pid != pid) {
        known_pid = pid;
        n_known = 0;
    }
    for (;;) {
        union netaddr a;
        socklen_t alen = sizeof a;
        ssize_t len = recvfrom(fd, buf, cap, MSG_DONTWAIT, &a.sa, &alen);
        if (len < 0)
            return -1;
        uint16_t port = netaddr_port(&a);
        bool ours = false;
        for (size_t i = 0; i < n_known && !ours; i++)
            ours = known[i] == port;
        if (!ours && pid_owns_udp_port(pid, port)) {
            ours = true;
            if (n_known < 16)
                known[n_known++] = port;
        }
        if (!ours) {
            print_message("harness: dropped a %zd-byte datagram from port %u, not process %ld's\n",
                          len, port, (long)pid);
            continue;
        }
        if (from)
            *from = a;
        return len;
    }
}
