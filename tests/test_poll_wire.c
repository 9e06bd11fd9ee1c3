/* test_poll_wire.c: the HTTP polling edge's pure parts
 * (`relay/poll/poll_wire.h`): a session id's text and back, the queries taken
 * (`s=`, `wait=` in either order, 0 to 25000) and every one refused with its
 * line (an id too short, too long or not hex, a wait over the maximum or not 1
 * to 5 digits, a key given twice, unknown or empty), the query of a parsed
 * request line, the frames a body holds (a length of 0, one over the maximum, a
 * cut frame or half a length refused) and how many whole frames fit an answer
 * (always the first) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "relay/poll/poll_wire.h"

static struct http_text text(const char *s)
{
    return (struct http_text){s, strlen(s)};
}

static int parse(const char *q, struct poll_query *out, const char **why)
{
    *why = NULL;
    return poll_query_parse(text(q), out, why);
}

static void ids_round_trip(void **state)
{
    (void)state;
    uint8_t secret[POLL_SECRET_BYTES];
    for (size_t i = 0; i < sizeof secret; i++)
        secret[i] = (uint8_t)(0xf0 + i);
    char id[POLL_ID_LEN + 1], q[64];
    poll_session_id(0x0102abcd, secret, id);
    assert_string_equal(id, "0102abcdf0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    snprintf(q, sizeof q, "s=%s", id);
    struct poll_query pq;
    const char *why;
    assert_int_equal(parse(q, &pq, &why), 0);
    assert_true(pq.has_session);
    assert_int_equal(pq.slot, 0x0102abcd);
    assert_memory_equal(pq.secret, secret, sizeof secret);
    assert_int_equal(pq.wait_ms, 0);
}

static void queries_taken(void **state)
{
    (void)state;
    struct poll_query q;
    const char *why;
    assert_int_equal(parse("", &q, &why), 0);
    assert_false(q.has_session);
    assert_int_equal(parse("wait=25000&s=0000000100000000000000000000000000000000", &q, &why),
                     0);
    assert_int_equal(q.wait_ms, 25000);
    assert_int_equal(q.slot, 1);
    assert_int_equal(parse("wait=0", &q, &why), 0);
    assert_int_equal(q.wait_ms, 0);
    assert_int_equal(parse("s=00000001AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &q, &why), 0);
    assert_int_equal(q.secret[0], 0xaa);
}

static void queries_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "wait=25001",                                    /* over the maximum */
        "wait=",                                         /* no digits */
        "wait=-1", "wait=1e3", "wait=000001",            /* not 1 to 5 digits */
        "s=00000001",                                    /* too short */
        "s=0000000100000000000000000000000000000000a",   /* too long */
        "s=000000010000000000000000000000000000000g",    /* not hex */
        "s=0000000100000000000000000000000000000000&s=0000000100000000000000000000000000000000",
        "wait=1&wait=2",                                 /* twice */
        "sid=1", "x", "&", "wait=1&",                    /* unknown, empty */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct poll_query q;
        const char *why;
        assert_int_equal(parse(bad[i], &q, &why), -1);
        assert_non_null(why);
    }
}

static void the_query_of_a_request(void **state)
{
    (void)state;
    static const char get[] = "GET /poll?s=ab&wait=5 HTTP/1.1\r\nHost: x\r\n\r\n";
    struct http_req req;
    assert_true(http_parse(get, sizeof get - 1, &req) > 0);
    struct http_text q = poll_query_of(&req);
    assert_int_equal(q.len, 11);
    assert_memory_equal(q.p, "s=ab&wait=5", 11);
    static const char bare[] = "POST /poll HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
    assert_true(http_parse(bare, sizeof bare - 1, &req) > 0);
    assert_int_equal(poll_query_of(&req).len, 0);
}

static void frames_counted(void **state)
{
    (void)state;
    static const uint8_t two[] = {0, 2, 'h', 'i', 0, 1, '!'};
    assert_int_equal(poll_frames_count(two, sizeof two, 100), 2);
    assert_int_equal(poll_frames_count(two, 0, 100), 0);
    assert_int_equal(poll_frames_count(two, sizeof two - 1, 100), -1); /* cut */
    assert_int_equal(poll_frames_count(two, 1, 100), -1);              /* half a length */
    assert_int_equal(poll_frames_count(two, sizeof two, 1), -1);       /* over max */
    static const uint8_t empty[] = {0, 0, 0, 1, 'x'};
    assert_int_equal(poll_frames_count(empty, sizeof empty, 100), -1); /* a length of 0 */
}

static void frames_fit_an_answer(void **state)
{
    (void)state;
    static const uint8_t q[] = {0, 2, 'a', 'b', 0, 3, 'c', 'd', 'e', 0, 1, 'f'};
    assert_int_equal(poll_frames_fit(q, sizeof q, 100), sizeof q);
    assert_int_equal(poll_frames_fit(q, sizeof q, 9), 9);  /* two whole frames */
    assert_int_equal(poll_frames_fit(q, sizeof q, 8), 4);  /* the first only */
    assert_int_equal(poll_frames_fit(q, sizeof q, 1), 4);  /* the first always */
    assert_int_equal(poll_frames_fit(q, 0, 100), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids_round_trip),
        cmocka_unit_test(queries_taken),
        cmocka_unit_test(queries_refused),
        cmocka_unit_test(the_query_of_a_request),
        cmocka_unit_test(frames_counted),
        cmocka_unit_test(frames_fit_an_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
