/* test_enet_guards.c: datagrams in ENet's wire format that Debian's ENet
 * 1.3.17 mishandles, forged on 127.0.0.1 against the real relay (issue 8):
 *   - ghost peers: DISCONNECT with the acknowledge flag in a datagram
 *     without a sent time leaves the peer in ACKNOWLEDGING_DISCONNECT
 *     forever (no ack queued, so no timeout, no DISCONNECT event);
 *   - fragment bomb: fragmentCount 2^20 with totalLength 1 allocates a
 *     128 KiB bitmap and counts 1 byte against --max-waiting-data;
 *   - zero-length reliable commands ahead of the window, held at 0 bytes.
 * The relay must forget ghosts within its timeout, keep its RSS bounded
 * and count each refused datagram (drops.enet_guard). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <enet/enet.h>

#include "../proto/clock.h"
#include "../proto/control.h"
#include "../proto/wire.h"
#include "harness.h"

/* ---- the relay's stats and memory ------------------------------------ */

static long long stat_now(struct spawn_proc *relay, const char *path)
{
    char *text = spawn_read_stdout(relay);
    size_t before = 0;
    for (const char *p = text; p && (p = strstr(p, "\"type\":\"stats\"")); p++)
        before++;
    free(text);
    kill(relay->pid, SIGUSR1);
    for (uint64_t end = clock_now_ms() + 5000; clock_now_ms() < end; clock_sleep_ms(10)) {
        text = spawn_read_stdout(relay);
        size_t n = 0;
        for (const char *p = text; p && (p = strstr(p, "\"type\":\"stats\"")); p++)
            n++;
        if (n > before) {
            long long v = harness_stats_field(text, false, path);
            free(text);
            return v;
        }
        free(text);
    }
    fail_msg("no stats line within 5 s of SIGUSR1");
    return -1;
}

/* Resident set of a process, KiB (VmRSS in /proc/pid/status). */
static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static void stop_relay(struct spawn_proc *relay)
{
    assert_int_equal(spawn_stop(relay, SIGTERM, 10000), 0);
    spawn_free(relay);
}

/* ---- a joined ENet peer whose raw socket we borrow -------------------- */

struct forger {
    ENetHost *host;
    ENetPeer *peer;
};

static void forger_service(struct forger *f, int ms, bool *welcomed)
{
    ENetEvent ev;
    for (uint64_t end = clock_now_ms() + (uint64_t)ms; clock_now_ms() < end;)
        while (enet_host_service(f->host, &ev, 5) > 0)
            if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
                if (welcomed && ev.channelID == PROTO_CHANNEL_CONTROL &&
                    memmem(ev.packet->data, ev.packet->dataLength, "\"welcome\"", 9))
                    *welcomed = true;
                enet_packet_destroy(ev.packet);
            }
}

/* Connects and joins room "g". Returns whether the welcome came. */
static bool forger_try_open(struct forger *f, uint16_t port, int i)
{
    f->host = enet_host_create(NULL, 1, PROTO_CHANNEL_COUNT, 0, 0);
    assert_non_null(f->host);
    ENetAddress a = { .port = port };
    enet_address_set_host(&a, "127.0.0.1");
    f->peer = enet_host_connect(f->host, &a, PROTO_CHANNEL_COUNT, 0);
    assert_non_null(f->peer);
    ENetEvent ev;
    uint64_t end = clock_now_ms() + 5000;
    while (f->peer->state != ENET_PEER_STATE_CONNECTED && clock_now_ms() < end)
        enet_host_service(f->host, &ev, 10);
    if (f->peer->state != ENET_PEER_STATE_CONNECTED)
        return false;
    char join[128];
    int n = snprintf(join, sizeof join,
                     "{\"type\":\"join\",\"room\":\"g\",\"name\":\"ghost%d\",\"version\":%d}", i,
                     PROTO_VERSION);
    ENetPacket *pk = enet_packet_create(join, (size_t)n, ENET_PACKET_FLAG_RELIABLE);
    assert_int_equal(enet_peer_send(f->peer, PROTO_CHANNEL_CONTROL, pk), 0);
    bool welcomed = false;
    for (end = clock_now_ms() + 5000; !welcomed && clock_now_ms() < end;)
        forger_service(f, 20, &welcomed);
    return welcomed;
}

static void forger_open(struct forger *f, uint16_t port, int i)
{
    assert_true(forger_try_open(f, port, i));
}

/* Writes the 2-byte peer header (our id at the relay, session, flags) and,
 * with sent_time, the 2-byte sent time. Returns its length. */
static size_t forge_header(const struct forger *f, uint8_t *b, bool sent_time)
{
    unsigned h = f->peer->outgoingPeerID |
                 (unsigned)f->peer->outgoingSessionID << ENET_PROTOCOL_HEADER_SESSION_SHIFT |
                 (sent_time ? ENET_PROTOCOL_HEADER_FLAG_SENT_TIME : 0);
    b[0] = (uint8_t)(h >> 8);
    b[1] = (uint8_t)h;
    if (!sent_time)
        return 2;
    b[2] = 0x12;
    b[3] = 0x34;
    return 4;
}

static void forge_send(const struct forger *f, const uint8_t *b, size_t len)
{
    ENetBuffer buf = { .data = (void *)b, .dataLength = len };
    assert_int_equal(enet_socket_send(f->host->socket, &f->peer->address, &buf, 1), (int)len);
}

/* Appends one command header (number, flags, channel, reliable sequence). */
static size_t put_cmd(uint8_t *b, unsigned cmd, unsigned channel, unsigned seq)
{
    b[0] = (uint8_t)(cmd | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE);
    b[1] = (uint8_t)channel;
    b[2] = (uint8_t)(seq >> 8);
    b[3] = (uint8_t)seq;
    return 4;
}

static size_t put16(uint8_t *b, unsigned v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
    return 2;
}

static size_t put32(uint8_t *b, uint32_t v)
{
    put16(b, v >> 16);
    return 2 + put16(b + 2, v & 0xffff);
}

/* ---- ghost peers ------------------------------------------------------ */

#define GHOSTS 4
#define GHOST_TIMEOUT_MS 1500

/* Every slot goes to a joined peer that then forges the ghost datagram and
 * vanishes. Within a few timeouts the relay must have forgotten them all:
 * no client, no member, and a new client gets in. */
static void test_ghost_peers(void **state)
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
        size_t n = forge_header(&f, b, false);
        n += put_cmd(b + n, ENET_PROTOCOL_COMMAND_DISCONNECT, 0xff, 100);
        n += put32(b + n, 0);
        forge_send(&f, b, n);
        enet_host_destroy(f.host); /* gone without a word */
    }
    long long members0 = stat_now(&relay, "members");
    clock_sleep_ms(3 * GHOST_TIMEOUT_MS);
    long long clients = stat_now(&relay, "clients");
    long long members = stat_now(&relay, "members");
    long long refused = stat_now(&relay, "drops.enet_guard");
    struct forger late;
    bool late_in = forger_try_open(&late, (uint16_t)port, 99);
    enet_peer_disconnect_now(late.peer, 0);
    enet_host_destroy(late.host);
    print_message("ghost peers: %d forged, members right after %lld, after %d ms: "
                  "clients %lld, members %lld, drops.enet_guard %lld; a new client %s\n",
                  GHOSTS, members0, 3 * GHOST_TIMEOUT_MS, clients, members, refused,
                  late_in ? "got in" : "was locked out");
    stop_relay(&relay);
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
    size_t n = put_cmd(b, ENET_PROTOCOL_COMMAND_SEND_FRAGMENT, PROTO_CHANNEL_CONTROL, seq);
    n += put16(b + n, seq);               /* startSequenceNumber */
    n += put16(b + n, 1);                 /* dataLength */
    n += put32(b + n, 1u << 20);          /* fragmentCount */
    n += put32(b + n, 0);                 /* fragmentNumber */
    n += put32(b + n, 1);                 /* totalLength */
    n += put32(b + n, 0);                 /* fragmentOffset */
    b[n++] = 'x';
    return n;
}

static size_t put_empty(uint8_t *b, unsigned seq)
{
    size_t n = put_cmd(b, ENET_PROTOCOL_COMMAND_SEND_RELIABLE, PROTO_CHANNEL_CONTROL, seq);
    return n + put16(b + n, 0);
}

static void send_batches(struct forger *f, unsigned first, unsigned count, unsigned per,
                         size_t (*put)(uint8_t *, unsigned))
{
    uint8_t b[1400];
    for (unsigned i = 0; i < count; i += per) {
        size_t n = forge_header(f, b, true);
        for (unsigned j = i; j < count && j < i + per; j++)
            n += put(b + n, first + j);
        forge_send(f, b, n);
        if ((i / per) % 8 == 7)
            forger_service(f, 2, NULL); /* let the kernel buffers drain */
    }
    forger_service(f, 300, NULL);
}

static void test_fragment_bomb(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--log-level", "warn", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct forger f;
    forger_open(&f, (uint16_t)port, 0);
    long rss0 = rss_kib(relay.pid);
    long long refused0 = stat_now(&relay, "drops.enet_guard");
    send_batches(&f, 1000, BOMBS, BOMBS_PER_DGRAM, put_bomb);
    long long refused1 = stat_now(&relay, "drops.enet_guard");
    long rss1 = rss_kib(relay.pid);
    send_batches(&f, 3000, EMPTIES, EMPTIES_PER_DGRAM, put_empty);
    long long refused2 = stat_now(&relay, "drops.enet_guard");
    long long clients = stat_now(&relay, "clients");
    print_message("fragment bomb: %d forged fragments of 2^20-fragment packets: relay RSS "
                  "%ld -> %ld KiB, drops.enet_guard +%lld; %d zero-length reliable: "
                  "drops.enet_guard +%lld\n",
                  BOMBS, rss0, rss1, refused1 - refused0, EMPTIES, refused2 - refused1);
    enet_peer_disconnect_now(f.peer, 0);
    enet_host_destroy(f.host);
    stop_relay(&relay);
    assert_true(rss1 - rss0 < 16 * 1024); /* unguarded: +125 MiB of bitmaps */
    assert_int_equal(refused1 - refused0, (BOMBS + BOMBS_PER_DGRAM - 1) / BOMBS_PER_DGRAM);
    assert_int_equal(refused2 - refused1, (EMPTIES + EMPTIES_PER_DGRAM - 1) / EMPTIES_PER_DGRAM);
    assert_int_equal(clients, 1); /* the forger is refused, not the relay */
}

/* ---- handshake flood -------------------------------------------------- */

#define FLOOD_SLOTS (8 + 32) /* --max-clients + RELAY_SPARE_PEERS: every ENet slot */

/* Fills every ENet slot of a --max-clients 8 relay with CONNECTs from 127.0.0.2..41
 * that never complete (the host is destroyed right after sending), then
 * measures how long an honest client is locked out. ENet alone keeps a
 * half-open peer for its 30 s default timeout; the relay forgets it after
 * 5 s. */
static void test_handshake_flood(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = { "--max-clients", "8", "--max-per-address", "0", "--log-level",
                           "warn", NULL };
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    ENetAddress to = { .port = (uint16_t)port };
    enet_address_set_host(&to, "127.0.0.1");
    for (int i = 0; i < FLOOD_SLOTS; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.0.0.%d", 2 + i);
        ENetAddress from = { .port = 0 };
        enet_address_set_host(&from, ip);
        ENetHost *h = enet_host_create(&from, 1, PROTO_CHANNEL_COUNT, 0, 0);
        assert_non_null(h);
        assert_non_null(enet_host_connect(h, &to, PROTO_CHANNEL_COUNT, 0));
        enet_host_flush(h);
        enet_host_destroy(h);
    }
    clock_sleep_ms(200);
    uint64_t t0 = clock_now_ms();
    struct forger f;
    bool in = false;
    while (!in && clock_now_ms() - t0 < 10000) {
        in = forger_try_open(&f, (uint16_t)port, 0);
        if (!in)
            enet_host_destroy(f.host);
    }
    uint64_t locked_ms = clock_now_ms() - t0;
    long long half_open = stat_now(&relay, "drops.half_open");
    if (in) {
        enet_peer_disconnect_now(f.peer, 0);
        enet_host_destroy(f.host);
    }
    print_message("handshake flood: %d half-open CONNECTs filled every slot; an honest "
                  "client %s after %llu ms; drops.half_open %lld\n",
                  FLOOD_SLOTS, in ? "got in" : "was still locked out",
                  (unsigned long long)locked_ms, half_open);
    stop_relay(&relay);
    assert_true(in);
    assert_int_equal(half_open, FLOOD_SLOTS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ghost_peers),
        cmocka_unit_test(test_fragment_bomb),
        cmocka_unit_test(test_handshake_flood),
    };
    assert_int_equal(enet_initialize(), 0);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    enet_deinitialize();
    return rc;
}
