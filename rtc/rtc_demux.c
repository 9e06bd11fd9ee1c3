/* rtc_demux.c: RFC 7983's first-byte ranges (see rtc_demux.h). */
#include "rtc_demux.h"

enum rtc_demux_kind rtc_demux(const uint8_t *p, size_t n)
{
    if (n == 0)
        return RTC_DEMUX_OTHER;
    if (p[0] <= 3)
        return RTC_DEMUX_STUN;
    if (p[0] >= 20 && p[0] <= 63)
        return RTC_DEMUX_DTLS;
    return RTC_DEMUX_OTHER;
}
