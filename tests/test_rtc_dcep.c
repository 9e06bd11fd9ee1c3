/* test_rtc_dcep.c: DCEP's messages and payload identifiers
 * (rtc/rtc_dcep.h): RFC 8832's example of an open, round trips,
 * what each channel type promises, every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "rtc/rtc_dcep.h"

/* An unordered channel "state" with maxRetransmits 0, as
 * createDataChannel("state", {ordered: false, maxRetransmits: 0}) opens it. */
static const uint8_t unreliable[] = {0x03, 0x81, 0x01, 0x00, 0, 0, 0, 0, 0, 5, 0, 0,
                                     's',  't',  'a',  't',  'e'};

static void reads_a_browsers_open(void **state)
{
    (void)state;
    struct rtc_dcep_open o;
    assert_int_equal(rtc_dcep_read_open(unreliable, sizeof unreliable, &o), 0);
    assert_int_equal(o.channel_type, RTC_DCEP_REXMIT | RTC_DCEP_UNORDERED);
    assert_int_equal(o.priority, 256);
    assert_int_equal(o.reliability, 0);
    assert_int_equal(o.label_len, 5);
    assert_memory_equal(o.label, "state", 5);
    assert_int_equal(o.protocol_len, 0);
    assert_false(rtc_dcep_ordered(o.channel_type));
    assert_false(rtc_dcep_reliable(o.channel_type));
}

static void round_trip(void **state)
{
    (void)state;
    struct rtc_dcep_open o = {.channel_type = RTC_DCEP_RELIABLE, .priority = 512,
                              .reliability = 0, .label = (const uint8_t *)"control",
                              .label_len = 7, .protocol = (const uint8_t *)"ricochet",
                              .protocol_len = 8};
    uint8_t buf[64];
    size_t n = rtc_dcep_write_open(buf, sizeof buf, &o);
    assert_int_equal(n, RTC_DCEP_OPEN_HEADER + 15);
    assert_int_equal(rtc_dcep_write_open(buf, n - 1, &o), 0);
    struct rtc_dcep_open back;
    assert_int_equal(rtc_dcep_read_open(buf, n, &back), 0);
    assert_int_equal(back.priority, 512);
    assert_memory_equal(back.label, "control", 7);
    assert_memory_equal(back.protocol, "ricochet", 8);
    assert_true(rtc_dcep_ordered(back.channel_type) && rtc_dcep_reliable(back.channel_type));
    assert_true(rtc_dcep_is_ack((const uint8_t[]){RTC_DCEP_ACK}, 1));
    assert_false(rtc_dcep_is_ack(buf, n));
    assert_false(rtc_dcep_is_ack(buf, 0));
    /* timed and unordered reliable */
    assert_false(rtc_dcep_reliable(RTC_DCEP_TIMED));
    assert_true(rtc_dcep_reliable(RTC_DCEP_RELIABLE | RTC_DCEP_UNORDERED));
    assert_false(rtc_dcep_ordered(RTC_DCEP_RELIABLE | RTC_DCEP_UNORDERED));
}

static void refusals(void **state)
{
    (void)state;
    struct rtc_dcep_open o;
    uint8_t b[sizeof unreliable];
    assert_int_equal(rtc_dcep_read_open(unreliable, RTC_DCEP_OPEN_HEADER - 1, &o), -1);
    assert_int_equal(rtc_dcep_read_open(unreliable, sizeof unreliable - 1, &o), -1); /* label cut */
    memcpy(b, unreliable, sizeof b);
    b[0] = RTC_DCEP_ACK;
    assert_int_equal(rtc_dcep_read_open(b, sizeof b, &o), -1);
    memcpy(b, unreliable, sizeof b);
    b[1] = 0x03; /* no such channel type */
    assert_int_equal(rtc_dcep_read_open(b, sizeof b, &o), -1);
    memcpy(b, unreliable, sizeof b);
    b[10] = 0xff; /* a protocol past the end */
    assert_int_equal(rtc_dcep_read_open(b, sizeof b, &o), -1);
}

static void payload_identifiers(void **state)
{
    (void)state;
    bool binary, empty;
    assert_int_equal(rtc_dcep_ppid(true, 40), RTC_DCEP_PPID_BINARY);
    assert_int_equal(rtc_dcep_ppid(false, 2), RTC_DCEP_PPID_STRING);
    assert_int_equal(rtc_dcep_ppid(true, 0), RTC_DCEP_PPID_BINARY_EMPTY);
    assert_int_equal(rtc_dcep_ppid(false, 0), RTC_DCEP_PPID_STRING_EMPTY);
    assert_int_equal(rtc_dcep_ppid_kind(RTC_DCEP_PPID_CONTROL, &binary, &empty), 0);
    assert_int_equal(rtc_dcep_ppid_kind(53, &binary, &empty), 1);
    assert_true(binary && !empty);
    assert_int_equal(rtc_dcep_ppid_kind(56, &binary, &empty), 1);
    assert_true(!binary && empty);
    assert_int_equal(rtc_dcep_ppid_kind(52, &binary, &empty), -1); /* deprecated partial string */
    assert_int_equal(rtc_dcep_ppid_kind(0, &binary, &empty), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_a_browsers_open),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(refusals),
        cmocka_unit_test(payload_identifiers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
