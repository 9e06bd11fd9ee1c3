/* test_rtc_stun.c: STUN for ICE-lite (rtc/rtc_stun.h) against RFC
 * 5769's test vectors (request, IPv4 and IPv6 responses), the checks a
 * controlling agent writes, every fault, and the size rule: no answer is
 * longer than the shortest request it answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rtc/rtc_stun.h"

/* RFC 5769 section 2.1: a request with SOFTWARE, PRIORITY, ICE-CONTROLLED,
 * USERNAME "evtj:h6vY", MESSAGE-INTEGRITY and FINGERPRINT. */
static const uint8_t request[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
    0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e,
    0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24,
    0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1,
    0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68,
    0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
    0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5,
    0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* Section 2.2: the IPv4 response, XOR-MAPPED-ADDRESS 192.0.2.1:32853. */
static const uint8_t response4[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
    0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
    0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01,
    0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99,
    0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b,
    0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* Section 2.3: the IPv6 response, [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
static const uint8_t response6[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
    0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
    0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02,
    0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5,
    0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6,
    0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
    0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

static const char password[] = "VOkJxbRl1RmTxUk/WvJxBt";
#define KEY (const uint8_t *)password, strlen(password)

static union netaddr at(const char *endpoint)
{
    union netaddr a;
    char err[128];
    if (netaddr_parse_endpoint(endpoint, &a, err, sizeof err) != 0)
        fail_msg("%s: %s", endpoint, err);
    return a;
}

static void rfc5769_request(void **state)
{
    (void)state;
    struct rtc_stun_msg m;
    assert_int_equal(rtc_stun_parse(request, sizeof request, &m), RTC_STUN_OK);
    assert_int_equal(m.type, RTC_STUN_BINDING_REQUEST);
    assert_int_equal(m.len, sizeof request);
    assert_memory_equal(m.txid, request + 8, 12);
    assert_true(rtc_stun_username_is(&m, "evtj", "h6vY"));
    assert_false(rtc_stun_username_is(&m, "h6vY", "evtj"));
    assert_false(rtc_stun_username_is(&m, "evtj", "h6v"));
    assert_true(m.has_priority);
    assert_int_equal(m.priority, 0x6e0001ff);
    assert_true(m.controlled);
    assert_false(m.controlling);
    assert_true(m.tiebreaker == 0x932ff9b151263b36ull);
    assert_true(m.has_fingerprint);
    assert_true(rtc_stun_integrity_ok(request, &m, KEY));
    assert_false(rtc_stun_integrity_ok(request, &m, (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBu", 22));
}

static void rfc5769_responses(void **state)
{
    (void)state;
    struct rtc_stun_msg m;
    assert_int_equal(rtc_stun_parse(response4, sizeof response4, &m), RTC_STUN_OK);
    assert_int_equal(m.type, RTC_STUN_BINDING_SUCCESS);
    assert_true(m.has_mapped);
    union netaddr want = at("192.0.2.1:32853");
    assert_true(netaddr_equal(&m.mapped, &want));
    assert_true(rtc_stun_integrity_ok(response4, &m, KEY));

    assert_int_equal(rtc_stun_parse(response6, sizeof response6, &m), RTC_STUN_OK);
    want = at("[2001:db8:1234:5678:11:2233:4455:6677]:32853");
    assert_true(m.has_mapped);
    assert_true(netaddr_equal(&m.mapped, &want));
    assert_true(rtc_stun_integrity_ok(response6, &m, KEY));
}

/* Signing a vector's bytes before its MESSAGE-INTEGRITY gives the vector:
 * the HMAC's length rule and the CRC are RFC 5769's. */
static void sign_reproduces_the_vectors(void **state)
{
    (void)state;
    const uint8_t *vec[] = {request, response4, response6};
    size_t len[] = {sizeof request, sizeof response4, sizeof response6};
    for (int i = 0; i < 3; i++) {
        uint8_t buf[256];
        size_t before = len[i] - 24 - 8;
        memcpy(buf, vec[i], before);
        buf[2] = buf[3] = 0; /* sign writes the length */
        assert_int_equal(rtc_stun_sign(buf, before, sizeof buf, KEY), len[i]);
        assert_memory_equal(buf, vec[i], len[i]);
        assert_int_equal(rtc_stun_sign(buf, before, len[i] - 1, KEY), 0); /* no room */
    }
    assert_true(rtc_stun_crc32((const uint8_t *)"123456789", 9) == 0xCBF43926u);
}

/* The relay's answer to the vector's request: the success type, the same
 * transaction, the mapped address, signed; the XOR-MAPPED-ADDRESS
 * attribute is byte for byte the vector's. */
static void success_answers(void **state)
{
    (void)state;
    uint8_t buf[RTC_STUN_ANSWER_MAX];
    const char *mapped[] = {"192.0.2.1:32853", "[2001:db8:1234:5678:11:2233:4455:6677]:32853",
                            "[::ffff:192.0.2.1]:32853"};
    const uint8_t *vec_attr[] = {response4 + 36, response6 + 36, response4 + 36};
    size_t attr_len[] = {12, 24, 12};
    for (int i = 0; i < 3; i++) {
        union netaddr a = at(mapped[i]);
        size_t n = rtc_stun_write_success(buf, sizeof buf, request + 8, &a, KEY);
        assert_int_equal(n, RTC_STUN_HEADER + attr_len[i] + 24 + 8);
        assert_true(n <= RTC_STUN_ANSWER_MAX);
        assert_memory_equal(buf + RTC_STUN_HEADER, vec_attr[i], attr_len[i]);
        struct rtc_stun_msg m;
        assert_int_equal(rtc_stun_parse(buf, n, &m), RTC_STUN_OK);
        assert_int_equal(m.type, RTC_STUN_BINDING_SUCCESS);
        assert_memory_equal(m.txid, request + 8, 12);
        assert_true(m.has_fingerprint);
        assert_true(rtc_stun_integrity_ok(buf, &m, KEY));
        union netaddr v4 = at(i == 1 ? mapped[1] : "192.0.2.1:32853");
        assert_true(netaddr_equal(&m.mapped, &v4));
    }
    assert_int_equal(rtc_stun_write_success(buf, RTC_STUN_ANSWER_MAX - 1, request + 8,
                                            &(union netaddr){.v4 = {.sin_family = AF_INET}},
                                            KEY),
                     0);
}

/* A controlling agent's check, read back; the shortest the relay answers
 * is longer than the longest answer. */
static void checks_and_the_size_rule(void **state)
{
    (void)state;
    uint8_t buf[RTC_STUN_MSG_MAX];
    uint8_t txid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    struct rtc_stun_check c = {.username = "abcd:wxyz", .priority = 2130706431,
                               .tiebreaker = 0x0102030405060708ull, .use_candidate = true};
    size_t n = rtc_stun_write_check(buf, sizeof buf, txid, &c, KEY);
    assert_int_equal(n, RTC_STUN_CHECK_MIN + 4); /* USE-CANDIDATE */
    struct rtc_stun_msg m;
    assert_int_equal(rtc_stun_parse(buf, n, &m), RTC_STUN_OK);
    assert_int_equal(m.type, RTC_STUN_BINDING_REQUEST);
    assert_true(rtc_stun_username_is(&m, "abcd", "wxyz"));
    assert_true(m.controlling && m.use_candidate && m.has_priority);
    assert_int_equal(m.priority, 2130706431);
    assert_true(m.tiebreaker == c.tiebreaker);
    assert_true(rtc_stun_integrity_ok(buf, &m, KEY));
    c.use_candidate = false;
    assert_int_equal(rtc_stun_write_check(buf, sizeof buf, txid, &c, KEY), RTC_STUN_CHECK_MIN);
    assert_true(RTC_STUN_CHECK_MIN > RTC_STUN_ANSWER_MAX);
    assert_int_equal(rtc_stun_write_check(buf, RTC_STUN_CHECK_MIN - 1, txid, &c, KEY), 0);
}

/* Every fault, and a changed byte anywhere caught by FINGERPRINT or
 * MESSAGE-INTEGRITY. */
static void faults(void **state)
{
    (void)state;
    struct rtc_stun_msg m;
    uint8_t b[sizeof request];
    assert_int_equal(rtc_stun_parse(request, 19, &m), RTC_STUN_SHORT);
    assert_int_equal(rtc_stun_parse(request, sizeof request - 4, &m), RTC_STUN_SHORT);
    memcpy(b, request, sizeof b);
    b[0] = 0x40; /* not STUN's top bits */
    assert_int_equal(rtc_stun_parse(b, sizeof b, &m), RTC_STUN_NOT_STUN);
    memcpy(b, request, sizeof b);
    b[5] ^= 1; /* the magic cookie */
    assert_int_equal(rtc_stun_parse(b, sizeof b, &m), RTC_STUN_NOT_STUN);
    memcpy(b, request, sizeof b);
    b[3] = 0x57; /* a length not a multiple of 4 */
    assert_int_equal(rtc_stun_parse(b, sizeof b, &m), RTC_STUN_NOT_STUN);
    memcpy(b, request, sizeof b);
    b[23] = 0x50; /* SOFTWARE running past the end */
    assert_int_equal(rtc_stun_parse(b, sizeof b, &m), RTC_STUN_BAD_ATTR);
    memcpy(b, request, sizeof b);
    b[43] = 5; /* PRIORITY of 5 bytes */
    assert_int_equal(rtc_stun_parse(b, sizeof b, &m), RTC_STUN_BAD_ATTR);
    for (size_t i = RTC_STUN_HEADER; i < sizeof request - 8; i++) {
        memcpy(b, request, sizeof b);
        b[i] ^= 0x01; /* a length changed may fail as an attribute first */
        enum rtc_stun_fault f = rtc_stun_parse(b, sizeof b, &m);
        assert_true(f == RTC_STUN_BAD_FINGERPRINT || f == RTC_STUN_BAD_ATTR);
    }
    /* without FINGERPRINT, a changed byte is MESSAGE-INTEGRITY's to catch */
    uint8_t nofp[sizeof request - 8];
    memcpy(nofp, request, sizeof nofp);
    nofp[3] = 0x50;
    assert_int_equal(rtc_stun_parse(nofp, sizeof nofp, &m), RTC_STUN_OK);
    assert_false(m.has_fingerprint);
    nofp[40] ^= 1;
    assert_int_equal(rtc_stun_parse(nofp, sizeof nofp, &m), RTC_STUN_OK);
    assert_false(rtc_stun_integrity_ok(nofp, &m, KEY));
    /* no MESSAGE-INTEGRITY at all: never ok */
    uint8_t bare[RTC_STUN_HEADER] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
    assert_int_equal(rtc_stun_parse(bare, sizeof bare, &m), RTC_STUN_OK);
    assert_false(rtc_stun_integrity_ok(bare, &m, KEY));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc5769_request),
        cmocka_unit_test(rfc5769_responses),
        cmocka_unit_test(sign_reproduces_the_vectors),
        cmocka_unit_test(success_answers),
        cmocka_unit_test(checks_and_the_size_rule),
        cmocka_unit_test(faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
