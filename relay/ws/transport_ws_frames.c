/* transport_ws_frames.c: a connection once upgraded (see transport_ws.h),
 * through wslay's event API as a server: wslay reads frames from the
 * connection's bytes (unmasking them, checking RFC 6455's rules and text's
 * UTF-8, answering pings, echoing a close) and frames what is queued to
 * it; the edge owns the socket and the queue (relay/stream) that wslay's
 * output goes into. The relay's own messages go through wslay's frame API
 * while the event queue is empty (frame_one), a copy and an allocation
 * less per recipient.
 *
 * wslay does not buffer messages here (no_buffering): the edge reassembles
 * each one in a buffer of --max-packet-size bytes, refusing a message that
 * would be longer before reading it (the core's too_big, then close 1009),
 * so a client holds at most one message's worth of the relay's memory.
 * Fragmented messages are taken, within that bound. Every message goes to
 * the core on PROTO_CHANNEL_WEBSOCKET: a binary one as it is (a state, a
 * batch or a control message), a text one only if it is JSON (control).
 * What wslay refuses (an unmasked frame, an unknown opcode, text that is
 * not UTF-8: close 1002 or 1007 queued by wslay; a fragmented or long
 * control frame, which wslay answers with a close without a code: 1002
 * here) is counted bad_frame and ends the peer as a kick. More than
 * WS_PINGS_MAX pings and pongs a second end it too (1008). */
#include "transport_ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/websocket.h"
#include "sys/clock.h"
#include "relay/core/edge.h"

#define WS_CLOSE_REASON_MAX 123 /* a close frame's reason, bytes (RFC 6455 §5.5) */

/* ---- wslay's callbacks ------------------------------------------------------ */

/* A context's user data is its connection (struct ws_conn: edge and slot). */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user)
{
    (void)flags;
    struct ws_conn *u = user;
    struct ws_conn *w = u;
    if (w->head_at < w->head_len) { /* read with the head, after it */
        size_t n = w->head_len - w->head_at < len ? w->head_len - w->head_at : len;
        memcpy(buf, w->head + w->head_at, n);
        w->head_at += n;
        if (w->head_at == w->head_len) { /* all handed over: the buffer goes */
            free(w->head);
            w->head = NULL;
            w->head_len = w->head_at = w->head_cap = 0;
        }
        return (ssize_t)n;
    }
    if (w->budget == 0 || w->drained) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t want = len < w->budget ? len : w->budget;
    ssize_t n = ws_io_read(u->edge, u->slot, buf, want);
    if (n > 0) {
        /* A plain socket that gave less than asked has nothing more now:
         * not asked again this service (epoll says when it has). TLS
         * hands out a record at a time: asked until it says so. */
        w->drained = (size_t)n < want && !u->edge->tls;
        w->budget -= (size_t)n;
        u->edge->s.conns[u->slot].last_us = clock_now_us();
        return n;
    }
    if (n == -1) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    w->eof = true; /* the end of the stream, or a failed socket */
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
}

/* wslay's output: into the connection's queue (always taken whole, so
 * wslay never holds a frame half sent; ws_frames_queue bounds it). */
static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    (void)flags;
    struct ws_conn *u = user;
    if (!stream_append(&u->edge->s, u->slot, data, len)) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

/* Closes slot i's peer as a kick for code, with text. */
static void evict(struct relay_ws *t, uint32_t i, enum proto_error_code code, const char *text)
{
    if (t->relay && !t->s.conns[i].closing)
        relay_peer_evict(t->relay, t->s.base + i, code, text, clock_now_us());
}

/* A client's pings and pongs: WS_PINGS_MAX a second, past it a kick. */
static void count_ping(struct relay_ws *t, uint32_t i)
{
    struct ws_conn *w = &t->conns[i];
    uint64_t now = clock_now_us();
    if (now - w->pings_since_us >= 1000000) {
        w->pings_since_us = now;
        w->pings = 0;
    }
    if (++w->pings == WS_PINGS_MAX + 1) {
        relay_count_drop(t->relay, RELAY_DROP_RATE_LIMITED);
        char text[PROTO_TEXT_MAX + 1];
        snprintf(text, sizeof text, "more than %d pings a second: closing", WS_PINGS_MAX);
        evict(t, i, PROTO_ERROR_RATE_LIMITED, text);
    }
}

static void on_frame_start(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_start_arg *arg, void *user)
{
    (void)ctx;
    struct ws_conn *u = user;
    struct relay_ws *t = u->edge;
    struct ws_conn *w = u;
    w->frame_data = !(arg->opcode & 0x8);
    if (!w->frame_data) {
        if (arg->opcode == WSLAY_PING || arg->opcode == WSLAY_PONG)
            count_ping(t, u->slot);
        return;
    }
    if (arg->opcode != WSLAY_CONTINUATION_FRAME) { /* a new message */
        w->msg_op = arg->opcode;
        w->msg_len = 0;
        w->skip = false;
    }
    if (!w->skip && arg->payload_length > t->msg_max - w->msg_len) {
        w->skip = true;
        if (t->relay)
            relay_peer_too_big(t->relay, t->s.base + u->slot, w->msg_len + arg->payload_length,
                               t->msg_max, true, clock_now_us());
    }
}

static void on_chunk(wslay_event_context_ptr ctx,
                     const struct wslay_event_on_frame_recv_chunk_arg *arg, void *user)
{
    (void)ctx;
    struct ws_conn *u = user;
    struct ws_conn *w = u;
    if (!w->frame_data || w->skip || u->edge->s.conns[u->slot].closing || !arg->data_length)
        return;
    memcpy(w->msg + w->msg_len, arg->data, arg->data_length); /* on_frame_start bounded it */
    w->msg_len += arg->data_length;
}

/* A whole message: to the core (control and pings are wslay's). */
static void on_message(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                       void *user)
{
    (void)ctx;
    struct ws_conn *u = user;
    struct relay_ws *t = u->edge;
    struct ws_conn *w = u;
    if ((arg->opcode != WSLAY_TEXT_FRAME && arg->opcode != WSLAY_BINARY_FRAME) || w->skip ||
        t->s.conns[u->slot].closing || !t->relay)
        return;
    if (arg->opcode == WSLAY_TEXT_FRAME && (w->msg_len == 0 || w->msg[0] != '{')) {
        relay_count_drop(t->relay, RELAY_DROP_WRONG_CHANNEL); /* states travel in binary */
        return;
    }
    relay_on_datagram(t->relay, t->s.base + u->slot, PROTO_CHANNEL_WEBSOCKET, 0, w->msg,
                      w->msg_len, clock_now_us());
}

static const struct wslay_event_callbacks callbacks = {
    .recv_callback = on_recv,
    .send_callback = on_send,
    .on_frame_recv_start_callback = on_frame_start,
    .on_frame_recv_chunk_callback = on_chunk,
    .on_msg_recv_callback = on_message,
};

/* ---- a connection's life ------------------------------------------------------ */

int ws_frames_start(struct relay_ws *t, struct relay *r, uint32_t i, uint64_t now_us)
{
    struct ws_conn *w = &t->conns[i];
    struct stream_conn *c = &t->s.conns[i];
    w->msg = malloc(t->msg_max ? t->msg_max : 1);
    if (!w->msg || wslay_event_context_server_init(&w->ctx, &callbacks, w) != 0)
        return -1;
    wslay_event_config_set_no_buffering(w->ctx, 1); /* this file reassembles, bounded */
    wslay_event_config_set_max_recv_msg_length(w->ctx, UINT64_MAX); /* on_frame_start's */
    w->open = true;
    t->half_open--;
    c->peer = true;
    relay_peer_connect(r, t->s.base + i, &c->addr, now_us); /* refused: its error, then closed */
    return 0;
}

/* wslay's queued frames into the connection's queue, at once (also from
 * inside wslay_event_recv's callbacks: its sending and its reading keep
 * state apart), so that what the core sent goes before a close frame,
 * which wslay would send ahead of any message still in its queue. */
static void send_queued(struct ws_conn *w)
{
    if (w->ctx && !w->mute)
        wslay_event_send(w->ctx);
}

/* wslay's frame API writing one frame of the edge's own into slot
 * t->framing's queue (frame_one). */
static ssize_t frame_out(const uint8_t *data, size_t len, int flags, void *user)
{
    struct relay_ws *t = user;
    (void)flags;
    return stream_append(&t->s, t->framing, data, len) ? (ssize_t)len : -1;
}

int ws_frames_setup(struct relay_ws *t)
{
    struct wslay_frame_callbacks out = {.send_callback = frame_out};
    return wslay_frame_context_init(&t->framer, &out, t) == 0 ? 0 : -1;
}

void ws_frames_free(struct relay_ws *t)
{
    if (t->framer)
        wslay_frame_context_free(t->framer);
    t->framer = NULL;
}

/* A final frame of opcode around payload, framed by wslay's frame API into
 * slot i's queue in one call, so the framer, the edge's for all its
 * connections, never holds half a frame. */
static bool frame_one(struct relay_ws *t, uint32_t i, uint8_t opcode, const uint8_t *payload,
                      size_t len)
{
    t->framing = i;
    struct wslay_frame_iocb frame = {.fin = 1, .opcode = opcode, .payload_length = len,
                                     .data = payload, .data_length = len};
    return wslay_frame_send(t->framer, &frame) == (ssize_t)len;
}

/* A close frame with code (and reason) of the edge's own, for when the
 * event context holds one without a code. */
static void close_frame(struct ws_conn *w, uint16_t code, const char *reason)
{
    uint8_t payload[2 + WS_CLOSE_REASON_MAX];
    size_t n = strlen(reason) < WS_CLOSE_REASON_MAX ? strlen(reason) : WS_CLOSE_REASON_MAX;
    payload[0] = (uint8_t)(code >> 8);
    payload[1] = (uint8_t)code;
    memcpy(payload + 2, reason, n);
    frame_one(w->edge, w->slot, WSLAY_CONNECTION_CLOSE, payload, 2 + n);
}

/* The client broke RFC 6455: counted, closed with code (wslay's, already
 * queued; or the edge's own when own), the peer kicked. */
static void refuse(struct relay_ws *t, struct relay *r, uint32_t i, bool own, uint64_t now_us)
{
    struct ws_conn *w = &t->conns[i];
    relay_count_drop(r, RELAY_DROP_BAD_FRAME);
    if (own) {
        w->mute = true;
        close_frame(w, PROTO_WS_CLOSE_PROTOCOL, "a frame RFC 6455 refuses");
    } else {
        wslay_event_send(w->ctx); /* its close: 1002 or 1007 */
    }
    uint16_t code = own ? PROTO_WS_CLOSE_PROTOCOL : wslay_event_get_status_code_sent(w->ctx);
    w->goodbye = true;
    char text[PROTO_TEXT_MAX + 1];
    snprintf(text, sizeof text, "a WebSocket frame RFC 6455 refuses: closed %u", code);
    relay_peer_evict(r, t->s.base + i, PROTO_ERROR_BAD_STATE, text, now_us);
    stream_close(&t->s, i, now_us); /* the peer may have been closed already */
}

/* After wslay_event_recv: the end of the socket, a close, a refused
 * frame. Returns false if the connection is gone. */
static bool after_recv(struct relay_ws *t, struct relay *r, uint32_t i, int rc, uint64_t now_us)
{
    struct ws_conn *w = &t->conns[i];
    struct stream_conn *c = &t->s.conns[i];
    if (w->eof) { /* the client went without a close (or after ours): it left */
        if (!c->closing)
            relay_peer_gone(r, t->s.base + i, PROTO_LEFT_QUIT, now_us);
        stream_conn_free(&t->s, i);
        return false;
    }
    if (c->closing)
        return true; /* the relay closed it while it read: its close goes out */
    if (rc != 0) { /* wslay's frame reader refused (or memory ran out) */
        refuse(t, r, i, true, now_us);
    } else if (!wslay_event_get_read_enabled(w->ctx)) {
        if (wslay_event_get_close_received(w->ctx)) { /* leaving: its close echoed */
            relay_peer_gone(r, t->s.base + i, PROTO_LEFT_QUIT, now_us);
            w->goodbye = true;
            wslay_event_send(w->ctx);
            stream_close(&t->s, i, now_us);
        } else if (!w->goodbye) {
            refuse(t, r, i, false, now_us);
        }
    }
    return true;
}

void ws_frames_input(struct relay_ws *t, struct relay *r, uint32_t i, uint64_t now_us)
{
    struct ws_conn *w = &t->conns[i];
    struct stream_conn *c = &t->s.conns[i];
    if (c->fd < 0 || c->closing || !w->ctx || !wslay_event_want_read(w->ctx))
        return;
    w->eof = false;
    w->drained = false;
    int rc = wslay_event_recv(w->ctx);
    if (after_recv(t, r, i, rc, now_us))
        send_queued(w);
}

/* ---- the stream module's hooks ----------------------------------------------- */

/* The relay's messages: framed by wslay's frame API straight into the
 * queue (frame_one) while the event queue is empty, as it is but for a
 * pong or a close; else through the event queue, in order. The event
 * queue copies each message into an allocation of its own first, then
 * frames it: a malloc, a copy and two frees per recipient. */
bool ws_frames_queue(void *edge, uint32_t i, const uint8_t *msg, size_t len)
{
    struct relay_ws *t = edge;
    struct ws_conn *w = &t->conns[i];
    if (!w->ctx || w->goodbye || w->mute || wslay_event_get_close_sent(w->ctx))
        return true; /* after a close nothing more goes out */
    if (wslay_event_get_queued_msg_count(w->ctx) == 0)
        return frame_one(t, i, WSLAY_BINARY_FRAME, msg, len);
    struct wslay_event_msg m = {.opcode = WSLAY_BINARY_FRAME, .msg = msg, .msg_length = len};
    int rc = wslay_event_queue_msg(w->ctx, &m);
    if (rc != 0)
        return rc == WSLAY_ERR_NO_MORE_MSG; /* a close is queued: dropped */
    send_queued(w);
    return true;
}

size_t ws_frames_held(void *edge, uint32_t i)
{
    const struct relay_ws *t = edge;
    const struct ws_conn *w = &t->conns[i];
    return w->ctx ? wslay_event_get_queued_msg_length(w->ctx) : 0;
}

void ws_frames_closing(void *edge, uint32_t i, enum proto_error_code why)
{
    struct relay_ws *t = edge;
    struct ws_conn *w = &t->conns[i];
    if (!w->ctx || w->goodbye)
        return;
    w->goodbye = true;
    const char *reason = why == PROTO_ERROR_NONE ? "" : proto_error_name(why);
    wslay_event_queue_close(w->ctx, (uint16_t)proto_ws_close_code(why), (const uint8_t *)reason,
                            strlen(reason));
    wslay_event_shutdown_read(w->ctx);
    send_queued(w);
}

void ws_frames_release(struct relay_ws *t, uint32_t i)
{
    struct ws_conn *w = &t->conns[i];
    wslay_event_context_free(w->ctx);
    free(w->msg);
    w->ctx = NULL;
    w->msg = NULL;
}
