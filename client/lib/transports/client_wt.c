/* client_wt.c: libricochet's WebTransport session (PROTOCOL.md,
 * "WebTransport"), the way a browser's page reaches the quic edge, spoken
 * on client_quic_conn.c's connection with the ALPN "h3" (draft 02, as the
 * relay and Chromium speak it):
 *
 *   - after the handshake, HTTP/3's control stream with our SETTINGS, and
 *     the extended CONNECT on the first bidirectional stream (the
 *     session's ID: 0), the ticket's pass in its path;
 *   - the relay's 200 on that stream opens the session: its control stream
 *     is the next bidirectional stream, the signal 0x41 and the session's
 *     ID first, then what the QUIC control stream carries;
 *   - of the relay's unidirectional streams, a sender's own (0x54 and the
 *     session's ID, then frames) is read; its HTTP/3 control stream and
 *     any other is dropped;
 *   - a datagram has the session's quarter stream ID (0) before its
 *     channel byte.
 *
 * The rest (modes, frames, datagrams, closing) is the QUIC transport's. */
#include "client/lib/client_internal.h"
#include "client_quic_conn_internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/h3.h"

#define WT_SESSION 0 /* the CONNECT's stream ID, so the session's ID */

struct client_wt {
    struct h3_frames answer;    /* the CONNECT's stream: the relay's answer */
    int status;                 /* its :status (0: none yet; < 0: it did not read) */
    int64_t h3_sid;             /* my HTTP/3 control stream (-1: not open) */
    struct quicmsg_out h3_out, connect_out;
    char path[H3_PATH_MAX];     /* the CONNECT's :path and :authority */
    char authority[H3_AUTHORITY_MAX];
};

int client_wt_new(struct client_quic *t, const char *host, uint16_t port, const char *pass)
{
    struct client_wt *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    h3_frames_init(&w->answer, H3_FRAME_HEADERS, UINT64_MAX, H3_HEADERS_PAYLOAD_MAX);
    w->h3_sid = -1;
    bool v6 = strchr(host, ':') != NULL; /* an IPv6 address goes in brackets */
    snprintf(w->authority, sizeof w->authority, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
             port);
    if (pass)
        snprintf(w->path, sizeof w->path, "/wt?pass=%s", pass);
    else
        snprintf(w->path, sizeof w->path, "/wt");
    t->wt = w;
    t->alpn = H3_ALPN;
    return 0;
}

void client_wt_free(struct client_wt *w)
{
    if (!w)
        return;
    h3_frames_free(&w->answer);
    quicmsg_out_free(&w->h3_out);
    quicmsg_out_free(&w->connect_out);
    free(w);
}

int client_wt_connect(struct client_quic *t)
{
    struct client_wt *w = t->wt;
    uint8_t control[H3_CONTROL_MAX], connect[H3_CONNECT_MAX];
    size_t nc = h3_control_stream(control);
    size_t nr = h3_connect(w->authority, w->path, connect, sizeof connect);
    int64_t sid;
    if (nr == 0 || ngtcp2_conn_open_uni_stream(t->conn, &w->h3_sid, NULL) != 0 ||
        ngtcp2_conn_open_bidi_stream(t->conn, &sid, NULL) != 0 || sid != WT_SESSION)
        return -1;
    return quicmsg_out_bytes(&w->h3_out, control, nc) == 0 &&
                   quicmsg_out_bytes(&w->connect_out, connect, nr) == 0
               ? 0
               : -1;
}

int client_wt_session(struct client_quic *t)
{
    uint8_t pre[16];
    size_t n = h3_varint_put(pre, H3_SIGNAL_WT_BIDI);
    n += h3_varint_put(pre + n, WT_SESSION);
    return ngtcp2_conn_open_bidi_stream(t->conn, &t->ctl_sid, NULL) == 0 &&
                   quicmsg_out_bytes(&t->control_out, pre, n) == 0
               ? 0
               : -1;
}

int client_wt_status(const struct client_quic *t)
{
    return t->wt ? t->wt->status : 200;
}

void client_wt_answer(struct client_quic *t, const uint8_t *data, size_t len, bool fin)
{
    struct client_wt *w = t->wt;
    while (w->status == 0 && len > 0) {
        const uint8_t *payload;
        size_t used, n;
        uint64_t type;
        int rc = h3_frames_read(&w->answer, data, len, &used, &type, &payload, &n);
        data += used;
        len -= used;
        if (rc < 0)
            w->status = rc;
        else if (rc == 0)
            break;
        else if (type == H3_FRAME_HEADERS && (w->status = h3_response_status(payload, n)) == 200)
            t->opened = true; /* the session's control stream, and the join, next */
        else if (w->status >= 100 && w->status < 200)
            w->status = 0; /* an interim answer: the final one follows */
    }
    if (fin && w->status == 0)
        w->status = CLIENT_WT_NO_ANSWER; /* refused with no word (quic_news closes) */
    else if (fin && w->status == 200)
        t->closed = true; /* the CONNECT's stream ended: so did the session */
}

int client_wt_out(struct client_quic *t, struct quicmsg_out **outs, int64_t *sids)
{
    struct client_wt *w = t->wt;
    if (!w)
        return 0;
    outs[0] = &w->h3_out;
    sids[0] = w->h3_sid;
    outs[1] = &w->connect_out;
    sids[1] = w->h3_sid >= 0 ? WT_SESSION : -1;
    return 2;
}

int client_wt_own_stream(struct client_quic *t)
{
    uint8_t pre[16];
    if (!t->wt || t->up_out.offset > 0)
        return 0;
    return quicmsg_out_bytes(&t->up_out, pre, h3_wt_uni_preamble(WT_SESSION, pre));
}

int client_wt_preamble(struct client_quic_in *s, const uint8_t **data, size_t *len)
{
    if (s->skip == CLIENT_WT_IGNORED)
        return -1;
    while (s->skip > 0 && *len > 0) {
        size_t used;
        uint64_t v;
        int whole = h3_varint_take(&s->pre, *data, *len, &used, &v);
        *data += used;
        *len -= used;
        if (!whole)
            break;
        if ((s->skip == 2 && v != H3_STREAM_WT_UNI) || (s->skip == 1 && v != WT_SESSION)) {
            s->skip = CLIENT_WT_IGNORED; /* HTTP/3's control stream, QPACK's, another session */
            return -1;
        }
        s->skip--;
    }
    return s->skip == 0 ? 1 : s->skip == CLIENT_WT_IGNORED ? -1 : 0;
}

size_t client_wt_dgram_head(const struct client_quic *t, uint8_t *p)
{
    return t->wt ? h3_varint_put(p, WT_SESSION / 4) : 0;
}

int client_wt_dgram_open(const struct client_quic *t, const uint8_t **data, size_t *len)
{
    uint64_t qsid;
    if (!t->wt)
        return 0;
    return h3_datagram_open(*data, *len, &qsid, data, len) == 0 && qsid == WT_SESSION / 4 ? 0
                                                                                         : -1;
}
