/* test_relay_tick.c: the relay core through a fake transport and a fake clock
 * (support/fake_relay.h): tick batching: order kept and nothing lost with a bounded
 * latency, held to the end of the tick, senders who left skipped, a full queue and
 * shutdown, rooms' ticks staggered, a batch's arrival time; a relay that fell
 * behind sheds its stale unreliable states, never a reliable one. */
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

/* ---- tick batching ---------------------------------------------------- */

#define TICK_US 10000u /* 10 ms ticks in these tests */

/* A relay with ticks of tick_us and peers 0..n-1 connected, no rate limit. */
static struct relay *tick_relay(uint32_t tick_us, uint32_t n)
{
    struct relay_config cfg = unlimited_config();
    cfg.tick_us = tick_us;
    return relay_with_peers(&cfg, n);
}

static struct relay *tick_room(uint32_t members, bool reflect_first)
{
    struct relay *r = tick_relay(TICK_US, members);
    for (uint32_t p = 0; p < members; p++) {
        char name[16];
        snprintf(name, sizeof name, "p%u", (unsigned)p);
        assert_int_equal(join(r, p, "lobby", name, reflect_first && p == 0), 0);
    }
    fake_clear();
    return r;
}

/* Senders at random moments over many ticks: every recipient gets every
 * other sender's states exactly once, in the order sent, each at most one
 * tick after the relay received it, and never before its tick ended. */
static void tick_keeps_order_loses_nothing_bounds_latency(void **state)
{
    (void)state;
    enum { MEMBERS = 4, PER_SENDER = 150 };
    struct relay *r = tick_room(MEMBERS, false);
    uint64_t recv_at[MEMBERS][PER_SENDER + 1];
    uint32_t next_seq[MEMBERS] = { 0 };
    struct rng g;
    rng_seed(&g, 7);
    size_t sent_total = 0;
    while (sent_total < (size_t)MEMBERS * PER_SENDER) {
        /* The next arrival 0..4 ms later: several per tick. Like the
         * transports, wake for the tick when it is due before that. */
        uint64_t next = now_us + rng_below(&g, 4000);
        if (relay_tick_due(r) <= next) {
            now_us = relay_tick_due(r);
            assert_true(relay_tick(r, now_us) > 0);
        }
        now_us = next;
        uint32_t peer = rng_below(&g, MEMBERS);
        if (next_seq[peer] == PER_SENDER)
            continue;
        uint32_t seq = ++next_seq[peer];
        size_t before = fk.n_states;
        assert_int_equal(send_state(r, peer, 0, seq), 0);
        assert_int_equal(fk.n_states, before); /* held, not sent */
        recv_at[peer][seq] = now_us;
        assert_true(relay_tick_due(r) > now_us);
        assert_true(relay_tick_due(r) - now_us <= TICK_US);
        sent_total++;
    }
    now_us = relay_tick_due(r);
    relay_tick(r, now_us);
    assert_int_equal(relay_tick_due(r), UINT64_MAX);

    /* Re-read what the fake transport sent, per (recipient, sender). */
    uint32_t last[MEMBERS][MEMBERS] = { { 0 } };
    size_t got = 0;
    for (size_t i = 0; i < fk.n_states; i++) {
        struct proto_state s;
        assert_int_equal(proto_state_decode(fk.states[i].bytes, fk.states[i].len, &s),
                         PROTO_OK);
        uint32_t from = s.sender - 1, to = fk.states[i].peer; /* ids 1..4 = peers 0..3 */
        assert_true(from < MEMBERS && to < MEMBERS && from != to);
        assert_int_equal(s.seq, last[to][from] + 1); /* in order, no gap, no dup */
        last[to][from] = s.seq;
        uint64_t waited = fk.states[i].at_us - recv_at[from][s.seq];
        assert_true(waited <= TICK_US);
        /* never before the end of the tick it arrived in */
        assert_true(fk.states[i].at_us >= (recv_at[from][s.seq] / TICK_US + 1) * TICK_US);
        got++;
    }
    for (uint32_t to = 0; to < MEMBERS; to++)
        for (uint32_t from = 0; from < MEMBERS; from++)
            if (to != from)
                assert_int_equal(last[to][from], PER_SENDER);
    assert_int_equal(got, (size_t)MEMBERS * PER_SENDER * (MEMBERS - 1));
    const struct relay_stats *st = relay_stats(r);
    assert_int_equal(st->states_in, (uint64_t)MEMBERS * PER_SENDER);
    assert_int_equal(st->states_out, got);
    assert_true(st->ticks > 0 && st->ticks < st->states_in); /* batched */
    relay_destroy(r);
}

/* One tick's states leave in one fan-out, each a single send_state call
 * for all its recipients, and the fan-out waits for the tick's end. */
static void tick_holds_until_the_end_of_the_tick(void **state)
{
    (void)state;
    struct relay *r = tick_room(3, true);
    now_us = 5 * TICK_US + 100;
    assert_int_equal(relay_tick_due(r), UINT64_MAX);
    assert_int_equal(send_state(r, 0, 0, 1), 0);
    assert_int_equal(relay_tick_due(r), 6 * TICK_US);
    now_us += 1000;
    assert_int_equal(send_state(r, 1, 0, 1), 0);
    assert_int_equal(relay_tick(r, 6 * TICK_US - 1), 0);
    assert_int_equal(fk.n_states, 0);
    assert_int_equal(relay_tick(r, 6 * TICK_US), 2);
    /* peer 0 reflects: its state goes to all 3; peer 1's to the 2 others */
    assert_int_equal(fk.n_states, 5);
    assert_int_equal(relay_tick(r, 7 * TICK_US), 0);
    assert_int_equal(relay_stats(r)->ticks, 1);
    relay_destroy(r);
}

/* A sender that leaves before its tick ends: its held states go out at
 * once, before its left notice (every state in is out or counted); a new
 * session on the same handle inherits none. Others' states wait for the
 * tick's end. */
static void tick_sends_a_leavers_states_before_its_left(void **state)
{
    (void)state;
    static const enum proto_left_reason reasons[] = { PROTO_LEFT_QUIT, PROTO_LEFT_TIMEOUT };
    for (size_t k = 0; k < 2; k++) {
        struct relay *r = tick_room(3, false);
        assert_int_equal(send_state(r, 0, 0, 1), 0);
        assert_int_equal(send_state(r, 1, 0, 1), 0);
        assert_int_equal(send_state(r, 0, 0, 2), 0);
        assert_int_equal(fk.n_states, 0); /* held */
        relay_peer_gone(r, 0, reasons[k], now_us);
        /* peer 0's two states to peers 1 and 2, then the left notices */
        assert_int_equal(fk.n_states, 4);
        for (size_t i = 0; i < fk.n_states; i++) {
            struct proto_state s;
            assert_int_equal(proto_state_decode(fk.states[i].bytes, fk.states[i].len, &s),
                             PROTO_OK);
            assert_int_equal(s.sender, 1);
            assert_int_equal(s.seq, 1 + i / 2);
        }
        assert_int_equal(count_ctl(1, PROTO_CTL_LEFT), 1);
        for (size_t i = 0; i < fk.n_ctl; i++)
            assert_int_equal(fk.ctl[i].states_before, 4);
        connect_peer(r, 0);
        assert_int_equal(join(r, 0, "lobby", "again", false), 0);
        size_t n = fk.n_states;
        assert_int_equal(relay_tick(r, now_us + TICK_US), 1);
        assert_int_equal(fk.n_states - n, 2); /* peer 1's state, to peers 2 and 0 */
        for (size_t i = n; i < fk.n_states; i++) {
            struct proto_state s;
            assert_int_equal(proto_state_decode(fk.states[i].bytes, fk.states[i].len, &s),
                             PROTO_OK);
            assert_int_equal(s.sender, 2);
        }
        relay_destroy(r);
    }
}

/* More states in one tick than the queue holds: the queue goes out early,
 * in order; nothing is lost. Shutdown sends what is held. */
static void tick_full_queue_and_shutdown_send_everything(void **state)
{
    (void)state;
    struct relay *r = tick_room(2, false);
    const uint32_t n = 5000; /* over TICK_QUEUE (4096) */
    for (uint32_t seq = 1; seq <= n; seq++)
        assert_int_equal(send_state(r, 0, 0, seq), 0);
    assert_true(fk.n_states > 0 && fk.n_states < n); /* the early fan-out */
    relay_shutdown(r, now_us);
    assert_int_equal(fk.n_states, n);
    for (uint32_t i = 0; i < n; i++) {
        struct proto_state s;
        assert_int_equal(proto_state_decode(fk.states[i].bytes, fk.states[i].len, &s),
                         PROTO_OK);
        assert_int_equal(s.seq, i + 1);
        assert_int_equal(fk.states[i].peer, 1);
    }
    relay_destroy(r);
}

/* Many rooms with a long tick: the rooms' ticks are staggered over it on
 * a 5 ms grid (room slot i ends its ticks (i mod K) x tick/K after the
 * grid's, K = tick/5 ms), so the relay fans out a slice of the rooms every
 * 5 ms instead of every room at once. Each room still gets all its tick's
 * states in one fan-out, each waits at most one tick, and a pass sends
 * only the rooms whose tick has ended. */
static void tick_staggers_rooms_over_the_tick(void **state)
{
    (void)state;
    enum { ROOMS = 12, TICK = 50000, STEP = 5000, PHASES = TICK / STEP };
    struct relay *r = tick_relay(TICK, 2 * ROOMS);
    for (uint32_t p = 0; p < 2 * ROOMS; p++) {
        char room[16], name[16];
        snprintf(room, sizeof room, "r%u", (unsigned)(p / 2));
        snprintf(name, sizeof name, "p%u", (unsigned)p);
        assert_int_equal(join(r, p, room, name, false), 0);
    }
    fake_clear();
    now_us = 10 * (uint64_t)TICK + 1000; /* 1 ms into a tick of the grid */
    for (uint32_t p = 0; p < 2 * ROOMS; p++)
        assert_int_equal(send_state(r, p, 0, 1), 0);
    assert_int_equal(fk.n_states, 0);
    assert_int_equal(relay_tick_due(r), 10 * (uint64_t)TICK + STEP); /* room 1's */
    size_t before = 0;
    for (uint32_t k = 1; k <= PHASES; k++) {
        uint64_t at = 10 * (uint64_t)TICK + (uint64_t)k * STEP;
        assert_int_equal(relay_tick_due(r), at);
        assert_int_equal(relay_tick(r, at - 1), 0);
        /* phase k % PHASES: rooms k and k + 10 (the ones that exist) */
        size_t rooms = 0;
        for (uint32_t room = 0; room < ROOMS; room++)
            rooms += room % PHASES == k % PHASES;
        assert_int_equal(relay_tick(r, at), 2 * rooms);
        assert_int_equal(fk.n_states - before, 2 * rooms); /* each to its one roommate */
        for (size_t i = before; i < fk.n_states; i++) {
            struct proto_state s;
            assert_int_equal(proto_state_decode(fk.states[i].bytes, fk.states[i].len, &s),
                             PROTO_OK);
            uint32_t from = s.sender - 1, to = fk.states[i].peer; /* ids 1.. = peers 0.. */
            assert_int_equal(from / 2, to / 2);          /* within the room */
            assert_int_equal((from / 2) % PHASES, k % PHASES); /* the room's phase */
            assert_true(at - now_us <= TICK);
        }
        before = fk.n_states;
    }
    assert_int_equal(fk.n_states, 2 * ROOMS);
    assert_int_equal(relay_tick_due(r), UINT64_MAX);
    assert_int_equal(relay_stats(r)->ticks, PHASES);
    relay_destroy(r);
}

/* A transport that reads in batches says when its previous read ended:
 * a state read just after its tick ended, but that arrived before, goes
 * out with that tick. Only the tick takes that time: a pong in the same
 * batch still carries the relay's clock when it answered. */
static void tick_takes_the_batch_arrival(void **state)
{
    (void)state;
    struct relay *r = tick_room(2, false);
    now_us = 7 * TICK_US + 2000; /* read 2 ms after the tick ended at 7 ticks... */
    relay_arrived(r, 7 * TICK_US - 3000, 0); /* ...of a batch that began 3 ms before */
    assert_int_equal(send_state(r, 0, 0, 1), 0);
    assert_int_equal(relay_tick_due(r), 7 * TICK_US); /* its own tick, already over */
    assert_int_equal(relay_tick(r, now_us), 1);
    assert_int_equal(states_to(1), 1);
    assert_int_equal(send_text(r, 0, "{\"type\":\"ping\",\"t\":5}"), 0);
    assert_int_equal(last_ctl(0, PROTO_CTL_PONG)->relay_t, now_us);
    /* A floor after now (a transport's clock ahead of the state's): now counts. */
    relay_arrived(r, now_us + 5000, 0);
    assert_int_equal(send_state(r, 0, 0, 2), 0);
    assert_int_equal(relay_tick_due(r), 8 * TICK_US);
    relay_destroy(r);
}

/* Sends a state of seq from peer, reliable or not. */
static int send_state_as(struct relay *r, uint32_t peer, uint32_t seq, bool reliable)
{
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 0, seq, 1, 0);
    return relay_on_datagram(r, peer, reliable ? PROTO_CHANNEL_RELIABLE : PROTO_CHANNEL_STATE,
                             reliable ? PROTO_FLAG_RELIABLE : PROTO_FLAG_UNSEQUENCED, buf, len,
                             now_us);
}

/* The seqs of the states sent to peer, in order, into seqs; how many. */
static size_t seqs_to(uint32_t peer, uint32_t *seqs, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_states && n < cap; i++) {
        struct proto_state s;
        if (fk.states[i].peer == peer &&
            proto_state_decode(fk.states[i].bytes, fk.states[i].len, &s) == PROTO_OK)
            seqs[n++] = s.seq;
    }
    return n;
}

/* A relay that fell behind sheds: an unreliable state whose fan-out comes
 * more than stale_us after it arrived is dropped and counted (stale), a
 * reliable one never is, one within the bound goes out. Its age counts
 * from when the kernel received it (relay_arrived's by_us): one that
 * waited in the socket is as old as that wait. With a tick, the fan-out
 * at the tick's end is what comes late; without, the read. */
static void stale_unreliable_shed_reliable_kept(void **state)
{
    (void)state;
    const uint32_t ticks[] = { TICK_US, 0 };
    for (size_t k = 0; k < 2; k++) {
        struct relay_config cfg;
        relay_default_config(&cfg);
        cfg.peer_cap = 8;
        cfg.max_clients = 4;
        cfg.rate_limit = 0;
        cfg.byte_limit = 0;
        cfg.tick_us = ticks[k];
        cfg.stale_us = 3 * TICK_US;
        struct relay *r = relay_with_peers(&cfg, 2);
        assert_int_equal(join(r, 0, "lobby", "a", false), 0);
        assert_int_equal(join(r, 1, "lobby", "b", false), 0);
        fake_clear();
        now_us = 100 * TICK_US + 500;
        /* Waited 4 ticks in the socket: seq 1 is shed, reliable seq 2 is not. */
        relay_arrived(r, 0, now_us - 4 * TICK_US);
        assert_int_equal(send_state_as(r, 0, 1, false), ticks[k] ? 0 : DROP(RELAY_DROP_STALE));
        assert_int_equal(send_state_as(r, 0, 2, true), 0);
        /* Waited 2 ticks: within the bound, even at the tick's end. */
        relay_arrived(r, 0, now_us - 2 * TICK_US + 1000);
        assert_int_equal(send_state_as(r, 0, 3, false), 0);
        relay_tick(r, now_us);
        relay_tick(r, relay_tick_due(r));
        if (ticks[k]) { /* fresh when read, but its tick's fan-out comes 4 ticks late */
            relay_arrived(r, 0, 0);
            assert_int_equal(send_state_as(r, 0, 4, false), 0);
            assert_int_equal(relay_tick(r, now_us + 4 * TICK_US), 0);
        }
        uint32_t seqs[8];
        size_t n = seqs_to(1, seqs, 8);
        assert_int_equal(n, 2);
        assert_int_equal(seqs[0], 2);
        assert_int_equal(seqs[1], 3);
        assert_int_equal(drops(r, RELAY_DROP_STALE), ticks[k] ? 2 : 1);
        assert_int_equal(relay_stats(r)->states_in, ticks[k] ? 4 : 3);
        relay_destroy(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tick_keeps_order_loses_nothing_bounds_latency),
        cmocka_unit_test(tick_holds_until_the_end_of_the_tick),
        cmocka_unit_test(tick_sends_a_leavers_states_before_its_left),
        cmocka_unit_test(tick_full_queue_and_shutdown_send_everything),
        cmocka_unit_test(tick_staggers_rooms_over_the_tick),
        cmocka_unit_test(tick_takes_the_batch_arrival),
        cmocka_unit_test(stale_unreliable_shed_reliable_kept),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
