/* transport_webrtc.c: the relay's WebRTC edge (ricochet-relay --listen
 * webrtc://HOST:PORT): browsers' data channels on one UDP socket.
 *
 * A browser opens no socket of its own: it asks for a WebRTC session with
 * an offer (signalling: the edge's route on the relay's HTTP front, POST
 * /rtc, answers it), and everything after comes to this one socket:
 * ICE-lite checks (STUN), DTLS, and SCTP over DTLS carrying its data
 * channels. The webrtc modules (rtc_host.h) run the sessions, given
 * datagrams and the time; this file owns the socket and turns what the
 * sessions hear into calls on the core:
 *
 *   - a session is a peer of the core once its "control" channel is open
 *     (SCTP up, then the browser's DCEP open): relay_peer_connect with
 *     base + its slot and the address its checks came from;
 *   - each message on a channel of the contract is relay_on_datagram with
 *     the (channel, flags) of its label (transport_webrtc_channels.c);
 *   - its end is relay_peer_gone: timeout when its checks stopped
 *     (consent, RFC 7675), quit when it closed DTLS or SCTP.
 *
 * Reading is bounded (RTC_EDGE_READS recvmmsg batches a service); what the
 * sessions send is queued and leaves in one sendmmsg
 * (transport_webrtc_out.c). usrsctp runs every callback inside the host's
 * calls, on the loop's thread; a session that ends inside one is reported
 * once the call returns (the gone list), never from inside the core. */
#include "transport_webrtc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/log.h"
#include "relay/core/source_key.h"

#define SOCKET_BUFFER (4 << 20)

/* ---- the sessions' callbacks ------------------------------------------------ */

static void on_send(void *ctx, const union netaddr *to, const uint8_t *data, size_t len)
{
    transport_webrtc_queue(ctx, to, data, len);
}

static void on_open(void *ctx, unsigned slot)
{
    struct relay_webrtc *t = ctx;
    if (t->slots[slot].phase == RTC_PHASE_OFFERED) {
        t->slots[slot].phase = RTC_PHASE_UP;
        t->slots[slot].since_us = clock_now_us();
    }
}

/* Slot's session ended, or is closed, before it was a peer: the pass its
 * offer claimed is free again. */
static void let_go(struct relay_webrtc *t, unsigned slot)
{
    if (t->relay)
        relay_ticket_unclaim(t->relay, t->base + slot);
}

/* Peers from the IP address of a (any port), sessions of the core. */
static uint32_t peers_from(const struct relay_webrtc *t, const union netaddr *a)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->cfg.peer_cap; i++) {
        const union netaddr *p = t->slots[i].phase == RTC_PHASE_PEER
                                     ? rtc_host_peer(t->host, i) : NULL;
        n += p && source_same(p, a);
    }
    return n;
}

/* Its control channel is open: the session becomes a peer of the core,
 * unless its address has --max-per-address peers already. */
static void become_peer(struct relay_webrtc *t, unsigned slot)
{
    struct rtc_edge_slot *s = &t->slots[slot];
    const union netaddr *a = rtc_host_peer(t->host, slot);
    t->half_open--;
    if (!a || (t->cfg.max_per_address && peers_from(t, a) >= t->cfg.max_per_address)) {
        relay_count_drop(t->relay, RELAY_DROP_PER_ADDRESS);
        let_go(t, slot);
        rtc_host_close(t->host, slot);
        memset(s, 0, sizeof *s);
        return;
    }
    s->phase = RTC_PHASE_PEER; /* before: a refusal calls disconnect at once */
    relay_peer_connect(t->relay, t->base + slot, a, clock_now_us());
}

static void on_channel(void *ctx, unsigned slot, const struct rtc_sctp_channel *ch)
{
    struct relay_webrtc *t = ctx;
    struct rtc_edge_slot *s = &t->slots[slot];
    enum rtc_role role = transport_webrtc_role(ch);
    if (s->phase == RTC_PHASE_CLOSING)
        return;
    if (role == RTC_ROLE_NONE || s->sid[role] != RTC_EDGE_NO_SID || ch->ours ||
        ch->sid >= RTC_SCTP_STREAMS) {
        t->own[RTC_COUNT_CHANNELS_REFUSED]++;
        log_debug("relay: webrtc: session %u: channel '%s' refused", slot, ch->label);
        rtc_host_close_channel(t->host, slot, ch->sid);
        return;
    }
    s->sid[role] = ch->sid;
    s->role[ch->sid] = (uint8_t)role;
    if (role == RTC_ROLE_CONTROL && s->phase == RTC_PHASE_UP)
        become_peer(t, slot);
}

/* A channel the browser closed; closing its control channel is leaving. */
static void on_channel_closed(void *ctx, unsigned slot, uint16_t sid)
{
    struct relay_webrtc *t = ctx;
    struct rtc_edge_slot *s = &t->slots[slot];
    if (sid >= RTC_SCTP_STREAMS || s->role[sid] == RTC_ROLE_NONE)
        return;
    enum rtc_role role = (enum rtc_role)s->role[sid];
    s->sid[role] = RTC_EDGE_NO_SID;
    s->role[sid] = RTC_ROLE_NONE;
    if (role != RTC_ROLE_CONTROL || s->phase != RTC_PHASE_PEER)
        return;
    t->gone[t->n_gone] = slot;
    t->gone_why[t->n_gone++] = PROTO_LEFT_QUIT;
    transport_webrtc_lanes_drop(t, slot);
    rtc_host_close(t->host, slot); /* freed once the host's call returns */
    memset(s, 0, sizeof *s);
}

static void on_message(void *ctx, unsigned slot, uint16_t sid, bool binary, const uint8_t *data,
                       size_t len)
{
    struct relay_webrtc *t = ctx;
    struct rtc_edge_slot *s = &t->slots[slot];
    (void)binary; /* the first byte tells JSON from a state, as on every edge */
    enum rtc_role role = sid < RTC_SCTP_STREAMS ? (enum rtc_role)s->role[sid] : RTC_ROLE_NONE;
    if (s->phase == RTC_PHASE_CLOSING) {
        relay_count_drop(t->relay, RELAY_DROP_CLOSED);
        return;
    }
    if (s->phase != RTC_PHASE_PEER || role == RTC_ROLE_NONE) {
        t->own[RTC_COUNT_STRAY]++;
        return;
    }
    uint8_t channel;
    uint32_t flags;
    /* no longer than the answer's a=max-message-size (the host drops longer) */
    size_t n = len < t->cfg.max_packet_size ? len : t->cfg.max_packet_size;
    memcpy(t->message, data, n); /* the core stamps states in place */
    transport_webrtc_up(role, data, len, &channel, &flags);
    relay_on_datagram(t->relay, t->base + slot, channel,
                      flags | (n < len ? RELAY_IN_TRUNCATED : 0), t->message, n, clock_now_us());
}

/* How the core hears of a session's end: its checks stopped (timeout), or
 * it closed DTLS or SCTP (quit). */
static enum proto_left_reason left_reason(enum rtc_session_end why)
{
    switch (why) {
    case RTC_END_CONSENT:
    case RTC_END_HANDSHAKE_TIMEOUT:
    case RTC_END_NO_CHECK:
        return PROTO_LEFT_TIMEOUT;
    default:
        return PROTO_LEFT_QUIT;
    }
}

static void on_ended(void *ctx, unsigned slot, enum rtc_session_end why)
{
    struct relay_webrtc *t = ctx;
    struct rtc_edge_slot *s = &t->slots[slot];
    switch (s->phase) {
    case RTC_PHASE_PEER:
        t->gone[t->n_gone] = slot;
        t->gone_why[t->n_gone++] = (uint8_t)left_reason(why);
        break;
    case RTC_PHASE_CLOSING:
        t->closing--;
        break;
    case RTC_PHASE_OFFERED:
    case RTC_PHASE_UP:
        t->half_open--;
        t->own[RTC_COUNT_HALF_OPEN]++;
        let_go(t, slot);
        break;
    }
    transport_webrtc_lanes_drop(t, slot);
    memset(s, 0, sizeof *s);
}

static const struct rtc_host_ops host_ops = {on_send, on_open, on_channel, on_channel_closed,
                                             on_message, on_ended};

/* Tells the core of the peers whose sessions ended (outside its calls). */
static void report_gone(struct relay_webrtc *t)
{
    for (unsigned i = 0; i < t->n_gone; i++)
        relay_peer_gone(t->relay, t->base + t->gone[i],
                        (enum proto_left_reason)t->gone_why[i], clock_now_us());
    t->n_gone = 0;
}

/* The edge's counters and the host's, into its part of the stats record. */
static void publish(struct relay_webrtc *t)
{
    const struct rtc_host_counters *c = rtc_host_counters(t->host);
    uint64_t v[RTC_COUNTS];
    memcpy(v, t->own, sizeof v);
    v[RTC_COUNT_OFFERS] = c->answered;
    v[RTC_COUNT_OFFERS_BAD] += c->refused_offer;
    v[RTC_COUNT_OFFERS_FULL] += c->refused_full;
    v[RTC_COUNT_STUN_MALFORMED] = c->stun_malformed;
    v[RTC_COUNT_STUN_UNKNOWN] = c->stun_unknown;
    v[RTC_COUNT_STUN_INTEGRITY] = c->stun_integrity;
    v[RTC_COUNT_STUN_NOT_CHECK] = c->stun_not_check;
    v[RTC_COUNT_DTLS_UNVERIFIED] = c->dtls_unverified;
    v[RTC_COUNT_NOT_WEBRTC] = c->other;
    v[RTC_COUNT_CHANNELS_REFUSED] += c->sctp.channels_refused;
    v[RTC_COUNT_DCEP_BAD] = c->sctp.bad_dcep;
    v[RTC_COUNT_STRAY] += c->sctp.stray;
    v[RTC_COUNT_OVERSIZE] = c->sctp.oversize;
    v[RTC_COUNT_SEND_BLOCKED] = c->sctp.send_blocked;
    if (t->relay)
        relay_edge_counters(t->relay, t->base, v, RTC_COUNTS);
}

/* ---- lifecycle ---------------------------------------------------------------- */

static void webrtc_destroy(void *ctx);

/* The address answers name as the host candidate: --webrtc-advertise
 * HOST:PORT (PORT 0: the port bound), else the address bound, which must
 * then be one a browser can reach (not a wildcard). */
static int advertise_at(struct relay_webrtc *t, const union netaddr *bound, char *err,
                        size_t cap)
{
    const char *adv = t->cfg.webrtc_advertise;
    char host[RELAY_ADDR_MAX], why[160];
    uint16_t port;
    if (!adv || !*adv) {
        t->advertise = *bound;
        bool any = bound->sa.sa_family == AF_INET
                       ? bound->v4.sin_addr.s_addr == htonl(INADDR_ANY)
                       : IN6_IS_ADDR_UNSPECIFIED(&bound->v6.sin6_addr);
        if (any)
            snprintf(err, cap, "webrtc://%s: a wildcard address is no candidate a browser "
                     "can reach: bind one address, or give --webrtc-advertise HOST:PORT",
                     t->addr);
        return any ? -1 : 0;
    }
    if (netaddr_split_endpoint(adv, host, sizeof host, &port, why, sizeof why) != 0 ||
        netaddr_resolve(host, port ? port : netaddr_port(bound), &t->advertise, why,
                        sizeof why) != 0) {
        snprintf(err, cap, "--webrtc-advertise %s: %s", adv, why);
        return -1;
    }
    return 0;
}

/* socket(), bind(), the address bound. Returns 0, or -1 with err. */
static int webrtc_bind(struct relay_webrtc *t, char *err, size_t cap)
{
    union netaddr local;
    t->fd = dgram_bind(t->cfg.bind, t->cfg.port, SOCKET_BUFFER, &local, err, cap);
    if (t->fd < 0)
        return -1;
    netaddr_format(&local, t->addr, sizeof t->addr);
    return advertise_at(t, &local, err, cap);
}

/* The buffers, the host and its sessions' limits. Returns 0, or -1. */
static int webrtc_alloc(struct relay_webrtc *t, char *err, size_t cap)
{
    uint32_t n = t->cfg.peer_cap;
    t->slots = calloc(n, sizeof *t->slots);
    t->gone = calloc(n, sizeof *t->gone);
    t->gone_why = calloc(n, sizeof *t->gone_why);
    t->message = malloc(t->cfg.max_packet_size);
    t->arena = malloc(RTC_EDGE_ARENA);
    t->lanes = calloc(RTC_EDGE_ARENA / RTC_EDGE_BATCH_MAX, sizeof *t->lanes);
    if (!t->slots || !t->gone || !t->gone_why || !t->message || !t->arena || !t->lanes ||
        dgram_in_init(&t->in, RTC_EDGE_READ, RTC_EDGE_DATAGRAM) != 0 ||
        dgram_out_init(&t->out, RTC_EDGE_OUT, RTC_DTLS_MTU) != 0) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    struct rtc_host_config hc;
    rtc_host_default_config(&hc);
    hc.advertise = t->advertise;
    hc.max_sessions = n;
    hc.max_message = (uint32_t)t->cfg.max_packet_size;
    hc.channels_max = RTC_ROLES;
    t->max_half_open = t->cfg.max_half_open ? t->cfg.max_half_open : (n + 3) / 4;
    t->host = rtc_host_new(&hc, &host_ops, t, clock_now_us(), err, cap);
    return t->host ? 0 : -1;
}

static void offer_route(void *ctx, const struct http_req *req, const char *body,
                        struct http_conn *c);

static void *webrtc_create(const struct relay_net_config *cfg, char *err, size_t err_cap)
{
    struct relay_webrtc *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    t->fd = -1;
    t->cfg = relay_net_config_settled(cfg);
    if (webrtc_bind(t, err, err_cap) != 0 || webrtc_alloc(t, err, err_cap) != 0) {
        webrtc_destroy(t);
        return NULL;
    }
    if (cfg->http) /* a second webrtc edge: the first answers the offers */
        http_front_serve(cfg->http, HTTP_POST, "/rtc", offer_route, t);
    return t;
}

static void webrtc_destroy(void *ctx)
{
    struct relay_webrtc *t = ctx;
    if (!t)
        return;
    rtc_host_free(t->host); /* aborts what is left, no callbacks */
    if (t->fd >= 0)
        close(t->fd);
    free(t->slots);
    free(t->gone);
    free(t->gone_why);
    free(t->message);
    dgram_in_free(&t->in);
    dgram_out_free(&t->out);
    free(t->arena);
    free(t->lanes);
    free(t);
}

static const char *webrtc_address(const void *ctx)
{
    return ((const struct relay_webrtc *)ctx)->addr;
}

static int webrtc_fd(const void *ctx)
{
    return ((const struct relay_webrtc *)ctx)->fd;
}

/* ---- the loop's operations ---------------------------------------------------- */

/* One recvmmsg batch into the host. Returns the datagrams read, 0 when
 * none waited, or -1 on a socket error. */
static int read_batch(struct relay_webrtc *t, struct relay *r)
{
    int n = dgram_in_read(&t->in, t->fd, "webrtc");
    if (n <= 0)
        return n;
    relay_arrived(r, t->read_end_us, dgram_in_received_us(&t->in, n - 1));
    uint64_t now = clock_now_us();
    for (int i = 0; i < n; i++) {
        const uint8_t *bytes;
        size_t len;
        const union netaddr *from;
        /* one cut short was longer than any datagram of WebRTC's */
        if (dgram_in_take(&t->in, i, &bytes, &len, &from, &t->own[RTC_COUNT_TOO_LONG]))
            rtc_host_input(t->host, from, bytes, len, now);
    }
    report_gone(t);
    transport_webrtc_out_flush(t); /* the answers and this batch's states, at once */
    return n;
}

/* The host's timers when due (usrsctp's every 10 ms while a session lives,
 * the sessions' deadlines), then what reads, RTC_EDGE_READS batches at
 * most, then the closes whose last messages arrived. */
static int webrtc_service(void *ctx, struct relay *r)
{
    struct relay_webrtc *t = ctx;
    t->relay = r;
    t->backlog = false;
    report_gone(t);
    uint64_t now = clock_now_us();
    if (rtc_host_due(t->host) <= now) {
        rtc_host_timers(t->host, now);
        report_gone(t);
    }
    int total = 0;
    for (int b = 0; b < RTC_EDGE_READS; b++) {
        int n = read_batch(t, r);
        if (n < 0)
            return -1;
        total += n;
        if (n < RTC_EDGE_READ)
            break;
        t->backlog = b == RTC_EDGE_READS - 1;
    }
    if (!t->backlog)
        t->read_end_us = clock_now_us();
    transport_webrtc_closing(t, clock_now_us());
    transport_webrtc_out_flush(t);
    return total;
}

static void webrtc_flush(void *ctx, struct relay *r)
{
    struct relay_webrtc *t = ctx;
    t->relay = r;
    transport_webrtc_lanes_flush(t);
    report_gone(t);
    transport_webrtc_out_flush(t);
    publish(t);
}

/* Every 100 ms: sessions up whose control channel never opened are closed
 * (half_open), so are closes that waited too long; the counters published. */
static void webrtc_tick(void *ctx, struct relay *r)
{
    struct relay_webrtc *t = ctx;
    t->relay = r;
    uint64_t now = clock_now_us();
    for (uint32_t i = 0; i < t->cfg.peer_cap; i++) {
        struct rtc_edge_slot *s = &t->slots[i];
        if (s->phase == RTC_PHASE_UP && now - s->since_us >= RTC_EDGE_OPEN_US) {
            let_go(t, i);
            rtc_host_close(t->host, i);
            memset(s, 0, sizeof *s);
            t->half_open--;
            t->own[RTC_COUNT_HALF_OPEN]++;
        }
    }
    transport_webrtc_closing(t, now);
    report_gone(t);
    transport_webrtc_out_flush(t);
    publish(t);
}

static uint64_t webrtc_due(const void *ctx)
{
    return rtc_host_due(((const struct relay_webrtc *)ctx)->host);
}

static bool webrtc_backlog(const void *ctx)
{
    return ((const struct relay_webrtc *)ctx)->backlog;
}

/* A goodbye is in flight while a closing session waits for its last
 * messages' acknowledgement. */
static bool webrtc_settled(const void *ctx)
{
    const struct relay_webrtc *t = ctx;
    return t->closing == 0 && t->out.n == 0;
}

/* ---- offers: sessions answered and not yet peers --------------------------- */

/* Is slot's session answered and not yet checked (no check under its
 * password has come: nothing of its address is proven)? */
static bool unchecked(const struct relay_webrtc *t, uint32_t slot)
{
    return slot < t->cfg.peer_cap && t->slots[slot].phase == RTC_PHASE_OFFERED &&
           rtc_host_session_state(t->host, slot) == RTC_SESSION_WAITING;
}

/* Closes slot's session, not yet checked, for a newer offer (counted
 * evicted); the pass it claimed is free again. */
static void evict(struct relay_webrtc *t, uint32_t slot)
{
    let_go(t, slot);
    rtc_host_close(t->host, slot); /* no ended callback */
    memset(&t->slots[slot], 0, sizeof t->slots[slot]);
    t->half_open--;
    t->own[RTC_COUNT_EVICTED]++;
}

/* Room for the session of an offer from `from` (NULL: unknown): at most
 * --max-per-address sessions not yet peers from its address, the oldest
 * of them not yet checked giving way; at most max_half_open in all, the
 * oldest not yet checked giving way once RTC_EDGE_EVICT_US old, as ENet's
 * half-open handshakes do. Returns true, or false with why. O(sessions). */
static bool make_room(struct relay_webrtc *t, const union netaddr *from, uint64_t now,
                      char *why, size_t why_cap)
{
    uint32_t mine = 0, my_oldest = UINT32_MAX, oldest = UINT32_MAX;
    for (uint32_t i = 0; i < t->cfg.peer_cap; i++) {
        const struct rtc_edge_slot *s = &t->slots[i];
        if (s->phase != RTC_PHASE_OFFERED && s->phase != RTC_PHASE_UP)
            continue;
        bool same = from && s->from_known && netaddr_same_host(&s->offer_from, from);
        mine += same;
        if (!unchecked(t, i))
            continue;
        if (same && (my_oldest == UINT32_MAX || s->since_us < t->slots[my_oldest].since_us))
            my_oldest = i;
        if (oldest == UINT32_MAX || s->since_us < t->slots[oldest].since_us)
            oldest = i;
    }
    if (from && t->cfg.max_per_address && mine >= t->cfg.max_per_address) {
        if (my_oldest != UINT32_MAX) {
            evict(t, my_oldest);
            return true;
        }
        snprintf(why, why_cap, "%u sessions from your address are opening already", mine);
        return false;
    }
    if (t->half_open < t->max_half_open)
        return true;
    if (oldest == UINT32_MAX || now - t->slots[oldest].since_us < RTC_EDGE_EVICT_US) {
        snprintf(why, why_cap, "%u sessions are opening already", t->half_open);
        return false;
    }
    evict(t, oldest);
    return true;
}

/* An offer (PROTOCOL.md, "WebRTC data channels"): its ticket prechecked by
 * the core (a pass a session not yet checked holds: that session gives
 * way, a browser offering again), room for one more session not yet a
 * peer, then the host's answer, the pass claimed for its session. A
 * refused offer keeps nothing. */
static int answer(struct relay_webrtc *t, struct relay *r, const char *offer, size_t len,
                  const char *pass, const union netaddr *from, char *out, size_t cap, char *why,
                  size_t why_cap)
{
    uint64_t now = clock_now_us();
    uint32_t holder;
    enum proto_error_code code = relay_ticket_precheck(r, pass, now, &holder, why, why_cap);
    if (code == PROTO_ERROR_TICKET_REPLAYED && unchecked(t, holder - t->base)) {
        evict(t, holder - t->base);
        code = PROTO_ERROR_NONE;
    }
    if (code != PROTO_ERROR_NONE) {
        t->own[RTC_COUNT_OFFERS_TICKET]++;
        return RELAY_OFFER_TICKET;
    }
    if (!make_room(t, from, now, why, why_cap)) {
        t->own[RTC_COUNT_OFFERS_FULL]++;
        return RELAY_OFFER_FULL;
    }
    unsigned slot;
    int n = rtc_host_answer(t->host, offer, len, NULL, now, 0, out, cap, &slot, NULL, why,
                            why_cap);
    if (n < 0) {
        if (n == RTC_REFUSED_NO_ROOM)
            t->own[RTC_COUNT_OFFERS_BAD]++; /* the host counts the others */
        return n == RTC_REFUSED_FULL ? RELAY_OFFER_FULL : RELAY_OFFER_BAD;
    }
    struct rtc_edge_slot *s = &t->slots[slot];
    *s = (struct rtc_edge_slot){.phase = RTC_PHASE_OFFERED, .since_us = now,
                                .from_known = from != NULL};
    if (from)
        s->offer_from = *from;
    memset(s->sid, 0xff, sizeof s->sid);
    memset(s->role, RTC_ROLE_NONE, sizeof s->role);
    t->half_open++;
    relay_ticket_claim(r, pass, t->base + slot);
    return n;
}

int relay_webrtc_answer(void *ctx, struct relay *r, const char *offer, size_t len,
                        const char *pass, const union netaddr *from, char *out, size_t cap,
                        char *why, size_t why_cap)
{
    struct relay_webrtc *t = ctx;
    t->relay = r;
    report_gone(t); /* before a slot of an ended session is handed out again */
    int n = answer(t, r, offer, len, pass, from, out, cap, why, why_cap);
    publish(t);
    return n;
}

/* POST /rtc on the relay's HTTP front, its body whole: the offer answered
 * (201, the answer's SDP) or refused (400, 403, 503: why, in the body). */
static void offer_route(void *ctx, const struct http_req *req, const char *body,
                        struct http_conn *c)
{
    char pass[HTTP_PASS_MAX + 1], why[PROTO_TEXT_MAX + 1] = "";
    if (!http_bearer(req->authorization, pass)) {
        http_refuse_status(c, 400, "a ticket goes as Authorization: Bearer PASS");
        return;
    }
    int n = relay_webrtc_answer(ctx, c->relay, body, (size_t)req->content_length,
                                pass[0] ? pass : NULL, c->from, c->scratch, HTTP_SCRATCH, why,
                                sizeof why);
    if (n < 0) {
        int status = n == RELAY_OFFER_TICKET ? 403 : n == RELAY_OFFER_FULL ? 503 : 400;
        snprintf(c->scratch, HTTP_SCRATCH, "%d %s: %s\n", status, http_reason(status), why);
        http_reply(c, req, status, "text/plain; charset=utf-8", NULL, c->scratch,
                   strlen(c->scratch));
        return;
    }
    http_reply(c, req, 201, "application/sdp", "Location: /rtc\r\n", c->scratch, (size_t)n);
}

const struct relay_transport_ops relay_webrtc_ops = {
    .name = "webrtc",
    .stream = false,
    .create = webrtc_create,
    .core = transport_webrtc_core,
    .address = webrtc_address,
    .fd = webrtc_fd,
    .due = webrtc_due,
    .service = webrtc_service,
    .backlog = webrtc_backlog,
    .flush = webrtc_flush,
    .tick = webrtc_tick,
    .settled = webrtc_settled,
    .destroy = webrtc_destroy,
};
