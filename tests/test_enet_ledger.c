/* test_enet_ledger.c: what the ENet edge may send a source that has not
 * shown its address: no more bytes than it received from it, per source
 * (an IPv4 address, an IPv6 /64), acknowledgements alone leaving a
 * DISCONNECT's bytes, nothing owed after the source was idle, a clock
 * read out of order taken for no idleness */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relay/enet/enet_ledger.h"

static union netaddr addr(const char *host, uint16_t port)
{
    union netaddr a;
    char err[128];
    assert_int_equal(netaddr_resolve(host, port, &a, err, sizeof err), 0);
    return a;
}

static void spends_no_more_than_came(void **state)
{
    (void)state;
    struct enet_ledger *l = malloc(sizeof *l);
    enet_ledger_init(l);
    union netaddr a = addr("192.0.2.1", 1000), b = addr("192.0.2.2", 1000);
    assert_false(enet_ledger_spend(l, &a, 1, 0, 0)); /* nothing came yet */
    enet_ledger_received(l, &a, 52, 0);              /* a CONNECT */
    assert_true(enet_ledger_spend(l, &a, 48, 0, 1)); /* its VERIFY_CONNECT */
    assert_false(enet_ledger_spend(l, &a, 48, 0, 2)); /* ... not again */
    assert_false(enet_ledger_spend(l, &b, 4, 0, 2));  /* another source is owed nothing */
    assert_true(enet_ledger_spend(l, &a, 4, 0, 3));   /* the 4 bytes left */
    enet_ledger_received(l, &a, 60, 4);
    assert_true(enet_ledger_spend(l, &a, 48, 0, 5));  /* once more came */
    free(l);
}

static void a_source_is_its_address_or_its_64(void **state)
{
    (void)state;
    struct enet_ledger *l = malloc(sizeof *l);
    enet_ledger_init(l);
    union netaddr p1 = addr("192.0.2.1", 1000), p2 = addr("192.0.2.1", 2000);
    union netaddr v1 = addr("2001:db8::1", 1000), v2 = addr("2001:db8::ffff:2", 1000);
    union netaddr other64 = addr("2001:db8:0:1::1", 1000);
    enet_ledger_received(l, &p1, 20, 0);
    assert_true(enet_ledger_spend(l, &p2, 20, 0, 1)); /* any port of the address */
    enet_ledger_received(l, &v1, 20, 0);
    assert_false(enet_ledger_spend(l, &other64, 1, 0, 1));
    assert_true(enet_ledger_spend(l, &v2, 20, 0, 1)); /* anywhere in the /64 */
    free(l);
}

static void acknowledgements_leave_the_close_its_bytes(void **state)
{
    (void)state;
    struct enet_ledger *l = malloc(sizeof *l);
    enet_ledger_init(l);
    union netaddr a = addr("192.0.2.1", 1000);
    enet_ledger_received(l, &a, 20, 0);
    assert_false(enet_ledger_spend(l, &a, 12, LEDGER_KEEP, 1)); /* 20 - 12 < 12 */
    assert_true(enet_ledger_spend(l, &a, 8, LEDGER_KEEP, 1));
    assert_true(enet_ledger_spend(l, &a, LEDGER_KEEP, 0, 2));   /* the close still goes */
    assert_false(enet_ledger_spend(l, &a, 1, 0, 3));
    free(l);
}

static void an_idle_source_is_owed_nothing(void **state)
{
    (void)state;
    struct enet_ledger *l = malloc(sizeof *l);
    enet_ledger_init(l);
    union netaddr a = addr("192.0.2.1", 1000);
    enet_ledger_received(l, &a, 100, 0);
    assert_true(enet_ledger_spend(l, &a, 10, 0, LEDGER_IDLE_US));
    assert_false(enet_ledger_spend(l, &a, 10, 0, 2 * LEDGER_IDLE_US + 1));
    free(l);
}

/* Bytes read in one batch are credited at the batch's time, which can be
 * before a send the relay made meanwhile: a clock read out of order is
 * no idleness. */
static void an_earlier_time_keeps_the_credit(void **state)
{
    (void)state;
    struct enet_ledger *l = malloc(sizeof *l);
    enet_ledger_init(l);
    union netaddr a = addr("192.0.2.1", 1000);
    enet_ledger_received(l, &a, 100, 1000);
    assert_true(enet_ledger_spend(l, &a, 10, 0, 2000));
    enet_ledger_received(l, &a, 52, 1500); /* read at 1500, handed over after 2000 */
    assert_true(enet_ledger_spend(l, &a, 142, 0, 2100));
    free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spends_no_more_than_came),
        cmocka_unit_test(a_source_is_its_address_or_its_64),
        cmocka_unit_test(acknowledgements_leave_the_close_its_bytes),
        cmocka_unit_test(an_idle_source_is_owed_nothing),
        cmocka_unit_test(an_earlier_time_keeps_the_credit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
