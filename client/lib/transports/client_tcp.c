/* client_tcp.c: the client library over one TCP connection (PROTO_MODE_TCP;
 * see client_internal.h), to a relay's stream edge or to
 * examples/sockets/tcp_relay.c.
 *
 * socket, connect (without waiting: the session polls for it), then every
 * message both ways in a frame: 2 bytes of length, big-endian, then the
 * message as a datagram would carry it (PROTOCOL.md, "Streams"). The
 * connection is the session's: the join goes out once it is up, once
 * (nothing is lost), and its end is the session's end, as is the relay's
 * silence for the timeout (client_stream_heard_lately); closing it is
 * leaving. TCP_NODELAY: a state leaves when it is written, not with the
 * next one. What the kernel will not take at once waits in a bounded
 * buffer of ours, in order; past the bound a send fails (a relay that
 * reads nothing for seconds). Received bytes are cut into frames in one
 * buffer that holds at most one frame beyond what was handed out; a batch's
 * states are handed out one per step, each as if it had come alone. */
#include "client_transports_internal.h"
#include "client_stream_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/log.h"
#include "proto/byteorder.h"

#define TCP_FRAME_MAX 65535            /* a frame's message, at most (2 bytes of length) */
#define TCP_IN_CAP (2 * (2 + TCP_FRAME_MAX)) /* one whole frame fits after a partial one */
#define TCP_OUT_MAX (256 * 1024)      /* bytes waiting for the kernel, at most */
#define TCP_SEND_MAX (2 + CTL_SEND_MAX + SEAL_OVERHEAD + 64) /* a frame we send */

struct client_tcp {
    struct client_stream s;     /* first (client_stream_op_*): the connection, its queue */
    bool connected;             /* the handshake completed */
    size_t at, have;            /* in[at, have): received, not yet handed out */
    struct client_batch batch;  /* a batch in in[], being handed out */
    uint8_t in[TCP_IN_CAP];
};

/* Queues one frame of len bytes and hands the kernel what it takes.
 * Returns 0, or -1 (not connected, too much waiting, or a failed socket). */
static int tcp_send_frame(struct ricochet *c, const uint8_t *msg, size_t len)
{
    struct client_tcp *t = c->tp;
    if (!t || !t->connected || len == 0 || len > TCP_FRAME_MAX)
        return -1;
    if (t->s.out_len + 2 + len > TCP_OUT_MAX) {
        log_debug("client %s: %zu bytes wait for the relay: frame refused", c->name,
                  t->s.out_len);
        return -1;
    }
    uint8_t head[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    if (client_reserve(&t->s.out, &t->s.out_cap, t->s.out_len + 2 + len) != 0)
        return -1;
    client_stream_queue(&t->s, head, 2);
    client_stream_queue(&t->s, msg, len);
    c->wire.dgrams_sent++;
    return client_stream_push(c, &t->s);
}

static int tcp_open(struct ricochet *c, const struct client_config *cfg, char *err,
                    size_t err_cap)
{
    (void)cfg;
    struct client_tcp *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "client: out of memory");
        return -1;
    }
    c->tp = t;
    return client_stream_open(c, &t->s, err, err_cap); /* the join once it is up */
}

static void tcp_close(struct ricochet *c)
{
    struct client_tcp *t = c->tp;
    if (!t)
        return;
    client_stream_close(c, &t->s, t->connected);
    free(t);
    c->tp = NULL;
}

/* Connecting: waits at most wait_ms for the handshake; once it is done,
 * the join. */
static void tcp_connecting(struct ricochet *c, int wait_ms)
{
    struct client_tcp *t = c->tp;
    if (client_stream_connected(c, &t->s, wait_ms) <= 0)
        return;
    t->connected = true;
    client_join_now(c);
}

/* The next whole frame in in[] handed to the session. Returns 1 with *ev,
 * 0 after one that made no event, -1 if no whole frame is there. */
static int tcp_frame(struct ricochet *c, struct ricochet_event *ev)
{
    struct client_tcp *t = c->tp;
    if (t->have - t->at < 2)
        return -1;
    const uint8_t *f = t->in + t->at;
    size_t len = be16_get(f);
    if (len == 0) { /* no frame is empty: the stream cannot be read past it */
        client_bad_message(c, "frame of length 0", PROTO_E_VALUE);
        client_connection_lost(c, RICOCHET_END_DISCONNECTED, "the relay's stream is not in frames");
        return 0;
    }
    if (t->have - t->at < 2 + len)
        return -1;
    t->at += 2 + len;
    c->wire.dgrams_received++;
    return client_receive_arrived(c, &t->batch, f + 2, len, PROTO_CHANNEL_STREAM, 0,
                                  clock_now_us(), ev);
}

/* Reads what the socket has (after what is kept of a partial frame).
 * Returns the bytes read, 0 at the relay's end of the stream, -1 for
 * nothing now (EAGAIN), -2 for a failed socket (the session ended). */
static ssize_t tcp_read(struct ricochet *c)
{
    struct client_tcp *t = c->tp;
    if (t->at > 0) { /* no batch points into in[] now: keep only the partial frame */
        memmove(t->in, t->in + t->at, t->have - t->at);
        t->have -= t->at;
        t->at = 0;
    }
    ssize_t n = read(t->s.fd, t->in + t->have, sizeof t->in - t->have);
    if (n > 0) {
        t->have += (size_t)n;
        c->wire.bytes_received += (uint64_t)n;
        return n;
    }
    if (n == 0) {
        client_connection_lost(c, RICOCHET_END_DISCONNECTED, "the relay closed the connection");
        return 0;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return -1;
    char text[PROTO_TEXT_MAX + 1];
    snprintf(text, sizeof text, "read: %s", strerror(errno));
    client_connection_lost(c, errno == ECONNRESET ? RICOCHET_END_DISCONNECTED : RICOCHET_END_SOCKET, text);
    return -2;
}

/* Sends what waits, then reads: 1 if bytes came, 0 if none, -1 if the
 * connection ended (told by tcp_read). */
static int tcp_more(struct ricochet *c)
{
    client_stream_send_waiting(c, &((struct client_tcp *)c->tp)->s);
    ssize_t n = c->phase == PHASE_DEAD ? 0 : tcp_read(c);
    if (n == -1)
        return client_stream_heard_lately(c) ? 0 : -1;
    return n > 0 ? 1 : -1;
}

static void tcp_wait(struct ricochet *c, int wait_ms)
{
    client_stream_wait(&((struct client_tcp *)c->tp)->s, wait_ms);
}

static const struct client_reader tcp_reader = {.next = tcp_frame, .more = tcp_more,
                                                .wait = tcp_wait};

static int tcp_step(struct ricochet *c, int wait_ms, struct ricochet_event *ev)
{
    if (c->phase == PHASE_CONNECTING) {
        tcp_connecting(c, wait_ms);
        return 0;
    }
    return client_read_step(c, &((struct client_tcp *)c->tp)->batch, &tcp_reader, wait_ms, ev);
}

static bool tcp_ready(const struct ricochet *c)
{
    const struct client_tcp *t = c->tp;
    return t && t->connected;
}

static void tcp_hang_up(struct ricochet *c)
{
    struct client_tcp *t = c->tp;
    if (t) {
        client_stream_hang_up(&t->s);
        t->connected = false;
    }
}

static void tcp_flush(struct ricochet *c)
{
    struct client_tcp *t = c->tp;
    if (t && t->connected && t->s.out_len > 0)
        client_stream_push(c, &t->s);
}

const struct client_transport_ops client_tcp_ops = {
    .caps = CLIENT_CAPS_TCP_FRAMES,
    .open = tcp_open,
    .close = tcp_close,
    .service = client_service,
    .step = tcp_step,
    .ready = tcp_ready,
    .send_control = tcp_send_frame, /* its states too: send_state NULL */
    .hang_up = tcp_hang_up,
    .flush = tcp_flush,
    .fd = client_stream_op_fd,
    .netinfo = client_stream_op_netinfo,
    .silent_us = client_stream_op_silent_us,
};
