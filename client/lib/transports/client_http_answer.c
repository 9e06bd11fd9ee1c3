/* client_http_answer.c: libricochet's one reader of HTTP/1.1 answers, strict
 * and without I/O: a status line of HTTP/1.0 or 1.1, CRLF lines, at most
 * one Content-Length, no chunks, and whether the connection stays open.
 * Every transport that asks a relay over HTTP reads its answer here: the
 * polling transport (client_poll.c, whose rules are on top: PROTOCOL.md,
 * "HTTP polling"), the WebSocket upgrade (client_ws.c) and WebRTC's offer
 * (client_offer.c). What it does not take, the caller refuses rather than
 * guessing. */
#include "client_transports_internal.h"

#include <string.h>
#include <strings.h>

/* One header line [line, eol) (eol at its LF) into *a. Returns NULL, or
 * what is wrong with it. */
static const char *http_header(const char *line, const char *eol, struct client_http_answer *a)
{
    size_t n = (size_t)(eol - 1 - line);
    const char *colon = memchr(line, ':', n);
    if (!colon || colon == line)
        return "a header line without a name";
    size_t name_len = (size_t)(colon - line);
    const char *v = colon + 1;
    while (v < eol - 1 && (*v == ' ' || *v == '\t'))
        v++;
    size_t v_len = (size_t)(eol - 1 - v);
    if (name_len == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
        size_t value = 0;
        if (v_len == 0 || v_len > 7 || a->has_length)
            return "a bad Content-Length";
        for (size_t i = 0; i < v_len; i++) {
            if (v[i] < '0' || v[i] > '9')
                return "a bad Content-Length";
            value = value * 10 + (size_t)(v[i] - '0');
        }
        a->body_len = value;
        a->has_length = true;
    } else if (name_len == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0) {
        return "a body in chunks";
    } else if (name_len == 10 && strncasecmp(line, "Connection", 10) == 0) {
        if (v_len == 5 && strncasecmp(v, "close", 5) == 0)
            a->close = true;
        else if (v_len == 10 && strncasecmp(v, "keep-alive", 10) == 0)
            a->close = false;
    }
    return NULL;
}

/* The status line of a whole head p[0..head_len) into *a. Returns NULL, or
 * what is wrong with it. */
static const char *http_status(const char *p, size_t head_len, struct client_http_answer *a)
{
    if (head_len < 16 || (p[7] != '0' && p[7] != '1') || p[8] != ' ' || p[9] < '1' ||
        p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
        (p[12] != ' ' && p[12] != '\r'))
        return "a bad status line";
    *a = (struct client_http_answer){.status = (p[9] - '0') * 100 + (p[10] - '0') * 10 +
                                               (p[11] - '0'),
                                     .head_len = head_len, .close = p[7] == '0'};
    const char *eol = memchr(p, '\n', head_len);
    return eol[-1] == '\r' ? NULL : "a status line not ended by CRLF";
}

int client_http_head_parse(const uint8_t *buf, size_t len, size_t head_max,
                           struct client_http_answer *a, const char **why)
{
    const char *p = (const char *)buf;
    const uint8_t *end = len >= 4 ? memmem(buf, len, "\r\n\r\n", 4) : NULL;
    size_t head_len = end ? (size_t)(end - buf) + 4 : 0;
    if ((!end && len > head_max) || head_len > head_max) {
        *why = "a head too long";
        return -1;
    }
    if (!end)
        return 0;
    if (head_len < 7 || memcmp(p, "HTTP/1.", 7) != 0) {
        *why = "not HTTP";
        return -1;
    }
    if ((*why = http_status(p, head_len, a)))
        return -1;
    const char *line = (const char *)memchr(p, '\n', head_len) + 1;
    while (line < p + head_len - 2) {
        const char *eol = memchr(line, '\n', (size_t)(p + head_len - line));
        if (!eol || eol == line || eol[-1] != '\r') {
            *why = "a header line not ended by CRLF";
            return -1;
        }
        if ((*why = http_header(line, eol, a)))
            return -1;
        line = eol + 1;
    }
    return 1;
}

void client_http_header(const char *head, size_t head_len, const char *name, char *out,
                        size_t cap)
{
    size_t n = strlen(name);
    out[0] = '\0';
    for (const char *l = head; l < head + head_len;) {
        const char *end = memmem(l, (size_t)(head + head_len - l), "\r\n", 2);
        if (!end)
            return;
        if ((size_t)(end - l) > n && l[n] == ':' && strncasecmp(l, name, n) == 0) {
            const char *v = l + n + 1;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            size_t k = (size_t)(end - v) < cap - 1 ? (size_t)(end - v) : cap - 1;
            memcpy(out, v, k);
            while (k > 0 && (out[k - 1] == ' ' || out[k - 1] == '\t'))
                k--;
            out[k] = '\0';
            return;
        }
        l = end + 2;
    }
}

int client_poll_answer_parse(const uint8_t *buf, size_t len, struct client_http_answer *a,
                             const char **why)
{
    int whole = client_http_head_parse(buf, len, CLIENT_POLL_HEAD_MAX, a, why);
    if (whole <= 0)
        return whole;
    if (!a->has_length && a->status != 204 && a->status != 304) {
        *why = "no Content-Length";
        return -1;
    }
    if (a->body_len > CLIENT_POLL_BODY_MAX) {
        *why = "a body over the bound";
        return -1;
    }
    return len >= a->head_len + a->body_len ? 1 : 0;
}
