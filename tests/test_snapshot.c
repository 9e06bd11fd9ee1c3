/* test_snapshot.c: what the loop shows the HTTP thread (relay/snapshot.h),
 * taken from the relay core through a fake transport and clock
 * (support/fake_relay.h). Readiness; a total a second on a fixed grid,
 * the newest kept; a snapshot's gauges, states by the mode they came in,
 * the busiest rooms (most members, then most states in, capped); tick lag
 * and fan-out durations; the board's publish, newest and heartbeat. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "relay/settings.h"
#include "relay/snapshot.h"
#include "tests/support/fake_relay.h"

static void readiness(void **state)
{
    (void)state;
    struct relay_readiness r = { .listening = true };
    assert_true(relay_ready(&r));
    r.draining = true;
    assert_false(relay_ready(&r));
    r = (struct relay_readiness){ .listening = true, .directory_configured = true };
    assert_false(relay_ready(&r)); /* configured, not reached yet */
    r.directory_reachable = true;
    assert_true(relay_ready(&r));
    r.listening = false;
    assert_false(relay_ready(&r));
}

static void a_total_each_second_on_a_fixed_grid(void **state)
{
    (void)state;
    struct relay_loop_figures f = { .start_us = 1000000 };
    struct relay_stats st = { 0 };
    relay_loop_second(&f, &st, 1000000); /* the start */
    for (uint64_t t = 1000000; t < 4000000; t += 100000) { /* 100 ms ticks */
        st.states_in += 10;
        st.states_out += 30;
        relay_loop_second(&f, &st, t + 100000);
    }
    assert_int_equal(f.seconds, 4); /* 1.0 s, then 2.0, 3.0, 4.0 */
    assert_int_equal(f.second_in[0], 0);
    assert_int_equal(f.second_in[1], 100);
    assert_int_equal(f.second_out[3], 900);
    /* A tick 1.25 s late records once, and the grid stays on whole seconds. */
    relay_loop_second(&f, &st, 6250000);
    relay_loop_second(&f, &st, 6900000);
    assert_int_equal(f.seconds, 5);
    relay_loop_second(&f, &st, 7000000);
    assert_int_equal(f.seconds, 6);
    /* Only the newest RELAY_SECONDS stay, oldest first. */
    for (uint64_t s = 8; s < 8 + 2 * RELAY_SECONDS; s++) {
        st.states_in = s;
        relay_loop_second(&f, &st, s * 1000000);
    }
    assert_int_equal(f.seconds, RELAY_SECONDS);
    assert_int_equal(f.second_in[RELAY_SECONDS - 1], 8 + 2 * RELAY_SECONDS - 1);
    assert_int_equal(f.second_in[0], 8 + RELAY_SECONDS);
}

/* Sends one state from peer in mode (its channel and flags up). */
static void state_in(struct relay *r, uint32_t peer, enum proto_mode mode, uint32_t seq)
{
    const struct proto_mode_info *mi = proto_mode_info(mode);
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 0, seq, 1.0f, 0);
    assert_int_equal(relay_on_datagram(r, peer, mi->up_channel, mi->up_flags, buf, len, now_us),
                     0);
}

static void take(struct relay_snapshot *s, const struct relay *r, const struct relay_config *cfg)
{
    struct relay_loop_figures loop = { .start_us = now_us - 2500000 };
    struct relay_readiness ready = { .listening = true };
    relay_snapshot_take(s, r, cfg, &loop, &ready, now_us);
}

static void gauges_modes_and_busiest_rooms(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    struct relay *r = relay_with_peers(&cfg, 7);
    /* arena: 3 members; duel and lobby: 2 each, lobby with more states in. */
    static const char *const rooms[] = { "arena", "arena", "arena", "duel", "duel", "lobby",
                                         "lobby" };
    for (uint32_t p = 0; p < 7; p++) {
        char name[8];
        snprintf(name, sizeof name, "p%u", (unsigned)p);
        assert_int_equal(join(r, p, rooms[p], name, false), 0);
    }
    state_in(r, 0, PROTO_MODE_UNSEQUENCED, 1); /* arena: 2 copies out */
    state_in(r, 1, PROTO_MODE_SEQUENCED, 1);
    state_in(r, 2, PROTO_MODE_RELIABLE, 1);
    state_in(r, 2, PROTO_MODE_RELIABLE, 2);
    state_in(r, 5, PROTO_MODE_UNSEQUENCED, 1); /* lobby: 1 copy each */
    state_in(r, 6, PROTO_MODE_UNSEQUENCED, 1);
    state_in(r, 3, PROTO_MODE_UNSEQUENCED, 1); /* duel */

    struct relay_snapshot s;
    memset(&s, 0xee, sizeof s); /* take fills every field */
    take(&s, r, &cfg);
    assert_int_equal(s.clients, 7);
    assert_int_equal(s.members, 7);
    assert_int_equal(s.rooms, 3);
    assert_int_equal(s.max_clients, cfg.max_clients);
    assert_true(s.uptime_s > 2.49 && s.uptime_s < 2.51);
    assert_int_equal(s.stats.states_in_mode[PROTO_MODE_UNSEQUENCED], 4);
    assert_int_equal(s.stats.states_in_mode[PROTO_MODE_SEQUENCED], 1);
    assert_int_equal(s.stats.states_in_mode[PROTO_MODE_RELIABLE], 2);
    assert_int_equal(s.stats.states_in_mode[PROTO_MODE_UDP], 0);
    assert_int_equal(s.stats.states_out_mode[PROTO_MODE_UNSEQUENCED], 2 + 1 + 1 + 1);
    assert_int_equal(s.stats.states_out_mode[PROTO_MODE_RELIABLE], 4);
    assert_int_equal(s.stats.states_out, 5 + 2 + 4);
    assert_int_equal(s.nbusiest, 3);
    assert_string_equal(s.busiest[0].name, "arena");
    assert_int_equal(s.busiest[0].members, 3);
    assert_int_equal(s.busiest[0].states_in, 4);
    assert_int_equal(s.busiest[0].states_out, 8);
    assert_string_equal(s.busiest[1].name, "lobby"); /* 2 members, 2 states in */
    assert_int_equal(s.busiest[1].states_out, 2);
    assert_string_equal(s.busiest[2].name, "duel");  /* 2 members, 1 state in */
    assert_true(s.ready.listening);
    relay_destroy(r);
}

static void busiest_rooms_are_capped(void **state)
{
    (void)state;
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = 64;
    cfg.max_clients = 60;
    struct relay *r = relay_with_peers(&cfg, 40);
    /* Room k has k + 1 members for k < 8, one for the others: 16 rooms. */
    uint32_t peer = 0;
    for (uint32_t k = 0; k < 16; k++) {
        char room[16], name[16];
        snprintf(room, sizeof room, "room%u", (unsigned)k);
        for (uint32_t m = 0; m < (k < 8 ? k + 1 : 1) && peer < 40; m++, peer++) {
            snprintf(name, sizeof name, "n%u", (unsigned)peer);
            assert_int_equal(join(r, peer, room, name, false), 0);
        }
    }
    struct relay_room_info top[RELAY_BUSIEST_MAX];
    assert_int_equal(relay_busiest_rooms(r, top, RELAY_BUSIEST_MAX), RELAY_BUSIEST_MAX);
    for (uint32_t i = 0; i < 8; i++) {
        char want[16];
        snprintf(want, sizeof want, "room%u", (unsigned)(7 - i));
        assert_string_equal(top[i].name, want);
        assert_int_equal(top[i].members, 8 - i);
    }
    assert_int_equal(top[8].members, 1);
    assert_int_equal(top[9].members, 1);
    assert_int_equal(relay_busiest_rooms(r, top, 2), 2);
    assert_string_equal(top[1].name, "room6");
    assert_int_equal(relay_busiest_rooms(r, top, 0), 0);
    relay_destroy(r);
}

static void tick_lag_and_fanout(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    cfg.tick_us = 10000;
    struct relay *r = relay_with_peers(&cfg, 2);
    assert_int_equal(join(r, 0, "lobby", "a", false), 0);
    assert_int_equal(join(r, 1, "lobby", "b", false), 0);
    state_in(r, 0, PROTO_MODE_UNSEQUENCED, 1);
    uint64_t due = relay_tick_due(r);
    assert_int_equal(relay_tick(r, due - 1), 0); /* not yet: nothing recorded */
    assert_int_equal(relay_stats(r)->tick_lag.count, 0);
    assert_int_equal(relay_tick(r, due + 3000), 1);
    const struct timehist *lag = &relay_stats(r)->tick_lag;
    assert_int_equal(lag->count, 1);
    assert_int_equal(lag->sum_us, 3000);
    assert_int_equal(lag->counts[8], 1); /* 3 ms: in (2.5 ms, 5 ms] */
    relay_fanout_took(r, 40);
    assert_int_equal(relay_stats(r)->fanout.count, 1);
    assert_int_equal(relay_stats(r)->fanout.counts[2], 1); /* 40 µs: in (25 µs, 50 µs] */
    relay_destroy(r);
}

static void board_publishes_the_newest(void **state)
{
    (void)state;
    struct relay_board *b = relay_board_create();
    assert_non_null(b);
    assert_null(relay_board_newest(b));
    assert_int_equal(relay_board_heartbeat(b), 0);
    relay_board_back(b)->clients = 1;
    relay_board_publish(b);
    relay_board_back(b)->clients = 2;
    relay_board_publish(b);
    assert_int_equal(relay_board_newest(b)->clients, 2);
    relay_board_beat(b, 12345);
    assert_int_equal(relay_board_heartbeat(b), 12345);
    relay_board_destroy(b);
    relay_board_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(readiness),
        cmocka_unit_test(a_total_each_second_on_a_fixed_grid),
        cmocka_unit_test_setup_teardown(gauges_modes_and_busiest_rooms, fake_relay_setup,
                                        fake_relay_teardown),
        cmocka_unit_test_setup_teardown(busiest_rooms_are_capped, fake_relay_setup,
                                        fake_relay_teardown),
        cmocka_unit_test_setup_teardown(tick_lag_and_fanout, fake_relay_setup,
                                        fake_relay_teardown),
        cmocka_unit_test(board_publishes_the_newest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
