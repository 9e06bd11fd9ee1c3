/* enet_edge.c: the ENet edge's suite and raw ENet clients (see enet_edge.h). */
#include "enet_edge.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"
#include "sys/log.h"
#include "relay/core/relay.h"
#include "relay/settings.h"
#include "edge_turn.h"

struct relay_enet *T;
struct relay *R;
ENetAddress relay_addr;
struct proto_control *msg;
enet_uint32 cl_mtu;

struct relay *enet_relay_open(uint32_t timeout_ms, uint32_t max_clients, uint32_t tick_us,
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

int enet_edge_setup(void **state)
{
    (void)state;
    log_threshold = LOG_OFF;
    R = enet_relay_open(TIMEOUT_MS, 6, 0, &T, &relay_addr);
    if (!T)
        return -1;
    msg = calloc(1, sizeof *msg);
    return R && msg ? 0 : -1;
}

int enet_edge_teardown(void **state)
{
    (void)state;
    relay_destroy(R);
    relay_enet_ops.destroy(T);
    free(msg);
    return 0;
}

void pump(struct cl *cs, size_t n)
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

void wait_no_clients(struct cl *cs, size_t n, int ms)
{
    uint64_t deadline = clock_now_us() + (uint64_t)ms * 1000;
    while (relay_clients(R) > 0 && clock_now_us() < deadline)
        pump(cs, n);
    assert_int_equal(relay_clients(R), 0);
}

void cl_open(struct cl *c, size_t channels)
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

void cl_close(struct cl *c)
{
    if (c->host)
        enet_host_destroy(c->host);
    free(c->ev);
    memset(c, 0, sizeof *c);
}

int find_ctl(const struct cl *c, size_t from, enum proto_ctl_type type)
{
    for (size_t i = from; i < c->n; i++)
        if (c->ev[i].channel == PROTO_CHANNEL_CONTROL &&
            proto_control_decode((const char *)c->ev[i].data, c->ev[i].len, msg, NULL, 0) ==
                PROTO_OK &&
            msg->type == type)
            return (int)i;
    return -1;
}

int wait_ctl(struct cl *cs, size_t n, size_t who, enum proto_ctl_type type, int ms)
{
    uint64_t deadline = clock_now_us() + (uint64_t)ms * 1000;
    int k;
    while ((k = find_ctl(&cs[who], 0, type)) < 0 && clock_now_us() < deadline)
        pump(cs, n);
    return k;
}

void send_on(struct cl *c, uint8_t channel, uint32_t flags, const void *data, size_t len)
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

uint32_t join_as(struct cl *cs, size_t n, size_t who, const char *name, bool batch)
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

uint32_t connect_and_join(struct cl *cs, size_t n, size_t who, const char *name)
{
    return join_as(cs, n, who, name, false);
}

void close_all(struct cl *cs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cs[i].host && cs[i].connected && !cs[i].disconnected)
            enet_peer_disconnect(cs[i].peer, 0);
    wait_no_clients(cs, n, WAIT_MS);
    for (size_t i = 0; i < n; i++)
        cl_close(&cs[i]);
}
