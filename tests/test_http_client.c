/* test_http_client.c: the HTTP client over loopback, against the
 * project's own server (sys/httpd.h). An answer comes whole, with its
 * status, head and body; a body goes with its type; HEAD reads no body;
 * Host is the endpoint unless named, or none; a body longer than the
 * caller's bound is cut there; the path goes as given; a proxy in the
 * environment is not used; a refused connection fails at once saying so,
 * a silent server at the timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/http_client.h"
#include "sys/httpd.h"

static char err[512];

static void hello(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    (void)ctx;
    (void)req;
    r->content_type = "text/plain";
    r->static_body = "hello\n";
    r->len = 6;
}

/* PUT /echo: the method, the body's length and the body back. */
static void echo(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    (void)ctx;
    char text[160];
    snprintf(text, sizeof text, "%s %zu:%s", req->method, req->len, req->body);
    r->body = strdup(text);
    r->len = r->body ? strlen(r->body) : 0;
}

/* 100000 bytes of 'x'. */
static void big(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    (void)ctx;
    (void)req;
    r->body = malloc(100000);
    r->len = r->body ? 100000 : 0;
    if (r->body)
        memset(r->body, 'x', r->len);
}

static const struct httpd_route routes[] = {
    { "/", hello }, { "/echo", echo, "PUT", 64 }, { "/big", big }, { "/a/../b", hello }, { 0 }
};

static struct httpd *start(void)
{
    union netaddr a;
    assert_int_equal(httpd_parse_listen("0", &a, err, sizeof err), 0);
    struct httpd *h = httpd_start(&a, routes, NULL, err, sizeof err);
    assert_non_null(h);
    return h;
}

/* The status of req (defaults: GET / at h, 5 s), its answer in *a. */
static int ask(struct httpd *h, struct http_client_request req, struct http_client_answer *a)
{
    req.endpoint = req.endpoint ? req.endpoint : httpd_address(h);
    req.method = req.method ? req.method : "GET";
    req.path = req.path ? req.path : "/";
    req.timeout_ms = req.timeout_ms ? req.timeout_ms : 5000;
    if (http_client_send(&req, a, err, sizeof err) != 0)
        fail_msg("%s", err);
    return a->status;
}

static void answers_come_whole(void **state)
{
    (void)state;
    struct httpd *h = start();
    struct http_client_answer a;
    assert_int_equal(ask(h, (struct http_client_request){0}, &a), 200);
    assert_string_equal(a.body, "hello\n");
    assert_int_equal(a.len, 6);
    assert_false(a.cut);
    assert_memory_equal(a.headers, "HTTP/1.", 7);
    assert_memory_equal(a.headers + 8, " 200 ", 5);
    assert_non_null(strstr(a.headers, "\r\nContent-Type: text/plain"));
    assert_int_not_equal(a.headers[strlen(a.headers) - 1], '\n');
    http_client_answer_free(&a);

    assert_int_equal(ask(h, (struct http_client_request){.method = "HEAD"}, &a), 200);
    assert_int_equal(a.len, 0);
    http_client_answer_free(&a);

    struct http_client_request put = {.method = "PUT", .path = "/echo", .body = "{\"a\": 1}"};
    assert_int_equal(ask(h, put, &a), 200);
    assert_string_equal(a.body, "PUT 8:{\"a\": 1}");
    http_client_answer_free(&a);
    put.body = "";
    assert_int_equal(ask(h, put, &a), 200);
    assert_string_equal(a.body, "PUT 0:");
    http_client_answer_free(&a);

    assert_int_equal(ask(h, (struct http_client_request){.path = "/nothing"}, &a), 404);
    http_client_answer_free(&a);
    assert_int_equal(ask(h, (struct http_client_request){.path = "/a/../b"}, &a), 200);
    http_client_answer_free(&a); /* not squashed to /b */
    httpd_stop(h);
}

/* The server serves only requests naming it (421 otherwise, 400 none). */
static void host_is_the_endpoint_unless_named(void **state)
{
    (void)state;
    struct httpd *h = start();
    struct http_client_answer a;
    assert_int_equal(ask(h, (struct http_client_request){.host = "localhost"}, &a), 200);
    http_client_answer_free(&a);
    assert_int_equal(ask(h, (struct http_client_request){.host = "elsewhere.example"}, &a), 421);
    http_client_answer_free(&a);
    assert_int_equal(ask(h, (struct http_client_request){.host = ""}, &a), 400);
    http_client_answer_free(&a);
    httpd_stop(h);
}

static void a_long_body_is_cut_and_a_proxy_ignored(void **state)
{
    (void)state;
    struct httpd *h = start();
    struct http_client_answer a;
    assert_int_equal(ask(h, (struct http_client_request){.path = "/big"}, &a), 200);
    assert_int_equal(a.len, 100000);
    assert_false(a.cut);
    http_client_answer_free(&a);
    assert_int_equal(ask(h, (struct http_client_request){.path = "/big", .answer_max = 1000},
                         &a), 200);
    assert_int_equal(a.len, 1000);
    assert_int_equal(strlen(a.body), 1000);
    assert_true(a.cut);
    http_client_answer_free(&a);

    setenv("http_proxy", "http://127.0.0.1:9", 1);
    setenv("HTTP_PROXY", "http://127.0.0.1:9", 1);
    assert_int_equal(ask(h, (struct http_client_request){0}, &a), 200);
    http_client_answer_free(&a);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    httpd_stop(h);
}

/* A bound loopback TCP socket, listening when listening; its port in *port. */
static int loopback_socket(int listening, char *endpoint, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    if (listening)
        assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    snprintf(endpoint, cap, "127.0.0.1:%u", ntohs(a.sin_port));
    return fd;
}

static void failures_say_why_in_time(void **state)
{
    (void)state;
    char endpoint[64];
    struct http_client_answer a;
    int fd = loopback_socket(0, endpoint, sizeof endpoint); /* bound, not listening */
    struct http_client_request req = {.endpoint = endpoint, .method = "GET", .path = "/",
                                      .timeout_ms = 5000};
    uint64_t t0 = clock_now_ms();
    assert_int_equal(http_client_send(&req, &a, err, sizeof err), HTTP_CLIENT_NO_CONNECTION);
    assert_true(clock_now_ms() - t0 < 4000);
    assert_non_null(strstr(err, "refused"));
    assert_non_null(strstr(err, endpoint));
    assert_null(a.body);
    close(fd);

    fd = loopback_socket(1, endpoint, sizeof endpoint); /* listening, never answering */
    req.timeout_ms = 300;
    t0 = clock_now_ms();
    assert_int_equal(http_client_send(&req, &a, err, sizeof err), HTTP_CLIENT_NO_ANSWER);
    uint64_t took = clock_now_ms() - t0;
    assert_true(took >= 250 && took < 3000);
    assert_non_null(strstr(err, "no HTTP answer within 300 ms"));
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_come_whole),
        cmocka_unit_test(host_is_the_endpoint_unless_named),
        cmocka_unit_test(a_long_body_is_cut_and_a_proxy_ignored),
        cmocka_unit_test(failures_say_why_in_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
