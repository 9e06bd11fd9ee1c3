/* test_enet_closing.c: the ENet edge letting go, in process on 127.0.0.1
 * from raw ENet client hosts: a send to a peer that is already
 * disconnecting is churn, counted as send_closing, not as a failed send,
 * and the peer's DISCONNECT carries the code it was closed with;
 * shutdown's drain ends as soon as no goodbye is in flight (not waiting
 * for a client that left, nor for a stranger's half-open handshake).
 * Every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <enet/enet.h>

#include "sys/clock.h"
#include "proto/control.h"
#include "proto/errors.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/transport.h"
#include "tests/support/edge_turn.h"
#include "tests/support/enet_edge.h"

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

/* Shutdown's drain waits for goodbyes only while one is in flight: not
 * for a client that already left, nor for a stranger's half-open handshake
 * (a CONNECT never completed), which the core never knew. Its own relay,
 * since the shutdown is for good. */
static void drain_ends_when_no_goodbye_is_pending(void **state)
{
    (void)state;
    struct relay_enet *t;
    ENetAddress a;
    struct relay *r = enet_relay_open(10000, 0, 0, &t, &a);
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

int main(void)
{
    if (enet_initialize() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(send_to_closing_peer_is_not_a_failure),
        cmocka_unit_test(drain_ends_when_no_goodbye_is_pending),
    };
    int rc = cmocka_run_group_tests(tests, enet_edge_setup, enet_edge_teardown);
    enet_deinitialize();
    return rc;
}
