/* httpd.h: a small HTTP server for operators (metrics, probes, a page)
 * and for the pages of ricochet-lesson, on libmicrohttpd in one
 * internal thread of its own: every handler runs in that one thread, one
 * request at a time, so a handler may be the single reader of a triple
 * buffer (triple.h). A route answers GET and HEAD, or the one method it
 * names (PUT), whose body it takes whole up to its own bound (413 beyond;
 * a longer Content-Length is refused before its body is read); another method on a known path gets 405, unknown paths
 * 404. Connections are capped (count, per address, idle time), so a crowd
 * of clients costs the server only its own thread's time.
 *
 * Every server here is local, so before any route a request must name it:
 * its Host is "localhost" or, as an IP literal (IPv6 bracketed), the
 * address its connection came to, with a port or without. Any other Host
 * gets 421 (a page that DNS rebinding pointed here names itself), none
 * 400. */
#ifndef RICOCHET_HTTPD_H
#define RICOCHET_HTTPD_H

#include <stdbool.h>
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

/* What a request brought. */
struct httpd_request {
    const char *method;      /* "GET", "HEAD", or the route's */
    const char *body;        /* a route with a method: its whole body, NUL-terminated
                                (len bytes before the NUL); else NULL */
    size_t len;
    void *conn;              /* the server's, for httpd_arg */
};

/* The query string's argument name ("/state?lane=tcp": "tcp"), decoded;
 * NULL if absent. Valid during the handler's call. */
const char *httpd_arg(const struct httpd_request *req, const char *name);

/* The address the request came from (its connection's peer) into out;
 * false if unknown. Valid during the handler's call. */
bool httpd_peer(const struct httpd_request *req, union netaddr *out);

/* Called in the server's thread with the route's ctx. Leaving both bodies
 * NULL answers 500 (out of memory). */
typedef void (*httpd_handler)(void *ctx, const struct httpd_request *req,
                              struct httpd_reply *reply);

struct httpd_route {
    const char *path;       /* exact, "/metrics"; the query string is ignored */
    httpd_handler handler;
    const char *method;     /* NULL: GET and HEAD; else this method only, with a body */
    size_t body_max;        /* with a method: the longest body taken (longer: 413) */
};

/* Parses an --metrics value: "HOST:PORT", "[IPv6]:PORT", or a bare PORT,
 * which means 127.0.0.1 (loopback: exposing it is a choice). Returns 0, or
 * -1 with a one-line message in err. */
int httpd_parse_listen(const char *text, union netaddr *out, char *err, size_t err_cap);

/* Does a Host header's value name a server at local: "localhost" (any
 * case), or local's IP address as a literal (IPv6 bracketed), each with a
 * port or without (any port)? What every request must pass, before any
 * route (421 otherwise); pure, for the tests and the fuzz target. */
bool httpd_host_names(const char *value, const union netaddr *local);

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
