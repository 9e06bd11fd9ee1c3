/* test_netaddr.c: endpoints of both families: `host:port` and `[v6]:port`
 * parsed and printed back, one-line errors, loopback, the hashing key covering
 * every address byte, a dual-stack socket */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sys/netaddr.h"

static char err[256];

static union netaddr parse_ok(const char *text)
{
    union netaddr a;
    if (netaddr_parse_endpoint(text, &a, err, sizeof err) != 0)
        fail_msg("'%s': %s", text, err);
    return a;
}

static void endpoints_print_as_written(void **state)
{
    (void)state;
    const char *same[] = {"127.0.0.1:7777", "0.0.0.0:0", "[::1]:7777", "[::]:65535",
                          "[fd00::2]:1"};
    char buf[NETADDR_STR_MAX];
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        union netaddr a = parse_ok(same[i]);
        assert_string_equal(netaddr_format(&a, buf, sizeof buf), same[i]);
    }
    union netaddr a = parse_ok("[::ffff:127.0.0.2]:9"); /* an IPv4 client of a :: socket */
    assert_int_equal(a.sa.sa_family, AF_INET6);
    assert_string_equal(netaddr_format(&a, buf, sizeof buf), "127.0.0.2:9");
    assert_int_equal(netaddr_resolve("[::1]", 80, &a, err, sizeof err), 0);
    assert_string_equal(netaddr_format(&a, buf, sizeof buf), "[::1]:80");
    assert_int_equal(netaddr_len(&a), sizeof(struct sockaddr_in6));
    assert_int_equal(netaddr_resolve("127.0.0.1", 80, &a, err, sizeof err), 0);
    assert_int_equal(netaddr_len(&a), sizeof(struct sockaddr_in));
    assert_int_equal(netaddr_port(&a), 80);
    assert_string_equal(netaddr_host_port("::1", 7, buf, sizeof buf), "[::1]:7");
    assert_string_equal(netaddr_host_port("[::1]", 7, buf, sizeof buf), "[::1]:7");
    assert_string_equal(netaddr_host_port("localhost", 7, buf, sizeof buf), "localhost:7");
    /* A name with both families (/etc/hosts: 127.0.0.1 and often ::1) gives IPv4. */
    a = parse_ok("localhost:7");
    assert_string_equal(netaddr_format(&a, buf, sizeof buf), "127.0.0.1:7");
}

static void bad_endpoints_are_one_line_errors(void **state)
{
    (void)state;
    struct { const char *text, *expect; } cases[] = {
        {"::1:7777", "write an IPv6 address in brackets"},
        {"[::1]7777", "expected [IPv6 address]:PORT"},
        {"[::1", "expected [IPv6 address]:PORT"},
        {"127.0.0.1", "expected HOST:PORT"},
        {":7777", "expected HOST:PORT"},
        {"127.0.0.1:", "the port must be 0 to 65535"},
        {"127.0.0.1:65536", "the port must be 0 to 65535"},
        {"127.0.0.1:-1", "the port must be 0 to 65535"},
        {"[]:7", "expected HOST:PORT"},
        {"[::1::2]:7", "cannot resolve '::1::2'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        union netaddr a;
        assert_int_equal(netaddr_parse_endpoint(cases[i].text, &a, err, sizeof err), -1);
        if (!strstr(err, cases[i].expect))
            fail_msg("'%s': '%s' lacks '%s'", cases[i].text, err, cases[i].expect);
        assert_null(strchr(err, '\n'));
    }
}

/* No host binds every IPv4 address; a bad one says it was the bind's. */
static void a_bind_address_defaults_to_every_ipv4_one(void **state)
{
    (void)state;
    union netaddr a;
    char buf[NETADDR_STR_MAX];
    assert_int_equal(netaddr_resolve_bind(NULL, 7777, &a, err, sizeof err), 0);
    assert_string_equal(netaddr_format(&a, buf, sizeof buf), "0.0.0.0:7777");
    assert_int_equal(netaddr_resolve_bind("", 0, &a, err, sizeof err), 0);
    assert_string_equal(netaddr_format(&a, buf, sizeof buf), "0.0.0.0:0");
    assert_int_equal(netaddr_resolve_bind("::1", 9, &a, err, sizeof err), 0);
    assert_string_equal(netaddr_format(&a, buf, sizeof buf), "[::1]:9");
    assert_int_equal(netaddr_resolve_bind("[::1", 9, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "bind address: "));
}

static void compare_and_loopback(void **state)
{
    (void)state;
    union netaddr a = parse_ok("[::1]:5"), b = parse_ok("[::1]:6"), c = parse_ok("[::2]:5");
    union netaddr d = parse_ok("127.0.0.1:5");
    assert_true(netaddr_equal(&a, &a));
    assert_false(netaddr_equal(&a, &b));
    assert_true(netaddr_same_host(&a, &b));
    assert_false(netaddr_same_host(&a, &c));
    assert_false(netaddr_same_host(&a, &d)); /* families differ */
    assert_true(netaddr_is_loopback(&a));
    assert_true(netaddr_is_loopback(&d));
    assert_false(netaddr_is_loopback(&c));
    union netaddr e = parse_ok("127.255.0.1:1"), f = parse_ok("[::ffff:127.0.0.1]:1");
    union netaddr g = parse_ok("0.0.0.0:1"), h = parse_ok("[::]:1"), k = parse_ok("10.0.0.1:1");
    assert_true(netaddr_is_loopback(&e));
    assert_true(netaddr_is_loopback(&f));
    assert_false(netaddr_is_loopback(&g));
    assert_false(netaddr_is_loopback(&h));
    assert_false(netaddr_is_loopback(&k));
}

/* The key covers every byte of an IPv6 address and the port: endpoints
 * that differ only in the last byte of the address, or only in its first,
 * or in the port, give different keys. */
static void key_covers_the_whole_endpoint(void **state)
{
    (void)state;
    uint8_t k1[NETADDR_KEY_MAX], k2[NETADDR_KEY_MAX];
    union netaddr base = parse_ok("[2001:db8::1]:7777");
    size_t n = netaddr_key(&base, k1);
    assert_int_equal(n, 18);
    for (int byte = 0; byte < 16; byte++) {
        union netaddr other = base;
        other.v6.sin6_addr.s6_addr[byte] ^= 0x80;
        assert_int_equal(netaddr_key(&other, k2), 18);
        assert_memory_not_equal(k1, k2, 18);
    }
    union netaddr port = base;
    netaddr_set_port(&port, 7778);
    netaddr_key(&port, k2);
    assert_memory_not_equal(k1, k2, 18);
    union netaddr v4 = parse_ok("192.0.2.1:7777");
    assert_int_equal(netaddr_key(&v4, k2), 6);
    assert_memory_equal(k2, "\xc0\x00\x02\x01\x1e\x61", 6);
}

/* Bound to [::]:0, a dual-stack socket receives from 127.0.0.1; the sender
 * shows as IPv4 and compares equal to itself as a mapped address. */
static void dual_stack_socket_hears_ipv4(void **state)
{
    (void)state;
    union netaddr any = parse_ok("[::]:0"), local;
    int rx = netaddr_udp_socket(&any, 0);
    assert_true(rx >= 0);
    assert_int_equal(bind(rx, &any.sa, netaddr_len(&any)), 0);
    socklen_t len = sizeof local;
    assert_int_equal(getsockname(rx, &local.sa, &len), 0);
    union netaddr to = parse_ok("127.0.0.1:0");
    netaddr_set_port(&to, netaddr_port(&local));
    int tx = netaddr_udp_socket(&to, 0);
    assert_true(tx >= 0);
    assert_int_equal(sendto(tx, "hi", 2, 0, &to.sa, netaddr_len(&to)), 2);
    char buf[8];
    union netaddr from, from_again;
    len = sizeof from;
    assert_int_equal(recvfrom(rx, buf, sizeof buf, 0, &from.sa, &len), 2);
    assert_int_equal(netaddr_from_sockaddr(&from_again, &from.sa, len), 0);
    assert_true(netaddr_equal(&from, &from_again));
    assert_int_equal(netaddr_from_sockaddr(&from, &from.sa, len), 0); /* in place */
    assert_true(netaddr_equal(&from, &from_again));
    assert_true(netaddr_is_loopback(&from));
    char text[NETADDR_STR_MAX];
    assert_non_null(strstr(netaddr_format(&from, text, sizeof text), "127.0.0.1:"));
    close(tx);
    close(rx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(endpoints_print_as_written),
        cmocka_unit_test(bad_endpoints_are_one_line_errors),
        cmocka_unit_test(a_bind_address_defaults_to_every_ipv4_one),
        cmocka_unit_test(compare_and_loopback),
        cmocka_unit_test(key_covers_the_whole_endpoint),
        cmocka_unit_test(dual_stack_socket_hears_ipv4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
