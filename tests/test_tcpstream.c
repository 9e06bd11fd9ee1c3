/* test_tcpstream.c: the states `ricochet-netsim`'s IP mode finds in a TCP
 * stream's frames: frames cut across segments at any byte, each state named
 * once with the numbers its frame took (across the 2^32 wrap), retransmissions
 * and the old half of a segment adding nothing, a batch's states, a long
 * control message skipped, nothing named without a SYN, after a gap or an empty
 * frame; a WebSocket's frames after its HTTP head (either direction, masked or
 * not, each length form, fed whole and a byte at a time), its control frames
 * and fragments passed over, and a stream that only starts like a head read as
 * frames; HTTP polling's POSTs and the GETs' answers on keep-alive connections,
 * the states of each binary body named, a session's id and an error's words
 * passed over */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lab/netsim/tcpstream.h"
#include "proto/wire.h"

#define FRAME (2 + PROTO_STATE_SIZE)
#define MAX_FOUND 64

struct found {
    size_t n;
    uint32_t seq[MAX_FOUND], start[MAX_FOUND], end[MAX_FOUND];
};

static void on_found(void *ctx, const struct statescan_ref *ref, uint32_t start, uint32_t end)
{
    struct found *f = ctx;
    assert_true(f->n < MAX_FOUND);
    f->seq[f->n] = ref->seq;
    f->start[f->n] = start;
    f->end[f->n++] = end;
}

/* n frames of states seq first.. into buf; returns the bytes. */
static size_t frames(uint8_t *buf, uint32_t first, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct proto_state s = {.sender = 7, .seq = first + (uint32_t)i, .send_us = 1};
        buf[i * FRAME] = 0;
        buf[i * FRAME + 1] = PROTO_STATE_SIZE;
        assert_int_equal(proto_state_encode(buf + i * FRAME + 2, PROTO_STATE_SIZE, &s),
                         PROTO_STATE_SIZE);
    }
    return n * FRAME;
}

/* Feeds the segment [seq, seq + len) of a stream whose byte 0 is at isn + 1. */
static size_t feed(struct tcpstream *s, uint32_t isn, const uint8_t *bytes, uint32_t at,
                   size_t len, struct found *f)
{
    struct ippacket p = {.proto = IPPACKET_TCP, .ports = true, .seq = isn + 1 + at,
                         .flags = IPPACKET_ACK, .payload_len = len};
    return tcpstream_segment(s, &p, bytes + at, on_found, f);
}

static void syn(struct tcpstream *s, uint32_t isn)
{
    struct ippacket p = {.proto = IPPACKET_TCP, .ports = true, .seq = isn,
                         .flags = IPPACKET_SYN};
    assert_int_equal(tcpstream_segment(s, &p, NULL, on_found, NULL), 0);
}

static void across_segments_and_the_wrap(void **unused)
{
    (void)unused;
    static uint8_t bytes[10 * FRAME];
    static struct tcpstream s;
    struct found f = {0};
    uint32_t isn = 4294967000u; /* the numbers wrap within the stream */
    size_t len = frames(bytes, 100, 10);
    syn(&s, isn);
    /* cut at odd places: in a length, in a state, on a frame's edge */
    const size_t cuts[] = {1, 30, 42, 100, 101, 5 * FRAME};
    size_t at = 0;
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        feed(&s, isn, bytes, (uint32_t)at, cuts[i] - at, &f);
        at = cuts[i];
    }
    assert_int_equal(f.n, 5);
    /* a retransmission adds nothing; a segment half old, half new, its new half */
    assert_int_equal(feed(&s, isn, bytes, 30, 4 * FRAME, &f), 0);
    assert_int_equal(feed(&s, isn, bytes, 4 * FRAME - 10, 4 * FRAME, &f), 2);
    feed(&s, isn, bytes, 8 * FRAME - 10, len - (8 * FRAME - 10), &f);
    assert_int_equal(f.n, 10);
    for (uint32_t i = 0; i < 10; i++) {
        assert_int_equal(f.seq[i], 100 + i);
        assert_int_equal(f.start[i], (uint32_t)(isn + 1 + i * FRAME));
        assert_int_equal(f.end[i], (uint32_t)(isn + 1 + (i + 1) * FRAME));
    }
}

static void batches_and_long_messages(void **unused)
{
    (void)unused;
    static uint8_t bytes[4096];
    static struct tcpstream s;
    struct found f = {0};
    uint8_t st[PROTO_STATE_SIZE], batch[PROTO_BATCH_MAX];
    size_t used = PROTO_BATCH_HEADER, n = 0;
    proto_batch_begin(batch);
    for (uint32_t k = 1; k <= 3; k++) {
        struct proto_state s3 = {.sender = 2, .seq = k, .send_us = 1};
        proto_state_encode(st, sizeof st, &s3);
        assert_int_equal(proto_batch_add(batch, sizeof batch, &used, st, sizeof st), PROTO_OK);
    }
    bytes[n++] = (uint8_t)(used >> 8);
    bytes[n++] = (uint8_t)used;
    memcpy(bytes + n, batch, used);
    n += used;
    size_t control = 1500; /* longer than any state or batch: skipped, its length kept */
    bytes[n++] = (uint8_t)(control >> 8);
    bytes[n++] = (uint8_t)control;
    memset(bytes + n, '{', control);
    n += control;
    n += frames(bytes + n, 9, 1);
    syn(&s, 1000);
    feed(&s, 1000, bytes, 0, n, &f);
    assert_int_equal(f.n, 4);
    for (int i = 0; i < 3; i++) /* a batch's states share its frame's numbers */
        assert_int_equal(f.end[i], 1001 + 2 + used);
    assert_int_equal(f.seq[3], 9);
    assert_int_equal(f.end[3], 1001 + n);
}

static void nothing_named_when_lost(void **unused)
{
    (void)unused;
    static uint8_t bytes[4 * FRAME];
    static struct tcpstream s;
    struct found f = {0};
    frames(bytes, 1, 4);
    feed(&s, 0, bytes, 0, FRAME, &f); /* no SYN seen: where do frames start? */
    assert_int_equal(f.n, 0);
    syn(&s, 0);
    feed(&s, 0, bytes, 0, FRAME, &f);
    feed(&s, 0, bytes, 2 * FRAME, FRAME, &f); /* a gap: the second frame never crossed */
    feed(&s, 0, bytes, FRAME, 3 * FRAME, &f);
    assert_int_equal(f.n, 1);
    memset(&f, 0, sizeof f);
    syn(&s, 0); /* a new connection starts afresh; an empty frame is no frame */
    static const uint8_t empty[2] = {0, 0};
    feed(&s, 0, empty, 0, 2, &f);
    feed(&s, 0, bytes, 0, 0, &f);
    struct ippacket p = {.proto = IPPACKET_TCP, .ports = true, .seq = 3, .payload_len = FRAME};
    tcpstream_segment(&s, &p, bytes, on_found, &f);
    assert_int_equal(f.n, 0);
}

/* One WebSocket frame of payload[0..len) into buf (fin, opcode; masked with
 * key when key is not NULL; the length in its shortest form, or the 8-byte
 * one when long8). Returns the frame's bytes. */
static size_t ws_frame(uint8_t *buf, int fin, int opcode, const uint8_t *payload, size_t len,
                       const uint8_t *key, int long8)
{
    size_t n = 0;
    buf[n++] = (uint8_t)((fin ? 0x80 : 0) | opcode);
    uint8_t mask = key ? 0x80 : 0;
    if (long8) {
        buf[n++] = mask | 127;
        for (int i = 7; i >= 0; i--)
            buf[n++] = (uint8_t)((uint64_t)len >> (8 * i));
    } else if (len >= 126) {
        buf[n++] = mask | 126;
        buf[n++] = (uint8_t)(len >> 8);
        buf[n++] = (uint8_t)len;
    } else {
        buf[n++] = (uint8_t)(mask | len);
    }
    if (key) {
        memcpy(buf + n, key, 4);
        n += 4;
    }
    for (size_t i = 0; i < len; i++)
        buf[n + i] = payload[i] ^ (key ? key[i % 4] : 0);
    return n + len;
}

static size_t ws_state(uint8_t *buf, uint32_t seq, const uint8_t *key, int long8)
{
    uint8_t st[PROTO_STATE_SIZE];
    struct proto_state s = {.sender = 5, .seq = seq, .send_us = 1};
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    return ws_frame(buf, 1, 2, st, sizeof st, key, long8);
}

/* Both directions of a WebSocket: the client's upgrade and masked frames,
 * the relay's 101 and bare ones, fed a byte a segment and whole. */
static void websocket_frames_after_the_head(void **unused)
{
    (void)unused;
    static const char *const heads[] = {
        "GET /ws HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
    };
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    for (int dir = 0; dir < 2; dir++) {
        for (int bytewise = 0; bytewise < 2; bytewise++) {
            static uint8_t bytes[4096];
            static struct tcpstream s;
            struct found f = {0};
            const uint8_t *k = dir == 0 ? key : NULL;
            size_t n = strlen(heads[dir]);
            memcpy(bytes, heads[dir], n);
            size_t first = n;
            n += ws_state(bytes + n, 1, k, 0);
            n += ws_frame(bytes + n, 1, 9, (const uint8_t *)"ping", 4, k, 0); /* control */
            static const uint8_t half[3] = {1, 2, 3};
            n += ws_frame(bytes + n, 0, 2, half, sizeof half, k, 0); /* a fragment */
            n += ws_frame(bytes + n, 1, 0, half, sizeof half, k, 0);
            static uint8_t chat[300];
            memset(chat, '{', sizeof chat); /* a control message: 2-byte length form */
            n += ws_frame(bytes + n, 1, 1, chat, sizeof chat, k, 0);
            size_t third = n;
            n += ws_state(bytes + n, 2, k, 1); /* the 8-byte length form */
            n += ws_frame(bytes + n, 1, 2, NULL, 0, k, 0); /* empty */
            n += ws_state(bytes + n, 3, k, 0);
            syn(&s, 77);
            if (bytewise)
                for (size_t at = 0; at < n; at++)
                    feed(&s, 77, bytes, (uint32_t)at, 1, &f);
            else
                feed(&s, 77, bytes, 0, n, &f);
            assert_int_equal(f.n, 3);
            for (uint32_t i = 0; i < 3; i++)
                assert_int_equal(f.seq[i], i + 1);
            assert_int_equal(f.start[0], 78 + first);
            assert_int_equal(f.end[0], 78 + first + (k ? 6 : 2) + PROTO_STATE_SIZE);
            assert_int_equal(f.start[1], 78 + third);
            assert_int_equal(f.end[2], 78 + n);
        }
    }
}

/* Appends text to bytes at n; returns the new length. */
static size_t put(uint8_t *bytes, size_t n, const char *text)
{
    memcpy(bytes + n, text, strlen(text));
    return n + strlen(text);
}

/* HTTP polling's connections: the POSTs' (the join, whose answer is no
 * frame, then states in their bodies), the GETs' answers (states in some,
 * none in others), requests and answers one after another on a keep-alive
 * connection, each state named with the numbers its frame took; a body
 * that is not application/octet-stream (a session's id, an error's words)
 * is passed over whatever its bytes. */
static void http_polling_bodies(void **unused)
{
    (void)unused;
    static const char *const post = "POST /poll?s=0123 HTTP/1.1\r\nHost: relay:7781\r\n"
                                    "Content-Type: application/octet-stream\r\n"
                                    "Content-Length: %zu\r\n\r\n";
    static const char *const ok = "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream"
                                  "\r\nContent-Length:%zu\r\nCache-Control: no-store\r\n\r\n";
    for (int dir = 0; dir < 2; dir++) {
        for (int bytewise = 0; bytewise < 2; bytewise++) {
            static uint8_t bytes[8192];
            static struct tcpstream s;
            struct found f = {0};
            char head[256];
            size_t n = 0, at[3];
            if (dir == 0) { /* the client's POSTs: the join first, then two of states */
                n = put(bytes, n, "POST /poll HTTP/1.1\r\nHost: relay:7781\r\n"
                                  "Content-Length: 0\r\n\r\n");
                snprintf(head, sizeof head, post, (size_t)FRAME);
                n = put(bytes, n, head);
                at[0] = n;
                n += frames(bytes + n, 1, 1);
                snprintf(head, sizeof head, post, (size_t)(2 * FRAME));
                n = put(bytes, n, head);
                at[1] = n;
                n += frames(bytes + n, 2, 2);
                at[2] = at[1] + FRAME;
                n = put(bytes, n, "DELETE /poll?s=0123 HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
            } else { /* the relay's answers: an id (hex that reads as a length), frames,
                        nothing, frames, a refusal in words */
                n = put(bytes, n, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                  "Content-Length: 8\r\n\r\n00280028");
                snprintf(head, sizeof head, ok, (size_t)(2 * FRAME));
                n = put(bytes, n, head);
                at[0] = n;
                at[1] = n + FRAME;
                n += frames(bytes + n, 1, 2);
                n = put(bytes, n, "HTTP/1.1 204 No Content\r\n\r\n");
                snprintf(head, sizeof head, ok, (size_t)FRAME);
                n = put(bytes, n, head);
                at[2] = n;
                n += frames(bytes + n, 3, 1);
                n = put(bytes, n, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                                  "Content-Length: 2\r\n\r\n\x01\x2a");
            }
            syn(&s, 500);
            if (bytewise)
                for (size_t b = 0; b < n; b++)
                    feed(&s, 500, bytes, (uint32_t)b, 1, &f);
            else
                feed(&s, 500, bytes, 0, n, &f);
            assert_false(s.lost);
            assert_int_equal(s.framing, TCPSTREAM_HTTP_HEAD);
            assert_int_equal(f.n, 3);
            for (uint32_t i = 0; i < 3; i++) {
                assert_int_equal(f.seq[i], i + 1);
                assert_int_equal(f.start[i], 501 + at[i]);
                assert_int_equal(f.end[i], 501 + at[i] + FRAME);
            }
        }
    }
}

/* Bytes that only start like a head are 2-byte frames after all; a head
 * that never ends names nothing. */
static void framing_told_by_the_first_bytes(void **unused)
{
    (void)unused;
    static uint8_t bytes[16384];
    static struct tcpstream s;
    struct found f = {0};
    memcpy(bytes, "GEx", 3); /* a frame 'G' 'E' long (18245 bytes), not a head */
    syn(&s, 0);
    feed(&s, 0, bytes, 0, 2, &f);
    assert_int_equal(s.framing, TCPSTREAM_UNKNOWN); /* "GE" may still be one */
    feed(&s, 0, bytes, 2, 1, &f);
    assert_int_equal(s.framing, TCPSTREAM_FRAMES);
    assert_int_equal(s.len, 'G' << 8 | 'E');
    assert_int_equal(s.have, 3);
    assert_int_equal(s.frame_at, 1);
    memset(bytes, 'x', sizeof bytes);
    memcpy(bytes, "GET / HTTP/1.1\r\n", 16);
    syn(&s, 0);
    feed(&s, 0, bytes, 0, sizeof bytes, &f);
    assert_true(s.lost);
    assert_int_equal(f.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(across_segments_and_the_wrap),
        cmocka_unit_test(batches_and_long_messages),
        cmocka_unit_test(nothing_named_when_lost),
        cmocka_unit_test(websocket_frames_after_the_head),
        cmocka_unit_test(framing_told_by_the_first_bytes),
        cmocka_unit_test(http_polling_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
