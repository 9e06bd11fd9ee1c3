/* test_relay_limits.c: the relay core through a fake transport and a fake clock
 * (support/fake_relay.h): limits: the rate limit (nominal rates never limited, floods
 * throttled then kicked, short bursts not), kick bans (a kicked address refused for a
 * while, the defaults), and --max-clients against an edge whose connections count from
 * their join (a stream's: connections that never join keep no one out). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "proto/control.h"
#include "sys/log.h"
#include "stats/rng.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/settings.h"
#include "tests/support/fake_relay.h"

/* ---- rate limit ------------------------------------------------------- */

static void nominal_rate_is_never_limited(void **state)
{
    (void)state;
    struct relay *r = lobby_of_two(NULL, 2); /* defaults: 180/s, burst 60 */
    /* 60 Hz for 10 s, with a 1 s stall then catch-up burst of 60 at once. */
    uint32_t seq = 0;
    for (int i = 0; i < 600; i++) {
        now_us += 16667;
        assert_int_equal(send_state(r, 0, 0, seq++), 0);
    }
    now_us += 1000000;
    for (int i = 0; i < 60; i++)
        assert_int_equal(send_state(r, 0, 0, seq++), 0);
    assert_int_equal(drops(r, RELAY_DROP_RATE_LIMITED), 0);
    assert_int_equal(states_to(1), 660);
    relay_destroy(r);
}

static void rate_limit_then_kick(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.rate_limit = 100;
    cfg.rate_burst = 20;
    cfg.kick_after_ms = 2000;
    struct relay *r = lobby_of_two(&cfg, 2);
    /* 10x the limit: 1000/s. */
    uint32_t seq = 0;
    uint64_t start = now_us;
    while (relay_peer_connected(r, 0) && now_us - start < 5000000) {
        now_us += 1000;
        send_state(r, 0, 0, seq++);
    }
    uint64_t kicked_after = now_us - start;
    assert_false(relay_peer_connected(r, 0));
    assert_in_range(kicked_after, 2000000, 2100000);
    /* While throttled, about rate_limit/s got through. */
    size_t forwarded = states_to(1);
    assert_in_range(forwarded, 20 + 2 * 100 - 5, 20 + 2 * 100 + 5);
    assert_true(drops(r, RELAY_DROP_RATE_LIMITED) >= seq - forwarded - 1);
    /* Warned (about once a second), then kicked. */
    size_t warned = 0;
    for (size_t i = 0; i < fk.n_ctl; i++)
        if (fk.ctl[i].peer == 0 && ctl_at(i)->type == PROTO_CTL_ERROR &&
            strcmp(dec->code, "rate_limited") == 0)
            warned++;
    assert_in_range(warned, 2, 3);
    assert_string_equal(last_error(0), "kicked");
    assert_true(disconnected(0));
    expect_left(1, 1, PROTO_LEFT_KICKED);
    assert_int_equal(relay_stats(r)->kicks, 1);
    /* Whatever else it sends is dropped, and the other member is fine. */
    assert_int_equal(send_state(r, 0, 0, seq++), DROP(RELAY_DROP_CLOSED));
    assert_true(relay_peer_joined(r, 1));
    assert_int_equal(relay_rooms(r), 1);
    /* The transport's later DISCONNECT for it changes nothing. */
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(relay_stats(r)->leaves, 0);
    relay_destroy(r);
}

/* Sends at 1000/s for burst_us (10x the limit of make_burst_relay). */
static void burst(struct relay *r, uint32_t peer, uint64_t burst_us, uint32_t *seq)
{
    uint64_t end = now_us + burst_us;
    while (now_us < end && relay_peer_connected(r, peer)) {
        send_state(r, peer, 0, (*seq)++);
        now_us += 1000;
    }
}

static struct relay *make_burst_relay(void)
{
    struct relay_config cfg = small_config();
    cfg.rate_limit = 100;
    cfg.rate_burst = 20;
    cfg.kick_after_ms = 1000;
    struct relay *r = relay_with_peers(&cfg, 1);
    join(r, 0, "lobby", "a", false);
    return r;
}

/* The kick needs kick_after of rate limiting without a 1 s pause. Bursts
 * at 10x the limit, each 0.9 s long (so about 0.88 s of drops, just under
 * the 1 s kick_after), 1.1 s apart: many drops, never a kick. The same
 * bursts 0.5 s apart form one streak: kicked during the second burst. */
static void short_bursts_are_not_kicked(void **state)
{
    (void)state;
    struct relay *r = make_burst_relay();
    uint32_t seq = 0;
    for (int b = 0; b < 6; b++) {
        uint64_t dropped = drops(r, RELAY_DROP_RATE_LIMITED);
        burst(r, 0, 900000, &seq);
        assert_true(relay_peer_joined(r, 0));
        assert_true(drops(r, RELAY_DROP_RATE_LIMITED) - dropped > 700);
        now_us += 1100000;
    }
    assert_int_equal(relay_stats(r)->kicks, 0);
    relay_destroy(r);

    r = make_burst_relay();
    burst(r, 0, 900000, &seq);
    assert_true(relay_peer_joined(r, 0));
    now_us += 500000;
    uint64_t second = now_us;
    burst(r, 0, 900000, &seq);
    assert_false(relay_peer_connected(r, 0));
    assert_int_equal(relay_stats(r)->kicks, 1);
    /* The 0.5 s pause did not end the streak (which began about 20 ms into
     * the first burst): the first drop of the second burst, once its
     * refilled bucket is spent (about 20 ms in), is a kick. */
    assert_in_range(now_us - second, 10000, 60000);
    relay_destroy(r);
}

/* ---- kick bans -------------------------------------------------------- */

/* A small relay that kicks at the third strike and bans for 10 s. */
static struct relay_config ban_config(void)
{
    struct relay_config cfg = small_config();
    cfg.max_strikes = 3;
    cfg.kick_ban_ms = 10000;
    return cfg;
}

/* Kicks peer (connected from addr) with fast garbage. */
static void kick_peer(struct relay *r, uint32_t peer, const char *addr)
{
    fake_clear();
    assert_int_equal(connect_at(r, peer, addr), 0);
    for (int i = 0; i < 50 && relay_peer_connected(r, peer); i++) {
        now_us += 1000;
        send_text(r, peer, "garbage");
    }
    assert_false(relay_peer_connected(r, peer));
    assert_string_equal(last_error(peer), "kicked");
}

static void kicked_address_is_refused_for_a_while(void **state)
{
    (void)state;
    struct relay_config cfg = ban_config();
    struct relay *r = make_relay(&cfg);
    kick_peer(r, 0, "203.0.113.7:40000");
    assert_int_equal(relay_stats(r)->kicks, 1);

    /* Same IP address, another port: refused, told, counted. */
    fake_clear();
    assert_int_equal(connect_at(r, 1, "203.0.113.7:40001"), -1);
    assert_string_equal(last_error(1), "kicked");
    assert_non_null(strstr(last_ctl(1, PROTO_CTL_ERROR)->text, "try again in 10 s"));
    assert_true(disconnected(1));
    assert_false(relay_peer_connected(r, 1));
    assert_int_equal(drops(r, RELAY_DROP_BANNED), 1);
    assert_int_equal(relay_clients(r), 0);
    /* Another address is welcome. */
    assert_int_equal(connect_at(r, 2, "10.1.2.3:40002"), 0);
    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    /* Until the ban runs out. */
    now_us += 9999000;
    assert_int_equal(connect_at(r, 1, "203.0.113.7:40001"), -1);
    assert_int_equal(drops(r, RELAY_DROP_BANNED), 2);
    now_us += 1000;
    assert_int_equal(connect_at(r, 1, "203.0.113.7:40001"), 0);
    assert_int_equal(join(r, 1, "lobby", "b", false), 0);
    assert_int_equal(drops(r, RELAY_DROP_BANNED), 2);

    /* Many kicked addresses: the table forgets the oldest, never fails. */
    for (uint32_t i = 0; i < 100; i++) {
        char addr[32];
        snprintf(addr, sizeof addr, "10.9.%u.%u:5", (unsigned)(i / 250), (unsigned)(i % 250));
        kick_peer(r, 3, addr);
    }
    assert_int_equal(connect_at(r, 4, "10.9.0.99:6"), -1); /* the latest is banned */
    relay_destroy(r);

    /* kick_ban_ms 0: no ban. */
    cfg.kick_ban_ms = 0;
    r = make_relay(&cfg);
    kick_peer(r, 0, "203.0.113.7:40000");
    assert_int_equal(connect_at(r, 1, "203.0.113.7:40001"), 0);
    assert_int_equal(drops(r, RELAY_DROP_BANNED), 0);
    relay_destroy(r);
}

/* One host may hold a whole IPv6 /64: a kick bans the /64 (any address of
 * it, any port), not the next /64, and an IPv4-mapped address is its IPv4
 * one. */
static void a_kick_over_ipv6_bans_its_64(void **state)
{
    (void)state;
    struct relay_config cfg = ban_config();
    struct relay *r = make_relay(&cfg);
    kick_peer(r, 0, "[2001:db8:1:2::5]:40000");
    assert_int_equal(connect_at(r, 1, "[2001:db8:1:2:ffff:1:2:3]:40001"), -1);
    assert_string_equal(last_error(1), "kicked");
    assert_int_equal(connect_at(r, 2, "[2001:db8:1:3::5]:40000"), 0);
    kick_peer(r, 3, "203.0.113.9:1000");
    assert_int_equal(connect_at(r, 4, "[::ffff:203.0.113.9]:1001"), -1);
    assert_int_equal(drops(r, RELAY_DROP_BANNED), 2);
    relay_destroy(r);
}

/* On loopback (a developer's own clients, or the flows of a proxy in front
 * of the relay) a kick bans the flooding endpoint, not every client of the
 * machine: another port is welcome at once, the same one waits. */
static void a_kick_on_loopback_bans_its_port(void **state)
{
    (void)state;
    struct relay_config cfg = ban_config();
    static const char *const local[][2] = {{"127.0.0.1:40000", "127.0.0.1:40001"},
                                           {"[::1]:40000", "[::1]:40001"}};
    for (int k = 0; k < 2; k++) {
        struct relay *r = make_relay(&cfg);
        kick_peer(r, 0, local[k][0]);
        fake_clear();
        assert_int_equal(connect_at(r, 1, local[k][1]), 0);
        assert_int_equal(join(r, 1, "lobby", "b", false), 0);
        assert_int_equal(connect_at(r, 2, local[k][0]), -1);
        assert_string_equal(last_error(2), "kicked");
        assert_int_equal(drops(r, RELAY_DROP_BANNED), 1);
        relay_destroy(r);
    }
}

/* The default is on: 10 s. */
static void kick_ban_defaults(void **state)
{
    (void)state;
    struct relay_config cfg;
    relay_default_config(&cfg);
    assert_int_equal(cfg.kick_ban_ms, 10000);
    assert_int_equal(cfg.peer_cap, cfg.max_clients + RELAY_SPARE_PEERS);
    assert_string_equal(relay_drop_name(RELAY_DROP_BANNED), "banned");
}

/* Every limit is declared once, as a row of ricochet-relay's option table
 * (relay/settings.c): the core's defaults and its clamp come from that row. */
static void limits_come_from_the_option_table(void **state)
{
    (void)state;
    char why[128];
    struct relay_settings s;
    memset(&s, 0, sizeof s);
    assert_int_equal(options_defaults(relay_settings_options, &s, why, sizeof why), 0);

    struct relay_config cfg;
    relay_default_config(&cfg);
    assert_int_equal(cfg.max_clients, 1024);
    assert_int_equal(cfg.max_rooms, 256);
    assert_int_equal(cfg.max_room_size, PROTO_ROSTER_MAX);
    assert_int_equal(cfg.name_max, PROTO_NAME_MAX);
    assert_int_equal(cfg.room_max, PROTO_ROOM_MAX);
    assert_int_equal(cfg.max_packet_size, 4608);
    assert_int_equal(cfg.rate_limit, 180);
    assert_int_equal(cfg.rate_burst, 60);
    assert_int_equal(cfg.kick_after_ms, 2000);
    assert_int_equal(cfg.max_strikes, 20);
    assert_int_equal(cfg.tick_us, 0);

    /* A config filled by code is clamped to the rows' ranges. */
    cfg.max_room_size = 100000;
    cfg.name_max = 0;
    cfg.room_max = 1000;
    cfg.max_packet_size = 1;
    cfg.rate_burst = 0;
    cfg.max_clients = 0;
    cfg.kick_ban_ms = UINT32_MAX;
    relay_config_clamp(&cfg);
    assert_int_equal(cfg.max_room_size, RELAY_CLIENTS_MAX); /* a room with interest */
    assert_int_equal(cfg.name_max, 1);
    assert_int_equal(cfg.room_max, PROTO_ROOM_MAX);
    assert_true(cfg.max_packet_size >= PROTO_STATE_SIZE);
    assert_int_equal(cfg.rate_burst, 1);
    assert_int_equal(cfg.max_clients, 1);
    assert_int_equal(cfg.kick_ban_ms, 86400u * 1000u);

    /* The program's derived settings: peer slots, the tick (2 ms on both
     * transports: docs/benchmarks.md, "Tick batching"). */
    for (int i = 0; relay_transports[i]; i++) {
        s.transport = i;
        relay_settings_derive(&s);
        assert_int_equal(s.net.peer_cap, s.core.max_clients + RELAY_SPARE_PEERS);
        assert_int_equal(s.core.tick_us, 2000u);
        assert_int_equal(s.core.stale_us, RELAY_STALE_MIN_MS * 1000u);
        assert_int_equal(s.net.max_packet_size, s.core.max_packet_size);
    }
}

/* ---- --max-clients and connections that have not joined ------------------ */

/* An edge whose peers count against --max-clients from their join (a
 * stream edge: it bounds its connections that have not joined itself)
 * beside one whose count from their connection (ENet): silent
 * connections of the first keep no one of the second out; a join past
 * the cap is refused server_full and closed; a member that leaves counts
 * no more. */
static void stream_connections_count_from_their_join(void **state)
{
    (void)state;
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.max_clients = 2;
    struct relay_transport stream = fake_tp;
    stream.name = "stream";
    stream.count_at_join = true;
    const struct relay_transport tps[2] = {fake_tp, stream};
    struct relay *r = make_two_edge_of(&cfg, 8, tps);
    for (uint32_t p = 8; p < 14; p++) /* six that never join */
        connect_peer(r, p);
    assert_int_equal(relay_clients(r), 6);
    connect_peer(r, 0);
    connect_peer(r, 1);
    assert_int_equal(connect_at(r, 2, "127.0.0.1:40002"), -1);
    assert_string_equal(last_error(2), "server_full");
    fake_clear();
    assert_int_equal(join(r, 8, "lobby", "s8", false), DROP(RELAY_DROP_SERVER_FULL));
    assert_string_equal(last_error(8), "server_full");
    assert_string_equal(disconnect_why(8), "server_full");
    assert_false(relay_peer_connected(r, 8));
    relay_peer_gone(r, 0, PROTO_LEFT_QUIT, now_us);
    assert_int_equal(join(r, 9, "lobby", "s9", false), 0);
    assert_true(relay_peer_joined(r, 9));
    assert_int_equal(connect_at(r, 2, "127.0.0.1:40002"), -1);
    assert_int_equal(send_text(r, 9, "{\"type\":\"leave\"}"), 0);
    assert_true(relay_peer_connected(r, 9));
    connect_peer(r, 2); /* the member that left counts no more */
    assert_int_equal(drops(r, RELAY_DROP_SERVER_FULL), 3);
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nominal_rate_is_never_limited),
        cmocka_unit_test(rate_limit_then_kick),
        cmocka_unit_test(short_bursts_are_not_kicked),
        cmocka_unit_test(kicked_address_is_refused_for_a_while),
        cmocka_unit_test(a_kick_on_loopback_bans_its_port),
        cmocka_unit_test(a_kick_over_ipv6_bans_its_64),
        cmocka_unit_test(kick_ban_defaults),
        cmocka_unit_test(limits_come_from_the_option_table),
        cmocka_unit_test(stream_connections_count_from_their_join),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
