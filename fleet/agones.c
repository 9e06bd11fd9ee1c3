/* agones.c: see agones.h. A non-blocking socket and poll(2) against one
 * deadline, so no step (connect, send, the answer) can outlast the
 * timeout. "Connection: close": the answer ends when the sidecar closes,
 * but only its status line is needed. */
#include "agones.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../sys/clock.h"

int agones_port_from_env(uint16_t *port, char *err, size_t err_cap)
{
    const char *v = getenv("AGONES_SDK_HTTP_PORT");
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    long p = strtol(v, &end, 10);
    if (errno || *end || p < 1 || p > 65535) {
        snprintf(err, err_cap, "AGONES_SDK_HTTP_PORT='%s': not a port (1 to 65535)", v);
        return -1;
    }
    *port = (uint16_t)p;
    return 1;
}

/* Waits until fd is ready for events or the deadline (ms, monotonic)
 * passes. Returns 0 when ready, -1 on timeout or error. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
    for (;;) {
        uint64_t now = clock_now_ms();
        if (now >= deadline)
            return -1;
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, (int)(deadline - now));
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

static int connect_local(const struct agones_sdk *s, uint64_t deadline, char *err,
                         size_t err_cap)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_cap, "agones sdk: socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(s->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (errno != EINPROGRESS)
            soerr = errno;
        else if (wait_fd(fd, POLLOUT, deadline) != 0)
            soerr = ETIMEDOUT;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
            soerr = errno;
    }
    if (soerr) {
        snprintf(err, err_cap, "agones sdk 127.0.0.1:%u: %s", s->port, strerror(soerr));
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *buf, size_t len, uint64_t deadline)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return -1;
        } else if (wait_fd(fd, POLLOUT, deadline) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Reads the whole answer (the sidecar closes after it) into buf, NUL
 * ended, cut at cap - 1 bytes. Returns its length or -1 on a timeout. */
static ssize_t read_answer(int fd, char *buf, size_t cap, uint64_t deadline)
{
    size_t used = 0;
    while (used < cap - 1) {
        ssize_t n = recv(fd, buf + used, cap - 1 - used, 0);
        if (n > 0)
            used += (size_t)n;
        else if (n == 0 || (errno != EAGAIN && errno != EINTR))
            break;
        else if (wait_fd(fd, POLLIN, deadline) != 0)
            return -1;
    }
    buf[used] = '\0';
    return (ssize_t)used;
}

int agones_request(const struct agones_sdk *s, const char *method, const char *path,
                   const char *body, char *answer, size_t answer_cap, char *err,
                   size_t err_cap)
{
    uint64_t deadline = clock_now_ms() + s->timeout_ms;
    int fd = connect_local(s, deadline, err, err_cap);
    if (fd < 0)
        return -1;
    /* HTTP/1.0: the answer is never chunked and ends when the sidecar closes. */
    char req[1024], resp[AGONES_ANSWER_MAX];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.0\r\nHost: localhost:%u\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, s->port, strlen(body), body);
    int status = -1;
    if (n < 0 || (size_t)n >= sizeof req)
        snprintf(err, err_cap, "agones sdk: %s %s: request too long", method, path);
    else if (send_all(fd, req, (size_t)n, deadline) != 0)
        snprintf(err, err_cap, "agones sdk: %s %s: cannot send", method, path);
    else if (read_answer(fd, resp, sizeof resp, deadline) < 0 ||
             sscanf(resp, "HTTP/1.%*1[01] %3d", &status) != 1 || status < 100)
        snprintf(err, err_cap, "agones sdk: %s %s: no HTTP answer within %u ms", method, path,
                 (unsigned)s->timeout_ms);
    close(fd);
    if (status >= 100 && answer) {
        const char *b = strstr(resp, "\r\n\r\n");
        snprintf(answer, answer_cap, "%s", b ? b + 4 : "");
    }
    return status < 100 ? -1 : status;
}

int agones_call(const struct agones_sdk *s, const char *method, const char *path,
                const char *body, char *err, size_t err_cap)
{
    return agones_request(s, method, path, body, NULL, 0, err, err_cap);
}

int agones_ready(const struct agones_sdk *s, char *err, size_t err_cap)
{
    return agones_call(s, "POST", "/ready", "{}", err, err_cap);
}

int agones_health(const struct agones_sdk *s, char *err, size_t err_cap)
{
    return agones_call(s, "POST", "/health", "{}", err, err_cap);
}

int agones_shutdown(const struct agones_sdk *s, char *err, size_t err_cap)
{
    return agones_call(s, "POST", "/shutdown", "{}", err, err_cap);
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Kubernetes label syntax (a key's name part, or a value). */
static bool label_text_valid(const char *t, bool may_be_empty)
{
    size_t n = strlen(t);
    if (n == 0)
        return may_be_empty;
    if (n > 63 || !is_alnum(t[0]) || !is_alnum(t[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(t[i]) && t[i] != '-' && t[i] != '_' && t[i] != '.')
            return false;
    return true;
}

int agones_label(const struct agones_sdk *s, const char *key, const char *value, char *err,
                 size_t err_cap)
{
    if (!label_text_valid(key, false) || !label_text_valid(value, true)) {
        snprintf(err, err_cap, "agones sdk: label '%s'='%s' is not a Kubernetes label", key,
                 value);
        return -1;
    }
    char body[200]; /* the label syntax needs no JSON escapes */
    snprintf(body, sizeof body, "{\"key\":\"%s\",\"value\":\"%s\"}", key, value);
    return agones_call(s, "PUT", "/metadata/label", body, err, err_cap);
}

/* The GameServer's status.address and the port named "default" (else the
 * first) in a GET /gameserver answer. */
static int parse_gameserver(const char *json, char *host, size_t host_cap, uint16_t *port)
{
    cJSON *gs = cJSON_Parse(json);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(gs, "status");
    const cJSON *addr = cJSON_GetObjectItemCaseSensitive(st, "address");
    const cJSON *ports = cJSON_GetObjectItemCaseSensitive(st, "ports");
    const cJSON *chosen = NULL, *p;
    cJSON_ArrayForEach(p, ports) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "name");
        if (!chosen || (cJSON_IsString(name) && strcmp(name->valuestring, "default") == 0))
            chosen = p;
    }
    const cJSON *num = cJSON_GetObjectItemCaseSensitive(chosen, "port");
    int rc = -1;
    if (cJSON_IsString(addr) && addr->valuestring[0] && strlen(addr->valuestring) < host_cap &&
        cJSON_IsNumber(num) && num->valuedouble >= 1 && num->valuedouble <= 65535) {
        snprintf(host, host_cap, "%s", addr->valuestring);
        *port = (uint16_t)num->valuedouble;
        rc = 0;
    }
    cJSON_Delete(gs);
    return rc;
}

int agones_gameserver_address(const struct agones_sdk *s, char *host, size_t host_cap,
                              uint16_t *port, char *err, size_t err_cap)
{
    char answer[AGONES_ANSWER_MAX];
    int st = agones_request(s, "GET", "/gameserver", "", answer, sizeof answer, err, err_cap);
    if (st < 0)
        return -1;
    if (st < 200 || st >= 300 || parse_gameserver(answer, host, host_cap, port) != 0) {
        snprintf(err, err_cap, "agones sdk: GET /gameserver (%d): no status.address and port "
                 "yet", st);
        return -1;
    }
    return 0;
}
