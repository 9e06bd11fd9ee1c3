/* http.c: see http.h. The requests go through the HTTP client
 * (sys/http_client.h); here, what the tests add to it. */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include "sys/clock.h"
#include "sys/http_client.h"
#include "lab/harness/freeport.h"
#include "lab/harness/spawn.h"

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
    struct http_client_request req = {.endpoint = endpoint, .method = method, .path = path,
                                      .host = host ? host : "", .body = body,
                                      .timeout_ms = (unsigned)timeout_ms};
    struct http_client_answer a;
    char err[512];
    memset(out, 0, sizeof *out);
    if (http_client_send(&req, &a, err, sizeof err) != 0) {
        fprintf(stderr, "http: %s %s: %s\n", method, path, err);
        return -1;
    }
    *out = (struct http_response){.status = a.status, .headers = a.headers, .body = a.body,
                                  .len = a.len};
    return 0;
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

double http_sample(const char *text, const char *series)
{
    char want[256];
    snprintf(want, sizeof want, "\n%s ", series);
    const char *at = strstr(text, want);
    return at ? strtod(at + strlen(want), NULL) : -1;
}

double http_relay_loop_turns(const char *endpoint)
{
    uint64_t deadline = clock_now_ms() + 10000;
    for (;;) {
        struct http_response r;
        double turns = -1;
        if (http_request(endpoint, "GET", "/metrics", 2000, &r) == 0) {
            if (r.status == 200)
                turns = http_sample(r.body, "ricochet_loop_iteration_seconds_count");
            http_response_free(&r);
        }
        if (turns >= 0)
            return turns;
        if (clock_now_ms() >= deadline)
            fail_msg("%s/metrics: no loop_iteration count within 10 s", endpoint);
        clock_sleep_ms(100);
    }
}
