/* test_rtc_host.c: the WebRTC edge's sessions (relay/webrtc/rtc_host.h)
 * against clients of the same modules (rtc/rtc_peer.h), in one process,
 * datagrams carried by hand between made-up endpoints: an offer answered,
 * checks, DTLS, SCTP and both channels, messages both ways; every bad
 * input counted and dropped with nothing answered and nothing kept
 * (checks under a wrong password or for no session, DTLS from an address
 * no check came from, neither STUN nor DTLS); no stranger ever sent more
 * bytes than it sent; tickets checked before a session exists; the limit
 * on sessions; sessions ended by their deadlines; a session closed by the
 * relay; a nomination from elsewhere followed only once it answers, and
 * checks from elsewhere never pushing the peer's address out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtc/rtc_peer.h"
#include "proto/ticket.h"
#include "relay/webrtc/rtc_host.h"
#include "rtc/rtc_stun.h"
#include "sys/clock.h"

#define QUEUE_MAX 4096
#define PEERS_MAX 4

struct dgram {
    union netaddr from, to;
    size_t len;
    uint8_t data[1500];
};

struct client {
    struct rtc_peer *p;
    union netaddr addr;        /* where its datagrams come from */
    struct rtc_sdp offer, answer; /* its offer and the relay's answer, as read */
    int messages;
    uint16_t last_sid;
    char last[256];
    bool opened, closed;
};

static struct dgram queue[QUEUE_MAX];
static int queued;
static union netaddr relay_addr;
static struct client clients[PEERS_MAX];
static struct rtc_host *host;

/* what the host heard */
static int host_opened, host_channels, host_messages, host_ended;
static unsigned last_slot;
static uint16_t last_sid;
static char last_text[256];
static enum rtc_session_end last_end;
static bool echo;              /* the host sends each message back on its channel */

/* bytes the relay sent to and got from each endpoint outside the clients */
static uint64_t to_strangers, from_strangers;

static union netaddr at(const char *endpoint)
{
    union netaddr a;
    char err[128];
    if (netaddr_parse_endpoint(endpoint, &a, err, sizeof err) != 0)
        fail_msg("%s: %s", endpoint, err);
    return a;
}

static void push(const union netaddr *from, const union netaddr *to, const uint8_t *data, size_t len)
{
    assert_true(queued < QUEUE_MAX);
    assert_true(len <= 1200); /* every datagram fits RTC_DTLS_MTU */
    queue[queued] = (struct dgram){.from = *from, .to = *to, .len = len};
    memcpy(queue[queued].data, data, len);
    queued++;
}

static struct client *client_at(const union netaddr *a)
{
    for (int i = 0; i < PEERS_MAX; i++)
        if (clients[i].p && netaddr_equal(&clients[i].addr, a))
            return &clients[i];
    return NULL;
}

static void host_send(void *ctx, const union netaddr *to, const uint8_t *data, size_t len)
{
    (void)ctx;
    if (!client_at(to))
        to_strangers += len;
    push(&relay_addr, to, data, len);
}

static void host_open(void *ctx, unsigned slot)
{
    (void)ctx;
    (void)slot;
    host_opened++;
}

static void host_channel(void *ctx, unsigned slot, const struct rtc_sctp_channel *ch)
{
    (void)ctx;
    (void)slot;
    (void)ch;
    host_channels++;
}

static void host_message(void *ctx, unsigned slot, uint16_t sid, bool binary, const uint8_t *data,
                         size_t len)
{
    (void)ctx;
    host_messages++;
    last_slot = slot;
    last_sid = sid;
    snprintf(last_text, sizeof last_text, "%.*s", (int)len, (const char *)data);
    if (echo)
        assert_int_equal(rtc_host_send(host, slot, sid, binary, data, len), 0);
}

static void host_ended_cb(void *ctx, unsigned slot, enum rtc_session_end why)
{
    (void)ctx;
    (void)slot;
    host_ended++;
    last_end = why;
}

static const struct rtc_host_ops host_ops = {host_send, host_open, host_channel, NULL,
                                             host_message, host_ended_cb};

static void peer_send(void *ctx, const union netaddr *to, const uint8_t *data, size_t len)
{
    struct client *c = ctx;
    push(&c->addr, to, data, len);
}

static void peer_open(void *ctx)
{
    ((struct client *)ctx)->opened = true;
}

static void peer_message(void *ctx, uint16_t sid, bool binary, const uint8_t *data, size_t len)
{
    struct client *c = ctx;
    (void)binary;
    c->messages++;
    c->last_sid = sid;
    snprintf(c->last, sizeof c->last, "%.*s", (int)len, (const char *)data);
}

static void peer_closed(void *ctx)
{
    ((struct client *)ctx)->closed = true;
}

static const struct rtc_peer_ops peer_ops = {peer_send, peer_open, peer_message, peer_closed};

/* Carries every queued datagram, then turns timers; rounds times, a
 * millisecond of real time apart (usrsctp reads the clock itself). */
static void run(int rounds)
{
    static struct dgram batch[QUEUE_MAX];
    for (int r = 0; r < rounds; r++) {
        int n = queued;
        memcpy(batch, queue, sizeof batch[0] * (size_t)n);
        queued = 0;
        uint64_t now = clock_now_us();
        for (int i = 0; i < n; i++) {
            struct dgram *d = &batch[i];
            if (netaddr_equal(&d->to, &relay_addr)) {
                if (!client_at(&d->from))
                    from_strangers += d->len;
                rtc_host_input(host, &d->from, d->data, d->len, now);
            } else {
                struct client *c = client_at(&d->to);
                if (c)
                    rtc_peer_input(c->p, &d->from, d->data, d->len, now);
            }
        }
        clock_sleep_ms(1);
        now = clock_now_us();
        if (rtc_host_due(host) <= now)
            rtc_host_timers(host, now);
        for (int i = 0; i < PEERS_MAX; i++)
            if (clients[i].p && rtc_peer_due(clients[i].p) <= now)
                rtc_peer_timers(clients[i].p, now);
    }
}

static void host_start(const struct rtc_host_config *cfg_in)
{
    struct rtc_host_config cfg;
    char err[128];
    if (cfg_in)
        cfg = *cfg_in;
    else
        rtc_host_default_config(&cfg);
    relay_addr = at("198.18.0.1:7790");
    cfg.advertise = relay_addr;
    queued = 0;
    host_opened = host_channels = host_messages = host_ended = 0;
    to_strangers = from_strangers = 0;
    echo = false;
    memset(clients, 0, sizeof clients);
    host = rtc_host_new(&cfg, &host_ops, NULL, clock_now_us(), err, sizeof err);
    assert_non_null(host);
}

static void host_stop(void)
{
    for (int i = 0; i < PEERS_MAX; i++)
        rtc_peer_free(clients[i].p);
    memset(clients, 0, sizeof clients);
    rtc_host_free(host);
    host = NULL;
    queued = 0;
    run(0);
}

/* A client at endpoint, its offer answered (pass: a ticket's, or NULL).
 * Returns the answer's length or the refusal. */
static int client_offer(int i, const char *endpoint, const char *pass, unsigned *slot)
{
    char err[128], answer[RTC_SDP_ANSWER_MAX + 1], why[128];
    clients[i] = (struct client){.addr = at(endpoint)};
    clients[i].p = rtc_peer_new(&clients[i].addr, &peer_ops, &clients[i], err, sizeof err);
    assert_non_null(clients[i].p);
    const char *offer = rtc_peer_offer(clients[i].p);
    assert_int_equal(rtc_sdp_parse(offer, strlen(offer), &clients[i].offer), RTC_SDP_OK);
    int n = rtc_host_answer(host, offer, strlen(offer), pass, clock_now_us(), 1800000000ull, answer,
                            sizeof answer, slot, NULL, why, sizeof why);
    if (n > 0)
        assert_int_equal(rtc_sdp_parse(answer, (size_t)n, &clients[i].answer), RTC_SDP_OK);
    if (n > 0)
        assert_int_equal(rtc_peer_answer(clients[i].p, answer, (size_t)n, clock_now_us(), err,
                                         sizeof err),
                         0);
    return n;
}

static void until_open(int i)
{
    for (int r = 0; r < 2000 && !clients[i].opened; r++)
        run(1);
    assert_true(clients[i].opened);
}

static void whole_session(void **state)
{
    (void)state;
    host_start(NULL);
    unsigned slot;
    assert_true(client_offer(0, "198.18.0.2:50000", NULL, &slot) > 0);
    assert_int_equal(rtc_host_sessions(host), 1);
    until_open(0);
    assert_int_equal(host_opened, 1);
    assert_int_equal(host_channels, 3);
    assert_int_equal(rtc_host_session_state(host, slot), RTC_SESSION_OPEN);
    echo = true;
    assert_int_equal(rtc_peer_send(clients[0].p, RTC_PEER_STATE, true, (const uint8_t *)"state 1", 7), 0);
    assert_int_equal(rtc_peer_send(clients[0].p, RTC_PEER_CONTROL, false,
                                   (const uint8_t *)"{\"type\":\"join\"}", 15), 0);
    run(20);
    assert_int_equal(host_messages, 2);
    assert_int_equal(last_slot, slot);
    assert_int_equal(last_sid, RTC_PEER_CONTROL);
    assert_string_equal(last_text, "{\"type\":\"join\"}");
    assert_int_equal(clients[0].messages, 2); /* both echoed */
    assert_string_equal(clients[0].last, "{\"type\":\"join\"}");
    assert_int_equal(rtc_host_send(host, slot, 7, true, (const uint8_t *)"x", 1), -1); /* no channel */
    assert_int_equal(rtc_host_send(host, slot + 1, 0, true, (const uint8_t *)"x", 1), -1);
    assert_int_equal(to_strangers, 0);
    const struct rtc_host_counters *c = rtc_host_counters(host);
    assert_true(c->stun_answered >= 1);
    assert_int_equal(c->stun_integrity + c->stun_unknown + c->dtls_unverified + c->other, 0);
    /* where it talks to; what waits for its acknowledgement; a channel closed */
    assert_true(netaddr_equal(rtc_host_peer(host, slot), &clients[0].addr));
    assert_null(rtc_host_peer(host, slot + 1));
    assert_int_equal(rtc_host_unsent(host, slot), 0);
    echo = false;
    assert_int_equal(rtc_host_send(host, slot, RTC_PEER_CONTROL, false, (const uint8_t *)"x", 1), 0);
    assert_true(rtc_host_unsent(host, slot) > 0);
    for (int r = 0; r < 600 && rtc_host_unsent(host, slot) > 0; r++)
        run(1); /* a lone packet's SACK: within the 200 ms delay */
    assert_int_equal(rtc_host_unsent(host, slot), 0);
    rtc_host_close_channel(host, slot, RTC_PEER_SEQUENCED);
    run(20);
    assert_int_equal(rtc_peer_channels_closed(clients[0].p), 1);
    assert_int_equal(rtc_host_send(host, slot, RTC_PEER_SEQUENCED, true, (const uint8_t *)"x", 1), -1);
    assert_int_equal(rtc_host_session_state(host, slot), RTC_SESSION_OPEN);
    host_stop();
}

/* A check from a stranger: under a wrong password, for no session,
 * malformed; DTLS from an address no check came from; neither. Counted,
 * dropped, nothing answered, nothing kept. */
static void bad_input_is_counted_and_dropped(void **state)
{
    (void)state;
    host_start(NULL);
    unsigned slot;
    assert_true(client_offer(0, "198.18.0.2:50000", NULL, &slot) > 0);
    queued = 0; /* the client's first check stays unsent */
    union netaddr stranger = at("198.18.0.66:4000");
    uint8_t buf[RTC_STUN_MSG_MAX], txid[12] = {9};
    /* the session's ufrag (from the host's answer is not at hand: the
     * slot's first four characters name it) with a made-up password */
    char username[64];
    snprintf(username, sizeof username, "AAAAxxxx:abcd");
    struct rtc_stun_check chk = {.username = username, .priority = 1, .tiebreaker = 2};
    size_t n = rtc_stun_write_check(buf, sizeof buf, txid, &chk, (const uint8_t *)"wrong-password-123456", 21);
    rtc_host_input(host, &stranger, buf, n, clock_now_us());
    snprintf(username, sizeof username, "zzzzzzzz:abcd"); /* no such slot */
    n = rtc_stun_write_check(buf, sizeof buf, txid, &chk, (const uint8_t *)"x", 1);
    rtc_host_input(host, &stranger, buf, n, clock_now_us());
    buf[n - 1] ^= 1; /* FINGERPRINT wrong */
    rtc_host_input(host, &stranger, buf, n, clock_now_us());
    uint8_t hello[200] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 180, 1};
    rtc_host_input(host, &stranger, hello, sizeof hello, clock_now_us());
    uint8_t rtp[100] = {0x80, 96};
    rtc_host_input(host, &stranger, rtp, sizeof rtp, clock_now_us());
    const struct rtc_host_counters *c = rtc_host_counters(host);
    assert_true(c->stun_integrity + c->stun_unknown >= 2);
    assert_int_equal(c->stun_malformed, 1);
    assert_int_equal(c->dtls_unverified, 1);
    assert_int_equal(c->other, 1);
    assert_int_equal(c->stun_answered, 0);
    assert_int_equal(queued, 0); /* nothing answered */
    assert_int_equal(rtc_host_session_state(host, slot), RTC_SESSION_WAITING);
    host_stop();
}

/* A check of client i's session, under its password (or pwd). */
static size_t forged_check(int i, uint8_t *buf, size_t cap, bool nominate, const char *pwd)
{
    char username[2 * RTC_SDP_UFRAG_MAX + 2];
    uint8_t txid[12] = {7, 7, 7};
    const struct rtc_sdp *a = &clients[i].answer;
    snprintf(username, sizeof username, "%s:%s", a->ufrag, clients[i].offer.ufrag);
    struct rtc_stun_check chk = {.username = username, .priority = 1, .tiebreaker = 2,
                                 .use_candidate = nominate};
    if (!pwd)
        pwd = a->pwd;
    return rtc_stun_write_check(buf, cap, txid, &chk, (const uint8_t *)pwd, strlen(pwd));
}

static uint8_t captured[1500];
static size_t captured_len;

static void capture(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    memcpy(captured, data, len);
    captured_len = len;
}

/* Floods from 500 endpoints of every kind: nothing goes back to any of
 * them. An endpoint that passed a check but not DTLS's cookie (a forged
 * source knowing the password) gets answers, each shorter than what it
 * answers, and no DTLS state is kept for it. */
static void strangers_never_get_more_bytes(void **state)
{
    (void)state;
    host_start(NULL);
    unsigned slot;
    assert_true(client_offer(0, "198.18.0.2:50000", NULL, &slot) > 0);
    queued = 0;
    uint64_t seed = 1;
    for (int i = 0; i < 500; i++) {
        char ep[64];
        snprintf(ep, sizeof ep, "198.18.%d.%d:%d", 1 + i / 200, 1 + i % 200, 1000 + i);
        union netaddr from = at(ep);
        uint8_t junk[300];
        for (size_t k = 0; k < sizeof junk; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            junk[k] = (uint8_t)(seed >> 56);
        }
        junk[0] = (uint8_t)(i % 64); /* STUN, DTLS and others alike */
        rtc_host_input(host, &from, junk, 20 + (size_t)(i % 280), clock_now_us());
        uint8_t chk[RTC_STUN_MSG_MAX];
        size_t n = forged_check(0, chk, sizeof chk, true, "not-the-password-at-all");
        rtc_host_input(host, &from, chk, n, clock_now_us());
    }
    assert_int_equal(queued, 0);
    const struct rtc_host_counters *c = rtc_host_counters(host);
    assert_int_equal(c->stun_answered, 0);
    assert_int_equal(c->stun_integrity, 500);
    assert_int_equal(rtc_host_sessions(host), 1);

    /* a forged source with the password: answered no longer than asked */
    union netaddr victim = at("198.18.9.9:9");
    uint8_t chk[RTC_STUN_MSG_MAX];
    size_t n = forged_check(0, chk, sizeof chk, true, NULL);
    rtc_host_input(host, &victim, chk, n, clock_now_us());
    assert_int_equal(queued, 1);
    assert_true(queue[0].len < n);
    queued = 0;
    /* a ClientHello from it: a HelloVerifyRequest, shorter; no association */
    char err[128];
    struct rtc_dtls_ctx *dc = rtc_dtls_ctx_new(false, err, sizeof err);
    const struct rtc_dtls_io io = {capture, NULL, NULL};
    struct rtc_dtls *d = rtc_dtls_connect(dc, clients[0].answer.fingerprint, &io);
    assert_non_null(d);
    for (int k = 0; k < 3; k++) {
        rtc_host_input(host, &victim, captured, captured_len, clock_now_us());
        assert_int_equal(queued, 1);
        assert_true(queue[0].len < captured_len);
        queued = 0;
    }
    assert_int_equal(rtc_host_session_state(host, slot), RTC_SESSION_CHECKED);
    rtc_dtls_free(d);
    rtc_dtls_ctx_free(dc);
    host_stop();
}

/* With keys, an offer needs a ticket they open, for this relay; a refused
 * offer keeps nothing. */
static void tickets_before_sessions(void **state)
{
    (void)state;
    struct ticket_key key, other;
    uint8_t a[TICKET_KEY_BYTES] = {1}, b[TICKET_KEY_BYTES] = {2};
    ticket_key_from_secret(&key, a);
    ticket_key_from_secret(&other, b);
    struct rtc_host_config cfg;
    rtc_host_default_config(&cfg);
    const char *const endpoints[] = {"198.18.0.1:7790"};
    cfg.keys = &key;
    cfg.n_keys = 1;
    cfg.self = (struct ticket_self){.fleet = "", .endpoints = endpoints, .n_endpoints = 1};
    host_start(&cfg);
    char text[TICKET_TEXT_MAX + 1], pass[TICKET_PASS_TEXT_MAX + 1], other_pass[TICKET_PASS_TEXT_MAX + 1];
    struct ticket_claims want = {.issued_s = 1800000000ull - 10, .expires_s = 1800000000ull + 60,
                                 .n_relays = 1};
    snprintf(want.room, sizeof want.room, "lobby");
    snprintf(want.name, sizeof want.name, "alice");
    snprintf(want.relays[0], sizeof want.relays[0], "198.18.0.1:7790");
    struct ticket_claims got;
    assert_true(ticket_mint(&key, &want, text, sizeof text) > 0);
    assert_int_equal(ticket_read(text, &got, pass, sizeof pass), 0);
    assert_true(ticket_mint(&other, &want, text, sizeof text) > 0);
    assert_int_equal(ticket_read(text, &got, other_pass, sizeof other_pass), 0);

    unsigned slot;
    assert_int_equal(client_offer(0, "198.18.0.2:50000", NULL, &slot), RTC_REFUSED_TICKET);
    rtc_peer_free(clients[0].p);
    assert_int_equal(client_offer(0, "198.18.0.2:50000", "garbage", &slot), RTC_REFUSED_TICKET);
    rtc_peer_free(clients[0].p);
    assert_int_equal(client_offer(0, "198.18.0.2:50000", other_pass, &slot), RTC_REFUSED_TICKET);
    rtc_peer_free(clients[0].p);
    assert_int_equal(rtc_host_sessions(host), 0);
    assert_int_equal(rtc_host_counters(host)->refused_ticket, 3);

    char answer[RTC_SDP_ANSWER_MAX + 1], why[128], err[128];
    clients[0] = (struct client){.addr = at("198.18.0.2:50000")};
    clients[0].p = rtc_peer_new(&clients[0].addr, &peer_ops, &clients[0], err, sizeof err);
    const char *offer = rtc_peer_offer(clients[0].p);
    struct ticket_claims claims;
    int n = rtc_host_answer(host, offer, strlen(offer), pass, clock_now_us(), 1800000000ull,
                            answer, sizeof answer, &slot, &claims, why, sizeof why);
    assert_true(n > 0);
    assert_string_equal(claims.room, "lobby");
    assert_string_equal(claims.name, "alice");
    assert_int_equal(rtc_peer_answer(clients[0].p, answer, (size_t)n, clock_now_us(), err, sizeof err), 0);
    until_open(0);
    host_stop();
}

/* max_sessions: the next offer is refused until one ends; a refused or
 * malformed offer keeps nothing. */
static void sessions_are_bounded(void **state)
{
    (void)state;
    struct rtc_host_config cfg;
    rtc_host_default_config(&cfg);
    cfg.max_sessions = 2;
    cfg.pending_ms = 200;
    host_start(&cfg);
    unsigned slot;
    assert_true(client_offer(0, "198.18.0.2:50000", NULL, &slot) > 0);
    assert_true(client_offer(1, "198.18.0.3:50000", NULL, &slot) > 0);
    assert_int_equal(client_offer(2, "198.18.0.4:50000", NULL, &slot), RTC_REFUSED_FULL);
    char answer[RTC_SDP_ANSWER_MAX + 1], why[128];
    assert_int_equal(rtc_host_answer(host, "v=0\r\nm=audio 9 RTP/AVP 0\r\n", 26, NULL, 0, 0,
                                     answer, sizeof answer, &slot, NULL, why, sizeof why),
                     RTC_REFUSED_OFFER);
    assert_non_null(strstr(why, "media"));
    assert_int_equal(rtc_host_sessions(host), 2);
    /* nobody checks (the clients' datagrams are lost): both end */
    for (int r = 0; r < 400 && host_ended < 2; r++) {
        queued = 0;
        run(1);
    }
    assert_int_equal(host_ended, 2);
    assert_int_equal(last_end, RTC_END_NO_CHECK);
    assert_int_equal(rtc_host_sessions(host), 0);
    assert_int_equal(rtc_host_due(host), UINT64_MAX);
    rtc_peer_free(clients[2].p);
    clients[2].p = NULL;
    assert_true(client_offer(2, "198.18.0.4:50000", NULL, &slot) > 0);
    host_stop();
}

/* Checks stop: the session ends on consent; DTLS never comes: on the
 * handshake's deadline. */
static void deadlines(void **state)
{
    (void)state;
    struct rtc_host_config cfg;
    rtc_host_default_config(&cfg);
    cfg.consent_ms = 400;
    cfg.handshake_ms = 300;
    host_start(&cfg);
    unsigned slot;
    assert_true(client_offer(0, "198.18.0.2:50000", NULL, &slot) > 0);
    until_open(0);
    /* the client checks every 5 s: far past 400 ms */
    for (int r = 0; r < 1000 && !host_ended; r++)
        run(1);
    assert_int_equal(host_ended, 1);
    assert_int_equal(last_end, RTC_END_CONSENT);
    assert_int_equal(rtc_host_counters(host)->ended[RTC_END_CONSENT], 1);

    assert_true(client_offer(1, "198.18.0.3:50000", NULL, &slot) > 0);
    run(1); /* the check goes and is answered... */
    for (int r = 0; r < 1000 && host_ended < 2; r++) {
        for (int i = 0; i < queued; i++) /* ...but DTLS never reaches the relay */
            if (queue[i].data[0] >= 20 && queue[i].data[0] <= 63)
                queue[i].to = at("198.18.0.99:1");
        run(1);
    }
    assert_int_equal(host_ended, 2);
    assert_int_equal(last_end, RTC_END_HANDSHAKE_TIMEOUT);
    host_stop();
}

/* The relay closes a session: the client sees SCTP's ABORT; no ended
 * callback, the slot free. */
static void closed_by_the_relay(void **state)
{
    (void)state;
    host_start(NULL);
    unsigned slot;
    assert_true(client_offer(0, "198.18.0.2:50000", NULL, &slot) > 0);
    until_open(0);
    rtc_host_close(host, slot);
    assert_int_equal(rtc_host_sessions(host), 0);
    assert_int_equal(rtc_host_session_state(host, slot), RTC_SESSION_ENDED);
    run(20);
    assert_true(clients[0].closed);
    assert_int_equal(host_ended, 0);
    assert_int_equal(rtc_host_counters(host)->closed, 1);
    assert_int_equal(rtc_host_send(host, slot, RTC_PEER_STATE, true, (const uint8_t *)"x", 1), -1);
    host_stop();
}

/* Once DTLS runs, a nomination from another address is probed: a forged
 * one (nobody answers there) moves nothing; the client's own, from its new
 * address, answers and the session follows it. */
static void nominations_are_probed(void **state)
{
    (void)state;
    host_start(NULL);
    unsigned slot;
    assert_true(client_offer(0, "198.18.0.2:50000", NULL, &slot) > 0);
    until_open(0);
    echo = true;
    union netaddr elsewhere = at("198.18.7.7:7");
    uint8_t chk[RTC_STUN_MSG_MAX];
    size_t n = forged_check(0, chk, sizeof chk, true, NULL);
    int before = queued;
    rtc_host_input(host, &elsewhere, chk, n, clock_now_us());
    assert_int_equal(queued, before + 2); /* the answer and the probe, both there, both short */
    struct dgram *answer = &queue[before], *probe = &queue[before + 1];
    assert_true(netaddr_equal(&answer->to, &elsewhere) && netaddr_equal(&probe->to, &elsewhere));
    assert_true(answer->len < n && probe->len <= n);
    assert_int_equal(rtc_peer_send(clients[0].p, RTC_PEER_CONTROL, true, (const uint8_t *)"still", 5), 0);
    run(20);
    assert_string_equal(clients[0].last, "still"); /* the echo came back to the client */
    /* the client moves: its nomination is probed, answered, followed */
    clients[0].addr = at("198.18.0.2:50001");
    rtc_peer_nominate(clients[0].p);
    run(10);
    /* at least once: on a slow turn the probe may be sent again, and answered again */
    assert_true(rtc_peer_probes_answered(clients[0].p) >= 1);
    assert_int_equal(rtc_peer_send(clients[0].p, RTC_PEER_CONTROL, true, (const uint8_t *)"moved", 5), 0);
    run(20);
    assert_string_equal(clients[0].last, "moved");
    /* checks from six other places (the password known) push nobody out */
    for (int i = 0; i < 6; i++) {
        char ep[32];
        snprintf(ep, sizeof ep, "198.18.8.%d:8", i + 1);
        union netaddr other = at(ep);
        n = forged_check(0, chk, sizeof chk, false, NULL);
        rtc_host_input(host, &other, chk, n, clock_now_us());
    }
    assert_int_equal(rtc_peer_send(clients[0].p, RTC_PEER_CONTROL, true, (const uint8_t *)"after", 5), 0);
    run(20);
    assert_string_equal(last_text, "after");
    assert_string_equal(clients[0].last, "after");
    host_stop();
}

int main(void)
{
    if (ticket_crypto_init() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_session),
        cmocka_unit_test(bad_input_is_counted_and_dropped),
        cmocka_unit_test(strangers_never_get_more_bytes),
        cmocka_unit_test(tickets_before_sessions),
        cmocka_unit_test(sessions_are_bounded),
        cmocka_unit_test(deadlines),
        cmocka_unit_test(closed_by_the_relay),
        cmocka_unit_test(nominations_are_probed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
