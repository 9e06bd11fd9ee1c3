/* rtc_peer.h: a WebRTC client of the rtc/ modules: the full-ICE,
 * controlling, DTLS-client side of what relay/webrtc/rtc_host.h serves,
 * which libricochet's WebRTC transport, the tests and rtc-cost run. It
 * writes an offer, reads the answer,
 * checks the relay's candidate (nominating it) until answered, answers the
 * relay's own checks, runs DTLS and SCTP, and opens the channels the play
 * page opens (PROTOCOL.md, "WebRTC data channels"): "control" (ordered,
 * reliable), "unsequenced" and "sequenced" (each unordered, maxRetransmits
 * 0), or those of them asked for. Datagrams in and out as bytes with the
 * time, like the host; the caller owns the socket. One thread. */
#ifndef RICOCHET_RTC_PEER_H
#define RICOCHET_RTC_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/netaddr.h"

#define RTC_PEER_CONTROL 0    /* "control"'s stream id */
#define RTC_PEER_STATE 2      /* "unsequenced"'s */
#define RTC_PEER_SEQUENCED 4  /* "sequenced"'s */
/* rtc_peer_channels' bits: which of the three it opens */
#define RTC_PEER_OPEN_CONTROL 1u
#define RTC_PEER_OPEN_STATE 2u
#define RTC_PEER_OPEN_SEQUENCED 4u
#define RTC_PEER_OPEN_ALL 7u
#define RTC_PEER_CHECK_US 50000 /* checks every 50 ms until one is answered, then every 5 s */

struct rtc_peer_ops {
    void (*send)(void *ctx, const union netaddr *to, const uint8_t *data, size_t len);
    void (*open)(void *ctx);  /* its channels acknowledged */
    void (*message)(void *ctx, uint16_t sid, bool binary, const uint8_t *data, size_t len);
    void (*closed)(void *ctx); /* DTLS or SCTP ended */
};

struct rtc_peer;

/* A peer whose offer names self as its host candidate. NULL with a
 * one-line message in err. */
struct rtc_peer *rtc_peer_new(const union netaddr *self, const struct rtc_peer_ops *ops, void *ctx,
                              char *err, size_t err_cap);
void rtc_peer_free(struct rtc_peer *p);

/* Which of the three channels it opens once SCTP is up (RTC_PEER_OPEN_*
 * bits; RTC_PEER_OPEN_ALL unless told). Before rtc_peer_answer. */
void rtc_peer_channels(struct rtc_peer *p, unsigned which);

/* Opens one more channel on stream sid (even: the DTLS client's), labelled
 * label: reliable and ordered, or unordered with maxRetransmits 0. Once
 * open. Returns 0, or -1. */
int rtc_peer_open(struct rtc_peer *p, uint16_t sid, bool reliable, const char *label);

/* Forgets the relay's a=max-message-size: messages of any length go out
 * (what a hostile client may send). Once open. */
void rtc_peer_unlimited(struct rtc_peer *p);

/* Appends the DTLS session's secret to the key log at path
 * (rtc_dtls_ctx_keylog: for netsim's --keylog and Wireshark, on a network
 * under test only). Before rtc_peer_answer. Returns 0, or -1 with a
 * one-line message in err. */
int rtc_peer_keylog(struct rtc_peer *p, const char *path, char *err, size_t err_cap);

/* Chunks of this side's messages not yet acknowledged (0 before SCTP is
 * up): a polite close waits for 0. */
unsigned rtc_peer_unsent(const struct rtc_peer *p);

/* Channels the relay closed (their streams reset). */
unsigned rtc_peer_channels_closed(const struct rtc_peer *p);

/* The offer (NUL-terminated). */
const char *rtc_peer_offer(const struct rtc_peer *p);

/* Reads the relay's answer and starts checking its candidate. Returns 0,
 * or -1 with a one-line message. */
int rtc_peer_answer(struct rtc_peer *p, const char *answer, size_t len, uint64_t now_us,
                    char *err, size_t err_cap);

/* The relay's candidate, where everything goes (NULL before the answer). */
const union netaddr *rtc_peer_remote(const struct rtc_peer *p);

/* One datagram from the relay. */
void rtc_peer_input(struct rtc_peer *p, const union netaddr *from, const uint8_t *data, size_t len,
                    uint64_t now_us);

/* Checks, DTLS retransmissions (SCTP's timers are rtc_sctp_timers'). */
void rtc_peer_timers(struct rtc_peer *p, uint64_t now_us);
uint64_t rtc_peer_due(const struct rtc_peer *p);

/* One message on channel sid. Returns 0, or -1. */
int rtc_peer_send(struct rtc_peer *p, uint16_t sid, bool binary, const uint8_t *data, size_t len);

/* Sends a nominating check now (the caller may send it from elsewhere). */
void rtc_peer_nominate(struct rtc_peer *p);

bool rtc_peer_is_open(const struct rtc_peer *p);
bool rtc_peer_is_closed(const struct rtc_peer *p);
/* Checks the relay answered, and checks of the relay's this peer answered. */
unsigned rtc_peer_checks_answered(const struct rtc_peer *p);
unsigned rtc_peer_probes_answered(const struct rtc_peer *p);

#endif
