/* forger.c: a joined ENet peer whose raw socket a test borrows to send
 * datagrams in ENet's wire format (see forger.h). */
#include "forger.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/control.h"
#include "sys/clock.h"
#include "harness.h"
#include "raw.h"

void forger_service(struct forger *f, int ms, bool *welcomed)
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

bool forger_try_join(struct forger *f, uint16_t from_port, uint16_t port, const char *room,
                     const char *name, enet_uint32 in_bw)
{
    ENetAddress me = { .port = from_port };
    enet_address_set_host(&me, "127.0.0.1");
    f->host = enet_host_create(&me, 1, PROTO_CHANNEL_COUNT, in_bw, 0);
    assert_non_null(f->host);
    ENetAddress a = { .port = port };
    enet_address_set_host(&a, "127.0.0.1");
    f->peer = enet_host_connect(f->host, &a, PROTO_CHANNEL_COUNT, PROTO_ENET_ECHOES_COOKIES);
    assert_non_null(f->peer);
    ENetEvent ev;
    uint64_t end = clock_now_ms() + 5000;
    while (f->peer->state != ENET_PEER_STATE_CONNECTED && clock_now_ms() < end)
        enet_host_service(f->host, &ev, 10);
    if (f->peer->state != ENET_PEER_STATE_CONNECTED || raw_enet_prove(f->host, f->peer, 5000) != 0)
        return false;
    char join[160];
    int n = snprintf(join, sizeof join,
                     "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"%s\",\"version\":%d}",
                     room, name, PROTO_VERSION);
    ENetPacket *pk = enet_packet_create(join, (size_t)n, ENET_PACKET_FLAG_RELIABLE);
    assert_int_equal(enet_peer_send(f->peer, PROTO_CHANNEL_CONTROL, pk), 0);
    bool welcomed = false;
    for (end = clock_now_ms() + 5000; !welcomed && clock_now_ms() < end;)
        forger_service(f, 20, &welcomed);
    return welcomed;
}

bool forger_try_open(struct forger *f, uint16_t port, int i)
{
    char name[32];
    snprintf(name, sizeof name, "ghost%d", i);
    return forger_try_join(f, 0, port, "g", name, 0);
}

void forger_open(struct forger *f, uint16_t port, int i)
{
    assert_true(forger_try_open(f, port, i));
}

void forger_close(struct forger *f)
{
    enet_peer_disconnect_now(f->peer, 0);
    enet_host_destroy(f->host);
}

void forger_start_relay(struct spawn_proc *relay, struct forger *f)
{
    const char *args[] = { "--log-level", "warn", NULL };
    int port = harness_start_relay(relay, args);
    assert_true(port > 0);
    forger_open(f, (uint16_t)port, 0);
}

size_t forger_header(const struct forger *f, uint8_t *b, bool sent_time)
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

void forger_send(const struct forger *f, const uint8_t *b, size_t len)
{
    ENetBuffer buf = { .data = (void *)b, .dataLength = len };
    assert_int_equal(enet_socket_send(f->host->socket, &f->peer->address, &buf, 1), (int)len);
}

size_t forger_put_cmd(uint8_t *b, unsigned cmd, unsigned channel, unsigned seq)
{
    b[0] = (uint8_t)(cmd | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE);
    b[1] = (uint8_t)channel;
    b[2] = (uint8_t)(seq >> 8);
    b[3] = (uint8_t)seq;
    return 4;
}

size_t forger_put16(uint8_t *b, unsigned v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
    return 2;
}

size_t forger_put32(uint8_t *b, uint32_t v)
{
    forger_put16(b, v >> 16);
    return 2 + forger_put16(b + 2, v & 0xffff);
}

size_t forger_put_connect(uint8_t *b, uint32_t connect_id)
{
    size_t n = forger_put16(b, 0xFFF | ENET_PROTOCOL_HEADER_FLAG_SENT_TIME);
    n += forger_put16(b + n, 0x1234);                       /* sentTime */
    b[n++] = ENET_PROTOCOL_COMMAND_CONNECT | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE;
    b[n++] = 0xFF;                                   /* channelID */
    n += forger_put16(b + n, 1);                            /* reliableSequenceNumber */
    n += forger_put16(b + n, 0);                            /* outgoingPeerID */
    b[n++] = 0xFF;                                   /* incomingSessionID */
    b[n++] = 0xFF;                                   /* outgoingSessionID */
    n += forger_put32(b + n, 1400);                         /* mtu */
    n += forger_put32(b + n, 32768);                        /* windowSize */
    n += forger_put32(b + n, PROTO_CHANNEL_COUNT);          /* channelCount */
    n += forger_put32(b + n, 0);                            /* incomingBandwidth */
    n += forger_put32(b + n, 0);                            /* outgoingBandwidth */
    n += forger_put32(b + n, 5000);                         /* packetThrottleInterval */
    n += forger_put32(b + n, 2);                            /* packetThrottleAcceleration */
    n += forger_put32(b + n, 2);                            /* packetThrottleDeceleration */
    n += forger_put32(b + n, connect_id);
    return n + forger_put32(b + n, 0);                      /* data */
}
