/* http_request.c: the relay's HTTP request heads read, and its answers'
 * heads written (see http_request.h). Only what a WebSocket upgrade, a
 * few static files and small bodies need (RFC 9112 and RFC 6455 §4.2.1),
 * read strictly: what is not understood is malformed, never guessed at.
 * Which route takes a request is http_front.c's. */
#include "http_request.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proto/websocket.h"

#define CONTENT_LENGTH_MAX 1000000000000ull /* more digits than this: malformed */

/* ---- reading ------------------------------------------------------------ */

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool http_text_is(struct http_text t, const char *s)
{
    size_t n = strlen(s);
    if (t.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(t.p[i]) != lower(s[i]))
            return false;
    return true;
}

bool http_has_token(struct http_text value, const char *token)
{
    size_t at = 0;
    while (at < value.len) {
        size_t end = at;
        while (end < value.len && value.p[end] != ',')
            end++;
        size_t a = at, b = end;
        while (a < b && (value.p[a] == ' ' || value.p[a] == '\t'))
            a++;
        while (b > a && (value.p[b - 1] == ' ' || value.p[b - 1] == '\t'))
            b--;
        if (http_text_is((struct http_text){value.p + a, b - a}, token))
            return true;
        at = end + 1;
    }
    return false;
}

/* RFC 9110's tchar: what a method or a header name is made of. */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The line at buf[at..len) up to its CRLF: its length (CRLF excluded), or
 * HTTP_PARTIAL if no CRLF yet, HTTP_BAD for a NUL, a bare CR or LF. */
static int line_at(const char *buf, size_t len, size_t at)
{
    for (size_t i = at; i < len; i++) {
        if (buf[i] == '\0' || buf[i] == '\n')
            return HTTP_BAD;
        if (buf[i] == '\r') {
            if (i + 1 == len)
                return HTTP_PARTIAL;
            return buf[i + 1] == '\n' ? (int)(i - at) : HTTP_BAD;
        }
    }
    return HTTP_PARTIAL;
}

/* METHOD SP TARGET SP HTTP/1.x */
static int request_line(const char *l, size_t n, struct http_req *req)
{
    size_t m = 0;
    while (m < n && is_tchar(l[m]))
        m++;
    if (m == 0 || m >= n || l[m] != ' ')
        return HTTP_BAD;
    /* methods are case-sensitive */
    req->method = m == 3 && memcmp(l, "GET", 3) == 0       ? HTTP_GET
                  : m == 4 && memcmp(l, "HEAD", 4) == 0    ? HTTP_HEAD
                  : m == 4 && memcmp(l, "POST", 4) == 0    ? HTTP_POST
                  : m == 7 && memcmp(l, "OPTIONS", 7) == 0 ? HTTP_OPTIONS
                                                           : HTTP_OTHER;
    size_t t = m + 1, e = t;
    while (e < n && l[e] > ' ' && l[e] < 0x7f)
        e++;
    if (e == t || l[t] != '/' || e >= n || l[e] != ' ')
        return HTTP_BAD;
    size_t q = t;
    while (q < e && l[q] != '?')
        q++;
    req->path = (struct http_text){l + t, q - t};
    const char *v = l + e + 1;
    if (n - e - 1 != 8 || memcmp(v, "HTTP/1.", 7) != 0 || (v[7] != '0' && v[7] != '1'))
        return HTTP_BAD;
    req->minor = v[7] - '0';
    return 0;
}

/* Content-Length: digits only. */
static int content_length(struct http_text v, struct http_req *req)
{
    uint64_t n = 0;
    if (v.len == 0 || req->has_length)
        return HTTP_BAD;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9' || n > CONTENT_LENGTH_MAX)
            return HTTP_BAD;
        n = n * 10 + (uint64_t)(v.p[i] - '0');
    }
    req->has_length = true;
    req->content_length = n;
    return 0;
}

/* NAME ":" OWS VALUE OWS; keeps the headers the relay reads, each once. */
static int header_line(const char *l, size_t n, struct http_req *req)
{
    size_t c = 0;
    while (c < n && is_tchar(l[c]))
        c++;
    if (c == 0 || c >= n || l[c] != ':')
        return HTTP_BAD; /* a folded line starts with a space: no name */
    struct http_text name = {l, c};
    size_t a = c + 1, b = n;
    while (a < b && (l[a] == ' ' || l[a] == '\t'))
        a++;
    while (b > a && (l[b - 1] == ' ' || l[b - 1] == '\t'))
        b--;
    for (size_t i = a; i < b; i++)
        if ((unsigned char)l[i] < ' ' && l[i] != '\t')
            return HTTP_BAD;
    struct http_text value = {l + a, b - a};
    static const char *const names[] = {"upgrade", "connection", "sec-websocket-key",
                                        "sec-websocket-version", "content-type",
                                        "authorization", "origin"};
    struct http_text *slot[] = {&req->upgrade, &req->connection, &req->key, &req->version,
                                   &req->content_type, &req->authorization, &req->origin};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (!http_text_is(name, names[k]))
            continue;
        if (slot[k]->p)
            return HTTP_BAD; /* given twice: which one counts is anyone's guess */
        *slot[k] = value; /* p set: present, even empty */
        return 0;
    }
    if (http_text_is(name, "content-length"))
        return content_length(value, req);
    if (http_text_is(name, "transfer-encoding"))
        req->chunked = true;
    return 0;
}

int http_parse(const char *buf, size_t len, struct http_req *req)
{
    memset(req, 0, sizeof *req);
    size_t at = 0;
    int lines = 0;
    for (;;) {
        int n = line_at(buf, len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX, at);
        if (n == HTTP_PARTIAL)
            return len >= HTTP_HEAD_MAX ? HTTP_TOO_LONG : HTTP_PARTIAL;
        if (n < 0)
            return n;
        if (n == 0 && lines > 0) {
            req->head_len = at + 2;
            return (int)req->head_len;
        }
        if (++lines > HTTP_HEADERS_MAX + 1)
            return HTTP_TOO_LONG;
        int rc = lines == 1 ? request_line(buf + at, (size_t)n, req)
                            : header_line(buf + at, (size_t)n, req);
        if (rc != 0)
            return rc;
        at += (size_t)n + 2;
    }
}

/* ---- what a request asks --------------------------------------------- */

void http_refuse_verdict(struct http_verdict *v, int status, const char *why)
{
    memset(v, 0, sizeof *v);
    v->route = HTTP_ROUTE_ERROR;
    v->status = status;
    v->why = why;
}

void http_upgrade_verdict(const struct http_req *req, struct http_verdict *v)
{
    memset(v, 0, sizeof *v);
    if (!http_has_token(req->upgrade, "websocket")) {
        http_refuse_verdict(v, 400, "only Upgrade: websocket is spoken here");
    } else if (req->method != HTTP_GET) {
        http_refuse_verdict(v, 405, "a WebSocket opens with GET");
        v->allow = "GET";
    } else if (req->minor != 1) {
        http_refuse_verdict(v, 400, "a WebSocket opens over HTTP/1.1");
    } else if (!http_has_token(req->connection, "upgrade")) {
        http_refuse_verdict(v, 400, "Connection must say Upgrade");
    } else if (!http_text_is(req->version, "13")) {
        http_refuse_verdict(v, 426, "Sec-WebSocket-Version must be 13");
    } else if (!proto_ws_key_valid(req->key.p, req->key.len)) {
        http_refuse_verdict(v, 400, "Sec-WebSocket-Key must be base64 of 16 bytes");
    } else {
        v->route = HTTP_ROUTE_UPGRADE;
        v->status = 101;
    }
}

struct http_text http_media_type(struct http_text v)
{
    size_t n = 0;
    while (n < v.len && v.p[n] != ';')
        n++;
    while (n > 0 && (v.p[n - 1] == ' ' || v.p[n - 1] == '\t'))
        n--;
    return (struct http_text){v.p, n};
}

bool http_path_is(struct http_text path, const char *s)
{
    return path.len == strlen(s) && memcmp(path.p, s, path.len) == 0; /* case counts */
}

/* ---- answers ------------------------------------------------------------ */

/* Does the space-separated list origins name origin (ASCII case ignored),
 * or hold "*" (then *any)? */
static bool origin_allowed(const char *origins, struct http_text origin, bool *any)
{
    *any = false;
    for (const char *p = origins ? origins : ""; *p;) {
        size_t n = strcspn(p, " ");
        if (n == 1 && *p == '*')
            return *any = true;
        bool same = n == origin.len;
        for (size_t i = 0; same && i < n; i++)
            same = lower(p[i]) == lower(origin.p[i]);
        if (same && n)
            return true;
        p += n;
        p += strspn(p, " ");
    }
    return false;
}

int http_cors(const struct http_req *req, const char *origins, char *out, size_t cap)
{
    bool any;
    if (cap)
        out[0] = '\0';
    if (!req->origin.len || !origin_allowed(origins, req->origin, &any))
        return 0;
    const char *preflight = req->method == HTTP_OPTIONS
                                ? "Access-Control-Allow-Methods: GET, HEAD, POST\r\n"
                                  "Access-Control-Allow-Headers: Content-Type, Authorization\r\n"
                                  "Access-Control-Max-Age: 600\r\n"
                                : "";
    int n = any ? snprintf(out, cap, "Access-Control-Allow-Origin: *\r\n%s", preflight)
                : snprintf(out, cap, "Access-Control-Allow-Origin: %.*s\r\nVary: Origin\r\n%s",
                           (int)req->origin.len, req->origin.p, preflight);
    if (n < 0 || (size_t)n >= cap) { /* an origin too long to name: none */
        if (cap)
            out[0] = '\0';
        return 0;
    }
    return n;
}

const char *http_reason(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 426: return "Upgrade Required";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

int http_upgrade_answer(const struct http_req *req, char *out, size_t cap)
{
    char accept[PROTO_WS_ACCEPT_LEN + 1];
    if (proto_ws_accept(req->key.p, req->key.len, accept) != 0)
        return -1;
    int n = snprintf(out, cap, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
    return n > 0 && (size_t)n < cap ? n : -1;
}

/* Does extra (header lines, each ending in CRLF; NULL: none) hold a
 * Cache-Control of its own? */
static bool has_cache_control(const char *extra)
{
    static const char name[] = "Cache-Control:";
    for (const char *line = extra; line && *line;) {
        if (strncasecmp(line, name, sizeof name - 1) == 0)
            return true;
        line = strstr(line, "\r\n");
        if (line)
            line += 2;
    }
    return false;
}

int http_answer_head(int status, const char *type, size_t length, const char *extra, char *out,
                     size_t cap)
{
    char size[48] = ""; /* a 204 has no length (RFC 9110 §8.6) */
    if (status != 204)
        snprintf(size, sizeof size, "Content-Length: %zu\r\n", length);
    int n = snprintf(out, cap, "HTTP/1.1 %d %s\r\n%s%s%s%s%sConnection: close\r\n%s\r\n", status,
                     http_reason(status), type ? "Content-Type: " : "", type ? type : "",
                     type ? "\r\n" : "", size,
                     has_cache_control(extra) ? "" : "Cache-Control: no-cache\r\n",
                     extra ? extra : "");
    return n > 0 && (size_t)n < cap ? n : -1;
}

int http_error_answer(const struct http_verdict *v, const char *more, char *out, size_t cap)
{
    char extra[96 + HTTP_CORS_MAX] = "", body[200];
    int len = snprintf(body, sizeof body, "%d %s: %s\n", v->status, http_reason(v->status),
                       v->why ? v->why : http_reason(v->status));
    if (v->status == 405 && v->allow)
        snprintf(extra, sizeof extra, "Allow: %s\r\n", v->allow);
    else if (v->status == 426)
        snprintf(extra, sizeof extra, "Sec-WebSocket-Version: %d\r\n", PROTO_WS_VERSION);
    else if (v->status == 302)
        snprintf(extra, sizeof extra, "Location: /play\r\n");
    if (more)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%s", more);
    if (v->status == 204) /* no body, nor its length */
        len = 0;
    int head = http_answer_head(v->status, len ? "text/plain; charset=utf-8" : NULL,
                                (size_t)len, extra, out, cap);
    if (head < 0 || (size_t)head + (size_t)len >= cap)
        return -1;
    memcpy(out + head, body, (size_t)len);
    out[head + len] = '\0';
    return head + len;
}
