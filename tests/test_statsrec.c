/* test_statsrec: the stats record reader (proto/statsrec.c): the last
 * record of the asked kind wins, final:true when asked, other kinds, other
 * JSON and text lines are skipped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/statsrec.h"

static const char out[] =
    "relay: listening on 127.0.0.1:7777\n"
    "{\"type\":\"stats\",\"program\":\"relay\",\"joins\":1,\"final\":false}\n"
    "{\"type\":\"stats\",\"program\":\"netsim\",\"seed\":7,\"final\":false}\n"
    "{\"type\":\"bot_summary\",\"joins\":99}\n"
    "{broken\n"
    "{\"type\":\"stats\",\"program\":\"relay\",\"joins\":3,\"final\":true}\n"
    "{\"type\":\"stats\",\"program\":\"relay\",\"joins\":4,\"final\":false}";

static double field(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static void last_of_kind(void **state)
{
    (void)state;
    cJSON *o = statsrec_last(out, "relay", false);
    assert_non_null(o);
    assert_true(field(o, "joins") == 4); /* the last line, without a newline */
    cJSON_Delete(o);
    o = statsrec_last(out, "relay", true);
    assert_true(field(o, "joins") == 3);
    cJSON_Delete(o);
    o = statsrec_last(out, "netsim", false);
    assert_true(field(o, "seed") == 7);
    cJSON_Delete(o);
    o = statsrec_last(out, NULL, false); /* any kind */
    assert_true(field(o, "joins") == 4);
    cJSON_Delete(o);
    assert_null(statsrec_last(out, "netsim", true));
    assert_null(statsrec_last("", NULL, false));
    assert_null(statsrec_last(NULL, NULL, false));
    assert_null(statsrec_last("{\"type\":\"bot_summary\"}\n", NULL, false));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(last_of_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
