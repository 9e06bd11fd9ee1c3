/* ws_http.h: the WebSocket edge's HTTP front, as pure functions: a
 * request head read from the caller's buffer (in the manner of
 * picohttpparser: bytes consumed, partial or malformed; nothing copied,
 * nothing allocated), what the relay does with it (docs/design.md,
 * "Browsers"), and the answers' heads. No I/O: the edge
 * (transport_ws_http.c) reads and writes. */
#ifndef RICOCHET_WS_HTTP_H
#define RICOCHET_WS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_HTTP_HEAD_MAX 8192   /* a request head, the blank line included, at most */
#define WS_HTTP_BODY_MAX 16384  /* a POST /rtc body (an SDP offer), at most */
#define WS_HTTP_HEADERS_MAX 64  /* header lines in a head, at most */
#define WS_HTTP_ANSWER_MAX 1024 /* an answer's head (or a whole error answer), at most */
#define WS_HTTP_CORS_MAX 512    /* ws_http_cors's header lines, at most */

/* ws_http_parse's answers besides a head's length. */
#define WS_HTTP_BAD (-1)        /* not an HTTP/1.x request head: 400 */
#define WS_HTTP_PARTIAL (-2)    /* no end yet: read more */
#define WS_HTTP_TOO_LONG (-3)   /* no end within WS_HTTP_HEAD_MAX, or too many lines: 431 */

/* A slice of the caller's buffer (not NUL-terminated; len 0: absent). */
struct ws_http_text {
    const char *p;
    size_t len;
};

enum ws_http_method { WS_HTTP_GET, WS_HTTP_HEAD, WS_HTTP_POST, WS_HTTP_OPTIONS, WS_HTTP_OTHER };

/* What the relay reads of a request head. */
struct ws_http_request {
    enum ws_http_method method;
    struct ws_http_text path;    /* the target up to '?' */
    int minor;                   /* HTTP/1.minor: 0 or 1 */
    struct ws_http_text upgrade, connection, key, version;
    struct ws_http_text content_type, authorization;
    struct ws_http_text origin;  /* the page's origin (CORS), if the browser says it */
    bool has_length;             /* Content-Length given */
    bool chunked;                /* Transfer-Encoding given (refused) */
    uint64_t content_length;
    size_t head_len;             /* bytes of the head, its blank line included */
};

/* Parses the request head at buf[0..len) into *req: a request line
 * (METHOD SP TARGET SP HTTP/1.x), header lines (NAME ":" VALUE, the ones
 * above kept; a folded line, a NUL, a bare CR or a repeated header kept
 * is malformed), a blank line, each line ending in CRLF. Returns the
 * head's length (> 0), or WS_HTTP_BAD, WS_HTTP_PARTIAL, WS_HTTP_TOO_LONG. */
int ws_http_parse(const char *buf, size_t len, struct ws_http_request *req);

/* Does the comma-separated value hold token (ASCII case ignored)? */
bool ws_http_has_token(struct ws_http_text value, const char *token);

/* Is the slice equal to s (ASCII case ignored)? */
bool ws_http_is(struct ws_http_text t, const char *s);

/* What a request gets. */
enum ws_http_route {
    WS_ROUTE_ERROR,    /* an error answer (status), then closed */
    WS_ROUTE_UPGRADE,  /* 101: a WebSocket from now on */
    WS_ROUTE_FILE,     /* 200: file number `file` of the table (HEAD: no body) */
    WS_ROUTE_RTC,      /* POST /rtc: an offer of content_length bytes follows */
    WS_ROUTE_REDIRECT, /* 302 to the play page (GET /); 204 for /favicon.ico */
    WS_ROUTE_WT,       /* GET /wt: where the relay's WebTransport sessions open */
    WS_ROUTE_PREFLIGHT /* OPTIONS /wt or /rtc: 204, a browser's CORS preflight */
};

struct ws_http_verdict {
    enum ws_http_route route;
    int status;          /* HTTP status of the answer (101, 200, 204, 302, 4xx) */
    int file;            /* WS_ROUTE_FILE: the index in files */
    const char *why;     /* WS_ROUTE_ERROR: one line for the answer's body */
    const char *allow;   /* 405: the methods the path takes */
};

/* The route of a parsed request; files: the paths served (NULL-ended).
 * An upgrade (Upgrade: websocket) on any path: GET, HTTP/1.1, Connection
 * with the token upgrade, Sec-WebSocket-Version 13 (else 426) and a valid
 * key (else 400; another method 405). A file: GET or HEAD (else 405).
 * /rtc: POST (else 405) with a Content-Length of at most WS_HTTP_BODY_MAX
 * (else 413; none 411), Content-Type application/sdp (else 415). /wt: GET
 * or HEAD (else 405). OPTIONS on /wt or /rtc: a preflight. GET /: a
 * redirect; GET /favicon.ico: 204. Anything else: 404. */
void ws_http_decide(const struct ws_http_request *req, const char *const *files,
                    struct ws_http_verdict *v);

/* The 101 answer to an upgrade request (its Sec-WebSocket-Accept) into
 * out. Returns its length, or -1 (no valid key, or cap too small). */
int ws_http_upgrade_answer(const struct ws_http_request *req, char *out, size_t cap);

/* An answer's head into out: status line, Content-Type (NULL: none),
 * Content-Length (but for 204), Cache-Control: no-cache (unless extra has
 * a Cache-Control of its own), Connection: close, then extra header lines
 * (each ending in CRLF; NULL: none), then the blank line. Returns its
 * length, or -1 if it does not fit cap. */
int ws_http_head(int status, const char *type, size_t length, const char *extra, char *out,
                 size_t cap);

/* The CORS header lines (each ending in CRLF) of the answer to req into
 * out: for /wt and /rtc, from an Origin that origins names (origins: a
 * space-separated list, ASCII case ignored; "*" any), its
 * Access-Control-Allow-Origin (the origin, and Vary: Origin; or "*"), and
 * to a preflight (OPTIONS) the methods and headers taken. Returns their
 * length: 0 (out "") for any other request, origin or path. */
int ws_http_cors(const struct ws_http_request *req, const char *origins, char *out, size_t cap);

/* A whole error answer for verdict v (a one-line text body, and Allow or
 * Sec-WebSocket-Version where the status needs it, then the header lines
 * of more, each ending in CRLF; NULL: none) into out. Returns its length,
 * or -1 if it does not fit. */
int ws_http_error_answer(const struct ws_http_verdict *v, const char *more, char *out,
                         size_t cap);

/* The reason phrase of status ("Not Found"). */
const char *ws_http_reason(int status);

#endif
