/* test_rtc_sdp.c: a data channel's SDP (rtc/rtc_sdp.h): offers in
 * the forms Chromium, Firefox and python3-aiortc 1.4 write them, the
 * ICE-lite answer read back as a client reads it, the older DTLS/SCTP form
 * answered in kind, a client's offer, and every fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rtc/rtc_sdp.h"

#define FP "0B:4E:C4:3A:1F:2C:5D:6E:7F:80:91:A2:B3:C4:D5:E6:F7:08:19:2A:3B:4C:5D:6E:7F:80:91:A2:B3:C4:D5:E6"

static const char chromium[] =
    "v=0\r\no=- 4215775240449105457 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Wq7b\r\na=ice-pwd:1a3fLm3Mm1qDCbj2oHS8KgNn\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 " FP "\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

/* the fingerprint at session level, another before it */
static const char firefox[] =
    "v=0\r\no=mozilla...THIS_IS_SDPARTA-99.0 7398286264384349950 0 IN IP4 0.0.0.0\r\ns=-\r\n"
    "t=0 0\r\na=sendrecv\r\na=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\r\n"
    "a=fingerprint:sha-256 " FP "\r\na=group:BUNDLE data\r\na=ice-options:trickle\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=sendrecv\r\n"
    "a=ice-pwd:b7a2c7e5d0f94a3b8c1d2e3f4a5b6c7d\r\na=ice-ufrag:f00dbeef\r\na=mid:data\r\n"
    "a=setup:active\r\na=sctp-port:5001\r\na=max-message-size:1073741823\r\n";

/* python3-aiortc 1.4.0, LF line ends */
static const char aiortc[] =
    "v=0\no=- 4004457461 4004457461 IN IP4 0.0.0.0\ns=-\nt=0 0\na=group:BUNDLE 0\n"
    "a=msid-semantic:WMS *\nm=application 44996 DTLS/SCTP 5000\nc=IN IP4 192.0.2.2\na=mid:0\n"
    "a=sctpmap:5000 webrtc-datachannel 65535\na=max-message-size:65536\n"
    "a=candidate:f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 44996 typ host\n"
    "a=end-of-candidates\na=ice-ufrag:hWSr\na=ice-pwd:nWxFCh92I2Wsh4dld3XVF3\n"
    "a=fingerprint:sha-256 " FP "\na=setup:actpass\n";

static union netaddr at(const char *endpoint)
{
    union netaddr a;
    char err[128];
    if (netaddr_parse_endpoint(endpoint, &a, err, sizeof err) != 0)
        fail_msg("%s: %s", endpoint, err);
    return a;
}

static const uint8_t fp_bytes[32] = {0x0B, 0x4E, 0xC4, 0x3A, 0x1F, 0x2C, 0x5D, 0x6E,
                                     0x7F, 0x80, 0x91, 0xA2, 0xB3, 0xC4, 0xD5, 0xE6,
                                     0xF7, 0x08, 0x19, 0x2A, 0x3B, 0x4C, 0x5D, 0x6E,
                                     0x7F, 0x80, 0x91, 0xA2, 0xB3, 0xC4, 0xD5, 0xE6};

static enum rtc_sdp_fault parse(const char *text, struct rtc_sdp *out)
{
    return rtc_sdp_parse(text, strlen(text), out);
}

/* The relay's answer to offer, and what a client reads in it. */
static void answer_and_read_back(const struct rtc_sdp *offer, const char *address,
                                 struct rtc_sdp *back, char *text, size_t cap)
{
    union netaddr a = at(address);
    struct rtc_sdp_local local = {.ufrag = "AAAAbcde", .pwd = "0123456789abcdef+/ABCDEF",
                                  .fingerprint = FP, .address = &a, .sctp_port = 5000,
                                  .max_message = 16384, .session_id = 12345};
    int n = rtc_sdp_write_answer(offer, &local, text, cap);
    assert_true(n > 0 && n <= RTC_SDP_ANSWER_MAX);
    assert_int_equal(strlen(text), (size_t)n);
    assert_int_equal(rtc_sdp_write_answer(offer, &local, text, (size_t)n), -1);
    assert_int_equal(rtc_sdp_write_answer(offer, &local, text, cap), n);
    assert_int_equal(parse(text, back), RTC_SDP_OK);
    assert_string_equal(back->ufrag, "AAAAbcde");
    assert_string_equal(back->pwd, "0123456789abcdef+/ABCDEF");
    assert_memory_equal(back->fingerprint, fp_bytes, 32);
    assert_int_equal(back->setup, RTC_SDP_PASSIVE);
    assert_true(back->ice_lite);
    assert_int_equal(back->sctp_port, 5000);
    assert_int_equal(back->max_message, 16384);
    assert_true(back->has_candidate);
    assert_true(netaddr_equal(&back->candidate, &a));
    assert_string_equal(back->mid, offer->mid);
    assert_int_equal(back->bundle, offer->bundle);
    assert_int_equal(back->legacy, offer->legacy);
}

static void chromium_offer(void **state)
{
    (void)state;
    struct rtc_sdp o, back;
    char text[RTC_SDP_ANSWER_MAX + 1];
    assert_int_equal(parse(chromium, &o), RTC_SDP_OK);
    assert_int_equal(rtc_sdp_check_offer(&o), RTC_SDP_OK);
    assert_string_equal(o.ufrag, "Wq7b");
    assert_string_equal(o.pwd, "1a3fLm3Mm1qDCbj2oHS8KgNn");
    assert_memory_equal(o.fingerprint, fp_bytes, 32);
    assert_int_equal(o.setup, RTC_SDP_ACTPASS);
    assert_string_equal(o.mid, "0");
    assert_true(o.bundle);
    assert_false(o.legacy || o.ice_lite || o.has_candidate);
    assert_int_equal(o.sctp_port, 5000);
    assert_int_equal(o.max_message, 262144);
    answer_and_read_back(&o, "198.18.0.1:7790", &back, text, sizeof text);
    assert_non_null(strstr(text, "\r\na=ice-lite\r\nm=application 7790 UDP/DTLS/SCTP "
                                 "webrtc-datachannel\r\nc=IN IP4 198.18.0.1\r\n"));
    assert_non_null(strstr(text, "a=group:BUNDLE 0\r\n"));
    assert_non_null(strstr(text, "a=candidate:1 1 udp 2130706431 198.18.0.1 7790 typ host\r\n"
                                 "a=end-of-candidates\r\n"));
}

static void firefox_offer(void **state)
{
    (void)state;
    struct rtc_sdp o, back;
    char text[RTC_SDP_ANSWER_MAX + 1];
    assert_int_equal(parse(firefox, &o), RTC_SDP_OK);
    assert_memory_equal(o.fingerprint, fp_bytes, 32); /* sha-256 chosen, sha-1 skipped */
    assert_string_equal(o.ufrag, "f00dbeef");
    assert_int_equal(o.setup, RTC_SDP_ACTIVE);
    assert_string_equal(o.mid, "data");
    assert_true(o.bundle);
    assert_int_equal(o.sctp_port, 5001);
    assert_int_equal(o.max_message, 1073741823);
    answer_and_read_back(&o, "[2001:db8::7]:7790", &back, text, sizeof text);
    assert_non_null(strstr(text, "c=IN IP6 2001:db8::7\r\n"));
    assert_non_null(strstr(text, "a=mid:data\r\n"));
}

/* aiortc 1.4 offers the older form; the answer keeps it. */
static void aiortc_offer(void **state)
{
    (void)state;
    struct rtc_sdp o, back;
    char text[RTC_SDP_ANSWER_MAX + 1];
    assert_int_equal(parse(aiortc, &o), RTC_SDP_OK);
    assert_true(o.legacy);
    assert_int_equal(o.sctp_port, 5000);
    assert_int_equal(o.max_message, 65536);
    assert_true(o.has_candidate);
    union netaddr c = at("192.0.2.2:44996");
    assert_true(netaddr_equal(&o.candidate, &c));
    answer_and_read_back(&o, "127.0.0.1:7790", &back, text, sizeof text);
    assert_non_null(strstr(text, "m=application 7790 DTLS/SCTP 5000\r\n"));
    assert_non_null(strstr(text, "a=sctpmap:5000 webrtc-datachannel 65535\r\n"));
}

/* A client's offer reads back as one. */
static void client_offer(void **state)
{
    (void)state;
    union netaddr a = at("127.0.0.1:4000");
    struct rtc_sdp_local local = {.ufrag = "zzzz", .pwd = "0123456789abcdefghijkl",
                                  .fingerprint = FP, .address = &a, .sctp_port = 5000,
                                  .max_message = 65536, .session_id = 1};
    char text[RTC_SDP_ANSWER_MAX + 1];
    assert_true(rtc_sdp_write_offer(&local, text, sizeof text) > 0);
    struct rtc_sdp o;
    assert_int_equal(parse(text, &o), RTC_SDP_OK);
    assert_int_equal(o.setup, RTC_SDP_ACTPASS);
    assert_false(o.ice_lite || o.legacy);
    assert_true(o.bundle);
    assert_string_equal(o.ufrag, "zzzz");
    assert_int_equal(rtc_sdp_check_offer(&o), RTC_SDP_OK);
}

/* chromium's offer with `from` replaced by `to`. */
static enum rtc_sdp_fault variant(const char *from, const char *to, struct rtc_sdp *o)
{
    char text[2048];
    const char *p = strstr(chromium, from);
    assert_non_null(p);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(p - chromium), chromium, to, p + strlen(from));
    return parse(text, o);
}

static void faults(void **state)
{
    (void)state;
    struct rtc_sdp o;
    assert_int_equal(parse("v=0\r\n", &o), RTC_SDP_NO_DATA_CHANNEL);
    assert_int_equal(variant("m=application 9", "m=application 0", &o), RTC_SDP_NO_DATA_CHANNEL);
    assert_int_equal(variant("UDP/DTLS/SCTP webrtc", "UDP/TLS/RTP/SAVPF webrtc", &o),
                     RTC_SDP_NO_DATA_CHANNEL);
    assert_int_equal(variant("m=application 9", "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=application 9",
                             &o),
                     RTC_SDP_OTHER_MEDIA);
    assert_int_equal(variant("a=max-message-size:262144\r\n",
                             "a=max-message-size:262144\r\nm=application 9 UDP/DTLS/SCTP "
                             "webrtc-datachannel\r\n",
                             &o),
                     RTC_SDP_OTHER_MEDIA);
    assert_int_equal(variant("ice-ufrag:Wq7b", "ice-ufrag:Wq7", &o), RTC_SDP_BAD_ICE);
    assert_int_equal(variant("ice-ufrag:Wq7b", "ice-ufrag:Wq-7b", &o), RTC_SDP_BAD_ICE);
    assert_int_equal(variant("ice-pwd:1a3fLm3Mm1qDCbj2oHS8KgNn", "ice-pwd:1a3fLm3Mm1qDCbj2oHS8K", &o),
                     RTC_SDP_BAD_ICE);
    assert_int_equal(variant("a=ice-ufrag:Wq7b\r\n", "", &o), RTC_SDP_BAD_ICE);
    assert_int_equal(variant("sha-256 0B", "sha-1 0B", &o), RTC_SDP_BAD_FINGERPRINT);
    assert_int_equal(variant(":D5:E6\r\na=setup", ":D5\r\na=setup", &o), RTC_SDP_BAD_FINGERPRINT);
    assert_int_equal(variant(":D5:E6\r\na=setup", ":D5:E6:F7\r\na=setup", &o),
                     RTC_SDP_BAD_FINGERPRINT);
    assert_int_equal(variant("sctp-port:5000", "sctp-port:0", &o), RTC_SDP_BAD_SCTP);
    assert_int_equal(variant("sctp-port:5000", "sctp-port:70000", &o), RTC_SDP_BAD_SCTP);
    assert_int_equal(variant("max-message-size:262144", "max-message-size:lots", &o),
                     RTC_SDP_BAD_SCTP);
    assert_int_equal(variant("setup:actpass", "setup:passive", &o), RTC_SDP_OK);
    assert_int_equal(rtc_sdp_check_offer(&o), RTC_SDP_BAD_SETUP);
    char big[RTC_SDP_TEXT_MAX + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(parse(big, &o), RTC_SDP_TOO_LONG);
    assert_int_equal(rtc_sdp_parse("v=0\0m=x", 7, &o), RTC_SDP_TOO_LONG);
    for (int f = RTC_SDP_OK; f <= RTC_SDP_BAD_SCTP; f++)
        assert_true(strlen(rtc_sdp_fault_text((enum rtc_sdp_fault)f)) > 1);
}

/* Candidates: an IPv6 literal taken; an mDNS name, TCP and component 2 not. */
static void candidates(void **state)
{
    (void)state;
    struct rtc_sdp o;
    const char *skipped[] = {
        "a=candidate:1 1 udp 2122260223 0c2a1f36-9d6e-4d5b-8f3c-1a2b3c4d5e6f.local 50000 typ host\r\n",
        "a=candidate:2 1 tcp 1518280447 192.0.2.9 9 typ host tcptype active\r\n",
        "a=candidate:3 2 udp 2122260222 192.0.2.9 50001 typ host\r\n",
        "a=candidate:4 1 udp 1686052607 203.0.113.5 50002 typ srflx raddr 0.0.0.0 rport 0\r\n"};
    for (int i = 0; i < 4; i++) {
        char line[256];
        snprintf(line, sizeof line, "a=sctp-port:5000\r\n%s", skipped[i]);
        assert_int_equal(variant("a=sctp-port:5000\r\n", line, &o), RTC_SDP_OK);
        assert_false(o.has_candidate);
    }
    assert_int_equal(variant("a=sctp-port:5000\r\n",
                             "a=sctp-port:5000\r\na=candidate:5 1 UDP 2122260223 2001:db8::9 50003 "
                             "typ host generation 0\r\n",
                             &o),
                     RTC_SDP_OK);
    union netaddr want = at("[2001:db8::9]:50003");
    assert_true(o.has_candidate);
    assert_true(netaddr_equal(&o.candidate, &want));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chromium_offer),
        cmocka_unit_test(firefox_offer),
        cmocka_unit_test(aiortc_offer),
        cmocka_unit_test(client_offer),
        cmocka_unit_test(faults),
        cmocka_unit_test(candidates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
