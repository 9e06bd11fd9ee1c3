/* rtc_dtls.h: DTLS 1.2 for WebRTC (RFC 8827, 8842) on OpenSSL, with the
 * caller owning the socket: datagrams go in as bytes and come out through
 * a callback, one record a datagram, never over RTC_DTLS_MTU bytes.
 *
 * A context holds a fresh self-signed certificate (ECDSA P-256) and its
 * SHA-256 fingerprint for the SDP. Peers authenticate by fingerprint
 * alone: the certificate the peer shows must hash to the one its SDP
 * named, or the handshake fails.
 *
 * A server keeps no state per peer until the peer proves it receives at
 * its address: its first ClientHello is answered statelessly with a
 * HelloVerifyRequest (a cookie keyed by the context's secret and the
 * caller's name for the peer; shorter than any ClientHello), and only a
 * ClientHello carrying a valid cookie makes an association
 * (rtc_dtls_listen). OpenSSL's retransmission timer reads the system's
 * clock itself; rtc_dtls_timeout_us says how long until it fires. */
#ifndef RICOCHET_RTC_DTLS_H
#define RICOCHET_RTC_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTC_DTLS_MTU 1200           /* bytes of a datagram at most (IPv6's 1280 minus headers) */
#define RTC_DTLS_FINGERPRINT 32     /* SHA-256 */
#define RTC_DTLS_FINGERPRINT_TEXT 96 /* "AB:CD:...": 32 pairs and colons, NUL included */
#define RTC_DTLS_PEER_ID_MAX 64     /* bytes naming a peer for its cookie */
/* What a record adds to its payload at most, with the AEAD suites allowed
 * (header 13, explicit nonce 8, tag 16): SCTP packets stay under
 * RTC_DTLS_MTU - RTC_DTLS_OVERHEAD. */
#define RTC_DTLS_OVERHEAD 37

struct rtc_dtls_ctx;
struct rtc_dtls;

enum rtc_dtls_state {
    RTC_DTLS_HANDSHAKE = 0,
    RTC_DTLS_CONNECTED,
    RTC_DTLS_CLOSED,  /* the peer's close_notify, or rtc_dtls_close */
    RTC_DTLS_FAILED,  /* a fatal alert, or the peer's certificate was not the expected one */
};

/* Where an association's output goes: datagrams for the peer, and the
 * application data it decrypted (one record each call). */
struct rtc_dtls_io {
    void (*send)(void *ctx, const uint8_t *data, size_t len);
    void (*data)(void *ctx, const uint8_t *data, size_t len);
    void *ctx;
};

/* A context for one role with a new certificate (valid from a day ago for
 * 30 days) and a random cookie secret. Returns NULL with a one-line
 * message in err. */
struct rtc_dtls_ctx *rtc_dtls_ctx_new(bool server, char *err, size_t err_cap);
void rtc_dtls_ctx_free(struct rtc_dtls_ctx *c);

/* The certificate's SHA-256 fingerprint, as the SDP writes it
 * ("AB:CD:..."), and as bytes. */
const char *rtc_dtls_ctx_fingerprint(const struct rtc_dtls_ctx *c);
const uint8_t *rtc_dtls_ctx_fingerprint_bytes(const struct rtc_dtls_ctx *c);

/* Appends each new session's secret to the file at path, one line a
 * session in NSS's key log format (SSLKEYLOGFILE: "CLIENT_RANDOM <client
 * random> <master secret>", hex), written before the keys are used: with
 * it, netsim's --keylog and Wireshark read the records. Only for a network
 * under test: whoever reads the file reads the sessions. Returns 0, or -1
 * with a one-line message in err. */
int rtc_dtls_ctx_keylog(struct rtc_dtls_ctx *c, const char *path, char *err, size_t err_cap);

enum rtc_dtls_listen {
    RTC_DTLS_LISTEN_DROPPED = 0, /* not a ClientHello, or a cookie that does not verify */
    RTC_DTLS_LISTEN_VERIFY,      /* answered with a HelloVerifyRequest through io->send */
    RTC_DTLS_LISTEN_ACCEPTED,    /* *out: a new association, its handshake under way */
};

/* Server: one datagram from a peer without an association, which the
 * caller names by peer_id (id_len bytes, at most RTC_DTLS_PEER_ID_MAX: its
 * address and whatever else must match for its cookie). On ACCEPTED, *out
 * is the association (the caller frees it), expecting a certificate with
 * fingerprint fp, speaking through io. */
enum rtc_dtls_listen rtc_dtls_listen(struct rtc_dtls_ctx *c, const uint8_t *peer_id,
                                     size_t id_len, const uint8_t *data, size_t len,
                                     const uint8_t fp[RTC_DTLS_FINGERPRINT],
                                     const struct rtc_dtls_io *io, struct rtc_dtls **out);

/* Client: a new association that sends its ClientHello through io at
 * once. NULL when out of memory. */
struct rtc_dtls *rtc_dtls_connect(struct rtc_dtls_ctx *c, const uint8_t fp[RTC_DTLS_FINGERPRINT],
                                  const struct rtc_dtls_io *io);

/* One datagram from the peer: handshake progress, answers through
 * io->send, application data through io->data. Returns the state after. */
enum rtc_dtls_state rtc_dtls_input(struct rtc_dtls *d, const uint8_t *data, size_t len);

/* Sends len bytes as one record (connected only; len at most RTC_DTLS_MTU
 * - RTC_DTLS_OVERHEAD). Returns 0, or -1. */
int rtc_dtls_write(struct rtc_dtls *d, const uint8_t *data, size_t len);

enum rtc_dtls_state rtc_dtls_state(const struct rtc_dtls *d);

/* Microseconds until the handshake's retransmission timer fires (0: it
 * has), UINT64_MAX if none runs. */
uint64_t rtc_dtls_timeout_us(struct rtc_dtls *d);

/* Lets the timer fire if it is due (a flight sent again). */
void rtc_dtls_on_timeout(struct rtc_dtls *d);

/* Sends close_notify (once, if connected); the state becomes CLOSED. */
void rtc_dtls_close(struct rtc_dtls *d);

void rtc_dtls_free(struct rtc_dtls *d);

/* Why the last failure happened, for a log line ("" if none). */
const char *rtc_dtls_why(const struct rtc_dtls *d);

#endif
