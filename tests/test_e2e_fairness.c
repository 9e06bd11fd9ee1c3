/* test_e2e_fairness.c: the throttle toward a slow reader is fair on every
 * edge that has one (tcp, poll, quic, enet). A member behind a 0.5 Mbit/s
 * link (support/faultlab.h: about 64 kB/s) is sent 20 small events a
 * second by an honest member while attackers, within every limit, send it
 * 170 events of 1 KiB a second each: first from one address, then from
 * two (on loopback each connection is an address of its own). The honest
 * member is never held back (never told throttled) and every one of its
 * 120 events arrives, with two addresses as with one; the attackers are
 * held back and the slow member is never closed. Then on tcp, attackers
 * of 24 addresses (past any table of 16) sending events as small as the
 * honest member's: the same. Needs root (network
 * namespaces, veth, tc), as CI has it; skipped without.
 * RICOCHET_FAIR_WAYS="tcp,quic" runs those ways alone. */

/* tests/run: alone (a slow member's link is a rate: a neighbour's load
 * moves what it takes) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"
#include "tests/support/faultlab.h"
#include "tests/support/harness.h"
#include "tests/support/member.h"

#define WAYS 4
#define ATTACK_MS 6000
#define DRAIN_MS 8000        /* what waits for the slow member reaches it */
#define FLOOD_PER_S 170      /* each attacker's: under the rate limit (180 a second) */
#define HONEST_PER_S 20
#define HONEST_BODY 40
#define ATTACK_BODY 1024 /* an attacker's event: 1 KiB */
#define JOIN_MS 20000
#define MANY 24              /* the last round's attackers' addresses: past 16 */

static const char *const way_names[WAYS] = {"tcp", "poll", "quic", "enet"};

static const char *const relay_args[] = {"--max-per-address", "64", NULL};

/* One way's room in one round. */
struct room {
    const struct way *w;
    char name[24];
    struct victim slow;
    struct member honest, attacker[MANY];
    size_t body;             /* of each attacker's events */
    uint64_t flooded, sent;
};

/* What a round measured in a room. */
struct got {
    uint64_t honest, told, attackers_told;
    bool closed;
};

static uint16_t port_of(struct faultlab *f, const struct way *w)
{
    return faultlab_port(f, w->offers ? w->offers : w->edge);
}

/* Opens each way's room for a round of `addresses` attackers' addresses:
 * the slow member behind link `link0 + i`, forked before this process's
 * sessions start threads, then the honest member and the attackers. */
static void rooms_open(struct faultlab *f, struct room *rm, size_t n, int addresses, int link0)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(rm[i].name, sizeof rm[i].name, "fair-%s-%d", rm[i].w->name, addresses);
        faultlab_link(f, link0 + (int)i);
        victim_start(&rm[i].slow, f, rm[i].w, link0 + (int)i, rm[i].name, "slow");
    }
    for (size_t i = 0; i < n; i++) {
        uint16_t port = port_of(f, rm[i].w);
        assert_int_equal(member_join(&rm[i].honest, rm[i].w, "127.0.0.1", port, rm[i].name,
                                     "honest", JOIN_MS), 0);
        for (int a = 0; a < addresses; a++)
            assert_int_equal(member_join(&rm[i].attacker[a], rm[i].w, "127.0.0.1", port,
                                         rm[i].name, "attacker", JOIN_MS), 0);
        assert_int_not_equal(victim_joined(&rm[i].slow, JOIN_MS), 0);
    }
}

/* Everyone of this process reads; while attacking, the honest member and
 * the attackers send on schedule (from t0). */
static void turn(struct room *rm, size_t n, int addresses, uint64_t now, uint64_t t0,
                 bool attack)
{
    for (size_t i = 0; i < n; i++) {
        struct room *r = &rm[i];
        member_poll(&r->honest, 0);
        for (int a = 0; a < addresses; a++)
            member_poll(&r->attacker[a], 0);
        if (!attack)
            continue;
        for (; r->flooded < (now - t0) * FLOOD_PER_S / 1000; r->flooded++)
            for (int a = 0; a < addresses; a++)
                if (!r->attacker[a].ended)
                    member_send_event(&r->attacker[a], r->slow.id, r->body);
        for (; r->sent < (now - t0) * HONEST_PER_S / 1000 + 1 && !r->honest.ended; r->sent++)
            member_send_event(&r->honest, r->slow.id, HONEST_BODY);
    }
}

/* One round: every way's room at once, attackers of `addresses`
 * addresses sending events of body bytes; what each slow member got into
 * got[]. */
static void round_of(struct faultlab *f, struct room *rm, size_t n, int addresses, int link0,
                     size_t body, struct got *got)
{
    for (size_t i = 0; i < n; i++)
        rm[i].body = body;
    rooms_open(f, rm, n, addresses, link0);
    uint64_t t0 = clock_now_ms();
    for (uint64_t now = t0; now - t0 < ATTACK_MS; now = clock_now_ms()) {
        turn(rm, n, addresses, now, t0, true);
        clock_sleep_ms(1);
    }
    turn(rm, n, addresses, t0 + ATTACK_MS - 1, t0, true); /* the last due, had a turn been late */
    for (uint64_t now = clock_now_ms(); now - t0 < ATTACK_MS + DRAIN_MS; now = clock_now_ms()) {
        turn(rm, n, addresses, now, t0, false);
        clock_sleep_ms(5);
    }
    for (size_t i = 0; i < n; i++) {
        struct victim_end end = victim_end(&rm[i].slow);
        got[i] = (struct got){.honest = rm[i].honest.id < MEMBER_IDS
                                            ? end.events_from[rm[i].honest.id] : 0,
                              .told = rm[i].honest.errors_throttled,
                              .closed = end.ended};
        if (rm[i].sent != ATTACK_MS / 1000 * HONEST_PER_S)
            fail_msg("%s: the honest member sent %llu events, its session %s %s", rm[i].w->name,
                     (unsigned long long)rm[i].sent, rm[i].honest.ended ? "ended" : "open",
                     rm[i].honest.end_code);
        member_close(&rm[i].honest);
        for (int a = 0; a < addresses; a++) {
            got[i].attackers_told += rm[i].attacker[a].errors_throttled;
            member_close(&rm[i].attacker[a]);
        }
        rm[i].flooded = rm[i].sent = 0;
    }
}

static void a_sender_within_its_share_gets_through_on_every_edge(void **state)
{
    (void)state;
    static struct faultlab f;
    static struct room rm[WAYS];
    memset(rm, 0, sizeof rm);
    const char *only = getenv("RICOCHET_FAIR_WAYS");
    size_t n = 0;
    for (size_t i = 0; i < WAYS; i++)
        if (!only || strstr(only, way_names[i]))
            rm[n++].w = member_way(way_names[i]);
    char why[256];
    int rtc_link = 0; /* the webrtc way's link: faultlab makes it, no slow member uses it */
    if (faultlab_open(&f, relay_args, rtc_link, why, sizeof why) != 0) {
        print_message("no network namespaces here: %s\n", why);
        skip();
    }
    struct got one[WAYS], two[WAYS], many = {.honest = 120};
    round_of(&f, rm, n, 1, 1, ATTACK_BODY, one);
    round_of(&f, rm, n, 2, 1 + WAYS, ATTACK_BODY, two);
    /* past 16 addresses, each attacker's events as small as the honest
     * member's (so each attacker's share is kept full to a few bytes): on
     * tcp, the edge whose slow member reads the most steadily */
    if (strcmp(rm[0].w->name, "tcp") == 0)
        round_of(&f, rm, 1, MANY, 1 + 2 * WAYS, HONEST_BODY, &many);
    assert_true(spawn_running(&f.relay));
    char *st = harness_relay_stats_now(&f.relay);
    long long throttled = harness_stats_field(st, false, "drops.throttled");
    long long limited = harness_stats_field(st, false, "drops.rate_limited");
    free(st);
    free(faultlab_close(&f));
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        bool ok = one[i].honest == 120 && two[i].honest == 120 && !one[i].told &&
                  !two[i].told && !one[i].closed && !two[i].closed &&
                  two[i].attackers_told > 0;
        print_message("  %-5s %s honest events to the slow member: %llu of 120 (one attacker "
                      "address), %llu of 120 (two); honest told throttled %llu, %llu times; "
                      "attackers told %llu, %llu times; slow member %s\n",
                      rm[i].w->name, ok ? "ok  " : "FAIL", (unsigned long long)one[i].honest,
                      (unsigned long long)two[i].honest, (unsigned long long)one[i].told,
                      (unsigned long long)two[i].told, (unsigned long long)one[i].attackers_told,
                      (unsigned long long)two[i].attackers_told,
                      one[i].closed || two[i].closed ? "CLOSED" : "kept");
        failed += !ok;
    }
    bool ok = many.honest == 120 && !many.told && !many.closed;
    print_message("  tcp   %s honest events to the slow member with %d attackers' addresses "
                  "sending small events: %llu of 120; honest told throttled %llu times; "
                  "attackers told %llu times; slow member %s\n", ok ? "ok  " : "FAIL", MANY,
                  (unsigned long long)many.honest, (unsigned long long)many.told,
                  (unsigned long long)many.attackers_told, many.closed ? "CLOSED" : "kept");
    failed += !ok;
    print_message("drops: throttled %lld, rate_limited %lld\n", throttled, limited);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_sender_within_its_share_gets_through_on_every_edge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
