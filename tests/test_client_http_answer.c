/* test_client_http_answer.c: the client library's one reader of HTTP answers
 * (`client_http_answer.c`, also the WebSocket upgrade's and WebRTC offer's) as
 * the polling transport's rules take it: an answer whole only at its last byte,
 * cut anywhere before; a 204 without a body; `Connection: close`, HTTP/1.0
 * closing unless it says keep-alive; and each thing that is no answer of the
 * polling edge refused with its reason: not HTTP, chunks, no Content-Length, a
 * bad or doubled one, a body past the bound, a bad status, a line without a
 * name, a bare LF, a head that never ends past 8 KiB */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/transports/client_transports_internal.h"

static int parse(const char *text, struct client_http_answer *a, const char **why)
{
    return client_poll_answer_parse((const uint8_t *)text, strlen(text), a, why);
}

static void whole_at_its_end_only(void **state)
{
    (void)state;
    const char *get = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                      "Cache-Control: no-store\r\nContent-Length: 5\r\n\r\n\x00\x03" "abc";
    size_t len = strlen(get) + 5; /* the body (a frame) starts with a NUL */
    struct client_http_answer a;
    const char *why = "";
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal(client_poll_answer_parse((const uint8_t *)get, cut, &a, &why), 0);
    assert_int_equal(client_poll_answer_parse((const uint8_t *)get, len, &a, &why), 1);
    assert_int_equal(a.status, 200);
    assert_int_equal(a.body_len, 5);
    assert_int_equal(a.head_len, len - 5);
    assert_false(a.close);
}

static void no_content_and_close(void **state)
{
    (void)state;
    struct client_http_answer a;
    const char *why = "";
    assert_int_equal(parse("HTTP/1.1 204 No Content\r\n\r\n", &a, &why), 1);
    assert_int_equal(a.status, 204);
    assert_int_equal(a.body_len, 0);
    assert_false(a.close);
    assert_int_equal(parse("HTTP/1.1 410 Gone\r\nConnection: close\r\nContent-Length: 5\r\n"
                           "\r\ngone\n", &a, &why), 1);
    assert_int_equal(a.status, 410);
    assert_true(a.close);
    assert_int_equal(parse("HTTP/1.0 204 No Content\r\n\r\n", &a, &why), 1);
    assert_true(a.close); /* HTTP/1.0 without keep-alive */
    assert_int_equal(parse("HTTP/1.0 204 No Content\r\nconnection: Keep-Alive\r\n\r\n", &a,
                           &why), 1);
    assert_false(a.close);
}

static void what_is_no_answer(void **state)
{
    (void)state;
    const char *bad[] = {
        "SSH-2.0-OpenSSH_9.2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\n\r\n",                          /* no Content-Length */
        "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
        "HTTP/1.1 200 OK\r\nContent-Length: 9999999\r\n\r\n", /* past the bound */
        "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",       /* a bare LF */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct client_http_answer a;
        const char *why = NULL;
        if (parse(bad[i], &a, &why) != -1)
            fail_msg("taken: %s", bad[i]);
        assert_non_null(why);
    }
    char *endless = malloc(CLIENT_POLL_HEAD_MAX + 64);
    assert_non_null(endless);
    memset(endless, 'a', CLIENT_POLL_HEAD_MAX + 63);
    memcpy(endless, "HTTP/1.1 200 OK\r\nX: ", 20);
    struct client_http_answer a;
    const char *why = NULL;
    assert_int_equal(client_poll_answer_parse((const uint8_t *)endless, CLIENT_POLL_HEAD_MAX + 63,
                                              &a, &why), -1);
    free(endless);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_at_its_end_only),
        cmocka_unit_test(no_content_and_close),
        cmocka_unit_test(what_is_no_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
