/* test_strangers.c: the budgets of replies to endpoints that are not members:
 * per source (an IPv4 address, an IPv6 /64), in all, the `cookie` outside the
 * shared budget, the burst following `--max-per-address`, hash collisions never
 * shutting a source out */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "relay/core/strangers.h"

static const uint8_t key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static struct strangers S; /* large: static */

static union netaddr at(const char *endpoint)
{
    union netaddr a;
    char err[128];
    if (netaddr_parse_endpoint(endpoint, &a, err, sizeof err) != 0)
        fail_msg("%s: %s", endpoint, err);
    return a;
}

/* Replies granted to `from` out of n asked at now_us. */
static int granted(const char *from, bool admission, int n, uint64_t now_us)
{
    union netaddr a = at(from);
    int yes = 0;
    for (int i = 0; i < n; i++)
        yes += strangers_may_reply(&S, &a, admission, now_us);
    return yes;
}

/* One source: a burst, then its rate; any port of an IPv4 address, or
 * any address of an IPv6 /64, is the same source. */
static void per_source_budget(void **state)
{
    (void)state;
    uint64_t t = 1000000;
    strangers_init(&S, key, 3, t);
    assert_int_equal(granted("127.0.0.2:1000", false, 20, t), STRANGERS_SOURCE_BURST);
    assert_int_equal(granted("127.0.0.2:2000", true, 1, t), 0); /* another port: same source */
    t += 1000000 / STRANGERS_SOURCE_PER_S;
    assert_int_equal(granted("127.0.0.2:1000", true, 5, t), 1);
    assert_int_equal(granted("127.0.0.3:1000", false, 20, t), STRANGERS_SOURCE_BURST);
    assert_int_equal(granted("[2001:db8:1:2::1]:7", false, 20, t), STRANGERS_SOURCE_BURST);
    assert_int_equal(granted("[2001:db8:1:2:ffff::9]:8", false, 1, t), 0); /* the same /64 */
    assert_int_equal(granted("[2001:db8:1:3::1]:7", false, 1, t), 1);      /* another /64 */
    /* an IPv4 client of a dual-stack relay is its IPv4 address */
    assert_int_equal(granted("[::ffff:127.0.0.4]:9", false, 20, t), STRANGERS_SOURCE_BURST);
    assert_int_equal(granted("127.0.0.4:9", false, 1, t), 0);
    assert_int_equal(granted("[::ffff:127.0.0.5]:9", false, 1, t), 1); /* not all of ::ffff:0:0/96 */
    /* time going backwards refills nothing */
    assert_int_equal(granted("127.0.0.2:1000", false, 1, t - 500000), 0);
}

/* The shared budget: STRANGERS_PER_S replies a second over all sources,
 * but a cookie (admission) never needs it: a flood from many sources
 * cannot keep a newcomer's cookie from it. */
static void shared_budget_spares_cookies(void **state)
{
    (void)state;
    uint64_t t = 5000000;
    strangers_init(&S, key, 3, t);
    int yes = 0;
    for (int i = 0; i < 2 * STRANGERS_PER_S; i++) {
        char from[32];
        snprintf(from, sizeof from, "10.0.%d.%d:5", i / 250, i % 250 + 1);
        yes += granted(from, false, 1, t);
    }
    assert_int_equal(yes, STRANGERS_PER_S);
    assert_int_equal(granted("10.9.9.9:5", false, 1, t), 0);
    assert_int_equal(granted("10.9.9.9:5", true, 1, t), 1); /* a cookie: its source's only */
    t += 1000000 / STRANGERS_PER_S;
    assert_int_equal(granted("10.9.9.8:5", false, 2, t), 1);
}

/* 70 flooding sources, each far over its budget, for 10 s of 1 ms steps:
 * they get their sources' rate and no more, and a newcomer's cookie is
 * granted every time it asks. A source whose slot another holds takes it
 * over: with 5000 sources in 4096 slots, every one still gets its first
 * reply (a collision never shuts a source out). */
static void flood_leaves_newcomers_in(void **state)
{
    (void)state;
    uint64_t t = 9000000;
    strangers_init(&S, key, 3, t);
    long flood = 0, newcomer = 0;
    for (int ms = 0; ms < 10000; ms++, t += 1000) {
        char from[32];
        snprintf(from, sizeof from, "127.0.1.%d:4000", ms % 70 + 2);
        flood += granted(from, true, 1, t);
        if (ms % 250 == 0)
            newcomer += granted("127.0.0.1:5555", true, 1, t);
    }
    assert_int_equal(newcomer, 40);
    assert_true(flood <= 70 * (STRANGERS_SOURCE_BURST + 10 * STRANGERS_SOURCE_PER_S));
    strangers_init(&S, key, 3, t);
    int first = 0;
    for (int i = 0; i < 5000; i++) {
        char from[32];
        snprintf(from, sizeof from, "10.%d.%d.%d:1", i / 62500, i / 250 % 250, i % 250 + 1);
        first += granted(from, true, 1, t);
    }
    assert_int_equal(first, 5000);
}

/* The burst per source is as large as the clients one address may have
 * (never under STRANGERS_SOURCE_BURST), and with --max-per-address 0 (one
 * address may be everyone) there is no budget per source: only the shared
 * one, which cookies do not use. */
static void per_address_sets_the_burst(void **state)
{
    (void)state;
    uint64_t t = 2000000;
    strangers_init(&S, key, 16, t);
    assert_int_equal(granted("127.0.0.2:1", true, 40, t), 16);
    strangers_init(&S, key, 0, t);
    assert_int_equal(granted("127.0.0.2:1", true, 1000, t), 1000);
    assert_int_equal(granted("127.0.0.2:1", false, 1000, t), STRANGERS_PER_S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(per_source_budget),
        cmocka_unit_test(shared_budget_spares_cookies),
        cmocka_unit_test(flood_leaves_newcomers_in),
        cmocka_unit_test(per_address_sets_the_burst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
