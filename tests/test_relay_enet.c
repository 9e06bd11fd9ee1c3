/* test_relay_enet: the ENet transport in process, on 127.0.0.1, driven by
 * raw ENet client hosts (no client library): a forwarded state keeps its
 * channel and flags and carries the sender's relay id; a polite disconnect
 * is reported as quit, a vanished peer as timeout; a peer with too few
 * channels is refused. Every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <enet/enet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/clock.h"
#include "../proto/control.h"
#include "../proto/log.h"
#include "../proto/wire.h"
#include "../relay/relay.h"
#include "../relay/transport.h"

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
    struct got *ev; /* MAX_EVENTS received packets */
    size_t n;
};

static struct relay_enet *T;
static struct relay *R;
static ENetAddress relay_addr;
static struct proto_control *msg;

static int setup(void **state)
{
    (void)state;
    log_threshold = LOG_OFF;
    char err[128];
    struct relay_net_config ncfg = {
        .bind = "127.0.0.1", .port = 0, .peer_cap = 8, .max_packet_size = 2048,
        .max_waiting_data = 1 << 20, .timeout_ms = TIMEOUT_MS,
    };
    T = relay_enet_create(&ncfg, err, sizeof err);
    if (!T) {
        fprintf(stderr, "relay_enet_create: %s\n", err);
        return -1;
    }
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = 8;
    cfg.max_clients = 6;
    struct relay_transport tp = relay_enet_transport(T);
    R = relay_create(&cfg, &tp);
    msg = calloc(1, sizeof *msg);
    const char *a = relay_enet_address(T);
    enet_address_set_host(&relay_addr, "127.0.0.1");
    relay_addr.port = (enet_uint16)atoi(strrchr(a, ':') + 1);
    return R && msg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    relay_destroy(R);
    relay_enet_destroy(T);
    free(msg);
    return 0;
}

/* One round: the relay's loop iteration, then every client's. */
static void pump(struct cl *cs, size_t n)
{
    assert_true(relay_enet_service(T, R, 1) >= 0);
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

static void cl_open(struct cl *c, size_t channels)
{
    memset(c, 0, sizeof *c);
    c->ev = calloc(MAX_EVENTS, sizeof *c->ev);
    assert_non_null(c->ev);
    c->host = enet_host_create(NULL, 1, PROTO_CHANNEL_COUNT, 0, 0);
    assert_non_null(c->host);
    c->peer = enet_host_connect(c->host, &relay_addr, channels, 0);
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

static uint32_t connect_and_join(struct cl *cs, size_t n, size_t who, const char *name)
{
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (!cs[who].connected && clock_now_us() < deadline)
        pump(cs, n);
    assert_true(cs[who].connected);
    char json[128];
    snprintf(json, sizeof json, "{\"type\":\"join\",\"room\":\"lobby\",\"name\":\"%s\"}",
             name);
    send_on(&cs[who], PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE, json, strlen(json));
    assert_true(wait_ctl(cs, n, who, PROTO_CTL_WELCOME, WAIT_MS) >= 0);
    return msg->id;
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
        { PROTO_CHANNEL_STATE, 0 },
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
    deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (relay_clients(R) > 0 && clock_now_us() < deadline)
        pump(cs, 3);
    assert_int_equal(relay_clients(R), 0);
    assert_int_equal(relay_rooms(R), 0);
    for (int i = 0; i < 3; i++)
        cl_close(&cs[i]);
}

static void too_few_channels_refused(void **state)
{
    (void)state;
    struct cl c;
    cl_open(&c, 1);
    uint64_t deadline = clock_now_us() + (uint64_t)WAIT_MS * 1000;
    while (!c.disconnected && clock_now_us() < deadline)
        pump(&c, 1);
    assert_true(c.disconnected);
    assert_int_equal(relay_clients(R), 0);
    cl_close(&c);
}

int main(void)
{
    if (enet_initialize() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forwarding_keeps_channel_and_flags),
        cmocka_unit_test(too_few_channels_refused),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    enet_deinitialize();
    return rc;
}
