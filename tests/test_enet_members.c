/* test_enet_members.c: who the ENet edge takes as a member and how it
 * forwards and lets go of one, in process on 127.0.0.1, driven by raw ENet
 * client hosts (no client library): a forwarded state keeps its channel
 * and flags and carries the sender's relay id, and never goes back to its
 * sender; a polite disconnect is reported as quit, a vanished peer as
 * timeout; a member that only listens is kept; a peer with too few
 * channels is refused and counted. Every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <enet/enet.h>
#include <stdint.h>

#include "sys/clock.h"
#include "proto/control.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/transport.h"
#include "tests/support/enet_edge.h"

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

int main(void)
{
    if (enet_initialize() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forwarding_keeps_channel_and_flags),
        cmocka_unit_test(listening_member_is_kept),
        cmocka_unit_test(too_few_channels_refused),
    };
    int rc = cmocka_run_group_tests(tests, enet_edge_setup, enet_edge_teardown);
    enet_deinitialize();
    return rc;
}
