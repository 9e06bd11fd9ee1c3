/* test_httpd.c: the operators' HTTP server over loopback. --metrics values
 * parse (a bare port is loopback); routes answer with their status, type
 * and body (static or allocated), HEAD gets no body, other methods 405,
 * unknown paths 404, a handler that fails 500; a route of its own method
 * takes a body within its bound (413 beyond) and the query's arguments; a busy port is a one-line
 * error; every handler runs in the server's one thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sys/httpd.h"
#include "support/http.h"

static void listen_values_parse(void **state)
{
    (void)state;
    union netaddr a;
    char err[128], text[NETADDR_STR_MAX];
    assert_int_equal(httpd_parse_listen("9100", &a, err, sizeof err), 0);
    assert_string_equal(netaddr_format(&a, text, sizeof text), "127.0.0.1:9100");
    assert_int_equal(httpd_parse_listen("0.0.0.0:80", &a, err, sizeof err), 0);
    assert_string_equal(netaddr_format(&a, text, sizeof text), "0.0.0.0:80");
    assert_int_equal(httpd_parse_listen("[::1]:9100", &a, err, sizeof err), 0);
    assert_string_equal(netaddr_format(&a, text, sizeof text), "[::1]:9100");
    assert_int_equal(httpd_parse_listen("65536", &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "65535"));
    assert_int_equal(httpd_parse_listen("000000009", &a, err, sizeof err), -1);
    assert_int_equal(httpd_parse_listen("localhost", &a, err, sizeof err), -1);
    assert_int_equal(httpd_parse_listen("", &a, err, sizeof err), -1);
    assert_null(strchr(err, '\n'));
}

struct served {
    pthread_t threads[8];
    int n;
};

static void note_thread(struct served *s)
{
    if (s->n < 8)
        s->threads[s->n++] = pthread_self();
}

static void hello(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    (void)req;
    note_thread(ctx);
    r->content_type = "text/plain; charset=utf-8";
    r->static_body = "hello\n";
    r->len = 6;
}

static void made(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    (void)req;
    note_thread(ctx);
    r->status = 503;
    r->content_type = "application/json";
    r->body = strdup("{\"ready\":false}");
    r->len = strlen(r->body);
}

static void fails(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    (void)req;
    note_thread(ctx);
    (void)r; /* no body: as if out of memory */
}

/* PUT /echo: the body back, with the query's "n" before it. */
static void echo(void *ctx, const struct httpd_request *req, struct httpd_reply *r)
{
    note_thread(ctx);
    const char *n = httpd_arg(req, "n");
    char text[160];
    snprintf(text, sizeof text, "%s %s %zu:%s", req->method, n ? n : "-", req->len, req->body);
    r->body = strdup(text);
    r->len = r->body ? strlen(r->body) : 0;
}

static const struct httpd_route routes[] = {
    { "/", hello }, { "/made", made }, { "/fails", fails },
    { "/echo", echo, "PUT", 64 }, { "/echo", made }, { 0 }
};

static struct httpd *start(struct served *s)
{
    union netaddr a;
    char err[128];
    assert_int_equal(httpd_parse_listen("0", &a, err, sizeof err), 0);
    struct httpd *h = httpd_start(&a, routes, s, err, sizeof err);
    assert_non_null(h);
    assert_int_not_equal(strcmp(httpd_address(h), "127.0.0.1:0"), 0);
    return h;
}

static void routes_answer(void **state)
{
    (void)state;
    struct served s = { 0 };
    struct httpd *h = start(&s);
    const char *at = httpd_address(h);
    char type[128];

    struct http_response r = http_get(at, "/");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello\n");
    assert_string_equal(http_header(&r, "content-type", type, sizeof type),
                        "text/plain; charset=utf-8");
    assert_string_equal(http_header(&r, "Cache-Control", type, sizeof type), "no-store");
    http_response_free(&r);

    r = http_get(at, "/made?x=1"); /* the query string is not part of the path */
    assert_int_equal(r.status, 503);
    assert_string_equal(r.body, "{\"ready\":false}");
    assert_string_equal(http_header(&r, "Content-Type", type, sizeof type), "application/json");
    http_response_free(&r);

    r = http_get(at, "/fails");
    assert_int_equal(r.status, 500);
    http_response_free(&r);

    r = http_get(at, "/nothing");
    assert_int_equal(r.status, 404);
    http_response_free(&r);

    assert_int_equal(http_request(at, "HEAD", "/", 5000, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);
    http_response_free(&r);

    assert_int_equal(http_request(at, "POST", "/", 5000, &r), 0);
    assert_int_equal(r.status, 405);
    http_response_free(&r);

    httpd_stop(h);
    /* Every handler ran in the server's one thread, never this one. */
    assert_int_equal(s.n, 4);
    for (int i = 0; i < s.n; i++) {
        assert_true(pthread_equal(s.threads[i], s.threads[0]));
        assert_false(pthread_equal(s.threads[i], pthread_self()));
    }
}

/* A route of its own method takes a body within its bound and the query's
 * arguments; beside it, GET on the same path reaches its own route; any
 * other method is refused, a longer body too. */
static void bodies_are_taken_within_bounds(void **state)
{
    (void)state;
    struct served s = { 0 };
    struct httpd *h = start(&s);
    const char *at = httpd_address(h);
    struct http_response r;

    assert_int_equal(http_send(at, "PUT", "/echo?n=a%20b", "{\"loss\": 5}", 5000, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "PUT a b 11:{\"loss\": 5}");
    http_response_free(&r);

    assert_int_equal(http_send(at, "PUT", "/echo", "", 5000, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "PUT - 0:");
    http_response_free(&r);

    r = http_get(at, "/echo");
    assert_int_equal(r.status, 503); /* the GET route of that path */
    http_response_free(&r);

    char longer[101];
    memset(longer, 'x', 100);
    longer[100] = '\0';
    assert_int_equal(http_send(at, "PUT", "/echo", longer, 5000, &r), 0);
    assert_int_equal(r.status, 413);
    http_response_free(&r);

    assert_int_equal(http_send(at, "POST", "/echo", "{}", 5000, &r), 0);
    assert_int_equal(r.status, 405);
    http_response_free(&r);
    assert_int_equal(http_send(at, "PUT", "/", "{}", 5000, &r), 0);
    assert_int_equal(r.status, 405);
    http_response_free(&r);
    assert_int_equal(http_send(at, "PUT", "/nothing", "{}", 5000, &r), 0);
    assert_int_equal(r.status, 405);
    http_response_free(&r);
    httpd_stop(h);
    assert_int_equal(s.n, 3); /* two bodies taken, one GET; the refusals reached no route */
}

static void a_busy_port_is_an_error(void **state)
{
    (void)state;
    struct served s = { 0 };
    struct httpd *h = start(&s);
    union netaddr a;
    char err[128];
    assert_int_equal(httpd_parse_listen(httpd_address(h), &a, err, sizeof err), 0);
    assert_null(httpd_start(&a, routes, &s, err, sizeof err));
    assert_non_null(strstr(err, httpd_address(h)));
    assert_null(strchr(err, '\n'));
    httpd_stop(h);
    httpd_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(listen_values_parse),
        cmocka_unit_test(routes_answer),
        cmocka_unit_test(bodies_are_taken_within_bounds),
        cmocka_unit_test(a_busy_port_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
