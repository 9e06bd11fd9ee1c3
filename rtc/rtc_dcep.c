/* rtc_dcep.c: DCEP messages and payload identifiers (see rtc_dcep.h). */
#include "rtc_dcep.h"
#include "proto/byteorder.h"

#include <string.h>

static bool known_type(uint8_t t)
{
    return (t & 0x7F) <= RTC_DCEP_TIMED;
}

int rtc_dcep_read_open(const uint8_t *p, size_t n, struct rtc_dcep_open *out)
{
    memset(out, 0, sizeof *out);
    if (n < RTC_DCEP_OPEN_HEADER || p[0] != RTC_DCEP_OPEN || !known_type(p[1]))
        return -1;
    out->channel_type = p[1];
    out->priority = (uint16_t)(p[2] << 8 | p[3]);
    out->reliability = be32_get(p + 4);
    out->label_len = be16_get(p + 8);
    out->protocol_len = (uint16_t)(p[10] << 8 | p[11]);
    if ((size_t)RTC_DCEP_OPEN_HEADER + out->label_len + out->protocol_len > n)
        return -1;
    out->label = p + RTC_DCEP_OPEN_HEADER;
    out->protocol = out->label + out->label_len;
    return 0;
}

size_t rtc_dcep_write_open(uint8_t *buf, size_t cap, const struct rtc_dcep_open *o)
{
    size_t n = RTC_DCEP_OPEN_HEADER + (size_t)o->label_len + o->protocol_len;
    if (cap < n)
        return 0;
    buf[0] = RTC_DCEP_OPEN;
    buf[1] = o->channel_type;
    buf[2] = (uint8_t)(o->priority >> 8);
    buf[3] = (uint8_t)o->priority;
    for (int i = 0; i < 4; i++)
        buf[4 + i] = (uint8_t)(o->reliability >> (24 - 8 * i));
    buf[8] = (uint8_t)(o->label_len >> 8);
    buf[9] = (uint8_t)o->label_len;
    buf[10] = (uint8_t)(o->protocol_len >> 8);
    buf[11] = (uint8_t)o->protocol_len;
    if (o->label_len)
        memcpy(buf + RTC_DCEP_OPEN_HEADER, o->label, o->label_len);
    if (o->protocol_len)
        memcpy(buf + RTC_DCEP_OPEN_HEADER + o->label_len, o->protocol, o->protocol_len);
    return n;
}

bool rtc_dcep_is_ack(const uint8_t *p, size_t n)
{
    return n >= 1 && p[0] == RTC_DCEP_ACK;
}

bool rtc_dcep_ordered(uint8_t channel_type)
{
    return !(channel_type & RTC_DCEP_UNORDERED);
}

bool rtc_dcep_reliable(uint8_t channel_type)
{
    return (channel_type & 0x7F) == RTC_DCEP_RELIABLE;
}

uint32_t rtc_dcep_ppid(bool binary, size_t len)
{
    if (binary)
        return len ? RTC_DCEP_PPID_BINARY : RTC_DCEP_PPID_BINARY_EMPTY;
    return len ? RTC_DCEP_PPID_STRING : RTC_DCEP_PPID_STRING_EMPTY;
}

int rtc_dcep_ppid_kind(uint32_t ppid, bool *binary, bool *empty)
{
    switch (ppid) {
    case RTC_DCEP_PPID_CONTROL:
        return 0;
    case RTC_DCEP_PPID_STRING:
    case RTC_DCEP_PPID_STRING_EMPTY:
    case RTC_DCEP_PPID_BINARY:
    case RTC_DCEP_PPID_BINARY_EMPTY:
        *binary = ppid == RTC_DCEP_PPID_BINARY || ppid == RTC_DCEP_PPID_BINARY_EMPTY;
        *empty = ppid == RTC_DCEP_PPID_STRING_EMPTY || ppid == RTC_DCEP_PPID_BINARY_EMPTY;
        return 1;
    default:
        return -1;
    }
}
