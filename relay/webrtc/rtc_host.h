/* rtc_host.h: the WebRTC edge's sessions behind one UDP socket, without the
 * socket: offers answered (signalling calls rtc_host_answer, whether it
 * came as an HTTP POST in the manner of WHIP or as a message on another
 * edge), datagrams routed to their sessions by STUN's USERNAME or by
 * source address, datagrams and channel messages given back through
 * callbacks, the time passed in.
 *
 * Memory is bounded before any proof: a session exists only for an offer
 * answered (max_sessions at most, a ticket checked first when keys are
 * given: a refused offer keeps nothing), and the addresses a session
 * answers are those its checks came from (RTC_HOST_ADDRS at most, the
 * oldest replaced). A datagram from any other address costs nothing: no
 * answer to STUN that names no session or fails its password, no DTLS
 * state for an address no check came from. Each is counted and dropped.
 *
 * One thread makes every call (usrsctp's callbacks run inside them; see
 * rtc_sctp.h). Callbacks may call rtc_host_send and rtc_host_close; a
 * session closed inside one is freed when the outer call returns. */
#ifndef RICOCHET_RTC_HOST_H
#define RICOCHET_RTC_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/ticket.h"
#include "sys/netaddr.h"
#include "rtc/rtc_sctp.h"
#include "rtc_session.h"

#define RTC_HOST_ADDRS 4            /* addresses a session answers at once */
#define RTC_HOST_SESSIONS_MAX 65536 /* max_sessions at most (the ufrag holds a slot in 24 bits) */
#define RTC_HOST_TICK_US 100000     /* sessions' deadlines are looked at this often */

struct rtc_host_config {
    union netaddr advertise;        /* the host candidate written in answers */
    unsigned max_sessions;          /* sessions at once, from offer to end */
    uint32_t max_message;           /* a=max-message-size: the largest message taken */
    unsigned channels_max;          /* channels a peer may open */
    uint32_t sctp_buffer;           /* SCTP send and receive buffer per session, bytes */
    uint64_t pending_ms;            /* offer to first check */
    uint64_t handshake_ms;          /* first check to SCTP up */
    uint64_t consent_ms;            /* between checks (RFC 7675: 30 s) */
    const struct ticket_key *keys;  /* n_keys > 0: an offer needs a ticket these open */
    size_t n_keys;
    struct ticket_self self;        /* the relay, as tickets name it */
};

/* The defaults: 1024 sessions, 16384-byte messages, 4 channels, 256 KiB
 * buffers, 10 s to the first check, 10 s to SCTP, 30 s between checks. */
void rtc_host_default_config(struct rtc_host_config *cfg);

/* What the edge hears; slot is the session's handle, 0..max_sessions-1. */
struct rtc_host_ops {
    void (*send)(void *ctx, const union netaddr *to, const uint8_t *data, size_t len);
    void (*open)(void *ctx, unsigned slot);
    void (*channel)(void *ctx, unsigned slot, const struct rtc_sctp_channel *ch);
    void (*channel_closed)(void *ctx, unsigned slot, uint16_t sid);
    void (*message)(void *ctx, unsigned slot, uint16_t sid, bool binary, const uint8_t *data,
                    size_t len);
    void (*ended)(void *ctx, unsigned slot, enum rtc_session_end why); /* the slot is free after */
};

/* Why an offer is refused (rtc_host_answer's negative returns). */
enum rtc_host_refusal {
    RTC_REFUSED_OFFER = -1,         /* the SDP does not read, or asks what the relay lacks */
    RTC_REFUSED_TICKET = -2,        /* missing, malformed, expired or not for this relay */
    RTC_REFUSED_FULL = -3,          /* max_sessions live */
    RTC_REFUSED_NO_ROOM = -4,       /* the answer does not fit the caller's buffer */
};

struct rtc_host_counters {
    uint64_t offers, answered, refused_offer, refused_ticket, refused_full;
    uint64_t stun_in, stun_answered;
    uint64_t stun_malformed;        /* not STUN, or FINGERPRINT wrong */
    uint64_t stun_unknown;          /* USERNAME names no session */
    uint64_t stun_integrity;        /* MESSAGE-INTEGRITY missing or wrong */
    uint64_t stun_not_check;        /* a request that is not a controlling agent's check */
    uint64_t stun_answers_in;       /* answers to the relay's own checks */
    uint64_t dtls_in;
    uint64_t dtls_unverified;       /* from an address no check came from */
    uint64_t other;                 /* neither STUN nor DTLS (RFC 7983) */
    uint64_t ended[RTC_END_OUT_OF_MEMORY + 1]; /* sessions ended, by reason */
    uint64_t closed;                /* sessions the edge closed */
    struct rtc_sctp_counters sctp;  /* every session's: oversize, opens refused, ... */
};

struct rtc_host;

/* A host with a new certificate; starts usrsctp for the process. NULL
 * with a one-line message in err. */
struct rtc_host *rtc_host_new(const struct rtc_host_config *cfg, const struct rtc_host_ops *ops,
                              void *ctx, uint64_t now_us, char *err, size_t err_cap);

/* Closes every session (no ended callbacks) and frees the host. */
void rtc_host_free(struct rtc_host *h);

/* The certificate's fingerprint, as answers carry it. */
const char *rtc_host_fingerprint(const struct rtc_host *h);

/* Answers offer[0..len): checks pass (the ticket's pass text; NULL if none
 * came) against the keys at unix_s when keys are configured, then makes a
 * session and writes its answer (NUL-terminated) into out. Returns the
 * answer's length with *slot set (and *claims when a ticket was checked
 * and claims is not NULL), or an enum rtc_host_refusal with a one-line
 * reason in why. */
int rtc_host_answer(struct rtc_host *h, const char *offer, size_t len, const char *pass,
                    uint64_t now_us, uint64_t unix_s, char *out, size_t cap, unsigned *slot,
                    struct ticket_claims *claims, char *why, size_t why_cap);

/* One datagram from `from`. */
void rtc_host_input(struct rtc_host *h, const union netaddr *from, const uint8_t *data,
                    size_t len, uint64_t now_us);

/* One message on a session's channel sid. Returns 0, or -1. */
int rtc_host_send(struct rtc_host *h, unsigned slot, uint16_t sid, bool binary,
                  const uint8_t *data, size_t len);

/* Closes a session from this side (SCTP's ABORT and DTLS's close_notify
 * go out); no ended callback; the slot is free after (from inside a
 * callback: the session is gone at once, its association closed and its
 * slot free once the outer call returns). */
void rtc_host_close(struct rtc_host *h, unsigned slot);

/* Closes a session's channel sid (refused: its stream is reset, the peer
 * sees it closed); the session goes on. */
void rtc_host_close_channel(struct rtc_host *h, unsigned slot, uint16_t sid);

/* Chunks of a session's messages not yet acknowledged (0 once all
 * arrived, or for a session not open): a close waits for 0. */
unsigned rtc_host_unsent(const struct rtc_host *h, unsigned slot);

/* When a DTLS datagram from a session's peer last came (0: none yet): its
 * acknowledgements (SCTP's SACKs) ride in them. */
uint64_t rtc_host_heard(const struct rtc_host *h, unsigned slot);

/* Where a session's DTLS and SCTP go (its nominated address), or NULL. */
const union netaddr *rtc_host_peer(const struct rtc_host *h, unsigned slot);

/* When rtc_host_timers is next due (UINT64_MAX: no session). */
uint64_t rtc_host_due(const struct rtc_host *h);

/* Sessions' deadlines and DTLS retransmissions, and usrsctp's timers. */
void rtc_host_timers(struct rtc_host *h, uint64_t now_us);

/* Sessions alive (from offer to end). */
unsigned rtc_host_sessions(const struct rtc_host *h);

/* A session's state, or RTC_SESSION_ENDED for a free slot. */
enum rtc_session_state rtc_host_session_state(const struct rtc_host *h, unsigned slot);

const struct rtc_host_counters *rtc_host_counters(const struct rtc_host *h);

#endif
