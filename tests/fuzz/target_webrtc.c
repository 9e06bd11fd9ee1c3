/* target_webrtc.c: fuzzes what the WebRTC edge's modules read from the
 * network (see targets.h). The first byte picks the reader:
 *   0  STUN (rtc_stun_parse, then MESSAGE-INTEGRITY): what it returns
 *      stays inside the input;
 *   1  an SDP offer (rtc_sdp_parse): an offer taken is answered, and the
 *      answer reads back with the relay's credentials and the offer's mid;
 *   2  DCEP's open (rtc_dcep_read_open): what it reads writes back the same;
 *   3  a datagram to a host (rtc_host_input) from an address a check came
 *      from, so DTLS is reached: whatever the bytes, the answer to an
 *      address not yet proven is never longer than the datagram. */
#include <string.h>

#include "rtc/rtc_dcep.h"
#include "relay/webrtc/rtc_host.h"
#include "rtc/rtc_sdp.h"
#include "rtc/rtc_stun.h"
#include "targets.h"

static const char fuzz_webrtc_offer[] =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:peer\r\na=ice-pwd:peerpasswordpeerpassword\r\n"
    "a=fingerprint:sha-256 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:"
    "16:17:18:19:1A:1B:1C:1D:1E:1F\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n";

static size_t fuzz_webrtc_sent;

static void fuzz_webrtc_send(void *ctx, const union netaddr *to, const uint8_t *data, size_t len)
{
    (void)ctx, (void)to, (void)data;
    fuzz_webrtc_sent += len;
}

static void fuzz_webrtc_stun(const uint8_t *p, size_t n)
{
    struct rtc_stun_msg m;
    enum rtc_stun_fault f = rtc_stun_parse(p, n, &m);
    FUZZ_CHECK(f >= RTC_STUN_OK && f <= RTC_STUN_BAD_FINGERPRINT);
    if (f != RTC_STUN_OK)
        return;
    FUZZ_CHECK(m.len <= n && m.len >= RTC_STUN_HEADER);
    FUZZ_CHECK(!m.username || (m.username >= p && m.username + m.username_len <= p + m.len));
    FUZZ_CHECK(!m.integrity_at || m.integrity_at + 24 <= m.len);
    (void)rtc_stun_integrity_ok(p, &m, (const uint8_t *)"key", 3);
}

static void fuzz_webrtc_sdp(const uint8_t *p, size_t n)
{
    struct rtc_sdp offer, back;
    char answer[RTC_SDP_ANSWER_MAX + 1];
    if (rtc_sdp_parse((const char *)p, n, &offer) != RTC_SDP_OK ||
        rtc_sdp_check_offer(&offer) != RTC_SDP_OK)
        return;
    union netaddr a = {.v4 = {.sin_family = AF_INET, .sin_port = htons(7790),
                              .sin_addr = {htonl(0x7f000001)}}};
    struct rtc_sdp_local l = {.ufrag = "AAAAbcde", .pwd = "0123456789abcdefghijklmn",
                              .fingerprint = "00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:"
                                             "10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F",
                              .address = &a, .sctp_port = 5000, .max_message = 16384,
                              .session_id = 1};
    int len = rtc_sdp_write_answer(&offer, &l, answer, sizeof answer);
    FUZZ_CHECK(len > 0);
    FUZZ_CHECK(rtc_sdp_parse(answer, (size_t)len, &back) == RTC_SDP_OK);
    FUZZ_CHECK(strcmp(back.ufrag, l.ufrag) == 0 && strcmp(back.pwd, l.pwd) == 0);
    FUZZ_CHECK(strcmp(back.mid, offer.mid) == 0 && back.ice_lite);
    FUZZ_CHECK(back.has_candidate && netaddr_equal(&back.candidate, &a));
}

static void fuzz_webrtc_dcep(const uint8_t *p, size_t n)
{
    struct rtc_dcep_open o;
    uint8_t back[RTC_DCEP_OPEN_HEADER + 2 * 65535];
    if (rtc_dcep_read_open(p, n, &o) != 0)
        return;
    size_t len = rtc_dcep_write_open(back, sizeof back, &o);
    FUZZ_CHECK(len > 0 && len <= n && memcmp(back, p, len) == 0);
}

/* A host with one session whose check came from `from`, made once. */
static struct rtc_host *fuzz_webrtc_host(union netaddr *from)
{
    static struct rtc_host *h;
    static union netaddr peer;
    if (h) {
        *from = peer;
        return h;
    }
    struct rtc_host_config cfg;
    char err[128], answer[RTC_SDP_ANSWER_MAX + 1], why[128], user[RTC_SDP_UFRAG_MAX + 8];
    unsigned slot;
    struct rtc_sdp a;
    rtc_host_default_config(&cfg);
    cfg.max_sessions = 4;
    cfg.advertise = (union netaddr){.v4 = {.sin_family = AF_INET, .sin_port = htons(7790),
                                           .sin_addr = {htonl(0x7f000001)}}};
    peer = (union netaddr){.v4 = {.sin_family = AF_INET, .sin_port = htons(50000),
                                  .sin_addr = {htonl(0x7f000002)}}};
    static const struct rtc_host_ops ops = {.send = fuzz_webrtc_send};
    h = rtc_host_new(&cfg, &ops, NULL, 1000000, err, sizeof err);
    FUZZ_CHECK(h != NULL);
    int n = rtc_host_answer(h, fuzz_webrtc_offer, strlen(fuzz_webrtc_offer), NULL, 1000000, 0,
                            answer, sizeof answer, &slot, NULL, why, sizeof why);
    FUZZ_CHECK(n > 0 && rtc_sdp_parse(answer, (size_t)n, &a) == RTC_SDP_OK);
    uint8_t chk[RTC_STUN_MSG_MAX], txid[RTC_STUN_TXID] = {1};
    snprintf(user, sizeof user, "%s:peer", a.ufrag);
    struct rtc_stun_check c = {.username = user, .priority = 1, .tiebreaker = 1};
    size_t len = rtc_stun_write_check(chk, sizeof chk, txid, &c, (const uint8_t *)a.pwd,
                                      strlen(a.pwd));
    rtc_host_input(h, &peer, chk, len, 1000000);
    FUZZ_CHECK(rtc_host_counters(h)->stun_answered == 1);
    *from = peer;
    return h;
}

int fuzz_target_webrtc(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    switch (data[0] & 3) {
    case 0:
        fuzz_webrtc_stun(p, n);
        break;
    case 1:
        fuzz_webrtc_sdp(p, n);
        break;
    case 2:
        fuzz_webrtc_dcep(p, n);
        break;
    default: {
        union netaddr from;
        struct rtc_host *h = fuzz_webrtc_host(&from);
        fuzz_webrtc_sent = 0;
        rtc_host_input(h, &from, p, n, 1000000);
        FUZZ_CHECK(fuzz_webrtc_sent <= n);
        break;
    }
    }
    return 0;
}
