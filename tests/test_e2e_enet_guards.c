/* test_e2e_enet_guards.c: datagrams in ENet's wire format that Debian's ENet
 * 1.3.17 mishandles, forged on 127.0.0.1 against the real relay:
 *   - ghost peers: DISCONNECT with the acknowledge flag in a datagram
 *     without a sent time leaves the peer in ACKNOWLEDGING_DISCONNECT
 *     forever (no ack queued, so no timeout, no DISCONNECT event);
 *   - fragment bomb: fragmentCount 2^20 with totalLength 1 allocates a
 *     128 KiB bitmap and counts 1 byte against --max-waiting-data;
 *   - zero-length reliable commands ahead of the window, held at 0 bytes
 *     against --max-waiting-data (bounded by --max-held-commands).
 * The relay must forget ghosts within its timeout, keep its RSS bounded
 * and count each refused datagram (drops.enet_guard, drops.held_commands). */

/* tests/run: alone (an honest client let in within 2 s of a flood: a
 * neighbour's load moves it) */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <enet/enet.h>

#include "client/swarm/swarm.h"
#include "sys/clock.h"
#include "proto/control.h"
#include "proto/errors.h"
#include "proto/wire.h"
#include "tests/support/forger.h"
#include "tests/support/harness.h"
#include "tests/support/raw.h"
#include "tests/support/session.h"

/* ---- ghost peers ------------------------------------------------------ */

#define GHOSTS 4
#define GHOST_TIMEOUT_MS 1500

/* Every slot goes to a joined peer that then forges the ghost datagram and
 * vanishes. Within a few timeouts the relay must have forgotten them all:
 * no client, no member, and a new client gets in. */
static void ghost_peers(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--max-clients", "4", "--timeout-ms", "1500", "--log-level", "warn",
                           NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    for (int i = 0; i < GHOSTS; i++) {
        struct forger f;
        forger_open(&f, (uint16_t)port, i);
        uint8_t b[16];
        size_t n = forger_header(&f, b, false);
        n += forger_put_cmd(b + n, ENET_PROTOCOL_COMMAND_DISCONNECT, 0xff, 100);
        n += forger_put32(b + n, 0);
        forger_send(&f, b, n);
        enet_host_destroy(f.host); /* gone without a word */
    }
    long long members0 = harness_relay_stat(&relay, "members");
    clock_sleep_ms(3 * GHOST_TIMEOUT_MS);
    long long clients = harness_relay_stat(&relay, "clients");
    long long members = harness_relay_stat(&relay, "members");
    long long refused = harness_relay_stat(&relay, "drops.enet_guard");
    struct forger late;
    bool late_in = forger_try_open(&late, (uint16_t)port, 99);
    forger_close(&late);
    print_message("ghost peers: %d forged, members right after %lld, after %d ms: "
                  "clients %lld, members %lld, drops.enet_guard %lld; a new client %s\n",
                  GHOSTS, members0, 3 * GHOST_TIMEOUT_MS, clients, members, refused,
                  late_in ? "got in" : "was locked out");
    harness_stop(&relay);
    assert_int_equal(clients, 0);
    assert_int_equal(members, 0);
    assert_int_equal(refused, GHOSTS);
    assert_true(late_in);
}

/* ---- fragments and empty commands ------------------------------------- */

#define BOMBS 1000        /* fragment packets of 2^20 fragments: 125 MiB of bitmaps */
#define BOMBS_PER_DGRAM 40
#define EMPTIES 3000      /* zero-length reliable commands ahead of the window */
#define EMPTIES_PER_DGRAM 100

/* Fragment 0 of a packet of totalLength 1 in 2^20 fragments, 1 data byte. */
static size_t put_bomb(uint8_t *b, unsigned seq)
{
    size_t n = forger_put_cmd(b, ENET_PROTOCOL_COMMAND_SEND_FRAGMENT, PROTO_CHANNEL_CONTROL, seq);
    n += forger_put16(b + n, seq);               /* startSequenceNumber */
    n += forger_put16(b + n, 1);                 /* dataLength */
    n += forger_put32(b + n, 1u << 20);          /* fragmentCount */
    n += forger_put32(b + n, 0);                 /* fragmentNumber */
    n += forger_put32(b + n, 1);                 /* totalLength */
    n += forger_put32(b + n, 0);                 /* fragmentOffset */
    b[n++] = 'x';
    return n;
}

static size_t put_empty(uint8_t *b, unsigned seq)
{
    size_t n = forger_put_cmd(b, ENET_PROTOCOL_COMMAND_SEND_RELIABLE, PROTO_CHANNEL_CONTROL, seq);
    return n + forger_put16(b + n, 0);
}

static void send_batches(struct forger *f, unsigned first, unsigned count, unsigned per,
                         size_t (*put)(uint8_t *, unsigned))
{
    uint8_t b[1400];
    for (unsigned i = 0; i < count; i += per) {
        size_t n = forger_header(f, b, true);
        for (unsigned j = i; j < count && j < i + per; j++)
            n += put(b + n, first + j);
        forger_send(f, b, n);
        if ((i / per) % 8 == 7)
            forger_service(f, 2, NULL); /* let the kernel buffers drain */
    }
    forger_service(f, 300, NULL);
}

static void fragment_bomb(void **state)
{
    (void)state;
    struct spawn_proc relay;
    struct forger f;
    forger_start_relay(&relay, &f);
    long rss0 = harness_usage(&relay).rss_kb;
    long long refused0 = harness_relay_stat(&relay, "drops.enet_guard");
    send_batches(&f, 1000, BOMBS, BOMBS_PER_DGRAM, put_bomb);
    long long refused1 = harness_relay_stat(&relay, "drops.enet_guard");
    long rss1 = harness_usage(&relay).rss_kb;
    long long held0 = harness_relay_stat(&relay, "drops.held_commands");
    send_batches(&f, 3000, EMPTIES, EMPTIES_PER_DGRAM, put_empty);
    long long held1 = harness_relay_stat(&relay, "drops.held_commands");
    long long clients = harness_relay_stat(&relay, "clients");
    print_message("fragment bomb: %d forged fragments of 2^20-fragment packets: relay RSS "
                  "%ld -> %ld KiB, drops.enet_guard +%lld; %d zero-length reliable ahead "
                  "of the window: drops.held_commands +%lld\n",
                  BOMBS, rss0, rss1, refused1 - refused0, EMPTIES, held1 - held0);
    forger_close(&f);
    harness_stop(&relay);
    assert_true(rss1 - rss0 < 16 * 1024); /* unguarded: +125 MiB of bitmaps */
    assert_int_equal(refused1 - refused0, (BOMBS + BOMBS_PER_DGRAM - 1) / BOMBS_PER_DGRAM);
    /* empty commands held count like any other: 1024 / 100, the eleventh
     * datagram is the first past --max-held-commands */
    assert_int_equal(held1 - held0, (EMPTIES + EMPTIES_PER_DGRAM - 1) / EMPTIES_PER_DGRAM - 10);
    assert_int_equal(clients, 1); /* the forger is refused, not the relay */
}


/* ---- commands held out of order --------------------------------------- */

#define HELD 60000           /* one-byte unreliable commands ahead of a missing reliable one */
#define HELD_PER_DGRAM 150

/* Unreliable command on the state channel carrying reliable sequence 1
 * (never sent): ENet holds it until reliable 1 arrives, at ~200 bytes for
 * 1 byte counted against --max-waiting-data. */
static size_t put_held(uint8_t *b, unsigned seq)
{
    b[0] = ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE; /* no acknowledgement asked */
    b[1] = PROTO_CHANNEL_STATE;
    size_t n = 2 + forger_put16(b + 2, 1);      /* reliableSequenceNumber: ahead */
    n += forger_put16(b + n, seq & 0xffff);     /* unreliableSequenceNumber */
    n += forger_put16(b + n, 1);                /* dataLength */
    b[n++] = 'h';
    return n;
}

/* 60,000 held one-byte commands (540 KB sent) took the relay's RSS up by
 * 12 MB (release build) while counting 60 KB against --max-waiting-data;
 * with --max-held-commands (default 1024) the datagrams past it are
 * refused and counted, and the peer stays connected. */
static void held_commands_refused_and_counted(void **state)
{
    (void)state;
    struct spawn_proc relay;
    struct forger f;
    forger_start_relay(&relay, &f);
    long rss0 = harness_usage(&relay).rss_kb;
    long long held0 = harness_relay_stat(&relay, "drops.held_commands");
    send_batches(&f, 1, HELD, HELD_PER_DGRAM, put_held);
    long long held1 = harness_relay_stat(&relay, "drops.held_commands");
    long rss1 = harness_usage(&relay).rss_kb;
    long long clients = harness_relay_stat(&relay, "clients");
    print_message("held commands: %d one-byte commands held out of order (%d a datagram): "
                  "relay RSS %ld -> %ld KiB (+%ld); drops.held_commands +%lld of %d "
                  "datagrams\n",
                  HELD, HELD_PER_DGRAM, rss0, rss1, rss1 - rss0, held1 - held0,
                  (HELD + HELD_PER_DGRAM - 1) / HELD_PER_DGRAM);
    forger_close(&f);
    harness_stop(&relay);
    assert_true(rss1 - rss0 < 3 * 1024); /* unguarded: +12 MB release, more with ASan */
    /* 1024 / 150: the seventh datagram is the first past the bound */
    assert_int_equal(held1 - held0, (HELD + HELD_PER_DGRAM - 1) / HELD_PER_DGRAM - 6);
    assert_int_equal(clients, 1);
}

/* ---- handshake flood -------------------------------------------------- */

/* An honest client tries to connect and join until it does (*in) or max_ms
 * passed, its first try from 127.0.0.1:from_port (0: any); returns how
 * long that took, ms. */
static uint64_t honest_lockout_ms(uint16_t from_port, uint16_t port, uint64_t max_ms, bool *in)
{
    uint64_t t0 = clock_now_ms();
    struct forger f;
    *in = false;
    while (!*in && clock_now_ms() - t0 < max_ms) {
        *in = forger_try_join(&f, from_port, port, "g", "ghost0", 0);
        from_port = 0;
        if (!*in)
            enet_host_destroy(f.host);
    }
    uint64_t ms = clock_now_ms() - t0;
    if (*in)
        forger_close(&f);
    return ms;
}

#define FLOOD_SLOTS (8 + 32) /* --max-clients + RELAY_SPARE_PEERS: every ENet slot */

/* Sends CONNECTs from 127.0.0.2..41 that never complete (the host is
 * destroyed right after sending), one for every ENet slot of a
 * --max-clients 8 relay, then measures how long an honest client is locked
 * out. ENet alone keeps a half-open peer for its 30 s default timeout; the
 * relay forgets it after 5 s, and takes at most 10 (a quarter of its 40
 * slots) at once: the rest are refused, and once the oldest is 250 ms old
 * it gives way to the newcomer. The honest client's port is the first
 * flooder's, which the relay still sends VERIFY_CONNECT to: what an
 * ephemeral port may hand out again. */
static void handshake_flood(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--max-clients", "8", "--max-per-address", "0", "--log-level",
                           "warn", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    ENetAddress to = { .port = (uint16_t)port };
    enet_address_set_host(&to, "127.0.0.1");
    uint16_t first_port = 0;
    for (int i = 0; i < FLOOD_SLOTS; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.0.0.%d", 2 + i);
        ENetAddress from = { .port = 0 };
        enet_address_set_host(&from, ip);
        ENetHost *h = enet_host_create(&from, 1, PROTO_CHANNEL_COUNT, 0, 0);
        assert_non_null(h);
        if (i == 0)
            first_port = h->address.port; /* the port bound */
        assert_non_null(enet_host_connect(h, &to, PROTO_CHANNEL_COUNT, 0));
        enet_host_flush(h);
        enet_host_destroy(h);
    }
    clock_sleep_ms(200);
    bool in;
    uint64_t locked_ms = honest_lockout_ms(first_port, (uint16_t)port, 10000, &in);
    long long half_open = harness_relay_stat(&relay, "drops.half_open");
    print_message("handshake flood: %d half-open CONNECTs filled every slot; an honest "
                  "client %s after %llu ms; drops.half_open %lld\n",
                  FLOOD_SLOTS, in ? "got in" : "was still locked out",
                  (unsigned long long)locked_ms, half_open);
    harness_stop(&relay);
    assert_true(in);
    assert_true(locked_ms < 2000); /* 5 s before --max-half-open */
    assert_true(half_open >= FLOOD_SLOTS - FLOOD_SLOTS / 4); /* refused past the cap */
}

/* ---- a sustained flood from many addresses ---------------------------- */

#define SFLOOD_ADDRS 70
#define SFLOOD_RATE 1000      /* CONNECTs a second, round robin over the addresses */
#define SFLOOD_MS 5000
#define SFLOOD_TAIL_MS 6000   /* the flooder listens on: ENet resends VERIFY_CONNECT */
#define SFLOOD_HONEST_AT_MS 1500

struct flood_totals {
    unsigned long long connects, bytes_sent, bytes_received;
};

static void flood_drain(const ENetSocket *socks, struct flood_totals *tot)
{
    uint8_t b[1500];
    for (int i = 0; i < SFLOOD_ADDRS; i++) {
        ENetBuffer buf = { .data = b, .dataLength = sizeof b };
        ENetAddress from;
        int n;
        while ((n = enet_socket_receive(socks[i], &from, &buf, 1)) > 0)
            tot->bytes_received += (unsigned long long)n;
    }
}

/* The flooder (a child process): SFLOOD_RATE CONNECTs a second for
 * SFLOOD_MS from 127.0.0.2.., each with a new connectID, then listens for
 * SFLOOD_TAIL_MS more; counts what it sent and what came back. */
static struct flood_totals flood_run(uint16_t port)
{
    struct flood_totals tot = { 0 };
    ENetSocket socks[SFLOOD_ADDRS];
    ENetAddress to = { .port = port };
    enet_address_set_host(&to, "127.0.0.1");
    for (int i = 0; i < SFLOOD_ADDRS; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.0.0.%d", 2 + i);
        ENetAddress from = { .port = 0 };
        enet_address_set_host(&from, ip);
        socks[i] = enet_socket_create(ENET_SOCKET_TYPE_DATAGRAM);
        if (socks[i] == ENET_SOCKET_NULL || enet_socket_bind(socks[i], &from) != 0)
            _exit(2);
        enet_socket_set_option(socks[i], ENET_SOCKOPT_NONBLOCK, 1);
    }
    uint64_t start = clock_now_ms();
    for (uint64_t now = start; now - start < SFLOOD_MS + SFLOOD_TAIL_MS; now = clock_now_ms()) {
        while (now - start < SFLOOD_MS && tot.connects < (now - start + 1) * SFLOOD_RATE / 1000) {
            uint8_t b[64];
            size_t n = forger_put_connect(b, (uint32_t)(0x5eed0000u + tot.connects));
            ENetBuffer buf = { .data = b, .dataLength = n };
            if (enet_socket_send(socks[tot.connects % SFLOOD_ADDRS], &to, &buf, 1) == (int)n)
                tot.bytes_sent += n;
            tot.connects++;
        }
        flood_drain(socks, &tot);
        clock_sleep_ms(1);
    }
    for (int i = 0; i < SFLOOD_ADDRS; i++)
        enet_socket_destroy(socks[i]);
    return tot;
}

/* flood_run in harness_child_start's form. */
static void flood_child(uint16_t port, void *out)
{
    *(struct flood_totals *)out = flood_run(port);
}

/* While 70 addresses send 1,000 CONNECTs a second that never complete, an
 * honest client must get in within a second or two (without
 * --max-half-open the flood holds every slot for as long as it goes on and
 * 5 s after), and the relay must not send the flooder more bytes than it
 * received from it. */
static void sustained_flood(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--log-level", "error", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct harness_child flooder;
    harness_child_start(&flooder, flood_child, (uint16_t)port, sizeof(struct flood_totals));
    clock_sleep_ms(SFLOOD_HONEST_AT_MS);
    bool in;
    uint64_t locked_ms = honest_lockout_ms(0, (uint16_t)port, SFLOOD_MS + 6000, &in);
    struct flood_totals tot;
    harness_child_finish(&flooder, &tot, sizeof tot);
    long long half_open = harness_relay_stat(&relay, "drops.half_open");
    double amp = tot.bytes_sent ? (double)tot.bytes_received / (double)tot.bytes_sent : 0;
    print_message("sustained flood: %llu CONNECTs from %d addresses over %d ms (%llu bytes): "
                  "an honest client trying from %d ms %s after %llu ms; the relay sent the "
                  "flooder %llu bytes (%.2fx); drops.half_open %lld\n",
                  tot.connects, SFLOOD_ADDRS, SFLOOD_MS, tot.bytes_sent, SFLOOD_HONEST_AT_MS,
                  in ? "got in" : "was still locked out", (unsigned long long)locked_ms,
                  tot.bytes_received, amp, half_open);
    harness_stop(&relay);
    assert_true(in);
    assert_true(locked_ms < 2000);
    assert_true(amp <= 1.0);
}


/* ---- connected, never joined ------------------------------------------ */

#define SILENT_TAKEN 8          /* --max-clients */
#define SILENT_SLOTS (SILENT_TAKEN + 32) /* ... + RELAY_SPARE_PEERS */
#define SILENT_HOLD_MS 8000     /* how long the silent connections are kept */
#define SILENT_HONEST_AT_MS 1000

struct silent_totals {
    int connected, closed, closed_not_joined;
};

/* Services h: counts its connect, and a disconnect (and whether it said
 * not_joined); throws away what it receives. */
static void silent_service(ENetHost *h, struct silent_totals *tot)
{
    ENetEvent ev;
    while (enet_host_service(h, &ev, 0) > 0) {
        if (ev.type == ENET_EVENT_TYPE_CONNECT)
            tot->connected++;
        if (ev.type == ENET_EVENT_TYPE_DISCONNECT) {
            tot->closed++;
            tot->closed_not_joined += ev.data == PROTO_ERROR_NOT_JOINED;
        }
        if (ev.type == ENET_EVENT_TYPE_RECEIVE)
            enet_packet_destroy(ev.packet);
    }
}

/* The silent connections (a child process): one from each of 127.0.0.2..,
 * each handshake completed before the next starts (under --max-half-open),
 * every ENet command acknowledged, no join, held until SILENT_HOLD_MS from
 * the start; counts the disconnects and those that said not_joined. The
 * relay takes 8 (--max-clients) and refuses the rest (server_full). */
static struct silent_totals silent_run(uint16_t port)
{
    struct silent_totals tot = { 0 };
    ENetHost *h[SILENT_SLOTS];
    ENetAddress to = { .port = port };
    enet_address_set_host(&to, "127.0.0.1");
    uint64_t end = clock_now_ms() + SILENT_HOLD_MS;
    for (int i = 0; i < SILENT_SLOTS; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.0.0.%d", 2 + i);
        ENetAddress from = { .port = 0 };
        enet_address_set_host(&from, ip);
        h[i] = enet_host_create(&from, 1, PROTO_CHANNEL_COUNT, 0, 0);
        if (!h[i] || !enet_host_connect(h[i], &to, PROTO_CHANNEL_COUNT, 0))
            _exit(2);
        for (uint64_t until = clock_now_ms() + 500; tot.connected <= i && clock_now_ms() < until;) {
            for (int j = 0; j <= i; j++)
                silent_service(h[j], &tot);
            clock_sleep_ms(1);
        }
    }
    /* held to the end, and on a busy machine a little past it for the
     * last slots' not_joined still on their way */
    while (clock_now_ms() < end ||
           (tot.closed_not_joined < SILENT_TAKEN && clock_now_ms() < end + 5000)) {
        for (int i = 0; i < SILENT_SLOTS; i++)
            silent_service(h[i], &tot);
        clock_sleep_ms(5);
    }
    for (int i = 0; i < SILENT_SLOTS; i++)
        enet_host_destroy(h[i]);
    return tot;
}

/* silent_run in harness_child_start's form. */
static void silent_child(uint16_t port, void *out)
{
    *(struct silent_totals *)out = silent_run(port);
}

/* One honest try: connect and join; false as soon as the relay refuses
 * (a disconnect) or after 3 s. */
static bool honest_try(uint16_t port)
{
    struct raw_enet re;
    if (raw_enet_open_within(&re, port, PROTO_CHANNEL_COUNT, 3000) == 0) {
        char join[128];
        int n = snprintf(join, sizeof join, "{\"type\":\"join\",\"version\":%d,\"room\":\"h\","
                         "\"name\":\"honest\"}", PROTO_VERSION);
        raw_enet_send(&re, PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE, join, (size_t)n);
        for (uint64_t end = clock_now_ms() + 3000;
             re.id == 0 && !re.disconnected && clock_now_ms() < end;)
            raw_enet_service(&re, 10, 0, NULL, NULL, NULL);
    }
    bool in = re.id != 0;
    raw_enet_close(&re);
    return in;
}

/* Every ENet slot held by connections that completed their handshake and
 * never join (from 40 addresses, each acknowledging all the relay sends):
 * with --join-timeout-ms they are closed (not_joined) and an honest client
 * gets in while they are still held; without it, not before they go. */
static void silent_connections(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--max-clients", "8", "--log-level", "error", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct harness_child holder;
    harness_child_start(&holder, silent_child, (uint16_t)port, sizeof(struct silent_totals));
    clock_sleep_ms(SILENT_HONEST_AT_MS);
    uint64_t t0 = clock_now_ms();
    bool in = false;
    while (!in && clock_now_ms() - t0 < 20000)
        in = honest_try((uint16_t)port);
    uint64_t locked_ms = clock_now_ms() - t0;
    struct silent_totals tot;
    harness_child_finish(&holder, &tot, sizeof tot);
    long long timeouts = harness_relay_stat(&relay, "drops.join_timeout");
    print_message("silent connections: %d held for %d ms (%d completed a handshake, %d closed, "
                  "%d of them not_joined); an honest client trying from %d ms %s after "
                  "%llu ms; drops.join_timeout %lld\n",
                  SILENT_SLOTS, SILENT_HOLD_MS, tot.connected, tot.closed,
                  tot.closed_not_joined, SILENT_HONEST_AT_MS, in ? "got in" : "was locked out",
                  (unsigned long long)locked_ms, timeouts);
    harness_stop(&relay);
    assert_true(in);
    assert_true(locked_ms < SILENT_HOLD_MS - SILENT_HONEST_AT_MS); /* while still held */
    assert_int_equal(tot.closed_not_joined, SILENT_TAKEN);
    assert_int_equal(timeouts, SILENT_TAKEN);
}

/* ---- slow readers ----------------------------------------------------- */

#define SLOW_READERS 16
#define SENDERS 4           /* the last one sends unsequenced, the others reliable */
#define READER SENDERS      /* the swarm's client after the senders: an honest reader */
#define SEND_HZ 100
#define STATE_BYTES 1200    /* PROTO_STATE_MAX: a state padded to the largest */
#define SLOW_ACK_MS 1000    /* a slow reader reads (and acknowledges) once a second */
#define SLOW_RUN_MS 8000
#define SLOW_TAIL_MS 3000   /* after the senders stop: the backlogs drain */
#define LAT_MAX (SENDERS * (SEND_HZ * SLOW_RUN_MS / 1000 + 1))

struct slow_run {
    struct swarm *sw;   /* the senders (SEND_HZ each) and the honest reader */
    struct forger slow[SLOW_READERS];
    size_t received, lat_n, told; /* told: slow readers that got slow_reader */
    size_t throttled;   /* errors throttled the senders got */
    uint64_t lat_us[LAT_MAX];
};

/* The swarm's events: the honest reader's states, with their latency from
 * the intended send time; the senders' errors throttled. */
static void slow_swarm_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct slow_run *s = ctx;
    if (i < READER && ev->type == RICOCHET_EV_ERROR && !strcmp(ev->code, "throttled"))
        s->throttled++;
    if (i != READER || ev->type != RICOCHET_EV_STATE)
        return;
    s->received++;
    if (s->lat_n < LAT_MAX)
        s->lat_us[s->lat_n++] = ev->recv_us - ev->state.send_us;
}

/* Services a slow reader without waiting; an error slow_reader is noted. */
static void slow_service(struct slow_run *s, struct forger *f)
{
    ENetEvent ev;
    while (enet_host_service(f->host, &ev, 0) > 0) {
        if (ev.type != ENET_EVENT_TYPE_RECEIVE)
            continue;
        if (ev.channelID == PROTO_CHANNEL_CONTROL &&
            memmem(ev.packet->data, ev.packet->dataLength, "\"slow_reader\"", 13))
            s->told++;
        enet_packet_destroy(ev.packet);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Runs the room for ms: the swarm's senders at SEND_HZ (if sending) and
 * its clients serviced as they need, the slow readers every SLOW_ACK_MS.
 * Returns the relay's largest RSS seen, KiB. */
static long slow_loop(struct slow_run *s, const struct spawn_proc *relay, uint64_t ms,
                      bool sending)
{
    uint64_t now = clock_now_us(), end = now + ms * 1000u, next_slow = now, next_rss = now;
    long rss_max = 0;
    if (sending)
        swarm_schedule(s->sw, now);
    for (; now < end; now = clock_now_us()) {
        if (sending)
            swarm_step(s->sw, end);
        else
            swarm_service(s->sw, 1000);
        if (now >= next_slow) {
            for (int i = 0; i < SLOW_READERS; i++)
                slow_service(s, &s->slow[i]);
            next_slow += SLOW_ACK_MS * 1000u;
        }
        if (now >= next_rss) {
            long kib = harness_usage(relay).rss_kb;
            rss_max = kib > rss_max ? kib : rss_max;
            next_rss += 250000;
        }
    }
    return rss_max;
}

/* The senders and the honest reader: clients of a swarm, in room "s". */
static void slow_swarm(struct slow_run *s, uint16_t port)
{
    struct swarm_config cfg = {.host = "127.0.0.1", .port = port, .payload = STATE_BYTES};
    struct swarm_hooks hooks = {.ctx = s, .event = slow_swarm_event};
    char err[256], name[32];
    s->sw = swarm_create(&cfg, &hooks, err, sizeof err);
    assert_non_null(s->sw);
    for (int i = 0; i <= READER; i++) {
        if (i == READER)
            snprintf(name, sizeof name, "reader");
        else
            snprintf(name, sizeof name, "sender%d", i);
        enum proto_mode mode = i < SENDERS - 1 ? PROTO_MODE_RELIABLE : PROTO_MODE_UNSEQUENCED;
        struct ricochet *c = harness_client(port, "s", name, mode, false);
        assert_int_equal(swarm_adopt(s->sw, c, name, i == READER ? 0 : SEND_HZ, err,
                                     sizeof err), 0);
    }
    assert_int_equal(swarm_wait_ready(s->sw, false, clock_now_us() + 10000000, NULL, err,
                                      sizeof err), 0);
}

/* Sixteen readers that acknowledge once a second with a small window, in a
 * room where three members send reliable states (and one unsequenced) at
 * 100 Hz, 360 kB/s of reliable states to each: ENet alone queues to them
 * without bound (the relay's memory grows by megabytes a second, and it
 * walks those queues on every service). Past half of --max-queued-bytes
 * the relay holds back the reliable states of the address holding most of
 * each reader's backlog (on loopback each sender is its own: throttled
 * in turn, each told), so the readers, which do take what they are sent, are not
 * closed (no one within the limits gets another closed), the relay's
 * memory stays bounded, and an honest reader gets every state. Run
 * without the byte budget, which would otherwise drop these senders'
 * 2.4 MB/s; and without ASan's quarantine, so the relay's RSS follows
 * what it holds. */
static void slow_readers(void **state)
{
    (void)state;
    struct slow_run *s = calloc(1, sizeof *s);
    assert_non_null(s);
    struct spawn_proc relay;
    const char *args[] = { "--max-per-address", "0", "--byte-limit", "0", "--log-level",
                           "error", NULL };
    const char *asan = getenv("ASAN_OPTIONS");
    char *saved = asan ? strdup(asan) : NULL;
    char opts[512];
    snprintf(opts, sizeof opts, "%s%squarantine_size_mb=0", asan ? asan : "", asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    int port = harness_start_relay(&relay, args);
    if (saved)
        setenv("ASAN_OPTIONS", saved, 1);
    else
        unsetenv("ASAN_OPTIONS");
    free(saved);
    assert_true(port > 0);
    slow_swarm(s, (uint16_t)port);
    char name[32];
    for (int i = 0; i < SLOW_READERS; i++) {
        snprintf(name, sizeof name, "slow%d", i);
        assert_true(forger_try_join(&s->slow[i], 0, (uint16_t)port, "s", name, 1));
    }
    slow_loop(s, &relay, 300, false); /* the joins settle */
    long rss0 = harness_usage(&relay).rss_kb;
    double cpu0 = harness_usage(&relay).cpu_s;
    long rss_max = slow_loop(s, &relay, SLOW_RUN_MS, true);
    long long cpu = (long long)((harness_usage(&relay).cpu_s - cpu0) * 1000);
    long rss_tail = slow_loop(s, &relay, SLOW_TAIL_MS, false);
    rss_max = rss_tail > rss_max ? rss_tail : rss_max;
    long long throttled = harness_relay_stat(&relay, "drops.throttled");
    long long kicks = harness_relay_stat(&relay, "kicks");
    qsort(s->lat_us, s->lat_n, sizeof *s->lat_us, cmp_u64);
    uint64_t p99 = s->lat_n ? s->lat_us[s->lat_n * 99 / 100] : 0;
    size_t sent = (size_t)swarm_stats(s->sw)->sent; /* the reader sends none */
    /* The reader gets every sender's states but not its own: all of them. */
    print_message("slow readers: %d readers acking every %d ms, %d senders x %d Hz x %d B for "
                  "%d ms: relay RSS %ld -> max %ld KiB (+%ld); drops.throttled %lld, senders "
                  "told throttled %zu, kicks %lld, told slow_reader %zu; relay CPU %.0f%% while "
                  "sending; honest reader got %zu of %zu states (%.1f%%), p99 %.1f ms\n",
                  SLOW_READERS, SLOW_ACK_MS, SENDERS, SEND_HZ, STATE_BYTES, SLOW_RUN_MS, rss0,
                  rss_max, rss_max - rss0, throttled, s->throttled, kicks, s->told,
                  100.0 * (double)cpu / SLOW_RUN_MS, s->received, sent,
                  sent ? 100.0 * (double)s->received / (double)sent : 0.0,
                  (double)p99 / 1000.0);
    swarm_destroy(s->sw);
    for (int i = 0; i < SLOW_READERS; i++)
        enet_host_destroy(s->slow[i].host);
    harness_stop(&relay);
    size_t received = s->received, told = s->told, senders_told = s->throttled;
    free(s);
    assert_true(rss_max - rss0 < 6 * 1024);
    assert_int_equal(kicks, 0);
    assert_int_equal(told, 0);
    assert_true(throttled > 0);
    assert_true(senders_told >= 1);
    assert_true(received * 100 >= sent * 99);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ghost_peers),
        cmocka_unit_test(fragment_bomb),
        cmocka_unit_test(held_commands_refused_and_counted),
        cmocka_unit_test(handshake_flood),
        cmocka_unit_test(sustained_flood),
        cmocka_unit_test(silent_connections),
        cmocka_unit_test(slow_readers),
    };
    /* TEST_FILTER="*silent*" runs one of them (a measurement) */
    return session_run_tests("test_e2e_enet_guards", tests, sizeof tests / sizeof tests[0]);
}
