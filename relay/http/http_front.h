/* http_front.h: the relay's HTTP front: one table of routes for the
 * relay's web requests, whichever edge's connection carries them
 * (docs/design.md, "Browsers"). Edges register into it when they are
 * created: the pages (http_pages.c) GET /play and its files, the webrtc
 * edge POST /rtc, the quic edge GET /wt, the ws edge the upgrade, so that
 * no edge knows another. The edge that carries a connection (ws) hands
 * the front what it read (http_front_request) and writes what the front
 * and the route's handler answer through the connection's operations.
 *
 * The front declares the relay's two doors read across origins, /rtc and
 * /wt, itself: a relay without their edge answers them as one with it
 * would, up to the 404 that says the edge is missing, CORS lines and all. */
#ifndef RICOCHET_HTTP_FRONT_H
#define RICOCHET_HTTP_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/netaddr.h"
#include "http_request.h"

#define HTTP_ROUTES_MAX 16     /* routes in one front */
#define HTTP_SCRATCH (32u << 10) /* a handler's answer being written (an SDP, JSON) */
#define HTTP_PASS_MAX 1024     /* a ticket's pass in Authorization, bytes */

struct relay;
struct http_conn;

/* What the edge carrying a connection does for the front. */
struct http_conn_ops {
    /* Queues len bytes to the client; false if they could not be. */
    bool (*write)(struct http_conn *c, const void *bytes, size_t len);
    /* The connection ends once what is queued is written. */
    void (*close)(struct http_conn *c);
    /* Room for a request of len bytes in all (its body to come); false if
     * there is none. */
    bool (*room)(struct http_conn *c, size_t len);
};

/* A connection with a request, for the length of one call: its edge's
 * (carrier, slot) and what the front and the handlers need of it. */
struct http_conn {
    const struct http_conn_ops *ops;
    void *carrier;               /* the carrying edge's state */
    uint32_t slot;               /* ... and the connection's slot there */
    struct relay *relay;         /* the core: its counters, its tickets */
    const union netaddr *from;   /* the request's source address */
    uint64_t now_us;
    const char *cors;            /* set by the front: the answer's CORS lines ("": none) */
    char *scratch;               /* set by the front: HTTP_SCRATCH bytes for an answer */
};

/* A route's handler: req whole, its body (body_len = req->content_length
 * bytes; NULL without one) read. It answers through c (http_reply,
 * http_refuse) or, for the upgrade, takes the connection over through its
 * carrier. */
typedef void (*http_handler)(void *ctx, const struct http_req *req, const char *body,
                             struct http_conn *c);

/* A body a route takes: its media type, and why each refusal. */
struct http_body {
    const char *type;      /* the media type it must be (else 415) */
    const char *no_length; /* 411: no Content-Length, or chunked */
    const char *too_long;  /* 413: over HTTP_BODY_MAX */
    const char *wrong;     /* 415: empty, or of another type */
    const char *no_room;   /* 413: the connection has no room for it now */
};

/* A route: a path and the methods it takes. */
struct http_route {
    const char *path;          /* exact, case counts, no query */
    unsigned methods;          /* HTTP_METHOD(GET) | ...: the methods it takes */
    const char *why;           /* another method: 405 with this line and Allow; NULL:
                                  404, as an unknown path */
    bool cors;                 /* read across origins: the answers carry the CORS lines
                                  of --allow-origin, and OPTIONS is their preflight */
    const struct http_body *body; /* the body it takes (NULL: none is read) */
    const char *absent;        /* without a handler: 404 with this line */
};

#define HTTP_METHOD(m) (1u << HTTP_##m)

struct http_front;

/* A front whose cross-origin routes name the origins allowed (a
 * space-separated list, "*" any; NULL or "": none), with /rtc and /wt
 * declared and no handler yet. Returns NULL if out of memory. */
struct http_front *http_front_new(const char *allow_origin);
void http_front_free(struct http_front *f); /* NULL is fine */

/* Adds route r (copied; its strings must outlive the front), answered by
 * fn(ctx, ...). Returns 0, or -1 if the path is taken or the table full. */
int http_front_route(struct http_front *f, const struct http_route *r, http_handler fn,
                     void *ctx);

/* Serves the route the front declared for method on path (/rtc, /wt)
 * with fn(ctx, ...). Returns 0, or -1 if none is declared there or another
 * serves it already (the first edge to register keeps it). */
int http_front_serve(struct http_front *f, enum http_method method, const char *path,
                     http_handler fn, void *ctx);

/* The upgrade (an Upgrade: websocket request, on any path): fn, given the
 * connection, turns it into its carrier's own (ctx NULL, body NULL). An
 * edge registering it again changes nothing. */
void http_front_upgrade(struct http_front *f, http_handler fn);

/* What req gets, without I/O (v->taken: the route). */
void http_front_decide(const struct http_front *f, const struct http_req *req,
                       struct http_verdict *v);

/* The request read on c so far, buf[0..len): HTTP_PARTIAL while more is
 * to come (c's room grown for a body), else 0 once it is answered or
 * handed on (an error, a route's handler, the upgrade). */
int http_front_request(struct http_front *f, struct http_conn *c, const char *buf, size_t len);

/* Answers c: status, its Content-Type (NULL: none), the header lines of
 * extra (NULL: none) and c's CORS lines, then body (none to HEAD), then
 * the end of the connection. A status of 400 or more counts bad_http. */
void http_reply(struct http_conn *c, const struct http_req *req, int status, const char *type,
                const char *extra, const char *body, size_t len);

/* Answers c with v's error (or 302, 204) and a one-line body, then ends
 * it; 400 or more counts bad_http. */
void http_refuse(struct http_conn *c, const struct http_verdict *v);

/* The same, of status and why. */
void http_refuse_status(struct http_conn *c, int status, const char *why);

/* "Bearer PASS" into pass (NUL-terminated); "" for none. Returns false for
 * another scheme or a pass too long. */
bool http_bearer(struct http_text auth, char pass[HTTP_PASS_MAX + 1]);

#endif
