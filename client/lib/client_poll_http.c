/* client_poll_http.c: HTTP/1.1's answers as the client's polling transport
 * (client_poll.c) reads them, strictly and without I/O: a status line of
 * HTTP/1.0 or 1.1, CRLF lines, a Content-Length (none only for 204 and
 * 304), no chunks, and whether the connection stays open; anything else
 * is no answer of the relay's polling edge (PROTOCOL.md, "HTTP polling"),
 * so the session ends rather than guessing. */
#include "client_internal.h"

#include <string.h>
#include <strings.h>

/* One header line [line, eol) (eol at its LF) into *a. Returns NULL, or
 * what is wrong with it. */
static const char *poll_header(const char *line, const char *eol, struct client_poll_answer *a,
                               bool *has_length)
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
        if (v_len == 0 || v_len > 7 || *has_length)
            return "a bad Content-Length";
        for (size_t i = 0; i < v_len; i++) {
            if (v[i] < '0' || v[i] > '9')
                return "a bad Content-Length";
            value = value * 10 + (size_t)(v[i] - '0');
        }
        a->body_len = value;
        *has_length = true;
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

int client_poll_answer_parse(const uint8_t *buf, size_t len, struct client_poll_answer *a,
                             const char **why)
{
    const char *p = (const char *)buf;
    if (len >= 9 && memcmp(p, "HTTP/1.", 7) != 0) {
        *why = "not HTTP";
        return -1;
    }
    const uint8_t *end = len >= 4 ? memmem(buf, len, "\r\n\r\n", 4) : NULL;
    if (!end) {
        if (len > CLIENT_POLL_HEAD_MAX) {
            *why = "a head over 8 KiB";
            return -1;
        }
        return 0;
    }
    size_t head_len = (size_t)(end - buf) + 4;
    if (head_len > CLIENT_POLL_HEAD_MAX || head_len < 16 || (p[7] != '0' && p[7] != '1') ||
        p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' ||
        p[11] < '0' || p[11] > '9' || (p[12] != ' ' && p[12] != '\r')) {
        *why = "a bad status line";
        return -1;
    }
    *a = (struct client_poll_answer){.status = (p[9] - '0') * 100 + (p[10] - '0') * 10 +
                                               (p[11] - '0'),
                                     .head_len = head_len, .close = p[7] == '0'};
    bool has_length = false;
    const char *line = memchr(p, '\n', head_len);
    if (line[-1] != '\r') {
        *why = "a status line not ended by CRLF";
        return -1;
    }
    line++;
    while (line < p + head_len - 2) {
        const char *eol = memchr(line, '\n', (size_t)(p + head_len - line));
        if (!eol || eol == line || eol[-1] != '\r') {
            *why = "a header line not ended by CRLF";
            return -1;
        }
        const char *wrong = poll_header(line, eol, a, &has_length);
        if (wrong) {
            *why = wrong;
            return -1;
        }
        line = eol + 1;
    }
    if (!has_length && a->status != 204 && a->status != 304) {
        *why = "no Content-Length";
        return -1;
    }
    if (a->body_len > CLIENT_POLL_BODY_MAX) {
        *why = "a body over the bound";
        return -1;
    }
    return len >= head_len + a->body_len ? 1 : 0;
}
