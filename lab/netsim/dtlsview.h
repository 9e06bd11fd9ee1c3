/* dtlsview.h: the states inside a WebRTC flow, for ricochet-netsim
 * --drop-log: its DTLS records opened with the session's secret from a key
 * log, the SCTP packets inside read for their data channels' messages, each
 * message read as a datagram would be (statescan.h). So the drop log names
 * every state a data channel carried, as it names ENet's, and the bench's
 * audit explains each lost one.
 *
 * The key log is the file NSS's SSLKEYLOGFILE format defines, which
 * OpenSSL writes (rtc_dtls_ctx_keylog) and Wireshark reads: a line
 * "CLIENT_RANDOM <32 bytes, hex> <48 bytes, hex>" per session (and, for
 * QUIC's TLS 1.3, the traffic secrets' lines: dtlsview_keylog_secret). A flow's
 * ClientHello and ServerHello give its randoms and cipher suite (DTLS 1.2
 * with ECDHE-ECDSA-AES128-GCM-SHA256, which browsers and ricochet's peers
 * ask for first; a flow of another suite stays unread, counted); its keys
 * are derived from the secret (RFC 5246's PRF) once its client random is
 * in the log, which is read again whenever a flow needs a session it does
 * not hold yet. Records are opened with OpenSSL's ciphers;
 * nothing here is a cipher.
 *
 * Inside, an SCTP packet's DATA (or I-DATA) chunks: a data channel's open
 * (DCEP, RFC 8832) names its label, and a whole binary message on it is
 * read as a datagram. Each state is given the ENet channel and kind its
 * channel's label stands for (docs/design.md, "Browsers"): `unsequenced`
 * channel 1, `sequenced` channel 2, both unsequenced; `control` channel 2,
 * reliable. A channel whose open netsim did not see is read as
 * unsequenced on channel 1.
 *
 * Pure but for reading the key log: datagrams in, states out. */
#ifndef RICOCHET_DTLSVIEW_H
#define RICOCHET_DTLSVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "statescan.h"

#define DTLSVIEW_CHANNELS 16   /* data channels remembered a flow */
#define DTLSVIEW_RANDOM 32
#define DTLSVIEW_SECRET 48

/* A key log's sessions, read from its file as it grows. */
struct dtlsview_keylog;

/* The secret of label ("CLIENT_RANDOM"; QUIC's "CLIENT_TRAFFIC_SECRET_0"
 * and "SERVER_TRAFFIC_SECRET_0", which quicview.h reads) for a session's
 * client random into out (cap bytes), the file read again when it is not
 * there yet. Returns its length (32 or 48), or 0: none (k NULL, or a
 * label not kept). */
size_t dtlsview_keylog_secret(struct dtlsview_keylog *k, const char *label,
                              const uint8_t random[DTLSVIEW_RANDOM], uint8_t *out, size_t cap);

/* Opens path (it may not exist yet: a session's line comes later).
 * Returns NULL with a one-line message when out of memory. */
struct dtlsview_keylog *dtlsview_keylog_open(const char *path, char *err, size_t err_cap);
void dtlsview_keylog_free(struct dtlsview_keylog *k);

/* One flow: zeroed to start, fed each datagram of both directions. */
struct dtlsview_flow {
    uint8_t client_random[DTLSVIEW_RANDOM], server_random[DTLSVIEW_RANDOM];
    bool have_client, have_server;
    uint16_t suite;            /* the ServerHello's cipher suite */
    bool keyed;                /* the keys below are derived */
    uint8_t key[2][16], iv[2][4]; /* [0] what the client writes, [1] the server */
    uint32_t n_channels;
    struct { uint16_t sid; uint8_t channel, kind; } channels[DTLSVIEW_CHANNELS];
    uint64_t unread;           /* application records not opened (no key, a bad tag) */
};

/* One datagram of the flow, sent by the DTLS client (from_client: the
 * WebRTC client; the relay is always the server) or the server. Fills
 * out[0..min(states, STATESCAN_MAX)) as statescan_datagram does; result
 * .malformed when a record or a packet does not read, .peer -1. */
struct statescan_result dtlsview_datagram(struct dtlsview_flow *f, struct dtlsview_keylog *k,
                                          bool from_client, const uint8_t *buf, size_t len,
                                          struct statescan_ref out[STATESCAN_MAX]);

#endif
