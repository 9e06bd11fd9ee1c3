/* client_ws.c: the client library over one WebSocket (PROTO_MODE_WS; see
 * client_internal.h), to a relay's ws edge: the way a browser reaches the
 * relay, spoken by a program.
 *
 * socket, connect (without waiting: the session polls for it), then the
 * opening handshake of RFC 6455: a GET with Upgrade: websocket and a key
 * of 16 random bytes, answered 101 with the key's Sec-WebSocket-Accept
 * (proto/websocket.c); anything else ends the session (refused). From
 * then on every message both ways is one binary WebSocket message, as a
 * datagram would carry it (PROTOCOL.md, "WebSocket"), framed by wslay's
 * event API as a client (each frame masked with 4 random bytes from
 * libsodium). The join goes out once the upgrade is answered, once, and
 * the connection's end is the session's: a close frame from the relay
 * ends it with the relay's error before it if one came, else with the
 * close's code and reason; the relay's silence for the timeout ends it too
 * (client_stream_heard_lately); closing is leaving (a close frame, 1000).
 * wslay reads every whole message there is in one call: they wait in a
 * buffer of ours, read no further until it is empty, and are handed out
 * one per step (a batch's states one per step too). */
#include "client_transports_internal.h"
#include "client_stream_internal.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>
#include <wslay/wslay.h>

#include "proto/websocket.h"
#include "sys/clock.h"
#include "sys/log.h"

#define WS_HEAD_MAX 4096             /* the relay's answer to the upgrade, at most */
#define WS_MSG_MAX 65535             /* the longest message a relay sends */
#define WS_READ_MAX (64 * 1024)      /* bytes read per step, at most */
#define WS_OUT_MAX (256 * 1024)      /* bytes waiting for the kernel, at most */
#define WS_FRAME_HEAD 14             /* a client frame's head, at most */

enum ws_stage { WS_CONNECTING, WS_UPGRADING, WS_OPEN };

struct client_ws {
    struct client_stream s;      /* first (client_stream_op_*): the connection, its queue */
    enum ws_stage stage;
    char key[PROTO_WS_KEY_LEN + 1];
    wslay_event_context_ptr ctx;
    char head[WS_HEAD_MAX];      /* the answer to the upgrade; then what came after it */
    size_t head_len, head_at;    /* head_at: handed to wslay up to here */
    size_t read_left;            /* bytes this step may still read */
    bool eof;                    /* the socket ended or failed */
    uint16_t close_code;         /* the relay's close (0: none yet) */
    char close_reason[124];
    uint8_t *in;                 /* whole messages, each a 4-byte length then its bytes */
    size_t in_len, in_at, in_cap;
    struct client_batch batch;   /* a batch in in[], being handed out */
    uint64_t requests, head_bytes; /* the upgrade asked (one), its head's and its answer's
                                      bytes: what HTTP cost the socket, once */
};

/* ---- wslay's callbacks (a client context) ----------------------------------- */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user)
{
    (void)flags;
    struct ricochet *c = user;
    struct client_ws *t = c->tp;
    if (t->head_at < t->head_len) { /* what came with the answer to the upgrade */
        size_t n = t->head_len - t->head_at < len ? t->head_len - t->head_at : len;
        memcpy(buf, t->head + t->head_at, n);
        t->head_at += n;
        return (ssize_t)n;
    }
    if (t->read_left == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    ssize_t n = recv(t->s.fd, buf, len < t->read_left ? len : t->read_left, MSG_DONTWAIT);
    if (n > 0) {
        t->read_left -= (size_t)n;
        c->wire.bytes_received += (uint64_t)n;
        return n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    t->eof = true;
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    (void)flags;
    struct ricochet *c = user;
    struct client_ws *t = c->tp;
    if (client_stream_queue(&t->s, data, len) != 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

static int on_mask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
    (void)ctx, (void)user;
    randombytes_buf(buf, len);
    return 0;
}

/* A whole message: queued for the steps to hand out; the relay's close
 * noted. */
static void on_message(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                       void *user)
{
    (void)ctx;
    struct ricochet *c = user;
    struct client_ws *t = c->tp;
    if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
        t->close_code = arg->status_code ? arg->status_code : 1005;
        size_t n = arg->msg_length > 2 ? arg->msg_length - 2 : 0;
        n = n < sizeof t->close_reason - 1 ? n : sizeof t->close_reason - 1;
        memcpy(t->close_reason, arg->msg + (n ? 2 : 0), n);
        t->close_reason[n] = '\0';
        return;
    }
    if (arg->opcode != WSLAY_TEXT_FRAME && arg->opcode != WSLAY_BINARY_FRAME)
        return;
    if (client_reserve(&t->in, &t->in_cap, t->in_len + 4 + arg->msg_length) != 0) {
        client_bad_message(c, "no memory for a message", PROTO_E_VALUE);
        return;
    }
    uint32_t len = (uint32_t)arg->msg_length;
    memcpy(t->in + t->in_len, &len, 4);
    memcpy(t->in + t->in_len + 4, arg->msg, len);
    t->in_len += 4 + len;
    c->wire.dgrams_received++;
}

static const struct wslay_event_callbacks callbacks = {
    .recv_callback = on_recv,
    .send_callback = on_send,
    .genmask_callback = on_mask,
    .on_msg_recv_callback = on_message,
};

/* ---- the opening handshake -------------------------------------------------- */

static int ws_open(struct ricochet *c, const struct client_config *cfg, char *err,
                   size_t err_cap)
{
    (void)cfg;
    struct client_ws *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "client: out of memory");
        return -1;
    }
    c->tp = t;
    return client_stream_open(c, &t->s, err, err_cap); /* the join once upgraded */
}

/* Closing the connection is leaving: a close frame (1000) after what
 * waits, then the end of our side. */
static void ws_close(struct ricochet *c)
{
    struct client_ws *t = c->tp;
    if (!t)
        return;
    if (t->s.fd >= 0 && t->ctx && wslay_event_queue_close(t->ctx, PROTO_WS_CLOSE_NORMAL,
                                                          NULL, 0) == 0)
        wslay_event_send(t->ctx);
    client_stream_close(c, &t->s, t->stage != WS_CONNECTING);
    wslay_event_context_free(t->ctx);
    free(t->in);
    free(t);
    c->tp = NULL;
}

/* The upgrade request: GET / with a fresh key. */
static int ws_request(struct ricochet *c)
{
    struct client_ws *t = c->tp;
    uint8_t nonce[16];
    randombytes_buf(nonce, sizeof nonce);
    sodium_bin2base64(t->key, sizeof t->key, nonce, sizeof nonce,
                      sodium_base64_VARIANT_ORIGINAL);
    char host[NETADDR_STR_MAX], req[512];
    int n = snprintf(req, sizeof req,
                     "GET " PROTO_WS_PATH " HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: %d\r\n\r\n",
                     netaddr_format(&c->relay, host, sizeof host), t->key, PROTO_WS_VERSION);
    if (n <= 0 || (size_t)n >= sizeof req || client_stream_queue(&t->s, req, (size_t)n) != 0)
        return -1;
    t->requests++;
    t->head_bytes += (uint64_t)n;
    return client_stream_push(c, &t->s);
}

/* Connecting: waits at most wait_ms for the TCP handshake, then asks for
 * the upgrade. */
static void ws_connecting(struct ricochet *c, int wait_ms)
{
    struct client_ws *t = c->tp;
    if (client_stream_connected(c, &t->s, wait_ms) <= 0)
        return;
    t->stage = WS_UPGRADING;
    if (ws_request(c) != 0)
        client_go_dead(c, RICOCHET_END_SOCKET, "could not ask the relay for a WebSocket");
}

/* The answer to the upgrade, once whole: 101 with the key's accept. Returns
 * NULL, or what is wrong with it. */
static const char *ws_answer_wrong(struct client_ws *t, const struct client_http_answer *a)
{
    char want[PROTO_WS_ACCEPT_LEN + 1], v[128];
    if (a->status != 101)
        return "it answered the upgrade without 101";
    client_http_header(t->head, a->head_len, "Upgrade", v, sizeof v);
    if (strcasecmp(v, "websocket") != 0)
        return "its answer has no Upgrade: websocket";
    client_http_header(t->head, a->head_len, "Sec-WebSocket-Accept", v, sizeof v);
    if (proto_ws_accept(t->key, strlen(t->key), want) != 0 || strcmp(v, want) != 0)
        return "its Sec-WebSocket-Accept is not our key's";
    return NULL;
}

/* Upgrading: reads the relay's answer; a 101 that holds makes the
 * WebSocket and sends the join. */
static void ws_upgrading(struct ricochet *c, int wait_ms)
{
    struct client_ws *t = c->tp;
    struct pollfd p = {.fd = t->s.fd, .events = POLLIN};
    if (t->s.out_len)
        client_stream_push(c, &t->s);
    if (poll(&p, 1, wait_ms < 100 ? wait_ms : 100) <= 0)
        return;
    ssize_t n = recv(t->s.fd, t->head + t->head_len, sizeof t->head - t->head_len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    char addr[NETADDR_STR_MAX], text[PROTO_TEXT_MAX + 1];
    netaddr_format(&c->relay, addr, sizeof addr);
    if (n <= 0) {
        snprintf(text, sizeof text, "%s closed the connection before a WebSocket: no ws edge "
                 "there (a tcp edge, say); connect to the relay's ws edge", addr);
        client_go_dead(c, RICOCHET_END_REFUSED, text);
        return;
    }
    t->head_len += (size_t)n;
    c->wire.bytes_received += (uint64_t)n;
    struct client_http_answer a;
    const char *wrong = NULL;
    int whole = client_http_head_parse((const uint8_t *)t->head, t->head_len,
                                       sizeof t->head - 1, &a, &wrong);
    if (whole == 0)
        return;
    if (whole > 0)
        wrong = ws_answer_wrong(t, &a);
    size_t head_len = whole > 0 ? a.head_len : t->head_len;
    if (wrong) {
        char first[61]; /* the answer's first line, printable characters only */
        size_t k = 0;
        for (size_t i = 0; i < head_len && k < sizeof first - 1 && t->head[i] != '\r'; i++)
            if (t->head[i] >= ' ' && t->head[i] < 0x7f)
                first[k++] = t->head[i];
        first[k] = '\0';
        snprintf(text, sizeof text, "no WebSocket at %s: %s (%s)", addr, wrong, first);
        client_go_dead(c, RICOCHET_END_REFUSED, text);
        return;
    }
    if (wslay_event_context_client_init(&t->ctx, &callbacks, c) != 0) {
        client_go_dead(c, RICOCHET_END_SOCKET, "out of memory");
        return;
    }
    wslay_event_config_set_max_recv_msg_length(t->ctx, WS_MSG_MAX);
    t->head_at = head_len; /* what came after the head: wslay's first bytes */
    t->head_bytes += head_len;
    t->stage = WS_OPEN;
    client_join_now(c);
}

/* The stream's counters, and its one HTTP request: the upgrade. */
static void ws_netinfo(const struct ricochet *c, struct client_netinfo *info)
{
    const struct client_ws *t = c->tp;
    client_stream_op_netinfo(c, info);
    if (t) {
        info->http_requests = t->requests;
        info->http_head_bytes = t->head_bytes;
    }
}

/* ---- once open ------------------------------------------------------------- */

/* The next queued message handed to the session. Returns 1 with *ev, 0
 * after one that made no event, -1 if none is queued. */
static int ws_next(struct ricochet *c, struct ricochet_event *ev)
{
    struct client_ws *t = c->tp;
    if (t->in_at >= t->in_len)
        return -1;
    uint32_t len;
    memcpy(&len, t->in + t->in_at, 4);
    const uint8_t *msg = t->in + t->in_at + 4;
    t->in_at += 4 + len;
    return client_receive_arrived(c, &t->batch, msg, len, PROTO_CHANNEL_WEBSOCKET, 0,
                                  clock_now_us(), ev);
}

/* The WebSocket ended (the relay's close, the end of the stream, frames
 * wslay refused): the session with it. */
static void ws_ended(struct ricochet *c)
{
    struct client_ws *t = c->tp;
    char text[PROTO_TEXT_MAX + 1];
    if (t->close_code)
        snprintf(text, sizeof text, "the relay closed the WebSocket: %u%s%s",
                 (unsigned)t->close_code, t->close_reason[0] ? " " : "", t->close_reason);
    else if (t->eof)
        snprintf(text, sizeof text, "the relay closed the connection");
    else
        snprintf(text, sizeof text, "the relay's WebSocket frames break RFC 6455: closed");
    client_connection_lost(c, RICOCHET_END_DISCONNECTED, text);
}

/* Reads what the socket has through wslay (nothing is queued now). Returns
 * true if messages were queued. */
static bool ws_read(struct ricochet *c)
{
    struct client_ws *t = c->tp;
    t->in_len = t->in_at = 0;
    t->read_left = WS_READ_MAX;
    int rc = wslay_event_recv(t->ctx);
    wslay_event_send(t->ctx); /* pongs, the echo of a close */
    if (t->s.out_len > 0)
        client_stream_push(c, &t->s);
    if (rc != 0 && !t->eof)
        wslay_event_shutdown_read(t->ctx);
    return t->in_len > 0;
}

/* Ends a closed WebSocket, or sends what waits and reads: 1 if messages
 * came, 0 if none, -1 if it ended. */
static int ws_more(struct ricochet *c)
{
    struct client_ws *t = c->tp;
    if (t->close_code || t->eof || !wslay_event_get_read_enabled(t->ctx)) {
        ws_ended(c);
        return -1;
    }
    client_stream_send_waiting(c, &t->s);
    if (c->phase != PHASE_DEAD && ws_read(c))
        return 1;
    return c->phase == PHASE_DEAD || client_stream_heard_lately(c) ? 0 : -1;
}

static void ws_wait(struct ricochet *c, int wait_ms)
{
    struct client_ws *t = c->tp;
    if (t->eof || t->close_code)
        return; /* the next step ends it */
    client_stream_wait(&t->s, wait_ms);
}

static const struct client_reader ws_reader = {.next = ws_next, .more = ws_more,
                                               .wait = ws_wait};

static int ws_step(struct ricochet *c, int wait_ms, struct ricochet_event *ev)
{
    struct client_ws *t = c->tp;
    if (c->phase == PHASE_CONNECTING) {
        if (t->stage == WS_CONNECTING)
            ws_connecting(c, wait_ms);
        else
            ws_upgrading(c, wait_ms);
        return 0;
    }
    return client_read_step(c, &t->batch, &ws_reader, wait_ms, ev);
}

static bool ws_ready(const struct ricochet *c)
{
    const struct client_ws *t = c->tp;
    return t && t->stage == WS_OPEN && t->s.fd >= 0 && !t->close_code && !t->eof;
}

/* One binary message. Returns 0, or -1 (not open, too much waiting). */
static int ws_send(struct ricochet *c, const uint8_t *msg, size_t len)
{
    struct client_ws *t = c->tp;
    if (!ws_ready(c) || len == 0)
        return -1;
    if (t->s.out_len + wslay_event_get_queued_msg_length(t->ctx) + WS_FRAME_HEAD + len >
        WS_OUT_MAX) {
        log_debug("client %s: %zu bytes wait for the relay: message refused", c->name,
                  t->s.out_len);
        return -1;
    }
    struct wslay_event_msg m = {.opcode = WSLAY_BINARY_FRAME, .msg = msg, .msg_length = len};
    if (wslay_event_queue_msg(t->ctx, &m) != 0 || wslay_event_send(t->ctx) != 0)
        return -1;
    c->wire.dgrams_sent++;
    return client_stream_push(c, &t->s);
}

static void ws_hang_up(struct ricochet *c)
{
    struct client_ws *t = c->tp;
    if (t) {
        client_stream_hang_up(&t->s);
        t->eof = true;
    }
}

static void ws_flush(struct ricochet *c)
{
    struct client_ws *t = c->tp;
    if (t && t->s.out_len > 0 && !t->eof)
        client_stream_push(c, &t->s);
}

const struct client_transport_ops client_ws_ops = {
    .caps = {
        .modes = 1u << PROTO_MODE_WS,
        .channels = false,
        .control_min = 0,
        .connection = true,
    },
    .open = ws_open,
    .close = ws_close,
    .service = client_service,
    .step = ws_step,
    .ready = ws_ready,
    .send_control = ws_send, /* its states too: send_state NULL */
    .hang_up = ws_hang_up,
    .flush = ws_flush,
    .fd = client_stream_op_fd,
    .netinfo = ws_netinfo,
    .silent_us = client_stream_op_silent_us,
};
