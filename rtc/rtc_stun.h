/* rtc_stun.h: STUN (RFC 8489) as ICE-lite (RFC 8445) needs it: binding
 * requests read and checked with the short-term credentials of the SDP
 * (USERNAME, MESSAGE-INTEGRITY with HMAC-SHA1, FINGERPRINT), and binding
 * success responses written (XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY,
 * FINGERPRINT); requests for a client that checks a lite endpoint too.
 *
 * The relay answers only a request whose MESSAGE-INTEGRITY holds: a
 * stranger gets nothing. A request it answers carries USERNAME (at least
 * RTC_STUN_UFRAG_MIN + 1 + RTC_STUN_UFRAG_MIN bytes), PRIORITY,
 * ICE-CONTROLLING, MESSAGE-INTEGRITY and FINGERPRINT: at least
 * RTC_STUN_CHECK_MIN bytes, more than the longest answer
 * (RTC_STUN_ANSWER_MAX), so no answer is longer than what it answers.
 * Pure: no I/O, no clock; HMAC-SHA1 from OpenSSL. */
#ifndef RICOCHET_RTC_STUN_H
#define RICOCHET_RTC_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/netaddr.h"

#define RTC_STUN_HEADER 20
#define RTC_STUN_TXID 12
#define RTC_STUN_COOKIE 0x2112A442u
#define RTC_STUN_BINDING_REQUEST 0x0001
#define RTC_STUN_BINDING_SUCCESS 0x0101
#define RTC_STUN_BINDING_ERROR 0x0111
#define RTC_STUN_USERNAME_MAX 513 /* RFC 8489: under 513 bytes */
#define RTC_STUN_UFRAG_MIN 4      /* RFC 8839: ice-ufrag is 4 to 256 characters */
/* The shortest binding request the relay answers (see above) and the
 * longest answer (an IPv6 XOR-MAPPED-ADDRESS). */
#define RTC_STUN_CHECK_MIN (RTC_STUN_HEADER + 4 + 12 + 8 + 12 + 24 + 8)
#define RTC_STUN_ANSWER_MAX (RTC_STUN_HEADER + 24 + 24 + 8)
#define RTC_STUN_MSG_MAX 548      /* what the relay reads at most (RFC 8489's floor) */

/* Why a datagram is not a usable STUN message. */
enum rtc_stun_fault {
    RTC_STUN_OK = 0,
    RTC_STUN_SHORT,        /* under 20 bytes, or the length field past the end */
    RTC_STUN_NOT_STUN,     /* top bits, magic cookie or length not a multiple of 4 */
    RTC_STUN_BAD_ATTR,     /* an attribute past the end, or of a wrong size */
    RTC_STUN_BAD_FINGERPRINT,
};

/* A message read in place: pointers into the caller's buffer. */
struct rtc_stun_msg {
    uint16_t type;
    uint8_t txid[RTC_STUN_TXID];
    const uint8_t *username;     /* NULL if absent */
    size_t username_len;
    bool has_priority, use_candidate, controlling, controlled;
    uint32_t priority;
    uint64_t tiebreaker;         /* of ICE-CONTROLLING or ICE-CONTROLLED */
    bool has_mapped;
    union netaddr mapped;        /* XOR-MAPPED-ADDRESS, decoded */
    size_t integrity_at;         /* offset of MESSAGE-INTEGRITY; 0 if absent */
    bool has_fingerprint;        /* present, and right (else the parse fails) */
    size_t len;                  /* the message's length (header included) */
};

/* Reads the STUN message at p[0..n). Attributes after MESSAGE-INTEGRITY
 * other than FINGERPRINT are ignored, as RFC 8489 asks; unknown ones too.
 * A FINGERPRINT present must be right. Returns RTC_STUN_OK or the fault. */
enum rtc_stun_fault rtc_stun_parse(const uint8_t *p, size_t n, struct rtc_stun_msg *m);

/* Whether m (parsed from p) carries a MESSAGE-INTEGRITY that key (the
 * short-term password, key_len bytes) signs. Constant time in the tag. */
bool rtc_stun_integrity_ok(const uint8_t *p, const struct rtc_stun_msg *m, const uint8_t *key,
                           size_t key_len);

/* Whether m's USERNAME is exactly "local:remote" (the answerer's ufrag
 * first, as a check to it is written). */
bool rtc_stun_username_is(const struct rtc_stun_msg *m, const char *local, const char *remote);

/* Appends MESSAGE-INTEGRITY (under key) and FINGERPRINT to the message of
 * len bytes at buf, whose header is written, fixing its length field.
 * Returns the new length, or 0 if cap is too small. */
size_t rtc_stun_sign(uint8_t *buf, size_t len, size_t cap, const uint8_t *key, size_t key_len);

/* Writes the binding success response to txid: XOR-MAPPED-ADDRESS of
 * mapped, MESSAGE-INTEGRITY under key, FINGERPRINT. Returns its length (at
 * most RTC_STUN_ANSWER_MAX), or 0 if cap is too small. */
size_t rtc_stun_write_success(uint8_t *buf, size_t cap, const uint8_t txid[RTC_STUN_TXID],
                              const union netaddr *mapped, const uint8_t *key, size_t key_len);

/* What a check carries. */
struct rtc_stun_check {
    const char *username;        /* "remote ufrag:local ufrag" */
    uint32_t priority;
    uint64_t tiebreaker;
    bool controlled;             /* ICE-CONTROLLED rather than ICE-CONTROLLING */
    bool use_candidate;
};

/* Writes a binding request (a connectivity check: USERNAME, PRIORITY,
 * ICE-CONTROLLING or ICE-CONTROLLED, USE-CANDIDATE if asked,
 * MESSAGE-INTEGRITY under key, FINGERPRINT). Returns its length, or 0 if cap
 * is too small or the username too long. */
size_t rtc_stun_write_check(uint8_t *buf, size_t cap, const uint8_t txid[RTC_STUN_TXID],
                            const struct rtc_stun_check *check, const uint8_t *key,
                            size_t key_len);

/* CRC-32 (ISO-HDLC, the polynomial of zlib and Ethernet) of p[0..n). */
uint32_t rtc_stun_crc32(const uint8_t *p, size_t n);

#endif
