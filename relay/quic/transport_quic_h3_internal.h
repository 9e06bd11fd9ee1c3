/* transport_quic_h3_internal.h: transport_quic_h3.c's state in an h3
 * connection: HTTP/3's streams as they are read, the WebTransport session,
 * what the relay writes of HTTP/3.
 * Private to relay/quic/: transport_quic.h includes it, composing struct
 * quic_conn of its parts, and only the file named here writes them. */
#ifndef RICOCHET_QUIC_H3_INTERNAL_H
#define RICOCHET_QUIC_H3_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/h3.h"
#include "proto/quicmsg.h"

#define QUIC_WT_PATH "/wt"         /* the CONNECT's path a session is answered on */
#define QUIC_H3_UNIS 4             /* unidirectional streams an h3 client may hold open:
                                      its control stream, QPACK's two, its own */

/* A client's unidirectional stream of an h3 connection, by what its first
 * bytes said. */
enum quic_h3_uni_kind {
    QUIC_H3U_FREE = 0,
    QUIC_H3U_TYPE,            /* its type not read yet */
    QUIC_H3U_SESSION,         /* a WebTransport stream: its session's ID not read yet */
    QUIC_H3U_CONTROL,         /* HTTP/3's control stream: frames, SETTINGS first */
    QUIC_H3U_ENCODER,         /* QPACK's encoder stream */
    QUIC_H3U_DISCARD,         /* read and dropped: QPACK's decoder stream, unknown types,
                                 a WebTransport stream of no session */
    QUIC_H3U_OWN,             /* the session's: the client's own stream (streams mode) */
};

struct quic_h3_uni {
    int64_t sid;
    uint8_t kind;             /* enum quic_h3_uni_kind */
    struct h3_varint v;
};

/* The HTTP/3 side of an h3 connection (c->h3): transport_quic_h3.c
 * makes, writes and frees it; the relay's control stream is opened by the
 * packets (transport_quic_h3_open), its bytes let go once acknowledged
 * (transport_quic_in.c, through quicmsg's functions). */
struct quic_h3 {
    int64_t connect_sid;      /* the CONNECT's stream, the session's ID (-1: none yet) */
    uint8_t session;          /* enum quic_h3_session */
    bool settings_in;         /* the client's SETTINGS read */
    struct h3_settings settings;
    struct quic_h3_uni uni[QUIC_H3_UNIS];
    struct h3_frames control_in; /* the client's control stream */
    struct h3_frames request_in; /* the CONNECT's stream */
    struct h3_request *pending; /* a CONNECT read before the SETTINGS (malloc'ed) */
    struct h3_varint bidi_v;  /* a bidirectional stream's first varint, in pieces */
    uint8_t bidi_step;        /* 0: its signal, 1: its session's ID */
    int64_t bidi_sid;         /* the stream being read so (-1: none) */
    void *qpack;              /* nghttp3's QPACK decoder for the encoder stream (lazily) */
    int64_t out_sid;          /* the relay's control stream (-1: not opened yet) */
    struct quicmsg_out out;   /* ... its type and SETTINGS */
    struct quicmsg_out answer; /* the CONNECT's answer (HEADERS), on connect_sid */
};

enum quic_h3_session {
    QUIC_H3S_NONE = 0,        /* no CONNECT yet */
    QUIC_H3S_PENDING,         /* a CONNECT, waiting for the SETTINGS */
    QUIC_H3S_OPEN,            /* answered 200: the session's streams and datagrams flow */
    QUIC_H3S_REFUSED,         /* answered otherwise; nothing more is read */
};

#endif
