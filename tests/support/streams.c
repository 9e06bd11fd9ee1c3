/* streams.c: raw clients of the relay's stream edges (see streams.h). */
#include "streams.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "sys/clock.h"

#define CONNECT_MS 2000
#define UPGRADE_MS 5000

/* A non-blocking TCP connection from `from` to to:port (to NULL:
 * 127.0.0.1). Returns the descriptor, or -1. */
static int connect_to(const char *from, const char *to, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    struct sockaddr_in a = {.sin_family = AF_INET};
    if (from && (inet_pton(AF_INET, from, &a.sin_addr) != 1 ||
                 bind(fd, (struct sockaddr *)&a, sizeof a) != 0))
        goto fail;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (to && inet_pton(AF_INET, to, &a.sin_addr) != 1)
        goto fail;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (errno != EINPROGRESS)
            goto fail;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int err = 0;
        socklen_t len = sizeof err;
        if (poll(&p, 1, CONNECT_MS) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            errno = err ? err : ETIMEDOUT;
            goto fail;
        }
    }
    return fd;
fail:
    close(fd);
    return -1;
}

int streams_connect(const char *from, uint16_t port)
{
    return connect_to(from, NULL, port);
}

/* Writes as send() does (MSG_NOSIGNAL), in TLS when c has it: bytes
 * taken, or -1 (errno EAGAIN: nothing now). */
static ssize_t write_some(struct streams_conn *c, const void *bytes, size_t len)
{
    if (!c->tls)
        return send(c->fd, bytes, len, MSG_NOSIGNAL);
    int n = SSL_write(c->tls, bytes, (int)len);
    if (n > 0)
        return n;
    int e = SSL_get_error(c->tls, n);
    errno = e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? EAGAIN : EPIPE;
    return -1;
}

/* Reads as recv() does, in TLS when c has it. */
static ssize_t read_some(struct streams_conn *c, void *buf, size_t cap)
{
    if (!c->tls)
        return recv(c->fd, buf, cap, 0);
    int n = SSL_read(c->tls, buf, (int)cap);
    if (n > 0)
        return n;
    int e = SSL_get_error(c->tls, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        errno = EAGAIN;
        return -1;
    }
    return 0; /* closed, or an error: the end */
}

static int send_all(struct streams_conn *c, const void *bytes, size_t len)
{
    const uint8_t *p = bytes;
    uint64_t end = clock_now_ms() + CONNECT_MS;
    while (len > 0) {
        ssize_t n = write_some(c, p, len);
        if (n < 0 && errno == EAGAIN && clock_now_ms() < end) {
            struct pollfd w = {.fd = c->fd, .events = POLLOUT | POLLIN};
            poll(&w, 1, 20);
            continue;
        }
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads what is there into c->buf, waiting up to ms for the first byte.
 * Returns the bytes read, 0 at the end of the stream, -1 for none. */
static ssize_t fill(struct streams_conn *c, int ms)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (c->have == sizeof c->buf)
        return -1;
    bool pending = c->tls && SSL_pending(c->tls) > 0;
    if (!pending && poll(&p, 1, ms) != 1)
        return -1;
    ssize_t n = read_some(c, c->buf + c->have, sizeof c->buf - c->have);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return -1;
    if (n <= 0)
        return 0;
    c->have += (size_t)n;
    return n;
}

/* c's TLS handshake (no certificate checked), within UPGRADE_MS. */
static int tls_start(struct streams_conn *c)
{
    static SSL_CTX *ctx;
    if (!ctx && !(ctx = SSL_CTX_new(TLS_client_method())))
        return -1;
    SSL *s = SSL_new(ctx);
    if (!s || SSL_set_fd(s, c->fd) != 1) {
        SSL_free(s);
        return -1;
    }
    c->tls = s;
    SSL_set_connect_state(s);
    uint64_t end = clock_now_ms() + UPGRADE_MS;
    for (;;) {
        int rc = SSL_do_handshake(s);
        if (rc == 1)
            return 0;
        int e = SSL_get_error(s, rc);
        if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || clock_now_ms() >= end) {
            ERR_clear_error();
            return -1;
        }
        struct pollfd p = {.fd = c->fd, .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT};
        poll(&p, 1, 20);
    }
}

int streams_open(struct streams_conn *c, enum streams_kind kind, const char *from,
                 uint16_t port)
{
    return streams_open_to(c, kind, from, NULL, port);
}

int streams_fd(const struct streams_conn *c)
{
    return c->fd;
}

int streams_open_to(struct streams_conn *c, enum streams_kind kind, const char *from,
                    const char *to, uint16_t port)
{
    c->kind = kind;
    c->have = 0;
    c->tls = NULL;
    c->fd = connect_to(from, to, port);
    if (c->fd < 0 || kind == STREAMS_TCP)
        return c->fd < 0 ? -1 : 0;
    if (kind == STREAMS_WSS && tls_start(c) != 0)
        goto fail;
    static const char req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    if (send_all(c, req, sizeof req - 1) != 0)
        goto fail;
    uint64_t end = clock_now_ms() + UPGRADE_MS;
    for (;;) {
        uint8_t *head_end = memmem(c->buf, c->have, "\r\n\r\n", 4);
        if (head_end) {
            size_t head = (size_t)(head_end - c->buf) + 4;
            if (c->have < 12 || memcmp(c->buf, "HTTP/1.1 101", 12) != 0)
                goto fail;
            memmove(c->buf, c->buf + head, c->have - head);
            c->have -= head;
            return 0;
        }
        if (clock_now_ms() >= end || fill(c, 20) == 0)
            goto fail;
    }
fail:
    streams_close(c);
    return -1;
}

int streams_send(struct streams_conn *c, const void *msg, size_t len)
{
    uint8_t head[14], *m = (uint8_t *)msg;
    size_t n = 0;
    if (c->kind == STREAMS_TCP) {
        if (len > 0xffff)
            return -1;
        head[n++] = (uint8_t)(len >> 8);
        head[n++] = (uint8_t)len;
        return send_all(c, head, n) == 0 && send_all(c, msg, len) == 0 ? 0 : -1;
    }
    static const uint8_t mask[4] = {1, 2, 3, 4};
    static uint8_t masked[(1 << 16) + 14];
    if (len > sizeof masked - 14)
        return -1;
    head[n++] = 0x82; /* FIN, binary */
    if (len < 126) {
        head[n++] = (uint8_t)(0x80 | len);
    } else {
        head[n++] = 0x80 | 126;
        head[n++] = (uint8_t)(len >> 8);
        head[n++] = (uint8_t)len;
    }
    memcpy(head + n, mask, 4);
    n += 4;
    memcpy(masked, head, n); /* one write: a TLS record, not two */
    for (size_t i = 0; i < len; i++)
        masked[n + i] = m[i] ^ mask[i % 4];
    return send_all(c, masked, n + len);
}

/* The first whole message in c->buf: its payload's offset and length and
 * the bytes it takes; false if not whole yet. *closing: a close frame. */
static bool whole(const struct streams_conn *c, size_t *at, size_t *len, size_t *took,
                  bool *closing)
{
    *closing = false;
    if (c->kind == STREAMS_TCP) {
        if (c->have < 2)
            return false;
        *at = 2;
        *len = (size_t)c->buf[0] << 8 | c->buf[1];
    } else {
        if (c->have < 2)
            return false;
        *closing = (c->buf[0] & 0x0f) == 0x8;
        *len = c->buf[1] & 0x7f;
        *at = 2;
        if (*len == 126) {
            if (c->have < 4)
                return false;
            *len = (size_t)c->buf[2] << 8 | c->buf[3];
            *at = 4;
        } else if (*len == 127) {
            return false; /* the relay sends nothing this long */
        }
    }
    *took = *at + *len;
    return c->have >= *took;
}

int streams_recv(struct streams_conn *c, char *out, size_t cap, int ms)
{
    uint64_t end = clock_now_ms() + (uint64_t)ms;
    for (;;) {
        size_t at, len, took;
        bool closing;
        if (whole(c, &at, &len, &took, &closing)) {
            if (closing)
                return 0;
            size_t keep = len < cap ? len : cap - 1; /* a binary message whole */
            memcpy(out, c->buf + at, keep);
            out[keep] = '\0';
            memmove(c->buf, c->buf + took, c->have - took);
            c->have -= took;
            if (len > 0)
                return (int)len;
            continue;
        }
        uint64_t now = clock_now_ms();
        ssize_t got = fill(c, now >= end ? 0 : end - now > 20 ? 20 : (int)(end - now));
        if (got == 0)
            return 0;
        if (got < 0 && clock_now_ms() >= end)
            return -1;
    }
}

bool streams_closed_within(struct streams_conn *c, int ms)
{
    uint64_t end = clock_now_ms() + (uint64_t)ms;
    char skip[64];
    for (;;) {
        uint64_t now = clock_now_ms();
        if (now >= end)
            return false;
        int n = streams_recv(c, skip, sizeof skip, (int)(end - now));
        if (n == 0)
            return true;
        if (n < 0)
            return false;
    }
}

void streams_close(struct streams_conn *c)
{
    if (c->tls)
        SSL_free(c->tls);
    c->tls = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->have = 0;
}

int streams_http(const char *from, uint16_t port, const char *request, size_t len, char *answer,
                 size_t cap, int ms)
{
    static struct streams_conn c;
    c.fd = streams_connect(from, port);
    c.have = 0;
    c.tls = NULL;
    if (c.fd < 0 || send_all(&c, request, len) != 0) {
        streams_close(&c);
        return -1;
    }
    uint64_t end = clock_now_ms() + (uint64_t)ms;
    while (clock_now_ms() < end && fill(&c, 20) != 0)
        ;
    int status = -1;
    if (c.have >= 12 && memcmp(c.buf, "HTTP/1.1 ", 9) == 0)
        status = (c.buf[9] - '0') * 100 + (c.buf[10] - '0') * 10 + (c.buf[11] - '0');
    if (answer)
        snprintf(answer, cap, "%.*s", (int)c.have, (const char *)c.buf);
    streams_close(&c);
    return status;
}
