/* test_relay_backlog.c: the core's one policy over what the edges hold for
 * each member (relay/core/backlog.c), through a fake edge and clock: floods
 * throttled, stalled readers closed once, the others served. */
/* The core's one policy over what the edges hold for each
 * member (`relay/core/backlog.c`), through a fake edge that holds what it is
 * sent until the test has the member take it, and a fake clock: a flood of
 * events within the limits does not close a member that never reads (past half
 * of `--max-queued-bytes` the flooder's events to it are held back,
 * `throttled`, and the flooder told, naming it; the others get every one), the
 * stall does (`--slow-reader-ms` after something was first held, once,
 * `slow_reader`, the room told `left` kicked, nothing sent to it after); many
 * senders of their own addresses fill it to the bound, and the message that
 * would pass it goes to every other member before the close, which comes once
 * with its error last; a close decided inside a reliable state's fan-out comes
 * after it; an address past its fair share of a slow reader's backlog is held
 * back (two connections of one address one share) while a sender within its
 * share is never held, however many addresses the others use (24 and 48
 * attackers of 24 addresses, each with something waiting), and flows again
 * once the reader caught up; nothing held is no stall; the relay's own
 * stall (its sweeps 3 s apart) is not its members', whose stalls count
 * from its return; the
 * byte budget counts a message's bytes times its recipients (`rate_limited`
 * naming bytes, then the kick), small states at 60 Hz never reach it */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/control.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/settings.h"
#include "tests/support/fake_relay.h"

#define BOUND 8192 /* --max-queued-bytes of these tests */
#define BODY 1000  /* an event's body: 1012 bytes on the wire */

/* A relay on fake_holding_tp with the bound, no rate limit or byte budget
 * (each test sets what it tries), n peers connected from 10.0.0.(1+i) and
 * joined to room "r" (ids 1..n); what was sent cleared and taken. */
static struct relay *room_of(uint32_t n, struct relay_config *cfg_out)
{
    struct relay_config cfg = unlimited_config();
    cfg.max_queued_bytes = BOUND;
    cfg.slow_reader_ms = 2000;
    if (cfg_out)
        cfg = *cfg_out;
    struct relay *r = make_relay_on(&cfg, &fake_holding_tp);
    for (uint32_t i = 0; i < n; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "10.0.0.%u", (unsigned)(1 + i));
        connect_peer_from(r, i, ip);
        char name[16];
        snprintf(name, sizeof name, "p%u", (unsigned)i);
        assert_int_equal(join(r, i, "r", name, false), 0);
    }
    for (uint32_t i = 0; i < n; i++)
        fake_take(i, UINT64_MAX);
    fake_clear();
    return r;
}

/* Time goes on by us, the relay sweeping every 100 ms, as its loop's tick
 * does. */
static void sweep_for(struct relay *r, uint64_t us)
{
    for (uint64_t t = 0; t < us; t += 100000) {
        now_us += us - t < 100000 ? us - t : 100000;
        relay_sweep(r, now_us);
    }
}

/* An event of BODY bytes from peer to the room (or to one id). */
static int event(struct relay *r, uint32_t peer, uint32_t to)
{
    uint8_t body[BODY], buf[PROTO_EVENT_MAX];
    memset(body, 0x5a, sizeof body);
    int n = proto_event_encode(buf, sizeof buf, to, body, sizeof body);
    assert_true(n > 0);
    return relay_on_datagram(r, peer, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                             (size_t)n, now_us);
}

/* Events sent to peer since the last fake_clear. */
static size_t events_to(uint32_t peer)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_ctl; i++)
        n += fk.ctl[i].peer == peer &&
             proto_is_event((const uint8_t *)fk.ctl[i].json, fk.ctl[i].len);
    return n;
}

static size_t closes_of(uint32_t peer)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_disc; i++)
        n += fk.disc[i] == peer;
    return n;
}

/* Errors with code sent to peer. */
static size_t errors_to(uint32_t peer, const char *code)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_ctl; i++) {
        if (fk.ctl[i].peer != peer || fk.ctl[i].json[0] != '{')
            continue;
        const struct proto_control *m = ctl_at(i);
        n += m->type == PROTO_CTL_ERROR && strcmp(m->code, code) == 0;
    }
    return n;
}

/* One member floods the room with events; the one that never reads is
 * not closed by them: past its fair share (three quarters of the bound,
 * the flooder's address alone) the flooder's events to it are held back (and it is told, naming that member), the others get every
 * one. Then, nothing taken for --slow-reader-ms, the sweep closes it,
 * once, with slow_reader, and the room hears it left (kicked). */
static void a_flood_does_not_close_a_stalled_reader_the_stall_does(void **state)
{
    (void)state;
    struct relay *r = room_of(3, NULL); /* 0 floods, 1 reads, 2 never reads */
    for (int k = 0; k < 40; k++) {
        now_us += 6000; /* 170 a second */
        assert_int_equal(event(r, 0, PROTO_EVENT_ROOM), 0);
        fake_take(1, UINT64_MAX);
    }
    assert_int_equal(events_to(1), 40);
    assert_int_equal(events_to(2), BOUND * 3 / 4 / (BODY + 12));
    assert_true(fk.held[2].bytes <= BOUND);
    assert_int_equal(fk.n_disc, 0);
    assert_true(drops(r, RELAY_DROP_THROTTLED) >= 30);
    assert_true(errors_to(0, "throttled") >= 1);
    const char *told = NULL;
    for (size_t i = 0; i < fk.n_ctl; i++)
        if (fk.ctl[i].peer == 0 && strstr(fk.ctl[i].json, "throttled"))
            told = fk.ctl[i].json;
    assert_non_null(strstr(told, "member 3 "));
    /* the stall: held since the first event (234 ms ago), nothing taken */
    fake_take(0, UINT64_MAX);
    fake_clear();
    sweep_for(r, 1700000);
    assert_int_equal(fk.n_disc, 0);
    now_us += 100000;
    relay_sweep(r, now_us);
    relay_sweep(r, now_us);
    assert_int_equal(closes_of(2), 1);
    assert_string_equal(disconnect_why(2), "slow_reader");
    assert_string_equal(last_error(2), "slow_reader");
    assert_true(drops(r, RELAY_DROP_SLOW_READER) >= 1);
    const struct proto_control *left = last_ctl(1, PROTO_CTL_LEFT);
    assert_non_null(left);
    assert_int_equal(left->id, 3);
    assert_int_equal(left->reason, PROTO_LEFT_KICKED);
    /* nothing more is sent to it */
    fake_clear();
    assert_int_equal(event(r, 0, PROTO_EVENT_ROOM), 0);
    assert_int_equal(events_to(2), 0);
    assert_int_equal(events_to(1), 1);
    relay_destroy(r);
}

/* The relay's own messages, which nothing holds back, fill a member that
 * never reads: members come and go, each joined and left notice is sent
 * to it. The notice that would pass the bound is not queued to it; every
 * other member gets it; its close comes once, after the notice went to
 * every one of them, with its error last, past the bound. */
static void the_bound_closes_once_after_the_send_error_last(void **state)
{
    (void)state;
    struct relay *r = room_of(3, NULL); /* 2 never reads */
    size_t joins = 0;
    for (int k = 0; k < 400 && fk.n_disc == 0; k++) {
        now_us += 1000;
        char ip[32], name[24];
        snprintf(ip, sizeof ip, "10.0.3.%d", 1 + k % 200);
        snprintf(name, sizeof name, "visitor%d", k);
        connect_peer_from(r, 10, ip);
        assert_int_equal(join(r, 10, "r", name, false), 0);
        joins++;
        assert_int_equal(send_text(r, 10, "{\"type\":\"leave\"}"), 0);
        relay_peer_gone(r, 10, PROTO_LEFT_QUIT, now_us);
        for (uint32_t i = 0; i < 2; i++)
            fake_take(i, UINT64_MAX);
        fake_take(10, UINT64_MAX); /* the visitor read what it got */
    }
    assert_int_equal(closes_of(2), 1);
    /* the notice that passed the bound went to every other member first */
    for (uint32_t i = 0; i < 2; i++)
        assert_int_equal(count_ctl(i, PROTO_CTL_JOINED), joins);
    size_t notices[3];
    for (uint32_t i = 0; i < 3; i++)
        notices[i] = count_ctl(i, PROTO_CTL_JOINED) + count_ctl(i, PROTO_CTL_LEFT);
    assert_int_equal(notices[0], notices[1]);
    assert_true(notices[2] < notices[0]);
    size_t last_to_2 = 0;
    for (size_t i = 0; i < fk.n_ctl; i++)
        if (fk.ctl[i].peer == 2)
            last_to_2 = i;
    assert_string_equal(last_error(2), "slow_reader");
    assert_int_equal(ctl_at(last_to_2)->type, PROTO_CTL_ERROR);
    assert_true(fk.held[2].bytes == 0); /* its slot freed by the close */
    assert_true(drops(r, RELAY_DROP_SLOW_READER) >= 1);
    assert_int_equal(drops(r, RELAY_DROP_THROTTLED), 0); /* the relay's own: never */
    relay_destroy(r);
}

/* A reliable state's fan-out that takes a receiver past the bound: every
 * other recipient gets it in the same fan-out, the receiver is closed
 * after it. */
static void a_close_decided_in_a_fan_out_comes_after_it(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    cfg.max_queued_bytes = 4096;
    cfg.slow_reader_ms = 2000;
    struct relay *r = room_of(0, &cfg);
    for (uint32_t i = 0; i < 5; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "10.0.1.%u", (unsigned)(1 + i));
        connect_peer_from(r, i, ip);
        assert_int_equal(join_on(r, i, PROTO_CHANNEL_CONTROL, "r", ip, false), 0);
    }
    fk.held[4].bytes = 4096 - 20; /* peer 4 is about full */
    fk.held[4].moved_us = now_us;
    fake_clear();
    uint8_t buf[PROTO_STATE_MAX];
    size_t len = make_state(buf, 0, 1, 1.0f, 0);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_RELIABLE, buf,
                                       len, now_us), 0);
    assert_int_equal(states_to(1) + states_to(2) + states_to(3), 3);
    assert_int_equal(states_to(4), 0);
    assert_int_equal(fk.n_disc, 1);
    assert_int_equal(fk.disc[0], 4);
    assert_int_equal(fk.disc_states[0], fk.n_states); /* after the fan-out */
    relay_destroy(r);
}

/* A receiver that reads slowly, two senders: the one whose address is past
 * its share of what waits is held back (and told), the other's messages still
 * go; once the receiver catches up, both flow again. Two connections of
 * one address are one share. */
static void the_throttle_holds_back_the_address_that_holds_most(void **state)
{
    (void)state;
    struct relay *r = room_of(0, NULL);
    connect_peer_from(r, 0, "10.0.2.1"); /* heavy, two connections */
    connect_peer_from(r, 1, "10.0.2.1");
    connect_peer_from(r, 2, "10.0.2.2"); /* light */
    connect_peer_from(r, 3, "10.0.2.3"); /* the receiver */
    for (uint32_t i = 0; i < 4; i++) {
        char name[8];
        snprintf(name, sizeof name, "m%u", (unsigned)i);
        assert_int_equal(join(r, i, "t", name, false), 0);
    }
    for (uint32_t i = 0; i < 4; i++)
        fake_take(i, UINT64_MAX);
    fake_clear();
    uint32_t receiver = 4; /* peer 3's id */
    for (int k = 0; k < 20; k++) {
        now_us += 1000;
        int rc = event(r, (uint32_t)(k % 2), receiver); /* the heavy address */
        if (rc != 0)
            fail_msg("event %d: %d, id of peer 3: %u", k, rc, (unsigned)relay_peer_id(r, 3));
        if (k % 10 == 0)
            assert_int_equal(event(r, 2, receiver), 0);
    }
    size_t heavy = 0, light = 0;
    struct proto_event e;
    for (size_t i = 0; i < fk.n_ctl; i++) {
        if (fk.ctl[i].peer != 3 || !proto_is_event((const uint8_t *)fk.ctl[i].json, fk.ctl[i].len))
            continue;
        assert_int_equal(proto_event_decode((const uint8_t *)fk.ctl[i].json, fk.ctl[i].len, &e),
                         PROTO_OK);
        heavy += e.sender == 1 || e.sender == 2;
        light += e.sender == 3;
    }
    assert_int_equal(light, 2);                   /* every one of the light sender's */
    assert_true(heavy < 20 && heavy >= 4);        /* the heavy held back past half */
    assert_true(errors_to(0, "throttled") + errors_to(1, "throttled") >= 1);
    assert_int_equal(errors_to(2, "throttled"), 0);
    assert_int_equal(fk.n_disc, 0);
    /* caught up: the heavy address's messages go again */
    fake_take(3, UINT64_MAX);
    fake_clear();
    now_us += 1000;
    assert_int_equal(event(r, 0, receiver), 0);
    assert_int_equal(events_to(3), 1);
    relay_destroy(r);
}

/* An event of body bytes from peer to id to. */
static int event_of(struct relay *r, uint32_t peer, uint32_t to, size_t body)
{
    uint8_t text[BODY], buf[PROTO_EVENT_MAX];
    memset(text, 0x5a, sizeof text);
    int n = proto_event_encode(buf, sizeof buf, to, text, body);
    assert_true(n > 0);
    return relay_on_datagram(r, peer, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                             (size_t)n, now_us);
}

/* Events to peer from the member of id sender since the last fake_clear. */
static size_t events_from(uint32_t peer, uint32_t sender)
{
    size_t n = 0;
    struct proto_event e;
    for (size_t i = 0; i < fk.n_ctl; i++)
        n += fk.ctl[i].peer == peer &&
             proto_is_event((const uint8_t *)fk.ctl[i].json, fk.ctl[i].len) &&
             proto_event_decode((const uint8_t *)fk.ctl[i].json, fk.ctl[i].len, &e) ==
                 PROTO_OK && e.sender == sender;
    return n;
}

/* The attack on a slow reader from several addresses: it reads 64 bytes a
 * millisecond; `attackers` members of `addresses` addresses (attacker a
 * from the a % addresses'th) send it 170 events of 1 KiB a second each,
 * within every limit; an honest member of another address sends it 20
 * small ones a second for 6 s; the bound is `bound`. Returns how many of
 * the honest member's 120 it got; the reader is never closed and the
 * attackers are held back. */
static size_t honest_got_under_attack(uint32_t attackers, uint32_t addresses, size_t bound,
                                      size_t body)
{
    struct relay_config cfg = unlimited_config();
    cfg.max_queued_bytes = bound;
    cfg.slow_reader_ms = 2000;
    struct relay *r = room_of(0, &cfg);
    uint32_t honest = attackers, reader = attackers + 1; /* the peers */
    for (uint32_t i = 0; i <= reader; i++) {
        char ip[32], name[8];
        snprintf(ip, sizeof ip, "10.0.4.%u", (unsigned)(i < attackers ? 1 + i % addresses : 1 + i));
        snprintf(name, sizeof name, "m%u", (unsigned)i);
        connect_peer_from(r, i, ip);
        assert_int_equal(join(r, i, "a", name, false), 0);
        fake_take(i, UINT64_MAX);
    }
    fake_clear();
    uint32_t reader_id = relay_peer_id(r, reader), honest_id = relay_peer_id(r, honest);
    size_t got = 0, sent = 0, attacks = 0, told = 0;
    for (uint64_t ms = 1; ms <= 6000; ms++) {
        now_us += 1000;
        for (; attacks < ms * 170 / 1000; attacks++)
            for (uint32_t a = 0; a < attackers; a++)
                event_of(r, a, reader_id, body);
        if (sent < ms * 20 / 1000) {
            assert_int_equal(event_of(r, honest, reader_id, 40), 0);
            sent++;
        }
        fake_take(reader, 64);
        for (uint32_t i = 0; i < reader; i++)
            fake_take(i, UINT64_MAX);
        got += events_from(reader, honest_id);
        told += errors_to(honest, "throttled");
        assert_int_equal(fk.n_disc, 0);
        fake_clear();
    }
    assert_int_equal(sent, 120);
    assert_true(drops(r, RELAY_DROP_THROTTLED) > 1000);
    assert_true(fk.held[reader].bytes <= bound);
    print_message("%u attackers from %u address(es), bound %zu: the honest member's events: "
                  "%zu of 120 arrived, it was told throttled %zu times\n",
                  (unsigned)attackers, (unsigned)addresses, bound, got, told);
    relay_destroy(r);
    return got;
}

/* A sender within its fair share of a slow reader's backlog (the bound
 * over its senders' addresses) is never held back, however many addresses
 * the others use: from one address or two, every one of the honest
 * member's events arrives. */
static void a_sender_within_its_share_is_never_held_back(void **state)
{
    (void)state;
    assert_int_equal(honest_got_under_attack(2, 1, BOUND, BODY), 120);
    assert_int_equal(honest_got_under_attack(2, 2, BOUND, BODY), 120);
}

/* The same with more senders' addresses than a trace's first room
 * (CORE_SHARES, 16) and the default bound (256 KiB), so that every one of
 * them has something waiting at once: 24 addresses sending events of
 * 1 KiB, then small ones as the honest member's (which keep each share
 * within a few bytes of its bound), then 48 attackers of 24 addresses
 * (two members an address). Each share is exact: the honest member, far
 * within its own, is never held back. */
static void a_share_is_exact_however_many_addresses(void **state)
{
    (void)state;
    assert_int_equal(honest_got_under_attack(24, 24, 256 * 1024, BODY), 120);
    assert_int_equal(honest_got_under_attack(24, 24, 256 * 1024, 40), 120);
    assert_int_equal(honest_got_under_attack(48, 24, 256 * 1024, 40), 120);
}

/* Several addresses together cannot take a slow reader to the bound
 * either: each is held to its share of three quarters of it; only the
 * relay's own messages go past. */
static void many_senders_cannot_fill_a_reader_to_its_close(void **state)
{
    (void)state;
    struct relay *r = room_of(5, NULL); /* 0..3 send, each from its own address; 4 reads slowly */
    for (int k = 0; k < 200; k++) {
        now_us += 2000;
        assert_int_equal(event(r, (uint32_t)(k % 4), 5), 0);
        fake_take(4, 200); /* it takes a little, so it is no stall */
        for (uint32_t i = 0; i < 4; i++)
            fake_take(i, UINT64_MAX);
    }
    assert_int_equal(closes_of(4), 0);
    assert_true(fk.held[4].bytes <= BOUND * 3 / 4 + BODY + 12);
    assert_true(drops(r, RELAY_DROP_THROTTLED) > 100);
    for (uint32_t i = 0; i < 4; i++) /* each was held back, and told */
        assert_true(errors_to(i, "throttled") >= 1);
    relay_destroy(r);
}

/* Nothing taken while nothing is held is no stall: a member that reads
 * whatever comes, and one to which nothing was sent, are never closed;
 * the clock of a stall starts when something is first held. */
static void nothing_held_is_no_stall(void **state)
{
    (void)state;
    struct relay *r = room_of(2, NULL);
    for (int k = 0; k < 50; k++) {
        now_us += 100000;
        relay_sweep(r, now_us);
    }
    assert_int_equal(fk.n_disc, 0);
    assert_int_equal(send_text(r, 0, "{\"type\":\"chat\",\"text\":\"hi\"}"), 0);
    sweep_for(r, 1500000);
    assert_int_equal(fk.n_disc, 0);
    fake_take(0, UINT64_MAX);
    sweep_for(r, 600000);
    assert_int_equal(closes_of(1), 1); /* 2.1 s since it was first held */
    assert_int_equal(closes_of(0), 0);
    relay_destroy(r);
}

/* The relay's own stall is not its members': sweeps 3 s apart (the relay
 * stopped, or starved of the CPU, while its members' acknowledgements
 * waited unread) close no member whose edge held something since before
 * it; their stalls count from the relay's return, and one that takes
 * nothing for --slow-reader-ms after it is closed then. */
static void the_relays_own_stall_is_no_members(void **state)
{
    (void)state;
    struct relay *r = room_of(3, NULL); /* 0 says something; 0 and 1 read again, 2 never */
    assert_int_equal(send_text(r, 0, "{\"type\":\"chat\",\"text\":\"hi\"}"), 0);
    sweep_for(r, 500000);
    now_us += 3000000; /* the relay stopped */
    relay_sweep(r, now_us);
    assert_int_equal(fk.n_disc, 0);
    for (int k = 0; k < 20; k++) { /* 0 and 1 read again once the relay runs, 2 does not */
        assert_int_equal(fk.n_disc, 0);
        fake_take(0, UINT64_MAX);
        fake_take(1, UINT64_MAX);
        sweep_for(r, 100000);
    }
    assert_int_equal(closes_of(2), 1);
    assert_string_equal(disconnect_why(2), "slow_reader");
    assert_int_equal(closes_of(1), 0);
    assert_int_equal(closes_of(0), 0);
    relay_destroy(r);
}

/* The byte budget counts what a member makes the relay send: a 1 KiB
 * event to a room of four costs three of them; within the rate limit, the
 * budget drops the excess (rate_limited, naming bytes), then kicks; small
 * states at the same rate never reach it. */
static void the_byte_budget_counts_bytes_not_messages(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    cfg.rate_limit = 180;
    cfg.max_queued_bytes = 1 << 20;
    cfg.byte_limit = 30000;
    cfg.byte_burst = 30000;
    struct relay *r = room_of(4, &cfg);
    int ok = 0, limited = 0;
    for (int k = 0; k < 100; k++) { /* 100 a second: within --rate-limit */
        now_us += 10000;
        int rc = event(r, 0, PROTO_EVENT_ROOM);
        ok += rc == 0;
        limited += rc == DROP(RELAY_DROP_RATE_LIMITED);
        for (uint32_t i = 0; i < 4; i++)
            fake_take(i, UINT64_MAX);
    }
    /* 30 kB of burst plus 30 kB/s for 1 s, 3 x 1012 bytes each */
    assert_in_range(ok, 18, 22);
    assert_int_equal(ok + limited, 100);
    assert_true(errors_to(0, "rate_limited") >= 1);
    const char *why = NULL;
    for (size_t i = 0; i < fk.n_ctl; i++)
        if (fk.ctl[i].peer == 0 && strstr(fk.ctl[i].json, "rate_limited"))
            why = fk.ctl[i].json;
    assert_non_null(strstr(why, "bytes/s into your room"));
    /* sustained: kicked after --kick-after (2 s) */
    for (int k = 0; k < 300 && !disconnected(0); k++) {
        now_us += 10000;
        event(r, 0, PROTO_EVENT_ROOM);
    }
    assert_true(disconnected(0));
    assert_string_equal(disconnect_why(0), "kicked");
    /* 40-byte states at 60 Hz to three others: 7.2 kB/s, never limited */
    fake_clear();
    uint32_t seq = 1;
    for (int k = 0; k < 300; k++) {
        now_us += 16667;
        assert_int_equal(send_state(r, 1, 0, seq++), 0);
    }
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_flood_does_not_close_a_stalled_reader_the_stall_does),
        cmocka_unit_test(the_bound_closes_once_after_the_send_error_last),
        cmocka_unit_test(a_close_decided_in_a_fan_out_comes_after_it),
        cmocka_unit_test(the_throttle_holds_back_the_address_that_holds_most),
        cmocka_unit_test(a_sender_within_its_share_is_never_held_back),
        cmocka_unit_test(a_share_is_exact_however_many_addresses),
        cmocka_unit_test(many_senders_cannot_fill_a_reader_to_its_close),
        cmocka_unit_test(nothing_held_is_no_stall),
        cmocka_unit_test(the_relays_own_stall_is_no_members),
        cmocka_unit_test(the_byte_budget_counts_bytes_not_messages),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
