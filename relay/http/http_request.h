/* http_request.h: the relay's HTTP request reader, as pure functions: a
 * request head read from the caller's buffer (in the manner of
 * picohttpparser: bytes consumed, partial or malformed; nothing copied,
 * nothing allocated), what an upgrade or a body asks, and the answers'
 * heads. No I/O and no routes: the HTTP front (http_front.h) routes, the
 * edge that carries the connection reads and writes. */
#ifndef RICOCHET_HTTP_REQUEST_H
#define RICOCHET_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX 8192   /* a request head, the blank line included, at most */
#define HTTP_BODY_MAX 16384  /* a request's body (POST /rtc's SDP offer), at most */
#define HTTP_HEADERS_MAX 64  /* header lines in a head, at most */
#define HTTP_ANSWER_MAX 1024 /* an answer's head (or a whole error answer), at most */
#define HTTP_CORS_MAX 512    /* http_cors's header lines, at most */

/* http_parse's answers besides a head's length. */
#define HTTP_BAD (-1)        /* not an HTTP/1.x request head: 400 */
#define HTTP_PARTIAL (-2)    /* no end yet: read more */
#define HTTP_TOO_LONG (-3)   /* no end within HTTP_HEAD_MAX, or too many lines: 431 */

/* A slice of the caller's buffer (not NUL-terminated; len 0: absent). */
struct http_text {
    const char *p;
    size_t len;
};

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_OPTIONS, HTTP_OTHER };

/* What the relay reads of a request head. */
struct http_req {
    enum http_method method;
    struct http_text path;    /* the target up to '?' */
    int minor;                   /* HTTP/1.minor: 0 or 1 */
    struct http_text upgrade, connection, key, version;
    struct http_text content_type, authorization;
    struct http_text origin;  /* the page's origin (CORS), if the browser says it */
    bool has_length;             /* Content-Length given */
    bool chunked;                /* Transfer-Encoding given (refused) */
    uint64_t content_length;
    size_t head_len;             /* bytes of the head, its blank line included */
};

/* Parses the request head at buf[0..len) into *req: a request line
 * (METHOD SP TARGET SP HTTP/1.x), header lines (NAME ":" VALUE, the ones
 * above kept; a folded line, a NUL, a bare CR or a repeated header kept
 * is malformed), a blank line, each line ending in CRLF. Returns the
 * head's length (> 0), or HTTP_BAD, HTTP_PARTIAL, HTTP_TOO_LONG. */
int http_parse(const char *buf, size_t len, struct http_req *req);

/* Does the comma-separated value hold token (ASCII case ignored)? */
bool http_has_token(struct http_text value, const char *token);

/* Is the slice equal to s (ASCII case ignored)? */
bool http_text_is(struct http_text t, const char *s);

/* What a request gets. */
enum http_route_kind {
    HTTP_ROUTE_ERROR,    /* an error answer (status), then closed */
    HTTP_ROUTE_UPGRADE,  /* 101: the upgrade's handler takes the connection */
    HTTP_ROUTE_TAKEN,    /* a route's handler answers it (http_front.h) */
    HTTP_ROUTE_PREFLIGHT /* OPTIONS on a route read across origins: 204, a CORS preflight */
};

struct http_route; /* http_front.h */

struct http_verdict {
    enum http_route_kind route;
    int status;          /* HTTP status of the answer (101, 204, 4xx; 0: the handler's) */
    const struct http_route *taken; /* HTTP_ROUTE_TAKEN, PREFLIGHT: the route */
    const char *why;     /* HTTP_ROUTE_ERROR: one line for the answer's body */
    const char *allow;   /* 405: the methods the path takes */
};

/* An error verdict of status, why its one line. */
void http_refuse_verdict(struct http_verdict *v, int status, const char *why);

/* What an upgrade request (an Upgrade header: any path) gets: Upgrade
 * with the token websocket (else 400), GET (else 405), HTTP/1.1,
 * Connection with the token upgrade, Sec-WebSocket-Version 13 (else 426)
 * and a valid key (else 400); then HTTP_ROUTE_UPGRADE, 101. */
void http_upgrade_verdict(const struct http_req *req, struct http_verdict *v);

/* A Content-Type value's media type: up to its parameters. */
struct http_text http_media_type(struct http_text v);

/* Is path s, exactly (case counts)? */
bool http_path_is(struct http_text path, const char *s);

/* The 101 answer to an upgrade request (its Sec-WebSocket-Accept) into
 * out. Returns its length, or -1 (no valid key, or cap too small). */
int http_upgrade_answer(const struct http_req *req, char *out, size_t cap);

/* An answer's head into out: status line, Content-Type (NULL: none),
 * Content-Length (but for 204), Cache-Control: no-cache (unless extra has
 * a Cache-Control of its own), Connection: close, then extra header lines
 * (each ending in CRLF; NULL: none), then the blank line. Returns its
 * length, or -1 if it does not fit cap. */
int http_answer_head(int status, const char *type, size_t length, const char *extra, char *out,
                     size_t cap);

/* The CORS header lines (each ending in CRLF) of the answer to req into
 * out, for a route read across origins (the front asks for those only):
 * from an Origin that origins names (origins: a space-separated list,
 * ASCII case ignored; "*" any), its Access-Control-Allow-Origin (the
 * origin, and Vary: Origin; or "*"), and to a preflight (OPTIONS) the
 * methods and headers taken. Returns their length: 0 (out "") for any
 * other origin, or none. */
int http_cors(const struct http_req *req, const char *origins, char *out, size_t cap);

/* A whole error answer for verdict v (a one-line text body, and Allow or
 * Sec-WebSocket-Version where the status needs it, then the header lines
 * of more, each ending in CRLF; NULL: none) into out. Returns its length,
 * or -1 if it does not fit. */
int http_error_answer(const struct http_verdict *v, const char *more, char *out, size_t cap);

/* The reason phrase of status ("Not Found"). */
const char *http_reason(int status);

#endif
