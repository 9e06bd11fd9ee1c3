/* rtc_session.h: one WebRTC peer of the relay, from its offer to its end:
 * the ICE-lite side of its connectivity checks, then DTLS, then SCTP and
 * its data channels. Datagrams come in as bytes with the time (the caller
 * owns the socket, routes each datagram to its session and sends what the
 * session gives back); channel messages go out as bytes.
 *
 * What a session keeps grows with proof: made from an offer (its ICE
 * credentials, the peer's fingerprint: no DTLS or SCTP state), it answers
 * checks that carry its password; a DTLS association exists only once
 * the peer, at an address a check came from, returned a cookie; SCTP only
 * once DTLS is up. Every answer to an address not yet proven (a check's
 * answer, a HelloVerifyRequest) is shorter than what it answers.
 *
 * A session ends (ops->ended, once) when checks stop for consent_us (RFC
 * 7675's 30 s), when DTLS and SCTP are not up within handshake_us of the
 * first check, when no check comes within pending_us of the offer, or
 * when DTLS or SCTP ends. Nothing may be freed from inside a callback. */
#ifndef RICOCHET_RTC_SESSION_H
#define RICOCHET_RTC_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/netaddr.h"
#include "rtc/rtc_dtls.h"
#include "rtc/rtc_sctp.h"
#include "rtc/rtc_sdp.h"
#include "rtc/rtc_stun.h"

#define RTC_SESSION_UFRAG_MAX 16
#define RTC_SESSION_PWD_MAX 32

/* What every session of a relay shares. */
struct rtc_session_config {
    struct rtc_dtls_ctx *dtls;  /* a server context: the certificate and cookies */
    uint16_t sctp_port;         /* this side's a=sctp-port */
    uint32_t max_message;       /* the largest message taken (a=max-message-size) */
    unsigned channels_max;      /* channels a peer may open */
    uint32_t sctp_buffer;       /* SCTP send and receive buffer, bytes */
    uint64_t pending_us;        /* offer to first check */
    uint64_t handshake_us;      /* first check to SCTP up */
    uint64_t consent_us;        /* between checks */
    struct rtc_sctp_counters *sctp_counters; /* where every session's SCTP counts; NULL: apart */
};

enum rtc_session_state {
    RTC_SESSION_WAITING = 0,    /* answered an offer; no check yet */
    RTC_SESSION_CHECKED,        /* checks answered; no DTLS yet */
    RTC_SESSION_HANDSHAKE,      /* DTLS under way */
    RTC_SESSION_CONNECTED,      /* DTLS up, SCTP under way */
    RTC_SESSION_OPEN,           /* SCTP up: channels and messages */
    RTC_SESSION_ENDED,
};

enum rtc_session_end {
    RTC_END_NONE = 0,
    RTC_END_NO_CHECK,           /* no check within pending_us of the offer */
    RTC_END_HANDSHAKE_TIMEOUT,  /* DTLS and SCTP not up within handshake_us */
    RTC_END_CONSENT,            /* no check for consent_us */
    RTC_END_DTLS_FAILED,        /* a fatal alert, or not the offer's certificate */
    RTC_END_DTLS_CLOSED,        /* the peer's close_notify */
    RTC_END_SCTP_CLOSED,        /* the association aborted, shut down or failed */
    RTC_END_OUT_OF_MEMORY,
};

/* Why a check is refused (nothing is answered). */
enum rtc_session_refusal {
    RTC_CHECK_OK = 0,
    RTC_CHECK_INTEGRITY,        /* MESSAGE-INTEGRITY missing or not under the session's password */
    RTC_CHECK_MALFORMED,        /* not a binding request with PRIORITY, ICE-CONTROLLING, FINGERPRINT */
    RTC_CHECK_ENDED,
};

struct rtc_session_ops {
    void (*send)(void *ctx, const union netaddr *to, const uint8_t *data, size_t len);
    void (*open)(void *ctx);    /* SCTP is up: the peer's channels follow */
    void (*channel)(void *ctx, const struct rtc_sctp_channel *ch);
    void (*channel_closed)(void *ctx, uint16_t sid);
    void (*message)(void *ctx, uint16_t sid, bool binary, const uint8_t *data, size_t len);
    void (*ended)(void *ctx, enum rtc_session_end why);
};

struct rtc_session;

/* A session for offer (parsed and checked), with this side's ICE
 * credentials (ice-chars, copied). cfg must outlive it. NULL when out of
 * memory or the credentials are too long. */
struct rtc_session *rtc_session_new(const struct rtc_session_config *cfg,
                                    const struct rtc_sdp *offer, const char *ufrag,
                                    const char *pwd, const struct rtc_session_ops *ops, void *ctx,
                                    uint64_t now_us);

const char *rtc_session_ufrag(const struct rtc_session *s);
const char *rtc_session_pwd(const struct rtc_session *s);

/* A STUN message from `from` whose USERNAME names this session (m parsed
 * from p[0..n)): if it is a check under the session's password, answers it
 * (never with more bytes than n). Before DTLS, `from` becomes the peer's
 * address when it nominates itself (USE-CANDIDATE) or none was yet; once
 * DTLS runs, a nomination from elsewhere is first probed with a check of
 * the session's own (no longer than n), and followed when answered. */
enum rtc_session_refusal rtc_session_check(struct rtc_session *s, const union netaddr *from,
                                           const uint8_t *p, size_t n,
                                           const struct rtc_stun_msg *m, uint64_t now_us);

/* A STUN answer from `from` (an address a check of this session came
 * from): the answer to the session's probe moves DTLS and SCTP there. */
void rtc_session_answer(struct rtc_session *s, const union netaddr *from, const uint8_t *p,
                        const struct rtc_stun_msg *m);

/* A DTLS datagram from `from`, an address a check of this session came
 * from. Returns the state after. */
enum rtc_session_state rtc_session_dtls(struct rtc_session *s, const union netaddr *from,
                                        const uint8_t *p, size_t n, uint64_t now_us);

/* One message on channel sid. Returns 0, or -1 (not open, no such
 * channel, too long, send buffer full). */
int rtc_session_send(struct rtc_session *s, uint16_t sid, bool binary, const uint8_t *data,
                     size_t len);

/* Chunks of messages not yet acknowledged by the peer (rtc_sctp_unsent;
 * 0 unless open). */
unsigned rtc_session_unsent(const struct rtc_session *s);

/* Closes channel sid (its stream reset; the peer sees it closed). */
void rtc_session_close_channel(struct rtc_session *s, uint16_t sid);

/* When rtc_session_timers is next due, as of now_us (UINT64_MAX: never). */
uint64_t rtc_session_due(struct rtc_session *s, uint64_t now_us);

/* Ends the session if a deadline passed; lets DTLS's timer fire. */
void rtc_session_timers(struct rtc_session *s, uint64_t now_us);

/* Ends it from this side: SCTP's ABORT and DTLS's close_notify go out; no
 * ended callback. */
void rtc_session_close(struct rtc_session *s);

void rtc_session_free(struct rtc_session *s);

enum rtc_session_state rtc_session_state(const struct rtc_session *s);
enum rtc_session_end rtc_session_end(const struct rtc_session *s);

/* Where DTLS and SCTP go: the nominated address (or the first checked). */
const union netaddr *rtc_session_peer(const struct rtc_session *s);

/* The association's counters (NULL before SCTP). */
const struct rtc_sctp_counters *rtc_session_sctp_counters(const struct rtc_session *s);

/* A word for an end ("consent"). */
const char *rtc_session_end_name(enum rtc_session_end why);

#endif
