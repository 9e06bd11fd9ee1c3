/* test_source_key.c: who a peer is (relay/core/source_key.c): an IPv4
 * address (any port; an IPv4-mapped IPv6 address is its IPv4 one), an IPv6
 * /64 (any address of it), never 0; a member on loopback counted with its
 * port; an address of no family (none known) no one's source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "relay/core/source_key.h"
#include "sys/netaddr.h"

static union netaddr at(const char *text)
{
    union netaddr a;
    char err[128];
    if (netaddr_parse_endpoint(text, &a, err, sizeof err) != 0)
        fail_msg("%s: %s", text, err);
    return a;
}

static uint64_t key_of(const char *text)
{
    union netaddr a = at(text);
    uint64_t k = source_key(&a);
    assert_int_not_equal(k, 0);
    return k;
}

static void a_source_is_an_ipv4_address_or_an_ipv6_64(void **state)
{
    (void)state;
    assert_int_equal(key_of("203.0.113.7:1"), key_of("203.0.113.7:2"));
    assert_int_equal(key_of("203.0.113.7:1"), key_of("[::ffff:203.0.113.7]:3"));
    assert_int_not_equal(key_of("203.0.113.7:1"), key_of("203.0.113.8:1"));
    assert_int_equal(key_of("[2001:db8:1:2::1]:1"), key_of("[2001:db8:1:2:ffff:ffff:ffff:ffff]:9"));
    assert_int_not_equal(key_of("[2001:db8:1:2::1]:1"), key_of("[2001:db8:1:3::1]:1"));
    union netaddr a = at("[2001:db8:1:2::1]:1"), b = at("[2001:db8:1:2::99]:2"),
                  c = at("[2001:db8:1:3::1]:1"), d = at("10.0.0.1:1");
    assert_true(source_same(&a, &b));
    assert_false(source_same(&a, &c));
    assert_false(source_same(&a, &d));
}

static void a_member_on_loopback_is_counted_with_its_port(void **state)
{
    (void)state;
    union netaddr a = at("127.0.0.1:1000"), b = at("127.0.0.1:1001"), c = at("[::1]:1000"),
                  d = at("10.0.0.1:1000"), e = at("10.0.0.1:1001");
    assert_int_not_equal(source_key_member(&a), source_key_member(&b));
    assert_int_equal(source_key(&a), source_key(&b)); /* one address for the bounds */
    assert_int_not_equal(source_key_member(&a), source_key_member(&c));
    assert_int_equal(source_key_member(&d), source_key_member(&e));
    assert_int_equal(source_key_member(&d), source_key(&d));
}

/* A peer whose edge gave no address (a zeroed one) shares a source with
 * no one, not even another such peer. */
static void an_address_of_no_family_is_no_ones_source(void **state)
{
    (void)state;
    union netaddr none, v4 = at("0.0.0.0:0");
    memset(&none, 0, sizeof none);
    assert_false(source_same(&none, &none));
    assert_false(source_same(&none, &v4));
    assert_false(source_same(&v4, &none));
    assert_true(source_same(&v4, &v4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_source_is_an_ipv4_address_or_an_ipv6_64),
        cmocka_unit_test(a_member_on_loopback_is_counted_with_its_port),
        cmocka_unit_test(an_address_of_no_family_is_no_ones_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
