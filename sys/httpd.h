/* httpd.h: a small HTTP server for operators (metrics, probes, a page),
 * on libmicrohttpd in one internal thread of its own: every handler runs
 * in that one thread, one request at a time, so a handler may be the
 * single reader of a triple buffer (triple.h). GET and HEAD only; other
 * methods get 405, unknown paths 404. Connections are capped (count, per
 * address, idle time), so a crowd of clients costs the server only its
 * own thread's time. */
#ifndef RICOCHET_HTTPD_H
#define RICOCHET_HTTPD_H

#include <stddef.h>

#include "netaddr.h"

/* What a handler answers. The server sets status 200 and body NULL first. */
struct httpd_reply {
    unsigned status;
    const char *content_type;
    char *body;              /* malloc'd; the server frees it */
    size_t len;
    const char *static_body; /* or this, never freed (len bytes) */
};

/* Called in the server's thread with the route's ctx. Leaving both bodies
 * NULL answers 500 (out of memory). */
typedef void (*httpd_handler)(void *ctx, struct httpd_reply *reply);

struct httpd_route {
    const char *path; /* exact, "/metrics"; the query string is ignored */
    httpd_handler handler;
};

/* Parses an --metrics value: "HOST:PORT", "[IPv6]:PORT", or a bare PORT,
 * which means 127.0.0.1 (loopback: exposing it is a choice). Returns 0, or
 * -1 with a one-line message in err. */
int httpd_parse_listen(const char *text, union netaddr *out, char *err, size_t err_cap);

struct httpd;

/* Binds addr (port 0: a free one) and starts the server's thread with
 * routes (ending with {0}, kept by reference) and ctx for every handler.
 * Returns NULL with a one-line message in err. */
struct httpd *httpd_start(const union netaddr *addr, const struct httpd_route *routes,
                          void *ctx, char *err, size_t err_cap);

/* "ip:port" bound (the real port when 0 was asked). */
const char *httpd_address(const struct httpd *h);

/* Stops the thread, closes every connection, frees. NULL is fine. */
void httpd_stop(struct httpd *h);

#endif
