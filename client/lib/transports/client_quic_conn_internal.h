/* client_quic_conn_internal.h: one QUIC connection of the client library
 * (client_quic_conn.c's: ngtcp2, GnuTLS, what it read and has to send) and
 * WebTransport on it (client_wt.c's part), which client_quic.c drives.
 * Private to client/lib/. */
#ifndef RICOCHET_CLIENT_QUIC_CONN_INTERNAL_H
#define RICOCHET_CLIENT_QUIC_CONN_INTERNAL_H

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "client/lib/client_internal.h"
#include "proto/h3.h"
#include "proto/quicmsg.h"

/* ---- one QUIC connection (client_quic_conn.c) ---- */

#define CLIENT_QUIC_PKT 1452              /* the longest UDP payload written */
#define CLIENT_QUIC_READS_MAX 64          /* datagrams read per step, at most */
#define CLIENT_QUIC_CID_LEN 16
#define CLIENT_QUIC_QUEUE_MAX (1 << 20)   /* bytes of messages waiting to be handed out, at most */
#define CLIENT_QUIC_SENDER_STREAMS 512    /* streams the relay may open at once (MAX_STREAMS) */
#define CLIENT_QUIC_DGRAMS_MAX 64         /* datagrams congestion control may hold back */
#define CLIENT_QUIC_WRITE_PKTS 64         /* packets written per call, at most */
#define CLIENT_QUIC_WAIT_MAX_MS 50        /* a step's wait, at most (ngtcp2's timers between) */
#define CLIENT_QUIC_HOLD_MAX_US 100000    /* what a read leaves to write waits, at most */
#define CLIENT_QUIC_HOLD_RIDE_US 5000     /* ... for the next state, late by this much */
#define CLIENT_QUIC_HOLD_PKTS 8           /* ... and for no more packets read than this */
#define CLIENT_QUIC_HOLD_RTT_MS 200       /* no hold past this round trip (ngtcp2's own delay) */
#define CLIENT_QUIC_HOLD_AFTER_MOVE_US 1000000 /* nor this long after a move (path validation) */
#define CLIENT_WT_DATAGRAM_HEAD 8        /* WebTransport: a datagram's quarter stream ID, at most */
#define CLIENT_WT_IGNORED 0xff           /* client_quic_in.skip: a stream not a sender's */
#define CLIENT_WT_NO_ANSWER (-100)       /* the status of a CONNECT's stream ended unanswered */

struct client_quic_queued {
    uint64_t at;               /* when its packet was read */
    uint32_t len;
    uint8_t channel;
    uint32_t flags;
};

/* A stream the relay opened for one sender's states. */
struct client_quic_in {
    int64_t sid;
    struct quicmsg_reader r;
    uint8_t skip;              /* WebTransport: its preamble's varints still to read
                                  (type, session), or CLIENT_WT_IGNORED */
    struct h3_varint pre;
};

/* A datagram waiting for congestion control. */
struct client_quic_dgram {
    uint16_t len;
    uint32_t seq;
    /* WebTransport's quarter stream ID, then the channel byte and the state */
    uint8_t bytes[CLIENT_WT_DATAGRAM_HEAD + QUICMSG_DATAGRAM_MAX];
};

struct client_quic {
    int ep;                    /* epoll: the socket */
    int fd;                    /* the UDP socket, connected to the relay */
    union netaddr local;       /* its address */
    ngtcp2_conn *conn;
    gnutls_session_t tls;
    gnutls_certificate_credentials_t cred;
    ngtcp2_crypto_conn_ref ref;
    struct ricochet *c;
    FILE *keylog;
    char pin[CLIENT_PIN_HEX + 1]; /* "": none */
    const char *alpn;          /* the ALPN offered (NULL: "ricochet"; WebTransport's "h3") */
    struct client_wt *wt;      /* a WebTransport session (client_wt.c); NULL: plain QUIC */
    int64_t ctl_sid;           /* the control stream: 0, or WebTransport's session stream */
    bool opened;               /* the handshake completed during the last input */
    bool up;                   /* the control stream is open: the session's */
    bool closed;               /* the connection ended (ngtcp2 said so) */
    bool reset;                /* ... by the relay's stateless reset */
    bool pin_failed;
    bool draining;             /* closing: what comes is not queued */
    uint64_t heard_us;         /* the last packet from the relay */
    uint64_t read_at;          /* the time of the packet being read */
    uint64_t close_code;       /* the relay's CONNECTION_CLOSE, if it came */
    bool close_app;            /* ... an application's (the relay's error code) */
    /* streams */
    int64_t up_sid;            /* my own (streams mode), -1: not open */
    struct quicmsg_reader control_in;
    struct quicmsg_out control_out, up_out;
    struct client_quic_in *ins;
    size_t n_ins, cap_ins;
    /* datagrams out, held by congestion control */
    struct client_quic_dgram *dgrams;
    size_t n_dgrams;
    uint64_t dgrams_acked, dgrams_lost, dgrams_dropped;
    /* what a read leaves to write rides with the next state (client_quic.c) */
    uint64_t state_us;         /* my last state sent as a datagram (0: none yet) */
    uint64_t state_gap_us;     /* ... and the time from the one before */
    uint64_t states_in_us;     /* reliable states last came on a stream (0: never) */
    uint64_t moved_us;         /* my last new socket (client_quic_migrate; 0: never) */
    unsigned reads_unwritten;  /* packets read since I last wrote one */
    /* messages in */
    uint8_t *in;               /* each a struct client_quic_queued then its bytes */
    size_t in_len, in_at, in_cap;
};

/* ngtcp2's callbacks of every connection (user data: its struct
 * client_quic): what a connection hands the transport, and the fuzz
 * target's way in (tests/fuzz/target_quicclient.c). */
extern const ngtcp2_callbacks client_quic_callbacks;

/* The session's socket (a port the kernel picks, connected to c->relay),
 * ngtcp2's client connection and GnuTLS's session (ALPN "ricochet", the
 * pin, the key log) for t. Returns 0, or -1 with a one-line message in
 * err (client_quic_free cleans up). */
int client_quic_start(struct ricochet *c, struct client_quic *t, const struct client_config *cfg,
                      char *err, size_t err_cap);

/* Reads what the socket holds into the connection (CLIENT_QUIC_READS_MAX
 * datagrams at most), then runs its timers if due. Messages that came are
 * queued in t->in. Returns 0, or a negative ngtcp2 error (it is over). */
int client_quic_read(struct ricochet *c, struct client_quic *t, uint64_t now);

/* Writes what waits: handshake, acknowledgements, datagrams, streams (my
 * own opened once the relay gives credit). Returns 0, or a negative
 * ngtcp2 error. */
int client_quic_write(struct ricochet *c, struct client_quic *t);

/* Opens the control stream (the session's, id 0). Returns 0 or -1. */
int client_quic_control(struct client_quic *t);

/* Does the relay take a datagram of a len-byte message? */
bool client_quic_dgram_fits(const struct client_quic *t, size_t len);

/* A new socket and ngtcp2's immediate migration to it. Returns 0 or -1. */
int client_quic_migrate(struct ricochet *c, struct client_quic *t);

/* Leaving: the control stream's bytes get DESTROY_WAIT_MS to be
 * acknowledged, then CONNECTION_CLOSE (no error). */
void client_quic_goodbye(struct ricochet *c, struct client_quic *t);

/* ngtcp2's smoothed RTT, ms. */
uint32_t client_quic_rtt_ms(const struct client_quic *t);

/* Frees the connection, the session's TLS, the streams and the sockets
 * (not t itself). */
void client_quic_free(struct client_quic *t);

/* ---- WebTransport on that connection (client_wt.c) ---- */

/* t's session goes over WebTransport to https://host:port/wt (with pass,
 * a ticket's, in the path): ALPN h3. Returns 0, or -1 out of memory. */
int client_wt_new(struct client_quic *t, const char *host, uint16_t port, const char *pass);
void client_wt_free(struct client_wt *w);
/* The handshake done: HTTP/3's control stream and the CONNECT queued.
 * Returns 0 or -1. */
int client_wt_connect(struct client_quic *t);
/* Bytes of the CONNECT's stream (fin: its last): the relay's answer read;
 * a 200 sets t->opened (the session's control stream is next); the
 * stream's end ends the session. */
void client_wt_answer(struct client_quic *t, const uint8_t *data, size_t len, bool fin);
/* The answer's :status: 0 none yet, 200 open (always, over plain QUIC),
 * another refused, < 0 unreadable (CLIENT_WT_NO_ANSWER: none came). */
int client_wt_status(const struct client_quic *t);
/* The session's control stream opened into t->ctl_sid, its preamble
 * queued on t->control_out. Returns 0 or -1. */
int client_wt_session(struct client_quic *t);
/* WebTransport's own streams to write, into outs and sids (at most 2, sid
 * -1: not open); 0 over plain QUIC. */
int client_wt_out(struct client_quic *t, struct quicmsg_out **outs, int64_t *sids);
/* Before my own stream's first frame: its preamble (over WebTransport).
 * Returns 0 or -1. */
int client_wt_own_stream(struct client_quic *t);
/* A relay's stream s's preamble taken from *data, *len: 1 frames follow,
 * 0 more is needed, -1 the stream is not a sender's (drop it). */
int client_wt_preamble(struct client_quic_in *s, const uint8_t **data, size_t *len);
/* A datagram's head before its channel byte (the quarter stream ID) into
 * p; its length (0 over plain QUIC). */
size_t client_wt_dgram_head(const struct client_quic *t, uint8_t *p);
/* An arriving datagram's head taken from *data, *len. Returns 0, or -1 if
 * it names another session. */
int client_wt_dgram_open(const struct client_quic *t, const uint8_t **data, size_t *len);

#endif
