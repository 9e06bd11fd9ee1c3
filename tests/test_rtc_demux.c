/* test_rtc_demux.c: RFC 7983's first-byte demultiplexing
 * (rtc/rtc_demux.h): every byte value lands where the RFC puts it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rtc/rtc_demux.h"

static void every_first_byte(void **state)
{
    (void)state;
    for (int b = 0; b < 256; b++) {
        uint8_t p[2] = {(uint8_t)b, 0};
        enum rtc_demux_kind want = b <= 3               ? RTC_DEMUX_STUN
                                   : b >= 20 && b <= 63 ? RTC_DEMUX_DTLS
                                                        : RTC_DEMUX_OTHER;
        assert_int_equal(rtc_demux(p, sizeof p), want);
    }
    assert_int_equal(rtc_demux(NULL, 0), RTC_DEMUX_OTHER);
    /* a DTLS handshake record, a STUN binding request, an RTP packet */
    assert_int_equal(rtc_demux((const uint8_t[]){22, 0xfe, 0xfd}, 3), RTC_DEMUX_DTLS);
    assert_int_equal(rtc_demux((const uint8_t[]){0, 1, 0, 0}, 4), RTC_DEMUX_STUN);
    assert_int_equal(rtc_demux((const uint8_t[]){0x80, 96}, 2), RTC_DEMUX_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_first_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
