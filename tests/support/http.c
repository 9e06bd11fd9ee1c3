/* http.c: see http.h. */
#include "http.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../sys/clock.h"
#include "../../sys/netaddr.h"
#include "../../harness/freeport.h"
#include "../../harness/spawn.h"

/* Waits for fd to be ready for events until deadline_ms. */
static int wait_fd(int fd, short events, uint64_t deadline_ms)
{
    for (;;) {
        uint64_t now = clock_now_ms();
        if (now >= deadline_ms)
            return -1;
        struct pollfd p = { .fd = fd, .events = events };
        int rc = poll(&p, 1, (int)(deadline_ms - now));
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

static int connect_to(const char *endpoint, uint64_t deadline_ms)
{
    union netaddr a;
    char err[128];
    if (netaddr_parse_endpoint(endpoint, &a, err, sizeof err) != 0) {
        fprintf(stderr, "http: %s\n", err);
        return -1;
    }
    int fd = socket(a.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, &a.sa, netaddr_len(&a)) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (wait_fd(fd, POLLOUT, deadline_ms) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends len bytes of data (none: NULL) within deadline_ms. Returns 0 or -1. */
static int send_all(int fd, const char *data, size_t len, uint64_t deadline_ms)
{
    while (len > 0) {
        if (wait_fd(fd, POLLOUT, deadline_ms) != 0)
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

/* Reads until the server closes; returns the bytes (NUL-terminated). */
static char *read_all(int fd, uint64_t deadline_ms, size_t *len)
{
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    *len = 0;
    while (buf) {
        if (*len + 1 == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                break;
            buf = bigger;
        }
        if (wait_fd(fd, POLLIN, deadline_ms) != 0)
            break;
        ssize_t n = recv(fd, buf + *len, cap - *len - 1, 0);
        if (n == 0) {
            buf[*len] = '\0';
            return buf;
        }
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            break;
        if (n > 0)
            *len += (size_t)n;
    }
    free(buf);
    return NULL;
}

static int parse(char *raw, size_t len, struct http_response *out)
{
    char *end = strstr(raw, "\r\n\r\n");
    if (!end || sscanf(raw, "HTTP/1.%*d %d", &out->status) != 1)
        return -1;
    size_t head = (size_t)(end - raw);
    out->headers = strndup(raw, head);
    out->len = len - head - 4;
    out->body = malloc(out->len + 1);
    if (!out->headers || !out->body)
        return -1;
    memcpy(out->body, end + 4, out->len);
    out->body[out->len] = '\0';
    return 0;
}

int http_request(const char *endpoint, const char *method, const char *path, int timeout_ms,
                 struct http_response *out)
{
    return http_send(endpoint, method, path, NULL, timeout_ms, out);
}

int http_send(const char *endpoint, const char *method, const char *path, const char *body,
              int timeout_ms, struct http_response *out)
{
    return http_send_host(endpoint, endpoint, method, path, body, timeout_ms, out);
}

int http_send_host(const char *endpoint, const char *host, const char *method, const char *path,
                   const char *body, int timeout_ms, struct http_response *out)
{
    memset(out, 0, sizeof *out);
    uint64_t deadline = clock_now_ms() + (uint64_t)timeout_ms;
    int fd = connect_to(endpoint, deadline);
    if (fd < 0) {
        fprintf(stderr, "http: cannot connect to %s\n", endpoint);
        return -1;
    }
    char req[4096], host_line[512] = "";
    if (host)
        snprintf(host_line, sizeof host_line, "Host: %s\r\n", host);
    int n = body ? snprintf(req, sizeof req, "%s %s HTTP/1.0\r\n%sContent-Type: "
                            "application/json\r\nContent-Length: %zu\r\n\r\n", method, path,
                            host_line, strlen(body))
                 : snprintf(req, sizeof req, "%s %s HTTP/1.0\r\n%s\r\n", method, path,
                            host_line);
    size_t len = 0, body_len = body ? strlen(body) : 0;
    char *raw = NULL;
    if (n > 0 && (size_t)n < sizeof req && send(fd, req, (size_t)n, MSG_NOSIGNAL) == n &&
        send_all(fd, body, body_len, deadline) == 0)
        raw = read_all(fd, deadline, &len);
    close(fd);
    int rc = raw ? parse(raw, len, out) : -1;
    free(raw);
    if (rc != 0) {
        fprintf(stderr, "http: no whole answer from %s%s\n", endpoint, path);
        http_response_free(out);
    }
    return rc;
}

struct http_response http_get(const char *endpoint, const char *path)
{
    struct http_response r;
    assert_int_equal(http_request(endpoint, "GET", path, 5000, &r), 0);
    return r;
}

const char *http_header(const struct http_response *r, const char *name, char *buf,
                        size_t cap)
{
    size_t n = strlen(name);
    for (const char *line = r->headers; line; line = strstr(line, "\r\n")) {
        line += line[0] == '\r' ? 2 : 0;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1 + strspn(line + n + 1, " ");
            snprintf(buf, cap, "%.*s", (int)strcspn(v, "\r\n"), v);
            return buf;
        }
    }
    return NULL;
}

void http_response_free(struct http_response *r)
{
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof *r);
}

const char *http_query_escape(const char *s, char *buf, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-_.~", c)) {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '%';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    buf[o] = '\0';
    return buf;
}

void http_wait_endpoint(struct spawn_proc *p, char *out, size_t cap)
{
    uint64_t deadline = clock_now_ms() + 10000;
    for (;;) {
        char *text = spawn_read_stderr(p);
        const char *at = text ? strstr(text, "metrics on http://") : NULL;
        if (at && strchr(at, '\n')) {
            at += strlen("metrics on http://");
            snprintf(out, cap, "%.*s", (int)strcspn(at, "/\n"), at);
            free(text);
            return;
        }
        free(text);
        if (!spawn_running(p) || clock_now_ms() >= deadline)
            fail_msg("%s: no \"metrics on\" line", p->prog);
        clock_sleep_ms(5);
    }
}

int http_free_port(void)
{
    uint16_t port;
    char err[128];
    if (free_port(SOCK_STREAM, &port, err, sizeof err) != 0)
        fail_msg("%s", err);
    return port;
}
