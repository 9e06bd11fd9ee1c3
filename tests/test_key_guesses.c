/* test_key_guesses.c: the bound on joins with a player key the relay does
 * not hold, a cost of its own in each source's slot of joins
 * (relay/core/join_cost_internal.h): per source a burst, then its rate;
 * any port of an IPv4 address, any address of an IPv6 /64, is one source,
 * but on loopback each address and port is its own; another source has its
 * own bucket; time going backwards refills nothing; the keys spent leave
 * the source's joins whole, and their burst is met before the joins';
 * two sources meeting in one slot never refill each other's bucket */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "relay/core/join_cost_internal.h"
#include "relay/core/source_key.h"

static struct core_join_cost G; /* large: static */

static union netaddr at(const char *endpoint)
{
    union netaddr a;
    char err[128];
    if (netaddr_parse_endpoint(endpoint, &a, err, sizeof err) != 0)
        fail_msg("%s: %s", endpoint, err);
    return a;
}

/* Spends of what granted to `from` out of n tried at now_us. */
static int spent(const char *from, enum core_join_spend what, int n, uint64_t now_us)
{
    union netaddr a = at(from);
    uint64_t source = source_key_member(&a);
    int yes = 0;
    for (int i = 0; i < n; i++)
        yes += core_join_cost_spend(&G, source, what, now_us);
    return yes;
}

/* Joins with a key the relay does not hold granted to `from` out of n. */
static int granted(const char *from, int n, uint64_t now_us)
{
    return spent(from, CORE_JOIN_SPEND_KEY, n, now_us);
}

static void a_burst_then_its_rate(void **state)
{
    (void)state;
    memset(&G, 0, sizeof G);
    uint64_t t = 5000000;
    assert_int_equal(granted("192.0.2.7:1000", 300, t), JOIN_COST_KEYS_BURST);
    assert_int_equal(granted("192.0.2.7:2000", 1, t), 0); /* another port: same source */
    t += 1000000 / JOIN_COST_KEYS_PER_S;
    assert_int_equal(granted("192.0.2.7:1000", 5, t), 1);
    t += 1000000; /* a second: its rate */
    assert_int_equal(granted("192.0.2.7:1000", 300, t), JOIN_COST_KEYS_PER_S);
    assert_int_equal(granted("192.0.2.7:1000", 1, t - 500000), 0); /* backwards: none */
    t += 60000000; /* a long while: the burst again, no more */
    assert_int_equal(granted("192.0.2.7:1000", 300, t), JOIN_COST_KEYS_BURST);
}

static void sources_apart(void **state)
{
    (void)state;
    memset(&G, 0, sizeof G);
    uint64_t t = 5000000;
    assert_int_equal(granted("192.0.2.7:1000", 300, t), JOIN_COST_KEYS_BURST);
    assert_int_equal(granted("192.0.2.8:1000", 300, t), JOIN_COST_KEYS_BURST);
    /* an IPv6 /64 is one source */
    assert_int_equal(granted("[2001:db8:1:2::1]:7", 300, t), JOIN_COST_KEYS_BURST);
    assert_int_equal(granted("[2001:db8:1:2::99]:7", 1, t), 0);
    assert_int_equal(granted("[2001:db8:1:3::1]:7", 300, t), JOIN_COST_KEYS_BURST);
    /* on loopback, each port a client of its own */
    assert_int_equal(granted("127.0.0.1:1000", 300, t), JOIN_COST_KEYS_BURST);
    assert_int_equal(granted("127.0.0.1:1001", 300, t), JOIN_COST_KEYS_BURST);
    assert_int_equal(granted("127.0.0.1:1000", 1, t), 0);
}

/* Keys spent leave the source's joins whole; a crowd's keys run out first. */
static void keys_beside_joins(void **state)
{
    (void)state;
    memset(&G, 0, sizeof G);
    uint64_t t = 5000000;
    assert_int_equal(granted("192.0.2.7:1000", 300, t), JOIN_COST_KEYS_BURST);
    assert_int_equal(spent("192.0.2.7:1000", CORE_JOIN_SPEND_JOIN, 300, t),
                     JOIN_COST_JOINS_BURST);
    assert_true(JOIN_COST_KEYS_BURST < JOIN_COST_JOINS_BURST);
}

/* Two sources whose keys meet in one slot of the table: neither's use
 * hands the other a fresh bucket. Joins tried in turn from both at one
 * instant are granted at most a burst each, whichever holds the slot. */
static void sources_in_one_slot(void **state)
{
    (void)state;
    memset(&G, 0, sizeof G);
    uint64_t a = 0x5000, b = a + JOIN_COST_SLOTS, now = 1000000; /* one slot's index */
    int yes = 0, tries = 2 * (JOIN_COST_JOINS_BURST + 50);
    for (int i = 0; i < tries; i++)
        yes += core_join_cost_spend(&G, i % 2 ? b : a, CORE_JOIN_SPEND_JOIN, now);
    if (yes > 2 * JOIN_COST_JOINS_BURST)
        fail_msg("%d of %d joins granted to two sources in one slot", yes, tries);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_burst_then_its_rate),
        cmocka_unit_test(sources_apart),
        cmocka_unit_test(keys_beside_joins),
        cmocka_unit_test(sources_in_one_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
