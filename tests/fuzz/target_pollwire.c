/* target_pollwire.c: fuzzes what the HTTP polling edge reads without I/O
 * (relay/poll/poll_wire.c; see targets.h): a request's query
 * (poll_query_parse, and poll_query_of on a head http_parse read) and a
 * body's frames (poll_frames_count, poll_frames_fit).
 *
 * The first byte picks the frames' bound and an answer's cap; the rest is
 * a query, a request target's tail and a body at once. Checked: a query
 * taken names its session as its s= says (the id written back reads the
 * same, case aside) and waits at most POLL_WAIT_MAX_MS; one refused says
 * why; poll_query_of's text lies inside the head, up to the space before
 * the version; the frames counted are whole, each 1 to the bound, and
 * fit's bytes are whole frames, the first always, within the cap
 * otherwise. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "relay/http/http_request.h"
#include "relay/poll/poll_wire.h"
#include "targets.h"

/* The query: its verdict, and what it took read back the same. */
static void fuzz_pw_query(const char *q, size_t len)
{
    struct poll_query got;
    const char *why = NULL;
    int rc = poll_query_parse((struct http_text){q, len}, &got, &why);
    if (rc != 0) {
        FUZZ_CHECK(rc == -1 && why != NULL && why[0] != '\0');
        return;
    }
    FUZZ_CHECK(got.wait_ms <= POLL_WAIT_MAX_MS);
    char id[POLL_ID_LEN + 1], again[POLL_ID_LEN + 32 + 16];
    if (got.has_session) {
        poll_session_id(got.slot, got.secret, id);
        FUZZ_CHECK(strlen(id) == POLL_ID_LEN);
        /* the s= the query holds: the same digits, case aside */
        const char *s = NULL;
        for (size_t at = 0; at + 2 <= len && !s; at++)
            if ((at == 0 || q[at - 1] == '&') && memcmp(q + at, "s=", 2) == 0)
                s = q + at + 2;
        FUZZ_CHECK(s != NULL && s + POLL_ID_LEN <= q + len);
        FUZZ_CHECK(strncasecmp(s, id, POLL_ID_LEN) == 0);
        FUZZ_CHECK(s + POLL_ID_LEN == q + len || s[POLL_ID_LEN] == '&');
    }
    /* what it took, written as a client writes it, reads the same */
    int n = got.has_session ? snprintf(again, sizeof again, "wait=%u&s=%s",
                                       (unsigned)got.wait_ms, id)
                            : snprintf(again, sizeof again, "wait=%u", (unsigned)got.wait_ms);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof again);
    struct poll_query back;
    FUZZ_CHECK(poll_query_parse((struct http_text){again, (size_t)n}, &back, &why) == 0);
    FUZZ_CHECK(back.has_session == got.has_session && back.wait_ms == got.wait_ms);
    FUZZ_CHECK(!got.has_session ||
               (back.slot == got.slot && memcmp(back.secret, got.secret, sizeof got.secret) == 0));
}

/* The input as a request target's tail: GET /poll?<input> HTTP/1.1. */
static void fuzz_pw_head(const uint8_t *data, size_t size)
{
    static char head[HTTP_HEAD_MAX + 64];
    static const char pre[] = "GET /poll?", post[] = " HTTP/1.1\r\nHost: x\r\n\r\n";
    if (size + sizeof pre + sizeof post > sizeof head)
        return;
    size_t len = 0;
    memcpy(head, pre, sizeof pre - 1);
    len += sizeof pre - 1;
    memcpy(head + len, data, size);
    len += size;
    memcpy(head + len, post, sizeof post - 1);
    len += sizeof post - 1;
    struct http_req req;
    int n = http_parse(head, len, &req);
    if (n < 0)
        return;
    struct http_text q = poll_query_of(&req);
    if (!q.p)
        return;
    FUZZ_CHECK(q.p > head && q.p + q.len < head + (size_t)req.head_len);
    FUZZ_CHECK(q.p[-1] == '?' && q.p[q.len] == ' ' && memchr(q.p, ' ', q.len) == NULL);
    fuzz_pw_query(q.p, q.len);
}

/* The frames: counted whole within max, fit whole within cap. */
static void fuzz_pw_frames(const uint8_t *b, size_t len, size_t max, size_t cap)
{
    int count = poll_frames_count(b, len, max);
    size_t at = 0;
    int walked = 0;
    bool bad = false;
    while (at < len && !bad) {
        size_t frame = len - at >= 2 ? (size_t)b[at] << 8 | b[at + 1] : 0;
        if (len - at < 2 || frame == 0 || frame > max || len - at - 2 < frame)
            bad = true;
        else
            at += 2 + frame, walked++;
    }
    FUZZ_CHECK(count == (bad ? -1 : walked));
    size_t fit = poll_frames_fit(b, len, cap);
    FUZZ_CHECK(fit <= len);
    size_t first = len >= 2 ? 2 + ((size_t)b[0] << 8 | b[1]) : 0;
    if (first && first <= len)
        FUZZ_CHECK(fit >= first); /* the first frame always, whatever cap */
    else
        FUZZ_CHECK(fit == 0);
    at = 0;
    while (at < fit) {
        FUZZ_CHECK(fit - at >= 2);
        at += 2 + ((size_t)b[at] << 8 | b[at + 1]);
    }
    FUZZ_CHECK(at == fit); /* whole frames only */
    FUZZ_CHECK(fit <= cap || fit == first);
    if (count >= 0)
        FUZZ_CHECK(poll_frames_fit(b, len, SIZE_MAX) == len);
}

int fuzz_target_pollwire(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t pick = data[0];
    data++, size--;
    fuzz_pw_query((const char *)data, size);
    fuzz_pw_head(data, size);
    static const size_t maxes[] = {1, 16, 512, 1400, 65535};
    static const size_t caps[] = {0, 2, 64, 1024, POLL_ANSWER_MAX};
    fuzz_pw_frames(data, size, maxes[(pick & 7) % 5], caps[(pick >> 3 & 7) % 5]);
    return 0;
}
