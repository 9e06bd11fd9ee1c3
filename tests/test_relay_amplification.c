/* test_relay_amplification.c: the relay core through a fake transport and a fake clock
 * (support/fake_relay.h): plain UDP: amplification limits (few welcomes for repeated
 * joins, split datagram welcomes, whole ENet ones, truncated datagrams). */
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

/* ---- plain UDP: amplification limits ---------------------------------- */

/* A stream of repeated joins (over udp anyone can send them with a forged
 * source address) gets at most one welcome per 250 ms. */
static void repeated_joins_get_few_welcomes(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    struct relay *r = relay_with_peers_on(&cfg, &fake_datagram_tp, 1);
    assert_int_equal(join_on(r, 0, PROTO_CHANNEL_DATAGRAM, "lobby", "a", false), 0);
    for (int i = 0; i < 200; i++) { /* 2 s at 100 joins/s */
        now_us += 10000;
        assert_int_equal(join_on(r, 0, PROTO_CHANNEL_DATAGRAM, "lobby", "a", false), 0);
    }
    size_t welcomes = count_ctl(0, PROTO_CTL_WELCOME);
    print_message("200 repeated joins in 2 s: %zu welcomes\n", welcomes);
    assert_in_range(welcomes, 1 + 7, 1 + 8);
    assert_int_equal(relay_stats(r)->joins, 1);
    relay_destroy(r);
}

/* Room for n members and a late joiner (and a spare peer), no rate limit. */
static struct relay_config big_room_config(uint32_t n)
{
    struct relay_config cfg;
    relay_default_config(&cfg);
    cfg.peer_cap = n + 2;
    cfg.max_clients = n + 2;
    cfg.max_room_size = n + 1;
    cfg.rate_limit = 0;
    cfg.byte_limit = 0;
    return cfg;
}

/* Fills room "big" with n members (peers 0..n-1) named with 32 bytes,
 * each with a last state. */
static void fill_big_room(struct relay *r, uint8_t channel, uint32_t n)
{
    for (uint32_t p = 0; p < n; p++) {
        char name[PROTO_NAME_MAX + 1];
        snprintf(name, sizeof name, "member_%025u", (unsigned)p);
        connect_peer(r, p);
        assert_int_equal(join_on(r, p, channel, "big", name, false), 0);
        fake_clear();
    }
    for (uint32_t p = 0; p < n; p++) {
        uint8_t buf[PROTO_STATE_MAX];
        size_t len = make_state(buf, 0, p, (float)p, 0);
        uint32_t flags = channel == PROTO_CHANNEL_DATAGRAM ? 0 : PROTO_FLAG_UNSEQUENCED;
        uint8_t ch = channel == PROTO_CHANNEL_DATAGRAM ? channel : PROTO_CHANNEL_STATE;
        assert_int_equal(relay_on_datagram(r, p, ch, flags, buf, len, now_us), 0);
        fake_clear();
    }
}

/* Checks what peer got since the last fake_clear: a welcome first, then
 * only joined notices; every datagram within RELAY_DATAGRAM_MAX; together
 * they name each of the n others exactly once (ids 1..n), roster entries
 * with their state. Returns the roster length of the welcome. */
static size_t check_split_welcome(uint32_t peer, uint32_t n)
{
    bool *seen = calloc(n + 1, sizeof *seen);
    assert_non_null(seen);
    bool welcomed = false;
    size_t named = 0, roster = 0, max_len = 0, total = 0;
    for (size_t i = 0; i < fk.n_ctl; i++) {
        if (fk.ctl[i].peer != peer)
            continue;
        total += fk.ctl[i].len;
        if (fk.ctl[i].len > max_len)
            max_len = fk.ctl[i].len;
        assert_true(fk.ctl[i].len <= RELAY_DATAGRAM_MAX);
        const struct proto_control *m = ctl_at(i);
        if (!welcomed) {
            assert_int_equal(m->type, PROTO_CTL_WELCOME);
            welcomed = true;
            roster = m->roster_len;
            assert_true(roster >= 1);
            for (size_t k = 0; k < m->roster_len; k++) {
                uint32_t id = m->roster[k].id;
                assert_true(id >= 1 && id <= n && !seen[id]);
                assert_true(m->roster[k].has_state);
                assert_int_equal(m->roster[k].mode, PROTO_MODE_UDP);
                seen[id] = true;
                named++;
            }
            continue;
        }
        assert_int_equal(m->type, PROTO_CTL_JOINED);
        assert_true(m->id >= 1 && m->id <= n && !seen[m->id]);
        assert_int_equal(strlen(m->name), PROTO_NAME_MAX);
        assert_int_equal(m->mode, PROTO_MODE_UDP);
        seen[m->id] = true;
        named++;
    }
    assert_true(welcomed);
    assert_int_equal(named, n);
    free(seen);
    print_message("welcome to a room of %u others: roster of %zu, %zu joined notices; "
                  "largest datagram %zu bytes, %zu bytes in all\n", (unsigned)n, roster,
                  n - roster, max_len, total);
    return roster;
}

/* Over plain UDP no datagram may exceed RELAY_DATAGRAM_MAX (a 59 KB welcome
 * was both a 1000x amplifier and, near 64 KB, unsendable): the roster holds
 * what fits and the rest comes as joined notices, on a repeated join too. */
static void datagram_welcome_is_split(void **state)
{
    (void)state;
    const uint32_t n = PROTO_ROSTER_MAX - 1;
    struct relay_config cfg = big_room_config(n);
    struct relay *r = make_relay_on(&cfg, &fake_datagram_tp);
    fill_big_room(r, PROTO_CHANNEL_DATAGRAM, n);

    connect_peer(r, n);
    assert_int_equal(join_on(r, n, PROTO_CHANNEL_DATAGRAM, "big", "late", false), 0);
    size_t roster = check_split_welcome(n, n);
    assert_true(roster < n);
    /* The others hear about the newcomer once. */
    assert_int_equal(count_ctl(0, PROTO_CTL_JOINED), 1);
    assert_int_equal(last_ctl(0, PROTO_CTL_JOINED)->id, n + 1);

    /* The welcome was "lost": the repeated join gets the same answer. */
    fake_clear();
    now_us += 250000;
    assert_int_equal(join_on(r, n, PROTO_CHANNEL_DATAGRAM, "big", "late", false), 0);
    assert_int_equal(check_split_welcome(n, n), roster);
    assert_int_equal(count_ctl(0, PROTO_CTL_JOINED), 0);
    relay_destroy(r);

    /* A small room still gets the whole roster in the welcome. */
    r = make_relay_on(&cfg, &fake_datagram_tp);
    fill_big_room(r, PROTO_CHANNEL_DATAGRAM, 2);
    connect_peer(r, 2);
    assert_int_equal(join_on(r, 2, PROTO_CHANNEL_DATAGRAM, "big", "late", false), 0);
    assert_int_equal(check_split_welcome(2, 2), 2);
    relay_destroy(r);
}

/* ENet delivers a long reliable message itself: one welcome, whole roster. */
static void enet_welcome_is_whole(void **state)
{
    (void)state;
    const uint32_t n = PROTO_ROSTER_MAX - 1;
    struct relay_config cfg = big_room_config(n);
    struct relay *r = make_relay(&cfg);
    fill_big_room(r, PROTO_CHANNEL_CONTROL, n);
    connect_peer(r, n);
    assert_int_equal(join(r, n, "big", "late", false), 0);
    assert_int_equal(count_ctl(n, PROTO_CTL_WELCOME), 1);
    assert_int_equal(count_ctl(n, PROTO_CTL_JOINED), 0);
    const struct proto_control *w = last_ctl(n, PROTO_CTL_WELCOME);
    assert_int_equal(w->roster_len, n);
    relay_destroy(r);
}

/* The transport could not read all of a datagram (MSG_TRUNC): too_big,
 * worded with what is known, and a strike like any too_big. */
static void truncated_datagram_is_too_big(void **state)
{
    (void)state;
    struct relay_config cfg = small_config();
    struct relay *r = relay_with_peers_on(&cfg, &fake_datagram_tp, 1);
    static uint8_t cut[2049]; /* the first 2049 bytes of a longer datagram */
    memset(cut, 'x', sizeof cut);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_DATAGRAM, RELAY_IN_TRUNCATED, cut,
                                       sizeof cut, now_us), DROP(RELAY_DROP_TOO_BIG));
    assert_int_equal(drops(r, RELAY_DROP_TOO_BIG), 1);
    const struct proto_control *m = last_ctl(0, PROTO_CTL_ERROR);
    assert_non_null(m);
    assert_string_equal(m->code, "too_big");
    assert_non_null(strstr(m->text, "more than 2049 bytes"));
    assert_int_equal(relay_stats(r)->bytes_in, 2049);
    assert_int_equal(relay_on_datagram(r, 5, PROTO_CHANNEL_DATAGRAM, RELAY_IN_TRUNCATED, cut,
                                       sizeof cut, now_us), DROP(RELAY_DROP_CLOSED));
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(repeated_joins_get_few_welcomes),
        cmocka_unit_test(datagram_welcome_is_split),
        cmocka_unit_test(enet_welcome_is_whole),
        cmocka_unit_test(truncated_datagram_is_too_big),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
