/* test_transport_quic.c: the relay's quic edge (relay/quic/) in process on
 * 127.0.0.1, the real edge and core, with libricochet's QUIC clients and
 * packets made by hand on sockets of their own:
 *
 *   - its pure tables: connection IDs to slots (every ID found, removals
 *     in any order, a table's bound) and the timers' heap (the earliest
 *     always first), against references;
 *   - strangers, from 90 source addresses: an Initial without a token
 *     gets a Retry and nothing is kept, an Initial with a token that does
 *     not verify a close (INVALID_TOKEN), another version Version
 *     Negotiation, a short packet for no connection a stateless reset
 *     shorter than it, garbage and cut Initials nothing; never more than
 *     the bytes a source sent, no connection, each counted (an empty
 *     datagram too); a 0-RTT packet for no connection nothing (a Retry
 *     once answered one of 40 bytes with 117); every kind of long header
 *     and short ones, tiny, of 1199, 1200 and 1400 bytes, each answered
 *     with no more bytes than it has, an Initial of 1200 or more still
 *     with its Retry; a flood of Initials gets a Retry each (the reply
 *     that lets a newcomer in, outside the budget all strangers share),
 *     a flood of short packets no more stateless resets than that budget
 *     (--max-per-address 0);
 *   - members over it: states of every QUIC way both ways, the streams a
 *     client may open (MAX_STREAMS: one bidirectional, one of its own); an
 *     empty datagram (which ngtcp2 asserts against) dropped at both ends;
 *   - connections whose handshake completes but that never send a
 *     message are the edge's own budget (--max-half-open), never clients
 *     of the core: past it a newcomer takes the place of the oldest (freed
 *     without a word: a stateless reset answers its next packet), the
 *     others are closed at the join timeout (not_joined), each counted
 *     half_open;
 *   - a DATAGRAM frame over the size the edge announced, in a packet
 *     sealed by hand with the client's keys (its key log), closes its
 *     connection (PROTOCOL_VIOLATION, counted) and the others play on;
 *   - a member moving again and again: connection IDs retired and issued,
 *     the table never more than QUIC_EDGE_CIDS a connection;
 *   - a connection the relay forgot gets a stateless reset, which ends
 *     the client at once;
 *   - WebTransport's HTTP/3 (ALPN h3) from connections made by hand, each
 *     counted and bounded while two members play on: a CONNECT for another
 *     path or :protocol and one without WebTransport in the client's
 *     SETTINGS refused (404, 501, 400); SETTINGS contradictory, a QPACK
 *     encoder stream asking for a dynamic table, a header block referring
 *     to one and a HEADERS frame past its bound each close their
 *     connection with HTTP/3's code; a datagram for another session
 *     dropped; a session answered 200 that never joins closed at the join
 *     timeout, one of the connections that have not joined;
 *   - a client's FIN on its control stream (QUIC's, a WebTransport
 *     session's) or on its CONNECT's stream is leaving: left (quit) at
 *     once, the connection closed, no join timeout after it;
 *   - a silent member is gone at --timeout-ms (left timeout) over QUIC and
 *     over WebTransport, whose idle timeout is announced QUIC_EDGE_H3_IDLE_MS
 *     longer (a browser's timer runs a second short) and timed by the edge;
 *   - certificates for browsers: the one drawn is ECDSA P-256, valid under
 *     14 days; drawn again, new connections take the new one while a
 *     member keeps its own, GET /wt's JSON names both hashes (the newest
 *     first), and the old one is freed with its last connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "../client/lib/client_internal.h"
#include "../client/lib/transports/client_quic_conn_internal.h"
#include "../client/lib/client_test.h"
#include "../relay/quic/transport_quic.h"
#include "../relay/settings.h"
#include "../stats/rng.h"
#include "../sys/clock.h"
#include "../sys/log.h"
#include "support/edge_turn.h"
#include "support/h3_block.h"
#include "support/harness.h"

#define PEERS 16
#define JOIN_MS 400

struct env {
    struct relay_quic *t;
    struct relay *r;
    uint16_t port;
    uint64_t last_periodic_us;
};

static struct env E;
static uint32_t env_timeout_ms = 5000; /* --timeout-ms of the next env_open */

/* The edge on 127.0.0.1:0 (half_open: --max-half-open) and a core on it
 * holding states for a tick of tick_us (--tick-ms; 0: none). */
static void env_open_ticked(struct env *e, uint32_t half_open, uint32_t tick_us)
{
    char err[256];
    struct relay_net_config ncfg = {.bind = "127.0.0.1", .port = 0, .peer_cap = PEERS,
                                    .max_packet_size = 2048, .timeout_ms = env_timeout_ms,
                                    .max_half_open = half_open, .handshake_ms = JOIN_MS};
    memset(e, 0, sizeof *e);
    e->t = relay_quic_ops.create(&ncfg, err, sizeof err);
    if (!e->t)
        fail_msg("relay_quic_ops.create: %s", err);
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = PEERS;
    cfg.max_clients = PEERS - 2;
    cfg.join_timeout_ms = JOIN_MS;
    cfg.tick_us = tick_us;
    struct relay_transport tp = relay_quic_ops.core(e->t, 0);
    e->r = relay_create(&cfg, &tp, 1);
    assert_non_null(e->r);
    e->port = netaddr_port(&e->t->local);
}

static void env_open(struct env *e, uint32_t half_open)
{
    env_open_ticked(e, half_open, 0);
}

static void env_close(struct env *e)
{
    relay_destroy(e->r);
    relay_quic_ops.destroy(e->t);
}

/* One turn of the edge (and its periodic work every 100 ms). */
static void turn(struct env *e, int wait_ms)
{
    edge_turn(&relay_quic_ops, e->t, e->r, wait_ms);
    uint64_t now = clock_now_us();
    if (now - e->last_periodic_us >= 100000) {
        e->last_periodic_us = now;
        edge_periodic(&relay_quic_ops, e->t, e->r);
    }
}

/* Turns of the edge and polls of the clients for ms, their events to rec. */
static void pump(struct env *e, struct harness_rec *rec, int ms)
{
    uint64_t until = clock_now_us() + (uint64_t)ms * 1000;
    while (clock_now_us() < until) {
        turn(e, 1);
        for (size_t i = 0; rec && i < rec->n; i++) {
            struct ricochet_event ev;
            while (rec->c[i] && ricochet_poll(rec->c[i], 0, &ev) > 0)
                harness_rec_event(rec, i, &ev);
        }
    }
}

static uint64_t own(const struct env *e, enum quic_count k)
{
    return e->t->own[k];
}

/* ---- the pure tables -------------------------------------------------------------------- */

static void connection_ids(void **state)
{
    (void)state;
    struct quic_cids c;
    uint8_t key[16] = {1, 2, 3};
    assert_int_equal(quic_cids_init(&c, 1000, key), 0);
    static uint8_t ids[2000][NGTCP2_MAX_CIDLEN];
    static bool live[2000];
    struct rng g;
    rng_seed(&g, 11);
    for (int i = 0; i < 2000; i++)
        for (int k = 0; k < NGTCP2_MAX_CIDLEN; k++)
            ids[i][k] = (uint8_t)(rng_u64(&g) >> 24);
    for (int round = 0; round < 20000; round++) {
        int i = (int)(rng_u64(&g) % 2000);
        size_t len = 4 + (size_t)i % 17;
        if (live[i]) {
            quic_cids_remove(&c, ids[i], len);
            live[i] = false;
        } else if (c.n < 1000) {
            assert_int_equal(quic_cids_add(&c, ids[i], len, (uint32_t)i), 0);
            assert_int_equal(quic_cids_add(&c, ids[i], len, 7), -1); /* there already */
            live[i] = true;
        }
        if (round % 997 == 0)
            for (int k = 0; k < 2000; k++)
                assert_int_equal(quic_cids_find(&c, ids[k], 4 + (size_t)k % 17),
                                 live[k] ? k : -1);
    }
    uint32_t n = c.n;
    while (c.n < 1000)
        for (int k = 0; k < 2000 && c.n < 1000; k++)
            if (!live[k] && quic_cids_add(&c, ids[k], 4 + (size_t)k % 17, (uint32_t)k) == 0)
                live[k] = true;
    assert_true(c.n >= n);
    uint8_t one_more[4] = {9, 9, 9, 9};
    assert_true(2 * (c.n + 1) > c.cap || quic_cids_add(&c, one_more, 4, 1) == 0);
    assert_int_equal(quic_cids_find(&c, one_more, 0), -1);
    quic_cids_free(&c);
}

static void timers(void **state)
{
    (void)state;
    struct quic_timers q;
    static uint64_t at[64];
    assert_int_equal(quic_timers_init(&q, 64), 0);
    for (int i = 0; i < 64; i++)
        at[i] = UINT64_MAX;
    struct rng g;
    rng_seed(&g, 5);
    for (int round = 0; round < 20000; round++) {
        uint32_t s = (uint32_t)(rng_u64(&g) % 64);
        uint64_t v = rng_u64(&g) % 4 == 0 ? UINT64_MAX : rng_u64(&g) % 1000;
        quic_timers_set(&q, s, v);
        at[s] = v;
        uint64_t min = UINT64_MAX;
        for (int i = 0; i < 64; i++)
            min = at[i] < min ? at[i] : min;
        uint32_t slot = 0;
        uint64_t next = quic_timers_next(&q, &slot);
        assert_int_equal(next, min);
        if (min != UINT64_MAX)
            assert_int_equal(at[slot], min);
    }
    quic_timers_set(&q, 64, 1); /* out of range: nothing */
    quic_timers_free(&q);
}

/* ---- strangers ----------------------------------------------------------------------------- */

/* A long-header packet of `total` bytes (version, type Initial unless
 * version says otherwise; a token) with random IDs and garbage after. */
static size_t long_packet(uint8_t *p, size_t total, uint32_t version, const uint8_t *token,
                          size_t tlen, struct rng *g)
{
    size_t n = 0;
    p[n++] = 0xc3; /* long, fixed bit, Initial, 4-byte packet number */
    for (int k = 3; k >= 0; k--)
        p[n++] = (uint8_t)(version >> (8 * k));
    for (int id = 0; id < 2; id++) {
        p[n++] = 8;
        for (int k = 0; k < 8; k++)
            p[n++] = (uint8_t)(rng_u64(g) >> 24);
    }
    p[n++] = (uint8_t)(0x40 | tlen >> 8); /* the token's length, a 2-byte varint */
    p[n++] = (uint8_t)tlen;
    if (tlen)
        memcpy(p + n, token, tlen);
    n += tlen;
    size_t rest = total - n - 2;
    p[n++] = (uint8_t)(0x40 | rest >> 8);
    p[n++] = (uint8_t)rest;
    for (; n < total; n++)
        p[n] = (uint8_t)(rng_u64(g) >> 24);
    return total;
}

/* A socket bound to 127.0.0.(2 + i % 250) on a port the kernel picks:
 * sources the edge tells apart by address. */
static int source(int i)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)i % 250)};
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Reads every datagram waiting on fd: their bytes, and how many in *n. */
static size_t raw_drain(int fd, int *n)
{
    uint8_t buf[2048];
    size_t got = 0;
    ssize_t r;
    *n = 0;
    while ((r = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
        got += (size_t)r;
        (*n)++;
    }
    return got;
}

/* Sends p to the edge from fd, runs a few turns, and returns the bytes
 * answered to fd (every datagram read). */
static size_t exchange(struct env *e, int fd, const uint8_t *p, size_t len, int *answers)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(e->port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(sendto(fd, p, len, 0, (struct sockaddr *)&to, sizeof to), (ssize_t)len);
    for (int k = 0; k < 3; k++)
        turn(e, 2);
    return raw_drain(fd, answers);
}

static void strangers_get_stateless_answers(void **state)
{
    (void)state;
    env_open(&E, 4);
    struct rng g;
    rng_seed(&g, 3);
    uint8_t p[1400], bogus[40];
    memset(bogus, 0xb6, sizeof bogus); /* a Retry token's magic, then nothing that opens */
    int answers;
    for (int i = 0; i < 90; i++) { /* Initials from 90 addresses, within the shared budget */
        int fd = source(i);
        size_t len = long_packet(p, 1200, 1, NULL, 0, &g);
        size_t got = exchange(&E, fd, p, len, &answers);
        assert_int_equal(answers, 1); /* its Retry */
        assert_true(got > 0 && got <= len);
        close(fd);
    }
    assert_int_equal(own(&E, QUIC_COUNT_RETRIES), 90);
    assert_int_equal(E.t->slots.half_open, 0);
    assert_int_equal(E.t->slots.n_free, PEERS); /* nothing kept */
    int fd = source(250);
    size_t len = long_packet(p, 1200, 1, bogus, sizeof bogus, &g);
    size_t got = exchange(&E, fd, p, len, &answers); /* a token that does not open */
    assert_int_equal(answers, 1);
    assert_true(got <= len);
    assert_int_equal(own(&E, QUIC_COUNT_TOKENS_BAD), 1);
    len = long_packet(p, 1200, 0x1a2a3a4au, NULL, 0, &g); /* another version */
    got = exchange(&E, fd, p, len, &answers);
    assert_int_equal(answers, 1);
    assert_true(got <= len);
    assert_int_equal(own(&E, QUIC_COUNT_VERSION_NEG), 1);
    p[0] = 0x41; /* a short header for a connection that is none */
    for (int k = 1; k < 100; k++)
        p[k] = (uint8_t)k;
    got = exchange(&E, fd, p, 100, &answers);
    assert_int_equal(answers, 1);
    assert_true(got < 100); /* shorter than what it answers */
    assert_int_equal(own(&E, QUIC_COUNT_RESETS), 1);
    got = exchange(&E, fd, p, 22, &answers); /* too short to be answered within its size */
    assert_int_equal(answers, 0);
    len = long_packet(p, 1000, 1, NULL, 0, &g); /* an Initial under 1200 bytes */
    assert_int_equal(exchange(&E, fd, p, len, &answers), 0);
    assert_int_equal(exchange(&E, fd, p, 0, &answers), 0); /* an empty datagram */
    memset(p, 0xff, 50); /* a long header of no version: garbage */
    assert_int_equal(exchange(&E, fd, p, 50, &answers), 0);
    assert_true(own(&E, QUIC_COUNT_NOT_QUIC) >= 3);
    assert_int_equal(E.t->slots.half_open, 0);
    assert_int_equal(E.t->slots.n_free, PEERS);
    assert_int_equal(relay_clients(E.r), 0);
    close(fd);
    env_close(&E);
}

/* A stranger's packet of `total` bytes: first byte `first` (a long
 * header: version, IDs of dcidlen and scidlen random bytes, an Initial's
 * empty token, the Length; cut at total if it is shorter), random bytes
 * after; a short header: random bytes after its first, so its ID (the
 * edge's length) names no connection. */
static size_t stranger_packet(uint8_t *p, size_t total, uint8_t first, uint32_t version,
                              size_t dcidlen, size_t scidlen, struct rng *g)
{
    uint8_t head[1 + 4 + 1 + 255 + 1 + 255 + 1 + 2];
    size_t n = 0;
    head[n++] = first;
    if (first & 0x80) {
        for (int k = 3; k >= 0; k--)
            head[n++] = (uint8_t)(version >> (8 * k));
        size_t ids[2] = {dcidlen, scidlen};
        for (int id = 0; id < 2; id++) {
            head[n++] = (uint8_t)ids[id];
            for (size_t k = 0; k < ids[id]; k++)
                head[n++] = (uint8_t)(rng_u64(g) >> 24);
        }
        if (version == 1 && (first & 0x30) == 0x00)
            head[n++] = 0; /* an Initial's token: none */
        size_t rest = total > n + 2 ? total - n - 2 : 0;
        head[n++] = (uint8_t)(0x40 | (rest >> 8 & 0x3f)); /* the Length, a 2-byte varint */
        head[n++] = (uint8_t)rest;
    }
    for (size_t k = 0; k < total; k++)
        p[k] = k < n ? head[k] : (uint8_t)(rng_u64(g) >> 24);
    return total;
}

/* What the edge answers, in bytes, to packets of one kind and one size
 * class: a row of the sweep's table. */
struct answered {
    size_t sent, got;  /* bytes */
    int packets, answers;
};

/* A 0-RTT packet for no connection, from a source that never answers:
 * one of 40 to 63 bytes (a Destination ID of 8 bytes, none for the
 * source) got a Retry of 117, up to 2.9x. Nothing answers one now,
 * counted unanswered; and a flood of 400 gets nothing. */
static void a_0rtt_packet_gets_no_retry(void **state)
{
    (void)state;
    env_open(&E, 4); /* --max-per-address 0: no budget per source */
    struct rng g;
    rng_seed(&g, 17);
    uint8_t p[64];
    int answers, fd = source(0);
    uint64_t unanswered = own(&E, QUIC_COUNT_UNANSWERED);
    for (size_t len = 40; len < 64; len++) { /* long, 0-RTT */
        size_t got = exchange(&E, fd, p, stranger_packet(p, len, 0xd3, 1, 8, 0, &g), &answers);
        if (got)
            fail_msg("a 0-RTT packet of %zu bytes answered with %zu", len, got);
    }
    assert_int_equal(own(&E, QUIC_COUNT_RETRIES), 0);
    assert_int_equal(own(&E, QUIC_COUNT_UNANSWERED), unanswered + 24);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(E.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < 400; i++) { /* the flood, in bursts the socket holds */
        stranger_packet(p, 48, 0xd3, 1, 8, 0, &g);
        assert_int_equal(sendto(fd, p, 48, 0, (struct sockaddr *)&to, sizeof to), 48);
        if (i % 50 == 49)
            turn(&E, 1);
    }
    for (int k = 0; k < 5; k++)
        turn(&E, 2);
    assert_int_equal(raw_drain(fd, &answers), 0);
    assert_int_equal(own(&E, QUIC_COUNT_RETRIES), 0);
    assert_int_equal(own(&E, QUIC_COUNT_UNANSWERED), unanswered + 424);
    assert_int_equal(E.t->slots.n_free, PEERS);
    close(fd);
    env_close(&E);
}

/* Every kind of packet a stranger may send, in four size classes, each
 * with the IDs' lengths QUIC allows: no answer is larger than the datagram
 * it answers (each, and so every class's total), and an honest client's
 * Initial of 1200 bytes or more still gets its Retry. */
static void no_answer_outweighs_its_datagram(void **state)
{
    (void)state;
    env_open(&E, 4); /* --max-per-address 0 */
    struct rng g;
    rng_seed(&g, 23);
    static const struct {
        const char *name;
        uint8_t first;
        uint32_t version;
    } kinds[] = {
        {"Initial", 0xc3, 1},          {"0-RTT", 0xd3, 1},
        {"Handshake", 0xe3, 1},        {"Retry", 0xf3, 1},
        {"unknown version", 0xc3, 0x1a2a3a4au},
        {"Version Negotiation", 0xc0, 0}, {"short header", 0x43, 0},
    };
    enum { KINDS = sizeof kinds / sizeof kinds[0], SIZES = 4 };
    static const char *size_names[SIZES] = {"tiny", "1199", "1200", "1400"};
    static const size_t id_lens[][2] = {{0, 0}, {1, 1}, {8, 0}, {8, 8}, {20, 20}, {255, 255}};
    enum { IDS = sizeof id_lens / sizeof id_lens[0] };
    struct answered row[KINDS][SIZES] = {{{0}}};
    uint8_t p[1400];
    int fd = source(1);
    for (int k = 0; k < KINDS; k++) {
        bool longh = kinds[k].first & 0x80;
        for (int s = 0; s < SIZES; s++) {
            for (size_t i = 0; i < (longh ? IDS : 1) * 2; i++) {
                size_t dcidlen = id_lens[i / 2][0], scidlen = id_lens[i / 2][1];
                size_t ids = 7 + dcidlen + scidlen;
                if (dcidlen > 20 && kinds[k].version == 1)
                    continue; /* QUIC v1 takes IDs of 20 bytes at most: garbage */
                /* tiny: a long header's IDs and a byte (what Version
                 * Negotiation would answer with 4 bytes more), and 48
                 * bytes (a Retry is 117 or more); a short header's ID and 8
                 * bytes (a stateless reset's least), and 48 bytes; the
                 * other sizes once for each IDs' lengths */
                size_t tiny = i % 2 == 0 ? (longh ? ids + 1 : QUIC_EDGE_SCID_LEN + 9) : 48;
                size_t sizes[SIZES] = {tiny, 1199, 1200, 1400};
                if ((s > 0 && i % 2 == 1) || (longh && sizes[s] < ids + 1))
                    continue;
                size_t len = stranger_packet(p, sizes[s], kinds[k].first, kinds[k].version,
                                             dcidlen, scidlen, &g);
                int answers;
                size_t got = exchange(&E, fd, p, len, &answers);
                if (got > len)
                    fail_msg("%s, %zu bytes (IDs of %zu and %zu): answered with %zu bytes",
                             kinds[k].name, len, dcidlen, scidlen, got);
                row[k][s].sent += len;
                row[k][s].got += got;
                row[k][s].packets++;
                row[k][s].answers += answers;
            }
        }
    }
    for (int k = 0; k < KINDS; k++)
        for (int s = 0; s < SIZES; s++) {
            print_message("%-20s %-5s %2d packets %6zu bytes, %d answers %5zu bytes\n",
                          kinds[k].name, size_names[s], row[k][s].packets, row[k][s].sent,
                          row[k][s].answers, row[k][s].got);
            assert_true(row[k][s].got <= row[k][s].sent);
        }
    /* the honest Initials (a Destination ID of 8 bytes or more: a shorter
     * one is no client's) of 1200 bytes and more: a Retry each */
    assert_int_equal(row[0][2].answers, 3);
    assert_int_equal(row[0][3].answers, 3);
    assert_int_equal(row[0][0].answers + row[0][1].answers, 0);
    for (int s = 0; s < SIZES; s++) /* 0-RTT, Handshake, Retry, VN for no connection */
        for (int k = 1; k <= 5; k++)
            if (k != 4)
                assert_int_equal(row[k][s].answers, 0);
    assert_int_equal(row[4][0].answers + row[4][1].answers, 0); /* another version: 1200+ */
    assert_true(row[4][2].answers > 0 && row[4][3].answers > 0);
    assert_int_equal(own(&E, QUIC_COUNT_RETRIES), 6);
    assert_int_equal(E.t->slots.n_free, PEERS);
    assert_int_equal(E.t->slots.half_open, 0);
    close(fd);
    env_close(&E);
}

/* A Retry is the reply that lets a newcomer in, as the plain-UDP edge's
 * cookie is: outside the budget all strangers share, or a flood of forged
 * Initials (or a thousand players reconnecting at once) would keep honest
 * newcomers waiting for their retransmissions. 400 Initials from 4
 * addresses at --max-per-address 0 (no budget per source) each get their
 * Retry, never more bytes than they have; what else strangers get still
 * shares the budget: 400 short packets for no connection get no more
 * stateless resets than it holds. */
static void retries_are_admissions(void **state)
{
    (void)state;
    env_open(&E, 4);
    struct rng g;
    rng_seed(&g, 29);
    uint8_t p[1200];
    int fds[4];
    for (int i = 0; i < 4; i++)
        fds[i] = source(10 + i);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(E.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int kind = 0; kind < 2; kind++) {
        uint64_t start = clock_now_us(), resets0 = own(&E, QUIC_COUNT_RESETS);
        for (int i = 0; i < 400; i++) {
            size_t len = kind == 0 ? 1200 : 100;
            if (kind == 0)
                stranger_packet(p, len, 0xc3, 1, 8, 8, &g); /* an Initial without a token */
            else
                stranger_packet(p, len, 0x43, 0, 8, 0, &g); /* short header, no connection */
            assert_int_equal(sendto(fds[i % 4], p, len, 0, (struct sockaddr *)&to, sizeof to),
                             (ssize_t)len);
            if (i % 20 == 19)
                turn(&E, 0);
        }
        for (int k = 0; k < 5; k++)
            turn(&E, 2);
        uint64_t elapsed_us = clock_now_us() - start;
        int answers = 0, n;
        size_t got = 0;
        for (int i = 0; i < 4; i++) {
            got += raw_drain(fds[i], &n);
            answers += n;
        }
        print_message("400 %s in %llu us: %d answers, %zu bytes\n",
                      kind == 0 ? "Initials of 1200 bytes" : "short packets of 100 bytes",
                      (unsigned long long)elapsed_us, answers, got);
        assert_true(got <= 400u * (kind == 0 ? 1200u : 100u));
        if (kind == 0) {
            assert_int_equal(answers, 400);
            assert_int_equal(own(&E, QUIC_COUNT_RETRIES), 400);
        } else {
            uint64_t budget = STRANGERS_PER_S + STRANGERS_PER_S * elapsed_us / 1000000 + 1;
            assert_int_equal((uint64_t)answers, own(&E, QUIC_COUNT_RESETS) - resets0);
            assert_true(answers >= STRANGERS_PER_S / 2 && (uint64_t)answers <= budget);
        }
    }
    for (int i = 0; i < 4; i++)
        close(fds[i]);
    assert_int_equal(E.t->slots.n_free, PEERS); /* nothing kept for any of them */
    env_close(&E);
}

/* ---- members -------------------------------------------------------------------------------- */

/* A member over transport: QUIC, or a WebTransport session (ALPN h3). */
static struct ricochet *member_over(const struct env *e, const char *name, enum proto_mode mode,
                                    enum ricochet_transport transport)
{
    struct client_config cfg = {.host = "127.0.0.1", .port = e->port, .room = "q",
                                .name = name, .mode = mode, .timeout_ms = 5000,
                                .transport = transport};
    char err[256];
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create: %s", err);
    return c;
}

static struct ricochet *member(const struct env *e, const char *name, enum proto_mode mode)
{
    return member_over(e, name, mode, RICOCHET_TRANSPORT_QUIC);
}

/* The QUIC connection of a libricochet QUIC client (its transport's state
 * begins with it). */
static struct client_quic *link_of(struct ricochet *c)
{
    return (struct client_quic *)c->tp;
}

static void welcome_all(struct env *e, struct harness_rec *r)
{
    for (int k = 0; k < 400 && !harness_all_see_all(r); k++)
        pump(e, r, 10);
    assert_true(harness_all_see_all(r));
}

/* Every QUIC way both ways through the edge in process; the streams a
 * client may open are the contract's: one bidirectional, one of its own. */
static void members_play_and_streams_are_bounded(void **state)
{
    (void)state;
    env_open(&E, 4);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 3;
    r.c[0] = member(&E, "dg", PROTO_MODE_SEQUENCED);
    r.c[1] = member(&E, "rel", PROTO_MODE_RELIABLE);
    r.c[2] = member(&E, "str", PROTO_MODE_STREAMS);
    welcome_all(&E, &r);
    for (int k = 0; k < 20; k++) {
        for (size_t i = 0; i < 3; i++) {
            struct ricochet_state st = {.x = (float)k};
            assert_int_equal(ricochet_send_state(r.c[i], &st), RICOCHET_OK);
        }
        pump(&E, &r, 5);
    }
    pump(&E, &r, 200);
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 3; j++)
            if (i != j)
                assert_in_range(r.states[i][ricochet_id(r.c[j])], 18, 20);
    assert_int_equal(r.states[2][ricochet_id(r.c[1])], 20); /* reliable to streams: all */
    assert_int_equal(r.arrived_as[2][ricochet_id(r.c[1])], PROTO_MODE_STREAMS);
    assert_int_equal(r.arrived_as[1][ricochet_id(r.c[2])], PROTO_MODE_RELIABLE);
    assert_int_equal(r.arrived_as[1][ricochet_id(r.c[0])], PROTO_MODE_SEQUENCED);
    /* MAX_STREAMS as announced: the control stream and one of its own */
    ngtcp2_conn *conn = link_of(r.c[2])->conn;
    int64_t sid;
    assert_int_equal(ngtcp2_conn_get_streams_bidi_left(conn), 0);
    assert_int_equal(ngtcp2_conn_get_streams_uni_left(conn), 0); /* streams: it opened it */
    assert_int_equal(ngtcp2_conn_open_bidi_stream(conn, &sid, NULL),
                     NGTCP2_ERR_STREAM_ID_BLOCKED);
    assert_int_equal(ngtcp2_conn_open_uni_stream(conn, &sid, NULL),
                     NGTCP2_ERR_STREAM_ID_BLOCKED);
    assert_true(own(&E, QUIC_COUNT_DGRAMS_ACKED) >= 30);
    /* an empty datagram from the relay's address: dropped, counted, nothing more */
    union netaddr me;
    socklen_t alen = sizeof me;
    assert_int_equal(getsockname(client_socket(r.c[1]), &me.sa, &alen), 0);
    uint64_t bad = client_bad_messages(r.c[1]);
    assert_int_equal(sendto(E.t->fd, "", 0, 0, &me.sa, alen), 0);
    pump(&E, &r, 50);
    assert_int_equal(client_bad_messages(r.c[1]), bad + 1);
    assert_false(r.disconnected[1]);
    assert_int_equal(own(&E, QUIC_COUNT_PROTOCOL), 0);
    for (size_t i = 0; i < 3; i++)
        ricochet_close(r.c[i]);
    pump(&E, NULL, 100);
    assert_int_equal(relay_clients(E.r), 0);
    env_close(&E);
}

/* Two unsequenced members of a relay with a tick of tick_ms, past the
 * handshake's last acknowledgements and the clock's first pings (ten a
 * second, then one a second). */
static void two_ticked_members(struct harness_rec *r, int tick_ms)
{
    env_open_ticked(&E, 4, (uint64_t)tick_ms * 1000);
    memset(r, 0, sizeof *r);
    r->n = 2;
    r->c[0] = member(&E, "a", PROTO_MODE_UNSEQUENCED);
    r->c[1] = member(&E, "b", PROTO_MODE_UNSEQUENCED);
    welcome_all(&E, r);
    for (int ms = 0; ms < 3000 && (r->c[0]->sync.clock_samples < 10 || r->c[1]->sync.clock_samples < 10);
         ms += 100)
        pump(&E, r, 100);
}

/* Both of two_ticked_members' members send their k-th state. */
static void both_send(struct harness_rec *r, int k)
{
    for (size_t i = 0; i < 2; i++) {
        struct ricochet_state st = {.x = (float)k};
        assert_int_equal(ricochet_send_state(r->c[i], &st), RICOCHET_OK);
    }
}

/* Closes what two_ticked_members opened. */
static void two_ticked_members_close(struct harness_rec *r)
{
    for (size_t i = 0; i < 2; i++)
        ricochet_close(r->c[i]);
    pump(&E, NULL, 100);
    env_close(&E);
}

/* With a tick, acknowledgements ride with states both ways. The relay's
 * acknowledgement of what a member sent waits for its room's next fan-out
 * and rides in that packet; a member's of the fan-out waits for its next
 * state and rides in that one. A member that sends a state every tick gets
 * about a packet a tick and sends about one, not two each way (ngtcp2
 * alone acknowledges within an eighth of the round trip). */
static void acknowledgements_ride_with_states(void **state)
{
    (void)state;
    enum { TICK_MS = 50, TICKS = 20 };
    static struct harness_rec r;
    two_ticked_members(&r, TICK_MS);
    uint64_t got0[2], sent0[2];
    for (size_t i = 0; i < 2; i++) {
        got0[i] = r.c[i]->wire.dgrams_received;
        sent0[i] = r.c[i]->wire.dgrams_sent;
    }
    for (int k = 0; k < TICKS; k++) {
        both_send(&r, k);
        pump(&E, &r, TICK_MS);
    }
    for (size_t i = 0; i < 2; i++) {
        uint64_t got = r.c[i]->wire.dgrams_received - got0[i];
        uint64_t sent = r.c[i]->wire.dgrams_sent - sent0[i];
        print_message("member %zu: %" PRIu64 " packets from the relay, %" PRIu64
                      " to it over %d ticks\n", i, got, sent, TICKS);
        assert_in_range(r.states[i][ricochet_id(r.c[1 - i])], TICKS - 2, TICKS);
        /* about a packet a tick (21 to 30 here), and some for the ticks
         * the states fell in apart; acknowledged at once, two a tick (56) */
        assert_true(got <= TICKS * 7 / 4);
        /* a packet a state (23 or 24 here with a clock ping or two); each
         * fan-out acknowledged at once, two (42 to 44) */
        assert_true(sent <= TICKS * 3 / 2);
    }
    two_ticked_members_close(&r);
}

/* A tick with nothing for a member wakes no connection: after a fan-out
 * that left nothing to write, the pacing timer ngtcp2 set for the next
 * packet (microseconds away) used to wake each member one millisecond
 * after its room's next tick, to write nothing: in rooms of 8 at 10 Hz,
 * ten wakes a member a second, four in five of them for nothing. */
static void an_empty_tick_wakes_no_one(void **state)
{
    (void)state;
    enum { TICK_MS = 50, ROUNDS = 10 };
    static struct harness_rec r;
    two_ticked_members(&r, TICK_MS);
    uint64_t wakes0 = own(&E, QUIC_COUNT_TIMER_WAKES);
    for (int k = 0; k < ROUNDS; k++) { /* a state every other tick */
        both_send(&r, k);
        pump(&E, &r, 2 * TICK_MS);
    }
    uint64_t wakes = own(&E, QUIC_COUNT_TIMER_WAKES) - wakes0;
    print_message("%" PRIu64 " timer wakes over %d ticks, %d of them empty\n", wakes,
                  2 * ROUNDS, ROUNDS);
    assert_in_range(r.states[0][ricochet_id(r.c[1])], ROUNDS - 1, ROUNDS);
    /* 3 to 9 here (acknowledgements of pings; 14 once, beside other
     * tests on two cores); a wake after each empty tick for each member
     * before, 18 to 22 */
    assert_true(wakes <= ROUNDS * 3 / 2);
    two_ticked_members_close(&r);
}

/* A QUIC connection made by hand (libricochet's, without its session):
 * its handshake only, nothing sent on it. */
struct bare {
    struct ricochet *c;       /* a session that never opened a transport */
    struct client_quic q;
};

static void bare_open_alpn(struct env *e, struct bare *b, const char *name, const char *alpn)
{
    struct client_config cfg = {.room = "q", .name = name, .mode = PROTO_MODE_RELIABLE,
                                .timeout_ms = 5000};
    char err[256];
    memset(b, 0, sizeof *b);
    b->c = client_create_detached(&cfg, err, sizeof err);
    assert_non_null(b->c);
    snprintf(b->c->host, sizeof b->c->host, "127.0.0.1");
    assert_int_equal(netaddr_resolve("127.0.0.1", e->port, &b->c->relay, err, sizeof err), 0);
    b->q.c = b->c;
    b->q.alpn = alpn;
    assert_int_equal(client_quic_start(b->c, &b->q, &cfg, err, sizeof err), 0);
}

static void bare_open(struct env *e, struct bare *b, const char *name)
{
    bare_open_alpn(e, b, name, NULL);
}

/* Turns, and the live bare connections' reads and writes (their
 * acknowledgements, as a client that never joins still sends), until
 * done(b) or ms pass. rv[i]: bare i's last ngtcp2 error (0: none; pumped
 * no more once it has one). Returns whether done came. */
static bool bare_pump(struct env *e, struct bare *b, int n, int *rv, int ms,
                      bool (*done)(const struct env *, const struct bare *, const int *))
{
    uint64_t until = clock_now_us() + (uint64_t)ms * 1000;
    while (clock_now_us() < until) {
        turn(e, 1);
        for (int i = 0; i < n; i++) {
            if (rv[i] == 0)
                rv[i] = client_quic_read(b[i].c, &b[i].q, clock_now_us());
            if (rv[i] == 0)
                rv[i] = client_quic_write(b[i].c, &b[i].q);
        }
        if (done(e, b, rv))
            return true;
    }
    return false;
}

static bool both_open(const struct env *e, const struct bare *b, const int *rv)
{
    (void)b, (void)rv;
    return e->t->own[QUIC_COUNT_HANDSHAKES] == 2;
}

static void bare_close(struct bare *b)
{
    client_quic_free(&b->q);
    ricochet_close(b->c);
}

static bool third_open(const struct env *e, const struct bare *b, const int *rv)
{
    (void)b, (void)rv;
    return e->t->own[QUIC_COUNT_HANDSHAKES] == 3;
}

static bool all_closed(const struct env *e, const struct bare *b, const int *rv)
{
    (void)e, (void)b;
    return rv[0] != 0 && rv[1] != 0 && rv[2] != 0;
}

/* Handshakes completed, no message ever: connections that have not joined,
 * the edge's own budget (--max-half-open), never clients of the core; a
 * newcomer past the budget takes the place of the oldest of them (freed
 * without a word: its next packet gets a stateless reset); the others are
 * closed at the join timeout with not_joined. */
static void a_connection_that_never_joins(void **state)
{
    (void)state;
    env_open(&E, 2);
    static struct bare b[3];
    int rv[3] = {0, 0, 0};
    bare_open(&E, &b[0], "mute1");
    bare_open(&E, &b[1], "mute2");
    assert_true(bare_pump(&E, b, 2, rv, 3000, both_open));
    assert_int_equal(E.t->slots.half_open, 2);
    assert_int_equal(relay_clients(E.r), 0);
    bare_open(&E, &b[2], "mute3"); /* a third: over --max-half-open */
    assert_true(bare_pump(&E, b, 3, rv, 3000, third_open));
    assert_int_equal(own(&E, QUIC_COUNT_REFUSED), 0);
    assert_int_equal(own(&E, QUIC_COUNT_HALF_OPEN), 1); /* the oldest gave way */
    assert_int_equal(E.t->slots.half_open, 2);
    /* the one that gave way speaks again (a PING): a stateless reset answers */
    ngtcp2_conn_set_keep_alive_timeout(b[0].q.conn, 10 * NGTCP2_MILLISECONDS);
    assert_true(bare_pump(&E, b, 3, rv, JOIN_MS + 2000, all_closed));
    assert_int_equal(rv[0], NGTCP2_ERR_DRAINING);
    assert_true(b[0].q.reset); /* forgotten: a stateless reset */
    for (int i = 1; i < 3; i++) {
        assert_int_equal(rv[i], NGTCP2_ERR_DRAINING);
        ngtcp2_connection_close_error ce;
        ngtcp2_conn_get_connection_close_error(b[i].q.conn, &ce);
        assert_int_equal(ce.type, NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION);
        assert_int_equal(ce.error_code, PROTO_ERROR_NOT_JOINED);
    }
    assert_int_equal(own(&E, QUIC_COUNT_HALF_OPEN), 3);
    assert_int_equal(E.t->slots.half_open, 0);
    assert_int_equal(relay_clients(E.r), 0);
    for (int i = 0; i < 3; i++)
        bare_close(&b[i]);
    env_close(&E);
}

/* A 1-RTT packet of the client's connection made by hand: its traffic
 * secret from the key log (CLIENT_TRAFFIC_SECRET_0), the connection's
 * cipher suite, its current destination ID, packet number pn; payload
 * encrypted and the header protected as RFC 9001 says (5.3, 5.4). Returns
 * the packet's length in out. */
static size_t forge_1rtt(struct client_quic *q, const char *keylog, uint64_t pn,
                         const uint8_t *payload, size_t len, uint8_t *out)
{
    char *log = harness_read_text(keylog), *line = log ? strstr(log, "CLIENT_TRAFFIC_SECRET_0 ")
                                                       : NULL;
    assert_non_null(line);
    const char *hex = strchr(line + strlen("CLIENT_TRAFFIC_SECRET_0 "), ' ') + 1;
    uint8_t secret[64], key[32], iv[16], hpkey[32];
    size_t secretlen = 0;
    while (secretlen < sizeof secret && sscanf(hex + 2 * secretlen, "%2hhx", &secret[secretlen]) == 1)
        secretlen++;
    free(log);
    const ngtcp2_crypto_ctx *ctx = ngtcp2_conn_get_crypto_ctx(q->conn);
    size_t keylen = ngtcp2_crypto_aead_keylen(&ctx->aead);
    size_t ivlen = ngtcp2_crypto_packet_protection_ivlen(&ctx->aead);
    assert_int_equal(ngtcp2_crypto_hkdf_expand_label(key, keylen, &ctx->md, secret, secretlen,
                                                     (const uint8_t *)"quic key", 8), 0);
    assert_int_equal(ngtcp2_crypto_hkdf_expand_label(iv, ivlen, &ctx->md, secret, secretlen,
                                                     (const uint8_t *)"quic iv", 7), 0);
    assert_int_equal(ngtcp2_crypto_hkdf_expand_label(hpkey, keylen, &ctx->md, secret,
                                                     secretlen, (const uint8_t *)"quic hp", 7),
                     0);
    const ngtcp2_cid *dcid = ngtcp2_conn_get_dcid(q->conn);
    size_t n = 0;
    out[n++] = 0x40 | 0x03; /* short header, fixed bit, key phase 0, 4-byte number */
    memcpy(out + n, dcid->data, dcid->datalen);
    n += dcid->datalen;
    size_t pn_at = n;
    for (int k = 3; k >= 0; k--)
        out[n++] = (uint8_t)(pn >> (8 * k));
    uint8_t nonce[16];
    memcpy(nonce, iv, ivlen);
    for (int k = 0; k < 8; k++)
        nonce[ivlen - 1 - (size_t)k] ^= (uint8_t)(pn >> (8 * k));
    ngtcp2_crypto_aead_ctx actx;
    assert_int_equal(ngtcp2_crypto_aead_ctx_encrypt_init(&actx, &ctx->aead, key, ivlen), 0);
    assert_int_equal(ngtcp2_crypto_encrypt(out + n, &ctx->aead, &actx, payload, len, nonce,
                                           ivlen, out, n), 0);
    ngtcp2_crypto_aead_ctx_free(&actx);
    n += len + ctx->aead.max_overhead;
    gnutls_cipher_hd_t hd;
    gnutls_datum_t hk = {.data = hpkey, .size = (unsigned)keylen};
    assert_int_equal(gnutls_cipher_init(&hd, (gnutls_cipher_algorithm_t)(intptr_t)
                                                 ctx->hp.native_handle, &hk, NULL), 0);
    ngtcp2_crypto_cipher_ctx cctx = {.native_handle = hd};
    uint8_t mask[32];
    assert_int_equal(ngtcp2_crypto_hp_mask(mask, &ctx->hp, &cctx, out + pn_at + 4), 0);
    gnutls_cipher_deinit(hd);
    out[0] ^= mask[0] & 0x1f;
    for (int k = 0; k < 4; k++)
        out[pn_at + (size_t)k] ^= mask[1 + k];
    return n;
}

/* A DATAGRAM frame over the max_datagram_frame_size the edge announced,
 * in a packet the client's keys seal (made by hand: no QUIC library sends
 * one): the edge closes its connection (PROTOCOL_VIOLATION, counted) and
 * the others play on. */
static void a_datagram_over_the_size_announced(void **state)
{
    (void)state;
    env_open(&E, 4);
    char dir[] = "/tmp/ricochet-quic-XXXXXX", keylog[64];
    assert_non_null(mkdtemp(dir));
    snprintf(keylog, sizeof keylog, "%s/keys", dir);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 3;
    struct client_config cfg = {.host = "127.0.0.1", .port = E.port, .room = "q", .name = "big",
                                .mode = PROTO_MODE_UNSEQUENCED, .timeout_ms = 5000,
                                .keylog = keylog, .transport = RICOCHET_TRANSPORT_QUIC};
    char err[256];
    r.c[0] = client_create(&cfg, err, sizeof err);
    assert_non_null(r.c[0]);
    r.c[1] = member(&E, "ok1", PROTO_MODE_UNSEQUENCED);
    r.c[2] = member(&E, "ok2", PROTO_MODE_RELIABLE);
    welcome_all(&E, &r);
    struct client_quic *q = link_of(r.c[0]);
    assert_int_equal(ngtcp2_conn_get_remote_transport_params(q->conn)->max_datagram_frame_size,
                     QUICMSG_DATAGRAM_FRAME_MAX);
    uint8_t frame[1300], pkt[1400];
    size_t n = 0;
    frame[n++] = 0x31; /* DATAGRAM with a length */
    frame[n++] = 0x40 | (1250 >> 8);
    frame[n++] = 1250 & 0xff;
    memset(frame + n, 0, 1250);
    frame[n] = PROTO_CHANNEL_STATE;
    n += 1250;
    size_t len = forge_1rtt(q, keylog, r.c[0]->wire.dgrams_sent + 1000, frame, n, pkt);
    assert_int_equal(send(q->fd, pkt, len, 0), (ssize_t)len);
    pump(&E, &r, 300);
    assert_int_equal(own(&E, QUIC_COUNT_PROTOCOL), 1);
    assert_true(r.disconnected[0]);
    uint32_t gone = ricochet_id(r.c[0]);
    assert_true(harness_rec_saw_left(&r, 1, gone, PROTO_LEFT_QUIT));
    for (int k = 0; k < 10; k++) {
        struct ricochet_state st = {.x = 1};
        assert_int_equal(ricochet_send_state(r.c[2], &st), RICOCHET_OK);
        pump(&E, &r, 5);
    }
    pump(&E, &r, 100);
    assert_int_equal(r.states[1][ricochet_id(r.c[2])], 10);
    for (size_t i = 0; i < 3; i++)
        ricochet_close(r.c[i]);
    unlink(keylog);
    rmdir(dir);
    env_close(&E);
}

/* A member moving again and again: each move retires connection IDs and
 * the edge issues new ones; the table holds at most QUIC_EDGE_CIDS for the
 * connection, and the member stays. Then the relay forgets it: its next
 * packet gets a stateless reset, which ends the client at once. */
static void moves_and_a_forgotten_connection(void **state)
{
    (void)state;
    env_open(&E, 4);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 2;
    r.c[0] = member(&E, "mover", PROTO_MODE_RELIABLE);
    r.c[1] = member(&E, "other", PROTO_MODE_RELIABLE);
    welcome_all(&E, &r);
    int moved = 0;
    for (int k = 0; k < 12; k++) {
        moved += client_rebind(r.c[0]) == 0;
        struct ricochet_state st = {.x = (float)k};
        assert_int_equal(ricochet_send_state(r.c[0], &st), RICOCHET_OK);
        pump(&E, &r, 60);
        assert_true(E.t->cids.n <= 2 * QUIC_EDGE_CIDS);
    }
    assert_true(moved >= 6);
    assert_int_equal(own(&E, QUIC_COUNT_MIGRATIONS), moved);
    assert_int_equal(r.states[1][ricochet_id(r.c[0])], 12);
    assert_int_equal(r.n_left[1], 0);
    assert_false(r.disconnected[0]);
    /* forgotten: every connection freed without a word */
    transport_quic_free_all(E.t);
    for (int k = 0; k < 100 && !r.disconnected[0]; k++) {
        struct ricochet_state st = {.x = 1};
        ricochet_send_state(r.c[0], &st);
        pump(&E, &r, 20);
    }
    assert_true(r.disconnected[0]);
    assert_true(link_of(r.c[0]) == NULL || link_of(r.c[0])->reset);
    assert_true(own(&E, QUIC_COUNT_RESETS) >= 1);
    assert_non_null(strstr(ricochet_end_reason(r.c[0]), "reset"));
    for (size_t i = 0; i < 2; i++)
        ricochet_close(r.c[i]);
    env_close(&E);
}

/* ---- WebTransport's HTTP/3 -------------------------------------------------------------- */

#define H3_BARES 8

/* len bytes on stream sid of c's connection q, written into packets and
 * sent (fin: the stream ends, len may be 0); while ngtcp2 holds them back
 * (pacing, congestion), the edge and q turn. */
static void stream_send(struct ricochet *c, struct client_quic *q, int64_t sid, const uint8_t *p,
                        size_t len, bool fin)
{
    ngtcp2_vec v = {.base = (uint8_t *)p, .len = len};
    uint64_t until = clock_now_us() + 3000000;
    while ((v.len > 0 || fin) && clock_now_us() < until) {
        uint8_t pkt[1452];
        ngtcp2_path_storage ps;
        ngtcp2_path_storage_zero(&ps);
        ngtcp2_ssize sent = -1;
        ngtcp2_ssize n = ngtcp2_conn_writev_stream(
            q->conn, &ps.path, NULL, pkt, sizeof pkt, &sent,
            fin ? NGTCP2_WRITE_STREAM_FLAG_FIN : 0, sid, &v, 1, clock_now_us() * 1000u);
        assert_true(n >= 0);
        if (sent > 0) {
            v.base += sent;
            v.len -= (size_t)sent;
        }
        if (n > 0)
            assert_int_equal(send(q->fd, pkt, (size_t)n, 0), n);
        if (sent >= 0 && v.len == 0)
            fin = false;
        if (n == 0) { /* held back: a turn, q's acknowledgements read */
            turn(&E, 1);
            assert_int_equal(client_quic_read(c, q, clock_now_us()), 0);
        }
    }
    assert_int_equal(v.len, 0);
}

/* A new stream of b's (bidirectional or not) with its first bytes. */
static int64_t h3_stream(struct bare *b, bool bidi, const uint8_t *p, size_t len)
{
    int64_t sid;
    assert_int_equal(bidi ? ngtcp2_conn_open_bidi_stream(b->q.conn, &sid, NULL)
                          : ngtcp2_conn_open_uni_stream(b->q.conn, &sid, NULL), 0);
    stream_send(b->c, &b->q, sid, p, len, false);
    return sid;
}

/* The client's control stream: its type, then SETTINGS of payload. */
static void h3_settings(struct bare *b, const uint8_t *payload, size_t len)
{
    uint8_t s[64] = {H3_STREAM_CONTROL, H3_FRAME_SETTINGS, (uint8_t)len};
    memcpy(s + 3, payload, len);
    h3_stream(b, false, s, 3 + len);
}

/* A CONNECT on the client's first bidirectional stream: its HEADERS frame
 * of fields (NULL-ended). */
static void h3_request(struct bare *b, const char *const *fields)
{
    uint8_t block[512], f[600];
    size_t n = h3_block(block, sizeof block, fields), at = 0;
    at += h3_varint_put(f, H3_FRAME_HEADERS);
    at += h3_varint_put(f + at, n);
    memcpy(f + at, block, n);
    h3_stream(b, true, f, at + n);
}

static bool all_h3_open(const struct env *e, const struct bare *b, const int *rv)
{
    (void)b, (void)rv;
    return e->t->own[QUIC_COUNT_HANDSHAKES] == H3_BARES + 2; /* and the two members */
}

static bool all_h3_closed(const struct env *e, const struct bare *b, const int *rv)
{
    (void)b;
    for (int i = 0; i < H3_BARES; i++)
        if (rv[i] == 0)
            return false;
    return e->t->slots.half_open == 0;
}

/* How b's connection was closed: an application's code (HTTP/3's). */
static uint64_t closed_with(const struct bare *b)
{
    ngtcp2_connection_close_error ce;
    ngtcp2_conn_get_connection_close_error(b->q.conn, &ce);
    assert_int_equal(ce.type, NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION);
    return ce.error_code;
}

/* States the recorded clients received, in any mode. */
static uint64_t arrived(const struct harness_rec *r)
{
    uint64_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        for (int m = 0; m < PROTO_MODE_COUNT; m++)
            n += r->arrived[i][m];
    return n;
}

#define WT_CONNECT(path, protocol) \
    ":method", "CONNECT", ":scheme", "https", ":authority", "127.0.0.1", ":path", path, \
        ":protocol", protocol

static void webtransport_bad_input(void **state)
{
    (void)state;
    env_open(&E, H3_BARES);
    struct harness_rec r = {.n = 2};
    r.c[0] = member(&E, "honest1", PROTO_MODE_UNSEQUENCED);
    r.c[1] = member(&E, "honest2", PROTO_MODE_UNSEQUENCED);
    welcome_all(&E, &r);
    static struct bare b[H3_BARES];
    int rv[H3_BARES] = {0};
    for (int i = 0; i < H3_BARES; i++)
        bare_open_alpn(&E, &b[i], "h3", H3_ALPN);
    assert_true(bare_pump(&E, b, H3_BARES, rv, 3000, all_h3_open));
    /* Chromium's SETTINGS; one without WebTransport; one given twice */
    static const uint8_t wt[] = {0x33, 0x01, 0xab, 0x60, 0x37, 0x42, 0x01};
    static const uint8_t no_wt[] = {0x33, 0x01};
    static const uint8_t twice[] = {0x33, 0x01, 0x33, 0x01};
    const char *const other_path[] = {WT_CONNECT("/other", "webtransport"), NULL};
    const char *const other_protocol[] = {WT_CONNECT("/wt", "websocket"), NULL};
    const char *const good[] = {WT_CONNECT("/wt", "webtransport"), NULL};
    for (int i = 0; i < H3_BARES; i++)
        h3_settings(&b[i], i == 2 ? no_wt : i == 3 ? twice : wt, i == 2 ? sizeof no_wt
                                                                 : i == 3 ? sizeof twice
                                                                          : sizeof wt);
    h3_request(&b[0], other_path);
    h3_request(&b[1], other_protocol);
    h3_request(&b[2], good);
    static const uint8_t capacity[] = {H3_STREAM_QPACK_ENCODER, 0x3f, 0xe1, 0x1f}; /* 4096 */
    h3_stream(&b[4], false, capacity, sizeof capacity);
    static const uint8_t dynamic[] = {H3_FRAME_HEADERS, 3, 0x02, 0x00, 0x80};
    h3_stream(&b[5], true, dynamic, sizeof dynamic);
    static const uint8_t long_headers[] = {H3_FRAME_HEADERS, 0x50, 0x01}; /* 4097 bytes */
    h3_stream(&b[6], true, long_headers, sizeof long_headers);
    h3_request(&b[7], good);
    pump(&E, NULL, 100);
    uint8_t dgram[] = {0x01, 0x01, 'x'}; /* quarter stream ID 1: no session of b[7]'s */
    uint8_t pkt[1452];
    int accepted = 0;
    ngtcp2_vec v = {.base = dgram, .len = sizeof dgram};
    ngtcp2_ssize n = ngtcp2_conn_writev_datagram(b[7].q.conn, NULL, NULL, pkt, sizeof pkt,
                                                 &accepted, 0, 1, &v, 1, clock_now_us() * 1000u);
    assert_true(n > 0 && accepted);
    assert_int_equal(send(b[7].q.fd, pkt, (size_t)n, 0), n);
    assert_true(bare_pump(&E, b, H3_BARES, rv, JOIN_MS + 3000, all_h3_closed));
    print_message("h3: %llu sessions, %llu refused, %llu settings, %llu QPACK, %llu unknown, "
                  "%llu other errors, %llu half-open\n",
                  (unsigned long long)own(&E, QUIC_COUNT_WT_SESSIONS),
                  (unsigned long long)own(&E, QUIC_COUNT_WT_REFUSED),
                  (unsigned long long)own(&E, QUIC_COUNT_WT_SETTINGS),
                  (unsigned long long)own(&E, QUIC_COUNT_WT_QPACK),
                  (unsigned long long)own(&E, QUIC_COUNT_WT_UNKNOWN),
                  (unsigned long long)own(&E, QUIC_COUNT_WT_H3_ERRORS),
                  (unsigned long long)own(&E, QUIC_COUNT_HALF_OPEN));
    assert_int_equal(own(&E, QUIC_COUNT_WT_SESSIONS), 1);  /* b[7]: then never joined */
    assert_int_equal(own(&E, QUIC_COUNT_WT_REFUSED), 3);   /* 404, 501, 400 */
    assert_int_equal(own(&E, QUIC_COUNT_WT_SETTINGS), 2);  /* no WebTransport, twice */
    assert_int_equal(own(&E, QUIC_COUNT_WT_QPACK), 3);
    assert_int_equal(own(&E, QUIC_COUNT_WT_UNKNOWN), 1);
    assert_int_equal(closed_with(&b[3]), H3_SETTINGS_ERROR);
    assert_int_equal(closed_with(&b[4]), H3_QPACK_ENCODER_STREAM_ERROR);
    assert_int_equal(closed_with(&b[5]), H3_QPACK_DECOMPRESSION_FAILED);
    assert_int_equal(closed_with(&b[6]), H3_EXCESSIVE_LOAD);
    for (int i = 0; i < 3; i++) /* refused, then never joined: the join timeout */
        assert_int_equal(closed_with(&b[i]), PROTO_ERROR_NOT_JOINED);
    assert_int_equal(closed_with(&b[7]), PROTO_ERROR_NOT_JOINED);
    assert_int_equal(own(&E, QUIC_COUNT_HALF_OPEN), H3_BARES);
    assert_int_equal(relay_clients(E.r), 2);
    /* the honest members play on: each gets the other's states */
    struct ricochet_state st = {.x = 1, .y = 2};
    uint64_t before = arrived(&r);
    for (int k = 0; k < 20; k++) {
        assert_int_equal(ricochet_send_state(r.c[0], &st), RICOCHET_OK);
        assert_int_equal(ricochet_send_state(r.c[1], &st), RICOCHET_OK);
        pump(&E, &r, 10);
    }
    pump(&E, &r, 200);
    assert_true(arrived(&r) >= before + 38);
    for (int i = 0; i < H3_BARES; i++)
        bare_close(&b[i]);
    for (size_t i = 0; i < 2; i++)
        ricochet_close(r.c[i]);
    env_close(&E);
}

/* A client's end of its control stream is leaving, and on a WebTransport
 * session so is its end of the CONNECT's stream (what a page's
 * writer.close() and wt.close() send): the room hears left (quit) at
 * once, the relay closes the connection, and nothing waits for a join
 * timeout. ngtcp2 closes a stream only once both sides have ended it, and
 * the relay never ends its side of either: the FIN itself must count. */
static void a_stream_ended_is_leaving(void **state)
{
    (void)state;
    env_open(&E, 4);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 4;
    r.c[0] = member(&E, "stays", PROTO_MODE_RELIABLE);
    r.c[1] = member(&E, "quic", PROTO_MODE_RELIABLE);
    r.c[2] = member_over(&E, "wtcontrol", PROTO_MODE_UNSEQUENCED,
                         RICOCHET_TRANSPORT_WEBTRANSPORT);
    r.c[3] = member_over(&E, "wtconnect", PROTO_MODE_UNSEQUENCED,
                         RICOCHET_TRANSPORT_WEBTRANSPORT);
    welcome_all(&E, &r);
    pump(&E, &r, 100);
    uint32_t ids[4];
    for (size_t i = 0; i < 4; i++)
        ids[i] = ricochet_id(r.c[i]);
    uint64_t join_timeouts = relay_stats(E.r)->drops[RELAY_DROP_JOIN_TIMEOUT];
    uint64_t start = clock_now_us();
    for (size_t i = 1; i < 4; i++) /* the control stream (QUIC's 0, the session's), the CONNECT's */
        stream_send(r.c[i], link_of(r.c[i]), i == 3 ? 0 : link_of(r.c[i])->ctl_sid, NULL, 0,
                    true);
    for (int k = 0; k < 100 && r.n_left[0] < 3; k++)
        pump(&E, &r, 10);
    print_message("three streams ended: %zu left in %llu ms\n", r.n_left[0],
                  (unsigned long long)((clock_now_us() - start) / 1000));
    for (size_t i = 1; i < 4; i++) {
        assert_true(harness_rec_saw_left(&r, 0, ids[i], PROTO_LEFT_QUIT));
        assert_true(r.disconnected[i]);
    }
    assert_true(clock_now_us() - start < 500000); /* at once, not at a timeout */
    assert_int_equal(relay_clients(E.r), 1);
    assert_int_equal(relay_stats(E.r)->drops[RELAY_DROP_JOIN_TIMEOUT], join_timeouts);
    assert_int_equal(own(&E, QUIC_COUNT_PROTOCOL), 0);
    for (size_t i = 0; i < 4; i++)
        ricochet_close(r.c[i]);
    env_close(&E);
}

/* A silent member of a relay of --timeout-ms 600: gone at 600 ms over QUIC
 * (ngtcp2's idle timeout, what the relay announced) and over WebTransport,
 * whose max_idle_timeout is announced QUIC_EDGE_H3_IDLE_MS longer (a
 * browser's own timer runs a second short of it) and whose silence the
 * edge times itself: left (timeout), without a packet. */
static void a_silent_session_is_gone_at_the_relay_timeout(void **state)
{
    (void)state;
    env_timeout_ms = 600;
    env_open(&E, 4);
    env_timeout_ms = 5000;
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 3;
    r.c[0] = member(&E, "talks", PROTO_MODE_UNSEQUENCED);
    r.c[1] = member(&E, "quic", PROTO_MODE_UNSEQUENCED);
    r.c[2] = member_over(&E, "wt", PROTO_MODE_UNSEQUENCED, RICOCHET_TRANSPORT_WEBTRANSPORT);
    welcome_all(&E, &r);
    for (size_t i = 0; i < 3; i++) /* what each client was told */
        assert_int_equal(ngtcp2_conn_get_remote_transport_params(link_of(r.c[i])->conn)
                             ->max_idle_timeout,
                         (600 + (i == 2 ? QUIC_EDGE_H3_IDLE_MS : 0)) * NGTCP2_MILLISECONDS);
    /* from now on only the first is read and sends */
    static struct harness_rec o;
    memset(&o, 0, sizeof o);
    o.n = 1;
    o.c[0] = r.c[0];
    uint32_t quic = ricochet_id(r.c[1]), wt = ricochet_id(r.c[2]);
    uint64_t start = clock_now_us(), gone_us[2] = {0, 0};
    while (clock_now_us() - start < 3000000 && (!gone_us[0] || !gone_us[1])) {
        struct ricochet_state st = {.x = 1};
        assert_int_equal(ricochet_send_state(o.c[0], &st), RICOCHET_OK);
        pump(&E, &o, 20);
        for (int k = 0; k < 2; k++)
            if (!gone_us[k] && harness_rec_saw_left(&o, 0, k ? wt : quic, PROTO_LEFT_TIMEOUT))
                gone_us[k] = clock_now_us() - start;
    }
    print_message("silent: gone after %llu ms over QUIC, %llu ms over WebTransport\n",
                  (unsigned long long)gone_us[0] / 1000, (unsigned long long)gone_us[1] / 1000);
    /* 600 ms and the edge's sweep every 100 ms; on a loaded machine later,
     * but well before WebTransport's announced 2.6 s: the edge times the
     * silence itself */
    for (int k = 0; k < 2; k++)
        assert_true(gone_us[k] >= 500000 && gone_us[k] < 2200000);
    assert_int_equal(relay_clients(E.r), 1);
    assert_int_equal(relay_stats(E.r)->timeouts, 2);
    for (size_t i = 0; i < 3; i++)
        ricochet_close(r.c[i]);
    env_close(&E);
}

/* The certificate of slot i: ECDSA P-256, valid under 14 days. */
static void browser_certificate(const struct relay_quic *t, int i)
{
    gnutls_datum_t der;
    gnutls_x509_crt_t crt;
    unsigned bits = 0;
    assert_int_equal(gnutls_certificate_get_crt_raw(t->tls.certs[i].cred, 0, 0, &der), 0);
    assert_int_equal(gnutls_x509_crt_init(&crt), 0);
    assert_int_equal(gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER), 0);
    time_t from = gnutls_x509_crt_get_activation_time(crt);
    time_t until = gnutls_x509_crt_get_expiration_time(crt);
    assert_true(until > time(NULL) && until - from < 14 * 86400);
    assert_int_equal(gnutls_x509_crt_get_pk_algorithm(crt, &bits), GNUTLS_PK_ECDSA);
    assert_int_equal(bits, 256);
    uint8_t md[32];
    assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, md), 0);
    assert_memory_equal(md, t->tls.certs[i].sha256, 32); /* the hash a page is given */
    gnutls_x509_crt_deinit(crt);
}

/* How many hashes GET /wt's JSON names (after its port, path and
 * timeout); the first in first (65 bytes). */
static int hashes_served(const struct relay_quic *t, char *first)
{
    char json[512];
    assert_true(transport_quic_tls_webtransport(t, json, sizeof json) > 0);
    char port[32];
    snprintf(port, sizeof port, "{\"port\":%u,\"path\":\"/wt\"", netaddr_port(&t->local));
    assert_non_null(strstr(json, port));
    char timeout[48]; /* the silence a page's keepalive must stay within */
    snprintf(timeout, sizeof timeout, ",\"timeout_ms\":%u,", (unsigned)t->cfg.timeout_ms);
    assert_non_null(strstr(json, timeout));
    const char *h = strstr(json, "\"hashes\":[");
    int n = 0;
    for (const char *q = h ? strchr(h, '[') : NULL; q && (q = strchr(q + 1, '"')); q++, n++) {
        if (n == 0)
            snprintf(first, 65, "%s", q + 1);
        q = strchr(q + 1, '"');
        if (!q)
            break;
    }
    return n;
}

static void certificates_for_browsers(void **state)
{
    (void)state;
    env_open(&E, 4);
    char first[65], hex[65];
    uint8_t was = E.t->tls.cert_now;
    browser_certificate(E.t, was);
    assert_int_equal(hashes_served(E.t, first), 1);
    struct harness_rec r = {.n = 1};
    r.c[0] = member(&E, "before", PROTO_MODE_UNSEQUENCED);
    welcome_all(&E, &r);
    assert_int_equal(E.t->tls.certs[was].conns, 1);
    assert_false(transport_quic_tls_renew(E.t, clock_now_us(), false)); /* not 6 days old */
    assert_true(transport_quic_tls_renew(E.t, clock_now_us(), true));
    uint8_t now = E.t->tls.cert_now;
    assert_int_not_equal(now, was);
    browser_certificate(E.t, now);
    assert_int_equal(hashes_served(E.t, first), 2);
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", E.t->tls.certs[now].sha256[i]);
    assert_string_equal(first, hex); /* the newest first */
    assert_non_null(E.t->tls.certs[was].cred); /* its member's connection holds it */
    r.c[1] = member(&E, "after", PROTO_MODE_UNSEQUENCED);
    r.n = 2;
    welcome_all(&E, &r);
    assert_int_equal(E.t->tls.certs[now].conns, 1);
    ricochet_close(r.c[0]);
    r.c[0] = NULL;
    for (int k = 0; k < 400 && E.t->tls.certs[was].cred; k++)
        pump(&E, &r, 10);
    assert_null(E.t->tls.certs[was].cred); /* freed with its last connection */
    assert_int_equal(hashes_served(E.t, first), 2); /* still valid: its hash stays served */
    ricochet_close(r.c[1]);
    env_close(&E);
}

static int setup(void **state)
{
    (void)state;
    log_threshold = LOG_OFF;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(connection_ids),
        cmocka_unit_test(timers),
        cmocka_unit_test(strangers_get_stateless_answers),
        cmocka_unit_test(a_0rtt_packet_gets_no_retry),
        cmocka_unit_test(no_answer_outweighs_its_datagram),
        cmocka_unit_test(retries_are_admissions),
        cmocka_unit_test(members_play_and_streams_are_bounded),
        cmocka_unit_test(acknowledgements_ride_with_states),
        cmocka_unit_test(an_empty_tick_wakes_no_one),
        cmocka_unit_test(a_connection_that_never_joins),
        cmocka_unit_test(a_datagram_over_the_size_announced),
        cmocka_unit_test(moves_and_a_forgotten_connection),
        cmocka_unit_test(webtransport_bad_input),
        cmocka_unit_test(a_stream_ended_is_leaving),
        cmocka_unit_test(a_silent_session_is_gone_at_the_relay_timeout),
        cmocka_unit_test(certificates_for_browsers),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
