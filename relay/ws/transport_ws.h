/* transport_ws.h: what the files of the relay's WebSocket edge share. The
 * program uses relay_ws_ops and relay_wss_ops (transport.h). A file calls
 * only those below it here:
 *   transport_ws.c         the listening socket, connections, the loop's
 *                          operations, half-open connections' deadlines
 *   transport_ws_handshake.c  a connection before its upgrade: what it
 *                          sent handed to the relay's HTTP front
 *                          (relay/http/http_front.h), which routes and
 *                          answers it through the connection; the upgrade
 *   transport_ws_frames.c  a WebSocket once upgraded: wslay's event API,
 *                          messages to the core, the core's messages framed,
 *                          close codes, the ping budget
 *   transport_ws_io.c      bytes in and out: plain, or TLS (OpenSSL) for wss
 * What stream edges share (a connection's queue, conflation, slow readers)
 * is relay/stream/stream.h's. */
#ifndef RICOCHET_TRANSPORT_WS_H
#define RICOCHET_TRANSPORT_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>
#include <wslay/wslay.h>

#include "relay/http/http_front.h"
#include "relay/stream/stream.h"
#include "relay/transport.h"

#define WS_MESSAGE_MAX 65535u   /* longest message the relay sends (a longer welcome is
                                   split), as the TCP edge's frames */
#define WS_FRAME_HEAD_MAX 14    /* a frame's head, at most (a server's: 10) */
#define WS_READ_BUDGET (64u << 10) /* bytes one connection reads per service, at most */
#define WS_PINGS_MAX 8          /* pings and pongs a client may send a second */

/* One connection's own part (its queue is the stream slot's). */
struct ws_conn {
    struct relay_ws *edge;   /* the edge and the slot of this connection */
    uint32_t slot;
    bool open;               /* upgraded: a WebSocket and a peer of the core */
    uint64_t since_us;       /* accepted: a half-open connection's deadline counts from it */
    char *head;              /* before the upgrade: the request read so far, its body
                                (POST /rtc) included; after it, the bytes read past the
                                head, handed to wslay first, then freed (NULL) */
    size_t head_len, head_cap, head_at; /* head_at: handed to wslay up to here */
    SSL *ssl;                /* wss: the connection's TLS */
    bool tls_up;             /* its handshake is done */
    bool tls_shut;           /* its close_notify is sent */
    wslay_event_context_ptr ctx; /* once open */
    bool goodbye;            /* the relay queued its close frame: nothing more goes out */
    bool mute;               /* wslay's own output is not sent any more (it holds a
                                close without a code: the edge sent its own) */
    bool eof;                /* the socket ended or failed under wslay */
    bool skip;               /* the message being read is refused: its bytes go nowhere */
    bool frame_data;         /* the frame being read belongs to the message */
    uint8_t msg_op;          /* the message's opcode (text or binary) */
    uint8_t *msg;            /* the message being reassembled (msg_max bytes) */
    size_t msg_len;
    uint32_t pings;          /* pings and pongs since pings_since_us */
    uint64_t pings_since_us;
    size_t budget;           /* bytes this service may still read */
    bool drained;            /* a read gave less than asked: no more this service */
    bool again;              /* in the edge's list to read next turn (TLS holds bytes) */
};

struct relay_ws {
    struct stream_edge s;    /* first (stream.h): the listening socket, the epoll set, the
                                connections (cfg.peer_cap slots) and their queues */
    struct relay_net_config cfg;
    bool tls;                /* wss */
    SSL_CTX *ssl_ctx;
    BIO_METHOD *bio_method;  /* the connections' socket BIO (MSG_NOSIGNAL) */
    size_t msg_max;          /* longest message taken (--max-packet-size) */
    uint32_t half_open;      /* connections not upgraded (their bound, with those
                                upgraded and not joined: s.waiting_max) */
    uint32_t handshake_ms;   /* a connection not upgraded this long is closed */
    struct ws_conn *conns;   /* per slot */
    uint32_t *again, n_again; /* connections TLS holds read bytes of: read next turn
                                 (2 x peer_cap: this turn's list, last turn's) */
    struct relay *relay;     /* set while servicing */
    struct http_front *http; /* the relay's HTTP front (cfg.http): a request's routes */
    wslay_frame_context_ptr framer; /* frames the relay's messages (ws_frames_queue) */
    uint32_t framing;        /* ... into this slot's queue */
};


/* ---- transport_ws_handshake.c ---- */

/* Reads what a connection not yet upgraded sent and hands it to the HTTP
 * front: partial, read on; whole, answered (then closed) or upgraded. */
void ws_handshake_input(struct relay_ws *t, struct relay *r, uint32_t i, uint64_t now_us);

/* The front's upgrade handler (http_front_upgrade): 101, then the
 * connection (c's slot of c's edge) is a WebSocket (ws_frames_start), the
 * bytes read past the head its first. */
void ws_handshake_upgrade(void *ctx, const struct http_req *req, const char *body,
                          struct http_conn *c);

/* A half-open connection past its deadline: 408, then closed (counted
 * half_open). */
void ws_handshake_expire(struct relay_ws *t, struct relay *r, uint32_t i, uint64_t now_us);

/* ---- transport_ws_frames.c ---- */

/* Slot i is upgraded: a wslay server context, a peer of the core. Returns
 * 0, or -1 (out of memory: the connection is closed). */
int ws_frames_start(struct relay_ws *t, struct relay *r, uint32_t i, uint64_t now_us);

/* Reads what an open connection sent through wslay, within its budget:
 * each message to the core; a close, a refused frame or the end of the
 * socket ends the peer. */
void ws_frames_input(struct relay_ws *t, struct relay *r, uint32_t i, uint64_t now_us);

/* The stream module's hooks: a message framed (a binary frame) into slot
 * i's queue; the core closes slot i (a close frame with why's code). */
bool ws_frames_queue(void *edge, uint32_t i, const uint8_t *msg, size_t len);
/* Bytes of messages wslay holds for slot i behind a pong or a close of
 * its own (stream_ops.held). */
size_t ws_frames_held(void *edge, uint32_t i);
void ws_frames_closing(void *edge, uint32_t i, enum proto_error_code why);

/* The edge's framer (wslay's frame API), once. Returns 0, or -1 (out of
 * memory); ws_frames_free frees it. */
int ws_frames_setup(struct relay_ws *t);
void ws_frames_free(struct relay_ws *t);

/* Frees slot i's wslay context and message buffer. */
void ws_frames_release(struct relay_ws *t, uint32_t i);

/* ---- transport_ws_io.c ---- */

/* wss: the server's TLS context from cfg's certificate and key files.
 * Returns 0, or -1 with a one-line message in err. */
int ws_io_setup(struct relay_ws *t, const struct relay_net_config *cfg, char *err,
                size_t err_cap);

/* A connection in slot i: its TLS (wss), accepting. Returns 0 or -1. */
int ws_io_accept(struct relay_ws *t, uint32_t i);

/* Reads at most len bytes of slot i (TLS: its handshake first). Returns
 * the bytes read, 0 at the end of the stream, -1 for nothing now, -2 if
 * the connection failed. */
ssize_t ws_io_read(struct relay_ws *t, uint32_t i, void *buf, size_t len);

/* The stream module's write hook: as send(), through TLS for wss. */
ssize_t ws_io_write(void *edge, uint32_t i, const uint8_t *buf, size_t len);

/* Does TLS hold bytes of slot i read from the socket but not handed out
 * (epoll will not say)? */
bool ws_io_pending(const struct relay_ws *t, uint32_t i);

/* Is slot i's TLS handshake done (always, without TLS)? */
bool ws_io_ready(const struct relay_ws *t, uint32_t i);

/* The stream module's finish hook: slot i's queue is written, our side is
 * shut next: TLS's close_notify first (if it can go at once). */
void ws_io_finish(void *edge, uint32_t i);

/* Frees slot i's TLS (a close_notify sent if it can be at once). */
void ws_io_release(struct relay_ws *t, uint32_t i);

/* Frees the server's TLS context. */
void ws_io_free(struct relay_ws *t);

#endif
