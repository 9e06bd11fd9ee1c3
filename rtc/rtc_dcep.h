/* rtc_dcep.h: the data channel establishment protocol (RFC 8832) and the
 * payload identifiers of data channel messages (RFC 8831 section 8): the
 * bytes of DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK, and what a channel's
 * type says about order and retransmissions. Pure. */
#ifndef RICOCHET_RTC_DCEP_H
#define RICOCHET_RTC_DCEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SCTP payload protocol identifiers */
#define RTC_DCEP_PPID_CONTROL 50
#define RTC_DCEP_PPID_STRING 51
#define RTC_DCEP_PPID_BINARY 53
#define RTC_DCEP_PPID_STRING_EMPTY 56
#define RTC_DCEP_PPID_BINARY_EMPTY 57

#define RTC_DCEP_OPEN 0x03
#define RTC_DCEP_ACK 0x02
#define RTC_DCEP_OPEN_HEADER 12

/* Channel types: bit 7 unordered; low bits reliable, partly reliable by
 * retransmissions, or by time. */
#define RTC_DCEP_RELIABLE 0x00
#define RTC_DCEP_REXMIT 0x01
#define RTC_DCEP_TIMED 0x02
#define RTC_DCEP_UNORDERED 0x80

struct rtc_dcep_open {
    uint8_t channel_type;
    uint16_t priority;
    uint32_t reliability;     /* retransmissions, or milliseconds of lifetime */
    const uint8_t *label;     /* into the message read, not NUL-terminated */
    uint16_t label_len;
    const uint8_t *protocol;
    uint16_t protocol_len;
};

/* Reads a DATA_CHANNEL_OPEN. Returns 0, or -1 if p[0..n) is not one (a
 * wrong type, an unknown channel type, lengths past the end). */
int rtc_dcep_read_open(const uint8_t *p, size_t n, struct rtc_dcep_open *out);

/* Writes a DATA_CHANNEL_OPEN. Returns its length, or 0 if cap is short. */
size_t rtc_dcep_write_open(uint8_t *buf, size_t cap, const struct rtc_dcep_open *open);

/* Whether p[0..n) is a DATA_CHANNEL_ACK. */
bool rtc_dcep_is_ack(const uint8_t *p, size_t n);

/* Whether a channel of this type keeps order, and whether it retransmits
 * until delivered. */
bool rtc_dcep_ordered(uint8_t channel_type);
bool rtc_dcep_reliable(uint8_t channel_type);

/* The PPID for a message of len bytes, text or binary (an empty one goes
 * as one byte under an "empty" PPID). */
uint32_t rtc_dcep_ppid(bool binary, size_t len);

/* What a received PPID carries: 1 a message (*binary, *empty set), 0
 * DCEP, -1 an identifier data channels do not use. */
int rtc_dcep_ppid_kind(uint32_t ppid, bool *binary, bool *empty);

#endif
