/* http.h: HTTP requests for tests, through the project's HTTP client
 * (sys/http_client.h: HTTP/1.0, one TCP connection, every wait bounded),
 * with a test's conveniences. For the relay's --metrics endpoint and for
 * the real servers the tests start (Prometheus' query API). */
#ifndef RICOCHET_TEST_HTTP_H
#define RICOCHET_TEST_HTTP_H

#include <stddef.h>

struct http_response {
    int status;    /* 200, 404, ... */
    char *headers; /* the header lines as received, NUL-terminated */
    char *body;    /* NUL-terminated (len bytes before the NUL) */
    size_t len;
};

/* Sends "METHOD path HTTP/1.0" to endpoint ("127.0.0.1:PORT") and reads the
 * whole answer within timeout_ms. Returns 0, or -1 (why on stderr; out
 * zeroed). */
int http_request(const char *endpoint, const char *method, const char *path, int timeout_ms,
                 struct http_response *out);

/* http_request with a body (JSON; NULL: none) after the head, with its
 * Content-Length. */
int http_send(const char *endpoint, const char *method, const char *path, const char *body,
              int timeout_ms, struct http_response *out);

/* http_send naming host in the Host header instead of endpoint (NULL:
 * no Host header), as a browser would after a DNS rebinding. */
int http_send_host(const char *endpoint, const char *host, const char *method, const char *path,
                   const char *body, int timeout_ms, struct http_response *out);

/* http_request with GET and a 5 s timeout; fails the test (cmocka) unless
 * the answer came. */
struct http_response http_get(const char *endpoint, const char *path);

/* The value of header name (case-insensitive) into buf; NULL if absent. */
const char *http_header(const struct http_response *r, const char *name, char *buf,
                        size_t cap);

void http_response_free(struct http_response *r);

struct spawn_proc;

/* Waits up to 10 s for p's "metrics on http://ADDR/" line on stderr (the
 * relay's and netsim's --metrics) and copies ADDR ("127.0.0.1:PORT") into
 * out. Fails the test (cmocka) if none came. */
void http_wait_endpoint(struct spawn_proc *p, char *out, size_t cap);

/* The value of the sample line that starts with `series ` in a metrics
 * page's text (Prometheus' text format); -1 if there is none. */
double http_sample(const char *text, const char *series);

/* The relay's loop turns so far, from its /metrics at endpoint, asked
 * again for up to 10 s (a relay out of descriptors takes no connection
 * until it has one). Fails the test (cmocka) if no answer says it. What a
 * test bounds instead of CPU time: a spinning loop turns thousands of
 * times a second, an idle one a few dozen, however busy the machine. */
double http_relay_loop_turns(const char *endpoint);

/* A TCP port on 127.0.0.1 free a moment ago, for a server a test starts
 * (Prometheus). Fails the test if none. */
int http_free_port(void);

/* Percent-encodes s for a query string into buf. Returns buf. */
const char *http_query_escape(const char *s, char *buf, size_t cap);

#endif
