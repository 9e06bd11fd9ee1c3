/* rtc_session.c: one peer, checks to channels (see rtc_session.h). */
#include "rtc_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#define HOST_PRIORITY 2130706431u /* a host candidate's (RFC 8445 section 5.1.2.1) */

struct rtc_session {
    const struct rtc_session_config *cfg;
    struct rtc_session_ops ops;
    void *ctx;
    enum rtc_session_state state;
    enum rtc_session_end end;
    char ufrag[RTC_SESSION_UFRAG_MAX + 1], pwd[RTC_SESSION_PWD_MAX + 1];
    char remote_ufrag[RTC_SDP_UFRAG_MAX + 1], remote_pwd[RTC_SDP_PWD_MAX + 1];
    uint8_t remote_fp[RTC_DTLS_FINGERPRINT];
    uint16_t remote_sctp_port;
    uint32_t remote_max_message;
    bool has_peer;
    union netaddr peer;        /* where DTLS and SCTP go */
    bool probing;              /* a check of ours to probe_addr awaits its answer */
    union netaddr probe_addr;
    uint8_t probe_txid[RTC_STUN_TXID];
    uint64_t created_us, first_check_us, last_check_us;
    struct rtc_dtls *dtls;
    struct rtc_sctp *sctp;
};

const char *rtc_session_end_name(enum rtc_session_end why)
{
    switch (why) {
    case RTC_END_NONE: return "none";
    case RTC_END_NO_CHECK: return "no_check";
    case RTC_END_HANDSHAKE_TIMEOUT: return "handshake_timeout";
    case RTC_END_CONSENT: return "consent";
    case RTC_END_DTLS_FAILED: return "dtls_failed";
    case RTC_END_DTLS_CLOSED: return "dtls_closed";
    case RTC_END_SCTP_CLOSED: return "sctp_closed";
    case RTC_END_OUT_OF_MEMORY: return "out_of_memory";
    }
    return "?";
}

/* Ends the session once: the caller hears of it, and frees it later. */
static void end(struct rtc_session *s, enum rtc_session_end why)
{
    if (s->state == RTC_SESSION_ENDED)
        return;
    s->state = RTC_SESSION_ENDED;
    s->end = why;
    if (s->ops.ended)
        s->ops.ended(s->ctx, why);
}

struct rtc_session *rtc_session_new(const struct rtc_session_config *cfg,
                                    const struct rtc_sdp *offer, const char *ufrag,
                                    const char *pwd, const struct rtc_session_ops *ops, void *ctx,
                                    uint64_t now_us)
{
    if (strlen(ufrag) > RTC_SESSION_UFRAG_MAX || strlen(pwd) > RTC_SESSION_PWD_MAX)
        return NULL;
    struct rtc_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = cfg;
    s->ops = *ops;
    s->ctx = ctx;
    strcpy(s->ufrag, ufrag);
    strcpy(s->pwd, pwd);
    strcpy(s->remote_ufrag, offer->ufrag);
    strcpy(s->remote_pwd, offer->pwd);
    memcpy(s->remote_fp, offer->fingerprint, sizeof s->remote_fp);
    s->remote_sctp_port = offer->sctp_port;
    s->remote_max_message = offer->max_message;
    s->created_us = now_us;
    return s;
}

const char *rtc_session_ufrag(const struct rtc_session *s)
{
    return s->ufrag;
}

const char *rtc_session_pwd(const struct rtc_session *s)
{
    return s->pwd;
}

/* A check of ours to `to`, which nominated itself while DTLS runs
 * elsewhere: DTLS and SCTP move there only once it answers, so that a
 * forged source cannot aim the session's traffic at someone else. No
 * longer than the check (n bytes) that caused it. */
static void probe(struct rtc_session *s, const union netaddr *to, size_t n)
{
    char username[RTC_SDP_UFRAG_MAX + 1 + RTC_SESSION_UFRAG_MAX + 1];
    uint8_t buf[RTC_STUN_MSG_MAX];
    uint64_t tiebreaker = 0;
    if (RAND_bytes(s->probe_txid, RTC_STUN_TXID) != 1 ||
        RAND_bytes((unsigned char *)&tiebreaker, sizeof tiebreaker) != 1)
        return;
    snprintf(username, sizeof username, "%s:%s", s->remote_ufrag, s->ufrag);
    struct rtc_stun_check c = {.username = username, .priority = HOST_PRIORITY,
                               .tiebreaker = tiebreaker, .controlled = true};
    size_t len = rtc_stun_write_check(buf, sizeof buf, s->probe_txid, &c,
                                      (const uint8_t *)s->remote_pwd, strlen(s->remote_pwd));
    if (len == 0 || len > n)
        return;
    s->probing = true;
    s->probe_addr = *to;
    s->ops.send(s->ctx, to, buf, len);
}

enum rtc_session_refusal rtc_session_check(struct rtc_session *s, const union netaddr *from,
                                           const uint8_t *p, size_t n,
                                           const struct rtc_stun_msg *m, uint64_t now_us)
{
    if (s->state == RTC_SESSION_ENDED)
        return RTC_CHECK_ENDED;
    if (!rtc_stun_integrity_ok(p, m, (const uint8_t *)s->pwd, strlen(s->pwd)))
        return RTC_CHECK_INTEGRITY;
    /* a full agent's check of a lite one: it controls, and says so */
    if (m->type != RTC_STUN_BINDING_REQUEST || !m->has_priority || !m->controlling ||
        !m->has_fingerprint || !rtc_stun_username_is(m, s->ufrag, s->remote_ufrag))
        return RTC_CHECK_MALFORMED;
    uint8_t answer[RTC_STUN_ANSWER_MAX];
    size_t len = rtc_stun_write_success(answer, sizeof answer, m->txid, from,
                                        (const uint8_t *)s->pwd, strlen(s->pwd));
    if (len == 0 || len > n)
        return RTC_CHECK_MALFORMED; /* cannot happen for a check (rtc_stun.h): never sent */
    if (!s->first_check_us)
        s->first_check_us = now_us;
    s->last_check_us = now_us;
    if (s->state == RTC_SESSION_WAITING)
        s->state = RTC_SESSION_CHECKED;
    s->ops.send(s->ctx, from, answer, len);
    if (!s->dtls && (m->use_candidate || !s->has_peer)) {
        s->peer = *from; /* before DTLS, only answers shorter than their questions go there */
        s->has_peer = true;
    } else if (s->dtls && m->use_candidate && !netaddr_equal(from, &s->peer)) {
        probe(s, from, n);
    }
    return RTC_CHECK_OK;
}

void rtc_session_answer(struct rtc_session *s, const union netaddr *from, const uint8_t *p,
                        const struct rtc_stun_msg *m)
{
    if (!s->probing || m->type != RTC_STUN_BINDING_SUCCESS || !netaddr_equal(from, &s->probe_addr) ||
        memcmp(m->txid, s->probe_txid, RTC_STUN_TXID) != 0 ||
        !rtc_stun_integrity_ok(p, m, (const uint8_t *)s->remote_pwd, strlen(s->remote_pwd)))
        return;
    s->probing = false;
    s->peer = *from; /* the peer answered there: DTLS and SCTP follow */
}

/* --- DTLS and SCTP, wired to each other --- */

static void dtls_send(void *ctx, const uint8_t *data, size_t len)
{
    struct rtc_session *s = ctx;
    if (s->has_peer)
        s->ops.send(s->ctx, &s->peer, data, len);
}

static void dtls_data(void *ctx, const uint8_t *data, size_t len)
{
    struct rtc_session *s = ctx;
    if (s->sctp)
        rtc_sctp_input(s->sctp, data, len);
}

static void sctp_send(void *ctx, const uint8_t *packet, size_t len)
{
    struct rtc_session *s = ctx;
    if (s->dtls)
        (void)rtc_dtls_write(s->dtls, packet, len);
}

static void sctp_state(void *ctx, enum rtc_sctp_state st)
{
    struct rtc_session *s = ctx;
    if (st == RTC_SCTP_OPEN && s->state == RTC_SESSION_CONNECTED) {
        s->state = RTC_SESSION_OPEN;
        if (s->ops.open)
            s->ops.open(s->ctx);
    } else if (st == RTC_SCTP_CLOSED) {
        end(s, RTC_END_SCTP_CLOSED);
    }
}

static void sctp_channel(void *ctx, const struct rtc_sctp_channel *ch)
{
    struct rtc_session *s = ctx;
    if (s->ops.channel && s->state == RTC_SESSION_OPEN)
        s->ops.channel(s->ctx, ch);
}

static void sctp_closed(void *ctx, uint16_t sid)
{
    struct rtc_session *s = ctx;
    if (s->ops.channel_closed && s->state == RTC_SESSION_OPEN)
        s->ops.channel_closed(s->ctx, sid);
}

static void sctp_message(void *ctx, uint16_t sid, bool binary, const uint8_t *data, size_t len)
{
    struct rtc_session *s = ctx;
    if (s->ops.message && s->state == RTC_SESSION_OPEN)
        s->ops.message(s->ctx, sid, binary, data, len);
}

/* DTLS is up: SCTP starts, its INIT going out at once. */
static void start_sctp(struct rtc_session *s)
{
    static const struct rtc_sctp_ops ops = {sctp_send, sctp_state, sctp_channel, sctp_closed,
                                            sctp_message};
    struct rtc_sctp_config c = {.local_port = s->cfg->sctp_port,
                                .remote_port = s->remote_sctp_port,
                                .dtls_server = true,
                                .max_message = s->cfg->max_message,
                                .channels_max = s->cfg->channels_max,
                                .buffer = s->cfg->sctp_buffer,
                                .counters = s->cfg->sctp_counters};
    s->state = RTC_SESSION_CONNECTED;
    s->sctp = rtc_sctp_new(&c, &ops, s);
    if (!s->sctp) {
        end(s, RTC_END_OUT_OF_MEMORY);
        return;
    }
    rtc_sctp_set_peer_max(s->sctp, s->remote_max_message);
}

/* After DTLS read a datagram or fired its timer: what its state means. */
static void after_dtls(struct rtc_session *s, enum rtc_dtls_state st)
{
    if (s->state == RTC_SESSION_ENDED)
        return;
    if (st == RTC_DTLS_FAILED)
        end(s, RTC_END_DTLS_FAILED);
    else if (st == RTC_DTLS_CLOSED)
        end(s, RTC_END_DTLS_CLOSED);
    else if (st == RTC_DTLS_CONNECTED && s->state == RTC_SESSION_HANDSHAKE)
        start_sctp(s);
}

enum rtc_session_state rtc_session_dtls(struct rtc_session *s, const union netaddr *from,
                                        const uint8_t *p, size_t n, uint64_t now_us)
{
    (void)now_us;
    if (s->state == RTC_SESSION_ENDED || s->state == RTC_SESSION_WAITING)
        return s->state;
    if (s->dtls) {
        after_dtls(s, rtc_dtls_input(s->dtls, p, n));
        return s->state;
    }
    /* no association yet: a cookie for this session at this address */
    uint8_t id[RTC_DTLS_PEER_ID_MAX];
    size_t ulen = strlen(s->ufrag);
    memcpy(id, s->ufrag, ulen);
    size_t id_len = ulen + netaddr_key(from, id + ulen);
    const struct rtc_dtls_io io = {dtls_send, dtls_data, s};
    union netaddr peer = s->peer;
    bool had_peer = s->has_peer;
    s->peer = *from; /* a HelloVerifyRequest goes back where the hello came from */
    s->has_peer = true;
    struct rtc_dtls *d = NULL;
    enum rtc_dtls_listen r =
        rtc_dtls_listen(s->cfg->dtls, id, id_len, p, n, s->remote_fp, &io, &d);
    if (r != RTC_DTLS_LISTEN_ACCEPTED) {
        s->peer = peer;
        s->has_peer = had_peer;
        return s->state;
    }
    s->dtls = d;
    s->state = RTC_SESSION_HANDSHAKE;
    after_dtls(s, rtc_dtls_state(d));
    return s->state;
}

int rtc_session_send(struct rtc_session *s, uint16_t sid, bool binary, const uint8_t *data,
                     size_t len)
{
    if (s->state != RTC_SESSION_OPEN)
        return -1;
    return rtc_sctp_send(s->sctp, sid, binary, data, len);
}

unsigned rtc_session_unsent(const struct rtc_session *s)
{
    return s->state == RTC_SESSION_OPEN ? rtc_sctp_unsent(s->sctp) : 0;
}

void rtc_session_close_channel(struct rtc_session *s, uint16_t sid)
{
    if (s->state == RTC_SESSION_OPEN)
        rtc_sctp_close_channel(s->sctp, sid);
}

uint64_t rtc_session_due(struct rtc_session *s, uint64_t now_us)
{
    if (s->state == RTC_SESSION_ENDED)
        return UINT64_MAX;
    if (s->state == RTC_SESSION_WAITING)
        return s->created_us + s->cfg->pending_us;
    uint64_t due = s->last_check_us + s->cfg->consent_us;
    if (s->state != RTC_SESSION_OPEN && s->first_check_us + s->cfg->handshake_us < due)
        due = s->first_check_us + s->cfg->handshake_us;
    if (s->dtls && s->state == RTC_SESSION_HANDSHAKE) {
        uint64_t left = rtc_dtls_timeout_us(s->dtls);
        /* OpenSSL's timer runs on the system's clock: now plus what it says is left */
        if (left != UINT64_MAX && now_us + left < due)
            due = now_us + left;
    }
    return due;
}

void rtc_session_timers(struct rtc_session *s, uint64_t now_us)
{
    if (s->state == RTC_SESSION_ENDED)
        return;
    if (s->state == RTC_SESSION_WAITING) {
        if (now_us >= s->created_us + s->cfg->pending_us)
            end(s, RTC_END_NO_CHECK);
        return;
    }
    if (now_us >= s->last_check_us + s->cfg->consent_us) {
        end(s, RTC_END_CONSENT);
        return;
    }
    if (s->state != RTC_SESSION_OPEN && now_us >= s->first_check_us + s->cfg->handshake_us) {
        end(s, RTC_END_HANDSHAKE_TIMEOUT);
        return;
    }
    if (s->dtls && s->state == RTC_SESSION_HANDSHAKE && rtc_dtls_timeout_us(s->dtls) == 0) {
        rtc_dtls_on_timeout(s->dtls);
        after_dtls(s, rtc_dtls_state(s->dtls));
    }
}

void rtc_session_close(struct rtc_session *s)
{
    if (s->sctp) {
        rtc_sctp_free(s->sctp); /* its ABORT goes out through DTLS */
        s->sctp = NULL;
    }
    if (s->dtls)
        rtc_dtls_close(s->dtls);
    if (s->state != RTC_SESSION_ENDED) {
        s->state = RTC_SESSION_ENDED;
        s->end = RTC_END_NONE;
    }
}

void rtc_session_free(struct rtc_session *s)
{
    if (!s)
        return;
    if (s->sctp)
        rtc_sctp_free(s->sctp);
    rtc_dtls_free(s->dtls);
    free(s);
}

enum rtc_session_state rtc_session_state(const struct rtc_session *s)
{
    return s->state;
}

enum rtc_session_end rtc_session_end(const struct rtc_session *s)
{
    return s->end;
}

const union netaddr *rtc_session_peer(const struct rtc_session *s)
{
    return s->has_peer ? &s->peer : NULL;
}

const struct rtc_sctp_counters *rtc_session_sctp_counters(const struct rtc_session *s)
{
    return s->sctp ? rtc_sctp_counters(s->sctp) : NULL;
}
