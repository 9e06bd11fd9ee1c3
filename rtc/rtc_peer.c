/* rtc_peer.c: a WebRTC client of the rtc/ modules (see rtc_peer.h). */
#include "rtc_peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "rtc_dcep.h"
#include "rtc_demux.h"
#include "rtc_dtls.h"
#include "rtc_sctp.h"
#include "rtc_sdp.h"
#include "rtc_stun.h"

#define CONSENT_US 5000000

struct rtc_peer {
    struct rtc_peer_ops ops;
    void *ctx;
    struct rtc_dtls_ctx *dtls_ctx;
    struct rtc_dtls *dtls;
    struct rtc_sctp *sctp;
    char ufrag[9], pwd[25];
    char offer[RTC_SDP_ANSWER_MAX + 1];
    struct rtc_sdp remote;
    bool answered, open, closed, nominate_now;
    uint8_t txid[RTC_STUN_TXID];
    uint64_t tiebreaker;
    uint64_t next_check_us;
    unsigned checks_answered, probes_answered, acks;
    unsigned which, wanted;      /* channels to open (RTC_PEER_OPEN_*), and how many */
    unsigned closed_channels;
};

/* The play page's channels: stream id, open bit, label, reliable. */
static const struct {
    uint16_t sid;
    unsigned bit;
    const char *label;
    bool reliable;
} channels[] = {
    {RTC_PEER_CONTROL, RTC_PEER_OPEN_CONTROL, "control", true},
    {RTC_PEER_STATE, RTC_PEER_OPEN_STATE, "unsequenced", false},
    {RTC_PEER_SEQUENCED, RTC_PEER_OPEN_SEQUENCED, "sequenced", false},
};

/* n random characters of ICE's set into out. Returns false if the
 * generator failed (out then holds nothing to rely on). */
static bool random_chars(char *out, size_t n)
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t r[32];
    if (n > sizeof r || RAND_bytes(r, (int)n) != 1)
        return false;
    for (size_t i = 0; i < n; i++)
        out[i] = set[r[i] & 63];
    out[n] = '\0';
    return true;
}

struct rtc_peer *rtc_peer_new(const union netaddr *self, const struct rtc_peer_ops *ops, void *ctx,
                              char *err, size_t err_cap)
{
    struct rtc_peer *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    p->ops = *ops;
    p->ctx = ctx;
    rtc_peer_channels(p, RTC_PEER_OPEN_ALL);
    if (!(p->dtls_ctx = rtc_dtls_ctx_new(false, err, err_cap)) || rtc_sctp_global_init(0) < 0) {
        rtc_peer_free(p);
        return NULL;
    }
    if (!random_chars(p->ufrag, 8) || !random_chars(p->pwd, 24) ||
        RAND_bytes((unsigned char *)&p->tiebreaker, sizeof p->tiebreaker) != 1) {
        snprintf(err, err_cap, "no random bytes for ICE's credentials (RAND_bytes failed)");
        rtc_peer_free(p);
        return NULL;
    }
    struct rtc_sdp_local l = {.ufrag = p->ufrag, .pwd = p->pwd,
                              .fingerprint = rtc_dtls_ctx_fingerprint(p->dtls_ctx),
                              .address = self, .sctp_port = RTC_SDP_SCTP_PORT,
                              .max_message = 65536, .session_id = 1};
    rtc_sdp_write_offer(&l, p->offer, sizeof p->offer);
    return p;
}

void rtc_peer_free(struct rtc_peer *p)
{
    if (!p)
        return;
    rtc_sctp_free(p->sctp);
    rtc_dtls_free(p->dtls);
    rtc_dtls_ctx_free(p->dtls_ctx);
    free(p);
}

void rtc_peer_channels(struct rtc_peer *p, unsigned which)
{
    p->which = which & RTC_PEER_OPEN_ALL;
    p->wanted = (unsigned)__builtin_popcount(p->which);
}

static int open_channel(struct rtc_peer *p, uint16_t sid, bool reliable, const char *label)
{
    uint8_t type = reliable ? RTC_DCEP_RELIABLE : RTC_DCEP_REXMIT | RTC_DCEP_UNORDERED;
    return rtc_sctp_open(p->sctp, sid, type, 0, label);
}

int rtc_peer_open(struct rtc_peer *p, uint16_t sid, bool reliable, const char *label)
{
    return p->open ? open_channel(p, sid, reliable, label) : -1;
}

void rtc_peer_unlimited(struct rtc_peer *p)
{
    if (p->sctp)
        rtc_sctp_set_peer_max(p->sctp, 0);
}

int rtc_peer_keylog(struct rtc_peer *p, const char *path, char *err, size_t err_cap)
{
    return rtc_dtls_ctx_keylog(p->dtls_ctx, path, err, err_cap);
}

unsigned rtc_peer_unsent(const struct rtc_peer *p)
{
    return p->sctp ? rtc_sctp_unsent(p->sctp) : 0;
}

unsigned rtc_peer_channels_closed(const struct rtc_peer *p)
{
    return p->closed_channels;
}

const char *rtc_peer_offer(const struct rtc_peer *p)
{
    return p->offer;
}

int rtc_peer_answer(struct rtc_peer *p, const char *answer, size_t len, uint64_t now_us,
                    char *err, size_t err_cap)
{
    enum rtc_sdp_fault f = rtc_sdp_parse(answer, len, &p->remote);
    if (f != RTC_SDP_OK || !p->remote.has_candidate || p->remote.setup != RTC_SDP_PASSIVE) {
        snprintf(err, err_cap, "answer: %s", f ? rtc_sdp_fault_text(f) : "no candidate or setup");
        return -1;
    }
    p->answered = true;
    p->nominate_now = true;
    p->next_check_us = now_us;
    rtc_peer_timers(p, now_us);
    return 0;
}

const union netaddr *rtc_peer_remote(const struct rtc_peer *p)
{
    return p->answered ? &p->remote.candidate : NULL;
}

static void send_check(struct rtc_peer *p)
{
    char username[RTC_SDP_UFRAG_MAX + 10];
    uint8_t buf[RTC_STUN_MSG_MAX];
    snprintf(username, sizeof username, "%s:%s", p->remote.ufrag, p->ufrag);
    if (RAND_bytes(p->txid, sizeof p->txid) != 1)
        return; /* no check without a fresh transaction id: the next timer tries again */
    struct rtc_stun_check c = {.username = username, .priority = 1845501695u,
                               .tiebreaker = p->tiebreaker, .use_candidate = true};
    size_t n = rtc_stun_write_check(buf, sizeof buf, p->txid, &c, (const uint8_t *)p->remote.pwd,
                                    strlen(p->remote.pwd));
    p->ops.send(p->ctx, &p->remote.candidate, buf, n);
}

/* --- DTLS, SCTP and the two channels --- */

static void dtls_send(void *ctx, const uint8_t *data, size_t len)
{
    struct rtc_peer *p = ctx;
    p->ops.send(p->ctx, &p->remote.candidate, data, len);
}

static void dtls_data(void *ctx, const uint8_t *data, size_t len)
{
    struct rtc_peer *p = ctx;
    if (p->sctp)
        rtc_sctp_input(p->sctp, data, len);
}

static void sctp_send(void *ctx, const uint8_t *packet, size_t len)
{
    struct rtc_peer *p = ctx;
    if (p->dtls)
        (void)rtc_dtls_write(p->dtls, packet, len);
}

static void sctp_state(void *ctx, enum rtc_sctp_state st)
{
    struct rtc_peer *p = ctx;
    if (st == RTC_SCTP_OPEN) {
        for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++)
            if (p->which & channels[i].bit)
                open_channel(p, channels[i].sid, channels[i].reliable, channels[i].label);
    } else if (st == RTC_SCTP_CLOSED && !p->closed) {
        p->closed = true;
        if (p->ops.closed)
            p->ops.closed(p->ctx);
    }
}

static void sctp_channel(void *ctx, const struct rtc_sctp_channel *ch)
{
    struct rtc_peer *p = ctx;
    (void)ch;
    if (++p->acks == p->wanted) {
        p->open = true;
        if (p->ops.open)
            p->ops.open(p->ctx);
    }
}

static void sctp_closed(void *ctx, uint16_t sid)
{
    struct rtc_peer *p = ctx;
    (void)sid;
    p->closed_channels++;
}

static void sctp_message(void *ctx, uint16_t sid, bool binary, const uint8_t *data, size_t len)
{
    struct rtc_peer *p = ctx;
    if (p->ops.message)
        p->ops.message(p->ctx, sid, binary, data, len);
}

static void after_dtls(struct rtc_peer *p, enum rtc_dtls_state st)
{
    static const struct rtc_sctp_ops ops = {sctp_send, sctp_state, sctp_channel, sctp_closed,
                                            sctp_message};
    if (st == RTC_DTLS_CONNECTED && !p->sctp) {
        struct rtc_sctp_config c = {.local_port = RTC_SDP_SCTP_PORT,
                                    .remote_port = p->remote.sctp_port, .dtls_server = false,
                                    .max_message = 65536, .channels_max = 4,
                                    .buffer = 256 * 1024};
        p->sctp = rtc_sctp_new(&c, &ops, p);
        if (p->sctp)
            rtc_sctp_set_peer_max(p->sctp, p->remote.max_message);
    } else if ((st == RTC_DTLS_FAILED || st == RTC_DTLS_CLOSED) && !p->closed) {
        p->closed = true;
        if (p->ops.closed)
            p->ops.closed(p->ctx);
    }
}

/* A STUN message: the answer to our check, or the relay's own check. */
static void stun_in(struct rtc_peer *p, const union netaddr *from, const uint8_t *data, size_t len)
{
    struct rtc_stun_msg m;
    if (rtc_stun_parse(data, len, &m) != RTC_STUN_OK)
        return;
    if (m.type == RTC_STUN_BINDING_SUCCESS && memcmp(m.txid, p->txid, RTC_STUN_TXID) == 0 &&
        rtc_stun_integrity_ok(data, &m, (const uint8_t *)p->remote.pwd, strlen(p->remote.pwd))) {
        p->checks_answered++;
        if (!p->dtls) {
            const struct rtc_dtls_io io = {dtls_send, dtls_data, p};
            p->dtls = rtc_dtls_connect(p->dtls_ctx, p->remote.fingerprint, &io);
        }
    } else if (m.type == RTC_STUN_BINDING_REQUEST && rtc_stun_username_is(&m, p->ufrag, p->remote.ufrag) &&
               rtc_stun_integrity_ok(data, &m, (const uint8_t *)p->pwd, strlen(p->pwd))) {
        uint8_t answer[RTC_STUN_ANSWER_MAX];
        size_t n = rtc_stun_write_success(answer, sizeof answer, m.txid, from,
                                          (const uint8_t *)p->pwd, strlen(p->pwd));
        p->probes_answered++;
        p->ops.send(p->ctx, from, answer, n);
    }
}

void rtc_peer_input(struct rtc_peer *p, const union netaddr *from, const uint8_t *data, size_t len,
                    uint64_t now_us)
{
    (void)now_us;
    enum rtc_demux_kind k = rtc_demux(data, len);
    if (k == RTC_DEMUX_STUN)
        stun_in(p, from, data, len);
    else if (k == RTC_DEMUX_DTLS && p->dtls)
        after_dtls(p, rtc_dtls_input(p->dtls, data, len));
}

void rtc_peer_timers(struct rtc_peer *p, uint64_t now_us)
{
    if (!p->answered || p->closed)
        return;
    if (p->nominate_now || now_us >= p->next_check_us) {
        p->nominate_now = false;
        send_check(p);
        p->next_check_us = now_us + (p->checks_answered ? CONSENT_US : RTC_PEER_CHECK_US);
    }
    if (p->dtls && rtc_dtls_timeout_us(p->dtls) == 0) {
        rtc_dtls_on_timeout(p->dtls);
        after_dtls(p, rtc_dtls_state(p->dtls));
    }
}

uint64_t rtc_peer_due(const struct rtc_peer *p)
{
    return p->answered && !p->closed ? p->next_check_us : UINT64_MAX;
}

int rtc_peer_send(struct rtc_peer *p, uint16_t sid, bool binary, const uint8_t *data, size_t len)
{
    return p->open ? rtc_sctp_send(p->sctp, sid, binary, data, len) : -1;
}

void rtc_peer_nominate(struct rtc_peer *p)
{
    send_check(p);
}

bool rtc_peer_is_open(const struct rtc_peer *p)
{
    return p->open;
}

bool rtc_peer_is_closed(const struct rtc_peer *p)
{
    return p->closed;
}

unsigned rtc_peer_checks_answered(const struct rtc_peer *p)
{
    return p->checks_answered;
}

unsigned rtc_peer_probes_answered(const struct rtc_peer *p)
{
    return p->probes_answered;
}
