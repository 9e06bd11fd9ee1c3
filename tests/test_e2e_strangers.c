/* test_e2e_strangers.c: the stranger matrix: a forged source on every datagram
 * edge, asking for every answer the relay can be made to send, gets back no
 * more bytes than it sent. */
/* On every datagram edge (ENet,
 * plain UDP, QUIC, WebTransport, WebRTC) a forged source, a socket of its
 * own on 127.0.0.(2+i), completes whatever it can of the edge's handshake
 * blind, then asks, for 10 s, for the largest answers the edge has: room
 * listings, and a join into a room of 32 players sending states at 60 Hz.
 * What arrives at the forged address (counted by that socket, for 2 s
 * more: retransmissions included) must be no more bytes than it sent,
 * and what the ENet edge held back is counted (edges.enet.withheld). A
 * table of what each cell measured is printed.
 *
 * Every message a joiner, a lobby, a returning player or a room's script
 * can make the relay send is asked for too, each by a forger of its own on
 * ENet (both kinds of client) and plain UDP: a lobby's watch (its pushes),
 * a join of a room of 15,000 bytes of kept events (their replay), a join
 * with a member's key read on its path and with guessed keys, a room
 * change as a non-member and a join of a room whose owner changes it every
 * 100 ms (the room push), a join of a room whose script keeps a banner and
 * sends to everyone at each join and every 100 ms. The matrix (edge x
 * message: the ratio) is printed; a stream edge's forger never gets past
 * TCP's handshake, and the QUIC, WebTransport and WebRTC forgers never
 * past theirs, so one cell each stands for every message.
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

#include "client/lib/ricochet.h"
#include "proto/control.h"
#include "proto/enet/enet_speak.h"
#include "rtc/rtc_stun.h"
#include "sys/clock.h"
#include "tests/support/attack.h"
#include "tests/support/faultlab.h"
#include "tests/support/harness.h"
#include "tests/support/member.h"
#include "tests/support/players.h"
#include "tests/support/room_scripts.h"

#define RUN_MS 10000        /* the forgers ask for this long */
#define TAIL_MS 2000        /* ... and what they get is counted this much longer */
#define PLAYERS 32
#define PLAYER_HZ 60
#define ASK_MS 100          /* a forger's requests: one round this often */
#define ENET_ROUND_MS 2500  /* an ENet forger connects again this often */
#define JOIN_MS 20000

/* A member's key, read on its path (the kept room's keeper's). */
static char stolen_key[40];

#define KEPT_N 30           /* the kept room's events, ... */
#define KEPT_BYTES 500      /* ... each this long: 15,000 bytes replayed to a joiner */

/* The room's own word, to everyone, as often as a script may: a banner
 * kept (replayed to each joiner), a shout at each join and each event, a
 * word every 100 ms. */
static const char shout_lua[] =
    "function on_room(room)\n"
    "  room:keep('banner', string.rep('b', 900))\n"
    "  room:tick_every(100)\n"
    "end\n"
    "function on_join(room, member) room:send(string.rep('j', 500)) end\n"
    "function on_event(room, member, event) room:send(event.body) end\n"
    "function on_tick(room, now) room:send(string.rep('t', 200)) end\n";

/* The rooms of the new asks, each made by a member of its own (ENet,
 * libricochet): "kept" (KEPT_N events kept to stay), "owned" (its owner
 * changes its props every ASK_MS: a room push to every member), and
 * "scripted" (shout_lua). */
enum { HOST_KEPT, HOST_OWNED, HOST_SCRIPTED, HOSTS };
static struct ricochet *hosts[HOSTS];

static void hosts_open(uint16_t port)
{
    static const char *const rooms[HOSTS] = {"kept", "owned", "scripted"};
    for (int i = 0; i < HOSTS; i++) {
        struct ricochet_config *cfg = players_config(port, RICOCHET_MODE_RELIABLE, rooms[i]);
        assert_int_equal(ricochet_config_set_room(cfg, rooms[i]), RICOCHET_OK);
        if (i == HOST_SCRIPTED)
            assert_int_equal(ricochet_config_set_room_prop(cfg, "script", "shout"), RICOCHET_OK);
        hosts[i] = players_connect(cfg);
        struct ricochet_event ev;
        uint64_t until = clock_now_ms() + JOIN_MS;
        while (!ricochet_joined(hosts[i]) && clock_now_ms() < until)
            ricochet_poll(hosts[i], 10, &ev);
        assert_true(ricochet_joined(hosts[i]));
    }
    char body[KEPT_BYTES], key[16];
    memset(body, 'k', sizeof body);
    for (int i = 0; i < KEPT_N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(ricochet_send_kept(hosts[HOST_KEPT], key, body, sizeof body,
                                            RICOCHET_KEEP_STAY), RICOCHET_OK);
    }
    snprintf(stolen_key, sizeof stolen_key, "%s", ricochet_key(hosts[HOST_KEPT]));
    assert_int_equal(strlen(stolen_key), 32);
}

/* What came to the hosts read; the owner's change when one is due. */
static void hosts_turn(uint64_t t_ms, uint64_t *changes)
{
    struct ricochet_event ev;
    for (int i = 0; i < HOSTS; i++)
        while (ricochet_poll(hosts[i], 0, &ev) == 1) {
        }
    if (t_ms / ASK_MS >= *changes) {
        struct ricochet_prop prop = {.key = "map"};
        snprintf(prop.value, sizeof prop.value, "map%llu", (unsigned long long)*changes);
        ricochet_set_room_props(hosts[HOST_OWNED], &prop, 1);
        ++*changes;
    }
}

/* What a forger asks for, beside the listing and the join of the busy
 * room: every message a joiner, a lobby, a returning player or a room's
 * script can make the relay send. */
enum ask {
    ASK_JOIN,   /* a listing, a join of the busy room */
    ASK_WATCH,  /* a lobby that stays: {"type":"rooms","watch":true}, its pushes */
    ASK_KEPT,   /* a join of a room of kept events: their replay */
    ASK_RESUME, /* a join with a member's key (read on its path), or a guessed one */
    ASK_ROOM,   /* a room change as a non-member, a join of a room whose owner changes it */
    ASK_SCRIPT, /* a join of a room whose script sends to everyone and keeps a banner */
    ASKS
};

static const char *const ask_names[ASKS] = {"listing+join", "watch", "kept replay",
                                            "resume key", "room push", "script send"};

struct cell;
typedef void (*cell_step)(struct cell *c, uint64_t t_ms);

/* One edge's forged source. */
struct cell {
    const char *name;         /* as the table says it */
    const char *edge;         /* the relay's edge it forges to */
    cell_step step;           /* sends what is due at t_ms (from the start) */
    enum ask ask;             /* what it asks for */
    bool handshake;           /* the handshake is all it gets to: it stands for every ask */
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

/* The k-th request of c's ask, in mode, into text. */
static void ask_text(const struct cell *c, const char *mode, char *text, size_t cap)
{
    unsigned k = c->k;
    const char *room = c->ask == ASK_KEPT || c->ask == ASK_RESUME ? "kept"
                       : c->ask == ASK_ROOM                      ? "owned"
                       : c->ask == ASK_SCRIPT                    ? "scripted"
                                                                 : "busy";
    char key[64] = "";
    if (c->ask == ASK_RESUME && k % 2)
        snprintf(key, sizeof key, ",\"key\":\"%s\"", stolen_key);
    else if (c->ask == ASK_RESUME) /* a guess */
        snprintf(key, sizeof key, ",\"key\":\"%016x%016x\"", k, ~k);
    if (c->ask == ASK_WATCH)
        snprintf(text, cap, "{\"type\":\"rooms\",\"watch\":true}");
    else if ((c->ask == ASK_JOIN || c->ask == ASK_ROOM) && k % 2 == 0)
        snprintf(text, cap, c->ask == ASK_JOIN ? "{\"type\":\"rooms\"}"
                            : "{\"type\":\"room\",\"open\":true,\"props\":{\"map\":\"m%u\"}}",
                 k);
    else
        snprintf(text, cap, "{\"type\":\"join\",\"version\":3,\"room\":\"%s\","
                 "\"name\":\"forged%u\",\"mode\":\"%s\"%s}", room, k, mode, key);
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
    char text[256];
    ask_text(c, "reliable", text, sizeof text);
    enet_ask(c, text);
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
    char text[256];
    if (c->ask == ASK_JOIN) { /* both each round */
        ask_text(c, "udp", text, sizeof text);
        cell_send(c, text, strlen(text));
        c->k++;
    }
    ask_text(c, "udp", text, sizeof text);
    cell_send(c, text, strlen(text));
    c->k++;
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

/* .name is the table's row (an edge, or a kind of client of one); a cell
 * whose forger cannot get past the handshake blind (.handshake) stands
 * for every message of its row. */
#define NEW_ASKS(row, edge_, step_, data_)                                                   \
    {.name = row, .edge = edge_, .step = step_, .connect_data = data_, .ask = ASK_WATCH},    \
    {.name = row, .edge = edge_, .step = step_, .connect_data = data_, .ask = ASK_KEPT},     \
    {.name = row, .edge = edge_, .step = step_, .connect_data = data_, .ask = ASK_RESUME},   \
    {.name = row, .edge = edge_, .step = step_, .connect_data = data_, .ask = ASK_ROOM},     \
    {.name = row, .edge = edge_, .step = step_, .connect_data = data_, .ask = ASK_SCRIPT}

static struct cell cells[] = {
    {.name = "enet", .edge = "enet", .step = enet_step,
     .connect_data = PROTO_ENET_ECHOES_COOKIES},
    {.name = "enet (old client)", .edge = "enet", .step = enet_step},
    {.name = "enet (connect only)", .edge = "enet", .step = enet_connect_step,
     .connect_data = PROTO_ENET_ECHOES_COOKIES, .handshake = true},
    {.name = "udp", .edge = "udp", .step = udp_step},
    {.name = "quic", .edge = "quic", .step = quic_step, .handshake = true},
    {.name = "wt", .edge = "quic", .step = wt_step, .handshake = true},
    {.name = "webrtc", .edge = "webrtc", .step = webrtc_step, .handshake = true},
    NEW_ASKS("enet", "enet", enet_step, PROTO_ENET_ECHOES_COOKIES),
    NEW_ASKS("enet (old client)", "enet", enet_step, 0),
    NEW_ASKS("udp", "udp", udp_step, 0),
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

/* The matrix: every edge, every ask, the ratio of bytes to the forged
 * address to bytes from it. A stream edge's (TCP, and WebSocket and HTTP
 * polling over it) forger never gets past TCP's handshake, which the
 * kernel answers with one SYN-ACK (syncookies under a flood). */
static void matrix_print(void)
{
    static const char *const rows[] = {"enet", "enet (old client)", "enet (connect only)",
                                       "udp", "quic", "wt", "webrtc"};
    static const char *const streams[] = {"tcp", "ws", "wss", "http polling"};
    char line[512];
    int n = snprintf(line, sizeof line, "%-20s", "edge \\ message");
    for (int a = 0; a < ASKS; a++)
        n += snprintf(line + n, sizeof line - (size_t)n, " %13s", ask_names[a]);
    print_message("%s\n", line);
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        n = snprintf(line, sizeof line, "%-20s", rows[r]);
        for (int a = 0; a < ASKS; a++) {
            const struct cell *hit = NULL;
            for (size_t i = 0; i < N_CELLS && !hit; i++)
                if (strcmp(cells[i].name, rows[r]) == 0 &&
                    (cells[i].handshake || cells[i].ask == (enum ask)a))
                    hit = &cells[i];
            double ratio = hit && hit->sent ? (double)hit->received / (double)hit->sent : 0;
            n += snprintf(line + n, sizeof line - (size_t)n, " %12.3f%s", ratio,
                          hit && hit->handshake ? "h" : " ");
        }
        print_message("%s\n", line);
    }
    for (size_t r = 0; r < sizeof streams / sizeof streams[0]; r++) {
        n = snprintf(line, sizeof line, "%-20s", streams[r]);
        for (int a = 0; a < ASKS; a++)
            n += snprintf(line + n, sizeof line - (size_t)n, " %13s", "tcp");
        print_message("%s\n", line);
    }
    print_message("h: the handshake is all a blind forger reaches (one cell for the row); "
                  "tcp: none past TCP's handshake\n");
}

static void every_datagram_edge_answers_no_more_than_it_got(void **state)
{
    (void)state;
    static struct faultlab f;
    static struct member players[PLAYERS];
    char why[256], dir[SCRIPTS_DIR_MAX];
    scripts_dir_new(dir);
    scripts_put(dir, "shout", shout_lua);
    /* Members of the busy room on one address; a forged source is no member. */
    const char *const relay_args[] = {"--max-per-address", "64", "--script-dir", dir, NULL};
    if (faultlab_open(&f, relay_args, 0, why, sizeof why) != 0) {
        scripts_dir_free(dir);
        print_message("no network namespaces here: %s\n", why);
        skip();
    }
    players_join(players, faultlab_port(&f, "enet"));
    hosts_open(faultlab_port(&f, "enet"));
    for (size_t i = 0; i < N_CELLS; i++)
        cell_open(&cells[i], i, faultlab_port(&f, cells[i].edge));
    uint64_t t0 = clock_now_ms(), t, ticks = 0, changes = 0;
    while ((t = clock_now_ms() - t0) < RUN_MS + TAIL_MS) {
        players_turn(players, t, &ticks);
        hosts_turn(t, &changes);
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
    print_message("%-34s %10s %10s %8s %6s\n", "cell", "sent", "received", "ratio", "bound");
    int over = 0;
    for (size_t i = 0; i < N_CELLS; i++) {
        const struct cell *c = &cells[i];
        double ratio = c->sent ? (double)c->received / (double)c->sent : 0;
        /* ENet's VERIFY_CONNECT is 48 bytes for a CONNECT's 52, once a round */
        double bound = c->step == enet_connect_step ? 4 : 1;
        char name[64];
        snprintf(name, sizeof name, "%s: %s", c->name,
                 c->handshake ? "handshake" : ask_names[c->ask]);
        print_message("%-34s %10llu %10llu %8.3f %6.1f\n", name, (unsigned long long)c->sent,
                      (unsigned long long)c->received, ratio, bound);
        over += c->sent == 0 || ratio > bound;
        close(cells[i].fd);
    }
    matrix_print();
    /* What ENet would have resent to the connect-only forger is counted. */
    long long withheld = harness_relay_stat(&f.relay, "edges.enet.withheld");
    print_message("the enet edge withheld %lld datagrams\n", withheld);
    assert_true(withheld > 0);
    for (int i = 0; i < PLAYERS; i++)
        member_close(&players[i]);
    for (int i = 0; i < HOSTS; i++)
        ricochet_close(hosts[i]);
    assert_true(spawn_running(&f.relay));
    free(faultlab_close(&f));
    scripts_dir_free(dir);
    assert_int_equal(over, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_datagram_edge_answers_no_more_than_it_got),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
