/* test_statescan.c: finding states inside udp and ENet datagrams, on
 * hand-built datagrams (every command kind, several per datagram, fragments,
 * the unsequenced group, truncation) and on what real ENet 1.3.17 hosts put
 * on the wire over 127.0.0.1 (read through enet_host intercept). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <enet/enet.h>
#include <string.h>

#include "lab/netsim/statescan.h"
#include "proto/wire.h"
#include "proto/byteorder.h"

static size_t put_state(uint8_t *buf, uint32_t sender, uint32_t seq)
{
    struct proto_state s = {.sender = sender, .seq = seq, .send_us = 5, .x = 1, .y = 2};
    int n = proto_state_encode(buf, PROTO_STATE_SIZE, &s);
    assert_int_equal(n, PROTO_STATE_SIZE);
    return (size_t)n;
}

/* Appends one data command (fixed part of size bytes, length at len_at). */
static size_t put_cmd(uint8_t *buf, size_t at, int cmd, uint8_t channel, size_t size,
                      size_t len_at, const uint8_t *data, size_t len)
{
    memset(buf + at, 0, size);
    buf[at] = (uint8_t)cmd;
    buf[at + 1] = channel;
    be16_put(buf + at + len_at, (uint16_t)len);
    memcpy(buf + at + size, data, len);
    return at + size + len;
}

static void udp_state_and_not(void **unused)
{
    (void)unused;
    uint8_t buf[64];
    struct statescan_ref out[STATESCAN_MAX];
    put_state(buf, 3, 77);
    struct statescan_result r = statescan_datagram(STATESCAN_UDP, buf, PROTO_STATE_SIZE, out);
    assert_int_equal(r.states, 1);
    assert_int_equal(out[0].sender, 3);
    assert_int_equal(out[0].seq, 77);
    assert_int_equal(out[0].kind, STATESCAN_PLAIN);
    assert_int_equal(r.peer, -1); /* no ENet header */
    r = statescan_datagram(STATESCAN_UDP, buf, PROTO_STATE_SIZE - 1, out);
    assert_int_equal(r.states, 0);
    r = statescan_datagram(STATESCAN_UDP, (const uint8_t *)"{\"type\":\"join\"}", 15, out);
    assert_int_equal(r.states, 0);
}

/* A udp batch: each entry that is a state, in order; a control entry is
 * none; a batch that does not frame exactly is malformed. */
static void udp_batch(void **unused)
{
    (void)unused;
    uint8_t buf[PROTO_BATCH_MAX], st[PROTO_STATE_SIZE];
    struct statescan_ref out[STATESCAN_MAX];
    size_t used = PROTO_BATCH_HEADER;
    proto_batch_begin(buf);
    for (uint32_t i = 0; i < 3; i++) {
        put_state(st, 10 + i, 100 + i);
        assert_int_equal(proto_batch_add(buf, sizeof buf, &used, st, sizeof st), PROTO_OK);
        if (i == 1)
            assert_int_equal(proto_batch_add(buf, sizeof buf, &used, (const uint8_t *)"{}", 2),
                             PROTO_OK);
    }
    struct statescan_result r = statescan_datagram(STATESCAN_UDP, buf, used, out);
    assert_int_equal(r.states, 3);
    assert_int_equal(r.malformed, 0);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(out[i].sender, 10 + i);
        assert_int_equal(out[i].seq, 100 + i);
        assert_int_equal(out[i].kind, STATESCAN_BATCHED);
    }
    assert_string_equal(statescan_kind_name(STATESCAN_BATCHED), "batched");
    r = statescan_datagram(STATESCAN_UDP, buf, used - 1, out); /* the last entry cut */
    assert_int_equal(r.malformed, 1);
    assert_int_equal(r.states, 0);
}

/* A datagram with a sent time, an ack, a reliable control message, an
 * unreliable state, an unsequenced state (with its group) and a reliable
 * state: three states, in order, five commands. */
static void enet_many_commands(void **unused)
{
    (void)unused;
    uint8_t buf[512], st[PROTO_STATE_SIZE];
    struct statescan_ref out[STATESCAN_MAX];
    be16_put(buf, ENET_PROTOCOL_HEADER_FLAG_SENT_TIME | 2 << ENET_PROTOCOL_HEADER_SESSION_SHIFT | 5);
    be16_put(buf + 2, 1234);
    size_t at = 4;
    memset(buf + at, 0, sizeof(ENetProtocolAcknowledge));
    buf[at] = ENET_PROTOCOL_COMMAND_ACKNOWLEDGE;
    at += sizeof(ENetProtocolAcknowledge);
    at = put_cmd(buf, at, ENET_PROTOCOL_COMMAND_SEND_RELIABLE | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE,
                 PROTO_CHANNEL_CONTROL, sizeof(ENetProtocolSendReliable),
                 offsetof(ENetProtocolSendReliable, dataLength), (const uint8_t *)"{}", 2);
    put_state(st, 4, 10);
    at = put_cmd(buf, at, ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE, PROTO_CHANNEL_STATE,
                 sizeof(ENetProtocolSendUnreliable),
                 offsetof(ENetProtocolSendUnreliable, dataLength), st, sizeof st);
    put_state(st, 5, 11);
    size_t unseq = at;
    at = put_cmd(buf, at, ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED | ENET_PROTOCOL_COMMAND_FLAG_UNSEQUENCED,
                 PROTO_CHANNEL_STATE, sizeof(ENetProtocolSendUnsequenced),
                 offsetof(ENetProtocolSendUnsequenced, dataLength), st, sizeof st);
    be16_put(buf + unseq + offsetof(ENetProtocolSendUnsequenced, unsequencedGroup), 0x0101);
    put_state(st, 6, 12);
    at = put_cmd(buf, at, ENET_PROTOCOL_COMMAND_SEND_RELIABLE | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE,
                 PROTO_CHANNEL_RELIABLE, sizeof(ENetProtocolSendReliable),
                 offsetof(ENetProtocolSendReliable, dataLength), st, sizeof st);
    struct statescan_result r = statescan_datagram(STATESCAN_ENET, buf, at, out);
    assert_int_equal(r.commands, 5);
    assert_int_equal(r.peer, 5); /* the header's peer id, sent-time flag masked off */
    assert_int_equal(r.states, 3);
    assert_false(r.malformed);
    assert_int_equal(out[0].sender, 4);
    assert_int_equal(out[0].seq, 10);
    assert_int_equal(out[0].kind, STATESCAN_UNRELIABLE);
    assert_int_equal(out[1].seq, 11);
    assert_int_equal(out[1].kind, STATESCAN_UNSEQUENCED);
    assert_int_equal(out[1].group, 0x0101);
    assert_int_equal(out[0].group, 0); /* only unsequenced commands have one */
    assert_int_equal(out[2].seq, 12);
    assert_int_equal(out[2].channel, PROTO_CHANNEL_RELIABLE);
    assert_int_equal(out[2].kind, STATESCAN_RELIABLE);

    /* Cut inside the last state: the first two are still found, as ENet
     * would have handled them before refusing the third. */
    r = statescan_datagram(STATESCAN_ENET, buf, at - 1, out);
    assert_int_equal(r.states, 2);
    assert_true(r.malformed);
    /* Without the sent-time flag the header is 2 bytes: shifted, it is not
     * read as the same commands. */
    be16_put(buf, 5);
    r = statescan_datagram(STATESCAN_ENET, buf, at, out);
    assert_int_not_equal(r.states, 3);
}

/* An ENet command whose payload is a batch: each state entry is a state of
 * the command's kind, channel and unsequenced group; a reliable batch on
 * the in-order channel alike. A batch that does not frame exactly is
 * malformed. */
static void enet_batch_command(void **unused)
{
    (void)unused;
    uint8_t buf[1400], batch[PROTO_BATCH_MAX], st[PROTO_STATE_SIZE];
    struct statescan_ref out[STATESCAN_MAX];
    size_t used = PROTO_BATCH_HEADER;
    proto_batch_begin(batch);
    enum { N = 28 }; /* a full batch: with the next command's two, over 32 states */
    for (uint32_t i = 0; i < N; i++) {
        put_state(st, 20 + i, 200 + i);
        assert_int_equal(proto_batch_add(batch, sizeof batch, &used, st, sizeof st), PROTO_OK);
    }
    be16_put(buf, 9);
    size_t at = 2;
    size_t unseq = at;
    at = put_cmd(buf, at, ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED | ENET_PROTOCOL_COMMAND_FLAG_UNSEQUENCED,
                 PROTO_CHANNEL_STATE, sizeof(ENetProtocolSendUnsequenced),
                 offsetof(ENetProtocolSendUnsequenced, dataLength), batch, used);
    be16_put(buf + unseq + offsetof(ENetProtocolSendUnsequenced, unsequencedGroup), 77);
    size_t two = PROTO_BATCH_HEADER + 2 * (PROTO_BATCH_ENTRY_HEAD + PROTO_STATE_SIZE);
    at = put_cmd(buf, at, ENET_PROTOCOL_COMMAND_SEND_RELIABLE | ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE,
                 PROTO_CHANNEL_RELIABLE, sizeof(ENetProtocolSendReliable),
                 offsetof(ENetProtocolSendReliable, dataLength), batch, two);
    struct statescan_result r = statescan_datagram(STATESCAN_ENET, buf, at, out);
    assert_int_equal(r.commands, 2);
    assert_false(r.malformed);
    assert_int_equal(r.states, N + 2);
    for (uint32_t i = 0; i < N; i++) {
        assert_int_equal(out[i].sender, 20 + i);
        assert_int_equal(out[i].seq, 200 + i);
        assert_int_equal(out[i].kind, STATESCAN_UNSEQUENCED);
        assert_int_equal(out[i].channel, PROTO_CHANNEL_STATE);
        assert_int_equal(out[i].group, 77);
    }
    for (uint32_t i = 0; i < 2; i++) {
        assert_int_equal(out[N + i].seq, 200 + i);
        assert_int_equal(out[N + i].kind, STATESCAN_RELIABLE);
        assert_int_equal(out[N + i].channel, PROTO_CHANNEL_RELIABLE);
    }
    /* The unsequenced batch's length one short: its last entry overruns. */
    be16_put(buf + unseq + offsetof(ENetProtocolSendUnsequenced, dataLength), (uint16_t)(used - 1));
    r = statescan_datagram(STATESCAN_ENET, buf, at, out);
    assert_true(r.malformed);
}

/* A fragmented state is found by its first fragment only. */
static void enet_fragments(void **unused)
{
    (void)unused;
    uint8_t buf[256], st[PROTO_STATE_SIZE];
    struct statescan_ref out[STATESCAN_MAX];
    put_state(st, 9, 99);
    be16_put(buf, 1);
    size_t first = 2;
    size_t at = put_cmd(buf, first, ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT,
                        PROTO_CHANNEL_STATE, sizeof(ENetProtocolSendFragment),
                        offsetof(ENetProtocolSendFragment, dataLength), st, 20);
    be32_put(buf + first + offsetof(ENetProtocolSendFragment, fragmentCount), 2);
    be32_put(buf + first + offsetof(ENetProtocolSendFragment, totalLength), 40);
    size_t second = at;
    at = put_cmd(buf, at, ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT, PROTO_CHANNEL_STATE,
                 sizeof(ENetProtocolSendFragment), offsetof(ENetProtocolSendFragment, dataLength),
                 st + 20, 20);
    be32_put(buf + second + offsetof(ENetProtocolSendFragment, fragmentNumber), 1);
    be32_put(buf + second + offsetof(ENetProtocolSendFragment, fragmentOffset), 20);
    struct statescan_result r = statescan_datagram(STATESCAN_ENET, buf, at, out);
    assert_int_equal(r.commands, 2);
    assert_int_equal(r.states, 1);
    assert_int_equal(out[0].seq, 99);
    assert_int_equal(out[0].kind, STATESCAN_FRAGMENT);
}

static void enet_refused(void **unused)
{
    (void)unused;
    uint8_t buf[64] = {0};
    struct statescan_ref out[STATESCAN_MAX];
    be16_put(buf, ENET_PROTOCOL_HEADER_FLAG_COMPRESSED);
    struct statescan_result r = statescan_datagram(STATESCAN_ENET, buf, 40, out);
    assert_true(r.compressed);
    assert_int_equal(r.states, 0);
    be16_put(buf, 0);
    buf[2] = 13; /* unknown command */
    r = statescan_datagram(STATESCAN_ENET, buf, 40, out);
    assert_true(r.malformed);
    assert_int_equal(r.commands, 0);
    r = statescan_datagram(STATESCAN_ENET, buf, 1, out);
    assert_true(r.malformed);
    /* More states than fit (in batches of 28): counted, the first
     * STATESCAN_MAX kept. */
    enum { BATCHES = STATESCAN_MAX / 28 + 1 };
    uint8_t big[BATCHES * (PROTO_BATCH_MAX + 16)], st[PROTO_STATE_SIZE], batch[PROTO_BATCH_MAX];
    size_t at = 2;
    be16_put(big, 0);
    uint32_t seq = 0;
    for (int b = 0; b < BATCHES; b++) {
        size_t used = PROTO_BATCH_HEADER;
        proto_batch_begin(batch);
        for (int i = 0; i < 28; i++) {
            put_state(st, 1, seq++);
            assert_int_equal(proto_batch_add(batch, sizeof batch, &used, st, sizeof st), PROTO_OK);
        }
        at = put_cmd(big, at, ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED, PROTO_CHANNEL_STATE,
                     sizeof(ENetProtocolSendUnsequenced),
                     offsetof(ENetProtocolSendUnsequenced, dataLength), batch, used);
    }
    r = statescan_datagram(STATESCAN_ENET, big, at, out);
    assert_int_equal(r.states, seq);
    assert_true(seq > STATESCAN_MAX);
    assert_int_equal(out[STATESCAN_MAX - 1].seq, STATESCAN_MAX - 1);
}

/* Real ENet: a client sends 60 states in each flag set; the server's
 * intercept scans every datagram it receives. Every seq must be seen. */
static int seen[3][60];
static int peer_seen = -2; /* header peer id of the datagrams that carried states */
static int group_wrong;     /* unsequenced states whose group is not ENet's count */

static int intercept(ENetHost *host, ENetEvent *event)
{
    (void)event;
    struct statescan_ref out[STATESCAN_MAX];
    struct statescan_result r = statescan_datagram(STATESCAN_ENET, host->receivedData,
                                                   host->receivedDataLength, out);
    assert_false(r.malformed);
    if (r.states > 0)
        peer_seen = r.peer;
    for (size_t i = 0; i < r.states && i < STATESCAN_MAX; i++)
        if (out[i].sender < 3 && out[i].seq < 60) {
            seen[out[i].sender][out[i].seq]++;
            /* the only unsequenced sends: ENet numbers them from 1 */
            group_wrong += out[i].kind == STATESCAN_UNSEQUENCED && out[i].group != out[i].seq + 1;
        }
    return 0;
}

static bool all_seen(void)
{
    for (int k = 0; k < 3; k++)
        for (int seq = 0; seq < 60; seq++)
            if (seen[k][seq] == 0)
                return false;
    return true;
}

static void pump(ENetHost *a, ENetHost *b, int rounds)
{
    ENetEvent ev;
    for (int i = 0; i < rounds; i++) {
        while (enet_host_service(a, &ev, 1) > 0)
            if (ev.type == ENET_EVENT_TYPE_RECEIVE)
                enet_packet_destroy(ev.packet);
        while (enet_host_service(b, &ev, 1) > 0)
            if (ev.type == ENET_EVENT_TYPE_RECEIVE)
                enet_packet_destroy(ev.packet);
    }
}

static void enet_real_datagrams(void **unused)
{
    (void)unused;
    assert_int_equal(enet_initialize(), 0);
    ENetAddress addr = {.port = 0};
    enet_address_set_host(&addr, "127.0.0.1");
    ENetHost *server = enet_host_create(&addr, 4, PROTO_CHANNEL_COUNT, 0, 0);
    assert_non_null(server);
    addr.port = server->address.port;
    server->intercept = intercept;
    ENetHost *client = enet_host_create(NULL, 1, PROTO_CHANNEL_COUNT, 0, 0);
    ENetPeer *peer = enet_host_connect(client, &addr, PROTO_CHANNEL_COUNT, 0);
    for (int i = 0; i < 200 && peer->state != ENET_PEER_STATE_CONNECTED; i++)
        pump(client, server, 1);
    assert_int_equal(peer->state, ENET_PEER_STATE_CONNECTED);
    /* throttle off, as ricochet's client: on a loaded machine ENet's throttle
     * would drop unreliable sends before they reach the wire */
    enet_peer_throttle_configure(peer, ENET_PEER_PACKET_THROTTLE_INTERVAL,
                                 ENET_PEER_PACKET_THROTTLE_SCALE, 0);
    static const struct {
        uint32_t flags;
        uint8_t channel;
    } kinds[3] = {{ENET_PACKET_FLAG_UNSEQUENCED, PROTO_CHANNEL_STATE},
                  {0, PROTO_CHANNEL_STATE},
                  {ENET_PACKET_FLAG_RELIABLE, PROTO_CHANNEL_RELIABLE}};
    for (uint32_t seq = 0; seq < 60; seq++) {
        for (uint32_t k = 0; k < 3; k++) {
            uint8_t st[PROTO_STATE_SIZE];
            put_state(st, k, seq);
            enet_peer_send(peer, kinds[k].channel,
                           enet_packet_create(st, sizeof st, kinds[k].flags));
        }
        if (seq % 7 == 0) /* several states per datagram, and single ones */
            pump(client, server, 1);
    }
    /* until everything arrived (a loaded machine may take a while), 10 s at most */
    for (int round = 0; round < 5000 && !all_seen(); round++)
        pump(client, server, 1);
    for (int k = 0; k < 3; k++)
        for (int seq = 0; seq < 60; seq++) {
            if (k == 2) /* reliable: an ack late on a loaded machine means a resend */
                assert_true(seen[k][seq] >= 1);
            else
                assert_int_equal(seen[k][seq], 1);
        }
    /* the client writes the server's slot for it, which the server knows by */
    assert_int_equal(peer_seen, peer->outgoingPeerID);
    assert_int_equal(group_wrong, 0);
    assert_int_equal(peer_seen, (int)(server->peers[0].incomingPeerID));
    enet_host_destroy(client);
    enet_host_destroy(server);
    enet_deinitialize();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(udp_state_and_not),
        cmocka_unit_test(udp_batch),
        cmocka_unit_test(enet_many_commands),
        cmocka_unit_test(enet_batch_command),
        cmocka_unit_test(enet_fragments),
        cmocka_unit_test(enet_refused),
        cmocka_unit_test(enet_real_datagrams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
