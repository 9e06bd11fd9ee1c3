/* rtc_demux.h: what a datagram on a WebRTC port is, by its first byte
 * (RFC 7983, updated by RFC 9443): STUN, DTLS or anything else. Pure. */
#ifndef RICOCHET_RTC_DEMUX_H
#define RICOCHET_RTC_DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum rtc_demux_kind {
    RTC_DEMUX_OTHER = 0, /* empty, ZRTP, TURN channels, RTP/RTCP, QUIC, anything else */
    RTC_DEMUX_STUN,      /* first byte 0 to 3 */
    RTC_DEMUX_DTLS,      /* first byte 20 to 63 */
};

/* The kind of the datagram p[0..n). */
enum rtc_demux_kind rtc_demux(const uint8_t *p, size_t n);

#endif
