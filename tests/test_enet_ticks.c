/* test_enet_ticks.c: the ENet edge with a tick, in process on 127.0.0.1,
 * driven by raw ENet client hosts: a state read after its tick ended (the
 * relay reads in batches) still goes out with that tick; the
 * acknowledgement of a reliable state goes out in the same datagram as the
 * tick's states for its sender; a member that asked for batches gets a
 * tick's states in one batch packet a way, each sender's in order, ahead
 * of a notice sent after them, and no batch its MTU would fragment; a
 * tick's datagrams to every member leave in one system call
 * (relay/enet/enet_socket.c). Every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <enet/enet.h>
#include <string.h>

#include "sys/clock.h"
#include "proto/control.h"
#include "proto/wire.h"
#include "relay/enet/enet_socket.h"
#include "relay/core/relay.h"
#include "relay/transport.h"
#include "tests/support/edge_turn.h"
#include "tests/support/enet_edge.h"

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
    R = enet_relay_open(TIMEOUT_MS, 6, tick_us, &T, &relay_addr);
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
        cmocka_unit_test(late_read_state_keeps_its_tick),
        cmocka_unit_test(acks_ride_with_the_tick),
        cmocka_unit_test(a_tick_reaches_a_batching_member_in_a_packet_a_way),
        cmocka_unit_test(a_tick_leaves_in_one_call),
        cmocka_unit_test(batches_fit_a_small_mtu),
    };
    int rc = cmocka_run_group_tests(tests, enet_edge_setup, enet_edge_teardown);
    enet_deinitialize();
    return rc;
}
