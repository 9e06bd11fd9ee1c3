/* transport_quic.c: the relay's QUIC edge (ricochet-relay --listen
 * quic://HOST:PORT): QUIC v1 (RFC 9000) on ngtcp2 0.12 and GnuTLS, one
 * UDP socket, ALPN "ricochet" (PROTOCOL.md, "QUIC").
 *
 * Every datagram is routed by the destination connection ID of its first
 * packet (quic_cids.c) to its connection (transport_quic_conn.c). One
 * that finds none is a stranger's, and gets at most one answer, never
 * more bytes than it sent, within the budgets of relay/core/strangers.h
 * (the shared one included), and no state:
 *
 *   - an Initial without a token, in a datagram of 1200 bytes or more
 *     (ngtcp2_accept drops a shorter one: RFC 9000 14.1), gets a Retry
 *     of 117 to 149 bytes (address validation: its token proves the
 *     client receives at its address); an Initial with a Retry's or a
 *     NEW_TOKEN's token that verifies makes a connection, one whose token
 *     does not gets a close (INVALID_TOKEN) or a Retry; so no connection
 *     state exists for an address not shown to receive, and a connection
 *     is never subject to QUIC's 3x limit (RFC 9000 8.1) at all;
 *   - a 0-RTT packet for no connection (the relay takes no early data)
 *     gets nothing, counted unanswered: a Retry would outweigh it;
 *   - one past --max-half-open, or with no slot, gets CONNECTION_REFUSED;
 *   - an unknown version in a datagram of 1200 bytes or more (ngtcp2
 *     reads a shorter one as garbage: RFC 9000 5.2.2) gets Version
 *     Negotiation;
 *   - a short-header packet for an ID no connection has (the relay forgot
 *     it: its close was lost, or it timed out) gets a stateless reset,
 *     shorter than the packet, whose token the forgotten connection's ID
 *     derives from the edge's secret; a client then ends at once instead
 *     of waiting for its idle timeout (within the relay's run: the secret
 *     is drawn at start);
 *   - anything else is dropped, counted.
 *
 * Reading is bounded (QUIC_EDGE_READS recvmmsg batches a service), so is
 * the work of timers a service does (QUIC_EDGE_EXPIRIES); what connections
 * write leaves in one sendmmsg (transport_quic_udp_out.c). The loop's due is
 * the earliest of ngtcp2's expiries (quic_timers.c). */
#include "transport_quic.h"

#include <errno.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/log.h"

#define SOCKET_BUFFER (4 << 20)

/* ---- strangers ------------------------------------------------------------------ */

/* May a stranger at `from` get an answer of len bytes to a datagram of
 * got bytes? Never more than it sent (a forged source is never sent more
 * than the forger spent), and within the budgets: its source's, and the
 * one all strangers share unless it is a Retry (admission: the reply that
 * lets a newcomer in, as plain UDP's cookie, which a flood of forged
 * Initials must not be able to spend). */
static bool may_answer(struct relay_quic *t, const union netaddr *from, size_t len, size_t got,
                       bool admission)
{
    if (len > got || !strangers_may_reply(&t->strangers, from, admission, t->now_us)) {
        t->own[QUIC_COUNT_UNANSWERED]++;
        return false;
    }
    return true;
}

/* A Retry for hd's Initial, in a datagram of got bytes: a token binding
 * the client's address, its first ID and the Retry's new ID. Only for a
 * datagram a client's first flight fills (1200 bytes or more). */
static void send_retry(struct relay_quic *t, const ngtcp2_pkt_hd *hd, const union netaddr *from,
                       size_t got)
{
    if (got < NGTCP2_MAX_UDP_PAYLOAD_SIZE) { /* ngtcp2_accept drops them first */
        t->own[QUIC_COUNT_UNANSWERED]++;
        return;
    }
    ngtcp2_cid scid = {.datalen = QUIC_EDGE_SCID_LEN};
    quic_random(scid.data, scid.datalen);
    uint8_t token[NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN], pkt[QUIC_EDGE_PKT];
    ngtcp2_ssize tlen = ngtcp2_crypto_generate_retry_token(
        token, t->secret, sizeof t->secret, hd->version, &from->sa, netaddr_len(from), &scid,
        &hd->dcid, quic_ns(t->now_us));
    if (tlen < 0)
        return;
    ngtcp2_ssize n = ngtcp2_crypto_write_retry(pkt, sizeof pkt, hd->version, &hd->scid, &scid,
                                               &hd->dcid, token, (size_t)tlen);
    if (n <= 0 || !may_answer(t, from, (size_t)n, got, true))
        return;
    t->own[QUIC_COUNT_RETRIES]++;
    transport_quic_queue(t, from, pkt, (size_t)n);
}

/* A close without a connection (an Initial's keys only): error code. */
static void send_close(struct relay_quic *t, const ngtcp2_pkt_hd *hd, const union netaddr *from,
                       size_t got, uint64_t code)
{
    uint8_t pkt[QUIC_EDGE_PKT];
    ngtcp2_ssize n = ngtcp2_crypto_write_connection_close(pkt, sizeof pkt, hd->version,
                                                          &hd->scid, &hd->dcid, code, NULL, 0);
    if (n > 0 && may_answer(t, from, (size_t)n, got, false))
        transport_quic_queue(t, from, pkt, (size_t)n);
}

static void send_version_negotiation(struct relay_quic *t, const ngtcp2_version_cid *vc,
                                     const union netaddr *from, size_t got)
{
    uint8_t pkt[QUIC_EDGE_PKT], unused;
    uint32_t versions[] = {NGTCP2_PROTO_VER_V1};
    quic_random(&unused, 1);
    ngtcp2_ssize n = ngtcp2_pkt_write_version_negotiation(
        pkt, sizeof pkt, unused, vc->scid, vc->scidlen, vc->dcid, vc->dcidlen, versions, 1);
    if (n <= 0 || !may_answer(t, from, (size_t)n, got, false))
        return;
    t->own[QUIC_COUNT_VERSION_NEG]++;
    transport_quic_queue(t, from, pkt, (size_t)n);
}

/* A stateless reset for a short-header packet of got bytes to an ID no
 * connection has: shorter than it (RFC 9000 10.3: two endpoints cannot
 * loop), at least 5 random bytes (its first byte the first of them)
 * before the token, 80 bytes at most; a packet of 22 bytes or fewer gets
 * none. */
static void send_reset(struct relay_quic *t, const ngtcp2_version_cid *vc,
                       const union netaddr *from, size_t got)
{
    size_t randlen = got > 18 ? got - 18 : 0; /* randlen + 16 = got - 2 */
    if (vc->dcidlen == 0 || randlen < NGTCP2_MIN_STATELESS_RESET_RANDLEN) {
        t->own[QUIC_COUNT_UNANSWERED]++;
        return;
    }
    ngtcp2_cid cid;
    ngtcp2_cid_init(&cid, vc->dcid, vc->dcidlen);
    uint8_t token[NGTCP2_STATELESS_RESET_TOKENLEN], rand[64], pkt[128];
    if (randlen > sizeof rand)
        randlen = sizeof rand;
    quic_random(rand, randlen);
    if (ngtcp2_crypto_generate_stateless_reset_token(token, t->secret, sizeof t->secret, &cid) !=
        0)
        return;
    ngtcp2_ssize n = ngtcp2_pkt_write_stateless_reset(pkt, sizeof pkt, token, rand, randlen);
    if (n <= 0 || (size_t)n >= got || !may_answer(t, from, (size_t)n, got, false))
        return;
    t->own[QUIC_COUNT_RESETS]++;
    transport_quic_queue(t, from, pkt, (size_t)n);
}

/* An Initial for no connection: validated by its token, or answered. */
static void first_packet(struct relay_quic *t, const uint8_t *pkt, size_t len,
                         const union netaddr *from)
{
    ngtcp2_pkt_hd hd;
    int rv = ngtcp2_accept(&hd, pkt, len);
    if (rv == NGTCP2_ERR_RETRY) { /* a 0-RTT packet for no connection: a client's comes
                                      behind its Initial, and the relay takes no early data */
        t->own[QUIC_COUNT_UNANSWERED]++;
        return;
    }
    if (rv != 0) {
        t->own[QUIC_COUNT_NOT_QUIC]++;
        return;
    }
    if (hd.token.len == 0) {
        send_retry(t, &hd, from, len);
        return;
    }
    ngtcp2_cid odcid;
    const ngtcp2_cid *via_retry = NULL;
    uint64_t now = quic_ns(t->now_us);
    if (hd.token.base[0] == NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY) {
        if (ngtcp2_crypto_verify_retry_token(&odcid, hd.token.base, hd.token.len, t->secret,
                                             sizeof t->secret, hd.version, &from->sa,
                                             netaddr_len(from), &hd.dcid,
                                             QUIC_EDGE_RETRY_TOKEN_S * NGTCP2_SECONDS, now) != 0) {
            t->own[QUIC_COUNT_TOKENS_BAD]++;
            send_close(t, &hd, from, len, NGTCP2_INVALID_TOKEN);
            return;
        }
        via_retry = &odcid;
    } else {
        union netaddr host = *from;
        netaddr_set_port(&host, 0); /* a NEW_TOKEN token binds the address, not the port */
        if (ngtcp2_crypto_verify_regular_token(hd.token.base, hd.token.len, t->secret,
                                               sizeof t->secret, &host.sa, netaddr_len(&host),
                                               QUIC_EDGE_TOKEN_S * NGTCP2_SECONDS, now) != 0) {
            t->own[QUIC_COUNT_TOKENS_BAD]++;
            send_retry(t, &hd, from, len);
            return;
        }
    }
    int slot = transport_quic_accept(t, &hd, via_retry, from, t->now_us);
    if (slot < 0) {
        t->own[QUIC_COUNT_REFUSED]++;
        send_close(t, &hd, from, len, NGTCP2_CONNECTION_REFUSED);
        return;
    }
    transport_quic_input(t, &t->conns[slot], from, pkt, len, t->now_us);
}

void transport_quic_route(struct relay_quic *t, const uint8_t *pkt, size_t len,
                          const union netaddr *from)
{
    ngtcp2_version_cid vc;
    if (len == 0) { /* ngtcp2 asserts against an empty datagram */
        t->own[QUIC_COUNT_NOT_QUIC]++;
        return;
    }
    int rv = ngtcp2_pkt_decode_version_cid(&vc, pkt, len, QUIC_EDGE_SCID_LEN);
    if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
        send_version_negotiation(t, &vc, from, len);
        return;
    }
    if (rv != 0) {
        t->own[QUIC_COUNT_NOT_QUIC]++;
        return;
    }
    int64_t slot = quic_cids_find(&t->cids, vc.dcid, vc.dcidlen);
    if (slot >= 0) {
        transport_quic_input(t, &t->conns[slot], from, pkt, len, t->now_us);
        return;
    }
    if (!(pkt[0] & 0x80)) { /* a short header (its fixed bit may be greased, RFC 9287): a
                                connection the relay forgot */
        send_reset(t, &vc, from, len);
        return;
    }
    first_packet(t, pkt, len, from);
}

/* ---- the core, told outside ngtcp2's calls --------------------------------------- */

static void publish(struct relay_quic *t)
{
    if (t->relay)
        relay_edge_counters(t->relay, t->base, t->own, QUIC_COUNTS);
}

/* ---- lifecycle -------------------------------------------------------------------- */

static void quic_destroy(void *ctx);

/* socket(), bind(), the address bound. Returns 0, or -1 with err. */
static int quic_bind(struct relay_quic *t, char *err, size_t cap)
{
    t->fd = dgram_bind(t->cfg.bind, t->cfg.port, SOCKET_BUFFER, &t->local, err, cap);
    if (t->fd < 0)
        return -1;
    netaddr_format(&t->local, t->addr, sizeof t->addr);
    return 0;
}

/* The tables, the buffers, the secret and the budgets. Returns 0 or -1. */
static int quic_alloc(struct relay_quic *t, char *err, size_t cap)
{
    uint32_t n = t->cfg.peer_cap;
    uint8_t keys[16 + 16];
    t->conns = calloc(n, sizeof *t->conns);
    t->slots.free = malloc(n * sizeof *t->slots.free);
    t->udp.marked = malloc(n * sizeof *t->udp.marked);
    t->slots.gone = malloc(n * sizeof *t->slots.gone);
    t->slots.gone_why = malloc(n);
    t->message = malloc(t->cfg.max_packet_size);
    if (!t->conns || !t->slots.free || !t->udp.marked || !t->slots.gone || !t->slots.gone_why || !t->message ||
        dgram_in_init(&t->read.in, QUIC_EDGE_READ, QUIC_EDGE_DATAGRAM) != 0 ||
        dgram_out_init(&t->udp.out, QUIC_EDGE_OUT, QUIC_EDGE_PKT) != 0 ||
        getrandom(keys, sizeof keys, 0) != (ssize_t)sizeof keys ||
        getrandom(t->secret, sizeof t->secret, 0) != (ssize_t)sizeof t->secret ||
        quic_cids_init(&t->cids, n * QUIC_EDGE_CIDS, keys) != 0 ||
        quic_timers_init(&t->timers, n) != 0 || waiting_init(&t->slots.waiting, n) != 0) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        t->conns[i].slot = i;
        t->slots.free[i] = n - 1 - i; /* slot 0 first */
    }
    t->slots.n_free = n;
    strangers_init(&t->strangers, keys + 16, t->cfg.max_per_address, clock_now_us());
    t->max_half_open = t->cfg.max_half_open ? t->cfg.max_half_open : (n + 3) / 4;
    return 0;
}

static void wt_route(void *ctx, const struct http_req *req, const char *body,
                     struct http_conn *c);

static void *quic_create(const struct relay_net_config *cfg, char *err, size_t err_cap)
{
    struct relay_quic *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    t->fd = -1;
    t->cfg = relay_net_config_settled(cfg);
    if (t->cfg.timeout_ms == 0)
        t->cfg.timeout_ms = 10000;
    t->now_us = clock_now_us();
    if (quic_bind(t, err, err_cap) != 0 || quic_alloc(t, err, err_cap) != 0 ||
        transport_quic_tls_init(t, err, err_cap) != 0) {
        quic_destroy(t);
        return NULL;
    }
    if (cfg->http) /* a second quic edge: the first says where sessions open */
        http_front_serve(cfg->http, HTTP_GET, "/wt", wt_route, t);
    return t;
}

static void quic_destroy(void *ctx)
{
    struct relay_quic *t = ctx;
    if (!t)
        return;
    transport_quic_free_all(t);
    transport_quic_tls_free(t);
    if (t->fd >= 0)
        close(t->fd);
    quic_cids_free(&t->cids);
    quic_timers_free(&t->timers);
    waiting_free(&t->slots.waiting);
    free(t->conns);
    free(t->slots.free);
    free(t->udp.marked);
    free(t->slots.gone);
    free(t->slots.gone_why);
    free(t->message);
    dgram_in_free(&t->read.in);
    dgram_out_free(&t->udp.out);
    free(t);
}

static const char *quic_address(const void *ctx)
{
    return ((const struct relay_quic *)ctx)->addr;
}

static int quic_fd(const void *ctx)
{
    return ((const struct relay_quic *)ctx)->fd;
}

/* ---- the loop's operations --------------------------------------------------------- */

/* One recvmmsg batch, routed. Returns the datagrams read, 0 when none
 * waited, or -1 on a socket error. */
static int read_batch(struct relay_quic *t, struct relay *r)
{
    int n = dgram_in_read(&t->read.in, t->fd, "quic");
    if (n <= 0)
        return n;
    relay_arrived(r, t->read.end_us, dgram_in_received_us(&t->read.in, n - 1));
    t->now_us = clock_now_us();
    for (int i = 0; i < n; i++) {
        const uint8_t *bytes;
        size_t len;
        const union netaddr *from;
        if (dgram_in_take(&t->read.in, i, &bytes, &len, &from, &t->own[QUIC_COUNT_TOO_LONG]))
            transport_quic_route(t, bytes, len, from);
    }
    transport_quic_report_gone(t);
    return n;
}

/* Connections whose timers expired, QUIC_EDGE_EXPIRIES at most. */
static void expire(struct relay_quic *t)
{
    uint32_t slot;
    for (int k = 0; k < QUIC_EDGE_EXPIRIES; k++) {
        t->now_us = clock_now_us();
        if (quic_timers_next(&t->timers, &slot) > t->now_us)
            return;
        quic_timers_set(&t->timers, slot, UINT64_MAX); /* set again by what follows */
        transport_quic_expired(t, &t->conns[slot], t->now_us);
    }
    t->read.backlog = true;
}

static int quic_service(void *ctx, struct relay *r)
{
    struct relay_quic *t = ctx;
    t->relay = r;
    t->read.backlog = false;
    t->now_us = clock_now_us();
    transport_quic_report_gone(t);
    expire(t);
    transport_quic_report_gone(t);
    int total = 0;
    for (int b = 0; b < QUIC_EDGE_READS; b++) {
        int n = read_batch(t, r);
        if (n < 0)
            return -1;
        total += n;
        transport_quic_write_marked(t, t->now_us); /* acknowledgements, handshakes */
        transport_quic_report_gone(t);
        if (n < QUIC_EDGE_READ)
            break;
        if (b == QUIC_EDGE_READS - 1)
            t->read.backlog = true;
    }
    if (!t->read.backlog)
        t->read.end_us = clock_now_us();
    transport_quic_out_flush(t);
    return total;
}

static void quic_flush(void *ctx, struct relay *r)
{
    struct relay_quic *t = ctx;
    t->relay = r;
    t->now_us = clock_now_us();
    transport_quic_write_marked(t, t->now_us);
    transport_quic_report_gone(t);
    transport_quic_out_flush(t);
    publish(t);
}

/* Every 100 ms: half-open connections past the join timeout, slow
 * readers, senders' streams gone quiet, closes that waited too long. */
static void quic_tick(void *ctx, struct relay *r)
{
    struct relay_quic *t = ctx;
    t->relay = r;
    t->now_us = clock_now_us();
    transport_quic_tls_renew(t, t->now_us, false);
    transport_quic_sweep(t, t->now_us);
    transport_quic_report_gone(t);
    transport_quic_write_marked(t, t->now_us);
    transport_quic_report_gone(t);
    transport_quic_out_flush(t);
    publish(t);
}

static uint64_t quic_due(const void *ctx)
{
    const struct relay_quic *t = ctx;
    uint32_t slot;
    return quic_timers_next(&t->timers, &slot);
}

static bool quic_backlog(const void *ctx)
{
    return ((const struct relay_quic *)ctx)->read.backlog;
}

/* A goodbye is in flight while a closing connection waits for its last
 * messages' acknowledgement. */
static bool quic_settled(const void *ctx)
{
    const struct relay_quic *t = ctx;
    return t->slots.closing == 0 && t->udp.out.n == 0;
}

/* GET /wt on the relay's HTTP front: where WebTransport sessions open
 * (the port, the path, the hashes of the certificates a page may trust).
 * Never stored: a certificate drawn again changes it. */
static void wt_route(void *ctx, const struct http_req *req, const char *body,
                     struct http_conn *c)
{
    (void)body;
    int n = transport_quic_tls_webtransport(ctx, c->scratch, HTTP_SCRATCH);
    if (n < 0) {
        http_refuse_status(c, 404, "this relay has no WebTransport (quic) edge");
        return;
    }
    http_reply(c, req, 200, "application/json", "Cache-Control: no-store\r\n", c->scratch,
               (size_t)n);
}

const struct relay_transport_ops relay_quic_ops = {
    .name = "quic",
    .stream = false,
    .create = quic_create,
    .core = transport_quic_core,
    .address = quic_address,
    .fd = quic_fd,
    .due = quic_due,
    .service = quic_service,
    .backlog = quic_backlog,
    .flush = quic_flush,
    .tick = quic_tick,
    .settled = quic_settled,
    .destroy = quic_destroy,
};
