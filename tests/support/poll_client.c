/* poll_client.c: a raw client of the HTTP polling edge, for tests (see
 * poll_client.h). */
#include "poll_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"

/* A TCP connection to host (an IPv4 address) and port, or -1. */
static int connect_to(const char *host, uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const void *bytes, size_t len)
{
    const uint8_t *p = bytes;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

int poll_client_answer(const uint8_t *buf, size_t len, size_t *whole, size_t *body)
{
    const uint8_t *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end)
        return len >= 5 && memcmp(buf, "HTTP/", 5) != 0 ? -1 : 0;
    int status = 0;
    if (sscanf((const char *)buf, "HTTP/1.%*d %3d", &status) != 1)
        return -1;
    size_t head = (size_t)(end - buf) + 4, length = 0;
    for (const uint8_t *line = buf; line < end;) {
        const uint8_t *eol = memmem(line, (size_t)(end - line) + 2, "\r\n", 2);
        if (eol - line > 15 && strncasecmp((const char *)line, "content-length:", 15) == 0)
            length = strtoul((const char *)line + 15, NULL, 10);
        line = eol + 2;
    }
    if (len < head + length)
        return 0;
    *whole = head + length;
    *body = head;
    return status;
}

/* Reads fd until an answer is whole in buf (cap), for up to ms. Returns
 * its status (and *whole, *body), or -1. */
static int read_answer(int fd, uint8_t *buf, size_t cap, size_t *len, size_t *whole,
                       size_t *body, int ms)
{
    uint64_t end = clock_now_ms() + (uint64_t)(ms > 0 ? ms : 0);
    for (;;) {
        int status = poll_client_answer(buf, *len, whole, body);
        if (status != 0)
            return status;
        int left = (int)(end > clock_now_ms() ? end - clock_now_ms() : 0);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (*len == cap || poll(&p, 1, left) <= 0)
            return -1;
        ssize_t n = recv(fd, buf + *len, cap - *len, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            return -1;
        *len += (size_t)n;
    }
}

/* One request on c's POST connection (opened if none) and its answer,
 * body into out (cap) if not NULL. Returns the status, or -1. */
static int exchange(struct poll_client *c, const char *head, const void *body, size_t len,
                    char *out, size_t cap, int ms)
{
    static uint8_t buf[16384];
    for (int attempt = 0; attempt < 2; attempt++) {
        if (c->post_fd < 0 && (c->post_fd = connect_to(c->host, c->port)) < 0)
            return -1;
        size_t have = 0, whole, at;
        int status = -1;
        if (send_all(c->post_fd, head, strlen(head)) && send_all(c->post_fd, body, len))
            status = read_answer(c->post_fd, buf, sizeof buf, &have, &whole, &at, ms);
        if (status < 0) { /* a keep-alive connection the relay closed: once more */
            close(c->post_fd);
            c->post_fd = -1;
            continue;
        }
        if (out)
            snprintf(out, cap, "%.*s", (int)(whole - at), (const char *)buf + at);
        if (memmem(buf, at, "Connection: close", 17)) {
            close(c->post_fd);
            c->post_fd = -1;
        }
        c->last_status = status;
        c->last_answer = whole;
        return status;
    }
    return -1;
}

int poll_client_post(struct poll_client *c, const void *const *msgs, const size_t *lens,
                     size_t n, int ms)
{
    static uint8_t body[16384];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (len + 2 + lens[i] > sizeof body)
            return -1;
        body[len] = (uint8_t)(lens[i] >> 8);
        body[len + 1] = (uint8_t)lens[i];
        memcpy(body + len + 2, msgs[i], lens[i]);
        len += 2 + lens[i];
    }
    char head[256];
    snprintf(head, sizeof head,
             "POST /poll%s%s HTTP/1.1\r\nHost: %s\r\n"
             "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n\r\n",
             c->session[0] ? "?s=" : "", c->session, c->host, len);
    int status = exchange(c, head, body, len, NULL, 0, ms);
    if (status == 404 || status == 410)
        c->ended = true;
    return status;
}

int poll_client_send(struct poll_client *c, const void *msg, size_t len, int ms)
{
    return poll_client_post(c, &msg, &len, 1, ms);
}

int poll_client_join(struct poll_client *c, const char *host, uint16_t port, const char *join,
                     uint32_t wait_ms, int ms)
{
    memset(c, 0, sizeof *c);
    snprintf(c->host, sizeof c->host, "%s", host);
    c->port = port;
    c->wait_ms = wait_ms;
    c->get_fd = c->post_fd = -1;
    size_t len = strlen(join);
    uint8_t body[2048];
    if (len + 2 > sizeof body)
        return -1;
    body[0] = (uint8_t)(len >> 8);
    body[1] = (uint8_t)len;
    memcpy(body + 2, join, len);
    char head[256], id[64];
    snprintf(head, sizeof head,
             "POST /poll HTTP/1.1\r\nHost: %s\r\n"
             "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n\r\n", host,
             len + 2);
    int status = exchange(c, head, body, len + 2, id, sizeof id, ms);
    if (status != 200)
        return status;
    snprintf(c->session, sizeof c->session, "%s", id);
    return 0;
}

/* The next frame of what GETs brought, into buf. Returns its length, or
 * -1 if none is whole. */
static int next_message(struct poll_client *c, void *buf, size_t cap)
{
    if (c->msgs_len - c->msgs_off < 2)
        return -1;
    const uint8_t *at = c->msgs + c->msgs_off;
    size_t len = (size_t)at[0] << 8 | at[1];
    if (c->msgs_len - c->msgs_off < 2 + len)
        return -1;
    memcpy(buf, at + 2, len < cap ? len : cap);
    c->msgs_off += 2 + len;
    if (c->msgs_off == c->msgs_len)
        c->msgs_off = c->msgs_len = 0;
    return (int)(len < cap ? len : cap);
}

/* Sends a GET on c's GET connection (opened if none). */
static bool send_get(struct poll_client *c)
{
    if (c->get_fd < 0 && (c->get_fd = connect_to(c->host, c->port)) < 0)
        return false;
    char head[256];
    snprintf(head, sizeof head, "GET /poll?s=%s&wait=%u HTTP/1.1\r\nHost: %s\r\n\r\n",
             c->session, (unsigned)c->wait_ms, c->host);
    if (!send_all(c->get_fd, head, strlen(head))) {
        close(c->get_fd);
        c->get_fd = -1;
        return false;
    }
    c->in_len = 0;
    c->get_sent = true;
    c->gets++;
    return true;
}

int poll_client_recv(struct poll_client *c, void *buf, size_t cap, int ms)
{
    uint64_t end = clock_now_ms() + (uint64_t)(ms > 0 ? ms : 0);
    for (;;) {
        int n = next_message(c, buf, cap);
        if (n >= 0)
            return n;
        if (c->ended)
            return 0;
        if (!c->get_sent && !send_get(c))
            return -1;
        int left = (int)(end > clock_now_ms() ? end - clock_now_ms() : 0);
        size_t whole, body;
        int status = read_answer(c->get_fd, c->in, sizeof c->in, &c->in_len, &whole, &body, left);
        if (status < 0) {
            if (clock_now_ms() < end || poll_client_answer(c->in, c->in_len, &whole, &body) < 0) {
                close(c->get_fd); /* the relay closed the connection: a new one next */
                c->get_fd = -1;
                c->get_sent = false;
            }
            return -1;
        }
        c->get_sent = false;
        c->last_status = status;
        c->last_answer = whole;
        if (status == 404 || status == 410) {
            c->ended = true;
            return 0;
        }
        if (status == 200 && whole - body <= sizeof c->msgs - c->msgs_len) {
            memcpy(c->msgs + c->msgs_len, c->in + body, whole - body);
            c->msgs_len += whole - body;
        }
        if (memmem(c->in, body, "Connection: close", 17)) {
            close(c->get_fd);
            c->get_fd = -1;
        }
        if (clock_now_ms() >= end && c->msgs_len == c->msgs_off)
            return -1;
    }
}

int poll_client_leave(struct poll_client *c, int ms)
{
    char head[256];
    snprintf(head, sizeof head, "DELETE /poll?s=%s HTTP/1.1\r\nHost: %s\r\n\r\n", c->session,
             c->host);
    int status = exchange(c, head, "", 0, NULL, 0, ms);
    c->ended = true;
    return status;
}

int poll_client_fd(const struct poll_client *c)
{
    return c->get_fd;
}

void poll_client_close(struct poll_client *c)
{
    if (c->get_fd >= 0)
        close(c->get_fd);
    if (c->post_fd >= 0)
        close(c->post_fd);
    c->get_fd = c->post_fd = -1;
}

int poll_client_raw(uint16_t port, const void *request, size_t len, char *answer, size_t cap,
                    int ms)
{
    int fd = connect_to("127.0.0.1", port);
    if (fd < 0)
        return -1;
    static uint8_t buf[16384];
    size_t have = 0, whole = 0, body = 0;
    int status = send_all(fd, request, len)
                     ? read_answer(fd, buf, sizeof buf, &have, &whole, &body, ms)
                     : -1;
    if (answer)
        snprintf(answer, cap, "%.*s", (int)(status > 0 ? whole : have), (const char *)buf);
    close(fd);
    return status;
}
