/* test_e2e_lesson_course.c: the socket course on the lesson page, in headless
 * Chromium, in English, Indonesian, Korean and Vietnamese: the relay listens on
 * the lesson's fixed, named ports (live.json: the TCP lane's edge on 7779, the
 * polling lanes' on HTTP's 80, plain UDP's on 7778); the TCP lane shows its two
 * endpoints, each client's ephemeral port (above 1024) labelled so beside the
 * relay's fixed one, in each language's words; its calls, step by step: the
 * relay's socket, bind, listen and an accept per client returning a new
 * descriptor (read from the relay's /proc, another than the listening one), the
 * clients' socket and connect with their ports, and each connection's handshake
 * from netsim's log (SYN, SYN-ACK, ACK); the plain UDP lane's relay socket, bind,
 * recvfrom and sendto on one descriptor, no listen or accept; the inspector
 * saying each in the page's language; HTTP against a socket: the page's
 * sentence of what the polling lanes show, the WebSocket lane's one request per
 * client (the upgrade) and none in its window, said in its figures, beside the
 * polling lanes' many; no key missing */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lab/harness/spawn.h"
#include "sys/clock.h"
#include "tests/support/browser.h"
#include "tests/support/harness.h"
#include "tests/support/lesson.h"
#include "tests/support/servers.h"

#define WAIT_MS 60000

static const char *const langs[] = {"en", "id", "ko", "vi"};



/* key's words in file with {name} filled from names/values (NULL ended), into out. */
static const char *fill(const cJSON *file, const char *key, const char *const *nv, char *out,
                        size_t cap)
{
    const char *s = lesson_word(file, key);
    size_t n = 0;
    while (*s && n + 1 < cap) {
        bool done = false;
        for (size_t i = 0; *s == '{' && nv[i] && !done; i += 2) {
            size_t len = strlen(nv[i]);
            if (!strncmp(s + 1, nv[i], len) && s[1 + len] == '}') {
                n += (size_t)snprintf(out + n, cap - n, "%s", nv[i + 1]);
                s += len + 2;
                done = true;
            }
        }
        if (!done)
            out[n++] = *s++;
    }
    out[n < cap ? n : cap - 1] = '\0';
    return out;
}

/* The lane's object of live.json, once it runs with its flows known. */
static cJSON *running_lane(const struct lesson *l, const char *name)
{
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (clock_now_ms() < deadline) {
        cJSON *j = lesson_get_json(l, "/live.json?since=18446744073709551615");
        const cJSON *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "lanes")) {
            const cJSON *ends = cJSON_GetObjectItem(x, "ends");
            const char *rx = cJSON_GetStringValue(cJSON_GetObjectItem(ends, "receiver"));
            if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(x, "name")), name) &&
                !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(x, "state")), "running") &&
                rx && *rx) {
                cJSON *copy = cJSON_Duplicate(x, true);
                cJSON_Delete(j);
                return copy;
            }
        }
        cJSON_Delete(j);
        clock_sleep_ms(300);
    }
    fail_msg("the lane %s never ran with its endpoints known", name);
    return NULL;
}

static const char *ends_of(const cJSON *lane, const char *field)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(lane, "ends"), field));
}

static int port_of(const char *endpoint)
{
    return atoi(strrchr(endpoint, ':') + 1);
}

/* The relay on the lesson's fixed, named ports. */
static void fixed_ports(const struct lesson *l)
{
    static const char *const want[][2] = {{"tcp", "198.19.0.1:7779"},
                                          {"poll-long", "198.19.0.1:80"},
                                          {"udp", "198.19.0.1:7778"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cJSON *lane = running_lane(l, want[i][0]);
        assert_string_equal(ends_of(lane, "relay"), want[i][1]);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(lane, "ends"),
                                                     "fixed")));
        int client = port_of(ends_of(lane, "receiver"));
        print_message("%s: the relay on %s, its receiver on ephemeral port %d\n", want[i][0],
                      want[i][1], client);
        assert_true(client > 1024);
        cJSON_Delete(lane);
    }
}

/* The page's text at selector contains want, within a while. */
static void shows(struct browser *b, const char *selector, const char *want, const char *what)
{
    char expr[1024];
    snprintf(expr, sizeof expr, "(() => { const e = document.querySelector('%s');"
             " return !!e && e.textContent.includes(`%s`); })()", selector, want);
    if (!browser_wait(b, expr, WAIT_MS)) {
        snprintf(expr, sizeof expr, "document.querySelector('%s') &&"
                 " document.querySelector('%s').textContent", selector, selector);
        cJSON *got = browser_eval(b, expr);
        print_message("%s says: %s\nnot: %s\n", selector, cJSON_GetStringValue(got), want);
        cJSON_Delete(got);
        lesson_fail_with_page(b, what);
    }
}

/* The names of steps (an array of {call, ...}), comma-separated, into out. */
static const char *calls_of(const cJSON *steps, char *out, size_t cap)
{
    const cJSON *st;
    size_t n = 0;
    out[0] = '\0';
    cJSON_ArrayForEach(st, steps)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "," : "",
                              cJSON_GetStringValue(cJSON_GetObjectItem(st, "call")));
    return out;
}

static int num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, name);
    return cJSON_IsNumber(v) ? v->valueint : -1;
}

/* The TCP lane's calls (lessonPage.showCalls), each end's, and its handshakes. */
static cJSON *tcp_calls(struct browser *b)
{
    cJSON *d = NULL;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (clock_now_ms() < deadline) { /* both handshakes read from netsim's log */
        cJSON_Delete(d);
        d = browser_eval(b, "lessonPage.showCalls('tcp')");
        const cJSON *hs = cJSON_GetObjectItem(d, "handshake");
        if (cJSON_GetArraySize(cJSON_GetArrayItem(hs, 0)) == 3 &&
            cJSON_GetArraySize(cJSON_GetArrayItem(hs, 1)) == 3)
            return d;
        clock_sleep_ms(500);
    }
    char *ends = cJSON_PrintUnformatted(cJSON_GetObjectItem(d, "ends"));
    char *hs = cJSON_PrintUnformatted(cJSON_GetObjectItem(d, "handshake"));
    fail_msg("the TCP lane's calls never held both handshakes: %s %s", hs, ends);
    return NULL;
}

/* The server's steps: socket, bind, listen, accept per client, each accept
 * a new descriptor; the clients' socket, connect; the handshakes. Returns
 * the listening descriptor. */
static int tcp_calls_hold(const cJSON *d)
{
    char names[128];
    const cJSON *server = cJSON_GetObjectItem(d, "server");
    assert_string_equal(calls_of(server, names, sizeof names), "socket,bind,listen,accept,accept");
    int fd = num(cJSON_GetArrayItem(server, 0), "ret");
    assert_true(fd >= 0);
    for (int k = 3; k < 5; k++) {
        int got = num(cJSON_GetArrayItem(server, k), "ret");
        print_message("  the relay's accept(%d) returned %d\n", fd, got);
        assert_true(got >= 0 && got != fd);
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(d, "clients")) {
        assert_string_equal(calls_of(cJSON_GetObjectItem(c, "steps"), names, sizeof names),
                            strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(c, "who")),
                                   "sender") ? "socket,connect,recv" : "socket,connect,send");
        assert_true(num(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "steps"), 0), "ret") >= 0);
    }
    static const char *const flags[] = {"S", "S.", "."}, *const dirs[] = {"up", "down", "up"};
    const cJSON *hs;
    cJSON_ArrayForEach(hs, cJSON_GetObjectItem(d, "handshake"))
        for (int k = 0; k < 3; k++) {
            const cJSON *g = cJSON_GetArrayItem(hs, k);
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(g, "flags")), flags[k]);
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(g, "dir")), dirs[k]);
        }
    return fd;
}

/* The lane's figures' "http" once its window is valid. */
static cJSON *http_of(const struct lesson *l, const char *name)
{
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    for (;;) {
        cJSON *lane = running_lane(l, name), *f = cJSON_GetObjectItem(lane, "figures");
        if (cJSON_IsTrue(cJSON_GetObjectItem(f, "valid")) || clock_now_ms() > deadline) {
            cJSON *h = cJSON_DetachItemFromObject(f, "http");
            cJSON_Delete(lane);
            assert_non_null(h);
            return h;
        }
        cJSON_Delete(lane);
        clock_sleep_ms(500);
    }
}

/* HTTP against a socket: the page's sentence; the WebSocket lane's one
 * request per client, none in the window, said in its figures; the polling
 * lanes' many. */
static void http_against_a_socket(struct browser *b, const struct lesson *l, const cJSON *file)
{
    shows(b, "#http-key", lesson_word(file, "http.key"),
          "no sentence of what the polling lanes show");
    cJSON *ws = http_of(l, "ws");
    int clients = num(ws, "clients"), requests = num(ws, "requests");
    print_message("  ws: %d requests of %d clients, %d in the window; ", requests, clients,
                  num(ws, "requests_window"));
    assert_int_equal(requests, clients);
    assert_int_equal(num(ws, "requests_window"), 0);
    char n[16], c[16], bytes[24], a[512];
    snprintf(n, sizeof n, "%d", requests);
    snprintf(c, sizeof c, "%d", clients);
    snprintf(bytes, sizeof bytes, "%d", num(ws, "heads"));
    const char *nv[] = {"n", n, "clients", c, "bytes", bytes, "s", "\x01", NULL};
    *strchr(fill(file, "fig.http", nv, a, sizeof a), '\x01') = '\0';
    shows(b, ".lane[data-lane=ws] .figs", a, "the WebSocket lane's one request not shown");
    cJSON_Delete(ws);
    static const char *const polls[] = {"poll-long", "poll-short"};
    for (size_t i = 0; i < 2; i++) {
        uint64_t deadline = clock_now_ms() + WAIT_MS;
        cJSON *h = http_of(l, polls[i]);
        while (num(h, "requests_window") < 10 && clock_now_ms() < deadline) { /* a window */
            cJSON_Delete(h);
            clock_sleep_ms(500);
            h = http_of(l, polls[i]);
        }
        print_message("%s: %d in the window; ", polls[i], num(h, "requests_window"));
        assert_true(num(h, "requests_window") >= 10);
        cJSON_Delete(h);
    }
    print_message("\n");
}

/* The lane's endpoints and its calls in lang. */
static void the_course_in(struct browser *b, const struct lesson *l, const char *lang)
{
    char path[160], expr[160], a[512], port[8], fd_s[8], sel[] = ".lane[data-lane=tcp] .ends";
    cJSON *file = lesson_lang(lang), *lane = running_lane(l, "tcp");
    snprintf(path, sizeof path, "%s?lang=%s", l->url, lang);
    browser_navigate(b, path);
    snprintf(expr, sizeof expr, "window.lessonPage && lessonPage.snapshot().lang === '%s'", lang);
    if (!browser_wait(b, expr, WAIT_MS))
        lesson_fail_with_page(b, "the page never spoke its language");
    const char *rx = ends_of(lane, "receiver"), *relay = ends_of(lane, "relay");
    snprintf(port, sizeof port, "%d", port_of(rx));
    const char *client[] = {"at", rx, "port", port, NULL};
    shows(b, sel, fill(file, "ends.client", client, a, sizeof a), "no receiver's ephemeral port");
    const char *fixed[] = {"at", relay, "port", "7779", "name", lesson_word(file, "port.tcp"),
                           NULL};
    shows(b, sel, fill(file, "ends.relay_fixed", fixed, a, sizeof a), "no relay's fixed port");
    cJSON *d = tcp_calls(b);
    snprintf(fd_s, sizeof fd_s, "%d", tcp_calls_hold(d));
    const char *listen[] = {"fd", fd_s, NULL};
    shows(b, "#inspect", fill(file, "calls.listen", listen, a, sizeof a), "no listen()");
    shows(b, "#inspect", "SYN-ACK [S.]", "no handshake");
    cJSON_Delete(d);
    d = browser_eval(b, "lessonPage.showCalls('udp')");
    char names[128];
    assert_string_equal(calls_of(cJSON_GetObjectItem(d, "server"), names, sizeof names),
                        "socket,bind,recvfrom,sendto");
    const char *udp[] = {"relay", "", NULL};
    fill(file, "calls.server_dgram", udp, a, sizeof a);
    shows(b, "#inspect", strstr(a, ": ") ? strstr(a, ": ") + 2 : a, "no UDP server's words");
    cJSON_Delete(d);
    http_against_a_socket(b, l, file);
    cJSON *missing = browser_eval(b, "lessonPage.snapshot().missing");
    if (cJSON_GetArraySize(missing) != 0)
        fail_msg("%s: keys missing: %s", lang, cJSON_PrintUnformatted(missing));
    cJSON_Delete(missing);
    if (getenv("RICOCHET_SHOT_UPDATE") && !strcmp(getenv("RICOCHET_SHOT_UPDATE"), "1")) {
        char png[64];
        snprintf(png, sizeof png, "docs/lesson-calls-%s.png", lang);
        cJSON_Delete(browser_eval(b, "lessonPage.showCalls('tcp')"));
        clock_sleep_ms(300);
        browser_screenshot(b, png);
    }
    print_message("the course in %s: the endpoints, the calls, the handshake\n", lang);
    cJSON_Delete(lane);
    cJSON_Delete(file);
}

static void the_course_on_the_page(void **state)
{
    (void)state;
    struct lesson l;
    char dir[] = "/tmp/ricochet-lesson-course-XXXXXX";
    const char *args[] = {"--port", "0", "--door-port", "0", "--rate", "10", "--duration", "5",
                          NULL};
    lesson_start(&l, harness_bin_dir(), "ricochet-lesson", args);
    servers_tmpdir(dir);
    fixed_ports(&l);
    struct browser *b = browser_open(dir, l.url, 1500, 1200);
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++)
        the_course_in(b, &l, langs[i]);
    lesson_end(&l, b, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_course_on_the_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
