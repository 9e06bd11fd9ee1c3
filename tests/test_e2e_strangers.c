/* test_e2e_strangers.c: the stranger matrix. On every datagram edge (ENet,
 * plain UDP, QUIC, WebTransport, WebRTC) a forged source, a socket of its
 * own on 127.0.0.(2+i), completes whatever it can of the edge's handshake
 * blind, then asks, for 10 s, for the largest answers the edge has: room
 * listings, and a join into a room of 32 players sending states at 60 Hz.
 * What arrives at the forged address (counted by that socket, for 2 s
 * more: retransmissions included) must be no more bytes than it sent,
 * and what the ENet edge held back is counted (edges.enet.withheld). A
 * table of what each cell measured is printed.
 *
 * Blind means the forger never reads an answer, with one exception in its
 * favour: ENet's VERIFY_CONNECT is read for the relay's slot and session
 * bits, which a blind forger guesses (a few tries; one honest connection
 * of its own tells it the next slot), so the ENet cells are what a forger
 * that guesses right gets. ENet's own handshake is a cell of its own: a
 * CONNECT that acknowledges nothing gets one VERIFY_CONNECT (48 bytes for
 * 52), its resends held back until the source sends more. One relay with every edge in a
 * network namespace of the test's own (support/faultlab.h); skipped
 * without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../proto/control.h"
#include "../proto/enet/enet_speak.h"
#include "../rtc/rtc_stun.h"
#include "../sys/clock.h"
#include "support/attack.h"
#include "support/faultlab.h"
#include "support/harness.h"
#include "support/member.h"

#define RUN_MS 10000        /* the forgers ask for this long */
#define TAIL_MS 2000        /* ... and what they get is counted this much longer */
#define PLAYERS 32
#define PLAYER_HZ 60
#define ASK_MS 100          /* a forger's requests: one round this often */
#define ENET_ROUND_MS 2500  /* an ENet forger connects again this often */
#define JOIN_MS 20000

/* Members of the busy room on one address; a forged source is no member. */
static const char *const relay_args[] = {"--max-per-address", "64", NULL};

struct cell;
typedef void (*cell_step)(struct cell *c, uint64_t t_ms);

/* One edge's forged source. */
struct cell {
    const char *name;         /* as the table says it */
    const char *edge;         /* the relay's edge it forges to */
    cell_step step;           /* sends what is due at t_ms (from the start) */
    enet_uint32 connect_data; /* ENet: its CONNECT's data */
    int fd;                   /* bound at the forged address, connected to the edge */
    uint64_t sent, received;  /* bytes (UDP payloads) */
    uint64_t next_ms;         /* the next round of requests */
    unsigned k;               /* rounds so far */
    /* ENet: the connection of this round */
    unsigned round;           /* ENET_ROUND_MS rounds started, 0: none */
    bool verified;            /* its VERIFY_CONNECT read (the guesses made right) */
    uint16_t peer_id, seq;    /* the relay's slot for it; its channel 0 reliable sequence */
    uint8_t session;
};

static void cell_send(struct cell *c, const void *b, size_t n)
{
    if (send(c->fd, b, n, 0) == (ssize_t)n)
        c->sent += n;
}

/* ---- ENet --------------------------------------------------------------- */

static uint16_t ms16(void)
{
    return (uint16_t)clock_now_ms();
}

/* A datagram of ours to the relay's slot for us: header, then cmd. */
static void enet_send_cmd(struct cell *c, const uint8_t *cmd, size_t n)
{
    uint8_t d[1400];
    size_t h = enet_speak_header(d, c->peer_id, c->session, true, ms16());
    memcpy(d + h, cmd, n);
    cell_send(c, d, h + n);
}

/* The oracle for the guesses: a VERIFY_CONNECT in what came, acknowledged
 * as ENet would. */
static void enet_read(struct cell *c, const uint8_t *d, size_t len)
{
    struct enet_wire_header h;
    struct enet_wire_command cmd;
    if (c->verified || enet_wire_header(d, len, 0, &h) != 0)
        return;
    for (size_t off = h.size, at = off; enet_wire_next(d, len, &off, &cmd) == 1; at = off)
        if (cmd.command == ENET_PROTOCOL_COMMAND_VERIFY_CONNECT && cmd.data_fits) {
            struct enet_speak_verify v;
            enet_speak_read_verify(d + at, &v);
            c->peer_id = v.peer_id;
            c->session = v.outgoing_session;
            c->verified = true;
            uint8_t ack[ENET_SPEAK_ACK_SIZE];
            enet_speak_ack(ack, sizeof ack, ENET_SPEAK_CONTROL_CHANNEL,
                           enet_speak_reliable_seq(d + at), enet_speak_read_sent_time(d));
            enet_send_cmd(c, ack, sizeof ack);
            return;
        }
}

/* A reliable control message on channel 0, never acknowledged after. */
static void enet_ask(struct cell *c, const char *json)
{
    uint8_t cmd[1400];
    size_t n = enet_speak_send(cmd, sizeof cmd, ENET_SPEAK_RELIABLE, PROTO_CHANNEL_CONTROL,
                               ++c->seq, 0, json, strlen(json));
    enet_send_cmd(c, cmd, n);
}

/* Every ENET_ROUND_MS a new connection (the relay closes an unjoined one
 * after its join deadline); in it, every ASK_MS a listing, then a join
 * into the busy room, reliable. */
static void enet_step(struct cell *c, uint64_t t_ms)
{
    unsigned round = (unsigned)(t_ms / ENET_ROUND_MS) + 1;
    if (round != c->round) {
        uint8_t d[ENET_SPEAK_HEADER_MAX + ENET_SPEAK_CONNECT_SIZE];
        size_t h = enet_speak_header(d, ENET_WIRE_NO_PEER, 0, true, ms16());
        struct enet_speak_connect cc = {.reliable_seq = 1, .mtu = 1400, .window_size = 32768,
                                        .channel_count = PROTO_CHANNEL_COUNT,
                                        .connect_id = 0x5eed0000u + round,
                                        .data = c->connect_data};
        cell_send(c, d, h + enet_speak_connect(d + h, sizeof d - h, &cc));
        c->round = round;
        c->verified = false;
        c->seq = 0;
        return;
    }
    if (!c->verified || t_ms < c->next_ms)
        return;
    char join[128];
    snprintf(join, sizeof join, "{\"type\":\"join\",\"version\":3,\"room\":\"busy\","
             "\"name\":\"forged%u\",\"mode\":\"reliable\"}", c->k);
    enet_ask(c, c->k % 2 ? join : "{\"type\":\"rooms\"}");
    c->k++;
    c->next_ms = t_ms + ASK_MS;
}

/* A CONNECT every ENET_ROUND_MS, and nothing else: cell_drain reads no
 * VERIFY_CONNECT for this cell, so it is never acknowledged, nor asked on. */
static void enet_connect_step(struct cell *c, uint64_t t_ms)
{
    enet_step(c, t_ms);
}

/* ---- plain UDP, QUIC, WebTransport, WebRTC ------------------------------ */

/* A join without a cookie, and a listing. */
static void udp_step(struct cell *c, uint64_t t_ms)
{
    if (t_ms < c->next_ms)
        return;
    char join[128];
    int n = snprintf(join, sizeof join, "{\"type\":\"join\",\"version\":3,\"room\":\"busy\","
                     "\"name\":\"forged%u\",\"mode\":\"udp\"}", c->k++);
    cell_send(c, join, (size_t)n);
    cell_send(c, "{\"type\":\"rooms\"}", 16);
    c->next_ms = t_ms + ASK_MS;
}

/* An Initial for a new connection (its handshake cannot go on blind: the
 * Retry's token is what it would need). */
static void quic_step(struct cell *c, uint64_t t_ms)
{
    if (t_ms < c->next_ms)
        return;
    uint8_t b[1200];
    cell_send(c, b, attack_quic_initial(b, c->k++));
    c->next_ms = t_ms + ASK_MS;
}

/* The same Initial (the session's ALPN is inside what no one opens), and
 * a short-header packet for a connection it guesses (a stateless reset's
 * bait). */
static void wt_step(struct cell *c, uint64_t t_ms)
{
    if (t_ms < c->next_ms)
        return;
    uint8_t b[1200];
    cell_send(c, b, attack_quic_initial(b, 0x10000 + c->k++));
    memset(b, 0xa5, 60);
    b[0] = 0x40 | 0x01; /* a short header */
    cell_send(c, b, 60);
    c->next_ms = t_ms + ASK_MS;
}

/* A connectivity check with a guessed ufrag and key, and a DTLS
 * ClientHello's record (a session is offered over HTTP, which no one
 * forges a source for). */
static void webrtc_step(struct cell *c, uint64_t t_ms)
{
    if (t_ms < c->next_ms)
        return;
    uint8_t b[512], txid[RTC_STUN_TXID] = {0};
    memcpy(txid, &c->k, sizeof c->k < sizeof txid ? sizeof c->k : sizeof txid);
    struct rtc_stun_check check = {.username = "0000abcd:forg", .priority = 1, .tiebreaker = 7};
    static const uint8_t key[] = "guessed-password-of-22c";
    cell_send(c, b, rtc_stun_write_check(b, sizeof b, txid, &check, key, sizeof key - 1));
    memset(b, 0, 200);
    b[0] = 0x16, b[1] = 0xfe, b[2] = 0xfd; /* handshake, DTLS 1.2 */
    b[11] = 0, b[12] = 187; /* its length */
    b[13] = 1; /* ClientHello */
    cell_send(c, b, 200);
    c->k++;
    c->next_ms = t_ms + ASK_MS;
}

static struct cell cells[] = {
    {.name = "enet", .edge = "enet", .step = enet_step,
     .connect_data = PROTO_ENET_ECHOES_COOKIES},
    {.name = "enet (old client)", .edge = "enet", .step = enet_step},
    {.name = "enet (connect only)", .edge = "enet", .step = enet_connect_step,
     .connect_data = PROTO_ENET_ECHOES_COOKIES},
    {.name = "udp", .edge = "udp", .step = udp_step},
    {.name = "quic", .edge = "quic", .step = quic_step},
    {.name = "wt", .edge = "quic", .step = wt_step},
    {.name = "webrtc", .edge = "webrtc", .step = webrtc_step},
};
#define N_CELLS (sizeof cells / sizeof cells[0])

/* Cell i's socket on 127.0.0.(2+i), connected to the edge's port. */
static void cell_open(struct cell *c, size_t i, uint16_t port)
{
    struct sockaddr_in me = {.sin_family = AF_INET}, to = {.sin_family = AF_INET};
    me.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 2 + (uint32_t)i);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(port);
    c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(c->fd >= 0);
    assert_int_equal(bind(c->fd, (struct sockaddr *)&me, sizeof me), 0);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&to, sizeof to), 0);
}

/* Counts what came to c's address. */
static void cell_drain(struct cell *c)
{
    uint8_t d[4096];
    ssize_t n;
    while ((n = recv(c->fd, d, sizeof d, 0)) > 0) {
        c->received += (uint64_t)n;
        if (c->step == enet_step)
            enet_read(c, d, (size_t)n);
    }
}

/* The busy room: PLAYERS members over ENet. */
static void players_join(struct member *m, uint16_t port)
{
    for (int i = 0; i < PLAYERS; i++) {
        char name[24];
        snprintf(name, sizeof name, "player%d", i);
        assert_int_equal(member_join(&m[i], member_way("enet"), "127.0.0.1", port, "busy",
                                     name, JOIN_MS), 0);
    }
}

/* A state from every player when one is due, what came read. */
static void players_turn(struct member *m, uint64_t t_ms, uint64_t *ticks)
{
    bool due = t_ms * PLAYER_HZ / 1000 >= *ticks;
    for (int i = 0; i < PLAYERS; i++) {
        if (due)
            member_send_state(&m[i], 0);
        member_poll(&m[i], 0);
    }
    *ticks += due;
}

static void every_datagram_edge_answers_no_more_than_it_got(void **state)
{
    (void)state;
    static struct faultlab f;
    static struct member players[PLAYERS];
    char why[256];
    if (faultlab_open(&f, relay_args, 0, why, sizeof why) != 0) {
        print_message("no network namespaces here: %s\n", why);
        skip();
    }
    players_join(players, faultlab_port(&f, "enet"));
    for (size_t i = 0; i < N_CELLS; i++)
        cell_open(&cells[i], i, faultlab_port(&f, cells[i].edge));
    uint64_t t0 = clock_now_ms(), t, ticks = 0;
    while ((t = clock_now_ms() - t0) < RUN_MS + TAIL_MS) {
        players_turn(players, t, &ticks);
        for (size_t i = 0; i < N_CELLS; i++) {
            if (t < RUN_MS)
                cells[i].step(&cells[i], t);
            cell_drain(&cells[i]);
        }
        usleep(1000);
    }
    uint64_t heard = 0; /* the room was busy: its members heard each other */
    for (int i = 0; i < PLAYERS; i++)
        for (size_t id = 0; id < MEMBER_IDS; id++)
            heard += players[i].states[id];
    print_message("the busy room: %d players at %d Hz, %llu states received in all\n",
                  PLAYERS, PLAYER_HZ, (unsigned long long)heard);
    assert_true(heard >= (uint64_t)PLAYERS * (PLAYERS - 1) * PLAYER_HZ);
    print_message("%-20s %10s %10s %8s %6s\n", "cell", "sent", "received", "ratio", "bound");
    int over = 0;
    for (size_t i = 0; i < N_CELLS; i++) {
        const struct cell *c = &cells[i];
        double ratio = c->sent ? (double)c->received / (double)c->sent : 0;
        double bound = 1;
        print_message("%-20s %10llu %10llu %8.3f %6.1f\n", c->name, (unsigned long long)c->sent,
                      (unsigned long long)c->received, ratio, bound);
        over += c->sent == 0 || ratio > bound;
        close(cells[i].fd);
    }
    /* What ENet would have resent to the connect-only forger is counted. */
    long long withheld = harness_relay_stat(&f.relay, "edges.enet.withheld");
    print_message("the enet edge withheld %lld datagrams\n", withheld);
    assert_true(withheld > 0);
    for (int i = 0; i < PLAYERS; i++)
        member_close(&players[i]);
    assert_true(spawn_running(&f.relay));
    free(faultlab_close(&f));
    assert_int_equal(over, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_datagram_edge_answers_no_more_than_it_got),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
