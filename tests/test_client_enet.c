/* test_client_enet.c: the client library's ENet side against a fake ENet
 * relay written here (a raw ENet host): channels, flags and the mode each
 * state arrived in, sequenced's per-sender too-old filter (wrap included),
 * a refusal carried in the disconnect data, a hub's slot left by a member
 * moved on resting from its relay's late goodbye, batches read state by state,
 * a datagram's packets all handed over before a poll returns 0,
 * one transport per mode; latency
 * recorded only once both clocks' offsets are known. The plain-UDP side is
 * test_client.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <enet/enet.h>

#include "client/lib/client.h"
#include "client/lib/client_internal.h"
#include "client/lib/client_test.h"
#include "proto/errors.h"
#include "sys/clock.h"
#include "tests/support/harness.h"


#define WAIT_MS 10000

/* ---- fake ENet relay: checks channels, flags and arrived_as ---- */

/* A detached client named name in mode that got its welcome (id 1, nobody
 * else) at now_us. */
static struct ricochet *joined_detached_as(const char *name, enum proto_mode mode,
                                         uint64_t now_us)
{
    char err[256];
    struct client_config cfg = {.host = "127.0.0.1", .port = 1, .room = "r1",
                                .name = name, .mode = mode};
    struct ricochet *c = client_create_detached(&cfg, err, sizeof err);
    assert_non_null(c);
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_WELCOME);
    m.id = 1;
    snprintf(m.room, sizeof m.room, "r1");
    static char json[PROTO_CONTROL_MAX];
    int jl = proto_control_encode(json, sizeof json, &m);
    struct ricochet_event ev;
    assert_int_equal(client_receive(c, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE,
                                    (const uint8_t *)json, (size_t)jl, now_us, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_WELCOME);
    return c;
}

static struct ricochet *joined_detached(enum proto_mode mode, uint64_t now_us)
{
    return joined_detached_as("tester", mode, now_us);
}

/* Feeds one control message m as the relay sends it, at now_us. */
static void feed_control(struct ricochet *c, const struct proto_control *m, uint64_t now_us)
{
    static char json[PROTO_CONTROL_MAX];
    int jl = proto_control_encode(json, sizeof json, m);
    assert_true(jl > 0);
    struct ricochet_event ev;
    assert_true(client_receive(c, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE,
                               (const uint8_t *)json, (size_t)jl, now_us, &ev) >= 0);
}

/* Feeds one state from sender with seq in mode, as the relay forwards it
 * (the mode table's downstream channel and flags), sent at send_us on the
 * sender's clock and received at now_us on mine. Returns its event. */
static struct ricochet_event feed_state_at(struct ricochet *c, uint32_t sender, uint32_t seq,
                                         enum proto_mode mode, uint64_t send_us, uint64_t now_us)
{
    uint8_t buf[PROTO_STATE_SIZE];
    struct proto_state s = {.sender = sender, .seq = seq, .send_us = send_us};
    assert_int_equal(proto_state_encode(buf, sizeof buf, &s), PROTO_STATE_SIZE);
    const struct proto_mode_info *mi = proto_mode_info(mode);
    struct ricochet_event ev;
    assert_int_equal(client_receive(c, mi->down_channel, mi->down_flags, buf, sizeof buf, now_us,
                                    &ev), 1);
    assert_int_equal(ev.mode, mode);
    assert_int_equal(ev.id, sender);
    assert_int_equal(ev.state.seq, seq);
    return ev;
}

/* The same, sent at 1000, received at 2000. Returns 1 if it was delivered,
 * 0 if reported too old. */
static int feed_state(struct ricochet *c, uint32_t sender, uint32_t seq, enum proto_mode mode)
{
    return feed_state_at(c, sender, seq, mode, 1000, 2000).type == RICOCHET_EV_STATE;
}

/* Sequenced keeps each sender's order: a state not after the newest one
 * already delivered from that sender is dropped and counted as too old;
 * another sender's newer state costs it nothing, and unsequenced states
 * are never filtered. Wrap-safe at 2^32. */
static void sequenced_filter_per_sender(void **state)
{
    (void)state;
    struct ricochet *c = joined_detached(PROTO_MODE_SEQUENCED, 1000);
    const enum proto_mode S = PROTO_MODE_SEQUENCED, U = PROTO_MODE_UNSEQUENCED;
    assert_int_equal(feed_state(c, 7, 10, S), 1);
    assert_int_equal(feed_state(c, 8, 20, S), 1);
    assert_int_equal(feed_state(c, 7, 11, S), 1); /* 8's newer state does not matter */
    assert_int_equal(feed_state(c, 7, 9, S), 0);  /* 7's own late state: too old */
    assert_int_equal(feed_state(c, 7, 11, S), 0); /* repeated: too old */
    assert_int_equal(feed_state(c, 8, 19, U), 1); /* unsequenced: any order */
    assert_int_equal(feed_state(c, 8, 0xfffffff0u, S), 0); /* half the space behind */
    assert_int_equal(client_member(c, 7)->stats.too_old, 2);
    assert_int_equal(client_member(c, 8)->stats.too_old, 1);
    assert_int_equal(client_too_old(c), 3);
    assert_int_equal(client_member(c, 7)->stats.received, 2);
    /* Across the wrap: 0xffffffff, then 0 and 1 are newer. */
    assert_int_equal(feed_state(c, 9, 0xffffffffu, S), 1);
    assert_int_equal(feed_state(c, 9, 0, S), 1);
    assert_int_equal(feed_state(c, 9, 0xfffffffeu, S), 0);
    assert_int_equal(feed_state(c, 9, 1, S), 1);
    ricochet_close(c);
}

/* A sender that switches modes: the newest state delivered from it in any
 * mode is what a sequenced state must be after (PROTOCOL.md, delivery
 * modes), so its position never goes back. */
static void sequenced_after_a_mode_switch(void **state)
{
    (void)state;
    struct ricochet *c = joined_detached(PROTO_MODE_SEQUENCED, 1000);
    const enum proto_mode S = PROTO_MODE_SEQUENCED, U = PROTO_MODE_UNSEQUENCED,
                          R = PROTO_MODE_RELIABLE;
    assert_int_equal(feed_state(c, 7, 600, U), 1);
    assert_int_equal(feed_state(c, 7, 550, S), 0); /* older than unsequenced 600 */
    assert_int_equal(feed_state(c, 7, 500, U), 1); /* unsequenced: never filtered */
    assert_int_equal(feed_state(c, 7, 700, R), 1);
    assert_int_equal(feed_state(c, 7, 650, S), 0); /* older than reliable 700 */
    assert_int_equal(feed_state(c, 7, 701, S), 1);
    assert_int_equal(client_member(c, 7)->stats.too_old, 2);
    ricochet_close(c);
}

/* Clocks three hours apart (the sender's behind mine, the relay's 5 s
 * ahead of mine): a state that arrives before both offsets to the relay
 * are known (the sender's, and mine) is delivered and counted, but its
 * latency (3 h off) enters neither the latency figures nor the jitter;
 * once both are known, latencies are corrected and recorded. */
static void latency_waits_for_both_clock_offsets(void **state)
{
    (void)state;
    const uint64_t T = 20000000000;           /* my clock, µs (5.5 h) */
    const uint64_t BEHIND = 10800000000;      /* the sender's clock: 3 h behind mine */
    const uint64_t RELAY_AHEAD = 5000000;     /* the relay's clock: 5 s ahead of mine */
    const enum proto_mode U = PROTO_MODE_UNSEQUENCED;
    struct ricochet *c = joined_detached(U, T);
    struct proto_control m;
    /* neither offset known: sent 2 ms before it arrived */
    struct ricochet_event ev = feed_state_at(c, 7, 1, U, T - BEHIND - 2000, T);
    assert_int_equal(ev.type, RICOCHET_EV_STATE);
    assert_false(ev.latency_known);
    assert_int_equal(ev.latency_bound_us, 0);
    /* my offset known (pong: round trip 200 µs), the sender's not yet */
    memset(&m, 0, sizeof m);
    m.type = PROTO_CTL_PONG;
    m.t = T + 1000;
    m.relay_t = T + 1100 + RELAY_AHEAD;
    feed_control(c, &m, T + 1200);
    feed_state_at(c, 7, 2, U, T + 10000 - BEHIND - 2000, T + 10000);
    const struct client_member *mb = client_member(c, 7);
    assert_non_null(mb);
    assert_int_equal(mb->stats.received, 2);
    assert_int_equal(recv_stats_lost(&mb->stats), 0);
    assert_int_equal(mb->stats.no_latency, 2);
    assert_int_equal(client_latency(c)->total, 0);
    assert_int_equal(mb->stats.latency_sum_us, 0);
    assert_int_equal(mb->stats.latency_max_us, 0);
    /* the sender's offset announced (relay clock - its clock, +-100 µs) */
    memset(&m, 0, sizeof m);
    m.type = PROTO_CTL_CLOCK;
    m.id = 7;
    m.clock_offset_us = (int64_t)(RELAY_AHEAD + BEHIND);
    m.clock_bound_us = 100;
    feed_control(c, &m, T + 20000);
    ev = feed_state_at(c, 7, 3, U, T + 30000 - BEHIND - 2000, T + 30000);
    assert_true(ev.latency_known);
    assert_true(ev.latency_bound_us > 0 && ev.latency_bound_us <= 200);
    assert_int_equal(ev.latency_us, 2000);
    ev = feed_state_at(c, 7, 4, U, T + 40000 - BEHIND - 2800, T + 40000);
    assert_int_equal(ev.latency_us, 2800);
    mb = client_member(c, 7);
    assert_int_equal(mb->stats.received, 4);
    assert_int_equal(mb->stats.no_latency, 2);
    assert_true(recv_stats_latency_mean(&mb->stats) == 2400.0);
    assert_int_equal(client_latency(c)->total, 2);
    assert_int_equal(client_latency(c)->max, 2800);
    assert_int_equal(mb->stats.latency_sum_us, 2000 + 2800);
    assert_int_equal(mb->stats.latency_max_us, 2800);
    assert_true(mb->stats.jitter_us == 800.0 / 16.0); /* from the two corrected only */
    ricochet_close(c);
}

/* An ENet host on 127.0.0.1 playing the relay (enet_initialize'd; the
 * caller destroys it and deinitializes); its port in *port. */
static ENetHost *fake_enet_relay(uint16_t *port)
{
    assert_int_equal(enet_initialize(), 0);
    ENetAddress addr = {.port = 0};
    enet_address_set_host_ip(&addr, "127.0.0.1");
    ENetHost *srv = enet_host_create(&addr, 4, PROTO_CHANNEL_COUNT, 0, 0);
    assert_non_null(srv);
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(srv->socket, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    return srv;
}

/* Serves srv until c's join arrives (reliable, on the control channel),
 * then queues its welcome: id 3 in room "r1". Returns c's peer; the join
 * in *join. */
static ENetPeer *accept_join(ENetHost *srv, struct ricochet *c, struct proto_control *join)
{
    ENetPeer *peer = NULL;
    bool got_join = false;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    struct ricochet_event ev;
    ENetEvent e;
    while (!got_join && clock_now_ms() < deadline) {
        ricochet_poll(c, 0, &ev);
        if (enet_host_service(srv, &e, 5) <= 0)
            continue;
        if (e.type == ENET_EVENT_TYPE_CONNECT)
            peer = e.peer;
        if (e.type == ENET_EVENT_TYPE_RECEIVE) {
            assert_int_equal(e.channelID, PROTO_CHANNEL_CONTROL);
            assert_true(e.packet->flags & ENET_PACKET_FLAG_RELIABLE);
            assert_int_equal(proto_control_decode((const char *)e.packet->data,
                                                  e.packet->dataLength, join, NULL, 0),
                             PROTO_OK);
            assert_int_equal(join->type, PROTO_CTL_JOIN);
            got_join = true;
            enet_packet_destroy(e.packet);
        }
    }
    assert_true(got_join);
    assert_non_null(peer);
    static struct proto_control m;
    static char json[PROTO_CONTROL_MAX];
    memset(&m, 0, sizeof m);
    m.type = PROTO_CTL_WELCOME;
    m.id = 3;
    snprintf(m.room, sizeof m.room, "r1");
    int jl = proto_control_encode(json, sizeof json, &m);
    enet_peer_send(peer, PROTO_CHANNEL_CONTROL,
                   enet_packet_create(json, (size_t)jl, ENET_PACKET_FLAG_RELIABLE));
    return peer;
}

static void enet_fake_relay(void **state)
{
    (void)state;
    uint16_t port;
    ENetHost *srv = fake_enet_relay(&port);
    struct ricochet *c = harness_client(port, "r1", "tester", PROTO_MODE_SEQUENCED, false);
    static struct proto_control m;
    ENetPeer *peer = accept_join(srv, c, &m);
    assert_int_equal(m.mode, PROTO_MODE_SEQUENCED);
    uint64_t deadline;
    struct ricochet_event ev;
    ENetEvent e;
    /* Bad things on every channel, then one good state per mode. */
    enet_peer_send(peer, PROTO_CHANNEL_CONTROL,
                   enet_packet_create("{oops", 5, ENET_PACKET_FLAG_RELIABLE));
    enet_peer_send(peer, PROTO_CHANNEL_STATE,
                   enet_packet_create("\x01\x01", 2, ENET_PACKET_FLAG_UNSEQUENCED));
    uint8_t buf[PROTO_STATE_SIZE];
    const struct {
        uint8_t channel;
        uint32_t flags;
        enum proto_mode expect;
    } cases[3] = {
        {PROTO_CHANNEL_STATE, ENET_PACKET_FLAG_UNSEQUENCED, PROTO_MODE_UNSEQUENCED},
        {PROTO_CHANNEL_RELIABLE, ENET_PACKET_FLAG_UNSEQUENCED, PROTO_MODE_SEQUENCED},
        {PROTO_CHANNEL_RELIABLE, ENET_PACKET_FLAG_RELIABLE, PROTO_MODE_RELIABLE},
    };
    for (int k = 0; k < 3; k++) {
        struct proto_state s = {.sender = 11, .seq = (uint32_t)k + 1,
                                .send_us = clock_now_us(), .x = (float)k};
        proto_state_encode(buf, sizeof buf, &s);
        enet_peer_send(peer, cases[k].channel, enet_packet_create(buf, sizeof buf, cases[k].flags));
        enet_host_flush(srv);
        /* One at a time, so the arrival order is known. */
        bool seen = false;
        deadline = clock_now_ms() + WAIT_MS;
        while (!seen && clock_now_ms() < deadline) {
            if (enet_host_service(srv, &e, 0) > 0 && e.type == ENET_EVENT_TYPE_RECEIVE)
                enet_packet_destroy(e.packet); /* the client's clock pings */
            if (ricochet_poll(c, 5, &ev) == 1 && ev.type == RICOCHET_EV_STATE) {
                assert_int_equal(ev.id, 11);
                assert_int_equal(ev.mode, cases[k].expect);
                seen = true;
            }
        }
        assert_true(seen);
    }
    assert_true(ricochet_joined(c));
    assert_int_equal(ricochet_id(c), 3);

    /* Sending in each mode uses the right channel and flags. */
    const enum proto_mode modes[3] = {PROTO_MODE_UNSEQUENCED, PROTO_MODE_SEQUENCED,
                                      PROTO_MODE_RELIABLE};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(ricochet_set_mode(c, (enum ricochet_mode)modes[k]), RICOCHET_OK);
        assert_int_equal(client_mode(c), modes[k]);
        struct proto_state s = {.send_us = clock_now_us(), .x = 1};
        assert_int_equal(client_send_state(c, &s, 0), 0);
        ricochet_flush(c);
        bool seen = false;
        deadline = clock_now_ms() + WAIT_MS;
        while (!seen && clock_now_ms() < deadline) {
            ricochet_poll(c, 0, &ev);
            if (enet_host_service(srv, &e, 5) <= 0 || e.type != ENET_EVENT_TYPE_RECEIVE)
                continue;
            if (e.channelID == PROTO_CHANNEL_CONTROL) {
                enet_packet_destroy(e.packet); /* the client's clock pings */
            } else {
                assert_int_equal(e.channelID, cases[k].channel);
                assert_int_equal(e.packet->flags & (ENET_PACKET_FLAG_RELIABLE |
                                                    ENET_PACKET_FLAG_UNSEQUENCED),
                                 cases[k].flags);
                struct proto_state got;
                assert_int_equal(proto_state_decode(e.packet->data, e.packet->dataLength, &got),
                                 PROTO_OK);
                assert_int_equal(got.seq, (uint32_t)k + 1);
                assert_int_equal(got.sender, 0);
                enet_packet_destroy(e.packet);
                seen = true;
            }
        }
        assert_true(seen);
    }
    assert_int_equal(ricochet_set_mode(c, RICOCHET_MODE_UDP), RICOCHET_E_UNSUPPORTED);

    struct client_netinfo ni;
    client_netinfo(c, &ni);
    assert_true(ni.bytes_sent > 0 && ni.bytes_received > 0);
    assert_true(ni.datagrams_sent > 0 && ni.datagrams_received > 0);

    /* The relay closes the connection: DISCONNECTED, then -1. */
    enet_peer_disconnect(peer, 0);
    bool down = false;
    deadline = clock_now_ms() + WAIT_MS;
    while (!down && clock_now_ms() < deadline) {
        if (enet_host_service(srv, &e, 0) > 0 && e.type == ENET_EVENT_TYPE_RECEIVE)
            enet_packet_destroy(e.packet);
        int r = ricochet_poll(c, 5, &ev);
        if (r == 1 && ev.type == RICOCHET_EV_DISCONNECTED)
            down = true;
    }
    assert_true(down);
    assert_int_equal(ricochet_poll(c, 0, &ev), -1);
    ricochet_close(c);
    enet_host_destroy(srv);
    enet_deinitialize();
}

/* Appends a state from sender with seq to the batch in buf (*used bytes). */
static void batch_state(uint8_t *buf, size_t *used, uint32_t sender, uint32_t seq)
{
    uint8_t st[PROTO_STATE_SIZE];
    struct proto_state s = {.sender = sender, .seq = seq, .send_us = clock_now_us()};
    assert_int_equal(proto_state_encode(st, sizeof st, &s), PROTO_STATE_SIZE);
    assert_int_equal(proto_batch_add(buf, PROTO_BATCH_MAX, used, st, sizeof st), PROTO_OK);
}

/* The join asks for batches, and a batch packet is read state by state:
 * each an event in order, in the mode of the packet's channel and flags; a
 * control message inside is refused on its own; a batch that does not
 * frame is refused whole, counted once. */
static void enet_batches_read_state_by_state(void **state)
{
    (void)state;
    uint16_t port;
    ENetHost *srv = fake_enet_relay(&port);
    struct ricochet *c = harness_client(port, "r1", "tester", PROTO_MODE_UNSEQUENCED, false);
    static struct proto_control m;
    ENetPeer *peer = accept_join(srv, c, &m);
    assert_true(m.batch);
    uint64_t deadline;
    struct ricochet_event ev;
    ENetEvent e;

    uint8_t buf[PROTO_BATCH_MAX];
    size_t used = PROTO_BATCH_HEADER;
    proto_batch_begin(buf);
    for (uint32_t seq = 1; seq <= 3; seq++)
        batch_state(buf, &used, 11, seq);
    enet_peer_send(peer, PROTO_CHANNEL_RELIABLE,
                   enet_packet_create(buf, used, ENET_PACKET_FLAG_RELIABLE));
    used = PROTO_BATCH_HEADER;
    assert_int_equal(proto_batch_add(buf, sizeof buf, &used, (const uint8_t *)"{}", 2), PROTO_OK);
    batch_state(buf, &used, 11, 4);
    enet_peer_send(peer, PROTO_CHANNEL_RELIABLE,
                   enet_packet_create(buf, used, ENET_PACKET_FLAG_RELIABLE));
    used = PROTO_BATCH_HEADER;
    batch_state(buf, &used, 12, 1);
    enet_peer_send(peer, PROTO_CHANNEL_STATE, /* cut: its last entry overruns */
                   enet_packet_create(buf, used - 1, ENET_PACKET_FLAG_UNSEQUENCED));
    used = PROTO_BATCH_HEADER;
    batch_state(buf, &used, 12, 2);
    batch_state(buf, &used, 12, 3);
    enet_peer_send(peer, PROTO_CHANNEL_STATE,
                   enet_packet_create(buf, used, ENET_PACKET_FLAG_UNSEQUENCED));
    enet_host_flush(srv);

    static const struct { uint32_t sender, seq; enum proto_mode mode; } want[] = {
        {11, 1, PROTO_MODE_RELIABLE}, {11, 2, PROTO_MODE_RELIABLE}, {11, 3, PROTO_MODE_RELIABLE},
        {11, 4, PROTO_MODE_RELIABLE}, {12, 2, PROTO_MODE_UNSEQUENCED},
        {12, 3, PROTO_MODE_UNSEQUENCED},
    };
    size_t got = 0;
    deadline = clock_now_ms() + WAIT_MS;
    while (got < 6 && clock_now_ms() < deadline) {
        if (enet_host_service(srv, &e, 0) > 0 && e.type == ENET_EVENT_TYPE_RECEIVE)
            enet_packet_destroy(e.packet); /* the client's clock pings */
        if (ricochet_poll(c, 5, &ev) != 1 || ev.type != RICOCHET_EV_STATE)
            continue;
        assert_int_equal(ev.id, want[got].sender);
        assert_int_equal(ev.state.seq, want[got].seq);
        assert_int_equal(ev.mode, want[got].mode);
        got++;
    }
    assert_int_equal(got, 6);
    assert_int_equal(client_bad_messages(c), 2); /* the control entry, the cut batch */
    ricochet_close(c);
    enet_host_destroy(srv);
    enet_deinitialize();
}

/* One datagram brings a pong (a control message, no event) and a state:
 * once the socket has been readable, ricochet_poll with timeout 0 hands
 * the state over before it returns 0, since a caller then waits on the
 * socket, which has nothing more to say. (ENet hands a datagram's packets
 * over one per service; stopping after the pong left the state inside ENet
 * until the caller's next wake-up, 10 ms later in the tests' loops.) */
static void enet_datagram_handed_over_whole(void **state)
{
    (void)state;
    uint16_t port;
    ENetHost *srv = fake_enet_relay(&port);
    struct ricochet *c = harness_client(port, "r1", "tester", PROTO_MODE_UNSEQUENCED, false);
    static struct proto_control m;
    ENetPeer *peer = accept_join(srv, c, &m);
    enet_host_flush(srv);
    struct ricochet_event ev;
    ENetEvent e;
    bool welcomed = false;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (!welcomed && clock_now_ms() < deadline) {
        if (enet_host_service(srv, &e, 0) > 0 && e.type == ENET_EVENT_TYPE_RECEIVE)
            enet_packet_destroy(e.packet); /* the client's clock pings */
        welcomed = ricochet_poll(c, 5, &ev) == 1 && ev.type == RICOCHET_EV_WELCOME;
    }
    assert_true(welcomed);
    while (ricochet_poll(c, 0, &ev) == 1)
        ; /* nothing else is left behind */

    for (int round = 0; round < 3; round++) {
        memset(&m, 0, sizeof m);
        m.type = PROTO_CTL_PONG;
        m.t = clock_now_us();
        m.relay_t = m.t;
        static char json[PROTO_CONTROL_MAX];
        int jl = proto_control_encode(json, sizeof json, &m);
        uint8_t buf[PROTO_STATE_SIZE];
        struct proto_state s = {.sender = 11, .seq = (uint32_t)round + 1,
                                .send_us = clock_now_us()};
        proto_state_encode(buf, sizeof buf, &s);
        enet_peer_send(peer, PROTO_CHANNEL_CONTROL,
                       enet_packet_create(json, (size_t)jl, ENET_PACKET_FLAG_RELIABLE));
        enet_peer_send(peer, PROTO_CHANNEL_STATE,
                       enet_packet_create(buf, sizeof buf, ENET_PACKET_FLAG_UNSEQUENCED));
        enet_host_flush(srv); /* both in one datagram */
        struct pollfd pfd = {.fd = ricochet_fd(c), .events = POLLIN};
        assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
        int states = 0;
        while (ricochet_poll(c, 0, &ev) == 1)
            states += ev.type == RICOCHET_EV_STATE && ev.id == 11;
        assert_int_equal(states, 1);
    }
    ricochet_close(c);
    enet_host_destroy(srv);
    enet_deinitialize();
}

/* A relay that refuses with nothing but the ENet disconnect data (the code,
 * PROTOCOL.md): the client still says which refusal it was. */
static void enet_refused_by_disconnect_data(void **state)
{
    (void)state;
    uint16_t port;
    ENetHost *srv = fake_enet_relay(&port);
    struct ricochet *c = harness_client(port, "r1", "tester", PROTO_MODE_UNSEQUENCED, false);
    struct ricochet_event ev;
    ENetEvent e;
    bool down = false, closed = false;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (!down && clock_now_ms() < deadline) {
        if (ricochet_poll(c, 5, &ev) == 1 && ev.type == RICOCHET_EV_DISCONNECTED)
            down = true;
        if (enet_host_service(srv, &e, 0) <= 0)
            continue;
        if (e.type == ENET_EVENT_TYPE_RECEIVE) {
            enet_packet_destroy(e.packet); /* the join: refused without an error */
            if (!closed)
                enet_peer_disconnect(e.peer, PROTO_ERROR_TOO_MANY_ROOMS);
            closed = true;
        }
    }
    assert_true(down);
    assert_string_equal(ev.code, "too_many_rooms");
    assert_string_equal(ricochet_end_reason(c), "relay refused the join: too_many_rooms "
                                              "(the relay has as many rooms as it allows)");
    ricochet_close(c);
    enet_host_destroy(srv);
    enet_deinitialize();
}

/* A fleet's relay names a room's holder only to an address that has shown
 * itself (its cookie echoed); one that has not within the relay's wait gets
 * the DISCONNECT's code alone, "moved" with no MOVED before it (a busy
 * machine's join). A client that may rejoin takes that as "the room is
 * elsewhere": it joins again through its entry relay, which names the
 * holder, rather than ending "refused the join: moved". */
static void a_bare_moved_on_a_first_join_joins_again(void **state)
{
    (void)state;
    uint16_t port;
    ENetHost *srv = fake_enet_relay(&port);
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = "r1",
                                .name = "tester", .mode = PROTO_MODE_UNSEQUENCED,
                                .timeout_ms = 5000, .rejoin_ms = 5000};
    char err[256] = "";
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    assert_non_null(c);
    struct ricochet_event ev;
    ENetEvent e;
    int joins = 0;
    bool down = false;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (!down && joins < 2 && clock_now_ms() < deadline) {
        if (ricochet_poll(c, 5, &ev) == 1 && ev.type == RICOCHET_EV_DISCONNECTED)
            down = true;
        if (enet_host_service(srv, &e, 0) <= 0 || e.type != ENET_EVENT_TYPE_RECEIVE)
            continue;
        bool join = memmem(e.packet->data, e.packet->dataLength, "\"join\"", 6) != NULL;
        enet_packet_destroy(e.packet);
        if (join && ++joins == 1)
            enet_peer_disconnect(e.peer, PROTO_ERROR_MOVED); /* the code alone */
    }
    if (down)
        fail_msg("the client ended: %s", ricochet_end_reason(c));
    assert_int_equal(joins, 2);
    ricochet_close(c);
    enet_host_destroy(srv);
    enet_deinitialize();
}

/* The DISCONNECTED event of one client of a hub, if it came. */
struct hub_end {
    const struct ricochet *c;
    bool ended;
};

static void hub_end_fn(void *ctx, struct ricochet *c, void *user, const struct ricochet_event *ev)
{
    struct hub_end *end = ctx;
    (void)user;
    if (c == end->c && ev->type == RICOCHET_EV_DISCONNECTED)
        end->ended = true;
}

/* Serves the hub and srv until a join whose bytes hold name reaches srv
 * (its peer, or NULL), or end's client ends. */
static ENetPeer *hub_join_arrives(struct client_hub *hub, ENetHost *srv, const char *name,
                                  struct hub_end *end)
{
    ENetEvent e;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (!end->ended && clock_now_ms() < deadline) {
        client_hub_service(hub, hub_end_fn, end);
        client_hub_flush(hub);
        if (enet_host_service(srv, &e, 5) <= 0 || e.type != ENET_EVENT_TYPE_RECEIVE)
            continue;
        bool named = memmem(e.packet->data, e.packet->dataLength, name, strlen(name)) != NULL;
        enet_packet_destroy(e.packet);
        if (named)
            return e.peer;
    }
    return NULL;
}

/* A member the relay moves on hangs up at once, and its hub slot is free;
 * the relay's DISCONNECT to it, with the code, may come a moment later.
 * ENet 1.3.17 hands a connecting peer's datagrams over without checking
 * their session bits: the next client of the hub, connecting to the same
 * relay from that slot, ended "moved" without ever joining. A slot just
 * left rests: the next client connects from another and joins. */
static void a_moved_members_late_goodbye_spares_the_next_client(void **state)
{
    (void)state;
    uint16_t port;
    ENetHost *srv = fake_enet_relay(&port);
    char err[256];
    struct client_hub *hub = client_hub_create(4, err, sizeof err);
    assert_non_null(hub);
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = "r1",
                                .name = "first", .mode = PROTO_MODE_UNSEQUENCED,
                                .timeout_ms = 5000, .hub = hub};
    struct ricochet *moved = client_create(&cfg, err, sizeof err);
    assert_non_null(moved);
    struct hub_end end = {.c = moved};
    ENetPeer *at_relay = hub_join_arrives(hub, srv, "first", &end);
    assert_non_null(at_relay);
    struct proto_control m; /* the relay moves it on */
    proto_control_init(&m, PROTO_CTL_MOVED);
    snprintf(m.room, sizeof m.room, "r1");
    snprintf(m.host, sizeof m.host, "127.0.0.1");
    m.port = 9;
    m.transport = PROTO_MODE_UNSEQUENCED;
    m.epoch = 1;
    char json[PROTO_CONTROL_MAX];
    int jl = proto_control_encode(json, sizeof json, &m);
    assert_true(jl > 0);
    enet_peer_send(at_relay, PROTO_CHANNEL_CONTROL,
                   enet_packet_create(json, (size_t)jl, ENET_PACKET_FLAG_RELIABLE));
    enet_host_flush(srv);
    for (uint64_t until = clock_now_ms() + WAIT_MS;
         !moved->move.hop_pending && clock_now_ms() < until;) {
        client_hub_service(hub, hub_end_fn, &end);
        usleep(1000);
    }
    assert_true(moved->move.hop_pending); /* it hung up */
    cfg.name = "second";
    struct ricochet *next = client_create(&cfg, err, sizeof err);
    assert_non_null(next);
    enet_peer_disconnect(at_relay, PROTO_ERROR_MOVED); /* the relay's goodbye, late */
    enet_host_flush(srv);
    end = (struct hub_end){.c = next};
    ENetPeer *joined = hub_join_arrives(hub, srv, "second", &end);
    if (end.ended)
        fail_msg("the next client ended: %s", ricochet_end_reason(next));
    assert_non_null(joined);
    ricochet_close(moved);
    ricochet_close(next);
    client_hub_destroy(hub);
    enet_host_destroy(srv);
    enet_deinitialize();
}

/* Serves srv with a pause of delays[k] ms after each service, k going
 * round the list, while c sends a reliable state every 100 ms, for ms.
 * Returns 0, or -1 if c went dead. */
static int serve_late_acks(ENetHost *srv, struct ricochet *c, uint64_t ms)
{
    static const unsigned delays[] = {0, 200, 50, 150, 100};
    struct ricochet_event ev;
    ENetEvent e;
    uint64_t end = clock_now_ms() + ms, next_send = 0, next_serve = 0;
    for (size_t k = 0; clock_now_ms() < end; ) {
        uint64_t now = clock_now_ms();
        if (now >= next_send) {
            struct proto_state st = {.send_us = clock_now_us()};
            if (client_send_state(c, &st, 0) != 0)
                return -1;
            next_send = now + 100;
        }
        if (now >= next_serve) {
            while (enet_host_service(srv, &e, 0) > 0)
                if (e.type == ENET_EVENT_TYPE_RECEIVE)
                    enet_packet_destroy(e.packet);
            next_serve = now + delays[k++ % (sizeof delays / sizeof delays[0])];
        }
        if (ricochet_poll(c, 5, &ev) == 1 && ev.type == RICOCHET_EV_DISCONNECTED)
            return -1;
    }
    return 0;
}

/* A relay gone silent (killed) is noticed within the client's timeout,
 * also after its acknowledgements came late and irregularly, as from a
 * loaded host. ENet 1.3.17 alone checks its timeout only when its oldest
 * unacknowledged command's retransmission timer runs out, a timer that
 * doubles at each resend: it noticed 7.7 to 9.1 s after a 5 s timeout. */
static void silent_relay_noticed_within_the_timeout(void **state)
{
    (void)state;
    uint16_t port;
    ENetHost *srv = fake_enet_relay(&port);
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = "r1",
                                .name = "tester", .mode = PROTO_MODE_RELIABLE,
                                .timeout_ms = 5000};
    char err[256] = "";
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    assert_non_null(c);
    static struct proto_control m;
    accept_join(srv, c, &m);
    struct ricochet_event ev;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (!ricochet_joined(c) && clock_now_ms() < deadline) {
        ricochet_poll(c, 5, &ev);
        enet_host_service(srv, NULL, 0);
    }
    assert_true(ricochet_joined(c));
    assert_int_equal(serve_late_acks(srv, c, 2000), 0); /* ENet learns a long, varied RTT */
    /* silent from now: the last datagrams it answered were sent at most
     * 200 ms before */
    uint64_t silent = clock_now_ms(), next_send = 0;
    bool down = false;
    while (!down && clock_now_ms() < silent + 3 * cfg.timeout_ms) {
        if (clock_now_ms() >= next_send) {
            struct proto_state st = {.send_us = clock_now_us()};
            client_send_state(c, &st, 0);
            next_send = clock_now_ms() + 100;
        }
        down = ricochet_poll(c, 5, &ev) == 1 && ev.type == RICOCHET_EV_DISCONNECTED;
    }
    uint64_t took = clock_now_ms() - silent;
    print_message("a silent relay noticed after %llu ms (timeout %u ms)\n",
                  (unsigned long long)took, cfg.timeout_ms);
    assert_true(down);
    assert_string_equal(ev.code, RICOCHET_END_DISCONNECTED);
    assert_true(took + 200 >= cfg.timeout_ms); /* not before it */
    assert_true(took <= cfg.timeout_ms + 1500);
    ricochet_close(c);
    enet_host_destroy(srv);
    enet_deinitialize();
}

/* The config's mode picks the first transport whose caps.modes has it:
 * every mode has exactly one among those with a mode of their own, and it
 * is the one the mode table says (ENet modes over ENet, with channels and
 * a connection; a stream's over TCP or a WebSocket, with a connection and
 * no channels); QUIC carries the ENet modes too, and alone streams. */
static void every_mode_has_one_transport(void **state)
{
    (void)state;
    for (unsigned m = 0; m < PROTO_MODE_COUNT; m++) {
        bool enet = client_enet_ops.caps.modes & (1u << m);
        bool udp = client_udp_ops.caps.modes & (1u << m);
        bool tcp = client_tcp_ops.caps.modes & (1u << m);
        bool ws = client_ws_ops.caps.modes & (1u << m);
        bool quic = client_quic_ops.caps.modes & (1u << m);
        assert_int_equal(enet + udp + tcp + ws + (quic && !enet), 1);
        assert_int_equal(enet, proto_mode_info((enum proto_mode)m)->enet);
        assert_int_equal(tcp || ws, proto_mode_info((enum proto_mode)m)->stream);
        assert_int_equal(quic && !enet, m == PROTO_MODE_STREAMS);
        assert_true(!enet || quic);
    }
    assert_true(!client_ws_ops.caps.channels && client_ws_ops.caps.connection);
    assert_true(client_enet_ops.caps.channels && client_enet_ops.caps.connection);
    assert_false(client_udp_ops.caps.channels || client_udp_ops.caps.connection);
    assert_true(!client_tcp_ops.caps.channels && client_tcp_ops.caps.connection);
    assert_true(client_quic_ops.caps.channels && client_quic_ops.caps.connection &&
                client_quic_ops.caps.secure);
}

/* The times client c pings at, clock timers run every ms from t to end,
 * each ping answered rtt_us later (the relay's clock 5 ms ahead). */
static size_t ping_times(struct ricochet *c, uint64_t t, uint64_t end, uint64_t rtt_us,
                         uint64_t *at, size_t cap)
{
    size_t n = 0;
    uint64_t answer_at = 0, asked = 0;
    for (; t < end; t += 1000) {
        uint64_t before = c->sync.next_ping_us;
        client_timers(c, t);
        if (c->sync.next_ping_us != before && n < cap) {
            at[n++] = t;
            asked = t;
            answer_at = t + rtt_us;
        }
        if (answer_at && t >= answer_at) {
            struct proto_control m;
            proto_control_init(&m, PROTO_CTL_PONG);
            m.t = asked;
            m.relay_t = asked + 5000;
            feed_control(c, &m, t);
            answer_at = 0;
        }
    }
    return n;
}

/* The gap before clock ping i (i >= 1) when every pong leaves the estimate
 * as it was: 100 ms for the first 10 samples, then 1 s, doubling per
 * ping up to 8 s. */
static uint64_t steady_gap(size_t i)
{
    if (i <= 10)
        return 100000;
    return i - 11 >= 3 ? 8000000 : (uint64_t)1000000 << (i - 11);
}

/* Clock pings come every 100 ms for the first 10 samples, then every
 * second, backing off (doubling up to 8 s) while the estimate holds; each
 * give or take a quarter at random: clients that joined together drift
 * apart instead of pinging a relay in the same millisecond. The jitter is
 * seeded by the client's name: two clients of one swarm differ. */
static void clock_pings_are_jittered(void **state)
{
    (void)state;
    enum { CAP = 64 };
    uint64_t a[CAP], b[CAP];
    struct ricochet *c = joined_detached(PROTO_MODE_UNSEQUENCED, 1000);
    size_t n = ping_times(c, 1000, 50000000, 1000, a, CAP);
    assert_true(n >= 10 + 3 + 4); /* 10 fast, 1 + 2 + 4 s, then every 6-10 s */
    uint64_t lo[2] = { UINT64_MAX, UINT64_MAX }, hi[2] = { 0, 0 };
    for (size_t i = 1; i < n; i++) {
        uint64_t gap = a[i] - a[i - 1], base = steady_gap(i);
        assert_true(gap >= base * 3 / 4 && gap <= base * 5 / 4 + 1000);
        int slow = base == 8000000;
        if (!slow && base != 100000)
            continue;
        lo[slow] = gap < lo[slow] ? gap : lo[slow];
        hi[slow] = gap > hi[slow] ? gap : hi[slow];
    }
    assert_true(hi[0] - lo[0] >= 10000);  /* not one fixed period */
    assert_true(hi[1] - lo[1] >= 100000);
    ricochet_close(c);

    /* another client (another name) on the same clock: other times */
    struct ricochet *d = joined_detached_as("tester-2", PROTO_MODE_UNSEQUENCED, 1000);
    size_t m = ping_times(d, 1000, 50000000, 1000, b, CAP);
    size_t same = 0;
    for (size_t i = 1; i < n && i < m; i++)
        same += a[i] == b[i];
    assert_true(same < 3);
    ricochet_close(d);
}

/* Backed off while the estimate held, a client pings again a second after
 * a sample that changed it (a shorter round trip: a better estimate may
 * follow). */
static void clock_pings_speed_up_when_the_estimate_changes(void **state)
{
    (void)state;
    enum { CAP = 64 };
    uint64_t a[CAP];
    struct ricochet *c = joined_detached(PROTO_MODE_UNSEQUENCED, 1000);
    size_t n = ping_times(c, 1000, 30000000, 2000, a, CAP);
    assert_true(n >= 10 + 3 + 1);
    uint64_t last = a[n - 1];
    assert_true(last - a[n - 2] >= 6000000); /* backed off to 8 s, give or take */
    /* From here each pong comes in 1 ms, not 2: the first changes the estimate. */
    n = ping_times(c, last + 1000, last + 20000000, 1000, a, CAP);
    assert_true(n >= 2);
    assert_true(a[1] - a[0] >= 750000 && a[1] - a[0] <= 1250000 + 1000);
    ricochet_close(c);
}

/* A fleet's moved: the session goes on at the named relay (a MOVED event at
 * the next poll), at most twice per join and never back; a moved for
 * another room or to the other transport is not followed. */
static void feed_moved(struct ricochet *c, const char *room, const char *host, uint16_t port,
                       enum proto_mode transport)
{
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_MOVED);
    snprintf(m.room, sizeof m.room, "%s", room);
    snprintf(m.host, sizeof m.host, "%s", host);
    m.port = port;
    m.transport = transport;
    m.epoch = 7;
    feed_control(c, &m, 1000);
}

static void moved_followed_twice_never_back(void **state)
{
    (void)state;
    struct ricochet *c = joined_detached(PROTO_MODE_RELIABLE, 1000);
    struct ricochet_event ev;
    feed_moved(c, "r1", "10.0.0.2", 7002, PROTO_MODE_UNSEQUENCED);
    assert_int_equal(ricochet_poll(c, 0, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_MOVED);
    assert_string_equal(ev.code, "moved");
    assert_string_equal(ev.text, "10.0.0.2:7002");
    assert_string_equal(ricochet_relay_host(c), "10.0.0.2");
    assert_int_equal(ricochet_relay_port(c), 7002);
    assert_false(ricochet_joined(c));
    feed_moved(c, "r1", "10.0.0.3", 7003, PROTO_MODE_UNSEQUENCED);
    assert_int_equal(ricochet_poll(c, 0, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_MOVED);
    feed_moved(c, "r1", "10.0.0.4", 7004, PROTO_MODE_UNSEQUENCED); /* a third hop */
    assert_int_equal(ricochet_poll(c, 0, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_DISCONNECTED);
    assert_string_equal(ev.code, RICOCHET_END_MOVED_TOO_FAR);
    assert_non_null(strstr(ricochet_end_reason(c), "10.0.0.4:7004"));
    ricochet_close(c);

    c = joined_detached(PROTO_MODE_RELIABLE, 1000);
    feed_moved(c, "r1", "10.0.0.2", 7002, PROTO_MODE_UNSEQUENCED);
    assert_int_equal(ricochet_poll(c, 0, &ev), 1);
    feed_moved(c, "r1", "127.0.0.1", 1, PROTO_MODE_UNSEQUENCED); /* where it started */
    assert_int_equal(ricochet_poll(c, 0, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_DISCONNECTED);
    assert_non_null(strstr(ricochet_end_reason(c), "sent back to 127.0.0.1:1"));
    ricochet_close(c);

    c = joined_detached(PROTO_MODE_RELIABLE, 1000);
    feed_moved(c, "other", "10.0.0.2", 7002, PROTO_MODE_UNSEQUENCED);
    assert_int_equal(ricochet_poll(c, 0, &ev), 0);
    assert_true(ricochet_joined(c));
    feed_moved(c, "r1", "10.0.0.2", 7002, PROTO_MODE_UDP);
    assert_int_equal(ricochet_poll(c, 0, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_DISCONNECTED);
    assert_string_equal(ev.code, RICOCHET_END_WRONG_TRANSPORT);
    /* where the room lives, its edge and what to do, no program's flag */
    assert_non_null(strstr(ricochet_end_reason(c), "its room lives at 10.0.0.2:7002, a "
                                                   "plain-UDP edge: connect there with the udp "
                                                   "mode"));
    assert_null(strstr(ricochet_end_reason(c), "--"));
    ricochet_close(c);
}

/* Reliable mode across a move: states sent between relays are held until
 * the members of the room before the move are there again, then sent in
 * order; unreliable modes do not hold. */
static void reliable_states_held_across_a_move(void **state)
{
    (void)state;
    struct ricochet *c = joined_detached(PROTO_MODE_RELIABLE, 1000);
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOINED);
    m.id = 2;
    strcpy(m.name, "mate");
    feed_control(c, &m, 1000);
    feed_moved(c, "r1", "10.0.0.2", 7002, PROTO_MODE_UNSEQUENCED);
    struct proto_state s = {.x = 1};
    assert_int_equal(client_send_state(c, &s, 0), RICOCHET_OK); /* before the hop */
    struct ricochet_event ev;
    assert_int_equal(ricochet_poll(c, 0, &ev), 1);
    assert_int_equal(ev.type, RICOCHET_EV_MOVED);
    assert_int_equal(client_send_state(c, &s, 0), RICOCHET_OK); /* between relays */
    assert_true(c->hold.holding);
    assert_int_equal(c->hold.n_held, 2);
    proto_control_init(&m, PROTO_CTL_WELCOME); /* welcomed alone: mate awaited */
    m.id = 5;
    strcpy(m.room, "r1");
    feed_control(c, &m, 2000);
    assert_true(c->hold.holding);
    assert_int_equal(client_send_state(c, &s, 0), RICOCHET_OK);
    assert_int_equal(c->hold.n_held, 3);
    proto_control_init(&m, PROTO_CTL_JOINED); /* mate is back: all go out */
    m.id = 6;
    strcpy(m.name, "mate");
    feed_control(c, &m, 3000);
    assert_false(c->hold.holding);
    assert_int_equal(c->hold.n_held, 0);
    assert_int_equal(client_next_seq(c), 4); /* none lost, none repeated */
    ricochet_close(c);

    c = joined_detached(PROTO_MODE_UNSEQUENCED, 1000);
    feed_moved(c, "r1", "10.0.0.2", 7002, PROTO_MODE_UNSEQUENCED);
    assert_int_equal(client_send_state(c, &s, 0), RICOCHET_E_NOT_JOINED);
    assert_false(c->hold.holding);
    ricochet_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_mode_has_one_transport),
        cmocka_unit_test(moved_followed_twice_never_back),
        cmocka_unit_test(reliable_states_held_across_a_move),
        cmocka_unit_test(enet_refused_by_disconnect_data),
        cmocka_unit_test(a_bare_moved_on_a_first_join_joins_again),
        cmocka_unit_test(a_moved_members_late_goodbye_spares_the_next_client),
        cmocka_unit_test(silent_relay_noticed_within_the_timeout),
        cmocka_unit_test(sequenced_filter_per_sender),
        cmocka_unit_test(sequenced_after_a_mode_switch),
        cmocka_unit_test(latency_waits_for_both_clock_offsets),
        cmocka_unit_test(enet_fake_relay),
        cmocka_unit_test(enet_batches_read_state_by_state),
        cmocka_unit_test(enet_datagram_handed_over_whole),
        cmocka_unit_test(clock_pings_are_jittered),
        cmocka_unit_test(clock_pings_speed_up_when_the_estimate_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
