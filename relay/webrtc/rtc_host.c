/* rtc_host.c: sessions behind one socket (see rtc_host.h).
 *
 * A session's ufrag names its slot in its first four characters (24 bits
 * in ice-chars) and four random ones follow, so a check finds its session
 * without a search; its password is 24 random ice-chars (144 bits). The
 * addresses checks came from are kept per slot and found again through a
 * chained hash table keyed with SipHash under a random key. */
#include "rtc_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <sodium.h>

#include "rtc/rtc_demux.h"
#include "rtc/rtc_dtls.h"

#define UFRAG_LEN 8
#define PWD_LEN 24
#define NONE UINT32_MAX

static const char ice_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct slot {
    struct rtc_host *h;
    unsigned index;
    struct rtc_session *s;            /* NULL: free */
    bool ending;                      /* ended or closed: freed after the outer call */
    bool closed_here;                 /* by rtc_host_close: no ended callback */
    bool close_due;                   /* ... from inside a call: closed when reaped */
    enum rtc_session_end why;
    union netaddr addrs[RTC_HOST_ADDRS];
    uint64_t seen_us[RTC_HOST_ADDRS];
    unsigned n_addrs;
    uint64_t heard_us;                /* its last DTLS datagram (rtc_host_heard) */
    uint32_t next_free;
};

struct rtc_host {
    struct rtc_host_config cfg;
    struct rtc_host_ops ops;
    void *ctx;
    struct rtc_dtls_ctx *dtls;
    struct rtc_session_config session_cfg;
    struct slot *slots;
    uint32_t free_head;
    unsigned live;
    uint8_t hash_key[16];
    uint32_t *buckets;                /* address hash -> first entry (slot * ADDRS + k) */
    uint32_t *next;                   /* entry -> next entry in its bucket */
    uint32_t mask;
    uint64_t next_walk_us;
    int depth;                        /* calls under way: sessions are freed at depth 0 */
    bool reap;
    struct rtc_host_counters counters;
};

void rtc_host_default_config(struct rtc_host_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_sessions = 1024;
    cfg->max_message = 16384;
    cfg->channels_max = 4;
    cfg->sctp_buffer = 256 * 1024;
    cfg->pending_ms = 10000;
    cfg->handshake_ms = 10000;
    cfg->consent_ms = 30000;
}

/* --- the address index --- */

static uint32_t bucket_of(const struct rtc_host *h, const union netaddr *a)
{
    uint8_t key[NETADDR_KEY_MAX];
    size_t n = netaddr_key(a, key);
    uint8_t out[crypto_shorthash_BYTES]; /* SipHash-2-4 */
    uint32_t low;
    crypto_shorthash(out, key, n, h->hash_key);
    memcpy(&low, out, sizeof low);
    return low & h->mask;
}

static void index_add(struct rtc_host *h, unsigned slot, unsigned k)
{
    uint32_t e = slot * RTC_HOST_ADDRS + k, b = bucket_of(h, &h->slots[slot].addrs[k]);
    h->next[e] = h->buckets[b];
    h->buckets[b] = e;
}

static void index_remove(struct rtc_host *h, unsigned slot, unsigned k)
{
    uint32_t e = slot * RTC_HOST_ADDRS + k;
    for (uint32_t *p = &h->buckets[bucket_of(h, &h->slots[slot].addrs[k])]; *p != NONE;
         p = &h->next[*p])
        if (*p == e) {
            *p = h->next[e];
            return;
        }
}

/* The live session a check from `a` was answered for, or NULL. */
static struct slot *by_address(struct rtc_host *h, const union netaddr *a)
{
    for (uint32_t e = h->buckets[bucket_of(h, a)]; e != NONE; e = h->next[e]) {
        struct slot *sl = &h->slots[e / RTC_HOST_ADDRS];
        if (sl->s && !sl->ending && netaddr_equal(&sl->addrs[e % RTC_HOST_ADDRS], a))
            return sl;
    }
    return NULL;
}

/* `a` answered a check of this slot's session: known from now on, the
 * address seen longest ago making room, never the one the session talks
 * to (so checks from elsewhere cannot push the peer out). */
static void remember(struct rtc_host *h, struct slot *sl, const union netaddr *a, uint64_t now_us)
{
    const union netaddr *peer = rtc_session_peer(sl->s);
    unsigned k, oldest = RTC_HOST_ADDRS;
    for (k = 0; k < sl->n_addrs; k++) {
        if (netaddr_equal(&sl->addrs[k], a)) {
            sl->seen_us[k] = now_us;
            return;
        }
        bool is_peer = peer && netaddr_equal(&sl->addrs[k], peer);
        if (!is_peer && (oldest == RTC_HOST_ADDRS || sl->seen_us[k] < sl->seen_us[oldest]))
            oldest = k;
    }
    if (sl->n_addrs < RTC_HOST_ADDRS) {
        k = sl->n_addrs++;
    } else {
        k = oldest;
        index_remove(h, sl->index, k);
    }
    sl->addrs[k] = *a;
    sl->seen_us[k] = now_us;
    index_add(h, sl->index, k);
}

/* --- the sessions' callbacks, as the edge's --- */

static void on_send(void *ctx, const union netaddr *to, const uint8_t *data, size_t len)
{
    struct slot *sl = ctx;
    sl->h->ops.send(sl->h->ctx, to, data, len);
}

static void on_open(void *ctx)
{
    struct slot *sl = ctx;
    if (sl->h->ops.open && !sl->ending)
        sl->h->ops.open(sl->h->ctx, sl->index);
}

static void on_channel(void *ctx, const struct rtc_sctp_channel *ch)
{
    struct slot *sl = ctx;
    if (sl->h->ops.channel && !sl->ending)
        sl->h->ops.channel(sl->h->ctx, sl->index, ch);
}

static void on_channel_closed(void *ctx, uint16_t sid)
{
    struct slot *sl = ctx;
    if (sl->h->ops.channel_closed && !sl->ending)
        sl->h->ops.channel_closed(sl->h->ctx, sl->index, sid);
}

static void on_message(void *ctx, uint16_t sid, bool binary, const uint8_t *data, size_t len)
{
    struct slot *sl = ctx;
    if (sl->h->ops.message && !sl->ending)
        sl->h->ops.message(sl->h->ctx, sl->index, sid, binary, data, len);
}

static void on_ended(void *ctx, enum rtc_session_end why)
{
    struct slot *sl = ctx;
    if (sl->ending)
        return;
    sl->ending = true;
    sl->why = why;
    sl->h->reap = true;
}

static const struct rtc_session_ops session_ops = {on_send,           on_open,    on_channel,
                                                   on_channel_closed, on_message, on_ended};

/* Frees the sessions that ended or were closed, telling the edge of the
 * ended ones; only when no call is under way. */
static void reap(struct rtc_host *h)
{
    if (h->depth > 0 || !h->reap)
        return;
    h->reap = false;
    for (unsigned i = 0; i < h->cfg.max_sessions; i++) {
        struct slot *sl = &h->slots[i];
        if (!sl->s || !sl->ending)
            continue;
        for (unsigned k = 0; k < sl->n_addrs; k++)
            index_remove(h, i, k);
        if (sl->close_due) { /* its ABORT and close_notify, outside usrsctp now */
            h->depth++;
            rtc_session_close(sl->s);
            h->depth--;
        }
        sl->close_due = false;
        rtc_session_free(sl->s);
        sl->s = NULL;
        sl->n_addrs = 0;
        sl->next_free = h->free_head;
        h->free_head = i;
        h->live--;
        if (sl->closed_here) {
            h->counters.closed++;
        } else {
            h->counters.ended[sl->why]++;
            if (h->ops.ended)
                h->ops.ended(h->ctx, i, sl->why);
        }
    }
}

/* --- the host --- */

struct rtc_host *rtc_host_new(const struct rtc_host_config *cfg, const struct rtc_host_ops *ops,
                              void *ctx, uint64_t now_us, char *err, size_t err_cap)
{
    if (cfg->max_sessions == 0 || cfg->max_sessions > RTC_HOST_SESSIONS_MAX) {
        snprintf(err, err_cap, "WebRTC: sessions must be 1 to %u", RTC_HOST_SESSIONS_MAX);
        return NULL;
    }
    struct rtc_host *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, err_cap, "WebRTC: out of memory");
        return NULL;
    }
    h->cfg = *cfg;
    h->ops = *ops;
    h->ctx = ctx;
    uint32_t entries = cfg->max_sessions * RTC_HOST_ADDRS, buckets = 1;
    while (buckets < entries)
        buckets <<= 1;
    h->mask = buckets - 1;
    h->slots = calloc(cfg->max_sessions, sizeof *h->slots);
    h->buckets = malloc(buckets * sizeof *h->buckets);
    h->next = malloc(entries * sizeof *h->next);
    if (!h->slots || !h->buckets || !h->next || RAND_bytes(h->hash_key, sizeof h->hash_key) != 1) {
        snprintf(err, err_cap, "WebRTC: out of memory");
        rtc_host_free(h);
        return NULL;
    }
    memset(h->buckets, 0xff, buckets * sizeof *h->buckets);
    for (unsigned i = 0; i < cfg->max_sessions; i++) {
        h->slots[i] = (struct slot){.h = h, .index = i,
                                    .next_free = i + 1 < cfg->max_sessions ? i + 1 : NONE};
    }
    h->free_head = 0;
    if (!(h->dtls = rtc_dtls_ctx_new(true, err, err_cap)) || rtc_sctp_global_init(now_us) < 0) {
        rtc_host_free(h);
        return NULL;
    }
    h->session_cfg = (struct rtc_session_config){
        .dtls = h->dtls, .sctp_port = RTC_SDP_SCTP_PORT, .max_message = cfg->max_message,
        .channels_max = cfg->channels_max, .sctp_buffer = cfg->sctp_buffer,
        .pending_us = cfg->pending_ms * 1000, .handshake_us = cfg->handshake_ms * 1000,
        .consent_us = cfg->consent_ms * 1000, .sctp_counters = &h->counters.sctp};
    h->next_walk_us = now_us + RTC_HOST_TICK_US;
    return h;
}

void rtc_host_free(struct rtc_host *h)
{
    if (!h)
        return;
    for (unsigned i = 0; h->slots && i < h->cfg.max_sessions; i++)
        if (h->slots[i].s) {
            rtc_session_close(h->slots[i].s);
            rtc_session_free(h->slots[i].s);
        }
    rtc_dtls_ctx_free(h->dtls);
    free(h->slots);
    free(h->buckets);
    free(h->next);
    free(h);
}

const char *rtc_host_fingerprint(const struct rtc_host *h)
{
    return rtc_dtls_ctx_fingerprint(h->dtls);
}

/* n random ice-chars into out (NUL-terminated). */
static int random_chars(char *out, size_t n)
{
    uint8_t r[PWD_LEN];
    if (n > sizeof r || RAND_bytes(r, (int)n) != 1)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = ice_chars[r[i] & 63];
    out[n] = '\0';
    return 0;
}

/* The ufrag of slot i: the slot in four ice-chars, then four random. */
static int make_ufrag(unsigned i, char out[UFRAG_LEN + 1])
{
    for (int k = 0; k < 4; k++)
        out[k] = ice_chars[(i >> (18 - 6 * k)) & 63];
    return random_chars(out + 4, 4);
}

/* The slot a ufrag names, or -1. */
static long slot_of(const uint8_t *ufrag, size_t len)
{
    if (len < 4)
        return -1;
    long i = 0;
    for (int k = 0; k < 4; k++) {
        const char *c = memchr(ice_chars, ufrag[k], 64);
        if (!c || !ufrag[k])
            return -1;
        i = i << 6 | (c - ice_chars);
    }
    return i;
}

static int refuse(struct rtc_host *h, uint64_t *counter, enum rtc_host_refusal r, char *why,
                  size_t why_cap, const char *text)
{
    (void)h;
    (*counter)++;
    snprintf(why, why_cap, "%s", text);
    return r;
}

int rtc_host_answer(struct rtc_host *h, const char *offer, size_t len, const char *pass,
                    uint64_t now_us, uint64_t unix_s, char *out, size_t cap, unsigned *slot,
                    struct ticket_claims *claims, char *why, size_t why_cap)
{
    h->counters.offers++;
    struct rtc_sdp sdp;
    enum rtc_sdp_fault f = rtc_sdp_parse(offer, len, &sdp);
    if (f == RTC_SDP_OK)
        f = rtc_sdp_check_offer(&sdp);
    if (f != RTC_SDP_OK)
        return refuse(h, &h->counters.refused_offer, RTC_REFUSED_OFFER, why, why_cap,
                      rtc_sdp_fault_text(f));
    if (h->cfg.n_keys > 0) {
        struct ticket_claims c;
        char reason[128];
        if (!pass || ticket_verify(pass, h->cfg.keys, h->cfg.n_keys, &h->cfg.self, unix_s, &c,
                                   reason, sizeof reason) != PROTO_ERROR_NONE)
            return refuse(h, &h->counters.refused_ticket, RTC_REFUSED_TICKET, why, why_cap,
                          pass ? reason : "a ticket is required");
        if (claims)
            *claims = c;
    }
    if (h->free_head == NONE)
        return refuse(h, &h->counters.refused_full, RTC_REFUSED_FULL, why, why_cap,
                      "no room for another session");
    unsigned i = h->free_head;
    struct slot *sl = &h->slots[i];
    char ufrag[UFRAG_LEN + 1], pwd[PWD_LEN + 1];
    uint64_t session_id = 0;
    if (make_ufrag(i, ufrag) < 0 || random_chars(pwd, PWD_LEN) < 0 ||
        RAND_bytes((unsigned char *)&session_id, sizeof session_id) != 1)
        return refuse(h, &h->counters.refused_full, RTC_REFUSED_FULL, why, why_cap,
                      "no random bytes");
    struct rtc_sdp_local local = {.ufrag = ufrag, .pwd = pwd,
                                  .fingerprint = rtc_dtls_ctx_fingerprint(h->dtls),
                                  .address = &h->cfg.advertise, .sctp_port = RTC_SDP_SCTP_PORT,
                                  .max_message = h->cfg.max_message,
                                  .session_id = session_id >> 2};
    int n = rtc_sdp_write_answer(&sdp, &local, out, cap);
    if (n < 0) {
        snprintf(why, why_cap, "the answer does not fit %zu bytes", cap);
        return RTC_REFUSED_NO_ROOM;
    }
    struct rtc_session *s = rtc_session_new(&h->session_cfg, &sdp, ufrag, pwd, &session_ops, sl,
                                            now_us);
    if (!s)
        return refuse(h, &h->counters.refused_full, RTC_REFUSED_FULL, why, why_cap,
                      "out of memory");
    h->free_head = sl->next_free;
    *sl = (struct slot){.h = h, .index = i, .s = s, .next_free = NONE};
    h->live++;
    h->counters.answered++;
    *slot = i;
    return n;
}

/* A STUN message: a check names its session by USERNAME; an answer to
 * the relay's own check comes from an address a check came from. */
static void stun_in(struct rtc_host *h, const union netaddr *from, const uint8_t *p, size_t n,
                    uint64_t now_us)
{
    struct rtc_stun_msg m;
    h->counters.stun_in++;
    if (rtc_stun_parse(p, n, &m) != RTC_STUN_OK) {
        h->counters.stun_malformed++;
        return;
    }
    if (m.type == RTC_STUN_BINDING_SUCCESS) {
        struct slot *sl = by_address(h, from);
        h->counters.stun_answers_in++;
        if (sl)
            rtc_session_answer(sl->s, from, p, &m);
        return;
    }
    long i = m.username ? slot_of(m.username, m.username_len) : -1;
    struct slot *sl = i >= 0 && (unsigned long)i < h->cfg.max_sessions ? &h->slots[i] : NULL;
    size_t ulen = UFRAG_LEN;
    if (!sl || !sl->s || sl->ending || m.username_len <= ulen || m.username[ulen] != ':' ||
        memcmp(m.username, rtc_session_ufrag(sl->s), ulen) != 0) {
        h->counters.stun_unknown++;
        return;
    }
    switch (rtc_session_check(sl->s, from, p, n, &m, now_us)) {
    case RTC_CHECK_OK:
        h->counters.stun_answered++;
        remember(h, sl, from, now_us);
        break;
    case RTC_CHECK_INTEGRITY:
        h->counters.stun_integrity++;
        break;
    default:
        h->counters.stun_not_check++;
        break;
    }
}

void rtc_host_input(struct rtc_host *h, const union netaddr *from, const uint8_t *data,
                    size_t len, uint64_t now_us)
{
    h->depth++;
    switch (rtc_demux(data, len)) {
    case RTC_DEMUX_STUN:
        stun_in(h, from, data, len, now_us);
        break;
    case RTC_DEMUX_DTLS: {
        struct slot *sl = by_address(h, from);
        h->counters.dtls_in++;
        if (sl) {
            sl->heard_us = now_us;
            rtc_session_dtls(sl->s, from, data, len, now_us);
        } else
            h->counters.dtls_unverified++;
        break;
    }
    default:
        h->counters.other++;
        break;
    }
    h->depth--;
    reap(h);
}

static struct slot *live_slot(const struct rtc_host *h, unsigned slot)
{
    struct slot *sl = slot < h->cfg.max_sessions ? &h->slots[slot] : NULL;
    return sl && sl->s && !sl->ending ? sl : NULL;
}

int rtc_host_send(struct rtc_host *h, unsigned slot, uint16_t sid, bool binary,
                  const uint8_t *data, size_t len)
{
    struct slot *sl = live_slot(h, slot);
    if (!sl)
        return -1;
    h->depth++;
    int r = rtc_session_send(sl->s, sid, binary, data, len);
    h->depth--;
    reap(h);
    return r;
}

void rtc_host_close(struct rtc_host *h, unsigned slot)
{
    struct slot *sl = live_slot(h, slot);
    if (!sl)
        return;
    sl->ending = sl->closed_here = true; /* before its ABORT: no callback from it */
    h->reap = true;
    if (h->depth > 0) {
        /* From inside a call, usrsctp's own callbacks maybe: its association
         * is still in use there, so it is closed and freed once that call
         * returns (reap). */
        sl->close_due = true;
        return;
    }
    h->depth++;
    rtc_session_close(sl->s);
    h->depth--;
    reap(h);
}

void rtc_host_close_channel(struct rtc_host *h, unsigned slot, uint16_t sid)
{
    struct slot *sl = live_slot(h, slot);
    if (!sl)
        return;
    h->depth++;
    rtc_session_close_channel(sl->s, sid);
    h->depth--;
    reap(h);
}

unsigned rtc_host_unsent(const struct rtc_host *h, unsigned slot)
{
    struct slot *sl = live_slot(h, slot);
    return sl ? rtc_session_unsent(sl->s) : 0;
}

uint64_t rtc_host_heard(const struct rtc_host *h, unsigned slot)
{
    struct slot *sl = live_slot(h, slot);
    return sl ? sl->heard_us : 0;
}

const union netaddr *rtc_host_peer(const struct rtc_host *h, unsigned slot)
{
    struct slot *sl = live_slot(h, slot);
    return sl ? rtc_session_peer(sl->s) : NULL;
}

uint64_t rtc_host_due(const struct rtc_host *h)
{
    if (!h->live)
        return UINT64_MAX;
    uint64_t sctp = rtc_sctp_due();
    return sctp < h->next_walk_us ? sctp : h->next_walk_us;
}

void rtc_host_timers(struct rtc_host *h, uint64_t now_us)
{
    h->depth++;
    rtc_sctp_timers(now_us);
    if (now_us >= h->next_walk_us) {
        h->next_walk_us = now_us + RTC_HOST_TICK_US;
        for (unsigned i = 0; i < h->cfg.max_sessions; i++)
            if (h->slots[i].s && !h->slots[i].ending)
                rtc_session_timers(h->slots[i].s, now_us);
    }
    h->depth--;
    reap(h);
}

unsigned rtc_host_sessions(const struct rtc_host *h)
{
    return h->live;
}

enum rtc_session_state rtc_host_session_state(const struct rtc_host *h, unsigned slot)
{
    struct slot *sl = live_slot(h, slot);
    return sl ? rtc_session_state(sl->s) : RTC_SESSION_ENDED;
}

const struct rtc_host_counters *rtc_host_counters(const struct rtc_host *h)
{
    return &h->counters;
}
