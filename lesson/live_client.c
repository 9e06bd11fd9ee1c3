/* live_client.c: one HTTP/1.0 request to netsim's --metrics endpoint
 * (see live.h): connect, send, read to the close, every wait bounded. */
#include "live.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../sys/clock.h"
#include "../sys/netaddr.h"

/* Waits until fd is ready for events or deadline_us. Returns 0 or -1. */
static int wait_fd(int fd, short events, uint64_t deadline_us)
{
    for (;;) {
        uint64_t now = clock_now_us();
        if (now >= deadline_us)
            return -1;
        struct pollfd p = {.fd = fd, .events = events};
        int rc = poll(&p, 1, (int)((deadline_us - now + 999) / 1000));
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

static int send_all(int fd, const char *data, size_t len, uint64_t deadline_us)
{
    while (len > 0) {
        if (wait_fd(fd, POLLOUT, deadline_us) != 0)
            return -1;
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            return -1;
        if (n > 0) {
            data += n;
            len -= (size_t)n;
        }
    }
    return 0;
}

static int connect_to(const char *endpoint, uint64_t deadline_us, char *why, size_t cap)
{
    union netaddr a;
    if (netaddr_parse_endpoint(endpoint, &a, why, cap) != 0)
        return -1;
    int fd = socket(a.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (fd >= 0 && (connect(fd, &a.sa, netaddr_len(&a)) == 0 || errno == EINPROGRESS) &&
        wait_fd(fd, POLLOUT, deadline_us) == 0 &&
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && !soerr)
        return fd;
    snprintf(why, cap, "%s: %s", endpoint, strerror(soerr ? soerr : errno ? errno : ETIMEDOUT));
    if (fd >= 0)
        close(fd);
    return -1;
}

int live_client_request(const char *endpoint, const char *method, const char *path,
                        const char *body, int timeout_ms, int *status, char *out, size_t cap)
{
    uint64_t deadline = clock_now_us() + (uint64_t)timeout_ms * 1000u;
    char head[512];
    int fd = connect_to(endpoint, deadline, out, cap);
    if (fd < 0)
        return -1;
    size_t body_len = body ? strlen(body) : 0;
    int n = snprintf(head, sizeof head, "%s %s HTTP/1.0\r\nHost: %s\r\nContent-Type: "
                     "application/json\r\nContent-Length: %zu\r\n\r\n", method, path, endpoint,
                     body_len);
    char *raw = malloc(cap + 1024);
    size_t got = 0;
    int rc = -1;
    if (raw && n > 0 && (size_t)n < sizeof head && send_all(fd, head, (size_t)n, deadline) == 0 &&
        send_all(fd, body, body_len, deadline) == 0) {
        for (;;) { /* to the close, what fits */
            if (wait_fd(fd, POLLIN, deadline) != 0)
                break;
            ssize_t r = recv(fd, raw + got, cap + 1023 - got, 0);
            if (r == 0) {
                rc = 0;
                break;
            }
            if (r < 0 && errno != EINTR && errno != EAGAIN)
                break;
            if (r > 0)
                got += (size_t)r;
            if (got == cap + 1023) {
                rc = 0; /* longer than the caller takes: cut */
                break;
            }
        }
    }
    close(fd);
    if (raw)
        raw[got] = '\0';
    const char *end = raw ? strstr(raw, "\r\n\r\n") : NULL;
    if (rc != 0 || !end || sscanf(raw, "HTTP/1.%*d %d", status) != 1) {
        snprintf(out, cap, "%s: no answer within %d ms", endpoint, timeout_ms);
        free(raw);
        return -1;
    }
    snprintf(out, cap, "%s", end + 4);
    free(raw);
    return 0;
}
