/* test_key_guesses.c: the bound on joins with a player key the relay does
 * not hold (relay/core/key_guesses.h): per source a burst, then its rate;
 * any port of an IPv4 address, any address of an IPv6 /64, is one source,
 * but on loopback each address and port is its own; another source has its
 * own bucket; time going backwards refills nothing */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../relay/core/key_guesses.h"

static struct key_guesses G; /* large: static */

static union netaddr at(const char *endpoint)
{
    union netaddr a;
    char err[128];
    if (netaddr_parse_endpoint(endpoint, &a, err, sizeof err) != 0)
        fail_msg("%s: %s", endpoint, err);
    return a;
}

/* Joins granted to `from` out of n tried at now_us. */
static int granted(const char *from, int n, uint64_t now_us)
{
    union netaddr a = at(from);
    int yes = 0;
    for (int i = 0; i < n; i++)
        yes += key_guesses_may_try(&G, &a, now_us);
    return yes;
}

static void a_burst_then_its_rate(void **state)
{
    (void)state;
    memset(&G, 0, sizeof G);
    uint64_t t = 5000000;
    assert_int_equal(granted("192.0.2.7:1000", 300, t), KEY_GUESSES_BURST);
    assert_int_equal(granted("192.0.2.7:2000", 1, t), 0); /* another port: same source */
    t += 1000000 / KEY_GUESSES_PER_S;
    assert_int_equal(granted("192.0.2.7:1000", 5, t), 1);
    t += 1000000; /* a second: its rate */
    assert_int_equal(granted("192.0.2.7:1000", 300, t), KEY_GUESSES_PER_S);
    assert_int_equal(granted("192.0.2.7:1000", 1, t - 500000), 0); /* backwards: none */
    t += 60000000; /* a long while: the burst again, no more */
    assert_int_equal(granted("192.0.2.7:1000", 300, t), KEY_GUESSES_BURST);
}

static void sources_apart(void **state)
{
    (void)state;
    memset(&G, 0, sizeof G);
    uint64_t t = 5000000;
    assert_int_equal(granted("192.0.2.7:1000", 300, t), KEY_GUESSES_BURST);
    assert_int_equal(granted("192.0.2.8:1000", 300, t), KEY_GUESSES_BURST);
    /* an IPv6 /64 is one source */
    assert_int_equal(granted("[2001:db8:1:2::1]:7", 300, t), KEY_GUESSES_BURST);
    assert_int_equal(granted("[2001:db8:1:2::99]:7", 1, t), 0);
    assert_int_equal(granted("[2001:db8:1:3::1]:7", 300, t), KEY_GUESSES_BURST);
    /* on loopback, each port a client of its own */
    assert_int_equal(granted("127.0.0.1:1000", 300, t), KEY_GUESSES_BURST);
    assert_int_equal(granted("127.0.0.1:1001", 300, t), KEY_GUESSES_BURST);
    assert_int_equal(granted("127.0.0.1:1000", 1, t), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_burst_then_its_rate),
        cmocka_unit_test(sources_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
