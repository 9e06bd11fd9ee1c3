/* test_control_reworded.c: the relay's drop counts hang on how and where the
 * control decoder refused a message (its fault: a code and the field), not on
 * the words of its reason: `proto/control.c` built in with every reason
 * reworded, and each way it refuses what a client sends
 * (`tests/support/control_drops.h`, which `test_relay_validation` runs with the
 * decoder's own words) counts the same drop, a ticket longer than any included */

/* This object's decoder stands in for libproto's (which the link then
 * leaves out): the same code, its reasons reworded. Before cmocka.h, whose
 * fail() macro would meet the decoder's own fail(). */
#define PROTO_WHY_REWORDED
#include "proto/control.c"

#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/support/control_drops.h"

/* The rewording is in force: no reason names its field any more. */
static void reasons_are_reworded(void **state)
{
    (void)state;
    static struct proto_control m;
    char why[PROTO_TEXT_MAX + 1];
    const char *json = "{\"type\":\"join\",\"room\":\"a\",\"name\":\"a\\u001bb\"}";
    assert_int_equal(proto_control_decode(json, strlen(json), &m, why, sizeof why),
                     PROTO_E_VALUE);
    assert_string_equal(why, "reworded");
    assert_int_equal(m.fault.err, PROTO_E_VALUE);
    assert_string_equal(m.fault.field, "name");
}

static void drops_unchanged(void **state)
{
    (void)state;
    control_drop_cases_run();
}

static void ticket_drop_unchanged(void **state)
{
    (void)state;
    control_drop_ticket_run();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reasons_are_reworded),
        cmocka_unit_test(drops_unchanged),
        cmocka_unit_test(ticket_drop_unchanged),
    };
    return cmocka_run_group_tests(tests, fake_relay_setup, fake_relay_teardown);
}
