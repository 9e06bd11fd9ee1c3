/* test_transport_enet.c: the ENet transport in process, on 127.0.0.1, driven by
 * raw ENet client hosts (no client library): a forwarded state keeps its
 * channel and flags and carries the sender's relay id; a polite disconnect
 * is reported as quit, a vanished peer as timeout, a member that only
 * listens is kept; a peer with too few
 * channels is refused and counted; a packet over ENet's maximumPacketSize
 * is counted as too_big (reliable: the peer is closed, since its channel
 * can never move on); hand-made and random datagrams from a connected
 * peer's own socket never crash the datagram inspection; shutdown's drain
 * ends as soon as no goodbye is in flight; with a tick, a state read after
 * its tick ended (the relay reads in batches) still goes out with that
 * tick, and the acknowledgement of a reliable state goes out in the same
 * datagram as the tick's states for its sender; held acknowledgements go
 * back to their connection ahead of newer ones, or are freed when it is
 * gone; a member that asked for batches gets a tick's states in one batch
 * packet a way, each sender's in order, ahead of a notice sent after them,
 * and no batch its MTU would fragment; a tick's datagrams to every member
 * leave in one system call (relay/enet/enet_socket.c). Every wait is
 * bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <enet/enet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sys/clock.h"
#include "../proto/control.h"
#include "../sys/log.h"
#include "../stats/rng.h"
#include "../proto/wire.h"
#include "../relay/enet/enet_internals.h"
#include "../relay/enet/enet_socket.h"
#include "../relay/core/relay.h"
#include "../relay/settings.h"
#include "../relay/transport.h"
#include "support/edge_turn.h"

#define WAIT_MS 3000
#define TIMEOUT_MS 600
#define MAX_EVENTS 64

struct got {
    uint8_t channel;
    uint32_t flags;
    size_t len;
    uint8_t data[PROTO_CONTROL_MAX];
};

struct cl {
    ENetHost *host;
    ENetPeer *peer;
    bool connected, disconnected;
    uint32_t disconnect_data; /* the DISCONNECT event's data: the relay's error code */
    struct got *ev; /* MAX_EVENTS received packets */
    size_t n;
};

static struct relay_enet *T;
static struct relay *R;
static ENetAddress relay_addr;
static struct proto_control *msg;

/* An ENet transport on 127.0.0.1 (8 peers, timeout_ms) and a relay core on
 * it (8 peers; max_clients unless 0), connectable at *addr. Returns the
 * relay core, or NULL (with *t NULL and a message on stderr if the transport
 * failed). */
static struct relay *relay_open(uint32_t timeout_ms, uint32_t max_clients, uint32_t tick_us,
                                struct relay_enet **t, ENetAddress *addr)
{
    char err[128];
    struct relay_net_config ncfg = {
        .bind = "127.0.0.1", .port = 0, .peer_cap = 8, .max_packet_size = 2048,
        .max_waiting_data = 1 << 20, .timeout_ms = timeout_ms,
    };
    *t = relay_enet_ops.create(&ncfg, err, sizeof err);
    if (!*t) {
        fprintf(stderr, "relay_enet_ops.create: %s\n", err);
        return NULL;
    }
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = 8;
    if (max_clients)
        cfg.max_clients = max_clients;
    cfg.tick_us = tick_us;
    struct relay_transport tp = relay_enet_ops.core(*t, 0);
    enet_address_set_host(addr, "127.0.0.1");
    addr->port = (enet_uint16)atoi(strrchr(relay_enet_ops.address(*t), ':') + 1);
    return relay_create(&cfg, &tp, 1);
}

static int setup(void **state)
{
    (void)state;
    log_threshold = LOG_OFF;
    R = relay_open(TIMEOUT_MS, 6, 0, &T, &relay_addr);
    if (!T)
        return -1;
    msg = calloc(1, sizeof *msg);
    return R && msg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    relay_destroy(R);
    relay_enet_ops.destroy(T);
    free(msg);
    return 0;
}

/* One round: the relay's loop iteration, then every client's. */
static void pump(struct cl *cs, size_t n)
{
    assert_true(edge_turn(&relay_enet_ops, T, R, 1) >= 0);
    for (size_t i = 0; i < n; i++) {
        struct cl *c = &cs[i];
        if (!c->host)
            continue;
        ENetEvent ev;
        while (enet_host_service(c->host, &ev, 0) > 0) {
            if (ev.type == ENET_EVENT_TYPE_CONNECT) {
                c->connected = true;
                enet_peer_throttle_configure(ev.peer, ENET_PEER_PACKET_THROTTLE_INTERVAL,
                                             ENET_PEER_PACKET_THROTTLE_SCALE, 0);
            } else if (ev.type == ENET_EVENT_TYPE_DISCONNECT) {
                c->disconnected = true;
                c->disconnect_data = ev.data;
            } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
                if (c->n < MAX_EVENTS && ev.packet->dataLength <= PROTO_CONTROL_MAX) {
                    struct got *g = &c->ev[c->n++];
                    g->channel = ev.channelID;
                    g->flags = ev.packet->flags &
                               (ENET_PACKET_FLAG_RELIABLE | ENET_PACKET_FLAG_UNSEQUENCED);
                    g->len = ev.packet->dataLength;
                    memcpy(g->data, ev.packet->data, g->len);
                }
                enet_packet_destroy(ev.packet);
            }
        }
    }
}

/* Pumps until the relay has no client left (up to ms); fails the test
 * otherwise. */
static void wait_no_clients(struct cl *cs, size_t n, int ms)
{
    uint64_t deadline = clock_now_us() + (uint64_t)ms * 1000;
    while (relay_clients(R) > 0 && clock_now_us() < deadline)
        pump(cs, n);
    assert_int_equal(relay_clients(R), 0);
}

static enet_uint32 cl_mtu; /* the MTU cl_open's next host offers; 0: ENet's */

static void cl_open(struct cl *c, size_t channels)
{
    memset(c, 0, sizeof *c);
    c->ev = calloc(MAX_EVENTS, sizeof *c->ev);
    assert_non_null(c->ev);
    c->host = enet_host_create(NULL, 1, PROTO_CHANNEL_COUNT, 0, 0);
    assert_non_null(c->host);
    if (cl_mtu) /* a peer takes its host's MTU when reset, as at the host's creation */
        c->host->mtu = c->host->peers[0].mtu = cl_mtu;
    c->peer = enet_host_connect(c->host, &relay_addr, channels, PROTO_ENET_ECHOES_COOKIES);
    assert_non_null(c->peer);
}

static void cl_close(struct cl *c)
{
    if (c->host)
        enet_host_destroy(c->host);
    free(c->ev);
    memset(c, 0, sizeof *c);
}

/* Index of the first control message of type received by c, from index
 * `from`, decoded into msg; -1 if none. */
static int find_ctl(const struct cl *c, size_t from, enum proto_ctl_type type)
{
    for (size_t i = from; i < c->n; i++)
        if (c->ev[i].channel == PROTO_CHANNEL_CONTROL &&
            proto_control_decode((const char *)c->ev[i].data, c->ev[i].len, msg, NULL, 0) ==
                PROTO_OK &&
            msg->type == type)
            return (int)i;
    return -1;
}

static int wait_ctl(struct cl *cs, size_t n, size_t who, enum proto_ctl_type type, int ms)
{
    uint64_t deadline = clock_now_us() + (uint64_t)ms * 1000;
    int k;
    while ((k = find_ctl(&cs[who], 0, type)) < 0 && clock_now_us() < deadline)
        pump(cs, n);
    return k;
}

static void send_on(struct cl *c, uint8_t channel, uint32_t flags, const void *data,
                    size_t len)
{
    ENetPacket *pk = enet_packet_create(data, len, flags);
    assert_non_null(pk);
    assert_int_equal(enet_peer_send(c->peer, channel, pk), 0);
}

/* Shows the relay that cs[who] (connected) receives at its address: asks
 * for a cookie and echoes it (PROTOCOL.md, return routability). */
static void prove(struct cl *cs, size_t n, size_t who)
{
    static const char ask[] = "{\"type\":\"cookie\",\"cookie\":\"0000000000000000\","
                              "\"pad\":\"..........................\"}";
    send_on(&cs[who], PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE, ask, strlen(ask));
    int k = wait_ctl(cs, n, who, PROTO_CTL_COOKIE, WAIT_MS);
    assert_true(k >= 0);
    char echo[64];
    snprintf(echo, sizeof echo, "{\"type\":\"cookie\",\"cookie\":\"%s\"}", msg->cookie);
    send_on(&cs[who], PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE, echo, strlen(echo));
    cs[who].n = 0; /* the cookie is no message of the session's */
}

/* Connects cs[who] and joins it to "lobby" as name, asking for batches if
 * batch; returns its relay id. */
static uint32_t join_as(struct cl *cs, size_t n, size_t who, const char *name, bool batch)
{
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (!cs[who].connected && clock_now_us() < deadline)
        pump(cs, n);
    assert_true(cs[who].connected);
    prove(cs, n, who);
    char json[160];
    snprintf(json, sizeof json,
             "{\"type\":\"join\",\"version\":2,\"room\":\"lobby\",\"name\":\"%s\"%s}", name,
             batch ? ",\"batch\":true" : "");
    send_on(&cs[who], PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE, json, strlen(json));
    assert_true(wait_ctl(cs, n, who, PROTO_CTL_WELCOME, WAIT_MS) >= 0);
    return msg->id;
}

static uint32_t connect_and_join(struct cl *cs, size_t n, size_t who, const char *name)
{
    return join_as(cs, n, who, name, false);
}

static void forwarding_keeps_channel_and_flags(void **state)
{
    (void)state;
    struct cl cs[3];
    for (int i = 0; i < 3; i++)
        cl_open(&cs[i], PROTO_CHANNEL_COUNT);
    uint32_t ida = connect_and_join(cs, 3, 0, "alice");
    uint32_t idb = connect_and_join(cs, 3, 1, "bob");
    uint32_t idc = connect_and_join(cs, 3, 2, "carol");
    assert_true(ida && idb && idc);

    uint8_t st[PROTO_STATE_SIZE];
    static const struct { uint8_t ch; uint32_t flags; } ways[] = {
        { PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNSEQUENCED },
        { PROTO_CHANNEL_RELIABLE, ENET_PACKET_FLAG_UNSEQUENCED }, /* sequenced */
        { PROTO_CHANNEL_RELIABLE, ENET_PACKET_FLAG_RELIABLE },
    };
    for (uint32_t w = 0; w < 3; w++) {
        struct proto_state s = { .sender = idb, .seq = 100 + w, .send_us = 1 };
        assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
        send_on(&cs[0], ways[w].ch, ways[w].flags, st, sizeof st);
    }
    /* Each of b and c gets all three, as sent, stamped with a's id. */
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    size_t got[3] = { 0 };
    while (clock_now_us() < deadline && (got[1] < 3 || got[2] < 3)) {
        pump(cs, 3);
        for (int i = 0; i < 3; i++) {
            got[i] = 0;
            for (size_t k = 0; k < cs[i].n; k++)
                got[i] += cs[i].ev[k].channel != PROTO_CHANNEL_CONTROL;
        }
    }
    assert_int_equal(got[1], 3);
    assert_int_equal(got[2], 3);
    for (int i = 1; i < 3; i++) {
        for (size_t k = 0; k < cs[i].n; k++) {
            const struct got *g = &cs[i].ev[k];
            if (g->channel == PROTO_CHANNEL_CONTROL)
                continue;
            struct proto_state s;
            assert_int_equal(proto_state_decode(g->data, g->len, &s), PROTO_OK);
            assert_int_equal(s.sender, ida);
            uint32_t w = s.seq - 100;
            assert_true(w < 3);
            assert_int_equal(g->channel, ways[w].ch);
            assert_int_equal(g->flags, ways[w].flags);
        }
    }
    pump(cs, 3);
    assert_int_equal(got[0], 0); /* never back to the sender */

    /* a disconnects politely: the others hear quit. */
    enet_peer_disconnect(cs[0].peer, 0);
    int k = wait_ctl(cs, 3, 1, PROTO_CTL_LEFT, WAIT_MS);
    assert_true(k >= 0);
    assert_int_equal(msg->id, ida);
    assert_int_equal(msg->reason, PROTO_LEFT_QUIT);

    /* c vanishes without a word: after the timeout, b hears timeout. */
    enet_peer_reset(cs[2].peer);
    cl_close(&cs[2]);
    uint64_t start = clock_now_us();
    deadline = start + (uint64_t)(TIMEOUT_MS + WAIT_MS) * 1000;
    bool seen = false;
    while (!seen && clock_now_us() < deadline) {
        pump(cs, 3);
        for (int j = k + 1; j >= 0 && (j = find_ctl(&cs[1], (size_t)j, PROTO_CTL_LEFT)) >= 0;
             j++)
            if (msg->id == idc) {
                seen = true;
                break;
            }
    }
    assert_true(seen);
    assert_int_equal(msg->reason, PROTO_LEFT_TIMEOUT);
    assert_true(clock_now_us() - start >= (uint64_t)TIMEOUT_MS * 1000 / 2);
    assert_int_equal(relay_stats(R)->timeouts, 1);
    assert_int_equal(relay_stats(R)->leaves, 1);

    enet_peer_disconnect(cs[1].peer, 0);
    wait_no_clients(cs, 3, WAIT_MS);
    assert_int_equal(relay_rooms(R), 0);
    for (int i = 0; i < 3; i++)
        cl_close(&cs[i]);
}

/* A member that sends nothing at all (its own ENet pings off) is not
 * expired: the relay's pings, one per half timeout without an
 * acknowledgement, have it acknowledge, and that is heard. */
static void listening_member_is_kept(void **state)
{
    (void)state;
    struct cl c;
    cl_open(&c, PROTO_CHANNEL_COUNT);
    assert_true(connect_and_join(&c, 1, 0, "listener") != 0);
    enet_peer_ping_interval(c.peer, 60000);
    uint64_t timeouts = relay_stats(R)->timeouts;
    uint64_t until = clock_now_us() + (uint64_t)TIMEOUT_MS * 3 * 1000;
    while (clock_now_us() < until)
        pump(&c, 1);
    assert_int_equal(relay_members(R), 1);
    assert_int_equal(relay_stats(R)->timeouts, timeouts);
    enet_peer_disconnect(c.peer, 0);
    wait_no_clients(&c, 1, WAIT_MS);
    cl_close(&c);
}

static void too_few_channels_refused(void **state)
{
    (void)state;
    uint64_t before = relay_stats(R)->drops[RELAY_DROP_BAD_CHANNELS];
    struct cl c;
    cl_open(&c, 1);
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (!c.disconnected && clock_now_us() < deadline)
        pump(&c, 1);
    assert_true(c.disconnected);
    assert_int_equal(relay_clients(R), 0);
    assert_int_equal(relay_stats(R)->drops[RELAY_DROP_BAD_CHANNELS], before + 1);
    cl_close(&c);
}

/* Polite disconnect of every open client; pumps until the relay has none. */
static void close_all(struct cl *cs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cs[i].host && cs[i].connected && !cs[i].disconnected)
            enet_peer_disconnect(cs[i].peer, 0);
    wait_no_clients(cs, n, WAIT_MS);
    for (size_t i = 0; i < n; i++)
        cl_close(&cs[i]);
}

static bool got_error(const struct cl *c, const char *code)
{
    for (int k = 0; (k = find_ctl(c, (size_t)k, PROTO_CTL_ERROR)) >= 0; k++)
        if (strcmp(msg->code, code) == 0)
            return true;
    return false;
}

#define BIG 100000 /* > 65536, the relay's ENet maximumPacketSize here */

/* A reliable packet ENet will never take: error too_big, then the relay
 * closes the peer (left kicked to the room), counted once for all its
 * fragments and their resends. Before the fix: silence, and the sender's
 * channel 0 stalled until it timed out. */
static void oversize_reliable_closes_peer(void **state)
{
    (void)state;
    struct cl cs[2];
    cl_open(&cs[0], PROTO_CHANNEL_COUNT);
    cl_open(&cs[1], PROTO_CHANNEL_COUNT);
    uint32_t ida = connect_and_join(cs, 2, 0, "alice");
    connect_and_join(cs, 2, 1, "bob");
    uint64_t too_big0 = relay_stats(R)->drops[RELAY_DROP_TOO_BIG];
    uint64_t kicks0 = relay_stats(R)->kicks;
    uint8_t *big = malloc(BIG);
    assert_non_null(big);
    memset(big, '{', BIG);
    send_on(&cs[0], PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE, big, BIG);
    free(big);
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (!cs[0].disconnected && clock_now_us() < deadline)
        pump(cs, 2);
    /* a little more: resent fragments must not be counted again */
    for (uint64_t end = clock_now_us() + 300000; clock_now_us() < end;)
        pump(cs, 2);
    assert_true(cs[0].disconnected);
    assert_true(got_error(&cs[0], "too_big"));
    assert_int_equal(relay_stats(R)->drops[RELAY_DROP_TOO_BIG], too_big0 + 1);
    assert_int_equal(relay_stats(R)->kicks, kicks0 + 1);
    int k = find_ctl(&cs[1], 0, PROTO_CTL_LEFT);
    assert_true(k >= 0);
    assert_int_equal(msg->id, ida);
    assert_int_equal(msg->reason, PROTO_LEFT_KICKED);
    assert_false(got_error(&cs[1], "too_big"));
    close_all(cs, 2);
}

/* An unreliable fragmented packet over the limit: counted once and
 * answered; nothing stalls, so the peer stays. */
static void oversize_unreliable_counted(void **state)
{
    (void)state;
    struct cl c;
    cl_open(&c, PROTO_CHANNEL_COUNT);
    connect_and_join(&c, 1, 0, "carol");
    uint64_t too_big0 = relay_stats(R)->drops[RELAY_DROP_TOO_BIG];
    uint8_t *big = calloc(1, BIG);
    assert_non_null(big);
    send_on(&c, PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT, big, BIG);
    free(big);
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (!got_error(&c, "too_big") && clock_now_us() < deadline)
        pump(&c, 1);
    for (uint64_t end = clock_now_us() + 200000; clock_now_us() < end;)
        pump(&c, 1);
    assert_true(got_error(&c, "too_big"));
    assert_int_equal(relay_stats(R)->drops[RELAY_DROP_TOO_BIG], too_big0 + 1);
    assert_false(c.disconnected);
    assert_int_equal(relay_members(R), 1);
    close_all(&c, 1);
}

/* ---- hand-made ENet datagrams ---------------------------------------- */

#define MAX_PACKET 65536
#define FRAG_SIZE sizeof(ENetProtocolSendFragment)

static size_t put_fragment(uint8_t *b, uint8_t command, uint8_t channel, uint16_t data_len,
                           uint32_t count, uint32_t number, uint32_t total)
{
    ENetProtocolSendFragment f;
    memset(&f, 0, sizeof f);
    f.header.command = command;
    f.header.channelID = channel;
    f.header.reliableSequenceNumber = ENET_HOST_TO_NET_16(1);
    f.startSequenceNumber = ENET_HOST_TO_NET_16(1);
    f.dataLength = ENET_HOST_TO_NET_16(data_len);
    f.fragmentCount = ENET_HOST_TO_NET_32(count);
    f.fragmentNumber = ENET_HOST_TO_NET_32(number);
    f.totalLength = ENET_HOST_TO_NET_32(total);
    f.fragmentOffset = ENET_HOST_TO_NET_32(number * 1000u);
    memcpy(b, &f, sizeof f);
    memset(b + sizeof f, 'x', data_len);
    return sizeof f + data_len;
}

#define RELIABLE_FRAGMENT \
    (ENET_PROTOCOL_COMMAND_SEND_FRAGMENT | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE)
#define UNRELIABLE_FRAGMENT ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT

/* Runs the inspection on an exact-size heap copy, so that any read past
 * len is an ASan error. */
static bool oversize_in(const uint8_t *b, size_t len, size_t extra, struct relay_enet_oversize *o)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, b, len);
    bool found = relay_enet_find_oversize(copy, len, extra, PROTO_CHANNEL_COUNT, MAX_PACKET, o);
    free(copy);
    return found;
}

static void find_oversize_cases(void **state)
{
    (void)state;
    uint8_t b[4096];
    struct relay_enet_oversize o;
    const uint8_t sent_time[4] = { 0x80, 0x05, 0x12, 0x34 }; /* peer 5, sent time */
    const uint8_t no_time[2] = { 0x00, 0x05 };
    size_t n;

    /* found: a reliable fragment of a 100000-byte packet */
    memcpy(b, sent_time, 4);
    n = 4 + put_fragment(b + 4, RELIABLE_FRAGMENT, 0, 1000, 100, 3, BIG);
    memset(&o, 0, sizeof o);
    assert_true(oversize_in(b, n, 0, &o));
    assert_true(o.reliable);
    assert_false(o.first);
    assert_int_equal(o.total, BIG);
    /* every prefix is cut inside the fragment: never found, never a bad read */
    for (size_t cut = 0; cut < n; cut++)
        assert_false(oversize_in(b, cut, 0, &o));
    /* with a checksum the commands start 4 bytes later */
    assert_false(oversize_in(b, n, 4, &o));
    memcpy(b, sent_time, 4);
    memset(b + 4, 0, 4);
    n = 8 + put_fragment(b + 8, RELIABLE_FRAGMENT, 0, 1000, 100, 0, BIG);
    assert_true(oversize_in(b, n, 4, &o));
    assert_true(o.first);
    /* exactly the limit is fine */
    memcpy(b, sent_time, 4);
    n = 4 + put_fragment(b + 4, RELIABLE_FRAGMENT, 0, 1000, 66, 0, MAX_PACKET);
    assert_false(oversize_in(b, n, 0, &o));

    /* found after other commands: an acknowledgement, an unreliable send */
    memcpy(b, sent_time, 4);
    n = 4;
    ENetProtocolAcknowledge ack = { .header.command = ENET_PROTOCOL_COMMAND_ACKNOWLEDGE };
    memcpy(b + n, &ack, sizeof ack);
    n += sizeof ack;
    ENetProtocolSendUnreliable su = { .header.command = ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE,
                                      .header.channelID = 1,
                                      .dataLength = ENET_HOST_TO_NET_16(40) };
    memcpy(b + n, &su, sizeof su);
    n += sizeof su + 40;
    n += put_fragment(b + n, UNRELIABLE_FRAGMENT, 1, 500, 200, 0, 200000);
    assert_true(oversize_in(b, n, 0, &o));
    assert_false(o.reliable);
    assert_true(o.first);
    assert_int_equal(o.total, 200000);

    /* not found: where ENet gives up before the fragment, or rejects it for
     * another reason */
    struct {
        const char *what;
        size_t len;
    } cases[16];
    uint8_t bufs[16][2048];
    size_t nc = 0;
#define CASE(w) (cases[nc].what = (w), bufs[nc])
    uint8_t *c;
    c = CASE("fragment with no payload");
    memcpy(c, sent_time, 4);
    cases[nc++].len = 4 + put_fragment(c + 4, RELIABLE_FRAGMENT, 0, 0, 100, 0, BIG);
    c = CASE("payload past the end");
    memcpy(c, sent_time, 4);
    cases[nc++].len = 4 + put_fragment(c + 4, RELIABLE_FRAGMENT, 0, 1000, 100, 0, BIG) - 1;
    c = CASE("fragment on channel 9");
    memcpy(c, sent_time, 4);
    cases[nc++].len = 4 + put_fragment(c + 4, RELIABLE_FRAGMENT, 9, 100, 100, 0, BIG);
    c = CASE("acknowledged ping without a sent time, then the fragment");
    memcpy(c, no_time, 2);
    c[2] = ENET_PROTOCOL_COMMAND_PING | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE;
    c[3] = 0xFF;
    c[4] = 0;
    c[5] = 1;
    cases[nc++].len = 6 + put_fragment(c + 6, UNRELIABLE_FRAGMENT, 1, 100, 100, 0, BIG);
    c = CASE("command 0, then the fragment");
    memcpy(c, sent_time, 4);
    memset(c + 4, 0, 4);
    cases[nc++].len = 8 + put_fragment(c + 8, RELIABLE_FRAGMENT, 0, 100, 100, 0, BIG);
    c = CASE("command 13, then the fragment");
    memcpy(c, sent_time, 4);
    c[4] = 13;
    memset(c + 5, 0, 3);
    cases[nc++].len = 8 + put_fragment(c + 8, RELIABLE_FRAGMENT, 0, 100, 100, 0, BIG);
    c = CASE("unreliable send longer than the datagram, then the fragment");
    memcpy(c, sent_time, 4);
    su.dataLength = ENET_HOST_TO_NET_16(5000);
    memcpy(c + 4, &su, sizeof su);
    cases[nc++].len = 4 + sizeof su + put_fragment(c + 4 + sizeof su, RELIABLE_FRAGMENT, 0, 100,
                                                   100, 0, BIG);
    c = CASE("disconnect, then the fragment");
    memcpy(c, sent_time, 4);
    ENetProtocolDisconnect dc = { .header.command = ENET_PROTOCOL_COMMAND_DISCONNECT };
    memcpy(c + 4, &dc, sizeof dc);
    cases[nc++].len = 4 + sizeof dc + put_fragment(c + 4 + sizeof dc, RELIABLE_FRAGMENT, 0, 100,
                                                   100, 0, BIG);
    c = CASE("header only");
    memcpy(c, sent_time, 4);
    cases[nc++].len = 4;
    c = CASE("sent-time flag, 3 bytes");
    memcpy(c, sent_time, 3);
    cases[nc++].len = 3;
    c = CASE("one byte");
    c[0] = 0x80;
    cases[nc++].len = 1;
    c = CASE("empty");
    cases[nc++].len = 0;
#undef CASE
    for (size_t k = 0; k < nc; k++) {
        if (oversize_in(bufs[k], cases[k].len, 0, &o))
            fail_msg("found an oversize fragment in: %s", cases[k].what);
    }
}

/* Random datagrams, most of them shaped like ENet commands, each in an
 * exact-size heap buffer: ASan fails the test on any read past the end. */
static void find_oversize_fuzz(void **state)
{
    (void)state;
    struct rng g;
    rng_seed(&g, 42);
    uint8_t b[1600];
    struct relay_enet_oversize o;
    size_t found = 0;
    for (int i = 0; i < 200000; i++) {
        size_t len = rng_below(&g, 8) == 0 ? rng_below(&g, 1500) : rng_below(&g, 80);
        for (size_t k = 0; k < len; k++)
            b[k] = (uint8_t)rng_u64(&g);
        /* command bytes where commands would start, now and then */
        if (len > 4 && rng_below(&g, 2)) {
            size_t off = (b[0] & 0x80) ? 4 : 2;
            while (off + 4 <= len) {
                static const uint8_t cmds[] = { RELIABLE_FRAGMENT, UNRELIABLE_FRAGMENT,
                                                ENET_PROTOCOL_COMMAND_SEND_RELIABLE,
                                                ENET_PROTOCOL_COMMAND_ACKNOWLEDGE,
                                                ENET_PROTOCOL_COMMAND_PING };
                b[off] = cmds[rng_below(&g, sizeof cmds)];
                b[off + 1] = (uint8_t)rng_below(&g, 4);
                if (b[off] == RELIABLE_FRAGMENT || b[off] == UNRELIABLE_FRAGMENT) {
                    if (off + FRAG_SIZE > len)
                        break;
                    /* short payloads, so they often fit */
                    b[off + 6] = 0;
                    b[off + 7] = (uint8_t)rng_below(&g, 64);
                }
                off += 4 + rng_below(&g, 40);
            }
        }
        uint8_t *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, b, len);
        found += relay_enet_find_oversize(copy, len, rng_below(&g, 2) * 4, PROTO_CHANNEL_COUNT,
                                          MAX_PACKET, &o);
        free(copy);
    }
    print_message("find_oversize fuzz: 200000 datagrams, %zu with an oversize fragment\n", found);
    assert_true(found > 0); /* the generator does reach the interesting case */
}

/* Hand-made datagrams at the relay from a joined peer's own socket (its
 * peer id and session, so ENet takes them as that peer's): malformed ones
 * are not counted as too_big and leave the peer alone; a random stream
 * does not bring the relay down. */
static void crafted_datagrams_from_a_peer(void **state)
{
    (void)state;
    struct cl cs[2];
    cl_open(&cs[0], PROTO_CHANNEL_COUNT);
    cl_open(&cs[1], PROTO_CHANNEL_COUNT);
    connect_and_join(cs, 2, 0, "mallory");
    connect_and_join(cs, 2, 1, "bob");
    const ENetPeer *pe = cs[0].peer;
    uint16_t h = (uint16_t)(pe->outgoingPeerID |
                            (pe->outgoingSessionID << ENET_PROTOCOL_HEADER_SESSION_SHIFT));
    uint8_t b[1500];
    uint64_t too_big0 = relay_stats(R)->drops[RELAY_DROP_TOO_BIG];

    /* malformed: each stops ENet (and the inspection) before a fragment */
    for (int k = 0; k < 6; k++) {
        size_t n = 0;
        uint16_t hh = h | ENET_PROTOCOL_HEADER_FLAG_SENT_TIME;
        b[n++] = (uint8_t)(hh >> 8);
        b[n++] = (uint8_t)hh;
        b[n++] = 0;
        b[n++] = 1;
        switch (k) {
        case 0: /* truncated fragment */
            n += put_fragment(b + n, RELIABLE_FRAGMENT, 0, 100, 100, 0, BIG) - 110;
            break;
        case 1: /* payload past the end */
            n += put_fragment(b + n, RELIABLE_FRAGMENT, 0, 100, 100, 0, BIG) - 1;
            break;
        case 2: /* no payload */
            n += put_fragment(b + n, RELIABLE_FRAGMENT, 0, 0, 100, 0, BIG);
            break;
        case 3: /* channel 9 */
            n += put_fragment(b + n, RELIABLE_FRAGMENT, 9, 100, 100, 0, BIG);
            break;
        case 4: /* unknown command first */
            memset(b + n, 0x0F, 4);
            n += 4;
            n += put_fragment(b + n, RELIABLE_FRAGMENT, 0, 100, 100, 0, BIG);
            break;
        case 5: /* header only */
            break;
        }
        ENetBuffer eb = { .data = b, .dataLength = n };
        assert_int_equal(enet_socket_send(cs[0].host->socket, &relay_addr, &eb, 1), (int)n);
        pump(cs, 2);
    }
    for (uint64_t end = clock_now_us() + 200000; clock_now_us() < end;)
        pump(cs, 2);
    assert_int_equal(relay_stats(R)->drops[RELAY_DROP_TOO_BIG], too_big0);
    assert_false(cs[0].disconnected);
    assert_true(relay_peer_joined(R, pe->outgoingPeerID));

    /* random commands with mallory's header: whatever ENet makes of them,
     * the relay survives and still answers bob */
    struct rng g;
    rng_seed(&g, 7);
    for (int i = 0; i < 3000; i++) {
        size_t n = 2 + rng_below(&g, 200);
        uint16_t hh = h | (rng_below(&g, 2) ? ENET_PROTOCOL_HEADER_FLAG_SENT_TIME : 0);
        b[0] = (uint8_t)(hh >> 8);
        b[1] = (uint8_t)hh;
        for (size_t k = 2; k < n; k++)
            b[k] = (uint8_t)rng_u64(&g);
        if (n >= 4 + FRAG_SIZE && rng_below(&g, 2)) {
            size_t off = (hh & ENET_PROTOCOL_HEADER_FLAG_SENT_TIME) ? 4 : 2;
            b[off] = rng_below(&g, 2) ? RELIABLE_FRAGMENT : UNRELIABLE_FRAGMENT;
            b[off + 1] = (uint8_t)rng_below(&g, 4);
            b[off + 6] = 0;
            b[off + 7] = (uint8_t)rng_below(&g, 200);
        }
        ENetBuffer eb = { .data = b, .dataLength = n };
        enet_socket_send(cs[0].host->socket, &relay_addr, &eb, 1);
        if (i % 50 == 0)
            pump(cs, 2);
    }
    const char *ping = "{\"type\":\"ping\",\"t\":99}";
    send_on(&cs[1], PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE, ping, strlen(ping));
    assert_true(wait_ctl(cs, 2, 1, PROTO_CTL_PONG, WAIT_MS) >= 0);
    assert_int_equal(msg->t, 99);
    print_message("crafted: 6 malformed not counted; 3000 random: too_big +%llu, mallory %s\n",
                  (unsigned long long)(relay_stats(R)->drops[RELAY_DROP_TOO_BIG] - too_big0),
                  cs[0].disconnected ? "disconnected" : "still connected");
    /* mallory may have been kicked or disconnected by the noise */
    enet_peer_reset(cs[0].peer);
    cl_close(&cs[0]);
    enet_peer_disconnect(cs[1].peer, 0);
    wait_no_clients(cs, 2, WAIT_MS + TIMEOUT_MS);
    cl_close(&cs[1]);
}

/* Shutdown's drain waits for goodbyes only while one is in flight: not
 * for a client that already left, nor for a stranger's half-open handshake
 * (a CONNECT never completed), which the core never knew. Its own relay,
 * since the shutdown is for good. */
/* A send to a peer that is already disconnecting is churn, counted as
 * send_closing, not as a failed send (send_failed grew with
 * every departure); the peer's DISCONNECT carries the code it was closed
 * with. */
static void send_to_closing_peer_is_not_a_failure(void **state)
{
    (void)state;
    struct cl cs[1];
    cl_open(&cs[0], PROTO_CHANNEL_COUNT);
    connect_and_join(cs, 1, 0, "leaving");
    uint32_t idx = 0;
    while (idx < 8 && !relay_peer_joined(R, idx))
        idx++;
    assert_true(idx < 8);
    const struct relay_stats *st = relay_stats(R);
    uint64_t failed0 = st->drops[RELAY_DROP_SEND_FAILED];
    uint64_t closing0 = st->drops[RELAY_DROP_SEND_CLOSING];

    struct relay_transport tp = relay_enet_ops.core(T, 0);
    tp.disconnect(tp.ctx, idx, PROTO_ERROR_KICKED);
    uint8_t bytes[PROTO_STATE_SIZE];
    struct proto_state s = {.seq = 1, .send_us = 1};
    assert_int_equal(proto_state_encode(bytes, sizeof bytes, &s), PROTO_STATE_SIZE);
    tp.send_state(tp.ctx, idx, &idx, 1, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, bytes,
                  sizeof bytes);
    tp.send_control(tp.ctx, idx, "{\"type\":\"pong\",\"t\":1}", 20);
    print_message("sends to a disconnecting peer: send_closing +%llu, send_failed +%llu\n",
                  (unsigned long long)(st->drops[RELAY_DROP_SEND_CLOSING] - closing0),
                  (unsigned long long)(st->drops[RELAY_DROP_SEND_FAILED] - failed0));
    assert_int_equal(st->drops[RELAY_DROP_SEND_CLOSING] - closing0, 2);
    assert_int_equal(st->drops[RELAY_DROP_SEND_FAILED] - failed0, 0);

    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (!cs[0].disconnected && clock_now_us() < deadline)
        pump(cs, 1);
    assert_true(cs[0].disconnected);
    assert_int_equal(cs[0].disconnect_data, PROTO_ERROR_KICKED);
    wait_no_clients(cs, 1, WAIT_MS);
    cl_close(&cs[0]);
}

static void drain_ends_when_no_goodbye_is_pending(void **state)
{
    (void)state;
    struct relay_enet *t;
    ENetAddress a;
    struct relay *r = relay_open(10000, 0, 0, &t, &a);
    assert_non_null(t);
    assert_non_null(r);

    /* a client that joins and leaves politely */
    ENetHost *h = enet_host_create(NULL, 1, PROTO_CHANNEL_COUNT, 0, 0);
    assert_non_null(h);
    ENetPeer *p = enet_host_connect(h, &a, PROTO_CHANNEL_COUNT, 0);
    assert_non_null(p);
    ENetEvent ev;
    bool up = false, down = false, asked = false;
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (!down && clock_now_us() < deadline) {
        edge_turn(&relay_enet_ops, t, r, 1);
        if (up && !asked && relay_clients(r) == 1) {
            enet_peer_disconnect(p, 0);
            asked = true;
        }
        while (enet_host_service(h, &ev, 0) > 0) {
            if (ev.type == ENET_EVENT_TYPE_CONNECT) {
                up = true;
            } else if (ev.type == ENET_EVENT_TYPE_DISCONNECT) {
                down = true;
            } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
                enet_packet_destroy(ev.packet);
            }
        }
    }
    assert_true(up && down);
    enet_host_destroy(h);

    /* a half-open handshake: CONNECT sent, the relay's answer never acked */
    ENetHost *ghost = enet_host_create(NULL, 1, PROTO_CHANNEL_COUNT, 0, 0);
    assert_non_null(ghost);
    assert_non_null(enet_host_connect(ghost, &a, PROTO_CHANNEL_COUNT, 0));
    enet_host_flush(ghost);
    for (uint64_t end = clock_now_us() + 100000; clock_now_us() < end;)
        edge_turn(&relay_enet_ops, t, r, 1);
    assert_int_equal(relay_clients(r), 0);

    relay_shutdown(r, clock_now_us());
    uint64_t start = clock_now_us();
    edge_drain(&relay_enet_ops, t, r, 5000);
    uint64_t took_ms = (clock_now_us() - start) / 1000;
    print_message("drain with a left client and a half-open handshake: %llu ms of 5000\n",
                  (unsigned long long)took_ms);
    enet_host_destroy(ghost);
    relay_destroy(r);
    relay_enet_ops.destroy(t);
    assert_true(took_ms < 2500);
}

/* The relay's ENet guards (relay/enet/enet_internals.c) copy checks from ENet
 * 1.3.17's protocol.c and read its structures. This fails loudly when the
 * installed ENet is another version: header and library must both be
 * 1.3.17, and the wire layouts the guards read must not have moved. */
static void enet_internals_match_enet(void **state)
{
    (void)state;
    char err[160] = "";
    int rc = relay_enet_internals_check(err, sizeof err);
    if (rc != 0)
        fail_msg("%s: re-read ENet's protocol.c and redo relay/enet/enet_internals.c", err);
    assert_int_equal(ENET_VERSION, ENET_WIRE_VERSION);
    assert_int_equal(enet_linked_version(), ENET_WIRE_VERSION);
    assert_int_equal(offsetof(ENetProtocolSendFragment, dataLength), 6);
    assert_int_equal(offsetof(ENetProtocolSendFragment, fragmentCount), 8);
    assert_int_equal(offsetof(ENetProtocolSendFragment, totalLength), 16);
    assert_int_equal(offsetof(ENetProtocolSendReliable, dataLength), 4);
    assert_int_equal(offsetof(ENetProtocolSendUnsequenced, dataLength), 6);
    assert_int_equal(ENET_PROTOCOL_HEADER_FLAG_SENT_TIME, 1 << 15);
    assert_int_equal(ENET_PROTOCOL_HEADER_SESSION_SHIFT, 12);
    assert_int_equal(ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE, 1 << 7);
}

/* The intercept callback finds its transport through the event given to
 * enet_host_service (enet_internals.h): ENet 1.3.17 passes that very
 * pointer on. If ENet ever stops doing so, this fails, not the counters. */
static ENetEvent *intercepted_with;

static int ENET_CALLBACK record_event(ENetHost *host, ENetEvent *event)
{
    (void)host;
    intercepted_with = event;
    return 0;
}

static void intercept_gets_the_service_event(void **state)
{
    (void)state;
    ENetAddress a = { .host = ENET_HOST_ANY, .port = 0 };
    enet_address_set_host(&a, "127.0.0.1");
    ENetHost *server = enet_host_create(&a, 1, PROTO_CHANNEL_COUNT, 0, 0);
    assert_non_null(server);
    assert_int_equal(enet_socket_get_address(server->socket, &a), 0);
    server->intercept = record_event;
    ENetHost *client = enet_host_create(NULL, 1, PROTO_CHANNEL_COUNT, 0, 0);
    assert_non_null(client);
    assert_non_null(enet_host_connect(client, &a, PROTO_CHANNEL_COUNT, 0));
    enet_host_flush(client);

    int marker;
    struct relay_enet_service_event se = { .ctx = &marker };
    intercepted_with = NULL;
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (!intercepted_with && clock_now_us() < deadline)
        enet_host_service(server, &se.event, 1);
    assert_ptr_equal(intercepted_with, &se.event);
    assert_ptr_equal(relay_enet_intercept_ctx(intercepted_with), &marker);
    assert_null(relay_enet_intercept_ctx(NULL));
    enet_host_destroy(client);
    enet_host_destroy(server);
}

/* relay_enet_refusal on hand-made datagrams: what ENet mishandles is
 * refused, what a real ENet peer sends is not. */
static void enet_refusal_cases(void **state)
{
    (void)state;
    /* peer 0, sent time; RELIABLE ch 0 seq 1, 2 bytes "{}" */
    uint8_t ok[] = { 0x80, 0, 0, 0, 0x86, 0, 0, 1, 0, 2, '{', '}' };
    assert_int_equal(relay_enet_refusal(ok, sizeof ok, 0), RELAY_DROP_COUNT);
    /* an empty packet is taken (the core answers bad_state), and counts as
     * a data command ENet may hold */
    uint8_t empty[] = { 0x80, 0, 0, 0, 0x86, 0, 0, 1, 0, 0 };
    assert_int_equal(relay_enet_refusal(empty, sizeof empty, 0), RELAY_DROP_COUNT);
    struct relay_enet_scanned scanned;
    assert_int_equal(relay_enet_scan(empty, sizeof empty, 0, &scanned), RELAY_DROP_COUNT);
    assert_int_equal(scanned.data_commands, 1);
    assert_false(scanned.disconnect);
    /* no sent time, DISCONNECT with the acknowledge flag: a ghost */
    uint8_t ghost[] = { 0x00, 0, 0x84, 0xff, 0, 1, 0, 0, 0, 0 };
    assert_int_equal(relay_enet_refusal(ghost, sizeof ghost, 0), RELAY_DROP_ENET_GUARD);
    /* the same without the acknowledge flag: ENet handles it (zombie) */
    uint8_t polite[] = { 0x00, 0, 0x04, 0xff, 0, 1, 0, 0, 0, 0 };
    assert_int_equal(relay_enet_refusal(polite, sizeof polite, 0), RELAY_DROP_COUNT);
    /* fragment: count 4, number 0, total 100, offset 0, 1 byte: fine */
    uint8_t frag[] = { 0x80, 0, 0, 0, 0x88, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 4,
                       0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 'x' };
    assert_int_equal(relay_enet_refusal(frag, sizeof frag, 0), RELAY_DROP_COUNT);
    frag[23] = 3; /* totalLength 3 < fragmentCount 4 */
    assert_int_equal(relay_enet_refusal(frag, sizeof frag, 0), RELAY_DROP_ENET_GUARD);
    frag[23] = 100;
    frag[27] = 100; /* offset past the end */
    assert_int_equal(relay_enet_refusal(frag, sizeof frag, 0), RELAY_DROP_ENET_GUARD);
    frag[27] = 0;
    frag[11] = 0; /* a fragment of zero bytes: refused, as ENet 1.3.18 does */
    assert_int_equal(relay_enet_refusal(frag, sizeof frag - 1, 0), RELAY_DROP_ENET_GUARD);
    /* bounds: every prefix is safe and never refused for what it lacks */
    for (size_t n = 0; n < sizeof ok; n++)
        assert_int_equal(relay_enet_refusal(ok, n, 0), RELAY_DROP_COUNT);
    /* data commands counted (what ENet may hold out of order): the send,
     * not a PING after it, nor a truncated one */
    uint8_t two[] = { 0x80, 0, 0, 0, 0x86, 0, 0, 1, 0, 2, '{', '}', 0x85, 0xff, 0, 2,
                      0x07, 1, 0, 3, 0, 1, 0, 1, 'x' };
    assert_int_equal(relay_enet_scan(two, sizeof two, 0, &scanned), RELAY_DROP_COUNT);
    assert_int_equal(scanned.data_commands, 2); /* RELIABLE "{}" and UNRELIABLE "x"; PING has none */
    assert_int_equal(relay_enet_scan(two, sizeof two - 1, 0, &scanned), RELAY_DROP_COUNT);
    assert_int_equal(scanned.data_commands, 1); /* the unreliable one runs past the end */
    /* a DISCONNECT is noted (ENet discards what it has not handed over) */
    assert_int_equal(relay_enet_scan(polite, sizeof polite, 0, &scanned), RELAY_DROP_COUNT);
    assert_true(scanned.disconnect);
    assert_int_equal(scanned.data_commands, 0);
}

/* The suite's relay, set aside while a test runs one with a tick. */
static struct relay_enet *kept_t;
static struct relay *kept_r;
static ENetAddress kept_addr;

/* Replaces the suite's relay with one whose ticks are tick_us, and n (up
 * to 3) clients joined to it ("alice", "bob", "carol"), alice asking for
 * batches if alice_batches. */
static void open_tick_relay_of(uint32_t tick_us, struct cl *cs, size_t n, bool alice_batches)
{
    static const char *const names[] = {"alice", "bob", "carol"};
    kept_t = T;
    kept_r = R;
    kept_addr = relay_addr;
    R = relay_open(TIMEOUT_MS, 6, tick_us, &T, &relay_addr);
    assert_non_null(T);
    assert_non_null(R);
    for (size_t i = 0; i < n; i++)
        cl_open(&cs[i], PROTO_CHANNEL_COUNT);
    for (size_t i = 0; i < n; i++)
        assert_true(join_as(cs, n, i, names[i], i == 0 && alice_batches));
}

static void open_tick_relay(uint32_t tick_us, struct cl cs[2])
{
    open_tick_relay_of(tick_us, cs, 2, false);
}

/* Closes what open_tick_relay_of opened, and brings the suite's relay back. */
static void close_tick_relay_of(struct cl *cs, size_t n)
{
    close_all(cs, n);
    relay_destroy(R);
    relay_enet_ops.destroy(T);
    T = kept_t;
    R = kept_r;
    relay_addr = kept_addr;
}

static void close_tick_relay(struct cl cs[2])
{
    close_tick_relay_of(cs, 2);
}

/* With --tick-ms the relay reads its socket in batches. A state that
 * reached the socket before its tick ended but is read after belongs to
 * that tick: it goes out in the same service that reads it, not a tick
 * later. (A 200 ms tick: room "lobby" is slot 0, whose ticks end on the
 * 200 ms grid of the monotonic clock.) */
static void late_read_state_keeps_its_tick(void **state)
{
    (void)state;
    enum { TICK = 200000 };
    struct cl cs[2];
    open_tick_relay(TICK, cs);
    uint8_t st[PROTO_STATE_SIZE];
    struct proto_state s = { .seq = 1, .send_us = 1 };
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);

    bool placed = false;
    for (int attempt = 0; attempt < 5 && !placed; attempt++) {
        /* Everything so far read and sent; then the state reaches the
         * relay's socket well before the tick's end, unread. */
        pump(cs, 2);
        uint64_t end = (clock_now_us() / TICK + 1) * TICK;
        if (end - clock_now_us() < TICK / 4) {
            clock_sleep_until_us(end); /* too close to the end: take the next tick */
            continue;
        }
        edge_turn(&relay_enet_ops, T, R, 0);
        uint64_t before = relay_stats(R)->states_out;
        send_on(&cs[0], PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNSEQUENCED, st, sizeof st);
        enet_host_flush(cs[0].host);
        if (clock_now_us() + 20000 > end)
            continue; /* the machine stalled: try again */
        placed = true;
        clock_sleep_until_us(end + 20000);
        edge_turn(&relay_enet_ops, T, R, 0); /* reads it 20 ms after its tick ended */
        assert_int_equal(relay_stats(R)->states_out - before, 1);
        s.seq++;
        assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    }
    assert_true(placed);
    close_tick_relay(cs);
}

/* Sleeps until a tick of tick_us (on the monotonic clock's grid) has at
 * least a quarter left; returns when it ends. */
static uint64_t tick_with_room_left(uint64_t tick_us)
{
    uint64_t end = (clock_now_us() / tick_us + 1) * tick_us;
    if (end - clock_now_us() < tick_us / 4) {
        clock_sleep_until_us(end);
        end += tick_us;
    }
    return end;
}

/* One round of acks_ride_with_the_tick: Alice and Bob each send a reliable
 * state within a tick of tick_us; the relay reads both after the tick ended
 * (early 0) or early µs before its end, and fans them out at the end.
 * Checks that Alice gets her acknowledgement and Bob's state in one
 * datagram. Returns false if the machine stalled and missed the timing. */
static bool ack_rides(struct cl *cs, uint64_t tick_us, uint64_t early)
{
    uint8_t st[PROTO_STATE_SIZE];
    struct proto_state s = { .seq = 1, .send_us = 1 };
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    for (int i = 0; i < 20; i++) /* everything so far sent and acknowledged */
        pump(cs, 2);
    uint64_t end = tick_with_room_left(tick_us);
    edge_turn(&relay_enet_ops, T, R, 0);
    if (early)
        clock_sleep_until_us(end - early);
    size_t had = cs[0].n;
    for (int i = 0; i < 2; i++) {
        send_on(&cs[i], PROTO_CHANNEL_RELIABLE, ENET_PACKET_FLAG_RELIABLE, st, sizeof st);
        enet_host_flush(cs[i].host);
    }
    if (early)
        edge_turn(&relay_enet_ops, T, R, 0); /* reads both: the fan-out is not due yet */
    uint64_t after = early ? 1000 : 20000;
    if (clock_now_us() + after / 2 > end)
        return false;
    clock_sleep_until_us(end + after);
    edge_turn(&relay_enet_ops, T, R, 0); /* (reads both and) fans them out */
    enet_uint32 before = cs[0].host->totalReceivedPackets;
    assert_false(enet_list_empty(&cs[0].peer->sentReliableCommands));
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (cs[0].n == had && clock_now_us() < deadline) {
        ENetEvent ev;
        while (enet_host_service(cs[0].host, &ev, 1) > 0) {
            if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
                assert_int_equal(ev.channelID, PROTO_CHANNEL_RELIABLE);
                cs[0].n++;
                enet_packet_destroy(ev.packet);
            }
        }
    }
    assert_int_equal(cs[0].n, had + 1); /* Bob's state */
    assert_int_equal(cs[0].host->totalReceivedPackets - before, 1);
    assert_true(enet_list_empty(&cs[0].peer->sentReliableCommands)); /* acknowledged */
    return true;
}

/* A reliable state's acknowledgement goes out in the same datagram as the
 * tick's states for its sender: read after the tick ended (200 ms tick),
 * and read 3 ms before it ends, the acknowledgement waiting for the
 * fan-out (20 ms tick). (Bob's datagram is the last of the read: its
 * acknowledgement goes out alone.) */
static void acks_ride_with_the_tick(void **state)
{
    (void)state;
    static const struct { uint32_t tick_us, early_us; } cases[] = {
        { 200000, 0 }, { 20000, 3000 },
    };
    for (size_t c = 0; c < 2; c++) {
        struct cl cs[2];
        open_tick_relay(cases[c].tick_us, cs);
        bool placed = false;
        for (int attempt = 0; attempt < 5 && !placed; attempt++)
            placed = ack_rides(cs, cases[c].tick_us, cases[c].early_us);
        assert_true(placed);
        close_tick_relay(cs);
    }
}

/* Pumps until cs[who] has received `states` states (in batches or not)
 * since event `from`; fails the test after WAIT_MS. */
static void wait_states(struct cl *cs, size_t n, size_t who, size_t from, size_t states)
{
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    for (;;) {
        size_t got = 0;
        for (size_t k = from; k < cs[who].n; k++) {
            const struct got *g = &cs[who].ev[k];
            if (g->channel != PROTO_CHANNEL_CONTROL)
                got += proto_is_batch(g->data, g->len) ? (size_t)proto_batch_check(g->data, g->len)
                                                       : 1;
        }
        if (got >= states)
            return;
        assert_true(clock_now_us() < deadline);
        pump(cs, n);
    }
}

/* The seq of entry i of the batch g (which the test checked). */
static uint32_t entry_seq(const struct got *g, int i)
{
    size_t at = PROTO_BATCH_HEADER, len;
    const uint8_t *entry = NULL;
    for (int k = 0; k <= i; k++)
        assert_true(proto_batch_next(g->data, g->len, &at, &entry, &len));
    struct proto_state st;
    assert_int_equal(proto_state_decode(entry, len, &st), PROTO_OK);
    return st.seq;
}

/* Checks that event k of c is a batch on channel with flags holding the
 * states of seq first, first + 1, ... (count of them). */
static void assert_batch(const struct cl *c, size_t k, uint8_t channel, uint32_t flags,
                         uint32_t first, int count)
{
    const struct got *g = &c->ev[k];
    assert_int_equal(g->channel, channel);
    assert_int_equal(g->flags, flags);
    assert_int_equal(proto_batch_check(g->data, g->len), count);
    for (int i = 0; i < count; i++)
        assert_int_equal(entry_seq(g, i), first + (uint32_t)i);
}

/* Carol sends states in each way within one tick. Alice, whose join asked
 * for batches, gets one packet a way: a batch of them in the order sent,
 * with the way's channel and flags; Bob, who did not ask, gets each alone.
 * A lone state goes to Alice as itself. Carol's states keep their order
 * when she switches ways within a tick. And when Carol leaves, her held
 * states reach Alice in a batch before the notice that she left. */
static void a_tick_reaches_a_batching_member_in_a_packet_a_way(void **state)
{
    (void)state;
    enum { TICK = 200000 };
    static const struct { uint8_t ch; uint32_t flags; int states; } ways[] = {
        { PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNSEQUENCED, 3 },
        { PROTO_CHANNEL_RELIABLE, ENET_PACKET_FLAG_UNSEQUENCED, 2 }, /* sequenced */
        { PROTO_CHANNEL_RELIABLE, ENET_PACKET_FLAG_RELIABLE, 2 },
    };
    struct cl cs[3];
    open_tick_relay_of(TICK, cs, 3, true);
    pump(cs, 3);
    size_t alice_from = cs[0].n, bob_from = cs[1].n;
    uint8_t st[PROTO_STATE_SIZE];
    uint32_t seq = 100;
    tick_with_room_left(TICK);
    for (size_t w = 0; w < 3; w++) {
        for (int i = 0; i < ways[w].states; i++) {
            struct proto_state s = { .seq = seq++, .send_us = 1 };
            assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
            send_on(&cs[2], ways[w].ch, ways[w].flags, st, sizeof st);
        }
    }
    enet_host_flush(cs[2].host);
    wait_states(cs, 3, 0, alice_from, 7);
    wait_states(cs, 3, 1, bob_from, 7);
    assert_int_equal(cs[0].n - alice_from, 3); /* one packet a way */
    seq = 100;
    for (size_t w = 0; w < 3; w++) {
        size_t k = alice_from;
        while (k < cs[0].n && (cs[0].ev[k].channel != ways[w].ch ||
                                cs[0].ev[k].flags != ways[w].flags))
            k++;
        assert_true(k < cs[0].n);
        assert_batch(&cs[0], k, ways[w].ch, ways[w].flags, seq, ways[w].states);
        seq += (uint32_t)ways[w].states;
    }
    assert_int_equal(cs[1].n - bob_from, 7);
    for (size_t k = bob_from; k < cs[1].n; k++)
        assert_false(proto_is_batch(cs[1].ev[k].data, cs[1].ev[k].len));

    /* A lone state: itself, no batch header. */
    alice_from = cs[0].n;
    struct proto_state s = { .seq = seq++, .send_us = 1 };
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    send_on(&cs[2], PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNSEQUENCED, st, sizeof st);
    enet_host_flush(cs[2].host);
    wait_states(cs, 3, 0, alice_from, 1);
    assert_int_equal(cs[0].n - alice_from, 1);
    assert_int_equal(cs[0].ev[alice_from].len, PROTO_STATE_SIZE);

    /* Carol switches ways within a tick, behind a state of Bob's on the
     * states channel: her sequenced state goes out before her next,
     * unsequenced, one (lanes close in her order, not the lanes'). */
    alice_from = cs[0].n;
    tick_with_room_left(TICK);
    s.seq = 900;
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    send_on(&cs[1], PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNSEQUENCED, st, sizeof st);
    enet_host_flush(cs[1].host);
    clock_sleep_ms(2); /* Bob's first */
    for (int i = 0; i < 2; i++) {
        s.seq = seq + (uint32_t)i;
        assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
        send_on(&cs[2], i == 0 ? PROTO_CHANNEL_RELIABLE : PROTO_CHANNEL_STATE,
                ENET_PACKET_FLAG_UNSEQUENCED, st, sizeof st);
    }
    enet_host_flush(cs[2].host);
    wait_states(cs, 3, 0, alice_from, 3);
    assert_int_equal(cs[0].n - alice_from, 2);
    assert_int_equal(cs[0].ev[alice_from].channel, PROTO_CHANNEL_RELIABLE); /* her first, alone */
    assert_int_equal(cs[0].ev[alice_from].len, PROTO_STATE_SIZE);
    const struct got *both = &cs[0].ev[alice_from + 1]; /* Bob's, then her second */
    assert_int_equal(both->channel, PROTO_CHANNEL_STATE);
    assert_int_equal(proto_batch_check(both->data, both->len), 2);
    assert_int_equal(entry_seq(both, 0), 900);
    assert_int_equal(entry_seq(both, 1), seq + 1);
    seq += 2;

    /* Carol's last two states and her goodbye, read together (in two
     * datagrams: ENet 1.3.17 drops what shares a datagram with a
     * DISCONNECT): the batch first. */
    alice_from = cs[0].n;
    tick_with_room_left(TICK);
    for (int i = 0; i < 2; i++) {
        s.seq = seq + (uint32_t)i;
        assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
        send_on(&cs[2], PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNSEQUENCED, st, sizeof st);
    }
    enet_host_flush(cs[2].host);
    enet_peer_disconnect(cs[2].peer, 0);
    enet_host_flush(cs[2].host);
    int left = wait_ctl(cs, 3, 0, PROTO_CTL_LEFT, WAIT_MS);
    assert_true(left > (int)alice_from);
    assert_batch(&cs[0], alice_from, PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNSEQUENCED, seq, 2);
    assert_int_equal(relay_stats(R)->drops[RELAY_DROP_SEND_CLOSING], 0);
    close_tick_relay_of(cs, 3);
}

/* A member whose connection has a small MTU (576, the least ENet takes)
 * gets batches ENet need not fragment: a fragmented unreliable packet
 * would arrive reliable, in no mode. 20 states of a tick reach it in
 * unsequenced packets that each fit its MTU, in order. */
static void batches_fit_a_small_mtu(void **state)
{
    (void)state;
    enum { TICK = 200000, N = 20, MTU = 576 };
    struct cl cs[3];
    cl_mtu = MTU;
    open_tick_relay_of(TICK, cs, 1, true);
    cl_mtu = 0;
    cl_open(&cs[1], PROTO_CHANNEL_COUNT);
    cl_open(&cs[2], PROTO_CHANNEL_COUNT);
    join_as(cs, 3, 1, "bob", false);
    join_as(cs, 3, 2, "carol", false);
    pump(cs, 3);
    size_t from = cs[0].n;
    uint8_t st[PROTO_STATE_SIZE];
    tick_with_room_left(TICK);
    for (uint32_t i = 0; i < N; i++) {
        struct proto_state s = { .seq = 300 + i, .send_us = 1 };
        assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
        send_on(&cs[2], PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNSEQUENCED, st, sizeof st);
    }
    enet_host_flush(cs[2].host);
    wait_states(cs, 3, 0, from, N);
    uint32_t next = 300;
    for (size_t k = from; k < cs[0].n; k++) {
        const struct got *g = &cs[0].ev[k];
        assert_int_equal(g->flags, ENET_PACKET_FLAG_UNSEQUENCED);
        assert_true(g->len <= MTU - sizeof(ENetProtocolHeader) - sizeof(ENetProtocolSendFragment));
        int states = proto_batch_check(g->data, g->len);
        assert_true(states >= 1);
        for (int i = 0; i < states; i++)
            assert_int_equal(entry_seq(g, i), next++);
    }
    assert_int_equal(next, 300 + N);
    close_tick_relay_of(cs, 3);
}

static void queue_ack(ENetPeer *p, enet_uint16 sent_time)
{
    ENetAcknowledgement *a = enet_malloc(sizeof *a);
    assert_non_null(a);
    memset(a, 0, sizeof *a);
    a->sentTime = sent_time;
    enet_list_insert(enet_list_end(&p->acknowledgements), a);
}

/* The peer's acknowledgements in order, as sent times, into out (up to cap);
 * returns how many. */
static size_t ack_times(ENetPeer *p, enet_uint16 *out, size_t cap)
{
    size_t n = 0;
    for (ENetListIterator it = enet_list_begin(&p->acknowledgements);
         it != enet_list_end(&p->acknowledgements) && n < cap; it = enet_list_next(it))
        out[n++] = ((ENetAcknowledgement *)it)->sentTime;
    return n;
}

/* Held acknowledgements go back ahead of the ones queued since; a
 * connection that ended (or was replaced in its slot) gets none back:
 * they are freed (LeakSanitizer would report them otherwise). */
static void held_acks_go_back_in_order_or_are_freed(void **state)
{
    (void)state;
    ENetPeer p;
    memset(&p, 0, sizeof p);
    enet_list_clear(&p.acknowledgements);
    p.state = ENET_PEER_STATE_CONNECTED;
    p.connectID = 7;
    struct relay_enet_acks held;
    relay_enet_acks_init(&held);
    enet_uint16 got[8];

    queue_ack(&p, 1);
    queue_ack(&p, 2);
    relay_enet_hold_acks(&p, &held);
    assert_true(enet_list_empty(&p.acknowledgements));
    queue_ack(&p, 3);
    relay_enet_hold_acks(&p, &held);
    queue_ack(&p, 4);
    assert_int_equal(relay_enet_return_acks(&p, &held), 3);
    assert_true(enet_list_empty(&held.list));
    assert_int_equal(ack_times(&p, got, 8), 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(got[i], i + 1);
    assert_int_equal(relay_enet_return_acks(&p, &held), 0); /* nothing held */

    relay_enet_hold_acks(&p, &held);
    p.connectID = 8; /* another connection in the slot */
    queue_ack(&p, 5);
    relay_enet_hold_acks(&p, &held); /* the old connection's four are freed */
    assert_int_equal(relay_enet_return_acks(&p, &held), 1);
    assert_int_equal(ack_times(&p, got, 8), 1);
    assert_int_equal(got[0], 5);

    relay_enet_hold_acks(&p, &held);
    p.state = ENET_PEER_STATE_ZOMBIE; /* gone */
    assert_int_equal(relay_enet_return_acks(&p, &held), 0);
    assert_true(enet_list_empty(&held.list));
    assert_true(enet_list_empty(&p.acknowledgements));
}

/* Two members send a state each within a tick: the turn that fans them
 * out sends the three recipients theirs in one sendmmsg, and no turn makes
 * more than one. */
static void a_tick_leaves_in_one_call(void **state)
{
    (void)state;
    enum { TICK = 200000 };
    struct cl cs[3];
    open_tick_relay_of(TICK, cs, 3, false);
    pump(cs, 3);
    tick_with_room_left(TICK);
    uint8_t st[PROTO_STATE_SIZE];
    struct proto_state s = {.seq = 1, .send_us = 1};
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    for (size_t i = 0; i < 3; i += 2) { /* alice's and carol's, unsequenced: no acks */
        send_on(&cs[i], PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNSEQUENCED, st, sizeof st);
        enet_host_flush(cs[i].host);
    }
    int fd = relay_enet_ops.fd(T);
    bool fanned = false; /* a turn sent the three (pings may go in turns of their own) */
    for (uint64_t end = clock_now_us() + 2 * TICK; !fanned && clock_now_us() < end;) {
        struct enet_socket_counts before = enet_socket_counts(fd);
        assert_true(edge_turn(&relay_enet_ops, T, R, 1) >= 0);
        struct enet_socket_counts after = enet_socket_counts(fd);
        assert_true(after.sendmmsg_calls - before.sendmmsg_calls <= 1);
        fanned = after.sent - before.sent >= 3;
    }
    assert_true(fanned);
    close_tick_relay_of(cs, 3);
}

int main(void)
{
    if (enet_initialize() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forwarding_keeps_channel_and_flags),
        cmocka_unit_test(listening_member_is_kept),
        cmocka_unit_test(too_few_channels_refused),
        cmocka_unit_test(oversize_reliable_closes_peer),
        cmocka_unit_test(oversize_unreliable_counted),
        cmocka_unit_test(enet_internals_match_enet),
        cmocka_unit_test(intercept_gets_the_service_event),
        cmocka_unit_test(enet_refusal_cases),
        cmocka_unit_test(find_oversize_cases),
        cmocka_unit_test(find_oversize_fuzz),
        cmocka_unit_test(crafted_datagrams_from_a_peer),
        cmocka_unit_test(send_to_closing_peer_is_not_a_failure),
        cmocka_unit_test(drain_ends_when_no_goodbye_is_pending),
        cmocka_unit_test(late_read_state_keeps_its_tick),
        cmocka_unit_test(acks_ride_with_the_tick),
        cmocka_unit_test(a_tick_reaches_a_batching_member_in_a_packet_a_way),
        cmocka_unit_test(a_tick_leaves_in_one_call),
        cmocka_unit_test(batches_fit_a_small_mtu),
        cmocka_unit_test(held_acks_go_back_in_order_or_are_freed),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    enet_deinitialize();
    return rc;
}
