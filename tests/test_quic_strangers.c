/* test_quic_strangers.c: what the relay's quic edge (in process on
 * 127.0.0.1) answers packets made by hand from sockets of their own,
 * strangers from 90 source addresses: an Initial without a token gets a
 * Retry and nothing is kept, an Initial with a token that does not verify
 * a close (INVALID_TOKEN), another version Version Negotiation, a short
 * packet for no connection a stateless reset shorter than it, garbage and
 * cut Initials nothing; never more than the bytes a source sent, no
 * connection, each counted (an empty datagram too); a 0-RTT packet for no
 * connection nothing (a Retry once answered one of 40 bytes with 117);
 * every kind of long header and short ones, tiny, of 1199, 1200 and 1400
 * bytes, each answered with no more bytes than it has, an Initial of 1200
 * or more still with its Retry; a flood of Initials gets a Retry each (the
 * reply that lets a newcomer in, outside the budget all strangers share),
 * a flood of short packets no more stateless resets than that budget
 * (--max-per-address 0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay/core/relay.h"
#include "stats/rng.h"
#include "sys/clock.h"
#include "tests/support/quic_edge.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strangers_get_stateless_answers),
        cmocka_unit_test(a_0rtt_packet_gets_no_retry),
        cmocka_unit_test(no_answer_outweighs_its_datagram),
        cmocka_unit_test(retries_are_admissions),
    };
    return cmocka_run_group_tests(tests, quic_edge_setup, NULL);
}
