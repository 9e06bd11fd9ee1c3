/* test_httpd.c: the operators' HTTP server over loopback. --metrics values
 * parse (a bare port is loopback); routes answer with their status, type
 * and body (static or allocated), HEAD gets no body, other methods 405,
 * unknown paths 404, a handler that fails 500; a route of its own method
 * takes a body within its bound (413 beyond) and the query's arguments; a
 * request naming another Host (DNS rebinding) gets 421 and reaches no
 * handler, one without Host 400, while the address the connection came to
 * (IPv4, bracketed IPv6, any interface's) and localhost are served; a busy
 * port is a one-line error; every handler runs in the server's one thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/httpd.h"
#include "tests/support/http.h"

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
    int calls; /* of any handler, n or more */
};

static void note_thread(struct served *s)
{
    s->calls++;
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

/* Starts the server on listen ("0.0.0.0:0", "[::1]:0"); NULL if this
 * machine has no such address (IPv6 off). */
static struct httpd *start_on(const char *listen, struct served *s)
{
    union netaddr a;
    char err[128];
    assert_int_equal(httpd_parse_listen(listen, &a, err, sizeof err), 0);
    return httpd_start(&a, routes, s, err, sizeof err);
}

/* The status of method path at endpoint ("ip:port") sent with Host host
 * (NULL: none). */
static int status_as(const char *endpoint, const char *host, const char *method,
                     const char *path, const char *body)
{
    struct http_response r;
    assert_int_equal(http_send_host(endpoint, host, method, path, body, 5000, &r), 0);
    int status = r.status;
    http_response_free(&r);
    return status;
}

/* A page whose name was rebound to this machine (DNS rebinding) reaches the
 * server under its own name: every path and method answers 421 and no
 * handler runs, a body is never taken. The server's own address (the one
 * the connection came to) and localhost, with or without a port, are
 * served; a request without Host is a bad one. */
static void a_foreign_host_is_misdirected(void **state)
{
    (void)state;
    struct served s = { 0 };
    struct httpd *h = start(&s);
    const char *at = httpd_address(h);
    const char *port = strrchr(at, ':') + 1;
    char host[96];

    static const char *const foreign[] = {
        "rebind.attacker.example", "rebind.attacker.example:%s", "localhost.attacker.example",
        "127.0.0.1.attacker.example:%s", "127.0.0.2:%s", "0.0.0.0:%s", "[::1]:%s", "[::1]",
        "127.0.0.1:%s@attacker.example", "127.0.0.1:x", "127.0.0.1:%s:%s", "2130706433",
        "127.1", "localhost:99999", "local host", ":%s",
    };
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        snprintf(host, sizeof host, foreign[i], port, port);
        if (status_as(at, host, "GET", "/", NULL) != 421)
            fail_msg("Host: %s was served", host);
        assert_int_equal(status_as(at, host, "PUT", "/echo", "{\"loss\": 50}"), 421);
        assert_int_equal(status_as(at, host, "GET", "/nothing", NULL), 421);
        assert_int_equal(status_as(at, host, "POST", "/", "{}"), 421);
    }
    struct http_response r;
    assert_int_equal(http_send_host(at, "rebind.attacker.example", "GET", "/", NULL, 5000, &r),
                     0);
    assert_non_null(strstr(r.body, "Host"));
    assert_ptr_equal(strchr(r.body, '\n'), r.body + r.len - 1); /* one line */
    http_response_free(&r);
    assert_int_equal(s.calls, 0); /* no handler ran */

    static const char *const own[] = {
        "127.0.0.1:%s", "127.0.0.1", "localhost:%s", "localhost", "LocalHost:%s",
    };
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        snprintf(host, sizeof host, own[i], port);
        if (status_as(at, host, "GET", "/", NULL) != 200)
            fail_msg("Host: %s was refused", host);
        assert_int_equal(status_as(at, host, "PUT", "/echo", "{}"), 200);
    }
    assert_int_equal(status_as(at, NULL, "GET", "/", NULL), 400);
    assert_int_equal(status_as(at, "", "GET", "/", NULL), 400);
    assert_int_equal(status_as(at, NULL, "PUT", "/echo", "{}"), 400);
    assert_int_equal(s.calls, 10);
    httpd_stop(h);
}

/* Bound to every interface, the server is reached at any of this
 * machine's addresses (Prometheus scraping it by IP from elsewhere): the
 * Host it takes is the address the connection came to, 127.0.0.2 here
 * (all of 127/8 is this machine's), not another of its addresses. */
static void every_interface_takes_the_address_reached(void **state)
{
    (void)state;
    struct served s = { 0 };
    struct httpd *h = start_on("0.0.0.0:0", &s);
    assert_non_null(h);
    const char *port = strrchr(httpd_address(h), ':') + 1;
    char at[64], host[64];
    snprintf(at, sizeof at, "127.0.0.2:%s", port);
    assert_int_equal(status_as(at, at, "GET", "/", NULL), 200);
    assert_int_equal(status_as(at, "127.0.0.2", "GET", "/", NULL), 200);
    assert_int_equal(status_as(at, "localhost", "GET", "/", NULL), 200);
    snprintf(host, sizeof host, "127.0.0.1:%s", port);
    assert_int_equal(status_as(at, host, "GET", "/", NULL), 421);
    snprintf(host, sizeof host, "0.0.0.0:%s", port);
    assert_int_equal(status_as(at, host, "GET", "/", NULL), 421);
    assert_int_equal(status_as(at, "rebind.attacker.example", "GET", "/", NULL), 421);
    assert_int_equal(s.calls, 3);
    httpd_stop(h);

    /* IPv6: the bracketed address reached, in any of its spellings */
    h = start_on("[::]:0", &s);
    if (!h)
        return; /* no IPv6 here */
    port = strrchr(httpd_address(h), ':') + 1;
    snprintf(at, sizeof at, "[::1]:%s", port);
    assert_int_equal(status_as(at, at, "GET", "/", NULL), 200);
    assert_int_equal(status_as(at, "[::1]", "GET", "/", NULL), 200);
    assert_int_equal(status_as(at, "[0:0::1]", "GET", "/", NULL), 200);
    assert_int_equal(status_as(at, "::1", "GET", "/", NULL), 421); /* not bracketed */
    assert_int_equal(status_as(at, "[::]", "GET", "/", NULL), 421);
    assert_int_equal(status_as(at, "localhost", "GET", "/", NULL), 200);
    snprintf(host, sizeof host, "127.0.0.1:%s", port);
    assert_int_equal(status_as(at, host, "GET", "/", NULL), 421);
    snprintf(host, sizeof host, "[::ffff:127.0.0.1]:%s", port);
    assert_int_equal(status_as(at, host, "GET", "/", NULL), 421);
    assert_int_equal(status_as(at, "[localhost]", "GET", "/", NULL), 421);
    httpd_stop(h);
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
        cmocka_unit_test(a_foreign_host_is_misdirected),
        cmocka_unit_test(every_interface_takes_the_address_reached),
        cmocka_unit_test(a_busy_port_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
