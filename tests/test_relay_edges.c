/* test_relay_edges.c: the relay core on two fake edges at once (channels and
 * datagrams): handles in a range per edge (a fake fails any call with another
 * edge's handle), one room of both, a state crossing edges in one `send_state`
 * per edge in the edges' order with one stamped id and its mode's way down (a
 * plain-UDP sender's: the state channel, unsequenced), control through each
 * member's own edge, capabilities (modes, repeated joins, a welcome's length)
 * from the member's edge, each edge told a member's way down at its join, the tick's fan-out to both, counters per edge summing
 * to the totals, a moved room sending each member to an edge of its kind */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto/control.h"
#include "proto/mode.h"
#include "proto/wire.h"
#include "relay/core/fleet.h"
#include "relay/core/relay.h"
#include "relay/settings.h"
#include "relay/stats_record.h"
#include "tests/support/fake_relay.h"

#define EACH 8 /* handles per edge: 0..7 have channels, 8..15 are datagrams' */

/* A datagram state from peer (plain UDP's way up). */
static int send_datagram_state(struct relay *r, uint32_t peer, uint32_t seq)
{
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 0, seq, 3.5f, 0);
    return relay_on_datagram(r, peer, PROTO_CHANNEL_DATAGRAM, 0, buf, len, now_us);
}

/* Peers 0 and 1 over channels, 8 and 9 over datagrams, all in "lobby"
 * (ids 1, 2, 3, 4); the record cleared. */
static struct relay *mixed_lobby(const struct relay_config *cfg)
{
    struct relay *r = make_two_edge(cfg, EACH);
    static const uint32_t peers[] = {0, 1, EACH, EACH + 1};
    static const char *const names[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++) {
        connect_peer(r, peers[i]);
        assert_int_equal(join_on(r, peers[i],
                                 peers[i] < EACH ? PROTO_CHANNEL_CONTROL : PROTO_CHANNEL_DATAGRAM,
                                 "lobby", names[i], false),
                         0);
    }
    fake_clear();
    return r;
}

static void handles_come_in_ranges_per_edge(void **state)
{
    (void)state;
    struct relay *r = make_two_edge(NULL, EACH);
    assert_int_equal(relay_edge_base(r, 0), 0);
    assert_int_equal(relay_edge_base(r, 1), EACH);
    assert_int_equal(relay_peer_edge(r, 0), 0);
    assert_int_equal(relay_peer_edge(r, EACH - 1), 0);
    assert_int_equal(relay_peer_edge(r, EACH), 1);
    assert_int_equal(relay_peer_edge(r, 2 * EACH - 1), 1);
    assert_string_equal(relay_edge_name(r, 0), "channels");
    assert_string_equal(relay_edge_name(r, 1), "datagrams");
    assert_string_equal(relay_edge_name(r, 2), "");
    assert_int_equal(relay_stats(r)->n_edges, 2);
    assert_string_equal(relay_stats(r)->edges[1].name, "datagrams");
    /* The total is the relay's: one past the last edge's range is refused. */
    assert_int_equal(connect_at(r, 2 * EACH, "127.0.0.1:1"), -1);
    connect_peer(r, 2 * EACH - 1);
    assert_true(relay_peer_connected(r, 2 * EACH - 1));
    relay_destroy(r);

    /* No edge, or too many, is no relay. */
    struct relay_config cfg = small_config();
    struct relay_transport many[RELAY_EDGES_MAX + 1];
    for (int i = 0; i <= RELAY_EDGES_MAX; i++)
        many[i] = fake_tp;
    assert_null(relay_create(&cfg, many, 0));
    assert_null(relay_create(&cfg, many, RELAY_EDGES_MAX + 1));
}

/* One state reaches every member of both edges with its sender's id, in
 * one send_state call per edge, the edges in order; the way down is the
 * sender's mode's (a plain-UDP sender's goes down as unsequenced). */
static void a_state_crosses_edges_once_per_edge(void **state)
{
    (void)state;
    struct relay *r = mixed_lobby(NULL);

    assert_int_equal(send_state(r, 0, 99, 1), 0); /* unsequenced, a forged id */
    assert_int_equal(fk.n_states, 3);
    assert_int_equal(fk.n_calls, 2);
    static const uint32_t order[] = {1, EACH, EACH + 1};
    for (size_t i = 0; i < 3; i++) {
        const struct sent_state *s = &fk.states[i];
        assert_int_equal(s->peer, order[i]);
        assert_int_equal(s->edge, order[i] < EACH ? FAKE_CHANNELS : FAKE_DATAGRAM);
        assert_int_equal(s->call, order[i] < EACH ? 0 : 1);
        assert_int_equal(s->channel, PROTO_CHANNEL_STATE);
        assert_int_equal(s->flags, PROTO_FLAG_UNSEQUENCED);
        struct proto_state got;
        assert_int_equal(proto_state_decode(s->bytes, s->len, &got), 0);
        assert_int_equal(got.sender, 1);
    }
    fake_clear();

    /* From a datagram member: to both edges, stamped 3, on the state
     * channel, unsequenced (proto/mode.c). */
    assert_int_equal(send_datagram_state(r, EACH, 1), 0);
    assert_int_equal(fk.n_states, 3);
    assert_int_equal(fk.n_calls, 2);
    static const uint32_t order2[] = {0, 1, EACH + 1};
    for (size_t i = 0; i < 3; i++) {
        const struct sent_state *s = &fk.states[i];
        assert_int_equal(s->peer, order2[i]);
        const struct proto_mode_info *mi = proto_mode_info(PROTO_MODE_UDP);
        assert_int_equal(s->channel, mi->down_channel);
        assert_int_equal(s->flags, mi->down_flags);
        assert_int_equal(s->channel, PROTO_CHANNEL_STATE);
        assert_int_equal(s->flags, PROTO_FLAG_UNSEQUENCED);
        struct proto_state got;
        assert_int_equal(proto_state_decode(s->bytes, s->len, &got), 0);
        assert_int_equal(got.sender, 3);
    }
    enum proto_mode seen;
    assert_int_equal(proto_mode_from_down(PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, &seen), 0);
    assert_int_equal(seen, PROTO_MODE_UNSEQUENCED); /* what an ENet member sees it as */
    fake_clear();

    /* A reliable state keeps its way down to every edge. */
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 0, 2, 1.0f, 0);
    assert_int_equal(relay_on_datagram(r, 1, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_RELIABLE, buf,
                                       len, now_us), 0);
    assert_int_equal(fk.n_states, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(fk.states[i].channel, PROTO_CHANNEL_RELIABLE);
        assert_int_equal(fk.states[i].flags, PROTO_FLAG_RELIABLE);
    }
    /* Counted by the mode they came in, whatever the edges. */
    assert_int_equal(relay_stats(r)->states_out_mode[PROTO_MODE_UDP], 3);
    assert_int_equal(relay_stats(r)->states_out_mode[PROTO_MODE_RELIABLE], 3);
    assert_int_equal(relay_stats(r)->states_out_mode[PROTO_MODE_UNSEQUENCED], 3);
    relay_destroy(r);
}

/* Notices and chat go to each member through its own edge. */
static void control_goes_through_each_members_edge(void **state)
{
    (void)state;
    struct relay *r = mixed_lobby(NULL);
    assert_int_equal(send_text(r, 0, "{\"type\":\"chat\",\"text\":\"hi\"}"), 0);
    size_t seen = 0;
    for (size_t i = 0; i < fk.n_ctl; i++) {
        assert_int_equal(fk.ctl[i].edge, fk.ctl[i].peer < EACH ? FAKE_CHANNELS : FAKE_DATAGRAM);
        seen += ctl_at(i)->type == PROTO_CTL_CHAT;
    }
    assert_int_equal(seen, 4); /* the room, its sender included */
    fake_clear();
    relay_peer_gone(r, EACH, PROTO_LEFT_TIMEOUT, now_us);
    expect_left(0, 3, PROTO_LEFT_TIMEOUT);
    expect_left(EACH + 1, 3, PROTO_LEFT_TIMEOUT);
    relay_destroy(r);
}

/* What the core decides from an edge's capabilities it decides from the
 * member's own edge: the modes it may join with, how often a repeated join
 * is answered (forgeable), how long a welcome may be (message_max). */
static void capabilities_are_the_members_edge(void **state)
{
    (void)state;
    struct relay *r = make_two_edge(NULL, 40);
    connect_peer(r, 0);
    connect_peer(r, 40);
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "lobby");
    snprintf(m.name, sizeof m.name, "enetish");
    m.mode = PROTO_MODE_UDP;
    assert_int_equal(send_control_msg(r, 0, PROTO_CHANNEL_CONTROL, &m),
                     DROP(RELAY_DROP_BAD_FIELD));
    m.mode = PROTO_MODE_RELIABLE; /* the datagram edge carries one mode: udp */
    snprintf(m.name, sizeof m.name, "dgram");
    assert_int_equal(send_control_msg(r, 40, PROTO_CHANNEL_DATAGRAM, &m), 0);
    m.mode = PROTO_MODE_SEQUENCED;
    snprintf(m.name, sizeof m.name, "enetish");
    assert_int_equal(send_control_msg(r, 0, PROTO_CHANNEL_CONTROL, &m), 0);
    const struct proto_control *w = last_ctl(0, PROTO_CTL_WELCOME);
    assert_non_null(w);
    for (size_t i = 0; i < w->roster_len; i++)
        assert_int_equal(w->roster[i].mode,
                         w->roster[i].id == 1 ? PROTO_MODE_UDP : PROTO_MODE_SEQUENCED);

    /* A repeated join: at once over channels, not within 250 ms over datagrams. */
    fake_clear();
    assert_int_equal(send_control_msg(r, 0, PROTO_CHANNEL_CONTROL, &m), 0);
    assert_int_equal(count_ctl(0, PROTO_CTL_WELCOME), 1);
    snprintf(m.name, sizeof m.name, "dgram");
    assert_int_equal(send_control_msg(r, 40, PROTO_CHANNEL_DATAGRAM, &m), 0);
    assert_int_equal(count_ctl(40, PROTO_CTL_WELCOME), 0);

    /* 30 more members with long names: a welcome over datagrams is split
     * to fit RELAY_DATAGRAM_MAX, over channels it is whole. */
    for (uint32_t p = 1; p <= 30; p++) {
        char name[40];
        snprintf(name, sizeof name, "a_rather_long_player_name_%04u", (unsigned)p);
        connect_peer(r, p);
        assert_int_equal(join(r, p, "lobby", name, false), 0);
    }
    fake_clear();
    connect_peer(r, 41);
    connect_peer(r, 31);
    assert_int_equal(join_on(r, 41, PROTO_CHANNEL_DATAGRAM, "lobby", "late_dgram", false), 0);
    assert_int_equal(join(r, 31, "lobby", "late_channels", false), 0);
    size_t dgram_welcome = 0, chan_welcome = 0;
    for (size_t i = 0; i < fk.n_ctl; i++) {
        if (ctl_at(i)->type != PROTO_CTL_WELCOME)
            continue;
        if (fk.ctl[i].peer == 41)
            dgram_welcome = fk.ctl[i].len;
        if (fk.ctl[i].peer == 31)
            chan_welcome = fk.ctl[i].len;
    }
    assert_true(dgram_welcome > 0 && dgram_welcome <= RELAY_DATAGRAM_MAX);
    assert_true(chan_welcome > RELAY_DATAGRAM_MAX);
    assert_true(count_ctl(41, PROTO_CTL_JOINED) > 0); /* those left out of its roster */
    assert_int_equal(count_ctl(31, PROTO_CTL_JOINED), 0);
    relay_destroy(r);
}

/* Each edge is told how a member's states go down before its welcome
 * (batches as its join asked, the mode it joined in), and that it is no
 * member once it left: what it shapes its sends by, never asking the core
 * in the middle of one. */
static void each_edge_is_told_its_members_way(void **state)
{
    (void)state;
    struct relay *r = make_two_edge(NULL, EACH);
    connect_peer(r, 0);
    connect_peer(r, EACH);
    assert_false(fk.member[0].is || fk.member[EACH].is);
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "lobby");
    snprintf(m.name, sizeof m.name, "dgram");
    m.mode = PROTO_MODE_UDP;
    m.batch = true;
    assert_int_equal(send_control_msg(r, EACH, PROTO_CHANNEL_DATAGRAM, &m), 0);
    assert_int_equal(join(r, 0, "lobby", "enetish", false), 0);
    assert_true(fk.member[EACH].is && fk.member[EACH].way.batches);
    assert_int_equal(fk.member[EACH].way.mode, PROTO_MODE_UDP);
    assert_true(fk.member[0].is && !fk.member[0].way.batches);
    for (uint32_t p = 0; p <= EACH; p += EACH) {
        size_t welcome = SIZE_MAX;
        for (size_t i = 0; i < fk.n_ctl && welcome == SIZE_MAX; i++)
            if (fk.ctl[i].peer == p && ctl_at(i)->type == PROTO_CTL_WELCOME)
                welcome = i;
        assert_true(welcome != SIZE_MAX && fk.member[p].ctl_at <= welcome);
    }
    proto_control_init(&m, PROTO_CTL_LEAVE);
    assert_int_equal(send_control_msg(r, EACH, PROTO_CHANNEL_DATAGRAM, &m), 0);
    assert_false(fk.member[EACH].is);
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    assert_false(fk.member[0].is);
    relay_destroy(r);
}

/* With a tick, the held states of members of both edges go out at its
 * end, each to both edges, in arrival order. */
static void tick_fans_out_to_both_edges(void **state)
{
    (void)state;
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.max_clients = 2 * EACH;
    cfg.tick_us = 10000;
    struct relay *r = mixed_lobby(&cfg);
    assert_int_equal(send_state(r, 0, 0, 1), 0);
    assert_int_equal(send_datagram_state(r, EACH, 1), 0);
    assert_int_equal(fk.n_states, 0);
    now_us += 10000;
    assert_int_equal(relay_tick(r, now_us), 2);
    assert_int_equal(fk.n_states, 6);
    assert_int_equal(fk.n_calls, 4); /* two states, each once per edge */
    for (size_t i = 0; i < 6; i++) {
        struct proto_state got;
        assert_int_equal(proto_state_decode(fk.states[i].bytes, fk.states[i].len, &got), 0);
        assert_int_equal(got.sender, i < 3 ? 1u : 3u);
    }
    relay_destroy(r);
}

/* Members, states and bytes, in and out, per edge: each edge's share of
 * the totals; conflated as a stream edge counts it. */
static void counted_per_edge(void **state)
{
    (void)state;
    struct relay *r = make_two_edge(NULL, EACH);
    const struct relay_stats *st = relay_stats(r);
    connect_peer(r, 0);
    connect_peer(r, EACH);
    connect_peer(r, EACH + 1);
    assert_int_equal(st->edges[0].clients, 1);
    assert_int_equal(st->edges[1].clients, 2);
    assert_int_equal(join(r, 0, "lobby", "a", false), 0);
    assert_int_equal(join_on(r, EACH, PROTO_CHANNEL_DATAGRAM, "lobby", "c", false), 0);
    assert_int_equal(join_on(r, EACH + 1, PROTO_CHANNEL_DATAGRAM, "lobby", "d", false), 0);
    assert_int_equal(st->edges[0].members, 1);
    assert_int_equal(st->edges[1].members, 2);
    fake_clear();
    for (uint32_t seq = 1; seq <= 5; seq++) {
        assert_int_equal(send_state(r, 0, 0, seq), 0);
        assert_int_equal(send_datagram_state(r, EACH, seq), 0);
    }
    assert_int_equal(st->edges[0].states_in, 5);
    assert_int_equal(st->edges[1].states_in, 5);
    uint64_t out[2] = {0, 0};
    for (size_t i = 0; i < fk.n_states; i++)
        out[fk.states[i].edge]++;
    assert_int_equal(st->edges[0].states_out, out[0]);
    assert_int_equal(st->edges[1].states_out, out[1]);
    assert_int_equal(out[0], 5);  /* c's to a */
    assert_int_equal(out[1], 15); /* a's to c and d, c's to d */
    assert_int_equal(st->edges[0].states_in + st->edges[1].states_in, st->states_in);
    assert_int_equal(st->edges[0].states_out + st->edges[1].states_out, st->states_out);
    assert_int_equal(st->edges[0].bytes_in + st->edges[1].bytes_in, st->bytes_in);
    assert_int_equal(st->edges[0].bytes_out + st->edges[1].bytes_out, st->bytes_out);
    assert_true(st->edges[0].bytes_in > 0 && st->edges[1].bytes_out > 0);

    relay_count_conflated(r, EACH + 1, 3);
    relay_count_conflated(r, 2 * EACH, 9); /* no such handle: nothing */
    assert_int_equal(st->edges[1].conflated, 3);
    assert_int_equal(st->edges[0].conflated, 0);

    relay_peer_gone(r, EACH, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(st->edges[1].members, 1);
    assert_int_equal(st->edges[1].clients, 1);
    relay_shutdown(r, now_us);
    assert_int_equal(st->edges[0].members + st->edges[1].members, 0);
    assert_int_equal(st->edges[0].clients + st->edges[1].clients, 0);
    relay_destroy(r);
}

/* A room that moves tells each member where an edge of its own kind is
 * on the other relay: one destination per edge. */
static void a_moved_room_sends_each_member_to_its_kind(void **state)
{
    (void)state;
    struct relay *r = mixed_lobby(NULL);
    struct relay_moved_to to[2] = {
        {.host = "10.0.0.9", .port = 7777, .transport = PROTO_MODE_UNSEQUENCED, .epoch = 5},
        {.host = "10.0.0.9", .port = 7778, .transport = PROTO_MODE_UDP, .epoch = 5},
    };
    assert_int_equal(relay_room_move(r, "lobby", to, now_us), 4);
    static const uint32_t peers[] = {0, 1, EACH, EACH + 1};
    for (size_t i = 0; i < 4; i++) {
        const struct proto_control *m = last_ctl(peers[i], PROTO_CTL_MOVED);
        assert_non_null(m);
        assert_string_equal(m->host, "10.0.0.9");
        assert_int_equal(m->port, peers[i] < EACH ? 7777 : 7778);
        assert_int_equal(m->transport, peers[i] < EACH ? PROTO_MODE_UNSEQUENCED : PROTO_MODE_UDP);
        assert_true(disconnected(peers[i]));
    }
    relay_destroy(r);
}

/* An edge's own counters (relay_transport.counters) as it sets them, in
 * its part of the stats record only, under their names; handles of the
 * other edge set nothing of it. */
static void an_edges_own_counters(void **state)
{
    (void)state;
    static const char *const names[] = {"offers", "checks_refused", NULL};
    struct relay_transport tps[2] = {fake_tp, fake_datagram_tp};
    tps[1].counters = names;
    struct relay *r = make_two_edge_of(NULL, EACH, tps);
    const uint64_t v[] = {7, 9, 11}; /* one more than it has: ignored */
    relay_edge_counters(r, EACH, v, 3);
    relay_edge_counters(r, 0, v, 3); /* the channels edge has none */
    relay_edge_counters(r, 4 * EACH, v, 3); /* no edge's */
    const struct relay_stats *s = relay_stats(r);
    assert_int_equal(s->edges[0].n_own, 0);
    assert_int_equal(s->edges[1].n_own, 2);
    assert_int_equal(s->edges[1].own[0], 7);
    assert_int_equal(s->edges[1].own[1], 9);
    char line[4096];
    assert_true(relay_stats_json(r, line, sizeof line, 1.0, false) > 0);
    assert_non_null(strstr(line, "\"datagrams\":{\"clients\":0,"));
    assert_non_null(strstr(line, "\"conflated\":0,\"offers\":7,\"checks_refused\":9}"));
    assert_non_null(strstr(line, "\"conflated\":0},\"datagrams\":")); /* none of channels' */
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handles_come_in_ranges_per_edge),
        cmocka_unit_test(a_state_crosses_edges_once_per_edge),
        cmocka_unit_test(control_goes_through_each_members_edge),
        cmocka_unit_test(capabilities_are_the_members_edge),
        cmocka_unit_test(each_edge_is_told_its_members_way),
        cmocka_unit_test(tick_fans_out_to_both_edges),
        cmocka_unit_test(counted_per_edge),
        cmocka_unit_test(a_moved_room_sends_each_member_to_its_kind),
        cmocka_unit_test(an_edges_own_counters),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
